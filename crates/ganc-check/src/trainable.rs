//! What `ganc train` will refuse or ignore, said at check time: `W0008` at each construct the
//! runtime refuses (`E0501` when training), `W0007` at each setting that is always on.
//!
//! Registry entries carry their own [`Runtime`] record; the structures the runtime does not
//! lower (encoders, a second discriminator, an autoencoder D, label tricks without
//! targets, a non-default value of a not-yet-lowered option) are listed
//! here. `crates/ganc-runtime/tests/registry_agrees.rs` keeps both in step with `ganc train`.

use crate::ir::{Component, Model, Node};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::{Kind, Runtime, Spec};
use ganc_syntax::ast::{InputKind, NetworkKind};

/// Warns at every construct of `model` that `ganc train` refuses or ignores.
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let mut components: Vec<(Kind, &Component)> = vec![(Kind::Data, &model.data.source), (Kind::Loss, &model.loss)];
    for input in &model.inputs {
        let kind = match input.kind {
            InputKind::Latent => Kind::Distribution,
            InputKind::Condition => Kind::Condition,
        };
        components.push((kind, &input.source));
    }
    components.extend(model.regularizers.iter().map(|r| (Kind::Regularizer, &r.component)));
    components.extend(model.train.optimizers.iter().map(|(_, c)| (Kind::Optimizer, c)));
    components.extend(model.train.watch.iter().map(|c| (Kind::Watch, c)));
    components.extend(model.evaluate.iter().flat_map(|e| e.metrics.iter().map(|c| (Kind::Metric, c))));
    for (kind, c) in components {
        if let Some(spec) = ganc_registry::lookup(kind, c.name) {
            entry(spec, &format!("the {} `{}`", kind.noun(), c.name), c.span, diags);
        }
    }
    for opt in model.train.options.iter().filter(|o| o.span != Span::default()) {
        let Some(spec) = ganc_registry::lookup(Kind::TrainOption, opt.name) else { continue };
        if !spec.trains() && !opt.sets_default_option() {
            entry(spec, &format!("the training option `{}`", opt.name), opt.span, diags);
        }
    }
    if let Some(t) = model.train.option("truncation").filter(|o| o.span != Span::default()) {
        let truncated = model.inputs.iter().any(|i| i.kind == InputKind::Latent && i.source.name != "uniform");
        if !truncated {
            diags.push(
                Diagnostic::new(codes::NO_EFFECT, t.span, "`truncation` has no effect: no latent is normal")
                    .label("nothing to truncate")
                    .help("truncation draws normal (and sphere) latents from a truncated normal; uniform ones are bounded already: remove it"),
            );
        }
    }
    if let Some(m) = model.train.option("style_mixing").filter(|o| o.span != Span::default()) {
        let styles = model.generator().map_or(0, |g| g.layers().iter().filter(|l| l.name == "adain").count());
        if styles < 2 {
            diags.push(
                Diagnostic::new(
                    codes::NO_EFFECT,
                    m.span,
                    "`style_mixing` has no effect: G has fewer than two `adain` layers",
                )
                .label("no styles to mix")
                .help("style mixing switches the style w between two `adain` layers of G (StyleGAN): remove it"),
            );
        }
    }
    let loss_targets =
        ganc_registry::lookup(Kind::Loss, model.loss.name).and_then(|s| s.loss()).is_some_and(|l| l.targets);
    for r in &model.regularizers {
        let trick = ganc_registry::lookup(Kind::Regularizer, r.component.name).is_some_and(|s| s.is_label_trick());
        if trick && !loss_targets {
            let what = format!(
                "`{}` with the `{}` loss, which has no real and fake targets,",
                r.component.name, model.loss.name
            );
            not_trained(&what, r.component.span, diags);
        }
    }
    for (what, span) in
        crate::param_grads::gaps(model).into_iter().chain(classifier_gaps(model)).chain(multi_scale_gaps(model))
    {
        not_trained(&what, span, diags);
    }
    let (mut discriminators, mut encoders) = (0, 0);
    for net in &model.networks {
        match net.kind {
            NetworkKind::Encoder => {
                encoders += 1;
                if encoders > 1 {
                    not_trained("more than one encoder", net.span, diags);
                } else if matches!(model.loss.name, "auxiliary_classifier" | "semi_supervised" | "began") {
                    not_trained(&format!("an encoder with the `{}` loss", model.loss.name), net.span, diags);
                }
                if let Some(replay) = model.train.option("replay").filter(|_| encoders == 1) {
                    not_trained("`replay` with an encoder", replay.span, diags);
                }
            }
            NetworkKind::Discriminator => {
                discriminators += 1;
                if discriminators > 1 {
                    not_trained("a second discriminator", net.span, diags);
                }
                for l in net.layers().into_iter().filter(|l| l.name == "virtual_batchnorm") {
                    not_trained(VBN_IN_D, l.span, diags);
                }
                match ganc_registry::lookup(Kind::Output, &net.output) {
                    Some(spec) => entry(spec, &format!("the discriminator output `{}`", net.output), net.span, diags),
                    // BEGAN's autoencoder D trains.
                    None if model.loss.name == "began" => {}
                    None => {
                        not_trained(&format!("an autoencoder discriminator (`-> {}`)", net.output), net.span, diags)
                    }
                }
            }
            NetworkKind::Generator => {}
        }
        nodes(&net.body, diags);
    }
}

/// What the runtime refuses in a discriminator: its `virtual_batchnorm` reference batch is
/// drawn from G's inputs.
pub const VBN_IN_D: &str = "`virtual_batchnorm` in a discriminator (its reference batch is drawn from G's inputs)";

/// What the runtime does not train with AC-GAN's `auxiliary_classifier` loss, which reads the
/// class of every real and fake sample: a generator that draws no class labels, a gradient
/// penalty (taken on the whole output, class logits included).
pub fn classifier_gaps(model: &Model) -> Vec<(String, Span)> {
    if model.loss.name != "auxiliary_classifier" {
        return Vec::new();
    }
    let mut gaps = Vec::new();
    let conditions = |names: &[String]| {
        names.iter().any(|n| model.inputs.iter().any(|i| &i.name == n && i.kind == InputKind::Condition))
    };
    if let Some(g) = model.generator().filter(|g| !conditions(&g.inputs)) {
        gaps.push(("`auxiliary_classifier` with a generator that draws no class labels".into(), g.span));
    }
    for r in &model.regularizers {
        if ganc_registry::lookup(Kind::Regularizer, r.component.name).is_some_and(|s| s.is_gradient_penalty()) {
            let what = format!("`{}` with `auxiliary_classifier` (D's output holds class logits)", r.component.name);
            gaps.push((what, r.component.span));
        }
    }
    gaps
}

/// What the runtime does not train with a multi-scale discriminator, whose scales' scores it
/// sets side by side: gradients through D's layers by hand (gradient penalties, `unroll`,
/// `nagarajan_kolter`), outputs other than scores (class logits, an autoencoder's image), and,
/// for a stacked generator's stages, replay and mixed batches.
pub fn multi_scale_gaps(model: &Model) -> Vec<(String, Span)> {
    let Some(d) = model.networks.iter().find(|n| n.kind == NetworkKind::Discriminator && n.scales() > 1) else {
        return Vec::new();
    };
    let mut gaps = Vec::new();
    for r in &model.regularizers {
        let c = &r.component;
        let by_hand = ganc_registry::lookup(Kind::Regularizer, c.name).is_some_and(|s| s.is_gradient_penalty());
        if by_hand || c.name == "nagarajan_kolter" {
            gaps.push((format!("`{}` on a multi-scale discriminator", c.name), c.span));
        }
    }
    if let Some(o) = model.train.option("unroll").filter(|o| o.span != Span::default() && o.args.int("value") > 0) {
        gaps.push(("`unroll` of a multi-scale discriminator".into(), o.span));
    }
    // A stacked generator's fakes are an image per stage, which the replay buffer and a mixed
    // batch do not hold.
    if d.stacked() {
        for (option, what) in [("replay", "experience replay"), ("batches", "`batches: mixed`")] {
            let written = model.train.option(option).filter(|o| o.span != Span::default());
            let applies = option == "replay" || written.and_then(|o| o.args.name("value")) == Some("mixed");
            if let Some(o) = written.filter(|_| applies) {
                gaps.push((format!("{what} with a stacked generator"), o.span));
            }
        }
    }
    let scores = ganc_registry::lookup(Kind::Output, &d.output).and_then(|s| s.output()).is_some_and(|n| {
        matches!(n, ganc_registry::Needs::Score | ganc_registry::Needs::Patch | ganc_registry::Needs::Joint)
    });
    if !scores {
        gaps.push((format!("a multi-scale discriminator with output `{}`", d.output), d.span));
    }
    gaps
}

fn nodes(body: &[Node], diags: &mut Vec<Diagnostic>) {
    for node in body {
        match node {
            Node::Layer(l) => {
                for w in &l.wrappers {
                    if let Some(spec) = ganc_registry::lookup(Kind::Wrapper, w) {
                        entry(spec, &format!("the `{w}` wrapper"), l.span, diags);
                    }
                }
                if let Some(spec) = ganc_registry::lookup(Kind::Layer, l.name) {
                    entry(spec, &format!("the layer `{}`", l.name), l.span, diags);
                }
            }
            Node::Let { body, .. } | Node::Block { body, .. } => nodes(body, diags),
            Node::Residual { main, skip, .. } | Node::Stage { body: main, head: skip, .. } => {
                nodes(main, diags);
                nodes(skip, diags);
            }
        }
    }
}

/// The warning an entry's runtime record asks for, if any.
fn entry(spec: &Spec, what: &str, span: Span, diags: &mut Vec<Diagnostic>) {
    match spec.runtime {
        Runtime::Trains => {}
        Runtime::NotYet => not_trained(what, span, diags),
        Runtime::Implied => diags.push(
            Diagnostic::new(codes::NO_EFFECT, span, format!("{what} is always on: writing it changes nothing"))
                .label("always on in `ganc train`")
                .help(format!("{} Remove it.", spec.doc)),
        ),
    }
}

fn not_trained(what: &str, span: Span, diags: &mut Vec<Diagnostic>) {
    diags.push(
        Diagnostic::new(codes::NOT_TRAINED_YET, span, format!("{what} is not trained by `ganc train` yet"))
            .label("`ganc train` would refuse this (E0501)")
            .help("keep it to validate the design, or replace it to train now (`ganc explain W0008`)"),
    );
}
