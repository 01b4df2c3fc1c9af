//! Image-to-image translation on paired data (pix2pix, Isola et al. 2017; pix2pixHD, Wang et
//! al. 2018): G's inputs read from held-out pairs, the `l1` metric, the grid of (input, G's
//! output, target) triplets, and pix2pixHD's feature-matching loss.

use crate::inputs;
use crate::layers::Ctx;
use crate::network::Net;
use crate::plan::Plan;
use crate::run::values;
use crate::trainer::{Draw, Trainer};
use crate::value::Value;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use ganc_data::Data;

/// Triplets per row of the pairs grid.
pub const GRID_TRIPLETS: usize = 4;

/// The inputs and targets of `n` pairs of `data` from `start` on (wrapping around): G's inputs
/// as a value, and the targets' pixels.
pub fn held_out(data: &Data, plan: &Plan, start: usize, n: usize, device: &Device) -> Option<(Value, Vec<f32>)> {
    let dims = plan.pair_shape.as_ref()?;
    let len = data.len()?.max(1);
    let (mut x, mut pairs) = (Vec::new(), Vec::new());
    let mut taken = 0;
    while taken < n {
        let from = (start + taken) % len;
        let batch = data.slice(from, (n - taken).min(len - from));
        x.extend(batch.x);
        pairs.extend(batch.pairs?);
        taken += batch.n.max(1);
    }
    Some((inputs::samples(pairs, n, dims, device), x))
}

/// G's outputs for the inputs of `data`'s pairs `start..start + n`, those inputs, and the pairs'
/// targets.
pub fn translate(
    g: &Net,
    plan: &Plan,
    data: &Data,
    start: usize,
    n: usize,
    device: &Device,
) -> Option<(Value, Value, Vec<f32>)> {
    let device = device.clone().without_autodiff();
    let (pairs, targets) = held_out(data, plan, start, n, &device)?;
    let draw = Draw { pairs: Some(pairs.clone()), ..Draw::default() };
    Some((Trainer::generate_with(g, plan, n, inputs::Stream::Fixed, start as u64, &device, &draw), pairs, targets))
}

/// The mean absolute error per pixel between G's output for each input of `test` and its target.
pub fn l1(g: &Net, plan: &Plan, test: &Data, device: &Device) -> f64 {
    let g = g.valid();
    let len = test.len().unwrap_or(0);
    let (mut sum, mut count) = (0.0, 0usize);
    for start in (0..len).step_by(500) {
        let Some((fake, _, target)) = translate(&g, plan, test, start, 500.min(len - start), device) else { break };
        let fake = values(fake);
        sum += fake.iter().zip(&target).map(|(a, b)| f64::from((a - b).abs())).sum::<f64>();
        count += target.len();
    }
    sum / count.max(1) as f64
}

/// The grid of the first pairs of `data`: rows of (input, G's output, target) triplets, an input
/// of one channel repeated to the target's channels; the input left out when its shape differs
/// otherwise. Returns the pixels, the images in it and their columns.
pub fn triplets(g: &Net, plan: &Plan, data: &Data, device: &Device) -> Option<(Vec<f32>, usize, usize)> {
    let n = 4 * GRID_TRIPLETS;
    let (fake, pairs, target) = translate(g, plan, data, 0, n, device)?;
    let (dims, pair_dims) = (&plan.data_shape, plan.pair_shape.as_ref()?);
    let size: usize = dims.iter().product();
    let input: Option<Vec<f32>> = match (pair_dims.as_slice(), dims.as_slice()) {
        (p, d) if p == d => Some(values(pairs)),
        ([1, ph, pw], [c, h, w]) if (ph, pw) == (h, w) => {
            let grey = values(pairs);
            Some(grey.chunks(ph * pw).flat_map(|plane| plane.repeat(*c)).collect())
        }
        _ => None,
    };
    let fake = values(fake);
    let mut out = Vec::new();
    for i in 0..n {
        if let Some(input) = &input {
            out.extend_from_slice(&input[i * size..(i + 1) * size]);
        }
        out.extend_from_slice(&fake[i * size..(i + 1) * size]);
        out.extend_from_slice(&target[i * size..(i + 1) * size]);
    }
    let per = if input.is_some() { 3 } else { 2 };
    Some((out, n * per, GRID_TRIPLETS * per))
}

/// pix2pixHD's feature-matching loss: the L1 distance between D's features of the real pair
/// (`real`, D's inputs) and of its fake (`fake`), after every activation, summed over the layers
/// and averaged over the scales; the real side's features carry no gradient.
pub fn feature_matching(d: &Net, real: Vec<Value>, fake: Vec<Value>, ctx: &Ctx) -> Tensor<1> {
    let (_, real) = d.activations(real, ctx);
    let (_, fake) = d.activations(fake, ctx);
    let scales = real.len().max(1) as f64;
    let mut total: Option<Tensor<1>> = None;
    for (r, f) in real.into_iter().flatten().zip(fake.into_iter().flatten()) {
        let term = (r.flat().detach() - f.flat()).abs().mean();
        total = Some(match total {
            Some(t) => t + term,
            None => term,
        });
    }
    total.map_or_else(|| Tensor::zeros([1], &ctx_device(d)), |t| t.div_scalar(scales))
}

/// The device a network's weights live on.
fn ctx_device(net: &Net) -> Device {
    net.devices().into_iter().next().unwrap_or_default()
}
