//! Which stored samples make the `k`-th batch: a fresh shuffle per epoch, derived from the seed.

use crate::mix_seed;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Indices of the `k`-th batch of `n` out of `len` samples (an epoch drops its last partial
/// batch, as PyTorch's `drop_last`).
pub fn batch_indices(seed: u64, k: u64, n: usize, len: usize) -> Vec<usize> {
    let per_epoch = (len / n.max(1)).max(1) as u64;
    let epoch = k / per_epoch;
    let start = ((k % per_epoch) as usize) * n;
    let mut perm: Vec<usize> = (0..len).collect();
    perm.shuffle(&mut StdRng::seed_from_u64(mix_seed(seed, 1, epoch)));
    (0..n).map(|i| perm[(start + i) % len.max(1)]).collect()
}

#[cfg(test)]
mod tests {
    use super::batch_indices;

    #[test]
    fn an_epoch_visits_every_sample_once_and_epochs_differ() {
        let mut seen: Vec<usize> = (0..10).flat_map(|k| batch_indices(7, k, 10, 100)).collect();
        let first_epoch = seen.clone();
        seen.sort();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        let second: Vec<usize> = (10..20).flat_map(|k| batch_indices(7, k, 10, 100)).collect();
        assert_ne!(first_epoch, second);
        assert_eq!(batch_indices(7, 3, 10, 100), batch_indices(7, 3, 10, 100));
        assert_ne!(batch_indices(7, 3, 10, 100), batch_indices(8, 3, 10, 100));
    }
}
