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

#[derive(Debug, Clone, Default)]
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

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub expr: hcl::Expression,
    pub line: u32,
    /// `# parity:ignore <rule> <reason>` on the line before.
    pub ignore: Option<(String, String)>,
}

#[derive(Debug, Clone)]
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
    let mut owned: Option<String> = None;
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
                return Err(SyntaxError {
                    file: display.to_string(),
                    line: loc.line(),
                    column: loc.column(),
                    message: first_line(e.message()),
                });
            }
        }
    };
    let text = owned.as_deref().unwrap_or(text);
    hcl_edit::visit_mut::VisitMut::visit_body_mut(&mut HeredocFix, &mut body);
    let index = LineIndex::new(text);
    let ignores = scan_ignores(text);
    Ok(File {
        display: display.to_string(),
        path: path.to_path_buf(),
        body: convert_body(body, &index, &ignores),
    })
}

/// Prefix of a renamed repeated object key; see [`mark_repeated_key`].
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

/// hcl-edit dedents a `<<-` heredoc's top-level text but not the text
/// inside its `%{for}` / `%{if}` directives; Terraform dedents every line.
/// This applies the same indent to the nested text.
struct HeredocFix;

impl hcl_edit::visit_mut::VisitMut for HeredocFix {
    fn visit_heredoc_template_mut(&mut self, node: &mut hcl_edit::template::HeredocTemplate) {
        if let Some(n) = node.indent() {
            for el in node.template.iter_mut() {
                dedent_directive(el, n);
            }
        }
        hcl_edit::visit_mut::visit_heredoc_template_mut(self, node);
    }
}

fn dedent_directive(el: &mut hcl_edit::template::Element, n: usize) {
    use hcl_edit::template::{Directive, Element};
    if let Element::Directive(d) = el {
        match d.as_mut() {
            Directive::If(i) => {
                dedent_nested(&mut i.if_expr.template, n);
                if let Some(e) = &mut i.else_expr {
                    dedent_nested(&mut e.template, n);
                }
            }
            Directive::For(f) => dedent_nested(&mut f.for_expr.template, n),
        }
    }
}

fn dedent_nested(t: &mut hcl_edit::template::Template, n: usize) {
    for el in t.iter_mut() {
        if let hcl_edit::template::Element::Literal(lit) = el {
            // The literal starts mid-line (right after a directive tag):
            // only the lines after its first line break start a line.
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
                out.push_str(&line[cut..]);
            }
            *lit.as_mut() = out;
        } else {
            dedent_directive(el, n);
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
fn scan_ignores(text: &str) -> BTreeMap<u32, (String, String)> {
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
