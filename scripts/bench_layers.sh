#!/usr/bin/env bash
# The per-layer table side by side: `cargo bench -p ganc --bench layers` (ganc's fused flex
# kernels and burn's generic operations), the same bench built with `--features onednn` when
# Debian's libdnnl-dev is installed (oneDNN's convolutions; the other layers are ganc's either
# way), and `scripts/bench_layers.py` (PyTorch, 2 threads), at the DCGAN's shapes, batch 64,
# milliseconds. A benchmark, not a test. Needs `pip install torch`.
#
#   scripts/bench_layers.sh [REPS]      (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganc-target}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo bench -q -p ganc --bench layers -- "$reps" > "$tmp/ganc.md"
if [ -f /usr/include/oneapi/dnnl/dnnl.hpp ]; then
    OMP_WAIT_POLICY=passive cargo bench -q -p ganc --features onednn --bench layers -- "$reps" > "$tmp/onednn.md"
else
    cp "$tmp/ganc.md" "$tmp/onednn.md"
fi
python3 scripts/bench_layers.py "$reps" --threads 2 2> /dev/null > "$tmp/torch.md"
# Rows match by layer and pass; the oneDNN and PyTorch columns join on the right.
awk -F'|' 'FILENAME ~ /torch/ { if (FNR > 2) torch[$2 "|" $3] = $4; next }
    FILENAME ~ /onednn/ { if (FNR > 2) onednn[$2 "|" $3] = $4; next }
    FNR == 1 { print "| layer (batch 64) | pass | ganc ms | with oneDNN ms | burn ms | PyTorch ms |"; next }
    FNR == 2 { print "| --- | --- | ---: | ---: | ---: | ---: |"; next }
    { printf "|%s|%s|%s|%s|%s|%s|\n", $2, $3, $4, onednn[$2 "|" $3], $5, torch[$2 "|" $3] }' \
    "$tmp/torch.md" "$tmp/onednn.md" "$tmp/ganc.md"
