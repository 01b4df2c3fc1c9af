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
