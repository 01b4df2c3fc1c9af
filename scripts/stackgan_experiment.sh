#!/usr/bin/env bash
# StackGAN++'s stacked stages, measured against ablations of its three devices:
# `models/stackgan_mnist.gan` (three stages at 7, 14 and 28 pixels, one joint D per stage,
# conditioning augmentation, colour consistency); the same file with a conditional-only D (no
# unconditional head, `-> logit`), without `color_consistency`, and without
# `conditioning_augmentation` (G reads the class embedding as it is); same steps and seeds.
#
#   scripts/stackgan_experiment.sh [STEPS] [SEEDS...]   (defaults: 1500 steps, seed 1)
#
# Reports at the last step: `fid`, the classifier-FID of 2,000 top-stage samples against 2,000
# MNIST test digits (lower is better); `classes_covered` of those samples (of 10);
# `class_accuracy`, the share of them ganc's classifier labels as the class drawn for; and
# `stage_gap`, the mean absolute difference per pixel between each stage's images and the next
# stage's average-pooled to their side (pixels in [-1, 1]; lower: the stages draw the same
# digit). Each run's samples/ holds a grid per stage (stage7_, stage14_, stage28_step_N.png). A
# run already trained to its steps is read again, not retrained. Needs MNIST under
# $GANC_DATA_DIR (default ../shared/data). Prints a Markdown table.
source "$(dirname "$0")/experiment.sh" stackgan 1500 "${1:-1500}" "${@:2}"
[ $# -ge 2 ] || seeds=(1)
model="models/stackgan_mnist.gan"
grep -v 'color_consistency' "$model" > "$out/no_color_consistency.gan"
grep -v 'let features\|let unconditional\|concat(unconditional)' "$model" | sed 's/-> joint at/-> logit at/' \
    > "$out/conditional_only.gan"
sed 's/ |> conditioning_augmentation([^)]*)//' "$model" > "$out/no_augmentation.gan"
grep -q 'conditioning_augmentation' "$out/no_augmentation.gan" && { echo "the baseline still augments" >&2; exit 1; }

echo "| arm | seed | fid | classes_covered | class_accuracy | stage_gap |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for arm in stackgan conditional_only no_color_consistency no_augmentation; do
    file="$model"
    [ "$arm" != stackgan ] && file="$out/$arm.gan"
    for seed in "${seeds[@]}"; do
        run="$out/$arm-seed$seed"
        train_once "$file" "$steps" "$seed" "$run"
        row=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } END { print $c["fid"], $c["classes"], $c["class_accuracy"], $c["stage_gap"] }' "$run/evaluate.csv")
        echo "| $arm | $seed | $(echo $row | sed 's/ / | /g') |"
        echo "$arm $row" >> "$summary"
    done
done
