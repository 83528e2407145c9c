//! `parity init` on Terragrunt live repositories whose environment is picked
//! by `get_env`: the names that select the environment get each
//! environment's value in its `env` table, the others stay commented out;
//! a single tree picked by `get_env` becomes one environment per value.
//! The generated parity.toml is pinned (insta), then `parity check` runs
//! on it.

mod common;

use std::path::Path;

use common::{parity, tree};

/// `parity init --stdout` in `dir`: exit 0; the text written.
fn init(dir: &Path) -> String {
    let out = parity(dir)
        .args(["init", "--stdout"])
        .output()
        .expect("run parity");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("parity.toml"), &text).expect("write parity.toml");
    text
}

/// `parity check --format json` in `dir`: the exit code and the reports.
fn check(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let out = parity(dir)
        .args(["check", "--format", "json"])
        .output()
        .expect("run parity");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

const MODULE: &str = r#"variable "size" {}
variable "stage" {}

resource "aws_sqs_queue" "jobs" {
  name          = "jobs-${var.stage}"
  delay_seconds = var.size
}
"#;

/// A unit whose module source is picked like cds-snc/notification-terraform's:
/// released code in production when asked, the local module otherwise.
const UNIT: &str = r#"include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = (get_env("DEPLOY_TARGET") == "production" && get_env("USE_RELEASE", "false") == "true") ? "git::https://example.com/infra.git//modules/app?ref=v${get_env("INFRA_VERSION")}" : "../../../modules//app"
}
"#;

#[test]
fn names_that_pick_the_environment_get_each_trees_directory_name() {
    let dir = tree(&[
        ("modules/app/main.tf", MODULE),
        (
            "env/root.hcl",
            // DEPLOY_TARGET is in a path whose file exists per environment;
            // STAGE only looks like an environment name; ENV is named like
            // one but compared with something no environment is called.
            "locals {\n  cfg = jsondecode(read_tfvars_file(\"${get_parent_terragrunt_dir()}/${get_env(\"DEPLOY_TARGET\")}_config.tfvars\"))\n  blue = get_env(\"ENV\", \"green\") == \"blue\"\n}\n\ninputs = merge(local.cfg, { stage = get_env(\"STAGE\") })\n",
        ),
        ("env/dev_config.tfvars", "size = 1\n"),
        ("env/production_config.tfvars", "size = 5\n"),
        ("env/dev/app/terragrunt.hcl", UNIT),
        ("env/production/app/terragrunt.hcl", UNIT),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_get_env_selects_the_tree", text);
    for want in [
        "terragrunt = { root = \"env/dev\", env = { DEPLOY_TARGET = \"dev\", STAGE = \"dev\" } }",
        "terragrunt = { root = \"env/production\", env = { DEPLOY_TARGET = \"production\", STAGE = \"production\" } }",
        // Evidence first: the path names env/dev_config.tfvars.
        "`get_env(\"DEPLOY_TARGET\")` picks the environment: env/root.hcl:2 reads",
        // The name alone, when the files say nothing else.
        "`get_env(\"STAGE\")` picks the environment: its name says it is the environment",
        // Named like one, used otherwise: left to the user.
        "`ENV`: its uses fit no environment name (env/root.hcl:3 compares it with \"blue\")",
        "# terragrunt = { root = \"env/dev\", env = { DEPLOY_TARGET = \"dev\", STAGE = \"dev\", ENV = \"...\", INFRA_VERSION = \"...\", USE_RELEASE = \"...\" } }",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
    // The selector is set: check compares the queue with each environment's
    // size, and no get_env of DEPLOY_TARGET or STAGE is left unknown.
    let (code, reports) = check(dir.path());
    // One pair: a single report (several: an array).
    let report = if reports.is_array() {
        &reports[0]
    } else {
        &reports
    };
    let dump = report.to_string();
    assert!(!dump.contains("get_env(\\\"DEPLOY_TARGET\\\")"), "{dump}");
    assert!(!dump.contains("get_env(\\\"STAGE\\\")"), "{dump}");
    assert_eq!(report["summary"]["compared_resources"], 2, "{report:#}");
    assert!(
        dump.contains("delay_seconds"),
        "the size from each *_config.tfvars differs: {report:#}"
    );
    // Complete: nothing unknown, the size difference (1 vs 5) a warning.
    assert_eq!(
        report["summary"]["incomplete"],
        serde_json::json!([]),
        "{report:#}"
    );
    assert_eq!(report["summary"]["warnings"], 1, "{report:#}");
    assert_eq!(code, Some(0), "{report:#}");
}

#[test]
fn one_tree_picked_by_get_env_becomes_one_environment_per_value() {
    let dir = tree(&[
        ("modules/app/main.tf", MODULE),
        (
            "terragrunt.hcl",
            "locals {\n  cfg      = jsondecode(read_tfvars_file(\"${get_terragrunt_dir()}/${get_env(\"ENVIRONMENT\")}_config.tfvars\"))\n  prod     = get_env(\"ENVIRONMENT\") == \"production\"\n  override = fileexists(\"${get_env(\"ENVIRONMENT\")}.tfvars\")\n  region   = get_env(\"AWS_REGION\", \"ca-central-1\")\n}\n\nterraform {\n  source = \"./modules//app\"\n}\n\ninputs = merge(local.cfg, { stage = get_env(\"ENVIRONMENT\") })\n",
        ),
        ("staging_config.tfvars", "size = 1\n"),
        ("production_config.tfvars", "size = 5\n"),
        // Beside `.tfvars` alone only an environment word is a value:
        // not `common`, not `staging_config`.
        ("common.tfvars", "x = 1\n"),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_get_env_splits_one_tree", text);
    for want in [
        "[environments.staging]\n# account-id = \"123456789012\"\n# env: `ENVIRONMENT` picks the environment (see the notes above)\nterragrunt = { root = \".\", env = { ENVIRONMENT = \"staging\" } }",
        "[environments.production]\n# account-id = \"123456789012\"\n# env: `ENVIRONMENT` picks the environment (see the notes above)\nterragrunt = { root = \".\", env = { ENVIRONMENT = \"production\" } }",
        "[[check]]\nreference = \"production\"\ncompare = [\"staging\"]",
        "# terragrunt = { root = \".\", env = { ENVIRONMENT = \"staging\", AWS_REGION = \"...\" } }",
        // AWS_REGION is always read with a default.
        "`AWS_REGION`: nothing in the files says its value; every read gives a default",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
    assert!(!text.contains("[environments.common]"), "{text}");
    assert!(!text.contains("staging_config]"), "{text}");
    let (code, reports) = check(dir.path());
    // One pair: a single report (several: an array).
    let report = if reports.is_array() {
        &reports[0]
    } else {
        &reports
    };
    assert_eq!(report["summary"]["compared_resources"], 2, "{report:#}");
    assert!(!report.to_string().contains("get_env"), "{report:#}");
    // Complete: nothing unknown, the size difference (1 vs 5) a warning.
    assert_eq!(
        report["summary"]["incomplete"],
        serde_json::json!([]),
        "{report:#}"
    );
    assert_eq!(report["summary"]["warnings"], 1, "{report:#}");
    assert_eq!(code, Some(0), "{report:#}");
}

#[test]
fn without_evidence_or_an_environment_name_nothing_is_guessed() {
    let dir = tree(&[
        ("modules/app/main.tf", MODULE),
        (
            "terragrunt.hcl",
            "terraform {\n  source = \"./modules//app\"\n}\n\ninputs = { size = 1, stage = get_env(\"TEAM\") }\n",
        ),
    ]);
    let text = init(dir.path());
    assert!(
        text.contains("terragrunt = { root = \".\" }\n# terragrunt = { root = \".\", env = { TEAM = \"...\" } }"),
        "{text}"
    );
    assert!(
        text.contains("`TEAM`: nothing in the files says its value)"),
        "{text}"
    );
}
