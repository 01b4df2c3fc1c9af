//! Multi-scale discriminators (pix2pixHD, Wang et al. 2018): one network per scale, each with
//! its own weights, the `k`-th reading the image inputs average-pooled 2x2 `k` times; and the
//! features after each activation that pix2pixHD's feature-matching loss compares.

use crate::layers::{AvgPool, Ctx, Differentiable, Layer, OpKind};
use crate::network::Net;
use crate::value::Value;
use crate::walk::{walk, Flow, Observer};
use burn::tensor::Tensor;

/// The inputs of scale `k`: a stacked generator's images of the `k`-th stage from the top
/// (StackGAN++), other image inputs average-pooled 2x2 `k` times (labels and vectors as they
/// are).
pub(crate) fn pooled(inputs: &[Value], k: usize, ctx: &Ctx) -> Vec<Value> {
    inputs
        .iter()
        .map(|v| match v {
            Value::Stacked(stages) => Value::Image(stages[k].clone()),
            Value::Image(_) if k > 0 => AvgPool(1 << k).forward(v.clone(), None, ctx),
            _ => v.clone(),
        })
        .collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The scales' outputs side by side, `[n, scales * m]`: each scale's scores (flattened) repeated
/// to the least common multiple `m` of their counts, so that a loss averaging over the columns
/// averages the scales' own mean losses, whatever their patch counts.
fn side_by_side(outputs: Vec<Value>) -> Value {
    let flat: Vec<Tensor<2>> = outputs.into_iter().map(Value::flat).collect();
    let common = flat.iter().map(|t| t.dims()[1]).fold(1, |m, c| m / gcd(m, c) * c);
    let repeated = flat.into_iter().map(|t| {
        let times = common / t.dims()[1];
        t.repeat_dim(1, times)
    });
    Value::Flat(Tensor::cat(repeated.collect(), 1))
}

/// Records the output of every activation layer.
struct Activations(Vec<Value>);

impl Observer<'_> for Activations {
    fn layer(&mut self, layer: &Layer, input: Flow, second: Option<Flow>, _: usize, ctx: &Ctx) -> Value {
        let out = layer.forward(input.value, second.map(|s| s.value), ctx);
        if matches!(layer, Layer::Op(op) if matches!(op.kind, OpKind::Activation(_))) {
            self.0.push(out.clone());
        }
        out
    }

    fn residual(&mut self, _: usize, _: usize, _: usize) {}

    fn blend(&mut self, _: usize, _: usize, _: f64, _: usize) {}
}

impl Net {
    /// Whether it is a multi-scale discriminator.
    pub fn is_multi_scale(&self) -> bool {
        !self.coarser.is_empty()
    }

    /// The network of each scale, the finest first.
    fn scale_nets(&self) -> impl Iterator<Item = &Net> {
        std::iter::once(self).chain(&self.coarser)
    }

    /// A multi-scale network's output: every scale's scores, weighted so that a mean over them
    /// is the mean of the scales' means.
    pub(crate) fn forward_scales(&self, inputs: Vec<Value>, ctx: &Ctx) -> Value {
        let outputs = self.scale_nets().enumerate().map(|(k, net)| net.forward_one(pooled(&inputs, k, ctx), ctx));
        side_by_side(outputs.collect())
    }

    /// The output, and per scale the features after each activation (pix2pixHD's feature
    /// matching compares them between a real pair and its fake).
    pub fn activations(&self, inputs: Vec<Value>, ctx: &Ctx) -> (Value, Vec<Vec<Value>>) {
        let mut outputs = Vec::new();
        let mut features = Vec::new();
        for (k, net) in self.scale_nets().enumerate() {
            let mut seen = Activations(Vec::new());
            let walked = walk(net, net.with_reference(pooled(&inputs, k, ctx)), ctx, &mut seen);
            outputs.push(net.strip(walked.output.value));
            features.push(seen.0.into_iter().map(|v| net.strip(v)).collect());
        }
        let output = match outputs.len() {
            1 => outputs.pop().expect("one scale"),
            _ => side_by_side(outputs),
        };
        (output, features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn side_by_side_weighs_every_scale_equally() {
        let device = Device::flex();
        // Scale 0: 4 scores of 1; scale 1: one score of 10.
        let a = Value::Flat(Tensor::from_data(TensorData::new(vec![1.0f32; 4], [1, 4]), &device));
        let b = Value::Flat(Tensor::from_data(TensorData::new(vec![10.0f32], [1, 1]), &device));
        let both = side_by_side(vec![a, b]).flat();
        assert_eq!(both.dims(), [1, 8]);
        let mean: f32 = both.mean().into_scalar();
        assert!((mean - 5.5).abs() < 1e-6, "{mean}");
    }

    #[test]
    fn scale_k_pools_images_2k_by_2k_and_keeps_labels() {
        let device = Device::flex();
        let x: Vec<f32> = (0..16).map(|i| i as f32).collect();
        let image = Value::Image(Tensor::from_data(TensorData::new(x, [1, 1, 4, 4]), &device));
        let labels = crate::inputs::labels(&[3], &device);
        let ctx = Ctx { step: 0, training: true, growth: crate::growth::Growth::FULL };
        let out = pooled(&[image, labels], 2, &ctx);
        let pooled = crate::run::values(out[0].clone());
        assert_eq!(pooled, vec![7.5]);
        assert!(matches!(out[1], Value::Labels(_)));
    }
}
