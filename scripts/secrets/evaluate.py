#!/usr/bin/env python3
"""Scores secret-scanner outputs against a corpus manifest (see make-corpus.py).

    evaluate.py MANIFEST NAME=RESULT.json [NAME=RESULT.json ...]

A planted secret counts as found when a finding in its file spans its line; a finding that spans
no planted line is a false positive. Prints recall and precision per tool, the false positives,
and the planted secrets the first tool found and a later one missed.
"""

import json
import sys
from collections import defaultdict


def findings(path, meta=False):
    with open(path) as f:
        doc = json.load(f)
    out = []
    for r in doc.get("Results") or []:
        for s in r.get("Secrets") or []:
            if meta:
                out.append((r["Target"], s["StartLine"], s["EndLine"], (s["RuleID"], s["Category"], s["Title"], s["Severity"])))
            else:
                out.append((r["Target"], s["StartLine"], s["EndLine"], s["RuleID"]))
    return out


def metadata_by_line(path):
    out = defaultdict(set)
    for target, start, end, meta in findings(path, meta=True):
        for line in range(start, end + 1):
            out[(target, line)].add(meta)
    return out


def main():
    manifest = json.load(open(sys.argv[1]))
    planted = manifest["planted"]
    decoy_lines = {(d["file"], d["line"]): d["kind"] for d in manifest["decoys"]}
    by_file = defaultdict(list)
    for p in planted:
        by_file[p["file"]].append(p["line"])
    tools = [a.split("=", 1) for a in sys.argv[2:]]
    found_by = {}
    for name, path in tools:
        fs = findings(path)
        found = set()
        tp = fp = 0
        fps = []
        for target, start, end, rule in fs:
            hits = [l for l in by_file.get(target, []) if start <= l <= end]
            if hits:
                tp += 1
                found.update((target, l) for l in hits)
            else:
                fp += 1
                fps.append(f"{target}:{start} {rule} ({decoy_lines.get((target, start), 'not a decoy line')})")
        found_by[name] = found
        recall = len(found) / len(planted) if planted else 0
        precision = tp / (tp + fp) if tp + fp else 1
        decoy_hits = sum(1 for f in fps if "not a decoy line" not in f)
        trivy_rule = [(p["file"], p["line"]) for p in planted if not p["rule"].startswith("palisade-")]
        found_trivy_rule = sum(1 for k in trivy_rule if k in found)
        print(f"{name}: recall {len(found)}/{len(planted)} = {recall:.1%} "
              f"(secrets of Trivy's rule set: {found_trivy_rule}/{len(trivy_rule)} = {found_trivy_rule / max(1, len(trivy_rule)):.1%}), "
              f"precision {tp}/{tp + fp} = {precision:.1%}, findings on decoy lines {decoy_hits}/{len(decoy_lines)}")
        for line in fps:
            print(f"  false positive: {line}")
    if len(tools) > 1:
        first = tools[0][0]
        rules = {(p["file"], p["line"]): p["rule"] for p in planted}
        for name, _ in tools[1:]:
            missed = sorted(found_by[first] - found_by[name])
            print(f"found by {first}, missed by {name}: {len(missed)}")
            for m in missed:
                print(f"  {m[0]}:{m[1]} {rules[m]}")
            extra = found_by[name] - found_by[first]
            by_rule = defaultdict(int)
            for m in extra:
                by_rule[rules[m]] += 1
            print(f"found by {name}, missed by {first}: {len(extra)} " + ", ".join(f"{r}×{n}" for r, n in sorted(by_rule.items())))
            # The reporting contract: the same RuleID, Category, Title and Severity.
            ref, other = metadata_by_line(tools[0][1]), metadata_by_line(dict(tools)[name])
            keys = [k for k in rules if k in ref]
            same = sum(1 for k in keys if ref[k] <= other.get(k, set()))
            print(f"{first} findings on planted lines that {name} reports with the same RuleID/Category/Title/Severity: {same}/{len(keys)}")
            for k in keys:
                if not ref[k] <= other.get(k, set()):
                    print(f"  {k[0]}:{k[1]} {sorted(ref[k] - other.get(k, set()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
