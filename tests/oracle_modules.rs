//! Terraform as the test oracle for whole root modules (issue #15, item 5):
//! `tests/oracle/modules/*/` are small root modules, and
//! `tests/oracle/modules/record.sh` planned each with real Terraform (1.11.4,
//! hashicorp/aws 5.100.0) and wrote, per planned resource instance, its
//! planned values, which are unknown until apply and which are sensitive, to
//! `tests/oracle/modules/expected.json`. This test loads the same modules
//! with parity and compares, for every resource instance Terraform plans and
//! every attribute parity has for it, value by value:
//!
//! - where Terraform marks a value sensitive, parity's must be redacted
//!   (`(sensitive)`), and where it does not, parity's must be that value in
//!   clear (a redaction must not hide what is not secret);
//! - where Terraform knows the value at plan time, parity must know the same
//!   value (not a symbolic one); where Terraform does not, nothing is
//!   compared;
//! - an instance Terraform plans must exist at the same address.
//!
//! Numbers compare as numbers (`3` and `3.0` agree). The test fails on any
//! disagreement not listed in `tests/oracle/modules/known-differences.txt`
//! (one `MODULE ADDRESS PATH reason` a line) and on any listed one that now
//! agrees.

use std::collections::BTreeMap;
use std::path::PathBuf;

use parity::sources::terraform::{load, Options};
use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/modules")
}

/// One comparison: where, and whether it agrees (with what each side said).
struct Leaf {
    path: String,
    agrees: bool,
    detail: String,
}

/// Compare Terraform's planned `tf` (with its `unknown` and `sensitive`
/// flags at the same path) with parity's `p` (its JSON form), leaf by leaf.
fn compare(path: &str, tf: &Json, unknown: &Json, sensitive: &Json, p: &Json, out: &mut Vec<Leaf>) {
    let redacted = |p: &Json| matches!(p.as_str(), Some("(sensitive)" | "${(sensitive)}"));
    if sensitive == &Json::Bool(true) {
        out.push(Leaf {
            path: path.to_string(),
            agrees: redacted(p),
            detail: format!("Terraform: sensitive; parity: {p}"),
        });
        return;
    }
    if unknown == &Json::Bool(true) {
        return;
    }
    match (tf, p) {
        (Json::Object(t), Json::Object(q)) if !redacted(p) => {
            // The keys parity has: what the configuration sets (Terraform
            // adds the provider's defaults of every block).
            for (k, pv) in q {
                let tv = t.get(k).unwrap_or(&Json::Null);
                if tv.is_null() && pv.is_null() {
                    continue;
                }
                compare(
                    &format!("{path}.{k}"),
                    tv,
                    unknown.get(k).unwrap_or(&Json::Null),
                    sensitive.get(k).unwrap_or(&Json::Null),
                    pv,
                    out,
                );
            }
        }
        (Json::Array(t), Json::Array(q)) if t.len() == q.len() => {
            for (i, (tv, pv)) in t.iter().zip(q).enumerate() {
                compare(
                    &format!("{path}.{i}"),
                    tv,
                    unknown.get(i).unwrap_or(&Json::Null),
                    sensitive.get(i).unwrap_or(&Json::Null),
                    pv,
                    out,
                );
            }
        }
        (Json::Number(a), Json::Number(b)) => out.push(Leaf {
            path: path.to_string(),
            agrees: a.as_f64() == b.as_f64(),
            detail: format!("Terraform: {tf}; parity: {p}"),
        }),
        _ => {
            // A part of it sensitive in Terraform and the whole redacted in
            // parity hides what is not secret; anything else must be equal.
            out.push(Leaf {
                path: path.to_string(),
                agrees: tf == p,
                detail: format!("Terraform: {tf}; parity: {p}"),
            })
        }
    }
}

fn known_differences() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("known-differences.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.splitn(4, ' ');
            let (m, a, p) = (parts.next()?, parts.next()?, parts.next()?);
            Some((
                format!("{m} {a} {p}"),
                parts.next().unwrap_or("").trim().to_string(),
            ))
        })
        .collect()
}

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the agreement summary, shown with `-- --nocapture`"
)]
fn parity_plans_what_terraform_plans() {
    let expected: Json = serde_json::from_str(
        &std::fs::read_to_string(dir().join("expected.json")).expect("expected.json"),
    )
    .expect("JSON");
    let modules = expected["modules"].as_object().expect("modules");
    let known = known_differences();
    let mut disagreements: BTreeMap<String, String> = BTreeMap::new();
    let (mut compared, mut agreed, mut instances) = (0usize, 0usize, 0usize);
    for (name, planned) in modules {
        let root = dir().join(name);
        let snap = load(&Options {
            environment: "oracle".into(),
            root: root.clone(),
            base: root.clone(),
            var_files: Vec::new(),
            vars: parity::model::Map::new(),
            var_origins: Default::default(),
            workspace: "default".into(),
            data: None,
            identity: Default::default(),
            facts: None,
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        for (address, plan) in planned.as_object().expect("instances") {
            instances += 1;
            let Some(r) = snap.resources.iter().find(|r| &r.address == address) else {
                compared += 1;
                disagreements.insert(
                    format!("{name} {address} @instance"),
                    "Terraform plans it; parity has no instance at this address".into(),
                );
                continue;
            };
            let mut leaves = Vec::new();
            for (attr, value) in &r.attributes {
                let tf = &plan["values"][attr];
                if tf.is_null() {
                    continue;
                }
                compare(
                    attr,
                    tf,
                    &plan["unknown"][attr],
                    &plan["sensitive"][attr],
                    &value.to_json(),
                    &mut leaves,
                );
            }
            for leaf in leaves {
                compared += 1;
                if leaf.agrees {
                    agreed += 1;
                } else {
                    disagreements.insert(format!("{name} {address} {}", leaf.path), leaf.detail);
                }
            }
        }
    }
    println!(
        "module oracle: {instances} planned instances, {agreed} of {compared} values agree, {} known differences",
        known.len()
    );
    let unexpected: Vec<String> = disagreements
        .iter()
        .filter(|(k, _)| !known.contains_key(*k))
        .map(|(k, v)| format!("  {k}: {v}"))
        .collect();
    let now_agree: Vec<&String> = known
        .keys()
        .filter(|k| !disagreements.contains_key(*k))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} values differ from Terraform's plan (list them in tests/oracle/modules/known-differences.txt with a reason, or fix):\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        now_agree.is_empty(),
        "now agree with Terraform: remove from known-differences.txt: {now_agree:?}"
    );
    assert!(compared > 100, "only {compared} values compared");
}
