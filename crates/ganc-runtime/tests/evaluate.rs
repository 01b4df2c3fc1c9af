//! The image metrics: ganc's classifier (trained, saved and reloaded; the shipped weights'
//! accuracy on the real test splits), the measures on images whose answer is known, the
//! `evaluate` section during a run (rows in `evaluate.csv`, resumed exactly), and the refusal to
//! start without Inception-v3's weights where the classifier does not apply.

mod common;

use common::{run, serial, temp, write_mnist};
use ganc_runtime::burn::tensor::Device;
use ganc_runtime::evaluate::classifier::{self, Classifier, Dataset};
use ganc_runtime::evaluate::{measure, FeatureNet, FeatureNetError, Measure, ALL};
use ganc_runtime::run::TrainOptions;
use std::path::{Path, PathBuf};

/// The real data sets: `GANC_SHARED_DATA`, else `../shared/data` beside the workspace.
fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("GANC_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let both = ["mnist", "fashion-mnist"].iter().all(|d| dir.join(d).is_dir());
    if !both {
        println!("skipped: no MNIST and Fashion-MNIST under {} (set GANC_SHARED_DATA to the data sets)", dir.display());
    }
    both.then_some(dir)
}

/// `write_mnist`'s images under `dir/mnist/`, for both splits (the classifier tests on `t10k`).
fn write_both_splits(dir: &Path, n: usize) {
    write_mnist(dir, n);
    for kind in ["images-idx3", "labels-idx1"] {
        let from = dir.join("mnist").join(format!("train-{kind}-ubyte"));
        std::fs::copy(&from, dir.join("mnist").join(format!("t10k-{kind}-ubyte"))).unwrap();
    }
}

#[test]
fn the_shipped_classifiers_reach_the_readme_accuracies_on_the_test_splits() {
    let Some(dir) = shared_data() else { return };
    let device = Device::flex();
    for (data, floor) in [(Dataset::Mnist, 0.99), (Dataset::FashionMnist, 0.90)] {
        let test = ganc_data::open(&data.source(ganc_data::Split::Test), &dir).unwrap();
        let accuracy = Classifier::shipped(data, &device).accuracy(&test, &device);
        println!("{}: test accuracy {:.2}%", data.name(), 100.0 * accuracy);
        assert!(accuracy >= floor, "{}: {accuracy}", data.name());
    }
}

#[test]
fn training_learns_the_classes_and_the_saved_weights_reload() {
    let _turn = serial();
    let dir = temp("classifier-train");
    write_both_splits(&dir, 640);
    let device = Device::flex();
    let test = ganc_data::open(&Dataset::Mnist.source(ganc_data::Split::Test), &dir).unwrap();
    let untrained = Classifier::new(&device).accuracy(&test, &device);
    let mut epochs = Vec::new();
    let net = classifier::train(Dataset::Mnist, &dir, 2, 1, Some(640), &mut |e| epochs.push(e.clone())).unwrap();
    // The images tell 7 patterns apart (labels k and k + 7 share one): at most 70% right.
    let trained = net.accuracy(&test, &device);
    assert!(trained >= 0.6 && untrained < 0.3, "untrained {untrained}, trained {trained}");
    assert_eq!(epochs.len(), 2);
    assert!(epochs[1].loss < epochs[0].loss, "{epochs:?}");
    assert_eq!(epochs[1].test_accuracy, trained);
    let file = dir.join("c.safetensors");
    net.save(&file, &[("data", "mnist".into())]).unwrap();
    let reloaded = Classifier::load(&file, &device).unwrap();
    assert_eq!(reloaded.accuracy(&test, &device), trained, "half precision keeps every prediction here");
    std::fs::write(&file, b"not weights").unwrap();
    assert!(Classifier::load(&file, &device).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_measures_tell_the_data_from_noise_and_a_collapsed_generator() {
    let device = Device::flex();
    let net = FeatureNet::choose("mnist", None, &device).unwrap();
    let dir = temp("measures");
    write_mnist(&dir, 200);
    let data = ganc_data::open(&Dataset::Mnist.source(ganc_data::Split::Train), &dir).unwrap();
    let dims = [1, 28, 28];
    let real = data.batch(1, 0, 200).x;
    let (rf, _) = net.features(&real, &dims, &device);
    // The same images: distance 0, full precision and recall.
    let (sf, sl) = net.features(&real, &dims, &device);
    let same = measure(&ALL, &rf, &sf, &sl, None, 1);
    let get = |v: &[(&str, f64)], name: &str| v.iter().find(|(n, _)| *n == name).unwrap().1;
    assert!(get(&same, "fid") < 1e-3, "{same:?}");
    assert_eq!((get(&same, "precision"), get(&same, "recall")), (1.0, 1.0));
    // Class accuracy, only where the classes samples were drawn for are known: all of them when
    // they are the classifier's own answers, none when each is shifted by one.
    assert!(same.iter().all(|(n, _)| *n != "class_accuracy"));
    let answers: Vec<i64> = sl
        .values
        .chunks(sl.dim)
        .map(|row| (0..sl.dim).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap() as i64)
        .collect();
    let shifted: Vec<i64> = answers.iter().map(|c| (c + 1) % sl.dim as i64).collect();
    let accuracy = |wanted: &[i64]| measure(&[Measure::ClassAccuracy], &rf, &sf, &sl, Some(wanted), 1)[0].1;
    assert_eq!((accuracy(&answers), accuracy(&shifted)), (1.0, 0.0));
    // Uniform noise: far, and nothing inside the data's manifold.
    let noise: Vec<f32> = (0..200 * 784).map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0).collect();
    let (nf, nl) = net.features(&noise, &dims, &device);
    let far = measure(&ALL, &rf, &nf, &nl, None, 1);
    assert!(get(&far, "fid") > 100.0 * get(&same, "fid").max(1e-3), "{far:?}");
    assert!(get(&far, "kid") > 0.0 && get(&far, "precision") < 0.05, "{far:?}");
    // One image repeated: one class, an Inception Score of 1, and recall only of the real
    // images equal to it (labels 0 and 7 share its pattern: 2 of every 10).
    let one: Vec<f32> = real[..784].repeat(200);
    let (of, ol) = net.features(&one, &dims, &device);
    let collapsed = measure(&ALL, &rf, &of, &ol, None, 1);
    assert_eq!(get(&collapsed, "classes"), 1.0);
    assert!((get(&collapsed, "inception_score") - 1.0).abs() < 1e-6, "{collapsed:?}");
    assert_eq!(get(&collapsed, "recall"), 0.2, "{collapsed:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A tiny MNIST GAN measuring every image metric every 2 steps.
const MEASURED: &str = r#"
data mnist(split: train)
latent z ~ normal(8)
generator G(z) -> image { linear(784) tanh reshape(1, 28, 28) }
discriminator D(image) -> logit { flatten linear(1) }
loss non_saturating
train {
    batch: 8
    steps: 12
    seed: 2
    checkpoint every 2 steps
}
evaluate every 2 steps {
    fid(samples: 40)
    kid(samples: 40)
    inception_score(samples: 40, splits: 2)
    precision_recall(samples: 40)
    classes_covered(samples: 40)
}
"#;

#[test]
fn a_run_measures_its_images_every_period_and_resumes_exactly() {
    let _turn = serial();
    let data = temp("evaluate-data");
    write_mnist(&data, 64);
    let opts = |steps, resume: Option<PathBuf>| TrainOptions {
        steps: Some(steps),
        data_dir: Some(data.clone()),
        resume,
        ..TrainOptions::default()
    };
    let (whole, halves) = (temp("evaluate-whole"), temp("evaluate-halves"));
    run(MEASURED, &whole, opts(12, None)).0.expect("trains");
    let text = std::fs::read_to_string(whole.join("evaluate.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "step,fid,kid,inception_score,precision,recall,classes");
    assert_eq!(lines.len(), 1 + 6, "{text}");
    for (i, line) in lines[1..].iter().enumerate() {
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        assert_eq!(cells[0] as usize, 2 * (i + 1));
        assert!(cells.iter().all(|c| c.is_finite()) && cells[1] > 0.0, "{line}");
    }
    run(MEASURED, &halves, opts(5, None)).0.expect("trains");
    run(MEASURED, &halves, opts(12, Some(halves.clone()))).0.expect("resumes");
    assert_eq!(std::fs::read_to_string(halves.join("evaluate.csv")).unwrap(), text);
    for dir in [data, whole, halves] {
        std::fs::remove_dir_all(dir).ok();
    }
}

#[test]
fn image_data_without_a_classifier_needs_inception_weights() {
    let device = Device::flex();
    let Err(e) = FeatureNet::choose("cifar10", None, &device) else { panic!("no network for CIFAR-10") };
    assert!(matches!(e, FeatureNetError::NoNetwork { .. }) && e.help().contains("--inception-weights"), "{e}");
    let missing = PathBuf::from("/nonexistent/inception.safetensors");
    let Err(e) = FeatureNet::choose("mnist", Some(missing), &device) else { panic!("the file does not exist") };
    assert!(matches!(e, FeatureNetError::Inception { .. }), "{e}");
    assert_eq!(Measure::from_name("inception_score", 4), Some(Measure::InceptionScore { splits: 4 }));
}
