//! BigGAN's orthogonal regularization (Brock et al. 2018, section 3.1): the off-diagonal form
//! `beta · ‖W Wᵀ ⊙ (1 − I)‖²_F` summed over a network's weight layers, which pushes the filters
//! (the rows of W, one per output unit) towards orthogonality without constraining their norms.
//!
//! BigGAN's code (`utils.ortho`) reads each weight as `param.view(shape[0], -1)`: output filters
//! as rows, so the product is `W Wᵀ` over filters; the rows here are [`Weighted::matrix`]'s, the
//! same matrix (burn's `linear` weight, stored `[in, out]`, is transposed to `[out, in]`).
//! Embeddings are left out, as BigGAN leaves out its shared embedding; a reparametrized layer
//! contributes its stored weight, as BigGAN's penalty reads the parameter.

use crate::layers::reparam::Weighted;
use crate::layers::Layer;
use crate::network::{for_each_layer, Net};
use burn::tensor::Tensor;

/// `‖M Mᵀ ⊙ (1 − I)‖²_F` of one weight matrix `m` whose rows are filters.
pub fn off_diagonal(m: Tensor<2>) -> Tensor<1> {
    let rows = m.dims()[0];
    let eye = Tensor::<2>::eye(rows, &m.device());
    let gram = m.clone().matmul(m.transpose());
    let off = gram.clone() - gram * eye;
    off.powi_scalar(2).sum()
}

/// The sum of [`off_diagonal`] over the weight layers of `net` (not its embeddings), or `None`
/// when it has none.
pub fn penalty(net: &Net) -> Option<Tensor<1>> {
    let mut all = Vec::new();
    for_each_layer(&net.body, &mut |layer| {
        let weighted = match layer {
            Layer::Reparametrized(r) => Some(r.layer.clone()),
            other => Weighted::of(other.clone()).ok(),
        };
        if let Some(w) = weighted.filter(|w| !matches!(w, Weighted::Embedding(_))) {
            all.push(w.matrix());
        }
    });
    all.into_iter().map(off_diagonal).reduce(|a, b| a + b)
}
