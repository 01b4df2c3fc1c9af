//! Image-quality measurements: a feature network turns real and generated images into feature
//! vectors and class logits, and [`ganc_metrics`] compares the two sets.
//!
//! The feature network is ganc's own [`classifier`] on MNIST and Fashion-MNIST (its weights ship
//! with ganc), or Inception-v3 ([`inception`]) when the user supplies the standard FID weights
//! as a safetensors file (`--inception-weights`, or `GANC_INCEPTION_WEIGHTS`): nothing is
//! downloaded. [`Measure`] is one image metric of an `evaluate { ... }` section or of
//! `ganc eval`; [`Evaluator`] holds the network and the real images' features, computed once.

pub mod classifier;
pub mod inception;
pub mod samples;
pub mod weights;

use burn::tensor::{Device, Tensor, TensorData};
use classifier::{Classifier, Dataset};
use ganc_metrics::Features;
use inception::Inception;
use std::path::PathBuf;

/// The environment variable naming the Inception-v3 weights when `--inception-weights` is not given.
pub const INCEPTION_ENV: &str = "GANC_INCEPTION_WEIGHTS";

/// An image metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Fréchet distance of the features (`fid`).
    Fid,
    /// Kernel distance of the features (`kid`).
    Kid,
    /// Inception Score of the class probabilities, over `splits` parts (`inception_score`).
    InceptionScore {
        /// Parts the samples are split into.
        splits: usize,
    },
    /// Precision and recall of the feature manifolds, k = 3 (`precision_recall`).
    PrecisionRecall,
    /// Classes the classifier finds among the samples (`classes_covered`).
    Classes,
    /// The share of a class-conditional G's samples the classifier labels as the class they
    /// were drawn for (`class_accuracy`).
    ClassAccuracy,
}

impl Measure {
    /// The metric of a `.gan` name, with its `splits` argument for the Inception Score.
    pub fn from_name(name: &str, splits: usize) -> Option<Measure> {
        match name {
            "fid" => Some(Measure::Fid),
            "kid" => Some(Measure::Kid),
            "inception_score" => Some(Measure::InceptionScore { splits: splits.max(1) }),
            "precision_recall" => Some(Measure::PrecisionRecall),
            "classes_covered" => Some(Measure::Classes),
            "class_accuracy" => Some(Measure::ClassAccuracy),
            _ => None,
        }
    }

    /// The columns it writes to `evaluate.csv`.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Measure::Fid => &["fid"],
            Measure::Kid => &["kid"],
            Measure::InceptionScore { .. } => &["inception_score"],
            Measure::PrecisionRecall => &["precision", "recall"],
            Measure::Classes => &["classes"],
            Measure::ClassAccuracy => &["class_accuracy"],
        }
    }
}

/// Every image metric of the samples alone (not `class_accuracy`, which needs the classes they
/// were drawn for) with its default arguments, for `ganc eval`.
pub const ALL: [Measure; 5] =
    [Measure::Fid, Measure::Kid, Measure::InceptionScore { splits: 10 }, Measure::PrecisionRecall, Measure::Classes];

/// A network whose features and class logits the metrics compare.
pub enum FeatureNet {
    /// ganc's classifier for 1x28x28 images.
    Classifier(Box<Classifier>),
    /// Inception-v3 with user-supplied weights, for any image size and 1 or 3 channels.
    Inception(Box<Inception>),
}

/// Why no feature network could be made.
#[derive(Debug, thiserror::Error)]
pub enum FeatureNetError {
    /// No classifier for this data, and no Inception weights.
    #[error("image metrics on `{data}` need Inception-v3's weights: ganc's own classifier knows only mnist and fashion_mnist")]
    NoNetwork {
        /// The data's name.
        data: String,
    },
    /// The Inception weights could not be loaded.
    #[error("cannot load the Inception-v3 weights `{path}`: {error}")]
    Inception {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: String,
    },
}

impl FeatureNetError {
    /// What the user can do.
    pub fn help(&self) -> String {
        match self {
            FeatureNetError::NoNetwork { .. } => format!(
                "pass --inception-weights FILE (or set {INCEPTION_ENV}) with pytorch-fid's weights as safetensors \
                 (see `ganc explain fid`), or remove the image metrics from `evaluate`"
            ),
            FeatureNetError::Inception { .. } => {
                "the file must hold pytorch-fid's FID Inception-v3 tensors (see `ganc explain fid`)".to_string()
            }
        }
    }
}

impl FeatureNet {
    /// The network for data named `data` (`mnist`, `fashion_mnist`, `cifar10`, `images`):
    /// Inception-v3 when weights are given (the flag, else [`INCEPTION_ENV`]), else ganc's
    /// classifier for the data when it has one.
    pub fn choose(
        data: &str,
        inception_weights: Option<PathBuf>,
        device: &Device,
    ) -> Result<FeatureNet, FeatureNetError> {
        let weights = inception_weights.or_else(|| std::env::var_os(INCEPTION_ENV).map(PathBuf::from));
        match (weights, Dataset::from_name(data)) {
            (Some(path), _) => inception::load(&path, device)
                .map(|net| FeatureNet::Inception(Box::new(net)))
                .map_err(|e| FeatureNetError::Inception { path, error: e.to_string() }),
            (None, Some(dataset)) => Ok(FeatureNet::Classifier(Box::new(Classifier::shipped(dataset, device)))),
            (None, None) => Err(FeatureNetError::NoNetwork { data: data.to_string() }),
        }
    }

    /// Its name, for tables and logs.
    pub fn name(&self) -> &'static str {
        match self {
            FeatureNet::Classifier(_) => "ganc classifier",
            FeatureNet::Inception(_) => "Inception-v3",
        }
    }

    /// The image shapes it reads (`None`: any size, 1 or 3 channels).
    pub fn dims(&self) -> Option<[usize; 3]> {
        match self {
            FeatureNet::Classifier(_) => Some(classifier::DIMS),
            FeatureNet::Inception(_) => None,
        }
    }

    /// The features and class logits of `n` images of `dims` (sample-major values in [-1, 1]),
    /// computed in chunks.
    pub fn features(&self, values: &[f32], dims: &[usize], device: &Device) -> (Features, Features) {
        let size: usize = dims.iter().product();
        let n = values.len() / size.max(1);
        let chunk = match self {
            FeatureNet::Classifier(_) => 500,
            FeatureNet::Inception(_) => 25,
        };
        let (mut feats, mut logits) = (Vec::new(), Vec::new());
        let (mut width, mut classes) = (1, 1);
        for start in (0..n).step_by(chunk) {
            let m = chunk.min(n - start);
            let x = Tensor::<4>::from_data(
                TensorData::new(values[start * size..(start + m) * size].to_vec(), [m, dims[0], dims[1], dims[2]]),
                device,
            );
            let (f, l) = match self {
                FeatureNet::Classifier(c) => c.forward(x),
                FeatureNet::Inception(i) => i.features(x),
            };
            (width, classes) = (f.dims()[1], l.dims()[1]);
            feats.extend(f.into_data().try_into_vec_as::<f32>().unwrap_or_default());
            logits.extend(l.into_data().try_into_vec_as::<f32>().unwrap_or_default());
        }
        (Features::new(feats, width), Features::new(logits, classes))
    }
}

/// The measured values of `measures`, by column name, for generated `fake` features and logits
/// against `real` features; `drawn_for`, the class each fake was drawn for, when known
/// (`class_accuracy` is measured only then).
pub fn measure(
    measures: &[Measure],
    real: &Features,
    fake: &Features,
    fake_logits: &Features,
    drawn_for: Option<&[i64]>,
    seed: u64,
) -> Vec<(&'static str, f64)> {
    let mut out = Vec::new();
    for &m in measures {
        match m {
            Measure::Fid => out.push(("fid", ganc_metrics::fid(real, fake))),
            Measure::Kid => out.push(("kid", ganc_metrics::kid(real, fake, seed).mean)),
            Measure::InceptionScore { splits } => out.push((
                "inception_score",
                ganc_metrics::inception_score(&fake_logits.values, fake_logits.dim, splits).mean,
            )),
            Measure::PrecisionRecall => {
                let pr = ganc_metrics::precision_recall(real, fake, ganc_metrics::PRECISION_RECALL_K);
                out.push(("precision", pr.precision));
                out.push(("recall", pr.recall));
            }
            Measure::Classes => out
                .push(("classes", ganc_metrics::classes_covered(&fake_logits.values, fake_logits.dim).covered as f64)),
            Measure::ClassAccuracy => {
                if let Some(wanted) = drawn_for {
                    let accuracy = ganc_metrics::class_accuracy(&fake_logits.values, fake_logits.dim, wanted);
                    out.push(("class_accuracy", accuracy));
                }
            }
        }
    }
    out
}
