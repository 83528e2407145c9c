//! The `set` comparator: lists whose order carries no meaning (security
//! group ids, subnets), reported as what each side has that the other lacks.

use crate::model::value::Value;

use super::equal::loose_eq;
use super::{describe_inequality, list_phrase, show, Outcome};

fn set_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Null => Vec::new(),
        Value::List(items) => items.iter().collect(),
        other => vec![other],
    }
}

pub(super) fn set(left: &Value, right: &Value) -> Outcome {
    let (l, r) = (set_items(left), set_items(right));
    let mut used = vec![false; r.len()];
    let mut only_left: Vec<&Value> = Vec::new();
    for a in &l {
        match (0..r.len()).find(|&j| !used[j] && loose_eq(a, r[j])) {
            Some(j) => used[j] = true,
            None => only_left.push(a),
        }
    }
    let only_right: Vec<&Value> = r
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(v, _)| *v)
        .collect();
    let phrase = |items: &[&Value]| list_phrase(&items.iter().map(|v| show(v)).collect::<Vec<_>>());
    let detail = match (only_left.as_slice(), only_right.as_slice()) {
        ([], []) => return Outcome::Same,
        (l, []) => format!("only left has: {}", phrase(l)),
        ([], r) => format!("only right has: {}", phrase(r)),
        // One block changed on each side: say what changed inside it.
        ([a @ (Value::Map(_) | Value::List(_))], [b]) if a.type_name() == b.type_name() => {
            describe_inequality(a, b)
        }
        (l, r) => format!(
            "only left has: {}; only right has: {}",
            phrase(l),
            phrase(r)
        ),
    };
    Outcome::differ(detail)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, list, map, run, s};
    use crate::model::value::Value;
    use crate::rules::Comparator;

    #[test]
    fn set_ignores_order() {
        assert!(run(Comparator::Set, &list(&["a", "b"]), &list(&["b", "a"])).is_same());
        assert!(run(Comparator::Set, &Value::Null, &list(&[])).is_same());
    }

    #[test]
    fn set_describes_one_changed_block() {
        let l = Value::List(vec![map(&[("name", s("work_mem")), ("value", s("4MB"))])]);
        let r = Value::List(vec![map(&[("name", s("work_mem")), ("value", s("64MB"))])]);
        assert_eq!(
            differ(run(Comparator::Set, &l, &r)).detail,
            "differs at value: 4MB vs 64MB"
        );
    }

    #[test]
    fn set_lists_each_sides_extras() {
        let d = differ(run(
            Comparator::Set,
            &list(&["a", "b", "b"]),
            &list(&["b", "c"]),
        ));
        assert_eq!(d.detail, "only left has: a, b; only right has: c");
        let d = differ(run(Comparator::Set, &list(&["a"]), &list(&["a", "c"])));
        assert_eq!(d.detail, "only right has: c");
    }
}
