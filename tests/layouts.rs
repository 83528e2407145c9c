//! The repository layouts teams use, each end to end: one directory per
//! environment with env-named module labels, one root with per-environment
//! var files, workspaces, and environments as module instances in one root
//! (that last one is in tests/cli.rs).

mod common;

use common::{parity, tree};

fn findings(dir: &std::path::Path, args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let out = parity(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run parity");
    let code = out.status.code().unwrap_or(-1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (
        code,
        json["findings"].as_array().cloned().unwrap_or_default(),
    )
}

const ROUTER: &str = r#"
variable "name" {}
variable "size" {}
resource "aws_instance" "router" {
  ami           = "ami-12345678"
  instance_type = var.size
  tags = { Name = var.name }
}
"#;

#[test]
fn env_directories_with_env_named_module_labels_pair_by_normalization() {
    let dir = tree(&[
        ("modules/router/main.tf", ROUTER),
        (
            "envs/staging/main.tf",
            "module \"staging_router\" {\n  source = \"../../modules/router\"\n  name   = \"staging-router\"\n  size   = \"t3.small\"\n}\n",
        ),
        (
            "envs/prod/main.tf",
            "module \"production_router\" {\n  source = \"../../modules/router\"\n  name   = \"production-router\"\n  size   = \"t3.large\"\n}\n",
        ),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n[environments.prod]\naliases = [\"production\"]\nterraform = { root = \"envs/prod\" }\n",
        ),
    ]);
    let (code, f) = findings(dir.path(), &["diff", "staging", "prod"]);
    // Same module under two env-named labels: paired, sizes in one family.
    assert!(
        f.iter()
            .all(|x| x["rule"] != "resource-presence" && x["rule"] != "critical-resource-presence"),
        "{f:#?}"
    );
    assert_eq!(code, 0, "{f:#?}");
}

#[test]
fn module_labels_that_names_cannot_pair_are_matched_by_config() {
    let dir = tree(&[
        ("modules/router/main.tf", ROUTER),
        (
            "envs/staging/main.tf",
            "module \"edge\" {\n  source = \"../../modules/router\"\n  name   = \"a\"\n  size   = \"t3.small\"\n}\n",
        ),
        (
            "envs/prod/main.tf",
            "module \"gateway\" {\n  source = \"../../modules/router\"\n  name   = \"a\"\n  size   = \"m5.large\"\n}\n",
        ),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n[environments.prod]\nterraform = { root = \"envs/prod\" }\n[[match]]\nstaging = \"module.edge\"\nprod = \"module.gateway\"\n",
        ),
    ]);
    let (_, f) = findings(dir.path(), &["diff", "staging", "prod"]);
    // Paired by [[match]]: the instance family change is reported on the pair,
    // not as two one-sided resources.
    assert!(
        f.iter().any(|x| x["attribute"] == "instance_type"
            && x["resource"] == "module.edge.aws_instance.router"),
        "{f:#?}"
    );
    assert!(
        !f.iter()
            .any(|x| x["attribute"].is_null() && x["type"] == "aws_instance"),
        "{f:#?}"
    );
}

const ONE_ROOT: &str = r#"
variable "engine_version" {}
variable "multi_az" { default = false }
variable "instance_class" { default = "db.t3.small" }
resource "aws_db_instance" "db" {
  engine         = "postgres"
  engine_version = var.engine_version
  multi_az       = var.multi_az
  instance_class = var.instance_class
}
"#;

#[test]
fn one_root_with_several_var_files_per_environment_applied_in_order() {
    let dir = tree(&[
        ("main.tf", ONE_ROOT),
        (
            "variables/staging/common.tfvars",
            "engine_version = \"15.5\"\nmulti_az = true\n",
        ),
        (
            "variables/staging/rds.tfvars",
            "engine_version = \"15.7\"\n",
        ),
        (
            "variables/prod/common.tfvars",
            "engine_version = \"15.5\"\nmulti_az = true\n",
        ),
    ]);
    // By convention: variables/ENV/*.tfvars in name order, later files win.
    let (code, f) = findings(dir.path(), &["diff", "staging", "prod"]);
    assert_eq!(code, 2);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["rule"], "engine-version");
    assert_eq!(f[0]["left"], "15.7");
    assert_eq!(f[0]["right"], "15.5");
}

#[test]
fn one_root_with_var_files_from_config() {
    let dir = tree(&[
        ("main.tf", ONE_ROOT),
        ("env/staging.tfvars", "engine_version = \"15.5\"\n"),
        ("env/prod.tfvars", "engine_version = \"15.5\"\nmulti_az = true\n"),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \".\", var-files = [\"env/staging.tfvars\"] }\n[environments.prod]\nterraform = { root = \".\", var-files = [\"env/prod.tfvars\"], vars = { instance_class = \"db.t3.large\" } }\n",
        ),
    ]);
    let (code, f) = findings(dir.path(), &["diff", "staging", "prod"]);
    assert_eq!(code, 2);
    let rules: Vec<&str> = f
        .iter()
        .filter(|x| x["expected"] != true)
        .filter_map(|x| x["rule"].as_str())
        .collect();
    assert_eq!(rules, vec!["db-multi-az"], "{f:#?}");
}

#[test]
fn workspaces_select_values_from_maps() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
variable "environments" {
  type = map(object({ engine_version = string, azs = list(string) }))
}
locals {
  env = var.environments[terraform.workspace]
}
resource "aws_db_instance" "db" {
  engine         = "postgres"
  engine_version = local.env.engine_version
}
resource "aws_subnet" "private" {
  count             = length(local.env.azs)
  availability_zone = local.env.azs[count.index]
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index)
  vpc_id            = "vpc-1"
}
output "size" {
  value = lookup({ staging = "small", prod = "large" }, terraform.workspace, "none")
}
"#,
        ),
        (
            "terraform.tfvars.json",
            r#"{ "environments": {
  "staging": { "engine_version": "15.7", "azs": ["eu-west-1a", "eu-west-1b"] },
  "prod":    { "engine_version": "15.5", "azs": ["eu-west-1a", "eu-west-1b", "eu-west-1c"] } } }"#,
        ),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \".\", workspace = \"staging\" }\n[environments.prod]\nterraform = { root = \".\", workspace = \"prod\" }\n",
        ),
    ]);
    let (code, f) = findings(dir.path(), &["diff", "staging", "prod"]);
    assert_eq!(code, 2);
    assert!(
        f.iter()
            .any(|x| x["rule"] == "engine-version" && x["left"] == "15.7"),
        "{f:#?}"
    );
    assert!(
        f.iter()
            .any(|x| x["rule"] == "network-count" && x["left"] == "2" && x["right"] == "3"),
        "{f:#?}"
    );
}
