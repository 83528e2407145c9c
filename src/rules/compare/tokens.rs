//! The `tokens` comparator: `equal`, except that two values which differ
//! only in generated tokens (the random part of a CloudFront host name, an
//! ACM validation record, a hash AWS or a build put in a name) are an
//! expected difference, reported at `info`.
//!
//! A token is a run of letters and digits of at least [`MIN_LEN`]
//! characters that looks random rather than written by a person: it mixes
//! letters and digits and switches between them at least
//! [`MIN_SWITCHES`] times (`c64d5cf19c7c`, `d111111abcdef8`,
//! `a79865eb4cd1a6ab990a45779b4e0b96`), and at least half of its characters
//! are distinct or it holds [`MIN_DISTINCT`] distinct ones; or it is a
//! lower-case hex run of [`MIN_HEX_LEN`] characters or more with digits,
//! letters and [`MIN_HEX_DISTINCT`] distinct characters. Words and
//! versions are never tokens: `postgres15` (one switch), `15.7`, `t3.small`,
//! `m5.large`, `rds-ca-rsa4096-g1`, `3141920122` (digits only: a byte size
//! or a port range would be hidden). One more kind is masked because AWS
//! documents it: the all-letter label ACM puts before `acm-validations.aws`
//! (`_…​.mhbtsbpdnt.acm-validations.aws.`).
//!
//! A redacted secret (a salted hash) is never masked: two different secrets
//! stay a difference at the rule's severity.
//!
//! Both values are masked (every token becomes `…`) and compared again; only
//! when the masked values are equal and the originals are not is the
//! difference an expected one. Anything else is judged exactly as `equal`
//! judges it, with the same wording, so a real difference keeps its rule's
//! severity. Environment names are already `${env}` when values arrive here.

use std::collections::BTreeSet;

use crate::findings::Severity;
use crate::model::value::{Value, SENSITIVE_PREFIX};

use super::equal::{equal, loose_eq};
use super::{show, Difference, Outcome};

/// The shortest run of letters and digits that can be a token.
pub const MIN_LEN: usize = 8;
/// Letter/digit switches a token needs (`d111111abcdef8` has 3).
pub const MIN_SWITCHES: usize = 3;
/// Distinct characters that are always enough (a long hex token repeats).
pub const MIN_DISTINCT: usize = 8;

/// A lower-case hex run this long is a token whatever its switches
/// (`ca8533157584`: a hash that happens to put its letters first).
pub const MIN_HEX_LEN: usize = 12;
/// Distinct characters such a hex run needs.
pub const MIN_HEX_DISTINCT: usize = 6;

/// What a token is replaced with.
const MASK: &str = "…";

pub(super) fn tokens(left: &Value, right: &Value) -> Outcome {
    if loose_eq(left, right) {
        return Outcome::Same;
    }
    let (ml, mr) = (mask_value(left), mask_value(right));
    if !left.is_null() && !right.is_null() && loose_eq(&ml, &mr) {
        return Outcome::Differ(
            Difference::new(format!(
                "differs only in generated tokens: {} vs {}",
                show(left),
                show(right)
            ))
            .at(Some(Severity::Info))
            .expected(),
        );
    }
    equal(left, right)
}

/// Every string inside `v` with its tokens masked.
fn mask_value(v: &Value) -> Value {
    match v {
        // A secret's redaction is a salted hash: two different secrets
        // would differ "only in a token". Never masked.
        Value::String(s) | Value::Unknown(s) if s.contains(SENSITIVE_PREFIX) => v.clone(),
        Value::String(s) => Value::String(mask(s)),
        Value::List(items) => Value::List(items.iter().map(mask_value).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), mask_value(v))).collect()),
        other => other.clone(),
    }
}

/// Pairs of values docs/rules.md shows, each judged by [`tokens`] when the
/// page is made, so the page shows what the comparator does.
const DOC_EXAMPLES: [(&str, &str, &str); 9] = [
    (
        "CloudFront domain name",
        "d111111abcdef8.cloudfront.net",
        "d2c4e6g8h0j2k4.cloudfront.net",
    ),
    (
        "API Gateway endpoint",
        "https://a1b2c3d4e5.execute-api.${region}.amazonaws.com",
        "https://9z8y7x6w5v.execute-api.${region}.amazonaws.com",
    ),
    (
        "ACM validation record name",
        "_a79865eb4cd1a6ab990a45779b4e0b96.example.com",
        "_0f3c9a2e77b14d6c8e5a1b3d9f7e2c40.example.com",
    ),
    (
        "ACM validation record value",
        "_c3e2d7eaf1e656b73f46cd6d2c6ef3f0.mhbtsbpdnt.acm-validations.aws.",
        "_7b1e0c4d9a2f3e5b6c8d0e1f2a3b4c5d.zzrtmkpqgs.acm-validations.aws.",
    ),
    (
        "RDS endpoint",
        "shop-${env}-db.c64d5cf19c7c.${region}.rds.amazonaws.com",
        "shop-${env}-db.ca8533157584.${region}.rds.amazonaws.com",
    ),
    ("Engine version", "15.7", "15.5"),
    ("Instance type", "t3.small", "m5.large"),
    (
        "Parameter group",
        "default.postgres15",
        "default.postgres14",
    ),
    (
        "A token and a domain",
        "d111111abcdef8.cloudfront.net",
        "d2c4e6g8h0j2k4.example.net",
    ),
];

/// The "Identity-shaped values" section of docs/rules.md.
pub fn doc() -> String {
    let mut out = String::from(
        "\n## Identity-shaped values\n\n\
Some values identify a resource rather than configure it, and AWS makes them \
up: they always differ between two environments. parity recognises them as \
expected differences (`info`, listed with `--verbose`, never failing a run) \
in two ways. Attributes that only ever hold such values are named by \
`ignore` rules: ids and ARNs (`identity-ids`), endpoints \
(`identity-endpoints`), CloudFront, API Gateway and Lambda URL host names \
(`identity-generated-domains`), ACM validation records and certificate \
dates (`identity-certificate-validation`). Everywhere else, \
`config-difference` compares with the `tokens` comparator: it masks every \
generated token in both values and, when nothing else differs, reports an \
expected difference.\n\n\
A token is a run of letters and digits of at least 8 characters that mixes \
letters and digits and switches between them at least 3 times (with at least \
half its characters distinct, or 8 distinct ones), or a lower-case hex run of \
12 or more with 6 distinct characters, or the all-letter label before \
`acm-validations.aws`. Versions, sizes, instance types, words with a number \
(`postgres15`) and plain numbers are never tokens, so a real difference keeps \
its severity. The examples are judged by the comparator when this page is \
made:\n\n| Value | Staging | Prod | Verdict |\n|---|---|---|---|\n",
    );
    for (what, a, b) in DOC_EXAMPLES {
        let verdict = match tokens(&Value::str(a), &Value::str(b)) {
            Outcome::Same => "same".to_string(),
            Outcome::Differ(d) if d.expected => "expected difference (`info`)".to_string(),
            Outcome::Differ(_) => "a difference, at the rule's severity".to_string(),
        };
        out.push_str(&format!("| {what} | `{a}` | `{b}` | {verdict} |\n"));
    }
    out
}

/// `text` with each token replaced by `…`.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i <= chars.len() {
        match chars.get(i) {
            Some(c) if c.is_ascii_alphanumeric() => run.push(*c),
            other => {
                if !run.is_empty() {
                    let rest: String = chars[i..].iter().collect();
                    if is_token(&run) || is_acm_label(&run, &rest) {
                        out.push_str(MASK);
                    } else {
                        out.push_str(&run);
                    }
                    run.clear();
                }
                if let Some(c) = other {
                    out.push(*c);
                }
            }
        }
        i += 1;
    }
    out
}

/// A run of letters and digits that looks generated (see the module docs).
pub fn is_token(run: &str) -> bool {
    let len = run.chars().count();
    if len < MIN_LEN {
        return false;
    }
    let digits = run.chars().filter(char::is_ascii_digit).count();
    if digits == 0 || digits == len {
        return false;
    }
    let classes: Vec<bool> = run.chars().map(|c| c.is_ascii_digit()).collect();
    let switches = classes.windows(2).filter(|w| w[0] != w[1]).count();
    let distinct = run.chars().collect::<BTreeSet<char>>().len();
    let hex = run
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    (switches >= MIN_SWITCHES && (distinct * 2 >= len || distinct >= MIN_DISTINCT))
        || (hex && len >= MIN_HEX_LEN && distinct >= MIN_HEX_DISTINCT)
}

/// The random all-letter label of an ACM DNS validation record value
/// (`_<hash>.<label>.acm-validations.aws.`).
fn is_acm_label(run: &str, rest: &str) -> bool {
    run.len() >= MIN_LEN
        && run.chars().all(|c| c.is_ascii_lowercase())
        && rest.starts_with(".acm-validations.aws")
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, list, map, run, s};
    use super::*;
    use crate::rules::Comparator;

    fn verdict(a: &str, b: &str) -> Option<Difference> {
        match run(Comparator::Tokens, &s(a), &s(b)) {
            Outcome::Same => None,
            Outcome::Differ(d) => Some(d),
        }
    }

    #[test]
    fn generated_host_names_are_expected_differences() {
        for (a, b) in [
            (
                "d111111abcdef8.cloudfront.net",
                "d2c4e6g8h0j2k4.cloudfront.net",
            ),
            (
                "_a79865eb4cd1a6ab990a45779b4e0b96.example.com",
                "_0f3c9a2e77b14d6c8e5a1b3d9f7e2c40.example.com",
            ),
            (
                "_c3e2d7eaf1e656b73f46cd6d2c6ef3f0.mhbtsbpdnt.acm-validations.aws.",
                "_7b1e0c4d9a2f3e5b6c8d0e1f2a3b4c5d.zzrtmkpqgs.acm-validations.aws.",
            ),
            (
                "https://a1b2c3d4e5.execute-api.${region}.amazonaws.com",
                "https://9z8y7x6w5v.execute-api.${region}.amazonaws.com",
            ),
            (
                "shop-${env}-db.c64d5cf19c7c.${region}.rds.amazonaws.com",
                "shop-${env}-db.ca8533157584.${region}.rds.amazonaws.com",
            ),
        ] {
            let d = verdict(a, b).expect("differs");
            assert_eq!(d.severity, Some(Severity::Info), "{a} vs {b}");
            assert!(d.expected, "{a} vs {b}");
            assert!(d.detail.starts_with("differs only in generated tokens: "));
        }
    }

    #[test]
    fn real_differences_are_judged_as_equal_judges_them() {
        for (a, b) in [
            ("15.7", "15.5"),
            ("t3.small", "m5.large"),
            ("db.r6g.large", "db.r6g.xlarge"),
            ("default.postgres15", "default.postgres14"),
            ("rds-ca-rsa4096-g1", "rds-ca-rsa2048-g1"),
            ("1073741824", "2147483648"),
            ("shop-${env}-api", "shop-api"),
            // A token and something else both differ: not only tokens.
            (
                "d111111abcdef8.cloudfront.net",
                "d2c4e6g8h0j2k4.cloudfront.com",
            ),
            ("abc-def-ghi", "abc-def-ghj"),
        ] {
            let d = verdict(a, b).expect("differs");
            assert_eq!(d.severity, None, "{a} vs {b}");
            assert!(!d.expected, "{a} vs {b}");
            assert_eq!(d.detail, format!("differs: {a} vs {b}"));
        }
    }

    #[test]
    fn redacted_secrets_are_never_tokens() {
        let a = format!("{SENSITIVE_PREFIX}3f9a1c7e5b2d8f4a6c0e1b3d5f7a9c2e");
        let b = format!("{SENSITIVE_PREFIX}8e2c4a6f0b1d3e5a7c9f2b4d6e8a0c1f");
        let d = differ(run(Comparator::Tokens, &s(&a), &s(&b)));
        assert!(!d.expected);
        assert_eq!(d.severity, None);
    }

    #[test]
    fn one_sided_values_are_never_tokens() {
        let d = differ(run(Comparator::Tokens, &s("a1b2c3d4e5f6"), &Value::Null));
        assert_eq!(d.detail, "set only in left: a1b2c3d4e5f6");
        assert!(!d.expected);
    }

    #[test]
    fn structures_mask_every_string() {
        let l = map(&[
            ("name", s("_a79865eb4cd1a6ab990a45779b4e0b96.example.com")),
            ("type", s("CNAME")),
        ]);
        let r = map(&[
            ("name", s("_0f3c9a2e77b14d6c8e5a1b3d9f7e2c40.example.com")),
            ("type", s("CNAME")),
        ]);
        assert!(differ(run(Comparator::Tokens, &l, &r)).expected);
        let r2 = map(&[
            ("name", s("_0f3c9a2e77b14d6c8e5a1b3d9f7e2c40.example.com")),
            ("type", s("TXT")),
        ]);
        let d = differ(run(Comparator::Tokens, &l, &r2));
        assert!(!d.expected);
        assert_eq!(
            d.detail,
            "differs at name: _a79865eb4cd1a6ab990a45779b4e0b96.example.com vs \
             _0f3c9a2e77b14d6c8e5a1b3d9f7e2c40.example.com (and 1 more)"
        );
        assert!(run(Comparator::Tokens, &list(&["x"]), &list(&["x"])).is_same());
    }

    #[test]
    fn what_is_a_token() {
        for t in [
            "c64d5cf19c7c",
            "ca8533157584",
            "d111111abcdef8",
            "a1b2c3d4e5",
            "0abcdef1234567890",
        ] {
            assert!(is_token(t), "{t}");
        }
        for t in [
            "postgres15",
            "postgresql15",
            "base64encoded",
            "3141920122",
            "cloudfront",
            "rsa4096",
            "x86",
            "abcdefgh",
        ] {
            assert!(!is_token(t), "{t}");
        }
        assert_eq!(
            mask("shop-${env}-web-3141920122.${region}.elb.amazonaws.com"),
            "shop-${env}-web-3141920122.${region}.elb.amazonaws.com"
        );
        assert_eq!(mask("d111111abcdef8.cloudfront.net"), "….cloudfront.net");
        assert_eq!(
            mask("_c3e2d7eaf1e656b73f46cd6d2c6ef3f0.mhbtsbpdnt.acm-validations.aws."),
            "_….….acm-validations.aws."
        );
    }
}
