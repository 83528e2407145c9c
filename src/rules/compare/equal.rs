//! The `equal` comparator and the loose equality under every other
//! comparator: values compare the way Terraform converts them, so `"3"` in
//! one environment and `3` in the other is not a difference.

use crate::model::value::Value;

use super::{describe_inequality, Outcome};

/// Structural equality with Terraform's conversions: `"3"` equals `3`,
/// `"true"` equals `true`, and an unknown `aws_vpc.main.id` equals the string
/// `"${aws_vpc.main.id}"`.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        // A fraction read as a 64-bit float (state and plan JSON, the live
        // AWS APIs) has lost the digits a 512-bit number keeps: `0.1` in the
        // code and `0.1` in the state are the same number, compared at the
        // float's precision. Integers stay exact (state keeps them exact).
        (Value::Number(f), Value::BigNumber(b)) | (Value::BigNumber(b), Value::Number(f))
            if f.is_finite() && f.fract() != 0.0 =>
        {
            b.to_f64() == *f
        }
        // Otherwise a 512-bit number (see `model::bignum`) equals only the
        // same number, or a string with those digits.
        (Value::Number(_) | Value::BigNumber(_), Value::Number(_) | Value::BigNumber(_)) => {
            crate::model::value::compare_numbers(a, b).is_some_and(|o| o.is_eq())
        }
        (Value::BigNumber(_), Value::String(s)) | (Value::String(s), Value::BigNumber(_)) => {
            let n = if a.as_str().is_some() { b } else { a };
            Value::parse_number(s.trim()).is_some_and(|m| &m == n)
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Unknown(x), Value::Unknown(y)) => x == y,
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            s.parse::<f64>().is_ok_and(|m| m == *n)
        }
        (Value::Bool(v), Value::String(s)) | (Value::String(s), Value::Bool(v)) => {
            s == if *v { "true" } else { "false" }
        }
        (Value::Unknown(e), Value::String(s)) | (Value::String(s), Value::Unknown(e)) => {
            s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) == Some(e.as_str())
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| loose_eq(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| loose_eq(v, w)))
        }
        _ => false,
    }
}

pub(super) fn equal(left: &Value, right: &Value) -> Outcome {
    if loose_eq(left, right) {
        Outcome::Same
    } else {
        Outcome::differ(describe_inequality(left, right))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, map, run, s};
    use crate::model::value::Value;
    use crate::rules::Comparator;

    #[test]
    fn equal_converts_like_terraform() {
        assert!(run(Comparator::Equal, &s("3"), &Value::Number(3.0)).is_same());
        assert!(run(Comparator::Equal, &s("true"), &Value::Bool(true)).is_same());
        assert!(run(
            Comparator::Equal,
            &Value::Unknown("aws_vpc.main.id".into()),
            &s("${aws_vpc.main.id}")
        )
        .is_same());
        assert!(!run(Comparator::Equal, &s("3.5"), &Value::Number(3.0)).is_same());
        let big = Value::parse_number("9007199254740993").expect("number");
        assert!(run(Comparator::Equal, &big, &s("9007199254740993")).is_same());
        assert!(!run(Comparator::Equal, &big, &Value::Number(9007199254740992.0)).is_same());
        assert!(run(Comparator::Equal, &big, &big.clone()).is_same());
    }

    #[test]
    fn a_fraction_read_as_a_float_equals_the_decimal_it_was_written_as() {
        // `threshold = 0.1` in the code is the decimal 0.1 (512 bits); the
        // state's `0.1` is read as the nearest float: the same number.
        let decimal = Value::parse_number("0.1").expect("number");
        assert!(matches!(decimal, Value::BigNumber(_)));
        assert!(run(Comparator::Equal, &decimal, &Value::Number(0.1)).is_same());
        assert!(run(Comparator::Equal, &Value::Number(0.1), &decimal).is_same());
        // Another float is another number.
        assert!(!run(Comparator::Equal, &decimal, &Value::Number(0.2)).is_same());
        let third = Value::parse_number("0.3").expect("number");
        assert!(!run(Comparator::Equal, &third, &Value::Number(0.1 + 0.2)).is_same());
    }

    #[test]
    fn equal_names_the_differing_path() {
        let l = map(&[("Owner", s("a")), ("Team", s("x"))]);
        let r = map(&[("Owner", s("b")), ("Team", s("x"))]);
        let d = differ(run(Comparator::Equal, &l, &r));
        assert_eq!(d.detail, "differs at Owner: a vs b");
        assert_eq!(d.severity, None);
    }

    #[test]
    fn equal_reports_one_sided_values() {
        let d = differ(run(Comparator::Equal, &s("gp3"), &Value::Null));
        assert_eq!(d.detail, "set only in left: gp3");
    }
}
