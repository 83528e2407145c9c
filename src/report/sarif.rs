//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any SARIF
//! viewer).
//!
//! Shaped for what code scanning shows:
//! - every rule in force is declared in `tool.driver.rules`, not only those
//!   that fired, so code scanning can close an alert whose rule ran and
//!   found nothing;
//! - a result's `locations` holds ONE location, the left environment's
//!   `file:line` (code scanning displays only the first), and the right
//!   environment's is a `relatedLocations` entry that the message links to
//!   (`[prod](1)`), which code scanning renders as a link;
//! - `partialFingerprints` carries the baseline identity (rule, resource,
//!   attribute; see [`crate::baseline`]), so an alert survives line moves;
//! - only violations become results: expected differences, waived findings
//!   and findings resolved against a baseline would otherwise open alerts
//!   that nobody can act on. With a baseline, `baselineState` says `new` or
//!   `unchanged`;
//! - what could not be read is a `toolExecutionNotifications` entry;
//! - `automationDetails.id` names the environment pair, so the SARIF files
//!   of several pairs upload side by side without replacing each other.

use serde::Serialize;

use super::{masked, one_line, primary_location, shown_value, split_location, subject};
use super::{RenderContext, Report, STATUS_EXISTING, STATUS_NEW, STATUS_RESOLVED};
use crate::baseline;
use crate::findings::{Finding, Severity};
use crate::rules::{packs, Rule};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json";
/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "parityFindingId/v1";

#[derive(Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub automation_details: AutomationDetails,
    pub invocations: Vec<Invocation>,
    pub results: Vec<SarifResult>,
}

#[derive(Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<&'static str>,
    pub version: &'static str,
    pub rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: String,
    pub short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Serialize)]
pub struct Text {
    pub text: String,
}

#[derive(Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize)]
pub struct RuleProperties {
    pub tags: Vec<String>,
}

#[derive(Serialize)]
pub struct AutomationDetails {
    pub id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
pub struct Notification {
    pub level: &'static str,
    pub message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Text,
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
    pub partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<&'static str>,
    pub properties: ResultProperties,
}

#[derive(Serialize)]
pub struct Fingerprints {
    #[serde(rename = "parityFindingId/v1")]
    pub finding_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultProperties {
    pub category: &'static str,
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    pub environments: Vec<String>,
    /// Drift: the two sources the finding is between (`state/live`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub between: Option<&'static str>,
    /// `unmanaged` or `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Serialize)]
pub struct ArtifactLocation {
    pub uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    pub fully_qualified_name: String,
    pub kind: &'static str,
}

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(report: &Report, ctx: &RenderContext) -> String {
    let log = build(report, ctx);
    // Plain data to a String: serialization cannot fail (no non-string map
    // keys, no I/O).
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// [`render`]'s bytes, serialized straight into `out`.
pub fn write(
    report: &Report,
    ctx: &RenderContext,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    super::json::write_pretty(&build(report, ctx), out)
}

/// The SARIF log of a report.
pub fn build(report: &Report, ctx: &RenderContext) -> Log {
    let builtin;
    let in_force: &[Rule] = if ctx.rules.is_empty() {
        // The built-in packs are embedded and tested to load; if they did
        // not, the rules below are still declared from the findings.
        builtin = packs::builtin().unwrap_or_default();
        &builtin
    } else {
        ctx.rules
    };
    let mut rules: Vec<ReportingDescriptor> = in_force.iter().map(descriptor).collect();
    let results_of: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.is_violation() && f.status.as_deref() != Some(STATUS_RESOLVED))
        .collect();
    // Rules that are not in any pack (waiver-expired, waiver-unused, a rule
    // from a report built with other packs) are declared from the finding.
    for f in &results_of {
        if !rules.iter().any(|r| r.id == f.rule) {
            rules.push(ReportingDescriptor {
                id: f.rule.clone(),
                short_description: Text {
                    text: f.rule.clone(),
                },
                full_description: None,
                help: None,
                default_configuration: Configuration {
                    level: level(f.severity),
                },
                properties: RuleProperties {
                    tags: vec!["parity".into(), f.category.as_str().into()],
                },
            });
        }
    }
    let results = results_of
        .iter()
        .map(|f| result(f, report, ctx, &rules))
        .collect();
    let (left, right) = report.pair();
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "parity",
                    information_uri: information_uri(),
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            automation_details: AutomationDetails {
                id: format!("parity/{left}-vs-{right}/"),
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: report
                    .summary
                    .incomplete
                    .iter()
                    .map(|gap| Notification {
                        level: "warning",
                        message: Text {
                            text: format!("not read, parity not proven: {}", masked(gap)),
                        },
                    })
                    .collect(),
            }],
            results,
        }],
    }
}

fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.id.clone(),
        short_description: Text {
            text: rule.summary.clone(),
        },
        full_description: Some(Text {
            text: rule.why.clone(),
        }),
        help: Some(Text {
            text: format!(
                "{}\n\n{}\n\nExplain: parity rules show {}",
                rule.summary, rule.why, rule.id
            ),
        }),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            tags: vec!["parity".into(), rule.category.as_str().into()],
        },
    }
}

fn result(
    f: &Finding,
    report: &Report,
    ctx: &RenderContext,
    rules: &[ReportingDescriptor],
) -> SarifResult {
    let (left, right) = report.sides(f);
    let primary = primary_location(f, report);
    let value_of = |env: &str| {
        if env == left {
            f.left.as_deref()
        } else {
            f.right.as_deref()
        }
    };
    // The other environment's location, when it is another file:line.
    let related: Option<(&str, Location)> = primary.and_then(|(env, loc)| {
        let other_env = if env == left { right } else { left };
        let other = f.locations.get(other_env).filter(|o| o.as_str() != loc)?;
        let location = Location {
            id: Some(1),
            physical_location: Some(physical(other, ctx)?),
            logical_locations: Vec::new(),
            message: Some(Text {
                text: format!(
                    "{other_env}: {}",
                    one_line(&shown_value(value_of(other_env)), 120)
                ),
            }),
        };
        Some((other_env, location))
    });
    // Report text is escaped: `[text](id)` is SARIF's link syntax, and the
    // only link is ours, to the related location.
    let mut text = match report.labels_of(f) {
        Some(l) => format!("{} ({}): ", escape_text(&subject(f)), escape_text(&l)),
        None => format!("{}: ", escape_text(&subject(f))),
    };
    text.push_str(&escape_text(&one_line(&masked(&f.message), 500)));
    if f.left.is_some() || f.right.is_some() {
        text.push_str(&format!(
            ". {}: {}, {}: {}",
            escape_text(left),
            escape_text(&one_line(&shown_value(f.left.as_deref()), 120)),
            escape_text(right),
            escape_text(&one_line(&shown_value(f.right.as_deref()), 120)),
        ));
    }
    if let Some((env, _)) = &related {
        text.push_str(&format!(" (see [{}](1))", escape_text(env)));
    }
    // The inputs that make the difference, each side's line a related
    // location the message links to (ids from 2).
    let mut cause_locations = Vec::new();
    for (n, c) in f.causes.iter().enumerate() {
        let mut links = Vec::new();
        for (env, v) in [(left, &c.left), (right, &c.right)] {
            let Some(at) = c.locations.get(env) else {
                continue;
            };
            let Some(physical_location) = physical(at, ctx) else {
                continue;
            };
            let id = cause_locations.len() + 2;
            cause_locations.push(Location {
                id: Some(id),
                physical_location: Some(physical_location),
                logical_locations: Vec::new(),
                message: Some(Text {
                    text: format!(
                        "{} in {env}: {}",
                        c.input,
                        one_line(&shown_value(v.as_deref()), 120)
                    ),
                }),
            });
            links.push(format!("[{}]({id})", escape_text(env)));
        }
        text.push_str(if n == 0 { " Caused by " } else { "; " });
        text.push_str(&escape_text(&c.input));
        if !links.is_empty() {
            text.push_str(&format!(" ({})", links.join(", ")));
        }
    }
    // No file:line (a state address, an ARN): the resource alone.
    let locations = vec![Location {
        id: None,
        physical_location: primary.and_then(|(_, loc)| physical(loc, ctx)),
        logical_locations: logical(f),
        message: None,
    }];
    let related_locations = related
        .map(|(_, l)| l)
        .into_iter()
        .chain(cause_locations)
        .collect();
    SarifResult {
        rule_id: f.rule.clone(),
        // Every result's rule was declared in `build`, so the position exists.
        rule_index: rules.iter().position(|r| r.id == f.rule).unwrap_or(0),
        level: level(f.severity),
        message: Text { text },
        locations,
        related_locations,
        partial_fingerprints: Fingerprints {
            // A drift finding's pair of sources is part of its identity: the
            // same attribute may differ between code and state and between
            // state and live.
            finding_id: match f.between {
                Some(b) => format!("{}/{}", baseline::fingerprint(f), b.as_str()),
                None => baseline::fingerprint(f),
            },
        },
        baseline_state: match f.status.as_deref() {
            Some(STATUS_NEW) => Some("new"),
            Some(STATUS_EXISTING) => Some("unchanged"),
            _ => None,
        },
        properties: ResultProperties {
            category: f.category.as_str(),
            resource: f.resource.clone(),
            attribute: f.attribute.clone(),
            environments: report.environments.clone(),
            between: f.between.map(|b| b.as_str()),
            label: f.label.map(|l| l.as_str()),
        },
    }
}

fn physical(loc: &str, ctx: &RenderContext) -> Option<PhysicalLocation> {
    let (file, line) = split_location(loc);
    Some(PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: uri(&ctx.repo_path(file)),
        },
        region: Region { start_line: line? },
    })
}

fn logical(f: &Finding) -> Vec<LogicalLocation> {
    vec![LogicalLocation {
        fully_qualified_name: subject(f).replace(' ', "."),
        kind: "resource",
    }]
}

/// Plain SARIF message text: `\`, `[` and `]` are escaped so that report
/// text never forms an embedded link.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A relative URI reference: unreserved characters and `/` stay, the rest
/// is percent-encoded (spaces, `#`, `?`, non-ASCII).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("envs/prod/main.tf"), "envs/prod/main.tf");
        assert_eq!(uri("my dir/a#b.tf"), "my%20dir/a%23b.tf");
    }

    #[test]
    fn message_text_cannot_form_links() {
        assert_eq!(escape_text("[a](1) \\"), "\\[a\\](1) \\\\");
    }
}
