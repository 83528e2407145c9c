//! Normalization: make two environments' values comparable.
//!
//! The environment's name and aliases become `${env}`, its account id
//! `${account}`, its region `${region}`; secrets are replaced by salted
//! hashes before anything else can see them.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::model::value::SENSITIVE_PREFIX;
use crate::model::{Resource, Snapshot, Value};

/// Per-environment substitutions.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    /// Name and aliases, longest first, lower-cased.
    tokens: Vec<String>,
    account: Option<String>,
    region: Option<String>,
}

impl Normalizer {
    pub fn new(
        name: &str,
        aliases: &[String],
        account_id: Option<&str>,
        region: Option<&str>,
    ) -> Self {
        let mut tokens: Vec<String> = std::iter::once(name.to_string())
            .chain(aliases.iter().cloned())
            .filter(|t| !t.is_empty())
            .map(|t| t.to_lowercase())
            .collect();
        tokens.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        tokens.dedup();
        Normalizer {
            tokens,
            account: account_id.filter(|a| !a.is_empty()).map(str::to_string),
            region: region.filter(|r| !r.is_empty()).map(str::to_string),
        }
    }

    /// The substitutions of environment `name` as its identity gives them.
    pub fn for_env(name: &str, id: &crate::sources::snapshot::Identity) -> Self {
        Normalizer::new(
            name,
            &id.aliases,
            id.account_id.as_deref(),
            id.region.as_deref(),
        )
    }

    /// Normalize one string.
    pub fn string(&self, s: &str) -> String {
        let mut out = replace_tokens(s, &self.tokens);
        if let Some(account) = &self.account {
            if out.contains(account.as_str()) {
                out = out.replace(account.as_str(), "${account}");
            }
        }
        if let Some(region) = &self.region {
            if out.contains(region.as_str()) {
                out = out.replace(region.as_str(), "${region}");
            }
        }
        out
    }

    pub fn value(&self, v: &Value) -> Value {
        if v.is_sensitive() {
            return v.clone();
        }
        v.map_strings(&|s| {
            if s.starts_with(SENSITIVE_PREFIX) {
                s.to_string()
            } else {
                self.string(s)
            }
        })
    }

    /// Normalize keys and values of every resource of a snapshot.
    pub fn apply(&self, snapshot: &mut Snapshot) {
        for r in snapshot
            .resources
            .iter_mut()
            .chain(snapshot.dependencies.iter_mut())
        {
            self.resource(r);
        }
    }

    pub fn resource(&self, r: &mut Resource) {
        r.key = self.string(&r.address);
        for v in r.attributes.values_mut() {
            self.value_in_place(v);
        }
        structure_documents(r);
    }

    /// Like [`Normalizer::value`], changing only the strings that change
    /// (most do not): a snapshot of thousands of resources is not rebuilt.
    pub fn value_in_place(&self, v: &mut Value) {
        match v {
            Value::String(s) if s.starts_with(SENSITIVE_PREFIX) => {}
            Value::String(s) | Value::Unknown(s) if self.touches(s) => {
                *s = self.string(s);
            }
            Value::String(_) | Value::Unknown(_) => {}
            Value::List(items) => items.iter_mut().for_each(|i| self.value_in_place(i)),
            Value::Map(m) => {
                if m.keys().any(|k| self.touches(k)) {
                    let old = std::mem::take(m);
                    *m = old.into_iter().map(|(k, v)| (self.string(&k), v)).collect();
                }
                m.values_mut().for_each(|i| self.value_in_place(i));
            }
            _ => {}
        }
    }

    /// Whether [`Normalizer::string`] could change `s` (a cheap check:
    /// case-insensitive containment of a token, the account or the region).
    fn touches(&self, s: &str) -> bool {
        if self.account.as_deref().is_some_and(|a| s.contains(a))
            || self.region.as_deref().is_some_and(|r| s.contains(r))
        {
            return true;
        }
        if self.tokens.is_empty() {
            return false;
        }
        let lower = s.to_ascii_lowercase();
        self.tokens.iter().any(|t| lower.contains(t.as_str()))
    }
}

/// Attributes that hold a JSON document as a string, other than policies
/// (the policy comparator reads those itself). Parsed into values so rules
/// can name what is inside (`container_definitions.*.image`).
const JSON_DOCUMENTS: &[(&str, &str)] = &[("aws_ecs_task_definition", "container_definitions")];

fn structure_documents(r: &mut Resource) {
    for (rtype, attr) in JSON_DOCUMENTS {
        if r.rtype != *rtype {
            continue;
        }
        let Some(Value::String(text)) = r.attributes.get(attr) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
            continue;
        };
        let mut value = Value::from_json(&json);
        // Containers are known by name; their order in the document is not
        // what makes two task definitions differ.
        if let Value::List(items) = &mut value {
            items.sort_by(|a, b| {
                let name = |v: &Value| v.get_path("name").map(Value::display).unwrap_or_default();
                name(a).cmp(&name(b))
            });
        }
        r.attributes.insert(attr.to_string(), value);
    }
}

/// Replace each token standing as a segment (not inside a longer word:
/// the characters around it are not letters or digits), case-insensitively.
fn replace_tokens(s: &str, tokens: &[String]) -> String {
    if tokens.is_empty() || s.is_empty() {
        return s.to_string();
    }
    let lower = s.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; only then give up
    // on exact offsets and leave the string as it is.
    if lower.len() != s.len() {
        return s.to_string();
    }
    let bytes = lower.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'outer: while i < s.len() {
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if boundary_before {
            for t in tokens {
                let end = i + t.len();
                if end <= s.len()
                    && lower.is_char_boundary(end)
                    && &lower[i..end] == t.as_str()
                    && (end == s.len() || !bytes[end].is_ascii_alphanumeric())
                {
                    out.push_str("${env}");
                    i = end;
                    continue 'outer;
                }
            }
        }
        let ch_len = s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// Attribute names whose values are secrets whatever their source says.
pub const SECRET_ATTRIBUTES: &[&str] = &[
    "password",
    "master_password",
    "secret",
    "secret_string",
    "secret_binary",
    "private_key",
    "private_key_pem",
    "token",
    "auth_token",
    "access_key",
    "secret_key",
    "secret_access_key",
    "client_secret",
    "api_key",
    "master_user_password",
    "admin_password",
    "db_password",
    "sensitive_content",
    "ses_smtp_password_v4",
];

fn salt() -> &'static str {
    static SALT: OnceLock<String> = OnceLock::new();
    SALT.get_or_init(|| format!("{:016x}", RandomState::new().hash_one("parity-salt")))
}

/// The redacted form of a secret: a salted hash, shown as `(sensitive)`.
pub fn sensitive(raw: &str) -> Value {
    let mut h = Sha256::new();
    h.update(salt().as_bytes());
    h.update(raw.as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    Value::String(format!("{SENSITIVE_PREFIX}{hex}"))
}

/// Whether an attribute name is one of [`SECRET_ATTRIBUTES`]; a length
/// test first, as it runs for every key of a large snapshot.
pub fn is_secret_attribute(key: &str) -> bool {
    static LENGTHS: OnceLock<u64> = OnceLock::new();
    let mask = *LENGTHS.get_or_init(|| {
        SECRET_ATTRIBUTES
            .iter()
            .fold(0u64, |m, s| m | (1u64 << s.len().min(63)))
    });
    key.len() < 63 && mask & (1u64 << key.len()) != 0 && SECRET_ATTRIBUTES.contains(&key)
}

/// The secret values a snapshot is redacted with, each with a substring
/// finder built once (they are looked for in every string).
struct Secrets(Vec<memchr::memmem::Finder<'static>>);

impl Secrets {
    fn new(secrets: &[String]) -> Self {
        // Short values ("1", "true") would redact half the snapshot and
        // protect nothing.
        Secrets(
            secrets
                .iter()
                .filter(|s| s.len() >= 6)
                .map(|s| memchr::memmem::Finder::new(s.as_bytes()).into_owned())
                .collect(),
        )
    }

    fn in_string(&self, s: &str) -> bool {
        self.0.iter().any(|f| f.find(s.as_bytes()).is_some())
    }
}

fn redact_value(v: &Value, secrets: &Secrets, by_name: bool) -> Value {
    if by_name {
        return match v {
            Value::Null | Value::Unknown(_) => v.clone(),
            Value::String(s) if s.starts_with(SENSITIVE_PREFIX) => v.clone(),
            other => sensitive(&other.to_json().to_string()),
        };
    }
    match v {
        Value::String(s) if s.starts_with(SENSITIVE_PREFIX) => v.clone(),
        Value::String(s) => {
            if secrets.in_string(s) {
                sensitive(s)
            } else {
                v.clone()
            }
        }
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|i| redact_value(i, secrets, false))
                .collect(),
        ),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, i)| (k.clone(), redact_value(i, secrets, is_secret_attribute(k))))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether anything inside `v` is a secret (by value, or by the name of a
/// nested attribute): most values are not, and are then left untouched.
fn needs_redaction(v: &Value, secrets: &Secrets) -> bool {
    match v {
        Value::String(s) => {
            !secrets.0.is_empty() && !s.starts_with(SENSITIVE_PREFIX) && secrets.in_string(s)
        }
        Value::List(items) => items.iter().any(|i| needs_redaction(i, secrets)),
        Value::Map(m) => m
            .iter()
            .any(|(k, i)| is_secret_attribute(k) || needs_redaction(i, secrets)),
        _ => false,
    }
}

/// Replace secrets in a snapshot: values of secret-named attributes, and
/// any string that contains a value known to be sensitive. Resources are
/// independent, so large snapshots are redacted in parallel. Redacting
/// twice changes nothing.
pub fn redact(snapshot: &mut Snapshot, secrets: &[String]) {
    use rayon::prelude::*;
    let secrets = Secrets::new(secrets);
    snapshot.resources.par_iter_mut().for_each(|r| {
        redact_with(r, &secrets, false);
    });
    for r in snapshot.dependencies.iter_mut() {
        redact_with(r, &secrets, false);
    }
}

/// Redact one resource's secret-named attributes (at any depth), as
/// [`redact`] does, except in values that hold unknowns (whose text may
/// still change before the snapshot is final): returns `false` when such
/// a value needed redacting and was left for [`redact`]. A source can do
/// this as it builds each resource and call [`redact`] at the end only
/// when it knows secret values or something was left.
pub fn redact_names(r: &mut Resource) -> bool {
    redact_with(r, &Secrets(Vec::new()), true)
}

/// Whether [`redact`] with these secrets would do more than
/// [`redact_names`]: some secret is long enough to be looked for.
pub fn redacts_values(secrets: &[String]) -> bool {
    !Secrets::new(secrets).0.is_empty()
}

/// Redact what needs it in `r`; with `leave_unknowns`, values holding
/// unknowns are left as they are, and `false` says one needed redacting.
fn redact_with(r: &mut Resource, secrets: &Secrets, leave_unknowns: bool) -> bool {
    let mut done = true;
    for (k, v) in r.attributes.iter_mut() {
        let by_name = is_secret_attribute(k);
        if by_name || needs_redaction(v, secrets) {
            if leave_unknowns && v.contains_unknown() {
                done = false;
            } else {
                *v = redact_value(v, secrets, by_name);
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_tokens_are_segments() {
        let n = Normalizer::new(
            "prod",
            &["production".into()],
            Some("222222222222"),
            Some("eu-west-1"),
        );
        assert_eq!(n.string("shop-prod-db"), "shop-${env}-db");
        assert_eq!(n.string("production_router"), "${env}_router");
        assert_eq!(n.string("product-catalog"), "product-catalog");
        assert_eq!(
            n.string("arn:aws:iam::222222222222:role/shop-prod-api"),
            "arn:aws:iam::${account}:role/shop-${env}-api"
        );
        assert_eq!(n.string("eu-west-1b"), "${region}b");
        assert_eq!(n.string("Prod"), "${env}");
    }

    #[test]
    fn staging_and_prod_arns_compare_equal() {
        let s = Normalizer::new("staging", &["stg".into()], Some("111111111111"), None);
        let p = Normalizer::new("prod", &[], Some("222222222222"), None);
        assert_eq!(
            s.string("arn:aws:iam::111111111111:role/shop-staging-api"),
            p.string("arn:aws:iam::222222222222:role/shop-prod-api")
        );
    }

    #[test]
    fn container_definitions_become_structure() {
        let mut r = Resource::new(
            "aws_ecs_task_definition.app",
            "aws_ecs_task_definition",
            Default::default(),
        );
        r.attributes.insert(
            "container_definitions".into(),
            Value::str(r#"[{"name":"web","image":"repo/shop-prod-app:1.4.2"},{"name":"sidecar","image":"envoy:1.29"}]"#),
        );
        Normalizer::new("prod", &[], None, None).resource(&mut r);
        let defs = &r.attributes["container_definitions"];
        assert_eq!(defs.get_path("0.name"), Some(&Value::str("sidecar")));
        assert_eq!(
            defs.get_path("1.image"),
            Some(&Value::str("repo/shop-${env}-app:1.4.2"))
        );
    }

    #[test]
    fn secrets_become_hashes() {
        let a = sensitive("hunter22");
        assert!(a.is_sensitive());
        assert_eq!(a.display(), "(sensitive)");
        assert_eq!(a, sensitive("hunter22"));
        assert_ne!(a, sensitive("hunter23"));
    }
}
