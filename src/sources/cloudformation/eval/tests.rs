use super::*;
use serde_json::json;

fn ev<'a>(lines: &'a Lines) -> Eval<'a> {
    let mut e = Eval::new("t.yaml".into(), lines);
    e.params.insert("Env".into(), Value::str("staging"));
    e.params
        .insert("Secret".into(), crate::normalize::sensitive("hunter2-long"));
    e.params.insert(
        "Zones".into(),
        Value::List(vec![Value::str("a"), Value::str("b")]),
    );
    e.pseudo.insert("AWS::Region", Value::str("eu-west-1"));
    e.types.insert("Vpc".into(), "aws_vpc".into());
    e.types.insert("Db".into(), "aws_db_instance".into());
    e
}

fn run(e: &Eval, node: serde_json::Value) -> Option<Value> {
    e.eval(&node, &["Resources", "X"]).expect("evaluates")
}

#[test]
fn refs_and_attributes_are_symbolic() {
    let lines = Lines::default();
    let e = ev(&lines);
    assert_eq!(
        run(&e, json!({"Ref": "Vpc"})),
        Some(Value::Unknown("aws_vpc.Vpc.id".into()))
    );
    assert_eq!(
        run(&e, json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})),
        Some(Value::Unknown("aws_db_instance.Db.endpoint_address".into()))
    );
    assert_eq!(run(&e, json!({"Ref": "AWS::NoValue"})), None);
    assert_eq!(
        run(&e, json!([1, {"Ref": "AWS::NoValue"}])),
        Some(Value::List(vec![Value::Number(1.0)]))
    );
}

#[test]
fn sub_takes_parameters_attributes_variables_and_literals() {
    let lines = Lines::default();
    let e = ev(&lines);
    assert_eq!(
        run(
            &e,
            json!({"Fn::Sub": "shop-${Env}-${AWS::Region}-${!Literal}"})
        ),
        Some(Value::str("shop-staging-eu-west-1-${Literal}"))
    );
    assert_eq!(
        run(
            &e,
            json!({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Env"}}]})
        ),
        Some(Value::str("staging-x"))
    );
    assert_eq!(
        run(&e, json!({"Fn::Sub": "arn:${Db.Arn}/*"})),
        Some(Value::Unknown("\"arn:${aws_db_instance.Db.arn}/*\"".into()))
    );
    let err = e
        .eval(&json!({"Fn::Sub": "${Nope}"}), &["Resources"])
        .expect_err("unknown name");
    assert!(err.message.contains("Nope"), "{err:?}");
}

#[test]
fn sensitive_values_stay_sensitive_through_functions() {
    let lines = Lines::default();
    let e = ev(&lines);
    let joined = run(&e, json!({"Fn::Join": ["", ["a-", {"Ref": "Secret"}]]})).expect("value");
    assert!(joined.is_sensitive(), "{joined:?}");
    assert!(!joined.display().contains("hunter2"));
    let subbed = run(&e, json!({"Fn::Sub": "a-${Secret}"})).expect("value");
    assert_eq!(subbed, joined);
    // Conditions compare the secret without revealing it.
    let eq = run(
        &e,
        json!({"Fn::Equals": [{"Ref": "Secret"}, "hunter2-long"]}),
    );
    assert_eq!(eq, Some(Value::Bool(true)));
}

#[test]
fn lists_maps_and_cidrs() {
    let lines = Lines::default();
    let mut e = ev(&lines);
    let mappings = json!({"Sizes": {"staging": {"Db": "db.t3.small"}}});
    e.mappings = mappings.as_object();
    assert_eq!(
        run(
            &e,
            json!({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Db"]})
        ),
        Some(Value::str("db.t3.small"))
    );
    assert_eq!(
        run(&e, json!({"Fn::Select": [1, {"Ref": "Zones"}]})),
        Some(Value::str("b"))
    );
    assert_eq!(
        run(&e, json!({"Fn::Join": [",", {"Fn::Split": ["|", "x|y"]}]})),
        Some(Value::str("x,y"))
    );
    assert_eq!(
        run(&e, json!({"Fn::Cidr": ["10.0.0.0/16", 3, 8]})),
        Some(Value::List(vec![
            Value::str("10.0.0.0/24"),
            Value::str("10.0.1.0/24"),
            Value::str("10.0.2.0/24")
        ]))
    );
    assert_eq!(
        run(&e, json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})),
        Some(Value::Unknown(
            "element(data.aws_availability_zones.available.names, 0)".into()
        ))
    );
    assert_eq!(
        run(&e, json!({"Fn::Base64": "hi"})),
        Some(Value::str("aGk="))
    );
}

#[test]
fn conditions_decide_if() {
    let lines = Lines::default();
    let mut e = ev(&lines);
    let conds = json!({
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Both": {"Fn::And": [{"Condition": "NotProd"}, {"Fn::Or": [{"Condition": "IsProd"}, true]}]},
        "Loop": {"Fn::Not": [{"Condition": "Loop"}]}
    });
    e.conditions = conds.as_object();
    assert!(!e.condition("IsProd", &[]).expect("decides"));
    assert!(e.condition("Both", &[]).expect("decides"));
    assert_eq!(
        run(
            &e,
            json!({"Fn::If": ["IsProd", 3, {"Ref": "AWS::NoValue"}]})
        ),
        None
    );
    assert!(e.condition("Loop", &[]).is_err());
}

#[test]
fn unsupported_intrinsics_are_gaps_not_errors() {
    let lines = Lines::default();
    let e = ev(&lines);
    let v = run(&e, json!({"Fn::Transform": {"Name": "AWS::Include"}})).expect("value");
    assert!(v.is_unknown());
    assert_eq!(e.gaps.borrow().len(), 1);
    assert!(e.gaps.borrow()[0].reason.contains("Fn::Transform"));
}

#[test]
fn dynamic_references_are_unknown_and_plain_ssm_a_gap() {
    let lines = Lines::default();
    let e = ev(&lines);
    let v = run(
        &e,
        json!("{{resolve:secretsmanager:shop/db:SecretString:password}}"),
    );
    assert!(v.is_some_and(|v| v.is_unknown()));
    assert!(e.gaps.borrow().is_empty());
    let v = run(&e, json!("{{resolve:ssm:/shop/db-version}}"));
    assert!(v.is_some_and(|v| v.is_unknown()));
    assert_eq!(e.gaps.borrow().len(), 1);
}

#[test]
fn attribute_names_in_terraform_case() {
    assert_eq!(snake("Arn"), "arn");
    assert_eq!(snake("Endpoint.Address"), "endpoint_address");
    assert_eq!(snake("GroupId"), "group_id");
    assert_eq!(snake("EBSEnabled"), "ebs_enabled");
    assert_eq!(snake("MultiAZEnabled"), "multi_az_enabled");
    assert_eq!(snake("EnforceHTTPS"), "enforce_https");
}
