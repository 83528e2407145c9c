//! Terraform's JSON syntax (`*.tf.json`) into the same IR as native files.
//!
//! The mapping follows Terraform's "JSON Configuration Syntax":
//! - the root object's properties are block types (`resource`, `data`,
//!   `variable`, `output`, `module`, `locals`, `provider`, `terraform`...);
//! - a block's labels are nested object properties
//!   (`"resource": {"aws_instance": {"web": {...}}}`), and at every level an
//!   array of objects stands for several of them;
//! - a property named `"//"` in a body is a comment;
//! - strings are string templates (`"${var.x}"`) where Terraform evaluates
//!   expressions, literal where it reads constants (variable defaults, module
//!   `source` and `version`, the `terraform` block), and expressions where
//!   Terraform expects one (`type`, `depends_on`, `provider`, `providers`,
//!   a dynamic block's `iterator`).
//!
//! Inside resource bodies Terraform tells a nested block from an object
//! attribute by the provider's schema, which parity does not have: an array
//! of objects reads like a list of blocks (as in state), a single object as
//! an object attribute (docs/limitations.md).
//!
//! The JSON is read by a small parser of our own that keeps the line of every
//! property, so findings point at `main.tf.json:12`.

use std::path::Path;

use super::parse::{strip_bom, Attribute, Block, Body, File, SyntaxError};

/// Deepest nesting of arrays and objects accepted; deeper input is an error
/// (the converter recurses once per level).
const MAX_DEPTH: usize = 128;

/// Parse a `*.tf.json` file into the IR.
pub fn parse_tf_json(text: &str, path: &Path, display: &str) -> Result<File, SyntaxError> {
    let text = strip_bom(text);
    let err = |line: u32, column: usize, message: String| SyntaxError {
        file: display.to_string(),
        line: line as usize,
        column,
        message,
    };
    if text.contains('\0') {
        return Err(err(1, 1, "binary data, not Terraform JSON".into()));
    }
    let root = Parser::new(text)
        .document()
        .map_err(|(line, column, message)| err(line, column, message))?;
    let Json::Object(members) = root.value else {
        return Err(err(
            root.line,
            1,
            "the root of a .tf.json file must be a JSON object".into(),
        ));
    };
    let body = Converter
        .top(members)
        .map_err(|(line, message)| err(line, 1, message))?;
    Ok(File {
        display: display.to_string(),
        path: path.to_path_buf(),
        body,
    })
}

// ------------------------------------------------------------ the parser --

#[derive(Debug, Clone)]
struct Node {
    /// 1-based line where the value starts.
    line: u32,
    value: Json,
}

#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    /// As written, so integers stay exact.
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

#[derive(Debug, Clone)]
struct Member {
    key: String,
    /// Line of the key.
    line: u32,
    value: Node,
}

/// (line, column, message)
type ParseErr = (u32, usize, String);

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            depth: 0,
        }
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, ParseErr> {
        let column = self
            .text
            .get(self.line_start..self.pos)
            .map_or(1, |s| s.chars().count() + 1);
        Err((self.line, column, message.into()))
    }

    fn ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                _ => break,
            }
        }
    }

    fn document(mut self) -> Result<Node, ParseErr> {
        self.ws();
        if self.pos >= self.bytes.len() {
            return self.fail("empty file: a .tf.json file holds one JSON object");
        }
        let node = self.value()?;
        self.ws();
        if self.pos < self.bytes.len() {
            return self.fail("unexpected text after the JSON value");
        }
        Ok(node)
    }

    fn value(&mut self) -> Result<Node, ParseErr> {
        let line = self.line;
        let value = match self.bytes.get(self.pos) {
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => Json::String(self.string()?),
            Some(b't') => self.word("true", Json::Bool(true))?,
            Some(b'f') => self.word("false", Json::Bool(false))?,
            Some(b'n') => self.word("null", Json::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return self.fail("expected a JSON value"),
            None => return self.fail("unexpected end of file"),
        };
        Ok(Node { line, value })
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Json, ParseErr>) -> Result<Json, ParseErr> {
        if self.depth >= MAX_DEPTH {
            return self.fail(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, ParseErr> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            self.fail("expected a JSON value")
        }
    }

    fn number(&mut self) -> Result<Json, ParseErr> {
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let raw = &self.text[start..self.pos];
        if raw.parse::<f64>().map_or(true, |f| !f.is_finite()) || !valid_json_number(raw) {
            self.pos = start;
            return self.fail(format!("invalid number `{raw}`"));
        }
        Ok(Json::Number(raw.to_string()))
    }

    fn string(&mut self) -> Result<String, ParseErr> {
        // At the opening quote.
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(stop) = rest.find(['"', '\\', '\n']) else {
                self.pos = self.bytes.len();
                return self.fail("unterminated string");
            };
            out.push_str(&rest[..stop]);
            self.pos += stop;
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\n' => return self.fail("line break inside a string (write it as \\n)"),
                _ => {
                    self.pos += 1;
                    let Some(&esc) = self.bytes.get(self.pos) else {
                        return self.fail("unterminated string");
                    };
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            out.push(c);
                        }
                        _ => {
                            self.pos -= 2;
                            return self.fail("invalid escape in string");
                        }
                    }
                }
            }
        }
    }

    /// After `\u`: four hex digits, and a low surrogate after a high one.
    fn unicode_escape(&mut self) -> Result<char, ParseErr> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.text[self.pos..].starts_with("\\u") {
                self.pos += 2;
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
                }
            }
            return Ok('\u{fffd}');
        }
        Ok(char::from_u32(first).unwrap_or('\u{fffd}'))
    }

    fn hex4(&mut self) -> Result<u32, ParseErr> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(v) if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(v)
            }
            _ => self.fail("invalid \\u escape in string"),
        }
    }

    fn array(&mut self) -> Result<Json, ParseErr> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return self.fail("expected `,` or `]`"),
            }
        }
    }

    fn object(&mut self) -> Result<Json, ParseErr> {
        self.pos += 1;
        let mut members = Vec::new();
        self.ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return self.fail("expected a property name in double quotes");
            }
            let line = self.line;
            let key = self.string()?;
            self.ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return self.fail("expected `:` after the property name");
            }
            self.pos += 1;
            self.ws();
            let value = self.value()?;
            members.push(Member { key, line, value });
            self.ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return self.fail("expected `,` or `}`"),
            }
        }
    }
}

/// RFC 8259 number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn valid_json_number(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

// --------------------------------------------------------- the converter --

/// How the strings of an attribute are read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// String templates: `"${var.x}-a"`.
    Template,
    /// Constants: strings as written.
    Literal,
    /// A string holds one HCL expression (`"list(string)"`, `"aws.west"`).
    Expression,
}

/// What Terraform knows about a block body: which properties are nested
/// blocks (with their label count) and how each attribute is read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Schema {
    Resource,
    /// A nested block of a resource, or a dynamic block's `content`.
    Nested,
    Dynamic,
    Provisioner,
    Variable,
    Output,
    Module,
    Locals,
    Terraform,
    /// Every property an attribute of constant value.
    Literal,
    /// Every property an attribute, strings as templates.
    Attributes,
}

impl Schema {
    /// Properties that are nested blocks: (label count, body schema).
    fn block(self, key: &str) -> Option<(usize, Schema)> {
        match (self, key) {
            (Schema::Resource, "lifecycle") | (Schema::Resource, "connection") => {
                Some((0, Schema::Attributes))
            }
            (Schema::Resource, "provisioner") => Some((1, Schema::Provisioner)),
            (Schema::Resource | Schema::Nested, "dynamic") => Some((1, Schema::Dynamic)),
            (Schema::Dynamic, "content") => Some((0, Schema::Nested)),
            (Schema::Provisioner, "connection") => Some((0, Schema::Attributes)),
            (Schema::Variable, "validation") => Some((0, Schema::Attributes)),
            (Schema::Output, "precondition") => Some((0, Schema::Attributes)),
            (Schema::Terraform, "required_providers") | (Schema::Terraform, "cloud") => {
                Some((0, Schema::Literal))
            }
            (Schema::Terraform, "backend") | (Schema::Terraform, "provider_meta") => {
                Some((1, Schema::Literal))
            }
            _ => None,
        }
    }

    fn mode(self, key: &str) -> Mode {
        match (self, key) {
            (Schema::Resource, "depends_on" | "provider") => Mode::Expression,
            (Schema::Dynamic, "iterator") => Mode::Expression,
            (Schema::Variable, "type") => Mode::Expression,
            (Schema::Variable, _) => Mode::Literal,
            (Schema::Output, "depends_on") => Mode::Expression,
            (Schema::Module, "depends_on" | "providers") => Mode::Expression,
            (Schema::Module, "source" | "version") => Mode::Literal,
            (Schema::Terraform | Schema::Literal, _) => Mode::Literal,
            _ => Mode::Template,
        }
    }
}

/// (line, message)
type ConvErr = (u32, String);

struct Converter;

impl Converter {
    fn top(&self, members: Vec<Member>) -> Result<Body, ConvErr> {
        let mut body = Body::default();
        for m in members {
            if m.key == "//" {
                continue;
            }
            let spec = match m.key.as_str() {
                "resource" | "data" | "ephemeral" | "action" => Some((2, Schema::Resource)),
                "variable" => Some((1, Schema::Variable)),
                "output" => Some((1, Schema::Output)),
                "module" => Some((1, Schema::Module)),
                "provider" | "check" => Some((1, Schema::Attributes)),
                "locals" => Some((0, Schema::Locals)),
                "terraform" => Some((0, Schema::Terraform)),
                "moved" | "import" | "removed" => Some((0, Schema::Attributes)),
                // Unknown block types: a block when shaped like one, so the
                // loader names it; a scalar is a (stray) top-level attribute.
                _ if matches!(m.value.value, Json::Object(_) | Json::Array(_)) => {
                    Some((0, Schema::Attributes))
                }
                _ => None,
            };
            match spec {
                Some((labels, schema)) => self.blocks(
                    &m.key,
                    m.value,
                    m.line,
                    labels,
                    Vec::new(),
                    schema,
                    &mut body.blocks,
                )?,
                None => body.attributes.push(Attribute {
                    name: m.key,
                    expr: self.expr(&m.value, Mode::Template)?,
                    line: m.line,
                    ignore: None,
                }),
            }
        }
        Ok(body)
    }

    /// Blocks of one type: labels as nested properties, arrays at any level.
    #[allow(clippy::too_many_arguments)]
    fn blocks(
        &self,
        kind: &str,
        node: Node,
        line: u32,
        labels: usize,
        have: Vec<String>,
        schema: Schema,
        out: &mut Vec<Block>,
    ) -> Result<(), ConvErr> {
        match node.value {
            Json::Array(items) => {
                for item in items {
                    let line = item.line;
                    self.blocks(kind, item, line, labels, have.clone(), schema, out)?;
                }
                Ok(())
            }
            Json::Object(members) if have.len() < labels => {
                for m in members {
                    if m.key == "//" {
                        continue;
                    }
                    let mut next = have.clone();
                    next.push(m.key);
                    self.blocks(kind, m.value, m.line, labels, next, schema, out)?;
                }
                Ok(())
            }
            Json::Object(members) => {
                out.push(Block {
                    kind: kind.to_string(),
                    labels: have,
                    body: self.body(members, schema)?,
                    line,
                    ignore: None,
                });
                Ok(())
            }
            _ => {
                let what = if have.len() < labels {
                    format!(
                        "`{kind}` needs {labels} label(s) as nested JSON objects, found a {}",
                        json_type(&node.value)
                    )
                } else {
                    format!(
                        "the body of `{kind}` must be a JSON object or an array of objects, found a {}",
                        json_type(&node.value)
                    )
                };
                Err((node.line, what))
            }
        }
    }

    fn body(&self, members: Vec<Member>, schema: Schema) -> Result<Body, ConvErr> {
        let mut body = Body::default();
        for m in members {
            if m.key == "//" {
                continue;
            }
            if let Some((labels, child)) = schema.block(&m.key) {
                self.blocks(
                    &m.key,
                    m.value,
                    m.line,
                    labels,
                    Vec::new(),
                    child,
                    &mut body.blocks,
                )?;
                continue;
            }
            let mode = schema.mode(&m.key);
            body.attributes.push(Attribute {
                expr: self.expr(&m.value, mode)?,
                name: m.key,
                line: m.line,
                ignore: None,
            });
        }
        Ok(body)
    }

    fn expr(&self, node: &Node, mode: Mode) -> Result<hcl::Expression, ConvErr> {
        use hcl::Expression as E;
        Ok(match &node.value {
            Json::Null => E::Null,
            Json::Bool(b) => E::Bool(*b),
            Json::Number(raw) => E::Number(number(raw)),
            Json::String(s) => match mode {
                Mode::Literal => E::String(s.clone()),
                Mode::Template => template(s),
                Mode::Expression => match hcl_edit::parser::parse_expr(s) {
                    Ok(e) => hcl::Expression::from(e),
                    Err(e) => {
                        return Err((
                            node.line,
                            format!(
                                "`{s}` is not a valid expression: {}",
                                first_line(e.message())
                            ),
                        ))
                    }
                },
            },
            Json::Array(items) => E::Array(
                items
                    .iter()
                    .map(|i| self.expr(i, mode))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(members) => {
                let mut object = hcl::Object::new();
                for m in members {
                    let key = match mode {
                        Mode::Template if m.key.contains("${") => {
                            hcl::ObjectKey::Expression(template(&m.key))
                        }
                        Mode::Expression if is_identifier(&m.key) => {
                            hcl::ObjectKey::Identifier(hcl::Identifier::unchecked(m.key.clone()))
                        }
                        _ => hcl::ObjectKey::Expression(E::String(m.key.clone())),
                    };
                    object.insert(key, self.expr(&m.value, mode)?);
                }
                E::Object(object)
            }
        })
    }
}

/// A string of the JSON syntax read as a template: interpolations and
/// directives evaluate, `$${` and `%%{` escape them, and nothing else is an
/// escape (JSON already unescaped the string).
fn template(s: &str) -> hcl::Expression {
    if s.contains("${") || s.contains("%{") {
        hcl::Expression::TemplateExpr(Box::new(hcl::TemplateExpr::QuotedString(s.to_string())))
    } else {
        hcl::Expression::String(s.to_string())
    }
}

fn number(raw: &str) -> hcl::Number {
    if let Ok(i) = raw.parse::<i64>() {
        return hcl::Number::from(i);
    }
    if let Ok(u) = raw.parse::<u64>() {
        return hcl::Number::from(u);
    }
    raw.parse::<f64>()
        .ok()
        .and_then(hcl::Number::from_f64)
        .unwrap_or_else(|| hcl::Number::from(0))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<File, SyntaxError> {
        parse_tf_json(text, Path::new("main.tf.json"), "main.tf.json")
    }

    #[test]
    fn blocks_labels_and_lines() {
        let file = parse(
            "{\n  \"//\": \"generated\",\n  \"resource\": {\n    \"aws_instance\": {\n      \"web\": {\n        \"ami\": \"ami-1\",\n        \"count\": 2\n      }\n    }\n  },\n  \"locals\": [{\"a\": 1}, {\"b\": \"${local.a}\"}]\n}\n",
        )
        .unwrap();
        let blocks = &file.body.blocks;
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].kind, "resource");
        assert_eq!(blocks[0].labels, ["aws_instance", "web"]);
        assert_eq!(blocks[0].line, 5);
        assert_eq!(blocks[0].body.attributes[0].line, 6);
        assert_eq!(blocks[0].body.attributes[1].line, 7);
        assert_eq!(blocks[2].kind, "locals");
        assert!(matches!(
            blocks[2].body.attributes[0].expr,
            hcl::Expression::TemplateExpr(_)
        ));
        assert!(file.body.attributes.is_empty());
    }

    #[test]
    fn arrays_at_every_label_level() {
        let file =
            parse(r#"{"resource": [{"aws_s3_bucket": [{"a": {}}, {"b": [{"x": 1}, {"x": 2}]}]}]}"#)
                .unwrap();
        let labels: Vec<String> = file
            .body
            .blocks
            .iter()
            .map(|b| b.labels.join("."))
            .collect();
        assert_eq!(
            labels,
            ["aws_s3_bucket.a", "aws_s3_bucket.b", "aws_s3_bucket.b"]
        );
    }

    #[test]
    fn schema_decides_blocks_and_string_modes() {
        let file = parse(
            r#"{
  "variable": {"v": {"type": "list(string)", "default": ["${not.a.template}"], "validation": {"condition": "${length(var.v) > 0}", "error_message": "x"}}},
  "module": {"m": {"source": "./m", "providers": {"aws": "aws.west"}, "depends_on": ["aws_x.y"]}},
  "terraform": {"required_version": ">= 1.5", "required_providers": {"aws": {"source": "hashicorp/aws"}}, "backend": {"s3": {"bucket": "b"}}}
}"#,
        )
        .unwrap();
        let var = &file.body.blocks[0];
        assert!(matches!(
            var.body.attribute("type").unwrap().expr,
            hcl::Expression::FuncCall(_)
        ));
        let default = hcl::format::to_string(&var.body.attribute("default").unwrap().expr).unwrap();
        assert!(default.contains("$${not.a.template}"), "{default}");
        assert_eq!(var.body.blocks("validation").count(), 1);
        let module = &file.body.blocks[1];
        let providers =
            hcl::format::to_string(&module.body.attribute("providers").unwrap().expr).unwrap();
        assert!(providers.contains("aws = aws.west"), "{providers}");
        let tf = &file.body.blocks[2];
        assert_eq!(tf.body.blocks("required_providers").count(), 1);
        assert_eq!(tf.body.blocks("backend").next().unwrap().labels, ["s3"]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("{\n  \"resource\": {\n    \"a\": 1,,\n  }\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 12), "{e}");
        let e = parse("{\n  \"resource\": {\"aws_x\": \"nope\"}\n}").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("needs 2 label"), "{e}");
        let e = parse("[1]").unwrap_err();
        assert!(e.message.contains("must be a JSON object"), "{e}");
        assert!(parse("").is_err());
        assert!(parse("{\"a\": 01}").is_err());
        assert!(parse("{\"a\": \"\\x\"}").is_err());
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(200), "]".repeat(200));
        assert!(parse(&deep).unwrap_err().message.contains("nested deeper"));
    }

    #[test]
    fn strings_unescape_and_numbers_stay_exact() {
        let file = parse(
            r#"{"locals": {"s": "a\"b\u00e9\ud83d\ude00\n", "n": 12345678901234567, "f": 1.5e2}}"#,
        )
        .unwrap();
        let attrs = &file.body.blocks[0].body.attributes;
        assert_eq!(
            attrs[0].expr,
            hcl::Expression::String("a\"b\u{e9}\u{1f600}\n".into())
        );
        assert_eq!(
            attrs[1].expr,
            hcl::Expression::Number(hcl::Number::from(12345678901234567i64))
        );
        assert_eq!(
            attrs[2].expr,
            hcl::Expression::Number(hcl::Number::from_f64(150.0).unwrap())
        );
    }
}
