#!/usr/bin/env bash
# Core scaling (issue 17): the server pinned to W cores with taskset, wrk pinned to
# other cores, so the load generator never takes the server's CPU. For each W:
#
#   jwks     GET /.well-known/jwks.json on tessera, on bench/bare_jwks (actix-web
#            returning the same bytes) and on nginx (the same bytes as a static file)
#   cc       POST /oauth/token grant_type=client_credentials (HTTP Basic)
#   me       GET /auth/me with one admin access token
#   refresh  POST /oauth/token grant_type=refresh_token chains (bench/refresh/rotate.lua)
#            on SQLite, and tessera's resident set right after it
#
# W runs over WS ("1 2 4 8"), keeping those that leave at least one core for wrk: on
# a 2-core machine only W=1 (server on core 0, wrk on core 1). wrk gets the cores
# after the server's, at most WRK_MAX_CORES (8) of them, one wrk thread per core.
#
# Usage: bench/scaling.sh
# Env:   WS ("1 2 4 8"), CONNS (256), DURATION (10 s per measurement), WRK_MAX_CORES (8),
#        LOG_FILTER (info: the default configuration; bench/jwks_load.sh uses warn),
#        TESSERA_BIN (target/release/tessera), BARE_BIN, SKIP_BUILD=1, KEEP=1
# Needs wrk, nginx, curl, python3, taskset; builds tessera and bench/bare_jwks in release.
# Prints a table of requests/s per W and the ratios issue 17 sets targets for.
set -euo pipefail

[[ -z ${TESSERA_BIN:-} ]] || TESSERA_BIN=$(realpath "$TESSERA_BIN")
[[ -z ${BARE_BIN:-} ]] || BARE_BIN=$(realpath "$BARE_BIN")
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
WS=${WS:-"1 2 4 8"}
CONNS=${CONNS:-256}
DURATION=${DURATION:-10}
WRK_MAX_CORES=${WRK_MAX_CORES:-8}
LOG_FILTER=${LOG_FILTER:-info}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TESSERA_BIN=${TESSERA_BIN:-$TARGET_DIR/release/tessera}
BARE_BIN=${BARE_BIN:-$ROOT/bench/bare_jwks/target/release/bare-jwks}
ADMIN_EMAIL=bench-admin@example.com
ADMIN_PASSWORD='bench-password-Correct-Horse-42'

for tool in wrk nginx curl python3 taskset; do
  command -v $tool >/dev/null || { echo "$tool is missing (apt-get install -y wrk nginx curl python3 util-linux)" >&2; exit 2; }
done
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  (cd "$ROOT" && cargo build --release)
  cargo build --release --manifest-path "$ROOT/bench/bare_jwks/Cargo.toml"
fi
[[ -x $TESSERA_BIN && -x $BARE_BIN ]] || { echo "missing $TESSERA_BIN or $BARE_BIN" >&2; exit 2; }

WORK=$(mktemp -d /tmp/tessera-scaling.XXXXXX)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=bench/nginx_jwks.sh
source "$ROOT/bench/nginx_jwks.sh"

CORES=$(nproc)
(( CORES >= 2 )) || { echo "needs at least 2 cores (one for the server, one for wrk)" >&2; exit 2; }

# wrk_on W ARGS...: wrk on the cores after the server's; prints its output.
wrk_on() {
  local w=$1; shift
  local n=$(( CORES - w < WRK_MAX_CORES ? CORES - w : WRK_MAX_CORES ))
  local conns=$(( CONNS / n * n ))
  taskset -c "$w-$(( w + n - 1 ))" wrk -t"$n" -c"$conns" -d"${DURATION}s" --timeout 10s --latency "$@"
}
rps_of() { awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$1"; }
bad_of() { awk '/Non-2xx or 3xx responses:/ { n += $NF } END { print n + 0 }' <<<"$1"; }

declare -A R
# run W NAME ARGS...: one wrk measurement, kept in R[W/NAME].
run() {
  local w=$1 name=$2; shift 2
  local out; out=$(wrk_on "$w" "$@")
  echo "$out" >>"$WORK/wrk.log"
  local rps bad; rps=$(rps_of "$out"); bad=$(bad_of "$out")
  if [[ $name == refresh ]]; then
    rps=$(field rps "$(grep '^ROTATE ' <<<"$out")"); rps=${rps%.*}
    bad=$(field non200 "$(grep '^ROTATE ' <<<"$out")")
  fi
  (( bad == 0 )) || echo "W=$w $name: $bad answers were not 2xx" >&2
  R[$w/$name]=$rps
  log "W=$w $name: $rps/s"
}

start_tessera() { # W -> T_PID T_URL
  local w=$1 port mport
  port=$(free_port); mport=$(free_port); T_URL=http://127.0.0.1:$port
  mkdir -p "$WORK/tessera-$w"
  (cd "$WORK/tessera-$w" && exec env \
      TESSERA__SERVER__LISTEN=127.0.0.1:$port \
      TESSERA__SERVER__METRICS_LISTEN=127.0.0.1:$mport \
      TESSERA__SERVER__WORKERS="$w" \
      TESSERA__ISSUER="$T_URL" \
      TESSERA__LOG__FILTER="$LOG_FILTER" \
      TESSERA__COOKIES__SECURE=false \
      TESSERA__BOOTSTRAP__ADMIN_EMAIL=$ADMIN_EMAIL \
      TESSERA__BOOTSTRAP__ADMIN_PASSWORD=$ADMIN_PASSWORD \
      taskset -c "0-$(( w - 1 ))" "$TESSERA_BIN" serve) >"$WORK/tessera-$w.log" 2>&1 &
  T_PID=$!; PIDS+=("$T_PID")
  wait_http "$T_URL/readyz" 60 || { tail -20 "$WORK/tessera-$w.log" >&2; exit 1; }
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

password_token() { # url -> the token response of a password grant
  curl -fsS --data-urlencode grant_type=password --data-urlencode "username=$ADMIN_EMAIL" \
    --data-urlencode "password=$ADMIN_PASSWORD" "$1/oauth/token"
}

measure_tessera() { # W
  local w=$1 access client id secret basic
  start_tessera "$w"
  curl -fsS -o "$WORK/jwks.json" "$T_URL/.well-known/jwks.json"
  run "$w" jwks "$T_URL/.well-known/jwks.json"

  access=$(password_token "$T_URL" | json_field access_token)
  client=$(curl -fsS -H "Authorization: Bearer $access" -H 'Content-Type: application/json' \
    -d '{"name":"bench","scopes":[],"grant_types":["client_credentials"]}' "$T_URL/admin/clients")
  id=$(json_field client_id <<<"$client"); secret=$(json_field client_secret <<<"$client")
  basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
  cat >"$WORK/cc.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
LUA
  run "$w" cc -s "$WORK/cc.lua" "$T_URL/oauth/token"
  run "$w" me -H "Authorization: Bearer $access" "$T_URL/auth/me"

  # One refresh chain per connection, each from its own login.
  local n=$(( CORES - w < WRK_MAX_CORES ? CORES - w : WRK_MAX_CORES ))
  local conns=$(( CONNS / n * n )) tokens=$WORK/tokens-$w.txt
  mkdir -p "$WORK/logins-$w"
  seq "$conns" | xargs -P 4 -I{} curl -fsS -o "$WORK/logins-$w/{}.json" \
    --data-urlencode grant_type=password --data-urlencode "username=$ADMIN_EMAIL" \
    --data-urlencode "password=$ADMIN_PASSWORD" "$T_URL/oauth/token"
  python3 -c 'import json,sys; [print(json.load(open(p))["refresh_token"]) for p in sys.argv[1:]]' \
    "$WORK/logins-$w"/*.json >"$tokens"
  TOKENS_FILE=$tokens WRK_THREADS=$n run "$w" refresh -s "$BENCH_DIR/refresh/rotate.lua" "$T_URL"
  R[$w/rss]=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$T_PID/status")
  stop_pid "$T_PID"
}

measure_bare() { # W
  local w=$1 port; port=$(free_port)
  taskset -c "0-$(( w - 1 ))" "$BARE_BIN" "$WORK/jwks.json" "127.0.0.1:$port" "$w" >"$WORK/bare.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/.well-known/jwks.json" 30
  run "$w" bare "http://127.0.0.1:$port/.well-known/jwks.json"
  stop_pid "$pid"
}

measure_nginx() { # W
  local w=$1 port; port=$(free_port)
  local dir=$WORK/nginx-$w; mkdir -p "$dir/logs" "$dir/tmp" "$dir/www"
  cp "$WORK/jwks.json" "$dir/www/jwks.json"; chmod 755 "$WORK" "$dir" "$dir/www"; chmod 644 "$dir/www/jwks.json"
  nginx_jwks_conf "$dir" "$port" "$w" "$dir/www/jwks.json" >"$dir/nginx.conf"
  taskset -c "0-$(( w - 1 ))" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >"$dir/logs/out.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/.well-known/jwks.json" 30
  run "$w" nginx "http://127.0.0.1:$port/.well-known/jwks.json"
  stop_pid "$pid"
}

RUN_WS=()
for w in $WS; do (( w < CORES )) && RUN_WS+=("$w"); done
(( ${#RUN_WS[@]} )) || { echo "no W in '$WS' leaves a core for wrk on $CORES cores" >&2; exit 2; }
log "$CORES cores; W = ${RUN_WS[*]}; $CONNS connections, ${DURATION}s per measurement, log filter $LOG_FILTER"
for w in "${RUN_WS[@]}"; do
  measure_tessera "$w"
  measure_bare "$w"
  measure_nginx "$w"
done

ratio() { python3 -c "import sys; a, b = float(sys.argv[1] or 0), float(sys.argv[2] or 0); print(f'{a / b:.2f}' if b else '-')" "$1" "$2"; }
echo
echo "requests/s, server on W cores, wrk on up to $WRK_MAX_CORES others, $CONNS connections, ${DURATION}s each ($(date -u +%F), $(nproc) cores, log filter $LOG_FILTER)"
echo
echo "| W | JWKS tessera | bare actix | nginx | tessera/bare | tessera/nginx | client_credentials | cc/JWKS | /auth/me | refresh (SQLite) | RSS after refresh (MB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for w in "${RUN_WS[@]}"; do
  echo "| $w | ${R[$w/jwks]} | ${R[$w/bare]} | ${R[$w/nginx]} | $(ratio "${R[$w/jwks]}" "${R[$w/bare]}") | $(ratio "${R[$w/jwks]}" "${R[$w/nginx]}") | ${R[$w/cc]} | $(ratio "${R[$w/cc]}" "${R[$w/jwks]}") | ${R[$w/me]} | ${R[$w/refresh]} | ${R[$w/rss]} |"
done
if [[ -n ${R[2/cc]:-} ]]; then
  echo
  echo "client_credentials W=2 / W=1: $(ratio "${R[2/cc]}" "${R[1/cc]}") (target >= 1.8)"
fi
echo
echo "targets (issue 17): tessera/bare >= 0.90 at W = 1 and 2; cc/JWKS >= 0.35; RSS after refresh < 64 MB"
