//! Baselines through the library: write one, plant a new finding, fix an
//! old one, move lines around, and check what the report and the exit
//! status make of it. Also: a baseline that cannot be read says which file
//! and why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parity::baseline::{self, BaselineError};
use parity::findings::{Category, Finding, Severity};
use parity::report::{exit_status, ExitStatus, Format, RenderOptions, Report};
use parity::run::{DiffOptions, Session};

fn finding(rule: &str, severity: Severity, resource: &str, attr: &str, line: u32) -> Finding {
    Finding {
        rule: rule.into(),
        category: Category::Engine,
        severity,
        resource: resource.into(),
        rtype: "aws_db_instance".into(),
        attribute: Some(attr.into()),
        left: Some("15.7".into()),
        right: Some("15.5".into()),
        locations: [
            ("staging".to_string(), format!("modules/db/main.tf:{line}")),
            ("prod".to_string(), format!("modules/db/main.tf:{line}")),
        ]
        .into_iter()
        .collect::<BTreeMap<_, _>>(),
        message: "minor version differs".into(),
        diff: None,
        expected: false,
        status: None,
        waiver: None,
        between: None,
        label: None,
        causes: Vec::new(),
    }
}

fn report(findings: Vec<Finding>) -> Report {
    Report::new(["staging", "prod"], "code", findings, 3, 20, vec![])
}

fn status<'a>(r: &'a Report, rule: &str) -> Option<&'a str> {
    r.findings
        .iter()
        .find(|f| f.rule == rule)
        .and_then(|f| f.status.as_deref())
}

fn engine() -> Finding {
    finding(
        "engine-version",
        Severity::Error,
        "module.db.aws_db_instance.main",
        "engine_version",
        72,
    )
}

fn multi_az() -> Finding {
    finding(
        "db-multi-az",
        Severity::Error,
        "module.db.aws_db_instance.main",
        "multi_az",
        84,
    )
}

fn class() -> Finding {
    finding(
        "instance-class",
        Severity::Warning,
        "module.db.aws_db_instance.main",
        "instance_class",
        80,
    )
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn new_existing_and_resolved() {
    let dir = temp();
    let path = dir.path().join("baseline.json");
    // The base branch: two known differences.
    let base = report(vec![engine(), multi_az()]);
    assert_eq!(
        exit_status(&base, Some(Severity::Error)),
        ExitStatus::Violations
    );
    baseline::write(&base, &path).expect("write baseline");
    let loaded = baseline::load(&path).expect("load baseline");
    assert_eq!(
        loaded, base,
        "a baseline is the JSON report, read back as it was"
    );

    // The pull request: fixes multi-AZ, keeps the engine difference, plants
    // a new warning.
    let mut current = report(vec![engine(), class()]);
    baseline::apply(&mut current, &loaded);
    assert_eq!(status(&current, "engine-version"), Some("existing"));
    assert_eq!(status(&current, "instance-class"), Some("new"));
    assert_eq!(status(&current, "db-multi-az"), Some("resolved"));
    let b = current.summary.baseline.clone().expect("baseline counts");
    assert_eq!((b.new, b.existing, b.changed, b.resolved), (1, 1, 0, 1));
    // Resolved findings count nowhere but in `baseline.resolved`.
    assert_eq!(current.summary.errors, 1);
    assert_eq!(current.summary.warnings, 1);
    assert_eq!(current.summary.parity_score, 0.9);
    // Only new findings are judged: the new warning fails at warning, the
    // existing error does not fail at error.
    assert_eq!(
        exit_status(&current, Some(Severity::Error)),
        ExitStatus::Success
    );
    assert_eq!(
        exit_status(&current, Some(Severity::Warning)),
        ExitStatus::Violations
    );
    assert_eq!(exit_status(&current, None), ExitStatus::Success);

    // The JSON report carries the statuses and the counts.
    let json: serde_json::Value =
        serde_json::from_str(&current.render(Format::Json, &RenderOptions::default())).unwrap();
    assert_eq!(
        json["summary"]["baseline"],
        serde_json::json!({"new": 1, "existing": 1, "changed": 0, "resolved": 1})
    );
    let statuses: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["existing", "new", "resolved"],
        "sorted by attribute"
    );
}

#[test]
fn a_planted_error_fails() {
    let base = report(vec![engine()]);
    let mut current = report(vec![engine(), multi_az()]);
    baseline::apply(&mut current, &base);
    assert_eq!(status(&current, "db-multi-az"), Some("new"));
    assert_eq!(
        exit_status(&current, Some(Severity::Error)),
        ExitStatus::Violations
    );
}

#[test]
fn an_unchanged_report_passes() {
    let base = report(vec![engine(), multi_az()]);
    let mut current = base.clone();
    baseline::apply(&mut current, &base);
    assert!(current
        .findings
        .iter()
        .all(|f| f.status.as_deref() == Some("existing")));
    assert_eq!(
        exit_status(&current, Some(Severity::Info)),
        ExitStatus::Success
    );
    // Incomplete coverage still says parity is not proven.
    current
        .summary
        .incomplete
        .push("prod: module.waf: not local".into());
    assert_eq!(
        exit_status(&current, Some(Severity::Info)),
        ExitStatus::Incomplete
    );
}

#[test]
fn identity_survives_line_moves_and_notes_changed_values() {
    let base = report(vec![engine()]);
    // 30 lines were added above the resource, and staging moved on to 15.8.
    let mut moved = finding(
        "engine-version",
        Severity::Error,
        "module.db.aws_db_instance.main",
        "engine_version",
        102,
    );
    moved.left = Some("15.8".into());
    let mut current = report(vec![moved]);
    baseline::apply(&mut current, &base);
    assert_eq!(status(&current, "engine-version"), Some("existing"));
    let b = current.summary.baseline.clone().unwrap();
    assert_eq!((b.new, b.existing, b.changed, b.resolved), (0, 1, 1, 0));
    assert_eq!(
        exit_status(&current, Some(Severity::Error)),
        ExitStatus::Success
    );
    assert_eq!(
        baseline::fingerprint(&current.findings[0]),
        baseline::fingerprint(&base.findings[0])
    );
}

#[test]
fn identity_is_rule_resource_and_attribute() {
    let base = report(vec![engine()]);
    // Same rule and resource, another attribute: a different finding.
    let other = finding(
        "engine-version",
        Severity::Error,
        "module.db.aws_db_instance.main",
        "engine_version_actual",
        72,
    );
    let mut current = report(vec![other]);
    baseline::apply(&mut current, &base);
    let b = current.summary.baseline.clone().unwrap();
    assert_eq!((b.new, b.resolved), (1, 1));
    assert_ne!(
        baseline::fingerprint(&engine()),
        baseline::fingerprint(&multi_az())
    );
}

#[test]
fn expected_differences_are_not_debt() {
    let mut size = finding(
        "storage-size",
        Severity::Info,
        "module.db.aws_db_instance.main",
        "allocated_storage",
        75,
    );
    size.expected = true;
    let base = report(vec![size]);
    let mut current = report(vec![]);
    baseline::apply(&mut current, &base);
    assert!(
        current.findings.is_empty(),
        "a gone expected difference is not `resolved`"
    );
    assert_eq!(current.summary.baseline.clone().unwrap().resolved, 0);
}

#[test]
fn applying_twice_is_applying_once() {
    let base = report(vec![engine(), multi_az()]);
    let mut once = report(vec![engine(), class()]);
    baseline::apply(&mut once, &base);
    let mut twice = once.clone();
    baseline::apply(&mut twice, &base);
    assert_eq!(once, twice);
}

#[test]
fn a_written_baseline_forgets_older_baselines() {
    let dir = temp();
    let path = dir.path().join("next.json");
    let mut current = report(vec![engine(), class()]);
    baseline::apply(&mut current, &report(vec![engine(), multi_az()]));
    baseline::write(&current, &path).unwrap();
    let written = baseline::load(&path).unwrap();
    assert_eq!(
        written.findings.len(),
        2,
        "resolved findings are not written"
    );
    assert!(written.findings.iter().all(|f| f.status.is_none()));
    assert!(written.summary.baseline.is_none());
    assert_eq!(written, report(vec![engine(), class()]));
}

#[test]
fn several_pairs_in_one_file() {
    let dir = temp();
    let path = dir.path().join("all.json");
    let a = report(vec![engine()]);
    let b = Report::new(["dev", "prod"], "code", vec![multi_az()], 1, 2, vec![]);
    baseline::write_all(&[a.clone(), b.clone()], &path).unwrap();
    let all = baseline::load_all(&path).unwrap();
    assert_eq!(all, [a.clone(), b.clone()]);
    let err = baseline::load(&path).unwrap_err().to_string();
    assert!(err.contains("holds 2 reports"), "{err}");

    let mut current = report(vec![engine(), multi_az()]);
    baseline::apply_all(&mut current, &all);
    assert_eq!(status(&current, "engine-version"), Some("existing"));
    assert_eq!(status(&current, "db-multi-az"), Some("new"));
    // A pair missing from the file: everything is new.
    let mut other = Report::new(["qa", "prod"], "code", vec![engine()], 1, 2, vec![]);
    baseline::apply_all(&mut other, &all);
    assert_eq!(status(&other, "engine-version"), Some("new"));
}

fn load_error(name: &str, content: &str) -> (String, PathBuf, tempfile::TempDir) {
    let dir = temp();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let err = baseline::load(&path).expect_err("should not load");
    (err.to_string(), path, dir)
}

#[test]
fn unreadable_baselines_name_the_file_and_the_reason() {
    let (e, p, _d) = load_error("report.txt", "parity staging vs prod: 2 errors\n");
    assert!(e.contains(&p.display().to_string()), "{e}");
    assert!(e.contains("is not JSON"), "{e}");

    let json = report(vec![engine()]).render(Format::Json, &RenderOptions::default());
    let (e, p, _d) = load_error("cut.json", &json[..json.len() / 2]);
    assert!(e.contains(&p.display().to_string()), "{e}");
    assert!(e.contains("ends early") && e.contains("truncated"), "{e}");

    let (e, _, _d) = load_error("v2.json", &json.replace("\"schema\": 1", "\"schema\": 2"));
    assert!(e.contains("unsupported schema 2"), "{e}");

    let (e, _, _d) = load_error("noschema.json", "{\"findings\": []}");
    assert!(e.contains("no `schema` field"), "{e}");

    let (e, _, _d) = load_error("shape.json", "{\"schema\": 1, \"findings\": 3}");
    assert!(e.contains("wrong report shape"), "{e}");

    let (e, _, _d) = load_error(
        "snap.json",
        "{\"kind\": \"parity-snapshot\", \"schema\": 1}",
    );
    assert!(e.contains("snapshot file"), "{e}");

    let (e, _, _d) = load_error("empty.json", "  \n");
    assert!(e.contains("empty"), "{e}");

    let (e, _, _d) = load_error("bad.json", "{\"schema\": 1,, }");
    assert!(e.contains("invalid JSON at line 1"), "{e}");

    let missing = Path::new("/nonexistent/parity-baseline.json");
    let err = baseline::load(missing).unwrap_err();
    assert!(matches!(err, BaselineError::Read { .. }));
    assert!(err
        .to_string()
        .contains("/nonexistent/parity-baseline.json"));
}

#[test]
fn shop_against_its_own_baseline() {
    let cwd = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let session = Session::open(Some(Path::new("fixtures/shop")), &cwd).expect("open shop");
    let opts = DiffOptions {
        source: parity::model::SourceKind::Code,
        categories: vec![],
    };
    let first = session.diff("staging", "prod", &opts).expect("diff");
    assert_eq!(
        exit_status(&first, Some(Severity::Error)),
        ExitStatus::Violations
    );
    let dir = temp();
    let path = dir.path().join("shop-baseline.json");
    baseline::write(&first, &path).unwrap();

    let mut again = session.diff("staging", "prod", &opts).expect("diff");
    baseline::apply(&mut again, &baseline::load(&path).unwrap());
    assert!(again
        .findings
        .iter()
        .all(|f| f.status.as_deref() == Some("existing")));
    let b = again.summary.baseline.clone().unwrap();
    assert_eq!((b.new, b.resolved, b.changed), (0, 0, 0));
    assert_eq!(again.summary.errors, first.summary.errors);
    // No new violation; the fixture has modules that cannot be expanded.
    assert_eq!(
        exit_status(&again, Some(Severity::Error)),
        ExitStatus::Incomplete
    );

    // Drop one finding from the baseline: it comes back as new and fails.
    let mut thinner = baseline::load(&path).unwrap();
    let dropped = thinner
        .findings
        .iter()
        .position(|f| f.rule == "engine-version")
        .expect("the shop differs on engine version");
    thinner.findings.remove(dropped);
    let mut third = session.diff("staging", "prod", &opts).expect("diff");
    baseline::apply(&mut third, &thinner);
    assert_eq!(status(&third, "engine-version"), Some("new"));
    assert_eq!(
        exit_status(&third, Some(Severity::Error)),
        ExitStatus::Violations
    );
}
