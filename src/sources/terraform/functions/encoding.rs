//! Terraform's encoding functions (`jsonencode`, `yamlencode`, `base64*`,
//! `urlencode`, ...). Their output must match Terraform's byte for byte, or
//! the same configuration would compare different between environments.

use base64::Engine as _;

use super::{invalid, one_arg, string, FnError};
use crate::model::value::format_number;
use crate::model::Value;

pub(super) fn jsonencode(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let v = one_arg(name, a)?;
    if v.contains_unknown() {
        return Err(FnError::Unknown);
    }
    Ok(Value::String(json_encode(v)))
}

pub(super) fn jsondecode(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let s = string(name, one_arg(name, a)?)?;
    let json: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| invalid(name, e.to_string()))?;
    Ok(exact_numbers(&s, &json).unwrap_or_else(|| Value::from_json(&json)))
}

/// cty's JSON decoder reads a number's decimal text at 512 bits (`0.1` is
/// the decimal 0.1, `-0` negative zero); serde_json gives the nearest
/// float. When some number is not a plain short integer, `json` (parsed
/// from `text`) is converted with each number read again from its text:
/// numbers are matched in document order (serde_json keeps objects in it)
/// and checked to be the same float. `None` (keep the floats) when they do
/// not match (a repeated object key drops a value) or all are plain.
fn exact_numbers(text: &str, json: &serde_json::Value) -> Option<Value> {
    let mut tokens: Vec<&str> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut plain = true;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let t = text.get(start..i).unwrap_or("");
                plain &= t.len() <= 15 && t.bytes().all(|c| c.is_ascii_digit());
                tokens.push(t);
            }
            _ => i += 1,
        }
    }
    if plain {
        return None;
    }
    fn convert(json: &serde_json::Value, tokens: &mut std::slice::Iter<'_, &str>) -> Option<Value> {
        Some(match json {
            serde_json::Value::Number(_) => {
                let approx = match Value::from_json(json) {
                    Value::Number(n) => n,
                    Value::BigNumber(b) => b.to_f64(),
                    _ => return None,
                };
                let exact = Value::parse_number(tokens.next()?)?;
                let same = match &exact {
                    Value::Number(n) => *n == approx,
                    Value::BigNumber(b) => b.to_f64() == approx,
                    _ => false,
                };
                same.then_some(exact)?
            }
            serde_json::Value::Array(a) => Value::List(
                a.iter()
                    .map(|x| convert(x, tokens))
                    .collect::<Option<Vec<_>>>()?,
            ),
            serde_json::Value::Object(o) => {
                let mut m = crate::model::Map::new();
                for (k, x) in o {
                    m.insert(k.clone(), convert(x, tokens)?);
                }
                Value::Map(m)
            }
            other => Value::from_json(other),
        })
    }
    let mut it = tokens.iter();
    let value = convert(json, &mut it)?;
    it.next().is_none().then_some(value)
}

pub(super) fn yamlencode(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let v = one_arg(name, a)?;
    if v.contains_unknown() {
        return Err(FnError::Unknown);
    }
    let mut out = String::new();
    yaml_block(v, 0, &mut out);
    // go-yaml ends a document whose root is a plain scalar with the
    // document end marker (strings are quoted or literal blocks, not plain).
    if matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::BigNumber(_)
    ) {
        out.push_str("...\n");
    }
    Ok(Value::String(out))
}

pub(super) fn yamldecode(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let s = string(name, one_arg(name, a)?)?;
    // No document at all (only blanks and comments): Terraform's YAML
    // parser fails where serde_yaml reads a null.
    if s.lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(invalid(
            name,
            "on line 1, column 1: missing start of document",
        ));
    }
    super::yaml::decode(name, &s)
}

pub(super) fn base64decode(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let s = string(name, one_arg(name, a)?)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| invalid(name, format!("failed to decode base64 data: {e}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        invalid(
            name,
            "the result of decoding the provided string is not valid UTF-8",
        )
    })
}

pub(super) fn base64encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// `base64gzip`: the bytes Go's gzip writer produces (see `deflate.rs`).
pub(super) fn base64gzip(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(super::deflate::gzip(s.as_bytes()))
}

pub(super) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Compact JSON with sorted keys and Go's HTML-safe escaping, byte for byte
/// what Terraform's `jsonencode` produces.
pub(super) fn json_encode(v: &Value) -> String {
    let mut s = String::new();
    json_write(v, &mut s);
    // These characters only ever appear inside JSON strings, so replacing
    // them everywhere is safe.
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Compact JSON: keys in `Value::Map`'s (sorted) order, strings escaped by
/// serde_json, numbers as cty writes them (`format_number`: every digit,
/// `-0` kept; serde_json would write `1e-7` and `-0.0`).
fn json_write(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => out.push_str(&format_number(*n)),
        Value::BigNumber(b) => out.push_str(&b.text()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_write(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                json_write(item, out);
            }
            out.push('}');
        }
        // Null, bools, strings (a sensitive one as "(sensitive)") and
        // unknowns as `Value::to_json` writes them.
        other => out.push_str(&other.to_json().to_string()),
    }
}

fn yaml_scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(format_number(*n)),
        Value::BigNumber(b) => Some(b.text()),
        Value::String(s) => Some(yaml_quote(s)),
        Value::List(l) if l.is_empty() => Some("[]".into()),
        Value::Map(m) if m.is_empty() => Some("{}".into()),
        Value::Unknown(e) => Some(yaml_quote(&format!("${{{e}}}"))),
        _ => None,
    }
}

/// go-yaml's double-quoted style, which Terraform's `yamlencode` uses for
/// every string and key.
fn yaml_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c if yaml_printable(c) => out.push(c),
            // go-yaml escapes what YAML does not count printable by its
            // code point's width: C0/C1 controls, U+FFFE/U+FFFF and
            // everything outside the BMP (an emoji is "\U0001F600").
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// YAML's printable set as go-yaml's emitter tests it (`is_printable`):
/// a character outside it is escaped, and a string holding one is written
/// double-quoted.
fn yaml_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{feff}'
}

/// Multi-line strings use literal block style (`|`), as cty's YAML encoder
/// does, unless a line has trailing spaces that the style cannot keep.
fn yaml_literal(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n')
        || s.split('\n').any(|l| l.ends_with(' ') || l.ends_with('\t'))
        || s.chars().any(|c| !yaml_printable(c))
    {
        return None;
    }
    let chomp = if !s.ends_with('\n') {
        "-"
    } else if s.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let indicator = if s.starts_with(' ') { "2" } else { "" };
    let body = s.strip_suffix('\n').unwrap_or(s);
    let pad = " ".repeat(indent + 2);
    let mut out = format!("|{indicator}{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(out)
}

/// Emit `v` as a block whose lines start at `indent`, go-yaml style:
/// sequences inside mappings are not indented further, mappings are.
fn yaml_block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Map(m) if !m.is_empty() => {
            for (k, val) in m {
                out.push_str(&pad);
                out.push_str(&yaml_quote(k));
                out.push(':');
                yaml_value_after_marker(val, indent, true, out);
            }
        }
        Value::List(l) if !l.is_empty() => {
            for item in l {
                out.push_str(&pad);
                out.push('-');
                yaml_value_after_marker(item, indent, false, out);
            }
        }
        other => {
            if let Value::String(s) = other {
                if let Some(lit) = yaml_literal(s, indent.saturating_sub(2)) {
                    out.push_str(&pad);
                    out.push_str(&lit);
                    return;
                }
            }
            out.push_str(&pad);
            out.push_str(&yaml_scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

/// Write a value that follows `key:` (in_map) or `-` at `indent`.
fn yaml_value_after_marker(v: &Value, indent: usize, in_map: bool, out: &mut String) {
    if let Value::String(s) = v {
        if let Some(lit) = yaml_literal(s, indent) {
            out.push(' ');
            out.push_str(&lit);
            return;
        }
    }
    if let Some(scalar) = yaml_scalar(v) {
        out.push(' ');
        out.push_str(&scalar);
        out.push('\n');
        return;
    }
    match (v, in_map) {
        (Value::List(_), true) => {
            out.push('\n');
            yaml_block(v, indent, out);
        }
        (_, true) => {
            out.push('\n');
            yaml_block(v, indent + 2, out);
        }
        (_, false) => {
            // The first line of a nested block shares the dash's line.
            let mut nested = String::new();
            yaml_block(v, indent + 2, &mut nested);
            out.push(' ');
            out.push_str(nested.get(indent + 2..).unwrap_or(&nested));
        }
    }
}

/// `csvdecode`: go-cty's `CSVDecodeFunc` over Go's `encoding/csv` reader
/// (comma-separated, RFC 4180 quoting, no lazy quotes, no trimming). The
/// first record names the columns; every record must have as many fields.
pub(super) fn csvdecode(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let text = string(name, one_arg(name, a)?)?;
    let mut reader = CsvReader {
        rest: text.as_str(),
        line: 0,
    };
    let headers = match reader.record() {
        None => return Err(invalid(name, "missing header line")),
        Some(r) => r.map_err(|e| invalid(name, e))?,
    };
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            return Err(invalid(name, format!("duplicate column name {h:?}")));
        }
    }
    let mut rows = Vec::new();
    while let Some(record) = reader.record() {
        let fields = record.map_err(|e| invalid(name, e))?;
        if fields.len() != headers.len() {
            return Err(invalid(
                name,
                format!(
                    "CSV parse error on line {}: wrong number of fields",
                    reader.line
                ),
            ));
        }
        rows.push(Value::Map(
            headers
                .iter()
                .cloned()
                .zip(fields.into_iter().map(Value::String))
                .collect(),
        ));
    }
    Ok(Value::List(rows))
}

/// Go's `csv.Reader` with its defaults.
struct CsvReader<'a> {
    rest: &'a str,
    /// The line the last record ended on (1-based).
    line: usize,
}

impl CsvReader<'_> {
    /// The next line with its newline; a final `\r\n` reads as `\n` and a
    /// `\r` just before the end of the input is dropped, as Go's
    /// `readLine` does. `None` at the end.
    fn read_line(&mut self) -> Option<String> {
        if self.rest.is_empty() {
            return None;
        }
        self.line += 1;
        let (line, rest) = match self.rest.find('\n') {
            Some(i) => self.rest.split_at(i + 1),
            None => (self.rest, ""),
        };
        self.rest = rest;
        let mut line = line.to_string();
        if line.ends_with("\r\n") {
            line.truncate(line.len() - 2);
            line.push('\n');
        } else if !line.ends_with('\n') && line.ends_with('\r') {
            line.pop();
        }
        Some(line)
    }

    /// The next record, skipping empty lines; `None` at the end.
    fn record(&mut self) -> Option<Result<Vec<String>, String>> {
        let mut line = loop {
            let line = self.read_line()?;
            if line != "\n" {
                break line;
            }
        };
        let start = self.line;
        let err = |line: usize, what: &str| {
            Err(format!(
                "CSV parse error on line {line}: {what} (record on line {start})"
            ))
        };
        let mut fields = Vec::new();
        let mut at = 0usize;
        loop {
            let rest = &line[at..];
            if !rest.starts_with('"') {
                // A plain field: up to the next comma or the newline.
                let (field, next) = match rest.find(',') {
                    Some(i) => (&rest[..i], Some(at + i + 1)),
                    None => (rest.strip_suffix('\n').unwrap_or(rest), None),
                };
                if field.contains('"') {
                    return Some(err(self.line, "bare \" in non-quoted-field"));
                }
                fields.push(field.to_string());
                match next {
                    Some(n) => at = n,
                    None => return Some(Ok(fields)),
                }
                continue;
            }
            // A quoted field, which may span lines.
            let mut field = String::new();
            at += 1;
            loop {
                let rest = &line[at..];
                if let Some(i) = rest.find('"') {
                    field.push_str(&rest[..i]);
                    let after = &rest[i + 1..];
                    if after.starts_with('"') {
                        field.push('"');
                        at += i + 2;
                    } else if after.starts_with(',') {
                        fields.push(std::mem::take(&mut field));
                        at += i + 2;
                        break;
                    } else if after.is_empty() || after == "\n" {
                        fields.push(std::mem::take(&mut field));
                        return Some(Ok(fields));
                    } else {
                        return Some(err(self.line, "extraneous or missing \" in quoted-field"));
                    }
                } else if !rest.is_empty() {
                    field.push_str(rest);
                    match self.read_line() {
                        Some(next) => {
                            line = next;
                            at = 0;
                        }
                        None => {
                            return Some(err(self.line, "extraneous or missing \" in quoted-field"))
                        }
                    }
                } else {
                    return Some(err(self.line, "extraneous or missing \" in quoted-field"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, l, ln, ls, m, n, ok, s, u};
    use super::super::{call, FnError};
    use crate::model::Value;

    #[test]
    fn jsonencode() {
        // Numbers as cty writes them: every digit, no exponent, -0 kept.
        assert_eq!(ok("jsonencode", vec![n(1e-7)]), s("0.0000001"));
        assert_eq!(ok("jsonencode", vec![n(-0.0)]), s("-0"));
        assert_eq!(
            ok("jsonencode", vec![ln(&[1e21, 2.5])]),
            s("[1000000000000000000000,2.5]")
        );
        assert_eq!(
            ok("jsonencode", vec![m(&[("hello", s("world"))])]),
            s(r#"{"hello":"world"}"#)
        );
        assert_eq!(
            ok(
                "jsonencode",
                vec![m(&[
                    ("b", ln(&[1.0, 2.5])),
                    ("a", Value::Null),
                    ("c", Value::Bool(true))
                ])]
            ),
            s(r#"{"a":null,"b":[1,2.5],"c":true}"#)
        );
        assert_eq!(
            ok("jsonencode", vec![s("<a&b>")]),
            s(r#""\u003ca\u0026b\u003e""#)
        );
        assert_eq!(
            call("jsonencode", vec![l(vec![u("x")])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn jsondecode_reads_decimal_text() {
        let text = |v: Value| match v {
            Value::Number(n) => crate::model::value::format_number(n),
            Value::BigNumber(b) => b.text(),
            other => panic!("{other:?}"),
        };
        let d = |s: &str| super::jsondecode("jsondecode", &[Value::String(s.into())]);
        assert_eq!(text(d("0.1").expect("decodes")), "0.1");
        assert_eq!(text(d("-0").expect("decodes")), "-0");
        // A repeated key drops a value: the numbers no longer match the
        // text's, and the floats are kept rather than misplaced.
        let Ok(Value::Map(m)) = d(r#"{"a": "x", "b": 0.5, "a": 0.25}"#) else {
            panic!("object")
        };
        assert_eq!(m.get("a"), Some(&Value::Number(0.25)));
        assert_eq!(m.get("b"), Some(&Value::Number(0.5)));
    }

    #[test]
    fn jsondecode() {
        assert_eq!(
            ok("jsondecode", vec![s(r#"{"hello": "world"}"#)]),
            m(&[("hello", s("world"))])
        );
        assert_eq!(ok("jsondecode", vec![s("true")]), Value::Bool(true));
        assert_eq!(
            ok("jsondecode", vec![s("[1, null]")]),
            l(vec![n(1.0), Value::Null])
        );
        assert!(matches!(
            call("jsondecode", vec![s("{")]),
            Err(FnError::Invalid { .. })
        ));
    }

    #[test]
    fn yamlencode() {
        // A plain scalar document ends with go-yaml's document end marker.
        assert_eq!(ok("yamlencode", vec![n(1.5)]), s("1.5\n...\n"));
        assert_eq!(ok("yamlencode", vec![Value::Null]), s("null\n...\n"));
        assert_eq!(ok("yamlencode", vec![s("x")]), s("\"x\"\n"));
        assert_eq!(
            ok("yamlencode", vec![m(&[("a", s("b")), ("c", s("d"))])]),
            s("\"a\": \"b\"\n\"c\": \"d\"\n")
        );
        assert_eq!(
            ok(
                "yamlencode",
                vec![m(&[("foo", ln(&[1.0, 2.0, 3.0])), ("bar", s("baz"))])]
            ),
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n")
        );
        assert_eq!(
            ok(
                "yamlencode",
                vec![m(&[
                    (
                        "foo",
                        l(vec![n(1.0), m(&[("a", s("b")), ("c", s("d"))]), n(3.0)])
                    ),
                    ("bar", s("baz"))
                ])]
            ),
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n")
        );
        assert_eq!(
            ok(
                "yamlencode",
                vec![m(&[
                    ("x", m(&[("y", l(vec![ln(&[1.0, 2.0])]))])),
                    ("e", l(vec![]))
                ])]
            ),
            s("\"e\": []\n\"x\":\n  \"y\":\n  - - 1\n    - 2\n")
        );
        assert_eq!(
            ok("yamlencode", vec![m(&[("t", s("a\nb"))])]),
            s("\"t\": |-\n  a\n  b\n")
        );
        // go-yaml escapes what is not YAML-printable by its width; a
        // string holding one is never a literal block.
        assert_eq!(
            ok("yamlencode", vec![s("é😀\u{80}\u{fffe}")]),
            s("\"é\\U0001F600\\x80\\uFFFE\"\n")
        );
        assert_eq!(
            ok("yamlencode", vec![m(&[("t", s("a\n😀"))])]),
            s("\"t\": \"a\\n\\U0001F600\"\n")
        );
        // Whatever we emit must read back as the same value.
        let v = m(&[
            (
                "k",
                l(vec![
                    m(&[("a", s("x\ny\n")), ("b", Value::Null)]),
                    ls(&["q\"", "tab\t"]),
                ]),
            ),
            ("n", n(2.5)),
        ]);
        let yaml = ok("yamlencode", vec![v.clone()]);
        assert_eq!(ok("yamldecode", vec![yaml]), v);
    }

    #[test]
    fn yamldecode() {
        // No document at all is an error, as in Terraform.
        assert!(err("yamldecode", vec![s("")]).contains("missing start of document"));
        assert!(err("yamldecode", vec![s("  \n# only a comment\n")]).contains("document"));
        assert_eq!(ok("yamldecode", vec![s("---")]), Value::Null);
        assert_eq!(
            ok("yamldecode", vec![s("hello: world")]),
            m(&[("hello", s("world"))])
        );
        assert_eq!(ok("yamldecode", vec![s("true")]), Value::Bool(true));
        assert_eq!(
            ok("yamldecode", vec![s("{a: &foo [1, 2, 3], b: *foo}")]),
            m(&[("a", ln(&[1.0, 2.0, 3.0])), ("b", ln(&[1.0, 2.0, 3.0]))])
        );
        assert_eq!(
            ok("yamldecode", vec![s("{a: [1, 2, 3], b: 4}")]),
            m(&[("a", ln(&[1.0, 2.0, 3.0])), ("b", n(4.0))])
        );
        assert!(matches!(
            call("yamldecode", vec![s("a: [")]),
            Err(FnError::Invalid { .. })
        ));
    }

    #[test]
    fn base64() {
        assert_eq!(
            ok("base64encode", vec![s("Hello World")]),
            s("SGVsbG8gV29ybGQ=")
        );
        assert_eq!(
            ok("base64decode", vec![s("SGVsbG8gV29ybGQ=")]),
            s("Hello World")
        );
        assert!(err("base64decode", vec![s("/w==")]).contains("UTF-8"));
        assert!(err("base64decode", vec![s("!!")]).contains("base64"));
    }

    #[test]
    fn urlencode() {
        assert_eq!(
            ok("urlencode", vec![s("Hello World!")]),
            s("Hello+World%21")
        );
        assert_eq!(ok("urlencode", vec![s("☃")]), s("%E2%98%83"));
        assert_eq!(
            ok("urlencode", vec![s("foo:bar@localhost?foo=bar&bar=baz")]),
            s("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz")
        );
    }
    #[test]
    fn csvdecode() {
        let row =
            |pairs: &[(&str, &str)]| m(&pairs.iter().map(|(k, v)| (*k, s(v))).collect::<Vec<_>>());
        assert_eq!(
            ok("csvdecode", vec![s("a,b,c\n1,2,3\n4,5,6")]),
            l(vec![
                row(&[("a", "1"), ("b", "2"), ("c", "3")]),
                row(&[("a", "4"), ("b", "5"), ("c", "6")])
            ])
        );
        assert_eq!(
            ok("csvdecode", vec![s("a,b\n\"x,y\",\"he said \"\"hi\"\"\"")]),
            l(vec![row(&[("a", "x,y"), ("b", "he said \"hi\"")])])
        );
        assert_eq!(ok("csvdecode", vec![s("a,b\n")]), l(vec![]));
        // CRLF, blank lines, a quoted newline, an empty field, a final \r.
        assert_eq!(
            ok("csvdecode", vec![s("a,b\r\n\r\n\n\"1\r\n2\",\r")]),
            l(vec![row(&[("a", "1\n2"), ("b", "")])])
        );
        assert_eq!(
            ok("csvdecode", vec![s(" a ,b\n x ,y")]),
            l(vec![row(&[(" a ", " x "), ("b", "y")])])
        );
        for bad in [
            "",
            "a,b\n1",
            "a,b\n1,2,3",
            "a,a\n1,2",
            "a\nx\"y",
            "a\n\"x\"y",
            "a\n\"open",
        ] {
            assert!(
                matches!(
                    call("csvdecode", vec![s(bad)]),
                    Err(FnError::Invalid { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
