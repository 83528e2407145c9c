//! Terraform's pure built-in functions, evaluated on [`Value`]s.
//!
//! The evaluator calls [`call`] once it has evaluated the arguments. Functions
//! that read files or need lazily evaluated arguments (`try`, `can`, `file`,
//! `templatefile`, ...) live in the evaluator; a test checks that every
//! function listed here or there is dispatched by one of them.
//!
//! Values known only after apply: the evaluator turns a top-level
//! [`Value::Unknown`] argument into an unknown result before calling, so here
//! unknowns appear only nested in lists and maps. A function whose result
//! depends on such a nested unknown returns [`FnError::Unknown`]; one whose
//! result does not (`length`, `keys`, `merge`, `element` of a known index, ...)
//! computes normally, so as much of the configuration as possible stays
//! comparable between environments.
//!
//! Sets are sorted, de-duplicated lists. The order is [`compare_values`]:
//! null < bool < number < string < list < map < unknown; numbers compare
//! numerically, strings by code point (Terraform's own order for sets of
//! strings), lists and maps element by element. [`make_set`] applies it.
//!
//! Strings: string length, `substr` and `strrev` count grapheme clusters, as
//! Terraform does; the evaluator normalizes string literals, templates and
//! function results to NFC ([`nfc`]), as cty does every string. Known
//! deviation from Terraform: numbers are `f64` rather than arbitrary-precision
//! decimals.
//!
//! This file holds what every family shares: the error type, the lists of
//! known functions, the dispatch table [`call`], the set order and the
//! argument helpers. Each family of functions, grouped as Terraform's
//! documentation groups them, lives in a file of its own.

use std::cmp::Ordering;

use crate::model::value::format_number;
use crate::model::Value;

mod charset;
mod collection;
mod conversion;
mod crypto;
mod datetime;
mod deflate;
mod encoding;
mod fileset;
mod filesystem;
mod format;
mod network;
mod numeric;
mod strings;
mod tfvars;
mod yaml;

pub use conversion::{
    convert_to, has_convertible, to_bool_conv, to_number_conv, to_string_conv, unify, unify_types,
    Ty,
};
pub use crypto::file_digest;
pub use fileset::{fileset, Glob};
pub use strings::nfc;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FnError {
    #[error("unknown function `{0}`")]
    UnknownFunction(String),
    #[error("{name}: {message}")]
    Invalid { name: String, message: String },
    /// An argument the result depends on is not known until apply; the caller turns this into Value::Unknown.
    #[error("value not known until apply")]
    Unknown,
}

/// Terraform's filesystem functions (`filesystemFunctions` in its
/// `internal/lang/functions.go`): the evaluator implements them itself, as
/// they read files, and refuses them inside `templatestring`.
pub(crate) const FILE_FUNCTIONS: &[&str] = &[
    "file",
    "fileexists",
    "fileset",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesha512",
    "templatefile",
];

/// The other functions the evaluator implements itself, because they take
/// their arguments unevaluated or need the module's directory.
const OTHER_EVALUATOR_FUNCTIONS: &[&str] = &["try", "can", "templatestring", "abspath"];

/// Whether the evaluator, not [`call`], implements `name`.
fn is_evaluator_function(name: &str) -> bool {
    FILE_FUNCTIONS.contains(&name) || OTHER_EVALUATOR_FUNCTIONS.contains(&name)
}

/// Terraform functions [`call`] recognises but does not compute; it
/// returns [`FnError::Unknown`] for them.
const NOT_EVALUATED: &[&str] = &["type"];

/// Every function [`call`] implements (the test of the dispatch table).
#[cfg(test)]
const FUNCTIONS: &[&str] = &[
    "abs",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "index",
    "indent",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "log",
    "lookup",
    "lower",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
    "ephemeralasnull",
    // Removed in Terraform 0.15, still in older code: `list(a, b)` and
    // `map(k1, v1, k2, v2)`. Evaluated so such code loads.
    "list",
    "map",
];

/// True for every Terraform function this tool understands, including the
/// ones the evaluator implements itself.
#[cfg(test)]
fn is_known_function(name: &str) -> bool {
    FUNCTIONS.contains(&name) || NOT_EVALUATED.contains(&name) || is_evaluator_function(name)
}

/// The functions of Terraform's built-in provider that [`call_provider_terraform`]
/// computes (`provider::terraform::NAME`); the evaluator implements the third,
/// `decode_tfvars`.
pub const PROVIDER_TERRAFORM: &[&str] = &["encode_expr", "encode_tfvars", "decode_tfvars"];

/// `provider::terraform::encode_expr` and `encode_tfvars` (see [`tfvars`]).
pub fn call_provider_terraform(name: &str, args: &[Value]) -> Result<Value, FnError> {
    match name {
        "encode_expr" => tfvars::encode_expr(name, args),
        "encode_tfvars" => tfvars::encode_tfvars(name, args),
        _ => Err(FnError::UnknownFunction(format!(
            "provider::terraform::{name}"
        ))),
    }
}

pub(crate) use tfvars::is_identifier;

/// Call the pure built-in function `name`.
pub fn call(name: &str, args: Vec<Value>) -> Result<Value, FnError> {
    if name == "merge" {
        // Takes its arguments by value: `merge(local.tags, {...})` on every
        // resource used to copy every tag twice.
        return collection::merge(name, args);
    }
    let a = args.as_slice();
    match name {
        // --- numbers -------------------------------------------------------
        "abs" => number(name, num(name, one_arg(name, a)?)?.abs()),
        "ceil" => number(name, num(name, one_arg(name, a)?)?.ceil()),
        "floor" => number(name, num(name, one_arg(name, a)?)?.floor()),
        "signum" => numeric::signum(name, a),
        "log" => numeric::log(name, a),
        "pow" => numeric::pow(name, a),
        "min" | "max" => numeric::min_max(name, a),
        "sum" => collection::sum(name, a),
        "parseint" => numeric::parseint(name, a),
        "range" => collection::range(name, a),

        // --- collections ---------------------------------------------------
        "length" => collection::length(name, a),
        "element" => collection::element(name, a),
        "index" => collection::index(name, a),
        "lookup" => collection::lookup(name, a),
        "keys" => collection::keys(name, a),
        "values" => collection::values(name, a),
        "concat" => collection::concat(name, a),
        "coalesce" => collection::coalesce(name, a),
        "coalescelist" => collection::coalescelist(name, a),
        "compact" => collection::compact(name, a),
        "contains" => {
            let (l, v) = two_args(name, a)?;
            collection::contains(list(name, l)?, v).map(Value::Bool)
        }
        "distinct" => collection::distinct(name, a),
        "flatten" => collection::flatten(name, a),
        "reverse" => collection::reverse(name, a),
        "slice" => collection::slice(name, a),
        "sort" => collection::sort(name, a),
        "zipmap" => collection::zipmap(name, a),
        "list" => Ok(Value::List(a.to_vec())),
        "map" => collection::legacy_map(name, a),
        "chunklist" => collection::chunklist(name, a),
        "transpose" => collection::transpose(name, a),
        "matchkeys" => collection::matchkeys(name, a),
        "one" => collection::one(name, a),
        "alltrue" | "anytrue" => collection::all_any(name, a),
        "setunion" => collection::setunion(name, a),
        "setintersection" => collection::setintersection(name, a),
        "setsubtract" => collection::setsubtract(name, a),
        "setproduct" => collection::setproduct(name, a),

        // --- strings -------------------------------------------------------
        "format" => format::format(name, a),
        "formatlist" => format::formatlist(name, a),
        "join" => strings::join(name, a),
        "split" => strings::split(name, a),
        "lower" => str_fn(name, a, strings::lower),
        "upper" => str_fn(name, a, strings::upper),
        "title" => str_fn(name, a, strings::title),
        "trimspace" => str_fn(name, a, |s| s.trim().to_string()),
        "strrev" => str_fn(name, a, strings::strrev),
        "chomp" => str_fn(name, a, |s| s.trim_end_matches(['\n', '\r']).to_string()),
        "trim" => strings::trim(name, a),
        "trimprefix" => strings::trimprefix(name, a),
        "trimsuffix" => strings::trimsuffix(name, a),
        "startswith" => str_pred(name, a, |s, p| s.starts_with(p)),
        "endswith" => str_pred(name, a, |s, p| s.ends_with(p)),
        "strcontains" => str_pred(name, a, |s, p| s.contains(p)),
        "indent" => strings::indent(name, a),
        "replace" => strings::replace(name, a),
        "substr" => strings::substr(name, a),
        "regex" => strings::regex(name, a),
        "regexall" => strings::regexall(name, a),

        // --- type conversion -----------------------------------------------
        "tostring" => conversion::tostring(name, a),
        "tonumber" => conversion::tonumber(name, a),
        "tobool" => conversion::tobool(name, a),
        "tolist" | "toset" => conversion::tolist_toset(name, a),
        "tomap" => conversion::tomap(name, a),
        "sensitive" | "nonsensitive" => Ok(one_arg(name, a)?.clone()),
        "issensitive" => conversion::issensitive(name, a),

        // --- encoding ------------------------------------------------------
        "jsonencode" => encoding::jsonencode(name, a),
        "jsondecode" => encoding::jsondecode(name, a),
        "yamlencode" => encoding::yamlencode(name, a),
        "yamldecode" => encoding::yamldecode(name, a),
        "base64encode" => str_fn(name, a, encoding::base64encode),
        "base64gzip" => str_fn(name, a, encoding::base64gzip),
        "base64decode" => encoding::base64decode(name, a),
        "urlencode" => str_fn(name, a, encoding::urlencode),
        "csvdecode" => encoding::csvdecode(name, a),
        "textencodebase64" => charset::textencodebase64(name, a),
        "textdecodebase64" => charset::textdecodebase64(name, a),

        // --- hashes and crypto ---------------------------------------------
        "md5" => str_fn(name, a, crypto::md5),
        "sha1" => str_fn(name, a, crypto::sha1),
        "sha256" => str_fn(name, a, crypto::sha256),
        "sha512" => str_fn(name, a, crypto::sha512),
        "base64sha256" => str_fn(name, a, crypto::base64sha256),
        "base64sha512" => str_fn(name, a, crypto::base64sha512),
        "uuid" => crypto::uuid(name, a),
        "bcrypt" => crypto::bcrypt(name, a),
        "rsadecrypt" => crypto::rsadecrypt(name, a),
        "uuidv5" => {
            let (ns, n) = two_args(name, a)?;
            crypto::uuidv5(name, &string(name, ns)?, &string(name, n)?).map(Value::String)
        }

        // --- networking ----------------------------------------------------
        "cidrhost" => network::cidrhost(name, a),
        "cidrnetmask" => network::cidrnetmask(name, a),
        "cidrsubnet" => network::cidrsubnet(name, a),
        "cidrsubnets" => network::cidrsubnets(name, a),

        // --- paths ---------------------------------------------------------
        "basename" => str_fn(name, a, filesystem::basename),
        "dirname" => str_fn(name, a, filesystem::dirname),
        "pathexpand" => filesystem::pathexpand(name, a),

        // --- date and time -------------------------------------------------
        "timestamp" | "plantimestamp" => datetime::timestamp(name, a),
        "formatdate" => datetime::formatdate(name, a),
        "timeadd" => datetime::timeadd(name, a),
        "timecmp" => datetime::timecmp(name, a),

        // Parity has no ephemeral values: every value is returned as it is,
        // marks included (the evaluator passes nested marks through).
        "ephemeralasnull" => Ok(one_arg(name, a)?.clone()),

        // Real Terraform functions this tool does not evaluate: their results
        // are treated like values known only after apply rather than
        // failing the whole expression.
        _ if NOT_EVALUATED.contains(&name) => Err(FnError::Unknown),
        _ if is_evaluator_function(name) => Err(invalid(
            name,
            "must be evaluated by the expression evaluator, not called directly",
        )),
        _ => Err(FnError::UnknownFunction(name.to_string())),
    }
}

/// The total order used for sets (see the module docs).
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) | Value::BigNumber(_) => 2,
            Value::String(_) => 3,
            Value::List(_) => 4,
            Value::Map(_) => 5,
            Value::Unknown(_) => 6,
            Value::Marked(inner) | Value::Typed(_, inner) => rank(inner),
        }
    }
    match (a, b) {
        (Value::Marked(x) | Value::Typed(_, x), y) => compare_values(x, y),
        (x, Value::Marked(y) | Value::Typed(_, y)) => compare_values(x, y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y).unwrap_or_else(|| x.total_cmp(y)),
        (Value::Number(_) | Value::BigNumber(_), Value::Number(_) | Value::BigNumber(_)) => {
            crate::model::value::compare_numbers(a, b).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) | (Value::Unknown(x), Value::Unknown(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = compare_values(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Map(x), Value::Map(y)) => {
            for ((kp, p), (kq, q)) in x.iter().zip(y) {
                let o = kp.cmp(kq).then_with(|| compare_values(p, q));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Sort and de-duplicate: the representation of a Terraform set.
pub fn make_set(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by(compare_values);
    items.dedup_by(|a, b| compare_values(a, b) == Ordering::Equal);
    items
}

// ---------------------------------------------------------------------------
// Argument helpers. They return `FnError::Unknown` when they meet an unknown,
// which is what makes most functions lazy about unknowns for free.

fn invalid(name: &str, message: impl Into<String>) -> FnError {
    FnError::Invalid {
        name: name.to_string(),
        message: message.into(),
    }
}

fn arity_error(name: &str, expected: &str, got: usize) -> FnError {
    invalid(name, format!("expects {expected}, got {got}"))
}

fn exact(name: &str, a: &[Value], n: usize) -> Result<(), FnError> {
    if a.len() == n {
        Ok(())
    } else {
        let plural = if n == 1 { "" } else { "s" };
        Err(arity_error(name, &format!("{n} argument{plural}"), a.len()))
    }
}

fn at_least(name: &str, a: &[Value], n: usize) -> Result<(), FnError> {
    if a.len() >= n {
        Ok(())
    } else {
        let plural = if n == 1 { "" } else { "s" };
        Err(arity_error(
            name,
            &format!("at least {n} argument{plural}"),
            a.len(),
        ))
    }
}

fn one_arg<'a>(name: &str, a: &'a [Value]) -> Result<&'a Value, FnError> {
    match a {
        [x] => Ok(x),
        _ => Err(arity_error(name, "1 argument", a.len())),
    }
}

fn two_args<'a>(name: &str, a: &'a [Value]) -> Result<(&'a Value, &'a Value), FnError> {
    match a {
        [x, y] => Ok((x, y)),
        _ => Err(arity_error(name, "2 arguments", a.len())),
    }
}

fn three_args<'a>(
    name: &str,
    a: &'a [Value],
) -> Result<(&'a Value, &'a Value, &'a Value), FnError> {
    match a {
        [x, y, z] => Ok((x, y, z)),
        _ => Err(arity_error(name, "3 arguments", a.len())),
    }
}

fn string(name: &str, v: &Value) -> Result<String, FnError> {
    match v {
        Value::Unknown(_) => Err(FnError::Unknown),
        _ => to_string_conv(v).map_err(|m| invalid(name, m)),
    }
}

fn num(name: &str, v: &Value) -> Result<f64, FnError> {
    match v {
        Value::Unknown(_) => Err(FnError::Unknown),
        _ => to_number_conv(v).map_err(|m| invalid(name, m)),
    }
}

fn boolean(name: &str, v: &Value) -> Result<bool, FnError> {
    match v {
        Value::Unknown(_) => Err(FnError::Unknown),
        _ => to_bool_conv(v).map_err(|m| invalid(name, m)),
    }
}

/// Whole numbers within the range an f64 holds exactly, so casts never
/// saturate or truncate silently.
fn int(name: &str, v: &Value) -> Result<i64, FnError> {
    let x = num(name, v)?;
    if !x.is_finite() || x.fract() != 0.0 {
        return Err(invalid(
            name,
            format!("{} is not a whole number", format_number(x)),
        ));
    }
    if x.abs() > 9_007_199_254_740_992.0 {
        return Err(invalid(
            name,
            format!("{} is out of range", format_number(x)),
        ));
    }
    Ok(x as i64)
}

fn number(name: &str, x: f64) -> Result<Value, FnError> {
    if x.is_finite() {
        Ok(Value::Number(x))
    } else {
        Err(invalid(name, "result is not a finite number"))
    }
}

fn list<'a>(name: &str, v: &'a Value) -> Result<&'a [Value], FnError> {
    match v {
        Value::List(items) => Ok(items),
        Value::Unknown(_) => Err(FnError::Unknown),
        other => Err(invalid(
            name,
            format!(
                "a list, set or tuple is required, got {}",
                other.type_name()
            ),
        )),
    }
}

fn map<'a>(name: &str, v: &'a Value) -> Result<&'a crate::model::Map, FnError> {
    match v {
        Value::Map(m) => Ok(m),
        Value::Unknown(_) => Err(FnError::Unknown),
        other => Err(invalid(
            name,
            format!("a map or object is required, got {}", other.type_name()),
        )),
    }
}

fn str_fn(name: &str, a: &[Value], f: impl Fn(&str) -> String) -> Result<Value, FnError> {
    Ok(Value::String(f(&string(name, one_arg(name, a)?)?)))
}

fn str_pred(name: &str, a: &[Value], f: impl Fn(&str, &str) -> bool) -> Result<Value, FnError> {
    let (s, p) = two_args(name, a)?;
    Ok(Value::Bool(f(&string(name, s)?, &string(name, p)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn s(x: &str) -> Value {
        Value::str(x)
    }
    pub(super) fn n(x: f64) -> Value {
        Value::Number(x)
    }
    pub(super) fn l(items: Vec<Value>) -> Value {
        Value::List(items)
    }
    pub(super) fn ls(items: &[&str]) -> Value {
        Value::List(items.iter().map(|x| s(x)).collect())
    }
    pub(super) fn ln(items: &[f64]) -> Value {
        Value::List(items.iter().map(|x| n(*x)).collect())
    }
    pub(super) fn m(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    pub(super) fn u(x: &str) -> Value {
        Value::Unknown(x.into())
    }
    pub(super) fn ok(name: &str, args: Vec<Value>) -> Value {
        match call(name, args) {
            Ok(v) => v,
            Err(e) => panic!("{name} failed: {e}"),
        }
    }
    pub(super) fn err(name: &str, args: Vec<Value>) -> String {
        match call(name, args) {
            Ok(v) => panic!("{name} should fail, got {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_listed_function_is_dispatched() {
        for f in FUNCTIONS {
            assert!(is_known_function(f));
            assert_ne!(
                call(f, vec![]),
                Err(FnError::UnknownFunction(f.to_string())),
                "{f}"
            );
        }
        for f in FILE_FUNCTIONS
            .iter()
            .chain(OTHER_EVALUATOR_FUNCTIONS)
            .chain(&["dirname", "basename", "pathexpand"])
        {
            assert!(is_known_function(f), "{f}");
        }
        assert!(!is_known_function("nosuch"));
        assert_eq!(
            call("nosuch", vec![]),
            Err(FnError::UnknownFunction("nosuch".into()))
        );
    }

    #[test]
    fn wrong_arity_and_types_are_errors_not_panics() {
        assert_eq!(
            err("element", vec![ls(&["a"])]),
            "element: expects 2 arguments, got 1"
        );
        let samples = vec![
            Value::Null,
            Value::Bool(true),
            n(-1.5),
            n(f64::NAN),
            n(1e300),
            s(""),
            s("x"),
            l(vec![]),
            l(vec![u("x")]),
            m(&[]),
        ];
        for f in FUNCTIONS {
            for a in &samples {
                let _ = call(f, vec![a.clone()]);
                for b in &samples {
                    let _ = call(f, vec![a.clone(), b.clone()]);
                    for c in &samples {
                        let _ = call(f, vec![a.clone(), b.clone(), c.clone()]);
                    }
                }
            }
        }
    }

    #[test]
    fn unevaluated_functions_are_known_but_unknown() {
        assert!(is_known_function("type"));
        assert_eq!(call("type", vec![s("x")]), Err(FnError::Unknown));
        assert_eq!(call("ephemeralasnull", vec![s("x")]), Ok(s("x")));
    }

    #[test]
    fn evaluator_functions_are_not_called_here() {
        assert!(matches!(call("try", vec![]), Err(FnError::Invalid { .. })));
    }
}
