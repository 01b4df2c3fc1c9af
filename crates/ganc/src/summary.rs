//! `ganc check --summary`: a Keras-style table per network.

use ganc_check::ir::{Model, Node};
use std::fmt::Write;
use std::path::Path;

/// One row: indentation depth, statement, output shape, parameters.
struct Row {
    depth: usize,
    what: String,
    shape: String,
    params: Option<u64>,
}

fn rows(nodes: &[Node], depth: usize, out: &mut Vec<Row>) {
    for node in nodes {
        match node {
            Node::Layer(l) => {
                let mut what = String::new();
                for w in &l.wrappers {
                    what.push_str(w);
                    what.push(' ');
                }
                what.push_str(l.name);
                let args: Vec<String> =
                    l.args.spans.iter().filter_map(|(n, _)| l.args.get(n).map(|v| format!("{n}: {v}"))).collect();
                if !args.is_empty() {
                    what.push_str(&format!("({})", args.join(", ")));
                }
                out.push(Row { depth, what, shape: l.output.to_string(), params: Some(l.params) });
            }
            Node::Let { name, from, body, shape } => {
                let what = match from {
                    Some(f) => format!("let {name} = {f}"),
                    None => format!("let {name}"),
                };
                out.push(Row { depth, what, shape: shape.to_string(), params: None });
                rows(body, depth + 1, out);
            }
            Node::Block { name, body, .. } => {
                out.push(Row { depth, what: format!("{name} (block)"), shape: String::new(), params: None });
                rows(body, depth + 1, out);
            }
            Node::Residual { main, skip, .. } => {
                out.push(Row { depth, what: "residual".into(), shape: String::new(), params: None });
                rows(main, depth + 1, out);
                if !skip.is_empty() {
                    out.push(Row { depth, what: "skip".into(), shape: String::new(), params: None });
                    rows(skip, depth + 1, out);
                }
            }
            Node::Stage { grows, resolution, body, head, .. } => {
                let (word, head_word) = if *grows { ("grow", "to_rgb") } else { ("shrink", "from_rgb") };
                out.push(Row { depth, what: format!("{word} {resolution}"), shape: String::new(), params: None });
                rows(body, depth + 1, out);
                out.push(Row { depth, what: head_word.into(), shape: String::new(), params: None });
                rows(head, depth + 1, out);
            }
        }
    }
}

/// Renders the summary of every network of `model`.
pub fn render(path: &Path, model: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: data {} {:?}", path.display(), model.data.source.name, model.data.shape);
    for net in &model.networks {
        let mut table = Vec::new();
        rows(&net.body, 0, &mut table);
        let width = table.iter().map(|r| r.depth * 2 + r.what.chars().count()).max().unwrap_or(10).max(10);
        let _ = writeln!(s, "\n{} {}({}) -> {}", net.kind.keyword(), net.name, net.inputs.join(", "), net.output);
        let _ = writeln!(s, "  {:<width$}  {:<16}  {:>12}", "statement", "output shape", "parameters");
        let _ = writeln!(s, "  {}", "-".repeat(width + 32));
        for r in &table {
            let what = format!("{}{}", "  ".repeat(r.depth), r.what);
            let params = r.params.map(|p| p.to_string()).unwrap_or_default();
            let _ = writeln!(s, "  {what:<width$}  {:<16}  {params:>12}", r.shape);
        }
        let _ = writeln!(s, "  {}", "-".repeat(width + 32));
        let total = net.param_count().map_or("?".into(), |n| n.to_string());
        let _ = writeln!(s, "  {:<width$}  {:<16}  {total:>12}", "total", net.output_shape.to_string());
    }
    s
}
