#!/usr/bin/env bash
# Code-flow benchmark: the authorization code flow from GET /oauth/authorize (with a
# signed-in authority session, so no password is hashed) to POST /oauth/token, over
# HTTP against the release binary, driven by wrk with flow.lua; beside it, on the same
# server in the same round, refresh rotations driven by bench/refresh/rotate.lua.
# Both engines (SQLite, PostgreSQL).
#
#   bench/codeflow/run.sh                  # both engines, 3 rounds, ~2 min
#   ENGINES=sqlite ROUNDS=1 bench/codeflow/run.sh
#   TESSERA_BIN=target/debug/tessera ROUNDS=1 DURATION=2 CONNS=8 bench/codeflow/run.sh  # smoke test
#
# Knobs (env): ROUNDS (3, median reported), DURATION (10 s per measurement), CONNS (64),
# THREADS (2), SESSIONS (16 authority sessions, used round robin), SCOPE ("openid": an
# id_token is signed beside each access token), POOL (10), WORKERS (0 = one per core),
# ENGINES ("sqlite postgres"), PG_ADMIN_URL, TARGET (0.50: code flows/s over refresh
# rotations/s), SKIP_BUILD=1, TESSERA_BIN, KEEP=1, SPLIT=1 (also measure authorize
# requests alone, codes dropped: where a flow's time goes; not part of the verdict).
# Exit status: 0 target met, 3 target missed, other: the benchmark broke.
# Only loopback addresses are used; every process started here is stopped on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SESSIONS=${SESSIONS:-16}
SCOPE=${SCOPE:-openid}
POOL=${POOL:-10}
WORKERS=${WORKERS:-0}
ENGINES=${ENGINES:-"sqlite postgres"}
TARGET=${TARGET:-0.50}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=tessera_bench_codeflow
PG_BENCH_URL=${PG_ADMIN_URL%/*}/$PG_DB
TESSERA_BIN=${TESSERA_BIN:-$ROOT/target/release/tessera}
ADMIN_EMAIL=bench-admin@example.com
ADMIN_PASSWORD='bench-password-Correct-Horse-42'

if (( CONNS % THREADS != 0 )); then
  echo "CONNS ($CONNS) must be a multiple of THREADS ($THREADS)" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/tessera-bench-codeflow.XXXXXX)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
TESSERA_ENV=(TESSERA__LOG__FILTER=warn)

if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk >/dev/null; }
fi
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done
[[ " $ENGINES " != *" postgres "* ]] || command -v psql >/dev/null || { echo "missing tool: psql" >&2; exit 2; }

# A binary named by TESSERA_BIN is used as it is.
if [[ ${SKIP_BUILD:-0} != 1 && $TESSERA_BIN == "$ROOT/target/release/tessera" ]]; then
  log "building tessera (release; may wait for another cargo's lock)"
  (cd "$ROOT" && cargo build --release --bin tessera) >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; exit 2; }
fi
[[ -x $TESSERA_BIN ]] || { echo "no binary at $TESSERA_BIN" >&2; exit 2; }

declare -A RPS P99 BAD AUTHORIZE
record() { # key line
  local non timeouts
  RPS[$1]+="$(field rps "$2") "
  P99[$1]+="$(field p99_ms "$2") "
  non=$(field non_expected "$2"); non=${non:-$(field non200 "$2")}
  timeouts=$(field timeouts "$2")
  BAD[$1]=$(( ${BAD[$1]:-0} + ${non:-0} + ${timeouts:-0} ))
}

measure() { # engine round
  local engine=$1 round=$2 db_url out line
  if [[ $engine == sqlite ]]; then
    db_url=sqlite://$WORK/tessera-$round.db
  else
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
    PG_CREATED=1
    db_url=$PG_BENCH_URL
  fi
  start_tessera "tessera-$engine-$round" "$db_url"
  python3 "$BENCH_DIR/setup.py" "$T_URL" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$SESSIONS" \
      "$WORK/flow-$engine-$round.txt" "$SCOPE"
  seed_refresh "$T_URL" "$WORK/tokens-$engine-$round.txt"

  out=$(FLOW_FILE=$WORK/flow-$engine-$round.txt WRK_THREADS=$THREADS \
        wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency \
        -s "$BENCH_DIR/flow.lua" "$T_URL")
  echo "$out" >>"$WORK/wrk.log"
  line=$(grep '^CODEFLOW ' <<<"$out")
  echo "  code flow $line" >&2
  record "$engine/codeflow" "$line"

  if [[ ${SPLIT:-0} == 1 ]]; then
    out=$(FLOW_MODE=authorize FLOW_FILE=$WORK/flow-$engine-$round.txt WRK_THREADS=$THREADS \
          wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency \
          -s "$BENCH_DIR/flow.lua" "$T_URL")
    line=$(grep '^CODEFLOW ' <<<"$out")
    echo "  authorize alone (codes dropped) $line" >&2
    AUTHORIZE[$engine]+="$(field codes "$line") "
  fi

  out=$(TOKENS_FILE=$WORK/tokens-$engine-$round.txt WRK_THREADS=$THREADS \
        wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency \
        -s "$ROOT/bench/refresh/rotate.lua" "$T_URL")
  echo "$out" >>"$WORK/wrk.log"
  line=$(grep '^ROTATE ' <<<"$out")
  echo "  refresh   $line" >&2
  record "$engine/refresh" "$line"

  stop_pid "$T_PID"
  rm -f "$WORK"/tessera-"$round".db*
}

for engine in $ENGINES; do
  for round in $(seq "$ROUNDS"); do
    log "$engine round $round/$ROUNDS: code flow then refresh, wrk -t$THREADS -c$CONNS, ${DURATION}s each"
    measure "$engine" "$round"
  done
  if [[ $engine == postgres ]]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_CREATED=0
  fi
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {
  if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
echo "Code flow (authorize + token, scope \"$SCOPE\") and refresh rotations: median of $ROUNDS round(s) of ${DURATION}s, $CONNS connections, wrk -t$THREADS, DB pool $POOL, $(nproc) cores"
printf '%-10s %-9s %10s %10s %9s   %s\n' engine load per_s p99_ms errors "per round"
FAILED=0
for engine in $ENGINES; do
  for load in codeflow refresh; do
    key=$engine/$load
    printf '%-10s %-9s %10s %10s %9s   %s\n' "$engine" "$load" "$(median "${RPS[$key]}")" \
      "$(median "${P99[$key]}")" "${BAD[$key]}" "${RPS[$key]}"
  done
done
for engine in $ENGINES; do
  [[ -z ${AUTHORIZE[$engine]:-} ]] || echo "$engine: authorize requests alone, codes in ${DURATION}s per round: ${AUTHORIZE[$engine]}"
done
echo "(code flow per_s: complete flows, i.e. token answers a second, each after its authorize;"
echo " its p99 is over every request, authorize and token alike)"
echo
for engine in $ENGINES; do
  flow=$(median "${RPS[$engine/codeflow]}"); refresh=$(median "${RPS[$engine/refresh]}")
  r=$(awk -v a="$flow" -v b="$refresh" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')
  if awk -v r="$r" -v t="$TARGET" 'BEGIN { exit !(r >= t) }'; then v=PASS; else v=FAIL; FAILED=1; fi
  echo "$engine: code flow / refresh = $r (target >= $TARGET) $v"
  if (( ${BAD[$engine/codeflow]} + ${BAD[$engine/refresh]} != 0 )); then
    echo "$engine: unexpected answers or timeouts: code flow ${BAD[$engine/codeflow]}, refresh ${BAD[$engine/refresh]} FAIL"
    FAILED=1
  fi
done
(( FAILED == 0 )) || exit 3
