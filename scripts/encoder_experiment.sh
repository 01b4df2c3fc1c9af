#!/usr/bin/env bash
# A model with an encoder (BiGAN `bigan_mnist`, AVB `avb_mnist`) trained for STEPS, against
# itself after one step (its networks untrained), same seeds.
#
#   scripts/encoder_experiment.sh MODEL [STEPS] [SEEDS...]   (defaults: 3000 steps, seeds 1 2 3)
#
# Reports each metric of the model's `evaluate` section on the 10,000 MNIST test images
# (`reconstruction`: mean squared error per pixel of G(E(x)), lower is better; `linear_probe`:
# a linear classifier's accuracy on the codes; `elbo`: AVB's bound in nats per image) at the
# last step, and each arm's mean and spread (min-max). A run already trained to its steps is
# read again, not retrained. Needs MNIST under $GANC_DATA_DIR (default ../shared/data).
# Prints Markdown tables.
name="${1:?usage: scripts/encoder_experiment.sh MODEL [STEPS] [SEEDS...]}"
shift
source "$(dirname "$0")/experiment.sh" "$name" 3000 "$@"
model="models/$name.gan"
# The untrained arm measures after its single step.
sed 's/^evaluate every [0-9_]* steps/evaluate every 1 steps/' "$model" > "$out/untrained.gan"

metrics=$(sed -n '/^evaluate/,/^}/p' "$model" | sed -n 's/^ *\([a-z_]*\).*/\1/p' | grep -v '^evaluate$' | grep . | tr '\n' ' ')
echo "| arm | seed | $(echo $metrics | sed 's/ / | /g') |"
echo "| --- | ---: |$(for m in $metrics; do printf ' ---: |'; done)"
for arm in trained untrained; do
    file="$model"
    arm_steps="$steps"
    [ "$arm" = untrained ] && file="$out/untrained.gan" && arm_steps=1
    for seed in "${seeds[@]}"; do
        run="$out/$arm-seed$seed"
        train_once "$file" "$arm_steps" "$seed" "$run"
        row=$(awk -F, -v want="$metrics" '
            NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
            END { n = split(want, w, " "); for (j = 1; j <= n; j++) printf "%s%s", (j > 1 ? " " : ""), $c[w[j]] }
        ' "$run/evaluate.csv")
        echo "| $arm | $seed | $(echo $row | sed 's/ / | /g') |"
        echo "$arm $row" >> "$summary"
    done
done
echo
echo "| arm |$(for m in $metrics; do printf ' %s: mean (min-max) |' "$m"; done)"
echo "| --- |$(for m in $metrics; do printf ' ---: |'; done)"
for arm in trained untrained; do
    awk -v a="$arm" '
        $1 == a { n++; for (j = 2; j <= NF; j++) { s[j] += $j; if (n == 1 || $j < lo[j]) lo[j] = $j; if (n == 1 || $j > hi[j]) hi[j] = $j } k = NF }
        END { printf "| %s |", a; for (j = 2; j <= k; j++) printf " %.4f (%.4f-%.4f) |", s[j] / n, lo[j], hi[j]; print "" }
    ' "$summary"
done
