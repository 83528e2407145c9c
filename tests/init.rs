//! `parity init` end to end, one test per layout: the file is written, its
//! content is pinned (insta), it loads with the strict loader, `parity diff`
//! (or `parity check`) runs on it, and a second `init` refuses to overwrite.

mod common;

use std::path::Path;

use common::{parity, shop, tree};
use predicates::prelude::*;

/// Copy a directory tree (fixtures are never changed in place).
fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

/// fixtures/shop without its parity.toml.
fn shop_without_config() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    copy(&shop(), dir.path());
    std::fs::remove_file(dir.path().join("parity.toml")).expect("rm parity.toml");
    dir
}

/// `parity init` in `dir`: exit 0, the summary on stderr, nothing on
/// stdout; returns the file written, after checking it loads.
fn init(dir: &Path) -> String {
    let out = parity(dir).arg("init").assert().code(0);
    let o = out.get_output();
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.starts_with("wrote parity.toml: "), "{stderr}");
    let path = dir.join("parity.toml");
    let text = std::fs::read_to_string(&path).expect("parity.toml written");
    let config = parity::config::load(&path)
        .unwrap_or_else(|e| panic!("the written parity.toml does not load: {e}\n{text}"));
    assert!(!config.environments.is_empty());
    text
}

/// A second `init` refuses (exit 1, one clear sentence) and leaves the file.
fn second_init_refuses(dir: &Path) {
    let path = dir.join("parity.toml");
    let before = std::fs::read(&path).expect("read");
    parity(dir)
        .arg("init")
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::eq(
            "error: parity.toml already exists: `parity init` does not overwrite it (--force replaces it, --stdout prints the proposal instead)\n",
        ));
    assert_eq!(std::fs::read(&path).expect("read"), before);
}

fn json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = parity(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run parity");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn shop_init_writes_the_config_a_person_would_and_check_runs_on_it() {
    let dir = shop_without_config();
    let text = init(dir.path());
    insta::assert_snapshot!("init_shop", text);
    // The check it writes gives the same report as the hand-written config.
    let (code, ours) = json(dir.path(), &["check"]);
    let (their_code, theirs) = json(&shop(), &["check"]);
    assert_eq!(code, 2);
    assert_eq!(code, their_code);
    assert_eq!(ours, theirs);
    // State files and plans were found: the state and plan sources run too.
    let (code, state) = json(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
    );
    assert_eq!(code, 2, "{state:#}");
    assert_eq!(state["source"], "state");
    parity(dir.path())
        .args(["drift", "prod"])
        .assert()
        .code(predicate::in_iter([0, 2, 3]));
    second_init_refuses(dir.path());
}

#[test]
fn force_overwrites_and_stdout_writes_nothing() {
    let dir = shop_without_config();
    std::fs::write(dir.path().join("parity.toml"), "# mine\n").expect("write");
    // --stdout: the proposal on stdout, the existing file untouched.
    let out = parity(dir.path())
        .args(["init", "--stdout"])
        .assert()
        .code(0)
        .stderr(predicate::str::starts_with(
            "would write parity.toml: 2 environments",
        ));
    let printed = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(printed.contains("[[check]]\nreference = \"prod\"\ncompare = [\"staging\"]"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("parity.toml")).expect("read"),
        "# mine\n"
    );
    // --dry-run is the same flag.
    parity(dir.path())
        .args(["init", "--dry-run"])
        .assert()
        .code(0)
        .stdout(printed.clone());
    // --force replaces the file with exactly what --stdout showed.
    parity(dir.path())
        .args(["init", "--force", "-q"])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("parity.toml")).expect("read"),
        printed
    );
}

#[test]
fn config_flag_names_the_directory_to_initialise() {
    let dir = shop_without_config();
    let elsewhere = tempfile::tempdir().expect("tmp");
    parity(elsewhere.path())
        .arg("-C")
        .arg(dir.path())
        .arg("init")
        .assert()
        .code(0);
    assert!(dir.path().join("parity.toml").is_file());
    assert!(!elsewhere.path().join("parity.toml").exists());
    // And a file name: written under that name, in that directory.
    std::fs::remove_file(dir.path().join("parity.toml")).expect("rm");
    parity(elsewhere.path())
        .arg("-C")
        .arg(dir.path().join("ci.toml"))
        .arg("init")
        .assert()
        .code(0);
    let written = dir.path().join("ci.toml");
    assert!(written.is_file());
    parity::config::load(&written).expect("loads");
    // A directory that does not exist: exit 1, named.
    parity(elsewhere.path())
        .args(["-C", "no/such/dir", "init"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/dir is not a directory"));
}

#[test]
fn nothing_to_find_is_an_error_naming_the_conventions() {
    let dir = tree(&[
        ("README.md", "no terraform here\n"),
        ("modules/x/main.tf", ""),
    ]);
    parity(dir.path())
        .arg("init")
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("no environments found in").and(
                predicate::str::contains("envs/<env>/")
                    .and(predicate::str::contains("terraform.workspace")),
            ),
        );
    assert!(!dir.path().join("parity.toml").exists());
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
fn env_directories_with_var_files_inside_and_a_qa_environment() {
    let dir = tree(&[
        ("modules/router/main.tf", ROUTER),
        (
            "environments/staging/main.tf",
            "variable \"size\" {}\nmodule \"router\" {\n  source = \"../../modules/router\"\n  name   = \"staging-router\"\n  size   = var.size\n}\n",
        ),
        ("environments/staging/staging.tfvars", "size = \"t3.small\"\n"),
        (
            "environments/production/main.tf",
            "variable \"size\" {}\nmodule \"router\" {\n  source = \"../../modules/router\"\n  name   = \"production-router\"\n  size   = var.size\n}\n",
        ),
        ("environments/production/production.tfvars", "size = \"t3.large\"\n"),
        (
            "environments/qa/main.tf",
            "module \"router\" {\n  source = \"../../modules/router\"\n  name   = \"qa-router\"\n  size   = \"t3.small\"\n}\nprovider \"aws\" {\n  region = \"us-east-1\"\n}\n",
        ),
        ("environments/production/terraform.tfstate", "{}"),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_environments_dirs", text);
    assert!(text.contains("reference = \"production\"\ncompare = [\"qa\", \"staging\"]"));
    let (code, report) = json(dir.path(), &["diff", "staging", "production"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["environments"][1], "production");
    // The check runs both pairs.
    let (code, reports) = json(dir.path(), &["check"]);
    assert_eq!(code, 0, "{reports:#}");
    assert_eq!(reports.as_array().map(Vec::len), Some(2));
    second_init_refuses(dir.path());
}

#[test]
fn top_level_environment_directories() {
    let dir = tree(&[
        ("modules/router/main.tf", ROUTER),
        (
            "staging/main.tf",
            "module \"staging_router\" {\n  source = \"../modules/router\"\n  name   = \"staging-router\"\n  size   = \"t3.small\"\n}\n",
        ),
        (
            "prod/main.tf",
            "module \"prod_router\" {\n  source = \"../modules/router\"\n  name   = \"prod-router\"\n  size   = \"m5.large\"\n}\n",
        ),
        ("tests/main.tf", "# terratest fixture, not an environment\n"),
        ("state/prod.tfstate", "{}"),
        ("state/prod-network.tfstate", "{}"),
        ("state/staging.plan.json", "{}"),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_top_level_dirs", text);
    assert!(!text.contains("[environments.tests]"));
    let (code, report) = json(dir.path(), &["diff", "staging", "prod"]);
    // Same module under env-named labels, paired; the size family differs
    // (a warning: below the default fail-on).
    assert_eq!(code, 0, "{report:#}");
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["attribute"] == "instance_type"));
    second_init_refuses(dir.path());
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
fn one_root_with_variables_directories_applied_in_name_order() {
    let dir = tree(&[
        ("main.tf", ONE_ROOT),
        (
            "variables/staging/common.tfvars",
            "engine_version = \"15.5\"\nmulti_az = true\n",
        ),
        ("variables/staging/rds.tfvars", "engine_version = \"15.7\"\n"),
        (
            "variables/prod/common.tfvars",
            "engine_version = \"15.5\"\nmulti_az = true\naccount_id = \"222222222222\"\nregion = \"eu-central-1\"\n",
        ),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_variables_dirs", text);
    assert!(text.contains(
        "var-files = [\"variables/staging/common.tfvars\", \"variables/staging/rds.tfvars\"]"
    ));
    let (code, report) = json(dir.path(), &["diff", "staging", "prod"]);
    assert_eq!(code, 2);
    let f = report["findings"].as_array().expect("findings");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["rule"], "engine-version");
    assert_eq!(f[0]["left"], "15.7");
    second_init_refuses(dir.path());
}

#[test]
fn one_root_with_env_tfvars_files_and_json() {
    let dir = tree(&[
        ("main.tf", ONE_ROOT),
        ("env/staging.tfvars", "engine_version = \"15.5\"\n"),
        (
            "env/prod.tfvars.json",
            "{ \"engine_version\": \"15.5\", \"multi_az\": true, \"instance_class\": \"db.t3.large\" }",
        ),
        ("dev.tfvars", "engine_version = \"16.1\"\n"),
        // Not an environment: no environment-like name, and Terraform's own.
        ("common.tfvars", "engine_version = \"15.5\"\n"),
        ("terraform.tfvars", "multi_az = false\n"),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_env_tfvars", text);
    assert!(!text.contains("[environments.common]"));
    assert!(!text.contains("[environments.terraform]"));
    let (code, reports) = json(dir.path(), &["check"]);
    assert_eq!(code, 2, "{reports:#}");
    let pairs: Vec<(String, String)> = reports
        .as_array()
        .expect("one report per pair")
        .iter()
        .map(|r| {
            (
                r["environments"][0].as_str().unwrap_or("").to_string(),
                r["environments"][1].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("dev".to_string(), "prod".to_string()),
            ("staging".to_string(), "prod".to_string())
        ]
    );
    let (_, staging) = json(dir.path(), &["diff", "staging", "prod"]);
    let rules: Vec<&str> = staging["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|x| x["expected"] != true)
        .filter_map(|x| x["rule"].as_str())
        .collect();
    assert_eq!(rules, vec!["db-multi-az"], "{staging:#}");
    second_init_refuses(dir.path());
}

const WORKSPACES: &str = r#"
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
  value = terraform.workspace == "sandbox" ? "tiny" : "large"
}
"#;

#[test]
fn workspaces_from_maps_comparisons_and_state_directories() {
    let dir = tree(&[
        ("main.tf", WORKSPACES),
        (
            "terraform.tfvars.json",
            r#"{ "environments": {
  "staging": { "engine_version": "15.7", "azs": ["eu-west-1a", "eu-west-1b"], "region": "eu-west-1" },
  "prod":    { "engine_version": "15.5", "azs": ["eu-west-1a", "eu-west-1b", "eu-west-1c"], "account_id": "222222222222" },
  "sandbox": { "engine_version": "15.5", "azs": ["eu-west-1a"] } } }"#,
        ),
        ("terraform.tfstate.d/staging/terraform.tfstate", "{}"),
        ("terraform.tfstate.d/default/terraform.tfstate", "{}"),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_workspaces", text);
    assert!(text.contains("terraform = { root = \".\", workspace = \"prod\" }"));
    let (code, report) = json(dir.path(), &["diff", "staging", "prod"]);
    assert_eq!(code, 2, "{report:#}");
    let f = report["findings"].as_array().expect("findings");
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
    second_init_refuses(dir.path());
}

#[test]
fn workspaces_named_only_by_their_state_directories() {
    let dir = tree(&[
        ("main.tf", "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"shop-${terraform.workspace}-assets\"\n}\n"),
        ("terraform.tfstate.d/blue/terraform.tfstate", "{}"),
        ("terraform.tfstate.d/green/terraform.tfstate", "{}"),
    ]);
    let text = init(dir.path());
    insta::assert_snapshot!("init_workspaces_state_only", text);
    // Neither name looks like production: the note says which one was chosen.
    assert!(text.contains("# - no environment is named like production: `blue`"));
    let (code, report) = json(dir.path(), &["diff", "green", "blue"]);
    assert_eq!(code, 0, "{report:#}");
}

/// A fixture without its parity.toml.
fn fixture_without_config(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    copy(&common::repo().join("fixtures").join(name), dir.path());
    std::fs::remove_file(dir.path().join("parity.toml")).expect("rm parity.toml");
    dir
}

/// The findings of a `check` report, as (rule, resource, attribute).
fn findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let reports = match report {
        serde_json::Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    let mut out: Vec<(String, String, String)> = reports
        .iter()
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("rule"), s("resource"), s("attribute"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn cloudformation_template_with_parameter_files() {
    let dir = fixture_without_config("cfn-shop");
    let text = init(dir.path());
    insta::assert_snapshot!("init_cloudformation", text);
    // The same planted differences as the hand-written configuration.
    let (code, ours) = json(dir.path(), &["check"]);
    let (their_code, theirs) = json(&common::repo().join("fixtures/cfn-shop"), &["check"]);
    assert_eq!(code, 2, "{ours:#}");
    assert_eq!(code, their_code);
    assert!(!findings(&ours).is_empty());
    assert_eq!(findings(&ours), findings(&theirs));
    second_init_refuses(dir.path());
}

#[test]
fn cdk_app_one_environment_per_stage() {
    let dir = fixture_without_config("cdk-shop");
    let text = init(dir.path());
    insta::assert_snapshot!("init_cdk", text);
    let (code, ours) = json(dir.path(), &["check"]);
    let (their_code, theirs) = json(&common::repo().join("fixtures/cdk-shop"), &["check"]);
    assert_eq!(code, 2, "{ours:#}");
    assert_eq!(code, their_code);
    assert!(!findings(&ours).is_empty());
    assert_eq!(findings(&ours), findings(&theirs));
    second_init_refuses(dir.path());
}

#[test]
fn cdk_app_without_stages_one_environment_per_top_level_stack() {
    let dir = fixture_without_config("cdk-stacks");
    let text = init(dir.path());
    assert!(
        text.contains("[environments.staging]")
            && text.contains("cdk = { out = \"cdk.out\", stacks = [\"ShopStaging\"] }")
            && text.contains("[environments.prod]")
            && text.contains("cdk = { out = \"cdk.out\", stacks = [\"ShopProd\"] }"),
        "{text}"
    );
    let (code, ours) = json(dir.path(), &["check"]);
    let (their_code, theirs) = json(&common::repo().join("fixtures/cdk-stacks"), &["check"]);
    assert_eq!(code, 0, "{ours:#}");
    assert_eq!(code, their_code);
    assert_eq!(findings(&ours).len(), 1, "{ours:#}");
    assert_eq!(findings(&ours), findings(&theirs));
}

#[test]
fn cdk_json_without_a_synthesized_app_is_not_guessed() {
    let dir = tree(&[(
        "cdk.json",
        r#"{"app": "node app.js", "output": "build/cdk.out"}"#,
    )]);
    parity(dir.path())
        .arg("init")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "a CDK app's cdk.out/manifest.json with one Stage or one set of stacks per environment",
        ));
    assert!(!dir.path().join("parity.toml").exists());
}
