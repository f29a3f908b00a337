"""PEP 440 comparator for the oracle: reads JSON lines ["a", "b"] on stdin and writes one JSON
line per input: {"cmp": -1|0|1}, or {"invalid": [...]} naming the strings that
packaging.version.Version refuses. Run it with the interpreter of .work/oracle-venv."""
import json
import sys

from packaging.version import InvalidVersion, Version

cache = {}


def parse(s):
    if s not in cache:
        try:
            cache[s] = Version(s)
        except InvalidVersion:
            cache[s] = None
    return cache[s]


def main():
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        a, b = json.loads(line)
        va, vb = parse(a), parse(b)
        bad = [s for s, v in ((a, va), (b, vb)) if v is None]
        if bad:
            out.write(json.dumps({"invalid": bad}) + "\n")
        else:
            out.write(json.dumps({"cmp": (va > vb) - (va < vb)}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
