//! `--format svg`: the network topology of both environments side by side,
//! every difference highlighted (see [`super::topology`]). The HTML report
//! embeds the same picture.
//!
//! Layout, per environment (left panel, right panel, the same geometry so
//! the eye can compare them): the VPC with its subnets in a grid of tiers
//! (rows) by availability zones (columns), NAT gateways inside the subnet
//! that holds them; below it, the services in columns (the internet and
//! address ranges, load balancers, compute, data stores) and the
//! security-group paths between them as arrows labelled with their ports.
//! An element that exists in the other environment only is drawn as a
//! dashed outline saying so; one with findings is outlined in its worst
//! severity's colour, with the findings as its tooltip.
//!
//! Every text is XML-escaped; no script, no external reference. Output is a
//! pure function of the topology.

use std::fmt::Write as _;

use super::topology::{Edge, Item, Role, Topology};
use super::{escape_xml as esc, one_line};
use crate::findings::Severity;

/// A coordinate as written: one decimal at most (`201.6`, not
/// `201.60000000000002`), so the bytes do not depend on float noise.
#[derive(Clone, Copy)]
struct P(f64);

impl std::fmt::Display for P {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = (self.0 * 10.0).round() / 10.0;
        write!(f, "{}", if v == 0.0 { 0.0 } else { v })
    }
}

const MARGIN: f64 = 16.0;
const PANEL: f64 = 656.0;
const LABEL_COL: f64 = 64.0;
const ROW: f64 = 52.0;
const NODE_H: f64 = 58.0;
const NODE_GAP: f64 = 30.0;
/// The gap between two service columns, where the arrows run.
const COL_GAP: f64 = 38.0;
/// The widest service box (a panel with one column of services).
const MAX_NODE_W: f64 = 200.0;
/// The width of the sources column (`internet`, `VPC range`).
const SOURCE_W: f64 = 86.0;
const HEADER: f64 = 84.0;

const STYLE: &str = "
text { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; font-size: 12px; fill: #1f2328; }
.title { font-size: 18px; font-weight: 700; }
.env { font-size: 16px; font-weight: 700; }
.muted { fill: #59636e; }
.small { font-size: 10.5px; }
.axis { font-size: 11px; fill: #59636e; font-weight: 600; }
.box { fill: #ffffff; stroke: #8c959f; stroke-width: 1; }
.vpc { fill: #f6f8fa; stroke: #8c959f; stroke-width: 1.2; }
.ghost { fill: none; stroke: #afb8c1; stroke-width: 1.2; stroke-dasharray: 5 4; }
.ghost-text { fill: #8c959f; font-style: italic; }
.sev-error { fill: #ffebe9; stroke: #cf222e; stroke-width: 2.5; }
.sev-warning { fill: #fff8c5; stroke: #9a6700; stroke-width: 2.5; }
.sev-info { fill: #ddf4ff; stroke: #0969da; stroke-width: 2; }
.badge { fill: #eaeef2; stroke: #8c959f; stroke-width: 0.8; }
.edge { stroke: #57606a; stroke-width: 1.3; fill: none; }
.edge-error { stroke: #cf222e; stroke-width: 2.5; fill: none; }
.edge-warning { stroke: #9a6700; stroke-width: 2.5; fill: none; }
.edge-info { stroke: #0969da; stroke-width: 2; fill: none; }
.edge-ghost { stroke: #afb8c1; stroke-width: 1.2; fill: none; stroke-dasharray: 5 4; }
.label-bg { fill: #ffffff; opacity: 0.9; }
.t-error { fill: #cf222e; font-weight: 700; } .t-warning { fill: #9a6700; font-weight: 700; } .t-info { fill: #0969da; font-weight: 700; }
";

/// An SVG with the title and one line instead of a picture (a report made
/// without the snapshots a topology is drawn from).
pub fn render_note(environments: [&str; 2], note: &str) -> String {
    let t = Topology {
        environments: environments.map(str::to_string),
        ..Topology::default()
    };
    render_with(&t, Some(note))
}

/// The picture, or a one-line SVG saying there is no network to draw.
pub fn render(t: &Topology) -> String {
    render_with(t, None)
}

fn render_with(t: &Topology, note: Option<&str>) -> String {
    let g = Geometry::new(t);
    let width = MARGIN * 3.0 + PANEL * 2.0;
    let height = g.height;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"parity-topology-title\">",
        w = width,
        h = height
    );
    let title = format!(
        "Network topology: {} vs {}",
        t.environments[0], t.environments[1]
    );
    let _ = writeln!(
        out,
        "<title id=\"parity-topology-title\">{}</title>\n<style>{STYLE}</style>",
        esc(&title)
    );
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"{MARGIN}\" y=\"28\">{}</text>",
        esc(&title)
    );
    let n = t.differences();
    let summary = if let Some(note) = note {
        note.to_string()
    } else if t.is_empty() {
        "No VPC, subnet, load balancer, compute or data store in either environment: nothing to draw.".to_string()
    } else {
        format!(
            "{n} difference{} highlighted · subnets by tier (rows) and zone (columns) · arrows: security-group paths with ports",
            super::plural(n)
        )
    };
    let _ = writeln!(
        out,
        "<text class=\"muted\" x=\"{MARGIN}\" y=\"48\">{}</text>",
        esc(&summary)
    );
    legend(&mut out, MARGIN, 62.0);
    if !t.is_empty() {
        for side in 0..2 {
            panel(&mut out, t, &g, side);
        }
    }
    out.push_str("</svg>\n");
    tidy_numbers(&out)
}

/// Every number in a geometry attribute (`x`, `y`, `width`, `height`, `d`,
/// `viewBox`) with one decimal at most. No text from the input is ever
/// written into these attributes.
fn tidy_numbers(svg: &str) -> String {
    static ATTR: std::sync::OnceLock<Option<(regex::Regex, regex::Regex)>> =
        std::sync::OnceLock::new();
    let Some((attr, num)) = ATTR.get_or_init(|| {
        Some((
            regex::Regex::new(r#" (x|y|width|height|d|viewBox)="([^"]*)""#).ok()?,
            regex::Regex::new(r"-?\d+\.\d+").ok()?,
        ))
    }) else {
        return svg.to_string();
    };
    attr.replace_all(svg, |c: &regex::Captures| {
        let value = num.replace_all(&c[2], |n: &regex::Captures| {
            n[0].parse::<f64>()
                .map(|v| P(v).to_string())
                .unwrap_or_else(|_| n[0].to_string())
        });
        format!(" {}=\"{value}\"", &c[1])
    })
    .into_owned()
}

fn legend(out: &mut String, x: f64, y: f64) {
    let entries = [
        ("sev-error", "error"),
        ("sev-warning", "warning"),
        ("sev-info", "info"),
        ("ghost", "exists in the other environment only"),
    ];
    let mut cx = x;
    for (class, text) in entries {
        let _ = writeln!(
            out,
            "<rect class=\"{class}\" x=\"{cx}\" y=\"{}\" width=\"14\" height=\"10\" rx=\"2\"/><text class=\"small muted\" x=\"{}\" y=\"{}\">{}</text>",
            y - 9.0,
            cx + 19.0,
            y,
            esc(text)
        );
        cx += 30.0 + text.len() as f64 * 6.0;
    }
}

/// Positions shared by both panels.
struct Geometry {
    grid_top: f64,
    zone_w: f64,
    grid_h: f64,
    services_top: f64,
    roles: Vec<Role>,
    col_w: f64,
    height: f64,
}

impl Geometry {
    fn new(t: &Topology) -> Geometry {
        let grid_top = HEADER + 64.0;
        let zones = t.zones.len().max(1) as f64;
        let zone_w = (PANEL - 32.0 - LABEL_COL) / zones;
        let grid_h = 18.0 + ROW * t.tiers.len() as f64;
        let services_top = grid_top + grid_h + 48.0;
        let roles: Vec<Role> = t.services.keys().copied().collect();
        let wide = roles.iter().filter(|r| **r != Role::Source).count().max(1) as f64;
        let narrow = if roles.contains(&Role::Source) {
            SOURCE_W + COL_GAP
        } else {
            0.0
        };
        let col_w = (PANEL - 24.0 - narrow) / wide;
        let rows = t.services.values().map(Vec::len).max().unwrap_or(0);
        // Room under the last row for the paths routed beneath it (all
        // but those between neighbouring columns).
        let column =
            |key: &str| place(t, key).and_then(|(role, _)| roles.iter().position(|r| *r == role));
        let under = t
            .edges
            .iter()
            .filter(|e| match (column(&e.from), column(&e.to)) {
                (Some(a), Some(b)) => b != a + 1,
                _ => false,
            })
            .count();
        let long = under as f64 * 13.0;
        let height = services_top + 24.0 + rows as f64 * (NODE_H + NODE_GAP) + 24.0 + long;
        Geometry {
            grid_top,
            zone_w,
            grid_h,
            services_top,
            roles,
            col_w,
            height,
        }
    }

    fn panel_x(side: usize) -> f64 {
        MARGIN + side as f64 * (PANEL + MARGIN)
    }

    /// The box of a service node: (x, y, w, h).
    fn node(&self, side: usize, role: Role, row: usize) -> Option<(f64, f64, f64, f64)> {
        let col = self.roles.iter().position(|r| *r == role)?;
        let mut x = Self::panel_x(side) + 12.0;
        for r in &self.roles[..col] {
            x += if *r == Role::Source {
                SOURCE_W + COL_GAP
            } else {
                self.col_w
            };
        }
        let w = if role == Role::Source {
            SOURCE_W
        } else {
            (self.col_w - COL_GAP).min(MAX_NODE_W)
        };
        let y = self.services_top + 24.0 + row as f64 * (NODE_H + NODE_GAP);
        Some((x, y, w, NODE_H))
    }
}

fn sev_class(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Error) => "sev-error",
        Some(Severity::Warning) => "sev-warning",
        Some(Severity::Info) => "sev-info",
        None => "box",
    }
}

/// The class of an element on one side, and the line that says why.
fn look(item: &Item, side: usize, envs: &[String; 2]) -> (&'static str, Option<String>) {
    match (&item.sides[side], &item.sides[1 - side]) {
        (None, _) => ("ghost", Some(format!("not in {}", envs[side]))),
        (Some(_), None) => (
            sev_class(item.severity.or(Some(Severity::Warning))),
            Some(format!("only in {}", envs[side])),
        ),
        (Some(_), Some(_)) => (sev_class(item.severity), None),
    }
}

fn tooltip(out: &mut String, item: &Item) {
    let mut text = item.key.clone();
    for n in &item.notes {
        text.push('\n');
        text.push_str(n);
    }
    let _ = write!(out, "<title>{}</title>", esc(&super::masked(&text)));
}

fn panel(out: &mut String, t: &Topology, g: &Geometry, side: usize) {
    let px = Geometry::panel_x(side);
    let envs = &t.environments;
    let _ = writeln!(out, "<g id=\"env-{side}\">");
    let _ = writeln!(
        out,
        "<rect x=\"{px}\" y=\"{HEADER}\" width=\"{PANEL}\" height=\"{}\" rx=\"8\" fill=\"none\" stroke=\"#d1d9e0\"/>",
        g.height - HEADER - 8.0
    );
    let _ = writeln!(
        out,
        "<text class=\"env\" x=\"{}\" y=\"{}\">{}</text>",
        px + 12.0,
        HEADER + 24.0,
        esc(&envs[side])
    );

    // VPCs and gateways, one line under the name.
    let mut x = px + 12.0;
    let y = HEADER + 44.0;
    for item in t.vpcs.iter().chain(&t.gateways) {
        let detail = item.sides[side]
            .as_ref()
            .map(|f| f.detail.clone())
            .unwrap_or_default();
        let kind = if t.vpcs.iter().any(|v| v.key == item.key) {
            "VPC"
        } else if item.key.contains("nat_gateway") {
            "NAT"
        } else {
            "IGW"
        };
        let label = one_line(&format!("{kind} {} {detail}", item.title), 44);
        let w = 16.0 + label.chars().count() as f64 * 7.4;
        let (class, why) = look(item, side, envs);
        let _ = write!(
            out,
            "<g><rect class=\"{class}\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"22\" rx=\"4\"/>",
            y - 15.0
        );
        tooltip(out, item);
        let text_class = if class == "ghost" {
            " class=\"ghost-text\""
        } else {
            ""
        };
        let shown = match why {
            Some(w) if class == "ghost" => one_line(&format!("{kind} {}: {w}", item.title), 44),
            _ => label,
        };
        let _ = writeln!(
            out,
            "<text{text_class} x=\"{}\" y=\"{}\">{}</text></g>",
            x + 8.0,
            y,
            esc(&shown)
        );
        x += w + 8.0;
    }

    // The subnet grid.
    let grid_x = px + 8.0;
    let _ = writeln!(
        out,
        "<rect class=\"vpc\" x=\"{grid_x}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/>",
        g.grid_top - 8.0,
        PANEL - 16.0,
        g.grid_h + 16.0
    );
    for (i, zone) in t.zones.iter().enumerate() {
        let zx = grid_x + 8.0 + LABEL_COL + i as f64 * g.zone_w;
        let _ = writeln!(
            out,
            "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">zone {}</text>",
            zx + g.zone_w / 2.0,
            g.grid_top + 8.0,
            esc(zone)
        );
    }
    for (row, tier) in t.tiers.iter().enumerate() {
        let ry = g.grid_top + 18.0 + row as f64 * ROW;
        let _ = writeln!(
            out,
            "<text class=\"axis\" x=\"{}\" y=\"{}\">{}</text>",
            grid_x + 10.0,
            ry + ROW / 2.0 + 4.0,
            tier.as_str()
        );
        for (col, zone) in t.zones.iter().enumerate() {
            let cx = grid_x + 8.0 + LABEL_COL + col as f64 * g.zone_w + 4.0;
            let cw = g.zone_w - 8.0;
            let cy = ry + 4.0;
            let ch = ROW - 8.0;
            let cell: Vec<_> = t
                .subnets
                .iter()
                .filter(|s| s.tier == *tier && &s.zone == zone)
                .collect();
            if cell.is_empty() {
                continue;
            }
            // Several subnets of one tier in one zone share the cell.
            let each = cw / cell.len() as f64;
            for (k, s) in cell.iter().enumerate() {
                let sx = cx + k as f64 * each;
                let (class, why) = look(&s.item, side, envs);
                let _ = write!(
                    out,
                    "<g><rect class=\"{class}\" x=\"{sx}\" y=\"{cy}\" width=\"{}\" height=\"{ch}\" rx=\"4\"/>",
                    each - 4.0
                );
                tooltip(out, &s.item);
                let chars = ((each - 12.0) / 6.2).max(6.0) as usize;
                let line1 = match &s.item.sides[side] {
                    Some(f) if !f.detail.is_empty() => f.detail.clone(),
                    _ => s.item.title.clone(),
                };
                if class == "ghost" {
                    let _ = write!(
                        out,
                        "<text class=\"ghost-text small\" x=\"{}\" y=\"{}\">{}</text>",
                        sx + 6.0,
                        cy + 16.0,
                        esc(&one_line(why.as_deref().unwrap_or(""), chars))
                    );
                } else {
                    let _ = write!(
                        out,
                        "<text x=\"{}\" y=\"{}\">{}</text>",
                        sx + 6.0,
                        cy + 16.0,
                        esc(&one_line(&line1, chars))
                    );
                    if let Some(w) = why {
                        let _ = write!(
                            out,
                            "<text class=\"small {}\" x=\"{}\" y=\"{}\">{}</text>",
                            text_sev(s.item.severity),
                            sx + 6.0,
                            cy + 32.0,
                            esc(&one_line(&w, chars))
                        );
                    }
                }
                out.push_str("</g>\n");
                // NAT gateways: a badge at the cell's right edge.
                for (n, nat) in s.nats.iter().enumerate() {
                    let bx = sx + each - 4.0 - 38.0 * (n + 1) as f64;
                    let by = cy + ch - 18.0;
                    let (class, _) = look(nat, side, envs);
                    let class = if class == "box" { "badge" } else { class };
                    let _ = write!(
                        out,
                        "<g><rect class=\"{class}\" x=\"{bx}\" y=\"{by}\" width=\"34\" height=\"15\" rx=\"3\"/>"
                    );
                    tooltip(out, nat);
                    let tc = if class == "ghost" {
                        "ghost-text small"
                    } else {
                        "small"
                    };
                    let _ = writeln!(
                        out,
                        "<text class=\"{tc}\" x=\"{}\" y=\"{}\">NAT</text></g>",
                        bx + 6.0,
                        by + 11.5
                    );
                }
            }
        }
    }

    // Services and the paths between them.
    let _ = writeln!(
        out,
        "<text class=\"axis\" x=\"{}\" y=\"{}\">security-group paths</text>",
        px + 12.0,
        g.services_top - 6.0
    );
    for role in &g.roles {
        if let Some((x, _, _, _)) = g.node(side, *role, 0) {
            let _ = writeln!(
                out,
                "<text class=\"axis\" x=\"{x}\" y=\"{}\">{}</text>",
                g.services_top + 14.0,
                role_name(*role)
            );
        }
    }
    let mut labels = String::new();
    let mut under = 0usize;
    for edge in &t.edges {
        draw_edge(out, &mut labels, t, g, side, edge, &mut under);
    }
    for (role, items) in &t.services {
        for (row, item) in items.iter().enumerate() {
            let Some((x, y, w, h)) = g.node(side, *role, row) else {
                continue;
            };
            let (class, why) = look(item, side, envs);
            let _ = write!(
                out,
                "<g><rect class=\"{class}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"5\"/>"
            );
            tooltip(out, item);
            let chars = ((w - 12.0) / 6.3).max(6.0) as usize;
            let tc = if class == "ghost" {
                " class=\"ghost-text\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<text{tc} x=\"{}\" y=\"{}\" font-weight=\"600\">{}</text>",
                x + 6.0,
                y + 16.0,
                esc(&one_line(&item.title, chars))
            );
            // Line two: the detail (engine and version, scheme); line
            // three: why it is highlighted.
            let detail_class = if item.severity.is_some() {
                format!("small {}", text_sev(item.severity))
            } else {
                "small muted".to_string()
            };
            let mut lines: Vec<(String, String)> = Vec::new();
            if let Some(f) = &item.sides[side] {
                for line in f.detail.lines().filter(|l| !l.is_empty()) {
                    lines.push((line.to_string(), detail_class.clone()));
                }
            }
            if let Some(w) = why {
                let class = if item.sides[side].is_none() {
                    "ghost-text small".to_string()
                } else {
                    format!(
                        "small {}",
                        text_sev(item.severity.or(Some(Severity::Warning)))
                    )
                };
                lines.push((w, class));
            }
            for (k, (text, class)) in lines.iter().enumerate() {
                let _ = write!(
                    out,
                    "<text class=\"{class}\" x=\"{}\" y=\"{}\">{}</text>",
                    x + 6.0,
                    y + 30.0 + 13.0 * k as f64,
                    esc(&one_line(text, chars + 4))
                );
            }
            out.push_str("</g>\n");
        }
    }
    // Port labels last, over the boxes they may touch.
    out.push_str(&labels);
    out.push_str("</g>\n");
}

fn text_sev(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Error) => "t-error",
        Some(Severity::Warning) | None => "t-warning",
        Some(Severity::Info) => "t-info",
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Source => "sources",
        Role::LoadBalancer => "load balancers",
        Role::Compute => "compute",
        Role::Data => "data stores",
    }
}

/// Where a service sits: (role, row).
fn place(t: &Topology, key: &str) -> Option<(Role, usize)> {
    t.services.iter().find_map(|(role, items)| {
        items
            .iter()
            .position(|i| i.key == key)
            .map(|row| (*role, row))
    })
}

/// One path and its arrowhead into `out`, its label into `labels`.
/// `under` counts the paths routed under a row so far: each runs a little
/// lower than the one before, so their labels do not overlap.
fn draw_edge(
    out: &mut String,
    labels: &mut String,
    t: &Topology,
    g: &Geometry,
    side: usize,
    e: &Edge,
    under: &mut usize,
) {
    let (Some((fr, frow)), Some((tr, trow))) = (place(t, &e.from), place(t, &e.to)) else {
        return;
    };
    let (Some(a), Some(b)) = (g.node(side, fr, frow), g.node(side, tr, trow)) else {
        return;
    };
    let class = match (e.sides[side], e.differs()) {
        (false, _) => "edge-ghost",
        (true, true) => match e.severity {
            Some(Severity::Error) => "edge-error",
            Some(Severity::Info) => "edge-info",
            _ => "edge-warning",
        },
        (true, false) => "edge",
    };
    let span = g.roles.iter().position(|r| *r == tr).unwrap_or(0) as i64
        - g.roles.iter().position(|r| *r == fr).unwrap_or(0) as i64;
    // Next column: right side to left side. Farther, or backwards: under
    // the row, bottom to bottom, so it never crosses a box in between.
    let (d, tip, (lx, ly)) = if span == 1 {
        let (x1, y1) = (a.0 + a.2, a.1 + a.3 / 2.0);
        let (x2, y2) = (b.0, b.1 + b.3 / 2.0);
        let mx = (x1 + x2) / 2.0;
        (
            format!("M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}"),
            format!(
                "M{},{} L{x2},{y2} L{},{}",
                x2 - 7.0,
                y2 - 4.0,
                x2 - 7.0,
                y2 + 4.0
            ),
            (mx, (y1 + y2) / 2.0 - 3.0),
        )
    } else {
        let (x1, y1) = (a.0 + a.2 * 0.6, a.1 + a.3);
        let (x2, y2) = (b.0 + b.2 * 0.4, b.1 + b.3);
        let low = y1.max(y2) + NODE_GAP * 0.6 + 13.0 * *under as f64;
        *under += 1;
        (
            format!("M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}"),
            format!(
                "M{},{} L{x2},{y2} L{},{}",
                x2 - 4.0,
                y2 + 7.0,
                x2 + 4.0,
                y2 + 7.0
            ),
            ((x1 + x2) / 2.0, low - 2.0),
        )
    };
    let _ = writeln!(
        out,
        "<path class=\"{class}\" d=\"{d}\"/><path class=\"{class}\" d=\"{tip}\"/>"
    );
    let mut label = e.ports.clone();
    if e.differs() {
        let only = if e.sides[0] {
            &t.environments[0]
        } else {
            &t.environments[1]
        };
        label = format!("{label}, only in {only}");
    }
    let label = one_line(&label, 40);
    let lw = label.chars().count() as f64 * 5.7 + 6.0;
    let lx = lx - lw / 2.0;
    let tc = match class {
        "edge-ghost" => "ghost-text small",
        "edge-error" => "small t-error",
        "edge-warning" => "small t-warning",
        "edge-info" => "small t-info",
        _ => "small muted",
    };
    let _ = writeln!(
        labels,
        "<rect class=\"label-bg\" x=\"{lx}\" y=\"{}\" width=\"{lw}\" height=\"13\"/><text class=\"{tc}\" x=\"{}\" y=\"{ly}\">{}</text>",
        ly - 10.0,
        lx + 3.0,
        esc(&label)
    );
}
