//! Failure tracking: a NaN or infinite loss always stops a run, and both watches warn on the
//! step where their condition holds, logged or not.

mod common;

use common::{run, serial, temp, RING};
use ganc_runtime::run::{TrainError, TrainOptions};

fn with_option(line: &str) -> String {
    RING.replace("seed: 3", &format!("seed: 3\n    {line}"))
}

/// The warnings of a run of `text` for `steps` steps.
fn warnings(text: &str, steps: u64) -> Vec<String> {
    let dir = temp("watch");
    let (result, warnings) = run(text, &dir, TrainOptions { steps: Some(steps), ..TrainOptions::default() });
    result.expect("trains");
    std::fs::remove_dir_all(&dir).ok();
    warnings
}

#[test]
fn a_non_finite_loss_stops_the_run_without_watch_nan() {
    let _rng = serial();
    let dir = temp("nan-loss");
    // D's weights grow by 1e30 a step: its outputs, then its losses, overflow.
    let text = with_option("optimizer D: sgd(lr: 1e30)");
    assert!(!text.contains("nan"));
    let (result, _) = run(&text, &dir, TrainOptions { steps: Some(50), ..TrainOptions::default() });
    match result {
        Err(TrainError::NonFinite { loss, value, step, .. }) => {
            assert!(!value.is_finite() && step < 50, "the {loss} loss became {value} at step {step}")
        }
        other => panic!("expected a stop on a non-finite loss, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn d_loss_below_warns_after_100_low_steps() {
    let _rng = serial();
    let low = warnings(&with_option("watch { d_loss_below: 100 }"), 100);
    assert_eq!(low.len(), 1, "{low:?}");
    assert!(low[0].contains("(step 100)"), "{}", low[0]);
    assert!(warnings(&with_option("watch { d_loss_below: 1e-4 }"), 100).is_empty());
}

#[test]
fn grad_norm_above_is_checked_on_every_step() {
    let _rng = serial();
    // Logged only at the last step: the watch still sees the first.
    let high = warnings(&with_option("log every 1000 steps\n    watch { grad_norm_above: 1e-9 }"), 5);
    assert_eq!(high.len(), 1, "{high:?}");
    assert!(high[0].ends_with("at step 1"), "{}", high[0]);
    assert!(warnings(&with_option("log every 1000 steps\n    watch { grad_norm_above: 1e9 }"), 5).is_empty());
}
