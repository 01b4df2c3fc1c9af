//! `ganc export`: the generator's weights as safetensors, named after the `.gan` statements.

use crate::params::Named;
use crate::sample::Loaded;
use burn::module::Module;
use safetensors::tensor::Dtype;
use std::path::Path;

/// A parameter path (`body.3.Layer.Conv.weight`) as the layer names of the `.gan` file
/// (`3.conv.weight`): the statement index, the layer and the tensor.
pub fn tensor_name(path: &str) -> String {
    path.split('.')
        .filter(|s| !matches!(*s, "body" | "Layer" | "Residual" | "Let" | "Block"))
        .map(|s| s.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// Writes the loaded generator's tensors to `out` (atomically), with the model source as metadata.
pub fn export(loaded: &Loaded, out: &Path) -> std::io::Result<usize> {
    let mut named = Named::default();
    loaded.generator.visit(&mut named);
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = named
        .tensors
        .iter()
        .map(|(path, dims, values)| {
            (tensor_name(path), dims.clone(), values.iter().flat_map(|v| v.to_le_bytes()).collect())
        })
        .collect();
    let mut meta = std::collections::HashMap::new();
    meta.insert("format".to_string(), "ganc".to_string());
    meta.insert("network".to_string(), if loaded.is_ema { "generator (EMA)" } else { "generator" }.to_string());
    crate::evaluate::weights::write(out, Dtype::F32, &bytes, meta)?;
    Ok(bytes.len())
}
