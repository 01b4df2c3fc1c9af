//! An encoder measured on held-out data: how closely G(E(x)) reconstructs x and how well a
//! linear classifier reads the class of x from the code E(x) (BiGAN, Donahue et al. 2017), and
//! AVB's evidence lower bound (Mescheder et al. 2017).

use crate::growth::Growth;
use crate::inputs;
use crate::layers::Ctx;
use crate::network::Net;
use crate::plan::Latent;
use crate::value::Value;
use burn::module::Module;
use burn::tensor::Device;
use ganc_data::Data;

/// Images of the training split whose codes fit the linear classifier.
pub const PROBE_TRAIN: usize = 10_000;

fn eval_ctx() -> Ctx {
    Ctx { step: u64::MAX, training: false, growth: Growth::FULL }
}

/// An encoder evaluated on held-out data: its network, and how its noise is drawn (a
/// stochastic encoder's input after the data; seeded, so that measurements repeat).
pub struct Encoder<'a> {
    /// The encoder.
    pub net: &'a Net,
    /// Its noise, when it takes any.
    pub noise: Option<&'a Latent>,
    /// The seed of the noise.
    pub seed: u64,
}

impl Encoder<'_> {
    /// The codes of `x` (on `device`, without autodiff) by `e`, the encoder in evaluation mode.
    fn encode(&self, e: &Net, x: Value, chunk: u64, device: &Device) -> Value {
        let mut ins = vec![x];
        if let Some(noise) = self.noise {
            let mut rng = inputs::rng(self.seed, inputs::Stream::EncoderNoise, chunk);
            ins.push(inputs::draw(noise, ins[0].batch(), &mut rng, None, device));
        }
        e.forward(ins, &eval_ctx())
    }
}

/// The mean squared error per pixel between `test`'s images x and G(E(x)) (pixels in the
/// data's range), networks evaluated without dropout or noise; `g`'s inputs are the encoder's
/// code alone.
pub fn reconstruction_error(g: &Net, encoder: &Encoder, test: &Data, device: &Device) -> f64 {
    let device = device.clone().without_autodiff();
    let (g, e, ctx) = (g.valid(), encoder.net.valid(), eval_ctx());
    let (mut sum, mut count, mut chunk) = (0.0, 0usize, 0);
    inputs::in_chunks(test, usize::MAX, &device, |x, _| {
        let code = encoder.encode(&e, x.clone(), chunk, &device);
        chunk += 1;
        let back = g.forward(vec![code], &ctx).flat();
        let x = x.flat();
        count += x.dims().iter().product::<usize>();
        sum += (back - x).powi_scalar(2).sum().into_scalar::<f32>() as f64;
    });
    sum / count.max(1) as f64
}

/// The codes E(x) of the first `n` images of `data`, row-major, their width, and the labels.
fn codes(encoder: &Encoder, e: &Net, data: &Data, n: usize, device: &Device) -> (Vec<f32>, usize, Vec<u8>) {
    let (mut features, mut labels, mut width, mut chunk) = (Vec::new(), Vec::new(), 0, 0);
    inputs::in_chunks(data, n, device, |x, l| {
        let code = encoder.encode(e, x, chunk, device).flat();
        chunk += 1;
        width = code.dims()[1];
        features.extend(code.into_data().try_into_vec::<f32>().unwrap_or_default());
        labels.extend(l.unwrap_or_default().into_iter().map(|c| c.min(255) as u8));
    });
    (features, width, labels)
}

/// The test accuracy of a linear classifier (ridge least squares) fitted to the codes of the
/// first [`PROBE_TRAIN`] training images and their labels, on the codes of `test`; NaN when the
/// data has no labels.
pub fn linear_probe(encoder: &Encoder, train: &Data, test: &Data, classes: usize, device: &Device) -> f64 {
    let device = device.clone().without_autodiff();
    let e = encoder.net.valid();
    let (train_x, dim, train_y) = codes(encoder, &e, train, PROBE_TRAIN, &device);
    let (test_x, _, test_y) = codes(encoder, &e, test, usize::MAX, &device);
    let set = |features, labels| ganc_metrics::linear_probe::Labelled { features, labels, dim };
    ganc_metrics::linear_probe::linear_probe(&set(&train_x, &train_y), &set(&test_x, &test_y), classes, 1e-3)
        .map_or(f64::NAN, |p| p.accuracy)
}

/// AVB's evidence lower bound on `test`, in nats per image: the mean of `log p(x|z) - D(x, z)`
/// for one z = E(x, noise) per image, with the Gaussian likelihood of std `sigma` per pixel,
/// `log p(x|z) = -‖x - G(z)‖² / 2σ² - (n/2) log(2πσ²)` over the image's n values, and D's
/// logit as the estimate of `log q(z|x) - log p(z)`.
pub fn elbo(g: &Net, encoder: &Encoder, d: &Net, test: &Data, sigma: f64, device: &Device) -> f64 {
    let device = device.clone().without_autodiff();
    let (g, e, d, ctx) = (g.valid(), encoder.net.valid(), d.valid(), eval_ctx());
    let (mut sum, mut images, mut chunk) = (0.0, 0usize, 0);
    inputs::in_chunks(test, usize::MAX, &device, |x, _| {
        let code = encoder.encode(&e, x.clone(), chunk, &device);
        chunk += 1;
        let kl = d.forward(vec![x.clone(), code.clone()], &ctx).flat().sum().into_scalar::<f32>() as f64;
        let back = g.forward(vec![code], &ctx).flat();
        let x = x.flat();
        let [n, values] = x.dims();
        let squares = (back - x).powi_scalar(2).sum().into_scalar::<f32>() as f64;
        let normalizer = 0.5 * values as f64 * (2.0 * std::f64::consts::PI * sigma * sigma).ln();
        sum += -squares / (2.0 * sigma * sigma) - n as f64 * normalizer - kl;
        images += n;
    });
    sum / images.max(1) as f64
}

/// Images per row of the reconstruction grid ([`reconstructions`]).
pub const RECONSTRUCTION_COLUMNS: usize = 8;

/// The first `4 × 8` images of `data` and their reconstructions G(E(x)), in rows of 8 that
/// alternate: a row of originals, then the row of their reconstructions (pixel values, row-major
/// per image, for [`crate::images::grid_with_columns`]).
pub fn reconstructions(g: &Net, encoder: &Encoder, data: &Data, device: &Device) -> Vec<f32> {
    let device = device.clone().without_autodiff();
    let (g, e) = (g.valid(), encoder.net.valid());
    let cols = RECONSTRUCTION_COLUMNS;
    let batch = data.slice(0, 4 * cols);
    let x = inputs::samples(batch.x.clone(), batch.n, &data.dims(), &device);
    let code = encoder.encode(&e, x, 0, &device);
    let back = g.forward(vec![code], &eval_ctx()).flat().into_data().try_into_vec::<f32>().unwrap_or_default();
    let size = batch.x.len() / batch.n.max(1);
    let mut out = Vec::with_capacity(2 * batch.x.len());
    for (original, rebuilt) in batch.x.chunks(cols * size).zip(back.chunks(cols * size)) {
        out.extend_from_slice(original);
        out.extend_from_slice(rebuilt);
    }
    out
}
