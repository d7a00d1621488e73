#!/usr/bin/env bash
# JWKS under load: tessera's GET /.well-known/jwks.json against nginx serving the very
# same bytes from a static file, both on loopback, measured by wrk in one run.
#
# Targets: tessera requests/s >= nginx requests/s (ratio >= 1.0), tessera p99 < 5 ms.
#
# Usage: bench/jwks_load.sh
# Env:   WRK_THREADS (2), WRK_CONNECTIONS (64), WRK_DURATION (10s), SKIP_BUILD=1,
#        TARGET_RATIO (1.0), TARGET_P99_MS (5), TESSERA_BIN (target/release/tessera:
#        another build, e.g. the one before a change, for a before/after pair),
#        NGINX_TUNED=1: a stronger baseline for small static files (open_file_cache,
#        sendfile off) instead of the minimal configuration
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
# shellcheck source=bench/nginx_jwks.sh
source "$ROOT/bench/nginx_jwks.sh"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-64}"
WRK_DURATION="${WRK_DURATION:-10s}"
TARGET_RATIO="${TARGET_RATIO:-1.0}"
TARGET_P99_MS="${TARGET_P99_MS:-5}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET_DIR" = /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
BIN="${TESSERA_BIN:-$TARGET_DIR/release/tessera}"

need() { command -v "$1" >/dev/null || { echo "$1 is missing: apt-get install -y $2" >&2; exit 2; }; }
need wrk wrk
need nginx nginx
need curl curl
need python3 python3

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release
fi
[[ -x "$BIN" ]] || { echo "no binary at $BIN" >&2; exit 2; }

WORK="$(mktemp -d -t tessera-jwks-load.XXXXXX)"
TESSERA_PID=""
NGINX_PID=""
cleanup() {
    local pid
    for pid in "$NGINX_PID" "$TESSERA_PID"; do
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    done
    for pid in "$NGINX_PID" "$TESSERA_PID"; do
        [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Three free loopback ports (asked of the kernel, then released for the servers).
read -r PORT METRICS_PORT NGINX_PORT < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)

# tessera: no configuration at all but the listeners and a quiet log. It creates its
# SQLite database, KEK and first keys under the temp dir. Its worker count defaults to
# one per core; nginx gets as many worker processes.
WORKERS="$(nproc)"
mkdir -p "$WORK/tessera"
(
    cd "$WORK/tessera"
    exec env TESSERA__SERVER__LISTEN="127.0.0.1:$PORT" \
        TESSERA__SERVER__METRICS_LISTEN="127.0.0.1:$METRICS_PORT" \
        TESSERA__LOG__FILTER=warn \
        "$BIN" serve
) >"$WORK/tessera.log" 2>&1 &
TESSERA_PID=$!

ready=""
for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then
        ready=1
        break
    fi
    kill -0 "$TESSERA_PID" 2>/dev/null || break
    sleep 0.2
done
if [[ -z "$ready" ]]; then
    echo "tessera did not become ready; its log:" >&2
    cat "$WORK/tessera.log" >&2
    exit 1
fi

TESSERA_URL="http://127.0.0.1:$PORT/.well-known/jwks.json"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/.well-known/jwks.json"
mkdir -p "$WORK/www"
curl -fsS -o "$WORK/www/jwks.json" "$TESSERA_URL"
chmod 755 "$WORK" "$WORK/www"
chmod 644 "$WORK/www/jwks.json"

# nginx: in the foreground, its own minimal configuration, no access log.
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
NGINX_FILE_IO="    sendfile on;"
NGINX_MODE=minimal
if [[ "${NGINX_TUNED:-0}" == 1 ]]; then
    # No open/fstat/close per request, and one writev instead of write + sendfile.
    NGINX_FILE_IO="    sendfile off;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;"
    NGINX_MODE=tuned
fi
nginx_jwks_conf "$WORK/nginx" "$NGINX_PORT" "$WORKERS" "$WORK/www/jwks.json" "$NGINX_FILE_IO" >"$WORK/nginx/nginx.conf"
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" \
    >"$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!

ready=""
for _ in $(seq 1 100); do
    if curl -fsS -o "$WORK/nginx.jwks" "$NGINX_URL" 2>/dev/null; then
        ready=1
        break
    fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$ready" ]]; then
    echo "nginx did not start; its log:" >&2
    cat "$WORK/nginx/logs/"* >&2
    exit 1
fi
cmp -s "$WORK/nginx.jwks" "$WORK/www/jwks.json" || { echo "nginx serves other bytes" >&2; exit 1; }

# wrk's p99 ("99%  1.23ms") in milliseconds.
p99_ms() {
    awk '$1 == "99%" {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
        else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
        exit
    }' "$1"
}
rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
errors() {
    awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { n += 1 } END { print n + 0 }' "$1"
}

run_wrk() { # name url
    local out="$WORK/wrk-$1.txt"
    echo "== wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency $2 ($1)" >&2
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$2" >"$out"
    cat "$out" >&2
    echo "$out"
}

echo "JWKS: $(wc -c <"$WORK/www/jwks.json") bytes; $WORKERS tessera workers, $WORKERS nginx workers ($NGINX_MODE config)"
TESSERA_OUT="$(run_wrk tessera "$TESSERA_URL")"
NGINX_OUT="$(run_wrk nginx "$NGINX_URL")"

t_rps="$(rps "$TESSERA_OUT")"
n_rps="$(rps "$NGINX_OUT")"
t_p99="$(p99_ms "$TESSERA_OUT")"
n_p99="$(p99_ms "$NGINX_OUT")"
t_err="$(errors "$TESSERA_OUT")"
n_err="$(errors "$NGINX_OUT")"
ratio="$(awk -v t="$t_rps" -v n="$n_rps" 'BEGIN { printf "%.3f", t / n }')"

verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
ratio_verdict="$(verdict "$ratio >= $TARGET_RATIO")"
p99_verdict="$(verdict "$t_p99 < $TARGET_P99_MS")"

echo
printf '%-8s %14s %10s %8s\n' server "requests/s" "p99 (ms)" errors
printf '%-8s %14s %10s %8s\n' tessera "$t_rps" "$t_p99" "$t_err"
printf '%-8s %14s %10s %8s\n' nginx "$n_rps" "$n_p99" "$n_err"
echo
echo "tessera/nginx requests/s: ${ratio}x (target >= $TARGET_RATIO): $ratio_verdict"
echo "tessera p99: ${t_p99} ms (target < $TARGET_P99_MS ms): $p99_verdict"

if [[ "$t_err" != 0 || "$n_err" != 0 ]]; then
    echo "FAIL: wrk saw errors or non-2xx answers" >&2
    exit 1
fi
[[ "$ratio_verdict" == PASS && "$p99_verdict" == PASS ]]
