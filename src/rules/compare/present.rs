//! The `present` comparator: only whether each side sets the attribute
//! matters, not its value.

use crate::model::value::Value;

use super::Outcome;

pub(super) fn present(left: &Value, right: &Value) -> Outcome {
    match (left.is_null(), right.is_null()) {
        (false, true) => Outcome::differ("present only in left"),
        (true, false) => Outcome::differ("present only in right"),
        _ => Outcome::Same,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, run, s};
    use crate::model::value::Value;
    use crate::rules::Comparator;

    #[test]
    fn present_only_cares_about_existence() {
        assert!(run(Comparator::Present, &s("a"), &s("b")).is_same());
        assert_eq!(
            differ(run(Comparator::Present, &s("a"), &Value::Null)).detail,
            "present only in left"
        );
        assert_eq!(
            differ(run(Comparator::Present, &Value::Null, &s("b"))).detail,
            "present only in right"
        );
    }
}
