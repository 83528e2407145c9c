//! A fast, hand-written parser for HCL native syntax that builds the same IR
//! as [`super::parse::parse_hcl`]'s hcl-edit path, several times faster.
//!
//! The contract is exact equality: for every input it accepts, [`parse`]
//! returns the very [`Body`] that hcl-edit followed by
//! `hcl::Expression::from` (and parse.rs's heredoc fix) produces. Anything
//! it is not sure about — a syntax error, a construct it does not handle
//! (non-ASCII identifiers, repeated object keys, heredocs inside template
//! interpolations, a `for` object with `... ` before `}` inside a template,
//! nesting deeper than `MAX_DEPTH`, …) — makes it return `None`, and
//! `parse_hcl` falls back to hcl-edit, which also produces the error
//! message.
//!
//! The grammar mirrors hcl-edit 0.9 (`hcl_edit::parser`) decision by
//! decision: where newlines are allowed inside an expression (hcl-edit
//! tracks that per expression and turns it on after an array, a function
//! call or a `for` object), how comments count as whitespace, which
//! look-ahead picks a branch, the nesting and operator limits. Template
//! text (`TemplateExpr`) is what hcl-edit's encoder prints: literals
//! re-escaped from their values, interpolations and directive tags copied
//! from the source with the few changes the encoder makes (`Parser::edit`:
//! one blank around binary operators, no space before a second traversal
//! operator, strings re-escaped — or not, following the encoder's escaping
//! state —, `\n` for a `\r\n` ending an object item).
//!
//! The tests compare both parsers on many snippets, on every fixture,
//! on truncated and mangled fixtures and on generated expressions;
//! `src/bin/parity-parse-diff.rs` does the same over any directory.
//!
//! This file holds the entry points, the parser's state and its per-thread
//! scratch stacks; the grammar is split beside it the way the parser reads
//! text: bytes and whitespace (`lexer`), bodies, expressions, collections,
//! templates and heredocs, and the source edits that reproduce hcl-edit's
//! encoder.

/// The name of the call that stands for an integer literal too large for
/// `hcl::Number` (past `u64`): no source can spell it.
const BIG_LITERAL: &str = "\u{1}number";

/// `Expression::FuncCall` holding a big integer literal's text (see
/// [`big_literal`]). hcl-edit rejects such a literal, so this is the one
/// place where the fast parser accepts what hcl-edit does not.
pub(crate) fn big_literal_call(text: String) -> hcl::Expression {
    hcl::Expression::FuncCall(Box::new(hcl::expr::FuncCall {
        name: hcl::expr::FuncName::new(hcl::Identifier::unchecked(BIG_LITERAL)),
        args: vec![hcl::Expression::String(text)],
        expand_final: false,
    }))
}

/// The text of a big integer literal made by [`big_literal_call`].
pub(crate) fn big_literal(call: &hcl::expr::FuncCall) -> Option<&str> {
    match (
        call.name.namespace.is_empty(),
        call.name.name.as_str(),
        call.args.as_slice(),
    ) {
        (true, BIG_LITERAL, [hcl::Expression::String(text)]) => Some(text),
        _ => None,
    }
}

mod body;
mod collection;
mod edit;
mod expr;
mod heredoc;
mod lexer;
mod template;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeMap;

use hcl::expr::{Expression, ObjectKey, Operation, TemplateExpr, TraversalOperator};

use super::parse::{scan_ignores, Attribute, Block, Body};
use template::Stop;

/// Nesting levels (blocks, nested expressions, template directives) beyond
/// which we give up. hcl-edit rejects at 64 by the same count; stopping
/// earlier only sends deep input to the fallback.
const MAX_DEPTH: u32 = 48;
/// Chained binary operators on any path (hcl-edit: 128, same count).
const MAX_OPERATORS: usize = 100;

/// Parse HCL native syntax into the IR, or `None` when the input is
/// invalid or uses something this parser leaves to hcl-edit.
///
/// `text` must already be stripped of a byte order mark
/// ([`super::parse::strip_bom`]), as `parse_hcl` does.
pub fn parse(text: &str) -> Option<Body> {
    run(text).ok()
}

/// Where the fast parser gave up on `text` (1-based line and column of the
/// byte it stopped at), or `None` when it accepts it. For diagnostics
/// (`parity-parse-diff`).
pub fn decline_position(text: &str) -> Option<(usize, usize)> {
    let at = run(text).err()?.min(text.len());
    let before = text.as_bytes().get(..at).unwrap_or(&[]);
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    Some((line, at - line_start + 1))
}

/// Scratch stacks kept per thread between files, so that parsing a file
/// does not regrow them (see [`Parser::body`]).
#[derive(Default)]
struct Stacks {
    attrs: Vec<Attribute>,
    blocks: Vec<Block>,
}

thread_local! {
    static STACKS: std::cell::RefCell<Stacks> = std::cell::RefCell::default();
}

/// Parse the text of a template expression (`TemplateExpr::as_str`) into
/// the very [`hcl::template::Template`] that `Template::from_expr` builds
/// with hcl-edit's template parser, or `None` for anything this parser
/// leaves to hcl-edit (directives, invalid text), except that a literal
/// `-0` is the negation of 0 (negative zero, as in Terraform), as the
/// evaluator's hcl-edit fallback also makes it. Evaluation parses every
/// template string it meets; this keeps that off hcl-edit's slower path.
pub fn template(text: &str) -> Option<hcl::template::Template> {
    use hcl::template::{Element, Interpolation, Template};
    if text.contains('\0') || text.contains("%{") {
        return None;
    }
    let ignores = BTreeMap::new();
    let mut p = Parser::new(text, &ignores, Stacks::default());
    let mut out: Vec<Element> = Vec::new();
    while p.pos < p.b.len() {
        if p.starts(b"${") {
            let (expr, strip) = p.interpolation_parts()?;
            out.push(Element::Interpolation(Interpolation { expr, strip }));
            continue;
        }
        let start = p.pos;
        let (value, stop) = p.raw_literal(None)?;
        if p.pos == start {
            return None;
        }
        out.push(Element::Literal(value.into_owned()));
        match stop {
            Stop::Template | Stop::Eof => {}
            _ => return None,
        }
    }
    Some(out.into_iter().collect::<Template>())
}

/// The text of every template expression in a body (what [`template`]
/// is given at evaluation), in source order: for checking [`template`]
/// against hcl-edit (`parity-parse-diff`, tests).
pub fn template_texts(body: &Body) -> Vec<String> {
    fn in_body(body: &Body, out: &mut Vec<String>) {
        for a in &body.attributes {
            in_expr(&a.expr, out);
        }
        for b in &body.blocks {
            in_body(&b.body, out);
        }
    }
    fn in_expr(e: &Expression, out: &mut Vec<String>) {
        match e {
            Expression::TemplateExpr(t) => out.push(match &**t {
                TemplateExpr::QuotedString(s) => s.clone(),
                TemplateExpr::Heredoc(h) => h.template.clone(),
            }),
            Expression::Array(items) => items.iter().for_each(|i| in_expr(i, out)),
            Expression::Object(o) => {
                for (k, v) in o {
                    if let ObjectKey::Expression(k) = k {
                        in_expr(k, out);
                    }
                    in_expr(v, out);
                }
            }
            Expression::FuncCall(c) => c.args.iter().for_each(|a| in_expr(a, out)),
            Expression::Conditional(c) => {
                in_expr(&c.cond_expr, out);
                in_expr(&c.true_expr, out);
                in_expr(&c.false_expr, out);
            }
            Expression::Parenthesis(p) => in_expr(p, out),
            Expression::ForExpr(f) => {
                in_expr(&f.collection_expr, out);
                if let Some(k) = &f.key_expr {
                    in_expr(k, out);
                }
                in_expr(&f.value_expr, out);
                if let Some(c) = &f.cond_expr {
                    in_expr(c, out);
                }
            }
            Expression::Traversal(t) => {
                in_expr(&t.expr, out);
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op {
                        in_expr(i, out);
                    }
                }
            }
            Expression::Operation(op) => match &**op {
                Operation::Unary(u) => in_expr(&u.expr, out),
                Operation::Binary(b) => {
                    in_expr(&b.lhs_expr, out);
                    in_expr(&b.rhs_expr, out);
                }
            },
            _ => {}
        }
    }
    let mut out = Vec::new();
    in_body(body, &mut out);
    out
}

/// The body, or the offset where parsing stopped.
fn run(text: &str) -> Result<Body, usize> {
    if text.contains('\0') {
        return Err(0);
    }
    // Borrow the thread's stacks (a fresh pair if they are in use, which
    // cannot happen unless `run` were re-entered).
    let mut stacks = STACKS
        .with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)))
        .unwrap_or_default();
    stacks.attrs.clear();
    stacks.blocks.clear();
    let (result, stacks) = run_with(text, stacks);
    STACKS.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            *s = stacks;
        }
    });
    result
}

fn run_with(text: &str, stacks: Stacks) -> (Result<Body, usize>, Stacks) {
    let ignores = if text.contains("parity:ignore") {
        scan_ignores(text)
    } else {
        BTreeMap::new()
    };
    let mut p = Parser::new(text, &ignores, stacks);
    let result = match p.body() {
        Some(body) if p.pos == p.b.len() => Ok(body),
        _ => Err(p.pos),
    };
    let mut stacks = Stacks {
        attrs: p.attrs,
        blocks: p.blocks,
    };
    // What a failed parse left behind.
    stacks.attrs.clear();
    stacks.blocks.clear();
    (result, stacks)
}

struct Parser<'a, 'i> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// hcl-edit's nesting depth.
    depth: u32,
    /// hcl-edit's operator depth of the current scope.
    ops: usize,
    /// Above zero while parsing inside an interpolation or directive tag
    /// whose source text is copied into a template string.
    tpl: u32,
    /// hcl-edit's encoder state while it prints that copy: whether
    /// literals are being escaped.
    esc: bool,
    /// Line number at `line_pos` (1-based).
    line: u32,
    line_pos: usize,
    ignores: &'i BTreeMap<u32, (String, String)>,
    /// Changes hcl-edit's encoder makes to the source text of what is
    /// being copied into a template: `(start, end, replacement)`.
    edits: Vec<(usize, usize, Cow<'static, str>)>,
    /// Attributes and blocks of the bodies being parsed (a stack).
    attrs: Vec<Attribute>,
    blocks: Vec<Block>,
}

impl<'a, 'i> Parser<'a, 'i> {
    /// A parser at the start of `text`, with `stacks` as its scratch space.
    fn new(text: &'a str, ignores: &'i BTreeMap<u32, (String, String)>, stacks: Stacks) -> Self {
        Parser {
            src: text,
            b: text.as_bytes(),
            pos: 0,
            depth: 0,
            ops: 0,
            tpl: 0,
            esc: false,
            line: 1,
            line_pos: 0,
            ignores,
            edits: Vec::new(),
            attrs: stacks.attrs,
            blocks: stacks.blocks,
        }
    }
}
