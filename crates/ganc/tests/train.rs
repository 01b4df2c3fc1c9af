//! `ganc train`, `ganc sample`, `ganc export` and `ganc plot` as a user runs them: a run leaves
//! its files, sampling needs no data, Ctrl-C and SIGKILL lose nothing and resume exactly.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The 8-Gaussian ring with small MLPs: no data files, fast on any CPU.
const RING: &str = r#"
data ring(8)
latent z ~ normal(4)
generator G(z) -> point { linear(32) relu linear(32) relu linear(2) }
discriminator D(point) -> logit { linear(32) leaky_relu(0.2) linear(32) leaky_relu(0.2) linear(1) }
loss non_saturating
train {
    batch: 64
    steps: 300
    seed: 7
    ema G: 0.99
    log every 1 steps
    sample every 30 steps
    checkpoint every 1 steps
}
"#;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ganc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ganc"));
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    ganc().args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// `metrics.csv` without its timing column.
fn metrics(run: &Path) -> Vec<String> {
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    csv.lines().map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string()).collect()
}

fn model(dir: &Path) -> PathBuf {
    let path = dir.join("ring.gan");
    std::fs::write(&path, RING).unwrap();
    path
}

fn spawn_train(model: &Path, run: &Path, resume: bool) -> Child {
    let mut c = ganc();
    c.arg("train");
    if resume {
        c.args(["--resume", run.to_str().unwrap()]);
    } else {
        c.args([model.to_str().unwrap(), "--out", run.to_str().unwrap()]);
    }
    c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

/// The number of steps of the newest complete checkpoint of a run, as resume finds it.
fn checkpoint_step(run: &Path) -> Option<u64> {
    ["checkpoint", "checkpoint.old", "checkpoint.tmp"]
        .iter()
        .filter_map(|c| {
            let text = std::fs::read_to_string(run.join(c).join("state.json")).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            v["step"].as_u64()
        })
        .max()
}

/// Waits until the run has a checkpoint past `step`, or the process ends.
fn wait_past(child: &mut Child, run: &Path, step: u64) {
    for _ in 0..6000 {
        if checkpoint_step(run).is_some_and(|s| s > step) || child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no checkpoint past step {step} in 30 s");
}

#[test]
fn a_run_leaves_its_files_and_samples_need_no_data() {
    let dir = temp("files");
    let model = model(&dir);
    let run_dir = dir.join("run");
    let out = run(&["train", model.to_str().unwrap(), "--out", run_dir.to_str().unwrap(), "--steps", "30"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("resume with"), "{}", text(&out));
    for f in ["model.gan", "run.json", "metrics.csv", "loss.png", "samples/step_000030.png", "checkpoint/state.json"] {
        assert!(run_dir.join(f).is_file(), "{f} missing");
    }
    let header = metrics(&run_dir)[0].clone();
    for column in ["step", "d_loss", "g_loss", "d_real", "d_fake", "grad_norm_g", "grad_norm_d", "lr_g", "lr_d"] {
        assert!(header.split(',').any(|c| c == column), "{column} not in {header}");
    }
    assert_eq!(metrics(&run_dir).len(), 31);

    // Samples as .npy: a float32 N x 2 array in NumPy's format.
    let npy = dir.join("x.npy");
    let out = run(&["sample", run_dir.to_str().unwrap(), "-n", "100", "-o", npy.to_str().unwrap(), "--seed", "3"]);
    assert!(out.status.success(), "{}", text(&out));
    let bytes = std::fs::read(&npy).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = String::from_utf8_lossy(&bytes[10..10 + header_len]);
    assert!(header.contains("'<f4'") && header.contains("(100, 2)"), "{header}");
    assert_eq!(bytes.len(), 10 + header_len + 100 * 2 * 4);
    let values: Vec<f32> =
        bytes[10 + header_len..].chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert!(values.iter().all(|v| v.is_finite()));
    // The same seed gives the same samples; the raw generator differs from the EMA one, and
    // of `--no-ema --ema` the last wins.
    let npy_of = |name: &str, extra: &[&str]| {
        let path = dir.join(name);
        let mut args =
            vec!["sample", run_dir.to_str().unwrap(), "-n", "100", "-o", path.to_str().unwrap(), "--seed", "3"];
        args.extend(extra);
        let out = run(&args);
        assert!(out.status.success(), "{}", text(&out));
        std::fs::read(&path).unwrap()
    };
    assert_eq!(npy_of("again.npy", &[]), bytes);
    assert_ne!(npy_of("raw.npy", &["--no-ema"]), bytes);
    assert_eq!(npy_of("ema.npy", &["--no-ema", "--ema"]), bytes);

    let png = dir.join("scatter.png");
    assert!(run(&["sample", run_dir.to_str().unwrap(), "-n", "200", "-o", png.to_str().unwrap()]).status.success());
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));

    let st = dir.join("g.safetensors");
    let out = run(&["export", run_dir.to_str().unwrap(), "-o", st.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let bytes = std::fs::read(&st).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    assert!(header.as_object().unwrap().keys().any(|k| k.ends_with("weight")), "{header}");

    std::fs::remove_file(run_dir.join("loss.png")).unwrap();
    assert!(run(&["plot", run_dir.to_str().unwrap()]).status.success());
    assert!(run_dir.join("loss.png").is_file());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sigkill_at_any_moment_loses_nothing_and_resume_is_exact() {
    let dir = temp("kill");
    let model = model(&dir);
    let whole = dir.join("whole");
    let out = run(&["train", model.to_str().unwrap(), "--out", whole.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));

    // Kill the run three times at different moments (one checkpoint is written per step, so
    // some kills land mid-write), resuming after each; then let it finish.
    let killed = dir.join("killed");
    let mut child = spawn_train(&model, &killed, false);
    for (i, past) in [20u64, 110, 200].iter().enumerate() {
        wait_past(&mut child, &killed, *past);
        std::thread::sleep(Duration::from_millis(3 * i as u64 + 1));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the run finished before kill {i}: make it longer");
        let step = checkpoint_step(&killed).unwrap_or_else(|| panic!("no readable checkpoint after kill {i}"));
        assert!(step > *past && step < 300, "kill {i} at step {step}");
        child = spawn_train(&model, &killed, true);
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(metrics(&whole), metrics(&killed));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ctrl_c_writes_a_checkpoint_and_exits() {
    let dir = temp("sigint");
    let model = model(&dir);
    let run_dir = dir.join("run");
    let mut child = ganc()
        .args(["train", model.to_str().unwrap(), "--out", run_dir.to_str().unwrap(), "--steps", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_past(&mut child, &run_dir, 3);
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("interrupted"), "{}", text(&out));
    let step = checkpoint_step(&run_dir).unwrap();
    assert!(step > 3 && step < 100_000);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_gives_an_error_with_help_not_a_panic() {
    let dir = temp("bad");
    // A model the checker refuses: diagnostics, exit 1, nothing trained.
    let broken = dir.join("broken.gan");
    std::fs::write(&broken, RING.replace("linear(2)", "linear(3)")).unwrap();
    let out = run(&["train", broken.to_str().unwrap(), "--out", dir.join("r1").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("E0302"), "{}", text(&out));
    assert!(!dir.join("r1").exists());
    // What the runtime cannot train yet: E0501 at its span.
    let later = dir.join("later.gan");
    std::fs::write(
        &later,
        RING.replace("loss non_saturating", "discriminator D2(point) -> logit { linear(1) }\nloss non_saturating"),
    )
    .unwrap();
    let out = run(&["train", later.to_str().unwrap(), "--out", dir.join("r2").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("E0501") && text(&out).contains("help"), "{}", text(&out));
    // Image data that is not there: the path tried, and help.
    let mnist = dir.join("mnist.gan");
    std::fs::write(
        &mnist,
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/dcgan_mnist.gan")).unwrap(),
    )
    .unwrap();
    let out = run(&[
        "train",
        mnist.to_str().unwrap(),
        "--data-dir",
        dir.join("nowhere").to_str().unwrap(),
        "--out",
        dir.join("r3").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("nowhere") && text(&out).contains("help"), "{}", text(&out));
    // Unknown device, missing run, unknown output format.
    let out =
        run(&["train", model(&dir).to_str().unwrap(), "--device", "tpu", "--out", dir.join("r4").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("tpu") && text(&out).contains("help"), "{}", text(&out));
    let out = run(&["sample", dir.join("none").to_str().unwrap(), "-o", dir.join("x.npy").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("help"), "{}", text(&out));
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sampling_a_class_or_a_truncation_the_run_cannot_give_is_an_error_with_help() {
    let dir = temp("sample-request");
    let run_dir = dir.join("run");
    let out = run(&["train", model(&dir).to_str().unwrap(), "--out", run_dir.to_str().unwrap(), "--steps", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    let sample = |extra: &[&str]| {
        let mut args = vec!["sample", run_dir.to_str().unwrap(), "-o", "x.npy"];
        args.extend(extra);
        run(&args)
    };
    for (extra, says) in [
        (&["--class", "3"][..], "no class labels"),
        (&["--truncation=-1"][..], "must be positive"),
        (&["--truncation", "0"][..], "must be positive"),
    ] {
        let out = sample(extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains(says) && text(&out).contains("help"), "{extra:?}: {}", text(&out));
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
    }
    let npy = dir.join("t.npy");
    let out = run(&["sample", run_dir.to_str().unwrap(), "-o", npy.to_str().unwrap(), "--truncation", "0.5"]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn weights_that_blow_up_stop_the_run_and_name_the_network() {
    let dir = temp("blow-up");
    // Losses are measured before the update: step 1's are finite, G's weights after it are not.
    let model = dir.join("blow.gan");
    std::fs::write(&model, RING.replace("log every 1 steps", "log every 1 steps\n    optimizer G: sgd(lr: 1e39)"))
        .unwrap();
    let run_dir = dir.join("run");
    let out = run(&["train", model.to_str().unwrap(), "--out", run_dir.to_str().unwrap(), "--steps", "5"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("generator `G`") && text(&out).contains("help"), "{}", text(&out));
    assert_eq!(checkpoint_step(&run_dir), None, "a checkpoint with infinite weights was written");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn compare_puts_runs_side_by_side_and_a_run_ends_with_its_report() {
    let dir = temp("compare");
    let model = dir.join("ring.gan");
    std::fs::write(&model, format!("{RING}\nevaluate every 10 steps {{ modes(samples: 200) }}\n")).unwrap();
    let mut runs = Vec::new();
    for seed in ["1", "2"] {
        let run_dir = dir.join(format!("seed{seed}"));
        let args =
            ["train", model.to_str().unwrap(), "--out", run_dir.to_str().unwrap(), "--steps", "20", "--seed", seed];
        let out = run(&args);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("report: "), "{}", text(&out));
        assert!(run_dir.join("report.md").is_file());
        runs.push(run_dir);
    }
    let png = dir.join("modes.png");
    let (a, b) = (runs[0].to_str().unwrap(), runs[1].to_str().unwrap());
    let out = run(&["compare", a, b, "-o", png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        table.starts_with("| run | steps | steps/s | modes (best @ step) | high_quality (best @ step) |"),
        "{table}"
    );
    for (run, seed) in [(&runs[0], "seed1"), (&runs[1], "seed2")] {
        let modes = std::fs::read_to_string(run.join("evaluate.csv")).unwrap();
        let last = modes.lines().last().unwrap().split(',').nth(1).unwrap().to_string();
        let row = table.lines().find(|l| l.starts_with(&format!("| {seed} | 20 |"))).expect("a row per run");
        assert!(row.split('|').nth(4).unwrap().trim().starts_with(&last), "{row} vs modes {last}");
    }
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // A metric no run recorded, and a folder that is not a run: errors with help.
    let out = run(&["compare", a, "--metric", "fid", "-o", png.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no run recorded the metric `fid`") && text(&out).contains("help"), "{}", text(&out));
    let out = run(&["compare", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a run directory") && text(&out).contains("help"), "{}", text(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn eval_measures_a_run_its_samples_and_a_folder_alike() {
    let dir = temp("eval");
    common::write_mnist(&dir, 100);
    let data_dir = dir.to_str().unwrap();
    // The language tour's image example, 4 steps of 8 images.
    let example = common::workspace().join("examples/02_images.gan");
    let run_dir = dir.join("run");
    let args = ["--out", run_dir.to_str().unwrap(), "--data-dir", data_dir, "--steps", "4", "--batch", "8"];
    let out = run(&[&["train", example.to_str().unwrap()], &args[..]].concat());
    assert!(out.status.success(), "{}", text(&out));
    let r = run_dir.to_str().unwrap();
    // The run: every metric, appended to the run's eval.csv at its step.
    let out = run(&["eval", r, "-n", "60", "--data-dir", data_dir]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("at step 4: 60 samples against mnist, features of the ganc classifier"),
        "{}",
        text(&out)
    );
    let csv = std::fs::read_to_string(run_dir.join("eval.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("step,samples,network,fid,kid,inception_score,precision,recall,classes"));
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&row[..3], &["4", "60", "ganc classifier"]);
    let fid: f64 = row[3].parse().unwrap();
    assert!(fid > 0.0, "{csv}");
    // The same samples as a .npy (`ganc eval` draws with seed 1): the same FID.
    let npy = dir.join("x.npy");
    let out = run(&["sample", r, "-n", "60", "--seed", "1", "-o", npy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["eval", npy.to_str().unwrap(), "--data", "mnist", "--data-dir", data_dir, "--metrics", "fid"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = format!("| fid | {fid:.4} |");
    assert!(text(&out).contains(&shown), "{} vs {shown}", text(&out));
    // As PNGs: 8-bit pixels, nearly the same FID.
    let folder = dir.join("pngs");
    let out = run(&["sample", r, "-n", "60", "--seed", "1", "-o", folder.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&[
        "eval",
        folder.to_str().unwrap(),
        "--data",
        "mnist",
        "--data-dir",
        data_dir,
        "--metrics",
        "fid,classes_covered",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let line = text(&out).lines().find(|l| l.starts_with("| fid |")).unwrap().to_string();
    let png_fid: f64 = line.trim_matches(|c| c == '|' || c == ' ').split('|').nth(1).unwrap().trim().parse().unwrap();
    assert!((png_fid - fid).abs() < 0.05 * fid, "{png_fid} vs {fid}");
    assert!(text(&out).contains("| classes |"), "{}", text(&out));
    // Errors with help: no reference data for a .npy, an unknown metric, a 2D mixture's run.
    let out = run(&["eval", npy.to_str().unwrap(), "--data-dir", data_dir]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("pass --data mnist"), "{}", text(&out));
    let out = run(&["eval", r, "--metrics", "fid,sharpness"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("unknown metric `sharpness`") && text(&out).contains("help"), "{}", text(&out));
    let ring_run = dir.join("ring");
    let ring = run(&["train", model(&dir).to_str().unwrap(), "--out", ring_run.to_str().unwrap(), "--steps", "3"]);
    assert!(ring.status.success(), "{}", text(&ring));
    let out = run(&["eval", ring_run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("2D mixture") && text(&out).contains("help"), "{}", text(&out));
    // The classifier trains from the command line and writes its weights.
    let weights = dir.join("c.safetensors");
    let out = run(&[
        "eval",
        "--train-classifier",
        "mnist",
        "--epochs",
        "1",
        "--data-dir",
        data_dir,
        "-o",
        weights.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("epoch 1: training loss") && weights.is_file(), "{}", text(&out));
    let out = run(&["eval", "--train-classifier", "cifar10", "--data-dir", data_dir]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no classifier for the data `cifar10`"), "{}", text(&out));
    std::fs::remove_dir_all(&dir).ok();
}
