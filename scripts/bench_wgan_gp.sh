#!/usr/bin/env bash
# WGAN-GP speed side by side: `models/wgan_gp_mnist.gan` against the PyTorch anchor
# (`../shared/anchors/torch_dcgan.py --loss wgan-gp`, the same critic, 5 critic updates per step,
# batch 64), each with and without its gradient penalty, one after the other. A benchmark, not a
# test: run it on an otherwise idle machine. Needs `pip install torch`.
#
#   scripts/bench_wgan_gp.sh [STEPS]      (default 30; PyTorch leaves the first 5 untimed)
set -euo pipefail
steps="${1:-30}"
source "$(dirname "$0")/bench_setup.sh"
# The same model without its `regularize D { ... }` section: a plain WGAN critic step.
awk '/^regularize D/ { skip = 1 } !skip { print } skip && /^}/ { skip = 0 }' models/wgan_gp_mnist.gan > "$tmp/plain.gan"

ganc_rate() { # model -> steps/s over all steps (the last row of metrics.csv averages since the last log)
    "$ganc" train "$1" --steps "$steps" --out "$tmp/run" --data-dir "$data" > /dev/null
    tail -n 1 "$tmp/run/metrics.csv" | awk -F, '{ print $NF }'
    rm -rf "$tmp/run"
}
torch_rate() { # extra flags -> steps/s
    python3 scripts/torch_wgan_gp.py "$anchor" "$@" "$data/mnist" --steps "$steps" --threads 2 --loss wgan-gp --seed 1 \
        | awk -F= '/^steps_per_sec=/ { print $2 }'
}
g_gp=$(ganc_rate models/wgan_gp_mnist.gan)
g_plain=$(ganc_rate "$tmp/plain.gan")
t_gp=$(torch_rate)
t_plain=$(torch_rate --no-gp)
awk -v gg="$g_gp" -v gp="$g_plain" -v tg="$t_gp" -v tp="$t_plain" 'BEGIN {
    print "| | steps/s with GP | steps/s without | GP overhead |"
    print "| --- | ---: | ---: | ---: |"
    printf "| ganc (flex) | %.2f | %.2f | %.0f%% |\n", gg, gp, 100 * (gp / gg - 1)
    printf "| PyTorch | %.2f | %.2f | %.0f%% |\n", tg, tp, 100 * (tp / tg - 1)
    printf "\nganc / PyTorch with GP: %.2fx\n", gg / tg
}'
