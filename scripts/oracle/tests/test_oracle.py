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
    # RubyGems (Gem::Version): a pre-release sorts below its release ("3.0.0.beta1" < "3.0")
    rec("X-GEM-1", "RubyGems", "rack", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.0.9"))]),
    rec("X-GEM-2", "RubyGems", "actionpack", [rng("ECOSYSTEM", ("introduced", "5.0.0.beta1"),
                                                  ("fixed", "5.0.0.beta1.1"))]),
    rec("X-GEM-3", "RubyGems", "rack", [rng("ECOSYSTEM", ("introduced", "3.0"), ("fixed", "3.0.1"))]),
    # rubysec patched_versions ["~> 1.13.6", ">= 1.14.3"] as the converter writes them: ~> 1.13.6 is
    # [1.13.6, 1.14), so 1.14.0.rc1 (< 1.14) is patched and 1.14.0 is not
    rec("X-GEM-4", "RubyGems", "nokogiri", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.13.6"),
                                                ("introduced", "1.14"), ("fixed", "1.14.3"))]),
    rec("X-GEM-5", "RubyGems", "activesupport", versions=["6.1.4.1.0"]),  # == 6.1.4.1
    rec("X-GEM-6", "RubyGems", "legacy-gem", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.0"))]),
    # Maven (ComparableVersion): qualifiers sort below the release, numbers compare as numbers
    rec("X-MVN-1", "Maven", "org.apache.logging.log4j:log4j-core",
        [rng("ECOSYSTEM", ("introduced", "2.13.0"), ("fixed", "2.15.0"))]),
    rec("X-MVN-2", "Maven", "com.fasterxml.jackson.core:jackson-databind",
        [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.10.0"))]),  # 2.9.10 < 2.10.0
    rec("X-MVN-3", "Maven", "com.example:demo", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "0.0.1"))]),
    rec("X-MVN-4", "Maven", "org.apache.logging.log4j:log4j-api", versions=["2.14"]),  # == 2.14.0
    rec("X-MVN-5", "Maven", "org.apache.logging.log4j:log4j-core",
        [rng("ECOSYSTEM", ("introduced", "2.15.0"), ("fixed", "2.16.0"))]),
    rec("X-MVN-6", "Maven", "com.google.guava:guava", [rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "24.1.1"))]),
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
         "Packages": [{"Name": "rails", "Version": "1.0"},
                      {"Name": "legacy-gem", "Version": "not a version!"}], "Vulnerabilities": []},
        {"Target": "Ruby", "Class": "lang-pkgs", "Type": "gemspec",
         "Packages": [{"Name": "rack", "Version": "2.0.8"}, {"Name": "rack", "Version": "3.0.0.beta1"},
                      {"Name": "actionpack", "Version": "5.0.0.beta1"},
                      {"Name": "nokogiri", "Version": "1.13.5"}, {"Name": "nokogiri", "Version": "1.14.0.rc1"},
                      {"Name": "nokogiri", "Version": "1.14.0"}, {"Name": "activesupport", "Version": "6.1.4.1"}],
         "Vulnerabilities": [vuln("X-GEM-1", [], "rack", "2.0.8", fixed="2.0.9"),
                             vuln("X-GEM-3", [], "rack", "3.0.0.beta1", fixed="3.0.1"),  # wrongly
                             vuln("X-GEM-2", [], "actionpack", "5.0.0.beta1", fixed="5.0.0.beta1.1"),
                             vuln("X-GEM-4", [], "nokogiri", "1.13.5", fixed="1.13.6"),
                             vuln("X-GEM-4", [], "nokogiri", "1.14.0.rc1", fixed="1.14.3"),  # wrongly
                             vuln("X-GEM-4", [], "nokogiri", "1.14.0", fixed="1.14.3"),
                             vuln("X-GEM-5", [], "activesupport", "6.1.4.1")]},
        {"Target": "Java", "Class": "lang-pkgs", "Type": "jar",
         "Packages": [{"Name": "org.apache.logging.log4j:log4j-core", "Version": "2.14.1"},
                      {"Name": "org.apache.logging.log4j:log4j-core", "Version": "2.15.0-rc1"},
                      {"Name": "com.fasterxml.jackson.core:jackson-databind", "Version": "2.9.10"},
                      {"Name": "com.example:demo", "Version": "0.0.1-SNAPSHOT"},
                      {"Name": "org.apache.logging.log4j:log4j-api", "Version": "2.14.0"},
                      {"Name": "com.google.guava:guava", "Version": "24.1-jre"}],
         "Vulnerabilities": [
             vuln("X-MVN-1", [], "org.apache.logging.log4j:log4j-core", "2.14.1", fixed="2.15"),  # = 2.15.0
             vuln("X-MVN-1", [], "org.apache.logging.log4j:log4j-core", "2.15.0-rc1", fixed="2.15.0"),
             vuln("X-MVN-5", [], "org.apache.logging.log4j:log4j-core", "2.15.0-rc1", fixed="2.16.0"),  # wrongly
             vuln("X-MVN-2", [], "com.fasterxml.jackson.core:jackson-databind", "2.9.10", fixed="2.10.0"),
             vuln("X-MVN-3", [], "com.example:demo", "0.0.1-SNAPSHOT", fixed="0.0.1"),
             vuln("X-MVN-4", [], "org.apache.logging.log4j:log4j-api", "2.14.0"),
             # X-MVN-6 for guava 24.1-jre missing
         ]},
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
            ("Ruby", "rack", "2.0.8", "X-GEM-1"),
            ("Ruby", "actionpack", "5.0.0.beta1", "X-GEM-2"),  # a pre-release lower bound
            ("Ruby", "nokogiri", "1.13.5", "X-GEM-4"),
            ("Ruby", "nokogiri", "1.14.0", "X-GEM-4"),
            ("Ruby", "activesupport", "6.1.4.1", "X-GEM-5"),  # 6.1.4.1 == 6.1.4.1.0
            ("Java", "org.apache.logging.log4j:log4j-core", "2.14.1", "X-MVN-1"),
            ("Java", "org.apache.logging.log4j:log4j-core", "2.15.0-rc1", "X-MVN-1"),  # rc1 < 2.15.0
            ("Java", "com.fasterxml.jackson.core:jackson-databind", "2.9.10", "X-MVN-2"),
            ("Java", "com.example:demo", "0.0.1-SNAPSHOT", "X-MVN-3"),  # SNAPSHOT < release
            ("Java", "org.apache.logging.log4j:log4j-api", "2.14.0", "X-MVN-4"),  # 2.14 == 2.14.0
            ("Java", "com.google.guava:guava", "24.1-jre", "X-MVN-6"),  # 24.1-jre < 24.1.1
        })

    def test_differences(self):
        self.assertEqual(self.ids("only_oracle"), {("Python", "zope.interface", "5.0", "X-PY-1"),
                                                   ("Java", "com.google.guava:guava", "24.1-jre", "X-MVN-6")})
        self.assertEqual(self.ids("only_palisade"), {
            ("Python", "Django", "3.2", "X-PY-5"),
            ("Cargo.lock", "rustls", "0.23.5", "X-RS-4"),
            ("Ruby", "rack", "3.0.0.beta1", "X-GEM-3"),  # 3.0.0.beta1 < 3.0
            ("Ruby", "nokogiri", "1.14.0.rc1", "X-GEM-4"),  # inside ~> 1.13.6
            ("Java", "org.apache.logging.log4j:log4j-core", "2.15.0-rc1", "X-MVN-5"),  # rc1 < 2.15.0
        })
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
                         {("regex", "X-RS-3"), ("legacy-gem", "X-GEM-6")})

    def test_table(self):
        t = self.doc["table"]
        self.assertEqual(t["PyPI"]["only-oracle"], 1)
        self.assertEqual(t["PyPI"]["only-palisade"], 1)
        self.assertEqual(t["npm"]["both"], 3)
        self.assertEqual(t["Go"]["both"], 4)
        self.assertEqual(t["crates.io"]["both"], 2)
        self.assertEqual((t["RubyGems"]["both"], t["RubyGems"]["only-palisade"], t["RubyGems"]["unevaluable"]),
                         (5, 2, 1))
        self.assertEqual((t["Maven"]["both"], t["Maven"]["only-oracle"], t["Maven"]["only-palisade"]), (5, 1, 1))

    def test_fixed_versions_of_new_ecosystems(self):
        fixes = {(e["package"], e["version"], e["id"]): e["fixed_version"] for e in self.doc["expected"]}
        self.assertEqual(fixes[("actionpack", "5.0.0.beta1", "X-GEM-2")], "5.0.0.beta1.1")
        self.assertEqual(fixes[("nokogiri", "1.14.0", "X-GEM-4")], "1.14.3")
        self.assertEqual(fixes[("org.apache.logging.log4j:log4j-core", "2.14.1", "X-MVN-1")], "2.15.0")
        self.assertIsNone(fixes[("org.apache.logging.log4j:log4j-api", "2.14.0", "X-MVN-4")])


class Helpers(unittest.TestCase):
    """The RubyGems and Maven helpers answer by their tools, in the common protocol."""

    def ask(self, eco, pairs):
        args = oracle.build_parser().parse_args(["--report", "x", "--osv", "x"])
        comps = oracle.Comparisons(oracle.comparator_commands(args), args.node_modules)
        for a, b in pairs:
            comps.want(eco, a, b)
        comps.run()
        out = {}
        for a, b in pairs:
            try:
                out[(a, b)] = comps.cmp(eco, a, b)
            except oracle.Unevaluable:
                out[(a, b)] = None
        return out

    def test_gem(self):
        got = self.ask("RubyGems", [("1.0.a", "1.0"), ("1.0", "1.0.0"), ("5.0.0.beta1", "5.0.0.beta1.1"),
                                    ("1.14.0.rc1", "1.14"), ("2.0.10", "2.0.9"), ("not a version!", "1")])
        self.assertEqual(got, {("1.0.a", "1.0"): -1, ("1.0", "1.0.0"): 0, ("5.0.0.beta1", "5.0.0.beta1.1"): -1,
                               ("1.14.0.rc1", "1.14"): -1, ("2.0.10", "2.0.9"): 1, ("not a version!", "1"): None})

    def test_maven(self):
        got = self.ask("Maven", [("1.0-alpha-1", "1.0"), ("1.0", "1.0.0"), ("1.0-SNAPSHOT", "1.0"),
                                 ("2.9.10", "2.10.0"), ("1.0.0.Final", "1.0.0"), ("2.0-RC1", "2.0-rc1"),
                                 ("", "1")])
        self.assertEqual(got, {("1.0-alpha-1", "1.0"): -1, ("1.0", "1.0.0"): 0, ("1.0-SNAPSHOT", "1.0"): -1,
                               ("2.9.10", "2.10.0"): -1, ("1.0.0.Final", "1.0.0"): 0, ("2.0-RC1", "2.0-rc1"): 0,
                               ("", "1"): None})


if __name__ == "__main__":
    unittest.main()
