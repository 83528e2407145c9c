//! Live reads and drift of a CloudFormation environment against a real
//! AWS API on loopback (moto's server): moto deploys the template as a
//! stack through the SDK (creating its EC2 and IAM resources), changes are
//! made behind the stack's back, and `parity` must address live resources
//! through `ListStackResources` and label each change. Without the
//! emulator the test fails; it is never skipped (scripts/test installs it).
#![cfg(feature = "aws")]

#[path = "common/mod.rs"]
mod common;
use common::live::{json_of, lines, run_parity};
// The emulator helpers serve tests/live.rs too; not all of them are used here.
#[allow(dead_code)]
#[path = "live/moto.rs"]
mod moto;

use moto::{runtime, Moto};

/// The template parity evaluates and moto deploys: one VPC, a subnet, a
/// security group and a role, tagged as the `aws` table scopes staging.
const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: staging
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.40.0.0/16
      Tags:
        - Key: Environment
          Value: !Ref Env
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.40.1.0/24
      # moto takes a subnet without a zone for the default of us-east-1a.
      AvailabilityZone: eu-west-1a
      Tags:
        - Key: Environment
          Value: !Ref Env
  AppSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 10.0.0.0/8
      Tags:
        - Key: Environment
          Value: !Ref Env
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-staging
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
"#;

const STACK: &str = "shop-staging";

fn project(endpoint: &str) -> tempfile::TempDir {
    let toml = format!(
        r#"[environments.staging]
region = "eu-west-1"
cloudformation = {{ template = "cfn/app.yaml", stack-name = "{STACK}", region = "eu-west-1", account = "123456789012" }}
aws = {{ region = "eu-west-1", endpoint-url = "{endpoint}", tags = {{ Environment = "staging" }} }}
"#
    );
    common::tree(&[
        ("parity.toml", &toml),
        ("cfn/app.yaml", TEMPLATE),
        ("aws/config", ""),
        ("aws/credentials", ""),
    ])
}

/// Deploy the template as stack `shop-staging`; the physical id of each
/// logical id.
async fn deploy(moto: &Moto) -> std::collections::BTreeMap<String, String> {
    let conf = moto.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&conf);
    cfn.create_stack()
        .stack_name(STACK)
        .template_body(TEMPLATE)
        .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityNamedIam)
        .send()
        .await
        .expect("create stack");
    let listed = cfn
        .list_stack_resources()
        .stack_name(STACK)
        .send()
        .await
        .expect("list stack resources");
    listed
        .stack_resource_summaries()
        .iter()
        .map(|s| {
            (
                s.logical_resource_id().unwrap_or_default().to_string(),
                s.physical_resource_id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn cloudformation_live_resources_take_their_stack_addresses() {
    let moto = Moto::start();
    let rt = runtime();
    let ids = rt.block_on(deploy(&moto));
    assert_eq!(ids.len(), 4, "{ids:?}");
    let dir = project(&moto.url);

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
        "aws_vpc.Vpc",
        "aws_subnet.SubnetA",
        "aws_security_group.AppSecurityGroup",
        "aws_iam_role.AppRole",
    ] {
        assert!(addresses.contains(&a), "{a} not in {addresses:?}");
    }

    // In sync: no difference between the template and its stack.
    let (out, err, code) = run_parity(dir.path(), &["drift", "staging", "--format", "json"]);
    let report = json_of(&out, &err);
    assert_eq!(
        lines(&report),
        Vec::<String>::new(),
        "{err}{:#}",
        report["findings"]
    );
    assert_eq!(code, 0, "{err}");

    // Behind the stack's back: a rule opened on its group, its subnet
    // deleted, a VPC created in the environment's scope.
    let unmanaged_vpc = rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk().await);
        ec2.authorize_security_group_ingress()
            .group_id(&ids["AppSecurityGroup"])
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .expect("ingress");
        ec2.delete_subnet()
            .subnet_id(&ids["SubnetA"])
            .send()
            .await
            .expect("delete subnet");
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.41.0.0/16")
            .tag_specifications(
                aws_sdk_ec2::types::TagSpecification::builder()
                    .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                    .tags(
                        aws_sdk_ec2::types::Tag::builder()
                            .key("Environment")
                            .value("staging")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("vpc");
        vpc.vpc()
            .and_then(|v| v.vpc_id())
            .expect("vpc id")
            .to_string()
    });

    let (out, err, code) = run_parity(dir.path(), &["drift", "staging", "--format", "json"]);
    let report = json_of(&out, &err);
    assert_eq!(code, 2, "violations exit 2: {err}");
    assert_eq!(
        report["environments"],
        serde_json::json!(["staging (code)", "staging (live)"])
    );
    let mut found = lines(&report);
    found.sort();
    let mut planted = vec![
        format!("critical-resource-presence aws_vpc.{unmanaged_vpc} - [code/live unmanaged]"),
        "critical-resource-presence aws_subnet.SubnetA - [code/live missing]".to_string(),
        "security-group-rules aws_security_group.AppSecurityGroup ingress [code/live]".to_string(),
    ];
    planted.sort();
    assert_eq!(found, planted, "{:#}", report["findings"]);
    let missing = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["label"] == "missing")
        .expect("missing finding");
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("CloudFormation stack")),
        "{missing:#}"
    );
    assert_eq!(missing["locations"]["staging (code)"], "cfn/app.yaml:14");
    let usage = &report["summary"]["live"][0];
    assert_eq!(usage["environment"], "staging");
    // The stack's one page is counted with the collectors' calls.
    assert_eq!(usage["services"]["cloudformation"]["calls"], 1, "{usage:#}");

    // Without the account there is nothing to compare the template with.
    let (_, err, code) = run_parity(dir.path(), &["drift", "staging", "--no-live"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--no-live leaves the account out"), "{err}");
}
