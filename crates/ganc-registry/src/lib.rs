//! The one registry of everything a `.gan` file can name: layers, wrappers, losses,
//! regularizers (gradient penalties and label tricks among them), optimizers, training options,
//! periodic actions, watches, schedules, data sources, input distributions, discriminator
//! outputs and metrics.
//!
//! Each entry carries its parameters (type, default, allowed range), its shape rule and the rule
//! of its trainable parameter count when it is a layer, a one-line doc, the paper it comes from,
//! and whether `ganc train` lowers it ([`Runtime`]). The checker, `ganc explain`, `ganc layers`,
//! the language server and the runtime all read this list; no other list of names exists.

mod entries;
mod spec;

pub use entries::ENTRIES;
pub use spec::*;

/// The entry of `kind` called `name`.
pub fn lookup(kind: Kind, name: &str) -> Option<&'static Spec> {
    ENTRIES.iter().find(|s| s.kind == kind && s.name == name)
}

/// Every entry of `kind`, in registry order.
pub fn of_kind(kind: Kind) -> impl Iterator<Item = &'static Spec> {
    ENTRIES.iter().filter(move |s| s.kind == kind)
}

/// Every entry named `name`, whatever its kind (for `ganc explain NAME`).
pub fn named(name: &str) -> impl Iterator<Item = &'static Spec> + '_ {
    ENTRIES.iter().filter(move |s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_a_kind_and_every_entry_is_documented() {
        for (i, a) in ENTRIES.iter().enumerate() {
            assert!(!a.doc.is_empty() && !a.paper.is_empty(), "{} lacks a doc or a paper", a.name);
            assert_eq!(
                a.kind == Kind::Layer,
                a.layer.is_some(),
                "{}: layers and only layers have a shape rule",
                a.name
            );
            for b in &ENTRIES[i + 1..] {
                assert!(!(a.kind == b.kind && a.name == b.name), "{} is registered twice", a.name);
            }
            for (j, p) in a.params.iter().enumerate() {
                assert!(a.params[j + 1..].iter().all(|q| q.name != p.name), "{}.{} twice", a.name, p.name);
                if let Some(d) = p.default.as_f64() {
                    assert!(p.bound.admits(d), "{}.{}: default {d} outside {}", a.name, p.name, p.bound.describe());
                }
            }
        }
    }

    #[test]
    fn every_layer_with_weights_counts_its_parameters() {
        for spec in of_kind(Kind::Layer) {
            let info = spec.layer.unwrap();
            if info.family == Family::Weight {
                assert_ne!(info.trainable, ParamRule::None, "{} has weights but counts no parameters", spec.name);
            }
        }
        assert_eq!(lookup(Kind::Layer, "relu").unwrap().layer.unwrap().trainable, ParamRule::None);
    }

    #[test]
    fn lookup_finds_by_kind() {
        assert_eq!(lookup(Kind::Layer, "conv").unwrap().name, "conv");
        assert!(lookup(Kind::Loss, "conv").is_none());
        assert!(of_kind(Kind::Loss).any(|s| s.name == "hinge"));
    }
}
