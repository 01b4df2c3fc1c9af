//! The Inception-v3 network of the standard FID: pytorch-fid's `FIDInceptionV3`, the port of
//! TensorFlow's 2015-12-05 Inception graph that the original FID code (TTUR) used. Its 2048
//! `pool3` features are what FID and KID compare; its 1008 logits are what the Inception Score
//! reads.
//!
//! The structure is torchvision's `inception_v3(num_classes=1008, aux_logits=False)` with
//! pytorch-fid's patches: the average pools of `Mixed_5b`..`Mixed_7b` leave the zero padding
//! out of their averages (`count_include_pad=False`, as TensorFlow pools), and `Mixed_7c`
//! max-pools its pool branch instead. Each `BasicConv2d` is a convolution without bias, batch
//! norm with its running statistics (eps 0.001) and ReLU; [`load`] folds each batch norm into its
//! convolution's weight and a bias. Images are resized to 299 x 299 as pytorch-fid does
//! (`F.interpolate(..., mode="bilinear", align_corners=False)`), and inference runs on any burn
//! device.
//!
//! # The weights
//!
//! ganc does not ship the weights (95 MB). They are pytorch-fid's
//! `pt_inception-2015-12-05-6726825d.pth`, from
//! <https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth>,
//! converted once to safetensors (with `pip install torch safetensors`):
//!
//! ```text
//! python -c "import torch; from safetensors.torch import save_file; save_file(torch.load('pt_inception-2015-12-05-6726825d.pth'), 'inception.safetensors')"
//! ```
//!
//! The tensors keep PyTorch's state-dict names (`Conv2d_1a_3x3.conv.weight`,
//! `Mixed_5b.branch1x1.bn.running_var`, ..., `fc.weight`, `fc.bias`); [`parameter_shapes`] lists
//! every one [`load`] reads. Others in the file (`num_batches_tracked`) are ignored. f32, f16,
//! bf16 and f64 tensors are read.

use crate::kernels::{activation, conv2d, linear, Pointwise};
use burn::tensor::module::{avg_pool2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::tensor::{SafeTensorError, SafeTensors};
use std::path::{Path, PathBuf};

/// The side of the square images the network reads.
pub const SIZE: usize = 299;

/// The classes of the FID Inception's logits (TensorFlow's 1008: ImageNet's 1000 and 8 unused).
pub const CLASSES: usize = 1008;

/// Images [`Inception::features`] runs through the network at once. On the CPU small pieces are
/// faster than whole batches (50 images took a third longer in one piece than in pieces of 1 or
/// 2 on a 2-core machine: the window matrices stay in the heap and the caches), and memory no
/// longer grows with the batch (2.1 GB for 50 images at once).
pub const PIECE: usize = 2;

/// The batch-norm epsilon of every `BasicConv2d`.
const BN_EPS: f64 = 1e-3;

/// The shell command converting pytorch-fid's weights, quoted in the errors' help.
const CONVERT: &str = "python -c \"import torch; from safetensors.torch import save_file; \
save_file(torch.load('pt_inception-2015-12-05-6726825d.pth'), 'inception.safetensors')\"";

/// Where pytorch-fid publishes its weights.
const WEIGHTS_URL: &str =
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth";

/// One `BasicConv2d`: its state-dict prefix and geometry.
#[derive(Clone, Debug)]
struct ConvSpec {
    /// `Mixed_5b.branch1x1`: the tensors are `{name}.conv.weight` and `{name}.bn.*`.
    name: String,
    /// Input and output channels.
    channels: [usize; 2],
    /// Kernel height and width.
    kernel: [usize; 2],
    /// Stride along both axes.
    stride: usize,
    /// Zero padding along the height and the width.
    padding: [usize; 2],
}

impl ConvSpec {
    /// The tensors of the layer, in the order [`Conv::fold`] takes them: the convolution's weight,
    /// then the batch norm's scale, shift, running mean and running variance.
    fn tensors(&self) -> [(String, Vec<usize>); 5] {
        let [cin, cout] = self.channels;
        let [kh, kw] = self.kernel;
        let bn = |t: &str| (format!("{}.bn.{t}", self.name), vec![cout]);
        [
            (format!("{}.conv.weight", self.name), vec![cout, cin, kh, kw]),
            bn("weight"),
            bn("bias"),
            bn("running_mean"),
            bn("running_var"),
        ]
    }
}

/// One step of the network, its convolutions `C`: their geometry in the table of the structure,
/// their folded weights in the loaded network.
#[derive(Clone, Debug)]
enum Op<C> {
    /// A `BasicConv2d`.
    Conv(C),
    /// 3 x 3 max pooling (padded with -inf).
    MaxPool {
        /// Along both axes.
        stride: usize,
        /// Along both axes.
        padding: usize,
    },
    /// 3 x 3 average pooling, stride 1, padding 1, the padding left out of the averages.
    AvgPool,
    /// Branches each reading the input, their outputs concatenated along the channels.
    Concat(Vec<Vec<Op<C>>>),
}

impl<C> Op<C> {
    /// Calls `f` on every convolution, in state-dict order.
    fn each_conv<'a>(&'a self, f: &mut impl FnMut(&'a C)) {
        match self {
            Op::Conv(c) => f(c),
            Op::MaxPool { .. } | Op::AvgPool => {}
            Op::Concat(branches) => branches.iter().flatten().for_each(|op| op.each_conv(f)),
        }
    }

    /// The same structure with each convolution replaced by `f` of it (in state-dict order), or
    /// the first error.
    fn try_map<D, E>(&self, f: &mut impl FnMut(&C) -> Result<D, E>) -> Result<Op<D>, E> {
        Ok(match self {
            Op::Conv(c) => Op::Conv(f(c)?),
            Op::MaxPool { stride, padding } => Op::MaxPool { stride: *stride, padding: *padding },
            Op::AvgPool => Op::AvgPool,
            Op::Concat(branches) => Op::Concat(
                branches
                    .iter()
                    .map(|b| b.iter().map(|op| op.try_map(f)).collect::<Result<Vec<_>, E>>())
                    .collect::<Result<Vec<_>, E>>()?,
            ),
        })
    }
}

impl Op<ConvSpec> {
    /// The output channels for `inputs` input channels.
    fn out_channels(&self, inputs: usize) -> usize {
        match self {
            Op::Conv(c) => c.channels[1],
            Op::MaxPool { .. } | Op::AvgPool => inputs,
            Op::Concat(branches) => branches.iter().map(|b| b.iter().fold(inputs, |c, op| op.out_channels(c))).sum(),
        }
    }
}

/// `BasicConv2d` `{block}.{name}` (`name` alone for the stem) from `channels[0]` to
/// `channels[1]` channels.
fn basic(
    block: &str,
    name: &str,
    channels: [usize; 2],
    kernel: [usize; 2],
    stride: usize,
    padding: [usize; 2],
) -> Op<ConvSpec> {
    let name = if block.is_empty() { name.to_string() } else { format!("{block}.{name}") };
    Op::Conv(ConvSpec { name, channels, kernel, stride, padding })
}

/// A square `k x k` convolution with stride 1 and `p` padding on every side.
fn square(block: &str, name: &str, channels: [usize; 2], k: usize, p: usize) -> Op<ConvSpec> {
    basic(block, name, channels, [k, k], 1, [p, p])
}

/// torchvision's `InceptionA` as pytorch-fid patches it (`FIDInceptionA`).
fn inception_a(block: &str, cin: usize, pool_features: usize) -> Op<ConvSpec> {
    let c = |name, channels, k, p| square(block, name, channels, k, p);
    Op::Concat(vec![
        vec![c("branch1x1", [cin, 64], 1, 0)],
        vec![c("branch5x5_1", [cin, 48], 1, 0), c("branch5x5_2", [48, 64], 5, 2)],
        vec![
            c("branch3x3dbl_1", [cin, 64], 1, 0),
            c("branch3x3dbl_2", [64, 96], 3, 1),
            c("branch3x3dbl_3", [96, 96], 3, 1),
        ],
        vec![Op::AvgPool, c("branch_pool", [cin, pool_features], 1, 0)],
    ])
}

/// torchvision's `InceptionB` (grid reduction 35 -> 17).
fn inception_b(block: &str, cin: usize) -> Op<ConvSpec> {
    let c = |name, channels, k, p| square(block, name, channels, k, p);
    Op::Concat(vec![
        vec![basic(block, "branch3x3", [cin, 384], [3, 3], 2, [0, 0])],
        vec![
            c("branch3x3dbl_1", [cin, 64], 1, 0),
            c("branch3x3dbl_2", [64, 96], 3, 1),
            basic(block, "branch3x3dbl_3", [96, 96], [3, 3], 2, [0, 0]),
        ],
        vec![Op::MaxPool { stride: 2, padding: 0 }],
    ])
}

/// torchvision's `InceptionC` as pytorch-fid patches it (`FIDInceptionC`), with `c7` channels
/// in its factorized 7 x 7 branches.
fn inception_c(block: &str, cin: usize, c7: usize) -> Op<ConvSpec> {
    let c = |name, channels| square(block, name, channels, 1, 0);
    let row = |name, channels| basic(block, name, channels, [1, 7], 1, [0, 3]);
    let column = |name, channels| basic(block, name, channels, [7, 1], 1, [3, 0]);
    Op::Concat(vec![
        vec![c("branch1x1", [cin, 192])],
        vec![c("branch7x7_1", [cin, c7]), row("branch7x7_2", [c7, c7]), column("branch7x7_3", [c7, 192])],
        vec![
            c("branch7x7dbl_1", [cin, c7]),
            column("branch7x7dbl_2", [c7, c7]),
            row("branch7x7dbl_3", [c7, c7]),
            column("branch7x7dbl_4", [c7, c7]),
            row("branch7x7dbl_5", [c7, 192]),
        ],
        vec![Op::AvgPool, c("branch_pool", [cin, 192])],
    ])
}

/// torchvision's `InceptionD` (grid reduction 17 -> 8).
fn inception_d(block: &str, cin: usize) -> Op<ConvSpec> {
    let c = |name, channels| square(block, name, channels, 1, 0);
    let reduce = |name, channels| basic(block, name, channels, [3, 3], 2, [0, 0]);
    Op::Concat(vec![
        vec![c("branch3x3_1", [cin, 192]), reduce("branch3x3_2", [192, 320])],
        vec![
            c("branch7x7x3_1", [cin, 192]),
            basic(block, "branch7x7x3_2", [192, 192], [1, 7], 1, [0, 3]),
            basic(block, "branch7x7x3_3", [192, 192], [7, 1], 1, [3, 0]),
            reduce("branch7x7x3_4", [192, 192]),
        ],
        vec![Op::MaxPool { stride: 2, padding: 0 }],
    ])
}

/// torchvision's `InceptionE` as pytorch-fid patches it: `FIDInceptionE_1` (`pool` the average
/// pool without padding) or `FIDInceptionE_2` (`pool` a 3 x 3 max pool, stride 1, padding 1).
fn inception_e(block: &str, cin: usize, pool: Op<ConvSpec>) -> Op<ConvSpec> {
    let c = |name, channels| square(block, name, channels, 1, 0);
    let split = |a, b| {
        Op::Concat(vec![
            vec![basic(block, a, [384, 384], [1, 3], 1, [0, 1])],
            vec![basic(block, b, [384, 384], [3, 1], 1, [1, 0])],
        ])
    };
    Op::Concat(vec![
        vec![c("branch1x1", [cin, 320])],
        vec![c("branch3x3_1", [cin, 384]), split("branch3x3_2a", "branch3x3_2b")],
        vec![
            c("branch3x3dbl_1", [cin, 448]),
            square(block, "branch3x3dbl_2", [448, 384], 3, 1),
            split("branch3x3dbl_3a", "branch3x3dbl_3b"),
        ],
        vec![pool, c("branch_pool", [cin, 192])],
    ])
}

/// The structure of the network up to its last feature map: the one table that
/// [`parameter_shapes`], [`load`] and the forward pass all read. Each step is made from the
/// channels that reach it.
fn table() -> (Vec<Op<ConvSpec>>, usize) {
    let (mut ops, mut channels) = (Vec::new(), 3);
    let mut add = |make: &dyn Fn(usize) -> Op<ConvSpec>| {
        let op = make(channels);
        channels = op.out_channels(channels);
        ops.push(op);
    };
    add(&|c| basic("", "Conv2d_1a_3x3", [c, 32], [3, 3], 2, [0, 0]));
    add(&|c| square("", "Conv2d_2a_3x3", [c, 32], 3, 0));
    add(&|c| square("", "Conv2d_2b_3x3", [c, 64], 3, 1));
    add(&|_| Op::MaxPool { stride: 2, padding: 0 });
    add(&|c| square("", "Conv2d_3b_1x1", [c, 80], 1, 0));
    add(&|c| square("", "Conv2d_4a_3x3", [c, 192], 3, 0));
    add(&|_| Op::MaxPool { stride: 2, padding: 0 });
    for (block, pool_features) in [("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)] {
        add(&|c| inception_a(block, c, pool_features));
    }
    add(&|c| inception_b("Mixed_6a", c));
    for (block, c7) in [("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)] {
        add(&|c| inception_c(block, c, c7));
    }
    add(&|c| inception_d("Mixed_7a", c));
    add(&|c| inception_e("Mixed_7b", c, Op::AvgPool));
    add(&|c| inception_e("Mixed_7c", c, Op::MaxPool { stride: 1, padding: 1 }));
    (ops, channels)
}

/// The shapes of the final linear layer's weight (PyTorch's `[out, in]`) and bias.
fn fc_shapes(features: usize) -> [(String, Vec<usize>); 2] {
    [("fc.weight".into(), vec![CLASSES, features]), ("fc.bias".into(), vec![CLASSES])]
}

/// Every tensor [`load`] reads, by its state-dict name, with its shape, in state-dict order:
/// 94 `BasicConv2d`s of five tensors each, then `fc.weight` `[1008, 2048]` and `fc.bias`.
pub fn parameter_shapes() -> Vec<(String, Vec<usize>)> {
    let (ops, features) = table();
    let mut shapes = Vec::new();
    for op in &ops {
        op.each_conv(&mut |c: &ConvSpec| shapes.extend(c.tensors()));
    }
    shapes.extend(fc_shapes(features));
    shapes
}

/// Why the Inception weights could not be loaded. [`InceptionError::help`] says what to do.
#[derive(Debug, thiserror::Error)]
pub enum InceptionError {
    /// The file could not be read.
    #[error("cannot read the Inception weights {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not in the safetensors format.
    #[error("{} is not a safetensors file: {reason}", path.display())]
    NotSafetensors {
        /// The file.
        path: PathBuf,
        /// What the safetensors reader said.
        reason: String,
    },
    /// A tensor of the network is not in the file.
    #[error("{} has no tensor `{name}`", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// The state-dict name of the tensor.
        name: String,
    },
    /// A tensor has another shape than the FID Inception's.
    #[error("tensor `{name}` of {} has shape {found:?}, where the FID Inception has {expected:?}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// The state-dict name of the tensor.
        name: String,
        /// The FID Inception's shape.
        expected: Vec<usize>,
        /// The file's.
        found: Vec<usize>,
    },
    /// A tensor is not floating point (f32, f16, bf16 or f64).
    #[error("tensor `{name}` of {} holds {dtype} values, not floating-point ones", path.display())]
    Dtype {
        /// The file.
        path: PathBuf,
        /// The state-dict name of the tensor.
        name: String,
        /// Its element type, as safetensors names it.
        dtype: String,
    },
    /// A tensor holds a value no trained network has: not finite, or a negative running variance.
    #[error("tensor `{name}` of {} holds {problem}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// The state-dict name of the tensor.
        name: String,
        /// What is wrong.
        problem: &'static str,
    },
}

impl InceptionError {
    /// What to do instead.
    pub fn help(&self) -> String {
        let convert = format!(
            "download pytorch-fid's weights from {WEIGHTS_URL} and convert them with `pip install torch safetensors` \
             and `{CONVERT}`"
        );
        match self {
            InceptionError::Read { .. } => format!("check the path; to get the file, {convert}"),
            InceptionError::NotSafetensors { .. } => {
                format!("a PyTorch `.pth` file must be converted first: {convert}")
            }
            InceptionError::Shape { name, found, .. } if name.starts_with("fc.") && found.first() == Some(&1000) => {
                format!(
                    "these look like torchvision's ImageNet Inception (1000 classes), whose features differ from \
                     the FID Inception's: {convert}"
                )
            }
            InceptionError::Missing { .. } | InceptionError::Shape { .. } => format!(
                "the file must hold the FID Inception's state dict under PyTorch's names (`Conv2d_1a_3x3.conv.weight`, \
                 ..., `fc.bias`), without a prefix such as `module.`: {convert}"
            ),
            InceptionError::Dtype { .. } => format!("save the weights as floating-point tensors: {convert}"),
            InceptionError::Value { .. } => format!("the file is damaged or not trained weights: {convert}"),
        }
    }
}

/// A `BasicConv2d` with its batch norm folded in: `relu(conv(x, weight) + bias)`.
#[derive(Clone, Debug)]
struct Conv {
    /// The convolution's weight scaled per output channel by `gamma / sqrt(var + eps)`.
    weight: Tensor<4>,
    /// `beta - mean * gamma / sqrt(var + eps)`.
    bias: Tensor<1>,
    /// Stride and padding.
    options: ConvOptions<2>,
}

impl Conv {
    /// The layer `spec` from its convolution weight `w` and batch norm `[gamma, beta, mean, var]`
    /// (eval mode: `(x - mean) / sqrt(var + eps) * gamma + beta`), folded in f64.
    fn fold(spec: &ConvSpec, w: Vec<f32>, [gamma, beta, mean, var]: [Vec<f32>; 4], device: &Device) -> Conv {
        let cout = spec.channels[1];
        let per_output = w.len() / cout;
        let scale: Vec<f64> = (0..cout).map(|o| gamma[o] as f64 / (var[o] as f64 + BN_EPS).sqrt()).collect();
        let bias: Vec<f32> = (0..cout).map(|o| (beta[o] as f64 - mean[o] as f64 * scale[o]) as f32).collect();
        let weight: Vec<f32> = w.iter().enumerate().map(|(i, &v)| (v as f64 * scale[i / per_output]) as f32).collect();
        let [cin, cout] = spec.channels;
        let [kh, kw] = spec.kernel;
        Conv {
            weight: Tensor::from_data(TensorData::new(weight, [cout, cin, kh, kw]), device),
            bias: Tensor::from_data(TensorData::new(bias, [cout]), device),
            options: ConvOptions::new([spec.stride; 2], spec.padding, [1, 1], 1),
        }
    }
}

impl Op<Conv> {
    /// The step applied to `x`.
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Op::Conv(c) => {
                activation(conv2d(x, c.weight.clone(), Some(c.bias.clone()), c.options.clone()), Pointwise::Relu)
            }
            Op::MaxPool { stride, padding } => {
                max_pool2d(x, MaxPoolOptions::new([3, 3]).with_stride([*stride; 2]).with_padding([*padding; 2]))
            }
            Op::AvgPool => avg_pool2d(
                x,
                AvgPoolOptions::new([3, 3]).with_stride([1, 1]).with_padding([1, 1]).with_count_include_pad(false),
            ),
            Op::Concat(branches) => {
                let outputs = branches.iter().map(|b| b.iter().fold(x.clone(), |x, op| op.forward(x))).collect();
                Tensor::cat(outputs, 1)
            }
        }
    }
}

/// The FID Inception-v3 with its weights, on one device: see the [module](self) for what it is
/// and where its weights come from.
#[derive(Clone, Debug)]
pub struct Inception {
    /// From the first convolution to `Mixed_7c`.
    body: Vec<Op<Conv>>,
    /// The final linear layer's weight, `[2048, 1008]` (burn's `[in, out]`).
    fc_weight: Tensor<2>,
    /// Its bias.
    fc_bias: Tensor<1>,
}

/// The tensors of one safetensors file, read and checked by name.
struct Weights<'a> {
    /// The file, for the errors.
    path: &'a Path,
    /// Its contents.
    file: SafeTensors<'a>,
}

impl Weights<'_> {
    /// The values of tensor `name`, which must have `shape`, as f32.
    fn read(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, InceptionError> {
        let path = self.path.to_path_buf();
        let view = self.file.tensor(name).map_err(|e| match e {
            SafeTensorError::TensorNotFound(_) => InceptionError::Missing { path: path.clone(), name: name.into() },
            other => InceptionError::NotSafetensors { path: path.clone(), reason: other.to_string() },
        })?;
        if view.shape() != shape {
            let (expected, found) = (shape.to_vec(), view.shape().to_vec());
            return Err(InceptionError::Shape { path, name: name.into(), expected, found });
        }
        let values = super::weights::decode(&view).ok_or_else(|| InceptionError::Dtype {
            path: path.clone(),
            name: name.into(),
            dtype: view.dtype().to_string(),
        })?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err(InceptionError::Value { path, name: name.into(), problem: "values that are not finite" });
        }
        if name.ends_with(".running_var") && values.iter().any(|&v| v < 0.0) {
            return Err(InceptionError::Value { path, name: name.into(), problem: "a negative variance" });
        }
        Ok(values)
    }
}

/// Reads the FID Inception's weights from the safetensors file `path` onto `device` (an
/// inference device: no autodiff). The file holds PyTorch's state dict of pytorch-fid's
/// `FIDInceptionV3` (see the [module](self) for how to make it); tensors beyond
/// [`parameter_shapes`] are ignored.
pub fn load(path: &Path, device: &Device) -> Result<Inception, InceptionError> {
    let bytes = std::fs::read(path).map_err(|source| InceptionError::Read { path: path.to_path_buf(), source })?;
    let file = SafeTensors::deserialize(&bytes)
        .map_err(|e| InceptionError::NotSafetensors { path: path.to_path_buf(), reason: e.to_string() })?;
    let weights = Weights { path, file };
    let (ops, features) = table();
    let mut conv = |spec: &ConvSpec| -> Result<Conv, InceptionError> {
        let [w, gamma, beta, mean, var] = spec.tensors().map(|(name, shape)| weights.read(&name, &shape));
        Ok(Conv::fold(spec, w?, [gamma?, beta?, mean?, var?], device))
    };
    let body = ops.iter().map(|op| op.try_map(&mut conv)).collect::<Result<Vec<_>, _>>()?;
    let [(w_name, w_shape), (b_name, b_shape)] = fc_shapes(features);
    let fc = weights.read(&w_name, &w_shape)?;
    let fc_bias = weights.read(&b_name, &b_shape)?;
    let fc_weight = Tensor::<2>::from_data(TensorData::new(fc, [CLASSES, features]), device).transpose();
    let fc_bias = Tensor::from_data(TensorData::new(fc_bias, [CLASSES]), device);
    Ok(Inception { body, fc_weight, fc_bias })
}

/// PyTorch's bilinear resampling weights from `input` to `output` samples with
/// `align_corners=False` and no scale factor: `[output, input]`, row `o` reading at
/// `(o + 0.5) * input / output - 0.5` (clamped at 0) between its two neighbours.
fn resize_matrix(input: usize, output: usize) -> Vec<f32> {
    let scale = input as f64 / output as f64;
    let mut m = vec![0f32; output * input];
    for (o, row) in m.chunks_mut(input).enumerate() {
        let source = ((o as f64 + 0.5) * scale - 0.5).max(0.0);
        let i0 = (source.floor() as usize).min(input - 1);
        let i1 = (i0 + 1).min(input - 1);
        let t = (source - i0 as f64).clamp(0.0, 1.0);
        row[i0] += (1.0 - t) as f32;
        row[i1] += t as f32;
    }
    m
}

/// `images` `[N, C, H, W]` resized to `[N, C, 299, 299]`, as
/// `F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)`: one product with
/// the resampling matrix along the width, one along the height.
fn resize(images: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = images.dims();
    let device = images.device();
    let matrix = |input| Tensor::<2>::from_data(TensorData::new(resize_matrix(input, SIZE), [SIZE, input]), &device);
    // [N C H, W] x [W, 299]: the rows resampled.
    let x = images.reshape([n * c * h, w]).matmul(matrix(w).transpose());
    // [N C 299, H] x [H, 299]: the columns, read as rows.
    let x = x.reshape([n * c, h, SIZE]).swap_dims(1, 2).reshape([n * c * SIZE, h]).matmul(matrix(h).transpose());
    x.reshape([n * c, SIZE, SIZE]).swap_dims(1, 2).reshape([n, c, SIZE, SIZE])
}

impl Inception {
    /// The `pool3` features `[N, 2048]` (the final average pool, which FID compares) and the
    /// logits `[N, 1008]` of `images` `[N, C, H, W]`: pixels in `[-1, 1]`, `C` 1 (grey, repeated
    /// to three channels) or 3 (RGB), any size (resized to 299 x 299 first). The network runs
    /// on [`PIECE`] images at a time, so memory stays near 100 MB on the CPU whatever `N`.
    ///
    /// # Panics
    ///
    /// If `C` is neither 1 nor 3, or the batch or the images are empty.
    pub fn features(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let [n, channels, h, w] = images.dims();
        assert!(channels == 1 || channels == 3, "the Inception reads 1 or 3 channels, not {channels}");
        assert!(n > 0 && h > 0 && w > 0, "the Inception reads no empty batch or image: [{n}, {channels}, {h}, {w}]");
        let (pools, logits): (Vec<_>, Vec<_>) =
            (0..n).step_by(PIECE).map(|at| self.piece(images.clone().narrow(0, at, PIECE.min(n - at)))).unzip();
        (Tensor::cat(pools, 0), Tensor::cat(logits, 0))
    }

    /// [`Inception::features`] of a few images at once.
    fn piece(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let channels = images.dims()[1];
        let mut x = resize(images);
        if channels == 1 {
            x = x.repeat_dim(1, 3);
        }
        let x = self.body.iter().fold(x, |x, op| op.forward(x));
        let [n, c, h, w] = x.dims();
        let pool = x.reshape([n, c, h * w]).mean_dim(2).reshape([n, c]);
        let logits = linear(pool.clone(), self.fc_weight.clone(), Some(self.fc_bias.clone()));
        (pool, logits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 94 `BasicConv2d`s and the final linear layer; 2048 features; the element count of
    /// `FIDInceptionV3`'s state dict without `num_batches_tracked` (as `torch_inception.py`
    /// counts it).
    #[test]
    fn the_table_has_the_fid_inceptions_size() {
        let shapes = parameter_shapes();
        assert_eq!(shapes.len(), 94 * 5 + 2);
        assert_eq!(table().1, 2048);
        let total: usize = shapes.iter().map(|(_, s)| s.iter().product::<usize>()).sum();
        assert_eq!(total, 23_885_392);
    }

    /// PyTorch's `F.interpolate(x, size=(1, 4), mode="bilinear", align_corners=False)` of
    /// `[1, 3]` is `[1, 1.5, 2.5, 3]` (the first output clamped to the first input); down from 5
    /// to 2 it reads at 0.75 and 3.25.
    #[test]
    fn the_resampling_weights_are_pytorchs() {
        let up = resize_matrix(2, 4);
        assert_eq!(up, [1.0, 0.0, 0.75, 0.25, 0.25, 0.75, 0.0, 1.0]);
        let down = resize_matrix(5, 2);
        assert_eq!(down, [0.25, 0.75, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.75, 0.25]);
    }

    /// Each image of a batch, each channel, is resampled on its own: `R_h x R_wᵀ`.
    #[test]
    fn a_batch_is_resized_image_by_image() {
        let (n, c, h, w) = (2, 3, 5, 7);
        let x: Vec<f32> = (0..n * c * h * w).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        let device = Device::flex();
        let got = resize(Tensor::from_data(TensorData::new(x.clone(), [n, c, h, w]), &device));
        assert_eq!(got.dims(), [n, c, SIZE, SIZE]);
        let got = got.into_data().try_to_vec::<f32>().unwrap();
        let (rh, rw) = (resize_matrix(h, SIZE), resize_matrix(w, SIZE));
        for plane in 0..n * c {
            for i in 0..SIZE {
                for j in 0..SIZE {
                    let mut want = 0f32;
                    for a in 0..h {
                        for b in 0..w {
                            want += rh[i * h + a] * x[(plane * h + a) * w + b] * rw[j * w + b];
                        }
                    }
                    let at = (plane * SIZE + i) * SIZE + j;
                    assert!((got[at] - want).abs() < 1e-5, "plane {plane} ({i}, {j}): {} vs {want}", got[at]);
                }
            }
        }
    }

    #[test]
    fn resizing_to_the_same_size_is_the_identity() {
        let m = resize_matrix(4, 4);
        for o in 0..4 {
            for i in 0..4 {
                assert_eq!(m[o * 4 + i], if o == i { 1.0 } else { 0.0 });
            }
        }
    }
}
