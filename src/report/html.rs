//! `--format html`: one self-contained page, for a nightly drift report
//! kept as a CI artifact or mailed around.
//!
//! Inline CSS, no script, no font, image or stylesheet from anywhere: the
//! file opens the same offline, in a mail client, or from an artifact store
//! with a strict content policy. Every piece of text from the report is
//! HTML-escaped. Layout: title, summary with the parity score, one table per
//! category (severity and baseline badges, both environments' values and
//! locations), policy diffs and long values folded in `<details>`, what was
//! resolved against a baseline, and what could not be read.

use super::{
    escape_xml as esc, masked, one_line, plural, shown_value, RenderOptions, Report, STATUS_NEW,
    STATUS_RESOLVED,
};
use crate::findings::{Category, Finding, Severity};

/// Folded values show this much in the row; the whole value (JSON
/// pretty-printed) is in a `<details>`.
const MAX_VALUE: usize = 60;

/// Plain one-line values up to this long are shown whole: the difference
/// is often at the end (an image tag after a registry path).
const MAX_INLINE: usize = 160;

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --error: #cf222e; --warning: #9a6700; --info: #0969da; --quiet: #6e7781; --new: #8250df; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d;
  --error: #ff7b72; --warning: #d29922; --info: #58a6ff; --quiet: #9198a1; --new: #bc8cff; --ok: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 80rem; padding: 1.5rem; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.muted { color: var(--muted); }
.summary { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1rem 0; }
.score { font-size: 2.4rem; font-weight: 700; line-height: 1; }
.score small { display: block; font-size: .8rem; font-weight: 400; color: var(--muted); }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: var(--panel); font-weight: 600; }
col.sev { width: 7rem; } col.rule { width: 10rem; }
code, pre { font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; overflow-x: auto; white-space: pre; }
.loc { display: block; color: var(--muted); font-size: 12px; }
.msg { display: block; white-space: pre-line; }
code.attr { font-weight: 700; }
details summary code { word-break: break-all; }
td details pre { margin: .25rem 0; max-height: 24rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
nav.toc { margin: 0 0 1rem; color: var(--muted); }
nav.toc a { color: inherit; }
section#new h2 { color: var(--new); }
.badge { display: inline-block; border-radius: 1em; padding: 0 .6em; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.b-error { color: var(--error); } .b-warning { color: var(--warning); } .b-info { color: var(--info); }
.b-quiet { color: var(--quiet); } .b-new { color: var(--new); } .b-ok { color: var(--ok); }
tr.quiet td { color: var(--muted); }
details summary { cursor: pointer; }
.diff .add { color: var(--ok); } .diff .del { color: var(--error); } .diff .hunk { color: var(--info); }
ul.gaps li { margin: .25rem 0; }
footer { margin-top: 2rem; color: var(--muted); font-size: 12px; }
"#;

/// `picture`: the topology as SVG ([`super::svg::render`]), shown under
/// the summary.
pub fn render(report: &Report, opts: &RenderOptions, picture: Option<&str>) -> String {
    let (left, right) = report.pair();
    let s = &report.summary;
    let title = if report.is_three_way() {
        format!("parity: {}", report.environments.join(" vs "))
    } else {
        format!("parity: {left} vs {right}")
    };
    // A three-way drift: each row holds the two sources it is between, and
    // its cells name them.
    let (left, right) = if report.is_three_way() {
        (FIRST_SOURCE, SECOND_SOURCE)
    } else {
        (left, right)
    };
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", esc(&title)));
    out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    out.push_str(&format!(
        "<header>\n<h1>{}</h1>\n<p class=\"muted\">source: {} · {} resource{}, {} attribute{} compared</p>\n</header>\n",
        esc(&title),
        esc(&report.source),
        s.compared_resources,
        plural(s.compared_resources),
        s.compared_attributes,
        plural(s.compared_attributes)
    ));

    out.push_str("<section class=\"summary\">\n");
    out.push_str(&format!(
        "<div class=\"score\" title=\"share of the compared attributes that hold parity\">{:.2}<small>parity score</small></div>\n<div class=\"counts\">\n",
        s.parity_score
    ));
    out.push_str(&format!(
        "<span class=\"badge b-error\">{} error{}</span>\n<span class=\"badge b-warning\">{} warning{}</span>\n<span class=\"badge b-info\">{} info</span>\n<span class=\"badge b-quiet\">{} waived</span>\n",
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings),
        s.info,
        s.waived
    ));
    if let Some(b) = &s.baseline {
        out.push_str(&format!(
            "<span class=\"badge b-new\">{} new</span>\n<span class=\"badge b-quiet\">{} existing</span>\n<span class=\"badge b-ok\">{} resolved</span>\n",
            b.new, b.existing, b.resolved
        ));
        if b.changed > 0 {
            out.push_str(&format!(
                "<span class=\"muted\">{} existing finding{} changed values</span>\n",
                b.changed,
                plural(b.changed)
            ));
        }
    }
    out.push_str("</div>\n");
    if !s.incomplete.is_empty() {
        out.push_str(&format!(
            "<div><a href=\"#incomplete\">{} input{} could not be read</a>: parity is not proven</div>\n",
            s.incomplete.len(),
            plural(s.incomplete.len())
        ));
    }
    for note in &s.notes {
        out.push_str(&format!("<div class=\"muted\">{}</div>\n", esc(note)));
    }
    for live in &s.live {
        out.push_str(&format!(
            "<div class=\"muted\">read live: {}</div>\n",
            esc(&live.describe())
        ));
    }
    out.push_str("</section>\n");

    out.push_str(&root_causes(report));
    if let Some(svg) = picture {
        out.push_str(&super::topology_md::html_section(svg));
    }
    let (shown, hidden) = report.visible(opts.verbose);
    let new: Vec<&Finding> = shown
        .iter()
        .copied()
        .filter(|f| f.status.as_deref() == Some(STATUS_NEW))
        .collect();
    out.push_str(&nav(report, &shown, new.len()));
    if shown.is_empty() {
        let sides = match report.environments.as_slice() {
            [a, b] => format!("{a} and {b}"),
            many => many.join(", "),
        };
        out.push_str(&format!("<p>No differences between {}.</p>\n", esc(&sides)));
    }
    // What a pull request or the last night changed, before the debt.
    if !new.is_empty() {
        out.push_str(&format!(
            "<section id=\"new\">\n<h2>New since the baseline <span class=\"muted\">{} finding{}, also listed under their category</span></h2>\n",
            new.len(),
            plural(new.len())
        ));
        out.push_str(&table_head(left, right));
        for f in &new {
            out.push_str(&row(f, left, right));
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    for category in Category::ALL {
        let group: Vec<&Finding> = shown
            .iter()
            .copied()
            .filter(|f| f.category == category)
            .collect();
        if group.is_empty() {
            continue;
        }
        let violations = |sev: Severity| {
            group
                .iter()
                .filter(|f| f.is_violation() && f.severity == sev)
                .count()
        };
        let (errors, warnings) = (violations(Severity::Error), violations(Severity::Warning));
        out.push_str(&format!(
            "<section id=\"{}\">\n<h2>{} <span class=\"muted\">{} finding{} ({} error{}, {} warning{})</span></h2>\n",
            category.as_str(),
            title_of(category),
            group.len(),
            plural(group.len()),
            errors,
            plural(errors),
            warnings,
            plural(warnings)
        ));
        out.push_str(&table_head(left, right));
        // New findings first: what changed reads before the old debt.
        let mut group = group;
        group.sort_by_key(|f| f.status.as_deref() != Some(STATUS_NEW));
        for f in &group {
            out.push_str(&row(f, left, right));
        }
        out.push_str("</tbody>\n</table>\n");
        for f in group.iter().filter(|f| f.diff.is_some()) {
            out.push_str(&diff(f, left, right));
        }
        out.push_str("</section>\n");
    }
    if hidden > 0 {
        out.push_str(&format!(
            "<p class=\"muted\">{hidden} expected difference{} hidden (sizes, counts, names): <code>--verbose</code> shows them.</p>\n",
            plural(hidden)
        ));
    }

    let resolved: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status.as_deref() == Some(STATUS_RESOLVED))
        .collect();
    if !resolved.is_empty() {
        out.push_str(&format!(
            "<section id=\"resolved\">\n<h2>Resolved since the baseline <span class=\"muted\">{}</span></h2>\n<table>\n<colgroup><col class=\"sev\"><col><col class=\"rule\"></colgroup>\n<thead><tr><th>severity</th><th>resource / attribute</th><th>rule</th></tr></thead>\n<tbody>\n",
            resolved.len()
        ));
        for f in resolved {
            out.push_str(&format!(
                "<tr><td><span class=\"badge b-ok\">resolved</span><span class=\"loc\">was {}</span></td><td><code>{}</code>{}<span class=\"msg muted\">{}</span></td><td><code>{}</code></td></tr>\n",
                esc(f.severity.as_str()),
                esc(&f.resource),
                attribute(f),
                esc(&masked(&f.message)),
                esc(&f.rule)
            ));
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    if !s.incomplete.is_empty() {
        out.push_str(&format!(
            "<section id=\"incomplete\">\n<h2>Incomplete <span class=\"muted\">{} input{} could not be fully read, so parity is not proven</span></h2>\n<ul class=\"gaps\">\n",
            s.incomplete.len(),
            plural(s.incomplete.len())
        ));
        for gap in &s.incomplete {
            out.push_str(&format!("<li>{}</li>\n", esc(&masked(gap))));
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str("<footer>Generated by parity. The same input gives the same page.</footer>\n</body>\n</html>\n");
    out
}

/// The root causes, under the summary: each input (or module) that
/// differs, its value and line per environment, and the findings it
/// explains (as in the table and markdown reports).
fn root_causes(report: &Report) -> String {
    if report.root_causes.is_empty() {
        return String::new();
    }
    let (left, right) = match report.environments.as_slice() {
        [a, b, ..] => (a.as_str(), b.as_str()),
        _ => return String::new(),
    };
    let explained: usize = report.root_causes.iter().map(|c| c.findings.len()).sum();
    let mut out = format!(
        "<section id=\"root-causes\">\n<h2>Root causes <span class=\"muted\">{} cause{} explain {} finding{}</span></h2>\n<ol>\n",
        report.root_causes.len(),
        plural(report.root_causes.len()),
        explained,
        plural(explained)
    );
    let shown = |v: Option<&str>| esc(&one_line(&shown_value(v), MAX_VALUE));
    for rc in &report.root_causes {
        let class = match rc.severity {
            Severity::Error => "b-error",
            Severity::Warning => "b-warning",
            Severity::Info => "b-info",
        };
        let at = |env: &str| {
            rc.locations
                .get(env)
                .map(|l| format!(" <span class=\"muted\">{}</span>", esc(l)))
                .unwrap_or_default()
        };
        let what = match rc.kind {
            super::causes::CauseKind::Input => format!(
                "<code>{}</code>: {}: <code>{}</code>{} vs {}: <code>{}</code>{}",
                esc(&rc.subject),
                esc(left),
                shown(rc.left.as_deref()),
                at(left),
                esc(right),
                shown(rc.right.as_deref()),
                at(right)
            ),
            super::causes::CauseKind::Module => {
                let side = if rc.right.is_none() { left } else { right };
                format!(
                    "<code>{}</code> only in {}{}",
                    esc(&rc.subject),
                    esc(side),
                    at(side)
                )
            }
        };
        out.push_str(&format!(
            "<li><span class=\"badge {class}\">{}</span> {what}: {} finding{}\n<ul>\n",
            esc(rc.severity.as_str()),
            rc.findings.len(),
            plural(rc.findings.len())
        ));
        for &i in &rc.findings {
            if let Some(f) = report.findings.get(i) {
                out.push_str(&format!(
                    "<li><code>{}</code>{} <span class=\"muted\">{}</span></li>\n",
                    esc(&f.resource),
                    f.attribute
                        .as_deref()
                        .map(|a| format!(" <code>{}</code>", esc(a)))
                        .unwrap_or_default(),
                    esc(&masked(&f.message))
                ));
            }
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("</ol>\n</section>\n");
    out
}

fn table_head(left: &str, right: &str) -> String {
    format!(
        "<table>\n<colgroup><col class=\"sev\"><col><col><col><col class=\"rule\"></colgroup>\n<thead><tr><th>severity</th><th>resource / attribute</th><th>{}</th><th>{}</th><th>rule</th></tr></thead>\n<tbody>\n",
        esc(left),
        esc(right)
    )
}

/// One line of links: each category with its count, then what is new,
/// resolved and unread.
fn nav(report: &Report, shown: &[&Finding], new: usize) -> String {
    let mut links: Vec<String> = Category::ALL
        .iter()
        .filter_map(|c| {
            let n = shown.iter().filter(|f| f.category == *c).count();
            (n > 0).then(|| format!("<a href=\"#{}\">{} {n}</a>", c.as_str(), title_of(*c)))
        })
        .collect();
    if new > 0 {
        links.push(format!("<a href=\"#new\">new {new}</a>"));
    }
    let resolved = report
        .findings
        .iter()
        .filter(|f| f.status.as_deref() == Some(STATUS_RESOLVED))
        .count();
    if resolved > 0 {
        links.push(format!("<a href=\"#resolved\">resolved {resolved}</a>"));
    }
    if !report.summary.incomplete.is_empty() {
        links.push(format!(
            "<a href=\"#incomplete\">incomplete {}</a>",
            report.summary.incomplete.len()
        ));
    }
    if links.is_empty() {
        return String::new();
    }
    format!("<nav class=\"toc\">{}</nav>\n", links.join(" · "))
}

fn title_of(c: Category) -> &'static str {
    match c {
        Category::Engine => "Engine",
        Category::Iam => "IAM",
        Category::Topology => "Topology",
        Category::Dependency => "Dependency",
        Category::Config => "Config",
    }
}

fn attribute(f: &Finding) -> String {
    f.attribute
        .as_deref()
        .map(|a| format!(" <code class=\"attr\">{}</code>", esc(a)))
        .unwrap_or_default()
}

/// The value columns of a three-way drift.
const FIRST_SOURCE: &str = "first source";
const SECOND_SOURCE: &str = "second source";

fn row(f: &Finding, left: &str, right: &str) -> String {
    let three_way = left == FIRST_SOURCE;
    let (left, right) = match (three_way, f.between) {
        (true, Some(b)) => {
            let env = f
                .locations
                .keys()
                .find_map(|k| k.rsplit_once(" (").map(|(env, _)| env.to_string()))
                .unwrap_or_default();
            let (l, r) = b.sides();
            (format!("{env} ({l})"), format!("{env} ({r})"))
        }
        _ => (left.to_string(), right.to_string()),
    };
    let (left, right) = (left.as_str(), right.as_str());
    let quiet = f.waiver.is_some() || f.expected;
    let mut badges = if f.waiver.is_some() {
        format!(
            "<span class=\"badge b-quiet\">{} · waived</span>",
            esc(f.severity.as_str())
        )
    } else if f.expected {
        "<span class=\"badge b-quiet\">expected</span>".to_string()
    } else {
        let class = match f.severity {
            Severity::Error => "b-error",
            Severity::Warning => "b-warning",
            Severity::Info => "b-info",
        };
        format!(
            "<span class=\"badge {class}\">{}</span>",
            esc(f.severity.as_str())
        )
    };
    match f.status.as_deref() {
        Some(STATUS_NEW) => badges.push_str(" <span class=\"badge b-new\">new</span>"),
        Some(other) => badges.push_str(&format!(
            " <span class=\"badge b-quiet\">{}</span>",
            esc(other)
        )),
        None => {}
    }
    let mut what = format!(
        "<code>{}</code>{}<span class=\"msg\">{}</span>",
        esc(&f.resource),
        attribute(f),
        esc(&masked(&f.message))
    );
    // The sources a three-way drift finding is between; unmanaged / missing.
    let labels = if three_way {
        f.labels()
    } else {
        f.label.map(|l| l.to_string())
    };
    if let Some(l) = labels {
        what.push_str(&format!(
            " <span class=\"badge b-quiet\">{}</span>",
            esc(&l)
        ));
    }
    // Locations that belong to neither environment (a waiver finding's
    // parity.toml line) go with the subject.
    for (key, loc) in &f.locations {
        if key != left && key != right {
            what.push_str(&format!("<span class=\"loc\">{}</span>", esc(loc)));
        }
    }
    for c in &f.causes {
        what.push_str(&format!(
            "<span class=\"msg\">caused by {}</span>",
            esc(&c.describe(left, right))
        ));
    }
    if let Some(w) = &f.waiver {
        what.push_str(&format!(
            "<span class=\"msg muted\">waived: {}{} ({})</span>",
            esc(&w.reason),
            w.owner
                .as_deref()
                .map(|o| format!(", owner {}", esc(o)))
                .unwrap_or_default(),
            esc(&w.location)
        ));
    }
    let named = |env: &str, cell: String| {
        if three_way {
            format!("<span class=\"loc\">{}</span>{cell}", esc(env))
        } else {
            cell
        }
    };
    format!(
        "<tr{}><td>{badges}</td><td>{what}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
        if quiet { " class=\"quiet\"" } else { "" },
        named(left, side(f, f.left.as_deref(), left)),
        named(right, side(f, f.right.as_deref(), right)),
        esc(&f.rule)
    )
}

fn side(f: &Finding, v: Option<&str>, env: &str) -> String {
    let full = shown_value(v);
    let short = one_line(&full, MAX_VALUE);
    let pretty = pretty_json(&full);
    let len = full.chars().count();
    let fold = full.contains('\n') || len > MAX_INLINE || (pretty.is_some() && len > MAX_VALUE);
    let mut cell = if v.is_none() {
        "<span class=\"muted\">(absent)</span>".to_string()
    } else if !fold {
        format!("<code>{}</code>", esc(&full))
    } else {
        format!(
            "<details><summary><code>{}</code></summary><pre>{}</pre></details>",
            esc(&short),
            esc(pretty.as_deref().unwrap_or(&full))
        )
    };
    if let Some(loc) = f.locations.get(env) {
        cell.push_str(&format!("<span class=\"loc\">{}</span>", esc(loc)));
    }
    cell
}

/// A JSON object or array, indented; `None` for anything else (scalars
/// stay inline).
fn pretty_json(s: &str) -> Option<String> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    match &v {
        serde_json::Value::Array(a) if a.is_empty() => None,
        serde_json::Value::Object(o) if o.is_empty() => None,
        _ => serde_json::to_string_pretty(&v).ok(),
    }
}

fn diff(f: &Finding, left: &str, right: &str) -> String {
    let Some(d) = &f.diff else {
        return String::new();
    };
    let mut lines = String::new();
    for line in masked(d).lines() {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            None
        } else if line.starts_with('+') {
            Some("add")
        } else if line.starts_with('-') {
            Some("del")
        } else if line.starts_with("@@") {
            Some("hunk")
        } else {
            None
        };
        match class {
            Some(c) => lines.push_str(&format!("<span class=\"{c}\">{}</span>\n", esc(line))),
            None => {
                lines.push_str(&esc(line));
                lines.push('\n');
            }
        }
    }
    format!(
        "<details><summary>Policy diff: <code>{}</code> ({} −, {} +)</summary>\n<pre class=\"diff\">{lines}</pre>\n</details>\n",
        esc(&super::subject(f)),
        esc(left),
        esc(right)
    )
}
