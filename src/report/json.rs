//! `--format json`: the stable report of DESIGN.md, `"schema": 1`.

use super::Report;

pub fn render(report: &Report) -> String {
    // Serializing plain data to a String cannot fail: no maps with
    // non-string keys, no I/O.
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
