//! Expressions: operators and their precedence, terms, traversals,
//! function calls and numbers, each decision taken where hcl-edit takes it
//! (where newlines are allowed, which look-ahead picks a branch).
//! Collections and `for` expressions are in `collection`.

use std::borrow::Cow;

use hcl::expr::{
    BinaryOp, BinaryOperator, Conditional, Expression, FuncCall, FuncName, Operation, Traversal,
    TraversalOperator, UnaryOp, UnaryOperator, Variable,
};
use hcl::{Identifier, Number};

use super::lexer::id_start;
use super::{Parser, MAX_OPERATORS};

impl<'a> Parser<'a, '_> {
    /// An attribute value: its own operator scope, no extra nesting level,
    /// newlines not allowed until a term allows them.
    pub(super) fn root_expr(&mut self) -> Option<Expression> {
        let saved = self.ops;
        self.ops = 0;
        let mut nl = false;
        let r = self.expr_inner(&mut nl);
        self.ops = saved.max(self.ops);
        r
    }

    /// hcl-edit's `expr` (`nl == false`), `multiline_expr` and
    /// `expr_with_state` (`nl` = the enclosing expression's flag).
    pub(super) fn expr(&mut self, nl: bool) -> Option<Expression> {
        self.nested(|p| {
            let mut nl = nl;
            p.expr_inner(&mut nl)
        })
    }

    fn expr_inner(&mut self, nl: &mut bool) -> Option<Expression> {
        let mut e = self.term(nl)?;
        loop {
            let save = self.pos;
            self.ws_or_sp(*nl)?;
            let r = self.rest();
            if r.len() < 2 {
                self.pos = save;
                return Some(e);
            }
            match r[0] {
                b'?' => {
                    self.pos += 1;
                    self.ws_or_sp(*nl)?;
                    let t = self.expr(*nl)?;
                    self.ws_or_sp(*nl)?;
                    self.require(b':')?;
                    self.ws_or_sp(*nl)?;
                    let f = self.expr(*nl)?;
                    return Some(Expression::Conditional(Box::new(Conditional {
                        cond_expr: e,
                        true_expr: t,
                        false_expr: f,
                    })));
                }
                b'/' if r[1] == b'/' || r[1] == b'*' => {
                    self.pos = save;
                    return Some(e);
                }
                b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' => {
                    self.pos = save;
                    e = self.binary_ops(e, nl)?;
                }
                b'=' if r[1] == b'=' => {
                    self.pos = save;
                    e = self.binary_ops(e, nl)?;
                }
                _ => {
                    self.pos = save;
                    return Some(e);
                }
            }
        }
    }

    fn binary_operator(&self) -> Option<(BinaryOperator, usize)> {
        use BinaryOperator as B;
        let c1 = self.peek_at(1);
        Some(match self.peek()? {
            b'=' if c1 == Some(b'=') => (B::Eq, 2),
            b'!' if c1 == Some(b'=') => (B::NotEq, 2),
            b'<' if c1 == Some(b'=') => (B::LessEq, 2),
            b'<' => (B::Less, 1),
            b'>' if c1 == Some(b'=') => (B::GreaterEq, 2),
            b'>' => (B::Greater, 1),
            b'+' => (B::Plus, 1),
            b'-' => (B::Minus, 1),
            b'*' => (B::Mul, 1),
            b'/' if !matches!(c1, Some(b'/' | b'*')) => (B::Div, 1),
            b'%' => (B::Mod, 1),
            b'&' if c1 == Some(b'&') => (B::And, 2),
            b'|' if c1 == Some(b'|') => (B::Or, 2),
            _ => return None,
        })
    }

    fn binary_ops(&mut self, first: Expression, nl: &mut bool) -> Option<Expression> {
        let mut operands = vec![first];
        let mut operators = Vec::new();
        loop {
            let save = self.pos;
            self.ws_or_sp(*nl)?;
            let Some((op, len)) = self.binary_operator() else {
                if operators.is_empty() {
                    return None;
                }
                self.pos = save;
                break;
            };
            let op_start = self.pos;
            self.pos += len;
            let op_end = self.pos;
            self.ws_or_sp(*nl)?;
            // The encoder prints the space around an operator as one
            // blank (none stays none).
            self.blank_edit(save, op_start);
            self.blank_edit(op_end, self.pos);
            let mut term_nl = *nl;
            operands.push(self.term(&mut term_nl)?);
            operators.push(op);
            if self.ops + operators.len() > MAX_OPERATORS {
                return None;
            }
        }
        self.ops += operators.len();
        build_binary(operands, operators)
    }

    /// hcl-edit's `expr_term`: one term and its traversal.
    fn term(&mut self, nl: &mut bool) -> Option<Expression> {
        let e = match self.peek()? {
            b'"' => self.quoted()?,
            b'[' => {
                *nl = true;
                self.array()?
            }
            b'{' => self.object(nl)?,
            b'0'..=b'9' => self.number(false)?,
            b'<' => self.heredoc()?,
            b'-' => {
                self.pos += 1;
                self.sp()?;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.number(true)?
                } else {
                    unary(UnaryOperator::Neg, self.unary_operand(*nl)?)
                }
            }
            b'!' => {
                self.pos += 1;
                self.sp()?;
                unary(UnaryOperator::Not, self.unary_operand(*nl)?)
            }
            b'(' => {
                self.pos += 1;
                self.ws()?;
                let e = self.expr(true)?;
                self.ws()?;
                self.require(b')')?;
                Expression::Parenthesis(Box::new(e))
            }
            c if id_start(c) => self.identlike(nl)?,
            _ => return None,
        };
        let save = self.pos;
        self.ws_or_sp(*nl)?;
        let r = self.rest();
        if r.len() >= 2 && !r.starts_with(b"..") && (r[0] == b'.' || r[0] == b'[') {
            self.traversal(e, *nl)
        } else {
            self.pos = save;
            Some(e)
        }
    }

    fn unary_operand(&mut self, nl: bool) -> Option<Expression> {
        self.nested(|p| {
            let mut nl = nl;
            p.term(&mut nl)
        })
    }

    fn traversal(&mut self, expr: Expression, nl: bool) -> Option<Expression> {
        let mut operators = Vec::with_capacity(2);
        loop {
            match self.peek()? {
                b'.' => {
                    self.pos += 1;
                    self.ws()?;
                    match self.peek()? {
                        b'*' => {
                            self.pos += 1;
                            operators.push(TraversalOperator::AttrSplat);
                        }
                        b'0'..=b'9' => {
                            // winnow's `dec_uint`: `0` or no leading zero.
                            let start = self.pos;
                            if !self.eat(b'0') {
                                self.digits();
                            }
                            let n = self.slice(start)?.parse::<u64>().ok()?;
                            operators.push(TraversalOperator::LegacyIndex(n));
                        }
                        c if id_start(c) => {
                            let name = self.ident()?;
                            operators.push(TraversalOperator::GetAttr(Identifier::unchecked(name)));
                        }
                        _ => return None,
                    }
                }
                b'[' => {
                    self.pos += 1;
                    self.ws()?;
                    if self.eat(b'*') {
                        operators.push(TraversalOperator::FullSplat);
                    } else {
                        operators.push(TraversalOperator::Index(self.expr(true)?));
                    }
                    self.ws()?;
                    self.require(b']')?;
                }
                _ => return None,
            }
            let save = self.pos;
            self.ws_or_sp(nl)?;
            let r = self.rest();
            if !r.starts_with(b"..") && matches!(r.first(), Some(b'.' | b'[')) {
                // The space before a second or later operator is not
                // printed.
                if self.pos > save {
                    self.edit(save, self.pos, Cow::Borrowed(""));
                }
                continue;
            }
            self.pos = save;
            break;
        }
        Some(Expression::Traversal(Box::new(Traversal {
            expr,
            operators,
        })))
    }

    fn identlike(&mut self, nl: &mut bool) -> Option<Expression> {
        let name = self.ident()?;
        let save = self.pos;
        self.ws_or_sp(*nl)?;
        let r = self.rest();
        if r.len() >= 2 && (r.starts_with(b"::") || r[0] == b'(') {
            let mut names = vec![name];
            while self.starts(b"::") {
                self.pos += 2;
                self.ws_or_sp(*nl)?;
                names.push(self.ident()?);
                self.ws_or_sp(*nl)?;
            }
            *nl = true;
            self.require(b'(')?;
            let (args, expand_final) = self.func_args()?;
            let last = names.pop()?;
            let func = FuncName {
                namespace: names.into_iter().map(Identifier::unchecked).collect(),
                name: Identifier::unchecked(last),
            };
            return Some(Expression::FuncCall(Box::new(FuncCall {
                name: func,
                args,
                expand_final,
            })));
        }
        self.pos = save;
        Some(match name {
            "null" => Expression::Null,
            "true" => Expression::Bool(true),
            "false" => Expression::Bool(false),
            _ => Expression::Variable(Variable::unchecked(name)),
        })
    }

    /// After `(`: the arguments, `...` and `)`.
    fn func_args(&mut self) -> Option<(Vec<Expression>, bool)> {
        let mut args = Vec::new();
        let mut expand = false;
        let save = self.pos;
        self.ws()?;
        match self.peek() {
            Some(b',' | b'.' | b')') | None => self.pos = save,
            Some(_) => {
                args.push(self.expr(true)?);
                self.ws()?;
                while self.peek() == Some(b',') {
                    let before_comma = self.pos;
                    self.pos += 1;
                    self.ws()?;
                    match self.peek() {
                        Some(b',' | b'.' | b')') | None => {
                            self.pos = before_comma;
                            break;
                        }
                        Some(_) => {
                            args.push(self.expr(true)?);
                            self.ws()?;
                        }
                    }
                }
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'.') => {
                        self.require_str(b"...")?;
                        expand = true;
                    }
                    _ => {}
                }
            }
        }
        self.ws()?;
        self.require(b')')?;
        Some((args, expand))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    /// A number literal, negated when `neg`. An integer past `u64` (which
    /// hcl-edit rejects) becomes [`super::big_literal`]'s call holding its
    /// digits, so Terraform's arbitrary-precision integers load.
    fn number(&mut self, neg: bool) -> Option<Expression> {
        let start = self.pos;
        self.digits();
        let mut float = false;
        if self.peek() == Some(b'.') && matches!(self.peek_at(1), Some(b'0'..=b'9')) {
            self.pos += 1;
            self.digits();
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return None;
            }
            self.digits();
            float = true;
        }
        let s = self.slice(start)?;
        let n = if float {
            Number::from_f64(s.parse::<f64>().ok()?)?
        } else {
            match s.parse::<u64>() {
                Ok(n) => Number::from(n),
                Err(_) => {
                    let text = if neg { format!("-{s}") } else { s.to_string() };
                    return Some(super::big_literal_call(text));
                }
            }
        };
        if neg && n.as_f64() == Some(0.0) {
            // `-0`: negative zero, which hcl-rs numbers cannot hold; the
            // negation of 0 computes it (parse.rs's `NegativeZero` builds
            // the same from hcl-edit's tree).
            return Some(unary(
                UnaryOperator::Neg,
                Expression::Number(Number::from(0u64)),
            ));
        }
        Some(Expression::Number(if neg { -n } else { n }))
    }
}

fn unary(operator: UnaryOperator, expr: Expression) -> Expression {
    Expression::Operation(Box::new(Operation::Unary(UnaryOp { operator, expr })))
}

/// Operands and operators of a chain into a tree: left-associative,
/// HCL's precedence levels (what hcl-edit's Pratt parser builds).
fn build_binary(operands: Vec<Expression>, operators: Vec<BinaryOperator>) -> Option<Expression> {
    fn reduce(out: &mut Vec<Expression>, ops: &mut Vec<BinaryOperator>) -> Option<()> {
        let operator = ops.pop()?;
        let rhs_expr = out.pop()?;
        let lhs_expr = out.pop()?;
        out.push(Expression::Operation(Box::new(Operation::Binary(
            BinaryOp {
                lhs_expr,
                operator,
                rhs_expr,
            },
        ))));
        Some(())
    }
    let mut operands = operands.into_iter();
    let mut out = Vec::with_capacity(operators.len() + 1);
    out.push(operands.next()?);
    let mut stack: Vec<BinaryOperator> = Vec::with_capacity(operators.len());
    for (op, rhs) in operators.into_iter().zip(operands) {
        while let Some(top) = stack.last() {
            if top.precedence() >= op.precedence() {
                reduce(&mut out, &mut stack)?;
            } else {
                break;
            }
        }
        stack.push(op);
        out.push(rhs);
    }
    while !stack.is_empty() {
        reduce(&mut out, &mut stack)?;
    }
    let result = out.pop()?;
    out.is_empty().then_some(result)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{consistent, rejected, same};

    #[test]
    fn literals_and_numbers() {
        for t in [
            "a = 1\n",
            "a = 007\n",
            "a = 1.5\n",
            "a = 1e3\n",
            "a = 1.25E-2\n",
            "a = 2.0\n",
            "a = 18446744073709551615\n",
            "a = -1\n",
            "a = - 1\n",
            "a = -/* c */1.5\n",
            "a = -0\n",
            "a = -9223372036854775808\n",
            "a = -18446744073709551615\n",
            "a = true\nb = false\nc = null\n",
            "a = 1.foo\n",
            "a = 1.5.foo\n",
            "a = \"\"\n",
            "a = \"x\"\n",
            "a = \"a\\\"b\\\\c\\n\\t\\r\\/\\b\\f\"\n",
            "a = \"\\u00e9\\U0001F600\"\n",
            "a = \"é and 日本\"\n",
            "a = \"$${x} %%{y} $x %x $ %\"\n",
            "a = \"$$${x}\"\n",
            "a = \"raw\nnewline\"\n",
            "a = \"tab\there\"\n",
        ] {
            same(t);
        }
    }

    #[test]
    fn numbers_that_fail() {
        for t in [
            "a = 1e\n",
            "a = 1.5e+\n",
            "a = 1ex\n",
            "a = 1e999\n",
            "a = 1.\n",
        ] {
            consistent(t);
        }
        rejected("a = 1e\n");
        // Past u64: hcl-edit rejects it, the fast path reads it (Terraform's
        // numbers are arbitrary precision; `tests::big_integer_literals_load`).
        assert!(super::super::parse("a = 99999999999999999999\n").is_some());
    }

    #[test]
    fn traversals_calls_operators() {
        for t in [
            "a = var.x\n",
            "a = var.x.y[0][\"k\"]\n",
            "a = var.l.0.name\n",
            "a = var.l[*].id\n",
            "a = var.l.*.id\n",
            "a = aws_instance.web[count.index].id\n",
            "a = var . x\n",
            "a = var. x\n",
            "a = var.l[\n  0\n]\n",
            "a = foo-bar\n",
            "a = f()\n",
            "a = f( )\n",
            "a = f(1)\n",
            "a = f(1,)\n",
            "a = f(1, 2, 3)\n",
            "a = f(var.l...)\n",
            "a = f(1, var.l ...)\n",
            "a = f(\n  1,\n  2\n)\n",
            "a = provider::aws::arn_parse(x)\n",
            "a = provider :: aws :: arn(x)\n",
            "a = f(x)[0]\n",
            "a = f (x)\n",
            "a = 1 + 2 * 3 - 4 / 5 % 6\n",
            "a = a || b && c == d != e < f <= g > h >= i\n",
            "a = a - b - c\n",
            "a = a * b + c * d\n",
            "a = !a && !b\n",
            "a = -x\n",
            "a = - x.y\n",
            "a = !!x\n",
            "a = -(1)\n",
            "a = (a + b) * c\n",
            "a = a ? b : c\n",
            "a = a ? b : c ? d : e\n",
            "a = a == 1 ? \"x\" : \"y\"\n",
            "a = (\n  a\n  ? b\n  : c\n)\n",
            "a = x /* c */ + 1\n",
            "a = x // c\n",
            "a = x # c\n",
            "a = x/2\n",
            "a = [1] + 2\n",
            "a = f(1)\n  + 2\n",
            "a = [1]\n  .x\n",
            "a = null(1)\n",
            "a = true.x\n",
            "a = a-1\n",
            "a = a - -1\n",
            "a = a<b\n",
        ] {
            same(t);
        }
        for t in [
            "a = x +\n 1\n",
            "a = x\n + 1\n",
            "a = a ! b\n",
            "a = a & b\n",
            "a = a | b\n",
            "a = f(,)\n",
            "a = f(1,,2)\n",
            "a = f(...)\n",
            "a = f(1, ...)\n",
            "a = f(1..)\n",
            "a = var.\n",
            "a = var.99999999999999999999\n",
            "a = x ?\n",
            "a = x ? y\n",
            "a = a <<EOF\nx\nEOF\n",
        ] {
            consistent(t);
        }
    }
}
