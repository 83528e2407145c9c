//! Heredocs (`<<EOF`, and `<<-EOF`, whose text is kept as written and
//! marked `Indent` where hcl-edit would dedent it, as parse.rs's
//! `RawIndentedHeredoc` does; the evaluator removes the indent).

use std::borrow::Cow;

use hcl::expr::{Expression, Heredoc, HeredocStripMode, TemplateExpr};
use hcl::Identifier;

use super::lexer::id_continue;
use super::template::{encode, Mode, Stop, TElem};
use super::Parser;

impl<'a> Parser<'a, '_> {
    /// Whether a line ending, spaces or tabs and `delim` (not followed by
    /// an identifier character) start at the current position.
    pub(super) fn heredoc_end_at(&self, delim: &[u8]) -> Option<bool> {
        let r = self.rest();
        let mut i = match r {
            [b'\n', ..] => 1,
            [b'\r', b'\n', ..] => 2,
            _ => return Some(false),
        };
        while matches!(r.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if !r.get(i..).unwrap_or(&[]).starts_with(delim) {
            return Some(false);
        }
        match r.get(i + delim.len()) {
            Some(&c) if c >= 0x80 => None,
            Some(&c) if id_continue(c) => Some(false),
            _ => Some(true),
        }
    }

    /// `<<EOF` / `<<-EOF` heredoc (at `<`).
    pub(super) fn heredoc(&mut self) -> Option<Expression> {
        if self.tpl > 0 || !self.starts(b"<<") {
            return None;
        }
        self.pos += 2;
        let indent = self.eat(b'-');
        let delim = self.ident()?;
        if !self.line_ending() {
            return None;
        }
        let body_start = self.pos;
        let mut elems = Vec::new();
        if self.elements(Mode::Heredoc(delim.as_bytes()), &mut elems)? == Stop::HeredocEnd {
            let le_start = self.pos;
            self.line_ending();
            let le = self.slice(le_start)?;
            match elems.last_mut() {
                Some(TElem::Lit(lit)) => lit.to_mut().push_str(le),
                _ => elems.push(TElem::Lit(Cow::Borrowed(le))),
            }
        } else {
            // hcl-edit's `opt(…)` backtracks to an empty template.
            elems.clear();
            self.pos = body_start;
        }
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.require_str(delim.as_bytes())?;
        match self.peek() {
            Some(c) if c >= 0x80 || id_continue(c) => return None,
            _ => {}
        }
        // A `<<-` heredoc that hcl-edit would dedent keeps its text as
        // written, marked `Indent`: the evaluator removes the indent the
        // way Terraform does, after the strip markers (parse.rs's
        // `RawIndentedHeredoc` does the same on hcl-edit's tree).
        let strip = if indent && dedent_amount(&elems).is_some() {
            HeredocStripMode::Indent
        } else {
            HeredocStripMode::None
        };
        let mut template = String::new();
        encode(&elems, &mut template);
        Some(Expression::TemplateExpr(Box::new(TemplateExpr::Heredoc(
            Heredoc {
                delimiter: Identifier::unchecked(delim),
                template,
                strip,
            },
        ))))
    }
}

/// The indent hcl-edit's `Template::dedent` would remove from a `<<-`
/// heredoc's top-level elements (`None`: it would not dedent).
fn dedent_amount(elems: &[TElem<'_>]) -> Option<usize> {
    let mut indent: Option<usize> = None;
    let mut skip_first = false;
    for el in elems.iter() {
        if let TElem::Lit(lit) = el {
            if let Some(n) = min_leading_whitespace(lit, skip_first) {
                indent = Some(indent.map_or(n, |i| i.min(n)));
            }
            skip_first = !lit.ends_with('\n');
        } else if !skip_first {
            return None;
        }
    }
    indent
}

fn min_leading_whitespace(s: &str, skip_first: bool) -> Option<usize> {
    if s.is_empty() {
        return None;
    }
    let mut leading: Option<usize> = None;
    for (i, line) in s.lines().enumerate() {
        if (i == 0 && skip_first) || line.is_empty() {
            continue;
        }
        let n = line.chars().take_while(|c| c.is_whitespace()).count();
        if n == 0 {
            return None;
        }
        leading = Some(leading.map_or(n, |l| l.min(n)));
    }
    leading
}

#[cfg(test)]
mod tests {
    use super::super::tests::{consistent, rejected, same};

    #[test]
    fn heredocs() {
        for t in [
            "a = <<EOF\nhello\nEOF\n",
            "a = <<EOF\nEOF\n",
            "a = <<EOF\n\nEOF\n",
            "a = <<EOF\n  two\n    four\n  EOF\n",
            "a = <<-EOF\n  two\n    four\n  EOF\n",
            "a = <<-EOF\n    ${x}\n  y\n  EOF\n",
            "a = <<-EOF\n${x}\n  y\nEOF\n",
            "a = <<-EOF\n  a ${x} b\n  c\nEOF\n",
            "a = <<-EOF\n  %{ for x in l }\n    ${x}\n  %{ endfor }\nEOF\n",
            "a = <<-EOF\n  %{ if c }\n    yes\n  %{ else }\n    no\n  %{ endif }\nEOF\n",
            "a = <<EOT\n{\n  \"a\": \"$${b}\"\n}\nEOT\n",
            "a = <<EOF\r\nline\r\nEOF\r\n",
            "a = <<-EOF\r\n  line\r\n  EOF\r\n",
            "a = <<EOF\nEOFX\nEOF\n",
            "a = <<EOF\nx EOF\nEOF\n",
            "a = <<EOF\nEOF\nb = 1\n",
            "a = <<-EOF\n\t\tx\n\t  y\nEOF\n",
            "a = <<-EOF\n  \n  x\n  EOF\n",
            "a = [<<EOF\nx\nEOF\n, 1]\n",
            "a = f(<<EOF\nx\nEOF\n)\n",
            "a = <<EOF\n%{ if x }y%{ endif }\nEOF\n",
        ] {
            same(t);
        }
        for t in [
            "a = <<EOF \nx\nEOF\n",
            "a = <<EOF\nx\n",
            "a = <<EOF\nx\nEOFy\n",
            "a = <<\nx\n\n",
        ] {
            consistent(t);
        }
        rejected("a = <<EOF\nx\n");
    }
}
