//! Inputs found by fuzzing (docs/fuzzing.md), kept under
//! `tests/fuzz/<target>/` and replayed here without the fuzzer, each with
//! what parity must now do with it.

mod common;

use common::{parity, repo, tree};
use predicates::prelude::*;
use std::time::Duration;

fn input(target: &str, name: &str) -> String {
    let path = repo().join("tests/fuzz").join(target).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config(limits: &str) -> String {
    format!("[environments.staging.terraform]\nroot = \"envs/staging\"\n{limits}")
}

/// `for`s four deep over `range(1024)`, each body one number: the values
/// limit never fires, and the 10^12 iterations ran for hours. The
/// iterations of one outermost `for` are bounded (10 × `values`): here
/// `values = 2000` puts the bound at 20,000 so the test is quick; with the
/// defaults it is 10,000,000, a few seconds.
#[test]
fn nested_for_expressions_stop_at_the_iteration_limit() {
    let code = input("hcl", "nested-for-length.tf");
    let dir = tree(&[
        ("parity.toml", &config("[limits]\nvalues = 2000\n")),
        ("envs/staging/main.tf", &code),
    ]);
    parity(dir.path())
        .args(["snapshot", "staging"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "envs/staging/main.tf:2: a `for` expression runs more than 20000 iterations, nested `for`s included, the limit (docs/limits.md)",
        ));
}

/// The bound counts from the outermost `for` only: nested `for`s under it
/// evaluate in full (1024 × 1024 iterations), and so does each later one.
#[test]
fn nested_for_expressions_under_the_limit_evaluate() {
    let code = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = length([for i in range(1024): length([for j in range(1024): 1])])\n  acl    = length([for i in range(1024): length([for j in range(1024): 1])])\n}\n";
    let dir = tree(&[("parity.toml", &config("")), ("envs/staging/main.tf", code)]);
    parity(dir.path())
        .args(["snapshot", "staging"])
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0)
        // Both are strings in the provider's schema: the numbers convert.
        .stdout(predicate::str::contains("\"bucket\": \"1024\""))
        .stdout(predicate::str::contains("\"acl\": \"1024\""));
}
