//! `data "aws_iam_policy_document"` evaluated to the JSON the AWS provider
//! renders, so a role whose policy comes from a document compares by what it
//! allows, not by the name of the data source.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use crate::model::Value;

/// Build `{ json = "..." , minified_json = "..." }` from the evaluated
/// attributes of the data source.
pub fn document_json(attrs: &crate::model::Map) -> Value {
    // A document built from a sensitive value is sensitive whole: its JSON
    // is written from the values, so the mark goes on the text.
    if attrs.values().any(Value::contains_marked) {
        let plain: crate::model::Map = attrs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unmark_deep().0))
            .collect();
        return document_json(&plain).mark();
    }
    // The evaluator's types (`Value::Typed`) do not matter to the JSON.
    if attrs.values().any(Value::contains_typed) {
        let plain: crate::model::Map = attrs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().untyped()))
            .collect();
        return document_json(&plain);
    }
    let mut statements: Vec<Json> = Vec::new();
    // source_policy_documents come first; the document's own statements
    // then replace same-Sid ones; override documents replace last.
    if let Some(Value::List(docs)) = attrs.get("source_policy_documents") {
        for doc in docs {
            merge_statements(&mut statements, doc_statements(doc));
        }
    }
    let own: Vec<Json> = match attrs.get("statement") {
        Some(Value::List(items)) => items.iter().map(statement).collect(),
        _ => Vec::new(),
    };
    merge_statements(&mut statements, own);
    if let Some(Value::List(docs)) = attrs.get("override_policy_documents") {
        for doc in docs {
            merge_statements(&mut statements, doc_statements(doc));
        }
    }
    let mut doc = Map::new();
    doc.insert(
        "Version".into(),
        Json::String(
            attrs
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or("2012-10-17")
                .to_string(),
        ),
    );
    if let Some(id) = attrs.get("policy_id").and_then(Value::as_str) {
        doc.insert("Id".into(), Json::String(id.to_string()));
    }
    doc.insert("Statement".into(), Json::Array(statements));
    let doc = Json::Object(doc);
    let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let compact = doc.to_string();
    Value::Map(
        [
            ("json".to_string(), Value::String(pretty)),
            ("minified_json".to_string(), Value::String(compact)),
        ]
        .into_iter()
        .collect(),
    )
}

fn doc_statements(doc: &Value) -> Vec<Json> {
    let Some(text) = doc.as_str() else {
        return Vec::new();
    };
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(o)) => match o.get("Statement") {
            Some(Json::Array(items)) => items.clone(),
            Some(single @ Json::Object(_)) => vec![single.clone()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn merge_statements(into: &mut Vec<Json>, new: Vec<Json>) {
    for st in new {
        let sid = st
            .get("Sid")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        if !sid.is_empty() {
            if let Some(existing) = into
                .iter_mut()
                .find(|s| s.get("Sid").and_then(Json::as_str) == Some(sid.as_str()))
            {
                *existing = st;
                continue;
            }
        }
        into.push(st);
    }
}

/// One element, or the list when there are several: what the provider emits.
fn one_or_many(v: &Value) -> Option<Json> {
    let items: Vec<Json> = match v {
        Value::List(items) => items.iter().map(Value::to_json).collect(),
        Value::Null => return None,
        other => vec![other.to_json()],
    };
    match items.len() {
        0 => None,
        1 => items.into_iter().next(),
        _ => Some(Json::Array(items)),
    }
}

fn principals(v: &Value) -> Option<Json> {
    let Value::List(blocks) = v else { return None };
    let mut out: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for b in blocks {
        let Some(m) = b.as_map() else { continue };
        let ty = m.get("type").map(Value::display).unwrap_or_default();
        let ids = match m.get("identifiers") {
            Some(Value::List(ids)) => ids.iter().map(Value::to_json).collect(),
            Some(other) => vec![other.to_json()],
            None => Vec::new(),
        };
        out.entry(ty).or_default().extend(ids);
    }
    if out.len() == 1 && out.contains_key("*") {
        return Some(Json::String("*".into()));
    }
    Some(Json::Object(
        out.into_iter()
            .map(|(k, v)| {
                let v = if v.len() == 1 {
                    v.into_iter().next().unwrap_or(Json::Null)
                } else {
                    Json::Array(v)
                };
                (k, v)
            })
            .collect(),
    ))
}

fn conditions(v: &Value) -> Option<Json> {
    let Value::List(blocks) = v else { return None };
    let mut out: BTreeMap<String, BTreeMap<String, Json>> = BTreeMap::new();
    for b in blocks {
        let Some(m) = b.as_map() else { continue };
        let test = m.get("test").map(Value::display).unwrap_or_default();
        let var = m.get("variable").map(Value::display).unwrap_or_default();
        let values = m.get("values").and_then(one_or_many).unwrap_or(Json::Null);
        out.entry(test).or_default().insert(var, values);
    }
    Some(json!(out))
}

fn statement(v: &Value) -> Json {
    let mut out = Map::new();
    let Some(m) = v.as_map() else {
        return Json::Object(out);
    };
    if let Some(sid) = m.get("sid").and_then(Value::as_str) {
        out.insert("Sid".into(), Json::String(sid.to_string()));
    }
    out.insert(
        "Effect".into(),
        Json::String(
            m.get("effect")
                .and_then(Value::as_str)
                .unwrap_or("Allow")
                .to_string(),
        ),
    );
    let fields = [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ];
    for (attr, key) in fields {
        if let Some(j) = m.get(attr).and_then(one_or_many) {
            out.insert(key.into(), j);
        }
    }
    if let Some(p) = m.get("principals").and_then(principals) {
        out.insert("Principal".into(), p);
    }
    if let Some(p) = m.get("not_principals").and_then(principals) {
        out.insert("NotPrincipal".into(), p);
    }
    if let Some(c) = m.get("condition").and_then(conditions) {
        out.insert("Condition".into(), c);
    }
    Json::Object(out)
}
