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
        "iam:GetRolePolicy",
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
fn denied_calls_are_coverage_and_bad_credentials_an_error() {
    let moto = Moto::start();
    let rt = runtime();
    let (key, secret) = rt.block_on(async {
        let conf = moto.sdk().await;
        infra::build(&conf, &infra::STAGING).await;
        let iam = aws_sdk_iam::Client::new(&conf);
        iam.create_user()
            .user_name("auditor")
            .send()
            .await
            .expect("user");
        // EC2 and IAM reads, but no RDS.
        iam.put_user_policy()
            .user_name("auditor")
            .policy_name("read-some")
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","iam:List*","iam:Get*","sts:GetCallerIdentity"],"Resource":"*"}]}"#,
            )
            .send()
            .await
            .expect("user policy");
        let k = iam
            .create_access_key()
            .user_name("auditor")
            .send()
            .await
            .expect("access key");
        let k = k.access_key().expect("key");
        (
            k.access_key_id().to_string(),
            k.secret_access_key().to_string(),
        )
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
