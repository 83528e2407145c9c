//! Collections and `for` expressions: arrays, objects and the `for` forms
//! that build them, with hcl-edit's rules for newlines and comments between
//! items and for object keys it would reject as repeated.

use std::borrow::Cow;

use hcl::expr::{Expression, ForExpr, ObjectKey};
use hcl::Identifier;

use super::Parser;

impl<'a> Parser<'a, '_> {
    /// hcl-edit's look-ahead for a `for` expression after `[` or `{`.
    fn for_ahead(&mut self) -> Option<bool> {
        let save = self.pos;
        self.ws()?;
        let r = self.rest();
        let yes =
            r.starts_with(b"for") && matches!(r.get(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.pos = save;
        Some(yes)
    }

    fn cut_ident(&mut self) -> Option<Identifier> {
        self.ident().map(Identifier::unchecked)
    }

    /// `for [k,] v in coll :`
    fn for_intro(&mut self) -> Option<(Option<Identifier>, Identifier, Expression)> {
        self.ws()?;
        self.require_str(b"for")?;
        self.ws()?;
        let first = self.cut_ident()?;
        self.ws()?;
        let second = if self.eat(b',') {
            self.ws()?;
            let v = self.cut_ident()?;
            self.ws()?;
            Some(v)
        } else {
            None
        };
        self.require_str(b"in")?;
        self.ws()?;
        let coll = self.expr(false)?;
        self.ws()?;
        self.require(b':')?;
        Some(match second {
            Some(v) => (Some(first), v, coll),
            None => (None, first, coll),
        })
    }

    fn for_cond(&mut self, nl: bool) -> Option<Option<Expression>> {
        let save = self.pos;
        self.ws()?;
        if self.starts(b"if") {
            self.pos += 2;
            self.ws()?;
            let e = self.expr(nl)?;
            self.ws()?;
            Some(Some(e))
        } else {
            self.pos = save;
            Some(None)
        }
    }

    /// `[` … `]` (the `[` not consumed yet); newlines are allowed.
    pub(super) fn array(&mut self) -> Option<Expression> {
        self.pos += 1;
        if self.for_ahead()? {
            let (key_var, value_var, collection_expr) = self.for_intro()?;
            self.ws()?;
            let value_expr = self.expr(true)?;
            self.ws()?;
            let cond_expr = self.for_cond(true)?;
            self.require(b']')?;
            return Some(Expression::ForExpr(Box::new(ForExpr {
                key_var,
                value_var,
                collection_expr,
                key_expr: None,
                value_expr,
                grouping: false,
                cond_expr,
            })));
        }
        let mut items = Vec::new();
        let save = self.pos;
        self.ws()?;
        if self.peek() == Some(b']') {
            self.pos = save;
        } else {
            items.push(self.expr(true)?);
            self.ws()?;
            while self.peek() == Some(b',') {
                let before_comma = self.pos;
                self.pos += 1;
                self.ws()?;
                if self.peek() == Some(b']') {
                    self.pos = before_comma;
                    break;
                }
                items.push(self.expr(true)?);
                self.ws()?;
            }
        }
        self.eat(b',');
        self.ws()?;
        self.require(b']')?;
        Some(Expression::Array(items))
    }

    /// `{` … `}` (the `{` not consumed yet).
    pub(super) fn object(&mut self, nl: &mut bool) -> Option<Expression> {
        self.pos += 1;
        if self.for_ahead()? {
            *nl = true;
            let (key_var, value_var, collection_expr) = self.for_intro()?;
            self.ws()?;
            let key_expr = self.expr(false)?;
            self.ws()?;
            self.require_str(b"=>")?;
            self.ws()?;
            let value_expr = self.expr(false)?;
            self.ws()?;
            let mut grouping = false;
            let mut trailing = false;
            if self.starts(b"...") {
                self.pos += 3;
                let t = self.pos;
                self.ws()?;
                grouping = true;
                trailing = self.pos > t;
            }
            let cond_expr = self.for_cond(true)?;
            // hcl-edit drops the space after `...` when it prints the
            // expression (it is the expression's suffix, overwritten).
            if self.tpl > 0 && grouping && trailing && cond_expr.is_none() {
                return None;
            }
            self.require(b'}')?;
            return Some(Expression::ForExpr(Box::new(ForExpr {
                key_var,
                value_var,
                collection_expr,
                key_expr: Some(key_expr),
                value_expr,
                grouping,
                cond_expr,
            })));
        }
        let mut map: hcl::Object<ObjectKey, Expression> = hcl::Object::new();
        let mut templated_keys: Vec<Option<String>> = Vec::new();
        loop {
            self.ws()?;
            if self.peek()? == b'}' {
                self.pos += 1;
                break;
            }
            let key = match self.expr(false)? {
                Expression::Variable(v) => ObjectKey::Identifier(v.into_inner()),
                e => ObjectKey::Expression(e),
            };
            self.sp()?;
            match self.peek()? {
                b'=' | b':' => self.pos += 1,
                _ => return None,
            }
            self.sp()?;
            let value = self.expr(false)?;
            self.sp()?;
            if let ObjectKey::Expression(k) = &key {
                if contains_template(k) {
                    // hcl-edit compares keys without their whitespace and
                    // comments; template text keeps them. Be conservative.
                    let fp = fingerprint(&key);
                    for other in &templated_keys {
                        match (other, &fp) {
                            (Some(a), Some(b)) if a != b => {}
                            _ => return None,
                        }
                    }
                    templated_keys.push(fp);
                }
            }
            if map.insert(key, value).is_some() {
                return None;
            }
            match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    break;
                }
                b'\r' | b'\n' => {
                    let at = self.pos;
                    if !self.line_ending() {
                        return None;
                    }
                    if self.pos - at == 2 {
                        // The encoder ends an item with `\n`.
                        self.edit(at, self.pos, Cow::Borrowed("\n"));
                    }
                }
                b',' => self.pos += 1,
                b'#' => self.item_comment()?,
                b'/' if self.peek_at(1) == Some(b'/') => self.item_comment()?,
                _ => return None,
            }
        }
        Some(Expression::Object(map))
    }

    /// A comment ending an object item, and its line ending.
    fn item_comment(&mut self) -> Option<()> {
        self.line_comment_body()?;
        let at = self.pos;
        if !self.line_ending() {
            return None;
        }
        if self.pos - at == 2 {
            self.edit(at, self.pos, Cow::Borrowed("\n"));
        }
        Some(())
    }
}

fn contains_template(e: &Expression) -> bool {
    match e {
        Expression::TemplateExpr(_) => true,
        Expression::Null
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_)
        | Expression::Variable(_) => false,
        // Anything else may hold one; the check that follows is cheap and
        // objects with two such keys are rare.
        _ => true,
    }
}

/// A key's text with whitespace removed; `None` (give up) when a comment
/// may hide in it.
fn fingerprint(key: &ObjectKey) -> Option<String> {
    let text = format!("{key:?}");
    if text.contains('#') || text.contains("/*") || text.contains("//") {
        return None;
    }
    Some(text.chars().filter(|c| !c.is_whitespace()).collect())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{consistent, same};

    #[test]
    fn collections_and_for() {
        for t in [
            "a = []\n",
            "a = [ ]\n",
            "a = [1, 2, 3]\n",
            "a = [1, 2, 3,]\n",
            "a = [\n  1,\n  2,\n]\n",
            "a = [\n  # c\n  1, // d\n  2 /* e */\n]\n",
            "a = {}\n",
            "a = { }\n",
            "a = {a = 1}\n",
            "a = {a = 1, b = 2}\n",
            "a = {a = 1, b = 2,}\n",
            "a = {\n  a = 1\n  b = 2\n}\n",
            "a = {\n  a = 1 # c\n  b = 2 // d\n  c = 3, # e\n}\n",
            "a = {\r\n  a = 1\r\n  b = 2\r\n}\r\n",
            "a = {\"a\" = 1, \"b\": 2}\n",
            "a = {a: 1}\n",
            "a = {(var.k) = 1}\n",
            "a = {var.k = 1}\n",
            "a = {\"${var.k}\" = 1, \"${var.j}\" = 2}\n",
            "a = {null = 1, true = 2}\n",
            "a = {1 = 2}\n",
            "a = {a = 1\n}\n",
            "a = {\n\n  a = 1\n\n}\n",
            "a = {a = [1,\n2]}\n",
            "a = [for x in var.l : x]\n",
            "a = [for x in var.l: x if x != 1]\n",
            "a = [for i, x in var.l : \"${i}=${x}\"]\n",
            "a = {for k, v in var.m : k => v}\n",
            "a = {for k, v in var.m : k => v...}\n",
            "a = {for k, v in var.m : k => v... if v != null}\n",
            "a = {for k, v in var.m : upper(k) => v if k != \"x\"}\n",
            "a = [\n  for x in var.l :\n  x\n  if x\n]\n",
            "a = [for x in var.l: x]\n  [0]\n",
            "a = {for x in l : x => x}\n",
            "a = [format(\"x\"), formatlist(\"y\")]\n",
            "a = [for x in l : x if_y]\n",
        ] {
            same(t);
        }
        for t in [
            "a = [,]\n",
            "a = [1,,2]\n",
            "a = [1 2]\n",
            "a = {a = 1 b = 2}\n",
            "a = {a = 1, a = 2}\n",
            "a = {\"a\" = 1, \"a\" = 2}\n",
            "a = {a = 1, \"a\" = 2}\n",
            "a = {\"${x}\" = 1, \"${ x }\" = 2}\n",
            "a = {a = 1\r b = 2}\n",
            "a = [for x in l\n  .y : x]\n",
            "a = [for x in l : x if]\n",
            "a = [for x inl : x]\n",
            "a = [for\r\nx in l : x]\n",
            "a = {a = 1 / b}\n",
        ] {
            consistent(t);
        }
    }
}
