//! A linear probe: how linearly separable a set of labelled features is, the "linear classifier
//! on the encoder's features" evaluation of BiGAN (Donahue et al. 2017).
//!
//! A ridge-regularized least-squares classifier is fitted on the train set: one-hot targets,
//! features standardized by the train set's mean and standard deviation, a bias column, and a
//! ridge penalty `λ ‖W‖²` on the weights (not the bias) added to the summed squared error. The
//! normal equations `(XᵀX + λI) W = XᵀY` are solved by Cholesky decomposition in f64, and a sample
//! is predicted as the class of its largest score (the first one on a tie).
//!
//! `XᵀX` is accumulated over blocks of rows, so memory stays at `O(dim² + block · dim)` whatever
//! the number of samples.

use nalgebra::{Cholesky, DMatrix};
use std::fmt;

/// Rows standardized and multiplied at once, when accumulating `XᵀX` and when predicting.
const BLOCK: usize = 1024;

/// Features of `n` samples, `dim` each, row-major, with their class labels.
#[derive(Clone, Copy, Debug)]
pub struct Labelled<'a> {
    /// The rows, `n * dim` numbers.
    pub features: &'a [f32],
    /// The class of each row, `n` labels in `0..classes`.
    pub labels: &'a [u8],
    /// The length of one row.
    pub dim: usize,
}

impl Labelled<'_> {
    /// The number of samples (rows of features).
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Row `i`.
    fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.dim..(i + 1) * self.dim]
    }
}

/// The accuracies of a linear probe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probe {
    /// The share of the test samples whose predicted class is their label.
    pub accuracy: f64,
    /// The share of the train samples whose predicted class is their label.
    pub train_accuracy: f64,
}

/// Why a linear probe could not be fitted or evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum ProbeError {
    /// A set (`"train"` or `"test"`) holds no samples.
    Empty {
        /// Which set.
        set: &'static str,
    },
    /// The feature width is 0.
    ZeroDim,
    /// There are no classes.
    NoClasses,
    /// A set's features are not one row of `dim` per label.
    LengthMismatch {
        /// Which set.
        set: &'static str,
        /// The number of feature values.
        features: usize,
        /// The number of labels.
        labels: usize,
        /// The feature width.
        dim: usize,
    },
    /// The train and test features have different widths.
    DimMismatch {
        /// The train set's width.
        train: usize,
        /// The test set's width.
        test: usize,
    },
    /// A label is not below the number of classes.
    LabelOutOfRange {
        /// Which set.
        set: &'static str,
        /// The sample holding the label.
        index: usize,
        /// The label.
        label: u8,
        /// The number of classes.
        classes: usize,
    },
    /// A feature is NaN or infinite.
    NonFinite {
        /// Which set.
        set: &'static str,
        /// The sample holding the feature.
        index: usize,
    },
    /// The ridge `lambda` is negative or not finite.
    BadLambda(f64),
    /// `XᵀX + λI` is not positive definite (collinear or constant features with `lambda` 0),
    /// or its solution is not finite.
    Singular,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Empty { set } => write!(f, "the {set} set holds no samples"),
            ProbeError::ZeroDim => write!(f, "the features have width 0"),
            ProbeError::NoClasses => write!(f, "a probe needs at least one class"),
            ProbeError::LengthMismatch { set, features, labels, dim } => {
                write!(f, "the {set} set has {features} feature values for {labels} labels in rows of {dim}")
            }
            ProbeError::DimMismatch { train, test } => {
                write!(f, "train features have width {train} but test features width {test}")
            }
            ProbeError::LabelOutOfRange { set, index, label, classes } => {
                write!(f, "{set} sample {index} has label {label}, not below {classes} classes")
            }
            ProbeError::NonFinite { set, index } => write!(f, "{set} sample {index} has a non-finite feature"),
            ProbeError::BadLambda(lambda) => write!(f, "the ridge lambda {lambda} is not a finite number ≥ 0"),
            ProbeError::Singular => {
                write!(f, "the normal equations are singular; use a ridge lambda above 0")
            }
        }
    }
}

impl std::error::Error for ProbeError {}

/// Fits a ridge-regularized least-squares linear classifier (one-hot targets, features
/// standardized by the train set's mean and std, a bias column, ridge `lambda` on the weights not
/// the bias) on `train`, and returns the share of `test` (and of `train`) whose argmax prediction
/// is right.
///
/// Constant train features (std 0) are only centered. `lambda` is added to the diagonal of the
/// unnormalized `XᵀX`, so its effect shrinks as the train set grows.
pub fn linear_probe(train: &Labelled, test: &Labelled, classes: usize, lambda: f64) -> Result<Probe, ProbeError> {
    if classes == 0 {
        return Err(ProbeError::NoClasses);
    }
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(ProbeError::BadLambda(lambda));
    }
    check(train, "train", classes)?;
    check(test, "test", classes)?;
    if train.dim != test.dim {
        return Err(ProbeError::DimMismatch { train: train.dim, test: test.dim });
    }
    let model = Model::fit(train, classes, lambda)?;
    Ok(Probe { accuracy: model.accuracy(test), train_accuracy: model.accuracy(train) })
}

/// Checks that `set` is non-empty, rectangular, finite and labelled in `0..classes`.
fn check(set: &Labelled, name: &'static str, classes: usize) -> Result<(), ProbeError> {
    if set.dim == 0 {
        return Err(ProbeError::ZeroDim);
    }
    if set.labels.len().checked_mul(set.dim) != Some(set.features.len()) {
        let (features, labels, dim) = (set.features.len(), set.labels.len(), set.dim);
        return Err(ProbeError::LengthMismatch { set: name, features, labels, dim });
    }
    if set.is_empty() {
        return Err(ProbeError::Empty { set: name });
    }
    if let Some((index, &label)) = set.labels.iter().enumerate().find(|(_, &l)| l as usize >= classes) {
        return Err(ProbeError::LabelOutOfRange { set: name, index, label, classes });
    }
    if let Some(index) = set.features.iter().position(|v| !v.is_finite()) {
        return Err(ProbeError::NonFinite { set: name, index: index / set.dim });
    }
    Ok(())
}

/// A fitted probe: the train set's standardization and the weights.
struct Model {
    /// The train set's mean of each feature.
    mean: Vec<f64>,
    /// The train set's std of each feature (1 where it is 0).
    scale: Vec<f64>,
    /// `classes x (dim + 1)`: one row of weights per class, the bias last.
    weights_t: DMatrix<f64>,
}

impl Model {
    /// Fits the ridge least-squares weights on `train` (already checked).
    fn fit(train: &Labelled, classes: usize, lambda: f64) -> Result<Model, ProbeError> {
        let (mean, scale) = standardization(train);
        let dim = train.dim;
        let mut gram = DMatrix::<f64>::zeros(dim + 1, dim + 1);
        let mut xty = DMatrix::<f64>::zeros(dim + 1, classes);
        for start in (0..train.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(train.len());
            let xt = standardized_columns(train, start..end, &mean, &scale);
            gram.gemm(1.0, &xt, &xt.transpose(), 1.0);
            for (c, &label) in train.labels[start..end].iter().enumerate() {
                let mut target = xty.column_mut(label as usize);
                target += xt.column(c);
            }
        }
        for j in 0..dim {
            gram[(j, j)] += lambda;
        }
        let weights = Cholesky::new(gram).ok_or(ProbeError::Singular)?.solve(&xty);
        if weights.iter().any(|w| !w.is_finite()) {
            return Err(ProbeError::Singular);
        }
        Ok(Model { mean, scale, weights_t: weights.transpose() })
    }

    /// The share of `set` (already checked, of the train width) whose predicted class is right.
    fn accuracy(&self, set: &Labelled) -> f64 {
        let mut right = 0usize;
        for start in (0..set.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(set.len());
            let scores = &self.weights_t * standardized_columns(set, start..end, &self.mean, &self.scale);
            for (c, &label) in set.labels[start..end].iter().enumerate() {
                right += usize::from(argmax(scores.column(c).iter()) == label as usize);
            }
        }
        right as f64 / set.len() as f64
    }
}

/// The mean and population std of each feature of `set` (std 1 where it is 0).
fn standardization(set: &Labelled) -> (Vec<f64>, Vec<f64>) {
    let n = set.len() as f64;
    let mut mean = vec![0.0; set.dim];
    for i in 0..set.len() {
        for (m, &v) in mean.iter_mut().zip(set.row(i)) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0.0; set.dim];
    for i in 0..set.len() {
        for ((s, &v), m) in var.iter_mut().zip(set.row(i)).zip(&mean) {
            *s += (v as f64 - m).powi(2);
        }
    }
    let scale = var.iter().map(|s| (s / n).sqrt()).map(|s| if s > 0.0 && s.is_finite() { s } else { 1.0 }).collect();
    (mean, scale)
}

/// Rows `range` of `set`, standardized, as the columns of a `(dim + 1) x rows` matrix whose last
/// row is the bias 1.
fn standardized_columns(set: &Labelled, range: std::ops::Range<usize>, mean: &[f64], scale: &[f64]) -> DMatrix<f64> {
    let dim = set.dim;
    let mut xt = DMatrix::<f64>::zeros(dim + 1, range.len());
    for (c, i) in range.enumerate() {
        let mut column = xt.column_mut(c);
        for (j, &v) in set.row(i).iter().enumerate() {
            column[j] = (v as f64 - mean[j]) / scale[j];
        }
        column[dim] = 1.0;
    }
    xt
}

/// The index of the largest score (the first of equal ones; 0 for none).
fn argmax<'a>(scores: impl Iterator<Item = &'a f64>) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (k, &s) in scores.enumerate() {
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((k, s));
        }
    }
    best.map_or(0, |(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// A standard normal number (Box-Muller).
    fn normal(rng: &mut rand::rngs::StdRng) -> f64 {
        let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// `n` samples of `centers.len()` classes in turn, each its class center plus N(0, std²) noise.
    fn blobs(n: usize, centers: &[Vec<f64>], std: f64, seed: u64) -> (Vec<f32>, Vec<u8>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for i in 0..n {
            let class = i % centers.len();
            features.extend(centers[class].iter().map(|c| (c + std * normal(&mut rng)) as f32));
            labels.push(class as u8);
        }
        (features, labels)
    }

    #[test]
    fn separated_blobs_are_classified_perfectly() {
        let centers: Vec<Vec<f64>> =
            (0..3).map(|k| (0..5).map(|j| if j == k { 20.0 } else { 0.0 }).collect()).collect();
        let (train_x, train_y) = blobs(300, &centers, 1.0, 1);
        let (test_x, test_y) = blobs(300, &centers, 1.0, 2);
        let train = Labelled { features: &train_x, labels: &train_y, dim: 5 };
        let test = Labelled { features: &test_x, labels: &test_y, dim: 5 };
        let probe = linear_probe(&train, &test, 3, 1.0).unwrap();
        assert_eq!(probe, Probe { accuracy: 1.0, train_accuracy: 1.0 });
    }

    #[test]
    fn noise_features_score_near_chance() {
        // 10 classes, 20-D noise independent of the labels: chance is 0.1. On 4000 test samples
        // the binomial std is about 0.005, so 0.1 ± 0.03 leaves a wide margin.
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let (n, dim) = (4000, 20);
        let mut sample = |n: usize| -> (Vec<f32>, Vec<u8>) {
            let x = (0..n * dim).map(|_| normal(&mut rng) as f32).collect();
            let y = (0..n).map(|_| rng.random_range(0..10u8)).collect();
            (x, y)
        };
        let ((train_x, train_y), (test_x, test_y)) = (sample(n), sample(n));
        let train = Labelled { features: &train_x, labels: &train_y, dim };
        let test = Labelled { features: &test_x, labels: &test_y, dim };
        let probe = linear_probe(&train, &test, 10, 1.0).unwrap();
        assert!((probe.accuracy - 0.1).abs() < 0.03, "{probe:?}");
        // Fitting noise helps only a little on the train set itself.
        assert!(probe.train_accuracy < 0.2, "{probe:?}");
    }

    #[test]
    fn the_sign_of_one_feature_is_learned_exactly() {
        // Class 1 for positive x, class 0 for negative, symmetric about 0: the fit is
        // score₁ − score₀ ∝ x, so every sample is right; a constant second feature changes nothing.
        let xs: Vec<f32> = (1..=50).flat_map(|i| [i as f32 / 10.0, -(i as f32) / 10.0]).collect();
        let labels: Vec<u8> = xs.iter().map(|&x| u8::from(x > 0.0)).collect();
        let one_d = Labelled { features: &xs, labels: &labels, dim: 1 };
        let probe = linear_probe(&one_d, &one_d, 2, 0.0).unwrap();
        assert_eq!(probe, Probe { accuracy: 1.0, train_accuracy: 1.0 });

        let with_constant: Vec<f32> = xs.iter().flat_map(|&x| [x, 7.0]).collect();
        let two_d = Labelled { features: &with_constant, labels: &labels, dim: 2 };
        let probe = linear_probe(&two_d, &two_d, 2, 1e-3).unwrap();
        assert_eq!(probe, Probe { accuracy: 1.0, train_accuracy: 1.0 });

        // Test points flipped against the train labels are all wrong.
        let flipped: Vec<u8> = labels.iter().map(|l| 1 - l).collect();
        let wrong = Labelled { features: &xs, labels: &flipped, dim: 1 };
        let probe = linear_probe(&one_d, &wrong, 2, 0.5).unwrap();
        assert_eq!(probe, Probe { accuracy: 0.0, train_accuracy: 1.0 });
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let x = [1.0f32, -1.0, 2.0, -2.0];
        let y = [1u8, 0, 1, 0];
        let good = Labelled { features: &x, labels: &y, dim: 1 };
        let probe = |train: &Labelled, test: &Labelled, classes| linear_probe(train, test, classes, 1.0);

        let short = Labelled { features: &x[..3], labels: &y, dim: 1 };
        assert!(matches!(probe(&short, &good, 2), Err(ProbeError::LengthMismatch { set: "train", .. })));
        let ragged = Labelled { features: &x[..3], labels: &y[..1], dim: 2 };
        assert!(matches!(probe(&good, &ragged, 2), Err(ProbeError::LengthMismatch { set: "test", .. })));
        let label = Err(ProbeError::LabelOutOfRange { set: "train", index: 0, label: 1, classes: 1 });
        assert_eq!(probe(&good, &good, 1), label);
        let empty = Labelled { features: &[], labels: &[], dim: 1 };
        assert_eq!(probe(&empty, &good, 2), Err(ProbeError::Empty { set: "train" }));
        assert_eq!(probe(&good, &empty, 2), Err(ProbeError::Empty { set: "test" }));
        let zero_dim = Labelled { features: &[], labels: &y, dim: 0 };
        assert_eq!(probe(&zero_dim, &good, 2), Err(ProbeError::ZeroDim));
        let wide = Labelled { features: &x, labels: &y[..2], dim: 2 };
        assert_eq!(probe(&good, &wide, 2), Err(ProbeError::DimMismatch { train: 1, test: 2 }));
        let nan = [1.0f32, -1.0, f32::NAN, -2.0];
        let nan = Labelled { features: &nan, labels: &y, dim: 1 };
        assert_eq!(probe(&good, &nan, 2), Err(ProbeError::NonFinite { set: "test", index: 2 }));
        assert_eq!(probe(&good, &good, 0), Err(ProbeError::NoClasses));
        assert_eq!(linear_probe(&good, &good, 2, -1.0), Err(ProbeError::BadLambda(-1.0)));
        let constant = [3.0f32; 4];
        let constant = Labelled { features: &constant, labels: &y, dim: 1 };
        assert_eq!(linear_probe(&constant, &good, 2, 0.0), Err(ProbeError::Singular));
        // With a ridge, a constant feature is harmless: every score is the class share.
        assert_eq!(linear_probe(&constant, &good, 2, 1.0).unwrap().accuracy, 0.5);
        assert!(!ProbeError::Singular.to_string().is_empty());
    }
}
