//! `ganc lsp` driven through its JSON-RPC stdio as an editor drives it: diagnostics of a broken
//! model equal `ganc check`'s, hover shows shapes, completion offers layer and argument names,
//! quick fixes, formatting, the outline, definitions, a burst of edits, garbage input.

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ganc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, messages) = channel();
        std::thread::spawn(move || loop {
            let mut len = 0;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    len = v.parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        let mut s = Server { child, stdin, messages, next_id: 0 };
        let caps = s.request("initialize", json!({ "capabilities": {} }));
        assert!(caps["capabilities"]["hoverProvider"].as_bool().unwrap());
        s.notify("initialized", json!({}));
        s
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let m = self.wait(|m| m["id"] == json!(id));
        assert!(m.get("error").is_none(), "{method}: {m}");
        m["result"].clone()
    }

    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self.messages.recv_timeout(left).expect("the server answers within 20 s");
            if want(&m) {
                return m;
            }
        }
    }

    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri);
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "gan", "version": 1, "text": text } }),
        );
        self.diagnostics(uri)
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        assert!(self.child.wait().unwrap().success());
    }
}

impl Drop for Server {
    /// A failed test must not leave the server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn at(text: &str, needle: &str) -> Value {
    let offset = text.find(needle).unwrap_or_else(|| panic!("{needle} not in text"));
    let line = text[..offset].matches('\n').count();
    let col = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": col })
}

#[test]
fn ui_cases_get_the_same_diagnostics_as_ganc_check() {
    let mut server = Server::start();
    let cases = common::ui_cases();
    assert!(cases.len() >= 60);
    for case in cases {
        let text = std::fs::read_to_string(&case).unwrap();
        let got = server.open(&uri_of(&case), &text);
        let check = Command::new(env!("CARGO_BIN_EXE_ganc"))
            .args(["check", "--format", "json", case.to_str().unwrap()])
            .output()
            .unwrap();
        let want: Vec<Value> =
            String::from_utf8_lossy(&check.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let key = |code: &Value, line: &Value| format!("{}@{}", code.as_str().unwrap(), line.as_u64().unwrap());
        let mut got: Vec<String> =
            got.iter().map(|d| key(&d["code"], &json!(d["range"]["start"]["line"].as_u64().unwrap() + 1))).collect();
        let mut want: Vec<String> = want
            .iter()
            .filter(|d| d["file"].as_str().unwrap().ends_with(case.file_name().unwrap().to_str().unwrap()))
            .map(|d| key(&d["code"], &d["start"]["line"]))
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{}", case.display());
    }
    server.stop();
}

const MODEL: &str = "data mnist(split: train)
latent z ~ normal(100)

generator G(z) -> image {
    linear(128 * 7 * 7)
    batchnorm
    relu
    reshape(128, 7, 7)
    deconv(64, kernel: 4, stride: 2, padding: 1)
    batchnorm
    relu
    deconv(1, kernel: 4, stride: 2, padding: 1)
    tanh
}

discriminator D(image) -> logit {
    conv(64, kernel: 4, stride: 2, padding: 1)
    leaky_relu(0.2)
    let features
    flatten
    linear(1)
}

loss non_saturating
regularize D {
    r1(gamma: 1)
}
";

#[test]
fn hover_completion_fixes_formatting_outline_and_definitions() {
    let dir = std::env::temp_dir().join(format!("ganc-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let uri = uri_of(&dir.join("m.gan"));
    let mut s = Server::start();
    let diags = s.open(&uri, MODEL);
    assert!(diags.iter().all(|d| d["severity"] != 1), "{diags:?}");

    // Hover on a statement: its shapes and parameters.
    let h =
        s.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": at(MODEL, "deconv(64") }));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("[128, 7, 7] -> [64, 14, 14]") && text.contains("131,136 parameters"), "{text}");
    // On a regularizer: the registry's reference.
    let h = s.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": at(MODEL, "r1(") }));
    assert!(h["contents"]["value"].as_str().unwrap().contains("Mescheder"), "{h}");

    // Completion: layers in a network, argument names in a call, regularizers of D's side.
    let names = |r: &Value| -> Vec<String> {
        r.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
    };
    let c = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": at(MODEL, "    leaky_relu") }),
    );
    assert!(names(&c).contains(&"self_attention".to_string()) && names(&c).contains(&"conv".to_string()));
    let c = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": at(MODEL, "stride: 2, padding: 1)\n    leaky") }),
    );
    assert!(names(&c).contains(&"kernel".to_string()) && names(&c).contains(&"padding".to_string()), "{c}");
    let c = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": at(MODEL, "    r1(") }),
    );
    assert!(
        names(&c).contains(&"gradient_penalty".to_string()) && !names(&c).contains(&"feature_matching".to_string()),
        "{:?}",
        names(&c)
    );

    // A typo: diagnostic with a quick fix that replaces it.
    let typo = MODEL.replace("    leaky_relu(0.2)\n    let", "    leaky_rleu(0.2)\n    let");
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": typo }] }),
    );
    let diags = s.diagnostics(&uri);
    let d = diags.iter().find(|d| d["code"] == "E0101").expect("E0101");
    assert_eq!(d["range"]["start"], at(&typo, "leaky_rleu"));
    let actions = s.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "leaky_relu");

    // A burst of edits, half-typed text and garbage: the server keeps answering.
    for i in 0..40 {
        let t = &typo[..typo.len() * i / 40];
        s.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 3 + i }, "contentChanges": [{ "text": t }] }),
        );
    }
    s.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 99 }, "contentChanges": [{ "text": "generator G(z) -> image {\n    con" }] }));
    let c = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 7 } }),
    );
    assert!(names(&c).contains(&"conv".to_string()));
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 100 }, "contentChanges": [{ "text": "\u{0}\u{ffff}((((" }] }),
    );
    let h = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 40, "character": 99 } }),
    );
    assert!(h.is_null());

    // Formatting, outline and definitions on a messy but valid file.
    let messy = MODEL.replace("    conv(64, kernel: 4", "conv(64,kernel:4");
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 101 }, "contentChanges": [{ "text": messy }] }),
    );
    let f = s.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    assert_eq!(f[0]["newText"], MODEL);
    let o = s.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let top: Vec<&str> = o.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(top.contains(&"G") && top.contains(&"D") && top.contains(&"loss non_saturating"), "{top:?}");
    let d_sym = o.as_array().unwrap().iter().find(|s| s["name"] == "D").unwrap();
    assert_eq!(d_sym["children"][0]["name"], "features");
    let def =
        s.request("textDocument/definition", json!({ "textDocument": { "uri": uri }, "position": at(&messy, "D {") }));
    assert_eq!(def["range"]["start"], at(&messy, "D(image)"));
    s.stop();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_edit_that_once_panicked_the_checker_leaves_the_server_serving() {
    // In a debug build, this stride overflowed the deconv's output size inside `didChange`,
    // whose handler was not guarded: the panic took the server down.
    let dir = std::env::temp_dir().join(format!("ganc-lsp-overflow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let uri = uri_of(&dir.join("m.gan"));
    let mut s = Server::start();
    assert!(s.open(&uri, MODEL).iter().all(|d| d["severity"] != 1));
    let broken = MODEL.replacen("stride: 2", "stride: 2000000000000000000", 1);
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": broken }] }),
    );
    let diags = s.diagnostics(&uri);
    assert!(diags.iter().any(|d| d["code"] == "E0310"), "{diags:?}");
    // The server still answers, on this document and after the next edit.
    let h = s
        .request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": at(&broken, "deconv(64") }));
    assert!(h["contents"]["value"].as_str().is_some_and(|t| t.contains("deconv")), "{h}");
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": MODEL }] }),
    );
    assert!(s.diagnostics(&uri).iter().all(|d| d["severity"] != 1));
    s.stop();
    std::fs::remove_dir_all(&dir).ok();
}
