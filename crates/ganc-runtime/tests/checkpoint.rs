//! Runs that cannot lose data: a save killed at any file operation leaves a loadable
//! checkpoint, non-finite weights are never saved, and a resumed run's EMA generator equals an
//! uninterrupted run's.

mod common;

use common::{run, serial, temp, trainer, weights, RING};
use ganc_runtime::burn::module::{Module, ModuleMapper, Param};
use ganc_runtime::burn::tensor::Tensor;
use ganc_runtime::checkpoint::{self, FileOp, Network, SaveError};
use ganc_runtime::run::{TrainError, TrainOptions};
use ganc_runtime::sample;
use std::path::Path;

/// The ring with an EMA generator, so that every kind of file is written.
/// The ring with every network and state a checkpoint holds: G, its EMA, D and (BiGAN) an
/// encoder E whose code D reads.
fn ring_with_ema() -> String {
    RING.replace("seed: 3", "seed: 3\n    ema G: 0.9\n    checkpoint every 1 steps")
        .replace(
            "discriminator D(point) -> logit { linear(16) leaky_relu(0.2) linear(1) }",
            "encoder E(point) -> z { linear(16) leaky_relu(0.2) linear(4) }\n\
             discriminator D(point, z) -> logit { let c = z |> linear(8)\n linear(16) leaky_relu(0.2) concat(c) linear(1) }",
        )
}

/// The step of the checkpoint `find` finds in `dir`, after checking that it loads.
fn loadable_step(dir: &Path) -> u64 {
    let found = checkpoint::find(dir).unwrap_or_else(|| panic!("no checkpoint in {}", dir.display()));
    let (fresh, _) = trainer(&ring_with_ema());
    let restored = checkpoint::restore(&found, fresh).unwrap_or_else(|e| panic!("{}: {e}", found.display()));
    restored.step
}

/// A save of `t` at `step` that stops (as a kill would) before its file operation number
/// `kill_at`; whether it ran to its end.
fn save_killed_at(dir: &Path, t: &mut ganc_runtime::trainer::Trainer, step: u64, kill_at: usize) -> bool {
    t.step = step;
    let mut done = 0;
    let result = checkpoint::save_with(dir, t, &mut |_: &FileOp| {
        if done == kill_at {
            return Err(std::io::Error::other("killed"));
        }
        done += 1;
        Ok(())
    });
    result.is_ok()
}

#[test]
fn a_save_killed_at_any_file_operation_leaves_a_loadable_checkpoint() {
    let _rng = serial();
    let (mut t, _) = trainer(&ring_with_ema());
    // From a run's `checkpoint/`, and from a run that was resumed from `checkpoint.old/` alone.
    for only_old in [false, true] {
        let mut operations = None;
        for first in 0.. {
            // After the first kill, a resumed run saves again and is killed again (or not).
            for second in 0.. {
                let dir = temp("kill");
                std::fs::create_dir_all(&dir).unwrap();
                t.step = 5;
                checkpoint::save(&dir, &t).unwrap();
                if only_old {
                    std::fs::rename(dir.join("checkpoint"), dir.join("checkpoint.old")).unwrap();
                }
                let first_done = save_killed_at(&dir, &mut t, 6, first);
                let after_first = loadable_step(&dir);
                assert!(after_first == 5 || after_first == 6, "kill at {first}: step {after_first}");
                if first_done {
                    assert_eq!(after_first, 6);
                    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
                    assert_eq!(left, ["checkpoint"], "a finished save leaves one folder");
                    operations = Some(first);
                }
                let second_done = save_killed_at(&dir, &mut t, 7, second);
                let after_second = loadable_step(&dir);
                assert!(
                    after_second == after_first || after_second == 7,
                    "kills at {first} then {second}: step {after_first}, then {after_second}"
                );
                assert!(!second_done || after_second == 7);
                std::fs::remove_dir_all(&dir).unwrap();
                if second_done {
                    break;
                }
            }
            if operations.is_some() {
                break;
            }
        }
        assert!(operations.unwrap() >= 10, "every file of the checkpoint is an operation");
    }
}

/// Puts a NaN in every float tensor of a network.
struct Poison;

impl ModuleMapper for Poison {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        p.map(|t| t.mul_scalar(f32::NAN))
    }
}

#[test]
fn a_non_finite_parameter_is_never_saved() {
    let _rng = serial();
    let dir = temp("nan-weights");
    std::fs::create_dir_all(&dir).unwrap();
    let (mut t, _) = trainer(&ring_with_ema());
    t.step = 5;
    checkpoint::save(&dir, &t).unwrap();
    let poisoned = |t: &mut ganc_runtime::trainer::Trainer, which: Network| match which {
        Network::Generator => t.g = std::mem::take(&mut t.g).map(&mut Poison),
        Network::Discriminator => t.d = std::mem::take(&mut t.d).map(&mut Poison),
        Network::Ema => t.ema = t.ema.take().map(|e| e.map(&mut Poison)),
        Network::Encoder => t.encoder = t.encoder.take().map(|(e, opt)| (e.map(&mut Poison), opt)),
    };
    for which in [Network::Ema, Network::Encoder, Network::Discriminator, Network::Generator] {
        poisoned(&mut t, which);
        t.step += 1;
        match checkpoint::save(&dir, &t) {
            Err(SaveError::NonFinite(net)) => assert_eq!(net, which),
            other => panic!("saved a NaN {which:?}: {other:?}"),
        }
        assert_eq!(loadable_step(&dir), 5);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_run_whose_weights_blow_up_stops_and_keeps_the_last_finite_checkpoint() {
    let _rng = serial();
    let dir = temp("blow-up");
    let text = ring_with_ema().replace("seed: 3", "seed: 3\n    optimizer G: sgd(lr: 0.01)");
    let (done, _) = run(&text, &dir, TrainOptions { steps: Some(2), ..TrainOptions::default() });
    done.expect("trains");
    // The same run resumed with a learning rate that makes G's weights infinite in one step
    // (its losses, measured before the update, are still finite).
    let blowing = text.replace("sgd(lr: 0.01)", "sgd(lr: 1e39)");
    let (result, _) =
        run(&blowing, &dir, TrainOptions { steps: Some(4), resume: Some(dir.clone()), ..TrainOptions::default() });
    match result {
        Err(TrainError::NonFiniteWeights { network, step, .. }) => {
            assert_eq!((network.as_str(), step), ("generator `G`", 3))
        }
        other => panic!("expected non-finite weights, got {other:?}"),
    }
    assert_eq!(loadable_step(&dir), 2);
    let (fresh, _) = trainer(&text);
    let kept = checkpoint::restore(&checkpoint::find(&dir).unwrap(), fresh).unwrap();
    assert!(weights(&kept.g).iter().chain(&weights(&kept.d)).all(|w| w.is_finite()));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_resumed_run_samples_what_an_uninterrupted_one_samples() {
    let _rng = serial();
    let text = ring_with_ema().replace("linear(16) relu", "linear(16) batchnorm relu");
    let (whole, halves) = (temp("ema-whole"), temp("ema-halves"));
    let steps = |n| TrainOptions { steps: Some(n), ..TrainOptions::default() };
    run(&text, &whole, steps(12)).0.expect("trains");
    run(&text, &halves, steps(6)).0.expect("trains");
    let resumed = TrainOptions { resume: Some(halves.clone()), ..steps(12) };
    run(&text, &halves, resumed).0.expect("resumes");
    for ema in [true, false] {
        let samples = |dir: &Path| {
            let loaded = sample::load(dir, "cpu", ema).unwrap();
            assert_eq!(loaded.is_ema, ema);
            sample::sample(&loaded, 64, 11).0.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(samples(&whole), samples(&halves), "ema: {ema}");
    }
    std::fs::remove_dir_all(&whole).ok();
    std::fs::remove_dir_all(&halves).ok();
}
