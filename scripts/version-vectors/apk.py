#!/usr/bin/env python3
"""Alpine (apk) version test vectors for palisade-version.

There is no apk binary on Debian, so the verdicts come from two places, kept apart in the output:

1. apk-tools' own test vectors (apk-tools-version.data, next to this script): every `<`, `>`, `=`
   row whose two versions are valid, with apk's verdict as written there.
2. Everything else (hand-written edge cases and real fixed versions from alpine-secdb): the tiny
   implementation below, written from apk's grammar
       number{.number}...{letter}{_suffix{number}}...{~hash}{-r number}
   and its comparison rules, and trusted only because it reproduces every row of (1) first,
   validity rows included. It shares no code with palisade-version's Rust implementation and is
   shaped differently (a regular expression and sort keys instead of a token stream).

Rerun (from the repository root; plain Python 3, no packages):
    python3 scripts/version-vectors/apk.py [path/to/alpine-secdb.zip]

Writes crates/palisade-version/tests/vectors/apk.tsv and apk-invalid.tsv. Real versions are read
from the OSV zip at generation time (default /work/shared/data/advisories/alpine-secdb.zip, or
$ALPINE_SECDB_ZIP, or the first argument). Output is deterministic (fixed seed).
"""

import json
import os
import random
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "crates", "palisade-version", "tests", "vectors")
UPSTREAM = os.path.join(HERE, "apk-tools-version.data")
DEFAULT_ZIP = "/work/shared/data/advisories/alpine-secdb.zip"

# ---- the spec implementation ------------------------------------------------------------------

GRAMMAR = re.compile(
    r"(?P<first>[0-9]+)(?P<dots>(?:\.[0-9]+)*)(?P<letter>[a-z]?)"
    r"(?P<suffixes>(?:_[a-z]+[0-9]*)*)(?P<hash>~[0-9a-f]+)?(?P<rev>-r[0-9]+)?",
    re.ASCII,
)
SUFFIX = re.compile(r"_([a-z]+)([0-9]*)", re.ASCII)
# Pre-release suffixes sort before the bare version, the others after it.
PRE = ["alpha", "beta", "pre", "rc"]
POST = ["cvs", "svn", "git", "hg", "p"]

# Where two versions first differ in the *kind* of part they hold, this decides (apk's rule:
# a pre-release suffix loses, otherwise the side that still has the "earlier" kind of part wins,
# and the end of the string loses to anything but a pre-release suffix). Same kinds compare by
# value.
CLASS = {"pre": 0, "end": 1, "rev": 2, "hash": 3, "sufno": 4, "post": 5, "letter": 6,
         "digit": 7, "first": 8}


def valid(v):
    m = GRAMMAR.fullmatch(v)
    if not m:
        return False
    return all(name in PRE or name in POST for name, _ in SUFFIX.findall(m["suffixes"]))


def key(v):
    """A list that sorts like apk orders versions; v must be valid."""
    m = GRAMMAR.fullmatch(v)
    parts = [(CLASS["first"], int(m["first"]))]
    for d in m["dots"].split(".")[1:]:
        # A component with a leading zero compares as a string, and below every component
        # without one; the rest compare as numbers.
        parts.append((CLASS["digit"], (0, d) if d.startswith("0") else (1, int(d))))
    if m["letter"]:
        parts.append((CLASS["letter"], m["letter"]))
    for name, number in SUFFIX.findall(m["suffixes"]):
        if name in PRE:
            parts.append((CLASS["pre"], PRE.index(name)))
        else:
            parts.append((CLASS["post"], POST.index(name)))
        if number:
            parts.append((CLASS["sufno"], int(number)))
    if m["hash"]:
        parts.append((CLASS["hash"], m["hash"][1:]))
    if m["rev"]:
        parts.append((CLASS["rev"], int(m["rev"][2:])))
    parts.append((CLASS["end"], 0))
    return parts


def verdict(a, b):
    ka, kb = key(a), key(b)
    return "<" if ka < kb else ">" if ka > kb else "="


# ---- inputs -----------------------------------------------------------------------------------

def upstream_rows():
    """(ordering rows, valid strings, invalid strings) of apk-tools' own test file."""
    rows, good, bad = [], [], []
    with open(UPSTREAM, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) == 3:
                if fields[1] in ("<", ">", "="):
                    rows.append(tuple(fields))
                # Fuzzy-match rows (~ <~ >~ !~) test apk's dependency matching, not its order.
            elif len(fields) == 1 and fields[0].startswith("!"):
                bad.append(fields[0][1:])
            elif len(fields) == 1:
                good.append(fields[0])
            else:
                sys.exit("unexpected line in %s: %r" % (UPSTREAM, line))
    return rows, good, bad


def secdb_versions(path):
    by_package = {}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".json"):
                continue
            for affected in json.loads(z.read(name)).get("affected", []):
                pkg = affected.get("package", {}).get("name", "")
                for r in affected.get("ranges", []):
                    for event in r.get("events", []):
                        if "fixed" in event:
                            by_package.setdefault(pkg, set()).add(event["fixed"])
    return {k: sorted(v) for k, v in sorted(by_package.items())}


HAND = [
    # The whole suffix ladder around one release.
    "1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_beta1", "1.0_pre", "1.0_pre1",
    "1.0_rc", "1.0_rc0", "1.0_rc1", "1.0_rc10", "1.0", "1.0-r0", "1.0-r1", "1.0-r10", "1.0_cvs",
    "1.0_cvs1", "1.0_svn", "1.0_svn20200101", "1.0_git", "1.0_git20240101", "1.0_hg", "1.0_hg1",
    "1.0_p", "1.0_p0", "1.0_p1", "1.0_p1-r1", "1.0_p2", "1.0_p10", "1.0a", "1.0a-r1", "1.0b",
    "1.0z", "1.0.0", "1.0.1", "1.0.1_rc1", "1.1", "1.1_alpha1", "1.0a_p1", "1.0a_rc1",
    # Several suffixes.
    "1.0_alpha_pre", "1.0_alpha1_pre2", "1.0_p1_pre2", "1.0_p1_p2", "1.0_rc1_p1", "1.0_git1_rc1",
    "1.0_pre1_p1-r2",
    # Leading zeros: the first component is a number, the others compare as strings.
    "0", "00", "000", "01", "1", "001", "006", "6", "0.0", "0.00", "0.000", "0.01", "0.1",
    "0.10", "0.001", "0.010", "1.00", "1.01", "1.010", "1.0010", "1.001", "1.002", "1.02",
    "1.1.0", "1.10", "1.09", "1.9", "8.2.0", "8.2.001", "8.2.0015", "8.2.002", "1.0.0.0",
    "0.0.1", "0.0.01",
    # Commit hashes and revisions.
    "1.0~a", "1.0~0", "1.0~00", "1.0~1234", "1.0~1234abc", "1.0~abc", "1.0~1234-r0",
    "1.0~1234-r1", "1.0_p1~abc", "1.0_rc1~abc", "1.0a~abc", "1.0~fff-r5", "1.0-r00", "1.0-r01",
    # Big numbers within 64 bits.
    "18446744073709551615", "18446744073709551614", "1.18446744073709551615", "20240101",
    "1.0_p20240101000000", "1.0-r4294967296",
    # Real shapes.
    "3.0.8-r0", "3.0.8-r1", "3.0.10-r0", "1.1.1t-r0", "1.1.1u-r0", "1.1.1t-r2", "2.4.57-r0",
    "9.4_p1-r0", "9.4_p1-r1", "9.3_p2-r0", "2.38.5-r0", "2.9.14-r1", "7.88.1-r1", "8.0.1-r0",
    "1.36.1-r2", "1.36.1-r5", "3.12.1_rc1-r0", "6.4_p20231021-r0",
]

BAD = [
    "v1.0", "1.0-1", "1.0-r", "1.0-R1", "1.0-r1-r2", "1.0-r1_p1", "1.0_RC1", "1.0A", "1.0ab",
    "1.0a.1", "1.0.", "1..0", ".1", "1.0_", "1.0__p1", "1.0_p1.2", "1.0_p1a", "1.0_foo",
    "1.0_alpha_", "1.0~", "1.0~ABC", "1.0~xyz", "1.0~abc~def", "1.0~abc_p1", "1.0-r1~abc",
    "1.0 ", " 1.0", "1.0\t", "1.0\n", "1,0", "1.0+1", "1.0:1", "1:1.0", "a1", "_p1", "-r1",
    "1.0-r1.1", "1.0_pp", "1.0_pr", "1.0_al", "1.0_c", "1.0_post1", "1.0_beta1.1", "1.0.a",
    "1-0", "1.0\x00", "0.9.8zh-r0", "1.0_pre-r", "~abc", "1.0--r1",
]


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


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ALPINE_SECDB_ZIP", DEFAULT_ZIP)
    if not os.path.exists(path):
        sys.exit("alpine-secdb OSV zip not found at %s (pass its path as the first argument)" % path)
    rng = random.Random(2_14)

    # 1. The spec implementation must reproduce apk-tools' own vectors before it judges anything.
    rows, good, bad = upstream_rows()
    for v in good:
        if not valid(v):
            sys.exit("apk says %r is valid; apk.py disagrees" % v)
    for v in bad:
        if valid(v):
            sys.exit("apk says %r is invalid; apk.py disagrees" % v)
    upstream_pairs, upstream_invalid = [], []
    for a, op, b in rows:
        if not (valid(a) and valid(b)):
            # apk still orders these by their valid prefix (its file says "invalid. do string
            # sort"); palisade refuses invalid versions, so they become invalid strings instead.
            upstream_invalid += [v for v in (a, b) if not valid(v)]
            continue
        if verdict(a, b) != op:
            sys.exit("apk says %s %s %s; apk.py says %s" % (a, op, b, verdict(a, b)))
        upstream_pairs.append((a, b, op))

    # 2. Candidates judged by the spec implementation.
    for v in HAND:
        if not valid(v):
            sys.exit("hand-written candidate %r is not valid" % v)
    by_package = secdb_versions(path)
    real_all = sorted({v for vs in by_package.values() for v in vs})
    invalid_real = [v for v in real_all if not valid(v)]
    if invalid_real:
        sys.exit("alpine-secdb has versions apk.py rejects: %r" % invalid_real[:10])
    real = rng.sample(real_all, 100)
    multi = [p for p, vs in by_package.items() if len(vs) >= 2]
    related = [tuple(rng.sample(by_package[p], 2)) for p in rng.sample(multi, 60)]

    hand_sorted = sorted(HAND, key=key)
    real_sorted = sorted(real, key=key)
    mixed = sorted(sorted(set(HAND + real)), key=key)
    spec_pairs = list(zip(hand_sorted, hand_sorted[1:])) + list(zip(mixed, mixed[1:]))
    spec_pairs += [(rng.choice(HAND), rng.choice(HAND)) for _ in range(120)]
    spec_pairs += [(rng.choice(HAND), v) for v in HAND]
    real_pairs = list(zip(real_sorted, real_sorted[1:])) + related
    real_pairs += [(rng.choice(real), rng.choice(real)) for _ in range(60)]

    seen = set()

    def emit(pairs, lines, given=None):
        for pair in pairs:
            a, b = pair[0], pair[1]
            want = pair[2] if given else verdict(a, b)
            if (a, b) in seen or (b, a) in seen:
                continue
            seen.add((a, b))
            lines.append("%s\t%s\t%s" % (escape(a), escape(b), want))

    section_upstream, section_spec, section_real = [], [], []
    emit(upstream_pairs, section_upstream, given=True)
    emit(spec_pairs, section_spec)
    emit(real_pairs, section_real)

    header = [
        "# Alpine (apk) ordering vectors: A<TAB>B<TAB>verdict (A vs B).",
        "# Generated by scripts/version-vectors/apk.py (Python %s). Escapes: \\\\ \\t \\n \\r \\s"
        % sys.version.split()[0],
        "# (space) \\u{HEX}. Do not edit by hand; rerun the generator.",
        "",
        "# Section 1: apk-tools' own test vectors (test/unit/version.data, see",
        "# scripts/version-vectors/apk-tools-version.data), verdicts exactly as apk-tools states",
        "# them; rows with an invalid side are in apk-invalid.tsv instead. Duplicates dropped.",
    ]
    middle = [
        "",
        "# Section 2: hand-written edge cases (suffix ladder, leading zeros, letters, commit",
        "# hashes, revisions), verdicts from apk.py's spec implementation, which reproduces every",
        "# row of section 1 and every validity row of apk-tools' file.",
    ]
    tail = [
        "",
        "# Section 3: 100 real fixed versions from alpine-secdb (v3.3-v3.11, via the OSV zip) in",
        "# sorted neighbours, plus same-package and random pairs; verdicts from apk.py as above.",
    ]
    with open(os.path.join(OUT, "apk.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(header + section_upstream + middle + section_spec + tail
                          + section_real) + "\n")

    invalid = []
    for v in bad + upstream_invalid + BAD:
        if valid(v):
            sys.exit("%r was expected to be invalid" % v)
        if v and v not in invalid:
            invalid.append(v)
    header_invalid = [
        "# Versions apk rejects (apk_version_validate); one escaped string a line.",
        "# From apk-tools' own test file (its \"!\" rows and the invalid sides of its ordering",
        "# rows; the empty string is left out, unit tests cover it) and hand-written ones judged",
        "# by scripts/version-vectors/apk.py's spec implementation.",
        "# Escapes: \\\\ \\t \\n \\r \\s (space) \\u{HEX}. Do not edit by hand; rerun the generator.",
    ]
    with open(os.path.join(OUT, "apk-invalid.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(header_invalid + [escape(v) for v in invalid]) + "\n")
    print("apk: %d upstream pairs, %d spec pairs, %d real pairs, %d invalid"
          % (len(section_upstream), len(section_spec), len(section_real), len(invalid)))


if __name__ == "__main__":
    main()
