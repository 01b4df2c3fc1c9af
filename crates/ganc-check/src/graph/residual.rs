//! `residual { ... } skip { ... }`: two paths from one input, added at the same shape.

use super::{Scope, Walker};
use crate::ir::{Node, Shape};
use crate::value::Env;
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_syntax::ast::Body;

impl Walker<'_> {
    /// Walks a residual statement: both paths start from `current` and must end at one shape.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn residual(
        &mut self,
        main: &Body,
        skip: Option<&Body>,
        span: Span,
        current: Shape,
        scope: &mut Scope,
        env: &Env,
        nodes: &mut Vec<Node>,
    ) -> Shape {
        let (main_nodes, main_out) = self.body(main, current.clone(), scope, env);
        let (skip_nodes, skip_out) = match skip {
            Some(s) => self.body(s, current.clone(), scope, env),
            None => (Vec::new(), current.clone()),
        };
        let out = if main_out == Shape::Unknown || skip_out == Shape::Unknown {
            Shape::Unknown
        } else if main_out != skip_out {
            let skip_span = skip.as_ref().map_or(span, |s| s.span);
            self.diags.push(
                Diagnostic::new(
                    codes::SHAPES_DIFFER,
                    main.span,
                    format!("residual branches end at different shapes: main {main_out}, skip {skip_out}"),
                )
                .label(format!("main path ends at {main_out}"))
                .with_secondary(
                    skip_span,
                    if skip.is_some() {
                        format!("skip path ends at {skip_out}")
                    } else {
                        format!("identity skip keeps the input {skip_out}")
                    },
                )
                .note(format!("both paths start from {current}"))
                .help(if skip.is_some() {
                    "make both paths end at the same shape (e.g. a 1x1 `conv` and the same resampling in `skip`)"
                } else {
                    "add a `skip { ... }` that maps the input to the main path's shape"
                }),
            );
            Shape::Unknown
        } else {
            main_out
        };
        nodes.push(Node::Residual { main: main_nodes, skip: skip_nodes, span });
        out
    }
}
