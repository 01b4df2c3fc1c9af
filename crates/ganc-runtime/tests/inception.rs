//! The FID Inception (`evaluate::inception`): with the same deterministic weights, its features
//! and logits equal PyTorch's `FIDInceptionV3` (`fixtures/torch_inception.py`); files it cannot
//! use are refused with errors naming the tensor and saying what to do.

mod common;

use ganc_runtime::burn::tensor::{Device, Tensor, TensorData};
use ganc_runtime::evaluate::inception::{load, parameter_shapes, InceptionError, CLASSES};
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

/// A 32-bit integer hash, as `mix` in `torch_inception.py`.
fn mix(x: u32) -> u32 {
    let x = x ^ (x >> 16);
    let x = x.wrapping_mul(0x7feb_352d);
    let x = x ^ (x >> 15);
    let x = x.wrapping_mul(0x2c1b_3c6d);
    x ^ (x >> 16)
}

/// FNV-1a of a tensor name.
fn fnv1a(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

/// The test value of every element of tensor `name`, as `value` in `torch_inception.py`: a
/// uniform number in [-1, 1) hashed from the name and the index, scaled by the tensor's role
/// (He-uniform weights, batch norms near the identity, positive running variances).
fn value(name: &str, shape: &[usize]) -> Vec<f32> {
    let seed = mix(fnv1a(name));
    let scale = |u: f64| -> f64 {
        if name.ends_with("conv.weight") || name == "fc.weight" {
            u * (6.0 / shape[1..].iter().product::<usize>() as f64).sqrt()
        } else if name.ends_with("bn.weight") {
            1.0 + 0.2 * u
        } else if name.ends_with("running_var") {
            1.0 + 0.25 * u
        } else {
            0.1 * u
        }
    };
    let n: usize = shape.iter().product();
    (0..n)
        .map(|i| {
            let h = mix(mix(i as u32) ^ seed);
            let u = (h >> 8) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0;
            scale(u) as f32
        })
        .collect()
}

/// Writes `tensors` (name, shape, values) to the safetensors file `path`.
fn write(path: &Path, tensors: &[(String, Vec<usize>, Vec<f32>)]) {
    let bytes: Vec<Vec<u8>> =
        tensors.iter().map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, shape, _), data)| (name.clone(), TensorView::new(Dtype::F32, shape.clone(), data).unwrap()));
    std::fs::write(path, safetensors::tensor::serialize(views, None).unwrap()).unwrap();
}

/// Every tensor of the network, filled with zeros except where `change` says otherwise
/// (`None` leaves the tensor out).
fn zero_weights(change: impl Fn(&str, Vec<usize>) -> Option<Vec<usize>>) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    parameter_shapes()
        .into_iter()
        .filter_map(|(name, shape)| {
            let shape = change(&name, shape)?;
            let zeros = vec![0.0; shape.iter().product()];
            Some((name, shape, zeros))
        })
        .collect()
}

/// The fixed test image of `torch_inception.py`, `[1, channels, size, size]`.
fn image(channels: usize, size: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(channels * size * size);
    for c in 0..channels {
        for r in 0..size {
            for k in 0..size {
                let (c, r, k, s) = (c as f64, r as f64, k as f64, size as f64);
                let waves = 0.6 * (0.37 * r + 0.9 * c).sin() * (0.23 * k - 0.5 * c + 0.011 * r * k).cos();
                let edge = if r + 2.0 * k > 1.4 * s { 0.35 } else { -0.35 };
                v.push((waves + edge) as f32);
            }
        }
    }
    v
}

/// The largest difference between `a` and `b`, relative to `b`'s largest magnitude.
fn relative_difference(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max) / scale
}

/// The network loaded from the deterministic weights gives PyTorch's pool3 features and logits
/// on a grey 28 x 28 image (in a batch with others) and an RGB 32 x 32 one. PyTorch ran in f64; ganc runs in f32, with
/// each batch norm folded into its convolution. Rounding in f32 GEMMs of up to 4032 terms
/// through ~50 layers in sequence stays near 1e-5 of the values' scale; 1e-3 leaves room for it
/// while a structural difference (the padding counted in an average pool, a half-pixel shift
/// of the resize, another pool in `Mixed_7c`) moves the features by more than 1e-2.
#[test]
fn features_match_pytorch() {
    const TOLERANCE: f32 = 1e-3;
    let dir = common::temp("inception-torch");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inception.safetensors");
    let tensors: Vec<_> = parameter_shapes().into_iter().map(|(n, s)| (n.clone(), s.clone(), value(&n, &s))).collect();
    write(&path, &tensors);
    let device = Device::flex();
    let net = load(&path, &device).expect("the weights load");
    std::fs::remove_dir_all(&dir).unwrap();

    let fixture = common::fixture("torch_inception.json");
    let images = fixture["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    let mut worst = 0f32;
    for expected in images {
        let what = expected["name"].as_str().unwrap();
        let shape: Vec<usize> =
            expected["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        let (c, size) = (shape[1], shape[2]);
        // The grey image runs in a batch of three, the image, its negative and the image again
        // (two pieces): the first and last rows must be PyTorch's, the middle one another.
        let batch = if c == 1 { 3 } else { 1 };
        let one = image(c, size);
        let x: Vec<f32> = (0..batch).flat_map(|i| one.iter().map(move |&v| if i == 1 { -v } else { v })).collect();
        let x = Tensor::<4>::from_data(TensorData::new(x, [batch, c, size, size]), &device);
        let (pool, logits) = net.features(x);
        assert_eq!(pool.dims(), [batch, 2048], "{what}");
        assert_eq!(logits.dims(), [batch, CLASSES], "{what}");
        let (pool, logits) = (common::values(pool), common::values(logits));
        assert!(pool.iter().chain(&logits).all(|v| v.is_finite()), "{what}");
        if batch == 3 {
            // Alone in its piece, the last image may round differently in the GEMMs.
            common::assert_close(&pool[2 * 2048..], &pool[..2048], 1e-5, &format!("{what}: pool3 of the image again"));
            let again = &logits[2 * CLASSES..];
            common::assert_close(again, &logits[..CLASSES], 1e-5, &format!("{what}: logits of the image again"));
            assert!(relative_difference(&pool[2048..2 * 2048], &pool[..2048]) > 0.01, "{what}: its negative");
        }
        let (pool, logits) = (&pool[..2048], &logits[..CLASSES]);

        let head = common::floats(&expected["pool_head"]);
        common::assert_close(&pool[..head.len()], &head, TOLERANCE, &format!("{what} pool3"));
        let logit_head = common::floats(&expected["logits_head"]);
        common::assert_close(&logits[..logit_head.len()], &logit_head, TOLERANCE, &format!("{what} logits"));
        let sum: f64 = pool.iter().map(|&v| v as f64).sum();
        let sum_sq: f64 = pool.iter().map(|&v| v as f64 * v as f64).sum();
        let sums = [(sum, expected["pool_sum"].as_f64().unwrap()), (sum_sq, expected["pool_sum_sq"].as_f64().unwrap())];
        for (got, want) in sums {
            assert!(((got - want) / want).abs() <= TOLERANCE as f64, "{what}: pool3 sums {got} vs {want}");
            worst = worst.max(((got - want) / want).abs() as f32);
        }
        worst = worst.max(relative_difference(&pool[..head.len()], &head));
        worst = worst.max(relative_difference(&logits[..logit_head.len()], &logit_head));
    }
    eprintln!("largest relative difference from PyTorch: {worst:e}");
}

/// A file without one of the network's tensors is refused, naming that tensor.
#[test]
fn a_missing_tensor_is_named() {
    let dir = common::temp("inception-missing");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inception.safetensors");
    let gone = "Mixed_6c.branch7x7dbl_3.bn.running_mean";
    write(&path, &zero_weights(|name, shape| (name != gone).then_some(shape)));
    let err = load(&path, &Device::flex()).expect_err("a tensor is missing");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(&err, InceptionError::Missing { name, .. } if name == gone), "{err:?}");
    assert!(err.to_string().contains(gone), "{err}");
    assert!(err.help().contains("pt_inception-2015-12-05-6726825d.pth"), "{}", err.help());
}

/// A tensor of another shape is refused with its name and both shapes; torchvision's ImageNet
/// Inception (1000 classes) is recognised in the help.
#[test]
fn a_tensor_of_another_shape_is_named_with_both_shapes() {
    let dir = common::temp("inception-shape");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inception.safetensors");
    write(&path, &zero_weights(|name, shape| Some(if name == "fc.weight" { vec![1000, 2048] } else { shape })));
    let err = load(&path, &Device::flex()).expect_err("fc.weight has 1000 rows");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(&err, InceptionError::Shape { name, .. } if name == "fc.weight"), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("`fc.weight`") && message.contains("[1000, 2048]") && message.contains("[1008, 2048]"));
    assert!(err.help().contains("torchvision"), "{}", err.help());
}

/// A PyTorch pickle and a missing file are refused with what to do.
#[test]
fn a_file_that_is_not_safetensors_is_refused() {
    let dir = common::temp("inception-pickle");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pt_inception-2015-12-05-6726825d.pth");
    // A `.pth` file is a zip archive.
    std::fs::write(&path, b"PK\x03\x04\x14\x00\x00\x00\x08\x00archive/data.pkl").unwrap();
    let err = load(&path, &Device::flex()).expect_err("not safetensors");
    assert!(matches!(err, InceptionError::NotSafetensors { .. }), "{err:?}");
    assert!(err.to_string().contains("not a safetensors file"), "{err}");
    assert!(err.help().contains("save_file(torch.load("), "{}", err.help());

    let err = load(&dir.join("absent.safetensors"), &Device::flex()).expect_err("no file");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(err, InceptionError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("absent.safetensors"), "{err}");
}
