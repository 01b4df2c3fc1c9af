//! ganc's own feature network for 28x28 grayscale data: a small CNN classifier that
//! `ganc eval --train-classifier mnist|fashion_mnist` trains on the data set's training split and
//! tests on its test split. Its weights for both sets are part of ganc
//! (`crates/ganc-runtime/classifiers/*.safetensors`, half precision, 0.4 MB each), so FID, KID,
//! the Inception Score, precision/recall and classes covered on MNIST-like data need no download.
//!
//! The network: `conv(32, 3x3) relu maxpool(2) conv(64, 3x3) relu maxpool(2) linear(64) relu`
//! (the 64 features the distances compare) then `linear(10)` (the class logits the Inception
//! Score and classes covered read). Trained with Adam (batch 64, lr 1e-3 halved after each
//! epoch), no augmentation.

use crate::evaluate::weights::{self, Weights, WeightsError};
use crate::kernels::{self, Pointwise};
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Int, Tensor, TensorData};
use ganc_data::{Source, Split};
use std::path::Path;

/// Width of the feature vector.
pub const FEATURES: usize = 64;
/// Number of classes.
pub const CLASSES: usize = 10;
/// The image shape the classifier reads.
pub const DIMS: [usize; 3] = [1, 28, 28];

/// Which data set a classifier was trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// MNIST digits.
    Mnist,
    /// Fashion-MNIST clothing.
    FashionMnist,
}

impl Dataset {
    /// The data set's name in `.gan` files (`mnist`, `fashion_mnist`).
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Mnist => "mnist",
            Dataset::FashionMnist => "fashion_mnist",
        }
    }

    /// The data set of a name, if it has a classifier.
    pub fn from_name(name: &str) -> Option<Dataset> {
        match name {
            "mnist" => Some(Dataset::Mnist),
            "fashion_mnist" => Some(Dataset::FashionMnist),
            _ => None,
        }
    }

    /// Its source, for `split`.
    pub fn source(self, split: Split) -> Source {
        Source::Mnist { fashion: self == Dataset::FashionMnist, split }
    }

    /// The weights that ship with ganc.
    fn shipped(self) -> &'static [u8] {
        match self {
            Dataset::Mnist => include_bytes!("../../classifiers/mnist.safetensors"),
            Dataset::FashionMnist => include_bytes!("../../classifiers/fashion_mnist.safetensors"),
        }
    }
}

/// The classifier.
#[derive(Module, Debug)]
pub struct Classifier {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    hidden: Linear,
    head: Linear,
}

impl Classifier {
    /// A freshly initialized classifier (burn's default initializers, from the device's generator).
    pub fn new(device: &Device) -> Classifier {
        let conv = |c_in, c_out| {
            Conv2dConfig::new([c_in, c_out], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device)
        };
        Classifier {
            conv1: conv(1, 32),
            conv2: conv(32, 64),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            hidden: LinearConfig::new(64 * 7 * 7, FEATURES).init(device),
            head: LinearConfig::new(FEATURES, CLASSES).init(device),
        }
    }

    /// The classifier that ships with ganc for `data`.
    pub fn shipped(data: Dataset, device: &Device) -> Classifier {
        Classifier::from_bytes(data.shipped(), device).expect("the shipped classifier weights are valid")
    }

    /// Loads weights written by [`Classifier::save`].
    pub fn load(path: &Path, device: &Device) -> Result<Classifier, WeightsError> {
        let bytes = std::fs::read(path).map_err(|e| WeightsError::Read(path.display().to_string(), e.to_string()))?;
        Classifier::from_bytes(&bytes, device)
    }

    fn from_bytes(bytes: &[u8], device: &Device) -> Result<Classifier, WeightsError> {
        let w = Weights::parse(bytes)?;
        let mut c = Classifier::new(device);
        for (name, conv) in [("conv1", &mut c.conv1), ("conv2", &mut c.conv2)] {
            let dims = conv.weight.dims();
            conv.weight = Param::from_tensor(w.tensor(&format!("{name}.weight"), dims, device)?);
            conv.bias = Some(Param::from_tensor(w.tensor(&format!("{name}.bias"), [dims[0]], device)?));
        }
        for (name, linear) in [("hidden", &mut c.hidden), ("head", &mut c.head)] {
            let dims = linear.weight.dims();
            linear.weight = Param::from_tensor(w.tensor(&format!("{name}.weight"), dims, device)?);
            linear.bias = Some(Param::from_tensor(w.tensor(&format!("{name}.bias"), [dims[1]], device)?));
        }
        Ok(c)
    }

    /// Writes the weights as half-precision safetensors (atomically).
    pub fn save(&self, path: &Path, metadata: &[(&str, String)]) -> std::io::Result<()> {
        let mut tensors = Vec::new();
        for (name, conv) in [("conv1", &self.conv1), ("conv2", &self.conv2)] {
            tensors.push((format!("{name}.weight"), conv.weight.val().into_data()));
            tensors.extend(conv.bias.as_ref().map(|b| (format!("{name}.bias"), b.val().into_data())));
        }
        for (name, linear) in [("hidden", &self.hidden), ("head", &self.head)] {
            tensors.push((format!("{name}.weight"), linear.weight.val().into_data()));
            tensors.extend(linear.bias.as_ref().map(|b| (format!("{name}.bias"), b.val().into_data())));
        }
        weights::write_f16(path, &tensors, metadata)
    }

    /// The features `[N, 64]` and class logits `[N, 10]` of images `[N, 1, 28, 28]` in [-1, 1].
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let conv = |conv: &Conv2d, x| {
            let options = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
            kernels::activation(
                kernels::conv2d(x, conv.weight.val(), conv.bias.as_ref().map(|b| b.val()), options),
                Pointwise::Relu,
            )
        };
        let x = self.pool.forward(conv(&self.conv1, images));
        let x = self.pool.forward(conv(&self.conv2, x));
        let x = x.flatten::<2>(1, 3);
        let features = kernels::activation(
            kernels::linear(x, self.hidden.weight.val(), self.hidden.bias.as_ref().map(|b| b.val())),
            Pointwise::Relu,
        );
        let logits =
            kernels::linear(features.clone(), self.head.weight.val(), self.head.bias.as_ref().map(|b| b.val()));
        (features, logits)
    }

    /// The share of the test split it classifies right.
    pub fn accuracy(&self, test: &ganc_data::Data, device: &Device) -> f64 {
        let ganc_data::Data::Images(set) = test else { return 0.0 };
        let labels = set.labels.as_deref().unwrap_or_default();
        let size: usize = DIMS.iter().product();
        let mut hits = 0usize;
        for start in (0..set.len()).step_by(500) {
            let n = 500.min(set.len() - start);
            let x: Vec<f32> =
                set.pixels[start * size..(start + n) * size].iter().map(|&p| p as f32 / 127.5 - 1.0).collect();
            let (_, logits) = self.forward(images(x, n, device));
            let predicted = logits.argmax(1).into_data().try_into_vec_as::<i64>().unwrap_or_default();
            hits += predicted.iter().zip(&labels[start..start + n]).filter(|(p, l)| **p == **l as i64).count();
        }
        hits as f64 / set.len().max(1) as f64
    }
}

/// `n` images of [`DIMS`] from sample-major values.
pub fn images(values: Vec<f32>, n: usize, device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values, [n, DIMS[0], DIMS[1], DIMS[2]]), device)
}

/// How a training run went: after each epoch, the test accuracy.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    /// The epoch, from 1.
    pub epoch: usize,
    /// The mean training loss over the epoch.
    pub loss: f64,
    /// The share of the test split classified right.
    pub test_accuracy: f64,
}

/// Trains a classifier on `data`'s training split for `epochs` epochs, calling `on_epoch` after
/// each with its test accuracy. `limit` caps the training images per epoch (the tests use a few).
pub fn train(
    data: Dataset,
    data_dir: &Path,
    epochs: usize,
    seed: u64,
    limit: Option<usize>,
    on_epoch: &mut dyn FnMut(&Epoch),
) -> Result<Classifier, ganc_data::DataError> {
    let train_set = ganc_data::open(&data.source(Split::Train), data_dir)?;
    let test_set = ganc_data::open(&data.source(Split::Test), data_dir)?;
    let device = Device::flex().autodiff();
    device.seed(seed);
    let mut net = Classifier::new(&device);
    let mut opt = AdamConfig::new().init();
    let batch = 64;
    let per_epoch = limit.unwrap_or(usize::MAX).min(train_set.len().unwrap_or(0)) / batch;
    for epoch in 1..=epochs {
        let lr = 1e-3 * 0.5f64.powi(epoch as i32 - 1);
        let mut total = 0.0;
        for b in 0..per_epoch {
            let k = ((epoch - 1) * per_epoch + b) as u64;
            let batch = train_set.batch(seed, k, batch);
            let labels: Vec<i64> = batch.labels.unwrap_or_default().iter().map(|&l| l as i64).collect();
            let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [batch.n]), &device);
            let (_, logits) = net.forward(images(batch.x, batch.n, &device));
            let loss = burn::tensor::activation::log_softmax(logits, 1).gather(1, y.reshape([batch.n, 1])).mean().neg();
            total += loss.clone().into_scalar::<f64>();
            let mut grads = loss.backward();
            let grads = GradientsParams::from_module(&mut grads, &net);
            net = opt.step(lr, net, grads);
        }
        let accuracy = net.valid().accuracy(&test_set, &device.clone().without_autodiff());
        on_epoch(&Epoch { epoch, loss: total / per_epoch.max(1) as f64, test_accuracy: accuracy });
    }
    Ok(net.valid())
}
