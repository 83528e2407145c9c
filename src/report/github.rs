//! `--format github`: GitHub Actions workflow commands, one line per
//! violation, which the runner turns into annotations on the pull request:
//!
//! ```text
//! ::error file=modules/db/main.tf,line=72,title=engine-version::module.db.aws_db_instance.main engine_version: minor version differs (staging: 15.7, prod: 15.5)
//! ```
//!
//! `error`, `warning` and `info` findings become `::error`, `::warning` and
//! `::notice`. Expected, waived and resolved findings are not annotated, nor
//! (after a baseline) existing ones: a pull request is annotated with what
//! it changes. The file is the left environment's location; the right
//! environment's value (and its location, when it is elsewhere) is in the
//! message. Escaping follows the runner's rules (`@actions/core`): `%`, CR
//! and LF in the message; also `:` and `,` in properties.
//!
//! Each input that could not be read (the run exits 3 without violations)
//! becomes a `::warning` titled `parity: incomplete`, so that a step that
//! fails on it says why.

use super::{
    masked, one_line, primary_location, shown_value, split_location, subject, RenderContext,
    Report, STATUS_EXISTING, STATUS_RESOLVED,
};
use crate::findings::{Finding, Severity};

const MAX_VALUE: usize = 80;

pub fn render(report: &Report, ctx: &RenderContext) -> String {
    let mut out = String::new();
    for f in report.findings.iter().filter(|f| annotated(f)) {
        out.push_str(&command(f, report, ctx));
        out.push('\n');
    }
    for gap in &report.summary.incomplete {
        out.push_str(&format!(
            "::warning title={}::{}\n",
            property("parity: incomplete"),
            data(&format!("not read, so parity is not proven: {gap}"))
        ));
    }
    out
}

fn annotated(f: &Finding) -> bool {
    f.is_violation()
        && !matches!(
            f.status.as_deref(),
            Some(STATUS_EXISTING) | Some(STATUS_RESOLVED)
        )
}

fn command(f: &Finding, report: &Report, ctx: &RenderContext) -> String {
    let kind = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let (left, right) = report.sides(f);
    let mut props = Vec::new();
    let mut anchored: Option<&str> = None;
    if let Some((_, loc)) = primary_location(f, report) {
        if let (file, Some(line)) = split_location(loc) {
            props.push(format!("file={}", property(&ctx.repo_path(file))));
            props.push(format!("line={line}"));
            anchored = Some(loc);
        }
    }
    props.push(format!("title={}", property(&f.rule)));
    let sides: Vec<String> = [(left, &f.left), (right, &f.right)]
        .into_iter()
        .map(|(env, v)| {
            let mut side = format!("{env}: {}", one_line(&shown_value(v.as_deref()), MAX_VALUE));
            if let Some(loc) = f.locations.get(env) {
                if Some(loc.as_str()) != anchored {
                    side.push_str(&format!(" at {loc}"));
                }
            }
            side
        })
        .collect();
    let mut message = match report.labels_of(f) {
        Some(l) => format!("{} ({l}): ", subject(f)),
        None => format!("{}: ", subject(f)),
    };
    message.push_str(&one_line(&masked(&f.message), 500));
    if f.left.is_some() || f.right.is_some() {
        message.push_str(&format!(" ({})", sides.join(", ")));
    }
    for c in &f.causes {
        message.push_str(&format!("; caused by {}", c.describe(left, right)));
    }
    if anchored.is_none() {
        // A finding without a file:line anywhere (waiver findings point at
        // parity.toml under its own key): name every location in the text.
        let others: Vec<String> = f
            .locations
            .iter()
            .filter(|(env, _)| env.as_str() != left && env.as_str() != right)
            .map(|(env, loc)| format!("{env} at {loc}"))
            .collect();
        if !others.is_empty() {
            message.push_str(&format!("; {}", others.join(", ")));
        }
    }
    format!("::{kind} {}::{}", props.join(","), data(&message))
}

/// The message part of a workflow command.
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn unread_inputs_are_warnings_so_an_incomplete_run_says_why() {
        let gap = "staging: module.waf: module source `git::https://x/waf.git` is not installed";
        let report = Report::new(
            ["staging", "prod"],
            "code",
            Vec::new(),
            3,
            12,
            vec![gap.to_string()],
        );
        let out = render(&report, &RenderContext::default());
        assert_eq!(
            out,
            format!(
                "::warning title=parity%3A incomplete::not read, so parity is not proven: {gap}\n"
            )
        );
    }
}
