//! The live source against a real AWS API on loopback (moto's server).
//!
//! Each test starts its own emulator, creates two environments' resources
//! through the AWS SDK, runs the collectors through the same SDK clients
//! production uses (with `endpoint-url` set), and judges the snapshots with
//! the library's rules. Without the emulator a test fails; it is never
//! skipped (scripts/test installs it).
#![cfg(feature = "aws")]

#[path = "live/infra.rs"]
mod infra;
#[path = "live/moto.rs"]
mod moto;

use parity::findings::Finding;
use parity::model::{Snapshot, Value};
use parity::sources::aws::{self, AwsError, CollectStats, StaticCredentials};

use moto::{runtime, Moto, REGION};

fn resource<'a>(snap: &'a Snapshot, key: &str) -> &'a parity::model::Resource {
    snap.resources
        .iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| {
            let keys: Vec<&str> = snap.resources.iter().map(|r| r.key.as_str()).collect();
            panic!("no {key} in {}: {keys:#?}", snap.environment)
        })
}

fn judge(mut a: Snapshot, mut b: Snapshot, account: &str) -> Vec<Finding> {
    parity::normalize::Normalizer::new("staging", &[], Some(account), Some(REGION)).apply(&mut a);
    parity::normalize::Normalizer::new("prod", &[], Some(account), Some(REGION)).apply(&mut b);
    let pairs = parity::matching::pair(&a, &b, &[]);
    let rules = parity::rules::packs::builtin().expect("built-in rules");
    parity::rules::engine::Engine::new(&rules)
        .run(&pairs, "staging", "prod")
        .findings
}

fn find<'a>(findings: &'a [Finding], rule: &str, resource: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.rule == rule && f.resource == resource)
        .unwrap_or_else(|| {
            let all: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {} {:?}", f.rule, f.resource, f.attribute))
                .collect();
            panic!("no {rule} finding on {resource}: {all:#?}")
        })
}

fn read_only(stats: &CollectStats) {
    assert!(stats.refused.is_empty(), "refused: {:?}", stats.refused);
    for op in stats.operations() {
        let (service, name) = op.split_once(':').expect("service:Operation");
        assert!(
            ["Describe", "List", "Get"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{op} is not a read"
        );
        assert!(
            aws::ALLOWED_OPERATIONS.contains(&(service, name)),
            "{op} is not in the allow-list"
        );
    }
}

#[test]
fn live_parity_finds_planted_differences() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let conf = moto.sdk().await;
        infra::build(&conf, &infra::STAGING).await;
        infra::build(&conf, &infra::PROD).await;
        infra::build_unrelated(&conf).await;
    });
    drop(rt);

    let (staging, stats) =
        aws::collect_with_stats("staging", &moto.settings("staging")).expect("collect staging");
    let prod = aws::collect("prod", &moto.settings("prod")).expect("collect prod");
    assert!(staging.coverage.is_empty(), "{:?}", staging.coverage);
    assert!(prod.coverage.is_empty(), "{:?}", prod.coverage);
    read_only(&stats);
    assert_eq!(stats.account_id, "123456789012");
    for service in ["ec2", "rds", "iam", "sts"] {
        let s = &stats.services[service];
        assert!(s.calls() > 0 && s.requests >= s.calls(), "{service}: {s:?}");
    }

    // Scoping: the unrelated environment is left out.
    assert!(
        !staging
            .resources
            .iter()
            .any(|r| r.key.contains("other") || r.key.contains("prod")),
        "{:#?}",
        staging.resources.iter().map(|r| &r.key).collect::<Vec<_>>()
    );

    // Keys from Name tags (zones as instance keys); wiring as references.
    let subnet = resource(&staging, "aws_subnet.shop-staging-private[\"eu-west-1a\"]");
    assert_eq!(
        subnet.attributes["vpc_id"],
        Value::Unknown("aws_vpc.shop-staging.id".into())
    );
    assert!(
        subnet.location.file.contains("subnet-"),
        "{}",
        subnet.location
    );
    let db = resource(&staging, "aws_db_instance.shop-staging-db");
    assert_eq!(db.attributes["engine_version"], Value::from("15.7"));
    assert_eq!(
        db.attributes["db_subnet_group_name"],
        Value::Unknown("aws_db_subnet_group.shop-staging-db.name".into())
    );
    assert_eq!(
        db.attributes["parameter_group_name"],
        Value::Unknown("aws_db_parameter_group.shop-staging-pg.name".into())
    );
    assert_eq!(
        db.attributes["vpc_security_group_ids"],
        Value::List(vec![Value::Unknown(
            "aws_security_group.shop-staging-db.id".into()
        )])
    );
    let pg = resource(&staging, "aws_db_parameter_group.shop-staging-pg");
    assert_eq!(pg.attributes["family"], Value::from("postgres15"));
    assert!(
        pg.attributes["parameter"]
            .display()
            .contains("log_min_duration_statement"),
        "{}",
        pg.attributes["parameter"]
    );
    let role = resource(&staging, "aws_iam_role.shop-staging-api");
    let trust = role.attributes["assume_role_policy"]
        .as_str()
        .expect("trust policy");
    assert!(trust.contains("ec2.amazonaws.com"), "{trust}");
    let attachment = resource(
        &staging,
        "aws_iam_role_policy_attachment.shop-staging-api:shop-staging-logs",
    );
    assert_eq!(
        attachment.attributes["policy_arn"],
        Value::Unknown("aws_iam_policy.shop-staging-logs.arn".into())
    );
    let profile = resource(&staging, "aws_iam_instance_profile.shop-staging-api");
    assert_eq!(
        profile.attributes["role"],
        Value::Unknown("aws_iam_role.shop-staging-api.name".into())
    );
    resource(
        &staging,
        "aws_route_table_association.shop-staging-private[\"eu-west-1b\"]",
    );
    let routes =
        resource(&staging, "aws_route_table.shop-staging-public").attributes["route"].display();
    assert!(
        routes.contains("aws_internet_gateway.shop-staging.id"),
        "{routes}"
    );

    let findings = judge(staging, prod, &stats.account_id);
    let engine = find(
        &findings,
        "engine-version",
        "aws_db_instance.shop-${env}-db",
    );
    assert_eq!(engine.left.as_deref(), Some("15.7"));
    assert_eq!(engine.right.as_deref(), Some("15.5"));

    let count = find(&findings, "network-count", "aws_subnet.shop-${env}-private");
    assert!(count.message.contains("${region}c"), "{}", count.message);

    let policy = find(
        &findings,
        "iam-inline-policy",
        "aws_iam_role_policy.shop-${env}-api:s3-access",
    );
    assert!(
        policy.message.contains("staging is wider"),
        "{}",
        policy.message
    );

    let sg = find(
        &findings,
        "security-group-rules",
        "aws_security_group.shop-${env}-db",
    );
    assert_eq!(
        sg.attribute.as_deref().map(|a| a.starts_with("ingress")),
        Some(true)
    );

    // Same wiring, same trust, same attached policy: no finding there, and
    // ids, ARNs and owners never count as violations.
    for f in &findings {
        assert!(
            !matches!(
                f.rule.as_str(),
                "iam-assume-role-policy"
                    | "iam-policy"
                    | "iam-policy-attachment"
                    | "subnet-placement"
            ),
            "unexpected {} on {}: {}",
            f.rule,
            f.resource,
            f.message
        );
        if let Some(attr) = &f.attribute {
            let top = attr.split('.').next().unwrap_or_default();
            if [
                "id",
                "arn",
                "owner_id",
                "unique_id",
                "resource_id",
                "endpoint",
            ]
            .contains(&top)
            {
                assert!(!f.is_violation(), "{} on {}.{attr}", f.rule, f.resource);
            }
        }
    }
}

#[test]
fn scan_is_read_only() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        infra::build(&moto.sdk().await, &infra::STAGING).await;
    });

    // A whole collection calls only allowed read operations.
    let settings = moto.settings("staging");
    let (snap, stats) = aws::collect_with_stats("staging", &settings).expect("collect");
    assert!(!snap.resources.is_empty());
    read_only(&stats);
    let ops = stats.operations();
    for expected in [
        "ec2:DescribeVpcs",
        "rds:DescribeDBInstances",
        "iam:GetAccountAuthorizationDetails",
    ] {
        assert!(
            ops.iter().any(|o| o == expected),
            "{expected} not called: {ops:?}"
        );
    }

    // A write through the collectors' clients is refused before it is sent.
    rt.block_on(async {
        let clients = aws::client::Clients::connect("staging", &settings)
            .await
            .expect("clients");
        let err = clients.regions[0]
            .ec2
            .create_vpc()
            .cidr_block("10.77.0.0/16")
            .send()
            .await
            .expect_err("a write must be refused");
        let text = format!("{}", aws::client::ApiFailure::from_sdk(&err));
        assert!(text.contains("read-only"), "{text}");
        assert_eq!(
            clients.guard.stats().refused,
            vec!["ec2:CreateVpc".to_string()]
        );
        let vpcs = aws_sdk_ec2::Client::new(&moto.sdk().await)
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("cidr")
                    .values("10.77.0.0/16")
                    .build(),
            )
            .send()
            .await
            .expect("describe");
        assert!(vpcs.vpcs().is_empty(), "the refused call reached the API");
    });
}

#[test]
fn iam_reads_in_bulk_and_falls_back_to_one_call_per_resource() {
    let moto = Moto::start();
    let rt = runtime();
    let (key, secret) = rt.block_on(async {
        let conf = moto.sdk().await;
        infra::build(&conf, &infra::STAGING).await;
        // A policy with a description, which `ListPolicies` leaves out of
        // its answer (on AWS and on the emulator).
        aws_sdk_iam::Client::new(&conf)
            .create_policy()
            .policy_name("shop-staging-audit")
            .description("read by the auditors")
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            )
            .send()
            .await
            .expect("create policy");
        // Every read but the account-wide IAM one.
        moto.user_with_policy(
            "no-bulk",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","rds:Describe*","iam:List*","iam:Get*","sts:GetCallerIdentity"],"Resource":"*"},{"Effect":"Deny","Action":"iam:GetAccountAuthorizationDetails","Resource":"*"}]}"#,
        )
        .await
    });
    let iam_only = |snap: &Snapshot| -> Vec<(String, Vec<(String, Value)>)> {
        snap.resources
            .iter()
            .filter(|r| r.rtype.starts_with("aws_iam_"))
            .map(|r| {
                let attrs = r
                    .attributes
                    .iter()
                    // The emulator leaves the policy id out of the bulk answer.
                    .filter(|(k, _)| k.as_str() != "policy_id")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (r.key.clone(), attrs)
            })
            .collect()
    };

    // In bulk: IAM takes three calls whatever the number of roles.
    let (bulk, stats) =
        aws::collect_with_stats("staging", &moto.settings("staging")).expect("bulk collection");
    assert!(bulk.coverage.is_empty(), "{:?}", bulk.coverage);
    assert_eq!(
        stats.services["iam"].operations.keys().collect::<Vec<_>>(),
        vec![
            "GetAccountAuthorizationDetails",
            "ListInstanceProfiles",
            "ListRoles"
        ]
    );
    assert_eq!(stats.services["iam"].calls(), 3);

    // Refused: the same resources, read one by one, and no coverage gap.
    moto.enforce_iam();
    let mut settings = moto.settings("staging");
    settings.credentials = Some(StaticCredentials {
        access_key_id: key,
        secret_access_key: secret,
        session_token: None,
    });
    let (slow, stats) = aws::collect_with_stats("staging", &settings).expect("fallback");
    assert!(slow.coverage.is_empty(), "{:?}", slow.coverage);
    let ops = stats.operations();
    for op in [
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} not called: {ops:?}");
    }
    read_only(&stats);
    let (b, s) = (iam_only(&bulk), iam_only(&slow));
    // Role, inline policy, attachment, two managed policies, instance
    // profile.
    assert_eq!(b.len(), 6, "{b:#?}");
    let described = |snap: &[(String, Vec<(String, Value)>)]| {
        snap.iter()
            .find(|(k, _)| k == "aws_iam_policy.shop-staging-audit")
            .and_then(|(_, attrs)| attrs.iter().find(|(k, _)| k == "description"))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        described(&s),
        Some(Value::from("read by the auditors")),
        "{s:#?}"
    );
    assert_eq!(b, s);
}

#[test]
fn denied_calls_are_coverage_and_bad_credentials_an_error() {
    let moto = Moto::start();
    let rt = runtime();
    let (key, secret) = rt.block_on(async {
        let conf = moto.sdk().await;
        infra::build(&conf, &infra::STAGING).await;
        // EC2 and IAM reads, but no RDS.
        moto.user_with_policy("auditor", READ_WITHOUT_RDS).await
    });
    moto.enforce_iam();

    let mut settings = moto.settings("staging");
    settings.credentials = Some(StaticCredentials {
        access_key_id: key,
        secret_access_key: secret,
        session_token: None,
    });
    let snap = aws::collect("staging", &settings).expect("collect with a partial policy");
    // EC2 and IAM are read...
    resource(&snap, "aws_vpc.shop-staging");
    resource(&snap, "aws_iam_role.shop-staging-api");
    // ...and every RDS list is a named gap, not silence.
    assert!(!snap
        .resources
        .iter()
        .any(|r| r.rtype.starts_with("aws_db_")));
    let gap = snap
        .coverage
        .iter()
        .find(|g| g.what == "rds:DescribeDBInstances (eu-west-1)")
        .unwrap_or_else(|| panic!("no gap for DescribeDBInstances: {:#?}", snap.coverage));
    assert!(
        gap.reason.starts_with("access denied (AccessDenied"),
        "{}",
        gap.reason
    );
    assert!(!gap.reason.contains("SdkError"), "{}", gap.reason);
    assert!(
        snap.coverage.iter().all(|g| g.what.starts_with("rds:")),
        "{:#?}",
        snap.coverage
    );

    // Credentials the API rejects: one sentence naming the environment and
    // what was tried.
    settings.credentials = Some(StaticCredentials {
        access_key_id: "AKIANOTAREALKEY00000".into(),
        secret_access_key: "nope".into(),
        session_token: None,
    });
    let err = aws::collect("staging", &settings).expect_err("bad credentials");
    assert!(matches!(err, AwsError::Credentials { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "environment `staging`: cannot use AWS credentials from static credentials: "
        ),
        "{text}"
    );
    assert!(!text.contains('\n') && !text.contains("SdkError"), "{text}");
}

#[test]
fn assumed_role_and_unreachable_endpoint() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let conf = moto.sdk().await;
        infra::build(&conf, &infra::STAGING).await;
        aws_sdk_iam::Client::new(&conf)
            .create_role()
            .role_name("parity-reader")
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .expect("reader role");
    });
    drop(rt);
    let mut settings = moto.settings("staging");
    settings.role_arn = Some("arn:aws:iam::123456789012:role/parity-reader".into());
    settings.external_id = Some("parity-test".into());
    let snap = aws::collect("staging", &settings).expect("collect through an assumed role");
    resource(&snap, "aws_vpc.shop-staging");

    // Nothing listens: the credentials check fails with one sentence.
    let mut settings = moto.settings("staging");
    settings.endpoint_url = Some("http://127.0.0.1:9".into());
    settings.max_attempts = 1;
    let err = aws::collect("staging", &settings).expect_err("no endpoint");
    assert!(matches!(err, AwsError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "environment `staging`: cannot reach AWS at http://127.0.0.1:9: connection failed"
        ),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

// ---- three-way drift and the unmanaged / missing labels ----------------

#[path = "common/mod.rs"]
mod common;
use common::live::{json_of, lines_with_severity};

use serde_json::{json, Value as Json};

/// Where each live resource of staging lives in its Terraform code and
/// state: (live key, state type, name, instance key).
const STATE_ADDRESSES: &[(&str, &str, &str, Option<&str>)] = &[
    ("aws_vpc.shop-staging", "aws_vpc", "main", None),
    (
        "aws_subnet.shop-staging-private[\"eu-west-1a\"]",
        "aws_subnet",
        "private",
        Some("a"),
    ),
    (
        "aws_subnet.shop-staging-private[\"eu-west-1b\"]",
        "aws_subnet",
        "private",
        Some("b"),
    ),
    (
        "aws_security_group.shop-staging-db",
        "aws_security_group",
        "db",
        None,
    ),
    (
        "aws_db_subnet_group.shop-staging-db",
        "aws_db_subnet_group",
        "main",
        None,
    ),
    (
        "aws_db_parameter_group.shop-staging-pg",
        "aws_db_parameter_group",
        "main",
        None,
    ),
    (
        "aws_db_instance.shop-staging-db",
        "aws_db_instance",
        "main",
        None,
    ),
    ("aws_iam_role.shop-staging-api", "aws_iam_role", "api", None),
    (
        "aws_iam_role_policy.shop-staging-api:s3-access",
        "aws_iam_role_policy",
        "s3",
        None,
    ),
    (
        "aws_iam_policy.shop-staging-logs",
        "aws_iam_policy",
        "logs",
        None,
    ),
    (
        "aws_iam_role_policy_attachment.shop-staging-api:shop-staging-logs",
        "aws_iam_role_policy_attachment",
        "logs",
        None,
    ),
    (
        "aws_iam_instance_profile.shop-staging-api",
        "aws_iam_instance_profile",
        "api",
        None,
    ),
];

/// A live value as Terraform state records it: references to other
/// collected resources back to the ids (or names, ARNs) they stand for.
fn raw(v: &Value, live: &Snapshot) -> Json {
    match v {
        Value::Unknown(expr) => {
            let (key, attr) = expr.rsplit_once('.').expect("a reference");
            let target = resource(live, key);
            let value = target
                .attributes
                .get(attr)
                .or_else(|| target.attributes.get("id"))
                .expect("the referenced attribute");
            raw(value, live)
        }
        Value::List(items) => Json::Array(items.iter().map(|i| raw(i, live)).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, i)| (k.clone(), raw(i, live))).collect()),
        other => other.to_json(),
    }
}

/// Staging's state, written the way Terraform would have after applying
/// the code below — except for what the test plants: the database's
/// security group was opened to the internet by hand afterwards (state
/// still says 10.1.0.0/16), subnet `c` and the `legacy` security group
/// were deleted by hand (state still has them), and the internet gateway
/// and route table were made by hand (not in state).
fn staging_state(live: &Snapshot) -> String {
    let mut by_resource: std::collections::BTreeMap<(&str, &str), Vec<Json>> = Default::default();
    for (key, rtype, name, index) in STATE_ADDRESSES {
        let r = resource(live, key);
        let mut attrs = serde_json::Map::new();
        for (k, v) in &r.attributes {
            attrs.insert(k.clone(), raw(v, live));
        }
        if let Some(tags) = attrs.get("tags").cloned() {
            attrs.insert("tags_all".into(), tags);
        }
        match *rtype {
            "aws_security_group" => {
                let ingress = attrs
                    .get_mut("ingress")
                    .and_then(Json::as_array_mut)
                    .expect("ingress rules");
                ingress[0]["cidr_blocks"] = json!(["10.1.0.0/16"]);
            }
            "aws_iam_role_policy_attachment" => {
                attrs.insert(
                    "id".into(),
                    json!("shop-staging-api-20260101120000000000000001"),
                );
            }
            _ => {}
        }
        let mut instance =
            json!({ "schema_version": 0, "attributes": attrs, "sensitive_attributes": [] });
        if let Some(k) = index {
            instance["index_key"] = json!(k);
        }
        by_resource.entry((rtype, name)).or_default().push(instance);
    }
    // Deleted by hand: still in state.
    let vpc_id = raw(
        &resource(live, "aws_vpc.shop-staging").attributes["id"],
        live,
    );
    let gone_subnet = json!({
        "index_key": "c", "schema_version": 1, "sensitive_attributes": [],
        "attributes": {
            "id": "subnet-0c0ffee00000000c1",
            "arn": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0c0ffee00000000c1",
            "vpc_id": vpc_id, "cidr_block": "10.1.2.0/24", "availability_zone": "eu-west-1c",
            "map_public_ip_on_launch": false,
            "tags": { "Name": "shop-staging-private-eu-west-1c", "Environment": "staging" },
            "tags_all": { "Name": "shop-staging-private-eu-west-1c", "Environment": "staging" }
        }
    });
    by_resource
        .entry(("aws_subnet", "private"))
        .or_default()
        .push(gone_subnet);
    by_resource.entry(("aws_security_group", "legacy")).or_default().push(json!({
        "schema_version": 1, "sensitive_attributes": [],
        "attributes": {
            "id": "sg-0dead00000000beef1", "name": "legacy", "description": "Managed by Terraform",
            "vpc_id": vpc_id, "ingress": [], "egress": [],
            "tags": { "Name": "legacy", "Environment": "staging" },
            "tags_all": { "Name": "legacy", "Environment": "staging" }
        }
    }));
    let resources: Vec<Json> = by_resource
        .into_iter()
        .map(|((rtype, name), instances)| {
            json!({
                "mode": "managed", "type": rtype, "name": name,
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": instances
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({
        "version": 4, "terraform_version": "1.11.4", "serial": 7, "lineage": "drift-test",
        "outputs": {}, "resources": resources, "check_results": null
    }))
    .expect("state json")
}

const STAGING_TF: &str = r#"
locals {
  tags = { Environment = "staging" }
  trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
  tags       = merge(local.tags, { Name = "shop-staging" })
}

resource "aws_subnet" "private" {
  for_each          = { a = 0, b = 1, c = 2 }
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.1.${each.value}.0/24"
  availability_zone = "eu-west-1${each.key}"
  tags              = merge(local.tags, { Name = "shop-staging-private-eu-west-1${each.key}" })
}

# Declared, never applied: the one that exists was made by hand.
resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = merge(local.tags, { Name = "shop-staging", Tier = "public" })
}

resource "aws_security_group" "db" {
  name        = "shop-staging-db"
  description = "database"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.1.0.0/16"]
  }
  tags = merge(local.tags, { Name = "shop-staging-db" })
}

resource "aws_security_group" "legacy" {
  name   = "legacy"
  vpc_id = aws_vpc.main.id
  tags   = merge(local.tags, { Name = "legacy" })
}

resource "aws_db_subnet_group" "main" {
  name       = "shop-staging-db"
  subnet_ids = [aws_subnet.private["a"].id, aws_subnet.private["b"].id]
}

resource "aws_db_parameter_group" "main" {
  name   = "shop-staging-pg"
  family = "postgres15"
  parameter {
    name         = "log_min_duration_statement"
    value        = "500"
    apply_method = "immediate"
  }
}

resource "aws_db_instance" "main" {
  identifier             = "shop-staging-db"
  engine                 = "postgres"
  engine_version         = "15.7"
  # Changed in code, not applied yet.
  instance_class         = "db.t3.small"
  db_subnet_group_name   = aws_db_subnet_group.main.name
  parameter_group_name   = aws_db_parameter_group.main.name
  vpc_security_group_ids = [aws_security_group.db.id]
}

resource "aws_iam_role" "api" {
  name               = "shop-staging-api"
  assume_role_policy = local.trust
}

resource "aws_iam_role_policy" "s3" {
  name   = "s3-access"
  role   = aws_iam_role.api.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
}

resource "aws_iam_policy" "logs" {
  name   = "shop-staging-logs"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["logs:PutLogEvents", "logs:CreateLogStream"], Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.api.name
  policy_arn = aws_iam_policy.logs.arn
}

resource "aws_iam_instance_profile" "api" {
  name = "shop-staging-api"
  role = aws_iam_role.api.name
}
"#;

/// A project whose staging has code, state and an `aws` table pointing at
/// the emulator (`endpoint`); prod is read live only.
fn drift_project(endpoint: &str, state: &str) -> tempfile::TempDir {
    let toml = format!(
        r#"[environments.staging]
region = "eu-west-1"
terraform = {{ root = "envs/staging" }}
state = {{ path = "staging.tfstate" }}
aws = {{ region = "eu-west-1", endpoint-url = "{endpoint}", tags = {{ Environment = "staging" }} }}

[environments.prod]
region = "eu-west-1"
aws = {{ region = "eu-west-1", endpoint-url = "{endpoint}", tags = {{ Environment = "prod" }} }}
"#
    );
    common::tree(&[
        ("parity.toml", &toml),
        ("envs/staging/main.tf", STAGING_TF),
        ("staging.tfstate", state),
        // Empty shared AWS files: the keys come from the environment.
        ("aws/config", ""),
        ("aws/credentials", ""),
    ])
}

fn finding<'a>(report: &'a Json, resource: &str, between: &str) -> &'a Json {
    report["findings"]
        .as_array()
        .and_then(|fs| {
            fs.iter().find(|f| {
                f["resource"] == resource
                    && (f["between"] == between || (between == "-" && f["between"].is_null()))
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no {between} finding on {resource}: {:#?}",
                lines_with_severity(report)
            )
        })
}

/// No progress bar, spinner or terminal control in what a pipe receives.
fn no_progress_bar(stderr: &str) {
    assert!(
        !stderr.contains("calls answered")
            && !stderr.contains('\r')
            && !stderr.contains('\u{1b}')
            && !stderr
                .chars()
                .any(|c| ('\u{2800}'..='\u{28ff}').contains(&c)),
        "progress output on a non-terminal stderr: {stderr:?}"
    );
}

#[test]
fn three_way_drift_labels_every_difference() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let conf = moto.sdk().await;
        infra::build(&conf, &infra::STAGING).await;
        infra::build(&conf, &infra::PROD).await;
        infra::build_drift_extras(&conf).await;
    });
    let live = aws::collect("staging", &moto.settings("staging")).expect("collect staging");
    let dir = drift_project(&moto.url, &staging_state(&live));
    let keys = ("testing", "testing");

    // Every planted difference, each with the pair it is between; nothing
    // else (ids, ARNs, owners, version counters are identity, not drift).
    let (stdout, stderr, code) =
        common::live::run_parity_as(dir.path(), &["drift", "staging", "--format", "json"], keys);
    let report = json_of(&stdout, &stderr);
    assert_eq!(
        lines_with_severity(&report),
        vec![
            // Declared, never applied (the gateway that runs was made by hand).
            "critical-resource-presence aws_internet_gateway.main - error [code/state]",
            // Made by hand: live, not in state.
            "critical-resource-presence aws_internet_gateway.shop-${env} - error [state/live unmanaged]",
            "critical-resource-presence aws_route_table.shop-${env}-public - error [state/live unmanaged]",
            "critical-resource-presence aws_route_table_association.shop-${env}-private[\"${region}a\"] - error [state/live unmanaged]",
            "critical-resource-presence aws_route_table_association.shop-${env}-private[\"${region}b\"] - error [state/live unmanaged]",
            // Opened to the internet by hand after the apply.
            "security-group-rules aws_security_group.db ingress error [state/live]",
            // Deleted by hand: in state, not live.
            "critical-resource-presence aws_security_group.legacy - error [state/live missing]",
            "critical-resource-presence aws_security_group.shop-${env}-debug - error [state/live unmanaged]",
            "critical-resource-presence aws_subnet.private[\"c\"] - error [state/live missing]",
            // Changed in code, not applied.
            "instance-size aws_db_instance.main instance_class warning [code/state]",
            // The hand-made gateway against the one the code declares.
            "config-difference aws_internet_gateway.main tags.Tier warning [code/live]",
        ]
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        report["environments"],
        json!(["staging (code)", "staging (state)", "staging (live)"])
    );
    assert_eq!(report["source"], "drift");
    let sg = finding(&report, "aws_security_group.db", "state/live");
    assert!(
        sg["right"].as_str().unwrap_or("").contains("0.0.0.0/0")
            && sg["left"].as_str().unwrap_or("").contains("10.1.0.0/16"),
        "{sg:#}"
    );
    assert!(
        sg["locations"]["staging (state)"]
            .as_str()
            .unwrap_or("")
            .starts_with("staging.tfstate:"),
        "{sg:#}"
    );
    assert!(
        sg["locations"]["staging (live)"]
            .as_str()
            .unwrap_or("")
            .contains(":security-group/sg-"),
        "{sg:#}"
    );
    let igw = finding(&report, "aws_internet_gateway.shop-${env}", "state/live");
    assert!(
        igw["message"]
            .as_str()
            .unwrap_or("")
            .contains("the code declares it as aws_internet_gateway.main"),
        "{igw:#}"
    );
    assert_eq!(igw["left"], Json::Null);
    assert_eq!(igw["right"], "present");
    let gone = finding(&report, "aws_subnet.private[\"c\"]", "state/live");
    assert_eq!(
        (&gone["left"], &gone["right"]),
        (&json!("present"), &Json::Null)
    );
    // What the read cost, per service.
    let usage = &report["summary"]["live"][0];
    assert_eq!(usage["environment"], "staging");
    for service in ["ec2", "rds", "iam", "sts"] {
        assert!(
            usage["services"][service]["calls"].as_u64().unwrap_or(0) > 0,
            "{usage:#}"
        );
    }
    assert!(
        report["summary"].get("notes").is_none(),
        "{:#}",
        report["summary"]
    );
    // stderr is not a terminal: no progress bar.
    no_progress_bar(&stderr);
    assert_eq!(stderr, "");

    // The table: three value columns, the labels on each finding.
    let (table, stderr, code) =
        common::live::run_parity_as(dir.path(), &["drift", "staging"], keys);
    assert_eq!(code, 2);
    no_progress_bar(&stderr);
    let header = table
        .lines()
        .find(|l| l.contains("resource / attribute"))
        .unwrap_or_default();
    let at = |name: &str| header.find(name).unwrap_or(usize::MAX);
    assert!(
        at("staging (code)") < at("staging (state)")
            && at("staging (state)") < at("staging (live)")
            && at("staging (live)") < at("rule"),
        "{header}"
    );
    for expected in [
        "[state/live, unmanaged]",
        "[state/live, missing]",
        "[code/live]",
        "[code/state]",
        "parity staging (code) vs staging (state) vs staging (live) (drift)",
        "read live: staging: ",
    ] {
        assert!(table.contains(expected), "no {expected:?} in\n{table}");
    }

    // Every other format names the pair and the label too.
    for (format, pair, label) in [
        (
            "markdown",
            "_state/live, unmanaged_",
            "_state/live, missing_",
        ),
        (
            "sarif",
            "\"between\": \"state/live\"",
            "\"label\": \"missing\"",
        ),
        ("junit", "(state/live, unmanaged)", "label: missing"),
        ("github", "(state/live, unmanaged)", "(state/live, missing)"),
        (
            "html",
            "state/live, unmanaged</span>",
            "state/live, missing</span>",
        ),
    ] {
        let (out, stderr, code) = common::live::run_parity_as(
            dir.path(),
            &["drift", "staging", "--format", format],
            keys,
        );
        assert_eq!(code, 2, "{format}: {stderr}");
        assert!(out.contains(pair), "{format}: no {pair:?} in\n{out}");
        assert!(out.contains(label), "{format}: no {label:?} in\n{out}");
    }

    // --no-live: code against state only, and the report says so.
    let (stdout, stderr, code) = common::live::run_parity_as(
        dir.path(),
        &["drift", "staging", "--no-live", "--format", "json"],
        keys,
    );
    let two_way = json_of(&stdout, &stderr);
    assert_eq!(
        lines_with_severity(&two_way),
        vec![
            "critical-resource-presence aws_internet_gateway.main - error [code/state]",
            "instance-size aws_db_instance.main instance_class warning [code/state]",
        ]
    );
    assert_eq!(
        two_way["environments"],
        json!(["staging (code)", "staging (state)"])
    );
    assert!(
        two_way["summary"]["notes"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("two-way drift (code and state): --no-live"),
        "{:#}",
        two_way["summary"]
    );
    assert_eq!(code, 2);

    // Between environments read live: staging's hand-made group is
    // unmanaged, the `legacy` group prod has and staging's state lost is
    // missing from staging.
    let (stdout, stderr, code) = common::live::run_parity_as(
        dir.path(),
        &[
            "diff", "staging", "prod", "--source", "live", "--format", "json",
        ],
        keys,
    );
    let diff = json_of(&stdout, &stderr);
    assert_eq!(code, 2);
    let debug = finding(&diff, "aws_security_group.shop-${env}-debug", "-");
    assert_eq!(debug["label"], "unmanaged", "{debug:#}");
    assert_eq!(debug["between"], Json::Null);
    let legacy = finding(&diff, "aws_security_group.legacy", "-");
    assert_eq!(legacy["label"], "missing", "{legacy:#}");
    assert_eq!(
        (&legacy["left"], &legacy["right"]),
        (&Json::Null, &json!("present"))
    );
    let envs: Vec<&str> = diff["summary"]["live"]
        .as_array()
        .map(|l| l.iter().filter_map(|u| u["environment"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(envs, vec!["staging", "prod"]);
    no_progress_bar(&stderr);

    // A live read that cannot start is an error naming the environment.
    let dead = drift_project("http://127.0.0.1:9", &staging_state(&live));
    let (_, stderr, code) = common::live::run_parity_as(dead.path(), &["drift", "staging"], keys);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("environment `staging`: cannot reach AWS at http://127.0.0.1:9"),
        "{stderr}"
    );

    // Denied APIs are coverage: RDS unread is named, its state resources
    // are not called missing, and without violations the run exits 3.
    let (key, secret) = rt.block_on(moto.user_with_policy("drift-auditor", READ_WITHOUT_RDS));
    moto.enforce_iam();
    let (stdout, stderr, code) = common::live::run_parity_as(
        dir.path(),
        &["drift", "staging", "--format", "json", "--fail-on", "never"],
        (&key, &secret),
    );
    let partial = json_of(&stdout, &stderr);
    assert_eq!(code, 3, "{stderr}");
    let incomplete = partial["summary"]["incomplete"].to_string();
    assert!(
        incomplete.contains("staging (live): rds:DescribeDBInstances (eu-west-1): access denied"),
        "{incomplete}"
    );
    let findings = lines_with_severity(&partial);
    assert!(
        !findings
            .iter()
            .any(|f| f.contains("aws_db_") && f.contains("missing")),
        "{findings:#?}"
    );
    assert!(
        findings.contains(
            &"critical-resource-presence aws_subnet.private[\"c\"] - error [state/live missing]"
                .to_string()
        ),
        "{findings:#?}"
    );
}

/// What a user may do that reads EC2 and IAM but not RDS.
const READ_WITHOUT_RDS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","iam:List*","iam:Get*","sts:GetCallerIdentity"],"Resource":"*"}]}"#;

/// `data-live = true`: the data sources that are facts of the account are
/// read from it (the emulator) as Terraform's provider reads them, so a
/// `count` over the availability zones expands to one subnet per zone; every
/// call goes through the read-only guard.
#[test]
fn data_sources_read_live_expand_counts_as_terraform_plans() {
    let moto = Moto::start();
    let rt = runtime();
    // What the account says, asked through the SDK directly.
    let (zones, account, ami_count) = rt.block_on(async {
        let conf = moto.sdk().await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let zones: Vec<String> = ec2
            .describe_availability_zones()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("state")
                    .values("available")
                    .build(),
            )
            .send()
            .await
            .expect("zones")
            .availability_zones()
            .iter()
            .filter_map(|z| z.zone_name().map(str::to_string))
            .collect();
        let account = aws_sdk_sts::Client::new(&conf)
            .get_caller_identity()
            .send()
            .await
            .expect("identity")
            .account()
            .unwrap_or_default()
            .to_string();
        let amis = ec2
            .describe_images()
            .owners("amazon")
            .send()
            .await
            .expect("images")
            .images()
            .len();
        (zones, account, amis)
    });
    assert!(zones.len() >= 2, "the emulator has {zones:?}");
    assert!(ami_count > 1, "the emulator has {ami_count} Amazon images");
    let main_tf = r#"
data "aws_availability_zones" "available" {
  state = "available"
}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_ami" "base" {
  owners      = ["amazon"]
  most_recent = true
}
locals {
  azs = slice(data.aws_availability_zones.available.names, 0, length(data.aws_availability_zones.available.names))
}
resource "aws_subnet" "private" {
  count             = length(local.azs)
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index)
  tags = {
    Account   = data.aws_caller_identity.current.account_id
    Region    = data.aws_region.current.name
    Partition = data.aws_partition.current.partition
  }
}
resource "aws_instance" "app" {
  ami = data.aws_ami.base.id
}
"#;
    let toml = format!(
        r#"[environments.staging]
terraform = {{ root = "envs/staging", data-live = true }}
aws = {{ region = "eu-west-1", endpoint-url = "{}" }}

[environments.nolive]
terraform = {{ root = "envs/staging" }}
aws = {{ region = "eu-west-1", endpoint-url = "{}" }}
"#,
        moto.url, moto.url
    );
    let dir = common::tree(&[
        ("parity.toml", &toml),
        ("envs/staging/main.tf", main_tf),
        ("aws/config", ""),
        ("aws/credentials", ""),
    ]);
    let keys = ("testing", "testing");
    let (stdout, stderr, code) =
        common::live::run_parity_as(dir.path(), &["snapshot", "staging"], keys);
    assert_eq!(code, 0, "{stderr}");
    let snap = json_of(&stdout, &stderr);
    let resources = snap["resources"].as_array().expect("resources");
    let subnets: Vec<&Json> = resources
        .iter()
        .filter(|r| r["type"] == "aws_subnet")
        .collect();
    // One subnet per zone, at Terraform's addresses, each in its zone.
    assert_eq!(subnets.len(), zones.len(), "{stdout}");
    let mut sorted = zones.clone();
    sorted.sort();
    for (i, zone) in sorted.iter().enumerate() {
        let s = subnets
            .iter()
            .find(|r| r["address"] == format!("aws_subnet.private[{i}]"))
            .unwrap_or_else(|| panic!("no aws_subnet.private[{i}]: {stdout}"));
        assert_eq!(s["attributes"]["availability_zone"], json!(zone));
        assert_eq!(s["attributes"]["tags"]["Account"], json!(account));
        assert_eq!(s["attributes"]["tags"]["Region"], json!("eu-west-1"));
        assert_eq!(s["attributes"]["tags"]["Partition"], json!("aws"));
    }
    let app = resources
        .iter()
        .find(|r| r["address"] == "aws_instance.app")
        .expect("the instance");
    let ami = app["attributes"]["ami"].as_str().unwrap_or_default();
    assert!(ami.starts_with("ami-"), "ami: {ami}");
    assert!(snap["coverage"]
        .as_array()
        .is_none_or(|gaps| !gaps.iter().any(|g| g.to_string().contains("data."))));

    // Without `data-live`, the same code has no zones to count: one
    // symbolic subnet and a coverage gap, and nothing is asked of AWS.
    let (stdout, stderr, code) =
        common::live::run_parity_as(dir.path(), &["snapshot", "nolive"], keys);
    assert_eq!(code, 3, "{stderr}{stdout}");
    assert!(
        stdout.contains("count is not known before apply"),
        "{stdout}"
    );
    let snap = json_of(&stdout, &stderr);
    let subnets = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["type"] == "aws_subnet")
        .count();
    assert_eq!(subnets, 1, "{stdout}");

    // An unreachable account: each data source is a coverage gap naming
    // the failed read, and the result is incomplete (exit 3), never a
    // false pass.
    let toml = toml.replace(&moto.url, "http://127.0.0.1:9");
    std::fs::write(dir.path().join("parity.toml"), toml).expect("write");
    let (stdout, stderr, code) = common::live::run_parity_as(
        dir.path(),
        &["diff", "staging", "nolive", "--format", "json"],
        keys,
    );
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stdout.contains("live read failed"), "{stdout}");

    // `data-live` without an `aws` table: a configuration error, exit 1.
    let plain =
        "[environments.staging]\nterraform = { root = \"envs/staging\", data-live = true }\n";
    std::fs::write(dir.path().join("parity.toml"), plain).expect("write");
    let (_, stderr, code) = common::live::run_parity_as(dir.path(), &["snapshot", "staging"], keys);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("needs an `aws` table"), "{stderr}");
}
