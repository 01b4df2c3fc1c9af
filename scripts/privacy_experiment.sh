#!/usr/bin/env bash
# Utility per epsilon of a differentially private GAN on MNIST: `models/dp_gan_mnist.gan`
# (DP-SGD on D, the noise chosen to spend epsilon over the run) at epsilon 1, 3 and 10, against
# the same model without `differential_privacy`, same seed and budget for every arm.
#
#   scripts/privacy_experiment.sh [STEPS] [SEEDS...]   (defaults: 2000 steps, seeds 1 2 3)
#
# Reports, at the last step, the classifier-FID and classes covered of 2,000 samples
# (`evaluate.csv`), the epsilon spent (`run.json`, delta 1e-5), the noise multiplier the run
# chose and the training speed. A run already trained to STEPS is read again, not retrained.
# Needs MNIST under $GANC_DATA_DIR (default ../shared/data). Prints one row per run, then each
# arm's mean and spread (min-max), as Markdown tables.
source "$(dirname "$0")/experiment.sh" privacy 2000 "$@"
model="models/dp_gan_mnist.gan"
# The non-private arm: the model without its `regularize D { ... }` block.
awk '/^regularize D \{/ { skip = 1 } !skip { print } skip && /^\}/ { skip = 0 }' "$model" > "$out/non_private.gan"

echo "| arm | seed | epsilon (delta 1e-5) | noise multiplier | FID | classes covered | steps/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for arm in eps1 eps3 eps10 non_private; do
    case "$arm" in
        non_private) file="$out/non_private.gan" ;;
        *) file="$out/$arm.gan"; sed "s/epsilon: [0-9.]*)/epsilon: ${arm#eps}.0)/" "$model" > "$file" ;;
    esac
    for seed in "${seeds[@]}"; do
        run="$out/$arm-seed$seed"
        train_once "$file" "$steps" "$seed" "$run"
        read -r fid classes <<< "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR > 1 { f = $c["fid"]; k = $c["classes"] } END { print f, k }' "$run/evaluate.csv")"
        eps=$(python3 -c "import json; p = json.load(open('$run/run.json')).get('privacy'); print('%.3f' % p['epsilon'] if p else 'inf (not private)')")
        noise=$(python3 -c "import json; p = json.load(open('$run/run.json')).get('privacy'); print('%.3f' % p['noise'] if p else '-')")
        rate=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR > 1 { s += $c["steps_per_sec"]; n++ } END { printf "%.1f", s / n }' "$run/metrics.csv")
        printf '| %s | %s | %s | %s | %.1f | %.0f | %s |\n' "$arm" "$seed" "$eps" "$noise" "$fid" "$classes" "$rate"
        echo "$arm $fid $classes" >> "$summary"
    done
done
echo
echo "| arm | FID: mean (min-max) | classes covered: mean (min-max) |"
echo "| --- | ---: | ---: |"
for arm in eps1 eps3 eps10 non_private; do
    awk -v a="$arm" '
        $1 == a { n++; f += $2; k += $3; if (n == 1 || $2 < flo) flo = $2; if (n == 1 || $2 > fhi) fhi = $2
                  if (n == 1 || $3 < klo) klo = $3; if (n == 1 || $3 > khi) khi = $3 }
        END { printf "| %s | %.0f (%.0f-%.0f) | %.1f (%d-%d) |\n", a, f / n, flo, fhi, k / n, klo, khi }
    ' "$summary"
done
