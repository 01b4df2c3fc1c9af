//! Checkpoints that survive a kill at any instruction.
//!
//! A checkpoint is a folder of files whose `state.json` is written last: a folder holding
//! `state.json` is complete. [`save`] writes into `checkpoint.tmp/`, then moves it to
//! `checkpoint/` by renames, keeping the previous complete checkpoint (as `checkpoint/` or
//! `checkpoint.old/`) until the new one is in place, and deletes a folder only after renaming
//! it to `checkpoint.trash/`, which is never read. [`find`] reads every complete folder among
//! `checkpoint/`, `checkpoint.old/` and `checkpoint.tmp/` and picks the newest step, so a kill
//! between any two file operations leaves a loadable checkpoint that [`find`] finds.

use crate::growth::Growth;
use crate::network::Net;
use crate::params::all_finite;
use crate::trainer::Trainer;
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files of the historical averages of G's and D's weights.
const AVERAGES: [&str; 2] = ["average_g.bpk", "average_d.bpk"];

/// The file of experience replay's buffer: its values as little-endian f32.
const REPLAY: &str = "replay.f32";

/// What a checkpoint records besides tensors.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct State {
    /// Steps done.
    pub step: u64,
    /// Whether an EMA generator is stored.
    pub ema: bool,
    /// Where progressive growing stands after `step` (a function of the step, which restores
    /// it: recorded for readers of the checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<Growth>,
    /// BEGAN's `k_t` after `step`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub began_k: Option<f64>,
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    write_synced(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Where a run's checkpoint is.
const CURRENT: &str = "checkpoint";
/// The previous checkpoint, while the next one is moved into place.
const OLD: &str = "checkpoint.old";
/// The next checkpoint, while it is written.
const TMP: &str = "checkpoint.tmp";
/// The checkpoint folders of a run, preferred in this order when their steps tie.
const FOLDERS: [&str; 3] = [CURRENT, OLD, TMP];
/// Where a folder goes to be deleted: never read as a checkpoint.
const TRASH: &str = "checkpoint.trash";

/// A network of the trainer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// The generator.
    Generator,
    /// The discriminator.
    Discriminator,
    /// The EMA copy of the generator.
    Ema,
    /// BiGAN's encoder.
    Encoder,
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Network::Generator => "generator",
            Network::Discriminator => "discriminator",
            Network::Ema => "EMA generator",
            Network::Encoder => "encoder",
        })
    }
}

/// Why a checkpoint was not written.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// A parameter of this network is NaN or infinite: nothing was written.
    #[error("a parameter of the {0} is not finite")]
    NonFinite(Network),
    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A file operation of [`save_with`], announced to its hook just before it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileOp {
    /// Creating a folder.
    CreateDir(PathBuf),
    /// Writing a file.
    Write(PathBuf),
    /// Renaming a file or folder.
    Rename(PathBuf, PathBuf),
    /// Deleting a folder and what it holds.
    Remove(PathBuf),
}

/// Runs file operations, announcing each to a hook that may stop the sequence.
struct Ops<'a> {
    hook: &'a mut dyn FnMut(&FileOp) -> std::io::Result<()>,
}

impl Ops<'_> {
    fn run(&mut self, op: FileOp, f: impl FnOnce(&FileOp) -> std::io::Result<()>) -> std::io::Result<()> {
        (self.hook)(&op)?;
        f(&op)
    }

    fn create_dir(&mut self, dir: PathBuf) -> std::io::Result<()> {
        self.run(FileOp::CreateDir(dir.clone()), |_| fs::create_dir_all(&dir))
    }

    fn write(&mut self, path: PathBuf, write: impl FnOnce(&Path) -> std::io::Result<()>) -> std::io::Result<()> {
        self.run(FileOp::Write(path.clone()), |_| write(&path))
    }

    fn rename(&mut self, from: PathBuf, to: PathBuf) -> std::io::Result<()> {
        self.run(FileOp::Rename(from.clone(), to.clone()), |_| fs::rename(&from, &to))
    }

    /// Deletes `dir` after renaming it to the trash, so that no kill leaves a half-deleted
    /// folder that still looks complete.
    fn retire(&mut self, dir: PathBuf, trash: &Path) -> std::io::Result<()> {
        if trash.exists() {
            self.run(FileOp::Remove(trash.to_path_buf()), |_| fs::remove_dir_all(trash))?;
        }
        self.rename(dir, trash.to_path_buf())?;
        self.run(FileOp::Remove(trash.to_path_buf()), |_| fs::remove_dir_all(trash))
    }
}

/// Whether a folder holds a complete checkpoint (its `state.json`, written last).
fn is_complete(dir: &Path) -> bool {
    dir.join("state.json").is_file()
}

/// Which network of `t` has a non-finite parameter, if any.
pub fn non_finite(t: &Trainer) -> Option<Network> {
    if !all_finite(&t.g) {
        return Some(Network::Generator);
    }
    if !all_finite(&t.d) {
        return Some(Network::Discriminator);
    }
    if t.encoder.as_ref().is_some_and(|(e, _)| !all_finite(e)) {
        return Some(Network::Encoder);
    }
    t.ema.as_ref().filter(|ema| !all_finite(*ema)).map(|_| Network::Ema)
}

/// Saves the trainer's networks, optimizer states and step under `run/checkpoint/`, unless a
/// parameter is not finite.
pub fn save(run: &Path, t: &Trainer) -> Result<(), SaveError> {
    save_with(run, t, &mut |_| Ok(()))
}

/// [`save`], calling `hook` before each file operation; an error from the hook stops the save
/// there, as a kill would (the tests kill a save at each operation in turn).
#[doc(hidden)]
pub fn save_with(
    run: &Path,
    t: &Trainer,
    hook: &mut dyn FnMut(&FileOp) -> std::io::Result<()>,
) -> Result<(), SaveError> {
    if let Some(net) = non_finite(t) {
        return Err(SaveError::NonFinite(net));
    }
    let (tmp, trash) = (run.join(TMP), run.join(TRASH));
    let mut ops = Ops { hook };
    // A complete `checkpoint.tmp/` is what a kill during `install` left: it is the newest
    // checkpoint, so it takes its place rather than being deleted.
    if is_complete(&tmp) {
        install(&mut ops, run)?;
    } else if tmp.exists() {
        ops.retire(tmp.clone(), &trash)?;
    }
    ops.create_dir(tmp.clone())?;
    ops.write(tmp.join("g.bpk"), |p| t.g.valid().save_file(p).map_err(io))?;
    ops.write(tmp.join("d.bpk"), |p| t.d.valid().save_file(p).map_err(io))?;
    let averages = [(&t.ema, "ema.bpk"), (&t.averages.0, AVERAGES[0]), (&t.averages.1, AVERAGES[1])];
    for (net, file) in averages {
        if let Some(net) = net {
            ops.write(tmp.join(file), |p| net.clone().save_file(p).map_err(io))?;
        }
    }
    if let Some(buffer) = &t.replay {
        ops.write(tmp.join(REPLAY), |p| write_synced(p, &buffer.to_bytes()))?;
    }
    ops.write(tmp.join("opt_g.bpk"), |p| t.opt_g.save(p).map_err(io))?;
    ops.write(tmp.join("opt_d.bpk"), |p| t.opt_d.save(p).map_err(io))?;
    if let Some((e, opt_e)) = &t.encoder {
        ops.write(tmp.join("e.bpk"), |p| e.valid().save_file(p).map_err(io))?;
        ops.write(tmp.join("opt_e.bpk"), |p| opt_e.save(p).map_err(io))?;
    }
    let state = State {
        step: t.step,
        ema: t.ema.is_some(),
        growth: t.plan.progressive.as_ref().map(|s| s.after(t.step)),
        began_k: t.equilibrium.map(|e| e.k),
    };
    let json = serde_json::to_string_pretty(&state).map_err(io)?;
    let partial = tmp.join("state.json.partial");
    ops.write(partial.clone(), |p| write_synced(p, json.as_bytes()))?;
    ops.rename(partial, tmp.join("state.json"))?;
    install(&mut ops, run)?;
    Ok(())
}

/// Moves the complete `checkpoint.tmp/` to `checkpoint/`, keeping the previous checkpoint (as
/// `checkpoint.old/`) until the new one is in place.
fn install(ops: &mut Ops<'_>, run: &Path) -> std::io::Result<()> {
    let [current, old, tmp] = FOLDERS.map(|f| run.join(f));
    let trash = run.join(TRASH);
    if current.exists() {
        if old.exists() {
            ops.retire(old.clone(), &trash)?;
        }
        ops.rename(current.clone(), old.clone())?;
    }
    ops.rename(tmp, current)?;
    if old.exists() {
        ops.retire(old, &trash)?;
    }
    Ok(())
}

/// The checkpoint folder of a run (or a checkpoint folder itself): of the complete folders
/// `checkpoint/`, `checkpoint.old/` and `checkpoint.tmp/`, the one with the newest step.
pub fn find(path: &Path) -> Option<PathBuf> {
    if is_complete(path) {
        return Some(path.to_path_buf());
    }
    // `max_by_key` keeps the last of equal keys: the list runs from least to most preferred.
    FOLDERS
        .iter()
        .rev()
        .map(|f| path.join(f))
        .filter(|dir| is_complete(dir))
        .max_by_key(|dir| state(dir).ok().map(|s| s.step))
}

/// Reads a checkpoint's state.
pub fn state(dir: &Path) -> std::io::Result<State> {
    let text = fs::read_to_string(dir.join("state.json"))?;
    serde_json::from_str(&text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("state.json: {e}")))
}

/// Loads weights into a freshly lowered network, reading the file eagerly.
pub fn load_net(net: Net, file: &Path) -> std::io::Result<Net> {
    let bytes = Bytes::from_bytes_vec(fs::read(file)?);
    let record = ModuleRecord::from_bytes(bytes).map_err(|e| corrupt(file, e))?;
    net.try_load_record(record).map_err(|e| corrupt(file, e))
}

fn corrupt(file: &Path, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{}: not a checkpoint of this model ({e})", file.display()),
    )
}

/// Restores networks, optimizer states and the step into `t` from `dir`.
pub fn restore(dir: &Path, mut t: Trainer) -> std::io::Result<Trainer> {
    let st = state(dir)?;
    t.g = load_net(t.g, &dir.join("g.bpk"))?.train();
    t.d = load_net(t.d, &dir.join("d.bpk"))?.train();
    if let Some(ema) = t.ema.take() {
        t.ema = Some(if st.ema { load_net(ema, &dir.join("ema.bpk"))? } else { t.g.valid() });
    }
    // Historical averages, from a checkpoint that has them (else they start at the weights).
    let fresh = (t.g.valid(), t.d.valid());
    for (average, file, start) in [(&mut t.averages.0, AVERAGES[0], fresh.0), (&mut t.averages.1, AVERAGES[1], fresh.1)]
    {
        if let Some(net) = average.take() {
            let path = dir.join(file);
            *average = Some(if path.exists() { load_net(net, &path)? } else { start });
        }
    }
    if let Some(buffer) = t.replay.take() {
        let path = dir.join(REPLAY);
        t.replay = Some(match fs::read(&path) {
            Ok(bytes) => {
                buffer.with_bytes(&bytes).ok_or_else(|| corrupt(&path, "not a replay buffer of this model"))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => buffer,
            Err(e) => return Err(e),
        });
    }
    let read = |name: &str| fs::read(dir.join(name)).map(Bytes::from_bytes_vec);
    t.opt_g = t.opt_g.from_bytes(read("opt_g.bpk")?).map_err(|e| corrupt(&dir.join("opt_g.bpk"), e))?;
    t.opt_d = t.opt_d.from_bytes(read("opt_d.bpk")?).map_err(|e| corrupt(&dir.join("opt_d.bpk"), e))?;
    if let Some((e, opt_e)) = t.encoder.take() {
        let e = load_net(e, &dir.join("e.bpk"))?.train();
        let opt_e = opt_e.from_bytes(read("opt_e.bpk")?).map_err(|e| corrupt(&dir.join("opt_e.bpk"), e))?;
        t.encoder = Some((e, opt_e));
    }
    if let (Some(eq), Some(k)) = (t.equilibrium.as_mut(), st.began_k) {
        eq.k = k;
    }
    t.step = st.step;
    Ok(t)
}
