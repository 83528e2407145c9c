//! The `absent` comparator: the attribute should be unset everywhere, so
//! each side is judged on its own.

use crate::model::value::Value;

use super::equal::loose_eq;
use super::{show, Outcome};

/// The attribute should be unset everywhere: judged per side, so a value
/// both sides share is still a difference from what is wanted. The detail
/// names the sides that hold a value.
pub(super) fn absent(left: &Value, right: &Value) -> Outcome {
    match (left.is_null(), right.is_null()) {
        (true, true) => Outcome::Same,
        (false, true) => Outcome::differ(format!("in left: {}", show(left))),
        (true, false) => Outcome::differ(format!("in right: {}", show(right))),
        (false, false) if loose_eq(left, right) => {
            Outcome::differ(format!("in left and right: {}", show(left)))
        }
        (false, false) => Outcome::differ(format!(
            "in left: {}; in right: {}",
            show(left),
            show(right)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, run, s};
    use crate::model::value::Value;
    use crate::rules::Comparator;

    #[test]
    fn absent_is_judged_per_side_even_when_equal() {
        assert!(run(Comparator::Absent, &Value::Null, &Value::Null).is_same());
        assert_eq!(
            differ(run(Comparator::Absent, &s("x"), &s("x"))).detail,
            "in left and right: x"
        );
        assert_eq!(
            differ(run(Comparator::Absent, &Value::Null, &s("y"))).detail,
            "in right: y"
        );
        assert_eq!(
            differ(run(Comparator::Absent, &s("x"), &s("y"))).detail,
            "in left: x; in right: y"
        );
    }
}
