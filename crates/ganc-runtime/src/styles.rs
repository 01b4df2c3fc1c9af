//! The style vectors of a style-based generator (Karras et al. 2019): the `let` values that
//! `adain` layers read (`let w = z { mapping(...) }`), the moving average of each over training
//! (kept in the checkpoint with the network's weights), and the truncation trick in w space,
//! `w' = w_avg + psi (w - w_avg)`, at sampling.

use crate::layers::{Ctx, Layer};
use crate::network::{for_each_layer, Net};
use crate::value::Value;
use crate::walk::{walk, Flow, Observer};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use ganc_check::ir;
use std::collections::HashMap;

/// How fast the average follows the styles of each training batch (StyleGAN's 0.995).
pub const STYLE_AVERAGE_DECAY: f64 = 0.995;

/// The moving average of one style value.
#[derive(Module, Debug)]
pub struct StyleAverage {
    /// The `let` name of the style.
    #[module(skip)]
    pub name: String,
    /// The average `[dim]`, starting at 0: not trained by the optimizer, and copied as it is
    /// to the EMA generator (a `running_` buffer, as batchnorm's statistics are).
    pub running_average: Param<Tensor<1>>,
}

/// A style average for every value an `adain` layer of `net` reads.
pub fn averages(net: &ir::Network, device: &Device) -> Vec<StyleAverage> {
    let mut out: Vec<StyleAverage> = Vec::new();
    for layer in net.layers().into_iter().filter(|l| l.name == "adain") {
        let Some((name, shape)) = &layer.second else { continue };
        let Some(&[dim]) = shape.dims() else { continue };
        if out.iter().all(|s| &s.name != name) {
            let average = Param::from_tensor(Tensor::zeros([dim.max(1) as usize], device)).set_require_grad(false);
            out.push(StyleAverage { name: name.clone(), running_average: average });
        }
    }
    out
}

impl Net {
    /// Moves each style average toward the batch mean of that style in `named` (the values of
    /// a training forward pass): `avg = beta avg + (1 - beta) mean(w)`.
    pub fn track_styles(&mut self, named: &HashMap<String, Value>, beta: f64) {
        for s in &mut self.styles {
            let Some(w) = named.get(&s.name) else { continue };
            let mean = w.clone().flat().detach().mean_dim(0);
            let [_, d] = mean.dims();
            let mean = mean.reshape([d]);
            s.running_average = s
                .running_average
                .clone()
                .map(|avg| (avg.detach().mul_scalar(beta) + mean.mul_scalar(1.0 - beta)).detach());
        }
    }

    /// Runs the network with each style pulled toward its average: `w_avg + psi (w - w_avg)`.
    pub fn forward_truncated(&self, inputs: Vec<Value>, ctx: &Ctx, psi: f64) -> Value {
        walk(self, inputs, ctx, &mut Truncate { styles: &self.styles, psi }).output.value
    }

    /// Runs the network with the `adain` layers from the `crossover`-th on (counting from 0 in
    /// the order of the walk) reading the styles of `second` instead, and returns every named
    /// value too (style mixing, Karras et al. 2019).
    pub fn forward_mixed(
        &self,
        inputs: Vec<Value>,
        ctx: &Ctx,
        second: &HashMap<String, Value>,
        crossover: usize,
    ) -> (Value, HashMap<String, Value>) {
        let mut mix = Mix { second, crossover, seen: 0 };
        let walked = walk(self, inputs, ctx, &mut mix);
        (walked.output.value, walked.named.into_iter().map(|(name, flow)| (name, flow.value)).collect())
    }

    /// How many `adain` layers the network holds.
    pub fn adain_layers(&self) -> usize {
        let mut count = 0;
        for_each_layer(&self.body, &mut |layer| count += usize::from(matches!(layer, Layer::Adain(_))));
        count
    }

    /// Whether the network reads style vectors (an `adain` layer).
    pub fn has_styles(&self) -> bool {
        !self.styles.is_empty()
    }
}

/// The forward pass, the `adain` layers from `crossover` on reading the styles of `second`.
struct Mix<'a> {
    second: &'a HashMap<String, Value>,
    crossover: usize,
    seen: usize,
}

impl Observer<'_> for Mix<'_> {
    fn layer(&mut self, layer: &Layer, input: Flow, second: Option<Flow>, _: usize, ctx: &Ctx) -> Value {
        let mut second = second.map(|s| s.value);
        if let Layer::Adain(a) = layer {
            if self.seen >= self.crossover {
                second = self.second.get(&a.style).cloned().or(second);
            }
            self.seen += 1;
        }
        layer.forward(input.value, second, ctx)
    }

    fn residual(&mut self, _: usize, _: usize, _: usize) {}

    fn blend(&mut self, _: usize, _: usize, _: f64, _: usize) {}
}

/// The forward pass, truncating every tracked style where it is bound.
struct Truncate<'a> {
    styles: &'a [StyleAverage],
    psi: f64,
}

impl Observer<'_> for Truncate<'_> {
    fn layer(&mut self, layer: &Layer, input: Flow, second: Option<Flow>, _: usize, ctx: &Ctx) -> Value {
        layer.forward(input.value, second.map(|s| s.value), ctx)
    }

    fn residual(&mut self, _: usize, _: usize, _: usize) {}

    fn blend(&mut self, _: usize, _: usize, _: f64, _: usize) {}

    fn named(&mut self, name: &str, value: Value) -> Value {
        let Some(s) = self.styles.iter().find(|s| s.name == name) else { return value };
        let w = value.flat();
        let [_, d] = w.dims();
        let avg = s.running_average.val().to_device(&w.device()).reshape([1, d]);
        Value::Flat(avg.clone() + (w - avg).mul_scalar(self.psi))
    }
}
