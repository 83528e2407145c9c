//! `--format table`: the summary first, then the root causes (each with
//! its input's value and file:line on both sides and the findings it
//! explains), then the other findings grouped by category, both
//! environments' values side by side with the file:line of each.
//!
//! Colour only when asked (`--color`, by default a terminal without
//! `NO_COLOR`). The width is bounded only when asked (`--width`, `$COLUMNS`,
//! or a terminal): values then wrap inside their column so that no line is
//! wider than the bound; piped or written to a file without those, the
//! layout depends on nothing but the input.

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};

use super::{plural, RenderOptions, Report};
use crate::findings::{Category, Finding, Severity};

const MAX_VALUE: usize = 48;

fn short(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_VALUE {
        let cut: String = one_line.chars().take(MAX_VALUE - 1).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

fn severity_cell(f: &Finding, color: bool) -> Cell {
    let mut text = if f.waiver.is_some() {
        format!("{} (waived)", f.severity)
    } else if f.expected {
        "expected".to_string()
    } else {
        f.severity.to_string()
    };
    // Against a baseline: what this change brings, what it fixed.
    match f.status.as_deref() {
        Some("new") => text.push_str("\nnew"),
        Some("resolved") => text = format!("{}\nresolved", f.severity),
        _ => {}
    }
    let cell = Cell::new(text);
    if !color {
        return cell;
    }
    let muted = f.waiver.is_some() || f.expected || f.status.as_deref() == Some("resolved");
    match (muted, f.severity) {
        (true, _) => cell.fg(Color::DarkGrey),
        (false, Severity::Error) => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        (false, Severity::Warning) => cell.fg(Color::Yellow),
        (false, Severity::Info) => cell.fg(Color::Cyan),
    }
}

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let (left_env, right_env) = match report.environments.as_slice() {
        [a, b, ..] => (a.as_str(), b.as_str()),
        _ => ("left", "right"),
    };
    // One value column per side: two environments, or code, state and live
    // of a three-way drift (each finding fills the two it is between).
    let columns: Vec<&str> = if report.is_three_way() {
        report.environments.iter().map(String::as_str).collect()
    } else {
        vec![left_env, right_env]
    };
    let title = columns.join(" vs ");
    let mut out = String::new();
    let shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| opts.verbose || !f.expected)
        .collect();
    out.push_str(&summary(report, &title, &columns, shown.len(), opts));
    out.push_str(&root_causes(report, opts));
    // Under a root cause already (all of them again with --verbose).
    let grouped = super::causes::grouped(&report.root_causes, report.findings.len());
    let shown: Vec<&Finding> = report
        .findings
        .iter()
        .zip(grouped)
        .filter(|(f, g)| opts.verbose || (!f.expected && !g))
        .map(|(f, _)| f)
        .collect();
    if !shown.is_empty() && !report.root_causes.is_empty() {
        out.push_str(if opts.verbose {
            "ALL FINDINGS\n\n"
        } else {
            "OTHER FINDINGS\n\n"
        });
    }
    for category in Category::ALL {
        let group: Vec<&&Finding> = shown.iter().filter(|f| f.category == category).collect();
        if group.is_empty() {
            continue;
        }
        let errors = group
            .iter()
            .filter(|f| f.is_violation() && f.severity == Severity::Error)
            .count();
        let warnings = group
            .iter()
            .filter(|f| f.is_violation() && f.severity == Severity::Warning)
            .count();
        out.push_str(&format!(
            "{} — {} finding{} ({} error{}, {} warning{})\n",
            category.as_str().to_uppercase(),
            group.len(),
            plural(group.len()),
            errors,
            plural(errors),
            warnings,
            plural(warnings),
        ));
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        match opts.width {
            Some(width) => {
                table
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(width);
            }
            None => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if opts.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        let mut header = vec!["severity", "resource / attribute"];
        header.extend(columns.iter().copied());
        header.push("rule");
        table.set_header(header);
        if opts.width.is_some() {
            // Severity never wraps; the rule id takes what it needs (16 at
            // least when it has them, 24 at most); the resource column gets
            // at least a third.
            use comfy_table::{ColumnConstraint, Width};
            let last = columns.len() + 2;
            if let Some(c) = table.column_mut(0) {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
            if let Some(c) = table.column_mut(1) {
                c.set_constraint(ColumnConstraint::LowerBoundary(Width::Percentage(33)));
            }
            let longest = group
                .iter()
                .map(|f| f.rule.chars().count())
                .max()
                .unwrap_or(4);
            let rule = u16::try_from(longest.min(16)).unwrap_or(16);
            if let Some(c) = table.column_mut(last) {
                c.set_constraint(ColumnConstraint::Boundaries {
                    lower: Width::Fixed(rule + 2),
                    upper: Width::Fixed(26),
                });
            }
        }
        let mut diffs = Vec::new();
        for f in &group {
            let mut what = f.resource.clone();
            if let Some(a) = &f.attribute {
                what.push_str(&format!("\n  {a}"));
            }
            what.push_str(&format!("\n{}", short_message(&f.message)));
            if let Some(w) = &f.waiver {
                what.push_str(&format!("\nwaived: {} ({})", w.reason, w.location));
            }
            // Which sources a drift finding is between (three-way), and
            // unmanaged / missing.
            if let Some(labels) = report.labels_of(f) {
                what.push_str(&format!("\n[{labels}]"));
            }
            let (l_env, r_env) = report.sides(f);
            let side = |v: &Option<String>, env: &str| {
                let value = v.as_deref().map(short).unwrap_or_else(|| "(absent)".into());
                match f.locations.get(env) {
                    Some(loc) => format!("{value}\n{loc}"),
                    None => value,
                }
            };
            let mut row = vec![severity_cell(f, opts.color), Cell::new(what)];
            for env in &columns {
                row.push(Cell::new(if *env == l_env {
                    side(&f.left, l_env)
                } else if *env == r_env {
                    side(&f.right, r_env)
                } else {
                    String::new()
                }));
            }
            row.push(Cell::new(&f.rule));
            table.add_row(row);
            if let Some(d) = &f.diff {
                diffs.push((f, d));
            }
        }
        out.push_str(&table.to_string());
        out.push('\n');
        for (f, d) in diffs {
            let (l_env, r_env) = report.sides(f);
            out.push_str(&format!(
                "\n{} {}: {l_env} (-) vs {r_env} (+)\n",
                f.resource,
                f.attribute.as_deref().unwrap_or("")
            ));
            for line in d.lines() {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push('\n');
    }
    out.push_str(&incomplete(report));
    match opts.width {
        Some(width) => fit_lines(&out, usize::from(width)),
        None => out,
    }
}

/// The summary line and what goes with it (baseline, hidden, notes, live
/// reads, gaps): first, so a reader sees the verdict before the detail.
fn summary(
    report: &Report,
    title: &str,
    columns: &[&str],
    shown: usize,
    opts: &RenderOptions,
) -> String {
    let (left_env, right_env) = (columns[0], columns[columns.len() - 1]);
    let _ = opts;
    let mut out = String::new();
    let s = &report.summary;
    let hidden = report.findings.len() - shown;
    if shown == 0 {
        let sides = if columns.len() > 2 {
            columns.join(", ")
        } else {
            format!("{left_env} and {right_env}")
        };
        out.push_str(&format!(
            "No differences between {sides} ({}).\n",
            report.source
        ));
    }
    // What a reader goes through: the findings (not expected, not
    // resolved), in items (each root cause one, each other finding one).
    let findings = report
        .findings
        .iter()
        .filter(|f| !f.expected && f.status.as_deref() != Some(super::STATUS_RESOLVED))
        .count();
    out.push_str(&format!(
        "parity {title} ({}): {} error{}, {} warning{}, {} info, {} waived · {} finding{} in {} item{} ({} root cause{}) · score {:.2} · {} resource{}, {} attribute{} compared\n",
        report.source,
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings),
        s.info,
        s.waived,
        findings,
        plural(findings),
        s.items,
        plural(s.items),
        s.causes,
        plural(s.causes),
        s.parity_score,
        s.compared_resources,
        plural(s.compared_resources),
        s.compared_attributes,
        plural(s.compared_attributes),
    ));
    if let Some(b) = &s.baseline {
        out.push_str(&format!(
            "against the baseline: {} new, {} existing ({} changed), {} resolved — --fail-on judges new findings only\n",
            b.new, b.existing, b.changed, b.resolved
        ));
    }
    if hidden > 0 {
        out.push_str(&format!(
            "{hidden} expected difference{} hidden (sizes, counts, names): --verbose shows them\n",
            plural(hidden)
        ));
    }
    for note in &s.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for live in &s.live {
        out.push_str(&format!("read live: {}\n", live.describe()));
    }
    if !s.incomplete.is_empty() {
        // The list itself comes last (`incomplete`): it can be long, and
        // the root causes come first.
        out.push_str(&format!(
            "incomplete: {} input{} could not be fully read, so parity is not proven (listed at the end)\n",
            s.incomplete.len(),
            plural(s.incomplete.len())
        ));
    }
    out.push('\n');
    out
}

/// What could not be read, one line each.
fn incomplete(report: &Report) -> String {
    let s = &report.summary;
    if s.incomplete.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "INCOMPLETE — {} input{} could not be fully read, so parity is not proven:\n",
        s.incomplete.len(),
        plural(s.incomplete.len())
    );
    for gap in &s.incomplete {
        out.push_str(&format!("  - {gap}\n"));
    }
    out
}

/// ANSI colour for a severity word, when colour is on.
fn paint(text: &str, severity: Severity, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match severity {
        Severity::Error => "1;31",
        Severity::Warning => "33",
        Severity::Info => "36",
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

/// The root causes: each with its value and file:line on both sides, and
/// the findings it explains (a module's resources with --verbose).
fn root_causes(report: &Report, opts: &RenderOptions) -> String {
    use super::causes::CauseKind;
    let causes = &report.root_causes;
    if causes.is_empty() {
        return String::new();
    }
    let explained: usize = causes.iter().map(|c| c.findings.len()).sum();
    let (left_env, right_env) = report.pair();
    let mut out = format!(
        "ROOT CAUSES — {} cause{} explain{} {} finding{}\n\n",
        causes.len(),
        plural(causes.len()),
        if causes.len() == 1 { "s" } else { "" },
        explained,
        plural(explained)
    );
    let pad = left_env.chars().count().max(right_env.chars().count()) + 1;
    for (n, rc) in causes.iter().enumerate() {
        let members: Vec<&Finding> = rc
            .findings
            .iter()
            .filter_map(|&i| report.findings.get(i))
            .collect();
        let count = |sev: Severity| {
            members
                .iter()
                .filter(|f| f.is_violation() && f.severity == sev)
                .count()
        };
        let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
        let sev = paint(rc.severity.as_str(), rc.severity, opts.color);
        match rc.kind {
            CauseKind::Input => {
                out.push_str(&format!(
                    "{}. [{sev}] {} changes {} finding{} ({} error{}, {} warning{})\n",
                    n + 1,
                    rc.subject,
                    members.len(),
                    plural(members.len()),
                    errors,
                    plural(errors),
                    warnings,
                    plural(warnings)
                ));
                for (env, v) in [(left_env, &rc.left), (right_env, &rc.right)] {
                    let at = rc
                        .locations
                        .get(env)
                        .map(String::as_str)
                        .unwrap_or("(not set)");
                    out.push_str(&format!(
                        "   {:<pad$} {}  {at}\n",
                        format!("{env}:"),
                        short(&super::shown_value(v.as_deref()))
                    ));
                }
            }
            CauseKind::Module => {
                let (present, absent) = if rc.right.is_none() {
                    (left_env, right_env)
                } else {
                    (right_env, left_env)
                };
                let at = rc.locations.get(present).map(String::as_str).unwrap_or("-");
                out.push_str(&format!(
                    "{}. [{sev}] {} only in {present} ({at}), absent from {absent}: {} finding{} ({} error{}, {} warning{})\n",
                    n + 1,
                    rc.subject,
                    members.len(),
                    plural(members.len()),
                    errors,
                    plural(errors),
                    warnings,
                    plural(warnings)
                ));
                if !opts.verbose {
                    out.push_str("   its resources: --verbose or --format json lists them\n\n");
                    continue;
                }
            }
        }
        for f in &members {
            let mut what = f.resource.clone();
            if let Some(a) = &f.attribute {
                what.push(' ');
                what.push_str(a);
            }
            let fsev = if f.waiver.is_some() {
                format!("{} (waived)", f.severity)
            } else {
                f.severity.to_string()
            };
            // Where the finding itself sits, once when both sides share it.
            let (l_env, r_env) = report.sides(f);
            let at = match (f.locations.get(l_env), f.locations.get(r_env)) {
                (Some(a), Some(b)) if a == b => format!(" ({a})"),
                (Some(a), Some(b)) => format!(" ({a}, {b})"),
                (Some(a), None) | (None, Some(a)) => format!(" ({a})"),
                (None, None) => String::new(),
            };
            out.push_str(&format!(
                "   - {} {what}{at}: {}\n",
                paint(&fsev, f.severity, opts.color && f.is_violation()),
                short_message(&f.message)
            ));
            let others: Vec<&str> = f
                .causes
                .iter()
                .map(|c| c.input.as_str())
                .filter(|c| *c != rc.subject)
                .collect();
            if !others.is_empty() {
                out.push_str(&format!("     also caused by {}\n", others.join(", ")));
            }
            if let Some(d) = &f.diff {
                for line in d.lines() {
                    out.push_str("       ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Wrap the lines outside the tables (headings, diffs, the summary, the
/// gaps) at spaces so that none is wider than `width`; a continuation keeps
/// the line's indent plus two. The tables fit already (comfy-table wraps
/// inside their columns); a word longer than the width stays whole.
fn fit_lines(text: &str, width: usize) -> String {
    let w = |s: &str| s.chars().count();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let is_table = body.starts_with(['┌', '│', '╞', '├', '└']);
        if is_table || w(body) <= width {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        let cont = " ".repeat(indent + 2);
        let mut current = body[..indent].to_string();
        let mut first = true;
        for word in body[indent..].split(' ') {
            let lead = if first { "" } else { " " };
            if !first && w(&current) + 1 + w(word) > width {
                out.push_str(current.trim_end());
                out.push('\n');
                current = format!("{cont}{word}");
            } else {
                current.push_str(lead);
                current.push_str(word);
            }
            first = false;
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}

fn short_message(m: &str) -> String {
    let one: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 100 {
        let cut: String = one.chars().take(99).collect();
        format!("{cut}…")
    } else {
        one
    }
}
