//! Terraform's collection functions: lists, maps and sets (`length`,
//! `lookup`, `merge`, `flatten`, `setproduct`, `range`, `sum`, ...), kept
//! together because they share the rules for unknown elements and for
//! Terraform's loose equality between primitives.

use std::collections::BTreeMap;

use super::{
    arity_error, at_least, boolean, int, invalid, list, make_set, map, num, number, one_arg,
    string, three_args, to_string_conv, two_args, FnError,
};
use crate::model::Value;

pub(super) fn keys(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let m = map(name, one_arg(name, a)?)?;
    Ok(Value::List(m.keys().cloned().map(Value::String).collect()))
}

pub(super) fn values(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let m = map(name, one_arg(name, a)?)?;
    Ok(Value::List(m.values().cloned().collect()))
}

pub(super) fn concat(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let mut out = Vec::new();
    for v in a {
        out.extend(list(name, v)?.iter().cloned());
    }
    Ok(Value::List(out))
}

pub(super) fn coalescelist(name: &str, a: &[Value]) -> Result<Value, FnError> {
    for v in a {
        if v.is_null() {
            continue;
        }
        if !list(name, v)?.is_empty() {
            return Ok(v.clone());
        }
    }
    Err(invalid(name, "no non-null, non-empty list arguments"))
}

pub(super) fn distinct(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let items = list(name, one_arg(name, a)?)?;
    if items.iter().any(Value::contains_unknown) {
        return Err(FnError::Unknown);
    }
    let mut out: Vec<Value> = Vec::new();
    for v in items {
        if !out.iter().any(|o| loosely_equal(o, v)) {
            out.push(v.clone());
        }
    }
    Ok(Value::List(out))
}

pub(super) fn flatten(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let mut out = Vec::new();
    flatten_into(list(name, one_arg(name, a)?)?, &mut out)?;
    Ok(Value::List(out))
}

pub(super) fn reverse(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let mut items = list(name, one_arg(name, a)?)?.to_vec();
    items.reverse();
    Ok(Value::List(items))
}

pub(super) fn sort(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let items = list(name, one_arg(name, a)?)?;
    let mut strings = items
        .iter()
        .map(|v| string(name, v))
        .collect::<Result<Vec<_>, _>>()?;
    strings.sort();
    Ok(Value::List(
        strings.into_iter().map(Value::String).collect(),
    ))
}

pub(super) fn one(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let items = list(name, one_arg(name, a)?)?;
    match items {
        [] => Ok(Value::Null),
        [v] => Ok(v.clone()),
        _ => Err(invalid(
            name,
            format!(
                "must be a list, set, or tuple value with either zero or one elements, got {}",
                items.len()
            ),
        )),
    }
}

pub(super) fn setunion(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let mut out = Vec::new();
    for v in a {
        out.extend(list(name, v)?.iter().cloned());
    }
    Ok(Value::List(make_set(out)))
}

pub(super) fn setintersection(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let sets = known_sets(name, a)?;
    let (first, rest) = sets
        .split_first()
        .ok_or_else(|| invalid(name, "expects at least 1 argument, got 0"))?;
    let out = first
        .iter()
        .filter(|v| rest.iter().all(|s| s.iter().any(|o| loosely_equal(o, v))))
        .cloned()
        .collect();
    Ok(Value::List(make_set(out)))
}

pub(super) fn setsubtract(name: &str, a: &[Value]) -> Result<Value, FnError> {
    two_args(name, a)?;
    let sets = known_sets(name, a)?;
    let (first, second) = match sets.as_slice() {
        [f, s] => (f, s),
        _ => return Err(arity_error(name, "2 arguments", a.len())),
    };
    let out = first
        .iter()
        .filter(|v| !second.iter().any(|o| loosely_equal(o, v)))
        .cloned()
        .collect();
    Ok(Value::List(make_set(out)))
}

/// `map("a", 1, "b", 2)` of Terraform 0.11/0.12.
pub(super) fn legacy_map(name: &str, a: &[Value]) -> Result<Value, FnError> {
    if !a.len().is_multiple_of(2) {
        return Err(FnError::Invalid {
            name: name.into(),
            message: "expects an even number of arguments (key, value, ...)".into(),
        });
    }
    let mut out = Vec::with_capacity(a.len() / 2);
    for pair in a.chunks(2) {
        let key = to_string_conv(&pair[0]).map_err(|message| FnError::Invalid {
            name: name.into(),
            message,
        })?;
        out.push((key, pair[1].clone()));
    }
    // The last of repeated keys wins, as inserting one by one would.
    Ok(Value::Map(out.into_iter().collect()))
}

/// Equality with Terraform's primitive conversion: `"1"` equals `1`.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(s), Value::Number(_) | Value::BigNumber(_) | Value::Bool(_))
        | (Value::Number(_) | Value::BigNumber(_) | Value::Bool(_), Value::String(s)) => {
            let other = if a.as_str().is_some() { b } else { a };
            to_string_conv(other).is_ok_and(|o| &o == s)
        }
        _ => a == b,
    }
}

/// Search that only gives up on unknown elements when no known element
/// matches first.
fn position(items: &[Value], v: &Value) -> Result<Option<usize>, FnError> {
    if v.contains_unknown() {
        return Err(FnError::Unknown);
    }
    let mut saw_unknown = false;
    for (i, item) in items.iter().enumerate() {
        if item.contains_unknown() {
            saw_unknown = true;
        } else if loosely_equal(item, v) {
            return if saw_unknown {
                Err(FnError::Unknown)
            } else {
                Ok(Some(i))
            };
        }
    }
    if saw_unknown {
        Err(FnError::Unknown)
    } else {
        Ok(None)
    }
}

/// `contains`: cty's `Equals`, which is false between values of different
/// types (`contains(["1", "2"], 1)` is false), unlike `index`.
pub(super) fn contains(items: &[Value], v: &Value) -> Result<bool, FnError> {
    if v.contains_unknown() {
        return Err(FnError::Unknown);
    }
    if items.iter().any(|i| !i.contains_unknown() && i == v) {
        return Ok(true);
    }
    if items.iter().any(Value::contains_unknown) {
        Err(FnError::Unknown)
    } else {
        Ok(false)
    }
}

pub(super) fn sum(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let items = list(name, one_arg(name, a)?)?;
    if items.is_empty() {
        return Err(invalid(name, "cannot sum an empty list"));
    }
    // cty adds the elements in order at 512 bits (`sum([0.1, 0.2])` is 0.3).
    let mut total: Option<Value> = None;
    for v in items {
        let x = match v {
            Value::Number(_) | Value::BigNumber(_) => v.clone(),
            Value::String(s) => {
                let n = num(name, v)?;
                Value::parse_number(s.trim()).unwrap_or(Value::Number(n))
            }
            other => Value::Number(num(name, other)?),
        };
        total = Some(match total {
            None => x,
            Some(t) => crate::sources::terraform::eval::add_numbers(&t, &x)
                .map_err(|m| invalid(name, m))?,
        });
    }
    match total {
        Some(Value::Number(t)) => number(name, t),
        Some(t) => Ok(t),
        None => Err(invalid(name, "cannot sum an empty list")),
    }
}

/// Terraform refuses to build ranges longer than this.
const RANGE_LIMIT: usize = 1024;

pub(super) fn range(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (start, limit, step) = match a {
        [l] => (0.0, num(name, l)?, None),
        [s, l] => (num(name, s)?, num(name, l)?, None),
        [s, l, st] => (num(name, s)?, num(name, l)?, Some(num(name, st)?)),
        _ => return Err(arity_error(name, "1 to 3 arguments", a.len())),
    };
    let step = step.unwrap_or(if limit < start { -1.0 } else { 1.0 });
    if !(start.is_finite() && limit.is_finite() && step.is_finite()) {
        return Err(invalid(name, "arguments must be finite numbers"));
    }
    if step == 0.0 {
        return Err(invalid(name, "step must not be zero"));
    }
    if start < limit && step < 0.0 {
        return Err(invalid(
            name,
            "step must be positive when start is less than limit",
        ));
    }
    if start > limit && step > 0.0 {
        return Err(invalid(
            name,
            "step must be negative when start is greater than limit",
        ));
    }
    let mut out = Vec::new();
    let mut v = start;
    while (step > 0.0 && v < limit) || (step < 0.0 && v > limit) {
        if out.len() >= RANGE_LIMIT {
            return Err(invalid(name, format!("more than {RANGE_LIMIT} values were generated; either decrease the difference between start and end or use a smaller step")));
        }
        out.push(Value::Number(v));
        v += step;
    }
    Ok(Value::List(out))
}

pub(super) fn length(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let n = match one_arg(name, a)? {
        Value::String(s) => super::strings::grapheme_count(s),
        Value::List(items) => items.len(),
        Value::Map(m) => m.len(),
        Value::Unknown(_) => return Err(FnError::Unknown),
        Value::Null => return Err(invalid(name, "argument must not be null")),
        other => {
            return Err(invalid(
                name,
                format!(
                    "argument must be a string, a collection type, or a structural type, got {}",
                    other.type_name()
                ),
            ))
        }
    };
    Ok(Value::Number(n as f64))
}

pub(super) fn element(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (l, i) = two_args(name, a)?;
    let items = list(name, l)?;
    let i = int(name, i)?;
    if i < 0 {
        return Err(invalid(
            name,
            "cannot use element function with a negative index",
        ));
    }
    if items.is_empty() {
        return Err(invalid(
            name,
            "cannot use element function with an empty list",
        ));
    }
    // Terraform wraps indexes past the end around.
    let idx = (i as u64 % items.len() as u64) as usize;
    items
        .get(idx)
        .cloned()
        .ok_or_else(|| invalid(name, "index out of range"))
}

pub(super) fn index(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (l, v) = two_args(name, a)?;
    match position(list(name, l)?, v)? {
        Some(i) => Ok(Value::Number(i as f64)),
        None => Err(invalid(name, "item not found")),
    }
}

pub(super) fn lookup(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (m, key, default) = match a {
        [m, k] => (m, k, None),
        [m, k, d] => (m, k, Some(d)),
        _ => return Err(arity_error(name, "2 or 3 arguments", a.len())),
    };
    let m = map(name, m)?;
    let key = string(name, key)?;
    match (m.get(&key), default) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(invalid(
            name,
            format!("the given key {key:?} does not exist in the map"),
        )),
    }
}

pub(super) fn merge(name: &str, a: Vec<Value>) -> Result<Value, FnError> {
    // Every argument is checked first, as before: an unknown or a non-map
    // anywhere decides the result whatever comes after it.
    for v in &a {
        if !v.is_null() {
            map(name, v)?;
        }
    }
    let mut out = crate::model::Map::new();
    for v in a {
        if let Value::Map(m) = v {
            if out.is_empty() {
                out = m;
            } else {
                out.extend(m);
            }
        }
    }
    Ok(Value::Map(out))
}

pub(super) fn coalesce(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    // Terraform unifies the arguments first, so one string argument makes
    // the result a string.
    let any_string = a.iter().any(|v| matches!(v, Value::String(_)));
    for v in a {
        match v {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            v if v.contains_unknown() => return Err(FnError::Unknown),
            Value::Number(_) | Value::Bool(_) if any_string => {
                return string(name, v).map(Value::String)
            }
            v => return Ok(v.clone()),
        }
    }
    Err(invalid(name, "no non-null, non-empty-string arguments"))
}

pub(super) fn compact(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let mut out = Vec::new();
    for v in list(name, one_arg(name, a)?)? {
        if v.is_null() {
            continue;
        }
        let s = string(name, v)?;
        if !s.is_empty() {
            out.push(Value::String(s));
        }
    }
    Ok(Value::List(out))
}

fn flatten_into(items: &[Value], out: &mut Vec<Value>) -> Result<(), FnError> {
    for v in items {
        match v {
            // An unknown element might itself be a list to flatten.
            Value::Unknown(_) => return Err(FnError::Unknown),
            Value::List(inner) => flatten_into(inner, out)?,
            other => out.push(other.clone()),
        }
    }
    Ok(())
}

pub(super) fn slice(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (l, s, e) = three_args(name, a)?;
    let items = list(name, l)?;
    let (s, e) = (int(name, s)?, int(name, e)?);
    if s < 0 {
        return Err(invalid(name, "start index must not be less than zero"));
    }
    if e > items.len() as i64 {
        return Err(invalid(
            name,
            "end index must not be greater than the length of the list",
        ));
    }
    if s > e {
        return Err(invalid(
            name,
            "start index must not be greater than end index",
        ));
    }
    Ok(Value::List(
        items
            .get(s as usize..e as usize)
            .map(<[Value]>::to_vec)
            .unwrap_or_default(),
    ))
}

pub(super) fn zipmap(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (k, v) = two_args(name, a)?;
    let (keys, vals) = (list(name, k)?, list(name, v)?);
    if keys.len() != vals.len() {
        return Err(invalid(
            name,
            format!(
                "number of keys ({}) does not match number of values ({})",
                keys.len(),
                vals.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(keys.len());
    for (k, v) in keys.iter().zip(vals) {
        out.push((string(name, k)?, v.clone()));
    }
    // Sorted once; of repeated keys the last wins, as in Terraform.
    Ok(Value::Map(out.into_iter().collect()))
}

pub(super) fn chunklist(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (l, size) = two_args(name, a)?;
    let items = list(name, l)?;
    let size = int(name, size)?;
    if size < 0 {
        return Err(invalid(name, "the size argument must be positive"));
    }
    if items.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items.to_vec())]));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::List(
        items
            .chunks(size)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

pub(super) fn transpose(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let m = map(name, one_arg(name, a)?)?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in m {
        for item in list(name, v)? {
            out.entry(string(name, item)?)
                .or_default()
                .push(Value::String(k.clone()));
        }
    }
    Ok(Value::Map(
        out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
    ))
}

pub(super) fn matchkeys(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (v, k, search) = three_args(name, a)?;
    let (vals, keys, search) = (list(name, v)?, list(name, k)?, list(name, search)?);
    if vals.len() != keys.len() {
        return Err(invalid(name, "length of keys and values should be equal"));
    }
    let mut out = Vec::new();
    for (val, key) in vals.iter().zip(keys) {
        if contains(search, key)? {
            out.push(val.clone());
        }
    }
    Ok(Value::List(out))
}

pub(super) fn all_any(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let items = list(name, one_arg(name, a)?)?;
    // A known deciding element settles the answer even next to unknowns.
    let decisive = name == "anytrue";
    let mut saw_unknown = false;
    for v in items {
        match v {
            Value::Unknown(_) => saw_unknown = true,
            Value::Null => {
                if !decisive {
                    return Ok(Value::Bool(false));
                }
            }
            v => {
                if boolean(name, v)? == decisive {
                    return Ok(Value::Bool(decisive));
                }
            }
        }
    }
    if saw_unknown {
        Err(FnError::Unknown)
    } else {
        Ok(Value::Bool(!decisive))
    }
}

fn known_sets(name: &str, a: &[Value]) -> Result<Vec<Vec<Value>>, FnError> {
    a.iter()
        .map(|v| {
            let items = list(name, v)?;
            if items.iter().any(Value::contains_unknown) {
                return Err(FnError::Unknown);
            }
            Ok(items.to_vec())
        })
        .collect()
}

/// Terraform refuses products that would be unreasonably large.
const PRODUCT_LIMIT: usize = 100_000;

pub(super) fn setproduct(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 2)?;
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    for v in a {
        let items = list(name, v)?;
        if rows.len().saturating_mul(items.len()) > PRODUCT_LIMIT {
            return Err(invalid(name, "result would have too many elements"));
        }
        rows = rows
            .iter()
            .flat_map(|row| {
                items.iter().map(move |item| {
                    let mut r = row.clone();
                    r.push(item.clone());
                    r
                })
            })
            .collect();
    }
    Ok(Value::List(rows.into_iter().map(Value::List).collect()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, l, ln, ls, m, n, ok, s, u};
    use super::super::{call, FnError};
    use crate::model::Value;

    #[test]
    fn merge() {
        assert_eq!(
            ok(
                "merge",
                vec![
                    m(&[("a", s("b")), ("c", s("d"))]),
                    m(&[("e", s("f")), ("c", s("z"))])
                ]
            ),
            m(&[("a", s("b")), ("c", s("z")), ("e", s("f"))])
        );
        // shallow: nested maps are replaced, not merged
        assert_eq!(
            ok(
                "merge",
                vec![
                    m(&[("x", m(&[("a", n(1.0))]))]),
                    m(&[("x", m(&[("b", n(2.0))]))])
                ]
            ),
            m(&[("x", m(&[("b", n(2.0))]))])
        );
        // unknown values do not make the merge unknown
        assert_eq!(
            ok("merge", vec![m(&[("a", u("x.id"))]), Value::Null]),
            m(&[("a", u("x.id"))])
        );
    }

    #[test]
    fn lookup() {
        let map = m(&[("a", s("ay")), ("b", s("bee"))]);
        assert_eq!(ok("lookup", vec![map.clone(), s("a"), s("what?")]), s("ay"));
        assert_eq!(
            ok("lookup", vec![map.clone(), s("c"), s("what?")]),
            s("what?")
        );
        assert_eq!(ok("lookup", vec![map.clone(), s("b")]), s("bee"));
        assert!(err("lookup", vec![map, s("c")]).contains("does not exist"));
    }

    #[test]
    fn concat() {
        assert_eq!(
            ok("concat", vec![ls(&["a", ""]), ls(&["b", "c"])]),
            ls(&["a", "", "b", "c"])
        );
    }

    #[test]
    fn length() {
        assert_eq!(ok("length", vec![l(vec![])]), n(0.0));
        assert_eq!(ok("length", vec![ls(&["a", "b"])]), n(2.0));
        assert_eq!(ok("length", vec![m(&[("a", s("b"))])]), n(1.0));
        assert_eq!(ok("length", vec![s("hello")]), n(5.0));
        assert_eq!(ok("length", vec![s("👾🕹️")]), n(2.0)); // grapheme clusters, as Terraform counts
        assert_eq!(ok("length", vec![s("e\u{301}")]), n(1.0));
        assert_eq!(ok("length", vec![s("a\r\nb")]), n(3.0));
        assert_eq!(ok("length", vec![l(vec![u("a"), u("b")])]), n(2.0));
        assert!(err("length", vec![n(3.0)]).contains("collection"));
    }

    #[test]
    fn element() {
        assert_eq!(ok("element", vec![ls(&["a", "b", "c"]), n(1.0)]), s("b"));
        assert_eq!(ok("element", vec![ls(&["a", "b", "c"]), n(3.0)]), s("a"));
        assert_eq!(ok("element", vec![l(vec![u("x"), s("b")]), n(1.0)]), s("b"));
        assert!(err("element", vec![l(vec![]), n(0.0)]).contains("empty"));
        assert!(err("element", vec![ls(&["a"]), n(-1.0)]).contains("negative"));
    }

    #[test]
    fn coalesce() {
        assert_eq!(ok("coalesce", vec![s("a"), s("b")]), s("a"));
        assert_eq!(ok("coalesce", vec![s(""), s("b")]), s("b"));
        assert_eq!(ok("coalesce", vec![n(1.0), n(2.0)]), n(1.0));
        assert_eq!(ok("coalesce", vec![Value::Null, n(2.0), s("x")]), s("2"));
        assert!(err("coalesce", vec![Value::Null, s("")]).contains("no non-null"));
    }

    #[test]
    fn coalescelist() {
        assert_eq!(
            ok("coalescelist", vec![ls(&["a", "b"]), ls(&["c", "d"])]),
            ls(&["a", "b"])
        );
        assert_eq!(
            ok("coalescelist", vec![l(vec![]), ls(&["c", "d"])]),
            ls(&["c", "d"])
        );
    }

    #[test]
    fn compact() {
        assert_eq!(
            ok("compact", vec![ls(&["a", "", "b", "c"])]),
            ls(&["a", "b", "c"])
        );
        assert_eq!(
            ok("compact", vec![l(vec![s("a"), Value::Null])]),
            ls(&["a"])
        );
        assert_eq!(
            call("compact", vec![l(vec![u("x")])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn contains() {
        assert_eq!(
            ok("contains", vec![ls(&["a", "b", "c"]), s("a")]),
            Value::Bool(true)
        );
        assert_eq!(
            ok("contains", vec![ls(&["a", "b", "c"]), s("d")]),
            Value::Bool(false)
        );
        assert_eq!(
            ok("contains", vec![l(vec![u("x"), s("a")]), s("a")]),
            Value::Bool(true)
        );
        assert_eq!(
            call("contains", vec![l(vec![u("x"), s("a")]), s("d")]),
            Err(FnError::Unknown)
        );
        // Values of different types are never equal.
        assert_eq!(
            ok("contains", vec![ls(&["1", "2"]), n(1.0)]),
            Value::Bool(false)
        );
        assert_eq!(
            ok("contains", vec![l(vec![n(1.0), n(2.0)]), s("2")]),
            Value::Bool(false)
        );
    }

    #[test]
    fn keys_and_values() {
        let map = m(&[("c", n(3.0)), ("a", n(1.0)), ("b", n(2.0))]);
        assert_eq!(ok("keys", vec![map.clone()]), ls(&["a", "b", "c"]));
        assert_eq!(ok("values", vec![map]), ln(&[1.0, 2.0, 3.0]));
        assert_eq!(ok("keys", vec![m(&[("k", u("x"))])]), ls(&["k"]));
    }

    #[test]
    fn zipmap() {
        assert_eq!(
            ok("zipmap", vec![ls(&["a", "b"]), ln(&[1.0, 2.0])]),
            m(&[("a", n(1.0)), ("b", n(2.0))])
        );
        assert!(err("zipmap", vec![ls(&["a"]), l(vec![])]).contains("does not match"));
    }

    #[test]
    fn flatten() {
        assert_eq!(
            ok(
                "flatten",
                vec![l(vec![ls(&["a", "b"]), l(vec![]), ls(&["c"])])]
            ),
            ls(&["a", "b", "c"])
        );
        assert_eq!(
            ok(
                "flatten",
                vec![l(vec![
                    l(vec![s("a"), s("b")]),
                    l(vec![]),
                    l(vec![s("c"), l(vec![s("d"), l(vec![])])])
                ])]
            ),
            ls(&["a", "b", "c", "d"])
        );
        assert_eq!(
            call("flatten", vec![l(vec![u("x")])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn distinct() {
        assert_eq!(
            ok("distinct", vec![ls(&["a", "b", "a", "c", "d", "b"])]),
            ls(&["a", "b", "c", "d"])
        );
    }

    #[test]
    fn range() {
        assert_eq!(ok("range", vec![n(3.0)]), ln(&[0.0, 1.0, 2.0]));
        assert_eq!(ok("range", vec![n(1.0), n(4.0)]), ln(&[1.0, 2.0, 3.0]));
        assert_eq!(
            ok("range", vec![n(1.0), n(8.0), n(2.0)]),
            ln(&[1.0, 3.0, 5.0, 7.0])
        );
        assert_eq!(
            ok("range", vec![n(1.0), n(4.0), n(0.5)]),
            ln(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
        );
        assert_eq!(ok("range", vec![n(4.0), n(1.0)]), ln(&[4.0, 3.0, 2.0]));
        assert_eq!(
            ok("range", vec![n(10.0), n(5.0), n(-2.0)]),
            ln(&[10.0, 8.0, 6.0])
        );
        assert_eq!(ok("range", vec![n(0.0)]), ln(&[]));
        assert!(err("range", vec![n(1e9)]).contains("1024"));
        assert!(err("range", vec![n(1.0), n(4.0), n(-1.0)]).contains("positive"));
    }

    #[test]
    fn slice() {
        assert_eq!(
            ok("slice", vec![ls(&["a", "b", "c", "d"]), n(1.0), n(3.0)]),
            ls(&["b", "c"])
        );
        assert!(err("slice", vec![ls(&["a"]), n(0.0), n(2.0)]).contains("greater than the length"));
        assert!(err("slice", vec![ls(&["a"]), n(1.0), n(0.0)]).contains("greater than end"));
    }

    #[test]
    fn sort_and_reverse() {
        assert_eq!(
            ok("sort", vec![ls(&["e", "d", "a", "x"])]),
            ls(&["a", "d", "e", "x"])
        );
        assert_eq!(ok("sort", vec![ln(&[10.0, 9.0])]), ls(&["10", "9"]));
        assert_eq!(
            ok("reverse", vec![ln(&[1.0, 2.0, 3.0])]),
            ln(&[3.0, 2.0, 1.0])
        );
    }

    #[test]
    fn one() {
        assert_eq!(ok("one", vec![l(vec![])]), Value::Null);
        assert_eq!(ok("one", vec![ls(&["hello"])]), s("hello"));
        assert!(err("one", vec![ls(&["hello", "goodbye"])]).contains("zero or one"));
    }

    #[test]
    fn alltrue_anytrue() {
        assert_eq!(
            ok("alltrue", vec![ls(&["true", "true"])]),
            Value::Bool(true)
        );
        assert_eq!(
            ok(
                "alltrue",
                vec![l(vec![Value::Bool(true), Value::Bool(false)])]
            ),
            Value::Bool(false)
        );
        assert_eq!(ok("alltrue", vec![l(vec![])]), Value::Bool(true));
        assert_eq!(ok("anytrue", vec![ls(&["true"])]), Value::Bool(true));
        assert_eq!(
            ok(
                "anytrue",
                vec![l(vec![Value::Bool(true), Value::Bool(false)])]
            ),
            Value::Bool(true)
        );
        assert_eq!(ok("anytrue", vec![l(vec![])]), Value::Bool(false));
        assert_eq!(
            ok("anytrue", vec![l(vec![u("x"), Value::Bool(true)])]),
            Value::Bool(true)
        );
        assert_eq!(
            call("alltrue", vec![l(vec![u("x"), Value::Bool(true)])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn set_functions() {
        // Terraform prints sets in its own order; ours is sorted.
        assert_eq!(
            ok(
                "setunion",
                vec![ls(&["a", "b"]), ls(&["b", "c"]), ls(&["d"])]
            ),
            ls(&["a", "b", "c", "d"])
        );
        assert_eq!(
            ok(
                "setintersection",
                vec![ls(&["a", "b"]), ls(&["b", "c"]), ls(&["b", "d"])]
            ),
            ls(&["b"])
        );
        assert_eq!(
            ok("setsubtract", vec![ls(&["a", "b", "c"]), ls(&["a", "c"])]),
            ls(&["b"])
        );
        assert_eq!(
            ok(
                "setproduct",
                vec![
                    ls(&["development", "staging", "production"]),
                    ls(&["app1", "app2"])
                ]
            ),
            l(vec![
                ls(&["development", "app1"]),
                ls(&["development", "app2"]),
                ls(&["staging", "app1"]),
                ls(&["staging", "app2"]),
                ls(&["production", "app1"]),
                ls(&["production", "app2"]),
            ])
        );
        assert_eq!(ok("setproduct", vec![ls(&["a"]), l(vec![])]), l(vec![]));
        assert_eq!(
            call("setsubtract", vec![l(vec![u("x")]), ls(&["a"])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn index() {
        assert_eq!(ok("index", vec![ls(&["a", "b", "c"]), s("b")]), n(1.0));
        assert!(err("index", vec![ls(&["a"]), s("z")]).contains("not found"));
    }

    #[test]
    fn chunklist() {
        assert_eq!(
            ok("chunklist", vec![ls(&["a", "b", "c", "d", "e"]), n(2.0)]),
            l(vec![ls(&["a", "b"]), ls(&["c", "d"]), ls(&["e"])])
        );
        assert_eq!(
            ok("chunklist", vec![ls(&["a", "b", "c", "d", "e"]), n(1.0)]),
            l(vec![
                ls(&["a"]),
                ls(&["b"]),
                ls(&["c"]),
                ls(&["d"]),
                ls(&["e"])
            ])
        );
    }

    #[test]
    fn transpose() {
        assert_eq!(
            ok(
                "transpose",
                vec![m(&[("a", ls(&["1", "2"])), ("b", ls(&["2", "3"]))])]
            ),
            m(&[("1", ls(&["a"])), ("2", ls(&["a", "b"])), ("3", ls(&["b"]))])
        );
    }

    #[test]
    fn matchkeys() {
        assert_eq!(
            ok(
                "matchkeys",
                vec![
                    ls(&["i-123", "i-abc", "i-def"]),
                    ls(&["us-west", "us-east", "us-east"]),
                    ls(&["us-east"])
                ]
            ),
            ls(&["i-abc", "i-def"])
        );
    }

    #[test]
    fn legacy_list_and_map() {
        assert_eq!(
            call("list", vec![Value::str("a"), Value::str("b")]),
            Ok(Value::List(vec![Value::str("a"), Value::str("b")]))
        );
        let m = call("map", vec![Value::str("k"), Value::from(1i64)]).unwrap();
        assert_eq!(m.display(), r#"{"k":1}"#);
        assert!(call("map", vec![Value::str("k")]).is_err());
    }
}
