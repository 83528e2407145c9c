//! CDK `NestedStack`s end to end: `fixtures/cdk-nested`, synthesized by the
//! CDK CLI, whose nested templates are file assets of their parent stacks
//! (the parent's `TemplateURL` names the asset's hash, the stack's
//! `*.assets.json` its local file).

mod common;

use std::path::Path;

use common::{parity, repo};
use serde_json::Value as Json;

fn fixture() -> std::path::PathBuf {
    repo().join("fixtures/cdk-nested")
}

fn json_report(dir: &Path, args: &[&str]) -> (Json, i32) {
    let out = parity(dir).args(args).output().expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code().unwrap_or(-1))
}

/// `file:line` of the first line of `file` (under the fixture) holding `needle`.
fn line_in(file: &str, needle: &str) -> String {
    let text = std::fs::read_to_string(fixture().join(file)).expect("template");
    let line = text
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` is not in {file}"));
    format!("{file}:{line}")
}

const QUEUE: &str =
    "module.Shop.module.StorageNestedStackStorageNestedStackResource9807768E.aws_sqs_queue.OrdersA9B65338";

#[test]
fn a_difference_inside_a_nested_stack_is_found_at_its_nested_template_line() {
    let (report, code) = json_report(&fixture(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 2, "{report:#}");
    let findings = report["findings"].as_array().expect("findings");
    let failing: Vec<&Json> = findings
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert_eq!(failing.len(), 1, "{report:#}");
    let f = failing[0];
    assert_eq!(f["resource"], QUEUE, "{f:#}");
    assert_eq!(f["attribute"], "visibility_timeout_seconds", "{f:#}");
    assert_eq!(
        f["locations"]["staging"],
        line_in(
            "cdk.out/assembly-Staging/StagingShopStorage1EAD06DC.nested.template.json",
            "\"VisibilityTimeout\""
        )
    );
    assert_eq!(
        f["locations"]["prod"],
        line_in(
            "cdk.out/assembly-Prod/ProdShopStorage416B9E97.nested.template.json",
            "\"VisibilityTimeout\""
        )
    );
    // The nested template's asset hash differs with its content: expected.
    assert!(
        findings.iter().any(|f| f["rule"] == "cdk-asset-hash"
            && f["attribute"] == "cdk_assets.template_url"
            && f["severity"] == "info"),
        "{report:#}"
    );
    // Read whole: no gap, and the nested stack's parameters (the role's
    // ARN, under a name holding the stage) are not compared as such.
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    assert!(!report.to_string().contains("referenceto"), "{report:#}");
}

#[test]
fn parameters_reach_the_nested_template_as_references_to_the_parent() {
    let out = parity(&fixture())
        .args(["snapshot", "staging"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // The queue policy names the parent's role through the parameter.
    assert!(
        text.contains("\"aws_iam_role.AppRoleDC883459.arn\""),
        "{text}"
    );
    assert!(
        text.contains(
            "module.Shop.module.StorageNestedStackStorageNestedStackResource9807768E.aws_sqs_queue_policy."
        ),
        "{text}"
    );
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        if e.file_name() == "node_modules" {
            continue;
        }
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

#[test]
fn a_missing_nested_template_asset_is_a_coverage_gap_not_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    copy(&fixture(), dir.path());
    for file in [
        "cdk.out/assembly-Staging/StagingShopStorage1EAD06DC.nested.template.json",
        "cdk.out/assembly-Prod/ProdShopStorage416B9E97.nested.template.json",
    ] {
        std::fs::remove_file(dir.path().join(file)).expect("rm");
    }
    // The stacks not read are compared by their parameters, whose CDK
    // names hold the stage (a warning): judged at `error` here.
    let (report, code) = json_report(
        dir.path(),
        &[
            "diff",
            "staging",
            "prod",
            "--format",
            "json",
            "--fail-on",
            "error",
        ],
    );
    assert_eq!(code, 3, "{report:#}");
    let gaps = report["summary"]["incomplete"].to_string();
    assert!(
        gaps.contains("ProdShopStorage416B9E97.nested.template.json` does not exist"),
        "{gaps}"
    );
    assert!(gaps.contains("ProdShop82526E42.template.json:"), "{gaps}");
    assert!(
        gaps.contains("StagingShopStorage1EAD06DC.nested.template.json` does not exist"),
        "{gaps}"
    );
    // The stack is still compared by what is known of it.
    assert!(report["summary"]["compared_resources"].as_u64() > Some(1));
}
