//! Per-sample embedding vectors from a user's `.npy` file (StackGAN++ text embeddings), on tiny
//! data sets and files the tests write.

use ganc_data::{open, Batch, DataError, Mixture, Pairing, Source, Split};
use npyz::{DType, Order, WriterBuilder};
use std::path::{Path, PathBuf};

/// A fresh folder of its own under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganc-data-embeddings-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `values` written by npyz as an array of `dtype` (a numpy type string) and `shape`.
fn write_npy<T: npyz::Serialize + Copy>(path: &Path, dtype: &str, shape: &[u64], order: Order, values: &[T]) {
    let mut bytes = Vec::new();
    let mut writer = npyz::WriteOptions::new()
        .dtype(DType::Plain(dtype.parse().unwrap()))
        .shape(shape)
        .order(order)
        .writer(&mut bytes)
        .begin_nd()
        .unwrap();
    writer.extend(values.iter().copied()).unwrap();
    writer.finish().unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A version 1.0 `.npy` file of header `dict` (a Python dict literal) followed by `data`.
fn write_raw_npy(path: &Path, dict: &str, data: &[u8]) {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// Image `i` of the IDX sets below: 2x2, its first pixel `8 i`, labelled `i % 3`.
const IMAGES: usize = 30;

/// Row `i` of the embeddings written for image `i`: its index, its label and values that a
/// rescaling would change.
fn row(i: usize) -> [f32; 3] {
    [i as f32, (i % 3) as f32 * 1000.0, -0.25 - i as f32 / 7.0]
}

/// `<dir>/mnist` with [`IMAGES`] images and `<dir>/emb.npy` with row `i` = [`row`]`(i)`.
fn embedded_mnist(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let images: Vec<u8> = (0..IMAGES as u8).flat_map(|i| [8 * i, 0, 0, 0]).collect();
    let labels: Vec<u8> = (0..IMAGES as u8).map(|i| i % 3).collect();
    ganc_data::write_idx(&dir.join("mnist"), Split::Train, 2, 2, &images, &labels).unwrap();
    let values: Vec<f32> = (0..IMAGES).flat_map(row).collect();
    write_npy(&dir.join("emb.npy"), "<f4", &[IMAGES as u64, 3], Order::C, &values);
    dir
}

fn mnist() -> Box<Source> {
    Box::new(Source::Mnist { fashion: false, split: Split::Train })
}

fn embedded(path: &str) -> Source {
    Source::Embedded { base: mnist(), path: path.into() }
}

/// Checks that every sample of `b` carries the embedding and label of its image (named by its
/// first pixel), and returns the images' indices.
fn check_aligned(b: &Batch) -> Vec<usize> {
    let embeddings = b.pairs.as_ref().expect("an embedded batch carries its embeddings");
    let labels = b.labels.as_ref().expect("the base's labels are kept");
    assert_eq!((b.x.len(), embeddings.len(), labels.len()), (b.n * 4, b.n * 3, b.n));
    let mut seen = Vec::new();
    for ((x, e), &label) in b.x.chunks(4).zip(embeddings.chunks(3)).zip(labels) {
        let i = (((x[0] + 1.0) * 127.5).round() / 8.0) as usize;
        assert_eq!(e, row(i), "image {i} lost its embedding");
        assert_eq!(label as usize, i % 3, "image {i} lost its label");
        seen.push(i);
    }
    seen
}

#[test]
fn embeddings_stay_aligned_through_batches_and_slices() {
    let dir = embedded_mnist("aligned");
    let data = open(&embedded("emb.npy"), &dir).unwrap();
    assert_eq!((data.len(), data.dims(), data.pair_dims()), (Some(IMAGES), vec![1, 2, 2], Some(vec![3])));
    // 7 batches of 4 per epoch of 30: batches 0..20 span three epochs, each shuffled afresh.
    let mut epochs = vec![Vec::new(); 3];
    for k in 0..21 {
        let b = data.batch(5, k, 4);
        assert_eq!(b, data.batch(5, k, 4), "a batch depends on the seed and k only");
        epochs[k as usize / 7].extend(check_aligned(&b));
    }
    for seen in &epochs {
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 28, "an epoch draws each image at most once: {seen:?}");
    }
    assert!(epochs[0] != epochs[1] && epochs[1] != epochs[2], "epochs are shuffled afresh");
    // Slices keep the stored order, a slice past the end what there is.
    assert_eq!(check_aligned(&data.slice(0, IMAGES)), (0..IMAGES).collect::<Vec<_>>());
    let tail = data.slice(27, 10);
    assert_eq!(check_aligned(&tail), [27, 28, 29]);
    assert_eq!(tail.pairs.unwrap()[..3], row(27), "values as stored, not rescaled");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_labelled_subset_keeps_each_images_embedding() {
    let dir = embedded_mnist("subset");
    let data = open(&embedded("emb.npy"), &dir).unwrap();
    let subset = data.labelled_subset(9, 4).unwrap();
    assert_eq!((subset.len(), subset.pair_dims()), (Some(9), Some(vec![3])));
    let kept = check_aligned(&subset.slice(0, 9));
    assert_eq!(kept.iter().filter(|&&i| i % 3 == 0).count(), 3, "three of each class: {kept:?}");
    for k in 0..4 {
        check_aligned(&subset.batch(2, k, 6));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn float64_embeddings_of_an_image_folder_load_as_float32() {
    let dir = temp_dir("folder");
    std::fs::create_dir_all(dir.join("faces")).unwrap();
    // File-name order: a (value 50), b (150), c (250).
    for (file, v) in [("b.png", 150u8), ("c.png", 250), ("a.png", 50)] {
        image::GrayImage::from_pixel(6, 6, image::Luma([v])).save(dir.join("faces").join(file)).unwrap();
    }
    let values: Vec<f64> = [50.0, 0.1, 150.0, 1e-3, 250.0, -1e30].to_vec();
    write_npy(&dir.join("faces.npy"), "<f8", &[3, 2], Order::C, &values);
    let base = Box::new(Source::Images { path: "faces".into(), size: 4, channels: 1 });
    let source = Source::Embedded { base: base.clone(), path: "faces.npy".into() };
    let data = open(&source, &dir).unwrap();
    assert_eq!(data.pair_dims(), Some(vec![2]));
    let b = data.slice(0, 3);
    let want: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    assert_eq!(b.pairs.as_ref(), Some(&want));
    for (x, e) in b.x.chunks(16).zip(b.pairs.unwrap().chunks(2)) {
        assert_eq!(((x[0] + 1.0) * 127.5).round(), e[0], "image and embedding in file-name order");
    }
    // An absolute path works as well as one under the data directory; there is no test split.
    let elsewhere = temp_dir("folder-elsewhere").join("e.npy");
    std::fs::rename(dir.join("faces.npy"), &elsewhere).unwrap();
    let absolute = Source::Embedded { base, path: elsewhere.clone() };
    assert_eq!(open(&absolute, &dir).unwrap().slice(0, 3).pairs, Some(want));
    assert!(open(&source, &dir).is_err(), "the relative path is no longer there");
    std::fs::remove_dir_all(elsewhere.parent().unwrap()).ok();
    assert_eq!((source.test_split(), embedded("emb.npy").test_split()), (None, None));
    std::fs::remove_dir_all(&dir).ok();
}

/// The error of opening `emb.npy` of `dir` as the embeddings of its MNIST images.
fn error(dir: &Path) -> DataError {
    let err = open(&embedded("emb.npy"), dir).unwrap_err();
    assert!(err.path.ends_with("emb.npy"), "{err}");
    assert!(!err.help.is_empty(), "{err}");
    err
}

#[test]
fn a_missing_or_foreign_file_is_an_error_naming_it() {
    let dir = embedded_mnist("foreign");
    std::fs::remove_file(dir.join("emb.npy")).unwrap();
    let err = error(&dir);
    assert_eq!(err.path, dir.join("emb.npy"), "resolved under the data directory");
    assert!(err.problem.contains("cannot read"), "{err}");
    assert!(err.help.contains(".npy"), "{}", err.help);

    std::fs::write(dir.join("emb.npy"), b"0.1,0.2,0.3\n").unwrap();
    assert!(error(&dir).problem.contains("not a .npy file"));

    // Data cut short after a valid header.
    write_npy(&dir.join("emb.npy"), "<f4", &[IMAGES as u64, 3], Order::C, &vec![0f32; IMAGES * 3]);
    let bytes = std::fs::read(dir.join("emb.npy")).unwrap();
    std::fs::write(dir.join("emb.npy"), &bytes[..bytes.len() - 5]).unwrap();
    assert!(error(&dir).problem.contains("cut short"));

    // A shape whose size overflows is refused, not a panic (debug builds print the message of
    // npyz's overflow panic, which is caught).
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    write_raw_npy(&dir.join("emb.npy"), dict, &[0; 64]);
    let err = error(&dir);
    assert!(err.problem.contains("overflows") || err.problem.contains("4294967296 rows"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn other_dtypes_are_refused() {
    let dir = embedded_mnist("dtype");
    let shape = [IMAGES as u64, 3];
    write_npy(&dir.join("emb.npy"), "<i4", &shape, Order::C, &vec![1i32; IMAGES * 3]);
    let err = error(&dir);
    assert!(err.problem.contains("'<i4'") && err.problem.contains("`<f4`"), "{err}");
    assert!(err.help.contains("np.float32"), "{}", err.help);
    write_npy(&dir.join("emb.npy"), ">f4", &shape, Order::C, &vec![1f32; IMAGES * 3]);
    assert!(error(&dir).problem.contains("'>f4'"));
    let dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (30, 3), }";
    write_raw_npy(&dir.join("emb.npy"), dict, &[0; 180]);
    assert!(error(&dir).problem.contains("'<f2'"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_array_must_be_c_ordered_with_one_row_per_image() {
    let dir = embedded_mnist("shape");
    let path = dir.join("emb.npy");
    write_npy(&path, "<f4", &[IMAGES as u64 * 3], Order::C, &vec![0f32; IMAGES * 3]);
    let err = error(&dir);
    assert!(err.problem.contains("[90]") && err.problem.contains("1 dimensions"), "{err}");
    assert!(err.help.contains("reshape(30, -1)"), "{}", err.help);
    write_npy(&path, "<f4", &[IMAGES as u64, 3, 1], Order::C, &vec![0f32; IMAGES * 3]);
    assert!(error(&dir).problem.contains("3 dimensions"));

    write_npy(&path, "<f4", &[IMAGES as u64, 3], Order::Fortran, &vec![0f32; IMAGES * 3]);
    let err = error(&dir);
    assert!(err.problem.contains("Fortran"), "{err}");
    assert!(err.help.contains("ascontiguousarray"), "{}", err.help);

    write_npy(&path, "<f4", &[29, 3], Order::C, &vec![0f32; 29 * 3]);
    let err = error(&dir);
    assert!(err.problem.contains("29 rows") && err.problem.contains("30 images"), "{err}");
    assert!(err.help.contains("30 rows"), "{}", err.help);

    write_npy::<f32>(&path, "<f4", &[IMAGES as u64, 0], Order::C, &[]);
    assert!(error(&dir).problem.contains("rows of 0 values"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_non_finite_value_is_refused_naming_its_row() {
    let dir = embedded_mnist("finite");
    let path = dir.join("emb.npy");
    let mut values = vec![0f32; IMAGES * 3];
    values[2 * 3 + 1] = f32::NAN;
    write_npy(&path, "<f4", &[IMAGES as u64, 3], Order::C, &values);
    let err = error(&dir);
    assert!(err.problem.contains("row 2 ") && err.problem.contains("NaN in column 1"), "{err}");
    assert!(err.help.contains("nan_to_num"), "{}", err.help);

    // float64 infinities, and values too large for float32.
    for (at, bad) in [(17 * 3, f64::NEG_INFINITY), (29 * 3 + 2, 1e300)] {
        let mut values = vec![0f64; IMAGES * 3];
        values[at] = bad;
        write_npy(&path, "<f8", &[IMAGES as u64, 3], Order::C, &values);
        let err = error(&dir);
        assert!(err.problem.contains(&format!("row {} ", at / 3)) && err.problem.contains("inf"), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn only_unpaired_image_sets_take_embeddings() {
    let dir = embedded_mnist("base");
    let ring = Source::Mixture(Mixture::ring(8, 2.0, 0.02));
    let err = open(&Source::Embedded { base: Box::new(ring), path: "emb.npy".into() }, &dir).unwrap_err();
    assert!(err.problem.contains("mixture") && err.help.contains("image set"), "{err}");

    let derived = Source::Derived { base: mnist(), pairing: Pairing::Coarse(2) };
    let err = open(&Source::Embedded { base: Box::new(derived), path: "emb.npy".into() }, &dir).unwrap_err();
    assert!(err.problem.contains("already paired"), "{err}");
    let twice = Source::Derived { base: Box::new(embedded("emb.npy")), pairing: Pairing::Edges };
    assert!(open(&twice, &dir).unwrap_err().problem.contains("already paired"));

    // The base's own errors come through.
    std::fs::remove_dir_all(dir.join("mnist")).unwrap();
    assert!(open(&embedded("emb.npy"), &dir).unwrap_err().path.to_string_lossy().contains("mnist"));
    std::fs::remove_dir_all(&dir).ok();
}
