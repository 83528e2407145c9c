//! The rule engine: for every pair of resources, every attribute that
//! differs is judged by the most specific rule that covers it.
//!
//! Specificity: a rule naming the resource type beats `"*"`; an attribute
//! pattern with more literal segments beats one with fewer. When a rule
//! targets a path deeper than the one being compared (`tags.Environment`
//! under `tags`) and both values are objects, the engine descends, so the
//! `expected` pack and the domain packs coexist with the catch-all.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::compare::{self, Outcome};
use super::{Comparator, Rule};
use crate::findings::{Category, Finding, Severity};
use crate::matching::Pair;
use crate::model::{Resource, Value};

/// The fallback when no pack defines `config-difference`.
fn fallback_rule() -> Rule {
    Rule {
        id: "config-difference".into(),
        category: Category::Config,
        severity: Severity::Warning,
        resources: vec!["*".into()],
        attributes: vec!["*".into()],
        compare: Comparator::Equal,
        level: None,
        summary: "A difference no domain rule covers".into(),
        why: "Every difference is reported; none is silently dropped.".into(),
    }
}

/// What a comparison of two environments found.
#[derive(Debug, Default)]
pub struct Outcomes {
    pub findings: Vec<Finding>,
    pub compared_resources: usize,
    pub compared_attributes: usize,
}

/// How the two sides relate.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineOptions {
    /// Drift mode: the left side is the intent (code) and the right what
    /// exists (state). An attribute the code does not set, or leaves unknown
    /// until apply, is not a difference.
    pub left_is_intent: bool,
}

pub struct Engine<'r> {
    rules: &'r [Rule],
    options: EngineOptions,
    fallback: Rule,
    by_type: HashMap<&'r str, Vec<usize>>,
    any_type: Vec<usize>,
    cache: RefCell<HashMap<(String, String), Option<usize>>>,
    deeper: RefCell<HashMap<(String, String), bool>>,
}

fn pattern_matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('.');
    let mut a = path.split('.');
    loop {
        match (p.next(), a.next()) {
            (None, None) => return true,
            (Some(ps), Some(as_)) if ps == "*" || ps == as_ => {}
            _ => return false,
        }
    }
}

/// `pattern` names something strictly below `path`.
fn pattern_below(pattern: &str, path: &str) -> bool {
    let depth = path.split('.').count();
    let segs: Vec<&str> = pattern.split('.').collect();
    segs.len() > depth && pattern_matches(&segs[..depth].join("."), path)
}

fn specificity(pattern: &str) -> (usize, usize) {
    let literal = pattern.split('.').filter(|s| *s != "*").count();
    (literal, pattern.split('.').count())
}

impl<'r> Engine<'r> {
    pub fn new(rules: &'r [Rule]) -> Self {
        let mut by_type: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut any_type = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for t in &rule.resources {
                if t == "*" {
                    any_type.push(i);
                } else {
                    by_type.entry(t.as_str()).or_default().push(i);
                }
            }
        }
        let fallback = rules
            .iter()
            .find(|r| r.id == "config-difference")
            .cloned()
            .unwrap_or_else(fallback_rule);
        Engine {
            rules,
            options: EngineOptions::default(),
            fallback,
            by_type,
            any_type,
            cache: RefCell::default(),
            deeper: RefCell::default(),
        }
    }

    pub fn with_options(mut self, options: EngineOptions) -> Self {
        self.options = options;
        self
    }

    fn candidates<'a>(&'a self, rtype: &str) -> impl Iterator<Item = (bool, usize)> + 'a {
        let typed: Vec<usize> = self.by_type.get(rtype).cloned().unwrap_or_default();
        typed
            .into_iter()
            .map(|i| (true, i))
            .chain(self.any_type.iter().map(|i| (false, *i)))
    }

    /// The most specific rule for a type and attribute path.
    pub fn resolve(&self, rtype: &str, path: &str) -> Option<&Rule> {
        let key = (rtype.to_string(), path.to_string());
        if let Some(hit) = self.cache.borrow().get(&key) {
            return hit.map(|i| &self.rules[i]);
        }
        let mut best: Option<((bool, usize, usize), usize)> = None;
        for (typed, i) in self.candidates(rtype) {
            for pat in &self.rules[i].attributes {
                if pattern_matches(pat, path) {
                    let (lit, len) = specificity(pat);
                    let score = (typed, lit, len);
                    if best.as_ref().is_none_or(|(s, _)| score > *s) {
                        best = Some((score, i));
                    }
                }
            }
        }
        let hit = best.map(|(_, i)| i);
        self.cache.borrow_mut().insert(key, hit);
        hit.map(|i| &self.rules[i])
    }

    fn has_deeper(&self, rtype: &str, path: &str) -> bool {
        let key = (rtype.to_string(), path.to_string());
        if let Some(hit) = self.deeper.borrow().get(&key) {
            return *hit;
        }
        let hit = self.candidates(rtype).any(|(_, i)| {
            self.rules[i]
                .attributes
                .iter()
                .any(|p| pattern_below(p, path))
        });
        self.deeper.borrow_mut().insert(key, hit);
        hit
    }

    /// Judge every pair.
    pub fn run(&self, pairs: &[Pair], left_env: &str, right_env: &str) -> Outcomes {
        let mut out = Outcomes::default();
        let counts = instance_counts(pairs);
        let mut folded: BTreeSet<String> = BTreeSet::new();
        // The first pair of each base address (counted or not), in pair
        // order: where a count finding points. Built once, on the first
        // count finding, instead of a scan of all pairs per finding.
        let mut first_of: Option<HashMap<&str, &Pair>> = None;
        for ((base, rtype), (l, r)) in &counts {
            if l.is_empty() || r.is_empty() || l.len() == r.len() {
                continue;
            }
            let Some(rule) = self.resolve(rtype, "@count") else {
                continue;
            };
            let lv = Value::Number(l.len() as f64);
            let rv = Value::Number(r.len() as f64);
            if let Outcome::Differ(d) = compare::compare(rule, &lv, &rv) {
                let only_left = only_in(l, r);
                let only_right = only_in(r, l);
                let mut msg = format!(
                    "{} instance{} in {left_env}, {} in {right_env}",
                    l.len(),
                    crate::report::plural(l.len()),
                    r.len()
                );
                if !only_left.is_empty() {
                    msg.push_str(&format!("; only in {left_env}: {}", join(&only_left)));
                }
                if !only_right.is_empty() {
                    msg.push_str(&format!("; only in {right_env}: {}", join(&only_right)));
                }
                if !d.detail.is_empty() && rule.compare != Comparator::Equal {
                    msg.push_str(&format!(" ({})", d.detail));
                }
                let sample = first_of
                    .get_or_insert_with(|| {
                        let mut first = HashMap::new();
                        for p in pairs {
                            first.entry(base_of(p.key())).or_insert(p);
                        }
                        first
                    })
                    .get(base.as_str())
                    .copied();
                let mut f = self.finding(
                    rule,
                    d.severity,
                    base,
                    rtype,
                    Some("@count"),
                    Some(lv.display()),
                    Some(rv.display()),
                    msg,
                    None,
                );
                if let Some(p) = sample {
                    // Where `@count` is located when a source says (a
                    // Terragrunt input that sets the count), else the block.
                    f.locations = locations(p, Some("@count"), left_env, right_env);
                }
                out.findings.push(f);
                folded.insert(base.clone());
            }
        }

        for pair in pairs {
            self.check_absent(&mut out, pair, left_env, right_env);
            match (pair.left, pair.right) {
                (Some(l), Some(r)) => {
                    out.compared_resources += 1;
                    let names: BTreeSet<&String> =
                        l.attributes.keys().chain(r.attributes.keys()).collect();
                    for name in names {
                        if self.absent_rule(pair.rtype(), name).is_some() {
                            continue;
                        }
                        let lv = l.attributes.get(name).unwrap_or(&Value::Null);
                        let rv = r.attributes.get(name).unwrap_or(&Value::Null);
                        self.walk(&mut out, pair, name, lv, rv, left_env, right_env, None);
                    }
                }
                (l, r) => {
                    let key = pair.key();
                    if folded.contains(base_of(key)) {
                        continue;
                    }
                    let Some(rule) = self.resolve(pair.rtype(), "@present") else {
                        continue;
                    };
                    let lv = if l.is_some() {
                        Value::str("present")
                    } else {
                        Value::Null
                    };
                    let rv = if r.is_some() {
                        Value::str("present")
                    } else {
                        Value::Null
                    };
                    if let Outcome::Differ(d) = compare::compare(rule, &lv, &rv) {
                        let env = if l.is_some() { left_env } else { right_env };
                        let msg = format!("only in {env}");
                        let _ = d.detail;
                        let mut f = self.finding(
                            rule,
                            d.severity,
                            key,
                            pair.rtype(),
                            None,
                            l.map(|_| "present".into()),
                            r.map(|_| "present".into()),
                            msg,
                            None,
                        );
                        f.locations = locations(pair, None, left_env, right_env);
                        out.findings.push(f);
                    }
                }
            }
        }
        out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
    }

    /// A top-level attribute judged by an `absent` rule, if any.
    fn absent_rule(&self, rtype: &str, name: &str) -> Option<&Rule> {
        self.resolve(rtype, name)
            .filter(|r| r.compare == Comparator::Absent)
    }

    /// `absent` rules judge each side on its own, so they run for every
    /// pair, one-sided or not, and report a value both sides share (an
    /// unpinned module in both environments is still unpinned).
    fn check_absent(&self, out: &mut Outcomes, pair: &Pair, left_env: &str, right_env: &str) {
        let rtype = pair.rtype();
        let names: BTreeSet<&String> = pair
            .left
            .iter()
            .chain(pair.right.iter())
            .flat_map(|r| r.attributes.keys())
            .collect();
        for name in names {
            let Some(rule) = self.absent_rule(rtype, name) else {
                continue;
            };
            out.compared_attributes += 1;
            let side = |r: Option<&Resource>| r.and_then(|r| r.attributes.get(name)).cloned();
            let lv = side(pair.left).unwrap_or(Value::Null);
            let rv = side(pair.right).unwrap_or(Value::Null);
            if let Outcome::Differ(d) = compare::compare(rule, &lv, &rv) {
                let mut f = self.finding(
                    rule,
                    d.severity,
                    pair.key(),
                    rtype,
                    Some(name),
                    (!lv.is_null()).then(|| lv.display()),
                    (!rv.is_null()).then(|| rv.display()),
                    name_sides(&d.detail, left_env, right_env),
                    None,
                );
                f.locations = locations(pair, Some(name), left_env, right_env);
                out.findings.push(f);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        out: &mut Outcomes,
        pair: &Pair,
        path: &str,
        l: &Value,
        r: &Value,
        left_env: &str,
        right_env: &str,
        inherited: Option<&Rule>,
    ) {
        let rtype = pair.rtype();
        if compare::loose_eq(l, r)
            || (self.options.left_is_intent && (l.is_null() || l.contains_unknown()))
        {
            out.compared_attributes += 1;
            return;
        }
        // A path without a rule of its own is judged by its parent's rule
        // (`container_definitions.0.cpu` by `container_definitions`).
        let here = self.resolve(rtype, path).or(inherited);
        if let (Value::Map(lm), Value::Map(rm)) = (l, r) {
            let rule = self.resolve(rtype, path);
            if self.has_deeper(rtype, path) || rule.is_none() {
                let keys: BTreeSet<&String> = lm.keys().chain(rm.keys()).collect();
                for k in keys {
                    let sub = format!("{path}.{k}");
                    self.walk(
                        out,
                        pair,
                        &sub,
                        lm.get(k).unwrap_or(&Value::Null),
                        rm.get(k).unwrap_or(&Value::Null),
                        left_env,
                        right_env,
                        here,
                    );
                }
                return;
            }
        }
        // Lists of blocks (`vpc_config`, `ingress`) are stepped into by
        // index when a rule names something inside them and both sides have
        // the same number of blocks.
        if let (Value::List(ll), Value::List(rl)) = (l, r) {
            if ll.len() == rl.len() && self.has_deeper(rtype, path) {
                for (i, (li, ri)) in ll.iter().zip(rl).enumerate() {
                    let sub = format!("{path}.{i}");
                    self.walk(out, pair, &sub, li, ri, left_env, right_env, here);
                }
                return;
            }
        }
        out.compared_attributes += 1;
        let rule = here.unwrap_or(&self.fallback);
        if let Outcome::Differ(d) = compare::compare(rule, l, r) {
            let message = if d.detail.is_empty() {
                format!("{path} differs")
            } else {
                name_sides(&d.detail, left_env, right_env)
            };
            let diff = d.diff.map(|text| name_sides(&text, left_env, right_env));
            let mut f = self.finding(
                rule,
                d.severity,
                pair.key(),
                rtype,
                Some(path),
                Some(l.display()),
                Some(r.display()),
                message,
                diff,
            );
            if d.expected {
                f.expected = true;
                f.severity = Severity::Info;
            }
            if l.is_null() {
                f.left = None;
            }
            if r.is_null() {
                f.right = None;
            }
            f.locations = locations(pair, Some(path), left_env, right_env);
            out.findings.push(f);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        rule: &Rule,
        severity: Option<Severity>,
        resource: &str,
        rtype: &str,
        attribute: Option<&str>,
        left: Option<String>,
        right: Option<String>,
        message: String,
        diff: Option<String>,
    ) -> Finding {
        let expected = rule.compare == Comparator::Ignore;
        Finding {
            rule: rule.id.clone(),
            category: rule.category,
            severity: if expected {
                Severity::Info
            } else {
                severity.unwrap_or(rule.severity)
            },
            resource: resource.to_string(),
            rtype: rtype.to_string(),
            attribute: attribute.map(str::to_string),
            left,
            right,
            locations: BTreeMap::new(),
            message,
            diff,
            expected,
            status: None,
            waiver: None,
            between: None,
            label: None,
            causes: Vec::new(),
        }
    }
}

/// Comparators speak of "left" and "right"; reports speak of environments.
fn name_sides(text: &str, left_env: &str, right_env: &str) -> String {
    static SIDES: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    match SIDES.get_or_init(|| regex::Regex::new(r"\b(left|right)\b").ok()) {
        Some(re) => re
            .replace_all(text, |c: &regex::Captures| {
                if &c[1] == "left" {
                    left_env.to_string()
                } else {
                    right_env.to_string()
                }
            })
            .into_owned(),
        None => text.to_string(),
    }
}

/// The keys of `mine` that `other` lacks, in `mine`'s order: through a set
/// of `other`'s keys, not a scan of `other` per key (quadratic in the
/// instances of one address).
fn only_in<'a>(mine: &'a [String], other: &[String]) -> Vec<&'a String> {
    let other: HashSet<&str> = other.iter().map(String::as_str).collect();
    mine.iter()
        .filter(|k| !other.contains(k.as_str()))
        .collect()
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn locations(
    pair: &Pair,
    path: Option<&str>,
    left_env: &str,
    right_env: &str,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let loc = |r: &Resource| match path {
        Some(p) => r.attribute_location(p).to_string(),
        None => r.location.to_string(),
    };
    if let Some(l) = pair.left {
        out.insert(left_env.to_string(), loc(l));
    }
    if let Some(r) = pair.right {
        out.insert(right_env.to_string(), loc(r));
    }
    out
}

/// `aws_subnet.private["a"]` → `aws_subnet.private`; only a trailing index.
pub fn base_of(key: &str) -> &str {
    if key.ends_with(']') {
        if let Some(i) = key.rfind('[') {
            return &key[..i];
        }
    }
    key
}

fn index_of(key: &str) -> String {
    key[base_of(key).len()..].to_string()
}

type Counts = BTreeMap<(String, String), (Vec<String>, Vec<String>)>;

/// Instances per counted address, per side.
fn instance_counts(pairs: &[Pair]) -> Counts {
    let mut counts: Counts = BTreeMap::new();
    for p in pairs {
        let key = p.key();
        let base = base_of(key);
        if base.len() == key.len() {
            continue;
        }
        let entry = counts
            .entry((base.to_string(), p.rtype().to_string()))
            .or_default();
        if p.left.is_some() {
            entry.0.push(index_of(key));
        }
        if p.right.is_some() {
            entry.1.push(index_of(key));
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, types: &[&str], attrs: &[&str], cmp: Comparator) -> Rule {
        Rule {
            id: id.into(),
            category: Category::Config,
            severity: Severity::Warning,
            resources: types.iter().map(|s| s.to_string()).collect(),
            attributes: attrs.iter().map(|s| s.to_string()).collect(),
            compare: cmp,
            level: None,
            summary: "s".into(),
            why: "w".into(),
        }
    }

    #[test]
    fn most_specific_rule_wins() {
        let rules = vec![
            rule("catch-all", &["*"], &["*"], Comparator::Equal),
            rule(
                "tags-env",
                &["*"],
                &["tags.Environment"],
                Comparator::Ignore,
            ),
            rule(
                "db-version",
                &["aws_db_instance"],
                &["engine_version"],
                Comparator::Version,
            ),
        ];
        let e = Engine::new(&rules);
        assert_eq!(
            e.resolve("aws_db_instance", "engine_version").unwrap().id,
            "db-version"
        );
        assert_eq!(
            e.resolve("aws_vpc", "engine_version").unwrap().id,
            "catch-all"
        );
        assert_eq!(
            e.resolve("aws_vpc", "tags.Environment").unwrap().id,
            "tags-env"
        );
        assert!(e.resolve("aws_vpc", "tags.Owner").is_none());
        assert!(e.has_deeper("aws_vpc", "tags"));
    }

    #[test]
    fn absent_rules_report_a_value_both_sides_share() {
        use crate::model::{Location, Resource};
        let rules = vec![
            rule("catch-all", &["*"], &["*"], Comparator::Equal),
            rule(
                "unpinned",
                &["module_call"],
                &["unpinned"],
                Comparator::Absent,
            ),
        ];
        let mut call = Resource::new("module.waf", "module_call", Location::default());
        call.attributes
            .insert("unpinned".into(), Value::str("no ?ref="));
        let pinned = Resource::new("module.waf", "module_call", Location::default());
        let e = Engine::new(&rules);
        let both = e.run(
            &[Pair {
                left: Some(&call),
                right: Some(&call),
            }],
            "staging",
            "prod",
        );
        assert_eq!(both.findings.len(), 1, "{:?}", both.findings);
        assert_eq!(both.findings[0].rule, "unpinned");
        assert_eq!(both.findings[0].message, "in staging and prod: no ?ref=");
        let one = e.run(
            &[Pair {
                left: Some(&pinned),
                right: Some(&call),
            }],
            "staging",
            "prod",
        );
        assert_eq!(one.findings.len(), 1, "{:?}", one.findings);
        assert_eq!(one.findings[0].left, None);
        assert_eq!(one.findings[0].message, "in prod: no ?ref=");
        let only_left = e.run(
            &[Pair {
                left: Some(&call),
                right: None,
            }],
            "staging",
            "prod",
        );
        // With the catch-all's `@present` finding ("only in staging").
        assert!(
            only_left
                .findings
                .iter()
                .any(|f| f.rule == "unpinned" && f.message == "in staging: no ?ref="),
            "{:?}",
            only_left.findings
        );
        let none = e.run(
            &[Pair {
                left: Some(&pinned),
                right: Some(&pinned),
            }],
            "staging",
            "prod",
        );
        assert!(none.findings.is_empty(), "{:?}", none.findings);
    }

    #[test]
    fn drift_mode_ignores_what_code_leaves_open() {
        use crate::model::{Location, Resource};
        let rules = vec![rule("catch-all", &["*"], &["*"], Comparator::Equal)];
        let mut code = Resource::new("aws_vpc.a", "aws_vpc", Location::default());
        code.attributes
            .insert("cidr_block".into(), Value::str("10.0.0.0/16"));
        code.attributes
            .insert("tags".into(), Value::Unknown("local.tags".into()));
        let mut state = code.clone();
        state
            .attributes
            .insert("arn".into(), Value::str("arn:aws:ec2:...:vpc/vpc-1"));
        state
            .attributes
            .insert("tags".into(), Value::Map(Default::default()));
        let pair = Pair {
            left: Some(&code),
            right: Some(&state),
        };
        let plain = Engine::new(&rules).run(&[pair], "code", "state");
        assert_eq!(plain.findings.len(), 2);
        let drift = Engine::new(&rules)
            .with_options(EngineOptions {
                left_is_intent: true,
            })
            .run(&[pair], "code", "state");
        assert!(drift.findings.is_empty(), "{:?}", drift.findings);
        state
            .attributes
            .insert("cidr_block".into(), Value::str("10.9.0.0/16"));
        let pair = Pair {
            left: Some(&code),
            right: Some(&state),
        };
        let drift = Engine::new(&rules)
            .with_options(EngineOptions {
                left_is_intent: true,
            })
            .run(&[pair], "code", "state");
        assert_eq!(drift.findings.len(), 1);
    }

    #[test]
    fn base_addresses() {
        assert_eq!(
            base_of("module.n.aws_subnet.private[\"a\"]"),
            "module.n.aws_subnet.private"
        );
        assert_eq!(base_of("aws_vpc.main"), "aws_vpc.main");
        assert_eq!(index_of("aws_subnet.x[2]"), "[2]");
    }
}
