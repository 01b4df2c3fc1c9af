//! `pixelnorm` and `minibatch_stddev` (Karras et al. 2017): their defining properties, their
//! input-gradient products equal to burn's autodiff gradient of the forward pass (over the
//! whole batch for the group statistics), and a WGAN-GP critic holding both trains.

mod common;

use common::{assert_close, model, serial, value_vec};
use ganc_runtime::burn::tensor::{Device, Distribution, Tensor};
use ganc_runtime::growth::Growth;
use ganc_runtime::input_grad::output_and_input_grad;
use ganc_runtime::layers::{Ctx, Differentiable, MinibatchStddev, PixelNorm};
use ganc_runtime::value::Value;

const CTX: Ctx = Ctx { step: 0, training: true, growth: Growth::FULL };

fn image(n: usize, c: usize, s: usize, device: &Device) -> Value {
    Value::Image(Tensor::random([n, c, s, s], Distribution::Normal(0.0, 1.5), device))
}

/// A critic on MNIST-sized images holding `body`.
fn critic(body: &str) -> ganc_runtime::network::Net {
    let m = model(&format!(
        "data mnist(split: test)\nlatent z ~ normal(4)\n\
         generator G(z) -> image {{ linear(784) reshape(1, 28, 28) tanh }}\n\
         discriminator D(image) -> logit {{ {body} }}\nloss wasserstein\n\
         regularize D {{ gradient_penalty(weight: 10, center: 1, at: interpolates) }}\n"
    ));
    let device = Device::flex().autodiff();
    ganc_runtime::network::lower(m.network("D").unwrap(), &device).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn pixelnorm_gives_unit_rms_features_and_ignores_scale() {
    let device = Device::flex();
    let p = PixelNorm { eps: 1e-8 };
    let x = image(3, 5, 4, &device);
    let y = p.forward(x.clone(), None, &CTX).image();
    // Every pixel's feature vector has mean square 1.
    let ms = value_vec(Value::Image(y.clone().powi_scalar(2).mean_dim(1)));
    assert!(ms.iter().all(|v| (v - 1.0).abs() < 1e-4), "{ms:?}");
    // Scaling a pixel's features does not change the output.
    let scaled = p.forward(x.map(|t| t * 7.0, |t| t * 7.0), None, &CTX).image();
    assert_close(&value_vec(Value::Image(scaled)), &value_vec(Value::Image(y)), 1e-5, "scale");
}

#[test]
fn minibatch_stddev_appends_each_groups_mean_standard_deviation() {
    let device = Device::flex();
    let m = MinibatchStddev { group: 2 };
    let x = image(4, 3, 2, &device);
    let y = m.forward(x.clone(), None, &CTX).image();
    assert_eq!(y.dims(), [4, 4, 2, 2]);
    // The features pass unchanged.
    assert_close(&value_vec(Value::Image(y.clone().narrow(1, 0, 3))), &value_vec(x.clone()), 0.0, "features");
    // Groups {0, 2} and {1, 3}: the channel is that group's std (population), averaged.
    let xs = value_vec(x);
    let stat = value_vec(Value::Image(y.narrow(1, 3, 1)));
    let per = 3 * 2 * 2;
    for (sample, partner) in [(0, 2), (1, 3), (2, 0), (3, 1)] {
        let mean_std: f32 = (0..per)
            .map(|k| {
                let (a, b) = (xs[sample * per + k], xs[partner * per + k]);
                (((a - b) / 2.0).powi(2) + 1e-8).sqrt()
            })
            .sum::<f32>()
            / per as f32;
        assert!(stat[sample * 4..sample * 4 + 4].iter().all(|v| (v - mean_std).abs() < 1e-5), "sample {sample}");
    }
    // Identical samples have no spread; a batch that the group does not divide uses a divisor.
    let same = Value::Image(Tensor::ones([2, 1, 2, 2], &device));
    let y = MinibatchStddev { group: 4 }.forward(same, None, &CTX).image();
    assert!(value_vec(Value::Image(y.narrow(1, 1, 1))).iter().all(|v| v.abs() < 1e-3));
    let y = MinibatchStddev { group: 4 }.forward(image(6, 1, 2, &device), None, &CTX);
    assert_eq!(y.per_sample(), vec![2, 2, 2]);
}

#[test]
fn input_gradient_products_equal_autodiff_over_the_whole_batch() {
    let _rng = serial();
    let critics = [
        "conv(4, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) pixelnorm minibatch_stddev(group: 2) \
         conv(4, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) pixelnorm flatten linear(1)",
        "conv(3, kernel: 4, stride: 4) pixelnorm minibatch_stddev(group: 3) tanh flatten linear(8) pixelnorm linear(1)",
        "avgpool(kernel: 4) minibatch_stddev conv(2, kernel: 7) flatten linear(1)",
    ];
    for (i, body) in critics.iter().enumerate() {
        let net = critic(body);
        let device = Device::flex().autodiff();
        let x = image(6, 1, 28, &device);
        let (_, ours) = output_and_input_grad(&net, vec![x.clone()], &CTX);
        let x = x.map(|t| t.require_grad(), |t| t.require_grad());
        let grads = net.forward(vec![x.clone()], &CTX).flat().sum().backward();
        let theirs = Value::Image(x.image().grad(&grads).unwrap());
        assert_close(&value_vec(ours), &value_vec(theirs), 1e-4, &format!("critic {i}"));
    }
}
