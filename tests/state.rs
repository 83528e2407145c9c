//! The state and plan sources end to end: `--source state` and `--source
//! plan` on the bundled example, secrets, several state files per
//! environment, and every kind of bad input.

mod common;

use std::path::Path;

use common::{parity, shop, tree};
use serde_json::Value as Json;

/// The fake secrets planted in fixtures/shop (tfvars, state, plans). None
/// may ever appear in any output.
const CANARIES: &[&str] = &[
    "staging-CANARY-not-a-real-password-1",
    "prod-CANARY-not-a-real-password-2",
    "staging-CACHE-CANARY-token-3",
    "prod-CACHE-CANARY-token-4",
    "CANARY",
];

fn run(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = parity(dir).args(args).output().expect("run parity");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn json_report(args: &[&str]) -> (Json, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (stdout, stderr, code) = run(&shop(), &all);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (v, code)
}

fn findings(report: &Json) -> Vec<&Json> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn find<'a>(report: &'a Json, rule: &str, resource: &str) -> Option<&'a Json> {
    findings(report)
        .into_iter()
        .find(|f| f["rule"] == rule && f["resource"] == resource)
}

// ---- the bundled example ----

#[test]
fn state_diff_reports_the_code_findings_plus_what_only_state_knows() {
    let (code, code_exit) = json_report(&["diff", "staging", "prod"]);
    let (state, exit) = json_report(&["diff", "staging", "prod", "--source", "state"]);
    assert_eq!((code_exit, exit), (2, 2));
    assert_eq!(state["source"], "state");

    // Every violation the code shows, state shows too, except what only
    // code knows (the lock file, module refs).
    for f in findings(&code) {
        if f["severity"] != "error" || f["category"] == "dependency" {
            continue;
        }
        let same = findings(&state).into_iter().any(|g| {
            g["rule"] == f["rule"]
                && g["resource"] == f["resource"]
                && g["attribute"] == f["attribute"]
        });
        assert!(same, "the state diff lacks {f}");
    }

    // What only state knows: the sessions cache's default engine version
    // (its code left `engine_version` out), the WAF module's inside, the
    // resource removed from staging's code and the one not applied yet.
    let cache = find(
        &state,
        "cache-engine-version",
        "aws_elasticache_replication_group.sessions",
    )
    .expect("cache engine version");
    assert_eq!(
        (cache["left"].as_str(), cache["right"].as_str()),
        (Some("7.1"), Some("6.2"))
    );
    assert_eq!(cache["severity"], "error");
    for (resource, side) in [
        ("module.waf.aws_cloudwatch_log_group.this", "left"),
        (
            "module.waf.aws_wafv2_web_acl_logging_configuration.this",
            "left",
        ),
        ("module.app.aws_cloudwatch_log_group.worker", "left"),
        (
            "module.app.aws_s3_bucket_public_access_block.assets",
            "right",
        ),
    ] {
        let f = find(&state, "resource-presence", resource).unwrap_or_else(|| panic!("{resource}"));
        assert_eq!(f[side], "present", "{f}");
    }
    // Identity noise is expected, not reported: no finding on an id or ARN
    // outside --verbose's expected differences.
    for f in findings(&state) {
        if matches!(f["attribute"].as_str(), Some("id" | "arn")) {
            assert_eq!(f["severity"], "info", "{f}");
        }
    }
    assert!(state["summary"]["incomplete"]
        .as_array()
        .is_some_and(|a| a.is_empty()));
}

#[test]
fn state_findings_point_at_the_state_file_and_line() {
    let (state, _) = json_report(&["diff", "staging", "prod", "--source", "state"]);
    let f = find(
        &state,
        "engine-version",
        "module.database.aws_db_instance.main",
    )
    .expect("engine");
    let loc = &f["locations"];
    assert_eq!(loc["staging"], "state/staging.tfstate:1091");
    assert_eq!(loc["prod"], "state/prod.tfstate:1089");
    let f = find(
        &state,
        "cache-engine-version",
        "aws_elasticache_replication_group.sessions",
    )
    .expect("cache");
    assert!(f["locations"]["staging"]
        .as_str()
        .is_some_and(|l| l.starts_with("state/staging-cache.tfstate:")));
}

#[test]
fn references_line_up_with_the_code_source() {
    let (code, _) = json_report(&["diff", "staging", "prod"]);
    let (state, _) = json_report(&["diff", "staging", "prod", "--source", "state"]);
    let key = "module.network.aws_route.private_nat[\"${region}b\"]";
    let c = find(&code, "route-targets", key).expect("code");
    let s = find(&state, "route-targets", key).expect("state");
    assert_eq!(c["left"], s["left"]);
    assert_eq!(c["right"], s["right"]);
    assert_eq!(s["left"], "${aws_nat_gateway.main[\"${region}a\"].id}");
}

#[test]
fn plan_diff_reads_planned_values_and_configuration() {
    let (plan, exit) = json_report(&["diff", "staging", "prod", "--source", "plan"]);
    assert_eq!(exit, 2);
    assert_eq!(plan["source"], "plan");
    // The plan knows the module refs (configuration) …
    let r = find(&plan, "module-ref", "module.waf").expect("module ref");
    assert_eq!(
        (r["left"].as_str(), r["right"].as_str()),
        (Some("v1.6.0"), Some("v1.4.0"))
    );
    // … applies staging's pending changes: the public access block is
    // created, the worker log group destroyed …
    assert!(find(
        &plan,
        "resource-presence",
        "module.app.aws_s3_bucket_public_access_block.assets"
    )
    .is_none());
    assert!(find(
        &plan,
        "resource-presence",
        "module.app.aws_cloudwatch_log_group.worker"
    )
    .is_none());
    // … and covers the shop root only (the cache is another stack).
    assert!(findings(&plan)
        .iter()
        .all(|f| !f["resource"].as_str().unwrap_or("").contains("elasticache")));
    let f = find(
        &plan,
        "engine-version",
        "module.database.aws_db_instance.main",
    )
    .expect("engine");
    assert!(f["locations"]["staging"]
        .as_str()
        .is_some_and(|l| l.starts_with("state/staging.plan.json:")));
}

#[test]
fn unknown_after_apply_values_stay_symbolic_in_a_plan() {
    let (stdout, _, code) = run(&shop(), &["snapshot", "staging", "--source", "plan"]);
    assert_eq!(code, 0);
    let snap: Json = serde_json::from_str(&stdout).expect("snapshot");
    let pab = snap["resources"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["address"] == "module.app.aws_s3_bucket_public_access_block.assets")
        })
        .expect("planned public access block");
    assert_eq!(
        pab["attributes"]["id"],
        serde_json::json!({"$unknown": "aws_s3_bucket_public_access_block.assets.id"})
    );
    assert_eq!(
        pab["attributes"]["bucket"],
        "shop-staging-assets-111111111111"
    );
    assert_eq!(snap["source"], "plan");
}

#[test]
fn raw_state_and_show_json_give_the_same_snapshot() {
    let dir = tree(&[]);
    for name in ["prod.tfstate", "prod.show.json"] {
        std::fs::copy(shop().join("state").join(name), dir.path().join(name)).expect("copy");
    }
    let snap = |file: &str| {
        let opts = parity::sources::state::Options {
            environment: "prod".into(),
            base: dir.path().to_path_buf(),
            paths: vec![dir.path().join(file).to_string_lossy().into_owned()],
            plan: None,
            access: Default::default(),
            identity: Default::default(),
        };
        parity::sources::state::load_state(&opts).unwrap_or_else(|e| panic!("{e}"))
    };
    let (raw, show) = (snap("prod.tfstate"), snap("prod.show.json"));
    let view = |s: &parity::model::Snapshot| -> Vec<(String, String)> {
        s.resources
            .iter()
            .map(|r| {
                let attrs: serde_json::Map<String, Json> = r
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_tagged_json()))
                    .collect();
                (r.address.clone(), Json::Object(attrs).to_string())
            })
            .collect()
    };
    assert_eq!(view(&raw), view(&show));
    assert!(raw.resources.len() > 40);
    let vpc = raw
        .resources
        .iter()
        .find(|r| r.address == "module.network.aws_vpc.main")
        .expect("vpc");
    assert_eq!(vpc.location.to_string(), "prod.tfstate:2515");
    let vpc = show
        .resources
        .iter()
        .find(|r| r.address == "module.network.aws_vpc.main")
        .expect("vpc");
    assert!(vpc.location.to_string().starts_with("prod.show.json:"));
}

#[test]
fn state_report_snapshots() {
    let (stdout, _, code) = run(&shop(), &["diff", "staging", "prod", "--source", "state"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("shop_state_table", stdout);
    let (stdout, _, code) = run(&shop(), &["diff", "staging", "prod", "--source", "plan"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("shop_plan_table", stdout);
}

// ---- secrets ----

#[test]
fn canaries_never_appear_in_any_format() {
    let formats: Vec<String> = parity::report::Format::ALL
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert!(formats.len() >= 2);
    let mut runs: Vec<Vec<String>> = Vec::new();
    for source in ["state", "plan"] {
        for format in &formats {
            runs.push(
                [
                    "-v", "diff", "staging", "prod", "--source", source, "--format", format,
                ]
                .map(String::from)
                .to_vec(),
            );
        }
        for env in ["staging", "prod"] {
            runs.push(
                ["snapshot", env, "--source", source]
                    .map(String::from)
                    .to_vec(),
            );
        }
    }
    for format in &formats {
        runs.push(
            ["-v", "drift", "staging", "--format", format]
                .map(String::from)
                .to_vec(),
        );
    }
    let dir = tempfile::tempdir().expect("tmp");
    for args in &runs {
        let mut args = args.clone();
        // Also through --output, which writes the same bytes to a file.
        let file = dir.path().join("out");
        if args.iter().any(|a| a == "diff" || a == "drift") {
            args.push("--output".into());
            args.push(file.to_string_lossy().into_owned());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (stdout, stderr, code) = run(&shop(), &refs);
        assert!(code != 1, "{args:?} failed: {stderr}");
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        std::fs::remove_file(&file).ok();
        for canary in CANARIES {
            for (what, text) in [
                ("stdout", &stdout),
                ("stderr", &stderr),
                ("--output", &written),
            ] {
                assert!(!text.contains(canary), "{canary} in {what} of {args:?}");
            }
        }
        let body = if written.is_empty() {
            &stdout
        } else {
            &written
        };
        assert!(!body.trim().is_empty(), "{args:?} printed nothing");
    }
}

#[test]
fn secrets_are_compared_by_hash() {
    // The same password on both sides compares equal; a different one is a
    // difference shown as `(sensitive)` only.
    let (report, _) = json_report(&["-v", "diff", "staging", "prod", "--source", "state"]);
    let f = find(
        &report,
        "credentials",
        "module.database.aws_db_instance.main",
    )
    .expect("password");
    assert_eq!(f["left"], "(sensitive)");
    assert_eq!(f["right"], "(sensitive)");
    let (drift, _) = json_report(&["drift", "prod"]);
    assert!(findings(&drift).is_empty(), "{drift}");
}

const STATE_HEAD: &str = r#"{
  "version": 4,
  "terraform_version": "1.11.4",
  "serial": 3,
  "lineage": "0f6e2a1c-0000-4000-8000-000000000001",
  "outputs": {
    "token": { "value": "out-CANARY-token-9", "type": "string", "sensitive": true }
  },
  "resources": ["#;

fn db_state(password: &str, class: &str) -> String {
    format!(
        r#"{STATE_HEAD}
    {{
      "mode": "managed",
      "type": "aws_db_instance",
      "name": "main",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{
          "schema_version": 2,
          "attributes": {{
            "id": "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "identifier": "shop-db",
            "instance_class": "{class}",
            "password": "{password}",
            "tags": {{ "Note": "connect with out-CANARY-token-9" }}
          }},
          "sensitive_attributes": [[{{ "type": "get_attr", "value": "password" }}]],
          "private": "bnVsbA=="
        }}
      ]
    }}
  ],
  "check_results": null
}}
"#
    )
}

const TWO_ENVS: &str = r#"
[environments.staging]
state = { path = "s.tfstate" }

[environments.prod]
state = { path = "p.tfstate" }
"#;

#[test]
fn marked_and_copied_secrets_are_redacted() {
    let s = db_state("stg-CANARY-pw-7", "db.t3.medium");
    let p = db_state("prd-CANARY-pw-8", "db.t3.large");
    let dir = tree(&[
        ("parity.toml", TWO_ENVS),
        ("s.tfstate", &s),
        ("p.tfstate", &p),
    ]);
    for format in parity::report::Format::ALL {
        let f = format.to_string();
        let (stdout, stderr, code) = run(
            dir.path(),
            &[
                "-v", "diff", "staging", "prod", "--source", "state", "--format", &f,
            ],
        );
        assert_ne!(code, 1, "{stderr}");
        assert!(
            !stdout.contains("CANARY") && !stderr.contains("CANARY"),
            "{f}: {stdout}"
        );
    }
    let (stdout, _, _) = run(dir.path(), &["snapshot", "staging", "--source", "state"]);
    assert!(!stdout.contains("CANARY"), "{stdout}");
    assert!(stdout.contains("(sensitive)"));
}

// ---- several state files per environment ----

fn vpc_state(address_name: &str, id: &str, cidr: &str) -> String {
    format!(
        r#"{{
  "version": 4,
  "terraform_version": "1.11.4",
  "serial": 1,
  "lineage": "l",
  "outputs": {{}},
  "resources": [
    {{
      "mode": "managed",
      "type": "aws_vpc",
      "name": "{address_name}",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{
          "schema_version": 1,
          "attributes": {{ "id": "{id}", "cidr_block": "{cidr}" }},
          "sensitive_attributes": []
        }}
      ]
    }}
  ],
  "check_results": null
}}
"#
    )
}

#[test]
fn several_state_files_merge_and_keep_their_origin() {
    let toml = r#"
[environments.staging]
state = { paths = ["stg/network.tfstate", "stg/data.tfstate"] }

[environments.prod]
state = { paths = ["prd/network.tfstate", "prd/data.tfstate"] }
"#;
    let dir = tree(&[
        ("parity.toml", toml),
        (
            "stg/network.tfstate",
            &vpc_state("net", "vpc-0aaaa1111", "10.1.0.0/16"),
        ),
        (
            "stg/data.tfstate",
            &vpc_state("data", "vpc-0bbbb2222", "10.2.0.0/16"),
        ),
        (
            "prd/network.tfstate",
            &vpc_state("net", "vpc-0cccc3333", "10.1.0.0/16"),
        ),
        (
            "prd/data.tfstate",
            &vpc_state("data", "vpc-0dddd4444", "10.9.0.0/24"),
        ),
    ]);
    let (stdout, stderr, code) = run(
        dir.path(),
        &[
            "diff", "staging", "prod", "--source", "state", "--format", "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Json = serde_json::from_str(&stdout).expect("json");
    let f = find(&report, "network-ranges", "aws_vpc.data").expect("cidr");
    assert_eq!(f["locations"]["staging"], "stg/data.tfstate:14");
    assert_eq!(f["locations"]["prod"], "prd/data.tfstate:14");
    assert_eq!(report["summary"]["compared_resources"], 3);
}

#[test]
fn one_unreadable_state_among_several_makes_the_run_incomplete() {
    let toml = r#"
[environments.staging]
state = { paths = ["stg/network.tfstate", "stg/missing.tfstate"] }

[environments.prod]
state = { paths = ["prd/network.tfstate", "prd/broken.tfstate"] }
"#;
    let dir = tree(&[
        ("parity.toml", toml),
        (
            "stg/network.tfstate",
            &vpc_state("net", "vpc-0aaaa1111", "10.1.0.0/16"),
        ),
        (
            "prd/network.tfstate",
            &vpc_state("net", "vpc-0cccc3333", "10.1.0.0/16"),
        ),
        (
            "prd/broken.tfstate",
            "{\n  \"version\": 4,\n  \"resources\": [\n    {",
        ),
    ]);
    let (stdout, stderr, code) = run(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
    );
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains("stg/missing.tfstate: state file could not be read"),
        "{stdout}"
    );
    assert!(
        stdout.contains("prd/broken.tfstate: state file could not be read"),
        "{stdout}"
    );
    assert!(stdout.contains("truncated"), "{stdout}");
}

#[test]
fn the_same_address_in_two_files_is_noted() {
    let toml = r#"
[environments.staging]
state = { paths = ["a.tfstate", "b.tfstate"] }
"#;
    let dir = tree(&[
        ("parity.toml", toml),
        (
            "a.tfstate",
            &vpc_state("net", "vpc-0aaaa1111", "10.1.0.0/16"),
        ),
        (
            "b.tfstate",
            &vpc_state("net", "vpc-0bbbb2222", "10.2.0.0/16"),
        ),
    ]);
    let (stdout, _, code) = run(dir.path(), &["snapshot", "staging", "--source", "state"]);
    assert_eq!(code, 3);
    assert!(
        stdout.contains("in both a.tfstate and b.tfstate"),
        "{stdout}"
    );
}

#[test]
fn an_environment_may_have_state_only() {
    let dir = tree(&[
        ("parity.toml", TWO_ENVS),
        (
            "s.tfstate",
            &vpc_state("net", "vpc-0aaaa1111", "10.1.0.0/16"),
        ),
        (
            "p.tfstate",
            &vpc_state("net", "vpc-0cccc3333", "10.1.0.0/16"),
        ),
    ]);
    let (_, stderr, code) = run(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, stderr, code) = run(dir.path(), &["diff", "staging", "prod"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("has no `terraform` source") && stderr.contains("--source state"),
        "{stderr}"
    );
}

// ---- bad input: a clear sentence naming the file, exit 1 ----

fn bad_state(content: &[u8], needle: &str) {
    let dir = tree(&[
        ("parity.toml", TWO_ENVS),
        ("p.tfstate", &vpc_state("net", "vpc-0c3333", "10.1.0.0/16")),
    ]);
    std::fs::write(dir.path().join("s.tfstate"), content).expect("write");
    let (stdout, stderr, code) = run(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("s.tfstate"), "{stderr}");
    assert!(stderr.contains(needle), "expected `{needle}` in: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("CANARY"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn truncated_state() {
    let full = db_state("x-CANARY-pw", "db.t3.medium");
    bad_state(
        &full.as_bytes()[..full.len() / 2],
        "is not valid JSON: the file ends inside",
    );
}

#[test]
fn not_json_at_all() {
    bad_state(
        b"# terraform.tfstate\nresource \"aws_vpc\" {}\n",
        "is not valid JSON",
    );
    bad_state(b"", "is empty");
    bad_state(
        b"{\"version\": 4, \"resources\": [{\"mode\": \"managed\",, }]}",
        "is not valid JSON",
    );
}

#[test]
fn state_of_another_format_version() {
    bad_state(
        br#"{"version": 3, "terraform_version": "0.11.14", "serial": 7, "modules": [{"path": ["root"], "resources": {}}]}"#,
        "format version 3; parity reads version 4",
    );
    // A future version whose shape we do not know: the version is named,
    // not the type error it causes.
    bad_state(
        br#"{"version": 5, "resources": {"aws_vpc.main": {"id": "x-CANARY-pw"}}}"#,
        "format version 5",
    );
}

#[test]
fn wrong_types_never_echo_values() {
    bad_state(
        br#"{"version": 4, "resources": [{"mode": "managed", "type": "aws_db_instance", "name": "x", "instances": [{"index_key": {"k": "x-CANARY-pw"}}]}]}"#,
        "is not a valid Terraform state",
    );
}

#[test]
fn plan_given_as_state_and_the_reverse() {
    let plan = std::fs::read(shop().join("state/staging.plan.json")).expect("plan");
    bad_state(
        &plan,
        "is a plan (`terraform show -json` of a saved plan), not a state",
    );

    let toml = r#"
[environments.staging]
state = { path = "s.tfstate", plan = "s.tfstate" }

[environments.prod]
state = { path = "s.tfstate", plan = "s.tfstate" }
"#;
    let dir = tree(&[
        ("parity.toml", toml),
        ("s.tfstate", &vpc_state("n", "vpc-0a1111", "10.0.0.0/16")),
    ]);
    let (_, stderr, code) = run(dir.path(), &["diff", "staging", "prod", "--source", "plan"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("s.tfstate is a Terraform state, not a plan"),
        "{stderr}"
    );
}

#[test]
fn binary_saved_plan() {
    let toml = r#"
[environments.staging]
state = { path = "s.tfstate", plan = "tfplan" }

[environments.prod]
state = { path = "s.tfstate", plan = "tfplan" }
"#;
    let dir = tree(&[
        ("parity.toml", toml),
        ("s.tfstate", &vpc_state("n", "vpc-0a1111", "10.0.0.0/16")),
    ]);
    std::fs::write(
        dir.path().join("tfplan"),
        b"PK\x03\x04\x14\x00\x08\x00tfplan",
    )
    .expect("write");
    let (_, stderr, code) = run(dir.path(), &["diff", "staging", "prod", "--source", "plan"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("tfplan is a saved plan in Terraform's binary format"),
        "{stderr}"
    );
    assert!(stderr.contains("terraform show -json tfplan"), "{stderr}");
}

#[test]
fn missing_sources_say_what_to_configure() {
    let dir = tree(&[("parity.toml", TWO_ENVS)]);
    let (_, stderr, code) = run(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot read s.tfstate"), "{stderr}");
    let (_, stderr, code) = run(dir.path(), &["diff", "staging", "prod", "--source", "plan"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("environment `staging` has no plan"),
        "{stderr}"
    );
}

/// Two environments whose staging state is `url` (tests/state_s3.rs reads
/// real objects from an S3 emulator).
fn remote_state(url: &str) -> (String, i32) {
    let config = format!(
        r#"
[environments.staging]
state = {{ path = "{url}" }}

[environments.prod]
state = {{ path = "p.tfstate" }}
"#
    );
    let dir = tree(&[
        ("parity.toml", &config),
        ("p.tfstate", &vpc_state("net", "vpc-0c3333", "10.1.0.0/16")),
    ]);
    let (_, stderr, code) = run(
        dir.path(),
        &["diff", "staging", "prod", "--source", "state"],
    );
    (stderr, code)
}

#[test]
fn urls_other_than_s3_and_s3_urls_without_a_key_are_errors() {
    // Both fail before any request, with or without the `aws` feature.
    let (stderr, code) = remote_state("gs://shop-terraform-state/staging.tfstate");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "reading state from gs://shop-terraform-state/staging.tfstate is not supported: only `s3://BUCKET/KEY` URLs are read"
        ),
        "{stderr}"
    );
    let (stderr, code) = remote_state("s3://shop-terraform-state/");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "environment `staging`: s3://shop-terraform-state/ is not a valid S3 URL: it names no object key"
        ),
        "{stderr}"
    );
}

#[cfg(not(feature = "aws"))]
#[test]
fn s3_state_needs_the_aws_feature() {
    let (stderr, code) = remote_state("s3://shop-terraform-state/staging.tfstate");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: environment `staging`: reading state from s3://shop-terraform-state/staging.tfstate needs parity built with the `aws` feature"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_fraction_in_the_code_equals_the_same_fraction_in_state() {
    // The code's `0.1` is Terraform's 512-bit decimal; the state's `0.1` is
    // read as the nearest 64-bit float. They are the same number: no drift.
    // `0.25` against a state of `0.3` is a drift.
    let state = |threshold: &str| {
        format!(
            r#"{{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"x","outputs":{{}},"resources":[
{{"mode":"managed","type":"aws_cloudwatch_metric_alarm","name":"a","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]","instances":[{{"schema_version":1,"attributes":{{"id":"a","alarm_name":"a","comparison_operator":"GreaterThanThreshold","evaluation_periods":1,"threshold":{threshold}}}}}]}}]}}"#
        )
    };
    let code = |threshold: &str| {
        format!(
            "resource \"aws_cloudwatch_metric_alarm\" \"a\" {{\n  alarm_name          = \"a\"\n  comparison_operator = \"GreaterThanThreshold\"\n  evaluation_periods  = 1\n  threshold           = {threshold}\n}}\n"
        )
    };
    let toml = "[environments.staging]\nterraform = { root = \"code\" }\nstate = { path = \"staging.tfstate\" }\n";
    for (in_code, in_state, drifts) in [
        ("0.1", "0.1", false),
        ("0.1 + 0.2", "0.3", false),
        ("0.25", "0.3", true),
    ] {
        let dir = tree(&[
            ("parity.toml", toml),
            ("code/main.tf", &code(in_code)),
            ("staging.tfstate", &state(in_state)),
        ]);
        let (stdout, stderr, code) = run(dir.path(), &["drift", "staging", "--format", "json"]);
        let report: Json =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        let threshold: Vec<_> = findings(&report)
            .into_iter()
            .filter(|f| f["attribute"] == "threshold")
            .collect();
        assert_eq!(
            threshold.len(),
            usize::from(drifts),
            "{in_code} vs {in_state}: {stdout}"
        );
        assert_eq!(code, 0, "{in_code} vs {in_state}: {stderr}");
    }
}
