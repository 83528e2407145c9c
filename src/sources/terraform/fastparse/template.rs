//! Quoted strings and templates: literals, escapes, interpolations and
//! directives, kept as hcl-edit keeps them (literals by value, the rest as
//! source text) so the encoded template text comes out the same.

use std::borrow::Cow;

use hcl::expr::{Expression, TemplateExpr};

use super::lexer::zero_bytes;
use super::Parser;

/// Why a template literal stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// At the closing `"` of a quoted template.
    Quote,
    /// At `${` or `%{`.
    Template,
    /// At the line ending before a heredoc's closing delimiter.
    HeredocEnd,
    /// At the end of the input.
    Eof,
    /// At a `%{` that opens no `if`/`for` directive (`else`, `endif`, …).
    Other,
}

#[derive(Clone, Copy)]
pub(super) enum Mode<'a> {
    /// A quoted template: escapes, ends at `"`.
    Quoted,
    /// The body of a directive: raw text, ends only at `${`/`%{`.
    Nested,
    /// A heredoc body: raw text, ends at a line holding the delimiter.
    Heredoc(&'a [u8]),
}

/// A template element as hcl-edit keeps it: literals by value, the rest
/// as the source text its encoder reproduces.
pub(super) enum TElem<'a> {
    Lit(Cow<'a, str>),
    Raw(Cow<'a, str>),
    If {
        open: Cow<'a, str>,
        body: Vec<TElem<'a>>,
        els: Option<(Cow<'a, str>, Vec<TElem<'a>>)>,
        end: Cow<'a, str>,
    },
    For {
        open: Cow<'a, str>,
        body: Vec<TElem<'a>>,
        end: Cow<'a, str>,
    },
}

impl<'a> Parser<'a, '_> {
    /// A backslash escape in a quoted string (at the `\`).
    fn escape(&mut self) -> Option<char> {
        self.pos += 1;
        let c = self.peek()?;
        self.pos += 1;
        Some(match c {
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'\\' => '\\',
            b'"' => '"',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => self.hex_escape(4)?,
            b'U' => self.hex_escape(8)?,
            _ => return None,
        })
    }

    fn hex_escape(&mut self, n: usize) -> Option<char> {
        let hex = self.b.get(self.pos..self.pos + n)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let hex = self.src.get(self.pos..self.pos + n)?;
        self.pos += n;
        char::from_u32(u32::from_str_radix(hex, 16).ok()?)
    }

    /// The literal part of a quoted string, unescaped, up to `"`, `${` or
    /// `%{` (not consumed). `None` on a bad escape or at the end of input.
    pub(super) fn quoted_literal(&mut self) -> Option<(Cow<'a, str>, Stop)> {
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut seg = start;
        loop {
            self.skip_plain();
            let c = self.peek()?;
            match c {
                b'"' => return Some((self.finish_literal(start, seg, owned), Stop::Quote)),
                b'\\' => {
                    let buf = owned.get_or_insert_with(String::new);
                    buf.push_str(self.src.get(seg..self.pos)?);
                    let ch = self.escape()?;
                    if let Some(buf) = owned.as_mut() {
                        buf.push(ch);
                    }
                    seg = self.pos;
                }
                b'$' | b'%' => {
                    if self.template_marker(c, &mut seg, &mut owned)? {
                        return Some((self.finish_literal(start, seg, owned), Stop::Template));
                    }
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Skips eight bytes at a time while none of them is `"`, `\\`, `$` or
    /// `%` (the bytes that end or change a quoted literal).
    fn skip_plain(&mut self) {
        const LO: u64 = 0x0101_0101_0101_0101;
        while let Some(chunk) = self.b.get(self.pos..self.pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let special = zero_bytes(w ^ (LO * u64::from(b'"')))
                | zero_bytes(w ^ (LO * u64::from(b'\\')))
                | zero_bytes(w ^ (LO * u64::from(b'$')))
                | zero_bytes(w ^ (LO * u64::from(b'%')));
            if special != 0 {
                return;
            }
            self.pos += 8;
        }
    }

    /// At a `$` or `%` of template text: `Some(true)` when an
    /// interpolation or directive starts here (nothing consumed). Otherwise
    /// the escape `$${` / `%%{` is taken (written as `${` / `%{` into
    /// `owned`) or the single byte is, and `Some(false)` returned.
    fn template_marker(
        &mut self,
        c: u8,
        seg: &mut usize,
        owned: &mut Option<String>,
    ) -> Option<bool> {
        match self.peek_at(1) {
            Some(b'{') => return Some(true),
            Some(c2) if c2 == c && self.peek_at(2) == Some(b'{') => {
                let buf = owned.get_or_insert_with(String::new);
                buf.push_str(self.src.get(*seg..self.pos)?);
                buf.push(c as char);
                buf.push('{');
                self.pos += 3;
                *seg = self.pos;
            }
            _ => self.pos += 1,
        }
        Some(false)
    }

    fn finish_literal(&self, start: usize, seg: usize, owned: Option<String>) -> Cow<'a, str> {
        match owned {
            None => Cow::Borrowed(self.src.get(start..self.pos).unwrap_or("")),
            Some(mut s) => {
                s.push_str(self.src.get(seg..self.pos).unwrap_or(""));
                Cow::Owned(s)
            }
        }
    }

    /// A raw template literal (directive body or heredoc): no escapes
    /// except `$${` / `%%{`; ends at `${`, `%{`, the end of input or, in a
    /// heredoc, the line ending before the closing delimiter.
    pub(super) fn raw_literal(&mut self, delim: Option<&[u8]>) -> Option<(Cow<'a, str>, Stop)> {
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut seg = start;
        loop {
            let Some(c) = self.peek() else {
                return Some((self.finish_literal(start, seg, owned), Stop::Eof));
            };
            match c {
                b'$' | b'%' => {
                    if self.template_marker(c, &mut seg, &mut owned)? {
                        return Some((self.finish_literal(start, seg, owned), Stop::Template));
                    }
                }
                b'\n' | b'\r' => {
                    if let Some(d) = delim {
                        if self.heredoc_end_at(d)? {
                            return Some((
                                self.finish_literal(start, seg, owned),
                                Stop::HeredocEnd,
                            ));
                        }
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Template elements up to where hcl-edit's `repeat` stops.
    pub(super) fn elements(&mut self, mode: Mode<'a>, out: &mut Vec<TElem<'a>>) -> Option<Stop> {
        loop {
            if self.starts(b"${") {
                let raw = self.interpolation()?;
                out.push(TElem::Raw(raw));
                continue;
            }
            if self.starts(b"%{") {
                match self.directive_kind()? {
                    Some(is_if) => {
                        let d = if is_if {
                            self.if_directive()?
                        } else {
                            self.for_directive()?
                        };
                        out.push(d);
                        continue;
                    }
                    None => return Some(Stop::Other),
                }
            }
            let start = self.pos;
            let (value, stop) = match mode {
                Mode::Quoted => self.quoted_literal()?,
                Mode::Nested => self.raw_literal(None)?,
                Mode::Heredoc(d) => self.raw_literal(Some(d))?,
            };
            if self.pos == start {
                return Some(stop);
            }
            self.literal_edit(start, &value, self.esc)?;
            out.push(TElem::Lit(value));
            if stop != Stop::Template {
                return Some(stop);
            }
        }
    }

    /// `${ expr }`, returned as the encoder prints it.
    fn interpolation(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos;
        let mark = self.edits.len();
        self.interpolation_parts()?;
        self.copied(start, mark)
    }

    /// `${ expr }` (at `$`): the expression and its strip markers.
    pub(super) fn interpolation_parts(&mut self) -> Option<(Expression, hcl::template::Strip)> {
        self.pos += 2;
        let strip_start = self.eat(b'~');
        self.tpl += 1;
        self.ws()?;
        let expr = self.expr(true)?;
        self.ws()?;
        self.tpl -= 1;
        let strip_end = self.eat(b'~');
        self.require(b'}')?;
        Some((expr, (strip_start, strip_end).into()))
    }

    /// At `%{`: `Some(true)` for `if`, `Some(false)` for `for`, `None`
    /// for anything else (which ends the template here).
    fn directive_kind(&mut self) -> Option<Option<bool>> {
        let save = self.pos;
        self.pos += 2;
        self.eat(b'~');
        self.ws()?;
        let kind = if self.starts(b"if") {
            Some(true)
        } else if self.starts(b"for") {
            Some(false)
        } else {
            None
        };
        self.pos = save;
        Some(kind)
    }

    /// `%{~? <ws> keyword <ws> ~?}` (no expression).
    fn keyword_tag(&mut self, keyword: &[u8]) -> Option<Cow<'a, str>> {
        let start = self.pos;
        self.require_str(b"%{")?;
        self.eat(b'~');
        self.ws()?;
        self.require_str(keyword)?;
        self.ws()?;
        self.eat(b'~');
        self.require(b'}')?;
        self.slice(start).map(Cow::Borrowed)
    }

    fn nested_template(&mut self) -> Option<Vec<TElem<'a>>> {
        self.nested(|p| {
            let mut body = Vec::new();
            p.elements(Mode::Nested, &mut body)?;
            Some(body)
        })
    }

    fn if_directive(&mut self) -> Option<TElem<'a>> {
        let start = self.pos;
        let mark = self.edits.len();
        self.pos += 2;
        self.eat(b'~');
        self.ws()?;
        self.require_str(b"if")?;
        self.tpl += 1;
        self.ws()?;
        self.expr(false)?;
        self.ws()?;
        self.tpl -= 1;
        self.eat(b'~');
        self.require(b'}')?;
        let open = self.copied(start, mark)?;
        let body = self.nested_template()?;
        let else_start = self.pos;
        let mut els = None;
        if self.starts(b"%{") {
            self.pos += 2;
            self.eat(b'~');
            self.ws()?;
            if self.starts(b"else") {
                self.pos = else_start;
                let t = self.keyword_tag(b"else")?;
                els = Some((t, self.nested_template()?));
            } else {
                self.pos = else_start;
            }
        }
        let end = self.keyword_tag(b"endif")?;
        Some(TElem::If {
            open,
            body,
            els,
            end,
        })
    }

    fn for_directive(&mut self) -> Option<TElem<'a>> {
        let start = self.pos;
        let mark = self.edits.len();
        self.pos += 2;
        self.eat(b'~');
        self.ws()?;
        self.require_str(b"for")?;
        self.ws()?;
        self.ident()?;
        self.ws()?;
        if self.eat(b',') {
            self.ws()?;
            self.ident()?;
            self.ws()?;
        }
        self.require_str(b"in")?;
        self.tpl += 1;
        self.ws()?;
        self.expr(false)?;
        self.ws()?;
        self.tpl -= 1;
        self.eat(b'~');
        self.require(b'}')?;
        let open = self.copied(start, mark)?;
        let body = self.nested_template()?;
        let end = self.keyword_tag(b"endfor")?;
        Some(TElem::For { open, body, end })
    }

    /// A quoted string or template (at `"`).
    pub(super) fn quoted(&mut self) -> Option<Expression> {
        self.pos += 1;
        let start = self.pos;
        let (value, stop) = self.quoted_literal()?;
        if stop == Stop::Quote {
            // A plain string always prints escaped.
            self.literal_edit(start, &value, true)?;
            self.pos += 1;
            return Some(Expression::String(value.into_owned()));
        }
        // The encoder escapes a quoted template's literals from its start
        // and stops at the end of any quoted template (also a nested one:
        // literals after a nested template print unescaped).
        if self.tpl > 0 {
            self.esc = true;
        }
        self.literal_edit(start, &value, self.esc)?;
        let mut elems = Vec::new();
        if !value.is_empty() {
            elems.push(TElem::Lit(value));
        }
        if self.elements(Mode::Quoted, &mut elems)? != Stop::Quote {
            return None;
        }
        self.pos += 1;
        self.esc = false;
        let mut text = String::new();
        encode(&elems, &mut text);
        Some(Expression::TemplateExpr(Box::new(
            TemplateExpr::QuotedString(text),
        )))
    }
}

/// hcl-primitives' `escape_markers`: `${` → `$${` and `%{` → `%%{`,
/// scanning pairwise from the first marker (as it does).
pub(super) fn escape_markers(literal: &str) -> Cow<'_, str> {
    let bytes = literal.as_bytes();
    let Some(idx) = bytes.windows(2).position(|w| w == b"${" || w == b"%{") else {
        return Cow::Borrowed(literal);
    };
    let mut buf = String::with_capacity(literal.len() + 4);
    buf.push_str(literal.get(..idx).unwrap_or(""));
    let mut chars = literal.get(idx..).unwrap_or("").chars();
    while let Some(ch) = chars.next() {
        buf.push(ch);
        if ch != '$' && ch != '%' {
            continue;
        }
        match chars.next() {
            Some(ch2) => {
                if ch2 == '{' {
                    buf.push(ch);
                }
                buf.push(ch2);
            }
            None => break,
        }
    }
    Cow::Owned(buf)
}

/// hcl-edit's template encoding (`Template::to_string`).
pub(super) fn encode(elems: &[TElem<'_>], out: &mut String) {
    for el in elems {
        match el {
            TElem::Lit(lit) => out.push_str(&escape_markers(lit)),
            TElem::Raw(raw) => out.push_str(raw),
            TElem::If {
                open,
                body,
                els,
                end,
            } => {
                out.push_str(open);
                encode(body, out);
                if let Some((tag, body)) = els {
                    out.push_str(tag);
                    encode(body, out);
                }
                out.push_str(end);
            }
            TElem::For { open, body, end } => {
                out.push_str(open);
                encode(body, out);
                out.push_str(end);
            }
        }
    }
}

#[cfg(test)]
mod tests {

    use super::super::tests::{consistent, rejected, same, template_consistent};

    #[test]
    fn templates() {
        for t in [
            "a = \"${var.x}\"\n",
            "a = \"pre-${var.x}-post\"\n",
            "a = \"${ var.x }\"\n",
            "a = \"${~ var.x ~}\"\n",
            "a = \"${var.a}${var.b}\"\n",
            "a = \"x\\n${y}\\t\\\"z\\\"\"\n",
            "a = \"${join(\",\", var.l)}\"\n",
            "a = \"${lookup(var.m, \"k\", \"d\")}\"\n",
            "a = \"${var.a == \"x\" ? \"y\" : \"z\"}\"\n",
            "a = \"$${not} ${yes} %%{no}\"\n",
            "a = \"%{if var.x}yes%{else}no%{endif}\"\n",
            "a = \"%{ if var.x }yes%{ endif }\"\n",
            "a = \"%{~if var.x~}yes%{~else~}no%{~endif~}\"\n",
            "a = \"%{for x in var.l}${x},%{endfor}\"\n",
            "a = \"%{for k, v in var.m}${k}=${v}\\n%{endfor}\"\n",
            "a = \"%{if a}\\n%{endif}\"\n",
            "a = \"%{if a}\"b\\\"c%{endif}\"\n",
            "a = \"${\"inner ${x}\"}\"\n",
            "a = \"${[for s in var.l : upper(s)]}\"\n",
            "a = \"${ {a = 1, b = 2} }\"\n",
            "a = \"${f(\n  x,\n  y,\n)}\"\n",
            "a = \"${x /* c */ + 1}\"\n",
            "a = \"${x # c\n}\"\n",
            "a = \"${var.list.0}\"\n",
            "a = \"${var.list[*].id}\"\n",
            "a = \"${-1 + - 2}\"\n",
            "a = \"${1.50}\"\n",
            "a = \"${\"a\\u0041\"}\"\n",
            "a = \"${\"\\\\\"}\"\n",
            "a = \"%{if \"a\\u0041\" == x}y%{endif}\"\n",
            "a = \"${ {for k, v in x : k => v... } }\"\n",
            "a = \"${ {for k, v in x : k => v...} }\"\n",
            "a = \"${ {for k, v in x : k => v... if v} }\"\n",
            "a = \"${\"${\"${x}\"}\"}\"\n",
            "a = \"${x.01}\"\n",
        ] {
            consistent(t);
        }
        for t in [
            "a = \"${var.x}\"\n",
            "a = \"pre-${var.x}-post\"\n",
            "a = \"${~ var.x ~}\"\n",
            "a = \"x\\n${y}\\t\\\"z\\\"\"\n",
            "a = \"${join(\",\", var.l)}\"\n",
            "a = \"%{if var.x}yes%{else}no%{endif}\"\n",
            "a = \"%{for k, v in var.m}${k}=${v}\\n%{endfor}\"\n",
            "a = \"${\"inner ${x}\"}\"\n",
            "a = \"${ {a = 1, b = 2} }\"\n",
            "a = \"${x # c\n}\"\n",
            "a = \"${ {for k, v in x : k => v...} }\"\n",
        ] {
            same(t);
        }
    }

    #[test]
    fn template_errors() {
        for t in [
            "a = \"${}\"\n",
            "a = \"${x\"\n",
            "a = \"%{else}\"\n",
            "a = \"%{if x}y\"\n",
            "a = \"%{if x}y%{endfor}\"\n",
            "a = \"\\q\"\n",
            "a = \"\\u12\"\n",
            "a = \"\\uD800\"\n",
            "a = \"unterminated\n",
        ] {
            rejected(t);
        }
    }

    #[test]
    fn templates_are_parsed_as_hcl_edit_parses_them() {
        for text in [
            "",
            "plain",
            "${var.x}",
            "a-${var.x}-b",
            "${ var.x }",
            "${~ var.x ~}",
            "  ${~var.x}  ",
            "${var.x~}\n",
            "$${not} and a $${b}",
            "a $ b % c $x %y",
            "${a}${b}",
            "${format(\"%s-%s\", var.a, local.b)}",
            "${var.m[\"k\"].x[0]}",
            "${var.a ? \"x\" : \"y\"}",
            "${[for s in var.l : upper(s)]}",
            "${{ a = 1 }}",
            "${var.a + 1 * 2}",
            "${\n  var.x\n}",
            "${\"${var.nested}\"}",
            "line\nline2\r\n${x}\n",
            "tab\there",
            "unicode é ${x} ✓",
            "\\\" backslash",
        ] {
            assert!(template_consistent(text), "fast path declined {text:?}");
        }
        for text in [
            "${",
            "${}",
            "${var.x",
            "${var.x}}",
            "}${",
            "${~}",
            "%%{not}",
            "%{ if x }y%{ endif }",
            "%{ for x in y }${x}%{ endfor }",
            "${a b}",
            "${ {a = } }",
        ] {
            template_consistent(text);
        }
    }
}
