#!/usr/bin/env python3
"""Independent test oracle for Palisade's language-package findings.

Reads Palisade JSON report(s) (``palisade image --format json --list-all-pkgs``) and OSV zips
(osv.dev ``all.zip`` layout), decides with each ecosystem's own version tool which OSV records
affect every package of every ``lang-pkgs`` result, and compares that expected set with the
findings in the report(s). Palisade's matcher is not used: ranges are evaluated here, following
the OSV schema's evaluation algorithm, and every version comparison is made by

  PyPI       packaging.version.Version         (cmp_pypi.py, run by the oracle venv's python)
  npm        node-semver semver.compare        (cmp_npm.js, run by node)
  Go         golang.org/x/mod/semver.Compare   (gocmp, a small Go program)
  crates.io  semver::Version::cmp_precedence   (cargo-semver, a small Rust program)
  RubyGems   Gem::Version#<=>                  (cmp_gem.rb, run by Debian's ruby)
  Maven      ComparableVersion#compareTo       (mavencmp/MavenCmp.java on maven-artifact 3.x, run by java)

one process per ecosystem, fed every comparison it is needed for in one batch. Python's
standard library only; see README.md beside this file. Exit status: 0 when the finding sets
agree, 1 when they differ, 2 on a usage or tool error.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(ROOT, ".work")

# Result Type (Palisade/Trivy package type) -> OSV ecosystem.
TYPE_TO_ECOSYSTEM = {
    "python-pkg": "PyPI",
    "pip": "PyPI",
    "pipenv": "PyPI",
    "poetry": "PyPI",
    "uv": "PyPI",
    "node-pkg": "npm",
    "npm": "npm",
    "yarn": "npm",
    "pnpm": "npm",
    "gobinary": "Go",
    "cargo": "crates.io",
    "rustbinary": "crates.io",
    "gemspec": "RubyGems",
    "bundler": "RubyGems",
    "jar": "Maven",
    "pom": "Maven",
}
ECOSYSTEMS = ("PyPI", "npm", "Go", "crates.io", "RubyGems", "Maven")
EVALUATED_RANGE_TYPES = ("ECOSYSTEM", "SEMVER")


class ToolError(Exception):
    pass


class Unevaluable(Exception):
    """A comparison the ecosystem's tool refused (a version it cannot parse)."""


# ---------------------------------------------------------------------------------------------
# Names and versions as each ecosystem's tool expects them


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def norm_name(eco: str, name: str) -> str:
    return pep503(name) if eco == "PyPI" else name


_GO_TAG = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$")


def go_toolchain_semver(version: str) -> str:
    """A Go toolchain version (go1.21.3, 1.21rc2, go1.19, v1.19.8) in the semver form the Go
    vulnerability database uses: v1.21.3, v1.21.0-rc.2, v1.19.0. Anything else gets a 'v' and is
    left for golang.org/x/mod/semver to judge."""
    s = version.strip()
    for prefix in ("go", "v"):
        if s.startswith(prefix):
            s = s[len(prefix):]
            break
    m = _GO_TAG.match(s)
    if not m:
        return "v" + s
    major, minor, patch, pre, pre_n = m.groups()
    out = f"v{major}.{minor or 0}.{patch or 0}"
    if pre:
        out += f"-{pre}.{pre_n}"
    return out


def tool_version(eco: str, pkg_name: str, version: str, installed: bool) -> str:
    """The string handed to the ecosystem's tool for a version of the package."""
    if eco != "Go":
        return version
    if installed and pkg_name in ("stdlib", "toolchain"):
        return go_toolchain_semver(version)
    return version if version.startswith("v") else "v" + version


# ---------------------------------------------------------------------------------------------
# Comparators: one process per ecosystem, one batch each


def comparator_commands(args) -> dict[str, list[str]]:
    return {
        "PyPI": [args.python, os.path.join(HERE, "cmp_pypi.py")],
        "npm": ["node", os.path.join(HERE, "cmp_npm.js")],
        "Go": [args.gocmp],
        "crates.io": [args.cargo_semver],
        "RubyGems": [args.ruby, os.path.join(HERE, "cmp_gem.rb")],
        "Maven": [args.java, "-cp", f"{args.maven_classes}{os.pathsep}{args.maven_artifact_jar}", "MavenCmp"],
    }


class Comparisons:
    """Every comparison the oracle needs, answered in one batch per ecosystem by the tools."""

    def __init__(self, commands: dict[str, list[str]], node_path: str):
        self.commands = commands
        self.node_path = node_path
        self.wanted: dict[str, set[tuple[str, str]]] = collections.defaultdict(set)
        self.answers: dict[tuple[str, str, str], int | None] = {}
        self.invalid: dict[str, set[str]] = collections.defaultdict(set)
        self.counts: dict[str, int] = {}

    def want(self, eco: str, a: str, b: str) -> None:
        if a == b:
            self.wanted[eco].add((a, a))  # still asked: tells whether the tool parses it
        else:
            self.wanted[eco].add((a, b) if a < b else (b, a))

    def run(self) -> None:
        for eco, pairs in sorted(self.wanted.items()):
            pairs = sorted(pairs)
            env = dict(os.environ)
            if eco == "npm":
                env["NODE_PATH"] = self.node_path
            payload = "".join(json.dumps([a, b]) + "\n" for a, b in pairs)
            try:
                proc = subprocess.run(
                    self.commands[eco], input=payload, capture_output=True, text=True, env=env
                )
            except OSError as e:
                raise ToolError(f"{eco} comparator {self.commands[eco]}: {e}") from e
            lines = proc.stdout.splitlines()
            if proc.returncode != 0 or len(lines) != len(pairs):
                raise ToolError(
                    f"{eco} comparator {self.commands[eco]} exited {proc.returncode} with "
                    f"{len(lines)} answers for {len(pairs)} pairs: {proc.stderr.strip()[:2000]}"
                )
            for (a, b), line in zip(pairs, lines):
                ans = json.loads(line)
                if "cmp" in ans:
                    self.answers[(eco, a, b)] = int(ans["cmp"])
                else:
                    self.answers[(eco, a, b)] = None
                    self.invalid[eco].update(ans.get("invalid", []))
            self.counts[eco] = len(pairs)

    def cmp(self, eco: str, a: str, b: str) -> int:
        if a == b:
            key, sign = (eco, a, a), 1
        elif a < b:
            key, sign = (eco, a, b), 1
        else:
            key, sign = (eco, b, a), -1
        if key not in self.answers:
            raise AssertionError(f"comparison not prepared: {eco} {a!r} {b!r}")
        ans = self.answers[key]
        if ans is None:
            bad = [s for s in (a, b) if s in self.invalid[eco]] or [a, b]
            raise Unevaluable(f"{eco} tool refuses {', '.join(repr(s) for s in bad)}")
        return sign * ans


# ---------------------------------------------------------------------------------------------
# OSV records


@dataclass
class Record:
    id: str
    aliases: list[str]
    affected: list[dict]
    withdrawn: bool
    source: str


def load_osv(zips: list[str]):
    records: dict[str, Record] = {}
    index: dict[tuple[str, str], list[tuple[Record, int]]] = collections.defaultdict(list)
    stats = collections.Counter()
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                if not member.endswith(".json"):
                    continue
                raw = json.loads(zf.read(member))
                rec = Record(
                    id=raw["id"],
                    aliases=list(raw.get("aliases") or []),
                    affected=list(raw.get("affected") or []),
                    withdrawn=bool(raw.get("withdrawn")),
                    source=os.path.basename(path),
                )
                if rec.id in records:
                    stats["duplicate ids (first kept)"] += 1
                    continue
                records[rec.id] = rec
                stats["records"] += 1
                if rec.withdrawn:
                    stats["withdrawn"] += 1
                for i, aff in enumerate(rec.affected):
                    pkg = aff.get("package") or {}
                    eco = pkg.get("ecosystem", "")
                    if eco in ECOSYSTEMS:
                        index[(eco, norm_name(eco, pkg.get("name", "")))].append((rec, i))
    return records, index, stats


def event_kind(ev: dict) -> tuple[str, str]:
    for kind in ("introduced", "fixed", "last_affected", "limit"):
        if kind in ev:
            return kind, str(ev[kind])
    raise ValueError(f"event without a known key: {ev}")


def fixed_events(aff: dict) -> list[str]:
    return [str(ev["fixed"]) for rng in aff.get("ranges") or []
            if rng.get("type") in EVALUATED_RANGE_TYPES
            for ev in rng.get("events") or [] if "fixed" in ev]


def is_minus_infinity(kind: str, value: str) -> bool:
    return kind == "introduced" and value == "0"


def is_infinity(kind: str, value: str) -> bool:
    return kind == "limit" and "*" in value


_RANGE_EVENTS: dict[tuple[int, str, str], list[tuple[str, str, str, int]]] = {}
_COMPARANDS: dict[tuple, list[str]] = {}
_RECORD_PREPARED: set[tuple] = set()


def range_events(eco: str, pkg_name: str, rng: dict) -> list[tuple[str, str, str, int]]:
    """(kind, OSV value, tool spelling, position in the record) for each event of a range."""
    key = (id(rng), eco, pkg_name)
    out = _RANGE_EVENTS.get(key)
    if out is None:
        out = []
        for n, ev in enumerate(rng.get("events") or []):
            kind, value = event_kind(ev)
            out.append((kind, value, tool_version(eco, pkg_name, value, installed=False), n))
        _RANGE_EVENTS[key] = out
    return out


def evaluated_ranges(aff: dict) -> list[dict]:
    return [r for r in aff.get("ranges") or [] if r.get("type") in EVALUATED_RANGE_TYPES]


def fix_candidates(eco: str, pkg_name: str, entries: list[dict]) -> list[tuple[str, str]]:
    """(tool spelling, OSV value) of every fixed event of the entries, without repeats."""
    seen = {}
    for aff in entries:
        for rng in evaluated_ranges(aff):
            for kind, value, tv, _ in range_events(eco, pkg_name, rng):
                if kind == "fixed":
                    seen.setdefault(tv, value)
    return list(seen.items())


def comparands(eco: str, pkg_name: str, entries: list[dict]) -> list[str]:
    """Tool spellings of every event version and listed version of the entries."""
    key = (eco, pkg_name, *map(id, entries))
    out = _COMPARANDS.get(key)
    if out is None:
        seen = {}
        for aff in entries:
            for x in aff.get("versions") or []:
                seen[tool_version(eco, pkg_name, str(x), installed=False)] = None
            for rng in evaluated_ranges(aff):
                for kind, value, tv, _ in range_events(eco, pkg_name, rng):
                    if not (is_minus_infinity(kind, value) or is_infinity(kind, value)):
                        seen[tv] = None
        out = _COMPARANDS[key] = list(seen)
    return out


def prepare_version(comps: Comparisons, eco: str, pkg_name: str, v: str,
                    entries: list[dict]) -> None:
    """Registers the comparisons that deciding tool-spelled version v against the entries
    needs: v against every event and every listed version."""
    comps.want(eco, v, v)
    for x in comparands(eco, pkg_name, entries):
        comps.want(eco, v, x)


def prepare(comps: Comparisons, eco: str, pkg_name: str, installed: str,
            entries: list[dict]) -> None:
    """Registers every comparison evaluate() and first_fix() will make for a package version
    and the entries of one record that name the package."""
    v = tool_version(eco, pkg_name, installed, installed=True)
    prepare_version(comps, eco, pkg_name, v, entries)
    key = (eco, pkg_name, *map(id, entries))
    if key in _RECORD_PREPARED:
        return
    _RECORD_PREPARED.add(key)
    for aff in entries:
        for rng in evaluated_ranges(aff):
            evs = [tv for k, val, tv, _ in range_events(eco, pkg_name, rng)
                   if not (is_minus_infinity(k, val) or is_infinity(k, val))]
            for i, a in enumerate(evs):
                for b in evs[i + 1:]:
                    comps.want(eco, a, b)  # for sorting the events
    # The fixed version reported is the lowest fixed event above v that the record does not
    # itself affect: each candidate is decided like an installed version.
    fixes = [tv for tv, _ in fix_candidates(eco, pkg_name, entries)]
    for i, f in enumerate(fixes):
        prepare_version(comps, eco, pkg_name, f, entries)
        for g in fixes[i + 1:]:
            comps.want(eco, f, g)


@dataclass
class Verdict:
    affected: bool
    how: str = ""  # "versions" or "ranges"
    next_fix: str | None = None  # first fixed event above v that is not affected, OSV spelling
    ties: list[str] = field(default_factory=list)  # versions where events of two kinds meet


class Evaluator:
    """IsVulnerable of https://ossf.github.io/osv-schema/#evaluation over prepared comparisons.
    Events of one range are sorted by the tool; events at the same version keep their order in
    the record (a stable sort, as osv.dev's own evaluation does). Raises Unevaluable when the
    tool refuses a version that the decision needs."""

    def __init__(self, comps: Comparisons):
        self.comps = comps
        self._sorted: dict[tuple[int, str, str], tuple[list, list[str]]] = {}

    def sorted_events(self, eco: str, pkg_name: str, rng: dict):
        key = (id(rng), eco, pkg_name)
        if key not in self._sorted:
            cmp = self.comps.cmp

            def rank(e):
                return -1 if is_minus_infinity(e[0], e[1]) else (1 if is_infinity(e[0], e[1]) else 0)

            def order(x, y):
                rx, ry = rank(x), rank(y)
                c = (rx > ry) - (rx < ry)
                if not c and rx == 0:
                    c = cmp(eco, x[2], y[2])
                return c if c else (x[3] > y[3]) - (x[3] < y[3])

            evs = range_events(eco, pkg_name, rng)
            try:
                srt = sorted(evs, key=functools.cmp_to_key(order))
            except Unevaluable as e:
                srt = e  # remembered: every version evaluated against it is unevaluable
            ties = []
            if not isinstance(srt, Exception):
                for a, b in zip(srt, srt[1:]):
                    if a[0] != b[0] and rank(a) == rank(b) == 0 and cmp(eco, a[2], b[2]) == 0 \
                            and "limit" not in (a[0], b[0]):
                        ties.append(f"{a[0]} and {b[0]} both at {a[1]}")
            self._sorted[key] = (srt, ties)
        return self._sorted[key]

    def in_ranges(self, eco: str, pkg_name: str, v: str, aff: dict) -> tuple[bool, list[str]]:
        cmp = self.comps.cmp
        hit, all_ties = False, []
        for rng in evaluated_ranges(aff):
            events = range_events(eco, pkg_name, rng)
            limits = [e for e in events if e[0] == "limit"]
            if limits and not any(is_infinity(k, val) or cmp(eco, v, tv) < 0
                                  for k, val, tv, _ in limits):
                continue
            srt, ties = self.sorted_events(eco, pkg_name, rng)
            if isinstance(srt, Exception):
                raise srt
            vulnerable = False
            for kind, value, tv, _ in srt:
                if kind == "introduced" and (is_minus_infinity(kind, value) or cmp(eco, v, tv) >= 0):
                    vulnerable = True
                elif kind == "fixed" and cmp(eco, v, tv) >= 0:
                    vulnerable = False
                elif kind == "last_affected" and cmp(eco, v, tv) > 0:
                    vulnerable = False
            if vulnerable:
                hit = True
                all_ties += ties
        return hit, all_ties

    def in_versions(self, eco: str, pkg_name: str, v: str, raw: str | None, aff: dict) -> bool:
        for x in aff.get("versions") or []:
            x = str(x)
            if raw is not None and x == raw:
                return True
            try:
                if self.comps.cmp(eco, v, tool_version(eco, pkg_name, x, installed=False)) == 0:
                    return True
            except Unevaluable:
                continue  # an unparsable entry (or v) can only match by its exact string
        return False

    def affects(self, eco: str, pkg_name: str, v: str, raw: str | None,
                entries: list[dict]) -> tuple[bool, str, list[str]]:
        """Whether any entry affects tool-spelled version v (raw: as the report spells it)."""
        error = None
        for aff in entries:
            if self.in_versions(eco, pkg_name, v, raw, aff):
                return True, "versions", []
        for aff in entries:
            try:
                hit, ties = self.in_ranges(eco, pkg_name, v, aff)
            except Unevaluable as e:
                error = error or e
                continue
            if hit:
                return True, "ranges", ties
        if error:
            raise error
        return False, "", []

    def evaluate(self, eco: str, pkg_name: str, installed: str, entries: list[dict]) -> Verdict:
        v = tool_version(eco, pkg_name, installed, installed=True)
        hit, how, ties = self.affects(eco, pkg_name, v, installed, entries)
        if not hit:
            return Verdict(False)
        next_fix = None
        try:
            above = [(tv, val) for tv, val in fix_candidates(eco, pkg_name, entries)
                     if self.comps.cmp(eco, v, tv) < 0]
            above.sort(key=functools.cmp_to_key(lambda a, b: self.comps.cmp(eco, a[0], b[0])))
            for tv, val in above:
                try:
                    if not self.affects(eco, pkg_name, tv, None, entries)[0]:
                        next_fix = val
                        break
                except Unevaluable:
                    continue
        except Unevaluable:
            pass  # v itself is refused by the tool (matched by an exact listed string)
        return Verdict(True, how, next_fix, ties)


def describe(aff: dict) -> str:
    parts = []
    for rng in aff.get("ranges") or []:
        evs = ", ".join(f"{k}={v}" for k, v in (event_kind(e) for e in rng.get("events") or []))
        parts.append(f"{rng.get('type')}[{evs}]")
    vs = aff.get("versions") or []
    if vs:
        parts.append(f"versions({len(vs)})")
    return " ".join(parts) or "(no ranges, no versions)"


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass
class LangResult:
    target: str  # key target (prefixed with the artifact when several reports are read)
    type: str
    eco: str
    packages: dict[tuple[str, str], set[str]]  # (name, version) -> file paths
    vulns: list[dict]


def load_reports(paths: list[str]):
    results: list[LangResult] = []
    skipped = collections.Counter()
    reports = []
    for p in paths:
        with open(p) as f:
            reports.append((p, json.load(f)))
    multi = len(reports) > 1
    for p, rep in reports:
        artifact = rep.get("ArtifactName") or os.path.basename(p)
        for res in rep.get("Results") or []:
            if res.get("Class") != "lang-pkgs":
                continue
            typ = res.get("Type", "")
            eco = TYPE_TO_ECOSYSTEM.get(typ)
            if eco is None:
                skipped[typ] += 1
                continue
            pkgs: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
            for pkg in res.get("Packages") or []:
                pkgs[(pkg["Name"], pkg["Version"])].add(pkg.get("FilePath") or "")
            target = res.get("Target", "")
            results.append(LangResult(
                target=f"{artifact}!{target}" if multi else target,
                type=typ, eco=eco, packages=pkgs, vulns=list(res.get("Vulnerabilities") or []),
            ))
    return results, skipped


def palisade_record_id(vuln: dict, eco: str, records: dict[str, Record]) -> tuple[str | None, str]:
    """The OSV record behind a Palisade finding: Palisade reports a CVE alias as VulnerabilityID
    when the record has one, and keeps the record id in Aliases."""
    ids = [vuln.get("VulnerabilityID", "")] + list(vuln.get("Aliases") or [])
    idset = set(ids)
    cands = [i for i in dict.fromkeys(ids) if i in records]
    if not cands:
        return None, "no id of the finding is a record id in the OSV zips"
    if len(cands) == 1:
        return cands[0], ""
    # Several record ids among the finding's ids (a record aliasing another): prefer the record
    # whose own id set is exactly the finding's, then one for this ecosystem, then the largest
    # overlap.
    def score(rid):
        rec = records[rid]
        own = {rec.id, *rec.aliases}
        same_eco = any((a.get("package") or {}).get("ecosystem") == eco for a in rec.affected)
        return (own == idset, same_eco, len(own & idset) / len(own | idset))
    ranked = sorted(cands, key=score, reverse=True)
    note = "" if score(ranked[0]) != score(ranked[1]) else f"ambiguous among {cands}"
    return ranked[0], note


# ---------------------------------------------------------------------------------------------


@dataclass
class Expected:
    eco: str
    how: str
    next_fix: str | None
    ties: list[str]
    affected_desc: str
    paths: list[str]


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", action="append", required=True,
                    help="Palisade JSON report (made with --list-all-pkgs); repeatable")
    ap.add_argument("--osv", action="append", required=True,
                    help="OSV zip in osv.dev all.zip layout; repeatable")
    ap.add_argument("--python", default=os.path.join(WORK, "oracle-venv", "bin", "python"),
                    help="python with `packaging` installed (default: .work/oracle-venv)")
    ap.add_argument("--node-modules", default=os.path.join(WORK, "oracle-node", "node_modules"),
                    help="node_modules holding `semver` (default: .work/oracle-node)")
    ap.add_argument("--gocmp", default=os.path.join(WORK, "oracle-bin", "gocmp"),
                    help="the built gocmp program (default: .work/oracle-bin/gocmp)")
    ap.add_argument("--cargo-semver",
                    default=os.path.join(WORK, "oracle-target", "release", "oracle-cargo-semver"),
                    help="the built cargo-semver program (default: .work/oracle-target/release)")
    ap.add_argument("--ruby", default="/usr/bin/ruby",
                    help="Debian's ruby, for cmp_gem.rb (default: /usr/bin/ruby)")
    ap.add_argument("--java", default="java", help="java, for MavenCmp (default: java on PATH)")
    ap.add_argument("--maven-classes", default=os.path.join(WORK, "oracle-bin", "mavencmp"),
                    help="directory holding the compiled MavenCmp.class (default: .work/oracle-bin/mavencmp)")
    ap.add_argument("--maven-artifact-jar",
                    default=os.environ.get("MAVEN_ARTIFACT_JAR", "/usr/share/maven/lib/maven-artifact-3.x.jar"),
                    help="Maven's maven-artifact jar (ComparableVersion; default: $MAVEN_ARTIFACT_JAR, "
                         "else Debian's maven)")
    ap.add_argument("--include-withdrawn", action="store_true",
                    help="also evaluate withdrawn records (skipped by default)")
    ap.add_argument("--json", metavar="FILE", help="also write everything as JSON to FILE")
    ap.add_argument("--no-sets", action="store_true",
                    help="do not print the two full finding sets, only differences and the table")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)

    records, index, osv_stats = load_osv(args.osv)
    results, skipped_types = load_reports(args.report)

    comps = Comparisons(comparator_commands(args), args.node_modules)

    # Phase 1: what to compare. Oracle candidates: every record with an affected entry naming
    # the package (its entries for the package are decided together).
    candidates = []  # (result, name, version, record, entries)
    for res in results:
        for (name, version) in sorted(res.packages):
            by_record: dict[str, tuple[Record, list[dict]]] = {}
            for rec, i in index.get((res.eco, norm_name(res.eco, name)), []):
                if rec.withdrawn and not args.include_withdrawn:
                    continue
                by_record.setdefault(rec.id, (rec, []))[1].append(rec.affected[i])
            for rec, entries in by_record.values():
                candidates.append((res, name, version, rec, entries))
                prepare(comps, res.eco, name, version, entries)

    # Palisade's findings, and the comparisons needed to explain them.
    pal: dict[tuple, dict] = {}
    pal_unmapped = []
    for res in results:
        for v in res.vulns:
            rid, note = palisade_record_id(v, res.eco, records)
            name, inst = v.get("PkgName", ""), v.get("InstalledVersion", "")
            if rid is None:
                pal_unmapped.append((res.target, name, inst, v.get("VulnerabilityID"), note))
                key = (res.target, name, inst, v.get("VulnerabilityID"))
            else:
                key = (res.target, name, inst, rid)
                fixed = v.get("FixedVersion") or ""
                for aff in records[rid].affected:
                    if (aff.get("package") or {}).get("ecosystem") == res.eco:
                        prepare(comps, res.eco, name, inst, [aff])
                        if fixed:  # so that fixed versions compare by the tool, not by spelling
                            for f in fixed_events(aff):
                                comps.want(res.eco, tool_version(res.eco, name, fixed, False),
                                           tool_version(res.eco, name, f, False))
            entry = pal.setdefault(key, {"eco": res.eco, "fixed": set(), "ids": set(),
                                         "paths": set(), "note": note})
            entry["fixed"].add(v.get("FixedVersion") or "")
            entry["ids"].add(v.get("VulnerabilityID"))
            entry["paths"].add(v.get("PkgPath") or "")

    # Phase 2: one batch per tool.
    try:
        comps.run()
    except ToolError as e:
        print(f"oracle: {e}", file=sys.stderr)
        return 2

    # Phase 3: evaluate.
    ev = Evaluator(comps)
    expected: dict[tuple, Expected] = {}
    unevaluable = []
    for res, name, version, rec, entries in candidates:
        try:
            verdict = ev.evaluate(res.eco, name, version, entries)
        except Unevaluable as e:
            unevaluable.append((res.eco, res.target, name, version, rec.id, str(e)))
            continue
        if not verdict.affected:
            continue
        key = (res.target, name, version, rec.id)
        expected[key] = Expected(res.eco, verdict.how, verdict.next_fix, verdict.ties,
                                 " | ".join(describe(a) for a in entries),
                                 sorted(res.packages[(name, version)]))

    listed = {(res.target, n, v) for res in results for (n, v) in res.packages}

    both = sorted(set(expected) & set(pal))
    only_oracle = sorted(set(expected) - set(pal))
    only_pal = sorted(set(pal) - set(expected))

    def explain_only_pal(key):
        target, name, inst, rid = key
        eco = pal[key]["eco"]
        if rid not in records:
            return pal[key]["note"]
        rec = records[rid]
        why = []
        if (target, name, inst) not in listed:
            why.append("package@version not in the result's Packages (was --list-all-pkgs used?)")
        if rec.withdrawn and not args.include_withdrawn:
            why.append("record is withdrawn")
        for aff in rec.affected:
            pkg = aff.get("package") or {}
            if pkg.get("ecosystem") != eco:
                continue
            same = norm_name(eco, pkg.get("name", "")) == norm_name(eco, name)
            try:
                ver = ev.evaluate(eco, name, inst, [aff])
                verdict = "affected" if ver.affected else "not affected"
            except Unevaluable as e:
                verdict = f"unevaluable ({e})"
            ties = []
            for rng in evaluated_ranges(aff):
                try:
                    ties += ev.sorted_events(eco, name, rng)[1]
                except Unevaluable:
                    pass
            tie_note = (f" [tie: {'; '.join(ties)}; the spec leaves their order open, the "
                        f"oracle keeps the record's order]") if ties else ""
            why.append(f"entry {pkg.get('name')!r}{'' if same else ' (other package)'}: "
                       f"{describe(aff)} -> oracle: {verdict}{tie_note}")
        if not any((a.get("package") or {}).get("ecosystem") == eco for a in rec.affected):
            why.append(f"record has no {eco} entry")
        return "; ".join(why)

    def explain_only_oracle(key):
        target, name, inst, rid = key
        e = expected[key]
        near = [k for k in pal if k[:2] == (target, name) and k[3] == rid]
        extra = f"; Palisade has it at version(s) {sorted(k[2] for k in near)}" if near else ""
        cve = [a for a in records[rid].aliases if a.startswith("CVE-")]
        same_cve = [k[3] for k in pal if k[:3] == key[:3] and cve
                    and (set(pal[k]["ids"]) & set(cve))]
        if same_cve:
            extra += f"; Palisade reports the same CVE {cve} for this package via {same_cve}"
        if e.ties:
            extra += (f"; tie: {'; '.join(e.ties)} (the spec leaves their order open, the "
                      f"oracle keeps the record's order)")
        return f"{e.affected_desc} (matched by {e.how}){extra}"

    def same_fix(eco, name, a, b):
        if a == b:
            return True
        if not a or not b:
            return False
        try:
            return comps.cmp(eco, tool_version(eco, name, a, False),
                             tool_version(eco, name, b, False)) == 0
        except (Unevaluable, AssertionError):
            return False

    fix_diffs = []
    for key in both:
        e, p = expected[key], pal[key]
        oracle_fix = e.next_fix or ""
        if not all(same_fix(e.eco, key[1], f, oracle_fix) for f in p["fixed"]):
            fix_diffs.append((key, e.eco, oracle_fix, sorted(p["fixed"]), e.affected_desc))

    # Table per ecosystem.
    table = collections.OrderedDict((eco, collections.Counter()) for eco in ECOSYSTEMS)
    for key in expected:
        table[expected[key].eco]["expected"] += 1
    for key in pal:
        table[pal[key]["eco"]]["palisade"] += 1
    for key in both:
        table[expected[key].eco]["both"] += 1
    for key in only_oracle:
        table[expected[key].eco]["only-oracle"] += 1
    for key in only_pal:
        table[pal[key]["eco"]]["only-palisade"] += 1
    for eco, *_ in unevaluable:
        table[eco]["unevaluable"] += 1
    for key, eco, *_ in fix_diffs:
        table[eco]["fixed-differs"] += 1
    pkg_counts = collections.Counter()
    for res in results:
        pkg_counts[res.eco] += len(res.packages)

    out = []
    w = out.append
    w(f"OSV: {osv_stats['records']} records from {len(args.osv)} zip(s), "
      f"{osv_stats['withdrawn']} withdrawn ({'evaluated' if args.include_withdrawn else 'skipped'})")
    w(f"Reports: {len(args.report)}; lang-pkgs results: {len(results)}; packages: "
      + ", ".join(f"{e} {pkg_counts[e]}" for e in ECOSYSTEMS))
    if skipped_types:
        w("Results of types with no ecosystem here (not compared): "
          + ", ".join(f"{t} x{n}" for t, n in sorted(skipped_types.items())))
    w("Comparisons by tool: " + ", ".join(f"{e} {comps.counts.get(e, 0)}" for e in ECOSYSTEMS))
    w("")

    def fmt(key):
        t, n, v, i = key
        return f"{t}\t{n}\t{v}\t{i}"

    if not args.no_sets:
        w(f"== Expected (oracle): {len(expected)}")
        for key in sorted(expected):
            w("  " + fmt(key) + f"\tfix={expected[key].next_fix or '-'}")
        w(f"== Palisade: {len(pal)}")
        for key in sorted(pal):
            w("  " + fmt(key) + f"\tfix={','.join(sorted(pal[key]['fixed'])) or '-'}")
        w("")
    w(f"== Only in the oracle (Palisade missed): {len(only_oracle)}")
    for key in only_oracle:
        w("  " + fmt(key))
        w("      " + explain_only_oracle(key))
    w(f"== Only in Palisade (oracle says not affected): {len(only_pal)}")
    for key in only_pal:
        w("  " + fmt(key))
        w("      " + explain_only_pal(key))
    w(f"== Fixed version differs (not a failure): {len(fix_diffs)}")
    for key, eco, ofix, pfix, desc in fix_diffs:
        w("  " + fmt(key) + f"\toracle={ofix or '-'}\tpalisade={','.join(pfix) or '-'}")
        w("      " + desc)
    w(f"== Unevaluable (a version the tool refuses; not counted as expected): {len(unevaluable)}")
    for eco, t, n, v, rid, why in sorted(unevaluable):
        w(f"  {t}\t{n}\t{v}\t{rid}\t{why}")
    if pal_unmapped:
        w(f"== Palisade findings with no record id in the OSV zips: {len(pal_unmapped)}")
        for t, n, v, vid, note in pal_unmapped:
            w(f"  {t}\t{n}\t{v}\t{vid}")
    w("")
    cols = ["packages", "expected", "palisade", "both", "only-oracle", "only-palisade",
            "fixed-differs", "unevaluable"]
    w("== Comparison table")
    w(f"  {'ecosystem':<10}" + "".join(f"{c:>15}" for c in cols))
    total = collections.Counter()
    for eco, c in table.items():
        c["packages"] = pkg_counts[eco]
        total.update(c)
        w(f"  {eco:<10}" + "".join(f"{c[k]:>15}" for k in cols))
    w(f"  {'total':<10}" + "".join(f"{total[k]:>15}" for k in cols))
    verdict = "AGREE" if not only_oracle and not only_pal else "DIFFER"
    w(f"Result: {verdict}")
    print("\n".join(out))

    if args.json:
        def kd(key):
            return dict(zip(("target", "package", "version", "id"), key))
        doc = {
            "expected": [{**kd(k), "ecosystem": e.eco, "matched_by": e.how,
                          "fixed_version": e.next_fix, "affected": e.affected_desc,
                          "paths": e.paths} for k, e in sorted(expected.items())],
            "palisade": [{**kd(k), "ecosystem": p["eco"], "reported_ids": sorted(p["ids"]),
                          "fixed_version": sorted(p["fixed"]), "paths": sorted(p["paths"])}
                         for k, p in sorted(pal.items())],
            "only_oracle": [{**kd(k), "why": explain_only_oracle(k)} for k in only_oracle],
            "only_palisade": [{**kd(k), "why": explain_only_pal(k)} for k in only_pal],
            "fixed_differs": [{**kd(k), "oracle": o or None, "palisade": p}
                              for k, _, o, p, _ in fix_diffs],
            "unevaluable": [{"ecosystem": e, "target": t, "package": n, "version": v, "id": r,
                             "why": why} for e, t, n, v, r, why in unevaluable],
            "table": {eco: dict(c) for eco, c in table.items()},
            "agree": verdict == "AGREE",
        }
        with open(args.json, "w") as f:
            json.dump(doc, f)
    return 0 if verdict == "AGREE" else 1


if __name__ == "__main__":
    sys.exit(main())
