#!/usr/bin/env bash
# Instructions per JWKS request: tessera against a bare actix-web server (bench/bare_jwks)
# returning the same bytes, each on one worker under valgrind's callgrind.
#
# Instruction counts do not depend on what else the machine runs, so unlike wrk this
# compares builds on a busy shared machine. The counts are user-space instructions of
# the server process (all its threads), from after a warm-up to after N requests: the
# kernel's share (syscalls, loopback TCP) is not in them, and it is about the same for
# both servers, so the ratio of instructions is a lower bound of the throughput gap.
#
# Usage: bench/callgrind/jwks.sh
# Env:   N (20000 requests measured), WARMUP (2000), CONNS (4 kept-alive connections),
#        LOG_FILTERS ("warn info": tessera is measured once per log filter; `warn` is
#        what bench/jwks_load.sh runs, `info` is the default configuration),
#        TESSERA_BIN (target/release/tessera), BARE_BIN (bench/bare_jwks/target/release/bare-jwks),
#        SKIP_BUILD=1, OUT (a folder to keep the callgrind dumps in, for callgrind_annotate),
#        TARGET (1.11: at most this many times bare's instructions, about 0.9x its
#        throughput), TARGET_FILTER (warn: the log filter the target applies to)
# Prints one line per server (RESULT name=.. ir_per_request=..) and the ratios to bare.
# Exit status 1 when tessera under TARGET_FILTER misses TARGET.
set -euo pipefail

# Binaries given relative to where the script was started from.
[[ -z ${TESSERA_BIN:-} ]] || TESSERA_BIN=$(realpath "$TESSERA_BIN")
[[ -z ${BARE_BIN:-} ]] || BARE_BIN=$(realpath "$BARE_BIN")
cd "$(dirname "$0")/../.."
ROOT=$PWD
N=${N:-20000}
WARMUP=${WARMUP:-2000}
CONNS=${CONNS:-4}
LOG_FILTERS=${LOG_FILTERS:-warn info}
TARGET=${TARGET:-1.11}
TARGET_FILTER=${TARGET_FILTER:-warn}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR = /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
BIN=${TESSERA_BIN:-$TARGET_DIR/release/tessera}
BARE_BIN=${BARE_BIN:-$ROOT/bench/bare_jwks/target/release/bare-jwks}
REPEAT=$ROOT/bench/callgrind/repeat.py

for tool in valgrind callgrind_control curl python3; do
  command -v $tool >/dev/null || { echo "$tool is missing (apt-get install -y valgrind curl python3)" >&2; exit 2; }
done
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  [[ -n ${TESSERA_BIN:-} ]] || cargo build --release
  cargo build --release --manifest-path "$ROOT/bench/bare_jwks/Cargo.toml"
fi
[[ -x $BIN && -x $BARE_BIN ]] || { echo "missing $BIN or $BARE_BIN" >&2; exit 2; }

WORK=$(mktemp -d -t tessera-callgrind.XXXXXX)
OUT=${OUT:-$WORK/dumps}
mkdir -p "$OUT"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [[ -n $pid ]] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_http() { # url seconds pid
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { echo "server $3 exited" >&2; return 1; }
    (( SECONDS < deadline )) || { echo "timed out waiting for $1" >&2; return 1; }
    sleep 0.5
  done
}
tessera_env() { # port metrics_port filter
  echo TESSERA__SERVER__LISTEN=127.0.0.1:$1 TESSERA__SERVER__METRICS_LISTEN=127.0.0.1:$2 \
    TESSERA__SERVER__WORKERS=1 TESSERA__LOG__FILTER=$3
}

# A first start outside valgrind creates the database, the KEK and the keys, so that the
# measured server only unseals them; its JWKS is the file the bare server serves.
mkdir -p "$WORK/tessera"
port=$(free_port); mport=$(free_port)
(cd "$WORK/tessera" && exec env $(tessera_env "$port" "$mport" warn) "$BIN" serve) >"$WORK/first.log" 2>&1 &
pid=$!; PIDS+=("$pid")
wait_http "http://127.0.0.1:$port/readyz" 60 "$pid" || { cat "$WORK/first.log" >&2; exit 1; }
curl -fsS -o "$WORK/jwks.json" "http://127.0.0.1:$port/.well-known/jwks.json"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true

# measure NAME URL -- COMMAND...: runs COMMAND under callgrind, prints Ir per request.
measure() {
  local name=$1 url=$2; shift 3
  # --separate-threads=yes: without it, callgrind_control's zero and dump reached the
  # main thread's counts only, not the worker's. --trace-children: COMMAND may be `env`.
  valgrind --tool=callgrind --trace-children=yes --separate-threads=yes --callgrind-out-file="$OUT/$name.%p" "$@" >"$WORK/$name.log" 2>&1 &
  local vpid=$!; PIDS+=("$vpid")
  wait_http "$url" 300 "$vpid" || { cat "$WORK/$name.log" >&2; exit 1; }
  python3 "$REPEAT" "$url" "$WARMUP" "$CONNS"
  callgrind_control -z "$vpid" >/dev/null 2>&1
  python3 "$REPEAT" "$url" "$N" "$CONNS"
  callgrind_control -d "$vpid" >/dev/null 2>&1
  kill -TERM "$vpid"; wait "$vpid" 2>/dev/null || true
  # The dump after the N requests: one file per thread (`.1-01`, `.1-02`, ...), summed.
  local ir; ir=$(cat "$OUT/$name.$vpid".1-* | awk '/^summary:/ { n += $2 } END { print n }')
  python3 -c "print(f'RESULT name=$name requests=$N ir=$ir ir_per_request={$ir / $N:.0f}')"
}

bport=$(free_port)
declare -A PER
line=$(measure bare "http://127.0.0.1:$bport/.well-known/jwks.json" -- "$BARE_BIN" "$WORK/jwks.json" "127.0.0.1:$bport" 1)
echo "$line"; PER[bare]=$(sed 's/.*ir_per_request=//' <<<"$line")
for filter in $LOG_FILTERS; do
  port=$(free_port); mport=$(free_port)
  line=$(cd "$WORK/tessera" && measure "tessera-$filter" "http://127.0.0.1:$port/.well-known/jwks.json" -- \
    env $(tessera_env "$port" "$mport" "$filter") "$BIN" serve)
  echo "$line"; PER[$filter]=$(sed 's/.*ir_per_request=//' <<<"$line")
done
echo "JWKS: $(wc -c <"$WORK/jwks.json") bytes, $N requests over $CONNS connections, one worker"
status=0
for filter in $LOG_FILTERS; do
  verdict=$(python3 -c "print('PASS' if ${PER[$filter]} / ${PER[bare]} <= $TARGET else 'FAIL')")
  [[ $filter != "$TARGET_FILTER" ]] && verdict="($verdict: the target is for log $TARGET_FILTER)"
  [[ $filter == "$TARGET_FILTER" && $verdict == FAIL ]] && status=1
  python3 -c "t, b = ${PER[$filter]}, ${PER[bare]}; print(f'tessera (log $filter) / bare instructions per request: {t} / {b} = {t / b:.3f}x (target <= ${TARGET}x): $verdict')"
done
exit $status
