//! `pulumi preview --json`: the steps a `pulumi up` would take,
//!
//! ```json
//! { "config": {...}, "steps": [ { "op": "update", "urn": "urn:pulumi:…",
//!     "oldState": {…}, "newState": { "urn": …, "type": …, "inputs": {…}, "outputs": {…} },
//!     "diffReasons": [...] } ], "changeSummary": { "same": 9, "update": 1 } }
//! ```
//!
//! read as the stack's planned state (`--source plan`): each URN's
//! `newState` from its last step that keeps the resource, in the same
//! model as a stack export's resources ([`super::export::build`]). A
//! resource whose step deletes it (`delete`, `discard`) is not in the
//! planned state; the old half of a replacement (`delete-replaced`) does
//! not remove the new one. Values the provider cannot know before the
//! update are Pulumi's unknown sentinel, and are unknowns; secrets are
//! blinded (`[secret]`): compared by presence, with a coverage gap.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::export::{build, Export};
use super::{at, PulumiError};
use crate::normalize::Normalizer;

/// Steps that remove the resource from the planned state.
const REMOVING: &[&str] = &["delete", "discard"];
/// Steps about the old copy of a replaced resource: the new copy stays.
const OLD_COPY: &[&str] = &[
    "delete-replaced",
    "discard-replaced",
    "remove-pending-replace",
];

/// Read the text of a preview (`shown` is its path as messages give it).
pub(crate) fn read(text: &str, shown: &str, n: &Normalizer) -> Result<Export, PulumiError> {
    let invalid = |line: Option<u32>, message: String| PulumiError::Invalid {
        location: at(shown, line),
        message,
    };
    let tree: Json = serde_json::from_str(text).map_err(|e| {
        invalid(
            u32::try_from(e.line()).ok().filter(|&l| l > 0),
            format!("not a valid preview: {e}"),
        )
    })?;
    let Json::Object(top) = &tree else {
        return Err(invalid(
            Some(1),
            "a preview is a JSON object (the output of `pulumi preview --json`)".into(),
        ));
    };
    let steps = match top.get("steps") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(s)) => s.iter().collect(),
        Some(_) => return Err(invalid(None, "`steps` must be a list".into())),
    };
    // The planned state of each URN, in the order steps name them.
    let mut order: Vec<&str> = Vec::new();
    let mut planned: HashMap<&str, Option<&Json>> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        let Json::Object(s) = step else {
            return Err(invalid(
                None,
                format!("step {i} of `steps` is not an object"),
            ));
        };
        let (Some(op), Some(urn)) = (
            s.get("op").and_then(Json::as_str),
            s.get("urn").and_then(Json::as_str),
        ) else {
            return Err(invalid(None, format!("step {i} has no `op` or `urn`")));
        };
        if OLD_COPY.contains(&op) {
            continue;
        }
        if !planned.contains_key(urn) {
            order.push(urn);
        }
        let state = if REMOVING.contains(&op) {
            None
        } else {
            s.get("newState").filter(|v| v.is_object())
        };
        match state {
            Some(st) => {
                planned.insert(urn, Some(st));
            }
            None if REMOVING.contains(&op) => {
                planned.insert(urn, None);
            }
            // A step without a new state (an operation the preview only
            // names): what was there stays.
            None => {
                if let Some(old) = s.get("oldState").filter(|v| v.is_object()) {
                    planned.entry(urn).or_insert(Some(old));
                }
            }
        }
    }
    let resources: Vec<&Json> = order
        .iter()
        .filter_map(|u| planned.get(u).copied().flatten())
        .collect();
    build(&resources, text, shown, n, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(op: &str, name: &str, engine: &str) -> String {
        format!(
            r#"{{"op": "{op}", "urn": "urn:pulumi:s::p::aws:rds/instance:Instance::{name}",
               "newState": {{"urn": "urn:pulumi:s::p::aws:rds/instance:Instance::{name}", "custom": true,
                 "type": "aws:rds/instance:Instance",
                 "inputs": {{"engineVersion": "{engine}", "password": "[secret]"}},
                 "outputs": {{"engineVersion": "{engine}", "address": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "password": "[secret]"}}}}}}"#
        )
    }

    #[test]
    fn the_planned_state_keeps_new_states_drops_deletions_and_marks_blinded_secrets() {
        let text = format!(
            r#"{{"steps": [{}, {}, {}, {{"op": "delete-replaced", "urn": "urn:pulumi:s::p::aws:rds/instance:Instance::b"}}]}}"#,
            step("update", "a", "16.2"),
            step("replace", "b", "16.2"),
            step("delete", "c", "15.4"),
        );
        let out = read(&text, "preview.json", &Normalizer::default()).expect("reads");
        let addresses: Vec<&str> = out.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(addresses, vec!["aws_db_instance.a", "aws_db_instance.b"]);
        let a = &out.resources[0];
        assert_eq!(
            a.attributes["engine_version"],
            crate::model::Value::str("16.2")
        );
        assert!(a.attributes["address"].is_unknown());
        assert!(a.attributes["password"].is_sensitive());
        assert!(
            out.coverage.iter().any(|g| g.reason.contains("blinded")),
            "{:?}",
            out.coverage
        );
    }

    #[test]
    fn a_malformed_preview_is_an_error_with_its_line() {
        let e = read(
            "{\n  \"steps\": [\n",
            "preview.json",
            &Normalizer::default(),
        )
        .expect_err("bad");
        assert!(
            e.to_string()
                .starts_with("preview.json:3: not a valid preview"),
            "{e}"
        );
    }
}
