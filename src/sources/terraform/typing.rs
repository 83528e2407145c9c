//! Terraform's types where the value model does not tell them, for the
//! evaluator ([`Value::Typed`], docs/sources.md "Types").
//!
//! The program's value model has one list and one map. Inside the
//! evaluator a bare list is a tuple and a bare map an object, as `[...]`
//! and `{...}` make them; a list, a set, a map, or a null of a type is
//! wrapped in [`Value::Typed`] where Terraform decides the type: the
//! conversion and set functions ([`result_type`]), a variable's declared
//! type (`types::convert`). This file holds what the evaluator decides by
//! type: what a `for` binds over a set ([`for_items`]), what `==` says
//! across types ([`tf_equal`]), and the type a function's result has. The
//! wrapper is stripped before a snapshot leaves the source
//! (`normalize::seal_value`), so nothing outside the evaluator sees it.

use crate::model::value::TfType;
use crate::model::Value;

/// The type Terraform gives the result of `name` on `args`, where the
/// result's value does not tell it (see [`Value::Typed`]): the set
/// functions make sets; the conversions make lists, maps and nulls of a
/// type; a few functions make lists or maps of lists or maps (checked
/// with `type()` in `terraform console` 1.11). None: a tuple or object
/// (`concat` of tuples, `keys` of an object), or the value tells.
pub(crate) fn result_type(name: &str, args: &[Value]) -> Option<TfType> {
    let tag = |a: &Value| a.unmarked().tf_type();
    let first = args.first().and_then(tag);
    let all = |t: TfType| !args.is_empty() && args.iter().all(|a| tag(a) == Some(t));
    Some(match name {
        "toset" | "setunion" | "setintersection" | "setsubtract" | "fileset" => TfType::Set,
        "setproduct" if args.iter().any(|a| tag(a) == Some(TfType::Set)) => TfType::Set,
        "setproduct" | "tolist" | "distinct" | "sort" | "compact" | "split" | "range"
        | "formatlist" | "regexall" => TfType::List,
        "reverse" if matches!(first, Some(TfType::List | TfType::Set)) => TfType::List,
        "slice" if first == Some(TfType::List) => TfType::List,
        "concat" if all(TfType::List) => TfType::List,
        "keys" | "values" if first == Some(TfType::Map) => TfType::List,
        "tomap" | "transpose" => TfType::Map,
        "merge" if all(TfType::Map) => TfType::Map,
        "zipmap" if args.get(1).and_then(tag) == Some(TfType::List) => TfType::Map,
        "tostring" => TfType::String,
        "tonumber" => TfType::Number,
        "tobool" => TfType::Bool,
        _ => return None,
    })
}

/// Terraform's error for a function that takes a list or a tuple and was
/// given a set (`concat`, `element`: a set has no order to index), which
/// parity's functions, computing on the values alone, would accept.
pub(crate) fn refuses_set(name: &str, args: &[Value]) -> Option<String> {
    let set = |a: &Value| a.unmarked().tf_type() == Some(TfType::Set);
    match name {
        "concat" if args.iter().any(set) => {
            Some("concat: all arguments must be lists or tuples; got set".into())
        }
        "element" if args.first().is_some_and(set) => {
            Some("element: cannot use element function with a set".into())
        }
        _ => None,
    }
}

/// `v` (a function's result) as a value of type `t`, when its value can
/// be one: a list for a list or set, a map for a map, a null for any; a
/// mark stays outside.
pub(crate) fn with_type(v: Value, t: TfType) -> Value {
    match (v, t) {
        (Value::Marked(inner), t) => Value::Marked(Box::new(with_type(*inner, t))),
        (v @ Value::List(_), TfType::List | TfType::Set)
        | (v @ Value::Map(_), TfType::Map)
        | (v @ Value::Null, _) => Value::typed(t, v),
        (v, _) => v,
    }
}

/// Terraform's error for `toset(x)[0]`.
pub(crate) const SET_INDEX: &str = "elements of a set are identified only by their value and don't have any separate index or key to select with";

/// The (key, value) pairs a `for` (expression, template directive or
/// `dynamic` block) iterates: a list's positions, a map's keys, and a
/// set's elements, each its own key, as Terraform binds them (a set has
/// no positions). `Err` gives back what cannot be iterated.
pub(crate) fn for_items(collection: Value) -> Result<Vec<(Value, Value)>, Value> {
    match collection {
        Value::List(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v))
            .collect()),
        Value::Map(m) => Ok(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()),
        Value::Typed(TfType::Set, inner) => match *inner {
            Value::List(items) => Ok(items.into_iter().map(|v| (v.clone(), v)).collect()),
            other => Err(other),
        },
        Value::Typed(_, inner) => for_items(*inner),
        other => Err(other),
    }
}

/// `==` as cty's `Equals`: two nulls are equal whatever their types, a
/// null and a value are not; otherwise values of different types are
/// never equal (a number and its string form, `[1] == tolist([1])`,
/// `{ a = 1 } == tomap({ a = 1 })`, a set and a list), and values of one
/// type are equal when their elements are.
pub(crate) fn tf_equal(l: &Value, r: &Value) -> bool {
    let (l, r) = (l.unmarked(), r.unmarked());
    if l.is_null() || r.is_null() {
        return l.is_null() && r.is_null();
    }
    same_type(l, r) && l == r
}

/// What [`same_type`] compares: the kind of type a value has, as far as
/// the value (and its [`Value::Typed`] tag) tells.
#[derive(PartialEq)]
enum Kind {
    /// An untyped null (cty's dynamic pseudo-type).
    Dynamic,
    /// Known only after apply: of any type.
    Any,
    Primitive(TfType),
    Tuple,
    Object,
    Collection(TfType),
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Dynamic,
        Value::Unknown(_) => Kind::Any,
        Value::String(_) => Kind::Primitive(TfType::String),
        Value::Number(_) | Value::BigNumber(_) => Kind::Primitive(TfType::Number),
        Value::Bool(_) => Kind::Primitive(TfType::Bool),
        Value::List(_) => Kind::Tuple,
        Value::Map(_) => Kind::Object,
        Value::Marked(inner) => kind(inner),
        Value::Typed(t @ (TfType::String | TfType::Number | TfType::Bool), _) => {
            Kind::Primitive(*t)
        }
        Value::Typed(t, _) => Kind::Collection(*t),
    }
}

/// Whether two values have the same Terraform type: the same kind, and
/// elements of the same types (a tuple's and an object's one by one; a
/// collection's compared where the two have as many, which is the only
/// case where their values can be equal).
fn same_type(a: &Value, b: &Value) -> bool {
    let (ka, kb) = (kind(a), kind(b));
    if ka == Kind::Any || kb == Kind::Any {
        return true;
    }
    if ka != kb {
        return false;
    }
    let (a, b) = (a.unmarked().untyped_ref(), b.unmarked().untyped_ref());
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return !matches!(ka, Kind::Tuple);
            }
            x.iter().zip(y).all(|(p, q)| same_type(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() {
                return !matches!(ka, Kind::Object);
            }
            x.iter()
                .zip(y)
                .all(|((j, p), (k, q))| (j == k || !matches!(ka, Kind::Object)) && same_type(p, q))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::str(*s)).collect())
    }

    fn set(items: &[&str]) -> Value {
        Value::typed(TfType::Set, list(items))
    }

    #[test]
    fn a_set_binds_each_element_as_its_key() {
        let items = for_items(set(&["a", "b"])).expect("iterable");
        assert_eq!(
            items,
            vec![
                (Value::str("a"), Value::str("a")),
                (Value::str("b"), Value::str("b"))
            ]
        );
        let items = for_items(Value::typed(TfType::List, list(&["a"]))).expect("iterable");
        assert_eq!(items, vec![(Value::Number(0.0), Value::str("a"))]);
        assert_eq!(for_items(Value::Null), Err(Value::Null));
        assert_eq!(
            for_items(Value::typed(TfType::Set, Value::Null)),
            Err(Value::Null)
        );
    }

    #[test]
    fn equality_is_false_across_types_and_true_between_nulls() {
        let tuple = list(&["a"]);
        let typed_list = Value::typed(TfType::List, list(&["a"]));
        assert!(tf_equal(&tuple, &tuple));
        assert!(tf_equal(&typed_list, &typed_list.clone()));
        assert!(!tf_equal(&tuple, &typed_list));
        assert!(!tf_equal(&set(&["a"]), &typed_list));
        let object = Value::Map(
            [("a".to_string(), Value::Number(1.0))]
                .into_iter()
                .collect(),
        );
        assert!(!tf_equal(
            &object,
            &Value::typed(TfType::Map, object.clone())
        ));
        let string_null = Value::typed(TfType::String, Value::Null);
        assert!(tf_equal(&string_null, &Value::Null));
        assert!(tf_equal(
            &string_null,
            &Value::typed(TfType::Number, Value::Null)
        ));
        assert!(!tf_equal(&string_null, &Value::str("")));
        // Nested, a typed null is not of an untyped null's type.
        assert!(!tf_equal(
            &Value::List(vec![string_null.clone()]),
            &Value::List(vec![Value::Null])
        ));
        assert!(tf_equal(
            &Value::List(vec![string_null.clone()]),
            &Value::List(vec![string_null])
        ));
        assert!(!tf_equal(&Value::Number(1.0), &Value::str("1")));
    }

    #[test]
    fn results_get_the_type_terraforms_function_gives() {
        assert_eq!(result_type("toset", &[]), Some(TfType::Set));
        assert_eq!(result_type("fileset", &[]), Some(TfType::Set));
        assert_eq!(
            result_type("setproduct", &[list(&["a"])]),
            Some(TfType::List)
        );
        assert_eq!(result_type("setproduct", &[set(&["a"])]), Some(TfType::Set));
        assert_eq!(result_type("concat", &[list(&["a"])]), None);
        assert_eq!(result_type("keys", &[Value::Map(Default::default())]), None);
        let v = with_type(list(&["a"]).mark(), TfType::Set);
        assert!(matches!(&v, Value::Marked(inner) if inner.tf_type() == Some(TfType::Set)));
        assert_eq!(with_type(Value::str("x"), TfType::String).tf_type(), None);
        assert_eq!(
            with_type(Value::Null, TfType::String).tf_type(),
            Some(TfType::String)
        );
        // A map result is not made a list.
        assert_eq!(
            with_type(Value::Map(Default::default()), TfType::List).tf_type(),
            None
        );
    }
}
