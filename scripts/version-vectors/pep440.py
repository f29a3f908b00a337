#!/usr/bin/env python3
"""PEP 440 test vectors for palisade-version, with verdicts from Python's `packaging`.

Rerun (from the repository root):
    python3 -m venv .work/vv-venv && .work/vv-venv/bin/pip install packaging
    .work/vv-venv/bin/python scripts/version-vectors/pep440.py

Writes crates/palisade-version/tests/vectors/pep440.tsv (pairs with packaging's verdict) and
pep440-invalid.tsv (strings packaging.version.Version rejects). The candidate strings below are
hand-written or generated; every valid/invalid decision and every <, =, > comes from packaging.
Output is deterministic (fixed seed) for a given packaging version.
"""

import itertools
import os
import random
import sys

import packaging
from packaging.version import InvalidVersion, Version

# Python refuses to convert integers with more than 4300 digits by default; the Rust side has no
# such limit, so lift it to let packaging judge the very long numbers too.
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "palisade-version", "tests", "vectors")

HAND = [
    # Release segments, padding and leading zeros.
    "0", "0.0", "0.0.0", "00", "0.1", "0.01", "1", "1.0", "1.0.0", "1.0.0.0", "01.0", "1.00",
    "1.01", "1.1", "1.2", "1.9", "1.10", "1.10.1", "1.11", "2", "2.0", "10", "1.0.1", "1.0.0.1",
    "1.0.0.0.0.0.1", "0.0.0.1",
    # Leading v, case, surrounding whitespace (Python's \s, which includes the ASCII information
    # separators and Unicode spaces).
    "v1.0", "V1.0", "v0", " 1.0", "1.0 ", "\t1.0\n", "\u00a01.0\u3000", "\x1c1.0\x1f",
    "\r\n1.0\x0b\x0c", "\u20281.0\u2029", "\u00851.0", "  v1.0a1  ",
    # Epochs.
    "0!1.0", "1!0", "1!1.0", "1!1.0a1", "2!0.1", "v1!2", "00!1", "10!1", "9!9999", "1!1.0+local",
    "1!1.0.dev0",
    # Pre-releases and their spellings.
    "1.0a", "1.0a0", "1.0a1", "1.0A1", "1.0alpha1", "1.0ALPHA.1", "1.0-alpha-1", "1.0_alpha_1",
    "1.0.a1", "1.0a.1", "1.0a-1", "1.0a_1", "1.0a01", "1.0a2", "1.0a10", "1.0b", "1.0b1",
    "1.0beta1", "1.0-beta.2", "1.0b2", "1.0c1", "1.0rc", "1.0rc1", "1.0RC1", "1.0pre1",
    "1.0preview1", "1.0-preview-1", "1.0.pre.1", "1.0rc2", "1.0rc10", "1.0c", "1.0Pre", "1.0-c",
    "1a1", "1.0.0a1", "1.0.0rc1",
    # Post-releases and their spellings.
    "1.0.post", "1.0.post0", "1.0.post1", "1.0post1", "1.0-post1", "1.0_post1", "1.0-1",
    "1.0-01", "1.0rev1", "1.0r1", "1.0-r-1", "1.0.r.1", "1.0REV1", "1.0.post2", "1.0.post10",
    "1.0-2", "1.0post", "1.0-r", "1.0rev", "1.0.0.post1",
    # Dev releases.
    "1.0.dev", "1.0.dev0", "1.0dev0", "1.0-dev0", "1.0_dev_0", "1.0.dev1", "1.0.DEV1", "1.0dev",
    "1.0.dev10", "1.0-dev-3", "1.0.0.dev1",
    # Combinations, including dev releases of pre- and post-releases.
    "1.0a1.dev0", "1.0a1.dev1", "1.0a1.post1.dev0", "1.0a1.post1", "1.0a1-1", "1.0b1.dev1",
    "1.0rc1.post1", "1.0.post1.dev0", "1.0.post1.dev1", "1.0-1.dev1", "1.0a1.post1.dev1+abc",
    "1.0rc1.dev1", "1.0b2.post3.dev4", "1.0a1-1-dev2", "1.0ALPHA1POST2DEV3",
    # Trailing separators swallowed by an optional part (packaging's possessive matching).
    "1.0a.", "1.0a-", "1.0a_", "1.0.post.", "1.0.dev.", "1.0a.-1", "1.0a.post", "1.0a..dev",
    "1.0post-", "1.0rc_", "1.0a.post.dev.",
    # Local version labels.
    "1.0+local", "1.0+abc", "1.0+abc.1", "1.0+abc.2", "1.0+abc.10", "1.0+abc-1", "1.0+abc_1",
    "1.0+ABC.1", "1.0+1", "1.0+01", "1.0+2", "1.0+10", "1.0+a", "1.0+b", "1.0+ab", "1.0+1.a",
    "1.0+a.1", "1.0+1.0", "1.0+0", "1.0+ubuntu1", "1.0+ubuntu.1", "1.0a1+local", "1.0.dev0+local",
    "1.0.post1+local", "1.0.0+local", "1+local", "1.0+local.7.z", "1.0+z", "1.0+0a", "1.0+a0",
    "1.0+zzz.0", "1.0+a.b.c.d", "1.0+A-B_C.D", "1.0+dev", "1.0+post1",
    # Numbers far beyond 64 bits.
    "1.99999999999999999999999999", "1.100000000000000000000000000", "18446744073709551616",
    "18446744073709551615", "1.0.post18446744073709551616", "1.0a18446744073709551616",
    "1.0+18446744073709551616", "1.0+18446744073709551615", "99999999999999999999999!0",
    "1.0.dev99999999999999999999", "1." + "9" * 60, "1." + "0" * 50 + "1", "1." + "0" * 80,
    "0" * 40 + "!1", "1.0+" + "7" * 45, "1.0+" + "0" * 30 + "7",
    # Real-world shapes.
    "2.31.0", "2.32.0rc1", "3.0.0b1", "1.26.18", "2022.12.7", "2023.7.22", "0.1.dev0", "4.0.0a1",
    "41.0.0", "23.2", "69.0.2", "3.12.0a7", "1.16.0rc1", "2.0.0.post1", "0.11.0.dev0+g123abc",
    "1.2.3+cpu", "2.1.0+cu118", "2.1.0+cu121", "2.1.0+rocm5.6", "1.5.0.post0", "20.3b1",
    "19.10b0", "0.0.1", "1.24.4", "1.25.0rc1", "2.0.0rc1", "2.0.0", "2.0.1", "4.2.11", "5.0",
    "5.0a1", "5.0b1",
    # Strings packaging rejects.
    "", " ", "1.0.", ".1", "1..0", "vv1", "v", "1.0+", "1.0+a..b", "1.0+a.", "1.0+.a", "a",
    "1.0-", "1.0_", "1!", "!1", "1!!1", "1.0 a1", "1.0a1a1", "1.0ab", "1.0.post1.post2",
    "1.0.dev1.dev2", "1.0+a+b", "1.0+\u00e9", "1.0\u00e9", "\u0661.\u0660", "1,0", "1.0a1b1",
    "1.0-dev-", "1.0--1", "1.0+abc def", "1.0\x00", "-1.0", "1.0.dev1a1", "1.0.dev1.post1",
    "1.0\u200b", "\ufeff1.0", "1.0+a_", "1.0a1.", "1.0.post1-", "1.0-1-", "1.0+-a", "v 1.0",
    "1.0.x", "1.0-x", "1.0.dev-", "1.0c-", "1!v1", "1.0-a-", "1.0.0-rc.1", "1.0.0-beta",
    "latest", "1.0.0.post1.dev1.", "1.0rc1rc2", "1.0+abc!1", "1.0!1",
]


def generated():
    """Every combination of a few pre/post/dev/local choices on two releases."""
    out = []
    for rel, pre, post, dev, local in itertools.product(
        ["1.0", "1.1"],
        ["", "a0", "a1", "b1", "rc1", "rc2"],
        ["", ".post0", ".post1"],
        ["", ".dev0", ".dev1"],
        ["", "+l"],
    ):
        out.append(rel + pre + post + dev + local)
    return out


TOKENS = ["1", "0", "2", "9", "10", "01", ".", ".", "-", "_", "!", "+", "v", "a", "b", "c",
          "rc", "pre", "preview", "alpha", "beta", "post", "rev", "r", "dev", "local", "x", " ",
          "A", "Dev"]


def fuzzed(rng, count):
    """Random token soups: most are invalid, the valid ones probe the parser's corners."""
    out = []
    for _ in range(count):
        n = rng.randint(1, 8)
        out.append("".join(rng.choice(TOKENS) for _ in range(n)))
    return out


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
    va, vb = Version(a), Version(b)
    return "<" if va < vb else ">" if va > vb else "="


def main():
    rng = random.Random(440)
    candidates = list(dict.fromkeys(HAND + generated() + fuzzed(rng, 1500)))
    valid, invalid = [], []
    for s in candidates:
        try:
            Version(s)
            valid.append(s)
        except InvalidVersion:
            invalid.append(s)

    # Adjacent pairs of the sorted list pin down the whole order; random pairs add long-range
    # checks; the documented chain from PEP 440 discussions is always included.
    ordered = sorted(valid, key=Version)
    pairs = list(zip(ordered, ordered[1:]))
    for _ in range(600):
        pairs.append((rng.choice(valid), rng.choice(valid)))
    chain = ["1.0.dev0", "1.0a1.dev0", "1.0a1", "1.0a1.post1.dev0", "1.0a1.post1", "1.0b1",
             "1.0rc1", "1.0", "1.0+local", "1.0.post1.dev0", "1.0.post1"]
    pairs += [(a, b) for i, a in enumerate(chain) for b in chain[i:]]

    seen = set()
    header = [
        "# PEP 440 ordering vectors: A<TAB>B<TAB>verdict of packaging.version.Version (A vs B).",
        "# Generated by scripts/version-vectors/pep440.py with packaging %s on Python %s."
        % (packaging.__version__, sys.version.split()[0]),
        "# Escapes: \\\\ \\t \\n \\r \\s (space) \\u{HEX}. Do not edit by hand; rerun the generator.",
    ]
    lines = []
    for a, b in pairs:
        if rng.random() < 0.5:
            a, b = b, a
        if (a, b) in seen:
            continue
        seen.add((a, b))
        lines.append("%s\t%s\t%s" % (escape(a), escape(b), verdict(a, b)))
    with open(os.path.join(OUT, "pep440.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(header + lines) + "\n")

    header_invalid = [
        "# Strings packaging.version.Version rejects (InvalidVersion); one escaped string a line.",
        header[1],
        header[2],
    ]
    with open(os.path.join(OUT, "pep440-invalid.tsv"), "w", encoding="utf-8") as f:
        # The empty string would be a blank line, which readers skip; unit tests cover it.
        body = [escape(s) for s in invalid if s]
        f.write("\n".join(header_invalid + body) + "\n")
    print("pep440: %d valid, %d invalid, %d pairs" % (len(valid), len(invalid), len(lines)))


if __name__ == "__main__":
    main()
