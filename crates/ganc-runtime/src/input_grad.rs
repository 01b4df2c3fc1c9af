//! The gradient of a discriminator's output with respect to its input, built from ordinary,
//! differentiable burn operations, so that a penalty on it trains with one `backward()`.
//!
//! burn's autodiff is first-order only: `x.grad(&grads)` is a constant, and a loss made from it
//! cannot be differentiated again. But ganc knows its closed set of layers, and each has its
//! vector-Jacobian product written by hand with tensor operations beside its forward pass
//! ([`crate::layers::Differentiable`]). [`output_and_input_grad`] walks D forward
//! ([`crate::walk`]) recording a tape of each layer and what it read, then runs the products
//! over the tape in reverse: the result is grad_x sum(D(x)) as an autodiff graph of D's
//! parameters, exactly as PyTorch's `create_graph=True` builds it.

use crate::layers::{Ctx, InputGrads, Layer, NoInputGradient};
use crate::network::Net;
use crate::value::Value;
use crate::walk::{walk, Flow, Observer, Walked};

/// One entry of the tape.
enum Entry<'n> {
    /// A layer and what it read (boxed: values are large).
    Layer(Box<LayerEntry<'n>>),
    /// A residual sum of two slots.
    Residual { main: usize, skip: usize, output: usize },
    /// A fading stage's blend of two slots.
    Blend { old: usize, new: usize, alpha: f64, output: usize },
}

/// A layer of the tape, what it read and the slot it gave.
struct LayerEntry<'n> {
    layer: &'n Layer,
    input: Flow,
    second: Option<Flow>,
    output: usize,
}

/// The forward pass, recorded.
#[derive(Default)]
pub(crate) struct Tape<'n>(Vec<Entry<'n>>);

impl<'n> Observer<'n> for Tape<'n> {
    fn layer(&mut self, layer: &'n Layer, input: Flow, second: Option<Flow>, output: usize, ctx: &Ctx) -> Value {
        let value = layer.forward(input.value.clone(), second.as_ref().map(|s| s.value.clone()), ctx);
        self.0.push(Entry::Layer(Box::new(LayerEntry { layer, input, second, output })));
        value
    }

    fn residual(&mut self, main: usize, skip: usize, output: usize) {
        self.0.push(Entry::Residual { main, skip, output });
    }

    fn blend(&mut self, old: usize, new: usize, alpha: f64, output: usize) {
        self.0.push(Entry::Blend { old, new, alpha, output });
    }
}

/// Runs `net` on `inputs` and returns its output and the gradient of the output's sum over the
/// batch with respect to the first input, both differentiable. Per sample, this is the gradient
/// of that sample's score, except through `minibatch_stddev`, whose group statistics make every
/// sample's gradient include what it changes in the other scores of its group (as PyTorch's
/// `autograd.grad(D(x).sum(), x)` in PGGAN's WGAN-GP).
///
/// # Panics
/// When `net` holds a layer without a per-sample input gradient on the way from its first
/// input to its output: `ganc check` refuses such a critic with `E0410` before anything trains.
pub fn output_and_input_grad(net: &Net, inputs: Vec<Value>, ctx: &Ctx) -> (Value, Value) {
    try_output_and_input_grad(net, inputs, ctx)
        .unwrap_or_else(|e| panic!("a penalized critic without an input gradient passed E0410: {e}"))
}

/// [`output_and_input_grad`], or why a layer of `net` has no per-sample input gradient.
pub fn try_output_and_input_grad(net: &Net, inputs: Vec<Value>, ctx: &Ctx) -> Result<(Value, Value), NoInputGradient> {
    let x = inputs[0].clone();
    let (tape, walked) = Tape::record(net, inputs, ctx);
    let out = walked.output.value.clone();
    let seed = out.clone().map(|t| t.ones_like(), |t| t.ones_like());
    let mut grads = tape.backward(&walked, seed, |_, _, _| Ok::<(), NoInputGradient>(()))?;
    // Slot 0 is the first input.
    let gx = match grads[0].take() {
        Some(g) => net.strip(g),
        None => x.clone().map(|t| t.zeros_like(), |t| t.zeros_like()),
    };
    Ok((net.strip(out), gx.reshape(&x.per_sample())))
}

impl<'n> Tape<'n> {
    /// Runs `net` on `inputs`, recording every layer. With a reference batch
    /// (`virtual_batchnorm`), its rows run ahead of the inputs' (see [`Net::strip`]): they do not
    /// depend on the inputs, and the layers give them no gradient.
    pub(crate) fn record(net: &'n Net, inputs: Vec<Value>, ctx: &Ctx) -> (Self, Walked) {
        let mut tape = Tape::default();
        let walked = walk(net, net.with_reference(inputs), ctx, &mut tape);
        (tape, walked)
    }

    /// Back-propagates `seed`, the gradient of the walk's output, over the tape in reverse:
    /// each layer's output gradient goes to `visit` with the layer and its input, then through
    /// the layer's input-gradient product. Returns the gradient each slot received.
    pub(crate) fn backward<E: From<NoInputGradient>>(
        &self,
        walked: &Walked,
        seed: Value,
        mut visit: impl FnMut(&Layer, &Value, &Value) -> Result<(), E>,
    ) -> Result<Vec<Option<Value>>, E> {
        let mut grads: Vec<Option<Value>> = vec![None; walked.slots];
        grads[walked.output.slot] = Some(seed);
        // Every value is used after the entry that made it: in reverse, a slot's gradient is
        // whole before it is passed on.
        for entry in self.0.iter().rev() {
            match entry {
                Entry::Layer(entry) => {
                    let LayerEntry { layer, input, second, output } = entry.as_ref();
                    let Some(g) = grads[*output].take() else { continue };
                    visit(layer, &input.value, &g)?;
                    let InputGrads { input: gi, second: gs } =
                        layer.differentiable().vjp(&input.value, second.as_ref().map(|s| &s.value), g)?;
                    accumulate(&mut grads, input.slot, gi);
                    if let Some(s) = second {
                        accumulate(&mut grads, s.slot, gs);
                    }
                }
                Entry::Residual { main, skip, output } => {
                    let Some(g) = grads[*output].take() else { continue };
                    accumulate(&mut grads, *main, Some(g.clone()));
                    accumulate(&mut grads, *skip, Some(g));
                }
                Entry::Blend { old, new, alpha, output } => {
                    let Some(g) = grads[*output].take() else { continue };
                    let scaled = |k: f64| g.clone().map(|t| t * k, |t| t * k);
                    accumulate(&mut grads, *old, Some(scaled(1.0 - alpha)));
                    accumulate(&mut grads, *new, Some(scaled(*alpha)));
                }
            }
        }
        Ok(grads)
    }
}

/// Adds `g` to the gradient of `slot`.
fn accumulate(grads: &mut [Option<Value>], slot: usize, g: Option<Value>) {
    let Some(g) = g else { return };
    grads[slot] = Some(match grads[slot].take() {
        Some(prev) => prev + g,
        None => g,
    });
}
