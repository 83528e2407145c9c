//! `--format junit`: JUnit XML for CI test views (GitLab merge requests,
//! Jenkins, Azure Pipelines).
//!
//! One `<testsuite>` per category with findings, one `<testcase>` per
//! finding (`name` = resource and attribute, `classname` = rule id):
//! - `<failure>` when the finding fails the run at `--fail-on` (see
//!   [`super::counts_against`]: with a baseline, only new findings);
//! - `<skipped>` when it is not judged: waived, expected, or already in the
//!   baseline;
//! - a passing test case otherwise (a violation below the threshold, with
//!   its message in `<system-out>`; a finding resolved since the baseline).
//!
//! What could not be read is a `coverage` suite of skipped cases: that part
//! of parity was not checked. A comparison without findings is one passing
//! case, because some CI systems treat a report without tests as a failure.
//! No timestamps or durations: the same report gives the same bytes.

use super::{
    counts_against, escape_xml, masked, one_line, shown_value, split_location, RenderContext,
    Report, STATUS_EXISTING, STATUS_RESOLVED,
};
use crate::findings::{Category, Finding};

enum Outcome {
    Pass(Option<String>),
    Failure { kind: String, message: String },
    Skipped(String),
}

struct Case {
    name: String,
    classname: String,
    /// `file:line` when the finding has one (not for a state address or ARN).
    file: Option<(String, u64)>,
    outcome: Outcome,
    details: String,
}

pub fn render(report: &Report, ctx: &RenderContext) -> String {
    let (left, right) = report.pair();
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    for category in Category::ALL {
        let cases: Vec<Case> = report
            .findings
            .iter()
            .filter(|f| f.category == category)
            .map(|f| case(f, report, ctx))
            .collect();
        if !cases.is_empty() {
            suites.push((category.as_str().to_string(), cases));
        }
    }
    if !report.summary.incomplete.is_empty() {
        let cases = report
            .summary
            .incomplete
            .iter()
            .map(|gap| {
                let gap = masked(gap).into_owned();
                // "<env>: <what>: <reason>": the case is named by env and what.
                let name = match gap.splitn(3, ": ").collect::<Vec<_>>().as_slice() {
                    [env, what, _] => format!("{env}: {what}"),
                    _ => gap.clone(),
                };
                Case {
                    name,
                    classname: "coverage".into(),
                    file: None,
                    outcome: Outcome::Skipped(format!(
                        "could not be read, so parity is not proven: {gap}"
                    )),
                    details: String::new(),
                }
            })
            .collect();
        suites.push(("coverage".into(), cases));
    }
    if suites.is_empty() {
        suites.push((
            "parity".into(),
            vec![Case {
                name: format!("{left} vs {right}"),
                classname: "parity".into(),
                file: None,
                outcome: Outcome::Pass(Some(format!(
                    "no differences between {left} and {right} ({})",
                    report.source
                ))),
                details: String::new(),
            }],
        ));
    }

    let totals = suites.iter().flat_map(|(_, c)| c).fold((0, 0, 0), add);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
        escape_xml(&format!("parity {left} vs {right} ({})", report.source)),
        totals.0,
        totals.1,
        totals.2
    ));
    for (name, cases) in &suites {
        let (tests, failures, skipped) = cases.iter().fold((0, 0, 0), add);
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
            escape_xml(name)
        ));
        for c in cases {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                escape_xml(&c.name),
                escape_xml(&c.classname)
            ));
            if let Some((file, line)) = &c.file {
                out.push_str(&format!(" file=\"{}\" line=\"{line}\"", escape_xml(file)));
            }
            match &c.outcome {
                Outcome::Pass(None) => out.push_str("/>\n"),
                Outcome::Pass(Some(note)) => out.push_str(&format!(
                    ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                    escape_xml(&body(note, &c.details))
                )),
                Outcome::Failure { kind, message } => out.push_str(&format!(
                    ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape_xml(kind),
                    escape_xml(message),
                    escape_xml(&c.details)
                )),
                Outcome::Skipped(message) => out.push_str(&format!(
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    escape_xml(message)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn add(acc: (usize, usize, usize), c: &Case) -> (usize, usize, usize) {
    (
        acc.0 + 1,
        acc.1 + usize::from(matches!(c.outcome, Outcome::Failure { .. })),
        acc.2 + usize::from(matches!(c.outcome, Outcome::Skipped(_))),
    )
}

fn body(note: &str, details: &str) -> String {
    if details.is_empty() {
        note.to_string()
    } else {
        format!("{note}\n{details}")
    }
}

fn case(f: &Finding, report: &Report, ctx: &RenderContext) -> Case {
    let (left, right) = report.sides(f);
    let labels = report.labels_of(f);
    let message = match &labels {
        Some(l) => format!("{l}: {}", masked(&f.message)),
        None => masked(&f.message).into_owned(),
    };
    let outcome = if f.status.as_deref() == Some(STATUS_RESOLVED) {
        Outcome::Pass(Some(format!("resolved since the baseline: {message}")))
    } else if let Some(w) = &f.waiver {
        Outcome::Skipped(format!("waived: {} ({})", w.reason, w.location))
    } else if f.expected {
        Outcome::Skipped(if message.starts_with("expected") {
            message.clone()
        } else {
            format!("expected difference: {message}")
        })
    } else if counts_against(f, ctx.fail_on) {
        Outcome::Failure {
            kind: f.severity.to_string(),
            // Parsers fold line breaks in attributes: one line on purpose.
            message: one_line(&message, 300),
        }
    } else if f.status.as_deref() == Some(STATUS_EXISTING) {
        Outcome::Skipped(format!("in the baseline: {message}"))
    } else {
        Outcome::Pass(Some(format!(
            "{} below the --fail-on threshold: {message}",
            f.severity
        )))
    };
    let mut details = format!(
        "{} {}: {}\nresource: {}\n",
        f.rule, f.severity, message, f.resource
    );
    if let Some(a) = &f.attribute {
        details.push_str(&format!("attribute: {a}\n"));
    }
    if let Some(b) = f.between {
        details.push_str(&format!("between: {b}\n"));
    }
    if let Some(l) = f.label {
        details.push_str(&format!("label: {l}\n"));
    }
    let sides = if f.left.is_some() || f.right.is_some() {
        [(left, &f.left), (right, &f.right)].to_vec()
    } else {
        Vec::new()
    };
    for (env, v) in sides {
        details.push_str(&format!("{env}: {}", shown_value(v.as_deref())));
        if let Some(loc) = f.locations.get(env) {
            details.push_str(&format!(" ({loc})"));
        }
        details.push('\n');
    }
    for c in &f.causes {
        details.push_str(&format!("caused by {}\n", c.describe(left, right)));
    }
    if let Some(d) = &f.diff {
        details.push_str(&masked(d));
        if !d.ends_with('\n') {
            details.push('\n');
        }
    }
    let file = super::primary_location(f, report).and_then(|(_, loc)| {
        let (file, line) = split_location(loc);
        Some((ctx.repo_path(file), line?))
    });
    Case {
        name: match &labels {
            Some(l) => format!("{} ({l})", super::subject(f)),
            None => super::subject(f),
        },
        classname: f.rule.clone(),
        file,
        outcome,
        details,
    }
}
