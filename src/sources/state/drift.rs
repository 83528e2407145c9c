//! Preparing code and state of one environment for `parity drift`.
//!
//! Code states an intent; state records everything the provider knows
//! (every default, every computed value). Drift asks only whether the
//! intent holds, so before the engine compares them:
//! - data sources and dependency records are left out on both sides (drift
//!   is about managed resources; `required_version` is not comparable with
//!   the Terraform version that wrote the state);
//! - resources inside module calls the code could not expand (a remote
//!   module) are left out of state: code says nothing about them, and the
//!   code snapshot already lists the module as a coverage gap;
//! - with several state files, a file holding none of the code's resources
//!   belongs to another stack: it is left out, and noted as a gap;
//! - each state value is projected onto the shape of the code's value:
//!   object members and block arguments the code does not set are dropped,
//!   so `ingress = [{ from_port = 5432, … }]` compares with the provider's
//!   fuller block; a code string that embeds values known only after apply
//!   (`jsonencode` of a log group's name) matches the state's string when
//!   it does with those parts as wildcards. (Attributes the code does not
//!   set at all are skipped by the engine's `left_is_intent` mode.)
//!
//! The rules change too ([`rules`]): between environments a smaller
//! instance in the same family is expected; between code and state it is
//! drift. Comparators that allow expected differences compare for equality.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::json;
use crate::findings::Severity;
use crate::model::{CoverageGap, Snapshot, Value};
use crate::rules::compare::loose_eq;
use crate::rules::{Comparator, Rule};

/// The rules for drift: `family`, `shape`, `version` and `ignore` compare
/// for equality (an intent either holds or it does not), at `warning` at
/// least; `set`, `policy`, `present` and `equal` keep their meaning.
pub fn rules(rules: &[Rule]) -> Vec<Rule> {
    rules
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if matches!(
                r.compare,
                Comparator::Family | Comparator::Shape | Comparator::Version | Comparator::Ignore
            ) {
                r.compare = Comparator::Equal;
                r.level = None;
                r.severity = r.severity.max(Severity::Warning);
            }
            r
        })
        .collect()
}

/// Make `state` comparable with `code` for drift (see the module docs).
pub fn prepare(code: &mut Snapshot, state: &mut Snapshot) {
    code.resources.retain(|r| !r.data);
    state.resources.retain(|r| !r.data);
    code.dependencies.clear();
    state.dependencies.clear();

    let unexpanded: Vec<String> = code
        .coverage
        .iter()
        .filter(|g| g.what.starts_with("module."))
        .map(|g| g.what.clone())
        .collect();
    state.resources.retain(|r| {
        !unexpanded.iter().any(|m| {
            r.address
                .strip_prefix(m.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    });

    let in_code: BTreeSet<&str> = code.resources.iter().map(|r| r.address.as_str()).collect();
    let mut files: BTreeMap<String, bool> = BTreeMap::new();
    for r in &state.resources {
        let shared = files.entry(r.location.file.clone()).or_insert(false);
        *shared |= in_code.contains(r.address.as_str());
    }
    if files.len() > 1 && files.values().any(|s| *s) {
        for (file, shared) in &files {
            if !shared {
                state.coverage.push(CoverageGap {
                    what: file.clone(),
                    reason: "holds none of the resources the code declares (another stack?): left out of drift".into(),
                });
            }
        }
        state
            .resources
            .retain(|r| files.get(&r.location.file).copied().unwrap_or(true));
    }

    let code_by_address: HashMap<&str, &BTreeMap<String, Value>> = code
        .resources
        .iter()
        .map(|r| (r.address.as_str(), &r.attributes))
        .collect();
    for r in &mut state.resources {
        let Some(intent) = code_by_address.get(r.address.as_str()) else {
            continue;
        };
        for (k, v) in r.attributes.iter_mut() {
            if let Some(c) = intent.get(k) {
                *v = project(c, v);
            }
        }
        // The state source leaves empty values out: an empty value in code
        // is what state holds then.
        for (k, c) in intent.iter() {
            if json::is_empty(c) && !c.is_null() && !r.attributes.contains_key(k) {
                r.attributes.insert(k.clone(), c.clone());
            }
        }
    }
}

/// `state` reduced to what `code` says: object members the code does not
/// set are dropped; each block of a list is projected onto the code block
/// it matches.
pub fn project(code: &Value, state: &Value) -> Value {
    match (code, state) {
        (Value::Map(c), Value::Map(s)) => Value::Map(
            c.iter()
                .filter_map(|(k, cv)| match s.get(k) {
                    Some(sv) => Some((k.clone(), project(cv, sv))),
                    // The state source leaves empty values out.
                    None if json::is_empty(cv) => Some((k.clone(), cv.clone())),
                    None => None,
                })
                .collect(),
        ),
        (Value::List(c), Value::List(s))
            if !c.is_empty() && c.iter().all(|v| v.as_map().is_some()) =>
        {
            Value::List(
                s.iter()
                    .map(|item| project(best_match(c, item), item))
                    .collect(),
            )
        }
        (Value::String(c), Value::String(s)) if c.contains("${") && templates_match(c, s) => {
            code.clone()
        }
        _ => state.clone(),
    }
}

/// The code block a state block stands for: one all of whose arguments the
/// state block matches, else the one it shares most arguments with.
fn best_match<'a>(code: &'a [Value], item: &Value) -> &'a Value {
    let score = |c: &Value| -> (bool, usize) {
        let (Value::Map(cm), Value::Map(pm)) = (c, &project(c, item)) else {
            return (false, 0);
        };
        let equal = cm
            .iter()
            .filter(|(k, cv)| {
                cv.contains_unknown() || pm.get(*k).is_some_and(|pv| loose_eq(pv, cv))
            })
            .count();
        (equal == cm.len(), equal)
    };
    let mut best = &code[0];
    let mut best_score = score(best);
    for c in &code[1..] {
        let s = score(c);
        if s > best_score {
            best = c;
            best_score = s;
        }
    }
    best
}

/// Whether `s` is what the code string `template` becomes once its `${…}`
/// parts are known: JSON documents are compared structurally, anything
/// else as text.
fn templates_match(template: &str, s: &str) -> bool {
    let t = template.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        if let (Ok(a), Ok(b)) = (
            serde_json::from_str::<serde_json::Value>(template),
            serde_json::from_str::<serde_json::Value>(s),
        ) {
            return json_match(&a, &b);
        }
    }
    text_match(template, s)
}

fn json_match(t: &serde_json::Value, s: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (t, s) {
        (J::String(a), _) if a.starts_with("${") && a.ends_with('}') && !a[2..].contains("${") => {
            true
        }
        (J::String(a), J::String(b)) => text_match(a, b),
        (J::Array(a), J::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_match(x, y))
        }
        (J::Object(a), J::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| json_match(x, y)))
        }
        (a, b) => a == b,
    }
}

/// `template` with each `${…}` as a wildcard.
fn text_match(template: &str, s: &str) -> bool {
    let mut literals: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in rest[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(start + i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        literals.push(&rest[..start]);
        rest = &rest[end..];
    }
    if literals.is_empty() {
        return template == s;
    }
    literals.push(rest);
    let (first, last) = (literals[0], literals[literals.len() - 1]);
    if s.len() < first.len() + last.len() || !s.starts_with(first) || !s.ends_with(last) {
        return false;
    }
    let mut hay = &s[first.len()..s.len() - last.len()];
    for lit in &literals[1..literals.len() - 1] {
        match hay.find(lit) {
            Some(i) => hay = &hay[i + lit.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn templates_match_known_values() {
        assert!(text_match("/ecs/${var.name}-app", "/ecs/shop-app"));
        assert!(!text_match("/ecs/${var.name}-app", "/logs/shop-app"));
        assert!(!text_match("ab${x}ba", "aba"));
        assert!(templates_match(
            r#"[{"logConfiguration":{"options":{"awslogs-group":"${aws_cloudwatch_log_group.app.name}"}}}]"#,
            r#"[{"logConfiguration": {"options": {"awslogs-group": "/ecs/shop"}}}]"#
        ));
        assert!(!templates_match(
            r#"{"a":"${x}","b":1}"#,
            r#"{"a":"y","b":2}"#
        ));
    }

    #[test]
    fn blocks_are_projected_onto_the_matching_code_block() {
        let code = Value::List(vec![
            obj(&[("name", Value::str("a")), ("value", Value::str("1"))]),
            obj(&[
                ("name", Value::str("b")),
                ("value", Value::str("2")),
                ("apply_method", Value::str("pending-reboot")),
            ]),
        ]);
        let state = Value::List(vec![
            obj(&[
                ("apply_method", Value::str("pending-reboot")),
                ("name", Value::str("b")),
                ("value", Value::str("2")),
            ]),
            obj(&[
                ("apply_method", Value::str("immediate")),
                ("name", Value::str("a")),
                ("value", Value::str("1")),
            ]),
        ]);
        let c = code.as_list().unwrap_or_default();
        assert_eq!(
            project(&code, &state),
            Value::List(vec![c[1].clone(), c[0].clone()])
        );
    }

    #[test]
    fn empty_code_values_match_absent_state_values() {
        let code = obj(&[
            ("description", Value::str("")),
            ("port", Value::from(80i64)),
        ]);
        let state = obj(&[("port", Value::from(80i64)), ("arn", Value::str("x"))]);
        assert_eq!(project(&code, &state), code);
    }

    #[test]
    fn expected_difference_rules_compare_for_equality() {
        let rules = crate::rules::packs::builtin().unwrap_or_default();
        let drift = super::rules(&rules);
        let size = drift.iter().find(|r| r.id == "instance-size");
        assert_eq!(size.map(|r| r.compare), Some(Comparator::Equal));
        let names = drift.iter().find(|r| r.id == "resource-names");
        assert_eq!(names.map(|r| r.severity), Some(Severity::Warning));
        let policy = drift.iter().find(|r| r.id == "iam-inline-policy");
        assert_eq!(policy.map(|r| r.compare), Some(Comparator::Policy));
    }
}
