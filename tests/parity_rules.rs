//! Judged outcomes on small staging/prod pairs: the differences that do not
//! matter produce no finding, the ones that do are found with the right
//! rule, severity, values and locations, and the exit code follows.

mod common;

use common::{parity, tree};
use serde_json::{json, Value};

const CONFIG: &str = "[environments.staging]
aliases = [\"stg\"]
account-id = \"111111111111\"
terraform = { root = \"envs/staging\" }

[environments.prod]
aliases = [\"production\"]
account-id = \"222222222222\"
terraform = { root = \"envs/prod\" }
";

/// A project with `envs/staging/main.tf`, `envs/prod/main.tf`, parity.toml
/// (CONFIG followed by `extra`) and any further files.
fn project(staging: &str, prod: &str, extra: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let config = format!("{CONFIG}{extra}");
    let mut all: Vec<(&str, &str)> = vec![
        ("envs/staging/main.tf", staging),
        ("envs/prod/main.tf", prod),
        ("parity.toml", &config),
    ];
    all.extend_from_slice(files);
    tree(&all)
}

/// The same code in both environments with `{env}`, `{a}`, `{b}`... filled
/// per environment.
fn per_env(template: &str, staging: &[(&str, &str)], prod: &[(&str, &str)]) -> (String, String) {
    let fill = |env: &str, vars: &[(&str, &str)]| {
        let mut s = template.replace("{env}", env);
        for (k, v) in vars {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    };
    (fill("staging", staging), fill("prod", prod))
}

struct Outcome {
    code: i32,
    report: Value,
    stderr: String,
}

impl Outcome {
    fn findings(&self) -> Vec<&Value> {
        self.report["findings"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    fn by_rule(&self, rule: &str) -> Vec<&Value> {
        self.findings()
            .into_iter()
            .filter(|f| f["rule"] == rule)
            .collect()
    }

    fn one(&self, rule: &str) -> &Value {
        let found = self.by_rule(rule);
        assert_eq!(
            found.len(),
            1,
            "expected one {rule} finding in {:#}",
            self.report
        );
        found[0]
    }

    /// Findings that count against parity: errors and warnings not waived.
    fn violations(&self) -> Vec<&Value> {
        self.findings()
            .into_iter()
            .filter(|f| {
                f["waiver"].is_null() && (f["severity"] == "error" || f["severity"] == "warning")
            })
            .collect()
    }
}

fn diff(dir: &std::path::Path, extra_args: &[&str]) -> Outcome {
    let mut args = vec!["diff", "staging", "prod", "--format", "json"];
    args.extend_from_slice(extra_args);
    let out = parity(dir).args(&args).output().expect("run parity");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert!(!stderr.contains("panicked"), "{stderr}");
    Outcome {
        code: out.status.code().expect("exit code"),
        report,
        stderr,
    }
}

// ---------------------------------------------------------------------------
// Expected differences: no false findings

#[test]
fn a_renumbered_network_is_not_a_violation() {
    let (staging, prod) = per_env(
        r#"
locals {
  cidr = "{cidr}"
}
resource "aws_vpc" "main" {
  cidr_block = local.cidr
  tags = {
    Name = "shop-{env}"
  }
}
resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(local.cidr, 8, count.index)
}
resource "aws_security_group_rule" "from_vpc" {
  type        = "ingress"
  from_port   = 5432
  to_port     = 5432
  protocol    = "tcp"
  cidr_blocks = [aws_vpc.main.cidr_block, local.cidr]
}
"#,
        &[("cidr", "10.10.0.0/16")],
        &[("cidr", "10.20.0.0/16")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 0, "{:#}\n{}", out.report, out.stderr);
    assert!(out.violations().is_empty(), "{:#}", out.report);
    assert_eq!(out.report["summary"]["errors"], 0);
    assert_eq!(out.report["summary"]["warnings"], 0);
}

#[test]
fn a_resized_instance_in_the_same_family_is_not_a_violation() {
    let (staging, prod) = per_env(
        "resource \"aws_db_instance\" \"main\" {\n  identifier     = \"shop-{env}\"\n  instance_class = \"{class}\"\n  allocated_storage = {gb}\n}\n",
        &[("class", "db.t3.medium"), ("gb", "20")],
        &[("class", "db.t3.large"), ("gb", "500")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 0, "{:#}", out.report);
    assert!(out.violations().is_empty(), "{:#}", out.report);
    // Still visible as expected differences with --verbose, never above info.
    let verbose = diff(dir.path(), &["--verbose"]);
    assert_eq!(verbose.code, 0);
    for f in verbose.findings() {
        assert_eq!(f["severity"], "info", "{f:#}");
    }
}

#[test]
fn an_instance_family_change_is_a_finding() {
    let (staging, prod) = per_env(
        "resource \"aws_db_instance\" \"main\" {\n  instance_class = \"{class}\"\n}\n",
        &[("class", "db.r6g.large")],
        &[("class", "db.r6i.large")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    let f = out.one("instance-size");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["category"], "config");
    assert_eq!(f["resource"], "aws_db_instance.main");
    assert_eq!(f["attribute"], "instance_class");
    assert_eq!(f["left"], "db.r6g.large");
    assert_eq!(f["right"], "db.r6i.large");
    assert_eq!(f["locations"]["staging"], "envs/staging/main.tf:2");
    assert_eq!(f["locations"]["prod"], "envs/prod/main.tf:2");
    let message = f["message"].as_str().expect("message");
    assert!(
        message.contains("r6g") && message.contains("r6i"),
        "{message}"
    );
    // A warning does not fail the default `--fail-on error`.
    assert_eq!(out.code, 0);
}

#[test]
fn the_same_iam_policy_written_differently_is_not_a_violation() {
    // staging: jsonencode, one statement per action set, lists, a Sid,
    // mixed-case actions; a trust policy from aws_iam_policy_document.
    let staging = r#"
resource "aws_iam_policy" "assets" {
  name = "shop-staging-assets"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["arn:aws:s3:::shop-staging-assets/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["S3:ListBucket", "s3:GetBucketLocation"]
        Resource = "arn:aws:s3:::shop-staging-assets"
      },
    ]
  })
}
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "EcsTasks"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}
resource "aws_iam_role" "api" {
  name               = "shop-staging-api"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
data "aws_iam_policy_document" "queue" {
  statement {
    actions   = ["sqs:SendMessage", "sqs:ReceiveMessage"]
    resources = ["arn:aws:sqs:eu-west-1:111111111111:shop-staging-jobs"]
  }
}
resource "aws_iam_role_policy" "queue" {
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.queue.json
}
"#;
    // prod: a heredoc, statements in the other order, strings instead of
    // one-element lists, another Sid, lower-case actions; jsonencode where
    // staging used a policy document and the reverse.
    let prod = r#"
resource "aws_iam_policy" "assets" {
  name   = "shop-prod-assets"
  policy = <<-JSON
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["s3:getbucketlocation", "s3:listbucket"],
          "Resource": ["arn:aws:s3:::shop-prod-assets"]
        },
        {
          "Sid": "Read",
          "Effect": "Allow",
          "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::shop-prod-assets/*"
        }
      ]
    }
  JSON
}
resource "aws_iam_role" "api" {
  name = "shop-prod-api"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = {
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = ["ecs-tasks.amazonaws.com"] }
    }
  })
}
resource "aws_iam_role_policy" "queue" {
  role = aws_iam_role.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["SQS:ReceiveMessage", "sqs:SendMessage"]
      Resource = "arn:aws:sqs:eu-west-1:222222222222:shop-prod-jobs"
    }]
  })
}
"#;
    let dir = project(staging, prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 0, "{:#}", out.report);
    assert!(
        out.findings().iter().all(|f| f["category"] != "iam"),
        "{:#}",
        out.report
    );
    assert!(out.violations().is_empty(), "{:#}", out.report);
}

#[test]
fn a_wider_staging_action_is_an_iam_error_naming_the_wider_side() {
    let (staging, prod) = per_env(
        r#"
resource "aws_iam_policy" "assets" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "{action}"
      Resource = "arn:aws:s3:::shop-{env}-assets/*"
    }]
  })
}
"#,
        &[("action", "s3:*")],
        &[("action", "s3:GetObject")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let f = out.one("iam-policy");
    assert_eq!(f["category"], "iam");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["resource"], "aws_iam_policy.assets");
    assert_eq!(f["attribute"], "policy");
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("staging is wider"), "{message}");
    assert!(message.contains("s3:*"), "{message}");
    assert!(f["left"].as_str().expect("left").contains("s3:*"), "{f:#}");
    assert_eq!(f["locations"]["staging"], "envs/staging/main.tf:3");
    assert_eq!(f["locations"]["prod"], "envs/prod/main.tf:3");
}

#[test]
fn environment_named_modules_pair_and_account_ids_compare_equal() {
    let module = r#"
variable "env" {}
variable "account" {}
resource "aws_lb" "this" {
  name     = "shop-${var.env}-router"
  internal = true
}
resource "aws_iam_role_policy_attachment" "read" {
  role       = "shop-${var.env}-router"
  policy_arn = "arn:aws:iam::${var.account}:policy/shop-${var.env}-read"
}
"#;
    let (staging, prod) = per_env(
        "module \"{env}_router\" {\n  source  = \"../../modules/router\"\n  env     = \"{env}\"\n  account = \"{account}\"\n}\n",
        &[("account", "111111111111")],
        &[("account", "222222222222")],
    );
    let dir = project(&staging, &prod, "", &[("modules/router/main.tf", module)]);
    let out = diff(dir.path(), &["--verbose"]);
    assert_eq!(out.code, 0, "{:#}", out.report);
    assert!(
        out.by_rule("resource-presence").is_empty()
            && out.by_rule("critical-resource-presence").is_empty()
            && out.by_rule("iam-presence").is_empty(),
        "unpaired resources: {:#}",
        out.report
    );
    assert!(out.violations().is_empty(), "{:#}", out.report);
    assert!(
        out.report["summary"]["compared_resources"]
            .as_u64()
            .expect("count")
            >= 3,
        "{:#}",
        out.report["summary"]
    );
}

// ---------------------------------------------------------------------------
// Engine versions

#[test]
fn an_engine_minor_version_difference_is_an_error() {
    let (staging, prod) = per_env(
        "resource \"aws_db_instance\" \"main\" {\n  engine         = \"postgres\"\n  engine_version = \"{v}\"\n}\n",
        &[("v", "15.7")],
        &[("v", "15.4")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let f = out.one("engine-version");
    assert_eq!(f["category"], "engine");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["left"], "15.7");
    assert_eq!(f["right"], "15.4");
    assert_eq!(f["locations"]["staging"], "envs/staging/main.tf:3");
    assert_eq!(f["locations"]["prod"], "envs/prod/main.tf:3");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("staging is newer"),
        "{f:#}"
    );
}

#[test]
fn an_engine_patch_difference_under_a_minor_level_rule_is_only_info() {
    // rules/engine.toml: engine-version compares at level = "minor"; a
    // difference below that level is reported at info.
    let (staging, prod) = per_env(
        "resource \"aws_db_instance\" \"main\" {\n  engine         = \"mysql\"\n  engine_version = \"{v}\"\n}\n",
        &[("v", "8.0.36")],
        &[("v", "8.0.35")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 0, "{:#}", out.report);
    assert!(out.violations().is_empty(), "{:#}", out.report);
    let verbose = diff(dir.path(), &["--verbose"]);
    let f = verbose.one("engine-version");
    assert_eq!(f["severity"], "info");
    assert_eq!(f["left"], "8.0.36");
    assert_eq!(f["right"], "8.0.35");
    // Even `--fail-on info` sees it.
    let strict = diff(dir.path(), &["--fail-on", "info"]);
    assert_eq!(strict.code, 2, "{:#}", strict.report);
}

// ---------------------------------------------------------------------------
// Topology

#[test]
fn subnets_in_two_zones_against_three_is_a_network_count_error() {
    let (staging, prod) = per_env(
        r#"
variable "zones" { default = {zones} }
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "private" {
  count             = length(var.zones)
  vpc_id            = aws_vpc.main.id
  availability_zone = var.zones[count.index]
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index)
}
"#,
        &[("zones", "[\"eu-west-1a\", \"eu-west-1b\"]")],
        &[("zones", "[\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let f = out.one("network-count");
    assert_eq!(f["category"], "topology");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["resource"], "aws_subnet.private");
    assert_eq!(f["left"], "2");
    assert_eq!(f["right"], "3");
    assert_eq!(f["locations"]["staging"], "envs/staging/main.tf:6");
    assert_eq!(f["locations"]["prod"], "envs/prod/main.tf:6");
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("only in prod: [2]"), "{message}");
    // The extra subnet is folded into the count finding, not reported again.
    assert!(
        out.by_rule("critical-resource-presence").is_empty(),
        "{:#}",
        out.report
    );
}

#[test]
fn a_multi_az_difference_is_an_error() {
    let (staging, prod) = per_env(
        "resource \"aws_db_instance\" \"main\" {\n  engine   = \"postgres\"\n  multi_az = {maz}\n}\n",
        &[("maz", "false")],
        &[("maz", "true")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let f = out.one("db-multi-az");
    assert_eq!(f["category"], "topology");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["attribute"], "multi_az");
    assert_eq!(f["left"], "false");
    assert_eq!(f["right"], "true");
    assert_eq!(f["locations"]["staging"], "envs/staging/main.tf:3");
}

#[test]
fn a_database_wired_to_other_subnets_is_a_topology_error() {
    let module = "variable \"public\" {}\nresource \"aws_subnet\" \"this\" {\n  count                   = 2\n  map_public_ip_on_launch = var.public\n}\noutput \"ids\" { value = aws_subnet.this[*].id }\n";
    let (staging, prod) = per_env(
        r#"
module "private" {
  source = "../../modules/subnets"
  public = false
}
module "public" {
  source = "../../modules/subnets"
  public = true
}
resource "aws_db_subnet_group" "db" {
  subnet_ids = module.{which}.ids
}
"#,
        &[("which", "public")],
        &[("which", "private")],
    );
    let dir = project(&staging, &prod, "", &[("modules/subnets/main.tf", module)]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let f = out.one("network-attachments");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["resource"], "aws_db_subnet_group.db");
    assert_eq!(f["attribute"], "subnet_ids");
    assert!(
        f["left"].as_str().expect("left").contains("module.public."),
        "{f:#}"
    );
    assert!(
        f["right"]
            .as_str()
            .expect("right")
            .contains("module.private."),
        "{f:#}"
    );
    assert_eq!(f["locations"]["staging"], "envs/staging/main.tf:11");
}

// ---------------------------------------------------------------------------
// Dependencies

fn lock(version: &str) -> String {
    format!(
        "# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n\nprovider \"registry.terraform.io/hashicorp/aws\" {{\n  version     = \"{version}\"\n  constraints = \"~> 5.0\"\n  hashes = [\n    \"h1:abc=\",\n  ]\n}}\n"
    )
}

#[test]
fn a_locked_provider_version_difference_is_a_dependency_error_at_the_lock_line() {
    let code = "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"~> 5.0\"\n    }\n  }\n}\n";
    let (ls, lp) = (lock("5.31.0"), lock("5.40.0"));
    let dir = project(
        code,
        code,
        "",
        &[
            ("envs/staging/.terraform.lock.hcl", &ls),
            ("envs/prod/.terraform.lock.hcl", &lp),
        ],
    );
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let f = out.one("provider-locked-version");
    assert_eq!(f["category"], "dependency");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["resource"],
        "provider[\"registry.terraform.io/hashicorp/aws\"]"
    );
    assert_eq!(f["attribute"], "locked_version");
    assert_eq!(f["left"], "5.31.0");
    assert_eq!(f["right"], "5.40.0");
    assert_eq!(
        f["locations"],
        json!({
            "staging": "envs/staging/.terraform.lock.hcl:5",
            "prod": "envs/prod/.terraform.lock.hcl:5"
        })
    );
    // The constraint is the same: nothing else differs.
    assert_eq!(out.findings().len(), 1, "{:#}", out.report);
}

// ---------------------------------------------------------------------------
// Waivers

fn engine_pair(ignore: &str) -> (String, String) {
    per_env(
        &format!(
            "{ignore}resource \"aws_db_instance\" \"main\" {{\n  engine_version = \"{{v}}\"\n}}\n"
        ),
        &[("v", "16.2")],
        &[("v", "15.4")],
    )
}

#[test]
fn an_inline_ignore_comment_waives_that_finding() {
    let (staging, prod) =
        engine_pair("# parity:ignore engine-version staging tries PostgreSQL 16 first\n");
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 0, "{:#}", out.report);
    let f = out.one("engine-version");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["waiver"]["reason"], "staging tries PostgreSQL 16 first");
    assert_eq!(f["waiver"]["location"], "envs/staging/main.tf:1");
    assert_eq!(out.report["summary"]["waived"], 1);
    assert_eq!(out.report["summary"]["errors"], 0);

    // The comment names one rule: another rule's finding stays.
    let (staging, prod) = engine_pair("# parity:ignore db-multi-az not this one\n");
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    assert!(out.one("engine-version")["waiver"].is_null());
}

#[test]
fn a_config_waiver_waives_and_an_unused_one_is_a_warning() {
    let (staging, prod) = engine_pair("");
    let waivers = r#"
[[waiver]]
rule = "engine-version"
resource = "aws_db_instance.*"
environments = ["staging"]
reason = "staging tries PostgreSQL 16 first"
owner = "data-platform"
expires = "2999-12-31"

[[waiver]]
rule = "db-multi-az"
resource = "module.gone.*"
reason = "the module was removed"
"#;
    let dir = project(&staging, &prod, waivers, &[]);
    let out = diff(dir.path(), &[]);
    let f = out.one("engine-version");
    assert_eq!(f["waiver"]["reason"], "staging tries PostgreSQL 16 first");
    assert_eq!(f["waiver"]["owner"], "data-platform");
    assert_eq!(f["waiver"]["expires"], "2999-12-31");
    assert_eq!(f["waiver"]["location"], "parity.toml:11");
    let unused = out.one("waiver-unused");
    assert_eq!(unused["severity"], "warning");
    assert_eq!(unused["resource"], "module.gone.*");
    assert_eq!(unused["locations"]["parity.toml"], "parity.toml:19");
    // Only a warning is left: exit 0 at the default threshold, 2 at warning.
    assert_eq!(out.code, 0, "{:#}", out.report);
    assert_eq!(diff(dir.path(), &["--fail-on", "warning"]).code, 2);
}

#[test]
fn an_expired_waiver_is_an_error_and_waives_nothing() {
    let (staging, prod) = engine_pair("");
    let waivers = r#"
[[waiver]]
rule = "engine-version"
resource = "aws_db_instance.main"
reason = "until the upgrade"
expires = "2020-01-31"
"#;
    let dir = project(&staging, &prod, waivers, &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let expired = out.one("waiver-expired");
    assert_eq!(expired["severity"], "error");
    assert_eq!(expired["locations"]["parity.toml"], "parity.toml:11");
    assert!(
        expired["message"]
            .as_str()
            .expect("message")
            .contains("2020-01-31"),
        "{expired:#}"
    );
    assert!(out.one("engine-version")["waiver"].is_null());
    assert!(out.by_rule("waiver-unused").is_empty(), "{:#}", out.report);
}

// ---------------------------------------------------------------------------
// Exit codes

#[test]
fn fail_on_warning_turns_a_warning_only_diff_into_exit_2() {
    let (staging, prod) = per_env(
        "resource \"aws_sqs_queue\" \"jobs\" {\n  visibility_timeout_seconds = {t}\n}\n",
        &[("t", "30")],
        &[("t", "60")],
    );
    let dir = project(&staging, &prod, "", &[]);
    let out = diff(dir.path(), &[]);
    let f = out.one("config-difference");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["left"], "30");
    assert_eq!(f["right"], "60");
    assert_eq!(out.code, 0, "{:#}", out.report);
    assert_eq!(diff(dir.path(), &["--fail-on", "warning"]).code, 2);
    assert_eq!(diff(dir.path(), &["--fail-on", "never"]).code, 0);
}

#[test]
fn incomplete_coverage_without_violations_exits_3() {
    let code =
        "module \"db\" {\n  source = \"git::https://github.com/acme/db.git?ref=v1.4.0\"\n}\n";
    let dir = project(code, code, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 3, "{:#}\n{}", out.report, out.stderr);
    assert!(out.violations().is_empty(), "{:#}", out.report);
    let incomplete = out.report["summary"]["incomplete"]
        .as_array()
        .expect("incomplete");
    assert_eq!(incomplete.len(), 2, "{incomplete:?}");
    for env in ["staging", "prod"] {
        assert!(
            incomplete.iter().any(|g| {
                let g = g.as_str().unwrap_or_default();
                g.starts_with(&format!("{env}: module.db:")) && g.contains("not local")
            }),
            "{incomplete:?}"
        );
    }

    // A violation wins over incomplete coverage.
    let other =
        "module \"db\" {\n  source = \"git::https://github.com/acme/db.git?ref=v1.2.0\"\n}\n";
    let dir = project(code, other, "", &[]);
    let out = diff(dir.path(), &[]);
    assert_eq!(out.code, 2, "{:#}", out.report);
    let f = out.one("module-ref");
    assert_eq!(f["category"], "dependency");
    assert_eq!(f["left"], "v1.4.0");
    assert_eq!(f["right"], "v1.2.0");
    assert_eq!(f["locations"]["staging"], "envs/staging/main.tf:2");
}
