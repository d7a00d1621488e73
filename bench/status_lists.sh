#!/usr/bin/env bash
# GET /statuslists/{id} against GET /.well-known/jwks.json on the same tessera, by wrk,
# interleaved in one run so that drift and neighbours hit both alike.
#
# Target (issue 16): the status list's requests/s >= 0.9x the JWKS's.
#
# Usage: bench/status_lists.sh
# Env:   ROUNDS (3), WRK_THREADS (2), WRK_CONNECTIONS (64), WRK_DURATION (10s),
#        SKIP_BUILD=1, TESSERA_BIN (target/release/tessera), TARGET_RATIO (0.9)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
ROUNDS="${ROUNDS:-3}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-64}"
WRK_DURATION="${WRK_DURATION:-10s}"
TARGET_RATIO="${TARGET_RATIO:-0.9}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET_DIR" = /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
BIN="${TESSERA_BIN:-$TARGET_DIR/release/tessera}"

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
[[ "${SKIP_BUILD:-0}" == 1 ]] || cargo build --release --bin tessera
[[ -x "$BIN" ]] || { echo "no binary at $BIN" >&2; exit 2; }

WORK="$(mktemp -d -t tessera-status-lists.XXXXXX)"
PID=""
cleanup() {
    [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

read -r PORT METRICS_PORT < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
BASE="http://127.0.0.1:$PORT"
(
    cd "$WORK"
    exec env TESSERA__SERVER__LISTEN="127.0.0.1:$PORT" \
        TESSERA__SERVER__METRICS_LISTEN="127.0.0.1:$METRICS_PORT" \
        TESSERA__ISSUER="$BASE" TESSERA__LOG__FILTER=warn \
        TESSERA__BOOTSTRAP__ADMIN_EMAIL=bench@example.com \
        TESSERA__BOOTSTRAP__ADMIN_PASSWORD=bench-password-1234 \
        "$BIN" serve
) >"$WORK/tessera.log" 2>&1 &
PID=$!
for _ in $(seq 300); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.1; done

TOKEN=$(curl -fs -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","password":"bench-password-1234"}' "$BASE/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
LIST=$(python3 -c '
import base64, json, sys
p = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["status"]["status_list"]["uri"])' "$TOKEN")
echo "list: $LIST ($(curl -fs "$LIST" | wc -c) bytes), JWKS: $(curl -fs "$BASE/.well-known/jwks.json" | wc -c) bytes"

rate() {
    wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "$WRK_DURATION" --latency "$1" |
        awk '/Requests\/sec/ {print $2}'
}
JWKS=()
LISTS=()
for round in $(seq "$ROUNDS"); do
    JWKS+=("$(rate "$BASE/.well-known/jwks.json")")
    LISTS+=("$(rate "$LIST")")
    echo "round $round: jwks ${JWKS[-1]} req/s, status list ${LISTS[-1]} req/s"
done
python3 - "$TARGET_RATIO" "${JWKS[*]}" "${LISTS[*]}" <<'PY'
import statistics, sys
target = float(sys.argv[1])
jwks = statistics.median(map(float, sys.argv[2].split()))
lists = statistics.median(map(float, sys.argv[3].split()))
ratio = lists / jwks
print(f"median: jwks {jwks:.0f} req/s, status list {lists:.0f} req/s, ratio {ratio:.2f} (target >= {target})")
sys.exit(0 if ratio >= target else 3)
PY
