#!/usr/bin/env python3
"""os_images.py - root filesystems for build-test-images.sh's OS-package images.

  os_images.py alpine STAGE1 STAGE2      Alpine 3.11.6 root (STAGE1) and the upgrade layer (STAGE2)
  os_images.py alpine-tsv INSTALLED      expected packages from an apk installed db (stdout)
  os_images.py rpm NAME ROOT WORK        rpm images: NAME = alma9 | alma8-bdb | suse-ndb
  os_images.py ndb-list PACKAGES.DB      list an ndb Packages.db (independent reader, for checks)
  os_images.py ubuntu ROOT               Ubuntu 22.04.3 root (dpkg status, info/*.list)

The rpm images' packages are built by Debian's rpmbuild 4.18 from tiny specs (a file or two of payload
each) named and versioned as the real distribution packages, and installed by rpm itself into a sqlite
rpmdb (rpm --root ... -i --nodeps --noscripts). alma8-bdb and suse-ndb then re-encode that database's
header blobs, byte for byte, as a BerkeleyDB hash `Packages` (db5.3_load) and as an ndb `Packages.db`
(written here; Debian's rpm has no ndb backend). No Alpine/Ubuntu/EL binary is involved: versions are
chosen from the advisory data in /work/shared/data/advisories (see the comments at each table).
"""
import base64
import hashlib
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import zlib

SDE = int(os.environ.get("SOURCE_DATE_EPOCH", "1735689600"))


def write(root, path, data="", mode=0o644):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.lexists(p):
        os.unlink(p)
    with open(p, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(p, mode)


def symlink(root, path, target):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.lexists(p):
        os.unlink(p)
    os.symlink(target, p)


# ------------------------------------------------------------------------------------------ Alpine
# Alpine v3.11 main, as an alpine:3.11 image of early 2020 plus a few libraries. Versions against the
# v3.11 secfixes (raw/alpine-secdb-yaml.zip v3.11/main.yaml):
#   openssl  1.1.1d-r2  < 1.1.1d-r3 (CVE-2019-1551)            libcrypto1.1, libssl1.1 (origin openssl)
#   sqlite   3.30.1-r0  < 3.30.1-r1 (CVE-2019-19242)            sqlite-libs; layer 2 upgrades it to 3.30.1-r1
#   e2fsprogs 1.45.4-r0 = 1.45.4-r0 (CVE-2019-5094, no finding) < 1.45.5-r0 (CVE-2019-5188)  libcom_err
#   cyrus-sasl 2.1.27-r4 < 2.1.27-r5 (CVE-2019-19906)           libsasl
#   libarchive 3.4.0-r0 = 3.4.0-r0 (CVE-2019-18408, no finding)
#   ncurses 6.1_p20191130-r0 > 6.1_p20180414-r0 (suffix _p compared numerically: no finding)
#   musl 1.1.24-r2 > 1.1.23-r2, busybox 1.31.1-r9 > 1.30.1-r2, curl 7.67.0-r0 > 7.66.0-r0, expat, libxml2,
#   krb5, nghttp2, libressl: above every secfix (no finding)
# (name, version, origin, arch, license, description, url, files)
ALPINE_PKGS = [
    ("musl", "1.1.24-r2", "musl", "x86_64", "MIT", "the musl c library (libc) implementation",
     "https://musl.libc.org/", ["lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"]),
    ("busybox", "1.31.1-r9", "busybox", "x86_64", "GPL-2.0-only", "Size optimized toolbox of many common UNIX utilities",
     "https://busybox.net/", ["bin/busybox", "etc/securetty", "etc/udhcpd.conf"]),
    ("alpine-baselayout", "3.2.0-r3", "alpine-baselayout", "x86_64", "GPL-2.0-only", "Alpine base dir structure and init scripts",
     "https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout", ["etc/hosts", "etc/profile", "etc/shells"]),
    ("alpine-keys", "2.1-r2", "alpine-keys", "x86_64", "MIT", "Public keys for Alpine Linux packages",
     "https://alpinelinux.org", ["etc/apk/keys/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub"]),
    ("libcrypto1.1", "1.1.1d-r2", "openssl", "x86_64", "OpenSSL", "Crypto library from openssl",
     "https://www.openssl.org", ["lib/libcrypto.so.1.1", "etc/ssl/openssl.cnf"]),
    ("libssl1.1", "1.1.1d-r2", "openssl", "x86_64", "OpenSSL", "SSL shared libraries",
     "https://www.openssl.org", ["lib/libssl.so.1.1"]),
    ("ca-certificates-cdata", "20191127-r2", "ca-certificates", "x86_64", "MPL-2.0 AND MIT", "Common CA certificates PEM files",
     "https://www.mozilla.org/en-US/about/governance/policies/security-group/certs/", ["etc/ssl/certs/ca-certificates.crt"]),
    ("ca-certificates", "20191127-r2", "ca-certificates", "x86_64", "MPL-2.0 AND MIT", "Common CA certificates PEM files from Mozilla",
     "https://www.mozilla.org/en-US/about/governance/policies/security-group/certs/", ["usr/sbin/update-ca-certificates"]),
    ("libtls-standard", "3.0.2-r0", "libressl", "x86_64", "custom", "libtls with libressl, the standard way",
     "https://www.libressl.org/", ["usr/lib/libtls-standard.so.20.0.0"]),
    ("ssl_client", "1.31.1-r9", "busybox", "x86_64", "GPL-2.0-only", "EXternal ssl_client for busybox wget",
     "https://busybox.net/", ["usr/bin/ssl_client"]),
    ("zlib", "1.2.11-r3", "zlib", "x86_64", "Zlib", "A compression/decompression Library",
     "https://zlib.net/", ["lib/libz.so.1.2.11"]),
    ("apk-tools", "2.10.4-r3", "apk-tools", "x86_64", "GPL-2.0-only", "Alpine Package Keeper - package manager for alpine",
     "https://git.alpinelinux.org/cgit/apk-tools/", ["sbin/apk"]),
    ("scanelf", "1.2.4-r0", "pax-utils", "x86_64", "GPL-2.0-only", "Scan ELF binaries for stuff",
     "https://wiki.gentoo.org/wiki/Hardened/PaX_Utilities", ["usr/bin/scanelf"]),
    ("musl-utils", "1.1.24-r2", "musl", "x86_64", "MIT BSD GPL2+", "the musl c library (libc) implementation",
     "https://musl.libc.org/", ["sbin/ldconfig", "usr/bin/getent", "usr/bin/iconv"]),
    ("libc-utils", "0.7.2-r0", "libc-dev", "x86_64", "BSD-2-Clause AND BSD-3-Clause", "Meta package to pull in correct libc",
     "https://alpinelinux.org", []),
    ("libcurl", "7.67.0-r0", "curl", "x86_64", "MIT", "The multiprotocol file transfer library",
     "https://curl.haxx.se/", ["usr/lib/libcurl.so.4.6.0"]),
    ("curl", "7.67.0-r0", "curl", "x86_64", "MIT", "URL retrival utility and library",
     "https://curl.haxx.se/", ["usr/bin/curl"]),
    ("nghttp2-libs", "1.40.0-r0", "nghttp2", "x86_64", "MIT", "Experimental HTTP/2 client, server and proxy (libraries)",
     "https://nghttp2.org", ["usr/lib/libnghttp2.so.14.19.0"]),
    ("sqlite-libs", "3.30.1-r0", "sqlite", "x86_64", "Public-Domain", "Sqlite3 library",
     "https://www.sqlite.org/", ["usr/lib/libsqlite3.so.0.8.6"]),
    ("expat", "2.2.9-r1", "expat", "x86_64", "MIT", "An XML Parser library written in C",
     "http://www.libexpat.org/", ["usr/lib/libexpat.so.1.6.11"]),
    ("libxml2", "2.9.10-r2", "libxml2", "x86_64", "MIT", "XML parsing library, version 2",
     "http://www.xmlsoft.org/", ["usr/lib/libxml2.so.2.9.10"]),
    ("ncurses-terminfo-base", "6.1_p20191130-r0", "ncurses", "x86_64", "MIT", "Descriptions of common terminals",
     "https://invisible-island.net/ncurses/", ["etc/terminfo/x/xterm"]),
    ("ncurses-libs", "6.1_p20191130-r0", "ncurses", "x86_64", "MIT", "Ncurses libraries",
     "https://invisible-island.net/ncurses/", ["usr/lib/libncursesw.so.6.1"]),
    ("libcom_err", "1.45.4-r0", "e2fsprogs", "x86_64", "GPL-2.0-or-later AND LGPL-2.0-or-later AND BSD-3-Clause AND MIT",
     "Common error description library", "http://e2fsprogs.sourceforge.net", ["lib/libcom_err.so.2.1"]),
    ("krb5-libs", "1.17.1-r0", "krb5", "x86_64", "MIT", "The shared libraries used by Kerberos 5",
     "http://web.mit.edu/kerberos/www/", ["usr/lib/libkrb5.so.3.3"]),
    ("libsasl", "2.1.27-r4", "cyrus-sasl", "x86_64", "custom", "Cyrus Simple Authentication and Security Layer (SASL) library",
     "https://www.cyrusimap.org/sasl/", ["usr/lib/libsasl2.so.3.0.0"]),
    ("libarchive", "3.4.0-r0", "libarchive", "x86_64", "BSD-2-Clause AND BSD-3-Clause AND Public-Domain",
     "library that can create and read several streaming archive formats", "https://libarchive.org/",
     ["usr/lib/libarchive.so.13.4.0"]),
]
ALPINE_UPGRADE = {"sqlite-libs": "3.30.1-r1"}  # layer 2: `apk upgrade sqlite-libs`

ALPINE_OS_RELEASE = """NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.11.6
PRETTY_NAME="Alpine Linux v3.11"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://bugs.alpinelinux.org/"
"""


def q1(data):
    """apk's checksum notation: Q1 + base64(sha1)."""
    return "Q1" + base64.b64encode(hashlib.sha1(data.encode()).digest()).decode()


def alpine_stanza(name, ver, origin, arch, lic, desc, url, files):
    seed = f"{name}-{ver}"
    size = 1000 + (zlib.crc32(seed.encode()) % 90000)
    lines = [f"C:{q1(seed + ':control')}", f"P:{name}", f"V:{ver}", f"A:{arch}", f"S:{size}",
             f"I:{size * 3 // 4096 * 4096 + 4096}", f"T:{desc}", f"U:{url}", f"L:{lic}", f"o:{origin}",
             "m:Natanael Copa <ncopa@alpinelinux.org>", f"t:{1575000000 + zlib.crc32(seed.encode()) % 9000000}",
             "c:" + hashlib.sha1(("commit " + origin + ver).encode()).hexdigest()]
    if name != "musl" and name != "alpine-keys":
        lines.append("D:so:libc.musl-x86_64.so.1")
    if files and files[0].startswith(("lib/lib", "usr/lib/lib")):
        lines.append(f"p:so:{os.path.basename(files[0]).split('.so')[0]}.so={ver.split('-')[0]}")
    cur = None
    for f in files:
        d, b = os.path.split(f)
        if d != cur:
            lines.append(f"F:{d}")
            cur = d
        lines += [f"R:{b}", f"Z:{q1(seed + '/' + f)}"]
        if f.startswith(("bin/", "sbin/", "usr/bin/", "usr/sbin/")):
            lines.insert(len(lines) - 1, "a:0:0:755")
    return "\n".join(lines) + "\n"


def alpine(stage1, stage2):
    for r in (stage1, stage2):
        os.makedirs(r, exist_ok=True)
    write(stage1, "etc/alpine-release", "3.11.6\n")
    write(stage1, "etc/os-release", ALPINE_OS_RELEASE)
    write(stage1, "etc/apk/repositories",
          "http://dl-cdn.alpinelinux.org/alpine/v3.11/main\nhttp://dl-cdn.alpinelinux.org/alpine/v3.11/community\n")
    write(stage1, "etc/apk/world", "alpine-baselayout\nalpine-keys\napk-tools\nbusybox\ncurl\nlibc-utils\n"
                                   "libarchive\nlibsasl\nlibxml2\nsqlite-libs\n")
    for d in ("dev", "proc", "sys", "tmp", "root", "var/cache/apk", "lib/apk/db"):
        os.makedirs(os.path.join(stage1, d), exist_ok=True)
    db = []
    for p in ALPINE_PKGS:
        db.append(alpine_stanza(*p))
        for f in p[7]:
            if not os.path.exists(os.path.join(stage1, f)):
                write(stage1, f, "", 0o755 if "/bin/" in "/" + f or "sbin/" in f else 0o644)
    write(stage1, "etc/os-release", ALPINE_OS_RELEASE)  # alpine-baselayout's files: keep real content
    write(stage1, "lib/apk/db/installed", "\n".join(db) + "\n")
    write(stage1, "lib/apk/db/lock", "")
    # layer 2: the db rewritten with the upgraded package, and its file replaced
    db2 = []
    for p in ALPINE_PKGS:
        p = list(p)
        if p[0] in ALPINE_UPGRADE:
            p[1] = ALPINE_UPGRADE[p[0]]
            for f in p[7]:
                write(stage2, f, f"{p[0]} {p[1]}\n")
        db2.append(alpine_stanza(*p))
    write(stage2, "lib/apk/db/installed", "\n".join(db2) + "\n")


def alpine_tsv(path):
    """Name Version Arch SourceName SourceVersion from an apk installed db (apk has no host binary here)."""
    rows = []
    for st in open(path, encoding="utf-8").read().split("\n\n"):
        f = {}
        for line in st.splitlines():
            if len(line) > 2 and line[1] == ":" and line[0] not in f:
                f[line[0]] = line[2:]
        if "P" in f:
            rows.append((f["P"], f["V"], f.get("A", ""), f.get("o", f["P"]), f["V"]))
    for r in sorted(rows):
        print("\t".join(r))


# ------------------------------------------------------------------------------------------ rpm
# Source packages: (source name, epoch or None, version, release, license, module label or None,
#                   [(binary name, arch, [files])...])
# AlmaLinux 9.2 with a few 9.2 updates. Against almalinux.zip (AlmaLinux:9, keyed by binary name):
#   openssl-libs/openssl 1:3.0.7-16.el9_2 = ALSA-2023:3722 fix; below ALSA-2024:0310 ... (later ones)
#   glibc* 2.34-60.el9 < 2.34-60.el9_2.7 (ALSA-2023:5453) and later; curl-minimal/libcurl-minimal
#   7.76.1-23.el9_2.1 = ALSA-2023:2650 fix, below ALSA-2023:4354, 5763, ...; python3/python3-libs
#   3.9.16-1.el9_2.1 = ALSA-2023:3595 fix; sqlite-libs 3.34.1-6.el9_1 = ALSA-2023:0339 fix, below 0465;
#   zlib 1.2.11-40.el9 above ALSA-2022:7314 (no finding); libxml2 2.9.13-3.el9_2.1 = ALSA-2023:4349 fix;
#   expat 2.5.0-1.el9 (9.2 GA) < 2.5.0-1.el9_3.1; systemd-libs 252-14.el9_2.alma.1 > 250-12.el9_1.3,
#   < 252-32.el9_4.alma.1; krb5-libs 1.20.1-8.el9 = ALSA-2023:2570 fix; gnutls 3.7.6-20.el9_2 > 3.7.6-18.el9_1;
#   nss 3.79.0-17.el9_1 = fix; tar 2:1.34-6.el9_1 = fix (epoch 2); vim-minimal 2:8.2.2637-20.el9_1 = fix;
#   libarchive 3.5.3-4.el9 = fix; bash 5.1.8-6.el9_1 = fix; nginx 1:1.20.1-14.el9 (not modular) <
#   1:1.20.1-14.el9_2.1.alma.1 and < the epoch-2 fixes, but the module_el9 nginx:1.22 fixes do not apply;
#   nodejs 1:18.14.2-2.module_el9.2.0+29+de583a0b (module nodejs:18) = ALSA-2023:2654 fix, below the later
#   nodejs:18 fixes; the nodejs:20/22/24 stream fixes and the non-modular 16.x fixes do not apply.
ALMA9 = [
    ("almalinux-release", None, "9.2", "1.el9", "GPLv2", None,
     [("almalinux-release", "x86_64", ["@release9"])]),
    ("setup", None, "2.13.7", "9.el9", "Public Domain", None, [("setup", "noarch", ["/etc/passwd", "/etc/group"])]),
    ("filesystem", None, "3.16", "2.el9", "Public Domain", None, [("filesystem", "x86_64", ["/usr/share/filesystem.palisade"])]),
    ("tzdata", None, "2023c", "1.el9", "Public Domain", None, [("tzdata", "noarch", ["/usr/share/zoneinfo/UTC"])]),
    ("bash", None, "5.1.8", "6.el9_1", "GPLv3+", None, [("bash", "x86_64", ["/usr/bin/bash"])]),
    ("glibc", None, "2.34", "60.el9", "LGPLv2+ and LGPLv2+ with exceptions and GPLv2+", None,
     [("glibc", "x86_64", ["/usr/lib64/libc.so.6"]), ("glibc-common", "x86_64", ["/usr/bin/ldd"]),
      ("glibc-minimal-langpack", "x86_64", ["/usr/share/doc/glibc-minimal-langpack.palisade"])]),
    ("openssl", 1, "3.0.7", "16.el9_2", "ASL 2.0", None,
     [("openssl", "x86_64", ["/usr/bin/openssl"]), ("openssl-libs", "x86_64", ["/usr/lib64/libssl.so.3", "/usr/lib64/libcrypto.so.3"])]),
    ("curl", None, "7.76.1", "23.el9_2.1", "MIT", None,
     [("curl-minimal", "x86_64", ["/usr/bin/curl"]), ("libcurl-minimal", "x86_64", ["/usr/lib64/libcurl.so.4.7.0"])]),
    ("python3.9", None, "3.9.16", "1.el9_2.1", "Python", None,
     [("python3", "x86_64", ["/usr/bin/python3.9"]), ("python3-libs", "x86_64", ["/usr/lib64/libpython3.9.so.1.0"])]),
    ("sqlite", None, "3.34.1", "6.el9_1", "Public Domain", None, [("sqlite-libs", "x86_64", ["/usr/lib64/libsqlite3.so.0.8.6"])]),
    ("zlib", None, "1.2.11", "40.el9", "zlib and Boost", None, [("zlib", "x86_64", ["/usr/lib64/libz.so.1.2.11"])]),
    ("libxml2", None, "2.9.13", "3.el9_2.1", "MIT", None, [("libxml2", "x86_64", ["/usr/lib64/libxml2.so.2.9.13"])]),
    ("expat", None, "2.5.0", "1.el9", "MIT", None, [("expat", "x86_64", ["/usr/lib64/libexpat.so.1.8.10"])]),
    ("systemd", None, "252", "14.el9_2.alma.1", "LGPLv2+ and MIT", None,
     [("systemd-libs", "x86_64", ["/usr/lib64/libsystemd.so.0.35.0"])]),
    ("krb5", None, "1.20.1", "8.el9", "MIT", None, [("krb5-libs", "x86_64", ["/usr/lib64/libkrb5.so.3.3"])]),
    ("gnutls", None, "3.7.6", "20.el9_2", "GPLv3+ and LGPLv2+", None, [("gnutls", "x86_64", ["/usr/lib64/libgnutls.so.30.34.1"])]),
    ("nss", None, "3.79.0", "17.el9_1", "MPLv2.0", None,
     [("nss", "x86_64", ["/usr/lib64/libnss3.so"]), ("nss-util", "x86_64", ["/usr/lib64/libnssutil3.so"])]),
    ("tar", 2, "1.34", "6.el9_1", "GPLv3+", None, [("tar", "x86_64", ["/usr/bin/tar"])]),
    ("vim", 2, "8.2.2637", "20.el9_1", "Vim and MIT", None, [("vim-minimal", "x86_64", ["/usr/bin/vi"])]),
    ("libarchive", None, "3.5.3", "4.el9", "BSD", None, [("libarchive", "x86_64", ["/usr/lib64/libarchive.so.13.5.3"])]),
    ("ncurses", None, "6.2", "8.20210508.el9", "MIT", None,
     [("ncurses-base", "noarch", ["/usr/share/terminfo/x/xterm"]), ("ncurses-libs", "x86_64", ["/usr/lib64/libncursesw.so.6.2"])]),
    ("nginx", 1, "1.20.1", "14.el9", "BSD", None, [("nginx", "x86_64", ["/usr/sbin/nginx"])]),
    ("nodejs", 1, "18.14.2", "2.module_el9.2.0+29+de583a0b", "MIT and ASL 2.0 and ISC and BSD",
     "nodejs:18:9020020230424145347:rhel9", [("nodejs", "x86_64", ["/usr/bin/node"])]),
]
# AlmaLinux 8.8 (AlmaLinux:8): openssl-libs 1:1.1.1k-9.el8_7 = ALSA fix, below 1:1.1.1k-12.el8_9 and later;
# glibc* 2.28-225.el8 < 2.28-225.el8_8.6; platform-python/python3-libs 3.6.8-51.el8_8.1.alma = fix;
# sqlite-libs 3.26.0-18.el8_8 = fix, < 3.26.0-19.el8_9; zlib 1.2.11-21.el8_7 > 1.2.11-19.el8_6 (no finding);
# systemd-libs 239-74.el8_8.2 = fix, < 239-82.el8; tar 2:1.30-6.el8_7.1 = fix;
# nodejs 1:18.14.2-3.module_el8.8.0+3587+ee652244 (module nodejs:18) = fix, below the later nodejs:18 fixes.
ALMA8 = [
    ("almalinux-release", None, "8.8", "1.el8", "GPLv2", None, [("almalinux-release", "x86_64", ["@release8"])]),
    ("bash", None, "4.4.20", "4.el8_6", "GPLv3+", None, [("bash", "x86_64", ["/usr/bin/bash"])]),
    ("glibc", None, "2.28", "225.el8", "LGPLv2+ and LGPLv2+ with exceptions and GPLv2+", None,
     [("glibc", "x86_64", ["/usr/lib64/libc.so.6"]), ("glibc-common", "x86_64", ["/usr/bin/ldd"]),
      ("glibc-minimal-langpack", "x86_64", ["/usr/share/doc/glibc-minimal-langpack.palisade"])]),
    ("openssl", 1, "1.1.1k", "9.el8_7", "OpenSSL and ASL 2.0", None,
     [("openssl-libs", "x86_64", ["/usr/lib64/libssl.so.1.1.1k", "/usr/lib64/libcrypto.so.1.1.1k"])]),
    ("python3", None, "3.6.8", "51.el8_8.1.alma", "Python", None,
     [("platform-python", "x86_64", ["/usr/libexec/platform-python3.6"]),
      ("python3-libs", "x86_64", ["/usr/lib64/libpython3.6m.so.1.0"])]),
    ("sqlite", None, "3.26.0", "18.el8_8", "Public Domain", None, [("sqlite-libs", "x86_64", ["/usr/lib64/libsqlite3.so.0.8.6"])]),
    ("zlib", None, "1.2.11", "21.el8_7", "zlib and Boost", None, [("zlib", "x86_64", ["/usr/lib64/libz.so.1.2.11"])]),
    ("systemd", None, "239", "74.el8_8.2", "LGPLv2+ and MIT and GPLv2+", None,
     [("systemd-libs", "x86_64", ["/usr/lib64/libsystemd.so.0.23.0"])]),
    ("tar", 2, "1.30", "6.el8_7.1", "GPLv3+", None, [("tar", "x86_64", ["/usr/bin/tar"])]),
    ("nodejs", 1, "18.14.2", "3.module_el8.8.0+3587+ee652244", "MIT and ASL 2.0 and ISC and BSD",
     "nodejs:18:8080020230512075402:a75119d5", [("nodejs", "x86_64", ["/usr/bin/node"])]),
]
# openSUSE Leap 15.5 (no SUSE advisories here: package-list tests only). SUSE binary names differ from
# their sources (libopenssl1_1 from openssl-1_1, libz1 from zlib, libsqlite3-0 from sqlite3).
SUSE = [
    ("openSUSE-release", None, "15.5", "lp155.286.1", "BSD-3-Clause", None, [("openSUSE-release", "x86_64", ["@releasesuse"])]),
    ("filesystem", None, "15.0", "11.8.1", "MIT", None, [("filesystem", "x86_64", ["/usr/share/filesystem.palisade"])]),
    ("glibc", None, "2.31", "150300.52.2", "GPL-2.0-or-later AND LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0", None,
     [("glibc", "x86_64", ["/lib64/libc.so.6"])]),
    ("bash", None, "4.4", "150400.27.3.2", "GPL-3.0-or-later", None, [("bash", "x86_64", ["/usr/bin/bash"])]),
    ("openssl-1_1", None, "1.1.1l", "150500.17.9.1", "OpenSSL", None,
     [("libopenssl1_1", "x86_64", ["/usr/lib64/libssl.so.1.1", "/usr/lib64/libcrypto.so.1.1"])]),
    ("zlib", None, "1.2.13", "150500.4.3.1", "Zlib", None, [("libz1", "x86_64", ["/lib64/libz.so.1.2.13"])]),
    ("sqlite3", None, "3.39.3", "150000.3.20.1", "SUSE-Public-Domain", None,
     [("libsqlite3-0", "x86_64", ["/usr/lib64/libsqlite3.so.0.8.6"])]),
    ("ca-certificates-mozilla", None, "2.62", "150200.27.1", "MPL-2.0", None,
     [("ca-certificates-mozilla", "noarch", ["/usr/share/pki/trust/anchors/palisade.pem"])]),
]

ALMA9_OS_RELEASE = """NAME="AlmaLinux"
VERSION="9.2 (Turquoise Kodkod)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.2"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.2 (Turquoise Kodkod)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-9"
ALMALINUX_MANTISBT_PROJECT_VERSION="9.2"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.2"
"""
ALMA8_OS_RELEASE = """NAME="AlmaLinux"
VERSION="8.8 (Sapphire Caracal)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.8"
PLATFORM_ID="platform:el8"
PRETTY_NAME="AlmaLinux 8.8 (Sapphire Caracal)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:8::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-8"
ALMALINUX_MANTISBT_PROJECT_VERSION="8.8"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="8.8"
"""
SUSE_OS_RELEASE = """NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.5"
BUG_REPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org/"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Leap"
LOGO="distributor-logo-Leap"
"""
# "@name" payloads: the release package owns the release files (as almalinux-release / openSUSE-release do)
RELEASE_FILES = {
    "@release9": [("/usr/lib/os-release", ALMA9_OS_RELEASE),
                  ("/etc/almalinux-release", "AlmaLinux release 9.2 (Turquoise Kodkod)\n"),
                  ("/etc/os-release", "->../usr/lib/os-release"), ("/etc/redhat-release", "->almalinux-release"),
                  ("/etc/system-release", "->almalinux-release"),
                  ("/etc/system-release-cpe", "cpe:/o:almalinux:almalinux:9::baseos\n")],
    "@release8": [("/usr/lib/os-release", ALMA8_OS_RELEASE),
                  ("/etc/almalinux-release", "AlmaLinux release 8.8 (Sapphire Caracal)\n"),
                  ("/etc/os-release", "->../usr/lib/os-release"), ("/etc/redhat-release", "->almalinux-release"),
                  ("/etc/system-release", "->almalinux-release"),
                  ("/etc/system-release-cpe", "cpe:/o:almalinux:almalinux:8::baseos\n")],
    "@releasesuse": [("/usr/lib/os-release", SUSE_OS_RELEASE), ("/etc/os-release", "->../usr/lib/os-release"),
                     ("/etc/SUSE-brand", "openSUSE\nVERSION = 15.5\n")],
}
RPM_IMAGES = {  # name: (table, vendor, packager, distribution, buildhost)
    "alma9": (ALMA9, "AlmaLinux", "AlmaLinux Packaging Team <packager@almalinux.org>", "AlmaLinux", "build.almalinux.org"),
    "alma8-bdb": (ALMA8, "AlmaLinux", "AlmaLinux Packaging Team <packager@almalinux.org>", "AlmaLinux", "build.almalinux.org"),
    "suse-ndb": (SUSE, "openSUSE", "https://bugs.opensuse.org", "openSUSE Leap 15.5", "obs-reproducible"),
}


def spec_text(src, epoch, ver, rel, lic, bins, vendor, packager, dist, payload_dir):
    files_of = {}
    for b, _arch, files in bins:
        out = []
        for f in files:
            out += RELEASE_FILES.get(f, [(f, "")])
        files_of[b] = out
    s = [f"Name: {src}"]
    if epoch is not None:
        s.append(f"Epoch: {epoch}")
    s += [f"Version: {ver}", f"Release: {rel}", f"Summary: {src} (Palisade test package)", f"License: {lic}",
          f"Vendor: {vendor}", f"Packager: {packager}", f"Distribution: {dist}", "URL: https://example.invalid/",
          "AutoReqProv: no"]
    main = [b for b in bins if b[0] == src]
    if main and main[0][1] == "noarch":
        s.append("BuildArch: noarch")
    s += ["", "%description", f"{src}: a payload-free stand-in with the real name and version.", ""]
    for b, arch, _ in bins:
        if b == src:
            continue
        s += [f"%package -n {b}", f"Summary: {b} (Palisade test package)"]
        if arch == "noarch":
            s.append("BuildArch: noarch")
        s += ["", f"%description -n {b}", f"{b}: a payload-free stand-in.", ""]
    s += ["%install", "rm -rf %{buildroot}"]
    for b, out in files_of.items():
        for path, content in out:
            d = os.path.dirname(path)
            s.append(f"mkdir -p %{{buildroot}}{d}")
            if content.startswith("->"):
                s.append(f"ln -sf {content[2:]} %{{buildroot}}{path}")
            else:
                src_file = os.path.join(payload_dir, hashlib.sha1(content.encode()).hexdigest())
                with open(src_file, "w") as pf:
                    pf.write(content)
                s.append(f"cp {src_file} %{{buildroot}}{path}")
    s.append("")
    for b, out in files_of.items():
        s.append("%files" + ("" if b == src else f" -n {b}"))
        s += [p for p, _ in out]
        s.append("")
    return "\n".join(s)


def rpm_image(name, root, work):
    table, vendor, packager, dist, buildhost = RPM_IMAGES[name]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    top = os.path.join(work, "top")
    stage = os.path.join(work, "stage")  # sqlite rpmdb rpm installs into (the final db for alma9)
    payload = os.path.join(work, "payload")
    os.makedirs(payload)
    rpms = []
    for src, epoch, ver, rel, lic, module, bins in table:
        spec = os.path.join(work, f"{src}.spec")
        open(spec, "w").write(spec_text(src, epoch, ver, rel, lic, bins, vendor, packager, dist, payload))
        cmd = ["rpmbuild", "-bb", "--quiet", "--target", "x86_64-redhat-linux",
               "--define", f"_topdir {top}", "--define", f"_buildhost {buildhost}",
               "--define", "_target_platform x86_64-redhat-linux-gnu",
               "--define", "debug_package %{nil}", "--define", "__os_install_post %{nil}",
               "--define", "_build_id_links none", "--define", "use_source_date_epoch_as_buildtime 1",
               "--define", "clamp_mtime_to_source_date_epoch 1", "--define", "_binary_payload w9.gzdio"]
        if module:
            cmd += ["--define", f"modularitylabel {module}"]
        r = subprocess.run(cmd + [spec], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"rpmbuild {src} failed:\n{r.stdout}\n{r.stderr}")
        for b, arch, _ in bins:
            evr = f"{ver}-{rel}"
            p = os.path.join(top, "RPMS", arch, f"{b}-{evr}.{arch}.rpm")
            if not os.path.exists(p):
                sys.exit(f"rpmbuild {src}: no {p}")
            rpms.append(p)
    os.makedirs(stage, exist_ok=True)
    inst = ["rpm", "--root", stage, "--dbpath", "/var/lib/rpm", "--define", "_db_backend sqlite",
            "-i", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos", "--nosignature", "--nodigest"]
    r = subprocess.run(inst + rpms, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"rpm -i failed:\n{r.stdout}\n{r.stderr}")
    dbdir = os.path.join(stage, "var/lib/rpm")
    con = sqlite3.connect(os.path.join(dbdir, "rpmdb.sqlite"))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    blobs = con.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    con.close()
    for f in ("rpmdb.sqlite-wal", "rpmdb.sqlite-shm", ".rpm.lock"):
        if os.path.exists(os.path.join(dbdir, f)):
            os.unlink(os.path.join(dbdir, f))
    # the root: the installed payload, then the database in the image's format
    shutil.copytree(stage, root, symlinks=True, dirs_exist_ok=True)
    if name == "alma9":
        return
    shutil.rmtree(os.path.join(root, "var/lib/rpm"))
    if name == "alma8-bdb":
        os.makedirs(os.path.join(root, "var/lib/rpm"))
        dump = os.path.join(work, "Packages.dump")
        with open(dump, "w") as f:
            f.write("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n")
            # key 0 holds the highest package index allocated so far, as rpm's BDB backend keeps it
            f.write(" " + struct.pack("<I", 0).hex() + "\n " + struct.pack("<I", blobs[-1][0]).hex() + "\n")
            for hnum, blob in blobs:
                f.write(" " + struct.pack("<I", hnum).hex() + "\n " + bytes(blob).hex() + "\n")
            f.write("DATA=END\n")
        r = subprocess.run(["db5.3_load", "-f", dump, os.path.join(root, "var/lib/rpm/Packages")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"db5.3_load failed: {r.stderr}")
    elif name == "suse-ndb":
        d = os.path.join(root, "usr/lib/sysimage/rpm")
        os.makedirs(d)
        write_ndb(os.path.join(d, "Packages.db"), [(h, bytes(b)) for h, b in blobs])
        os.makedirs(os.path.join(root, "var/lib"), exist_ok=True)
        symlink(root, "var/lib/rpm", "../../usr/lib/sysimage/rpm")


# ndb (rpm's lib/backend/ndb/rpmpkg.c): little-endian words. Page 0 starts with the 32-byte header
# ("RpmP", version 0, generation, slot pages, next package index); the rest of the slot pages are 16-byte
# slots ("Slot", package index, block offset, block count; offset 0 = free). Blobs are 16-byte blocks after
# the slot pages: "BlbS", package index, generation, length, the header blob, zero padding, then
# adler32 (over everything before it), length, "BlbE".
NDB_PAGE, NDB_BLK = 4096, 16


def write_ndb(path, blobs):
    nslots = len(blobs)
    slotpages = 1
    while slotpages * (NDB_PAGE // 16) - 2 < nslots:
        slotpages += 1
    generation = len(blobs) * 2 + 1
    body = bytearray()
    slots = []
    blk = slotpages * NDB_PAGE // NDB_BLK
    for hnum, blob in blobs:
        head = struct.pack("<4I", 0x53626C42, hnum, generation, len(blob))  # b"BlbS"
        cnt = (16 + len(blob) + 12 + NDB_BLK - 1) // NDB_BLK
        pad = cnt * NDB_BLK - (16 + len(blob) + 12)
        data = head + blob + b"\0" * pad
        tail = struct.pack("<3I", zlib.adler32(data), len(blob), 0x45626C42)  # b"BlbE"
        body += data + tail
        slots.append((hnum, blk, cnt))
        blk += cnt
    page = bytearray()
    page += struct.pack("<5I", 0x506D7052, 0, generation, slotpages, blobs[-1][0] + 1 if blobs else 1)  # b"RpmP"
    page += b"\0" * 12
    for hnum, off, cnt in slots:
        page += struct.pack("<4I", 0x746F6C53, hnum, off, cnt)  # b"Slot"
    while len(page) < slotpages * NDB_PAGE:
        page += struct.pack("<4I", 0x746F6C53, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(bytes(page) + bytes(body))


def read_ndb(path):
    """Independent reader (checks the writer and what rpm would accept): [(pkgidx, blob)]."""
    data = open(path, "rb").read()
    magic, version, _gen, slotpages, _next = struct.unpack_from("<5I", data, 0)
    assert magic == 0x506D7052 and version == 0, "not an ndb Packages.db"
    out = []
    for o in range(32, slotpages * NDB_PAGE, 16):
        smagic, idx, off, cnt = struct.unpack_from("<4I", data, o)
        assert smagic == 0x746F6C53, f"bad slot at {o}"
        if not off:
            continue
        b = off * NDB_BLK
        bm, bidx, _g, blen = struct.unpack_from("<4I", data, b)
        assert bm == 0x53626C42 and bidx == idx and cnt == (16 + blen + 12 + 15) // 16
        end = b + cnt * NDB_BLK
        adl, tlen, tm = struct.unpack_from("<3I", data, end - 12)
        assert tm == 0x45626C42 and tlen == blen and adl == zlib.adler32(data[b:end - 12]), "bad blob tail"
        out.append((idx, data[b + 16:b + 16 + blen]))
    return out


def ndb_list(path):
    import rpm  # Debian's python3-rpm parses the header blobs
    for _idx, blob in read_ndb(path):
        h = rpm.hdr(blob) if hasattr(rpm, "hdr") else rpm.headerLoad(blob)
        print(f"{h['name']}\t{h['epoch'] or ''}\t{h['version']}\t{h['release']}\t{h['arch']}\t{h['sourcerpm']}")


# ------------------------------------------------------------------------------------------ Ubuntu
# Ubuntu 22.04.3 (jammy). Against ubuntu-osv.zip (Ubuntu:22.04:LTS, keyed by source package):
#   glibc 2.35-0ubuntu3.1 < 2.35-0ubuntu3.4 (UBUNTU-CVE-2023-4911, USN-6409-1)   libc6, libc-bin
#   openssl 3.0.2-0ubuntu1.10 < 3.0.2-0ubuntu1.12 (UBUNTU-CVE-2023-5363, USN-6450-1)  libssl3, openssl
#   curl 7.81.0-1ubuntu1.13 < 7.81.0-1ubuntu1.14 (UBUNTU-CVE-2023-38545)          curl, libcurl4
#   perl 5.34.0-3ubuntu1.2 < 5.34.0-3ubuntu1.3 (UBUNTU-CVE-2023-47038)           perl-base
#   tar 1.34+dfsg-1ubuntu0.1.22.04.2 = fix (UBUNTU-CVE-2023-39804): no finding
#   xz-utils 5.2.5-2ubuntu1 = fix (UBUNTU-CVE-2024-3094): no finding              liblzma5
#   openssh 1:8.9p1-3ubuntu0.3 < 1:8.9p1-3ubuntu0.10 (UBUNTU-CVE-2024-6387, USN-6859-1)  openssh-client
#   genshi 0.7.6-1build1, jetty9 9.4.45-1: unfixed (introduced 0 only)          python3-genshi, libjetty9-java
#   zlib 1:1.2.11.dfsg-2ubuntu9.2: its record has only Ubuntu:Pro:14.04:LTS: no finding   zlib1g
#   bsdutils 1:2.37.2-4ubuntu3 is built from util-linux 2.37.2-4ubuntu3 (binary version differs)
# (package, version, arch, source or None, source version or None, priority, section, files)
UBUNTU_PKGS = [
    ("base-files", "12ubuntu4.4", "amd64", None, None, "required", "admin",
     ["/etc/lsb-release", "/etc/debian_version", "/usr/lib/os-release", "/etc/os-release", "/etc/issue"]),
    ("bash", "5.1-6ubuntu1", "amd64", None, None, "required", "shells", ["/bin/bash"]),
    ("bsdutils", "1:2.37.2-4ubuntu3", "amd64", "util-linux", "2.37.2-4ubuntu3", "required", "utils", ["/usr/bin/logger"]),
    ("coreutils", "8.32-4.1ubuntu1", "amd64", None, None, "required", "utils", ["/bin/ls"]),
    ("dash", "0.5.11+git20210903+057cd650a4ed-3build1", "amd64", None, None, "required", "shells", ["/bin/dash"]),
    ("debianutils", "5.5-1ubuntu2", "amd64", None, None, "required", "utils", ["/usr/bin/which"]),
    ("dpkg", "1.21.1ubuntu2.2", "amd64", None, None, "required", "admin", ["/usr/bin/dpkg"]),
    ("grep", "3.7-1build1", "amd64", None, None, "required", "utils", ["/bin/grep"]),
    ("gzip", "1.10-4ubuntu4.1", "amd64", None, None, "required", "utils", ["/bin/gzip"]),
    ("libzstd1", "1.4.8+dfsg-3build1", "amd64", "libzstd", None, "required", "libs", ["/usr/lib/x86_64-linux-gnu/libzstd.so.1.4.8"]),
    ("zlib1g", "1:1.2.11.dfsg-2ubuntu9.2", "amd64", "zlib", None, "required", "libs", ["/usr/lib/x86_64-linux-gnu/libz.so.1.2.11"]),
    ("ncurses-base", "6.3-2ubuntu0.1", "all", "ncurses", None, "required", "misc", ["/usr/share/tabset/std"]),
    ("libc6", "2.35-0ubuntu3.1", "amd64", "glibc", None, "optional", "libs", ["/usr/lib/x86_64-linux-gnu/libc.so.6"]),
    ("libc-bin", "2.35-0ubuntu3.1", "amd64", "glibc", None, "required", "libs", ["/usr/bin/ldd"]),
    ("libssl3", "3.0.2-0ubuntu1.10", "amd64", "openssl", None, "optional", "libs", ["/usr/lib/x86_64-linux-gnu/libssl.so.3"]),
    ("openssl", "3.0.2-0ubuntu1.10", "amd64", None, None, "optional", "utils", ["/usr/bin/openssl"]),
    ("curl", "7.81.0-1ubuntu1.13", "amd64", None, None, "optional", "web", ["/usr/bin/curl"]),
    ("libcurl4", "7.81.0-1ubuntu1.13", "amd64", "curl", None, "optional", "libs", ["/usr/lib/x86_64-linux-gnu/libcurl.so.4.7.0"]),
    ("perl-base", "5.34.0-3ubuntu1.2", "amd64", "perl", None, "required", "perl", ["/usr/bin/perl"]),
    ("tar", "1.34+dfsg-1ubuntu0.1.22.04.2", "amd64", None, None, "required", "utils", ["/bin/tar"]),
    ("liblzma5", "5.2.5-2ubuntu1", "amd64", "xz-utils", None, "required", "libs", ["/lib/x86_64-linux-gnu/liblzma.so.5.2.5"]),
    ("openssh-client", "1:8.9p1-3ubuntu0.3", "amd64", "openssh", None, "standard", "net", ["/usr/bin/ssh"]),
    ("python3-genshi", "0.7.6-1build1", "all", "genshi", None, "optional", "python", ["/usr/lib/python3/dist-packages/genshi/__init__.py"]),
    ("libjetty9-java", "9.4.45-1", "all", "jetty9", None, "optional", "java", ["/usr/share/java/jetty9-server.jar"]),
]
UBUNTU_OS_RELEASE = """PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
"""
UBUNTU_FILES = {
    "/usr/lib/os-release": UBUNTU_OS_RELEASE,
    "/etc/os-release": "->../usr/lib/os-release",
    "/etc/lsb-release": 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n'
                        'DISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n',
    "/etc/debian_version": "bookworm/sid\n",
    "/etc/issue": "Ubuntu 22.04.3 LTS \\n \\l\n\n",
}


def ubuntu(root):
    os.makedirs(os.path.join(root, "var/lib/dpkg/info"), exist_ok=True)
    for d in ("var/lib/dpkg/updates", "var/lib/dpkg/triggers", "tmp", "root", "dev", "proc", "sys"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    stanzas = []
    for pkg, ver, arch, src, srcver, prio, sect, files in UBUNTU_PKGS:
        st = [f"Package: {pkg}", "Status: install ok installed", f"Priority: {prio}", f"Section: {sect}",
              f"Installed-Size: {100 + zlib.crc32(pkg.encode()) % 5000}",
              "Maintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>", f"Architecture: {arch}"]
        if arch != "all" and pkg.startswith("lib"):
            st.append("Multi-Arch: same")
        if src:
            st.append(f"Source: {src}" + (f" ({srcver})" if srcver else ""))
        st += [f"Version: {ver}", f"Description: {pkg} (Palisade test stanza)",
               " A dpkg status entry with the name and version of the Ubuntu 22.04 package."]
        if pkg == "base-files":
            st.insert(st.index(f"Version: {ver}") + 1, "Essential: yes")
        stanzas.append("\n".join(st))
        listname = pkg + (":amd64" if "Multi-Arch: same" in st else "")
        dirs = set()
        for f in files:
            p = f
            while os.path.dirname(p) != "/":
                p = os.path.dirname(p)
                dirs.add(p)
        with open(os.path.join(root, "var/lib/dpkg/info", listname + ".list"), "w") as lf:
            lf.write("/.\n" + "".join(d + "\n" for d in sorted(dirs)) + "".join(f + "\n" for f in files))
        for f in files:
            content = UBUNTU_FILES.get(f, "")
            if content.startswith("->"):
                symlink(root, f, content[2:])
            else:
                write(root, f, content, 0o755 if "/bin/" in f else 0o644)
    write(root, "var/lib/dpkg/status", "\n\n".join(stanzas) + "\n")
    write(root, "var/lib/dpkg/available", "")
    write(root, "var/lib/dpkg/arch", "amd64\n")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "alpine" and len(sys.argv) == 4:
        alpine(sys.argv[2], sys.argv[3])
    elif cmd == "alpine-tsv" and len(sys.argv) == 3:
        alpine_tsv(sys.argv[2])
    elif cmd == "rpm" and len(sys.argv) == 5:
        rpm_image(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "ndb-list" and len(sys.argv) == 3:
        ndb_list(sys.argv[2])
    elif cmd == "ubuntu" and len(sys.argv) == 3:
        ubuntu(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
