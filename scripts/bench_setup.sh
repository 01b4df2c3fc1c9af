# Sourced by the side-by-side benchmarks: from the repository root, the data directory, the
# PyTorch anchor, a release build of ganc (`$ganc`) and a temporary directory (`$tmp`) removed
# on exit.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data="${GANC_DATA_DIR:-../shared/data}"
anchor="../shared/anchors/torch_dcgan.py"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganc-target}"
cargo build -q --release -p ganc
ganc="$CARGO_TARGET_DIR/release/ganc"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
