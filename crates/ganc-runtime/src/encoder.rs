//! BiGAN's encoder measured on held-out data (Donahue et al. 2017): how closely G(E(x))
//! reconstructs x, and how well a linear classifier reads the class of x from the code E(x).

use crate::growth::Growth;
use crate::inputs;
use crate::layers::Ctx;
use crate::network::Net;
use crate::value::Value;
use burn::module::Module;
use burn::tensor::Device;
use ganc_data::Data;

/// Images per forward pass.
const CHUNK: usize = 500;

/// Images of the training split whose codes fit the linear classifier.
pub const PROBE_TRAIN: usize = 10_000;

fn eval_ctx() -> Ctx {
    Ctx { step: u64::MAX, training: false, growth: Growth::FULL }
}

/// Calls `f` on each chunk of the first `n` images of `data`, as a value on `device`, with
/// their labels.
fn chunks(data: &Data, n: usize, device: &Device, mut f: impl FnMut(Value, Option<Vec<u32>>)) {
    let (dims, len) = (data.dims(), data.len().unwrap_or(0).min(n));
    for start in (0..len).step_by(CHUNK) {
        let batch = data.slice(start, CHUNK.min(len - start));
        f(inputs::samples(batch.x, batch.n, &dims, device), batch.labels);
    }
}

/// The mean squared error per pixel between `test`'s images x and G(E(x)) (pixels in the
/// data's range), networks evaluated without dropout or noise; `g`'s inputs are the encoder's
/// code alone.
pub fn reconstruction_error(g: &Net, e: &Net, test: &Data, device: &Device) -> f64 {
    let device = device.clone().without_autodiff();
    let (g, e, ctx) = (g.valid(), e.valid(), eval_ctx());
    let (mut sum, mut count) = (0.0, 0usize);
    chunks(test, usize::MAX, &device, |x, _| {
        let code = e.forward(vec![x.clone()], &ctx);
        let back = g.forward(vec![code], &ctx).flat();
        let x = x.flat();
        count += x.dims().iter().product::<usize>();
        sum += (back - x).powi_scalar(2).sum().into_scalar::<f32>() as f64;
    });
    sum / count.max(1) as f64
}

/// The codes E(x) of the first `n` images of `data`, row-major, their width, and the labels.
fn codes(e: &Net, data: &Data, n: usize, device: &Device) -> (Vec<f32>, usize, Vec<u8>) {
    let ctx = eval_ctx();
    let (mut features, mut labels, mut width) = (Vec::new(), Vec::new(), 0);
    chunks(data, n, device, |x, l| {
        let code = e.forward(vec![x], &ctx).flat();
        width = code.dims()[1];
        features.extend(code.into_data().try_into_vec::<f32>().unwrap_or_default());
        labels.extend(l.unwrap_or_default().into_iter().map(|c| c.min(255) as u8));
    });
    (features, width, labels)
}

/// The test accuracy of a linear classifier (ridge least squares) fitted to the codes of the
/// first [`PROBE_TRAIN`] training images and their labels, on the codes of `test`; NaN when the
/// data has no labels.
pub fn linear_probe(e: &Net, train: &Data, test: &Data, classes: usize, device: &Device) -> f64 {
    let device = device.clone().without_autodiff();
    let e = e.valid();
    let (train_x, dim, train_y) = codes(&e, train, PROBE_TRAIN, &device);
    let (test_x, _, test_y) = codes(&e, test, usize::MAX, &device);
    let set = |features, labels| ganc_metrics::linear_probe::Labelled { features, labels, dim };
    ganc_metrics::linear_probe::linear_probe(&set(&train_x, &train_y), &set(&test_x, &test_y), classes, 1e-3)
        .map_or(f64::NAN, |p| p.accuracy)
}
