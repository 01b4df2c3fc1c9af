//! The one walk over a network's tree of nodes. The forward pass, the shape trace and the tape
//! that the input-gradient pass consumes in reverse are each an [`Observer`] of it.

use crate::layers::{Ctx, Layer};
use crate::network::{Net, Node};
use crate::value::Value;
use std::collections::HashMap;

/// A value of a walk and its slot: the inputs take slots `0..inputs`, then every layer output
/// and every residual sum a new one, in the order of the walk.
#[derive(Clone, Debug)]
pub struct Flow {
    /// Its slot.
    pub slot: usize,
    /// The value.
    pub value: Value,
}

/// What a walk reports, in the order it runs.
pub trait Observer<'n> {
    /// Runs `layer` on `input` (and `second`, the value it reads) with [`Layer::forward`], giving
    /// the value of slot `output`; an observer keeps what it needs.
    fn layer(&mut self, layer: &'n Layer, input: Flow, second: Option<Flow>, output: usize, ctx: &Ctx) -> Value;

    /// A residual added the values of slots `main` and `skip` into slot `output`.
    fn residual(&mut self, main: usize, skip: usize, output: usize);

    /// A `let` binds `name` to `value`; an observer may replace it (truncating a style).
    fn named(&mut self, _name: &str, value: Value) -> Value {
        value
    }
}

/// The plain forward pass keeps nothing.
impl Observer<'_> for () {
    fn layer(&mut self, layer: &Layer, input: Flow, second: Option<Flow>, _: usize, ctx: &Ctx) -> Value {
        layer.forward(input.value, second.map(|s| s.value), ctx)
    }

    fn residual(&mut self, _: usize, _: usize, _: usize) {}
}

/// The end of a walk.
pub struct Walked {
    /// The network's output.
    pub output: Flow,
    /// Every named value: the inputs and the `let`s.
    pub named: HashMap<String, Flow>,
    /// How many slots the walk gave out.
    pub slots: usize,
}

/// Runs `net` on its `inputs` (in the order of [`Net::inputs`]), reporting to `observer`.
pub fn walk<'n>(net: &'n Net, inputs: Vec<Value>, ctx: &Ctx, observer: &mut impl Observer<'n>) -> Walked {
    let named: HashMap<String, Flow> = net
        .inputs
        .iter()
        .cloned()
        .zip(inputs)
        .enumerate()
        .map(|(slot, (name, value))| (name, Flow { slot, value }))
        .collect();
    let first = named.get(&net.inputs[0]).cloned().expect("a network has an input");
    let mut walker = Walker { ctx, slots: named.len(), named, observer };
    let output = walker.nodes(&net.body, first);
    Walked { output, named: walker.named, slots: walker.slots }
}

struct Walker<'c, 'o, O> {
    ctx: &'c Ctx,
    named: HashMap<String, Flow>,
    slots: usize,
    observer: &'o mut O,
}

impl<'n, O: Observer<'n>> Walker<'_, '_, O> {
    fn slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    fn nodes(&mut self, nodes: &'n [Node], mut x: Flow) -> Flow {
        for node in nodes {
            x = match node {
                Node::Layer(layer) => {
                    let second = layer.reads().and_then(|name| self.named.get(name).cloned());
                    let slot = self.slot();
                    let value = self.observer.layer(layer, x, second, slot, self.ctx);
                    Flow { slot, value }
                }
                Node::Residual(r) => {
                    let main = self.nodes(&r.main, x.clone());
                    let skip = self.nodes(&r.skip, x);
                    let slot = self.slot();
                    self.observer.residual(main.slot, skip.slot, slot);
                    Flow { slot, value: main.value + skip.value }
                }
                Node::Let(l) => {
                    let value = match &l.from {
                        None => x.clone(),
                        Some(from) => {
                            let start = self.named.get(from).cloned().expect("the checker resolved every name");
                            self.nodes(&l.body, start)
                        }
                    };
                    let value = Flow { slot: value.slot, value: self.observer.named(&l.name, value.value) };
                    self.named.insert(l.name.clone(), value);
                    x
                }
                Node::Block(b) => self.nodes(&b.body, x),
            };
        }
        x
    }
}
