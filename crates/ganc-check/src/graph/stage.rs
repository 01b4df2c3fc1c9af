//! Progressive stages (`grow R { ... } to_rgb { ... }`, `shrink R { ... } from_rgb { ... }`)
//! and the network body they stand in.

use super::{stmt_span, Scope, Walker};
use crate::ir::{Node, Shape};
use crate::shape::describe;
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_syntax::ast::{Body, Stage, Stmt};

/// What a progressive stage sequence has seen so far.
#[derive(Default)]
struct Stages {
    /// The previous stage's resolution and its body's output.
    last: Option<(i64, Shape)>,
    /// The previous generator stage's `to_rgb` output.
    image: Option<Shape>,
    /// Whether a non-stage statement followed a stage.
    closed: bool,
    /// Whether a non-stage statement came before the first stage.
    opened_late: Option<Span>,
    /// Whether a stage error was reported: the network's output is then unknown.
    poisoned: bool,
}

impl Walker<'_> {
    /// Walks a network's top-level body, where progressive stages may stand.
    pub fn network_body(&mut self, body: &Body, input: Shape, scope: &mut Scope) -> (Vec<Node>, Shape) {
        let env = Env::new();
        let mut stages = Stages::default();
        let mut nodes = Vec::new();
        let mut current = input;
        for stmt in &body.stmts {
            if let Stmt::Stage(stage) = stmt {
                let (node, out) = self.stage(stage, current, scope, &env, &mut stages);
                nodes.push(node);
                current = out;
                continue;
            }
            if stages.last.is_some() && !stages.closed {
                stages.closed = true;
                if let Some(image) = stages.image.take() {
                    current = image;
                }
            }
            if stages.last.is_none() && stages.opened_late.is_none() {
                stages.opened_late = Some(stmt_span(stmt));
            }
            current = self.stmt(stmt, current, scope, &env, &mut nodes);
        }
        if !stages.closed {
            if let Some(image) = stages.image.take() {
                current = image;
            }
        }
        if let (Some((r, _)), Some(true), Some(&[_, h, _])) =
            (stages.last.as_ref(), self.grows, self.data_shape.as_deref())
        {
            if *r != 0 && *r != h && !stages.poisoned {
                let last = body.stmts.iter().rev().find_map(|s| match s {
                    Stmt::Stage(st) => Some(st.resolution.span),
                    _ => None,
                });
                self.diags.push(
                    Diagnostic::new(
                        codes::PROGRESSIVE_STAGES,
                        last.unwrap_or(body.span),
                        format!("the last stage is at {r} x {r}, but the data are {h} x {h}"),
                    )
                    .label("the top resolution")
                    .help(format!("grow up to `grow {h}`, the data's resolution")),
                );
                stages.poisoned = true;
            }
        }
        if stages.poisoned {
            current = Shape::Unknown;
        }
        (nodes, current)
    }

    fn stage(&mut self, stage: &Stage, current: Shape, scope: &mut Scope, env: &Env, st: &mut Stages) -> (Node, Shape) {
        let word = if stage.grows { "grow" } else { "shrink" };
        let r = match eval(&stage.resolution, env) {
            Ok(Const::Int(r)) if r > 0 => r,
            Ok(other) => {
                self.diags.push(
                    Diagnostic::new(
                        codes::OUT_OF_RANGE,
                        stage.resolution.span,
                        format!("a stage resolution must be a positive integer, found {other}"),
                    )
                    .label("not a resolution")
                    .help("write the side length in pixels, e.g. `grow 8`"),
                );
                0
            }
            Err(d) => {
                self.diags.push(*d);
                0
            }
        };
        if self.grows != Some(stage.grows) {
            let (net, want) = if stage.grows { ("discriminator", "shrink") } else { ("generator", "grow") };
            let net = if self.grows.is_none() { "encoder" } else { net };
            self.diags.push(
                Diagnostic::new(
                    codes::PROGRESSIVE_MISPLACED,
                    stage.keyword,
                    format!(
                        "`{word}` stages belong in a {}, not in {} {net}",
                        if stage.grows { "generator" } else { "discriminator" },
                        if net == "encoder" { "an" } else { "a" }
                    ),
                )
                .label("misplaced stage")
                .help(if self.grows.is_none() {
                    "encoders have no progressive stages".to_string()
                } else {
                    format!("a {net} uses `{want}` stages")
                }),
            );
            st.poisoned = true;
            return (
                Node::Stage { grows: stage.grows, resolution: r, body: Vec::new(), head: Vec::new(), span: stage.span },
                Shape::Unknown,
            );
        }
        if st.closed && !st.poisoned {
            self.diags.push(
                Diagnostic::new(
                    codes::PROGRESSIVE_MISPLACED,
                    stage.keyword,
                    "statements stand between two progressive stages",
                )
                .label("this stage follows other statements")
                .help("keep the stages together; put shared layers inside each stage"),
            );
            st.poisoned = true;
        }
        st.closed = false;
        let data_c = self.data_shape.as_ref().and_then(|d| d.first().copied());
        let data_image = |r: i64| data_c.map(|c| Shape::Tensor(vec![c, r, r]));
        let (body, head, out) = if stage.grows {
            if let Some((prev, _)) = &st.last {
                if r != 0 && *prev != 0 && r as i128 != *prev as i128 * 2 {
                    self.diags.push(
                        Diagnostic::new(
                            codes::PROGRESSIVE_STAGES,
                            stage.resolution.span,
                            format!("stages must double: `grow {r}` follows `grow {prev}`"),
                        )
                        .label(format!("expected {}", *prev as i128 * 2))
                        .help(format!("write `grow {}`, or add the missing stages", *prev as i128 * 2)),
                    );
                }
            }
            let (body, mut out) = self.body(&stage.body, current, scope, env);
            if !self.check_resolution(&out, r, stage, "ends at") {
                st.poisoned = true;
                out = Shape::Unknown;
            }
            let (head, image) = self.body(&stage.head, out.clone(), scope, env);
            if let (Some(want), true) = (data_image(r), image != Shape::Unknown && out != Shape::Unknown) {
                if image != want && r != 0 {
                    self.diags.push(
                        Diagnostic::new(
                            codes::PROGRESSIVE_STAGES,
                            stage.head.span,
                            format!("`to_rgb` of stage {r} gives {image}, expected an image {want}"),
                        )
                        .label(format!("gives {image}"))
                        .help(format!(
                            "end the head with the data's {} channel(s), e.g. `conv({}, kernel: 1)`",
                            want.dims().unwrap()[0],
                            want.dims().unwrap()[0]
                        )),
                    );
                    st.poisoned = true;
                }
            }
            st.image = Some(image);
            (body, head, out)
        } else {
            let entry = data_image(r).unwrap_or(Shape::Unknown);
            let (head, from_rgb) = self.body(&stage.head, entry, scope, env);
            let input = match &st.last {
                None => {
                    if let Some(other) = st.opened_late {
                        self.diags.push(
                            Diagnostic::new(
                                codes::PROGRESSIVE_MISPLACED,
                                other,
                                "statements stand before the first `shrink` stage",
                            )
                            .label("runs only at full resolution")
                            .help("move these layers into each stage's `from_rgb` head"),
                        );
                    }
                    if let (Some(&[_, h, _]), true) = (current.dims(), r != 0) {
                        if h != r {
                            self.diags.push(
                                Diagnostic::new(
                                    codes::PROGRESSIVE_STAGES,
                                    stage.resolution.span,
                                    format!(
                                        "the first stage is at {r} x {r}, but the discriminator receives {current}"
                                    ),
                                )
                                .label(format!("expected {h}"))
                                .help("the first `shrink` stage must be at the data's resolution"),
                            );
                            st.poisoned = true;
                        }
                    }
                    from_rgb
                }
                Some((prev, prev_out)) => {
                    if r != 0 && *prev != 0 && r as i128 * 2 != *prev as i128 {
                        self.diags.push(
                            Diagnostic::new(
                                codes::PROGRESSIVE_STAGES,
                                stage.resolution.span,
                                format!("stages must halve: `shrink {r}` follows `shrink {prev}`"),
                            )
                            .label(format!("expected {}", prev / 2))
                            .help(format!("write `shrink {}`, or add the missing stages", prev / 2)),
                        );
                    }
                    if *prev_out != Shape::Unknown && from_rgb != Shape::Unknown && from_rgb != *prev_out {
                        self.diags.push(
                            Diagnostic::new(codes::PROGRESSIVE_STAGES, stage.head.span, format!("`from_rgb` of stage {r} gives {from_rgb}, but the stage before hands on {prev_out}"))
                                .label(format!("gives {from_rgb}"))
                                .help(format!("make the head give {prev_out}, the input of this stage at full training")),
                        );
                    }
                    prev_out.clone()
                }
            };
            let (body, out) = self.body(&stage.body, input, scope, env);
            (body, head, out)
        };
        // A discriminator stage (but the last) must end at half its resolution: checked when
        // the next stage arrives, against that stage's `from_rgb`.
        st.last = Some((r, out.clone()));
        (Node::Stage { grows: stage.grows, resolution: r, body, head, span: stage.span }, out)
    }

    /// Whether the stage's body ends at `r` x `r` (an unknown shape passes); reports if not.
    fn check_resolution(&mut self, out: &Shape, r: i64, stage: &Stage, verb: &str) -> bool {
        if r == 0 {
            return true;
        }
        match out {
            Shape::Unknown => true,
            Shape::Tensor(d) if d.len() == 3 && d[1] == r && d[2] == r => true,
            other => {
                self.diags.push(
                    Diagnostic::new(
                        codes::PROGRESSIVE_STAGES,
                        stage.body.span,
                        format!("stage {r} {verb} {}, not {r} x {r}", describe(other)),
                    )
                    .label(format!("{verb} {other}"))
                    .with_secondary(stage.resolution.span, "the stage's resolution")
                    .help("each generator stage must double the resolution, e.g. `upsample` then convolutions"),
                );
                false
            }
        }
    }
}
