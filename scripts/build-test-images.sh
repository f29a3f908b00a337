#!/usr/bin/env bash
# build-test-images.sh - build Palisade's real test images from the Debian mirror.
#
# Usage: scripts/build-test-images.sh [--force] [--big] [--no-arm64] [OUTDIR]
#   OUTDIR     default: <repo>/.work/images
#   --force    rebuild images whose outputs already exist
#   --big      also build the ~1 GB "big" image (benchmark only)
#   --no-arm64 skip minbase-arm64 and the multiarch index
# Env: MIRROR (default http://deb.debian.org/debian), SOURCE_DATE_EPOCH (default 2025-01-01T00:00:00Z).
# Needs root (debootstrap, chroot, mount) and: debootstrap umoci skopeo jq python3 (dpkg-query, dpkg-deb).
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
#   big            2 layers: minbase + build-essential python3-full default-jdk-headless git curl
#                            openssh-client perl (only with --big)
#
# Outputs per image NAME:
#   OUTDIR/oci/NAME              OCI layout, tag "latest", gzip layers
#   OUTDIR/docker/NAME.tar       docker-archive (docker save format; skopeo stores layers uncompressed)
#   OUTDIR/oci-archive/NAME.tar  OCI archive (gzip layers)
#   OUTDIR/manifests/NAME.dpkg.tsv  expected packages: Package Version Arch SourcePackage SourceVersion
#                                   (installed ones, sorted; empty for deleted-dpkg)
#   OUTDIR/oci-zstd/layers       the layers image with zstd layers (skopeo --dest-compress-format zstd)
#   OUTDIR/images.env            shell variables for tests (source it)
#   OUTDIR/build-times.tsv       wall seconds per image built
# Caches: OUTDIR/cache (debootstrap and apt downloads), OUTDIR/build/oci (build layout with stage tags).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FORCE=0 BIG=0 ARM64=1 OUTDIR=
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    --big) BIG=1 ;;
    --no-arm64) ARM64=0 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    -*) echo "unknown option $a" >&2; exit 2 ;;
    *) OUTDIR=$a ;;
  esac
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
    layers|deleted-dpkg|aged|big) echo minbase ;;
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
    --os linux --architecture "$arch" --config.env "PATH=$CHROOT_PATH" --config.cmd bash \
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

TIMES=()
timed() {  # timed NAME FUNC: run FUNC unless NAME is done, record wall seconds
  local name=$1 fn=$2 t0 dt
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

timed minbase build_minbase
timed layers build_layers
timed deleted-dpkg build_deleted_dpkg
timed aged build_aged
if [ "$ARM64" = 1 ]; then
  timed minbase-arm64 build_minbase_arm64
  timed multiarch build_multiarch
fi
[ "$BIG" = 1 ] && timed big build_big
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
      "$( [ -f "$OUTDIR/manifests/$n.dpkg.tsv" ] && wc -l < "$OUTDIR/manifests/$n.dpkg.tsv" || echo -)"
  done
} >&2
