//! Live reads and drift of a CDK environment against a real AWS API on
//! loopback (moto's server). The committed cloud assembly of
//! fixtures/cdk-live is deployed as `cdk deploy` deploys it: the file
//! assets (the nested stack's template) published to the bootstrap
//! bucket, the bootstrap version parameter in SSM (what `cdk bootstrap`
//! creates and the template's `BootstrapVersion` parameter reads), each
//! stage's stack created from its template under its `stackName`. `parity`
//! must address live resources through `ListStackResources` of each stack
//! and of its nested stack, and label each change made behind the stacks'
//! backs. Without the emulator the test fails; it is never skipped.
#![cfg(feature = "aws")]

#[path = "common/mod.rs"]
mod common;
use common::live::{json_of, run_parity};
// The emulator helpers serve tests/live.rs too; not all of them are used here.
#[allow(dead_code)]
#[path = "live/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use moto::{runtime, Moto};

fn assembly() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cdk-live/cdk.out")
}

fn project(endpoint: &str) -> tempfile::TempDir {
    let out = assembly();
    let out = out.to_str().expect("utf-8 path");
    let toml = format!(
        r#"[environments.staging]
cdk = {{ out = "{out}", stage = "Staging" }}
aws = {{ region = "eu-west-1", endpoint-url = "{endpoint}", tags = {{ Environment = "staging" }} }}

[environments.prod]
cdk = {{ out = "{out}", stage = "Prod" }}
aws = {{ region = "eu-west-1", endpoint-url = "{endpoint}", tags = {{ Environment = "prod" }} }}
"#
    );
    common::tree(&[
        ("parity.toml", &toml),
        ("aws/config", ""),
        ("aws/credentials", ""),
    ])
}

/// `rule resource attribute [between label]` of each finding that is not
/// an expected difference.
fn lines(report: &Json) -> Vec<String> {
    let mut out = common::live::lines(report);
    out.sort();
    out
}

/// What `cdk bootstrap` leaves that a deployment of the templates reads:
/// the bootstrap version in SSM (`/cdk-bootstrap/hnb659fds/version`, read
/// by the `BootstrapVersion` parameter). The SDK of SSM is not a
/// dependency: one JSON request, as the SDK sends it.
fn bootstrap_version(moto: &Moto) {
    let body = r#"{"Name":"/cdk-bootstrap/hnb659fds/version","Value":"21","Type":"String"}"#;
    let port = moto.url.rsplit(':').next().expect("port");
    let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AmazonSSM.PutParameter\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).expect("write");
    let mut reply = String::new();
    s.read_to_string(&mut reply).expect("read");
    assert!(reply.starts_with("HTTP/1.1 200"), "PutParameter: {reply}");
}

/// Deploy stage `stage` as `cdk deploy` does: publish the stack's file
/// assets (the nested template) to their destination in the bootstrap
/// bucket, then create the stack from its template under its
/// `stackName`. The physical id of each logical id, nested stacks' too
/// (`Nested/LogicalId`).
async fn deploy(moto: &Moto, stage: &str) -> BTreeMap<String, String> {
    let conf = moto.sdk().await;
    let dir = assembly().join(format!("assembly-{stage}"));
    let manifest: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest json");
    let (stack_name, template, assets) = manifest["artifacts"]
        .as_object()
        .expect("artifacts")
        .values()
        .find(|a| a["type"] == "aws:cloudformation:stack")
        .map(|a| {
            let p = &a["properties"];
            let id = p["templateFile"].as_str().expect("templateFile");
            (
                p["stackName"].as_str().expect("stackName").to_string(),
                id.to_string(),
                id.replace(".template.json", ".assets.json"),
            )
        })
        .expect("a stack");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let assets: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join(&assets)).expect("assets"))
            .expect("assets json");
    for file in assets["files"].as_object().expect("files").values() {
        let source = file["source"]["path"].as_str().expect("path");
        for d in file["destinations"]
            .as_object()
            .expect("destinations")
            .values()
        {
            let bucket = d["bucketName"].as_str().expect("bucket");
            let _ = s3
                .create_bucket()
                .bucket(bucket)
                .create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                        .build(),
                )
                .send()
                .await;
            s3.put_object()
                .bucket(bucket)
                .key(d["objectKey"].as_str().expect("key"))
                .body(std::fs::read(dir.join(source)).expect("asset").into())
                .send()
                .await
                .expect("publish asset");
        }
    }
    let cfn = aws_sdk_cloudformation::Client::new(&conf);
    cfn.create_stack()
        .stack_name(&stack_name)
        .template_body(std::fs::read_to_string(dir.join(&template)).expect("template"))
        .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityIam)
        .send()
        .await
        .expect("create stack");
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let mut ids = BTreeMap::new();
    let mut todo = vec![(String::new(), stack_name, dir.join(&template))];
    while let Some((prefix, stack, file)) = todo.pop() {
        let body: Json = serde_json::from_str(&std::fs::read_to_string(&file).expect("template"))
            .expect("template json");
        let listed = cfn
            .list_stack_resources()
            .stack_name(&stack)
            .send()
            .await
            .expect("list stack resources");
        for s in listed.stack_resource_summaries() {
            let logical = s.logical_resource_id().unwrap_or_default();
            let physical = s.physical_resource_id().unwrap_or_default().to_string();
            let declared = &body["Resources"][logical];
            if s.resource_type() == Some("AWS::CloudFormation::Stack") {
                let nested = declared["Metadata"]["aws:asset:path"]
                    .as_str()
                    .expect("nested template asset");
                todo.push((
                    format!("{prefix}{logical}/"),
                    physical.clone(),
                    dir.join(nested),
                ));
            }
            as_cloudformation_would(&ec2, declared, &physical).await;
            ids.insert(format!("{prefix}{logical}"), physical);
        }
    }
    ids
}

/// What moto's CloudFormation does not do as AWS's does, done through
/// the EC2 API so that the deployment is the template's: moto leaves out
/// the `Tags` of an `AWS::EC2::RouteTable`, the `Description` of each
/// rule of an `AWS::EC2::SecurityGroup`, and its `SecurityGroupEgress`
/// (it keeps the default allow-all rule).
async fn as_cloudformation_would(ec2: &aws_sdk_ec2::Client, declared: &Json, id: &str) {
    use aws_sdk_ec2::types::{IpPermission, IpRange, Tag};
    let props = &declared["Properties"];
    let rule = |r: &Json| {
        IpPermission::builder()
            .ip_protocol(r["IpProtocol"].as_str().expect("IpProtocol"))
            .set_from_port(r["FromPort"].as_i64().map(|p| p as i32))
            .set_to_port(r["ToPort"].as_i64().map(|p| p as i32))
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(r["CidrIp"].as_str().expect("CidrIp"))
                    .set_description(r["Description"].as_str().map(str::to_string))
                    .build(),
            )
            .build()
    };
    match declared["Type"].as_str() {
        Some("AWS::EC2::RouteTable") => {
            let mut call = ec2.create_tags().resources(id);
            for t in props["Tags"].as_array().into_iter().flatten() {
                call = call.tags(
                    Tag::builder()
                        .key(t["Key"].as_str().expect("Key"))
                        .value(t["Value"].as_str().expect("Value"))
                        .build(),
                );
            }
            call.send().await.expect("route table tags");
        }
        Some("AWS::EC2::SecurityGroup") => {
            let ingress: Vec<IpPermission> = props["SecurityGroupIngress"]
                .as_array()
                .into_iter()
                .flatten()
                .map(rule)
                .collect();
            if !ingress.is_empty() {
                ec2.update_security_group_rule_descriptions_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(ingress))
                    .send()
                    .await
                    .expect("ingress descriptions");
            }
            if let Some(egress) = props["SecurityGroupEgress"].as_array() {
                ec2.revoke_security_group_egress()
                    .group_id(id)
                    .ip_permissions(
                        IpPermission::builder()
                            .ip_protocol("-1")
                            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                            .build(),
                    )
                    .send()
                    .await
                    .expect("default egress");
                ec2.authorize_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(egress.iter().map(rule).collect()))
                    .send()
                    .await
                    .expect("egress");
            }
        }
        _ => {}
    }
}

const NESTED: &str = "module.Shop.module.WorkersNestedStackWorkersNestedStackResourceCEAEF017.";

#[test]
fn cdk_live_resources_take_their_stack_addresses() {
    let moto = Moto::start();
    let rt = runtime();
    bootstrap_version(&moto);
    let ids = rt.block_on(deploy(&moto, "Staging"));
    let sg = ids["AppSecurityGroupC396D536"].clone();
    let nested_sg = ids
        .iter()
        .find(|(k, _)| k.ends_with("/WorkerSecurityGroup5529CF0B"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("nested security group: {ids:?}"));
    let dir = project(&moto.url);

    // Each live resource of the stack and of its nested stack at the
    // template's address.
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
        "module.Shop.aws_vpc.Network1C6012B5".to_string(),
        "module.Shop.aws_subnet.NetworkappSubnet1SubnetA29AEAED".to_string(),
        "module.Shop.aws_security_group.AppSecurityGroupC396D536".to_string(),
        "module.Shop.aws_iam_role.AppRoleDC883459".to_string(),
        format!("{NESTED}aws_security_group.WorkerSecurityGroup5529CF0B"),
        format!("{NESTED}aws_iam_role.WorkerRole8DD27D41"),
    ] {
        assert!(addresses.contains(&a.as_str()), "{a} not in {addresses:?}");
    }

    // Prod is not deployed yet: its stack is a coverage gap, never "all good".
    let (out, err, code) = run_parity(dir.path(), &["drift", "prod", "--format", "json"]);
    let report = json_of(&out, &err);
    assert_eq!(code, 3, "incomplete exits 3: {err}{out}");
    let gaps = report["summary"]["incomplete"].to_string();
    assert!(
        gaps.contains("Prod-Shop") && gaps.contains("does not exist"),
        "{gaps}"
    );

    // In sync: no difference between the templates and their stacks but
    // one the emulator makes. moto's CloudFormation does not associate the
    // subnet with its route table, and lists the association's physical
    // id as the route table's id (AWS lists the `rtbassoc-` id): no live
    // association has it, so the stack's association is missing.
    let association = "critical-resource-presence module.Shop.aws_route_table_association.\
                       NetworkappSubnet1RouteTableAssociation747F3671 - [code/live missing]";
    let (out, err, code) = run_parity(dir.path(), &["drift", "staging", "--format", "json"]);
    let report = json_of(&out, &err);
    assert_eq!(
        lines(&report),
        vec![association.to_string()],
        "{err}{:#}",
        report["findings"]
    );
    assert_eq!(code, 2, "{err}");

    // Both stages deployed: their live resources pair by the template's
    // addresses, as their templates do.
    rt.block_on(deploy(&moto, "Prod"));
    let (out, err, code) = run_parity(
        dir.path(),
        &[
            "diff", "staging", "prod", "--source", "live", "--format", "json",
        ],
    );
    let report = json_of(&out, &err);
    // Every resource pairs, none is only on one side; the stacks' ids in
    // CloudFormation's tags are an expected difference.
    assert_eq!(lines(&report), Vec::<String>::new(), "{err}");
    assert_eq!(code, 0, "{err}");
    // The VPC, its subnet and route table, the two security groups and
    // the two roles (moto's association is not live, see above).
    assert_eq!(
        report["summary"]["compared_resources"], 7,
        "{:#}",
        report["summary"]
    );
    let pairs: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["attribute"] == "tags.aws:cloudformation:stack-id")
        .filter_map(|f| f["resource"].as_str())
        .collect();
    assert!(
        pairs.contains(&format!("{NESTED}aws_security_group.WorkerSecurityGroup5529CF0B").as_str()),
        "{pairs:?}"
    );

    // Behind the stacks' backs: a rule opened on the stack's group and
    // one on the nested stack's group.
    rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk().await);
        for group in [&sg, &nested_sg] {
            ec2.authorize_security_group_ingress()
                .group_id(group)
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .cidr_ip("0.0.0.0/0")
                .send()
                .await
                .expect("ingress");
        }
    });
    let (out, err, code) = run_parity(dir.path(), &["drift", "staging", "--format", "json"]);
    let report = json_of(&out, &err);
    assert_eq!(code, 2, "violations exit 2: {err}");
    assert_eq!(
        lines(&report),
        vec![
            association.to_string(),
            "security-group-rules module.Shop.aws_security_group.AppSecurityGroupC396D536 ingress [code/live]".to_string(),
            format!("security-group-rules {NESTED}aws_security_group.WorkerSecurityGroup5529CF0B ingress [code/live]"),
        ],
        "{:#}",
        report["findings"]
    );
    let at: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["locations"]["staging (code)"].as_str())
        .collect();
    assert!(
        at.iter()
            .any(|l| l.ends_with("assembly-Staging/StagingShop7D039BB3.template.json:105")),
        "{at:?}"
    );
    assert!(
        at.iter()
            .any(|l| l
                .ends_with("assembly-Staging/StagingShopWorkersA12C28F4.nested.template.json:16")),
        "{at:?}"
    );
}
