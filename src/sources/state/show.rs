//! `terraform show -json` of a state: the values of every resource under
//! `values.root_module` (and its `child_modules`), with `sensitive_values`
//! masks. The same shape holds a plan's `planned_values` and `prior_state`.
//!
//! ```json
//! { "format_version": "1.0", "terraform_version": "1.11.4",
//!   "values": { "outputs": { … },
//!     "root_module": { "resources": [ … ],
//!       "child_modules": [ { "address": "module.network", "resources": [
//!         { "address": "module.network.aws_subnet.private[\"eu-west-1a\"]",
//!           "mode": "managed", "type": "aws_subnet", "name": "private",
//!           "index": "eu-west-1a", "values": { … }, "sensitive_values": { … },
//!           "depends_on": ["module.network.aws_vpc.main"] } ] } ] } } }
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::json::{self, Attrs, Json};
use super::{Instance, Parsed};
use crate::model::Value;

/// `{ "format_version": …, "values": … }` (a plan's `prior_state`).
#[derive(Deserialize)]
pub(crate) struct StateDoc {
    #[serde(default)]
    pub values: Option<Values>,
}

#[derive(Deserialize)]
pub(crate) struct Values {
    #[serde(default, deserialize_with = "json::or_default")]
    pub outputs: BTreeMap<String, Output>,
    #[serde(default)]
    pub root_module: Option<Module>,
}

#[derive(Deserialize)]
pub(crate) struct Output {
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub value: Option<Json>,
}

#[derive(Deserialize)]
pub(crate) struct Module {
    #[serde(default, deserialize_with = "json::or_default")]
    pub resources: Vec<ShowResource>,
    #[serde(default, deserialize_with = "json::or_default")]
    pub child_modules: Vec<Module>,
}

#[derive(Deserialize)]
pub(crate) struct ShowResource {
    pub address: String,
    #[serde(default)]
    pub mode: String,
    #[serde(rename = "type")]
    pub rtype: String,
    #[serde(default)]
    pub values: Option<Attrs>,
    #[serde(default)]
    pub sensitive_values: Option<Json>,
    /// Objects pending destroy after `create_before_destroy`.
    #[serde(default)]
    pub deposed_key: Option<IgnoredAny>,
}

impl Module {
    /// Every resource, depth first, in document order.
    pub fn into_resources(self, out: &mut Vec<ShowResource>) {
        out.extend(self.resources);
        for c in self.child_modules {
            c.into_resources(out);
        }
    }
}

/// Secrets of sensitive outputs.
pub(crate) fn output_secrets(values: &Values, parsed: &mut Parsed) {
    for o in values.outputs.values() {
        if o.sensitive {
            if let Some(v) = &o.value {
                parsed.secret_value(&v.0);
            }
        }
    }
}

/// One resource of the show format as an instance: sensitive values
/// redacted, nothing else changed.
pub(crate) fn instance(
    r: ShowResource,
    lines: &HashMap<String, u32>,
    parsed: &mut Parsed,
) -> Option<Instance> {
    if r.deposed_key.is_some() {
        return None;
    }
    let data = match r.mode.as_str() {
        "managed" => false,
        "data" => true,
        _ => return None,
    };
    let mut attributes = r.values.map(|a| a.0).unwrap_or_default();
    if let Some(mask) = &r.sensitive_values {
        if let Value::Map(m) = &mask.0 {
            for (k, sub) in m {
                if let Some(v) = attributes.get_mut(k) {
                    apply_mask(v, sub, parsed);
                }
            }
        }
    }
    Some(Instance {
        line: lines.get(&r.address).copied(),
        address: r.address,
        rtype: r.rtype,
        data,
        attributes,
    })
}

/// Redact what a `sensitive_values` (or `after_sensitive`) mask marks:
/// `true` marks the whole value, objects and arrays mark inside.
pub(crate) fn apply_mask(v: &mut Value, mask: &Value, parsed: &mut Parsed) {
    match (mask, &mut *v) {
        (Value::Bool(true), _) => {
            parsed.secret_value(v);
            *v = super::redacted(v);
        }
        (Value::Map(mm), Value::Map(vm)) => {
            for (k, sub) in mm {
                if let Some(x) = vm.get_mut(k) {
                    apply_mask(x, sub, parsed);
                }
            }
        }
        (Value::List(ml), Value::List(vl)) => {
            for (sub, x) in ml.iter().zip(vl.iter_mut()) {
                apply_mask(x, sub, parsed);
            }
        }
        _ => {}
    }
}

/// A state document in the show format.
pub(crate) fn convert(values: Values, lines: &HashMap<String, u32>, parsed: &mut Parsed) {
    output_secrets(&values, parsed);
    let mut all = Vec::new();
    if let Some(root) = values.root_module {
        root.into_resources(&mut all);
    }
    for r in all {
        if let Some(i) = instance(r, lines, parsed) {
            parsed.instances.push(i);
        }
    }
}
