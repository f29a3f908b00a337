"""Tests of os_oracle.py's own logic: the apk comparator, the AlmaLinux module rule, OSV ranges, ids."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import os_oracle as o  # noqa: E402


class ApkOrder(unittest.TestCase):
    # ascending chains, from apk-version(8) and the APKBUILD pkgver rules
    CHAINS = [
        ["1.0_alpha", "1.0_beta", "1.0_pre", "1.0_rc", "1.0", "1.0_cvs", "1.0_svn", "1.0_git", "1.0_hg", "1.0_p"],
        ["1.0_rc1", "1.0_rc2", "1.0_rc10", "1.0", "1.0-r1", "1.0-r10", "1.0a", "1.0b-r0", "1.0.1"],
        ["1.2_p1", "1.2.1"], ["1.2a", "1.2.1"], ["1.2-r5", "1.2_p1"],
        ["1.1.1d-r2", "1.1.1d-r3", "1.1.1e-r0"], ["2.9", "2.10"], ["1.01", "1.1"],
        ["6.1_p20180414-r0", "6.1_p20191130-r0", "6.2"], ["3.30.1-r0", "3.30.1-r1"],
    ]

    def test_chains(self):
        for chain in self.CHAINS:
            for a, b in zip(chain, chain[1:]):
                self.assertEqual(o.apk_cmp(a, b), -1, f"{a} < {b}")
                self.assertEqual(o.apk_cmp(b, a), 1, f"{b} > {a}")

    def test_equal(self):
        for v in ("1.0", "1.0-r0", "2.1_git20200101-r3"):
            self.assertEqual(o.apk_cmp(v, v), 0)
        self.assertEqual(o.apk_cmp("1.0", "1.0-r0"), 0)

    def test_invalid(self):
        for v in ("4.8.0.-r1", "0.8.21.r2", "2.7.16-33"):
            with self.assertRaises(o.ApkInvalid):
                o.apk_key(v)


class Ranges(unittest.TestCase):
    def test_introduced_fixed(self):
        ev = [{"introduced": "0"}, {"fixed": "1.1.1d-r3"}]
        self.assertTrue(o.range_affects(ev, "1.1.1d-r2", o.apk_cmp))
        self.assertFalse(o.range_affects(ev, "1.1.1d-r3", o.apk_cmp))
        ev = [{"introduced": "1.0"}, {"last_affected": "1.2"}]
        self.assertTrue(o.range_affects(ev, "1.2", o.apk_cmp))
        self.assertFalse(o.range_affects(ev, "1.2-r1", o.apk_cmp))
        self.assertFalse(o.range_affects(ev, "0.9", o.apk_cmp))


def ent(fixed):
    return {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}


class AlmaModules(unittest.TestCase):
    def test_module_marker(self):
        ents = [ent("1:1.20.1-14.el9_2.1.alma.1"), ent("1:1.22.1-3.module_el9.2.0+44+f932b372.1.alma.1")]
        plain = {"version": "1:1.20.1-14.el9", "module": ""}
        self.assertEqual(o.module_filter(ents, plain), ents[:1])
        mod = {"version": "1:1.22.1-1.module_el9.2.0+1+aaaa", "module": "nginx:1.22:9020020230101:rhel9"}
        self.assertEqual(o.module_filter(ents, mod), ents[1:])

    def test_stream(self):
        e18, e20 = ent("1:18.16.1-1.module_el9.2.0+31+cbae0c8e"), ent("1:20.11.1-1.module_el9.3.0+88+29afeaa2")
        pkg = {"version": "1:18.14.2-2.module_el9.2.0+29+de583a0b", "module": "nodejs:18:9020020230424145347:rhel9"}
        self.assertEqual(o.module_filter([e18, e20], pkg), [e18])
        # a version that does not follow the stream (npm in nodejs:18): no stream filter
        npm = {"version": "1:9.5.1-1.18.16.1.1.module_el9.2.0+31+cbae0c8e", "module": "nodejs:18:1:rhel9"}
        self.assertEqual(o.module_filter([e18, e20], npm), [e18, e20])


class Ids(unittest.TestCase):
    def test_ids(self):
        self.assertEqual(o.record_ids({"id": "x_ALPINE-CVE-2019-1551", "upstream": ["CVE-2019-1551"]}),
                         {"x_ALPINE-CVE-2019-1551", "CVE-2019-1551"})
        self.assertEqual(o.record_ids({"id": "UBUNTU-CVE-2023-4911", "aliases": []}),
                         {"UBUNTU-CVE-2023-4911", "CVE-2023-4911"})
        self.assertIn("UBUNTU-CVE-2023-4911", o.record_ids({"id": "USN-6409-1", "upstream": ["UBUNTU-CVE-2023-4911"]}))


if __name__ == "__main__":
    unittest.main()
