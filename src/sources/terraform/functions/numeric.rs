//! Terraform's numeric functions (`min`, `max`, `parseint`, `signum`, ...).
//! The one-line ones (`abs`, `ceil`, `floor`) stay in the dispatch table;
//! here are those with enough logic to be read and tested on their own.

use super::{at_least, int, invalid, num, number, one_arg, string, two_args, FnError};
use crate::model::Value;

pub(super) fn signum(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let x = num(name, one_arg(name, a)?)?;
    // Terraform decodes the argument into a Go `int` (gocty), which takes
    // only a whole number in range: `signum(-0.5)` is an error.
    if x.fract() != 0.0 || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
        return Err(invalid(
            name,
            "value must be a whole number, between -9223372036854775808 and 9223372036854775807",
        ));
    }
    number(
        name,
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        },
    )
}

pub(super) fn log(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (x, base) = two_args(name, a)?;
    number(name, num(name, x)?.ln() / num(name, base)?.ln())
}

pub(super) fn pow(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (x, y) = two_args(name, a)?;
    number(name, num(name, x)?.powf(num(name, y)?))
}

pub(super) fn min_max(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let nums = a
        .iter()
        .map(|v| num(name, v))
        .collect::<Result<Vec<_>, _>>()?;
    let pick = if name == "min" { f64::min } else { f64::max };
    let first = nums.first().copied().unwrap_or(0.0);
    number(name, nums.into_iter().fold(first, pick))
}

pub(super) fn parseint(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, base) = two_args(name, a)?;
    let s = string(name, s)?;
    let base = int(name, base)?;
    if !(2..=62).contains(&base) {
        return Err(invalid(
            name,
            format!("base must be a whole number between 2 and 62 inclusive, got {base}"),
        ));
    }
    let bad = || invalid(name, format!("cannot parse {s:?} as a base {base} integer"));
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0f64;
    // Exact while it fits (Terraform parses into a big.Int).
    let mut exact: Option<i128> = Some(0);
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            // Go's big.Int: upper case letters are 10..35 up to base 36 and
            // 36..61 above it.
            'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
            'A'..='Z' => c as i64 - 'A' as i64 + 36,
            _ => return Err(bad()),
        };
        if d >= base {
            return Err(bad());
        }
        total = total * base as f64 + d as f64;
        exact = exact
            .and_then(|t| t.checked_mul(i128::from(base)))
            .and_then(|t| t.checked_add(i128::from(d)));
    }
    if let Some(t) = exact {
        let t = if negative { -t } else { t };
        if t != 0 {
            return Ok(crate::model::bignum::BigFloat::from_i128(t).into_value());
        }
    }
    number(name, if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, l, ln, n, ok, s};

    #[test]
    fn min_max_sum() {
        assert_eq!(ok("min", vec![n(12.0), n(54.0), n(3.0)]), n(3.0));
        assert_eq!(ok("max", vec![n(12.0), n(54.0), n(3.0)]), n(54.0));
        assert_eq!(ok("max", vec![s("7"), n(2.0)]), n(7.0));
        assert_eq!(ok("sum", vec![ln(&[10.0, 13.0, 6.0, 4.5])]), n(33.5));
        assert!(err("sum", vec![l(vec![])]).contains("empty"));
        assert!(err("min", vec![]).contains("at least 1"));
    }

    #[test]
    fn math() {
        assert_eq!(ok("abs", vec![n(-12.4)]), n(12.4));
        assert_eq!(ok("abs", vec![n(0.0)]), n(0.0));
        assert_eq!(ok("ceil", vec![n(4.1)]), n(5.0));
        assert_eq!(ok("ceil", vec![n(5.0)]), n(5.0));
        assert_eq!(ok("floor", vec![n(4.9)]), n(4.0));
        assert_eq!(ok("floor", vec![n(5.0)]), n(5.0));
        assert_eq!(ok("log", vec![n(50.0), n(10.0)]), n(1.6989700043360185));
        assert_eq!(ok("log", vec![n(16.0), n(2.0)]), n(4.0));
        assert_eq!(ok("pow", vec![n(3.0), n(2.0)]), n(9.0));
        assert_eq!(ok("pow", vec![n(4.0), n(0.0)]), n(1.0));
        assert_eq!(ok("signum", vec![n(-13.0)]), n(-1.0));
        assert_eq!(ok("signum", vec![n(0.0)]), n(0.0));
        assert_eq!(ok("signum", vec![n(344.0)]), n(1.0));
        // A Go int: whole numbers only.
        assert!(err("signum", vec![n(-0.5)]).contains("whole number"));
        assert!(err("pow", vec![n(10.0), n(400.0)]).contains("finite"));
    }

    #[test]
    fn parseint() {
        assert_eq!(ok("parseint", vec![s("100"), n(10.0)]), n(100.0));
        assert_eq!(ok("parseint", vec![s("FF"), n(16.0)]), n(255.0));
        assert_eq!(ok("parseint", vec![s("-10"), n(16.0)]), n(-16.0));
        assert_eq!(
            ok("parseint", vec![s("1011111011101111"), n(2.0)]),
            n(48879.0)
        );
        assert_eq!(ok("parseint", vec![s("aA"), n(62.0)]), n(656.0));
        assert!(err("parseint", vec![s("12"), n(2.0)]).contains("cannot parse"));
        assert!(err("parseint", vec![s("1"), n(1.0)]).contains("base"));
    }
}
