//! CDK apps without Stages: `cdk = { out = "cdk.out", stacks = [...] }`
//! picks each environment's stacks from the top assembly
//! (`fixtures/cdk-stacks`, synthesized by the real CDK CLI).

mod common;

use common::{parity, repo, tree};
use serde_json::Value as Json;

fn fixture() -> std::path::PathBuf {
    repo().join("fixtures/cdk-stacks")
}

/// `cdk.out/<template>:<line>` of the first line of `template` holding `needle`.
fn line(template: &str, needle: &str) -> String {
    let text = std::fs::read_to_string(fixture().join("cdk.out").join(template)).expect("template");
    let n = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is not in {template}"));
    format!("cdk.out/{template}:{}", n + 1)
}

#[test]
fn stacks_of_the_top_assembly_pair_and_the_planted_difference_is_at_its_line() {
    let out = parity(&fixture())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("runs");
    let report: Json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "only the planted difference: {report:#}");
    let f = &findings[0];
    assert_eq!(f["rule"], "config-difference");
    // `ShopStaging` and `ShopProd` pair as one stack, `Shop${env}`.
    assert_eq!(
        f["resource"],
        "module.Shop${env}.aws_sqs_queue.OrdersA9B65338"
    );
    assert_eq!(f["attribute"], "visibility_timeout_seconds");
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("30"), Some("300"))
    );
    assert_eq!(
        f["locations"]["staging"],
        line("ShopStaging.template.json", "\"VisibilityTimeout\": 30")
    );
    assert_eq!(
        f["locations"]["prod"],
        line("ShopProd.template.json", "\"VisibilityTimeout\": 300")
    );
}

fn config(staging: &str, prod: &str) -> tempfile::TempDir {
    let out = fixture().join("cdk.out");
    tree(&[(
        "parity.toml",
        &format!(
            "[environments.staging]\ncdk = {{ out = {out:?}, {staging} }}\n[environments.prod]\ncdk = {{ out = {out:?}, {prod} }}\n"
        ),
    )])
}

#[test]
fn an_unknown_stack_is_an_error_naming_the_manifest_and_the_known_stacks() {
    let dir = config("stacks = [\"ShopQa\"]", "stacks = [\"ShopProd\"]");
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("manifest.json")
            && stderr.contains("no stack `ShopQa` (its stacks: ShopStaging, ShopProd)"),
        "{stderr}"
    );
}

#[test]
fn stacks_and_stage_together_are_an_error_at_the_config_line() {
    let dir = config(
        "stage = \"Staging\", stacks = [\"ShopStaging\"]",
        "stacks = [\"ShopProd\"]",
    );
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("parity.toml:2:")
            && stderr.contains("`stacks` and `stage` cannot both be set"),
        "{stderr}"
    );
}
