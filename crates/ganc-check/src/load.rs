//! Reading files and following `import`s, with cycle detection.

use ganc_diagnostics::{codes, Diagnostic, FileId, SourceMap};
use ganc_syntax::ast::{File, Item};
use std::path::{Path, PathBuf};

/// Where the checker reads files from: the disk, or an editor's open buffers.
pub trait Loader {
    /// The text of the file at `path`.
    fn load(&self, path: &Path) -> std::io::Result<String>;
}

/// Reads files from the file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not valid UTF-8 (first bad byte at offset {})", e.utf8_error().valid_up_to()),
            )
        })
    }
}

/// A parsed file and the files it imports.
pub struct Parsed {
    /// Its id in the source map.
    pub id: FileId,
    /// Its syntax tree.
    pub ast: File,
    /// Indices (into the list returned by [`load_all`]) of the files its imports name,
    /// aligned with its `import` items; `None` where the import failed.
    pub imports: Vec<Option<usize>>,
}

/// Parses the root and every file it imports, transitively. Returns `None` when the root
/// does not parse (its syntax error is in `diags`).
pub fn load_all(
    root: FileId,
    path: &Path,
    sources: &mut SourceMap,
    loader: &dyn Loader,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Parsed>> {
    let mut files = Vec::new();
    let mut stack = Vec::new();
    let text = sources.get(root).text.clone();
    load_one(root, path.to_path_buf(), &text, sources, loader, diags, &mut files, &mut stack).map(|_| files)
}

#[allow(clippy::too_many_arguments)]
fn load_one(
    id: FileId,
    path: PathBuf,
    text: &str,
    sources: &mut SourceMap,
    loader: &dyn Loader,
    diags: &mut Vec<Diagnostic>,
    files: &mut Vec<Parsed>,
    stack: &mut Vec<PathBuf>,
) -> Option<usize> {
    let ast = match ganc_syntax::parse(id, text) {
        Ok(ast) => ast,
        Err(errors) => {
            diags.extend(errors);
            return None;
        }
    };
    let index = files.len();
    files.push(Parsed { id, ast, imports: Vec::new() });
    stack.push(path.clone());
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let imports: Vec<_> = files[index]
        .ast
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Import(imp) => Some(imp.clone()),
            _ => None,
        })
        .collect();
    let mut resolved = Vec::new();
    for imp in imports {
        let target = dir.join(&imp.path);
        let key = normalize(&target);
        if stack.iter().any(|p| normalize(p) == key) {
            let chain: Vec<String> = stack
                .iter()
                .map(|p| p.display().to_string())
                .chain(std::iter::once(target.display().to_string()))
                .collect();
            diags.push(
                Diagnostic::new(codes::IMPORT_CYCLE, imp.path_span, format!("import cycle: {}", chain.join(" -> ")))
                    .label("this import closes the cycle")
                    .help("move the shared blocks into a third file that both import"),
            );
            resolved.push(None);
            continue;
        }
        if let Some(done) = files.iter().position(|f| sources.get(f.id).path == target.display().to_string()) {
            resolved.push(Some(done));
            continue;
        }
        match loader.load(&target) {
            Ok(text) => {
                let fid = sources.add(target.display().to_string(), text.clone());
                resolved.push(load_one(fid, target, &text, sources, loader, diags, files, stack));
            }
            Err(e) => {
                diags.push(
                    Diagnostic::new(
                        codes::IMPORT_NOT_FOUND,
                        imp.path_span,
                        format!("cannot read the imported file `{}`: {e}", target.display()),
                    )
                    .label("imported here")
                    .help(format!("import paths are relative to the importing file's folder `{}`", display_dir(&dir))),
                );
                resolved.push(None);
            }
        }
    }
    files[index].imports = resolved;
    stack.pop();
    Some(index)
}

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".into()
    } else {
        dir.display().to_string()
    }
}

/// A path with `.` and `..` folded, for comparing imports.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
