#!/usr/bin/env bash
# Training speed side by side, one run after another on an otherwise idle machine:
# `models/dcgan_mnist.gan` and `models/wgan_gp_mnist.gan` on ganc's fused kernels, on burn's
# generic operations (`GANC_KERNELS=burn`), and the PyTorch anchor (`torch_dcgan.py`, the same
# networks, losses, batch and optimizers), each with its peak RSS; then this machine's f32 GEMM
# rate (PyTorch, 2048 x 2048, 2 threads, the best of 20) and the DCGAN's share of the ceiling it sets
# (11.2 GFLOP per step, `../shared/anchors/README.md`). A benchmark, not a test. Needs
# `pip install torch`.
#
#   scripts/bench_speed.sh [DCGAN_STEPS] [WGAN_GP_STEPS]      (defaults 200 and 50)
set -euo pipefail
dcgan_steps="${1:-200}"
wgan_steps="${2:-50}"
source "$(dirname "$0")/bench_setup.sh"

# model steps [env] -> "steps/s peak_MB cpu%": the mean rate logged every 25 steps, the first 25
# left out; the CPU use of the whole run (200% is both cores busy).
ganc_run() {
    sed 's/log every [0-9_]* steps/log every 25 steps/' "$1" > "$tmp/model.gan"
    env "${@:3}" /usr/bin/time -f "%M %P" -o "$tmp/rss" "$ganc" train "$tmp/model.gan" --steps "$2" \
        --out "$tmp/run" --data-dir "$data" > /dev/null 2>&1
    read -r rss cpu < "$tmp/rss"
    awk -F, -v rss="$rss" -v cpu="$cpu" 'NR > 2 { s += $NF; n++ } END { printf "%.2f %d %s\n", s / n, rss / 1024, cpu }' \
        "$tmp/run/metrics.csv"
    rm -rf "$tmp/run"
}
# loss steps -> "steps/s peak_MB cpu%"
torch_run() {
    /usr/bin/time -f "%P" -o "$tmp/cpu" python3 "$anchor" "$data/mnist" --steps "$2" --threads 2 --loss "$1" \
        --seed 1 2>/dev/null > "$tmp/torch.out"
    awk -F= -v cpu="$(cat "$tmp/cpu")" '/^steps_per_sec=/ { s = $2 } /^peak_rss_mb=/ { m = $2 } END { print s, m, cpu }' \
        "$tmp/torch.out"
}

read -r dg_f dg_fm dg_fc < <(ganc_run models/dcgan_mnist.gan "$dcgan_steps" X=1)
read -r dg_b dg_bm _ < <(ganc_run models/dcgan_mnist.gan "$dcgan_steps" GANC_KERNELS=burn)
read -r dt dtm dtc < <(torch_run ns "$dcgan_steps")
read -r wg_f wg_fm _ < <(ganc_run models/wgan_gp_mnist.gan "$wgan_steps" X=1)
read -r wg_b wg_bm _ < <(ganc_run models/wgan_gp_mnist.gan "$wgan_steps" GANC_KERNELS=burn)
read -r wt wtm _ < <(torch_run wgan-gp "$wgan_steps")
gflops=$(python3 -c '
import time, torch
torch.set_num_threads(2)
a = torch.randn(2048, 2048)
for _ in range(3): a @ a
best = float("inf")
for _ in range(20):
    t = time.perf_counter()
    a @ a
    best = min(best, time.perf_counter() - t)
print("%.0f" % (2 * 2048 ** 3 / best / 1e9))' 2>/dev/null)

awk -v dgf="$dg_f" -v dgfm="$dg_fm" -v dgb="$dg_b" -v dgbm="$dg_bm" -v dt="$dt" -v dtm="$dtm" \
    -v wgf="$wg_f" -v wgfm="$wg_fm" -v wgb="$wg_b" -v wgbm="$wg_bm" -v wt="$wt" -v wtm="$wtm" \
    -v gf="$gflops" -v ds="$dcgan_steps" -v ws="$wgan_steps" -v gc="$dg_fc" -v tc="$dtc" 'BEGIN {
    ceiling = gf / 11.2
    print "| | DCGAN steps/s | vs PyTorch | share of ceiling | peak RSS | WGAN-GP steps/s | vs PyTorch | peak RSS |"
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf "| ganc, fused kernels | %.2f | %.2fx | %.0f%% | %d MB | %.2f | %.2fx | %d MB |\n", dgf, dgf / dt, 100 * dgf / ceiling, dgfm, wgf, wgf / wt, wgfm
    printf "| ganc, burn ops (`GANC_KERNELS=burn`) | %.2f | %.2fx | %.0f%% | %d MB | %.2f | %.2fx | %d MB |\n", dgb, dgb / dt, 100 * dgb / ceiling, dgbm, wgb, wgb / wt, wgbm
    printf "| PyTorch | %.2f | 1.00x | %.0f%% | %d MB | %.2f | 1.00x | %d MB |\n", dt, 100 * dt / ceiling, dtm, wt, wtm
    printf "\nGEMM: %d GFLOP/s (2 threads), so at most %.1f DCGAN steps/s. Steps: DCGAN %d, WGAN-GP %d.\n", gf, ceiling, ds, ws
    printf "CPU use over the DCGAN run: ganc %s, PyTorch %s.\n", gc, tc
}'
