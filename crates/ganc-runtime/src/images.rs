//! Pictures of a run: sample grids, 2D scatter plots and loss curves, as PNG.

use image::{Rgb, RgbImage};
use std::path::Path;

/// Writes `n` images (NCHW in [-1, 1], `dims` = [C, H, W]) as a square grid with 2-pixel gaps.
pub fn grid(path: &Path, x: &[f32], n: usize, dims: &[usize]) -> image::ImageResult<()> {
    let (c, h, w) = (dims[0], dims[1], dims[2]);
    let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
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

/// Writes a scatter plot of real (blue) and generated (orange) 2D points.
pub fn scatter(path: &Path, real: &[f32], fake: &[f32]) -> image::ImageResult<()> {
    let size = 480u32;
    let mut img = RgbImage::from_pixel(size, size, Rgb([255, 255, 255]));
    let extent = real.iter().chain(fake).fold(1.0f32, |m, v| if v.is_finite() { m.max(v.abs()) } else { m }) * 1.1;
    let to_px = |v: f32| ((v / extent + 1.0) * 0.5 * (size - 1) as f32).round() as i64;
    for axis in 0..size {
        img.put_pixel(axis, size / 2, Rgb([220, 220, 220]));
        img.put_pixel(size / 2, axis, Rgb([220, 220, 220]));
    }
    for (points, color) in [(real, Rgb([31, 119, 180])), (fake, Rgb([255, 127, 14]))] {
        for p in points.chunks_exact(2) {
            let (x, y) = (to_px(p[0]), to_px(-p[1]));
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1)] {
                let (px, py) = (x + dx, y + dy);
                if (0..size as i64).contains(&px) && (0..size as i64).contains(&py) {
                    img.put_pixel(px as u32, py as u32, color);
                }
            }
        }
    }
    img.save(path)
}

/// Writes loss curves (each a series of `(step, value)`) on a shared, padded scale.
pub fn curves(path: &Path, series: &[(&str, Vec<(f64, f64)>)]) -> image::ImageResult<()> {
    let (w, h, pad) = (800u32, 400u32, 20u32);
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let points = series.iter().flat_map(|(_, s)| s.iter()).filter(|(_, v)| v.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in points {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if x0 > x1 {
        return img.save(path);
    }
    let (xs, ys) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
    let to = |x: f64, y: f64| {
        let px = pad as f64 + (x - x0) / xs * (w - 2 * pad) as f64;
        let py = (h - pad) as f64 - (y - y0) / ys * (h - 2 * pad) as f64;
        (px, py)
    };
    // Zero line, when in range.
    if y0 < 0.0 && y1 > 0.0 {
        let (_, zy) = to(x0, 0.0);
        for x in pad..w - pad {
            img.put_pixel(x, zy as u32, Rgb([200, 200, 200]));
        }
    }
    let colors = [Rgb([214, 39, 40]), Rgb([31, 119, 180]), Rgb([44, 160, 44]), Rgb([148, 103, 189])];
    for (i, (_, s)) in series.iter().enumerate() {
        let color = colors[i % colors.len()];
        let finite: Vec<_> = s.iter().filter(|(_, v)| v.is_finite()).collect();
        for pair in finite.windows(2) {
            let (a, b) = (to(pair[0].0, pair[0].1), to(pair[1].0, pair[1].1));
            let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil() as usize).max(1);
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
                if x >= 0.0 && y >= 0.0 && (x as u32) < w && (y as u32) < h {
                    img.put_pixel(x as u32, y as u32, color);
                }
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
