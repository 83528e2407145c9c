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
//!
//! With a live read of the environment, drift is three-way
//! ([`live_halves`]): state against live for the resources state knows
//! (live resources carry the state's addresses, see
//! `sources::aws::readdress`), code against live for the live resources
//! state does not know but the code declares (paired by `Name` tag), and
//! the resources on one side only, labelled `unmanaged` (live, not in
//! state) or `missing` (in state, not live).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::ids::local_address;
use super::json;
use crate::findings::{Between, Finding, Label, Severity};
use crate::matching;
use crate::model::{CoverageGap, Resource, Snapshot, Value};
use crate::rules::compare::loose_eq;
use crate::rules::engine::Engine;
use crate::rules::{Comparator, Rule};

/// The rules for drift: `family`, `shape`, `version` and `ignore` compare
/// for equality (an intent either holds or it does not), at `warning` at
/// least, and so does `tokens`; `set`, `policy`, `present` and `equal` keep
/// their meaning, `present` at `warning` at least.
pub fn rules(rules: &[Rule]) -> Vec<Rule> {
    rules
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if matches!(
                r.compare,
                Comparator::Family
                    | Comparator::Shape
                    | Comparator::Version
                    | Comparator::Ignore
                    | Comparator::Tokens
            ) {
                r.compare = Comparator::Equal;
                r.level = None;
                r.severity = r.severity.max(Severity::Warning);
            }
            // A resource missing from state or from the account is drift
            // whatever its kind: an alarm that is information when only one
            // environment has it is still deleted or unmanaged here.
            if r.compare == Comparator::Present {
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
    let mut files: BTreeMap<std::sync::Arc<str>, bool> = BTreeMap::new();
    for r in &state.resources {
        let shared = files.entry(r.location.file.clone()).or_insert(false);
        *shared |= in_code.contains(r.address.as_str());
    }
    if files.len() > 1 && files.values().any(|s| *s) {
        for (file, shared) in &files {
            if !shared {
                state.coverage.push(CoverageGap {
                    what: file.to_string(),
                    reason: "holds none of the resources the code declares (another stack?): left out of drift".into(),
                });
            }
        }
        state
            .resources
            .retain(|r| files.get(&r.location.file).copied().unwrap_or(true));
    }

    let code_by_address: HashMap<&str, &crate::model::Map> = code
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
    project_with(code, state, true)
}

/// [`project`]; `templates`: a code string holding `${…}` parts matches
/// a state string it becomes once they are known. Off between state and
/// live, whose strings hold no expressions (only `${env}`-style tokens of
/// normalization, which must compare literally).
fn project_with(code: &Value, state: &Value, templates: bool) -> Value {
    match (code, state) {
        (Value::Map(c), Value::Map(s)) => Value::Map(
            c.iter()
                .filter_map(|(k, cv)| match s.get(k) {
                    Some(sv) => Some((k.clone(), project_with(cv, sv, templates))),
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
                    .map(|item| project_with(best_match(c, item), item, templates))
                    .collect(),
            )
        }
        (Value::String(c), Value::String(s))
            if templates && c.contains("${") && templates_match(c, s) =>
        {
            code.clone()
        }
        _ => state.clone(),
    }
}

/// The state/live and code/live parts of a three-way drift, made by
/// [`live_halves`]. Environment names are the caller's to set.
#[derive(Debug)]
pub struct LiveHalves {
    /// State resources found live, reduced to the attributes the live read
    /// sees, references replaced by the values they point at.
    pub state: Snapshot,
    /// Their live counterparts (same addresses), references replaced too.
    pub live: Snapshot,
    /// Code resources the state does not know that a live resource answers
    /// to (same address or `Name` tag).
    pub code: Snapshot,
    /// Those live resources.
    pub code_live: Snapshot,
    /// Live resources absent from state, with the code address each one
    /// answers to, if any.
    pub unmanaged: Vec<(Resource, Option<String>)>,
    /// State resources the live read covers and did not find.
    pub missing: Vec<Resource>,
}

/// Split a three-way drift into what is compared pairwise and what exists on
/// one side only. `code` is prepared ([`prepare`]); `state` and `live` are
/// normalized, `live` readdressed by the state's ids; `unmanaged` holds the
/// keys of live resources state has no address for, `missing` the keys of
/// state resources the live read covers (type, scope, no denied API) and
/// did not find.
pub fn live_halves(
    code: &Snapshot,
    state: &Snapshot,
    live: &Snapshot,
    unmanaged: &BTreeSet<String>,
    missing: &BTreeSet<String>,
) -> LiveHalves {
    let mut state = state.clone();
    state.resources.retain(|r| !r.data);
    state.dependencies.clear();
    let mut live = live.clone();
    live.dependencies.clear();
    dereference(&mut state, None);
    let state_view = state.clone();
    dereference(&mut live, Some(&state_view));

    let live_keys: BTreeSet<(&str, &str)> = live
        .resources
        .iter()
        .map(|r| (r.key.as_str(), r.rtype.as_str()))
        .collect();
    let mut out_state = Snapshot::new(state.environment.clone(), state.source);
    out_state.coverage = state.coverage.clone();
    let mut missing_found = Vec::new();
    let mut state_by_key: HashMap<(String, String), usize> = HashMap::new();
    for r in &state.resources {
        if live_keys.contains(&(r.key.as_str(), r.rtype.as_str())) {
            state_by_key.insert((r.key.clone(), r.rtype.clone()), out_state.resources.len());
            out_state.resources.push(r.clone());
        } else if missing.contains(&r.key) {
            missing_found.push(r.clone());
        }
    }

    let mut out_live = Snapshot::new(live.environment.clone(), live.source);
    out_live.coverage = live.coverage.clone();
    let mut loose = Snapshot::new(live.environment.clone(), live.source);
    for r in &live.resources {
        match state_by_key.get(&(r.key.clone(), r.rtype.clone())) {
            Some(&i) => {
                let s = &mut out_state.resources[i];
                s.attributes = view_of(&r.attributes, &s.attributes);
                out_live.resources.push(r.clone());
            }
            None if unmanaged.contains(&r.key) => loose.resources.push(r.clone()),
            // Neither in state nor labelled: not this environment's to judge.
            None => {}
        }
    }

    // Code the state does not know, against live resources it does not
    // know either: the same thing, created outside Terraform or imported
    // from another state?
    let in_state: BTreeSet<&str> = state.resources.iter().map(|r| r.key.as_str()).collect();
    let mut unknown_code = Snapshot::new(code.environment.clone(), code.source);
    unknown_code.resources = code
        .resources
        .iter()
        .filter(|r| !in_state.contains(r.key.as_str()))
        .cloned()
        .collect();
    let mut out_code = Snapshot::new(code.environment.clone(), code.source);
    let mut code_live = Snapshot::new(live.environment.clone(), live.source);
    let mut answers: HashMap<String, String> = HashMap::new();
    for pair in matching::pair(&unknown_code, &loose, &[]) {
        if let (Some(c), Some(l)) = (pair.left, pair.right) {
            answers.insert(l.key.clone(), c.key.clone());
            out_code.resources.push(c.clone());
            code_live.resources.push(l.clone());
        }
    }
    let unmanaged_found = loose
        .resources
        .into_iter()
        .map(|r| {
            let code = answers.get(&r.key).cloned();
            (r, code)
        })
        .collect();
    LiveHalves {
        state: out_state,
        live: out_live,
        code: out_code,
        code_live,
        unmanaged: unmanaged_found,
        missing: missing_found,
    }
}

/// The state's attributes as the live read sees them: only what live
/// reads, each value projected onto the live value's shape (blocks onto
/// the live block they match). An attribute state leaves out is empty
/// there (the state source drops empty values).
fn view_of(live: &crate::model::Map, state: &crate::model::Map) -> crate::model::Map {
    live.iter()
        .filter_map(|(k, lv)| match state.get(k) {
            Some(sv) => Some((k.clone(), project_with(lv, sv, false))),
            None if json::is_empty(lv) => Some((k.clone(), lv.clone())),
            None => None,
        })
        .collect()
}

/// Replace every symbolic reference (`aws_vpc.main.id`, relative to the
/// referring resource's module, or a full address) by the value it points
/// at, so state and live compare by value whatever each source turned into
/// a reference. Targets are looked up in `snapshot`, then in `fallback`;
/// an unresolved reference stays.
fn dereference(snapshot: &mut Snapshot, fallback: Option<&Snapshot>) {
    let own = Targets::new(snapshot);
    let other = fallback.map(Targets::new);
    let mut resolved: Vec<(usize, String, Value)> = Vec::new();
    for (i, r) in snapshot.resources.iter().enumerate() {
        let prefix = module_prefix(&r.key);
        for (k, v) in &r.attributes {
            if !v.contains_unknown() {
                continue;
            }
            let lookup = |expr: &str| -> Option<Value> {
                own.lookup(snapshot, prefix, expr).or_else(|| {
                    let (t, s) = other.as_ref().zip(fallback)?;
                    t.lookup(s, prefix, expr)
                })
            };
            resolved.push((i, k.clone(), replace_refs(v, &lookup)));
        }
    }
    for (i, k, v) in resolved {
        snapshot.resources[i].attributes.insert(k, v);
    }
}

fn replace_refs(v: &Value, lookup: &dyn Fn(&str) -> Option<Value>) -> Value {
    match v {
        Value::Unknown(expr) => lookup(expr).unwrap_or_else(|| v.clone()),
        Value::List(items) => Value::List(items.iter().map(|i| replace_refs(i, lookup)).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, i)| (k.clone(), replace_refs(i, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `module.a.aws_vpc.x` → `module.a.`; empty at the root.
fn module_prefix(key: &str) -> &str {
    &key[..key.len() - local_address(key).len()]
}

/// The resources of a snapshot by key and by key inside their module:
/// what symbolic references (`aws_vpc.main.id`) point at.
pub struct Targets {
    by_key: HashMap<String, usize>,
    by_local: HashMap<String, Vec<usize>>,
}

impl Targets {
    pub fn new(snapshot: &Snapshot) -> Targets {
        let mut by_key = HashMap::new();
        let mut by_local: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in snapshot.resources.iter().enumerate() {
            by_key.insert(r.key.clone(), i);
            by_local
                .entry(local_address(&r.key).to_string())
                .or_default()
                .push(i);
        }
        Targets { by_key, by_local }
    }

    /// `v` with every reference (made in the resource keyed `referrer`) that
    /// names a resource of `snapshot` replaced by the value it points at.
    pub fn value_of(&self, snapshot: &Snapshot, referrer: &str, v: &Value) -> Value {
        if !v.contains_unknown() {
            return v.clone();
        }
        let prefix = module_prefix(referrer);
        replace_refs(v, &|expr| self.lookup(snapshot, prefix, expr))
    }

    /// `expr` = `<address>.<attribute>`: the attribute's value, when the
    /// address names a resource (in `prefix`'s module first) that has it.
    fn lookup(&self, snapshot: &Snapshot, prefix: &str, expr: &str) -> Option<Value> {
        let (address, attr) = expr.rsplit_once('.')?;
        if attr.is_empty() || attr.contains([']', '"']) {
            return None;
        }
        let i = self
            .by_key
            .get(&format!("{prefix}{address}"))
            .or_else(|| self.by_key.get(address))
            .copied()
            .or_else(|| match self.by_local.get(address).map(Vec::as_slice) {
                Some([only]) => Some(*only),
                _ => None,
            })?;
        match snapshot.resources.get(i)?.attributes.get(attr)? {
            v @ (Value::String(_) | Value::Number(_) | Value::BigNumber(_) | Value::Bool(_)) => {
                Some(v.clone())
            }
            _ => None,
        }
    }
}

/// What manages an environment's resources, for the words of a presence
/// finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeper {
    Terraform,
    CloudFormation,
    /// A Pulumi stack, its export standing for the state.
    Pulumi,
}

/// The findings for resources on one side only: live resources absent from
/// state (`unmanaged`) and state resources absent live (`missing`), judged
/// by the presence rule of their type (`resource-presence`, or
/// `critical-resource-presence` for networks and databases). `state_env`
/// and `live_env` are the report's names of the two sides; `keeper` is what
/// manages the resources (`Terraform`, or `CloudFormation` when a stack
/// stands for the state).
pub fn presence_findings(
    halves: &LiveHalves,
    rules: &[Rule],
    state_env: &str,
    live_env: &str,
    keeper: Keeper,
) -> Vec<Finding> {
    let engine = Engine::new(rules);
    let mut out = Vec::new();
    let mut push = |r: &Resource, label: Label, message: String| {
        let Some(rule) = engine.resolve(&r.rtype, "@present") else {
            return;
        };
        let (left, right, env) = match label {
            Label::Missing => (Some("present".to_string()), None, state_env),
            Label::Unmanaged => (None, Some("present".to_string()), live_env),
        };
        out.push(Finding {
            rule: rule.id.clone(),
            category: rule.category,
            severity: rule.severity,
            resource: r.key.clone(),
            rtype: r.rtype.clone(),
            attribute: None,
            left,
            right,
            locations: [(env.to_string(), r.location.to_string())].into(),
            message,
            diff: None,
            expected: rule.compare == Comparator::Ignore,
            status: None,
            waiver: None,
            between: Some(Between::StateLive),
            label: Some(label),
            causes: Vec::new(),
        });
    };
    for (r, code) in &halves.unmanaged {
        let mut message = match keeper {
            Keeper::Terraform => format!(
                "unmanaged: in {live_env} but not in {state_env} (created outside Terraform, or its state entry was removed)"
            ),
            Keeper::CloudFormation => format!(
                "unmanaged: in {live_env} but not in {state_env} (not a resource of its CloudFormation stack)"
            ),
            Keeper::Pulumi => format!(
                "unmanaged: in {live_env} but not in {state_env} (created outside Pulumi, or not in the stack's export)"
            ),
        };
        if let Some(code) = code {
            message.push_str(&format!("; the code declares it as {code}"));
        }
        push(r, Label::Unmanaged, message);
    }
    for r in &halves.missing {
        push(
            r,
            Label::Missing,
            match keeper {
                Keeper::Terraform => format!(
                    "missing: in {state_env} but not in {live_env} (deleted outside Terraform?)"
                ),
                Keeper::CloudFormation => format!(
                    "missing: in {state_env} but not in {live_env} (a resource of its CloudFormation stack, deleted outside CloudFormation?)"
                ),
                Keeper::Pulumi => format!(
                    "missing: in {state_env} but not in {live_env} (a resource of the stack's export, deleted outside Pulumi?)"
                ),
            },
        );
    }
    out
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
            .filter(|(k, cv)| cv.contains_unknown() || pm.get(k).is_some_and(|pv| loose_eq(pv, cv)))
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

    fn res(key: &str, attrs: &[(&str, Value)]) -> Resource {
        let rtype = key
            .split('.')
            .find(|s| s.starts_with("aws_"))
            .unwrap_or("aws_x")
            .to_string();
        let mut r = Resource::new(key, rtype, crate::model::Location::new("here", None));
        for (k, v) in attrs {
            r.attributes.insert(k.to_string(), v.clone());
        }
        r
    }

    fn snap(env: &str, source: crate::model::SourceKind, rs: Vec<Resource>) -> Snapshot {
        let mut s = Snapshot::new(env, source);
        s.resources = rs;
        s
    }

    #[test]
    fn live_halves_compare_by_value_and_split_off_one_sided_resources() {
        use crate::model::SourceKind::{Code, Live, State};
        let state = snap(
            "s",
            State,
            vec![
                res("module.net.aws_vpc.main", &[("id", Value::str("vpc-1"))]),
                // State writes the reference the code would.
                res(
                    "module.net.aws_subnet.a",
                    &[
                        ("id", Value::str("subnet-1")),
                        ("vpc_id", Value::Unknown("aws_vpc.main.id".into())),
                        ("cidr_block", Value::str("10.0.0.0/24")),
                        ("arn", Value::str("arn:subnet-1")),
                    ],
                ),
                res("aws_subnet.gone", &[("id", Value::str("subnet-9"))]),
                res("aws_subnet.out_of_scope", &[("id", Value::str("subnet-8"))]),
            ],
        );
        let live = snap(
            "l",
            Live,
            vec![
                res("module.net.aws_vpc.main", &[("id", Value::str("vpc-1"))]),
                // Live writes it from another module: the full address.
                res(
                    "module.net.aws_subnet.a",
                    &[
                        ("id", Value::str("subnet-1")),
                        (
                            "vpc_id",
                            Value::Unknown("module.net.aws_vpc.main.id".into()),
                        ),
                        ("cidr_block", Value::str("10.0.9.0/24")),
                        ("tags", Value::Map(Default::default())),
                    ],
                ),
                res(
                    "aws_subnet.by-hand",
                    &[
                        ("id", Value::str("subnet-5")),
                        ("tags", obj(&[("Name", Value::str("x"))])),
                    ],
                ),
                res("aws_vpc.stray", &[("id", Value::str("vpc-7"))]),
            ],
        );
        let mut declared = res(
            "aws_subnet.extra",
            &[("cidr_block", Value::str("10.0.5.0/24"))],
        );
        declared
            .attributes
            .insert("tags".into(), obj(&[("Name", Value::str("x"))]));
        let code = snap("c", Code, vec![declared]);
        let unmanaged = BTreeSet::from(["aws_subnet.by-hand".to_string()]);
        let missing = BTreeSet::from(["aws_subnet.gone".to_string()]);
        let h = live_halves(&code, &state, &live, &unmanaged, &missing);

        let keys = |s: &Snapshot| {
            s.resources
                .iter()
                .map(|r| r.key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&h.state), keys(&h.live));
        let subnet = &h.state.resources[1];
        // Only what live reads; references by value; empty where state is silent.
        assert_eq!(
            subnet.attributes.keys().collect::<Vec<_>>(),
            vec!["cidr_block", "id", "tags", "vpc_id"]
        );
        assert_eq!(subnet.attributes["vpc_id"], Value::str("vpc-1"));
        assert_eq!(
            h.live.resources[1].attributes["vpc_id"],
            Value::str("vpc-1")
        );
        assert_eq!(
            h.missing.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            vec!["aws_subnet.gone"]
        );
        // The stray VPC is neither in state nor labelled: not judged.
        assert_eq!(h.unmanaged.len(), 1);
        assert_eq!(h.unmanaged[0].0.key, "aws_subnet.by-hand");
        // The code declares it (same Name tag): compared code to live.
        assert_eq!(h.unmanaged[0].1.as_deref(), Some("aws_subnet.extra"));
        assert_eq!(keys(&h.code), vec!["aws_subnet.extra"]);
        assert_eq!(keys(&h.code_live), vec!["aws_subnet.by-hand"]);

        let rules = crate::rules::packs::builtin().unwrap_or_default();
        let found = presence_findings(
            &h,
            &super::rules(&rules),
            "s (state)",
            "s (live)",
            Keeper::Terraform,
        );
        let labels: Vec<(String, Option<Label>, Option<Between>)> = found
            .iter()
            .map(|f| (f.resource.clone(), f.label, f.between))
            .collect();
        assert_eq!(
            labels,
            vec![
                (
                    "aws_subnet.by-hand".into(),
                    Some(Label::Unmanaged),
                    Some(Between::StateLive)
                ),
                (
                    "aws_subnet.gone".into(),
                    Some(Label::Missing),
                    Some(Between::StateLive)
                ),
            ]
        );
        assert_eq!(found[0].rule, "critical-resource-presence");
        assert_eq!(
            found[0].locations.keys().collect::<Vec<_>>(),
            vec!["s (live)"]
        );
        assert!(found[0].message.contains("declares it as aws_subnet.extra"));
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
