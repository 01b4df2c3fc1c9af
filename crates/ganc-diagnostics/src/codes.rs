//! Every diagnostic code ganc emits, with its title and its `ganc explain` page.
//!
//! Codes are stable: a code is never reused for another problem. Errors are `E0xxx`, grouped
//! by hundreds (0: syntax, 1: names, 2: arguments, 3: shapes, 4: consistency, 5: runtime);
//! warnings are `W0xxx`. Each code has a page `explain/CODE.md` with a wrong and a fixed
//! example; a test keeps the pages and this list in step.

use crate::Severity;

/// A stable diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code {
    /// `E0101`, `W0002`, ...
    pub id: &'static str,
    /// A short title for listings.
    pub title: &'static str,
    /// The markdown page printed by `ganc explain`.
    pub explanation: &'static str,
}

impl Code {
    /// Errors start with `E`, warnings with `W`.
    pub fn severity(&self) -> Severity {
        if self.id.starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }
}

/// Looks a code up by its id, case-insensitively (`e0101` finds `E0101`).
pub fn lookup(id: &str) -> Option<Code> {
    ALL.iter().copied().find(|c| c.id.eq_ignore_ascii_case(id))
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $id:literal, $title:literal;)*) => {
        $(
            $(#[$doc])*
            pub const $name: Code = Code {
                id: $id,
                title: $title,
                explanation: include_str!(concat!("../explain/", $id, ".md")),
            };
        )*
        /// Every code, in order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    /// The text does not follow the grammar.
    SYNTAX = "E0001", "syntax error";
    /// Braces or parentheses nested deeper than the checker accepts.
    NESTING_TOO_DEEP = "E0002", "nesting too deep";
    /// An integer literal or integer arithmetic leaves the 64-bit range, or divides by zero.
    INTEGER_OVERFLOW = "E0003", "integer overflow or division by zero";

    /// A layer or block name that is neither in the registry nor defined or imported.
    UNKNOWN_LAYER = "E0101", "unknown layer or block";
    /// A value name (input, `let`, block parameter) that is not in scope.
    UNKNOWN_VALUE = "E0102", "unknown value";
    /// A named argument the callee does not take.
    UNKNOWN_ARGUMENT = "E0103", "unknown argument";
    /// A loss, regularizer, optimizer, training option, data source, distribution or metric
    /// that does not exist.
    UNKNOWN_OPTION = "E0104", "unknown loss, regularizer or option";
    /// A network name that the file does not define.
    UNKNOWN_NETWORK = "E0105", "unknown network";
    /// Two definitions with one name.
    DUPLICATE_DEFINITION = "E0106", "duplicate definition";
    /// A block that calls itself, directly or through other blocks.
    RECURSIVE_BLOCK = "E0107", "recursive block";
    /// An imported file that cannot be read.
    IMPORT_NOT_FOUND = "E0108", "imported file not found";
    /// Files that import each other in a cycle.
    IMPORT_CYCLE = "E0109", "import cycle";
    /// A name imported from a file that does not define it.
    UNKNOWN_IMPORT = "E0110", "imported name not defined";
    /// A section every experiment needs is missing (data, generator, discriminator, loss).
    MISSING_SECTION = "E0111", "missing section";

    /// An argument of the wrong type.
    WRONG_TYPE = "E0201", "argument of the wrong type";
    /// An argument outside its allowed range.
    OUT_OF_RANGE = "E0202", "argument out of range";
    /// A required argument is missing.
    MISSING_ARGUMENT = "E0203", "missing argument";
    /// More positional arguments than the callee takes.
    TOO_MANY_ARGUMENTS = "E0204", "too many arguments";
    /// The same argument given twice.
    DUPLICATE_ARGUMENT = "E0205", "argument given twice";
    /// `spectral` or `equalized` on a layer without weights.
    INVALID_WRAPPER = "E0206", "wrapper on a layer without weights";

    /// A layer receives a value of the wrong rank or kind.
    RANK_MISMATCH = "E0301", "input of the wrong rank";
    /// The generator's output differs from the data's shape.
    GENERATOR_OUTPUT = "E0302", "generator output does not match the data";
    /// The discriminator's output is not what the loss needs.
    DISCRIMINATOR_OUTPUT = "E0303", "discriminator output does not fit the loss";
    /// `reshape` changes the number of elements.
    RESHAPE_COUNT = "E0304", "reshape changes the element count";
    /// A kernel larger than its (padded) input.
    KERNEL_TOO_LARGE = "E0305", "kernel larger than its input";
    /// A stride that does not divide the input, so rows and columns are dropped.
    STRIDE_NOT_DIVIDING = "E0306", "stride does not divide the input";
    /// A channel count a layer cannot split (pixel_shuffle, groupnorm, attention).
    CHANNELS_NOT_DIVISIBLE = "E0307", "channel count not divisible";
    /// Two values that must have one shape do not (residual, add, concat).
    SHAPES_DIFFER = "E0308", "shapes of combined values differ";
    /// A second input of the wrong kind (labels where features are needed, or the reverse).
    WRONG_INPUT_KIND = "E0309", "second input of the wrong kind";
    /// A size or parameter count that leaves the 64-bit range (a padded or upsampled side, an
    /// element or parameter count).
    TOO_LARGE = "E0310", "size too large to compute";
    /// A model that cannot fit in memory: one sample's activation over 16 GiB, or one network's
    /// parameters over 64 GiB.
    TOO_LARGE_FOR_MEMORY = "E0311", "model too large for memory";

    /// A loss that takes logits placed behind a sigmoid.
    LOSS_BEHIND_SIGMOID = "E0401", "loss on logits behind a sigmoid";
    /// Weight clipping with a loss other than Wasserstein.
    CLIP_WITHOUT_WASSERSTEIN = "E0402", "weight clipping without the Wasserstein loss";
    /// A conditional layer or condition without labelled data.
    UNLABELLED_CONDITION = "E0403", "condition without labelled data";
    /// Progressive stages that do not double, or heads of the wrong shape.
    PROGRESSIVE_STAGES = "E0404", "progressive stages do not double";
    /// Generator and discriminator stages that do not mirror each other.
    STAGES_NOT_MIRRORED = "E0405", "progressive stages not mirrored";
    /// The BEGAN loss without an autoencoder discriminator.
    BEGAN_NEEDS_AUTOENCODER = "E0406", "BEGAN without an autoencoder discriminator";
    /// A network input or output that does not fit its role.
    NETWORK_SIGNATURE = "E0407", "network inputs or output do not fit its role";
    /// A reference to a named value of another network that it does not define.
    UNKNOWN_FEATURE = "E0408", "feature reference not found";
    /// Progressive-growing options or stages where they cannot apply.
    PROGRESSIVE_MISPLACED = "E0409", "progressive stage or option misplaced";
    /// A layer of a gradient-penalized critic with no per-sample input gradient (batchnorm,
    /// dropout, bilinear upsampling).
    NO_INPUT_GRADIENT = "E0410", "layer without a per-sample input gradient in a penalized critic";
    /// A metric of `evaluate` that does not measure this kind of data (`modes` on images, `fid`
    /// on 2D points).
    METRIC_DATA_MISMATCH = "E0411", "metric does not fit the data";
    /// A labelled subset (`labels: N`) that cannot hold the same number of images per class.
    LABELS_NOT_BALANCED = "E0412", "labelled subset not balanced across classes";
    /// A semi-supervised G trained by feature matching with no `feature_matching` regularizer.
    NO_FEATURE_MATCHING = "E0413", "generator objective without its feature matching";
    /// A metric that reads a classifying discriminator (`test_error`) without one.
    METRIC_NEEDS_CLASSIFIER = "E0414", "metric needs a classifying discriminator";
    /// A layer of a differentially private D whose output for one sample depends on the others
    /// (batchnorm, minibatch discrimination): per-sample gradients then do not bound a sample's
    /// influence.
    PRIVATE_D_MIXES_SAMPLES = "E0415", "layer that mixes samples in a differentially private discriminator";
    /// Real data reaching a gradient that DP-SGD does not clip and noise (G's feature matching,
    /// a relativistic G loss, BEGAN's controller, ...), or no finite data set to account for.
    PRIVATE_DATA_UNCLIPPED = "E0416", "private data outside the clipped, noised discriminator update";
    /// A metric that reads BiGAN's encoder (`reconstruction`, `linear_probe`) without one, or
    /// without a test split.
    METRIC_NEEDS_ENCODER = "E0417", "metric needs an encoder";
    /// Image-to-image constructs (`condition x ~ paired`, `paired_feature_matching`, `l1`)
    /// without paired data, or a paired generator whose input no discriminator reads.
    NEEDS_PAIRED_DATA = "E0418", "needs paired data";
    /// A multi-scale discriminator (`at scales: N`) that cannot be one: not a discriminator, an
    /// image too small to halve that often, or a body that fails at a coarser scale.
    MULTI_SCALE = "E0419", "multi-scale discriminator does not fit";
    /// A stacked generator (StackGAN++) without one discriminator per stage, or what needs one
    /// (`color_consistency`, `at stages`) without it.
    STACKED_STAGES = "E0420", "stacked stages do not fit";

    /// A construct the checker accepts but the runtime cannot train yet.
    NOT_YET_SUPPORTED = "E0501", "not yet supported by the runtime";

    /// Image data in [-1, 1] but no tanh at the generator's end.
    NO_TANH_OUTPUT = "W0002", "no tanh at the generator's end";
    /// Sparse-gradient layers (maxpool, plain relu) in the discriminator.
    SPARSE_GRADIENTS = "W0003", "sparse gradients in the discriminator";
    /// The minimax generator loss, which saturates early in training.
    MINIMAX_SATURATES = "W0004", "minimax generator loss saturates";
    /// Real and fake samples mixed in one batch through batch normalization.
    MIXED_BATCHES = "W0005", "real and fake mixed in one batchnorm batch";
    /// A `let` value or an input that nothing uses.
    UNUSED_VALUE = "W0006", "unused value";
    /// A setting that changes nothing in `ganc train` (`watch { nan }`, always on; `truncation`
    /// with no normal latent).
    NO_EFFECT = "W0007", "setting with no effect";
    /// A construct `ganc check` accepts but `ganc train` refuses for now (E0501 at train time).
    NOT_TRAINED_YET = "W0008", "not trained by `ganc train` yet";
}
