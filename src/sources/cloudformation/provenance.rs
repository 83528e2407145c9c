//! Provenance: the template parameters a resource property reads, so a
//! finding names the parameter file line a reviewer changes rather than
//! the template line both environments share.
//!
//! A static walk of the property as written: `Ref` to a parameter,
//! `${Param}` in `Fn::Sub`, the conditions an `Fn::If` (or a `Condition`)
//! decides on, through `Conditions`, and the keys of `Fn::FindInMap`. Both
//! branches of an `Fn::If` are walked: an input whose value is the same in
//! both environments is no cause, so walking too much costs nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value as Json;

use super::eval::Eval;
use crate::model::{Input, InputKind, Inputs, Location};

/// The parameters `raw` reads, as inputs located where the environment set
/// them; a `NoEcho` value is its salted hash (sealed before this), never
/// its text.
pub(super) fn inputs(ev: &Eval, raw: &Json) -> Inputs {
    let mut names = BTreeSet::new();
    let mut seen = BTreeSet::new();
    walk(ev, raw, &mut names, &mut seen);
    let n = crate::normalize::Normalizer::default();
    let mut out: BTreeMap<String, Arc<Input>> = BTreeMap::new();
    for name in names {
        let Some(v) = ev.params.get(&name) else {
            continue;
        };
        let mut value = v.clone();
        crate::normalize::seal_value(&mut value, false, &n);
        let location = ev.param_locations.get(&name).cloned().unwrap_or_else(|| {
            Location::new(ev.file.clone(), ev.lines.line(&["Parameters", &name]))
        });
        out.insert(
            name.clone(),
            Arc::new(Input {
                name: Arc::from(name.as_str()),
                kind: InputKind::Parameter,
                location,
                value,
            }),
        );
    }
    out.into_values().collect()
}

/// Collect the parameter names `v` reads; `seen` stops a condition that
/// refers to itself.
fn walk(ev: &Eval, v: &Json, names: &mut BTreeSet<String>, seen: &mut BTreeSet<String>) {
    match v {
        Json::Array(items) => items.iter().for_each(|i| walk(ev, i, names, seen)),
        Json::Object(m) if m.len() == 1 => {
            let Some((k, arg)) = m.iter().next() else {
                return;
            };
            match (k.as_str(), arg) {
                ("Ref", Json::String(name)) => param(ev, name, names),
                ("Fn::Sub", Json::String(text)) => sub(ev, text, None, names),
                ("Fn::Sub", Json::Array(items)) => {
                    let vars = items.get(1).and_then(Json::as_object);
                    if let Some(Json::String(text)) = items.first() {
                        sub(ev, text, vars, names);
                    }
                    if let Some(vars) = vars {
                        vars.values().for_each(|x| walk(ev, x, names, seen));
                    }
                }
                ("Fn::If", Json::Array(items)) => {
                    if let Some(Json::String(c)) = items.first() {
                        condition(ev, c, names, seen);
                    }
                    items.iter().skip(1).for_each(|i| walk(ev, i, names, seen));
                }
                ("Condition", Json::String(c)) => condition(ev, c, names, seen),
                ("Fn::FindInMap", Json::Array(items)) => {
                    items.iter().skip(1).for_each(|i| walk(ev, i, names, seen));
                }
                _ => walk(ev, arg, names, seen),
            }
        }
        Json::Object(m) => m.values().for_each(|x| walk(ev, x, names, seen)),
        _ => {}
    }
}

fn param(ev: &Eval, name: &str, names: &mut BTreeSet<String>) {
    if ev.params.contains_key(name) && !name.starts_with("AWS::") {
        names.insert(name.to_string());
    }
}

fn condition(ev: &Eval, c: &str, names: &mut BTreeSet<String>, seen: &mut BTreeSet<String>) {
    if !seen.insert(c.to_string()) {
        return;
    }
    if let Some(def) = ev.conditions.and_then(|cs| cs.get(c)) {
        walk(ev, def, names, seen);
    }
}

/// `${Name}` in an `Fn::Sub` string (not `${!Literal}`, not a variable of
/// its own map, not `${Resource.Attribute}`).
fn sub(
    ev: &Eval,
    text: &str,
    vars: Option<&serde_json::Map<String, Json>>,
    names: &mut BTreeSet<String>,
) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            break;
        };
        let name = after[..end].trim();
        if !name.starts_with('!') && !vars.is_some_and(|v| v.contains_key(name)) {
            param(ev, name, names);
        }
        rest = &after[end + 1..];
    }
}
