//! Binds a call's arguments to a registry entry's parameters: names, positions, types,
//! ranges and defaults.

use crate::suggest::closest;
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::{Bound, Default as Def, Kind, Param, Spec, Ty};
use ganc_syntax::ast::{Arg, Call};

/// Arguments of a checked call: every parameter that has a value, given or default, in the
/// registry's order.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Args {
    /// `(parameter, value)` pairs.
    pub values: Vec<(&'static str, Const)>,
    /// Where each given argument was written (defaults have none).
    #[serde(skip)]
    pub spans: Vec<(&'static str, Span)>,
}

impl Args {
    /// The value of a parameter.
    pub fn get(&self, name: &str) -> Option<&Const> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// An integer parameter (0 when absent: callers ask only for parameters that have defaults).
    pub fn int(&self, name: &str) -> i64 {
        self.get(name).and_then(Const::as_i64).unwrap_or(0)
    }

    /// A real parameter (0 when absent).
    pub fn float(&self, name: &str) -> f64 {
        self.get(name).and_then(Const::as_f64).unwrap_or(0.0)
    }

    /// A boolean parameter (false when absent).
    pub fn bool(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Const::Bool(true)))
    }

    /// A name parameter.
    pub fn name(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Const::Name(n)) => Some(n),
            _ => None,
        }
    }

    /// Where an argument was written, if it was.
    pub fn span(&self, name: &str) -> Option<Span> {
        self.spans.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
}

/// Binds `call`'s arguments to `spec`, reporting every problem into `diags`. Arguments with
/// problems are left out, so later checks see only valid values.
pub fn bind(spec: &'static Spec, call: &Call, env: &Env, diags: &mut Vec<Diagnostic>) -> Args {
    bind_args(spec, &call.args, call.span, env, diags)
}

/// [`bind`] for an argument list without a call (options written `name: value`).
pub fn bind_args(spec: &'static Spec, args: &[Arg], call_span: Span, env: &Env, diags: &mut Vec<Diagnostic>) -> Args {
    let mut given: Vec<(&'static Param, Span, Option<Const>)> = Vec::new();
    let variadic = matches!(spec.params.first(), Some(p) if p.ty == Ty::Ints);
    let mut ints = Vec::new();
    let mut positional = 0usize;
    let mut variadic_span = None;
    for arg in args {
        let param = match &arg.name {
            Some(name) => match spec.param(&name.name) {
                Some(p) => p,
                None => {
                    let mut d = Diagnostic::new(
                        codes::UNKNOWN_ARGUMENT,
                        name.span,
                        format!("`{}` takes no argument `{}`", spec.name, name.name),
                    )
                    .label("unknown argument");
                    match closest(&name.name, spec.params.iter().map(|p| p.name)) {
                        Some(s) => d = d.help(format!("did you mean `{s}`?")).fix(name.span, s),
                        None => d = d.help(format!("`{}` takes: {}", spec.name, param_list(spec))),
                    }
                    diags.push(d);
                    continue;
                }
            },
            None if variadic => {
                if ints.is_empty() {
                    variadic_span = Some(arg.span);
                }
                match eval(&arg.value, env) {
                    Ok(c) => match coerce(&spec.params[0], Ty::Int, c, arg.value.span) {
                        Ok(Const::Int(i)) => ints.push(i),
                        Ok(_) => {}
                        Err(d) => diags.push(*d),
                    },
                    Err(d) => diags.push(*d),
                }
                continue;
            }
            None => match spec.params.get(positional) {
                Some(p) => {
                    positional += 1;
                    p
                }
                None => {
                    diags.push(
                        Diagnostic::new(
                            codes::TOO_MANY_ARGUMENTS,
                            arg.span,
                            format!(
                                "`{}` takes {} argument{}, this is one more",
                                spec.name,
                                spec.params.len(),
                                plural(spec.params.len())
                            ),
                        )
                        .label("extra argument")
                        .help(format!("the signature is `{}`", spec.signature())),
                    );
                    continue;
                }
            },
        };
        if let Some((_, first, _)) = given.iter().find(|(p, _, _)| p.name == param.name) {
            diags.push(
                Diagnostic::new(codes::DUPLICATE_ARGUMENT, arg.span, format!("argument `{}` given twice", param.name))
                    .label("given again here")
                    .with_secondary(*first, "first given here")
                    .help("remove one of them"),
            );
            continue;
        }
        let value = match eval(&arg.value, env) {
            Ok(c) => match coerce(param, param.ty, c, arg.value.span) {
                Ok(c) => Some(c),
                Err(d) => {
                    diags.push(*d);
                    None
                }
            },
            Err(d) => {
                diags.push(*d);
                None
            }
        };
        given.push((param, arg.span, value));
    }

    let mut out = Args::default();
    for param in spec.params {
        if param.ty == Ty::Ints {
            if ints.is_empty() && args.iter().all(|a| a.name.is_none()) {
                diags.push(missing(spec, param, call_span));
            } else if !ints.is_empty() {
                let last = args.iter().rev().find(|a| a.name.is_none()).map_or(call_span, |a| a.span);
                out.spans.push((param.name, variadic_span.map_or(call_span, |s| s.to(last))));
                out.values.push((param.name, Const::Ints(std::mem::take(&mut ints))));
            }
            continue;
        }
        match given.iter().find(|(p, _, _)| p.name == param.name) {
            Some((_, span, value)) => {
                out.spans.push((param.name, *span));
                if let Some(v) = value {
                    out.values.push((param.name, v.clone()));
                }
            }
            None => match default_value(param) {
                Some(v) => out.values.push((param.name, v)),
                None if param.default == Def::Required => diags.push(missing(spec, param, call_span)),
                None => {}
            },
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn param_list(spec: &Spec) -> String {
    if spec.params.is_empty() {
        "no arguments".into()
    } else {
        spec.params.iter().map(|p| format!("`{}`", p.name)).collect::<Vec<_>>().join(", ")
    }
}

fn missing(spec: &Spec, param: &Param, span: Span) -> Diagnostic {
    Diagnostic::new(
        codes::MISSING_ARGUMENT,
        span,
        format!("`{}` needs its argument `{}` ({})", spec.name, param.name, param.doc),
    )
    .label(format!("`{}` missing", param.name))
    .help(format!("write it as `{}`", spec.signature()))
}

/// The registry default as a value.
pub fn default_value(param: &Param) -> Option<Const> {
    match param.default {
        Def::Required | Def::Absent => None,
        Def::Int(i) if param.ty == Ty::Duration => Some(Const::Duration(i)),
        Def::Int(i) => Some(Const::Int(i)),
        Def::Float(f) => Some(Const::Float(f)),
        Def::Bool(b) => Some(Const::Bool(b)),
        Def::Name(n) => Some(Const::Name(n.to_string())),
        Def::Pair(a, b) => Some(Const::Tuple(vec![Const::Float(a), Const::Float(b)])),
        Def::Range(a, b) => Some(Const::Range(a, b)),
    }
}

/// Converts `value` to the type `ty` of `param` and checks its range.
pub fn coerce(param: &Param, ty: Ty, value: Const, span: Span) -> Result<Const, Box<Diagnostic>> {
    let wrong = |value: &Const| {
        Box::new(
            Diagnostic::new(
                codes::WRONG_TYPE,
                span,
                format!("`{}` must be {}, found {}", param.name, ty.describe(), value.kind()),
            )
            .label(format!("`{value}` is {}", value.kind()))
            .help(format!("`{}`: {}", param.name, param.doc)),
        )
    };
    let in_range = |x: f64| -> Result<(), Box<Diagnostic>> {
        if param.bound.admits(x) {
            Ok(())
        } else {
            Err(Box::new(
                Diagnostic::new(
                    codes::OUT_OF_RANGE,
                    span,
                    format!("`{}` must be {}, found {}", param.name, param.bound.describe(), fmt_num(x)),
                )
                .label(format!("outside {}", range_words(param.bound)))
                .help(match param.bound {
                    Bound::Square => nearest_squares(x),
                    _ => format!("`{}` is the {}", param.name, param.doc),
                }),
            ))
        }
    };
    Ok(match ty {
        Ty::Int | Ty::Ints => match value {
            Const::Int(i) => {
                in_range(i as f64)?;
                Const::Int(i)
            }
            other => return Err(wrong(&other)),
        },
        Ty::Float => match value.as_f64() {
            Some(x) if !matches!(value, Const::Duration(_)) => {
                in_range(x)?;
                Const::Float(x)
            }
            _ => return Err(wrong(&value)),
        },
        Ty::Bool => match value {
            Const::Bool(_) => value,
            other => return Err(wrong(&other)),
        },
        Ty::Str => match value {
            Const::Str(_) => value,
            other => return Err(wrong(&other)),
        },
        Ty::Choice(choices) => match &value {
            Const::Name(n) if choices.contains(&n.as_str()) => value,
            Const::Name(n) => {
                let mut d = Diagnostic::new(
                    codes::WRONG_TYPE,
                    span,
                    format!("`{}` must be {}, found `{n}`", param.name, ty.describe()),
                )
                .label("not one of the choices");
                if let Some(s) = closest(n, choices.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?")).fix(span, s);
                }
                return Err(Box::new(d));
            }
            other => return Err(wrong(other)),
        },
        Ty::FloatPair => match &value {
            Const::Tuple(items) if items.len() == 2 && items.iter().all(|c| c.as_f64().is_some()) => {
                let pair: Vec<f64> = items.iter().filter_map(Const::as_f64).collect();
                for x in &pair {
                    in_range(*x)?;
                }
                Const::Tuple(pair.into_iter().map(Const::Float).collect())
            }
            other => return Err(wrong(other)),
        },
        Ty::Range => match value {
            Const::Range(lo, hi) => {
                in_range(lo)?;
                in_range(hi)?;
                if lo > hi {
                    return Err(Box::new(
                        Diagnostic::new(
                            codes::OUT_OF_RANGE,
                            span,
                            format!("`{}` is empty: {lo} is above {hi}", param.name),
                        )
                        .label("the lower end must come first")
                        .help(format!("write `{hi}..{lo}`")),
                    ));
                }
                value
            }
            other => return Err(wrong(&other)),
        },
        Ty::Duration => match value {
            Const::Duration(n) | Const::Int(n) => {
                in_range(n as f64)?;
                Const::Duration(n)
            }
            other => return Err(wrong(&other)),
        },
        Ty::Schedule => match &value {
            Const::Schedule(kind, n) => {
                if ganc_registry::lookup(Kind::Schedule, kind).is_none() {
                    let known: Vec<String> =
                        ganc_registry::of_kind(Kind::Schedule).map(|s| format!("`{}`", s.name)).collect();
                    let mut d = Diagnostic::new(
                        codes::WRONG_TYPE,
                        span,
                        format!("unknown schedule `{kind}`: expected one of {}", known.join(", ")),
                    )
                    .label("unknown schedule");
                    if let Some(s) = closest(kind, ganc_registry::of_kind(Kind::Schedule).map(|s| s.name)) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    return Err(Box::new(d));
                }
                if *n <= 0 {
                    return Err(Box::new(
                        Diagnostic::new(
                            codes::OUT_OF_RANGE,
                            span,
                            format!("a schedule must last > 0 steps, found {n}"),
                        )
                        .label("no steps to decay over")
                        .help("give a positive number of steps"),
                    ));
                }
                value
            }
            other => return Err(wrong(other)),
        },
        Ty::Value => match value {
            Const::Name(_) => value,
            other => return Err(wrong(&other)),
        },
        Ty::Feature => match &value {
            Const::Path(p) if p.len() == 2 => value,
            other => return Err(wrong(other)),
        },
    })
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The square numbers either side of `x`, for a help.
fn nearest_squares(x: f64) -> String {
    let root = x.max(0.0).sqrt().floor().min(3e9) as i64;
    if root < 1 {
        return "the smallest square number is 1".into();
    }
    format!(
        "the nearest square numbers are {} ({root} x {root}) and {} ({} x {})",
        root * root,
        (root + 1) * (root + 1),
        root + 1,
        root + 1
    )
}

fn range_words(bound: Bound) -> String {
    match bound {
        Bound::Positive => "the positive numbers".into(),
        Bound::NonNegative => "the numbers >= 0".into(),
        Bound::OneOf(_) => "the allowed values".into(),
        Bound::Square => "the square numbers".into(),
        other => other.describe().trim_start_matches("in ").to_string(),
    }
}
