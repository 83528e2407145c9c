//! The value type every source produces and every comparator consumes.
//!
//! Terraform values are JSON-like, plus one thing JSON lacks: a value that is
//! only known after apply (`aws_vpc.main.id`). Such a value stays symbolic as
//! [`Value::Unknown`] holding the expression text, so two environments that
//! wire a database to "the same kind of subnet" still compare equal.

use std::fmt;

/// A normalized value. Maps are ordered ([`super::Map`]) so that every rendering
/// is deterministic; sets are represented as sorted, de-duplicated lists.
///
/// Equality sees through [`Value::Typed`]: a typed value equals its
/// untyped twin (the type matters only to Terraform's own `==`, which the
/// evaluator implements itself).
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    /// A number that is not exactly a 64-bit float (`0.1 + 0.2`, integers
    /// past 2^53): Terraform's 512-bit number ([`super::bignum`]). Only ever
    /// made through [`super::bignum::BigFloat::into_value`], so a number has
    /// one representation and derived equality is numeric equality.
    BigNumber(Box<super::bignum::BigFloat>),
    String(String),
    List(Vec<Value>),
    Map(super::Map),
    /// Known only after apply: the (normalized) expression text.
    Unknown(String),
    /// A sensitive value, as Terraform marks one (a `sensitive = true`
    /// variable or output, `sensitive()`, or anything computed from one).
    /// Only the Terraform evaluator makes and sees these: its source turns
    /// each into a salted hash ([`crate::normalize::sensitive_value`])
    /// before a snapshot leaves it, so no other part of the program meets
    /// one. Should one escape, every rendering shows `(sensitive)`.
    Marked(Box<Value>),
    /// A Terraform value whose type the value alone does not tell: a list,
    /// set or map (a bare [`Value::List`] is a tuple, a bare [`Value::Map`]
    /// an object), or a null of a type (`tostring(null)`). The inner value
    /// is a `List`, a `Map` or `Null`. Only the Terraform evaluator makes
    /// and reads these, for what Terraform decides by type: a `for` over a
    /// set binds the element as its key, `==` is false across types
    /// (`[1] == tolist([1])`), a set has no index, `format("%v")` prints a
    /// typed null. The source strips them ([`Value::untyped`], in
    /// [`crate::normalize::seal_value`]) before a snapshot leaves it, so no
    /// other part of the program meets one; should one escape, equality,
    /// rendering and the accessors see through it.
    Typed(TfType, Box<Value>),
}

/// The type a [`Value::Typed`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfType {
    List,
    Set,
    Map,
    String,
    Number,
    Bool,
}

impl TfType {
    /// Terraform's name of the type (element types left out).
    pub fn name(self) -> &'static str {
        match self {
            TfType::List => "list",
            TfType::Set => "set",
            TfType::Map => "map",
            TfType::String => "string",
            TfType::Number => "number",
            TfType::Bool => "bool",
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::BigNumber(a), Value::BigNumber(b)) => a == b,
            (Value::Unknown(a), Value::Unknown(b)) => a == b,
            (Value::Marked(a), Value::Marked(b)) => a == b,
            (Value::Typed(_, a), b) => **a == *b,
            (a, Value::Typed(_, b)) => *a == **b,
            _ => false,
        }
    }
}

/// Prefix of a redacted value: the rest is a salted hash, so equality is
/// still decidable but the value never reaches any output.
pub const SENSITIVE_PREFIX: &str = "\u{1}sensitive:";

impl Value {
    /// True for a value redacted by [`crate::normalize::sensitive_value`] (a salted
    /// hash; an unknown whose text is one was computed from a secret and
    /// something known only after apply).
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::String(s) | Value::Unknown(s) if s.starts_with(SENSITIVE_PREFIX))
    }

    /// Mark a value sensitive (see [`Value::Marked`]). Null carries no
    /// secret and stays unmarked; a marked value is not marked twice.
    pub fn mark(self) -> Value {
        match self {
            Value::Null => Value::Null,
            v if v.is_null() => v,
            v @ Value::Marked(_) => v,
            v => Value::Marked(Box::new(v)),
        }
    }

    pub fn is_marked(&self) -> bool {
        matches!(self, Value::Marked(_))
    }

    /// True when this value or anything inside it is marked sensitive.
    pub fn contains_marked(&self) -> bool {
        match self {
            Value::Marked(_) => true,
            Value::List(items) => items.iter().any(Value::contains_marked),
            Value::Map(map) => map.values().any(Value::contains_marked),
            Value::Typed(_, inner) => inner.contains_marked(),
            _ => false,
        }
    }

    /// The value with every mark inside it removed, and whether there was
    /// one (what `nonsensitive` gives, and what a function that does not
    /// handle marks itself computes on; its result is then marked).
    pub fn unmark_deep(self) -> (Value, bool) {
        if !self.contains_marked() {
            return (self, false);
        }
        fn strip(v: Value) -> Value {
            match v {
                Value::Marked(inner) => strip(*inner),
                Value::List(items) => Value::List(items.into_iter().map(strip).collect()),
                Value::Map(map) => {
                    Value::Map(map.into_iter().map(|(k, v)| (k, strip(v))).collect())
                }
                Value::Typed(t, inner) => Value::Typed(t, Box::new(strip(*inner))),
                other => other,
            }
        }
        (strip(self), true)
    }

    /// True when this value or anything inside it carries a Terraform
    /// type ([`Value::Typed`]).
    pub fn contains_typed(&self) -> bool {
        match self {
            Value::Typed(..) => true,
            Value::List(items) => items.iter().any(Value::contains_typed),
            Value::Map(map) => map.values().any(Value::contains_typed),
            Value::Marked(inner) => inner.contains_typed(),
            _ => false,
        }
    }

    /// The value with every [`Value::Typed`] inside it replaced by its
    /// inner value: what leaves the Terraform evaluator.
    pub fn untyped(self) -> Value {
        if !self.contains_typed() {
            return self;
        }
        fn strip(v: Value) -> Value {
            match v {
                Value::Typed(_, inner) => strip(*inner),
                Value::List(items) => Value::List(items.into_iter().map(strip).collect()),
                Value::Map(map) => {
                    Value::Map(map.into_iter().map(|(k, v)| (k, strip(v))).collect())
                }
                Value::Marked(inner) => Value::Marked(Box::new(strip(*inner))),
                other => other,
            }
        }
        strip(self)
    }

    /// The value under a [`Value::Typed`] at the top, if any.
    pub fn untyped_ref(&self) -> &Value {
        match self {
            Value::Typed(_, inner) => inner,
            other => other,
        }
    }

    /// The Terraform type a [`Value::Typed`] at the top carries.
    pub fn tf_type(&self) -> Option<TfType> {
        match self {
            Value::Typed(t, _) => Some(*t),
            _ => None,
        }
    }

    /// `v` as a value of type `t` (a list, set or map; or a null of any).
    pub fn typed(t: TfType, v: Value) -> Value {
        match v {
            Value::Typed(_, inner) => Value::Typed(t, inner),
            v => Value::Typed(t, Box::new(v)),
        }
    }

    /// The value under one mark at the top, if any.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Marked(inner) => inner.unmarked(),
            other => other,
        }
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self.untyped_ref(), Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when this value or anything inside it is a 512-bit number.
    pub fn contains_big_number(&self) -> bool {
        match self {
            Value::BigNumber(_) => true,
            Value::List(items) => items.iter().any(Value::contains_big_number),
            Value::Map(map) => map.values().any(Value::contains_big_number),
            Value::Marked(inner) | Value::Typed(_, inner) => inner.contains_big_number(),
            _ => false,
        }
    }

    /// True when this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::List(items) => items.iter().any(Value::contains_unknown),
            Value::Map(map) => map.values().any(Value::contains_unknown),
            Value::Marked(inner) | Value::Typed(_, inner) => inner.contains_unknown(),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::BigNumber(b) => Some(b.to_f64()),
            _ => None,
        }
    }

    /// A number as Terraform prints it (see [`format_number`]), None for
    /// any other value.
    pub fn number_text(&self) -> Option<String> {
        match self {
            Value::Number(n) => Some(format_number(*n)),
            Value::BigNumber(b) => Some(b.text()),
            _ => None,
        }
    }

    /// A number read from text as Terraform reads one (512 bits, see
    /// [`super::bignum`]); `inf`, `NaN` and other text Rust's `f64` parser
    /// takes stay 64-bit floats, as before.
    pub fn parse_number(text: &str) -> Option<Value> {
        // Fast path: up to 15 digits, an integer is exactly an f64.
        let digits = text.strip_prefix('-').unwrap_or(text);
        if !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<f64>().ok().map(Value::Number);
        }
        match super::bignum::BigFloat::parse(text) {
            Some(b) if b.is_zero() => Some(Value::Number(if text.starts_with('-') {
                -0.0
            } else {
                0.0
            })),
            Some(b) => Some(b.into_value()),
            None => text.parse::<f64>().ok().map(Value::Number),
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self.untyped_ref() {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&super::Map> {
        match self.untyped_ref() {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// Terraform's name for the kind of value, used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) | Value::BigNumber(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "object",
            Value::Unknown(_) => "unknown",
            Value::Marked(inner) => inner.type_name(),
            Value::Typed(_, inner) if inner.is_null() => "null",
            Value::Typed(t, _) => t.name(),
        }
    }

    /// Look up a dotted path (`tags.Name`, `ingress.0.from_port`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        let mut cur = self;
        for seg in path.split('.') {
            cur = match cur.untyped_ref() {
                Value::Map(m) => m.get(seg)?,
                Value::List(l) => l.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Apply `f` to every string (and unknown expression text) inside.
    pub fn map_strings(&self, f: &dyn Fn(&str) -> String) -> Value {
        match self {
            Value::String(s) => Value::String(f(s)),
            Value::Unknown(s) => Value::Unknown(f(s)),
            Value::List(items) => Value::List(items.iter().map(|v| v.map_strings(f)).collect()),
            Value::Map(map) => {
                Value::Map(map.iter().map(|(k, v)| (f(k), v.map_strings(f))).collect())
            }
            Value::Marked(inner) => Value::Marked(Box::new(inner.map_strings(f))),
            Value::Typed(t, inner) => Value::Typed(*t, Box::new(inner.map_strings(f))),
            other => other.clone(),
        }
    }

    /// Convert from JSON (tfvars.json, jsondecode, state files).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => number_from_json(n),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Convert to JSON. Unknown values become `"${expr}"` strings, the form
    /// Terraform itself uses for interpolations; use [`Value::to_tagged_json`]
    /// where the distinction must survive a round trip.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::BigNumber(b) => big_to_json(b),
            Value::String(s) if s.starts_with(SENSITIVE_PREFIX) => {
                serde_json::Value::String("(sensitive)".into())
            }
            Value::Marked(_) => serde_json::Value::String("(sensitive)".into()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
            Value::Unknown(expr) if expr.starts_with(SENSITIVE_PREFIX) => {
                serde_json::Value::String("${(sensitive)}".into())
            }
            Value::Unknown(expr) => serde_json::Value::String(format!("${{{expr}}}")),
            Value::Typed(_, inner) => inner.to_json(),
        }
    }

    /// JSON that keeps unknowns distinct: `{"$unknown": "expr"}`. Used by
    /// snapshot files so `parity diff a.json b.json` sees what `parity diff`
    /// on the code would.
    pub fn to_tagged_json(&self) -> serde_json::Value {
        match self {
            Value::Unknown(expr) => {
                let mut m = serde_json::Map::new();
                let expr = if expr.starts_with(SENSITIVE_PREFIX) {
                    "(sensitive)".to_string()
                } else {
                    expr.clone()
                };
                m.insert("$unknown".into(), serde_json::Value::String(expr));
                serde_json::Value::Object(m)
            }
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_tagged_json).collect())
            }
            Value::Typed(_, inner) => inner.to_tagged_json(),
            Value::Map(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.to_tagged_json()))
                    .collect(),
            ),
            // A number JSON cannot hold exactly keeps its digits.
            Value::BigNumber(b)
                if b.to_integer_text()
                    .is_none_or(|t| t.parse::<i64>().is_err() && t.parse::<u64>().is_err()) =>
            {
                let mut m = serde_json::Map::new();
                m.insert("$number".into(), serde_json::Value::String(b.text()));
                serde_json::Value::Object(m)
            }
            other => other.to_json(),
        }
    }

    /// Inverse of [`Value::to_tagged_json`].
    pub fn from_tagged_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Object(o) if o.len() == 1 && o.contains_key("$unknown") => {
                Value::Unknown(o["$unknown"].as_str().unwrap_or_default().to_string())
            }
            serde_json::Value::Object(o) if o.len() == 1 && o.contains_key("$number") => o
                ["$number"]
                .as_str()
                .and_then(Value::parse_number)
                .unwrap_or(Value::Null),
            serde_json::Value::Array(a) => {
                Value::List(a.iter().map(Value::from_tagged_json).collect())
            }
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_tagged_json(v)))
                    .collect(),
            ),
            other => Value::from_json(other),
        }
    }

    /// A one-line rendering for reports: strings bare, everything else as
    /// compact JSON.
    pub fn display(&self) -> String {
        match self {
            Value::String(s) if s.starts_with(SENSITIVE_PREFIX) => "(sensitive)".into(),
            Value::Marked(_) => "(sensitive)".into(),
            Value::String(s) => s.clone(),
            Value::Null => "null".into(),
            Value::Unknown(expr) if expr.starts_with(SENSITIVE_PREFIX) => "${(sensitive)}".into(),
            Value::Unknown(expr) => format!("${{{expr}}}"),
            Value::BigNumber(b) => b.text(),
            Value::Typed(_, inner) => inner.display(),
            other => other.to_json().to_string(),
        }
    }
}

/// A JSON number as a value: integers exactly (a `u64` past 2^53 too),
/// others as the parser's 64-bit float.
fn number_from_json(n: &serde_json::Number) -> Value {
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > 1 << 53 {
            return super::bignum::BigFloat::from_i128(i128::from(i)).into_value();
        }
    } else if let Some(u) = n.as_u64() {
        return super::bignum::BigFloat::from_i128(i128::from(u)).into_value();
    }
    Value::Number(n.as_f64().unwrap_or(f64::NAN))
}

/// An integer exactly when JSON's 64-bit integers hold it, else the nearest
/// float (see [`Value::to_tagged_json`] for the lossless form).
fn big_to_json(b: &super::bignum::BigFloat) -> serde_json::Value {
    if let Some(t) = b.to_integer_text() {
        if let Ok(i) = t.parse::<i64>() {
            return serde_json::Value::Number(i.into());
        }
        if let Ok(u) = t.parse::<u64>() {
            return serde_json::Value::Number(u.into());
        }
    }
    number_to_json(b.to_f64())
}

fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::Number(serde_json::Number::from(n as i64))
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Format a number the way Terraform prints it (cty: Go's
/// `big.Float.Text('f', -1)`): integers without a fraction, every digit
/// written out (`1e-7` is `0.0000001`, never an exponent), negative zero
/// as `-0`, infinities as `+Inf` and `-Inf`.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        if n == 0.0 && n.is_sign_negative() {
            return "-0".into();
        }
        format!("{}", n as i64)
    } else if n.is_infinite() {
        if n > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        // Rust's `Display` for f64: the shortest digits that round-trip,
        // in plain decimal notation.
        format!("{n}")
    }
}

/// The order of two numbers, either representation; None when either is
/// not a number or is NaN.
pub fn compare_numbers(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::BigNumber(x), Value::BigNumber(y)) => Some(x.compare(y)),
        (Value::Number(x), Value::BigNumber(y)) => compare_float_big(*x, y),
        (Value::BigNumber(x), Value::Number(y)) => compare_float_big(*y, x).map(|o| o.reverse()),
        _ => None,
    }
}

fn compare_float_big(x: f64, y: &super::bignum::BigFloat) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if x.is_nan() {
        None
    } else if x.is_infinite() {
        Some(if x > 0.0 {
            Ordering::Greater
        } else {
            Ordering::Less
        })
    } else {
        Some(super::bignum::BigFloat::from_f64(x).compare(y))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_json_round_trips_unknowns() {
        let v = Value::List(vec![
            Value::Unknown("aws_vpc.main.id".into()),
            Value::from(3i64),
        ]);
        assert_eq!(Value::from_tagged_json(&v.to_tagged_json()), v);
        assert_eq!(v.to_json().to_string(), r#"["${aws_vpc.main.id}",3]"#);
    }

    #[test]
    fn big_numbers_keep_their_digits_in_snapshots_and_reports() {
        let third = Value::parse_number("0.1").expect("number");
        assert!(matches!(third, Value::BigNumber(_)));
        let tagged = third.to_tagged_json();
        assert_eq!(tagged.to_string(), r#"{"$number":"0.1"}"#);
        assert_eq!(Value::from_tagged_json(&tagged), third);
        assert_eq!(third.to_json().to_string(), "0.1");
        let big = Value::parse_number("12345678901234567890").expect("number");
        assert_eq!(big.to_json().to_string(), "12345678901234567890");
        assert_eq!(Value::from_json(&big.to_json()), big);
        assert_eq!(big.display(), "12345678901234567890");
        let huge = Value::parse_number("100000000000000000001").expect("number");
        assert_eq!(Value::from_tagged_json(&huge.to_tagged_json()), huge);
        assert_eq!(Value::parse_number("0.5"), Some(Value::Number(0.5)));
        assert_eq!(
            compare_numbers(&big, &Value::Number(1e19)),
            Some(std::cmp::Ordering::Greater)
        );
    }

    #[test]
    fn numbers_print_like_terraform() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(-0.0), "-0");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1e-7), "0.0000001");
        assert_eq!(format_number(1e21), "1000000000000000000000");
        assert_eq!(format_number(f64::NEG_INFINITY), "-Inf");
    }
}
