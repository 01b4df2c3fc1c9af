//! The shape rule of every registry layer ([`ShapeRule`]) and its parameter count
//! ([`ParamRule`]). All arithmetic on sizes is exact: a size that leaves the 64-bit range is an
//! error (E0310), never a wrapped or saturated number, and an output too large for memory is
//! one too (E0311, see [`crate::memory`]).

use crate::args::Args;
use crate::ir::Shape;
use crate::memory;
use crate::value::Const;
use ganc_diagnostics::{codes, Code, Diagnostic, Span};
use ganc_registry::{ParamRule, ShapeRule, Spec};

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

impl ShapeError {
    /// The diagnostic at the layer call `call` (or at the argument to blame, with the call as a
    /// secondary label).
    pub fn diagnostic(self, spec: &Spec, args: &Args, call: Span) -> Diagnostic {
        let span = self.arg.and_then(|a| args.span(a)).unwrap_or(call);
        let mut d = Diagnostic::new(self.code, span, self.message).label(self.label).help(self.help);
        if span != call {
            d = d.with_secondary(call, format!("in this `{}`", spec.name));
        }
        d
    }
}

fn err(code: Code, message: String, label: impl Into<String>, help: impl Into<String>) -> Box<ShapeError> {
    Box::new(ShapeError { code, message, label: label.into(), help: help.into(), arg: None })
}

/// `value` as a size, or E0310 naming the `quantity` and the `formula` that gave it.
fn fit(spec: &Spec, quantity: &str, value: i128, formula: impl FnOnce() -> String) -> Result<i64, Box<ShapeError>> {
    i64::try_from(value).map_err(|_| {
        err(
            codes::TOO_LARGE,
            format!("the {quantity} of `{}` is too large: {} = {value} does not fit in 64 bits", spec.name, formula()),
            format!("{quantity} {value}"),
            "use sizes a GPU can hold: widths and resolutions in the thousands, not billions",
        )
    })
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
    let padded = fit(spec, &format!("padded {axis}"), size as i128 + 2 * padding as i128, || {
        format!("{axis} {size} + 2 * padding {padding}")
    })?;
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
            suggest_padding(size, kernel, stride),
        );
        e.arg = Some("stride");
        return Err(e);
    }
    Ok((padded - kernel) / stride + 1)
}

/// The smallest padding of at most `kernel` that keeps the kernel inside the padded input and
/// lets `stride` divide, solved for (the sizes may be any 64-bit numbers, so no search).
fn suggest_padding(size: i64, kernel: i64, stride: i64) -> String {
    let (size, kernel, stride) = (size as i128, kernel as i128, stride as i128);
    // `stride` divides `size + 2p - kernel` exactly when 2p = kernel - size (mod stride): the
    // solutions p are `first + n * step`. With an even stride and an odd difference there are
    // none.
    let need = (kernel - size).rem_euclid(stride);
    let solutions = if stride % 2 == 1 {
        // 2 has the inverse (stride + 1) / 2 modulo an odd stride.
        Some((need * ((stride + 1) / 2) % stride, stride))
    } else {
        (need % 2 == 0).then_some((need / 2, stride / 2))
    };
    // The least padding that keeps the kernel inside the padded input.
    let least = ((kernel - size + 1) / 2).max(0);
    match solutions.map(|(first, step)| least + (first - least).rem_euclid(step)) {
        Some(p) if p <= kernel => {
            format!("padding {p} makes it divide (output {})", (size + 2 * p - kernel) / stride + 1)
        }
        _ => "change the kernel, stride or padding so that the stride divides".into(),
    }
}

/// The output shape of `spec` for `input` (and the `second` value it reads, if any); an output
/// that one sample cannot hold in memory is an error.
pub fn infer(spec: &Spec, args: &Args, input: &Shape, second: Option<&Shape>) -> Result<Shape, Box<ShapeError>> {
    let output = infer_rule(spec, args, input, second)?;
    if let Some(too_big) = memory::activation(&output) {
        return Err(err(
            codes::TOO_LARGE_FOR_MEMORY,
            format!("the output {output} of `{}` needs {too_big} per sample", spec.name),
            format!("{too_big} per sample"),
            format!(
                "one activation of one sample may take at most {}: reduce the width or the resolution",
                memory::describe_bytes(memory::MAX_ACTIVATION_BYTES.into())
            ),
        ));
    }
    Ok(output)
}

fn infer_rule(spec: &Spec, args: &Args, input: &Shape, second: Option<&Shape>) -> Result<Shape, Box<ShapeError>> {
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
        ShapeRule::Augment => match input.dims() {
            Some(&[_]) => t(vec![args.int("dim")]),
            _ => Err(rank(
                spec,
                input,
                "a vector [n]",
                "augment an embedding: `let c = y |> embedding(32) |> conditioning_augmentation(16)`",
            )),
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
            let wide = |x: i64| (x as i128 - 1) * s as i128 + k as i128;
            let out = |x: i64| wide(x) - 2 * p as i128 + op as i128;
            if out(h) <= 0 || out(w) <= 0 {
                let mut e = err(
                    codes::KERNEL_TOO_LARGE,
                    format!(
                        "`deconv` padding {p} removes the whole output of {input} ((H - 1) * {s} + {k} = {})",
                        wide(h.min(w))
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
            let formula = |axis: &'static str, x: i64| {
                move || format!("({axis} {x} - 1) * stride {s} - 2 * padding {p} + kernel {k} + output_padding {op}")
            };
            let oh = fit(spec, "output height", out(h), formula("height", h))?;
            let ow = fit(spec, "output width", out(w), formula("width", w))?;
            t(vec![args.int("channels"), oh, ow])
        }
        ShapeRule::Upsample => {
            let [c, h, w] = image(spec, input)?;
            let s = args.int("scale");
            let oh = fit(spec, "output height", h as i128 * s as i128, || format!("height {h} * scale {s}"))?;
            let ow = fit(spec, "output width", w as i128 * s as i128, || format!("width {w} * scale {s}"))?;
            t(vec![c, oh, ow])
        }
        ShapeRule::PixelShuffle => {
            let [c, h, w] = image(spec, input)?;
            let f = args.int("factor");
            let (c, f2) = (c as i128, f as i128 * f as i128);
            if c % f2 != 0 {
                return Err(err(
                    codes::CHANNELS_NOT_DIVISIBLE,
                    format!("`pixel_shuffle({f})` needs channels divisible by {f2}, found {c} channels in {input}"),
                    format!("{c} is not a multiple of {f}^2 = {f2}"),
                    format!("give the layer before it {} or {} channels", (c / f2).max(1) * f2, (c / f2 + 1) * f2),
                ));
            }
            let oh = fit(spec, "output height", h as i128 * f as i128, || format!("height {h} * factor {f}"))?;
            let ow = fit(spec, "output width", w as i128 * f as i128, || format!("width {w} * factor {f}"))?;
            t(vec![(c / f2) as i64, oh, ow])
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
        ShapeRule::Flatten => match input.numel() {
            Some(n) => t(vec![n]),
            None => Err(element_count(spec, input)),
        },
        ShapeRule::Reshape => {
            let Some(Const::Ints(dims)) = args.get("dims") else { return Ok(Shape::Unknown) };
            let wanted = dims.iter().try_fold(1i64, |a, b| a.checked_mul(*b));
            let Some(have) = input.numel() else { return Err(element_count(spec, input)) };
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
            Some(&[n]) => {
                let kernels = args.int("kernels");
                t(vec![fit(spec, "output size", n as i128 + kernels as i128, || format!("{n} + kernels {kernels}"))?])
            }
            _ => Err(rank(spec, input, "a vector [n]", "add `flatten` before it")),
        },
        ShapeRule::MinibatchStddev => {
            let [c, h, w] = image(spec, input)?;
            t(vec![fit(spec, "channel count", c as i128 + 1, || format!("{c} + 1"))?, h, w])
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
            concat(spec, input, other)
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

fn concat(spec: &Spec, input: &Shape, other: &Shape) -> Result<Shape, Box<ShapeError>> {
    let mismatch = |why: &str| {
        err(
            codes::SHAPES_DIFFER,
            format!("`concat` cannot join {} and {}: {why}", describe(input), describe(other)),
            format!("current value {input}, joined value {other}"),
            "concat joins along the first axis: the other axes must agree (a vector is tiled over an image)",
        )
    };
    let sum = |a: i64, b: i64| fit(spec, "joined size", a as i128 + b as i128, || format!("{a} + {b}"));
    match (input.dims(), other.dims()) {
        (Some(a), Some(b)) if a.len() == b.len() => {
            if a[1..] != b[1..] {
                return Err(mismatch("their trailing axes differ"));
            }
            let mut d = a.to_vec();
            d[0] = sum(a[0], b[0])?;
            Ok(Shape::Tensor(d))
        }
        (Some(&[c, h, w]), Some(&[k])) | (Some(&[k]), Some(&[c, h, w])) => Ok(Shape::Tensor(vec![sum(c, k)?, h, w])),
        _ => Err(mismatch("embed labels first, e.g. `let e = y |> embedding(32)`")),
    }
}

/// E0310 for an input whose element count leaves the 64-bit range.
fn element_count(spec: &Spec, input: &Shape) -> Box<ShapeError> {
    err(
        codes::TOO_LARGE,
        format!("the element count of the input {input} of `{}` does not fit in 64 bits", spec.name),
        "too many elements",
        "use sizes a GPU can hold: widths and resolutions in the thousands, not billions",
    )
}

fn reshape_help(dims: &[i64], have: i64) -> String {
    if let [first, rest @ ..] = dims {
        let rest_n = rest.iter().try_fold(1i64, |a, b| a.checked_mul(*b));
        if let Some(rest_n) = rest_n.filter(|n| *n > 0 && have % n == 0 && !rest.is_empty()) {
            let mut fixed = vec![have / rest_n];
            fixed.extend_from_slice(rest);
            return format!(
                "`reshape({})` keeps the {have} elements (or change the layer before it to give {} features)",
                fixed.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                *first as i128 * rest_n as i128
            );
        }
    }
    format!("the new dimensions must multiply to {have}")
}

/// The divisor of `c` nearest to `g`, among the divisors up to 4096 and their cofactors (a
/// bounded search, whatever the size of `c`).
fn divisors_near(c: i64, g: i64) -> String {
    let small = (1..=c.min(4096)).filter(|d| c % d == 0);
    let best = small.flat_map(|d| [d, c / d]).min_by_key(|d| (*d as i128 - g as i128).abs());
    best.map_or("1".into(), |d| d.to_string())
}

/// Trainable parameters of a layer with these shapes, counted by its registry [`ParamRule`];
/// a count beyond 64 bits is an error.
pub fn param_count(
    spec: &Spec,
    args: &Args,
    input: &Shape,
    output: &Shape,
    second: Option<&Shape>,
) -> Result<u64, Box<ShapeError>> {
    let Some(info) = spec.layer else { return Ok(0) };
    let first = |s: &Shape| s.dims().and_then(|d| d.first()).map_or(0, |x| u64::try_from(*x).unwrap_or(0));
    // An unknown shape (after an error) counts nothing; a known one beyond 64 bits fails.
    let numel = |s: &Shape| match s.dims() {
        Some(_) => s.numel().map(|n| u64::try_from(n).unwrap_or(0)),
        None => Some(0),
    };
    let arg = |name: &str| u64::try_from(args.int(name)).unwrap_or(0);
    let (c, o) = (first(input), first(output));
    let classes = match second.or(Some(input)) {
        Some(Shape::Labels(k)) => u64::from(*k),
        _ => 0,
    };
    let off = |name: &str| args.get(name) == Some(&Const::Bool(false));
    let bias = if off("bias") { 0 } else { o };
    let product = |xs: &[u64]| xs.iter().try_fold(1u64, |a, b| a.checked_mul(*b));
    let count = match info.trainable {
        ParamRule::None => Some(0),
        ParamRule::Dense => product(&[c, o]).and_then(|n| n.checked_add(bias)),
        ParamRule::Kernel => product(&[c, o, arg("kernel"), arg("kernel")]).and_then(|n| n.checked_add(bias)),
        ParamRule::PerClass => product(&[classes, o]),
        ParamRule::WholeOutput => numel(output),
        ParamRule::ScaleShift => Some(if off("affine") { 0 } else { 2 * c }),
        ParamRule::ScaleShiftPerElement => numel(input).and_then(|n| n.checked_mul(2)),
        ParamRule::ScaleShiftPerClass => product(&[2, c, classes]),
        ParamRule::Style => product(&[second.map_or(0, first), 2, c]).and_then(|n| n.checked_add(2 * c)),
        ParamRule::PerChannel => Some(c),
        ParamRule::Attention => {
            let r = c / arg("reduction").max(1);
            let qk = product(&[c, r]).and_then(|n| n.checked_add(r)).and_then(|n| n.checked_mul(2));
            let v = product(&[c, c]).and_then(|n| n.checked_add(c + 1));
            qk.zip(v).and_then(|(a, b)| a.checked_add(b))
        }
        ParamRule::MinibatchKernels => product(&[c, arg("kernels"), arg("dims")]),
        ParamRule::Projection => product(&[classes, c]).and_then(|n| n.checked_add(c + 1)),
        ParamRule::Augment => product(&[c + 1, 2, arg("dim")]),
    };
    count.ok_or_else(|| {
        err(
            codes::TOO_LARGE,
            format!("the parameter count of `{}` from {input} to {output} does not fit in 64 bits", spec.name),
            "too many parameters",
            "use widths a GPU can hold: channels and features in the thousands, not billions",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::suggest_padding;

    const NONE: &str = "change the kernel, stride or padding so that the stride divides";

    /// The search that the arithmetic replaces: fine for small sizes.
    fn searched(size: i64, kernel: i64, stride: i64) -> String {
        (0..=kernel)
            .find(|p| size + 2 * p >= kernel && (size + 2 * p - kernel) % stride == 0)
            .map(|p| format!("padding {p} makes it divide (output {})", (size + 2 * p - kernel) / stride + 1))
            .unwrap_or_else(|| NONE.into())
    }

    #[test]
    fn the_suggested_padding_is_the_least_that_divides() {
        for size in 1..40 {
            for kernel in 1..12 {
                for stride in 1..7 {
                    assert_eq!(suggest_padding(size, kernel, stride), searched(size, kernel, stride));
                }
            }
        }
    }

    #[test]
    fn huge_kernels_are_solved_not_searched() {
        let (size, kernel, stride) = (28i128, 4_000_000_000_000_000_001i128, 3i128);
        let text = suggest_padding(size as i64, kernel as i64, stride as i64);
        let p: i128 = text.strip_prefix("padding ").and_then(|t| t.split(' ').next()).unwrap().parse().unwrap();
        let divides = |p: i128| size + 2 * p >= kernel && (size + 2 * p - kernel) % stride == 0;
        assert!(divides(p) && !divides(p - 1) && !divides(p - 2), "{text}");
        // An even stride cannot fix an odd difference.
        assert_eq!(suggest_padding(28, kernel as i64, 2), NONE);
    }
}
