# Shared by the refresh benchmarks (bench/refresh/run.sh, bench/refresh_junk/run.sh):
# process bookkeeping and cleanup, ports, waiting for HTTP, reading wrk's summary lines.
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
