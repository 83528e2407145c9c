//! Terraform's string functions (`join`, `split`, `replace`, `regex`,
//! `substr`, ...). `format` and `formatlist` have a file of their own
//! because reproducing Go's formatting verbs is a subject by itself.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization as _};
use unicode_segmentation::UnicodeSegmentation as _;

use super::{arity_error, at_least, int, invalid, list, string, three_args, two_args, FnError};
use crate::model::Value;

/// A string in Unicode normalization form C, as cty makes every string
/// value (`cty.StringVal`): `"e\u0301"` is `"é"`. ASCII text, and text
/// the quick check finds already normalized, is returned as it is.
pub fn nfc(s: String) -> String {
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s
    } else {
        s.nfc().collect()
    }
}

/// The number of grapheme clusters, what Terraform's `length` counts.
pub(super) fn grapheme_count(s: &str) -> usize {
    if s.is_ascii() && !s.contains('\r') {
        s.len()
    } else {
        s.graphemes(true).count()
    }
}

/// Go's `strings.ToUpper`, which Terraform's `upper` is: each character
/// mapped alone by its simple case mapping, so `ß` and `ﬁ` stay (Rust's
/// `to_uppercase` applies the full mapping: "SS", "FI").
pub(super) fn upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars().map(upper_char).collect()
}

/// Go's `strings.ToLower`: each character alone, so no final-sigma rule
/// (`ΣΑΣ` is `σασ`, Rust's `to_lowercase` gives `σας`).
pub(super) fn lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(lower_char).collect()
}

fn upper_char(c: char) -> char {
    let mut full = c.to_uppercase();
    match (full.next(), full.next()) {
        (Some(u), None) => u,
        // A full mapping of more than one character (SpecialCasing.txt);
        // the simple mapping of UnicodeData.txt is the character itself,
        // except for these Greek letters with ypogegrammeni, whose simple
        // uppercase is the titlecase letter 8 (or 9) code points on.
        _ => match c {
            '\u{1F80}'..='\u{1F87}' | '\u{1F90}'..='\u{1F97}' | '\u{1FA0}'..='\u{1FA7}' => {
                char::from_u32(c as u32 + 8).unwrap_or(c)
            }
            '\u{1FB3}' | '\u{1FC3}' | '\u{1FF3}' => char::from_u32(c as u32 + 9).unwrap_or(c),
            _ => c,
        },
    }
}

fn lower_char(c: char) -> char {
    let mut full = c.to_lowercase();
    match (full.next(), full.next()) {
        (Some(l), None) => l,
        // `İ` (U+0130) is the one character whose full lowercase is two
        // ("i̇"); its simple lowercase is `i`.
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// `strrev`: grapheme clusters in reverse order, so a combining accent
/// stays on its letter.
pub(super) fn strrev(s: &str) -> String {
    if s.is_ascii() && !s.contains('\r') {
        return s.chars().rev().collect();
    }
    s.graphemes(true).rev().collect()
}

pub(super) fn join(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

pub(super) fn split(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (sep, s) = two_args(name, a)?;
    let (sep, s) = (string(name, sep)?, string(name, s)?);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::str).collect()
    };
    Ok(Value::List(parts))
}

pub(super) fn trim(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, cut) = two_args(name, a)?;
    let (s, cut) = (string(name, s)?, string(name, cut)?);
    Ok(Value::String(
        s.trim_matches(|c| cut.contains(c)).to_string(),
    ))
}

pub(super) fn trimprefix(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, p) = two_args(name, a)?;
    let (s, p) = (string(name, s)?, string(name, p)?);
    Ok(Value::String(
        s.strip_prefix(p.as_str()).unwrap_or(&s).to_string(),
    ))
}

pub(super) fn trimsuffix(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, p) = two_args(name, a)?;
    let (s, p) = (string(name, s)?, string(name, p)?);
    Ok(Value::String(
        s.strip_suffix(p.as_str()).unwrap_or(&s).to_string(),
    ))
}

pub(super) fn indent(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (n, s) = two_args(name, a)?;
    let n = int(name, n)?;
    if !(0..=10_000).contains(&n) {
        return Err(invalid(name, format!("indentation {n} out of range")));
    }
    let s = string(name, s)?;
    let pad = " ".repeat(n as usize);
    Ok(Value::String(s.replace('\n', &format!("\n{pad}"))))
}

pub(super) fn regex(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (pattern, s) = two_args(name, a)?;
    let re = compile_regex(name, &string(name, pattern)?)?;
    let s = string(name, s)?;
    let caps = re
        .captures(&s)
        .ok_or_else(|| invalid(name, "pattern did not match any part of the given string"))?;
    regex_result(name, &re, &caps)
}

pub(super) fn regexall(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (pattern, s) = two_args(name, a)?;
    let re = compile_regex(name, &string(name, pattern)?)?;
    let s = string(name, s)?;
    let out = re
        .captures_iter(&s)
        .map(|caps| regex_result(name, &re, &caps))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::List(out))
}

/// Go's `strings.Title`: upper-case the first letter of every word.
pub(super) fn title(s: &str) -> String {
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

pub(super) fn replace(name: &str, a: &[Value]) -> Result<Value, FnError> {
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

pub(super) fn substr(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let (s, offset, len) = three_args(name, a)?;
    let s = string(name, s)?;
    let (offset, len) = (int(name, offset)?, int(name, len)?);
    // Grapheme clusters, as Terraform counts (an emoji with modifiers is
    // one).
    let chars: Vec<&str> = s.graphemes(true).collect();
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
            .map(|c| c.concat())
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

#[cfg(test)]
mod tests {
    use super::super::tests::{err, l, ls, m, n, ok, s, u};
    use super::super::{call, FnError};
    use crate::model::Value;

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
    fn case_functions() {
        assert_eq!(ok("lower", vec![s("HELLO")]), s("hello"));
        assert_eq!(ok("lower", vec![s("АЛЛО!")]), s("алло!"));
        assert_eq!(ok("upper", vec![s("hello")]), s("HELLO"));
        assert_eq!(ok("upper", vec![s("алло!")]), s("АЛЛО!"));
        // Each character alone, by its simple case mapping (Go's
        // strings.ToUpper / ToLower).
        assert_eq!(ok("upper", vec![s("straße")]), s("STRAßE"));
        assert_eq!(ok("upper", vec![s("ﬁ")]), s("ﬁ"));
        assert_eq!(
            ok("upper", vec![s("\u{1FB3}\u{1F80}")]),
            s("\u{1FBC}\u{1F88}")
        );
        assert_eq!(ok("lower", vec![s("ΣΑΣ")]), s("σασ"));
        assert_eq!(ok("lower", vec![s("İ")]), s("i"));
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
        assert_eq!(ok("substr", vec![s("e\u{301}x"), n(1.0), n(1.0)]), s("x"));
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
        // Grapheme clusters keep their combining marks.
        assert_eq!(ok("strrev", vec![s("e\u{301}a")]), s("ae\u{301}"));
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
}
