//! `ganc eval`'s inputs: generated images from a run's generator, a `.npy` file or a folder of
//! images, and the real images they are measured against.

use crate::evaluate::{measure, FeatureNet, FeatureNetError, Measure};
use crate::run::TrainError;
use crate::sample;
use ganc_data::{DataError, Source, Split};
use std::path::{Path, PathBuf};

/// What `ganc eval` measures.
#[derive(Clone, Debug)]
pub struct Request {
    /// A run directory, a `.npy` of samples (`[N, C, H, W]` or `[N, H, W]`, float32 in [-1, 1] or
    /// uint8 in [0, 255]) or a folder of PNG/JPEG images.
    pub source: PathBuf,
    /// The real data: `mnist`, `fashion_mnist`, `cifar10` or a folder of images; a run's own
    /// data when absent.
    pub data: Option<String>,
    /// Where data files are.
    pub data_dir: PathBuf,
    /// Generated (and real) images to compare, at most.
    pub samples: usize,
    /// The metrics.
    pub measures: Vec<Measure>,
    /// Inception-v3's weights.
    pub inception_weights: Option<PathBuf>,
    /// `cpu`, `ndarray`, `cuda[:N]`.
    pub device: String,
    /// Seed of the generator's latents, the real images drawn and KID's subsets.
    pub seed: u64,
}

/// What `ganc eval` measured.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The feature network's name.
    pub network: &'static str,
    /// The real data's name.
    pub data: String,
    /// Generated images compared.
    pub samples: usize,
    /// The run's step, for a run.
    pub step: Option<u64>,
    /// Each metric's columns with their values.
    pub values: Vec<(&'static str, f64)>,
}

/// Why `ganc eval` could not measure.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The run could not be loaded or sampled.
    #[error(transparent)]
    Run(#[from] TrainError),
    /// The real data could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// No feature network.
    #[error(transparent)]
    Network(#[from] FeatureNetError),
    /// Something about the inputs, with what to do.
    #[error("{0}")]
    Input(String, String),
}

impl EvalError {
    /// What the user can do.
    pub fn help(&self) -> String {
        match self {
            EvalError::Run(_) => "pass a run directory made by `ganc train`".into(),
            EvalError::Data(e) => e.help.clone(),
            EvalError::Network(e) => e.help(),
            EvalError::Input(_, help) => help.clone(),
        }
    }
}

/// Measures the request's generated images against its real data.
pub fn evaluate(r: &Request) -> Result<Evaluation, EvalError> {
    let device = crate::device::parse(&r.device).map_err(|e| EvalError::Input(e, "use --device cpu".into()))?;
    let (fake, dims, data, step) = if r.source.join("model.gan").is_file() {
        let loaded = sample::load(&r.source, &r.device, true)?;
        let (values, shape) = sample::sample(&loaded, r.samples, r.seed);
        let step = crate::checkpoint::find(&r.source).and_then(|c| crate::checkpoint::state(&c).ok()).map(|s| s.step);
        let data = match &r.data {
            Some(name) => name.clone(),
            None => loaded.model.data.source.name.to_string(),
        };
        let source = match &r.data {
            Some(name) => source_of(name, &shape[1..])?,
            None => loaded.plan.source.clone(),
        };
        (values, shape[1..].to_vec(), (data, source), step)
    } else {
        let (values, dims) = read_images(&r.source, r.samples)?;
        let name = r.data.clone().ok_or_else(|| {
            EvalError::Input(
                "which real data are the samples measured against?".into(),
                "pass --data mnist, fashion_mnist, cifar10 or a folder of real images".into(),
            )
        })?;
        let source = source_of(&name, &dims)?;
        (values, dims, (name, source), None)
    };
    if matches!(data.1, Source::Mixture(_)) {
        return Err(EvalError::Input(
            format!("`{}` is a 2D mixture: the image metrics do not apply", data.0),
            "a 2D mixture's run measures its modes with `evaluate { modes }` while it trains".into(),
        ));
    }
    let size: usize = dims.iter().product();
    let n = fake.len() / size.max(1);
    let net = FeatureNet::choose(&data.0, r.inception_weights.clone(), &device)?;
    if let Some(expected) = net.dims().filter(|d| d.as_slice() != dims.as_slice()) {
        return Err(EvalError::Input(
            format!("{} reads images of {expected:?}; these are {dims:?}", net.name()),
            "pass --inception-weights to measure other sizes".into(),
        ));
    }
    let real_set = ganc_data::open(&data.1, &r.data_dir)?;
    if real_set.dims() != dims {
        return Err(EvalError::Input(
            format!("the samples are {dims:?} but the data `{}` are {:?}", data.0, real_set.dims()),
            "measure samples against data of their own shape (--data)".into(),
        ));
    }
    let real = real_set.batch(ganc_data::mix_seed(r.seed, 5, 0), 0, n).x;
    let (real, _) = net.features(&real, &dims, &device);
    let (features, logits) = net.features(&fake, &dims, &device);
    let values = measure(&r.measures, &real, &features, &logits, None, r.seed);
    Ok(Evaluation { network: net.name(), data: data.0, samples: n, step, values })
}

/// The real data named `name` (its training split), or a folder of real images resized to `dims`.
fn source_of(name: &str, dims: &[usize]) -> Result<Source, EvalError> {
    Ok(match name {
        "mnist" => Source::Mnist { fashion: false, split: Split::Train },
        "fashion_mnist" => Source::Mnist { fashion: true, split: Split::Train },
        "cifar10" => Source::Cifar10 { split: Split::Train },
        folder if Path::new(folder).is_dir() && dims.len() == 3 => {
            Source::Images { path: PathBuf::from(folder), size: dims[1], channels: dims[0] }
        }
        other => {
            return Err(EvalError::Input(
                format!("unknown data `{other}`"),
                "pass --data mnist, fashion_mnist, cifar10 or a folder of real images".into(),
            ))
        }
    })
}

/// Up to `n` images from a `.npy` file or a folder, values in [-1, 1], and their shape `[C, H, W]`.
fn read_images(path: &Path, n: usize) -> Result<(Vec<f32>, Vec<usize>), EvalError> {
    if path.is_dir() {
        let probe = first_image(path)?;
        let channels = if probe.color().has_color() { 3 } else { 1 };
        let size = probe.width().min(probe.height()) as usize;
        let source = Source::Images { path: path.to_path_buf(), size, channels };
        let set = ganc_data::open(&source, Path::new("."))?;
        let count = set.len().unwrap_or(0).min(n);
        // One batch of every image, in the folder's order.
        let values = set.batch(0, 0, set.len().unwrap_or(0)).x;
        let dims = set.dims();
        return Ok((values[..count * dims.iter().product::<usize>()].to_vec(), dims));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| EvalError::Input(format!("cannot read `{}`: {e}", path.display()), "check the path".into()))?;
    let (values, shape) = crate::images::read_npy(&bytes).map_err(|e| {
        EvalError::Input(
            format!("`{}`: {e}", path.display()),
            "write samples with `ganc sample RUN -n N -o samples.npy`, or save float32 [N, C, H, W] in [-1, 1] with numpy"
                .into(),
        )
    })?;
    let dims: Vec<usize> = match shape.as_slice() {
        [_, h, w] => vec![1, *h, *w],
        [_, c, h, w] => vec![*c, *h, *w],
        other => {
            return Err(EvalError::Input(
                format!("`{}` has shape {other:?}: images of [N, C, H, W] or [N, H, W] expected", path.display()),
                "reshape the array to [N, C, H, W]".into(),
            ))
        }
    };
    let size: usize = dims.iter().product();
    let count = (values.len() / size.max(1)).min(n);
    Ok((values[..count * size].to_vec(), dims))
}

/// The first image of a folder, to learn the images' size and channels.
fn first_image(folder: &Path) -> Result<image::DynamicImage, EvalError> {
    let not_found =
        || EvalError::Input(format!("no .png or .jpg images in `{}`", folder.display()), "check the folder".into());
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|_| not_found())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "png" | "jpg" | "jpeg")))
        .collect();
    files.sort();
    let first = files.first().ok_or_else(not_found)?;
    image::open(first).map_err(|e| {
        EvalError::Input(format!("cannot decode `{}`: {e}", first.display()), "remove or replace it".into())
    })
}
