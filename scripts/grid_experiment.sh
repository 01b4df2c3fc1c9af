#!/usr/bin/env bash
# The grid experiment of VEEGAN's and the 0-GP paper's tables: a plain GAN, 1-GP and 0-GP on the
# 25-Gaussian grid, each trained with the same seeds and budget, then the modes each covers and
# its share of high-quality samples (within 3 standard deviations of a mode), measured on 2,500
# samples of the final generator (`evaluate { modes }` in the models).
#
#   scripts/grid_experiment.sh [STEPS] [SEEDS...]      (defaults: 10000 steps, seeds 1 2 3)
#
# Prints one row per model and seed, then the mean of each model, as a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-10000}"
shift || true
seeds=("${@:-1 2 3}")
seeds=(${seeds[*]})
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganc-target}"
cargo build -q -p ganc
ganc="$CARGO_TARGET_DIR/debug/ganc"
out="runs/grid-experiment"
mkdir -p "$out"
rm -f "$out/summary.txt"

echo "| model | seed | modes (of 25) | high-quality samples |"
echo "| --- | ---: | ---: | ---: |"
for model in grid_vanilla grid_1gp grid_0gp; do
    for seed in "${seeds[@]}"; do
        run="$out/$model-seed$seed"
        rm -rf "$run"
        "$ganc" train "models/$model.gan" --steps "$steps" --seed "$seed" --out "$run" > "$run.log" 2>&1
        last=$(tail -n 1 "$run/evaluate.csv")
        IFS=, read -r _ modes _ hq <<< "$last"
        awk -v m="$model" -v s="$seed" -v n="$modes" -v q="$hq" 'BEGIN { printf "| %s | %s | %s | %.1f%% |\n", m, s, n, 100 * q }'
        echo "$model $modes $hq" >> "$out/summary.txt"
    done
done
echo
echo "| model | mean modes | mean high-quality |"
echo "| --- | ---: | ---: |"
for model in grid_vanilla grid_1gp grid_0gp; do
    awk -v m="$model" '$1 == m { n++; modes += $2; hq += $3 } END { printf "| %s | %.1f | %.1f%% |\n", m, modes / n, 100 * hq / n }' "$out/summary.txt"
done
rm -f "$out/summary.txt"
