//! A call of a user-defined `block`: its arguments bound to the block's parameters, its body
//! expanded in the caller's place.

use super::{Binding, Scope, Walker, MAX_BLOCK_DEPTH};
use crate::ir::{Node, Shape};
use crate::suggest::closest;
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_syntax::ast::{BlockDef, Call, LayerStmt};

impl Walker<'_> {
    /// Expands the block `def` called by `stmt` from `current`.
    pub(super) fn block_call(
        &mut self,
        def: &BlockDef,
        stmt: &LayerStmt,
        current: Shape,
        scope: &mut Scope,
        env: &Env,
        nodes: &mut Vec<Node>,
    ) -> Shape {
        let call = &stmt.call;
        let duplicate_params =
            def.params.iter().enumerate().any(|(i, p)| def.params[..i].iter().any(|q| q.name.name == p.name.name));
        if self.stack.contains(&def.name.name) || duplicate_params {
            // Reported once at the definition (recursion check, duplicate parameter).
            return Shape::Unknown;
        }
        if self.stack.len() >= MAX_BLOCK_DEPTH {
            self.diags.push(
                Diagnostic::new(
                    codes::NESTING_TOO_DEEP,
                    call.span,
                    format!("blocks call blocks more than {MAX_BLOCK_DEPTH} deep"),
                )
                .label("expansion stops here")
                .help("flatten the chain of blocks; use `repeat N { ... }` for depth"),
            );
            return Shape::Unknown;
        }
        let Some(frame) = self.bind_block_args(def, call, scope, env) else { return Shape::Unknown };
        let (block_env, mut block_scope) = (frame.env, frame.scope);
        self.stack.push(def.name.name.clone());
        let passed_before = self.passed.len();
        self.passed.extend(frame.passed);
        let errors_before = self.diags.len();
        let (body, out) = self.body(&def.body, current, &mut block_scope, &block_env);
        self.passed.truncate(passed_before);
        self.stack.pop();
        if self.stack.is_empty() {
            // Errors inside the block body: point at the call they came from as well.
            for d in &mut self.diags[errors_before..] {
                let inside = d.primary.span.file == def.span.file
                    && d.primary.span.start >= def.span.start
                    && d.primary.span.end <= def.span.end;
                if inside {
                    d.secondary
                        .push(ganc_diagnostics::Label { span: call.span, message: "in this call of the block".into() });
                }
            }
        }
        self.warn_unused(&block_scope);
        nodes.push(Node::Block { name: def.name.name.clone(), body, span: call.span });
        out
    }

    /// Binds the call's arguments and the defaults of the rest to the block's parameters:
    /// constants in a new environment, values of the caller in a new scope. `None` after an
    /// error (reported).
    fn bind_block_args(&mut self, def: &BlockDef, call: &Call, scope: &mut Scope, env: &Env) -> Option<Frame> {
        let mut block_env = Env::new();
        let mut block_scope = Scope::default();
        let mut bound: Vec<&str> = Vec::new();
        let mut passed = Vec::new();
        let mut ok = true;
        for (i, arg) in call.args.iter().enumerate() {
            let param = match &arg.name {
                Some(n) => match def.params.iter().find(|p| p.name.name == n.name) {
                    Some(p) => p,
                    None => {
                        let mut d = Diagnostic::new(
                            codes::UNKNOWN_ARGUMENT,
                            n.span,
                            format!("block `{}` has no parameter `{}`", def.name.name, n.name),
                        )
                        .label("unknown parameter")
                        .with_secondary(def.name.span, "block defined here");
                        if let Some(s) = closest(&n.name, def.params.iter().map(|p| p.name.name.as_str())) {
                            d = d.help(format!("did you mean `{s}`?")).fix(n.span, s);
                        }
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
                None => match def.params.get(i) {
                    Some(p) => p,
                    None => {
                        self.diags.push(
                            Diagnostic::new(
                                codes::TOO_MANY_ARGUMENTS,
                                arg.span,
                                format!(
                                    "block `{}` takes {} argument(s), this is one more",
                                    def.name.name,
                                    def.params.len()
                                ),
                            )
                            .label("extra argument")
                            .with_secondary(def.name.span, "block defined here"),
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            if bound.contains(&param.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        codes::DUPLICATE_ARGUMENT,
                        arg.span,
                        format!("argument `{}` given twice", param.name.name),
                    )
                    .label("given again here")
                    .help("remove one of them"),
                );
                ok = false;
                continue;
            }
            bound.push(&param.name.name);
            match eval(&arg.value, env) {
                Ok(Const::Name(n)) => match scope.find(&n) {
                    Some(b) => {
                        b.used = true;
                        block_scope.bindings.push(Binding {
                            name: param.name.name.clone(),
                            shape: b.shape.clone(),
                            span: param.name.span,
                            used: true,
                            warn_unused: false,
                        });
                    }
                    None => {
                        if !self.passed.iter().any(|(m, _, _)| *m == n) {
                            let caller = scope.bindings.iter().map(|b| b.name.clone()).collect();
                            passed.push((n.clone(), arg.span, caller));
                        }
                        block_env.insert(param.name.name.clone(), Const::Name(n));
                    }
                },
                Ok(c) => {
                    block_env.insert(param.name.name.clone(), c);
                }
                Err(d) => {
                    self.diags.push(*d);
                    ok = false;
                }
            }
        }
        for p in &def.params {
            if bound.contains(&p.name.name.as_str()) {
                continue;
            }
            match &p.default {
                Some(e) => match eval(e, &block_env) {
                    Ok(c) => {
                        block_env.insert(p.name.name.clone(), c);
                    }
                    Err(d) => {
                        self.diags.push(*d);
                        ok = false;
                    }
                },
                None => {
                    self.diags.push(
                        Diagnostic::new(
                            codes::MISSING_ARGUMENT,
                            call.span,
                            format!("block `{}` needs its parameter `{}`", def.name.name, p.name.name),
                        )
                        .label(format!("`{}` missing", p.name.name))
                        .with_secondary(p.name.span, "parameter declared here")
                        .help(format!(
                            "pass it: `{}({})`",
                            def.name.name,
                            def.params.iter().map(|p| p.name.name.as_str()).collect::<Vec<_>>().join(", ")
                        )),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(Frame { env: block_env, scope: block_scope, passed })
    }
}

/// What a block's body is expanded in.
struct Frame {
    /// The block's constant parameters.
    env: Env,
    /// The block's value parameters.
    scope: Scope,
    /// Names passed that are no value of the caller (see `Walker::passed`).
    passed: Vec<(String, Span, Vec<String>)>,
}
