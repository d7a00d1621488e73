#!/usr/bin/env bash
# What CI can check of the container image without pulling a base image:
# 1. the builder stage's exact inputs (the Dockerfile's COPY lines) build in an empty
#    folder with the stage's own command, so a file the manifest needs is never left out;
# 2. the runtime stage's promise: the binary serves as uid 10001 from a state folder laid
#    out as the image lays out /var/lib/tessera, writing nothing outside it.
# Uses the repository's target/ for the build, so only the tessera crate is compiled
# when the release profile was built before.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

work=$(mktemp -d /tmp/tessera-image.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v setpriv >/dev/null || { echo "check-image: setpriv (util-linux) is missing" >&2; exit 1; }

# 1. The builder stage: every COPY source of that stage, then its RUN command.
mkdir -p "$work/src-tree"
sources=$(awk '/^FROM .* AS builder/{b=1; next} /^FROM /{b=0} b && /^COPY /{for (i = 2; i < NF; i++) print $i}' Dockerfile)
[ -n "$sources" ] || { echo "check-image: no COPY lines found in the builder stage" >&2; exit 1; }
for source in $sources; do
  cp -r "$source" "$work/src-tree/"
done
command=$(grep -oE 'cargo build --release --locked' Dockerfile | head -n 1)
[ -n "$command" ] || { echo "check-image: the builder stage's cargo command changed; update this script" >&2; exit 1; }
echo "== check-image: builder inputs ($(echo $sources | tr '\n' ' ')) with: $command"
(cd "$work/src-tree" && CARGO_TARGET_DIR="$ROOT/target" $command)
binary="$work/tessera"
install -m 0755 "$ROOT/target/release/tessera" "$binary"

# 2. The runtime stage: /var/lib/tessera as the image makes it, uid and gid 10001.
state="$work/var-lib-tessera"
mkdir -p "$state/data" "$state/keys"
chown -R 10001:10001 "$state"
chmod 0750 "$state" "$state/data"
chmod 0700 "$state/keys"
chmod 0755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
touch "$work/started"
(cd "$state" && exec setpriv --reuid 10001 --regid 10001 --clear-groups \
  env -i TESSERA__SERVER__LISTEN="127.0.0.1:$port" TESSERA__SERVER__METRICS_LISTEN="127.0.0.1:$mport" \
  "$binary" serve) >"$work/server.log" 2>&1 &
pid=$!
ready=""
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "check-image: tessera did not become ready as uid 10001; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
owner=$(stat -c %u "$state/data/tessera.db")
[ "$owner" = 10001 ] || { echo "check-image: the database belongs to uid $owner, not 10001" >&2; exit 1; }
[ -s "$state/keys/kek" ] || { echo "check-image: no KEK was created under keys/" >&2; exit 1; }
# Nothing written in the work folder outside the state folder but this script's own files.
stray=$(find "$work" -newer "$work/started" -not -path "$state*" -not -name server.log -not -path "$work")
[ -z "$stray" ] || { echo "check-image: written outside the state folder: $stray" >&2; exit 1; }
echo "check-image: 2 passed, 0 failed"
