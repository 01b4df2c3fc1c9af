//! Devices by name: `cpu` (burn's flex backend), `ndarray`, `cuda[:N]` (with the `cuda` feature).

use burn::tensor::Device;

/// Parses a `--device` value.
pub fn parse(name: &str) -> Result<Device, String> {
    let (kind, index) = name.split_once(':').unwrap_or((name, "0"));
    match kind {
        "cpu" | "flex" => Ok(Device::flex()),
        #[allow(deprecated)]
        "ndarray" => Ok(Device::ndarray()),
        "cuda" => cuda(index),
        other => Err(format!("unknown device `{other}`: use `cpu`, `ndarray` or `cuda[:N]`")),
    }
}

#[cfg(feature = "cuda")]
fn cuda(index: &str) -> Result<Device, String> {
    let i: usize = index.parse().map_err(|_| format!("`cuda:{index}`: the GPU index must be a number"))?;
    Ok(Device::cuda(i))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_: &str) -> Result<Device, String> {
    Err("this ganc was built without CUDA: rebuild with `cargo build --release --features cuda`".into())
}
