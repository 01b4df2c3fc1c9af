//! How the process gets memory back from the allocator. A training step allocates and frees the
//! same large buffers (activations, window matrices, gradients) every step; glibc's defaults
//! hand buffers above 128 KiB straight back to the kernel, and every step then pays a page fault
//! and a page clear per 4 KiB to get them again (a fifth of a DCGAN step on this project's
//! 2-core VM). Keeping freed memory in the heap makes later steps reuse it.

/// Keeps freed memory in the process for reuse: buffers up to 32 MiB (glibc's largest
/// `M_MMAP_THRESHOLD`) come from the heap, and the heap is not trimmed below 1 GiB of free
/// space. A no-op outside glibc.
pub fn retain_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before training allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}
