//! Turns pest's parse tree into the spanned [`ast`]. The grammar guarantees the structure, so
//! the unwraps here hold for every input the parser accepted.

use crate::ast::*;
use crate::parser::{span_of, Rule};
use ganc_diagnostics::FileId;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

type P<'a> = Pair<'a, Rule>;

/// Lowering state: the file every span belongs to.
struct Lower {
    file: FileId,
}

/// Lowers the `file` pair.
pub(crate) fn file(file: FileId, root: P<'_>) -> File {
    let l = Lower { file };
    let items = l.children(root).filter(|p| p.as_rule() != Rule::EOI).map(|p| l.item(p)).collect();
    File { items }
}

fn is_keyword(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        kw_import
            | kw_from
            | kw_data
            | kw_latent
            | kw_condition
            | kw_block
            | kw_let
            | kw_residual
            | kw_skip
            | kw_repeat
            | kw_grow
            | kw_shrink
            | kw_to_rgb
            | kw_from_rgb
            | kw_loss
            | kw_regularize
            | kw_train
            | kw_evaluate
            | kw_every
            | kw_steps
            | kw_over
            | kw_at
            | kw_optimizer
            | kw_ema
            | kw_watch
    )
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::rem, Assoc::Left))
            .op(Op::prefix(Rule::neg))
    })
}

impl Lower {
    /// Children of a pair, without keyword tokens.
    fn children<'a>(&self, pair: P<'a>) -> impl Iterator<Item = P<'a>> {
        pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
    }

    fn ident(&self, pair: P<'_>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: span_of(self.file, &pair) }
    }

    fn item(&self, pair: P<'_>) -> Item {
        let span = span_of(self.file, &pair);
        match pair.as_rule() {
            Rule::import_decl => {
                let mut names = None;
                let mut path = String::new();
                let mut path_span = span;
                for p in self.children(pair) {
                    match p.as_rule() {
                        Rule::import_names => names = Some(self.children(p).map(|i| self.ident(i)).collect()),
                        _ => {
                            path_span = span_of(self.file, &p);
                            path = self.string(p);
                        }
                    }
                }
                Item::Import(Import { names, path, path_span, span })
            }
            Rule::data_decl => Item::Data(self.call(self.children(pair).next().unwrap())),
            Rule::latent_decl | Rule::condition_decl => {
                let kind = if pair.as_rule() == Rule::latent_decl { InputKind::Latent } else { InputKind::Condition };
                let mut it = self.children(pair);
                let name = self.ident(it.next().unwrap());
                let source = self.call(it.next().unwrap());
                Item::Input(InputDecl { kind, name, source, span })
            }
            Rule::block_def => {
                let mut it = self.children(pair);
                let name = self.ident(it.next().unwrap());
                let mut params = Vec::new();
                let mut body = None;
                for p in it {
                    match p.as_rule() {
                        Rule::block_params => {
                            for bp in self.children(p) {
                                let mut bi = self.children(bp);
                                let name = self.ident(bi.next().unwrap());
                                let default = bi.next().map(|v| self.value(v));
                                params.push(BlockParam { name, default });
                            }
                        }
                        _ => body = Some(self.body(p)),
                    }
                }
                Item::Block(BlockDef { name, params, body: body.unwrap(), span })
            }
            Rule::network => {
                let mut it = self.children(pair);
                let kind = match it.next().unwrap().as_str() {
                    "generator" => NetworkKind::Generator,
                    "discriminator" => NetworkKind::Discriminator,
                    _ => NetworkKind::Encoder,
                };
                let name = self.ident(it.next().unwrap());
                let mut inputs = Vec::new();
                let mut rest: Vec<P<'_>> = it.collect();
                if rest.first().map(|p| p.as_rule()) == Some(Rule::ident_list) {
                    inputs = self.children(rest.remove(0)).map(|i| self.ident(i)).collect();
                }
                let output = self.ident(rest.remove(0));
                let options = match rest.first().map(|p| p.as_rule()) {
                    Some(Rule::network_at) => self.args(rest.remove(0)),
                    _ => Vec::new(),
                };
                let body = self.body(rest.remove(0));
                Item::Network(Network { kind, name, inputs, output, options, body, span })
            }
            Rule::loss_decl => Item::Loss(self.call(self.children(pair).next().unwrap())),
            Rule::regularize => {
                let mut it = self.children(pair);
                let network = self.ident(it.next().unwrap());
                let entries = it.map(|c| self.call(c)).collect();
                Item::Regularize(Regularize { network, entries, span })
            }
            Rule::train => {
                let entries = self.children(pair).map(|e| self.train_entry(e)).collect();
                Item::Train(Train { entries, span })
            }
            Rule::evaluate => {
                let mut it = self.children(pair);
                let period = self.arith(it.next().unwrap());
                let metrics = it.map(|c| self.call(c)).collect();
                Item::Evaluate(Evaluate { period, metrics, span })
            }
            other => unreachable!("not an item: {other:?}"),
        }
    }

    fn train_entry(&self, pair: P<'_>) -> TrainEntry {
        let span = span_of(self.file, &pair);
        let rule = pair.as_rule();
        let mut it = self.children(pair);
        match rule {
            Rule::optimizer_entry => {
                let network = self.ident(it.next().unwrap());
                let optimizer = self.call(it.next().unwrap());
                TrainEntry::Optimizer { network, optimizer, span }
            }
            Rule::ema_entry => {
                let network = self.ident(it.next().unwrap());
                let decay = self.value(it.next().unwrap());
                TrainEntry::Ema { network, decay, span }
            }
            Rule::watch_entry => {
                let items = it
                    .map(|w| {
                        let mut wi = self.children(w);
                        let name = self.ident(wi.next().unwrap());
                        (name, wi.next().map(|v| self.value(v)))
                    })
                    .collect();
                TrainEntry::Watch { items, span }
            }
            Rule::every_entry => {
                let action = self.ident(it.next().unwrap());
                let period = self.arith(it.next().unwrap());
                TrainEntry::Every { action, period, span }
            }
            Rule::option_entry => {
                let name = self.ident(it.next().unwrap());
                let value = self.value(it.next().unwrap());
                TrainEntry::Option { name, value, span }
            }
            _ => TrainEntry::Call(self.call(it.next().unwrap())),
        }
    }

    fn body(&self, pair: P<'_>) -> Body {
        let span = span_of(self.file, &pair);
        Body { stmts: self.children(pair).map(|s| self.stmt(s)).collect(), span }
    }

    fn stmt(&self, pair: P<'_>) -> Stmt {
        let span = span_of(self.file, &pair);
        match pair.as_rule() {
            Rule::layer_stmt => Stmt::Layer(self.layer_stmt(pair)),
            Rule::let_stmt => {
                let mut it = self.children(pair);
                let name = self.ident(it.next().unwrap());
                let source = it.next().map(|from| {
                    let from = self.ident(from);
                    let rhs = it.next().unwrap();
                    let body = match rhs.as_rule() {
                        Rule::body => self.body(rhs),
                        _ => {
                            let span = span_of(self.file, &rhs);
                            let stmts = self.children(rhs).map(|l| Stmt::Layer(self.layer_stmt(l))).collect();
                            Body { stmts, span }
                        }
                    };
                    LetSource { from, body }
                });
                Stmt::Let(Let { name, source, span })
            }
            Rule::residual_stmt => {
                let mut it = self.children(pair);
                let main = self.body(it.next().unwrap());
                let skip = it.next().map(|b| self.body(b));
                Stmt::Residual { main, skip, span }
            }
            Rule::repeat_stmt => {
                let mut it = self.children(pair);
                let count = self.arith(it.next().unwrap());
                let body = self.body(it.next().unwrap());
                Stmt::Repeat { count, body, span }
            }
            Rule::grow_stmt | Rule::shrink_stmt => {
                let grows = pair.as_rule() == Rule::grow_stmt;
                let keyword = span_of(self.file, &pair.clone().into_inner().next().unwrap());
                let mut it = self.children(pair);
                let resolution = self.arith(it.next().unwrap());
                let body = self.body(it.next().unwrap());
                let head = self.body(it.next().unwrap());
                Stmt::Stage(Stage { grows, resolution, body, head, keyword, span })
            }
            other => unreachable!("not a statement: {other:?}"),
        }
    }

    fn layer_stmt(&self, pair: P<'_>) -> LayerStmt {
        let span = span_of(self.file, &pair);
        let mut wrappers = Vec::new();
        let mut call = None;
        for p in self.children(pair) {
            match p.as_rule() {
                Rule::wrapper => wrappers.push(self.ident(p)),
                _ => call = Some(self.call(p)),
            }
        }
        LayerStmt { wrappers, call: call.unwrap(), span }
    }

    fn call(&self, pair: P<'_>) -> Call {
        let span = span_of(self.file, &pair);
        let mut it = self.children(pair);
        let name = self.ident(it.next().unwrap());
        let args = it.next().map(|a| self.args(a)).unwrap_or_default();
        Call { name, args, span }
    }

    fn args(&self, pair: P<'_>) -> Vec<Arg> {
        self.children(pair)
            .map(|a| {
                let span = span_of(self.file, &a);
                match a.as_rule() {
                    Rule::named_arg => {
                        let mut it = self.children(a);
                        let name = Some(self.ident(it.next().unwrap()));
                        Arg { name, value: self.value(it.next().unwrap()), span }
                    }
                    _ => Arg { name: None, value: self.value(a), span },
                }
            })
            .collect()
    }

    fn string(&self, pair: P<'_>) -> String {
        pair.into_inner().next().map(|s| s.as_str().to_string()).unwrap_or_default()
    }

    /// Lowers `value` and its alternatives.
    fn value(&self, pair: P<'_>) -> Expr {
        let span = span_of(self.file, &pair);
        match pair.as_rule() {
            Rule::value => self.value(self.children(pair).next().unwrap()),
            Rule::range => {
                let mut it = self.children(pair);
                let lo = self.arith(it.next().unwrap());
                let hi = self.arith(it.next().unwrap());
                Expr { kind: ExprKind::Range(Box::new(lo), Box::new(hi)), span }
            }
            Rule::schedule => {
                let mut it = self.children(pair);
                let kind = self.ident(it.next().unwrap());
                let over = self.value(it.next().unwrap());
                Expr { kind: ExprKind::Schedule { kind, over: Box::new(over) }, span }
            }
            Rule::duration => {
                let inner = self.arith(self.children(pair).next().unwrap());
                Expr { kind: ExprKind::Duration(Box::new(inner)), span }
            }
            Rule::arith => self.arith(pair),
            other => unreachable!("not a value: {other:?}"),
        }
    }

    fn arith(&self, pair: P<'_>) -> Expr {
        pratt()
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let span = span_of(self.file, &op).to(rhs.span);
                Expr { kind: ExprKind::Neg(Box::new(rhs)), span }
            })
            .map_infix(|lhs, op, rhs| {
                let op = match op.as_rule() {
                    Rule::add => BinOp::Add,
                    Rule::sub => BinOp::Sub,
                    Rule::mul => BinOp::Mul,
                    Rule::div => BinOp::Div,
                    _ => BinOp::Rem,
                };
                let span = lhs.span.to(rhs.span);
                Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span }
            })
            .parse(pair.into_inner())
    }

    fn primary(&self, pair: P<'_>) -> Expr {
        let span = span_of(self.file, &pair);
        let kind = match pair.as_rule() {
            Rule::int => ExprKind::Int(pair.as_str().replace('_', "")),
            Rule::float => ExprKind::Float(pair.as_str().replace('_', "").parse().unwrap_or(f64::INFINITY)),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::string => ExprKind::Str(self.string(pair)),
            Rule::tuple => ExprKind::Tuple(self.children(pair).map(|v| self.value(v)).collect()),
            Rule::paren => return self.value(self.children(pair).next().unwrap()),
            Rule::call_expr => {
                let mut it = self.children(pair);
                let name = self.ident(it.next().unwrap());
                let args = self.args(it.next().unwrap());
                ExprKind::Call(Call { name, args, span })
            }
            Rule::path => ExprKind::Path(self.children(pair).map(|i| self.ident(i)).collect()),
            other => unreachable!("not a primary: {other:?}"),
        };
        Expr { kind, span }
    }
}
