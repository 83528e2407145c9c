//! Runtime versions inside resources: container image tags parsed out of
//! ECS `container_definitions`, and sub-fields judged by their parent rule.

mod common;

use common::{parity, tree};

fn task(image: &str, cpu: u32) -> String {
    format!(
        r#"resource "aws_ecs_task_definition" "app" {{
  family                = "shop"
  container_definitions = jsonencode([
    {{ name = "web", image = "{image}", cpu = {cpu}, essential = true }},
    {{ name = "envoy", image = "envoyproxy/envoy:v1.29.1", cpu = 64 }},
  ])
}}
"#
    )
}

fn findings(staging: &str, prod: &str) -> (i32, Vec<serde_json::Value>) {
    let dir = tree(&[
        ("envs/staging/main.tf", staging),
        ("envs/prod/main.tf", prod),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    (
        out.status.code().unwrap_or(-1),
        json["findings"].as_array().cloned().unwrap_or_default(),
    )
}

#[test]
fn image_tag_difference_is_a_dependency_error_on_that_container() {
    let (code, f) = findings(&task("shop/app:1.4.2", 256), &task("shop/app:1.4.0", 256));
    assert_eq!(code, 2);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["rule"], "container-image");
    assert_eq!(f[0]["attribute"], "container_definitions.1.image");
    assert_eq!(f[0]["left"], "shop/app:1.4.2");
    assert_eq!(f[0]["right"], "shop/app:1.4.0");
}

#[test]
fn other_container_fields_fall_to_the_container_rule() {
    let (code, f) = findings(&task("shop/app:1.4.2", 256), &task("shop/app:1.4.2", 512));
    assert_eq!(code, 0, "a warning does not fail at the default fail-on");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["rule"], "container-definitions");
    assert_eq!(f[0]["attribute"], "container_definitions.1.cpu");
}

#[test]
fn same_containers_in_another_order_are_equal() {
    let reordered = r#"resource "aws_ecs_task_definition" "app" {
  family                = "shop"
  container_definitions = jsonencode([
    { name = "envoy", image = "envoyproxy/envoy:v1.29.1", cpu = 64 },
    { name = "web", image = "shop/app:1.4.2", cpu = 256, essential = true },
  ])
}
"#;
    let (code, f) = findings(&task("shop/app:1.4.2", 256), reordered);
    assert_eq!(code, 0);
    assert!(f.is_empty(), "{f:#?}");
}

// ---------------------------------------------------------------------------
// Module sources: pinning, and sources that differ by environment

fn diff(files: &[(&str, &str)]) -> (i32, Vec<serde_json::Value>) {
    let dir = tree(files);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (
        out.status.code().unwrap_or(-1),
        json["findings"].as_array().cloned().unwrap_or_default(),
    )
}

fn by_rule<'a>(f: &'a [serde_json::Value], rule: &str) -> Vec<&'a serde_json::Value> {
    f.iter().filter(|x| x["rule"] == rule).collect()
}

const CALLS: &str = r#"
module "no_ref" {
  source = "git::https://github.com/acme/a.git"
}
module "branch" {
  source = "github.com/acme/b?ref=main"
}
module "tagged" {
  source = "git::https://github.com/acme/c.git?ref=v1.2.0"
}
module "no_version" {
  source = "acme/d/aws"
}
module "lower_bound_only" {
  source  = "acme/e/aws"
  version = ">= 5.0"
}
module "bounded" {
  source  = "acme/f/aws"
  version = "~> 5.1"
}
module "local" {
  source = "../../modules/g"
}
"#;

#[test]
fn unpinned_modules_are_reported_in_each_environment_even_when_both_agree() {
    let (code, f) = diff(&[
        ("modules/g/main.tf", "output \"x\" {\n  value = 1\n}\n"),
        ("envs/staging/main.tf", CALLS),
        ("envs/prod/main.tf", CALLS),
    ]);
    // Warnings: the default fail-on is not reached; the calls are not
    // expanded, so the run is incomplete.
    assert_eq!(code, 3, "{f:#?}");
    let refs = by_rule(&f, "module-ref-unpinned");
    let versions = by_rule(&f, "module-version-unpinned");
    assert_eq!(refs.len() + versions.len(), f.len(), "{f:#?}");
    let resources = |v: &[&serde_json::Value]| -> Vec<String> {
        v.iter()
            .map(|x| x["resource"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(resources(&refs), ["module.branch", "module.no_ref"]);
    assert_eq!(
        resources(&versions),
        ["module.lower_bound_only", "module.no_version"]
    );
    for x in refs.iter().chain(&versions) {
        assert_eq!(x["severity"], "warning");
        assert_eq!(x["category"], "dependency");
        // Named for both environments, with both values.
        assert_eq!(x["left"], x["right"], "{x:#?}");
        assert!(
            x["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("in staging and prod: ")),
            "{x:#?}"
        );
    }
    assert!(refs[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("?ref=main names a branch")));
    assert!(versions[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("`>= 5.0` has no upper bound")));
    assert_eq!(
        refs[1]["locations"]["staging"], "envs/staging/main.tf:3",
        "{:#?}",
        refs[1]
    );
}

#[test]
fn an_unpinned_module_in_one_environment_names_only_that_one() {
    let (_, f) = diff(&[
        (
            "envs/staging/main.tf",
            "module \"waf\" {\n  source = \"git::https://github.com/acme/waf.git\"\n}\n",
        ),
        (
            "envs/prod/main.tf",
            "module \"waf\" {\n  source = \"git::https://github.com/acme/waf.git?ref=v1.3.0\"\n}\n",
        ),
    ]);
    let unpinned = by_rule(&f, "module-ref-unpinned");
    assert_eq!(unpinned.len(), 1, "{f:#?}");
    assert!(unpinned[0]["right"].is_null(), "{f:#?}");
    assert!(
        unpinned[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("in staging: no ?ref=")),
        "{f:#?}"
    );
    // The ref itself differs too (none vs v1.3.0).
    assert_eq!(by_rule(&f, "module-ref").len(), 1, "{f:#?}");
}

#[test]
fn a_module_ref_that_differs_between_env_directories_names_both() {
    let (code, f) = diff(&[
        (
            "envs/staging/main.tf",
            "module \"waf\" {\n  source = \"git::https://github.com/acme/waf.git?ref=v1.2\"\n}\n",
        ),
        (
            "envs/prod/main.tf",
            "module \"waf\" {\n  source = \"git::https://github.com/acme/waf.git?ref=v1.3\"\n}\n",
        ),
    ]);
    assert_eq!(code, 2, "{f:#?}");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["rule"], "module-ref");
    assert_eq!(f[0]["category"], "dependency");
    assert_eq!(f[0]["left"], "v1.2");
    assert_eq!(f[0]["right"], "v1.3");
    assert_eq!(f[0]["attribute"], "ref");
    assert_eq!(f[0]["message"], "differs: v1.2 vs v1.3");
}

#[test]
fn a_module_source_written_as_an_expression_is_evaluated_per_environment() {
    // Terraform rejects this ("Variables not allowed"); parity must still
    // load it, compare what each environment would get and say why.
    let main = r#"
variable "env" {
  type = string
}
module "waf" {
  source = var.env == "prod" ? "git::https://github.com/acme/waf.git?ref=v1.3" : "git::https://github.com/acme/waf.git?ref=v1.2"
}
module "vpc" {
  source  = "acme/vpc/aws"
  version = var.env == "prod" ? "2.1.0" : "2.0.0"
}
"#;
    let (code, f) = diff(&[
        ("main.tf", main),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \".\", vars = { env = \"staging\" } }\n[environments.prod]\nterraform = { root = \".\", vars = { env = \"prod\" } }\n",
        ),
    ]);
    assert_eq!(code, 2, "{f:#?}");
    let refs = by_rule(&f, "module-ref");
    assert_eq!(refs.len(), 1, "{f:#?}");
    assert_eq!(
        (&refs[0]["left"], &refs[0]["right"]),
        (&"v1.2".into(), &"v1.3".into())
    );
    let versions = by_rule(&f, "module-version");
    assert_eq!(versions.len(), 1, "{f:#?}");
    assert_eq!(versions[0]["left"], "2.0.0");
    assert_eq!(versions[0]["right"], "2.1.0");
    let exprs = by_rule(&f, "module-source-expression");
    let attrs: Vec<(&str, &str)> = exprs
        .iter()
        .map(|x| {
            (
                x["resource"].as_str().unwrap_or_default(),
                x["attribute"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        attrs,
        [
            ("module.vpc", "version_expression"),
            ("module.waf", "source_expression")
        ],
        "{f:#?}"
    );
    let waf = exprs[1];
    // The expression as written, in each environment (normalization turns
    // the environment's own name into `${env}`).
    assert_eq!(
        waf["left"],
        r#"var.env == "prod" ? "git::https://github.com/acme/waf.git?ref=v1.3" : "git::https://github.com/acme/waf.git?ref=v1.2""#
    );
    assert!(
        waf["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("in staging: var.env == ")
                && m.contains("; in prod: var.env == ")),
        "{waf:#?}"
    );
    assert_eq!(waf["locations"]["prod"], "main.tf:6");
}
