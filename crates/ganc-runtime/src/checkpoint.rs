//! Checkpoints written atomically: every file goes into `checkpoint.tmp/`, which then replaces
//! `checkpoint/` by renames. A run killed at any moment leaves the previous checkpoint readable
//! (as `checkpoint/`, or as `checkpoint.old/` between the two renames).

use crate::network::Net;
use crate::trainer::Trainer;
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a checkpoint records besides tensors.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct State {
    /// Steps done.
    pub step: u64,
    /// Whether an EMA generator is stored.
    pub ema: bool,
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Saves the trainer's networks, optimizer states and step under `run/checkpoint/`.
pub fn save(run: &Path, t: &Trainer) -> std::io::Result<()> {
    let tmp = run.join("checkpoint.tmp");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    t.g.valid().save_file(tmp.join("g.bpk")).map_err(io)?;
    t.d.valid().save_file(tmp.join("d.bpk")).map_err(io)?;
    if let Some(ema) = &t.ema {
        ema.clone().save_file(tmp.join("ema.bpk")).map_err(io)?;
    }
    t.opt_g.save(tmp.join("opt_g.bpk")).map_err(io)?;
    t.opt_d.save(tmp.join("opt_d.bpk")).map_err(io)?;
    let state = State { step: t.step, ema: t.ema.is_some() };
    write_atomic(&tmp.join("state.json"), serde_json::to_string_pretty(&state).map_err(io)?.as_bytes())?;
    let (current, old) = (run.join("checkpoint"), run.join("checkpoint.old"));
    let _ = fs::remove_dir_all(&old);
    if current.exists() {
        fs::rename(&current, &old)?;
    }
    fs::rename(&tmp, &current)?;
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// The checkpoint folder of a run (or a checkpoint folder itself), falling back to the one a
/// kill between renames left behind.
pub fn find(path: &Path) -> Option<PathBuf> {
    if path.join("state.json").is_file() {
        return Some(path.to_path_buf());
    }
    ["checkpoint", "checkpoint.old"].iter().map(|c| path.join(c)).find(|c| c.join("state.json").is_file())
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
    let read = |name: &str| fs::read(dir.join(name)).map(Bytes::from_bytes_vec);
    t.opt_g = t.opt_g.from_bytes(read("opt_g.bpk")?).map_err(|e| corrupt(&dir.join("opt_g.bpk"), e))?;
    t.opt_d = t.opt_d.from_bytes(read("opt_d.bpk")?).map_err(|e| corrupt(&dir.join("opt_d.bpk"), e))?;
    t.step = st.step;
    Ok(t)
}
