#!/usr/bin/env python3
"""Boundary sweep: writes a CycloneDX SBOM whose packages sit on and around every version named
by the OSV records (each event version, versions just below and above it, pre-releases, build
metadata, Go pseudo-versions and toolchain spellings, RubyGems pre-releases, Maven qualifiers), so that `palisade sbom --list-all-pkgs`
and oracle.py can be compared on far more versions than an image holds.

    python3 scripts/oracle/sweep.py --osv ZIP... -o sweep.cdx.json
    palisade sbom --db DB --format json --list-all-pkgs sweep.cdx.json -o sweep.json
    python3 scripts/oracle/oracle.py --report sweep.json --osv ZIP...

Standard library only. The candidates are strings, not verdicts: whether each is valid and how
it orders is left to the tools (a string a tool refuses shows up as unevaluable).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import re
import sys
import zipfile
from urllib.parse import quote

# One application (result) per ecosystem: (Type, Target, purl type).
APPS = {
    "PyPI": ("pip", "sweep/requirements.txt", "pypi"),
    "npm": ("npm", "sweep/package-lock.json", "npm"),
    "Go": ("gobinary", "sweep/gobinary", "golang"),
    "crates.io": ("cargo", "sweep/Cargo.lock", "cargo"),
    "RubyGems": ("bundler", "sweep/Gemfile.lock", "gem"),
    "Maven": ("jar", "sweep/app.jar", "maven"),
}

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")
PEP440_RELEASE = re.compile(r"^(\d+(?:\.\d+)*)$")


def semver_neighbours(e: str) -> list[str]:
    m = SEMVER.match(e)
    if not m:
        return [e]
    ma, mi, pa, pre, _build = m.groups()
    ma, mi, pa = int(ma), int(mi), int(pa)
    base = f"{ma}.{mi}.{pa}"
    out = [e, base, f"{base}-alpha.1", f"{base}-0", f"{base}+build.7", f"{ma}.{mi}.{pa + 1}"]
    if pa > 0:
        out.append(f"{ma}.{mi}.{pa - 1}")
    elif mi > 0:
        out.append(f"{ma}.{mi - 1}.99")
    if pre:
        out.append(f"{base}-{pre}.1")
    return out


def pep440_neighbours(e: str) -> list[str]:
    out = [e]
    m = PEP440_RELEASE.match(e)
    if not m:
        return out
    parts = [int(p) for p in e.split(".")]
    out += [e + ".0", e + "rc1", e + ".dev0", e + ".post1", e + "+local.1"]
    if parts[-1] > 0:
        out.append(".".join(map(str, parts[:-1] + [parts[-1] - 1])))
    out.append(".".join(map(str, parts[:-1] + [parts[-1] + 1])))
    if len(parts) == 2:
        out.append(e + ".1")
    return out


def go_module_neighbours(e: str) -> list[str]:
    out = []
    for s in semver_neighbours(e):
        out.append("v" + s)
    m = SEMVER.match(e)
    if m and not m.group(4):
        ma, mi, pa = (int(x) for x in m.groups()[:3])
        # A pseudo-version just below the next patch (on top of this release), and one below it.
        out.append(f"v{ma}.{mi}.{pa + 1}-0.20200102030405-abcdefabcdef")
        out.append(f"v{ma}.{mi}.{pa}-0.20200102030405-abcdefabcdef")
        if ma >= 2:
            out.append(f"v{ma}.{mi}.{pa}+incompatible")
    return out


def go_stdlib_neighbours(e: str) -> list[str]:
    """Toolchain versions as Palisade's inventory lists `stdlib`: the Go vulnerability
    database's semver form with a `v` (go1.21rc2 -> v1.21.0-rc.2, go1.19 -> v1.19.0)."""
    m = SEMVER.match(e)
    if not m:
        return [e]
    ma, mi, pa, pre, _ = m.groups()
    ma, mi, pa = int(ma), int(mi), int(pa)
    out = [f"v{ma}.{mi}.{pa}", f"v{ma}.{mi}.{pa + 1}"]
    if pre:
        pm = re.match(r"^(rc|beta|alpha)\.(\d+)$", pre)
        if pm:
            out.append(f"v{ma}.{mi}.{pa}-{pre}")
            out.append(f"v{ma}.{mi}.{pa}-{pm.group(1)}.{int(pm.group(2)) + 1}")
    elif pa > 0:
        out.append(f"v{ma}.{mi}.{pa - 1}")
    else:
        out.append(f"v{ma}.{mi}.0-rc.1")
    return out


NUMERIC_PREFIX = re.compile(r"^(\d+(?:\.\d+)*)(.*)$")


def gem_neighbours(e: str) -> list[str]:
    """RubyGems: a letter segment makes a pre-release (1.14.0.rc1 < 1.14); rubysec's `~> 1.13.6`
    becomes a range up to 1.14, so 1.14.0.rc1 and 1.14.0 sit on either side of it."""
    m = NUMERIC_PREFIX.match(e)
    if not m:
        return [e]
    rel, rest = m.groups()
    parts = [int(p) for p in rel.split(".")]
    out = [e, rel, e + ".1"]
    if not rest:
        out += [e + ".0", e + ".rc1", e + ".beta1", e + ".pre", e + ".a", e + ".0.rc1"]
        out.append(".".join(map(str, parts[:-1] + [parts[-1] + 1])))
        if parts[-1] > 0:
            out.append(".".join(map(str, parts[:-1] + [parts[-1] - 1])))
    return out


def maven_neighbours(e: str) -> list[str]:
    """Maven: qualifiers (-SNAPSHOT, -alpha-1, -rc1, -jre, .Final) against the release."""
    m = NUMERIC_PREFIX.match(e)
    if not m:
        return [e]
    rel, rest = m.groups()
    parts = [int(p) for p in rel.split(".")]
    out = [e, rel, rel + "-SNAPSHOT", rel + "-alpha-1", rel + "-rc1", rel + "-RC2", rel + ".Final",
           rel + "-jre", rel + "-SP1"]
    if not rest:
        out += [e + ".0", e + ".1", ".".join(map(str, parts[:-1] + [parts[-1] + 1]))]
        if parts[-1] > 0:
            out.append(".".join(map(str, parts[:-1] + [parts[-1] - 1])))
    return out


def neighbours(eco: str, name: str, e: str) -> list[str]:
    if eco == "PyPI":
        return pep440_neighbours(e)
    if eco == "RubyGems":
        return gem_neighbours(e)
    if eco == "Maven":
        return maven_neighbours(e)
    if eco == "Go":
        return go_stdlib_neighbours(e) if name == "stdlib" else go_module_neighbours(e)
    return semver_neighbours(e)


def stable_sample(items, n: int, salt: str):
    items = sorted(set(items))
    if len(items) <= n:
        return items
    key = lambda s: hashlib.sha256((salt + "\0" + s).encode()).digest()  # noqa: E731
    return sorted(sorted(items, key=key)[:n])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--osv", action="append", required=True)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--per-package", type=int, default=40,
                    help="most versions per package (default 40)")
    ap.add_argument("--stdlib", type=int, default=300,
                    help="most versions for Go's stdlib (default 300)")
    args = ap.parse_args(argv)

    cands: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    for path in args.osv:
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                if not member.endswith(".json"):
                    continue
                rec = json.loads(zf.read(member))
                if rec.get("withdrawn"):
                    continue
                for aff in rec.get("affected") or []:
                    pkg = aff.get("package") or {}
                    eco, name = pkg.get("ecosystem"), pkg.get("name")
                    if eco not in APPS or not name or (eco, name) == ("Go", "toolchain"):
                        continue  # toolchain: the go command itself, never in a binary
                    for rng in aff.get("ranges") or []:
                        if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
                            continue
                        for ev in rng.get("events") or []:
                            for kind, value in ev.items():
                                if kind == "limit" or value == "0":
                                    continue
                                cands[(eco, name)].update(neighbours(eco, name, str(value)))
                    vs = aff.get("versions") or []
                    cands[(eco, name)].update(stable_sample([str(v) for v in vs], 5, rec["id"]))

    components, deps = [], collections.defaultdict(list)
    apps = []
    for eco, (typ, target, _) in APPS.items():
        ref = f"palisade:app:{typ}:{target}"
        apps.append(ref)
        components.append({
            "bom-ref": ref, "type": "application", "name": target,
            "properties": [{"name": "aquasecurity:trivy:Class", "value": "lang-pkgs"},
                           {"name": "aquasecurity:trivy:Type", "value": typ}],
        })
    counts = collections.Counter()
    for (eco, name), versions in sorted(cands.items()):
        typ, target, ptype = APPS[eco]
        cap = args.stdlib if name == "stdlib" else args.per_package
        for v in stable_sample(versions, cap, name):
            if not v or any(c.isspace() for c in v):
                continue
            pname = name.lower() if eco == "PyPI" else name
            purl = f"pkg:{ptype}/{quote(pname, safe='/')}@{quote(v, safe='')}"
            if eco == "npm" and name.startswith("@"):
                purl = f"pkg:npm/{quote(name[:name.index('/')], safe='')}/" \
                       f"{quote(name[name.index('/') + 1:], safe='')}@{quote(v, safe='')}"
            comp = {"bom-ref": "", "type": "library", "name": name, "version": v, "purl": purl}
            pkg_id = f"{name}@{v}"
            if eco == "Maven":  # CycloneDX as Trivy writes a jar: group + artifact, id g:a:v
                group, _, artifact = name.partition(":")
                purl = f"pkg:maven/{quote(group, safe='')}/{quote(artifact, safe='')}@{quote(v, safe='')}"
                comp.update(group=group, name=artifact, purl=purl)
                pkg_id = f"{name}:{v}"
            ref = f"{purl}#{target}"
            comp["bom-ref"] = ref
            comp["properties"] = [{"name": "aquasecurity:trivy:FilePath", "value": target},
                                  {"name": "aquasecurity:trivy:PkgID", "value": pkg_id},
                                  {"name": "aquasecurity:trivy:PkgType", "value": typ}]
            components.append(comp)
            deps[f"palisade:app:{typ}:{target}"].append(ref)
            counts[eco] += 1
    root = "palisade:image:oracle-sweep"
    bom = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"bom-ref": root, "type": "container", "name": "oracle-sweep"}},
        "components": components,
        "dependencies": [{"ref": root, "dependsOn": apps}]
        + [{"ref": r, "dependsOn": d} for r, d in deps.items()],
    }
    with open(args.output, "w") as f:
        json.dump(bom, f)
    print("sweep: " + ", ".join(f"{e} {counts[e]} packages" for e in APPS), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
