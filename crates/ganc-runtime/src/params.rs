//! Walks over a network's parameters: weight clipping, EMA, finiteness, gradient norms and named
//! export.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use std::collections::HashMap;

/// Whether a parameter path is a batchnorm running statistic rather than a weight.
fn is_buffer(path: &[String]) -> bool {
    path.last().is_some_and(|s| s.starts_with("running_"))
}

/// Clips every weight (not running statistics) to `[-c, c]` (WGAN).
pub struct Clip {
    /// The clip value.
    pub c: f32,
    path: Vec<String>,
}

impl Clip {
    /// A clipper to `[-c, c]`.
    pub fn new(c: f32) -> Self {
        Clip { c, path: Vec::new() }
    }
}

impl ModuleMapper for Clip {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if is_buffer(&self.path) {
            return p;
        }
        let c = self.c;
        p.map(|t| {
            let (ad, rg) = (t.is_autodiff(), t.is_require_grad());
            let mut n = t.inner().clamp(-c, c);
            if ad {
                n = n.autodiff();
            }
            if rg {
                n = n.require_grad();
            }
            n
        })
    }
}

/// Collects every float tensor of a module, flattened, by parameter id.
#[derive(Default)]
pub struct Collect {
    /// The tensors, without autodiff.
    pub tensors: HashMap<ParamId, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        self.tensors.insert(p.id, p.val().inner().reshape([-1]));
    }
}

/// Initializes every parameter not yet initialized (burn draws a layer's weights when they are
/// first read).
pub struct Initialize;

impl ModuleVisitor for Initialize {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        p.val();
    }
}

/// Moves each parameter of the EMA copy toward the live network's: `e = beta * e + (1 - beta) * w`.
/// Running statistics are copied as they are.
pub struct EmaUpdate {
    /// The live network's tensors.
    pub source: HashMap<ParamId, Tensor<1>>,
    /// The decay.
    pub beta: f64,
    path: Vec<String>,
}

impl EmaUpdate {
    /// An update toward `source` with decay `beta`.
    pub fn new(source: HashMap<ParamId, Tensor<1>>, beta: f64) -> Self {
        EmaUpdate { source, beta, path: Vec::new() }
    }
}

impl ModuleMapper for EmaUpdate {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(src) = self.source.get(&p.id).cloned() else { return p };
        let (beta, buffer) = (self.beta, is_buffer(&self.path));
        p.map(|e| {
            let src = src.reshape(e.dims());
            if buffer {
                src
            } else {
                e.mul_scalar(beta) + src.mul_scalar(1.0 - beta)
            }
        })
    }
}

/// Whether every float tensor of a module (weights and running statistics) is finite.
pub fn all_finite<M: Module>(module: &M) -> bool {
    struct Finite(bool);
    impl ModuleVisitor for Finite {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            if self.0 {
                self.0 = p.val().inner().is_finite().all().into_scalar::<bool>();
            }
        }
    }
    let mut v = Finite(true);
    module.visit(&mut v);
    v.0
}

/// The L2 norm of a network's gradients.
pub fn grad_norm<M: Module>(module: &M, grads: &GradientsParams) -> f64 {
    struct Norm<'a> {
        grads: &'a GradientsParams,
        sum: Option<Tensor<1>>,
    }
    impl ModuleVisitor for Norm<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(p.id) {
                let sq = g.powi_scalar(2).sum();
                self.sum = Some(match self.sum.take() {
                    Some(s) => s + sq,
                    None => sq,
                });
            }
        }
    }
    let mut v = Norm { grads, sum: None };
    module.visit(&mut v);
    v.sum.map_or(0.0, |s| s.into_scalar::<f32>() as f64).sqrt()
}

/// Every float tensor with its path (`body.3.Layer.Conv.weight`), for export.
#[derive(Default)]
pub struct Named {
    /// `(path, dims, values)`.
    pub tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    path: Vec<String>,
}

impl ModuleVisitor for Named {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        let t = p.val().inner();
        let dims = t.dims().to_vec();
        let values = t.try_into_vec_as::<f32>().unwrap_or_default();
        self.tensors.push((self.path.join("."), dims, values));
    }
}
