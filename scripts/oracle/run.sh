#!/usr/bin/env bash
# Independent oracle for Palisade's language-package findings: sets up the version tools (if
# missing), builds a Palisade database from the OSV zips, scans the image, and compares the
# report with oracle.py's verdicts. Prints the differences and the comparison table; the full
# output (both finding sets) goes to $OUT/oracle.txt and $OUT/oracle.json.
#
# Usage, from anywhere:
#   scripts/oracle/run.sh                  # setup, db build, scan lang-fixtures, compare
#   scripts/oracle/run.sh --report FILE    # compare an existing report (repeatable; no scan)
#   scripts/oracle/run.sh --setup-only     # only install/build the version tools
#   scripts/oracle/run.sh --self-test      # setup, then the oracle's own tests
#   scripts/oracle/run.sh --sweep          # also the boundary sweep (sweep.py -> palisade sbom)
# Environment (defaults in brackets):
#   IMAGE      [oci:/root/pti/out/oci/lang-fixtures:latest]; a bare name (apps, lang) means the image
#              scripts/build-test-images.sh built: oci:$IMAGES/oci/NAME:latest
#   IMAGES     [<repo>/.work/images]: that script's OUTDIR
#   PALISADE   [<repo>/target/release/palisade]; waited for up to WAIT_PALISADE s [600]
#   ADVISORIES [/work/shared/data/advisories]; the db is built from all its *.zip
#   OSV_ZIPS   [pypi-pypa npm-legacy-and-ghsa go-vulndb crates-rustsec rubygems-rubysec maven-ghsa]: zips
#              the oracle reads
#   DB [/tmp/oracle.db]  REPORT [/tmp/lang.json]  OUT [<repo>/.work/oracle-out]
# Exit status: 0 agree, 1 the finding sets differ, 2 error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/.work"

IMAGES="${IMAGES:-$work/images}"
IMAGE="${IMAGE:-oci:/root/pti/out/oci/lang-fixtures:latest}"
case "$IMAGE" in *:*|*/*) ;; *) IMAGE="oci:$IMAGES/oci/$IMAGE:latest" ;; esac
PALISADE="${PALISADE:-$root/target/release/palisade}"
WAIT_PALISADE="${WAIT_PALISADE:-600}"
ADVISORIES="${ADVISORIES:-/work/shared/data/advisories}"
OSV_ZIPS="${OSV_ZIPS:-pypi-pypa npm-legacy-and-ghsa go-vulndb crates-rustsec rubygems-rubysec maven-ghsa}"
MAVEN_ARTIFACT_JAR="${MAVEN_ARTIFACT_JAR:-/usr/share/maven/lib/maven-artifact-3.x.jar}"
DB="${DB:-/tmp/oracle.db}"
REPORT="${REPORT:-/tmp/lang.json}"
OUT="${OUT:-$work/oracle-out}"

mode=full
sweep=0
reports=()
while [ $# -gt 0 ]; do
    case "$1" in
        --report) reports+=("$2"); mode=compare; shift 2 ;;
        --setup-only) mode=setup; shift ;;
        --self-test) mode=selftest; shift ;;
        --sweep) sweep=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

log() { echo "[oracle] $*" >&2; }

setup() {
    mkdir -p "$work" "$work/oracle-bin"
    # PEP 440: packaging in a virtualenv.
    if ! "$work/oracle-venv/bin/python" -c 'import packaging' 2>/dev/null; then
        log "installing packaging into .work/oracle-venv"
        python3 -m venv "$work/oracle-venv"
        "$work/oracle-venv/bin/pip" install --quiet packaging
    fi
    # npm: node-semver.
    if [ ! -f "$work/oracle-node/node_modules/semver/package.json" ]; then
        log "installing semver into .work/oracle-node"
        mkdir -p "$work/oracle-node"
        (cd "$work/oracle-node" && { [ -f package.json ] || npm init -y >/dev/null; } \
            && npm install --silent semver)
    fi
    # Go: golang.org/x/mod/semver from Debian, built in GOPATH mode with no downloads.
    if [ ! -f /usr/share/gocode/src/golang.org/x/mod/semver/semver.go ]; then
        log "installing golang-golang-x-mod-dev"
        apt-get install -y golang-golang-x-mod-dev >/dev/null \
            || { apt-get update >/dev/null && apt-get install -y golang-golang-x-mod-dev >/dev/null; }
    fi
    if [ ! -x "$work/oracle-bin/gocmp" ] || [ "$here/gocmp/main.go" -nt "$work/oracle-bin/gocmp" ]; then
        log "building gocmp"
        (cd "$root" && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= \
            go build -o "$work/oracle-bin/gocmp" ./scripts/oracle/gocmp)
    fi
    # crates.io: the semver crate, in a standalone cargo project (its own workspace).
    CARGO_TARGET_DIR="$work/oracle-target" cargo build --quiet --release \
        --manifest-path "$here/cargo-semver/Cargo.toml"
    # RubyGems: Debian's ruby (Gem::Version). Maven: maven-artifact's ComparableVersion, compiled against.
    local pkgs=()
    [ -x /usr/bin/ruby ] || pkgs+=(ruby)
    command -v javac >/dev/null || pkgs+=(default-jdk-headless)
    if [ ! -f "$MAVEN_ARTIFACT_JAR" ]; then
        if [ -f /usr/share/java/maven3-artifact.jar ]; then MAVEN_ARTIFACT_JAR=/usr/share/java/maven3-artifact.jar
        else pkgs+=(libmaven3-core-java); MAVEN_ARTIFACT_JAR=/usr/share/java/maven3-artifact.jar; fi
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        log "installing ${pkgs[*]}"
        apt-get install -y "${pkgs[@]}" >/dev/null \
            || { apt-get update >/dev/null && apt-get install -y "${pkgs[@]}" >/dev/null; }
    fi
    if [ ! -f "$work/oracle-bin/mavencmp/MavenCmp.class" ] \
        || [ "$here/mavencmp/MavenCmp.java" -nt "$work/oracle-bin/mavencmp/MavenCmp.class" ]; then
        log "building MavenCmp"
        mkdir -p "$work/oracle-bin/mavencmp"
        javac -d "$work/oracle-bin/mavencmp" -cp "$MAVEN_ARTIFACT_JAR" "$here/mavencmp/MavenCmp.java"
    fi
}

compare() {
    local out="$OUT"
    if [ "${1:-}" = --out ]; then out="$2"; shift 2; fi
    mkdir -p "$out"
    local args=(--maven-artifact-jar "$MAVEN_ARTIFACT_JAR")
    for r in "$@"; do args+=(--report "$r"); done
    for z in $OSV_ZIPS; do args+=(--osv "$ADVISORIES/$z.zip"); done
    set +e
    python3 "$here/oracle.py" "${args[@]}" --json "$out/oracle.json" >"$out/oracle.txt"
    local rc=$?
    set -e
    if [ $rc -ge 2 ]; then
        cat "$out/oracle.txt"
        log "oracle failed (exit $rc)"
        return $rc
    fi
    # Everything but the two full sets (they are in $OUT/oracle.txt).
    awk '/^== Expected \(oracle\)/{skip=1} /^== Only in the oracle/{skip=0} !skip' "$out/oracle.txt"
    log "full output: $out/oracle.txt, $out/oracle.json"
    return $rc
}

setup
export MAVEN_ARTIFACT_JAR   # oracle.py's default (the self-test runs it without arguments)
case "$mode" in
    setup) exit 0 ;;
    selftest) exec python3 -m unittest discover -s "$here/tests" -v ;;
    compare) compare "${reports[@]}"; exit $? ;;
esac

# Full run: wait for the binary (it may be being rebuilt), use a snapshot of it.
waited=0
while [ ! -x "$PALISADE" ]; do
    if [ "$waited" -ge "$WAIT_PALISADE" ]; then
        log "no Palisade binary at $PALISADE after ${WAIT_PALISADE}s"; exit 2
    fi
    [ "$waited" -eq 0 ] && log "waiting for $PALISADE"
    sleep 10; waited=$((waited + 10))
done
cp "$PALISADE" "$work/oracle-bin/palisade"
pal="$work/oracle-bin/palisade"
log "palisade: $("$pal" --version)"

mkdir -p "$OUT"
log "building $DB from $ADVISORIES/*.zip (log: $OUT/db-build.log)"
"$pal" db build --osv "$ADVISORIES"/*.zip --db "$DB" >"$OUT/db-build.log" 2>&1 \
    || { cat "$OUT/db-build.log" >&2; exit 2; }
log "scanning $IMAGE"
"$pal" image --db "$DB" --format json --list-all-pkgs --no-cache "$IMAGE" -o "$REPORT" >&2
set +e
compare "$REPORT"
rc=$?
set -e
[ $rc -ge 2 ] && exit $rc
if [ "$sweep" = 1 ]; then
    zips=()
    for z in $OSV_ZIPS; do zips+=(--osv "$ADVISORIES/$z.zip"); done
    log "sweep: SBOM of versions around every OSV boundary"
    mkdir -p "$OUT/sweep"
    python3 "$here/sweep.py" "${zips[@]}" -o "$OUT/sweep/sweep.cdx.json"
    "$pal" sbom --db "$DB" --format json --list-all-pkgs --quiet "$OUT/sweep/sweep.cdx.json" \
        -o "$OUT/sweep/sweep.json" 2>"$OUT/sweep/sbom.log" \
        || { cat "$OUT/sweep/sbom.log" >&2; exit 2; }
    echo
    echo "== Sweep"
    set +e
    compare --out "$OUT/sweep" "$OUT/sweep/sweep.json"
    src=$?
    set -e
    [ $src -gt $rc ] && rc=$src
fi
exit $rc
