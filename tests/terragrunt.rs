//! The Terragrunt source: trees of units read as environments, through
//! `parity::sources::terragrunt::load` and the CLI, on the bundled
//! `fixtures/terragrunt-shop` and on small trees written per case.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{parity, repo, tree};
use parity::model::{Resource, Snapshot, Value};
use parity::sources::terragrunt::{load, Options, TgError};
use serde_json::Value as Json;

fn fixture() -> std::path::PathBuf {
    repo().join("fixtures/terragrunt-shop")
}

fn options(dir: &Path, root: &str, env: &[(&str, &str)]) -> Options {
    Options {
        environment: "staging".into(),
        root: dir.join(root),
        base: dir.to_path_buf(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        identity: Default::default(),
        states: None,
    }
}

fn snap(dir: &Path, root: &str) -> Snapshot {
    load(&options(dir, root, &[])).unwrap_or_else(|e| panic!("load {root}: {e}"))
}

fn res<'a>(s: &'a Snapshot, address: &str) -> &'a Resource {
    s.resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| {
            let all: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
            panic!("no resource {address}; have {all:?}")
        })
}

fn attr<'a>(s: &'a Snapshot, address: &str, name: &str) -> &'a Value {
    res(s, address)
        .attributes
        .get(name)
        .unwrap_or_else(|| panic!("{address} has no {name}"))
}

fn gaps(s: &Snapshot) -> Vec<String> {
    s.coverage
        .iter()
        .map(|g| format!("{}: {}", g.what, g.reason))
        .collect()
}

/// A module with one resource whose attributes are its variables.
const ECHO_MODULE: &str = r#"
variable "a" {
  default = "default-a"
}
variable "b" {
  default = "default-b"
}
variable "c" {
  default = "default-c"
}
resource "aws_ssm_parameter" "p" {
  name        = var.a
  description = var.b
  type        = var.c
}
output "a" {
  value = var.a
}
output "id" {
  value = aws_ssm_parameter.p.id
}
"#;

fn json_of(out: &[u8]) -> Json {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

// --- the bundled fixture -------------------------------------------------

#[test]
fn fixture_diff_finds_every_planted_difference_at_the_terragrunt_input() {
    let out = parity(&fixture())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    let findings = report["findings"].as_array().expect("findings");
    let find = |rule: &str, resource: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule && f["resource"] == resource)
            .unwrap_or_else(|| panic!("no {rule} on {resource} in {findings:#?}"))
    };
    let at = |f: &Json, env: &str| f["locations"][env].as_str().unwrap_or_default().to_string();

    let engine = find("engine-version", "database/aws_db_instance.this");
    assert_eq!(engine["left"], "16.4");
    assert_eq!(engine["right"], "15.7");
    assert_eq!(
        at(engine, "staging"),
        "live/staging/database/terragrunt.hcl:12"
    );
    assert_eq!(at(engine, "prod"), "live/prod/database/terragrunt.hcl:11");

    let count = find("network-count", "network/aws_subnet.private");
    assert_eq!(
        (count["left"].as_str(), count["right"].as_str()),
        (Some("2"), Some("3"))
    );
    assert_eq!(
        at(count, "staging"),
        "live/staging/network/terragrunt.hcl:11"
    );
    assert_eq!(at(count, "prod"), "live/prod/network/terragrunt.hcl:11");

    let iam = find("iam-inline-policy", "app/aws_iam_role_policy.assets");
    assert!(
        iam["message"]
            .as_str()
            .unwrap_or_default()
            .contains("staging is wider"),
        "{iam}"
    );
    assert_eq!(at(iam, "staging"), "live/staging/app/terragrunt.hcl:15");
    assert_eq!(at(iam, "prod"), "live/prod/app/terragrunt.hcl:14");

    let multi_az = find("db-multi-az", "database/aws_db_instance.this");
    assert_eq!(
        at(multi_az, "staging"),
        "live/staging/database/terragrunt.hcl:14"
    );

    let size = find("instance-size", "database/aws_db_instance.this");
    assert_eq!(at(size, "prod"), "live/prod/database/terragrunt.hcl:12");

    // The unit only prod has: its resources are only in prod.
    let only = find("resource-presence", "monitoring/aws_sns_topic.alarms");
    assert_eq!(only["left"], Json::Null);
    assert_eq!(at(only, "prod"), "modules/monitoring/main.tf:20");
}

#[test]
fn fixture_compared_with_itself_holds() {
    let out = parity(&fixture())
        .args(["diff", "prod", "prod-again", "--format", "json"])
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    assert!(report["summary"]["compared_resources"].as_u64() > Some(10));
}

#[test]
fn fixture_units_are_addressed_by_their_path_and_evaluated_through_includes() {
    let stg = fixture();
    let s = load(&Options {
        environment: "staging".into(),
        root: stg.join("live/staging"),
        base: stg.clone(),
        env: [("SHOP_ENVIRONMENT".to_string(), "staging".to_string())].into(),
        identity: Default::default(),
        states: None,
    })
    .expect("load");
    assert!(s.coverage.is_empty(), "{:?}", gaps(&s));
    let mut addresses: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
    addresses.sort();
    assert_eq!(
        addresses,
        vec![
            "app/aws_iam_role.app",
            "app/aws_iam_role_policy.assets",
            "app/aws_security_group.app",
            "database/aws_db_instance.this",
            "network/aws_subnet.private[0]",
            "network/aws_subnet.private[1]",
            "network/aws_vpc.this",
        ]
    );
    // Locals across files: the environment's name from env.hcl (through
    // read_terragrunt_config of find_in_parent_folders), in the
    // _envcommon include.
    assert_eq!(
        attr(&s, "database/aws_db_instance.this", "identifier"),
        &Value::str("shop-staging-db")
    );
    // Deep merges of both includes: the root's tags with the unit's.
    let tags = attr(&s, "app/aws_security_group.app", "tags");
    let tags = tags.as_map().expect("a map");
    assert_eq!(tags.get("CostCenter"), Some(&Value::str("shop-staging")));
    assert_eq!(tags.get("Team"), Some(&Value::str("shop")));
    // A shallow merge (the database unit's root include): the unit sets no
    // tags, so the root's stand.
    let db_tags = attr(&s, "database/aws_db_instance.this", "tags");
    assert_eq!(
        db_tags.as_map().and_then(|m| m.get("ManagedBy")),
        Some(&Value::str("terragrunt"))
    );
    // The shared input's location is the file that sets it.
    let loc = res(&s, "database/aws_db_instance.this").attribute_location("identifier");
    assert_eq!(loc.to_string(), "live/_envcommon/database.hcl:11");
}

#[test]
fn fixture_dependency_outputs_are_the_real_ones_never_the_mocks() {
    let out = parity(&fixture())
        .args(["snapshot", "staging"])
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // vpc_cidr is a known output of the network unit (its input).
    assert!(text.contains("\"10.10.0.0/16\""), "{text}");
    assert!(
        !text.contains("10.99.0.0/16"),
        "a mock output was used: {text}"
    );
    assert!(
        !text.contains("vpc-00000000mock"),
        "a mock output was used: {text}"
    );
}

#[test]
fn get_env_reads_the_table_never_the_process_environment() {
    let out = parity(&fixture())
        .args(["snapshot", "staging"])
        .env("SHOP_ENVIRONMENT", "from-the-process")
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("from-the-process"), "{text}");
    assert!(text.contains("\"shop-staging-db\""), "{text}");

    // Not in the table and no default: unknown, and said so, even when
    // the process has it.
    let dir = tree(&[
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            "inputs = {\n  a = get_env(\"HOME\")\n  b = get_env(\"MISSING\", \"fallback\")\n  c = get_env(\"SET\")\n}\n",
        ),
    ]);
    let s = load(&options(dir.path(), "live", &[("SET", "from-table")])).expect("load");
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::Unknown("get_env(\"HOME\")".into())
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::str("fallback")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "type"),
        &Value::str("from-table")
    );
    let g = gaps(&s);
    assert!(
        g.iter()
            .any(|g| g.starts_with("live/app/terragrunt.hcl:2: get_env(\"HOME\")")),
        "{g:?}"
    );
}

// --- evaluation ----------------------------------------------------------

#[test]
fn a_root_that_is_a_unit_and_hidden_directories() {
    let dir = tree(&[
        ("unit/main.tf", ECHO_MODULE),
        ("unit/terragrunt.hcl", "inputs = { a = \"root-unit\" }\n"),
        (
            "unit/.terragrunt-cache/x/terragrunt.hcl",
            "this is not HCL {{{",
        ),
        ("unit/.hidden/terragrunt.hcl", "this is not HCL {{{"),
    ]);
    let s = snap(dir.path(), "unit");
    // The root unit's resources have no unit path before them.
    assert_eq!(
        attr(&s, "aws_ssm_parameter.p", "name"),
        &Value::str("root-unit")
    );
    assert_eq!(s.resources.len(), 1);
}

#[test]
fn include_merge_strategies_and_expose() {
    let parent = r#"
locals {
  region = "eu-west-1"
  name   = "from-parent"
}
inputs = {
  a = local.name
  b = { x = "1" }
  c = "parent-c"
}
"#;
    let dir = tree(&[
        ("live/parent.hcl", parent),
        ("modules/m/main.tf", r#"
variable "a" {}
variable "b" {}
variable "c" {}
resource "aws_ssm_parameter" "p" {
  name        = var.a
  description = jsonencode(var.b)
  type        = var.c
}
"#),
        (
            "live/shallow/terragrunt.hcl",
            "include \"p\" {\n  path = find_in_parent_folders(\"parent.hcl\")\n}\nterraform {\n  source = \"../../modules//m\"\n}\ninputs = {\n  b = { y = \"2\" }\n}\n",
        ),
        (
            "live/deep/terragrunt.hcl",
            "include \"p\" {\n  path = find_in_parent_folders(\"parent.hcl\")\n  merge_strategy = \"deep\"\n}\nterraform {\n  source = \"../../modules//m\"\n}\ninputs = {\n  b = { y = \"2\" }\n}\n",
        ),
        (
            "live/nomerge/terragrunt.hcl",
            "include \"p\" {\n  path = find_in_parent_folders(\"parent.hcl\")\n  merge_strategy = \"no_merge\"\n  expose = true\n}\nterraform {\n  source = \"../../modules//m\"\n}\ninputs = {\n  a = \"${include.p.locals.region}-${include.p.inputs.c}\"\n  b = {}\n  c = \"own-c\"\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    let value =
        |unit: &str, name: &str| attr(&s, &format!("{unit}/aws_ssm_parameter.p"), name).clone();
    assert_eq!(value("shallow", "name"), Value::str("from-parent"));
    assert_eq!(value("shallow", "description"), Value::str("{\"y\":\"2\"}"));
    assert_eq!(value("shallow", "type"), Value::str("parent-c"));
    assert_eq!(
        value("deep", "description"),
        Value::str("{\"x\":\"1\",\"y\":\"2\"}")
    );
    assert_eq!(value("nomerge", "name"), Value::str("eu-west-1-parent-c"));
    assert_eq!(value("nomerge", "type"), Value::str("own-c"));
    assert!(s.coverage.is_empty(), "{:?}", gaps(&s));
    // Where an input comes from: the parent's line, or the unit's.
    let shallow = res(&s, "shallow/aws_ssm_parameter.p");
    assert_eq!(
        shallow.attribute_location("name").to_string(),
        "live/parent.hcl:7"
    );
    assert_eq!(
        shallow.attribute_location("description").to_string(),
        "live/shallow/terragrunt.hcl:8"
    );
}

#[test]
fn an_include_without_a_label_is_exposed_as_include() {
    let dir = tree(&[
        ("live/root.hcl", "locals {\n  team = \"shop\"\n}\ninputs = { b = \"root-b\" }\n"),
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            "include {\n  path = find_in_parent_folders(\"root.hcl\")\n  expose = true\n}\ninputs = { a = \"${include.locals.team}-${include.inputs.b}\" }\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("shop-root-b")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::str("root-b")
    );
}

#[test]
fn path_functions_answer_as_terragrunt_does() {
    let dir = tree(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        (
            "live/root.hcl",
            "inputs = {\n  b = path_relative_to_include()\n}\n",
        ),
        ("live/prod/app/main.tf", ECHO_MODULE),
        (
            "live/prod/app/terragrunt.hcl",
            r#"include "root" {
  path = find_in_parent_folders("root.hcl")
}
locals {
  from_repo = get_path_from_repo_root()
  to_repo   = get_path_to_repo_root()
  parent    = basename(get_parent_terragrunt_dir())
  here      = basename(get_terragrunt_dir())
  original  = basename(get_original_terragrunt_dir())
  rel_from  = path_relative_from_include()
}
inputs = {
  a = "${local.from_repo}|${local.to_repo}|${local.parent}|${local.here}|${local.original}"
  c = local.rel_from
}
"#,
        ),
    ]);
    let s = snap(dir.path(), "live/prod");
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("live/prod/app|../../..|live|app|app")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::str("prod/app")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "type"),
        &Value::str("../..")
    );
}

#[test]
fn terraform_functions_and_read_terragrunt_config_work_in_units() {
    let dir = tree(&[
        ("live/common.hcl", "locals {\n  size = 3\n  zones = [for i in range(local.size) : \"z${i}\"]\n}\ninputs = { c = \"common-c\" }\n"),
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            r#"locals {
  common = read_terragrunt_config(find_in_parent_folders("common.hcl"))
  joined = join(",", local.common.locals.zones)
}
inputs = {
  a = upper(local.joined)
  b = local.common.inputs.c
}
"#,
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("Z0,Z1,Z2")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::str("common-c")
    );
}

#[test]
fn a_config_read_by_several_units_answers_each_of_them() {
    // Read once per run, except what depends on the unit reading it.
    let unit = "locals {\n  c = read_terragrunt_config(find_in_parent_folders(\"common.hcl\")).locals\n}\ninputs = {\n  a = local.c.unit\n  b = local.c.here\n}\n";
    let dir = tree(&[
        (
            "live/common.hcl",
            "locals {\n  unit = basename(get_original_terragrunt_dir())\n  here = basename(get_terragrunt_dir())\n}\n",
        ),
        ("live/one/main.tf", ECHO_MODULE),
        ("live/one/terragrunt.hcl", unit),
        ("live/two/main.tf", ECHO_MODULE),
        ("live/two/terragrunt.hcl", unit),
    ]);
    let s = snap(dir.path(), "live");
    assert_eq!(
        attr(&s, "one/aws_ssm_parameter.p", "name"),
        &Value::str("one")
    );
    assert_eq!(
        attr(&s, "two/aws_ssm_parameter.p", "name"),
        &Value::str("two")
    );
    assert_eq!(
        attr(&s, "two/aws_ssm_parameter.p", "description"),
        &Value::str("live")
    );
}

#[test]
fn tfvars_of_the_module_win_over_inputs() {
    let dir = tree(&[
        ("live/app/main.tf", ECHO_MODULE),
        ("live/app/terraform.tfvars", "a = \"from-tfvars\"\n"),
        ("live/app/x.auto.tfvars", "b = \"from-auto-tfvars\"\n"),
        (
            "live/app/terragrunt.hcl",
            "inputs = {\n  a = \"input-a\"\n  b = \"input-b\"\n  c = \"input-c\"\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("from-tfvars")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::str("from-auto-tfvars")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "type"),
        &Value::str("input-c")
    );
}

#[test]
fn extra_arguments_var_files_win_over_inputs_and_tfvars() {
    let dir = tree(&[
        ("live/app/main.tf", ECHO_MODULE),
        ("live/app/terraform.tfvars", "a = \"from-tfvars\"\nb = \"from-tfvars\"\n"),
        ("live/common.tfvars", "a = \"from-var-file\"\n"),
        (
            "live/root.hcl",
            r#"terraform {
  extra_arguments "common_vars" {
    commands = get_terraform_commands_that_need_vars()
    required_var_files = ["${get_parent_terragrunt_dir()}/common.tfvars"]
    optional_var_files = ["${get_terragrunt_dir()}/missing.tfvars"]
  }
  extra_arguments "init_only" {
    commands = ["init"]
    required_var_files = ["nowhere.tfvars"]
  }
}
"#,
        ),
        (
            "live/app/terragrunt.hcl",
            "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\ninputs = {\n  a = \"input\"\n  b = \"input\"\n  c = \"input\"\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert!(s.coverage.is_empty(), "{:?}", gaps(&s));
    // -var-file over terraform.tfvars over TF_VAR_ inputs.
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("from-var-file")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::str("from-tfvars")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "type"),
        &Value::str("input")
    );

    let e = load_err(&[
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            "terraform {\n  extra_arguments \"v\" {\n    commands = [\"plan\"]\n    required_var_files = [\"gone.tfvars\"]\n  }\n}\n",
        ),
    ]);
    assert_eq!(
        e,
        "live/app/terragrunt.hcl:2: extra_arguments `v`: required var file live/app/gone.tfvars does not exist"
    );
}

#[test]
fn dependency_outputs_known_statically_are_read_unknown_ones_listed() {
    let dir = tree(&[
        ("live/vpc/main.tf", ECHO_MODULE),
        ("live/vpc/terragrunt.hcl", "inputs = { a = \"real-a\" }\n"),
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            r#"dependency "vpc" {
  config_path = "../vpc"
  mock_outputs = {
    a  = "MOCK-A"
    id = "MOCK-ID"
  }
}
inputs = {
  a = dependency.vpc.outputs.a
  b = dependency.vpc.outputs.id
}
"#,
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("real-a")
    );
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::Unknown("dependency.vpc.outputs.id".into())
    );
    let g = gaps(&s);
    assert!(
        g.iter()
            .any(|g| g.starts_with("live/app/terragrunt.hcl:10: dependency.vpc.outputs.id")),
        "{g:?}"
    );
    let all = format!("{:?}", s.resources);
    assert!(!all.contains("MOCK"), "{all}");
}

#[test]
fn functions_that_run_something_are_never_run() {
    let dir = tree(&[
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            "locals {\n  account = get_aws_account_id()\n}\ninputs = {\n  a = run_cmd(\"sh\", \"-c\", \"touch ran\")\n  b = local.account\n  c = sops_decrypt_file(\"secrets.yaml\")\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert!(!dir.path().join("live/app/ran").exists());
    assert!(attr(&s, "app/aws_ssm_parameter.p", "name").is_unknown());
    assert!(attr(&s, "app/aws_ssm_parameter.p", "description").is_unknown());
    assert!(attr(&s, "app/aws_ssm_parameter.p", "type").is_unknown());
    let g = gaps(&s);
    for (line, name) in [
        (2, "get_aws_account_id"),
        (5, "run_cmd"),
        (7, "sops_decrypt_file"),
    ] {
        let want = format!("live/app/terragrunt.hcl:{line}: `{name}()` is not run");
        assert!(
            g.iter().any(|g| g.starts_with(&want)),
            "{want} not in {g:?}"
        );
    }
}

#[test]
fn what_is_not_read_is_listed_with_its_line() {
    let dir = tree(&[
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            "generate \"cfg\" {\n  path = \"app.yaml\"\n  if_exists = \"overwrite\"\n  contents = \"\"\n}\nsomething_new = true\ninputs = { a = not_a_function(1) }\n",
        ),
        (
            "live/remote/terragrunt.hcl",
            "terraform {\n  source = \"git::https://example.com/modules.git//db?ref=v1.2.0\"\n}\n",
        ),
        ("live/novalue/main.tf", "variable \"size\" {}\n"),
        ("live/novalue/terragrunt.hcl", "inputs = {}\n"),
    ]);
    let s = snap(dir.path(), "live");
    let g = gaps(&s);
    for want in [
        "live/app/terragrunt.hcl:1: generate block `cfg` writes `app.yaml`, not Terraform code of the module: not read",
        "live/app/terragrunt.hcl:6: attribute `something_new` is not supported",
        "live/app/terragrunt.hcl:7: input `a`: function `not_a_function` is not supported",
        "live/remote/terragrunt.hcl:2: module source `git::https://example.com/modules.git//db?ref=v1.2.0` not installed",
        "live/novalue/main.tf:1: variable `size` has no value (the unit's terragrunt.hcl sets none and it has no default)",
    ] {
        assert!(g.iter().any(|g| g.starts_with(want)), "{want} not in {g:?}");
    }
}

#[test]
fn a_file_not_found_is_unknown_in_a_local_and_an_error_in_an_include() {
    // Secrets files are often not in the repository: what reads them is
    // unknown, and listed.
    let dir = tree(&[
        ("live/app/main.tf", ECHO_MODULE),
        (
            "live/app/terragrunt.hcl",
            "locals {\n  secrets = jsondecode(read_tfvars_file(find_in_parent_folders(\"secrets.tfvars\")))\n}\ninputs = {\n  a = local.secrets.password\n  b = \"known\"\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert!(attr(&s, "app/aws_ssm_parameter.p", "name").is_unknown());
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "description"),
        &Value::str("known")
    );
    let g = gaps(&s);
    assert!(
        g.iter().any(|g| g.starts_with(
            "live/app/terragrunt.hcl:2: local `secrets`: find_in_parent_folders: no secrets.tfvars in any folder above live/app"
        )),
        "{g:?}"
    );
    let e = load_err(&[(
        "live/app/terragrunt.hcl",
        "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\n",
    )]);
    assert_eq!(
        e,
        "live/app/terragrunt.hcl:2: include `root`: find_in_parent_folders: no root.hcl in any folder above live/app"
    );
}

#[test]
fn generate_blocks_write_terraform_code_into_the_module() {
    let root = r#"
locals {
  aws_version = "5.31.0"
}
generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOF
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "${local.aws_version}"
    }
  }
}
EOF
}
generate "variables" {
  path      = "common_variables.tf"
  if_exists = "overwrite"
  contents  = file("variables.tf")
}
generate "kept" {
  path      = "kept.tf"
  if_exists = "skip"
  contents  = "resource \"aws_sns_topic\" \"generated\" {}"
}
generate "off" {
  path     = "off.tf"
  disable  = true
  contents = "resource \"aws_sns_topic\" \"disabled\" {}"
}
"#;
    let dir = tree(&[
        ("live/root.hcl", root),
        // file() in an included file reads beside it, as Terragrunt does.
        ("live/variables.tf", "variable \"c\" {}\n"),
        (
            "modules/app/main.tf",
            "resource \"aws_ssm_parameter\" \"p\" {\n  name = var.c\n}\n",
        ),
        ("modules/app/kept.tf", "resource \"aws_sns_topic\" \"module\" {}\n"),
        (
            "live/app/terragrunt.hcl",
            "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\nterraform {\n  source = \"../../modules//app\"\n}\ninputs = { c = \"from-input\" }\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert!(s.coverage.is_empty(), "{:?}", gaps(&s));
    // The generated variable declaration takes the input.
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("from-input")
    );
    // if_exists = "skip": the module's own kept.tf stays; disabled: nothing.
    let addresses: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
    assert!(
        addresses.contains(&"app/aws_sns_topic.module"),
        "{addresses:?}"
    );
    assert!(
        !addresses.contains(&"app/aws_sns_topic.generated"),
        "{addresses:?}"
    );
    assert!(
        !addresses.contains(&"app/aws_sns_topic.disabled"),
        "{addresses:?}"
    );
    // The generated provider pin is a dependency record, located in the
    // generated text.
    let provider = s
        .dependencies
        .iter()
        .find(|d| d.rtype == "terraform_provider")
        .unwrap_or_else(|| panic!("no provider record: {:?}", s.dependencies));
    assert_eq!(
        provider.attributes.get("version_constraint"),
        Some(&Value::str("5.31.0"))
    );
    assert!(
        provider
            .location
            .file
            .starts_with("live/root.hcl#generate.provider"),
        "{}",
        provider.location
    );
}

#[test]
fn module_sources_are_compared_even_when_not_installed() {
    let unit = |source: &str| format!("terraform {{\n  source = \"{source}\"\n}}\n");
    let dir = tree(&[
        (
            "staging/mysql/terragrunt.hcl",
            &unit("git::git@github.com:acme/modules.git//mysql?ref=v0.8.0"),
        ),
        ("staging/vpc/terragrunt.hcl", &unit("tfr:///terraform-aws-modules/vpc/aws?version=5.1.0")),
        (
            "prod/mysql/terragrunt.hcl",
            &unit("git::git@github.com:acme/modules.git//mysql?ref=v0.7.0"),
        ),
        ("prod/vpc/terragrunt.hcl", &unit("tfr:///terraform-aws-modules/vpc/aws?version=5.1.0")),
        (
            "parity.toml",
            "[environments.staging]\nterragrunt = { root = \"staging\" }\n[environments.prod]\nterragrunt = { root = \"prod\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["rule"], "module-ref");
    assert_eq!(f["resource"], "mysql/terraform.source");
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("v0.8.0"), Some("v0.7.0"))
    );
    assert_eq!(f["locations"]["staging"], "staging/mysql/terragrunt.hcl:2");
    // The modules themselves are not installed: said, per unit.
    let incomplete = report["summary"]["incomplete"].to_string();
    assert!(incomplete.contains("not installed"), "{incomplete}");
}

// --- errors --------------------------------------------------------------

fn load_err(files: &[(&str, &str)]) -> String {
    let dir = tree(files);
    match load(&options(dir.path(), "live", &[])) {
        Ok(s) => panic!("loaded: {:?}", gaps(&s)),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_the_file_and_line() {
    let e = load_err(&[("live/app/terragrunt.hcl", "inputs = {\n  a = \n}\n")]);
    assert!(e.starts_with("live/app/terragrunt.hcl:2:"), "{e}");

    let e = load_err(&[(
        "live/app/terragrunt.hcl",
        "include \"root\" {\n  path = \"../nowhere.hcl\"\n}\n",
    )]);
    assert_eq!(
        e,
        "live/app/terragrunt.hcl:2: included file live/nowhere.hcl does not exist"
    );

    let e = load_err(&[
        ("live/a.hcl", "include \"b\" {\n  path = \"b.hcl\"\n}\n"),
        ("live/b.hcl", "include \"a\" {\n  path = \"a.hcl\"\n}\n"),
        (
            "live/app/terragrunt.hcl",
            "include \"a\" {\n  path = \"../a.hcl\"\n}\n",
        ),
    ]);
    assert_eq!(
        e,
        "live/b.hcl:2: include cycle: live/app/terragrunt.hcl -> live/a.hcl -> live/b.hcl -> live/a.hcl"
    );

    let e = load_err(&[(
        "live/app/terragrunt.hcl",
        "locals {\n  a = local.b\n  b = local.a\n}\ninputs = { x = local.a }\n",
    )]);
    assert!(e.contains("locals refer to each other in a cycle"), "{e}");
    assert!(e.starts_with("live/app/terragrunt.hcl:"), "{e}");

    let e = load_err(&[
        ("live/a/main.tf", ECHO_MODULE),
        ("live/a/terragrunt.hcl", "dependency \"b\" {\n  config_path = \"../b\"\n}\ninputs = { a = dependency.b.outputs.a }\n"),
        ("live/b/main.tf", ECHO_MODULE),
        ("live/b/terragrunt.hcl", "dependency \"a\" {\n  config_path = \"../a\"\n}\ninputs = { a = dependency.a.outputs.a }\n"),
    ]);
    assert!(
        e.contains("dependency cycle: live/a -> live/b -> live/a"),
        "{e}"
    );

    // Deep but finite: a long chain of locals evaluates; includes nested
    // past the limit are refused.
    let mut locals = String::from("locals {\n  l0 = 1\n");
    for i in 1..3000 {
        locals.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    locals.push_str("}\ninputs = { a = local.l2999 }\n");
    let dir = tree(&[
        ("live/app/main.tf", ECHO_MODULE),
        ("live/app/terragrunt.hcl", &locals),
    ]);
    let s = snap(dir.path(), "live");
    assert_eq!(
        attr(&s, "app/aws_ssm_parameter.p", "name"),
        &Value::str("3000")
    );
    let mut files: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("live/i{i}.hcl"),
                format!("include \"n\" {{\n  path = \"i{}.hcl\"\n}}\n", i + 1),
            )
        })
        .collect();
    files.push(("live/i40.hcl".into(), "inputs = {}\n".into()));
    files.push((
        "live/app/terragrunt.hcl".into(),
        "include \"n\" {\n  path = \"../i0.hcl\"\n}\n".into(),
    ));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let e = load_err(&borrowed);
    assert!(e.contains("includes nest more than 32 deep"), "{e}");

    let dir = tree(&[]);
    let err = load(&options(dir.path(), ".", &[])).expect_err("no units");
    assert!(matches!(err, TgError::NoUnits(_)), "{err}");
}

#[test]
fn the_cli_exits_1_with_the_line_on_errors() {
    let dir = tree(&[
        ("live/app/terragrunt.hcl", "inputs = {\n  a = \n}\n"),
        (
            "parity.toml",
            "[environments.staging]\nterragrunt = { root = \"live\" }\n[environments.prod]\nterragrunt = { root = \"live\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("run parity");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("live/app/terragrunt.hcl:2:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // One code source per environment: the second table is the problem.
    let dir = tree(&[
        ("live/terragrunt.hcl", ""),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"live\" }\nterragrunt = { root = \"live\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("run parity");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("parity.toml:3:1: environments.staging.terragrunt: `terraform` and `terragrunt` both give the environment's code: configure one of them"),
        "{err}"
    );
}
