//! `--format table`: findings grouped by category, both environments'
//! values side by side with the file:line of each, then a summary line.
//!
//! Colour only when asked (a terminal without `NO_COLOR`); the layout never
//! depends on the terminal, so the same input gives the same bytes.

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
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        if opts.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        let mut header = vec!["severity", "resource / attribute"];
        header.extend(columns.iter().copied());
        header.push("rule");
        table.set_header(header);
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
    let s = &report.summary;
    let hidden = report.findings.len() - shown.len();
    if shown.is_empty() {
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
    out.push_str(&format!(
        "parity {title} ({}): {} error{}, {} warning{}, {} info, {} waived · score {:.2} · {} resource{}, {} attribute{} compared\n",
        report.source,
        s.errors,
        plural(s.errors),
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
        out.push_str(&format!(
            "incomplete: {} input{} could not be fully read, so parity is not proven:\n",
            s.incomplete.len(),
            plural(s.incomplete.len())
        ));
        for gap in &s.incomplete {
            out.push_str(&format!("  - {gap}\n"));
        }
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
