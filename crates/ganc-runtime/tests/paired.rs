//! Image-to-image translation (pix2pix, pix2pixHD): a multi-scale discriminator averages its
//! scales' scores, each on inputs pooled once more; pix2pixHD's feature matching vanishes only
//! for the real pair itself; and a translating G trained on a folder of pairs learns the map
//! from inputs to targets (its `l1` on held-out pairs falls), with grids of triplets.

mod common;

use common::{model, run, serial, temp};
use ganc_runtime::burn::tensor::{Device, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::layers::Ctx;
use ganc_runtime::network::Net;
use ganc_runtime::run::{networks, values, TrainOptions};
use ganc_runtime::value::Value;
use std::path::Path;

const MULTI_SCALE: &str = r#"
data paired(path: "pairs", size: 8, channels: 1)
condition x ~ paired
generator G(x) -> image {
    conv(8, kernel: 3, padding: 1)
    relu
    conv(1, kernel: 3, padding: 1)
    tanh
}
discriminator D(image, x) -> patch at scales: 2 {
    concat(x)
    conv(8, kernel: 3, padding: 1)
    leaky_relu(0.2)
    conv(1, kernel: 3, padding: 1)
}
loss least_squares
regularize G { paired_feature_matching(weight: 10.0) }
train {
    batch: 16
    steps: 200
    seed: 1
    optimizer G: adam(lr: 2e-3, betas: (0.5, 0.999))
    optimizer D: adam(lr: 2e-3, betas: (0.5, 0.999))
    sample every 200 steps
    log every 10 steps
}
evaluate every 10 steps { l1 }
"#;

fn ctx() -> Ctx {
    Ctx { step: 0, training: false, growth: Growth::FULL }
}

fn image(v: Vec<f32>, n: usize, side: usize) -> Value {
    Value::Image(Tensor::from_data(TensorData::new(v, [n, 1, side, side]), &Device::flex()))
}

/// 2x2 block means of `n` one-channel images of side `side`.
fn pooled(v: &[f32], n: usize, side: usize) -> Vec<f32> {
    let half = side / 2;
    let mut out = Vec::new();
    for i in 0..n {
        for y in 0..half {
            for x in 0..half {
                let at = |dy: usize, dx: usize| v[i * side * side + (2 * y + dy) * side + 2 * x + dx];
                out.push((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4.0);
            }
        }
    }
    out
}

fn mean(v: &Value) -> f64 {
    let x = values(v.clone());
    x.iter().map(|a| f64::from(*a)).sum::<f64>() / x.len() as f64
}

#[test]
fn a_multi_scale_discriminator_averages_its_scales_each_on_pooled_inputs() {
    let _turn = serial();
    let m = model(MULTI_SCALE);
    let (_, d) = networks(&m, &Device::flex()).expect("lowers");
    assert_eq!(d.coarser.len(), 1, "two scales: the first and one coarser network");
    let (n, side) = (3, 8);
    let x: Vec<f32> = (0..n * side * side).map(|i| ((i * 37 % 17) as f32 / 8.0) - 1.0).collect();
    let src: Vec<f32> = (0..n * side * side).map(|i| ((i * 11 % 13) as f32 / 6.0) - 1.0).collect();
    let both = d.forward(vec![image(x.clone(), n, side), image(src.clone(), n, side)], &ctx());
    // Each scale by itself: the first on the images, the second on their 2x2 block means.
    let first = Net { coarser: Vec::new(), ..d.clone() };
    let fine = first.forward(vec![image(x.clone(), n, side), image(src.clone(), n, side)], &ctx());
    let coarse = d.coarser[0]
        .forward(vec![image(pooled(&x, n, side), n, side / 2), image(pooled(&src, n, side), n, side / 2)], &ctx());
    assert_eq!(fine.per_sample(), vec![1, 8, 8]);
    assert_eq!(coarse.per_sample(), vec![1, 4, 4]);
    // 64 and 16 patches: the mean over the side-by-side scores weighs both scales equally.
    let expected = (mean(&fine) + mean(&coarse)) / 2.0;
    assert!((mean(&both) - expected).abs() < 1e-5, "{} vs {expected}", mean(&both));
    // The scales have weights of their own.
    assert_ne!(values(fine), values(d.coarser[0].forward(vec![image(x, n, side), image(src, n, side)], &ctx())));
}

#[test]
fn feature_matching_vanishes_for_the_real_pair_alone() {
    let _turn = serial();
    let m = model(MULTI_SCALE);
    let (_, d) = networks(&m, &Device::flex()).expect("lowers");
    let (n, side) = (2, 8);
    let x: Vec<f32> = (0..n * side * side).map(|i| ((i * 7 % 19) as f32 / 9.0) - 1.0).collect();
    let src: Vec<f32> = x.iter().map(|v| -v).collect();
    let real = vec![image(x.clone(), n, side), image(src.clone(), n, side)];
    let same = ganc_runtime::paired::feature_matching(&d, real.clone(), real.clone(), &ctx());
    assert!(same.into_scalar::<f32>().abs() < 1e-7);
    let other: Vec<f32> = x.iter().map(|v| v * 0.5).collect();
    let fake = vec![image(other, n, side), image(src, n, side)];
    let apart = ganc_runtime::paired::feature_matching(&d, real, fake, &ctx()).into_scalar::<f32>();
    assert!(apart > 1e-3, "{apart}");
}

/// A folder of pairs of `side`x`side` grey images: each input is its target inverted.
fn write_pairs(dir: &Path, split: &str, count: u32, side: u32) {
    for half in ["A", "B"] {
        std::fs::create_dir_all(dir.join(format!("{split}_{half}"))).unwrap();
    }
    for i in 0..count {
        let target = image::GrayImage::from_fn(side, side, |x, y| {
            let v = (x * 29 + y * 13 + i * 71) % 255;
            image::Luma([if (x + y + i) % 3 == 0 { 255 - v as u8 / 4 } else { v as u8 / 4 }])
        });
        let input = image::GrayImage::from_fn(side, side, |x, y| image::Luma([255 - target.get_pixel(x, y)[0]]));
        target.save(dir.join(format!("{split}_B/{i:03}.png"))).unwrap();
        input.save(dir.join(format!("{split}_A/{i:03}.png"))).unwrap();
    }
}

#[test]
fn a_translating_generator_learns_the_map_from_inputs_to_targets() {
    let _turn = serial();
    let data = temp("paired-data");
    write_pairs(&data.join("pairs"), "train", 64, 8);
    write_pairs(&data.join("pairs"), "test", 32, 8);
    let out = temp("paired-run");
    let opts = TrainOptions { data_dir: Some(data.clone()), ..TrainOptions::default() };
    let (result, _) = run(MULTI_SCALE, &out, opts);
    let dir = result.expect("trains");
    let csv = std::fs::read_to_string(dir.join("evaluate.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("step,l1"));
    let l1: Vec<f64> = lines.map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    assert_eq!(l1.len(), 20);
    let (first, last) = (l1[0], l1.iter().rev().take(3).sum::<f64>() / 3.0);
    assert!(last < 0.5 * first, "l1 on the held-out pairs: {first} at step 10, {last} at the end");
    // The triplets: 16 pairs, each (input, output, target), 4 per row of 8x8 images, 2px gaps.
    let grid = image::open(dir.join("samples/pairs_step_000200.png")).expect("a grid of triplets");
    assert_eq!((grid.width(), grid.height()), (12 * 8 + 13 * 2, 4 * 8 + 5 * 2));
    // Sampling has no inputs to give a translating G: refused with a reason.
    let refused = ganc_runtime::sample::load(&dir, "cpu", true).err().expect("refused");
    assert!(refused.to_string().contains("paired input"), "{refused}");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&out);
}
