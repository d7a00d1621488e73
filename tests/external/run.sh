#!/usr/bin/env bash
# The tests that drive the real binary from Python (and, through it, Node and a real
# browser): libraries we did not write talking to tessera over HTTP, on SQLite and
# PostgreSQL. scripts/test.sh runs this after the Rust tests; alone:
#
#   TESSERA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres bash tests/external/run.sh [pytest args]
#
# Installs what it needs (a venv from requirements.txt) and fails, never skips, when
# something cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${TESSERA_TEST_POSTGRES_URL:?set TESSERA_TEST_POSTGRES_URL to a PostgreSQL admin URL}"
command -v psql >/dev/null || { echo "external tests need psql" >&2; exit 1; }

state="target/external"
venv="$state/venv"
requirements="tests/external/requirements.txt"
mkdir -p "$state"

# The venv is rebuilt only when the pinned requirements change.
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/pytest" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "== external: installing $requirements into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" >"$stamp"
fi

# test_browser.py: Debian's chromium and chromedriver, the only browser these tests use
# (Selenium is given /usr/bin/chromedriver and never downloads one). Not installable:
# fail here, as the test itself fails without them.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "== external: installing chromium and chromium-driver"
  { apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }; } \
    || { echo "cannot install chromium and chromium-driver (apt-get)" >&2; exit 1; }
fi
export SE_OFFLINE=true # Selenium Manager must never fetch a browser or driver

echo "== external: building the debug binary"
cargo build --quiet --bin tessera
export TESSERA_BIN="$PWD/target/debug/tessera"

export PYTHONDONTWRITEBYTECODE=1
echo "== external: pytest (SQLite and PostgreSQL)"
"$venv/bin/pytest" tests/external -p no:cacheprovider -q "$@"
