//! `pixel_shuffle` (Shi et al. 2016): channels moved into space, a permutation of the elements.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::tensor::Tensor;

/// `pixel_shuffle(factor)`: `[C f f, H, W] -> [C, H f, W f]`, input channel `c f^2 + i f + j`
/// going to row offset `i` and column offset `j` of each block (PyTorch's order).
#[derive(Clone, Debug, PartialEq)]
pub struct PixelShuffle(pub usize);

impl Differentiable for PixelShuffle {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let f = self.0;
        let x = x.image();
        let [b, cff, h, w] = x.dims();
        let c = cff / (f * f);
        let blocks: Tensor<6> = x.reshape([b, c, f, f, h, w]).permute([0, 1, 4, 2, 5, 3]);
        Value::Image(blocks.reshape([b, c, h * f, w * f]))
    }

    /// The inverse permutation of the gradient.
    fn vjp(&self, _: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let f = self.0;
        let g = g.image();
        let [b, c, hf, wf] = g.dims();
        let (h, w) = (hf / f, wf / f);
        let channels: Tensor<6> = g.reshape([b, c, h, f, w, f]).permute([0, 1, 3, 5, 2, 4]);
        Ok(InputGrads::of(Value::Image(channels.reshape([b, c * f * f, h, w]))))
    }
}
