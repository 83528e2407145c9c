//! Sensitivity as marks (issue #15): a value computed from a sensitive one
//! is sensitive, in every form it takes (transformed, encoded, cut short,
//! made by `sensitive()`), and never reaches any output; and a redaction
//! never changes the outcome of a comparison the secret plays no part in
//! (a sensitive map holding the environment's own name).

mod common;

use std::path::Path;

use base64::Engine as _;
use common::{parity, tree};
use sha2::Digest as _;

fn run(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = parity(dir).args(args).output().expect("run parity");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

const CHILD: &str = r#"
variable "secret_in" {}
resource "aws_ssm_parameter" "p" {
  name  = "shop-param"
  type  = "String"
  value = "prefix-${var.secret_in}"
}
output "echo" {
  value = var.secret_in
}
"#;

const ROOT: &str = r#"
variable "s" {
  type      = string
  sensitive = true
}
variable "short" {
  type      = string
  sensitive = true
}
module "child" {
  source    = "../../modules/child"
  secret_in = var.s
}
resource "aws_lambda_function" "f" {
  function_name = "shop-fn"
  runtime       = "python3.12"
  environment {
    variables = {
      UPPER   = upper(var.s)
      B64     = base64encode(var.s)
      SUB     = substr(var.s, 0, 14)
      URL     = urlencode(var.s)
      JSON    = jsonencode({ k = var.s })
      REV     = strrev(var.s)
      SHA     = sha256(var.s)
      FMT     = format("%s-x", var.s)
      COND    = var.s != "" ? "yes-${var.s}" : "no"
      PARTS   = join("+", [for c in split("-", var.s) : lower(c)])
      LOOKUP  = lookup({ a = var.s }, "a")
      SHORT   = var.short
      SHORT2  = "x${var.short}y"
      LITERAL = sensitive("Lit3ral-Made-Sensitive")
      ECHO    = module.child.echo
      PLAIN   = "shop-plain"
    }
  }
  tags = merge({ Team = "shop" }, { Token = var.s })
}
resource "aws_db_instance" "d" {
  identifier  = "shop-db"
  password_wo = "Wr1te-Only-Pass-${var.short}"
}
resource "aws_elasticache_user" "u" {
  user_id   = "shop-user"
  passwords = ["Pass-List-Entry-1"]
}
"#;

const SECRETS: [(&str, &str, &str); 2] = [
    ("staging", "stg-Tr4nsf0rm-Secret-value", "zQxW"),
    ("prod", "prd-Tr4nsf0rm-Secret-value", "vKjY"),
];

/// Every form of `s` the configuration computes.
fn forms(s: &str, short: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(s);
    let sha = format!("{:x}", sha2::Sha256::digest(s.as_bytes()));
    vec![
        s.to_string(),
        s.to_uppercase(),
        b64,
        s[..14].to_string(),
        s.chars().rev().collect(),
        sha,
        s.split('-')
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("+"),
        format!("x{short}y"),
        short.to_string(),
        "Lit3ral-Made-Sensitive".into(),
        "Wr1te-Only-Pass".into(),
        "Pass-List-Entry-1".into(),
    ]
}

fn project() -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = vec![
        ("modules/child/main.tf".into(), CHILD.into()),
        (
            "parity.toml".into(),
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n\
             [environments.prod]\nterraform = { root = \"envs/prod\" }\n"
                .into(),
        ),
    ];
    for (env, s, short) in SECRETS {
        files.push((format!("envs/{env}/main.tf"), ROOT.into()));
        files.push((
            format!("envs/{env}/terraform.tfvars"),
            format!("s     = \"{s}\"\nshort = \"{short}\"\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    tree(&refs)
}

#[test]
fn transformed_encoded_short_and_made_secrets_never_reach_any_output() {
    let dir = project();
    let mut runs: Vec<Vec<String>> = Vec::new();
    for format in parity::report::Format::ALL {
        runs.push(
            [
                "-v",
                "diff",
                "staging",
                "prod",
                "--format",
                &format.to_string(),
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    for env in ["staging", "prod"] {
        runs.push(["snapshot", env].map(String::from).to_vec());
    }
    let mut checked = 0;
    for args in &runs {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (stdout, stderr, code) = run(dir.path(), &refs);
        assert!(code == 0 || code == 2, "{args:?} exited {code}: {stderr}");
        assert!(
            stdout.contains("(sensitive)"),
            "{args:?}: nothing redacted:\n{stdout}"
        );
        for (_, s, short) in SECRETS {
            for form in forms(s, short) {
                for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                    assert!(
                        !text.contains(&form),
                        "{form:?} in {what} of {args:?}:\n{text}"
                    );
                    // JSON escapes nothing in these forms but `+`-free
                    // ones; the URL encoding of the secret too.
                    checked += 1;
                }
            }
            let url: String = s.replace('-', "%2D");
            assert!(
                !stdout.contains(&url) || url == s,
                "urlencoded secret in {args:?}"
            );
        }
    }
    assert!(checked > 200, "only {checked} checks ran");
}

#[test]
fn marked_values_differ_and_neighbours_stay_in_clear() {
    let dir = project();
    let (stdout, stderr, code) = run(
        dir.path(),
        &["-v", "diff", "staging", "prod", "--format", "json"],
    );
    // Differences in configuration are warnings: `--fail-on error` passes.
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json report");
    let findings = report["findings"].as_array().expect("findings");
    let at = |attr: &str| {
        findings
            .iter()
            .find(|f| f["attribute"].as_str() == Some(attr))
            .unwrap_or_else(|| panic!("no finding on {attr}: {stdout}"))
    };
    // The two environments' secrets differ, so every value computed from
    // them does: each a finding, both sides shown as `(sensitive)`.
    for attr in ["tags.Token", "password_wo"] {
        let f = at(attr);
        assert_eq!(f["left"], "(sensitive)", "{attr}: {f}");
        assert_eq!(f["right"], "(sensitive)", "{attr}: {f}");
    }
    // A block is compared whole: every variable computed from the secret is
    // `(sensitive)` in it, and the one no secret touched is in clear.
    let env = at("environment");
    for side in ["left", "right"] {
        let text = env[side].as_str().expect("text");
        let block: serde_json::Value = serde_json::from_str(text).expect("block as JSON");
        let vars = &block[0]["variables"];
        for name in [
            "UPPER", "B64", "SUB", "URL", "JSON", "REV", "SHA", "FMT", "COND", "PARTS", "LOOKUP",
            "SHORT", "SHORT2", "LITERAL", "ECHO",
        ] {
            assert_eq!(vars[name], "(sensitive)", "{side} {name}: {text}");
        }
        assert_eq!(vars["PLAIN"], "shop-plain", "{side}: {text}");
    }
    // What no secret touched is compared in clear: no finding on the tag
    // merged beside the secret one, or on the list of passwords that is
    // the same in both.
    for attr in ["tags.Team", "passwords"] {
        assert!(
            !findings
                .iter()
                .any(|f| f["attribute"].as_str() == Some(attr)),
            "{attr} differs: {stdout}"
        );
    }
    // The value a module's output echoes is the module input's: marked.
    let (snap, _, code) = run(dir.path(), &["snapshot", "staging"]);
    assert_eq!(code, 0);
    let snap: serde_json::Value = serde_json::from_str(&snap).expect("snapshot");
    let param = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["address"] == "module.child.aws_ssm_parameter.p")
        .expect("the child's parameter");
    assert_eq!(param["attributes"]["value"], "(sensitive)");
    assert_eq!(param["attributes"]["name"], "shop-param");
}

/// A network named after the environment, a database placed in it, and a
/// Lambda whose environment map is sensitive as a whole or not at all.
fn network(env: &str, sensitive: bool) -> String {
    format!(
        r#"
variable "env_vars" {{
  type      = map(string)
  sensitive = {sensitive}
}}
resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
  tags       = {{ Name = "shop-{env}" }}
}}
resource "aws_subnet" "private" {{
  for_each          = {{ a = "10.0.1.0/24", b = "10.0.2.0/24" }}
  vpc_id            = aws_vpc.main.id
  cidr_block        = each.value
  availability_zone = "us-east-1${{each.key}}"
  tags              = {{ Name = "shop-{env}-private-${{each.key}}", Tier = "public" }}
}}
resource "aws_db_subnet_group" "db" {{
  name       = "shop-{env}-db"
  subnet_ids = [for s in aws_subnet.private : s.id]
}}
resource "aws_db_instance" "db" {{
  identifier           = "shop-{env}-db"
  engine               = "postgres"
  engine_version       = "16.3"
  db_subnet_group_name = aws_db_subnet_group.db.name
}}
resource "aws_lambda_function" "api" {{
  function_name = "shop-{env}-api"
  runtime       = "python3.12"
  environment {{
    variables = var.env_vars
  }}
}}
"#
    )
}

/// `rule severity resource attribute` of each finding of a JSON report,
/// sorted.
fn finding_lines(json: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(json).expect("json");
    let mut findings: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["rule"], f["severity"], f["resource"], f["attribute"]
            )
        })
        .collect();
    findings.sort();
    findings
}

fn compare_envs(sensitive: bool, same_password: bool) -> (i32, Vec<String>, String) {
    let vars = |env: &str, pass: &str| {
        format!(
            "env_vars = {{\n  STAGE = \"{env}\"\n  DB_SCHEMA = \"public\"\n  DB_PASS = \"{pass}\"\n}}\n"
        )
    };
    let prod_pass = if same_password {
        "Sh4red-Pass-Word-1"
    } else {
        "Pr0d-Pass-Word-2"
    };
    let dir = tree(&[
        ("envs/staging/main.tf", &network("staging", sensitive)),
        ("envs/prod/main.tf", &network("prod", sensitive)),
        (
            "envs/staging/terraform.tfvars",
            &vars("staging", "Sh4red-Pass-Word-1"),
        ),
        ("envs/prod/terraform.tfvars", &vars("prod", prod_pass)),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n\
             [environments.prod]\nterraform = { root = \"envs/prod\" }\n",
        ),
    ]);
    let (stdout, stderr, code) = run(
        dir.path(),
        &["-v", "diff", "staging", "prod", "--format", "json"],
    );
    assert_ne!(code, 1, "{stderr}");
    (code, finding_lines(&stdout), stdout)
}

#[test]
fn a_sensitive_map_holding_the_environment_name_compares_as_without_the_mark() {
    for same_password in [true, false] {
        let (code_plain, plain, _) = compare_envs(false, same_password);
        let (code_marked, marked, stdout) = compare_envs(true, same_password);
        assert!(
            !stdout.contains("Sh4red-Pass") && !stdout.contains("Pr0d-Pass"),
            "a password in the report: {stdout}"
        );
        // Nothing but the secret's own attribute may differ between the
        // two runs, and only in how deep the finding points: the marked
        // map is one value.
        let strip = |list: &[String]| -> Vec<String> {
            list.iter().map(|f| f.replace(".DB_PASS\"", "\"")).collect()
        };
        assert_eq!(
            code_plain, code_marked,
            "exit codes differ (same password: {same_password})"
        );
        assert_eq!(
            strip(&plain),
            strip(&marked),
            "findings differ (same password: {same_password}):\n{stdout}"
        );
        assert!(!stdout.contains("aws_subnet.(sensitive)"), "{stdout}");
        assert!(!stdout.contains("subnet-placement"), "{stdout}");
    }
}

/// The same from state: a raw state whose Lambda environment map is
/// marked sensitive (`sensitive_attributes`) or not.
fn state(env: &str, sensitive: bool, pass: &str) -> String {
    let marks = if sensitive {
        r#"[[{"type":"get_attr","value":"environment"},{"type":"index","value":{"value":0,"type":"number"}},{"type":"get_attr","value":"variables"}]]"#
    } else {
        "[]"
    };
    let inst = |rtype: &str, name: &str, key: Option<&str>, attrs: String, marks: &str| {
        let key = key
            .map(|k| format!(r#""index_key": "{k}","#))
            .unwrap_or_default();
        format!(
            r#"{{"mode":"managed","type":"{rtype}","name":"{name}","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]","instances":[{{{key}"schema_version":0,"attributes":{attrs},"sensitive_attributes":{marks}}}]}}"#
        )
    };
    let id = if env == "staging" { "1111" } else { "2222" };
    let resources = [
        inst(
            "aws_vpc",
            "main",
            None,
            format!(
                r#"{{"id":"vpc-{id}","cidr_block":"10.0.0.0/16","tags":{{"Name":"shop-{env}"}}}}"#
            ),
            "[]",
        ),
        inst(
            "aws_subnet",
            "private",
            Some("a"),
            format!(
                r#"{{"id":"subnet-{id}a","vpc_id":"vpc-{id}","cidr_block":"10.0.1.0/24","availability_zone":"us-east-1a","tags":{{"Name":"shop-{env}-private-a","Tier":"public"}}}}"#
            ),
            "[]",
        ),
        inst(
            "aws_db_subnet_group",
            "db",
            None,
            format!(
                r#"{{"id":"shop-{env}-db","name":"shop-{env}-db","subnet_ids":["subnet-{id}a"]}}"#
            ),
            "[]",
        ),
        inst(
            "aws_db_instance",
            "db",
            None,
            format!(
                r#"{{"id":"db-{id}","identifier":"shop-{env}-db","engine":"postgres","engine_version":"16.3","db_subnet_group_name":"shop-{env}-db"}}"#
            ),
            "[]",
        ),
        inst(
            "aws_lambda_function",
            "api",
            None,
            format!(
                r#"{{"id":"shop-{env}-api","function_name":"shop-{env}-api","runtime":"python3.12","environment":[{{"variables":{{"STAGE":"{env}","DB_SCHEMA":"public","DB_PASS":"{pass}"}}}}]}}"#
            ),
            marks,
        ),
    ];
    format!(
        r#"{{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"l","outputs":{{}},"resources":[{}],"check_results":null}}"#,
        resources.join(",")
    )
}

#[test]
fn a_sensitive_map_in_state_compares_as_without_the_mark() {
    for same_password in [true, false] {
        let prod_pass = if same_password {
            "Sh4red-Pass-Word-1"
        } else {
            "Pr0d-Pass-Word-2"
        };
        let outcome = |sensitive: bool| {
            let dir = tree(&[
                (
                    "s.tfstate",
                    &state("staging", sensitive, "Sh4red-Pass-Word-1"),
                ),
                ("p.tfstate", &state("prod", sensitive, prod_pass)),
                (
                    "parity.toml",
                    "[environments.staging]\nstate = { path = \"s.tfstate\" }\n\
                     [environments.prod]\nstate = { path = \"p.tfstate\" }\n",
                ),
            ]);
            let (stdout, stderr, code) = run(
                dir.path(),
                &[
                    "-v", "diff", "staging", "prod", "--source", "state", "--format", "json",
                ],
            );
            assert_ne!(code, 1, "{stderr}");
            (code, finding_lines(&stdout), stdout)
        };
        let (code_plain, plain, _) = outcome(false);
        let (code_marked, marked, stdout) = outcome(true);
        assert!(
            !stdout.contains("Sh4red-Pass") && !stdout.contains("Pr0d-Pass"),
            "a password in the report: {stdout}"
        );
        assert!(!stdout.contains("shop-(sensitive)"), "{stdout}");
        assert_eq!(
            code_plain, code_marked,
            "exit codes differ (same password: {same_password})"
        );
        assert_eq!(
            plain, marked,
            "findings differ (same password: {same_password}):\n{stdout}"
        );
    }
}
