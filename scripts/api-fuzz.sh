#!/usr/bin/env bash
# API fuzzing: schemathesis generates requests from /openapi.json against the release
# binary on a fresh SQLite database and fails on any 5xx or any answer the document
# does not describe (status, content type, headers, body schema).
#
#   bash scripts/api-fuzz.sh                      # 50 examples per operation
#   API_FUZZ_MAX_EXAMPLES=500 bash scripts/api-fuzz.sh
#   bash scripts/api-fuzz.sh --seed 1234 --include-path /auth/login   # any `schemathesis run` flag
#
# With CI=true the seed is fixed (API_FUZZ_SEED, default 1), so a red run can be
# replayed; by hand each run draws a new seed and prints it.
# API_FUZZ_PROFILE=dev fuzzes the debug binary instead of the release one: no second
# build after `cargo test`, and overflow checks on.
set -euo pipefail
cd "$(dirname "$0")/.."

max_examples="${API_FUZZ_MAX_EXAMPLES:-50}"
profile="${API_FUZZ_PROFILE:-release}"
seed="${API_FUZZ_SEED:-}"
if [ -z "$seed" ] && [ "${CI:-}" = "true" ]; then seed=1; fi
[ -n "$seed" ] || seed=$(python3 -c 'import random; print(random.randrange(1, 2**31))')

state_dir="target/api-fuzz"
venv="$state_dir/venv"
requirements="scripts/api-fuzz/requirements.txt"
mkdir -p "$state_dir"

echo "== api-fuzz: building the $profile binary"
case "$profile" in
  release) cargo build --release --quiet; binary="target/release/tessera" ;;
  dev) cargo build --quiet; binary="target/debug/tessera" ;;
  *) echo "API_FUZZ_PROFILE must be release or dev" >&2; exit 2 ;;
esac

# The venv is reused while the pinned requirements are unchanged.
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "== api-fuzz: installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" >"$stamp"
fi

work=$(mktemp -d)
server_pid=""
fuzzer_pid=""
tail_pid=""
cleanup() {
  for pid in $fuzzer_pid $tail_pid $server_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
metrics_port=$(free_port)
base="http://127.0.0.1:$port"
admin_email="fuzz-admin@example.com"
admin_password=$(head -c 24 /dev/urandom | base64)

echo "== api-fuzz: starting tessera on $base (database in $work)"
# A 2-second JWKS max-age lets a `next` key sign after 2 s, so admin rotations are
# answered 200 as well as 409 rotation_too_early within a short run.
env TESSERA__SERVER__LISTEN="127.0.0.1:$port" \
  TESSERA__SERVER__METRICS_LISTEN="127.0.0.1:$metrics_port" \
  TESSERA__DATABASE__URL="sqlite://$work/tessera.db" \
  TESSERA__KEYS__KEK="$(head -c 32 /dev/urandom | base64)" \
  TESSERA__COOKIES__SECURE=false \
  TESSERA__KEYS__JWKS_MAX_AGE=2s \
  TESSERA__BOOTSTRAP__ADMIN_EMAIL="$admin_email" \
  TESSERA__BOOTSTRAP__ADMIN_PASSWORD="$admin_password" \
  TESSERA__LOG__FILTER="${API_FUZZ_LOG_FILTER:-warn}" \
  "$binary" >"$work/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 60); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if curl -fsS "$base/readyz" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "api-fuzz: tessera did not become ready; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# An OAuth client for the operations that take HTTP Basic.
login=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" "$base/auth/login")
bearer=$(field access_token <<<"$login")
client=$(curl -fsS -H "authorization: Bearer $bearer" -H 'content-type: application/json' \
  -d '{"name":"api-fuzz","scopes":["read","write"],"introspection":true,"grant_types":["password","refresh_token","client_credentials"]}' "$base/admin/clients")
API_FUZZ_CLIENT_ID=$(field client_id <<<"$client")
API_FUZZ_CLIENT_SECRET=$(field client_secret <<<"$client")
export API_FUZZ_CLIENT_ID API_FUZZ_CLIENT_SECRET
# For hooks.py, which supplies (and renews) the admin's bearer token.
export API_FUZZ_PORT="$port" API_FUZZ_ADMIN_EMAIL="$admin_email" API_FUZZ_ADMIN_PASSWORD="$admin_password"
export SCHEMATHESIS_HOOKS="scripts/api-fuzz/hooks.py"
export API_FUZZ_STATE="$PWD/$state_dir"
# Hypothesis's files and Python's bytecode stay out of the work tree.
export HYPOTHESIS_STORAGE_DIRECTORY="$API_FUZZ_STATE/hypothesis" PYTHONDONTWRITEBYTECODE=1

echo "== api-fuzz: schemathesis $("$venv/bin/schemathesis" --version | awk '{print $NF}'), $max_examples examples per operation, seed $seed"
# In the background, so a signal to this script runs the cleanup at once; its output
# goes to a file too, for the closing count.
"$venv/bin/schemathesis" --config-file scripts/api-fuzz/schemathesis.toml run "$base/openapi.json" \
  --checks all \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --generation-database "$API_FUZZ_STATE/hypothesis/examples" \
  --workers 2 \
  --no-color \
  "$@" >"$work/fuzz.log" 2>&1 &
fuzzer_pid=$!
tail -n +1 -f --pid="$fuzzer_pid" "$work/fuzz.log" &
tail_pid=$!
status=0
wait "$fuzzer_pid" || status=$?
wait "$tail_pid" || true

# actix-http logs a request it cannot parse (a NUL byte in a header, ...) at ERROR and
# answers it 400 itself: that is the client's fault, not a server error.
errors=$(grep -E 'panicked|ERROR' "$work/server.log" | grep -v 'actix_http::h1::dispatcher.*request parse error' || true)
if [ -n "$errors" ]; then
  echo "api-fuzz: the server logged errors:" >&2
  head -n 20 <<<"$errors" >&2
  status=1
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "api-fuzz: the server died during the run; its log:" >&2
  tail -n 50 "$work/server.log" >&2
  status=1
fi
# One plain "N passed, N failed" line: test cases that passed, distinct failures found.
python3 - "$work/fuzz.log" "$status" <<'PY'
import re, sys
text, status = open(sys.argv[1], errors="replace").read(), int(sys.argv[2])
counts = re.search(r"^\s*(\d+) generated, (?:(\d+) found (\d+) unique failures|(\d+) passed)", text, re.M)
if counts is None:
    passed, failed = 0, int(status != 0)
elif counts.group(4) is not None:
    passed, failed = int(counts.group(4)), int(status != 0)
else:
    passed, failed = int(counts.group(1)) - int(counts.group(2)), int(counts.group(3))
print(f"api-fuzz: {passed} passed, {failed} failed")
PY
exit "$status"
