//! Module calls are evaluated in parallel (waves of calls whose module
//! references are done): the values must be those of a sequential
//! evaluation, and the same on every run.

mod common;

use std::path::Path;

use common::tree;
use parity::model::Snapshot;
use parity::sources::terraform::{load, Options};

fn options(dir: &Path) -> Options {
    Options {
        environment: "staging".into(),
        root: dir.join("env"),
        base: dir.to_path_buf(),
        var_files: Vec::new(),
        vars: parity::model::Map::new(),
        var_origins: Default::default(),
        workspace: "default".into(),
        data: None,
        identity: Default::default(),
        facts: None,
    }
}

fn snap(dir: &Path) -> Snapshot {
    load(&options(dir)).unwrap_or_else(|e| panic!("load: {e}"))
}

fn json(s: &Snapshot) -> String {
    parity::sources::snapshot::to_json(s, &Default::default())
}

fn attr(s: &Snapshot, address: &str, name: &str) -> serde_json::Value {
    s.resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("no resource {address}"))
        .attributes
        .get(name)
        .unwrap_or_else(|| panic!("{address} has no attribute {name}"))
        .to_json()
}

const MODULE: &str = r#"
variable "input" {}
variable "secret" {
  default   = "none"
  sensitive = true
}
resource "aws_sns_topic" "t" {
  name = "topic-${var.input}"
  tags = { Secret = var.secret }
}
output "out" {
  value = "${var.input}+"
}
output "arn" {
  value = aws_sns_topic.t.arn
}
"#;

/// A root with a chain (a → b → c), a fan-out (twelve calls on a), a call
/// that waits on another through a policy document, one through a
/// template, and independent calls.
fn project() -> tempfile::TempDir {
    let mut root = String::new();
    root.push_str("module \"a\" {\n  source = \"./modules/m\"\n  input  = \"a\"\n}\n");
    root.push_str("module \"b\" {\n  source = \"./modules/m\"\n  input  = module.a.out\n}\n");
    root.push_str(
        "module \"c\" {\n  source = \"./modules/m\"\n  input  = \"${module.b.out}c\"\n}\n",
    );
    for i in 0..12 {
        root.push_str(&format!(
            "module \"fan{i}\" {{\n  source = \"./modules/m\"\n  input  = \"${{module.a.out}}{i}\"\n}}\n"
        ));
    }
    root.push_str(
        "data \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [\"sns:Publish\"]\n    resources = [module.c.arn]\n    sid       = module.c.out\n  }\n}\n",
    );
    root.push_str(
        "module \"doc\" {\n  source = \"./modules/m\"\n  input  = jsondecode(data.aws_iam_policy_document.d.json).Statement[0].Sid\n}\n",
    );
    for i in 0..6 {
        root.push_str(&format!(
            "module \"free{i}\" {{\n  source = \"./modules/m\"\n  input  = \"free{i}\"\n  secret = \"hunter2-secret-{i}\"\n}}\n"
        ));
    }
    tree(&[("env/modules/m/main.tf", MODULE), ("env/main.tf", &root)])
}

#[test]
fn module_calls_see_the_outputs_they_refer_to() {
    let dir = project();
    let s = snap(dir.path());
    assert_eq!(s.resources.len(), 3 + 12 + 1 + 6, "{:?}", s.coverage);
    assert_eq!(attr(&s, "module.a.aws_sns_topic.t", "name"), "topic-a");
    assert_eq!(attr(&s, "module.b.aws_sns_topic.t", "name"), "topic-a+");
    assert_eq!(attr(&s, "module.c.aws_sns_topic.t", "name"), "topic-a++c");
    for i in 0..12 {
        assert_eq!(
            attr(&s, &format!("module.fan{i}.aws_sns_topic.t"), "name"),
            format!("topic-a+{i}")
        );
    }
    // Through the policy document: module.doc waited for module.c.
    assert_eq!(
        attr(&s, "module.doc.aws_sns_topic.t", "name"),
        "topic-a++c+"
    );
    for i in 0..6 {
        assert_eq!(
            attr(&s, &format!("module.free{i}.aws_sns_topic.t"), "name"),
            format!("topic-free{i}")
        );
    }
    assert!(
        s.coverage.is_empty(),
        "no gaps expected, got {:?}",
        s.coverage
    );
}

#[test]
fn parallel_evaluation_gives_the_same_snapshot_every_time() {
    let dir = project();
    let first = json(&snap(dir.path()));
    for run in 0..15 {
        let again = json(&snap(dir.path()));
        assert!(first == again, "run {run} differs from the first");
    }
    // What the loads free in the background gets freed: waiting for it
    // returns (it would hang if a load's count were never taken back).
    parity::sources::terraform::wait_for_background_frees();
    // Secrets passed to the module calls never appear in the snapshot.
    for i in 0..6 {
        assert!(
            !first.contains(&format!("hunter2-secret-{i}")),
            "secret {i} leaked"
        );
    }
}

/// Installed registry and git modules (`.terraform/modules`) are parsed in
/// the background too, found through the manifest by their call path: the
/// snapshot is the one evaluation alone gives, on every run, with no gap.
#[test]
fn installed_modules_parsed_in_the_background_give_the_same_snapshot() {
    let fixture = common::repo().join("fixtures/modules-json");
    let opts = Options {
        environment: "staging".into(),
        root: fixture.join("envs/staging"),
        base: fixture.clone(),
        var_files: Vec::new(),
        vars: parity::model::Map::new(),
        var_origins: Default::default(),
        workspace: "default".into(),
        data: None,
        identity: Default::default(),
        facts: None,
    };
    let first = load(&opts).unwrap_or_else(|e| panic!("load: {e}"));
    assert!(first.coverage.is_empty(), "{:?}", first.coverage);
    // Three levels: the root's registry module, and its git and local ones.
    assert!(
        first
            .resources
            .iter()
            .any(|r| r.address.starts_with("module.waf.module.logs.")),
        "nested installed module not expanded"
    );
    let first = json(&first);
    for run in 0..15 {
        let again = json(&load(&opts).unwrap_or_else(|e| panic!("load: {e}")));
        assert!(first == again, "run {run} differs from the first");
    }
}

#[test]
fn a_failing_call_reports_the_same_error_every_time() {
    // Two calls in one wave fail; the one declared first is reported.
    let dir = tree(&[
        ("env/modules/m/main.tf", MODULE),
        (
            "env/main.tf",
            "module \"ok\" {\n  source = \"./modules/m\"\n  input  = \"x\"\n}\nmodule \"bad1\" {\n  source = \"./modules/missing1\"\n  input  = \"x\"\n}\nmodule \"bad2\" {\n  source = \"./modules/missing2\"\n  input  = \"x\"\n}\n",
        ),
    ]);
    for _ in 0..10 {
        let err = load(&options(dir.path())).expect_err("missing module source");
        let msg = err.to_string();
        assert!(msg.contains("missing1"), "{msg}");
    }
}

/// Secret-named attributes and marked values are sealed as resources are
/// built: the result is what sealing the whole snapshot again gives, on
/// every run, with the value sensitive (a sensitive variable) or not.
#[test]
fn secret_named_attributes_are_redacted_completely_and_the_same_every_time() {
    for sensitive in [true, false] {
        let db = format!(
            r#"
variable "pw" {{
  sensitive = {sensitive}
}}
resource "aws_sns_topic" "t" {{
  name = "t"
}}
resource "aws_db_instance" "d" {{
  identifier      = "db"
  password        = "plain-password-1"
  master_password = "${{aws_sns_topic.t.arn}}-${{var.pw}}"
  tags = {{
    Name  = "db"
    token = "tok-${{aws_sns_topic.t.arn}}"
  }}
}}
resource "aws_db_instance" "known" {{
  identifier = "known"
  password   = "plain-password-2"
}}
"#
        );
        let mut root = String::new();
        for i in 0..8 {
            root.push_str(&format!(
                "module \"db{i}\" {{\n  source = \"./modules/db\"\n  pw     = \"pw-value-{i}-long\"\n}}\n"
            ));
        }
        let dir = tree(&[("env/modules/db/main.tf", &db), ("env/main.tf", &root)]);
        let s = snap(dir.path());
        let first = json(&s);
        for i in 0..8 {
            for r in ["d", "known"] {
                let pw = attr(&s, &format!("module.db{i}.aws_db_instance.{r}"), "password");
                assert!(
                    pw.as_str().is_some_and(|p| p.starts_with("(sensitive)")),
                    "password of db{i}.{r} not redacted (sensitive = {sensitive}): {pw}"
                );
            }
            if sensitive {
                assert!(
                    !first.contains(&format!("pw-value-{i}-long")),
                    "secret {i} leaked"
                );
            }
        }
        assert!(!first.contains("plain-password-"), "a password leaked");
        // Nothing is left for sealing the snapshot again to do.
        let mut again = s.clone();
        let n = parity::normalize::Normalizer::default();
        for r in again.resources.iter_mut() {
            parity::normalize::seal(r, &n);
        }
        assert!(
            json(&again) == first,
            "a full redaction still changed the snapshot (sensitive = {sensitive})"
        );
        for run in 0..15 {
            assert!(
                json(&snap(dir.path())) == first,
                "run {run} differs from the first"
            );
        }
    }
}

/// Modules are parsed in the background while the root is evaluated: a
/// module that calls itself (directly, or two that call each other) must
/// end in an error naming the problem, not an endless parse, and a module
/// that does not parse must give its own error, once evaluation needs it.
#[test]
fn background_parsing_ends_on_recursive_calls_and_reports_bad_modules() {
    let dir = tree(&[
        ("env/main.tf", "module \"a\" {\n  source = \"./modules/a\"\n}\n"),
        (
            "env/modules/a/main.tf",
            "module \"b\" {\n  source = \"../b\"\n}\nresource \"aws_sns_topic\" \"t\" {\n  name = \"a\"\n}\n",
        ),
        (
            "env/modules/b/main.tf",
            "module \"a\" {\n  source = \"../a\"\n}\n",
        ),
    ]);
    let err = match load(&options(dir.path())) {
        Ok(s) => panic!("a module cycle loaded: {} resources", s.resources.len()),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("modules nested more than 32 deep (a module calling itself?)"),
        "unexpected error: {err}"
    );

    let dir = tree(&[
        (
            "env/main.tf",
            "module \"ok\" {\n  source = \"./modules/ok\"\n}\nmodule \"bad\" {\n  source = \"./modules/bad\"\n}\n",
        ),
        ("env/modules/ok/main.tf", "resource \"aws_sns_topic\" \"t\" {\n  name = \"ok\"\n}\n"),
        ("env/modules/bad/main.tf", "resource \"aws_sns_topic\" \"t\" {\n  name = \n}\n"),
    ]);
    for _ in 0..8 {
        let err = match load(&options(dir.path())) {
            Ok(_) => panic!("a module that does not parse loaded"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains("modules/bad/main.tf:2"),
            "unexpected error: {err}"
        );
    }
}
