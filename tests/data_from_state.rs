//! Data sources from state (issue #15): code evaluation takes each data
//! source's attributes from the environment's state, so a `count` driven by
//! one expands to the instances Terraform plans. The fixture's states are
//! real (`fixtures/data-from-state/record.sh`: Terraform 1.11.4 against
//! moto); the tests never run Terraform.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use common::{parity, repo, tree};
use parity::model::{Map, Snapshot, Value};
use parity::sources::terraform::facts::Facts;
use parity::sources::terraform::{load, Options, StateData};

fn fixture() -> std::path::PathBuf {
    repo().join("fixtures/data-from-state")
}

/// `parity ARGS` in the fixture, as JSON, with its exit code.
fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = parity(&fixture())
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run parity");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

/// The addresses of `parity snapshot ENV` (code), which exits `code`.
fn snapshot_addresses(env: &str, code: i32) -> BTreeSet<String> {
    let out = parity(&fixture())
        .args(["snapshot", env])
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).expect("snapshot JSON");
    snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["address"].as_str().expect("address").to_string())
        .collect()
}

/// `terraform state list` as recorded beside the state.
fn state_list(env: &str) -> BTreeSet<String> {
    std::fs::read_to_string(fixture().join(format!("state/{env}.list")))
        .expect("state list")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn code_expands_to_the_instances_terraform_holds() {
    for env in ["staging", "prod"] {
        assert_eq!(snapshot_addresses(env, 0), state_list(env), "{env}");
    }
    // Without the state's data sources the zones are unknown: one
    // symbolic subnet in each environment (exit 3: not proven).
    let folded = snapshot_addresses("prod-code-only", 3);
    assert!(
        folded.contains("module.network.aws_subnet.private"),
        "{folded:?}"
    );
    assert_eq!(folded.len(), 3, "{folded:?}");
}

#[test]
fn the_subnet_count_difference_is_reported() {
    let (code, report) = json(&["diff", "staging", "prod"]);
    assert_eq!(code, 2, "{report:#}");
    let count = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["attribute"] == "@count")
        .unwrap_or_else(|| panic!("no @count finding: {report:#}"));
    assert_eq!(count["resource"], "module.network.aws_subnet.private");
    assert_eq!(count["rule"], "network-count");
    assert_eq!(count["severity"], "error");
    assert_eq!(count["left"], "2");
    assert_eq!(count["right"], "3");
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));

    // Before (and with `data-from-state = false`): no count finding, and
    // not proven.
    let (code, report) = json(&["diff", "staging-code-only", "prod-code-only"]);
    assert_eq!(code, 3, "{report:#}");
    assert!(!report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["attribute"] == "@count"));
}

#[test]
fn a_data_source_missing_from_the_state_is_one_coverage_gap() {
    let (code, report) = json(&["diff", "staging", "qa"]);
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(
        report["summary"]["incomplete"],
        serde_json::json!([
            "qa: data.aws_region.current (envs/qa/main.tf:21): not in the state (state/staging.tfstate): compared as unknown"
        ])
    );
}

// ---- the evaluator, with data given directly -------------------------------

fn attrs(pairs: &[(&str, Value)]) -> Map {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn names(list: &[&str]) -> Value {
    Value::List(list.iter().map(|s| Value::str(*s)).collect())
}

fn load_with(dir: &Path, data: Option<StateData>) -> Snapshot {
    load(&Options {
        environment: "staging".into(),
        root: dir.to_path_buf(),
        base: dir.to_path_buf(),
        var_files: Vec::new(),
        vars: Map::new(),
        var_origins: Default::default(),
        workspace: "default".into(),
        data: data.map(Arc::new),
        identity: Default::default(),
        facts: None,
    })
    .expect("load")
}

fn addresses(s: &Snapshot) -> Vec<&str> {
    s.resources.iter().map(|r| r.address.as_str()).collect()
}

const MODULE: &str = r#"
variable "zones" { type = list(string) }
data "aws_availability_zones" "z" {}
data "aws_subnet" "by_zone" {
  for_each          = toset(var.zones)
  availability_zone = each.key
}
data "aws_ami" "counted" {
  count = 2
}
resource "aws_subnet" "s" {
  count             = length(data.aws_availability_zones.z.names)
  availability_zone = data.aws_availability_zones.z.names[count.index]
}
resource "aws_instance" "i" {
  for_each  = data.aws_subnet.by_zone
  subnet_id = each.value.cidr_block
  ami       = data.aws_ami.counted[1].id
}
"#;

const ROOT: &str = r#"
module "net" {
  count  = 2
  source = "./net"
  zones  = ["a", "b"]
}
"#;

#[test]
fn data_sources_are_looked_up_by_module_path_and_instance_key() {
    let dir = tree(&[("main.tf", ROOT), ("net/main.tf", MODULE)]);
    let mut by_address = HashMap::new();
    for (m, zones) in [
        ("module.net[0]", vec!["a", "b"]),
        ("module.net[1]", vec!["a", "b", "c"]),
    ] {
        by_address.insert(
            format!("{m}.data.aws_availability_zones.z"),
            attrs(&[("names", names(&zones))]),
        );
        for z in ["a", "b"] {
            by_address.insert(
                format!("{m}.data.aws_subnet.by_zone[\"{z}\"]"),
                attrs(&[("cidr_block", Value::str(format!("10.0.{z}")))]),
            );
        }
        for i in 0..2 {
            by_address.insert(
                format!("{m}.data.aws_ami.counted[{i}]"),
                attrs(&[("id", Value::str(format!("ami-{i}")))]),
            );
        }
    }
    let snap = load_with(
        dir.path(),
        Some(StateData {
            by_address,
            shown: "s.tfstate".into(),
            unreadable: None,
        }),
    );
    let subnets: Vec<&str> = addresses(&snap)
        .into_iter()
        .filter(|a| a.contains("aws_subnet.s"))
        .collect();
    assert_eq!(
        subnets,
        [
            "module.net[0].aws_subnet.s[0]",
            "module.net[0].aws_subnet.s[1]",
            "module.net[1].aws_subnet.s[0]",
            "module.net[1].aws_subnet.s[1]",
            "module.net[1].aws_subnet.s[2]",
        ]
    );
    let inst = snap
        .resources
        .iter()
        .find(|r| r.address == "module.net[1].aws_instance.i[\"b\"]")
        .expect("instance");
    assert_eq!(
        inst.attributes.get("subnet_id"),
        Some(&Value::str("10.0.b"))
    );
    assert_eq!(inst.attributes.get("ami"), Some(&Value::str("ami-1")));
    assert!(snap.coverage.is_empty(), "{:?}", snap.coverage);
}

#[test]
fn a_missing_block_is_said_once_for_every_instance_of_its_module() {
    let dir = tree(&[("main.tf", ROOT), ("net/main.tf", MODULE)]);
    // Only the zones of the first module instance are in the state.
    let by_address = HashMap::from([(
        "module.net[0].data.aws_availability_zones.z".to_string(),
        attrs(&[("names", names(&["a"]))]),
    )]);
    let snap = load_with(
        dir.path(),
        Some(StateData {
            by_address,
            shown: "s.tfstate".into(),
            unreadable: None,
        }),
    );
    let gaps: Vec<String> = snap
        .coverage
        .iter()
        .map(|g| format!("{}: {}", g.what, g.reason))
        .collect();
    assert_eq!(
        gaps,
        [
            "module.net.data.aws_ami.counted (net/main.tf:8): not in the state (s.tfstate): compared as unknown",
            "module.net.data.aws_availability_zones.z (net/main.tf:3): not in the state (s.tfstate): compared as unknown",
            "module.net.data.aws_subnet.by_zone (net/main.tf:4): not in the state (s.tfstate): compared as unknown",
            // count is unknown in module.net[1] (its zones are unknown).
            "net/main.tf:11: count is not known before apply (length(data.aws_availability_zones.z.names)); compared as one symbolic instance",
        ]
    );
    // Without a state, nothing is said about data sources.
    let plain = load_with(dir.path(), None);
    assert!(plain.coverage.iter().all(|g| !g.what.contains("data.")));
}

#[test]
fn an_unreadable_state_is_said_only_where_a_data_source_is_used() {
    let used = tree(&[
        ("parity.toml", "[environments.staging]\nterraform = { root = \"code\" }\nstate = { path = \"missing.tfstate\" }\n[environments.prod]\nterraform = { root = \"code\" }\n"),
        ("code/main.tf", "data \"aws_region\" \"r\" {}\nresource \"aws_ssm_parameter\" \"p\" {\n  name  = \"/p\"\n  value = data.aws_region.r.name\n}\n"),
    ]);
    let out = parity(used.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let gaps = report["summary"]["incomplete"].as_array().expect("gaps");
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let gap = gaps[0].as_str().expect("text");
    assert!(
        gap.starts_with(
            "staging: data.aws_region.r (code/main.tf:1): the state could not be read (cannot read missing.tfstate"
        ),
        "{gap}"
    );
    // The same environments with no data source: nothing to say, parity holds.
    let unused = tree(&[
        ("parity.toml", "[environments.staging]\nterraform = { root = \"code\" }\nstate = { path = \"missing.tfstate\" }\n[environments.prod]\nterraform = { root = \"code\" }\n"),
        ("code/main.tf", "resource \"aws_ssm_parameter\" \"p\" {\n  name  = \"/p\"\n  value = \"x\"\n}\n"),
    ]);
    parity(unused.path())
        .args(["diff", "staging", "prod"])
        .assert()
        .code(0);
}

#[test]
fn s3_state_is_not_read_for_code() {
    // No credentials, no network: the data source stays unknown, as
    // without a state, and nothing is said.
    let dir = tree(&[
        ("parity.toml", "[environments.staging]\nterraform = { root = \"code\" }\nstate = { path = \"s3://bucket/staging.tfstate\" }\n[environments.prod]\nterraform = { root = \"code\" }\nstate = { path = \"s3://bucket/prod.tfstate\" }\n"),
        ("code/main.tf", "data \"aws_region\" \"r\" {}\nresource \"aws_ssm_parameter\" \"p\" {\n  name  = \"/p\"\n  value = data.aws_region.r.name\n}\n"),
    ]);
    parity(dir.path())
        .args(["diff", "staging", "prod"])
        .assert()
        .code(0);
}

#[test]
fn data_from_state_must_be_a_boolean() {
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"code\", data-from-state = \"no\" }\n",
        ),
        (
            "code/main.tf",
            "resource \"aws_ssm_parameter\" \"p\" {\n  name = \"/p\"\n}\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["snapshot", "staging"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("data-from-state") && err.contains("expected true or false"),
        "{err}"
    );
}

#[test]
fn an_empty_attribute_in_the_state_is_empty_not_absent() {
    // The state reader leaves empty values out; a data source's are put
    // back: `length(ids)` is 0 as in Terraform, not an error.
    let dir = tree(&[
        ("parity.toml", "[environments.a]\nterraform = { root = \"code\" }\nstate = { path = \"s.tfstate\" }\n"),
        ("code/main.tf", "data \"aws_subnets\" \"x\" {}\nresource \"aws_instance\" \"i\" {\n  count = length(data.aws_subnets.x.ids)\n  ami   = \"a\"\n}\nresource \"aws_ssm_parameter\" \"p\" {\n  name  = \"/p\"\n  description = coalesce(data.aws_subnets.x.tags, { none = true })[\"none\"]\n}\n"),
        ("s.tfstate", r#"{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "x", "outputs": {}, "resources": [
 {"mode": "data", "type": "aws_subnets", "name": "x", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances": [{"schema_version": 0, "attributes": {"id": "eu-west-1", "ids": [], "filter": null, "tags": null, "timeouts": null}, "sensitive_attributes": []}]}]}"#),
    ]);
    let out = parity(dir.path())
        .args(["snapshot", "a"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let addresses: Vec<&str> = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert_eq!(addresses, ["aws_ssm_parameter.p", "data.aws_subnets.x"]);
    // `description` is a string in the provider's schema: the bool converts.
    assert_eq!(snap["resources"][0]["attributes"]["description"], "true");
    assert_eq!(snap["coverage"], serde_json::json!([]));
}

#[test]
fn a_scoped_environment_looks_data_sources_up_by_their_full_address() {
    // `module = "module.network"`: the code is evaluated from the root, so
    // the state's data sources are looked up unscoped.
    let f = fixture();
    let config = format!(
        "[environments.s]\nterraform = {{ root = {:?}, module = \"module.network\" }}\nstate = {{ path = {:?} }}\n",
        f.join("envs/staging").display().to_string(),
        f.join("state/staging.tfstate").display().to_string()
    );
    let dir = tree(&[("parity.toml", &config)]);
    let out = parity(dir.path())
        .args(["snapshot", "s"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let addresses: Vec<&str> = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert_eq!(
        addresses,
        [
            "aws_subnet.private[0]",
            "aws_subnet.private[1]",
            "aws_vpc.main",
            "data.aws_availability_zones.available"
        ]
    );
}

// ---- data-live without a state: what stayed unknown is listed ---------------

/// The account as `data-live` asks it (the evaluator knows only the
/// [`Facts`] trait; the AWS reader behind it is tested against the emulator
/// in tests/live.rs): answers the region, and notes every type asked.
#[derive(Debug, Default)]
struct Account {
    asked: std::sync::Mutex<Vec<String>>,
}

impl Facts for Account {
    fn read(&self, rtype: &str, _args: &Map) -> Result<Option<Map>, String> {
        self.asked.lock().expect("lock").push(rtype.to_string());
        Ok((rtype == "aws_region").then(|| attrs(&[("name", Value::str("eu-west-1"))])))
    }
}

#[test]
fn data_live_lists_each_data_source_it_does_not_read_with_its_line() {
    let dir = tree(&[(
        "main.tf",
        r#"data "aws_region" "current" {}
data "aws_vpc" "main" {
  default = true
}
data "aws_subnets" "in_vpc" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.main.id]
  }
}
resource "aws_ssm_parameter" "p" {
  name  = "/shop/${data.aws_region.current.name}"
  value = data.aws_vpc.main.cidr_block
  type  = "String"
}
resource "aws_ssm_parameter" "q" {
  name  = "/shop/subnets"
  value = join(",", data.aws_subnets.in_vpc.ids)
  type  = "String"
}
"#,
    )]);
    let account = Arc::new(Account::default());
    let snap = load(&Options {
        environment: "staging".into(),
        root: dir.path().to_path_buf(),
        base: dir.path().to_path_buf(),
        var_files: Vec::new(),
        vars: Map::new(),
        var_origins: Default::default(),
        workspace: "default".into(),
        data: None,
        identity: Default::default(),
        facts: Some(account.clone()),
    })
    .expect("load");
    // The region is read; the other types are never asked of the account.
    assert_eq!(*account.asked.lock().expect("lock"), ["aws_region"]);
    let p = snap
        .resources
        .iter()
        .find(|r| r.address == "aws_ssm_parameter.p")
        .expect("p");
    assert_eq!(
        p.attributes.get("name"),
        Some(&Value::str("/shop/eu-west-1"))
    );
    let gaps: Vec<String> = snap
        .coverage
        .iter()
        .map(|g| format!("{}: {}", g.what, g.reason))
        .collect();
    let not_read = "not read live (data-live reads only aws_availability_zones, aws_caller_identity, aws_region, aws_partition, aws_ami): compared as unknown";
    assert_eq!(
        gaps,
        [
            format!("data.aws_subnets.in_vpc (main.tf:5): {not_read}"),
            format!("data.aws_vpc.main (main.tf:2): {not_read}"),
        ]
    );
}

/// The data sources modules read most (the VPC, its subnets, the caller,
/// an AMI, an SSM parameter, the region and zones): each taken from the
/// state by its address, whatever its type, lists and maps included, and a
/// `count`/`for_each` over one expands; nothing is left unknown.
#[test]
fn the_common_data_source_types_are_read_from_the_state() {
    let dir = tree(&[(
        "main.tf",
        r#"data "aws_vpc" "main" {
  default = true
}
data "aws_subnets" "private" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.main.id]
  }
}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_availability_zones" "available" {}
data "aws_ami" "base" {
  most_recent = true
  owners      = ["amazon"]
}
data "aws_ssm_parameter" "ami" {
  name = "/shop/ami"
}
resource "aws_instance" "app" {
  count             = length(data.aws_subnets.private.ids)
  subnet_id         = data.aws_subnets.private.ids[count.index]
  ami               = data.aws_ami.base.id
  availability_zone = data.aws_availability_zones.available.names[count.index]
  tags = {
    Vpc     = data.aws_vpc.main.cidr_block
    Account = data.aws_caller_identity.current.account_id
    Where   = "${data.aws_partition.current.partition}/${data.aws_region.current.name}"
    Param   = data.aws_ssm_parameter.ami.type
    Env     = data.aws_vpc.main.tags["Env"]
  }
}
"#,
    )]);
    let by_address = HashMap::from([
        (
            "data.aws_vpc.main".to_string(),
            attrs(&[
                ("id", Value::str("vpc-1")),
                ("cidr_block", Value::str("10.0.0.0/16")),
                ("tags", Value::Map(attrs(&[("Env", Value::str("staging"))]))),
            ]),
        ),
        (
            "data.aws_subnets.private".to_string(),
            attrs(&[("ids", names(&["subnet-a", "subnet-b"]))]),
        ),
        (
            "data.aws_caller_identity.current".to_string(),
            attrs(&[("account_id", Value::str("123456789012"))]),
        ),
        (
            "data.aws_region.current".to_string(),
            attrs(&[("name", Value::str("eu-west-1"))]),
        ),
        (
            "data.aws_partition.current".to_string(),
            attrs(&[("partition", Value::str("aws"))]),
        ),
        (
            "data.aws_availability_zones.available".to_string(),
            attrs(&[("names", names(&["eu-west-1a", "eu-west-1b"]))]),
        ),
        (
            "data.aws_ami.base".to_string(),
            attrs(&[("id", Value::str("ami-123"))]),
        ),
        (
            "data.aws_ssm_parameter.ami".to_string(),
            attrs(&[("type", Value::str("String"))]),
        ),
    ]);
    let snap = load_with(
        dir.path(),
        Some(StateData {
            by_address,
            shown: "s.tfstate".into(),
            unreadable: None,
        }),
    );
    assert!(snap.coverage.is_empty(), "{:?}", snap.coverage);
    let instances: Vec<&str> = addresses(&snap)
        .into_iter()
        .filter(|a| a.starts_with("aws_instance."))
        .collect();
    assert_eq!(instances, ["aws_instance.app[0]", "aws_instance.app[1]"]);
    let b = snap
        .resources
        .iter()
        .find(|r| r.address == "aws_instance.app[1]")
        .expect("app[1]");
    let get = |k: &str| b.attributes.get(k).cloned();
    assert_eq!(get("subnet_id"), Some(Value::str("subnet-b")));
    assert_eq!(get("ami"), Some(Value::str("ami-123")));
    assert_eq!(get("availability_zone"), Some(Value::str("eu-west-1b")));
    assert_eq!(
        get("tags"),
        Some(Value::Map(attrs(&[
            ("Account", Value::str("123456789012")),
            ("Env", Value::str("staging")),
            ("Param", Value::str("String")),
            ("Vpc", Value::str("10.0.0.0/16")),
            ("Where", Value::str("aws/eu-west-1")),
        ])))
    );
}
