//! A template's `Outputs`: evaluated, and put on the stack resource that
//! holds them (Terraform's `aws_cloudformation_stack.outputs`).

use serde_json::Value as Json;

use super::eval::{Eval, EvalError};
use super::foreach;
use super::resource::{is_cfn_secret, redact_whole};
use crate::model::{Location, Map, Resource, Value};

/// A template's `Outputs`: name → value, and each one's location.
#[derive(Default)]
pub(crate) struct Outputs {
    pub(super) values: Map,
    pub(super) locations: Vec<(String, Location)>,
    /// The `Outputs` section's.
    pub(super) section: Location,
}

impl Outputs {
    /// Put them on the stack resource that holds them, as Terraform's
    /// `aws_cloudformation_stack.outputs`.
    pub(super) fn attach(self, r: &mut Resource) {
        if self.values.is_empty() {
            return;
        }
        r.attributes
            .insert("outputs".into(), Value::Map(self.values));
        r.locate("outputs", self.section);
        for (name, at) in self.locations {
            r.locate(format!("outputs.{name}"), at);
        }
        crate::normalize::seal(r, &crate::normalize::Normalizer::default());
    }
}

/// The template's `Outputs`, evaluated: each one's `Value` (an output
/// whose `Condition` is false does not exist). A value built from a
/// `NoEcho` parameter stays sensitive.
pub(super) fn outputs(
    ev: &Eval,
    section: Option<&serde_json::Map<String, Json>>,
) -> Result<Outputs, EvalError> {
    let mut out = Outputs {
        section: Location::new(ev.file.clone(), ev.lines.line(&["Outputs"])),
        ..Outputs::default()
    };
    let looped = match section {
        Some(s) if foreach::has_loops(s) => Some(foreach::expand(ev, s, &["Outputs"])?),
        _ => None,
    };
    let section = looped.as_ref().map(|l| &l.map).or(section);
    // A generated output's lines are its template's.
    let written = |name: &str| -> Vec<String> {
        looped
            .as_ref()
            .and_then(|l| l.origin.iter().find(|(k, _)| k == name))
            .map_or_else(
                || vec!["Outputs".to_string(), name.to_string()],
                |(_, from)| from.clone(),
            )
    };
    for (name, def) in section.into_iter().flatten() {
        let at = written(name);
        let at: Vec<&str> = at.iter().map(String::as_str).collect();
        let here = at.as_slice();
        let under = |key: &'static str| -> Vec<&str> {
            let mut p = here.to_vec();
            p.push(key);
            p
        };
        if let Some(Json::String(c)) = def.get("Condition") {
            if !ev.condition(c, &under("Condition"))? {
                continue;
            }
        }
        let Some(v) = def.get("Value") else {
            return Err(EvalError {
                path: here.iter().map(|s| s.to_string()).collect(),
                message: format!("output `{name}` has no Value"),
            });
        };
        if let Some(mut v) = ev.eval(v, &under("Value"))? {
            if is_cfn_secret(name) {
                redact_whole(&mut v);
            }
            out.values.insert(name.clone(), v);
            out.locations.push((
                name.clone(),
                Location::new(ev.file.clone(), ev.lines.line(&under("Value"))),
            ));
        }
    }
    Ok(out)
}
