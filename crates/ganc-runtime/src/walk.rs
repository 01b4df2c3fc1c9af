//! The one walk over a network's tree of nodes. The forward pass, the shape trace and the tape
//! that the input-gradient pass consumes in reverse are each an [`Observer`] of it.

use crate::growth::blend;
use crate::layers::{Ctx, Layer};
use crate::network::{Net, Node, Stages};
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

    /// A fading stage blended slots `old` and `new` as `(1 - alpha) * old + alpha * new` into
    /// slot `output`.
    fn blend(&mut self, old: usize, new: usize, alpha: f64, output: usize);

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

    fn blend(&mut self, _: usize, _: usize, _: f64, _: usize) {}
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
        for (i, node) in nodes.iter().enumerate() {
            x = match node {
                Node::Stages(s) if s.stacked => return self.stacked(s, x, &nodes[i + 1..]),
                Node::Layer(layer) => self.layer(layer, x),
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
                Node::Stages(s) => self.stages(s, x),
            };
        }
        x
    }

    fn layer(&mut self, layer: &'n Layer, x: Flow) -> Flow {
        let second = layer.reads().and_then(|name| self.named.get(name).cloned());
        let slot = self.slot();
        let value = self.observer.layer(layer, x, second, slot, self.ctx);
        Flow { slot, value }
    }

    fn blend(&mut self, old: Flow, new: Flow, alpha: f64) -> Flow {
        let slot = self.slot();
        self.observer.blend(old.slot, new.slot, alpha, slot);
        Flow { slot, value: blend(old.value, new.value, alpha) }
    }

    /// A stacked generator's stages (StackGAN++): each body continues from the one before, and
    /// each stage's image is its `to_rgb` head followed by the layers after the stages (`rest`);
    /// the output holds them all, the top stage's first.
    fn stacked(&mut self, s: &'n Stages, x: Flow, rest: &'n [Node]) -> Flow {
        let mut h = x;
        let mut images = Vec::with_capacity(s.stages.len());
        for stage in &s.stages {
            h = self.nodes(&stage.body, h);
            let head = self.nodes(&stage.head, h.clone());
            images.push(self.nodes(rest, head).value.image());
        }
        images.reverse();
        Flow { slot: self.slot(), value: Value::Stacked(images) }
    }

    /// The stages up to the growth's newest. G: each body continues from the one before and
    /// the newest stage's `to_rgb` gives the image; while it fades in, the stage before's image,
    /// upsampled, is blended in. D, the mirror image: the newest stage's `from_rgb` reads the
    /// input and, while it fades in, the stage after's `from_rgb` of the pooled input is
    /// blended with its body's output; the lower stages' bodies follow.
    fn stages(&mut self, s: &'n Stages, x: Flow) -> Flow {
        let growth = self.ctx.growth;
        let n = s.stages.len();
        let top = growth.stage.min(n - 1);
        let fading = growth.fading(n);
        if s.grows {
            let mut h = x;
            let mut before = None;
            for stage in &s.stages[..=top] {
                before = Some(h.clone());
                h = self.nodes(&stage.body, h);
            }
            let new = self.nodes(&s.stages[top].head, h);
            match before.filter(|_| fading) {
                Some(before) => {
                    let old = self.nodes(&s.stages[top - 1].head, before);
                    let old = self.layer(&s.resample, old);
                    self.blend(old, new, growth.alpha)
                }
                None => new,
            }
        } else {
            let first = n - 1 - top;
            let entered = self.nodes(&s.stages[first].head, x.clone());
            let mut h = self.nodes(&s.stages[first].body, entered);
            if fading {
                let pooled = self.layer(&s.resample, x);
                let old = self.nodes(&s.stages[first + 1].head, pooled);
                h = self.blend(old, h, growth.alpha);
            }
            for stage in &s.stages[first + 1..] {
                h = self.nodes(&stage.body, h);
            }
            h
        }
    }
}
