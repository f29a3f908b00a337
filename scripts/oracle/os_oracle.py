#!/usr/bin/python3
"""os_oracle.py - independent oracle for Palisade's OS-package findings (Alpine, AlmaLinux, Ubuntu).

Reads each image's package database out of its OCI layout (layers applied in order, whiteouts obeyed),
lists the packages with the ecosystem's real tool, reads the OSV zips, and decides which records affect
which package with the ecosystem's own version ordering:

  AlmaLinux:8/9   rpm -qa (sqlite, or bdb_ro for a BerkeleyDB Packages); rpm.labelCompare (python3-rpm)
                  key: binary rpm name; version: the package's [epoch:]version-release
  Alpine:v3.X     the apk installed db (no apk binary here; fields P V A o read directly);
                  apk_cmp below, written from apk-version(8) / APKBUILD pkgver rules
                  key: origin (o:) name; version: the binary package's own V:
  Ubuntu:YY.MM:LTS dpkg-query -W on var/lib/dpkg; `dpkg --compare-versions` (one shell loop for all pairs)
                  key: source package name; version: the source version
  others (openSUSE): listed, not evaluated (no advisories here)

OSV semantics: an affected entry applies to a version v if v is in its `versions`, or any ECOSYSTEM range,
walked in version order, has introduced <= v < fixed (or introduced <= v <= last_affected). A record affects
a package if any of its entries for the package's key does. The fixed version reported is the lowest `fixed`
event above v after which the record no longer affects the package.

AlmaLinux modules (rule of this oracle; OSV records carry no module stream):
  1. an entry whose fixed version contains ".module_el" applies only to a package with a modularity label,
     and an entry without it only to a package without one;
  2. stream: for a modular package whose label's stream (second field of name:stream:version:context)
     is numeric (e.g. "18", "1.22") and whose own version equals the stream or starts with "stream.",
     a module entry applies only if its fixed version (without epoch) starts with "stream." too; so
     nodejs:18 is not affected by the nodejs:20 or 22 stream's fixes. Otherwise no stream filter.

Ids: the oracle's finding id is the OSV record id. A Palisade finding matches a record if its
VulnerabilityID or one of its Aliases is the record id or one of the record's ids: aliases, upstream, and
the CVE named inside an UBUNTU-CVE-/x_ALPINE-CVE- id (Trivy reports Alpine and Ubuntu findings by CVE).
Records that name the same CVE (UBUNTU-CVE-2023-4911 and USN-6409-1) are told apart by an exact record
id first. Withdrawn records are skipped.

Per CVE (as Trivy reports OS findings): a record that names CVEs (its id, UBUNTU-CVE-<cve>, aliases,
upstream with UBUNTU- dropped, related) gives one expected finding per CVE and package; a record naming
none gives one under its own id. When several records give the same CVE for the same package (Ubuntu's
per-CVE record and a notice, two errata), the highest fixed version wins (no fix counts as highest),
then the record naming fewer CVEs, then the smaller record id. A fixed version that differs counts as
a difference.

Usage: os_oracle.py --image NAME=OCI_DIR [--image ...] [--report NAME=REPORT.json ...]
                    [--advisories DIR] [--json OUT.json]
Exit status: 0 the expected and Palisade's findings agree (or no report given), 1 they differ, 2 error.
"""
import argparse
import functools
import gzip
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

WANTED = ("etc/os-release", "usr/lib/os-release", "etc/alpine-release", "lib/apk/db/installed",
          "var/lib/dpkg/status")
WANTED_DIRS = ("var/lib/rpm/", "usr/lib/sysimage/rpm/")
ZIPS = {"AlmaLinux": "almalinux.zip", "Alpine": "alpine-secdb.zip", "Ubuntu": "ubuntu-osv.zip"}


# ------------------------------------------------------------------------------ image reading
def blob(layout, digest):
    algo, h = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, h)


def extract_db_files(layout, dest):
    """Apply the image's layers to `dest`, keeping only package-db and release files."""
    idx = json.load(open(os.path.join(layout, "index.json")))
    desc = idx["manifests"][0]
    man = json.load(open(blob(layout, desc["digest"])))
    if "manifests" in man:  # an index: take linux/amd64
        desc = next(m for m in man["manifests"] if m.get("platform", {}).get("architecture") == "amd64")
        man = json.load(open(blob(layout, desc["digest"])))
    for layer in man["layers"]:
        data = open(blob(layout, layer["digest"]), "rb").read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t:
                name = m.name.lstrip("./")
                d, b = os.path.split(name)
                if b == ".wh..wh..opq":
                    p = os.path.join(dest, d)
                    if os.path.isdir(p) and not os.path.islink(p):
                        shutil.rmtree(p)
                    continue
                if b.startswith(".wh."):
                    p = os.path.join(dest, d, b[4:])
                    if os.path.islink(p) or os.path.isfile(p):
                        os.unlink(p)
                    elif os.path.isdir(p):
                        shutil.rmtree(p)
                    continue
                if not (name in WANTED or name.startswith(WANTED_DIRS) or name + "/" in WANTED_DIRS
                        or name in ("var/lib/rpm",)):
                    continue
                p = os.path.join(dest, name)
                if m.isdir():
                    os.makedirs(p, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(p), exist_ok=True)
                if os.path.lexists(p):
                    if os.path.isdir(p) and not os.path.islink(p):
                        shutil.rmtree(p)
                    else:
                        os.unlink(p)
                if m.issym():
                    os.symlink(m.linkname, p)
                elif m.isfile():
                    with open(p, "wb") as f:
                        f.write(t.extractfile(m).read())


def read_os_release(root):
    for rel in ("etc/os-release", "usr/lib/os-release"):
        p = os.path.join(root, rel)
        if os.path.islink(p):
            p = os.path.join(os.path.dirname(p), os.readlink(p))
        if os.path.isfile(p):
            out = {}
            for line in open(p):
                k, _, v = line.strip().partition("=")
                if k:
                    out[k] = v.strip('"')
            return out
    return {}


def ecosystem_of(osr):
    i, v = osr.get("ID", ""), osr.get("VERSION_ID", "")
    if i == "almalinux":
        return "AlmaLinux", f"AlmaLinux:{v.split('.')[0]}"
    if i == "alpine":
        return "Alpine", "Alpine:v" + ".".join(v.split(".")[:2])
    if i == "ubuntu":
        return "Ubuntu", f"Ubuntu:{v}"
    return None, None


def list_rpm(root):
    q = "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{MODULARITYLABEL}\\n"
    for dbpath, backend, f in (("/var/lib/rpm", "sqlite", "rpmdb.sqlite"), ("/var/lib/rpm", "bdb_ro", "Packages"),
                               ("/usr/lib/sysimage/rpm", "sqlite", "rpmdb.sqlite")):
        if os.path.isfile(os.path.join(root, dbpath.lstrip("/"), f)) and not os.path.islink(
                os.path.join(root, dbpath.lstrip("/"))):
            r = subprocess.run(["rpm", "--root", root, "--dbpath", dbpath, "--define", f"_db_backend {backend}",
                                "-qa", "--qf", q], capture_output=True, text=True)
            pk = []
            for line in r.stdout.splitlines():
                n, e, v, rel, a, srpm, mod = line.split("\t")
                e = "" if e == "(none)" else e
                pk.append({"name": n, "version": (f"{e}:" if e else "") + f"{v}-{rel}", "arch": a,
                           "src": srpm, "module": "" if mod == "(none)" else mod})
            return pk, f"rpm ({backend} {dbpath})"
    ndb = os.path.join(root, "usr/lib/sysimage/rpm/Packages.db")
    if os.path.isfile(ndb):
        import rpm
        pk = []
        for b in ndb_blobs(ndb):
            h = rpm.hdr(b)
            e = h["epoch"]
            pk.append({"name": h["name"], "version": (f"{e}:" if e is not None else "") + f"{h['version']}-{h['release']}",
                       "arch": h["arch"], "src": h["sourcerpm"], "module": h["modularitylabel"] or ""})
        return pk, "ndb Packages.db (python3-rpm headers)"
    return [], None


def ndb_blobs(path):
    """Header blobs of an ndb Packages.db (rpm's lib/backend/ndb/rpmpkg.c layout, little-endian)."""
    data = open(path, "rb").read()
    magic, _ver, _gen, npages, _nxt = struct.unpack_from("<5I", data, 0)
    if magic != 0x506D7052:
        raise SystemExit(f"{path}: not an ndb database")
    out = []
    for o in range(32, npages * 4096, 16):
        _m, idx, off, cnt = struct.unpack_from("<4I", data, o)
        if off:
            b = off * 16
            _bm, _i, _g, blen = struct.unpack_from("<4I", data, b)
            out.append(data[b + 16:b + 16 + blen])
    return out


def list_dpkg(root):
    admin = os.path.join(root, "var/lib/dpkg")
    if not os.path.isfile(os.path.join(admin, "status")):
        return [], None
    r = subprocess.run(["dpkg-query", f"--admindir={admin}", "-W", "-f",
                        "${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\n"],
                       capture_output=True, text=True, check=True)
    pk = []
    for line in r.stdout.splitlines():
        st, n, v, a, sn, sv = line.split("\t")
        if st == "installed":
            pk.append({"name": n, "version": v, "arch": a, "srcname": sn, "srcversion": sv})
    return pk, "dpkg-query"


def list_apk(root):
    p = os.path.join(root, "lib/apk/db/installed")
    if not os.path.isfile(p):
        return [], None
    pk = []
    for st in open(p, encoding="utf-8").read().split("\n\n"):
        f = {}
        for line in st.splitlines():
            if len(line) > 2 and line[1] == ":" and line[0] not in f:
                f[line[0]] = line[2:]
        if "P" in f:
            pk.append({"name": f["P"], "version": f["V"], "arch": f.get("A", ""), "origin": f.get("o", f["P"])})
    return pk, "apk installed db"


# ------------------------------------------------------------------------------ version orderings
def rpm_evr(s):
    e, sep, rest = s.partition(":")
    if not sep:
        e, rest = "0", s
    v, _, r = rest.rpartition("-")
    if not v:
        v, r = rest, ""
    return (e or "0", v, r or None)


def rpm_cmp(a, b):
    import rpm
    return rpm.labelCompare(rpm_evr(a), rpm_evr(b))


APK_PRE = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1}
APK_POST = {"cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}
APK_RE = re.compile(r"^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(~[0-9a-f]+)?(?:-r(\d+))?$")


class ApkInvalid(ValueError):
    pass


def apk_key(v):
    """apk-version(8): digits{.digits}[letter]{_suffix[number]}[~hash][-rN]. Suffix order:
    _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p. Numeric components compare as
    integers, except a later component with a leading zero, which compares as a decimal fraction (0.05 < 0.5).
    The ~hash is ignored."""
    m = APK_RE.match(v)
    if not m:
        raise ApkInvalid(v)
    nums, letter, sufs, _h, rev = m.groups()
    parts = nums.split(".")
    comps = [(0, int(parts[0]))]
    for p in parts[1:]:
        comps.append((0, int(p)) if not p.startswith("0") or p == "0" else (-1, p))
    suffixes = [(APK_PRE.get(s) or APK_POST[s], int(n or 0))
                for s, n in re.findall(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)", sufs)]
    return comps, letter, suffixes, int(rev or 0)


def _cmp(a, b):
    return (a > b) - (a < b)


def apk_cmp(a, b):
    ca, la, sa, ra = apk_key(a)
    cb, lb, sb, rb = apk_key(b)
    for x, y in zip(ca, cb):
        if x[0] == 0 and y[0] == 0:
            c = _cmp(x[1], y[1])
        else:  # a leading-zero component: compare as fractions "0.<digits>"
            c = _cmp(float("0." + str(x[1])) if x[0] else float(x[1]), float("0." + str(y[1])) if y[0] else float(y[1]))
        if c:
            return c
    if len(ca) != len(cb):  # more numeric components is newer (1.2 < 1.2.1, 1.2_p1 < 1.2.1, 1.2a < 1.2.1)
        return _cmp(len(ca), len(cb))
    c = _cmp(la, lb)
    if c:
        return c
    for i in range(max(len(sa), len(sb))):  # a missing suffix ranks between pre- and post-release ones
        x = sa[i] if i < len(sa) else (0, 0)
        y = sb[i] if i < len(sb) else (0, 0)
        c = _cmp(x, y)
        if c:
            return c
    return _cmp(ra, rb)


class DpkgCmp:
    """dpkg --compare-versions for every pair, in one shell loop; results cached."""

    def __init__(self):
        self.cache = {}

    def prime(self, pairs):
        todo = sorted({p for p in pairs if p not in self.cache})
        if not todo:
            return
        script = ('while IFS="\t" read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; '
                  'elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done')
        r = subprocess.run(["sh", "-c", script], input="".join(f"{a}\t{b}\n" for a, b in todo),
                           capture_output=True, text=True, check=True)
        for p, c in zip(todo, r.stdout.split()):
            self.cache[p] = int(c)

    def __call__(self, a, b):
        if (a, b) not in self.cache:
            self.prime([(a, b)])
        return self.cache[(a, b)]


DPKG = DpkgCmp()
CMP = {"AlmaLinux": rpm_cmp, "Alpine": apk_cmp, "Ubuntu": DPKG}


# ------------------------------------------------------------------------------ OSV evaluation
def load_records(path, ecosystem, distro):
    """{key name: [(record, [entries])]} for the ecosystem (exact match; Ubuntu also with ':LTS')."""
    ok = {ecosystem, ecosystem + ":LTS"} if distro == "Ubuntu" else {ecosystem}
    out = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            r = json.loads(z.read(n))
            if r.get("withdrawn"):
                continue
            by = {}
            for a in r.get("affected", []):
                if a.get("package", {}).get("ecosystem") in ok:
                    by.setdefault(a["package"]["name"], []).append(a)
            for name, ents in by.items():
                out.setdefault(name, []).append((r, ents))
    return out


def range_affects(events, v, cmp):
    evs = []
    for e in events:
        for k in ("introduced", "fixed", "last_affected", "limit"):
            if k in e:
                evs.append((k, e[k]))
    def key(kv):
        return kv[1]
    evs = [x for x in evs if x[0] != "limit"]
    evs.sort(key=functools.cmp_to_key(lambda x, y: -1 if x[1] == "0" and y[1] != "0" else
                                      1 if y[1] == "0" and x[1] != "0" else 0 if x[1] == y[1] == "0" else cmp(x[1], y[1])))
    affected = False
    for k, ver in evs:
        if k == "introduced":
            if ver == "0" or cmp(ver, v) <= 0:
                affected = True
        elif k == "fixed":
            if cmp(ver, v) <= 0:
                affected = False
        elif k == "last_affected":
            if cmp(ver, v) < 0:
                affected = False
    return affected


def entry_fixed_versions(ent):
    return [e["fixed"] for r in ent.get("ranges", []) for e in r.get("events", []) if "fixed" in e]


def module_filter(ents, pkg):
    """AlmaLinux module rule (see the module docstring)."""
    mod = pkg.get("module", "")
    out = []
    for ent in ents:
        fx = entry_fixed_versions(ent)
        is_mod = any(".module_el" in f for f in fx)
        if bool(mod) != is_mod:
            continue
        if mod:
            stream = mod.split(":")[1] if mod.count(":") >= 1 else ""
            own = rpm_evr(pkg["version"])[1]
            if re.fullmatch(r"\d+(\.\d+)*", stream) and (own == stream or own.startswith(stream + ".")):
                if not all(rpm_evr(f)[1] == stream or rpm_evr(f)[1].startswith(stream + ".") for f in fx):
                    continue
        out.append(ent)
    return out


def entries_affect(ents, v, cmp):
    for ent in ents:
        if v in ent.get("versions", []):
            return True
        for rg in ent.get("ranges", []):
            if rg.get("type") in ("ECOSYSTEM", None) and range_affects(rg.get("events", []), v, cmp):
                return True
    return False


def decide(distro, pkg, ents, v):
    cmp = CMP[distro]
    if distro == "AlmaLinux":
        ents = module_filter(ents, pkg)
    if not ents or not entries_affect(ents, v, cmp):
        return None
    fixes = sorted({f for e in ents for f in entry_fixed_versions(e)}, key=functools.cmp_to_key(cmp))
    for f in fixes:
        if cmp(f, v) > 0 and not entries_affect(ents, f, cmp):
            return {"fixed": f}
    return {"fixed": ""}


def record_ids(r):
    ids = {r["id"], *r.get("aliases", []), *r.get("upstream", [])}
    m = re.match(r"^(?:UBUNTU-|x_ALPINE-)(CVE-\d+-\d+)$", r["id"])
    if m:
        ids.add(m.group(1))
    return ids


def cve_ids(r):
    """CVE ids a record stands for: its id, aliases, upstream, related (UBUNTU- prefix dropped), once each."""
    out = []
    for x in [r["id"], *r.get("aliases", []), *r.get("upstream", []), *r.get("related", [])]:
        x = x.strip()
        if x.startswith("UBUNTU-"):
            x = x[len("UBUNTU-"):]
        if re.fullmatch(r"CVE-\d{4}-\d{4,}", x) and x not in out:
            out.append(x)
    return out


def per_cve(exp, cmp):
    """Expands record findings into per-CVE findings and keeps one per (CVE, package, installed)."""
    def better(y, old):
        fy, fo = y["fixed"], old["fixed"]
        if fy != fo:
            if fy == "":
                return True
            if fo == "":
                return False
            c = cmp(fy, fo)
            if c != 0:
                return c > 0
        if y["weight"] != old["weight"]:
            return y["weight"] < old["weight"]
        return y["record"] < old["record"]

    best = {}
    for x in exp:
        r = x.pop("rec")
        cves = cve_ids(r)
        for c in (cves or [r["id"]]):
            y = dict(x, id=c, ids=sorted({c, r["id"]}), weight=max(1, len(cves)), record=r["id"])
            k = (c, x["package"], x["installed"])
            if k not in best or better(y, best[k]):
                best[k] = y
    return list(best.values())


def key_of(distro, p):
    if distro == "AlmaLinux":
        return p["name"], p["version"]
    if distro == "Alpine":
        return p["origin"], p["version"]
    return p["srcname"], p["srcversion"]


# ------------------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--image", action="append", default=[], help="NAME=OCI_LAYOUT_DIR")
    ap.add_argument("--report", action="append", default=[], help="NAME=Palisade JSON report")
    ap.add_argument("--advisories", default="/work/shared/data/advisories")
    ap.add_argument("--json", help="write everything as JSON here")
    ap.add_argument("--brief", type=int, default=0, metavar="N",
                    help="print at most N differences per image (0: all) and not the expected lists")
    a = ap.parse_args()
    reports = dict(x.split("=", 1) for x in a.report)
    out = {"images": {}}
    differ = False
    table = []
    for spec in a.image:
        name, layout = spec.split("=", 1)
        tmp = tempfile.mkdtemp(prefix="os-oracle-")
        try:
            extract_db_files(layout, tmp)
            osr = read_os_release(tmp)
            distro, eco = ecosystem_of(osr)
            pkgs, how = list_rpm(tmp)
            if not pkgs:
                pkgs, how = list_dpkg(tmp)
            if not pkgs:
                pkgs, how = list_apk(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        img = {"os": f"{osr.get('ID', '?')} {osr.get('VERSION_ID', '?')}", "ecosystem": eco, "read_by": how,
               "packages": len(pkgs), "expected": [], "unevaluable": []}
        out["images"][name] = img
        print(f"== {name}: {img['os']} ({eco or 'no advisories'}), {len(pkgs)} packages read by {how}")
        if not distro:
            table.append((name, len(pkgs), "-", "-", "-", "-", "-"))
            continue
        recs = load_records(os.path.join(a.advisories, ZIPS[distro]), eco, distro)
        if distro == "Ubuntu":  # one batch for dpkg: every pair among the versions that can meet
            allv = set()
            for p in pkgs:
                k, v = key_of(distro, p)
                if k in recs:
                    allv.add(v)
                    allv |= {ev[kk] for _r, es in recs[k] for e in es for rg in e.get("ranges", [])
                             for ev in rg.get("events", []) for kk in ("introduced", "fixed", "last_affected")
                             if kk in ev and ev[kk] != "0"}
            DPKG.prime([(x, y) for x in allv for y in allv])
        exp = []
        for p in pkgs:
            k, v = key_of(distro, p)
            for r, ents in recs.get(k, []):
                try:
                    d = decide(distro, p, ents, v)
                except ApkInvalid as e:
                    img["unevaluable"].append({"package": p["name"], "version": v, "id": r["id"], "invalid": str(e)})
                    continue
                if d:
                    exp.append({"id": r["id"], "ids": sorted(record_ids(r)), "package": p["name"],
                                "installed": p["version"], "fixed": d["fixed"], "key": k, "rec": r})
        exp = per_cve(exp, CMP[distro])
        exp.sort(key=lambda x: (x["package"], x["id"]))
        img["expected"] = exp
        print(f"   expected findings: {len(exp)}")
        for x in ([] if a.brief else exp):
            print(f"   {x['id']:<24} {x['package']:<24} {x['installed']:<40} fixed {x['fixed'] or '-'}")
        for u in img["unevaluable"]:
            print(f"   unevaluable: {u}")
        if name not in reports:
            table.append((name, len(pkgs), len(exp), "-", "-", "-", "-"))
            continue
        rep = json.load(open(reports[name]))
        got = []
        for res in rep.get("Results", []) or []:
            if res.get("Class") != "os-pkgs":
                continue
            for v in res.get("Vulnerabilities", []) or []:
                got.append(v)
        # match: exact record id first, then any shared id
        unmatched = list(range(len(got)))
        pairs = []
        rest = []
        for x in exp:
            j = next((j for j in unmatched if got[j]["PkgName"] == x["package"]
                      and x["id"] in {got[j]["VulnerabilityID"], *(got[j].get("Aliases") or [])}), None)
            if j is None:
                rest.append(x)
            else:
                unmatched.remove(j)
                pairs.append((x, got[j]))
        only_oracle = []
        for x in rest:
            j = next((j for j in unmatched if got[j]["PkgName"] == x["package"]
                      and set(x["ids"]) & {got[j]["VulnerabilityID"], *(got[j].get("Aliases") or [])}), None)
            if j is None:
                only_oracle.append(x)
            else:
                unmatched.remove(j)
                pairs.append((x, got[j]))
        only_pal = [got[j] for j in unmatched]
        cmp = CMP[distro]
        vdiff = []
        for x, g in pairs:
            notes = []
            if g.get("InstalledVersion") != x["installed"]:
                notes.append(f"installed {g.get('InstalledVersion')!r} vs {x['installed']!r}")
            gf = g.get("FixedVersion") or ""
            try:
                same = (gf == x["fixed"]) or (gf and x["fixed"] and cmp(gf, x["fixed"]) == 0)
            except Exception:
                same = False
            if not same:
                notes.append(f"fixed {gf!r} vs oracle {x['fixed']!r}")
            if notes:
                vdiff.append((x, g, notes))
        img.update({"palisade": len(got), "both": len(pairs), "only_oracle": only_oracle,
                    "only_palisade": [{k: g.get(k) for k in ("VulnerabilityID", "PkgName", "InstalledVersion",
                                                              "FixedVersion", "Aliases")} for g in only_pal],
                    "version_differs": [{"id": x["id"], "package": x["package"], "notes": n} for x, _g, n in vdiff]})
        if only_oracle or only_pal or vdiff:
            differ = True
        npk = sum(len(res.get("Packages") or []) for res in rep.get("Results", []) or []
                  if res.get("Class") == "os-pkgs")
        if npk == 0:
            print("   Palisade's report lists no OS packages (run with --list-all-pkgs; or its analyzer found none)")
        lines = [f"   ONLY IN ORACLE (Palisade missed): {x['id']} {x['package']} {x['installed']} fixed {x['fixed'] or '-'}"
                 for x in only_oracle]
        lines += [f"   ONLY IN PALISADE: {g.get('VulnerabilityID')} {g.get('PkgName')} {g.get('InstalledVersion')} "
                  f"fixed {g.get('FixedVersion') or '-'} aliases {g.get('Aliases') or []}" for g in only_pal]
        lines += [f"   DIFFERS: {x['id']} {x['package']}: {'; '.join(n)}" for x, _g, n in vdiff]
        for line in (lines[:a.brief] if a.brief else lines):
            print(line)
        if a.brief and len(lines) > a.brief:
            print(f"   ... {len(lines) - a.brief} more (run without --brief, or see --json)")
        table.append((name, len(pkgs), len(exp), len(got), len(pairs), len(only_oracle), len(only_pal)))
    print()
    print(f"{'image':<10} {'packages':>8} {'expected':>8} {'palisade':>8} {'both':>5} {'only-oracle':>11} {'only-palisade':>13}")
    for row in table:
        print(f"{row[0]:<10} {row[1]:>8} {row[2]:>8} {row[3]:>8} {row[4]:>5} {row[5]:>11} {row[6]:>13}")
    if a.json:
        json.dump(out, open(a.json, "w"), indent=1)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
