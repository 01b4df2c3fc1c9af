//! `let NAME` and `let NAME = from { ... }`: named values in a body.

use super::{Binding, Scope, Walker};
use crate::ir::{Node, Shape};
use crate::value::Env;
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::Let;

impl Walker<'_> {
    /// Binds a `let` value in `scope`: the current value, or a side path's output.
    pub(super) fn let_stmt(&mut self, l: &Let, current: Shape, scope: &mut Scope, env: &Env, nodes: &mut Vec<Node>) {
        let (from, body, shape) = match &l.source {
            None => (None, Vec::new(), current),
            Some(src) => {
                let start = match scope.find(&src.from.name) {
                    Some(b) => {
                        b.used = true;
                        b.shape.clone()
                    }
                    None => {
                        let names: Vec<String> = scope.bindings.iter().map(|b| b.name.clone()).collect();
                        self.unknown_value(&src.from.name, src.from.span, &names);
                        Shape::Unknown
                    }
                };
                let (body, out) = self.body(&src.body, start, scope, env);
                (Some(src.from.name.clone()), body, out)
            }
        };
        if let Some(prev) = scope.find(&l.name.name) {
            let prev_span = prev.span;
            self.diags.push(
                Diagnostic::new(
                    codes::DUPLICATE_DEFINITION,
                    l.name.span,
                    format!("`{}` is already defined in this body", l.name.name),
                )
                .label("defined again here")
                .with_secondary(prev_span, "first defined here")
                .help("give the new value another name"),
            );
        }
        scope.bindings.push(Binding {
            name: l.name.name.clone(),
            shape: shape.clone(),
            span: l.name.span,
            used: false,
            warn_unused: true,
        });
        nodes.push(Node::Let { name: l.name.name.clone(), from, body, shape });
    }
}
