#!/usr/bin/env bash
# Semi-supervised MNIST with 100 labels (Salimans et al. 2016, section 5):
# `models/improved_gan_mnist_semi.gan` against the same D trained on the 100 labels alone (the
# model with `unlabelled: 0.0`, so D never sees an unlabelled image or a fake), same seeds,
# same labelled images (the seed chooses them) and the same budget for both arms.
#
#   scripts/semi_supervised_experiment.sh [STEPS] [SEEDS...]   (defaults: 3000 steps, seeds 1 2 3)
#
# Reports D's error on the 10,000 MNIST test images (`test_error` of `evaluate.csv`) at the last
# step, and the lowest one measured along the way. A run already trained to STEPS is read again,
# not retrained. Needs MNIST under $GANC_DATA_DIR (default ../shared/data). Prints Markdown tables.
source "$(dirname "$0")/experiment.sh" semi-supervised 3000 "$@"

echo "| arm | seed | test error, last | test error, lowest |"
echo "| --- | ---: | ---: | ---: |"
for arm in semi_supervised labels_only; do
    model="models/improved_gan_mnist_semi.gan"
    [ "$arm" = labels_only ] && model="$out/labels_only.gan"
    for seed in "${seeds[@]}"; do
        run="$out/$arm-seed$seed"
        train_once "$model" "$steps" "$seed" "$run"
        read -r last lowest <<< "$(awk -F, 'NR > 1 { last = $2; if (min == "" || $2 < min) min = $2 } END { print last, min }' "$run/evaluate.csv")"
        awk -v a="$arm" -v s="$seed" -v l="$last" -v m="$lowest" \
            'BEGIN { printf "| %s | %s | %.2f%% | %.2f%% |\n", a, s, 100 * l, 100 * m }'
        echo "$arm $last $lowest" >> "$summary"
    done
done
echo
echo "| arm | test error, last: mean (min-max) | lowest: mean |"
echo "| --- | ---: | ---: |"
for arm in semi_supervised labels_only; do
    awk -v a="$arm" '
        $1 == a { n++; sum += $2; low += $3; if (n == 1 || $2 < lo) lo = $2; if (n == 1 || $2 > hi) hi = $2 }
        END { printf "| %s | %.2f%% (%.2f-%.2f%%) | %.2f%% |\n", a, 100 * sum / n, 100 * lo, 100 * hi, 100 * low / n }
    ' "$summary"
done
