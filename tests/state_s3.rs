//! State and plan on S3 (`state = { path = "s3://bucket/key" }`) end to
//! end, against a real S3 API on loopback (moto's server): the `parity`
//! binary reads the objects through the AWS SDK with the environment's `aws`
//! table, and must report exactly what it reports from the same files on
//! disk. Without the emulator a test fails; it is never skipped.
#![cfg(feature = "aws")]

mod common;
#[allow(dead_code)]
#[path = "live/moto.rs"]
mod moto;

use std::path::Path;

use serde_json::Value as Json;

use common::{parity, shop};
use moto::{runtime, Moto, REGION};

const BUCKET: &str = "shop-terraform-state";

/// The fixtures' state files and plans, and the keys they are stored under.
const OBJECTS: &[(&str, &str)] = &[
    ("staging/shop.tfstate", "state/staging.tfstate"),
    ("staging/cache.tfstate", "state/staging-cache.tfstate"),
    ("prod/shop.tfstate", "state/prod.tfstate"),
    ("prod/cache.tfstate", "state/prod-cache.tfstate"),
    ("plans/staging.json", "state/staging.plan.json"),
    ("plans/prod.json", "state/prod.plan.json"),
];

/// Create `bucket` and store `objects` (key, bytes) in it.
fn upload(moto: &Moto, bucket: &str, objects: &[(&str, Vec<u8>)]) {
    runtime().block_on(async {
        let conf = moto.sdk().await;
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        client
            .create_bucket()
            .bucket(bucket)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .expect("create bucket");
        for (key, bytes) in objects {
            client
                .put_object()
                .bucket(bucket)
                .key(*key)
                .body(bytes.clone().into())
                .send()
                .await
                .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
        }
    });
}

/// The bucket of the shop's states, as the fixtures hold them.
fn upload_shop(moto: &Moto) {
    let objects: Vec<(&str, Vec<u8>)> = OBJECTS
        .iter()
        .map(|(key, file)| (*key, std::fs::read(shop().join(file)).expect("fixture")))
        .collect();
    upload(moto, BUCKET, &objects);
}

/// `aws = { ... }` pointing at the emulator.
fn aws_table(moto: &Moto) -> String {
    format!(
        "aws = {{ endpoint-url = \"{}\", region = \"{REGION}\" }}",
        moto.url
    )
}

/// fixtures/shop's parity.toml with every state and plan read from S3.
fn shop_config(moto: &Moto) -> String {
    let root = |env: &str| shop().join("envs").join(env).to_string_lossy().into_owned();
    let aws = aws_table(moto);
    format!(
        r#"fail-on = "error"

[environments.staging]
aliases = ["stg", "stage"]
account-id = "111111111111"
region = "eu-west-1"
terraform = {{ root = "{staging}" }}
state = {{ paths = ["s3://{BUCKET}/staging/shop.tfstate", "s3://{BUCKET}/staging/cache.tfstate"], plan = "s3://{BUCKET}/plans/staging.json" }}
{aws}

[environments.prod]
aliases = ["production"]
account-id = "222222222222"
region = "eu-west-1"
terraform = {{ root = "{prod}" }}
state = {{ paths = ["s3://{BUCKET}/prod/shop.tfstate", "s3://{BUCKET}/prod/cache.tfstate"], plan = "s3://{BUCKET}/plans/prod.json" }}
{aws}
"#,
        staging = root("staging"),
        prod = root("prod"),
    )
}

/// The same without `aws` tables: the default credential chain, the
/// endpoint from AWS_ENDPOINT_URL (see [`run_env`]). `parity drift` then
/// compares code and state only (with an `aws` table it reads the account
/// too).
fn shop_config_without_aws(moto: &Moto) -> String {
    let config = shop_config(moto).replace(&format!("{}\n", aws_table(moto)), "");
    assert!(!config.contains("aws = "), "{config}");
    config
}

/// A project directory holding `parity.toml` and an empty AWS config.
fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("parity.toml"), config).expect("write config");
    std::fs::write(dir.path().join("aws-config"), "").expect("write aws config");
    dir
}

/// `parity` with the emulator's test credentials in the environment (as
/// a CI job would have them) and nothing from the user's AWS setup.
fn run_with(dir: &Path, args: &[&str], key: &str, secret: &str) -> (String, String, i32) {
    run_full(dir, args, key, secret, &[])
}

fn run_env(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> (String, String, i32) {
    run_full(dir, args, "testing", "testing", vars)
}

fn run_full(
    dir: &Path,
    args: &[&str],
    key: &str,
    secret: &str,
    vars: &[(&str, &str)],
) -> (String, String, i32) {
    let aws_config = dir.join("aws-config");
    let mut cmd = parity(dir);
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_CONFIG_FILE", &aws_config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &aws_config)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(vars.iter().copied())
        .args(args)
        .output()
        .expect("run parity");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn run(dir: &Path, args: &[&str]) -> (String, String, i32) {
    run_with(dir, args, "testing", "testing")
}

fn json(stdout: &str, stderr: &str) -> Json {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"))
}

/// A report without what names files: each finding's locations.
fn without_locations(mut report: Json) -> Json {
    if let Some(findings) = report["findings"].as_array_mut() {
        for f in findings {
            if let Some(f) = f.as_object_mut() {
                f.remove("locations");
            }
        }
    }
    report
}

fn find<'a>(report: &'a Json, rule: &str, resource: &str) -> &'a Json {
    let findings = report["findings"].as_array().map_or(&[][..], Vec::as_slice);
    findings
        .iter()
        .find(|f| f["rule"] == rule && f["resource"] == resource)
        .unwrap_or_else(|| {
            let all: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {}", f["rule"], f["resource"]))
                .collect();
            panic!("no {rule} on {resource}: {all:#?}")
        })
}

// ---- the bundled example, read from S3 ----

#[test]
fn s3_state_and_plan_report_what_the_local_files_report() {
    let moto = Moto::start();
    upload_shop(&moto);
    let dir = project(&shop_config(&moto));

    for source in ["state", "plan"] {
        let args = [
            "diff", "staging", "prod", "--source", source, "--format", "json",
        ];
        let (stdout, stderr, remote_exit) = run(dir.path(), &args);
        let remote = json(&stdout, &stderr);
        let (stdout, stderr, local_exit) = run(&shop(), &args);
        let local = json(&stdout, &stderr);
        assert_eq!(remote_exit, 2, "{stderr}");
        assert_eq!(remote_exit, local_exit);
        assert!(
            remote["findings"].as_array().is_some_and(|a| a.len() > 20),
            "{remote}"
        );
        assert_eq!(remote["summary"]["incomplete"], Json::Array(Vec::new()));
        assert_eq!(
            without_locations(remote),
            without_locations(local),
            "--source {source}"
        );
    }

    // Locations name the URL and the line, as they name a local file.
    let (stdout, stderr, _) = run(
        dir.path(),
        &[
            "diff", "staging", "prod", "--source", "state", "--format", "json",
        ],
    );
    let report = json(&stdout, &stderr);
    let f = find(
        &report,
        "engine-version",
        "module.database.aws_db_instance.main",
    );
    assert_eq!(
        f["locations"]["staging"],
        format!("s3://{BUCKET}/staging/shop.tfstate:1091")
    );
    assert_eq!(
        f["locations"]["prod"],
        format!("s3://{BUCKET}/prod/shop.tfstate:1089")
    );
    let f = find(
        &report,
        "cache-engine-version",
        "aws_elasticache_replication_group.sessions",
    );
    assert_eq!(
        f["locations"]["staging"],
        format!("s3://{BUCKET}/staging/cache.tfstate:24")
    );
}

#[test]
fn drift_reads_s3_state() {
    let moto = Moto::start();
    upload_shop(&moto);
    // Two-way drift (code and state): no `aws` table, so the account is not
    // read; the state comes through the default chain, the endpoint from
    // AWS_ENDPOINT_URL, the region from the environment's `region`.
    let dir = project(&shop_config_without_aws(&moto));
    let args = ["drift", "staging", "--format", "json"];
    let (stdout, stderr, remote_exit) = run_env(
        dir.path(),
        &args,
        &[("AWS_ENDPOINT_URL", moto.url.as_str())],
    );
    let remote = json(&stdout, &stderr);
    let (stdout, stderr, local_exit) = run(&shop(), &args);
    let local = json(&stdout, &stderr);
    assert_eq!(remote_exit, local_exit, "{stderr}");
    assert_eq!(remote["source"], "drift");
    let drifted = remote["findings"].as_array().map_or(0, Vec::len);
    assert!(drifted > 0, "{remote}");
    assert_eq!(
        without_locations(remote.clone())["findings"],
        without_locations(local.clone())["findings"]
    );
    // The same gaps, naming the URL where the local run names the file.
    let gaps = |r: &Json| -> Vec<String> {
        r["summary"]["incomplete"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let local_gaps: Vec<String> = gaps(&local)
        .into_iter()
        .map(|g| {
            g.replace(
                "state/staging-cache.tfstate",
                &format!("s3://{BUCKET}/staging/cache.tfstate"),
            )
        })
        .collect();
    assert_eq!(gaps(&remote), local_gaps);
    assert!(
        gaps(&remote)
            .iter()
            .any(|g| g.contains(&format!("s3://{BUCKET}/staging/cache.tfstate"))),
        "{remote}"
    );
    // A finding of state points at the object.
    let located = remote["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["locations"].as_object())
        .flat_map(|l| l.values())
        .filter_map(Json::as_str)
        .any(|l| l.starts_with(&format!("s3://{BUCKET}/staging/shop.tfstate:")));
    assert!(located, "{remote}");
}

#[test]
fn canaries_in_s3_state_never_appear_in_any_format() {
    let moto = Moto::start();
    upload_shop(&moto);
    let dir = project(&shop_config_without_aws(&moto));
    // The canary is really in the stored object.
    let staging = std::fs::read_to_string(shop().join("state/staging.tfstate")).expect("fixture");
    assert!(staging.contains("staging-CANARY-not-a-real-password-1"));

    let mut runs: Vec<Vec<String>> = Vec::new();
    for format in parity::report::Format::ALL {
        for source in ["state", "plan"] {
            runs.push(
                [
                    "-v", "diff", "staging", "prod", "--source", source, "--format",
                ]
                .map(String::from)
                .into_iter()
                .chain([format.to_string()])
                .collect(),
            );
        }
        runs.push(
            ["-v", "drift", "staging", "--format"]
                .map(String::from)
                .into_iter()
                .chain([format.to_string()])
                .collect(),
        );
    }
    for env in ["staging", "prod"] {
        runs.push(
            ["snapshot", env, "--source", "state"]
                .map(String::from)
                .to_vec(),
        );
    }
    for args in &runs {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (stdout, stderr, code) = run_env(
            dir.path(),
            &refs,
            &[("AWS_ENDPOINT_URL", moto.url.as_str())],
        );
        assert!(code != 1, "{args:?} failed: {stderr}");
        assert!(!stdout.trim().is_empty(), "{args:?} printed nothing");
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(!text.contains("CANARY"), "a canary in {what} of {args:?}");
        }
    }
}

// ---- what cannot be read: one sentence naming the URL, exit 1 ----

/// Two environments reading `staging_paths` and a good prod state.
fn two_envs(moto: &Moto, staging_paths: &[&str]) -> tempfile::TempDir {
    let list: Vec<String> = staging_paths.iter().map(|p| format!("\"{p}\"")).collect();
    let aws = aws_table(moto);
    project(&format!(
        r#"
[environments.staging]
state = {{ paths = [{}] }}
{aws}

[environments.prod]
state = {{ path = "s3://{BUCKET}/prod/shop.tfstate" }}
{aws}
"#,
        list.join(", ")
    ))
}

fn fails(dir: &Path, needle: &str) {
    let (stdout, stderr, code) = run(dir, &["diff", "staging", "prod", "--source", "state"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.starts_with("error: environment `staging`: "),
        "{stderr}"
    );
    assert!(stderr.contains(needle), "expected `{needle}` in: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for noise in ["SdkError", "ServiceError", "panicked", "CANARY", "{ "] {
        assert!(!stderr.contains(noise), "{noise} in: {stderr}");
    }
}

#[test]
fn unreadable_objects_are_errors_naming_the_url() {
    let moto = Moto::start();
    let prod = std::fs::read(shop().join("state/prod.tfstate")).expect("fixture");
    let plan = std::fs::read(shop().join("state/prod.plan.json")).expect("fixture");
    upload(
        &moto,
        BUCKET,
        &[
            ("prod/shop.tfstate", prod.clone()),
            ("bad/truncated.tfstate", prod[..prod.len() / 2].to_vec()),
            ("bad/html.tfstate", b"<html>not found</html>".to_vec()),
            ("bad/empty.tfstate", Vec::new()),
            (
                "bad/v3.tfstate",
                br#"{"version": 3, "serial": 1, "modules": []}"#.to_vec(),
            ),
            ("bad/plan.json", plan),
        ],
    );
    let cases: &[(&str, &str)] = &[
        (
            "s3://shop-terraform-state/staging/missing.tfstate",
            "cannot read s3://shop-terraform-state/staging/missing.tfstate: bucket `shop-terraform-state` has no object `staging/missing.tfstate` (NoSuchKey)",
        ),
        (
            "s3://no-such-bucket/staging.tfstate",
            "cannot read s3://no-such-bucket/staging.tfstate: bucket `no-such-bucket` does not exist (NoSuchBucket)",
        ),
        (
            "s3://shop-terraform-state",
            "s3://shop-terraform-state is not a valid S3 URL: it names no object key (expected s3://BUCKET/KEY)",
        ),
        (
            "s3://shop-terraform-state/bad/truncated.tfstate",
            "s3://shop-terraform-state/bad/truncated.tfstate is not valid JSON: the file ends inside",
        ),
        (
            "s3://shop-terraform-state/bad/html.tfstate",
            "s3://shop-terraform-state/bad/html.tfstate is not valid JSON: it does not start with `{`",
        ),
        (
            "s3://shop-terraform-state/bad/empty.tfstate",
            "s3://shop-terraform-state/bad/empty.tfstate is empty",
        ),
        (
            "s3://shop-terraform-state/bad/v3.tfstate",
            "s3://shop-terraform-state/bad/v3.tfstate is a Terraform state of format version 3",
        ),
        (
            "s3://shop-terraform-state/bad/plan.json",
            "s3://shop-terraform-state/bad/plan.json is a plan (`terraform show -json` of a saved plan), not a state",
        ),
        (
            "gs://shop-terraform-state/staging.tfstate",
            "reading state from gs://shop-terraform-state/staging.tfstate is not supported: only `s3://BUCKET/KEY` URLs are read",
        ),
    ];
    for (url, needle) in cases {
        let dir = two_envs(&moto, &[url]);
        fails(dir.path(), needle);
    }

    // Nothing listens at the endpoint: an error, not a gap, even among
    // several files.
    let dir = project(&format!(
        r#"
[environments.staging]
state = {{ paths = ["s3://{BUCKET}/prod/shop.tfstate", "s3://{BUCKET}/staging/shop.tfstate"] }}
aws = {{ endpoint-url = "http://127.0.0.1:9", region = "{REGION}" }}

[environments.prod]
state = {{ path = "s3://{BUCKET}/prod/shop.tfstate" }}
{aws}
"#,
        aws = aws_table(&moto)
    ));
    fails(
        dir.path(),
        "cannot reach S3 at http://127.0.0.1:9: connection failed",
    );
}

#[test]
fn one_missing_object_among_several_makes_the_run_incomplete() {
    let moto = Moto::start();
    upload_shop(&moto);
    let missing = format!("s3://{BUCKET}/staging/network.tfstate");
    let shop_state = shop().join("state/staging.tfstate");
    let local = shop_state.to_string_lossy().into_owned();
    // A local file and two objects, one of them missing.
    let dir = two_envs(
        &moto,
        &[
            &local,
            &format!("s3://{BUCKET}/staging/cache.tfstate"),
            &missing,
        ],
    );
    let (stdout, stderr, code) = run(
        dir.path(),
        &[
            "diff", "staging", "prod", "--source", "state", "--format", "json",
        ],
    );
    let report = json(&stdout, &stderr);
    let incomplete = report["summary"]["incomplete"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(incomplete.len(), 1, "{report}");
    let gap = incomplete[0].as_str().unwrap_or_default();
    assert_eq!(
        gap,
        format!("staging: {missing}: state file could not be read: cannot read {missing}: bucket `{BUCKET}` has no object `staging/network.tfstate` (NoSuchKey)")
    );
    // What was read is compared, from both kinds of source: the local
    // file's database, the object's cache (prod's state has no cache).
    let db = find(
        &report,
        "engine-version",
        "module.database.aws_db_instance.main",
    );
    assert_eq!(db["locations"]["staging"], format!("{local}:1091"),);
    let cache = find(
        &report,
        "critical-resource-presence",
        "aws_elasticache_replication_group.sessions",
    );
    assert_eq!(
        cache["locations"]["staging"],
        format!("s3://{BUCKET}/staging/cache.tfstate:24")
    );
    // Violations win over the gap.
    assert_eq!(code, 2, "{stderr}");

    // With nothing else failing, the gap alone exits 3.
    let dir = project(&format!(
        r#"
fail-on = "never"

[environments.staging]
state = {{ paths = ["s3://{BUCKET}/staging/shop.tfstate", "{missing}"] }}
{aws}

# The same inputs under another name: an environment is never compared
# with itself.
[environments.again]
state = {{ paths = ["s3://{BUCKET}/staging/shop.tfstate", "{missing}"] }}
{aws}
"#,
        aws = aws_table(&moto)
    ));
    let (stdout, stderr, code) = run(dir.path(), &["snapshot", "staging", "--source", "state"]);
    assert_eq!(code, 3, "{stderr}");
    let snap = json(&stdout, &stderr);
    assert_eq!(snap["coverage"][0]["what"], missing.as_str(), "{snap}");
    assert!(
        snap["resources"].as_array().is_some_and(|r| r.len() > 20),
        "{snap}"
    );
    let (stdout, stderr, code) = run(
        dir.path(),
        &["diff", "staging", "again", "--source", "state"],
    );
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{missing}: state file could not be read")),
        "{stdout}"
    );
}

#[test]
fn access_denied_and_rejected_credentials() {
    let moto = Moto::start();
    upload_shop(&moto);
    // A user who may read one staging object and nothing else of S3.
    let (key, secret) = runtime().block_on(async {
        moto.user_with_policy(
            "ci",
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/staging/shop.tfstate"}}]}}"#
            ),
        )
        .await
    });
    moto.enforce_iam();

    // Denied on the only object: an error naming the URL and what is needed.
    let prod_url = format!("s3://{BUCKET}/prod/shop.tfstate");
    let dir = two_envs(&moto, &[&prod_url]);
    let (stdout, stderr, code) = run_with(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
        &key,
        &secret,
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: environment `staging`: cannot read {prod_url}: access denied (AccessDenied"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "need s3:GetObject on arn:aws:s3:::{BUCKET}/prod/shop.tfstate"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // Denied on one of two: the other is read, the run is incomplete.
    let dir = project(&format!(
        r#"
[environments.staging]
state = {{ paths = ["s3://{BUCKET}/staging/shop.tfstate", "s3://{BUCKET}/staging/cache.tfstate"] }}
{aws}
"#,
        aws = aws_table(&moto)
    ));
    let (stdout, stderr, code) = run_with(
        dir.path(),
        &["snapshot", "staging", "--source", "state"],
        &key,
        &secret,
    );
    assert_eq!(code, 3, "{stderr}");
    let snap = json(&stdout, &stderr);
    assert_eq!(
        snap["coverage"][0]["what"],
        format!("s3://{BUCKET}/staging/cache.tfstate"),
        "{snap}"
    );
    assert!(
        snap["coverage"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("access denied (AccessDenied")),
        "{snap}"
    );
    assert!(snap["resources"].as_array().is_some_and(|r| r
        .iter()
        .any(|r| r["address"] == "module.database.aws_db_instance.main")));

    // Keys S3 does not know: an error of the environment, not a gap.
    let (stdout, stderr, code) = run_with(
        dir.path(),
        &["snapshot", "staging", "--source", "state"],
        "AKIANOTAREALKEY00000",
        "not-a-secret",
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: environment `staging`: cannot read s3://{BUCKET}/staging/shop.tfstate: S3 rejected the AWS credentials from the default credential chain (InvalidAccessKeyId"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("not-a-secret"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn state_is_read_through_an_assumed_role() {
    let moto = Moto::start();
    upload_shop(&moto);
    runtime().block_on(async {
        aws_sdk_iam::Client::new(&moto.sdk().await)
            .create_role()
            .role_name("state-reader")
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .expect("role");
    });
    let dir = project(&format!(
        r#"
[environments.staging]
state = {{ path = "s3://{BUCKET}/staging/shop.tfstate" }}
aws = {{ endpoint-url = "{}", region = "{REGION}", role-arn = "arn:aws:iam::123456789012:role/state-reader", external-id = "parity-test" }}
"#,
        moto.url
    ));
    let (stdout, stderr, code) = run(dir.path(), &["snapshot", "staging", "--source", "state"]);
    assert_eq!(code, 0, "{stderr}");
    let snap = json(&stdout, &stderr);
    assert!(
        snap["resources"].as_array().is_some_and(|r| r
            .iter()
            .any(|r| r["address"] == "module.database.aws_db_instance.main")),
        "{snap}"
    );
}

#[test]
fn no_credentials_at_all() {
    let moto = Moto::start();
    let dir = two_envs(&moto, &[&format!("s3://{BUCKET}/staging/shop.tfstate")]);
    let mut cmd = parity(dir.path());
    let aws_config = dir.path().join("aws-config");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("AWS_CONFIG_FILE", &aws_config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &aws_config)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["diff", "staging", "prod", "--source", "state"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: environment `staging`: cannot read s3://{BUCKET}/staging/shop.tfstate: no AWS credentials found (tried the default credential chain)"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_large_state_streams_from_s3_like_the_local_file() {
    // prod's state, its resources repeated under new names: about 9 MB,
    // many reads of the body and several parse batches.
    let text = std::fs::read_to_string(shop().join("state/prod.tfstate")).expect("fixture");
    let mut doc: Json = serde_json::from_str(&text).expect("json");
    let resources = doc["resources"].as_array().cloned().unwrap_or_default();
    let mut all = Vec::new();
    for copy in 0..80 {
        for r in &resources {
            let mut r = r.clone();
            let name = r["name"].as_str().unwrap_or_default().to_string();
            r["name"] = Json::String(format!("{name}_{copy}"));
            all.push(r);
        }
    }
    doc["resources"] = Json::Array(all);
    let bytes = serde_json::to_vec_pretty(&doc).expect("serialize");
    assert!(bytes.len() > 8 << 20, "{}", bytes.len());

    let moto = Moto::start();
    upload(&moto, BUCKET, &[("big/terraform.tfstate", bytes.clone())]);
    let aws = aws_table(&moto);
    let dir = project(&format!(
        r#"
[environments.file]
region = "{REGION}"
state = {{ path = "big.tfstate" }}

[environments.copy]
region = "{REGION}"
state = {{ path = "big.tfstate" }}

[environments.object]
region = "{REGION}"
state = {{ path = "s3://{BUCKET}/big/terraform.tfstate" }}
{aws}
"#
    ));
    std::fs::write(dir.path().join("big.tfstate"), &bytes).expect("write");
    let report = |left: &str, right: &str| {
        let (stdout, stderr, code) = run(
            dir.path(),
            &["diff", left, right, "--source", "state", "--format", "json"],
        );
        let report = json(&stdout, &stderr);
        assert_eq!(code, 0, "{left} vs {right}: {stderr}{}", report["summary"]);
        report
    };
    // (Names that occur in no value: an environment's name is normalized.)
    let same = report("file", "copy");
    let remote = report("file", "object");
    assert_eq!(
        remote["findings"],
        Json::Array(Vec::new()),
        "{}",
        remote["summary"]
    );
    assert_eq!(remote["summary"], same["summary"]);
    assert!(
        remote["summary"]["compared_resources"]
            .as_u64()
            .is_some_and(|n| n > 80 * 40),
        "{}",
        remote["summary"]
    );
    // Lines are the object's, as for the file.
    let (stdout, stderr, _) = run(dir.path(), &["snapshot", "object", "--source", "state"]);
    let snap = json(&stdout, &stderr);
    let (stdout, stderr, _) = run(dir.path(), &["snapshot", "file", "--source", "state"]);
    let local = json(&stdout, &stderr);
    let located = |s: &Json| -> Vec<(String, String)> {
        s["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let loc = r["location"].as_str().unwrap_or_default();
                let line = loc.rsplit(':').next().unwrap_or_default().to_string();
                (r["address"].as_str().unwrap_or_default().to_string(), line)
            })
            .collect()
    };
    assert_eq!(located(&snap), located(&local));
}

/// An S3 endpoint that answers a GetObject with the start of a body and
/// then sends nothing more (a stalled connection), or that never answers:
/// the read gives up after `PARITY_S3_STALL_TIMEOUT` seconds with one line
/// naming the URL, instead of hanging the run. No emulator needed: a
/// socket on loopback plays S3.
#[test]
fn a_stalled_s3_read_gives_up_with_an_error_naming_the_url() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    for answer_headers in [true, false] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            // Serve every connection (the SDK may retry), each in its own
            // thread; hold each open for 20 s without finishing it.
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { break };
                std::thread::spawn(move || {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    if answer_headers {
                        let _ = conn.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"version\": 4, \"terraform_version\": \"1.9.0\", \"resources\": [",
                        );
                        let _ = conn.flush();
                    }
                    std::thread::sleep(Duration::from_secs(20));
                });
            }
        });
        let aws = format!(
            "aws = {{ endpoint-url = \"http://127.0.0.1:{port}\", region = \"{REGION}\" }}"
        );
        let dir = project(&format!(
            "[environments.staging]\nstate = {{ path = \"s3://{BUCKET}/staging/shop.tfstate\" }}\n{aws}\n\n[environments.prod]\nstate = {{ path = \"s3://{BUCKET}/prod/shop.tfstate\" }}\n{aws}\n"
        ));
        let started = Instant::now();
        let (stdout, stderr, code) = run_env(
            dir.path(),
            &["diff", "staging", "prod", "--source", "state"],
            &[("PARITY_S3_STALL_TIMEOUT", "1")],
        );
        let took = started.elapsed();
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: environment `staging`: cannot read s3://{BUCKET}/staging/shop.tfstate: S3 sent no data for 1 s: the connection stalled"
            )),
            "headers answered: {answer_headers}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(took < Duration::from_secs(15), "took {took:?}");
    }

    // A value that is not a number of seconds is an error, before any read.
    let dir = project(&format!(
        "[environments.staging]\nstate = {{ path = \"s3://{BUCKET}/a\" }}\naws = {{ region = \"{REGION}\" }}\n\n[environments.prod]\nstate = {{ path = \"s3://{BUCKET}/b\" }}\naws = {{ region = \"{REGION}\" }}\n"
    ));
    let (stdout, stderr, code) = run_env(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
        &[("PARITY_S3_STALL_TIMEOUT", "soon")],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("PARITY_S3_STALL_TIMEOUT=\"soon\" is not a number of seconds"),
        "{stderr}"
    );
}
