//! Unrolled GAN (Metz et al. 2016): G's loss is computed against a copy of D updated `k` steps
//! ahead on G's own batch, and G's gradient flows back through those updates, so G sees how D
//! would answer its move.
//!
//! Each look-ahead update is D's optimizer step written with differentiable tensor operations
//! (SGD, or Adam from D's current moments, as burn's Adam computes it) on D's parameter gradients
//! from [`crate::param_grad`]; the updated parameters replace D's in a copy of D
//! ([`Substitute`]), whose forward pass is then an ordinary graph of G's parameters. As in the
//! paper's reference code, every look-ahead step reads the same real batch and the same fakes,
//! the fakes G's loss then reads. With `unroll_gradient: first_order`, the updates' gradients
//! are constants: G's loss reads the looked-ahead D, but not how D's updates depend on G.

use crate::layers::Ctx;
use crate::losses::Loss;
use crate::network::Net;
use crate::param_grad::{loss_and_grads, NoParamGradient, ParamGrads, Side};
use crate::plan::Optimizer;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{Adam, AdamState, GradientsParams, LearningRate, ModuleOptimizer, Optimizer as BurnOptimizer};
use burn::tensor::{Device, Tensor};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `unroll: k` and `unroll_gradient`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unroll {
    /// Look-ahead updates of D.
    pub steps: usize,
    /// G's gradient through the updates (`exact`), or with their gradients held constant
    /// (`first_order`).
    pub exact: bool,
}

/// Adam's moments of one parameter, flattened, and its update count.
#[derive(Clone)]
pub struct Moments {
    time: usize,
    m: Tensor<1>,
    v: Tensor<1>,
}

/// D's update rule, with its state where it has one.
#[derive(Clone)]
pub enum Rule {
    /// `θ - lr g`.
    Sgd {
        /// Learning rate.
        lr: f64,
    },
    /// burn's Adam from D's current moments.
    Adam {
        /// Learning rate.
        lr: f64,
        /// Moment decays.
        betas: (f64, f64),
        /// Denominator epsilon.
        eps: f64,
        /// Each parameter's moments (none before D's first update).
        moments: HashMap<ParamId, Moments>,
    },
}

/// An optimizer that changes nothing and reports the Adam state it is handed: loaded with D's
/// optimizer's record and stepped once over D, it reads that state parameter by parameter.
#[derive(Clone)]
struct Probe(Arc<Mutex<Vec<Option<Moments>>>>);

impl BurnOptimizer for Probe {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        _: LearningRate,
        tensor: Tensor<D>,
        _: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        let seen = state.as_ref().map(|s| {
            let m = &s.momentum;
            let flat = |t: &Tensor<D>| Tensor::from_inner(t.clone().reshape([-1]));
            Moments { time: m.time, m: flat(&m.moment_1), v: flat(&m.moment_2) }
        });
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(seen);
        (tensor, state)
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        Adam::to_device(state, device)
    }
}

/// Each parameter's Adam moments in `optimizer`, D's.
fn adam_moments(optimizer: &ModuleOptimizer, d: &Net) -> HashMap<ParamId, Moments> {
    /// A zero gradient for every parameter, so that the probe meets each; and their order, the
    /// order the probe meets them in.
    struct Zeros(GradientsParams, Vec<ParamId>);
    impl ModuleVisitor for Zeros {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.0.register(p.id, p.val().inner().zeros_like());
            self.1.push(p.id);
        }
    }
    let mut zeros = Zeros(GradientsParams::new(), Vec::new());
    d.visit(&mut zeros);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut probe = ModuleOptimizer::from(Probe(seen.clone())).load_record(optimizer.to_record());
    probe.step(0.0, d.clone(), zeros.0);
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
    zeros.1.into_iter().zip(seen).filter_map(|(id, s)| Some((id, s?))).collect()
}

impl Rule {
    /// D's rule as its optimizer stands now; `None` for the optimizers whose update is not
    /// written (`plan` refuses them).
    pub fn of(spec: &Optimizer, optimizer: &ModuleOptimizer, d: &Net) -> Option<Rule> {
        match *spec {
            Optimizer::Sgd { lr, momentum, weight_decay } if momentum == 0.0 && weight_decay == 0.0 => {
                Some(Rule::Sgd { lr })
            }
            Optimizer::Adam { lr, betas, eps, weight_decay: 0.0 } => {
                Some(Rule::Adam { lr, betas, eps, moments: adam_moments(optimizer, d) })
            }
            _ => None,
        }
    }

    /// The parameter `theta` (flattened) after one update with gradient `g`; advances the
    /// rule's state for it.
    fn advance(&mut self, id: ParamId, theta: Tensor<1>, g: Tensor<1>) -> Tensor<1> {
        match self {
            Rule::Sgd { lr } => theta - g * *lr,
            Rule::Adam { lr, betas: (b1, b2), eps, moments } => {
                let device = theta.device();
                let (time, m, v) = match moments.remove(&id) {
                    Some(s) => (s.time + 1, s.m.to_device(&device) * *b1, s.v.to_device(&device) * *b2),
                    None => (1, g.zeros_like(), g.zeros_like()),
                };
                let m = m + g.clone() * (1.0 - *b1);
                let v = v + g.powi_scalar(2) * (1.0 - *b2);
                // burn's bias corrections, as burn computes them.
                let correction_2 = (1.0 - b2.powi(time as i32)).sqrt();
                let combined = correction_2 / (1.0 - b1.powi(time as i32));
                // A zero second moment would make sqrt's derivative infinite; 1e-30 moves no value
                // that epsilon does not already dominate.
                let step = m.clone() * combined / ((v.clone() + 1e-30).sqrt() + *eps * correction_2);
                moments.insert(id, Moments { time, m, v });
                theta - step * *lr
            }
        }
    }
}

/// Replaces each parameter that has a gradient by its updated value.
struct Substitute<'r> {
    rule: &'r mut Rule,
    grads: ParamGrads,
}

impl ModuleMapper for Substitute<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(g) = self.grads.take(param.id) else { return param };
        let id = param.id;
        param.map(|theta| {
            let dims = theta.dims();
            self.rule.advance(id, theta.reshape([-1]), g).reshape(dims)
        })
    }
}

/// `d` after `unroll.steps` updates by `rule` on D's loss of `real` and `fake`. `d` should be a
/// copy whose weights take no gradient: the result is then a graph of the batches only.
pub fn ahead(
    d: &Net,
    mut rule: Rule,
    loss: &Loss,
    real: &Side,
    fake: &Side,
    unroll: Unroll,
    ctx: &Ctx,
) -> Result<Net, NoParamGradient> {
    let mut current = d.clone();
    for _ in 0..unroll.steps {
        let side = |s: &Side| Side { inputs: s.inputs.clone(), targets: s.targets.clone() };
        let (_, grads) = loss_and_grads(&current, loss, side(real), side(fake), ctx)?;
        let grads = if unroll.exact { grads } else { grads.detached() };
        current = current.map(&mut Substitute { rule: &mut rule, grads });
    }
    Ok(current)
}
