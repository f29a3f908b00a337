#!/usr/bin/env python3
"""Expected language packages of the `apps` test image, read from the files the real tools wrote.

Used by scripts/build-test-images.sh (build_apps in scripts/apps_image.sh). Each subcommand reads one
ecosystem's staged layer directory (paths below it are the image's paths) and prints TSV rows:

    Type  Name  Version  Path  Scope

Type is Trivy's package type (gemspec bundler jar composer composer-vendor dotnet-core nuget yarn pnpm
poetry pipenv). Name is the ecosystem's own: RubyGems gem name, Maven `groupId:artifactId`, Composer
`vendor/name`, NuGet id, npm name, PyPI name as the lockfile writes it. Path is the file that records
the package (a nested archive is `outer.jar!BOOT-INF/lib/inner.jar`). Scope:

    prod  a package the application runs with
    self  the project itself, as its own manifest names it (a package.json, a .deps.json project):
          Trivy lists these too
    dev   recorded only for development or build (devDependencies, require-dev, Poetry's dev group,
          Pipfile's develop, packages.config developmentDependency, a .deps.json package with no
          runtime assets): a scanner may leave it out, as Trivy does by default
    os    in a file that a dpkg package owns: a scanner should report the dpkg package, not this

Nothing here is a scanner: Ruby files are read by Debian's ruby itself (Gem::Specification.load,
Bundler::LockfileParser, Psych for YAML lockfiles), the rest with the standard library.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile


OWNED: set[str] = set()  # files that dpkg packages own (their info/*.list), as /path


def row(typ, name, version, path, scope="prod"):
    """One manifest row; a package recorded in a dpkg-owned file gets scope os, whatever it is."""
    if "/" + path.split("!", 1)[0] in OWNED:
        scope = "os"
    for f in (typ, name, version, path, scope):
        if not f or "\t" in f or "\n" in f:
            raise SystemExit(f"apps_manifest: bad field {f!r} in {typ} {name} {version} {path}")
    print(f"{typ}\t{name}\t{version}\t{path}\t{scope}")


def files(root, pred):
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            if not os.path.islink(p) and pred(n, p):
                yield p, os.path.relpath(p, root)


def ruby_json(script, *args):
    out = subprocess.run(["ruby", "-e", script, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


# ------------------------------------------------------------------ Ruby

GEMSPECS_RB = r"""
require "json"; require "rubygems"
out = ARGV.map { |f| s = Gem::Specification.load(f) or abort("cannot load #{f}"); [f, s.name, s.version.to_s] }
puts JSON.dump(out)
"""
LOCK_RB = r"""
require "json"; require "bundler"
ENV["BUNDLE_GEMFILE"] = File.join(File.dirname(File.expand_path(ARGV[0])), "Gemfile")  # Bundler.root
l = Bundler::LockfileParser.new(File.read(ARGV[0]))
puts JSON.dump(l.specs.map { |s| [s.name, s.version.to_s] })
"""


def ruby(root):
    """Installed gemspecs (specifications/*.gemspec, as RubyGems lays them out) and Gemfile.lock."""
    specs = [(p, rel) for p, rel in files(root, lambda n, p: n.endswith(".gemspec")
                                         and os.path.basename(os.path.dirname(p)) in ("specifications", "default"))]
    if specs:
        rel_of = dict(specs)
        for f, name, version in ruby_json(GEMSPECS_RB, *[p for p, _ in specs]):
            rel = rel_of[f]
            row("gemspec", name, version, rel)
    for p, rel in files(root, lambda n, p: n == "Gemfile.lock"):
        for name, version in ruby_json(LOCK_RB, p):
            row("bundler", name, version, rel)


# ------------------------------------------------------------------ Java

ARCHIVE = re.compile(r"\.(jar|war|ear|par|sar|jpi|hpi)$", re.I)
NAME_VERSION = re.compile(r"^(?P<a>[A-Za-z][\w.\-]*?)-(?P<v>\d[\w.\-]*?)\.(jar|war|ear)$")


def manifest_attrs(data: bytes) -> dict[str, str]:
    attrs, key = {}, None
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith(" ") and key:
            attrs[key] += line[1:]
        elif ":" in line:
            key, _, v = line.partition(":")
            attrs[key.strip()] = v.strip()
        elif not line.strip():
            break  # main section only
    return attrs


def props(data: bytes) -> dict[str, str]:
    out = {}
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def java_archive(data: bytes, path: str, name: str, scope: str):
    """Rows for one archive and, recursively, the archives inside it. What the archive says about
    itself, in this order: every META-INF/maven/**/pom.properties (a shaded jar has several); else the
    manifest's Implementation-Title and -Version (with Implementation-Vendor-Id as the group when
    present; otherwise the name is the artifact alone); else the file name `artifact-version.jar`."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        entries = z.namelist()
        poms = [e for e in entries if e.startswith("META-INF/maven/") and e.endswith("/pom.properties")]
        found = False
        for e in sorted(poms):
            p = props(z.read(e))
            if p.get("groupId") and p.get("artifactId") and p.get("version"):
                row("jar", f"{p['groupId']}:{p['artifactId']}", p["version"], path, scope)
                found = True
        if not found and "META-INF/MANIFEST.MF" in entries:
            m = manifest_attrs(z.read("META-INF/MANIFEST.MF"))
            if m.get("Implementation-Title") and m.get("Implementation-Version"):
                group = m.get("Implementation-Vendor-Id")
                art = m["Implementation-Title"]
                row("jar", f"{group}:{art}" if group else art, m["Implementation-Version"], path, scope)
                found = True
        if not found:
            mt = NAME_VERSION.match(name)
            if not mt:
                raise SystemExit(f"apps_manifest: {path}: no pom.properties, manifest or versioned name")
            row("jar", mt["a"], mt["v"], path, scope)
        for e in sorted(entries):
            if ARCHIVE.search(e) and not e.endswith("/"):
                java_archive(z.read(e), f"{path}!{e}", os.path.basename(e), scope)


def java(root):
    for p, rel in files(root, lambda n, p: bool(ARCHIVE.search(n))):
        with open(p, "rb") as f:
            java_archive(f.read(), rel, os.path.basename(p), "prod")


# ------------------------------------------------------------------ PHP


def php(root):
    for p, rel in files(root, lambda n, p: n == "composer.lock"):
        lock = json.load(open(p))
        for key, scope in (("packages", "prod"), ("packages-dev", "dev")):
            for pkg in lock.get(key) or []:
                row("composer", pkg["name"], pkg["version"], rel, scope)
    for p, rel in files(root, lambda n, p: n == "installed.json" and p.endswith("/vendor/composer/installed.json")):
        doc = json.load(open(p))
        dev = set(doc.get("dev-package-names") or [])
        for pkg in doc.get("packages") or []:
            row("composer-vendor", pkg["name"], pkg["version"], rel, "dev" if pkg["name"] in dev else "prod")


# ------------------------------------------------------------------ .NET


def dotnet(root):
    for p, rel in files(root, lambda n, p: n.endswith(".deps.json")):
        doc = json.load(open(p))
        target = doc["runtimeTarget"]["name"]
        tgt = doc["targets"][target]
        for key, lib in doc["libraries"].items():
            name, _, version = key.partition("/")
            if lib.get("type") == "project":
                row("dotnet-core", name, version, rel, "self")
            if lib.get("type") != "package":
                continue
            assets = tgt.get(key) or {}
            runs = any(assets.get(k) for k in ("runtime", "native", "runtimeTargets", "resources"))
            row("dotnet-core", name, version, rel, "prod" if runs else "dev")
    for p, rel in files(root, lambda n, p: n == "packages.lock.json"):
        doc = json.load(open(p))
        seen = set()
        for fw, pkgs in doc["dependencies"].items():
            for name, info in pkgs.items():
                if info.get("type") in ("Direct", "Transitive", "CentralTransitive") and \
                        (name, info["resolved"]) not in seen:
                    seen.add((name, info["resolved"]))
                    row("nuget", name, info["resolved"], rel)
    for p, rel in files(root, lambda n, p: n == "packages.config"):
        for el in ET.parse(p).getroot().iter("package"):
            dev = el.get("developmentDependency", "").lower() == "true"
            row("nuget", el.get("id"), el.get("version"), rel, "dev" if dev else "prod")


# ------------------------------------------------------------------ Node

YAML_RB = r"""require "json"; require "yaml"; puts JSON.dump(YAML.load_file(ARGV[0]))"""


def split_spec(spec: str) -> tuple[str, str]:
    """`@scope/name@range` -> (name, range): the name ends at the first `@` after its first
    character; berry ranges keep their protocol (`npm:^1.0`, `patch:typescript@npm%3A4.0.2#...`)."""
    at = spec.find("@", 1)
    if at <= 0:
        return spec, ""
    return spec[:at], spec[at + 1:]


def yarn_v1_entries(text: str):
    """The classic lockfile: unindented `"a@^1", a@~1.1:` headers, then `  version "x"` and
    `  dependencies:` with `    name "range"` lines."""
    entries, cur, block = [], None, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            specs = [s.strip().strip('"') for s in line.rstrip(":").split(",")]
            cur = {"specs": specs, "version": None, "deps": {}}
            entries.append(cur)
            block = None
        elif line.startswith("    ") and block in ("dependencies", "optionalDependencies"):
            k, _, v = line.strip().partition(" ")
            cur["deps"][k.strip('"')] = v.strip('"')
        elif line.startswith("  "):
            k, _, v = line.strip().partition(" ")
            block = k.rstrip(":") if k.endswith(":") and not v else None
            if k == "version":
                cur["version"] = v.strip('"')
    return entries


def reach(roots: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen, todo = set(), list(roots)
    while todo:
        k = todo.pop()
        if k in seen:
            continue
        seen.add(k)
        todo.extend(edges.get(k, []))
    return seen


def npm_lock(doc):
    """package-lock.json: (name, version, dev) of every package; lockfileVersion 2 and 3 list
    `packages` keyed by install path, version 1 nests `dependencies`."""
    if isinstance(doc.get("packages"), dict):
        for path, info in doc["packages"].items():
            if path and "node_modules/" in path and not info.get("link"):
                yield path.rsplit("node_modules/", 1)[1], info["version"], bool(info.get("dev"))
        return
    todo = list((doc.get("dependencies") or {}).items())
    while todo:
        name, info = todo.pop()
        yield name, info["version"], bool(info.get("dev"))
        todo.extend((info.get("dependencies") or {}).items())


def node(root):
    for p, rel in files(root, lambda n, p: n == "package.json" and "/node_modules/" not in p):
        pj = json.load(open(p))
        if pj.get("name") and pj.get("version"):
            row("node-pkg", pj["name"], pj["version"], rel, "self")
    for p, rel in files(root, lambda n, p: n == "package-lock.json"):
        for name, version, dev in sorted(set(npm_lock(json.load(open(p))))):
            row("npm", name, version, rel, "dev" if dev else "prod")
    for p, rel in files(root, lambda n, p: n == "yarn.lock"):
        pj = json.load(open(os.path.join(os.path.dirname(p), "package.json")))
        text = open(p).read()
        if "__metadata:" in text:  # berry: YAML
            doc = ruby_json(YAML_RB, p)
            by_spec, pkgs = {}, []
            for key, e in doc.items():
                if key == "__metadata" or not isinstance(e, dict):
                    continue
                specs = [s.strip() for s in key.split(",")]
                name, locator = split_spec(e["resolution"])
                if locator.startswith("workspace:"):
                    continue  # the project itself
                if locator.startswith("patch:"):
                    continue  # a patched copy of another entry (yarn's builtin compat patches): that one counts
                k = f"{name}@{e['version']}"
                pkgs.append((name, e["version"], k))
                for s in specs:
                    by_spec[s] = k
                deps = e.get("dependencies") or {}
                e["_deps"] = [f"{d}@{r}" for d, r in deps.items()]
                e["_key"] = k
            edges = {e["_key"]: [by_spec[s] for s in e["_deps"] if s in by_spec]
                     for e in doc.values() if isinstance(e, dict) and "_key" in e}

            def root_spec(d, r):
                return by_spec.get(f"{d}@{r}") or by_spec.get(f"{d}@npm:{r}")
        else:
            entries = yarn_v1_entries(text)
            by_spec, pkgs, edges = {}, [], {}
            for e in entries:
                name = split_spec(e["specs"][0])[0]
                k = f"{name}@{e['version']}"
                pkgs.append((name, e["version"], k))
                for s in e["specs"]:
                    by_spec[s] = k
            for e in entries:
                k = f"{split_spec(e['specs'][0])[0]}@{e['version']}"
                edges[k] = [by_spec[f"{d}@{r}"] for d, r in e["deps"].items() if f"{d}@{r}" in by_spec]

            def root_spec(d, r):
                return by_spec.get(f"{d}@{r}")
        prod = reach([root_spec(d, r) for d, r in (pj.get("dependencies") or {}).items()], edges)
        for name, version, k in sorted(set(pkgs)):
            row("yarn", name, version, rel, "prod" if k in prod else "dev")
    for p, rel in files(root, lambda n, p: n == "pnpm-lock.yaml"):
        doc = ruby_json(YAML_RB, p)
        if str(doc.get("lockfileVersion")) not in ("9.0", "9"):
            raise SystemExit(f"apps_manifest: {rel}: lockfileVersion {doc.get('lockfileVersion')}, expected 9.0")
        edges = {k: [f"{d}@{v.split('(')[0]}" for d, v in (s.get("dependencies") or {}).items()]
                 for k, s in (doc.get("snapshots") or {}).items()}
        imp = doc["importers"]["."]
        roots = [f"{d}@{v['version'].split('(')[0]}" for d, v in (imp.get("dependencies") or {}).items()]
        prod = reach(roots, edges)
        for key in sorted(doc.get("packages") or {}):
            name, version = split_spec(key)
            row("pnpm", name, version, rel, "prod" if key in prod else "dev")


# ------------------------------------------------------------------ Python


def python(root):
    for p, rel in files(root, lambda n, p: n == "poetry.lock"):
        lock = tomllib.load(open(p, "rb"))
        for pkg in lock.get("package") or []:
            groups = pkg.get("groups")
            if groups is None:  # lock-version 2.0 and older: category
                dev = pkg.get("category") == "dev"
            else:
                dev = "main" not in groups
            row("poetry", pkg["name"], pkg["version"], rel, "dev" if dev else "prod")
    for p, rel in files(root, lambda n, p: n == "Pipfile.lock"):
        lock = json.load(open(p))
        for sect, scope in (("default", "prod"), ("develop", "dev")):
            for name, info in sorted((lock.get(sect) or {}).items()):
                row("pipenv", name, info["version"].removeprefix("=="), rel, scope)


def main():
    readers = {"ruby": ruby, "java": java, "php": php, "dotnet": dotnet, "node": node, "python": python}
    if len(sys.argv) < 3 or not all(k in readers or k == "all" for k in sys.argv[1].split(",")):
        raise SystemExit("usage: apps_manifest.py all|ruby,java,php,dotnet,node,python DIR [DPKG_INFO_DIR]")
    kinds, root = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:  # files that dpkg packages own: their *.list files
        info = sys.argv[3]
        for n in os.listdir(info):
            if n.endswith(".list"):
                OWNED.update(line.rstrip("\n") for line in open(os.path.join(info, n)))
    for k in (readers if kinds == "all" else kinds.split(",")):
        readers[k](root)


if __name__ == "__main__":
    main()
