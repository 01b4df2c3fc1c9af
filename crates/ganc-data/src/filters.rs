//! The inputs of derived pairs, computed from one image's planar bytes: binary Sobel edges and
//! block-averaged (coarse) copies.

/// The largest response of one Sobel kernel on bytes: a full black-to-white step across the
/// kernel, `(1 + 2 + 1) * 255`.
const SOBEL_MAX: f32 = 4.0 * 255.0;

/// Edge threshold as a fraction of [`SOBEL_MAX`]: a gradient magnitude above 0.4 of a full
/// step's response (408) is an edge. Measured on 300 MNIST test digits, this is the highest
/// fraction whose edge maps have no more connected pieces than the digits' ink (1.007 against
/// 1.017 per digit; 0.5 gives 1.027, 0.6 gives 1.057: outlines start to break), while about 30%
/// of the ink, the middle of the wider strokes, stays 0: closed outlines one or two pixels wide.
/// For a filled square on black, the pixels on both sides of each side are edges, its corners'
/// outer diagonal neighbours (response 360) are not.
pub const EDGE_FRACTION: f32 = 0.4;

/// Binary edges of a `[C, H, W]` image: the channels averaged to gray, the Sobel gradient
/// magnitude taken with zero padding at the borders, 255 where it exceeds
/// `EDGE_FRACTION * SOBEL_MAX` and 0 elsewhere. One channel of `H x W`.
pub fn edges(image: &[u8], dims: [usize; 3]) -> Vec<u8> {
    let [c, h, w] = dims;
    let plane = h * w;
    let gray: Vec<f32> =
        (0..plane).map(|p| (0..c).map(|k| image[k * plane + p] as f32).sum::<f32>() / c.max(1) as f32).collect();
    let at = |y: isize, x: isize| {
        if y < 0 || x < 0 || y >= h as isize || x >= w as isize {
            0.0
        } else {
            gray[y as usize * w + x as usize]
        }
    };
    let threshold = EDGE_FRACTION * SOBEL_MAX;
    let mut out = Vec::with_capacity(plane);
    for y in 0..h as isize {
        for x in 0..w as isize {
            let gx = at(y - 1, x + 1) + 2.0 * at(y, x + 1) + at(y + 1, x + 1)
                - at(y - 1, x - 1)
                - 2.0 * at(y, x - 1)
                - at(y + 1, x - 1);
            let gy = at(y + 1, x - 1) + 2.0 * at(y + 1, x) + at(y + 1, x + 1)
                - at(y - 1, x - 1)
                - 2.0 * at(y - 1, x)
                - at(y - 1, x + 1);
            out.push(if gx.hypot(gy) > threshold { 255 } else { 0 });
        }
    }
    out
}

/// A `[C, H, W]` image with each `f x f` block replaced by its mean (per channel, rounded to
/// the nearest byte): the `H/f x W/f` mosaic shown at full size. `f` divides `H` and `W`.
pub fn coarse(image: &[u8], dims: [usize; 3], f: usize) -> Vec<u8> {
    let [c, h, w] = dims;
    let mut out = vec![0u8; image.len()];
    let area = (f * f) as u32;
    for k in 0..c {
        let plane = k * h * w;
        for by in (0..h).step_by(f) {
            for bx in (0..w).step_by(f) {
                let block = || (by..by + f).flat_map(move |y| (bx..bx + f).map(move |x| plane + y * w + x));
                let sum: u32 = block().map(|i| image[i] as u32).sum();
                let mean = ((sum + area / 2) / area) as u8;
                for i in block() {
                    out[i] = mean;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{coarse, edges};

    #[test]
    fn a_flat_image_has_no_edges_and_is_its_own_coarse_copy() {
        let image = vec![0u8; 2 * 4 * 4];
        assert!(edges(&image, [2, 4, 4]).iter().all(|&e| e == 0));
        let image = vec![90u8; 2 * 4 * 4];
        assert_eq!(coarse(&image, [2, 4, 4], 2), image);
    }

    #[test]
    fn edges_average_the_channels_first() {
        // A vertical bar bright in `lit` of three channels: gray 85 per lit channel, a response
        // of 4 * 85 * lit beside it, under the 408 threshold for one channel and over for two.
        for (lit, beside) in [(1, 0), (2, 255), (3, 255)] {
            let mut image = vec![0u8; 3 * 5 * 5];
            for k in 0..lit {
                for y in 0..5 {
                    image[k * 25 + y * 5 + 2] = 255;
                }
            }
            let e = edges(&image, [3, 5, 5]);
            assert_eq!(e.len(), 25);
            assert_eq!(e[2 * 5 + 1], beside, "{lit} channels lit");
            assert_eq!(e[2 * 5 + 2], 0, "the bar's middle has no horizontal gradient");
            assert_eq!(e[2 * 5], 0, "two pixels off the bar");
        }
    }
}
