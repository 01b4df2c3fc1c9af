#!/usr/bin/env bash
# The architecture catalogue on Fashion-MNIST: each model trained for the same number of steps
# at the same batch size with the release binary, one after the other, 64 samples of its final generator drawn to
# docs/grids/ (for progressive models also the last training grid of every resolution) and its speed printed as a Markdown row.
#
#   scripts/architectures.sh [STEPS] [BATCH] [MODEL...]   (defaults: 300 steps, batch 32, the models below)
#
# Needs the Fashion-MNIST IDX files under ../shared/data/fashion-mnist/ (or GANC_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-300}"
batch="${2:-32}"
shift 2 || shift $# || true
models=("${@}")
if [ ${#models[@]} -eq 0 ]; then
    models=(sngan_fashion sagan_fashion biggan_fashion stylegan_fashion pggan_fashion)
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganc-target}"
cargo build -q --release -p ganc
ganc="$CARGO_TARGET_DIR/release/ganc"
data="${GANC_DATA_DIR:-../shared/data}"
out="runs/architectures"
mkdir -p "$out" docs/grids

echo "| model | steps | batch | wall time | steps/s | grid |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
for model in "${models[@]}"; do
    run="$out/$model"
    rm -rf "$run"
    start=$(date +%s.%N)
    "$ganc" train "models/$model.gan" --steps "$steps" --batch "$batch" --out "$run" --data-dir "$data" > "$run.log" 2>&1
    end=$(date +%s.%N)
    # The final generator itself (not its EMA copy, which lags by ~1/(1 - decay) steps, a third
    # of these short runs): a row per class for a conditional one.
    "$ganc" sample "$run" -n 64 --no-ema -o "docs/grids/$model.png" > /dev/null
    # Progressive runs name their grids by resolution: keep the last one of each.
    for res in $(ls "$run/samples/" | sed -n 's/^step_[0-9]*_r\([0-9]*\)_.*/\1/p' | sort -un); do
        cp "$(ls "$run/samples/"step_*_r"$res"_*.png | sort | tail -n 1)" "docs/grids/${model}_r$res.png"
    done
    awk -v m="$model" -v n="$steps" -v b="$batch" -v s="$start" -v e="$end" \
        'BEGIN { t = e - s; printf "| `%s` | %d | %d | %d min %02d s | %.2f | ![](docs/grids/%s.png) |\n", m, n, b, t / 60, t % 60, n / t, m }'
done
