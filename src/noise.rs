//! Is a change larger than the run-to-run noise? With several runs per side, `diff` compares
//! the run totals of BEFORE and AFTER.
//!
//! The rule is *non-overlapping ranges*: the change counts as real when every AFTER run is
//! faster than every BEFORE run, or every one slower. That is the extreme of the Mann-Whitney
//! U rank test (U = 0 or n·m), whose exact p-value is printed beside it: with no real change,
//! complete separation happens by chance with probability 2 / C(n+m, n), 10% for 3 runs per
//! side, 0.8% for 5. Ranks make no assumption about how timings are distributed, and one slow
//! outlier run cannot make a change look significant.

/// The verdict on a change, given each side's run totals.
#[derive(Clone, Debug, PartialEq)]
pub enum Noise {
    /// A side has a single run: the noise is unknown.
    Unknown,
    /// The ranges overlap: the change is within the noise.
    Within {
        /// Mann-Whitney U of AFTER against BEFORE and its exact two-sided p-value.
        test: RankTest,
    },
    /// The ranges do not overlap.
    Beyond {
        /// True when AFTER is the slower side.
        slower: bool,
        /// Mann-Whitney U and its exact two-sided p-value.
        test: RankTest,
    },
}

/// A Mann-Whitney U rank test of AFTER's runs against BEFORE's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankTest {
    /// Pairs (BEFORE run, AFTER run) with AFTER slower, ties counting one half.
    pub u: f64,
    /// Two-sided p-value under no change (exact, assuming no ties).
    pub p: f64,
}

impl Noise {
    /// Compares the run totals of both sides.
    pub fn of(before: &[u64], after: &[u64]) -> Noise {
        if before.len() < 2 || after.len() < 2 {
            return Noise::Unknown;
        }
        let test = rank_test(before, after);
        let (bmin, bmax) = range(before);
        let (amin, amax) = range(after);
        if amin > bmax {
            Noise::Beyond { slower: true, test }
        } else if amax < bmin {
            Noise::Beyond {
                slower: false,
                test,
            }
        } else {
            Noise::Within { test }
        }
    }

    /// True when AFTER is slower beyond the noise.
    pub fn slower_beyond(&self) -> bool {
        matches!(self, Noise::Beyond { slower: true, .. })
    }
}

/// Smallest and largest value (0, 0 when empty).
pub fn range(values: &[u64]) -> (u64, u64) {
    (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    )
}

/// Mann-Whitney U of `after` against `before`, with its exact two-sided p-value.
pub fn rank_test(before: &[u64], after: &[u64]) -> RankTest {
    let mut u = 0.0f64;
    for &a in after {
        for &b in before {
            if a > b {
                u += 1.0;
            } else if a == b {
                u += 0.5;
            }
        }
    }
    let (n, m) = (before.len(), after.len());
    let extreme = u.min((n * m) as f64 - u).floor() as usize;
    let p = (2.0 * lower_tail(n, m, extreme)).min(1.0);
    RankTest { u, p }
}

/// P(U ≤ k) for sample sizes n and m with no real difference: the share of the C(n+m, n)
/// orderings whose U is at most k. Exact for up to 400 pairs, a normal approximation above.
fn lower_tail(n: usize, m: usize, k: usize) -> f64 {
    let max_u = n * m;
    if max_u > 400 {
        let mean = max_u as f64 / 2.0;
        let sd = (max_u as f64 * (n + m + 1) as f64 / 12.0).sqrt();
        let z = (k as f64 + 0.5 - mean) / sd;
        return 0.5 * erfc(-z / std::f64::consts::SQRT_2);
    }
    // f[i][j][u]: orderings of i BEFORE and j AFTER values with U = u. The largest value is
    // either an AFTER one (it beats all i BEFORE values: U − i) or a BEFORE one (beats none).
    let mut f = vec![vec![vec![0.0f64; max_u + 1]; m + 1]; n + 1];
    for i in 0..=n {
        for j in 0..=m {
            for u in 0..=max_u {
                f[i][j][u] = if i == 0 || j == 0 {
                    if u == 0 { 1.0 } else { 0.0 }
                } else {
                    let largest_after = if u >= i { f[i][j - 1][u - i] } else { 0.0 };
                    largest_after + f[i - 1][j][u]
                };
            }
        }
    }
    let all: f64 = f[n][m].iter().sum();
    let below: f64 = f[n][m].iter().take(k + 1).sum();
    below / all
}

/// The complementary error function (Numerical Recipes' erfcc, error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_overlapping_ranges_are_beyond_the_noise() {
        let n = Noise::of(&[1100, 1200, 1500], &[150, 160, 180]);
        assert!(matches!(n, Noise::Beyond { slower: false, .. }), "{n:?}");
        let Noise::Beyond { test, .. } = n else {
            unreachable!()
        };
        assert_eq!(test.u, 0.0);
        assert!((test.p - 0.1).abs() < 1e-9, "2/20: {}", test.p);
        assert!(Noise::of(&[100, 200], &[300, 400]).slower_beyond());
    }

    #[test]
    fn overlapping_ranges_are_within_the_noise() {
        assert!(matches!(
            Noise::of(&[100, 150, 300], &[120, 200, 250]),
            Noise::Within { .. }
        ));
        assert_eq!(Noise::of(&[100], &[300, 400]), Noise::Unknown);
    }

    #[test]
    fn exact_p_values_match_the_tables() {
        // Five runs per side, complete separation: 2 / C(10, 5) = 2 / 252.
        let t = rank_test(&[10, 11, 12, 13, 14], &[20, 21, 22, 23, 24]);
        assert_eq!(t.u, 25.0);
        assert!((t.p - 2.0 / 252.0).abs() < 1e-12, "{}", t.p);
        // U = 7 of 3x3 (2 from the other end): P(U <= 2) = 4/20, two-sided 0.4.
        let t = rank_test(&[10, 20, 30], &[15, 40, 50]);
        assert_eq!(t.u, 7.0);
        assert!((t.p - 0.4).abs() < 1e-12, "{}", t.p);
        // The normal approximation takes over smoothly for many runs.
        let before: Vec<u64> = (0..30).collect();
        let after: Vec<u64> = (100..130).collect();
        assert!(rank_test(&before, &after).p < 1e-9);
    }
}
