#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time, one after another, and
# fails if any of them finds a crash (panic, sanitizer report, leak, timeout, OOM).
#
#   bash scripts/fuzz.sh              # 60 s per target
#   bash scripts/fuzz.sh 300          # 300 s per target (or FUZZ_SECONDS=300)
#   FUZZ_TARGETS="refresh_token_parse" bash scripts/fuzz.sh 30
#
# Toolchain: the nightly toolchain with AddressSanitizer when `cargo +nightly` works
# (what cargo-fuzz is made for); otherwise stable with `--sanitizer none`, which
# needs no unstable flag (panics, timeouts and allocation limits are still caught;
# only the C dependencies lose AddressSanitizer's checks).
# Each target reads the committed seeds in fuzz/seeds/<target> and grows its own
# corpus in fuzz/corpus/<target> (not committed). A crashing input lands in
# fuzz/artifacts/<target>/; copy it to fuzz/seeds/<target>/regression-* once fixed.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-${FUZZ_SECONDS:-60}}"
read -r -a targets <<<"${FUZZ_TARGETS:-verify_access_token refresh_token_parse config_duration}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds per target]" >&2; exit 2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

if cargo +nightly --version >/dev/null 2>&1; then
  toolchain=(+nightly)
  sanitizer=address
else
  toolchain=()
  sanitizer=none
fi
build_flags=(--sanitizer "$sanitizer")

# Longest input per target: the verifier's limit is 8 KiB, so a little past it
# reaches the size check; refresh tokens are 51 characters (43 in the earlier form);
# config values are short.
max_len() {
  case "$1" in
    verify_access_token) echo 12288 ;;
    refresh_token_parse) echo 256 ;;
    *) echo 4096 ;;
  esac
}

dict() {
  case "$1" in
    verify_access_token) echo "-dict=dicts/token.dict" ;;
    config_duration) echo "-dict=dicts/config.dict" ;;
  esac
}

echo "== building the fuzz targets (cargo ${toolchain[*]:-} fuzz, sanitizer $sanitizer)"
cargo "${toolchain[@]}" fuzz build "${build_flags[@]}"

# The verifier's fixture: keys made on this machine (never committed) and tokens
# tessera mints with them, which seed the verifier target.
if [[ ! -s fixtures/keys.json || ! -d fixtures/seeds ]]; then
  echo "== making this machine's fuzzing keys (once) and minting seed tokens"
  cargo "${toolchain[@]}" run --quiet --example gen_fixtures
fi
extra_seeds() { [[ $1 != verify_access_token ]] || echo fixtures/seeds; }

logs=target/fuzz-logs
mkdir -p "$logs"
failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  log="$logs/$target.log"
  echo "== fuzzing $target for ${seconds}s (log: fuzz/$log)"
  # -malloc_limit_mb: any single allocation over 512 MiB counts as a crash
  # (unbounded allocation); -rss_limit_mb bounds the whole process.
  if cargo "${toolchain[@]}" fuzz run "${build_flags[@]}" "$target" \
      "corpus/$target" "seeds/$target" $(extra_seeds "$target") -- \
      -max_total_time="$seconds" -max_len="$(max_len "$target")" \
      -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
      -print_final_stats=1 $(dict "$target") >"$log" 2>&1; then
    verdict=ok
  else
    verdict=CRASH
    failed+=("$target")
    tail -n 40 "$log"
  fi
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -n 1)
  rss=$(sed -n 's/^stat::peak_rss_mb:[[:space:]]*//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$done_line" || true)
  summary+=("$(printf '%-22s %-6s execs=%-10s exec/s=%-7s %s peak_rss_mb=%s' \
    "$target" "$verdict" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "${rss:-?}")")
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
echo "${#targets[@]} passed, 0 failed"
