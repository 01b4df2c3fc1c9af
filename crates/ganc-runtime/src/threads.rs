//! Which threads run training's work. The kernels split their work on rayon's global pool.
//! Called from a thread outside the pool, each split hands all of it to the pool's threads,
//! wakes them and puts the caller to sleep until they finish; between oneDNN's convolutions
//! (whose OpenMP threads are another team) that halves the element-wise kernels' speed. Called
//! from a thread of the pool, a split keeps part of the work on that thread and wakes one more.
//!
//! The thread that trains must stay the same: burn keeps a module's running statistics per
//! thread and averages them when several threads have written, so steps must not move between
//! the pool's threads.

/// Makes the calling thread one of the threads of rayon's global pool (with the pool's usual
/// number of threads, `RAYON_NUM_THREADS` or one per core, this one included), so that the
/// kernels it calls split their work with it. Call it first in `main`: once anything has used
/// the pool it is built, and this returns false and changes nothing.
pub fn join_global_pool() -> bool {
    rayon::ThreadPoolBuilder::new().use_current_thread().build_global().is_ok()
}
