//! Baselines: judge a change on what it changes, not on old debt.
//!
//! A baseline is a previous JSON report (`--format json`, or
//! [`write()`]). [`apply`] marks each current finding `new` or `existing` and
//! brings back the baseline's findings that are gone as `resolved`; the exit
//! status then judges new findings only (see
//! [`crate::report::counts_against`]).
//!
//! A finding's identity is `(rule, resource, attribute)`. Not the line: an
//! unrelated edit above a resource moves it, and a moved finding is the same
//! debt. Not the values either: when staging moves from PostgreSQL 15.4 to
//! 15.6 while prod stays on 16.2, the `engine-version` finding is the same
//! known difference with new numbers; it stays `existing` and is counted in
//! `summary.baseline.changed`. Resource addresses are normalized
//! (`${env}`), so the identity also survives an environment rename.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::findings::Finding;
use crate::report::{json, BaselineSummary, Report, STATUS_EXISTING, STATUS_NEW, STATUS_RESOLVED};

/// Why a baseline could not be read or written. Each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot write baseline {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("baseline {} is not a parity JSON report: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// What makes two findings the same finding across runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    pub rule: String,
    pub resource: String,
    pub attribute: Option<String>,
}

/// The identity of a finding: `(rule, resource, attribute)`.
pub fn identity(f: &Finding) -> Identity {
    Identity {
        rule: f.rule.clone(),
        resource: f.resource.clone(),
        attribute: f.attribute.clone(),
    }
}

/// A short stable hash of the identity (SARIF `partialFingerprints`):
/// 16 hex digits of SHA-256 over the identity's parts.
pub fn fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(f.rule.as_bytes());
    h.update([0]);
    h.update(f.resource.as_bytes());
    h.update([0]);
    if let Some(a) = &f.attribute {
        // Distinguishes "no attribute" from an empty one.
        h.update([1]);
        h.update(a.as_bytes());
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Read a baseline: one JSON report. Findings the baseline itself marked
/// `resolved` are dropped (they were already gone when it was written).
pub fn load(path: &Path) -> Result<Report, BaselineError> {
    let mut reports = load_all(path)?;
    if reports.len() != 1 {
        return Err(invalid(
            path,
            format!(
                "it holds {} reports; pass the report of one environment pair",
                reports.len()
            ),
        ));
    }
    Ok(reports.remove(0))
}

/// Read a baseline that holds one report or a JSON array of reports (one
/// per environment pair, as [`write_all`] writes for `parity check`).
pub fn load_all(path: &Path) -> Result<Vec<Report>, BaselineError> {
    let text =
        crate::input::read_text(path, crate::input::limits().baseline_file).map_err(|source| {
            BaselineError::Read {
                path: path.to_path_buf(),
                cause: source,
            }
        })?;
    parse(&text).map_err(|reason| invalid(path, reason))
}

fn invalid(path: &Path, reason: String) -> BaselineError {
    BaselineError::Invalid {
        path: path.to_path_buf(),
        reason,
    }
}

/// Parse baseline text (the error is a sentence without the file name).
pub fn parse(text: &str) -> Result<Vec<Report>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err("the file is empty".into());
    }
    if !trimmed.starts_with('{') && !trimmed.starts_with('[') {
        return Err(
            "it is not JSON (write one with `parity diff ... --format json` or `--write-baseline`)"
                .into(),
        );
    }
    let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| {
        if e.is_eof() {
            format!(
                "the JSON ends early at line {}, column {} (truncated?)",
                e.line(),
                e.column()
            )
        } else {
            format!(
                "invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            )
        }
    })?;
    // The kind and schema of each report first (clear messages), then the
    // typed read from the text, whose errors carry a line and column.
    let reports: Vec<Report> = match &value {
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_report(v).map_err(|e| format!("report {}: {e}", i + 1))?;
            }
            serde_json::from_str(trimmed).map_err(|e| format!("wrong report shape: {e}"))?
        }
        v => {
            check_report(v)?;
            vec![serde_json::from_str(trimmed).map_err(|e| format!("wrong report shape: {e}"))?]
        }
    };
    Ok(reports
        .into_iter()
        .map(|mut report| {
            report
                .findings
                .retain(|f| f.status.as_deref() != Some(STATUS_RESOLVED));
            report
        })
        .collect())
}

fn check_report(value: &serde_json::Value) -> Result<(), String> {
    let Some(obj) = value.as_object() else {
        return Err("expected a JSON object (a report)".into());
    };
    if obj.get("kind").and_then(|k| k.as_str()) == Some("parity-snapshot") {
        return Err("it is a snapshot file (`parity snapshot`), not a report".into());
    }
    match obj.get("schema") {
        None => Err("no `schema` field (expected `\"schema\": 1`)".into()),
        Some(s) if s.as_u64() == Some(1) => Ok(()),
        Some(s) => Err(format!(
            "unsupported schema {s} (this parity reads schema 1)"
        )),
    }
}

/// The baseline for `current`'s environment pair among several (same names,
/// same order).
pub fn pick<'a>(baselines: &'a [Report], current: &Report) -> Option<&'a Report> {
    baselines
        .iter()
        .find(|b| b.environments == current.environments)
}

/// Mark each current finding `new` or `existing` against the baseline, add
/// the baseline's findings that are gone as `resolved`, and recount the
/// summary (`summary.baseline` holds the new/existing/changed/resolved
/// counts). Expected differences of the baseline are not brought back as
/// resolved: they were never debt.
///
/// Identity is `(rule, resource, attribute)`; when the same identity occurs
/// several times, occurrences pair up in report order.
pub fn apply(current: &mut Report, baseline: &Report) {
    // Baseline occurrences of each identity, in report order; `None` once
    // paired with a current finding.
    let mut remaining: BTreeMap<Identity, Vec<Option<&Finding>>> = BTreeMap::new();
    for f in &baseline.findings {
        if f.status.as_deref() == Some(STATUS_RESOLVED) {
            continue;
        }
        remaining.entry(identity(f)).or_default().push(Some(f));
    }
    // Applying again replaces an earlier application.
    current
        .findings
        .retain(|f| f.status.as_deref() != Some(STATUS_RESOLVED));
    let mut counts = BaselineSummary::default();
    for f in current.findings.iter_mut() {
        let old = remaining
            .get_mut(&identity(f))
            .and_then(|slots| slots.iter_mut().find_map(Option::take));
        match old {
            Some(old) => {
                f.status = Some(STATUS_EXISTING.into());
                if !f.expected {
                    counts.existing += 1;
                    if old.left != f.left || old.right != f.right {
                        counts.changed += 1;
                    }
                }
            }
            None => {
                f.status = Some(STATUS_NEW.into());
                if !f.expected {
                    counts.new += 1;
                }
            }
        }
    }
    let mut resolved: Vec<Finding> = remaining
        .into_values()
        .flatten()
        .flatten()
        .filter(|f| !f.expected)
        .cloned()
        .collect();
    for f in &mut resolved {
        f.status = Some(STATUS_RESOLVED.into());
    }
    counts.resolved = resolved.len();
    current.findings.extend(resolved);
    // A stable sort: resolved findings follow current ones of the same key.
    current
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    current.summary.baseline = Some(counts);
    current.recount();
}

/// [`apply`] with the baseline of the same environment pair among several;
/// without one, every finding is new.
pub fn apply_all(current: &mut Report, baselines: &[Report]) {
    match pick(baselines, current) {
        Some(b) => apply(current, b),
        None => {
            let empty = Report::new(["", ""], "", Vec::new(), 0, 0, Vec::new());
            apply(current, &empty);
        }
    }
}

/// The report as a baseline: resolved findings dropped, statuses and the
/// baseline counts cleared, so a baseline never remembers older baselines.
pub fn to_baseline(report: &Report) -> Report {
    let mut b = report.clone();
    b.findings
        .retain(|f| f.status.as_deref() != Some(STATUS_RESOLVED));
    for f in &mut b.findings {
        f.status = None;
    }
    b.summary.baseline = None;
    b.recount();
    b
}

/// Write `report` as a baseline (the JSON report, see [`to_baseline`]).
pub fn write(report: &Report, path: &Path) -> Result<(), BaselineError> {
    write_text(path, &json::render(&to_baseline(report)))
}

/// Write the reports of several environment pairs as one baseline file (a
/// JSON array), for `parity check`. One report is written as itself.
pub fn write_all(reports: &[Report], path: &Path) -> Result<(), BaselineError> {
    if let [one] = reports {
        return write(one, path);
    }
    let all: Vec<Report> = reports.iter().map(to_baseline).collect();
    // Plain data to a String: serialization cannot fail (no non-string map
    // keys, no I/O); the fallback keeps the file valid JSON regardless.
    let mut text = serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    write_text(path, &text)
}

fn write_text(path: &Path, text: &str) -> Result<(), BaselineError> {
    std::fs::write(path, text).map_err(|source| BaselineError::Write {
        path: path.to_path_buf(),
        cause: source,
    })
}
