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
