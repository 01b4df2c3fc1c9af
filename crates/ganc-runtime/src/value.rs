//! Values flowing through a network: a batch of vectors, of images, or of class labels; and a
//! stacked generator's images at every stage.

use burn::tensor::{Int, Tensor};

/// A batch of values of one kind.
#[derive(Clone, Debug)]
pub enum Value {
    /// `[B, n]`.
    Flat(Tensor<2>),
    /// `[B, C, H, W]`.
    Image(Tensor<4>),
    /// `[B]` class indices.
    Labels(Tensor<1, Int>),
    /// A stacked generator's images (StackGAN++), one `[B, C, H, W]` per stage, the highest
    /// resolution first, each side half the one before. Read as one image, it is the first.
    Stacked(Vec<Tensor<4>>),
}

impl Value {
    /// The batch size.
    pub fn batch(&self) -> usize {
        match self {
            Value::Flat(t) => t.dims()[0],
            Value::Image(t) => t.dims()[0],
            Value::Labels(t) => t.dims()[0],
            Value::Stacked(s) => s[0].dims()[0],
        }
    }

    /// The value as an image `[B, C, H, W]` (a vector `[B, n]` becomes `[B, n, 1, 1]`).
    pub fn image(self) -> Tensor<4> {
        match self {
            Value::Image(t) => t,
            Value::Stacked(mut s) => s.swap_remove(0),
            other => {
                let t = other.flat();
                let [b, n] = t.dims();
                t.reshape([b, n, 1, 1])
            }
        }
    }

    /// Sample `i` alone, as a batch of one.
    pub fn row(&self, i: usize) -> Value {
        match self {
            Value::Flat(t) => Value::Flat(t.clone().narrow(0, i, 1)),
            Value::Image(t) => Value::Image(t.clone().narrow(0, i, 1)),
            Value::Labels(t) => Value::Labels(t.clone().narrow(0, i, 1)),
            Value::Stacked(s) => Value::Stacked(s.iter().map(|t| t.clone().narrow(0, i, 1)).collect()),
        }
    }

    /// The dimensions of one sample (`[1]` for labels).
    pub fn per_sample(&self) -> Vec<usize> {
        match self {
            Value::Flat(t) => t.dims()[1..].to_vec(),
            Value::Image(t) => t.dims()[1..].to_vec(),
            Value::Labels(_) => vec![1],
            Value::Stacked(s) => s[0].dims()[1..].to_vec(),
        }
    }

    /// The value as `[B, n]` (images are flattened).
    pub fn flat(self) -> Tensor<2> {
        match self {
            Value::Flat(t) => t,
            Value::Image(t) => {
                let [b, c, h, w] = t.dims();
                t.reshape([b, c * h * w])
            }
            Value::Labels(t) => t.float().unsqueeze_dim(1),
            stacked @ Value::Stacked(_) => stacked.image().flatten(1, 3),
        }
    }

    /// The value as `[B, C, P]`: channels (a vector's features) on the middle axis, the pixels
    /// of each channel (one for a vector) last.
    pub fn channels(self) -> Tensor<3> {
        match self {
            Value::Image(t) => {
                let [b, c, h, w] = t.dims();
                t.reshape([b, c, h * w])
            }
            other => {
                let t = other.flat();
                let [b, n] = t.dims();
                t.reshape([b, n, 1])
            }
        }
    }

    /// Reshapes to the per-sample `dims` (one axis: flat; three: an image).
    pub fn reshape(self, dims: &[usize]) -> Value {
        let t = self.flat();
        let b = t.dims()[0];
        match dims {
            [c, h, w] => Value::Image(t.reshape([b, *c, *h, *w])),
            _ => Value::Flat(t.reshape([b, dims.iter().product::<usize>()])),
        }
    }

    /// Applies `f` to the float tensor, whatever its rank (to every stage's images).
    pub fn map(self, f2: impl FnOnce(Tensor<2>) -> Tensor<2>, f4: impl Fn(Tensor<4>) -> Tensor<4>) -> Value {
        match self {
            Value::Flat(t) => Value::Flat(f2(t)),
            Value::Image(t) => Value::Image(f4(t)),
            Value::Stacked(s) => Value::Stacked(s.into_iter().map(f4).collect()),
            labels => labels,
        }
    }
}

/// The sum of two values of one shape (a residual's paths, `add`, gradients reaching a value
/// twice); vectors unless both are images.
impl std::ops::Add for Value {
    type Output = Value;

    fn add(self, other: Value) -> Value {
        match (self, other) {
            (Value::Image(a), Value::Image(b)) => Value::Image(a + b),
            (a, b) => Value::Flat(a.flat() + b.flat()),
        }
    }
}
