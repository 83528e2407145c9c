//! The CloudFormation source end to end: `fixtures/cfn-shop` (one template,
//! a parameter file per environment) through the CLI, and small templates
//! written here for the contract's edges (malformed input, unsupported
//! intrinsics, secrets, one code source per environment).

mod common;

use std::path::Path;

use common::{parity, repo, tree};
use serde_json::Value as Json;

fn fixture() -> std::path::PathBuf {
    repo().join("fixtures/cfn-shop")
}

/// The line of the fixture template where `needle` first appears.
fn line_of(needle: &str) -> usize {
    let text = std::fs::read_to_string(fixture().join("cfn/app.yaml")).expect("template");
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` is not in the template"))
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

fn finding<'a>(report: &'a Json, rule: &str, resource: &str) -> &'a Json {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == rule && f["resource"] == resource)
        .unwrap_or_else(|| panic!("no {rule} finding on {resource} in {report:#}"))
}

#[test]
fn diff_finds_each_planted_difference_at_its_template_line() {
    let (report, code) = json_report(
        &fixture(),
        &["diff", "staging", "prod", "--format", "json", "--verbose"],
    );
    assert_eq!(code, 2, "{report:#}");
    let at = |needle: &str| format!("cfn/app.yaml:{}", line_of(needle));

    // Engine: the version from each parameter file, at the property's line.
    let f = finding(&report, "engine-version", "aws_db_instance.Database");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("16.4"), Some("15.8"))
    );
    assert_eq!(f["locations"]["staging"], at("      EngineVersion:"));
    assert_eq!(f["locations"]["prod"], at("      EngineVersion:"));

    // Instance class: another family.
    let f = finding(&report, "instance-size", "aws_db_instance.Database");
    assert_eq!(f["left"], "db.t4g.medium");
    assert_eq!(f["locations"]["prod"], at("      DBInstanceClass:"));

    // IAM: staging's inline policy allows more.
    let f = finding(
        &report,
        "iam-role-inline-policy-document",
        "aws_iam_role.AppRole",
    );
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("staging is wider"),
        "{f:#}"
    );
    // `inline_policy.0.policy`: the line of the policy's list item.
    assert_eq!(
        f["locations"]["staging"],
        at("        - PolicyName: reports")
    );

    // Topology: prod's third subnet (a resource whose condition is false in
    // staging does not exist there), and the subnet group that lists it.
    let f = finding(&report, "critical-resource-presence", "aws_subnet.SubnetC");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["locations"]["prod"], at("  SubnetC:"));
    assert!(f["locations"].get("staging").is_none(), "{f:#}");
    let f = finding(
        &report,
        "network-attachments",
        "aws_db_subnet_group.DbSubnetGroup",
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("aws_subnet.SubnetC.id"),
        "{f:#}"
    );

    // The NoEcho password differs, and is shown as (sensitive) only.
    let f = finding(&report, "credentials", "aws_db_instance.Database");
    assert_eq!(f["attribute"], "password");
    assert_eq!(
        (f["left"].as_str(), f["right"].as_str()),
        (Some("(sensitive)"), Some("(sensitive)"))
    );
    assert_eq!(f["locations"]["staging"], at("      MasterUserPassword:"));

    // Nothing else is an error: env names, accounts and stack names normalize.
    let errors: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
}

#[test]
fn an_environment_against_its_own_snapshot_holds() {
    let out = tempfile::tempdir().expect("temp dir");
    let snap = out.path().join("staging.json");
    parity(&fixture())
        .args(["snapshot", "staging", "--source", "code", "-o"])
        .arg(&snap)
        .assert()
        .code(0);
    let (report, code) = json_report(
        &fixture(),
        &[
            "diff",
            "staging",
            snap.to_str().expect("utf-8 path"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
    assert!(report["summary"]["compared_resources"].as_u64() > Some(10));
}

/// A JSON template, parameter files in the two list shapes: two
/// environments that differ only in name, account, region and stack name
/// compare equal.
#[test]
fn environments_differing_only_in_identity_give_no_finding() {
    let template = r#"{
  "Parameters": {
    "Env": {"Type": "String"},
    "Zones": {"Type": "CommaDelimitedList"}
  },
  "Resources": {
    "Bucket": {
      "Type": "AWS::S3::Bucket",
      "Properties": {
        "BucketName": {"Fn::Sub": "${AWS::StackName}-${AWS::AccountId}-${AWS::Region}"},
        "Tags": [{"Key": "env", "Value": {"Ref": "Env"}}]
      }
    },
    "Role": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "read", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": {"Fn::Sub": "${Bucket.Arn}/*"}}]}}]
      }
    },
    "Subnet": {
      "Type": "AWS::EC2::Subnet",
      "Properties": {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": {"Fn::Select": [0, {"Ref": "Zones"}]}}
    }
  }
}
"#;
    let dir = tree(&[
        ("app.json", template),
        (
            "staging.json",
            r#"["Env=staging", "Zones=us-east-1a,us-east-1b"]"#,
        ),
        (
            "prod.json",
            r#"[{"ParameterKey": "Env", "ParameterValue": "prod"}, {"ParameterKey": "Zones", "ParameterValue": "eu-west-1a,eu-west-1b"}]"#,
        ),
        (
            "parity.toml",
            r#"[environments.staging]
cloudformation = { template = "app.json", parameters = "staging.json", stack-name = "shop-staging", region = "us-east-1", account = "111111111111" }
[environments.prod]
cloudformation = { template = "app.json", parameters = "prod.json", stack-name = "shop-prod", region = "eu-west-1", account = "222222222222" }
"#,
        ),
    ]);
    let (report, code) = json_report(dir.path(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["summary"]["compared_resources"], 4);
}

/// A project with the fixture's template replaced by `template`.
fn with_template(template: &str) -> tempfile::TempDir {
    let staging =
        std::fs::read_to_string(fixture().join("cfn/params/staging.json")).expect("params");
    let prod = std::fs::read_to_string(fixture().join("cfn/params/prod.json")).expect("params");
    let toml = std::fs::read_to_string(fixture().join("parity.toml")).expect("config");
    tree(&[
        ("cfn/app.yaml", template),
        ("cfn/params/staging.json", &staging),
        ("cfn/params/prod.json", &prod),
        ("parity.toml", &toml),
    ])
}

fn fixture_template() -> String {
    std::fs::read_to_string(fixture().join("cfn/app.yaml")).expect("template")
}

#[test]
fn a_malformed_template_is_an_error_with_its_line() {
    // A YAML syntax error.
    let broken = fixture_template().replace("      Engine: postgres", "      Engine: [postgres");
    let dir = with_template(&broken);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cfn/app.yaml:"), "{stderr}");
    assert!(stderr.contains("not a valid template"), "{stderr}");

    // A reference to nothing: CloudFormation rejects it, and so does parity.
    let dangling = fixture_template().replace("!Ref DbSubnetGroup", "!Ref DbSubnetGrup");
    let dir = with_template(&dangling);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let at = format!("cfn/app.yaml:{}", line_of("      DBSubnetGroupName:"));
    assert!(
        stderr.contains(&at) && stderr.contains("DbSubnetGrup"),
        "{stderr}"
    );
}

#[test]
fn a_parameter_outside_its_allowed_values_is_an_error_at_the_parameter_file_line() {
    let dir = with_template(&fixture_template());
    std::fs::write(
        dir.path().join("cfn/params/staging.json"),
        "[\n  \"EnvName=staging\",\n  \"DbEngineVersion=16.4\",\n  \"DbInstanceClass=db.m5.huge\",\n  \"DbPassword=staging-Hunter2-secret\"\n]\n",
    )
    .expect("write");
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cfn/params/staging.json:4"), "{stderr}");
    assert!(stderr.contains("db.m5.huge"), "{stderr}");
}

#[test]
fn unsupported_intrinsics_and_transforms_are_coverage_gaps_not_a_pass() {
    let template = "\
Transform: [AWS::Serverless-2016-10-31, ShopMacro]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub ${AWS::StackName}-jobs
      Tags: !Transform {Name: AWS::Include}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: s3://shop/flow.json
";
    let dir = tree(&[
        ("app.yaml", template),
        (
            "parity.toml",
            "[environments.staging]\ncloudformation = { template = \"app.yaml\" }\n[environments.prod]\ncloudformation = { template = \"app.yaml\" }\n",
        ),
    ]);
    let (report, code) = json_report(dir.path(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 3, "{report:#}");
    let gaps: Vec<&str> = report["summary"]["incomplete"]
        .as_array()
        .expect("incomplete")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    let has = |needle: &str| {
        gaps.iter()
            .any(|g| g.starts_with("staging: ") && g.contains(needle))
    };
    assert!(
        has("app.yaml:7: intrinsic function `Fn::Transform`"),
        "{gaps:?}"
    );
    assert!(
        has("app.yaml:1: transform \"ShopMacro\" is not expanded"),
        "{gaps:?}"
    );
    // SAM is expanded (tests/sam.rs), except the types parity does not know.
    assert!(!has("AWS::Serverless-2016-10-31"), "{gaps:?}");
    assert!(
        has("app.yaml:9: AWS::Serverless::StateMachine is a SAM resource"),
        "{gaps:?}"
    );
    // The unexpanded SAM resource is still compared under its own names.
    assert_eq!(report["summary"]["compared_resources"], 3);
}

#[test]
fn every_format_shows_the_planted_differences_and_never_the_noecho_secret() {
    let secrets = [
        "staging-Hunter2-secret",
        "prod-Correct-Horse-Battery",
        "Hunter2",
        "Horse",
    ];
    for format in [
        "table", "json", "sarif", "markdown", "html", "junit", "github",
    ] {
        let out = parity(&fixture())
            .args(["diff", "staging", "prod", "--verbose", "--format", format])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{format}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("aws_db_instance"),
            "{format}: no report? {text}"
        );
        // Each planted difference, with the engine version's template line.
        for planted in ["engine-version", "AppRole", "SubnetC", "instance_class"] {
            assert!(text.contains(planted), "{format} lacks {planted}");
        }
        let line = line_of("      EngineVersion:");
        assert!(
            [
                format!("cfn/app.yaml:{line}"),
                format!("\"startLine\": {line}"),
                format!("line={line}")
            ]
            .iter()
            .any(|l| text.contains(l.as_str())),
            "{format} lacks the engine version's line {line}"
        );
        for s in secrets {
            assert!(!text.contains(s), "{format} shows `{s}`");
        }
    }
    let out = parity(&fixture())
        .args(["snapshot", "staging", "--source", "code", "-vv"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("aws_db_instance.Database"), "{text}");
    for s in secrets {
        assert!(!text.contains(s), "the snapshot shows `{s}`");
    }
}

#[test]
fn an_environment_has_one_code_source() {
    let dir = tree(&[
        ("envs/staging/main.tf", "resource \"aws_s3_bucket\" \"b\" {}\n"),
        ("app.yaml", "Resources: {}\n"),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\ncloudformation = { template = \"app.yaml\" }\n\n[environments.prod]\nterraform = { root = \"envs/staging\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("parity.toml:3:")
            && stderr.contains("`terraform` and `cloudformation` both give the environment's code"),
        "{stderr}"
    );
}

#[test]
fn nested_stacks_with_local_templates_are_read_as_modules() {
    let parent = "\
Parameters:
  EnvName: {Type: String}
  DbVersion: {Type: String}
  DbPassword: {Type: String, NoEcho: true}
Resources:
  Db:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: nested/db.yaml
      Parameters:
        Version: !Ref DbVersion
        Password: !Ref DbPassword
        Name: !Sub shop-${EnvName}
  Remote:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://s3.amazonaws.com/bucket/other.yaml
";
    let child = "\
Parameters:
  Version: {Type: String}
  Password: {Type: String, NoEcho: true}
  Name: {Type: String}
Resources:
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceIdentifier: !Ref Name
      Engine: postgres
      EngineVersion: !Ref Version
      MasterUserPassword: !Ref Password
";
    let dir = tree(&[
        ("app.yaml", parent),
        ("nested/db.yaml", child),
        ("staging.json", r#"["EnvName=staging", "DbVersion=16.4", "DbPassword=staging-Nested-secret"]"#),
        ("prod.json", r#"["EnvName=prod", "DbVersion=15.8", "DbPassword=prod-Nested-secret"]"#),
        (
            "parity.toml",
            "[environments.staging]\ncloudformation = { template = \"app.yaml\", parameters = \"staging.json\" }\n[environments.prod]\ncloudformation = { template = \"app.yaml\", parameters = \"prod.json\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json", "--verbose"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Nested-secret"), "{text}");
    let report: Json = serde_json::from_slice(&out.stdout).expect("json");
    // A difference inside the nested stack at the nested template's line.
    let f = finding(
        &report,
        "engine-version",
        "module.Db.aws_db_instance.Database",
    );
    assert_eq!(f["locations"]["staging"], "nested/db.yaml:11");
    // The remote nested stack is a gap; violations still win (exit 2).
    assert_eq!(out.status.code(), Some(2), "{report:#}");
    let gaps = report["summary"]["incomplete"].to_string();
    assert!(
        gaps.contains("app.yaml:17: nested stack template https://"),
        "{gaps}"
    );
    // The name passed down normalizes like any other.
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["attribute"] != "identifier"),
        "{report:#}"
    );
}

fn cdk_fixture() -> std::path::PathBuf {
    repo().join("fixtures/cdk-shop")
}

/// The line of `needle` in a synthesized template of the CDK fixture.
fn cdk_line(template: &str, needle: &str) -> String {
    let text = std::fs::read_to_string(cdk_fixture().join(template)).expect("template");
    let line = text
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` is not in {template}"));
    format!("{template}:{line}")
}

#[test]
fn cdk_stages_are_environments_with_their_differences_at_template_lines() {
    let (report, code) = json_report(
        &cdk_fixture(),
        &["diff", "staging", "prod", "--format", "json"],
    );
    assert_eq!(code, 2, "{report:#}");
    let staging = "cdk.out/assembly-Staging/StagingShop7D039BB3.template.json";
    let f = finding(
        &report,
        "engine-version",
        "module.Shop.aws_db_instance.DatabaseB269D8BB",
    );
    assert_eq!(
        f["locations"]["staging"],
        cdk_line(staging, "\"EngineVersion\"")
    );
    let f = finding(
        &report,
        "iam-inline-policy",
        "module.Shop.aws_iam_role_policy.AppRoleDefaultPolicy1872B475",
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("staging is wider"),
        "{f:#}"
    );
    // Two availability zones in staging, three in prod.
    let f = finding(
        &report,
        "critical-resource-presence",
        "module.Shop.aws_subnet.NetworkprivateSubnet3SubnetDF5C71F0",
    );
    assert!(f["locations"].get("staging").is_none(), "{f:#}");
    // CDK's bootstrap parameter and metadata are not gaps or findings.
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    let rendered = report.to_string();
    assert!(!rendered.contains("CDK::Metadata") && !rendered.contains("BootstrapVersion"));
}

#[test]
fn two_cdk_stages_that_differ_only_in_name_account_and_region_have_no_finding() {
    let (report, code) = json_report(
        &cdk_fixture(),
        &["diff", "prod", "qa", "--format", "json", "--verbose"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    assert!(report["summary"]["compared_resources"].as_u64() > Some(30));
}

#[test]
fn a_cdk_stage_records_the_library_version_and_an_unknown_stage_is_an_error() {
    let out = parity(&cdk_fixture())
        .args(["snapshot", "staging", "--source", "code"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let snap: Json = serde_json::from_slice(&out.stdout).expect("json");
    let dep = snap["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .find(|d| d["address"] == "cdk_library.aws-cdk-lib")
        .unwrap_or_else(|| panic!("no library version in {snap:#}"));
    assert_eq!(dep["attributes"]["version"], "2.276.0");

    let dir = tree(&[(
        "parity.toml",
        &format!(
            "[environments.staging]\ncdk = {{ out = {:?}, stage = \"Nope\" }}\n[environments.prod]\ncdk = {{ out = {:?}, stage = \"Prod\" }}\n",
            cdk_fixture().join("cdk.out"),
            cdk_fixture().join("cdk.out")
        ),
    )]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no stage `Nope`"), "{stderr}");
}

/// The CDK fixture copied, with the logical ID `Reports65402A0A` renamed in
/// each stage's template as `ids` says (stage directory, new ID).
fn cdk_with_renamed_bucket(ids: &[(&str, &str)]) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read_dir").flatten() {
            let target = to.join(e.file_name());
            if e.path().is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), &target).expect("copy");
            }
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    copy(&cdk_fixture(), dir.path());
    for (stage, id) in ids {
        let assembly = dir.path().join("cdk.out").join(stage);
        for e in std::fs::read_dir(&assembly).expect("assembly").flatten() {
            let p = e.path();
            if p.to_string_lossy().ends_with(".template.json") {
                let text = std::fs::read_to_string(&p).expect("template");
                assert!(text.contains("Reports65402A0A"));
                std::fs::write(&p, text.replace("Reports65402A0A", id)).expect("write");
            }
        }
    }
    dir
}

#[test]
fn cdk_logical_ids_that_hold_the_stage_name_pair_across_stages() {
    // `new Bucket(this, `Reports${stage}`)`: another logical ID and hash
    // in every stage, the same resource.
    let dir = cdk_with_renamed_bucket(&[
        ("assembly-Prod", "ReportsProd5E6F7A8B"),
        ("assembly-Qa", "ReportsQaC0FFEE12"),
    ]);
    let (report, code) = json_report(
        dir.path(),
        &["diff", "prod", "qa", "--format", "json", "--verbose"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    let out = parity(dir.path())
        .args(["snapshot", "prod", "--source", "code"])
        .output()
        .expect("runs");
    let snap: Json = serde_json::from_slice(&out.stdout).expect("json");
    let resources = snap["resources"].as_array().expect("resources");
    assert!(
        resources
            .iter()
            .any(|r| r["address"] == "module.Shop.aws_s3_bucket.Reports${env}"),
        "{snap:#}"
    );
    // The role's policy names the bucket by its new address too.
    let text = serde_json::to_string(&snap).expect("json");
    assert!(!text.contains("ReportsProd5E6F7A8B"), "{text}");

    // Names that differ by more than the stage stay two resources.
    let dir = cdk_with_renamed_bucket(&[
        ("assembly-Prod", "ReportsBlue5E6F7A8B"),
        ("assembly-Qa", "ReportsGreenC0FFEE12"),
    ]);
    let (report, code) = json_report(dir.path(), &["diff", "prod", "qa", "--format", "json"]);
    assert_eq!(code, 2, "{report:#}");
    let resources: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["resource"].as_str())
        .collect();
    assert!(
        resources.iter().any(|r| r.contains("ReportsBlue5E6F7A8B")),
        "{resources:?}"
    );
}

#[test]
fn cdk_asset_hashes_are_expected_differences_not_warnings() {
    // Staging's worker runs the next release: another asset hash, the
    // same function otherwise.
    let (report, code) = json_report(
        &cdk_fixture(),
        &["diff", "staging", "prod", "--format", "json", "--verbose"],
    );
    assert_eq!(code, 2, "{report:#}");
    let worker = "module.Shop.aws_lambda_function.Worker11F36D0F";
    let f = finding(&report, "cdk-asset-hash", worker);
    assert_eq!(f["severity"], "info");
    assert_eq!(f["attribute"], "cdk_assets.s3_key");
    let staging = "cdk.out/assembly-Staging/StagingShop7D039BB3.template.json";
    // The worker's `Code`, the property its S3 key is spread from.
    let text = std::fs::read_to_string(cdk_fixture().join(staging)).expect("template");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("\"Worker11F36D0F\": {"))
        .expect("the worker");
    let code = start
        + lines[start..]
            .iter()
            .position(|l| l.contains("\"Code\""))
            .expect("its code");
    assert_eq!(f["locations"]["staging"], format!("{staging}:{}", code + 1));
    let hashes = |dir: &str| -> Vec<String> {
        std::fs::read_dir(cdk_fixture().join("cdk.out"))
            .expect("cdk.out")
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_prefix("asset.").map(str::to_string)
            })
            .filter(|h| {
                std::fs::read_to_string(cdk_fixture().join("cdk.out").join(dir))
                    .map(|t| t.contains(h.as_str()))
                    .unwrap_or(false)
            })
            .collect()
    };
    let (left, right) = (
        hashes("assembly-Staging/StagingShop7D039BB3.template.json"),
        hashes("assembly-Prod/ProdShop82526E42.template.json"),
    );
    assert_eq!((left.len(), right.len()), (1, 1), "{left:?} {right:?}");
    assert_ne!(left, right);
    assert_eq!(f["left"], left[0].as_str(), "{f:#}");
    assert_eq!(f["right"], right[0].as_str(), "{f:#}");
    // Nothing else on the worker: the S3 key without its hash is equal.
    let on_worker: Vec<&Json> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource"] == worker)
        .collect();
    assert_eq!(on_worker.len(), 1, "{on_worker:#?}");

    let out = parity(&cdk_fixture())
        .args(["snapshot", "staging", "--source", "code"])
        .output()
        .expect("runs");
    let snap: Json = serde_json::from_slice(&out.stdout).expect("json");
    let r = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["address"] == worker)
        .unwrap_or_else(|| panic!("no worker in {snap:#}"));
    assert_eq!(r["attributes"]["s3_key"], "${asset}.zip");
    assert_eq!(r["attributes"]["cdk_assets"]["s3_key"], left[0].as_str());
}

#[test]
fn legacy_asset_parameters_are_unknown_and_their_hashes_expected() {
    // `LegacyStackSynthesizer`: the asset parameters have no value in the
    // template (the CLI gives them), and their names hold the hash.
    let dir = repo().join("fixtures/cdk-legacy");
    let template = std::fs::read_to_string(
        dir.join("cdk.out/assembly-Staging/StagingWorkerE1D5C7CF.template.json"),
    )
    .expect("template");
    assert!(template.contains("\"AssetParameters"), "a legacy template");
    let (report, code) = json_report(
        &dir,
        &["diff", "staging", "prod", "--format", "json", "--verbose"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    let findings = report["findings"].as_array().expect("findings");
    let attrs: Vec<&str> = findings
        .iter()
        .map(|f| {
            assert_eq!(f["rule"], "cdk-asset-hash", "{f:#}");
            assert_eq!(f["severity"], "info", "{f:#}");
            f["attribute"].as_str().unwrap_or_default()
        })
        .collect();
    assert_eq!(attrs, ["cdk_assets.s3_bucket", "cdk_assets.s3_key"]);
}

/// Two environments of `template` whose parameter `Action` differs.
fn action_diff(name: &str, template: &str) -> Json {
    let dir = tree(&[
        (name, template),
        ("staging.json", "[\"Action=s3:*\"]"),
        ("prod.json", "[\"Action=s3:GetObject\"]"),
        (
            "parity.toml",
            &format!("[environments.staging]\ncloudformation = {{ template = \"{name}\", parameters = \"staging.json\" }}\n[environments.prod]\ncloudformation = {{ template = \"{name}\", parameters = \"prod.json\" }}\n"),
        ),
    ]);
    let (report, code) = json_report(dir.path(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 2, "{report:#}");
    report
}

fn located(report: &Json, resource: &str) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource"] == resource)
        .map(|f| {
            (
                f["attribute"].as_str().unwrap_or_default().to_string(),
                f["locations"]["staging"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn findings_inside_lists_and_flow_objects_have_the_items_line() {
    // A block-style item and a one-line flow object as items; a list the
    // generic rule compares whole stays at its property's line.
    let yaml = "\
Parameters:
  Action:
    Type: String
Resources:
  App:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Statement: [{Effect: Allow, Action: logs:PutLogEvents, Resource: '*'}]
        - { PolicyName: s3, PolicyDocument: { Statement: [{ Effect: Allow, Action: !Ref Action, Resource: '*' }] } }
  Errors:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: app
      FilterPattern: ERROR
      MetricTransformations:
        - MetricName: errors
          MetricNamespace: shop
          MetricValue: '1'
        - MetricName: denied
          MetricNamespace: shop
          MetricValue: !Ref Action
";
    let report = action_diff("app.yaml", yaml);
    assert_eq!(
        located(&report, "aws_iam_role.App"),
        vec![(
            "inline_policy.1.policy".to_string(),
            "app.yaml:13".to_string()
        )]
    );
    assert_eq!(
        located(&report, "AWS::Logs::MetricFilter.Errors"),
        vec![(
            "MetricTransformations".to_string(),
            "app.yaml:19".to_string()
        )]
    );

    // The same in JSON: the item's first line, the nested key's own.
    let json = r#"{
  "Parameters": {"Action": {"Type": "String"}},
  "Resources": {
    "App": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [
          {"PolicyName": "logs", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}},
          {"PolicyName": "s3",
           "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": {"Ref": "Action"}, "Resource": "*"}]}}
        ]
      }
    },
    "Errors": {
      "Type": "AWS::Logs::MetricFilter",
      "Properties": {
        "LogGroupName": "app",
        "FilterPattern": "ERROR",
        "MetricTransformations": [
          {"MetricName": "errors", "MetricNamespace": "shop", "MetricValue": "1"},
          {
            "MetricName": "denied",
            "MetricNamespace": "shop",
            "MetricValue": {"Ref": "Action"}
          }
        ]
      }
    }
  }
}
"#;
    let report = action_diff("app.json", json);
    assert_eq!(
        located(&report, "aws_iam_role.App"),
        vec![(
            "inline_policy.1.policy".to_string(),
            "app.json:10".to_string()
        )]
    );
    assert_eq!(
        located(&report, "AWS::Logs::MetricFilter.Errors"),
        vec![(
            "MetricTransformations".to_string(),
            "app.json:20".to_string()
        )]
    );
}

#[test]
fn outputs_are_compared_without_their_secrets_and_stack_tags_reach_resources() {
    let template = "\
Parameters:
  Size:
    Type: String
  DbPassword:
    Type: String
    NoEcho: true
Conditions:
  IsProd: !Equals [!Ref Size, large]
Resources:
  Reports:
    Type: AWS::S3::Bucket
    Properties:
      Tags:
        - Key: team
          Value: reports
Outputs:
  Size:
    Value: !Ref Size
  Url:
    Value: !Sub 'postgres://app:${DbPassword}@db.internal/shop'
  ProdOnly:
    Condition: IsProd
    Value: yes
";
    let params = |size: &str, secret: &str, cost: &str| {
        format!("{{\"Parameters\": {{\"Size\": \"{size}\", \"DbPassword\": \"{secret}\"}}, \"Tags\": {{\"team\": \"shop\", \"CostCenter\": \"{cost}\"}}}}")
    };
    let dir = tree(&[
        ("app.yaml", template),
        ("staging.json", &params("small", "Staging-Secret-Pw1", "100")),
        ("prod.json", &params("large", "Prod-Secret-Pw2", "200")),
        (
            "parity.toml",
            "[environments.staging]\ncloudformation = { template = \"app.yaml\", parameters = \"staging.json\" }\n[environments.prod]\ncloudformation = { template = \"app.yaml\", parameters = \"prod.json\" }\n",
        ),
    ]);
    let (report, code) = json_report(
        dir.path(),
        &["diff", "staging", "prod", "--format", "json", "--verbose"],
    );
    assert_eq!(code, 0, "warnings only: {report:#}");
    let rendered = report.to_string();
    assert!(
        !rendered.contains("Secret-Pw") && !rendered.contains("app:Staging"),
        "{rendered}"
    );
    // One finding per output, at its Value's line (or the section's,
    // where the output does not exist).
    let outputs: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "stack-outputs")
        .map(|f| {
            assert_eq!(f["severity"], "warning");
            let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
            (
                text(&f["attribute"]),
                text(&f["locations"]["staging"]),
                text(&f["locations"]["prod"]),
            )
        })
        .collect();
    let row = |a: &str, s: &str, p: &str| (a.to_string(), s.to_string(), p.to_string());
    assert_eq!(
        outputs,
        vec![
            row("outputs.ProdOnly", "app.yaml:16", "app.yaml:23"),
            row("outputs.Size", "app.yaml:18", "app.yaml:18"),
            row("outputs.Url", "app.yaml:20", "app.yaml:20"),
        ]
    );

    // Stack tags on the bucket: its own `team` wins, `CostCenter` differs.
    let out = parity(dir.path())
        .args(["snapshot", "staging", "--source", "code"])
        .output()
        .expect("runs");
    let snap: Json = serde_json::from_slice(&out.stdout).expect("json");
    let bucket = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["address"] == "aws_s3_bucket.Reports")
        .unwrap_or_else(|| panic!("{snap:#}"));
    assert_eq!(
        bucket["attributes"]["tags"],
        serde_json::json!({"team": "reports", "CostCenter": "100"})
    );
    let stack = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["address"] == "aws_cloudformation_stack.stack")
        .unwrap_or_else(|| panic!("{snap:#}"));
    assert_eq!(stack["attributes"]["outputs"]["Size"], "small");
    assert!(stack["attributes"]["outputs"].get("ProdOnly").is_none());
    assert!(!snap.to_string().contains("Staging-Secret-Pw1"));
    let tagged = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| {
            f["resource"] == "aws_s3_bucket.Reports"
                && f["attribute"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("tags"))
        });
    assert!(tagged, "{report:#}");
}

#[test]
fn foreach_loops_expand_per_environment_and_unknown_collections_are_gaps() {
    let template = "\
Transform: AWS::LanguageExtensions
Parameters:
  Topics:
    Type: CommaDelimitedList
Resources:
  Fn::ForEach::Topics:
    - Name
    - !Ref Topics
    - Topic${Name}:
        Type: AWS::SNS::Topic
        Properties:
          TopicName: !Sub '${AWS::StackName}-${Name}'
  Fn::ForEach::Zones:
    - Zone
    - !GetAZs ''
    - Queue&{Zone}:
        Type: AWS::SQS::Queue
Outputs:
  Fn::ForEach::Arns:
    - Name
    - !Ref Topics
    - ${Name}Arn:
        Value: !Ref 'Topic${Name}'
";
    let dir = tree(&[
        ("app.yaml", template),
        ("staging.json", "[\"Topics=orders\"]"),
        ("prod.json", "[\"Topics=orders,refunds\"]"),
        (
            "parity.toml",
            "[environments.staging]\ncloudformation = { template = \"app.yaml\", parameters = \"staging.json\" }\n[environments.prod]\ncloudformation = { template = \"app.yaml\", parameters = \"prod.json\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["snapshot", "prod", "--source", "code"])
        .output()
        .expect("runs");
    let snap: Json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let resources = snap["resources"].as_array().expect("resources");
    let refunds = resources
        .iter()
        .find(|r| r["address"] == "aws_sns_topic.Topicrefunds")
        .unwrap_or_else(|| panic!("{snap:#}"));
    assert_eq!(refunds["attributes"]["name"], "prod-refunds");
    // The generated resource has the line of the key it was written as.
    assert_eq!(refunds["location"], "app.yaml:9");
    let coverage = snap["coverage"].to_string();
    assert!(
        coverage.contains("app.yaml:15") && coverage.contains("known only at deployment"),
        "{coverage}"
    );
    assert!(!coverage.contains("LanguageExtensions"), "{coverage}");

    // Warnings, and the zones' loop not read: incomplete.
    let (report, code) = json_report(dir.path(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 3, "{report:#}");
    let f = finding(&report, "stack-outputs", "aws_cloudformation_stack.stack");
    assert_eq!(f["attribute"], "outputs.refundsArn");
    assert_eq!(f["locations"]["prod"], "app.yaml:23");
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["resource"] == "aws_sns_topic.Topicrefunds"),
        "{report:#}"
    );
}

#[test]
fn compute_and_load_balancing_types_are_judged_by_the_terraform_rules() {
    let template = "\
Parameters:
  Scheme:
    Type: String
  Size:
    Type: String
  Ami:
    Type: String
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: !Ref Scheme
      Subnets: [subnet-1, subnet-2]
  Http:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: forward
          TargetGroupArn: !Ref Web
  Web:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Port: 8080
      Protocol: HTTP
      VpcId: vpc-1
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref Ami
        InstanceType: !Ref Size
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: '1'
      MaxSize: '3'
      LaunchTemplate:
        LaunchTemplateId: !Ref Template
        Version: !GetAtt Template.LatestVersionNumber
      VPCZoneIdentifier: [subnet-1, subnet-2]
  Bastion:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref Ami
      InstanceType: !Ref Size
";
    let dir = tree(&[
        ("app.yaml", template),
        ("staging.json", "[\"Scheme=internet-facing\", \"Size=t3.small\", \"Ami=ami-0123456789abcdef0\"]"),
        ("prod.json", "[\"Scheme=internal\", \"Size=m7g.large\", \"Ami=ami-0fedcba9876543210\"]"),
        (
            "parity.toml",
            "[environments.staging]\ncloudformation = { template = \"app.yaml\", parameters = \"staging.json\" }\n[environments.prod]\ncloudformation = { template = \"app.yaml\", parameters = \"prod.json\" }\n",
        ),
    ]);
    let (report, code) = json_report(dir.path(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 2, "{report:#}");
    let f = finding(&report, "lb-internal", "aws_lb.Lb");
    assert_eq!(f["locations"]["staging"], "app.yaml:12");
    let f = finding(&report, "instance-size", "aws_instance.Bastion");
    assert!(
        f["message"].as_str().unwrap_or_default().contains("family"),
        "{f:#}"
    );
    finding(&report, "instance-size", "aws_launch_template.Template");
    finding(&report, "instance-image", "aws_instance.Bastion");
    finding(&report, "instance-image", "aws_launch_template.Template");
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
}
