//! Paired (image-to-image) data: pix2pixHD-style folders and pairs derived from image sets, on
//! tiny data sets the tests write.

use ganc_data::{open, Batch, Data, Mixture, Pairing, Source, Split};
use std::path::{Path, PathBuf};

/// A fresh folder of its own under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganc-data-pairs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `w` x `h` gray PNG filled with `value`.
fn gray_png(path: &Path, w: u32, h: u32, value: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::GrayImage::from_pixel(w, h, image::Luma([value])).save(path).unwrap();
}

/// A [-1, 1] value back to its byte.
fn byte(v: f32) -> u8 {
    ((v + 1.0) * 127.5).round() as u8
}

/// Each sample's target and input as bytes, `target` and `input` values per sample.
fn halves(b: &Batch, target: usize, input: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let pairs = b.pairs.as_ref().expect("a paired batch carries its inputs");
    assert_eq!((b.x.len(), pairs.len()), (b.n * target, b.n * input));
    b.x.chunks(target)
        .zip(pairs.chunks(input))
        .map(|(t, i)| (t.iter().map(|&v| byte(v)).collect(), i.iter().map(|&v| byte(v)).collect()))
        .collect()
}

/// `<dir>/pix/{train,test}_{A,B}`: target `name` of value `v` (written 16x12, loaded 8x8), its
/// input of value `255 - v`; train values 10, 40, ... and test values 200, 220.
fn paired_folder(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let pix = dir.join("pix");
    for (i, file) in ["e.png", "a.png", "d.png", "b.png", "f.png", "c.png"].iter().enumerate() {
        let v = 10 + 30 * i as u8;
        gray_png(&pix.join("train_B").join(file), 16, 12, v);
        gray_png(&pix.join("train_A").join(file), 16, 12, 255 - v);
    }
    for (file, v) in [("x.png", 200u8), ("y.png", 220)] {
        gray_png(&pix.join("test_B").join(file), 10, 10, v);
        gray_png(&pix.join("test_A").join(file), 10, 10, 255 - v);
    }
    dir
}

fn paired(split: Split) -> Source {
    Source::Paired { path: "pix".into(), size: 8, channels: 1, split }
}

/// MNIST-style IDX files of `rows` x `cols` images and labels under `<dir>/mnist`.
fn idx(name: &str, rows: usize, cols: usize, images: &[u8], labels: &[u8]) -> PathBuf {
    let dir = temp_dir(name);
    ganc_data::write_idx(&dir.join("mnist"), Split::Train, rows, cols, images, labels).unwrap();
    dir
}

fn derived(pairing: Pairing) -> Source {
    Source::Derived { base: Box::new(Source::Mnist { fashion: false, split: Split::Train }), pairing }
}

#[test]
fn a_paired_folder_loads_aligned_pairs() {
    let dir = paired_folder("load");
    let data = open(&paired(Split::Train), &dir).unwrap();
    assert_eq!(data.len(), Some(6));
    assert_eq!((data.dims(), data.pair_dims()), (vec![1, 8, 8], Some(vec![1, 8, 8])));
    let b = data.slice(0, 6);
    assert_eq!(b.labels, None);
    let mut targets = Vec::new();
    for (target, input) in halves(&b, 64, 64) {
        assert!(target.iter().all(|&p| p == target[0]), "resized and cropped, still flat");
        assert!(input.iter().all(|&p| p == 255 - target[0]), "input {input:?} is not the partner of {target:?}");
        targets.push(target[0]);
    }
    // In file-name order: a.png (value 40), b.png (100), c.png (160), d.png (70), e.png (10), f.png (130).
    assert_eq!(targets, [40, 100, 160, 70, 10, 130]);

    // The test split reads test_A and test_B.
    let test = open(&paired(Split::Train).test_split().unwrap(), &dir).unwrap();
    let pairs = halves(&test.slice(0, 10), 64, 64);
    assert_eq!(pairs.iter().map(|(t, i)| (t[0], i[0])).collect::<Vec<_>>(), [(200, 55), (220, 35)]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn paired_batches_and_slices_stay_aligned_across_epochs() {
    let dir = paired_folder("epochs");
    let data = open(&paired(Split::Train), &dir).unwrap();
    // One batch of 4 per epoch of 6: batches 0..5 each come from a fresh shuffle.
    let mut firsts = Vec::new();
    for k in 0..5 {
        let b = data.batch(9, k, 4);
        assert_eq!(b, data.batch(9, k, 4), "a batch depends on the seed and k only");
        let pairs = halves(&b, 64, 64);
        for (target, input) in &pairs {
            assert_eq!(input[0], 255 - target[0], "batch {k}");
        }
        firsts.push(pairs.iter().map(|(t, _)| t[0]).collect::<Vec<_>>());
    }
    assert!(firsts.windows(2).any(|w| w[0] != w[1]), "epochs are shuffled afresh: {firsts:?}");
    // A slice past the end keeps what there is, pairs included.
    let tail = data.slice(4, 10);
    assert_eq!(tail.n, 2);
    let pairs = halves(&tail, 64, 64);
    assert_eq!(pairs.iter().map(|(t, i)| (t[0], i[0])).collect::<Vec<_>>(), [(10, 245), (130, 125)]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unpaired_file_or_a_missing_folder_is_an_error_naming_it() {
    let dir = paired_folder("partner");
    let pix = dir.join("pix");
    gray_png(&pix.join("train_A/lonely.png"), 8, 8, 0);
    let err = open(&paired(Split::Train), &dir).unwrap_err();
    assert!(err.path.ends_with("train_A/lonely.png"), "{err}");
    assert!(err.problem.contains("lonely.png") && err.problem.contains("train_B"), "{err}");
    assert!(err.help.contains("lonely.png"), "{}", err.help);
    std::fs::remove_file(pix.join("train_A/lonely.png")).unwrap();

    // A target without an input.
    gray_png(&pix.join("train_B/orphan.png"), 8, 8, 0);
    let err = open(&paired(Split::Train), &dir).unwrap_err();
    assert!(err.path.ends_with("train_B/orphan.png") && err.problem.contains("train_A"), "{err}");
    std::fs::remove_file(pix.join("train_B/orphan.png")).unwrap();
    assert!(open(&paired(Split::Train), &dir).is_ok());

    // A missing and an empty folder.
    std::fs::remove_dir_all(pix.join("test_A")).unwrap();
    let err = open(&paired(Split::Test), &dir).unwrap_err();
    assert!(err.path.ends_with("pix/test_A"), "{err}");
    assert!(err.help.contains("train_A") && err.help.contains("test_B"), "{}", err.help);
    std::fs::create_dir_all(pix.join("test_A")).unwrap();
    let err = open(&paired(Split::Test), &dir).unwrap_err();
    assert!(err.path.ends_with("pix/test_A") && err.problem.contains("no .png"), "{err}");
    // An absolute path works as well as one under the data directory.
    let absolute = Source::Paired { path: pix.clone(), size: 8, channels: 1, split: Split::Train };
    assert_eq!(open(&absolute, Path::new("/nonexistent")).unwrap().len(), Some(6));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn coarse_pairs_are_block_means() {
    // Two 4x4 images, labels 3 and 5; with f = 2 each 2x2 block becomes its rounded mean.
    #[rustfmt::skip]
    let images: Vec<u8> = vec![
        0, 10, 20, 30,
        40, 50, 60, 70,
        80, 90, 100, 110,
        120, 130, 140, 150,

        1, 2, 255, 255,
        2, 2, 254, 255,
        0, 0, 9, 0,
        0, 1, 0, 0,
    ];
    let dir = idx("coarse", 4, 4, &images, &[3, 5]);
    let data = open(&derived(Pairing::Coarse(2)), &dir).unwrap();
    assert_eq!((data.dims(), data.pair_dims()), (vec![1, 4, 4], Some(vec![1, 4, 4])));
    let b = data.slice(0, 2);
    assert_eq!(b.labels, Some(vec![3, 5]), "the base's labels are kept");
    let pairs = halves(&b, 16, 16);
    // 7 / 4 = 1.75 rounds to 2, 1019 / 4 = 254.75 to 255, 9 / 4 = 2.25 to 2, 1 / 4 to 0.
    #[rustfmt::skip]
    let want: [[u8; 16]; 2] = [
        [25, 25, 45, 45, 25, 25, 45, 45, 105, 105, 125, 125, 105, 105, 125, 125],
        [2, 2, 255, 255, 2, 2, 255, 255, 0, 0, 2, 2, 0, 0, 2, 2],
    ];
    for (i, (target, input)) in pairs.iter().enumerate() {
        assert_eq!(target[..], images[16 * i..16 * (i + 1)], "the target is the image itself");
        assert_eq!(input[..], want[i], "image {i}");
    }
    // f = 1 copies the image; f = 4 is the whole image's mean.
    let same = open(&derived(Pairing::Coarse(1)), &dir).unwrap().slice(0, 2);
    assert_eq!(same.pairs.as_ref(), Some(&same.x));
    let whole = halves(&open(&derived(Pairing::Coarse(4)), &dir).unwrap().slice(0, 1), 16, 16);
    assert!(whole[0].1.iter().all(|&p| p == 75), "{:?}", whole[0].1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn coarse_pairs_average_each_channel_on_its_own() {
    let dir = temp_dir("coarse-rgb");
    // Red 0 / 100 in alternating columns, green the row number times 40, blue 255.
    let img = image::RgbImage::from_fn(4, 4, |x, y| image::Rgb([if x % 2 == 0 { 0 } else { 100 }, 40 * y as u8, 255]));
    std::fs::create_dir_all(dir.join("rgb")).unwrap();
    img.save(dir.join("rgb/0.png")).unwrap();
    let base = Source::Images { path: "rgb".into(), size: 4, channels: 3 };
    let data = open(&Source::Derived { base: Box::new(base), pairing: Pairing::Coarse(2) }, &dir).unwrap();
    assert_eq!(data.pair_dims(), Some(vec![3, 4, 4]));
    let pairs = halves(&data.slice(0, 1), 48, 48);
    let input = &pairs[0].1;
    assert!(input[..16].iter().all(|&p| p == 50), "red {:?}", &input[..16]);
    assert_eq!(input[16..32], [20, 20, 20, 20, 20, 20, 20, 20, 100, 100, 100, 100, 100, 100, 100, 100]);
    assert!(input[32..].iter().all(|&p| p == 255), "blue");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_coarse_factor_that_does_not_divide_the_image_is_refused() {
    let dir = idx("factor", 4, 6, &[7; 24], &[0]);
    for f in [0, 3, 4, 8] {
        let err = open(&derived(Pairing::Coarse(f)), &dir).unwrap_err();
        assert!(err.problem.contains(&format!("factor of {f}")) && err.problem.contains("4x6"), "{err}");
        assert!(err.help.contains("divides both 4 and 6"), "{}", err.help);
    }
    for f in [1, 2] {
        assert!(open(&derived(Pairing::Coarse(f)), &dir).is_ok(), "{f} divides 4 and 6");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_edges_of_a_filled_square_are_its_outline() {
    // A 6x6 square of 255 (rows and columns 5..11) on a 16x16 black image.
    let inside = |y: usize, x: usize| (5..11).contains(&y) && (5..11).contains(&x);
    let image: Vec<u8> = (0..256).map(|p| if inside(p / 16, p % 16) { 255 } else { 0 }).collect();
    let dir = idx("edges", 16, 16, &image, &[0]);
    let data = open(&derived(Pairing::Edges), &dir).unwrap();
    assert_eq!(data.pair_dims(), Some(vec![1, 16, 16]));
    let edges = &halves(&data.slice(0, 1), 256, 256)[0].1;
    for y in 0..16 {
        for x in 0..16 {
            // Chebyshev distance to the square: 0 inside; and how deep inside.
            let out = |v: usize| if v < 5 { 5 - v } else { v.saturating_sub(10) };
            let (dy, dx) = (out(y), out(x));
            let depth = [y as isize - 5, 10 - y as isize, x as isize - 5, 10 - x as isize].into_iter().min().unwrap();
            let want = if inside(y, x) {
                // The square's own border is an edge, its interior not.
                if depth == 0 {
                    255
                } else {
                    0
                }
            } else if dy.max(dx) == 1 && !(dy == 1 && dx == 1) {
                // Just outside a side; the outer diagonal of a corner (response 360) is not.
                255
            } else {
                0
            };
            assert_eq!(edges[y * 16 + x], want, "pixel ({y}, {x}):\n{}", picture(edges, 16));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_edge_threshold_is_four_tenths_of_a_full_step() {
    // 4x8 images, black on the left half and `v` on the right: the pixels either side of the
    // step respond 4 v, an edge when above 0.4 * 4 * 255 = 408, so for v above 102.
    let steps = [95u8, 100, 105, 110, 255];
    let images: Vec<u8> = steps.iter().flat_map(|&v| (0..32).map(move |p| if p % 8 < 4 { 0 } else { v })).collect();
    let dir = idx("threshold", 4, 8, &images, &[0; 5]);
    let data = open(&derived(Pairing::Edges), &dir).unwrap();
    for (v, (_, edges)) in steps.iter().zip(halves(&data.slice(0, 5), 32, 32)) {
        let want = if *v > 102 { 255 } else { 0 };
        for row in [1, 2] {
            // (The last column steps down to the zero padding: an edge too for the brighter steps.)
            let r = &edges[row * 8..row * 8 + 7];
            assert_eq!(r, [0, 0, 0, want, want, 0, 0], "step of {v}, row {row}:\n{}", picture(&edges, 8));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Edges as rows of `#` and `.`, for failure messages.
fn picture(edges: &[u8], w: usize) -> String {
    edges.chunks(w).map(|r| r.iter().map(|&p| if p > 0 { '#' } else { '.' }).collect::<String>() + "\n").collect()
}

#[test]
fn edges_are_one_channel_of_the_averaged_image_with_zero_padding() {
    let dir = temp_dir("edges-rgb");
    // A white 6x6 RGB image: no gradient inside, a step to the zero padding at the border.
    std::fs::create_dir_all(dir.join("white")).unwrap();
    image::RgbImage::from_pixel(6, 6, image::Rgb([255, 255, 255])).save(dir.join("white/0.png")).unwrap();
    // A pure-red image is a third as bright: 4 * 85 = 340 at a side, under the threshold.
    image::RgbImage::from_pixel(6, 6, image::Rgb([255, 0, 0])).save(dir.join("white/1.png")).unwrap();
    let base = Source::Images { path: "white".into(), size: 6, channels: 3 };
    let data = open(&Source::Derived { base: Box::new(base), pairing: Pairing::Edges }, &dir).unwrap();
    assert_eq!((data.dims(), data.pair_dims()), (vec![3, 6, 6], Some(vec![1, 6, 6])));
    let pairs = halves(&data.slice(0, 2), 108, 36);
    let frame = |p: usize| [0, 5].contains(&(p / 6)) || [0, 5].contains(&(p % 6));
    for (p, &e) in pairs[0].1.iter().enumerate() {
        assert_eq!(e, if frame(p) { 255 } else { 0 }, "white, pixel {p}:\n{}", picture(&pairs[0].1, 6));
    }
    // At the red image's corners the response is hypot(3, 3) * 85 = 361, also under.
    assert!(pairs[1].1.iter().all(|&e| e == 0), "red:\n{}", picture(&pairs[1].1, 6));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn test_split_maps_paired_and_derived_sources() {
    let train = paired(Split::Train);
    assert_eq!(train.test_split(), Some(paired(Split::Test)));
    assert_eq!(
        derived(Pairing::Edges).test_split(),
        Some(Source::Derived {
            base: Box::new(Source::Mnist { fashion: false, split: Split::Test }),
            pairing: Pairing::Edges
        })
    );
    let cifar =
        Source::Derived { base: Box::new(Source::Cifar10 { split: Split::Train }), pairing: Pairing::Coarse(4) };
    assert_eq!(
        cifar.test_split(),
        Some(Source::Derived { base: Box::new(Source::Cifar10 { split: Split::Test }), pairing: Pairing::Coarse(4) })
    );
    let folder = Source::Images { path: "faces".into(), size: 8, channels: 3 };
    assert_eq!(Source::Derived { base: Box::new(folder), pairing: Pairing::Edges }.test_split(), None);
}

#[test]
fn a_labelled_subset_keeps_each_images_pair() {
    // 30 images of 2x2: image i is [8 i, 0, 0, 0] with label i % 3, so its coarse (f = 2)
    // input is 2 i everywhere and both halves name the image.
    let images: Vec<u8> = (0..30u8).flat_map(|i| [8 * i, 0, 0, 0]).collect();
    let labels: Vec<u8> = (0..30).map(|i| i % 3).collect();
    let dir = idx("subset", 2, 2, &images, &labels);
    let data = open(&derived(Pairing::Coarse(2)), &dir).unwrap();
    let subset = data.labelled_subset(9, 4).unwrap();
    assert_eq!((subset.len(), subset.pair_dims()), (Some(9), Some(vec![1, 2, 2])));
    for b in [subset.slice(0, 9), subset.batch(2, 0, 9), subset.batch(2, 5, 9)] {
        let kept_labels = b.labels.clone().unwrap();
        for ((target, input), label) in halves(&b, 4, 4).into_iter().zip(kept_labels) {
            let i = target[0] / 8;
            assert_eq!(i % 3, label as u8, "the label stays with its image");
            assert_eq!(input, [2 * i; 4], "image {i} lost its pair");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unpaired_data_has_no_pairs_and_a_mixture_cannot_be_paired() {
    let dir = idx("unpaired", 2, 2, &[9; 12], &[0, 1, 2]);
    let mnist = open(&Source::Mnist { fashion: false, split: Split::Train }, &dir).unwrap();
    assert_eq!((mnist.pair_dims(), mnist.batch(0, 0, 2).pairs, mnist.slice(0, 3).pairs), (None, None, None));
    let ring = Mixture::ring(8, 2.0, 0.02);
    let mixture = open(&Source::Mixture(ring.clone()), &dir).unwrap();
    assert!(matches!(mixture, Data::Mixture(_)));
    assert_eq!((mixture.pair_dims(), mixture.batch(0, 0, 4).pairs), (None, None));
    let err =
        open(&Source::Derived { base: Box::new(Source::Mixture(ring)), pairing: Pairing::Edges }, &dir).unwrap_err();
    assert!(err.problem.contains("mixture") && !err.help.is_empty(), "{err}");
    // Deriving from an already paired set is refused rather than replacing its inputs.
    let pix = paired_folder("twice");
    let twice = Source::Derived { base: Box::new(paired(Split::Train)), pairing: Pairing::Edges };
    assert!(open(&twice, &pix).unwrap_err().problem.contains("already paired"));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&pix).ok();
}
