//! Element-wise activations: the function and its derivative, each one exhaustive match.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::kernels::{activation, Pointwise};
use crate::value::Value;
use burn::tensor::activation::{gelu, sigmoid, silu, tanh};
use burn::tensor::Tensor;

/// A pointwise nonlinearity.
#[derive(Clone, Debug, PartialEq)]
pub enum Activation {
    /// `relu`.
    Relu,
    /// `leaky_relu(slope)`.
    LeakyRelu(f64),
    /// `tanh`.
    Tanh,
    /// `sigmoid`.
    Sigmoid,
    /// `gelu`.
    Gelu,
    /// `silu`.
    Silu,
}

impl Activation {
    /// The function at `x`.
    fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => activation(x, Pointwise::Relu),
            Activation::LeakyRelu(s) => activation(x, Pointwise::LeakyRelu(*s)),
            Activation::Tanh => activation(x, Pointwise::Tanh),
            Activation::Sigmoid => sigmoid(x),
            Activation::Gelu => gelu(x),
            Activation::Silu => silu(x),
        }
    }

    /// Its derivative at `x`.
    fn derivative<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => x.greater_elem(0.0).float(),
            Activation::LeakyRelu(s) => x.greater_elem(0.0).float() * (1.0 - *s) + *s,
            Activation::Tanh => tanh(x).powi_scalar(2).neg() + 1.0,
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s.clone() * (s.neg() + 1.0)
            }
            // gelu(x) = x Phi(x): Phi(x) + x phi(x).
            Activation::Gelu => {
                let cdf = ((x.clone() / std::f64::consts::SQRT_2).erf() + 1.0) * 0.5;
                let pdf = (x.clone().powi_scalar(2) * -0.5).exp() / (2.0 * std::f64::consts::PI).sqrt();
                cdf + x * pdf
            }
            // silu(x) = x s(x): s + x s (1 - s).
            Activation::Silu => {
                let s = sigmoid(x.clone());
                s.clone() + x * s.clone() * (s.neg() + 1.0)
            }
        }
    }
}

impl Differentiable for Activation {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        x.map(|t| self.apply(t), |t| self.apply(t))
    }

    /// The incoming gradient times the derivative at the input.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let d = x.clone().map(|t| self.derivative(t), |t| self.derivative(t));
        Ok(InputGrads::of(match (g, d) {
            (Value::Image(g), Value::Image(d)) => Value::Image(g * d),
            (g, d) => Value::Flat(g.flat() * d.flat()),
        }))
    }
}
