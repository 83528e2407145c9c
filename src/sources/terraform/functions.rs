//! Terraform's pure built-in functions, evaluated on [`Value`]s.
//!
//! The evaluator calls [`call`] once it has evaluated the arguments. Functions
//! that read files or need lazily evaluated arguments (`try`, `can`, `file`,
//! `templatefile`, ...) live in the evaluator; [`is_known_function`] still
//! reports them so a call to them is not flagged as a typo.
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
//! Known deviations from Terraform: string length, `substr` and `strrev` count
//! Unicode scalar values rather than grapheme clusters; numbers are `f64`
//! rather than arbitrary-precision decimals.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;

use crate::model::value::format_number;
use crate::model::Value;

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

/// Functions the evaluator implements itself because they read files or take
/// their arguments unevaluated.
const EVALUATOR_FUNCTIONS: &[&str] = &[
    "try",
    "can",
    "file",
    "fileexists",
    "templatefile",
    "abspath",
];

/// Terraform functions [`call`] recognises but does not compute; it
/// returns [`FnError::Unknown`] for them. The file functions are here so that
/// an evaluator which does not special-case them still gets a result.
const NOT_EVALUATED: &[&str] = &[
    "base64gzip",
    "csvdecode",
    "ephemeralasnull",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "formatdate",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "type",
];

/// Every function [`call`] implements.
const FUNCTIONS: &[&str] = &[
    "abs",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
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
    "dirname",
    "distinct",
    "element",
    "endswith",
    "flatten",
    "floor",
    "format",
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
    // Removed in Terraform 0.15, still in older code: `list(a, b)` and
    // `map(k1, v1, k2, v2)`. Evaluated so such code loads.
    "list",
    "map",
];

/// True for every Terraform function this tool understands, including the
/// ones the evaluator implements itself.
pub fn is_known_function(name: &str) -> bool {
    FUNCTIONS.contains(&name)
        || NOT_EVALUATED.contains(&name)
        || EVALUATOR_FUNCTIONS.contains(&name)
}

/// `map("a", 1, "b", 2)` of Terraform 0.11/0.12.
fn legacy_map(name: &str, a: &[Value]) -> Result<Value, FnError> {
    if a.len() % 2 != 0 {
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

/// Call the pure built-in function `name`.
pub fn call(name: &str, args: Vec<Value>) -> Result<Value, FnError> {
    if name == "merge" {
        // Takes its arguments by value: `merge(local.tags, {...})` on every
        // resource used to copy every tag twice.
        return merge(name, args);
    }
    let a = args.as_slice();
    match name {
        // --- numbers -------------------------------------------------------
        "abs" => number(name, num(name, one_arg(name, a)?)?.abs()),
        "ceil" => number(name, num(name, one_arg(name, a)?)?.ceil()),
        "floor" => number(name, num(name, one_arg(name, a)?)?.floor()),
        "signum" => {
            let x = num(name, one_arg(name, a)?)?;
            number(
                name,
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                },
            )
        }
        "log" => {
            let (x, base) = two_args(name, a)?;
            number(name, num(name, x)?.ln() / num(name, base)?.ln())
        }
        "pow" => {
            let (x, y) = two_args(name, a)?;
            number(name, num(name, x)?.powf(num(name, y)?))
        }
        "min" | "max" => min_max(name, a),
        "sum" => sum(name, a),
        "parseint" => parseint(name, a),
        "range" => range(name, a),

        // --- collections ---------------------------------------------------
        "length" => length(name, a),
        "element" => element(name, a),
        "index" => index(name, a),
        "lookup" => lookup(name, a),
        "keys" => {
            let m = map(name, one_arg(name, a)?)?;
            Ok(Value::List(m.keys().cloned().map(Value::String).collect()))
        }
        "values" => {
            let m = map(name, one_arg(name, a)?)?;
            Ok(Value::List(m.values().cloned().collect()))
        }
        "concat" => {
            let mut out = Vec::new();
            for v in a {
                out.extend(list(name, v)?.iter().cloned());
            }
            Ok(Value::List(out))
        }
        "coalesce" => coalesce(name, a),
        "coalescelist" => {
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
        "compact" => compact(name, a),
        "contains" => {
            let (l, v) = two_args(name, a)?;
            contains(list(name, l)?, v).map(Value::Bool)
        }
        "distinct" => {
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
        "flatten" => {
            let mut out = Vec::new();
            flatten_into(list(name, one_arg(name, a)?)?, &mut out)?;
            Ok(Value::List(out))
        }
        "reverse" => {
            let mut items = list(name, one_arg(name, a)?)?.to_vec();
            items.reverse();
            Ok(Value::List(items))
        }
        "slice" => slice(name, a),
        "sort" => {
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
        "zipmap" => zipmap(name, a),
        "list" => Ok(Value::List(a.to_vec())),
        "map" => legacy_map(name, a),
        "chunklist" => chunklist(name, a),
        "transpose" => transpose(name, a),
        "matchkeys" => matchkeys(name, a),
        "one" => {
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
        "alltrue" | "anytrue" => all_any(name, a),
        "setunion" => {
            at_least(name, a, 1)?;
            let mut out = Vec::new();
            for v in a {
                out.extend(list(name, v)?.iter().cloned());
            }
            Ok(Value::List(make_set(out)))
        }
        "setintersection" => {
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
        "setsubtract" => {
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
        "setproduct" => setproduct(name, a),

        // --- strings -------------------------------------------------------
        "format" => {
            at_least(name, a, 1)?;
            let (spec, rest) = a
                .split_first()
                .ok_or_else(|| arity_error(name, "at least 1 argument", 0))?;
            let spec = string(name, spec)?;
            format_string(name, &spec, rest).map(Value::String)
        }
        "formatlist" => formatlist(name, a),
        "join" => {
            at_least(name, a, 2)?;
            let (sep, lists) = a
                .split_first()
                .ok_or_else(|| arity_error(name, "at least 2 arguments", 0))?;
            let sep = string(name, sep)?;
            let mut parts = Vec::new();
            for l in lists {
                for v in list(name, l)? {
                    parts.push(string(name, v)?);
                }
            }
            Ok(Value::String(parts.join(&sep)))
        }
        "split" => {
            let (sep, s) = two_args(name, a)?;
            let (sep, s) = (string(name, sep)?, string(name, s)?);
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep.as_str()).map(Value::str).collect()
            };
            Ok(Value::List(parts))
        }
        "lower" => str_fn(name, a, |s| s.to_lowercase()),
        "upper" => str_fn(name, a, |s| s.to_uppercase()),
        "title" => str_fn(name, a, title),
        "trimspace" => str_fn(name, a, |s| s.trim().to_string()),
        "strrev" => str_fn(name, a, |s| s.chars().rev().collect()),
        "chomp" => str_fn(name, a, |s| s.trim_end_matches(['\n', '\r']).to_string()),
        "trim" => {
            let (s, cut) = two_args(name, a)?;
            let (s, cut) = (string(name, s)?, string(name, cut)?);
            Ok(Value::String(
                s.trim_matches(|c| cut.contains(c)).to_string(),
            ))
        }
        "trimprefix" => {
            let (s, p) = two_args(name, a)?;
            let (s, p) = (string(name, s)?, string(name, p)?);
            Ok(Value::String(
                s.strip_prefix(p.as_str()).unwrap_or(&s).to_string(),
            ))
        }
        "trimsuffix" => {
            let (s, p) = two_args(name, a)?;
            let (s, p) = (string(name, s)?, string(name, p)?);
            Ok(Value::String(
                s.strip_suffix(p.as_str()).unwrap_or(&s).to_string(),
            ))
        }
        "startswith" => str_pred(name, a, |s, p| s.starts_with(p)),
        "endswith" => str_pred(name, a, |s, p| s.ends_with(p)),
        "strcontains" => str_pred(name, a, |s, p| s.contains(p)),
        "indent" => {
            let (n, s) = two_args(name, a)?;
            let n = int(name, n)?;
            if !(0..=10_000).contains(&n) {
                return Err(invalid(name, format!("indentation {n} out of range")));
            }
            let s = string(name, s)?;
            let pad = " ".repeat(n as usize);
            Ok(Value::String(s.replace('\n', &format!("\n{pad}"))))
        }
        "replace" => replace(name, a),
        "substr" => substr(name, a),
        "regex" => {
            let (pattern, s) = two_args(name, a)?;
            let re = compile_regex(name, &string(name, pattern)?)?;
            let s = string(name, s)?;
            let caps = re.captures(&s).ok_or_else(|| {
                invalid(name, "pattern did not match any part of the given string")
            })?;
            regex_result(name, &re, &caps)
        }
        "regexall" => {
            let (pattern, s) = two_args(name, a)?;
            let re = compile_regex(name, &string(name, pattern)?)?;
            let s = string(name, s)?;
            let out = re
                .captures_iter(&s)
                .map(|caps| regex_result(name, &re, &caps))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::List(out))
        }

        // --- type conversion -----------------------------------------------
        "tostring" => match one_arg(name, a)? {
            Value::Null => Ok(Value::Null),
            v => string(name, v).map(Value::String),
        },
        "tonumber" => match one_arg(name, a)? {
            Value::Null => Ok(Value::Null),
            v => num(name, v).map(Value::Number),
        },
        "tobool" => match one_arg(name, a)? {
            Value::Null => Ok(Value::Null),
            v => boolean(name, v).map(Value::Bool),
        },
        "tolist" | "toset" => match one_arg(name, a)? {
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
        },
        "tomap" => match one_arg(name, a)? {
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
        },
        "sensitive" | "nonsensitive" => Ok(one_arg(name, a)?.clone()),
        "issensitive" => {
            one_arg(name, a)?;
            Ok(Value::Bool(false))
        }

        // --- encoding ------------------------------------------------------
        "jsonencode" => {
            let v = one_arg(name, a)?;
            if v.contains_unknown() {
                return Err(FnError::Unknown);
            }
            Ok(Value::String(json_encode(v)))
        }
        "jsondecode" => {
            let s = string(name, one_arg(name, a)?)?;
            let json: serde_json::Value =
                serde_json::from_str(&s).map_err(|e| invalid(name, e.to_string()))?;
            Ok(Value::from_json(&json))
        }
        "yamlencode" => {
            let v = one_arg(name, a)?;
            if v.contains_unknown() {
                return Err(FnError::Unknown);
            }
            let mut out = String::new();
            yaml_block(v, 0, &mut out);
            Ok(Value::String(out))
        }
        "yamldecode" => {
            let s = string(name, one_arg(name, a)?)?;
            let mut y: serde_yaml::Value =
                serde_yaml::from_str(&s).map_err(|e| invalid(name, e.to_string()))?;
            y.apply_merge().map_err(|e| invalid(name, e.to_string()))?;
            yaml_to_value(name, y)
        }
        "base64encode" => str_fn(name, a, |s| {
            base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
        }),
        "base64decode" => {
            let s = string(name, one_arg(name, a)?)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| invalid(name, format!("failed to decode base64 data: {e}")))?;
            String::from_utf8(bytes).map(Value::String).map_err(|_| {
                invalid(
                    name,
                    "the result of decoding the provided string is not valid UTF-8",
                )
            })
        }
        "urlencode" => str_fn(name, a, urlencode),
        "md5" => str_fn(name, a, |s| hex(&<md5::Md5 as sha2::Digest>::digest(s))),
        "sha1" => str_fn(name, a, |s| hex(&<sha1::Sha1 as sha2::Digest>::digest(s))),
        "sha256" => str_fn(name, a, |s| hex(&<sha2::Sha256 as sha2::Digest>::digest(s))),
        "sha512" => str_fn(name, a, |s| hex(&<sha2::Sha512 as sha2::Digest>::digest(s))),
        "base64sha256" => str_fn(name, a, |s| {
            base64::engine::general_purpose::STANDARD
                .encode(<sha2::Sha256 as sha2::Digest>::digest(s))
        }),
        "base64sha512" => str_fn(name, a, |s| {
            base64::engine::general_purpose::STANDARD
                .encode(<sha2::Sha512 as sha2::Digest>::digest(s))
        }),

        // --- networking ----------------------------------------------------
        "cidrhost" => cidrhost(name, a),
        "cidrnetmask" => {
            let c = Cidr::parse(name, &string(name, one_arg(name, a)?)?)?;
            if c.v6 {
                return Err(invalid(name, "only IPv4 networks are supported"));
            }
            Ok(Value::String(c.format_addr(net_mask(c.plen, c.width()))))
        }
        "cidrsubnet" => cidrsubnet(name, a),
        "cidrsubnets" => cidrsubnets(name, a),

        // --- paths ---------------------------------------------------------
        "basename" => str_fn(name, a, basename),
        "dirname" => str_fn(name, a, dirname),
        "pathexpand" => {
            let s = string(name, one_arg(name, a)?)?;
            // The home directory differs between machines; a path under it is
            // not a property of the configuration.
            if s == "~" || s.starts_with("~/") {
                Err(FnError::Unknown)
            } else {
                Ok(Value::String(s))
            }
        }

        // --- non-deterministic: a different value on every run -------------
        "uuid" | "timestamp" | "plantimestamp" => {
            exact(name, a, 0)?;
            Err(FnError::Unknown)
        }
        "bcrypt" => {
            if a.is_empty() || a.len() > 2 {
                return Err(arity_error(name, "1 or 2 arguments", a.len()));
            }
            Err(FnError::Unknown)
        }

        "uuidv5" => {
            let (ns, n) = two_args(name, a)?;
            uuidv5(name, &string(name, ns)?, &string(name, n)?).map(Value::String)
        }
        // Real Terraform functions this tool does not evaluate: their results
        // are treated like values known only after apply rather than
        // failing the whole expression.
        _ if NOT_EVALUATED.contains(&name) => Err(FnError::Unknown),
        _ if EVALUATOR_FUNCTIONS.contains(&name) => Err(invalid(
            name,
            "must be evaluated by the expression evaluator, not called directly",
        )),
        _ => Err(FnError::UnknownFunction(name.to_string())),
    }
}

// ---------------------------------------------------------------------------
// Conversions shared with the `types` module.

/// Terraform's automatic conversion of a primitive to a string: `3` → `"3"`,
/// `true` → `"true"`.
pub fn to_string_conv(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(format_number(*n)),
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

/// The total order used for sets (see the module docs).
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::List(_) => 4,
            Value::Map(_) => 5,
            Value::Unknown(_) => 6,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y).unwrap_or_else(|| x.total_cmp(y)),
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

/// Give list (or map) elements a common type, as Terraform does when it
/// builds a list from a tuple: mixed primitives all become strings. Nulls and
/// unknowns are left alone; mixing primitives with collections is an error.
pub fn unify(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut kinds = items
        .iter()
        .filter(|v| !v.is_null() && !v.is_unknown())
        .map(|v| match v {
            Value::List(_) | Value::Map(_) => "collection",
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

/// Equality with Terraform's primitive conversion: `"1"` equals `1`.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(s), Value::Number(_) | Value::Bool(_))
        | (Value::Number(_) | Value::Bool(_), Value::String(s)) => {
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

fn contains(items: &[Value], v: &Value) -> Result<bool, FnError> {
    if v.contains_unknown() {
        return Err(FnError::Unknown);
    }
    if items
        .iter()
        .any(|i| !i.contains_unknown() && loosely_equal(i, v))
    {
        return Ok(true);
    }
    if items.iter().any(Value::contains_unknown) {
        Err(FnError::Unknown)
    } else {
        Ok(false)
    }
}

// ---------------------------------------------------------------------------
// Numbers.

fn min_max(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let nums = a
        .iter()
        .map(|v| num(name, v))
        .collect::<Result<Vec<_>, _>>()?;
    let pick = if name == "min" { f64::min } else { f64::max };
    let first = nums.first().copied().unwrap_or(0.0);
    number(name, nums.into_iter().fold(first, pick))
}

fn sum(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let items = list(name, one_arg(name, a)?)?;
    if items.is_empty() {
        return Err(invalid(name, "cannot sum an empty list"));
    }
    let mut total = 0.0;
    for v in items {
        total += num(name, v)?;
    }
    number(name, total)
}

fn parseint(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, base) = two_args(name, a)?;
    let s = string(name, s)?;
    let base = int(name, base)?;
    if !(2..=62).contains(&base) {
        return Err(invalid(
            name,
            format!("base must be a whole number between 2 and 62 inclusive, got {base}"),
        ));
    }
    let bad = || invalid(name, format!("cannot parse {s:?} as a base {base} integer"));
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0f64;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            // Go's big.Int: upper case letters are 10..35 up to base 36 and
            // 36..61 above it.
            'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
            'A'..='Z' => c as i64 - 'A' as i64 + 36,
            _ => return Err(bad()),
        };
        if d >= base {
            return Err(bad());
        }
        total = total * base as f64 + d as f64;
    }
    number(name, if negative { -total } else { total })
}

/// Terraform refuses to build ranges longer than this.
const RANGE_LIMIT: usize = 1024;

fn range(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

// ---------------------------------------------------------------------------
// Collections.

fn length(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let n = match one_arg(name, a)? {
        Value::String(s) => s.chars().count(),
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

fn element(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn index(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (l, v) = two_args(name, a)?;
    match position(list(name, l)?, v)? {
        Some(i) => Ok(Value::Number(i as f64)),
        None => Err(invalid(name, "item not found")),
    }
}

fn lookup(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn merge(name: &str, a: Vec<Value>) -> Result<Value, FnError> {
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

fn coalesce(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn compact(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn slice(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn zipmap(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn chunklist(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn transpose(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn matchkeys(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn all_any(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

fn setproduct(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

// ---------------------------------------------------------------------------
// Strings.

/// Go's `strings.Title`: upper-case the first letter of every word.
fn title(s: &str) -> String {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = is_separator(c);
    }
    out
}

fn replace(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, sub, rep) = three_args(name, a)?;
    let (s, sub, rep) = (string(name, s)?, string(name, sub)?, string(name, rep)?);
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = compile_regex(name, &sub[1..sub.len() - 1])?;
        // Go's `$1`/`${name}` expansion matches the regex crate's.
        return Ok(Value::String(re.replace_all(&s, rep.as_str()).into_owned()));
    }
    if sub.is_empty() {
        // Go inserts the replacement between every character; so do we.
        let mut out = rep.clone();
        for c in s.chars() {
            out.push(c);
            out.push_str(&rep);
        }
        return Ok(Value::String(out));
    }
    Ok(Value::String(s.replace(&sub, &rep)))
}

fn substr(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, offset, len) = three_args(name, a)?;
    let s = string(name, s)?;
    let (offset, len) = (int(name, offset)?, int(name, len)?);
    let chars: Vec<char> = s.chars().collect();
    let total = chars.len() as i64;
    let start = if offset < 0 {
        (total + offset).max(0)
    } else {
        offset.min(total)
    };
    let end = if len < 0 {
        total
    } else {
        start.saturating_add(len).min(total)
    };
    Ok(Value::String(
        chars
            .get(start as usize..end as usize)
            .map(|c| c.iter().collect())
            .unwrap_or_default(),
    ))
}

fn compile_regex(name: &str, pattern: &str) -> Result<regex::Regex, FnError> {
    regex::Regex::new(pattern)
        .map_err(|e| invalid(name, format!("invalid regular expression pattern: {e}")))
}

/// A whole match without groups is a string, unnamed groups a list, named
/// groups a map; unmatched optional groups are null.
fn regex_result(
    name: &str,
    re: &regex::Regex,
    caps: &regex::Captures<'_>,
) -> Result<Value, FnError> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let group = |i: usize| {
        caps.get(i)
            .map(|m| Value::str(m.as_str()))
            .unwrap_or(Value::Null)
    };
    if names.is_empty() {
        return Ok(group(0));
    }
    if names.iter().all(Option::is_none) {
        return Ok(Value::List((1..=names.len()).map(group).collect()));
    }
    if names.iter().all(Option::is_some) {
        return Ok(Value::Map(
            names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), group(i + 1))))
                .collect(),
        ));
    }
    Err(invalid(
        name,
        "invalid regular expression pattern: cannot mix both named and unnamed capture groups",
    ))
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 4122 name-based UUID (version 5, SHA-1), as Terraform's `uuidv5`.
fn uuidv5(name: &str, namespace: &str, value: &str) -> Result<String, FnError> {
    let ns = match namespace {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let hex_digits: String = ns.chars().filter(|c| *c != '-').collect();
    let bad = || {
        invalid(
            name,
            format!("uuidv5() doesn't support namespace {namespace:?}"),
        )
    };
    if hex_digits.len() != 32 || !hex_digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut bytes = Vec::with_capacity(16 + value.len());
    for i in (0..32).step_by(2) {
        let pair = hex_digits.get(i..i + 2).ok_or_else(bad)?;
        bytes.push(u8::from_str_radix(pair, 16).map_err(|_| bad())?);
    }
    bytes.extend_from_slice(value.as_bytes());
    let digest = <sha1::Sha1 as sha2::Digest>::digest(&bytes);
    let mut u: Vec<u8> = digest.iter().take(16).copied().collect();
    if let (Some(b6), Some(b8)) = (u.get(6).copied(), u.get(8).copied()) {
        u[6] = (b6 & 0x0f) | 0x50;
        u[8] = (b8 & 0x3f) | 0x80;
    }
    // invariant: a SHA-1 digest is 20 bytes, so `h` is 32 hex digits and the
    // slices below are in range.
    let h = hex(&u);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

// ---------------------------------------------------------------------------
// format / formatlist: Go's fmt verbs as cty implements them.

#[derive(Default, PartialEq, Eq)]
struct Flags {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
}

impl Flags {
    const PLAIN: Flags = Flags {
        minus: false,
        plus: false,
        sharp: false,
        space: false,
        zero: false,
    };
}

/// Widths beyond this are refused so a format string cannot make us
/// allocate without bound.
const MAX_WIDTH: usize = 10_000;

fn format_string(name: &str, spec: &str, args: &[Value]) -> Result<String, FnError> {
    // Walked by byte: everything that means something in a format string
    // is ASCII, and text between verbs is copied a run at a time.
    let bytes = spec.as_bytes();
    let mut out = String::with_capacity(spec.len() + 16);
    let mut i = 0;
    let mut next_arg = 0usize;
    let mut explicit_index = false;
    let read_number = |i: &mut usize| -> Option<usize> {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        if *i == start {
            return None;
        }
        spec.get(start..*i)?.parse().ok()
    };
    while i < bytes.len() {
        let run_end = memchr::memchr(b'%', &bytes[i..]).map_or(bytes.len(), |j| i + j);
        if run_end > i {
            // `%` is ASCII: both ends are character boundaries.
            out.push_str(spec.get(i..run_end).unwrap_or_default());
            i = run_end;
            continue;
        }
        i += 1;
        if bytes.get(i) == Some(&b'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut flags = Flags::default();
        while let Some(&f) = bytes.get(i) {
            match f {
                b'-' => flags.minus = true,
                b'+' => flags.plus = true,
                b'#' => flags.sharp = true,
                b' ' => flags.space = true,
                b'0' => flags.zero = true,
                _ => break,
            }
            i += 1;
        }
        let mut arg_index = |i: &mut usize| -> Result<(), FnError> {
            if bytes.get(*i) == Some(&b'[') {
                *i += 1;
                let n = read_number(i).filter(|n| *n >= 1);
                if bytes.get(*i) != Some(&b']') || n.is_none() {
                    return Err(invalid(name, "invalid argument index in format string"));
                }
                *i += 1;
                next_arg = n.unwrap_or(1) - 1;
                explicit_index = true;
            }
            Ok(())
        };
        arg_index(&mut i)?;
        let width = read_number(&mut i);
        let precision = if bytes.get(i) == Some(&b'.') {
            i += 1;
            Some(read_number(&mut i).unwrap_or(0))
        } else {
            None
        };
        arg_index(&mut i)?;
        if width.unwrap_or(0) > MAX_WIDTH || precision.unwrap_or(0) > MAX_WIDTH {
            return Err(invalid(name, "width or precision too large"));
        }
        // Only ASCII bytes were consumed since the last boundary.
        let verb = spec
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .ok_or_else(|| invalid(name, "unterminated format verb at end of string"))?;
        i += verb.len_utf8();
        let arg = args.get(next_arg).ok_or_else(|| {
            invalid(
                name,
                format!(
                    "not enough arguments for \"%{verb}\" at position {}",
                    next_arg + 1
                ),
            )
        })?;
        next_arg += 1;
        // The common case, `%s` of a string with no width or flags: copied
        // as it is (what format_verb and pad would give, without the copies).
        if let (Value::String(s), 's' | 'v', None, None, true) =
            (arg, verb, width, precision, flags == Flags::PLAIN)
        {
            out.push_str(s);
            continue;
        }
        let (sign, body, numeric) = format_verb(name, verb, &flags, precision, arg)?;
        out.push_str(&pad(&sign, &body, numeric, width.unwrap_or(0), &flags));
    }
    if !explicit_index && next_arg < args.len() {
        return Err(invalid(
            name,
            if next_arg == 0 {
                "too many arguments; no verbs in format string".to_string()
            } else {
                format!("too many arguments; only {next_arg} used by format string")
            },
        ));
    }
    Ok(out)
}

fn pad(sign: &str, body: &str, numeric: bool, width: usize, flags: &Flags) -> String {
    let len = sign.chars().count() + body.chars().count();
    if len >= width {
        return format!("{sign}{body}");
    }
    let fill = width - len;
    if flags.minus {
        format!("{sign}{body}{}", " ".repeat(fill))
    } else if flags.zero && numeric {
        format!("{sign}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{sign}{body}", " ".repeat(fill))
    }
}

/// Returns (sign, body, is numeric) so padding can put zeros after the sign.
fn format_verb(
    name: &str,
    verb: char,
    flags: &Flags,
    precision: Option<usize>,
    arg: &Value,
) -> Result<(String, String, bool), FnError> {
    if arg.contains_unknown() {
        return Err(FnError::Unknown);
    }
    if arg.is_null() && verb != 'v' {
        return Err(invalid(
            name,
            format!("unsupported value for \"%{verb}\": null value cannot be formatted"),
        ));
    }
    let sign_of = |x: f64| -> String {
        if x.is_sign_negative() && x != 0.0 {
            "-".into()
        } else if flags.plus {
            "+".into()
        } else if flags.space {
            " ".into()
        } else {
            String::new()
        }
    };
    match verb {
        'v' => match arg {
            Value::Number(x) if !flags.sharp => Ok((sign_of(*x), format_number(x.abs()), true)),
            Value::String(s) if !flags.sharp => Ok((String::new(), s.clone(), false)),
            Value::Bool(b) => Ok((String::new(), b.to_string(), false)),
            Value::Null => Ok((String::new(), "null".into(), false)),
            other => Ok((String::new(), json_encode(other), false)),
        },
        't' => Ok((String::new(), boolean(name, arg)?.to_string(), false)),
        's' => {
            let s = string(name, arg)?;
            let s = match precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            };
            Ok((String::new(), s, false))
        }
        'q' => {
            let s = string(name, arg)?;
            Ok((String::new(), json_encode(&Value::String(s)), false))
        }
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let x = num(name, arg)?;
            if !x.is_finite() || x.fract() != 0.0 || x.abs() >= 9.2e18 {
                return Err(invalid(
                    name,
                    format!("unsupported value for \"%{verb}\": an integer is required"),
                ));
            }
            let n = x.abs() as u64;
            let body = match verb {
                'b' => format!("{n:b}"),
                'o' if flags.sharp => format!("0{n:o}"),
                'o' => format!("{n:o}"),
                'x' if flags.sharp => format!("0x{n:x}"),
                'x' => format!("{n:x}"),
                'X' if flags.sharp => format!("0X{n:X}"),
                'X' => format!("{n:X}"),
                _ => n.to_string(),
            };
            Ok((sign_of(x), body, true))
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let x = num(name, arg)?;
            let a = x.abs();
            let body = match verb {
                'e' | 'E' => go_exp(a, precision.unwrap_or(6), verb == 'E'),
                'f' | 'F' => format!("{a:.*}", precision.unwrap_or(6)),
                _ => go_general(a, precision, verb == 'G', flags.sharp),
            };
            Ok((sign_of(x), body, true))
        }
        other => Err(invalid(
            name,
            format!("unsupported format verb \"%{other}\""),
        )),
    }
}

/// Split Rust's `1.5e3` into mantissa and exponent.
fn split_exp(s: &str) -> (String, i32) {
    match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse().unwrap_or(0)),
        None => (s.to_string(), 0),
    }
}

/// Go's `%e`: `1.234560e+03`.
fn go_exp(a: f64, precision: usize, upper: bool) -> String {
    let (mantissa, exp) = split_exp(&format!("{a:.precision$e}"));
    join_exp(&mantissa, exp, upper)
}

fn join_exp(mantissa: &str, exp: i32, upper: bool) -> String {
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}{e}{sign}{:02}", exp.unsigned_abs())
}

/// Go's `%g`: exponent form for large or small exponents, trailing zeros
/// removed.
fn go_general(a: f64, precision: Option<usize>, upper: bool, sharp: bool) -> String {
    if a == 0.0 {
        return "0".into();
    }
    let strip = |s: String| -> String {
        if sharp || !s.contains('.') {
            s
        } else {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    match precision {
        None => {
            let (mantissa, exp) = split_exp(&format!("{a:e}"));
            if !(-4..6).contains(&exp) {
                join_exp(&mantissa, exp, upper)
            } else {
                format!("{a}")
            }
        }
        Some(p) => {
            let p = p.max(1);
            let (mantissa, exp) = split_exp(&format!("{a:.*e}", p - 1));
            if exp < -4 || exp >= p as i32 {
                join_exp(&strip(mantissa), exp, upper)
            } else {
                let decimals = (p as i32 - 1 - exp).max(0) as usize;
                strip(format!("{a:.decimals$}"))
            }
        }
    }
}

fn formatlist(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let (spec, rest) = a
        .split_first()
        .ok_or_else(|| arity_error(name, "at least 1 argument", 0))?;
    let spec = string(name, spec)?;
    let mut n: Option<usize> = None;
    for (i, v) in rest.iter().enumerate() {
        if let Value::List(items) = v {
            match n {
                Some(expected) if expected != items.len() => {
                    return Err(invalid(
                        name,
                        format!(
                            "argument {} has length {}, which is inconsistent with previous argument length {expected}",
                            i + 2,
                            items.len()
                        ),
                    ))
                }
                _ => n = Some(items.len()),
            }
        }
    }
    // With no list arguments at all cty still formats once.
    let n = n.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Value> = rest
            .iter()
            .map(|v| match v {
                Value::List(items) => items.get(i).cloned().unwrap_or(Value::Null),
                other => other.clone(),
            })
            .collect();
        out.push(Value::String(format_string(name, &spec, &row)?));
    }
    Ok(Value::List(out))
}

// ---------------------------------------------------------------------------
// JSON and YAML.

/// Compact JSON with sorted keys and Go's HTML-safe escaping, byte for byte
/// what Terraform's `jsonencode` produces.
fn json_encode(v: &Value) -> String {
    // `Value::Map` is a BTreeMap, so keys come out sorted even with
    // serde_json's preserve_order.
    let s = v.to_json().to_string();
    // These characters only ever appear inside JSON strings, so replacing
    // them everywhere is safe.
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn yaml_scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(format_number(*n)),
        Value::String(s) => Some(yaml_quote(s)),
        Value::List(l) if l.is_empty() => Some("[]".into()),
        Value::Map(m) if m.is_empty() => Some("{}".into()),
        Value::Unknown(e) => Some(yaml_quote(&format!("${{{e}}}"))),
        _ => None,
    }
}

/// go-yaml's double-quoted style, which Terraform's `yamlencode` uses for
/// every string and key.
fn yaml_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Multi-line strings use literal block style (`|`), as cty's YAML encoder
/// does, unless a line has trailing spaces that the style cannot keep.
fn yaml_literal(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n')
        || s.split('\n').any(|l| l.ends_with(' ') || l.ends_with('\t'))
        || s.chars().any(|c| c.is_control() && c != '\n')
    {
        return None;
    }
    let chomp = if !s.ends_with('\n') {
        "-"
    } else if s.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let indicator = if s.starts_with(' ') { "2" } else { "" };
    let body = s.strip_suffix('\n').unwrap_or(s);
    let pad = " ".repeat(indent + 2);
    let mut out = format!("|{indicator}{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(out)
}

/// Emit `v` as a block whose lines start at `indent`, go-yaml style:
/// sequences inside mappings are not indented further, mappings are.
fn yaml_block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Map(m) if !m.is_empty() => {
            for (k, val) in m {
                out.push_str(&pad);
                out.push_str(&yaml_quote(k));
                out.push(':');
                yaml_value_after_marker(val, indent, true, out);
            }
        }
        Value::List(l) if !l.is_empty() => {
            for item in l {
                out.push_str(&pad);
                out.push('-');
                yaml_value_after_marker(item, indent, false, out);
            }
        }
        other => {
            if let Value::String(s) = other {
                if let Some(lit) = yaml_literal(s, indent.saturating_sub(2)) {
                    out.push_str(&pad);
                    out.push_str(&lit);
                    return;
                }
            }
            out.push_str(&pad);
            out.push_str(&yaml_scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

/// Write a value that follows `key:` (in_map) or `-` at `indent`.
fn yaml_value_after_marker(v: &Value, indent: usize, in_map: bool, out: &mut String) {
    if let Value::String(s) = v {
        if let Some(lit) = yaml_literal(s, indent) {
            out.push(' ');
            out.push_str(&lit);
            return;
        }
    }
    if let Some(scalar) = yaml_scalar(v) {
        out.push(' ');
        out.push_str(&scalar);
        out.push('\n');
        return;
    }
    match (v, in_map) {
        (Value::List(_), true) => {
            out.push('\n');
            yaml_block(v, indent, out);
        }
        (_, true) => {
            out.push('\n');
            yaml_block(v, indent + 2, out);
        }
        (_, false) => {
            // The first line of a nested block shares the dash's line.
            let mut nested = String::new();
            yaml_block(v, indent + 2, &mut nested);
            out.push(' ');
            out.push_str(nested.get(indent + 2..).unwrap_or(&nested));
        }
    }
}

fn yaml_to_value(name: &str, y: serde_yaml::Value) -> Result<Value, FnError> {
    Ok(match y {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => Value::Number(
            n.as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| invalid(name, format!("unsupported number {n}")))?,
        ),
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => Value::List(
            items
                .into_iter()
                .map(|v| yaml_to_value(name, v))
                .collect::<Result<_, _>>()?,
        ),
        serde_yaml::Value::Mapping(m) => {
            // Sorted once at the end (see `model::Map`'s `FromIterator`).
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let key = match yaml_to_value(name, k)? {
                    Value::Null => "null".to_string(),
                    k => to_string_conv(&k)
                        .map_err(|_| invalid(name, "mapping keys must be strings"))?,
                };
                out.push((key, yaml_to_value(name, v)?));
            }
            Value::Map(out.into_iter().collect())
        }
        serde_yaml::Value::Tagged(t) => yaml_to_value(name, t.value)?,
    })
}

// ---------------------------------------------------------------------------
// Networking. Addresses are held as u128 with the family's width so IPv4 and
// IPv6 share one implementation.

struct Cidr {
    v6: bool,
    /// The network address (host bits cleared).
    addr: u128,
    plen: u32,
}

impl Cidr {
    fn parse(name: &str, s: &str) -> Result<Cidr, FnError> {
        let net: ipnet::IpNet = s
            .parse()
            .map_err(|_| invalid(name, format!("invalid CIDR expression {s:?}")))?;
        let net = net.trunc();
        Ok(match net {
            ipnet::IpNet::V4(n) => Cidr {
                v6: false,
                addr: u32::from(n.addr()) as u128,
                plen: n.prefix_len() as u32,
            },
            ipnet::IpNet::V6(n) => Cidr {
                v6: true,
                addr: u128::from(n.addr()),
                plen: n.prefix_len() as u32,
            },
        })
    }

    fn width(&self) -> u32 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    fn format_addr(&self, addr: u128) -> String {
        if self.v6 {
            Ipv6Addr::from(addr).to_string()
        } else {
            Ipv4Addr::from((addr & u32::MAX as u128) as u32).to_string()
        }
    }
}

fn all_ones(width: u32) -> u128 {
    u128::MAX.checked_shr(128 - width.min(128)).unwrap_or(0)
}

fn host_mask(plen: u32, width: u32) -> u128 {
    all_ones(width.saturating_sub(plen))
}

fn net_mask(plen: u32, width: u32) -> u128 {
    all_ones(width) & !host_mask(plen, width)
}

fn cidrhost(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (prefix, host) = two_args(name, a)?;
    let c = Cidr::parse(name, &string(name, prefix)?)?;
    let host = int(name, host)?;
    let max = host_mask(c.plen, c.width());
    let too_big = || {
        invalid(
            name,
            format!(
                "prefix of {} does not accommodate a host numbered {host}",
                c.plen
            ),
        )
    };
    // Negative host numbers count back from the end, -1 being the last.
    let offset = if host >= 0 {
        host as u128
    } else {
        let back = host.unsigned_abs() as u128 - 1;
        max.checked_sub(back).ok_or_else(too_big)?
    };
    if offset > max {
        return Err(too_big());
    }
    Ok(Value::String(c.format_addr(c.addr | offset)))
}

fn cidrsubnet(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (prefix, newbits, netnum) = three_args(name, a)?;
    let c = Cidr::parse(name, &string(name, prefix)?)?;
    let (newbits, netnum) = (int(name, newbits)?, int(name, netnum)?);
    if newbits < 0 {
        return Err(invalid(name, "newbits must not be negative"));
    }
    if netnum < 0 {
        return Err(invalid(name, "netnum must not be negative"));
    }
    let new_plen = c.plen as i64 + newbits;
    if new_plen > c.width() as i64 {
        return Err(invalid(
            name,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                c.plen
            ),
        ));
    }
    let netnum = netnum as u128;
    if netnum > all_ones(newbits as u32) {
        return Err(invalid(
            name,
            format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            ),
        ));
    }
    let shift = c.width() - new_plen as u32;
    let addr = c.addr | netnum.checked_shl(shift).unwrap_or(0);
    Ok(Value::String(format!("{}/{new_plen}", c.format_addr(addr))))
}

/// Consecutive subnets of the given sizes, following go-cidr's
/// PreviousSubnet/NextSubnet walk so alignment gaps match Terraform.
fn cidrsubnets(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let (prefix, sizes) = a
        .split_first()
        .ok_or_else(|| arity_error(name, "at least 1 argument", 0))?;
    let c = Cidr::parse(name, &string(name, prefix)?)?;
    let width = c.width();
    let ones = all_ones(width);
    let mut last = c.addr.wrapping_sub(1) & ones;
    let mut out = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let bits = int(name, size)?;
        if bits < 1 {
            return Err(invalid(
                name,
                format!("argument {}: must extend prefix by at least one bit", i + 2),
            ));
        }
        let plen = c.plen as i64 + bits;
        if plen > width as i64 {
            return Err(invalid(
                name,
                format!("argument {}: would extend prefix to {plen} bits, which is too long for an IPv{} address", i + 2, if c.v6 { 6 } else { 4 }),
            ));
        }
        let plen = plen as u32;
        let mask = net_mask(plen, width);
        let next = (((last & mask) | host_mask(plen, width)).wrapping_add(1)) & ones;
        let next = next & mask;
        // A wrap to address zero means the previous subnet was the last one
        // (the first subnet of 0.0.0.0/n legitimately starts at zero).
        let rolled_over = next == 0 && !(i == 0 && c.addr == 0);
        if rolled_over || next & net_mask(c.plen, width) != c.addr {
            return Err(invalid(
                name,
                format!("not enough remaining address space for a subnet with a prefix of {plen} bits after {}", out.last().and_then(Value::as_str).unwrap_or(&c.format_addr(c.addr))),
            ));
        }
        last = next | host_mask(plen, width);
        out.push(Value::String(format!("{}/{plen}", c.format_addr(next))));
    }
    Ok(Value::List(out))
}

// ---------------------------------------------------------------------------
// Paths (Go's path/filepath on Unix).

fn basename(s: &str) -> String {
    if s.is_empty() {
        return ".".into();
    }
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

fn dirname(s: &str) -> String {
    let dir = match s.rfind('/') {
        Some(i) => &s[..=i],
        None => "",
    };
    clean_path(dir)
}

/// Go's `filepath.Clean`.
fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }
    fn n(x: f64) -> Value {
        Value::Number(x)
    }
    fn l(items: Vec<Value>) -> Value {
        Value::List(items)
    }
    fn ls(items: &[&str]) -> Value {
        Value::List(items.iter().map(|x| s(x)).collect())
    }
    fn ln(items: &[f64]) -> Value {
        Value::List(items.iter().map(|x| n(*x)).collect())
    }
    fn m(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn u(x: &str) -> Value {
        Value::Unknown(x.into())
    }
    fn ok(name: &str, args: Vec<Value>) -> Value {
        match call(name, args) {
            Ok(v) => v,
            Err(e) => panic!("{name} failed: {e}"),
        }
    }
    fn err(name: &str, args: Vec<Value>) -> String {
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
        for f in EVALUATOR_FUNCTIONS
            .iter()
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
    fn format() {
        assert_eq!(
            ok("format", vec![s("Hello, %s!"), s("Ander")]),
            s("Hello, Ander!")
        );
        assert_eq!(
            ok("format", vec![s("There are %d lights"), n(4.0)]),
            s("There are 4 lights")
        );
        assert_eq!(ok("format", vec![s("%.2f"), n(1.23856)]), s("1.24"));
        assert_eq!(ok("format", vec![s("%f"), n(3.5)]), s("3.500000"));
        assert_eq!(
            ok(
                "format",
                vec![s("%5d|%-5d|%05d"), n(12.0), n(12.0), n(-12.0)]
            ),
            s("   12|12   |-0012")
        );
        assert_eq!(ok("format", vec![s("%q"), s("a\"b")]), s("\"a\\\"b\""));
        assert_eq!(
            ok(
                "format",
                vec![s("%v %v %v"), s("x"), n(1.5), Value::Bool(true)]
            ),
            s("x 1.5 true")
        );
        assert_eq!(ok("format", vec![s("%v"), ls(&["a"])]), s("[\"a\"]"));
        assert_eq!(ok("format", vec![s("%#v"), s("a")]), s("\"a\""));
        assert_eq!(ok("format", vec![s("%t"), Value::Bool(false)]), s("false"));
        assert_eq!(ok("format", vec![s("100%%")]), s("100%"));
        // Text around verbs is copied as it is, multi-byte characters too.
        assert_eq!(
            ok("format", vec![s("→ %s ✓ %05.1f é"), s("ü"), n(2.71)]),
            s("→ ü ✓ 002.7 é")
        );
        assert!(err("format", vec![s("50%é"), s("x")]).contains("%é"));
        assert_eq!(
            ok(
                "format",
                vec![s("%x %X %o %b"), n(255.0), n(255.0), n(8.0), n(5.0)]
            ),
            s("ff FF 10 101")
        );
        assert_eq!(ok("format", vec![s("%e"), n(1234.5678)]), s("1.234568e+03"));
        assert_eq!(
            ok("format", vec![s("%g %g %g"), n(1e6), n(123456.0), n(0.5)]),
            s("1e+06 123456 0.5")
        );
        assert_eq!(ok("format", vec![s("%+d"), n(3.0)]), s("+3"));
        assert_eq!(ok("format", vec![s("%d"), s("7")]), s("7"));
        assert_eq!(ok("format", vec![s("%s"), n(7.0)]), s("7"));
        assert_eq!(
            ok("format", vec![s("%[2]s %[1]s"), s("a"), s("b")]),
            s("b a")
        );
        assert_eq!(ok("format", vec![s("%8.3s|"), s("abcdef")]), s("     abc|"));
        assert!(err("format", vec![s("%d"), n(1.5)]).contains("integer"));
        assert!(err("format", vec![s("%s")]).contains("not enough arguments"));
        assert!(err("format", vec![s("x"), s("y")]).contains("too many arguments"));
        assert_eq!(
            call("format", vec![s("%v"), l(vec![u("x")])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn formatlist() {
        assert_eq!(
            ok(
                "formatlist",
                vec![
                    s("Hello, %s!"),
                    ls(&["Valentina", "Ander", "Olivia", "Sam"])
                ]
            ),
            ls(&[
                "Hello, Valentina!",
                "Hello, Ander!",
                "Hello, Olivia!",
                "Hello, Sam!"
            ])
        );
        assert_eq!(
            ok(
                "formatlist",
                vec![s("%s, %s!"), s("Salutations"), ls(&["Valentina", "Ander"])]
            ),
            ls(&["Salutations, Valentina!", "Salutations, Ander!"])
        );
        assert!(
            err("formatlist", vec![s("%s%s"), ls(&["a"]), ls(&["b", "c"])])
                .contains("inconsistent")
        );
    }

    #[test]
    fn join() {
        assert_eq!(
            ok("join", vec![s(", "), ls(&["foo", "bar", "baz"])]),
            s("foo, bar, baz")
        );
        assert_eq!(ok("join", vec![s(", "), ls(&["foo"])]), s("foo"));
        assert_eq!(
            call("join", vec![s(","), l(vec![u("a")])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn split() {
        assert_eq!(ok("split", vec![s(","), s("foo")]), ls(&["foo"]));
        assert_eq!(
            ok("split", vec![s(","), s("foo,bar,baz")]),
            ls(&["foo", "bar", "baz"])
        );
        assert_eq!(ok("split", vec![s(","), s("")]), ls(&[""]));
        assert_eq!(ok("split", vec![s(""), s("ab")]), ls(&["a", "b"]));
    }

    #[test]
    fn length() {
        assert_eq!(ok("length", vec![l(vec![])]), n(0.0));
        assert_eq!(ok("length", vec![ls(&["a", "b"])]), n(2.0));
        assert_eq!(ok("length", vec![m(&[("a", s("b"))])]), n(1.0));
        assert_eq!(ok("length", vec![s("hello")]), n(5.0));
        assert_eq!(ok("length", vec![s("👾🕹️")]), n(3.0)); // grapheme clusters would give 2
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
    }

    #[test]
    fn keys_and_values() {
        let map = m(&[("c", n(3.0)), ("a", n(1.0)), ("b", n(2.0))]);
        assert_eq!(ok("keys", vec![map.clone()]), ls(&["a", "b", "c"]));
        assert_eq!(ok("values", vec![map]), ln(&[1.0, 2.0, 3.0]));
        assert_eq!(ok("keys", vec![m(&[("k", u("x"))])]), ls(&["k"]));
    }

    #[test]
    fn case_functions() {
        assert_eq!(ok("lower", vec![s("HELLO")]), s("hello"));
        assert_eq!(ok("lower", vec![s("АЛЛО!")]), s("алло!"));
        assert_eq!(ok("upper", vec![s("hello")]), s("HELLO"));
        assert_eq!(ok("upper", vec![s("алло!")]), s("АЛЛО!"));
        assert_eq!(ok("title", vec![s("hello world")]), s("Hello World"));
        assert_eq!(ok("title", vec![s("foo-bar_baz")]), s("Foo-Bar_baz"));
    }

    #[test]
    fn replace() {
        assert_eq!(
            ok("replace", vec![s("1 + 2 + 3"), s("+"), s("-")]),
            s("1 - 2 - 3")
        );
        assert_eq!(
            ok(
                "replace",
                vec![s("hello world"), s("/w.*d/"), s("everybody")]
            ),
            s("hello everybody")
        );
        assert_eq!(
            ok("replace", vec![s("hello world"), s("/(h)(e)/"), s("$2$1")]),
            s("ehllo world")
        );
        assert!(
            err("replace", vec![s("x"), s("/(/"), s("")]).contains("invalid regular expression")
        );
    }

    #[test]
    fn substr() {
        assert_eq!(
            ok("substr", vec![s("hello world"), n(1.0), n(4.0)]),
            s("ello")
        );
        assert_eq!(ok("substr", vec![s("🤔🤷"), n(0.0), n(1.0)]), s("🤔"));
        assert_eq!(
            ok("substr", vec![s("hello world"), n(-5.0), n(-1.0)]),
            s("world")
        );
        assert_eq!(
            ok("substr", vec![s("hello world"), n(6.0), n(10.0)]),
            s("world")
        );
        assert_eq!(ok("substr", vec![s("hello"), n(10.0), n(2.0)]), s(""));
        assert_eq!(ok("substr", vec![s("hello"), n(-10.0), n(2.0)]), s("he"));
    }

    #[test]
    fn trims() {
        assert_eq!(ok("trim", vec![s("?!hello?!"), s("!?")]), s("hello"));
        assert_eq!(ok("trim", vec![s("foobar"), s("far")]), s("oob"));
        assert_eq!(
            ok("trim", vec![s("   hello! world.!  "), s("! ")]),
            s("hello! world.")
        );
        assert_eq!(ok("trimspace", vec![s("  hello\n\n")]), s("hello"));
        assert_eq!(
            ok("trimprefix", vec![s("helloworld"), s("hello")]),
            s("world")
        );
        assert_eq!(
            ok("trimprefix", vec![s("helloworld"), s("cat")]),
            s("helloworld")
        );
        assert_eq!(
            ok("trimsuffix", vec![s("helloworld"), s("world")]),
            s("hello")
        );
        assert_eq!(ok("chomp", vec![s("hello\n")]), s("hello"));
        assert_eq!(ok("chomp", vec![s("hello\r\n")]), s("hello"));
        assert_eq!(ok("chomp", vec![s("hello\n\n")]), s("hello"));
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
    fn jsonencode() {
        assert_eq!(
            ok("jsonencode", vec![m(&[("hello", s("world"))])]),
            s(r#"{"hello":"world"}"#)
        );
        assert_eq!(
            ok(
                "jsonencode",
                vec![m(&[
                    ("b", ln(&[1.0, 2.5])),
                    ("a", Value::Null),
                    ("c", Value::Bool(true))
                ])]
            ),
            s(r#"{"a":null,"b":[1,2.5],"c":true}"#)
        );
        assert_eq!(
            ok("jsonencode", vec![s("<a&b>")]),
            s(r#""\u003ca\u0026b\u003e""#)
        );
        assert_eq!(
            call("jsonencode", vec![l(vec![u("x")])]),
            Err(FnError::Unknown)
        );
    }

    #[test]
    fn jsondecode() {
        assert_eq!(
            ok("jsondecode", vec![s(r#"{"hello": "world"}"#)]),
            m(&[("hello", s("world"))])
        );
        assert_eq!(ok("jsondecode", vec![s("true")]), Value::Bool(true));
        assert_eq!(
            ok("jsondecode", vec![s("[1, null]")]),
            l(vec![n(1.0), Value::Null])
        );
        assert!(matches!(
            call("jsondecode", vec![s("{")]),
            Err(FnError::Invalid { .. })
        ));
    }

    #[test]
    fn yamlencode() {
        assert_eq!(
            ok("yamlencode", vec![m(&[("a", s("b")), ("c", s("d"))])]),
            s("\"a\": \"b\"\n\"c\": \"d\"\n")
        );
        assert_eq!(
            ok(
                "yamlencode",
                vec![m(&[("foo", ln(&[1.0, 2.0, 3.0])), ("bar", s("baz"))])]
            ),
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n")
        );
        assert_eq!(
            ok(
                "yamlencode",
                vec![m(&[
                    (
                        "foo",
                        l(vec![n(1.0), m(&[("a", s("b")), ("c", s("d"))]), n(3.0)])
                    ),
                    ("bar", s("baz"))
                ])]
            ),
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n")
        );
        assert_eq!(
            ok(
                "yamlencode",
                vec![m(&[
                    ("x", m(&[("y", l(vec![ln(&[1.0, 2.0])]))])),
                    ("e", l(vec![]))
                ])]
            ),
            s("\"e\": []\n\"x\":\n  \"y\":\n  - - 1\n    - 2\n")
        );
        assert_eq!(
            ok("yamlencode", vec![m(&[("t", s("a\nb"))])]),
            s("\"t\": |-\n  a\n  b\n")
        );
        // Whatever we emit must read back as the same value.
        let v = m(&[
            (
                "k",
                l(vec![
                    m(&[("a", s("x\ny\n")), ("b", Value::Null)]),
                    ls(&["q\"", "tab\t"]),
                ]),
            ),
            ("n", n(2.5)),
        ]);
        let yaml = ok("yamlencode", vec![v.clone()]);
        assert_eq!(ok("yamldecode", vec![yaml]), v);
    }

    #[test]
    fn yamldecode() {
        assert_eq!(
            ok("yamldecode", vec![s("hello: world")]),
            m(&[("hello", s("world"))])
        );
        assert_eq!(ok("yamldecode", vec![s("true")]), Value::Bool(true));
        assert_eq!(
            ok("yamldecode", vec![s("{a: &foo [1, 2, 3], b: *foo}")]),
            m(&[("a", ln(&[1.0, 2.0, 3.0])), ("b", ln(&[1.0, 2.0, 3.0]))])
        );
        assert_eq!(
            ok("yamldecode", vec![s("{a: [1, 2, 3], b: 4}")]),
            m(&[("a", ln(&[1.0, 2.0, 3.0])), ("b", n(4.0))])
        );
        assert!(matches!(
            call("yamldecode", vec![s("a: [")]),
            Err(FnError::Invalid { .. })
        ));
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
    fn min_max_sum() {
        assert_eq!(ok("min", vec![n(12.0), n(54.0), n(3.0)]), n(3.0));
        assert_eq!(ok("max", vec![n(12.0), n(54.0), n(3.0)]), n(54.0));
        assert_eq!(ok("max", vec![s("7"), n(2.0)]), n(7.0));
        assert_eq!(ok("sum", vec![ln(&[10.0, 13.0, 6.0, 4.5])]), n(33.5));
        assert!(err("sum", vec![l(vec![])]).contains("empty"));
        assert!(err("min", vec![]).contains("at least 1"));
    }

    #[test]
    fn math() {
        assert_eq!(ok("abs", vec![n(-12.4)]), n(12.4));
        assert_eq!(ok("abs", vec![n(0.0)]), n(0.0));
        assert_eq!(ok("ceil", vec![n(4.1)]), n(5.0));
        assert_eq!(ok("ceil", vec![n(5.0)]), n(5.0));
        assert_eq!(ok("floor", vec![n(4.9)]), n(4.0));
        assert_eq!(ok("floor", vec![n(5.0)]), n(5.0));
        assert_eq!(ok("log", vec![n(50.0), n(10.0)]), n(1.6989700043360185));
        assert_eq!(ok("log", vec![n(16.0), n(2.0)]), n(4.0));
        assert_eq!(ok("pow", vec![n(3.0), n(2.0)]), n(9.0));
        assert_eq!(ok("pow", vec![n(4.0), n(0.0)]), n(1.0));
        assert_eq!(ok("signum", vec![n(-13.0)]), n(-1.0));
        assert_eq!(ok("signum", vec![n(0.0)]), n(0.0));
        assert_eq!(ok("signum", vec![n(344.0)]), n(1.0));
        assert!(err("pow", vec![n(10.0), n(400.0)]).contains("finite"));
    }

    #[test]
    fn parseint() {
        assert_eq!(ok("parseint", vec![s("100"), n(10.0)]), n(100.0));
        assert_eq!(ok("parseint", vec![s("FF"), n(16.0)]), n(255.0));
        assert_eq!(ok("parseint", vec![s("-10"), n(16.0)]), n(-16.0));
        assert_eq!(
            ok("parseint", vec![s("1011111011101111"), n(2.0)]),
            n(48879.0)
        );
        assert_eq!(ok("parseint", vec![s("aA"), n(62.0)]), n(656.0));
        assert!(err("parseint", vec![s("12"), n(2.0)]).contains("cannot parse"));
        assert!(err("parseint", vec![s("1"), n(1.0)]).contains("base"));
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
    fn string_predicates() {
        assert_eq!(
            ok("startswith", vec![s("hello world"), s("hello")]),
            Value::Bool(true)
        );
        assert_eq!(
            ok("startswith", vec![s("hello world"), s("world")]),
            Value::Bool(false)
        );
        assert_eq!(
            ok("endswith", vec![s("hello world"), s("world")]),
            Value::Bool(true)
        );
        assert_eq!(
            ok("endswith", vec![s("hello world"), s("hello")]),
            Value::Bool(false)
        );
        assert_eq!(
            ok("strcontains", vec![s("hello world"), s("wor")]),
            Value::Bool(true)
        );
        assert_eq!(
            ok("strcontains", vec![s("hello world"), s("wod")]),
            Value::Bool(false)
        );
    }

    #[test]
    fn strrev_and_indent() {
        assert_eq!(ok("strrev", vec![s("hello")]), s("olleh"));
        assert_eq!(ok("strrev", vec![s("a ☃")]), s("☃ a"));
        assert_eq!(
            ok("indent", vec![n(2.0), s("[\n  foo,\n  bar,\n]\n")]),
            s("[\n    foo,\n    bar,\n  ]\n  ")
        );
    }

    #[test]
    fn regex() {
        assert_eq!(
            ok(
                "regex",
                vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")]
            ),
            s("aaabbbccc")
        );
        assert_eq!(
            ok(
                "regex",
                vec![s(r"(\d\d\d\d)-(\d\d)-(\d\d)"), s("2019-02-01")]
            ),
            ls(&["2019", "02", "01"])
        );
        assert_eq!(
            ok(
                "regex",
                vec![
                    s(r"^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                    s("https://terraform.io/docs/")
                ]
            ),
            m(&[("authority", s("terraform.io")), ("scheme", s("https"))])
        );
        assert_eq!(
            ok("regex", vec![s("(a)|(b)"), s("b")]),
            l(vec![Value::Null, s("b")])
        );
        assert!(err("regex", vec![s("[a-z]+"), s("53453453")]).contains("did not match"));
        assert!(err("regex", vec![s("(?P<x>a)(b)"), s("ab")]).contains("cannot mix"));
    }

    #[test]
    fn regexall() {
        assert_eq!(
            ok("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")]),
            ls(&["abcd", "efgh"])
        );
        assert_eq!(
            ok(
                "length",
                vec![ok("regexall", vec![s("[a-z]+"), s("123456789")])]
            ),
            n(0.0)
        );
        assert_eq!(
            ok("regexall", vec![s(r"(\w)=(\d)"), s("a=1 b=2")]),
            l(vec![ls(&["a", "1"]), ls(&["b", "2"])])
        );
    }

    #[test]
    fn cidrsubnet() {
        assert_eq!(
            ok("cidrsubnet", vec![s("172.16.0.0/12"), n(4.0), n(2.0)]),
            s("172.18.0.0/16")
        );
        assert_eq!(
            ok("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(15.0)]),
            s("10.1.2.240/28")
        );
        assert_eq!(
            ok(
                "cidrsubnet",
                vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)]
            ),
            s("fd00:fd12:3456:7800:a200::/72")
        );
        assert!(err("cidrsubnet", vec![s("10.0.0.0/24"), n(4.0), n(16.0)])
            .contains("does not accommodate"));
        assert!(err("cidrsubnet", vec![s("10.0.0.0/24"), n(9.0), n(0.0)]).contains("insufficient"));
        assert!(err("cidrsubnet", vec![s("nope"), n(1.0), n(0.0)]).contains("invalid CIDR"));
    }

    #[test]
    fn cidrsubnets() {
        assert_eq!(
            ok(
                "cidrsubnets",
                vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
            ),
            ls(&[
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ])
        );
        assert_eq!(
            ok(
                "cidrsubnets",
                vec![
                    s("fd00:fd12:3456:7890::/56"),
                    n(16.0),
                    n(16.0),
                    n(16.0),
                    n(32.0)
                ]
            ),
            ls(&[
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88"
            ])
        );
        assert!(err(
            "cidrsubnets",
            vec![s("10.0.0.0/30"), n(1.0), n(1.0), n(1.0)]
        )
        .contains("not enough"));
    }

    #[test]
    fn cidrhost() {
        assert_eq!(
            ok("cidrhost", vec![s("10.12.112.0/20"), n(16.0)]),
            s("10.12.112.16")
        );
        assert_eq!(
            ok("cidrhost", vec![s("10.12.112.0/20"), n(268.0)]),
            s("10.12.113.12")
        );
        assert_eq!(
            ok(
                "cidrhost",
                vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)]
            ),
            s("fd00:fd12:3456:7890::22")
        );
        assert_eq!(
            ok("cidrhost", vec![s("10.0.0.0/24"), n(-1.0)]),
            s("10.0.0.255")
        );
        assert!(err("cidrhost", vec![s("10.0.0.0/24"), n(256.0)]).contains("does not accommodate"));
        assert!(err("cidrhost", vec![s("10.0.0.0/24"), n(-257.0)]).contains("does not accommodate"));
    }

    #[test]
    fn cidrnetmask() {
        assert_eq!(
            ok("cidrnetmask", vec![s("172.16.0.0/12")]),
            s("255.240.0.0")
        );
        assert_eq!(ok("cidrnetmask", vec![s("0.0.0.0/0")]), s("0.0.0.0"));
        assert!(err("cidrnetmask", vec![s("fd00::/8")]).contains("IPv4"));
    }

    #[test]
    fn base64() {
        assert_eq!(
            ok("base64encode", vec![s("Hello World")]),
            s("SGVsbG8gV29ybGQ=")
        );
        assert_eq!(
            ok("base64decode", vec![s("SGVsbG8gV29ybGQ=")]),
            s("Hello World")
        );
        assert!(err("base64decode", vec![s("/w==")]).contains("UTF-8"));
        assert!(err("base64decode", vec![s("!!")]).contains("base64"));
    }

    #[test]
    fn hashes() {
        assert_eq!(
            ok("md5", vec![s("hello world")]),
            s("5eb63bbbe01eeed093cb22bb8f5acdc3")
        );
        assert_eq!(
            ok("sha1", vec![s("hello world")]),
            s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")
        );
        assert_eq!(
            ok("sha256", vec![s("hello world")]),
            s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
        );
        assert_eq!(
            ok("sha512", vec![s("hello world")]),
            s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")
        );
        assert_eq!(
            ok("base64sha256", vec![s("hello world")]),
            s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
        );
    }

    #[test]
    fn nondeterministic_functions_are_unknown() {
        assert_eq!(call("uuid", vec![]), Err(FnError::Unknown));
        assert_eq!(call("timestamp", vec![]), Err(FnError::Unknown));
        assert_eq!(call("bcrypt", vec![s("x")]), Err(FnError::Unknown));
    }

    #[test]
    fn uuidv5() {
        assert_eq!(
            ok("uuidv5", vec![s("dns"), s("www.terraform.io")]),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        assert_eq!(
            ok("uuidv5", vec![s("url"), s("https://www.terraform.io/")]),
            s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5")
        );
        assert_eq!(
            ok(
                "uuidv5",
                vec![
                    s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                    s("www.terraform.io")
                ]
            ),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        assert!(err("uuidv5", vec![s("nope"), s("x")]).contains("namespace"));
    }

    #[test]
    fn unevaluated_functions_are_known_but_unknown() {
        assert!(is_known_function("formatdate"));
        assert_eq!(
            call("formatdate", vec![s("YYYY"), s("2020-01-01T00:00:00Z")]),
            Err(FnError::Unknown)
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
    fn urlencode() {
        assert_eq!(
            ok("urlencode", vec![s("Hello World!")]),
            s("Hello+World%21")
        );
        assert_eq!(ok("urlencode", vec![s("☃")]), s("%E2%98%83"));
        assert_eq!(
            ok("urlencode", vec![s("foo:bar@localhost?foo=bar&bar=baz")]),
            s("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz")
        );
    }

    #[test]
    fn sensitive_is_identity() {
        assert_eq!(ok("sensitive", vec![s("x")]), s("x"));
        assert_eq!(ok("nonsensitive", vec![s("x")]), s("x"));
    }

    #[test]
    fn paths() {
        assert_eq!(ok("basename", vec![s("foo/bar/baz.txt")]), s("baz.txt"));
        assert_eq!(ok("dirname", vec![s("foo/bar/baz.txt")]), s("foo/bar"));
        assert_eq!(ok("dirname", vec![s("baz.txt")]), s("."));
        assert_eq!(ok("dirname", vec![s("/x")]), s("/"));
        assert_eq!(ok("pathexpand", vec![s("/etc/x")]), s("/etc/x"));
        assert_eq!(call("pathexpand", vec![s("~/.ssh")]), Err(FnError::Unknown));
    }

    #[test]
    fn evaluator_functions_are_not_called_here() {
        assert!(matches!(call("try", vec![]), Err(FnError::Invalid { .. })));
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
