//! `format` and `formatlist`: Go's `fmt` verbs as cty implements them, kept
//! apart from the other string functions because matching Go's padding,
//! exponent and `%g` rules byte for byte is a subject of its own.

use super::encoding::json_encode;
use super::{arity_error, at_least, boolean, invalid, num, string, FnError};
use crate::model::value::format_number;
use crate::model::Value;

/// `format(spec, args...)`. An argument that is null itself (not inside a
/// collection) makes the result null, as in Terraform, where the literal
/// `null` and a null of no type (a local, an untyped variable) are of
/// cty's dynamic type and the call is not made (`(known after apply)` in
/// a plan, null once applied). A null of a type (`tostring(null)`, which
/// the evaluator passes as a [`Value::Typed`] null) is formatted: "null"
/// by `%v`, an error by the other verbs.
pub(super) fn format(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let (spec, rest) = a
        .split_first()
        .ok_or_else(|| arity_error(name, "at least 1 argument", 0))?;
    let spec = string(name, spec)?;
    if rest.iter().any(|v| matches!(v, Value::Null)) {
        return Ok(Value::Null);
    }
    format_string(name, &spec, rest).map(Value::String)
}

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
            // `%v` prints a negative zero as Terraform's big.Float does: `-0`.
            Value::Number(x) if !flags.sharp && *x == 0.0 && x.is_sign_negative() => {
                Ok(("-".into(), "0".into(), true))
            }
            Value::Number(x) if !flags.sharp => Ok((sign_of(*x), format_number(x.abs()), true)),
            Value::BigNumber(b) if !flags.sharp => Ok((
                sign_of(if b.is_negative() { -1.0 } else { 1.0 }),
                b.clone().abs().text(),
                true,
            )),
            Value::String(s) if !flags.sharp => Ok((String::new(), s.clone(), false)),
            Value::Bool(b) => Ok((String::new(), b.to_string(), false)),
            v if v.is_null() => Ok((String::new(), "null".into(), false)),
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
        // An integer past 2^53 in decimal: its exact digits.
        'd' if matches!(arg, Value::BigNumber(b) if b.is_integer()) => {
            let (neg, digits) = match arg {
                Value::BigNumber(b) => (b.is_negative(), b.clone().abs().to_integer_text()),
                _ => (false, None),
            };
            let digits = digits.unwrap_or_default();
            Ok((sign_of(if neg { -1.0 } else { 1.0 }), digits, true))
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

/// `formatlist(spec, args...)`; a null argument makes the result null, as
/// in [`format`] (a null element of a list argument is formatted "null").
pub(super) fn formatlist(name: &str, a: &[Value]) -> Result<Value, FnError> {
    at_least(name, a, 1)?;
    let (spec, rest) = a
        .split_first()
        .ok_or_else(|| arity_error(name, "at least 1 argument", 0))?;
    let spec = string(name, spec)?;
    if rest.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
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

#[cfg(test)]
mod tests {
    use super::super::tests::{err, l, ls, n, ok, s, u};
    use super::super::{call, FnError};
    use crate::model::Value;

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
        // A null argument (Terraform: of no type) makes the result null;
        // a null inside a collection is formatted.
        assert_eq!(ok("format", vec![s("%v"), Value::Null]), Value::Null);
        assert_eq!(
            ok("format", vec![s("%s-%v"), s("a"), Value::Null]),
            Value::Null
        );
        assert_eq!(
            ok("format", vec![s("%v"), l(vec![Value::Null])]),
            s("[null]")
        );
        assert_eq!(ok("formatlist", vec![s("%v"), Value::Null]), Value::Null);
        assert_eq!(
            ok("formatlist", vec![s("%v"), l(vec![Value::Null, s("a")])]),
            l(vec![s("null"), s("a")])
        );
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
}
