//! The Pulumi source end to end: `fixtures/pulumi-shop` (two stacks of one
//! program, each a `pulumi stack export --show-secrets` and a
//! `Pulumi.<stack>.yaml`) through the CLI, and small exports written here
//! for the contract's edges (malformed input, unknowns, encrypted secrets).

mod common;

use std::path::{Path, PathBuf};

use common::{parity, repo, tree};
use serde_json::Value as Json;

fn fixture() -> PathBuf {
    repo().join("fixtures/pulumi-shop")
}

/// The secrets of the fixture: the database passwords of the two stack
/// exports and the ciphertexts of the stack configurations.
const SECRETS: &[&str] = &[
    "Stg-Secret-Canary-7f3a9Q",
    "Prod-Secret-Canary-91bc2Z",
    "Secret-Canary",
    "Output-Canary",
    "Hk3sUeJ7r6dZbqGq8mC0t1vW2xY3zA4B5cD6eF7gH8iJ9kL0",
    "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2Mm3Nn4Oo5Pp6",
];

/// The line of `file` (under the fixture) where `needle` first appears.
fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(fixture().join(file)).expect("fixture file");
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` is not in {file}"))
}

fn json_report(dir: &Path, args: &[&str]) -> (Json, i32) {
    let out = parity(dir).args(args).output().expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code().unwrap_or(-1))
}

fn finding<'a>(report: &'a Json, rule: &str, resource: &str, attribute: &str) -> &'a Json {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == rule && f["resource"] == resource && f["attribute"] == attribute)
        .unwrap_or_else(|| panic!("no {rule} finding on {resource} {attribute} in {report:#}"))
}

#[test]
fn diff_finds_each_planted_difference_at_its_urn_or_config_line() {
    let (report, code) = json_report(
        &fixture(),
        &[
            "diff",
            "staging",
            "prod",
            "--source",
            "state",
            "--format",
            "json",
            "--verbose",
        ],
    );
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["source"], "state");
    let db = |file: &str| {
        format!(
            "{file}:{}",
            line_of(file, "aws:rds/instance:Instance::db\"")
        )
    };

    // Engine: the version each stack applied, at the resource's URN line.
    let f = finding(
        &report,
        "engine-version",
        "aws_db_instance.db",
        "engine_version",
    );
    assert_eq!(f["severity"], "error");
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("15.4"), Some("16.2"))
    );
    assert_eq!(f["locations"]["staging"], db("state/staging.json").as_str());
    assert_eq!(f["locations"]["prod"], db("state/prod.json").as_str());

    // The instance class, under its Terraform name.
    let f = finding(
        &report,
        "instance-size",
        "aws_db_instance.db",
        "instance_class",
    );
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("db.t3.medium"), Some("db.r6g.large"))
    );

    // IAM: staging's inline policy allows s3:* where prod allows one action.
    let f = finding(
        &report,
        "iam-inline-policy",
        "aws_iam_role_policy.api-assets",
        "policy",
    );
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("staging is wider"),
        "{f:#}"
    );

    // Topology: a subnet of the network component only in prod.
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["resource"] == "module.network.aws_subnet.private-b")
        .unwrap_or_else(|| panic!("no finding on the prod-only subnet: {report:#}"));
    assert_eq!(f["rule"], "critical-resource-presence");
    assert!(f["locations"]["staging"].is_null(), "{f:#}");

    // The secret that differs: found, never shown.
    let f = finding(&report, "credentials", "aws_db_instance.db", "password");
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("(sensitive)"), Some("(sensitive)"))
    );

    // Stack configuration: an app key in staging only, with its line.
    let f = finding(
        &report,
        "config-difference",
        "pulumi_config.stack",
        "shop:debugEndpoints",
    );
    assert_eq!(f["category"], "config");
    assert_eq!(
        f["locations"]["staging"],
        format!(
            "Pulumi.staging.yaml:{}",
            line_of("Pulumi.staging.yaml", "debugEndpoints")
        )
        .as_str()
    );

    // Stack outputs: one in staging only, and a secret one that differs
    // (compared by hash, never shown), at the stack resource's URN line.
    let f = finding(
        &report,
        "config-difference",
        "pulumi_stack.outputs",
        "debugUrl",
    );
    assert!(f["right"].is_null(), "{f:#}");
    assert_eq!(
        f["locations"]["staging"],
        format!(
            "state/staging.json:{}",
            line_of("state/staging.json", "pulumi:pulumi:Stack::")
        )
        .as_str()
    );
    let f = finding(
        &report,
        "config-difference",
        "pulumi_stack.outputs",
        "dbConnection",
    );
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("(sensitive)"), Some("(sensitive)"))
    );
    assert!(
        !report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["attribute"] == "dbEndpoint"),
        "the endpoints differ only by the stack's name: {report:#}"
    );

    // Names Pulumi generated and ids AWS assigned are no differences: the
    // policy's role is "the api role" in both stacks.
    assert!(
        !report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["attribute"] == "role" || f["attribute"] == "vpc_id"),
        "{report:#}"
    );
}

#[test]
fn every_format_shows_the_planted_differences_and_never_a_secret() {
    for format in [
        "table", "json", "sarif", "markdown", "html", "junit", "github",
    ] {
        let out = parity(&fixture())
            .args([
                "diff",
                "staging",
                "prod",
                "--source",
                "state",
                "--verbose",
                "--format",
                format,
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{format}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for planted in [
            "engine-version",
            "instance_class",
            "private-b",
            "iam-inline-policy",
            "debugEndpoints",
            "debugUrl",
        ] {
            assert!(text.contains(planted), "{format} lacks {planted}");
        }
        for s in SECRETS {
            assert!(!text.contains(s), "{format} shows `{s}`");
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for env in ["staging", "prod"] {
        let file = dir.path().join(format!("{env}.json"));
        let out = parity(&fixture())
            .args(["snapshot", env, "--source", "state", "-o"])
            .arg(&file)
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&file).expect("snapshot");
        for s in SECRETS {
            assert!(!text.contains(s), "the {env} snapshot shows `{s}`");
        }
    }
}

#[test]
fn the_unknown_sentinel_is_an_unknown_value_not_a_string() {
    let out = parity(&fixture())
        .args(["snapshot", "staging", "--source", "state"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let snap: Json = serde_json::from_slice(&out.stdout).expect("snapshot JSON");
    let queue = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["address"] == "aws_sqs_queue.orders")
        .expect("the queue");
    assert_eq!(
        queue["attributes"]["url"]["$unknown"],
        "aws_sqs_queue.orders.url"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("04da6b54-80e4-46f7-96ec-b56ff0331ba9"));
}

#[test]
fn a_stack_against_itself_holds_parity() {
    // The staging stack, and the same stack deployed as `rehearsal`: its
    // URNs, names and configuration with the other environment's name.
    let read = |f: &str| std::fs::read_to_string(fixture().join(f)).expect("fixture file");
    let export = read("state/staging.json");
    let config = read("Pulumi.staging.yaml");
    let toml = "[environments.staging]\npulumi = { stack-export = \"staging.json\", config = \"Pulumi.staging.yaml\" }\n[environments.rehearsal]\npulumi = { stack-export = \"rehearsal.json\", config = \"Pulumi.rehearsal.yaml\" }\n";
    let dir = tree(&[
        ("parity.toml", toml),
        ("staging.json", &export),
        ("Pulumi.staging.yaml", &config),
        ("rehearsal.json", &export.replace("staging", "rehearsal")),
        (
            "Pulumi.rehearsal.yaml",
            &config.replace("staging", "rehearsal"),
        ),
    ]);
    let (report, code) = json_report(
        dir.path(),
        &[
            "diff",
            "staging",
            "rehearsal",
            "--source",
            "state",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    assert!(
        report["summary"]["compared_resources"].as_u64() > Some(5),
        "{report:#}"
    );
}

#[test]
fn malformed_exports_and_stack_configurations_exit_1_with_file_and_line() {
    let toml = "[environments.staging]\npulumi = { stack-export = \"staging.json\", config = \"Pulumi.staging.yaml\" }\n[environments.prod]\npulumi = { stack-export = \"prod.json\" }\n";
    let good = "{\n  \"version\": 3,\n  \"deployment\": { \"resources\": [] }\n}\n";
    let cases: &[(&str, &str, &str, &str)] = &[
        // A truncated export.
        (
            "{\n  \"version\": 3,\n  \"deployment\": {\n    \"resources\": [\n",
            "config:\n  aws:region: eu-west-1\n",
            "staging.json:5",
            "not a valid stack export",
        ),
        // A deployment version parity does not read.
        (
            "{\n  \"version\": 2,\n  \"deployment\": {}\n}\n",
            "config: {}\n",
            "staging.json:2",
            "deployment version 2",
        ),
        // A stack configuration that is not YAML.
        (
            good,
            "config:\n  aws:region: [eu-west-1\n",
            "Pulumi.staging.yaml:",
            "not a valid stack configuration",
        ),
    ];
    for (export, config, at, what) in cases {
        let dir = tree(&[
            ("parity.toml", toml),
            ("staging.json", export),
            ("prod.json", good),
            ("Pulumi.staging.yaml", config),
        ]);
        let out = parity(dir.path())
            .args(["diff", "staging", "prod", "--source", "state"])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(at) && stderr.contains(what),
            "expected {at} … {what}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn encrypted_secrets_are_compared_by_presence_and_leave_a_coverage_gap() {
    let export = |cipher: &str| {
        format!(
            r#"{{
    "version": 4,
    "deployment": {{
        "resources": [
            {{
                "urn": "urn:pulumi:x::shop::aws:rds/instance:Instance::db",
                "custom": true,
                "id": "db-1",
                "type": "aws:rds/instance:Instance",
                "outputs": {{
                    "engineVersion": "16.2",
                    "password": {{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "{cipher}"}}
                }}
            }}
        ]
    }}
}}
"#
        )
    };
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\npulumi = { stack-export = \"staging.json\" }\n[environments.prod]\npulumi = { stack-export = \"prod.json\" }\n",
        ),
        ("staging.json", &export("v1:CipherStagingAAAA")),
        ("prod.json", &export("v1:CipherProdBBBB")),
    ]);
    let (report, code) = json_report(
        dir.path(),
        &[
            "diff", "staging", "prod", "--source", "state", "--format", "json",
        ],
    );
    assert_eq!(code, 3, "{report:#}");
    let incomplete = report["summary"]["incomplete"].to_string();
    assert!(incomplete.contains("--show-secrets"), "{incomplete}");
    assert!(!report.to_string().contains("Cipher"), "{report:#}");
}

#[test]
fn a_preview_is_the_planned_state_with_unknowns_and_blinded_secrets() {
    let (report, code) = json_report(
        &fixture(),
        &[
            "diff",
            "staging",
            "prod",
            "--source",
            "plan",
            "--format",
            "json",
            "--verbose",
        ],
    );
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["source"], "plan");
    let f = finding(
        &report,
        "engine-version",
        "aws_db_instance.db",
        "engine_version",
    );
    assert_eq!(
        f["locations"]["staging"],
        format!(
            "preview/staging.json:{}",
            line_of("preview/staging.json", "aws:rds/instance:Instance::db\"")
        )
        .as_str()
    );
    // The queue staging's next `pulumi up` creates: its ARN and URL unknown.
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["resource"] == "aws_sqs_queue.dead-letters")
        .unwrap_or_else(|| panic!("no finding on the planned queue: {report:#}"));
    assert_eq!(f["rule"], "resource-presence");
    // Secrets are blinded in a preview: compared by presence, said so.
    let incomplete = report["summary"]["incomplete"].to_string();
    assert!(incomplete.contains("blinded"), "{incomplete}");
    let text = report.to_string();
    for s in SECRETS {
        assert!(!text.contains(s), "the plan report shows `{s}`");
    }

    let out = parity(&fixture())
        .args(["snapshot", "staging", "--source", "plan"])
        .output()
        .expect("runs");
    let snap: Json = serde_json::from_slice(&out.stdout).expect("snapshot JSON");
    let queue = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["address"] == "aws_sqs_queue.dead-letters")
        .expect("the planned queue");
    assert!(
        queue["attributes"]["arn"]["$unknown"].is_string(),
        "{queue:#}"
    );
}

#[test]
fn source_plan_without_a_preview_says_what_to_add() {
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\npulumi = { stack-export = \"s.json\" }\n[environments.prod]\npulumi = { stack-export = \"s.json\" }\n",
        ),
        ("s.json", "{\"version\": 3, \"deployment\": {}}\n"),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--source", "plan"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("give the `pulumi` table") && stderr.contains("`preview`"),
        "{stderr}"
    );
}

#[test]
fn init_finds_the_stacks_and_check_runs_on_what_it_wrote() {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in [
        "Pulumi.yaml",
        "Pulumi.staging.yaml",
        "Pulumi.prod.yaml",
        "state/staging.json",
        "state/prod.json",
        "preview/staging.json",
        "preview/prod.json",
    ] {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(fixture().join(f), &to).expect("copy");
    }
    let out = parity(dir.path()).arg("init").output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("a Pulumi project with one stack per environment"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(dir.path().join("parity.toml")).expect("written");
    assert!(
        written.contains("pulumi = { stack-export = \"state/prod.json\", preview = \"preview/prod.json\", config = \"Pulumi.prod.yaml\" }"),
        "{written}"
    );
    let (report, code) = json_report(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 2, "{report:#}");
    assert!(report.to_string().contains("engine-version"), "{report:#}");
}

fn yaml_fixture() -> PathBuf {
    repo().join("fixtures/pulumi-yaml")
}

#[test]
fn a_yaml_program_is_the_code_of_each_stack() {
    let (report, code) = json_report(
        &yaml_fixture(),
        &["diff", "staging", "prod", "--format", "json"],
    );
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["source"], "code");
    let program_line = |needle: &str| {
        let text = std::fs::read_to_string(yaml_fixture().join("Pulumi.yaml")).expect("program");
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| format!("Pulumi.yaml:{}", i + 1))
            .unwrap_or_else(|| panic!("`{needle}` is not in the program"))
    };
    let f = finding(
        &report,
        "engine-version",
        "aws_db_instance.db",
        "engine_version",
    );
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("15.4"), Some("16.2"))
    );
    // A value the stack configuration sets is located at its line there.
    let config_line = |file: &str, needle: &str| {
        let text = std::fs::read_to_string(yaml_fixture().join(file)).expect("config");
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| format!("{file}:{}", i + 1))
            .unwrap_or_else(|| panic!("`{needle}` is not in {file}"))
    };
    assert_eq!(
        f["locations"]["staging"],
        config_line("Pulumi.staging.yaml", "dbEngineVersion").as_str()
    );
    assert_eq!(
        f["locations"]["prod"],
        config_line("Pulumi.prod.yaml", "dbEngineVersion").as_str()
    );
    // A default of the project is located in the program; the stack that
    // sets the key, at its configuration line.
    let f = finding(
        &report,
        "backup-retention",
        "aws_db_instance.db",
        "backup_retention_period",
    );
    assert_eq!(
        f["locations"]["staging"],
        program_line("backupRetentionPeriod:").as_str()
    );
    assert_eq!(
        f["locations"]["prod"],
        config_line("Pulumi.prod.yaml", "dbBackupRetention").as_str()
    );
    // The program's outputs are the stack outputs record.
    let f = finding(
        &report,
        "config-difference",
        "pulumi_stack.outputs",
        "dbBackupRetention",
    );
    let shown = |v: &Json| v.to_string().trim_matches('"').to_string();
    assert_eq!(
        (shown(&f["left"]), shown(&f["right"])),
        ("7".to_string(), "14".to_string())
    );
    // A component groups its resources as a module; its output wires the
    // security group to "the network's VPC" in both stacks: no finding.
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        !findings.iter().any(|f| f["resource"]
            .as_str()
            .unwrap_or_default()
            .contains("aws_vpc")
            || f["attribute"] == "vpc_id"),
        "{report:#}"
    );
    let f = finding(
        &report,
        "iam-inline-policy",
        "aws_iam_role_policy.api-assets",
        "policy",
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("staging is wider"),
        "{f:#}"
    );
    finding(
        &report,
        "instance-size",
        "aws_db_instance.db",
        "instance_class",
    );
    // A provider function is not called: its value is unknown, and said so.
    let incomplete = report["summary"]["incomplete"].to_string();
    assert!(incomplete.contains("fn::invoke"), "{incomplete}");
    // The secure password is a secret of unknown value in both stacks.
    assert!(!report.to_string().contains("Hk3sUeJ7"), "{report:#}");
}

#[test]
fn source_code_without_a_program_says_what_to_add() {
    let out = parity(&fixture())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a `program` (the directory of Pulumi.yaml)"),
        "{stderr}"
    );
}

#[test]
fn init_reads_a_yaml_program_as_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"] {
        std::fs::copy(yaml_fixture().join(f), dir.path().join(f)).expect("copy");
    }
    let out = parity(dir.path()).arg("init").output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.path().join("parity.toml")).expect("written");
    assert!(
        written.contains("program = \".\", stack = \"prod\""),
        "{written}"
    );
    let (report, code) = json_report(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["source"], "code");
}

#[test]
fn every_format_of_plan_and_code_shows_the_planted_differences_and_no_secret() {
    let cases: [(PathBuf, &str, &[&str]); 2] = [
        (
            fixture(),
            "plan",
            &[
                "engine-version",
                "instance_class",
                "private-b",
                "dead-letters",
                "iam-inline-policy",
            ],
        ),
        (
            yaml_fixture(),
            "code",
            &[
                "engine-version",
                "instance_class",
                "iam-inline-policy",
                "dbEngineVersion",
            ],
        ),
    ];
    for (dir, source, planted) in cases {
        for format in [
            "table", "json", "sarif", "markdown", "html", "junit", "github",
        ] {
            let out = parity(&dir)
                .args([
                    "diff",
                    "staging",
                    "prod",
                    "--source",
                    source,
                    "--verbose",
                    "--format",
                    format,
                ])
                .output()
                .expect("runs");
            assert_eq!(out.status.code(), Some(2), "{source} {format}");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for p in planted {
                assert!(text.contains(p), "{source} {format} lacks {p}");
            }
            for s in SECRETS {
                assert!(!text.contains(s), "{source} {format} shows `{s}`");
            }
        }
    }
}
