#!/usr/bin/env python3
"""RPM EVR test vectors for palisade-version, with verdicts from rpm's own Python bindings.

Rerun (from the repository root; needs Debian's python3-rpm, i.e. rpm 4.18, and the system
Python it is built for):
    apt-get install -y python3-rpm
    /usr/bin/python3 scripts/version-vectors/rpm.py [path/to/almalinux.zip]

Writes crates/palisade-version/tests/vectors/rpm.tsv (pairs with rpm.labelCompare's verdict) and
rpm-invalid.tsv (strings to which rpm's own EVR parser, rpm.ver, gives no version or an empty
release). Candidates are hand-written edge cases, real AlmaLinux `fixed` versions read from the
OSV zip at generation time (default /work/shared/data/advisories/almalinux.zip, or $ALMALINUX_ZIP,
or the first argument), and mutations of both; every <, =, > comes from rpm.labelCompare.

The EVR is split the way palisade-version splits it (epoch at the first ':', release at the last
'-'), and for every candidate used the split is checked against rpm.ver's own parse, so the
split is tool-checked too. labelCompare orders a missing release (None) before any release;
that is the rule palisade's Rpm scheme follows (see its module documentation).
Output is deterministic (fixed seed) for a given rpm version and zip.
"""

import functools
import json
import os
import random
import sys
import zipfile

# This file is itself called rpm.py, and Python puts its folder first on sys.path; drop it so
# that `import rpm` finds rpm's bindings rather than this script.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import rpm  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "palisade-version", "tests", "vectors")
DEFAULT_ZIP = "/work/shared/data/advisories/almalinux.zip"

HAND = [
    # Plain numbers, leading zeros, long digit runs.
    "0", "1", "01", "001", "1.0", "1.00", "1.01", "1.1", "1.001", "1.2", "1.9", "1.10", "1.010",
    "2", "10", "1.0.0", "1.0.1", "2.0", "1.2.3", "1.2.10", "18446744073709551615",
    "18446744073709551616", "123456789012345678901234567890", "123456789012345678901234567891",
    "1." + "9" * 40, "1." + "0" * 40 + "1", "1.0000000000000000000000000000001",
    # Letters against numbers and separators (1.0a vs 1.0.a), case.
    "a", "b", "A", "Z", "z", "abc", "abd", "1a", "1.a", "1.0a", "1.0.a", "1.0b", "1.0A", "1.0Z",
    "1.0aa", "1.0.1a", "1.0a1", "1.0a.1", "1.0.a1", "a1", "a.1", "1.0rc1", "1.0rc2", "1.0rc10",
    "1.0beta", "1.0alpha", "1.0.0a", "2.0a", "1.0p1", "1.0_1", "1_0", "1..0", "1.0.", ".1.0",
    "1+0", "1.0+git", "1.0+git.1", "1.0%{dist}", "1,0", "1.0#1",
    # Tilde: before everything, even the end.
    "1.0~", "1.0~~", "1.0~a", "1.0~rc1", "1.0~rc2", "1.0~rc1~1", "1.0~beta", "1.0~1", "1~",
    "~", "~~", "~1", "1.0~~rc1", "1.0.0~rc1", "0.9~rc2", "1.0~rc1.1", "1.0.1~rc1",
    # Caret: after the end, before any other segment (rpm >= 4.15).
    "1.0^", "1.0^^", "1.0^git1", "1.0^git2", "1.0^1", "1.0^20210101", "1.0^a", "1.0^~",
    "1.0~^", "1.0^git1~pre", "1.0.1^git1", "^", "^1", "1^", "1.0^git1.abc123",
    # Epochs.
    "0:1.0", "1:1.0", "1:0", "2:0.1", "1:9.9", "00:1.0", "01:1.0", "10:1", "9:1", "4294967295:1",
    "1:1.0-1", "0:1.0-1", "1:1.0~rc1", "1:2:3", "1:2:3-4",
    # Releases: missing vs present, el9 vs el9_2, dist tags, module strings.
    "1.0-0", "1.0-1", "1.0-01", "1.0-2", "1.0-10", "1.0-1.1", "1.0-1.el9", "1.0-1.el9_2",
    "1.0-1.el9_2.1", "1.0-1.el9_10", "1.0-1.el8", "1.0-1.el8_10", "1.0-1.el10", "1.0-1.el10_0",
    "1.0-1.el9.alma", "1.0-1.el9.alma.1", "1.0-1.el9_2.alma.1", "1.0-1.fc39", "1.0-1~bootstrap",
    "1.0-1^post", "1.0-a", "1.0-~", "1.0-^", "1.0-.", "1.0-1-2", "1.0-rc1-1", "1.0-rc1-2",
    "2.34-60.el9", "2.34-60.el9_2", "2.34-60.el9_2.7", "2.34-60.el9_2.10", "2.34-83.el9_3.7",
    "1:3.0.7-24.el9", "1:3.0.7-25.el9_3", "3.0.7-27.el9", "1:3.0.7-27.el9",
    "0.1.15-2.git2d0b8a3.module_el8.5.0+119+9a9ec082",
    "1:0.1.15-2.git2d0b8a3.module_el8.5.0+119+9a9ec082",
    "1:0.1.15-2.git2d0b8a3.module_el8.4.0+2496+12421f43",
    "1:0.1.15-2.git2d0b8a3.module_el8.3.0+2044+12421f43",
    "8.0.26-1.module_el8.4.0+2532+b8928c02", "8.0.26-1.module+el8.4.0+12345+abcdef01",
    "4.18.0-553.el8_10", "4.18.0-553.rt7.342.el8_10", "5.14.0-362.8.1.el9_3",
    "5.14.0-362.13.1.el9_3", "5.14.0-427.13.1.el9_4", "1.1.1k-12.el8_9", "1.1.1k-9.el8_7",
    "1:1.1.1k-12.el8_9", "1:0.9.0~M3-7.module_el9.6.0+148+fb6dc857",
    "0.9~rc2-1.el10_0.1", "2.9.13-6.el9_4", "7.76.1-29.el9_4.1", "7.61.1-34.el8_10.2",
    # Non-ASCII bytes are separators to rpm.
    "1\u00fc0", "\u00fc1", "1.0\u00e9",
]

# Strings rpm's EVR parser cannot give a version or a non-empty release to (or rejects).
BROKEN = [
    "1:", "0:", "12:", ":", "-1", "-", "--", "1:-1", "1:-", ":-", "1.0-", "1.0--", "1:1.0-",
    "a-", "1-2-", "0:-0", "-a", "-1.0", "-~", "~-", "1.0-1-", "1^-", "00:", "1:-0",
    "-0", "9:-9", "1.0~-", "x-", ".-",
]


def split_evr(s):
    """palisade-version's split, or None where it rejects the string."""
    if not s or any(c.isspace() or not c.isprintable() for c in s):
        return None
    epoch = None
    if ":" in s:
        epoch, s = s.split(":", 1)
        if not epoch or not epoch.isascii() or not epoch.isdigit() or int(epoch) > 2**32 - 1:
            return None
    release = None
    if "-" in s:
        s, release = s.rsplit("-", 1)
        if not release:
            return None
    if not s:
        return None
    return (epoch, s, release)


def check_split_against_rpm(s, evr):
    """rpm.ver must see the same three parts, or the verdicts would be about other strings."""
    v = rpm.ver(s)
    e = v.e if v.e is not None else None
    ours = (evr[0], evr[1], evr[2])
    theirs = (e, v.v, v.r)
    if ours != theirs:
        sys.exit("split disagrees with rpm.ver for %r: ours %r, rpm %r" % (s, ours, theirs))


def label_compare(a, b):
    return rpm.labelCompare(split_evr(a), split_evr(b))


def real_versions(path):
    """Distinct `fixed` versions per package from the AlmaLinux OSV zip."""
    by_package = {}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".json"):
                continue
            record = json.loads(z.read(name))
            for affected in record.get("affected", []):
                pkg = affected.get("package", {}).get("name", "")
                for r in affected.get("ranges", []):
                    for event in r.get("events", []):
                        if "fixed" in event:
                            by_package.setdefault(pkg, set()).add(event["fixed"])
    return {k: sorted(v) for k, v in by_package.items()}


MUTATIONS = ["~rc1", "^git1", ".1", "a", "_1", "-1", ".0", "~", "^"]


def mutate(rng, s):
    """A version close to `s`, so pairs reach the fine rules."""
    choice = rng.randrange(4)
    if choice == 0:
        return s + rng.choice(MUTATIONS).replace("-1", ".1" if "-" in s else "-1")
    if choice == 1 and any(c.isdigit() for c in s):
        idx = [i for i, c in enumerate(s) if c.isdigit()]
        i = rng.choice(idx)
        return s[:i] + rng.choice("0123456789") + s[i + 1:]
    if choice == 2:
        return ("1:" + s) if ":" not in s else s.split(":", 1)[1]
    return s.rsplit("-", 1)[0] if "-" in s else s + "-1"


def escape(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == " ":
            out.append("\\s")
        elif 0x21 <= ord(ch) <= 0x7E:
            out.append(ch)
        else:
            out.append("\\u{%x}" % ord(ch))
    return "".join(out)


def verdict(a, b):
    r = label_compare(a, b)
    return "<" if r < 0 else ">" if r > 0 else "="


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ALMALINUX_ZIP", DEFAULT_ZIP)
    if not os.path.exists(path):
        sys.exit("AlmaLinux OSV zip not found at %s (pass its path as the first argument)" % path)
    rng = random.Random(4180)

    by_package = real_versions(path)
    packages = sorted(p for p, vs in by_package.items() if len(vs) >= 2)
    real = sorted({v for vs in by_package.values() for v in vs})
    real_sample = rng.sample(real, 300)
    # Same-package pairs are the comparisons a scanner actually makes.
    related = []
    for pkg in rng.sample(packages, min(150, len(packages))):
        a, b = rng.sample(by_package[pkg], 2)
        related.append((a, b))

    candidates = list(dict.fromkeys(HAND + real_sample + [mutate(rng, s) for s in HAND * 2]))
    valid = [s for s in candidates if split_evr(s) is not None]
    for s in valid:
        check_split_against_rpm(s, split_evr(s))
    for a, b in related:
        check_split_against_rpm(a, split_evr(a))
        check_split_against_rpm(b, split_evr(b))

    # Adjacent pairs of the sorted list pin down the whole order; random pairs add long-range
    # checks; same-package pairs add the realistic ones.
    ordered = sorted(valid, key=functools.cmp_to_key(label_compare))
    pairs = list(zip(ordered, ordered[1:]))
    for _ in range(300):
        pairs.append((rng.choice(valid), rng.choice(valid)))
    pairs += related
    hand_valid = [s for s in HAND if split_evr(s) is not None]
    for _ in range(150):
        a = rng.choice(hand_valid)
        pairs.append((a, mutate(rng, a)))

    seen = set()
    lines = []
    for a, b in pairs:
        if split_evr(a) is None or split_evr(b) is None:
            continue
        if rng.random() < 0.5:
            a, b = b, a
        if (a, b) in seen:
            continue
        seen.add((a, b))
        lines.append("%s\t%s\t%s" % (escape(a), escape(b), verdict(a, b)))

    tool = "rpm %s (python3-rpm) on Python %s" % (rpm.__version__, sys.version.split()[0])
    header = [
        "# RPM EVR ordering vectors: A<TAB>B<TAB>verdict of rpm.labelCompare((e,v,r), (e,v,r)).",
        "# A missing epoch is passed as None (0), a missing release as None (older than any).",
        "# Candidates: hand-written edge cases, AlmaLinux `fixed` versions from the OSV",
        "# database (AlmaLinux/osv-database) and mutations of both.",
        "# Generated by scripts/version-vectors/rpm.py with %s." % tool,
        "# Escapes: \\\\ \\t \\n \\r \\s (space) \\u{HEX}. Do not edit by hand; rerun the generator.",
    ]
    with open(os.path.join(OUT, "rpm.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(header + lines) + "\n")

    broken = []
    for s in dict.fromkeys(BROKEN):
        try:
            v = rpm.ver(s)
        except (ValueError, TypeError):
            broken.append(s)
            continue
        if not v.v or v.r == "":
            broken.append(s)
        else:
            sys.exit("rpm.ver gives %r a version and release; not a broken EVR" % s)
    header_invalid = [
        "# EVRs rpm's own parser (rpm.ver) leaves without a version or with an empty release",
        "# (or rejects outright); one escaped string a line.",
        "# Generated by scripts/version-vectors/rpm.py with %s." % tool,
        header[5],
    ]
    with open(os.path.join(OUT, "rpm-invalid.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(header_invalid + [escape(s) for s in broken]) + "\n")
    counts = {v: sum(1 for l in lines if l.endswith("\t" + v)) for v in "<=>"}
    print("rpm: %d valid candidates, %d pairs %r, %d invalid"
          % (len(valid), len(lines), counts, len(broken)))


if __name__ == "__main__":
    main()
