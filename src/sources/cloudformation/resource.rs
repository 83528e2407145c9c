//! One template resource as a model resource (its type and attributes
//! mapped), the stack itself, the stack's tags, and the redaction of
//! secrets under CloudFormation names.

use std::sync::Arc;

use serde_json::Value as Json;

use super::eval::{self, Eval, EvalError};
use super::{mapping, params, Options};
use crate::model::{Location, Map, Resource, Value};

/// One resource, or `None` when its condition is false (it does not exist).
pub(super) fn resource(
    ev: &Eval,
    prefix: &str,
    id: &str,
    def: &Json,
) -> Result<Option<Resource>, EvalError> {
    let here = ["Resources", id];
    let fail = |path: &[&str], message: String| EvalError {
        path: path.iter().map(|s| s.to_string()).collect(),
        message,
    };
    let Json::Object(def) = def else {
        return Err(fail(&here, format!("resource `{id}` must be a mapping")));
    };
    let Some(Json::String(cfn)) = def.get("Type") else {
        return Err(fail(&here, format!("resource `{id}` has no Type")));
    };
    match def.get("Condition") {
        None => {}
        Some(Json::String(c)) if !ev.condition(c, &["Resources", id, "Condition"])? => {
            return Ok(None);
        }
        Some(Json::String(_)) => {}
        Some(_) => {
            return Err(fail(
                &["Resources", id, "Condition"],
                "a resource's Condition must be a condition name".into(),
            ))
        }
    }
    if cfn.starts_with("AWS::Serverless::") {
        ev.gap(
            &["Resources", id, "Type"],
            format!("{cfn} is a SAM resource, not expanded: compared by its own properties"),
        );
    }
    let props = match def.get("Properties") {
        Some(p) => match ev.eval(p, &["Resources", id, "Properties"])? {
            Some(Value::Map(m)) => m,
            Some(Value::Null) | None => Map::new(),
            Some(other) => {
                return Err(fail(
                    &["Resources", id, "Properties"],
                    format!("Properties must be a mapping, found {}", other.type_name()),
                ))
            }
        },
        None => Map::new(),
    };
    let (mut attributes, names) = mapping::attributes(cfn, props);
    // Kept under their own names: what deleting the stack does differs
    // between environments more often than it should.
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(p) = def.get(policy) {
            if let Some(v) = ev.eval(p, &["Resources", id, policy])? {
                attributes.insert(policy.to_string(), v);
            }
        }
    }
    let rtype = mapping::model_type(cfn);
    let line = ev.lines.line(&here);
    let mut r = Resource::new(
        format!("{prefix}{rtype}.{id}"),
        rtype,
        Location::new(ev.file.clone(), line),
    );
    let table = mapping::lookup(cfn);
    let mut prov = std::collections::BTreeMap::new();
    for (prop, attr) in &names {
        if let Some(raw) = def.get("Properties").and_then(|p| p.get(prop.as_str())) {
            let inputs = super::provenance::inputs(ev, raw);
            if !inputs.is_empty() {
                prov.insert(attr.clone(), inputs);
            }
        }
    }
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(raw) = def.get(policy) {
            let inputs = super::provenance::inputs(ev, raw);
            if !inputs.is_empty() {
                prov.insert(policy.to_string(), inputs);
            }
        }
    }
    r.provenance = Arc::new(prov);
    for (prop, attr) in names {
        let base = ["Resources", id, "Properties", prop.as_str()];
        // List items and nested keys at their own lines, where the
        // attribute keeps the property's shape.
        let conv = table
            .and_then(|t| t.properties.iter().find(|(p, _, _)| *p == prop))
            .map(|(_, _, c)| *c);
        for (rest, l) in ev.lines.under(&base) {
            if let Some(sub) = mapping::nested_path(conv, &rest) {
                r.locate(
                    format!("{attr}.{sub}"),
                    Location::new(ev.file.clone(), Some(l)),
                );
            }
        }
        if let Some(l) = ev.lines.line(&base) {
            r.locate(attr, Location::new(ev.file.clone(), Some(l)));
        }
    }
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(l) = ev
            .lines
            .line(&["Resources", id, policy])
            .filter(|_| def.contains_key(policy))
        {
            r.locate(policy, Location::new(ev.file.clone(), Some(l)));
        }
    }
    crate::sources::terraform::schema::convert_resource(rtype, false, &mut attributes);
    for v in attributes.values_mut() {
        redact_cfn_names(v);
    }
    r.attributes = attributes;
    redact_cfn_names_top(&mut r.attributes);
    crate::normalize::seal(&mut r, &crate::normalize::Normalizer::default());
    Ok(Some(r))
}

/// The stack itself: its name and tags (the third shape of parameter file
/// gives tags), as Terraform's `aws_cloudformation_stack`.
pub(super) fn stack(
    opts: &Options,
    file: &Arc<str>,
    params: Option<&params::ParamFile>,
) -> Resource {
    let mut r = Resource::new(
        "aws_cloudformation_stack.stack",
        "aws_cloudformation_stack",
        Location::new(file.clone(), None),
    );
    r.attributes.insert(
        "name".into(),
        Value::str(opts.stack_name.as_deref().unwrap_or(&opts.environment)),
    );
    if let Some(p) = params.filter(|p| !p.tags.is_empty()) {
        r.attributes.insert(
            "tags".into(),
            Value::Map(
                p.tags
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::str(v)))
                    .collect(),
            ),
        );
        r.locate("tags", Location::new(p.shown.as_str(), None));
    }
    r
}

/// The stack's tags (the parameter file's `Tags`), as CloudFormation
/// propagates them: onto every resource of a type that takes `Tags`,
/// nested stacks' included, under the resource's own tags of the same key.
pub(super) fn stack_tags(resources: &mut [Resource], params: &params::ParamFile) {
    for r in resources.iter_mut() {
        let taggable = mapping::all().any(|t| {
            t.terraform == r.rtype
                && t.properties
                    .iter()
                    .any(|(p, a, _)| *p == "Tags" && *a == "tags")
        });
        if !taggable {
            continue;
        }
        let mut tags = match r.attributes.remove("tags") {
            Some(Value::Map(m)) => m,
            Some(other) => {
                // Not a map (unknown until deployment): left as it is.
                r.attributes.insert("tags".into(), other);
                continue;
            }
            None => Map::new(),
        };
        for (k, v) in &params.tags {
            if !tags.contains_key(k) {
                tags.insert(k.clone(), Value::str(v));
                r.locate(
                    format!("tags.{k}"),
                    Location::new(params.shown.as_str(), None),
                );
            }
        }
        r.attributes.insert("tags".into(), Value::Map(tags));
    }
}

/// Secrets under CloudFormation names (`MasterUserPassword` of an unmapped
/// `AWS::DocDB::DBCluster`, `AuthToken`, `SecretString`), at any depth: the
/// model redacts Terraform names (`password`), so a name is also tried in
/// Terraform's case. A value from a `NoEcho` parameter is already
/// sensitive; this covers literals written in the template.
fn redact_cfn_names_top(attributes: &mut Map) {
    for (k, v) in attributes.iter_mut() {
        if is_cfn_secret(k) {
            redact_whole(v);
        }
    }
}

fn redact_cfn_names(v: &mut Value) {
    match v {
        Value::Map(m) => {
            for (k, item) in m.iter_mut() {
                if is_cfn_secret(k) {
                    redact_whole(item);
                } else {
                    redact_cfn_names(item);
                }
            }
        }
        Value::List(items) => items.iter_mut().for_each(redact_cfn_names),
        _ => {}
    }
}

pub(super) fn is_cfn_secret(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_uppercase())
        && crate::normalize::is_secret_attribute(&eval::snake(name))
}

pub(super) fn redact_whole(v: &mut Value) {
    match v {
        Value::Null | Value::Unknown(_) => {}
        v if v.is_sensitive() => {}
        Value::String(s) => *v = crate::normalize::sensitive(s),
        other => *other = crate::normalize::sensitive(&other.to_json().to_string()),
    }
}
