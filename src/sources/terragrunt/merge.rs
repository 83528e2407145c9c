//! Terragrunt's merge of an included configuration with the one that
//! includes it (`merge_strategy`), for what parity reads of it: `inputs`,
//! `dependency` blocks, `terraform { source }` and `skip`.
//!
//! Terragrunt merges each included file under the including one, in the
//! order of the include blocks: the child wins over every parent, the
//! first include over later ones. `shallow` (the default) replaces a
//! parent's input with the child's of the same name; `deep` merges maps
//! key by key and concatenates lists; `no_merge` merges nothing (the
//! parent is only readable through `expose`). `locals` are never merged:
//! each file has its own. A dependency block of the child replaces the
//! parent's of the same name (a deep merge differs only in
//! `mock_outputs`, which parity never uses as values).

use std::collections::BTreeMap;

use crate::model::{Location, Value};

/// Inputs by name: the value and the line of the input that set it.
pub(crate) type Inputs = BTreeMap<String, (Value, Location)>;

/// An include block's `merge_strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    NoMerge,
    Shallow,
    Deep,
}

impl Strategy {
    pub(crate) fn parse(s: &str) -> Option<Strategy> {
        match s {
            "no_merge" => Some(Strategy::NoMerge),
            "shallow" => Some(Strategy::Shallow),
            "deep" => Some(Strategy::Deep),
            _ => None,
        }
    }
}

/// The inputs of `child` merged over those of `parent`.
pub(crate) fn inputs(parent: &Inputs, child: Inputs, strategy: Strategy) -> Inputs {
    if strategy == Strategy::NoMerge {
        return child;
    }
    let mut out = parent.clone();
    for (name, (value, at)) in child {
        let value = match (strategy, out.remove(&name)) {
            (Strategy::Deep, Some((under, _))) => deep(under, value),
            _ => value,
        };
        out.insert(name, (value, at));
    }
    out
}

/// Terragrunt's deep merge of two values: maps key by key, lists
/// concatenated, anything else the child's.
pub(crate) fn deep(parent: Value, child: Value) -> Value {
    match (parent, child) {
        (Value::Map(mut p), Value::Map(c)) => {
            for (k, v) in c.iter() {
                let merged = match p.remove(k) {
                    Some(under) => deep(under, v.clone()),
                    None => v.clone(),
                };
                p.insert(k.clone(), merged);
            }
            Value::Map(p)
        }
        (Value::List(mut p), Value::List(c)) => {
            p.extend(c);
            Value::List(p)
        }
        (_, child) => child,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32) -> Location {
        Location::new("x.hcl", Some(line))
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn shallow_replaces_deep_merges_no_merge_keeps_the_child() {
        let mut parent = Inputs::new();
        parent.insert("tags".into(), (map(&[("a", Value::str("1"))]), at(1)));
        parent.insert("azs".into(), (Value::List(vec![Value::str("a")]), at(2)));
        parent.insert("only_parent".into(), (Value::Bool(true), at(3)));
        let mut child = Inputs::new();
        child.insert("tags".into(), (map(&[("b", Value::str("2"))]), at(10)));
        child.insert("azs".into(), (Value::List(vec![Value::str("b")]), at(11)));

        let shallow = inputs(&parent, child.clone(), Strategy::Shallow);
        assert_eq!(shallow["tags"], (map(&[("b", Value::str("2"))]), at(10)));
        assert_eq!(shallow["only_parent"].1, at(3));

        let deep = inputs(&parent, child.clone(), Strategy::Deep);
        assert_eq!(
            deep["tags"].0,
            map(&[("a", Value::str("1")), ("b", Value::str("2"))])
        );
        assert_eq!(
            deep["azs"].0,
            Value::List(vec![Value::str("a"), Value::str("b")])
        );
        assert_eq!(deep["azs"].1, at(11));

        let none = inputs(&parent, child, Strategy::NoMerge);
        assert!(!none.contains_key("only_parent"));
        assert_eq!(none.len(), 2);
        assert_eq!(Strategy::parse("deep"), Some(Strategy::Deep));
        assert_eq!(Strategy::parse("deeper"), None);
    }
}
