//! Bodies: attributes and blocks, with hcl-edit's rule that an attribute
//! may not be defined twice in one body.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::lexer::id_start;
use super::template::Stop;
use super::Parser;
use crate::sources::terraform::parse::{Attribute, Block, Body};

/// Attribute names already defined in one body (hcl-edit rejects a
/// redefinition).
#[derive(Default)]
struct Seen<'a> {
    few: [&'a str; 16],
    len: usize,
    many: Option<HashSet<&'a str, BuildHasherDefault<Fnv>>>,
}

impl<'a> Seen<'a> {
    /// `false` when `name` was seen before.
    pub(super) fn insert(&mut self, name: &'a str) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(name);
        }
        let few = self.few.get(..self.len).unwrap_or(&[]);
        if few.contains(&name) {
            return false;
        }
        if let Some(slot) = self.few.get_mut(self.len) {
            *slot = name;
            self.len += 1;
        } else {
            let mut set: HashSet<&'a str, BuildHasherDefault<Fnv>> =
                self.few.iter().copied().collect();
            set.insert(name);
            self.many = Some(set);
        }
        true
    }
}

/// FNV-1a, for the few bodies with many attributes (names are short and
/// not attacker-chosen in a way that matters: the worst case is slow).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl<'a> Parser<'a, '_> {
    pub(super) fn body(&mut self) -> Option<Body> {
        // Structures go on the parser's stacks and move into exactly sized
        // vectors at the end (no regrowing per body).
        let (a0, b0) = (self.attrs.len(), self.blocks.len());
        let mut seen = Seen::default();
        loop {
            self.ws()?;
            match self.peek() {
                Some(c) if id_start(c) => {}
                Some(c) if c >= 0x80 => return None,
                _ => break,
            }
            self.structure(&mut seen)?;
            self.sp()?;
            self.opt_line_comment()?;
            if !self.line_ending() && self.pos < self.b.len() {
                return None;
            }
        }
        Some(Body {
            attributes: self.attrs.split_off(a0),
            blocks: self.blocks.split_off(b0),
        })
    }

    fn structure(&mut self, seen: &mut Seen<'a>) -> Option<()> {
        let start = self.pos;
        let name = self.ident()?;
        self.sp()?;
        let line = self.line_of(start);
        let ignore = self.ignores.get(&line).cloned();
        match self.peek()? {
            b'=' => {
                if !seen.insert(name) {
                    return None;
                }
                self.pos += 1;
                self.sp()?;
                let expr = self.root_expr()?;
                self.attrs.push(Attribute {
                    name: name.to_string(),
                    expr,
                    line,
                    ignore,
                });
            }
            c if c == b'{' || c == b'"' || id_start(c) => {
                let mut labels = Vec::new();
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.pos += 1;
                            let (value, stop) = self.quoted_literal()?;
                            if stop != Stop::Quote {
                                return None;
                            }
                            self.pos += 1;
                            labels.push(value.into_owned());
                        }
                        c if id_start(c) => labels.push(self.ident()?.to_string()),
                        c if c >= 0x80 => return None,
                        _ => break,
                    }
                    self.sp()?;
                }
                let body = self.block_body()?;
                self.blocks.push(Block {
                    kind: name.to_string(),
                    labels,
                    body,
                    line,
                    ignore,
                });
            }
            _ => return None,
        }
        Some(())
    }

    fn block_body(&mut self) -> Option<Body> {
        self.nested(|p| {
            p.require(b'{')?;
            let save = p.pos;
            p.sp()?;
            p.opt_line_comment()?;
            if p.line_ending() {
                let body = p.body()?;
                p.require(b'}')?;
                return Some(body);
            }
            // One-line block: `name { [attr = expr] }`.
            p.pos = save;
            p.sp()?;
            let mut body = Body::default();
            match p.peek() {
                Some(c) if id_start(c) => {
                    let start = p.pos;
                    let name = p.ident()?;
                    p.sp()?;
                    p.require(b'=')?;
                    p.sp()?;
                    let line = p.line_of(start);
                    let expr = p.root_expr()?;
                    body.attributes.push(Attribute {
                        name: name.to_string(),
                        expr,
                        line,
                        ignore: p.ignores.get(&line).cloned(),
                    });
                    p.sp()?;
                }
                Some(c) if c >= 0x80 => return None,
                _ => {}
            }
            p.require(b'}')?;
            Some(body)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::super::tests::{consistent, same};

    #[test]
    fn bodies_blocks_comments_lines() {
        for t in [
            "",
            "\n",
            "# only a comment",
            "a = 1",
            "a = 1\nb = 2\n",
            "a = 1 # c\n",
            "a = 1 // c\n",
            "a = 1 /* c */\n",
            "/* c\n */ a = 1\n",
            "b {}\n",
            "b { }\n",
            "b {\n}\n",
            "b \"x\" {}\n",
            "b \"x\" \"y\" {\n  a = 1\n}\n",
            "b x y {\n  a = 1\n}\n",
            "b \"a\\\"b\" {}\n",
            "b { a = 1 }\n",
            "b {a=1}\n",
            "b { # c\n  a = 1\n}\n",
            "b { /* c */\n  a = 1\n}\n",
            "b { /* c\n */ a = 1 }\n",
            "b {\n  c {\n    d {\n      a = 1\n    }\n  }\n}\n",
            "b {\n  a = 1\n}\nb {\n  a = 2\n}\n",
            "a = 1\n\n\n# parity:ignore some-rule because\nresource \"x\" \"y\" {\n  // parity:ignore r2 why not\n  z = 2\n}\n",
            "a = 1\r\nb {\r\n  c = 2\r\n}\r\n",
            "a = 1\r\n# c\r\n",
            "\tb\t{\n\t\ta\t=\t1\n\t}\n",
            "a = 1\n# end",
            "a = 1\n// end",
        ] {
            same(t);
        }
        for t in [
            "a = 1\na = 2\n",
            "a = 1 b = 2\n",
            "b { a = 1\n}\n",
            "b { c {} }\n",
            "b \"${x}\" {}\n",
            "b {\n",
            "}\n",
            "a = 1\n}\n",
            "a = 1 # c\r",
            "a = 1 # c\rd\n",
            "a = 1 /* c\n",
            "a = \n",
            "a\n",
            "a b\n",
            "é = 1\n",
            "a = é\n",
            "aé = 1\n",
            "a = \"x\" \"y\"\n",
        ] {
            consistent(t);
        }
        let body = parse("a = 1\n\n# parity:ignore some-rule because\nresource \"x\" \"y\" {\n  // parity:ignore r2 why not\n  z = 2\n}\n").unwrap();
        assert_eq!(body.blocks[0].line, 4);
        assert_eq!(body.blocks[0].ignore.as_ref().unwrap().0, "some-rule");
        assert_eq!(body.blocks[0].body.attributes[0].line, 6);
        assert_eq!(
            body.blocks[0].body.attributes[0].ignore.as_ref().unwrap().1,
            "why not"
        );
    }
}
