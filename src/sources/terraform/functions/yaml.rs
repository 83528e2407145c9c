//! `yamldecode` as Terraform does it: go-cty-yaml reads YAML with the
//! YAML 1.1 resolution of plain scalars (`yes`, `on`, `y` are true; `no`,
//! `off`, `n` false; `2001-12-14` a timestamp, written back as RFC 3339;
//! `017` the number 17, `0o17` 15, `0x1F` 31; `0b101`, `1_000` and `1:20`
//! strings), while a quoted or block scalar is always a string. serde_yaml
//! reads YAML 1.2 and does not say whether a scalar was quoted, so the
//! document is read here from yaml-rust2's events, which do.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{invalid, to_string_conv, FnError};
use crate::model::Value;

/// A parsed node, before resolution.
#[derive(Clone)]
enum Node {
    Scalar {
        text: String,
        plain: bool,
        tag: Option<String>,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Builds the nodes of each document from the parser's events.
#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    /// Open sequences and mappings, with their anchor.
    stack: Vec<(Node, usize)>,
    /// A mapping's key waiting for its value, per open mapping.
    keys: Vec<Option<Node>>,
    anchors: HashMap<usize, Node>,
    error: Option<String>,
    /// Collections opened past [`MAX_DEPTH`], skipped (an error is set).
    skipped: usize,
    /// Nodes built so far, aliases counted with everything they copy: a
    /// few lines of anchors can name billions of nodes ("billion laughs").
    built: usize,
    /// The size of each anchored node, for `built`.
    sizes: HashMap<usize, usize>,
    /// Where each open collection's count of `built` started.
    starts: Vec<usize>,
}

/// Nesting deeper than this is an error (as serde_yaml's limit of 128 was):
/// resolution recurses, and a string of a million `[` must not overflow
/// the stack.
const MAX_DEPTH: usize = 128;

fn tag_name(tag: &Option<Tag>) -> Option<String> {
    tag.as_ref().map(|t| {
        if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" {
            format!("!!{}", t.suffix)
        } else {
            format!("{}{}", t.handle, t.suffix)
        }
    })
}

impl Builder {
    fn push_node(&mut self, node: Node, anchor: usize, size: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
            self.sizes.insert(anchor, size);
        }
        self.add(node);
    }

    /// Add a finished node to the open collection (or as a document).
    fn add(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some((Node::Seq(items), _)) => items.push(node),
            Some((Node::Map(entries), _)) => {
                let Some(slot) = self.keys.last_mut() else {
                    return;
                };
                match slot.take() {
                    None => *slot = Some(node),
                    Some(key) => entries.push((key, node)),
                }
            }
            Some((Node::Scalar { .. }, _)) => {}
        }
    }

    fn close(&mut self) {
        if let Some((node, anchor)) = self.stack.pop() {
            if matches!(node, Node::Map(_)) {
                self.keys.pop();
            }
            let start = self.starts.pop().unwrap_or(self.built);
            self.built += 1;
            self.push_node(node, anchor, self.built - start);
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node::Scalar {
                    text,
                    plain: style == TScalarStyle::Plain,
                    tag: tag_name(&tag),
                };
                self.built += 1;
                self.push_node(node, anchor, 1);
            }
            Event::SequenceStart(..) | Event::MappingStart(..)
                if self.skipped > 0 || self.stack.len() >= MAX_DEPTH =>
            {
                self.skipped += 1;
                self.error = Some(format!("nested more than {MAX_DEPTH} levels deep"));
            }
            Event::SequenceEnd | Event::MappingEnd if self.skipped > 0 => self.skipped -= 1,
            Event::SequenceStart(anchor, _) => {
                self.starts.push(self.built);
                self.stack.push((Node::Seq(Vec::new()), anchor));
            }
            Event::MappingStart(anchor, _) => {
                self.starts.push(self.built);
                self.stack.push((Node::Map(Vec::new()), anchor));
                self.keys.push(None);
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Alias(id) => {
                let size = self.sizes.get(&id).copied().unwrap_or(1);
                let limit = crate::input::limits().values;
                if self.built.saturating_add(size) > limit {
                    self.error = Some(format!(
                        "aliases expand to more than {limit} values, the limit (docs/limits.md)"
                    ));
                    return;
                }
                match self.anchors.get(&id).cloned() {
                    Some(node) => {
                        self.built += size;
                        self.add(node);
                    }
                    None => self.error = Some(format!("unknown anchor {id} referenced")),
                }
            }
            _ => {}
        }
    }
}

pub(super) fn decode(name: &str, text: &str) -> Result<Value, FnError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, true)
        .map_err(|e| invalid(name, e.to_string()))?;
    if let Some(e) = builder.error {
        return Err(invalid(name, e));
    }
    match builder.docs.len() {
        0 => Err(invalid(
            name,
            "on line 1, column 1: missing start of document",
        )),
        1 => {
            let doc = builder.docs.pop().unwrap_or(Node::Seq(Vec::new()));
            resolve(name, doc)
        }
        _ => Err(invalid(
            name,
            "unexpected extra content after value (a second YAML document)",
        )),
    }
}

fn resolve(name: &str, node: Node) -> Result<Value, FnError> {
    match node {
        Node::Scalar { text, plain, tag } => scalar(name, text, plain, tag.as_deref()),
        Node::Seq(items) => Ok(Value::List(
            items
                .into_iter()
                .map(|n| resolve(name, n))
                .collect::<Result<_, _>>()?,
        )),
        Node::Map(entries) => {
            let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
            let mut merged: Vec<(String, Value)> = Vec::new();
            for (k, v) in entries {
                if matches!(&k, Node::Scalar { text, plain: true, tag: None } if text == "<<") {
                    // A merge key: the mappings it names, the first of
                    // several winning, under the keys written here.
                    let sources = match v {
                        Node::Seq(items) => items,
                        other => vec![other],
                    };
                    for source in sources {
                        match resolve(name, source)? {
                            Value::Map(m) => {
                                for (k, v) in m {
                                    if !merged.iter().any(|(e, _)| *e == k) {
                                        merged.push((k, v));
                                    }
                                }
                            }
                            _ => {
                                return Err(invalid(
                                    name,
                                    "map merge requires map or sequence of maps as the value",
                                ))
                            }
                        }
                    }
                    continue;
                }
                let key = match resolve(name, k)? {
                    Value::Null => "null".to_string(),
                    k => to_string_conv(&k)
                        .map_err(|_| invalid(name, "mapping keys must be strings"))?,
                };
                out.push((key, resolve(name, v)?));
            }
            for (k, v) in merged {
                if !out.iter().any(|(e, _)| *e == k) {
                    out.push((k, v));
                }
            }
            // Sorted once at the end; the last of repeated keys wins.
            Ok(Value::Map(out.into_iter().collect()))
        }
    }
}

/// One scalar: a tag decides, else a plain scalar resolves by YAML 1.1 as
/// go-cty-yaml does, else it is a string.
fn scalar(name: &str, text: String, plain: bool, tag: Option<&str>) -> Result<Value, FnError> {
    match tag {
        Some("!!str") => return Ok(Value::String(text)),
        Some("!!null") => return Ok(Value::Null),
        Some("!!bool") => {
            return boolean(&text)
                .map(Value::Bool)
                .ok_or_else(|| invalid(name, format!("cannot decode {text:?} as a bool")))
        }
        Some("!!int") | Some("!!float") => {
            return number_value(&text)
                .ok_or_else(|| invalid(name, format!("cannot decode {text:?} as a number")))
        }
        Some("!!timestamp") => {
            return timestamp(&text)
                .map(Value::String)
                .ok_or_else(|| invalid(name, format!("cannot decode {text:?} as a timestamp")))
        }
        _ => {}
    }
    if !plain {
        return Ok(Value::String(text));
    }
    if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = boolean(&text) {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = number_value(&text) {
        return Ok(n);
    }
    if let Some(t) = timestamp(&text) {
        return Ok(Value::String(t));
    }
    Ok(Value::String(text))
}

/// YAML 1.1's booleans.
fn boolean(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

/// The numbers go-cty-yaml reads: decimal integers (leading zeros are
/// decimal), `0o` octal, `0x` hexadecimal, decimal floats with an optional
/// exponent, `.inf` and `-.inf`. Underscores, `0b` binary and sexagesimal
/// (`1:20`) are strings there.
/// [`number`] as a value: a decimal integer or float at 512 bits as cty
/// reads it (`12345678901234567890` exactly), octal, hex and infinities
/// as 64-bit floats.
fn number_value(s: &str) -> Option<Value> {
    let f = number(s)?;
    let text = s.strip_prefix('+').unwrap_or(s);
    let body = text.strip_prefix('-').unwrap_or(text);
    let decimal = body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && !body.starts_with("0o")
        && !body.starts_with("0x");
    if decimal && f.is_finite() {
        if let Some(v) = Value::parse_number(text) {
            return Some(v);
        }
    }
    Some(Value::Number(f))
}

fn number(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    if body.is_empty() {
        return None;
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(|n| sign * n as f64);
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(|n| sign * n as f64);
    }
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(sign * f64::INFINITY);
    }
    if body.bytes().all(|b| b.is_ascii_digit()) {
        return body.parse::<f64>().ok().map(|n| sign * n);
    }
    // A decimal float: digits with at most one point (and a digit on one
    // side of it), then an optional exponent.
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mantissa.replace('.', "");
    let points = mantissa.matches('.').count();
    if points > 1 || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    body.parse::<f64>().ok().map(|n| sign * n)
}

/// A YAML timestamp, written as Go's `time.RFC3339` writes it (no
/// fraction of a second; UTC as `Z`): `2001-12-14` is
/// `2001-12-14T00:00:00Z`, `2001-12-14t21:59:43.10-05:00` is
/// `2001-12-14T21:59:43-05:00`.
fn timestamp(s: &str) -> Option<String> {
    let re = timestamp_re();
    let c = re.captures(s)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let (y, mo, d) = (num(1)?, num(2)?, num(3)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    if c.get(4).is_none() {
        return Some(format!("{y:04}-{mo:02}-{d:02}T00:00:00Z"));
    }
    let (h, mi, se) = (num(4)?, num(5)?, num(6)?);
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let zone = match (c.get(8), c.get(9)) {
        (Some(_), _) | (None, None) => "Z".to_string(),
        (None, Some(offset)) => {
            let o = offset.as_str();
            let (sign, rest) = o.split_at(1);
            let (oh, om) = match rest.split_once(':') {
                Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
                None => (rest.parse::<u32>().ok()?, 0),
            };
            if oh == 0 && om == 0 {
                "Z".to_string()
            } else {
                format!("{sign}{oh:02}:{om:02}")
            }
        }
    };
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}{zone}"
    ))
}

fn timestamp_re() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        // The YAML 1.1 timestamp type (yaml.org/type/timestamp.html).
        regex::Regex::new(
            r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(\.[0-9]*)?(?:[ \t]*(Z)|[ \t]*([-+][0-9]{1,2}(?::[0-9]{2})?))?)?$",
        )
        .unwrap_or_else(|_| unreachable!("a literal pattern that compiles"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Value {
        decode("yamldecode", s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_1_1() {
        assert_eq!(d("yes"), Value::Bool(true));
        assert_eq!(d("Off"), Value::Bool(false));
        assert_eq!(d("'yes'"), Value::str("yes"));
        assert_eq!(d("017"), Value::Number(17.0));
        assert_eq!(d("0o17"), Value::Number(15.0));
        assert_eq!(d("0x1F"), Value::Number(31.0));
        assert_eq!(d("0b101"), Value::str("0b101"));
        assert_eq!(d("1_000"), Value::str("1_000"));
        assert_eq!(d("1:20"), Value::str("1:20"));
        assert_eq!(d("+12"), Value::Number(12.0));
        assert_eq!(d(".5"), Value::Number(0.5));
        assert_eq!(d("1.5e3"), Value::Number(1500.0));
        assert_eq!(d("2001-12-14"), Value::str("2001-12-14T00:00:00Z"));
        assert_eq!(
            d("2001-12-14t21:59:43.10-05:00"),
            Value::str("2001-12-14T21:59:43-05:00")
        );
        assert_eq!(d("!!str 123"), Value::str("123"));
        assert_eq!(d("~"), Value::Null);
        assert!(decode("yamldecode", "a: 1\n---\nb: 2").is_err());
        assert!(decode("yamldecode", "a: [1").is_err());
        // Deep nesting is an error, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(decode("yamldecode", &deep).is_err());
        // Aliases that double at each level: an error, not billions of nodes.
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            laughs.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = decode("yamldecode", &laughs).err().map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|e| e.contains("limit")), "{e:?}");
    }
}
