//! Dependencies of the root module: `required_version`, provider
//! constraints and the versions locked in `.terraform.lock.hcl`.
//!
//! They become records of pseudo types (`terraform`, `terraform_provider`)
//! so the same matching and rules judge them as resources.

use std::collections::BTreeMap;

use super::eval::Scope;
use super::files::{display, ModuleDef};
use super::module::ConstResolver;
use super::parse;
use super::{Loader, TfError};
use crate::model::{CoverageGap, Location, Resource, Value};

/// `aws` or `hashicorp/aws` → `registry.terraform.io/hashicorp/aws`.
pub fn provider_fqn(source: &str) -> String {
    match source.matches('/').count() {
        0 => format!("registry.terraform.io/hashicorp/{source}"),
        1 => format!("registry.terraform.io/{source}"),
        _ => source.to_string(),
    }
}

pub fn collect(loader: &Loader, root: &ModuleDef) -> Result<(), TfError> {
    let resolver = ConstResolver { base: &loader.root };
    let mut providers: BTreeMap<String, Resource> = BTreeMap::new();
    for tf in &root.terraform {
        if let Some(attr) = tf.item.body.attribute("required_version") {
            let mut r = Resource::new(
                "terraform",
                "terraform",
                Location::new(tf.file.clone(), Some(tf.item.line)),
            );
            let v = constant(loader, &resolver, &attr.expr, &tf.file, attr.line);
            r.attributes.insert("required_version".into(), v);
            r.locate(
                "required_version",
                Location::new(tf.file.clone(), Some(attr.line)),
            );
            loader.add_dependency(r);
        }
        for rp in tf.item.body.blocks("required_providers") {
            for attr in &rp.body.attributes {
                let v = constant(loader, &resolver, &attr.expr, &tf.file, attr.line);
                let (source, constraint) = match &v {
                    Value::Map(m) => (
                        m.get("source").and_then(Value::as_str).map(str::to_string),
                        m.get("version").cloned(),
                    ),
                    // Terraform 0.12 style: `aws = "~> 2.0"`.
                    Value::String(s) => (None, Some(Value::String(s.clone()))),
                    _ => (None, None),
                };
                let fqn = provider_fqn(source.as_deref().unwrap_or(&attr.name));
                let loc = Location::new(tf.file.clone(), Some(attr.line));
                let r = providers
                    .entry(fqn.clone())
                    .or_insert_with(|| provider_record(&fqn, loc.clone()));
                r.attributes
                    .insert("source".into(), Value::String(fqn.clone()));
                r.locate("source", loc.clone());
                if let Some(c) = constraint {
                    r.attributes.insert("version_constraint".into(), c);
                    r.locate("version_constraint", loc.clone());
                }
            }
        }
    }

    let lock = loader.root.join(".terraform.lock.hcl");
    if lock.exists() {
        let shown = display(&loader.base, &lock);
        let text = crate::input::read_text(&lock, crate::input::SMALL_FILE).map_err(|source| {
            TfError::Io {
                path: shown.clone(),
                cause: source,
            }
        })?;
        let file = parse::parse_hcl(&text, &lock, &shown)?;
        for block in file.body.blocks("provider") {
            let Some(fqn) = block.labels.first() else {
                continue;
            };
            let fqn = provider_fqn(fqn);
            let r = providers.entry(fqn.clone()).or_insert_with(|| {
                let mut r = provider_record(&fqn, Location::new(shown.clone(), Some(block.line)));
                r.attributes
                    .insert("source".into(), Value::String(fqn.clone()));
                r
            });
            if let Some(attr) = block.body.attribute("version") {
                let v = constant(loader, &resolver, &attr.expr, &shown, attr.line);
                r.attributes.insert("locked_version".into(), v);
                r.locate(
                    "locked_version",
                    Location::new(shown.clone(), Some(attr.line)),
                );
            }
        }
    }
    // No lock file is not a gap in what we read: there is nothing locked to
    // compare. If only one environment has one, the rule on
    // `locked_version` reports the one-sided value.
    for (_, r) in providers {
        loader.add_dependency(r);
    }
    Ok(())
}

/// A constant (no references allowed, as Terraform requires here). One that
/// cannot be evaluated used to become `null` silently, so a broken
/// `required_version = var.x` compared equal to a missing one: now it is a
/// coverage gap.
fn constant(
    loader: &Loader,
    resolver: &ConstResolver,
    expr: &hcl::Expression,
    file: &str,
    line: u32,
) -> Value {
    match Scope::new(resolver).eval(expr) {
        Ok(v) => v,
        Err(e) => {
            loader.gap(CoverageGap {
                what: format!("{file}:{line}"),
                reason: format!("cannot evaluate: {e}"),
            });
            Value::Null
        }
    }
}

fn provider_record(fqn: &str, loc: Location) -> Resource {
    Resource::new(format!("provider[\"{fqn}\"]"), "terraform_provider", loc)
}

// ------------------------------------------------------------ module calls --

/// Branch names that move: a `?ref=` naming one pins nothing.
const MOVING_REFS: &[&str] = &[
    "main",
    "master",
    "develop",
    "development",
    "dev",
    "trunk",
    "HEAD",
];

/// Why a module call's code can change between two `terraform init`s with
/// the same source text, per kind of source, or `None` when it is pinned:
/// `("unpinned_ref", why)` for git, `("unpinned_version", why)` for the
/// registry. Local modules are part of the repository; other sources
/// (archives, buckets) are not judged.
pub fn module_pinning(
    kind: &str,
    source: &str,
    version: Option<&Value>,
) -> Option<(&'static str, String)> {
    match kind {
        "git" => match super::module::git_ref(source) {
            None => Some((
                "unpinned_ref",
                "no ?ref=: each `terraform init` takes the default branch as it is that day".into(),
            )),
            Some(r) if MOVING_REFS.contains(&r.as_str()) => Some((
                "unpinned_ref",
                format!("?ref={r} names a branch, which moves"),
            )),
            Some(_) => None,
        },
        "registry" => match version {
            None | Some(Value::Null) => Some((
                "unpinned_version",
                "no version: each `terraform init` installs the newest release".into(),
            )),
            Some(Value::String(c)) if c.trim().is_empty() => Some((
                "unpinned_version",
                "empty version: each `terraform init` installs the newest release".into(),
            )),
            Some(Value::String(c)) if has_upper_bound(c) == Some(false) => Some((
                "unpinned_version",
                format!("version `{c}` has no upper bound: `terraform init -upgrade` installs the newest release"),
            )),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

/// One clause of a version constraint (`>= 1.2`, `~> 5.0`, `1.4.2`).
#[derive(Debug, Clone)]
struct Clause {
    op: Op,
    /// The parts as written (`~> 5.0` has two).
    parts: Vec<u64>,
    pre: String,
}

/// `1.2.3-beta` → ([1, 2, 3], "beta"); `None` when not a version.
fn parse_version(text: &str) -> Option<(Vec<u64>, String)> {
    let text = text.trim().trim_start_matches('v');
    let (nums, pre) = match text.split_once(['-', '+']) {
        Some((n, p)) => (n, p.to_string()),
        None => (text, String::new()),
    };
    let parts: Option<Vec<u64>> = nums.split('.').map(|p| p.parse().ok()).collect();
    let parts = parts?;
    (!parts.is_empty() && parts.len() <= 4).then_some((parts, pre))
}

/// Terraform's constraint syntax: clauses separated by commas.
fn parse_constraint(text: &str) -> Option<Vec<Clause>> {
    let mut out = Vec::new();
    for raw in text.split(',') {
        let raw = raw.trim();
        let (op, rest) = [
            ("~>", Op::Pessimistic),
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("!=", Op::Ne),
            ("=", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
        ]
        .iter()
        .find_map(|(p, op)| raw.strip_prefix(p).map(|r| (*op, r)))
        .unwrap_or((Op::Eq, raw));
        let (parts, pre) = parse_version(rest)?;
        out.push(Clause { op, parts, pre });
    }
    (!out.is_empty()).then_some(out)
}

/// Whether a version constraint caps the versions it accepts (`= 1.2.0`,
/// `~> 1.2`, `< 2.0`); `None` when it cannot be read.
pub fn has_upper_bound(constraint: &str) -> Option<bool> {
    let clauses = parse_constraint(constraint)?;
    Some(
        clauses
            .iter()
            .any(|c| matches!(c.op, Op::Eq | Op::Lt | Op::Le | Op::Pessimistic)),
    )
}

fn cmp_versions(a: &[u64], a_pre: &str, b: &[u64], b_pre: &str) -> std::cmp::Ordering {
    let n = a.len().max(b.len()).max(3);
    let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    for i in 0..n {
        match get(a, i).cmp(&get(b, i)) {
            std::cmp::Ordering::Equal => {}
            other => return other,
        }
    }
    match (a_pre.is_empty(), b_pre.is_empty()) {
        (true, true) => std::cmp::Ordering::Equal,
        // A pre-release comes before its release.
        (false, true) => std::cmp::Ordering::Less,
        (true, false) => std::cmp::Ordering::Greater,
        (false, false) => a_pre.cmp(b_pre),
    }
}

/// Whether `version` meets `constraint`; `None` when either cannot be read.
pub fn satisfies(version: &str, constraint: &str) -> Option<bool> {
    use std::cmp::Ordering::*;
    let (v, v_pre) = parse_version(version)?;
    let clauses = parse_constraint(constraint)?;
    Some(clauses.iter().all(|c| {
        let ord = cmp_versions(&v, &v_pre, &c.parts, &c.pre);
        match c.op {
            Op::Eq => ord == Equal,
            Op::Ne => ord != Equal,
            Op::Gt => ord == Greater,
            Op::Ge => ord != Less,
            Op::Lt => ord == Less,
            Op::Le => ord != Greater,
            Op::Pessimistic => {
                // `~> 1.2.3`: >= 1.2.3, < 1.3; `~> 1.2`: >= 1.2, < 2.
                let mut upper: Vec<u64> =
                    c.parts[..c.parts.len().saturating_sub(1).max(1)].to_vec();
                if c.parts.len() == 1 {
                    upper = vec![c.parts[0] + 1];
                } else if let Some(last) = upper.last_mut() {
                    *last += 1;
                }
                ord != Less && cmp_versions(&v, &v_pre, &upper, "") == Less
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_bounds_and_satisfaction() {
        assert_eq!(has_upper_bound(">= 5.0"), Some(false));
        assert_eq!(has_upper_bound("> 1, != 1.4"), Some(false));
        assert_eq!(has_upper_bound("~> 5.0"), Some(true));
        assert_eq!(has_upper_bound("5.1.2"), Some(true));
        assert_eq!(has_upper_bound(">= 5.0, < 6.0"), Some(true));
        assert_eq!(has_upper_bound("latest"), None);
        assert_eq!(satisfies("5.1.2", "~> 5.0"), Some(true));
        assert_eq!(satisfies("6.0.0", "~> 5.0"), Some(false));
        assert_eq!(satisfies("5.1.9", "~> 5.1.2"), Some(true));
        assert_eq!(satisfies("5.2.0", "~> 5.1.2"), Some(false));
        assert_eq!(satisfies("2.0.0", "~> 1"), Some(false));
        assert_eq!(satisfies("1.9.0", "~> 1"), Some(true));
        assert_eq!(satisfies("1.4.0", ">= 1.2, != 1.4.0"), Some(false));
        assert_eq!(satisfies("1.2.0", "1.2.0"), Some(true));
        assert_eq!(satisfies("1.2.0-rc1", ">= 1.2.0"), Some(false));
    }

    #[test]
    fn module_pinning_by_kind() {
        let p = |k, s, v: Option<&str>| {
            module_pinning(k, s, v.map(Value::str).as_ref()).map(|(a, _)| a)
        };
        assert_eq!(p("git", "git::https://x/y.git", None), Some("unpinned_ref"));
        assert_eq!(
            p("git", "github.com/x/y?ref=main", None),
            Some("unpinned_ref")
        );
        assert_eq!(p("git", "github.com/x/y?ref=v1.2.0", None), None);
        assert_eq!(p("registry", "a/b/aws", None), Some("unpinned_version"));
        assert_eq!(
            p("registry", "a/b/aws", Some(">= 5.0")),
            Some("unpinned_version")
        );
        assert_eq!(p("registry", "a/b/aws", Some("~> 5.0")), None);
        assert_eq!(p("local", "./m", None), None);
    }
}
