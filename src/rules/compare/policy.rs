//! The `policy` comparator: IAM policy documents compared as canonical
//! documents, so formatting, key order and single-vs-list forms do not count,
//! and a difference says which side grants more.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::model::value::Value;

use super::equal::equal;
use super::equal::loose_eq;
use super::{describe_inequality, list_phrase, Difference, Outcome};

fn parse_policy(v: &Value) -> Option<Json> {
    match v {
        Value::String(s) => serde_json::from_str::<Json>(s).ok().filter(Json::is_object),
        Value::Map(_) => Some(v.to_json()),
        _ => None,
    }
}

pub(super) fn policy(left: &Value, right: &Value) -> Outcome {
    if left.is_null() || right.is_null() || (left.is_unknown() && right.is_unknown()) {
        return equal(left, right);
    }
    let (l, r) = match (parse_policy(left), parse_policy(right)) {
        (Some(l), Some(r)) => (canonical_policy(&l), canonical_policy(&r)),
        (l, r) => {
            if loose_eq(left, right) {
                return Outcome::Same;
            }
            let which = match (l.is_some(), r.is_some()) {
                (false, false) => "neither side is",
                (true, false) => "right is not",
                _ => "left is not",
            };
            return Outcome::differ(format!(
                "{which} a valid policy document; compared as text: {}",
                describe_inequality(left, right)
            ));
        }
    };
    if l == r || (atoms(&l) == atoms(&r) && version_of(&l) == version_of(&r)) {
        return Outcome::Same;
    }
    let (lt, rt) = (pretty(&l), pretty(&r));
    let diff = similar::TextDiff::from_lines(&lt, &rt)
        .unified_diff()
        .header("left", "right")
        .to_string();
    Outcome::Differ(Difference {
        severity: None,
        detail: policy_direction(&l, &r),
        diff: Some(diff),
        expected: false,
    })
}

fn version_of(doc: &Json) -> Option<&Json> {
    doc.get("Version")
}

/// A policy as a set of atomic grants: one (effect, action, resource,
/// principal, condition) per combination. `Action`, `Resource` and
/// `Principal` lists are unions, so `Allow [a, b] on r` and two statements
/// `Allow a on r`, `Allow b on r` grant the same; `NotAction`,
/// `NotResource`, `NotPrincipal` and `Condition` are kept whole (their
/// elements do not combine that way).
fn atoms(doc: &Json) -> BTreeSet<String> {
    fn list(v: Option<&Json>) -> Vec<String> {
        match v {
            None => vec![String::new()],
            Some(Json::Array(items)) if !items.is_empty() => items.iter().map(json_text).collect(),
            Some(other) => vec![json_text(other)],
        }
    }
    fn principals(v: Option<&Json>) -> Vec<String> {
        match v {
            Some(Json::Object(m)) => m
                .iter()
                .flat_map(|(kind, ids)| {
                    list(Some(ids))
                        .into_iter()
                        .map(move |id| format!("{kind}={id}"))
                })
                .collect(),
            other => list(other),
        }
    }
    let mut out = BTreeSet::new();
    for st in statements(doc) {
        let fixed = [
            "Effect",
            "NotAction",
            "NotResource",
            "NotPrincipal",
            "Condition",
        ]
        .iter()
        .map(|k| st.get(*k).map(json_text).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("|");
        for action in list(st.get("Action")) {
            for resource in list(st.get("Resource")) {
                for principal in principals(st.get("Principal")) {
                    out.insert(format!("{fixed}|{action}|{resource}|{principal}"));
                }
            }
        }
    }
    out
}

/// The canonical JSON text of an IAM policy document (sorted keys, pretty),
/// or `None` when the text is not a policy document.
pub fn canonical_policy_text(text: &str) -> Option<String> {
    parse_policy(&Value::str(text)).map(|doc| pretty(&canonical_policy(&doc)))
}

fn pretty(doc: &Json) -> String {
    // A `serde_json::Value` always serializes; the fallback is unreachable.
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

fn object(map: BTreeMap<String, Json>) -> Json {
    // serde_json keeps insertion order here, so inserting sorted keys sorts
    // the rendering.
    Json::Object(map.into_iter().collect())
}

/// Recursively sort object keys.
fn sorted_keys(v: &Json) -> Json {
    match v {
        Json::Object(map) => object(
            map.iter()
                .map(|(k, v)| (k.clone(), sorted_keys(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// Canonical form: statements an order-free set without `Sid`; the
/// documentary `Id` dropped; string-or-list fields always sorted,
/// de-duplicated lists; action names lower-cased (IAM matches them
/// case-insensitively).
fn canonical_policy(doc: &Json) -> Json {
    let Json::Object(map) = doc else {
        return sorted_keys(doc);
    };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        match key.as_str() {
            "Id" => {}
            "Statement" => {
                out.insert(key.clone(), canonical_statements(value));
            }
            _ => {
                out.insert(key.clone(), sorted_keys(value));
            }
        }
    }
    object(out)
}

fn canonical_statements(v: &Json) -> Json {
    let items: Vec<&Json> = match v {
        Json::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut statements: Vec<(String, Json)> = items
        .into_iter()
        .map(canonical_statement)
        .map(|s| (s.to_string(), s))
        .collect();
    statements.sort_by(|a, b| a.0.cmp(&b.0));
    statements.dedup_by(|a, b| a.0 == b.0);
    Json::Array(statements.into_iter().map(|(_, s)| s).collect())
}

fn canonical_statement(st: &Json) -> Json {
    let Json::Object(map) = st else {
        return sorted_keys(st);
    };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let canonical = match key.as_str() {
            "Sid" => continue,
            "Action" | "NotAction" => string_set(value, true),
            "Resource" | "NotResource" => string_set(value, false),
            "Principal" | "NotPrincipal" => canonical_principal(value),
            "Condition" => canonical_condition(value),
            _ => sorted_keys(value),
        };
        out.insert(key.clone(), canonical);
    }
    object(out)
}

/// A string or a list of strings as a sorted, de-duplicated list.
fn string_set(v: &Json, lowercase: bool) -> Json {
    let items: Vec<&Json> = match v {
        Json::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut set: Vec<(String, Json)> = items
        .into_iter()
        .map(|item| match item {
            Json::String(s) if lowercase => Json::String(s.to_lowercase()),
            Json::Bool(b) => Json::String(b.to_string()),
            Json::Number(n) => Json::String(n.to_string()),
            other => sorted_keys(other),
        })
        .map(|item| (item.to_string(), item))
        .collect();
    set.sort_by(|a, b| a.0.cmp(&b.0));
    set.dedup_by(|a, b| a.0 == b.0);
    Json::Array(set.into_iter().map(|(_, item)| item).collect())
}

fn canonical_principal(v: &Json) -> Json {
    let Json::Object(map) = v else {
        return sorted_keys(v);
    };
    let canonical: BTreeMap<String, Json> = map
        .iter()
        .map(|(k, v)| (k.clone(), string_set(v, false)))
        .collect();
    // `{"AWS": "*"}` and `"*"` are the same principal: everyone.
    let everyone = Json::Array(vec![Json::String("*".into())]);
    if canonical.len() == 1 && canonical.get("AWS") == Some(&everyone) {
        return Json::String("*".into());
    }
    object(canonical)
}

fn canonical_condition(v: &Json) -> Json {
    let Json::Object(operators) = v else {
        return sorted_keys(v);
    };
    object(
        operators
            .iter()
            .map(|(op, keys)| {
                let keys = match keys {
                    Json::Object(keys) => object(
                        keys.iter()
                            .map(|(k, v)| (k.clone(), string_set(v, false)))
                            .collect(),
                    ),
                    other => sorted_keys(other),
                };
                (op.clone(), keys)
            })
            .collect(),
    )
}

fn statements(doc: &Json) -> &[Json] {
    doc.get("Statement")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Actions granted by statements with this effect (canonical: lower-case).
fn actions(doc: &Json, effect: &str) -> BTreeSet<String> {
    statements(doc)
        .iter()
        .filter(|st| st.get("Effect").and_then(Json::as_str) == Some(effect))
        .filter_map(|st| st.get("Action").and_then(Json::as_array))
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect()
}

/// Every value one field takes across the statements, as canonical JSON
/// text (strings unquoted).
fn field_values(doc: &Json, field: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for value in statements(doc).iter().filter_map(|st| st.get(field)) {
        match value {
            Json::Array(items) => out.extend(items.iter().map(json_text)),
            other => {
                out.insert(json_text(other));
            }
        }
    }
    out
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Glob match with `*` (any run) and `?` (one character), as IAM does for
/// action names.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((bp, bt)) = backtrack {
            pi = bp + 1;
            ti = bt + 1;
            backtrack = Some((bp, bt + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn uncovered<'a>(actions: &'a BTreeSet<String>, by: &BTreeSet<String>) -> Vec<&'a str> {
    actions
        .iter()
        .filter(|a| !by.iter().any(|p| glob_match(p, a)))
        .map(String::as_str)
        .collect()
}

fn only_in<'a>(a: &'a BTreeSet<String>, b: &'a BTreeSet<String>) -> Vec<&'a str> {
    a.difference(b).map(String::as_str).collect()
}

/// Say which side grants more: allowed actions first (with wildcards), then
/// denied actions, then the first other field that differs.
fn policy_direction(l: &Json, r: &Json) -> String {
    let (la, ra) = (actions(l, "Allow"), actions(r, "Allow"));
    if la != ra {
        let (ol, or) = (only_in(&la, &ra), only_in(&ra, &la));
        let (ul, ur) = (uncovered(&la, &ra), uncovered(&ra, &la));
        let nothing = |v: &[&str]| {
            if v.is_empty() {
                "nothing more".to_string()
            } else {
                list_phrase(v)
            }
        };
        return match (ul.is_empty(), ur.is_empty()) {
            (false, true) => format!(
                "left is wider: allows {} where right allows {}",
                list_phrase(&ol),
                nothing(&or)
            ),
            (true, false) => format!(
                "right is wider: allows {} where left allows {}",
                list_phrase(&or),
                nothing(&ol)
            ),
            (false, false) => format!(
                "each side allows actions the other does not: only left allows {}; only right allows {}",
                list_phrase(&ul),
                list_phrase(&ur)
            ),
            (true, true) => format!(
                "allowed actions are equivalent but written differently: left lists {}, right lists {}",
                nothing(&ol),
                nothing(&or)
            ),
        };
    }
    let (ld, rd) = (actions(l, "Deny"), actions(r, "Deny"));
    if ld != rd {
        return format!(
            "deny statements differ: only left denies {}; only right denies {}",
            or_none(&only_in(&ld, &rd)),
            or_none(&only_in(&rd, &ld))
        );
    }
    for (field, label) in [
        ("Resource", "resources"),
        ("NotResource", "excluded resources (NotResource)"),
        ("Principal", "principals"),
        ("NotPrincipal", "excluded principals (NotPrincipal)"),
        ("NotAction", "excluded actions (NotAction)"),
        ("Condition", "conditions"),
    ] {
        let (lv, rv) = (field_values(l, field), field_values(r, field));
        if lv != rv {
            return format!(
                "same actions allowed, but {label} differ: only left has {}; only right has {}",
                or_none(&only_in(&lv, &rv)),
                or_none(&only_in(&rv, &lv))
            );
        }
    }
    if l.get("Version") != r.get("Version") {
        return format!(
            "policy language version differs: {} vs {}",
            l.get("Version").map(json_text).unwrap_or("(unset)".into()),
            r.get("Version").map(json_text).unwrap_or("(unset)".into())
        );
    }
    "statements are grouped differently (same actions, resources and conditions overall)"
        .to_string()
}

fn or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        list_phrase(items)
    }
}

#[cfg(test)]
mod tests {
    use super::super::compare;
    use super::super::tests::{differ, rule, run, s};
    use super::{canonical_policy_text, glob_match};
    use crate::model::value::Value;
    use crate::rules::Comparator;
    use serde_json::Value as Json;

    const NARROW: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Read","Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}"#;

    #[test]
    fn policy_canonical_form_ignores_layout_sid_and_case() {
        let other = r#"{"Statement":{"Effect":"Allow","Resource":["arn:aws:s3:::b/*"],
            "Action":["s3:getobject","s3:PutObject","s3:GetObject"]},"Version":"2012-10-17"}"#;
        assert!(run(Comparator::Policy, &s(NARROW), &s(other)).is_same());
    }

    #[test]
    fn policy_canonical_text_is_sorted_and_pretty() {
        let text = canonical_policy_text(NARROW).unwrap();
        let expected = "{\n  \"Statement\": [\n    {\n      \"Action\": [\n        \"s3:getobject\",\n        \"s3:putobject\"\n      ],\n      \"Effect\": \"Allow\",\n      \"Resource\": [\n        \"arn:aws:s3:::b/*\"\n      ]\n    }\n  ],\n  \"Version\": \"2012-10-17\"\n}\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn policy_accepts_parsed_maps() {
        let doc: Json = serde_json::from_str(NARROW).unwrap();
        assert!(run(Comparator::Policy, &Value::from_json(&doc), &s(NARROW)).is_same());
    }

    #[test]
    fn policy_wildcard_side_is_wider() {
        let wide = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#;
        let d = differ(run(Comparator::Policy, &s(wide), &s(NARROW)));
        assert_eq!(
            d.detail,
            "left is wider: allows s3:* where right allows s3:getobject, s3:putobject"
        );
        let diff = d.diff.unwrap();
        assert!(diff.starts_with("--- left\n+++ right\n"), "{diff}");
        assert!(diff.contains("-        \"s3:*\""), "{diff}");
        let d = differ(run(Comparator::Policy, &s(NARROW), &s(wide)));
        assert!(
            d.detail.starts_with("right is wider: allows s3:*"),
            "{}",
            d.detail
        );
    }

    #[test]
    fn policy_disjoint_actions_name_both_sides() {
        let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::b/*"}]}"#;
        let d = differ(run(Comparator::Policy, &s(NARROW), &s(other)));
        assert_eq!(
            d.detail,
            "each side allows actions the other does not: only left allows s3:putobject; only right allows s3:deleteobject"
        );
    }

    #[test]
    fn policy_same_actions_different_resources() {
        let other = NARROW.replace("b/*", "*");
        let d = differ(run(Comparator::Policy, &s(NARROW), &s(&other)));
        assert_eq!(
            d.detail,
            "same actions allowed, but resources differ: only left has arn:aws:s3:::b/*; only right has arn:aws:s3:::*"
        );
    }

    #[test]
    fn policy_principal_and_condition_forms() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"},
            "Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
        let b = r#"{"Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"Service":["ec2.amazonaws.com"]},
            "Condition":{"Bool":{"aws:SecureTransport":["false"]}}}]}"#;
        assert!(run(Comparator::Policy, &s(a), &s(b)).is_same());
        let star = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":"*"}]}"#;
        let aws_star =
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":{"AWS":"*"}}]}"#;
        assert!(run(Comparator::Policy, &s(star), &s(aws_star)).is_same());
        let d = differ(run(
            Comparator::Policy,
            &s(a),
            &s(&a.replace("ec2", "lambda")),
        ));
        assert!(
            d.detail
                .starts_with("same actions allowed, but principals differ"),
            "{}",
            d.detail
        );
    }

    #[test]
    fn policy_deny_and_version_differences_are_named() {
        let deny = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
        let d = differ(run(Comparator::Policy, &s(NARROW), &s(deny)));
        assert_eq!(
            d.detail,
            "deny statements differ: only left denies none; only right denies s3:deletebucket"
        );
        let old = NARROW.replace("2012-10-17", "2008-10-17");
        let d = differ(run(Comparator::Policy, &s(NARROW), &s(&old)));
        assert_eq!(
            d.detail,
            "policy language version differs: 2012-10-17 vs 2008-10-17"
        );
    }

    #[test]
    fn policy_invalid_json_compares_as_text() {
        let d = differ(run(Comparator::Policy, &s("{not json"), &s(NARROW)));
        assert!(
            d.detail
                .starts_with("left is not a valid policy document; compared as text"),
            "{}",
            d.detail
        );
        assert!(d.diff.is_none());
        assert!(run(Comparator::Policy, &s("{not json"), &s("{not json")).is_same());
    }

    #[test]
    fn policy_unknowns_compare_as_expressions() {
        let a = Value::Unknown("data.aws_iam_policy_document.x.json".into());
        assert!(run(Comparator::Policy, &a, &a.clone()).is_same());
        let b = Value::Unknown("data.aws_iam_policy_document.y.json".into());
        assert!(!run(Comparator::Policy, &a, &b).is_same());
    }

    #[test]
    fn glob_matching() {
        assert!(glob_match("s3:*", "s3:getobject"));
        assert!(glob_match("*", "iam:passrole"));
        assert!(glob_match("s3:get*", "s3:getobject"));
        assert!(glob_match("s3:get?bject", "s3:getobject"));
        assert!(!glob_match("s3:get*", "s3:putobject"));
        assert!(!glob_match("s3:getobject", "s3:get*"));
    }

    #[test]
    fn policy_statements_grouped_differently_grant_the_same() {
        let split = Value::str(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
        );
        let grouped = Value::str(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"*"}]}"#,
        );
        assert!(compare(&rule(Comparator::Policy, None), &split, &grouped).is_same());
        let wider = Value::str(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":"*"}]}"#,
        );
        assert!(!compare(&rule(Comparator::Policy, None), &split, &wider).is_same());
    }
}
