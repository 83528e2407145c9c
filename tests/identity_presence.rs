//! Issue #20 items 3 and 4 end to end: a resource in one environment only is
//! judged by the rule for its type (observability at `info`, overridable),
//! and values that differ only in generated tokens are expected differences,
//! while real differences beside them keep their severity.

mod common;

use common::{parity, tree};
use serde_json::Value;

const CONFIG: &str = "[environments.staging]
account-id = \"111111111111\"
terraform = { root = \"envs/staging\" }

[environments.prod]
account-id = \"222222222222\"
terraform = { root = \"envs/prod\" }
";

fn diff(files: &[(&str, &str)]) -> (i32, Vec<Value>) {
    let dir = tree(files);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run parity");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    (out.status.code().expect("exit code"), findings)
}

fn of<'a>(findings: &'a [Value], resource: &str, attribute: Option<&str>) -> &'a Value {
    findings
        .iter()
        .find(|f| f["resource"] == resource && f["attribute"].as_str() == attribute)
        .unwrap_or_else(|| panic!("no finding for {resource} {attribute:?} in {findings:#?}"))
}

const STAGING: &str = r#"
resource "aws_security_group" "db" {
  name = "shop-staging-db"
}
"#;

const PROD: &str = r#"
resource "aws_security_group" "db" {
  name = "shop-prod-db"
}

resource "aws_security_group" "cache" {
  name = "shop-prod-cache"
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "shop-prod-api-5xx"
  metric_name         = "HTTPCode_Target_5XX_Count"
  namespace           = "AWS/ApplicationELB"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  threshold           = 10
}

resource "aws_cloudwatch_log_metric_filter" "errors" {
  name           = "shop-prod-errors"
  log_group_name = "/shop/prod/api"
  pattern        = "ERROR"
  metric_transformation {
    name      = "Errors"
    namespace = "Shop"
    value     = "1"
  }
}

resource "aws_sqs_queue" "jobs" {
  name = "shop-prod-jobs"
}
"#;

#[test]
fn presence_is_judged_by_type() {
    let (code, findings) = diff(&[
        ("parity.toml", CONFIG),
        ("envs/staging/main.tf", STAGING),
        ("envs/prod/main.tf", PROD),
    ]);
    let judged = |resource: &str| {
        let f = of(&findings, resource, None);
        (
            f["rule"].as_str().unwrap_or_default().to_string(),
            f["severity"].as_str().unwrap_or_default().to_string(),
        )
    };
    assert_eq!(
        judged("aws_security_group.cache"),
        ("critical-resource-presence".into(), "error".into())
    );
    assert_eq!(
        judged("aws_cloudwatch_metric_alarm.api_5xx"),
        ("observability-presence".into(), "info".into())
    );
    assert_eq!(
        judged("aws_cloudwatch_log_metric_filter.errors"),
        ("observability-presence".into(), "info".into())
    );
    assert_eq!(
        judged("aws_sqs_queue.jobs"),
        ("resource-presence".into(), "warning".into())
    );
    assert_eq!(code, 2, "the security group is an error");
}

#[test]
fn observability_presence_is_overridden_like_every_rule() {
    let config = format!("rules = [\"rules/presence.toml\"]\n{CONFIG}");
    let pack = r#"
[[rule]]
id = "observability-presence"
category = "topology"
severity = "warning"
resources = ["aws_cloudwatch_metric_alarm"]
attributes = ["@present"]
compare = "present"
summary = "Alarms exist in both environments"
why = "Staging rehearses alerting."
"#;
    let (_, findings) = diff(&[
        ("parity.toml", &config),
        ("rules/presence.toml", pack),
        ("envs/staging/main.tf", STAGING),
        ("envs/prod/main.tf", PROD),
    ]);
    let alarm = of(&findings, "aws_cloudwatch_metric_alarm.api_5xx", None);
    assert_eq!(alarm["severity"], "warning");
    // The replacement names only alarms: the metric filter falls back to
    // the catch-all presence rule.
    let filter = of(&findings, "aws_cloudwatch_log_metric_filter.errors", None);
    assert_eq!(filter["rule"], "resource-presence");
    assert_eq!(filter["severity"], "warning");
}

fn record(name: &str, records: &str) -> String {
    format!(
        r#"
resource "aws_route53_record" "cert_validation" {{
  zone_id = "Z0123456789ABCDEFGHIJ"
  name    = "{name}"
  type    = "CNAME"
  ttl     = 60
  records = ["{records}"]
}}

resource "aws_cloudfront_distribution" "cdn" {{
  comment = "d111111abcdef8.cloudfront.net"
  enabled = true
}}

resource "aws_route53_record" "api" {{
  zone_id = "Z0123456789ABCDEFGHIJ"
  name    = "api"
  type    = "CNAME"
  ttl     = 300
  records = ["RECORD_API"]
}}
"#
    )
}

#[test]
fn values_differing_only_in_generated_tokens_are_expected() {
    let staging = record(
        "_a79865eb4cd1a6ab990a45779b4e0b96.api.example.com",
        "_c3e2d7eaf1e656b73f46cd6d2c6ef3f0.mhbtsbpdnt.acm-validations.aws.",
    )
    .replace(
        "RECORD_API",
        "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
    );
    let prod = record(
        "_0f3c9a2e77b14d6c8e5a1b3d9f7e2c40.api.example.com",
        "_7b1e0c4d9a2f3e5b6c8d0e1f2a3b4c5d.zzrtmkpqgs.acm-validations.aws.",
    )
    .replace("d111111abcdef8", "d2c4e6g8h0j2k4")
    .replace(
        "RECORD_API",
        "9z8y7x6w5v.execute-api.eu-west-1.amazonaws.com",
    );
    let (code, findings) = diff(&[
        ("parity.toml", CONFIG),
        ("envs/staging/main.tf", &staging),
        ("envs/prod/main.tf", &prod),
    ]);
    for (resource, attribute) in [
        ("aws_route53_record.cert_validation", "records"),
        ("aws_cloudfront_distribution.cdn", "comment"),
        ("aws_route53_record.api", "records"),
    ] {
        let f = of(&findings, resource, Some(attribute));
        assert_eq!(f["rule"], "config-difference", "{f:#}");
        assert_eq!(f["severity"], "info", "{f:#}");
        assert_eq!(f["expected"], true, "{f:#}");
        assert!(
            f["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("differs only in generated tokens: "),
            "{f:#}"
        );
    }
    assert_eq!(code, 0, "{findings:#?}");
}

#[test]
fn real_differences_beside_tokens_keep_their_severity() {
    let staging = record(
        "_a79865eb4cd1a6ab990a45779b4e0b96.api.example.com",
        "_c3e2d7eaf1e656b73f46cd6d2c6ef3f0.mhbtsbpdnt.acm-validations.aws.",
    )
    .replace("d111111abcdef8.cloudfront.net", "15.7")
    .replace("RECORD_API", "t3.small.example.com");
    let prod = record(
        "_0f3c9a2e77b14d6c8e5a1b3d9f7e2c40.api.example.com",
        // The token differs and so does the domain: not only tokens.
        "_7b1e0c4d9a2f3e5b6c8d0e1f2a3b4c5d.zzrtmkpqgs.acm-validations.example.",
    )
    .replace("d111111abcdef8.cloudfront.net", "15.5")
    .replace("RECORD_API", "m5.large.example.com");
    let (code, findings) = diff(&[
        ("parity.toml", CONFIG),
        ("envs/staging/main.tf", &staging),
        ("envs/prod/main.tf", &prod),
    ]);
    for (resource, attribute) in [
        ("aws_route53_record.cert_validation", "records"),
        ("aws_cloudfront_distribution.cdn", "comment"),
        ("aws_route53_record.api", "records"),
    ] {
        let f = of(&findings, resource, Some(attribute));
        assert_eq!(f["rule"], "config-difference", "{f:#}");
        assert_eq!(f["severity"], "warning", "{f:#}");
        assert!(f["expected"].is_null(), "{f:#}");
    }
    assert_eq!(code, 0, "warnings do not fail at the default fail-on");
}
