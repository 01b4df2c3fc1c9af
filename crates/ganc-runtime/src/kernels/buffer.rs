//! Output buffers written once, without zeroing them first: zeroing buffers that are then
//! overwritten took an eighth of a DCGAN step.

use std::mem::MaybeUninit;

/// `len` values, none written yet.
pub(super) fn uninit(len: usize) -> Vec<MaybeUninit<f32>> {
    let mut v = Vec::with_capacity(len);
    v.resize_with(len, MaybeUninit::uninit);
    v
}

/// The values of `v`, every one of which has been written.
///
/// # Safety
/// Every element of `v` must have been written.
pub(super) unsafe fn assume_written(v: Vec<MaybeUninit<f32>>) -> Vec<f32> {
    let mut v = std::mem::ManuallyDrop::new(v);
    // SAFETY: `MaybeUninit<f32>` has `f32`'s layout; the caller wrote every element; the
    // allocation moves from `v`, which is not dropped.
    unsafe { Vec::from_raw_parts(v.as_mut_ptr().cast::<f32>(), v.len(), v.capacity()) }
}

/// Writes `value` to every element; the slice, now all written.
pub(super) fn fill(slice: &mut [MaybeUninit<f32>], value: f32) -> &mut [f32] {
    slice.fill(MaybeUninit::new(value));
    // SAFETY: every element was just written; `MaybeUninit<f32>` has `f32`'s layout.
    unsafe { &mut *(slice as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// Writes `f(i)` to element `i` of `dst`, for each.
#[inline(always)]
pub(super) fn write(dst: &mut [MaybeUninit<f32>], f: impl Fn(usize) -> f32) {
    dst.iter_mut().enumerate().for_each(|(i, d)| {
        d.write(f(i));
    });
}
