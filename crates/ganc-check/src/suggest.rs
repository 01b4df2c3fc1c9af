//! Did-you-mean suggestions by edit distance.

/// The candidate closest to `name`, when it is close enough to be a likely typo. Ties go to the
/// shorter name, then the first in alphabetical order, so the answer never depends on the
/// order of `candidates` (often a hash map).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len(), *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let names = ["conv", "deconv", "batchnorm", "leaky_relu"];
        assert_eq!(closest("cnov", names), Some("conv"));
        assert_eq!(closest("batchnrom", names), Some("batchnorm"));
        assert_eq!(closest("leaky_rel", names), Some("leaky_relu"));
        assert_eq!(closest("transformer", names), None);
    }
}
