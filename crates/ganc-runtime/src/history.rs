//! Historical averaging (Salimans et al. 2016): each network's loss gains
//! `weight · ‖θ - θ̄‖²`, θ̄ the average of the network's weights over its updates so far (the
//! current weights included), so a player is pulled back toward where it has been and the
//! game's oscillations damp. The average is a copy of the network, kept in the checkpoint.

use crate::network::Net;
use crate::params::{Collect, EmaUpdate};
use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;
use std::collections::HashMap;

/// `net`'s average after its update number `update` (0 for the first): the running mean of the
/// weights before each update so far, this one's included.
pub fn advance(average: Net, net: &Net, update: u64) -> Net {
    let mut live = Collect::default();
    net.visit(&mut live);
    // The mean of n + 1 values from the mean of n: (n·m + θ) / (n + 1).
    average.map(&mut EmaUpdate::new(live.tensors, update as f64 / (update + 1) as f64))
}

/// `‖θ - θ̄‖²` summed over `net`'s trainable weights (running statistics left out), differentiable
/// in `net`'s weights.
pub fn distance(net: &Net, average: &Net) -> Tensor<1> {
    let mut avg = Collect::default();
    average.visit(&mut avg);
    let mut sum = Distance { average: avg.tensors, total: None };
    net.visit(&mut sum);
    let device = net.devices().into_iter().next().unwrap_or_default();
    sum.total.unwrap_or_else(|| Tensor::zeros([1], &device))
}

/// Sums the squared distances of the visited trainable weights from their averages.
struct Distance {
    average: HashMap<ParamId, Tensor<1>>,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for Distance {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        let Some(avg) = self.average.get(&p.id) else { return };
        if !p.is_require_grad() {
            return;
        }
        let live = p.val().reshape([-1]);
        let d = (live.clone() - Tensor::from_inner(avg.clone()).to_device(&live.device())).powi_scalar(2).sum();
        self.total = Some(match self.total.take() {
            Some(t) => t + d,
            None => d,
        });
    }
}
