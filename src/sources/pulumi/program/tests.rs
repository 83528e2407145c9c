//! Tests of the Pulumi YAML program source.

use super::*;
use std::path::Path;

fn load_text(program: &str, config: &str) -> Result<Snapshot, PulumiError> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("Pulumi.yaml"), program).expect("write");
    std::fs::write(dir.path().join("Pulumi.staging.yaml"), config).expect("write");
    load(&ProgramOptions {
        environment: "staging".into(),
        program: dir.path().to_path_buf(),
        stack: "staging".into(),
        config: None,
        base: dir.path().to_path_buf(),
        normalizer: Normalizer::default(),
    })
}

const PROGRAM: &str = "name: shop\nruntime: yaml\nconfig:\n  size:\n    type: integer\n    default: 20\nvariables:\n  prefix: shop-${pulumi.stack}\n  parts:\n    fn::split: [\"-\", \"${prefix}\"]\nresources:\n  sg:\n    type: aws:ec2/securityGroup:SecurityGroup\n    properties:\n      name: ${parts[0]}\n  db:\n    type: aws:rds/instance:Instance\n    properties:\n      allocatedStorage: ${size}\n      identifier: \"${prefix}-db\"\n      password: ${pw}\n      vpcSecurityGroupIds: [\"${sg.id}\"]\n      tags:\n        Team:\n          fn::join: [\"/\", [\"${shop:team}\", \"x\"]]\n";

#[test]
fn config_variables_interpolation_and_references_evaluate_per_stack() {
    let snap = load_text(
        PROGRAM,
        "config:\n  shop:team: web\n  shop:pw:\n    secure: v1:abc\n",
    )
    .expect("loads");
    let db = snap
        .resources
        .iter()
        .find(|r| r.address == "aws_db_instance.db")
        .expect("db");
    assert_eq!(db.attributes["allocated_storage"], Value::Number(20.0));
    assert_eq!(db.attributes["identifier"], Value::str("shop-staging-db"));
    assert_eq!(
        db.attributes["vpc_security_group_ids"],
        Value::List(vec![Value::Unknown("aws_security_group.sg.id".into())])
    );
    assert_eq!(
        db.attributes["tags"].get_path("Team"),
        Some(&Value::str("web/x"))
    );
    assert!(
        db.attributes["password"].is_sensitive(),
        "{:?}",
        db.attributes["password"]
    );
    assert_eq!(db.attribute_location("identifier").line, Some(20));
    let sg = snap
        .resources
        .iter()
        .find(|r| r.address == "aws_security_group.sg")
        .expect("sg");
    assert_eq!(sg.attributes["name"], Value::str("shop"));
    // The stack configuration is its record too.
    assert_eq!(snap.dependencies.len(), 1);
}

/// Any program gives a snapshot or an error, never a panic: every
/// prefix of the fixture's program, and copies with one byte changed.
#[test]
fn truncated_and_mangled_programs_never_panic() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pulumi-yaml/Pulumi.yaml");
    let text = std::fs::read_to_string(path).expect("fixture");
    let config = "config:\n  shop:dbEngineVersion: \"15.4\"\n  shop:assetActions: [\"s3:*\"]\n  shop:dbPassword:\n    secure: v1:x\n";
    assert!(load_text(&text, config).is_ok());
    for cut in (0..text.len()).step_by(13) {
        if text.is_char_boundary(cut) {
            let _ = load_text(&text[..cut], config);
        }
    }
    let bytes = text.as_bytes();
    for (i, b) in (0..bytes.len()).step_by(29).zip(
        [b'$', b'{', b'}', b'[', b':', b'-', b'"', b'0']
            .iter()
            .cycle(),
    ) {
        let mut copy = bytes.to_vec();
        copy[i] = *b;
        if let Ok(t) = std::str::from_utf8(&copy) {
            let _ = load_text(t, config);
        }
    }
}

#[test]
fn programs_pulumi_would_reject_are_errors_with_lines() {
    let e = load_text(
        "name: shop\nruntime: yaml\nresources:\n  a:\n    type: aws:sqs/queue:Queue\n    properties:\n      name: ${nope}\n",
        "",
    )
    .expect_err("unknown name");
    assert!(e.to_string().contains("Pulumi.yaml:7: `${nope}`"), "{e}");
    let e = load_text(
        "name: shop\nruntime: yaml\nvariables:\n  a: ${b}\n  b: ${a}\nresources:\n  q:\n    type: aws:sqs/queue:Queue\n    properties:\n      name: ${a}\n",
        "",
    )
    .expect_err("cycle");
    assert!(e.to_string().contains("refers to itself"), "{e}");
    let e = load_text(
        "name: shop\nruntime: yaml\nconfig:\n  pw:\n    type: string\nresources:\n  q:\n    type: aws:sqs/queue:Queue\n    properties:\n      name: ${pw}\n",
        "",
    )
    .expect_err("no value");
    assert!(
        e.to_string().contains(
            "Pulumi.yaml:10: `${pw}`: configuration key `pw` has no value for stack `staging`"
        ),
        "{e}"
    );
    let e = load_text("name: shop\nruntime: nodejs\n", "").expect_err("not YAML");
    assert!(
        e.to_string().contains("Pulumi.yaml:2: runtime `nodejs`"),
        "{e}"
    );
    let e = load_text(
        "name: shop\nruntime: yaml\nresources:\n  a:\n    properties: {}\n",
        "",
    )
    .expect_err("no type");
    assert!(
        e.to_string()
            .contains("Pulumi.yaml:4: resource `a` has no `type`"),
        "{e}"
    );
}

fn resource<'s>(snap: &'s Snapshot, address: &str) -> &'s Resource {
    snap.resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| {
            panic!(
                "no {address} in {:?}",
                snap.resources
                    .iter()
                    .map(|r| &r.address)
                    .collect::<Vec<_>>()
            )
        })
}

#[test]
fn components_parents_and_options_group_and_check_resources() {
    let program = "name: shop\nruntime: yaml\ncomponents:\n  net:\n    inputs:\n      cidr:\n        type: string\n        default: 10.0.0.0/16\n    resources:\n      vpc:\n        type: aws:ec2/vpc:Vpc\n        properties:\n          cidrBlock: ${cidr}\n    outputs:\n      vpcId: ${vpc.id}\nresources:\n  main:\n    type: shop:index:net\n    properties:\n      cidr: ${shop:cidr}\n  sg:\n    type: aws:ec2/securityGroup:SecurityGroup\n    options:\n      parent: ${main}\n      dependsOn: [\"${main}\"]\n      provider: ${eu}\n      ignoreChanges: [description]\n      additionalSecretOutputs: [description]\n    properties:\n      vpcId: ${main.vpcId}\n      description: ${pulumi.stack}\n  q:\n    type: aws:sqs/queue:Queue\n    options:\n      parent: ${sg}\n  eu:\n    type: pulumi:providers:aws\n    options:\n      version: 6.52.0\n    properties:\n      region: eu-central-1\n";
    let snap = load_text(program, "config:\n  shop:cidr: 10.1.0.0/16\n").expect("loads");
    let vpc = resource(&snap, "module.main.aws_vpc.vpc");
    assert_eq!(vpc.attributes["cidr_block"], Value::str("10.1.0.0/16"));
    // A value set by the stack configuration is located at its line there.
    let at = vpc.attribute_location("cidr_block");
    assert_eq!(
        (at.file.as_ref(), at.line),
        ("Pulumi.staging.yaml", Some(2))
    );
    let sg = resource(&snap, "module.main.aws_security_group.sg");
    assert_eq!(
        sg.attributes["vpc_id"],
        Value::Unknown("module.main.aws_vpc.vpc.id".into())
    );
    assert!(
        sg.attributes["description"].is_sensitive(),
        "{:?}",
        sg.attributes["description"]
    );
    // A custom parent gives no module; the parent's own prefix stays.
    resource(&snap, "module.main.aws_sqs_queue.q");
    let eu = snap
        .dependencies
        .iter()
        .find(|d| d.address == "provider[\"pulumi/aws\"].eu")
        .expect("provider record");
    assert_eq!(eu.attributes["locked_version"], Value::str("6.52.0"));
    assert_eq!(eu.attributes["region"], Value::str("eu-central-1"));
    // The default of a component input applies without a value.
    let snap = load_text(&program.replace("      cidr: ${shop:cidr}\n", ""), "").expect("loads");
    let vpc = resource(&snap, "module.main.aws_vpc.vpc");
    assert_eq!(vpc.attributes["cidr_block"], Value::str("10.0.0.0/16"));
    assert_eq!(
        vpc.attribute_location("cidr_block").file.as_ref(),
        "Pulumi.yaml"
    );
}

#[test]
fn invokes_the_configuration_answers_are_evaluated_the_rest_are_gaps() {
    let program = "name: shop\nruntime: yaml\nvariables:\n  region:\n    fn::invoke:\n      function: aws:index/getRegion:getRegion\n      return: name\n  part:\n    fn::invoke:\n      function: aws:index/getPartition:getPartition\n  ami:\n    fn::invoke:\n      function: aws:ec2/getAmi:getAmi\n      arguments:\n        owners: [amazon]\n      return: id\nresources:\n  i:\n    type: aws:ec2/instance:Instance\n    properties:\n      ami: ${ami}\n      tags:\n        Region: ${region}\n        Partition: ${part.partition}\n";
    let snap = load_text(program, "config:\n  aws:region: cn-north-1\n").expect("loads");
    let i = resource(&snap, "aws_instance.i");
    assert_eq!(
        i.attributes["tags"].get_path("Region"),
        Some(&Value::str("cn-north-1"))
    );
    assert_eq!(
        i.attributes["tags"].get_path("Partition"),
        Some(&Value::str("aws-cn"))
    );
    assert_eq!(
        i.attributes["ami"],
        Value::Unknown("invoke aws:ec2/getAmi:getAmi({\"owners\":[\"amazon\"]}).id".into())
    );
    assert_eq!(snap.coverage.len(), 1, "{:?}", snap.coverage);
    assert!(
        snap.coverage[0].what.ends_with("Pulumi.yaml:11"),
        "{:?}",
        snap.coverage
    );
    assert!(
        snap.coverage[0].reason.contains("aws:ec2/getAmi:getAmi"),
        "{:?}",
        snap.coverage
    );
    // Without a region, getRegion is unknown too, never a guess.
    let snap = load_text(program, "").expect("loads");
    let i = resource(&snap, "aws_instance.i");
    assert!(i.attributes["tags"]
        .get_path("Region")
        .is_some_and(Value::contains_unknown));
}

#[test]
fn outputs_are_the_stack_outputs_record() {
    let snap = load_text(
        "name: shop\nruntime: yaml\nresources:\n  q:\n    type: aws:sqs/queue:Queue\noutputs:\n  url: ${q.url}\n  stack: ${pulumi.stack}\n",
        "",
    )
    .expect("loads");
    let rec = snap
        .dependencies
        .iter()
        .find(|d| d.address == STACK_OUTPUTS)
        .expect("outputs");
    assert_eq!(rec.attributes["stack"], Value::str("staging"));
    assert_eq!(
        rec.attributes["url"],
        Value::Unknown("aws_sqs_queue.q.url".into())
    );
    assert_eq!(rec.attribute_location("url").line, Some(7));
}

#[test]
fn bad_options_and_components_are_errors_with_lines() {
    let cases = [
        ("name: shop\nruntime: yaml\nresources:\n  q:\n    type: aws:sqs/queue:Queue\n    options:\n      parent: ${nope}\n", "Pulumi.yaml:7: `parent` of `q`"),
        ("name: shop\nruntime: yaml\nresources:\n  q:\n    type: aws:sqs/queue:Queue\n    options:\n      dependsOn: [\"${nope}\"]\n", "Pulumi.yaml:7: `dependsOn` of `q`"),
        ("name: shop\nruntime: yaml\nresources:\n  q:\n    type: aws:sqs/queue:Queue\n    options:\n      protekt: true\n", "Pulumi.yaml:7: `protekt` is not a resource option"),
        ("name: shop\nruntime: yaml\nresources:\n  a:\n    type: aws:sqs/queue:Queue\n    options:\n      parent: ${b}\n  b:\n    type: aws:sqs/queue:Queue\n    options:\n      parent: ${a}\n", "is a cycle"),
        ("name: shop\nruntime: yaml\ncomponents:\n  c:\n    resources:\n      inner:\n        type: shop:index:c\nresources:\n  x:\n    type: shop:index:c\n", "contains itself"),
        ("name: shop\nruntime: yaml\ncomponents:\n  c:\n    outputs:\n      a: 1\nresources:\n  x:\n    type: shop:index:c\n  q:\n    type: aws:sqs/queue:Queue\n    properties:\n      name: ${x.b}\n", "Pulumi.yaml:13: `${x.b}`: component `x` has no output `b`"),
    ];
    for (program, wanted) in cases {
        let e = load_text(program, "").expect_err(wanted);
        assert!(e.to_string().contains(wanted), "{e} / {wanted}");
    }
}
