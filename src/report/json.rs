//! `--format json`: the stable report of DESIGN.md, `"schema": 1`.

use std::io::{self, Write};

use super::Report;

pub fn render(report: &Report) -> String {
    // Serializing plain data to a String cannot fail: no maps with
    // non-string keys, no I/O.
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// [`render`]'s bytes, serialized straight into `out` instead of one
/// `String` the size of the report. The only errors are `out`'s.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_pretty(report, out)
}

/// Any serializable value as the JSON report writes it (two-space
/// indentation, a final newline): `parity check` writes its reports as one
/// array this way.
pub fn write_pretty<T: serde::Serialize + ?Sized>(
    value: &T,
    out: &mut dyn Write,
) -> io::Result<()> {
    // serde_json hands back the writer's own `io::Error` (a closed pipe
    // stays a `BrokenPipe`); plain data has no other way to fail.
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
