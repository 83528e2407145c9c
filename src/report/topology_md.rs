//! Where the pictures sit in the HTML and markdown reports: a section under
//! the summary (kept apart from html.rs and markdown.rs, which only call it).

/// The markdown report's folded Mermaid chart.
pub(super) fn section(chart: &str) -> String {
    format!(
        "\n<details><summary>Network topology, both environments side by side (differences highlighted)</summary>\n\n```mermaid\n{chart}```\n\n</details>\n"
    )
}

/// The HTML report's figure (the SVG is escaped text already).
pub(super) fn html_section(svg: &str) -> String {
    format!(
        "<section id=\"topology\">\n<h2>Network topology</h2>\n<style>#topology svg {{ width: 100%; height: auto; }}</style>\n<div style=\"overflow-x:auto;border:1px solid var(--line);border-radius:8px;background:#ffffff\">\n{svg}</div>\n</section>\n"
    )
}
