//! Every model in `models/` plans and lowers when the README's "What trains today" lists it,
//! and is refused whole with E0501 diagnostics otherwise. No data is read.

mod common;

use ganc_check::{check_source, FsLoader};
use ganc_runtime::burn::tensor::Device;
use ganc_runtime::plan::plan;
use ganc_runtime::run::{networks, TrainError};

/// The models the README says train.
const TRAINS: &[&str] = &[
    "acgan_mnist",
    "avb_mnist",
    "began",
    "bigan_mnist",
    "biggan_fashion",
    "biggan_lite",
    "dcgan_mnist",
    "dcgan_mnist_salimans",
    "dp_gan_mnist",
    "grid_0gp",
    "grid_1gp",
    "grid_vanilla",
    "improved_gan_mnist",
    "improved_gan_mnist_semi",
    "lsgan_fashion",
    "pggan",
    "pggan_fashion",
    "pix2pixhd_mnist",
    "r1_fashion",
    "ring_nagarajan_kolter",
    "ring_relativistic",
    "ring_unrolled",
    "ring_vanilla",
    "sagan",
    "sagan_fashion",
    "sngan_fashion",
    "sngan_hinge_cifar",
    "stackgan_mnist",
    "stylegan_fashion",
    "stylegan_lite",
    "wgan_gp_mnist",
];

#[test]
fn the_models_that_train_plan_and_lower_and_the_others_are_refused_with_e0501() {
    let files = common::catalogue();
    let mut trained = Vec::new();
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let analysis = check_source(path, &text, &FsLoader);
        assert!(!analysis.has_errors(), "{name}: {:#?}", analysis.diagnostics);
        let model = analysis.model.unwrap();
        let lowered = plan(&model).map_err(TrainError::Unsupported).and_then(|_| networks(&model, &Device::flex()));
        match lowered {
            Ok(_) => {
                assert!(TRAINS.contains(&name.as_str()), "{name} trains: add it to the README's list");
                trained.push(name);
            }
            Err(TrainError::Unsupported(diags)) => {
                assert!(!TRAINS.contains(&name.as_str()), "{name} is refused: {diags:#?}");
                assert!(!diags.is_empty() && diags.iter().all(|d| d.code.id == "E0501"), "{name}: {diags:#?}");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(trained.len(), TRAINS.len(), "trained: {trained:?}");
}
