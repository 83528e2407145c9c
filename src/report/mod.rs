//! Reports: the judged findings of one comparison, and their renderings.
//!
//! One [`Format`] enum, one file per format. Printing happens only here and
//! in `main.rs`. Every renderer is a pure function of the report (and, for
//! the formats that need more, a [`RenderContext`]): the same report gives
//! the same bytes, so a CI stage can diff or cache its output.

pub mod causes;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod sarif;
pub mod svg;
pub mod table;
pub mod topology;
mod topology_md;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Severity};
use crate::model::value::SENSITIVE_PREFIX;
use crate::rules::Rule;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables grouped by category.
    Table,
    /// The stable JSON report (`"schema": 1`).
    Json,
    /// A pull-request comment (GitHub-flavoured Markdown).
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML, for CI test report views (GitLab, Jenkins, ...).
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// One self-contained HTML page (no scripts, no network references).
    Html,
    /// The network topology of both environments side by side, every
    /// difference highlighted (SVG).
    Svg,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Table,
        Format::Json,
        Format::Markdown,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Html,
        Format::Svg,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Html => "html",
            Format::Svg => "svg",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown format `{s}` (expected table, json, markdown, sarif, junit, github, html or svg)"
                )
            })
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
    /// Present only when a baseline was applied (`--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
    /// What reading environments from AWS cost: one entry per live read
    /// (`--source live`, three-way `parity drift`). Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub live: Vec<LiveUsage>,
    /// How the comparison was made, when that needs saying (`parity drift`
    /// without an `aws` table compares code and state only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Root causes (`root_causes`): how many.
    #[serde(default)]
    pub causes: usize,
    /// What a reader goes through: the root causes plus the findings no
    /// root cause explains (resolved and expected findings not counted).
    #[serde(default)]
    pub items: usize,
}

/// API calls and wall time of one environment's live read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveUsage {
    pub environment: String,
    /// Operations called (a retried call counts once).
    pub calls: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Wall time of the whole read, in seconds (two decimals).
    pub seconds: f64,
    /// By service: `ec2`, `rds`, `iam`, `sts`.
    pub services: BTreeMap<String, ServiceUsage>,
}

/// One service's share of a live read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceUsage {
    pub calls: u64,
    pub requests: u64,
    /// From the service's first call to its last answer, in seconds.
    pub seconds: f64,
}

impl LiveUsage {
    /// `staging: 23 API calls in 0.41 s (ec2 9 in 0.21 s, iam 8 in 0.30 s, …)`
    pub fn describe(&self) -> String {
        let services: Vec<String> = self
            .services
            .iter()
            .map(|(name, s)| format!("{name} {} in {:.2} s", s.calls, s.seconds))
            .collect();
        let mut text = format!(
            "{}: {} API call{} in {:.2} s",
            self.environment,
            self.calls,
            plural(self.calls as usize),
            self.seconds
        );
        if self.requests != self.calls {
            text.push_str(&format!(" ({} requests with retries)", self.requests));
        }
        if !services.is_empty() {
            text.push_str(&format!(" ({})", services.join(", ")));
        }
        text
    }
}

/// What a baseline made of the findings. Expected differences are not
/// counted: they are not debt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// Findings absent from the baseline: what `--fail-on` judges.
    pub new: usize,
    /// Findings already in the baseline.
    pub existing: usize,
    /// Existing findings whose values are not the baseline's any more.
    pub changed: usize,
    /// Baseline findings that are gone.
    pub resolved: usize,
}

/// The report of one comparison. Serialized as the JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub environments: Vec<String>,
    pub source: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Findings that share a cause, grouped under it (see
    /// [`causes::group`]); rebuilt by [`Report::recount`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub root_causes: Vec<causes::RootCause>,
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
        let mut report = Report {
            schema: 1,
            environments: environments.iter().map(|s| s.to_string()).collect(),
            source: source.to_string(),
            summary: Summary {
                errors: 0,
                warnings: 0,
                info: 0,
                waived: 0,
                parity_score: 1.0,
                compared_resources,
                compared_attributes,
                incomplete,
                baseline: None,
                live: Vec::new(),
                notes: Vec::new(),
                causes: 0,
                items: 0,
            },
            findings,
            root_causes: Vec::new(),
        };
        report.recount();
        report
    }

    /// Recompute the counts and the score from the findings (after a
    /// baseline added resolved findings, say). Resolved findings are history:
    /// they count nowhere but in `summary.baseline.resolved`.
    pub fn recount(&mut self) {
        let current = || {
            self.findings
                .iter()
                .filter(|f| f.status.as_deref() != Some(STATUS_RESOLVED))
        };
        let active = |s: Severity| {
            current()
                .filter(|f| f.waiver.is_none() && f.severity == s)
                .count()
        };
        let violations = current().filter(|f| f.is_violation()).count();
        let compared = self.summary.compared_attributes;
        let parity_score = if compared == 0 {
            if violations == 0 {
                1.0
            } else {
                0.0
            }
        } else {
            let ok = compared.saturating_sub(violations) as f64;
            (ok / compared as f64 * 100.0).round() / 100.0
        };
        let errors = active(Severity::Error);
        let warnings = active(Severity::Warning);
        let info = active(Severity::Info);
        let waived = current().filter(|f| f.waiver.is_some()).count();
        self.root_causes = causes::group(&self.findings);
        let grouped = causes::grouped(&self.root_causes, self.findings.len());
        let loose = self
            .findings
            .iter()
            .zip(grouped.iter())
            .filter(|(f, g)| !**g && !f.expected && f.status.as_deref() != Some(STATUS_RESOLVED))
            .count();
        let s = &mut self.summary;
        s.causes = self.root_causes.len();
        s.items = s.causes + loose;
        s.errors = errors;
        s.warnings = warnings;
        s.info = info;
        s.waived = waived;
        s.parity_score = parity_score;
    }

    /// The left and right environment names.
    pub fn pair(&self) -> (&str, &str) {
        match self.environments.as_slice() {
            [a, b, ..] => (a.as_str(), b.as_str()),
            [a] => (a.as_str(), "right"),
            [] => ("left", "right"),
        }
    }

    /// The environment names of a finding's two sides: for a three-way
    /// drift finding, the sources it is between (`staging (state)`,
    /// `staging (live)`); otherwise [`Report::pair`].
    pub fn sides(&self, f: &Finding) -> (&str, &str) {
        if let Some(between) = f.between {
            let (l, r) = between.sides();
            let find = |source: &str| {
                let suffix = format!("({source})");
                self.environments
                    .iter()
                    .find(|e| e.ends_with(&suffix))
                    .map(String::as_str)
            };
            if let (Some(a), Some(b)) = (find(l), find(r)) {
                return (a, b);
            }
        }
        self.pair()
    }

    /// The labels a format shows next to a finding: in a three-way drift,
    /// the two sources it is between (`state/live`); `unmanaged` or
    /// `missing` in any report. A two-way report's columns already name
    /// its pair.
    pub fn labels_of(&self, f: &Finding) -> Option<String> {
        if self.is_three_way() {
            f.labels()
        } else {
            f.label.map(|l| l.to_string())
        }
    }

    /// Whether the report compares three sources (`parity drift` with live).
    pub fn is_three_way(&self) -> bool {
        self.environments.len() > 2
    }

    /// Whether a baseline was applied (some finding carries a status).
    pub fn has_baseline(&self) -> bool {
        self.summary.baseline.is_some() || self.findings.iter().any(|f| f.status.is_some())
    }

    /// Render in a format with the default [`RenderContext`] (built-in
    /// rules, failing at `error`, paths as the report has them).
    pub fn render(&self, format: Format, opts: &RenderOptions) -> String {
        self.render_with(format, opts, &RenderContext::default())
    }

    /// Write the report in a format to `out`: the bytes of
    /// [`Report::render_with`]. JSON and SARIF are serialized straight into
    /// `out` and never held whole in memory (the JSON report of a
    /// 100,000-resource project is tens of MB); the other formats are
    /// rendered first, then written. The only errors are `out`'s (give it a
    /// buffer: serialization writes a few bytes at a time).
    pub fn write_with(
        &self,
        format: Format,
        opts: &RenderOptions,
        ctx: &RenderContext,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match format {
            Format::Json => json::write(self, out),
            Format::Sarif => sarif::write(self, ctx, out),
            other => out.write_all(self.render_with(other, opts, ctx).as_bytes()),
        }
    }

    /// The findings a human-facing format lists: not the ones resolved
    /// against a baseline, and expected differences only when `verbose`.
    /// Also returns how many expected differences were left out.
    pub fn visible(&self, verbose: bool) -> (Vec<&Finding>, usize) {
        let current: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.status.as_deref() != Some(STATUS_RESOLVED))
            .collect();
        let total = current.len();
        let shown: Vec<&Finding> = current
            .into_iter()
            .filter(|f| verbose || !f.expected)
            .collect();
        let hidden = total - shown.len();
        (shown, hidden)
    }

    /// Render in a format. `opts.verbose` shows expected differences (table,
    /// markdown, html); `ctx` carries what SARIF, JUnit and the GitHub
    /// annotations need beyond the report.
    pub fn render_with(&self, format: Format, opts: &RenderOptions, ctx: &RenderContext) -> String {
        match format {
            Format::Table => table::render(self, opts),
            Format::Json => json::render(self),
            Format::Markdown => markdown::render(
                self,
                opts,
                ctx.topology
                    .filter(|t| !t.is_empty())
                    .map(mermaid::render)
                    .as_deref(),
            ),
            Format::Sarif => sarif::render(self, ctx),
            Format::Junit => junit::render(self, ctx),
            Format::Github => github::render(self, ctx),
            Format::Html => html::render(
                self,
                opts,
                ctx.topology
                    .filter(|t| !t.is_empty())
                    .map(svg::render)
                    .as_deref(),
            ),
            Format::Svg => {
                let (left, right) = self.pair();
                match ctx.topology {
                    Some(t) => svg::render(t),
                    None => svg::render_note(
                        [left, right],
                        "This command draws no topology: `parity diff A B --format svg` does.",
                    ),
                }
            }
        }
    }
}

/// Baseline statuses of a finding (`Finding::status`).
pub const STATUS_NEW: &str = "new";
pub const STATUS_EXISTING: &str = "existing";
pub const STATUS_RESOLVED: &str = "resolved";

#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub verbose: bool,
    pub color: bool,
    /// The table's width bound (`--width`, `$COLUMNS`, the terminal);
    /// `None` for none.
    pub width: Option<u16>,
}

/// The narrowest table `--width` gives (narrower terminals wrap it).
pub const MIN_TABLE_WIDTH: u16 = 80;

/// The width of the terminal on stdout, when it is one.
pub fn terminal_width() -> Option<u16> {
    comfy_table::Table::new().width()
}

/// What some formats need beyond the report itself.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// The rules in force (`Session::rules`): SARIF declares them all in
    /// `tool.driver.rules`, so code scanning can tell "ran and found
    /// nothing" from "does not exist". Empty: the built-in packs.
    pub rules: &'a [Rule],
    /// The `--fail-on` threshold (`None` for `never`): a JUnit `<failure>`
    /// is a finding that fails the run.
    pub fail_on: Option<Severity>,
    /// Joined in front of every `file:line` path in SARIF and GitHub
    /// annotations, so that they are relative to the repository root when
    /// parity.toml is not at the root (`"infra"` for `infra/parity.toml`).
    /// Empty: paths as in the report (relative to parity.toml's directory).
    pub path_prefix: &'a str,
    /// Both environments' network topology, for the pictures (`svg`, and
    /// the figure of `html` and `markdown`). `None`: no picture (the svg
    /// format then draws an empty one saying so).
    pub topology: Option<&'a topology::Topology>,
}

impl Default for RenderContext<'_> {
    fn default() -> Self {
        RenderContext {
            rules: &[],
            fail_on: Some(Severity::Error),
            path_prefix: "",
            topology: None,
        }
    }
}

impl RenderContext<'_> {
    /// A report path (`modules/db/main.tf`) as seen from the repository root.
    pub fn repo_path(&self, path: &str) -> String {
        let path = path.replace('\\', "/");
        let prefix = self.path_prefix.trim_end_matches(['/', '\\']);
        if prefix.is_empty() || prefix == "." {
            path
        } else {
            format!(
                "{}/{}",
                prefix.replace('\\', "/"),
                path.trim_start_matches("./")
            )
        }
    }
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

/// Whether a finding fails the run at `fail_on`: a violation (not expected,
/// not waived, not resolved) at or above the threshold that is not already
/// in the baseline. Without a baseline no finding has a status, so every
/// violation is judged; with one, only new findings are.
pub fn counts_against(f: &Finding, fail_on: Option<Severity>) -> bool {
    f.is_violation()
        && fail_on.is_some_and(|threshold| f.severity >= threshold)
        && f.status.as_deref() != Some(STATUS_EXISTING)
}

/// Violations win over incomplete coverage. After a baseline was applied
/// (see [`crate::baseline::apply`]) only new findings are judged.
pub fn exit_status(report: &Report, fail_on: Option<Severity>) -> ExitStatus {
    if report.findings.iter().any(|f| counts_against(f, fail_on)) {
        ExitStatus::Violations
    } else if !report.summary.incomplete.is_empty() {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Success
    }
}

// ---- helpers shared by the renderers ------------------------------------

/// A value as every format shows it: `(absent)` for none, and never the
/// redaction marker of a secret (defence in depth: findings already carry
/// `(sensitive)`).
pub(crate) fn shown_value(v: Option<&str>) -> Cow<'_, str> {
    match v {
        None => Cow::Borrowed("(absent)"),
        Some(s) if s.contains(SENSITIVE_PREFIX) => Cow::Borrowed("(sensitive)"),
        Some(s) => Cow::Borrowed(s),
    }
}

/// Free text (messages, diffs) with any redaction marker masked.
pub(crate) fn masked(s: &str) -> Cow<'_, str> {
    if s.contains(SENSITIVE_PREFIX) {
        Cow::Owned(
            s.split(SENSITIVE_PREFIX)
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part.to_string()
                    } else {
                        // The marker is followed by a hex digest: drop it.
                        let rest = part.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
                        format!("(sensitive){rest}")
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// One line, at most `max` characters (an ellipsis marks the cut).
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > max {
        let cut: String = one.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        one
    }
}

/// `file:line` → (`file`, `Some(line)`); anything else (a state address, an
/// ARN) → (`loc`, `None`).
pub(crate) fn split_location(loc: &str) -> (&str, Option<u64>) {
    if let Some((file, line)) = loc.rsplit_once(':') {
        if !file.is_empty() && !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = line.parse::<u64>() {
                if n >= 1 {
                    return (file, Some(n));
                }
            }
        }
    }
    (loc, None)
}

/// The location a finding is anchored at: the left environment's, else the
/// right's, else any (waiver findings point at parity.toml). Returns the key
/// (an environment name) and the location.
pub(crate) fn primary_location<'f>(f: &'f Finding, report: &Report) -> Option<(&'f str, &'f str)> {
    let (left, right) = report.sides(f);
    f.locations
        .get_key_value(left)
        .or_else(|| f.locations.get_key_value(right))
        .or_else(|| f.locations.iter().next())
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// `resource attribute` (or the resource alone).
pub(crate) fn subject(f: &Finding) -> String {
    match &f.attribute {
        Some(a) => format!("{} {a}", f.resource),
        None => f.resource.clone(),
    }
}

/// XML/HTML text and attribute escaping. Characters XML 1.0 forbids (most
/// C0 controls) are dropped, so the output is always well-formed.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
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
            between: None,
            label: None,
            causes: Vec::new(),
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
    fn a_three_way_finding_names_its_own_sides() {
        let mut f = finding(Severity::Warning, false);
        f.between = Some(crate::findings::Between::StateLive);
        f.label = Some(crate::findings::Label::Unmanaged);
        let mut r = Report::new(
            ["s (code)", "s (state)"],
            "drift",
            vec![f.clone()],
            1,
            1,
            vec![],
        );
        assert_eq!(r.sides(&f), ("s (code)", "s (state)"));
        assert_eq!(r.labels_of(&f).as_deref(), Some("unmanaged"));
        r.environments.push("s (live)".into());
        assert_eq!(r.sides(&f), ("s (state)", "s (live)"));
        assert_eq!(r.labels_of(&f).as_deref(), Some("state/live, unmanaged"));
        let json = serde_json::to_value(&r.findings[0]).unwrap_or_default();
        assert_eq!(json["between"], "state/live");
        assert_eq!(json["label"], "unmanaged");
        // Absent, not null, on an ordinary finding: the JSON of a diff is unchanged.
        let plain = serde_json::to_value(finding(Severity::Info, false)).unwrap_or_default();
        assert!(plain.get("between").is_none() && plain.get("label").is_none());
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
