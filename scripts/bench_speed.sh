#!/usr/bin/env bash
# Training speed side by side, one run after another on an otherwise idle machine:
# `models/dcgan_mnist.gan` and `models/wgan_gp_mnist.gan` on ganc's fused kernels, on burn's
# generic operations (`GANC_KERNELS=burn`), with oneDNN's convolutions (`--features onednn`, when
# Debian's libdnnl-dev is installed; with `OMP_WAIT_POLICY=passive`, so that oneDNN's OpenMP
# threads sleep rather than spin while ganc's own threads work), and the PyTorch anchor
# (`torch_dcgan.py`, the same networks, losses, batch and optimizers), each with its peak RSS;
# then this machine's f32 GEMM rate (PyTorch, 2048 x 2048, 2 threads, the best of 20) and the
# DCGAN's share of the ceiling it sets (11.2 GFLOP per step, `../shared/anchors/README.md`).
# A benchmark, not a test. Needs `pip install torch`.
#
# The configurations run in ROUNDS rounds, one of each per round, and the table gives the median
# over the rounds of each rate and of each ratio to PyTorch's rate in the same round: on a shared
# VM whose speed drifts by a factor of two over minutes, only rates taken side by side compare.
#
#   scripts/bench_speed.sh [DCGAN_STEPS] [WGAN_GP_STEPS] [ROUNDS]      (defaults 200, 50 and 3)
set -euo pipefail
dcgan_steps="${1:-200}"
wgan_steps="${2:-50}"
rounds="${3:-3}"
source "$(dirname "$0")/bench_setup.sh"
cp "$ganc" "$tmp/ganc"
onednn=""
if [ -f /usr/include/oneapi/dnnl/dnnl.hpp ]; then
    cargo build -q --release -p ganc --features onednn
    cp "$ganc" "$tmp/ganc-onednn"
    onednn="$tmp/ganc-onednn"
fi

# binary model steps [env] -> "steps/s peak_MB cpu%": the mean rate logged every 25 steps, the
# first 25 left out; the CPU use of the whole run (200% is both cores busy).
ganc_run() {
    sed 's/log every [0-9_]* steps/log every 25 steps/' "$2" > "$tmp/model.gan"
    env "${@:4}" /usr/bin/time -f "%M %P" -o "$tmp/rss" "$1" train "$tmp/model.gan" --steps "$3" \
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

# One round: "name steps/s peak_MB cpu%" per configuration, PyTorch's first in each model.
round() {
    local r
    r=$(torch_run ns "$dcgan_steps"); echo "dt $r"
    r=$(ganc_run "$tmp/ganc" models/dcgan_mnist.gan "$dcgan_steps" X=1); echo "dgf $r"
    r=$(ganc_run "$tmp/ganc" models/dcgan_mnist.gan "$dcgan_steps" GANC_KERNELS=burn); echo "dgb $r"
    if [ -n "$onednn" ]; then
        r=$(ganc_run "$onednn" models/dcgan_mnist.gan "$dcgan_steps" OMP_WAIT_POLICY=passive); echo "dgo $r"
    fi
    r=$(torch_run wgan-gp "$wgan_steps"); echo "wt $r"
    r=$(ganc_run "$tmp/ganc" models/wgan_gp_mnist.gan "$wgan_steps" X=1); echo "wgf $r"
    r=$(ganc_run "$tmp/ganc" models/wgan_gp_mnist.gan "$wgan_steps" GANC_KERNELS=burn); echo "wgb $r"
    if [ -n "$onednn" ]; then
        r=$(ganc_run "$onednn" models/wgan_gp_mnist.gan "$wgan_steps" OMP_WAIT_POLICY=passive); echo "wgo $r"
    fi
}
for i in $(seq "$rounds"); do round | sed "s/^/$i /"; done > "$tmp/rounds"
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

awk -v gf="$gflops" -v ds="$dcgan_steps" -v ws="$wgan_steps" -v rounds="$rounds" '
function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ rate[$1, $2] = $3; rss[$2] = $4 > rss[$2] ? $4 : rss[$2]; cpu[$2] = cpu[$2] " " $5 }
END {
    ceiling = gf / 11.2
    for (r = 1; r <= rounds; r++) for (c in rss) {
        rates[c] = rates[c] " " rate[r, c]
        base = substr(c, 1, 1) == "d" ? rate[r, "dt"] : rate[r, "wt"]
        ratios[c] = ratios[c] " " rate[r, c] / base
    }
    print "| | DCGAN steps/s | vs PyTorch | share of ceiling | peak RSS | WGAN-GP steps/s | vs PyTorch | peak RSS |"
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    split("f b o t", keys, " ")
    names["f"] = "ganc, fused kernels"; names["b"] = "ganc, burn ops (`GANC_KERNELS=burn`)"
    names["o"] = "ganc, oneDNN convolutions (`--features onednn`)"; names["t"] = "PyTorch"
    for (k = 1; k <= 4; k++) {
        d = (keys[k] == "t") ? "dt" : "dg" keys[k]; w = (keys[k] == "t") ? "wt" : "wg" keys[k]
        if (!(d in rss)) continue
        dr = median(rates[d])
        printf "| %s | %.2f | %.2fx | %.0f%% | %d MB | %.2f | %.2fx | %d MB |\n", names[keys[k]], dr, median(ratios[d]), 100 * dr / ceiling, rss[d], median(rates[w]), median(ratios[w]), rss[w]
    }
    printf "\nMedians of %d rounds. GEMM: %d GFLOP/s (2 threads), so at most %.1f DCGAN steps/s. Steps: DCGAN %d, WGAN-GP %d.\n", rounds, gf, ceiling, ds, ws
    printf "CPU use over the DCGAN runs: ganc%s; with oneDNN%s; PyTorch%s.\n", cpu["dgf"], cpu["dgo"], cpu["dt"]
    print "Each round (steps/s):"
    for (r = 1; r <= rounds; r++) {
        line = "  round " r ":"
        for (k = 1; k <= 4; k++) {
            d = (keys[k] == "t") ? "dt" : "dg" keys[k]; w = (keys[k] == "t") ? "wt" : "wg" keys[k]
            if (d in rss) line = line " " d "=" rate[r, d] " " w "=" rate[r, w]
        }
        print line
    }
}' "$tmp/rounds"
