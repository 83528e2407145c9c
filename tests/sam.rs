//! SAM templates (`Transform: AWS::Serverless-2016-10-31`) end to end:
//! `fixtures/sam-shop` expanded by parity against the same template
//! expanded by the real SAM translator (`fixtures/sam-shop/expanded/`,
//! written by its `expand.py`), and what parity does not expand as
//! coverage gaps at their lines.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{parity, repo, tree};
use serde_json::Value as Json;

fn fixture() -> std::path::PathBuf {
    repo().join("fixtures/sam-shop")
}

fn run_json(dir: &Path, args: &[&str]) -> (Json, i32) {
    let out = parity(dir).args(args).output().expect("runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, out.status.code().unwrap_or(-1))
}

/// The model type parity gives each CloudFormation type the fixture holds.
fn model_type(cfn: &str) -> &str {
    match cfn {
        "AWS::Lambda::Function" => "aws_lambda_function",
        "AWS::IAM::Role" => "aws_iam_role",
        "AWS::SQS::Queue" => "aws_sqs_queue",
        other => other,
    }
}

#[test]
fn sam_resources_expand_as_the_sam_translator_expands_them() {
    for env in ["staging", "prod"] {
        let text = std::fs::read_to_string(fixture().join(format!("expanded/{env}.json")))
            .expect("the translator's expansion");
        let translated: Json = serde_json::from_str(&text).expect("json");
        let translated = translated["Resources"].as_object().expect("resources");
        let (snap, code) = run_json(&fixture(), &["snapshot", env, "--source", "code"]);
        assert_eq!(code, 0, "{snap:#}");
        assert_eq!(snap["coverage"], serde_json::json!([]), "{snap:#}");
        let resources = snap["resources"].as_array().expect("resources");
        let ours: BTreeSet<String> = resources
            .iter()
            .filter_map(|r| r["address"].as_str())
            .filter(|a| *a != "aws_cloudformation_stack.stack")
            .map(str::to_string)
            .collect();
        let theirs: BTreeSet<String> = translated
            .iter()
            .map(|(id, def)| {
                let ty = def["Type"].as_str().expect("type");
                format!("{}.{id}", model_type(ty))
            })
            .collect();
        assert_eq!(ours, theirs, "{env}: logical IDs and types");

        let ours = |address: &str, attr: &str| -> Json {
            resources
                .iter()
                .find(|r| r["address"] == address)
                .unwrap_or_else(|| panic!("no {address}"))["attributes"][attr]
                .clone()
        };
        // The roles' managed policies, in the translator's order.
        for role in ["ApiRole", "WorkerRole"] {
            assert_eq!(
                ours(&format!("aws_iam_role.{role}"), "managed_policy_arns"),
                translated[role]["Properties"]["ManagedPolicyArns"],
                "{env}: {role}"
            );
        }
        assert_eq!(
            ours("aws_iam_role.ApiRole", "inline_policy")[0]["name"],
            translated["ApiRole"]["Properties"]["Policies"][0]["PolicyName"]
        );
        // The table, the schedule and the function's globals.
        for key in [
            "AttributeDefinitions",
            "KeySchema",
            "BillingMode",
            "SSESpecification",
        ] {
            assert_eq!(
                ours("AWS::DynamoDB::Table.Orders", key),
                translated["Orders"]["Properties"][key],
                "{env}: {key}"
            );
        }
        assert_eq!(
            ours("AWS::Events::Rule.WorkerNightly", "ScheduleExpression"),
            translated["WorkerNightly"]["Properties"]["ScheduleExpression"]
        );
        assert_eq!(
            ours("AWS::Lambda::EventSourceMapping.WorkerQueue", "BatchSize"),
            translated["WorkerQueue"]["Properties"]["BatchSize"]
        );
        assert_eq!(
            ours("aws_lambda_function.Worker", "timeout"),
            translated["Worker"]["Properties"]["Timeout"]
        );
        // The translator leaves `!Ref Runtime` to CloudFormation; parity
        // evaluates it with the environment's parameter file.
        assert_eq!(
            translated["Api"]["Properties"]["Runtime"],
            serde_json::json!({"Ref": "Runtime"})
        );
        let params =
            std::fs::read_to_string(fixture().join(format!("params/{env}.json"))).expect("params");
        let runtime = ours("aws_lambda_function.Api", "runtime");
        let runtime = runtime.as_str().expect("a known runtime");
        assert!(
            params.contains(&format!("\"Runtime={runtime}\"")),
            "{runtime}"
        );
    }
}

#[test]
fn sam_diff_finds_the_planted_differences_at_the_sam_resources_lines() {
    let (report, code) = run_json(&fixture(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    let text = std::fs::read_to_string(fixture().join("template.yaml")).expect("template");
    let line = |after: &str, needle: &str| -> String {
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.iter().position(|l| l.contains(after)).expect("start");
        let at = start
            + lines[start..]
                .iter()
                .position(|l| l.contains(needle))
                .expect("needle");
        format!("template.yaml:{}", at + 1)
    };
    let find = |rule: &str, resource: &str| -> Json {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["rule"] == rule && f["resource"] == resource)
            .cloned()
            .unwrap_or_else(|| panic!("no {rule} on {resource}: {report:#}"))
    };
    let f = find("lambda-runtime", "aws_lambda_function.Worker");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["locations"]["staging"], line("  Worker:", "Runtime:"));
    // The role SAM generates for the function, at the function's Policies.
    let f = find("iam-role-inline-policy-document", "aws_iam_role.ApiRole");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("staging is wider"),
        "{f:#}"
    );
    // The role SAM generates, at the statement the function lists.
    assert_eq!(f["locations"]["prod"], line("  Api:", "- Statement:"));
    let f = find("config-difference", "aws_lambda_function.Api");
    assert_eq!(f["attribute"], "memory_size");
}

#[test]
fn what_sam_expansion_does_not_cover_is_a_gap_at_its_line() {
    let template = "\
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    TracingEnabled: true
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: ./src
      AutoPublishAlias: live
      Policies:
        - S3ReadPolicy:
            BucketName: shop
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Bucket
            Events: s3:ObjectCreated:*
  Bucket:
    Type: AWS::S3::Bucket
";
    let dir = tree(&[
        ("app.yaml", template),
        (
            "parity.toml",
            "[environments.staging]\ncloudformation = { template = \"app.yaml\" }\n[environments.prod]\ncloudformation = { template = \"app.yaml\" }\n",
        ),
    ]);
    let (report, code) = run_json(dir.path(), &["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 3, "{report:#}");
    let gaps: Vec<&str> = report["summary"]["incomplete"]
        .as_array()
        .expect("incomplete")
        .iter()
        .filter_map(Json::as_str)
        .filter(|g| g.starts_with("staging: "))
        .collect();
    for expected in [
        "app.yaml:3: SAM globals for `Api`",
        "app.yaml:11: CodeUri `./src` is a local path",
        "app.yaml:12: SAM function property `AutoPublishAlias`",
        "app.yaml:13: SAM policy entry 1 is a policy template",
        "app.yaml:17: SAM event source `S3`",
    ] {
        assert!(
            gaps.iter().any(|g| g.contains(expected)),
            "{expected} not in {gaps:?}"
        );
    }
    // The function, its role and the bucket are still compared.
    assert_eq!(report["summary"]["compared_resources"], 4, "{report:#}");
}
