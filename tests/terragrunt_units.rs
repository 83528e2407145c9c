//! The Terragrunt source, continued (tests/terragrunt.rs holds the first
//! part): which units are read (`exclude` blocks, `skip`), where a remote
//! module comes from (`.terragrunt-cache`), through
//! `parity::sources::terragrunt::load` and the CLI on small trees written
//! per case and on `fixtures/terragrunt-cache`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{parity, tree};
use parity::model::{Snapshot, Value};
use parity::sources::terragrunt::{load, Options};

fn options(dir: &Path, root: &str) -> Options {
    Options {
        environment: "staging".into(),
        root: dir.join(root),
        base: dir.to_path_buf(),
        env: BTreeMap::new(),
        identity: Default::default(),
        states: None,
    }
}

fn snap(dir: &Path, root: &str) -> Snapshot {
    load(&options(dir, root)).unwrap_or_else(|e| panic!("load {root}: {e}"))
}

fn units(s: &Snapshot) -> Vec<String> {
    let mut u: Vec<String> = s
        .resources
        .iter()
        .filter_map(|r| r.address.split_once('/').map(|(u, _)| u.to_string()))
        .collect();
    u.dedup();
    u
}

fn gaps(s: &Snapshot) -> Vec<String> {
    s.coverage
        .iter()
        .map(|g| format!("{}: {}", g.what, g.reason))
        .collect()
}

fn has(g: &[String], want: &str) {
    assert!(
        g.iter().any(|g| g.starts_with(want)),
        "{want} not in {g:#?}"
    );
}

/// A module with one resource named after its variable.
const MODULE: &str = r#"
variable "a" {
  default = "default-a"
}
resource "aws_ssm_parameter" "p" {
  name = var.a
  type = "String"
}
output "a" {
  value = var.a
}
"#;

// --- exclude and skip ----------------------------------------------------

#[test]
fn excluded_and_skipped_units_are_not_read_and_are_listed() {
    let dir = tree(&[
        ("live/kept/main.tf", MODULE),
        ("live/kept/terragrunt.hcl", "inputs = { a = \"kept\" }\n"),
        // Excluded for every action.
        ("live/all/main.tf", MODULE),
        (
            "live/all/terragrunt.hcl",
            "exclude {\n  if      = true\n  actions = [\"all\"]\n}\n",
        ),
        // Excluded from destroy only: plan and apply run it, so it is read.
        ("live/nodestroy/main.tf", MODULE),
        (
            "live/nodestroy/terragrunt.hcl",
            "exclude {\n  if      = true\n  actions = [\"destroy\"]\n}\n",
        ),
        // A false condition, computed from a local.
        ("live/off/main.tf", MODULE),
        (
            "live/off/terragrunt.hcl",
            "locals {\n  env = \"prod\"\n}\nexclude {\n  if      = local.env == \"dev\"\n  actions = [\"plan\", \"apply\"]\n}\n",
        ),
        // From an included file: the child's block would win, it has none.
        ("live/shared.hcl", "exclude {\n  if      = true\n  actions = [\"all_except_output\"]\n}\n"),
        ("live/inherited/main.tf", MODULE),
        (
            "live/inherited/terragrunt.hcl",
            "include \"shared\" {\n  path = \"../shared.hcl\"\n}\n",
        ),
        // Overridden by the child's own block.
        ("live/overridden/main.tf", MODULE),
        (
            "live/overridden/terragrunt.hcl",
            "include \"shared\" {\n  path = \"../shared.hcl\"\n}\nexclude {\n  if      = false\n  actions = [\"all\"]\n}\n",
        ),
        // exclude_dependencies: the vpc it depends on goes too, the db it
        // does not depend on stays.
        ("live/app/main.tf", MODULE),
        (
            "live/app/terragrunt.hcl",
            "dependency \"vpc\" {\n  config_path = \"../vpc\"\n}\nexclude {\n  if                   = true\n  actions              = [\"all\"]\n  exclude_dependencies = true\n}\n",
        ),
        ("live/vpc/main.tf", MODULE),
        ("live/vpc/terragrunt.hcl", "inputs = { a = \"vpc\" }\n"),
        ("live/db/main.tf", MODULE),
        ("live/db/terragrunt.hcl", "dependencies {\n  paths = [\"../kept\"]\n}\n"),
        // skip = true (Terragrunt's older form).
        ("live/skipped/main.tf", MODULE),
        ("live/skipped/terragrunt.hcl", "skip = true\n"),
        // Unknown condition: read, and said.
        ("live/unsure/main.tf", MODULE),
        (
            "live/unsure/terragrunt.hcl",
            "exclude {\n  if      = get_env(\"EXCLUDE\") == \"yes\"\n  actions = [\"all\"]\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    assert_eq!(
        units(&s),
        vec!["db", "kept", "nodestroy", "off", "overridden", "unsure"]
    );
    let g = gaps(&s);
    has(&g, "live/all/terragrunt.hcl:1: unit excluded (`exclude` block, actions [\"all\"]): not read, not compared");
    has(
        &g,
        "live/shared.hcl:1: unit excluded (`exclude` block, actions [\"all_except_output\"])",
    );
    has(&g, "live/app/terragrunt.hcl:4: unit excluded");
    has(&g, "live/vpc/terragrunt.hcl: unit excluded as a dependency of live/app (`exclude_dependencies = true` at live/app/terragrunt.hcl:7): not read, not compared");
    has(
        &g,
        "live/skipped/terragrunt.hcl:1: unit skipped (`skip = true`)",
    );
    has(
        &g,
        "live/unsure/terragrunt.hcl:2: exclude: `if` is not known statically",
    );
    // Nothing about the units that stay.
    assert!(
        !g.iter().any(|g| g.contains("live/off/")
            || g.contains("live/nodestroy/")
            || g.contains("live/db/")),
        "{g:#?}"
    );
}

#[test]
fn an_exclusion_makes_the_run_incomplete_and_a_bad_block_is_an_error() {
    let toml = "[environments.staging]\nterragrunt = { root = \"staging\" }\n[environments.prod]\nterragrunt = { root = \"prod\" }\n";
    let dir = tree(&[
        ("staging/app/main.tf", MODULE),
        ("staging/app/terragrunt.hcl", "inputs = { a = \"x\" }\n"),
        ("prod/app/main.tf", MODULE),
        (
            "prod/app/terragrunt.hcl",
            "inputs = { a = \"x\" }\nexclude {\n  if      = true\n  actions = [\"apply\"]\n}\n",
        ),
        ("parity.toml", toml),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run parity");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The excluded unit's resources are absent from prod: found, and the
    // run says why it is not a full comparison.
    assert!(
        stdout.contains("prod: prod/app/terragrunt.hcl:2: unit excluded"),
        "{stdout}"
    );
    // One warning (app only in staging) under fail-on = error, and an
    // incomplete input: exit 3, never a clean 0.
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("\"resource-presence\""), "{stdout}");

    for (body, want) in [
        (
            "exclude {\n  actions = [\"all\"]\n}\n",
            "prod/app/terragrunt.hcl:1: exclude block without `if`",
        ),
        (
            "exclude {\n  if = true\n}\n",
            "prod/app/terragrunt.hcl:1: exclude block without `actions`",
        ),
        (
            "exclude {\n  if = true\n  actions = \"all\"\n}\n",
            "prod/app/terragrunt.hcl:3: exclude: `actions` must be a list of strings",
        ),
    ] {
        let dir = tree(&[
            ("staging/app/main.tf", MODULE),
            ("staging/app/terragrunt.hcl", ""),
            ("prod/app/main.tf", MODULE),
            ("prod/app/terragrunt.hcl", body),
            ("parity.toml", toml),
        ]);
        let out = parity(dir.path())
            .args(["diff", "staging", "prod"])
            .output()
            .expect("run parity");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "{want} not in {err}");
    }
}

#[test]
fn an_excluded_dependency_has_no_outputs() {
    let dir = tree(&[
        ("live/vpc/main.tf", MODULE),
        (
            "live/vpc/terragrunt.hcl",
            "inputs = { a = \"vpc\" }\nexclude {\n  if      = true\n  actions = [\"all\"]\n}\n",
        ),
        ("live/app/main.tf", MODULE),
        (
            "live/app/terragrunt.hcl",
            "dependency \"vpc\" {\n  config_path = \"../vpc\"\n  mock_outputs = { a = \"MOCK\" }\n}\ninputs = { a = dependency.vpc.outputs.a }\n",
        ),
    ]);
    let s = snap(dir.path(), "live");
    let app = s
        .resources
        .iter()
        .find(|r| r.address == "app/aws_ssm_parameter.p")
        .expect("app read");
    assert_eq!(
        app.attributes.get("name"),
        Some(&Value::Unknown("dependency.vpc.outputs.a".into()))
    );
    has(
        &gaps(&s),
        "live/app/terragrunt.hcl:5: dependency.vpc.outputs.a: live/vpc: the unit is excluded",
    );
}

// --- remote modules from .terragrunt-cache --------------------------------

fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

#[test]
fn fixture_remote_modules_are_read_from_the_terragrunt_cache() {
    let dir = common::repo().join("fixtures/terragrunt-cache");
    let out = parity(&dir)
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    assert_eq!(report["summary"]["incomplete"], serde_json::json!([]));
    let findings = report["findings"].as_array().expect("findings");
    let rules: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default(),
                f["resource"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![
            ("module-ref", "mysql/terraform.source"),
            ("encryption-at-rest", "mysql/aws_db_instance.this")
        ],
        "{findings:#?}"
    );
    // The module's line in the copy Terragrunt downloaded for v0.8.0.
    let at = findings[1]["locations"]["staging"]
        .as_str()
        .unwrap_or_default();
    assert!(
        at.starts_with("live/staging/mysql/.terragrunt-cache/")
            && at.ends_with("/b_YB8u8RsrheR5R0B_RHQfXp7VY/mysql/main.tf:24"),
        "{at}"
    );
    // Inputs still reach the cached module.
    let s = snap(&dir, "live/staging");
    let db = s
        .resources
        .iter()
        .find(|r| r.address == "mysql/aws_db_instance.this")
        .expect("mysql read");
    assert_eq!(
        db.attributes.get("identifier"),
        Some(&Value::str("shop-staging"))
    );
}

/// A unit on `source` whose cache holds a download at `hash` (the
/// source's root, hashed) with `version` in its version file and `subdir`.
fn cached_unit(source: &str, hash: &str, version: Option<&str>, subdir: &str) -> tempfile::TempDir {
    let unit =
        format!("terraform {{\n  source = \"{source}\"\n}}\ninputs = {{ a = \"from-input\" }}\n");
    let download = format!("live/db/.terragrunt-cache/W0000000000000000000000000/{hash}");
    let mut files = vec![
        ("live/db/terragrunt.hcl".to_string(), unit),
        (format!("{download}/{subdir}/main.tf"), MODULE.to_string()),
    ];
    if let Some(v) = version {
        files.push((
            format!("{download}/.terragrunt-source-version"),
            v.to_string(),
        ));
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    tree(&borrowed)
}

#[test]
fn a_cached_copy_is_used_only_for_the_same_source_and_version() {
    // base64url(sha1(...)) of the canonical root and of the query, as
    // Terragrunt names them. The fixture test above checks parity's
    // hashing against names written by Python's hashlib
    // (fixtures/terragrunt-cache/make-cache.py); here trees per case.
    let root = "git::https://example.com/modules.git";
    let enc = |s: &str| {
        use base64::Engine;
        use sha1::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(s.as_bytes()))
    };
    let source = "git::https://example.com/modules.git//db?ref=v1.2.0";

    // The same source and version: read.
    let dir = cached_unit(source, &enc(root), Some(&enc("ref=v1.2.0")), "db");
    let s = snap(dir.path(), "live");
    let db = s
        .resources
        .iter()
        .find(|r| r.address == "db/aws_ssm_parameter.p")
        .expect("read from the cache");
    assert_eq!(db.attributes.get("name"), Some(&Value::str("from-input")));
    assert!(gaps(&s).is_empty(), "{:?}", gaps(&s));

    // Another version downloaded (the ref changed since init): not used.
    let dir = cached_unit(source, &enc(root), Some(&enc("ref=v1.1.0")), "db");
    let s = snap(dir.path(), "live");
    assert!(units(&s).is_empty());
    has(&gaps(&s), "live/db/terragrunt.hcl:2: module source `git::https://example.com/modules.git//db?ref=v1.2.0` not installed (a remote source, not in the unit's .terragrunt-cache (.terragrunt-cache holds another version of the source");
    // The source record is still compared.
    assert!(s
        .dependencies
        .iter()
        .any(|d| d.address == "db/terraform.source"));

    // Without the subdirectory, or without a version file: not used.
    let dir = cached_unit(source, &enc(root), Some(&enc("ref=v1.2.0")), "other");
    has(&gaps(&snap(dir.path(), "live")), "live/db/terragrunt.hcl:2: module source `git::https://example.com/modules.git//db?ref=v1.2.0` not installed (a remote source, not in the unit's .terragrunt-cache (.terragrunt-cache holds the source without its subdirectory `db`)");
    let dir = cached_unit(source, &enc(root), None, "db");
    has(&gaps(&snap(dir.path(), "live")), "live/db/terragrunt.hcl:2: module source `git::https://example.com/modules.git//db?ref=v1.2.0` not installed (a remote source, not in the unit's .terragrunt-cache (.terragrunt-cache holds the source without a .terragrunt-source-version)");

    // Another repository's download: as if there were no cache.
    let dir = cached_unit(
        source,
        &enc("git::https://example.com/other.git"),
        Some(&enc("ref=v1.2.0")),
        "db",
    );
    has(&gaps(&snap(dir.path(), "live")), "live/db/terragrunt.hcl:2: module source `git::https://example.com/modules.git//db?ref=v1.2.0` not installed (a remote source, not in the unit's .terragrunt-cache): its resources are not compared");

    // A registry source, hashed whole (no `//`).
    let tfr = "tfr:///acme/db/aws?version=2.0.0";
    let dir = cached_unit(
        tfr,
        &enc("tfr:///acme/db/aws"),
        Some(&enc("version=2.0.0")),
        "",
    );
    let s = snap(dir.path(), "live");
    assert_eq!(units(&s), vec!["db"], "{:?}", gaps(&s));
}

// --- dependency outputs from the dependency's state -----------------------

/// A module whose output `id` is known only after apply.
const VPC_MODULE: &str = r#"
variable "a" {}
resource "aws_ssm_parameter" "p" {
  name = var.a
  type = "String"
}
output "id" {
  value = aws_ssm_parameter.p.id
}
output "token" {
  value     = aws_ssm_parameter.p.value
  sensitive = true
}
"#;

/// A module that shows its two variables.
const APP_MODULE: &str = r#"
variable "a" {}
variable "b" {
  default = "none"
}
resource "aws_ssm_parameter" "p" {
  name        = var.a
  description = var.b
  type        = "String"
}
"#;

const APP_UNIT: &str = r#"include "root" {
  path = find_in_parent_folders("root.hcl")
}
dependency "vpc" {
  config_path = "../vpc"
  mock_outputs = {
    id    = "MOCK-ID"
    token = "MOCK-TOKEN"
  }
}
inputs = {
  a = dependency.vpc.outputs.id
  b = dependency.vpc.outputs.token
}
"#;

fn state_with(id: &str) -> String {
    format!(
        r#"{{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "3f6c2a1e-0000-4000-8000-000000000001",
  "outputs": {{
    "id": {{"value": "{id}", "type": "string"}},
    "token": {{"value": "hunter2-secret", "type": "string", "sensitive": true}}
  }},
  "resources": []}}
"#
    )
}

#[test]
fn dependency_outputs_come_from_the_local_backend_state() {
    let root_hcl = r#"remote_state {
  backend = "local"
  config = {
    path = "${get_parent_terragrunt_dir()}/../state/${path_relative_to_include()}/terraform.tfstate"
  }
}
"#;
    let dir = tree(&[
        ("live/root.hcl", root_hcl),
        ("live/vpc/main.tf", VPC_MODULE),
        (
            "live/vpc/terragrunt.hcl",
            "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\ninputs = { a = \"vpc\" }\n",
        ),
        ("live/app/main.tf", APP_MODULE),
        ("live/app/terragrunt.hcl", APP_UNIT),
        ("state/vpc/terraform.tfstate", &state_with("vpc-0a1b2c3d")),
    ]);
    let s = snap(dir.path(), "live");
    let app = s
        .resources
        .iter()
        .find(|r| r.address == "app/aws_ssm_parameter.p")
        .expect("app");
    assert_eq!(
        app.attributes.get("name"),
        Some(&Value::str("vpc-0a1b2c3d"))
    );
    // A sensitive output stays sensitive: never in any output.
    let d = app.attributes.get("description");
    assert!(
        d.is_some_and(|v| v.is_marked() || v.is_sensitive()),
        "{d:?}"
    );
    assert!(!format!("{d:?}").contains("hunter2"), "{d:?}");
    assert!(
        gaps(&s).iter().all(|g| !g.contains("dependency.vpc")),
        "{:?}",
        gaps(&s)
    );
    let all = format!("{:?}", s.resources);
    assert!(!all.contains("MOCK"), "{all}");

    // No state yet (never applied): unknown, and said why.
    std::fs::remove_file(dir.path().join("state/vpc/terraform.tfstate")).expect("rm");
    let s = snap(dir.path(), "live");
    has(&gaps(&s), "live/app/terragrunt.hcl:12: dependency.vpc.outputs.id: output `id` of live/vpc is known only after apply (mock_outputs are never used as values; its state state/vpc/terraform.tfstate does not exist (from live/root.hcl:3)): compared as unknown");

    // A state that is not one: an error naming the file and line.
    std::fs::write(
        dir.path().join("state/vpc/terraform.tfstate"),
        "{\n  \"version\": 4,\n  \"outputs\": {,\n}\n",
    )
    .expect("write");
    let e = load(&options(dir.path(), "live")).expect_err("malformed state");
    assert!(
        e.to_string().contains("state/vpc/terraform.tfstate:3:"),
        "{e}"
    );
}

#[test]
fn dependency_outputs_come_from_the_states_directory_of_parity_toml() {
    let toml = "[environments.staging]\nterragrunt = { root = \"live\", states = \"states/staging\" }\n[environments.prod]\nterragrunt = { root = \"live\", states = \"states/prod\" }\n";
    let dir = tree(&[
        ("live/root.hcl", ""),
        ("live/vpc/main.tf", VPC_MODULE),
        ("live/vpc/terragrunt.hcl", "inputs = { a = \"vpc\" }\n"),
        ("live/app/main.tf", APP_MODULE),
        ("live/app/terragrunt.hcl", APP_UNIT),
        (
            "states/staging/vpc/terraform.tfstate",
            &state_with("vpc-0000staging"),
        ),
        (
            "states/prod/vpc/terraform.tfstate",
            &state_with("vpc-00000000prod"),
        ),
        ("parity.toml", toml),
    ]);
    let out = parity(dir.path())
        .args([
            "diff",
            "staging",
            "prod",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .expect("run parity");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    assert_eq!(
        report["summary"]["incomplete"],
        serde_json::json!([]),
        "{stdout}"
    );
    // The ids come from each environment's state: read, compared (a
    // name that differs by more than the environment's name), and the
    // sensitive output is never printed.
    assert!(
        stdout.contains("vpc-0000staging") && stdout.contains("vpc-00000000prod"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("hunter2") && !stdout.contains("MOCK"),
        "{stdout}"
    );

    // A `states` directory that does not exist: a configuration error.
    let bad = toml.replace("states/prod", "states/nowhere");
    std::fs::write(dir.path().join("parity.toml"), bad).expect("write");
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("run parity");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("parity.toml:4:") && err.contains("does not exist"),
        "{err}"
    );
}

// --- per-unit state: --source state and drift ----------------------------

/// A module with one bucket named by its variable.
const BUCKET_MODULE: &str = r#"
variable "a" {}
variable "versioning" {
  default = true
}
resource "aws_s3_bucket" "b" {
  bucket        = var.a
  force_destroy = false
}
"#;

/// A Terraform state (format 4) holding the bucket `name`.
fn bucket_state(name: &str, force_destroy: bool, lineage: u32) -> String {
    format!(
        r#"{{"version": 4, "terraform_version": "1.9.5", "serial": 2, "lineage": "3f6c2a1e-0000-4000-8000-00000000000{lineage}",
  "outputs": {{}},
  "resources": [
    {{"mode": "managed", "type": "aws_s3_bucket", "name": "b",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{"schema_version": 0,
          "attributes": {{"id": "{name}", "bucket": "{name}", "force_destroy": {force_destroy},
                          "arn": "arn:aws:s3:::{name}"}},
          "sensitive_attributes": []}}
      ]}}
  ]}}
"#
    )
}

#[test]
fn units_are_read_from_their_states_and_pair_with_the_code() {
    let toml = "[environments.staging]\nterragrunt = { root = \"live/staging\", states = \"states/staging\" }\n[environments.prod]\nterragrunt = { root = \"live/prod\", states = \"states/prod\" }\n";
    let dir = tree(&[
        ("modules/bucket/main.tf", BUCKET_MODULE),
        (
            "live/staging/logs/terragrunt.hcl",
            "terraform {\n  source = \"../../../modules//bucket\"\n}\ninputs = { a = \"shop-staging-logs\" }\n",
        ),
        (
            "live/prod/logs/terragrunt.hcl",
            "terraform {\n  source = \"../../../modules//bucket\"\n}\ninputs = { a = \"shop-prod-logs\" }\n",
        ),
        // A unit whose state was never pulled: listed, never dropped.
        (
            "live/prod/assets/terragrunt.hcl",
            "terraform {\n  source = \"../../../modules//bucket\"\n}\ninputs = { a = \"shop-prod-assets\" }\n",
        ),
        ("states/staging/logs/terraform.tfstate", &bucket_state("shop-staging-logs", true, 1)),
        ("states/prod/logs/terraform.tfstate", &bucket_state("shop-prod-logs", false, 2)),
        ("parity.toml", toml),
    ]);
    // Two environments' states: addresses under the unit's path.
    let out = parity(dir.path())
        .args([
            "diff",
            "staging",
            "prod",
            "--source",
            "state",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .expect("run parity");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["resource"] == "logs/aws_s3_bucket.b" && f["attribute"] == "force_destroy"),
        "{findings:#?}"
    );
    assert_eq!(
        report["summary"]["incomplete"],
        serde_json::json!(["prod: states/prod/assets/terraform.tfstate: the state of live/prod/assets/terragrunt.hcl (from the `states` directory of parity.toml) does not exist: its resources are not compared"])
    );

    // Drift: the code's `logs/aws_s3_bucket.b` pairs with the state's.
    let out = parity(dir.path())
        .args(["drift", "staging", "--format", "json", "--fail-on", "never"])
        .output()
        .expect("run parity");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["resource"], "logs/aws_s3_bucket.b");
    assert_eq!(findings[0]["attribute"], "force_destroy");
    assert_eq!(report["summary"]["compared_resources"], 1);

    // A state that is not one: exit 1 naming the file.
    std::fs::write(
        dir.path().join("states/staging/logs/terraform.tfstate"),
        "{\"version\": 4,\n  \"resources\": 7}\n",
    )
    .expect("write");
    let out = parity(dir.path())
        .args(["drift", "staging"])
        .output()
        .expect("run parity");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("states/staging/logs/terraform.tfstate"),
        "{err}"
    );
}

#[test]
fn without_a_states_directory_units_read_their_local_backend() {
    let dir = tree(&[
        ("live/logs/main.tf", BUCKET_MODULE),
        (
            "live/logs/terragrunt.hcl",
            "remote_state {\n  backend = \"local\"\n  config = {\n    path = \"terraform.tfstate\"\n  }\n}\ninputs = { a = \"shop-logs\" }\n",
        ),
        ("live/logs/terraform.tfstate", &bucket_state("shop-logs", false, 1)),
        // No state configured at all: listed.
        ("live/other/main.tf", BUCKET_MODULE),
        ("live/other/terragrunt.hcl", "inputs = { a = \"shop-other\" }\n"),
    ]);
    let s = parity::sources::terragrunt::load_states(&options(dir.path(), "live")).expect("load");
    let addresses: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addresses, vec!["logs/aws_s3_bucket.b"]);
    has(
        &gaps(&s),
        "live/other/terragrunt.hcl: no state for the unit",
    );
}

// --- stacks ---------------------------------------------------------------

const STACK: &str = r#"locals {
  env = "staging"
}

unit "vpc" {
  source = "../../catalog/units/vpc"
  path   = "vpc"
  values = {
    name = "shop-${local.env}"
    cidr = "10.10.0.0/16"
  }
}

unit "app" {
  source                  = "../../catalog/units/app"
  path                    = "app"
  no_dot_terragrunt_stack = true
  values = {
    name = "shop-app"
  }
}

stack "data" {
  source = "../../catalog/stacks/data"
  path   = "data"
}
"#;

/// A catalog unit: its module beside root.hcl's directory, its inputs from
/// the stack's values.
const CATALOG_UNIT: &str = r#"include "root" {
  path = find_in_parent_folders("root.hcl")
}
terraform {
  source = "${get_parent_terragrunt_dir("root")}/../modules//echo"
}
inputs = {
  a = values.name
  b = values.cidr
}
"#;

#[test]
fn stacks_are_read_from_their_generated_units_with_their_values() {
    let dir = tree(&[
        ("modules/echo/main.tf", APP_MODULE),
        ("catalog/units/vpc/terragrunt.hcl", CATALOG_UNIT),
        ("live/root.hcl", ""),
        ("live/staging/terragrunt.stack.hcl", STACK),
        // What `terragrunt stack generate` wrote for `vpc` (`app` and the
        // nested stack `data` were not generated).
        (
            "live/staging/.terragrunt-stack/vpc/terragrunt.hcl",
            CATALOG_UNIT,
        ),
        (
            "live/staging/.terragrunt-stack/vpc/terragrunt.values.hcl",
            "values = {\n  name = \"shop-staging\"\n  cidr = \"10.10.0.0/16\"\n}\n",
        ),
        // Generated once without its values file.
        (
            "live/staging/.terragrunt-stack/old/terragrunt.hcl",
            CATALOG_UNIT,
        ),
    ]);
    let s = snap(dir.path(), "live/staging");
    // Addressed by the unit's path in the stack, without .terragrunt-stack.
    assert_eq!(units(&s), vec!["old", "vpc"]);
    let vpc = s
        .resources
        .iter()
        .find(|r| r.address == "vpc/aws_ssm_parameter.p")
        .expect("vpc");
    assert_eq!(
        vpc.attributes.get("name"),
        Some(&Value::str("shop-staging"))
    );
    assert_eq!(
        vpc.attributes.get("description"),
        Some(&Value::str("10.10.0.0/16"))
    );
    let g = gaps(&s);
    has(&g, "live/staging/terragrunt.stack.hcl:14: unit `app` is not generated (live/staging/app has no terragrunt.hcl; `terragrunt stack generate` writes it) and its source is not a local directory with a terragrunt.hcl: not read");
    has(&g, "live/staging/terragrunt.stack.hcl:23: stack `data` is not generated (live/staging/.terragrunt-stack/data has no terragrunt.stack.hcl; `terragrunt stack generate` writes it) and its source is not a local directory with a terragrunt.stack.hcl: not read");
    has(&g, "live/staging/.terragrunt-stack/old/terragrunt.hcl:8: input `a`: no terragrunt.values.hcl beside the unit");

    // A block without `path`: an error at its line.
    let dir = tree(&[(
        "live/terragrunt.stack.hcl",
        "unit \"vpc\" {\n  source = \"../catalog/vpc\"\n}\n",
    )]);
    let e = load(&options(dir.path(), "live")).expect_err("no path");
    assert_eq!(
        e.to_string(),
        "live/terragrunt.stack.hcl:1: unit `vpc` has no `path`"
    );
}

// --- parity init ----------------------------------------------------------

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

#[test]
fn init_writes_a_table_per_environment_tree_and_check_finds_the_differences() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&common::repo().join("fixtures/terragrunt-shop"), dir.path());
    std::fs::remove_file(dir.path().join("parity.toml")).expect("rm");
    let out = parity(dir.path()).arg("init").output().expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("parity.toml")).expect("written");
    for want in [
        // SHOP_ENVIRONMENT (env.hcl) is named like an environment selector
        // and used in no comparison or path: each tree's directory name, as
        // the fixture's own parity.toml gives it.
        "[environments.staging]\n# account-id = \"123456789012\"\n# env: `SHOP_ENVIRONMENT` picks the environment (see the notes above): this tree's directory name\nterragrunt = { root = \"live/staging\", env = { SHOP_ENVIRONMENT = \"staging\" } }",
        "[environments.prod]\n# account-id = \"123456789012\"\n# env: `SHOP_ENVIRONMENT` picks the environment (see the notes above): this tree's directory name\nterragrunt = { root = \"live/prod\", env = { SHOP_ENVIRONMENT = \"prod\" } }",
        "[[check]]\nreference = \"prod\"\ncompare = [\"staging\"]\nsource = \"code\"",
        "`get_env(\"SHOP_ENVIRONMENT\")` picks the environment: its name says it is the environment",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
    // `live/` (named like an environment) holds the two trees: not one.
    assert!(!text.contains("[environments.live]"), "{text}");
    let out = parity(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .expect("run parity");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let summary = &report["summary"];
    assert_eq!(
        (summary["errors"].as_u64(), summary["warnings"].as_u64()),
        (Some(4), Some(5)),
        "{summary}"
    );
}

#[test]
fn init_finds_account_region_environment_trees() {
    // The layout of gruntwork-io/terragrunt-infrastructure-live-example:
    // <account>/<region>/<env>/<unit>, env.hcl per environment, _envcommon.
    let unit = "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\n";
    let dir = tree(&[
        ("root.hcl", ""),
        ("_envcommon/mysql.hcl", ""),
        ("non-prod/account.hcl", ""),
        ("non-prod/us-east-1/region.hcl", ""),
        ("non-prod/us-east-1/qa/env.hcl", ""),
        ("non-prod/us-east-1/qa/mysql/terragrunt.hcl", unit),
        (
            "non-prod/us-east-1/qa/webserver-cluster/terragrunt.hcl",
            unit,
        ),
        ("non-prod/us-east-1/stage/env.hcl", ""),
        ("non-prod/us-east-1/stage/mysql/terragrunt.hcl", unit),
        ("prod/account.hcl", ""),
        ("prod/us-east-1/region.hcl", ""),
        ("prod/us-east-1/prod/env.hcl", ""),
        ("prod/us-east-1/prod/mysql/terragrunt.hcl", unit),
        // A global unit below no environment.
        ("global/dns/terragrunt.hcl", unit),
    ]);
    let out = parity(dir.path())
        .args(["init", "--stdout"])
        .output()
        .expect("run parity");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "[environments.qa]\n# account-id = \"123456789012\"\nterragrunt = { root = \"non-prod/us-east-1/qa\" }",
        "[environments.stage]\n# account-id = \"123456789012\"\nterragrunt = { root = \"non-prod/us-east-1/stage\" }",
        "[environments.prod]\n# account-id = \"123456789012\"\nterragrunt = { root = \"prod/us-east-1/prod\" }",
        "reference = \"prod\"\ncompare = [\"qa\", \"stage\"]",
        "1 unit(s) are below no environment directory",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
}

#[test]
fn init_takes_the_shallowest_environment_named_siblings_without_env_hcl() {
    // The layout of cds-snc/notification-terraform: env/<env>/<unit>, one
    // unit named like an environment word (`performance-test`).
    let dir = tree(&[
        ("env/terragrunt.hcl", "inputs = {}\n"),
        ("env/dev/common/terragrunt.hcl", ""),
        ("env/dev/performance-test/terragrunt.hcl", ""),
        ("env/staging/common/terragrunt.hcl", ""),
        ("env/staging/performance-test/terragrunt.hcl", ""),
        ("env/production/common/terragrunt.hcl", ""),
    ]);
    let out = parity(dir.path())
        .args(["init", "--stdout"])
        .output()
        .expect("run parity");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for want in [
        "[environments.dev]\n# account-id = \"123456789012\"\nterragrunt = { root = \"env/dev\" }",
        "[environments.production]\n# account-id = \"123456789012\"\nterragrunt = { root = \"env/production\" }",
        "reference = \"production\"\ncompare = [\"dev\", \"staging\"]",
        // env/terragrunt.hcl is read as a unit by Terragrunt's run --all:
        // in no environment, and said.
        "1 unit(s) are below no environment directory",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
    assert!(!text.contains("performance-test ="), "{text}");
}

#[test]
fn a_stack_not_generated_is_read_from_its_local_sources() {
    let stack = r#"unit "vpc" {
  source = "../../catalog/units/vpc"
  path   = "vpc"
  values = {
    name = "shop-prod"
    cidr = "10.20.0.0/16"
  }
}

unit "cache" {
  source = "git::https://example.com/catalog.git//units/cache?ref=v1.0.0"
  path   = "cache"
}
"#;
    let dir = tree(&[
        ("modules/echo/main.tf", APP_MODULE),
        ("catalog/units/vpc/terragrunt.hcl", CATALOG_UNIT),
        ("live/root.hcl", ""),
        ("live/prod/terragrunt.stack.hcl", stack),
    ]);
    let s = snap(dir.path(), "live/prod");
    // Evaluated where `terragrunt stack generate` would write it
    // (find_in_parent_folders climbs from live/prod/.terragrunt-stack/vpc),
    // with the block's values; addressed as a generated unit would be.
    assert_eq!(units(&s), vec!["vpc"]);
    let vpc = s
        .resources
        .iter()
        .find(|r| r.address == "vpc/aws_ssm_parameter.p")
        .expect("vpc");
    assert_eq!(vpc.attributes.get("name"), Some(&Value::str("shop-prod")));
    assert_eq!(
        vpc.attributes.get("description"),
        Some(&Value::str("10.20.0.0/16"))
    );
    let g = gaps(&s);
    has(&g, "live/prod/terragrunt.stack.hcl:10: unit `cache` is not generated (live/prod/.terragrunt-stack/cache has no terragrunt.hcl; `terragrunt stack generate` writes it) and its source `git::https://example.com/catalog.git//units/cache?ref=v1.0.0` is a remote catalog parity does not fetch: not read");
    assert_eq!(g.len(), 1, "{g:#?}");
}

/// A nested stack of two units, its `db` unit's `cidr` from the parent
/// block's `values` (sources relative to where it is generated:
/// `live/<env>/.terragrunt-stack/data`).
const DATA_STACK: &str = r#"unit "db" {
  source = "../../../../catalog/units/vpc"
  path   = "db"
  values = {
    name = "db"
    cidr = values.size
  }
}

unit "cache" {
  source = "../../../../catalog/units/vpc"
  path   = "cache"
  values = {
    name = "cache"
    cidr = "none"
  }
}
"#;

fn parent_stack(size: &str) -> String {
    format!("stack \"data\" {{\n  source = \"../../catalog/stacks/data\"\n  path   = \"data\"\n  values = {{\n    size = \"{size}\"\n  }}\n}}\n")
}

fn addressed(s: &Snapshot) -> Vec<(String, Option<Value>)> {
    s.resources
        .iter()
        .map(|r| (r.address.clone(), r.attributes.get("description").cloned()))
        .collect()
}

#[test]
fn a_nested_stack_not_generated_is_read_with_the_parent_blocks_values() {
    let toml = "[environments.staging]\nterragrunt = { root = \"live/staging\" }\n[environments.prod]\nterragrunt = { root = \"live/prod\" }\n";
    let staging = parent_stack("small");
    let prod = parent_stack("large");
    let dir = tree(&[
        ("modules/echo/main.tf", APP_MODULE),
        ("catalog/units/vpc/terragrunt.hcl", CATALOG_UNIT),
        ("catalog/stacks/data/terragrunt.stack.hcl", DATA_STACK),
        ("live/root.hcl", ""),
        ("live/staging/terragrunt.stack.hcl", &staging),
        ("live/prod/terragrunt.stack.hcl", &prod),
        ("parity.toml", toml),
    ]);
    let s = snap(dir.path(), "live/staging");
    // Units under <stack path>/<unit path>, as generated units are.
    let want = vec![
        (
            "data/cache/aws_ssm_parameter.p".to_string(),
            Some(Value::str("none")),
        ),
        (
            "data/db/aws_ssm_parameter.p".to_string(),
            Some(Value::str("small")),
        ),
    ];
    assert_eq!(addressed(&s), want);
    assert!(s.coverage.is_empty(), "{:#?}", gaps(&s));

    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run parity");
    let stdout = String::from_utf8_lossy(&out.stdout);
    #[allow(clippy::print_stderr, reason = "the report, when the test fails")]
    {
        eprintln!("{stdout}");
    }
    // One difference: db's description, small against large, at the
    // catalog unit's line that sets the input from `values`.
    assert!(stdout.contains("data/db/aws_ssm_parameter.p"), "{stdout}");
    assert!(
        !stdout.contains("data/cache/aws_ssm_parameter.p"),
        "{stdout}"
    );
    assert!(stdout.contains("\"small\""), "{stdout}");
    assert!(stdout.contains("\"large\""), "{stdout}");
    assert!(stdout.contains("\"warnings\": 1,"), "{stdout}");
    assert!(
        stdout.contains("\"staging\": \"catalog/units/vpc/terragrunt.hcl:9\""),
        "{stdout}"
    );

    // The generated layout gives the same addresses and values.
    let values = |body: &str| format!("values = {{\n{body}\n}}\n");
    let gen = tree(&[
        ("modules/echo/main.tf", APP_MODULE),
        ("live/root.hcl", ""),
        ("live/staging/terragrunt.stack.hcl", &staging),
        (
            "live/staging/.terragrunt-stack/data/terragrunt.stack.hcl",
            DATA_STACK,
        ),
        (
            "live/staging/.terragrunt-stack/data/terragrunt.values.hcl",
            &values("  size = \"small\""),
        ),
        (
            "live/staging/.terragrunt-stack/data/.terragrunt-stack/db/terragrunt.hcl",
            CATALOG_UNIT,
        ),
        (
            "live/staging/.terragrunt-stack/data/.terragrunt-stack/db/terragrunt.values.hcl",
            &values("  name = \"db\"\n  cidr = \"small\""),
        ),
        (
            "live/staging/.terragrunt-stack/data/.terragrunt-stack/cache/terragrunt.hcl",
            CATALOG_UNIT,
        ),
        (
            "live/staging/.terragrunt-stack/data/.terragrunt-stack/cache/terragrunt.values.hcl",
            &values("  name = \"cache\"\n  cidr = \"none\""),
        ),
    ]);
    let g = snap(gen.path(), "live/staging");
    assert_eq!(addressed(&g), want);

    // A remote nested stack stays a gap; a stack including itself is an
    // error at the block's line.
    let dir = tree(&[
        (
            "live/x/terragrunt.stack.hcl",
            "stack \"loop\" {\n  source = \"../../catalog/stacks/loop\"\n  path   = \"loop\"\n}\n\nstack \"remote\" {\n  source = \"git::https://example.com/c.git//stacks/data?ref=v1\"\n  path   = \"remote\"\n}\n",
        ),
        (
            "catalog/stacks/loop/terragrunt.stack.hcl",
            "unit \"u\" {\n  source = \"../../../../catalog/units/u\"\n  path   = \"u\"\n}\n\nstack \"again\" {\n  source = \"../../../../catalog/stacks/loop\"\n  path   = \"again\"\n}\n",
        ),
    ]);
    let e = load(&options(dir.path(), "live/x")).expect_err("cycle");
    assert_eq!(
        e.to_string(),
        "catalog/stacks/loop/terragrunt.stack.hcl:6: stack `again` includes itself: live/x/terragrunt.stack.hcl -> catalog/stacks/loop/terragrunt.stack.hcl -> catalog/stacks/loop/terragrunt.stack.hcl"
    );
    std::fs::write(
        dir.path().join("catalog/stacks/loop/terragrunt.stack.hcl"),
        "",
    )
    .expect("write");
    let s = snap(dir.path(), "live/x");
    has(&gaps(&s), "live/x/terragrunt.stack.hcl:6: stack `remote` is not generated (live/x/.terragrunt-stack/remote has no terragrunt.stack.hcl; `terragrunt stack generate` writes it) and its source `git::https://example.com/c.git//stacks/data?ref=v1` is a remote catalog parity does not fetch: not read");
}
