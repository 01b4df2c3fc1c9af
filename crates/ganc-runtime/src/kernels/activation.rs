//! LeakyReLU in one pass forward and one backward, without the masks burn composes it from.

/// The slope at `x`: 1 where `x >= 0`, `slope` elsewhere (and for NaN, which stays NaN). A
/// select of two constants rather than a branch, so the loops vectorize and signs that change at
/// random cost no mispredictions.
#[inline(always)]
fn factor(x: f32, slope: f32) -> f32 {
    if x >= 0.0 {
        1.0
    } else {
        slope
    }
}

/// `x` where `x >= 0`, `slope · x` elsewhere (burn's convention at zero). One thread: the
/// loop runs at memory speed, and waking the pool costs more than it saves at these sizes.
pub(super) fn leaky_relu(x: &[f32], slope: f32) -> Vec<f32> {
    x.iter().map(|&x| x * factor(x, slope)).collect()
}

/// The input gradient: `grad` where `x >= 0`, `slope · grad` elsewhere.
pub(super) fn leaky_relu_grad(x: &[f32], grad: &[f32], slope: f32) -> Vec<f32> {
    assert_eq!(x.len(), grad.len());
    x.iter().zip(grad).map(|(&x, &g)| g * factor(x, slope)).collect()
}
