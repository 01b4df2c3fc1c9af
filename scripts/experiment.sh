# Shared by the experiment scripts, which start with
#   source "$(dirname "$0")/experiment.sh" NAME DEFAULT_STEPS "$@"
# Reads `[STEPS] [SEEDS...]` into $steps and the array $seeds (default seeds 1 2 3), builds the
# release ganc into $ganc (or takes $GANC_BIN), makes runs/NAME-experiment as $out with an
# empty $summary, and defines `train_once`. Needs the data under $GANC_DATA_DIR (default ../shared/data).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps="${3:-$2}"
out="runs/$1-experiment"
shift 2
shift $(( $# < 1 ? $# : 1 ))
seeds=("${@:-1 2 3}")
seeds=(${seeds[*]})
export GANC_DATA_DIR="${GANC_DATA_DIR:-../shared/data}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganc-target}"
# GANC_BIN names a ganc binary to use instead (a copy keeps a long experiment off later builds).
ganc="${GANC_BIN:-$CARGO_TARGET_DIR/release/ganc}"
[ -n "${GANC_BIN:-}" ] || cargo build -q --release -p ganc
mkdir -p "$out"
summary="$out/summary.txt"
rm -f "$summary"

# train_once MODEL STEPS SEED RUN: trains MODEL into RUN (its log in RUN.log), unless RUN holds
# a checkpoint of STEPS steps already.
train_once() {
    local trained
    trained=$(sed -n 's/.*"step": *\([0-9]*\).*/\1/p' "$4/checkpoint/state.json" 2>/dev/null || true)
    if [ "$trained" != "$2" ]; then
        rm -rf "$4"
        "$ganc" train "$1" --steps "$2" --seed "$3" --out "$4" > "$4.log" 2>&1
    fi
}
