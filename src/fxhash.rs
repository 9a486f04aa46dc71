//! A fast, non-cryptographic hasher for the hot maps (frame interning, stack sums).
//!
//! std's SipHash was 10–20% of all instructions on a 31 MB importtime log (callgrind, see
//! BENCHMARKS.md). This is the Fx hash of rustc (`rustc-hash`), a few lines, so no dependency:
//! one multiply per 8 bytes. It is not DoS-resistant; the keys are labels from the user's own
//! profile, and no output depends on map order.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// rustc's Fx hash: rotate, xor a word, multiply.
#[derive(Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_lookups_work() {
        let mut map: FxHashMap<String, u32> = FxHashMap::default();
        for (i, name) in ["a", "numpy.core", "numpy.core.multiarray", ""]
            .iter()
            .enumerate()
        {
            map.insert(name.to_string(), i as u32);
        }
        assert_eq!(map.get("numpy.core"), Some(&1));
        assert_eq!(map.get(""), Some(&3));
        assert_eq!(map.get("numpy.cor"), None);
    }
}
