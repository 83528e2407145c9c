//! The `version` comparator: engine and runtime versions compared by
//! component, so a difference below the rule's level (a patch under `minor`)
//! is reported as `info` instead of at the rule's severity.

use std::cmp::Ordering;

use crate::findings::Severity;
use crate::model::value::format_number;
use crate::model::value::Value;
use crate::rules::VersionLevel;

use super::equal::equal;
use super::equal::loose_eq;
use super::{Difference, Outcome};

/// A parsed version: an optional textual prefix (`OpenSearch_`, `~> `,
/// `postgres`), numeric components, and a build suffix (`-eksbuild.1`).
#[derive(Debug, PartialEq)]
struct Version<'a> {
    prefix: String,
    parts: Vec<u64>,
    suffix: &'a str,
}

fn parse_version(text: &str) -> Option<Version<'_>> {
    let text = text.trim();
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let raw_prefix = &text[..start];
    if raw_prefix
        .chars()
        .any(|c| !(c.is_ascii_alphabetic() || " _-~>=<!^".contains(c)))
    {
        return None;
    }
    let mut prefix: String = raw_prefix
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    // `v1.2`, `= 1.2` and `1.2` name the same version.
    for same in ["=v", "v", "="] {
        if prefix == same {
            prefix.clear();
        }
    }
    let rest = &text[start..];
    let mut parts = Vec::new();
    let mut pos = 0;
    loop {
        let digits = rest[pos..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - pos);
        parts.push(rest[pos..pos + digits].parse::<u64>().ok()?);
        pos += digits;
        let more = rest[pos..].starts_with('.')
            && rest[pos + 1..].starts_with(|c: char| c.is_ascii_digit());
        if !more {
            break;
        }
        pos += 1;
    }
    let suffix = &rest[pos..];
    let suffix_ok = suffix.is_empty()
        || (suffix.starts_with(|c: char| c.is_ascii_alphabetic() || "-+._".contains(c))
            && !suffix.contains([',', ' ']));
    suffix_ok.then_some(Version {
        prefix,
        parts,
        suffix,
    })
}

fn component_level(index: usize) -> VersionLevel {
    match index {
        0 => VersionLevel::Major,
        1 => VersionLevel::Minor,
        _ => VersionLevel::Patch,
    }
}

fn component_name(index: usize) -> &'static str {
    match component_level(index) {
        VersionLevel::Major => "major",
        VersionLevel::Minor => "minor",
        VersionLevel::Patch => "patch",
    }
}

fn newer_side(order: Ordering) -> &'static str {
    if order == Ordering::Greater {
        "left"
    } else {
        "right"
    }
}

fn version_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::BigNumber(b) => Some(b.text()),
        _ => None,
    }
}

pub(super) fn version(
    left: &Value,
    right: &Value,
    level: VersionLevel,
    severity: Severity,
) -> Outcome {
    if loose_eq(left, right) {
        return Outcome::Same;
    }
    match (version_text(left), version_text(right)) {
        (Some(a), Some(b)) => compare_versions(&a, &b, level, severity),
        _ => equal(left, right),
    }
}

fn compare_versions(a: &str, b: &str, level: VersionLevel, severity: Severity) -> Outcome {
    let (Some(va), Some(vb)) = (parse_version(a), parse_version(b)) else {
        return Outcome::differ(format!("versions differ: {a} vs {b}"));
    };
    if va.prefix != vb.prefix {
        return Outcome::differ(format!("versions differ: {a} vs {b}"));
    }
    let below_level = |index: usize| (component_level(index) > level).then_some(Severity::Info);
    for (i, (x, y)) in va.parts.iter().zip(&vb.parts).enumerate() {
        if x != y {
            let detail = format!(
                "{} version differs: {a} vs {b} ({} is newer)",
                component_name(i),
                newer_side(x.cmp(y))
            );
            return Outcome::Differ(Difference::new(detail).at(below_level(i)));
        }
    }
    if va.parts.len() != vb.parts.len() {
        let left_shorter = va.parts.len() < vb.parts.len();
        let (short, long) = if left_shorter { (&va, &vb) } else { (&vb, &va) };
        let (short_side, long_side, short_text, long_text) = if left_shorter {
            ("left", "right", a, b)
        } else {
            ("right", "left", b, a)
        };
        let detail = format!(
            "{short_side} pins a {} version ({short_text}), {long_side} pins a {} version \
             ({long_text}): automatic upgrades make them differ in practice",
            component_name(short.parts.len() - 1),
            component_name(long.parts.len() - 1),
        );
        let capped = (severity > Severity::Warning).then_some(Severity::Warning);
        return Outcome::Differ(Difference::new(detail).at(capped));
    }
    if !va.suffix.eq_ignore_ascii_case(vb.suffix) {
        let detail = format!(
            "build differs: {a} vs {b} ({} is newer)",
            newer_side(natural_cmp(va.suffix, vb.suffix))
        );
        let severity = (level != VersionLevel::Patch).then_some(Severity::Info);
        return Outcome::Differ(Difference::new(detail).at(severity));
    }
    Outcome::Same
}

/// Compare with digit runs as numbers: `eksbuild.10` > `eksbuild.9`.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, x), (db, y)) in ca.iter().zip(&cb) {
        let order = if *da && *db {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        } else {
            x.cmp(y)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len())
}

#[cfg(test)]
mod tests {
    use super::super::compare;
    use super::super::tests::{differ, rule, s, ver};
    use super::parse_version;
    use crate::findings::Severity;
    use crate::model::value::Value;
    use crate::rules::Comparator;
    use crate::rules::VersionLevel;

    #[test]
    fn version_minor_difference_under_minor_level_keeps_rule_severity() {
        let d = differ(ver(VersionLevel::Minor, "15.4", "15.7"));
        assert_eq!(
            d.detail,
            "minor version differs: 15.4 vs 15.7 (right is newer)"
        );
        assert_eq!(d.severity, None);
    }

    #[test]
    fn version_major_difference_is_always_the_rule_severity() {
        let d = differ(ver(VersionLevel::Major, "16.2", "15.4"));
        assert_eq!(
            d.detail,
            "major version differs: 16.2 vs 15.4 (left is newer)"
        );
        assert_eq!(d.severity, None);
    }

    #[test]
    fn version_below_level_is_info() {
        assert_eq!(
            differ(ver(VersionLevel::Minor, "8.0.35", "8.0.36")).severity,
            Some(Severity::Info)
        );
        assert_eq!(
            differ(ver(VersionLevel::Major, "15.4", "15.7")).severity,
            Some(Severity::Info)
        );
        assert_eq!(
            differ(ver(VersionLevel::Patch, "8.0.35", "8.0.36")).severity,
            None
        );
    }

    #[test]
    fn version_prefixes_and_constraints() {
        assert!(ver(VersionLevel::Patch, "v1.2.3", "1.2.3").is_same());
        assert!(ver(VersionLevel::Patch, "= 1.2.3", "1.2.3").is_same());
        let d = differ(ver(VersionLevel::Minor, "~> 5.0", "~> 5.31"));
        assert!(
            d.detail.starts_with("minor version differs"),
            "{}",
            d.detail
        );
        let d = differ(ver(
            VersionLevel::Minor,
            "OpenSearch_2.11",
            "OpenSearch_2.13",
        ));
        assert_eq!(
            d.detail,
            "minor version differs: OpenSearch_2.11 vs OpenSearch_2.13 (right is newer)"
        );
        let d = differ(ver(VersionLevel::Minor, "postgres15", "postgres16"));
        assert!(d.detail.starts_with("major"), "{}", d.detail);
    }

    #[test]
    fn version_unparsable_compares_as_text() {
        let d = differ(ver(VersionLevel::Minor, ">= 4.0, < 6.0", ">= 5.0, < 6.0"));
        assert_eq!(d.detail, "versions differ: >= 4.0, < 6.0 vs >= 5.0, < 6.0");
        assert!(ver(VersionLevel::Minor, ">= 4.0, < 6.0", ">= 4.0, < 6.0").is_same());
        let d = differ(ver(
            VersionLevel::Minor,
            "OpenSearch_2.11",
            "Elasticsearch_2.11",
        ));
        assert!(d.detail.starts_with("versions differ"));
    }

    #[test]
    fn version_pinning_fewer_components_is_a_warning_at_most() {
        let d = differ(ver(VersionLevel::Minor, "8.4", "8.4.9"));
        assert_eq!(
            d.detail,
            "left pins a minor version (8.4), right pins a patch version (8.4.9): \
             automatic upgrades make them differ in practice"
        );
        assert_eq!(d.severity, Some(Severity::Warning));
    }

    #[test]
    fn version_build_suffix_is_patch_level() {
        let d = differ(ver(
            VersionLevel::Minor,
            "v1.16.0-eksbuild.9",
            "v1.16.0-eksbuild.10",
        ));
        assert_eq!(
            d.detail,
            "build differs: v1.16.0-eksbuild.9 vs v1.16.0-eksbuild.10 (right is newer)"
        );
        assert_eq!(d.severity, Some(Severity::Info));
        assert_eq!(
            differ(ver(
                VersionLevel::Patch,
                "1.29.0-20240202",
                "1.29.0-20240101"
            ))
            .severity,
            None
        );
    }

    #[test]
    fn version_numbers_and_nulls() {
        let r = rule(Comparator::Version, None);
        assert!(compare(&r, &Value::Number(15.0), &s("15")).is_same());
        let d = differ(compare(&r, &s("15.4"), &Value::Null));
        assert_eq!(d.detail, "set only in left: 15.4");
    }

    #[test]
    fn parse_version_parts() {
        let v = parse_version("v1.16.0-eksbuild.1").unwrap();
        assert_eq!(
            (v.prefix.as_str(), v.parts.as_slice(), v.suffix),
            ("", &[1, 16, 0][..], "-eksbuild.1")
        );
        assert_eq!(parse_version("2.8.2.tiered").unwrap().suffix, ".tiered");
        assert!(parse_version("latest").is_none());
    }
}
