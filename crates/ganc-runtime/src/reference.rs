//! The reference batch of a network with `virtual_batchnorm` layers (Salimans et al. 2016):
//! drawn once per run from the network's own inputs, held in the network's record (so every
//! checkpoint keeps it and a resumed run or `ganc sample` uses the same one), and run ahead of
//! every batch, its rows stripped from what the network gives back.

use crate::inputs::{self, Stream};
use crate::layers::Layer;
use crate::network::{for_each_layer_mut, Net, Node};
use crate::plan::Latent;
use crate::value::Value;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

/// The reference inputs, one `[R, n]` tensor per network input (labels as floats, images
/// flattened). They are constants: the forward pass detaches them, so no optimizer moves them.
#[derive(Module, Debug)]
pub struct Reference {
    /// Per network input, in order.
    pub inputs: Vec<Param<Tensor<2>>>,
}

impl Reference {
    /// The number of reference rows.
    pub fn rows(&self) -> usize {
        self.inputs.first().map_or(0, |t| t.val().dims()[0])
    }
}

/// Every `virtual_batchnorm` layer of `nodes`.
fn virtual_norms(nodes: &mut [Node], visit: &mut impl FnMut(&mut crate::layers::VirtualBatchNorm)) {
    for_each_layer_mut(nodes, &mut |layer| {
        if let Layer::VirtualBatchNorm(v) = layer {
            visit(v)
        }
    });
}

impl Net {
    /// The size of the reference batch its `virtual_batchnorm` layers ask for (the largest
    /// `reference`), or `None` without such layers.
    pub fn wants_reference(&mut self) -> Option<usize> {
        let mut most = None;
        virtual_norms(&mut self.body, &mut |v| most = Some(most.unwrap_or(0).max(v.reference)));
        most
    }

    /// Gives the network its reference batch, one value per input with the same rows.
    pub fn set_reference(&mut self, inputs: Vec<Value>) {
        let reference = Reference { inputs: inputs.into_iter().map(|v| Param::from_tensor(v.flat())).collect() };
        let rows = reference.rows();
        virtual_norms(&mut self.body, &mut |v| v.rows = rows);
        self.reference = Some(reference);
    }

    /// Draws the reference batch from the network's inputs `latents` (`seed`, its own stream),
    /// when it has `virtual_batchnorm` layers.
    pub fn draw_reference(&mut self, latents: &[(String, Latent)], seed: u64, device: &Device) {
        let Some(rows) = self.wants_reference() else { return };
        let mut rng = inputs::rng(seed, Stream::Reference, 0);
        let values = latents.iter().map(|(_, l)| inputs::draw(l, rows, &mut rng, None, device)).collect();
        self.set_reference(values);
    }

    /// `inputs` with the reference rows ahead of each.
    pub(crate) fn with_reference(&self, inputs: Vec<Value>) -> Vec<Value> {
        let Some(reference) = &self.reference else { return inputs };
        let rows = reference.rows();
        inputs
            .into_iter()
            .zip(&reference.inputs)
            .map(|(value, r)| {
                let r = r.val().detach();
                match value {
                    Value::Labels(y) => Value::Labels(Tensor::cat(vec![r.int().reshape([rows]), y], 0)),
                    Value::Image(x) => {
                        let [_, c, h, w] = x.dims();
                        Value::Image(Tensor::cat(vec![r.reshape([rows, c, h, w]), x], 0))
                    }
                    Value::Flat(x) => Value::Flat(Tensor::cat(vec![r, x], 0)),
                    // Only G's stages are stacked, and G's inputs are latents and conditions.
                    stacked @ Value::Stacked(_) => stacked,
                }
            })
            .collect()
    }

    /// `value` without the reference rows ahead of it.
    pub(crate) fn strip(&self, value: Value) -> Value {
        let Some(rows) = self.reference.as_ref().map(Reference::rows) else { return value };
        let n = value.batch() - rows;
        match value {
            Value::Flat(t) => Value::Flat(t.narrow(0, rows, n)),
            Value::Image(t) => Value::Image(t.narrow(0, rows, n)),
            Value::Labels(t) => Value::Labels(t.narrow(0, rows, n)),
            Value::Stacked(s) => Value::Stacked(s.into_iter().map(|t| t.narrow(0, rows, n)).collect()),
        }
    }
}
