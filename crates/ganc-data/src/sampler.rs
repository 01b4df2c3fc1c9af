//! Which stored samples make the `k`-th batch: a fresh shuffle per epoch, derived from the seed
//! and the epoch only, and built once per epoch.

use crate::mix_seed;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::sync::Mutex;

/// The order of epoch `epoch` over `len` samples: a shuffle seeded by `(seed, epoch)`.
fn permutation(seed: u64, epoch: u64, len: usize) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..len).collect();
    perm.shuffle(&mut StdRng::seed_from_u64(mix_seed(seed, 1, epoch)));
    perm
}

/// The key of a cached epoch order.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Epoch {
    seed: u64,
    epoch: u64,
    len: usize,
}

/// Batches as a pure function of `(seed, k)`, with the current epoch's order kept so that it
/// is shuffled once per epoch rather than once per batch.
#[derive(Debug, Default)]
pub struct EpochOrder {
    cache: Mutex<Option<(Epoch, Vec<usize>)>>,
}

impl EpochOrder {
    /// Indices of the `k`-th batch of `n` out of `len` samples (an epoch drops its last
    /// partial batch, as PyTorch's `drop_last`).
    pub fn batch_indices(&self, seed: u64, k: u64, n: usize, len: usize) -> Vec<usize> {
        let per_epoch = (len / n.max(1)).max(1) as u64;
        let key = Epoch { seed, epoch: k / per_epoch, len };
        let start = ((k % per_epoch) as usize) * n;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.as_ref().is_none_or(|(cached, _)| *cached != key) {
            *cache = Some((key, permutation(seed, key.epoch, len)));
        }
        let perm = &cache.as_ref().expect("filled above").1;
        (0..n).map(|i| perm[(start + i) % len.max(1)]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{permutation, EpochOrder};

    /// The sampler before the epoch order was cached: one shuffle per batch.
    fn shuffled_per_batch(seed: u64, k: u64, n: usize, len: usize) -> Vec<usize> {
        let per_epoch = (len / n.max(1)).max(1) as u64;
        let start = ((k % per_epoch) as usize) * n;
        let perm = permutation(seed, k / per_epoch, len);
        (0..n).map(|i| perm[(start + i) % len.max(1)]).collect()
    }

    #[test]
    fn an_epoch_visits_every_sample_once_and_epochs_differ() {
        let order = EpochOrder::default();
        let mut seen: Vec<usize> = (0..10).flat_map(|k| order.batch_indices(7, k, 10, 100)).collect();
        let first_epoch = seen.clone();
        seen.sort();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        let second: Vec<usize> = (10..20).flat_map(|k| order.batch_indices(7, k, 10, 100)).collect();
        assert_ne!(first_epoch, second);
        assert_eq!(order.batch_indices(7, 3, 10, 100), EpochOrder::default().batch_indices(7, 3, 10, 100));
        assert_ne!(order.batch_indices(7, 3, 10, 100), order.batch_indices(8, 3, 10, 100));
    }

    #[test]
    fn cached_batches_equal_a_fresh_shuffle_in_any_order_of_requests() {
        let order = EpochOrder::default();
        // Forward through three epochs, back to the first (a resume), other seeds and sizes,
        // batches that do not divide the set, and a batch larger than the set.
        let requests = (0..30u64).map(|k| (7, k, 10, 100)).chain([
            (7, 2, 10, 100),
            (9, 2, 10, 100),
            (7, 25, 10, 100),
            (7, 5, 7, 50),
            (7, 0, 64, 20),
            (7, 4, 3, 1),
        ]);
        for (seed, k, n, len) in requests {
            assert_eq!(
                order.batch_indices(seed, k, n, len),
                shuffled_per_batch(seed, k, n, len),
                "{seed} {k} {n} {len}"
            );
        }
    }
}
