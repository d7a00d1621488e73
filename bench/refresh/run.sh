#!/usr/bin/env bash
# Refresh-rotation benchmark: tessera (release binary, over HTTP, driven by wrk with
# rotate.lua) beside a bare sqlx loop doing the same SQL, on SQLite and PostgreSQL,
# and (SQLite only) beside a typical Node.js implementation (node/).
#
#   bench/refresh/run.sh                 # everything
#   ENGINES=sqlite bench/refresh/run.sh  # one engine
#
# Knobs (env): ROUNDS (3: each measurement is repeated, interleaved, and the median
# is reported), DURATION (10, seconds per measurement), CONNS (64, wrk connections
# = bare tasks = token chains), THREADS (2, wrk threads), POOL (10, the DB pool of
# tessera = TESSERA__DATABASE__MAX_CONNECTIONS, and of the bare loop), WORKERS (0 =
# one per core, TESSERA__SERVER__WORKERS), ENGINES ("sqlite postgres"),
# PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres), SKIP_BUILD=1,
# KEEP=1 (keep the work dir with logs), TESSERA_BIN (default target/release/tessera),
# LARGE (0; e.g. 1000000: also measure tessera on a database seeded with that many
# live families, each with an unspent token, before it starts), BEFORE_BIN (unset; another
# tessera binary, e.g. the build before a change, measured in the same rounds, interleaved,
# as "tessera-before"), ONLY_TESSERA=1 (measure tessera, and BEFORE_BIN, without the bare
# loop and node references: no bare build, no npm install).
# Targets: tessera/bare >= 0.70 per engine, tessera/node >= 5.0 (SQLite),
# tessera on LARGE families >= 0.90 of tessera on a small database, tessera >= 0.95 of
# BEFORE_BIN (a change costs at most 5 %).
# Exit status: 0 all targets met, 3 a target failed, other: the benchmark broke.
# Only loopback addresses are used; every process started here is stopped on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
POOL=${POOL:-10}
WORKERS=${WORKERS:-0}
ENGINES=${ENGINES:-"sqlite postgres"}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=tessera_bench
PG_BENCH_URL=${PG_ADMIN_URL%/*}/$PG_DB
TESSERA_BIN=${TESSERA_BIN:-$ROOT/target/release/tessera}
BARE_TARGET_DIR=${CARGO_TARGET_DIR_BARE:-$ROOT/target/bench-refresh}
BARE_BIN=$BARE_TARGET_DIR/release/refresh-bare
ADMIN_EMAIL=bench-admin@example.com
ADMIN_PASSWORD='bench-password-Correct-Horse-42'
BARE_RATIO_TARGET=0.70
NODE_RATIO_TARGET=5.0
LARGE=${LARGE:-0}
LARGE_RATIO_TARGET=0.90

if (( CONNS % THREADS != 0 )); then
  echo "CONNS ($CONNS) must be a multiple of THREADS ($THREADS)" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/tessera-bench-refresh.XXXXXX)
# Process bookkeeping, cleanup and helpers shared with the other refresh benchmark.
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# CPU used by processes that are not part of the benchmark while it measures: other
# builds or tests on the machine skew every figure. snap FILE; others FILE -> text.
snap() {
  python3 - >"$1" <<'PY'
import os
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        stat = open("/proc/%s/stat" % pid).read()
    except OSError:
        continue
    comm = stat[stat.index("(") + 1:stat.rindex(")")].replace(" ", "_")
    rest = stat[stat.rindex(")") + 2:].split()
    # utime + stime + the same of reaped children (cargo accumulates its rustc runs)
    print(pid, comm, sum(int(x) for x in rest[11:15]))
PY
}
others() {
  local before=$1 after; after=$(mktemp "$WORK/snap.XXXXXX"); snap "$after"
  python3 - "$before" "$after" "$DURATION" <<'PY'
import sys
def load(p):
    d = {}
    for line in open(p):
        pid, comm, ticks = line.split()
        d[pid] = (comm, int(ticks))
    return d
a, b, secs = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
# The benchmark's own processes, and kernel threads that carry its loopback traffic.
mine = ("tessera", "refresh-bare", "wrk", "node", "postgres", "curl", "python3", "ksoftirqd",
        "kworker", "rcu_", "migration", "bash", "sleep", "awk", "sed", "grep", "sort", "tr")
out = []
for pid, (comm, t) in b.items():
    used = t - a.get(pid, (comm, 0))[1]
    if used > 0 and not comm.startswith(mine):
        out.append((used, comm))
out.sort(reverse=True)
busy = sum(u for u, _ in out) / 100.0 / secs
if busy > 0.05:
    print("WARNING other processes used %.0f%% of a core: %s" % (busy * 100,
          ", ".join("%s %.1fs" % (c, u / 100.0) for u, c in out[:3])))
PY
  rm -f "$after" "$before"
}

# ---------------------------------------------------------------- prerequisites
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk >/dev/null; }
fi
for tool in curl psql node npm cargo python3; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building tessera (release; may wait for another cargo's lock)"
  (cd "$ROOT" && cargo build --release --bin tessera) >"$WORK/build-tessera.log" 2>&1 \
    || { tail -30 "$WORK/build-tessera.log" >&2; exit 2; }
  [[ ${ONLY_TESSERA:-0} == 1 ]] || log "building the bare sqlx loop"
  [[ ${ONLY_TESSERA:-0} == 1 ]] || CARGO_TARGET_DIR=$BARE_TARGET_DIR cargo build --release \
    --manifest-path "$BENCH_DIR/bare/Cargo.toml" >"$WORK/build-bare.log" 2>&1 \
    || { tail -30 "$WORK/build-bare.log" >&2; exit 2; }
fi
[[ -x $TESSERA_BIN ]] || { echo "no binary at $TESSERA_BIN" >&2; exit 2; }
[[ ${ONLY_TESSERA:-0} == 1 || -x $BARE_BIN ]] || { echo "no binary at $BARE_BIN" >&2; exit 2; }
[[ -z ${BEFORE_BIN:-} || -x $BEFORE_BIN ]] || { echo "no binary at $BEFORE_BIN" >&2; exit 2; }
if [[ ${ONLY_TESSERA:-0} != 1 && " $ENGINES " == *" sqlite "* && ! -d $BENCH_DIR/node/node_modules/better-sqlite3 ]]; then
  log "npm install (node reference)"
  (cd "$BENCH_DIR/node" && npm install --no-audit --no-fund) >"$WORK/npm.log" 2>&1 \
    || { tail -30 "$WORK/npm.log" >&2; exit 2; }
fi

# ---------------------------------------------------------------- helpers
# drive URL FILE -> the ROTATE line of wrk
drive() {
  local url=$1 file=$2 out
  out=$(TOKENS_FILE=$file WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" \
        --timeout 10s --latency -s "$BENCH_DIR/rotate.lua" "$url")
  echo "$out" >>"$WORK/wrk.log"
  grep '^ROTATE ' <<<"$out"
}

metric() { # metrics_url name
  curl -fsS "$1/metrics" | awk -v n="$2" '$1 == n {print $2}'
}

declare -A RPS P99 BAD
record() { # key line: appends this round's figures
  local non
  RPS[$1]+="$(field rps "$2") "
  P99[$1]+="$(field p99_ms "$2") "
  non=$(field non200 "$2"); non=${non:-$(field errors "$2")}
  BAD[$1]=$(( ${BAD[$1]:-0} + ${non:-0} ))
}

fresh_pg() {
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
  psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
  PG_CREATED=1
}

measure_bare() { # engine round
  local engine=$1 round=$2 url line s
  if [[ $engine == sqlite ]]; then url=sqlite://$WORK/bare-$round.db; else fresh_pg; url=$PG_BENCH_URL; fi
  s=$(mktemp "$WORK/snap.XXXXXX"); snap "$s"
  line=$("$BARE_BIN" --url "$url" --migrations "$ROOT/migrations/$engine" \
          --tasks "$CONNS" --pool "$POOL" --secs "$DURATION" --warmup 1 2>>"$WORK/bare-$engine.log")
  echo "  bare     $line" >&2
  others "$s" >&2
  record "$engine/bare" "$line"
  rm -f "$WORK"/bare-"$round".db*
}

# seed_families engine db_url: LARGE live families of one user, each with an unspent
# token, written straight into a migrated database (logins would take hours of argon2).
seed_families() {
  local engine=$1 db_url=$2 now; now=$(date +%s)
  (cd "$WORK" && TESSERA__DATABASE__URL=$db_url TESSERA__KEYS__KEK="$(head -c 32 /dev/urandom | base64 -w0)" \
      "$TESSERA_BIN" migrate) >>"$WORK/seed.log" 2>&1 || { tail -5 "$WORK/seed.log" >&2; return 1; }
  local user="INSERT INTO users (id, email, password_hash, roles, created_at) VALUES ('seed-user', 'seed@example.com', 'x', '', $now);"
  if [[ $engine == sqlite ]]; then
    sqlite3 "${db_url#sqlite://}" <<SQL >>"$WORK/seed.log"
PRAGMA journal_mode = WAL;
BEGIN;
$user
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $LARGE)
INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at)
  SELECT 'seed-' || i, 'seed-user', '', $now, $now + 2592000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $LARGE)
INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at)
  SELECT randomblob(32), 'seed-' || i, $now, $now + 604800 FROM n;
COMMIT;
ANALYZE;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  else
    psql -q -v ON_ERROR_STOP=1 "$db_url" <<SQL >>"$WORK/seed.log"
BEGIN;
$user
INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at)
  SELECT 'seed-' || i, 'seed-user', '', $now, $now + 2592000 FROM generate_series(1, $LARGE) i;
INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at)
  SELECT sha256(('seed-' || i)::bytea), 'seed-' || i, $now, $now + 604800 FROM generate_series(1, $LARGE) i;
COMMIT;
VACUUM ANALYZE;
CHECKPOINT;
SQL
  fi
}

measure_tessera() { # engine round [large]
  local engine=$1 round=$2 large=${3:-} db_url line before after reuse s
  if [[ $engine == sqlite ]]; then db_url=sqlite://$WORK/tessera-$round$large.db; else fresh_pg; db_url=$PG_BENCH_URL; fi
  if [[ $large == -large ]]; then
    log "  seeding $LARGE families"
    seed_families "$engine" "$db_url"
  fi
  start_tessera "$engine-$round$large" "$db_url"
  seed_refresh "$T_URL" "$WORK/tokens-$engine-$round.txt"
  before=$(metric "$T_METRICS" tessera_refresh_rotations_total); before=${before:-0}
  s=$(mktemp "$WORK/snap.XXXXXX"); snap "$s"
  line=$(drive "$T_URL" "$WORK/tokens-$engine-$round.txt")
  others "$s" >&2
  after=$(metric "$T_METRICS" tessera_refresh_rotations_total); after=${after:-0}
  reuse=$(metric "$T_METRICS" tessera_refresh_reuse_detected_total); reuse=${reuse:-0}
  echo "  tessera$large  $line server_rotations=$(( ${after%.*} - ${before%.*} )) reuse_detected=${reuse%.*}" >&2
  if [[ ${reuse%.*} != 0 ]]; then # the script presented a token twice: a bug in the bench
    echo "tessera saw refresh-token reuse: the load script is wrong" >&2
    line="$line non200=999999"
  fi
  record "$engine/tessera$large" "$line"
  stop_pid "$T_PID"
  rm -f "$WORK"/tessera-"$round$large".db*
}

measure_node() { # round (SQLite only)
  local round=$1 port url npid line s
  port=$(free_port); url=http://127.0.0.1:$port
  (cd "$BENCH_DIR/node" && exec env LISTEN_HOST=127.0.0.1 LISTEN_PORT=$port \
      DB_PATH="$WORK/node-$round.db" MIGRATION="$ROOT/migrations/sqlite" \
      BENCH_EMAIL=$ADMIN_EMAIL BENCH_PASSWORD=$ADMIN_PASSWORD node server.js) \
      >>"$WORK/node.log" 2>&1 &
  npid=$!
  PIDS+=("$npid")
  wait_http "$url/healthz" 30
  seed_refresh "$url" "$WORK/tokens-node-$round.txt"
  s=$(mktemp "$WORK/snap.XXXXXX"); snap "$s"
  line=$(drive "$url" "$WORK/tokens-node-$round.txt")
  others "$s" >&2
  echo "  node     $line" >&2
  record "sqlite/node" "$line"
  stop_pid "$npid"
}

run_engine() {
  local engine=$1 round
  for round in $(seq "$ROUNDS"); do
    log "$engine round $round/$ROUNDS: bare ($CONNS tasks, pool $POOL), tessera$([[ $engine == sqlite ]] && echo " and node") (wrk -t$THREADS -c$CONNS), ${DURATION}s each"
    [[ ${ONLY_TESSERA:-0} == 1 ]] || measure_bare "$engine" "$round"
    [[ -z ${BEFORE_BIN:-} ]] || TESSERA_BIN=$BEFORE_BIN measure_tessera "$engine" "$round" -before
    measure_tessera "$engine" "$round"
    (( LARGE == 0 )) || measure_tessera "$engine" "$round" -large
    [[ ${ONLY_TESSERA:-0} == 1 || $engine != sqlite ]] || measure_node "$round"
  done
  if [[ $engine == postgres ]]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_CREATED=0
  fi
}

for engine in $ENGINES; do
  run_engine "$engine"
done

# ---------------------------------------------------------------- report
FAILED=0
verdict() { # ratio target -> sets V (no subshell, so FAILED sticks)
  if awk -v r="$1" -v t="$2" 'BEGIN { exit !(r >= t) }'; then V=PASS; else FAILED=1; V=FAIL; fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "0" }'; }
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {
  if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
echo "Refresh rotations: median of $ROUNDS round(s) of ${DURATION}s, $CONNS connections/tasks, wrk -t$THREADS, DB pool $POOL, $(nproc) cores"
printf '%-10s %-14s %12s %10s %8s   %s\n' engine impl rotations/s p99_ms non200 "rotations/s per round"
declare -A MED
for engine in $ENGINES; do
  for impl in bare tessera-before tessera tessera-large node; do
    key=$engine/$impl
    [[ -n ${RPS[$key]:-} ]] || continue
    MED[$key]=$(median "${RPS[$key]}")
    printf '%-10s %-14s %12s %10s %8s   %s\n' "$engine" "$impl" "${MED[$key]}" "$(median "${P99[$key]}")" "${BAD[$key]}" "${RPS[$key]}"
  done
done
echo
for engine in $ENGINES; do
  if [[ -n ${MED[$engine/bare]:-} ]]; then
    r=$(ratio "${MED[$engine/tessera]}" "${MED[$engine/bare]}")
    verdict "$r" "$BARE_RATIO_TARGET"
    echo "$engine: tessera/bare = $r (target >= $BARE_RATIO_TARGET) $V"
  fi
  if [[ -n ${MED[$engine/tessera-before]:-} ]]; then
    r=$(ratio "${MED[$engine/tessera]}" "${MED[$engine/tessera-before]}")
    verdict "$r" 0.95
    echo "$engine: tessera/tessera-before = $r (target >= 0.95) $V"
  fi
  if [[ -n ${MED[$engine/node]:-} ]]; then
    r=$(ratio "${MED[$engine/tessera]}" "${MED[$engine/node]}")
    verdict "$r" "$NODE_RATIO_TARGET"
    echo "$engine: tessera/node = $r (target >= $NODE_RATIO_TARGET) $V"
  fi
  if [[ -n ${MED[$engine/tessera-large]:-} ]]; then
    r=$(ratio "${MED[$engine/tessera-large]}" "${MED[$engine/tessera]}")
    verdict "$r" "$LARGE_RATIO_TARGET"
    echo "$engine: tessera with $LARGE families / small database = $r (target >= $LARGE_RATIO_TARGET) $V"
  fi
  if [[ ${BAD[$engine/tessera]:-0} != 0 ]]; then
    echo "$engine: tessera answered ${BAD[$engine/tessera]} non-200s FAIL"
    FAILED=1
  fi
done
(( FAILED == 0 )) || exit 3
