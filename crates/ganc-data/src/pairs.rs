//! Paired (image-to-image) data for pix2pix-style conditional GANs: pix2pixHD-style folders
//! of inputs and targets matched by file name, and pairs derived from any image set.

use crate::filters::{coarse, edges};
use crate::images::{image_files, load_image, resolve, ImageSet, PairImages, PairInputs};
use crate::{DataError, Split};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How [`crate::Source::Derived`] makes each image's input; the image itself is the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// Binary edges, one channel of the image's height and width: the Sobel gradient magnitude
    /// of the channel-averaged image (zero padding at the borders), 255 where it exceeds 0.4 of
    /// a full black-to-white step's response (`0.4 * 4 * 255 = 408`), 0 elsewhere. MNIST digits
    /// come out as closed outlines one or two pixels wide, the middle of wider strokes hollow;
    /// a filled square gives the rings just inside and just outside its border.
    Edges,
    /// Each `f x f` block averaged per channel (rounded to the nearest byte) and
    /// nearest-upsampled back to full size; `f` must divide the height and width.
    Coarse(usize),
}

/// What a paired folder must hold, for the errors of [`load_folders`].
const PAIRED_HELP: &str = "a paired folder holds `train_A` (inputs) and `train_B` (targets), and `test_A` and \
     `test_B` for the test split, with the same file names in A and B (relative paths are tried under the data \
     directory)";

/// A pix2pixHD-style folder: the inputs of `split` from `<path>/{train,test}_A`, the targets
/// from `<path>/{train,test}_B`, matched by file name, each image loaded by [`load_image`].
pub fn load_folders(
    data_dir: &Path,
    path: &Path,
    size: usize,
    channels: usize,
    split: Split,
) -> Result<ImageSet, DataError> {
    let root = resolve(data_dir, path);
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "test",
    };
    let (dir_a, dir_b) = (root.join(format!("{prefix}_A")), root.join(format!("{prefix}_B")));
    let (inputs, targets) = (by_name(&dir_a)?, by_name(&dir_b)?);
    for (have, other, lacking) in [(&inputs, &targets, &dir_b), (&targets, &inputs, &dir_a)] {
        if let Some((name, file)) = have.iter().find(|(name, _)| !other.contains_key(*name)) {
            return Err(DataError::new(
                file,
                format!("{} has no partner of the same name in `{}`", name.to_string_lossy(), lacking.display()),
                format!(
                    "add `{}` to `{}` or remove the unpaired file; {PAIRED_HELP}",
                    name.to_string_lossy(),
                    lacking.display()
                ),
            ));
        }
    }
    let plane = channels * size * size;
    let (mut a, mut b) = (Vec::with_capacity(inputs.len() * plane), Vec::with_capacity(targets.len() * plane));
    for (name, file) in &inputs {
        a.extend(load_image(file, size, channels)?);
        b.extend(load_image(&targets[name], size, channels)?);
    }
    let dims = [channels, size, size];
    Ok(ImageSet::new(b, dims, None).with_pairs(PairInputs::Images(PairImages { pixels: a, dims })))
}

/// The images of `folder` by file name.
fn by_name(folder: &Path) -> Result<BTreeMap<OsString, PathBuf>, DataError> {
    Ok(image_files(folder, PAIRED_HELP)?
        .into_iter()
        .filter_map(|file| Some((file.file_name()?.to_os_string(), file)))
        .collect())
}

/// `set` (unpaired) with each image's input made by `pairing`; the images stay the targets,
/// with their labels.
pub fn derive(set: ImageSet, pairing: Pairing) -> Result<ImageSet, DataError> {
    let [c, h, w] = set.dims;
    let images = 0..set.len();
    let (pixels, dims) = match pairing {
        Pairing::Edges => (images.flat_map(|i| edges(set.image(i), set.dims)).collect(), [1, h, w]),
        Pairing::Coarse(f) if f == 0 || !h.is_multiple_of(f) || !w.is_multiple_of(f) => {
            return Err(DataError::new(
                "",
                format!("a coarse factor of {f} does not divide the {h}x{w} images into whole blocks"),
                format!("use a factor of at least 1 that divides both {h} and {w}"),
            ));
        }
        Pairing::Coarse(f) => (images.flat_map(|i| coarse(set.image(i), set.dims, f)).collect(), [c, h, w]),
    };
    Ok(set.with_pairs(PairInputs::Images(PairImages { pixels, dims })))
}
