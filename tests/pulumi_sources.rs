//! Issue #19's "Must show" on one fixture: `fixtures/pulumi-yaml` read as
//! each source kind (code = the Pulumi YAML program evaluated per stack,
//! state = `pulumi stack export`, plan = `pulumi preview --json`), every
//! planted difference of its README found at its file:line (a stack
//! configuration's line, the program's line, or the line of the resource's
//! URN in the export or preview) in every output format, and no secret of
//! the fixture in any output, raw or base64.

mod common;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::{parity, repo};
use serde_json::Value as Json;

fn fixture() -> PathBuf {
    repo().join("fixtures/pulumi-yaml")
}

const FORMATS: [&str; 7] = [
    "table", "json", "markdown", "sarif", "junit", "github", "html",
];

/// Every secret value of the fixture: the database passwords of the stack
/// exports and the `secure:` ciphertexts of the stack configurations.
const SECRETS: [&str; 4] = [
    "Yaml-Stg-Secret-Canary-5pW2x",
    "Yaml-Prod-Secret-Canary-8Lm4v",
    "Hk3sUeJ7r6dZbqGq8mC0t1vW2xY3zA4B5cD6eF7gH8iJ9kL0",
    "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2Mm3Nn4Oo5Pp6",
];

/// The canaries: each secret raw, as the JSON string Pulumi's envelope
/// holds, and base64-encoded (standard and URL-safe).
fn canaries() -> Vec<String> {
    let mut out = Vec::new();
    for s in SECRETS {
        let quoted = format!("\"{s}\"");
        for v in [s.to_string(), quoted] {
            out.push(base64::engine::general_purpose::STANDARD.encode(&v));
            out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&v));
        }
        out.push(s.to_string());
    }
    // The unique parts of the plaintexts, in case a value is cut.
    out.push("Canary-5pW2x".into());
    out.push("Canary-8Lm4v".into());
    out
}

/// `file:line` of the first line of `file` (under the fixture) holding
/// `needle`, after the first line holding `after` when given.
fn at(file: &str, needle: &str, after: Option<&str>) -> String {
    let text = std::fs::read_to_string(fixture().join(file)).expect("fixture file");
    let lines: Vec<&str> = text.lines().collect();
    let start = after.map_or(0, |a| {
        lines
            .iter()
            .position(|l| l.contains(a))
            .unwrap_or_else(|| panic!("`{a}` is not in {file}"))
    });
    let i = lines[start..]
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is not in {file}"));
    format!("{file}:{}", start + i + 1)
}

/// The line of a resource's `"urn"` in an export or a preview.
fn urn_line(file: &str, urn_tail: &str) -> String {
    let text = std::fs::read_to_string(fixture().join(file)).expect("fixture file");
    let i = text
        .lines()
        .position(|l| l.contains("\"urn\": ") && l.trim_end().ends_with(&format!("{urn_tail}\",")))
        .unwrap_or_else(|| panic!("no urn ending `{urn_tail}` in {file}"));
    format!("{file}:{}", i + 1)
}

/// A planted difference: the finding (rule, resource, attribute) and where
/// each stack has it.
struct Planted {
    rule: &'static str,
    resource: &'static str,
    attribute: &'static str,
    staging: String,
    prod: String,
}

fn planted(source: &str) -> Vec<Planted> {
    let cfg = |stack: &str, key: &str| at(&format!("Pulumi.{stack}.yaml"), key, None);
    let p = |rule, resource, attribute, staging: String, prod: String| Planted {
        rule,
        resource,
        attribute,
        staging,
        prod,
    };
    // The configuration keys are the stack configurations' own findings,
    // the same for every source.
    let mut out = vec![
        p(
            "config-difference",
            "pulumi_config.stack",
            "shop:dbEngineVersion",
            cfg("staging", "dbEngineVersion"),
            cfg("prod", "dbEngineVersion"),
        ),
        p(
            "config-difference",
            "pulumi_config.stack",
            "shop:dbInstanceClass",
            cfg("staging", "dbInstanceClass"),
            cfg("prod", "dbInstanceClass"),
        ),
        // Set in prod only: staging's side is its configuration file.
        p(
            "config-difference",
            "pulumi_config.stack",
            "shop:dbBackupRetention",
            "Pulumi.staging.yaml:1".to_string(),
            cfg("prod", "dbBackupRetention"),
        ),
        p(
            "config-difference",
            "pulumi_config.stack",
            "shop:assetActions",
            cfg("staging", "assetActions"),
            cfg("prod", "assetActions"),
        ),
    ];
    let db = "aws:rds/instance:Instance::db";
    let policy = "aws:iam/rolePolicy:RolePolicy::api-assets";
    let stack_urn = |stack: &str| format!("pulumi:pulumi:Stack::shop-{stack}");
    match source {
        "code" => {
            out.push(p(
                "engine-version",
                "aws_db_instance.db",
                "engine_version",
                cfg("staging", "dbEngineVersion"),
                cfg("prod", "dbEngineVersion"),
            ));
            out.push(p(
                "instance-size",
                "aws_db_instance.db",
                "instance_class",
                cfg("staging", "dbInstanceClass"),
                cfg("prod", "dbInstanceClass"),
            ));
            out.push(p(
                "iam-inline-policy",
                "aws_iam_role_policy.api-assets",
                "policy",
                cfg("staging", "assetActions"),
                cfg("prod", "assetActions"),
            ));
            out.push(p(
                "backup-retention",
                "aws_db_instance.db",
                "backup_retention_period",
                at("Pulumi.yaml", "backupRetentionPeriod:", None),
                cfg("prod", "dbBackupRetention"),
            ));
            out.push(p(
                "config-difference",
                "pulumi_stack.outputs",
                "dbBackupRetention",
                at("Pulumi.yaml", "dbBackupRetention: ${", None),
                cfg("prod", "dbBackupRetention"),
            ));
        }
        "state" | "plan" => {
            let dir = if source == "state" {
                "state"
            } else {
                "preview"
            };
            let f = |stack: &str| format!("{dir}/{stack}.json");
            let both = |tail: &dyn Fn(&str) -> String| {
                (
                    urn_line(&f("staging"), &tail("staging")),
                    urn_line(&f("prod"), &tail("prod")),
                )
            };
            let (s, pr) = both(&|_| db.to_string());
            for (rule, attribute) in [
                ("engine-version", "engine_version"),
                ("instance-size", "instance_class"),
                ("backup-retention", "backup_retention_period"),
            ] {
                out.push(p(
                    rule,
                    "aws_db_instance.db",
                    attribute,
                    s.clone(),
                    pr.clone(),
                ));
            }
            let (s, pr) = both(&|_| policy.to_string());
            out.push(p(
                "iam-inline-policy",
                "aws_iam_role_policy.api-assets",
                "policy",
                s,
                pr,
            ));
            let (s, pr) = both(&stack_urn);
            out.push(p(
                "config-difference",
                "pulumi_stack.outputs",
                "dbBackupRetention",
                s,
                pr,
            ));
        }
        other => panic!("no source {other}"),
    }
    if source == "state" {
        // The passwords the exports hold differ (the previews blind them).
        let (s, pr) = (
            urn_line("state/staging.json", db),
            urn_line("state/prod.json", db),
        );
        out.push(p("credentials", "aws_db_instance.db", "password", s, pr));
    }
    out
}

/// stdout, stdout and stderr together, and the exit code.
fn run(dir: &Path, source: &str, format: &str) -> (String, String, i32) {
    let out = parity(dir)
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
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (stdout, all, out.status.code().unwrap_or(-1))
}

/// Whether the planted difference is an expected one (shown with
/// `--verbose`), as the JSON report says.
fn expected_in(report: &Json, p: &Planted) -> bool {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| {
            f["rule"] == p.rule
                && f["resource"] == p.resource
                && f["attribute"] == p.attribute
                && f["expected"] == true
        })
}

/// `file:line` as a repository-relative path and a line, as SARIF and
/// GitHub annotations name a place.
fn in_repo(at: &str) -> (String, u64) {
    let (file, line) = at.rsplit_once(':').expect("file:line");
    (
        format!("fixtures/pulumi-yaml/{file}"),
        line.parse().expect("a line number"),
    )
}

/// Asserts that the output of `format` shows the planted difference `p`
/// at both its places.
fn shows(source: &str, format: &str, out: &str, p: &Planted, expected: bool) {
    let what = format!(
        "{source} {format}: {} on {} {} at {} / {}",
        p.rule, p.resource, p.attribute, p.staging, p.prod
    );
    match format {
        // SARIF results and annotations are for violations; an expected
        // difference is neither (src/report/sarif.rs, github.rs).
        "sarif" | "github" if expected => {
            let shown = format!("{} {}", p.resource, p.attribute);
            assert!(
                !out.lines()
                    .any(|l| l.contains(p.rule) && l.contains(&shown)),
                "{what}: reported as a violation\n{out}"
            );
        }
        "sarif" => {
            let sarif: Json = serde_json::from_str(out).expect("SARIF is JSON");
            let place = |l: &Json| {
                (
                    l["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    l["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap_or_default(),
                )
            };
            let found = sarif["runs"][0]["results"]
                .as_array()
                .expect("results")
                .iter()
                .any(|r| {
                    r["ruleId"] == p.rule
                        && r["properties"]["resource"] == p.resource
                        && r["properties"]["attribute"] == p.attribute
                        && r["locations"]
                            .as_array()
                            .is_some_and(|ls| ls.iter().any(|l| place(l) == in_repo(&p.staging)))
                        && r["relatedLocations"]
                            .as_array()
                            .is_some_and(|ls| ls.iter().any(|l| place(l) == in_repo(&p.prod)))
                });
            assert!(found, "{what}:\n{out}");
        }
        "github" => {
            let (file, line) = in_repo(&p.staging);
            let head = format!(
                "file={file},line={line},title={}::{} {}",
                p.rule, p.resource, p.attribute
            );
            let found = out
                .lines()
                .any(|l| l.contains(&head) && l.contains(&format!("at {}", p.prod)));
            assert!(found, "{what}:\n{out}");
        }
        // A test case per finding, at the left environment's place; an
        // expected difference is a skipped case, which names only that.
        "junit" => {
            let (file, line) = in_repo(&p.staging);
            let case = format!(
                "<testcase name=\"{} {}\" classname=\"{}\" file=\"{file}\" line=\"{line}\">",
                p.resource, p.attribute, p.rule
            );
            assert!(out.contains(&case), "{what}: no `{case}`\n{out}");
            if !expected {
                assert!(out.contains(&format!("({})", p.prod)), "{what}:\n{out}");
            }
        }
        _ => {
            for needle in [p.rule, p.resource, p.attribute, &p.staging, &p.prod] {
                assert!(out.contains(needle), "{what}: no `{needle}`\n{out}");
            }
        }
    }
}

#[test]
fn each_source_finds_every_planted_difference_at_its_place_in_every_format() {
    let canaries = canaries();
    for source in ["code", "state", "plan"] {
        let planted = planted(source);
        // JSON: each planted difference is one finding, located exactly.
        let (json, text, code) = run(&fixture(), source, "json");
        assert_eq!(code, 2, "{source}: {text}");
        let report: Json = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{source}: not JSON ({e}): {text}"));
        assert_eq!(report["source"], source);
        let findings = report["findings"].as_array().expect("findings");
        for p in &planted {
            let f = findings
                .iter()
                .find(|f| {
                    f["rule"] == p.rule
                        && f["resource"] == p.resource
                        && f["attribute"] == p.attribute
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{source}: no {} finding on {} {} in {report:#}",
                        p.rule, p.resource, p.attribute
                    )
                });
            assert_eq!(
                (
                    f["locations"]["staging"].as_str(),
                    f["locations"]["prod"].as_str()
                ),
                (Some(p.staging.as_str()), Some(p.prod.as_str())),
                "{source}: {} {} {}: {f:#}",
                p.rule,
                p.resource,
                p.attribute
            );
        }
        // Every format: each planted difference by rule, resource and
        // attribute, at both its places; no secret, raw or encoded.
        for format in FORMATS {
            let (stdout, text, code) = run(&fixture(), source, format);
            assert_eq!(code, 2, "{source} {format}: {text}");
            for p in &planted {
                let expected = expected_in(&report, p);
                shows(source, format, &stdout, p, expected);
            }
            for c in &canaries {
                assert!(!text.contains(c.as_str()), "{source} {format} shows `{c}`");
            }
        }
    }
}

#[test]
fn the_three_sources_describe_the_same_stacks() {
    // The export and the preview describe what the program deploys: the
    // same resources under the same addresses in every source.
    let addresses = |source: &str, env: &str| {
        let out = parity(&fixture())
            .args(["snapshot", env, "--source", source])
            .output()
            .expect("runs");
        // Incomplete (3) where a value is not known: the availability
        // zones `fn::invoke` asks the provider for in code, the password a
        // preview blinds.
        let expected = if source == "state" { 0 } else { 3 };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{source} {env}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        for c in canaries() {
            assert!(
                !text.contains(c.as_str()),
                "the {source} snapshot of {env} shows `{c}`"
            );
        }
        let snap: Json = serde_json::from_str(&text).expect("snapshot JSON");
        let mut a: Vec<String> = snap["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| r["address"].as_str().unwrap_or_default().to_string())
            .collect();
        a.sort();
        a
    };
    // The canaries are real: each secret is in the fixture's files.
    let files: String = [
        "state/staging.json",
        "state/prod.json",
        "Pulumi.staging.yaml",
        "Pulumi.prod.yaml",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(fixture().join(f)).expect("fixture file"))
    .collect();
    for s in SECRETS {
        assert!(files.contains(s), "`{s}` is not a secret of the fixture");
    }
    for env in ["staging", "prod"] {
        let code = addresses("code", env);
        assert!(code.contains(&"aws_db_instance.db".to_string()), "{code:?}");
        assert_eq!(addresses("state", env), code, "state vs code, {env}");
        assert_eq!(addresses("plan", env), code, "plan vs code, {env}");
    }
}
