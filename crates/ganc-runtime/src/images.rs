//! Samples as files: image grids as PNG and arrays as NumPy `.npy`.

use image::{Rgb, RgbImage};
use std::path::Path;

/// Writes `n` images (NCHW in [-1, 1], `dims` = [C, H, W]) as a square grid with 2-pixel gaps.
pub fn grid(path: &Path, x: &[f32], n: usize, dims: &[usize]) -> image::ImageResult<()> {
    grid_with_columns(path, x, n, (n as f64).sqrt().ceil().max(1.0) as usize, dims)
}

/// Writes `n` images as [`grid`] does, `cols` to a row (one row per class of a conditional G).
pub fn grid_with_columns(path: &Path, x: &[f32], n: usize, cols: usize, dims: &[usize]) -> image::ImageResult<()> {
    let (c, h, w) = (dims[0], dims[1], dims[2]);
    let cols = cols.max(1);
    let rows = n.div_ceil(cols);
    let gap = 2;
    let mut img =
        RgbImage::from_pixel((cols * (w + gap) + gap) as u32, (rows * (h + gap) + gap) as u32, Rgb([32, 32, 32]));
    for i in 0..n {
        let (r, col) = (i / cols, i % cols);
        let base = i * c * h * w;
        for y in 0..h {
            for xx in 0..w {
                let px = |ch: usize| {
                    let v = x[base + ch.min(c - 1) * h * w + y * w + xx];
                    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
                };
                let rgb = if c >= 3 { Rgb([px(0), px(1), px(2)]) } else { Rgb([px(0), px(0), px(0)]) };
                img.put_pixel((gap + col * (w + gap) + xx) as u32, (gap + r * (h + gap) + y) as u32, rgb);
            }
        }
    }
    img.save(path)
}

/// Writes one image (CHW in [-1, 1], `dims` = [C, H, W]) at its own size: grayscale for one
/// channel, RGB for three (the files `ganc sample -o FOLDER` writes and `ganc eval` reads back).
pub fn single(path: &Path, x: &[f32], dims: &[usize]) -> image::ImageResult<()> {
    let (c, h, w) = (dims[0], dims[1], dims[2]);
    let byte = |v: f32| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
    if c >= 3 {
        let pixels = (0..h * w).flat_map(|p| (0..3).map(move |ch| byte(x[ch * h * w + p]))).collect();
        RgbImage::from_raw(w as u32, h as u32, pixels).expect("h * w * 3 bytes").save(path)
    } else {
        image::GrayImage::from_raw(w as u32, h as u32, x[..h * w].iter().map(|&v| byte(v)).collect())
            .expect("h * w bytes")
            .save(path)
    }
}

/// Reads a NumPy `.npy` file of float32, float64 or uint8 (C order) as f32 values and its shape;
/// uint8 pixels in [0, 255] are scaled to [-1, 1].
pub fn read_npy(bytes: &[u8]) -> Result<(Vec<f32>, Vec<usize>), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a NumPy .npy file".into());
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        _ => return Err("a truncated .npy header".into()),
    };
    let header =
        bytes.get(start..start + len).and_then(|h| std::str::from_utf8(h).ok()).ok_or("a truncated .npy header")?;
    let field = |key: &str| header.split(&format!("'{key}':")).nth(1).map(str::trim);
    if field("fortran_order").is_some_and(|f| f.starts_with("True")) {
        return Err("Fortran-ordered arrays are not read: save with C order".into());
    }
    let descr = field("descr").and_then(|d| d.split('\'').nth(1)).ok_or("no dtype in the .npy header")?;
    let shape_text =
        field("shape").and_then(|s| s.strip_prefix('(')).and_then(|s| s.split(')').next()).ok_or("no shape")?;
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().map_err(|_| "a bad shape"))
        .collect::<Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let data = &bytes[start + len..];
    let values: Vec<f32> = match descr {
        "<f4" => data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        "<f8" => data.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()) as f32).collect(),
        "|u1" => data.iter().map(|&p| p as f32 / 127.5 - 1.0).collect(),
        other => return Err(format!("dtype `{other}`: float32, float64 or uint8 expected")),
    };
    if values.len() < count {
        return Err(format!("{} values for the shape {shape:?}", values.len()));
    }
    Ok((values[..count].to_vec(), shape))
}

/// Writes `data` (float32, C order) as a NumPy `.npy` file.
pub fn npy(path: &Path, data: &[f32], shape: &[usize]) -> std::io::Result<()> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + 4 * data.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    crate::checkpoint::write_atomic(path, &bytes)
}
