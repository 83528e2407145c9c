//! Provenance and root causes (issue #20): a finding names the inputs that
//! make it, with the line that sets each on both sides, and findings that
//! share a cause are grouped under it. Grouping changes no finding.

mod common;

use common::{parity, repo, shop, tree};
use serde_json::Value;

fn json(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = parity(dir)
        .args(["diff", "staging", "prod", "--format", "json"])
        .args(args)
        .assert()
        .code(2);
    serde_json::from_slice(&out.get_output().stdout).expect("the JSON report")
}

fn finding<'r>(report: &'r Value, resource: &str, attribute: &str) -> &'r Value {
    report["findings"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|f| f["resource"] == resource && f["attribute"] == attribute)
        })
        .unwrap_or_else(|| panic!("no finding {resource} {attribute}"))
}

fn cause<'r>(report: &'r Value, subject: &str) -> &'r Value {
    report["root_causes"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["subject"] == subject))
        .unwrap_or_else(|| panic!("no root cause {subject}: {:#}", report["root_causes"]))
}

#[test]
fn shop_findings_name_the_tfvars_line_that_feeds_them() {
    let r = json(&shop(), &[]);
    let f = finding(&r, "module.database.aws_db_instance.main", "engine_version");
    let causes = f["causes"].as_array().expect("causes");
    assert_eq!(causes.len(), 1, "{causes:#?}");
    let c = &causes[0];
    assert_eq!(c["input"], "var.database.engine_version");
    assert_eq!(c["kind"], "variable");
    assert_eq!(c["left"], "15.7");
    assert_eq!(c["right"], "15.5");
    // The nested key's own line inside `database = { ... }`.
    assert_eq!(
        c["locations"]["staging"],
        "envs/staging/terraform.tfvars:29"
    );
    assert_eq!(c["locations"]["prod"], "envs/prod/terraform.tfvars:29");
    // A count decided by two variables names both.
    let nat = finding(&r, "module.network.aws_nat_gateway.main", "@count");
    let names: Vec<&str> = nat["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .filter_map(|c| c["input"].as_str())
        .collect();
    assert_eq!(names, ["var.azs", "var.nat_per_az"]);
    // The subnets' count follows the zones only, not the CIDR their values use.
    let subnets = finding(&r, "module.network.aws_subnet.private", "@count");
    assert_eq!(subnets["causes"].as_array().map(Vec::len), Some(1));
    // A secret's cause never shows the secret.
    let text = r.to_string();
    assert!(!text.contains("CANARY"), "a secret reached the report");
}

#[test]
fn shop_topology_of_two_zones_against_three_is_one_root_cause() {
    let r = json(&shop(), &[]);
    let azs = cause(&r, "var.azs");
    assert_eq!(azs["kind"], "input");
    assert_eq!(azs["severity"], "error");
    assert_eq!(
        azs["locations"]["staging"],
        "envs/staging/terraform.tfvars:20"
    );
    assert_eq!(azs["locations"]["prod"], "envs/prod/terraform.tfvars:20");
    let members: Vec<String> = azs["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(Value::as_u64)
        .map(|i| {
            let f = &r["findings"][i as usize];
            format!(
                "{} {}",
                f["resource"].as_str().unwrap_or(""),
                f["attribute"].as_str().unwrap_or("")
            )
        })
        .collect();
    for expected in [
        "module.network.aws_subnet.public @count",
        "module.network.aws_subnet.private @count",
        "module.network.aws_route_table.private @count",
        "module.network.aws_nat_gateway.main @count",
        "module.network.aws_eip.nat @count",
        "module.network.aws_route_table_association.private @count",
        "module.app.aws_lb.app subnets",
        "module.database.aws_db_subnet_group.main subnet_ids",
    ] {
        assert!(
            members.iter().any(|m| m == expected),
            "{expected} not under var.azs: {members:#?}"
        );
    }
    assert_eq!(members.len(), 12);
    // The summary counts causes and the items a reader goes through; the
    // findings and their counts are those of every finding, as before.
    assert_eq!(r["summary"]["causes"], 7);
    assert_eq!(r["summary"]["items"], 9);
    assert_eq!(r["summary"]["errors"], 18);
    assert_eq!(r["findings"].as_array().map(Vec::len), Some(25));
}

#[test]
fn causes_leave_the_baseline_identity_alone() {
    let r = json(&shop(), &[]);
    let report: parity::report::Report = serde_json::from_value(r).expect("the report reads back");
    for f in &report.findings {
        let mut bare = f.clone();
        bare.causes.clear();
        assert_eq!(
            parity::baseline::fingerprint(f),
            parity::baseline::fingerprint(&bare)
        );
    }
    // Written as a baseline and read back, every finding is `existing`
    // (exit 3: nothing new, and shop's remote module is not read).
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().expect("utf-8 path");
    parity(&shop())
        .args(["diff", "staging", "prod", "--write-baseline", baseline])
        .assert()
        .code(2);
    let out = parity(&shop())
        .args(["diff", "staging", "prod", "--baseline", baseline])
        .assert()
        .code(3);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("0 new, 20 existing (0 changed), 0 resolved"),
        "{stdout}"
    );
}

#[test]
fn a_module_argument_a_default_and_a_module_in_one_environment() {
    let dir = repo().join("fixtures/provenance");
    let r = json(&dir, &[]);
    let c = cause(&r, "module.db.engine_version");
    assert_eq!(c["kind"], "input");
    assert_eq!(c["left"], "\"16.2\"");
    assert_eq!(c["right"], "\"16.1\"");
    assert_eq!(c["locations"]["staging"], "envs/staging/main.tf:9");
    assert_eq!(c["locations"]["prod"], "envs/prod/main.tf:9");
    // Set in staging, the module's default in prod: the default's line.
    let d = cause(&r, "module.db.storage_encrypted");
    assert_eq!(d["right"], "(default)");
    assert_eq!(d["locations"]["prod"], "modules/db/main.tf:11");
    // `local.name` differs only by the environment's name: no cause.
    assert!(r.to_string().find("local.name").is_none());
    // One item for the module called in prod only, its resources under it.
    let m = cause(&r, "module.alarms");
    assert_eq!(m["kind"], "module");
    assert_eq!(m["findings"].as_array().map(Vec::len), Some(3));
    assert_eq!(r["summary"]["items"], 3);

    // The table lists the module's resources on demand only.
    let table = |args: &[&str]| {
        let out = parity(&dir)
            .args(["diff", "staging", "prod"])
            .args(args)
            .assert()
            .code(2);
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    let plain = table(&[]);
    assert!(
        plain.contains("module.alarms only in prod (envs/prod/main.tf:12)"),
        "{plain}"
    );
    assert!(!plain.contains("aws_sns_topic.alarms"), "{plain}");
    let verbose = table(&["--verbose"]);
    assert!(
        verbose.contains("module.alarms.aws_sns_topic.alarms"),
        "{verbose}"
    );
    // --fail-on judges every finding: the module's warnings fail at warning.
    parity(&dir)
        .args(["diff", "staging", "prod", "--fail-on", "warning"])
        .assert()
        .code(2);
}

#[test]
fn sarif_links_each_cause_line() {
    let out = parity(&shop())
        .args(["diff", "staging", "prod", "--format", "sarif"])
        .assert()
        .code(2);
    let sarif: Value = serde_json::from_slice(&out.get_output().stdout).expect("SARIF");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let engine = results
        .iter()
        .find(|r| r["ruleId"] == "engine-version")
        .expect("the engine-version result");
    let related: Vec<&str> = engine["relatedLocations"]
        .as_array()
        .expect("related locations")
        .iter()
        .filter_map(|l| l["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        related.contains(&"fixtures/shop/envs/staging/terraform.tfvars")
            || related
                .iter()
                .any(|u| u.ends_with("envs/staging/terraform.tfvars")),
        "{related:?}"
    );
    assert!(
        related
            .iter()
            .any(|u| u.ends_with("envs/prod/terraform.tfvars")),
        "{related:?}"
    );
    let text = engine["message"]["text"].as_str().unwrap_or("");
    assert!(
        text.contains("Caused by var.database.engine\\_version")
            || text.contains("Caused by var.database.engine_version"),
        "{text}"
    );
}

#[test]
fn module_calls_named_after_their_environment_share_their_inputs() {
    // `module "staging_router"` and `module "prod_router"`: the same call,
    // named per environment; their arguments pair as `module.${env}_router.*`.
    let module = r#"
variable "domain" {
  type = string
}

resource "aws_route53_record" "www" {
  zone_id = "Z123"
  name    = "www.${var.domain}"
  type    = "CNAME"
  ttl     = 300
  records = ["origin.example.com"]
}
"#;
    let dir = common::tree(&[
        ("modules/router/main.tf", module),
        (
            "envs/staging/main.tf",
            "module \"staging_router\" {\n  source = \"../../modules/router\"\n  domain = \"shop.example\"\n}\n",
        ),
        (
            "envs/prod/main.tf",
            "module \"prod_router\" {\n  source = \"../../modules/router\"\n  domain = \"shop.example.org\"\n}\n",
        ),
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n\n[environments.prod]\nterraform = { root = \"envs/prod\" }\n",
        ),
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
        .assert()
        .code(0);
    let r: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    let f = finding(&r, "module.${env}_router.aws_route53_record.www", "name");
    let c = &f["causes"][0];
    assert_eq!(c["input"], "module.${env}_router.domain", "{f:#}");
    assert_eq!(c["locations"]["staging"], "envs/staging/main.tf:3");
    assert_eq!(c["locations"]["prod"], "envs/prod/main.tf:3");
}

#[test]
fn cfn_shop_findings_are_grouped_under_the_parameters_that_set_them() {
    let dir = repo().join("fixtures/cfn-shop");
    let r = json(&dir, &[]);
    let engine = cause(&r, "DbEngineVersion");
    assert_eq!(engine["kind"], "input");
    assert_eq!(engine["left"], "16.4");
    assert_eq!(engine["right"], "15.8");
    assert_eq!(engine["locations"]["staging"], "cfn/params/staging.json:3");
    assert_eq!(engine["locations"]["prod"], "cfn/params/prod.json:4");
    let class = cause(&r, "DbInstanceClass");
    assert_eq!(class["locations"]["staging"], "cfn/params/staging.json:4");
    assert_eq!(class["locations"]["prod"], "cfn/params/prod.json:5");
    let f = finding(&r, "aws_db_instance.Database", "engine_version");
    let c = &f["causes"][0];
    assert_eq!(c["input"], "DbEngineVersion");
    assert_eq!(c["kind"], "parameter");
    // Through `Fn::If` on a condition of `EnvName`.
    let subnets = finding(&r, "aws_db_subnet_group.DbSubnetGroup", "subnet_ids");
    assert_eq!(subnets["causes"][0]["input"], "EnvName");
    // The NoEcho parameter: a cause, located, its value never printed.
    let all = parity(&dir)
        .args(["diff", "staging", "prod", "--format", "json", "--verbose"])
        .assert()
        .code(2);
    let text = String::from_utf8_lossy(&all.get_output().stdout).to_string();
    let v: Value = serde_json::from_str(&text).expect("the JSON report");
    let pw = finding(&v, "aws_db_instance.Database", "password");
    let c = &pw["causes"][0];
    assert_eq!(c["input"], "DbPassword");
    assert_eq!(c["left"], "(sensitive)");
    assert_eq!(c["right"], "(sensitive)");
    assert_eq!(c["locations"]["staging"], "cfn/params/staging.json:5");
    for secret in ["Hunter2", "Horse"] {
        assert!(!text.contains(secret), "{secret} printed");
    }
}

#[test]
fn pulumi_findings_are_grouped_under_the_stack_config_keys_that_set_them() {
    let dir = repo().join("fixtures/pulumi-yaml");
    let r = json(&dir, &[]);
    let engine = cause(&r, "dbEngineVersion");
    assert_eq!(engine["left"], "15.4");
    assert_eq!(engine["right"], "16.2");
    assert_eq!(engine["locations"]["staging"], "Pulumi.staging.yaml:3");
    assert_eq!(engine["locations"]["prod"], "Pulumi.prod.yaml:3");
    let class = cause(&r, "dbInstanceClass");
    assert_eq!(class["locations"]["staging"], "Pulumi.staging.yaml:4");
    assert_eq!(class["locations"]["prod"], "Pulumi.prod.yaml:4");
    let f = finding(&r, "aws_db_instance.db", "engine_version");
    assert_eq!(f["causes"][0]["input"], "dbEngineVersion");
    assert_eq!(f["causes"][0]["kind"], "config");
    // A key one stack sets and the other takes from the program's default.
    let all = parity(&dir)
        .args(["diff", "staging", "prod", "--format", "json", "--verbose"])
        .assert()
        .code(2);
    let text = String::from_utf8_lossy(&all.get_output().stdout).to_string();
    let v: Value = serde_json::from_str(&text).expect("the JSON report");
    let b = finding(&v, "aws_db_instance.db", "backup_retention_period");
    let c = &b["causes"][0];
    assert_eq!(c["input"], "dbBackupRetention");
    assert_eq!(c["locations"]["staging"], "Pulumi.yaml:19");
    assert_eq!(c["locations"]["prod"], "Pulumi.prod.yaml:5");
    // The `secure:` ciphertexts are never printed.
    for stack in ["staging", "prod"] {
        let cfg = std::fs::read_to_string(dir.join(format!("Pulumi.{stack}.yaml")))
            .expect("the stack configuration");
        let cipher = cfg
            .lines()
            .find_map(|l| l.trim().strip_prefix("secure: "))
            .expect("a secure value");
        assert!(!text.contains(cipher), "{stack}'s secure value printed");
    }
}

#[test]
fn a_cfn_default_a_sub_literal_and_a_findinmap_key() {
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\ncloudformation = { template = \"t.yaml\", parameters = \"staging.json\" }\n\
             [environments.prod]\ncloudformation = { template = \"t.yaml\", parameters = \"prod.json\" }\n",
        ),
        (
            "t.yaml",
            "Parameters:\n  Tier:\n    Type: String\n    Default: small\n  Other:\n    Type: String\n    Default: x\n\
             Mappings:\n  Sizes:\n    small: {Class: db.t4g.medium}\n    large: {Class: db.r6g.large}\n\
             Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n\
             \x20     Engine: postgres\n\
             \x20     DBInstanceClass: !FindInMap [Sizes, !Ref Tier, Class]\n\
             \x20     DBName: !Sub '${!Other}x'\n",
        ),
        ("staging.json", "[]\n"),
        ("prod.json", "[\n  \"Tier=large\",\n  \"Other=y\"\n]\n"),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json", "--verbose"])
        .output()
        .expect("parity runs");
    let r: Value = serde_json::from_slice(&out.stdout).expect("the JSON report");
    let f = finding(&r, "aws_db_instance.Db", "instance_class");
    let causes = f["causes"].as_array().expect("causes");
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert_eq!(causes[0]["input"], "Tier");
    // staging takes the template's `Default:` line; prod its file's line.
    assert_eq!(causes[0]["locations"]["staging"], "t.yaml:4");
    assert_eq!(causes[0]["locations"]["prod"], "prod.json:2");
    // `${!Other}` is a literal: no input, no finding.
    assert!(r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["attribute"] != "db_name"));
}

#[test]
fn pulumi_resources_inside_components_have_the_stack_config_keys_as_causes() {
    // A component inside a component, the caller's expression through a
    // variable: the VPC's tenancy and the queue's retention still name the stack
    // configuration keys, at their lines.
    let program = "name: shop\nruntime: yaml\n\
config:\n  vpcTenancy:\n    type: string\n  retention:\n    type: integer\n    default: 60\n\
components:\n  net:\n    inputs:\n      cidr:\n        type: string\n      keep:\n        type: integer\n\
\x20   resources:\n      vpc:\n        type: aws:ec2/vpc:Vpc\n        properties:\n          instanceTenancy: ${cidr}\n\
\x20     jobs:\n        type: shop:index:queues\n        properties:\n          seconds: ${keep}\n\
\x20 queues:\n    inputs:\n      seconds:\n        type: integer\n\
\x20   resources:\n      q:\n        type: aws:sqs/queue:Queue\n        properties:\n          messageRetentionSeconds: ${seconds}\n\
variables:\n  cidr: ${vpcTenancy}\n\
resources:\n  main:\n    type: shop:index:net\n    properties:\n      cidr: ${cidr}\n      keep: ${retention}\n";
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\npulumi = { program = \".\", config = \"Pulumi.staging.yaml\" }\n\
             [environments.prod]\npulumi = { program = \".\", config = \"Pulumi.prod.yaml\" }\n",
        ),
        ("Pulumi.yaml", program),
        (
            "Pulumi.staging.yaml",
            "config:\n  shop:vpcTenancy: default\n",
        ),
        (
            "Pulumi.prod.yaml",
            "config:\n  aws:region: eu-west-1\n  shop:vpcTenancy: dedicated\n  shop:retention: 120\n",
        ),
    ]);
    let out = parity(dir.path())
        .args([
            "diff", "staging", "prod", "--source", "code", "--format", "json",
        ])
        .output()
        .expect("parity runs");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the JSON report: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let f = finding(&r, "module.main.aws_vpc.vpc", "instance_tenancy");
    let causes = f["causes"].as_array().expect("causes");
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert_eq!(causes[0]["input"], "vpcTenancy");
    assert_eq!(causes[0]["kind"], "config");
    assert_eq!(causes[0]["locations"]["staging"], "Pulumi.staging.yaml:2");
    assert_eq!(causes[0]["locations"]["prod"], "Pulumi.prod.yaml:3");
    let cidr = cause(&r, "vpcTenancy");
    assert_eq!(cidr["left"], "default");
    assert_eq!(cidr["right"], "dedicated");
    // Two components deep; staging takes the program's default.
    let q = finding(
        &r,
        "module.main.module.jobs.aws_sqs_queue.q",
        "message_retention_seconds",
    );
    let c = &q["causes"][0];
    assert_eq!(c["input"], "retention", "{q:#}");
    assert_eq!(c["locations"]["staging"], "Pulumi.yaml:8");
    assert_eq!(c["locations"]["prod"], "Pulumi.prod.yaml:4");
}

#[test]
fn a_map_variable_read_by_key_is_caused_by_that_entry_not_the_whole_map() {
    // One entry per service in a map variable: a finding of service `a`
    // names `var.services.a.class` at its own tfvars line, with that value
    // only; the other services' entries (which also differ) are no part of
    // it. Before, every finding fed by the map carried the whole map.
    let env = |class_a: &str, class_b: &str| {
        format!(
            "services = {{\n  a = {{\n    class = \"{class_a}\"\n  }}\n  \"b.2\" = {{\n    class = \"{class_b}\"\n  }}\n}}\n"
        )
    };
    let main = "variable \"services\" {\n  type = map(object({ class = string }))\n}\n\
resource \"aws_db_instance\" \"a\" {\n  engine         = \"postgres\"\n  instance_class = var.services[\"a\"].class\n}\n\
resource \"aws_db_instance\" \"b\" {\n  engine         = \"postgres\"\n  instance_class = var.services[\"b.2\"].class\n}\n";
    let dir = tree(&[
        (
            "parity.toml",
            "[environments.staging]\nterraform = { root = \".\", var-files = [\"staging.tfvars\"] }\n\
             [environments.prod]\nterraform = { root = \".\", var-files = [\"prod.tfvars\"] }\n",
        ),
        ("main.tf", main),
        ("staging.tfvars", &env("db.t4g.medium", "db.t4g.small")),
        ("prod.tfvars", &env("db.r6g.large", "db.r6g.xlarge")),
    ]);
    let out = parity(dir.path())
        .args(["diff", "staging", "prod", "--format", "json"])
        .output()
        .expect("parity runs");
    let r: Value = serde_json::from_slice(&out.stdout).expect("the JSON report");
    let a = finding(&r, "aws_db_instance.a", "instance_class");
    let causes = a["causes"].as_array().expect("causes");
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert_eq!(causes[0]["input"], "var.services.a.class");
    assert_eq!(causes[0]["left"], "db.t4g.medium");
    assert_eq!(causes[0]["right"], "db.r6g.large");
    assert_eq!(causes[0]["locations"]["staging"], "staging.tfvars:2");
    // A key that is no identifier is written as an index.
    let b = finding(&r, "aws_db_instance.b", "instance_class");
    assert_eq!(b["causes"][0]["input"], "var.services[\"b.2\"].class");
    assert_eq!(b["causes"][0]["right"], "db.r6g.xlarge");
}
