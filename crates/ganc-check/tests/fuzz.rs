//! Mutated, generated and hostile inputs: the checker never panics, overflows its stack or
//! hangs, and a file that yields no model always gets a diagnostic.
//!
//! The default tests run a few hundred fixed cases (CI). The long run checks a million mutated
//! and generated models, each under a watchdog that fails a case taking over a second:
//!
//! ```text
//! CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true cargo test --release -p ganc-check --test fuzz -- --ignored
//! ```
//!
//! (with overflow checks, an arithmetic overflow panics as in a debug build instead of wrapping).
//!
//! `GANC_FUZZ_CASES` sets its number of cases, `GANC_FUZZ_THREADS` its threads.

use ganc_check::{check_source, FsLoader};
use ganc_registry::{Kind, Spec, Ty};
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestCaseError, TestRunner};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::LazyLock;
use std::time::Duration;

const TINY: &str = r#"data ring(8)
latent z ~ normal(8)
generator G(z) -> point { linear(32) relu linear(2) }
discriminator D(point) -> logit { linear(32) leaky_relu(0.2) linear(1) }
loss non_saturating
train { batch: 64 steps: 100 optimizer G: adam(lr: 1e-3) }
"#;

/// The corpus: every model and example, plus a tiny model that needs no files.
static CORPUS: LazyLock<Vec<(PathBuf, String)>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = vec![(root.join("models/tiny.gan"), TINY.to_string())];
    for dir in ["models", "examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "gan") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
});

/// Checks `text` and asserts the contract: no panic (the test would fail), and an answer.
fn answers(path: &Path, text: &str) {
    let analysis = check_source(path, text, &FsLoader);
    // A file of blocks and imports only is a library: it checks clean with no model.
    let code: Vec<&str> = text.lines().map(|l| l.split("//").next().unwrap_or("").trim()).collect();
    let library = !code.iter().any(|l| {
        ganc_syntax::ITEM_STARTS.iter().filter(|k| !matches!(**k, "import" | "block")).any(|k| l.starts_with(k))
    });
    assert!(
        analysis.model.is_some()
            || !analysis.diagnostics.is_empty()
            || library
            || text.trim().is_empty()
            || !text.contains("data"),
        "no model and no diagnostic for:\n{text}"
    );
}

/// Where cases go to the worker thread, and where its answers come back.
type Worker = (Sender<(PathBuf, String)>, Receiver<Result<(), String>>);

/// Checks cases on a worker thread and waits for each at most `limit`: a panic or a case that
/// takes longer (a hang) is a failure naming the input.
struct Watchdog {
    limit: Duration,
    worker: Option<Worker>,
}

impl Watchdog {
    fn new(limit: Duration) -> Watchdog {
        Watchdog { limit, worker: None }
    }

    fn check(&mut self, path: &Path, text: &str) -> Result<(), String> {
        let (cases, answers_rx) = self.worker.get_or_insert_with(|| {
            let (cases, inbox) = channel::<(PathBuf, String)>();
            let (outbox, answers_rx) = channel();
            std::thread::spawn(move || {
                for (path, text) in inbox {
                    let result = std::panic::catch_unwind(|| answers(&path, &text)).map_err(|e| {
                        e.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default()
                    });
                    if outbox.send(result).is_err() {
                        return;
                    }
                }
            });
            (cases, answers_rx)
        });
        cases.send((path.to_path_buf(), text.to_string())).map_err(|_| "the worker is gone".to_string())?;
        match answers_rx.recv_timeout(self.limit) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(panic)) => Err(format!("panicked: {panic}\nfor:\n{text}")),
            Err(RecvTimeoutError::Timeout) => {
                // The worker is stuck on this case: leave it and start a fresh one next time.
                self.worker = None;
                Err(format!("no answer within {:?} (a hang) for:\n{text}", self.limit))
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.worker = None;
                Err(format!("the worker died on:\n{text}"))
            }
        }
    }
}

fn char_floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A number for any numeric position: mostly small and valid, else zero, negative, large but
/// inside 64 bits (2^20 to 2^62, and the bounds of the range), so that it reaches the shape code.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (1i64..=64).prop_map(|n| n.to_string()),
        1 => Just("0".to_string()),
        1 => (1i64..=(1 << 40)).prop_map(|n| format!("-{n}")),
        2 => (20u32..=62, -1i64..=1).prop_map(|(k, d)| ((1i64 << k) + d).to_string()),
        1 => ((1i64 << 20)..=(1i64 << 62)).prop_map(|n| n.to_string()),
        1 => Just(i64::MAX.to_string()),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    DeleteLine(usize),
    DuplicateLine(usize),
    Insert(usize, String),
    HugeInteger(usize),
    /// Replaces the digits of one number with another number.
    Number(usize, String),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => (any::<usize>(), "[(){}:,.|>~=+*/%\\-0-9a-z_\" \n]{1,12}").prop_map(|(i, s)| Mutation::Insert(i, s)),
        1 => any::<usize>().prop_map(Mutation::HugeInteger),
        3 => (any::<usize>(), number()).prop_map(|(i, n)| Mutation::Number(i, n)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

/// The byte ranges of the runs of digits that stand alone (not inside a name like `e0305`).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let n = lines.len().max(1);
    match m {
        Mutation::Truncate(i) => text[..char_floor(text, i % (text.len() + 1))].to_string(),
        Mutation::DeleteLine(i) => {
            if !lines.is_empty() {
                lines.remove(i % n);
            }
            lines.join("\n")
        }
        Mutation::DuplicateLine(i) => {
            if !lines.is_empty() {
                let l = lines[i % n];
                lines.insert(i % n, l);
            }
            lines.join("\n")
        }
        Mutation::Insert(i, s) => {
            let at = char_floor(text, i % (text.len() + 1));
            format!("{}{}{}", &text[..at], s, &text[at..])
        }
        Mutation::HugeInteger(i) => {
            let digits: Vec<usize> = text.match_indices(|c: char| c.is_ascii_digit()).map(|(p, _)| p).collect();
            if digits.is_empty() {
                return text.to_string();
            }
            let at = digits[i % digits.len()];
            format!("{}99999999999999999999999999{}", &text[..at], &text[at..])
        }
        Mutation::Number(i, value) => {
            let runs = numbers(text);
            if runs.is_empty() {
                return text.to_string();
            }
            let (start, end) = runs[i % runs.len()];
            format!("{}{value}{}", &text[..start], &text[end..])
        }
        Mutation::SwapLines(a, b) => {
            if !lines.is_empty() {
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
    }
}

/// A corpus file with mutations applied.
fn mutated() -> impl Strategy<Value = (PathBuf, String)> {
    (any::<usize>(), prop::collection::vec(mutation(), 1..4)).prop_map(|(index, mutations)| {
        let (path, text) = &CORPUS[index % CORPUS.len()];
        let text = mutations.iter().fold(text.clone(), |t, m| apply(&t, m));
        (path.clone(), text)
    })
}

/// An argument of type `ty` made from the number `n`, or `None` for types left out.
fn argument(ty: Ty, n: &str) -> Option<String> {
    match ty {
        Ty::Int | Ty::Float => Some(n.to_string()),
        Ty::Duration => Some(format!("{n} steps")),
        Ty::Bool => Some(n.len().is_multiple_of(2).to_string()),
        Ty::Choice(c) => Some(c[n.len() % c.len()].to_string()),
        Ty::Value => Some(["e", "y", "z", "h"][n.len() % 4].to_string()),
        Ty::Ints => Some(format!("{n}, 7, 7")),
        Ty::Range => Some(format!("0.5..{n}")),
        Ty::FloatPair => Some(format!("({n}, 0.9)")),
        Ty::Str | Ty::Schedule | Ty::Feature => None,
    }
}

/// A call of a registry entry of `kind`: each parameter given (by name) or, unless required,
/// left out.
fn call(kind: Kind) -> impl Strategy<Value = String> {
    let specs: Vec<&'static Spec> = ganc_registry::of_kind(kind).collect();
    (0..specs.len(), prop::collection::vec((any::<bool>(), number()), 8)).prop_map(move |(i, values)| {
        let spec = specs[i];
        let args: Vec<String> = spec
            .params
            .iter()
            .zip(&values)
            .filter(|(p, (given, _))| *given || p.default == ganc_registry::Default::Required)
            .filter_map(|(p, (_, n))| argument(p.ty, n).map(|v| format!("{}: {v}", p.name)))
            .collect();
        format!("{}({})", spec.name, args.join(", "))
    })
}

/// A body of registry layers, after a start that gives later layers a real image or vector.
fn body(starts: &'static [&'static str]) -> impl Strategy<Value = String> {
    (prop::sample::select(starts), prop::collection::vec(call(Kind::Layer), 1..6))
        .prop_map(|(start, calls)| format!("{start}\n    {}", calls.join("\n    ")))
}

/// A model written from the registry: every layer, with numbers from [`number`] in its
/// parameters, after a start that leaves a real shape.
fn generated() -> impl Strategy<Value = (PathBuf, String)> {
    let data = prop_oneof![
        Just("mnist(split: train)".to_string()),
        Just("cifar10".to_string()),
        Just("ring(8)".to_string()),
        (number(), number()).prop_map(|(s, c)| format!("images(path: \"none\", size: {s}, channels: {c})")),
    ];
    let g = body(&["linear(128 * 7 * 7)\n    reshape(128, 7, 7)", "linear(64)", "", "let h\n    concat(e)"]);
    let d = body(&["conv(16, kernel: 4, stride: 2, padding: 1)", "flatten", "", "let h"]);
    (data, number(), g, d, call(Kind::Loss), call(Kind::Regularizer), number()).prop_map(
        |(data, dim, g, d, loss, reg, steps)| {
            let text = format!(
                "data {data}\nlatent z ~ normal({dim})\ncondition y ~ labels\n\n\
                 generator G(z, y) -> image {{\n    let e = y |> embedding(8)\n    {g}\n}}\n\n\
                 discriminator D(image, y) -> logit {{\n    let e = y |> embedding(8)\n    {d}\n}}\n\n\
                 loss {loss}\nregularize D {{ {reg} }}\ntrain {{ batch: 8 steps: {steps} }}\n"
            );
            (PathBuf::from("generated.gan"), text)
        },
    )
}

/// Runs `cases` cases of `strategy` under a watchdog of `limit` each, from a fixed `seed`.
fn run(
    strategy: impl Strategy<Value = (PathBuf, String)>,
    cases: u32,
    seed: u64,
    limit: Duration,
) -> Result<(), String> {
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        // Shrinking a hang waits out the limit at each step: stop after a minute.
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let watchdog = std::cell::RefCell::new(Watchdog::new(limit));
    runner
        .run(&strategy, |(path, text)| watchdog.borrow_mut().check(&path, &text).map_err(TestCaseError::fail))
        .map_err(|e| e.to_string())
}

// A fixed seed: the same cases every run, so a failure is reproducible and CI never flakes.
// Change the seed to explore new cases.
const SEED: u64 = 0x6a6e_c0de;
// A debug build on a busy CI machine is slow: generous, yet a hang still fails.
const CI_LIMIT: Duration = Duration::from_secs(10);

#[test]
fn mutated_models_never_panic_or_hang() {
    run(mutated(), 300, SEED, CI_LIMIT).unwrap();
}

#[test]
fn generated_models_never_panic_or_hang() {
    run(generated(), 300, SEED, CI_LIMIT).unwrap();
}

#[test]
#[ignore = "a million cases: run with --release -- --ignored"]
fn a_million_mutated_and_generated_models() {
    let var = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let cases = var("GANC_FUZZ_CASES", 1_000_000);
    let threads = var("GANC_FUZZ_THREADS", std::thread::available_parallelism().map_or(2, |n| n.get() as u64));
    let limit = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                // Half the cases mutate the corpus, half are generated; each thread its own seed.
                let share = move |total: u64| (total / threads + u64::from(t < total % threads)) as u32;
                scope.spawn(move || {
                    let mutated = run(mutated(), share(cases / 2), SEED + 2 * t, limit);
                    let generated = run(generated(), share(cases - cases / 2), SEED + 2 * t + 1, limit);
                    [mutated, generated].into_iter().filter_map(Result::err).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    eprintln!("fuzz: {cases} cases on {threads} threads in {:.1} s", started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn random_bytes_never_panic() {
    let bytes = prop::collection::vec(any::<u8>(), 0..400)
        .prop_map(|b| (PathBuf::from("random.gan"), String::from_utf8_lossy(&b).into_owned()));
    run(bytes, 300, SEED, CI_LIMIT).unwrap();
}

#[test]
fn the_huge_kernel_that_hung_the_checker_is_answered() {
    // `suggest_padding` once tried every padding up to the kernel: 4 * 10^18 iterations.
    let text = TINY
        .replace("data ring(8)", "data mnist")
        .replace("-> point", "-> image")
        .replace("D(point)", "D(image)")
        .replace(
            "linear(32) leaky_relu(0.2) linear(1)",
            "conv(8, kernel: 4000000000000000001, stride: 2, padding: 2000000000000000000) flatten linear(1)",
        );
    let mut watchdog = Watchdog::new(CI_LIMIT);
    watchdog.check(Path::new("hang.gan"), &text).unwrap();
    let analysis = check_source(Path::new("hang.gan"), &text, &FsLoader);
    assert!(analysis.diagnostics.iter().any(|d| d.code.id == "E0306"), "{:?}", analysis.diagnostics);
}

#[test]
fn deep_nesting_gets_a_diagnostic() {
    let path = Path::new("deep.gan");
    let parens = format!("data mnist\nlatent z ~ normal({}1{})", "(".repeat(10_000), ")".repeat(10_000));
    let braces = format!("block a() {{ {} }}", "residual { ".repeat(10_000));
    let lets = format!("generator G(z) -> image {{ {} }}", "let a = z { ".repeat(10_000));
    for text in [parens, braces, lets] {
        let analysis = check_source(path, &text, &FsLoader);
        assert_eq!(analysis.diagnostics[0].code.id, "E0002");
    }
}

#[test]
fn long_block_chains_and_expressions_get_diagnostics() {
    // 10,000 blocks, each calling the next: expansion stops at a bounded depth.
    let mut text = TINY.replace("linear(32) relu linear(2)", "b0 linear(2)");
    for i in 0..10_000 {
        text.push_str(&format!("block b{i}() {{ b{} }}\n", i + 1));
    }
    text.push_str("block b10000() { relu }\n");
    let analysis = check_source(Path::new("chain.gan"), &text, &FsLoader);
    assert!(analysis.diagnostics.iter().any(|d| d.code.id == "E0002"), "{:?}", analysis.diagnostics);

    let sum = format!("data mnist\nlatent z ~ normal({})", vec!["1"; 5_000].join(" + "));
    let negs = format!("data mnist\nlatent z ~ normal({}1)", "-".repeat(5_000));
    for text in [sum, negs] {
        assert_eq!(check_source(Path::new("expr.gan"), &text, &FsLoader).diagnostics[0].code.id, "E0002");
    }
}

#[test]
fn huge_numbers_and_repeats_are_refused_not_computed() {
    let cases = [
        ("latent z ~ normal(99999999999999999999999)", "E0003"),
        ("latent z ~ normal(9223372036854775807 * 2)", "E0003"),
        ("latent z ~ normal(1 / 0)", "E0003"),
    ];
    for (line, code) in cases {
        let text = TINY.replace("latent z ~ normal(8)", line);
        let analysis = check_source(Path::new("big.gan"), &text, &FsLoader);
        assert!(analysis.diagnostics.iter().any(|d| d.code.id == code), "{line}: {:?}", analysis.diagnostics);
    }
    // Progressive stages whose doubling leaves the 64-bit range.
    let pggan = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/pggan.gan");
    let text = std::fs::read_to_string(&pggan).unwrap();
    for (from, to) in [("grow 4 {", "grow 4611686018427387904 {"), ("shrink 4 {", "shrink 4611686018427387904 {")] {
        let analysis = check_source(&pggan, &text.replace(from, to), &FsLoader);
        assert!(analysis.diagnostics.iter().any(|d| d.code.id == "E0404"), "{to}: {:?}", analysis.diagnostics);
    }
    let text =
        TINY.replace("linear(32) relu linear(2)", "repeat 1000 { repeat 1000 { repeat 1000 { relu } } } linear(2)");
    let analysis = check_source(Path::new("big.gan"), &text, &FsLoader);
    assert!(analysis.diagnostics.iter().any(|d| d.code.id == "E0202"), "{:?}", analysis.diagnostics);
}
