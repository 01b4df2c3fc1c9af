//! Reading and writing the feature networks' weights as safetensors: tensors by name, each
//! checked against the shape the network expects.

use burn::tensor::{Device, Tensor, TensorData};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::path::Path;

/// What went wrong reading a weights file.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read.
    #[error("cannot read `{0}`: {1}")]
    Read(String, String),
    /// Not a safetensors file.
    #[error("not a safetensors file: {0}")]
    Format(String),
    /// A tensor the network needs is absent.
    #[error("the weights have no tensor `{0}`")]
    Missing(String),
    /// A tensor has another shape than the network's.
    #[error("the tensor `{name}` has shape {found:?} where the network expects {expected:?}")]
    Shape {
        /// The tensor.
        name: String,
        /// The network's shape.
        expected: Vec<usize>,
        /// The file's.
        found: Vec<usize>,
    },
    /// A tensor of a type other than f32, f16, bf16 or f64.
    #[error("the tensor `{0}` is of type {1}: f32, f16, bf16 or f64 expected")]
    Dtype(String, String),
}

/// A parsed safetensors file.
pub struct Weights<'a>(SafeTensors<'a>);

impl<'a> Weights<'a> {
    /// Parses the bytes of a safetensors file.
    pub fn parse(bytes: &'a [u8]) -> Result<Weights<'a>, WeightsError> {
        SafeTensors::deserialize(bytes).map(Weights).map_err(|e| WeightsError::Format(e.to_string()))
    }

    /// The tensor `name`, which must have shape `dims`, as f32 on `device`.
    pub fn tensor<const D: usize>(
        &self,
        name: &str,
        dims: [usize; D],
        device: &Device,
    ) -> Result<Tensor<D>, WeightsError> {
        let view = self.0.tensor(name).map_err(|_| WeightsError::Missing(name.to_string()))?;
        if view.shape() != dims {
            return Err(WeightsError::Shape {
                name: name.into(),
                expected: dims.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        let values = decode(&view).ok_or_else(|| WeightsError::Dtype(name.into(), format!("{:?}", view.dtype())))?;
        Ok(Tensor::from_data(TensorData::new(values, dims), device))
    }
}

/// The values of a tensor of f32, f16, bf16 or f64 as f32 (`None` for other types).
pub fn decode(view: &TensorView<'_>) -> Option<Vec<f32>> {
    let data = view.data();
    Some(match view.dtype() {
        Dtype::F32 => data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => data.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::BF16 => data.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::F64 => {
            data.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()) as f32).collect()
        }
        _ => return None,
    })
}

/// Writes `tensors` in half precision to `path` (atomically), with `metadata`.
pub fn write_f16(path: &Path, tensors: &[(String, TensorData)], metadata: &[(&str, String)]) -> std::io::Result<()> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, data)| {
            let values = data.clone().try_into_vec_as::<f32>().unwrap_or_default();
            let le = values.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect();
            (name.clone(), data.shape().to_vec(), le)
        })
        .collect();
    let meta = metadata.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    write(path, Dtype::F16, &bytes, meta)
}

/// Writes named tensors of `dtype` (each its shape and little-endian bytes) to `path` as
/// safetensors (atomically), with `metadata`.
pub fn write(
    path: &Path,
    dtype: Dtype,
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    metadata: std::collections::HashMap<String, String>,
) -> std::io::Result<()> {
    let views = tensors
        .iter()
        .map(|(name, dims, data)| {
            TensorView::new(dtype, dims.clone(), data).map(|v| (name.clone(), v)).map_err(std::io::Error::other)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let data = safetensors::tensor::serialize(views, Some(metadata)).map_err(std::io::Error::other)?;
    crate::checkpoint::write_atomic(path, &data)
}
