#!/usr/bin/env bash
# BiGAN on MNIST: `models/bigan_mnist.gan` trained for STEPS, against its own encoder after one
# step (an untrained E: random features of the same architecture), same seeds.
#
#   scripts/bigan_experiment.sh [STEPS] [SEEDS...]   (defaults: 3000 steps, seeds 1 2 3)
#
# Reports, on the 10,000 MNIST test images, the mean squared error per pixel of G(E(x))
# (`reconstruction`) and the accuracy of a linear classifier fitted to the codes of 10,000
# training images (`linear_probe`), at the last step and the best along the way. A run already
# trained to its steps is read again, not retrained. Needs MNIST under $GANC_DATA_DIR (default
# ../shared/data). Prints Markdown tables.
source "$(dirname "$0")/experiment.sh" bigan 3000 "$@"
# The untrained arm measures after its single step.
sed 's/^evaluate every [0-9_]* steps/evaluate every 1 steps/' models/bigan_mnist.gan > "$out/untrained.gan"

echo "| arm | seed | reconstruction MSE, last | best | linear probe accuracy, last | best |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for arm in bigan untrained; do
    model="models/bigan_mnist.gan"
    arm_steps="$steps"
    [ "$arm" = untrained ] && model="$out/untrained.gan" && arm_steps=1
    for seed in "${seeds[@]}"; do
        run="$out/$arm-seed$seed"
        train_once "$model" "$arm_steps" "$seed" "$run"
        read -r last_r best_r last_p best_p <<< "$(awk -F, '
            NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
            NR > 1 { r = $c["reconstruction"]; p = $c["linear_probe"]
                     if (NR == 2 || r < br) br = r; if (NR == 2 || p > bp) bp = p }
            END { print r, br, p, bp }' "$run/evaluate.csv")"
        printf '| %s | %s | %.4f | %.4f | %.2f%% | %.2f%% |\n' "$arm" "$seed" "$last_r" "$best_r" \
            "$(echo "$last_p * 100" | bc -l)" "$(echo "$best_p * 100" | bc -l)"
        echo "$arm $last_r $last_p" >> "$summary"
    done
done
echo
echo "| arm | reconstruction MSE, last: mean (min-max) | linear probe accuracy, last: mean (min-max) |"
echo "| --- | ---: | ---: |"
for arm in bigan untrained; do
    awk -v a="$arm" '
        $1 == a { n++; r += $2; p += $3; if (n == 1 || $2 < rlo) rlo = $2; if (n == 1 || $2 > rhi) rhi = $2
                  if (n == 1 || $3 < plo) plo = $3; if (n == 1 || $3 > phi) phi = $3 }
        END { printf "| %s | %.4f (%.4f-%.4f) | %.2f%% (%.2f-%.2f%%) |\n", a, r / n, rlo, rhi, 100 * p / n, 100 * plo, 100 * phi }
    ' "$summary"
done
