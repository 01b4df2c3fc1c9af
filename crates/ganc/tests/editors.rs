//! End to end in a real editor: headless Neovim opens `tests/ui` cases with `editors/nvim/ganc.lua`
//! and receives, through `ganc lsp`, the same diagnostics (code and line) as `ganc check` prints.
//! Skipped, saying so, when `nvim` is not installed (`.ci/run` installs it). Also: the VS Code
//! extension in `editors/vscode` packages into a `.vsix` with npm.

mod common;

use common::workspace;

use serde_json::Value;
use std::process::Command;

#[test]
fn neovim_shows_the_diagnostics_of_ganc_check() {
    if Command::new("nvim").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED neovim_shows_the_diagnostics_of_ganc_check: `nvim` is not installed (apt-get install neovim)"
        );
        return;
    }
    let root = workspace();
    let ganc = env!("CARGO_BIN_EXE_ganc");
    let cases = common::ui_cases();
    let out = std::env::temp_dir().join(format!("ganc-nvim-{}.txt", std::process::id()));
    for case in &cases {
        let check = Command::new(ganc).args(["check", "--format", "json", case.to_str().unwrap()]).output().unwrap();
        let name = case.file_name().unwrap().to_str().unwrap();
        let mut want: Vec<String> = String::from_utf8_lossy(&check.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|d| d["file"].as_str().unwrap().ends_with(name))
            .map(|d| format!("{}@{}", d["code"].as_str().unwrap(), d["start"]["line"]))
            .collect();
        let status = Command::new("nvim")
            .args([
                "--headless",
                "-u",
                "NONE",
                "-c",
                &format!("luafile {}", root.join("tests/nvim/diagnostics.lua").display()),
            ])
            .env("GANC", ganc)
            .env("GANC_NVIM_CONFIG", root.join("editors/nvim/ganc.lua"))
            .env("GANC_FILE", case)
            .env("GANC_OUT", &out)
            .env("GANC_EXPECT", want.len().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "nvim failed on {}", case.display());
        let mut got: Vec<String> = std::fs::read_to_string(&out).unwrap().lines().map(String::from).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{}", case.display());
    }
    std::fs::remove_file(&out).ok();
}

#[test]
fn the_vscode_extension_packages_into_a_vsix() {
    if Command::new("npm").arg("--version").output().is_err() {
        eprintln!("SKIPPED the_vscode_extension_packages_into_a_vsix: `npm` is not installed");
        return;
    }
    let dir = workspace().join("editors/vscode");
    let vsix = dir.join("ganc.vsix");
    let _ = std::fs::remove_file(&vsix);
    for args in [&["ci", "--no-audit", "--no-fund"][..], &["run", "package"][..]] {
        let out = Command::new("npm").args(args).current_dir(&dir).output().unwrap();
        assert!(out.status.success(), "npm {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let bytes = std::fs::read(&vsix).expect("ganc.vsix written");
    // A .vsix is a zip holding the manifest, the grammar and the client.
    assert!(bytes.starts_with(b"PK"));
    let text = String::from_utf8_lossy(&bytes);
    for file in ["extension/package.json", "extension/syntaxes/gan.tmLanguage.json", "extension/extension.js"] {
        assert!(text.contains(file), "{file} not in the package");
    }
}
