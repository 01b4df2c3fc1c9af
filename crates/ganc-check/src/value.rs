//! Compile-time values: what an argument expression evaluates to, with checked integer
//! arithmetic and block parameters substituted.

use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_syntax::ast::{BinOp, Expr, ExprKind};
use std::collections::HashMap;
use std::fmt;

/// A value known before training.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Const {
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(String),
    /// A tuple of values.
    Tuple(Vec<Const>),
    /// A range of reals.
    Range(f64, f64),
    /// A number of steps.
    Duration(i64),
    /// A decay schedule: its shape and length in steps.
    Schedule(String, i64),
    /// A bare name: a choice (`train`, `interpolates`) or a graph value (`y`).
    Name(String),
    /// A dotted path (`D.features`).
    Path(Vec<String>),
    /// Several integers (`reshape(128, 7, 7)`).
    Ints(Vec<i64>),
}

impl Const {
    /// The value as a real, when it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Const::Int(i) => Some(i as f64),
            Const::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The value as an integer, when it is one (durations count).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Const::Int(i) | Const::Duration(i) => Some(i),
            _ => None,
        }
    }

    /// How the value is called in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Const::Int(_) => "an integer",
            Const::Float(_) => "a real number",
            Const::Bool(_) => "a boolean",
            Const::Str(_) => "a string",
            Const::Tuple(_) => "a tuple",
            Const::Range(..) => "a range",
            Const::Duration(_) => "a duration",
            Const::Schedule(..) => "a schedule",
            Const::Name(_) => "a name",
            Const::Path(_) => "a dotted path",
            Const::Ints(_) => "a list of integers",
        }
    }
}

impl fmt::Display for Const {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Const::Int(i) => write!(f, "{i}"),
            Const::Float(x) => write!(f, "{x}"),
            Const::Bool(b) => write!(f, "{b}"),
            Const::Str(s) => write!(f, "{s:?}"),
            Const::Tuple(items) => {
                let items: Vec<String> = items.iter().map(|c| c.to_string()).collect();
                write!(f, "({})", items.join(", "))
            }
            Const::Range(a, b) => write!(f, "{a}..{b}"),
            Const::Duration(n) => write!(f, "{n} steps"),
            Const::Schedule(k, n) => write!(f, "{k} over {n} steps"),
            Const::Name(n) => write!(f, "{n}"),
            Const::Path(p) => write!(f, "{}", p.join(".")),
            Const::Ints(v) => {
                let items: Vec<String> = v.iter().map(|c| c.to_string()).collect();
                write!(f, "{}", items.join(", "))
            }
        }
    }
}

/// Block parameters in scope: name to value.
pub type Env = HashMap<String, Const>;

/// Evaluates an expression. Errors (overflow, division by zero, a call used as a value) are
/// returned as a diagnostic; the caller records it and goes on.
pub fn eval(expr: &Expr, env: &Env) -> Result<Const, Box<Diagnostic>> {
    Ok(match &expr.kind {
        ExprKind::Int(digits) => Const::Int(digits.parse::<i64>().map_err(|_| {
            Box::new(
                Diagnostic::new(codes::INTEGER_OVERFLOW, expr.span, "integer literal too large")
                    .label(format!("does not fit in 64 bits (the largest is {})", i64::MAX))
                    .help("use a smaller number; no layer or option takes values this large"),
            )
        })?),
        ExprKind::Float(x) => Const::Float(*x),
        ExprKind::Bool(b) => Const::Bool(*b),
        ExprKind::Str(s) => Const::Str(s.clone()),
        ExprKind::Path(parts) if parts.len() == 1 => {
            let name = &parts[0].name;
            env.get(name).cloned().unwrap_or_else(|| Const::Name(name.clone()))
        }
        ExprKind::Path(parts) => Const::Path(parts.iter().map(|p| p.name.clone()).collect()),
        ExprKind::Call(call) => {
            return Err(Box::new(
                Diagnostic::new(
                    codes::WRONG_TYPE,
                    expr.span,
                    format!("`{}(...)` is a call, not a value", call.name.name),
                )
                .label("a call cannot stand here")
                .help("write a number, a name, a tuple or a range"),
            ))
        }
        ExprKind::Tuple(items) => Const::Tuple(items.iter().map(|e| eval(e, env)).collect::<Result<_, _>>()?),
        ExprKind::Range(lo, hi) => {
            let lo = number(lo, env)?;
            let hi = number(hi, env)?;
            Const::Range(lo, hi)
        }
        ExprKind::Duration(inner) => match eval(inner, env)? {
            Const::Int(n) => Const::Duration(n),
            other => return Err(not_integer(inner.span, &other)),
        },
        ExprKind::Schedule { kind, over } => match eval(over, env)? {
            Const::Duration(n) | Const::Int(n) => Const::Schedule(kind.name.clone(), n),
            other => return Err(not_integer(over.span, &other)),
        },
        ExprKind::Neg(inner) => match eval(inner, env)? {
            Const::Int(i) => Const::Int(i.checked_neg().ok_or_else(|| overflow(expr.span))?),
            Const::Float(x) => Const::Float(-x),
            other => return Err(not_number(inner.span, &other)),
        },
        ExprKind::Binary(op, lhs, rhs) => {
            let a = eval(lhs, env)?;
            let b = eval(rhs, env)?;
            match (&a, &b) {
                (Const::Int(x), Const::Int(y)) => Const::Int(int_op(*op, *x, *y, expr.span, rhs.span)?),
                _ => {
                    let x = a.as_f64().ok_or_else(|| not_number(lhs.span, &a))?;
                    let y = b.as_f64().ok_or_else(|| not_number(rhs.span, &b))?;
                    Const::Float(match op {
                        BinOp::Add => x + y,
                        BinOp::Sub => x - y,
                        BinOp::Mul => x * y,
                        BinOp::Div => x / y,
                        BinOp::Rem => x % y,
                    })
                }
            }
        }
    })
}

fn int_op(op: BinOp, x: i64, y: i64, span: Span, rhs: Span) -> Result<i64, Box<Diagnostic>> {
    if matches!(op, BinOp::Div | BinOp::Rem) && y == 0 {
        return Err(Box::new(
            Diagnostic::new(codes::INTEGER_OVERFLOW, rhs, "integer division by zero")
                .label("this is zero")
                .help("divide by a non-zero number"),
        ));
    }
    let r = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div => x.checked_div(y),
        BinOp::Rem => x.checked_rem(y),
    };
    r.ok_or_else(|| overflow(span))
}

fn number(expr: &Expr, env: &Env) -> Result<f64, Box<Diagnostic>> {
    let c = eval(expr, env)?;
    c.as_f64().ok_or_else(|| not_number(expr.span, &c))
}

fn overflow(span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(codes::INTEGER_OVERFLOW, span, "integer arithmetic overflows")
            .label(format!("the result leaves the 64-bit range (±{})", i64::MAX))
            .help("check the factors: no layer or option takes values this large"),
    )
}

fn not_number(span: Span, found: &Const) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(codes::WRONG_TYPE, span, format!("expected a number, found {}", found.kind()))
            .label(format!("`{found}` is not a number")),
    )
}

fn not_integer(span: Span, found: &Const) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(codes::WRONG_TYPE, span, format!("expected a whole number of steps, found {}", found.kind()))
            .label(format!("`{found}` is not an integer")),
    )
}
