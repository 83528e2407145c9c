//! The raw state file Terraform writes (`terraform.tfstate`, format
//! version 4, Terraform 0.12 and later; also what `terraform state pull`
//! prints).
//!
//! ```json
//! { "version": 4, "terraform_version": "1.11.4", "serial": 47, "lineage": "…",
//!   "outputs": { "name": { "value": …, "type": "string", "sensitive": true } },
//!   "resources": [ { "module": "module.network", "mode": "managed",
//!       "type": "aws_subnet", "name": "private", "provider": "provider[\"…\"]",
//!       "instances": [ { "index_key": "eu-west-1a", "schema_version": 1,
//!           "attributes": { … }, "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]],
//!           "private": "…", "dependencies": ["module.network.aws_vpc.main"] } ] } ] }
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::json::{self, Attrs, Json};
use super::{address, IndexKey, Instance, Parsed};
use crate::model::Value;

#[derive(Deserialize)]
pub(crate) struct RawResource<'a> {
    #[serde(default, borrow)]
    module: Option<Cow<'a, str>>,
    #[serde(borrow)]
    mode: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    rtype: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default, deserialize_with = "json::or_default")]
    instances: Vec<RawInstance>,
}

#[derive(Deserialize)]
struct RawInstance {
    #[serde(default)]
    index_key: Option<IndexKey>,
    /// Objects left behind by `create_before_destroy`, pending destroy.
    #[serde(default)]
    deposed: Option<IgnoredAny>,
    #[serde(default)]
    attributes: Option<Attrs>,
    /// Providers on the legacy SDK may still write flat maps.
    #[serde(default)]
    attributes_flat: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "json::or_default")]
    sensitive_attributes: Vec<Vec<PathStep>>,
    // `dependencies` is not read: references are told apart by id.
}

/// One step of a sensitive path: `{"type": "get_attr", "value": "password"}`
/// or `{"type": "index", "value": {"value": 0, "type": "number"}}`.
#[derive(Deserialize)]
struct PathStep {
    #[serde(rename = "type")]
    kind: String,
    value: Json,
}

/// A v4 output.
#[derive(Deserialize)]
pub(super) struct RawOutput {
    #[serde(default)]
    value: Option<Json>,
    #[serde(default)]
    sensitive: bool,
}

/// Turn the parsed document into instances. `lines[i][j]` is the line of
/// `resources[i].instances[j]`.
pub(super) fn convert(
    resources: Vec<RawResource<'_>>,
    outputs: BTreeMap<String, RawOutput>,
    lines: &[Vec<u32>],
    parsed: &mut Parsed,
) {
    convert_outputs(outputs, parsed);
    for (ri, r) in resources.into_iter().enumerate() {
        convert_resource(
            r,
            lines.get(ri).map(Vec::as_slice).unwrap_or_default(),
            parsed,
        );
    }
}

/// Sensitive outputs: their values are redacted wherever they appear.
pub(super) fn convert_outputs(outputs: BTreeMap<String, RawOutput>, parsed: &mut Parsed) {
    for out in outputs.into_values() {
        if out.sensitive {
            if let Some(v) = out.value {
                parsed.secret_value(&v.0);
            }
        }
    }
}

/// One resource's instances. `lines[j]` is the line of `instances[j]`.
pub(super) fn convert_resource(r: RawResource<'_>, lines: &[u32], parsed: &mut Parsed) {
    let data = match r.mode.as_ref() {
        "managed" => false,
        "data" => true,
        _ => return,
    };
    let module = r.module.as_deref().unwrap_or("");
    for (ii, inst) in r.instances.into_iter().enumerate() {
        if inst.deposed.is_some() {
            continue;
        }
        let mut attributes = match (inst.attributes, inst.attributes_flat) {
            (Some(a), _) => a.0,
            (None, Some(flat)) => flat
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
            (None, None) => crate::model::Map::new(),
        };
        for path in &inst.sensitive_attributes {
            let steps: Vec<Step> = path.iter().filter_map(Step::from_raw).collect();
            if steps.len() == path.len() {
                mark_sensitive(&mut attributes, &steps, parsed);
            }
        }
        let addr = address(module, data, &r.rtype, &r.name, inst.index_key.as_ref());
        parsed.instances.push(Instance {
            address: addr,
            rtype: r.rtype.to_string(),
            data,
            attributes,
            line: lines.get(ii).copied(),
        });
    }
}

/// A step of a sensitive path.
pub(super) enum Step {
    Attr(String),
    Index(usize),
    Key(String),
}

impl Step {
    fn from_raw(p: &PathStep) -> Option<Step> {
        match (p.kind.as_str(), &p.value.0) {
            ("get_attr", Value::String(s)) => Some(Step::Attr(s.clone())),
            ("index", Value::Map(m)) => match m.get("value") {
                Some(Value::Number(n)) if *n >= 0.0 => Some(Step::Index(*n as usize)),
                Some(Value::String(s)) => Some(Step::Key(s.clone())),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Replace the value at `steps` by its salted hash, remembering the raw
/// strings so that copies elsewhere are redacted too.
pub(super) fn mark_sensitive(attrs: &mut crate::model::Map, steps: &[Step], parsed: &mut Parsed) {
    let Some((Step::Attr(first), rest)) = steps.split_first() else {
        return;
    };
    let Some(mut cur) = attrs.get_mut(first) else {
        return;
    };
    for step in rest {
        let next = match (step, cur) {
            (Step::Attr(k) | Step::Key(k), Value::Map(m)) => m.get_mut(k),
            (Step::Index(i), Value::List(l)) => l.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    parsed.secret_value(cur);
    *cur = super::redacted(cur);
}
