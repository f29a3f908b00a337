#!/usr/bin/env python3
"""Language package lists of the `apps` test image: the manifest that build-test-images.sh read from the
files the ecosystems' tools wrote (OUTDIR/manifests/apps.tsv) against Trivy's, Syft's and Palisade's
lists. Run by lang-packages.sh, which makes the reports; see there.

Packages are compared per result type (Trivy's type names; Syft's catalogers are mapped onto them) as
(type, name, version), normalised per ecosystem:

    RubyGems  gem name, lower case; a platform suffix of the version (1.13.5-x86_64-linux) is dropped
    Maven     groupId:artifactId, lower case; when one side names only the artifact (a jar whose
              pom.properties is missing), artifact and version are compared and the groups noted
    Composer  vendor/name, lower case; a leading `v` of the version is dropped (v4.4.0 = 4.4.0)
    NuGet     id, case-insensitive; version lower case
    npm       name as written
    PyPI      PEP 503 name

A version spelled differently but equal after this is listed as such, not as a difference.
Exit status: 0 when Palisade lists every package that Trivy or Syft (default catalogers) lists, apart
from those the manifest marks `os` (files owned by a dpkg package, which must be reported once, as
the dpkg package), and lists none of those `os` ones; 1 otherwise; 0 too when no Palisade report is
given (nothing to judge); 2 on a usage error.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys

FAMILY = {
    "gemspec": "rubygems", "bundler": "rubygems",
    "jar": "maven", "pom": "maven", "gradle": "maven", "sbt": "maven",
    "composer": "composer", "composer-vendor": "composer",
    "dotnet-core": "nuget", "nuget": "nuget", "packages-props": "nuget",
    "node-pkg": "npm", "npm": "npm", "yarn": "npm", "pnpm": "npm", "bun": "npm",
    "python-pkg": "pypi", "pip": "pypi", "pipenv": "pypi", "poetry": "pypi", "uv": "pypi",
}
TYPE_ORDER = ["gemspec", "bundler", "jar", "pom", "composer", "composer-vendor", "dotnet-core", "nuget",
              "packages-props", "node-pkg", "npm", "yarn", "pnpm", "python-pkg", "pip", "pipenv", "poetry",
              "uv"]


def norm_name(fam: str, name: str) -> str:
    if fam == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    if fam == "npm":
        return name
    return name.lower()


def norm_version(fam: str, v: str) -> str:
    if fam == "rubygems":
        return v.split("-", 1)[0]  # RubyGems versions have no '-': what follows is a platform
    if fam == "composer" and re.match(r"^v\d", v):
        return v[1:]
    if fam in ("nuget", "pypi"):
        return v.lower()
    return v


def key(typ: str, name: str, version: str):
    fam = FAMILY.get(typ, typ)
    return (typ, norm_name(fam, name), norm_version(fam, version))


# ------------------------------------------------------------------ inputs


def load_manifest(path):
    rows = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        typ, name, version, fpath, scope = line.rstrip("\n").split("\t")
        rows.append((typ, name, version, fpath, scope))
    return rows


def load_trivy_like(path):
    """Trivy's and Palisade's JSON: lang-pkgs results' packages."""
    out = []
    doc = json.load(open(path))
    for res in doc.get("Results") or []:
        if res.get("Class") != "lang-pkgs":
            continue
        for p in res.get("Packages") or []:
            out.append((res.get("Type", ""), p.get("Name", ""), p.get("Version", ""),
                        p.get("FilePath") or res.get("Target", "")))
    return out


def load_trivy_cdx_jars(path):
    """Trivy's CycloneDX BOM, its `jar` components only: Trivy's JSON with no scanner leaves
    archives alone, while its CycloneDX output reads them (with the empty Java DB that
    trivy-java-db-stub.sh writes, which confirms no manifest or file-name guess)."""
    out = []
    doc = json.load(open(path))
    for c in doc.get("components") or []:
        props = {p.get("name"): p.get("value") for p in c.get("properties") or []}
        if props.get("aquasecurity:trivy:PkgType") != "jar":
            continue
        name = f"{c['group']}:{c['name']}" if c.get("group") else c.get("name", "")
        out.append(("jar", name, c.get("version", ""), props.get("aquasecurity:trivy:FilePath", "")))
    return out


SYFT_LOCK = {"yarn.lock": "yarn", "pnpm-lock.yaml": "pnpm", "package-lock.json": "npm",
             "npm-shrinkwrap.json": "npm", "poetry.lock": "poetry", "Pipfile.lock": "pipenv",
             "uv.lock": "uv", "packages.lock.json": "nuget", "packages.config": "nuget"}
SYFT_CATALOGER = {
    "ruby-installed-gemspec-cataloger": "gemspec", "ruby-gemfile-cataloger": "bundler",
    "ruby-gemspec-cataloger": "gemspec",
    "java-archive-cataloger": "jar", "java-pom-cataloger": "pom", "java-gradle-lockfile-cataloger": "gradle",
    "javascript-package-cataloger": "node-pkg",
    "php-composer-installed-cataloger": "composer-vendor", "php-composer-lock-cataloger": "composer",
    "python-installed-package-cataloger": "python-pkg",
    "dotnet-deps-cataloger": "dotnet-core",
}


def syft_type(art):
    found = art.get("foundBy", "")
    locs = art.get("locations") or [{}]
    base = os.path.basename(locs[0].get("path", ""))
    if found in SYFT_CATALOGER:
        return SYFT_CATALOGER[found]
    if base in SYFT_LOCK:
        return SYFT_LOCK[base]
    if found == "python-package-cataloger" and base.startswith("requirements"):
        return "pip"
    return None


def maven_name(art):
    purl = art.get("purl") or ""
    m = re.match(r"^pkg:maven/([^/@]+)/([^/@]+)@", purl)
    if m:
        return f"{m[1]}:{m[2]}"
    return art.get("name", "")


def load_syft(path):
    out, skipped = [], collections.Counter()
    doc = json.load(open(path))
    for art in doc.get("artifacts") or []:
        if art.get("type") in ("deb", "rpm", "apk"):
            continue
        typ = syft_type(art)
        if typ is None:
            skipped[art.get("foundBy", "?")] += 1
            continue
        name = maven_name(art) if typ == "jar" else art.get("name", "")
        loc = ((art.get("locations") or [{}])[0].get("path") or "").lstrip("/")
        out.append((typ, name, art.get("version", ""), loc))
    return out, skipped


# ------------------------------------------------------------------ comparison


class Listing:
    """One tool's packages as normalised keys, with the spellings seen for each."""

    def __init__(self, label, rows):
        self.label = label
        self.keys = collections.defaultdict(set)  # key -> {(name, version, path)}
        for typ, name, version, fpath in rows:
            self.keys[key(typ, name, version)].add((name, version, fpath))

    def types(self):
        return {k[0] for k in self.keys}

    def of(self, typ):
        return {k for k in self.keys if k[0] == typ}


def match(exp: set, act: set):
    """(both, only_exp, only_act, notes): exact keys first; then Maven artifact-only names against
    group:artifact ones at the same version."""
    both = exp & act
    oe, oa = set(exp - act), set(act - exp)
    pairs = []
    for e in sorted(oe):
        if FAMILY.get(e[0]) != "maven":
            continue
        ea = e[1].split(":")[-1]
        for a in sorted(oa):
            if a[0] == e[0] and a[2] == e[2] and a[1].split(":")[-1] == ea and (":" not in e[1] or ":" not in a[1]):
                pairs.append((e, a))
                oa.discard(a)
                break
    for e, _ in pairs:
        oe.discard(e)
    return both, oe, oa, pairs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--trivy")
    ap.add_argument("--trivy-cdx", help="Trivy's CycloneDX BOM, for its jar components")
    ap.add_argument("--syft", help="Syft JSON, default (image) catalogers")
    ap.add_argument("--syft-all", help="Syft JSON, --override-default-catalogers all (lockfiles too)")
    ap.add_argument("--palisade")
    args = ap.parse_args(argv)

    man_rows = load_manifest(args.manifest)
    scope = collections.defaultdict(set)
    for typ, name, version, fpath, sc in man_rows:
        scope[key(typ, name, version)].add(sc)
    manifest = Listing("manifest", [(t, n, v, p) for t, n, v, p, _ in man_rows])

    tools, notes_top = [], []
    if args.trivy:
        rows = load_trivy_like(args.trivy)
        if args.trivy_cdx:
            rows = [r for r in rows if r[0] != "jar"] + load_trivy_cdx_jars(args.trivy_cdx)
        tools.append(Listing("trivy", rows))
    skipped_all = collections.Counter()
    for label, path in (("syft", args.syft), ("syft-all", args.syft_all)):
        if path:
            rows, skipped = load_syft(path)
            tools.append(Listing(label, rows))
            skipped_all.update({f"{label}: {k}": v for k, v in skipped.items()})
    if args.palisade:
        tools.append(Listing("palisade", load_trivy_like(args.palisade)))
    if skipped_all:
        notes_top.append("not mapped to a type (left out): " +
                         ", ".join(f"{k} x{v}" for k, v in sorted(skipped_all.items())))

    types = set(manifest.types())
    for t in tools:
        types |= t.types()
    types = [t for t in TYPE_ORDER if t in types] + sorted(types - set(TYPE_ORDER))

    def scope_of(k, pairs_map=None):
        sc = set(scope.get(k, set()))
        if pairs_map and k in pairs_map:
            sc |= scope.get(pairs_map[k], set())
        return sc

    # table
    labels = [t.label for t in tools]
    out = []
    w = out.append
    w(f"{'type':<16} {'manifest (prod/dev/self/os)':>28}" + "".join(f"{lab:>10}" for lab in labels))
    totals = collections.Counter()
    for typ in types:
        mk = manifest.of(typ)
        c = collections.Counter()
        for k in mk:
            for sc in scope[k]:
                c[sc] += 1
        mtxt = f"{len(mk)} ({c['prod']}/{c['dev']}/{c['self']}/{c['os']})"
        totals["manifest"] += len(mk)
        cells = []
        for t in tools:
            n = len(t.of(typ))
            totals[t.label] += n
            cells.append(f"{n:>10}")
        w(f"{typ:<16} {mtxt:>28}" + "".join(cells))
    w(f"{'total':<16} {totals['manifest']:>28}" + "".join(f"{totals[lab]:>10}" for lab in labels))
    for n in notes_top:
        w(n)
    w("")

    # differences per tool and type
    fail = []
    tool_by = {t.label: t for t in tools}
    for t in tools:
        w(f"== {t.label} vs manifest")
        any_diff = False
        for typ in types:
            mk, tk = manifest.of(typ), t.of(typ)
            both, oe, oa, pairs = match(mk, tk)
            lines = []
            for e, a in pairs:
                lines.append(f"named differently: manifest {e[1]} {e[2]}, {t.label} {a[1]}")
            for k in sorted(both | {a for _, a in pairs}):
                spell = {(n, v) for n, v, _ in t.keys[k]}
                mspell = {(n, v) for n, v, _ in manifest.keys.get(k, set())}
                if mspell and not spell & mspell:
                    lines.append(f"spelled differently: manifest {sorted(mspell)[0]}, {t.label} {sorted(spell)[0]}")
            owned = [k for k in sorted(both) if scope[k] == {"os"}]
            if owned:
                dirs = sorted({os.path.dirname(sorted(p for _, _, p in t.keys[k])[0]) for k in owned})
                lines.append(f"lists {len(owned)} package(s) of dpkg-owned files (in {', '.join(dirs)}): "
                             + ", ".join(f"{k[1]} {k[2]}" for k in owned[:6]) + (", ..." if len(owned) > 6 else ""))
            missing = sorted(k for k in oe if scope[k] & {"prod"})
            if missing:
                lines.append(f"missing {len(missing)}: " + ", ".join(f"{k[1]} {k[2]}" for k in missing))
            dev = sorted(k for k in mk if scope[k] & {"dev"} and not scope[k] & {"prod"})
            if dev:
                listed = [k for k in dev if k in tk]
                lines.append(f"dev packages listed: {len(listed)} of {len(dev)}"
                             + (f" ({', '.join(f'{k[1]} {k[2]}' for k in listed)})" if listed else ""))
            selfs = sorted(k for k in mk if scope[k] == {"self"})
            if selfs:
                listed = [k for k in selfs if k in tk]
                lines.append(f"project entries listed: {len(listed)} of {len(selfs)}")
            if oa:
                lines.append(f"not in the manifest {len(oa)}: " + ", ".join(
                    f"{k[1]} {k[2]} ({sorted(p for _, _, p in t.keys[k])[0]})" for k in sorted(oa)))
            if lines:
                any_diff = True
                w(f"  {typ}:")
                for ln in lines:
                    w(f"    {ln}")
        if not any_diff:
            w("  (same)")
    # the verdict
    if "palisade" in tool_by:
        pal = tool_by["palisade"]
        w("== Palisade against Trivy and Syft (default catalogers)")
        for ref in ("trivy", "syft"):
            if ref not in tool_by:
                continue
            for typ in types:
                rk = tool_by[ref].of(typ)
                both, oe, oa, pairs = match(rk, pal.of(typ))
                need = sorted(k for k in oe if scope_of(k) != {"os"})
                if need:
                    fail.append(f"{typ}: {ref} lists {len(need)} that palisade does not: "
                                + ", ".join(f"{k[1]} {k[2]}" for k in need))
        for typ in types:
            owned = [k for k in sorted(pal.of(typ)) if scope.get(k) == {"os"}]
            if owned:
                fail.append(f"{typ}: palisade lists {len(owned)} package(s) of dpkg-owned files (the dpkg "
                            "package reports them): " + ", ".join(
                                f"{k[1]} {k[2]} ({sorted(p for _, _, p in pal.keys[k])[0]})" for k in owned))
        for f in fail:
            w(f"  {f}")
        w(f"Result: {'PASS' if not fail else 'FAIL'} ({len(fail)} type(s) with problems)")
    else:
        w("Result: no Palisade report (PALISADE unset): nothing to judge")
    print("\n".join(out))
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
