//! Live reads and drift of a Pulumi stack against a real AWS API on
//! loopback (moto's server): resources are created through the SDK as
//! `pulumi up` would, the stack's export records their ids, and `parity`
//! must address live resources through those ids and label what changed
//! behind the stack's back. Without the emulator the test fails; it is
//! never skipped (scripts/test installs it).
#![cfg(feature = "aws")]

#[path = "common/mod.rs"]
mod common;
use common::live::{json_of, run_parity};
// The emulator helpers serve tests/live.rs too; not all of them are used here.
#[allow(dead_code)]
#[path = "live/moto.rs"]
mod moto;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use serde_json::Value as Json;

use moto::{runtime, Moto};

/// The program: a VPC, a subnet and a security group.
const PROGRAM: &str = r#"name: shop
runtime: yaml
resources:
  vpc:
    type: aws:ec2/vpc:Vpc
    properties:
      cidrBlock: 10.60.0.0/16
      tags:
        Environment: ${pulumi.stack}
  private-a:
    type: aws:ec2/subnet:Subnet
    properties:
      vpcId: ${vpc.id}
      cidrBlock: 10.60.1.0/24
      tags:
        Environment: ${pulumi.stack}
  app:
    type: aws:ec2/securityGroup:SecurityGroup
    properties:
      vpcId: ${vpc.id}
      description: app
      tags:
        Environment: ${pulumi.stack}
"#;

/// A stack export (deployment version 3) of the program, with the ids the
/// cloud gave its resources.
fn export(vpc: &str, subnet: &str, sg: &str) -> String {
    let urn = |t: &str, n: &str| format!("urn:pulumi:staging::shop::{t}::{n}");
    let provider = format!(
        "{}::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        urn("pulumi:providers:aws", "default_6_52_0")
    );
    let stack = urn("pulumi:pulumi:Stack", "shop-staging");
    let tags = serde_json::json!({"Environment": "staging"});
    let resource = |t: &str, n: &str, id: &str, outputs: Json| {
        serde_json::json!({
            "urn": urn(t, n), "custom": true, "id": id, "type": t,
            "inputs": outputs.clone(), "outputs": outputs,
            "parent": stack, "provider": provider,
        })
    };
    let doc = serde_json::json!({
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-12-07T10:00:00Z", "magic": "", "version": "v3.140.0"},
            "resources": [
                {"urn": stack, "custom": false, "type": "pulumi:pulumi:Stack", "outputs": {}},
                {"urn": urn("pulumi:providers:aws", "default_6_52_0"), "custom": true,
                 "id": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "type": "pulumi:providers:aws",
                 "inputs": {"version": "6.52.0"}, "outputs": {"version": "6.52.0"}},
                resource("aws:ec2/vpc:Vpc", "vpc", vpc, serde_json::json!({
                    "id": vpc, "cidrBlock": "10.60.0.0/16", "tags": tags,
                })),
                resource("aws:ec2/subnet:Subnet", "private-a", subnet, serde_json::json!({
                    "id": subnet, "vpcId": vpc, "cidrBlock": "10.60.1.0/24", "tags": tags,
                })),
                resource("aws:ec2/securityGroup:SecurityGroup", "app", sg, serde_json::json!({
                    "id": sg, "vpcId": vpc, "description": "app", "tags": tags,
                })),
            ]
        }
    });
    serde_json::to_string_pretty(&doc).expect("export")
}

fn project(endpoint: &str, export: &str) -> tempfile::TempDir {
    let toml = format!(
        r#"[environments.staging]
region = "eu-west-1"
pulumi = {{ stack-export = "state/staging.json", program = "." }}
aws = {{ region = "eu-west-1", endpoint-url = "{endpoint}", tags = {{ Environment = "staging" }} }}
"#
    );
    common::tree(&[
        ("parity.toml", &toml),
        ("Pulumi.yaml", PROGRAM),
        ("Pulumi.staging.yaml", "config:\n  aws:region: eu-west-1\n"),
        ("state/staging.json", export),
        ("aws/config", ""),
        ("aws/credentials", ""),
    ])
}

fn staging(rt: ResourceType) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .tags(Tag::builder().key("Environment").value("staging").build())
        .build()
}

/// Create what `pulumi up` would have: the VPC, subnet and group; their ids.
async fn deploy(moto: &Moto) -> (String, String, String) {
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk().await);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.60.0.0/16")
        .tag_specifications(staging(ResourceType::Vpc))
        .send()
        .await
        .expect("vpc");
    let vpc = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.60.1.0/24")
        .availability_zone("eu-west-1a")
        .tag_specifications(staging(ResourceType::Subnet))
        .send()
        .await
        .expect("subnet");
    let subnet = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string();
    let sg = ec2
        .create_security_group()
        .group_name("app-staging")
        .description("app")
        .vpc_id(&vpc)
        .tag_specifications(staging(ResourceType::SecurityGroup))
        .send()
        .await
        .expect("security group");
    let sg = sg.group_id().expect("group id").to_string();
    (vpc, subnet, sg)
}

#[test]
fn pulumi_live_resources_take_their_export_addresses_and_drift_is_labelled() {
    let moto = Moto::start();
    let rt = runtime();
    let (vpc, subnet, sg) = rt.block_on(deploy(&moto));
    let dir = project(&moto.url, &export(&vpc, &subnet, &sg));

    // Live resources are addressed through the export's ids.
    let (out, err, code) = run_parity(
        dir.path(),
        &["snapshot", "staging", "--source", "live", "--quiet"],
    );
    assert_eq!(code, 0, "{err}");
    let snap = json_of(&out, &err);
    let addresses: Vec<&str> = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    for a in [
        "aws_vpc.vpc",
        "aws_subnet.private-a",
        "aws_security_group.app",
    ] {
        assert!(addresses.contains(&a), "{a} not in {addresses:?}");
    }

    // Behind the stack's back: a rule opened on its group, a group created
    // in the environment's scope (addressed by its name, the environment's
    // written `${env}`).
    let stray = rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk().await);
        ec2.authorize_security_group_ingress()
            .group_id(&sg)
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .expect("ingress");
        let g = ec2
            .create_security_group()
            .group_name("stray-staging")
            .description("stray")
            .vpc_id(&vpc)
            .tag_specifications(staging(ResourceType::SecurityGroup))
            .send()
            .await
            .expect("stray group");
        g.group_id().expect("group id").to_string()
    });

    let (out, err, code) = run_parity(dir.path(), &["drift", "staging", "--format", "json"]);
    let report = json_of(&out, &err);
    assert_eq!(code, 2, "violations exit 2: {err}");
    assert_eq!(
        report["environments"],
        serde_json::json!(["staging (code)", "staging (state)", "staging (live)"])
    );
    let findings = report["findings"].as_array().expect("findings");
    let unmanaged = findings
        .iter()
        .find(|f| f["label"] == "unmanaged" && f["resource"] == "aws_security_group.stray-${env}")
        .unwrap_or_else(|| panic!("no unmanaged finding for {stray}: {findings:#?}"));
    assert!(
        unmanaged["message"]
            .as_str()
            .unwrap_or_default()
            .contains("created outside Pulumi"),
        "{unmanaged:#}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["resource"] == "aws_security_group.app"
                && f["attribute"] == "ingress"
                && f["between"] == "state/live"),
        "the opened rule: {findings:#?}"
    );
    // The resources the export knows are not reported unmanaged or missing.
    for a in ["aws_vpc.vpc", "aws_subnet.private-a"] {
        assert!(
            !findings
                .iter()
                .any(|f| f["resource"] == a && !f["label"].is_null()),
            "{a}: {findings:#?}"
        );
    }
}
