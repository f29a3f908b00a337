"""Self-test of lang_packages.py (the apps image's package-list comparison) on a synthetic manifest and
synthetic Trivy, Syft and Palisade reports.

    python3 -m unittest discover -s scripts/oracle/tests -v
"""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import lang_packages as lp  # noqa: E402

MANIFEST = """# Type\tName\tVersion\tPath\tScope
gemspec\track\t2.0.8\tusr/local/bundle/specifications/rack-2.0.8.gemspec\tprod
gemspec\tjson\t2.6.1\tusr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec\tos
bundler\tnokogiri\t1.13.5\topt/app/ruby/Gemfile.lock\tprod
jar\torg.apache.logging.log4j:log4j-core\t2.14.1\topt/app/java/lib/log4j-core-2.14.1.jar\tprod
jar\tspring-web\t5.3.17\topt/app/java/lib/spring-web.jar\tprod
composer-vendor\tsymfony/http-kernel\tv4.4.0\topt/app/php/vendor/composer/installed.json\tprod
composer-vendor\tphpunit/phpunit\t8.5.0\topt/app/php/vendor/composer/installed.json\tdev
nuget\tNewtonsoft.Json\t12.0.1\topt/app/dotnet/legacy/packages.config\tprod
"""


def trivy_like(results):
    return {"Results": [{"Class": "lang-pkgs", "Type": t, "Target": tgt,
                         "Packages": [{"Name": n, "Version": v} for n, v in pkgs]}
                        for t, tgt, pkgs in results]}


TRIVY = trivy_like([
    ("gemspec", "Ruby", [("rack", "2.0.8")]),
    ("composer-vendor", "opt/app/php/vendor/composer/installed.json",
     [("symfony/http-kernel", "v4.4.0"), ("phpunit/phpunit", "8.5.0")]),
    ("nuget", "opt/app/dotnet/legacy/packages.config", [("Newtonsoft.Json", "12.0.1")]),
])


def art(found, name, version, path, purl=""):
    return {"type": "x", "foundBy": found, "name": name, "version": version, "purl": purl,
            "locations": [{"path": "/" + path}]}


SYFT = {"artifacts": [
    art("ruby-installed-gemspec-cataloger", "rack", "2.0.8", "usr/local/bundle/specifications/rack-2.0.8.gemspec"),
    art("ruby-installed-gemspec-cataloger", "json", "2.6.1",
        "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"),
    art("java-archive-cataloger", "log4j-core", "2.14.1", "opt/app/java/lib/log4j-core-2.14.1.jar",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
    art("java-archive-cataloger", "spring-web", "5.3.17", "opt/app/java/lib/spring-web.jar",
        "pkg:maven/org.springframework/spring-web@5.3.17"),
    art("ruby-gemfile-cataloger", "nokogiri", "1.13.5-x86_64-linux", "opt/app/ruby/Gemfile.lock"),
    {"type": "deb", "foundBy": "dpkg-db-cataloger", "name": "ruby", "version": "1:3.1", "locations": []},
]}

# Palisade as it should be: every package Trivy and Syft list, the artifact-only jar by artifact, the
# Composer version without its `v`, the NuGet id in other case, and not the dpkg-owned gemspec.
GOOD = trivy_like([
    ("gemspec", "Ruby", [("rack", "2.0.8")]),
    ("bundler", "opt/app/ruby/Gemfile.lock", [("nokogiri", "1.13.5")]),
    ("jar", "Java", [("org.apache.logging.log4j:log4j-core", "2.14.1"), ("spring-web", "5.3.17")]),
    ("composer-vendor", "opt/app/php/vendor/composer/installed.json",
     [("symfony/http-kernel", "4.4.0"), ("phpunit/phpunit", "8.5.0")]),
    ("nuget", "opt/app/dotnet/legacy/packages.config", [("newtonsoft.json", "12.0.1")]),
])


class LangPackages(unittest.TestCase):
    def run_with(self, palisade=None, syft=SYFT):
        with tempfile.TemporaryDirectory() as d:
            paths = {}
            for name, doc in (("trivy", TRIVY), ("syft", syft), ("palisade", palisade)):
                if doc is not None:
                    paths[name] = os.path.join(d, name + ".json")
                    with open(paths[name], "w") as f:
                        json.dump(doc, f)
            man = os.path.join(d, "apps.tsv")
            with open(man, "w") as f:
                f.write(MANIFEST)
            argv = ["--manifest", man] + [x for k, p in paths.items() for x in (f"--{k}", p)]
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                rc = lp.main(argv)
            return rc, buf.getvalue()

    def test_keys(self):
        self.assertEqual(lp.key("bundler", "nokogiri", "1.13.5-x86_64-linux"), ("bundler", "nokogiri", "1.13.5"))
        self.assertEqual(lp.key("composer", "Symfony/Http-Kernel", "v4.4.0"), ("composer", "symfony/http-kernel", "4.4.0"))
        self.assertEqual(lp.key("nuget", "Newtonsoft.Json", "12.0.1"), ("nuget", "newtonsoft.json", "12.0.1"))
        self.assertEqual(lp.key("poetry", "Zope.Interface", "5.0"), ("poetry", "zope-interface", "5.0"))
        self.assertEqual(lp.key("yarn", "@xmldom/xmldom", "0.7.5"), ("yarn", "@xmldom/xmldom", "0.7.5"))

    def test_no_palisade(self):
        rc, out = self.run_with()
        self.assertEqual(rc, 0)
        self.assertIn("nothing to judge", out)
        self.assertIn("named differently: manifest spring-web 5.3.17, syft org.springframework:spring-web", out)
        self.assertIn("spelled differently: manifest ('nokogiri', '1.13.5'), syft ('nokogiri', '1.13.5-x86_64-linux')", out)
        self.assertIn("lists 1 package(s) of dpkg-owned files", out)
        self.assertIn("dev packages listed: 1 of 1 (phpunit/phpunit 8.5.0)", out)

    def test_pass(self):
        rc, out = self.run_with(GOOD)
        self.assertEqual(rc, 0, out)
        self.assertIn("Result: PASS", out)

    def test_missing_one(self):
        bad = json.loads(json.dumps(GOOD))
        bad["Results"][2]["Packages"].pop(0)  # log4j-core, which Syft lists
        rc, out = self.run_with(bad)
        self.assertEqual(rc, 1)
        self.assertIn("jar: syft lists 1 that palisade does not: org.apache.logging.log4j:log4j-core 2.14.1", out)

    def test_owned_listed(self):
        bad = json.loads(json.dumps(GOOD))
        bad["Results"][0]["Packages"].append({"Name": "json", "Version": "2.6.1"})
        rc, out = self.run_with(bad)
        self.assertEqual(rc, 1)
        self.assertIn("gemspec: palisade lists 1 package(s) of dpkg-owned files", out)


if __name__ == "__main__":
    unittest.main()
