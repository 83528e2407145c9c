//! Code values take the AWS provider schema's types
//! (`src/sources/terraform/schema/`): fixtures/schema-types/main.tf writes
//! numbers and bools as strings, a number in a string map and a set out of
//! order; plan.json and state.json are what Terraform 1.11 and the AWS
//! provider 5.100 made of it (fixtures/schema-types/record.sh, against moto).

mod common;

use std::path::{Path, PathBuf};

use common::{parity, repo, tree};
use serde_json::Value as Json;

fn fixture() -> PathBuf {
    repo().join("fixtures/schema-types")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture().join(name)).expect("fixture file")
}

fn json_out(dir: &Path, args: &[&str]) -> (Json, i32) {
    let out = parity(dir).args(args).output().expect("run parity");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap_or(-1))
}

fn findings(report: &Json) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| format!("{} {} {}", f["rule"], f["resource"], f["attribute"]))
                .collect()
        })
        .unwrap_or_default()
}

/// Every value the code gives (`{"$unknown": …}` aside) is in `planned`,
/// with the same JSON type: numbers as numbers, bools as bools, sets in the
/// plan's order.
fn typed_like(code: &Json, planned: &Json, at: &str, checked: &mut usize) {
    match (code, planned) {
        (Json::Object(c), _) if c.contains_key("$unknown") => {}
        (Json::Object(c), Json::Object(p)) => {
            for (k, v) in c {
                match p.get(k) {
                    Some(w) => typed_like(v, w, &format!("{at}.{k}"), checked),
                    // Planned values leave out what is known only after
                    // apply.
                    None => assert!(v.to_string().contains("$unknown"), "{at}.{k}: not planned"),
                }
            }
        }
        (Json::Array(c), Json::Array(p)) => {
            assert_eq!(c.len(), p.len(), "{at}: {code} vs {planned}");
            for (i, (v, w)) in c.iter().zip(p).enumerate() {
                typed_like(v, w, &format!("{at}[{i}]"), checked);
            }
        }
        (Json::Number(c), Json::Number(p)) => {
            assert_eq!(c.as_f64(), p.as_f64(), "{at}");
            *checked += 1;
        }
        _ => {
            assert_eq!(code, planned, "{at}");
            *checked += 1;
        }
    }
}

#[test]
fn code_values_have_the_types_terraform_planned() {
    let (code, status) = json_out(&fixture(), &["snapshot", "staging"]);
    assert_eq!(status, 0);
    let plan: Json = serde_json::from_str(&read("plan.json")).expect("plan JSON");
    let planned = plan["planned_values"]["root_module"]["resources"]
        .as_array()
        .expect("planned resources");
    let mut checked = 0;
    let resources = code["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), 5);
    for r in resources {
        let address = r["address"].as_str().expect("address");
        let p = planned
            .iter()
            .find(|p| p["address"] == address)
            .unwrap_or_else(|| panic!("{address} not planned"));
        typed_like(&r["attributes"], &p["values"], address, &mut checked);
    }
    assert_eq!(checked, 34, "values compared");
    // The ones main.tf writes as strings (or out of order).
    let get = |address: &str, path: &[&str]| {
        let r = resources
            .iter()
            .find(|r| r["address"] == address)
            .expect("resource");
        path.iter()
            .fold(&r["attributes"], |v, k| match k.parse::<usize>() {
                Ok(i) => &v[i],
                Err(_) => &v[*k],
            })
            .clone()
    };
    use serde_json::json;
    assert_eq!(get("aws_vpc.main", &["enable_dns_support"]), json!(true));
    assert_eq!(get("aws_vpc.main", &["tags", "Tier"]), json!("1"));
    assert_eq!(
        get("aws_security_group.web", &["ingress", "1", "from_port"]),
        json!(0)
    );
    assert_eq!(
        get("aws_security_group.web", &["ingress", "1", "self"]),
        json!(false)
    );
    assert_eq!(
        get("aws_network_acl.main", &["ingress", "0", "rule_no"]),
        json!(100)
    );
    assert_eq!(
        get("aws_network_interface.web", &["private_ips"]),
        json!(["10.42.1.10", "10.42.1.20"])
    );
}

#[test]
fn no_drift_between_the_code_and_what_terraform_applied_from_it() {
    // Before the schema types: `enable_dns_support = "1"` against `true` and
    // `private_ips` in written order against the set's order were two
    // config-difference warnings.
    let (report, status) = json_out(&fixture(), &["drift", "staging", "--format", "json"]);
    assert_eq!(findings(&report), Vec::<String>::new());
    assert_eq!(status, 0);
}

#[test]
fn code_written_with_strings_or_with_types_compares_equal() {
    let typed = read("main.tf")
        .replace("\"true\"", "true")
        .replace("\"false\"", "false")
        .replace("\"1\"", "true")
        .replace("\"0\"", "0")
        .replace("\"443\"", "443")
        .replace("\"100\"", "100")
        .replace("Tier = 1", "Tier = \"1\"")
        .replace(
            "[\"10.42.1.20\", \"10.42.1.10\"]",
            "[\"10.42.1.10\", \"10.42.1.20\"]",
        );
    assert_ne!(typed, read("main.tf"));
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n",
        ),
        ("staging/main.tf", &read("main.tf")),
        ("prod/main.tf", &typed),
    ]);
    let (report, status) = json_out(
        dir.path(),
        &[
            "diff",
            "staging",
            "prod",
            "--format",
            "json",
            "--fail-on",
            "info",
        ],
    );
    assert_eq!(findings(&report), Vec::<String>::new());
    assert_eq!(status, 0);
}

#[test]
fn a_tf_json_block_written_as_one_object_is_a_list_of_blocks() {
    // Terraform tells the block from an object attribute by the schema:
    // `root_block_device` is a list block of aws_instance, so one object is
    // one block, as the same block in native syntax.
    let json_dir = tree(&[(
        "main.tf.json",
        r#"{"resource": {"aws_instance": {"web": {
            "ami": "ami-1",
            "root_block_device": {"volume_size": "20", "encrypted": "true"},
            "vpc_security_group_ids": ["sg-b", "sg-a"]
        }}}}"#,
    )]);
    let hcl_dir = tree(&[(
        "main.tf",
        r#"
resource "aws_instance" "web" {
  ami                    = "ami-1"
  vpc_security_group_ids = ["sg-a", "sg-b"]
  root_block_device {
    volume_size = 20
    encrypted   = true
  }
}
"#,
    )]);
    let attrs = |dir: &Path| {
        let (snap, status) = json_out(dir, &["snapshot", "."]);
        assert_eq!(status, 0, "{snap}");
        snap["resources"][0]["attributes"].clone()
    };
    let expected = serde_json::json!({
        "ami": "ami-1",
        "root_block_device": [{"encrypted": true, "volume_size": 20}],
        "vpc_security_group_ids": ["sg-a", "sg-b"],
    });
    assert_eq!(attrs(json_dir.path()), expected);
    assert_eq!(attrs(hcl_dir.path()), expected);
}
