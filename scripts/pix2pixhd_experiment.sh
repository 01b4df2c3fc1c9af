#!/usr/bin/env bash
# pix2pixHD's multi-scale discriminator against a single-scale baseline with the same budget:
# `models/pix2pixhd_mnist.gan` (D at 3 scales, feature matching over every D layer), the same
# file with `at scales: 3` removed (one D, feature matching over its layers), and the same file
# without `paired_feature_matching` (3 scales, the adversarial loss alone); same steps and seeds.
#
#   scripts/pix2pixhd_experiment.sh [STEPS] [SEEDS...]   (defaults: 1000 steps, seeds 1 2 3)
#
# Reports, at the last step, on the 10,000 MNIST test pairs (digit from its outline): `l1`, the
# mean absolute error per pixel between G(outline) and the digit (pixels in [-1, 1]; lower is
# better), and `fid`, the classifier-FID of 2,000 translations against 2,000 test digits (lower
# is better); then each arm's mean and spread (min-max). A run already trained to its steps is
# read again, not retrained. Needs MNIST under $GANC_DATA_DIR (default ../shared/data). Prints
# Markdown tables.
source "$(dirname "$0")/experiment.sh" pix2pixhd 1000 "$@"
model="models/pix2pixhd_mnist.gan"
sed 's/ at scales: 3 {/ {/' "$model" > "$out/single_scale.gan"
grep -q '^discriminator.* at scales' "$out/single_scale.gan" && { echo "the baseline still has scales" >&2; exit 1; }
grep -v 'paired_feature_matching' "$model" > "$out/no_feature_matching.gan"

echo "| arm | seed | l1 | fid |"
echo "| --- | ---: | ---: | ---: |"
for arm in multi_scale single_scale no_feature_matching; do
    file="$model"
    [ "$arm" != multi_scale ] && file="$out/$arm.gan"
    for seed in "${seeds[@]}"; do
        run="$out/$arm-seed$seed"
        train_once "$file" "$steps" "$seed" "$run"
        row=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } END { print $c["l1"], $c["fid"] }' "$run/evaluate.csv")
        echo "| $arm | $seed | $(echo $row | sed 's/ / | /') |"
        echo "$arm $row" >> "$summary"
    done
done
echo
echo "| arm | l1: mean (min-max) | fid: mean (min-max) |"
echo "| --- | ---: | ---: |"
for arm in multi_scale single_scale no_feature_matching; do
    awk -v a="$arm" '
        $1 == a { n++; for (j = 2; j <= 3; j++) { s[j] += $j; if (n == 1 || $j < lo[j]) lo[j] = $j; if (n == 1 || $j > hi[j]) hi[j] = $j } }
        END { printf "| %s |", a; for (j = 2; j <= 3; j++) printf " %.4f (%.4f-%.4f) |", s[j] / n, lo[j], hi[j]; print "" }
    ' "$summary"
done
