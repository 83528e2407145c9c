//! Expression evaluation with Terraform's semantics, over the hcl-rs AST.
//!
//! We walk the AST ourselves instead of using `hcl::eval` because Terraform
//! code is full of values that are only known after apply
//! (`aws_vpc.main.id`): they must stay symbolic ([`Value::Unknown`]) and flow
//! through operators, functions and templates without failing evaluation,
//! and names (`var`, `local`, `module`) must be resolved lazily, in
//! dependency order, by the module being evaluated.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use hcl::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl::template::{Directive, Element, Strip, Template};

use super::functions::{self, FnError};
use super::typing::{for_items, result_type, tf_equal, with_type, SET_INDEX};
use crate::model::bignum::BigFloat;
use crate::model::value::TfType;
use crate::model::Value;

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalErr {
    /// The expression is wrong for these inputs (a missing key, a type
    /// error). The caller records it in coverage and keeps going.
    Soft(String),
    /// A function Terraform does not have: the code cannot be right.
    UnknownFunction(String),
    /// Something that stops the whole load (a cycle, a broken module),
    /// already rendered with its location.
    Fatal(String),
    /// A limit of docs/limits.md was passed (a value too large, templates
    /// that render themselves): stops the load like `Fatal`, and the
    /// attribute that hit it adds its location.
    Limit(String),
}

impl std::fmt::Display for EvalErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalErr::Soft(m) | EvalErr::Fatal(m) | EvalErr::Limit(m) => f.write_str(m),
            EvalErr::UnknownFunction(name) => write!(f, "unknown function `{name}`"),
        }
    }
}

type R<T> = Result<T, EvalErr>;

thread_local! {
    /// The `templatefile()` calls being rendered on this thread, outermost
    /// first: (canonical path, path as written).
    static TEMPLATES: std::cell::RefCell<Vec<(std::path::PathBuf, String)>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The `for` expressions being evaluated on this thread: how deep they
    /// nest, and the iterations run since the outermost one began.
    static FOR_RUN: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// One `for` expression being evaluated (see `FOR_RUN`): the outermost
/// starts the count of iterations, the guard's drop ends it.
struct ForRun {
    limit: usize,
}

impl ForRun {
    fn enter() -> ForRun {
        FOR_RUN.with(|r| {
            let (depth, iterations) = r.get();
            r.set((depth + 1, if depth == 0 { 0 } else { iterations }));
        });
        ForRun {
            limit: crate::input::limits()
                .values
                .saturating_mul(crate::input::FOR_ITERATIONS_PER_VALUE),
        }
    }

    /// Count one iteration; an error once the outermost `for` has run more
    /// than its budget (fuzzing found `for`s four deep over `range(1024)`,
    /// 10^12 iterations: tests/fuzz/hcl/).
    fn step(&self) -> R<()> {
        let over = FOR_RUN.with(|r| {
            let (depth, iterations) = r.get();
            r.set((depth, iterations.saturating_add(1)));
            iterations >= self.limit
        });
        if over {
            return Err(EvalErr::Limit(format!(
                "a `for` expression runs more than {} iterations, nested `for`s included, the limit (docs/limits.md)",
                self.limit
            )));
        }
        Ok(())
    }
}

impl Drop for ForRun {
    fn drop(&mut self) {
        FOR_RUN.with(|r| {
            let (depth, iterations) = r.get();
            r.set((depth.saturating_sub(1), iterations));
        });
    }
}

/// An HCL identifier (hclsyntax.ValidIdentifier): a letter or `_`, then
/// letters, digits, `_` and `-`.
/// Functions that move values without looking into them: they keep the
/// marks of the values they move (cty's `AllowMarked` parameters), so a
/// sensitive attribute merged into a map leaves its neighbours in clear.
const MARK_KEEPING: &[&str] = &[
    "merge",
    "concat",
    "element",
    "lookup",
    "values",
    "reverse",
    "slice",
    "zipmap",
    "coalescelist",
    "ephemeralasnull",
];

fn is_identifier(s: &str) -> bool {
    functions::is_identifier(s)
}

fn soft<T>(msg: impl Into<String>) -> R<T> {
    Err(EvalErr::Soft(msg.into()))
}

/// Resolves the names an expression refers to: `var`, `local`, `module`,
/// `data`, `path`, `terraform`, resource types.
pub trait Resolver {
    /// Resolve `root` followed by `ops`. Returns the value and how many of
    /// the operators it consumed, or `None` when the name refers to
    /// something only known after apply (a resource attribute).
    ///
    /// The value is borrowed or shared where the resolver keeps it (input
    /// variables, memoized locals and module outputs): the caller walks the
    /// remaining operators on the borrow and copies only what it reaches.
    /// `var.services["m07"].size` used to copy the whole map of services.
    fn resolve<'r>(
        &'r self,
        root: &str,
        ops: &[TraversalOperator],
    ) -> R<Option<(Resolved<'r>, usize)>>;

    /// The directory relative paths in `file()` are resolved against
    /// (Terraform's working directory: the root module).
    fn base_dir(&self) -> &Path;

    /// A template string, parsed. Resolvers that evaluate the same code
    /// many times (a module's resources, once per instance) keep them.
    fn template(&self, t: &hcl::expr::TemplateExpr) -> R<Arc<Template>> {
        parse_template(t)
    }

    /// A function of the language around Terraform's (Terragrunt's
    /// `find_in_parent_folders`, `get_env`, ...), asked before Terraform's
    /// library with the arguments evaluated: `None` when the resolver has
    /// no function `name`. `whole` is the call, for an unknown's text.
    fn function(&self, _name: &str, _args: &[Value], _whole: &Expression) -> Option<R<Value>> {
        None
    }

    /// `ATTR` of the resource instance whose symbolic value reads
    /// `instance` (`aws_subnet.s[0]`, as the resolver made it), when its
    /// configuration sets `ATTR`: Terraform knows a configured argument at
    /// plan time, however the instance was reached (`aws_subnet.s[count.index]`,
    /// a splat, a `for`, `values(...)`). `None` leaves it symbolic. With
    /// `attr` empty: `Some` (an empty object) when `instance` is one.
    fn instance_attribute(&self, _instance: &str, _attr: &str) -> R<Option<Value>> {
        Ok(None)
    }
}

pub fn parse_template(t: &hcl::expr::TemplateExpr) -> R<Arc<Template>> {
    let text = match t {
        hcl::expr::TemplateExpr::QuotedString(s) => s.as_str(),
        hcl::expr::TemplateExpr::Heredoc(h) => h.template.as_str(),
    };
    let heredoc = matches!(t, hcl::expr::TemplateExpr::Heredoc(_));
    let indented = matches!(t, hcl::expr::TemplateExpr::Heredoc(h)
        if h.strip == hcl::expr::HeredocStripMode::Indent);
    if let Some(mut template) = super::fastparse::template(text) {
        if text.contains('~') {
            apply_strip_markers(&mut template, Strip::None, Strip::None, heredoc);
        }
        if indented {
            dedent_heredoc(&mut template);
        }
        return Ok(Arc::new(template));
    }
    // hcl-rs's `Template::from_expr`, with the literal `-0` kept negative.
    let mut template: hcl_edit::template::Template = text
        .parse()
        .map_err(|e| EvalErr::Soft(format!("invalid template: {e}")))?;
    super::parse::negative_zero_in_template(text, &mut template);
    let mut template = Template::from(template);
    if !heredoc {
        // hcl-edit decodes the escapes of a quoted template's top-level
        // text but keeps the text inside `%{if}`/`%{for}` as written
        // (`\n` as backslash-n). Terraform decodes it all before `~` strip
        // markers apply, so decode it here.
        for element in template.elements_mut() {
            if let Element::Directive(d) = element {
                decode_directive(d);
            }
        }
    }
    apply_strip_markers(&mut template, Strip::None, Strip::None, heredoc);
    if indented {
        dedent_heredoc(&mut template);
    }
    Ok(Arc::new(template))
}

/// Remove a `<<-` heredoc's indent the way HCL does (its
/// `flushHeredocTemplateParts`), on the text as written and after the strip
/// markers: the template is a sequence of tokens, each literal cut at its
/// line breaks; a token that starts a line counts its leading whitespace,
/// a line of whitespace only is blank and does not count, and any other
/// token that starts a line (`${`, `%{`) counts zero. The least count is
/// then removed from every counted literal. A literal a strip marker
/// emptied still counts (zero), as in HCL, and so does text after a
/// marker that took its line break: it no longer starts a line.
fn dedent_heredoc(template: &mut Template) {
    /// `visit` walks the tokens in order; `on_line_start` gets each literal
    /// token that starts a line (`None` for any other token).
    fn visit(
        template: &mut Template,
        at_line_start: &mut bool,
        on_line_start: &mut dyn FnMut(Option<&str>) -> Option<String>,
    ) {
        /// A `${`, `%{` tag: a token that is not a literal.
        fn tag(
            at_line_start: &mut bool,
            on_line_start: &mut dyn FnMut(Option<&str>) -> Option<String>,
        ) {
            if std::mem::take(at_line_start) {
                on_line_start(None);
            }
        }
        for element in template.elements_mut() {
            match element {
                Element::Literal(lit) => {
                    let mut out = String::with_capacity(lit.len());
                    let mut changed = false;
                    let tokens: Vec<&str> = if lit.is_empty() {
                        vec![""]
                    } else {
                        lit.split_inclusive('\n').collect()
                    };
                    for token in tokens {
                        let mut kept = token;
                        let mut replaced = None;
                        if std::mem::take(at_line_start) {
                            replaced = on_line_start(Some(token));
                        }
                        if let Some(r) = &replaced {
                            changed = true;
                            kept = r;
                        }
                        out.push_str(kept);
                        if token.ends_with('\n') {
                            *at_line_start = true;
                        }
                    }
                    if changed {
                        *lit = out;
                    }
                }
                Element::Interpolation(_) => tag(at_line_start, on_line_start),
                Element::Directive(d) => match &mut **d {
                    Directive::If(dir) => {
                        tag(at_line_start, on_line_start);
                        visit(&mut dir.true_template, at_line_start, on_line_start);
                        if let Some(f) = &mut dir.false_template {
                            tag(at_line_start, on_line_start);
                            visit(f, at_line_start, on_line_start);
                        }
                        tag(at_line_start, on_line_start);
                    }
                    Directive::For(dir) => {
                        tag(at_line_start, on_line_start);
                        visit(&mut dir.template, at_line_start, on_line_start);
                        tag(at_line_start, on_line_start);
                    }
                },
            }
        }
    }
    let blank = |t: &str| t.ends_with('\n') && t.trim_start().is_empty();
    let leading = |t: &str| t.chars().take_while(|c| c.is_whitespace()).count();
    let mut least = usize::MAX;
    visit(template, &mut true, &mut |token| {
        match token {
            Some(t) if blank(t) => {}
            Some(t) => least = least.min(leading(t)),
            None => least = 0,
        }
        None
    });
    if least == 0 || least == usize::MAX {
        return;
    }
    visit(template, &mut true, &mut |token| match token {
        Some(t) if !blank(t) => {
            let cut: usize = t.chars().take(least).map(char::len_utf8).sum();
            Some(t[cut..].to_string())
        }
        _ => None,
    });
}

/// Apply a template's `~` strip markers to the literals next to them, as
/// HCL does when it parses the template, and clear the markers (so
/// evaluation, which would strip again, leaves the literals alone).
/// `prev` and `next` are the markers of the tags around `template` (a
/// directive's body). HCL trims all whitespace of the literal token next
/// to a marker: in a quoted string the literal is one token; in a heredoc
/// each line is one (so `%{~` after indentation trims the indentation, not
/// the line break before it).
fn apply_strip_markers(template: &mut Template, prev: Strip, next: Strip, heredoc: bool) {
    let strips: Vec<Strip> = template.elements().iter().map(element_strip).collect();
    let len = strips.len();
    for (i, elem) in template.elements_mut().iter_mut().enumerate() {
        let before = if i == 0 { prev } else { strips[i - 1] };
        let after = if i + 1 == len { next } else { strips[i + 1] };
        match elem {
            Element::Literal(lit) => {
                trim_for_markers(lit, before.strip_end(), after.strip_start(), heredoc)
            }
            Element::Interpolation(interp) => interp.strip = Strip::None,
            Element::Directive(d) => match &mut **d {
                Directive::If(dir) => {
                    let ends_true = if dir.false_template.is_some() {
                        dir.else_strip
                    } else {
                        dir.endif_strip
                    };
                    apply_strip_markers(&mut dir.true_template, dir.if_strip, ends_true, heredoc);
                    if let Some(f) = &mut dir.false_template {
                        apply_strip_markers(f, dir.else_strip, dir.endif_strip, heredoc);
                    }
                    dir.if_strip = Strip::None;
                    dir.else_strip = Strip::None;
                    dir.endif_strip = Strip::None;
                }
                Directive::For(dir) => {
                    apply_strip_markers(
                        &mut dir.template,
                        dir.for_strip,
                        dir.endfor_strip,
                        heredoc,
                    );
                    dir.for_strip = Strip::None;
                    dir.endfor_strip = Strip::None;
                }
            },
        }
    }
}

/// Trim a literal for the strip markers around it (see
/// [`apply_strip_markers`]).
fn trim_for_markers(lit: &mut String, start: bool, end: bool, heredoc: bool) {
    if start {
        // The first token: the whole literal, or in a heredoc its first
        // line with the line break.
        let first_end = match lit.find('\n') {
            Some(at) if heredoc => at + 1,
            _ => lit.len(),
        };
        let kept = lit[..first_end].trim_start().len();
        lit.drain(..first_end - kept);
    }
    if end {
        // The last token: the whole literal, or in a heredoc its last line
        // (with its line break when the literal ends with one).
        let body = lit.strip_suffix('\n').unwrap_or(lit);
        let last_start = match body.rfind('\n') {
            Some(at) if heredoc => at + 1,
            _ => 0,
        };
        let kept = lit[last_start..].trim_end().len();
        lit.truncate(last_start + kept);
    }
}

fn decode_directive(d: &mut Directive) {
    match d {
        Directive::If(dir) => {
            decode_escapes_in(&mut dir.true_template);
            if let Some(f) = &mut dir.false_template {
                decode_escapes_in(f);
            }
        }
        Directive::For(dir) => decode_escapes_in(&mut dir.template),
    }
}

fn decode_escapes_in(template: &mut Template) {
    for element in template.elements_mut() {
        match element {
            Element::Literal(lit) if lit.contains('\\') => *lit = decode_escapes(lit),
            Element::Directive(d) => decode_directive(d),
            _ => {}
        }
    }
}

/// HCL's string escapes: `\n`, `\r`, `\t`, `\"`, `\\`, `\uNNNN`,
/// `\UNNNNNNNN`. Anything else after a backslash is kept as written.
fn decode_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (decoded, used) = match after.as_bytes().first() {
            Some(b'n') => (Some('\n'), 1),
            Some(b'r') => (Some('\r'), 1),
            Some(b't') => (Some('\t'), 1),
            Some(b'"') => (Some('"'), 1),
            Some(b'\\') => (Some('\\'), 1),
            Some(b'u') => (hex_char(after.get(1..5)), 5),
            Some(b'U') => (hex_char(after.get(1..9)), 9),
            _ => (None, 0),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn hex_char(digits: Option<&str>) -> Option<char> {
    let digits = digits?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    char::from_u32(u32::from_str_radix(digits, 16).ok()?)
}

/// A value a [`Resolver`] found: borrowed from it, shared with its memo
/// tables, or built for this one use.
pub enum Resolved<'r> {
    Borrowed(&'r Value),
    Shared(Arc<Value>),
    Owned(Value),
}

impl Resolved<'_> {
    pub fn get(&self) -> &Value {
        match self {
            Resolved::Borrowed(v) => v,
            Resolved::Shared(v) => v,
            Resolved::Owned(v) => v,
        }
    }
}

/// An evaluation scope: a resolver plus local bindings (`each`, `count`,
/// `self`, for-expression variables, template variables).
pub struct Scope<'a> {
    pub resolver: &'a dyn Resolver,
    bindings: Vec<(String, Value)>,
    /// In `templatefile`, only the given variables are visible.
    isolated: bool,
    /// In `templatestring`, Terraform refuses the functions that read files
    /// and the template functions.
    no_files: bool,
    /// In `provider::terraform::decode_tfvars`, as in a `.tfvars` file, no
    /// function may be called.
    no_calls: bool,
    /// A sensitive value took part in the template or `for` being
    /// evaluated: its result is marked (see [`Value::Marked`]).
    tainted: bool,
}

impl<'a> Scope<'a> {
    pub fn new(resolver: &'a dyn Resolver) -> Self {
        Scope {
            resolver,
            bindings: Vec::new(),
            isolated: false,
            no_files: false,
            no_calls: false,
            tainted: false,
        }
    }

    pub fn bind(mut self, name: &str, value: Value) -> Self {
        self.bindings.push((name.to_string(), value));
        self
    }

    /// The current depth of local bindings, for [`Scope::reset`].
    pub fn mark(&self) -> usize {
        self.bindings.len()
    }

    pub fn push(&mut self, name: &str, value: Value) {
        self.bindings.push((name.to_string(), value));
    }

    pub fn reset(&mut self, mark: usize) {
        self.bindings.truncate(mark);
    }

    fn lookup_binding(&self, name: &str) -> Option<&Value> {
        self.bindings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    pub fn eval(&mut self, expr: &Expression) -> R<Value> {
        match expr {
            Expression::Null => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b)),
            Expression::Number(n) => Ok(number_literal(n)),
            // NFC, as cty makes every string (`functions::nfc`).
            Expression::String(s) => Ok(Value::String(functions::nfc(s.clone()))),
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.eval(item)?);
                }
                Ok(Value::List(out))
            }
            Expression::Object(object) => {
                // Sorted once at the end; the last of repeated keys wins.
                let mut out = Vec::with_capacity(object.len());
                // A sensitive key makes the whole object sensitive.
                let mut marked = false;
                for (key, value) in object {
                    let key = match key {
                        ObjectKey::Identifier(id) => id.to_string(),
                        ObjectKey::Expression(e) => match self.eval(e)?.unmark_deep() {
                            (k, true) if !marked => {
                                marked = true;
                                match k {
                                    Value::String(s) => s,
                                    Value::Number(n) => crate::model::value::format_number(n),
                                    Value::BigNumber(b) => b.text(),
                                    Value::Bool(b) => b.to_string(),
                                    Value::Unknown(_) => return Ok(unknown(expr).mark()),
                                    _ => return soft("object key must be a string"),
                                }
                            }
                            (k, _) => match k {
                                Value::String(s) => s,
                                Value::Number(n) => crate::model::value::format_number(n),
                                Value::BigNumber(b) => b.text(),
                                Value::Bool(b) => b.to_string(),
                                Value::Unknown(_) => return Ok(unknown(expr)),
                                other => {
                                    return soft(format!(
                                        "object key must be a string, found {}",
                                        other.type_name()
                                    ))
                                }
                            },
                        },
                        _ => return soft("unsupported object key"),
                    };
                    // Terraform keeps the last of repeated keys; the parser
                    // marked the repeats (see `parse::REPEATED_KEY_MARK`).
                    let key = match key.strip_prefix(super::parse::REPEATED_KEY_MARK) {
                        Some(original) => original.to_string(),
                        None => key,
                    };
                    out.push((key, self.eval(value)?));
                }
                let object = Value::Map(out.into_iter().collect());
                Ok(if marked { object.mark() } else { object })
            }
            Expression::TemplateExpr(t) => {
                let template = self.resolver.template(t)?;
                self.eval_template_value(&template)
            }
            Expression::Variable(v) => self.eval_traversal(expr, v.as_str(), &[]),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => self.eval_traversal(expr, v.as_str(), &t.operators),
                inner => {
                    let base = self.eval(inner)?;
                    self.apply_ops(expr, base, &t.operators)
                }
            },
            Expression::FuncCall(call) => match super::fastparse::big_literal(call) {
                Some(text) => Ok(Value::parse_number(text).unwrap_or(Value::Number(f64::NAN))),
                None => self.eval_call(expr, call),
            },
            Expression::Parenthesis(inner) => self.eval(inner),
            Expression::Conditional(c) => match self.eval(&c.cond_expr)? {
                // A sensitive condition makes the result sensitive.
                Value::Marked(cond) => {
                    let (cond, _) = cond.unmark_deep();
                    self.conditional_on(c, cond).map(Value::mark)
                }
                cond => self.conditional_on(c, cond),
            },
            Expression::Operation(op) => match op.as_ref() {
                hcl::expr::Operation::Unary(u) => {
                    let (v, marked) = self.eval(&u.expr)?.unmark_deep();
                    if marked {
                        return unary(u.operator, v).map(Value::mark);
                    }
                    unary(u.operator, v)
                }
                hcl::expr::Operation::Binary(b) => {
                    // An operand's marks go to the result (cty's operators).
                    let (l, lm) = self.eval(&b.lhs_expr)?.unmark_deep();
                    let mark = |v: Value, m: bool| if m { v.mark() } else { v };
                    // Short-circuit like Terraform does for known operands.
                    match (b.operator, &l) {
                        (BinaryOperator::And, Value::Bool(false)) => {
                            return Ok(mark(Value::Bool(false), lm))
                        }
                        (BinaryOperator::Or, Value::Bool(true)) => {
                            return Ok(mark(Value::Bool(true), lm))
                        }
                        _ => {}
                    }
                    let (r, rm) = self.eval(&b.rhs_expr)?.unmark_deep();
                    binary(b.operator, l, r).map(|v| mark(v, lm || rm))
                }
            },
            Expression::ForExpr(f) => self.eval_for(expr, f),
            _ => soft("unsupported expression"),
        }
    }

    /// A conditional with its (unmarked) condition already evaluated.
    fn conditional_on(&mut self, c: &hcl::expr::Conditional, cond: Value) -> R<Value> {
        match cond {
            Value::Bool(true) => self.conditional_result(&c.true_expr, &c.false_expr),
            Value::Bool(false) => self.conditional_result(&c.false_expr, &c.true_expr),
            Value::String(s) if s == "true" => self.conditional_result(&c.true_expr, &c.false_expr),
            Value::String(s) if s == "false" => {
                self.conditional_result(&c.false_expr, &c.true_expr)
            }
            Value::Unknown(_) => {
                // Both branches equal means the condition does not matter.
                let t = self.eval(&c.true_expr)?;
                let f = self.eval(&c.false_expr)?;
                if t == f {
                    return Ok(t);
                }
                // The branches as evaluated, not as written: with the
                // source text, `id != "" ? var.big : var.small` compared
                // equal across environments whatever the variables held.
                // Written from the values, so marked whole when one is.
                let (t, tm) = t.unmark_deep();
                let (f, fm) = f.unmark_deep();
                let text = Value::Unknown(format!(
                    "{} ? {} : {}",
                    literal(&cond),
                    literal(&t),
                    literal(&f)
                ));
                Ok(if tm || fm { text.mark() } else { text })
            }
            other => soft(format!(
                "condition must be a bool, found {}",
                other.type_name()
            )),
        }
    }

    /// The result of a conditional whose condition chose `chosen`: its
    /// value converted to the type both results unify to, as HCL does
    /// (`true ? 1 : "x"` is "1"; `convert.UnifyUnsafe`). HCL evaluates both
    /// results; the other one here only when the conversion could change
    /// the chosen value (it holds a number or a bool) and its type is not
    /// plain from the syntax. An error or an unknown in the other result
    /// leaves the chosen value as it is, as Terraform's dynamic type does.
    fn conditional_result(&mut self, chosen: &Expression, other: &Expression) -> R<Value> {
        // A marked result converts as its value does, and stays marked.
        let (mut v, marked) = match self.eval(chosen)? {
            Value::Marked(inner) => (*inner, true),
            v => (v, false),
        };
        let mark = |v: Value| if marked { v.mark() } else { v };
        if !functions::has_convertible(&v) {
            return Ok(mark(v));
        }
        let other_ty = match other {
            Expression::Null => return Ok(mark(v)),
            Expression::String(_) => functions::Ty::String,
            Expression::Number(_) => functions::Ty::Number,
            Expression::FuncCall(call) if super::fastparse::big_literal(call).is_some() => {
                functions::Ty::Number
            }
            Expression::Bool(_) => functions::Ty::Bool,
            other => match self.eval(other) {
                Ok(o) if !o.contains_unknown() => functions::Ty::of(&o),
                _ => return Ok(mark(v)),
            },
        };
        if let Some(ty) = functions::unify_types(&functions::Ty::of(&v), &other_ty) {
            functions::convert_to(&mut v, &ty);
        }
        Ok(mark(v))
    }

    fn eval_traversal(
        &mut self,
        whole: &Expression,
        root: &str,
        ops: &[TraversalOperator],
    ) -> R<Value> {
        if let Some(binding) = self.lookup_binding(root) {
            // Attribute accesses walk the borrow (`each.value.cidr` copies the
            // CIDR, not all of `each`); the rest continues on a copy.
            let mut cur = binding;
            let mut walked = 0;
            for op in ops {
                let next = match (op, cur) {
                    (TraversalOperator::GetAttr(name), Value::Map(m)) => m.get(name.as_str()),
                    (TraversalOperator::LegacyIndex(n), Value::List(items)) => {
                        usize::try_from(*n).ok().and_then(|n| items.get(n))
                    }
                    _ => None,
                };
                match next {
                    Some(v) => cur = v,
                    None => break,
                }
                walked += 1;
            }
            let v = cur.clone();
            return self.apply_ops(whole, v, &ops[walked..]);
        }
        if self.isolated {
            return soft(format!("unknown variable `{root}` in template"));
        }
        let resolver = self.resolver;
        match resolver.resolve(root, ops)? {
            Some((Resolved::Owned(value), consumed)) => {
                let rest = ops.get(consumed..).unwrap_or(&[]);
                self.apply_ops(whole, value, rest)
            }
            Some((value, consumed)) => {
                let rest = ops.get(consumed..).unwrap_or(&[]);
                self.apply_ops_ref(whole, value.get(), rest)
            }
            None => Ok(unknown(whole)),
        }
    }

    /// The rest of a traversal applied to a symbolic value, written into
    /// one string. Keeps the reference precise: `aws_subnet.private`
    /// indexed by a known key reads `aws_subnet.private["a"].id`.
    fn extend_unknown(
        &mut self,
        whole: &Expression,
        text: &str,
        ops: &[TraversalOperator],
    ) -> R<Value> {
        use std::fmt::Write as _;
        // A resource instance reached by a computed key, a splat or a `for`:
        // an argument its configuration sets is known.
        match ops.first() {
            Some(TraversalOperator::GetAttr(attr)) => {
                if let Some(v) = self.resolver.instance_attribute(text, attr)? {
                    return self.apply_ops(whole, v, &ops[1..]);
                }
            }
            // A splat of one instance (an object) is a list of it:
            // `aws_vpc.main[*].cidr_block`.
            Some(TraversalOperator::AttrSplat | TraversalOperator::FullSplat)
                if self.resolver.instance_attribute(text, "")?.is_some() =>
            {
                let one = self.apply_ops(whole, Value::Unknown(text.to_string()), &ops[1..])?;
                return Ok(Value::List(vec![one]));
            }
            _ => {}
        }
        let mut out = String::with_capacity(text.len() + 16 * ops.len());
        out.push_str(text);
        for op in ops {
            match op {
                TraversalOperator::GetAttr(name) => {
                    out.push('.');
                    out.push_str(name.as_str());
                }
                TraversalOperator::LegacyIndex(n) => {
                    let _ = write!(out, "[{n}]");
                }
                TraversalOperator::Index(idx) => match self.eval(idx)? {
                    Value::String(k) => {
                        out.push('[');
                        out.push_str(&serde_json::Value::String(k).to_string());
                        out.push(']');
                    }
                    n @ (Value::Number(_) | Value::BigNumber(_)) => {
                        out.push('[');
                        out.push_str(&n.number_text().unwrap_or_default());
                        out.push(']');
                    }
                    _ => return Ok(unknown(whole)),
                },
                // Keep going: `aws_subnet.x[*].id`, not the text of the
                // whole expression (which may name a local).
                TraversalOperator::AttrSplat | TraversalOperator::FullSplat => out.push_str("[*]"),
            }
        }
        Ok(Value::Unknown(out))
    }

    /// [`Scope::apply_ops`] on a borrowed value: attribute access and
    /// indexing walk the borrow; only the part reached is copied. Anything
    /// else (splats, symbolic values, errors) continues on a copy of the
    /// current part, with the same results as the owned walk.
    fn apply_ops_ref(
        &mut self,
        whole: &Expression,
        base: &Value,
        ops: &[TraversalOperator],
    ) -> R<Value> {
        let mut cur = base;
        for (i, op) in ops.iter().enumerate() {
            // A list or map is walked as its elements (a set and a splat
            // continue on the owned walk, which knows them).
            if let Value::Typed(TfType::List | TfType::Map, inner) = cur {
                if !matches!(
                    op,
                    TraversalOperator::AttrSplat | TraversalOperator::FullSplat
                ) {
                    cur = inner;
                }
            }
            let next = match (op, cur) {
                (_, Value::Unknown(text)) => return self.extend_unknown(whole, text, &ops[i..]),
                // What is taken out of a sensitive value is sensitive.
                (_, Value::Marked(inner)) => {
                    return self.apply_ops_ref(whole, inner, &ops[i..]).map(Value::mark)
                }
                (TraversalOperator::GetAttr(name), Value::Map(m)) => m.get(name.as_str()),
                (TraversalOperator::LegacyIndex(n), Value::List(items)) => {
                    usize::try_from(*n).ok().and_then(|n| items.get(n))
                }
                (TraversalOperator::Index(idx), Value::List(_) | Value::Map(_)) => {
                    let key = self.eval(idx)?;
                    let found = match (cur, &key) {
                        (Value::List(items), Value::Number(n)) if *n >= 0.0 && n.fract() == 0.0 => {
                            items.get(*n as usize)
                        }
                        (Value::Map(m), Value::String(k)) => m.get(k.as_str()),
                        _ => None,
                    };
                    match found {
                        Some(v) => Some(v),
                        // Errors, conversions and unknown keys: as the owned walk.
                        None => {
                            let v = index(whole, cur.clone(), &key)?;
                            return self.apply_ops(whole, v, &ops[i + 1..]);
                        }
                    }
                }
                _ => None,
            };
            match next {
                Some(v) => cur = v,
                None => return self.apply_ops(whole, cur.clone(), &ops[i..]),
            }
        }
        Ok(cur.clone())
    }

    /// Apply attribute access, indexing and splats.
    fn apply_ops(
        &mut self,
        whole: &Expression,
        base: Value,
        ops: &[TraversalOperator],
    ) -> R<Value> {
        let mut cur = base;
        for (i, op) in ops.iter().enumerate() {
            if let Value::Unknown(text) = &cur {
                return self.extend_unknown(whole, text, &ops[i..]);
            }
            if let Value::Marked(inner) = cur {
                return self.apply_ops(whole, *inner, &ops[i..]).map(Value::mark);
            }
            // A list, set or map: as its elements, but a set has no index,
            // and a splat of one is a list.
            let mut typed = false;
            if let Value::Typed(t, inner) = cur {
                if t == TfType::Set
                    && matches!(
                        op,
                        TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)
                    )
                {
                    return soft(SET_INDEX);
                }
                typed = true;
                cur = *inner;
            }
            cur = match op {
                TraversalOperator::GetAttr(name) => match cur {
                    Value::Map(mut m) => match m.remove(name.as_str()) {
                        Some(v) => v,
                        None => return soft(format!("object has no attribute `{name}`")),
                    },
                    Value::Null => {
                        return soft(format!("attempt to get attribute `{name}` from null"))
                    }
                    other => {
                        return soft(format!(
                            "cannot get attribute `{name}` from a {}",
                            other.type_name()
                        ))
                    }
                },
                TraversalOperator::Index(idx) => {
                    let key = self.eval(idx)?;
                    index(whole, cur, &key)?
                }
                TraversalOperator::LegacyIndex(n) => index(whole, cur, &Value::Number(*n as f64))?,
                TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                    let items = match cur {
                        Value::List(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply_ops(whole, item, rest)?);
                    }
                    return Ok(if typed {
                        Value::typed(TfType::List, Value::List(out))
                    } else {
                        Value::List(out)
                    });
                }
            };
        }
        Ok(cur)
    }

    fn eval_call(&mut self, whole: &Expression, call: &hcl::expr::FuncCall) -> R<Value> {
        let name = call.name.name.as_str();
        if self.no_calls {
            return soft("Function calls not allowed; Functions may not be called here.");
        }
        match name {
            "try" => {
                let mut last = None;
                for arg in &call.args {
                    match self.eval(arg) {
                        Ok(v) => return Ok(v),
                        Err(e @ EvalErr::Soft(_)) => last = Some(e),
                        Err(e) => return Err(e),
                    }
                }
                return Err(last
                    .unwrap_or_else(|| EvalErr::Soft("try: no expression succeeded".to_string())));
            }
            "can" => {
                let Some(arg) = call.args.first() else {
                    return soft("can: expects 1 argument");
                };
                return match self.eval(arg) {
                    Ok(v) if v.unmarked().is_unknown() => Ok(unknown(whole)),
                    Ok(_) => Ok(Value::Bool(true)),
                    Err(EvalErr::Soft(_)) => Ok(Value::Bool(false)),
                    Err(e) => Err(e),
                };
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            args.push(self.eval(arg)?);
        }
        // The function computes on values without Terraform's types
        // (`Value::Typed`); its result gets the type Terraform's gives.
        let ty = result_type(name, &args);
        let result = self.call_with_marks(whole, call, args);
        match (ty, result) {
            (Some(t), Ok(v)) => Ok(with_type(v, t)),
            (_, result) => result,
        }
    }

    /// [`Scope::eval_call`] on evaluated arguments: sensitivity marks and
    /// types handled, then the function called.
    fn call_with_marks(
        &mut self,
        whole: &Expression,
        call: &hcl::expr::FuncCall,
        mut args: Vec<Value>,
    ) -> R<Value> {
        let name = call.name.name.as_str();
        // A private key is a secret: marked before anything is written from
        // it (`rsadecrypt(aws_instance.x.password_data, file("k.pem"))` is
        // symbolic, its text written from the arguments), so the result
        // is marked and compared by hash.
        if name == "rsadecrypt" {
            if let Some(key) = args.get_mut(1) {
                *key = std::mem::take(key).mark();
            }
        }
        // Sensitivity, as Terraform marks it.
        if let ("sensitive" | "nonsensitive" | "issensitive", [_]) = (name, args.as_slice()) {
            let arg = args.pop().unwrap_or_default();
            return Ok(match name {
                "sensitive" => arg.mark(),
                "nonsensitive" => arg.unmark_deep().0,
                _ => Value::Bool(arg.is_marked()),
            });
        }
        if let Some(refused) = super::typing::refuses_set(name, &args) {
            return soft(refused);
        }
        if args.iter().any(Value::contains_typed) {
            args = args
                .into_iter()
                .map(|a| match a {
                    // `format` prints a null of a type ("null") where an
                    // untyped null makes its result null: the one function
                    // that tells them apart.
                    a @ Value::Typed(..) if name == "format" && a.is_null() => a,
                    a => a.untyped(),
                })
                .collect();
        }
        if args.iter().any(Value::contains_marked) {
            // As cty calls a function: on the values without their marks,
            // the result marked with all of them. The functions that only
            // move values around keep the marks of what they move (a
            // `merge` with one sensitive attribute has that one sensitive,
            // as in Terraform); only an argument's own mark goes to the
            // result.
            // (A symbolic result is written from its arguments: then it
            // is marked whole.)
            let keeps = MARK_KEEPING.contains(&name) && !args.iter().any(Value::contains_unknown);
            let mut marked = false;
            let args: Vec<Value> = args
                .into_iter()
                .map(|a| match a {
                    Value::Marked(inner) if keeps => {
                        marked = true;
                        *inner
                    }
                    a if keeps => a,
                    a => {
                        let (v, m) = a.unmark_deep();
                        marked |= m;
                        v
                    }
                })
                .collect();
            return match self.call_evaluated(whole, call, args) {
                Ok(v) if marked => Ok(v.mark()),
                Ok(v) => Ok(v),
                // Its message may quote an argument.
                Err(EvalErr::Soft(_)) if marked => soft(format!(
                    "{name}: invalid arguments (a sensitive one, not shown)"
                )),
                Err(e) => Err(e),
            };
        }
        self.call_evaluated(whole, call, args)
    }

    /// A function call on evaluated arguments without marks (see
    /// [`Scope::eval_call`]).
    fn call_evaluated(
        &mut self,
        whole: &Expression,
        call: &hcl::expr::FuncCall,
        mut args: Vec<Value>,
    ) -> R<Value> {
        let name = call.name.name.as_str();
        if call.expand_final {
            match args.pop() {
                Some(Value::List(items)) => args.extend(items),
                Some(last @ Value::Unknown(_)) => {
                    args.push(last);
                    return Ok(call_text(call, &args, true));
                }
                Some(other) => {
                    return soft(format!(
                        "{name}: the final argument expanded with `...` must be a list, found {}",
                        other.type_name()
                    ))
                }
                None => {}
            }
        }
        if let Some(answer) = self.resolver.function(name, &args, whole) {
            return answer;
        }
        // Terraform's built-in provider (`provider::terraform::encode_expr`).
        let builtin_provider = matches!(call.name.namespace.as_slice(), [p, t] if p.as_str() == "provider" && t.as_str() == "terraform")
            && functions::PROVIDER_TERRAFORM.contains(&name);
        if !call.name.namespace.is_empty() && !builtin_provider {
            // provider::aws::arn_parse and friends: provider functions are
            // not known to us, but they are valid Terraform.
            return Ok(call_text(call, &args, false));
        }
        // Encoders render nested unknowns as "${expr}" so a policy built
        // with jsonencode around a resource ARN stays comparable.
        if matches!(name, "jsonencode" | "yamlencode") {
            args = args.iter().map(symbolic_strings).collect();
        }
        if args.iter().any(Value::is_unknown) {
            // Arguments as evaluated: `merge(aws_vpc.main.tags, var.tags)`
            // must differ when var.tags does.
            return Ok(call_text(call, &args, false));
        }
        if builtin_provider {
            if name == "decode_tfvars" {
                return self.decode_tfvars(args);
            }
            return match functions::call_provider_terraform(name, &args) {
                Ok(Value::String(s)) => Ok(Value::String(functions::nfc(s))),
                Ok(v) => Ok(v),
                Err(FnError::Unknown) => Ok(call_text(call, &args, false)),
                Err(e) => Err(EvalErr::Soft(e.to_string())),
            };
        }
        if self.no_files {
            if matches!(name, "templatefile" | "templatestring") {
                return soft(format!(
                    "{name}: cannot recursively call {name} from inside another template function"
                ));
            }
            if super::functions::FILE_FUNCTIONS.contains(&name) {
                return soft(format!("{name}: cannot use filesystem access functions like {name} in templatestring templates; consider passing the function result as a template variable instead"));
            }
        }
        match name {
            "file" | "fileexists" | "templatefile" | "abspath" | "dirname" | "basename"
            | "pathexpand" | "filebase64" | "filemd5" | "filesha1" | "filesha256"
            | "filesha512" | "filebase64sha256" | "filebase64sha512" | "fileset" => {
                return self.file_function(whole, name, args)
            }
            "templatestring" => return self.templatestring(call, args),
            _ => {}
        }
        // Kept only to name a nested unknown in the result's text.
        let nested = args
            .iter()
            .any(Value::contains_unknown)
            .then(|| args.clone());
        match functions::call(name, args) {
            Ok(Value::String(s)) => Ok(Value::String(functions::nfc(s))),
            Ok(v) => Ok(v),
            Err(FnError::Unknown) => Ok(match &nested {
                Some(args) => call_text(call, args, false),
                None => unknown(whole),
            }),
            Err(FnError::UnknownFunction(n)) => Err(EvalErr::UnknownFunction(n)),
            Err(e @ FnError::Invalid { .. }) => Err(EvalErr::Soft(e.to_string())),
        }
    }

    fn file_function(&mut self, whole: &Expression, name: &str, args: Vec<Value>) -> R<Value> {
        let path_arg = match args.first() {
            Some(Value::String(s)) => s.clone(),
            _ => return soft(format!("{name}: expects a path string as first argument")),
        };
        let base = self.resolver.base_dir();
        let path = base.join(&path_arg);
        match name {
            "fileexists" => Ok(Value::Bool(path.is_file())),
            "abspath" => Ok(Value::String(path.to_string_lossy().into_owned())),
            "pathexpand" => Ok(Value::String(path_arg)),
            "dirname" => Ok(Value::String(
                Path::new(&path_arg)
                    .parent()
                    .map(|p| p.to_string_lossy().into_owned())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| ".".into()),
            )),
            "basename" => Ok(Value::String(
                Path::new(&path_arg)
                    .file_name()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )),
            "fileset" => {
                let Some(Value::String(pattern)) = args.get(1) else {
                    return soft("fileset: expects a pattern string as second argument");
                };
                match functions::fileset(base, &path_arg, pattern, crate::input::limits().values) {
                    Ok(paths) => Ok(Value::List(paths.into_iter().map(Value::String).collect())),
                    Err(functions::Glob::OrderDependent) => Ok(unknown(whole)),
                    Err(functions::Glob::Error(e) | functions::Glob::Limit(e)) => {
                        soft(format!("fileset: {e}"))
                    }
                }
            }
            "filebase64" | "filemd5" | "filesha1" | "filesha256" | "filesha512"
            | "filebase64sha256" | "filebase64sha512" => {
                // Terraform digests the bytes: the file need not be UTF-8.
                let bytes = match crate::input::read(&path, crate::input::limits().function_file) {
                    Ok(b) => b,
                    Err(e) => return soft(format!("{name}: cannot read {path_arg}: {e}")),
                };
                functions::file_digest(name, &bytes)
                    .map(Value::String)
                    .ok_or_else(|| EvalErr::Soft(format!("{name}: not a file digest function")))
            }
            _ => {
                let text =
                    match crate::input::read_text(&path, crate::input::limits().function_file) {
                        Ok(t) => t,
                        Err(e) => return soft(format!("{name}: cannot read {path_arg}: {e}")),
                    };
                match name {
                    "file" => Ok(Value::String(text)),
                    _ => {
                        // templatefile(path, vars): only `vars` are visible.
                        let vars = match args.get(1) {
                            Some(Value::Map(m)) => m.clone(),
                            None | Some(Value::Null) => crate::model::Map::new(),
                            Some(_) => return soft("templatefile: vars must be an object"),
                        };
                        let template: Template = text.parse().map_err(|e| {
                            EvalErr::Soft(format!("templatefile: invalid template {path_arg}: {e}"))
                        })?;
                        // A template that renders itself (directly or
                        // through others) recursed until the stack
                        // overflowed: the chain is kept per thread (a
                        // template is rendered on the thread that calls it).
                        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                        let chain = TEMPLATES.with(|t| {
                            let t = t.borrow();
                            let closes = t.iter().any(|(k, _)| *k == key);
                            (closes || t.len() >= crate::input::TEMPLATE_DEPTH).then(|| {
                                let mut names: Vec<&str> =
                                    t.iter().map(|(_, n)| n.as_str()).collect();
                                names.push(&path_arg);
                                (closes, names.join(" -> "))
                            })
                        });
                        if let Some((closes, chain)) = chain {
                            return Err(EvalErr::Limit(if closes {
                                format!("templatefile: template recursion: {chain}: a template that renders itself never ends")
                            } else {
                                format!(
                                    "templatefile: templates nested more than {} deep: {chain}",
                                    crate::input::TEMPLATE_DEPTH
                                )
                            }));
                        }
                        let mut scope = Scope {
                            resolver: self.resolver,
                            bindings: vars.into_iter().collect(),
                            isolated: true,
                            no_files: false,
                            no_calls: false,
                            tainted: false,
                        };
                        TEMPLATES.with(|t| t.borrow_mut().push((key, path_arg.clone())));
                        let result = scope.eval_template_value(&template);
                        TEMPLATES.with(|t| t.borrow_mut().pop());
                        result
                    }
                }
            }
        }
    }

    /// `provider::terraform::decode_tfvars(text)`: the attributes of a
    /// `.tfvars` text as an object. As Terraform evaluates a `.tfvars` file:
    /// constant expressions only (operators, templates, conditionals, `for`
    /// over literals), no variable, no function call, no block, no
    /// attribute twice.
    fn decode_tfvars(&mut self, args: Vec<Value>) -> R<Value> {
        const NAME: &str = "provider::terraform::decode_tfvars";
        let text = match args.as_slice() {
            [Value::String(s)] => s,
            [Value::Null] => {
                return soft(format!("{NAME}: cannot decode tfvars from a null value"))
            }
            [_] => return soft(format!("{NAME}: argument must be a string")),
            _ => return soft(format!("{NAME}: expects 1 argument, got {}", args.len())),
        };
        let display = "<decode_tfvars argument>";
        let file = super::parse::parse_hcl(text, Path::new(display), display).map_err(|e| {
            EvalErr::Soft(format!(
                "{NAME}: invalid tfvars syntax: {display}:{},{}: {}",
                e.line, e.column, e.message
            ))
        })?;
        if let Some(block) = file.body.blocks.first() {
            return soft(format!(
                "{NAME}: invalid tfvars content: Unexpected \"{}\" block; Blocks are not allowed here.",
                block.kind
            ));
        }
        let mut scope = Scope {
            resolver: self.resolver,
            bindings: Vec::new(),
            isolated: true,
            no_files: true,
            no_calls: true,
            tainted: false,
        };
        let mut out = crate::model::Map::new();
        for attr in &file.body.attributes {
            let value = scope.eval(&attr.expr).map_err(|e| match e {
                EvalErr::Soft(m) => EvalErr::Soft(format!(
                    "{NAME}: invalid expression for variable {:?}: {m}",
                    attr.name
                )),
                e => e,
            })?;
            if out.insert(attr.name.clone(), value).is_some() {
                return soft(format!(
                    "{NAME}: invalid tfvars content: Attribute redefined; The argument {:?} was already set.",
                    attr.name
                ));
            }
        }
        Ok(Value::Map(out))
    }

    /// `templatestring(template, vars)` as Terraform 1.11: the template
    /// must be given by a reference (`local.t`, `var.t["x"]`), not written
    /// inline, and must be a string; `vars` is an object of identifiers;
    /// the template sees only `vars`, may not read files nor call template
    /// functions, and its result is converted to a string.
    fn templatestring(&mut self, call: &hcl::expr::FuncCall, args: Vec<Value>) -> R<Value> {
        fn reference(e: &Expression) -> bool {
            match e {
                Expression::Variable(_) => true,
                Expression::Traversal(t) => reference(&t.expr),
                _ => false,
            }
        }
        let [template, vars] = args.as_slice() else {
            return soft(format!(
                "templatestring: expects 2 arguments, got {}",
                args.len()
            ));
        };
        if !call.args.first().is_some_and(reference) {
            return soft("templatestring: invalid template expression: must be a direct reference to a single string from elsewhere, containing valid Terraform template syntax");
        }
        let Value::String(text) = template else {
            return soft("templatestring: invalid template value: a string is required");
        };
        let vars = match vars {
            Value::Map(m) => m,
            _ => return soft("templatestring: invalid vars value: must be a map"),
        };
        if let Some(bad) = vars.keys().find(|k| !is_identifier(k)) {
            return soft(format!("templatestring: invalid template variable name {bad:?}: must start with a letter, followed by zero or more letters, digits, and underscores"));
        }
        let parsed: Template = text
            .parse()
            .map_err(|e| EvalErr::Soft(format!("templatestring: invalid template: {e}")))?;
        let mut scope = Scope {
            resolver: self.resolver,
            bindings: vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            isolated: true,
            no_files: true,
            no_calls: false,
            tainted: false,
        };
        match scope.eval_template_value(&parsed)? {
            v @ (Value::String(_) | Value::Unknown(_) | Value::Null) => Ok(v),
            v => functions::to_string_conv(&v)
                .map(Value::String)
                .map_err(|e| {
                    EvalErr::Soft(format!("templatestring: invalid template result: {e}"))
                }),
        }
    }

    /// A `for` expression. Its result is marked when the collection is, or
    /// when a condition or key computed from a sensitive value decided
    /// it; the elements keep their own marks.
    fn eval_for(&mut self, whole: &Expression, f: &hcl::expr::ForExpr) -> R<Value> {
        let (collection, marked) = match self.eval(&f.collection_expr)? {
            Value::Marked(inner) => (*inner, true),
            other => (other, false),
        };
        let saved = std::mem::replace(&mut self.tainted, marked);
        let result = self.eval_for_over(whole, f, collection);
        let tainted = std::mem::replace(&mut self.tainted, saved);
        match result {
            Ok(v) if tainted => Ok(v.mark()),
            other => other,
        }
    }

    fn eval_for_over(
        &mut self,
        whole: &Expression,
        f: &hcl::expr::ForExpr,
        collection: Value,
    ) -> R<Value> {
        let items: Vec<(Value, Value)> = match for_items(collection) {
            Ok(items) => items,
            Err(Value::Unknown(_)) => return Ok(unknown(whole)),
            Err(Value::Null) => return soft("cannot iterate over null"),
            Err(other) => return soft(format!("cannot iterate over a {}", other.type_name())),
        };
        let mut list = Vec::new();
        let mut object: crate::model::Map = crate::model::Map::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut built = 0usize;
        let run = ForRun::enter();
        for (k, v) in items {
            run.step()?;
            let mark = self.bindings.len();
            if let Some(key_var) = &f.key_var {
                self.bindings.push((key_var.to_string(), k));
            }
            self.bindings.push((f.value_var.to_string(), v));
            let result = self.for_item(whole, f, &mut list, &mut object, &mut groups, &mut built);
            self.bindings.truncate(mark);
            if let Some(done) = result? {
                return Ok(done);
            }
        }
        if f.key_expr.is_none() {
            Ok(Value::List(list))
        } else if f.grouping {
            Ok(Value::Map(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            ))
        } else {
            Ok(Value::Map(object))
        }
    }

    /// One iteration of a for expression; `Some` ends the loop early with
    /// an unknown result.
    fn for_item(
        &mut self,
        whole: &Expression,
        f: &hcl::expr::ForExpr,
        list: &mut Vec<Value>,
        object: &mut crate::model::Map,
        groups: &mut BTreeMap<String, Vec<Value>>,
        built: &mut usize,
    ) -> R<Option<Value>> {
        if let Some(cond) = &f.cond_expr {
            let (cond, marked) = self.eval(cond)?.unmark_deep();
            self.tainted |= marked;
            match cond {
                Value::Bool(true) => {}
                Value::Bool(false) => return Ok(None),
                Value::Unknown(_) => return Ok(Some(unknown(whole))),
                other => {
                    return soft(format!(
                        "for condition must be a bool, found {}",
                        other.type_name()
                    ))
                }
            }
        }
        let value = self.eval(&f.value_expr)?;
        // Nested `for`s multiply: `[for a in x: [for b in x: ...]]` eight
        // deep over 30 items is 30^8 values. Each `for` counts what it
        // builds, nested values included, against one limit.
        let limit = crate::input::limits().values;
        *built = built.saturating_add(value_size(&value, limit));
        if *built > limit {
            return Err(EvalErr::Limit(format!(
                "a `for` expression builds more than {limit} values, the limit (docs/limits.md)"
            )));
        }
        match &f.key_expr {
            None => list.push(value),
            Some(key_expr) => {
                let (key, marked) = self.eval(key_expr)?.unmark_deep();
                self.tainted |= marked;
                let key = match key {
                    Value::String(s) => s,
                    Value::Number(n) => crate::model::value::format_number(n),
                    Value::BigNumber(b) => b.text(),
                    Value::Bool(b) => b.to_string(),
                    Value::Unknown(_) => return Ok(Some(unknown(whole))),
                    other => {
                        return soft(format!(
                            "for key must be a string, found {}",
                            other.type_name()
                        ))
                    }
                };
                if f.grouping {
                    groups.entry(key).or_default().push(value);
                } else {
                    if object.contains_key(&key) {
                        return soft(format!(
                            "duplicate key `{key}` in for expression (use `...` to group)"
                        ));
                    }
                    object.insert(key, value);
                }
            }
        }
        Ok(None)
    }

    /// Evaluate a template. A template that is a single interpolation
    /// yields the value itself (`"${var.list}"` is a list in Terraform).
    /// Unknown interpolations are kept as `${expr}` text in the string.
    pub fn eval_template_value(&mut self, template: &Template) -> R<Value> {
        if let [Element::Interpolation(i)] = template.elements() {
            return self.eval(&i.expr);
        }
        // A template that interpolates a sensitive value, or whose
        // directives a sensitive value decides, is sensitive whole.
        let saved = std::mem::replace(&mut self.tainted, false);
        let mut out = String::new();
        let r = self.eval_template(&mut out, template, Strip::None, Strip::None);
        let tainted = std::mem::replace(&mut self.tainted, saved);
        r?;
        let v = Value::String(functions::nfc(out));
        Ok(if tainted { v.mark() } else { v })
    }

    fn eval_template(
        &mut self,
        out: &mut String,
        template: &Template,
        prev_strip: Strip,
        next_strip: Strip,
    ) -> R<()> {
        let elems = template.elements();
        let len = elems.len();
        for (i, elem) in elems.iter().enumerate() {
            let prev = if i == 0 {
                prev_strip
            } else {
                element_strip(&elems[i - 1])
            };
            let next = if i + 1 == len {
                next_strip
            } else {
                element_strip(&elems[i + 1])
            };
            match elem {
                Element::Literal(lit) => out.push_str(strip_literal(lit, prev, next)),
                Element::Interpolation(interp) => {
                    let (v, marked) = self.eval(&interp.expr)?.unmark_deep();
                    self.tainted |= marked;
                    out.push_str(&template_string(&v)?);
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(dir) => {
                        let (cond, marked) = self.eval(&dir.cond_expr)?.unmark_deep();
                        self.tainted |= marked;
                        let ns = if dir.false_template.is_some() {
                            dir.else_strip
                        } else {
                            dir.endif_strip
                        };
                        let cond = match cond {
                            Value::Unknown(text) => {
                                // Both branches as evaluated: with only the
                                // condition, `%{ if x.id != "" }public%{ endif }`
                                // equalled `...private...` in the other
                                // environment.
                                let mut t = String::new();
                                let mut f = String::new();
                                let branches = self
                                    .eval_template(&mut t, &dir.true_template, dir.if_strip, ns)
                                    .and_then(|()| match &dir.false_template {
                                        Some(ft) => self.eval_template(
                                            &mut f,
                                            ft,
                                            dir.else_strip,
                                            dir.endif_strip,
                                        ),
                                        None => Ok(()),
                                    });
                                match branches {
                                    Ok(()) => out.push_str(&format!(
                                        "%{{ if {text} }}{t}%{{ else }}{f}%{{ endif }}"
                                    )),
                                    // A branch valid only under its condition.
                                    Err(EvalErr::Soft(_)) => out.push_str(&format!("${{{text}}}")),
                                    Err(e) => return Err(e),
                                }
                                continue;
                            }
                            other => to_bool(&other)?,
                        };
                        if cond {
                            self.eval_template(out, &dir.true_template, dir.if_strip, ns)?;
                        } else if let Some(ft) = &dir.false_template {
                            self.eval_template(out, ft, dir.else_strip, dir.endif_strip)?;
                        }
                    }
                    Directive::For(dir) => {
                        let coll = match self.eval(&dir.collection_expr)? {
                            Value::Marked(inner) => {
                                self.tainted = true;
                                *inner
                            }
                            other => other,
                        };
                        let items: Vec<(Value, Value)> = match for_items(coll) {
                            Ok(items) => items,
                            Err(Value::Unknown(text)) => {
                                // The body once, its variables symbolic, so
                                // what it writes still counts.
                                let mark = self.bindings.len();
                                let mut head = String::new();
                                if let Some(kv) = &dir.key_var {
                                    self.bindings
                                        .push((kv.to_string(), Value::Unknown(kv.to_string())));
                                    head.push_str(kv.as_str());
                                    head.push_str(", ");
                                }
                                head.push_str(dir.value_var.as_str());
                                self.bindings.push((
                                    dir.value_var.to_string(),
                                    Value::Unknown(dir.value_var.to_string()),
                                ));
                                let mut body = String::new();
                                let r = self.eval_template(
                                    &mut body,
                                    &dir.template,
                                    dir.for_strip,
                                    dir.endfor_strip,
                                );
                                self.bindings.truncate(mark);
                                match r {
                                    Ok(()) => out.push_str(&format!(
                                        "%{{ for {head} in {text} }}{body}%{{ endfor }}"
                                    )),
                                    Err(EvalErr::Soft(_)) => out.push_str(&format!("${{{text}}}")),
                                    Err(e) => return Err(e),
                                }
                                continue;
                            }
                            Err(other) => {
                                return soft(format!(
                                    "cannot iterate over a {} in a template",
                                    other.type_name()
                                ))
                            }
                        };
                        for (k, v) in items {
                            let mark = self.bindings.len();
                            if let Some(kv) = &dir.key_var {
                                self.bindings.push((kv.to_string(), k));
                            }
                            self.bindings.push((dir.value_var.to_string(), v));
                            let r = self.eval_template(
                                out,
                                &dir.template,
                                dir.for_strip,
                                dir.endfor_strip,
                            );
                            self.bindings.truncate(mark);
                            r?;
                        }
                    }
                },
            }
        }
        Ok(())
    }
}

fn element_strip(elem: &Element) -> Strip {
    let (start, end) = match elem {
        Element::Literal(_) => (false, false),
        Element::Interpolation(i) => (i.strip.strip_start(), i.strip.strip_end()),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => (d.if_strip.strip_start(), d.endif_strip.strip_end()),
            Directive::For(d) => (d.for_strip.strip_start(), d.endfor_strip.strip_end()),
        },
    };
    match (start, end) {
        (false, false) => Strip::None,
        (true, false) => Strip::Start,
        (false, true) => Strip::End,
        (true, true) => Strip::Both,
    }
}

/// `~` strip markers remove the whitespace (and one line break) next to them.
fn strip_literal(mut lit: &str, prev: Strip, next: Strip) -> &str {
    let is_space = |c: char| c.is_whitespace() && c != '\r' && c != '\n';
    if prev.strip_end() {
        lit = lit.trim_start_matches(is_space);
        lit = lit
            .strip_prefix("\r\n")
            .or_else(|| lit.strip_prefix('\n'))
            .unwrap_or(lit);
    }
    if next.strip_start() {
        lit = lit.trim_end_matches(is_space);
        lit = lit
            .strip_suffix("\r\n")
            .or_else(|| lit.strip_suffix('\n'))
            .unwrap_or(lit);
    }
    lit
}

fn template_string(v: &Value) -> R<String> {
    match v {
        Value::Typed(_, inner) => template_string(inner),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(crate::model::value::format_number(*n)),
        Value::BigNumber(b) => Ok(b.text()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Unknown(text) => Ok(format!("${{{text}}}")),
        Value::Null => soft("cannot interpolate a null value"),
        other => soft(format!(
            "cannot interpolate a {} into a string",
            other.type_name()
        )),
    }
}

/// Replace unknowns nested in a value by `"${expr}"` strings.
fn symbolic_strings(v: &Value) -> Value {
    match v {
        Value::Unknown(text) => Value::String(format!("${{{text}}}")),
        Value::List(items) => Value::List(items.iter().map(symbolic_strings).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), symbolic_strings(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The source text of an expression, for symbolic values.
pub fn expr_text(expr: &Expression) -> String {
    hcl::format::to_string(expr)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "(expression)".to_string())
}

fn unknown(expr: &Expression) -> Value {
    Value::Unknown(expr_text(expr))
}

/// A value written as HCL, for the text of a symbolic value built from
/// evaluated parts: unknowns by their own text, known values literally, so
/// two environments' symbolic values differ exactly when a known part does.
fn literal(v: &Value) -> String {
    match v {
        // Never the value: a result built from a marked value is marked
        // and its text made from the unmarked parts (see `Scope::eval`);
        // this is only the safe answer should one be missed.
        Value::Marked(_) => "(sensitive)".into(),
        Value::Typed(_, inner) => literal(inner),
        Value::Unknown(text) => text.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => crate::model::value::format_number(*n),
        Value::BigNumber(b) => b.text(),
        Value::String(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v)| {
                    let ident = !k.is_empty()
                        && !k.starts_with(|c: char| c.is_ascii_digit())
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if ident {
                        format!("{k} = {}", literal(v))
                    } else {
                        format!("{} = {}", serde_json::Value::String(k.clone()), literal(v))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `name(args...)` with evaluated arguments, for a call whose result is
/// not known before apply.
fn call_text(call: &hcl::expr::FuncCall, args: &[Value], expand_final: bool) -> Value {
    let mut name = String::new();
    for ns in call.name.namespace.iter() {
        name.push_str(ns.as_str());
        name.push_str("::");
    }
    name.push_str(call.name.name.as_str());
    let args: Vec<String> = args.iter().map(literal).collect();
    Value::Unknown(format!(
        "{name}({}{})",
        args.join(", "),
        if expand_final { "..." } else { "" }
    ))
}

fn index(whole: &Expression, cur: Value, key: &Value) -> R<Value> {
    match (cur, key) {
        (Value::Marked(cur), key) => index(whole, *cur, key).map(Value::mark),
        // A sensitive key: the element is sensitive, and an error never
        // quotes the key.
        (cur, Value::Marked(key)) => index(whole, cur, key)
            .map(Value::mark)
            .map_err(|e| match e {
                EvalErr::Soft(_) => {
                    EvalErr::Soft("a (sensitive) key is not in the collection".into())
                }
                other => other,
            }),
        (Value::Typed(TfType::Set, _), _) => soft(SET_INDEX),
        (Value::Typed(_, cur), key) => index(whole, *cur, key),
        (cur, Value::Typed(_, key)) => index(whole, cur, key),
        (_, Value::Unknown(_)) | (Value::Unknown(_), _) => Ok(unknown(whole)),
        (Value::List(items), key) => {
            let n = to_number(key)?;
            if n < 0.0 || n.fract() != 0.0 || n as usize >= items.len() {
                return soft(format!(
                    "index {} out of range for a list of {} elements",
                    crate::model::value::format_number(n),
                    items.len()
                ));
            }
            Ok(items.into_iter().nth(n as usize).unwrap_or(Value::Null))
        }
        (Value::Map(mut m), key) => {
            let k = match key {
                Value::String(s) => s.clone(),
                Value::Number(n) => crate::model::value::format_number(*n),
                Value::BigNumber(b) => b.text(),
                other => return soft(format!("cannot index a map with a {}", other.type_name())),
            };
            m.remove(&k)
                .map(Ok)
                .unwrap_or_else(|| soft(format!("key `{k}` not found in map")))
        }
        (Value::Null, _) => soft("cannot index a null value"),
        (other, _) => soft(format!("cannot index a {}", other.type_name())),
    }
}

fn unary(op: UnaryOperator, v: Value) -> R<Value> {
    match (op, v) {
        (op, v @ Value::Unknown(_)) => {
            Ok(Value::Unknown(format!("{}{}", op.as_str(), literal(&v))))
        }
        (UnaryOperator::Neg, Value::BigNumber(b)) => Ok(b.negate().into_value()),
        (UnaryOperator::Neg, v) => Ok(Value::Number(-to_number(&v)?)),
        (UnaryOperator::Not, v) => Ok(Value::Bool(!to_bool(&v)?)),
    }
}

fn to_number(v: &Value) -> R<f64> {
    match v {
        Value::Number(n) => Ok(*n),
        Value::BigNumber(b) => Ok(b.to_f64()),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| EvalErr::Soft(format!("`{s}` is not a number"))),
        other => soft(format!("expected a number, found {}", other.type_name())),
    }
}

fn to_bool(v: &Value) -> R<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => soft(format!("expected a bool, found {}", other.type_name())),
    }
}

fn binary(op: BinaryOperator, l: Value, r: Value) -> R<Value> {
    if l.is_unknown() || r.is_unknown() {
        // Operands as evaluated (see `literal`).
        return Ok(Value::Unknown(format!(
            "{} {} {}",
            literal(&l),
            op.as_str(),
            literal(&r)
        )));
    }
    use BinaryOperator as B;
    Ok(match op {
        B::Eq => Value::Bool(tf_equal(&l, &r)),
        B::NotEq => Value::Bool(!tf_equal(&l, &r)),
        B::And => Value::Bool(to_bool(&l)? && to_bool(&r)?),
        B::Or => Value::Bool(to_bool(&l)? || to_bool(&r)?),
        B::Less => Value::Bool(compare(&l, &r)?.is_some_and(|o| o.is_lt())),
        B::LessEq => Value::Bool(compare(&l, &r)?.is_some_and(|o| o.is_le())),
        B::Greater => Value::Bool(compare(&l, &r)?.is_some_and(|o| o.is_gt())),
        B::GreaterEq => Value::Bool(compare(&l, &r)?.is_some_and(|o| o.is_ge())),
        B::Plus | B::Minus | B::Mul | B::Div | B::Mod => arithmetic(op, to_num(&l)?, to_num(&r)?)?,
    })
}

/// A number operand: a 64-bit float (the fast path), or a 512-bit number
/// when the value is not exactly a float (see [`crate::model::bignum`]).
enum Num {
    F(f64),
    B(BigFloat),
}

impl Num {
    /// The operand at 512 bits; None for an infinity or NaN, which only the
    /// float arithmetic handles.
    fn big(&self) -> Option<BigFloat> {
        match self {
            Num::F(x) if x.is_finite() => Some(BigFloat::from_f64(*x)),
            Num::F(_) => None,
            Num::B(b) => Some(b.clone()),
        }
    }

    fn float(&self) -> f64 {
        match self {
            Num::F(x) => *x,
            Num::B(b) => b.to_f64(),
        }
    }
}

fn to_num(v: &Value) -> R<Num> {
    match v {
        Value::Number(n) => Ok(Num::F(*n)),
        Value::BigNumber(b) => Ok(Num::B((**b).clone())),
        Value::String(s) => match Value::parse_number(s.trim()) {
            Some(Value::Number(n)) => Ok(Num::F(n)),
            Some(Value::BigNumber(b)) => Ok(Num::B(*b)),
            _ => soft(format!("`{s}` is not a number")),
        },
        other => soft(format!("expected a number, found {}", other.type_name())),
    }
}

/// `<` and friends: floats directly, otherwise exactly at 512 bits. None
/// when NaN is involved (every comparison false).
fn compare(l: &Value, r: &Value) -> R<Option<std::cmp::Ordering>> {
    match (to_num(l)?, to_num(r)?) {
        (Num::F(x), Num::F(y)) => Ok(x.partial_cmp(&y)),
        (a, b) => Ok(match (a.big(), b.big()) {
            (Some(x), Some(y)) => Some(x.compare(&y)),
            _ => a.float().partial_cmp(&b.float()),
        }),
    }
}

/// True when the float `z` is exactly `x op y` (so the 512-bit result is
/// this float too): an error-free transformation of the operation.
fn exact(op: BinaryOperator, x: f64, y: f64, z: f64) -> bool {
    use BinaryOperator as B;
    if !z.is_finite() {
        return false;
    }
    match op {
        B::Plus | B::Minus => {
            let y = if op == B::Minus { -y } else { y };
            // Knuth's TwoSum: the rounding error of x + y.
            let yy = z - x;
            let err = (x - (z - yy)) + (y - yy);
            err == 0.0
        }
        B::Mul => x.mul_add(y, -z) == 0.0,
        B::Div => z.mul_add(y, -x) == 0.0,
        _ => true,
    }
}

/// `+ - * / %` as cty computes them on 512-bit floats, on the float fast
/// path when the float result is exact (or an infinity is involved, which
/// only the float arithmetic holds).
fn arithmetic(op: BinaryOperator, l: Num, r: Num) -> R<Value> {
    use BinaryOperator as B;
    let (a, b) = match (&l, &r) {
        (Num::F(x), Num::F(y)) => {
            let z = match op {
                B::Plus => x + y,
                B::Minus => x - y,
                B::Mul => x * y,
                B::Div => x / y,
                _ => x % y,
            };
            if !x.is_finite() || !y.is_finite() || *y == 0.0 || op == B::Mod || exact(op, *x, *y, z)
            {
                return float_arithmetic(op, *x, *y);
            }
            (BigFloat::from_f64(*x), BigFloat::from_f64(*y))
        }
        _ => match (l.big(), r.big()) {
            (Some(a), Some(b)) => (a, b),
            _ => return float_arithmetic(op, l.float(), r.float()),
        },
    };
    let z = match op {
        B::Plus => a.add(&b),
        B::Minus => a.sub(&b),
        B::Mul => a.mul(&b),
        B::Div => match a.div(&b) {
            Some(q) => q,
            None => return float_arithmetic(op, l.float(), r.float()),
        },
        _ => a.modulo(&b),
    };
    Ok(z.into_value())
}

fn float_arithmetic(op: BinaryOperator, x: f64, y: f64) -> R<Value> {
    use BinaryOperator as B;
    Ok(match op {
        // Opposite infinities added, or zero times infinity: no number
        // (cty fails on big.ErrNaN).
        B::Plus => finite_or(x + y, "opposing infinities")?,
        B::Minus => finite_or(x - y, "opposing infinities")?,
        B::Mul => finite_or(x * y, "zero times infinity")?,
        // cty's arithmetic on big floats: `1 / 0` is infinity; 0 / 0 and
        // infinity / infinity are errors (Go's big.ErrNaN).
        B::Div => {
            let q = x / y;
            if q.is_nan() {
                return soft("can't divide zero by zero or infinity by infinity");
            }
            Value::Number(q)
        }
        // cty's `Modulo`: `x % 0` is x; with an infinity on either side,
        // the product of the two (an infinity of the right sign).
        _ => {
            let m = if x.is_infinite() || y.is_infinite() {
                x * y
            } else if y == 0.0 {
                x
            } else {
                x % y
            };
            if m.is_nan() {
                return soft("can't use modulo with zero and infinity");
            }
            Value::Number(m)
        }
    })
}

/// `a + b` for two numbers as the `+` operator computes it (`sum`).
pub(crate) fn add_numbers(a: &Value, b: &Value) -> Result<Value, String> {
    let (a, b) = match (to_num(a), to_num(b)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Err("a number is required".into()),
    };
    arithmetic(BinaryOperator::Plus, a, b).map_err(|e| match e {
        EvalErr::Soft(m) | EvalErr::UnknownFunction(m) | EvalErr::Fatal(m) | EvalErr::Limit(m) => m,
    })
}

/// A number literal: a float, or an integer past 2^53 at 512 bits.
pub(crate) fn number_literal(n: &hcl::Number) -> Value {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or(f64::NAN);
        // A decimal literal: the parsers hold it as the nearest float, whose
        // shortest digits are the literal's own (up to 15 significant
        // digits); Terraform reads those digits at 512 bits, so `0.1` is
        // not the float 0.1. Integral floats below 2^53 are exact already.
        if f.is_finite() && (f.fract() != 0.0 || f.abs() >= 9007199254740992.0) {
            if let Some(b) = BigFloat::parse(&format!("{f:e}")) {
                return b.into_value();
            }
        }
        return Value::Number(f);
    }
    let exact = match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => i128::from(i),
        (None, Some(u)) => i128::from(u),
        _ => return Value::Number(n.as_f64().unwrap_or(f64::NAN)),
    };
    if exact.unsigned_abs() > 1 << 53 {
        BigFloat::from_i128(exact).into_value()
    } else {
        Value::Number(exact as f64)
    }
}

/// A number result, or the error cty gives where its big-float arithmetic
/// has no result (NaN).
fn finite_or(n: f64, what: &str) -> R<Value> {
    if n.is_nan() {
        soft(format!("arithmetic on {what} has no result"))
    } else {
        Ok(Value::Number(n))
    }
}

/// The number of values in `v`, nested ones included (a string counts one
/// per 64 bytes), counted up to a little past `limit`.
pub(crate) fn value_size(v: &Value, limit: usize) -> usize {
    fn walk(v: &Value, n: &mut usize, limit: usize) {
        if *n > limit {
            return;
        }
        *n += 1;
        match v {
            Value::String(s) => *n += s.len() / 64,
            Value::List(items) => items.iter().for_each(|i| walk(i, n, limit)),
            Value::Map(m) => m.values().for_each(|i| walk(i, n, limit)),
            Value::Typed(_, inner) => walk(inner, n, limit),
            _ => {}
        }
    }
    let mut n = 0;
    walk(v, &mut n, limit);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    struct Vars(crate::model::Map, PathBuf);
    impl Resolver for Vars {
        fn resolve<'r>(
            &'r self,
            root: &str,
            ops: &[TraversalOperator],
        ) -> R<Option<(Resolved<'r>, usize)>> {
            match root {
                "var" => match ops.first() {
                    Some(TraversalOperator::GetAttr(n)) => Ok(Some((
                        Resolved::Owned(self.0.get(n.as_str()).cloned().unwrap_or(Value::Null)),
                        1,
                    ))),
                    _ => soft("bad var"),
                },
                _ => Ok(None),
            }
        }
        fn base_dir(&self) -> &Path {
            &self.1
        }
    }

    fn eval_with(src: &str, vars: &[(&str, Value)]) -> R<Value> {
        let r = Vars(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            PathBuf::from("."),
        );
        let file =
            super::super::parse::parse_hcl(&format!("x = {src}\n"), Path::new("t.tf"), "t.tf")
                .unwrap();
        let expr = file.body.attributes[0].expr.clone();
        Scope::new(&r).eval(&expr)
    }

    /// Sensitivity as Terraform marks it: what is computed from a marked
    /// value is marked; what is only moved keeps its own mark.
    #[test]
    fn marks_travel_through_every_form_of_expression() {
        let secret = Value::str("Secr3t-value").mark();
        let vars = [
            ("s", secret.clone()),
            (
                "m",
                Value::Map(
                    [
                        ("user".to_string(), Value::str("app")),
                        ("pass".to_string(), secret.clone()),
                    ]
                    .into_iter()
                    .collect(),
                ),
            ),
            ("n", Value::Number(2.0).mark()),
        ];
        let marked = |src: &str| {
            let v = eval_with(src, &vars).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            assert!(v.is_marked(), "{src} is not marked: {v:?}");
            v
        };
        let plain = |src: &str| {
            let v = eval_with(src, &vars).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            assert!(!v.contains_marked(), "{src} is marked: {v:?}");
            v
        };
        // Functions, operators, templates, conditionals, `for`, indexing.
        assert_eq!(marked("upper(var.s)"), Value::str("SECR3T-VALUE").mark());
        assert_eq!(
            marked("base64encode(var.s)"),
            Value::str("U2VjcjN0LXZhbHVl").mark()
        );
        marked("substr(var.s, 0, 3)");
        marked("jsonencode({ k = var.s })");
        marked("\"Bearer ${var.s}\"");
        marked("\"%{ if var.n > 1 }big%{ endif }\"");
        assert_eq!(marked("var.n + 1"), Value::Number(3.0).mark());
        marked("var.s == \"x\"");
        marked("!(var.s == \"x\")");
        marked("var.n > 1 ? \"a\" : \"b\"");
        marked("[for c in split(\"-\", var.s) : c]");
        marked("{ for k, v in var.m : k => v if v == \"app\" }");
        marked("var.m.pass");
        marked("var.m[\"pass\"]");
        marked("{ (var.s) = 1 }");
        marked("sensitive(\"made\")");
        // Symbolic results are marked whole: their text holds the value.
        assert!(marked("coalesce(aws_vpc.main.id, var.s)")
            .unmarked()
            .is_unknown());
        marked("aws_vpc.main.id != \"\" ? var.s : \"none\"");
        // Unmarked: what no secret touches, `nonsensitive`, `issensitive`.
        assert_eq!(plain("var.m.user"), Value::str("app"));
        assert_eq!(
            plain("nonsensitive(upper(var.s))"),
            Value::str("SECR3T-VALUE")
        );
        assert_eq!(plain("issensitive(var.s)"), Value::Bool(true));
        assert_eq!(plain("issensitive(\"x\")"), Value::Bool(false));
        assert_eq!(plain("can(var.s)"), Value::Bool(true));
        // Moved, not computed: the neighbours of a marked value stay plain.
        let merged = eval_with("merge({ team = \"shop\" }, { token = var.s })", &vars).unwrap();
        assert!(!merged.is_marked());
        assert_eq!(merged.get_path("team"), Some(&Value::str("shop")));
        assert!(merged.get_path("token").is_some_and(Value::is_marked));
        let list = eval_with("concat([\"a\"], [var.s])", &vars).unwrap();
        assert!(!list.is_marked() && list.contains_marked());
        // A function's error never quotes a sensitive argument.
        match eval_with("cidrsubnet(var.s, 8, 1)", &vars) {
            Err(EvalErr::Soft(m)) => assert!(!m.contains("Secr3t"), "{m}"),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn references_to_resources_stay_symbolic() {
        let v = eval_with("aws_vpc.main.id", &[]).unwrap();
        assert_eq!(v, Value::Unknown("aws_vpc.main.id".into()));
        let v = eval_with("\"arn:aws:s3:::${aws_s3_bucket.b.id}/*\"", &[]).unwrap();
        assert_eq!(v, Value::str("arn:aws:s3:::${aws_s3_bucket.b.id}/*"));
    }

    #[test]
    fn for_expressions_and_conditionals() {
        let v = eval_with(
            "{ for k, v in var.m : upper(k) => v * 2 if v > 1 }",
            &[(
                "m",
                Value::Map(
                    [
                        ("a".into(), Value::from(1i64)),
                        ("b".into(), Value::from(2i64)),
                    ]
                    .into_iter()
                    .collect(),
                ),
            )],
        )
        .unwrap();
        assert_eq!(v.display(), r#"{"B":4}"#);
        let v = eval_with(
            "var.n > 2 ? \"big\" : \"small\"",
            &[("n", Value::from(3i64))],
        )
        .unwrap();
        assert_eq!(v, Value::str("big"));
    }

    #[test]
    fn conditional_results_unify_their_types() {
        let e = |src| eval_with(src, &[]).unwrap();
        assert_eq!(e(r#"true ? 1 : "x""#), Value::str("1"));
        assert_eq!(e(r#"false ? "5" : 3"#), Value::str("3"));
        assert_eq!(
            e(r#"true ? { a = 1 } : { b = "x" }"#).display(),
            r#"{"a":"1"}"#
        );
        assert_eq!(e("true ? 1 : null"), Value::from(1i64));
        // The other result is evaluated for its type only: an error there
        // leaves the chosen value as it is.
        assert_eq!(e(r#"true ? 1 : var.missing.x"#), Value::from(1i64));
        assert_eq!(
            eval_with("true ? 1 : var.s", &[("s", Value::str("x"))]).unwrap(),
            Value::str("1")
        );
    }

    #[test]
    fn numbers_are_512_bit_where_a_float_is_not_exact() {
        let e = |src| eval_with(src, &[]).unwrap();
        let text = |src| e(src).number_text().unwrap_or_default();
        // Small integers and exact results stay floats (the fast path).
        assert_eq!(e("2 + 3 * 4"), Value::Number(14.0));
        assert_eq!(e("0.5 + 0.25"), Value::Number(0.75));
        assert_eq!(e("10 / 4"), Value::Number(2.5));
        assert!(matches!(e("0.1"), Value::BigNumber(_)));
        assert_eq!(text("0.1 + 0.2"), "0.3");
        assert_eq!(e("0.1 + 0.2 == 0.3"), Value::Bool(true));
        assert_eq!(e("0.1 + 0.2 > 0.3"), Value::Bool(false));
        assert_eq!(text("9007199254740992 + 1"), "9007199254740993");
        assert_eq!(e("9007199254740993 > 9007199254740992"), Value::Bool(true));
        assert_eq!(text("-9007199254740993"), "-9007199254740993");
        assert_eq!(text("100000000000000000000 * 10"), "1000000000000000000000");
        assert_eq!(text("(1 / 3) * 3"), "1");
        assert_eq!(text("12345678901234567891 % 10"), "1");
        // Back to a float once exact again.
        assert_eq!(e("(0.1 + 0.2) * 10 - 3"), Value::Number(0.0));
        assert_eq!(
            e("\"n=${9007199254740993}\""),
            Value::str("n=9007199254740993")
        );
    }

    #[test]
    fn arithmetic_like_cty() {
        let e = |src| eval_with(src, &[]);
        assert_eq!(e("1 / 0"), Ok(Value::Number(f64::INFINITY)));
        assert_eq!(e("5 % 0"), Ok(Value::from(5i64)));
        assert_eq!(e("-7 % 3"), Ok(Value::from(-1i64)));
        assert!(e("0 / 0").is_err());
        assert!(e("1 / 0 - 1 / 0").is_err());
        assert_eq!(e("0 * -1"), Ok(Value::Number(-0.0)));
        assert_eq!(e(r#""n${0 * -1}""#), Ok(Value::str("n-0")));
    }

    #[test]
    fn strings_are_nfc() {
        let e = |src| eval_with(src, &[]).unwrap();
        assert_eq!(e(r#""e\u0301""#), Value::str("\u{e9}"));
        assert_eq!(e(r#""e\u0301" == "\u00e9""#), Value::Bool(true));
        assert_eq!(e(r#"upper("e\u0301")"#), Value::str("\u{c9}"));
        assert_eq!(e(r#""${"e"}\u0301""#), Value::str("\u{e9}"));
    }

    #[test]
    fn splats_and_grouping() {
        let list = Value::List(vec![
            Value::Map([("id".to_string(), Value::str("a"))].into_iter().collect()),
            Value::Map([("id".to_string(), Value::str("b"))].into_iter().collect()),
        ]);
        let v = eval_with("var.l[*].id", &[("l", list)]).unwrap();
        assert_eq!(v.display(), r#"["a","b"]"#);
        let v = eval_with("{ for s in [\"a\", \"b\", \"a\"] : s => s... }", &[]).unwrap();
        assert_eq!(v.display(), r#"{"a":["a","a"],"b":["b"]}"#);
    }

    #[test]
    fn unknown_condition_with_equal_branches_is_known() {
        let v = eval_with("aws_x.y.z ? 1 : 1", &[]).unwrap();
        assert_eq!(v, Value::from(1i64));
        let v = eval_with("aws_x.y.z ? 1 : 2", &[]).unwrap();
        assert!(v.is_unknown());
    }

    #[test]
    fn try_and_can() {
        assert_eq!(
            eval_with(
                "try(var.m.missing, \"d\")",
                &[("m", Value::Map(crate::model::Map::new()))]
            )
            .unwrap(),
            Value::str("d")
        );
        assert_eq!(
            eval_with(
                "can(var.m.missing)",
                &[("m", Value::Map(crate::model::Map::new()))]
            )
            .unwrap(),
            Value::Bool(false)
        );
    }

    #[test]
    fn template_directives_and_strip() {
        let v = eval_with(
            "<<-EOT\n  %{ for x in [\"a\", \"b\"] ~}\n  ${x}\n  %{ endfor ~}\n  EOT",
            &[],
        )
        .unwrap();
        // As Terraform: the `~}` of `for` takes the line break, so the
        // indent before `${x}` no longer starts a line and stays.
        assert_eq!(v, Value::str("  a\n  b\n"));
        // Without strip markers every line loses the common indent.
        let v = eval_with(
            "<<-EOT\n  %{ for x in [\"a\", \"b\"] }\n    ${x}\n  %{ endfor }\n  EOT",
            &[],
        )
        .unwrap();
        assert_eq!(v, Value::str("\n  a\n\n  b\n\n"));
    }

    #[test]
    fn strip_markers_see_escaped_newlines() {
        // Terraform decodes the escapes first, then strips.
        let v = eval_with(r#""a\n%{ if true }b\t%{ endif }""#, &[]).unwrap();
        assert_eq!(v, Value::str("a\nb\t"));
        let v = eval_with(r#""a\n  %{~ if true ~}\n  b\n  %{~ endif ~}\n  c""#, &[]).unwrap();
        assert_eq!(v, Value::str("abc"));
    }

    #[test]
    fn unknown_function_is_named() {
        assert_eq!(
            eval_with("frobnicate(1)", &[]),
            Err(EvalErr::UnknownFunction("frobnicate".into()))
        );
    }
}
