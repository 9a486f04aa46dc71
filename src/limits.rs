//! Amounts on the command line: `400ms`, `1.5s`, `800us`, a bare sample count, `10%`.
//! Parsed once here, so `check` and `diff` never compare strings.

use std::fmt;

use crate::model::Unit;
use crate::model::human;

/// A weight limit: a time (stored in µs) or a bare count (samples).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// Microseconds, from `400ms`, `1.5s`, `800us`.
    Time(u64),
    /// A plain number: samples (py-spy) or µs when the profile is timed.
    Count(u64),
}

impl Amount {
    /// The limit in the profile's unit, or why it does not apply.
    pub fn in_unit(self, unit: Unit) -> Result<u64, String> {
        match (self, unit) {
            (Amount::Time(us), Unit::Microseconds) => Ok(us),
            (Amount::Count(n), _) => Ok(n),
            (Amount::Time(_), Unit::Samples) => Err(
                "a time limit cannot apply to sample counts: give a bare number of samples".into(),
            ),
            (Amount::Time(_), Unit::Bytes) => Err(
                "a time limit cannot apply to a memory profile: give a bare number of bytes".into(),
            ),
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Time(us) => f.write_str(&human(*us, Unit::Microseconds)),
            Amount::Count(n) => write!(f, "{n}"),
        }
    }
}

/// `400ms`, `1.5s`, `800us` / `800µs`, or a bare integer.
pub fn parse_amount(s: &str) -> Result<Amount, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = (&s[..split], s[split..].trim());
    let bad =
        || format!("expected a time such as 400ms, 1.5s or 800us, or a sample count, got {s:?}");
    if number.is_empty() {
        return Err(bad());
    }
    let scale = match unit {
        "" => {
            return number.parse::<u64>().map(Amount::Count).map_err(|_| bad());
        }
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        _ => return Err(bad()),
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let us = (value * scale).round();
    if !us.is_finite() || us < 0.0 || us > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(Amount::Time(us as u64))
}

/// How much slower is too slow: a share of the baseline, or an amount.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// Percent of the baseline (`10%`).
    Percent(f64),
    /// An absolute amount (`50ms`).
    Amount(Amount),
}

impl Threshold {
    /// True when going from `before` to `after` exceeds this threshold.
    pub fn exceeded(self, before: u64, after: u64, unit: Unit) -> Result<bool, String> {
        let growth = after.saturating_sub(before);
        match self {
            Threshold::Percent(p) => {
                if before == 0 {
                    return Ok(growth > 0);
                }
                Ok(growth as f64 * 100.0 / before as f64 > p)
            }
            Threshold::Amount(a) => Ok(growth > a.in_unit(unit)?),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::Percent(p) => write!(f, "{p}%"),
            Threshold::Amount(a) => write!(f, "{a}"),
        }
    }
}

/// `10%`, `2.5%` or an amount (`50ms`).
pub fn parse_threshold(s: &str) -> Result<Threshold, String> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        let v: f64 = p
            .trim()
            .parse()
            .map_err(|_| format!("expected a percentage such as 10%, got {s:?}"))?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!("expected a percentage such as 10%, got {s:?}"));
        }
        return Ok(Threshold::Percent(v));
    }
    parse_amount(s).map(Threshold::Amount)
}

/// `regression=10%` or `regression=50ms` (`--fail-on`).
pub fn parse_fail_on(s: &str) -> Result<Threshold, String> {
    let rest = s
        .strip_prefix("regression=")
        .ok_or_else(|| format!("expected regression=PERCENT or regression=TIME, got {s:?}"))?;
    parse_threshold(rest)
}

/// A `--budget NAME=TIME` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// `total`, or a module / function name.
    pub target: String,
    /// The most it may take.
    pub limit: Amount,
}

/// `total=400ms`, `numpy=80ms`.
pub fn parse_budget(s: &str) -> Result<Budget, String> {
    let (target, limit) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("expected NAME=TIME such as total=400ms, got {s:?}"))?;
    if target.trim().is_empty() {
        return Err(format!("expected NAME=TIME such as numpy=80ms, got {s:?}"));
    }
    Ok(Budget {
        target: target.trim().to_string(),
        limit: parse_amount(limit)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_written() {
        for (s, expected) in [
            ("400ms", Ok(Amount::Time(400_000))),
            ("1.5s", Ok(Amount::Time(1_500_000))),
            ("800us", Ok(Amount::Time(800))),
            ("800µs", Ok(Amount::Time(800))),
            ("120", Ok(Amount::Count(120))),
        ] {
            assert_eq!(parse_amount(s), expected, "{s}");
        }
        for bad in ["", "ms", "4 hours", "-3ms", "1e9s"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn thresholds_and_budgets() {
        assert_eq!(
            parse_fail_on("regression=10%"),
            Ok(Threshold::Percent(10.0))
        );
        assert_eq!(
            parse_fail_on("regression=50ms"),
            Ok(Threshold::Amount(Amount::Time(50_000)))
        );
        assert!(parse_fail_on("slower=10%").is_err());
        assert_eq!(
            parse_budget("numpy=80ms"),
            Ok(Budget {
                target: "numpy".into(),
                limit: Amount::Time(80_000)
            })
        );
        let t = Threshold::Percent(10.0);
        assert_eq!(t.exceeded(100, 111, Unit::Microseconds), Ok(true));
        assert_eq!(t.exceeded(100, 110, Unit::Microseconds), Ok(false));
    }
}
