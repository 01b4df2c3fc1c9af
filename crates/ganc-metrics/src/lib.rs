//! The sample-quality measurements of the GAN literature, computed on feature vectors.
//!
//! A feature network (ganc's own MNIST/Fashion-MNIST classifier, or Inception-v3) turns real and
//! generated images into [`Features`]: one row per image, and the class probabilities of its
//! head. The measures compare the two sets:
//!
//! - [`fid()`]: the Fréchet distance between Gaussians fitted to each set (Heusel et al. 2017);
//! - [`kid()`]: the unbiased squared MMD with a cubic polynomial kernel, over random subsets
//!   (Bińkowski et al. 2018);
//! - [`inception_score()`]: `exp E KL(p(y|x) ‖ p(y))` of the generated images' class
//!   probabilities (Salimans et al. 2016);
//! - [`precision_recall()`]: the share of generated images inside the real images' k-NN manifold,
//!   and of real images inside the generated ones' (Kynkäänniemi et al. 2019, k = 3);
//! - [`classes_covered()`]: how many classes the classifier finds among the generated images;
//! - [`linear_probe()`]: how linearly separable labelled features are, the accuracy of a ridge
//!   least-squares classifier on them (BiGAN's evaluation of its encoder, Donahue et al. 2017).
//!
//! Nothing here knows about networks or tensors: the crate is plain numbers, in f64.

mod classes;
mod features;
mod fid;
mod inception_score;
mod kid;
pub mod linear_probe;
mod precision_recall;

pub use classes::{class_accuracy, classes_covered, Classes};
pub use features::Features;
pub use fid::fid;
pub use inception_score::inception_score;
pub use kid::kid;
pub use linear_probe::{linear_probe, Labelled, Probe, ProbeError};
pub use precision_recall::{precision_recall, PrecisionRecall, K as PRECISION_RECALL_K};

/// A mean and a standard deviation over repeats (subsets or splits).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// The mean.
    pub mean: f64,
    /// The population standard deviation.
    pub std: f64,
}

impl Spread {
    /// The mean and standard deviation of `values`.
    pub fn of(values: &[f64]) -> Spread {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Spread { mean, std: var.sqrt() }
    }
}
