use super::*;

fn map(entries: &[(&str, Value)]) -> Map {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn s(v: &str) -> Value {
    Value::str(v)
}

#[test]
fn every_line_of_the_table_parses() {
    let mut types = 0;
    let mut data = 0;
    for line in AWS.lines().filter(|l| !l.starts_with('#')) {
        let (name, body) = line.split_once('\t').expect("TYPE<TAB>BODY");
        assert!(parse_line(body).is_some(), "{name} does not parse");
        if name.starts_with("data.") {
            data += 1;
        } else {
            types += 1;
        }
    }
    // hashicorp/aws 5.100.0
    assert!(types > 1500, "{types} resource types");
    assert!(data > 500, "{data} data source types");
}

#[test]
fn lookup_finds_attributes_blocks_and_data_sources() {
    let sg = lookup("aws_security_group", false).expect("listed");
    let Some(Item::Attr(Ty::Set(ingress))) = sg.get("ingress") else {
        panic!("ingress is a set attribute: {:?}", sg.get("ingress"));
    };
    let Ty::Object(attrs) = &**ingress else {
        panic!("of objects");
    };
    assert!(attrs.contains(&("from_port", Ty::Number)));
    assert!(attrs.contains(&("self", Ty::Bool)));
    assert!(attrs.contains(&("cidr_blocks", Ty::List(Box::new(Ty::String)))));
    assert_eq!(
        sg.get("tags"),
        Some(&Item::Attr(Ty::Map(Box::new(Ty::String))))
    );
    assert_eq!(sg.get("name"), Some(&Item::Attr(Ty::String)));
    assert!(attrs.contains(&("protocol", Ty::String)));
    // Computed only: not an argument.
    assert_eq!(sg.get("arn"), None);

    let instance = lookup("aws_instance", false).expect("listed");
    let Some(Item::Block(Nest::List, root)) = instance.get("root_block_device") else {
        panic!("root_block_device is a list block");
    };
    assert_eq!(root.get("volume_size"), Some(&Item::Attr(Ty::Number)));
    assert!(matches!(
        instance.get("timeouts"),
        Some(Item::Block(Nest::Single, _))
    ));
    assert!(matches!(
        instance.get("ebs_block_device"),
        Some(Item::Block(Nest::Set, _))
    ));

    assert!(lookup("aws_ami", true).is_some());
    assert!(lookup("aws_caller_identity", true).is_some());
    assert!(
        lookup("aws_caller_identity", false).is_none(),
        "a data source only"
    );
    assert!(lookup("google_compute_instance", false).is_none());
}

#[test]
fn the_parser_reads_every_form_and_rejects_garbage() {
    let b = parse_line("a:n,b:LMs,c:o{x:b,y:t(n,s),z},d=S{e:Sn},f=1{},g:d,h").expect("parses");
    assert_eq!(b.get("a"), Some(&Item::Attr(Ty::Number)));
    assert_eq!(
        b.get("b"),
        Some(&Item::Attr(Ty::List(Box::new(Ty::Map(Box::new(
            Ty::String
        ))))))
    );
    assert_eq!(
        b.get("c"),
        Some(&Item::Attr(Ty::Object(vec![
            ("x", Ty::Bool),
            ("y", Ty::Tuple(vec![Ty::Number, Ty::String])),
            ("z", Ty::String),
        ])))
    );
    let Some(Item::Block(Nest::Set, d)) = b.get("d") else {
        panic!("d is a set block");
    };
    assert_eq!(d.get("e"), Some(&Item::Attr(Ty::Set(Box::new(Ty::Number)))));
    assert_eq!(
        b.get("f"),
        Some(&Item::Block(Nest::Single, Block::default()))
    );
    assert_eq!(b.get("g"), Some(&Item::Attr(Ty::Dynamic)));
    assert_eq!(b.get("h"), Some(&Item::Attr(Ty::String)));
    assert_eq!(parse_line(""), Some(Block::default()));
    for bad in [
        "a:", "a:x", ":n", "a,,b", "a:n,", "a=L{", "a=Q{}", "a:o{x:}", "a:n}", "a:t(n",
    ] {
        assert_eq!(parse_line(bad), None, "{bad}");
    }
}

#[test]
fn code_values_take_the_providers_types() {
    let mut attrs = map(&[
        (
            "ingress",
            Value::List(vec![Value::Map(map(&[
                ("from_port", s("0")),
                ("to_port", Value::Number(65535.0)),
                ("protocol", s("-1")),
                ("self", s("true")),
                ("cidr_blocks", Value::List(vec![s("10.0.0.0/8")])),
                (
                    "security_groups",
                    Value::List(vec![s("sg-b"), s("sg-a"), s("sg-b")]),
                ),
            ]))]),
        ),
        ("revoke_rules_on_delete", s("false")),
        ("name", Value::Number(5.0)),
        ("description", Value::Bool(true)),
        ("tags", Value::Map(map(&[("Port", Value::Number(8080.0))]))),
        ("vpc_id", Value::Unknown("aws_vpc.main.id".into())),
    ]);
    let changed = convert_resource("aws_security_group", false, &mut attrs);
    let ingress = attrs.get("ingress").unwrap().as_list().unwrap()[0].clone();
    assert_eq!(ingress.get_path("from_port"), Some(&Value::Number(0.0)));
    assert_eq!(ingress.get_path("to_port"), Some(&Value::Number(65535.0)));
    assert_eq!(ingress.get_path("protocol"), Some(&s("-1")));
    assert_eq!(ingress.get_path("self"), Some(&Value::Bool(true)));
    assert_eq!(
        ingress.get_path("security_groups"),
        Some(&Value::List(vec![s("sg-a"), s("sg-b")])),
        "a set: sorted, de-duplicated"
    );
    assert_eq!(
        attrs.get("revoke_rules_on_delete"),
        Some(&Value::Bool(false))
    );
    assert_eq!(attrs.get("name"), Some(&s("5")));
    assert_eq!(attrs.get("description"), Some(&s("true")));
    assert_eq!(
        Value::Map(attrs.clone()).get_path("tags.Port"),
        Some(&s("8080"))
    );
    assert_eq!(
        attrs.get("vpc_id"),
        Some(&Value::Unknown("aws_vpc.main.id".into()))
    );
    // from_port, self, security_groups, revoke_rules_on_delete, name,
    // description, tags.Port
    assert_eq!(changed, 7);
    // Converting again changes nothing.
    assert_eq!(convert_resource("aws_security_group", false, &mut attrs), 0);
}

#[test]
fn values_that_do_not_convert_stay_as_written() {
    let mut attrs = map(&[
        ("revoke_rules_on_delete", s("maybe")),
        (
            "ingress",
            Value::List(vec![Value::Map(map(&[
                ("from_port", s("eighty")),
                ("to_port", Value::Unknown("var.port".into())),
                (
                    "security_groups",
                    Value::List(vec![s("b"), Value::Unknown("x".into())]),
                ),
            ]))]),
        ),
        ("tags", Value::List(vec![])),
        ("timeouts", Value::Number(3.0)),
        // Not an argument of aws_security_group: left alone.
        ("port", s("80")),
        ("size", Value::Number(10.0)),
    ]);
    let before = attrs.clone();
    assert_eq!(convert_resource("aws_security_group", false, &mut attrs), 0);
    assert_eq!(attrs, before);
}

#[test]
fn other_providers_are_left_alone() {
    let mut attrs = map(&[("port", s("80")), ("name", Value::Number(1.0))]);
    let before = attrs.clone();
    assert_eq!(
        convert_resource("google_compute_firewall", false, &mut attrs),
        0
    );
    assert_eq!(
        convert_resource("aws_nonexistent_thing", false, &mut attrs),
        0
    );
    assert_eq!(attrs, before);
}

#[test]
fn a_block_written_as_one_json_object_is_a_list_of_one() {
    let mut attrs = map(&[(
        "root_block_device",
        Value::Map(map(&[
            ("volume_size", s("20")),
            ("encrypted", Value::Bool(true)),
        ])),
    )]);
    assert_eq!(convert_resource("aws_instance", false, &mut attrs), 2);
    assert_eq!(
        attrs.get("root_block_device"),
        Some(&Value::List(vec![Value::Map(map(&[
            ("volume_size", Value::Number(20.0)),
            ("encrypted", Value::Bool(true)),
        ]))]))
    );
}

#[test]
fn data_sources_convert_with_their_own_schema() {
    let mut attrs = map(&[
        ("most_recent", s("true")),
        ("owners", Value::List(vec![s("b"), s("a")])),
    ]);
    convert_resource("aws_ami", true, &mut attrs);
    assert_eq!(attrs.get("most_recent"), Some(&Value::Bool(true)));
    assert_eq!(
        attrs.get("owners"),
        Some(&Value::List(vec![s("b"), s("a")])),
        "a list"
    );
}
