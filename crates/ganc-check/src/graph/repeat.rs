//! `repeat N { ... }`: a body expanded N times in sequence.

use super::{Scope, Walker, MAX_REPEAT};
use crate::ir::{Node, Shape};
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::{Body, Expr};

impl Walker<'_> {
    /// Expands `repeat count { body }` from `current`.
    pub(super) fn repeat(
        &mut self,
        count: &Expr,
        body: &Body,
        current: Shape,
        scope: &mut Scope,
        env: &Env,
        nodes: &mut Vec<Node>,
    ) -> Shape {
        let n = match eval(count, env) {
            Ok(Const::Int(n)) if (1..=MAX_REPEAT).contains(&n) => n,
            Ok(Const::Int(n)) => {
                self.diags.push(
                    Diagnostic::new(
                        codes::OUT_OF_RANGE,
                        count.span,
                        format!("`repeat` count must be in [1, {MAX_REPEAT}], found {n}"),
                    )
                    .label("out of range")
                    .help("repeat a body at least once; for deeper networks use blocks"),
                );
                return Shape::Unknown;
            }
            Ok(other) => {
                self.diags.push(
                    Diagnostic::new(
                        codes::WRONG_TYPE,
                        count.span,
                        format!("`repeat` count must be an integer, found {}", other.kind()),
                    )
                    .label(format!("`{other}` is not an integer")),
                );
                return Shape::Unknown;
            }
            Err(d) => {
                self.diags.push(*d);
                return Shape::Unknown;
            }
        };
        let mut current = current;
        for _ in 0..n {
            let (inner, out) = self.body(body, current, scope, env);
            nodes.extend(inner);
            current = out;
            if self.over_budget {
                break;
            }
        }
        current
    }
}
