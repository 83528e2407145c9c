//! The topology as a Mermaid `flowchart` for the markdown report: GitHub
//! renders it in pull-request comments. One subgraph per environment (VPC,
//! subnets by tier with their zone and range, gateways, services), the
//! security-group paths as labelled arrows, differences in the colour of
//! their severity and elements of the other environment as dashed ghosts.
//!
//! Node ids are generated (`e0n3`), never taken from the input; every label
//! is quoted and escaped with Mermaid's entity codes, so a resource name
//! cannot end a label, add a node or a `click` directive, or close the
//! markdown fence around the chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::topology::{Item, Topology};
use crate::findings::Severity;

/// Mermaid label text: quotes, angle brackets, `#`, `&`, `|`, `%`, backticks and
/// line breaks cannot reach the chart's syntax.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in super::masked(s).chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\\' => out.push_str("#92;"),
            // `%%` starts a comment.
            '%' => out.push_str("#37;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn class_of(item: &Item, side: usize) -> Option<&'static str> {
    match (&item.sides[side], &item.sides[1 - side]) {
        (None, _) => Some("ghost"),
        (Some(_), None) => Some(sev(item.severity.or(Some(Severity::Warning)))),
        (Some(_), Some(_)) => item.severity.map(|s| sev(Some(s))),
    }
}

fn sev(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Error) => "error",
        Some(Severity::Info) => "info",
        _ => "warning",
    }
}

fn label(item: &Item, side: usize, kind: &str, envs: &[String; 2]) -> String {
    let mut lines = vec![escape(&format!("{kind}{}", item.title))];
    match (&item.sides[side], &item.sides[1 - side]) {
        (None, _) => lines.push(escape(&format!("not in {}", envs[side]))),
        (Some(f), other) => {
            lines.extend(f.detail.lines().filter(|l| !l.is_empty()).map(escape));
            if other.is_none() {
                lines.push(escape(&format!("only in {}", envs[side])));
            }
        }
    }
    lines.join("<br/>")
}

struct Builder<'a> {
    out: &'a mut String,
    classes: &'a mut BTreeMap<&'static str, Vec<String>>,
    n: usize,
    envs: &'a [String; 2],
}

impl Builder<'_> {
    /// Write one node; its generated id.
    fn node(&mut self, indent: &str, item: &Item, side: usize, kind: &str) -> String {
        let id = format!("e{side}n{}", self.n);
        self.n += 1;
        let _ = writeln!(
            self.out,
            "{indent}{id}[\"{}\"]",
            label(item, side, kind, self.envs)
        );
        if let Some(c) = class_of(item, side) {
            self.classes.entry(c).or_default().push(id.clone());
        }
        id
    }
}

/// The flowchart, without the markdown fence.
pub fn render(t: &Topology) -> String {
    let mut out = String::from("flowchart LR\n");
    let envs = &t.environments;
    let mut classes: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    // Per side: key → node id, for the edges.
    let mut ids: [BTreeMap<&str, String>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let mut b = Builder {
        out: &mut out,
        classes: &mut classes,
        n: 0,
        envs,
    };
    for (side, side_ids) in ids.iter_mut().enumerate() {
        let _ = writeln!(b.out, "  subgraph e{side}[\"{}\"]", escape(&envs[side]));
        b.out.push_str("    direction TB\n");
        for item in &t.vpcs {
            side_ids.insert(&item.key, b.node("    ", item, side, "VPC "));
        }
        for item in &t.gateways {
            let kind = if item.key.contains("nat_gateway") {
                "NAT "
            } else {
                "IGW "
            };
            side_ids.insert(&item.key, b.node("    ", item, side, kind));
        }
        for (ti, tier) in t.tiers.iter().enumerate() {
            let _ = writeln!(
                b.out,
                "    subgraph e{side}t{ti}[\"{} subnets\"]",
                tier.as_str()
            );
            b.out.push_str("      direction LR\n");
            for s in t.subnets.iter().filter(|s| s.tier == *tier) {
                let kind = format!("zone {} · ", s.zone);
                side_ids.insert(&s.item.key, b.node("      ", &s.item, side, &kind));
                for nat in &s.nats {
                    side_ids.insert(&nat.key, b.node("      ", nat, side, "NAT "));
                }
            }
            b.out.push_str("    end\n");
        }
        for items in t.services.values() {
            for item in items {
                side_ids.insert(&item.key, b.node("    ", item, side, ""));
            }
        }
        b.out.push_str("  end\n");
    }
    for (side, side_ids) in ids.iter().enumerate() {
        for e in &t.edges {
            let (Some(a), Some(b)) = (side_ids.get(e.from.as_str()), side_ids.get(e.to.as_str()))
            else {
                continue;
            };
            let mut text = e.ports.clone();
            if e.differs() {
                let only = if e.sides[0] { &envs[0] } else { &envs[1] };
                text = format!("{text}, only in {only}");
            }
            let arrow = if e.sides[side] { "-->" } else { "-.->" };
            let _ = writeln!(out, "  {a} {arrow}|\"{}\"| {b}", escape(&text));
        }
    }
    out.push_str("  classDef error fill:#ffebe9,stroke:#cf222e,stroke-width:3px,color:#1f2328\n");
    out.push_str("  classDef warning fill:#fff8c5,stroke:#9a6700,stroke-width:3px,color:#1f2328\n");
    out.push_str("  classDef info fill:#ddf4ff,stroke:#0969da,stroke-width:2px,color:#1f2328\n");
    out.push_str(
        "  classDef ghost fill:#ffffff,stroke:#afb8c1,stroke-dasharray:5 4,color:#8c959f\n",
    );
    for (class, members) in classes {
        let _ = writeln!(out, "  class {} {class}", members.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn labels_cannot_reach_the_syntax() {
        assert_eq!(
            escape("a\"]; click x call f() %% ```|<b>&#"),
            "a#quot;]; click x call f() #37;#37; #96;#96;#96;#124;#lt;b#gt;#amp;#35;"
        );
        assert_eq!(escape("two\nlines"), "two lines");
    }
}
