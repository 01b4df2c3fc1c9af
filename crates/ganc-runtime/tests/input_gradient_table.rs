//! The registry's `InputGradient` flag, which `E0410` reads, agrees with the runtime's table of
//! input-gradient products (`Layer::differentiable`): for every registry layer the runtime
//! lowers, and each argument the flag depends on, a critic holding the layer has an input
//! gradient exactly when the registry says a penalized critic may hold it.

use ganc_check::{check_source, ir, FsLoader};
use ganc_registry::{of_kind, Default as Def, Kind, Param, Spec, Ty};
use ganc_runtime::burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::input_grad::try_output_and_input_grad;
use ganc_runtime::layers::Ctx;
use ganc_runtime::value::Value;
use std::path::Path;

/// Where a layer is tried, in a conditional critic on 28x28 images: `CALL` is the layer, `h` the
/// value it reads, `s` an embedded label vector and `y` the labels; `ints` is the element count
/// of `h`, for `reshape`.
struct Context {
    body: &'static str,
    ints: &'static str,
}

const CONTEXTS: [Context; 3] = [
    Context { body: "conv(8, kernel: 4, stride: 2, padding: 1) let h CALL flatten linear(1)", ints: "1568" },
    Context { body: "flatten linear(8) let h CALL flatten linear(1)", ints: "8" },
    Context { body: "let h = y |> CALL flatten concat(h) linear(1)", ints: "1" },
];

/// Values to try for a required parameter of type `ty`.
fn candidates(ty: Ty, ctx: &Context) -> Vec<String> {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    match ty {
        Ty::Int => strings(&["2"]),
        Ty::Float | Ty::Range | Ty::Duration => strings(&["0.5"]),
        Ty::Bool => strings(&["true"]),
        Ty::Str => strings(&["\"x\""]),
        Ty::Choice(c) => strings(c),
        Ty::FloatPair => strings(&["(0.5, 0.5)"]),
        Ty::Schedule => strings(&["linear over 10 steps"]),
        Ty::Value => strings(&["h", "s", "y"]),
        Ty::Feature => strings(&["D.h"]),
        Ty::Ints => vec![ctx.ints.to_string()],
    }
}

/// Every way of calling `spec` with its required parameters from `candidates` and `extra`.
fn calls(spec: &Spec, ctx: &Context, extra: &str) -> Vec<String> {
    let required: Vec<&Param> = spec.params.iter().filter(|p| p.default == Def::Required).collect();
    let mut args: Vec<Vec<String>> = vec![Vec::new()];
    for p in required {
        args = args
            .into_iter()
            .flat_map(|a| candidates(p.ty, ctx).into_iter().map(move |c| [a.clone(), vec![c]].concat()))
            .collect();
    }
    args.into_iter()
        .map(|mut a| {
            a.extend((!extra.is_empty()).then(|| extra.to_string()));
            if a.is_empty() {
                spec.name.to_string()
            } else {
                format!("{}({})", spec.name, a.join(", "))
            }
        })
        .collect()
}

/// The checked critic `D` around `call`, when it checks.
fn critic(call: &str, ctx: &Context) -> Option<ir::Network> {
    let text = format!(
        "data mnist(split: test)\nlatent z ~ normal(4)\ncondition y ~ labels\n\
         generator G(z, y) -> image {{ linear(784) reshape(1, 28, 28) tanh }}\n\
         discriminator D(image, y) -> logit {{ let s = y |> embedding(8) {} }}\nloss wasserstein\n",
        ctx.body.replace("CALL", call)
    );
    let analysis = check_source(Path::new("table.gan"), &text, &FsLoader);
    analysis.model.and_then(|m| m.network("D").cloned())
}

/// The layer `name` in `net`.
fn find<'a>(nodes: &'a [ir::Node], name: &str) -> Option<&'a ir::Layer> {
    nodes.iter().find_map(|n| match n {
        ir::Node::Layer(l) if l.name == name => Some(l),
        ir::Node::Let { body, .. } => find(body, name),
        _ => None,
    })
}

#[test]
fn registry_input_gradient_flag_agrees_with_the_runtime() {
    let device = Device::flex().autodiff();
    let ctx = Ctx { step: 0, training: true, growth: Growth::FULL };
    let (mut lowered, mut not_lowered, mut unplaced) = (Vec::new(), Vec::new(), Vec::new());
    for spec in of_kind(Kind::Layer) {
        let flag = spec.layer.expect("a layer has layer facts").input_gradient;
        // The default call, and one with the argument the flag depends on.
        let extras = match flag {
            ganc_registry::InputGradient::UnlessArg { arg, value, .. } => {
                vec![String::new(), format!("{arg}: {value}")]
            }
            _ => vec![String::new()],
        };
        for extra in extras {
            let placed = CONTEXTS.iter().find_map(|c| calls(spec, c, &extra).iter().find_map(|call| critic(call, c)));
            let Some(net) = placed else {
                unplaced.push(format!("{}({extra})", spec.name));
                continue;
            };
            let layer = find(&net.body, spec.name).expect("the critic holds the layer");
            let may_hold = flag.refused(|arg| layer.args.name(arg)).is_none();
            let lowered_net = match ganc_runtime::network::lower(&net, &device) {
                Ok(n) => n,
                Err(missing) => {
                    assert!(
                        missing.iter().any(|m| m.what.contains(&format!("`{}`", spec.name))),
                        "{}: lowering failed for another reason: {missing:?}",
                        spec.name
                    );
                    not_lowered.push(spec.name);
                    continue;
                }
            };
            let image = Value::Image(Tensor::random([2, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device));
            let labels = Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1], [2]), &device));
            let runtime = try_output_and_input_grad(&lowered_net, vec![image, labels], &ctx);
            assert_eq!(
                runtime.is_ok(),
                may_hold,
                "`{}({extra})`: the registry says a penalized critic {} hold it, but the runtime {}",
                spec.name,
                if may_hold { "may" } else { "may not" },
                match &runtime {
                    Ok(_) => "computes its input gradient".to_string(),
                    Err(e) => format!("has none: {e}"),
                }
            );
            lowered.push(format!("{}({extra})", spec.name));
        }
    }
    assert!(unplaced.is_empty(), "no critic checks with these layers; add a context: {unplaced:?}");
    assert!(lowered.len() >= 20, "the runtime lowers only {lowered:?}");
    println!("agree: {lowered:?}\nnot lowered: {not_lowered:?}");
}
