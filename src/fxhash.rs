//! A fast, non-cryptographic hasher for the hot maps (frame interning, stack sums).
//!
//! std's SipHash was 10–20% of all instructions on a 31 MB importtime log (callgrind, see
//! BENCHMARKS.md). This is the Fx hash of rustc (`rustc-hash`), a few lines, so no dependency:
//! one multiply per 8 bytes. No output depends on map order.
//!
//! The keys are labels from input that may be hostile, and from a fixed starting state Fx
//! collisions are easy to make: for any first 8 bytes, one second 8-byte word gives a chosen
//! hash, and about one try in 3,000 makes that word printable. 20,000 such module names (760 KB
//! of importtime log) took 34 s to intern instead of 0.2 s, growing with the square. So each
//! process starts its hashers from a random state (std's `RandomState`, drawn once), which
//! the file cannot know in advance.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::OnceLock;

/// `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, FxBuildHasher>;
/// `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = HashSet<K, FxBuildHasher>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Makes [`FxHasher`]s that start from this process's random state.
#[derive(Clone, Copy, Debug)]
pub struct FxBuildHasher {
    start: u64,
}

impl Default for FxBuildHasher {
    fn default() -> Self {
        static START: OnceLock<u64> = OnceLock::new();
        FxBuildHasher {
            start: *START.get_or_init(|| RandomState::new().hash_one(0u64)),
        }
    }
}

impl BuildHasher for FxBuildHasher {
    type Hasher = FxHasher;

    #[inline]
    fn build_hasher(&self) -> FxHasher {
        FxHasher { hash: self.start }
    }
}

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
    fn keys_crafted_to_collide_from_a_fixed_start_do_not_collide_here() {
        // From the all-zero start, a second word can be solved for any first one.
        let crafted = |first: &[u8; 8]| {
            let w1 = u64::from_le_bytes(*first);
            let w2 = w1.wrapping_mul(SEED).rotate_left(5) ^ 0x1234;
            [*first, w2.to_le_bytes()].concat()
        };
        let (a, b) = (crafted(b"abcdefgh"), crafted(b"ijklmnop"));
        let hash = |mut h: FxHasher, key: &[u8]| {
            h.write(key);
            h.finish()
        };
        assert_eq!(hash(FxHasher::default(), &a), hash(FxHasher::default(), &b));
        let build = FxBuildHasher::default();
        assert_ne!(
            hash(build.build_hasher(), &a),
            hash(build.build_hasher(), &b)
        );
    }

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
