//! Every built-in rule fires end to end: each rule id of the packs has a
//! fixture, `fixtures/rules/<rule-id>/`, a small staging/prod pair that the
//! real binary diffs, and the report holds a finding of that rule at the
//! rule's severity.
//!
//! A fixture is `staging/` and `prod/` with Terraform code, compared with
//! `parity diff staging prod` (environments by convention, or its
//! parity.toml). A fixture whose `staging/terraform.tfstate` exists is
//! compared with `--source state`: for what only state holds.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{parity, repo};
use parity::rules::packs;
use parity::rules::Rule;
use serde_json::Value;

const FIXTURES: &str = "fixtures/rules";
const ENVIRONMENTS: [&str; 2] = ["staging", "prod"];

fn fixture_dir(rule: &str) -> PathBuf {
    repo().join(FIXTURES).join(rule)
}

fn uses_state(dir: &Path) -> bool {
    dir.join("staging/terraform.tfstate").is_file()
}

fn args(dir: &Path) -> Vec<&'static str> {
    let mut args = vec!["diff", "staging", "prod"];
    if uses_state(dir) {
        args.extend(["--source", "state"]);
    }
    args
}

/// What running a rule's fixture gave.
enum Run {
    NoFixture,
    /// The binary did not give a JSON report.
    Broken(String),
    Report(Value),
}

fn run(rule: &str) -> Run {
    let dir = fixture_dir(rule);
    if !ENVIRONMENTS.iter().all(|env| dir.join(env).is_dir()) {
        return Run::NoFixture;
    }
    let out = parity(&dir)
        .args(args(&dir))
        .args(["--format", "json"])
        .output()
        .expect("run parity");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("panicked") {
        return Run::Broken(format!("parity panicked: {stderr}"));
    }
    match serde_json::from_slice(&out.stdout) {
        Ok(report) => Run::Report(report),
        Err(e) => Run::Broken(format!(
            "no JSON report ({e}), exit {:?}: {stderr}",
            out.status.code()
        )),
    }
}

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| packs::builtin().expect("built-in packs load"))
}

/// Every rule's fixture, run once.
fn runs() -> &'static BTreeMap<String, Run> {
    static RUNS: OnceLock<BTreeMap<String, Run>> = OnceLock::new();
    RUNS.get_or_init(|| rules().iter().map(|r| (r.id.clone(), run(&r.id))).collect())
}

/// The first finding of `rule` at `severity` in a report.
fn finding<'a>(report: &'a Value, rule: &Rule) -> Option<&'a Value> {
    report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == rule.id.as_str() && f["severity"] == rule.severity.as_str())
}

fn summary(report: &Value) -> String {
    let found: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["rule"].as_str().unwrap_or("?"),
                f["severity"].as_str().unwrap_or("?"),
                f["resource"].as_str().unwrap_or("?"),
                f["attribute"].as_str().unwrap_or("")
            )
        })
        .collect();
    if found.is_empty() {
        "no findings".into()
    } else {
        format!("findings: {}", found.join("; "))
    }
}

#[test]
fn every_builtin_rule_fires_on_its_fixture() {
    assert!(rules().len() > 50, "{} rules", rules().len());
    let mut failures = Vec::new();
    for rule in rules() {
        let problem = match &runs()[&rule.id] {
            Run::NoFixture => format!(
                "no fixture: add {FIXTURES}/{}/staging and prod that make it fire",
                rule.id
            ),
            Run::Broken(why) => why.clone(),
            Run::Report(report) => match finding(report, rule) {
                Some(_) => continue,
                None => format!(
                    "no `{}` finding at {} ({})",
                    rule.id,
                    rule.severity,
                    summary(report)
                ),
            },
        };
        failures.push(format!("{}: {problem}", rule.id));
    }
    assert!(
        failures.is_empty(),
        "{} of {} rules do not fire on a fixture:\n  {}",
        failures.len(),
        rules().len(),
        failures.join("\n  ")
    );
}

/// A fixture left behind by a renamed or removed rule would never run.
#[test]
fn every_fixture_belongs_to_a_builtin_rule() {
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(repo().join(FIXTURES)).expect("fixtures/rules") {
        let entry = entry.expect("entry");
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !rules().iter().any(|r| r.id == name) {
            strays.push(name);
        }
    }
    assert!(
        strays.is_empty(),
        "fixtures for no built-in rule: {strays:?}"
    );
}
