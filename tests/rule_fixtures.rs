//! Every built-in rule fires end to end: each rule id of the packs has a
//! fixture, `fixtures/rules/<rule-id>/`, a small staging/prod pair that the
//! real binary diffs, and the report holds a finding of that rule at the
//! rule's severity. The same runs give docs/rules.md its examples, and
//! docs/rules.md is checked against them (`PARITY_BLESS=1` rewrites it).
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
use parity::rules::packs::{self, Example, ExampleFile, ExampleFinding};
use parity::rules::Rule;
use serde_json::Value;

const FIXTURES: &str = "fixtures/rules";
const ENVIRONMENTS: [&str; 2] = ["staging", "prod"];

fn fixture_dir(rule: &str) -> PathBuf {
    repo().join(FIXTURES).join(rule)
}

fn uses_state(dir: &Path) -> bool {
    // A Terraform state, or a Pulumi stack export.
    dir.join("staging/terraform.tfstate").is_file() || dir.join("staging/stack.json").is_file()
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

/// Every rule's fixture, run once for all the tests of this file.
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

// ---------------------------------------------------------------------------
// docs/rules.md

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("under base");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The files that differ between a fixture's `staging/` and `prod/`.
fn differing_files(dir: &Path) -> Vec<ExampleFile> {
    let mut names: Vec<String> = ENVIRONMENTS
        .iter()
        .flat_map(|env| files_under(&dir.join(env)))
        .collect();
    names.sort();
    names.dedup();
    let read = |env: &str, name: &str| std::fs::read_to_string(dir.join(env).join(name));
    names
        .into_iter()
        .filter_map(|name| {
            let staging = read("staging", &name).unwrap_or_default();
            let prod = read("prod", &name).unwrap_or_default();
            (staging != prod).then(|| ExampleFile {
                staging_path: format!("staging/{name}"),
                prod_path: format!("prod/{name}"),
                staging,
                prod,
            })
        })
        .collect()
}

fn example(rule: &Rule, report: &Value) -> Option<Example> {
    let f = finding(report, rule)?;
    let dir = fixture_dir(&rule.id);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Some(Example {
        fixture: format!("{FIXTURES}/{}", rule.id),
        command: format!("parity {}", args(&dir).join(" ")),
        config: dir.join("parity.toml").is_file(),
        files: differing_files(&dir),
        finding: ExampleFinding {
            severity: text(&f["severity"]),
            resource: text(&f["resource"]),
            attribute: f["attribute"].as_str().map(str::to_string),
            message: text(&f["message"]),
        },
    })
}

#[test]
fn docs_rules_md_shows_each_rules_example() {
    let mut examples = BTreeMap::new();
    for rule in rules() {
        if let Run::Report(report) = &runs()[&rule.id] {
            if let Some(example) = example(rule, report) {
                assert!(
                    !example.files.is_empty(),
                    "{}: staging and prod of its fixture are the same",
                    rule.id
                );
                examples.insert(rule.id.clone(), example);
            }
        }
    }
    // A rule without a working fixture is named by
    // every_builtin_rule_fires_on_its_fixture; the page shows the others.
    let expected = packs::render_markdown_with_examples(rules(), &examples);
    let path = repo().join("docs/rules.md");
    if std::env::var_os("PARITY_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &expected).expect("write docs/rules.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is stale: run `PARITY_BLESS=1 cargo test --test rule_fixtures`"
    );
    assert_eq!(
        actual.matches("\n**Example.** ").count(),
        examples.len(),
        "one example per rule that fires"
    );
}
