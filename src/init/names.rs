//! Which names look like environments, and how production-like they are.

#[allow(unused_imports)]
use super::*;

/// How production-like a name is: 4 production, 3 pre-production, 2 test,
/// 1 development; `None` for a name that does not look like an environment.
pub fn prod_rank(name: &str) -> Option<u8> {
    fn word(w: &str) -> Option<u8> {
        Some(match w {
            "prod" | "production" | "prd" | "live" => 4,
            "preprod" | "pre-prod" | "pre_prod" | "uat" | "staging" | "stage" | "stg" | "stag" => 3,
            "qa" | "test" | "testing" | "tst" | "sit" | "int" | "integration" | "perf"
            | "performance" | "load" | "nonprod" | "non-prod" | "non_prod" => 2,
            "dev" | "development" | "develop" | "sandbox" | "sbx" | "demo" | "ci" | "preview"
            | "lab" => 1,
            _ => return None,
        })
    }
    let lower = name.to_ascii_lowercase();
    if let Some(r) = word(&lower) {
        return Some(r);
    }
    let tokens: Vec<&str> = lower
        .split(['-', '_', '.'])
        .map(|t| t.trim_end_matches(|c: char| c.is_ascii_digit()))
        .collect();
    let mut best: Option<u8> = None;
    for (i, t) in tokens.iter().enumerate() {
        let mut r = word(t);
        // `pre-prod`, `non-prod-eu`: the qualifier lowers the rank.
        if r == Some(4) && i > 0 {
            match tokens[i - 1] {
                "pre" => r = Some(3),
                "non" => r = Some(2),
                _ => {}
            }
        }
        best = best.max(r);
    }
    best
}

/// Other common names of the same environment (for the commented
/// `aliases` line).
pub(super) fn synonyms(name: &str) -> Vec<&'static str> {
    const GROUPS: &[&[&str]] = &[
        &["prod", "production", "prd"],
        &["staging", "stage", "stg"],
        &["preprod", "pre-prod"],
        &["dev", "development"],
        &["test", "testing", "tst"],
    ];
    let lower = name.to_ascii_lowercase();
    GROUPS
        .iter()
        .find(|g| g.contains(&lower.as_str()))
        .map(|g| g.iter().copied().filter(|s| *s != lower).collect())
        .unwrap_or_default()
}

/// Directory names never taken for environments at the top level.
pub(super) const NOT_ENVIRONMENTS: &[&str] = &[
    "modules", "module", "test", "tests", "examples", "example", "scripts", "docs",
];
