//! The conversions a table names ([`Conv`]): each property value into
//! the attribute's shape.

use super::Conv::{self, *};
use crate::model::{Map, Value};

pub(super) fn convert(conv: Conv, v: Value) -> Value {
    match (conv, v) {
        (Tags, Value::List(items)) => {
            let mut m = Map::new();
            for item in items {
                match (item.get_path("Key"), item.get_path("Value")) {
                    (Some(Value::String(k)), Some(val)) => {
                        m.insert(k.clone(), val.clone());
                    }
                    // A tag whose key is only known at deployment.
                    _ => {
                        m.insert(item.display(), Value::Null);
                    }
                }
            }
            Value::Map(m)
        }
        (One, v @ (Value::List(_) | Value::Null)) => v,
        (First, Value::List(items)) if items.len() == 1 => {
            items.into_iter().next().unwrap_or_default()
        }
        (One, v) => Value::List(vec![v]),
        (NameValue, Value::Map(m)) => Value::List(
            m.into_iter()
                .map(|(k, v)| {
                    let mut p = Map::new();
                    p.insert("name".into(), Value::String(k));
                    p.insert("value".into(), v);
                    Value::Map(p)
                })
                .collect(),
        ),
        (Containers, v @ Value::List(_)) => {
            let camel = lower_camel_keys(v);
            if camel.contains_unknown() {
                camel
            } else {
                Value::String(camel.to_json().to_string())
            }
        }
        (SgRules, Value::List(items)) => Value::List(items.into_iter().map(sg_rule).collect()),
        (InlinePolicies, Value::List(items)) => Value::List(
            items
                .into_iter()
                .map(|p| {
                    let mut m = Map::new();
                    if let Some(n) = p.get_path("PolicyName") {
                        m.insert("name".into(), n.clone());
                    }
                    if let Some(d) = p.get_path("PolicyDocument") {
                        m.insert("policy".into(), d.clone());
                    }
                    Value::Map(m)
                })
                .collect(),
        ),
        (Environment, Value::Map(m)) => {
            let mut block = Map::new();
            if let Some(vars) = m.get("Variables") {
                block.insert("variables".into(), vars.clone());
            }
            Value::List(vec![Value::Map(block)])
        }
        (Block, Value::Map(m)) => Value::List(vec![block(m)]),
        (Blocks, Value::List(items)) => Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Map(m) => block(m),
                    other => other,
                })
                .collect(),
        ),
        (Internal, Value::String(s)) => Value::Bool(s == "internal"),
        (Versioning, Value::Map(m)) => {
            let mut block = Map::new();
            let enabled = match m.get("Status") {
                Some(Value::String(s)) => Value::Bool(s == "Enabled"),
                Some(other) => other.clone(),
                None => Value::Null,
            };
            block.insert("enabled".into(), enabled);
            Value::List(vec![Value::Map(block)])
        }
        // A value of another shape (unknown, or written otherwise): as it is.
        (_, v) => v,
    }
}

/// An object as a nested block: keys in Terraform's case, objects inside
/// it nested blocks too (lists of one), as the provider's schema has them.
fn block(m: Map) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Map(inner) => Value::List(vec![block(inner)]),
                    Value::List(items) if items.iter().all(|i| matches!(i, Value::Map(_))) => {
                        Value::List(
                            items
                                .into_iter()
                                .map(|i| match i {
                                    Value::Map(inner) => block(inner),
                                    other => other,
                                })
                                .collect(),
                        )
                    }
                    other => other,
                };
                (super::super::eval::snake(&k), v)
            })
            .collect(),
    )
}

/// `Image` → `image`, `PortMappings` → `portMappings`, at every depth
/// except inside maps of user keys (`DockerLabels`, `Options`).
fn lower_camel_keys(v: Value) -> Value {
    match v {
        Value::List(items) => Value::List(items.into_iter().map(lower_camel_keys).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let user = matches!(k.as_str(), "DockerLabels" | "Options");
                    let mut c = k.chars();
                    let key = match c.next() {
                        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
                        None => k.clone(),
                    };
                    (key, if user { v } else { lower_camel_keys(v) })
                })
                .collect(),
        ),
        other => other,
    }
}

/// One `SecurityGroupIngress`/`Egress` entry as the provider's block.
fn sg_rule(entry: Value) -> Value {
    let Value::Map(m) = entry else {
        return entry;
    };
    const KEYS: &[(&str, &str, bool)] = &[
        ("IpProtocol", "protocol", false),
        ("FromPort", "from_port", false),
        ("ToPort", "to_port", false),
        ("CidrIp", "cidr_blocks", true),
        ("CidrIpv6", "ipv6_cidr_blocks", true),
        ("SourcePrefixListId", "prefix_list_ids", true),
        ("DestinationPrefixListId", "prefix_list_ids", true),
        ("SourceSecurityGroupId", "security_groups", true),
        ("DestinationSecurityGroupId", "security_groups", true),
        ("Description", "description", false),
    ];
    let mut out = Map::new();
    for (k, v) in m {
        match KEYS.iter().find(|(c, _, _)| *c == k) {
            Some((_, a, true)) => {
                out.insert(a.to_string(), convert(One, v));
            }
            Some((_, a, false)) => {
                out.insert(a.to_string(), v);
            }
            None => {
                out.insert(k, v);
            }
        }
    }
    // An inline entry cannot name its own group (CloudFormation refuses
    // the circular reference): the provider reads such a rule with
    // `self = false`.
    if !out.contains_key("self") {
        out.insert("self".into(), Value::Bool(false));
    }
    // All traffic: the provider writes ports 0 to 0.
    if matches!(out.get("protocol"), Some(Value::String(p)) if p == "-1") {
        for port in ["from_port", "to_port"] {
            if !out.contains_key(port) {
                out.insert(port.into(), Value::Number(0.0));
            }
        }
    }
    Value::Map(out)
}
