//! The `family` comparator: instance classes may differ in size between
//! environments but not in family or processor architecture.

use crate::model::value::Value;

use super::equal::equal;
use super::equal::loose_eq;
use super::Outcome;

/// An instance class split into its parts: `db.r6g.large` is service `db`,
/// family `r6g`, size `large`; `r6g.large.search` has the suffix `search`.
#[derive(Debug, PartialEq)]
struct InstanceClass<'a> {
    service: &'a str,
    family: &'a str,
    size: &'a str,
    suffix: Vec<&'a str>,
}

const SERVICE_PREFIXES: &[&str] = &["db", "cache", "kafka", "ml"];

fn parse_class(text: &str) -> Option<InstanceClass<'_>> {
    let parts: Vec<&str> = text.split('.').collect();
    let (service, rest) = match parts.split_first() {
        Some((first, rest)) if SERVICE_PREFIXES.contains(first) && !rest.is_empty() => {
            (*first, rest)
        }
        _ => ("", parts.as_slice()),
    };
    let family = *rest.first()?;
    let valid = !family.is_empty()
        && family
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| InstanceClass {
        service,
        family,
        size: rest.get(1).copied().unwrap_or(""),
        suffix: rest.iter().skip(2).copied().collect(),
    })
}

/// The processor architecture a family runs on: a `g` among the letters
/// after the generation digit means Graviton (`r6g`, `t4g`, `c6gn`, `x2gd`).
fn architecture(family: &str) -> Option<&'static str> {
    if family == "a1" {
        return Some("arm64/Graviton");
    }
    let digit = family.find(|c: char| c.is_ascii_digit())?;
    let attributes = family[digit..].trim_start_matches(|c: char| c.is_ascii_digit());
    Some(if attributes.contains('g') {
        "arm64/Graviton"
    } else {
        "x86_64"
    })
}

pub(super) fn family(left: &Value, right: &Value) -> Outcome {
    if loose_eq(left, right) {
        return Outcome::Same;
    }
    let (Some(a), Some(b)) = (left.as_str(), right.as_str()) else {
        return equal(left, right);
    };
    let (Some(ca), Some(cb)) = (parse_class(a), parse_class(b)) else {
        return Outcome::differ(format!("instance classes differ: {a} vs {b}"));
    };
    if ca.service != cb.service || ca.suffix != cb.suffix {
        return Outcome::differ(format!("instance classes differ: {a} vs {b}"));
    }
    if ca.family == cb.family {
        return Outcome::Same;
    }
    let detail = match (architecture(ca.family), architecture(cb.family)) {
        (Some(x), Some(y)) if x != y => format!(
            "instance family differs: {} ({x}) vs {} ({y}): a different processor architecture",
            ca.family, cb.family
        ),
        (Some(x), Some(_)) => format!(
            "instance family differs: {} vs {} (both {x})",
            ca.family, cb.family
        ),
        _ => format!("instance family differs: {} vs {}", ca.family, cb.family),
    };
    Outcome::differ(detail)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, run, s};
    use super::architecture;
    use crate::rules::Comparator;

    #[test]
    fn family_size_may_differ() {
        assert!(run(Comparator::Family, &s("db.t3.medium"), &s("db.t3.large")).is_same());
        assert!(run(
            Comparator::Family,
            &s("cache.t4g.small"),
            &s("cache.t4g.micro")
        )
        .is_same());
        assert!(run(
            Comparator::Family,
            &s("r6g.large.search"),
            &s("r6g.xlarge.search")
        )
        .is_same());
    }

    #[test]
    fn family_names_the_architecture() {
        let d = differ(run(
            Comparator::Family,
            &s("db.r6g.large"),
            &s("db.r6i.large"),
        ));
        assert_eq!(
            d.detail,
            "instance family differs: r6g (arm64/Graviton) vs r6i (x86_64): a different processor architecture"
        );
        let d = differ(run(Comparator::Family, &s("t3.micro"), &s("m5.large")));
        assert_eq!(d.detail, "instance family differs: t3 vs m5 (both x86_64)");
        let d = differ(run(Comparator::Family, &s("db.t3.micro"), &s("t3.micro")));
        assert_eq!(d.detail, "instance classes differ: db.t3.micro vs t3.micro");
    }

    #[test]
    fn architecture_from_family_letters() {
        for arm in ["r6g", "m7g", "t4g", "c6gn", "x2gd", "a1", "im4gn"] {
            assert_eq!(architecture(arm), Some("arm64/Graviton"), "{arm}");
        }
        for x86 in ["r6i", "m5", "t3", "g5", "g4dn", "m7i-flex"] {
            assert_eq!(architecture(x86), Some("x86_64"), "{x86}");
        }
        assert_eq!(architecture("serverless"), None);
    }
}
