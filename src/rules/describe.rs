//! `parity rules list` and `parity rules show`: the same text the packs
//! declare, rendered for a terminal.

use super::Rule;

pub fn list(rules: &[Rule]) -> String {
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rules {
        out.push_str(&format!(
            "{:<width$}  {:<10}  {:<7}  {}\n",
            r.id,
            r.category.as_str(),
            r.severity.as_str(),
            r.summary
        ));
    }
    out.push_str(&format!("{} rules\n", rules.len()));
    out
}

pub fn show(r: &Rule) -> String {
    let mut out = format!("{}\n  {}\n\n", r.id, r.summary);
    out.push_str(&format!("  category:   {}\n", r.category));
    out.push_str(&format!("  severity:   {}\n", r.severity));
    out.push_str(&format!("  comparator: {}", r.compare.as_str()));
    if let Some(level) = r.level {
        out.push_str(&format!(" (level {level:?})").to_lowercase());
    }
    out.push('\n');
    out.push_str(&format!("  resources:  {}\n", r.resources.join(", ")));
    out.push_str(&format!("  attributes: {}\n\n", r.attributes.join(", ")));
    out.push_str("  Why it matters:\n");
    for line in textwrap(&r.why, 76) {
        out.push_str(&format!("    {line}\n"));
    }
    out
}

fn textwrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}
