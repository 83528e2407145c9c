//! Comparators: how the two normalized values of one attribute are judged.
//!
//! [`compare`] dispatches on the rule's [`Comparator`]; each comparator is a
//! small function below with its own tests. Values arrive normalized
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

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use ipnet::IpNet;
use serde_json::Value as Json;

use super::{Comparator, Rule, VersionLevel};
use crate::findings::Severity;
use crate::model::value::{format_number, Value};

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
}

impl Difference {
    fn new(detail: impl Into<String>) -> Difference {
        Difference {
            severity: None,
            detail: detail.into(),
            diff: None,
        }
    }

    fn at(mut self, severity: Option<Severity>) -> Difference {
        self.severity = severity;
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
        Comparator::Equal => equal(left, right),
        Comparator::Version => version(
            left,
            right,
            rule.level.unwrap_or(VersionLevel::Minor),
            rule.severity,
        ),
        Comparator::Set => set(left, right),
        Comparator::Policy => policy(left, right),
        Comparator::Shape => shape(left, right),
        Comparator::Family => family(left, right),
        Comparator::Present => present(left, right),
        Comparator::Absent => absent(left, right),
        Comparator::Ignore => ignore(left, right),
    }
}

// ---------------------------------------------------------------- equal --

/// Structural equality with Terraform's conversions: `"3"` equals `3`,
/// `"true"` equals `true`, and an unknown `aws_vpc.main.id` equals the string
/// `"${aws_vpc.main.id}"`.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
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

fn equal(left: &Value, right: &Value) -> Outcome {
    if loose_eq(left, right) {
        Outcome::Same
    } else {
        Outcome::differ(describe_inequality(left, right))
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
            "{}: {} items vs {}",
            at_path(path),
            x.len(),
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

// -------------------------------------------------------------- version --

/// A parsed version: an optional textual prefix (`OpenSearch_`, `~> `,
/// `postgres`), numeric components, and a build suffix (`-eksbuild.1`).
#[derive(Debug, PartialEq)]
struct Version<'a> {
    prefix: String,
    parts: Vec<u64>,
    suffix: &'a str,
}

fn parse_version(text: &str) -> Option<Version<'_>> {
    let text = text.trim();
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let raw_prefix = &text[..start];
    if raw_prefix
        .chars()
        .any(|c| !(c.is_ascii_alphabetic() || " _-~>=<!^".contains(c)))
    {
        return None;
    }
    let mut prefix: String = raw_prefix
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    // `v1.2`, `= 1.2` and `1.2` name the same version.
    for same in ["=v", "v", "="] {
        if prefix == same {
            prefix.clear();
        }
    }
    let rest = &text[start..];
    let mut parts = Vec::new();
    let mut pos = 0;
    loop {
        let digits = rest[pos..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - pos);
        parts.push(rest[pos..pos + digits].parse::<u64>().ok()?);
        pos += digits;
        let more = rest[pos..].starts_with('.')
            && rest[pos + 1..].starts_with(|c: char| c.is_ascii_digit());
        if !more {
            break;
        }
        pos += 1;
    }
    let suffix = &rest[pos..];
    let suffix_ok = suffix.is_empty()
        || (suffix.starts_with(|c: char| c.is_ascii_alphabetic() || "-+._".contains(c))
            && !suffix.contains([',', ' ']));
    suffix_ok.then_some(Version {
        prefix,
        parts,
        suffix,
    })
}

fn component_level(index: usize) -> VersionLevel {
    match index {
        0 => VersionLevel::Major,
        1 => VersionLevel::Minor,
        _ => VersionLevel::Patch,
    }
}

fn component_name(index: usize) -> &'static str {
    match component_level(index) {
        VersionLevel::Major => "major",
        VersionLevel::Minor => "minor",
        VersionLevel::Patch => "patch",
    }
}

fn newer_side(order: Ordering) -> &'static str {
    if order == Ordering::Greater {
        "left"
    } else {
        "right"
    }
}

fn version_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        _ => None,
    }
}

fn version(left: &Value, right: &Value, level: VersionLevel, severity: Severity) -> Outcome {
    if loose_eq(left, right) {
        return Outcome::Same;
    }
    match (version_text(left), version_text(right)) {
        (Some(a), Some(b)) => compare_versions(&a, &b, level, severity),
        _ => equal(left, right),
    }
}

fn compare_versions(a: &str, b: &str, level: VersionLevel, severity: Severity) -> Outcome {
    let (Some(va), Some(vb)) = (parse_version(a), parse_version(b)) else {
        return Outcome::differ(format!("versions differ: {a} vs {b}"));
    };
    if va.prefix != vb.prefix {
        return Outcome::differ(format!("versions differ: {a} vs {b}"));
    }
    let below_level = |index: usize| (component_level(index) > level).then_some(Severity::Info);
    for (i, (x, y)) in va.parts.iter().zip(&vb.parts).enumerate() {
        if x != y {
            let detail = format!(
                "{} version differs: {a} vs {b} ({} is newer)",
                component_name(i),
                newer_side(x.cmp(y))
            );
            return Outcome::Differ(Difference::new(detail).at(below_level(i)));
        }
    }
    if va.parts.len() != vb.parts.len() {
        let left_shorter = va.parts.len() < vb.parts.len();
        let (short, long) = if left_shorter { (&va, &vb) } else { (&vb, &va) };
        let (short_side, long_side, short_text, long_text) = if left_shorter {
            ("left", "right", a, b)
        } else {
            ("right", "left", b, a)
        };
        let detail = format!(
            "{short_side} pins a {} version ({short_text}), {long_side} pins a {} version \
             ({long_text}): automatic upgrades make them differ in practice",
            component_name(short.parts.len() - 1),
            component_name(long.parts.len() - 1),
        );
        let capped = (severity > Severity::Warning).then_some(Severity::Warning);
        return Outcome::Differ(Difference::new(detail).at(capped));
    }
    if !va.suffix.eq_ignore_ascii_case(vb.suffix) {
        let detail = format!(
            "build differs: {a} vs {b} ({} is newer)",
            newer_side(natural_cmp(va.suffix, vb.suffix))
        );
        let severity = (level != VersionLevel::Patch).then_some(Severity::Info);
        return Outcome::Differ(Difference::new(detail).at(severity));
    }
    Outcome::Same
}

/// Compare with digit runs as numbers: `eksbuild.10` > `eksbuild.9`.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, x), (db, y)) in ca.iter().zip(&cb) {
        let order = if *da && *db {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        } else {
            x.cmp(y)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len())
}

// ------------------------------------------------------------------ set --

fn set_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Null => Vec::new(),
        Value::List(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn set(left: &Value, right: &Value) -> Outcome {
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

// --------------------------------------------------------------- policy --

fn parse_policy(v: &Value) -> Option<Json> {
    match v {
        Value::String(s) => serde_json::from_str::<Json>(s).ok().filter(Json::is_object),
        Value::Map(_) => Some(v.to_json()),
        _ => None,
    }
}

fn policy(left: &Value, right: &Value) -> Outcome {
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

// ---------------------------------------------------------------- shape --

fn shape(left: &Value, right: &Value) -> Outcome {
    match shape_diff(left, right, "") {
        None => Outcome::Same,
        Some(detail) => Outcome::differ(detail),
    }
}

fn where_(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Unknown(_) => "a computed value",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a bool",
        Value::List(_) => "a list",
        Value::Map(_) => "an object",
        Value::Null => "unset",
    }
}

/// The first shape difference, or `None` when the shapes match.
fn shape_diff(l: &Value, r: &Value, path: &str) -> Option<String> {
    let at = where_(path);
    match (l, r) {
        (Value::Null, Value::Null) | (Value::Unknown(_), Value::Unknown(_)) => None,
        (Value::Null, v) => Some(format!("set only in right{at}: {}", show(v))),
        (v, Value::Null) => Some(format!("set only in left{at}: {}", show(v))),
        (Value::String(a), Value::String(b)) => cidr_shape(a, b, &at),
        (Value::List(a), Value::List(b)) => list_shape(a, b, path),
        (Value::Map(a), Value::Map(b)) => map_shape(a, b, path),
        (
            Value::Number(_) | Value::Bool(_) | Value::String(_),
            Value::Number(_) | Value::Bool(_),
        )
        | (Value::Number(_) | Value::Bool(_), Value::String(_)) => {
            (!loose_eq(l, r)).then(|| format!("differs{at}: {} vs {}", show(l), show(r)))
        }
        _ => Some(format!("left is {}, right is {}{at}", kind(l), kind(r))),
    }
}

fn parse_cidr(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        IpNet::from_str(s).ok()
    } else {
        None
    }
}

fn family_name(net: &IpNet) -> &'static str {
    match net {
        IpNet::V4(_) => "IPv4",
        IpNet::V6(_) => "IPv6",
    }
}

fn cidr_shape(a: &str, b: &str, at: &str) -> Option<String> {
    match (parse_cidr(a), parse_cidr(b)) {
        (None, None) => None,
        (Some(_), None) => Some(format!("left is a CIDR ({a}), right is not ({b}){at}")),
        (None, Some(_)) => Some(format!("right is a CIDR ({b}), left is not ({a}){at}")),
        (Some(x), Some(y)) if family_name(&x) != family_name(&y) => Some(format!(
            "address family differs{at}: {a} ({}) vs {b} ({})",
            family_name(&x),
            family_name(&y)
        )),
        (Some(x), Some(y)) if x.prefix_len() != y.prefix_len() => {
            let wider = if x.prefix_len() < y.prefix_len() {
                "left"
            } else {
                "right"
            };
            let internet = [&x, &y]
                .into_iter()
                .find(|n| n.prefix_len() == 0)
                .map(|n| format!("; {n} is the internet"))
                .unwrap_or_default();
            Some(format!(
                "CIDR prefix differs{at}: /{} vs /{} ({wider} is wider{internet})",
                x.prefix_len(),
                y.prefix_len()
            ))
        }
        _ => None,
    }
}

/// Keys whose string values carry meaning in any shape: a protocol of
/// `"-1"` (all traffic) is never an expected difference from `"tcp"`.
const SHAPE_EXACT_KEYS: &[&str] = &["protocol", "ip_protocol"];

/// Lists match when they have the same length and their elements can be
/// paired one to one by shape, in any order (a maximum bipartite matching).
fn list_shape(a: &[Value], b: &[Value], path: &str) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!(
            "list length differs{}: {} vs {}",
            where_(path),
            a.len(),
            b.len()
        ));
    }
    let fits: Vec<Vec<bool>> = a
        .iter()
        .map(|x| b.iter().map(|y| shape_diff(x, y, "").is_none()).collect())
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; b.len()];
    for i in 0..a.len() {
        let mut seen = vec![false; b.len()];
        augment(i, &fits, &mut owner, &mut seen);
    }
    let matched: BTreeSet<usize> = owner.iter().flatten().copied().collect();
    let left_over = (0..a.len()).find(|i| !matched.contains(i))?;
    let right_over = (0..b.len()).find(|&j| owner[j].is_none())?;
    shape_diff(&a[left_over], &b[right_over], &join_index(path, left_over))
        .or_else(|| Some(format!("items{} cannot be paired by shape", where_(path))))
}

/// Kuhn's augmenting path step for the bipartite matching in [`list_shape`].
fn augment(i: usize, fits: &[Vec<bool>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
    for j in 0..owner.len() {
        if fits[i][j] && !seen[j] {
            seen[j] = true;
            if owner[j].is_none_or(|k| augment(k, fits, owner, seen)) {
                owner[j] = Some(i);
                return true;
            }
        }
    }
    false
}

fn map_shape(a: &crate::model::Map, b: &crate::model::Map, path: &str) -> Option<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().find_map(|key| {
        let (l, r) = (
            a.get(key).unwrap_or(&Value::Null),
            b.get(key).unwrap_or(&Value::Null),
        );
        let sub = join_key(path, key);
        if SHAPE_EXACT_KEYS.contains(&key.as_str()) && !l.is_null() && !r.is_null() {
            return (!loose_eq(l, r))
                .then(|| format!("differs at {sub}: {} vs {}", show(l), show(r)));
        }
        shape_diff(l, r, &sub)
    })
}

// --------------------------------------------------------------- family --

/// An instance class split into its parts: `db.r6g.large` is service `db`,
/// family `r6g`, size `large`; `r6g.large.search` has the suffix `search`.
#[derive(Debug, PartialEq)]
struct InstanceClass<'a> {
    service: &'a str,
    family: &'a str,
    size: &'a str,
    suffix: Vec<&'a str>,
}

const SERVICE_PREFIXES: &[&str] = &["db", "cache", "kafka", "ml"];

fn parse_class(text: &str) -> Option<InstanceClass<'_>> {
    let parts: Vec<&str> = text.split('.').collect();
    let (service, rest) = match parts.split_first() {
        Some((first, rest)) if SERVICE_PREFIXES.contains(first) && !rest.is_empty() => {
            (*first, rest)
        }
        _ => ("", parts.as_slice()),
    };
    let family = *rest.first()?;
    let valid = !family.is_empty()
        && family
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| InstanceClass {
        service,
        family,
        size: rest.get(1).copied().unwrap_or(""),
        suffix: rest.iter().skip(2).copied().collect(),
    })
}

/// The processor architecture a family runs on: a `g` among the letters
/// after the generation digit means Graviton (`r6g`, `t4g`, `c6gn`, `x2gd`).
fn architecture(family: &str) -> Option<&'static str> {
    if family == "a1" {
        return Some("arm64/Graviton");
    }
    let digit = family.find(|c: char| c.is_ascii_digit())?;
    let attributes = family[digit..].trim_start_matches(|c: char| c.is_ascii_digit());
    Some(if attributes.contains('g') {
        "arm64/Graviton"
    } else {
        "x86_64"
    })
}

fn family(left: &Value, right: &Value) -> Outcome {
    if loose_eq(left, right) {
        return Outcome::Same;
    }
    let (Some(a), Some(b)) = (left.as_str(), right.as_str()) else {
        return equal(left, right);
    };
    let (Some(ca), Some(cb)) = (parse_class(a), parse_class(b)) else {
        return Outcome::differ(format!("instance classes differ: {a} vs {b}"));
    };
    if ca.service != cb.service || ca.suffix != cb.suffix {
        return Outcome::differ(format!("instance classes differ: {a} vs {b}"));
    }
    if ca.family == cb.family {
        return Outcome::Same;
    }
    let detail = match (architecture(ca.family), architecture(cb.family)) {
        (Some(x), Some(y)) if x != y => format!(
            "instance family differs: {} ({x}) vs {} ({y}): a different processor architecture",
            ca.family, cb.family
        ),
        (Some(x), Some(_)) => format!(
            "instance family differs: {} vs {} (both {x})",
            ca.family, cb.family
        ),
        _ => format!("instance family differs: {} vs {}", ca.family, cb.family),
    };
    Outcome::differ(detail)
}

// -------------------------------------------------------------- present --

fn present(left: &Value, right: &Value) -> Outcome {
    match (left.is_null(), right.is_null()) {
        (false, true) => Outcome::differ("present only in left"),
        (true, false) => Outcome::differ("present only in right"),
        _ => Outcome::Same,
    }
}

// --------------------------------------------------------------- absent --

/// The attribute should be unset everywhere: judged per side, so a value
/// both sides share is still a difference from what is wanted. The detail
/// names the sides that hold a value.
fn absent(left: &Value, right: &Value) -> Outcome {
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

// --------------------------------------------------------------- ignore --

fn ignore(left: &Value, right: &Value) -> Outcome {
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
    use super::*;
    use crate::findings::Category;

    fn rule(compare: Comparator, level: Option<VersionLevel>) -> Rule {
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

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| s(i)).collect())
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn differ(outcome: Outcome) -> Difference {
        match outcome {
            Outcome::Differ(d) => d,
            Outcome::Same => panic!("expected a difference"),
        }
    }

    fn run(compare: Comparator, l: &Value, r: &Value) -> Outcome {
        super::compare(&rule(compare, None), l, r)
    }

    fn ver(level: VersionLevel, a: &str, b: &str) -> Outcome {
        super::compare(&rule(Comparator::Version, Some(level)), &s(a), &s(b))
    }

    // equal

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

    // version

    #[test]
    fn version_minor_difference_under_minor_level_keeps_rule_severity() {
        let d = differ(ver(VersionLevel::Minor, "15.4", "15.7"));
        assert_eq!(
            d.detail,
            "minor version differs: 15.4 vs 15.7 (right is newer)"
        );
        assert_eq!(d.severity, None);
    }

    #[test]
    fn version_major_difference_is_always_the_rule_severity() {
        let d = differ(ver(VersionLevel::Major, "16.2", "15.4"));
        assert_eq!(
            d.detail,
            "major version differs: 16.2 vs 15.4 (left is newer)"
        );
        assert_eq!(d.severity, None);
    }

    #[test]
    fn version_below_level_is_info() {
        assert_eq!(
            differ(ver(VersionLevel::Minor, "8.0.35", "8.0.36")).severity,
            Some(Severity::Info)
        );
        assert_eq!(
            differ(ver(VersionLevel::Major, "15.4", "15.7")).severity,
            Some(Severity::Info)
        );
        assert_eq!(
            differ(ver(VersionLevel::Patch, "8.0.35", "8.0.36")).severity,
            None
        );
    }

    #[test]
    fn version_prefixes_and_constraints() {
        assert!(ver(VersionLevel::Patch, "v1.2.3", "1.2.3").is_same());
        assert!(ver(VersionLevel::Patch, "= 1.2.3", "1.2.3").is_same());
        let d = differ(ver(VersionLevel::Minor, "~> 5.0", "~> 5.31"));
        assert!(
            d.detail.starts_with("minor version differs"),
            "{}",
            d.detail
        );
        let d = differ(ver(
            VersionLevel::Minor,
            "OpenSearch_2.11",
            "OpenSearch_2.13",
        ));
        assert_eq!(
            d.detail,
            "minor version differs: OpenSearch_2.11 vs OpenSearch_2.13 (right is newer)"
        );
        let d = differ(ver(VersionLevel::Minor, "postgres15", "postgres16"));
        assert!(d.detail.starts_with("major"), "{}", d.detail);
    }

    #[test]
    fn version_unparsable_compares_as_text() {
        let d = differ(ver(VersionLevel::Minor, ">= 4.0, < 6.0", ">= 5.0, < 6.0"));
        assert_eq!(d.detail, "versions differ: >= 4.0, < 6.0 vs >= 5.0, < 6.0");
        assert!(ver(VersionLevel::Minor, ">= 4.0, < 6.0", ">= 4.0, < 6.0").is_same());
        let d = differ(ver(
            VersionLevel::Minor,
            "OpenSearch_2.11",
            "Elasticsearch_2.11",
        ));
        assert!(d.detail.starts_with("versions differ"));
    }

    #[test]
    fn version_pinning_fewer_components_is_a_warning_at_most() {
        let d = differ(ver(VersionLevel::Minor, "8.4", "8.4.9"));
        assert_eq!(
            d.detail,
            "left pins a minor version (8.4), right pins a patch version (8.4.9): \
             automatic upgrades make them differ in practice"
        );
        assert_eq!(d.severity, Some(Severity::Warning));
    }

    #[test]
    fn version_build_suffix_is_patch_level() {
        let d = differ(ver(
            VersionLevel::Minor,
            "v1.16.0-eksbuild.9",
            "v1.16.0-eksbuild.10",
        ));
        assert_eq!(
            d.detail,
            "build differs: v1.16.0-eksbuild.9 vs v1.16.0-eksbuild.10 (right is newer)"
        );
        assert_eq!(d.severity, Some(Severity::Info));
        assert_eq!(
            differ(ver(
                VersionLevel::Patch,
                "1.29.0-20240202",
                "1.29.0-20240101"
            ))
            .severity,
            None
        );
    }

    #[test]
    fn version_numbers_and_nulls() {
        let r = rule(Comparator::Version, None);
        assert!(compare(&r, &Value::Number(15.0), &s("15")).is_same());
        let d = differ(compare(&r, &s("15.4"), &Value::Null));
        assert_eq!(d.detail, "set only in left: 15.4");
    }

    #[test]
    fn parse_version_parts() {
        let v = parse_version("v1.16.0-eksbuild.1").unwrap();
        assert_eq!(
            (v.prefix.as_str(), v.parts.as_slice(), v.suffix),
            ("", &[1, 16, 0][..], "-eksbuild.1")
        );
        assert_eq!(parse_version("2.8.2.tiered").unwrap().suffix, ".tiered");
        assert!(parse_version("latest").is_none());
    }

    // set

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

    // policy

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

    // shape

    fn sg_rule(cidr: &str, port: f64) -> Value {
        map(&[
            ("cidr_blocks", list(&[cidr])),
            ("from_port", Value::Number(port)),
            ("description", s("https")),
        ])
    }

    #[test]
    fn shape_allows_same_prefix_cidrs() {
        assert!(run(Comparator::Shape, &s("10.1.0.0/16"), &s("10.2.0.0/16")).is_same());
        assert!(run(Comparator::Shape, &s("staging db"), &s("prod db")).is_same());
    }

    #[test]
    fn shape_flags_the_internet() {
        let l = Value::List(vec![sg_rule("10.0.0.0/16", 443.0)]);
        let r = Value::List(vec![sg_rule("0.0.0.0/0", 443.0)]);
        let d = differ(run(Comparator::Shape, &l, &r));
        assert_eq!(
            d.detail,
            "CIDR prefix differs at [0].cidr_blocks[0]: /16 vs /0 (right is wider; 0.0.0.0/0 is the internet)"
        );
    }

    #[test]
    fn shape_lists_are_order_free() {
        let l = Value::List(vec![
            sg_rule("10.0.0.0/16", 443.0),
            sg_rule("10.0.1.0/24", 5432.0),
        ]);
        let r = Value::List(vec![
            sg_rule("10.9.1.0/24", 5432.0),
            sg_rule("10.9.0.0/16", 443.0),
        ]);
        assert!(run(Comparator::Shape, &l, &r).is_same());
        let r = Value::List(vec![sg_rule("10.9.1.0/24", 5432.0)]);
        assert_eq!(
            differ(run(Comparator::Shape, &l, &r)).detail,
            "list length differs: 2 vs 1"
        );
    }

    #[test]
    fn shape_numbers_must_match() {
        let d = differ(run(
            Comparator::Shape,
            &sg_rule("10.0.0.0/16", 443.0),
            &sg_rule("10.1.0.0/16", 22.0),
        ));
        assert_eq!(d.detail, "differs at from_port: 443 vs 22");
    }

    #[test]
    fn shape_protocols_must_match() {
        let tcp = map(&[
            ("protocol", s("tcp")),
            ("cidr_blocks", list(&["10.0.0.0/16"])),
        ]);
        let all = map(&[
            ("protocol", s("-1")),
            ("cidr_blocks", list(&["10.1.0.0/16"])),
        ]);
        let d = differ(run(Comparator::Shape, &tcp, &all));
        assert_eq!(d.detail, "differs at protocol: tcp vs -1");
    }

    #[test]
    fn shape_keys_families_and_kinds() {
        let d = differ(run(
            Comparator::Shape,
            &map(&[("a", s("x"))]),
            &map(&[("b", s("x"))]),
        ));
        assert_eq!(d.detail, "set only in left at a: x");
        let d = differ(run(Comparator::Shape, &s("10.0.0.0/16"), &s("::/0")));
        assert_eq!(
            d.detail,
            "address family differs: 10.0.0.0/16 (IPv4) vs ::/0 (IPv6)"
        );
        let d = differ(run(
            Comparator::Shape,
            &s("10.0.0.0/16"),
            &Value::Unknown("var.cidr".into()),
        ));
        assert_eq!(d.detail, "left is a string, right is a computed value");
    }

    // family

    #[test]
    fn family_size_may_differ() {
        assert!(run(Comparator::Family, &s("db.t3.medium"), &s("db.t3.large")).is_same());
        assert!(run(
            Comparator::Family,
            &s("cache.t4g.small"),
            &s("cache.t4g.micro")
        )
        .is_same());
        assert!(run(
            Comparator::Family,
            &s("r6g.large.search"),
            &s("r6g.xlarge.search")
        )
        .is_same());
    }

    #[test]
    fn family_names_the_architecture() {
        let d = differ(run(
            Comparator::Family,
            &s("db.r6g.large"),
            &s("db.r6i.large"),
        ));
        assert_eq!(
            d.detail,
            "instance family differs: r6g (arm64/Graviton) vs r6i (x86_64): a different processor architecture"
        );
        let d = differ(run(Comparator::Family, &s("t3.micro"), &s("m5.large")));
        assert_eq!(d.detail, "instance family differs: t3 vs m5 (both x86_64)");
        let d = differ(run(Comparator::Family, &s("db.t3.micro"), &s("t3.micro")));
        assert_eq!(d.detail, "instance classes differ: db.t3.micro vs t3.micro");
    }

    #[test]
    fn architecture_from_family_letters() {
        for arm in ["r6g", "m7g", "t4g", "c6gn", "x2gd", "a1", "im4gn"] {
            assert_eq!(architecture(arm), Some("arm64/Graviton"), "{arm}");
        }
        for x86 in ["r6i", "m5", "t3", "g5", "g4dn", "m7i-flex"] {
            assert_eq!(architecture(x86), Some("x86_64"), "{x86}");
        }
        assert_eq!(architecture("serverless"), None);
    }

    // present and ignore

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
