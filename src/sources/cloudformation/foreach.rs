//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform): a key
//! `Fn::ForEach::<Loop>: [Identifier, Collection, {OutputKey: OutputValue}]`
//! in `Resources` or `Outputs` stands for one copy of its template per item
//! of the collection, `${Identifier}` (and `&{Identifier}`, the item
//! without its non-alphanumeric characters) replaced in keys and strings
//! and `{"Ref": Identifier}` by the item. Loops nest. A collection only
//! the deployment knows is a coverage gap: what it would generate is not
//! compared.

use serde_json::{Map, Value as Json};

use super::eval::{Eval, EvalError};
use crate::model::Value;

const PREFIX: &str = "Fn::ForEach::";

/// Whether a section holds a loop.
pub(crate) fn has_loops(section: &Map<String, Json>) -> bool {
    section.keys().any(|k| k.starts_with(PREFIX))
}

/// A section with its loops expanded, and for each generated key the
/// template path of the key it was written as (for lines).
#[derive(Default)]
pub(crate) struct Looped {
    pub map: Map<String, Json>,
    pub origin: Vec<(String, Vec<String>)>,
}

/// Expand the loops of the section at `base` (`["Resources"]`).
pub(crate) fn expand(
    ev: &Eval,
    section: &Map<String, Json>,
    base: &[&str],
) -> Result<Looped, EvalError> {
    let mut out = Looped::default();
    let entries = section
        .iter()
        .map(|(k, v)| (k.clone(), k.clone(), v.clone(), v.clone()))
        .collect();
    let base: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    expand_into(ev, entries, &base, &mut out)?;
    Ok(out)
}

/// (key, the key as written in the template, value, the value as written).
type Entry = (String, String, Json, Json);

/// Expand `entries` found under the template path `at`.
fn expand_into(
    ev: &Eval,
    entries: Vec<Entry>,
    at: &[String],
    out: &mut Looped,
) -> Result<(), EvalError> {
    for (key, written, value, original) in entries {
        let mut here = at.to_vec();
        here.push(written.clone());
        if !key.starts_with(PREFIX) {
            out.origin.push((key.clone(), here));
            out.map.insert(key, value);
            continue;
        }
        let fail = |message: String| EvalError {
            path: here.clone(),
            message,
        };
        let (ident, collection, template) = match &value {
            Json::Array(parts) if parts.len() == 3 => match (&parts[0], &parts[2]) {
                (Json::String(i), Json::Object(t)) => (i.clone(), &parts[1], t),
                _ => {
                    return Err(fail(format!(
                        "`{key}` takes [identifier, collection, {{key: value}}]"
                    )))
                }
            },
            _ => {
                return Err(fail(format!(
                    "`{key}` takes [identifier, collection, {{key: value}}]"
                )))
            }
        };
        let mut coll_at: Vec<&str> = here.iter().map(String::as_str).collect();
        coll_at.push("1");
        let items = match ev.eval(collection, &coll_at)? {
            Some(Value::List(items)) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect();
                strings
            }
            _ => None,
        };
        let Some(items) = items else {
            ev.gap(
                &coll_at,
                format!("the collection of `{key}` is known only at deployment: what the loop generates is not compared"),
            );
            continue;
        };
        // The template as written, for the lines of what it generates.
        let written_template = original
            .get(2)
            .and_then(Json::as_object)
            .unwrap_or(template);
        let mut inner_at = here.clone();
        inner_at.push("2".into());
        for item in &items {
            let copies = template
                .iter()
                .zip(written_template.iter())
                .map(|((k, v), (wk, wv))| {
                    (
                        subst_str(k, &ident, item),
                        wk.clone(),
                        subst(v, &ident, item),
                        wv.clone(),
                    )
                })
                .collect();
            expand_into(ev, copies, &inner_at, out)?;
        }
    }
    Ok(())
}

fn subst_str(s: &str, ident: &str, item: &str) -> String {
    let alnum: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    s.replace(&format!("${{{ident}}}"), item)
        .replace(&format!("&{{{ident}}}"), &alnum)
}

fn subst(v: &Json, ident: &str, item: &str) -> Json {
    match v {
        Json::String(s) => Json::String(subst_str(s, ident, item)),
        Json::Array(items) => Json::Array(items.iter().map(|i| subst(i, ident, item)).collect()),
        Json::Object(m) if m.len() == 1 && m.get("Ref").and_then(Json::as_str) == Some(ident) => {
            Json::String(item.to_string())
        }
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (subst_str(k, ident, item), subst(v, ident, item)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::cloudformation::template::Lines;

    #[test]
    fn loops_copy_their_template_per_item_and_nest() {
        let lines = Lines::default();
        let ev = Eval::new("t.yaml".into(), &lines);
        let section: Json = serde_json::json!({
            "Plain": {"Type": "AWS::SQS::Queue"},
            "Fn::ForEach::Topics": ["Name", ["orders", "dead-letters"], {
                "Topic&{Name}": {"Type": "AWS::SNS::Topic", "Properties": {
                    "TopicName": {"Fn::Sub": "${AWS::StackName}-${Name}"},
                    "DisplayName": {"Ref": "Name"}}},
                "Fn::ForEach::Subs": ["Proto", ["sqs"], {
                    "Sub&{Name}${Proto}": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": {"Ref": "Proto"}}}
                }]
            }]
        });
        let looped =
            expand(&ev, section.as_object().expect("map"), &["Resources"]).expect("expands");
        let keys: Vec<&String> = looped.map.keys().collect();
        assert_eq!(
            keys,
            [
                "Plain",
                "Topicorders",
                "Suborderssqs",
                "Topicdeadletters",
                "Subdeadletterssqs"
            ]
        );
        assert_eq!(
            looped.map["Topicdeadletters"]["Properties"],
            serde_json::json!({"TopicName": {"Fn::Sub": "${AWS::StackName}-dead-letters"}, "DisplayName": "dead-letters"})
        );
        assert_eq!(
            looped.map["Subdeadletterssqs"]["Properties"]["Protocol"],
            "sqs"
        );
        let origin = &looped
            .origin
            .iter()
            .find(|(k, _)| k == "Suborderssqs")
            .expect("origin")
            .1;
        assert_eq!(
            origin,
            &[
                "Resources",
                "Fn::ForEach::Topics",
                "2",
                "Fn::ForEach::Subs",
                "2",
                "Sub&{Name}${Proto}"
            ]
        );

        let bad = serde_json::json!({"Fn::ForEach::X": ["Name", ["a"]]});
        let e = expand(&ev, bad.as_object().expect("map"), &["Resources"])
            .err()
            .expect("error");
        assert!(e.message.contains("takes [identifier"), "{}", e.message);
    }
}
