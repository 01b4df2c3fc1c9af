//! Per-layer timings at the DCGAN's shapes (batch 64, `models/dcgan_mnist.gan`): each layer's
//! forward pass, input gradient and weight gradient, on ganc's fused flex kernels and on burn's
//! generic operations, in milliseconds (the fastest of the repetitions: on a shared VM noise
//! only ever adds time). `scripts/bench_layers.py` times the same layers in PyTorch;
//! `scripts/bench_layers.sh` runs both side by side.
//!
//!   cargo bench -p ganc --bench layers [-- REPS] [-- NAME]   (NAME: only layers whose name holds it)

use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};
use ganc_runtime::kernels::{self, Pointwise};
use std::time::Instant;

/// One layer: its name and a function of (input, weight, fused?) to a scalar to differentiate.
struct Case {
    name: &'static str,
    input: Vec<usize>,
    weight: Vec<usize>,
    run: fn(Tensor<4>, Tensor<4>, bool) -> Tensor<4>,
}

fn conv(x: Tensor<4>, w: Tensor<4>, fused: bool) -> Tensor<4> {
    let o = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
    if fused {
        kernels::conv2d(x, w, None, o)
    } else {
        burn::tensor::module::conv2d(x, w, None, o)
    }
}

fn deconv(x: Tensor<4>, w: Tensor<4>, fused: bool) -> Tensor<4> {
    let o = ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1);
    if fused {
        kernels::conv_transpose2d(x, w, None, o)
    } else {
        burn::tensor::module::conv_transpose2d(x, w, None, o)
    }
}

/// Batch norm with gamma = the weight's first row, beta = its second.
fn batchnorm(x: Tensor<4>, w: Tensor<4>, fused: bool) -> Tensor<4> {
    let c = x.dims()[1];
    let gamma = w.clone().narrow(0, 0, 1).reshape([c]);
    let beta = w.narrow(0, 1, 1).reshape([c]);
    if fused {
        kernels::batch_norm_train(x, gamma, beta, 1e-5).0
    } else {
        burn::tensor::module::batch_norm_train(x, gamma, beta, 1e-5).output
    }
}

/// An activation; the weight is unused (its gradient is skipped).
fn pointwise(f: Pointwise, x: Tensor<4>, fused: bool) -> Tensor<4> {
    if fused {
        return kernels::activation(x, f);
    }
    match f {
        Pointwise::Relu => burn::tensor::activation::relu(x),
        Pointwise::LeakyRelu(slope) => burn::tensor::activation::leaky_relu(x, slope),
        Pointwise::Tanh => burn::tensor::activation::tanh(x),
    }
}

/// A linear layer `[B, in] · [in, out]` (the 4-D tensors hold it as `[B, in, 1, 1]`, `[in, out, 1, 1]`).
fn linear(x: Tensor<4>, w: Tensor<4>, fused: bool) -> Tensor<4> {
    let [b, i, _, _] = x.dims();
    let o = w.dims()[1];
    let (x, w) = (x.reshape([b, i]), w.reshape([i, o]));
    let y = if fused { kernels::linear(x, w, None) } else { burn::tensor::module::linear(x, w, None) };
    y.reshape([b, o, 1, 1])
}

/// Milliseconds per call of `f`, the fastest of `reps` after one warm-up.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

/// (forward, input gradient, weight gradient) in ms: the gradients are forward + backward with
/// only that input tracked, less the forward.
fn measure(case: &Case, fused: bool, reps: usize) -> [f64; 3] {
    let (plain, ad) = (Device::flex(), Device::flex().autodiff());
    let x = Tensor::<4>::random(case.input.clone(), Distribution::Normal(0.0, 1.0), &plain);
    let w = Tensor::<4>::random(case.weight.clone(), Distribution::Normal(0.0, 0.05), &plain);
    let forward = time(reps, || {
        let _ = (case.run)(x.clone(), w.clone(), fused).into_data();
    });
    let backward = |track_x: bool| {
        time(reps, || {
            let xa = Tensor::<4>::from_data(x.to_data(), &ad);
            let wa = Tensor::<4>::from_data(w.to_data(), &ad);
            let (xa, wa) = if track_x { (xa.require_grad(), wa) } else { (xa, wa.require_grad()) };
            let y = (case.run)(xa.clone(), wa.clone(), fused);
            let grads = (y.clone() * y).sum().backward();
            let g = if track_x { xa.grad(&grads) } else { wa.grad(&grads) };
            let _ = g.map(|g| g.into_data());
        }) - forward
    };
    let weightless = case.weight.iter().product::<usize>() == 1;
    let weight_grad = if weightless { f64::NAN } else { backward(false) };
    [forward, backward(true), weight_grad]
}

fn main() {
    // As `ganc train` runs its kernels.
    ganc_runtime::threads::join_global_pool();
    ganc_runtime::memory::retain_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let reps = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20);
    let only = args.iter().find(|a| a.parse::<usize>().is_err());
    let cases = [
        Case { name: "D conv 1->64, 28->14", input: vec![64, 1, 28, 28], weight: vec![64, 1, 4, 4], run: conv },
        Case { name: "D conv 64->128, 14->7", input: vec![64, 64, 14, 14], weight: vec![128, 64, 4, 4], run: conv },
        Case { name: "G deconv 128->64, 7->14", input: vec![64, 128, 7, 7], weight: vec![128, 64, 4, 4], run: deconv },
        Case { name: "G deconv 64->1, 14->28", input: vec![64, 64, 14, 14], weight: vec![64, 1, 4, 4], run: deconv },
        Case { name: "D batchnorm 128x7x7", input: vec![64, 128, 7, 7], weight: vec![2, 128, 1, 1], run: batchnorm },
        Case { name: "G batchnorm 64x14x14", input: vec![64, 64, 14, 14], weight: vec![2, 64, 1, 1], run: batchnorm },
        Case { name: "G batchnorm1d 6272", input: vec![64, 6272, 1, 1], weight: vec![2, 6272, 1, 1], run: batchnorm },
        Case {
            name: "leaky_relu 64x14x14",
            input: vec![64, 64, 14, 14],
            weight: vec![1; 4],
            run: |x, _, f| pointwise(Pointwise::LeakyRelu(0.2), x, f),
        },
        Case {
            name: "leaky_relu 128x7x7",
            input: vec![64, 128, 7, 7],
            weight: vec![1; 4],
            run: |x, _, f| pointwise(Pointwise::LeakyRelu(0.2), x, f),
        },
        Case {
            name: "G relu 64x14x14",
            input: vec![64, 64, 14, 14],
            weight: vec![1; 4],
            run: |x, _, f| pointwise(Pointwise::Relu, x, f),
        },
        Case {
            name: "G tanh 1x28x28",
            input: vec![64, 1, 28, 28],
            weight: vec![1; 4],
            run: |x, _, f| pointwise(Pointwise::Tanh, x, f),
        },
        Case { name: "G linear 100->6272", input: vec![64, 100, 1, 1], weight: vec![100, 6272, 1, 1], run: linear },
        Case { name: "D linear 6272->1", input: vec![64, 6272, 1, 1], weight: vec![6272, 1, 1, 1], run: linear },
    ];
    println!("| layer (batch 64) | pass | ganc ms | burn ms |");
    println!("| --- | --- | ---: | ---: |");
    for case in cases.iter().filter(|c| only.is_none_or(|o| c.name.contains(o.as_str()))) {
        let (g, b) = (measure(case, true, reps), measure(case, false, reps));
        for (i, pass) in ["forward", "input grad", "weight grad"].iter().enumerate() {
            if g[i].is_finite() {
                println!("| {} | {pass} | {:.3} | {:.3} |", case.name, g[i], b[i]);
            }
        }
    }
}
