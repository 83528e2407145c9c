//! Template text as hcl-edit's encoder prints it: a `TemplateExpr` keeps
//! source text, and equality with the hcl-edit path needs that text copied
//! with exactly the changes the encoder makes (spacing, re-escaped strings).

use std::borrow::Cow;

use super::template::escape_markers;
use super::Parser;

impl<'a> Parser<'a, '_> {
    /// Inside copied template text, the encoder prints `text` for the
    /// source `start..end`.
    pub(super) fn edit(&mut self, start: usize, end: usize, text: Cow<'static, str>) {
        if self.tpl > 0 {
            self.edits.push((start, end, text));
        }
    }

    /// The template text for the source from `start` to here: the source
    /// with the edits recorded since `mark` — once the outermost copy is
    /// done (nested ones are part of it).
    pub(super) fn copied(&mut self, start: usize, mark: usize) -> Option<Cow<'a, str>> {
        let raw = self.slice(start)?;
        if self.tpl > 0 {
            return Some(Cow::Borrowed(raw));
        }
        if self.edits.len() <= mark {
            return Some(Cow::Borrowed(raw));
        }
        let mut edits = self.edits.split_off(mark);
        edits.sort_by_key(|e| e.0);
        let mut out = String::with_capacity(raw.len() + 8);
        let mut at = start;
        for (s, e, text) in &edits {
            if *s < at || *e > self.pos {
                return None;
            }
            out.push_str(self.src.get(at..*s)?);
            out.push_str(text);
            at = *e;
        }
        out.push_str(self.src.get(at..self.pos)?);
        Some(Cow::Owned(out))
    }

    /// Non-empty whitespace (with comments) at `start..end` prints as one
    /// blank inside copied template text.
    pub(super) fn blank_edit(&mut self, start: usize, end: usize) {
        if self.tpl > 0 && end > start && self.src.get(start..end) != Some(" ") {
            self.edit(start, end, Cow::Borrowed(" "));
        }
    }

    /// A literal's source `start..here` with value `value`, inside copied
    /// template text: the encoder prints it anew, re-escaped when `escaped`.
    pub(super) fn literal_edit(&mut self, start: usize, value: &str, escaped: bool) -> Option<()> {
        if self.tpl > 0 {
            let raw = self.slice(start)?;
            if let Some(enc) = reencoded(raw, value, escaped) {
                self.edit(start, self.pos, Cow::Owned(enc));
            }
        }
        Some(())
    }
}

/// How hcl-edit prints a literal with value `value` inside a quoted string
/// (re-escaped), when that differs from `raw`, its source.
fn reencoded(raw: &str, value: &str, escaped: bool) -> Option<String> {
    let plain = !raw
        .bytes()
        .any(|c| matches!(c, b'\\' | b'"' | b'$' | b'%' | 0x7f) || c < 0x20);
    if plain && raw == value {
        return None;
    }
    let marked = escape_markers(value);
    let enc = if escaped {
        let mut enc = String::with_capacity(raw.len());
        encode_escaped(&marked, &mut enc);
        enc
    } else {
        marked.into_owned()
    };
    (enc != raw).then_some(enc)
}

/// hcl-edit's `encode_escaped`.
fn encode_escaped(value: &str, out: &mut String) {
    use std::fmt::Write;
    for ch in value.chars() {
        match ch {
            '\u{8}' => out.push_str("\\b"),
            '\u{9}' => out.push_str("\\t"),
            '\u{a}' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\u{d}' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c <= '\u{1f}' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
}
