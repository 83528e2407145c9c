//! Property values of a stack export as the model's values.
//!
//! Pulumi writes a few special values as objects carrying a signature key
//! (`4dabf18193072939515e22adb298388d`): secrets (`plaintext` with
//! `pulumi stack export --show-secrets`, `ciphertext` without), assets and
//! archives, output values and resource references. And a value not known
//! yet is the string `04da6b54-80e4-46f7-96ec-b56ff0331ba9`.

use serde_json::Value as Json;

use crate::model::{Map, Value};

/// The key that marks a special value.
pub(crate) const SIG: &str = "4dabf18193072939515e22adb298388d";
const SECRET: &str = "1b47061264138c4ac30d75fd1eb44270";
const ASSET: &str = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
const OUTPUT: &str = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const REFERENCE: &str = "5cf8f73096256a8f31e491e813e4eb8e";
/// Pulumi's unknown value.
pub(crate) const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/// A secret as `pulumi preview --json` shows it.
const BLINDED: &str = "[secret]";

/// The text of an encrypted secret before it is sealed: every encrypted
/// secret hashes the same (they are compared by presence).
const ENCRYPTED: &str = "pulumi-secret-encrypted";

/// Converts the values of one resource, counting what it met.
pub(crate) struct Convert<'a> {
    /// The resource's address: an unknown's text is `<address>.<path>`.
    pub address: &'a str,
    /// Secrets that were encrypted (`ciphertext`): compared by presence.
    pub encrypted: usize,
    /// Plaintext secrets that are strings, for the substring guard.
    pub secrets: Vec<String>,
    /// A preview's values: the string `[secret]` is a secret Pulumi
    /// blinded (counted with the encrypted ones).
    pub blinded: bool,
}

impl<'a> Convert<'a> {
    pub(crate) fn new(address: &'a str) -> Self {
        Convert {
            address,
            encrypted: 0,
            secrets: Vec::new(),
            blinded: false,
        }
    }

    /// One property's value; `path` is the property path so far.
    pub(crate) fn value(&mut self, j: &Json, path: &mut Vec<String>) -> Value {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => n.as_f64().map_or(Value::Null, Value::Number),
            Json::String(s) if s == UNKNOWN => self.unknown(path),
            Json::String(s) if self.blinded && s == BLINDED => {
                self.encrypted += 1;
                Value::String(ENCRYPTED.into()).mark()
            }
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.value(i, path))
                    .collect::<Vec<_>>(),
            ),
            Json::Object(m) => match m.get(SIG).and_then(Json::as_str) {
                Some(SECRET) => self.secret(m, path),
                Some(ASSET | ARCHIVE) => asset(m),
                Some(OUTPUT) => {
                    let inner = match m.get("value") {
                        Some(v) => self.value(v, path),
                        None => self.unknown(path),
                    };
                    if m.get("secret").and_then(Json::as_bool) == Some(true) {
                        inner.mark()
                    } else {
                        inner
                    }
                }
                // A resource reference: the resource it names, by URN.
                Some(REFERENCE) => m
                    .get("urn")
                    .and_then(Json::as_str)
                    .map_or(Value::Null, |u| Value::Unknown(u.to_string())),
                _ => {
                    let mut out = Map::new();
                    for (k, v) in m {
                        path.push(k.clone());
                        let v = self.value(v, path);
                        path.pop();
                        out.insert(k.clone(), v);
                    }
                    Value::Map(out)
                }
            },
        }
    }

    fn unknown(&self, path: &[String]) -> Value {
        let mut text = self.address.to_string();
        for p in path {
            text.push('.');
            text.push_str(p);
        }
        Value::Unknown(text)
    }

    /// A secret: its plaintext (a JSON text of the value) marked, or, when
    /// encrypted, a value that stands for "a secret" and is counted.
    fn secret(&mut self, m: &serde_json::Map<String, Json>, path: &mut Vec<String>) -> Value {
        if let Some(Json::String(plain)) = m.get("plaintext") {
            let inner = match serde_json::from_str::<Json>(plain) {
                Ok(j) => self.value(&j, path),
                // Not JSON: the text itself.
                Err(_) => Value::String(plain.clone()),
            };
            collect_strings(&inner, &mut self.secrets);
            return inner.mark();
        }
        self.encrypted += 1;
        Value::String(ENCRYPTED.into()).mark()
    }
}

/// An asset or archive: compared by its content hash when Pulumi recorded
/// one, by what it is made of otherwise.
fn asset(m: &serde_json::Map<String, Json>) -> Value {
    if let Some(Json::String(h)) = m.get("hash") {
        return Value::String(format!("sha256:{h}"));
    }
    let mut out = Map::new();
    for key in ["path", "uri", "text"] {
        if let Some(Json::String(s)) = m.get(key) {
            out.insert(key.to_string(), Value::str(s));
        }
    }
    Value::Map(out)
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::List(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Map(m) => m.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(j: &str) -> (Value, usize) {
        let mut c = Convert::new("aws_db_instance.db");
        let v = c.value(
            &serde_json::from_str(j).expect("json"),
            &mut vec!["p".into()],
        );
        (v, c.encrypted)
    }

    #[test]
    fn the_unknown_sentinel_is_an_unknown_value_never_a_string() {
        let (v, _) = conv(r#"{"a": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "b": ["x"]}"#);
        assert_eq!(
            v.get_path("a"),
            Some(&Value::Unknown("aws_db_instance.db.p.a".into()))
        );
        assert_eq!(v.get_path("b.0"), Some(&Value::str("x")));
    }

    #[test]
    fn secrets_are_marked_plaintext_parsed_and_ciphertext_counted() {
        let (v, n) = conv(
            r#"{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "\"hunter2-long\""}"#,
        );
        assert_eq!(v, Value::Marked(Box::new(Value::str("hunter2-long"))));
        assert_eq!(n, 0);
        let (v, n) = conv(
            r#"{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}"#,
        );
        assert!(v.is_marked());
        assert_eq!(n, 1);
        let (v, _) = conv(
            r#"{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "{\"k\": 1}"}"#,
        );
        assert_eq!(v.unmarked().get_path("k"), Some(&Value::Number(1.0)));
    }

    #[test]
    fn assets_compare_by_hash_and_output_values_keep_their_secrecy() {
        let (v, _) = conv(
            r#"{"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "hash": "ab12", "path": "./app"}"#,
        );
        assert_eq!(v, Value::str("sha256:ab12"));
        let (v, _) = conv(
            r#"{"4dabf18193072939515e22adb298388d": "d0e6a833031e9bbcd3f4e8bde6ca49a4", "value": "x", "secret": true}"#,
        );
        assert!(v.is_marked());
        let (v, _) =
            conv(r#"{"4dabf18193072939515e22adb298388d": "d0e6a833031e9bbcd3f4e8bde6ca49a4"}"#);
        assert!(v.is_unknown());
    }
}
