#!/usr/bin/env bash
# Makes an empty Trivy Java DB in CACHE_DIR/java-db, so that Trivy (0.76) can scan images and
# directories holding .jar/.war/.ear/.par files offline.
#
# Without a Java DB, `trivy image|rootfs --skip-java-db-update --offline-scan` stops with
# "Unable to initialize the Java DB: ... '--skip-java-db-update' cannot be specified on the
# first run" as soon as it meets one archive; there is no network to download the real one.
# With an empty DB (the two tables Trivy queries, no rows) Trivy lists exactly what the
# archives' pom.properties say, which is what Palisade lists too (no manifest or file-name
# coordinate is confirmed by an empty DB: see crates/palisade-inventory/src/lang/java.rs).
#
# usage: scripts/oracle/trivy-java-db-stub.sh CACHE_DIR
set -euo pipefail
cache=${1:?usage: $0 CACHE_DIR}
db=$cache/java-db
mkdir -p "$db"
if [ -s "$db/trivy-java.db" ] && [ -s "$db/metadata.json" ]; then
  echo "$db already has a Java DB; left as it is" >&2
  exit 0
fi
rm -f "$db/trivy-java.db"
python3 - "$db/trivy-java.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT)")
c.execute("CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT)")
c.commit()
PY
# Schema version 1 (Trivy 0.76's); dated far ahead so that Trivy never asks for an update.
cat > "$db/metadata.json" <<'JSON'
{"Version":1,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2025-01-01T00:00:00Z","DownloadedAt":"2025-01-01T00:00:00Z"}
JSON
echo "empty Java DB written to $db" >&2
