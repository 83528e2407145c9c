//! Waivers: accepted differences. `[[waiver]]` entries in parity.toml and
//! `# parity:ignore <rule> <reason>` comments in the code turn findings into
//! waived findings; an expired waiver is an error of its own and a waiver
//! that matches nothing is a warning, so waivers cannot rot silently.

use std::collections::BTreeMap;

use crate::config::Waiver;
use crate::findings::{AppliedWaiver, Category, Finding, Severity};
use crate::model::InlineIgnore;

/// `*` matches any run of characters (dots included), `?` one character.
/// Addresses hold `[` and `"`, so no character classes.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Today's date as `YYYY-MM-DD` (UTC), from the system clock.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    civil(secs.div_euclid(86_400))
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Apply config waivers and inline ignores to the findings of one
/// comparison between `envs`. Adds findings for expired and unused waivers.
pub fn apply(
    findings: &mut Vec<Finding>,
    waivers: &[Waiver],
    config_file: &str,
    envs: [&str; 2],
    inline: &BTreeMap<String, Vec<InlineIgnore>>,
    today: &str,
) {
    let mut used = vec![false; waivers.len()];
    let mut extra = Vec::new();
    for (i, w) in waivers.iter().enumerate() {
        let applies_here =
            w.environments.is_empty() || w.environments.iter().any(|e| envs.contains(&e.as_str()));
        if !applies_here {
            // Not this pair's waiver; judged where it applies.
            used[i] = true;
            continue;
        }
        if let Some(exp) = &w.expires {
            if exp.as_str() < today {
                used[i] = true;
                extra.push(meta_finding(
                    "waiver-expired",
                    Severity::Error,
                    w,
                    config_file,
                    format!("waiver for `{}` on `{}` expired on {exp}: fix the difference or renew the waiver ({})", w.rule, w.resource, w.reason),
                ));
                continue;
            }
        }
    }
    for f in findings.iter_mut() {
        if f.waiver.is_some() {
            continue;
        }
        for (i, w) in waivers.iter().enumerate() {
            let applies_here = w.environments.is_empty()
                || w.environments.iter().any(|e| envs.contains(&e.as_str()));
            let expired = w.expires.as_deref().is_some_and(|e| e < today);
            if applies_here
                && !expired
                && (w.rule == "*" || w.rule == f.rule)
                && glob_match(&w.resource, &f.resource)
            {
                used[i] = true;
                f.waiver = Some(AppliedWaiver {
                    reason: w.reason.clone(),
                    owner: w.owner.clone(),
                    expires: w.expires.clone(),
                    location: format!("{config_file}:{}", w.line),
                });
                break;
            }
        }
        if f.waiver.is_some() {
            continue;
        }
        if let Some(ignores) = inline.get(&f.resource) {
            let attr_top = f
                .attribute
                .as_deref()
                .map(|a| a.split('.').next().unwrap_or(a));
            if let Some(ig) = ignores.iter().find(|ig| {
                ig.rule == f.rule && (ig.attribute.is_none() || ig.attribute.as_deref() == attr_top)
            }) {
                f.waiver = Some(AppliedWaiver {
                    reason: if ig.reason.is_empty() {
                        "inline parity:ignore".into()
                    } else {
                        ig.reason.clone()
                    },
                    owner: None,
                    expires: None,
                    location: ig.location.to_string(),
                });
            }
        }
    }
    for (i, w) in waivers.iter().enumerate() {
        if !used[i] {
            extra.push(meta_finding(
                "waiver-unused",
                Severity::Warning,
                w,
                config_file,
                format!(
                    "waiver for `{}` on `{}` matches no finding: remove it",
                    w.rule, w.resource
                ),
            ));
        }
    }
    findings.extend(extra);
}

fn meta_finding(
    rule: &str,
    severity: Severity,
    w: &Waiver,
    config_file: &str,
    message: String,
) -> Finding {
    let loc = format!("{config_file}:{}", w.line);
    Finding {
        rule: rule.into(),
        category: Category::Config,
        severity,
        resource: w.resource.clone(),
        rtype: "waiver".into(),
        attribute: None,
        left: None,
        right: None,
        locations: [("parity.toml".to_string(), loc)].into_iter().collect(),
        message,
        diff: None,
        expected: false,
        status: None,
        waiver: None,
        between: None,
        label: None,
        causes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_cover_addresses() {
        assert!(glob_match(
            "module.db.aws_db_instance.*",
            "module.db.aws_db_instance.main"
        ));
        assert!(glob_match("*", "anything[\"x\"]"));
        assert!(glob_match("aws_subnet.private[?]", "aws_subnet.private[2]"));
        assert!(!glob_match("module.db.*", "module.app.aws_x.y"));
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_779), "2026-11-22");
    }
}
