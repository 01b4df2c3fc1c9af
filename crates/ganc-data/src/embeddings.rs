//! Per-sample embedding vectors for StackGAN++-style conditioning: a user's `.npy` file of
//! shape `[N, d]` whose row `i` belongs to image `i` of an image set.

use crate::images::{resolve, Embeddings, ImageSet, PairInputs};
use crate::DataError;
use npyz::{DType, NpyFile, NpyHeader, Order};
use std::path::Path;

/// What the embeddings file must be, for the errors about its contents.
const SAVE_HELP: &str = "save the embeddings with numpy as one float row per image, in the data set's order: \
     `np.save(path, e.astype(np.float32))` for an array `e` of shape [N, d]";

/// `set` (unpaired) with row `i` of the `.npy` file at `path` (resolved as an image folder's
/// path) as image `i`'s embedding.
pub fn attach(set: ImageSet, data_dir: &Path, path: &Path) -> Result<ImageSet, DataError> {
    let embeddings = read(&resolve(data_dir, path), set.len())?;
    Ok(set.with_pairs(PairInputs::Embeddings(embeddings)))
}

/// The rows of the `.npy` file `file`, which must hold a C-ordered `[images, d]` array of
/// float32 or float64 (converted to float32) finite values.
fn read(file: &Path, images: usize) -> Result<Embeddings, DataError> {
    let bytes = std::fs::read(file).map_err(|e| {
        DataError::new(
            file,
            format!("cannot read the embeddings file: {e}"),
            "point the embeddings at a .npy file of one row per image (relative paths are tried under the data \
             directory)",
        )
    })?;
    let npy = parse(file, &bytes)?;
    let width = width(file, &npy, images)?;
    let values = values(file, npy)?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(DataError::new(
            file,
            format!(
                "row {} of the embeddings holds a non-finite value ({} in column {})",
                i / width,
                values[i],
                i % width
            ),
            "replace NaN and infinite values (and float64 values beyond float32's range) before saving, e.g. with \
             `np.nan_to_num`",
        ));
    }
    Ok(Embeddings { values, width })
}

/// The `.npy` header of `bytes`, ready to read the data after it.
fn parse<'a>(file: &Path, bytes: &'a [u8]) -> Result<NpyFile<&'a [u8]>, DataError> {
    // npyz multiplies the dimensions unchecked, a panic on overflow in debug builds.
    let parsed = std::panic::catch_unwind(|| NpyFile::new(bytes));
    let problem = match parsed {
        Ok(Ok(npy)) => return Ok(npy),
        Ok(Err(e)) => format!("not a .npy file: {e}"),
        Err(_) => "not a .npy file: its shape overflows".to_string(),
    };
    Err(DataError::new(file, problem, SAVE_HELP))
}

/// The row length `d` of a C-ordered `[images, d]` array; an error for any other layout.
fn width(file: &Path, npy: &NpyHeader, images: usize) -> Result<usize, DataError> {
    let refuse = |problem: String, help: String| Err(DataError::new(file, problem, help));
    let shape = npy.shape();
    let &[rows, width] = shape else {
        return refuse(
            format!("the embeddings have shape {shape:?} ({} dimensions), not [N, d]", shape.len()),
            format!("save a 2-D array, one row of d values per image (`e.reshape({images}, -1)`); {SAVE_HELP}"),
        );
    };
    if npy.order() == Order::Fortran {
        return refuse(
            "the embeddings are stored in Fortran (column-major) order".into(),
            "save a C-ordered array: `np.save(path, np.ascontiguousarray(e))`".into(),
        );
    }
    if rows != images as u64 {
        return refuse(
            format!("the embeddings have {rows} rows but the data set has {images} images"),
            format!("give exactly one row per image ({images} rows), row i for the data set's i-th image"),
        );
    }
    match usize::try_from(width).ok().filter(|&w| w > 0 && w.checked_mul(images).is_some()) {
        Some(width) => Ok(width),
        None => refuse(
            format!("the embeddings have rows of {width} values"),
            format!("give each image a vector of at least one value; {SAVE_HELP}"),
        ),
    }
}

/// The values of `npy`: float32 (`<f4`) as stored, float64 (`<f8`) rounded to float32.
fn values(file: &Path, npy: NpyFile<&[u8]>) -> Result<Vec<f32>, DataError> {
    let dtype = npy.dtype();
    let read = match &dtype {
        DType::Plain(t) if t.to_string() == "<f4" => npy.into_vec::<f32>(),
        DType::Plain(t) if t.to_string() == "<f8" => {
            npy.into_vec::<f64>().map(|v| v.into_iter().map(|x| x as f32).collect())
        }
        _ => {
            return Err(DataError::new(
                file,
                format!(
                    "the embeddings are of dtype {}, not little-endian float32 (`<f4`) or float64 (`<f8`)",
                    dtype.descr()
                ),
                SAVE_HELP,
            ))
        }
    };
    read.map_err(|e| DataError::new(file, format!("the embeddings data is cut short or unreadable: {e}"), SAVE_HELP))
}
