//! The functions of Terraform's built-in provider (`terraform.io/builtin/
//! terraform`, Terraform 1.8+) that write values: `encode_expr` and
//! `encode_tfvars`. (`decode_tfvars` parses and evaluates, so the evaluator
//! implements it.)
//!
//! Both print values as hclwrite's `TokensForValue` does: a value becomes
//! tokens (objects one attribute a line, keys sorted, lists on one line),
//! then hclwrite's formatter sets the spaces between them: two spaces of
//! indent per line that opens brackets, one space around `=` and after a
//! comma, none inside `[]`, and the `=` of consecutive one-line attributes
//! aligned. Numbers print as `tostring` prints them; strings quoted, with
//! `${`/`%{` doubled and characters Go does not call printable escaped.

use crate::model::Value;

use super::{to_string_conv, FnError};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Number,
    OQuote,
    Lit,
    CQuote,
    OBrack,
    CBrack,
    Comma,
    OBrace,
    CBrace,
    Newline,
    Equal,
}

struct Tok {
    kind: Kind,
    text: String,
    spaces: usize,
}

fn tok(kind: Kind, text: impl Into<String>) -> Tok {
    Tok {
        kind,
        text: text.into(),
        spaces: 0,
    }
}

impl Kind {
    fn brackets(self) -> i64 {
        match self {
            Kind::OBrack | Kind::OBrace => 1,
            Kind::CBrack | Kind::CBrace => -1,
            _ => 0,
        }
    }
}

/// `provider::terraform::encode_expr(value)`.
pub(super) fn encode_expr(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let [v] = a else {
        return Err(invalid(
            name,
            format!("expects 1 argument, got {}", a.len()),
        ));
    };
    if matches!(v, Value::Null) {
        return Err(invalid(
            name,
            "Invalid value for \"value\" parameter: argument must not be null.",
        ));
    }
    let mut toks = Vec::new();
    tokens(v, &mut toks)?;
    Ok(Value::String(render(toks)))
}

/// `provider::terraform::encode_tfvars(object)`: one `name = value` line per
/// attribute, names sorted, each a valid identifier.
pub(super) fn encode_tfvars(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let [v] = a else {
        return Err(invalid(
            name,
            format!("expects 1 argument, got {}", a.len()),
        ));
    };
    let Value::Map(m) = v else {
        return Err(invalid(
            name,
            "invalid value to encode: must be an object whose attribute names will become the encoded variable names",
        ));
    };
    let mut toks = Vec::new();
    for (key, value) in m.iter() {
        if !is_identifier(key) {
            return Err(invalid(name, format!("invalid variable name {key:?}: must be a valid identifier, per Terraform's rules for input variable declarations")));
        }
        toks.push(tok(Kind::Ident, key.as_str()));
        toks.push(tok(Kind::Equal, "="));
        tokens(value, &mut toks)?;
        toks.push(tok(Kind::Newline, "\n"));
    }
    Ok(Value::String(render(toks)))
}

fn invalid(name: &str, message: impl Into<String>) -> FnError {
    FnError::Invalid {
        name: name.to_string(),
        message: message.into(),
    }
}

/// An HCL identifier (hclsyntax.ValidIdentifier): a letter or `_`, then
/// letters, digits, `_` and `-`. Approximates Unicode's ID_Start and
/// ID_Continue with Rust's alphabetic and alphanumeric classes.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn tokens(v: &Value, out: &mut Vec<Tok>) -> Result<(), FnError> {
    match v {
        Value::Null => out.push(tok(Kind::Ident, "null")),
        Value::Bool(b) => out.push(tok(Kind::Ident, b.to_string())),
        Value::Number(_) | Value::BigNumber(_) => {
            let text = to_string_conv(v).map_err(|e| invalid("encode_expr", e))?;
            out.push(tok(Kind::Number, text));
        }
        Value::String(s) => string_tokens(s, out),
        Value::List(items) => {
            out.push(tok(Kind::OBrack, "["));
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(tok(Kind::Comma, ","));
                }
                tokens(item, out)?;
            }
            out.push(tok(Kind::CBrack, "]"));
        }
        Value::Map(m) => {
            out.push(tok(Kind::OBrace, "{"));
            if !m.is_empty() {
                out.push(tok(Kind::Newline, "\n"));
            }
            for (key, value) in m.iter() {
                if is_identifier(key) {
                    out.push(tok(Kind::Ident, key.as_str()));
                } else {
                    string_tokens(key, out);
                }
                out.push(tok(Kind::Equal, "="));
                tokens(value, out)?;
                out.push(tok(Kind::Newline, "\n"));
            }
            out.push(tok(Kind::CBrace, "}"));
        }
        Value::Unknown(_) => return Err(FnError::Unknown),
        // Functions receive their arguments untyped; should a typed value
        // reach here, its type changes nothing in the text.
        Value::Marked(inner) | Value::Typed(_, inner) => tokens(inner, out)?,
    }
    Ok(())
}

fn string_tokens(s: &str, out: &mut Vec<Tok>) {
    out.push(tok(Kind::OQuote, "\""));
    if !s.is_empty() {
        out.push(tok(Kind::Lit, escape(s)));
    }
    out.push(tok(Kind::CQuote, "\""));
}

/// hclwrite's quoted-string escaping.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(c);
                if chars.peek() == Some(&'{') {
                    out.push(c);
                }
            }
            c if !go_printable(c) => {
                let u = c as u32;
                if u < 0x10000 {
                    out.push_str(&format!("\\u{u:04x}"));
                } else {
                    out.push_str(&format!("\\U{u:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and
/// the ASCII space. Rust has no general-category table, so the excluded
/// categories are listed: controls, spaces and separators other than U+0020,
/// the format characters (Cf), private use and noncharacters. Unassigned
/// code points (Cn), which Go also escapes, print as they are.
fn go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    let format_or_private = matches!(
        u,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
            | 0xE000..=0xF8FF
            | 0xF0000..=0x10FFFF
            | 0xFDD0..=0xFDEF
    );
    !format_or_private && (u & 0xFFFE) != 0xFFFE
}

/// hclwrite's `spaceAfterToken` for the tokens a value produces.
fn space_between(subject: Kind, after: Kind) -> bool {
    use Kind::*;
    match (subject, after) {
        (_, Newline) | (_, Comma) => false,
        (Comma, _) => true,
        (Lit | OQuote, _) | (_, Lit | CQuote) => false,
        (s, OBrack) if matches!(s, Ident | Number) || s.brackets() < 0 => false,
        (OBrace, CBrace) => false,
        (OBrace, _) | (_, CBrace) => true,
        (s, _) if s.brackets() > 0 => false,
        (_, a) if a.brackets() < 0 => false,
        _ => true,
    }
}

/// One line of tokens (a range of the token list, its newline included) and
/// where its `=` starts when the rest of the line is a whole expression.
struct Line {
    start: usize,
    end: usize,
    assign: Option<usize>,
}

/// hclwrite's `format` (indent, spaces, `=` alignment), then the text.
fn render(mut toks: Vec<Tok>) -> String {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.kind == Kind::Newline {
            lines.push(Line {
                start,
                end: i + 1,
                assign: None,
            });
            start = i + 1;
        }
    }
    if start < toks.len() {
        lines.push(Line {
            start,
            end: toks.len(),
            assign: None,
        });
    }
    for line in &mut lines {
        let eq = (line.start + 1..line.end).find(|&i| toks[i].kind == Kind::Equal);
        if let Some(eq) = eq {
            let net: i64 = toks[eq..line.end].iter().map(|t| t.kind.brackets()).sum();
            if net == 0 {
                line.assign = Some(eq);
            }
        }
    }
    // Indent: two spaces per open level, a level per line that opens more
    // brackets than it closes.
    let mut indents: Vec<i64> = Vec::new();
    for line in &lines {
        if toks[line.start].kind == Kind::Newline {
            toks[line.start].spaces = 0;
            continue;
        }
        let net: i64 = toks[line.start..line.end]
            .iter()
            .map(|t| t.kind.brackets())
            .sum();
        if net > 0 {
            toks[line.start].spaces = 2 * indents.len();
            indents.push(net);
            continue;
        }
        let mut closed = -net;
        while closed > 0 {
            let Some(top) = indents.last_mut() else { break };
            if closed < *top {
                *top -= closed;
                closed = 0;
            } else {
                closed -= *top;
                indents.pop();
            }
        }
        toks[line.start].spaces = 2 * indents.len();
    }
    // Spaces between tokens, the lead and the assignment cells apart.
    for line in &lines {
        let cells = match line.assign {
            Some(eq) => [(line.start, eq), (eq, line.end)],
            None => [(line.start, line.end), (line.end, line.end)],
        };
        for (i, (from, to)) in cells.into_iter().enumerate() {
            if i == 1 && from < to {
                toks[from].spaces = 1;
            }
            for j in from..to.saturating_sub(1) {
                toks[j + 1].spaces = usize::from(space_between(toks[j].kind, toks[j + 1].kind));
            }
        }
    }
    // Align the `=` of consecutive lines that have an assignment cell.
    let columns = |toks: &[Tok], from: usize, to: usize| -> usize {
        toks[from..to]
            .iter()
            .map(|t| t.spaces + super::strings::grapheme_count(&t.text))
            .sum()
    };
    let mut i = 0;
    while i < lines.len() {
        if lines[i].assign.is_none() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && lines[j].assign.is_some() {
            j += 1;
        }
        let widest = lines[i..j]
            .iter()
            .filter_map(|l| l.assign.map(|eq| columns(&toks, l.start, eq)))
            .max()
            .unwrap_or(0);
        for l in &lines[i..j] {
            if let Some(eq) = l.assign {
                toks[eq].spaces = widest - columns(&toks, l.start, eq) + 1;
            }
        }
        i = j;
    }
    let mut out = String::new();
    for t in &toks {
        out.extend(std::iter::repeat_n(' ', t.spaces));
        out.push_str(&t.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Map;

    fn obj(entries: &[(&str, Value)]) -> Value {
        let mut m = Map::new();
        for (k, v) in entries {
            m.insert(k.to_string(), v.clone());
        }
        Value::Map(m)
    }

    fn expr(v: Value) -> String {
        match encode_expr("encode_expr", &[v]) {
            Ok(Value::String(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn objects_align_and_indent_as_hclwrite() {
        let v = obj(&[
            (
                "a",
                Value::List(vec![obj(&[("b", Value::Number(1.0))]), Value::Number(2.0)]),
            ),
            ("c", Value::Number(1.0)),
            ("dd", obj(&[("e", Value::Number(1.0))])),
            ("f", Value::Number(2.0)),
        ]);
        assert_eq!(
            expr(v),
            "{\n  a = [{\n    b = 1\n  }, 2]\n  c = 1\n  dd = {\n    e = 1\n  }\n  f = 2\n}"
        );
        let list = Value::List(vec![
            obj(&[("a", Value::Number(1.0))]),
            obj(&[
                ("b", Value::Number(2.0)),
                ("cc", Value::List(vec![Value::Number(3.0)])),
            ]),
        ]);
        assert_eq!(expr(list), "[{\n  a = 1\n  }, {\n  b  = 2\n  cc = [3]\n}]");
    }

    #[test]
    fn strings_escape_templates_and_unprintables() {
        assert_eq!(
            expr(Value::String("${x} %{ $$".into())),
            r#""$${x} %%{ $$""#
        );
        assert_eq!(
            expr(Value::String("a\u{a0}b\u{200b}\u{7}\r\u{1F600}".into())),
            "\"a\\u00a0b\\u200b\\u0007\\r\u{1F600}\""
        );
        assert_eq!(expr(Value::String(String::new())), "\"\"");
    }

    #[test]
    fn tfvars_rejects_what_terraform_rejects() {
        assert!(encode_tfvars("encode_tfvars", &[Value::List(vec![])]).is_err());
        assert!(encode_tfvars("encode_tfvars", &[obj(&[("1a", Value::Null)])]).is_err());
        assert!(encode_expr("encode_expr", &[Value::Null]).is_err());
        assert_eq!(
            encode_tfvars("encode_tfvars", &[obj(&[])]),
            Ok(Value::String(String::new()))
        );
    }
}
