"""Self-test of the oracle on synthetic OSV records and a hand-made report, with the real
version tools (run scripts/oracle/run.sh --setup-only first, or let run.sh --self-test do it).

    python3 -m unittest discover -s scripts/oracle/tests -v
"""

import json
import os
import sys
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import oracle  # noqa: E402


def rec(id_, eco, name, ranges=None, versions=None, aliases=(), withdrawn=None):
    aff = {"package": {"ecosystem": eco, "name": name}}
    if ranges is not None:
        aff["ranges"] = ranges
    if versions is not None:
        aff["versions"] = versions
    r = {"id": id_, "modified": "2024-01-01T00:00:00Z", "aliases": list(aliases),
         "affected": [aff]}
    if withdrawn:
        r["withdrawn"] = withdrawn
    return r


def rng(typ, *events):
    return {"type": typ, "events": [{k: v} for k, v in events]}


RECORDS = [
    # PyPI
    rec("X-PY-1", "PyPI", "zope-interface", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "5.1"))]),
    rec("X-PY-2", "PyPI", "django", versions=["3.2.0"]),  # PEP 440: 3.2 == 3.2.0
    rec("X-PY-3", "PyPI", "Django", [rng("ECOSYSTEM", ("introduced", "3.2"), ("last_affected", "3.2"))]),
    rec("X-PY-4", "PyPI", "django", [rng("ECOSYSTEM", ("introduced", "4.0"), ("fixed", "4.0.1"),
                                         ("introduced", "0"), ("fixed", "3.1"))]),  # unsorted
    rec("X-PY-5", "PyPI", "django", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "3.2rc1"))]),
    rec("X-PY-6", "PyPI", "django", [rng("ECOSYSTEM", ("introduced", "0"))],
        withdrawn="2024-01-02T00:00:00Z"),
    rec("X-PY-7", "PyPI", "django", [rng("GIT", ("introduced", "0"), ("fixed", "a" * 40))]),
    rec("X-PY-8", "PyPI", "django", [rng("ECOSYSTEM", ("introduced", "3.1"), ("fixed", "3.1.5"),
                                         ("introduced", "3.2"), ("fixed", "3.2.4"))],
        aliases=["CVE-2099-0008"]),
    # npm
    rec("X-NPM-1", "npm", "minimist", [rng("SEMVER", ("introduced", "1.0.0"), ("fixed", "1.2.6"))]),
    rec("X-NPM-2", "npm", "minimist", [rng("SEMVER", ("introduced", "0"), ("fixed", "1.2.0-0"))]),
    rec("X-NPM-3", "npm", "Minimist", [rng("SEMVER", ("introduced", "0"))]),
    rec("X-NPM-4", "npm", "minimist", [rng("SEMVER", ("introduced", "0"), ("limit", "1.1.0"))]),
    rec("X-NPM-5", "npm", "minimist", [rng("SEMVER", ("introduced", "0"), ("limit", "*"))]),
    rec("X-NPM-6", "npm", "minimist", [rng("SEMVER", ("introduced", "0"), ("last_affected", "1.2.0"))]),
    # Go
    rec("X-GO-1", "Go", "stdlib", [rng("SEMVER", ("introduced", "0"), ("fixed", "1.21.0-rc.2"))]),
    rec("X-GO-2", "Go", "golang.org/x/text", [rng("SEMVER", ("introduced", "0"), ("fixed", "0.3.8"))]),
    rec("X-GO-3", "Go", "golang.org/x/Text", [rng("SEMVER", ("introduced", "0"))]),
    rec("X-PY-9", "PyPI", "legacy", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.0"))],
        versions=["0.9-eevee"]),  # not PEP 440: only the exact string can match
    # Go, two entries for one package: 1.20.11 is still affected by the second one.
    {"id": "X-GO-4", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "Go", "name": "stdlib"},
         "ranges": [rng("SEMVER", ("introduced", "0"), ("fixed", "1.20.11"))]},
        {"package": {"ecosystem": "Go", "name": "stdlib"},
         "ranges": [rng("SEMVER", ("introduced", "1.20.11"), ("fixed", "1.20.12"))]}]},
    # crates.io
    # introduced and fixed at one version: an empty interval when the record's order is kept.
    rec("X-RS-4", "crates.io", "rustls", [rng("SEMVER", ("introduced", "0.23.0"), ("fixed", "0.23.0"),
                                               ("introduced", "0.23.13"), ("fixed", "0.23.18"))]),
    rec("X-RS-1", "crates.io", "time", [rng("SEMVER", ("introduced", "0.0.0-0"), ("fixed", "0.2.0"))]),
    rec("X-RS-2", "crates.io", "smallvec", [rng("SEMVER", ("introduced", "1.6.0"), ("fixed", "1.6.1"))]),
    rec("X-RS-3", "crates.io", "regex", [rng("SEMVER", ("introduced", "0"), ("fixed", "1.5.5"))]),
]


def vuln(vid, aliases, name, version, fixed=None):
    v = {"VulnerabilityID": vid, "Aliases": aliases, "PkgName": name, "InstalledVersion": version}
    if fixed:
        v["FixedVersion"] = fixed
    return v


REPORT = {
    "ArtifactName": "synthetic",
    "Results": [
        {"Target": "Python", "Class": "lang-pkgs", "Type": "python-pkg",
         "Packages": [{"Name": "Django", "Version": "3.2"},
                      {"Name": "zope.interface", "Version": "5.0"},
                      {"Name": "legacy", "Version": "0.9-eevee"}],
         "Vulnerabilities": [
             vuln("X-PY-2", [], "Django", "3.2"),
             vuln("X-PY-3", [], "Django", "3.2"),
             vuln("CVE-2099-0008", ["X-PY-8"], "Django", "3.2", fixed="3.2.3"),  # wrong fix
             vuln("X-PY-5", [], "Django", "3.2", fixed="3.2rc1"),  # wrongly reported
             vuln("X-PY-9", [], "legacy", "0.9-eevee", fixed="1.0"),
             # X-PY-1 for zope.interface missing
         ]},
        {"Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm",
         "Packages": [{"Name": "minimist", "Version": "1.2.0"}],
         "Vulnerabilities": [vuln("X-NPM-1", [], "minimist", "1.2.0", fixed="1.2.6"),
                             vuln("X-NPM-5", [], "minimist", "1.2.0"),
                             vuln("X-NPM-6", [], "minimist", "1.2.0")]},
        {"Target": "bin/app", "Class": "lang-pkgs", "Type": "gobinary",
         "Packages": [{"Name": "stdlib", "Version": "go1.21rc1"},
                      {"Name": "golang.org/x/text", "Version": "v0.3.7"}],
         "Vulnerabilities": [vuln("X-GO-1", [], "stdlib", "go1.21rc1", fixed="1.21.0-rc.2"),
                             vuln("X-GO-2", [], "golang.org/x/text", "v0.3.7", fixed="v0.3.8")]},
        {"Target": "bin/old", "Class": "lang-pkgs", "Type": "gobinary",
         "Packages": [{"Name": "stdlib", "Version": "v1.20.3"}],
         "Vulnerabilities": [vuln("X-GO-1", [], "stdlib", "v1.20.3", fixed="1.21.0-rc.2"),
                             vuln("X-GO-4", [], "stdlib", "v1.20.3", fixed="1.20.11")]},
        {"Target": "Cargo.lock", "Class": "lang-pkgs", "Type": "cargo",
         "Packages": [{"Name": "time", "Version": "0.1.43"},
                      {"Name": "smallvec", "Version": "1.6.0+build.5"},
                      {"Name": "regex", "Version": "1.5"},
                      {"Name": "rustls", "Version": "0.23.5"}],
         "Vulnerabilities": [vuln("X-RS-1", [], "time", "0.1.43", fixed="0.2.0"),
                             vuln("X-RS-2", [], "smallvec", "1.6.0+build.5", fixed="1.6.1"),
                             vuln("X-RS-4", [], "rustls", "0.23.5", fixed="0.23.18")]},
        {"Target": "Gemfile.lock", "Class": "lang-pkgs", "Type": "bundler",
         "Packages": [{"Name": "rails", "Version": "1.0"}], "Vulnerabilities": []},
    ],
}


class ToolVersions(unittest.TestCase):
    def test_go_toolchain(self):
        f = oracle.go_toolchain_semver
        self.assertEqual(f("go1.21rc2"), "v1.21.0-rc.2")
        self.assertEqual(f("go1.19"), "v1.19.0")
        self.assertEqual(f("1.19.8"), "v1.19.8")
        self.assertEqual(f("v1.22.1"), "v1.22.1")
        self.assertEqual(f("go1.9beta1"), "v1.9.0-beta.1")

    def test_names(self):
        self.assertEqual(oracle.norm_name("PyPI", "Zope.Interface"), "zope-interface")
        self.assertEqual(oracle.norm_name("npm", "Lodash"), "Lodash")


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.zip = os.path.join(d, "synthetic.zip")
        with zipfile.ZipFile(cls.zip, "w") as zf:
            for r in RECORDS:
                zf.writestr(r["id"] + ".json", json.dumps(r))
        cls.report = os.path.join(d, "report.json")
        with open(cls.report, "w") as f:
            json.dump(REPORT, f)
        cls.out = os.path.join(d, "out.json")
        with open(os.devnull, "w") as null:
            old, sys.stdout = sys.stdout, null
            try:
                cls.rc = oracle.main(["--report", cls.report, "--osv", cls.zip,
                                      "--json", cls.out])
            finally:
                sys.stdout = old
        with open(cls.out) as f:
            cls.doc = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def ids(self, section):
        return {(e["target"], e["package"], e["version"], e["id"]) for e in self.doc[section]}

    def test_exit_status(self):
        self.assertEqual(self.rc, 1)

    def test_expected(self):
        self.assertEqual(self.ids("expected"), {
            ("Python", "Django", "3.2", "X-PY-2"),      # versions list, PEP 440 equality
            ("Python", "Django", "3.2", "X-PY-3"),      # last_affected is inclusive
            ("Python", "Django", "3.2", "X-PY-8"),
            ("Python", "zope.interface", "5.0", "X-PY-1"),  # PEP 503 names
            ("Python", "legacy", "0.9-eevee", "X-PY-9"),    # exact string in versions
            ("package-lock.json", "minimist", "1.2.0", "X-NPM-1"),
            ("package-lock.json", "minimist", "1.2.0", "X-NPM-5"),  # limit "*"
            ("package-lock.json", "minimist", "1.2.0", "X-NPM-6"),  # last_affected inclusive
            ("bin/app", "stdlib", "go1.21rc1", "X-GO-1"),
            ("bin/old", "stdlib", "v1.20.3", "X-GO-1"),
            ("bin/old", "stdlib", "v1.20.3", "X-GO-4"),
            ("bin/app", "golang.org/x/text", "v0.3.7", "X-GO-2"),
            ("Cargo.lock", "time", "0.1.43", "X-RS-1"),
            ("Cargo.lock", "smallvec", "1.6.0+build.5", "X-RS-2"),  # build metadata ignored
        })

    def test_differences(self):
        self.assertEqual(self.ids("only_oracle"), {("Python", "zope.interface", "5.0", "X-PY-1")})
        self.assertEqual(self.ids("only_palisade"), {("Python", "Django", "3.2", "X-PY-5"),
                                                     ("Cargo.lock", "rustls", "0.23.5", "X-RS-4")})
        why = {e["id"]: e["why"] for e in self.doc["only_palisade"]}
        self.assertIn("tie: introduced and fixed both at 0.23.0", why["X-RS-4"])

    def test_fixed_version(self):
        diffs = {(e["id"], e["oracle"], tuple(e["palisade"])) for e in self.doc["fixed_differs"]}
        # X-PY-2/3 have no fix in the record and none reported; X-GO-2's v0.3.8 equals 0.3.8;
        # X-GO-4's first fix 1.20.11 is still affected by the record's second entry; X-PY-9's
        # installed version cannot be compared, so the oracle names no fix.
        self.assertEqual(diffs, {("X-PY-8", "3.2.4", ("3.2.3",)),
                                 ("X-GO-4", "1.20.12", ("1.20.11",)),
                                 ("X-PY-9", None, ("1.0",))})

    def test_unevaluable(self):
        self.assertEqual({(e["package"], e["id"]) for e in self.doc["unevaluable"]},
                         {("regex", "X-RS-3")})

    def test_table(self):
        t = self.doc["table"]
        self.assertEqual(t["PyPI"]["only-oracle"], 1)
        self.assertEqual(t["PyPI"]["only-palisade"], 1)
        self.assertEqual(t["npm"]["both"], 3)
        self.assertEqual(t["Go"]["both"], 4)
        self.assertEqual(t["crates.io"]["both"], 2)


if __name__ == "__main__":
    unittest.main()
