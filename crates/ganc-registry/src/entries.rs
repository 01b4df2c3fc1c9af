//! The table itself. Parameters are listed in positional order.

use crate::spec::Default as Def;
use crate::spec::{
    param, Bound::*, DataInfo, Extra, Family, InputGradient, Kind, LayerInfo, LossInfo, Needs, Param, ParamRule,
    Runtime, ShapeRule, Side, Spec, Ty::*,
};

/// A layer without trainable parameters; `.trainable(rule)` gives it some.
const fn layer(
    name: &'static str,
    doc: &'static str,
    paper: &'static str,
    params: &'static [Param],
    shape: ShapeRule,
    family: Family,
) -> Spec {
    Spec {
        name,
        kind: Kind::Layer,
        doc,
        paper,
        params,
        layer: Some(LayerInfo { shape, family, trainable: ParamRule::None, input_gradient: InputGradient::Yes }),
        extra: Extra::None,
        runtime: Runtime::Trains,
    }
}

impl Spec {
    /// The layer with the input gradient `g` instead of [`InputGradient::Yes`].
    const fn with_input_gradient(mut self, g: InputGradient) -> Spec {
        if let Some(info) = &mut self.layer {
            info.input_gradient = g;
        }
        self
    }
}

const fn entry(
    kind: Kind,
    name: &'static str,
    doc: &'static str,
    paper: &'static str,
    params: &'static [Param],
) -> Spec {
    Spec { name, kind, doc, paper, params, layer: None, extra: Extra::None, runtime: Runtime::Trains }
}

const fn loss(
    name: &'static str,
    doc: &'static str,
    paper: &'static str,
    params: &'static [Param],
    needs: Needs,
    wasserstein: bool,
    targets: bool,
) -> Spec {
    Spec {
        name,
        kind: Kind::Loss,
        doc,
        paper,
        params,
        layer: None,
        extra: Extra::Loss(LossInfo { needs, wasserstein, targets }),
        runtime: Runtime::Trains,
    }
}

const fn reg(name: &'static str, side: Side, doc: &'static str, paper: &'static str, params: &'static [Param]) -> Spec {
    Spec {
        name,
        kind: Kind::Regularizer,
        doc,
        paper,
        params,
        layer: None,
        extra: Extra::Regularizer(side),
        runtime: Runtime::Trains,
    }
}

/// A gradient penalty: a discriminator regularizer on D's input gradient.
const fn penalty(name: &'static str, doc: &'static str, paper: &'static str, params: &'static [Param]) -> Spec {
    Spec { extra: Extra::Penalty, ..reg(name, Side::Discriminator, doc, paper, params) }
}

/// A label trick: a discriminator regularizer that changes D's targets.
const fn label_trick(name: &'static str, doc: &'static str, paper: &'static str, params: &'static [Param]) -> Spec {
    Spec { extra: Extra::LabelTrick, ..reg(name, Side::Discriminator, doc, paper, params) }
}

/// A discriminator output and what it gives per sample.
const fn output(name: &'static str, gives: Needs, doc: &'static str, paper: &'static str) -> Spec {
    Spec { extra: Extra::Output(gives), ..entry(Kind::Output, name, doc, paper, &[]) }
}

const fn data(
    name: &'static str,
    doc: &'static str,
    paper: &'static str,
    params: &'static [Param],
    info: DataInfo,
) -> Spec {
    Spec { name, kind: Kind::Data, doc, paper, params, layer: None, extra: Extra::Data(info), runtime: Runtime::Trains }
}

const SPLIT: Param = param("split", Choice(&["train", "test"]), Def::Name("train"), Any, "which part of the data set");
/// The labelled subset of a semi-supervised GAN (Salimans et al. 2016).
const LABELLED: Param = param(
    "labels",
    Int,
    Def::Absent,
    Positive,
    "keep the labels of only this many images, the same number per class, chosen by the seed; \
     the rest train D unlabelled (`loss semi_supervised`)",
);
/// Pairs made from an image data set, for image-to-image translation (pix2pix, pix2pixHD).
const PAIRS: Param = param(
    "pairs",
    Choice(&["none", "edges", "coarse"]),
    Def::Name("none"),
    Any,
    "make each image a target paired with an input made from it, read by `condition x ~ paired`: \
     `edges` (its Sobel outline, one channel) or `coarse` (its `factor` x `factor` block means)",
);
const FACTOR: Param =
    param("factor", Int, Def::Int(4), Positive, "the block side of `pairs: coarse` (must divide the image side)");
/// Per-sample embedding vectors (StackGAN++'s text embeddings), from a user's file.
const EMBEDDINGS: Param = param(
    "embeddings",
    Str,
    Def::Absent,
    Any,
    "a float32/float64 .npy of shape [N, d], row i the embedding of the set's i-th image, read by \
     `condition t ~ embeddings(d)` (tried as given, then under the data directory)",
);
const DIM: Param = param("dim", Int, Def::Required, Positive, "number of dimensions");
const WEIGHT: Param = param("weight", Float, Def::Float(1.0), NonNegative, "weight of the term in the loss");
const BIAS: Param = param("bias", Bool, Def::Bool(true), Any, "whether the layer adds a learned bias");
const INIT: Param = param(
    "init",
    Choice(&["default", "normal", "xavier", "kaiming", "orthogonal"]),
    Def::Name("default"),
    Any,
    "weight initialisation: `normal` is N(0, 0.02) as in DCGAN; `default` is burn's",
);
const EPS: Param = param("eps", Float, Def::Float(1e-5), Positive, "added to the variance for stability");
const MOMENTUM: Param =
    param("momentum", Float, Def::Float(0.1), Unit, "weight of the current batch in the running statistics");
const VALUE: Param = param("value", Value, Def::Required, Any, "the value to combine with");
const LABELS: Param = param("labels", Value, Def::Required, Any, "the class labels (a `condition`)");

/// Every entry of the registry.
/// The `every` parameter of the gradient penalties: lazy regularization (Karras et al. 2020,
/// StyleGAN2) applies the penalty on every k-th D update only, with its weight times k.
const LAZY: Param = param(
    "every",
    Int,
    Def::Int(1),
    Positive,
    "apply every k-th D update with the weight times k (lazy regularization, StyleGAN2)",
);

pub static ENTRIES: &[Spec] = &[
    // ---- weights ----------------------------------------------------------------------
    layer(
        "linear",
        "Fully connected layer: y = Wx + b.",
        "Rosenblatt 1958",
        &[param("features", Int, Def::Required, Positive, "output features"), BIAS, INIT],
        ShapeRule::Linear,
        Family::Weight,
    )
    .trainable(ParamRule::Dense),
    layer(
        "conv",
        "2D convolution.",
        "LeCun et al. 1989",
        &[
            param("channels", Int, Def::Required, Positive, "output channels"),
            param("kernel", Int, Def::Int(3), Positive, "kernel size"),
            param("stride", Int, Def::Int(1), Positive, "stride"),
            param("padding", Int, Def::Int(0), NonNegative, "zero padding on each side"),
            BIAS,
            INIT,
        ],
        ShapeRule::Conv,
        Family::Weight,
    )
    .trainable(ParamRule::Kernel),
    layer(
        "deconv",
        "Transposed 2D convolution (fractionally strided), for upsampling in G.",
        "Radford et al. 2015 (DCGAN)",
        &[
            param("channels", Int, Def::Required, Positive, "output channels"),
            param("kernel", Int, Def::Int(4), Positive, "kernel size"),
            param("stride", Int, Def::Int(2), Positive, "stride"),
            param("padding", Int, Def::Int(1), NonNegative, "padding removed on each side"),
            param("output_padding", Int, Def::Int(0), NonNegative, "extra rows and columns on one side"),
            BIAS,
            INIT,
        ],
        ShapeRule::Deconv,
        Family::Weight,
    )
    .trainable(ParamRule::Kernel),
    layer(
        "embedding",
        "Learned vector per class label.",
        "Mirza & Osindero 2014 (cGAN)",
        &[param("dim", Int, Def::Required, Positive, "embedding size"), INIT],
        ShapeRule::Embedding,
        Family::Weight,
    )
    .trainable(ParamRule::PerClass),
    layer(
        "conditioning_augmentation",
        "Conditioning augmentation: a linear map of the incoming embedding to a mean and a log \
         variance of `dim` features each, and a draw c = mean + exp(logvar / 2) * eps, eps ~ N(0, I), \
         at every pass; G's loss adds `kl` times the mean over the batch and features of \
         KL(N(mean, var) || N(0, I)), which keeps the conditioning manifold smooth.",
        "Zhang et al. 2017 (StackGAN); Zhang et al. 2018 (StackGAN++)",
        &[
            param("dim", Int, Def::Required, Positive, "size of the augmented condition c"),
            param("kl", Float, Def::Float(1.0), NonNegative, "weight of the KL term in G's loss"),
        ],
        ShapeRule::Augment,
        Family::Weight,
    )
    .trainable(ParamRule::Augment)
    .with_input_gradient(InputGradient::No {
        why: "conditioning augmentation draws its output at random",
        help: "augment the condition in the generator; a penalized critic reads the condition as it is",
    }),
    layer(
        "constant",
        "A learned constant input, ignoring the incoming value.",
        "Karras et al. 2019 (StyleGAN)",
        &[
            param("channels", Int, Def::Required, Positive, "channels"),
            param("height", Int, Def::Int(4), Positive, "height"),
            param("width", Int, Def::Int(4), Positive, "width"),
        ],
        ShapeRule::Constant,
        Family::Weight,
    )
    .trainable(ParamRule::WholeOutput),
    // ---- resampling -------------------------------------------------------------------
    layer(
        "upsample",
        "Nearest or bilinear upsampling.",
        "Odena et al. 2016 (Deconvolution and Checkerboard Artifacts)",
        &[
            param("scale", Int, Def::Int(2), Positive, "factor per side"),
            param("mode", Choice(&["nearest", "bilinear"]), Def::Name("nearest"), Any, "interpolation"),
        ],
        ShapeRule::Upsample,
        Family::Resampling,
    )
    .with_input_gradient(InputGradient::UnlessArg {
        arg: "mode",
        value: "bilinear",
        why: "bilinear upsampling has no differentiable input gradient in ganc yet",
        help: "use `upsample` (nearest) in the critic",
    }),
    layer(
        "pixel_shuffle",
        "Moves channels into space: [C*f*f, H, W] -> [C, H*f, W*f].",
        "Shi et al. 2016 (sub-pixel convolution)",
        &[param("factor", Int, Def::Int(2), Positive, "factor per side")],
        ShapeRule::PixelShuffle,
        Family::Resampling,
    )
    ,
    layer(
        "avgpool",
        "Average pooling.",
        "LeCun et al. 1998",
        &[param("kernel", Int, Def::Int(2), Positive, "window and stride")],
        ShapeRule::Pool,
        Family::Resampling,
    ),
    layer(
        "maxpool",
        "Max pooling (sparse gradients: avoid in D, ganhacks #5).",
        "LeCun et al. 1998",
        &[param("kernel", Int, Def::Int(2), Positive, "window and stride")],
        ShapeRule::Pool,
        Family::Resampling,
    )
    ,
    layer(
        "downsample",
        "Average-pool downsampling by a factor, as in PGGAN's D.",
        "Karras et al. 2017 (PGGAN)",
        &[param("kernel", Int, Def::Int(2), Positive, "factor per side")],
        ShapeRule::Pool,
        Family::Resampling,
    ),
    layer(
        "global_sum_pool",
        "Sums over height and width: [C, H, W] -> [C].",
        "Miyato & Koyama 2018 (projection discriminator)",
        &[],
        ShapeRule::GlobalPool,
        Family::Resampling,
    )
    ,
    layer(
        "global_avg_pool",
        "Averages over height and width: [C, H, W] -> [C].",
        "Lin et al. 2013 (Network in Network)",
        &[],
        ShapeRule::GlobalPool,
        Family::Resampling,
    )
    ,
    // ---- reshaping --------------------------------------------------------------------
    layer("flatten", "Flattens a sample to one axis.", "standard", &[], ShapeRule::Flatten, Family::Reshaping),
    layer(
        "reshape",
        "Gives a sample new dimensions with the same element count.",
        "standard",
        &[param("dims", Ints, Def::Required, Positive, "the new dimensions")],
        ShapeRule::Reshape,
        Family::Reshaping,
    ),
    layer(
        "concat",
        "Concatenates another value along the first axis; a vector is tiled over an image.",
        "Mirza & Osindero 2014 (cGAN)",
        &[VALUE],
        ShapeRule::Concat,
        Family::Conditioning,
    ),
    layer(
        "add",
        "Adds another value of the same shape.",
        "He et al. 2016 (ResNet)",
        &[VALUE],
        ShapeRule::Add,
        Family::Conditioning,
    ),
    // ---- normalization ----------------------------------------------------------------
    layer(
        "batchnorm",
        "Batch normalization over the batch (and spatial) axes.",
        "Ioffe & Szegedy 2015",
        &[MOMENTUM, EPS],
        ShapeRule::Elementwise,
        Family::Normalization,
    )
    .trainable(ParamRule::ScaleShift)
    .with_input_gradient(InputGradient::No {
        why: "batch statistics couple the samples",
        help: "Gulrajani et al. 2017 recommend `layernorm` (or no normalization) in a gradient-penalty critic",
    }),
    layer(
        "virtual_batchnorm",
        "Batch normalization with statistics of a fixed reference batch (of G's inputs, drawn once per run).",
        "Salimans et al. 2016 (Improved Techniques)",
        &[param("reference", Int, Def::Int(64), Positive, "size of the reference batch"), EPS],
        ShapeRule::Elementwise,
        Family::Normalization,
    )
    .trainable(ParamRule::ScaleShift)
    ,
    layer(
        "instancenorm",
        "Normalizes each channel of each sample.",
        "Ulyanov et al. 2016",
        &[EPS, param("affine", Bool, Def::Bool(true), Any, "learned scale and shift")],
        ShapeRule::Spatial,
        Family::Normalization,
    )
    .trainable(ParamRule::ScaleShift),
    layer(
        "layernorm",
        "Normalizes each sample over all its features.",
        "Ba et al. 2016; recommended for GP critics by Gulrajani et al. 2017",
        &[EPS],
        ShapeRule::Elementwise,
        Family::Normalization,
    )
    .trainable(ParamRule::ScaleShiftPerElement),
    layer(
        "groupnorm",
        "Normalizes groups of channels of each sample.",
        "Wu & He 2018",
        &[param("groups", Int, Def::Required, Positive, "number of channel groups"), EPS],
        ShapeRule::GroupNorm,
        Family::Normalization,
    )
    .trainable(ParamRule::ScaleShift),
    layer(
        "pixelnorm",
        "Normalizes each pixel's feature vector to unit length.",
        "Karras et al. 2017 (PGGAN)",
        &[param("eps", Float, Def::Float(1e-8), Positive, "added for stability")],
        ShapeRule::Elementwise,
        Family::Normalization,
    ),
    layer(
        "conditional_batchnorm",
        "Batch normalization with a scale and shift per class.",
        "de Vries et al. 2017; Miyato & Koyama 2018",
        &[LABELS, MOMENTUM, EPS],
        ShapeRule::ConditionalNorm,
        Family::Conditioning,
    )
    .trainable(ParamRule::ScaleShiftPerClass)
    .with_input_gradient(InputGradient::No {
        why: "batch statistics couple the samples",
        help: "condition the critic with `projection(y)` instead of a conditional batchnorm",
    }),
    layer(
        "adain",
        "Adaptive instance normalization: a style vector sets each channel's scale and shift.",
        "Huang & Belongie 2017; Karras et al. 2019 (StyleGAN)",
        &[param("style", Value, Def::Required, Any, "the style vector (e.g. StyleGAN's w)")],
        ShapeRule::Adain,
        Family::Conditioning,
    )
    .trainable(ParamRule::Style),
    // ---- activations ------------------------------------------------------------------
    layer("relu", "max(0, x).", "Nair & Hinton 2010", &[], ShapeRule::Elementwise, Family::Activation),
    layer(
        "leaky_relu",
        "max(slope * x, x): keeps gradients flowing in D (ganhacks #5).",
        "Maas et al. 2013; Radford et al. 2015",
        &[param("slope", Float, Def::Float(0.2), Unit, "slope for negative inputs")],
        ShapeRule::Elementwise,
        Family::Activation,
    ),
    layer(
        "tanh",
        "Hyperbolic tangent: G's output for [-1, 1] data (ganhacks #1).",
        "Radford et al. 2015 (DCGAN)",
        &[],
        ShapeRule::Elementwise,
        Family::Activation,
    ),
    layer("sigmoid", "Logistic sigmoid.", "standard", &[], ShapeRule::Elementwise, Family::Activation),
    layer(
        "gelu",
        "Gaussian error linear unit.",
        "Hendrycks & Gimpel 2016",
        &[],
        ShapeRule::Elementwise,
        Family::Activation,
    ),
    layer("silu", "x * sigmoid(x) (swish).", "Elfwing et al. 2017", &[], ShapeRule::Elementwise, Family::Activation),
    // ---- noise ------------------------------------------------------------------------
    layer(
        "dropout",
        "Drops units at random; `keep_at_sample` keeps it on when sampling (ganhacks #17, dropout in G).",
        "Srivastava et al. 2014; Isola et al. 2017",
        &[
            param("p", Float, Def::Float(0.5), UnitOpen, "probability of dropping a unit"),
            param("keep_at_sample", Bool, Def::Bool(false), Any, "stay active at sampling time, as a noise source"),
        ],
        ShapeRule::Elementwise,
        Family::Noise,
    )
    .with_input_gradient(InputGradient::No {
        why: "a random mask the penalty cannot differentiate",
        help: "remove `dropout` from the critic",
    }),
    layer(
        "gaussian_noise",
        "Adds N(0, std^2) noise, optionally decayed to zero (ganhacks #13).",
        "Arjovsky & Bottou 2017; Sønderby et al. 2016",
        &[
            param("std", Float, Def::Float(0.1), NonNegative, "noise standard deviation"),
            param("decay", Schedule, Def::Absent, Any, "how the std goes to zero"),
        ],
        ShapeRule::Elementwise,
        Family::Noise,
    ),
    layer(
        "noise_injection",
        "Adds per-pixel noise scaled by a learned per-channel weight.",
        "Karras et al. 2019 (StyleGAN)",
        &[],
        ShapeRule::Spatial,
        Family::Noise,
    )
    .trainable(ParamRule::PerChannel),
    // ---- attention --------------------------------------------------------------------
    layer(
        "self_attention",
        "Self-attention over spatial positions with a learned gate.",
        "Zhang et al. 2018 (SAGAN)",
        &[
            param("reduction", Int, Def::Int(8), Positive, "channel reduction of queries and keys"),
            param("heads", Int, Def::Int(1), Positive, "attention heads"),
        ],
        ShapeRule::SelfAttention,
        Family::Attention,
    )
    .trainable(ParamRule::Attention)
    ,
    // ---- batch statistics -------------------------------------------------------------
    layer(
        "minibatch_discrimination",
        "Appends closeness to other samples of the batch.",
        "Salimans et al. 2016 (Improved Techniques)",
        &[
            param("kernels", Int, Def::Int(100), Positive, "number of kernels B"),
            param("dims", Int, Def::Int(5), Positive, "kernel dimension C"),
        ],
        ShapeRule::MinibatchDiscrimination,
        Family::BatchStatistics,
    )
    .trainable(ParamRule::MinibatchKernels)
    .with_input_gradient(InputGradient::No {
        why: "minibatch discrimination compares each sample with the rest of its batch",
        help: "Salimans et al. 2016 train this critic without a gradient penalty: drop the penalty or the layer",
    }),
    layer(
        "minibatch_stddev",
        "Appends the batch's mean standard deviation as a channel.",
        "Karras et al. 2017 (PGGAN)",
        &[param("group", Int, Def::Int(4), Positive, "group size")],
        ShapeRule::MinibatchStddev,
        Family::BatchStatistics,
    ),
    layer(
        "projection",
        "Projection discriminator head: linear(h) + <embed(y), h>.",
        "Miyato & Koyama 2018",
        &[LABELS],
        ShapeRule::Projection,
        Family::Conditioning,
    )
    .trainable(ParamRule::Projection),
    // ---- losses -----------------------------------------------------------------------
    loss(
        "minimax",
        "The original zero-sum loss: G minimizes log(1 - D(G(z))).",
        "Goodfellow et al. 2014",
        &[],
        Needs::Score,
        false,
        true,
    ),
    loss(
        "non_saturating",
        "G maximizes log D(G(z)) (ganhacks #2).",
        "Goodfellow et al. 2014",
        &[],
        Needs::Score,
        false,
        true,
    ),
    loss(
        "wasserstein",
        "Critic estimates the Earth-Mover distance: D(x) - D(G(z)).",
        "Arjovsky et al. 2017 (WGAN)",
        &[],
        Needs::Score,
        true,
        false,
    ),
    loss(
        "least_squares",
        "Least squares to targets: a for fake, b for real, c for G.",
        "Mao et al. 2017 (LSGAN)",
        &[
            param("a", Float, Def::Float(0.0), Any, "target for fakes in D's loss"),
            param("b", Float, Def::Float(1.0), Any, "target for reals in D's loss"),
            param("c", Float, Def::Float(1.0), Any, "target G pushes its fakes to"),
        ],
        Needs::Score,
        false,
        true,
    ),
    loss(
        "hinge",
        "D: relu(1 - D(x)) + relu(1 + D(G(z))); G: -D(G(z)).",
        "Lim & Ye 2017; Miyato et al. 2018",
        &[],
        Needs::Score,
        false,
        false,
    ),
    loss(
        "began",
        "Boundary equilibrium: autoencoder D, reconstruction losses balanced by k.",
        "Berthelot et al. 2017 (BEGAN)",
        &[
            param("gamma", Float, Def::Float(0.5), Unit, "diversity ratio"),
            param("lambda_k", Float, Def::Float(0.001), NonNegative, "learning rate of k"),
        ],
        Needs::Reconstruction,
        false,
        false,
    ),
    loss(
        "relativistic",
        "D estimates how much more real the real data are than the fakes.",
        "Jolicoeur-Martineau 2018",
        &[
            param(
                "base",
                Choice(&["non_saturating", "least_squares", "hinge"]),
                Def::Name("non_saturating"),
                Any,
                "the loss made relativistic",
            ),
            param("average", Bool, Def::Bool(true), Any, "compare against the batch average (RaGAN)"),
        ],
        Needs::Score,
        false,
        false,
    ),
    loss(
        "auxiliary_classifier",
        "AC-GAN: D also classifies; both nets add the class cross-entropy.",
        "Odena et al. 2017 (AC-GAN)",
        &[
            param(
                "base",
                Choice(&["non_saturating", "hinge", "least_squares"]),
                Def::Name("non_saturating"),
                Any,
                "the adversarial part",
            ),
            WEIGHT,
        ],
        Needs::ScoreAndClasses,
        false,
        true,
    ),
    loss(
        "avb",
        "Adversarial Variational Bayes: D(x, z) tells the encoder's codes E(x, noise) of x from \
         prior draws for the same x, so its logit estimates log q(z|x) - log p(z); E and the \
         decoder G maximize the ELBO with that estimate as its KL term, under a Gaussian \
         likelihood of std `sigma` per pixel.",
        "Mescheder et al. 2017 (Adversarial Variational Bayes)",
        &[param("sigma", Float, Def::Float(0.3), Positive, "the decoder likelihood's std per pixel")],
        Needs::Score,
        false,
        false,
    ),
    loss(
        "semi_supervised",
        "K+1-class D: class logits with the fake class implicit, D(x) = Z/(Z+1) for Z = sum exp(l_k); \
         D adds the cross-entropy of the labelled batch to the real/fake loss of unlabelled reals \
         and fakes; G matches D's features (or maximizes log D(G(z))).",
        "Salimans et al. 2016 (Improved Techniques, section 5)",
        &[
            param(
                "unlabelled",
                Float,
                Def::Float(1.0),
                NonNegative,
                "weight of the unlabelled (real/fake) term in D's loss; 0 trains D on the labels alone",
            ),
            param(
                "generator",
                Choice(&["feature_matching", "non_saturating"]),
                Def::Name("feature_matching"),
                Any,
                "G's objective: only its `feature_matching` regularizer (the paper's best), or log D(G(z))",
            ),
        ],
        Needs::Classes,
        false,
        true,
    ),
    // ---- regularizers -----------------------------------------------------------------
    penalty(
        "gradient_penalty",
        "Penalizes (||grad D|| - center)^2 at the chosen points.",
        "Gulrajani et al. 2017 (WGAN-GP); Thanh-Tung & Tran 2019 (0-GP)",
        &[
            param("weight", Float, Def::Float(10.0), NonNegative, "lambda"),
            param("center", Float, Def::Float(1.0), NonNegative, "target gradient norm: 1 for WGAN-GP, 0 for 0-GP"),
            param(
                "at",
                Choice(&["interpolates", "real", "fake", "real_and_fake"]),
                Def::Name("interpolates"),
                Any,
                "where the gradient is taken",
            ),
            LAZY,
        ],
    ),
    penalty(
        "r1",
        "Zero-centered gradient penalty on real data: gamma/2 ||grad D(x)||^2.",
        "Mescheder et al. 2018",
        &[param("gamma", Float, Def::Float(10.0), NonNegative, "weight"), LAZY],
    ),
    penalty(
        "r2",
        "Zero-centered gradient penalty on fake data: gamma/2 ||grad D(G(z))||^2.",
        "Mescheder et al. 2018",
        &[param("gamma", Float, Def::Float(10.0), NonNegative, "weight"), LAZY],
    ),
    penalty(
        "dragan",
        "Gradient penalty around perturbed real data.",
        "Kodali et al. 2017 (DRAGAN)",
        &[
            param("weight", Float, Def::Float(10.0), NonNegative, "lambda"),
            param("k", Float, Def::Float(1.0), NonNegative, "target norm"),
            param("c", Float, Def::Float(0.5), Positive, "perturbation scale"),
            LAZY,
        ],
    ),
    reg(
        "spectral_norm",
        Side::Both,
        "Wraps every weight layer in spectral normalization.",
        "Miyato et al. 2018 (SN-GAN)",
        &[param("power_iterations", Int, Def::Int(1), Positive, "power iterations per step")],
    ),
    reg(
        "equalized_lr",
        Side::Both,
        "Scales every weight layer at run time (equalized learning rate).",
        "Karras et al. 2017 (PGGAN)",
        &[],
    ),
    reg(
        "instance_noise",
        Side::Discriminator,
        "Adds noise to D's inputs, real and fake, decaying to zero (ganhacks #13).",
        "Sønderby et al. 2016; Arjovsky & Bottou 2017",
        &[
            param("std", Float, Def::Float(0.1), NonNegative, "initial standard deviation"),
            param("decay", Schedule, Def::Absent, Any, "how the std goes to zero"),
        ],
    ),
    label_trick(
        "label_smoothing",
        "One-sided label smoothing: real targets below 1.",
        "Salimans et al. 2016 (Improved Techniques)",
        &[param("real", Float, Def::Float(0.9), Unit, "target for real samples")],
    ),
    label_trick(
        "noisy_labels",
        "Soft, noisy targets drawn from ranges (ganhacks #6).",
        "ganhacks #6 (Chintala et al. 2016)",
        &[
            param("real", Range, Def::Range(0.7, 1.2), Between(0.0, 2.0), "range of real targets"),
            param("fake", Range, Def::Range(0.0, 0.3), Between(0.0, 2.0), "range of fake targets"),
        ],
    ),
    label_trick(
        "label_flip",
        "Swaps real and fake targets with probability p (ganhacks #6).",
        "ganhacks #6 (Chintala et al. 2016)",
        &[param("p", Float, Def::Float(0.05), Unit, "flip probability")],
    ),
    reg(
        "historical_averaging",
        Side::Both,
        "Penalizes distance of the weights from their running average.",
        "Salimans et al. 2016 (Improved Techniques)",
        &[param("weight", Float, Def::Float(1e-3), NonNegative, "weight of the penalty")],
    ),
    reg(
        "weight_clip",
        Side::Discriminator,
        "Clips every weight of the critic to [-c, c].",
        "Arjovsky et al. 2017 (WGAN)",
        &[param("c", Float, Def::Float(0.01), Positive, "clip value")],
    ),
    reg(
        "feature_matching",
        Side::Generator,
        "G matches the mean of D's intermediate features on real data.",
        "Salimans et al. 2016 (Improved Techniques)",
        &[param("at", Feature, Def::Required, Any, "the D value matched, e.g. `D.features`"), WEIGHT],
    ),
    reg(
        "paired_feature_matching",
        Side::Generator,
        "G's output for a pair's input matches the target's discriminator features: the L1 distance \
         of D's features after every activation, at every scale, for (target, input) and (G(input), \
         input), summed over the layers and averaged over the scales (pix2pixHD's feature-matching \
         loss, lambda 10).",
        "Wang et al. 2018 (pix2pixHD)",
        &[param("weight", Float, Def::Float(10.0), NonNegative, "lambda")],
    ),
    reg(
        "color_consistency",
        Side::Generator,
        "Each stage's images keep the colours of the stage below: between neighbouring stages of a \
         stacked generator, lambda_1 times the mean squared difference of each image's per-channel \
         pixel means plus lambda_2 times that of its channel covariances, summed over the stage \
         pairs (StackGAN++'s colour-consistency regularizer).",
        "Zhang et al. 2018 (StackGAN++)",
        &[
            param("mean", Float, Def::Float(1.0), NonNegative, "lambda_1, the weight of the means"),
            param("covariance", Float, Def::Float(5.0), NonNegative, "lambda_2, the weight of the covariances"),
        ],
    ),
    reg(
        "orthogonal",
        Side::Both,
        "Penalizes off-diagonal terms of W W^T, filters as rows (BigGAN's form).",
        "Brock et al. 2018 (BigGAN)",
        &[param("weight", Float, Def::Float(1e-4), NonNegative, "beta")],
    ),
    reg(
        "nagarajan_kolter",
        Side::Generator,
        "Adds the squared norm of D's loss gradient to G's loss.",
        "Nagarajan & Kolter 2017 (Gradient descent GAN optimization is locally stable)",
        &[param("weight", Float, Def::Float(0.1), NonNegative, "eta")],
    ),
    reg(
        "differential_privacy",
        Side::Discriminator,
        "DP-SGD on D: each sample's gradient clipped to norm `clip`, Gaussian noise of std \
         `noise` x `clip` added to their sum; G is private by post-processing. A Renyi-DP \
         accountant reports epsilon at `delta`; the run stops before epsilon passes `epsilon`, \
         or, without `noise`, spends exactly it over the run.",
        "Abadi et al. 2016 (Deep learning with differential privacy); Mironov et al. 2019",
        &[
            param("clip", Float, Def::Float(1.0), Positive, "per-sample gradient norm bound C"),
            param(
                "noise",
                Float,
                Def::Absent,
                Positive,
                "noise multiplier sigma; without it, the least that spends `epsilon` over the run's steps (else 1.1)",
            ),
            param("delta", Float, Def::Float(1e-5), UnitOpen, "the delta of (epsilon, delta)-DP"),
            param("epsilon", Float, Def::Absent, Positive, "privacy budget: training stops before it is spent"),
        ],
    ),
    // ---- optimizers -------------------------------------------------------------------
    entry(
        Kind::Optimizer,
        "adam",
        "Adam; DCGAN uses lr 2e-4, betas (0.5, 0.999) (ganhacks #9).",
        "Kingma & Ba 2014",
        &[
            param("lr", Float, Def::Float(2e-4), Positive, "learning rate"),
            param("betas", FloatPair, Def::Pair(0.5, 0.999), UnitOpen, "moment decays"),
            param("eps", Float, Def::Float(1e-8), Positive, "added to the denominator"),
            param("weight_decay", Float, Def::Float(0.0), NonNegative, "L2 penalty"),
        ],
    ),
    entry(
        Kind::Optimizer,
        "sgd",
        "Stochastic gradient descent with momentum.",
        "Robbins & Monro 1951",
        &[
            param("lr", Float, Def::Float(1e-2), Positive, "learning rate"),
            param("momentum", Float, Def::Float(0.0), UnitOpen, "momentum"),
            param("weight_decay", Float, Def::Float(0.0), NonNegative, "L2 penalty"),
        ],
    ),
    entry(
        Kind::Optimizer,
        "rmsprop",
        "RMSprop; WGAN uses lr 5e-5.",
        "Tieleman & Hinton 2012; Arjovsky et al. 2017",
        &[
            param("lr", Float, Def::Float(5e-5), Positive, "learning rate"),
            param("alpha", Float, Def::Float(0.99), UnitOpen, "smoothing constant"),
            param("eps", Float, Def::Float(1e-8), Positive, "added to the denominator"),
            param("weight_decay", Float, Def::Float(0.0), NonNegative, "L2 penalty"),
        ],
    ),
    // ---- training options -------------------------------------------------------------
    entry(
        Kind::TrainOption,
        "batch",
        "Samples per batch.",
        "standard",
        &[param("value", Int, Def::Int(64), Positive, "batch size")],
    ),
    entry(
        Kind::TrainOption,
        "steps",
        "Generator updates to train for.",
        "standard",
        &[param("value", Int, Def::Int(10_000), Positive, "steps")],
    ),
    entry(
        Kind::TrainOption,
        "seed",
        "Seed of every random choice, for reproducible runs.",
        "standard",
        &[param("value", Int, Def::Int(0), NonNegative, "seed")],
    ),
    entry(
        Kind::TrainOption,
        "d_steps",
        "D updates per G update (n_critic).",
        "Arjovsky et al. 2017; Heusel et al. 2017 (TTUR is two learning rates)",
        &[param("value", Int, Def::Int(1), Positive, "updates")],
    ),
    entry(
        Kind::TrainOption,
        "g_steps",
        "G updates per step.",
        "standard",
        &[param("value", Int, Def::Int(1), Positive, "updates")],
    ),
    entry(
        Kind::TrainOption,
        "unroll",
        "Unrolled GAN: G's loss is computed against D updated k steps ahead on G's batch, G's gradient flowing back through the updates.",
        "Metz et al. 2016 (Unrolled GAN)",
        &[param("value", Int, Def::Int(0), Between(0.0, 100.0), "unrolling steps")],
    ),
    entry(
        Kind::TrainOption,
        "unroll_gradient",
        "Under `unroll`, G's gradient through D's look-ahead updates (`exact`, second order) or with their gradients held constant (`first_order`, cheaper, the variant most re-implementations use).",
        "Metz et al. 2016 (Unrolled GAN)",
        &[param("value", Choice(&["exact", "first_order"]), Def::Name("exact"), Any, "gradient through the updates")],
    ),
    entry(
        Kind::TrainOption,
        "truncation",
        "Truncation trick at sampling: normal (and sphere) latents are drawn from the normal truncated to [-value, value].",
        "Brock et al. 2018 (BigGAN)",
        &[param("value", Float, Def::Float(1.0), Positive, "threshold")],
    ),
    entry(
        Kind::TrainOption,
        "style_mixing",
        "Style mixing regularization: a share of the batches take the style w of a second latent from a random `adain` layer on.",
        "Karras et al. 2019 (StyleGAN)",
        &[param("value", Float, Def::Float(0.9), Unit, "share of the batches mixed")],
    ),
    entry(
        Kind::TrainOption,
        "batches",
        "Real and fake batches through D separately (ganhacks #4) or mixed.",
        "ganhacks #4 (Chintala et al. 2016)",
        &[param("value", Choice(&["separate", "mixed"]), Def::Name("separate"), Any, "batch composition")],
    ),
    entry(
        Kind::TrainOption,
        "fakes",
        "G's step draws fresh latents (Algorithm 1 of Goodfellow et al.) or reuses the fake batch of D's last step: one G forward pass per step, as PyTorch's DCGAN example does.",
        "Goodfellow et al. 2014; Radford et al. 2015 (PyTorch's DCGAN example)",
        &[param("value", Choice(&["fresh", "shared"]), Def::Name("fresh"), Any, "where G's step takes its fakes")],
    ),
    entry(
        Kind::TrainOption,
        "ema",
        "Exponential moving average of a network's weights, used for sampling.",
        "Yazıcı et al. 2019; Karras et al. 2017",
        &[param("decay", Float, Def::Float(0.999), UnitOpen, "decay")],
    ),
    entry(
        Kind::TrainOption,
        "replay",
        "Experience replay: D also sees old fakes from a buffer (ganhacks #8).",
        "Shrivastava et al. 2017; ganhacks #8",
        &[
            param("buffer", Int, Def::Int(10_000), Positive, "samples kept"),
            param("p", Float, Def::Float(0.5), Unit, "share of a fake batch drawn from the buffer"),
        ],
    ),
    entry(
        Kind::TrainOption,
        "progressive",
        "Progressive growing: each stage fades in, then holds.",
        "Karras et al. 2017 (PGGAN)",
        &[
            param("fade", Duration, Def::Int(20_000), Positive, "steps to fade a stage in"),
            param("hold", Duration, Def::Int(20_000), Positive, "steps a stage trains alone"),
        ],
    ),
    entry(Kind::Periodic, "sample", "Writes a sample grid from a fixed latent batch.", "standard", &[]),
    entry(Kind::Periodic, "checkpoint", "Writes a checkpoint atomically.", "standard", &[]),
    entry(Kind::Periodic, "log", "Writes a metrics line.", "standard", &[]),
    entry(
        Kind::Watch,
        "nan",
        "A NaN or infinite loss always stops the run; listing `nan` changes nothing.",
        "ganhacks #10",
        &[],
    )
    .implied(),
    entry(
        Kind::Watch,
        "d_loss_below",
        "Warns when D's loss stays below this (D won; G learns nothing).",
        "ganhacks #10",
        &[param("value", Float, Def::Float(1e-4), Positive, "threshold")],
    ),
    entry(
        Kind::Watch,
        "grad_norm_above",
        "Warns when a gradient norm exceeds this.",
        "ganhacks #10",
        &[param("value", Float, Def::Float(100.0), Positive, "threshold")],
    ),
    // ---- data -------------------------------------------------------------------------
    data(
        "mnist",
        "MNIST handwritten digits, 1x28x28, labels 0-9, pixels in [-1, 1].",
        "LeCun et al. 1998",
        &[SPLIT, LABELLED, PAIRS, FACTOR, EMBEDDINGS],
        DataInfo { value: "image", shape: Some(&[1, 28, 28]), classes: Some(10), unit_range: true },
    ),
    data(
        "fashion_mnist",
        "Fashion-MNIST articles, 1x28x28, 10 classes, pixels in [-1, 1].",
        "Xiao et al. 2017",
        &[SPLIT, LABELLED, PAIRS, FACTOR, EMBEDDINGS],
        DataInfo { value: "image", shape: Some(&[1, 28, 28]), classes: Some(10), unit_range: true },
    ),
    data(
        "cifar10",
        "CIFAR-10 binary batches, 3x32x32, 10 classes, pixels in [-1, 1].",
        "Krizhevsky 2009",
        &[SPLIT, LABELLED, PAIRS, FACTOR, EMBEDDINGS],
        DataInfo { value: "image", shape: Some(&[3, 32, 32]), classes: Some(10), unit_range: true },
    ),
    data(
        "images",
        "A folder of PNG/JPEG images, resized and centre-cropped, pixels in [-1, 1].",
        "standard",
        &[
            param("path", Str, Def::Required, Any, "the folder"),
            param("size", Int, Def::Int(64), Positive, "height and width"),
            param("channels", Int, Def::Int(3), OneOf(&[1, 3, 4]), "1 (grey), 3 (RGB) or 4 (RGBA)"),
            PAIRS,
            FACTOR,
            EMBEDDINGS,
        ],
        DataInfo { value: "image", shape: None, classes: None, unit_range: true },
    ),
    data(
        "paired",
        "A folder of aligned image pairs as pix2pixHD lays them out: inputs in `train_A/`, targets in \
         `train_B/` (`test_A/`, `test_B/` for the test split), matched by file name; both resized and \
         centre-cropped, pixels in [-1, 1]. The targets are the data's `image`; `condition x ~ paired` \
         reads the inputs.",
        "Isola et al. 2017 (pix2pix); Wang et al. 2018 (pix2pixHD)",
        &[
            param("path", Str, Def::Required, Any, "the folder holding train_A/ and train_B/"),
            param("size", Int, Def::Int(64), Positive, "height and width"),
            param("channels", Int, Def::Int(3), OneOf(&[1, 3, 4]), "1 (grey), 3 (RGB) or 4 (RGBA), of both halves"),
            SPLIT,
        ],
        DataInfo { value: "image", shape: None, classes: None, unit_range: true },
    ),
    data(
        "ring",
        "2D mixture of Gaussians on a circle.",
        "Metz et al. 2016; Srivastava et al. 2017 (VEEGAN)",
        &[
            param("modes", Int, Def::Int(8), Positive, "number of Gaussians"),
            param("radius", Float, Def::Float(2.0), Positive, "circle radius"),
            param("std", Float, Def::Float(0.02), Positive, "standard deviation of each mode"),
        ],
        DataInfo { value: "point", shape: Some(&[2]), classes: None, unit_range: false },
    ),
    data(
        "grid",
        "2D mixture of Gaussians on a square grid.",
        "Thanh-Tung & Tran 2019 (0-GP)",
        &[
            param("modes", Int, Def::Int(25), Square, "number of Gaussians, a square number"),
            param("spacing", Float, Def::Float(2.0), Positive, "distance between neighbours"),
            param("std", Float, Def::Float(0.05), Positive, "standard deviation of each mode"),
        ],
        DataInfo { value: "point", shape: Some(&[2]), classes: None, unit_range: false },
    ),
    // ---- inputs -----------------------------------------------------------------------
    entry(
        Kind::Distribution,
        "normal",
        "Standard normal latent, N(0, I) (ganhacks #3: spherical z).",
        "White 2016 (Sampling Generative Networks); ganhacks #3",
        &[DIM],
    ),
    entry(
        Kind::Distribution,
        "uniform",
        "Uniform latent in [low, high].",
        "Goodfellow et al. 2014",
        &[
            DIM,
            param("low", Float, Def::Float(-1.0), Any, "lower end"),
            param("high", Float, Def::Float(1.0), Any, "upper end"),
        ],
    ),
    entry(
        Kind::Distribution,
        "sphere",
        "Normal latent projected onto the unit sphere.",
        "White 2016 (Sampling Generative Networks)",
        &[DIM],
    ),
    entry(
        Kind::Condition,
        "labels",
        "The data's class labels; G gets labels drawn uniformly (ganhacks #16: use labels).",
        "Mirza & Osindero 2014; ganhacks #16",
        &[param("classes", Int, Def::Absent, Positive, "number of classes (must match the data)")],
    ),
    entry(
        Kind::Condition,
        "paired",
        "The input half of each pair of paired data (`paired(...)`, or `pairs: edges` on an image \
         set): D reads a real target with its own input, and G's output for that input with it.",
        "Isola et al. 2017 (pix2pix); Wang et al. 2018 (pix2pixHD)",
        &[],
    ),
    entry(
        Kind::Condition,
        "embeddings",
        "Each sample's embedding vector from the data line's `embeddings: \"file.npy\"` (standing in \
         for StackGAN++'s text embeddings): D reads a real image with its own embedding, and G draws \
         for the embeddings of the real batch. `dim` must equal the file's width.",
        "Reed et al. 2016 (text-to-image GAN); Zhang et al. 2018 (StackGAN++)",
        &[DIM],
    ),
    // ---- metrics ----------------------------------------------------------------------
    entry(
        Kind::Metric,
        "fid",
        "Fréchet distance between Gaussians fitted to real and generated features (lower is better). \
         Features: ganc's own classifier on mnist and fashion_mnist (its weights ship with ganc); \
         Inception-v3's pool features, the standard FID, when `--inception-weights FILE` (or \
         GANC_INCEPTION_WEIGHTS) names pytorch-fid's weights as safetensors, on any image data: \
         python -c \"import torch; from safetensors.torch import save_file; \
         save_file(torch.load('pt_inception-2015-12-05-6726825d.pth'), 'inception.safetensors')\". \
         Nothing is downloaded.",
        "Heusel et al. 2017",
        &[param("samples", Int, Def::Int(10_000), Positive, "generated samples (and real ones)")],
    ),
    entry(
        Kind::Metric,
        "kid",
        "Kernel distance: unbiased squared MMD of the features, cubic polynomial kernel, mean of 100 \
         subsets of up to 1,000 (lower is better; 0 on average for two samples of one distribution). \
         Same features as `fid`.",
        "Bińkowski et al. 2018 (Demystifying MMD GANs)",
        &[param("samples", Int, Def::Int(5_000), Positive, "generated samples (and real ones)")],
    ),
    entry(
        Kind::Metric,
        "inception_score",
        "Inception Score, exp E KL(p(y|x) || p(y)), of the generated samples' class probabilities \
         (higher is better; at most the number of classes). ganc's classifier's 10 classes on \
         mnist and fashion_mnist, Inception-v3's 1,008 with `--inception-weights`.",
        "Salimans et al. 2016",
        &[
            param("samples", Int, Def::Int(5_000), Positive, "generated samples"),
            param("splits", Int, Def::Int(10), Positive, "splits"),
        ],
    ),
    entry(
        Kind::Metric,
        "precision_recall",
        "Improved precision (share of samples within the real features' 3-NN balls: fidelity) and \
         recall (share of real images within the samples' balls: coverage). Same features as `fid`.",
        "Kynkäänniemi et al. 2019",
        &[param("samples", Int, Def::Int(5_000), Positive, "generated samples (and real ones)")],
    ),
    entry(
        Kind::Metric,
        "classes_covered",
        "Classes the classifier finds among the samples, each counted when it holds at least a \
         tenth of an even share (mode collapse on labelled data).",
        "Srivastava et al. 2017 (VEEGAN); Lin et al. 2018 (PacGAN)",
        &[param("samples", Int, Def::Int(5_000), Positive, "generated samples")],
    ),
    entry(
        Kind::Metric,
        "class_accuracy",
        "A class-conditional generator on MNIST or Fashion-MNIST: the share of its samples, the \
         classes drawn in turn, that ganc's classifier labels as the class they were drawn for \
         (higher is better; measured while training).",
        "Odena et al. 2017 (AC-GAN); Zhang et al. 2018 (StackGAN++)",
        &[param("samples", Int, Def::Int(5_000), Positive, "generated samples")],
    ),
    entry(
        Kind::Metric,
        "test_error",
        "The share of the data's test split that a classifying D (`loss semi_supervised`) labels \
         wrong (lower is better).",
        "Salimans et al. 2016 (Improved Techniques)",
        &[],
    ),
    entry(
        Kind::Metric,
        "l1",
        "Paired data: the mean absolute error per pixel between G's output for each input of the \
         test split and its target (lower is better).",
        "Isola et al. 2017 (pix2pix)",
        &[],
    ),
    entry(
        Kind::Metric,
        "stage_gap",
        "A stacked generator: the mean absolute difference per pixel between each stage's images \
         and the next stage's images average-pooled to their side, over 1,000 samples and every \
         pair of neighbouring stages (lower: the stages draw the same picture).",
        "Zhang et al. 2018 (StackGAN++)",
        &[],
    ),
    entry(
        Kind::Metric,
        "reconstruction",
        "BiGAN: the mean squared error per pixel between the test split's images x and G(E(x)) \
         (lower is better).",
        "Donahue et al. 2017 (BiGAN); Dumoulin et al. 2017 (ALI)",
        &[],
    ),
    entry(
        Kind::Metric,
        "linear_probe",
        "BiGAN: the test accuracy of a linear classifier fitted to the encoder's codes of 10,000 \
         training images (higher is better).",
        "Donahue et al. 2017 (BiGAN)",
        &[],
    ),
    entry(
        Kind::Metric,
        "elbo",
        "AVB: the evidence lower bound on the test split in nats per image, log p(x|z) - D(x, z) \
         for z = E(x, noise) (higher is better).",
        "Mescheder et al. 2017 (Adversarial Variational Bayes)",
        &[],
    ),
    entry(
        Kind::Metric,
        "modes",
        "Modes covered and share of high-quality samples (2D mixtures).",
        "Srivastava et al. 2017 (VEEGAN)",
        &[param("samples", Int, Def::Int(2_500), Positive, "generated samples")],
    ),
    // ---- wrappers ---------------------------------------------------------------------
    entry(
        Kind::Wrapper,
        "spectral",
        "Spectral normalization of one weight layer: W / sigma(W), by power iteration.",
        "Miyato et al. 2018 (SN-GAN)",
        &[],
    ),
    entry(
        Kind::Wrapper,
        "equalized",
        "Equalized learning rate for one weight layer: weights scaled by He's constant at run time.",
        "Karras et al. 2017 (PGGAN)",
        &[],
    ),
    entry(
        Kind::Wrapper,
        "weight_norm",
        "Weight normalization of one weight layer: each output unit's weights v rescaled to a \
         learned length g, w = g v / |v| (g starts at |v|, so the layer starts unchanged).",
        "Salimans & Kingma 2016 (Weight Normalization); Salimans et al. 2016 (Improved Techniques)",
        &[],
    ),
    // ---- schedules --------------------------------------------------------------------
    entry(Kind::Schedule, "linear", "Decays linearly from 1 to 0 over the steps.", "standard", &[]),
    entry(
        Kind::Schedule,
        "cosine",
        "Decays along half a cosine from 1 to 0 over the steps.",
        "Loshchilov & Hutter 2016",
        &[],
    ),
    entry(
        Kind::Schedule,
        "exponential",
        "Decays as exp(-5t)(1 - t), reaching 0 at the end of the steps.",
        "standard",
        &[],
    ),
    // ---- discriminator outputs --------------------------------------------------------
    output("logit", Needs::Score, "One raw score per sample: `[1]`.", "Goodfellow et al. 2014"),
    output(
        "patch",
        Needs::Patch,
        "A map of raw scores, one per image patch: `[1, h, w]`; the loss averages over the patches.",
        "Isola et al. 2017 (pix2pix, PatchGAN)",
    ),
    output("score", Needs::Score, "One raw score per sample, for a critic: `[1]`.", "Arjovsky et al. 2017 (WGAN)"),
    output(
        "logits",
        Needs::ScoreAndClasses,
        "A score and one logit per class: `[1 + classes]`.",
        "Odena et al. 2017 (AC-GAN)",
    ),
    output(
        "joint",
        Needs::Joint,
        "An unconditional and a conditional score side by side, `[2]`: StackGAN++'s joint \
         discriminator, one head on the image alone and one on the image with its condition; the \
         loss gives both heads the same targets and averages them.",
        "Zhang et al. 2018 (StackGAN++)",
    ),
    output(
        "classes",
        Needs::Classes,
        "One logit per class, the fake class implicit (a K+1-class D): `[classes]`.",
        "Salimans et al. 2016 (Improved Techniques)",
    ),
];
