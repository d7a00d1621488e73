#!/usr/bin/env bash
# Minting overhead: tessera's real mint path against the raw signature it wraps.
#
# Runs the criterion benchmark benches/mint.rs (every algorithm in one run), then reads
# each benchmark's mean from target/criterion/<group>/<function>/new/estimates.json and
# prints mint / raw per algorithm, with PASS/FAIL against the target (default 1.15x).
#
# Usage: bench/mint.sh [extra criterion args, e.g. --measurement-time 5]
# Env:   TARGET_RATIO (default 1.15)
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET_RATIO="${TARGET_RATIO:-1.15}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
CRIT="$TARGET_DIR/criterion"

command -v jq >/dev/null || { echo "jq is required (apt-get install -y jq)" >&2; exit 2; }

# Only this run's figures count: drop what an earlier run left behind.
rm -rf "$CRIT"/mint_ES256 "$CRIT"/mint_RS256 "$CRIT"/mint_parts

cargo bench --bench mint -- "$@"

# Point estimate in nanoseconds of <group dir>/<function>: the mean (the verdict), or
# the statistic named by $3 (median, shown as a cross-check less swayed by outliers).
mean_ns() {
    local file="$CRIT/$1/$2/new/estimates.json"
    [[ -f "$file" ]] || { echo "missing $file" >&2; exit 1; }
    jq -r ".${3:-mean}.point_estimate" "$file"
}

fmt_us() { awk -v ns="$1" 'BEGIN { printf "%9.2f us", ns / 1000 }'; }

status=0
echo
echo "== mint / raw signature (mean), target <= ${TARGET_RATIO}x =="
printf '%-7s %-14s %-14s %-28s %-8s %s\n' alg mint raw "raw by" ratio verdict

report() { # alg mint_ns raw_ns raw_label
    local ratio verdict
    ratio=$(awk -v m="$2" -v r="$3" 'BEGIN { printf "%.3f", m / r }')
    if awk -v x="$ratio" -v t="$TARGET_RATIO" 'BEGIN { exit !(x <= t) }'; then
        verdict=PASS
    else
        verdict=FAIL
        status=1
    fi
    printf '%-7s %-14s %-14s %-28s %-8s %s\n' "$1" "$(fmt_us "$2")" "$(fmt_us "$3")" "$4" "${ratio}x" "$verdict"
}

es_mint=$(mean_ns mint_ES256 tessera)
es_raw=$(mean_ns mint_ES256 raw-ring)
report ES256 "$es_mint" "$es_raw" "ring EcdsaKeyPair::sign"

rs_mint=$(mean_ns mint_RS256 tessera)
rs_jose=$(mean_ns mint_RS256 raw-josekit)
rs_ring=$(mean_ns mint_RS256 raw-ring)
# The target is against the fastest raw signature the mandated crates offer.
if awk -v a="$rs_jose" -v b="$rs_ring" 'BEGIN { exit !(a <= b) }'; then
    report RS256 "$rs_mint" "$rs_jose" "josekit/OpenSSL (fastest)"
else
    report RS256 "$rs_mint" "$rs_ring" "ring RsaKeyPair (fastest)"
fi

echo
echo "RS256 raw signatures compared:"
printf '  josekit RS256 signer (OpenSSL): %s\n' "$(fmt_us "$rs_jose")"
printf '  ring RSA_PKCS1_SHA256:          %s\n' "$(fmt_us "$rs_ring")"
printf '  tessera mint vs josekit: %sx, vs ring: %sx\n' \
    "$(awk -v m="$rs_mint" -v r="$rs_jose" 'BEGIN { printf "%.3f", m / r }')" \
    "$(awk -v m="$rs_mint" -v r="$rs_ring" 'BEGIN { printf "%.3f", m / r }')"

printf '  mint overhead over its own signer: ES256 %s, RS256 %s\n' \
    "$(fmt_us "$(awk -v m="$es_mint" -v r="$es_raw" 'BEGIN { print m - r }')")" \
    "$(fmt_us "$(awk -v m="$rs_mint" -v r="$rs_jose" 'BEGIN { print m - r }')")"
printf '  measured alone: claims to JSON %s, claims to JSON then base64url %s\n' \
    "$(fmt_us "$(mean_ns mint_parts claims-json)")" "$(fmt_us "$(mean_ns mint_parts claims-json-base64)")"

echo
echo "Cross-check on medians: ES256 $(awk -v m="$(mean_ns mint_ES256 tessera median)" -v r="$(mean_ns mint_ES256 raw-ring median)" 'BEGIN { printf "%.3f", m / r }')x," \
    "RS256 vs josekit $(awk -v m="$(mean_ns mint_RS256 tessera median)" -v r="$(mean_ns mint_RS256 raw-josekit median)" 'BEGIN { printf "%.3f", m / r }')x"
echo "(2-core machine: another process's load during one benchmark skews its ratio; re-run if the"
echo " mean and median ratios disagree.)"

exit "$status"
