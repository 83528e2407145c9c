//! Keeping sensitive values out of symbolic values: a value known only after
//! apply is written with the known values it was built from, and redaction
//! leaves such values alone, so secrets are taken out of their text here.

use crate::model::Value;

use super::Instance;

impl<'l> Instance<'l> {
    /// Symbolic values are written with the known values they were built
    /// from (`coalesce(aws_x.y.pw, "...")`), and redaction leaves symbolic
    /// values alone: take sensitive values out of their text here.
    pub(super) fn scrub(&self, v: Value) -> Value {
        if !self.loader.scrubs() || !v.contains_unknown() {
            return v;
        }
        let secrets = self.loader.scrub_patterns();
        if secrets.is_empty() {
            return v;
        }
        scrub_unknowns(v, &secrets)
    }
}

/// What [`scrub_unknowns`] looks for: each secret long enough to matter,
/// as written and as it appears inside JSON text.
pub(in crate::sources::terraform) fn scrub_patterns(secrets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = secrets
        .iter()
        .filter(|s| s.len() >= 6)
        .flat_map(|s| {
            let quoted = serde_json::Value::String(s.clone()).to_string();
            let inner = quoted[1..quoted.len() - 1].to_string();
            [s.clone(), inner]
        })
        .collect();
    // Longest first, so a secret that contains another is replaced whole,
    // and in one order whatever order the secrets were found in.
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

pub(in crate::sources::terraform) fn scrub_unknowns(v: Value, secrets: &[String]) -> Value {
    match v {
        Value::Unknown(mut text) => {
            for s in secrets {
                if text.contains(s.as_str()) {
                    text = text.replace(s.as_str(), "(sensitive)");
                }
            }
            Value::Unknown(text)
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| scrub_unknowns(i, secrets))
                .collect(),
        ),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, i)| (k, scrub_unknowns(i, secrets)))
                .collect(),
        ),
        other => other,
    }
}
