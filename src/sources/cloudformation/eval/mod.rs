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

mod functions;

use functions::{same, text};

#[cfg(test)]
mod tests;
