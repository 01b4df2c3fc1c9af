//! The fused flex kernels compute burn's functions: each one's output and gradients equal burn's
//! generic operations' within 1e-5 of the largest magnitude, on shapes with strides, padding
//! (also uneven), dilation, groups and odd sizes.

mod common;

use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use common::{assert_close, values};
use ganc_runtime::kernels::{self, Pointwise};

const TOL: f32 = 1e-5;

fn device() -> Device {
    Device::flex().autodiff()
}

/// A tracked random tensor.
fn random<const D: usize>(shape: [usize; D], seed: u64) -> Tensor<D> {
    let device = device();
    device.seed(seed);
    Tensor::<D>::random(shape, Distribution::Normal(0.0, 1.0), &device).require_grad()
}

/// The same values, tracked separately.
fn twin<const D: usize>(t: &Tensor<D>) -> Tensor<D> {
    Tensor::from_data(t.to_data(), &device()).require_grad()
}

/// Compares the outputs, then the gradients of `sum(y · r)` with respect to each input.
fn compare<const D: usize, const N: usize>(
    what: &str,
    fused: Tensor<D>,
    generic: Tensor<D>,
    inputs: [(&str, &Tensor<N>, &Tensor<N>); 2],
    bias: Option<(&Tensor<1>, &Tensor<1>)>,
) {
    assert_close(&values(fused.clone()), &values(generic.clone()), TOL, &format!("{what}: output"));
    let r = Tensor::<D>::random(fused.dims(), Distribution::Normal(0.0, 1.0), &device());
    let (gf, gg) = ((fused * r.clone()).sum().backward(), (generic * r).sum().backward());
    for (name, a, b) in inputs {
        let (a, b) = (a.grad(&gf).expect("a gradient"), b.grad(&gg).expect("a gradient"));
        assert_close(&values(a), &values(b), TOL, &format!("{what}: gradient of {name}"));
    }
    if let Some((a, b)) = bias {
        let (a, b) = (a.grad(&gf).expect("a gradient"), b.grad(&gg).expect("a gradient"));
        assert_close(&values(a), &values(b), TOL, &format!("{what}: gradient of the bias"));
    }
}

#[test]
fn the_fused_path_is_on() {
    assert!(
        std::env::var("GANC_KERNELS").map_or(true, |v| v != "burn"),
        "GANC_KERNELS=burn is set: these tests would compare burn with itself"
    );
}

/// (batch, in, height, width, out, kernel, stride, padding (begin, end) per axis, dilation, groups)
type ConvCase = (usize, usize, usize, usize, usize, [usize; 2], [usize; 2], [(usize, usize); 2], [usize; 2], usize);

#[test]
fn convolution_equals_burns_forward_and_backward() {
    let cases: [ConvCase; 9] = [
        (2, 3, 7, 9, 4, [3, 3], [1, 1], [(1, 1), (1, 1)], [1, 1], 1),
        (3, 4, 8, 8, 6, [4, 4], [2, 2], [(1, 1), (1, 1)], [1, 1], 2),
        (1, 2, 11, 6, 3, [3, 2], [3, 2], [(0, 0), (2, 2)], [2, 1], 1),
        (2, 6, 5, 5, 6, [1, 1], [1, 1], [(0, 0), (0, 0)], [1, 1], 3),
        (2, 2, 9, 7, 5, [3, 3], [2, 1], [(1, 0), (0, 2)], [1, 2], 1),
        (4, 1, 28, 28, 8, [4, 4], [2, 2], [(1, 1), (1, 1)], [1, 1], 1),
        (1, 3, 2, 3, 2, [5, 5], [1, 1], [(2, 2), (2, 2)], [1, 1], 1),
        // Channels in the tens, as oneDNN's blocked kernels (the `onednn` feature) take them.
        (2, 16, 10, 10, 32, [4, 4], [2, 2], [(1, 1), (1, 1)], [1, 1], 1),
        (2, 20, 9, 9, 24, [3, 3], [1, 1], [(1, 1), (1, 1)], [1, 1], 4),
    ];
    for (i, (b, cin, h, w, cout, k, stride, padding, dilation, groups)) in cases.into_iter().enumerate() {
        for with_bias in [true, false] {
            let seed = 10 * i as u64;
            let x = random([b, cin, h, w], seed);
            let wt = random([cout, cin / groups, k[0], k[1]], seed + 1);
            let bias = with_bias.then(|| random([cout], seed + 2));
            let (x2, wt2, bias2) = (twin(&x), twin(&wt), bias.as_ref().map(twin));
            let o = ConvOptions { stride, padding, dilation, groups };
            let fused = kernels::conv2d(x.clone(), wt.clone(), bias.clone(), o.clone());
            let generic = burn::tensor::module::conv2d(x2.clone(), wt2.clone(), bias2.clone(), o);
            let what = format!("conv case {i} (bias {with_bias})");
            compare(&what, fused, generic, [("x", &x, &x2), ("w", &wt, &wt2)], bias.as_ref().zip(bias2.as_ref()));
        }
    }
}

/// (batch, in, height, width, out per group, kernel, stride, padding, output padding, dilation, groups)
type DeconvCase =
    (usize, usize, usize, usize, usize, [usize; 2], [usize; 2], [usize; 2], [usize; 2], [usize; 2], usize);

#[test]
fn transposed_convolution_equals_burns_forward_and_backward() {
    let cases: [DeconvCase; 8] = [
        (2, 4, 7, 7, 3, [4, 4], [2, 2], [1, 1], [0, 0], [1, 1], 1),
        (3, 4, 5, 6, 2, [3, 3], [1, 1], [1, 1], [0, 0], [1, 1], 2),
        (1, 3, 4, 5, 2, [3, 2], [3, 2], [0, 1], [2, 1], [1, 1], 1),
        (2, 2, 6, 3, 3, [3, 3], [2, 2], [2, 0], [1, 0], [2, 1], 1),
        (2, 6, 3, 3, 1, [1, 1], [1, 1], [0, 0], [0, 0], [1, 1], 3),
        (4, 8, 14, 14, 1, [4, 4], [2, 2], [1, 1], [0, 0], [1, 1], 1),
        (2, 32, 5, 5, 16, [4, 4], [2, 2], [1, 1], [0, 0], [1, 1], 1),
        (2, 24, 6, 6, 5, [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], 4),
    ];
    for (i, (b, cin, h, w, per_group, k, stride, padding, padding_out, dilation, groups)) in
        cases.into_iter().enumerate()
    {
        for with_bias in [true, false] {
            let seed = 100 + 10 * i as u64;
            let x = random([b, cin, h, w], seed);
            let wt = random([cin, per_group, k[0], k[1]], seed + 1);
            let bias = with_bias.then(|| random([per_group * groups], seed + 2));
            let (x2, wt2, bias2) = (twin(&x), twin(&wt), bias.as_ref().map(twin));
            let o = ConvTransposeOptions { stride, padding, padding_out, dilation, groups };
            let fused = kernels::conv_transpose2d(x.clone(), wt.clone(), bias.clone(), o.clone());
            let generic = burn::tensor::module::conv_transpose2d(x2.clone(), wt2.clone(), bias2.clone(), o);
            let what = format!("deconv case {i} (bias {with_bias})");
            compare(&what, fused, generic, [("x", &x, &x2), ("w", &wt, &wt2)], bias.as_ref().zip(bias2.as_ref()));
        }
    }
}

/// Batch norm of an input of rank `D`: output, statistics and the three gradients.
fn batch_norm_case<const D: usize>(shape: [usize; D], seed: u64) {
    let c = shape[1];
    let (x, gamma, beta) = (random(shape, seed), random([c], seed + 1), random([c], seed + 2));
    let (x2, gamma2, beta2) = (twin(&x), twin(&gamma), twin(&beta));
    let (y, mean, var) = kernels::batch_norm_train(x.clone(), gamma.clone(), beta.clone(), 1e-5);
    let reference = burn::tensor::module::batch_norm_train(x2.clone(), gamma2.clone(), beta2.clone(), 1e-5);
    let what = format!("batch norm {shape:?}");
    assert_close(&values(mean), &values(reference.mean), TOL, &format!("{what}: mean"));
    assert_close(&values(var), &values(reference.variance), TOL, &format!("{what}: variance"));
    let r = Tensor::<D>::random(shape, Distribution::Normal(0.0, 1.0), &device());
    assert_close(&values(y.clone()), &values(reference.output.clone()), TOL, &format!("{what}: output"));
    let (gf, gg) = ((y * r.clone()).sum().backward(), (reference.output * r).sum().backward());
    assert_close(&values(x.grad(&gf).unwrap()), &values(x2.grad(&gg).unwrap()), TOL, &format!("{what}: dx"));
    assert_close(
        &values(gamma.grad(&gf).unwrap()),
        &values(gamma2.grad(&gg).unwrap()),
        TOL,
        &format!("{what}: dgamma"),
    );
    assert_close(&values(beta.grad(&gf).unwrap()), &values(beta2.grad(&gg).unwrap()), TOL, &format!("{what}: dbeta"));
}

#[test]
fn batch_norm_equals_burns_statistics_output_and_gradients() {
    batch_norm_case([4, 3, 5, 5], 1);
    batch_norm_case([6, 7], 2);
    batch_norm_case([2, 5, 3], 3);
    batch_norm_case([64, 16, 7, 7], 4);
}

/// Far from zero (a mean 500 times the spread), burn's f32 sums lose the digits that matter, so
/// the reference is computed in f64: statistics from one sweep must not cancel.
#[test]
fn batch_norm_far_from_zero_equals_an_f64_reference() {
    let ([b, c, p], eps) = ([32, 8, 25], 1e-5);
    let x = random([b, c, 5, 5], 6) * 0.1 + 50.0;
    let (y, mean, var) =
        kernels::batch_norm_train(x.clone(), Tensor::ones([c], &device()), Tensor::zeros([c], &device()), eps);
    let xs: Vec<f64> = values(x).iter().map(|&v| v as f64).collect();
    let at = |n: usize, ch: usize, i: usize| xs[(n * c + ch) * p + i];
    let mut want = (vec![0.0; c], vec![0.0; c], vec![0.0; xs.len()]);
    for ch in 0..c {
        let all: Vec<f64> = (0..b).flat_map(|n| (0..p).map(move |i| (n, i))).map(|(n, i)| at(n, ch, i)).collect();
        let m = all.iter().sum::<f64>() / all.len() as f64;
        let v = all.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / all.len() as f64;
        (want.0[ch], want.1[ch]) = (m, v);
        for n in 0..b {
            for i in 0..p {
                want.2[(n * c + ch) * p + i] = (at(n, ch, i) - m) / (v + eps).sqrt();
            }
        }
    }
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
    assert_close(&values(mean), &f32s(&want.0), 1e-6, "mean");
    assert_close(&values(var), &f32s(&want.1), TOL, "variance");
    assert_close(&values(y), &f32s(&want.2), TOL, "output");
}

#[test]
fn linear_equals_burns_forward_and_backward() {
    for (i, (batch, inputs, outputs, with_bias)) in
        [(5, 7, 3, true), (64, 100, 37, true), (3, 9, 1, false)].into_iter().enumerate()
    {
        let seed = 100 + 3 * i as u64;
        let (x, w, b) =
            (random([batch, inputs], seed), random([inputs, outputs], seed + 1), random([outputs], seed + 2));
        let (x2, w2, b2) = (twin(&x), twin(&w), twin(&b));
        let bias = with_bias.then_some((&b, &b2));
        let fused = kernels::linear(x.clone(), w.clone(), with_bias.then(|| b.clone()));
        let generic = burn::tensor::module::linear(x2.clone(), w2.clone(), with_bias.then(|| b2.clone()));
        let what = format!("linear {batch}x{inputs} -> {outputs}");
        compare(&what, fused, generic, [("x", &x, &x2), ("weight", &w, &w2)], bias);
    }
}

#[test]
fn activations_equal_burns_with_their_gradients_at_zero() {
    let device = device();
    // Exact zeros, small and large magnitudes (tanh saturates beyond 7.9), both signs.
    let data: Vec<f32> = (0..120).map(|i| (((i * 37) % 23) as f32 - 11.0) * [1e-5, 0.3, 1.0, 2.5][i % 4]).collect();
    for (f, name) in [(Pointwise::Relu, "relu"), (Pointwise::LeakyRelu(0.2), "leaky_relu"), (Pointwise::Tanh, "tanh")] {
        let x = Tensor::<1>::from_floats(data.as_slice(), &device).reshape([3, 8, 5]).require_grad();
        let x2 = twin(&x);
        let fused = kernels::activation(x.clone(), f);
        let generic = match f {
            Pointwise::Relu => burn::tensor::activation::relu(x2.clone()),
            Pointwise::LeakyRelu(slope) => burn::tensor::activation::leaky_relu(x2.clone(), slope),
            Pointwise::Tanh => burn::tensor::activation::tanh(x2.clone()),
        };
        assert!(values(x.clone()).contains(&0.0), "the input holds exact zeros");
        compare(name, fused, generic, [("x", &x, &x2), ("x", &x, &x2)], None);
    }
}

#[test]
fn without_autodiff_and_on_ndarray_the_functions_agree() {
    let o = ConvOptions { stride: [2, 2], padding: [(1, 1), (1, 1)], dilation: [1, 1], groups: 1 };
    let on = |device: Device| {
        device.seed(7);
        let x = Tensor::<4>::random([2, 3, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let w = Tensor::<4>::random([5, 3, 4, 4], Distribution::Normal(0.0, 1.0), &device);
        (
            values(kernels::conv2d(x.clone(), w.clone(), None, o.clone())),
            values(burn::tensor::module::conv2d(x, w, None, o.clone())),
        )
    };
    let (fused, generic) = on(Device::flex());
    assert_close(&fused, &generic, TOL, "flex without autodiff");
    #[allow(deprecated)]
    let (a, b) = on(Device::ndarray());
    assert_eq!(a, b, "ndarray takes burn's path");
}

/// ganc's Adam equals burn's to the bit, from the first step on (a weight large enough to be
/// split between threads), and each loads the state the other saved.
#[test]
fn fused_adam_equals_burns_to_the_bit_and_shares_its_state() {
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
    use ganc_runtime::fused_adam::FusedAdam;
    let device = device();
    device.seed(11);
    let model = LinearConfig::new(200, 210).init(&device);
    let adam = |fused: bool| match fused {
        true => FusedAdam::init((0.5, 0.999), 1e-8, 0.0),
        false => AdamConfig::new().with_beta_1(0.5).with_beta_2(0.999).with_epsilon(1e-8).init(),
    };
    // Inputs from a formula, not the device's generator, which the tests running beside this one
    // draw from too.
    let step = |opt: &mut ModuleOptimizer, m: Linear, seed: u64| {
        let values: Vec<f32> = (0..8 * 200).map(|i| ((i as f32 + 1.0) * (seed as f32 + 1.3)).sin()).collect();
        let x = Tensor::<2>::from_data(TensorData::new(values, [8, 200]), &device);
        let grads = GradientsParams::from_grads(m.forward(x).powi_scalar(2).sum().backward(), &m);
        opt.step(1e-2, m, grads)
    };
    let weights =
        |m: &Linear| [values(m.weight.val().flatten::<1>(0, 1)), values(m.bias.as_ref().unwrap().val())].concat();
    let (mut fused, mut generic) = (adam(true), adam(false));
    let (mut a, mut b) = (model.clone(), model);
    for seed in 0..4 {
        (a, b) = (step(&mut fused, a, seed), step(&mut generic, b, seed));
        assert_eq!(weights(&a), weights(&b), "step {seed}");
    }
    let dir = std::env::temp_dir().join(format!("ganc-adam-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    fused.save(dir.join("fused.bpk")).unwrap();
    generic.save(dir.join("burn.bpk")).unwrap();
    let mut fused = adam(true).load(dir.join("burn.bpk")).unwrap();
    let mut generic = adam(false).load(dir.join("fused.bpk")).unwrap();
    let (a, b) = (step(&mut fused, a, 9), step(&mut generic, b, 9));
    assert_eq!(weights(&a), weights(&b), "after swapping the saved states");
    std::fs::remove_dir_all(&dir).unwrap();
}
