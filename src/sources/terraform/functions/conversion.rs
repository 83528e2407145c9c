//! Terraform's type conversions: the `to*` functions, the sensitivity
//! markers, and the automatic primitive conversions that the `types` module
//! shares when it converts values to declared variable types.

use super::{boolean, invalid, make_set, num, one_arg, string, FnError};
use crate::model::value::{format_number, TfType};
use crate::model::Value;

pub(super) fn tostring(name: &str, a: &[Value]) -> Result<Value, FnError> {
    match one_arg(name, a)? {
        Value::Null => Ok(Value::Null),
        v => string(name, v).map(Value::String),
    }
}

pub(super) fn tonumber(name: &str, a: &[Value]) -> Result<Value, FnError> {
    match one_arg(name, a)? {
        Value::Null => Ok(Value::Null),
        v @ Value::BigNumber(_) => Ok(v.clone()),
        // The string's digits at 512 bits (`tonumber("0.1")` is not the
        // float 0.1), once the usual check accepts it.
        Value::String(s) => {
            let n = num(name, &Value::String(s.clone()))?;
            Ok(Value::parse_number(s.trim()).unwrap_or(Value::Number(n)))
        }
        v => num(name, v).map(Value::Number),
    }
}

pub(super) fn tobool(name: &str, a: &[Value]) -> Result<Value, FnError> {
    match one_arg(name, a)? {
        Value::Null => Ok(Value::Null),
        v => boolean(name, v).map(Value::Bool),
    }
}

/// `tolist` and `toset`; `toset` also sorts and de-duplicates.
pub(super) fn tolist_toset(name: &str, a: &[Value]) -> Result<Value, FnError> {
    match one_arg(name, a)? {
        Value::Null => Ok(Value::Null),
        Value::List(items) => {
            let items = unify(items.clone()).map_err(|m| invalid(name, m))?;
            Ok(Value::List(if name == "toset" {
                make_set(items)
            } else {
                items
            }))
        }
        other => Err(invalid(
            name,
            format!("cannot convert {} to {}", other.type_name(), &name[2..]),
        )),
    }
}

pub(super) fn tomap(name: &str, a: &[Value]) -> Result<Value, FnError> {
    match one_arg(name, a)? {
        Value::Null => Ok(Value::Null),
        Value::Map(m) => {
            let (keys, vals): (Vec<String>, Vec<Value>) =
                m.iter().map(|(k, v)| (k.clone(), v.clone())).unzip();
            let vals = unify(vals).map_err(|m| invalid(name, m))?;
            Ok(Value::Map(keys.into_iter().zip(vals).collect()))
        }
        other => Err(invalid(
            name,
            format!("cannot convert {} to map", other.type_name()),
        )),
    }
}

pub(super) fn issensitive(name: &str, a: &[Value]) -> Result<Value, FnError> {
    one_arg(name, a)?;
    Ok(Value::Bool(false))
}

/// Terraform's automatic conversion of a primitive to a string: `3` → `"3"`,
/// `true` → `"true"`.
pub fn to_string_conv(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(format_number(*n)),
        Value::BigNumber(b) => Ok(b.text()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("a string is required, got null".into()),
        Value::Unknown(_) => Err("value not known until apply".into()),
        other => Err(format!("a string is required, got {}", other.type_name())),
    }
}

/// Terraform's automatic conversion to a number: `"3"` → `3`.
pub fn to_number_conv(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => Ok(*n),
        Value::BigNumber(b) => Ok(b.to_f64()),
        Value::String(s) => {
            parse_number(s).ok_or_else(|| format!("a number is required, got string {s:?}"))
        }
        Value::Null => Err("a number is required, got null".into()),
        Value::Unknown(_) => Err("value not known until apply".into()),
        other => Err(format!("a number is required, got {}", other.type_name())),
    }
}

/// Terraform's automatic conversion to a bool: `"true"`/`"1"` and
/// `"false"`/`"0"` are accepted, as in cty.
pub fn to_bool_conv(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "1" => Ok(true),
        Value::String(s) if s == "false" || s == "0" => Ok(false),
        Value::String(s) => Err(format!("a bool is required, got string {s:?}")),
        Value::Null => Err("a bool is required, got null".into()),
        Value::Unknown(_) => Err("value not known until apply".into()),
        other => Err(format!("a bool is required, got {}", other.type_name())),
    }
}

/// Parse a decimal number the way Terraform does: no surrounding spaces, no
/// `inf`/`nan`, no hex.
fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A value's type as cty sees it, as far as parity's value model tells:
/// a bare list is a tuple, a bare map an object, a [`Value::Typed`] its
/// type (a set as a list: unification never meets one in the cases
/// parity evaluates), null and unknown are dynamic. For [`unify_types`].
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Dynamic,
    String,
    Number,
    Bool,
    Tuple(Vec<Ty>),
    /// Attributes in key order (the order of [`crate::model::Map`]).
    Object(Vec<(String, Ty)>),
    List(Box<Ty>),
    Map(Box<Ty>),
}

impl Ty {
    pub fn of(v: &Value) -> Ty {
        match v {
            Value::Null | Value::Unknown(_) => Ty::Dynamic,
            Value::String(_) => Ty::String,
            Value::Number(_) | Value::BigNumber(_) => Ty::Number,
            Value::Bool(_) => Ty::Bool,
            Value::List(items) => Ty::Tuple(items.iter().map(Ty::of).collect()),
            Value::Map(m) => Ty::Object(m.iter().map(|(k, v)| (k.clone(), Ty::of(v))).collect()),
            Value::Marked(inner) => Ty::of(inner),
            Value::Typed(t, inner) => {
                let elements = || match &**inner {
                    Value::List(items) => unify_all_owned(items.iter().map(Ty::of)),
                    Value::Map(m) => unify_all_owned(m.values().map(Ty::of)),
                    _ => Ty::Dynamic,
                };
                match t {
                    TfType::String => Ty::String,
                    TfType::Number => Ty::Number,
                    TfType::Bool => Ty::Bool,
                    TfType::List | TfType::Set => Ty::List(Box::new(elements())),
                    TfType::Map => Ty::Map(Box::new(elements())),
                }
            }
        }
    }
}

/// The unified type of a collection's elements, dynamic when they have
/// none.
fn unify_all_owned(types: impl Iterator<Item = Ty>) -> Ty {
    let mut out = Ty::Dynamic;
    for t in types {
        match unify_types(&out, &t) {
            Some(u) => out = u,
            None => return Ty::Dynamic,
        }
    }
    out
}

/// The type two types unify to, by the rules of cty's `convert.UnifyUnsafe`
/// that HCL applies to a conditional's two results: a number or a bool with
/// a string is a string; tuples of one length unify element by element,
/// of different lengths to a list of all their elements' unified type;
/// objects with the same attributes attribute by attribute, otherwise to a
/// map. Dynamic (null, unknown) takes the other type. `None`: no common
/// type (Terraform's "Inconsistent conditional result types").
pub fn unify_types(a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty as T;
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (T::Dynamic, t) | (t, T::Dynamic) => Some(t.clone()),
        (T::String, T::Number | T::Bool) | (T::Number | T::Bool, T::String) => Some(T::String),
        (T::Tuple(x), T::Tuple(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .map(|(p, q)| unify_types(p, q))
            .collect::<Option<Vec<_>>>()
            .map(T::Tuple),
        (T::Tuple(x), T::Tuple(y)) => unify_all(x.iter().chain(y)).map(|t| T::List(Box::new(t))),
        (T::List(t), T::Tuple(x)) | (T::Tuple(x), T::List(t)) => {
            unify_all(std::iter::once(&**t).chain(x)).map(|t| T::List(Box::new(t)))
        }
        (T::List(p), T::List(q)) => unify_types(p, q).map(|t| T::List(Box::new(t))),
        (T::Object(x), T::Object(y))
            if x.len() == y.len() && x.iter().zip(y).all(|((k, _), (j, _))| k == j) =>
        {
            x.iter()
                .zip(y)
                .map(|((k, p), (_, q))| unify_types(p, q).map(|t| (k.clone(), t)))
                .collect::<Option<Vec<_>>>()
                .map(T::Object)
        }
        (T::Object(x), T::Object(y)) => {
            unify_all(x.iter().chain(y).map(|(_, t)| t)).map(|t| T::Map(Box::new(t)))
        }
        (T::Map(t), T::Object(x)) | (T::Object(x), T::Map(t)) => {
            unify_all(std::iter::once(&**t).chain(x.iter().map(|(_, t)| t)))
                .map(|t| T::Map(Box::new(t)))
        }
        (T::Map(p), T::Map(q)) => unify_types(p, q).map(|t| T::Map(Box::new(t))),
        _ => None,
    }
}

fn unify_all<'a>(types: impl Iterator<Item = &'a Ty>) -> Option<Ty> {
    let mut out = Ty::Dynamic;
    for t in types {
        out = unify_types(&out, t)?;
    }
    Some(out)
}

/// Convert `v` to the type `ty` (from [`unify_types`]): numbers and bools
/// where a string is wanted become strings; everything else stays.
pub fn convert_to(v: &mut Value, ty: &Ty) {
    match (v, ty) {
        (Value::Typed(_, inner), ty) => convert_to(inner, ty),
        (v @ (Value::Number(_) | Value::BigNumber(_) | Value::Bool(_)), Ty::String) => {
            if let Ok(s) = to_string_conv(v) {
                *v = Value::String(s);
            }
        }
        (Value::List(items), Ty::Tuple(types)) => {
            for (item, t) in items.iter_mut().zip(types) {
                convert_to(item, t);
            }
        }
        (Value::List(items), Ty::List(t)) => {
            for item in items {
                convert_to(item, t);
            }
        }
        (Value::Map(m), Ty::Object(attrs)) => {
            for ((_, item), (_, t)) in m.iter_mut().zip(attrs) {
                convert_to(item, t);
            }
        }
        (Value::Map(m), Ty::Map(t)) => {
            for item in m.values_mut() {
                convert_to(item, t);
            }
        }
        _ => {}
    }
}

/// True when converting `v` to some unified type could change it: it holds
/// a number or a bool somewhere (only those become strings).
pub fn has_convertible(v: &Value) -> bool {
    match v {
        Value::Number(_) | Value::BigNumber(_) | Value::Bool(_) => true,
        Value::List(items) => items.iter().any(has_convertible),
        Value::Map(m) => m.values().any(has_convertible),
        Value::Typed(_, inner) => has_convertible(inner),
        _ => false,
    }
}

/// Give list (or map) elements a common type, as Terraform does when it
/// builds a list from a tuple: mixed primitives all become strings. Nulls and
/// unknowns are left alone; mixing primitives with collections is an error.
pub fn unify(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut kinds = items
        .iter()
        .filter(|v| !v.is_null() && !v.is_unknown())
        .map(|v| match v {
            Value::List(_) | Value::Map(_) | Value::Typed(..) => "collection",
            other => other.type_name(),
        })
        .collect::<Vec<_>>();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.len() <= 1 {
        return Ok(items);
    }
    if kinds.contains(&"collection") {
        return Err("all elements must have the same type".into());
    }
    items
        .into_iter()
        .map(|v| match v {
            Value::Number(_) | Value::Bool(_) => to_string_conv(&v).map(Value::String),
            other => Ok(other),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::make_set;
    use super::super::tests::{err, l, ln, ls, m, n, ok, s};
    use super::{convert_to, to_bool_conv, to_number_conv, to_string_conv, unify_types, Ty};
    use crate::model::Value;

    /// A conditional's chosen value converted to the type both results
    /// unify to.
    fn unified(chosen: Value, other: &Value) -> Value {
        let mut v = chosen;
        if let Some(t) = unify_types(&Ty::of(&v), &Ty::of(other)) {
            convert_to(&mut v, &t);
        }
        v
    }

    #[test]
    fn conditional_results_unify() {
        assert_eq!(unified(n(1.0), &s("x")), s("1"));
        assert_eq!(unified(Value::Bool(true), &s("x")), s("true"));
        assert_eq!(unified(n(1.0), &n(2.0)), n(1.0));
        // number and bool have no common type: left alone.
        assert_eq!(unified(n(1.0), &Value::Bool(true)), n(1.0));
        assert_eq!(unified(n(1.0), &Value::Null), n(1.0));
        // Tuples of one length element by element, of two lengths to a list.
        assert_eq!(unified(ln(&[1.0]), &ls(&["a"])), ls(&["1"]));
        assert_eq!(unified(ln(&[1.0, 2.0]), &ls(&["a"])), ls(&["1", "2"]));
        assert_eq!(unified(ln(&[1.0, 2.0]), &ln(&[3.0])), ln(&[1.0, 2.0]));
        // Objects with other attributes to a map.
        assert_eq!(
            unified(m(&[("a", n(1.0))]), &m(&[("b", s("x"))])),
            m(&[("a", s("1"))])
        );
        // Same attributes: attribute by attribute.
        assert_eq!(
            unified(
                m(&[("a", n(1.0)), ("b", n(2.0))]),
                &m(&[("a", s("x")), ("b", n(3.0))])
            ),
            m(&[("a", s("1")), ("b", n(2.0))])
        );
        // A list and a string: no common type.
        assert_eq!(unified(ln(&[1.0]), &s("x")), ln(&[1.0]));
    }

    #[test]
    fn primitive_conversions() {
        assert_eq!(ok("tostring", vec![s("hello")]), s("hello"));
        assert_eq!(ok("tostring", vec![n(1.0)]), s("1"));
        assert_eq!(ok("tostring", vec![Value::Bool(true)]), s("true"));
        assert_eq!(ok("tostring", vec![Value::Null]), Value::Null);
        assert!(err("tostring", vec![ls(&["a"])]).contains("string is required"));
        assert_eq!(ok("tonumber", vec![n(1.0)]), n(1.0));
        assert_eq!(ok("tonumber", vec![s("1")]), n(1.0));
        assert_eq!(ok("tonumber", vec![s("-2.5")]), n(-2.5));
        assert_eq!(ok("tonumber", vec![Value::Null]), Value::Null);
        assert!(err("tonumber", vec![s("no")]).contains("number is required"));
        assert!(err("tonumber", vec![s("inf")]).contains("number is required"));
        assert_eq!(ok("tobool", vec![Value::Bool(true)]), Value::Bool(true));
        assert_eq!(ok("tobool", vec![s("false")]), Value::Bool(false));
        assert_eq!(ok("tobool", vec![Value::Null]), Value::Null);
        assert!(err("tobool", vec![s("no")]).contains("bool is required"));
        assert!(err("tobool", vec![n(1.0)]).contains("bool is required"));
    }

    #[test]
    fn collection_conversions() {
        assert_eq!(
            ok("tolist", vec![ls(&["a", "b", "c"])]),
            ls(&["a", "b", "c"])
        );
        assert_eq!(ok("tolist", vec![l(vec![s("a"), n(1.0)])]), ls(&["a", "1"]));
        assert_eq!(ok("toset", vec![ls(&["c", "b", "b"])]), ls(&["b", "c"]));
        assert_eq!(
            ok("toset", vec![l(vec![s("a"), s("b"), n(3.0)])]),
            ls(&["3", "a", "b"])
        );
        assert_eq!(ok("toset", vec![ln(&[10.0, 9.0, 9.0])]), ln(&[9.0, 10.0]));
        assert_eq!(
            ok(
                "tomap",
                vec![m(&[("a", s("foo")), ("b", Value::Bool(true))])]
            ),
            m(&[("a", s("foo")), ("b", s("true"))])
        );
        assert!(err("tolist", vec![l(vec![s("a"), ls(&["b"])])]).contains("same type"));
        assert!(err("tomap", vec![ls(&["a"])]).contains("cannot convert"));
    }

    #[test]
    fn sensitive_is_identity() {
        assert_eq!(ok("sensitive", vec![s("x")]), s("x"));
        assert_eq!(ok("nonsensitive", vec![s("x")]), s("x"));
    }

    #[test]
    fn conversion_helpers() {
        assert_eq!(to_string_conv(&n(3.0)), Ok("3".to_string()));
        assert_eq!(to_string_conv(&Value::Bool(true)), Ok("true".to_string()));
        assert_eq!(to_number_conv(&s("3")), Ok(3.0));
        assert!(to_number_conv(&s("abc")).is_err());
        assert_eq!(to_bool_conv(&s("true")), Ok(true));
        assert_eq!(
            make_set(vec![s("b"), n(2.0), Value::Null, s("a"), n(10.0), s("b")]),
            vec![Value::Null, n(2.0), n(10.0), s("a"), s("b")]
        );
    }
}
