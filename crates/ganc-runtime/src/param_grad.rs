//! The gradient of D's loss with respect to D's parameters, built from ordinary, differentiable
//! burn operations: a graph of the batch D saw (and so of G's parameters, through the fakes) and
//! of D's parameters, which a loss of G can be differentiated through. Unrolled GAN's look-ahead
//! updates of D ([`crate::unroll`]) and the Nagarajan-Kolter regularizer read it.
//!
//! It extends the input-gradient pass of the penalties ([`crate::input_grad`]): the same tape of
//! D's forward pass, run in reverse from the closed-form gradient of the loss with respect to
//! D's outputs ([`Loss::discriminator_output_grads`]); at each layer with weights, the weights'
//! product with the output gradient (`xᵀ g` for a linear layer, a convolution over the batch for
//! a convolution, `g` times the normalized sample for layer norm's scale) is kept beside the input gradient passed on. The layers this covers are
//! listed in `ganc_check::param_grads::PARAMETER_GRADIENT_LAYERS`, which the checker reads.

use crate::input_grad::Tape;
use crate::layers::{
    conv_param_grads, deconv_param_grads, linear_param_grads, sample_norm_param_grads, Ctx, Layer, NoInputGradient,
    OpKind,
};
use crate::losses::Loss;
use crate::network::Net;
use crate::value::Value;
use burn::module::ParamId;
use burn::tensor::Tensor;

/// Why D's parameter gradients cannot be built: a layer whose product is not written.
#[derive(Clone, Debug, PartialEq)]
pub struct NoParamGradient(pub String);

impl std::fmt::Display for NoParamGradient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the parameter gradient of {} is not written", self.0)
    }
}

impl std::error::Error for NoParamGradient {}

impl From<NoInputGradient> for NoParamGradient {
    fn from(e: NoInputGradient) -> Self {
        NoParamGradient(e.to_string())
    }
}

/// Gradients of D's parameters, each flattened, in the order the backward pass reaches them:
/// sums over them do not depend on how parameters hash, so a resumed run repeats them exactly.
#[derive(Default)]
pub struct ParamGrads(Vec<(ParamId, Tensor<1>)>);

impl ParamGrads {
    /// Adds `g` to the gradient of `id`.
    fn add(&mut self, id: ParamId, g: Tensor<1>) {
        match self.0.iter_mut().find(|(i, _)| *i == id) {
            Some((_, sum)) => *sum = sum.clone() + g,
            None => self.0.push((id, g)),
        }
    }

    /// The gradient of `id`.
    pub fn get(&self, id: ParamId) -> Option<&Tensor<1>> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, g)| g)
    }

    /// Removes and returns the gradient of `id`.
    pub fn take(&mut self, id: ParamId) -> Option<Tensor<1>> {
        let at = self.0.iter().position(|(i, _)| *i == id)?;
        Some(self.0.remove(at).1)
    }

    /// The same gradients as constants: nothing differentiates through them.
    pub fn detached(self) -> Self {
        ParamGrads(self.0.into_iter().map(|(id, g)| (id, g.detach())).collect())
    }

    /// `Σ ‖∇θ L_D‖²` over D's parameters: the Nagarajan-Kolter term (2017); `None` for a D
    /// without parameters.
    pub fn squared_norm(&self) -> Option<Tensor<1>> {
        self.0.iter().map(|(_, g)| g.clone().powi_scalar(2).sum()).reduce(|a, b| a + b)
    }
}

/// Adds the parameter gradients of `layer`, which read `x` and whose output has gradient `g`.
fn layer_grads(layer: &Layer, x: &Value, g: &Value, out: &mut ParamGrads) -> Result<(), NoParamGradient> {
    let grads = match layer {
        Layer::Linear(l) => linear_param_grads(l, x, g),
        Layer::Conv(c) => conv_param_grads(c, x, g).ok_or_else(|| NoParamGradient("a grouped `conv`".into()))?,
        Layer::Deconv(c) => deconv_param_grads(c, x, g).ok_or_else(|| NoParamGradient("a grouped `deconv`".into()))?,
        Layer::LayerNorm(l) => sample_norm_param_grads(l, x, g),
        // Weightless: their input gradients carry the rest.
        Layer::Op(op) if !matches!(op.kind, OpKind::Dropout(_)) => return Ok(()),
        other => return Err(NoParamGradient(format!("`{}`", describe(other)))),
    };
    for (id, grad) in grads {
        out.add(id, grad);
    }
    Ok(())
}

/// A layer's kind, as a user wrote it.
fn describe(layer: &Layer) -> &'static str {
    match layer {
        Layer::BatchNorm(_) => "batchnorm",
        Layer::InstanceNorm(_) => "instancenorm",
        Layer::GroupNorm(_) => "groupnorm",
        Layer::Embedding(_) => "embedding",
        Layer::ConditionalBatchNorm(_) => "conditional_batchnorm",
        Layer::Projection(_) => "projection",
        Layer::Augment(_) => "conditioning_augmentation",
        Layer::Constant(_) => "constant",
        Layer::NoiseInjection(_) => "noise_injection",
        Layer::Adain(_) => "adain",
        Layer::SelfAttention(_) => "self_attention",
        Layer::MinibatchDiscrimination(_) => "minibatch_discrimination",
        Layer::VirtualBatchNorm(_) => "virtual_batchnorm",
        Layer::Reparametrized(_) => "a reparametrized (spectral or equalized) weight",
        Layer::Op(_) => "dropout",
        Layer::Linear(_) => "linear",
        Layer::Conv(_) => "conv",
        Layer::Deconv(_) => "deconv",
        Layer::LayerNorm(_) => "layernorm",
    }
}

/// D's inputs for one side of its loss: the samples and, for a conditional D, their labels.
pub struct Side {
    /// D's inputs.
    pub inputs: Vec<Value>,
    /// D's loss targets for these samples (`[B, 1]`).
    pub targets: Tensor<2>,
}

/// D's loss on `real` and `fake` under `loss`, and the gradient of that loss with respect to
/// each of `d`'s parameters, both differentiable in the batches and in `d`'s parameters.
pub fn loss_and_grads(
    d: &Net,
    loss: &Loss,
    real: Side,
    fake: Side,
    ctx: &Ctx,
) -> Result<(Tensor<1>, ParamGrads), NoParamGradient> {
    let (real_tape, real_walk) = Tape::record(d, real.inputs, ctx);
    let (fake_tape, fake_walk) = Tape::record(d, fake.inputs, ctx);
    let (real_out, fake_out) = (real_walk.output.value.clone(), fake_walk.output.value.clone());
    let (r, f) = (real_out.clone().flat(), fake_out.clone().flat());
    let value = loss.discriminator(r.clone(), f.clone(), real.targets.clone(), fake.targets.clone());
    let (gr, gf) = loss
        .discriminator_output_grads(r, f, real.targets, fake.targets)
        .ok_or_else(|| NoParamGradient("a relativistic or BEGAN loss".into()))?;
    let mut grads = ParamGrads::default();
    for (tape, walked, out, seed) in [(real_tape, real_walk, real_out, gr), (fake_tape, fake_walk, fake_out, gf)] {
        let seed = Value::Flat(seed).reshape(&out.per_sample());
        tape.backward(&walked, seed, |layer, x, g| layer_grads(layer, x, g, &mut grads))?;
    }
    Ok((value, grads))
}
