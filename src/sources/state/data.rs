//! The empty attributes of a raw state's data sources.
//!
//! The state reader drops every attribute whose value is `null` or empty
//! (`""`, `[]`, `{}`): compared, an absent attribute and an empty one are
//! the same. Code evaluation with data sources from the state
//! ([`super::data_sources`]) needs them back: `length(data.aws_subnets.x.ids)`
//! is 0 when the state says `"ids": []`, as in Terraform, where an absent
//! attribute would be an error. This pass reads a raw state (format
//! version 4) once more and keeps, of each data source instance, only the
//! top-level attributes that are null or empty; every other value is
//! skipped without being built.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{address, IndexKey};
use crate::model::{Map, Value};

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    resources: Vec<Res>,
}

#[derive(Deserialize)]
struct Res {
    #[serde(default)]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    rtype: String,
    name: String,
    #[serde(default)]
    instances: Vec<Inst>,
}

#[derive(Deserialize)]
struct Inst {
    #[serde(default)]
    index_key: Option<IndexKey>,
    #[serde(default)]
    deposed: Option<IgnoredAny>,
    #[serde(default)]
    attributes: Option<HashMap<String, Empty>>,
}

/// A value that is kept only when it is null or empty.
struct Empty(Option<Value>);

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EmptyVisitor).map(Empty)
    }
}

struct EmptyVisitor;

impl<'de> Visitor<'de> for EmptyVisitor {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.is_empty().then(|| Value::String(String::new())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut empty = true;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            empty = false;
        }
        Ok(empty.then(|| Value::List(Vec::new())))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut empty = true;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
            empty = false;
        }
        Ok(empty.then(|| Value::Map(Map::new())))
    }
}

/// The null or empty top-level attributes of each data source instance of
/// a raw state, by address. `None` for any other document (a `terraform
/// show -json` state, something unreadable): the caller goes without.
pub(crate) fn empty_attributes(bytes: &[u8]) -> Option<HashMap<String, Map>> {
    let doc: Doc = serde_json::from_slice(bytes).ok()?;
    let mut out = HashMap::new();
    for r in doc.resources.into_iter().filter(|r| r.mode == "data") {
        let module = r.module.as_deref().unwrap_or("");
        for inst in r.instances {
            if inst.deposed.is_some() {
                continue;
            }
            let empties: Map = inst
                .attributes
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.0.map(|v| (k, v)))
                .collect();
            if !empties.is_empty() {
                let at = address(module, true, &r.rtype, &r.name, inst.index_key.as_ref());
                out.insert(at, empties);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_empty_attributes_of_data_sources() {
        let state = br#"{"version": 4, "resources": [
          {"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {"tags": {}}}]},
          {"module": "module.n[0]", "mode": "data", "type": "aws_subnets", "name": "x",
           "instances": [{"index_key": "a", "attributes": {"id": "eu-west-1", "ids": [], "filter": null,
             "tags": {}, "name": "", "nested": [{}], "count": 0, "on": false}}]}]}"#;
        let got = empty_attributes(state).expect("a raw state");
        assert_eq!(got.len(), 1);
        let attrs = &got["module.n[0].data.aws_subnets.x[\"a\"]"];
        assert_eq!(
            attrs.keys().map(String::as_str).collect::<Vec<_>>(),
            ["filter", "ids", "name", "tags"]
        );
        assert_eq!(attrs["ids"], Value::List(Vec::new()));
        assert_eq!(attrs["filter"], Value::Null);
        assert!(
            empty_attributes(b"{\"format_version\": \"1.0\", \"values\": {}}")
                .is_some_and(|m| m.is_empty())
        );
        assert!(empty_attributes(b"not json").is_none());
    }
}
