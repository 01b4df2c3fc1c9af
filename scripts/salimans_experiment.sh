#!/usr/bin/env bash
# MNIST DCGAN with and without the tricks of Improved Techniques for Training GANs (Salimans et
# al. 2016): `models/dcgan_mnist.gan` against `models/dcgan_mnist_salimans.gan` (the same
# networks plus feature matching, minibatch discrimination, one-sided label smoothing,
# historical averaging and virtual batchnorm in G), same seeds and budget for both arms.
#
#   scripts/salimans_experiment.sh [STEPS] [SEEDS...]   (defaults: 2000 steps, seeds 1 2 3)
#
# `ganc eval` then measures 5,000 samples of each final generator against 5,000 training images
# with ganc's MNIST classifier: classes covered, FID, KID, Inception Score, precision and recall.
# A run already trained to STEPS is measured again, not retrained. Needs MNIST under
# $GANC_DATA_DIR (default ../shared/data). Prints one row per run, then each arm's mean and
# spread (min-max), as Markdown tables.
source "$(dirname "$0")/experiment.sh" salimans 2000 "$@"

echo "| arm | seed | classes covered | FID | KID | IS | precision | recall |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in dcgan_mnist dcgan_mnist_salimans; do
    for seed in "${seeds[@]}"; do
        run="$out/$name-seed$seed"
        train_once "models/$name.gan" "$steps" "$seed" "$run"
        rm -f "$run/eval.csv"
        "$ganc" eval "$run" --samples 5000 --seed 1 > "$run.eval.log"
        IFS=, read -r _ _ _ fid kid is precision recall classes <<< "$(tail -n 1 "$run/eval.csv")"
        awk -v m="$name" -v s="$seed" -v c="$classes" -v f="$fid" -v k="$kid" -v i="$is" -v p="$precision" -v r="$recall" \
            'BEGIN { printf "| %s | %s | %d | %.2f | %.0f | %.2f | %.3f | %.3f |\n", m, s, c, f, k, i, p, r }'
        echo "$name $classes $fid $kid $is $precision $recall" >> "$summary"
    done
done
echo
echo "| arm | classes covered | FID | KID | IS | precision | recall |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in dcgan_mnist dcgan_mnist_salimans; do
    awk -v m="$name" '
        function cell(col, fmt) { return sprintf(fmt " (" fmt "-" fmt ")", sum[col] / n, lo[col], hi[col]) }
        $1 == m {
            n++
            for (c = 2; c <= 7; c++) {
                sum[c] += $c
                if (n == 1 || $c < lo[c]) lo[c] = $c
                if (n == 1 || $c > hi[c]) hi[c] = $c
            }
        }
        END {
            printf "| %s | %s | %s | %s | %s | %s | %s |\n", m, cell(2, "%.1f"), cell(3, "%.2f"), cell(4, "%.0f"),
                cell(5, "%.2f"), cell(6, "%.3f"), cell(7, "%.3f")
        }' "$summary"
done
