//! The shape rule of every registry layer ([`ShapeRule`]) and its parameter count.

use crate::args::Args;
use crate::ir::Shape;
use crate::value::Const;
use ganc_diagnostics::{codes, Code};
use ganc_registry::{ShapeRule, Spec};

/// Why a layer cannot take its input.
#[derive(Debug)]
pub struct ShapeError {
    /// The diagnostic code.
    pub code: Code,
    /// The message, with the incoming shape.
    pub message: String,
    /// Text under the layer.
    pub label: String,
    /// What to do.
    pub help: String,
    /// The argument to point at instead of the whole layer, when one is to blame.
    pub arg: Option<&'static str>,
}

fn err(code: Code, message: String, label: impl Into<String>, help: impl Into<String>) -> Box<ShapeError> {
    Box::new(ShapeError { code, message, label: label.into(), help: help.into(), arg: None })
}

fn rank(spec: &Spec, input: &Shape, wanted: &str, help: &str) -> Box<ShapeError> {
    err(
        codes::RANK_MISMATCH,
        format!("`{}` expects {wanted}, found {}", spec.name, describe(input)),
        format!("incoming shape {input}"),
        help,
    )
}

/// "a vector [6272]", "an image [64, 7, 7]", "class labels".
pub fn describe(shape: &Shape) -> String {
    match shape {
        Shape::Tensor(d) if d.len() == 1 => format!("a vector {shape}"),
        Shape::Tensor(d) if d.len() == 3 => format!("an image {shape}"),
        Shape::Tensor(_) => format!("a tensor {shape}"),
        Shape::Labels(k) => format!("class labels ({k} classes)"),
        Shape::Unknown => "an unknown shape".into(),
    }
}

fn image(spec: &Spec, input: &Shape) -> Result<[i64; 3], Box<ShapeError>> {
    match input.dims() {
        Some(&[c, h, w]) => Ok([c, h, w]),
        _ => Err(rank(
            spec,
            input,
            "an image [C, H, W]",
            if input.dims().map(|d| d.len()) == Some(1) {
                "reshape the vector first, e.g. `reshape(C, H, W)`"
            } else {
                "this layer works on feature maps"
            },
        )),
    }
}

fn vector_or_image(spec: &Spec, input: &Shape) -> Result<(), Box<ShapeError>> {
    match input.dims() {
        Some(d) if d.len() == 1 || d.len() == 3 => Ok(()),
        _ => Err(rank(spec, input, "a vector [n] or an image [C, H, W]", "apply it to features, not to labels")),
    }
}

/// Output size of a convolution along one axis, or the error.
fn conv_axis(
    spec: &Spec,
    axis: &str,
    size: i64,
    kernel: i64,
    stride: i64,
    padding: i64,
    input: &Shape,
) -> Result<i64, Box<ShapeError>> {
    let padded = size + 2 * padding;
    if kernel > padded {
        let mut e = err(
            codes::KERNEL_TOO_LARGE,
            format!(
                "`{}` kernel {kernel} is larger than its input {input} ({axis} {size}, padded to {padded})",
                spec.name
            ),
            format!("kernel {kernel} > {padded}"),
            format!("use a kernel of at most {padded}, or apply this layer at a higher resolution"),
        );
        e.arg = Some("kernel");
        return Err(e);
    }
    if (padded - kernel) % stride != 0 {
        let mut e = err(
            codes::STRIDE_NOT_DIVIDING,
            format!(
                "`{}` stride {stride} does not divide the input {input}: ({axis} {size} + 2 * padding {padding} - kernel {kernel}) = {} is not a multiple of {stride}",
                spec.name,
                padded - kernel
            ),
            format!("the last {} {axis} positions would be dropped", (padded - kernel) % stride),
            suggest_padding(size, kernel, stride, padding),
        );
        e.arg = Some("stride");
        return Err(e);
    }
    Ok((padded - kernel) / stride + 1)
}

fn suggest_padding(size: i64, kernel: i64, stride: i64, padding: i64) -> String {
    (0..=kernel)
        .find(|p| (size + 2 * p - kernel) % stride == 0 && *p != padding)
        .map(|p| format!("padding {p} makes it divide (output {})", (size + 2 * p - kernel) / stride + 1))
        .unwrap_or_else(|| "change the kernel, stride or padding so that the stride divides".into())
}

/// The output shape of `spec` for `input` (and the `second` value it reads, if any).
pub fn infer(spec: &Spec, args: &Args, input: &Shape, second: Option<&Shape>) -> Result<Shape, Box<ShapeError>> {
    let rule = spec.layer.expect("only layers have shape rules").shape;
    if rule == ShapeRule::Constant {
        return Ok(Shape::Tensor(vec![args.int("channels"), args.int("height"), args.int("width")]));
    }
    if *input == Shape::Unknown || second == Some(&Shape::Unknown) {
        return Ok(Shape::Unknown);
    }
    if rule != ShapeRule::Embedding {
        if let Shape::Labels(_) = input {
            return Err(rank(spec, input, "features", "turn labels into features first with `embedding(dim)`"));
        }
    }
    let t = |d: Vec<i64>| Ok(Shape::Tensor(d));
    match rule {
        ShapeRule::Linear => match input.dims() {
            Some(&[_]) => t(vec![args.int("features")]),
            _ => Err(rank(spec, input, "a vector [n]", "add `flatten` before it")),
        },
        ShapeRule::Conv => {
            let [_, h, w] = image(spec, input)?;
            let (k, s, p) = (args.int("kernel"), args.int("stride"), args.int("padding"));
            let oh = conv_axis(spec, "height", h, k, s, p, input)?;
            let ow = conv_axis(spec, "width", w, k, s, p, input)?;
            t(vec![args.int("channels"), oh, ow])
        }
        ShapeRule::Deconv => {
            let [_, h, w] = image(spec, input)?;
            let (k, s, p, op) =
                (args.int("kernel"), args.int("stride"), args.int("padding"), args.int("output_padding"));
            let out = |x: i64| (x - 1) * s - 2 * p + k + op;
            if out(h) <= 0 || out(w) <= 0 {
                let mut e = err(
                    codes::KERNEL_TOO_LARGE,
                    format!(
                        "`deconv` padding {p} removes the whole output of {input} ((H - 1) * {s} + {k} = {})",
                        (h - 1) * s + k
                    ),
                    "the output would be empty",
                    "reduce the padding",
                );
                e.arg = Some("padding");
                return Err(e);
            }
            if op >= s && op > 0 {
                let mut e = err(
                    codes::OUT_OF_RANGE,
                    format!("`deconv` output_padding {op} must be smaller than the stride {s}"),
                    "too large",
                    "use an output_padding below the stride",
                );
                e.code = codes::OUT_OF_RANGE;
                e.arg = Some("output_padding");
                return Err(e);
            }
            t(vec![args.int("channels"), out(h), out(w)])
        }
        ShapeRule::Upsample => {
            let [c, h, w] = image(spec, input)?;
            let s = args.int("scale");
            t(vec![c, h.saturating_mul(s), w.saturating_mul(s)])
        }
        ShapeRule::PixelShuffle => {
            let [c, h, w] = image(spec, input)?;
            let f = args.int("factor");
            let f2 = f.saturating_mul(f);
            if c % f2 != 0 {
                return Err(err(
                    codes::CHANNELS_NOT_DIVISIBLE,
                    format!("`pixel_shuffle({f})` needs channels divisible by {f2}, found {c} channels in {input}"),
                    format!("{c} is not a multiple of {f}^2 = {f2}"),
                    format!("give the layer before it {} or {} channels", (c / f2).max(1) * f2, (c / f2 + 1) * f2),
                ));
            }
            t(vec![c / f2, h.saturating_mul(f), w.saturating_mul(f)])
        }
        ShapeRule::Pool => {
            let [c, h, w] = image(spec, input)?;
            let k = args.int("kernel");
            let oh = conv_axis(spec, "height", h, k, k, 0, input)?;
            let ow = conv_axis(spec, "width", w, k, k, 0, input)?;
            t(vec![c, oh, ow])
        }
        ShapeRule::GlobalPool => {
            let [c, _, _] = image(spec, input)?;
            t(vec![c])
        }
        ShapeRule::Flatten => t(vec![input.numel().unwrap_or(0)]),
        ShapeRule::Reshape => {
            let Some(Const::Ints(dims)) = args.get("dims") else { return Ok(Shape::Unknown) };
            let wanted = dims.iter().try_fold(1i64, |a, b| a.checked_mul(*b));
            let have = input.numel().unwrap_or(0);
            if wanted != Some(have) {
                let wanted_text = wanted.map_or("more than 2^63".to_string(), |w| w.to_string());
                let mut e = err(
                    codes::RESHAPE_COUNT,
                    format!(
                        "`reshape` to {} needs {wanted_text} elements, but the input {input} has {have}",
                        Shape::Tensor(dims.clone())
                    ),
                    format!("{wanted_text} elements != {have}"),
                    reshape_help(dims, have),
                );
                e.arg = Some("dims");
                return Err(e);
            }
            t(dims.clone())
        }
        ShapeRule::Constant => unreachable!("handled above"),
        ShapeRule::Embedding => match input {
            Shape::Labels(_) => t(vec![args.int("dim")]),
            _ => Err(err(
                codes::WRONG_INPUT_KIND,
                format!("`embedding` expects class labels, found {}", describe(input)),
                format!("incoming shape {input}"),
                "start the pipeline from a condition: `let e = y |> embedding(64)`",
            )),
        },
        ShapeRule::Elementwise => {
            vector_or_image(spec, input)?;
            Ok(input.clone())
        }
        ShapeRule::Spatial => {
            image(spec, input)?;
            Ok(input.clone())
        }
        ShapeRule::GroupNorm => {
            let c = match input.dims() {
                Some(d) if d.len() == 1 || d.len() == 3 => d[0],
                _ => return Err(rank(spec, input, "a vector [n] or an image [C, H, W]", "apply it to features")),
            };
            let g = args.int("groups");
            if c % g != 0 {
                let mut e = err(
                    codes::CHANNELS_NOT_DIVISIBLE,
                    format!("`groupnorm({g})` needs channels divisible by {g}, found {c} channels in {input}"),
                    format!("{c} channels cannot form {g} equal groups"),
                    format!("use a number of groups that divides {c}, e.g. {}", divisors_near(c, g)),
                );
                e.arg = Some("groups");
                return Err(e);
            }
            Ok(input.clone())
        }
        ShapeRule::ConditionalNorm => {
            vector_or_image(spec, input)?;
            labels(spec, second)?;
            Ok(input.clone())
        }
        ShapeRule::Adain => {
            image(spec, input)?;
            match second {
                Some(Shape::Tensor(d)) if d.len() == 1 => Ok(input.clone()),
                Some(s) => Err(err(
                    codes::WRONG_INPUT_KIND,
                    format!("`adain` takes a style vector, found {}", describe(s)),
                    "not a vector",
                    "compute the style with a mapping network: `let w = z { linear(128) ... }`",
                )),
                None => Ok(Shape::Unknown),
            }
        }
        ShapeRule::SelfAttention => {
            let [c, _, _] = image(spec, input)?;
            let (r, heads) = (args.int("reduction"), args.int("heads"));
            for (what, n, arg) in [("reduction", r, "reduction"), ("heads", heads, "heads")] {
                if c % n != 0 || c / n == 0 {
                    let mut e = err(
                        codes::CHANNELS_NOT_DIVISIBLE,
                        format!("`self_attention` needs channels divisible by its {what} {n}, found {c} channels in {input}"),
                        format!("{c} is not a multiple of {n}"),
                        format!("give the layer before it a multiple of {n} channels, or change `{arg}`"),
                    );
                    e.arg = Some(arg);
                    return Err(e);
                }
            }
            Ok(input.clone())
        }
        ShapeRule::MinibatchDiscrimination => match input.dims() {
            Some(&[n]) => t(vec![n + args.int("kernels")]),
            _ => Err(rank(spec, input, "a vector [n]", "add `flatten` before it")),
        },
        ShapeRule::MinibatchStddev => {
            let [c, h, w] = image(spec, input)?;
            t(vec![c + 1, h, w])
        }
        ShapeRule::Projection => {
            match input.dims() {
                Some(&[_]) => {}
                _ => return Err(rank(spec, input, "a vector [n]", "pool the features first, e.g. `global_sum_pool`")),
            }
            labels(spec, second)?;
            t(vec![1])
        }
        ShapeRule::Concat => {
            let Some(other) = second else { return Ok(Shape::Unknown) };
            concat(input, other)
        }
        ShapeRule::Add => {
            let Some(other) = second else { return Ok(Shape::Unknown) };
            if other != input {
                return Err(err(
                    codes::SHAPES_DIFFER,
                    format!("`add` needs equal shapes, found {input} and {other}"),
                    format!("current value {input}, added value {other}"),
                    "make both paths end at the same shape",
                ));
            }
            Ok(input.clone())
        }
    }
}

fn labels(spec: &Spec, second: Option<&Shape>) -> Result<(), Box<ShapeError>> {
    match second {
        Some(Shape::Labels(_)) | None => Ok(()),
        Some(s) => Err(err(
            codes::WRONG_INPUT_KIND,
            format!("`{}` takes class labels, found {}", spec.name, describe(s)),
            "not class labels",
            "pass a condition declared as `condition y ~ labels`",
        )),
    }
}

fn concat(input: &Shape, other: &Shape) -> Result<Shape, Box<ShapeError>> {
    let mismatch = |why: &str| {
        err(
            codes::SHAPES_DIFFER,
            format!("`concat` cannot join {} and {}: {why}", describe(input), describe(other)),
            format!("current value {input}, joined value {other}"),
            "concat joins along the first axis: the other axes must agree (a vector is tiled over an image)",
        )
    };
    match (input.dims(), other.dims()) {
        (Some(a), Some(b)) if a.len() == b.len() => {
            if a[1..] != b[1..] {
                return Err(mismatch("their trailing axes differ"));
            }
            let mut d = a.to_vec();
            d[0] += b[0];
            Ok(Shape::Tensor(d))
        }
        (Some(&[c, h, w]), Some(&[k])) | (Some(&[k]), Some(&[c, h, w])) => Ok(Shape::Tensor(vec![c + k, h, w])),
        _ => Err(mismatch("embed labels first, e.g. `let e = y |> embedding(32)`")),
    }
}

fn reshape_help(dims: &[i64], have: i64) -> String {
    if let [first, rest @ ..] = dims {
        let rest_n: i64 = rest.iter().product();
        if rest_n > 0 && have % rest_n == 0 && !rest.is_empty() {
            let mut fixed = vec![have / rest_n];
            fixed.extend_from_slice(rest);
            return format!(
                "`reshape({})` keeps the {have} elements (or change the layer before it to give {} features)",
                fixed.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                first.saturating_mul(rest_n)
            );
        }
    }
    format!("the new dimensions must multiply to {have}")
}

fn divisors_near(c: i64, g: i64) -> String {
    let mut best: Vec<i64> = (1..=c.min(4096)).filter(|d| c % d == 0).collect();
    best.sort_by_key(|d| (d - g).abs());
    best.first().map_or("1".into(), |d| d.to_string())
}

/// Trainable parameters of a layer with these shapes.
pub fn param_count(spec: &Spec, args: &Args, input: &Shape, output: &Shape, second: Option<&Shape>) -> u64 {
    let dims = |s: &Shape| s.dims().map(|d| d.iter().map(|x| *x as u64).collect::<Vec<_>>()).unwrap_or_default();
    let (i, o) = (dims(input), dims(output));
    let first = |v: &[u64]| v.first().copied().unwrap_or(0);
    let bias = |n: u64| if args.get("bias") == Some(&Const::Bool(false)) { 0 } else { n };
    let classes = match second.or(Some(input)) {
        Some(Shape::Labels(k)) => *k as u64,
        _ => 0,
    };
    let k = args.int("kernel").max(0) as u64;
    let c = first(&i);
    let sat = |xs: &[u64]| xs.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let mul = |xs: &[u64]| xs.iter().fold(1u64, |a, b| a.saturating_mul(*b));
    match spec.name {
        "linear" => sat(&[mul(&[first(&i), first(&o)]), bias(first(&o))]),
        "conv" | "deconv" => sat(&[mul(&[c, first(&o), k, k]), bias(first(&o))]),
        "embedding" => mul(&[classes, first(&o)]),
        "constant" => mul(&o),
        "batchnorm" | "virtual_batchnorm" | "groupnorm" => 2 * c,
        "instancenorm" => {
            if args.get("affine") == Some(&Const::Bool(false)) {
                0
            } else {
                2 * c
            }
        }
        "layernorm" => 2 * mul(&i),
        "conditional_batchnorm" => mul(&[
            2,
            c,
            second
                .and_then(|s| match s {
                    Shape::Labels(k) => Some(*k as u64),
                    _ => None,
                })
                .unwrap_or(0),
        ]),
        "adain" => {
            let style = second.map(|s| first(&dims(s))).unwrap_or(0);
            sat(&[mul(&[style, 2 * c]), 2 * c])
        }
        "noise_injection" => c,
        "self_attention" => {
            let r = c / (args.int("reduction").max(1) as u64);
            sat(&[2 * (c * r + r), c * c + c, 1])
        }
        "minibatch_discrimination" => mul(&[first(&i), args.int("kernels") as u64, args.int("dims") as u64]),
        "projection" => {
            let k = second.and_then(|s| match s {
                Shape::Labels(k) => Some(*k as u64),
                _ => None,
            });
            sat(&[c + 1, mul(&[k.unwrap_or(0), c])])
        }
        _ => 0,
    }
}
