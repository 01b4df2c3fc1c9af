//! Layout changes: `flatten` and `reshape`, whose input gradient is the gradient reshaped back.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;

/// `flatten`.
#[derive(Clone, Debug, PartialEq)]
pub struct Flatten;

impl Differentiable for Flatten {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        Value::Flat(x.flat())
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(InputGrads::of(g.reshape(&x.per_sample())))
    }
}

/// `reshape(dims)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reshape(pub Vec<usize>);

impl Differentiable for Reshape {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        x.reshape(&self.0)
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(InputGrads::of(g.reshape(&x.per_sample())))
    }
}
