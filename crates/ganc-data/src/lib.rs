//! Data sources of ganc, deterministic for a seed.
//!
//! [`open`] loads a [`Source`] (MNIST or Fashion-MNIST IDX files, CIFAR-10 binary batches, a
//! folder of images, or a generated 2D Gaussian mixture); [`Data::batch`] returns the `k`-th
//! training batch. A batch depends only on the seed and `k`, never on what was drawn before, so
//! a resumed run sees exactly the batches an uninterrupted one would.
//!
//! Paired data carries a per-sample condition that travels with each sample: a pair's input
//! image (pix2pixHD) or an embedding vector (StackGAN++). Image-to-image pairs for pix2pix-style
//! conditional GANs come from a pix2pixHD-style folder ([`Source::Paired`]: `train_A` inputs,
//! `train_B` targets, matched by file name) or are derived from any image set
//! ([`Source::Derived`]: edge maps or coarse mosaics, see [`Pairing`]); embeddings come from a
//! user's `.npy` file with one row per image of an image set ([`Source::Embedded`]). The batches
//! carry the conditions in [`Batch::pairs`], aligned with the samples in [`Batch::x`];
//! [`Data::pair_dims`] gives their shape.

mod embeddings;
mod error;
mod filters;
mod idx;
mod images;
mod mixture;
mod pairs;
mod sampler;

pub use error::DataError;
pub use idx::write as write_idx;
pub use mixture::{Coverage, Mixture};
pub use pairs::Pairing;

use std::path::{Path, PathBuf};

/// The environment variable naming the data directory when `--data-dir` is not given.
pub const DATA_DIR_ENV: &str = "GANC_DATA_DIR";

/// Which part of a data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The training images.
    Train,
    /// The test images.
    Test,
}

/// A data source, as the checked model describes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// MNIST (`fashion: false`) or Fashion-MNIST, 1x28x28, 10 classes.
    Mnist {
        /// Fashion-MNIST instead of MNIST.
        fashion: bool,
        /// Which split.
        split: Split,
    },
    /// CIFAR-10 binary batches, 3x32x32, 10 classes.
    Cifar10 {
        /// Which split.
        split: Split,
    },
    /// A folder of PNG/JPEG images, resized and centre-cropped to `size` x `size`.
    Images {
        /// The folder (absolute, or relative to the data directory or the working directory).
        path: PathBuf,
        /// Height and width.
        size: usize,
        /// 1, 3 or 4 channels.
        channels: usize,
    },
    /// A generated 2D mixture of Gaussians.
    Mixture(Mixture),
    /// A pix2pixHD-style paired folder: inputs in `<path>/train_A`, targets in `<path>/train_B`
    /// (`test_A` and `test_B` for the test split), matched by file name, each image resized and
    /// centre-cropped as [`Source::Images`] does.
    Paired {
        /// The folder holding the `_A` and `_B` folders (resolved as [`Source::Images`]'s).
        path: PathBuf,
        /// Height and width of inputs and targets.
        size: usize,
        /// 1, 3 or 4 channels, for inputs and targets.
        channels: usize,
        /// Which split.
        split: Split,
    },
    /// Pairs made from an image source at load time: each image is a target, its input made
    /// by `pairing`.
    Derived {
        /// The image source (MNIST, Fashion-MNIST, CIFAR-10 or a folder).
        base: Box<Source>,
        /// How each input is made from its target.
        pairing: Pairing,
    },
    /// The images (and labels) of an image source, each carrying an embedding vector (a
    /// StackGAN++ text embedding): row `i` of a float32 or float64 `.npy` file of shape `[N, d]`
    /// for the source's `i`-th image in its stored order.
    Embedded {
        /// The image source (MNIST, Fashion-MNIST, CIFAR-10 or a folder).
        base: Box<Source>,
        /// The `.npy` file (resolved as [`Source::Images`]'s folder).
        path: PathBuf,
    },
}

/// One batch: `n` samples of `dims` each, flattened, in [-1, 1] for images.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Samples, `n * prod(dims)` values, sample-major (NCHW for images).
    pub x: Vec<f32>,
    /// Class labels, for labelled data.
    pub labels: Option<Vec<u32>>,
    /// The per-sample condition that travels with each sample, for paired data: a pair's input
    /// image (pix2pixHD; NCHW, in [-1, 1]) or an embedding vector (StackGAN++; values as
    /// stored). `n * prod(pair_dims)` values, sample-major; sample `i`'s condition is the
    /// `i`-th, its sample `x`'s `i`-th. `None` for unpaired data.
    pub pairs: Option<Vec<f32>>,
    /// Number of samples.
    pub n: usize,
}

/// A loaded data source.
#[derive(Debug)]
pub enum Data {
    /// Images held in memory as bytes.
    Images(images::ImageSet),
    /// Samples generated on demand.
    Mixture(Mixture),
}

impl Data {
    /// The shape of one sample.
    pub fn dims(&self) -> Vec<usize> {
        match self {
            Data::Images(set) => set.dims.to_vec(),
            Data::Mixture(_) => vec![2],
        }
    }

    /// The shape of the per-sample condition that travels with each sample: `[C, H, W]` of a
    /// pair's input image (pix2pixHD) or `[d]` of an embedding vector (StackGAN++); `None` for
    /// unpaired data.
    pub fn pair_dims(&self) -> Option<Vec<usize>> {
        match self {
            Data::Images(set) => set.pairs.as_ref().map(images::PairInputs::dims),
            Data::Mixture(_) => None,
        }
    }

    /// Number of stored samples (`None` for generated data).
    pub fn len(&self) -> Option<usize> {
        match self {
            Data::Images(set) => Some(set.len()),
            Data::Mixture(_) => None,
        }
    }

    /// Whether there are no samples at all.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The labelled subset of a semi-supervised GAN: `n` images with their labels, the same
    /// number of each class, drawn by `seed` (each class's images shuffled, the first `n / K`
    /// kept), each with its condition (pair's input or embedding) for paired data. Its batches
    /// cycle through the subset in a fresh order each epoch.
    pub fn labelled_subset(&self, n: usize, seed: u64) -> Result<Data, DataError> {
        match self {
            Data::Images(set) => set.labelled_subset(n, seed).map(Data::Images),
            Data::Mixture(_) => Err(DataError::new(
                "",
                "a 2D mixture has no class labels to keep a subset of",
                "remove `labels` from the data line",
            )),
        }
    }

    /// The `n` stored samples from index `start` on, in order (the whole of a test split is read
    /// this way); a generated mixture draws `n` fresh points.
    pub fn slice(&self, start: usize, n: usize) -> Batch {
        match self {
            Data::Images(set) => set.slice(start, n),
            Data::Mixture(m) => m.batch(0, start as u64, n),
        }
    }

    /// The `k`-th batch of `n` samples for `seed`.
    pub fn batch(&self, seed: u64, k: u64, n: usize) -> Batch {
        match self {
            Data::Images(set) => set.batch(seed, k, n),
            Data::Mixture(m) => m.batch(seed, k, n),
        }
    }
}

impl Source {
    /// The same data set's test split, for sets that have one (derived pairs: those of the
    /// base's test split; embeddings belong to one split, so embedded sets have none).
    pub fn test_split(&self) -> Option<Source> {
        match self {
            Source::Mnist { fashion, .. } => Some(Source::Mnist { fashion: *fashion, split: Split::Test }),
            Source::Cifar10 { .. } => Some(Source::Cifar10 { split: Split::Test }),
            Source::Paired { path, size, channels, .. } => {
                Some(Source::Paired { path: path.clone(), size: *size, channels: *channels, split: Split::Test })
            }
            Source::Derived { base, pairing } => {
                Some(Source::Derived { base: Box::new(base.test_split()?), pairing: *pairing })
            }
            Source::Images { .. } | Source::Mixture(_) | Source::Embedded { .. } => None,
        }
    }
}

/// Where data files are looked for: the flag, then [`DATA_DIR_ENV`], then `./data`.
pub fn data_dir(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os(DATA_DIR_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// Loads `source`, reading files under `data_dir`.
pub fn open(source: &Source, data_dir: &Path) -> Result<Data, DataError> {
    match source {
        Source::Mnist { fashion, split } => idx::load(data_dir, *fashion, *split).map(Data::Images),
        Source::Cifar10 { split } => images::load_cifar10(data_dir, *split).map(Data::Images),
        Source::Images { path, size, channels } => {
            images::load_folder(data_dir, path, *size, *channels).map(Data::Images)
        }
        Source::Mixture(m) => Ok(Data::Mixture(m.clone())),
        Source::Paired { path, size, channels, split } => {
            pairs::load_folders(data_dir, path, *size, *channels, *split).map(Data::Images)
        }
        Source::Derived { base, pairing } => {
            pairs::derive(unpaired_images(base, data_dir, "derive pairs from")?, *pairing).map(Data::Images)
        }
        Source::Embedded { base, path } => {
            embeddings::attach(unpaired_images(base, data_dir, "attach embeddings to")?, data_dir, path)
                .map(Data::Images)
        }
    }
}

/// The images of `base`, for a source that gives each of them a condition (`what` names how,
/// as in "derive pairs from"); an error for a 2D mixture or an already paired set.
fn unpaired_images(base: &Source, data_dir: &Path, what: &str) -> Result<images::ImageSet, DataError> {
    let help = format!("{what} an unpaired image set (MNIST, Fashion-MNIST, CIFAR-10 or a folder)");
    match open(base, data_dir)? {
        Data::Images(set) if set.pairs.is_none() => Ok(set),
        Data::Images(_) => Err(DataError::new(
            "",
            "the data set is already paired (each sample carries an input image or an embedding)",
            help,
        )),
        Data::Mixture(_) => Err(DataError::new("", format!("cannot {what} a 2D mixture"), help)),
    }
}

/// Mixes a seed with stream numbers into an independent seed (SplitMix64 finalizer).
pub fn mix_seed(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
