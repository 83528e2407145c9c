//! A module whose inside is read in one environment but not in the other
//! (a remote module not installed): the read side's resources under it are
//! not "only in" that side (the other side's are unknown, not absent), the
//! call's own source and ref findings stay, and the run is incomplete.

mod common;

use std::process::Output;

use common::{parity, tree};

/// (severity, rule, resource, message) of each finding of a JSON report.
fn findings(out: &Output) -> Vec<(String, String, String, String)> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("severity"), s("rule"), s("resource"), s("message"))
        })
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const PARITY_TF: &str = r#"
[environments.staging]
terraform = { root = "envs/staging" }

[environments.prod]
terraform = { root = "envs/prod" }
"#;

/// An IAM role (iam-presence), a web ACL and two counted log groups
/// (resource-presence, `@count`): every kind of presence finding.
const WAF: &str = r#"
variable "name" {
  type = string
}

resource "aws_wafv2_web_acl" "this" {
  name  = var.name
  scope = "REGIONAL"
  default_action {
    allow {}
  }
}

resource "aws_iam_role" "logs" {
  name               = "${var.name}-waf-logs"
  assume_role_policy = "{}"
}

resource "aws_cloudwatch_log_group" "waf" {
  count = 2
  name  = "aws-waf-logs-${var.name}-${count.index}"
}

module "inner" {
  source = "./inner"
}

output "arn" {
  value = aws_wafv2_web_acl.this.arn
}
"#;

const INNER: &str = r#"
resource "aws_sns_topic" "alerts" {
  name = "alerts"
}
"#;

fn root(source: &str) -> String {
    format!(
        r#"
module "waf" {{
  source = "{source}"
  name   = "shop"
}}

resource "aws_lb" "web" {{
  name               = "shop-web"
  load_balancer_type = "application"
  # web_acl = module.waf.arn
}}
"#
    )
}

#[test]
fn a_local_module_against_an_uninstalled_remote_one_reports_only_the_call() {
    let staging = root("../../modules/waf");
    let prod = root("git::https://example.com/waf.git?ref=v1.0.0");
    let dir = tree(&[
        ("parity.toml", PARITY_TF),
        ("modules/waf/main.tf", WAF),
        ("modules/waf/inner/main.tf", INNER),
        ("envs/staging/main.tf", &staging),
        ("envs/prod/main.tf", &prod),
    ]);
    for (left, right) in [("staging", "prod"), ("prod", "staging")] {
        let out = parity(dir.path())
            .args(["diff", left, right, "--format", "json"])
            .output()
            .expect("run");
        let found = findings(&out);
        // The module's resources (and the module call inside it) are not
        // judged one-sided, in either order.
        assert!(
            found
                .iter()
                .all(|(_, rule, res, msg)| !rule.contains("presence")
                    && !rule.contains("count")
                    && !msg.starts_with("only in")
                    && !res.starts_with("module.waf.")),
            "{found:#?}"
        );
        // The call itself still differs: local against git, and a ref.
        let rules: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
        assert_eq!(
            rules,
            ["module-ref", "module-source", "module-source"],
            "{found:#?}"
        );
        assert!(found.iter().all(|f| f.2 == "module.waf"), "{found:#?}");
        // Errors found: 2, as before; the gap is still reported.
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        // A ref set on one side only is not the module present on one side
        // only: no root cause says so.
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
        let modules: Vec<&serde_json::Value> = report["root_causes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["kind"] == "module")
            .collect();
        assert!(modules.is_empty(), "{modules:#?}");
    }
    let text = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("run");
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("prod: module.waf: module source `git::https://example.com/waf.git?ref=v1.0.0` is not local and not installed here"),
        "{shown}"
    );
}

#[test]
fn the_same_remote_module_installed_on_one_side_only_is_incomplete_not_different() {
    let source = "git::https://example.com/waf.git?ref=v1.0.0";
    let modules_json = format!(
        r#"{{"Modules": [{{"Key": "", "Source": "", "Dir": "."}},
  {{"Key": "waf", "Source": "{source}", "Dir": ".terraform/modules/waf"}},
  {{"Key": "waf.inner", "Source": "./inner", "Dir": ".terraform/modules/waf/inner"}}]}}"#
    );
    let main = root(source);
    let dir = tree(&[
        ("parity.toml", PARITY_TF),
        ("envs/staging/main.tf", &main),
        (
            "envs/staging/.terraform/modules/modules.json",
            &modules_json,
        ),
        ("envs/staging/.terraform/modules/waf/main.tf", WAF),
        ("envs/staging/.terraform/modules/waf/inner/main.tf", INNER),
        ("envs/prod/main.tf", &main),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(findings(&out), [], "{}", stderr(&out));
    // Nothing differs that is known; prod's module is not read: incomplete.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // The same through snapshot files: the list of what was not read
    // travels with the snapshot.
    for env in ["staging", "prod"] {
        let written = parity(dir.path())
            .args(["snapshot", env, "-o", &format!("{env}.json")])
            .output()
            .expect("run");
        assert!(
            matches!(written.status.code(), Some(0 | 3)),
            "{}",
            stderr(&written)
        );
    }
    let prod_snap = std::fs::read_to_string(dir.path().join("prod.json")).expect("prod.json");
    let doc: serde_json::Value = serde_json::from_str(&prod_snap).expect("json");
    assert_eq!(doc["unread"], serde_json::json!(["module.waf"]));
    let staging_snap =
        std::fs::read_to_string(dir.path().join("staging.json")).expect("staging.json");
    assert!(!staging_snap.contains("\"unread\""), "{staging_snap}");
    let out = parity(dir.path())
        .args(["diff", "staging.json", "prod.json", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(findings(&out), [], "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn a_resource_beside_the_unread_module_is_still_one_sided() {
    // Only what lies under `module.waf` is unknown: a resource whose name
    // merely starts the same (`module.waffle`), or outside any module, is
    // still reported as only in staging.
    let prod = root("git::https://example.com/waf.git?ref=v1.0.0");
    let staging = format!(
        "{}\nmodule \"waffle\" {{\n  source = \"../../modules/waffle\"\n}}\nresource \"aws_iam_role\" \"extra\" {{\n  name = \"extra\"\n  assume_role_policy = \"{{}}\"\n}}\n",
        root("git::https://example.com/waf.git?ref=v1.0.0")
    );
    let dir = tree(&[
        ("parity.toml", PARITY_TF),
        ("modules/waffle/main.tf", INNER),
        ("envs/staging/main.tf", &staging),
        ("envs/prod/main.tf", &prod),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    let found = findings(&out);
    let one_sided: Vec<&str> = found
        .iter()
        .filter(|f| f.3 == "only in staging")
        .map(|f| f.2.as_str())
        .collect();
    assert_eq!(
        one_sided,
        [
            "aws_iam_role.extra",
            "module.waffle",
            "module.waffle.aws_sns_topic.alerts"
        ],
        "{found:#?}"
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

const PARITY_TG: &str = r#"
[environments.dev]
terragrunt = { root = "live/dev" }

[environments.prod]
terragrunt = { root = "live/prod" }
"#;

const APP: &str = r#"
module "logs" {
  source = "git::https://example.com/logs.git?ref=v2"
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
"#;

const NET: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
"#;

const NET_UNIT: &str = r#"
terraform {
  source = "../../../modules/net"
}
"#;

#[test]
fn a_terragrunt_unit_whose_module_is_not_installed_on_one_side_reports_only_its_source() {
    let dir = tree(&[
        ("parity.toml", PARITY_TG),
        ("modules/app/main.tf", APP),
        ("modules/net/main.tf", NET),
        (
            "live/dev/app/terragrunt.hcl",
            "terraform {\n  source = \"../../../modules/app\"\n}\n",
        ),
        (
            "live/prod/app/terragrunt.hcl",
            "terraform {\n  source = \"git::https://example.com/app.git//app?ref=v1\"\n}\n",
        ),
        // A unit nested in `app` is not under `app`'s module: still
        // compared, and its one-sided resources still reported.
        (
            "live/dev/app/api/terragrunt.hcl",
            "terraform {\n  source = \"../../../../modules/net\"\n}\n",
        ),
        ("live/dev/net/terragrunt.hcl", NET_UNIT),
        ("live/prod/net/terragrunt.hcl", NET_UNIT),
    ]);
    let out = parity(dir.path())
        .args(["diff", "dev", "prod", "--format", "json"])
        .output()
        .expect("run");
    let found = findings(&out);
    let shown: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|f| (f.1.as_str(), f.2.as_str(), f.3.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (
                "critical-resource-presence",
                "app/api/aws_vpc.main",
                "only in dev"
            ),
            (
                "resource-presence",
                "app/api/terraform.source",
                "only in dev"
            ),
            ("module-ref", "app/terraform.source", "set only in prod: v1"),
            (
                "module-source",
                "app/terraform.source",
                "differs: ./modules/app vs git::https://example.com/app.git//app"
            ),
            (
                "module-source",
                "app/terraform.source",
                "differs: local vs git"
            ),
        ],
        "{found:#?}"
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // The unit's own gap (a module call not installed inside it) is named
    // under the unit, like its resources.
    let text = parity(dir.path())
        .args(["diff", "dev", "prod"])
        .output()
        .expect("run");
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("dev: app/module.logs: module source `git::https://example.com/logs.git?ref=v2` is not local"),
        "{shown}"
    );
    assert!(
        shown.contains("prod: live/prod/app/terragrunt.hcl:2: module source `git::https://example.com/app.git//app?ref=v1` not installed"),
        "{shown}"
    );
}
