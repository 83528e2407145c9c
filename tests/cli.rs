//! The CLI end to end: stdout, stderr and exit code for the happy path,
//! each output format and each kind of bad input.

mod common;

use common::{parity, repo, shop, tree};
use predicates::prelude::*;

#[test]
fn shop_diff_reports_every_category_and_exits_2() {
    let out = parity(&shop())
        .args(["diff", "staging", "prod"])
        .assert()
        .code(2);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    // The summary first, then the root causes, then what no cause explains.
    let at = |s: &str| {
        stdout
            .find(s)
            .unwrap_or_else(|| panic!("missing {s} in:\n{stdout}"))
    };
    assert!(
        stdout.starts_with("parity staging vs prod (code):"),
        "{stdout}"
    );
    assert!(at("20 findings in 9 items (7 root causes)") < at("ROOT CAUSES"));
    assert!(at("ROOT CAUSES") < at("OTHER FINDINGS"));
    assert!(at("OTHER FINDINGS") < at("DEPENDENCY"));
    // Each cause names its input and the line that sets it on both sides.
    assert!(stdout.contains("var.azs changes 12 findings"));
    assert!(stdout.contains("envs/staging/terraform.tfvars:20"));
    assert!(stdout.contains("envs/prod/terraform.tfvars:20"));
    assert!(stdout.contains("var.database.engine_version changes 1 finding"));
    assert!(stdout.contains("engine_version (modules/database/main.tf:72)"));
    assert!(stdout.contains("envs/staging/.terraform.lock.hcl:5"));
    // --verbose lists every finding by category again.
    let verbose = parity(&shop())
        .args(["diff", "staging", "prod", "--verbose"])
        .assert()
        .code(2);
    let verbose = String::from_utf8_lossy(&verbose.get_output().stdout).to_string();
    for heading in ["ENGINE", "IAM", "TOPOLOGY", "DEPENDENCY", "CONFIG"] {
        assert!(
            verbose.contains(heading),
            "missing {heading} in:\n{verbose}"
        );
    }
    // Nothing on stderr when the run succeeds.
    assert!(out.get_output().stderr.is_empty());
}

#[test]
fn config_flag_accepts_a_directory_and_a_file() {
    parity(&repo())
        .args(["-C", "fixtures/shop", "diff", "staging", "prod"])
        .assert()
        .code(2);
    parity(&repo())
        .args([
            "-C",
            "fixtures/shop/parity.toml",
            "diff",
            "stg",
            "production",
            "--format",
            "json",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "\"environments\": [\n    \"staging\",\n    \"prod\"\n  ]",
        ));
}

#[test]
fn json_has_both_locations_for_every_attribute_finding() {
    let out = parity(&shop())
        .args(["diff", "staging", "prod", "--format", "json"])
        .assert()
        .code(2);
    let json: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).expect("valid JSON");
    assert_eq!(json["schema"], 1);
    let findings = json["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    let categories: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["category"].as_str())
        .collect();
    for c in ["engine", "iam", "topology", "dependency", "config"] {
        assert!(categories.contains(c), "no {c} finding");
    }
    let engine = findings
        .iter()
        .find(|f| f["rule"] == "engine-version")
        .expect("engine-version finding");
    assert_eq!(engine["left"], "15.7");
    assert_eq!(engine["right"], "15.5");
    let locs = engine["locations"].as_object().expect("locations");
    for env in ["staging", "prod"] {
        let loc = locs[env].as_str().expect("location");
        assert!(
            loc.rsplit_once(':')
                .is_some_and(|(_, l)| l.parse::<u32>().is_ok()),
            "{loc}"
        );
    }
}

#[test]
fn output_is_deterministic() {
    let run = || {
        parity(&shop())
            .args(["diff", "staging", "prod", "--format", "json"])
            .output()
            .expect("run")
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn output_file_and_fail_on_never() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("report.json");
    parity(&shop())
        .args([
            "diff",
            "staging",
            "prod",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--output",
        ])
        .arg(&file)
        .assert()
        .code(3) // the remote waf module could not be expanded: not proven
        .stdout("");
    let text = std::fs::read_to_string(&file).expect("report written");
    assert!(text.contains("\"schema\": 1"));
}

#[test]
fn category_filter_keeps_only_that_category() {
    let out = parity(&shop())
        .args([
            "diff",
            "staging",
            "prod",
            "--format",
            "json",
            "--category",
            "engine",
        ])
        .assert()
        .code(2);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert!(json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["category"] == "engine"));
}

#[test]
fn secrets_never_reach_any_output() {
    for format in ["table", "json"] {
        let out = parity(&shop())
            .args(["-v", "diff", "staging", "prod", "--format", format])
            .output()
            .expect("run");
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(!text.contains("CANARY"), "secret leaked in {format} output");
    }
    let out = parity(&shop())
        .args(["snapshot", "staging"])
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("CANARY"));
}

#[test]
fn identical_environments_pass_with_exit_0() {
    let main = "variable \"size\" {\n  default = \"db.t3.micro\"\n}\nresource \"aws_db_instance\" \"db\" {\n  engine         = \"postgres\"\n  engine_version = \"15.5\"\n  instance_class = var.size\n}\n";
    let dir = tree(&[("envs/staging/main.tf", main), ("envs/prod/main.tf", main)]);
    parity(dir.path())
        .args(["diff", "staging", "prod"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "No differences between staging and prod",
        ));
}

#[test]
fn snapshot_files_compare_like_the_code() {
    let dir = tempfile::tempdir().expect("tmp");
    for env in ["staging", "prod"] {
        parity(&shop())
            .args(["snapshot", env, "-o"])
            .arg(dir.path().join(format!("{env}.json")))
            .assert()
            .code(3);
    }
    let direct = parity(&shop())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    let via_files = parity(dir.path())
        .args(["-C", "/nonexistent-config-dir-parity"])
        .args(["diff", "staging.json", "prod.json", "--format", "json"])
        .output()
        .expect("run");
    // -C pointing nowhere is an error: the files need no config at all.
    assert_eq!(via_files.status.code(), Some(1));
    let via_files = parity(dir.path())
        .args(["diff", "staging.json", "prod.json", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(via_files.status.code(), Some(2));
    let a: serde_json::Value = serde_json::from_slice(&direct.stdout).expect("json");
    let b: serde_json::Value = serde_json::from_slice(&via_files.stdout).expect("json");
    let rules = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["attribute"] != "password")
            .map(|f| (f["rule"].to_string(), f["resource"].to_string()))
            .collect()
    };
    assert_eq!(rules(&a), rules(&b));
}

#[test]
fn rules_list_and_show() {
    parity(&repo())
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("engine-version"));
    parity(&repo())
        .args(["rules", "show", "engine-version"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Why it matters"));
    parity(&repo())
        .args(["rules", "show", "no-such-rule"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown rule `no-such-rule`"));
}

#[test]
fn init_refuses_to_overwrite_the_shop_config_and_live_needs_aws() {
    // tests/init.rs covers init itself; here: never over an existing file.
    parity(&shop())
        .args(["init"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "parity.toml already exists: `parity init` does not overwrite it",
        ));
    // The shop fixture has no `aws` table: live needs one, and says so.
    parity(&shop())
        .args(["diff", "staging", "prod", "--source", "live"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("aws"));
}

/// Copy fixtures/shop into a temporary directory (tests change it).
fn shop_copy() -> tempfile::TempDir {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read_dir").flatten() {
            let p = e.path();
            let target = to.join(e.file_name());
            if p.is_dir() {
                copy(&p, &target);
            } else {
                std::fs::copy(&p, &target).expect("copy");
            }
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    copy(&shop(), dir.path());
    dir
}

#[test]
fn check_with_a_baseline_fails_on_exactly_the_planted_change() {
    let dir = shop_copy();
    let base = dir.path().join("baseline.json");
    // Before the change: write the baseline (the report of main).
    parity(dir.path())
        .args(["check", "--format", "json", "--write-baseline"])
        .arg(&base)
        .assert()
        .code(2);
    // Against its own baseline nothing is new: old debt does not fail a PR
    // (exit 3: the remote waf module stays unexpanded, parity not proven).
    parity(dir.path())
        .args(["check", "--baseline"])
        .arg(&base)
        .assert()
        .code(3);
    // Plant a change: staging runs another image tag.
    let tfvars = dir.path().join("envs/staging/terraform.tfvars");
    let original = std::fs::read_to_string(&tfvars).expect("tfvars");
    std::fs::write(&tfvars, original.replace("\"2024.06.2\"", "\"2024.07.0\"")).expect("write");
    let out = parity(dir.path())
        .args(["check", "--format", "json", "--baseline"])
        .arg(&base)
        .assert()
        .code(2);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    let new: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0]["rule"], "container-image");
    assert_eq!(json["summary"]["baseline"]["new"], 1);
    // Reverted: nothing new again.
    std::fs::write(&tfvars, original).expect("write");
    parity(dir.path())
        .args(["check", "--baseline"])
        .arg(&base)
        .assert()
        .code(3);
}

#[test]
fn every_format_renders_the_shop_report() {
    for format in [
        "table", "json", "markdown", "sarif", "junit", "github", "html",
    ] {
        let out = parity(&shop())
            .args(["diff", "staging", "prod", "--format", format])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(!out.stdout.is_empty(), "{format}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("CANARY"),
            "{format}"
        );
    }
}

// ---- bad input: one clear cause, exit 1, never a panic ----

fn two_envs(staging: &str, prod: &str) -> tempfile::TempDir {
    tree(&[
        ("envs/staging/main.tf", staging),
        ("envs/prod/main.tf", prod),
    ])
}

fn assert_error(dir: &std::path::Path, args: &[&str], needle: &str) {
    let out = parity(dir).args(args).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(needle), "expected `{needle}` in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.get_output().stdout.is_empty());
}

#[test]
fn malformed_hcl_names_file_line_and_column() {
    let dir = two_envs("resource \"aws_vpc\" \"a\" {\n  cidr_block = \n}\n", "");
    assert_error(
        dir.path(),
        &["diff", "staging", "prod"],
        "envs/staging/main.tf:2:16: invalid expression",
    );
}

#[test]
fn missing_var_file_is_named() {
    let dir = tree(&[
        ("main.tf", "variable \"x\" {}\n"),
        ("parity.toml", "[environments.staging]\nterraform = { root = \".\", var-files = [\"staging.tfvars\"] }\n[environments.prod]\nterraform = { root = \".\" }\n"),
    ]);
    assert_error(dir.path(), &["diff", "staging", "prod"], "staging.tfvars");
}

#[test]
fn cyclic_locals_name_the_cycle() {
    let dir = two_envs("locals {\n  a = local.b\n  b = local.a\n}\n", "");
    assert_error(
        dir.path(),
        &["diff", "staging", "prod"],
        "cycle: local.a -> local.b -> local.a",
    );
}

#[test]
fn missing_module_source_is_named() {
    let dir = two_envs("module \"db\" {\n  source = \"../../modules/db\"\n}\n", "");
    assert_error(
        dir.path(),
        &["diff", "staging", "prod"],
        "source `../../modules/db` does not exist",
    );
}

#[test]
fn unknown_function_is_named_with_its_location() {
    let dir = two_envs("locals {\n  x = frobnicate(1)\n}\n", "");
    assert_error(
        dir.path(),
        &["diff", "staging", "prod"],
        "envs/staging/main.tf:2: unknown function `frobnicate`",
    );
}

#[test]
fn unknown_environment_lists_the_known_ones() {
    assert_error(
        &shop(),
        &["diff", "staging", "qa"],
        "unknown environment `qa`: ",
    );
    let empty = tree(&[("README", "")]);
    assert_error(
        empty.path(),
        &["diff", "staging", "prod"],
        "none of staging/, envs/staging/",
    );
}

#[test]
fn invalid_config_reports_every_problem_with_its_line() {
    let dir = tree(&[(
        "parity.toml",
        "fail-on = \"sometimes\"\n[environments.staging]\nterraform = { root = \"nowhere\" }\nbogus = 1\n",
    )]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("3 problems"), "{stderr}");
    assert!(stderr.contains("parity.toml:1:"), "{stderr}");
    assert!(stderr.contains("parity.toml:3:"), "{stderr}");
    assert!(stderr.contains("parity.toml:4:"), "{stderr}");
}

#[test]
fn empty_root_module_is_an_error() {
    let dir = tree(&[("envs/staging/README.md", "x"), ("envs/prod/main.tf", "")]);
    assert_error(
        dir.path(),
        &["diff", "staging", "prod"],
        "no Terraform files",
    );
}

#[test]
fn environments_as_module_instances_in_one_root() {
    let dir = tree(&[
        (
            "main.tf",
            "module \"staging_config\" {\n  source  = \"./modules/cfg\"\n  version_pg = \"15.7\"\n}\nmodule \"prod_config\" {\n  source  = \"./modules/cfg\"\n  version_pg = \"15.5\"\n}\n",
        ),
        (
            "modules/cfg/main.tf",
            "variable \"version_pg\" {}\nresource \"aws_db_instance\" \"db\" {\n  engine         = \"postgres\"\n  engine_version = var.version_pg\n}\n",
        ),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \".\", module = \"staging_config\" }\n[environments.prod]\nterraform = { root = \".\", module = \"prod_config\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .assert()
        .code(2);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["resource"], "aws_db_instance.db");
    assert_eq!(findings[0]["rule"], "engine-version");

    let bad = tree(&[
        ("main.tf", "module \"a\" {\n  source = \"./m\"\n}\n"),
        ("m/main.tf", ""),
        ("parity.toml", "[environments.staging]\nterraform = { root = \".\", module = \"nope\" }\n[environments.prod]\nterraform = { root = \".\" }\n"),
    ]);
    parity(bad.path())
        .args(["diff", "staging", "prod"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "the root module has no call `module.nope`",
        ));
}

// ---- completions, man page, -v / -q ----

#[test]
fn completion_scripts_name_every_subcommand() {
    let out = parity(&repo())
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stderr("");
    let bash = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for sub in [
        "diff",
        "check",
        "drift",
        "snapshot",
        "rules",
        "init",
        "completions",
        "man",
    ] {
        assert!(bash.contains(sub), "bash completion lacks {sub}");
    }
    assert!(bash.contains("complete -F _parity"), "{bash}");
    for (shell, marker) in [
        ("zsh", "#compdef parity"),
        ("fish", "complete -c parity"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[parity]"),
    ] {
        parity(&repo())
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(marker).and(predicate::str::contains("baseline")));
    }
    // An unknown shell is a usage error: exit 1 (2 means violations).
    parity(&repo())
        .args(["completions", "tcsh"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid value 'tcsh'"));
}

#[test]
fn man_page_is_roff_and_describes_the_commands() {
    let out = parity(&repo()).arg("man").assert().code(0).stderr("");
    let man = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    // The title, after clap_mangen's two-line apostrophe macro (`.ie`/`.el`).
    assert!(man.starts_with(".ie "), "{man}");
    assert!(
        man.lines()
            .nth(2)
            .is_some_and(|l| l.starts_with(".TH parity 1 ")),
        "{man}"
    );
    assert!(man.contains("drift"));
    assert!(man.contains("Exit codes"));
    // -o DIR: one page for parity and one per subcommand.
    let dir = tempfile::tempdir().expect("tmp");
    parity(&repo())
        .arg("man")
        .arg("-o")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::starts_with("wrote 12 man pages to "));
    for page in [
        "parity.1",
        "parity-diff.1",
        "parity-check.1",
        "parity-drift.1",
        "parity-init.1",
        "parity-rules-show.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).expect(page);
        assert!(text.contains(".TH"), "{page}");
    }
}

#[test]
fn verbose_puts_timings_on_stderr_and_leaves_stdout_alone() {
    let plain = parity(&shop())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    let verbose = parity(&shop())
        .args(["-v", "diff", "staging", "prod", "--format", "json"])
        .env_remove("RUST_LOG")
        .output()
        .expect("run");
    assert_eq!(plain.status.code(), Some(2));
    assert_eq!(verbose.status.code(), Some(2));
    assert!(plain.stderr.is_empty());
    // Byte for byte the same report.
    assert_eq!(plain.stdout, verbose.stdout);
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    for stage in [
        "config: ",
        "read staging (code): ",
        "read prod (code): ",
        "normalize: staging 37 resources, prod 47 resources in ",
        "match+judge: ",
        "render (json): ",
    ] {
        assert!(stderr.contains(stage), "no `{stage}` in:\n{stderr}");
    }
    // Every line is a timing, no colour codes (stderr is not a terminal).
    assert_eq!(stderr.lines().count(), 6, "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|l| l.ends_with(" ms") || l.ends_with(" s")),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    // -vv adds debug lines (with their module), still only on stderr.
    let debug = parity(&shop())
        .args(["-vv", "diff", "staging", "prod", "--format", "json"])
        .env_remove("RUST_LOG")
        .output()
        .expect("run");
    assert_eq!(plain.stdout, debug.stdout);
    let stderr = String::from_utf8_lossy(&debug.stderr);
    assert!(
        stderr.contains("DEBUG parity::run: staging: 37 resources"),
        "{stderr}"
    );
    assert!(!stderr.contains("CANARY"));
}

#[test]
fn verbose_keeps_showing_expected_differences_in_the_table() {
    let plain = parity(&shop())
        .args(["diff", "staging", "prod"])
        .output()
        .expect("run");
    let verbose = parity(&shop())
        .args(["diff", "staging", "prod", "--verbose"])
        .output()
        .expect("run");
    let plain = String::from_utf8_lossy(&plain.stdout);
    let verbose = String::from_utf8_lossy(&verbose.stdout);
    assert!(plain.contains("expected differences hidden"));
    assert!(!verbose.contains("expected differences hidden"));
    assert!(verbose.contains("allocated_storage"));
}

#[test]
fn quiet_prints_nothing_but_errors() {
    // A clean run (exit 2 is a finding, not an error): nothing on stderr.
    parity(&shop())
        .args(["-q", "diff", "staging", "prod"])
        .env("RUST_LOG", "debug")
        .assert()
        .code(2)
        .stderr("");
    // Errors still show.
    parity(&shop())
        .args(["-q", "diff", "staging", "qa"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: unknown environment `qa`",
        ));
    // -q and -v together is a usage error.
    parity(&shop())
        .args(["-q", "-v", "diff", "staging", "prod"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn rust_log_selects_the_events() {
    let out = parity(&shop())
        .args(["diff", "staging", "prod", "--format", "json"])
        .env("RUST_LOG", "parity::timing=info")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("match+judge: "), "{stderr}");
    assert!(!stderr.contains("DEBUG"), "{stderr}");
    let out = parity(&shop())
        .args(["diff", "staging", "prod", "--format", "json"])
        .env("RUST_LOG", "parity::run=debug")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DEBUG"), "{stderr}");
    assert!(!stderr.contains("match+judge"), "{stderr}");
}

#[test]
fn code_scanning_paths_start_at_the_root_of_the_git_work_tree() {
    // parity.toml in `infra/` of a repository: SARIF, GitHub annotations and
    // JUnit name files from the repository root, where code scanning looks
    // them up; the table keeps paths relative to parity.toml.
    let dir = tree(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        (
            "infra/parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n[environments.prod]\nterraform = { root = \"envs/prod\" }\n",
        ),
        (
            "infra/envs/staging/main.tf",
            "resource \"aws_db_instance\" \"main\" {\n  engine         = \"postgres\"\n  engine_version = \"16.2\"\n}\n",
        ),
        (
            "infra/envs/prod/main.tf",
            "resource \"aws_db_instance\" \"main\" {\n  engine         = \"postgres\"\n  engine_version = \"16.1\"\n}\n",
        ),
    ]);
    let render = |format: &str| {
        let out = parity(dir.path())
            .args(["-C", "infra", "diff", "staging", "prod", "--format", format])
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let uris = |sarif: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(sarif).expect("SARIF is JSON");
        let mut uris = Vec::new();
        for result in v["runs"][0]["results"].as_array().expect("results") {
            for loc in result["locations"]
                .as_array()
                .into_iter()
                .chain(result["relatedLocations"].as_array())
                .flatten()
            {
                if let Some(u) = loc["physicalLocation"]["artifactLocation"]["uri"].as_str() {
                    uris.push(u.to_string());
                }
            }
        }
        uris
    };

    let found = uris(&render("sarif"));
    assert!(
        found.contains(&"infra/envs/staging/main.tf".to_string())
            && found.contains(&"infra/envs/prod/main.tf".to_string()),
        "{found:?}"
    );
    assert!(
        found.iter().all(|u| u.starts_with("infra/envs/")),
        "{found:?}"
    );
    let github = render("github");
    assert!(
        github.contains("file=infra/envs/staging/main.tf,line=3"),
        "{github}"
    );
    assert!(render("junit").contains("infra/envs/staging/main.tf"));
    let table = render("table");
    assert!(table.contains("envs/staging/main.tf:3"), "{table}");
    assert!(!table.contains("infra/envs"), "{table}");

    // Outside a work tree (none above the temporary directory either):
    // relative to parity.toml, as before.
    std::fs::remove_dir_all(dir.path().join(".git")).expect("rm .git");
    let found = uris(&render("sarif"));
    assert!(
        found.contains(&"envs/staging/main.tf".to_string()),
        "{found:?} (is the temporary directory inside a git work tree?)"
    );
}

#[test]
fn a_reader_that_goes_away_is_not_a_failure() {
    // `parity snapshot staging | head -1`: the snapshot of 3,000 buckets is
    // far more than a pipe holds, so parity writes into a closed pipe.
    let dir = tree(&[(
        "envs/staging/main.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  count  = 3000\n  bucket = \"shop-staging-${count.index}\"\n}\n",
    )]);
    let bin = assert_cmd::cargo::cargo_bin("parity");
    let mut child = std::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["snapshot", "staging"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_report_streamed_into_a_closed_pipe_is_not_a_failure() {
    // The report is serialized straight to stdout: the reader is gone
    // before the first byte, so the very first write meets a closed pipe.
    for format in ["json", "sarif", "table"] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("parity"))
            .current_dir(shop())
            .env("NO_COLOR", "1")
            .args(["diff", "staging", "prod", "--format", format])
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A full disk, on Linux, where `/dev/full` answers every write with ENOSPC.
#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_is_a_clear_error() {
    for format in ["json", "sarif", "markdown"] {
        parity(&shop())
            .args([
                "diff",
                "staging",
                "prod",
                "--format",
                format,
                "-o",
                "/dev/full",
            ])
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains(
                "error: cannot write /dev/full: No space left on device",
            ))
            .stderr(predicate::str::contains("panicked").not());
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("parity"))
            .current_dir(shop())
            .args(["diff", "staging", "prod", "--format", format])
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            )
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{format}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error: cannot write to stdout: No space left on device"),
            "{format}: {stderr}"
        );
    }
    // A directory that does not exist: named, nothing created.
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("no/such/dir/report.json");
    parity(&shop())
        .args(["diff", "staging", "prod", "--format", "json", "-o"])
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("error: cannot write ").and(predicate::str::contains(
                "report.json: No such file or directory",
            )),
        );
    assert!(!missing.exists());
}

#[test]
fn check_streams_several_reports_as_one_json_array() {
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n\n\
             [environments.prod]\nterraform = { root = \"envs/prod\" }\n\n\
             [environments.dev]\nterraform = { root = \"envs/dev\" }\n\n\
             [[check]]\nreference = \"prod\"\ncompare = [\"staging\", \"dev\"]\n",
        ),
        (
            "envs/staging/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"a\"\n}\n",
        ),
        (
            "envs/prod/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
        ),
        (
            "envs/dev/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"a\"\n}\n",
        ),
    ]);
    let file = dir.path().join("out.json");
    let out = parity(dir.path())
        .args(["check", "--format", "json", "--fail-on", "never", "-o"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&file).expect("written");
    assert!(text.ends_with("]\n"), "{text}");
    let all: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
    let reports = all.as_array().expect("an array");
    assert_eq!(reports.len(), 2);
    // The same bytes as serde_json's own pretty printing of the array.
    let mut again = serde_json::to_string_pretty(&all).expect("json");
    again.push('\n');
    assert_eq!(text, again);
}

#[test]
fn an_environment_without_any_source_table_is_refused_naming_the_tables() {
    let dir = tree(&[(
        "parity.toml",
        "[environments.staging]\naliases = [\"stg\"]\n\n[environments.prod]\nregion = \"eu-west-1\"\n",
    )]);
    parity(dir.path())
        .args(["diff", "staging", "prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "environment `staging` has no source in",
        ))
        .stderr(predicate::str::contains(
            "give it one of the tables `terraform`, `terragrunt`, `cloudformation`, `cdk`, `pulumi`, `state`, `aws`",
        ));
}

#[test]
fn table_colour_follows_the_flag_and_no_color() {
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = parity(&repo());
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd
            .args(["-C", "fixtures/shop", "diff", "staging", "prod"])
            .args(args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Asked for: colour even into a pipe, and even with NO_COLOR (the flag
    // is the caller's explicit choice).
    assert!(run(&["--color", "always"], true).contains("\u{1b}["));
    assert!(run(&["--color", "always"], false).contains("\u{1b}["));
    // Never, and auto into a pipe: none.
    assert!(!run(&["--color", "never"], false).contains('\u{1b}'));
    assert!(!run(&[], false).contains('\u{1b}'));
    // Other formats are never coloured.
    assert!(!run(&["--color", "always", "--format", "markdown"], true).contains('\u{1b}'));
}

#[test]
fn table_fits_the_width_asked_for() {
    let widest = |args: &[&str], columns: Option<&str>| {
        let mut cmd = parity(&repo());
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = cmd
            .args(["-C", "fixtures/shop", "diff", "staging", "prod", "-v"])
            .args(args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    };
    for w in [80usize, 100, 132, 200] {
        let got = widest(&["--width", &w.to_string()], None);
        assert!(got <= w, "--width {w}: a line of {got}");
        assert!(got >= w - 10, "--width {w}: the table uses only {got}");
        let got = widest(&[], Some(&w.to_string()));
        assert!(got <= w, "COLUMNS={w}: a line of {got}");
    }
    // Never under 80 columns; and unbounded into a pipe without COLUMNS.
    assert!(widest(&["--width", "40"], None) <= 80);
    assert!(widest(&["--width", "40"], None) > 70);
    assert!(widest(&[], None) > 200);
}
