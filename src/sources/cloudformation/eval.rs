//! Evaluating a template for one environment: `Ref`, the `Fn::` intrinsic
//! functions and `Conditions`, with the environment's parameter values and
//! pseudo parameters.
//!
//! What only the deployment knows stays symbolic ([`Value::Unknown`]), the
//! way the Terraform source keeps references: `!Ref Vpc` is
//! `aws_vpc.Vpc.id`, `!GetAtt Database.Endpoint.Address` is
//! `aws_db_instance.Database.endpoint_address`, so two environments that
//! wire things the same way compare equal. `NoEcho` values are marked
//! sensitive before evaluation sees them, and the mark survives every
//! function that combines them (the result is a hash of the parts).
//! An intrinsic this evaluator does not know is a coverage gap at its
//! file:line and an unknown value, never an error.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value as Json;

use super::template::Lines;
use crate::model::value::format_number;
use crate::model::{CoverageGap, Map, Value};

/// The template path of what is being evaluated (`Resources`, `Database`,
/// `Properties`, `Engine`), for the line of a gap or an error.
pub(crate) type At<'a> = &'a [&'a str];

/// A template that cannot be evaluated (an error in the template, which
/// CloudFormation would reject too): the message, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalError {
    pub path: Vec<String>,
    pub message: String,
}

type R<T> = Result<T, EvalError>;

fn err<T>(at: At, message: impl Into<String>) -> R<T> {
    Err(EvalError {
        path: at.iter().map(|s| s.to_string()).collect(),
        message: message.into(),
    })
}

/// Everything one environment's evaluation reads.
pub(crate) struct Eval<'a> {
    /// The template, as locations show it.
    pub file: Arc<str>,
    pub lines: &'a Lines,
    /// Parameter values, `NoEcho` ones already sensitive.
    pub params: HashMap<String, Value>,
    /// Where each parameter was set (provenance).
    pub param_locations: HashMap<String, crate::model::Location>,
    /// `AWS::Region`, `AWS::AccountId`, ...
    pub pseudo: HashMap<&'static str, Value>,
    pub region: Option<String>,
    pub mappings: Option<&'a serde_json::Map<String, Json>>,
    pub conditions: Option<&'a serde_json::Map<String, Json>>,
    /// Model type of each resource, by logical ID (for references).
    pub types: HashMap<String, String>,
    decided: RefCell<HashMap<String, bool>>,
    deciding: RefCell<HashSet<String>>,
    pub gaps: RefCell<Vec<CoverageGap>>,
}

impl<'a> Eval<'a> {
    pub fn new(file: Arc<str>, lines: &'a Lines) -> Self {
        Eval {
            file,
            lines,
            params: HashMap::new(),
            param_locations: HashMap::new(),
            pseudo: HashMap::new(),
            region: None,
            mappings: None,
            conditions: None,
            types: HashMap::new(),
            decided: RefCell::default(),
            deciding: RefCell::default(),
            gaps: RefCell::default(),
        }
    }

    /// `file:line` of a template path.
    pub fn location(&self, at: At) -> String {
        match self.lines.line(at) {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.to_string(),
        }
    }

    pub fn gap(&self, at: At, reason: impl Into<String>) {
        self.gaps.borrow_mut().push(CoverageGap {
            what: self.location(at),
            reason: reason.into(),
        });
    }

    /// Evaluate a template value; `None` is `AWS::NoValue` (the property is
    /// removed, the list item dropped).
    pub fn eval(&self, node: &Json, at: At) -> R<Option<Value>> {
        Ok(Some(match node {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            Json::String(s) if s.contains("{{resolve:") => self.dynamic_reference(s, at),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.eval(item, at)? {
                        out.push(v);
                    }
                }
                Value::List(out)
            }
            Json::Object(m) => {
                if let Some((name, arg)) = intrinsic(m) {
                    return self.call(name, arg, at);
                }
                let mut out = Map::new();
                for (k, v) in m {
                    let mut path = at.to_vec();
                    path.push(k);
                    if let Some(v) = self.eval(v, &path)? {
                        out.insert(k.clone(), v);
                    }
                }
                Value::Map(out)
            }
        }))
    }

    /// A string with a dynamic reference (`{{resolve:ssm:/shop/db-version}}`,
    /// `{{resolve:secretsmanager:...}}`): resolved at deployment, so
    /// unknown and compared by the reference's text. A Secrets Manager or
    /// `ssm-secure` reference names a secret (that is all there is to
    /// compare); a plain `ssm` one holds a value that matters, and is a
    /// coverage gap like an SSM parameter type.
    fn dynamic_reference(&self, s: &str, at: At) -> Value {
        if s.contains("{{resolve:ssm:") {
            self.gap(
                at,
                format!("{s} is read from SSM at deployment: compared by its name"),
            );
        }
        Value::Unknown(format!("\"{s}\""))
    }

    /// A value that must be there (an argument of a function).
    fn value(&self, node: &Json, at: At, what: &str) -> R<Value> {
        match self.eval(node, at)? {
            Some(v) => Ok(v),
            None => err(at, format!("{what} cannot be AWS::NoValue")),
        }
    }

    fn string_arg(&self, node: &Json, at: At, what: &str) -> R<Value> {
        let v = self.value(node, at, what)?;
        match v {
            Value::String(_) | Value::Unknown(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(format_number(n))),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => err(
                at,
                format!("{what} must be a string, found {}", other.type_name()),
            ),
        }
    }

    fn call(&self, name: &str, arg: &Json, at: At) -> R<Option<Value>> {
        let args = |n: usize| -> R<&Vec<Json>> {
            match arg {
                Json::Array(a) if a.len() == n => Ok(a),
                _ => err(at, format!("{name} takes a list of {n} arguments")),
            }
        };
        let v = match name {
            "Ref" => return self.reference(arg, at),
            "Fn::GetAtt" => {
                let (res, attr) = match arg {
                    Json::String(s) => {
                        let (r, a) = s.split_once('.').unwrap_or((s.as_str(), ""));
                        (r.to_string(), Value::String(a.to_string()))
                    }
                    Json::Array(a) if a.len() == 2 => match &a[0] {
                        Json::String(r) => (
                            r.clone(),
                            self.string_arg(&a[1], at, "Fn::GetAtt's attribute")?,
                        ),
                        _ => return err(at, "Fn::GetAtt's resource must be a logical ID"),
                    },
                    _ => return err(at, "Fn::GetAtt takes [resource, attribute]"),
                };
                let attr = match attr {
                    Value::String(s) => s,
                    other => other.display(),
                };
                self.attribute(&res, &attr, at)?
            }
            "Fn::Sub" => self.sub(arg, at)?,
            "Fn::Join" => {
                let a = args(2)?;
                let delim = match &a[0] {
                    Json::String(s) => s.clone(),
                    _ => return err(at, "Fn::Join's delimiter must be a string"),
                };
                match self.value(&a[1], at, "Fn::Join's list")? {
                    Value::List(items) => concat(&items, &delim),
                    Value::Unknown(e) => Value::Unknown(format!("join({delim:?}, {e})")),
                    other => {
                        return err(
                            at,
                            format!("Fn::Join needs a list, found {}", other.type_name()),
                        )
                    }
                }
            }
            "Fn::Select" => {
                let a = args(2)?;
                let index = self.value(&a[0], at, "Fn::Select's index")?;
                let list = self.value(&a[1], at, "Fn::Select's list")?;
                match (&index, list) {
                    (Value::Unknown(_), _) | (_, Value::Unknown(_)) => Value::Unknown(format!(
                        "element({}, {})",
                        text(&self.value(&a[1], at, "")?),
                        text(&index)
                    )),
                    (_, Value::List(items)) => {
                        let i = number(&index)
                            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                            .ok_or_else(|| EvalError {
                                path: at.iter().map(|s| s.to_string()).collect(),
                                message: format!(
                                    "Fn::Select's index must be a whole number, found {}",
                                    index.display()
                                ),
                            })? as usize;
                        match items.get(i) {
                            Some(v) => v.clone(),
                            None => {
                                return err(
                                    at,
                                    format!(
                                    "Fn::Select: index {i} is out of range (the list has {} items)",
                                    items.len()
                                ),
                                )
                            }
                        }
                    }
                    (_, other) => {
                        return err(
                            at,
                            format!("Fn::Select needs a list, found {}", other.type_name()),
                        )
                    }
                }
            }
            "Fn::Split" => {
                let a = args(2)?;
                let delim = match &a[0] {
                    Json::String(s) if !s.is_empty() => s.clone(),
                    _ => return err(at, "Fn::Split's delimiter must be a non-empty string"),
                };
                match self.string_arg(&a[1], at, "Fn::Split's source")? {
                    v if v.is_sensitive() => {
                        Value::Unknown(format!("split({delim:?}, (sensitive))"))
                    }
                    Value::String(s) => {
                        Value::List(s.split(delim.as_str()).map(Value::str).collect())
                    }
                    other => Value::Unknown(format!("split({delim:?}, {})", text(&other))),
                }
            }
            "Fn::FindInMap" => self.find_in_map(arg, at)?,
            "Fn::If" => {
                let a = args(3)?;
                let Json::String(cond) = &a[0] else {
                    return err(at, "Fn::If's first argument must be a condition name");
                };
                let chosen = if self.condition(cond, at)? {
                    &a[1]
                } else {
                    &a[2]
                };
                return self.eval(chosen, at);
            }
            "Fn::Base64" => match self.string_arg(arg, at, "Fn::Base64's argument")? {
                v if v.is_sensitive() => v,
                Value::String(s) => {
                    use base64::Engine;
                    Value::String(base64::engine::general_purpose::STANDARD.encode(s))
                }
                other => Value::Unknown(format!("base64encode({})", text(&other))),
            },
            "Fn::GetAZs" => {
                let region = self.string_arg(arg, at, "Fn::GetAZs's region")?;
                match region.as_str() {
                    Some(r) if !r.is_empty() && Some(r) != self.region.as_deref() => {
                        Value::Unknown(format!("data.aws_availability_zones.{r}.names"))
                    }
                    _ => Value::Unknown("data.aws_availability_zones.available.names".into()),
                }
            }
            "Fn::Cidr" => {
                let a = args(3)?;
                let block = self.string_arg(&a[0], at, "Fn::Cidr's block")?;
                let count = self.value(&a[1], at, "Fn::Cidr's count")?;
                let bits = self.value(&a[2], at, "Fn::Cidr's bits")?;
                match (block.as_str(), number(&count), number(&bits)) {
                    (Some(b), Some(c), Some(s)) if !block.is_sensitive() => {
                        Value::List(cidr(b, c, s).ok_or_else(|| EvalError {
                            path: at.iter().map(|s| s.to_string()).collect(),
                            message: format!(
                                "Fn::Cidr cannot make {c} subnets of {s} host bits in {b}"
                            ),
                        })?)
                    }
                    _ => Value::Unknown(format!(
                        "cidrsubnets({}, {}, {})",
                        text(&block),
                        text(&count),
                        text(&bits)
                    )),
                }
            }
            "Fn::ImportValue" => {
                let name = self.string_arg(arg, at, "Fn::ImportValue's name")?;
                Value::Unknown(format!("import.{}", name.display()))
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let mut m = serde_json::Map::new();
                m.insert(name.to_string(), arg.clone());
                Value::Bool(self.decide(&Json::Object(m), at)?)
            }
            "Fn::Length" => match self.value(arg, at, "Fn::Length's list")? {
                Value::List(items) => Value::Number(items.len() as f64),
                other => Value::Unknown(format!("length({})", text(&other))),
            },
            "Fn::ToJsonString" => {
                let v = self.value(arg, at, "Fn::ToJsonString's argument")?;
                if v.contains_unknown() {
                    Value::Unknown(format!("jsonencode({})", text(&v)))
                } else {
                    Value::String(v.to_json().to_string())
                }
            }
            other => {
                self.gap(
                    at,
                    format!("intrinsic function `{other}` is not supported: compared as unknown"),
                );
                Value::Unknown(format!("{other}(…)"))
            }
        };
        Ok(Some(v))
    }

    /// `Ref`: a parameter, a pseudo parameter or a resource.
    fn reference(&self, arg: &Json, at: At) -> R<Option<Value>> {
        let Json::String(name) = arg else {
            return err(at, "Ref takes the name of a parameter or a resource");
        };
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(v) = self.params.get(name) {
            return Ok(Some(v.clone()));
        }
        if let Some(v) = self.pseudo.get(name.as_str()) {
            return Ok(Some(v.clone()));
        }
        if let Some(t) = self.types.get(name) {
            return Ok(Some(Value::Unknown(format!("{t}.{name}.id"))));
        }
        err(
            at,
            format!("Ref to `{name}`, which is neither a parameter nor a resource of the template"),
        )
    }

    /// `Fn::GetAtt`: a resource's attribute, symbolic.
    fn attribute(&self, res: &str, attr: &str, at: At) -> R<Value> {
        match self.types.get(res) {
            Some(t) => Ok(Value::Unknown(format!("{t}.{res}.{}", snake(attr)))),
            None => err(
                at,
                format!("Fn::GetAtt of `{res}`, which is not a resource of the template"),
            ),
        }
    }

    fn sub(&self, arg: &Json, at: At) -> R<Value> {
        let (template, vars) = match arg {
            Json::String(s) => (s.as_str(), None),
            Json::Array(a) if a.len() == 2 => match (&a[0], &a[1]) {
                (Json::String(s), Json::Object(m)) => (s.as_str(), Some(m)),
                _ => return err(at, "Fn::Sub takes a string, or [string, {variables}]"),
            },
            _ => return err(at, "Fn::Sub takes a string, or [string, {variables}]"),
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            parts.push(Value::String(rest[..start].to_string()));
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return err(at, format!("Fn::Sub: unclosed `${{` in {template:?}"));
            };
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                parts.push(Value::String(format!("${{{literal}}}")));
            } else if let Some(v) = vars.and_then(|m| m.get(name)) {
                parts.push(self.string_arg(v, at, "an Fn::Sub variable")?);
            } else if self.params.contains_key(name)
                || self.pseudo.contains_key(name)
                || self.types.contains_key(name)
            {
                let v = self
                    .reference(&Json::String(name.to_string()), at)?
                    .unwrap_or_default();
                parts.push(match v {
                    Value::List(items) => concat(&items, ","),
                    other => other,
                });
            } else if let Some((res, attr)) = name.split_once('.') {
                parts.push(self.attribute(res, attr, at)?);
            } else {
                return err(
                    at,
                    format!(
                        "Fn::Sub: `${{{name}}}` is neither a variable, a parameter nor a resource"
                    ),
                );
            }
            rest = &after[end + 1..];
        }
        parts.push(Value::String(rest.to_string()));
        Ok(concat(&parts, ""))
    }

    fn find_in_map(&self, arg: &Json, at: At) -> R<Value> {
        let Json::Array(a) = arg else {
            return err(
                at,
                "Fn::FindInMap takes [map, top-level key, second-level key]",
            );
        };
        if a.len() != 3 && a.len() != 4 {
            return err(
                at,
                "Fn::FindInMap takes [map, top-level key, second-level key]",
            );
        }
        let mut keys = Vec::with_capacity(3);
        for k in &a[..3] {
            let v = self.string_arg(k, at, "an Fn::FindInMap key")?;
            match v {
                Value::String(s) if !v.is_sensitive() => keys.push(s),
                other => {
                    return Ok(Value::Unknown(format!(
                        "lookup({}, {})",
                        keys.join("."),
                        text(&other)
                    )))
                }
            }
        }
        let found = self
            .mappings
            .and_then(|m| m.get(&keys[0]))
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]));
        match found {
            Some(v) => self.value(v, at, "a mapping value"),
            // `AWS::LanguageExtensions`' default value.
            None => match a.get(3) {
                Some(Json::Object(d)) if d.contains_key("DefaultValue") => {
                    self.value(&d["DefaultValue"], at, "Fn::FindInMap's default")
                }
                _ => err(
                    at,
                    format!(
                        "Fn::FindInMap: mapping `{}` has no `{}` / `{}`",
                        keys[0], keys[1], keys[2]
                    ),
                ),
            },
        }
    }

    /// Whether the condition called `name` holds (decided once).
    pub fn condition(&self, name: &str, at: At) -> R<bool> {
        if let Some(b) = self.decided.borrow().get(name) {
            return Ok(*b);
        }
        let Some(def) = self.conditions.and_then(|c| c.get(name)) else {
            return err(
                at,
                format!("condition `{name}` is not defined in Conditions"),
            );
        };
        if !self.deciding.borrow_mut().insert(name.to_string()) {
            return err(at, format!("condition `{name}` depends on itself"));
        }
        let b = self.decide(def, &["Conditions", name]);
        self.deciding.borrow_mut().remove(name);
        let b = b?;
        self.decided.borrow_mut().insert(name.to_string(), b);
        Ok(b)
    }

    /// A condition expression (`Fn::Equals`, `Fn::And`, `Fn::Or`,
    /// `Fn::Not`, `Condition`). A comparison with a value only the
    /// deployment knows is a coverage gap, decided as false.
    fn decide(&self, node: &Json, at: At) -> R<bool> {
        let Json::Object(m) = node else {
            return match node {
                Json::Bool(b) => Ok(*b),
                _ => err(
                    at,
                    "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition",
                ),
            };
        };
        let Some((name, arg)) = intrinsic(m).or_else(|| {
            (m.len() == 1)
                .then(|| m.get("Condition").map(|a| ("Condition", a)))
                .flatten()
        }) else {
            return err(
                at,
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition",
            );
        };
        let list = |what: &str| -> R<&Vec<Json>> {
            match arg {
                Json::Array(a) => Ok(a),
                _ => err(at, format!("{what} takes a list of conditions")),
            }
        };
        match name {
            "Condition" => match arg {
                Json::String(c) => self.condition(c, at),
                _ => err(at, "Condition takes a condition name"),
            },
            "Fn::Equals" => {
                let a = list(name)?;
                if a.len() != 2 {
                    return err(at, "Fn::Equals takes two values");
                }
                let l = self.value(&a[0], at, "Fn::Equals' value")?;
                let r = self.value(&a[1], at, "Fn::Equals' value")?;
                if l.contains_unknown() || r.contains_unknown() {
                    self.gap(
                        at,
                        format!(
                            "Fn::Equals of {} and {}, known only at deployment: decided as false",
                            text(&l),
                            text(&r)
                        ),
                    );
                    return Ok(false);
                }
                Ok(same(&l, &r))
            }
            "Fn::And" => {
                for c in list(name)? {
                    if !self.decide(c, at)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "Fn::Or" => {
                for c in list(name)? {
                    if self.decide(c, at)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            "Fn::Not" => {
                let a = list(name)?;
                match a.as_slice() {
                    [c] => Ok(!self.decide(c, at)?),
                    _ => err(at, "Fn::Not takes one condition"),
                }
            }
            "Fn::If" => {
                // `Fn::If` returning conditions (rare, but valid).
                let a = list(name)?;
                match (a.first(), a.len()) {
                    (Some(Json::String(c)), 3) => {
                        let chosen = if self.condition(c, at)? { &a[1] } else { &a[2] };
                        self.decide(chosen, at)
                    }
                    _ => err(
                        at,
                        "Fn::If takes [condition, value if true, value if false]",
                    ),
                }
            }
            other => err(at, format!("`{other}` cannot be used as a condition")),
        }
    }
}

/// `{"Ref": x}` or `{"Fn::Name": x}`: an intrinsic function call.
fn intrinsic(m: &serde_json::Map<String, Json>) -> Option<(&str, &Json)> {
    if m.len() != 1 {
        return None;
    }
    let (k, v) = m.iter().next()?;
    (k == "Ref" || k.starts_with("Fn::")).then_some((k.as_str(), v))
}

/// CloudFormation compares condition values as strings.
fn same(l: &Value, r: &Value) -> bool {
    match (l.is_sensitive(), r.is_sensitive()) {
        (true, true) | (false, false) => flat(l) == flat(r),
        (true, false) => *l == crate::normalize::sensitive(&flat(r)),
        (false, true) => *r == crate::normalize::sensitive(&flat(l)),
    }
}

fn flat(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => format_number(*n),
        Value::Bool(b) => b.to_string(),
        other => other.to_json().to_string(),
    }
}

/// Join strings: unknown if a part is unknown, sensitive (a hash of the
/// parts, the secret's own hash among them) if a part is sensitive.
fn concat(parts: &[Value], delim: &str) -> Value {
    let unknown = parts.iter().any(Value::contains_unknown);
    let sensitive = parts.iter().any(Value::is_sensitive);
    let pieces: Vec<String> = parts
        .iter()
        .map(|p| match p {
            Value::Unknown(e) => format!("${{{e}}}"),
            // Raw: the hash itself for a sensitive part (never shown).
            Value::String(s) => s.clone(),
            other => flat(other),
        })
        .collect();
    let joined = pieces.join(delim);
    if unknown {
        if sensitive {
            // The hashes are not for display: say where a secret was.
            let shown: Vec<String> = parts
                .iter()
                .map(|p| {
                    if p.is_sensitive() {
                        "(sensitive)".to_string()
                    } else {
                        match p {
                            Value::Unknown(e) => format!("${{{e}}}"),
                            other => flat(other),
                        }
                    }
                })
                .collect();
            return Value::Unknown(shown.join(delim));
        }
        // `${x}` alone is the reference itself.
        return match parts {
            [Value::Unknown(e)] => Value::Unknown(e.clone()),
            _ => Value::Unknown(format!("\"{joined}\"")),
        };
    }
    if sensitive {
        return crate::normalize::sensitive(&joined);
    }
    Value::String(joined)
}

/// A value as text inside an unknown's expression.
fn text(v: &Value) -> String {
    match v {
        Value::Unknown(e) => e.clone(),
        v if v.is_sensitive() => "(sensitive)".into(),
        Value::String(s) => format!("{s:?}"),
        other => other.display(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `Fn::Cidr`: the first `count` subnets with `bits` host bits.
fn cidr(block: &str, count: f64, bits: f64) -> Option<Vec<Value>> {
    let net: ipnet::IpNet = block.trim().parse().ok()?;
    if !(1.0..=256.0).contains(&count) || bits < 1.0 || count.fract() != 0.0 || bits.fract() != 0.0
    {
        return None;
    }
    let width = match net {
        ipnet::IpNet::V4(_) => 32u8,
        ipnet::IpNet::V6(_) => 128u8,
    };
    let prefix = width.checked_sub(bits as u8)?;
    if prefix < net.prefix_len() {
        return None;
    }
    let subnets: Vec<Value> = net
        .subnets(prefix)
        .ok()?
        .take(count as usize)
        .map(|n| Value::String(n.to_string()))
        .collect();
    (subnets.len() == count as usize).then_some(subnets)
}

/// `Endpoint.Address` → `endpoint_address`, `Arn` → `arn`, `GroupId` →
/// `group_id`: CloudFormation attribute names in Terraform's case.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' {
            out.push('_');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            // `GroupId` → `group_id`; `EBSEnabled` → `ebs_enabled`.
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev<'a>(lines: &'a Lines) -> Eval<'a> {
        let mut e = Eval::new("t.yaml".into(), lines);
        e.params.insert("Env".into(), Value::str("staging"));
        e.params
            .insert("Secret".into(), crate::normalize::sensitive("hunter2-long"));
        e.params.insert(
            "Zones".into(),
            Value::List(vec![Value::str("a"), Value::str("b")]),
        );
        e.pseudo.insert("AWS::Region", Value::str("eu-west-1"));
        e.types.insert("Vpc".into(), "aws_vpc".into());
        e.types.insert("Db".into(), "aws_db_instance".into());
        e
    }

    fn run(e: &Eval, node: serde_json::Value) -> Option<Value> {
        e.eval(&node, &["Resources", "X"]).expect("evaluates")
    }

    #[test]
    fn refs_and_attributes_are_symbolic() {
        let lines = Lines::default();
        let e = ev(&lines);
        assert_eq!(
            run(&e, json!({"Ref": "Vpc"})),
            Some(Value::Unknown("aws_vpc.Vpc.id".into()))
        );
        assert_eq!(
            run(&e, json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})),
            Some(Value::Unknown("aws_db_instance.Db.endpoint_address".into()))
        );
        assert_eq!(run(&e, json!({"Ref": "AWS::NoValue"})), None);
        assert_eq!(
            run(&e, json!([1, {"Ref": "AWS::NoValue"}])),
            Some(Value::List(vec![Value::Number(1.0)]))
        );
    }

    #[test]
    fn sub_takes_parameters_attributes_variables_and_literals() {
        let lines = Lines::default();
        let e = ev(&lines);
        assert_eq!(
            run(
                &e,
                json!({"Fn::Sub": "shop-${Env}-${AWS::Region}-${!Literal}"})
            ),
            Some(Value::str("shop-staging-eu-west-1-${Literal}"))
        );
        assert_eq!(
            run(
                &e,
                json!({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Env"}}]})
            ),
            Some(Value::str("staging-x"))
        );
        assert_eq!(
            run(&e, json!({"Fn::Sub": "arn:${Db.Arn}/*"})),
            Some(Value::Unknown("\"arn:${aws_db_instance.Db.arn}/*\"".into()))
        );
        let err = e
            .eval(&json!({"Fn::Sub": "${Nope}"}), &["Resources"])
            .expect_err("unknown name");
        assert!(err.message.contains("Nope"), "{err:?}");
    }

    #[test]
    fn sensitive_values_stay_sensitive_through_functions() {
        let lines = Lines::default();
        let e = ev(&lines);
        let joined = run(&e, json!({"Fn::Join": ["", ["a-", {"Ref": "Secret"}]]})).expect("value");
        assert!(joined.is_sensitive(), "{joined:?}");
        assert!(!joined.display().contains("hunter2"));
        let subbed = run(&e, json!({"Fn::Sub": "a-${Secret}"})).expect("value");
        assert_eq!(subbed, joined);
        // Conditions compare the secret without revealing it.
        let eq = run(
            &e,
            json!({"Fn::Equals": [{"Ref": "Secret"}, "hunter2-long"]}),
        );
        assert_eq!(eq, Some(Value::Bool(true)));
    }

    #[test]
    fn lists_maps_and_cidrs() {
        let lines = Lines::default();
        let mut e = ev(&lines);
        let mappings = json!({"Sizes": {"staging": {"Db": "db.t3.small"}}});
        e.mappings = mappings.as_object();
        assert_eq!(
            run(
                &e,
                json!({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Db"]})
            ),
            Some(Value::str("db.t3.small"))
        );
        assert_eq!(
            run(&e, json!({"Fn::Select": [1, {"Ref": "Zones"}]})),
            Some(Value::str("b"))
        );
        assert_eq!(
            run(&e, json!({"Fn::Join": [",", {"Fn::Split": ["|", "x|y"]}]})),
            Some(Value::str("x,y"))
        );
        assert_eq!(
            run(&e, json!({"Fn::Cidr": ["10.0.0.0/16", 3, 8]})),
            Some(Value::List(vec![
                Value::str("10.0.0.0/24"),
                Value::str("10.0.1.0/24"),
                Value::str("10.0.2.0/24")
            ]))
        );
        assert_eq!(
            run(&e, json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})),
            Some(Value::Unknown(
                "element(data.aws_availability_zones.available.names, 0)".into()
            ))
        );
        assert_eq!(
            run(&e, json!({"Fn::Base64": "hi"})),
            Some(Value::str("aGk="))
        );
    }

    #[test]
    fn conditions_decide_if() {
        let lines = Lines::default();
        let mut e = ev(&lines);
        let conds = json!({
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Both": {"Fn::And": [{"Condition": "NotProd"}, {"Fn::Or": [{"Condition": "IsProd"}, true]}]},
            "Loop": {"Fn::Not": [{"Condition": "Loop"}]}
        });
        e.conditions = conds.as_object();
        assert!(!e.condition("IsProd", &[]).expect("decides"));
        assert!(e.condition("Both", &[]).expect("decides"));
        assert_eq!(
            run(
                &e,
                json!({"Fn::If": ["IsProd", 3, {"Ref": "AWS::NoValue"}]})
            ),
            None
        );
        assert!(e.condition("Loop", &[]).is_err());
    }

    #[test]
    fn unsupported_intrinsics_are_gaps_not_errors() {
        let lines = Lines::default();
        let e = ev(&lines);
        let v = run(&e, json!({"Fn::Transform": {"Name": "AWS::Include"}})).expect("value");
        assert!(v.is_unknown());
        assert_eq!(e.gaps.borrow().len(), 1);
        assert!(e.gaps.borrow()[0].reason.contains("Fn::Transform"));
    }

    #[test]
    fn dynamic_references_are_unknown_and_plain_ssm_a_gap() {
        let lines = Lines::default();
        let e = ev(&lines);
        let v = run(
            &e,
            json!("{{resolve:secretsmanager:shop/db:SecretString:password}}"),
        );
        assert!(v.is_some_and(|v| v.is_unknown()));
        assert!(e.gaps.borrow().is_empty());
        let v = run(&e, json!("{{resolve:ssm:/shop/db-version}}"));
        assert!(v.is_some_and(|v| v.is_unknown()));
        assert_eq!(e.gaps.borrow().len(), 1);
    }

    #[test]
    fn attribute_names_in_terraform_case() {
        assert_eq!(snake("Arn"), "arn");
        assert_eq!(snake("Endpoint.Address"), "endpoint_address");
        assert_eq!(snake("GroupId"), "group_id");
        assert_eq!(snake("EBSEnabled"), "ebs_enabled");
        assert_eq!(snake("MultiAZEnabled"), "multi_az_enabled");
        assert_eq!(snake("EnforceHTTPS"), "enforce_https");
    }
}
