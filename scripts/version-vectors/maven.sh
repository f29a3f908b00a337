#!/usr/bin/env bash
# Maven version test vectors for palisade-version, with verdicts from Maven's own
# ComparableVersion (Debian's libmaven3-core-java, maven-artifact 3.8.7 on Debian 12).
#
# Compiles MavenVectors.java into .work/vv-maven/ (git-ignored) and runs it on the hand-written
# candidates (maven-candidates.txt) plus every version named in the OSV Maven record(s) of
# /work/shared/data/advisories/maven-ghsa.zip (or the zip given as the first argument or in
# $MAVEN_GHSA_ZIP). Writes crates/palisade-version/tests/vectors/maven.tsv (every pair on which
# Maven is consistent) and maven-inconsistent.tsv (the triples on which it contradicts itself).
# Usage, from anywhere: scripts/version-vectors/maven.sh [maven-ghsa.zip]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/version-vectors"
work="$root/.work/vv-maven"
out="$root/crates/palisade-version/tests/vectors"
zip="${1:-${MAVEN_GHSA_ZIP:-/work/shared/data/advisories/maven-ghsa.zip}}"
jar=/usr/share/java/maven3-artifact.jar

if [ ! -f "$jar" ] || ! command -v javac >/dev/null; then
    apt-get install -y libmaven3-core-java openjdk-17-jdk-headless >/dev/null
fi
if [ ! -f "$zip" ]; then
    echo "maven.sh: OSV Maven zip not found at $zip (pass its path as the first argument)" >&2
    exit 1
fi
mkdir -p "$work"

# Every version the OSV records name (range events and `versions` lists), escaped like the
# candidates. Plain python3: only json and zipfile.
python3 - "$zip" >"$work/osv-versions.txt" <<'PY'
import json, sys, zipfile
seen = {}
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in sorted(z.namelist()):
        if not name.endswith(".json"):
            continue
        record = json.loads(z.read(name))
        for affected in record.get("affected", []):
            if affected.get("package", {}).get("ecosystem") != "Maven":
                continue
            for r in affected.get("ranges", []):
                for event in r.get("events", []):
                    for v in event.values():
                        seen.setdefault(v, None)
            for v in affected.get("versions", []):
                seen.setdefault(v, None)
if not seen:
    sys.exit("maven.sh: no Maven versions in %s" % sys.argv[1])
print("# Versions of the OSV Maven record(s) in %s" % sys.argv[1])
for v in seen:
    print("".join("\\\\" if c == "\\" else "\\s" if c == " " else c if "!" <= c <= "~"
                  else "\\u{%x}" % ord(c) for c in v))
PY

javac -nowarn -d "$work" -cp "$jar" "$here/MavenVectors.java"
artifact_version="$(unzip -p "$jar" META-INF/MANIFEST.MF | sed -n 's/^Implementation-Version: *//p' | tr -d '\r')"
package_version="$(dpkg-query -W -f='${Version}' libmaven3-core-java)"
java_version="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = //p')"
tool="maven-artifact $artifact_version (Debian libmaven3-core-java $package_version) on Java $java_version"
java -cp "$work:$jar" MavenVectors "$out" "$tool" "$here/maven-candidates.txt" "$work/osv-versions.txt"
