//! MNIST and Fashion-MNIST from their IDX files (gzipped or raw).

use crate::images::ImageSet;
use crate::{DataError, Split};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;

/// Loads the images and labels of a split.
pub fn load(dir: &Path, fashion: bool, split: Split) -> Result<ImageSet, DataError> {
    let (folder, alternatives): (&str, &[&str]) =
        if fashion { ("fashion-mnist", &["fashion_mnist", "FashionMNIST"]) } else { ("mnist", &["MNIST"]) };
    let base = std::iter::once(folder)
        .chain(alternatives.iter().copied())
        .map(|f| dir.join(f))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| dir.join(folder));
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let images_path = find(&base, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(&base, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read(&images_path)?;
    let dims = header(&images_path, &images, IMAGES_MAGIC, 3)?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    expect_len(&images_path, &images, 16, n * rows * cols)?;
    let labels = read(&labels_path)?;
    let label_dims = header(&labels_path, &labels, LABELS_MAGIC, 1)?;
    expect_len(&labels_path, &labels, 8, label_dims[0])?;
    if label_dims[0] != n {
        return Err(DataError::new(
            &labels_path,
            format!("{} labels for {n} images", label_dims[0]),
            "the image and label files come from different splits or downloads",
        ));
    }
    Ok(ImageSet::new(images[16..].to_vec(), [1, rows, cols], Some(labels[8..].iter().map(|&l| l as u32).collect())))
}

/// `name.gz`, else `name`, in `dir`.
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let gz = dir.join(format!("{name}.gz"));
    let raw = dir.join(name);
    if gz.is_file() {
        Ok(gz)
    } else if raw.is_file() {
        Ok(raw)
    } else {
        Err(DataError::new(
            &gz,
            format!("missing data file {name}.gz (also tried {})", raw.display()),
            format!(
                "put the IDX files under `{}`, or point --data-dir (or {}) at the folder holding `mnist/` and `fashion-mnist/`",
                dir.display(),
                crate::DATA_DIR_ENV
            ),
        ))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    let bytes = std::fs::read(path)
        .map_err(|e| DataError::new(path, format!("cannot read the file: {e}"), "check the file's permissions"))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        GzDecoder::new(&bytes[..]).read_to_end(&mut out).map_err(|e| {
            DataError::new(path, format!("corrupt gzip data: {e}"), "the download is damaged: fetch the file again")
        })?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

/// Checks the magic number and returns the dimensions.
fn header(path: &Path, bytes: &[u8], magic: u32, ndim: usize) -> Result<Vec<usize>, DataError> {
    let need = 4 + 4 * ndim;
    if bytes.len() < need {
        return Err(DataError::new(
            path,
            format!("truncated: {} bytes, too short for an IDX header of {need}", bytes.len()),
            "the file is incomplete: fetch it again",
        ));
    }
    let word = |i: usize| u32::from_be_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]]);
    if word(0) != magic {
        return Err(DataError::new(
            path,
            format!("bad magic number {} (0x{:08x}), expected {magic}", word(0), word(0)),
            "this is not an IDX file of the expected kind (images 2051, labels 2049)",
        ));
    }
    Ok((1..=ndim).map(|i| word(i) as usize).collect())
}

fn expect_len(path: &Path, bytes: &[u8], header: usize, items: usize) -> Result<(), DataError> {
    let want = header + items;
    if bytes.len() != want {
        return Err(DataError::new(
            path,
            format!("truncated or padded: {} bytes, the header promises {want}", bytes.len()),
            "the file is damaged: fetch it again",
        ));
    }
    Ok(())
}

/// Writes `labels.len()` images of `rows` x `cols` bytes and their labels as the uncompressed IDX
/// files of `split` in `folder`, named as MNIST ships them: small data sets for tests and
/// examples that [`load`] reads back.
pub fn write(
    folder: &Path,
    split: Split,
    rows: usize,
    cols: usize,
    images: &[u8],
    labels: &[u8],
) -> std::io::Result<()> {
    let n = labels.len() as u32;
    let header = |words: &[u32]| words.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>();
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    std::fs::create_dir_all(folder)?;
    let image_bytes = [header(&[IMAGES_MAGIC, n, rows as u32, cols as u32]), images.to_vec()].concat();
    std::fs::write(folder.join(format!("{prefix}-images-idx3-ubyte")), image_bytes)?;
    std::fs::write(
        folder.join(format!("{prefix}-labels-idx1-ubyte")),
        [header(&[LABELS_MAGIC, n]), labels.to_vec()].concat(),
    )
}
