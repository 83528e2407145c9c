//! Root causes: findings that share a cause, grouped under it, so that a
//! reader acts on one decision rather than on each row it produced.
//!
//! Two kinds of cause, found in this order:
//! - `module`: a module call (or Terragrunt unit) present in one
//!   environment only; its resources' "only in" findings go under it.
//! - `input`: an input that differs ([`Finding::causes`]): a variable and
//!   the tfvars lines that set it, a module argument. A finding fed by
//!   several differing inputs goes under the one that explains the most
//!   findings (the `count`/`for_each` collection of "2 zones vs 3" takes
//!   the subnets, route tables, NAT gateways and memberships together),
//!   and still lists all of its causes.
//!
//! Grouping changes no finding: the exit code, `--fail-on` and the
//! baseline judge every finding, as without it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Severity};

/// What kind of root cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CauseKind {
    /// An input that differs between the environments.
    Input,
    /// A module call or Terragrunt unit present in one environment only.
    Module,
}

/// One root cause and the findings it explains. Part of the JSON contract
/// (`root_causes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    pub kind: CauseKind,
    /// `var.azs`, `module.database.engine_version`; `module.log_metrics`.
    pub subject: String,
    /// The input's value on each side (`None`: that side lacks it; for a
    /// module, the side it is absent from).
    pub left: Option<String>,
    pub right: Option<String>,
    /// Where each environment sets it, `file:line` per environment.
    pub locations: BTreeMap<String, String>,
    /// The highest severity among its findings that count (violations);
    /// `info` when none does.
    pub severity: Severity,
    /// The findings it explains: indexes into the report's `findings`.
    pub findings: Vec<usize>,
}

/// Group the findings a reader acts on (not resolved against a baseline,
/// not expected differences) under their root causes, in a stable order:
/// most severe first, then most findings, then by subject.
pub fn group(findings: &[Finding]) -> Vec<RootCause> {
    let eligible = |f: &Finding| !f.expected && f.status.as_deref() != Some("resolved");
    let mut taken = vec![false; findings.len()];
    let mut out: Vec<RootCause> = Vec::new();

    // Module calls present on one side only, outermost first.
    let mut modules: Vec<(usize, &Finding)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            // The call's own presence finding (no attribute): a `ref` or
            // `version` set on one side only is not a module only there.
            eligible(f)
                && f.rtype == "module_call"
                && f.attribute.is_none()
                && (f.left.is_none() != f.right.is_none())
        })
        .collect();
    modules.sort_by_key(|(_, f)| f.resource.len());
    // The findings a module could take (on one side only), sorted by
    // address: those under a module share its address as a prefix, so each
    // module reads one range of this list instead of every finding (one
    // scan per module was modules x findings).
    let mut by_address: Vec<usize> = if modules.is_empty() {
        Vec::new()
    } else {
        (0..findings.len())
            .filter(|&j| {
                let f = &findings[j];
                eligible(f) && f.left.is_none() != f.right.is_none()
            })
            .collect()
    };
    by_address.sort_by(|&a, &b| findings[a].resource.cmp(&findings[b].resource));
    for (i, m) in modules {
        if taken[i] {
            continue;
        }
        let left_only = m.right.is_none();
        // A Terragrunt unit's record is `<unit>/terraform.source`; its
        // resources are addressed `<unit>/...`.
        let unit = m.resource.strip_suffix("/terraform.source");
        let subject = unit.unwrap_or(&m.resource);
        let under = |r: &str| match unit {
            Some(unit) => r
                .strip_prefix(unit)
                .is_some_and(|rest| rest.starts_with('/')),
            None => r
                .strip_prefix(m.resource.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('[')),
        };
        let mut members = vec![i];
        taken[i] = true;
        let prefix = unit.unwrap_or(m.resource.as_str());
        let start = by_address.partition_point(|&j| findings[j].resource.as_str() < prefix);
        for &j in by_address[start..]
            .iter()
            .take_while(|&&j| findings[j].resource.starts_with(prefix))
        {
            let f = &findings[j];
            if !taken[j] && under(&f.resource) && f.right.is_none() == left_only {
                members.push(j);
                taken[j] = true;
            }
        }
        members.sort_unstable();
        out.push(RootCause {
            kind: CauseKind::Module,
            subject: subject.to_string(),
            left: m.left.clone(),
            right: m.right.clone(),
            locations: m.locations.clone(),
            severity: Severity::Info,
            findings: members,
        });
    }

    // Inputs: each finding under its cause that explains the most.
    let mut reach: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if !taken[i] && eligible(f) {
            for c in &f.causes {
                *reach.entry(c.input.as_str()).or_default() += 1;
            }
        }
    }
    let mut by_input: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if taken[i] || !eligible(f) {
            continue;
        }
        let best = f
            .causes
            .iter()
            .map(|c| c.input.as_str())
            .max_by(|a, b| reach[a].cmp(&reach[b]).then(b.cmp(a)));
        if let Some(best) = best {
            by_input.entry(best).or_default().push(i);
            taken[i] = true;
        }
    }
    for (input, members) in by_input {
        let first = &findings[members[0]];
        let Some(c) = first.causes.iter().find(|c| c.input == input) else {
            continue;
        };
        out.push(RootCause {
            kind: CauseKind::Input,
            subject: input.to_string(),
            left: c.left.clone(),
            right: c.right.clone(),
            locations: c.locations.clone(),
            severity: Severity::Info,
            findings: members,
        });
    }
    for rc in &mut out {
        rc.severity = rc
            .findings
            .iter()
            .map(|&i| &findings[i])
            .filter(|f| f.is_violation())
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info);
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.findings.len().cmp(&a.findings.len()))
            .then(a.subject.cmp(&b.subject))
    });
    out
}

/// Whether finding `i` is explained by a root cause.
pub fn grouped(causes: &[RootCause], len: usize) -> Vec<bool> {
    let mut out = vec![false; len];
    for rc in causes {
        for &i in &rc.findings {
            if let Some(slot) = out.get_mut(i) {
                *slot = true;
            }
        }
    }
    out
}
