#!/usr/bin/env bash
# The per-layer table side by side: `cargo bench -p ganc --bench layers` (ganc's fused flex
# kernels and burn's generic operations) and `scripts/bench_layers.py` (PyTorch, 2 threads), at
# the DCGAN's shapes, batch 64, milliseconds. A benchmark, not a test. Needs `pip install torch`.
#
#   scripts/bench_layers.sh [REPS]      (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganc-target}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo bench -q -p ganc --bench layers -- "$reps" > "$tmp/ganc.md"
python3 scripts/bench_layers.py "$reps" --threads 2 2> /dev/null > "$tmp/torch.md"
# Rows match by layer and pass; the PyTorch column joins on the right.
awk -F'|' 'NR == FNR { if (FNR > 2) torch[$2 "|" $3] = $4; next }
    FNR == 1 { print "| layer (batch 64) | pass | ganc ms | burn ms | PyTorch ms |"; next }
    FNR == 2 { print "| --- | --- | ---: | ---: | ---: |"; next }
    { printf "|%s|%s|%s|%s|%s|\n", $2, $3, $4, $5, torch[$2 "|" $3] }' "$tmp/torch.md" "$tmp/ganc.md"
