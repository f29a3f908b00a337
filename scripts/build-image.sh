#!/usr/bin/env bash
# build-image.sh - Palisade's container image without any daemon: a static musl binary (cargo) on
# `scratch` (buildah, vfs storage). The same image as the Containerfile: /palisade only, user
# 65532:65532, entrypoint /palisade, the Containerfile's OCI labels.
#
# Usage: scripts/build-image.sh [OPTIONS]
#   --dest REF         push to this registry reference (repeatable)
#                      [default: 127.0.0.1:5000/palisade/palisade:<version>]
#   --no-push          build and save the OCI layout only
#   --tls-verify BOOL  verify TLS when pushing [default: false for 127.0.0.1/localhost, else true]
#   --authfile FILE    registry credentials for the push (docker config.json format)
#   --target TRIPLE    Rust target [default: x86_64-unknown-linux-musl]. aarch64-unknown-linux-musl
#                      gives an arm64 image: native on an arm64 host (musl-tools there); from x86_64
#                      it also needs a musl cross C compiler and linker for ring and zstd-sys
#                      (CC_aarch64_unknown_linux_musl, CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER).
#   --binary FILE      package this static binary instead of building one (must match --target)
#   --source URL       org.opencontainers.image.source [default: the Containerfile's]
#   -h, --help
# Output: the image in OUT/oci (an OCI layout, tag <version>; OUT defaults to .work/image, env
# PALISADE_IMAGE_OUT), the pushed references and digest in OUT/image.env, the sizes on stderr.
# Needs: cargo with the musl target (rustup target add x86_64-unknown-linux-musl), musl-tools
# (musl-gcc) and buildah (Debian packages); root, or rootless buildah with subuids configured.
# buildah's storage is private to this script (OUT/storage, vfs driver): nothing else is touched.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${PALISADE_IMAGE_OUT:-$ROOT/.work/image}
TARGET=x86_64-unknown-linux-musl
PROFILE=dist
DESTS=()
PUSH=1
TLS_VERIFY=
AUTHFILE=
BINARY=
SOURCE=

say() { printf '[build-image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case $1 in
    --dest) DESTS+=("${2:?--dest needs a reference}"); shift ;;
    --no-push) PUSH=0 ;;
    --tls-verify) TLS_VERIFY=${2:?--tls-verify needs true or false}; shift ;;
    --tls-verify=*) TLS_VERIFY=${1#*=} ;;
    --authfile) AUTHFILE=${2:?--authfile needs a file}; shift ;;
    --target) TARGET=${2:?--target needs a triple}; shift ;;
    --binary) BINARY=${2:?--binary needs a file}; shift ;;
    --source) SOURCE=${2:?--source needs a URL}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

case $TARGET in
  x86_64-*) ARCH=amd64 ;;
  aarch64-*) ARCH=arm64 ;;
  *) die "no OCI architecture known for $TARGET" ;;
esac
case $TARGET in *-musl) ;; *) die "$TARGET is not a musl target: the image has no C library" ;; esac
command -v buildah >/dev/null || die "buildah is missing (apt-get install buildah)"
command -v jq >/dev/null || die "jq is missing (apt-get install jq)"

VERSION=$(cargo metadata --no-deps --format-version 1 --locked \
  | jq -r '.packages[] | select(.name == "palisade") | .version')
[ -n "$VERSION" ] || die "could not read palisade's version from cargo metadata"
[ ${#DESTS[@]} -gt 0 ] || DESTS=("127.0.0.1:5000/palisade/palisade:$VERSION")
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# The Containerfile's build arguments: its default VERSION must follow the workspace's.
arg_default() { sed -n "s/^ARG $1=//p" Containerfile | head -1; }
[ "$(arg_default VERSION)" = "$VERSION" ] \
  || die "Containerfile has ARG VERSION=$(arg_default VERSION) but the workspace is $VERSION: update it"
[ -n "$SOURCE" ] || SOURCE=$(arg_default SOURCE)

# ------------------------------------------------------------------ binary
T0=$(date +%s)
if [ -z "$BINARY" ]; then
  if [[ $TARGET == x86_64-* ]] && [ "$(uname -m)" = x86_64 ]; then
    command -v musl-gcc >/dev/null || die "musl-gcc is missing (apt-get install musl-tools)"
  fi
  say "cargo build --locked --profile $PROFILE --target $TARGET -p palisade"
  cargo build --locked --profile "$PROFILE" --target "$TARGET" -p palisade
  BINARY=${CARGO_TARGET_DIR:-$ROOT/target}/$TARGET/$PROFILE/palisade
fi
[ -x "$BINARY" ] || die "no executable at $BINARY"
# scratch has no dynamic loader and no libc: refuse anything that asks for one.
if readelf -lW "$BINARY" | grep -q 'program interpreter'; then
  die "$BINARY is dynamically linked; the image needs a static binary"
fi
T_BUILD=$(( $(date +%s) - T0 ))
say "binary $BINARY: $(du -h "$BINARY" | cut -f1) (build ${T_BUILD}s)"

# ------------------------------------------------------------------ image
T1=$(date +%s)
mkdir -p "$OUT"
BUILDAH=(buildah --root "$OUT/storage" --runroot "$OUT/run" --storage-driver vfs)
LOCAL=localhost/palisade/palisade:$VERSION
LABELS=()
# shellcheck disable=SC2016  # the Containerfile's literal ${VERSION} etc. are what is replaced
while IFS= read -r kv; do
  kv=${kv//'${VERSION}'/$VERSION}
  kv=${kv//'${REVISION}'/$REVISION}
  kv=${kv//'${SOURCE}'/$SOURCE}
  LABELS+=(--label "$kv")
done < <(sed -n 's/^LABEL \([a-z.]*\)="\(.*\)"$/\1=\2/p' Containerfile)
[ ${#LABELS[@]} -ge 5 ] || die "read only ${#LABELS[@]} LABEL lines from the Containerfile"

CTR=$("${BUILDAH[@]}" from --quiet --name "palisade-image-$$" scratch)
trap '"${BUILDAH[@]}" rm "$CTR" >/dev/null 2>&1 || true' EXIT
"${BUILDAH[@]}" copy --quiet --chown 0:0 --chmod 0755 "$CTR" "$BINARY" /palisade
"${BUILDAH[@]}" config --os linux --arch "$ARCH" --user 65532:65532 \
  --entrypoint '["/palisade"]' --cmd '' --workingdir / "${LABELS[@]}" \
  --created-by "scripts/build-image.sh ($TARGET, profile $PROFILE)" "$CTR"
# The commit time of the sources, not now: the same commit gives the same image digest.
EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
"${BUILDAH[@]}" commit --quiet --format oci --identity-label=false --timestamp "$EPOCH" --rm \
  "$CTR" "$LOCAL" >/dev/null
trap - EXIT

rm -rf "$OUT/oci"
"${BUILDAH[@]}" push --quiet "$LOCAL" "oci:$OUT/oci:$VERSION"
{
  echo "# generated by scripts/build-image.sh; source it"
  echo "PALISADE_IMAGE_VERSION=$VERSION"
  echo "PALISADE_IMAGE_OCI=$OUT/oci:$VERSION"
} > "$OUT/image.env"

for dest in "${DESTS[@]}"; do
  [ "$PUSH" = 1 ] || break
  verify=$TLS_VERIFY
  if [ -z "$verify" ]; then
    case ${dest%%/*} in 127.0.0.1|127.0.0.1:*|localhost|localhost:*|\[::1\]*) verify=false ;; *) verify=true ;; esac
  fi
  say "pushing to $dest (tls-verify=$verify)"
  push=("${BUILDAH[@]}" push --quiet --tls-verify="$verify" --digestfile "$OUT/digest")
  [ -z "$AUTHFILE" ] || push+=(--authfile "$AUTHFILE")
  "${push[@]}" "$LOCAL" "docker://$dest"
  echo "PALISADE_IMAGE_REF=$dest" >> "$OUT/image.env"
  echo "PALISADE_IMAGE_DIGEST=$(cat "$OUT/digest")" >> "$OUT/image.env"
done
# Keep buildah's private storage small: the layout in OUT/oci is the copy that stays.
"${BUILDAH[@]}" rmi "$LOCAL" >/dev/null
T_IMAGE=$(( $(date +%s) - T1 ))

manifest=$(jq -r '.manifests[0].digest' "$OUT/oci/index.json")
layers=$(jq '[.layers[].size] | add' "$OUT/oci/blobs/sha256/${manifest#sha256:}")
say "image palisade:$VERSION ($ARCH): one layer, $(( layers / 1024 )) KiB compressed; OCI layout $OUT/oci:$VERSION"
say "times: binary ${T_BUILD}s, image ${T_IMAGE}s"
