//! Reports: the judged findings of one comparison, and their renderings.
//!
//! One [`Format`] enum, one file per format. Printing happens only here and
//! in `main.rs`.

pub mod json;
pub mod table;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Severity};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables grouped by category.
    Table,
    /// The stable JSON report (`"schema": 1`).
    Json,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Table => "table",
            Format::Json => "json",
        })
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown format `{other}` (expected table or json)")),
        }
    }
}

/// Counts and score. Field names are part of the JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
    pub waived: usize,
    /// Share of compared attributes that hold parity (expected and waived
    /// differences count as parity), rounded to two decimals.
    pub parity_score: f64,
    pub compared_resources: usize,
    pub compared_attributes: usize,
    /// What could not be read: `"<env>: <what>: <reason>"`. Non-empty means
    /// parity is not proven.
    pub incomplete: Vec<String>,
}

/// The report of one comparison. Serialized as the JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub environments: Vec<String>,
    pub source: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(
        environments: [&str; 2],
        source: &str,
        mut findings: Vec<Finding>,
        compared_resources: usize,
        compared_attributes: usize,
        incomplete: Vec<String>,
    ) -> Report {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let active = |s: Severity| {
            findings
                .iter()
                .filter(|f| f.waiver.is_none() && f.severity == s)
                .count()
        };
        let violations = findings.iter().filter(|f| f.is_violation()).count();
        let parity_score = if compared_attributes == 0 {
            if violations == 0 {
                1.0
            } else {
                0.0
            }
        } else {
            let ok = compared_attributes.saturating_sub(violations) as f64;
            (ok / compared_attributes as f64 * 100.0).round() / 100.0
        };
        Report {
            schema: 1,
            environments: environments.iter().map(|s| s.to_string()).collect(),
            source: source.to_string(),
            summary: Summary {
                errors: active(Severity::Error),
                warnings: active(Severity::Warning),
                info: active(Severity::Info),
                waived: findings.iter().filter(|f| f.waiver.is_some()).count(),
                parity_score,
                compared_resources,
                compared_attributes,
                incomplete,
            },
            findings,
        }
    }

    /// Render in a format. `verbose` shows expected differences in tables.
    pub fn render(&self, format: Format, opts: &RenderOptions) -> String {
        match format {
            Format::Table => table::render(self, opts),
            Format::Json => json::render(self),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub verbose: bool,
    pub color: bool,
}

/// The process exit status. The numbers are the contract (the
/// Terraform/tflint convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Parity holds at the `--fail-on` level.
    Success = 0,
    /// The tool could not do its job.
    Failure = 1,
    /// Violations at or above `--fail-on`.
    Violations = 2,
    /// No violations, but some input could not be read: parity not proven.
    Incomplete = 3,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Violations win over incomplete coverage.
pub fn exit_status(report: &Report, fail_on: Option<Severity>) -> ExitStatus {
    let violated = fail_on.is_some_and(|threshold| {
        report
            .findings
            .iter()
            .any(|f| f.is_violation() && f.severity >= threshold)
    });
    if violated {
        ExitStatus::Violations
    } else if !report.summary.incomplete.is_empty() {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Category;
    use std::collections::BTreeMap;

    fn finding(sev: Severity, expected: bool) -> Finding {
        Finding {
            rule: "r".into(),
            category: Category::Engine,
            severity: sev,
            resource: "x".into(),
            rtype: "t".into(),
            attribute: None,
            left: None,
            right: None,
            locations: BTreeMap::new(),
            message: String::new(),
            diff: None,
            expected,
            status: None,
            waiver: None,
        }
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let r = Report::new(
            ["a", "b"],
            "code",
            vec![finding(Severity::Warning, false)],
            1,
            10,
            vec![],
        );
        assert_eq!(exit_status(&r, Some(Severity::Error)), ExitStatus::Success);
        assert_eq!(
            exit_status(&r, Some(Severity::Warning)),
            ExitStatus::Violations
        );
        assert_eq!(exit_status(&r, None), ExitStatus::Success);
        let r = Report::new(
            ["a", "b"],
            "code",
            vec![finding(Severity::Info, true)],
            1,
            10,
            vec!["a: x: y".into()],
        );
        assert_eq!(
            exit_status(&r, Some(Severity::Info)),
            ExitStatus::Incomplete
        );
        let r = Report::new(
            ["a", "b"],
            "code",
            vec![finding(Severity::Error, false)],
            1,
            10,
            vec!["a: x: y".into()],
        );
        assert_eq!(
            exit_status(&r, Some(Severity::Error)),
            ExitStatus::Violations
        );
        assert_eq!(ExitStatus::Incomplete.code(), 3);
    }

    #[test]
    fn score_counts_violations_only() {
        let r = Report::new(
            ["a", "b"],
            "code",
            vec![
                finding(Severity::Error, false),
                finding(Severity::Info, true),
            ],
            1,
            4,
            vec![],
        );
        assert_eq!(r.summary.parity_score, 0.75);
        assert_eq!(r.summary.errors, 1);
        assert_eq!(r.summary.info, 1);
    }
}
