//! Helpers of the tests that run `parity` against the AWS emulator: the
//! binary with the emulator's keys and no shared AWS configuration, and
//! the JSON report's findings as lines.

use std::path::Path;

use serde_json::Value as Json;

/// `parity` in `dir` with the emulator's default keys (`testing`).
pub fn run_parity(dir: &Path, args: &[&str]) -> (String, String, i32) {
    run_parity_as(dir, args, ("testing", "testing"))
}

/// `parity` in `dir` with access key `key` and no shared AWS config (the
/// project's `aws/config` and `aws/credentials`, which tests leave empty):
/// stdout, stderr and the exit code.
pub fn run_parity_as(dir: &Path, args: &[&str], key: (&str, &str)) -> (String, String, i32) {
    let out = super::parity(dir)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", key.0)
        .env("AWS_SECRET_ACCESS_KEY", key.1)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("RUST_LOG")
        .env("AWS_CONFIG_FILE", dir.join("aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("aws/credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run parity");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The JSON report on stdout (the panic shows both streams).
pub fn json_of(stdout: &str, stderr: &str) -> Json {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"))
}

/// `rule resource attribute [between label]` of each finding that is not
/// an expected difference, in the report's order.
pub fn lines(report: &Json) -> Vec<String> {
    finding_lines(report, false)
}

/// [`lines`] with each finding's severity after its attribute:
/// `rule resource attribute severity [between label]`.
pub fn lines_with_severity(report: &Json) -> Vec<String> {
    finding_lines(report, true)
}

fn finding_lines(report: &Json, severity: bool) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["expected"] != Json::Bool(true))
        .map(|f| {
            let severity = if severity {
                format!(" {}", f["severity"].as_str().unwrap_or(""))
            } else {
                String::new()
            };
            format!(
                "{} {} {}{} [{}{}]",
                f["rule"].as_str().unwrap_or(""),
                f["resource"].as_str().unwrap_or(""),
                f["attribute"].as_str().unwrap_or("-"),
                severity,
                f["between"].as_str().unwrap_or("-"),
                f["label"]
                    .as_str()
                    .map(|l| format!(" {l}"))
                    .unwrap_or_default(),
            )
        })
        .collect()
}
