//! Failure tracking: a NaN or infinite loss always stops a run, both watches warn on the step
//! where their condition holds, logged or not, and the failure report at the end of a run says
//! what went wrong, from when, and which metric showed it.

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
            assert!(!value.is_finite() && step < 50, "the {loss} loss became {value} at step {step}");
            // The report says so, with the step.
            let report = std::fs::read_to_string(dir.join("report.md")).expect("a report");
            assert!(report.contains(&format!("| {step} | the {loss}'s loss became")), "{report}");
            assert!(report.starts_with(&format!("# Failure report (through step {step})")), "{report}");
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

#[test]
fn the_report_finds_a_winning_d_and_lost_modes_and_nothing_in_a_healthy_run() {
    use ganc_runtime::report::{analyse, Finding};
    let dir = temp("report");
    std::fs::create_dir_all(&dir).unwrap();
    let header = "step,d_loss,g_loss,d_real,d_fake,grad_norm_g,grad_norm_d,lr_g,lr_d,penalty,steps_per_sec";
    let healthy = format!("{header}\n10,1.3,0.7,0.5,0.5,1.2,0.8,1,1,0,100\n20,1.2,0.8,0.6,0.4,2.0,1.1,1,1,0,100\n");
    std::fs::write(dir.join("metrics.csv"), healthy).unwrap();
    std::fs::write(dir.join("evaluate.csv"), "step,modes,modes_total,high_quality\n10,6,8,0.5\n20,8,8,0.7\n").unwrap();
    let report = analyse(&dir, true, None);
    assert_eq!((report.last_step, report.findings.len()), (20, 0), "{report:?}");
    assert!(report.markdown().contains("No sign of failure"));
    // D's loss at 0 from step 30, G's gradient at 250 at step 40, 8 modes then 2.
    let failing = format!(
        "{header}\n20,1.2,0.8,0.6,0.4,2.0,1.1,1,1,0,100\n30,0.0002,9.1,1.0,0.0,50,0.1,1,1,0,100\n40,0.0001,9.5,1.0,0.0,250,0.1,1,1,0,100\n"
    );
    std::fs::write(dir.join("metrics.csv"), failing).unwrap();
    std::fs::write(dir.join("evaluate.csv"), "step,modes,modes_total,high_quality\n20,8,8,0.7\n40,2,8,0.1\n").unwrap();
    let report = analyse(&dir, true, None);
    let steps: Vec<(u64, &str)> = report.findings.iter().map(|f| (f.step, f.what.as_str())).collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps[0].0 == 30 && steps[0].1.starts_with("D wins"), "{steps:?}");
    assert!(steps[1..].iter().all(|(s, _)| *s == 40), "{steps:?}");
    let text = report.markdown();
    for want in
        ["on 2 logged steps", "grad_norm_g up to 250.0", "modes 8 of 8 at step 20, 2 at step 40", "mode collapse"]
    {
        assert!(text.contains(want), "{want}: {text}");
    }
    // A Wasserstein critic's loss is not bounded by 0: no finding from it.
    assert!(analyse(&dir, false, None).findings.iter().all(|f| !f.what.starts_with("D wins")));
    // A stop is reported at its step.
    let stop = Finding { step: 35, what: "stopped".into(), evidence: "g_loss NaN".into() };
    assert_eq!(analyse(&dir, true, Some(stop)).findings[1].step, 35);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_report_finds_a_rising_fid_and_lost_classes() {
    use ganc_runtime::report::analyse;
    let dir = temp("report-fid");
    std::fs::create_dir_all(&dir).unwrap();
    let header = "step,d_loss,g_loss,d_real,d_fake,grad_norm_g,grad_norm_d,lr_g,lr_d,penalty,steps_per_sec";
    std::fs::write(dir.join("metrics.csv"), format!("{header}\n40,1.2,0.8,0.6,0.4,2.0,1.1,1,1,0,100\n")).unwrap();
    let evaluate = |rows: &str| std::fs::write(dir.join("evaluate.csv"), format!("step,fid,classes\n{rows}")).unwrap();
    // Falling FID, classes kept; a rise of under 20% over the best is noise.
    evaluate("10,80.0,9\n20,40.0,10\n30,30.0,10\n40,35.0,10\n");
    assert!(analyse(&dir, true, None).findings.is_empty(), "{:?}", analyse(&dir, true, None));
    // Best 30 at step 20, 37 (> 36) at step 30 and 60 at the end; 10 classes, then 6.
    evaluate("10,80.0,9\n20,30.0,10\n30,37.0,8\n40,60.0,6\n");
    let report = analyse(&dir, true, None);
    let found: Vec<(u64, &str)> = report.findings.iter().map(|f| (f.step, f.what.as_str())).collect();
    assert!(found.contains(&(30, "FID rising: the samples moved away from the data after their best")), "{found:?}");
    assert!(found.iter().any(|(s, w)| *s == 40 && w.starts_with("classes lost")), "{found:?}");
    let text = report.markdown();
    assert!(
        text.contains("fid 30.00 at step 20, 60.00 at step 40") && text.contains("classes 10 at step 20, 6 at step 40"),
        "{text}"
    );
    // A rise that came back down by the end is not reported.
    evaluate("10,80.0,9\n20,30.0,10\n30,50.0,10\n40,31.0,10\n");
    assert!(analyse(&dir, true, None).findings.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_finished_run_writes_its_report() {
    let _rng = serial();
    let dir = temp("report-run");
    run(&with_option("log every 1 steps"), &dir, TrainOptions { steps: Some(3), ..TrainOptions::default() })
        .0
        .expect("trains");
    let report = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert!(report.starts_with("# Failure report (through step 3)"), "{report}");
    std::fs::remove_dir_all(&dir).ok();
}
