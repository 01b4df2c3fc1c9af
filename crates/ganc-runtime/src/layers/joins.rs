//! Two-input layers: `concat` (a vector is tiled over an image) and `add`.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::tensor::Tensor;

/// The second value of a two-input layer, which the walk passes along.
const READS: &str = "the walk passes a two-input layer the value it reads";

/// `concat(value)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Concat {
    /// The name of the value joined to the input.
    pub value: String,
}

/// A batch of vectors repeated over the height and width of `like`.
fn tile(v: Value, like: &Tensor<4>) -> Tensor<4> {
    let [b, _, h, w] = like.dims();
    let v = v.flat();
    let k = v.dims()[1];
    v.reshape([b, k, 1, 1]).expand([b, k, h, w])
}

impl Differentiable for Concat {
    fn forward(&self, x: Value, second: Option<Value>, _: &Ctx) -> Value {
        match (x, second.expect(READS)) {
            (Value::Image(a), Value::Image(b)) => Value::Image(Tensor::cat(vec![a, b], 1)),
            (Value::Image(a), v) => {
                let tiled = tile(v, &a);
                Value::Image(Tensor::cat(vec![a, tiled], 1))
            }
            (v, Value::Image(a)) => Value::Image(Tensor::cat(vec![tile(v, &a), a], 1)),
            (a, b) => Value::Flat(Tensor::cat(vec![a.flat(), b.flat()], 1)),
        }
    }

    /// Splits the gradient between the two values; a vector tiled over an image gets the sum
    /// over the positions.
    fn vjp(&self, x: &Value, second: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let other = second.expect(READS);
        let shape = x.per_sample();
        let mine = shape[0];
        Ok(match g {
            Value::Image(t) => {
                let [b, c, h, w] = t.dims();
                let a = t.clone().narrow(1, 0, mine);
                let rest = t.narrow(1, mine, c - mine);
                let theirs = match other {
                    Value::Image(_) => Value::Image(rest),
                    _ => Value::Flat(rest.sum_dims(&[2, 3]).reshape([b, c - mine])),
                };
                let ours = match x {
                    Value::Image(_) => Value::Image(a.reshape([b, mine, h, w])),
                    _ => Value::Flat(a.sum_dims(&[2, 3]).reshape([b, mine])),
                };
                InputGrads { input: Some(ours), second: Some(theirs) }
            }
            flat => {
                let t = flat.flat();
                let n = t.dims()[1];
                let features: usize = shape.iter().product();
                let theirs = Value::Flat(t.clone().narrow(1, features, n - features));
                InputGrads { input: Some(Value::Flat(t.narrow(1, 0, features)).reshape(&shape)), second: Some(theirs) }
            }
        })
    }
}

/// `add(value)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Add {
    /// The name of the value added to the input.
    pub value: String,
}

impl Differentiable for Add {
    fn forward(&self, x: Value, second: Option<Value>, _: &Ctx) -> Value {
        x + second.expect(READS)
    }

    /// The gradient reaches both values.
    fn vjp(&self, _: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(InputGrads { input: Some(g.clone()), second: Some(g) })
    }
}
