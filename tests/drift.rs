//! `parity drift ENV`: the environment's code against its state.

mod common;

use std::path::Path;

use common::{parity, shop, tree};
use serde_json::Value as Json;

fn run(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = parity(dir).args(args).output().expect("run parity");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn drift_json(dir: &Path, env: &str, extra: &[&str]) -> (Json, i32) {
    let mut args = vec!["drift", env, "--format", "json"];
    args.extend(extra);
    let (stdout, stderr, code) = run(dir, &args);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (v, code)
}

fn summary(report: &Json) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    format!(
                        "{} {} {} {} → {}",
                        f["rule"].as_str().unwrap_or(""),
                        f["resource"].as_str().unwrap_or(""),
                        f["attribute"].as_str().unwrap_or("-"),
                        f["left"].as_str().unwrap_or("(absent)"),
                        f["right"].as_str().unwrap_or("(absent)"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn staging_drift_finds_the_planted_differences() {
    let (report, code) = drift_json(&shop(), "staging", &[]);
    assert_eq!(
        summary(&report),
        vec![
            "resource-presence module.app.aws_cloudwatch_log_group.worker - (absent) → present",
            "resource-presence module.app.aws_s3_bucket_public_access_block.assets - present → (absent)",
            "instance-size module.database.aws_db_instance.main instance_class db.t3.medium → db.t3.large",
        ]
    );
    assert_eq!(report["source"], "drift");
    assert_eq!(
        report["environments"],
        serde_json::json!(["staging (code)", "staging (state)"])
    );
    // Without an `aws` table drift is two-way, and says so; every finding
    // is between code and state.
    assert_eq!(
        report["summary"]["notes"],
        serde_json::json!([
            "two-way drift (code and state): environment `staging` has no `aws` table in parity.toml, so its AWS account is not read"
        ])
    );
    for f in report["findings"].as_array().into_iter().flatten() {
        assert_eq!(f["between"], "code/state", "{f:#}");
        assert!(f.get("label").is_none(), "{f:#}");
    }
    let class = &report["findings"][2]["locations"];
    assert_eq!(class["staging (code)"], "modules/database/main.tf:73");
    assert_eq!(class["staging (state)"], "state/staging.tfstate:1091");
    // Warnings only, and parity not proven (the remote WAF module, the
    // cache stack): exit 3 at the default --fail-on error …
    assert_eq!(code, 3);
    let incomplete = report["summary"]["incomplete"].to_string();
    assert!(incomplete.contains("module.waf"), "{incomplete}");
    assert!(
        incomplete
            .contains("state/staging-cache.tfstate: holds none of the resources the code declares"),
        "{incomplete}"
    );
    // … and a failure once warnings count.
    let (_, code) = drift_json(&shop(), "staging", &["--fail-on", "warning"]);
    assert_eq!(code, 2);
}

#[test]
fn prod_has_no_drift_as_terraform_plan_says() {
    // `terraform plan -refresh=false` on envs/prod with state/prod.tfstate
    // reports "No changes"; parity agrees.
    let (report, code) = drift_json(&shop(), "prod", &[]);
    assert_eq!(summary(&report), Vec::<String>::new());
    assert_eq!(code, 3);
    assert!(
        report["summary"]["compared_attributes"]
            .as_u64()
            .unwrap_or(0)
            > 500
    );
}

#[test]
fn drift_table_snapshot() {
    let (stdout, _, code) = run(&shop(), &["drift", "staging"]);
    assert_eq!(code, 3);
    insta::assert_snapshot!("shop_drift_table", stdout);
}

const MAIN_TF: &str = r#"
resource "aws_vpc" "main" {
  cidr_block           = "10.10.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name = "shop-staging-vpc"
  }
}

resource "aws_security_group" "db" {
  name   = "shop-staging-db"
  vpc_id = aws_vpc.main.id

  ingress {
    description = "PostgreSQL"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.10.0.0/16"]
  }
}

resource "aws_ecs_service" "app" {
  name          = "app"
  desired_count = 2
}
"#;

fn state(ingress_cidr: &str, desired: u32, tag: &str) -> String {
    format!(
        r#"{{
  "version": 4,
  "terraform_version": "1.11.4",
  "serial": 5,
  "lineage": "l",
  "outputs": {{}},
  "resources": [
    {{
      "mode": "managed",
      "type": "aws_ecs_service",
      "name": "app",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{
          "schema_version": 0,
          "attributes": {{
            "id": "arn:aws:ecs:eu-west-1:111111111111:service/shop/app",
            "name": "app",
            "desired_count": {desired},
            "launch_type": "FARGATE",
            "platform_version": "LATEST"
          }},
          "sensitive_attributes": []
        }}
      ]
    }},
    {{
      "mode": "managed",
      "type": "aws_security_group",
      "name": "db",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{
          "schema_version": 1,
          "attributes": {{
            "id": "sg-0123456789abcdef0",
            "name": "shop-staging-db",
            "description": "Managed by Terraform",
            "vpc_id": "vpc-0a1b2c3d4e5f60718",
            "egress": [],
            "ingress": [
              {{
                "cidr_blocks": ["{ingress_cidr}"],
                "description": "PostgreSQL",
                "from_port": 5432,
                "ipv6_cidr_blocks": [],
                "prefix_list_ids": [],
                "protocol": "tcp",
                "security_groups": [],
                "self": false,
                "to_port": 5432
              }}
            ]
          }},
          "sensitive_attributes": [],
          "dependencies": ["aws_vpc.main"]
        }}
      ]
    }},
    {{
      "mode": "managed",
      "type": "aws_vpc",
      "name": "main",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{
          "schema_version": 1,
          "attributes": {{
            "id": "vpc-0a1b2c3d4e5f60718",
            "arn": "arn:aws:ec2:eu-west-1:111111111111:vpc/vpc-0a1b2c3d4e5f60718",
            "cidr_block": "10.10.0.0/16",
            "enable_dns_hostnames": true,
            "enable_dns_support": true,
            "instance_tenancy": "default",
            "tags": {{ "Name": "{tag}" }},
            "tags_all": {{ "Name": "{tag}", "ManagedBy": "terraform" }}
          }},
          "sensitive_attributes": []
        }}
      ]
    }}
  ],
  "check_results": null
}}
"#
    )
}

fn project(state_text: &str) -> tempfile::TempDir {
    tree(&[
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\nstate = { path = \"staging.tfstate\" }\n",
        ),
        ("envs/staging/main.tf", MAIN_TF),
        ("staging.tfstate", state_text),
    ])
}

#[test]
fn what_code_leaves_open_is_not_drift() {
    // Defaults the provider filled in (description, egress, tenancy,
    // tags_all, ids), a reference resolved to an id: no drift.
    let dir = project(&state("10.10.0.0/16", 2, "shop-staging-vpc"));
    let (report, code) = drift_json(dir.path(), "staging", &[]);
    assert_eq!(summary(&report), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn changes_outside_code_are_drift_even_where_environments_may_differ() {
    // Between environments a desired count, a name tag or a CIDR may differ;
    // between code and state they are drift.
    let dir = project(&state("0.0.0.0/0", 5, "hand-edited"));
    let (report, code) = drift_json(dir.path(), "staging", &[]);
    let found = summary(&report);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("security-group-rules aws_security_group.db ingress"),
        "{found:#?}"
    );
    assert!(found[0].ends_with(r#"→ [{"cidr_blocks":["0.0.0.0/0"],"description":"PostgreSQL","from_port":5432,"protocol":"tcp","to_port":5432}]"#), "{found:#?}");
    assert_eq!(found[1], "capacity aws_ecs_service.app desired_count 2 → 5");
    assert_eq!(
        found[2],
        "environment-tags aws_vpc.main tags.Name shop-${env}-vpc → hand-edited"
    );
    let severities: Vec<&str> = report["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["severity"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(severities, vec!["error", "warning", "warning"]);
    assert_eq!(code, 2);
}

#[test]
fn drift_needs_a_state() {
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n",
        ),
        ("envs/staging/main.tf", MAIN_TF),
    ]);
    let (_, stderr, code) = run(dir.path(), &["drift", "staging"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("environment `staging` has no state file"),
        "{stderr}"
    );
    let (_, stderr, code) = run(dir.path(), &["drift", "nope"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown environment `nope`"), "{stderr}");
}
