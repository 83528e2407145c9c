//! The `ignore` comparator: a difference is expected and reported only as
//! `info`, so it stays visible without failing a run.

use crate::findings::Severity;
use crate::model::value::Value;

use super::equal::loose_eq;
use super::{show, Difference, Outcome};

pub(super) fn ignore(left: &Value, right: &Value) -> Outcome {
    if loose_eq(left, right) {
        return Outcome::Same;
    }
    Outcome::Differ(
        Difference::new(format!(
            "expected difference: {} vs {}",
            show(left),
            show(right)
        ))
        .at(Some(Severity::Info)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, run, s};
    use crate::findings::Severity;
    use crate::model::value::Value;
    use crate::rules::Comparator;

    #[test]
    fn ignore_is_info_when_different() {
        assert!(run(Comparator::Ignore, &s("a"), &s("a")).is_same());
        let d = differ(run(
            Comparator::Ignore,
            &Value::Number(2.0),
            &Value::Number(3.0),
        ));
        assert_eq!(d.severity, Some(Severity::Info));
        assert_eq!(d.detail, "expected difference: 2 vs 3");
    }
}
