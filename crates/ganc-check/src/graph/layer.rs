//! One layer statement: a registry layer (with its wrappers) or a call of a block.

use super::{Scope, Walker};
use crate::args::bind;
use crate::ir::{Layer, Node, Shape};
use crate::shape;
use crate::suggest::closest;
use crate::value::{Const, Env};
use ganc_diagnostics::{codes, Diagnostic};
use ganc_registry::{Family, Kind, Ty};
use ganc_syntax::ast::LayerStmt;

impl Walker<'_> {
    /// Walks a layer statement from `current`, returning its output shape.
    pub(super) fn layer(
        &mut self,
        stmt: &LayerStmt,
        current: Shape,
        scope: &mut Scope,
        env: &Env,
        nodes: &mut Vec<Node>,
    ) -> Shape {
        let call = &stmt.call;
        if !self.count_layer(stmt.span) {
            return Shape::Unknown;
        }
        if let Some(def) = self.blocks.get(&call.name.name).copied() {
            if let Some(w) = stmt.wrappers.first() {
                self.diags.push(
                    Diagnostic::new(
                        codes::INVALID_WRAPPER,
                        w.span,
                        format!("`{}` cannot wrap the block `{}`", w.name, call.name.name),
                    )
                    .label("wraps a block")
                    .help(format!(
                        "write `{}` on the weight layers inside the block, or use `regularize D {{ spectral_norm }}`",
                        w.name
                    )),
                );
            }
            return self.block_call(def, stmt, current, scope, env, nodes);
        }
        let Some(spec) = ganc_registry::lookup(Kind::Layer, &call.name.name) else {
            if !self.quiet_unknown {
                self.unknown_layer(stmt);
            }
            return Shape::Unknown;
        };
        for w in &stmt.wrappers {
            let weights = spec.layer.map(|l| l.family) == Some(Family::Weight) && spec.name != "constant";
            if !weights {
                self.diags.push(
                    Diagnostic::new(
                        codes::INVALID_WRAPPER,
                        w.span,
                        format!("`{}` needs a layer with weights, but `{}` has none", w.name, spec.name),
                    )
                    .label(format!("`{}` has no weight matrix", spec.name))
                    .help("wrap `linear`, `conv`, `deconv` or `embedding`, or remove the wrapper"),
                );
            }
        }
        let before = self.diags.len();
        let args = bind(spec, call, env, self.diags);
        let args_failed = self.diags[before..].iter().any(Diagnostic::is_error);
        let mut second = None;
        if let Some(p) = spec.params.iter().find(|p| p.ty == Ty::Value) {
            if let Some(Const::Name(n)) = args.get(p.name) {
                let span = args.span(p.name).unwrap_or(call.span);
                match scope.find(n) {
                    Some(b) => {
                        b.used = true;
                        second = Some((n.clone(), b.shape.clone()));
                    }
                    None => {
                        match self.passed.iter().find(|(m, _, _)| m == n).cloned() {
                            Some((_, at, caller)) => self.unknown_value(n, at, &caller),
                            None => {
                                let names: Vec<String> = scope.bindings.iter().map(|b| b.name.clone()).collect();
                                self.unknown_value(n, span, &names)
                            }
                        }
                        second = Some((n.clone(), Shape::Unknown));
                    }
                }
            } else if args.span(p.name).is_some() || args.get(p.name).is_none() {
                // The argument had a problem already reported, or is missing.
                second = Some((String::new(), Shape::Unknown));
            }
        }
        let second_shape = second.as_ref().map(|(_, s)| s);
        let inferred = if args_failed { Ok(Shape::Unknown) } else { shape::infer(spec, &args, &current, second_shape) };
        let output = inferred.unwrap_or_else(|e| {
            self.diags.push(e.diagnostic(spec, &args, call.span));
            Shape::Unknown
        });
        let params = shape::param_count(spec, &args, &current, &output, second_shape).unwrap_or_else(|e| {
            self.diags.push(e.diagnostic(spec, &args, call.span));
            0
        });
        nodes.push(Node::Layer(Layer {
            name: spec.name,
            args,
            wrappers: stmt.wrappers.iter().map(|w| w.name.clone()).collect(),
            second,
            input: current,
            output: output.clone(),
            params,
            span: stmt.span,
        }));
        output
    }

    /// Reports an unknown layer name, with a suggestion among layers and blocks.
    pub(super) fn unknown_layer(&mut self, stmt: &LayerStmt) {
        let name = &stmt.call.name;
        let mut d = Diagnostic::new(codes::UNKNOWN_LAYER, name.span, format!("unknown layer or block `{}`", name.name))
            .label("not a layer or a block");
        let candidates = ganc_registry::of_kind(Kind::Layer)
            .chain(ganc_registry::of_kind(Kind::Wrapper))
            .map(|s| s.name)
            .chain(self.blocks.keys().map(|k| k.as_str()));
        if ganc_registry::lookup(Kind::Wrapper, &name.name).is_some() {
            d = d.help(format!(
                "`{0}` is a wrapper: write it before the layer it wraps, e.g. `{0} conv(...)`",
                name.name
            ));
        } else if let Some(s) = closest(&name.name, candidates) {
            d = d.help(format!("did you mean `{s}`?")).fix(name.span, s);
        } else if let Some(other) = ganc_registry::named(&name.name).next() {
            d = d.help(format!(
                "`{}` is a {}, not a layer; it belongs in its own section",
                other.name,
                other.kind.noun()
            ));
        } else {
            d = d.help("`ganc layers` lists every layer; define a `block` or `import` one for anything else");
        }
        self.diags.push(d);
    }
}
