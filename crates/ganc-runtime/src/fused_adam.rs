//! Adam on ganc's fused kernel ([`crate::kernels::adam`]): the same update as burn's `Adam`, to
//! the bit, in one pass per parameter, with burn's own state type, so that an optimizer state
//! saved by either loads into the other. Off the fused path (ndarray, cuda, `GANC_KERNELS=burn`)
//! and with weight decay it runs burn's `Adam`.

use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer};
use burn::tensor::{Device, Tensor};

/// Adam with its update fused on the flex device.
#[derive(Clone)]
pub struct FusedAdam {
    /// burn's, for what the kernel does not cover.
    generic: Adam,
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// Whether the kernel covers this configuration (no weight decay).
    fusable: bool,
}

impl FusedAdam {
    /// Adam with `betas` and `epsilon`, and burn's weight decay when `weight_decay` is positive.
    pub fn init(betas: (f32, f32), epsilon: f32, weight_decay: f32) -> ModuleOptimizer {
        let decay = (weight_decay > 0.0).then(|| burn::optim::decay::WeightDecayConfig::new(weight_decay));
        let config =
            AdamConfig::new().with_beta_1(betas.0).with_beta_2(betas.1).with_epsilon(epsilon).with_weight_decay(decay);
        ModuleOptimizer::from(FusedAdam {
            generic: config.build(),
            beta_1: betas.0,
            beta_2: betas.1,
            epsilon,
            fusable: weight_decay <= 0.0,
        })
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        if !self.fusable {
            return self.generic.step(lr, tensor, grad, state);
        }
        let time = state.as_ref().map_or(1, |s| s.momentum.time + 1);
        // burn's bias corrections, computed as burn computes them.
        let correction_2 = (1.0 - self.beta_2.powi(time as i32)).sqrt();
        let s = crate::kernels::AdamStep {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            combined: correction_2 / (1.0 - self.beta_1.powi(time as i32)),
            epsilon: self.epsilon * correction_2,
            lr: lr as f32,
            first: state.is_none(),
        };
        let moments = state.as_ref().map(|s| (s.momentum.moment_1.clone(), s.momentum.moment_2.clone()));
        match crate::kernels::adam(tensor.clone(), grad.clone(), moments, s) {
            Some((tensor, m, v)) => (tensor, Some(AdamState::new(AdaptiveMomentumState::new(time, m, v)))),
            None => self.generic.step(lr, tensor, grad, state),
        }
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        Adam::to_device(state, device)
    }
}
