#!/usr/bin/env bash
# The whole test suite on both engines: SQLite always, PostgreSQL on 127.0.0.1:5432
# (started, or installed and started, when it is not answering).
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${TESSERA_TEST_POSTGRES_URL:-}"

answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "== installing PostgreSQL"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  if ! answers; then
    echo "== starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do answers && break; sleep 1; done
  fi
  answers || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
}

can_connect() { psql "$1" -qtAc 'SELECT 1' >/dev/null 2>&1; }

if [ -z "$pg_url" ]; then
  ensure_postgres
  pg_url="postgres://postgres@127.0.0.1:5432/postgres"
  if ! can_connect "$pg_url"; then
    # A fresh Debian cluster wants a password over TCP: give the postgres role one.
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    pg_url="postgres://postgres:postgres@127.0.0.1:5432/postgres"
    can_connect "$pg_url" || { echo "cannot connect to PostgreSQL as postgres" >&2; exit 1; }
  fi
fi
export TESSERA_TEST_POSTGRES_URL="$pg_url"

# promtool (Debian's prometheus package) checks the metrics exposition format.
if ! command -v promtool >/dev/null 2>&1; then
  echo "== installing promtool"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
export TESSERA_TEST_PROMTOOL="$(command -v promtool)"
echo "== engines: SQLite (temporary files) and PostgreSQL (${pg_url%%@*}@..., one database per test)"

# A few test threads: each test runs a server with its own workers on this 2-core
# machine. Set through the environment, because criterion's bench binary (run once
# in test mode by --all-targets) refuses libtest's --test-threads flag.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-2}"
cargo test --all-targets "$@"

# Libraries we did not write (PyJWT, and the OAuth client, browser and verifiers the
# tests there name) against the running binary, on both engines.
bash tests/external/run.sh

# API fuzzing: schemathesis against /openapi.json of the running binary, a bounded
# number of examples with a fixed seed. It reuses the debug binary the tests just
# built (overflow checks on) instead of compiling the release profile a second time;
# `bash scripts/api-fuzz.sh` alone runs it against the release binary.
CI=true API_FUZZ_PROFILE=dev bash scripts/api-fuzz.sh
