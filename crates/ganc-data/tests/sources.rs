//! Loading data sets (small ones the tests write, and the real ones of `../shared/data` when
//! present) and refusing damaged files with clear errors.

use flate2::write::GzEncoder;
use ganc_data::{open, Source, Split};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The real data sets: `GANC_SHARED_DATA`, else `../shared/data` beside the workspace; `None`
/// (with the reason printed) when they are not there, as in a fresh clone.
fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("GANC_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("mnist").is_dir() && dir.join("fashion-mnist").is_dir() {
        Some(dir)
    } else {
        println!("skipped: no MNIST and Fashion-MNIST under {} (set GANC_SHARED_DATA to the data sets)", dir.display());
        None
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganc-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("mnist")).unwrap();
    dir
}

#[test]
fn mnist_and_fashion_load_with_labels_in_range() {
    let Some(shared) = shared_data() else { return };
    for fashion in [false, true] {
        let data = open(&Source::Mnist { fashion, split: Split::Test }, &shared).expect("the shared data set loads");
        assert_eq!(data.len(), Some(10_000));
        assert_eq!(data.dims(), vec![1, 28, 28]);
        let batch = data.batch(3, 0, 64);
        assert_eq!(batch.x.len(), 64 * 784);
        assert!(batch.x.iter().all(|v| (-1.0..=1.0).contains(v)));
        assert!(batch.x.iter().any(|v| *v > 0.9), "some ink");
        let labels = batch.labels.unwrap();
        assert!(labels.iter().all(|l| *l < 10));
        assert!(labels.iter().collect::<std::collections::BTreeSet<_>>().len() > 5);
        assert_eq!(data.batch(3, 0, 64).x, batch.x, "same seed, same batch");
    }
}

#[test]
fn missing_files_name_the_path_tried() {
    let dir = temp_dir("missing");
    let err = open(&Source::Mnist { fashion: false, split: Split::Train }, &dir).unwrap_err();
    assert!(err.path.ends_with("mnist/train-images-idx3-ubyte.gz"), "{err}");
    assert!(err.help.contains("--data-dir"), "{}", err.help);
}

#[test]
fn bad_magic_and_truncation_are_reported() {
    let dir = temp_dir("corrupt");
    let mut header = vec![0u8, 0, 8, 1];
    header.extend_from_slice(&2u32.to_be_bytes());
    std::fs::write(dir.join("mnist/train-images-idx3-ubyte"), &header).unwrap();
    std::fs::write(dir.join("mnist/train-labels-idx1-ubyte"), &header).unwrap();
    let err = open(&Source::Mnist { fashion: false, split: Split::Train }, &dir).unwrap_err();
    assert!(err.problem.contains("magic") || err.problem.contains("truncated"), "{err}");

    let mut images = vec![0u8, 0, 8, 3];
    for v in [2u32, 28, 28] {
        images.extend_from_slice(&v.to_be_bytes());
    }
    images.extend(vec![0u8; 100]);
    std::fs::write(dir.join("mnist/train-images-idx3-ubyte"), &images).unwrap();
    let err = open(&Source::Mnist { fashion: false, split: Split::Train }, &dir).unwrap_err();
    assert!(err.problem.contains("truncated"), "{err}");

    std::fs::write(dir.join("mnist/train-images-idx3-ubyte.gz"), b"not gzip at all").unwrap();
    let err = open(&Source::Mnist { fashion: false, split: Split::Train }, &dir).unwrap_err();
    assert!(err.problem.contains("gzip"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn image_folders_are_resized_and_cropped() {
    let dir = temp_dir("images");
    let folder = dir.join("faces");
    std::fs::create_dir_all(&folder).unwrap();
    for (i, (w, h)) in [(40u32, 20u32), (16, 16), (10, 30)].iter().enumerate() {
        let img = image::RgbImage::from_fn(*w, *h, |x, _| image::Rgb([(x * 6) as u8, 128, 255]));
        img.save(folder.join(format!("{i}.png"))).unwrap();
    }
    let data = open(&Source::Images { path: "faces".into(), size: 8, channels: 3 }, &dir).unwrap();
    assert_eq!(data.len(), Some(3));
    assert_eq!(data.dims(), vec![3, 8, 8]);
    let b = data.batch(0, 0, 3);
    // Blue is 255 everywhere: the third plane of every image is 1.0.
    assert!(b.x[128..192].iter().all(|v| (*v - 1.0).abs() < 1e-6));
    std::fs::write(folder.join("broken.png"), b"nope").unwrap();
    let err = open(&Source::Images { path: "faces".into(), size: 8, channels: 3 }, &dir).unwrap_err();
    assert!(err.path.ends_with("broken.png"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

fn gzip(path: &Path, bytes: &[u8]) {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    std::fs::write(path, gz.finish().unwrap()).unwrap();
}

#[test]
fn gzipped_idx_files_load_with_their_labels() {
    let dir = temp_dir("idx");
    std::fs::create_dir_all(dir.join("fashion-mnist")).unwrap();
    // Image i is filled with the value 10 * i; its label is i mod 10.
    let n = 12u8;
    let mut images: Vec<u8> = [2051u32, n as u32, 3, 5].iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut labels: Vec<u8> = [2049u32, n as u32].iter().flat_map(|v| v.to_be_bytes()).collect();
    for i in 0..n {
        images.extend([10 * i; 15]);
        labels.push(i % 10);
    }
    gzip(&dir.join("fashion-mnist/t10k-images-idx3-ubyte.gz"), &images);
    gzip(&dir.join("fashion-mnist/t10k-labels-idx1-ubyte.gz"), &labels);
    let data = open(&Source::Mnist { fashion: true, split: Split::Test }, &dir).unwrap();
    assert_eq!((data.len(), data.dims()), (Some(12), vec![1, 3, 5]));
    // An epoch of 4 batches of 3 visits every image once, each with its own label.
    let mut seen = Vec::new();
    for k in 0..4 {
        let b = data.batch(5, k, 3);
        for (pixels, label) in b.x.chunks(15).zip(b.labels.unwrap()) {
            let value = ((pixels[0] + 1.0) * 127.5).round() as u32;
            assert!(pixels.iter().all(|p| *p == pixels[0]));
            assert_eq!(value / 10 % 10, label);
            seen.push(value / 10);
        }
    }
    seen.sort();
    assert_eq!(seen, (0..12).collect::<Vec<_>>());
    std::fs::remove_dir_all(&dir).ok();
}

/// A CIFAR-10 record: the label, then the red, green and blue planes of 32x32 bytes.
fn cifar_record(label: u8, red: u8) -> Vec<u8> {
    let mut r = vec![label];
    r.extend([red; 1024]);
    r.extend([255 - red; 1024]);
    r.extend([0; 1024]);
    r
}

#[test]
fn cifar10_binary_batches_load_planar_with_labels() {
    let dir = temp_dir("cifar");
    let base = dir.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&base).unwrap();
    // Three records per training file: record j of file i has red 10 * (3i + j), label j + i.
    for i in 0..5u8 {
        let bytes: Vec<u8> = (0..3u8).flat_map(|j| cifar_record(j + i, 10 * (3 * i + j))).collect();
        std::fs::write(base.join(format!("data_batch_{}.bin", i + 1)), bytes).unwrap();
    }
    std::fs::write(base.join("test_batch.bin"), cifar_record(9, 200)).unwrap();
    let train = open(&Source::Cifar10 { split: Split::Train }, &dir).unwrap();
    assert_eq!((train.len(), train.dims()), (Some(15), vec![3, 32, 32]));
    let b = train.batch(1, 0, 15);
    let mut reds = Vec::new();
    for (image, label) in b.x.chunks(3 * 1024).zip(b.labels.unwrap()) {
        let byte = |v: f32| ((v + 1.0) * 127.5).round() as u32;
        let red = byte(image[0]);
        assert!(image[..1024].iter().all(|v| byte(*v) == red));
        assert!(image[1024..2048].iter().all(|v| byte(*v) == 255 - red));
        assert!(image[2048..].iter().all(|v| *v == -1.0));
        let (i, j) = (red / 10 / 3, red / 10 % 3);
        assert_eq!(label, i + j);
        reds.push(red);
    }
    reds.sort();
    assert_eq!(reds, (0..15).map(|k| 10 * k).collect::<Vec<_>>());
    let test = open(&Source::Cifar10 { split: Split::Test }, &dir).unwrap();
    assert_eq!(test.batch(0, 0, 1).labels, Some(vec![9]));

    // A cut record and a label past 9 are errors naming the file.
    std::fs::write(base.join("test_batch.bin"), &cifar_record(1, 0)[..3000]).unwrap();
    let err = open(&Source::Cifar10 { split: Split::Test }, &dir).unwrap_err();
    assert!(err.path.ends_with("test_batch.bin") && err.problem.contains("3073"), "{err}");
    std::fs::write(base.join("test_batch.bin"), cifar_record(10, 0)).unwrap();
    let err = open(&Source::Cifar10 { split: Split::Test }, &dir).unwrap_err();
    assert!(err.problem.contains("label 10"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// 300 tiny images whose first pixel is their index (mod 256) and whose class is `i % 3`, so the
/// subset's images can be traced back.
fn three_classes(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let images: Vec<u8> = (0..300).flat_map(|i| [(i % 256) as u8, 0, 0, 0]).collect();
    let labels: Vec<u8> = (0..300).map(|i| (i % 3) as u8).collect();
    ganc_data::write_idx(&dir.join("mnist"), Split::Train, 2, 2, &images, &labels).unwrap();
    dir
}

#[test]
fn a_labelled_subset_is_balanced_seeded_and_cycles() {
    let dir = three_classes("labelled");
    let data = open(&Source::Mnist { fashion: false, split: Split::Train }, &dir).unwrap();
    let subset = data.labelled_subset(12, 5).expect("4 of each of 3 classes");
    assert_eq!(subset.len(), Some(12));
    // One epoch of batches of 12 sees each kept image once: 4 per class, each with its own label.
    let batch = subset.batch(1, 0, 12);
    let labels = batch.labels.unwrap();
    for class in 0..3 {
        assert_eq!(labels.iter().filter(|&&l| l == class).count(), 4, "{labels:?}");
    }
    let firsts: Vec<u32> = batch.x.chunks(4).map(|px| ((px[0] + 1.0) * 127.5).round() as u32).collect();
    for (first, label) in firsts.iter().zip(&labels) {
        // Indices 0..300 wrap at 256; the class of index i is i % 3, for both i and i + 256.
        let candidates = [*first, first + 256];
        assert!(candidates.iter().any(|i| i % 3 == *label && *i < 300), "image {first} is not of class {label}");
    }
    // The same seed keeps the same images, another seed others.
    let again = data.labelled_subset(12, 5).unwrap().batch(1, 0, 12);
    assert_eq!(again.x, batch.x);
    let other = data.labelled_subset(12, 6).unwrap().batch(1, 0, 12);
    let sorted = |x: &[f32]| {
        let mut v: Vec<i32> = x.chunks(4).map(|p| (p[0] * 1000.0) as i32).collect();
        v.sort();
        v
    };
    assert_ne!(sorted(&other.x), sorted(&batch.x));
    // A batch larger than the subset cycles through it.
    assert_eq!(subset.batch(1, 3, 30).n, 30);
}

#[test]
fn a_labelled_subset_that_cannot_be_balanced_is_refused() {
    let dir = three_classes("unbalanced");
    let data = open(&Source::Mnist { fashion: false, split: Split::Train }, &dir).unwrap();
    let err = data.labelled_subset(10, 1).unwrap_err();
    assert!(err.problem.contains("evenly among 3 classes"), "{err}");
    let err = data.labelled_subset(303, 1).unwrap_err();
    assert!(err.problem.contains("fewer than the 101"), "{err}");
    assert!(err.help.contains("labels: 300"), "{}", err.help);
}
