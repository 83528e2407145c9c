//! Parsing: Terraform files into a small IR that keeps a line for every
//! block and attribute.
//!
//! We parse with `hcl-edit` (which keeps spans) and convert each expression
//! to the `hcl-rs` AST that the evaluator walks. `hcl::parse` does exactly the
//! same work and then throws the spans away, so this costs no extra parse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::Span;

/// A parsed `.tf` or `.tfvars` file.
#[derive(Debug, Clone)]
pub struct File {
    /// The path as shown to users (relative to the project base).
    pub display: String,
    pub path: PathBuf,
    pub body: Body,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        // Terraform rejects duplicate attributes; if a file has them anyway
        // the last one is what a reader sees last, so prefer it.
        self.attributes.iter().rev().find(|a| a.name == name)
    }

    pub fn blocks<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub expr: hcl::Expression,
    pub line: u32,
    /// `# parity:ignore <rule> <reason>` on the line before.
    pub ignore: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub line: u32,
    pub ignore: Option<(String, String)>,
}

/// A syntax error with its position.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SyntaxError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Decode a Terraform file's bytes. Invalid UTF-8 is a syntax error at the
/// first bad byte, as in Terraform ("Invalid character encoding"), except in
/// binary data (a NUL byte), which the parsers word themselves (git-crypt,
/// "binary data").
pub fn decode<'a>(
    bytes: &'a [u8],
    display: &str,
) -> Result<std::borrow::Cow<'a, str>, SyntaxError> {
    // `from_utf8` first: its ASCII fast path is several times faster than
    // the lossy decoder, which only bad bytes need.
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(std::borrow::Cow::Borrowed(s)),
        Err(_) if bytes.contains(&0) => Ok(String::from_utf8_lossy(bytes)),
        Err(e) => {
            let at = e.valid_up_to();
            let line_start = bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&bytes[line_start..at])
                .chars()
                .count()
                + 1;
            Err(SyntaxError {
                file: display.to_string(),
                line: crate::input::invalid_utf8_line(bytes, at),
                column,
                message: "invalid UTF-8: Terraform reads only UTF-8 encoded text (Invalid character encoding)".into(),
            })
        }
    }
}

/// Byte offset → 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }
}

/// Strip a UTF-8 byte order mark; Windows editors write one.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parse HCL text into the IR.
pub fn parse_hcl(text: &str, path: &Path, display: &str) -> Result<File, SyntaxError> {
    parse_hcl_with(text, path, display, true)
}

/// [`parse_hcl`], with the fast parser ([`super::fastparse`]) tried first
/// when `fast`; hcl-edit parses whatever it declines. `fast == false` is the
/// reference the differential tests compare against.
pub fn parse_hcl_with(
    text: &str,
    path: &Path,
    display: &str,
    fast: bool,
) -> Result<File, SyntaxError> {
    let text = strip_bom(text);
    if text.contains('\0') {
        return Err(SyntaxError {
            file: display.to_string(),
            line: 1,
            column: 1,
            message: if text.starts_with("\0GITCRYPT") {
                "the file is encrypted (git-crypt): unlock the repository first".into()
            } else {
                "binary data, not Terraform text".into()
            },
        });
    }
    if let Some(body) = fast.then(|| super::fastparse::parse(text)).flatten() {
        return Ok(File {
            display: display.to_string(),
            path: path.to_path_buf(),
            body,
        });
    }
    let mut owned: Option<String> = None;
    // Heredoc delimiters renamed (new, original), and the error that made
    // us rename them: reported if the renamed text fails too.
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut before_rename: Option<SyntaxError> = None;
    let mut body = loop {
        let current = owned.as_deref().unwrap_or(text);
        match hcl_edit::parser::parse_body(current) {
            Ok(body) => break body,
            Err(e) => {
                // hcl-edit rejects an object constructor that repeats a key;
                // Terraform accepts it and keeps the last value. Rename the
                // repeated key (the error points at it) to a marker the
                // evaluator folds back onto the original key.
                if e.message().contains("redefined object key") {
                    if let Some(next) = mark_repeated_key(current, e.location().offset()) {
                        owned = Some(next);
                        continue;
                    }
                }
                // Positions refer to the same lines and columns: a renamed
                // key never adds or removes a line break.
                let loc = e.location();
                let err = SyntaxError {
                    file: display.to_string(),
                    line: loc.line(),
                    column: loc.column(),
                    message: first_line(e.message()),
                };
                if let Some(first) = before_rename {
                    return Err(first);
                }
                // hcl-edit ends a heredoc at a line that only starts with
                // its delimiter (`EOF"`); see [`rename_heredoc_delimiters`].
                if let Some((next, names)) = rename_heredoc_delimiters(current) {
                    owned = Some(next);
                    renamed = names;
                    before_rename = Some(err);
                    continue;
                }
                return Err(err);
            }
        }
    };
    let text = owned.as_deref().unwrap_or(text);
    hcl_edit::visit_mut::VisitMut::visit_body_mut(&mut RawIndentedHeredoc(text), &mut body);
    hcl_edit::visit_mut::VisitMut::visit_body_mut(
        &mut NegativeZero {
            text,
            templates: false,
        },
        &mut body,
    );
    if !renamed.is_empty() {
        hcl_edit::visit_mut::VisitMut::visit_body_mut(&mut RestoreDelimiters(&renamed), &mut body);
    }
    let index = LineIndex::new(text);
    let ignores = scan_ignores(text);
    Ok(File {
        display: display.to_string(),
        path: path.to_path_buf(),
        body: convert_body(body, &index, &ignores),
    })
}

/// Terraform ends a heredoc at the first line that, without its leading and
/// trailing spaces, is exactly the delimiter. hcl-edit also ends it at a line
/// that merely starts with the delimiter followed by a character that cannot
/// continue an identifier (`EOF"`, a shell heredoc closed inside a quoted
/// command), and then fails on the rest of that line. For each heredoc with
/// such a line, give it a delimiter that no line of it starts with (on the
/// opening line and on the real closing line; no line break moves, so
/// positions stay right) and return (new, original) names, which are put
/// back after parsing. `None` when no heredoc needs it.
fn rename_heredoc_delimiters(text: &str) -> Option<(String, Vec<(String, String)>)> {
    let continues_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Where each possible closing line is, so finding a heredoc's end costs
    // a lookup, not a scan (a file of unclosed `<<X` lines stays linear).
    let mut closers: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (j, l) in lines.iter().enumerate() {
        closers.entry(l.trim()).or_default().push(j);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut renamed = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let content = line.trim_end_matches(['\n', '\r']);
        // An opener ends its line: `<<EOF` or `<<-EOF`.
        let opener = content.rfind("<<").and_then(|at| {
            let delim = content[at + 2..]
                .strip_prefix('-')
                .unwrap_or(&content[at + 2..]);
            let valid = delim
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && delim.chars().all(continues_ident);
            valid.then(|| (content.len() - delim.len(), delim))
        });
        let Some((delim_at, delim)) = opener else {
            out.push_str(line);
            continue;
        };
        let Some(end) = closers
            .get(delim)
            .and_then(|at| at.get(at.partition_point(|&j| j < i)).copied())
        else {
            out.push_str(line);
            continue;
        };
        let false_end = lines[i..end].iter().any(|l| {
            l.trim_start_matches([' ', '\t'])
                .strip_prefix(delim)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|c| !continues_ident(c) && c != '\n' && c != '\r')
        });
        if !false_end {
            // Copied whole: a `<<X` in its text opens nothing.
            for l in &lines[i - 1..=end] {
                out.push_str(l);
            }
            i = end + 1;
            continue;
        }
        let mut n = renamed.len();
        let new = loop {
            let candidate = format!("PARITY_HEREDOC_{n}");
            if !text.contains(&candidate) {
                break candidate;
            }
            n += 1;
        };
        out.push_str(&line[..delim_at]);
        out.push_str(&new);
        out.push_str(&line[delim_at + delim.len()..]);
        for l in &lines[i..end] {
            out.push_str(l);
        }
        out.push_str(&lines[end].replacen(delim, &new, 1));
        renamed.push((new, delim.to_string()));
        i = end + 1;
    }
    (!renamed.is_empty()).then_some((out, renamed))
}

/// Put back the heredoc delimiters [`rename_heredoc_delimiters`] changed.
struct RestoreDelimiters<'a>(&'a [(String, String)]);

impl hcl_edit::visit_mut::VisitMut for RestoreDelimiters<'_> {
    fn visit_heredoc_template_mut(&mut self, node: &mut hcl_edit::template::HeredocTemplate) {
        if let Some((_, original)) = self
            .0
            .iter()
            .find(|(new, _)| node.delimiter.as_str() == new)
        {
            node.delimiter = hcl_edit::Ident::new(original.clone());
        }
        hcl_edit::visit_mut::visit_heredoc_template_mut(self, node);
    }
}

/// Prefix of a renamed repeated object key; see `mark_repeated_key`.
pub const REPEATED_KEY_MARK: &str = "__parity_repeated__";

/// Rename the object key that starts at byte `offset` (an identifier or a
/// quoted string) to `__parity_repeated__<key>`. `None` when there is no
/// such key there (the input then stays an error).
fn mark_repeated_key(text: &str, offset: usize) -> Option<String> {
    let rest = text.get(offset..)?;
    let first = rest.chars().next()?;
    if first == '"' || first.is_alphabetic() || first == '_' {
        let insert_at = if first == '"' { offset + 1 } else { offset };
        let mut out = String::with_capacity(text.len() + REPEATED_KEY_MARK.len());
        out.push_str(&text[..insert_at]);
        out.push_str(REPEATED_KEY_MARK);
        out.push_str(&text[insert_at..]);
        return Some(out);
    }
    None
}

/// hcl-edit dedents a `<<-` heredoc's top-level text when it parses it
/// (not the text inside its `%{for}` / `%{if}` directives). Terraform
/// removes the indent after applying the `~` strip markers, from the lines
/// that still start a line then (`eval::dedent_heredoc`). So a heredoc
/// hcl-edit dedented gets its text back as written, from the source; its
/// indent stays set, which marks it `Indent` for the evaluator.
struct RawIndentedHeredoc<'t>(&'t str);

impl hcl_edit::visit_mut::VisitMut for RawIndentedHeredoc<'_> {
    fn visit_heredoc_template_mut(&mut self, node: &mut hcl_edit::template::HeredocTemplate) {
        use hcl_edit::Span as _;
        if node.indent().is_some() {
            let raw = node
                .template
                .span()
                .and_then(|span| self.0.get(span))
                .and_then(|raw| raw.parse::<hcl_edit::template::Template>().ok());
            if let Some(raw) = raw {
                node.template = raw;
            }
        }
        hcl_edit::visit_mut::visit_heredoc_template_mut(self, node);
    }
}

/// The literal `-0` (`-0.0`, `- 0`): Terraform's number is a negative
/// zero (`tostring(-0)` is `"-0"`). hcl-edit folds the minus into the
/// literal and hcl-rs numbers have no negative zero, so such a literal
/// becomes the negation of the literal 0, which the evaluator computes as
/// negative zero. The fast parser builds the same
/// (`fastparse::expr::Parser::number`). Not inside templates: there
/// hcl-edit's encoder writes the literal as `0`, and the fast parser
/// reproduces that text.
struct NegativeZero<'t> {
    text: &'t str,
    /// Inside templates too: only for a template parsed from `text` alone,
    /// where their spans point into `text`.
    templates: bool,
}

/// [`NegativeZero`] in a template parsed from `text` on its own (the
/// evaluator's fallback for templates with directives).
pub(super) fn negative_zero_in_template(text: &str, template: &mut hcl_edit::template::Template) {
    let mut v = NegativeZero {
        text,
        templates: true,
    };
    hcl_edit::visit_mut::VisitMut::visit_template_mut(&mut v, template);
}

impl hcl_edit::visit_mut::VisitMut for NegativeZero<'_> {
    fn visit_expr_mut(&mut self, node: &mut hcl_edit::expr::Expression) {
        use hcl_edit::expr::{Expression, UnaryOp, UnaryOperator};
        use hcl_edit::Span as _;
        if let Expression::Number(n) = node {
            let negative_zero = n.value().as_f64() == Some(0.0)
                && n.span()
                    .and_then(|span| self.text.get(span))
                    .is_some_and(|raw| raw.starts_with('-'));
            if negative_zero {
                let zero =
                    Expression::Number(hcl_edit::Formatted::new(hcl_edit::Number::from(0u64)));
                *node = Expression::from(UnaryOp::new(UnaryOperator::Neg, zero));
            }
            return;
        }
        hcl_edit::visit_mut::visit_expr_mut(self, node);
    }

    // A template keeps its text as hcl-edit's encoder writes it (the fast
    // parser reproduces that text); it is parsed when evaluated.
    fn visit_template_mut(&mut self, node: &mut hcl_edit::template::Template) {
        if self.templates {
            hcl_edit::visit_mut::visit_template_mut(self, node);
        }
    }
}

fn first_line(message: &str) -> String {
    let msg = message.lines().next().unwrap_or(message).trim();
    if msg.is_empty() {
        "invalid HCL syntax".to_string()
    } else {
        msg.to_string()
    }
}

/// Lines (1-based) that hold a `parity:ignore` comment, keyed by the line
/// the comment applies to (the next one).
pub(super) fn scan_ignores(text: &str) -> BTreeMap<u32, (String, String)> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let comment = trimmed
            .strip_prefix('#')
            .or_else(|| trimmed.strip_prefix("//"))
            .map(str::trim_start);
        if let Some(rest) = comment.and_then(|c| c.strip_prefix("parity:ignore")) {
            let mut parts = rest.trim().splitn(2, char::is_whitespace);
            let rule = parts.next().unwrap_or("").trim().to_string();
            let reason = parts.next().unwrap_or("").trim().to_string();
            if !rule.is_empty() {
                out.insert(i as u32 + 2, (rule, reason));
            }
        }
    }
    out
}

fn convert_body(
    body: hcl_edit::structure::Body,
    index: &LineIndex,
    ignores: &BTreeMap<u32, (String, String)>,
) -> Body {
    let mut out = Body::default();
    for structure in body {
        let line = structure
            .span()
            .map(|s| index.line(s.start))
            .unwrap_or_default();
        match structure {
            hcl_edit::structure::Structure::Attribute(attr) => out.attributes.push(Attribute {
                name: attr.key.as_str().to_string(),
                expr: hcl::Expression::from(attr.value),
                line,
                ignore: ignores.get(&line).cloned(),
            }),
            hcl_edit::structure::Structure::Block(block) => out.blocks.push(Block {
                kind: block.ident.as_str().to_string(),
                labels: block
                    .labels
                    .iter()
                    .map(|l| l.as_str().to_string())
                    .collect(),
                line,
                ignore: ignores.get(&line).cloned(),
                body: convert_body(block.body, index, ignores),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_and_ignores() {
        let text = "\u{feff}variable \"a\" {\r\n  default = 1\r\n}\r\n\r\n# parity:ignore engine-version staging tries 16\r\nresource \"aws_db_instance\" \"db\" {\r\n  engine = \"postgres\"\r\n}\r\n";
        let file = parse_hcl(text, Path::new("main.tf"), "main.tf").unwrap();
        assert_eq!(file.body.blocks.len(), 2);
        assert_eq!(file.body.blocks[0].line, 1);
        assert_eq!(file.body.blocks[0].body.attributes[0].line, 2);
        let db = &file.body.blocks[1];
        assert_eq!(db.line, 6);
        assert_eq!(db.labels, vec!["aws_db_instance", "db"]);
        assert_eq!(
            db.ignore,
            Some(("engine-version".to_string(), "staging tries 16".to_string()))
        );
    }

    #[test]
    fn repeated_object_keys_parse_and_are_marked() {
        let file = parse_hcl(
            "x = {\n  a = 1\n  \"b\" = 2\n  a = 3\n  \"b\" = 4\n}\n",
            Path::new("t.tf"),
            "t.tf",
        )
        .unwrap();
        let text = hcl::format::to_string(&file.body.attributes[0].expr).unwrap();
        assert!(text.contains("__parity_repeated__a"), "{text}");
        assert!(text.contains("__parity_repeated__b"), "{text}");
    }

    #[test]
    fn a_heredoc_line_starting_with_the_delimiter_does_not_end_it() {
        // The smallest input hcl-edit rejects: `EOF"` is heredoc text for
        // Terraform (only a line that is exactly the delimiter ends it).
        let text = "a = <<EOF\nx\nEOF\"\nEOF\n";
        assert!(hcl_edit::parser::parse_body(text).is_err());
        let file = parse_hcl_with(text, Path::new("t.tf"), "t.tf", false).unwrap();
        let value = hcl::format::to_string(&file.body.attributes[0].expr).unwrap();
        // The template text, and the delimiter as written.
        assert_eq!(value, "<<EOF\nx\nEOF\"\nEOF");
        // As written in real code: a shell heredoc closed inside a quoted
        // command, in an indented heredoc, followed by more attributes.
        let text = "locals {\n  script = <<-EOF\n    su -c \"sqlplus << EOF\n    exit;\n    EOF\"\n    done\n  EOF\n  after = 1\n}\n";
        let file = parse_hcl_with(text, Path::new("t.tf"), "t.tf", false).unwrap();
        let locals = &file.body.blocks[0].body;
        assert_eq!(locals.attributes[1].name, "after");
        assert_eq!(locals.attributes[1].line, 8);
        let script = hcl::format::to_string(&locals.attributes[0].expr).unwrap();
        assert!(script.starts_with("<<-EOF\n"), "{script}");
        assert!(script.contains("EOF\"\n"), "{script}");
        // A real syntax error elsewhere is still reported where it is.
        let err = parse_hcl_with(
            "a = <<EOF\nx\nEOF\"\nEOF\nb = \n",
            Path::new("t.tf"),
            "t.tf",
            false,
        )
        .unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn encrypted_files_say_so() {
        let err = parse_hcl("\0GITCRYPT\0xyz", Path::new("t.tfvars"), "t.tfvars").unwrap_err();
        assert!(err.message.contains("git-crypt"), "{err}");
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse_hcl("a = {\n  b = \n}\n", Path::new("x.tf"), "x.tf").unwrap_err();
        assert_eq!(err.file, "x.tf");
        assert!(err.line >= 2, "{err}");
    }
}

#[cfg(test)]
mod negative_zero_tests {
    use super::*;

    fn neg_zero() -> hcl::Expression {
        hcl::Expression::Operation(Box::new(hcl::expr::Operation::Unary(hcl::expr::UnaryOp {
            operator: hcl::expr::UnaryOperator::Neg,
            expr: hcl::Expression::Number(hcl::Number::from(0u64)),
        })))
    }

    /// Both parsers read `-0` as the negation of 0; a plain 0 stays a literal.
    #[test]
    fn negative_zero_literals_are_negations_both_ways() {
        let text = "a = -0\nb = - 0.0\nc = 0\nd = 1 - 0\n";
        for fast in [true, false] {
            let file = parse_hcl_with(text, Path::new("t.tf"), "t.tf", fast).expect("parses");
            let exprs: Vec<&hcl::Expression> =
                file.body.attributes.iter().map(|a| &a.expr).collect();
            assert_eq!(exprs[0], &neg_zero(), "fast = {fast}");
            assert_eq!(exprs[1], &neg_zero(), "fast = {fast}");
            assert_eq!(
                exprs[2],
                &hcl::Expression::Number(0u64.into()),
                "fast = {fast}"
            );
            assert!(
                !matches!(exprs[3], hcl::Expression::Operation(op) if matches!(**op, hcl::expr::Operation::Unary(_)))
            );
        }
    }

    #[test]
    fn negative_zero_in_directive_templates() {
        let text = "%{if true}${-0}%{endif}";
        let mut t: hcl_edit::template::Template = text.parse().expect("template");
        negative_zero_in_template(text, &mut t);
        let t = hcl::template::Template::from(t);
        let dbg = format!("{t:?}");
        assert!(dbg.contains("Neg"), "{dbg}");
    }
}
