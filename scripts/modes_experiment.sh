#!/usr/bin/env bash
# The 2D-mixture experiments of VEEGAN's, Unrolled GAN's and the 0-GP paper's tables: each arm
# trained with the same seeds and budget, then the modes it covers and its share of
# high-quality samples (within 3 standard deviations of a mode), measured on 2,500 samples of the
# final generator (`evaluate { modes }` in the models).
#
#   scripts/modes_experiment.sh ring|grid [STEPS] [SEEDS...]   (defaults: 10000 steps, seeds 1 2 3)
#
#   ring: 8-Gaussian ring, a plain GAN against Unrolled GAN with 5 and 10 look-ahead steps
#         (`ring_unrolled.gan`, its `unroll: 5` changed to 10 for the third arm).
#   grid: 25-Gaussian grid, a plain GAN against 1-GP (WGAN-GP's penalty) and 0-GP.
#
# Prints one row per arm and seed, then each arm's mean and spread (min-max), as Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
experiment="${1:?usage: scripts/modes_experiment.sh ring|grid [STEPS] [SEEDS...]}"
steps="${2:-10000}"
shift $(( $# < 2 ? $# : 2 ))
seeds=("${@:-1 2 3}")
seeds=(${seeds[*]})
# Each arm: its name, its model, and a sed expression applied to the model's text.
case "$experiment" in
    ring) arms=("ring_vanilla models/ring_vanilla.gan" "ring_unrolled_5 models/ring_unrolled.gan"
                "ring_unrolled_10 models/ring_unrolled.gan s/unroll:\s*5/unroll: 10/") ;;
    grid) arms=("grid_vanilla models/grid_vanilla.gan" "grid_1gp models/grid_1gp.gan" "grid_0gp models/grid_0gp.gan") ;;
    *) echo "unknown experiment '$experiment' (help: ring or grid)" >&2; exit 2 ;;
esac
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganc-target}"
cargo build -q --release -p ganc
ganc="$CARGO_TARGET_DIR/release/ganc"
out="runs/$experiment-experiment"
mkdir -p "$out"
summary="$out/summary.txt"
rm -f "$summary"

echo "| arm | seed | modes | high-quality samples | steps/s |"
echo "| --- | ---: | ---: | ---: | ---: |"
for arm in "${arms[@]}"; do
    read -r name model edit <<< "$arm"
    file="$out/$name.gan"
    sed -e "${edit:-}" "$model" > "$file"
    for seed in "${seeds[@]}"; do
        run="$out/$name-seed$seed"
        rm -rf "$run"
        start=$(date +%s.%N)
        "$ganc" train "$file" --steps "$steps" --seed "$seed" --out "$run" > "$run.log" 2>&1
        rate=$(awk -v s="$start" -v e="$(date +%s.%N)" -v n="$steps" 'BEGIN { printf "%.0f", n / (e - s) }')
        IFS=, read -r _ modes _ hq <<< "$(tail -n 1 "$run/evaluate.csv")"
        awk -v m="$name" -v s="$seed" -v n="$modes" -v q="$hq" -v r="$rate" \
            'BEGIN { printf "| %s | %s | %s | %.1f%% | %s |\n", m, s, n, 100 * q, r }'
        echo "$name $modes $hq" >> "$summary"
    done
done
echo
echo "| arm | modes: mean (min-max) | high-quality: mean (min-max) |"
echo "| --- | ---: | ---: |"
for arm in "${arms[@]}"; do
    read -r name _ <<< "$arm"
    awk -v m="$name" '$1 == m {
        n++; modes += $2; hq += $3
        if (n == 1 || $2 < lo) lo = $2; if (n == 1 || $2 > hi) hi = $2
        if (n == 1 || $3 < qlo) qlo = $3; if (n == 1 || $3 > qhi) qhi = $3
    } END { printf "| %s | %.1f (%d-%d) | %.1f%% (%.1f-%.1f) |\n", m, modes / n, lo, hi, 100 * hq / n, 100 * qlo, 100 * qhi }' "$summary"
done
rm -f "$summary"
