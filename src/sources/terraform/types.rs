//! Terraform type constraints (`variable "x" { type = ... }`) and the value
//! conversion Terraform applies to a variable's value before any expression
//! sees it.
//!
//! The conversion matters for comparing environments: `"3"` in one
//! environment's tfvars and `3` in another's are the same value once the
//! variable is declared `number`, and an `optional(..., default)` attribute
//! left out in one environment is really set there.

use hcl::{Expression, ObjectKey};

use super::functions::{make_set, to_bool_conv, to_number_conv, to_string_conv, unify};
use crate::model::value::TfType;
use crate::model::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(std::collections::BTreeMap<String, Attr>),
}

/// One attribute of an object type.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub ty: Type,
    pub optional: bool,
    /// The `optional(type, default)` default, already converted to `ty`.
    pub default: Option<Value>,
}

/// Parse a type constraint expression.
pub fn parse_type(expr: &Expression) -> Result<Type, String> {
    match expr {
        Expression::Variable(v) => keyword(v.as_str()),
        Expression::Parenthesis(inner) => parse_type(inner),
        // Terraform before 0.12 wrote types as strings; Terraform still
        // accepts the three forms that existed.
        Expression::String(s) => legacy(s),
        Expression::TemplateExpr(t) => legacy(&t.to_string()),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            if call.name.is_namespaced() {
                return Err(format!("`{}` is not a type constructor", call.name));
            }
            if call.expand_final {
                return Err(format!("{name}(): argument expansion (`...`) is not allowed in a type"));
            }
            match name {
                "list" | "set" | "map" => {
                    let [arg] = call.args.as_slice() else {
                        return Err(format!(
                            "{name}() requires exactly one argument specifying the element type"
                        ));
                    };
                    let el = Box::new(parse_type(arg)?);
                    Ok(match name {
                        "list" => Type::List(el),
                        "set" => Type::Set(el),
                        _ => Type::Map(el),
                    })
                }
                "tuple" => match call.args.as_slice() {
                    [Expression::Array(items)] => Ok(Type::Tuple(
                        items.iter().map(parse_type).collect::<Result<_, _>>()?,
                    )),
                    _ => Err("tuple() requires a list of element types, like tuple([string, number])".into()),
                },
                "object" => match call.args.as_slice() {
                    [Expression::Object(attrs)] => {
                        let mut out = std::collections::BTreeMap::new();
                        for (key, value) in attrs.iter() {
                            let key = object_key(key)
                                .ok_or("object() attribute names must be identifiers")?;
                            out.insert(key, parse_attr(value)?);
                        }
                        Ok(Type::Object(out))
                    }
                    _ => Err("object() requires an object of attribute types, like object({ name = string })".into()),
                },
                "optional" => Err("optional() is only allowed as the type of an object attribute".into()),
                other => Err(format!("`{other}` is not a type constructor")),
            }
        }
        _ => Err("invalid type constraint: expected a type such as string, list(string) or object({...})".into()),
    }
}

fn keyword(name: &str) -> Result<Type, String> {
    match name {
        "string" => Ok(Type::String),
        "number" => Ok(Type::Number),
        "bool" => Ok(Type::Bool),
        "any" => Ok(Type::Any),
        // Bare `list` and `map` are accepted by Terraform for compatibility.
        "list" => Ok(Type::List(Box::new(Type::Any))),
        "map" => Ok(Type::Map(Box::new(Type::Any))),
        "set" | "tuple" | "object" => Err(format!(
            "the {name} type constructor requires an argument specifying its element types"
        )),
        other => Err(format!("`{other}` is not a type")),
    }
}

fn legacy(s: &str) -> Result<Type, String> {
    match s {
        "string" => Ok(Type::String),
        "list" => Ok(Type::List(Box::new(Type::Any))),
        "map" => Ok(Type::Map(Box::new(Type::Any))),
        other => Err(format!(
            "invalid legacy type hint {other:?}: write the type without quotes"
        )),
    }
}

fn object_key(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Identifier(id) => Some(id.as_str().to_string()),
        ObjectKey::Expression(Expression::Variable(v)) => Some(v.as_str().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn parse_attr(expr: &Expression) -> Result<Attr, String> {
    let call = match expr {
        Expression::FuncCall(call)
            if !call.name.is_namespaced() && call.name.name.as_str() == "optional" =>
        {
            call
        }
        other => {
            return Ok(Attr {
                ty: parse_type(other)?,
                optional: false,
                default: None,
            })
        }
    };
    let (ty_expr, default_expr) = match call.args.as_slice() {
        [t] => (t, None),
        [t, d] => (t, Some(d)),
        _ => return Err("optional() takes a type and an optional default value".into()),
    };
    let ty = parse_type(ty_expr)?;
    let default = match default_expr {
        None => None,
        Some(d) => {
            let literal = literal(d)?;
            // Terraform converts the default to the attribute type when it
            // reads the declaration, so a bad default fails early.
            let converted = convert(&literal, &ty)
                .map_err(|e| format!("invalid default value for optional attribute: {e}"))?;
            (!converted.is_null()).then_some(converted)
        }
    };
    Ok(Attr {
        ty,
        optional: true,
        default,
    })
}

/// A literal expression as a value. Defaults inside `optional()` cannot
/// refer to anything, so anything else is refused.
fn literal(expr: &Expression) -> Result<Value, String> {
    match expr {
        Expression::Null => Ok(Value::Null),
        Expression::Bool(b) => Ok(Value::Bool(*b)),
        Expression::Number(n) => Ok(super::eval::number_literal(n)),
        Expression::FuncCall(call) if super::fastparse::big_literal(call).is_some() => {
            Ok(super::fastparse::big_literal(call)
                .and_then(Value::parse_number)
                .unwrap_or(Value::Number(f64::NAN)))
        }
        Expression::String(s) => Ok(Value::String(s.clone())),
        Expression::Array(items) => Ok(Value::List(
            items.iter().map(literal).collect::<Result<_, _>>()?,
        )),
        Expression::Object(attrs) => {
            let mut out = crate::model::Map::new();
            for (key, value) in attrs.iter() {
                let key =
                    object_key(key).ok_or("object keys in a default value must be literal")?;
                out.insert(key, literal(value)?);
            }
            Ok(Value::Map(out))
        }
        Expression::Parenthesis(inner) => literal(inner),
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) if u.operator == hcl::expr::UnaryOperator::Neg => {
                match literal(&u.expr)? {
                    Value::Number(n) => Ok(Value::Number(-n)),
                    Value::BigNumber(b) => Ok(b.negate().into_value()),
                    _ => Err("a default value must be a literal".into()),
                }
            }
            _ => Err("a default value must be a literal".into()),
        },
        _ => {
            Err("a default value must be a literal (no references, functions or templates)".into())
        }
    }
}

/// Convert `value` to `ty` the way Terraform converts a variable's value.
pub fn convert(value: &Value, ty: &Type) -> Result<Value, String> {
    convert_at(value, ty, "")
}

fn at(path: &str, message: impl std::fmt::Display) -> String {
    if path.is_empty() {
        message.to_string()
    } else {
        format!("{path}: {message}")
    }
}

fn convert_at(value: &Value, ty: &Type, path: &str) -> Result<Value, String> {
    // A sensitive value converts as its value does and keeps its mark, at
    // its place (cty converts marked values so); an error never quotes it.
    if let Value::Marked(inner) = value {
        return convert_at(inner, ty, path)
            .map(Value::mark)
            .map_err(|_| at(path, "the (sensitive) value does not convert to the type"));
    }
    // A list, set or map converts as its value does; the result has the
    // declared type (`any` keeps the value's).
    if let Value::Typed(_, inner) = value {
        if *ty != Type::Any {
            return convert_at(inner, ty, path);
        }
    }
    if value.is_unknown() {
        return Ok(value.clone());
    }
    // A null has the declared type (`format("%v", var.s)` prints "null"
    // for a `string` variable set to null).
    if value.is_null() {
        let t = match ty {
            Type::String => TfType::String,
            Type::Number => TfType::Number,
            Type::Bool => TfType::Bool,
            Type::List(_) => TfType::List,
            Type::Set(_) => TfType::Set,
            Type::Map(_) => TfType::Map,
            _ => return Ok(Value::Null),
        };
        return Ok(Value::typed(t, Value::Null));
    }
    match ty {
        Type::Any => Ok(value.clone()),
        Type::String => to_string_conv(value)
            .map(Value::String)
            .map_err(|e| at(path, e)),
        Type::Number => to_number_conv(value)
            .map(Value::Number)
            .map_err(|e| at(path, e)),
        Type::Bool => to_bool_conv(value)
            .map(Value::Bool)
            .map_err(|e| at(path, e)),
        Type::List(el) | Type::Set(el) => {
            let Value::List(items) = value else {
                let kind = if matches!(ty, Type::List(_)) {
                    "list"
                } else {
                    "set"
                };
                return Err(at(
                    path,
                    format!("a {kind} is required, got {}", value.type_name()),
                ));
            };
            let mut out = items
                .iter()
                .enumerate()
                .map(|(i, v)| convert_at(v, el, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            if **el == Type::Any {
                // A collection of `any` still has one element type.
                out = unify(out).map_err(|e| at(path, e))?;
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::typed(TfType::Set, Value::List(make_set(out)))
            } else {
                Value::typed(TfType::List, Value::List(out))
            })
        }
        Type::Map(el) => {
            let Value::Map(entries) = value else {
                return Err(at(
                    path,
                    format!("a map is required, got {}", value.type_name()),
                ));
            };
            let mut keys = Vec::with_capacity(entries.len());
            let mut vals = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                keys.push(k.clone());
                vals.push(convert_at(v, el, &format!("{path}[{k:?}]"))?);
            }
            if **el == Type::Any {
                vals = unify(vals).map_err(|e| at(path, e))?;
            }
            Ok(Value::typed(
                TfType::Map,
                Value::Map(keys.into_iter().zip(vals).collect()),
            ))
        }
        Type::Tuple(types) => {
            let Value::List(items) = value else {
                return Err(at(
                    path,
                    format!("a tuple is required, got {}", value.type_name()),
                ));
            };
            if items.len() != types.len() {
                return Err(at(
                    path,
                    format!(
                        "a tuple of {} elements is required, got {}",
                        types.len(),
                        items.len()
                    ),
                ));
            }
            Ok(Value::List(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (v, t))| convert_at(v, t, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Type::Object(attrs) => {
            let Value::Map(entries) = value else {
                return Err(at(
                    path,
                    format!("an object is required, got {}", value.type_name()),
                ));
            };
            let mut out = crate::model::Map::new();
            for (name, attr) in attrs {
                let sub = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let converted = match entries.get(name) {
                    Some(v) if !v.is_null() => convert_at(v, &attr.ty, &sub)?,
                    _ if attr.optional => attr.default.clone().unwrap_or(Value::Null),
                    Some(_) => Value::Null,
                    None => return Err(at(path, format!("attribute {name:?} is required"))),
                };
                out.insert(name.clone(), converted);
            }
            // Attributes the type does not declare are dropped, as Terraform does.
            Ok(Value::Map(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(src: &str) -> Type {
        let expr: Expression = src.parse().unwrap_or_else(|e| panic!("parse {src}: {e}"));
        parse_type(&expr).unwrap_or_else(|e| panic!("type {src}: {e}"))
    }
    fn ty_err(src: &str) -> String {
        let expr: Expression = src.parse().unwrap_or_else(|e| panic!("parse {src}: {e}"));
        match parse_type(&expr) {
            Ok(t) => panic!("{src} should not parse, got {t:?}"),
            Err(e) => e,
        }
    }
    fn s(x: &str) -> Value {
        Value::str(x)
    }
    fn n(x: f64) -> Value {
        Value::Number(x)
    }
    fn l(items: Vec<Value>) -> Value {
        Value::List(items)
    }
    fn m(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn conv(v: Value, src: &str) -> Result<Value, String> {
        convert(&v, &ty(src))
    }
    fn req(t: Type) -> Attr {
        Attr {
            ty: t,
            optional: false,
            default: None,
        }
    }

    #[test]
    fn parses_primitive_types() {
        assert_eq!(ty("string"), Type::String);
        assert_eq!(ty("number"), Type::Number);
        assert_eq!(ty("bool"), Type::Bool);
        assert_eq!(ty("any"), Type::Any);
        assert_eq!(ty("(string)"), Type::String);
    }

    #[test]
    fn parses_collection_types() {
        assert_eq!(ty("list(string)"), Type::List(Box::new(Type::String)));
        assert_eq!(ty("set(number)"), Type::Set(Box::new(Type::Number)));
        assert_eq!(
            ty("map(list(bool))"),
            Type::Map(Box::new(Type::List(Box::new(Type::Bool))))
        );
        assert_eq!(ty("list(any)"), Type::List(Box::new(Type::Any)));
        assert_eq!(
            ty("tuple([string, number])"),
            Type::Tuple(vec![Type::String, Type::Number])
        );
    }

    #[test]
    fn parses_object_types_with_optional() {
        let t =
            ty("map(object({ a = string, b = optional(number, 5), c = optional(list(string)) }))");
        let mut attrs = std::collections::BTreeMap::new();
        attrs.insert("a".to_string(), req(Type::String));
        attrs.insert(
            "b".to_string(),
            Attr {
                ty: Type::Number,
                optional: true,
                default: Some(n(5.0)),
            },
        );
        attrs.insert(
            "c".to_string(),
            Attr {
                ty: Type::List(Box::new(Type::String)),
                optional: true,
                default: None,
            },
        );
        assert_eq!(t, Type::Map(Box::new(Type::Object(attrs))));
    }

    #[test]
    fn optional_defaults_are_literals_converted_to_the_type() {
        let Type::Object(attrs) = ty(
            r#"object({ a = optional(list(string), []), b = optional(number, -1), c = optional(string, 3), d = optional(map(bool), { x = "true" }) })"#,
        ) else {
            panic!("not an object");
        };
        assert_eq!(attrs["a"].default, Some(l(vec![])));
        assert_eq!(attrs["b"].default, Some(n(-1.0)));
        assert_eq!(attrs["c"].default, Some(s("3")));
        assert_eq!(attrs["d"].default, Some(m(&[("x", Value::Bool(true))])));
        assert!(ty_err("object({ a = optional(string, var.x) })").contains("literal"));
        assert!(ty_err("object({ a = optional(number, \"x\") })").contains("invalid default"));
    }

    #[test]
    fn parses_legacy_types() {
        assert_eq!(ty(r#""string""#), Type::String);
        assert_eq!(ty(r#""list""#), Type::List(Box::new(Type::Any)));
        assert_eq!(ty(r#""map""#), Type::Map(Box::new(Type::Any)));
        assert_eq!(ty("list"), Type::List(Box::new(Type::Any)));
        assert_eq!(ty("map"), Type::Map(Box::new(Type::Any)));
    }

    #[test]
    fn rejects_invalid_types() {
        assert!(ty_err("strin").contains("not a type"));
        assert!(ty_err("list(string, number)").contains("exactly one"));
        assert!(ty_err("optional(string)").contains("object attribute"));
        assert!(ty_err("list(optional(string))").contains("object attribute"));
        assert!(ty_err("tuple(string)").contains("tuple"));
        assert!(ty_err("foo(string)").contains("not a type constructor"));
        assert!(ty_err(r#""number""#).contains("legacy"));
        assert!(ty_err("1").contains("invalid type"));
    }

    #[test]
    fn primitive_conversions() {
        assert_eq!(conv(s("3"), "number"), Ok(n(3.0)));
        assert_eq!(conv(s("-1.5"), "number"), Ok(n(-1.5)));
        assert!(conv(s("abc"), "number")
            .unwrap_err()
            .contains("number is required"));
        assert!(conv(Value::Bool(true), "number").is_err());
        assert_eq!(conv(n(3.0), "string"), Ok(s("3")));
        assert_eq!(conv(n(2.5), "string"), Ok(s("2.5")));
        assert_eq!(conv(Value::Bool(true), "string"), Ok(s("true")));
        assert_eq!(conv(s("true"), "bool"), Ok(Value::Bool(true)));
        assert_eq!(conv(s("false"), "bool"), Ok(Value::Bool(false)));
        assert!(conv(s("yes"), "bool").is_err());
        assert!(conv(n(1.0), "bool").is_err());
        assert!(conv(l(vec![]), "string")
            .unwrap_err()
            .contains("string is required"));
    }

    #[test]
    fn null_and_unknown_pass_through() {
        assert_eq!(conv(Value::Null, "number"), Ok(Value::Null));
        assert_eq!(conv(Value::Null, "object({ a = string })"), Ok(Value::Null));
        let u = Value::Unknown("aws_vpc.main.id".into());
        assert_eq!(conv(u.clone(), "number"), Ok(u.clone()));
        assert_eq!(
            conv(l(vec![u.clone(), s("1")]), "list(number)"),
            Ok(l(vec![u, n(1.0)]))
        );
    }

    #[test]
    fn any_keeps_the_value() {
        let v = m(&[("a", l(vec![n(1.0), s("x")]))]);
        assert_eq!(conv(v.clone(), "any"), Ok(v));
    }

    #[test]
    fn collection_conversions() {
        // tuple → list, elements converted
        assert_eq!(
            conv(l(vec![n(1.0), s("2")]), "list(string)"),
            Ok(l(vec![s("1"), s("2")]))
        );
        // list → set: sorted and de-duplicated
        assert_eq!(
            conv(l(vec![s("b"), s("a"), s("b")]), "set(string)"),
            Ok(l(vec![s("a"), s("b")]))
        );
        // list → tuple
        assert_eq!(
            conv(l(vec![s("a"), s("2")]), "tuple([string, number])"),
            Ok(l(vec![s("a"), n(2.0)]))
        );
        assert!(conv(l(vec![s("a")]), "tuple([string, number])")
            .unwrap_err()
            .contains("2 elements"));
        // object → map
        assert_eq!(
            conv(m(&[("a", n(1.0)), ("b", Value::Bool(true))]), "map(string)"),
            Ok(m(&[("a", s("1")), ("b", s("true"))]))
        );
        // a collection of `any` gets one element type
        assert_eq!(
            conv(l(vec![s("a"), n(1.0)]), "list(any)"),
            Ok(l(vec![s("a"), s("1")]))
        );
        assert!(conv(m(&[]), "list(string)")
            .unwrap_err()
            .contains("list is required"));
        assert!(conv(l(vec![]), "map(string)")
            .unwrap_err()
            .contains("map is required"));
        assert!(conv(l(vec![s("x")]), "list(number)")
            .unwrap_err()
            .starts_with("[0]:"));
    }

    #[test]
    fn object_conversion() {
        let t = "object({ name = string, size = number })";
        assert_eq!(
            conv(
                m(&[
                    ("name", s("db")),
                    ("size", s("20")),
                    ("extra", s("dropped"))
                ]),
                t
            ),
            Ok(m(&[("name", s("db")), ("size", n(20.0))]))
        );
        let e = conv(m(&[("name", s("db"))]), t).unwrap_err();
        assert!(e.contains("attribute \"size\" is required"), "{e}");
        // an explicit null satisfies a required attribute
        assert_eq!(
            conv(m(&[("name", s("db")), ("size", Value::Null)]), t),
            Ok(m(&[("name", s("db")), ("size", Value::Null)]))
        );
        assert!(conv(s("x"), t).unwrap_err().contains("object is required"));
    }

    #[test]
    fn optional_attributes() {
        let t = "object({ a = string, b = optional(number, 5), c = optional(string) })";
        // missing → default, or null without one
        assert_eq!(
            conv(m(&[("a", s("x"))]), t),
            Ok(m(&[("a", s("x")), ("b", n(5.0)), ("c", Value::Null)]))
        );
        // null → default
        assert_eq!(
            conv(m(&[("a", s("x")), ("b", Value::Null)]), t),
            Ok(m(&[("a", s("x")), ("b", n(5.0)), ("c", Value::Null)]))
        );
        // given → converted, default ignored
        assert_eq!(
            conv(m(&[("a", s("x")), ("b", s("7")), ("c", n(1.0))]), t),
            Ok(m(&[("a", s("x")), ("b", n(7.0)), ("c", s("1"))]))
        );
    }

    #[test]
    fn nested_optional_defaults() {
        // The example from Terraform's type constraint documentation.
        let t = r#"object({
            a = string
            b = optional(string)
            c = optional(number, 127)
            d = optional(object({
                e = optional(bool, false)
            }), {})
        })"#;
        assert_eq!(
            conv(m(&[("a", s("x"))]), t),
            Ok(m(&[
                ("a", s("x")),
                ("b", Value::Null),
                ("c", n(127.0)),
                ("d", m(&[("e", Value::Bool(false))])),
            ]))
        );
        // defaults inside objects inside maps and lists
        let t = "map(object({ port = optional(number, 80), tags = optional(list(object({ k = string, v = optional(string, \"-\") })), []) }))";
        let v = m(&[
            ("web", m(&[])),
            (
                "api",
                m(&[
                    ("port", s("8080")),
                    ("tags", l(vec![m(&[("k", s("team"))])])),
                ]),
            ),
        ]);
        assert_eq!(
            conv(v, t),
            Ok(m(&[
                (
                    "api",
                    m(&[
                        ("port", n(8080.0)),
                        ("tags", l(vec![m(&[("k", s("team")), ("v", s("-"))])]))
                    ])
                ),
                ("web", m(&[("port", n(80.0)), ("tags", l(vec![]))])),
            ]))
        );
        let e = conv(m(&[("x", m(&[("tags", l(vec![m(&[])]))]))]), t).unwrap_err();
        assert!(
            e.contains("[\"x\"].tags[0]") && e.contains("\"k\" is required"),
            "{e}"
        );
    }
}
