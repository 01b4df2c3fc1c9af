//! Images held in memory as bytes: CIFAR-10 binary batches and folders of PNG/JPEG files.

use crate::sampler::EpochOrder;
use crate::{Batch, DataError, Split};
use image::imageops::FilterType;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// Images stored as bytes in [0, 255], channel-major per image.
#[derive(Debug)]
pub struct ImageSet {
    /// `len * C * H * W` bytes.
    pub pixels: Vec<u8>,
    /// `[C, H, W]`.
    pub dims: [usize; 3],
    /// One label per image, for labelled sets.
    pub labels: Option<Vec<u32>>,
    /// The per-sample condition that travels with each image, for paired sets: a pair's input
    /// image (pix2pixHD; the images themselves are the targets) or an embedding vector
    /// (StackGAN++).
    pub pairs: Option<PairInputs>,
    /// The shuffle of the current epoch.
    order: EpochOrder,
}

/// What a paired set holds for each of its images.
#[derive(Clone, Debug, PartialEq)]
pub enum PairInputs {
    /// The input half of each image's pair.
    Images(PairImages),
    /// An embedding vector per image.
    Embeddings(Embeddings),
}

/// The input halves of a paired set: one image per target, with dims of their own.
#[derive(Clone, Debug, PartialEq)]
pub struct PairImages {
    /// `len * C * H * W` bytes in [0, 255], channel-major per image.
    pub pixels: Vec<u8>,
    /// `[C, H, W]`.
    pub dims: [usize; 3],
}

/// One embedding vector per image, as stored in the user's file.
#[derive(Clone, Debug, PartialEq)]
pub struct Embeddings {
    /// `len * width` values, one row per image.
    pub values: Vec<f32>,
    /// The length `d` of each vector.
    pub width: usize,
}

impl PairInputs {
    /// The shape of one image's input: `[C, H, W]` for an input image, `[d]` for an embedding.
    pub fn dims(&self) -> Vec<usize> {
        match self {
            PairInputs::Images(p) => p.dims.to_vec(),
            PairInputs::Embeddings(e) => vec![e.width],
        }
    }

    /// The number of values of one image's input.
    fn size(&self) -> usize {
        match self {
            PairInputs::Images(p) => p.dims.iter().product(),
            PairInputs::Embeddings(e) => e.width,
        }
    }

    /// Whether there is exactly one input for each of `n` images.
    fn holds(&self, n: usize) -> bool {
        let values = match self {
            PairInputs::Images(p) => p.pixels.len(),
            PairInputs::Embeddings(e) => e.values.len(),
        };
        values == n * self.size()
    }

    /// Appends image `i`'s input to `out`: an input image's bytes scaled to [-1, 1], an
    /// embedding as stored.
    fn push(&self, i: usize, out: &mut Vec<f32>) {
        match self {
            PairInputs::Images(p) => scale(row(&p.pixels, self.size(), i), out),
            PairInputs::Embeddings(e) => out.extend_from_slice(row(&e.values, e.width, i)),
        }
    }

    /// The inputs of the images at `idx`, in that order.
    fn select(&self, idx: &[usize]) -> PairInputs {
        match self {
            PairInputs::Images(p) => {
                PairInputs::Images(PairImages { pixels: pick(&p.pixels, self.size(), idx), dims: p.dims })
            }
            PairInputs::Embeddings(e) => {
                PairInputs::Embeddings(Embeddings { values: pick(&e.values, e.width, idx), width: e.width })
            }
        }
    }
}

/// Row `i` of `values` stored in rows of `size`.
fn row<T>(values: &[T], size: usize, i: usize) -> &[T] {
    &values[i * size..(i + 1) * size]
}

/// The rows at `idx` of `values` stored in rows of `size`, in that order.
fn pick<T: Copy>(values: &[T], size: usize, idx: &[usize]) -> Vec<T> {
    idx.iter().flat_map(|&i| row(values, size, i)).copied().collect()
}

/// Appends `bytes` to `out` scaled to [-1, 1] by `p / 127.5 - 1`.
fn scale(bytes: &[u8], out: &mut Vec<f32>) {
    out.extend(bytes.iter().map(|&p| p as f32 / 127.5 - 1.0));
}

impl ImageSet {
    /// A set of images of `dims` stored as bytes, with a label each for labelled sets.
    pub fn new(pixels: Vec<u8>, dims: [usize; 3], labels: Option<Vec<u32>>) -> Self {
        ImageSet { pixels, dims, labels, pairs: None, order: EpochOrder::default() }
    }

    /// The same set with `pairs` as the condition of each image.
    ///
    /// # Panics
    ///
    /// When `pairs` does not hold exactly one input per stored image.
    pub fn with_pairs(mut self, pairs: PairInputs) -> Self {
        assert!(pairs.holds(self.len()), "one input per target image");
        self.pairs = Some(pairs);
        self
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len() / self.size().max(1)
    }

    /// The number of bytes of one image.
    fn size(&self) -> usize {
        self.dims.iter().product()
    }

    /// The bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        row(&self.pixels, self.size(), i)
    }

    /// The `k`-th batch, pixels scaled to [-1, 1] by `p / 127.5 - 1`.
    pub fn batch(&self, seed: u64, k: u64, n: usize) -> Batch {
        self.gather(&self.order.batch_indices(seed, k, n, self.len()))
    }

    /// The images from `start` on (at most `n`), in order.
    pub fn slice(&self, start: usize, n: usize) -> Batch {
        let end = (start + n).min(self.len());
        self.gather(&(start.min(end)..end).collect::<Vec<_>>())
    }

    /// The images at `idx` (and their pairs' inputs), pixels scaled to [-1, 1].
    fn gather(&self, idx: &[usize]) -> Batch {
        let mut x = Vec::with_capacity(idx.len() * self.size());
        for &i in idx {
            scale(self.image(i), &mut x);
        }
        let pairs = self.pairs.as_ref().map(|p| {
            let mut out = Vec::with_capacity(idx.len() * p.size());
            for &i in idx {
                p.push(i, &mut out);
            }
            out
        });
        Batch { x, labels: self.labels_at(idx), pairs, n: idx.len() }
    }

    /// The labels of the images at `idx`, for labelled sets.
    fn labels_at(&self, idx: &[usize]) -> Option<Vec<u32>> {
        self.labels.as_ref().map(|l| idx.iter().map(|&i| l[i]).collect())
    }

    /// A new set of the images at `idx`, in that order, with their labels and pairs' inputs.
    fn select(&self, idx: &[usize]) -> ImageSet {
        let subset = ImageSet::new(pick(&self.pixels, self.size(), idx), self.dims, self.labels_at(idx));
        match &self.pairs {
            Some(p) => subset.with_pairs(p.select(idx)),
            None => subset,
        }
    }
}

impl ImageSet {
    /// `n` labelled images, `n / K` of each of the K classes present, each class's images
    /// shuffled by `seed` and the first ones kept (see [`crate::Data::labelled_subset`]).
    pub fn labelled_subset(&self, n: usize, seed: u64) -> Result<ImageSet, DataError> {
        let Some(labels) = &self.labels else {
            return Err(DataError::new("", "the images have no class labels", "remove `labels` from the data line"));
        };
        let classes = labels.iter().max().map_or(0, |&m| m as usize + 1);
        if classes == 0 || n == 0 || !n.is_multiple_of(classes) {
            return Err(DataError::new(
                "",
                format!("{n} labelled images cannot be shared evenly among {classes} classes"),
                format!("use a multiple of {classes} for `labels`"),
            ));
        }
        let per_class = n / classes;
        let mut kept = Vec::with_capacity(n);
        for class in 0..classes {
            let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] as usize == class).collect();
            if members.len() < per_class {
                return Err(DataError::new(
                    "",
                    format!("class {class} has {} images, fewer than the {per_class} to label", members.len()),
                    format!("use at most `labels: {}`", members.len() * classes),
                ));
            }
            members.shuffle(&mut StdRng::seed_from_u64(crate::mix_seed(seed, 7, class as u64)));
            kept.extend_from_slice(&members[..per_class]);
        }
        Ok(self.select(&kept))
    }
}

/// CIFAR-10 binary version: `data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`.
pub fn load_cifar10(dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    let base = ["cifar-10-batches-bin", "cifar10", "cifar-10"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| dir.join("cifar-10-batches-bin"));
    let names: Vec<String> = match split {
        Split::Train => (1..=5).map(|i| format!("data_batch_{i}.bin")).collect(),
        Split::Test => vec!["test_batch.bin".into()],
    };
    const RECORD: usize = 1 + 3 * 32 * 32;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for name in names {
        let path = base.join(&name);
        let bytes = std::fs::read(&path).map_err(|e| {
            DataError::new(
                &path,
                format!("cannot read CIFAR-10 batch {name}: {e}"),
                format!(
                    "put the binary version's files under `{}`, or point --data-dir (or {}) at their parent",
                    base.display(),
                    crate::DATA_DIR_ENV
                ),
            )
        })?;
        if bytes.is_empty() || bytes.len() % RECORD != 0 {
            return Err(DataError::new(
                &path,
                format!("{} bytes is not a whole number of 3073-byte records", bytes.len()),
                "the file is damaged or not the binary version of CIFAR-10",
            ));
        }
        for record in bytes.chunks_exact(RECORD) {
            if record[0] > 9 {
                return Err(DataError::new(&path, format!("label {} outside 0-9", record[0]), "the file is damaged"));
            }
            labels.push(record[0] as u32);
            pixels.extend_from_slice(&record[1..]);
        }
    }
    Ok(ImageSet::new(pixels, [3, 32, 32], Some(labels)))
}

/// `path` as given when it is absolute or exists (relative to the working directory), else
/// under `data_dir`.
pub fn resolve(data_dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        path.to_path_buf()
    } else {
        data_dir.join(path)
    }
}

/// The PNG/JPEG files of `folder`, sorted by name; an error with `help` when the folder cannot
/// be listed, and one when it holds no images.
pub fn image_files(folder: &Path, help: &str) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| DataError::new(folder, format!("cannot list the image folder: {e}"), help))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(DataError::new(
            folder,
            "no .png or .jpg images in the folder",
            "add images, or point the path elsewhere",
        ));
    }
    Ok(files)
}

/// One image file as `channels * size * size` planar bytes: resized so the shorter side is
/// `size`, then centre-cropped to `size` x `size`, converted to 1 (luma), 4 (RGBA) or else 3
/// (RGB) channels.
pub fn load_image(file: &Path, size: usize, channels: usize) -> Result<Vec<u8>, DataError> {
    let img = image::open(file).map_err(|e| {
        DataError::new(file, format!("cannot decode the image: {e}"), "remove or replace the damaged file")
    })?;
    let (w, h) = (img.width().max(1), img.height().max(1));
    let scale = size as f64 / w.min(h) as f64;
    let (nw, nh) =
        (((w as f64 * scale).round() as u32).max(size as u32), ((h as f64 * scale).round() as u32).max(size as u32));
    let resized = img.resize_exact(nw, nh, FilterType::Triangle);
    let (x0, y0) = ((nw - size as u32) / 2, (nh - size as u32) / 2);
    let cropped = resized.crop_imm(x0, y0, size as u32, size as u32);
    let raw: Vec<u8> = match channels {
        1 => cropped.to_luma8().into_raw(),
        4 => cropped.to_rgba8().into_raw(),
        _ => cropped.to_rgb8().into_raw(),
    };
    // Interleaved HWC to planar CHW.
    Ok((0..channels).flat_map(|c| raw.iter().skip(c).step_by(channels).copied()).collect())
}

/// Every PNG/JPEG in `path` (sorted by name), loaded by [`load_image`].
pub fn load_folder(data_dir: &Path, path: &Path, size: usize, channels: usize) -> Result<ImageSet, DataError> {
    let folder = resolve(data_dir, path);
    let files = image_files(
        &folder,
        "give `images(path: ...)` a folder of .png or .jpg files (relative paths are tried under the data directory)",
    )?;
    let mut pixels = Vec::with_capacity(files.len() * channels * size * size);
    for file in &files {
        pixels.extend(load_image(file, size, channels)?);
    }
    Ok(ImageSet::new(pixels, [channels, size, size], None))
}
