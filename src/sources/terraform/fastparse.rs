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
//! The tests below compare both parsers on many snippets, on every fixture,
//! on truncated and mangled fixtures and on generated expressions;
//! `src/bin/parity-parse-diff.rs` does the same over any directory.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use hcl::expr::{
    BinaryOp, BinaryOperator, Conditional, Expression, ForExpr, FuncCall, FuncName, Heredoc,
    HeredocStripMode, ObjectKey, Operation, TemplateExpr, Traversal, TraversalOperator, UnaryOp,
    UnaryOperator, Variable,
};
use hcl::{Identifier, Number};

use super::parse::{scan_ignores, Attribute, Block, Body};

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
/// leaves to hcl-edit (directives, invalid text). Evaluation parses every
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

/// Byte classes: bit 0 identifier start, bit 1 identifier continue
/// (ASCII only; other bytes are left to hcl-edit).
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphabetic() || b == b'_' {
            t[c] |= 1;
        }
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            t[c] |= 2;
        }
        c += 1;
    }
    t
};

#[inline]
fn id_start(c: u8) -> bool {
    CLASS[c as usize] & 1 != 0
}

#[inline]
fn id_continue(c: u8) -> bool {
    CLASS[c as usize] & 2 != 0
}

/// Why a template literal stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
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
enum Mode<'a> {
    /// A quoted template: escapes, ends at `"`.
    Quoted,
    /// The body of a directive: raw text, ends only at `${`/`%{`.
    Nested,
    /// A heredoc body: raw text, ends at a line holding the delimiter.
    Heredoc(&'a [u8]),
}

/// A template element as hcl-edit keeps it: literals by value, the rest
/// as the source text its encoder reproduces.
enum TElem<'a> {
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

/// Attribute names already defined in one body (hcl-edit rejects a
/// redefinition).
#[derive(Default)]
struct Seen<'a> {
    few: [&'a str; 16],
    len: usize,
    many: Option<HashSet<&'a str, BuildHasherDefault<Fnv>>>,
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

impl<'a> Seen<'a> {
    /// `false` when `name` was seen before.
    fn insert(&mut self, name: &'a str) -> bool {
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

/// The high bit of every byte of `x` that is zero (exact per byte: no
/// carries between bytes).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    const HI: u64 = 0x8080_8080_8080_8080;
    let nonzero = ((x & !HI).wrapping_add(!HI) | x) & HI;
    HI & !nonzero
}

/// Number of `\n` bytes, eight at a time.
fn count_newlines(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    let mut chunks = s.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ (LO * u64::from(b'\n'));
        n += zero_bytes(x).count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|&&c| c == b'\n').count()
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

impl<'a> Parser<'a, '_> {
    // ---- low level ----------------------------------------------------

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    #[inline]
    fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or(&[])
    }

    #[inline]
    fn starts(&self, s: &[u8]) -> bool {
        self.rest().starts_with(s)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The byte `c`, or decline (`None`: the caller falls back to hcl-edit).
    #[inline]
    fn require(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    fn require_str(&mut self, s: &[u8]) -> Option<()> {
        if self.starts(s) {
            self.pos += s.len();
            Some(())
        } else {
            None
        }
    }

    #[inline]
    fn slice(&self, from: usize) -> Option<&'a str> {
        self.src.get(from..self.pos)
    }

    /// Inside copied template text, the encoder prints `text` for the
    /// source `start..end`.
    fn edit(&mut self, start: usize, end: usize, text: Cow<'static, str>) {
        if self.tpl > 0 {
            self.edits.push((start, end, text));
        }
    }

    /// The template text for the source from `start` to here: the source
    /// with the edits recorded since `mark` — once the outermost copy is
    /// done (nested ones are part of it).
    fn copied(&mut self, start: usize, mark: usize) -> Option<Cow<'a, str>> {
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
    fn blank_edit(&mut self, start: usize, end: usize) {
        if self.tpl > 0 && end > start && self.src.get(start..end) != Some(" ") {
            self.edit(start, end, Cow::Borrowed(" "));
        }
    }

    /// A literal's source `start..here` with value `value`, inside copied
    /// template text: the encoder prints it anew, re-escaped when `escaped`.
    fn literal_edit(&mut self, start: usize, value: &str, escaped: bool) -> Option<()> {
        if self.tpl > 0 {
            let raw = self.slice(start)?;
            if let Some(enc) = reencoded(raw, value, escaped) {
                self.edit(start, self.pos, Cow::Owned(enc));
            }
        }
        Some(())
    }

    /// `\n` or `\r\n`.
    fn line_ending(&mut self) -> bool {
        match self.peek() {
            Some(b'\n') => {
                self.pos += 1;
                true
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.pos += 2;
                true
            }
            _ => false,
        }
    }

    /// The rest of a `#` or `//` comment, up to (not including) the line
    /// ending. A lone `\r` in it makes hcl-edit reject the comment.
    fn line_comment_body(&mut self) -> Option<()> {
        let rest = self.rest();
        match rest.iter().position(|&c| c == b'\n' || c == b'\r') {
            None => {
                self.pos = self.b.len();
                Some(())
            }
            Some(i) => {
                if rest[i] == b'\r' && rest.get(i + 1) != Some(&b'\n') {
                    return None;
                }
                self.pos += i;
                Some(())
            }
        }
    }

    /// `/* … */`; `None` when unterminated.
    fn block_comment(&mut self) -> Option<()> {
        let body = self.b.get(self.pos + 2..)?;
        let end = body.windows(2).position(|w| w == b"*/")?;
        self.pos += 2 + end + 2;
        Some(())
    }

    /// hcl-edit's `ws`: spaces, tabs, line endings and all comments.
    fn ws(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'#') => self.line_comment_body()?,
                Some(b'/') => match self.peek_at(1) {
                    Some(b'/') => self.line_comment_body()?,
                    Some(b'*') => self.block_comment()?,
                    _ => return Some(()),
                },
                _ => return Some(()),
            }
        }
    }

    /// hcl-edit's `sp`: spaces, tabs and `/* */` comments.
    fn sp(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.block_comment()?,
                _ => return Some(()),
            }
        }
    }

    #[inline]
    fn ws_or_sp(&mut self, nl: bool) -> Option<()> {
        if nl {
            self.ws()
        } else {
            self.sp()
        }
    }

    /// `opt(line_comment)` after a structure or a block's `{`.
    fn opt_line_comment(&mut self) -> Option<()> {
        match (self.peek(), self.peek_at(1)) {
            (Some(b'#'), _) | (Some(b'/'), Some(b'/')) => self.line_comment_body(),
            _ => Some(()),
        }
    }

    /// An ASCII identifier; `None` when it does not start one or runs into
    /// a non-ASCII character (hcl-edit's Unicode identifiers are left to
    /// it).
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !id_start(self.peek()?) {
            return None;
        }
        self.pos += 1;
        while let Some(c) = self.peek() {
            if id_continue(c) {
                self.pos += 1;
            } else if c >= 0x80 {
                return None;
            } else {
                break;
            }
        }
        self.slice(start)
    }

    fn line_of(&mut self, offset: usize) -> u32 {
        if offset < self.line_pos {
            self.line = 1;
            self.line_pos = 0;
        }
        let seg = self.b.get(self.line_pos..offset).unwrap_or(&[]);
        self.line += count_newlines(seg) as u32;
        self.line_pos = offset;
        self.line
    }

    /// hcl-edit's `nested`: one level deeper, in its own operator scope.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let saved = self.ops;
        self.ops = 0;
        let r = f(self);
        self.ops = saved.max(self.ops);
        self.depth -= 1;
        r
    }

    // ---- structure ----------------------------------------------------

    fn body(&mut self) -> Option<Body> {
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

    // ---- expressions --------------------------------------------------

    /// An attribute value: its own operator scope, no extra nesting level,
    /// newlines not allowed until a term allows them.
    fn root_expr(&mut self) -> Option<Expression> {
        let saved = self.ops;
        self.ops = 0;
        let mut nl = false;
        let r = self.expr_inner(&mut nl);
        self.ops = saved.max(self.ops);
        r
    }

    /// hcl-edit's `expr` (`nl == false`), `multiline_expr` and
    /// `expr_with_state` (`nl` = the enclosing expression's flag).
    fn expr(&mut self, nl: bool) -> Option<Expression> {
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
            b'0'..=b'9' => Expression::Number(self.number()?),
            b'<' => self.heredoc()?,
            b'-' => {
                self.pos += 1;
                self.sp()?;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    Expression::Number(-self.number()?)
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
    fn array(&mut self) -> Option<Expression> {
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
    fn object(&mut self, nl: &mut bool) -> Option<Expression> {
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

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Option<Number> {
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
        if float {
            Number::from_f64(s.parse::<f64>().ok()?)
        } else {
            Some(Number::from(s.parse::<u64>().ok()?))
        }
    }

    // ---- strings and templates -----------------------------------------

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
    fn quoted_literal(&mut self) -> Option<(Cow<'a, str>, Stop)> {
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
    fn raw_literal(&mut self, delim: Option<&[u8]>) -> Option<(Cow<'a, str>, Stop)> {
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

    /// Whether a line ending, spaces or tabs and `delim` (not followed by
    /// an identifier character) start at the current position.
    fn heredoc_end_at(&self, delim: &[u8]) -> Option<bool> {
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

    /// Template elements up to where hcl-edit's `repeat` stops.
    fn elements(&mut self, mode: Mode<'a>, out: &mut Vec<TElem<'a>>) -> Option<Stop> {
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
    fn interpolation_parts(&mut self) -> Option<(Expression, hcl::template::Strip)> {
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
    fn quoted(&mut self) -> Option<Expression> {
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

    /// `<<EOF` / `<<-EOF` heredoc (at `<`).
    fn heredoc(&mut self) -> Option<Expression> {
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
        let mut strip = HeredocStripMode::None;
        if indent {
            if let Some(n) = dedent(&mut elems) {
                strip = HeredocStripMode::Indent;
                for el in &mut elems {
                    dedent_directive(el, n);
                }
            }
        }
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

/// hcl-primitives' `escape_markers`: `${` → `$${` and `%{` → `%%{`,
/// scanning pairwise from the first marker (as it does).
fn escape_markers(literal: &str) -> Cow<'_, str> {
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
fn encode(elems: &[TElem<'_>], out: &mut String) {
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

/// hcl-edit's `Template::dedent` on a `<<-` heredoc's top-level elements.
fn dedent(elems: &mut [TElem<'_>]) -> Option<usize> {
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
    let n = indent?;
    skip_first = false;
    for el in elems.iter_mut() {
        if let TElem::Lit(lit) = el {
            let dedented = dedent_by(lit, n, skip_first);
            *lit = Cow::Owned(dedented);
            skip_first = !lit.ends_with('\n');
        } else {
            skip_first = true;
        }
    }
    Some(n)
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

fn dedent_by(s: &str, n: usize, skip_first: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.lines().enumerate() {
        if i == 0 && skip_first {
            out.push_str(line);
        } else if !line.is_empty() {
            out.extend(line.chars().skip(n));
        }
        out.push('\n');
    }
    if out.ends_with('\n') && !s.ends_with('\n') {
        out.pop();
    }
    out
}

/// parse.rs's `HeredocFix`: the text inside a dedented heredoc's
/// directives loses the same indent.
fn dedent_directive(el: &mut TElem<'_>, n: usize) {
    match el {
        TElem::If { body, els, .. } => {
            dedent_nested(body, n);
            if let Some((_, body)) = els {
                dedent_nested(body, n);
            }
        }
        TElem::For { body, .. } => dedent_nested(body, n),
        TElem::Lit(_) | TElem::Raw(_) => {}
    }
}

fn dedent_nested(elems: &mut [TElem<'_>], n: usize) {
    for el in elems {
        if let TElem::Lit(lit) = el {
            let mut out = String::with_capacity(lit.len());
            for (i, line) in lit.split_inclusive('\n').enumerate() {
                if i == 0 {
                    out.push_str(line);
                    continue;
                }
                let cut = line
                    .char_indices()
                    .take_while(|(j, c)| *j < n && (*c == ' ' || *c == '\t'))
                    .count();
                out.push_str(line.get(cut..).unwrap_or(""));
            }
            *lit = Cow::Owned(out);
        } else {
            dedent_directive(el, n);
        }
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
    use super::*;
    use crate::sources::terraform::parse::parse_hcl_with;
    use std::path::Path;

    fn slow(text: &str) -> Option<Body> {
        parse_hcl_with(text, Path::new("t.tf"), "t.tf", false)
            .ok()
            .map(|f| f.body)
    }

    /// Both parsers accept `text`, the fast one without falling back, and
    /// agree.
    #[track_caller]
    fn same(text: &str) {
        let s = slow(text).unwrap_or_else(|| panic!("hcl-edit rejects {text:?}"));
        let f = parse(text).unwrap_or_else(|| panic!("fast path declined {text:?}"));
        assert_eq!(f, s, "for {text:?}");
    }

    /// hcl-edit rejects `text`, so the fast path must decline it.
    #[track_caller]
    fn rejected(text: &str) {
        assert!(slow(text).is_none(), "hcl-edit accepts {text:?}");
        assert!(parse(text).is_none(), "fast path accepts {text:?}");
    }

    /// Whatever hcl-edit does, the fast path is either silent or equal (and
    /// silent whenever hcl-edit itself rejects the text, even when
    /// `parse_hcl` recovers from that error).
    #[track_caller]
    fn consistent(text: &str) {
        let f = parse(text);
        if f.is_some() {
            assert!(
                hcl_edit::parser::parse_body(text).is_ok(),
                "fast path accepts what hcl-edit rejects: {text:?}"
            );
        }
        match slow(text) {
            None => assert!(
                f.is_none(),
                "fast path accepts what hcl-edit rejects: {text:?}"
            ),
            Some(s) => {
                if let Some(f) = f {
                    assert_eq!(f, s, "for {text:?}");
                }
            }
        }
    }

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
            "a = 99999999999999999999\n",
            "a = 1e999\n",
            "a = 1.\n",
        ] {
            consistent(t);
        }
        rejected("a = 1e\n");
        rejected("a = 99999999999999999999\n");
    }

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

    #[test]
    fn more_edges() {
        for t in [
            "a = var.\n  x\n",
            "a = [var\n  .x]\n",
            "a = -1.5e3\n",
            "a = <<EOF\n\\n $${x} %%{y} \\\"\nEOF\n",
            "a = <<-EOF\n\t\tx\n\t\tEOF\n",
            "a = \"%{ for x in l ~}%{ if x }${x}%{ endif }%{~ endfor }\"\n",
            "r \"a\" b \"c\" {\n}\n",
            "a = {\n  # only a comment\n}\n",
            "a = [ # c\n]\n",
            "a = f( # c\n)\n",
            "a = (\n  1 +\n  2\n)\n",
            "a = [\n  a ? b : c,\n  d\n  ? e\n  : f,\n]\n",
            "a = {for k, v in m : k => v if v != null}\n",
            "a = [for s in l : s]\n",
            "a = \"${a+1}${b  *  2}${c\n  ==\n  d}\"\n",
            "a = \"${a .b .c}${a\n  .b}${a[0] [1]}\"\n",
            "a = \"${{a = 1\r\n b = 2\r\n}}\"\n",
            "a = \"${{a = 1 # c\r\n}}\"\n",
        ] {
            same(t);
        }
        for t in [
            "a = 1 /* multi\nline */ b = 2\n",
            "a = var\n  .x\n",
            "a = {for = 1}\n",
            "a = [for]\n",
            "b { a = <<EOF\nx\nEOF\n}\n",
            "b { a = <<EOF\nx\nEOF\n }\n",
            "a = {a = 1} {b = 2}\n",
            "a = x.y.\n",
            "a = x[\n",
            "a = \"${\"${\"${x}\"}\"}\"\n",
            "a = \"${\"a${\"b\"}\\n\"}\"\n",
            "a = \"${ {for k, v in m : k => v... }.x }\"\n",
            "a = \"${ -{for k, v in m : k => v... } }\"\n",
            "a = \"${ {for k, v in m : k => v... } == 1 }\"\n",
        ] {
            consistent(t);
        }
    }

    #[test]
    fn newline_count() {
        let text = "a\nb\n\n\n\u{e9}\n\u{80a}\u{a80}xxxxxxxxxxxxx\nxx\n\n";
        for i in 0..text.len() {
            for j in i..text.len() {
                let s = &text.as_bytes()[i..j];
                assert_eq!(count_newlines(s), s.iter().filter(|&&c| c == b'\n').count());
            }
        }
    }

    #[test]
    fn nesting_limits() {
        let deep = format!("a = {}1{}\n", "[".repeat(70), "]".repeat(70));
        rejected(&deep);
        let ok = format!("a = {}1{}\n", "[".repeat(20), "]".repeat(20));
        same(&ok);
        let parens = format!("a = {}1{}\n", "(".repeat(100), ")".repeat(100));
        consistent(&parens);
        let chain = format!("a = 1{}\n", " + 1".repeat(200));
        rejected(&chain);
        let chain = format!("a = 1{}\n", " + 1".repeat(50));
        same(&chain);
        let blocks = format!("{}{}", "b {\n".repeat(70), "}\n".repeat(70));
        rejected(&blocks);
        let nots = format!("a = {}x\n", "!".repeat(80));
        rejected(&nots);
    }

    #[test]
    fn every_fixture_file_takes_the_fast_path() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        collect(&root, &mut files);
        assert!(
            files.len() > 10,
            "fixtures not found under {}",
            root.display()
        );
        for file in files {
            let raw = std::fs::read_to_string(&file).unwrap();
            let text = crate::sources::terraform::parse::strip_bom(&raw);
            match slow(text) {
                Some(s) => {
                    let f = parse(text)
                        .unwrap_or_else(|| panic!("fast path declined {}", file.display()));
                    assert_eq!(f, s, "{}", file.display());
                }
                None => assert!(parse(text).is_none(), "{}", file.display()),
            }
        }
    }

    /// Random HCL expressions from the grammar, with random spacing and
    /// comments, for [`generated_expressions_agree`].
    struct Gen {
        seed: u64,
    }

    impl Gen {
        fn next(&mut self) -> u64 {
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            self.seed
        }

        fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
            items[(self.next() as usize) % items.len()]
        }

        /// Space where hcl-edit allows it inside brackets (`nl`) or not.
        fn sp(&mut self, nl: bool) -> &'static str {
            if nl {
                self.pick(&[
                    "",
                    " ",
                    "  ",
                    "\n  ",
                    " # c\n ",
                    " // c\n",
                    " /* c */ ",
                    "\r\n",
                ])
            } else {
                self.pick(&["", " ", " ", "  ", "\t", " /* c */ "])
            }
        }

        fn string(&mut self) -> String {
            let parts = [
                "a",
                "b c",
                "\\n",
                "\\t",
                "\\\"",
                "\\\\",
                "\\u0041",
                "\\u00e9",
                "$${x}",
                "%%{y}",
                "$",
                "%",
                "é",
                "\\/",
                "\\r",
                "\\b",
                "\\f",
                "\\U0001F600",
                "\\u001b",
                "\t",
            ];
            let mut s = String::from("\"");
            for _ in 0..(self.next() % 4) {
                s.push_str(self.pick(&parts));
            }
            s.push('"');
            s
        }

        fn template(&mut self, depth: u32, nl: bool) -> String {
            let mut s = String::from("\"");
            for _ in 0..(1 + self.next() % 3) {
                match self.next() % 6 {
                    0 | 1 => {
                        let lit = self.string();
                        s.push_str(&lit[1..lit.len() - 1]);
                    }
                    2 | 3 => {
                        let strip_l = self.pick(&["", "~"]);
                        let strip_r = self.pick(&["", "~"]);
                        let (a, b) = (self.sp(true), self.sp(true));
                        let e = self.expr(depth + 1, true);
                        s.push_str(&format!("${{{strip_l}{a}{e}{b}{strip_r}}}"));
                    }
                    4 => {
                        let c = self.expr(depth + 1, false);
                        let (a, b) = (self.sp(false), self.sp(false));
                        s.push_str(&format!("%{{{a}if {c}{b}}}yes"));
                        if self.next() % 2 == 0 {
                            s.push_str("%{ else }no\\n");
                        }
                        s.push_str("%{endif}");
                    }
                    _ => {
                        let c = self.expr(depth + 1, false);
                        s.push_str(&format!(
                            "%{{for k, v in {c}}}${{k}}=${{ v }},%{{ endfor ~}}"
                        ));
                    }
                }
            }
            let _ = nl;
            s.push('"');
            s
        }

        fn expr(&mut self, depth: u32, nl: bool) -> String {
            let leaf = depth > 3 || self.next() % 3 == 0;
            if leaf {
                return match self.next() % 9 {
                    0 => self
                        .pick(&["1", "0", "42", "1.5", "2e3", "1.0", "007", "3.25E-2"])
                        .into(),
                    1 => self.pick(&["true", "false", "null"]).into(),
                    2 => self.string(),
                    3 => self
                        .pick(&["var.x", "local.a-b", "each.key", "count.index"])
                        .into(),
                    4 => self.pick(&["x", "foo_bar", "a-b"]).into(),
                    5 => self.template(depth, nl),
                    6 => "[]".into(),
                    7 => "{}".into(),
                    _ => self
                        .pick(&["var.l[0]", "var.l.0", "var.l[*].id", "var.m.*.x"])
                        .into(),
                };
            }
            let d = depth + 1;
            match self.next() % 14 {
                0 => {
                    let (a, b) = (self.expr(d, nl), self.expr(d, nl));
                    let op = self.pick(&[
                        "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
                    ]);
                    format!("{a}{}{op}{}{b}", self.sp(nl), self.sp(nl))
                }
                1 => {
                    let (a, b, c) = (self.expr(d, nl), self.expr(d, nl), self.expr(d, nl));
                    format!(
                        "{a}{}?{}{b}{}:{}{c}",
                        self.sp(nl),
                        self.sp(nl),
                        self.sp(nl),
                        self.sp(nl)
                    )
                }
                2 => format!(
                    "{}{}{}",
                    self.pick(&["-", "!"]),
                    self.sp(false),
                    self.expr(d, nl)
                ),
                3 => format!("({}{}{})", self.sp(true), self.expr(d, true), self.sp(true)),
                4 => {
                    let mut s = String::from("[");
                    for i in 0..(self.next() % 4) {
                        if i > 0 {
                            s.push(',');
                        }
                        let (a, b) = (self.sp(true), self.sp(true));
                        s.push_str(&format!("{a}{}{b}", self.expr(d, true)));
                    }
                    s.push_str(self.pick(&["]", ",]", " ]"]));
                    s
                }
                5 => {
                    let mut s = String::from("{");
                    let keys = ["a", "b", "\"c\"", "(var.k)", "\"${d}\"", "e-f", "null"];
                    for (i, key) in keys.iter().take((self.next() % 4) as usize).enumerate() {
                        if i > 0 {
                            s.push_str(self.pick(&[",", "\n", ", ", " # c\n", "\r\n"]));
                        }
                        let eq = self.pick(&["=", ":", " = ", " : "]);
                        s.push_str(&format!(
                            "{}{key}{eq}{}",
                            self.sp(true),
                            self.expr(d, false)
                        ));
                    }
                    s.push_str(self.pick(&["}", "\n}", ",}", " }"]));
                    s
                }
                6 => {
                    let name = self.pick(&["f", "format", "provider::aws::arn", "lookup"]);
                    let mut s = format!("{name}(");
                    let n = self.next() % 4;
                    for i in 0..n {
                        if i > 0 {
                            s.push(',');
                        }
                        s.push_str(&format!(
                            "{}{}{}",
                            self.sp(true),
                            self.expr(d, true),
                            self.sp(true)
                        ));
                    }
                    if n > 0 {
                        s.push_str(self.pick(&["", ",", "..."]));
                    }
                    s.push(')');
                    s
                }
                7 => {
                    let base = self.expr(d, nl);
                    let mut s = format!("({base})");
                    for _ in 0..(1 + self.next() % 3) {
                        let op = match self.next() % 5 {
                            0 => ".x".to_string(),
                            1 => ".0".to_string(),
                            2 => "[*]".to_string(),
                            3 => ".*".to_string(),
                            _ => format!(
                                "[{}{}{}]",
                                self.sp(true),
                                self.expr(d, true),
                                self.sp(true)
                            ),
                        };
                        s.push_str(self.sp(nl));
                        s.push_str(&op);
                    }
                    s
                }
                8 => {
                    let (c, v) = (self.expr(d, false), self.expr(d, true));
                    let cond = if self.next() % 2 == 0 {
                        format!(" if {}", self.expr(d, true))
                    } else {
                        String::new()
                    };
                    format!("[for x in {c} :{}{v}{cond}]", self.sp(true))
                }
                9 => {
                    let (c, k, v) = (
                        self.expr(d, false),
                        self.expr(d, false),
                        self.expr(d, false),
                    );
                    let group = self.pick(&["", "...", "... "]);
                    let cond = if self.next() % 2 == 0 {
                        format!(" if {}", self.expr(d, true))
                    } else {
                        String::new()
                    };
                    format!("{{for k, v in {c} : {k} => {v}{group}{cond}}}")
                }
                10 => self.template(d, nl),
                _ => {
                    let mut s = self.pick(&["var", "local", "module", "data"]).to_string();
                    for _ in 0..(1 + self.next() % 3) {
                        s.push_str(self.sp(nl));
                        s.push_str(self.pick(&[".a", ".b_c", "[0]", ".*", "[*]", ".1"]));
                    }
                    s
                }
            }
        }
    }

    /// Random expressions (as attribute values, and inside templates)
    /// parse the same both ways, and most are taken by the fast path.
    #[test]
    fn generated_expressions_agree() {
        let mut g = Gen {
            seed: 0x2545_f491_4f6c_dd1d,
        };
        let (mut valid, mut fast) = (0, 0);
        for i in 0..6000 {
            let e = g.expr(0, false);
            let text = if i % 3 == 0 {
                format!("a = \"${{{e}}}\"\n")
            } else if i % 3 == 1 {
                format!(
                    "a = <<-EOT\n  x ${{{e}}}\n    %{{ if {e} }}\n    y\n  %{{ endif }}\n  EOT\n"
                )
            } else {
                format!("a = {e}\n")
            };
            consistent(&text);
            if slow(&text).is_some() {
                valid += 1;
                if parse(&text).is_some() {
                    fast += 1;
                }
            }
        }
        assert!(valid > 1500, "only {valid} generated inputs were valid");
        assert!(fast * 100 >= valid * 95, "fast path took {fast} of {valid}");
    }

    /// `template` is either silent or builds exactly what hcl-rs's
    /// `Template::from_str` (hcl-edit's template parser) builds.
    #[track_caller]
    fn template_consistent(text: &str) -> bool {
        let fast = template(text);
        let slow = text.parse::<hcl::template::Template>();
        match (fast, slow) {
            (Some(f), Ok(s)) => {
                assert_eq!(f, s, "template {text:?}");
                true
            }
            (Some(f), Err(e)) => {
                panic!("template fast path accepts {text:?} ({f:?}); hcl-edit: {e}")
            }
            (None, _) => false,
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

    /// Every template of every fixture, and mangled copies of each.
    #[test]
    fn fixture_templates_and_mangled_copies() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        collect(&root, &mut files);
        let mut texts = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            if let Some(b) = parse(&text) {
                texts.extend(template_texts(&b));
            }
        }
        assert!(
            texts.len() >= 40,
            "only {} templates in the fixtures",
            texts.len()
        );
        let mut fast = 0;
        for t in &texts {
            if template_consistent(t) {
                fast += 1;
            }
        }
        let plain = texts.iter().filter(|t| !t.contains("%{")).count();
        assert_eq!(
            fast, plain,
            "fast path declined a fixture template without directives"
        );
        let flips: &[u8] = b"{}[]()\"$%~\\ \n.,:?";
        let mut rng = Gen {
            seed: 0x2545_f491_4f6c_dd1d,
        };
        let mut checked = 0;
        for t in &texts {
            let raw = t.as_bytes();
            for cut in 0..raw.len() {
                if let Ok(p) = std::str::from_utf8(&raw[..cut]) {
                    template_consistent(p);
                }
            }
            for _ in 0..60 {
                let mut bytes = raw.to_vec();
                if bytes.is_empty() {
                    break;
                }
                let seed = rng.next();
                let at = (seed as usize) % bytes.len();
                bytes[at] = flips[((seed >> 32) as usize) % flips.len()];
                if let Ok(m) = String::from_utf8(bytes) {
                    template_consistent(&m);
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "only {checked} mangled templates");
    }

    fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect(&path, out);
            } else {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".hcl") {
                    out.push(path);
                }
            }
        }
    }

    /// Truncated prefixes and byte flips of every fixture: no panic, and
    /// never accepted when hcl-edit rejects (or different when it accepts).
    #[test]
    fn fuzz_prefixes_and_flips() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        collect(&root, &mut files);
        let mut rng = Gen {
            seed: 0x9e37_79b9_7f4a_7c15,
        };
        let mut next = move || rng.next();
        let flips: &[u8] = b"{}[]()\"'$%~#/*\n\r\t =:,.?<>-!+&|\\ax0";
        for file in files {
            let raw = std::fs::read(&file).unwrap();
            let step = (raw.len() / 40).max(1);
            for cut in (0..raw.len()).step_by(step) {
                if let Ok(text) = std::str::from_utf8(&raw[..cut]) {
                    consistent(text);
                }
            }
            for _ in 0..60 {
                let mut bytes = raw.clone();
                if bytes.is_empty() {
                    break;
                }
                for _ in 0..(1 + next() % 3) {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] = flips[(next() as usize) % flips.len()];
                }
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    consistent(text);
                }
            }
        }
    }
}
