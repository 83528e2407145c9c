//! Evaluation fidelity of the Terraform code source: for each language rule,
//! the value Terraform itself would compute (per its documentation), read
//! through `parity::sources::terraform::load` or the CLI.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{parity, tree};
use parity::model::{Resource, Snapshot, Value};
use parity::sources::terraform::{load, Options};
use serde_json::json;

fn options(dir: &Path, root: &str) -> Options {
    Options {
        environment: "staging".into(),
        root: dir.join(root),
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

fn snap(dir: &Path, root: &str) -> Snapshot {
    load(&options(dir, root)).unwrap_or_else(|e| panic!("load {root}: {e}"))
}

fn res<'a>(s: &'a Snapshot, address: &str) -> &'a Resource {
    s.resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| {
            let all: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
            panic!("no resource {address}; have {all:?}")
        })
}

fn dep<'a>(s: &'a Snapshot, address: &str) -> &'a Resource {
    s.dependencies
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| {
            let all: Vec<&str> = s.dependencies.iter().map(|r| r.address.as_str()).collect();
            panic!("no dependency {address}; have {all:?}")
        })
}

/// An attribute as JSON (unknowns as `"${expr}"`).
fn attr(s: &Snapshot, address: &str, name: &str) -> serde_json::Value {
    res(s, address)
        .attributes
        .get(name)
        .unwrap_or_else(|| panic!("{address} has no attribute {name}"))
        .to_json()
}

fn addresses(s: &Snapshot) -> Vec<&str> {
    s.resources.iter().map(|r| r.address.as_str()).collect()
}

fn gaps(s: &Snapshot) -> String {
    s.coverage
        .iter()
        .map(|g| format!("{}: {}\n", g.what, g.reason))
        .collect()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---------------------------------------------------------------------------
// Variables

#[test]
fn variable_precedence_follows_terraform_order() {
    // Terraform: defaults, then terraform.tfvars, terraform.tfvars.json,
    // *.auto.tfvars(.json) in lexical order, -var-file in order, -var last.
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let mut main = String::new();
    for n in names {
        main.push_str(&format!(
            "variable \"{n}\" {{\n  default = \"default\"\n}}\n"
        ));
    }
    main.push_str("resource \"aws_x\" \"v\" {\n");
    for n in names {
        main.push_str(&format!("  {n} = var.{n}\n"));
    }
    main.push_str("}\n");
    let dir = tree(&[
        ("root/main.tf", &main),
        (
            "root/terraform.tfvars",
            "b = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\ne = \"tfvars\"\nf = \"tfvars\"\ng = \"tfvars\"\nh = \"tfvars\"\n",
        ),
        (
            "root/terraform.tfvars.json",
            r#"{"c": "json", "d": "json", "e": "json", "f": "json", "g": "json", "h": "json"}"#,
        ),
        // Lexical order: a.auto before b.auto whatever the creation order.
        ("root/b.auto.tfvars", "e = \"auto-b\"\nf = \"auto-b\"\ng = \"auto-b\"\nh = \"auto-b\"\n"),
        ("root/a.auto.tfvars", "d = \"auto-a\"\ne = \"auto-a\"\nf = \"auto-a\"\n"),
        ("vars/one.tfvars", "f = \"file-1\"\ng = \"file-1\"\nh = \"file-1\"\n"),
        ("vars/two.tfvars.json", r#"{"g": "file-2", "h": "file-2"}"#),
    ]);
    let mut opts = options(dir.path(), "root");
    opts.var_files = vec![
        dir.path().join("vars/one.tfvars"),
        dir.path().join("vars/two.tfvars.json"),
    ];
    opts.vars.insert("h".into(), Value::str("cli"));
    let s = load(&opts).expect("load");
    let want = [
        ("a", "default"),
        ("b", "tfvars"),
        ("c", "json"),
        ("d", "auto-a"),
        ("e", "auto-b"),
        ("f", "file-1"),
        ("g", "file-2"),
        ("h", "cli"),
    ];
    for (name, value) in want {
        assert_eq!(attr(&s, "aws_x.v", name), json!(value), "var.{name}");
    }
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn tfvars_json_values_keep_structure_and_types() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
variable "settings" {}
variable "count_of" {}
variable "enabled" {}
resource "aws_x" "v" {
  settings = var.settings
  count_of = var.count_of
  enabled  = var.enabled
  first    = var.settings.zones[0]
}
"#,
        ),
        (
            "terraform.tfvars.json",
            r#"{"settings": {"zones": ["a", "b"], "size": {"min": 1, "max": 3}}, "count_of": 2, "enabled": false}"#,
        ),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        attr(&s, "aws_x.v", "settings"),
        json!({"zones": ["a", "b"], "size": {"min": 1, "max": 3}})
    );
    assert_eq!(attr(&s, "aws_x.v", "count_of"), json!(2));
    assert_eq!(attr(&s, "aws_x.v", "enabled"), json!(false));
    assert_eq!(attr(&s, "aws_x.v", "first"), json!("a"));
}

#[test]
fn declared_types_convert_given_values() {
    // Terraform converts a value to the declared type: "3" -> 3 for number,
    // 3 -> "3" for string, "true" -> true for bool, elements of collections.
    let dir = tree(&[
        (
            "main.tf",
            r#"
variable "n" { type = number }
variable "s" { type = string }
variable "kept" { type = string }
variable "b" { type = bool }
variable "l" { type = list(string) }
variable "m" { type = map(number) }
resource "aws_x" "v" {
  n    = var.n
  s    = var.s
  kept = var.kept
  b    = var.b
  l    = var.l
  m    = var.m
  sum  = var.n + 1
}
"#,
        ),
        (
            "terraform.tfvars",
            "n = \"3\"\ns = 3\nkept = \"3\"\nb = \"true\"\nl = [1, true]\nm = { a = \"1\", b = 2 }\n",
        ),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(attr(&s, "aws_x.v", "n"), json!(3));
    assert_eq!(attr(&s, "aws_x.v", "s"), json!("3"));
    assert_eq!(attr(&s, "aws_x.v", "kept"), json!("3"));
    assert_eq!(attr(&s, "aws_x.v", "b"), json!(true));
    assert_eq!(attr(&s, "aws_x.v", "l"), json!(["1", "true"]));
    assert_eq!(attr(&s, "aws_x.v", "m"), json!({"a": 1, "b": 2}));
    assert_eq!(attr(&s, "aws_x.v", "sum"), json!(4));
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn optional_attributes_take_their_defaults_at_every_level() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
variable "db" {
  type = object({
    name    = string
    size    = optional(number, 10)
    comment = optional(string)
    backup = optional(object({
      enabled = optional(bool, true)
      days    = optional(number, 7)
    }), {})
    replicas = optional(list(object({
      zone = string
      tier = optional(string, "standard")
    })), [])
  })
}
resource "aws_x" "v" {
  db = var.db
}
"#,
        ),
        (
            "terraform.tfvars",
            "db = {\n  name = \"main\"\n  backup = { days = 30 }\n  replicas = [{ zone = \"a\" }, { zone = \"b\", tier = \"fast\" }]\n}\n",
        ),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        attr(&s, "aws_x.v", "db"),
        json!({
            "name": "main",
            "size": 10,
            "comment": null,
            "backup": {"enabled": true, "days": 30},
            "replicas": [
                {"zone": "a", "tier": "standard"},
                {"zone": "b", "tier": "fast"}
            ]
        })
    );
}

#[test]
fn explicit_null_input_overrides_a_default_unless_not_nullable() {
    // Terraform: "Nullable variables just appear as null if they were set to
    // null, regardless of any default value"; with `nullable = false` a null
    // input takes the default.
    let dir = tree(&[
        (
            "main.tf",
            r#"
module "m" {
  source     = "./m"
  nullable   = null
  not_null   = null
  given      = "given"
}
"#,
        ),
        (
            "m/main.tf",
            r#"
variable "nullable" { default = "default" }
variable "not_null" {
  default  = "default"
  nullable = false
}
variable "given" { default = "default" }
variable "unset" { default = "default" }
resource "aws_x" "v" {
  nullable = var.nullable
  not_null = var.not_null
  given    = var.given
  unset    = var.unset
}
"#,
        ),
    ]);
    let s = snap(dir.path(), ".");
    let r = "module.m.aws_x.v";
    assert_eq!(attr(&s, r, "nullable"), json!(null));
    assert_eq!(attr(&s, r, "not_null"), json!("default"));
    assert_eq!(attr(&s, r, "given"), json!("given"));
    assert_eq!(attr(&s, r, "unset"), json!("default"));
}

#[test]
fn sensitive_variable_never_appears_in_any_output() {
    let env = |name: &str| {
        (
            format!("envs/{name}/main.tf"),
            r#"
variable "token" {
  type      = string
  sensitive = true
}
resource "aws_x" "app" {
  plain      = var.token
  embedded   = "Bearer ${var.token}"
  symbolic   = aws_vpc.main.id != "" ? var.token : "none"
  call       = coalesce(aws_vpc.main.id, var.token)
}
resource "aws_vpc" "main" {}
"#
            .to_string(),
        )
    };
    let (sf, sc) = env("staging");
    let (pf, pc) = env("prod");
    let dir = tree(&[
        (&sf, &sc),
        (&pf, &pc),
        ("envs/staging/terraform.tfvars", "token = \"stg-Secr3t-Value\"\n"),
        ("envs/prod/terraform.tfvars", "token = \"prd-Secr3t-Value\"\n"),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n[environments.prod]\nterraform = { root = \"envs/prod\" }\n",
        ),
    ]);
    let snapshot = parity(dir.path())
        .args(["snapshot", "staging"])
        .output()
        .expect("run");
    assert_eq!(snapshot.status.code(), Some(0), "{}", stderr(&snapshot));
    let text = stdout(&snapshot);
    assert!(!text.contains("Secr3t"), "secret in snapshot:\n{text}");
    assert!(text.contains("(sensitive)"), "{text}");

    for format in ["json", "table"] {
        let diff = parity(dir.path())
            .args(["diff", "staging", "prod", "--format", format, "--verbose"])
            .output()
            .expect("run");
        let all = format!("{}{}", stdout(&diff), stderr(&diff));
        assert!(!all.contains("Secr3t"), "secret in {format} diff:\n{all}");
        assert!(all.contains("(sensitive)"), "{all}");
    }
    let diff = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&diff.stdout).expect("json");
    let plain = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["attribute"] == "plain")
        .expect("the two secrets differ");
    assert_eq!(plain["left"], "(sensitive)");
    assert_eq!(plain["right"], "(sensitive)");
}

// ---------------------------------------------------------------------------
// Locals

#[test]
fn ephemeral_resources_and_actions_are_not_compared_and_not_gaps() {
    // Terraform 1.10 ephemeral resources and 1.14 actions describe no
    // stored infrastructure: neither a resource nor a coverage gap, and a
    // reference to one stays symbolic. Any other unknown block is a gap.
    let hcl = r#"
ephemeral "random_password" "db" {
  length = 32
}
action "aws_lambda_invoke" "warm" {
  config {
    function_name = "warm-up"
  }
}
resource "aws_db_instance" "main" {
  engine              = "postgres"
  password_wo         = ephemeral.random_password.db.result
  password_wo_version = 1
}
"#;
    let json = r#"{
  "ephemeral": {"random_password": {"cache": {"length": 16}}},
  "action": {"aws_lambda_invoke": {"flush": {"config": {"function_name": "flush"}}}},
  "resource": {"aws_elasticache_cluster": {"main": {
    "engine": "redis",
    "auth_token": "${ephemeral.random_password.cache.result}"
  }}}
}"#;
    let dir = tree(&[
        ("hcl/main.tf", hcl),
        ("json/main.tf.json", json),
        (
            "other/main.tf",
            "frobnicate \"x\" \"y\" {\n  a = 1\n}\nresource \"aws_sns_topic\" \"t\" {}\n",
        ),
    ]);
    let s = snap(dir.path(), "hcl");
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
    assert_eq!(addresses(&s), vec!["aws_db_instance.main"]);
    assert_eq!(
        attr(&s, "aws_db_instance.main", "password_wo"),
        json!("${ephemeral.random_password.db.result}")
    );
    let s = snap(dir.path(), "json");
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
    assert_eq!(addresses(&s), vec!["aws_elasticache_cluster.main"]);
    assert_eq!(
        attr(&s, "aws_elasticache_cluster.main", "auth_token"),
        json!("${ephemeral.random_password.cache.result}")
    );
    let s = snap(dir.path(), "other");
    assert_eq!(addresses(&s), vec!["aws_sns_topic.t"]);
    assert_eq!(
        gaps(&s),
        "other/main.tf:1: unknown top-level block `frobnicate` ignored\n"
    );
}

#[test]
fn locals_resolve_in_dependency_order_across_files() {
    let dir = tree(&[
        // Declared last-needed first, across two files.
        (
            "a.tf",
            "locals {\n  full = \"${local.prefix}-${local.middle}\"\n}\nresource \"aws_x\" \"v\" {\n  name = local.full\n}\n",
        ),
        (
            "b.tf",
            "locals {\n  middle = upper(local.base)\n}\nlocals {\n  prefix = \"${local.base}-p\"\n  base   = var.base\n}\nvariable \"base\" {\n  default = \"app\"\n}\n",
        ),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(attr(&s, "aws_x.v", "name"), json!("app-p-APP"));
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn a_cycle_of_locals_is_an_error_that_names_the_cycle() {
    let dir = tree(&[
        (
            "envs/staging/main.tf",
            "locals {\n  a = local.b\n}\nresource \"aws_x\" \"v\" {\n  v = local.a\n}\n",
        ),
        (
            "envs/staging/more.tf",
            "locals {\n  b = \"${local.a}-x\"\n}\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["snapshot", "staging"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains("local.a -> local.b -> local.a"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

// ---------------------------------------------------------------------------
// Modules

#[test]
fn nested_local_modules_pass_inputs_down_and_outputs_back() {
    let dir = tree(&[
        (
            "envs/staging/main.tf",
            r#"
module "a" {
  source = "../../modules/a"
  name   = "shop"
}
module "b" {
  source = "../../modules/b"
  # An output of module.a is an input of module.b.
  upstream = module.a.id
}
resource "aws_x" "root" {
  from_b = module.b.chain
}
"#,
        ),
        (
            "modules/a/main.tf",
            r#"
variable "name" {}
output "id" { value = "a-${var.name}" }
"#,
        ),
        (
            "modules/b/main.tf",
            r#"
variable "upstream" {}
module "inner" {
  source = "../c"
  value  = "${var.upstream}/b"
}
output "chain" { value = module.inner.result }
"#,
        ),
        (
            "modules/c/main.tf",
            r#"
variable "value" {}
resource "aws_x" "leaf" {
  value = var.value
}
output "result" { value = "${var.value}/c" }
"#,
        ),
    ]);
    let s = snap(dir.path(), "envs/staging");
    assert_eq!(
        attr(&s, "module.b.module.inner.aws_x.leaf", "value"),
        json!("a-shop/b")
    );
    assert_eq!(attr(&s, "aws_x.root", "from_b"), json!("a-shop/b/c"));
    let leaf = res(&s, "module.b.module.inner.aws_x.leaf");
    assert_eq!(leaf.location.to_string(), "modules/c/main.tf:3");
    assert_eq!(leaf.rtype, "aws_x");
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn module_count_and_for_each_prefix_addresses() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
module "counted" {
  count  = 2
  source = "./m"
  name   = "c${count.index}"
}
module "keyed" {
  for_each = { blue = 1, green = 2 }
  source   = "./m"
  name     = "${each.key}-${each.value}"
}
resource "aws_x" "uses" {
  second = module.counted[1].name
  green  = module.keyed["green"].name
  all    = [for k, m in module.keyed : m.name]
}
"#,
        ),
        (
            "m/main.tf",
            "variable \"name\" {}\nresource \"aws_y\" \"r\" {\n  name = var.name\n}\noutput \"name\" { value = var.name }\n",
        ),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(attr(&s, "module.counted[0].aws_y.r", "name"), json!("c0"));
    assert_eq!(attr(&s, "module.counted[1].aws_y.r", "name"), json!("c1"));
    assert_eq!(
        attr(&s, "module.keyed[\"blue\"].aws_y.r", "name"),
        json!("blue-1")
    );
    assert_eq!(
        attr(&s, "module.keyed[\"green\"].aws_y.r", "name"),
        json!("green-2")
    );
    assert_eq!(attr(&s, "aws_x.uses", "second"), json!("c1"));
    assert_eq!(attr(&s, "aws_x.uses", "green"), json!("green-2"));
    assert_eq!(attr(&s, "aws_x.uses", "all"), json!(["blue-1", "green-2"]));
}

#[test]
fn path_module_and_path_root_are_relative_like_terraform() {
    // path.root is "."; path.module is the module's directory relative to
    // the root: "modules/in" below it, "../../modules/out" beside it.
    // file() and templatefile() read relative to path.module.
    let dir = tree(&[
        (
            "envs/staging/main.tf",
            r#"
module "in" {
  source = "./modules/in"
}
module "out" {
  source = "../../modules/out"
}
resource "aws_x" "root" {
  module = path.module
  root   = path.root
}
"#,
        ),
        (
            "envs/staging/modules/in/main.tf",
            "resource \"aws_x\" \"v\" {\n  module = path.module\n  text   = file(\"${path.module}/note.txt\")\n}\n",
        ),
        ("envs/staging/modules/in/note.txt", "inside\n"),
        (
            "modules/out/main.tf",
            r#"
resource "aws_x" "v" {
  module = path.module
  root   = path.root
  text   = file("${path.module}/note.txt")
  doc    = templatefile("${path.module}/t.tpl", { name = "shop", ports = [80, 443] })
}
"#,
        ),
        ("modules/out/note.txt", "beside\n"),
        (
            "modules/out/t.tpl",
            "service ${name}\n%{ for p in ports ~}\nport ${p}\n%{ endfor ~}\n",
        ),
    ]);
    let s = snap(dir.path(), "envs/staging");
    assert_eq!(attr(&s, "aws_x.root", "module"), json!("."));
    assert_eq!(attr(&s, "aws_x.root", "root"), json!("."));
    assert_eq!(attr(&s, "module.in.aws_x.v", "module"), json!("modules/in"));
    assert_eq!(attr(&s, "module.in.aws_x.v", "text"), json!("inside\n"));
    assert_eq!(
        attr(&s, "module.out.aws_x.v", "module"),
        json!("../../modules/out")
    );
    assert_eq!(attr(&s, "module.out.aws_x.v", "root"), json!("."));
    assert_eq!(attr(&s, "module.out.aws_x.v", "text"), json!("beside\n"));
    assert_eq!(
        attr(&s, "module.out.aws_x.v", "doc"),
        json!("service shop\nport 80\nport 443\n")
    );
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

// ---------------------------------------------------------------------------
// count / for_each

#[test]
fn count_addresses_instances_by_index() {
    let dir = tree(&[(
        "main.tf",
        r#"
variable "zones" { default = ["eu-west-1a", "eu-west-1b"] }
resource "aws_subnet" "private" {
  count             = length(var.zones)
  availability_zone = var.zones[count.index]
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index)
  name              = "private-${count.index}"
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        addresses(&s),
        ["aws_subnet.private[0]", "aws_subnet.private[1]"]
    );
    assert_eq!(
        attr(&s, "aws_subnet.private[1]", "availability_zone"),
        json!("eu-west-1b")
    );
    assert_eq!(
        attr(&s, "aws_subnet.private[1]", "cidr_block"),
        json!("10.0.1.0/24")
    );
    assert_eq!(
        attr(&s, "aws_subnet.private[0]", "name"),
        json!("private-0")
    );
}

/// Evaluation keeps, per count/for_each block, the values that name no
/// instance and copies them for the instances after the first: every way
/// an expression can name the instance (template, object, nested block,
/// dynamic block, for expression, conditional, function argument, index)
/// must still give each instance its own value, and a kept value must be
/// made relative to its module exactly once.
#[test]
fn values_that_name_the_instance_differ_and_the_rest_is_shared() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
module "svc" {
  source = "./modules/svc"
}
"#,
        ),
        (
            "modules/svc/main.tf",
            r#"
locals {
  base  = "x"
  sizes = [10, 20, 30]
}
resource "aws_sns_topic" "alerts" {
  name = "alerts"
}
resource "aws_instance" "app" {
  count         = 3
  ami           = "ami-1"
  topic         = aws_sns_topic.alerts.arn
  actions       = [aws_sns_topic.alerts.arn]
  name          = "app-${count.index}"
  tags          = { Name = format("app-%d", count.index), Fixed = local.base }
  offsets       = [for i in range(2) : i + count.index]
  role          = count.index == 0 ? "first" : "other"
  size          = local.sizes[count.index]
  same_template = "${local.base}-fixed"
  root_block_device {
    volume_size = 30
    kms_key_id  = aws_sns_topic.alerts.arn
  }
  ebs_block_device {
    device_name = "/dev/sd${count.index}"
  }
  dynamic "ingress" {
    for_each = [count.index]
    content {
      port = ingress.value
    }
  }
}
resource "aws_ssm_parameter" "p" {
  for_each    = { a = 1, b = 2 }
  description = each.value
  key         = "${each.key}"
  same     = "s"
}
"#,
        ),
    ]);
    let s = snap(dir.path(), ".");
    for i in 0..3 {
        let a = format!("module.svc.aws_instance.app[{i}]");
        assert_eq!(attr(&s, &a, "ami"), json!("ami-1"), "{a}");
        // Made relative to the module once, whether kept or not.
        assert_eq!(
            attr(&s, &a, "topic"),
            json!("${aws_sns_topic.alerts.arn}"),
            "{a}"
        );
        assert_eq!(
            attr(&s, &a, "actions"),
            json!(["${aws_sns_topic.alerts.arn}"]),
            "{a}"
        );
        assert_eq!(attr(&s, &a, "name"), json!(format!("app-{i}")), "{a}");
        assert_eq!(
            attr(&s, &a, "tags"),
            json!({"Fixed": "x", "Name": format!("app-{i}")}),
            "{a}"
        );
        assert_eq!(attr(&s, &a, "offsets"), json!([i, i + 1]), "{a}");
        assert_eq!(
            attr(&s, &a, "role"),
            json!(if i == 0 { "first" } else { "other" })
        );
        assert_eq!(attr(&s, &a, "size"), json!((i + 1) * 10), "{a}");
        assert_eq!(attr(&s, &a, "same_template"), json!("x-fixed"), "{a}");
        assert_eq!(
            attr(&s, &a, "root_block_device"),
            json!([{"kms_key_id": "${aws_sns_topic.alerts.arn}", "volume_size": 30}]),
            "{a}"
        );
        assert_eq!(
            attr(&s, &a, "ebs_block_device"),
            json!([{"device_name": format!("/dev/sd{i}")}]),
            "{a}"
        );
        assert_eq!(attr(&s, &a, "ingress"), json!([{"port": i}]), "{a}");
        assert_eq!(
            res(&s, &a)
                .attribute_location("ebs_block_device")
                .to_string(),
            "modules/svc/main.tf:24",
            "{a}"
        );
    }
    for (k, v) in [("a", 1), ("b", 2)] {
        let a = format!("module.svc.aws_ssm_parameter.p[\"{k}\"]");
        // `description` is a string argument of aws_ssm_parameter: the
        // provider schema's type makes each number a string, as in the plan.
        assert_eq!(attr(&s, &a, "description"), json!(v.to_string()), "{a}");
        assert_eq!(attr(&s, &a, "key"), json!(k), "{a}");
        assert_eq!(attr(&s, &a, "same"), json!("s"), "{a}");
    }
}

#[test]
fn for_each_over_a_map_and_a_set_addresses_by_key() {
    let dir = tree(&[(
        "main.tf",
        r#"
resource "aws_subnet" "by_map" {
  for_each   = { a = "10.0.1.0/24", b = "10.0.2.0/24" }
  cidr_block = each.value
  key        = each.key
}
resource "aws_iam_user" "by_set" {
  for_each = toset(["bob", "alice", "bob"])
  name     = each.value
  key      = each.key
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        addresses(&s),
        [
            "aws_iam_user.by_set[\"alice\"]",
            "aws_iam_user.by_set[\"bob\"]",
            "aws_subnet.by_map[\"a\"]",
            "aws_subnet.by_map[\"b\"]",
        ]
    );
    assert_eq!(
        attr(&s, "aws_subnet.by_map[\"b\"]", "cidr_block"),
        json!("10.0.2.0/24")
    );
    assert_eq!(attr(&s, "aws_subnet.by_map[\"b\"]", "key"), json!("b"));
    // For a set, each.key and each.value are both the element.
    assert_eq!(
        attr(&s, "aws_iam_user.by_set[\"bob\"]", "key"),
        json!("bob")
    );
    assert_eq!(
        attr(&s, "aws_iam_user.by_set[\"bob\"]", "name"),
        json!("bob")
    );
}

#[test]
fn for_each_over_another_resource_uses_its_keys() {
    let dir = tree(&[(
        "main.tf",
        r#"
resource "aws_subnet" "public" {
  for_each   = { a = "10.0.1.0/24", b = "10.0.2.0/24" }
  cidr_block = each.value
}
resource "aws_route_table_association" "public" {
  for_each  = aws_subnet.public
  subnet_id = each.value.id
  zone      = each.key
}
resource "aws_x" "n" {
  subnets = length(aws_subnet.public)
  ids     = [for s in aws_subnet.public : s.id]
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        attr(&s, "aws_route_table_association.public[\"a\"]", "subnet_id"),
        json!("${aws_subnet.public[\"a\"].id}")
    );
    assert_eq!(
        attr(&s, "aws_route_table_association.public[\"b\"]", "zone"),
        json!("b")
    );
    assert_eq!(attr(&s, "aws_x.n", "subnets"), json!(2));
    assert_eq!(
        attr(&s, "aws_x.n", "ids"),
        json!([
            "${aws_subnet.public[\"a\"].id}",
            "${aws_subnet.public[\"b\"].id}"
        ])
    );
}

#[test]
fn count_of_zero_declares_no_instance() {
    let dir = tree(&[(
        "main.tf",
        r#"
variable "enabled" { default = false }
resource "aws_x" "off" {
  count = var.enabled ? 1 : 0
  name  = "x"
}
resource "aws_x" "on" {
  count = 1
}
resource "aws_x" "uses" {
  n = length(aws_x.off)
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    assert_eq!(addresses(&s), ["aws_x.on[0]", "aws_x.uses"]);
    assert_eq!(attr(&s, "aws_x.uses", "n"), json!(0));
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn count_and_for_each_unknown_before_apply_are_coverage_gaps() {
    let dir = tree(&[(
        "main.tf",
        r#"
resource "aws_vpc" "main" {}
resource "aws_x" "by_count" {
  count = aws_vpc.main.id == "" ? 0 : 1
  index = count.index
}
resource "aws_x" "by_each" {
  for_each = aws_vpc.main.tags
  key      = each.key
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    assert!(
        addresses(&s).contains(&"aws_x.by_count"),
        "{:?}",
        addresses(&s)
    );
    assert!(
        addresses(&s).contains(&"aws_x.by_each"),
        "{:?}",
        addresses(&s)
    );
    assert_eq!(attr(&s, "aws_x.by_count", "index"), json!("${count.index}"));
    let g = gaps(&s);
    assert!(
        g.contains("main.tf:3: count is not known before apply"),
        "{g}"
    );
    assert!(
        g.contains("main.tf:7: for_each is not known before apply"),
        "{g}"
    );
}

// ---------------------------------------------------------------------------
// Blocks

#[test]
fn dynamic_blocks_expand_with_and_without_iterator() {
    let dir = tree(&[(
        "main.tf",
        r#"
variable "ports" { default = [80, 443] }
resource "aws_security_group" "web" {
  name = "web"
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
  dynamic "egress" {
    for_each = { https = 443, dns = 53 }
    iterator = rule
    content {
      description = rule.key
      from_port   = rule.value
    }
  }
  egress {
    description = "static"
    from_port   = 0
  }
  timeouts {
    create = "5m"
  }
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    let r = "aws_security_group.web";
    assert_eq!(
        attr(&s, r, "ingress"),
        json!([
            {"from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]},
            {"from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}
        ])
    );
    // Static and dynamic blocks of one type make one list; map keys iterate
    // in lexical order.
    let egress = attr(&s, r, "egress");
    let egress = egress.as_array().expect("list of blocks");
    assert_eq!(egress.len(), 3, "{egress:?}");
    for want in [
        json!({"description": "static", "from_port": 0}),
        json!({"description": "dns", "from_port": 53}),
        json!({"description": "https", "from_port": 443}),
    ] {
        assert!(egress.contains(&want), "{want} not in {egress:?}");
    }
    assert_eq!(attr(&s, r, "timeouts"), json!([{"create": "5m"}]));
    let resource = res(&s, r);
    assert_eq!(
        resource.attribute_locations["ingress"].to_string(),
        "main.tf:5"
    );
}

// ---------------------------------------------------------------------------
// Expressions

#[test]
fn for_expressions_splats_and_conditionals() {
    let dir = tree(&[(
        "main.tf",
        r#"
locals {
  numbers = [1, 2, 3, 4]
  sizes   = { small = 1, medium = 2, large = 3 }
  users = [
    { name = "ann", team = "ops" },
    { name = "bob", team = "dev" },
    { name = "cid", team = "ops" },
  ]
}
resource "aws_x" "e" {
  evens    = [for n in local.numbers : n * 10 if n % 2 == 0]
  upper    = { for k, v in local.sizes : upper(k) => v if v > 1 }
  by_team  = { for u in local.users : u.team => u.name... }
  names    = local.users[*].name
  indexed  = [for i, u in local.users : "${i}:${u.name}"]
  pick     = length(local.numbers) > 3 ? "many" : "few"
  nested   = local.sizes["medium"] == 2 ? { ok = true } : { ok = false }
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    let r = "aws_x.e";
    assert_eq!(attr(&s, r, "evens"), json!([20, 40]));
    assert_eq!(attr(&s, r, "upper"), json!({"MEDIUM": 2, "LARGE": 3}));
    assert_eq!(
        attr(&s, r, "by_team"),
        json!({"ops": ["ann", "cid"], "dev": ["bob"]})
    );
    assert_eq!(attr(&s, r, "names"), json!(["ann", "bob", "cid"]));
    assert_eq!(attr(&s, r, "indexed"), json!(["0:ann", "1:bob", "2:cid"]));
    assert_eq!(attr(&s, r, "pick"), json!("many"));
    assert_eq!(attr(&s, r, "nested"), json!({"ok": true}));
}

#[test]
fn string_templates_with_directives_and_strip_markers() {
    let dir = tree(&[(
        "main.tf",
        r#"
locals {
  items = ["a", "b", "c"]
  on    = true
}
resource "aws_x" "t" {
  if_else   = "%{ if local.on }enabled%{ else }disabled%{ endif }"
  if_false  = "x%{ if !local.on }never%{ endif }y"
  loop      = "%{ for i in local.items }${i},%{ endfor }"
  stripped  = "%{ for i in local.items ~} [${i}] %{~ endfor }"
  keyed     = "%{ for k, v in { b = 2, a = 1 } }${k}=${v};%{ endfor }"
  single    = "${length(local.items)}"
  mixed     = "n=${length(local.items)}"
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    let r = "aws_x.t";
    assert_eq!(attr(&s, r, "if_else"), json!("enabled"));
    assert_eq!(attr(&s, r, "if_false"), json!("xy"));
    assert_eq!(attr(&s, r, "loop"), json!("a,b,c,"));
    assert_eq!(attr(&s, r, "stripped"), json!("[a][b][c]"));
    assert_eq!(attr(&s, r, "keyed"), json!("a=1;b=2;"));
    // A template that is a single interpolation is the value itself.
    assert_eq!(attr(&s, r, "single"), json!(3));
    assert_eq!(attr(&s, r, "mixed"), json!("n=3"));
}

#[test]
fn heredocs_plain_and_indented_with_directives() {
    // `<<-` removes the smallest indentation of the lines (the closing
    // marker's line does not count); directives work inside both forms.
    let main = [
        "locals {",
        "  hosts = [\"a\", \"b\"]",
        "}",
        "resource \"aws_x\" \"h\" {",
        "  plain = <<EOT",
        "first",
        "  second ${length(local.hosts)}",
        "EOT",
        "  loop = <<EOT",
        "%{ for h in local.hosts ~}",
        "host ${h}",
        "%{ endfor ~}",
        "EOT",
        "  indented = <<-EOT",
        "    hosts:",
        "      %{ for h in local.hosts }- ${h}",
        "      %{ endfor }end",
        "  EOT",
        "  condition = <<-EOT",
        "    %{ if length(local.hosts) > 1 }many%{ else }one%{ endif }",
        "    EOT",
        "}",
        "",
    ]
    .join("\n");
    let dir = tree(&[("main.tf", &main)]);
    let s = snap(dir.path(), ".");
    let r = "aws_x.h";
    assert_eq!(attr(&s, r, "plain"), json!("first\n  second 2\n"));
    assert_eq!(attr(&s, r, "loop"), json!("host a\nhost b\n"));
    assert_eq!(
        attr(&s, r, "indented"),
        json!("hosts:\n  - a\n  - b\n  end\n")
    );
    assert_eq!(attr(&s, r, "condition"), json!("many\n"));
}

#[test]
fn terraform_workspace_comes_from_parity_toml() {
    let dir = tree(&[
        (
            "infra/main.tf",
            "resource \"aws_x\" \"w\" {\n  name = \"app-${terraform.workspace}\"\n}\n",
        ),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"infra\", workspace = \"staging\" }\n[environments.prod]\nterraform = { root = \"infra\" }\n",
        ),
    ]);
    let out = parity(dir.path())
        .args(["snapshot", "staging"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        snap["resources"][0]["attributes"]["name"],
        json!("app-staging")
    );
    let out = parity(dir.path())
        .args(["snapshot", "prod"])
        .output()
        .expect("run");
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        snap["resources"][0]["attributes"]["name"],
        json!("app-default")
    );
}

#[test]
fn try_and_can_catch_evaluation_errors() {
    let dir = tree(&[(
        "main.tf",
        r#"
locals {
  m = { a = 1 }
  l = ["x"]
}
resource "aws_x" "t" {
  first_ok  = try(local.m.missing, local.l[5], "fallback")
  first     = try(local.m.a, "fallback")
  can_no    = can(local.m.missing)
  can_yes   = can(local.l[0])
  can_regex = can(regex("^[a-z]+$", "abc"))
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    let r = "aws_x.t";
    assert_eq!(attr(&s, r, "first_ok"), json!("fallback"));
    assert_eq!(attr(&s, r, "first"), json!(1));
    assert_eq!(attr(&s, r, "can_no"), json!(false));
    assert_eq!(attr(&s, r, "can_yes"), json!(true));
    assert_eq!(attr(&s, r, "can_regex"), json!(true));
    // An error caught by try/can is not a gap in coverage.
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn resource_references_stay_symbolic_and_compare_equal() {
    let env = |cidr: &str| {
        format!(
            "resource \"aws_vpc\" \"main\" {{\n  cidr_block = \"{cidr}\"\n}}\nresource \"aws_subnet\" \"a\" {{\n  vpc_id     = aws_vpc.main.id\n  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, 0)\n}}\nresource \"aws_security_group\" \"db\" {{\n  vpc_id = aws_vpc.main.id\n  name   = \"db-${{aws_vpc.main.id}}\"\n}}\n"
        )
    };
    let staging = env("10.10.0.0/16");
    let prod = env("10.20.0.0/16");
    let dir = tree(&[
        ("envs/staging/main.tf", &staging),
        ("envs/prod/main.tf", &prod),
    ]);
    let s = snap(dir.path(), "envs/staging");
    assert_eq!(
        attr(&s, "aws_subnet.a", "vpc_id"),
        json!("${aws_vpc.main.id}")
    );
    assert_eq!(
        res(&s, "aws_subnet.a").attributes["vpc_id"],
        Value::Unknown("aws_vpc.main.id".into())
    );
    assert_eq!(
        attr(&s, "aws_security_group.db", "name"),
        json!("db-${aws_vpc.main.id}")
    );
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings.iter().all(|f| f["attribute"] != "vpc_id"),
        "{findings:?}"
    );
}

#[test]
fn references_into_another_module_keep_its_address() {
    // Two calls of one module: the root wires the subnet group to one of
    // them, and that choice must show in the value. Inside a module its own
    // resources are referred to as written there.
    let dir = tree(&[
        (
            "main.tf",
            r#"
module "private" {
  source = "./subnets"
}
module "public" {
  source = "./subnets"
}
resource "aws_db_subnet_group" "db" {
  subnet_ids = module.private.ids
}
"#,
        ),
        (
            "subnets/main.tf",
            r#"
resource "aws_subnet" "this" {
  count = 2
}
resource "aws_route_table_association" "this" {
  count     = 2
  subnet_id = aws_subnet.this[count.index].id
}
output "ids" { value = aws_subnet.this[*].id }
"#,
        ),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        attr(&s, "aws_db_subnet_group.db", "subnet_ids"),
        json!([
            "${module.private.aws_subnet.this[0].id}",
            "${module.private.aws_subnet.this[1].id}"
        ])
    );
    assert_eq!(
        attr(
            &s,
            "module.public.aws_route_table_association.this[1]",
            "subnet_id"
        ),
        json!("${aws_subnet.this[1].id}")
    );
}

#[test]
fn a_missing_map_key_is_a_coverage_gap_and_stays_symbolic() {
    let dir = tree(&[(
        "main.tf",
        r#"
variable "sizes" {
  default = { staging = "small" }
}
resource "aws_x" "m" {
  size  = var.sizes["prod"]
  other = "ok"
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    assert_eq!(attr(&s, "aws_x.m", "size"), json!("${var.sizes[\"prod\"]}"));
    assert_eq!(attr(&s, "aws_x.m", "other"), json!("ok"));
    let g = gaps(&s);
    assert!(g.contains("main.tf:6: key `prod` not found in map"), "{g}");
}

#[test]
fn symbolic_values_keep_the_known_values_they_were_built_from() {
    // An unknown condition or function argument keeps the evaluated parts:
    // two environments whose variables differ must not compare equal just
    // because the expression text is the same.
    let main = r#"
variable "big" {}
variable "tags" {}
resource "aws_vpc" "main" {}
resource "aws_x" "v" {
  pick     = aws_vpc.main.id != "" ? var.big : "small"
  merged   = merge(aws_vpc.main.tags, var.tags)
  text     = "%{ if aws_vpc.main.id != "" }${var.big}%{ endif }"
  sum      = length(aws_vpc.main.tags) + length(var.tags)
  ids      = aws_vpc.main.tags[*]
}
"#;
    let dir = tree(&[
        ("a/main.tf", main),
        (
            "a/terraform.tfvars",
            "big = \"large\"\ntags = { team = \"a\" }\n",
        ),
        ("b/main.tf", main),
        (
            "b/terraform.tfvars",
            "big = \"xlarge\"\ntags = { team = \"b\" }\n",
        ),
    ]);
    let a = snap(dir.path(), "a");
    let b = snap(dir.path(), "b");
    for name in ["pick", "merged", "text"] {
        assert_ne!(
            attr(&a, "aws_x.v", name),
            attr(&b, "aws_x.v", name),
            "{name}"
        );
    }
    assert_eq!(
        attr(&a, "aws_x.v", "pick"),
        json!("${aws_vpc.main.id != \"\" ? \"large\" : \"small\"}")
    );
    assert_eq!(
        attr(&a, "aws_x.v", "merged"),
        json!("${merge(aws_vpc.main.tags, { team = \"a\" })}")
    );
    assert_eq!(
        attr(&a, "aws_x.v", "sum"),
        json!("${length(aws_vpc.main.tags) + 1}")
    );
    assert_eq!(attr(&a, "aws_x.v", "ids"), json!("${aws_vpc.main.tags[*]}"));
}

// ---------------------------------------------------------------------------
// IAM policy documents

fn policy_json(s: &Snapshot, address: &str, name: &str) -> serde_json::Value {
    let text = res(s, address).attributes[name]
        .as_str()
        .unwrap_or_else(|| panic!("{address}.{name} is not a string"))
        .to_string();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn policy_document_renders_the_provider_json() {
    let dir = tree(&[(
        "main.tf",
        r#"
resource "aws_vpc" "main" {}
data "aws_iam_policy_document" "doc" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:aws:s3:::bucket/*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111111111111:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceVpc"
      values   = [aws_vpc.main.id]
    }
  }
  statement {
    effect  = "Deny"
    actions = ["s3:DeleteObject"]
    not_resources = ["arn:aws:s3:::bucket/keep/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.doc.json
}
resource "aws_iam_policy" "min" {
  policy = data.aws_iam_policy_document.doc.minified_json
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    let want = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": "arn:aws:s3:::bucket/*",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Condition": {"StringEquals": {"aws:SourceVpc": "${aws_vpc.main.id}"}}
            },
            {
                "Effect": "Deny",
                "Action": "s3:DeleteObject",
                "NotResource": "arn:aws:s3:::bucket/keep/*",
                "Principal": "*"
            }
        ]
    });
    assert_eq!(policy_json(&s, "aws_iam_policy.p", "policy"), want);
    assert_eq!(policy_json(&s, "aws_iam_policy.min", "policy"), want);
    let min = res(&s, "aws_iam_policy.min").attributes["policy"]
        .as_str()
        .expect("string")
        .to_string();
    assert!(!min.contains('\n'), "{min}");
    // The data source itself is not a resource of the environment.
    assert!(
        !addresses(&s)
            .iter()
            .any(|a| a.contains("aws_iam_policy_document")),
        "{:?}",
        addresses(&s)
    );
}

#[test]
fn policy_document_merges_source_and_override_documents_by_sid() {
    let dir = tree(&[(
        "main.tf",
        r#"
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
  statement {
    sid       = "List"
    actions   = ["s3:ListBucket"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "override" {
  statement {
    sid       = "List"
    actions   = ["s3:ListAllMyBuckets"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "merged" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.override.json]
  statement {
    sid       = "Read"
    actions   = ["s3:GetObjectVersion"]
    resources = ["*"]
  }
  statement {
    sid       = "Write"
    actions   = ["s3:PutObject"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.merged.json
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    let doc = policy_json(&s, "aws_iam_policy.p", "policy");
    let statements = doc["Statement"].as_array().expect("statements");
    let by_sid = |sid: &str| {
        statements
            .iter()
            .find(|st| st["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid} in {doc}"))
            .clone()
    };
    assert_eq!(statements.len(), 3, "{doc}");
    // The document's own statement replaces the source's with the same Sid;
    // the override document replaces last.
    assert_eq!(by_sid("Read")["Action"], json!("s3:GetObjectVersion"));
    assert_eq!(by_sid("List")["Action"], json!("s3:ListAllMyBuckets"));
    assert_eq!(by_sid("Write")["Action"], json!("s3:PutObject"));
}

#[test]
fn policy_documents_with_for_each_and_count_render_per_instance() {
    let dir = tree(&[(
        "main.tf",
        r#"
variable "buckets" {
  default = { a = "alpha", b = "beta" }
}
data "aws_iam_policy_document" "read" {
  for_each = var.buckets
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${each.value}/*"]
  }
}
resource "aws_s3_bucket_policy" "p" {
  for_each = var.buckets
  bucket   = each.value
  policy   = data.aws_iam_policy_document.read[each.key].json
}
data "aws_iam_policy_document" "list" {
  count = 1
  statement {
    actions   = ["s3:ListBucket"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "list" {
  policy = data.aws_iam_policy_document.list[0].json
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        policy_json(&s, "aws_s3_bucket_policy.p[\"b\"]", "policy")["Statement"][0]["Resource"],
        json!("arn:aws:s3:::beta/*")
    );
    assert_eq!(
        policy_json(&s, "aws_iam_policy.list", "policy")["Statement"][0]["Action"],
        json!("s3:ListBucket")
    );
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

// ---------------------------------------------------------------------------
// Dependencies

#[test]
fn dependencies_record_versions_providers_and_the_lock_file() {
    let dir = tree(&[
        (
            "main.tf",
            r#"terraform {
  required_version = ">= 1.6.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
    random = {
      source = "hashicorp/random"
    }
  }
}
"#,
        ),
        (
            ".terraform.lock.hcl",
            "# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n\nprovider \"registry.terraform.io/hashicorp/aws\" {\n  version     = \"5.42.0\"\n  constraints = \"~> 5.40\"\n  hashes = [\n    \"h1:abc=\",\n  ]\n}\n",
        ),
    ]);
    let s = snap(dir.path(), ".");
    let tf = dep(&s, "terraform");
    assert_eq!(tf.rtype, "terraform");
    assert_eq!(tf.attributes["required_version"], Value::str(">= 1.6.0"));
    assert_eq!(
        tf.attribute_locations["required_version"].to_string(),
        "main.tf:2"
    );
    let aws = dep(&s, "provider[\"registry.terraform.io/hashicorp/aws\"]");
    assert_eq!(aws.rtype, "terraform_provider");
    assert_eq!(
        aws.attributes["source"],
        Value::str("registry.terraform.io/hashicorp/aws")
    );
    assert_eq!(aws.attributes["version_constraint"], Value::str("~> 5.40"));
    assert_eq!(aws.attributes["locked_version"], Value::str("5.42.0"));
    assert_eq!(
        aws.attribute_locations["locked_version"].to_string(),
        ".terraform.lock.hcl:5"
    );
    assert_eq!(
        aws.attribute_locations["version_constraint"].to_string(),
        "main.tf:4"
    );
    let random = dep(&s, "provider[\"registry.terraform.io/hashicorp/random\"]");
    assert!(!random.attributes.contains_key("locked_version"));
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn module_calls_are_recorded_and_remote_ones_are_coverage_gaps() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.1.2"
  name    = "main"
}
module "db" {
  source = "git::https://github.com/acme/db.git?ref=v1.4.0"
}
module "local" {
  source = "./local"
}
resource "aws_x" "uses" {
  vpc = module.vpc.vpc_id
}
"#,
        ),
        ("local/main.tf", "output \"x\" { value = 1 }\n"),
    ]);
    let s = snap(dir.path(), ".");
    let vpc = dep(&s, "module.vpc");
    assert_eq!(vpc.rtype, "module_call");
    assert_eq!(
        vpc.attributes["source"],
        Value::str("terraform-aws-modules/vpc/aws")
    );
    assert_eq!(vpc.attributes["version"], Value::str("5.1.2"));
    assert_eq!(vpc.attributes["source_kind"], Value::str("registry"));
    assert_eq!(vpc.attribute_locations["version"].to_string(), "main.tf:4");
    let db = dep(&s, "module.db");
    assert_eq!(
        db.attributes["source"],
        Value::str("git::https://github.com/acme/db.git")
    );
    assert_eq!(db.attributes["ref"], Value::str("v1.4.0"));
    assert_eq!(db.attributes["source_kind"], Value::str("git"));
    let local = dep(&s, "module.local");
    assert_eq!(local.attributes["source_kind"], Value::str("local"));
    // Outputs of a module that was not expanded stay symbolic.
    assert_eq!(attr(&s, "aws_x.uses", "vpc"), json!("${module.vpc.vpc_id}"));
    let g = gaps(&s);
    assert!(
        g.contains("module.vpc: module source `terraform-aws-modules/vpc/aws` is not local"),
        "{g}"
    );
    assert!(g.contains("module.db: module source `git::"), "{g}");
    assert!(!g.contains("module.local"), "{g}");
}

#[test]
fn an_unreadable_dependency_constant_is_a_coverage_gap() {
    let dir = tree(&[(
        "main.tf",
        "variable \"v\" { default = \"1.0\" }\nterraform {\n  required_version = var.v\n}\n",
    )]);
    let s = snap(dir.path(), ".");
    assert_eq!(
        dep(&s, "terraform").attributes["required_version"],
        Value::Null
    );
    let g = gaps(&s);
    assert!(g.contains("main.tf:3: cannot evaluate"), "{g}");
}

// ---------------------------------------------------------------------------
// Robustness

#[test]
fn duplicate_declarations_are_coverage_gaps_not_two_resources() {
    let dir = tree(&[
        (
            "a.tf",
            "resource \"aws_x\" \"y\" {\n  v = 1\n}\nlocals {\n  l = 1\n}\n",
        ),
        (
            "b.tf",
            "resource \"aws_x\" \"y\" {\n  v = 2\n}\nlocals {\n  l = 2\n}\n",
        ),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(addresses(&s), ["aws_x.y"]);
    assert_eq!(attr(&s, "aws_x.y", "v"), json!(1));
    let g = gaps(&s);
    assert!(g.contains("b.tf:1: duplicate resource `aws_x.y`"), "{g}");
    assert!(g.contains("b.tf:5: duplicate local value `l`"), "{g}");
}

#[test]
fn override_files_are_coverage_gaps_not_duplicates() {
    let dir = tree(&[
        ("main.tf", "resource \"aws_x\" \"y\" {\n  v = 1\n}\n"),
        ("override.tf", "resource \"aws_x\" \"y\" {\n  v = 2\n}\n"),
        ("db_override.tf", "resource \"aws_x\" \"y\" {\n  w = 3\n}\n"),
    ]);
    let s = snap(dir.path(), ".");
    assert_eq!(addresses(&s), ["aws_x.y"]);
    let g = gaps(&s);
    assert!(
        g.contains("override.tf: override file not merged yet"),
        "{g}"
    );
    assert!(
        g.contains("db_override.tf: override file not merged yet"),
        "{g}"
    );
    assert!(!g.contains("duplicate"), "{g}");
}

/// Files of one root module: (path, bytes).
type Files<'a> = Vec<(&'a str, &'a [u8])>;

/// Run the binary on one broken root module: it may fail (1), or succeed
/// with or without gaps (0, 2, 3), but never panic or crash.
fn assert_no_panic(name: &str, files: &[(&str, &[u8])]) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, bytes) in files {
        let p = dir.path().join("env").join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write");
    }
    std::fs::create_dir_all(dir.path().join("env")).expect("mkdir");
    let out = parity(dir.path())
        .args(["snapshot", "env"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    let err = stderr(&out);
    assert!(
        matches!(out.status.code(), Some(0..=3)),
        "{name}: exit {:?}\n{err}",
        out.status.code()
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(!err.contains("overflow"), "{name}: {err}");
    if out.status.code() == Some(1) {
        assert!(err.starts_with("error: "), "{name}: {err}");
    }
}

#[test]
fn malformed_inputs_never_panic() {
    let deep = format!(
        "resource \"x\" \"y\" {{\n  a = {}1{}\n}}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    let deep_blocks = format!(
        "resource \"x\" \"y\" {{\n{}{}}}\n",
        "b {\n".repeat(100),
        "}\n".repeat(100)
    );
    let long_chain = format!(
        "resource \"x\" \"y\" {{\n  a = {}\n}}\n",
        vec!["1"; 2000].join(" + ")
    );
    let cases: Vec<(&str, Files)> = vec![
        ("unclosed brace", vec![("main.tf", b"resource \"aws_x\" \"y\" {\n  a = 1\n")]),
        ("unclosed object", vec![("main.tf", b"locals {\n  a = {\n}\n")]),
        ("bad heredoc", vec![("main.tf", b"locals {\n  a = <<EOT\nno end\n}\n")]),
        ("unknown block", vec![("main.tf", b"frobnicate \"a\" {\n  b = 1\n}\n")]),
        ("top-level attribute", vec![("main.tf", b"a = 1\n")]),
        ("count string", vec![("main.tf", b"resource \"x\" \"y\" {\n  count = \"x\"\n}\n")]),
        ("count negative", vec![("main.tf", b"resource \"x\" \"y\" {\n  count = -1\n}\n")]),
        ("count huge", vec![("main.tf", b"resource \"x\" \"y\" {\n  count = 1e12\n}\n")]),
        ("for_each number", vec![("main.tf", b"resource \"x\" \"y\" {\n  for_each = 3\n}\n")]),
        ("for_each mixed list", vec![("main.tf", b"resource \"x\" \"y\" {\n  for_each = [\"a\", 1, null]\n}\n")]),
        ("deep nesting", vec![("main.tf", deep.as_bytes())]),
        ("deep blocks", vec![("main.tf", deep_blocks.as_bytes())]),
        ("long operator chain", vec![("main.tf", long_chain.as_bytes())]),
        ("empty file", vec![("main.tf", b"")]),
        ("only comments", vec![("main.tf", b"# nothing\n// here\n/* at all */\n")]),
        ("binary junk", vec![("main.tf", b"\x00\x01\x02\xff\xfe\x80resource")]),
        ("invalid utf8 in string", vec![("main.tf", b"locals {\n  a = \"\xff\xfe\"\n}\n")]),
        ("module calling itself", vec![("main.tf", b"module \"me\" {\n  source = \"./\"\n}\n")]),
        ("modules calling each other", vec![
            ("main.tf", b"module \"a\" {\n  source = \"./a\"\n}\n"),
            ("a/main.tf", b"module \"b\" {\n  source = \"../b\"\n}\n"),
            ("b/main.tf", b"module \"a\" {\n  source = \"../a\"\n}\n"),
        ]),
        ("module without source", vec![("main.tf", b"module \"m\" {}\n")]),
        ("module missing dir", vec![("main.tf", b"module \"m\" {\n  source = \"./nope\"\n}\n")]),
        ("resource without labels", vec![("main.tf", b"resource {}\n")]),
        ("self reference", vec![("main.tf", b"resource \"x\" \"y\" {\n  count = length(x.y)\n}\n")]),
        ("unknown function", vec![("main.tf", b"locals {\n  a = nope(1)\n}\n")]),
        ("division by zero", vec![("main.tf", b"locals {\n  a = 1 / 0\n}\nresource \"x\" \"y\" {\n  a = local.a\n}\n")]),
        ("bad type", vec![("main.tf", b"variable \"v\" {\n  type = strng\n}\n")]),
        ("bad default", vec![("main.tf", b"variable \"v\" {\n  type = number\n  default = \"abc\"\n}\n")]),
        ("dynamic without content", vec![("main.tf", b"resource \"x\" \"y\" {\n  dynamic \"b\" {\n    for_each = [1]\n  }\n}\n")]),
        ("dynamic over number", vec![("main.tf", b"resource \"x\" \"y\" {\n  dynamic \"b\" {\n    for_each = 3\n    content {}\n  }\n}\n")]),
        ("template missing file", vec![("main.tf", b"locals {\n  a = templatefile(\"none.tpl\", {})\n}\n")]),
        ("bad template file", vec![
            ("main.tf", b"locals {\n  a = templatefile(\"t.tpl\", {})\n}\n"),
            ("t.tpl", b"${unclosed"),
        ]),
        ("broken tfvars", vec![
            ("main.tf", b"variable \"a\" {}\n"),
            ("terraform.tfvars", b"a = [\n"),
        ]),
        ("broken tfvars json", vec![
            ("main.tf", b"variable \"a\" {}\n"),
            ("terraform.tfvars.json", b"{\"a\": "),
        ]),
        ("tfvars json not an object", vec![
            ("main.tf", b"variable \"a\" {}\n"),
            ("terraform.tfvars.json", b"[1, 2]"),
        ]),
        ("broken lock file", vec![
            ("main.tf", b"terraform {}\n"),
            (".terraform.lock.hcl", b"provider \"x\" {\n"),
        ]),
        ("policy document garbage", vec![("main.tf", b"data \"aws_iam_policy_document\" \"d\" {\n  statement = 3\n  source_policy_documents = [\"not json\", 1]\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = data.aws_iam_policy_document.d.json\n}\n")]),
        ("for expression over null", vec![("main.tf", b"locals {\n  a = [for x in null : x]\n}\nresource \"x\" \"y\" {\n  a = local.a\n}\n")]),
        ("splat of string", vec![("main.tf", b"resource \"x\" \"y\" {\n  a = \"s\"[*].id\n}\n")]),
        ("huge range", vec![("main.tf", b"resource \"x\" \"y\" {\n  a = range(0, 1e9)\n}\n")]),
        ("cidrsubnet overflow", vec![("main.tf", b"resource \"x\" \"y\" {\n  a = cidrsubnet(\"10.0.0.0/16\", 40, 1)\n}\n")]),
        ("tf.json truncated", vec![("main.tf.json", b"{\"resource\": {\"x\": {\"y\": {\"a\": ")]),
        ("tf.json scalar root", vec![("main.tf.json", b"42")]),
        ("tf.json wrong shapes", vec![("main.tf.json", b"{\"resource\": [1, \"a\", null], \"variable\": {\"v\": 3}, \"locals\": 1}")]),
        ("tf.json bad template", vec![("main.tf.json", b"{\"locals\": {\"a\": \"${unclosed\"}, \"resource\": {\"x\": {\"y\": {\"a\": \"${local.a}\"}}}}")]),
        ("tf.json bad type expression", vec![("main.tf.json", b"{\"variable\": {\"v\": {\"type\": \"list(\"}}}")]),
        ("tf.json lone surrogate", vec![("main.tf.json", b"{\"locals\": {\"a\": \"\\ud800\"}}")]),
        ("tf.json deep", vec![("main.tf.json", format!("{{\"locals\": {{\"a\": {}1{}}}}}", "[".repeat(500), "]".repeat(500)).into_bytes().leak())]),
        ("manifest not json", vec![
            ("main.tf", b"module \"m\" {\n  source = \"a/b/c\"\n}\n"),
            (".terraform/modules/modules.json", b"not json"),
        ]),
        ("manifest wrong shape", vec![
            ("main.tf", b"module \"m\" {\n  source = \"a/b/c\"\n}\n"),
            (".terraform/modules/modules.json", b"{\"Modules\": {\"Key\": 1}}"),
        ]),
        ("manifest dir escapes", vec![
            ("main.tf", b"module \"m\" {\n  source = \"a/b/c\"\n}\n"),
            (".terraform/modules/modules.json", b"{\"Modules\": [{\"Key\": \"m\", \"Source\": \"a/b/c\", \"Dir\": \"/\"}, {\"Key\": \"m.m\", \"Dir\": \"..\"}]}"),
        ]),
        ("manifest module calling itself", vec![
            ("main.tf", b"module \"m\" {\n  source = \"a/b/c\"\n}\n"),
            (".terraform/modules/modules.json", b"{\"Modules\": [{\"Key\": \"m\", \"Source\": \"a/b/c\", \"Dir\": \".\"}]}"),
        ]),
    ];
    assert!(cases.len() >= 30);
    for (name, files) in &cases {
        assert_no_panic(name, files);
    }
}

#[test]
fn a_module_calling_itself_is_an_error_not_a_stack_overflow() {
    let dir = tree(&[("env/main.tf", "module \"me\" {\n  source = \"./\"\n}\n")]);
    let out = parity(dir.path())
        .args(["snapshot", "env"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("a module calling itself?"), "{err}");
}

#[test]
fn a_very_long_reference_chain_evaluates_without_a_stack_overflow() {
    // Each local refers to the next: names are resolved recursively, which
    // used to abort the process with a stack overflow. Evaluation now runs
    // on a thread with a large stack (and a depth budget behind it).
    let mut main = String::from("locals {\n");
    for i in 0..3000 {
        main.push_str(&format!("  a{i} = local.a{}\n", i + 1));
    }
    main.push_str("  a3000 = 1\n}\nresource \"x\" \"y\" {\n  v = local.a0\n}\n");
    let dir = tree(&[("env/main.tf", &main)]);
    let out = parity(dir.path())
        .args(["snapshot", "env"])
        .output()
        .expect("run");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["resources"][0]["attributes"]["v"], 1);

    // A chain of ordinary length still evaluates, on a test thread's
    // 2 MiB stack, each level a function call over a for expression.
    let mut main = String::from("locals {\n");
    for i in 0..25 {
        main.push_str(&format!(
            "  a{i} = join(\"\", [for c in [local.a{}] : \"${{c}}x\" if c != null])\n",
            i + 1
        ));
    }
    main.push_str("  a25 = \"\"\n}\nresource \"x\" \"y\" {\n  v = local.a0\n}\n");
    let dir = tree(&[("main.tf", &main)]);
    let s = snap(dir.path(), ".");
    assert_eq!(attr(&s, "x.y", "v"), json!("x".repeat(25)));
}

#[test]
fn repeated_object_keys_keep_the_last_value() {
    let dir = tree(&[(
        "env/main.tf",
        "locals {\n  tags = {\n    Team = \"a\"\n    \"Owner\" = \"x\"\n    Team = \"b\"\n    \"Owner\" = \"y\"\n  }\n}\nresource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.0.0.0/16\"\n  tags       = local.tags\n}\n",
    )]);
    let s = snap(dir.path(), "env");
    let tags = &s.resources[0].attributes["tags"];
    assert_eq!(tags.get_path("Team"), Some(&Value::str("b")));
    assert_eq!(tags.get_path("Owner"), Some(&Value::str("y")));
    assert_eq!(tags.as_map().map(|m| m.len()), Some(2));
}

#[test]
fn modules_feeding_each_other_through_different_outputs_load() {
    // module.a needs module.b's `name`, module.b needs module.a's `arn`:
    // no cycle for Terraform (output by output), one for a whole-module
    // evaluation. The closing reference stays symbolic and is reported.
    let m = "variable \"peer\" {}\nresource \"aws_sns_topic\" \"t\" {\n  name = \"t-${var.peer}\"\n}\noutput \"name\" {\n  value = \"fixed\"\n}\noutput \"arn\" {\n  value = aws_sns_topic.t.arn\n}\n";
    let dir = tree(&[
        ("env/modules/m/main.tf", m),
        (
            "env/main.tf",
            "module \"a\" {\n  source = \"./modules/m\"\n  peer   = module.b.name\n}\nmodule \"b\" {\n  source = \"./modules/m\"\n  peer   = module.a.arn\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "env");
    assert_eq!(s.resources.len(), 2);
    assert!(
        s.coverage
            .iter()
            .any(|g| g.reason.contains("cycle through module calls")),
        "{:?}",
        s.coverage
    );
}

// ---------------------------------------------------------------------------
// Terraform JSON syntax (*.tf.json)

/// One configuration in native syntax: the `.tf.json` twin below must load
/// to the same resources, dependencies and values.
const NATIVE: &str = r#"terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "env" {
  type    = string
  default = "staging"
}

variable "sizes" {
  type    = map(number)
  default = { staging = "20", prod = 100 }
}

locals {
  name = "shop-${var.env}"
  tags = { Environment = var.env, Name = local.name }
  note = "literal $${not.a.ref}, \"quoted\"\nsecond line %{ if var.env == "staging" }small%{ else }big%{ endif }"
}

data "aws_ami" "app" {
  most_recent = true
  owners      = ["amazon"]
}

resource "aws_db_instance" "main" {
  identifier        = local.name
  allocated_storage = var.sizes[var.env]
  engine            = "postgres"
  tags              = local.tags
  note              = local.note
  ami               = data.aws_ami.app.id
  depends_on        = [module.net]

  lifecycle {
    ignore_changes = [tags]
  }
}

resource "aws_security_group" "web" {
  count = 2
  name  = "web-${count.index}"

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }

  dynamic "egress" {
    for_each = ["0.0.0.0/0", "10.0.0.0/8"]
    iterator = cidr
    content {
      cidr_blocks = [cidr.value]
      description = "rule ${cidr.key}"
    }
  }
}

module "net" {
  source = "./net"
  cidr   = "10.0.0.0/16"
}

output "db" {
  value = aws_db_instance.main.identifier
}
"#;

const NATIVE_NET: &str = r#"variable "cidr" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
}

output "id" {
  value = aws_vpc.main.id
}
"#;

const JSON_ROOT: &str = r#"{
  "//": "The same configuration as NATIVE, in Terraform's JSON syntax.",
  "terraform": {
    "required_version": ">= 1.5.0",
    "required_providers": {
      "aws": { "source": "hashicorp/aws", "version": "~> 5.0" }
    }
  },
  "provider": { "aws": [{ "region": "eu-west-1" }] },
  "variable": {
    "env": { "type": "string", "default": "staging" },
    "sizes": { "type": "map(number)", "default": { "staging": "20", "prod": 100 } }
  },
  "locals": [
    { "name": "shop-${var.env}", "tags": { "Environment": "${var.env}", "Name": "${local.name}" } },
    { "note": "literal $${not.a.ref}, \"quoted\"\nsecond line %{ if var.env == \"staging\" }small%{ else }big%{ endif }" }
  ],
  "data": {
    "aws_ami": { "app": { "most_recent": true, "owners": ["amazon"] } }
  },
  "resource": {
    "aws_db_instance": {
      "main": {
        "//": "a comment key, ignored",
        "identifier": "${local.name}",
        "allocated_storage": "${var.sizes[var.env]}",
        "engine": "postgres",
        "tags": "${local.tags}",
        "note": "${local.note}",
        "ami": "${data.aws_ami.app.id}",
        "depends_on": ["module.net"],
        "lifecycle": { "ignore_changes": ["tags"] }
      }
    },
    "aws_security_group": {
      "web": {
        "count": 2,
        "name": "web-${count.index}",
        "ingress": [
          { "from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/16"] },
          { "from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/16"] }
        ],
        "dynamic": {
          "egress": {
            "for_each": ["0.0.0.0/0", "10.0.0.0/8"],
            "iterator": "cidr",
            "content": { "cidr_blocks": ["${cidr.value}"], "description": "rule ${cidr.key}" }
          }
        }
      }
    }
  },
  "module": { "net": { "source": "./net", "cidr": "10.0.0.0/16" } },
  "output": { "db": { "value": "${aws_db_instance.main.identifier}" } }
}
"#;

const JSON_NET: &str = r#"{
  "variable": { "cidr": { "type": "string" } },
  "resource": { "aws_vpc": { "main": { "cidr_block": "${var.cidr}" } } },
  "output": { "id": { "value": "${aws_vpc.main.id}" } }
}
"#;

fn values(s: &Snapshot) -> Vec<(String, serde_json::Value)> {
    s.resources
        .iter()
        .chain(&s.dependencies)
        .map(|r| {
            let attrs: BTreeMap<&String, serde_json::Value> =
                r.attributes.iter().map(|(k, v)| (k, v.to_json())).collect();
            (r.address.clone(), json!(attrs))
        })
        .collect()
}

#[test]
fn tf_json_files_load_to_the_same_values_as_native_syntax() {
    let dir = tree(&[
        ("native/main.tf", NATIVE),
        ("native/net/main.tf", NATIVE_NET),
        ("json/main.tf.json", JSON_ROOT),
        ("json/net/main.tf.json", JSON_NET),
    ]);
    let native = snap(dir.path(), "native");
    let from_json = snap(dir.path(), "json");
    assert!(native.coverage.is_empty(), "{}", gaps(&native));
    assert!(from_json.coverage.is_empty(), "{}", gaps(&from_json));
    assert_eq!(values(&from_json), values(&native));
    // Spot checks of what both evaluate to, as Terraform would.
    assert_eq!(
        attr(&from_json, "aws_db_instance.main", "note"),
        json!("literal ${not.a.ref}, \"quoted\"\nsecond line small")
    );
    assert_eq!(
        attr(&from_json, "aws_db_instance.main", "allocated_storage"),
        json!(20)
    );
    assert_eq!(
        attr(&from_json, "aws_security_group.web[1]", "egress"),
        json!([
            { "cidr_blocks": ["0.0.0.0/0"], "description": "rule 0" },
            { "cidr_blocks": ["10.0.0.0/8"], "description": "rule 1" }
        ])
    );
    assert_eq!(
        dep(&from_json, "terraform").attributes["required_version"],
        Value::str(">= 1.5.0")
    );
}

#[test]
fn tf_json_locations_point_at_the_json_lines() {
    let dir = tree(&[
        ("json/main.tf.json", JSON_ROOT),
        ("json/net/main.tf.json", JSON_NET),
    ]);
    let s = snap(dir.path(), "json");
    let db = res(&s, "aws_db_instance.main");
    assert_eq!(db.location.to_string(), "json/main.tf.json:23");
    assert_eq!(
        db.attribute_locations["engine"].to_string(),
        "json/main.tf.json:27"
    );
    assert_eq!(
        res(&s, "aws_security_group.web[0]").attribute_locations["ingress"].to_string(),
        "json/main.tf.json:39"
    );
    assert_eq!(
        res(&s, "module.net.aws_vpc.main").location.to_string(),
        "json/net/main.tf.json:3"
    );
    assert_eq!(
        dep(&s, "module.net").attribute_locations["source"].to_string(),
        "json/main.tf.json:53"
    );
}

#[test]
fn tf_json_beside_tf_in_one_module_and_override_json_is_a_gap() {
    let dir = tree(&[
        ("env/main.tf", "variable \"n\" {\n  default = 3\n}\n"),
        (
            "env/extra.tf.json",
            "{\"resource\": {\"aws_sqs_queue\": {\"q\": {\"delay_seconds\": \"${var.n}\"}}}}",
        ),
        (
            "env/queue_override.tf.json",
            "{\"resource\": {\"aws_sqs_queue\": {\"q\": {\"delay_seconds\": 9}}}}",
        ),
    ]);
    let s = snap(dir.path(), "env");
    assert_eq!(addresses(&s), ["aws_sqs_queue.q"]);
    assert_eq!(attr(&s, "aws_sqs_queue.q", "delay_seconds"), json!(3));
    let g = gaps(&s);
    assert!(
        g.contains("env/queue_override.tf.json: override file not merged yet"),
        "{g}"
    );
    assert!(!g.contains("extra.tf.json"), "{g}");
}

#[test]
fn malformed_tf_json_is_an_error_naming_file_line_and_column() {
    let dir = tree(&[(
        "env/main.tf.json",
        "{\n  \"resource\": {\n    \"aws_sqs_queue\": {\n      \"q\": { \"name\": \"a\", }\n    }\n  }\n}\n",
    )]);
    let out = parity(dir.path())
        .args(["snapshot", "env"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("env/main.tf.json:4:27: expected a property name in double quotes"),
        "{err}"
    );
    let dir = tree(&[(
        "env/main.tf.json",
        "{\n  \"resource\": {\n    \"aws_sqs_queue\": [\"q\"]\n  }\n}\n",
    )]);
    let out = parity(dir.path())
        .args(["snapshot", "env"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("env/main.tf.json:3:1: `resource` needs 2 label(s)"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Registry and git modules installed by `terraform init`

#[test]
fn installed_registry_and_git_modules_expand_from_modules_json() {
    let fixture = common::repo().join("fixtures/modules-json");
    let s = snap(&fixture, "envs/staging");
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
    assert_eq!(
        addresses(&s),
        [
            "aws_lb.web",
            "aws_wafv2_web_acl_association.web",
            "module.waf.aws_wafv2_web_acl.this",
            "module.waf.module.logs.aws_cloudwatch_log_group.waf",
            "module.waf.module.logs.aws_wafv2_web_acl_logging_configuration.this",
            "module.waf.module.rules.aws_wafv2_ip_set.blocked",
        ]
    );
    // Inputs go in (the registry module's variable, its nested git module's
    // input from a resource of the registry module)...
    let acl = res(&s, "module.waf.aws_wafv2_web_acl.this");
    assert_eq!(
        acl.location.to_string(),
        "envs/staging/.terraform/modules/waf/main.tf:12"
    );
    assert_eq!(
        attr(&s, "module.waf.aws_wafv2_web_acl.this", "rule")[0]["statement"][0]
            ["rate_based_statement"][0]["limit"],
        json!(2000)
    );
    assert_eq!(
        attr(
            &s,
            "module.waf.module.logs.aws_wafv2_web_acl_logging_configuration.this",
            "resource_arn"
        ),
        json!("${module.waf.aws_wafv2_web_acl.this.arn}")
    );
    // ...and outputs come back out.
    assert_eq!(
        attr(&s, "aws_wafv2_web_acl_association.web", "web_acl_arn"),
        json!("${module.waf.aws_wafv2_web_acl.this.arn}")
    );
    let waf = dep(&s, "module.waf");
    assert_eq!(waf.attributes["version"], Value::str("1.2.0"));
    assert!(!waf.attributes.contains_key("unpinned_version"));
    assert_eq!(
        dep(&s, "module.waf.module.logs").attributes["ref"],
        Value::str("v0.3.0")
    );
}

#[test]
fn installed_modules_differ_inside_between_environments() {
    let fixture = common::repo().join("fixtures/modules-json");
    let out = parity(&fixture)
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["resource"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].0, "module-version", "{found:#?}");
    assert!(found[0].2.contains("1.2.0 vs 1.3.0"), "{found:#?}");
    assert_eq!(
        found[1].1, "module.waf.aws_wafv2_web_acl.this",
        "{found:#?}"
    );
    assert!(found[1].2.contains("IP vs FORWARDED_IP"), "{found:#?}");
}

fn manifest(entries: &str) -> String {
    format!("{{\"Modules\": [{{\"Key\": \"\", \"Source\": \"\", \"Dir\": \".\"}}{entries}]}}")
}

#[test]
fn manifest_entries_missing_stale_or_without_their_directory_are_coverage_gaps() {
    let calls = r#"
module "gone" {
  source  = "acme/gone/aws"
  version = "1.0.0"
}
module "new" {
  source = "git::https://example.com/new.git?ref=v1"
}
module "moved" {
  source = "git::https://example.com/moved.git?ref=v2"
}
module "old" {
  source  = "acme/old/aws"
  version = "~> 2.0"
}
module "ok" {
  source  = "acme/ok/aws"
  version = "~> 1.0"
}
"#;
    let entries = r#",
{"Key": "gone", "Source": "registry.terraform.io/acme/gone/aws", "Version": "1.0.0", "Dir": ".terraform/modules/gone"},
{"Key": "moved", "Source": "git::https://example.com/moved.git?ref=v1", "Dir": ".terraform/modules/moved"},
{"Key": "old", "Source": "registry.terraform.io/acme/old/aws", "Version": "1.4.0", "Dir": ".terraform/modules/old"},
{"Key": "ok", "Source": "registry.terraform.io/acme/ok/aws", "Version": "1.3.0", "Dir": ".terraform/modules/ok"}"#;
    let dir = tree(&[
        ("env/main.tf", calls),
        ("env/.terraform/modules/modules.json", &manifest(entries)),
        (
            "env/.terraform/modules/moved/main.tf",
            "resource \"aws_x\" \"moved\" {}\n",
        ),
        (
            "env/.terraform/modules/old/main.tf",
            "resource \"aws_x\" \"old\" {}\n",
        ),
        (
            "env/.terraform/modules/ok/main.tf",
            "resource \"aws_x\" \"ok\" {}\n",
        ),
    ]);
    let s = snap(dir.path(), "env");
    // Only the call whose installation matches the code is expanded.
    assert_eq!(addresses(&s), ["module.ok.aws_x.ok"]);
    let g = gaps(&s);
    let m = "env/.terraform/modules/modules.json";
    assert!(
        g.contains(&format!("module.gone: {m} installs module source `acme/gone/aws` in env/.terraform/modules/gone, which does not exist (run `terraform init`)")),
        "{g}"
    );
    assert!(
        g.contains(&format!("module.new: module source `git::https://example.com/new.git?ref=v1` is not local and {m} has no entry `new`")),
        "{g}"
    );
    assert!(
        g.contains(&format!("module.moved: {m} installed `git::https://example.com/moved.git?ref=v1` but the code asks for `git::https://example.com/moved.git?ref=v2`")),
        "{g}"
    );
    assert!(
        g.contains(&format!(
            "module.old: {m} installed version 1.4.0, outside the code's constraint `~> 2.0`"
        )),
        "{g}"
    );
    assert_eq!(s.coverage.len(), 4, "{g}");
}

#[test]
fn a_malformed_module_manifest_is_an_error_naming_the_file() {
    let dir = tree(&[
        (
            "env/main.tf",
            "module \"m\" {\n  source  = \"acme/m/aws\"\n  version = \"1.0.0\"\n}\n",
        ),
        (
            "env/.terraform/modules/modules.json",
            "{\"Modules\": [\n  {\"Key\": \"m\",}\n]}",
        ),
    ]);
    let out = parity(dir.path())
        .args(["snapshot", "env"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("env/.terraform/modules/modules.json:2:15: cannot read the module manifest written by `terraform init`: trailing comma (run"),
        "{err}"
    );
    assert!(err.contains("run `terraform init` again"), "{err}");
}

#[test]
fn nested_calls_of_a_counted_module_use_the_manifest_key_without_instance_keys() {
    let dir = tree(&[
        (
            "env/main.tf",
            "module \"app\" {\n  source   = \"acme/app/aws\"\n  version  = \"3.1.0\"\n  for_each = toset([\"a\", \"b\"])\n  name     = each.key\n}\n",
        ),
        (
            "env/.terraform/modules/modules.json",
            &manifest(
                r#",
{"Key": "app", "Source": "registry.terraform.io/acme/app/aws", "Version": "3.1.0", "Dir": ".terraform/modules/app"},
{"Key": "app.queue", "Source": "git::https://example.com/queue.git?ref=v9", "Dir": ".terraform/modules/app.queue"}"#,
            ),
        ),
        (
            "env/.terraform/modules/app/main.tf",
            "variable \"name\" {}\nmodule \"queue\" {\n  source = \"git::https://example.com/queue.git?ref=v9\"\n  name   = var.name\n}\n",
        ),
        (
            "env/.terraform/modules/app.queue/main.tf",
            "variable \"name\" {}\nresource \"aws_sqs_queue\" \"q\" {\n  name = \"q-${var.name}\"\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "env");
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
    assert_eq!(
        addresses(&s),
        [
            "module.app[\"a\"].module.queue.aws_sqs_queue.q",
            "module.app[\"b\"].module.queue.aws_sqs_queue.q",
        ]
    );
    assert_eq!(
        attr(&s, "module.app[\"b\"].module.queue.aws_sqs_queue.q", "name"),
        json!("q-b")
    );
}

// ---------------------------------------------------------------------------
// Files beside the .tf files

#[cfg(unix)]
#[test]
fn a_symlinked_tf_file_is_loaded_like_its_target() {
    let dir = tree(&[
        (
            "shared/providers.tf",
            "resource \"aws_sqs_queue\" \"shared\" {\n  name = \"from-link\"\n}\n",
        ),
        (
            "env/main.tf",
            "resource \"aws_sqs_queue\" \"own\" {\n  name = \"own\"\n}\n",
        ),
    ]);
    std::os::unix::fs::symlink(
        "../shared/providers.tf",
        dir.path().join("env/providers.tf"),
    )
    .expect("symlink");
    let s = snap(dir.path(), "env");
    assert_eq!(addresses(&s), ["aws_sqs_queue.own", "aws_sqs_queue.shared"]);
    assert_eq!(attr(&s, "aws_sqs_queue.shared", "name"), json!("from-link"));
    // Shown where Terraform reads it: in the module directory.
    assert_eq!(
        res(&s, "aws_sqs_queue.shared").location.to_string(),
        "env/providers.tf:1"
    );
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_is_skipped_and_named_in_coverage() {
    let dir = tree(&[("env/main.tf", "resource \"aws_sqs_queue\" \"q\" {}\n")]);
    std::os::unix::fs::symlink("../nowhere/gone.tf", dir.path().join("env/gone.tf"))
        .expect("symlink");
    std::os::unix::fs::symlink(
        "../nowhere/gone.tf.json",
        dir.path().join("env/gone.tf.json"),
    )
    .expect("symlink");
    let s = snap(dir.path(), "env");
    assert_eq!(addresses(&s), ["aws_sqs_queue.q"]);
    let g = gaps(&s);
    assert!(
        g.contains("env/gone.tf: dangling symbolic link, skipped"),
        "{g}"
    );
    assert!(
        g.contains("env/gone.tf.json: dangling symbolic link, skipped"),
        "{g}"
    );
    // A gap makes the run incomplete.
    let out = parity(dir.path())
        .args(["snapshot", "env"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn directory_names_with_braces_load_and_keep_their_names() {
    // Cookiecutter and similar templates leave `{{cookiecutter.env}}`
    // directories behind; nothing in a path is a template.
    let dir = tree(&[
        (
            "{{cookiecutter.env}}/main.tf",
            "module \"db\" {\n  source = \"../modules/{db}\"\n}\n",
        ),
        (
            "modules/{db}/main.tf",
            "resource \"aws_db_instance\" \"x\" {\n  engine = \"postgres\"\n  note   = path.module\n}\n",
        ),
    ]);
    let s = snap(dir.path(), "{{cookiecutter.env}}");
    assert_eq!(addresses(&s), ["module.db.aws_db_instance.x"]);
    assert_eq!(
        attr(&s, "module.db.aws_db_instance.x", "note"),
        json!("../modules/{db}")
    );
    assert_eq!(
        res(&s, "module.db.aws_db_instance.x").location.to_string(),
        "modules/{db}/main.tf:1"
    );
    // And through the CLI, with the directory given by name.
    let out = parity(dir.path())
        .args(["snapshot", "{{cookiecutter.env}}"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("module.db.aws_db_instance.x"));
}

#[test]
fn packer_and_other_hcl_files_beside_tf_are_not_read_as_terraform() {
    let dir = tree(&[
        ("env/main.tf", "resource \"aws_sqs_queue\" \"q\" {}\n"),
        // Valid HCL that would declare resources, or fail, if read as Terraform.
        (
            "env/image.pkr.hcl",
            "source \"amazon-ebs\" \"ubuntu\" {\n  ami_name = \"x\"\n}\nbuild {\n  sources = [\"source.amazon-ebs.ubuntu\"]\n}\n",
        ),
        ("env/terragrunt.hcl", "include \"root\" {\n  path = find_in_parent_folders()\n}\n"),
        ("env/variables.pkrvars.hcl", "region = \"eu-west-1\"\n"),
        ("env/image.pkr.json", "{\"builders\": []}"),
        ("env/notes.hcl", "this is { not HCL\n"),
        ("env/main.tf.bak", "resource \"aws_sqs_queue\" \"old\" {}\n"),
    ]);
    let s = snap(dir.path(), "env");
    assert_eq!(addresses(&s), ["aws_sqs_queue.q"]);
    assert!(s.coverage.is_empty(), "{}", gaps(&s));
}

#[test]
fn a_heredoc_line_that_only_starts_with_the_delimiter_stays_text() {
    // hcl-edit ends the heredoc at `EOF"`; Terraform only at a line that
    // is exactly `EOF` (see docs/limitations.md).
    let dir = tree(&[(
        "env/main.tf",
        "resource \"aws_instance\" \"db\" {\n  user_data = <<EOF\nsu - oracle -c \"sqlplus << EOF\nshutdown abort;\nEOF\"\ndone\nEOF\n  ami = \"ami-1\"\n}\n",
    )]);
    let s = snap(dir.path(), "env");
    assert_eq!(
        attr(&s, "aws_instance.db", "user_data"),
        json!("su - oracle -c \"sqlplus << EOF\nshutdown abort;\nEOF\"\ndone\n")
    );
    assert_eq!(
        res(&s, "aws_instance.db").attribute_locations["ami"].to_string(),
        "env/main.tf:8"
    );
}

#[test]
fn path_cwd_is_the_absolute_root_directory() {
    // The idiom of terraform-aws-modules' examples: resources named after
    // the directory Terraform runs in.
    let dir = tree(&[(
        "examples/complete/main.tf",
        r#"
locals {
  name = "ex-${basename(path.cwd)}"
}
resource "aws_vpc" "v" {
  tags = { Name = local.name, Abs = substr(path.cwd, 0, 1) == "/", Root = path.root }
}
"#,
    )]);
    let s = snap(dir.path(), "examples/complete");
    let tags = attr(&s, "aws_vpc.v", "tags");
    assert_eq!(tags["Name"], json!("ex-complete"));
    // A map of strings in the provider schema, so the bool is a string.
    assert_eq!(tags["Abs"], json!("true"));
    assert_eq!(tags["Root"], json!("."));
}

#[test]
fn configured_resource_attributes_are_known_when_referenced() {
    let dir = tree(&[(
        "main.tf",
        r#"
variable "env" {
  default = "staging"
}
resource "aws_s3_bucket" "logs" {
  bucket = "shop-${var.env}-logs"
}
resource "terraform_data" "cfg" {
  input = { size = 3 }
}
resource "aws_db_instance" "db" {
  identifier = "shop-db"
  password   = "db-Passw0rd-long"
}
resource "aws_subnet" "s" {
  count      = 2
  cidr_block = "10.0.${count.index}.0/24"
}
resource "aws_iam_role" "r" {
  for_each = { api = "shop-api", web = "shop-web" }
  name     = "${each.value}-${var.env}"
}
resource "aws_x" "a" {
  name = aws_x.b.name
}
resource "aws_x" "b" {
  name = aws_x.a.name
}
resource "aws_x" "user" {
  bucket     = aws_s3_bucket.logs.bucket
  bucket_id  = aws_s3_bucket.logs.id
  size       = terraform_data.cfg.input.size
  secret     = "x-${aws_db_instance.db.password}"
  subnet     = aws_subnet.s[0].cidr_block
  subnet1    = aws_subnet.s.1.cidr_block
  role       = aws_iam_role.r["web"].name
  missing    = aws_subnet.s[5].cidr_block
  loop       = aws_x.a.name
}
"#,
    )]);
    let s = snap(dir.path(), ".");
    let r = "aws_x.user";
    // Set by the configuration: known at plan time, as in Terraform.
    assert_eq!(attr(&s, r, "bucket"), json!("shop-staging-logs"));
    assert_eq!(attr(&s, r, "size"), json!(3));
    // Computed by the provider: symbolic.
    assert_eq!(attr(&s, r, "bucket_id"), json!("${aws_s3_bucket.logs.id}"));
    // A secret-named argument is sensitive where it is used.
    assert_eq!(attr(&s, r, "secret"), json!("(sensitive)"));
    // An instance picked by a literal key: its own value.
    assert_eq!(attr(&s, r, "subnet"), json!("10.0.0.0/24"));
    assert_eq!(attr(&s, r, "subnet1"), json!("10.0.1.0/24"));
    assert_eq!(attr(&s, r, "role"), json!("shop-web-staging"));
    // An instance that does not exist, and cycles, stay symbolic.
    assert_eq!(
        attr(&s, r, "missing"),
        json!("${aws_subnet.s[5].cidr_block}")
    );
    assert!(
        attr(&s, r, "loop")
            .as_str()
            .is_some_and(|t| t.starts_with("${aws_x.")),
        "{}",
        attr(&s, r, "loop")
    );
}

#[test]
fn rsadecrypt_is_symbolic_and_sensitive_never_a_load_failure() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
resource "aws_instance" "web" {
  ami = "ami-1"
}
resource "aws_x" "a" {
  from_state = rsadecrypt(aws_instance.web.password_data, file("${path.module}/k.pem"))
  literal    = rsadecrypt("Y2lwaGVyLW9uZQ==", file("${path.module}/k.pem"))
  other      = rsadecrypt("Y2lwaGVyLXR3bw==", file("${path.module}/k.pem"))
}
"#,
        ),
        (
            "k.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n",
        ),
    ]);
    let s = snap(dir.path(), ".");
    let r = res(&s, "aws_x.a");
    for name in ["from_state", "literal", "other"] {
        // Symbolic and sensitive.
        assert_eq!(attr(&s, "aws_x.a", name), json!("${(sensitive)}"), "{name}");
        let raw = format!("{:?}", r.attributes[name]);
        assert!(!raw.contains("MIIBOgIBAAJBAKj34"), "{name}: {raw}");
    }
    // Compared by hash: another ciphertext is another value.
    assert_ne!(r.attributes["literal"], r.attributes["other"]);
}

#[test]
fn configured_attributes_are_known_through_computed_keys_splats_and_for() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
variable "env" {
  default = "staging"
}
resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
}
resource "aws_subnet" "s" {
  count      = 2
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  tags       = { Name = "s${count.index}" }
}
resource "aws_iam_role" "r" {
  for_each = { api = "shop-api", web = "shop-web" }
  name     = "${each.value}-${var.env}"
}
resource "aws_db_instance" "db" {
  count    = 2
  password = "db-Passw0rd-long-${count.index}"
}
data "aws_subnets" "found" {}
resource "aws_subnet" "unknown" {
  count      = length(data.aws_subnets.found.ids)
  cidr_block = "10.2.0.0/24"
}
resource "aws_x" "per" {
  count  = 3
  cidr   = aws_subnet.s[count.index].cidr_block
  name   = aws_subnet.s[count.index].tags["Name"]
  id     = aws_subnet.s[count.index].id
}
resource "aws_x" "each" {
  for_each = aws_iam_role.r
  name     = aws_iam_role.r[each.key].name
  value    = each.value.name
}
resource "aws_x" "user" {
  cidrs    = aws_subnet.s[*].cidr_block
  legacy   = aws_subnet.s.*.cidr_block
  ids      = aws_subnet.s[*].id
  for      = [for s in aws_subnet.s : s.cidr_block]
  roles    = values(aws_iam_role.r)[*].name
  by_key   = { for k, r in aws_iam_role.r : k => r.name }
  vpc      = aws_vpc.main[*].cidr_block
  secrets  = aws_db_instance.db[*].password
  unknown  = aws_subnet.unknown[*].cidr_block
}
module "child" {
  source = "./child"
}
"#,
        ),
        (
            "child/main.tf",
            r#"
resource "aws_subnet" "s" {
  count      = 2
  cidr_block = "10.9.${count.index}.0/24"
}
resource "aws_x" "c" {
  count = 2
  cidr  = aws_subnet.s[count.index].cidr_block
}
"#,
        ),
    ]);
    let s = snap(dir.path(), ".");
    // count.index into another counted resource: that instance's argument;
    // an instance that does not exist and a computed attribute: symbolic.
    assert_eq!(attr(&s, "aws_x.per[0]", "cidr"), json!("10.1.0.0/24"));
    assert_eq!(attr(&s, "aws_x.per[1]", "cidr"), json!("10.1.1.0/24"));
    assert_eq!(attr(&s, "aws_x.per[1]", "name"), json!("s1"));
    assert_eq!(
        attr(&s, "aws_x.per[2]", "cidr"),
        json!("${aws_subnet.s[count.index].cidr_block}")
    );
    assert_eq!(
        attr(&s, "aws_x.per[0]", "id"),
        json!("${aws_subnet.s[0].id}")
    );
    // each.key and each.value over a for_each resource.
    assert_eq!(
        attr(&s, "aws_x.each[\"web\"]", "name"),
        json!("shop-web-staging")
    );
    assert_eq!(
        attr(&s, "aws_x.each[\"api\"]", "value"),
        json!("shop-api-staging")
    );
    let r = "aws_x.user";
    let cidrs = json!(["10.1.0.0/24", "10.1.1.0/24"]);
    assert_eq!(attr(&s, r, "cidrs"), cidrs);
    assert_eq!(attr(&s, r, "legacy"), cidrs);
    assert_eq!(attr(&s, r, "for"), cidrs);
    assert_eq!(
        attr(&s, r, "ids"),
        json!(["${aws_subnet.s[0].id}", "${aws_subnet.s[1].id}"])
    );
    assert_eq!(
        attr(&s, r, "roles"),
        json!(["shop-api-staging", "shop-web-staging"])
    );
    assert_eq!(
        attr(&s, r, "by_key"),
        json!({ "api": "shop-api-staging", "web": "shop-web-staging" })
    );
    // A splat of one instance is a list of it.
    assert_eq!(attr(&s, r, "vpc"), json!(["10.1.0.0/16"]));
    // A secret-named argument stays sensitive however it is reached.
    assert_eq!(
        attr(&s, r, "secrets"),
        json!(["(sensitive)", "(sensitive)"])
    );
    // Instances not known before apply: still symbolic.
    assert!(
        attr(&s, r, "unknown")
            .as_str()
            .is_some_and(|t| t.contains("aws_subnet.unknown")),
        "{}",
        attr(&s, r, "unknown")
    );
    // Inside a module, by the module's own instance keys.
    assert_eq!(
        attr(&s, "module.child.aws_x.c[1]", "cidr"),
        json!("10.9.1.0/24")
    );
}
