#!/usr/bin/env bash
# build-test-images.sh - build Palisade's real test images from the Debian mirror.
#
# Usage: scripts/build-test-images.sh [--force] [--big] [--no-arm64] [--os-only] [--only NAME,...] [OUTDIR]
#   OUTDIR     default: <repo>/.work/images
#   --force    rebuild images whose outputs already exist
#   --big      also build the ~1 GB "big" image (benchmark only)
#   --no-arm64 skip minbase-arm64 and the multiarch index
#   --os-only  only the OS-package images below (alpine alma9 alma8-bdb suse-ndb ubuntu; no debootstrap)
#   --only     only these images and what they are built from (e.g. --only apps builds minbase and apps)
# Env: MIRROR (default http://deb.debian.org/debian), SOURCE_DATE_EPOCH (default 2025-01-01T00:00:00Z).
# Needs root (debootstrap, chroot, mount) and: debootstrap umoci skopeo jq python3 (dpkg-query, dpkg-deb);
# the OS-package images also rpm (rpmbuild), db5.3-util and python3-rpm (installed with apt-get when missing).
#
# Images (Debian 12 "bookworm"):
#   minbase        1 layer : debootstrap --variant=minbase
#   layers         3 layers: minbase + apt-get install openssl curl ca-certificates (no recommends)
#                            + hand-written layer: usr/bin/.wh.curl (file whiteout), usr/share/doc/.wh.curl
#                              (dir whiteout), usr/share/doc/ca-certificates/.wh..wh..opq (opaque) + a new file
#   deleted-dpkg   2 layers: minbase + var/lib/dpkg/.wh.status -> a scanner must find NO dpkg packages
#   aged           2 layers: minbase + a new var/lib/dpkg/status that records the Debian 12.0 versions of
#                            glibc, tar, perl, xz-utils, shadow and util-linux packages (binNMU "+b1" versions
#                            with "Source: util-linux (2.38.1-5)"), so known, fixed CVEs match
#   minbase-arm64  1 layer : debootstrap --foreign --arch=arm64 (first stage only, no emulation); the first
#                            stage leaves /var/lib/dpkg/status empty, so we write it from the control data of
#                            the unpacked .debs (Status: install ok installed), then drop the .debs
#   multiarch      OCI index (layout only): minbase (linux/amd64) + minbase-arm64 (linux/arm64/v8)
#   lang           5 layers: minbase
#                            + pip install --no-deps --target /usr/local/lib/python3.11/site-packages of old,
#                              vulnerable pure-Python wheels (Django 3.2.0 asgiref sqlparse Jinja2 2.10 requests
#                              2.19.0 urllib3 1.24.1) and /opt/app/requirements.txt pinning them
#                            + /opt/app/node: npm install --save-exact --ignore-scripts lodash@4.17.15 minimist@1.2.0
#                              (package.json, package-lock.json, node_modules)
#                            + /usr/local/bin/gofixture: static `go build` of a main importing golang.org/x/text/language,
#                              vendored from Debian's golang-golang-x-text-dev as v0.3.7 (GOFLAGS=-mod=vendor GOPROXY=off)
#                            + /opt/app/rust/Cargo.lock (v3; smallvec 1.6.0, regex 1.5.4, time 0.1.43 and their
#                              dependencies as cargo resolved them; nothing is built)
#                            Needs pip (python3-pip), npm, and go with /usr/share/gocode (golang-go
#                            golang-golang-x-text-dev; installed with apt when missing). Downloads from PyPI and npm.
#   apps           7 layers: minbase, then one layer per ecosystem; every file made by the ecosystem's own tool
#                            on the host (cached in OUTDIR/cache/apps; scripts/apps_image.sh):
#                            + Ruby: chroot apt-get install ruby (libruby3.1's default/bundled gemspecs and
#                              rubygems-integration's: dpkg-owned) + tiny gems `gem build` + `gem install --local
#                              --ignore-dependencies --install-dir /usr/local/bundle` (rack 2.0.8 and 3.0.0.beta1,
#                              actionpack 5.0.0.beta1, activesupport 6.1.4.1, nokogiri 1.13.5-x86_64-linux, loofah,
#                              rails-html-sanitizer 1.4.2, ...) + /opt/app/ruby/Gemfile.lock by `bundle lock --local`
#                            + Java: chroot apt-get install libcommons-lang3-java (a dpkg-owned jar with pom.properties)
#                              + /opt/app/java made with the JDK's `jar`: lib/log4j-core-2.14.1.jar (pom.properties +
#                              MANIFEST.MF), a Spring Boot fat jar demo-0.0.1-SNAPSHOT.jar (BOOT-INF/lib/*.jar STORED;
#                              shared-utils-1.2.0.jar in it holds lib/snakeyaml-1.26.jar: two levels), webapp.war
#                              (WEB-INF/lib/*.jar), lib/shaded-app-1.0.0.jar (4 pom.properties), lib/spring-web.jar
#                              (MANIFEST.MF Implementation-Title/Version only), lib/commons-lang3-3.8.jar (file name only)
#                            + PHP: /opt/app/php: `composer install` (Debian's composer, packagist disabled, a local
#                              artifact repository of tiny zips): composer.lock, vendor/composer/installed.json
#                              (guzzle 6.5.2, psr7, monolog 1.25.1, psr/log, symfony/http-kernel v4.4.0; dev phpunit)
#                            + .NET: /opt/app/dotnet (no SDK: written in the SDK's shapes): api/Fixture.Api.deps.json
#                              (Newtonsoft.Json 12.0.1, System.Text.Encodings.Web 4.5.0, Portable.BouncyCastle
#                              1.8.6.7, an 8.0.0-rc.2 package, two packages without runtime assets, projects),
#                              src/Fixture.Worker/packages.lock.json, legacy/packages.config
#                            + Node.js: /opt/app/{yarn,yarn-berry,pnpm}: package.json and the lockfile written by
#                              yarn 1.22 (`yarn install`), yarn 4 (`--mode=update-lockfile`), pnpm 9 (`--lockfile-only`)
#                            + Python: /opt/app/poetry (pyproject.toml, `poetry lock`), /opt/app/pipenv (Pipfile,
#                              `pipenv lock`)
#                            Needs ruby bundler jar php-cli php-zip composer npm python3-venv (apt-get installs the
#                            missing ones); downloads yarn, pnpm, poetry, pipenv and the lockfiles' resolution from npm
#                            and PyPI (only on a cold cache).
#   big            2 layers: minbase + build-essential python3-full default-jdk-headless git curl
#                            openssh-client perl (only with --big)
#
# OS-package images (no Alpine/Ubuntu/EL mirror is reachable: the package databases are written by the real tools
# where one exists, with real names and versions chosen against /work/shared/data/advisories; root filesystems and
# tables in scripts/os_images.py; a second or so each):
#   alpine         2 layers: Alpine 3.11.6 from scratch: etc/alpine-release, etc/os-release, lib/apk/db/installed
#                            (apk's installed-db format, 27 v3.11 main packages: several binaries per origin, e.g.
#                            libcrypto1.1/libssl1.1 <- openssl, a `_p` version) and an empty file per listed file
#                            + a layer rewriting lib/apk/db/installed: sqlite-libs 3.30.1-r0 -> 3.30.1-r1 (apk upgrade)
#   alma9          1 layer : AlmaLinux 9.2 (os-release, almalinux-release, redhat-release symlink), 30 rpms built by
#                            Debian's rpmbuild 4.18 from tiny specs (real names, EVRs, SOURCERPMs, Vendor AlmaLinux; one
#                            module package, nodejs:18, with RPMTAG_MODULARITYLABEL), installed by `rpm --root -i
#                            --nodeps --noscripts` into the sqlite rpmdb var/lib/rpm/rpmdb.sqlite (payload files too)
#   alma8-bdb      1 layer : AlmaLinux 8.8, 13 rpms (nodejs:18 module package among them); rpm installs them into a
#                            sqlite db whose header blobs become a BerkeleyDB hash var/lib/rpm/Packages (db5.3_load;
#                            4-byte little-endian package-index keys, key 0 = highest index, as EL8 keeps it); no
#                            index databases (Name, Basenames, ...). `rpm --define '_db_backend bdb_ro' -qa` lists it.
#   suse-ndb       1 layer : openSUSE Leap 15.5, 8 rpms; header blobs written as an ndb usr/lib/sysimage/rpm/Packages.db
#                            (rpm's ndb format, written by os_images.py: Debian's rpm has no ndb backend; read back by
#                            an independent reader + python3-rpm), var/lib/rpm -> ../../usr/lib/sysimage/rpm
#   ubuntu         1 layer : Ubuntu 22.04.3 (os-release, lsb-release, debian_version "bookworm/sid"), var/lib/dpkg/status
#                            with 24 jammy stanzas (glibc, openssl, curl, perl, tar, xz-utils, openssh, genshi, jetty9 and
#                            base packages; bsdutils "1:2.37.2-4ubuntu3" with "Source: util-linux (2.37.2-4ubuntu3)"),
#                            info/*.list and the listed files (empty); read by the host's dpkg-query
#
# Outputs per image NAME:
#   OUTDIR/oci/NAME              OCI layout, tag "latest", gzip layers
#   OUTDIR/docker/NAME.tar       docker-archive (docker save format; skopeo stores layers uncompressed)
#   OUTDIR/oci-archive/NAME.tar  OCI archive (gzip layers)
#   OUTDIR/manifests/NAME.dpkg.tsv  expected packages: Package Version Arch SourcePackage SourceVersion
#                                   (installed ones, sorted; empty for deleted-dpkg; lang: minbase's)
#   OUTDIR/manifests/NAME.os.tsv    OS-package images: Name Version Arch SourceName SourceVersion, sorted, read
#                                   with the real tools: rpm -qa --qf (Version [epoch:]version-release, source
#                                   = SOURCERPM's name and version-release; suse-ndb from the sqlite db its blobs
#                                   came from), dpkg-query -W (Source), and for apk (no apk binary here) a small
#                                   reader of the merged installed db (V:, o: with the package's own version)
#   OUTDIR/manifests/lang.txt    expected language packages of lang, one per line, sorted:
#                                Type<TAB>File<TAB>Name<TAB>Version, where Type is Trivy's (python-pkg, pip,
#                                node-pkg, npm, gobinary, cargo) and File the file that records the package
#                                (a dist-info METADATA, a package.json, the lockfile, the binary); read from
#                                what pip, npm and go produced, not from a scanner
#   OUTDIR/manifests/apps.tsv    expected packages of apps, sorted: Type<TAB>Name<TAB>Version<TAB>Path<TAB>Scope;
#                                Type is Trivy's (gemspec bundler jar composer composer-vendor dotnet-core nuget
#                                yarn pnpm poetry pipenv); Name the ecosystem's (Maven group:artifact, Composer
#                                vendor/name, NuGet id); Path the file recording it (nested: outer.jar!inner.jar);
#                                Scope prod, dev (development/build only: Trivy leaves these out by default), self
#                                (the project itself: a package.json, a .deps.json project) or os (in a dpkg-owned
#                                file, e.g. Debian ruby's default gemspecs: to be reported as the dpkg package only).
#                                Read from the files the tools wrote by scripts/apps_manifest.py (Debian's ruby reads
#                                the gemspecs, Gemfile.lock and YAML lockfiles)
#   OUTDIR/oci-zstd/layers       the layers image with zstd layers (skopeo --dest-compress-format zstd)
#   OUTDIR/images.env            shell variables for tests (source it): PALISADE_TEST_<NAME>_OCI, _DIGEST, ...;
#                                _PACKAGES_TXT for an image with a NAME.txt manifest (lang); _TSV and _COUNT for
#                                one with a NAME.tsv (apps; _COUNT counts its rows); _OS_TSV and _OS_COUNT
#                                for an OS-package image (NAME.os.tsv); names uppercased, '-' -> '_'
#   OUTDIR/build-times.tsv       wall seconds per image built
# Caches: OUTDIR/cache (debootstrap, apt, pip, npm and Go build downloads; apps/: the apps fixtures and the
#         tools that made them, keyed by the making function's text and the tool versions; apt/lists: package
#         lists, reused for a day), OUTDIR/build/oci (build layout with stage tags).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FORCE=0 BIG=0 ARM64=1 OSONLY=0 ONLY= OUTDIR=
while [ $# -gt 0 ]; do
  case $1 in
    --force) FORCE=1 ;;
    --big) BIG=1 ;;
    --no-arm64) ARM64=0 ;;
    --os-only) OSONLY=1 ;;
    --only) ONLY=${2:?--only needs image names}; shift ;;
    --only=*) ONLY=${1#--only=} ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) OUTDIR=$1 ;;
  esac
  shift
done
OUTDIR=${OUTDIR:-$ROOT/.work/images}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
SDE=${SOURCE_DATE_EPOCH:-1735689600}
ISO=$(date -u -d "@$SDE" +%Y-%m-%dT%H:%M:%SZ)
AUTHOR="palisade test images"
CACHE=$OUTDIR/cache
BUILD=$OUTDIR/build
LAYOUT=$BUILD/oci
LAYERS_PKGS="openssl curl ca-certificates"
BIG_PKGS="build-essential python3-full default-jdk-headless git curl openssh-client perl"
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8 TZ=UTC DEBIAN_FRONTEND=noninteractive SOURCE_DATE_EPOCH=$SDE

say() { printf '[build-test-images %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

for t in debootstrap umoci skopeo jq python3 dpkg-query dpkg-deb; do
  command -v "$t" >/dev/null || PATH=$PATH:/usr/sbin:/sbin command -v "$t" >/dev/null \
    || die "missing tool: $t (apt-get install debootstrap umoci skopeo jq python3)"
done
export PATH=$PATH:/usr/sbin:/sbin

# ------------------------------------------------------------------ mounts
unmount_under() {  # unmount everything below $1, deepest first
  local m
  awk -v p="$1/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}
cleanup() { unmount_under "$BUILD"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

chroot_prepare() {  # mount proc/dev and the apt cache so apt-get works inside the rootfs
  local r=$1
  mount -t proc proc "$r/proc"
  mount --bind /dev "$r/dev"
  mkdir -p "$r/dev/pts" && mount --bind /dev/pts "$r/dev/pts" 2>/dev/null || true
  mkdir -p "$CACHE/apt/archives/partial" "$r/var/cache/apt/archives"
  mount --bind "$CACHE/apt/archives" "$r/var/cache/apt/archives"
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d" && chmod 755 "$r/usr/sbin/policy-rc.d"
}
chroot_release() {
  local r=$1
  unmount_under "$r"
  rm -f "$r/usr/sbin/policy-rc.d"
  : > "$r/etc/resolv.conf"
}
in_chroot() {
  local r=$1; shift
  chroot "$r" /usr/bin/env -i HOME=/root PATH=$CHROOT_PATH LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

empty_kernel_dirs() {  # runtimes mount /dev /proc /sys: ship them empty. debootstrap may leave a
  # mount or (first stage, in a container) a symlink rootfs/proc -> /proc: never rm through those.
  local r=$1 d
  unmount_under "$r"
  for d in dev:755 proc:555 sys:555; do
    rm -rf --one-file-system -- "${r:?}/${d%%:*}"
    mkdir -m "${d#*:}" "$r/${d%%:*}"
  done
}

tidy_rootfs() {  # drop logs and caches, clamp mtimes to SOURCE_DATE_EPOCH
  local r=$1
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/* \
         "$r"/var/log/apt/* "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.cache "$r"/debootstrap
  rm -f "$r"/var/log/dpkg.log "$r"/var/log/alternatives.log "$r"/var/log/bootstrap.log \
        "$r"/var/lib/dpkg/*-old "$r"/var/cache/debconf/*-old "$r"/var/cache/ldconfig/aux-cache
  mkdir -p "$r/var/cache/apt/archives/partial"
  find "$r" -xdev -newermt "@$SDE" -exec touch --no-dereference --date="@$SDE" {} +
}

# ------------------------------------------------------------------ helpers
has_tag() { [ -f "$LAYOUT/index.json" ] && jq -e --arg t "$1" \
  'any((.manifests // [])[]; .annotations["org.opencontainers.image.ref.name"] == $t)' "$LAYOUT/index.json" >/dev/null; }

deps_of() {
  case $1 in
    layers|deleted-dpkg|aged|lang|apps|big) echo minbase ;;
    multiarch) echo minbase minbase-arm64 ;;
  esac
}
image_done() {  # not --force, outputs exist (stamp written last), and newer than what it was built from
  local s=$OUTDIR/stamps/$1 d
  [ "$FORCE" = 0 ] && [ -f "$s" ] && [ -f "$OUTDIR/oci/$1/index.json" ] || return 1
  for d in $(deps_of "$1"); do [ "$s" -nt "$OUTDIR/stamps/$d" ] || return 1; done
}

repack() {  # repack BUNDLE TAG CREATED_BY
  umoci repack --image "$LAYOUT:$2" --history.created "$ISO" --history.author "$AUTHOR" \
    --history.created_by "$3" "$1"
}

set_config() {  # set_config TAG ARCH TITLE [umoci config args]
  local tag=$1 arch=$2 title=$3; shift 3
  umoci config --image "$LAYOUT:$tag" --no-history --created "$ISO" --author "$AUTHOR" \
    --os linux --architecture "$arch" --config.env "PATH=$CHROOT_PATH" --config.cmd "${CONFIG_CMD:-bash}" \
    --config.label "org.opencontainers.image.title=palisade-test/$title" "$@"
}

dpkg_tsv() {  # dpkg_tsv ROOTFS OUT: installed packages from ROOTFS/var/lib/dpkg (host dpkg-query, any arch)
  dpkg-query --admindir="$1/var/lib/dpkg" -W \
    -f='${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n' \
    | awk -F'\t' -v OFS='\t' '$1 == "installed" {print $2, $3, $4, $5, $6}' | LC_ALL=C sort > "$2"
}

export_image() {  # export_image TAG NAME: OCI layout, docker-archive, OCI archive
  local tag=$1 name=$2
  rm -rf "$OUTDIR/oci/$name" "$OUTDIR/docker/$name.tar" "$OUTDIR/oci-archive/$name.tar" "$OUTDIR/stamps/$name"
  mkdir -p "$OUTDIR/oci" "$OUTDIR/docker" "$OUTDIR/oci-archive" "$OUTDIR/stamps"
  skopeo copy --quiet "oci:$LAYOUT:$tag" "oci:$OUTDIR/oci/$name:latest"
  skopeo copy --quiet "oci:$LAYOUT:$tag" "docker-archive:$OUTDIR/docker/$name.tar:palisade-test/$name:latest"
  skopeo copy --quiet "oci:$LAYOUT:$tag" "oci-archive:$OUTDIR/oci-archive/$name.tar:latest"
  touch "$OUTDIR/stamps/$name"
}

wanted() {  # wanted NAME: no --only, or NAME is listed there or something listed is built from it
  local n d
  [ -z "$ONLY" ] && return 0
  for n in ${ONLY//,/ }; do
    [ "$n" = "$1" ] && return 0
    for d in $(deps_of "$n"); do [ "$d" = "$1" ] && return 0; done
  done
  return 1
}

TIMES=()
timed() {  # timed NAME FUNC: run FUNC unless NAME is done (or not wanted), record wall seconds
  local name=$1 fn=$2 t0 dt
  wanted "$name" || return 0
  if image_done "$name"; then say "$name: cached (use --force to rebuild)"; return 0; fi
  [ "$(id -u)" = 0 ] || die "$name must be built, which needs root (debootstrap, chroot, mount)"
  say "$name: building"
  t0=$(date +%s.%N)
  "$fn"
  dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  TIMES+=("$name $dt")
  printf '%s\t%s\t%s\n' "$name" "$dt" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$OUTDIR/build-times.tsv"
  say "$name: built in ${dt}s"
}

ensure_minbase_tag() {  # dependents start from the build layout's "minbase" tag
  has_tag minbase && return 0
  if [ -f "$OUTDIR/oci/minbase/index.json" ]; then
    skopeo copy --quiet "oci:$OUTDIR/oci/minbase:latest" "oci:$LAYOUT:minbase"
  else
    build_minbase
  fi
}

write_layer() {  # write_layer OUT.tar SPEC...: uncompressed tar, root-owned, mtime SDE.
  # SPEC: "d:path/" directory, "f:path" empty file, "f:path=content" file with content
  python3 - "$SDE" "$@" <<'PY'
import io, sys, tarfile
sde, out, specs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for spec in specs:
        kind, rest = spec.split(":", 1)
        name, _, data = rest.partition("=")
        ti = tarfile.TarInfo(name.rstrip("/"))
        ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = sde, 0, 0, "root", "root"
        if kind == "d":
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            t.addfile(ti)
        else:
            body = data.encode()
            ti.type, ti.mode, ti.size = tarfile.REGTYPE, 0o644, len(body)
            t.addfile(ti, io.BytesIO(body))
PY
}

# ------------------------------------------------------------------ images
build_minbase() {
  local b=$BUILD/b-minbase r
  r=$b/rootfs
  rm -rf "$b"
  has_tag empty || umoci new --image "$LAYOUT:empty"
  umoci unpack --image "$LAYOUT:empty" "$b" >/dev/null
  mkdir -p "$CACHE/debootstrap"
  say "minbase: debootstrap --variant=minbase $SUITE (log: $BUILD/debootstrap-amd64.log)"
  debootstrap --variant=minbase --arch=amd64 --cache-dir="$CACHE/debootstrap" "$SUITE" "$r" "$MIRROR" \
    > "$BUILD/debootstrap-amd64.log" 2>&1 || { tail -30 "$BUILD/debootstrap-amd64.log" >&2; die "debootstrap failed"; }
  echo "deb $MIRROR $SUITE main" > "$r/etc/apt/sources.list"
  : > "$r/etc/resolv.conf"
  echo palisade-test > "$r/etc/hostname"
  empty_kernel_dirs "$r"
  tidy_rootfs "$r"
  repack "$b" minbase "/bin/sh -c #(nop) debootstrap --variant=minbase $SUITE / $MIRROR"
  set_config minbase amd64 minbase
  dpkg_tsv "$r" "$OUTDIR/manifests/minbase.dpkg.tsv"
  export_image minbase minbase
  rm -rf "$b"
}

build_layers() {
  ensure_minbase_tag
  local b=$BUILD/b-layers r
  r=$b/rootfs
  rm -rf "$b"
  umoci unpack --image "$LAYOUT:minbase" "$b" >/dev/null
  chroot_prepare "$r"
  in_chroot "$r" apt-get update -qq
  in_chroot "$r" apt-get install -y -qq --no-install-recommends $LAYERS_PKGS >/dev/null
  chroot_release "$r"
  tidy_rootfs "$r"
  [ -e "$r/usr/bin/curl" ] && [ -d "$r/usr/share/doc/curl" ] && [ -d "$r/usr/share/doc/ca-certificates" ] \
    || die "layers: expected curl files are missing"
  repack "$b" layers "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends $LAYERS_PKGS && rm -rf /var/lib/apt/lists/*"
  # dpkg status still lists curl: the whiteouts below delete files, not package records
  dpkg_tsv "$r" "$OUTDIR/manifests/layers.dpkg.tsv"
  write_layer "$BUILD/layer-whiteouts.tar" \
    d:usr/ d:usr/bin/ f:usr/bin/.wh.curl \
    d:usr/share/ d:usr/share/doc/ f:usr/share/doc/.wh.curl \
    d:usr/share/doc/ca-certificates/ f:usr/share/doc/ca-certificates/.wh..wh..opq \
    "f:usr/share/doc/ca-certificates/NOTE.palisade=only file left in this directory (opaque whiteout below it)
"
  umoci raw add-layer --image "$LAYOUT:layers" --history.created "$ISO" --history.author "$AUTHOR" \
    --history.created_by "/bin/sh -c rm /usr/bin/curl && rm -rf /usr/share/doc/curl /usr/share/doc/ca-certificates/* && echo ... > /usr/share/doc/ca-certificates/NOTE.palisade" \
    "$BUILD/layer-whiteouts.tar"
  set_config layers amd64 layers
  export_image layers layers
  # zstd variant (skopeo >= 1.5 supports --dest-compress-format zstd for the oci transport)
  rm -rf "$OUTDIR/oci-zstd/layers"; mkdir -p "$OUTDIR/oci-zstd"
  skopeo copy --quiet --dest-compress --dest-compress-format zstd \
    "oci:$LAYOUT:layers" "oci:$OUTDIR/oci-zstd/layers:latest"
  rm -rf "$b" "$BUILD/layer-whiteouts.tar"
}

build_deleted_dpkg() {
  ensure_minbase_tag
  write_layer "$BUILD/layer-nodpkg.tar" d:var/ d:var/lib/ d:var/lib/dpkg/ f:var/lib/dpkg/.wh.status
  umoci raw add-layer --image "$LAYOUT:minbase" --tag deleted-dpkg --history.created "$ISO" \
    --history.author "$AUTHOR" --history.created_by "/bin/sh -c rm /var/lib/dpkg/status" "$BUILD/layer-nodpkg.tar"
  set_config deleted-dpkg amd64 deleted-dpkg
  : > "$OUTDIR/manifests/deleted-dpkg.dpkg.tsv"
  export_image deleted-dpkg deleted-dpkg
  rm -f "$BUILD/layer-nodpkg.tar"
}

build_aged() {  # minbase + a layer whose dpkg status records the Debian 12.0 versions of a few packages
  ensure_minbase_tag
  local b=$BUILD/b-aged r
  r=$b/rootfs
  rm -rf "$b"
  umoci unpack --image "$LAYOUT:minbase" "$b" >/dev/null
  python3 - "$r/var/lib/dpkg/status" <<'PY'
import re, sys
# package -> (version, source version) as released in Debian 12.0 (binNMUs "+b1" keep the source version)
AGED = {
    "libc6": ("2.36-9", "2.36-9"), "libc-bin": ("2.36-9", "2.36-9"),
    "tar": ("1.34+dfsg-1.2", "1.34+dfsg-1.2"),
    "perl-base": ("5.36.0-7", "5.36.0-7"),
    "liblzma5": ("5.4.1-0.2", "5.4.1-0.2"),
    "login": ("1:4.13+dfsg1-1+b1", "1:4.13+dfsg1-1"), "passwd": ("1:4.13+dfsg1-1+b1", "1:4.13+dfsg1-1"),
    "bsdutils": ("1:2.38.1-5+b1", "2.38.1-5"),
    **{p: ("2.38.1-5+b1", "2.38.1-5") for p in
       ("util-linux", "util-linux-extra", "libblkid1", "libmount1", "libsmartcols1", "libuuid1", "mount")},
}
path = sys.argv[1]
stanzas = open(path).read().rstrip("\n").split("\n\n")
seen = set()
out = []
for st in stanzas:
    lines = st.split("\n")
    pkg = lines[0].split(": ", 1)[1]
    if pkg in AGED:
        ver, srcver = AGED[pkg]
        src = pkg
        for l in lines:
            if l.startswith("Source: "):
                src = l.split(": ", 1)[1].split(" ")[0]
        lines = [l for l in lines if not l.startswith("Source: ")]
        i = next(i for i, l in enumerate(lines) if l.startswith("Version: "))
        lines[i] = "Version: " + ver
        if src != pkg or srcver != ver:
            lines.insert(i, "Source: " + src + (f" ({srcver})" if srcver != ver else ""))
        seen.add(pkg)
    out.append("\n".join(lines))
missing = set(AGED) - seen
assert not missing, f"not in minbase: {missing}"
open(path, "w").write("\n\n".join(out) + "\n")
PY
  tidy_rootfs "$r"
  repack "$b" aged "/bin/sh -c #(nop) COPY status /var/lib/dpkg/status (Debian 12.0 versions of glibc tar perl xz-utils shadow util-linux)"
  set_config aged amd64 aged
  dpkg_tsv "$r" "$OUTDIR/manifests/aged.dpkg.tsv"
  export_image aged aged
  rm -rf "$b"
}

# lang: language packages of every ecosystem the analyzers read, in layers of their own on minbase.
LANG_PY_REQS="Django==3.2.0
asgiref==3.3.4
sqlparse==0.4.1
Jinja2==2.10
requests==2.19.0
urllib3==1.24.1"   # --no-deps keeps the set exact (requests 2.19.0 wants urllib3<1.24: the pin is deliberate);
                   # MarkupSafe 1.1.1 has no wheel for Python 3.11 (an sdist would need a compiler): left out
LANG_NPM="lodash@4.17.15 minimist@1.2.0"
LANG_SITE=usr/local/lib/python3.11/site-packages

lang_tools() {  # the host tools the lang layers are made with; apt-get installs the missing ones
  local pkgs=()
  python3 -m pip --version >/dev/null 2>&1 || pkgs+=(python3-pip)
  command -v npm >/dev/null || pkgs+=(npm)
  command -v go >/dev/null || pkgs+=(golang-go)
  [ -d /usr/share/gocode/src/golang.org/x/text/language ] || pkgs+=(golang-golang-x-text-dev)
  [ ${#pkgs[@]} = 0 ] && return 0
  say "lang: apt-get install ${pkgs[*]}"
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; } \
    || die "lang: cannot install ${pkgs[*]}"
}

tar_layer() {  # tar_layer OUT.tar DIR TOP...: uncompressed tar of DIR/TOP..., sorted, root-owned, mtime SDE
  local out=$1 dir=$2; shift 2
  tar --create --file "$out" --directory "$dir" --sort=name --format=pax \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --owner=root:0 --group=root:0 --mtime="@$SDE" "$@"
}

add_layer() {  # add_layer TAR CREATED_BY: append TAR to the build layout's lang tag
  umoci raw add-layer --image "$LAYOUT:lang" --history.created "$ISO" --history.author "$AUTHOR" \
    --history.created_by "$2" "$1"
}

lang_go_fixture() {  # lang_go_fixture DIR: static gofixture with module build info, offline
  local d=$1 src=/usr/share/gocode/src/golang.org/x/text
  mkdir -p "$d/vendor/golang.org/x"
  cp -a "$src" "$d/vendor/golang.org/x/text"
  find "$d/vendor" \( -name go.mod -o -name go.sum \) -delete
  printf 'module example.com/palisade-test/gofixture\n\ngo 1.19\n\nrequire golang.org/x/text v0.3.7\n' > "$d/go.mod"
  cat > "$d/main.go" <<'GO'
package main

import (
	"fmt"

	"golang.org/x/text/language"
)

func main() {
	fmt.Println(language.Make("en-US").String())
}
GO
  # Debian ships the source of a newer release; go.mod and modules.txt name it v0.3.7 (vulnerable
  # to CVE-2021-38561 and CVE-2022-32149), which is what the binary's build info then records.
  { echo "# golang.org/x/text v0.3.7"; echo "## explicit"
    (cd "$d/vendor" && find golang.org/x/text -name '*.go' ! -name '*_test.go' -printf '%h\n' \
       | grep -v -e testdata -e /cmd/ -e /gen | LC_ALL=C sort -u); } > "$d/vendor/modules.txt"
  (cd "$d" && env CGO_ENABLED=0 GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOWORK=off \
     GOCACHE="$CACHE/go-build" GOPATH="$CACHE/gopath" \
     go build -trimpath -buildvcs=false -ldflags="-s -w" -o "$d/gofixture" .) \
    || die "lang: go build of the Go fixture failed"
}

build_lang() {
  ensure_minbase_tag
  lang_tools
  local b=$BUILD/b-lang s m um
  rm -rf "$b"; mkdir -p "$b"
  um=$(umask); umask 022   # the layers' modes are the staged files' modes
  m=$b/manifest.tsv
  : > "$m"
  umoci tag --image "$LAYOUT:minbase" lang

  # Python: wheels only (no build step), no bytecode, no console scripts
  s=$b/python; mkdir -p "$s/$LANG_SITE" "$s/opt/app"
  printf '%s\n' "$LANG_PY_REQS" > "$s/opt/app/requirements.txt"
  PIP_CACHE_DIR=$CACHE/pip PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_INPUT=1 \
    python3 -m pip install -q --no-deps --no-compile --only-binary=:all: --target "$s/$LANG_SITE" \
    -r "$s/opt/app/requirements.txt" || die "lang: pip install failed"
  rm -rf "${s:?}/$LANG_SITE/bin"
  python3 - "$s" "$LANG_SITE" >> "$m" <<'PY'
import email.parser, glob, os, sys
root, site = sys.argv[1], sys.argv[2]
for meta in sorted(glob.glob(os.path.join(root, site, "*.dist-info", "METADATA"))):
    h = email.parser.Parser().parse(open(meta, encoding="utf-8"), headersonly=True)
    print(f"python-pkg\t{os.path.relpath(meta, root)}\t{h['Name']}\t{h['Version']}")
for line in open(os.path.join(root, "opt/app/requirements.txt")):
    name, _, version = line.strip().partition("==")
    print(f"pip\topt/app/requirements.txt\t{name}\t{version}")
PY
  tar_layer "$b/python.tar" "$s" opt usr
  add_layer "$b/python.tar" "/bin/sh -c pip install --no-deps --no-compile --target /$LANG_SITE -r /opt/app/requirements.txt"

  # Node.js: node_modules and the lockfile npm wrote
  s=$b/node; mkdir -p "$s/opt/app/node"
  printf '{\n  "name": "palisade-node-fixture",\n  "version": "1.0.0",\n  "private": true\n}\n' > "$s/opt/app/node/package.json"
  (cd "$s/opt/app/node" && npm install --cache "$CACHE/npm" --save-exact --ignore-scripts --no-audit --no-fund \
     --loglevel=error $LANG_NPM >/dev/null) || die "lang: npm install failed"
  rm -f "$s/opt/app/node/node_modules/.package-lock.json"   # npm's own cache of the tree, not a lockfile
  jq -r '.packages | to_entries[] | select(.key != "" and (.value.dev | not))
         | "npm\topt/app/node/package-lock.json\t\(.key | sub(".*node_modules/"; ""))\t\(.value.version)",
           "node-pkg\topt/app/node/\(.key)/package.json\t\(.key | sub(".*node_modules/"; ""))\t\(.value.version)"' \
    "$s/opt/app/node/package-lock.json" >> "$m"
  # the application's own package.json records a package too (Trivy's node-pkg lists it)
  jq -r '"node-pkg\topt/app/node/package.json\t\(.name)\t\(.version)"' "$s/opt/app/node/package.json" >> "$m"
  tar_layer "$b/node.tar" "$s" opt
  add_layer "$b/node.tar" "/bin/sh -c cd /opt/app/node && npm install --save-exact --ignore-scripts $LANG_NPM"

  # Go: a static binary whose build info names golang.org/x/text v0.3.7 and the toolchain
  lang_go_fixture "$b/gofix"
  s=$b/go; mkdir -p "$s/usr/local/bin"
  install -m 755 "$b/gofix/gofixture" "$s/usr/local/bin/gofixture"
  go version -m "$s/usr/local/bin/gofixture" | awk -F'\t' -v f=usr/local/bin/gofixture '
    NR == 1 { v = $0; sub(/^.*: go/, "v", v); print "gobinary\t" f "\tstdlib\t" v }
    $2 == "dep" { print "gobinary\t" f "\t" $3 "\t" $4 }' >> "$m"
  grep -q $'\tgolang.org/x/text\tv0.3.7$' "$m" || die "lang: the Go fixture's build info lacks golang.org/x/text v0.3.7"
  tar_layer "$b/go.tar" "$s" usr
  add_layer "$b/go.tar" "/bin/sh -c #(nop) COPY gofixture /usr/local/bin/ (CGO_ENABLED=0 go build -mod=vendor)"

  # Rust: a Cargo.lock only. cargo 1.83 resolved it (with smallvec =1.6.0, regex =1.5.4, time =0.1.43);
  # written as version 3, which reads the same for registry packages.
  s=$b/rust; mkdir -p "$s/opt/app/rust"
  cat > "$s/opt/app/rust/Cargo.lock" <<'LOCK'
# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 3

[[package]]
name = "aho-corasick"
version = "0.7.20"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cc936419f96fa211c1b9166887b38e5e40b19958e5b895be7c1f93adec7071ac"
dependencies = [
 "memchr",
]

[[package]]
name = "libc"
version = "0.2.191"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "65cd87c9a6d60536580b316ad985726104730a5151c99845f2490428ef91240a"

[[package]]
name = "memchr"
version = "2.8.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cf8baf1c55e62ffcace7a9f06f4bd9cd3f0c4beb022d3b367256b91b87513d98"

[[package]]
name = "regex"
version = "1.5.4"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "d07a8629359eb56f1e2fb1652bb04212c072a87ba68546a04065d525673ac461"
dependencies = [
 "aho-corasick",
 "memchr",
 "regex-syntax",
]

[[package]]
name = "regex-syntax"
version = "0.6.29"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "f162c6dd7b008981e4d40210aca20b4bd0f9b60ca9271061b07f78537722f2e1"

[[package]]
name = "rust-fixture"
version = "0.1.0"
dependencies = [
 "regex",
 "smallvec",
 "time",
]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "1a55ca5f3b68e41c979bf8c46a6f1da892ca4db8f94023ce0bd32407573b1ac0"

[[package]]
name = "time"
version = "0.1.43"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "ca8a50ef2360fbd1eeb0ecd46795a87a19024eb4b53c5dc916ca1fd95fe62438"
dependencies = [
 "libc",
 "winapi",
]

[[package]]
name = "winapi"
version = "0.3.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "5c839a674fcd7a98952e593242ea400abe93992746761e38641405d28b00f419"
dependencies = [
 "winapi-i686-pc-windows-gnu",
 "winapi-x86_64-pc-windows-gnu",
]

[[package]]
name = "winapi-i686-pc-windows-gnu"
version = "0.4.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "ac3b87c63620426dd9b991e5ce0329eff545bccbbb34f3be09ff6fb6ab51b7b6"

[[package]]
name = "winapi-x86_64-pc-windows-gnu"
version = "0.4.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "712e227841d057c1ee1cd2fb22fa7e5a5461ae8e48fa2ca79ec42cfc1931183f"
LOCK
  awk '/^\[\[package\]\]/ {n = ""} /^name = / {n = $3} /^version = / && n != "" {print n "\t" $3}' \
      "$s/opt/app/rust/Cargo.lock" | tr -d '"' | sed 's|^|cargo\topt/app/rust/Cargo.lock\t|' >> "$m"
  tar_layer "$b/rust.tar" "$s" opt
  add_layer "$b/rust.tar" "/bin/sh -c #(nop) COPY Cargo.lock /opt/app/rust/"

  set_config lang amd64 lang --config.workingdir /opt/app
  { printf '# generated by scripts/build-test-images.sh: Type\tFile\tName\tVersion\n'
    LC_ALL=C sort "$m"; } > "$OUTDIR/manifests/lang.txt"
  cp "$OUTDIR/manifests/minbase.dpkg.tsv" "$OUTDIR/manifests/lang.dpkg.tsv"   # no dpkg change on top
  export_image lang lang
  rm -rf "$b"
  umask "$um"
}

build_minbase_arm64() {
  local b=$BUILD/b-arm64 r
  r=$b/rootfs
  rm -rf "$b"
  has_tag empty || umoci new --image "$LAYOUT:empty"
  umoci unpack --image "$LAYOUT:empty" "$b" >/dev/null
  mkdir -p "$CACHE/debootstrap"
  say "minbase-arm64: debootstrap --foreign --arch=arm64 (log: $BUILD/debootstrap-arm64.log)"
  debootstrap --foreign --variant=minbase --arch=arm64 --cache-dir="$CACHE/debootstrap" "$SUITE" "$r" "$MIRROR" \
    > "$BUILD/debootstrap-arm64.log" 2>&1 || { tail -30 "$BUILD/debootstrap-arm64.log" >&2; die "debootstrap arm64 failed"; }
  # The first stage only unpacks the packages; dpkg's status stays empty until the second stage (which needs
  # arm64 emulation). Record the unpacked packages as installed from their own control data.
  local d
  [ -f "$r/debootstrap/debpaths" ] || die "arm64: no debootstrap/debpaths"
  say "minbase-arm64: first-stage dpkg status has $(wc -l < "$r/var/lib/dpkg/status") lines; writing it from $(wc -l < "$r/debootstrap/debpaths") .debs"
  : > "$r/var/lib/dpkg/status.new"
  while read -r _pkg path; do
    d=$r$path; [ -f "$d" ] || d=$CACHE/debootstrap/$(basename "$path")
    [ -f "$d" ] || die "arm64: missing $path"
    dpkg-deb -f "$d" | awk 'NR==1{print; print "Status: install ok installed"; next} {print}' >> "$r/var/lib/dpkg/status.new"
    echo >> "$r/var/lib/dpkg/status.new"
  done < "$r/debootstrap/debpaths"
  mv "$r/var/lib/dpkg/status.new" "$r/var/lib/dpkg/status"
  echo "deb $MIRROR $SUITE main" > "$r/etc/apt/sources.list"
  : > "$r/etc/resolv.conf"
  echo palisade-test > "$r/etc/hostname"
  empty_kernel_dirs "$r"
  tidy_rootfs "$r"
  repack "$b" minbase-arm64 "/bin/sh -c #(nop) debootstrap --foreign --variant=minbase --arch=arm64 $SUITE / $MIRROR"
  set_config minbase-arm64 arm64 minbase-arm64   # umoci 0.4 cannot set "variant"; the index says v8
  dpkg_tsv "$r" "$OUTDIR/manifests/minbase-arm64.dpkg.tsv"
  export_image minbase-arm64 minbase-arm64
  rm -rf "$b"
}

build_multiarch() {  # OCI index over the exported minbase (amd64) and minbase-arm64 layouts
  local out=$OUTDIR/oci/multiarch
  rm -rf "$out" "$OUTDIR/stamps/multiarch"
  mkdir -p "$out/blobs/sha256"
  python3 - "$out" "$OUTDIR/oci/minbase" "$OUTDIR/oci/minbase-arm64" <<'PY'
import hashlib, json, os, shutil, sys
out, srcs = sys.argv[1], sys.argv[2:]
def blob(layout, desc):
    return os.path.join(layout, "blobs", *desc["digest"].split(":", 1))
entries = []
for src in srcs:
    idx = json.load(open(os.path.join(src, "index.json")))
    mdesc = idx["manifests"][0]
    manifest = json.load(open(blob(src, mdesc)))
    config = json.load(open(blob(src, manifest["config"])))
    for d in [mdesc, manifest["config"], *manifest["layers"]]:
        dst = blob(out, d)
        if not os.path.exists(dst):
            try:
                os.link(blob(src, d), dst)
            except OSError:
                shutil.copyfile(blob(src, d), dst)
    platform = {"architecture": config["architecture"], "os": config["os"]}
    if config.get("variant"):
        platform["variant"] = config["variant"]
    elif config["architecture"] == "arm64":
        platform["variant"] = "v8"
    entries.append({"mediaType": mdesc["mediaType"], "digest": mdesc["digest"], "size": mdesc["size"],
                    "platform": platform})
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
data = json.dumps(index, separators=(",", ":")).encode()
digest = hashlib.sha256(data).hexdigest()
open(os.path.join(out, "blobs", "sha256", digest), "wb").write(data)
top = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + digest, "size": len(data),
     "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
json.dump(top, open(os.path.join(out, "index.json"), "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(out, "oci-layout"), "w"))
PY
  # an OCI archive of the index too (skopeo keeps every platform with --all)
  rm -f "$OUTDIR/oci-archive/multiarch.tar"
  skopeo copy --quiet --all "oci:$out:latest" "oci-archive:$OUTDIR/oci-archive/multiarch.tar:latest"
  mkdir -p "$OUTDIR/stamps" && touch "$OUTDIR/stamps/multiarch"
}

build_big() {
  ensure_minbase_tag
  local b=$BUILD/b-big r
  r=$b/rootfs
  rm -rf "$b"
  umoci unpack --image "$LAYOUT:minbase" "$b" >/dev/null
  chroot_prepare "$r"
  in_chroot "$r" apt-get update -qq
  in_chroot "$r" apt-get install -y -qq --no-install-recommends $BIG_PKGS >/dev/null
  chroot_release "$r"
  tidy_rootfs "$r"
  repack "$b" big "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends $BIG_PKGS && rm -rf /var/lib/apt/lists/*"
  set_config big amd64 big
  dpkg_tsv "$r" "$OUTDIR/manifests/big.dpkg.tsv"
  export_image big big
  rm -rf "$b"
}

# ------------------------------------------------------------------ apps (scripts/apps_image.sh)
# shellcheck source=apps_image.sh
. "$ROOT/scripts/apps_image.sh"

# ------------------------------------------------------------------ OS-package images
OS_PY=$ROOT/scripts/os_images.py
SYSPY=/usr/bin/python3   # Debian's python3, which python3-rpm belongs to

os_tools() {  # rpmbuild, db5.3_load and python3-rpm; apt-get installs the missing ones
  local pkgs=()
  command -v rpmbuild >/dev/null || pkgs+=(rpm)
  command -v db5.3_load >/dev/null || pkgs+=(db5.3-util)
  "$SYSPY" -c 'import rpm' 2>/dev/null || pkgs+=(python3-rpm)
  [ ${#pkgs[@]} = 0 ] && return 0
  say "os images: apt-get install ${pkgs[*]}"
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; } \
    || die "os images: cannot install ${pkgs[*]}"
}

os_layer() {  # os_layer TAG BASE DIR CREATED_BY: DIR (whole) as a layer on BASE, tagged TAG
  local tag=$1 base=$2 dir=$3 tarf
  tarf=$BUILD/layer-$tag-$(date +%s%N).tar
  (cd "$dir" && tar_layer "$tarf" "$dir" $(ls -A))
  umoci raw add-layer --image "$LAYOUT:$base" --tag "$tag" --history.created "$ISO" --history.author "$AUTHOR" \
    --history.created_by "$4" "$tarf"
  rm -f "$tarf"
}

os_tsv_rpm() {  # os_tsv_rpm ROOT DBPATH BACKEND OUT
  rpm --root "$1" --dbpath "$2" --define "_db_backend $3" -qa \
    --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n' 2>/dev/null \
    | awk -F'\t' -v OFS='\t' '{ s = $4; sub(/\.src\.rpm$/, "", s); n = split(s, p, "-");
        sv = p[n-1] "-" p[n]; sn = substr(s, 1, length(s) - length(sv) - 1); print $1, $2, $3, sn, sv }' \
    | LC_ALL=C sort > "$4"
  [ -s "$4" ] || die "rpm lists no packages in $1$2"
}

os_empty() { has_tag empty || umoci new --image "$LAYOUT:empty"; }

build_alpine() {
  os_empty
  local b=$BUILD/b-alpine um
  rm -rf "$b"; mkdir -p "$b"
  um=$(umask); umask 022
  python3 "$OS_PY" alpine "$b/l1" "$b/l2"
  os_layer alpine empty "$b/l1" "/bin/sh -c #(nop) ADD alpine-minirootfs-3.11.6-x86_64.tar.gz / (+ apk add curl libarchive libsasl libxml2 sqlite-libs)"
  os_layer alpine alpine "$b/l2" "/bin/sh -c apk upgrade --no-cache sqlite-libs"
  CONFIG_CMD=/bin/sh set_config alpine amd64 alpine
  python3 "$OS_PY" alpine-tsv "$b/l2/lib/apk/db/installed" > "$OUTDIR/manifests/alpine.os.tsv"
  export_image alpine alpine
  umask "$um"
  rm -rf "$b"
}

build_rpm_image() {  # build_rpm_image NAME DBPATH BACKEND TITLE
  os_tools
  os_empty
  local n=$1 b=$BUILD/b-$1 um
  rm -rf "$b"; mkdir -p "$b/root"
  um=$(umask); umask 022
  "$SYSPY" "$OS_PY" rpm "$n" "$b/root" "$b/work"
  mkdir -p "$b/root/tmp" "$b/root/root" "$b/root/dev" "$b/root/proc" "$b/root/sys"
  case $3 in
    ndb)  # rpm here cannot read ndb: list the sqlite db the blobs came from, then check the ndb holds the same
      os_tsv_rpm "$b/work/stage" /var/lib/rpm sqlite "$OUTDIR/manifests/$n.os.tsv"
      [ "$("$SYSPY" "$OS_PY" ndb-list "$b/root$2/Packages.db" | wc -l)" = "$(wc -l < "$OUTDIR/manifests/$n.os.tsv")" ] \
        || die "$n: the ndb Packages.db does not list every package" ;;
    *) os_tsv_rpm "$b/root" "$2" "$3" "$OUTDIR/manifests/$n.os.tsv"
       # reading reopened the sqlite db: drop the WAL files and lock that left (rpm checkpoints on close)
       rm -f "$b/root$2/rpmdb.sqlite-wal" "$b/root$2/rpmdb.sqlite-shm" "$b/root$2/.rpm.lock" ;;
  esac
  os_layer "$n" empty "$b/root" "/bin/sh -c #(nop) ADD $4 root (rpm --root / -i --nodeps --noscripts)"
  CONFIG_CMD=/bin/bash set_config "$n" amd64 "$n"
  export_image "$n" "$n"
  umask "$um"
  rm -rf "$b"
}
build_alma9() { build_rpm_image alma9 /var/lib/rpm sqlite "AlmaLinux 9.2"; }
build_alma8_bdb() { build_rpm_image alma8-bdb /var/lib/rpm bdb_ro "AlmaLinux 8.8"; }
build_suse_ndb() { build_rpm_image suse-ndb /usr/lib/sysimage/rpm ndb "openSUSE Leap 15.5"; }

build_ubuntu() {
  os_empty
  local b=$BUILD/b-ubuntu um
  rm -rf "$b"; mkdir -p "$b/root"
  um=$(umask); umask 022
  python3 "$OS_PY" ubuntu "$b/root"
  dpkg_tsv "$b/root" "$OUTDIR/manifests/ubuntu.os.tsv"
  [ "$(wc -l < "$OUTDIR/manifests/ubuntu.os.tsv")" -gt 20 ] || die "ubuntu: dpkg-query lists too few packages"
  os_layer ubuntu empty "$b/root" "/bin/sh -c #(nop) ADD ubuntu-jammy-oci-amd64-root.tar.gz / (dpkg status of 22.04.3)"
  CONFIG_CMD=/bin/bash set_config ubuntu amd64 ubuntu
  export_image ubuntu ubuntu
  umask "$um"
  rm -rf "$b"
}

# ------------------------------------------------------------------ images.env
write_env() {
  local f=$OUTDIR/images.env n N m
  {
    echo "# generated by scripts/build-test-images.sh; source it"
    echo "PALISADE_TEST_IMAGES=$OUTDIR"
    echo "PALISADE_TEST_SOURCE_DATE_EPOCH=$SDE"
    echo "# scripts/registry.sh push serves each image as \$PALISADE_TEST_REGISTRY/\$PALISADE_TEST_REPO_PREFIX/<name>:latest"
    echo "# (also on the auth registry; layers-zstd only on the anonymous one)"
    echo "PALISADE_TEST_REPO_PREFIX=palisade-test"
    echo "PALISADE_TEST_IMAGE_NAMES=\"$(cd "$OUTDIR/stamps" 2>/dev/null && ls | sort | tr '\n' ' ' | sed 's/ $//')\""
    for n in $(cd "$OUTDIR/stamps" 2>/dev/null && ls | sort); do
      N=$(echo "$n" | tr 'a-z-' 'A-Z_')
      echo "PALISADE_TEST_${N}_OCI=$OUTDIR/oci/$n"
      [ -f "$OUTDIR/docker/$n.tar" ] && echo "PALISADE_TEST_${N}_DOCKER_ARCHIVE=$OUTDIR/docker/$n.tar"
      [ -f "$OUTDIR/oci-archive/$n.tar" ] && echo "PALISADE_TEST_${N}_OCI_ARCHIVE=$OUTDIR/oci-archive/$n.tar"
      [ -f "$OUTDIR/manifests/$n.txt" ] && echo "PALISADE_TEST_${N}_PACKAGES_TXT=$OUTDIR/manifests/$n.txt"
      [ -f "$OUTDIR/manifests/$n.tsv" ] && {
        echo "PALISADE_TEST_${N}_TSV=$OUTDIR/manifests/$n.tsv"
        echo "PALISADE_TEST_${N}_COUNT=$(grep -vc '^#' "$OUTDIR/manifests/$n.tsv")"
      }
      [ -f "$OUTDIR/manifests/$n.os.tsv" ] && {
        echo "PALISADE_TEST_${N}_OS_TSV=$OUTDIR/manifests/$n.os.tsv"
        echo "PALISADE_TEST_${N}_OS_COUNT=$(wc -l < "$OUTDIR/manifests/$n.os.tsv")"
      }
      [ -f "$OUTDIR/manifests/$n.dpkg.tsv" ] && {
        echo "PALISADE_TEST_${N}_DPKG_TSV=$OUTDIR/manifests/$n.dpkg.tsv"
        echo "PALISADE_TEST_${N}_DPKG_COUNT=$(wc -l < "$OUTDIR/manifests/$n.dpkg.tsv")"
      }
      m=$(jq -r '.manifests[0].digest' "$OUTDIR/oci/$n/index.json")
      echo "PALISADE_TEST_${N}_DIGEST=$m"
    done
    [ -f "$OUTDIR/oci-zstd/layers/index.json" ] && {
      echo "PALISADE_TEST_LAYERS_ZSTD_OCI=$OUTDIR/oci-zstd/layers"
      echo "PALISADE_TEST_LAYERS_ZSTD_DIGEST=$(jq -r '.manifests[0].digest' "$OUTDIR/oci-zstd/layers/index.json")"
    }
  } > "$f.tmp"
  mv "$f.tmp" "$f"
}

# ------------------------------------------------------------------ main
mkdir -p "$CACHE" "$BUILD" "$OUTDIR/manifests" "$OUTDIR/stamps"
cleanup
[ -f "$OUTDIR/build-times.tsv" ] || printf 'image\twall_s\tfinished\n' > "$OUTDIR/build-times.tsv"
[ -f "$LAYOUT/oci-layout" ] || [ "$(id -u)" != 0 ] || umoci init --layout "$LAYOUT"
T_ALL=$(date +%s.%N)

if [ "$OSONLY" = 0 ]; then
  timed minbase build_minbase
  timed layers build_layers
  timed deleted-dpkg build_deleted_dpkg
  timed aged build_aged
  timed lang build_lang
  timed apps build_apps
  if [ "$ARM64" = 1 ]; then
    timed minbase-arm64 build_minbase_arm64
    timed multiarch build_multiarch
  fi
  [ "$BIG" = 1 ] && timed big build_big
fi
timed alpine build_alpine
timed alma9 build_alma9
timed alma8-bdb build_alma8_bdb
timed suse-ndb build_suse_ndb
timed ubuntu build_ubuntu
[ ${#TIMES[@]} -gt 0 ] && umoci gc --layout "$LAYOUT"
[ -w "$OUTDIR" ] && write_env

say "done in $(awk -v a="$T_ALL" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s; outputs in $OUTDIR"
{
  printf '%-15s %9s %12s %12s %9s\n' image build_s oci_MB docker_MB packages
  for n in $(cd "$OUTDIR/stamps" && ls | sort); do
    bt=-; for e in "${TIMES[@]}"; do [ "${e% *}" = "$n" ] && bt=${e#* }; done
    printf '%-15s %9s %12s %12s %9s\n' "$n" "$bt" \
      "$(du -sm "$OUTDIR/oci/$n" | cut -f1)" \
      "$( [ -f "$OUTDIR/docker/$n.tar" ] && du -m "$OUTDIR/docker/$n.tar" | cut -f1 || echo -)" \
      "$( [ -f "$OUTDIR/manifests/$n.dpkg.tsv" ] && wc -l < "$OUTDIR/manifests/$n.dpkg.tsv" \
          || { [ -f "$OUTDIR/manifests/$n.os.tsv" ] && wc -l < "$OUTDIR/manifests/$n.os.tsv"; } || echo -)"
  done
} >&2
