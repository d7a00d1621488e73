#!/usr/bin/env bash
# Time from exec of the release binary to the first 200 on /readyz, on SQLite:
# a fresh directory (creates the database, KEK and first keys) and a warm restart.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin="$PWD/target/release/tessera"
dir=$(mktemp -d)
pid=""
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
export TESSERA__SERVER__LISTEN=127.0.0.1:18080 TESSERA__SERVER__METRICS_LISTEN=127.0.0.1:19464 TESSERA__LOG__FILTER=error

measure() {
  local start end
  start=$(date +%s%N)
  (cd "$dir" && exec "$bin" 2>/dev/null) & pid=$!
  until curl -sf -o /dev/null http://127.0.0.1:18080/readyz; do sleep 0.002; done
  end=$(date +%s%N)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  echo $(( (end - start) / 1000000 ))
}

echo "fresh start (database, KEK, two ES256 keys): $(measure) ms"
for i in 1 2 3 4 5; do echo "restart $i: $(measure) ms"; done
