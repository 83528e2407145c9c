//! Tests of parity.toml loading: every problem reported at once, with its line.

use super::toml::{edit_distance, line_col};
use super::*;
use crate::model::Value;
use crate::sources::aws::AwsTable;
use crate::sources::state::StateTable;
use crate::sources::terraform::TerraformTable;
use std::fs;

/// A temp dir with the layout the examples refer to.
fn layout() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for d in ["envs/staging", "envs/prod", "rules", "state"] {
        fs::create_dir_all(tmp.path().join(d)).unwrap();
    }
    fs::write(tmp.path().join("envs/staging/terraform.tfvars"), "a = 1\n").unwrap();
    fs::write(tmp.path().join("envs/prod/terraform.tfvars"), "a = 2\n").unwrap();
    fs::write(tmp.path().join("rules/local.toml"), "").unwrap();
    tmp
}

fn parse_in(dir: &Path, text: &str) -> Result<Config, ConfigError> {
    parse(text, &dir.join(FILE_NAME))
}

fn problems_in(dir: &Path, text: &str) -> Vec<Problem> {
    match parse_in(dir, text) {
        Ok(c) => panic!("expected problems, got {c:#?}"),
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// Problems of `text` in a fresh layout.
fn problems(text: &str) -> Vec<Problem> {
    let tmp = layout();
    problems_in(tmp.path(), text)
}

#[track_caller]
fn assert_problem(problems: &[Problem], line: usize, key: &str, message: &str) {
    assert!(
        problems
            .iter()
            .any(|p| p.line == line && p.key == key && p.message.contains(message)),
        "no problem at line {line} for `{key}` containing {message:?} in {problems:#?}"
    );
}

const FULL: &str = r#"rules = ["rules/local.toml", "rules"]
fail-on = "warning"

[environments.staging]
aliases = ["stg", "stage"]
account-id = "111111111111"
region = "eu-west-1"
terraform = { root = "envs/staging", var-files = ["envs/staging/terraform.tfvars"], workspace = "staging", vars = { replicas = 2, name = "shop", on = true, zones = ["a", "b"], tags = { team = "core" } } }
state = { path = "state/staging.tfstate" }
aws = { profile = "staging", region = "eu-west-1", role-arn = "arn:aws:iam::111111111111:role/parity", external-id = "x-1", endpoint-url = "http://127.0.0.1:5000", tags = { Environment = "staging" } }

[environments.prod]
aliases = ["production"]
account-id = "222222222222"

[environments.prod.terraform]
root = "envs/prod"
var-files = ["envs/prod/terraform.tfvars"]
module = "module.app"

[environments.prod.state]
paths = ["s3://bucket/prod.tfstate", "state/prod-2.tfstate"]
plan = "plan.json"

[[check]]
reference = "prod"
compare = ["staging"]
source = "state"

[[check]]
reference = "production"
compare = ["stg"]

[[match]]
staging = "module.staging_router"
prod = "module.production_router"

[[waiver]]
rule = "engine-version"
resource = "module.db.aws_db_instance.*"
environments = ["staging"]
reason = "staging tries PostgreSQL 16 first"
owner = "data-platform"
expires = "2026-12-31"

[[waiver]]
rule = "instance-class"
resource = "*"
reason = "smaller in staging"
expires = 2027-01-15
"#;

#[test]
fn full_example_loads_with_every_field() {
    let tmp = layout();
    let d = tmp.path();
    let c = parse_in(d, FULL).unwrap();
    assert_eq!(c.path, d.join("parity.toml"));
    assert_eq!(c.dir, d);
    assert_eq!(c.rules, vec![d.join("rules/local.toml"), d.join("rules")]);
    assert_eq!(c.fail_on, Some(FailOn::Warning));
    assert_eq!(
        c.environments.keys().collect::<Vec<_>>(),
        vec!["prod", "staging"]
    );

    let stg = &c.environments["staging"];
    assert_eq!(stg.name, "staging");
    assert_eq!(stg.aliases, vec!["stg", "stage"]);
    assert_eq!(stg.account_id.as_deref(), Some("111111111111"));
    assert_eq!(stg.region.as_deref(), Some("eu-west-1"));
    assert_eq!(stg.line, 4);
    let tf = stg.sources.get::<TerraformTable>().unwrap();
    assert_eq!(tf.root, d.join("envs/staging"));
    assert_eq!(tf.var_files, vec![d.join("envs/staging/terraform.tfvars")]);
    assert_eq!(tf.workspace, "staging");
    assert_eq!(tf.module, None);
    assert_eq!(tf.vars["replicas"], Value::Number(2.0));
    assert_eq!(tf.vars["name"], Value::str("shop"));
    assert_eq!(tf.vars["on"], Value::Bool(true));
    assert_eq!(
        tf.vars["zones"],
        Value::List(vec![Value::str("a"), Value::str("b")])
    );
    assert_eq!(
        tf.vars["tags"],
        Value::Map([("team".to_string(), Value::str("core"))].into())
    );
    let st = stg.sources.get::<StateTable>().unwrap();
    assert_eq!(
        st.paths,
        vec![d
            .join("state/staging.tfstate")
            .to_string_lossy()
            .into_owned()]
    );
    assert_eq!(st.plan, None);
    let aws = stg.sources.get::<AwsTable>().unwrap();
    assert_eq!(aws.profile.as_deref(), Some("staging"));
    assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        aws.role_arn.as_deref(),
        Some("arn:aws:iam::111111111111:role/parity")
    );
    assert_eq!(aws.external_id.as_deref(), Some("x-1"));
    assert_eq!(aws.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
    assert_eq!(aws.tags["Environment"], "staging");

    let prod = &c.environments["prod"];
    assert_eq!(prod.line, 12);
    assert_eq!(prod.region, None);
    assert!(prod.sources.get::<AwsTable>().is_none());
    let tf = prod.sources.get::<TerraformTable>().unwrap();
    assert_eq!(tf.root, d.join("envs/prod"));
    assert_eq!(tf.workspace, "default");
    assert_eq!(tf.module.as_deref(), Some("module.app"));
    assert!(tf.vars.is_empty());
    let st = prod.sources.get::<StateTable>().unwrap();
    assert_eq!(st.paths[0], "s3://bucket/prod.tfstate");
    assert_eq!(
        st.paths[1],
        d.join("state/prod-2.tfstate").to_string_lossy()
    );
    assert_eq!(st.plan, Some(d.join("plan.json")));

    assert_eq!(
        c.checks,
        vec![
            Check {
                reference: "prod".into(),
                compare: vec!["staging".into()],
                source: SourceKind::State,
                line: 25,
            },
            Check {
                reference: "prod".into(),
                compare: vec!["staging".into()],
                source: SourceKind::Code,
                line: 30,
            },
        ]
    );
    assert_eq!(c.matches.len(), 1);
    assert_eq!(c.matches[0].line, 34);
    assert_eq!(c.matches[0].addresses["staging"], "module.staging_router");
    assert_eq!(c.matches[0].addresses["prod"], "module.production_router");
    assert_eq!(
        c.waivers[0],
        Waiver {
            rule: "engine-version".into(),
            resource: "module.db.aws_db_instance.*".into(),
            environments: vec!["staging".into()],
            reason: "staging tries PostgreSQL 16 first".into(),
            owner: Some("data-platform".into()),
            expires: Some("2026-12-31".into()),
            line: 38,
        }
    );
    assert_eq!(c.waivers[1].environments, Vec::<String>::new());
    assert_eq!(c.waivers[1].expires.as_deref(), Some("2027-01-15"));
    assert_eq!(c.waivers[1].owner, None);
    assert_eq!(
        c.environment("stg").map(|e| e.name.as_str()),
        Some("staging")
    );
    assert_eq!(c.environment("prod").map(|e| e.line), Some(12));
    assert!(c.environment("qa").is_none());
}

#[test]
fn fail_on_parses_and_maps_to_a_threshold() {
    assert_eq!("error".parse::<FailOn>(), Ok(FailOn::Error));
    assert_eq!(FailOn::Warning.threshold(), Some(Severity::Warning));
    assert_eq!(FailOn::Info.threshold(), Some(Severity::Info));
    assert_eq!(FailOn::Error.threshold(), Some(Severity::Error));
    assert_eq!("never".parse::<FailOn>().unwrap().threshold(), None);
    assert!("fatal".parse::<FailOn>().is_err());
    assert_eq!(FailOn::Never.to_string(), "never");
}

#[test]
fn a_plan_url_is_kept_as_written() {
    let c = parse(
        "[environments.prod.state]\nplan = \"s3://bucket/plans/prod.json\"\n",
        Path::new("conf/parity.toml"),
    )
    .unwrap();
    let st = c.environments["prod"].sources.get::<StateTable>().unwrap();
    assert_eq!(st.plan, Some(PathBuf::from("s3://bucket/plans/prod.json")));
}

#[test]
fn empty_file_is_a_valid_empty_config() {
    let c = parse("", Path::new("parity.toml")).unwrap();
    assert_eq!(c.dir, Path::new("."));
    assert!(c.environments.is_empty() && c.checks.is_empty());
    assert_eq!(c.fail_on, None);
}

#[test]
fn syntax_error_reports_toml_position_and_stops() {
    let p =
        problems("fail-on = \"error\"\n[environments.staging]\naliases = [\"stg\"\nbogus = 1\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].key, "");
    assert_eq!(p[0].line, 4);
    assert!(
        p[0].message.starts_with("TOML syntax error: "),
        "{}",
        p[0].message
    );
    let p = problems("a = 1\na = 2\n");
    assert_eq!((p[0].line, p[0].column), (2, 1));
    assert!(p[0].message.contains("duplicate key `a`"));
}

#[test]
fn unknown_keys_are_named_with_a_suggestion() {
    let p = problems(
        r#"failon = "error"
[environments.staging]
terraform = { root = "envs/staging", var_files = [] }
colour = "blue"
[environments.staging.aws]
role_arn = "arn:aws:iam::111111111111:role/x"
[[checks]]
reference = "staging"
"#,
    );
    assert_problem(
        &p,
        1,
        "failon",
        "unknown key `failon`, did you mean `fail-on`?",
    );
    assert_problem(
        &p,
        3,
        "environments.staging.terraform.var_files",
        "unknown key `var_files`, did you mean `var-files`?",
    );
    assert_problem(
            &p,
            4,
            "environments.staging.colour",
            "unknown key `colour` (expected one of: aliases, account-id, region, terraform, terragrunt, cloudformation, cdk, pulumi, state, aws)",
        );
    assert_problem(
        &p,
        6,
        "environments.staging.aws.role_arn",
        "did you mean `role-arn`?",
    );
    assert_problem(&p, 7, "checks", "did you mean `check`?");
    assert_eq!(p.len(), 5, "{p:#?}");
    // Column of the key.
    assert_eq!(p[1].column, 38);
}

#[test]
fn wrong_types_are_reported() {
    let p = problems(
        r#"rules = "rules"
[environments.staging]
aliases = "stg"
account-id = 111111111111
terraform = "envs/staging"
[environments.prod]
aliases = ["p", 3]
aws = { tags = { Environment = 1 } }
[check]
reference = "prod"
"#,
    );
    assert_problem(
        &p,
        1,
        "rules",
        "expected an array of strings, found a string",
    );
    assert_problem(
        &p,
        3,
        "environments.staging.aliases",
        "expected an array of strings, found a string",
    );
    assert_problem(
        &p,
        4,
        "environments.staging.account-id",
        "expected a string of 12 digits, found an integer",
    );
    assert_problem(
        &p,
        5,
        "environments.staging.terraform",
        "expected a table, found a string",
    );
    assert_problem(
        &p,
        7,
        "environments.prod.aliases[1]",
        "expected a string, found an integer",
    );
    assert_problem(
        &p,
        8,
        "environments.prod.aws.tags.Environment",
        "expected a string, found an integer",
    );
    assert_problem(
        &p,
        9,
        "check",
        "expected an array of tables (`[[check]]`), found a table",
    );
    assert_eq!(p.len(), 7, "{p:#?}");
}

#[test]
fn missing_required_keys() {
    let p = problems(
        r#"[environments.staging]
terraform = { var-files = [] }
[environments.prod]

[[check]]
source = "code"

[[match]]
prod = "module.a"

[[waiver]]
owner = "me"
"#,
    );
    assert_problem(
        &p,
        2,
        "environments.staging.terraform.root",
        "missing required key `root`",
    );
    assert_problem(
        &p,
        5,
        "check[0].reference",
        "missing required key `reference`",
    );
    assert_problem(&p, 5, "check[0].compare", "missing required key `compare`");
    assert_problem(&p, 8, "match[0]", "at least two environments, found 1");
    assert_problem(&p, 11, "waiver[0].rule", "missing required key `rule`");
    assert_problem(
        &p,
        11,
        "waiver[0].resource",
        "missing required key `resource`",
    );
    assert_problem(&p, 11, "waiver[0].reason", "missing required key `reason`");
    assert_eq!(p.len(), 7, "{p:#?}");
}

#[test]
fn paths_that_must_exist() {
    let p = problems(
        r#"rules = ["rules/local.toml", "rules/nope.toml"]
[environments.staging]
terraform = { root = "envs/nope", var-files = ["envs/staging/terraform.tfvars", "envs/staging/nope.tfvars"] }
state = { path = "state/missing.tfstate", plan = "missing-plan.json" }
[environments.prod]
terraform = { root = "envs/prod/terraform.tfvars", var-files = ["envs/prod"] }
"#,
    );
    assert_problem(&p, 1, "rules[1]", "rule file or folder");
    assert_problem(&p, 1, "rules[1]", "nope.toml` does not exist");
    assert_problem(
        &p,
        3,
        "environments.staging.terraform.root",
        "envs/nope` does not exist",
    );
    assert_problem(
        &p,
        3,
        "environments.staging.terraform.var-files[1]",
        "nope.tfvars` does not exist",
    );
    assert_problem(
        &p,
        6,
        "environments.prod.terraform.root",
        "terraform.tfvars` is not a directory",
    );
    assert_problem(
        &p,
        6,
        "environments.prod.terraform.var-files[0]",
        "is a directory",
    );
    let empty = problems("[environments.qa]\nterraform = { root = \"\" }\n");
    assert_problem(
        &empty,
        2,
        "environments.qa.terraform.root",
        "cannot be empty",
    );
    let tmp = layout();
    let c = parse_in(
        tmp.path(),
        "[environments.qa]\nterraform = { root = \".\" }\n",
    )
    .unwrap();
    assert_eq!(
        c.environments["qa"]
            .sources
            .get::<TerraformTable>()
            .unwrap()
            .root,
        tmp.path().join(".")
    );
    // A missing state file or plan is the state source's business.
    assert_eq!(p.len(), 5, "{p:#?}");
}

#[test]
fn references_to_unknown_environments() {
    let p = problems(
        r#"[environments.staging]
[environments.prod]

[[check]]
reference = "prd"
compare = ["staging", "qa"]

[[match]]
staging = "module.a"
stagin = "module.b"

[[waiver]]
rule = "x"
resource = "*"
reason = "r"
environments = ["dev"]
"#,
    );
    assert_problem(
        &p,
        5,
        "check[0].reference",
        "environment `prd` is not defined under [environments], did you mean `prod`?",
    );
    assert_problem(
        &p,
        6,
        "check[0].compare[1]",
        "environment `qa` is not defined under [environments] (defined: prod, staging)",
    );
    assert_problem(&p, 10, "match[0].stagin", "did you mean `staging`?");
    assert_problem(&p, 16, "waiver[0].environments[0]", "`dev` is not defined");
    assert_eq!(p.len(), 4, "{p:#?}");
}

#[test]
fn check_reference_in_compare_and_empty_compare() {
    let p = problems(
        r#"[environments.staging]
aliases = ["stg"]
[environments.prod]
[[check]]
reference = "staging"
compare = ["prod", "stg"]
[[check]]
reference = "prod"
compare = []
"#,
    );
    assert_problem(
        &p,
        6,
        "check[0].compare[1]",
        "`stg` is the reference of this check",
    );
    assert_problem(&p, 9, "check[1].compare", "at least one environment");
    assert_eq!(p.len(), 2, "{p:#?}");
}

#[test]
fn match_resolves_aliases_and_rejects_duplicates() {
    let tmp = layout();
    let text = r#"[environments.staging]
aliases = ["stg"]
[environments.prod]
[[match]]
stg = "module.a"
prod = 3
[[match]]
stg = "module.a"
staging = "module.b"
prod = "module.c"
"#;
    let p = problems_in(tmp.path(), text);
    assert_problem(
        &p,
        6,
        "match[0].prod",
        "expected a string, found an integer",
    );
    assert_problem(&p, 4, "match[0]", "at least two environments, found 1");
    assert_problem(&p, 9, "match[1].staging", "`staging` is given twice");
    assert_eq!(p.len(), 3, "{p:#?}");
    let c = parse_in(
            tmp.path(),
            "[environments.staging]\naliases = [\"stg\"]\n[environments.prod]\n[[match]]\nstg = \"module.a\"\nprod = \"module.b\"\n",
        )
        .unwrap();
    assert_eq!(c.matches[0].addresses["staging"], "module.a");
    assert_eq!(c.matches[0].line, 4);
}

#[test]
fn alias_clashes() {
    let p = problems(
        r#"[environments.staging]
aliases = ["stg", "staging"]
[environments.stage]
aliases = ["stg", "prod"]
[environments.prod]
"#,
    );
    assert_problem(
        &p,
        4,
        "environments.stage.aliases[0]",
        "alias `stg` is also used by environment `staging`",
    );
    assert_problem(
        &p,
        4,
        "environments.stage.aliases[1]",
        "alias `prod` is the name of another environment",
    );
    assert_eq!(p.len(), 2, "{p:#?}");
}

#[test]
fn invalid_enumerations_and_formats() {
    let p = problems(
        r#"fail-on = "fatal"
[environments.staging]
account-id = "1111"
region = "eu-west1"
aws = { region = "Europe", role-arn = "my-role", endpoint-url = "localhost:5000" }
[environments.prod]
[[check]]
reference = "prod"
compare = ["staging"]
source = "tfstate"
[[waiver]]
rule = "x"
resource = "module.{a"
reason = "r"
expires = "2026-02-30"
[[waiver]]
rule = "x"
resource = "*"
reason = "  "
expires = "next week"
[[waiver]]
rule = "x"
resource = "*"
reason = "r"
expires = 2026-01-01T10:00:00
"#,
    );
    assert_problem(
        &p,
        1,
        "fail-on",
        "invalid value `fatal`, expected one of: error, warning, info, never",
    );
    assert_problem(
        &p,
        3,
        "environments.staging.account-id",
        "`1111` is not an AWS account id (12 digits)",
    );
    assert_problem(
        &p,
        4,
        "environments.staging.region",
        "not an AWS region name",
    );
    assert_problem(
        &p,
        5,
        "environments.staging.aws.region",
        "`Europe` is not an AWS region",
    );
    assert_problem(
        &p,
        5,
        "environments.staging.aws.role-arn",
        "not an IAM role ARN",
    );
    assert_problem(
        &p,
        5,
        "environments.staging.aws.endpoint-url",
        "not an http://",
    );
    assert_problem(
        &p,
        10,
        "check[0].source",
        "invalid value `tfstate`, expected one of: code, state, plan, live",
    );
    assert_problem(&p, 13, "waiver[0].resource", "invalid glob");
    assert_problem(
        &p,
        15,
        "waiver[0].expires",
        "`2026-02-30` is not a valid date",
    );
    assert_problem(&p, 19, "waiver[1].reason", "`reason` cannot be empty");
    assert_problem(
        &p,
        20,
        "waiver[1].expires",
        "`next week` is not a valid date",
    );
    assert_problem(&p, 25, "waiver[2].expires", "expected a date (YYYY-MM-DD)");
    assert_eq!(p.len(), 12, "{p:#?}");
}

#[test]
fn state_path_and_paths_are_exclusive() {
    let p = problems(
        r#"[environments.staging]
state = { path = "a.tfstate", paths = ["b.tfstate"] }
[environments.prod.state]
"#,
    );
    assert_problem(
        &p,
        2,
        "environments.staging.state.paths",
        "`path` and `paths` cannot both be set",
    );
    assert_problem(
        &p,
        3,
        "environments.prod.state",
        "needs `path`, `paths` or `plan`",
    );
    assert_eq!(p.len(), 2, "{p:#?}");
}

#[test]
fn all_problems_are_reported_sorted_and_rendered() {
    let tmp = layout();
    let text = r#"fail-on = "sometimes"
[environments.staging]
aliases = "stg"
terraform = { root = "envs/missing", var_files = ["x.tfvars"] }

[[check]]
reference = "prod"
compare = ["staging"]
"#;
    let err = parse_in(tmp.path(), text).unwrap_err();
    let ConfigError::Invalid { path, problems } = &err else {
        panic!("{err}");
    };
    assert_eq!(path, &tmp.path().join("parity.toml"));
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![1, 3, 4, 4, 7]);
    let rendered = err.to_string();
    let file = tmp.path().join("parity.toml");
    let f = file.display();
    let root = tmp.path().join("envs/missing");
    let expected = format!(
            "invalid configuration {f}: 5 problems\n  \
             {f}:1:11: fail-on: invalid value `sometimes`, expected one of: error, warning, info, never\n  \
             {f}:3:11: environments.staging.aliases: expected an array of strings, found a string\n  \
             {f}:4:22: environments.staging.terraform.root: directory `{}` does not exist\n  \
             {f}:4:38: environments.staging.terraform.var_files: unknown key `var_files`, did you mean `var-files`?\n  \
             {f}:7:13: check[0].reference: environment `prod` is not defined under [environments] (defined: staging)",
            root.display()
        );
    assert_eq!(rendered, expected);
}

#[test]
fn render_singular_and_syntax_error() {
    let err = parse("x = [", Path::new("conf/parity.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
            text.starts_with("invalid configuration conf/parity.toml: 1 problem\n  conf/parity.toml:1:6: TOML syntax error: "),
            "{text}"
        );
}

#[test]
fn relative_paths_resolve_against_the_config_dir() {
    let tmp = layout();
    fs::create_dir_all(tmp.path().join("infra")).unwrap();
    let text = r#"rules = ["../rules/local.toml"]
[environments.staging]
terraform = { root = "../envs/staging", var-files = ["../envs/staging/terraform.tfvars"] }
state = { paths = ["../state/s.tfstate", "/abs/s.tfstate"], plan = "p.json" }
"#;
    let infra = tmp.path().join("infra");
    fs::write(infra.join("parity.toml"), text).unwrap();
    // Loaded from elsewhere than the current directory.
    let c = load(&infra.join("parity.toml")).unwrap();
    assert_eq!(c.dir, infra);
    assert_eq!(c.rules, vec![infra.join("../rules/local.toml")]);
    let env = &c.environments["staging"];
    let tf = env.sources.get::<TerraformTable>().unwrap();
    assert_eq!(tf.root, infra.join("../envs/staging"));
    assert!(tf.root.is_dir());
    let st = env.sources.get::<StateTable>().unwrap();
    assert_eq!(
        st.paths[0],
        infra.join("../state/s.tfstate").to_string_lossy()
    );
    assert_eq!(st.paths[1], "/abs/s.tfstate");
    assert_eq!(st.plan, Some(infra.join("p.json")));
}

#[test]
fn standard_dotted_and_inline_tables_all_work() {
    let tmp = layout();
    let text = r#"[environments]
staging = { terraform = { root = "envs/staging" } }

[environments.prod]
terraform.root = "envs/prod"
terraform.vars.replicas = 3
aws.tags.Environment = "prod"

[environments.qa.terraform]
root = "envs/staging"
[environments.qa.terraform.vars]
size = "small"

check = [{ reference = "prod", compare = ["staging", "qa"] }]
"#;
    // `check` above belongs to [environments.qa.terraform.vars]: a var.
    let c = parse_in(tmp.path(), text).unwrap();
    assert_eq!(
        c.environments["prod"]
            .sources
            .get::<TerraformTable>()
            .unwrap()
            .vars["replicas"],
        Value::Number(3.0)
    );
    assert_eq!(
        c.environments["prod"]
            .sources
            .get::<AwsTable>()
            .unwrap()
            .tags["Environment"],
        "prod"
    );
    assert_eq!(c.environments["staging"].line, 2);
    let qa = c.environments["qa"]
        .sources
        .get::<TerraformTable>()
        .unwrap();
    assert_eq!(qa.vars["size"], Value::str("small"));
    assert!(qa.vars.contains_key("check"));
    assert!(c.checks.is_empty());

    let text = r#"check = [{ reference = "prod", compare = ["staging"] }]
[environments.staging]
[environments.prod]
"#;
    let c = parse_in(tmp.path(), text).unwrap();
    assert_eq!(c.checks[0].compare, vec!["staging"]);
    assert_eq!(c.checks[0].line, 1);
}

#[test]
fn load_finds_parity_toml_in_a_directory() {
    let tmp = layout();
    fs::write(
        tmp.path().join(FILE_NAME),
        "[environments.staging]\nterraform = { root = \"envs/staging\" }\n",
    )
    .unwrap();
    let c = load(tmp.path()).unwrap();
    assert_eq!(c.path, tmp.path().join(FILE_NAME));
    assert_eq!(
        c.environments["staging"]
            .sources
            .get::<TerraformTable>()
            .unwrap()
            .root,
        tmp.path().join("envs/staging")
    );
    assert_eq!(
        locate(Some(tmp.path()), Path::new("/")),
        Some(c.path.clone())
    );
    assert_eq!(locate(None, tmp.path()), Some(c.path.clone()));
    assert_eq!(locate(None, &tmp.path().join("envs")), None);
}

#[test]
fn missing_file_is_an_io_error_with_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.toml");
    match load(&missing) {
        Err(ConfigError::Io { path, cause }) => {
            assert_eq!(path, missing);
            assert_eq!(cause.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    let err = load(tmp.path()).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "cannot read {}: ",
            tmp.path().join(FILE_NAME).display()
        )),
        "{err}"
    );
}

#[test]
fn helpers() {
    assert_eq!(edit_distance("var_files", "var-files"), 1);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(
        closest("enviroments", TOP_KEYS.iter().copied()),
        Some("environments")
    );
    assert_eq!(closest("zzz", TOP_KEYS.iter().copied()), None);
    assert!(is_valid_date("2024-02-29"));
    assert!(!is_valid_date("2023-02-29"));
    assert!(!is_valid_date("2023-13-01"));
    assert!(!is_valid_date("2023-1-01"));
    assert!(!is_valid_date("+023-01-01"));
    assert_eq!(line_col("ab\ncd", 3), (2, 1));
    assert_eq!(line_col("ab\nçd", 5), (2, 2));
    assert_eq!(
        join_key("environments", "eu.prod"),
        "environments.\"eu.prod\""
    );
}
