//! Loading the real data sets of `../shared/data` and refusing damaged files with clear errors.

use ganc_data::{open, Source, Split};
use std::path::{Path, PathBuf};

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganc-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("mnist")).unwrap();
    dir
}

#[test]
fn mnist_and_fashion_load_with_labels_in_range() {
    for fashion in [false, true] {
        let data =
            open(&Source::Mnist { fashion, split: Split::Test }, &shared_data()).expect("the shared data set loads");
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
