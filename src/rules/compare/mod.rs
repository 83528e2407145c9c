//! Comparators: how the two normalized values of one attribute are judged.
//!
//! [`compare`] dispatches on the rule's [`Comparator`]; each comparator is a
//! small function in a file of its own, with its tests. Values arrive normalized
//! (environment names are `${env}`, account ids `${account}`), and
//! [`Value::Null`] means "absent or unset on that side".
//!
//! A comparator only says *whether* two values differ and *how*, in one plain
//! sentence; the engine turns that into a finding with the rule's id,
//! category and severity. A comparator overrides the severity only when the
//! kind of difference matters less than the rule says (a patch-level version
//! difference under a `minor` rule is `info`).
//!
//! One deliberate reading of `shape`: numbers, booleans and protocols must be
//! equal; only other strings may differ (CIDRs by prefix length). Security
//! group rules are the reason: staging and prod use different address ranges,
//! but a port (`from_port = 22` vs `443`) or a protocol (`tcp` vs `-1`, all
//! traffic) is never an expected difference.
//!
//! This file holds the shared types, the dispatch, and the wording every
//! comparator shares (where two values differ, how a value is shown); each
//! comparator has a file of its own beside it, with its tests.

use std::collections::BTreeSet;

use super::{Comparator, Rule, VersionLevel};
use crate::findings::Severity;
use crate::model::value::Value;

mod absent;
mod equal;
mod family;
mod ignore;
mod policy;
mod present;
mod set;
mod shape;
mod tokens;
mod version;

pub use equal::loose_eq;
pub use policy::canonical_policy_text;
pub use tokens::{doc as tokens_doc, is_token, mask as mask_tokens};

/// How two values differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// `Some` overrides the rule's severity (e.g. a patch-only version
    /// difference under `level = "minor"` is `info`).
    pub severity: Option<Severity>,
    /// One plain sentence: what differs and which side is wider or newer.
    pub detail: String,
    /// A unified diff of canonical documents (`policy`).
    pub diff: Option<String>,
    /// The difference is an expected one (`tokens`: only generated tokens
    /// differ), like every difference under an `ignore` rule.
    pub expected: bool,
}

impl Difference {
    fn new(detail: impl Into<String>) -> Difference {
        Difference {
            severity: None,
            detail: detail.into(),
            diff: None,
            expected: false,
        }
    }

    fn at(mut self, severity: Option<Severity>) -> Difference {
        self.severity = severity;
        self
    }

    fn expected(mut self) -> Difference {
        self.expected = true;
        self
    }
}

/// The verdict of one comparator on one pair of values.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Same,
    Differ(Difference),
}

impl Outcome {
    pub fn is_same(&self) -> bool {
        matches!(self, Outcome::Same)
    }

    fn differ(detail: impl Into<String>) -> Outcome {
        Outcome::Differ(Difference::new(detail))
    }
}

/// Compare two normalized values with the rule's comparator.
pub fn compare(rule: &Rule, left: &Value, right: &Value) -> Outcome {
    match rule.compare {
        Comparator::Equal => equal::equal(left, right),
        Comparator::Version => version::version(
            left,
            right,
            rule.level.unwrap_or(VersionLevel::Minor),
            rule.severity,
        ),
        Comparator::Set => set::set(left, right),
        Comparator::Policy => policy::policy(left, right),
        Comparator::Shape => shape::shape(left, right),
        Comparator::Family => family::family(left, right),
        Comparator::Present => present::present(left, right),
        Comparator::Absent => absent::absent(left, right),
        Comparator::Ignore => ignore::ignore(left, right),
        Comparator::Tokens => tokens::tokens(left, right),
    }
}

fn describe_inequality(left: &Value, right: &Value) -> String {
    match (left, right) {
        (Value::Null, v) => format!("set only in right: {}", show(v)),
        (v, Value::Null) => format!("set only in left: {}", show(v)),
        (Value::Map(_), Value::Map(_)) | (Value::List(_), Value::List(_)) => {
            let mut paths = Vec::new();
            differing_paths(left, right, "", &mut paths);
            match paths.split_first() {
                Some((first, [])) => format!("differs {first}"),
                Some((first, rest)) => format!("differs {first} (and {} more)", rest.len()),
                None => format!("differs: {} vs {}", show(left), show(right)),
            }
        }
        _ => format!("differs: {} vs {}", show(left), show(right)),
    }
}

/// Collect a phrase per differing leaf: `at tags.Owner: a vs b`.
fn differing_paths(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let l = x.get(key).unwrap_or(&Value::Null);
                let r = y.get(key).unwrap_or(&Value::Null);
                if !loose_eq(l, r) {
                    differing_paths(l, r, &join_key(path, key), out);
                }
            }
        }
        (Value::List(x), Value::List(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                if !loose_eq(l, r) {
                    differing_paths(l, r, &join_index(path, i), out);
                }
            }
        }
        (Value::List(x), Value::List(y)) => out.push(format!(
            "{}: {} item{} vs {}",
            at_path(path),
            x.len(),
            crate::report::plural(x.len()),
            y.len()
        )),
        _ => out.push(format!("{}: {} vs {}", at_path(path), show(a), show(b))),
    }
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        "in length".to_string()
    } else {
        format!("at {path}")
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn join_index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// A value for a one-line message: short, `(unset)` for null.
fn show(v: &Value) -> String {
    const MAX: usize = 80;
    let text = match v {
        Value::Null => return "(unset)".to_string(),
        other => other.display(),
    };
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn list_phrase<S: AsRef<str>>(items: &[S]) -> String {
    const MAX: usize = 8;
    let shown: Vec<&str> = items.iter().take(MAX).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if items.len() > MAX {
        text.push_str(&format!(" and {} more", items.len() - MAX));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Category;

    pub(super) fn rule(compare: Comparator, level: Option<VersionLevel>) -> Rule {
        Rule {
            id: "test-rule".into(),
            category: Category::Config,
            severity: Severity::Error,
            resources: vec!["*".into()],
            attributes: vec!["*".into()],
            compare,
            level,
            summary: "s".into(),
            why: "w".into(),
        }
    }

    pub(super) fn s(text: &str) -> Value {
        Value::str(text)
    }

    pub(super) fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| s(i)).collect())
    }

    pub(super) fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    pub(super) fn differ(outcome: Outcome) -> Difference {
        match outcome {
            Outcome::Differ(d) => d,
            Outcome::Same => panic!("expected a difference"),
        }
    }

    pub(super) fn run(compare: Comparator, l: &Value, r: &Value) -> Outcome {
        super::compare(&rule(compare, None), l, r)
    }

    pub(super) fn ver(level: VersionLevel, a: &str, b: &str) -> Outcome {
        super::compare(&rule(Comparator::Version, Some(level)), &s(a), &s(b))
    }
}
