# Shared by the benchmarks that drive the release binary over HTTP (bench/refresh,
# bench/refresh_junk, bench/codeflow): process bookkeeping and cleanup, ports, waiting
# for HTTP, starting tessera, seeding refresh tokens, reading wrk's summary lines.
# The caller sets WORK, PG_ADMIN_URL and PG_DB before sourcing, and appends the pid of
# every process it starts to PIDS; setting PG_CREATED=1 has the database dropped on exit.

PIDS=()
PG_CREATED=0

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]:-}"; do
    [[ -n $pid ]] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if (( PG_CREATED )); then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [[ ${KEEP:-0} == 1 || $rc -ne 0 && $rc -ne 3 ]]; then
    echo "work dir kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # url seconds
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "timed out waiting for $url" >&2; return 1; }
    sleep 0.2
  done
}

# field NAME LINE -> value of NAME=... in a "KEY a=1 b=2" line
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }

# start_tessera NAME DB_URL: `tessera serve` on free loopback ports, in $WORK/NAME, with
# the caller's TESSERA_BIN, WORKERS, POOL, ADMIN_EMAIL and ADMIN_PASSWORD, prefixed by
# the SERVER_PIN command array when the caller set one (taskset), and any TESSERA_ENV
# entries (NAME=value) the caller added. Sets T_PID, T_URL and T_METRICS.
start_tessera() {
  local name=$1 db_url=$2 port mport
  port=$(free_port); mport=$(free_port)
  T_URL=http://127.0.0.1:$port
  T_METRICS=http://127.0.0.1:$mport
  mkdir -p "$WORK/$name"
  (cd "$WORK/$name" && exec env \
      TESSERA__SERVER__LISTEN=127.0.0.1:$port \
      TESSERA__SERVER__METRICS_LISTEN=127.0.0.1:$mport \
      TESSERA__SERVER__WORKERS=$WORKERS \
      TESSERA__ISSUER=http://127.0.0.1:$port \
      TESSERA__DATABASE__URL=$db_url \
      TESSERA__DATABASE__MAX_CONNECTIONS=$POOL \
      TESSERA__KEYS__KEK="$(head -c 32 /dev/urandom | base64 -w0)" \
      TESSERA__COOKIES__SECURE=false \
      TESSERA__BOOTSTRAP__ADMIN_EMAIL=$ADMIN_EMAIL \
      TESSERA__BOOTSTRAP__ADMIN_PASSWORD=$ADMIN_PASSWORD \
      "${TESSERA_ENV[@]}" \
      "${SERVER_PIN[@]}" "$TESSERA_BIN" serve) >"$WORK/$name.log" 2>&1 &
  T_PID=$!
  PIDS+=("$T_PID")
  wait_http "$T_URL/readyz" 120 || { tail -20 "$WORK/$name.log" >&2; return 1; }
}
TESSERA_ENV=()
SERVER_PIN=()

# seed_refresh URL FILE: CONNS first-party password logins as the bootstrap admin, one
# refresh token per line of FILE, for rotate.lua's chains.
seed_refresh() {
  local url=$1 file=$2 n
  : >"$file"
  seq "$CONNS" | xargs -P 4 -I{} curl -fsS --max-time 60 \
      --data-urlencode grant_type=password \
      --data-urlencode "username=$ADMIN_EMAIL" \
      --data-urlencode "password=$ADMIN_PASSWORD" \
      "$url/oauth/token" -o "$file.{}"
  for i in $(seq "$CONNS"); do
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["refresh_token"])' "$file.$i" >>"$file"
    rm -f "$file.$i"
  done
  n=$(wc -l <"$file")
  (( n == CONNS )) || { echo "seeded $n refresh tokens, wanted $CONNS" >&2; return 1; }
}
