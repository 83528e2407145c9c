//! A stack's configuration, `Pulumi.<stack>.yaml`:
//!
//! ```yaml
//! config:
//!   aws:region: eu-west-1
//!   shop:dbInstanceClass: db.r6g.large
//!   shop:dbPassword:
//!     secure: AAABADQXFp...
//! ```
//!
//! read into one record, `pulumi_config.stack`, whose attributes are the
//! namespaced keys, each located at its line. Records are judged like
//! Terraform's dependency records: a key in one stack only, or with another
//! value, is a `config` finding; `aws:region` is judged by a topology rule.
//! A `secure:` value is encrypted with the stack's own key, so two stacks'
//! ciphertexts always differ: it is a sensitive value that stands for "a
//! secret", compared by presence (its plaintext, where a resource uses it,
//! is in the stack export, compared by hash).

use std::sync::Arc;

use serde_json::Value as Json;

use super::{at, PulumiError};
use crate::model::{CoverageGap, Location, Map, Resource, Value};
use crate::normalize::Normalizer;
use crate::sources::cloudformation::template::{self, Lines};

/// The record's type and address.
pub(crate) const TYPE: &str = "pulumi_config";
pub(crate) const ADDRESS: &str = "pulumi_config.stack";

/// Top-level keys that hold no configuration to compare.
const IGNORED: &[&str] = &["secretsprovider", "encryptedkey", "encryptionsalt"];

/// Read a stack configuration file's text into its record and coverage gaps.
pub(crate) fn read(
    text: &str,
    shown: &str,
    n: &Normalizer,
) -> Result<(Resource, Vec<CoverageGap>), PulumiError> {
    let (tree, lines) = if text.trim().is_empty() {
        (Json::Null, Lines::default())
    } else {
        template::parse(text).map_err(|e| PulumiError::Invalid {
            location: at(shown, e.line),
            message: format!("not a valid stack configuration: {}", e.message),
        })?
    };
    let file: Arc<str> = Arc::from(shown);
    let mut r = Resource::new(ADDRESS, TYPE, Location::new(file.clone(), Some(1)));
    let mut gaps = Vec::new();
    let top = match &tree {
        Json::Null => serde_json::Map::new(),
        Json::Object(m) => m.clone(),
        _ => {
            return Err(PulumiError::Invalid {
                location: at(shown, Some(1)),
                message: "a stack configuration is a mapping (`config:` ...)".into(),
            })
        }
    };
    for key in top.keys() {
        if key == "config" || IGNORED.contains(&key.as_str()) {
            continue;
        }
        gaps.push(CoverageGap {
            what: at(shown, lines.line(&[key])),
            reason: format!(
                "`{key}` is not read (Pulumi ESC environments and other settings are not compared)"
            ),
        });
    }
    match top.get("config") {
        None | Some(Json::Null) => {}
        Some(Json::Object(config)) => {
            for (key, v) in config {
                let line = lines.line(&["config", key]);
                r.attributes.insert(key.clone(), value(v));
                r.locate(key.clone(), Location::new(file.clone(), line));
            }
        }
        Some(_) => {
            return Err(PulumiError::Invalid {
                location: at(shown, lines.line(&["config"])),
                message: "`config` must be a mapping of namespaced keys (`aws:region: ...`)".into(),
            })
        }
    }
    crate::normalize::seal(&mut r, n);
    Ok((r, gaps))
}

/// The raw values of a stack configuration's `config:`, by key, for a
/// program's evaluation: a `secure:` value is a secret whose value is not
/// known (it is encrypted with the stack's key).
pub(crate) fn values(
    text: &str,
    shown: &str,
) -> Result<(Vec<(String, Value)>, Lines), PulumiError> {
    let (tree, lines) = if text.trim().is_empty() {
        (Json::Null, Lines::default())
    } else {
        template::parse(text).map_err(|e| PulumiError::Invalid {
            location: at(shown, e.line),
            message: format!("not a valid stack configuration: {}", e.message),
        })?
    };
    let mut out = Vec::new();
    if let Some(Json::Object(config)) = tree.get("config") {
        for (k, v) in config {
            out.push((k.clone(), unknown_secure(v, k)));
        }
    }
    Ok((out, lines))
}

fn unknown_secure(j: &Json, key: &str) -> Value {
    match j {
        Json::Object(m) if m.len() == 1 && m.get("secure").is_some_and(Json::is_string) => {
            Value::Unknown(format!("config.{key}")).mark()
        }
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), unknown_secure(v, key));
            }
            Value::Map(out)
        }
        Json::Array(items) => Value::List(items.iter().map(|i| unknown_secure(i, key)).collect()),
        other => value(other),
    }
}

/// A configuration value; `{secure: ...}` (at any depth of structured
/// configuration) is a secret that stands for "a secret".
pub(crate) fn value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n.as_f64().map_or(Value::Null, Value::Number),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(value).collect()),
        Json::Object(m) if m.len() == 1 && m.get("secure").is_some_and(Json::is_string) => {
            Value::str("pulumi-secure-value").mark()
        }
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), value(v));
            }
            Value::Map(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_attributes_with_lines_and_secure_values_are_sealed() {
        let text = "encryptionsalt: v1:abc\nconfig:\n  aws:region: eu-west-1\n  shop:db:\n    size: 20\n  shop:password:\n    secure: AAABAHunter2ciphertext\n";
        let (r, gaps) = read(text, "Pulumi.staging.yaml", &Normalizer::default()).expect("reads");
        assert!(gaps.is_empty(), "{gaps:?}");
        assert_eq!(r.attributes["aws:region"], Value::str("eu-west-1"));
        assert_eq!(
            r.attribute_location("aws:region").to_string(),
            "Pulumi.staging.yaml:3"
        );
        assert_eq!(
            r.attributes["shop:db"].get_path("size"),
            Some(&Value::Number(20.0))
        );
        assert!(r.attributes["shop:password"].is_sensitive());
        assert!(!format!("{:?}", r.attributes).contains("Hunter2"));
    }

    #[test]
    fn a_malformed_file_is_an_error_with_its_line() {
        let e = read(
            "config:\n  aws:region: [eu\n",
            "Pulumi.prod.yaml",
            &Normalizer::default(),
        )
        .expect_err("malformed");
        assert!(e.to_string().starts_with("Pulumi.prod.yaml:"), "{e}");
        let e =
            read("config: 3\n", "Pulumi.prod.yaml", &Normalizer::default()).expect_err("not a map");
        assert_eq!(
            e.to_string(),
            "Pulumi.prod.yaml:1: `config` must be a mapping of namespaced keys (`aws:region: ...`)"
        );
    }
}
