//! BiGAN / ALI's encoder (`encoder E(image) -> z`, Donahue et al. 2017; Dumoulin et al. 2017):
//! its code must reach D beside the data, and G must draw from that code alone, so that G(E(x))
//! is a reconstruction (E0407; AVB's loss needs an encoder too); `reconstruction`,
//! `linear_probe` and `elbo` need the encoder and a test split (E0417).

use crate::ir::Model;
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::{InputKind, NetworkKind};

/// Checks an encoder's place among the networks, and the metrics that read it.
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let encoder = model.networks.iter().find(|n| n.kind == NetworkKind::Encoder);
    // An encoder whose output is not a declared latent is E0407 already (`output.rs`).
    let latent = |name: &str| model.inputs.iter().any(|i| i.name == name && i.kind == InputKind::Latent);
    if let Some(e) = encoder.filter(|e| latent(&e.output)) {
        let code = e.output.as_str();
        let d_reads =
            model.networks.iter().any(|n| n.kind == NetworkKind::Discriminator && n.inputs.iter().any(|i| i == code));
        if !d_reads {
            diags.push(
                Diagnostic::new(
                    codes::NETWORK_SIGNATURE,
                    e.span,
                    format!("the code `{code}` of `{}` reaches no discriminator", e.name),
                )
                .label("an encoder no loss reads, so it never trains")
                .help(format!(
                    "BiGAN's D scores (data, code) pairs: `discriminator D({}, {code}) -> logit`",
                    model.data.value
                )),
            );
        }
        if let Some(g) = model.generator().filter(|g| g.inputs != [code]) {
            diags.push(
                Diagnostic::new(
                    codes::NETWORK_SIGNATURE,
                    g.span,
                    format!(
                        "`{}` takes ({}), but BiGAN's G maps the encoder's code `{code}` alone",
                        g.name,
                        g.inputs.join(", ")
                    ),
                )
                .label("G(E(x)) must be defined")
                .with_secondary(e.span, format!("infers `{code}` from the data"))
                .help(format!("write `generator {}({code}) -> {}`", g.name, model.data.value)),
            );
        }
    }
    if encoder.is_none() && model.loss.name == "avb" {
        diags.push(
            Diagnostic::new(codes::NETWORK_SIGNATURE, model.loss.span, "the `avb` loss trains an encoder, and the model has none")
                .label("AVB's posterior is an encoder")
                .help(format!(
                    "add `encoder E({0}, noise) -> z {{ ... }}` with `latent noise ~ normal(N)`, and `discriminator D({0}, z)`",
                    model.data.value
                )),
        );
    }
    let reads_encoder = |m: &&crate::ir::Component| matches!(m.name, "reconstruction" | "linear_probe" | "elbo");
    for m in model.evaluate.iter().flat_map(|e| &e.metrics).filter(reads_encoder) {
        let why = if encoder.is_none() {
            Some("the model has no encoder".to_string())
        } else if m.name == "elbo" && model.loss.name != "avb" {
            Some(format!("the `{}` loss estimates no KL term (only `avb` does)", model.loss.name))
        } else if model.data.source.args.name("split").is_none() {
            Some(format!("the data `{}` have no test split", model.data.source.name))
        } else if m.name == "linear_probe" && model.data.classes.is_none() {
            Some(format!("the data `{}` have no class labels", model.data.source.name))
        } else {
            None
        };
        if let Some(why) = why {
            diags.push(
                Diagnostic::new(codes::METRIC_NEEDS_ENCODER, m.span, format!("`{}` cannot be measured: {why}", m.name))
                    .label("reads the encoder on the test split")
                    .help(
                        "`reconstruction` and `linear_probe` measure an `encoder E(image) -> z` (BiGAN, AVB) on \
                         labelled data with a test split (mnist, fashion_mnist, cifar10), `elbo` an AVB; remove them \
                         otherwise",
                    ),
            );
        }
    }
}
