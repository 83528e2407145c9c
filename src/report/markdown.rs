//! `--format markdown`: a pull-request comment.
//!
//! The first line is a hidden marker, `<!-- parity-report: A-vs-B -->`, so
//! a CI step can find its own earlier comment and update it in place
//! instead of adding one per push. Then a summary line, one table per
//! category, policy diffs folded in `<details>`, what was resolved against a
//! baseline, and what could not be read.
//!
//! Everything taken from the report is escaped: values, addresses and
//! locations go in code spans (`|` escaped, the fence longer than any
//! backtick run inside), free text has Markdown punctuation backslashed so a
//! message can neither format, link, mention (`@`) nor inject HTML. GitHub
//! refuses comments over 65,536 characters, so rows stop at a budget and the
//! comment says how many were left out.

use super::{
    escape_xml, masked, one_line, plural, shown_value, RenderOptions, Report, STATUS_NEW,
    STATUS_RESOLVED,
};
use crate::findings::{Category, Finding, Severity};

/// Below GitHub's 65,536-character comment limit, with room for the tail.
const BUDGET: usize = 60_000;
/// Longest value shown in a cell.
const MAX_VALUE: usize = 60;

/// The hidden first line that identifies a comment of this pair.
pub fn marker(report: &Report) -> String {
    let (left, right) = report.pair();
    format!(
        "<!-- parity-report: {}-vs-{} -->",
        marker_name(left),
        marker_name(right)
    )
}

fn marker_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else if c == '-' {
                '-'
            } else {
                '_'
            }
        })
        .collect::<String>()
        // `--` may not appear inside an HTML comment.
        .replace("--", "-_")
}

/// `picture`: the topology as a Mermaid flowchart
/// ([`super::mermaid::render`]), shown folded under the summary.
pub fn render(report: &Report, opts: &RenderOptions, picture: Option<&str>) -> String {
    let (left, right) = report.pair();
    let s = &report.summary;
    let baseline = report.has_baseline();
    let mut out = String::new();
    out.push_str(&marker(report));
    out.push('\n');
    // One value column per side: two environments, or code, state and
    // live of a three-way drift (each finding fills the two it is between).
    let sides: Vec<&str> = if report.is_three_way() {
        report.environments.iter().map(String::as_str).collect()
    } else {
        vec![left, right]
    };
    out.push_str(&format!(
        "## parity: {} ({})\n\n",
        sides
            .iter()
            .map(|s| code(s))
            .collect::<Vec<_>>()
            .join(" vs "),
        text(&report.source)
    ));
    out.push_str(&format!(
        "{} · {} warning{} · {} info · {} waived · parity score **{:.2}** · {} resource{}, {} attribute{} compared\n",
        if s.errors > 0 {
            format!("**{} error{}**", s.errors, plural(s.errors))
        } else {
            "0 errors".to_string()
        },
        s.warnings,
        plural(s.warnings),
        s.info,
        s.waived,
        s.parity_score,
        s.compared_resources,
        plural(s.compared_resources),
        s.compared_attributes,
        plural(s.compared_attributes),
    ));
    if let Some(b) = &s.baseline {
        out.push_str(&format!(
            "\nAgainst the baseline: **{} new**, {} existing{}, {} resolved\n",
            b.new,
            b.existing,
            if b.changed > 0 {
                format!(" ({} with changed values)", b.changed)
            } else {
                String::new()
            },
            b.resolved
        ));
    }

    for note in &s.notes {
        out.push_str(&format!("\n_{}_\n", text(note)));
    }
    for live in &s.live {
        out.push_str(&format!("\nRead live: {}\n", text(&live.describe())));
    }

    if !report.root_causes.is_empty() {
        out.push_str(&format!(
            "\n**Root causes**: {} cause{} for {} finding{} ({} item{} to review)\n\n",
            s.causes,
            plural(s.causes),
            report
                .root_causes
                .iter()
                .map(|c| c.findings.len())
                .sum::<usize>(),
            plural(
                report
                    .root_causes
                    .iter()
                    .map(|c| c.findings.len())
                    .sum::<usize>()
            ),
            s.items,
            plural(s.items)
        ));
        for rc in &report.root_causes {
            let n = rc.findings.len();
            let at = |env: &str| {
                rc.locations
                    .get(env)
                    .map(|l| format!(" at {}", code(l)))
                    .unwrap_or_default()
            };
            let what = match rc.kind {
                super::causes::CauseKind::Input => format!(
                    "{}: {}{} vs {}{}",
                    code(&rc.subject),
                    value(rc.left.as_deref()),
                    at(left),
                    value(rc.right.as_deref()),
                    at(right)
                ),
                super::causes::CauseKind::Module => format!(
                    "{} only in {}{}",
                    code(&rc.subject),
                    text(if rc.right.is_none() { left } else { right }),
                    at(if rc.right.is_none() { left } else { right })
                ),
            };
            out.push_str(&format!(
                "- **{}** {what}: {n} finding{}\n",
                rc.severity,
                plural(n)
            ));
        }
    }

    if let Some(chart) = picture {
        out.push_str(&super::topology_md::section(chart));
    }
    let (shown, hidden) = report.visible(opts.verbose);
    if shown.is_empty() {
        let names: Vec<String> = sides.iter().map(|s| code(s)).collect();
        out.push_str(&format!(
            "\nNo differences between {}.\n",
            match names.as_slice() {
                [a, b] => format!("{a} and {b}"),
                many => many.join(", "),
            }
        ));
    }

    let mut omitted = 0usize;
    for category in Category::ALL {
        let group: Vec<&Finding> = shown
            .iter()
            .copied()
            .filter(|f| f.category == category)
            .collect();
        if group.is_empty() {
            continue;
        }
        let errors = count(&group, Severity::Error);
        let warnings = count(&group, Severity::Warning);
        out.push_str(&format!(
            "\n### {}: {} finding{} ({} error{}, {} warning{})\n\n",
            title(category),
            group.len(),
            plural(group.len()),
            errors,
            plural(errors),
            warnings,
            plural(warnings),
        ));
        let mut header = String::from("|");
        let mut rule_line = String::from("|");
        let mut columns: Vec<String> = Vec::new();
        if baseline {
            columns.push("status".into());
        }
        columns.extend([
            "severity".to_string(),
            "resource".into(),
            "attribute".into(),
            "message".into(),
        ]);
        columns.extend(sides.iter().map(|s| text(s)));
        columns.extend(["rule".to_string(), "locations".into()]);
        for c in &columns {
            header.push_str(&format!(" {c} |"));
            rule_line.push_str("---|");
        }
        out.push_str(&header);
        out.push('\n');
        out.push_str(&rule_line);
        out.push('\n');
        let mut diffs = Vec::new();
        for f in &group {
            let row = row(f, report, &sides, baseline);
            if out.len() + row.len() > BUDGET {
                omitted += 1;
                continue;
            }
            out.push_str(&row);
            if f.diff.is_some() {
                diffs.push(*f);
            }
        }
        for f in diffs {
            let (left, right) = report.sides(f);
            let block = diff_block(f, left, right);
            if out.len() + block.len() <= BUDGET {
                out.push_str(&block);
            }
        }
    }

    let resolved: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status.as_deref() == Some(STATUS_RESOLVED))
        .collect();
    if !resolved.is_empty() {
        out.push_str(&format!(
            "\n### Resolved since the baseline: {}\n\n| severity | resource | attribute | rule |\n|---|---|---|---|\n",
            resolved.len()
        ));
        for f in resolved {
            let row = format!(
                "| {} | {} | {} | {} |\n",
                f.severity,
                code(&f.resource),
                f.attribute.as_deref().map(code).unwrap_or_default(),
                code(&f.rule)
            );
            if out.len() + row.len() > BUDGET {
                omitted += 1;
                continue;
            }
            out.push_str(&row);
        }
    }

    if !s.incomplete.is_empty() {
        out.push_str(&format!(
            "\n### Incomplete: {} input{} could not be fully read, so parity is not proven\n\n",
            s.incomplete.len(),
            plural(s.incomplete.len())
        ));
        for gap in &s.incomplete {
            out.push_str(&format!("- {}\n", text(&masked(gap))));
        }
    }
    if hidden > 0 {
        out.push_str(&format!(
            "\n_{hidden} expected difference{} hidden (sizes, counts, names): `--verbose` shows them._\n",
            plural(hidden)
        ));
    }
    if omitted > 0 {
        out.push_str(&format!(
            "\n_{omitted} finding{} not shown: a comment holds at most 65,536 characters. The JSON or HTML report has them all._\n",
            plural(omitted)
        ));
    }
    out
}

fn count(group: &[&Finding], severity: Severity) -> usize {
    group
        .iter()
        .filter(|f| f.is_violation() && f.severity == severity)
        .count()
}

fn title(c: Category) -> &'static str {
    match c {
        Category::Engine => "Engine",
        Category::Iam => "IAM",
        Category::Topology => "Topology",
        Category::Dependency => "Dependency",
        Category::Config => "Config",
    }
}

fn row(f: &Finding, report: &Report, sides: &[&str], baseline: bool) -> String {
    let (left, right) = report.sides(f);
    let mut cells: Vec<String> = Vec::new();
    if baseline {
        cells.push(match f.status.as_deref() {
            Some(STATUS_NEW) => "**new**".to_string(),
            Some(other) => text(other),
            None => String::new(),
        });
    }
    cells.push(if f.waiver.is_some() {
        format!("{} (waived)", f.severity)
    } else if f.expected {
        "expected".into()
    } else if f.severity == Severity::Error {
        "**error**".into()
    } else {
        f.severity.to_string()
    });
    // Which sources a drift finding is between (three-way), and unmanaged
    // / missing.
    cells.push(match report.labels_of(f) {
        Some(l) => format!("{}<br>_{}_", code(&f.resource), text(&l)),
        None => code(&f.resource),
    });
    cells.push(f.attribute.as_deref().map(code).unwrap_or_default());
    let mut message = text(&masked(&f.message));
    if let Some(w) = &f.waiver {
        message.push_str(&format!(
            "<br>waived: {} ({})",
            text(&w.reason),
            code(&w.location)
        ));
    }
    for c in &f.causes {
        message.push_str(&format!("<br>caused by {}", text(&c.describe(left, right))));
    }
    cells.push(message);
    for env in sides {
        cells.push(if *env == left {
            value(f.left.as_deref())
        } else if *env == right {
            value(f.right.as_deref())
        } else {
            String::new()
        });
    }
    cells.push(code(&f.rule));
    cells.push(locations(f, left, right));
    format!("| {} |\n", cells.join(" | "))
}

fn value(v: Option<&str>) -> String {
    match v {
        None => "_(absent)_".into(),
        Some("") => "_(empty)_".into(),
        Some(v) => code(&one_line(&shown_value(Some(v)), MAX_VALUE)),
    }
}

fn locations(f: &Finding, left: &str, right: &str) -> String {
    let l = f.locations.get(left);
    let r = f.locations.get(right);
    match (l, r) {
        (Some(a), Some(b)) if a == b => code(a),
        // Not an environment's (a waiver finding's parity.toml:line).
        (None, None) => f
            .locations
            .values()
            .map(|v| code(v))
            .collect::<Vec<_>>()
            .join("<br>"),
        _ => [(left, l), (right, r)]
            .into_iter()
            .filter_map(|(env, loc)| Some(format!("{}: {}", text(env), code(loc?))))
            .collect::<Vec<_>>()
            .join("<br>"),
    }
}

fn diff_block(f: &Finding, left: &str, right: &str) -> String {
    let Some(diff) = &f.diff else {
        return String::new();
    };
    let diff = masked(diff);
    let fence = "`".repeat(longest_run(&diff, '`').max(2) + 1);
    format!(
        "\n<details><summary>Policy diff: {} ({} −, {} +)</summary>\n\n{fence}diff\n{}{}{fence}\n\n</details>\n",
        escape_xml(&super::subject(f)),
        escape_xml(left),
        escape_xml(right),
        diff,
        if diff.ends_with('\n') { "" } else { "\n" },
    )
}

/// A code span holding `s` on one line: the fence is longer than any
/// backtick run inside, `|` is escaped for the table.
fn code(s: &str) -> String {
    let s = one_line(s, usize::MAX).replace('|', "\\|");
    if s.is_empty() {
        return "_(empty)_".into();
    }
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for ch in s.chars() {
        if ch == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Free text for Markdown: punctuation that could format, link, mention or
/// open HTML is backslash-escaped; `&` becomes an entity; line breaks
/// become `<br>` so a table row stays one line.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let s = s.replace("\r\n", "\n");
    for c in s.chars() {
        match c {
            // `(` `)` `!` only matter next to `[` `]`, which are escaped.
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '@' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push_str("<br>"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`y"), "`` `y ``");
        assert_eq!(code(""), "_(empty)_");
    }

    #[test]
    fn text_cannot_inject() {
        assert_eq!(text("<b>@me</b>"), "\\<b\\>\\@me\\</b\\>");
        assert_eq!(text("a\nb|c"), "a<br>b\\|c");
        assert_eq!(text("s3:* & more"), "s3:\\* &amp; more");
    }

    #[test]
    fn marker_names_are_comment_safe() {
        assert_eq!(marker_name("prod"), "prod");
        assert_eq!(marker_name("a-->b c"), "a-__b_c");
    }
}
