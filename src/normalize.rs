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
        for p in &mut snapshot.unread {
            *p = self.string(p);
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
            Value::String(s) | Value::Unknown(s) if s.starts_with(SENSITIVE_PREFIX) => {}
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
    "passwords",
    "admin_user_password",
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
    (key.len() < 63 && mask & (1u64 << key.len()) != 0 && SECRET_ATTRIBUTES.contains(&key))
        // Write-only arguments (`password_wo`, `secret_string_wo`, Terraform
        // 1.11) are secrets by design.
        || key.ends_with("_wo")
}

/// The redacted form of a sensitive value: a salted hash of the value as
/// its environment normalizes it (`n`), so that redaction never changes
/// the outcome of a comparison: two values equal once normalized have equal
/// hashes, as they would compare equal in clear. Marks inside are removed
/// first; null stays null; a value already redacted is kept. A value that
/// holds something known only after apply stays unknown (what is unknown
/// in code is no difference from state), with the hash as its text.
/// The text a sensitive value is hashed from: its JSON, with a 512-bit
/// number's own digits (plain JSON holds only its nearest float, so two
/// different numbers would hash alike).
fn hash_text(v: &Value) -> String {
    if v.contains_big_number() {
        v.to_tagged_json().to_string()
    } else {
        v.to_json().to_string()
    }
}

pub fn sensitive_value(v: &Value, n: &Normalizer) -> Value {
    let (v, _) = v.clone().unmark_deep();
    match v {
        Value::Null => Value::Null,
        v if v.is_sensitive() => v,
        v if v.contains_unknown() => match sensitive(&hash_text(&n.value(&v))) {
            Value::String(hash) => Value::Unknown(hash),
            other => other,
        },
        v => sensitive(&hash_text(&n.value(&v))),
    }
}

/// Seal one resource before it leaves its source: every marked value
/// ([`Value::Marked`]) and the value of every secret-named attribute, at
/// any depth, becomes its salted hash ([`sensitive_value`]). A
/// secret-named attribute whose value is a plain reference known only
/// after apply (`password = random_password.db.result`) keeps it: the text
/// names no secret. Sealing twice changes nothing.
pub fn seal(r: &mut Resource, n: &Normalizer) {
    for (k, v) in r.attributes.iter_mut() {
        seal_value(v, is_secret_attribute(k), n);
    }
    // What the AWS provider's schema marks sensitive, whatever its name
    // (`aws_ssm_parameter.value`): Terraform hides it in every plan.
    for path in crate::sources::terraform::schema::sensitive_paths(&r.rtype, r.data) {
        if let Some((first, rest)) = path.split_first() {
            if let Some(v) = r.attributes.get_mut(first) {
                seal_path(v, rest, n);
            }
        }
    }
}

/// Seal the value at `path` inside `v`, through nested blocks (a list of
/// objects, or one object).
fn seal_path(v: &mut Value, path: &[&str], n: &Normalizer) {
    let Some((first, rest)) = path.split_first() else {
        seal_value(v, true, n);
        return;
    };
    match v {
        Value::List(items) => items.iter_mut().for_each(|i| seal_path(i, path, n)),
        Value::Map(m) => {
            if let Some(inner) = m.get_mut(first) {
                seal_path(inner, rest, n);
            }
        }
        _ => {}
    }
}

/// [`seal`] for one value; `by_name` when its attribute is secret-named.
///
/// Also where the Terraform evaluator's types ([`Value::Typed`]) end: each
/// becomes its inner value, so a snapshot holds none.
pub fn seal_value(v: &mut Value, by_name: bool, n: &Normalizer) {
    match v {
        Value::Typed(_, inner) => {
            *v = std::mem::take(&mut **inner);
            seal_value(v, by_name, n);
        }
        Value::Marked(_) => *v = sensitive_value(v, n).untyped(),
        Value::Null | Value::Unknown(_) => {}
        _ if v.is_sensitive() => {}
        _ if by_name => *v = sensitive_value(v, n),
        Value::List(items) => items.iter_mut().for_each(|i| seal_value(i, false, n)),
        Value::Map(m) => m
            .iter_mut()
            .for_each(|(k, i)| seal_value(i, is_secret_attribute(k), n)),
        _ => {}
    }
}

/// The substring guard: of the values a state or plan marks sensitive, the
/// ones worth looking for in every other string of the environment (a
/// password copied into a connection string arrives there without any
/// mark). Only what looks like a secret is kept: 8 characters or more,
/// about 3 bits of entropy per character or more, and not made only of an
/// environment's name or aliases and words the environment uses in its own
/// identifiers (`dictionary`: resource names, attribute names, names and
/// tags). A sensitive map `{ STAGE = "staging", SCHEMA = "public" }` thus
/// adds no pattern, and redaction changes no comparison it plays no part
/// in.
pub fn guard_patterns(
    mut secrets: Vec<String>,
    n: &Normalizer,
    dictionary: &std::collections::HashSet<String>,
) -> Vec<String> {
    secrets.retain(|s| looks_secret(s, n, dictionary));
    secrets.sort();
    secrets.dedup();
    secrets
}

/// The words the environment uses in its own identifiers: of resource
/// addresses, attribute names, tag keys, and names (`name`, `*_name`,
/// `identifier`, the `Name` and `Environment` tags; not other values, which
/// may hold a copied secret). A
/// sensitive value made only of these (`staging`, `public`, `shop-api`) is
/// no pattern for the substring guard: it would redact the environment's
/// names, not a secret.
pub fn identifier_dictionary(snap: &Snapshot) -> std::collections::HashSet<String> {
    let mut words = std::collections::HashSet::new();
    let mut add = |s: &str| {
        for w in identifier_words(s) {
            words.insert(w.to_lowercase());
        }
    };
    for r in snap.resources.iter().chain(snap.dependencies.iter()) {
        add(&r.address);
        for (k, v) in &r.attributes {
            add(k);
            let named = k == "name" || k.ends_with("_name") || k == "identifier";
            match v {
                Value::String(s) if named && !v.is_sensitive() => add(s),
                Value::Map(m) if k == "tags" || k == "tags_all" => {
                    for (tk, tv) in m {
                        add(tk);
                        match tv {
                            Value::String(s)
                                if matches!(tk.as_str(), "Name" | "Environment")
                                    && !tv.is_sensitive() =>
                            {
                                add(s)
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    words
}

/// The substring guard over a whole snapshot, for a source whose secrets
/// arrive as raw values beside it (a CloudFormation `NoEcho` parameter
/// copied into a string by `Fn::Sub`): every string that contains one of
/// `secrets` that looks like a secret ([`guard_patterns`]) becomes its hash.
/// Secret-named attributes and marks are [`seal`]'s.
pub fn guard_snapshot(snapshot: &mut Snapshot, secrets: Vec<String>, n: &Normalizer) {
    let empty = std::collections::HashSet::new();
    let mut secrets = secrets;
    secrets.retain(|s| looks_secret(s, n, &empty));
    if secrets.is_empty() {
        return;
    }
    let patterns = guard_patterns(secrets, n, &identifier_dictionary(snapshot));
    if patterns.is_empty() {
        return;
    }
    fn walk(v: &mut Value, patterns: &[String], n: &Normalizer) {
        match v {
            Value::String(s)
                if !s.starts_with(SENSITIVE_PREFIX)
                    && patterns.iter().any(|p| s.contains(p.as_str())) =>
            {
                *v = sensitive_value(v, n)
            }
            Value::List(items) => items.iter_mut().for_each(|i| walk(i, patterns, n)),
            Value::Map(m) => m.values_mut().for_each(|i| walk(i, patterns, n)),
            _ => {}
        }
    }
    for r in snapshot
        .resources
        .iter_mut()
        .chain(snapshot.dependencies.iter_mut())
    {
        for v in r.attributes.values_mut() {
            walk(v, &patterns, n);
        }
    }
}

/// Whether `s` is worth a substring guard (see [`guard_patterns`]).
pub fn looks_secret(
    s: &str,
    n: &Normalizer,
    dictionary: &std::collections::HashSet<String>,
) -> bool {
    if s.chars().count() < 8 || s.starts_with(SENSITIVE_PREFIX) {
        return false;
    }
    let words = identifier_words(s);
    let lower = |w: &str| w.to_lowercase();
    if words
        .iter()
        .all(|w| n.tokens.contains(&lower(w)) || dictionary.contains(&lower(w)))
    {
        return false;
    }
    entropy_per_char(s) >= 3.0
}

/// The words of an identifier: its runs of letters and digits.
pub fn identifier_words(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Shannon entropy of the characters of `s`, in bits per character.
fn entropy_per_char(s: &str) -> f64 {
    let mut counts: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / total;
            -p * p.log2()
        })
        .sum()
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
    fn sensitive_big_numbers_hash_by_their_digits() {
        let n = Normalizer::new("staging", &[], None, None);
        let a = Value::parse_number("0.1000000000000000000001").unwrap();
        let b = Value::parse_number("0.1000000000000000000002").unwrap();
        // Both are the float 0.1 to plain JSON.
        assert_eq!(a.to_json(), b.to_json());
        assert_ne!(sensitive_value(&a, &n), sensitive_value(&b, &n));
        assert_eq!(sensitive_value(&a, &n), sensitive_value(&a.clone(), &n));
    }

    #[test]
    fn sensitive_values_hash_as_normalized() {
        let s = Normalizer::new("staging", &["stg".into()], Some("111111111111"), None);
        let p = Normalizer::new("prod", &[], Some("222222222222"), None);
        let map = |env: &str, pass: &str| {
            Value::Map(
                [
                    ("STAGE".to_string(), Value::str(env)),
                    ("PASS".to_string(), Value::str(pass)),
                ]
                .into_iter()
                .collect(),
            )
            .mark()
        };
        // Equal once normalized: equal hashes, as in clear.
        assert_eq!(
            sensitive_value(&map("staging", "x-1"), &s),
            sensitive_value(&map("prod", "x-1"), &p)
        );
        assert_ne!(
            sensitive_value(&map("staging", "x-1"), &s),
            sensitive_value(&map("prod", "x-2"), &p)
        );
        // Unknown stays unknown; null stays null; a hash is kept.
        let u = sensitive_value(
            &Value::Unknown("random_password.p.result".into()).mark(),
            &s,
        );
        assert!(u.is_unknown() && u.is_sensitive(), "{u:?}");
        assert_eq!(u.display(), "${(sensitive)}");
        assert_eq!(sensitive_value(&Value::Null.mark(), &s), Value::Null);
        let h = sensitive("k");
        assert_eq!(sensitive_value(&h, &s), h);
    }

    #[test]
    fn the_substring_guard_takes_only_what_looks_secret() {
        let n = Normalizer::new("staging", &["stage".into()], None, None);
        let dict: std::collections::HashSet<String> = ["shop", "api", "db", "public"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        for not in [
            "staging",          // the environment's name
            "public",           // short
            "Sh0rt7",           // under 8 characters
            "shop-staging-db",  // words of the environment's identifiers
            "aaaaaaaaaaaaaaaa", // no entropy
            "stage-shop-api",   // an alias and identifier words
        ] {
            assert!(!looks_secret(not, &n, &dict), "{not} taken as a secret");
        }
        for secret in ["hunter2-Secret", "Sh4red-Pass-Word-1", "out-CANARY-token-9"] {
            assert!(
                looks_secret(secret, &n, &dict),
                "{secret} not taken as a secret"
            );
        }
    }

    #[test]
    fn sealing_hashes_marks_and_secret_names_and_keeps_references() {
        let n = Normalizer::default();
        let mut r = Resource::new("aws_db_instance.d", "aws_db_instance", Default::default());
        r.attributes
            .insert("password".into(), Value::str("plain-pw"));
        r.attributes
            .insert("password_wo".into(), Value::str("wo-pw"));
        r.attributes.insert(
            "master_password".into(),
            Value::Unknown("random_password.p.result".into()),
        );
        r.attributes.insert(
            "tags".into(),
            Value::Map(
                [("Token".to_string(), Value::str("t").mark())]
                    .into_iter()
                    .collect(),
            ),
        );
        r.attributes.insert("identifier".into(), Value::str("db"));
        seal(&mut r, &n);
        assert!(r.attributes["password"].is_sensitive());
        assert!(r.attributes["password_wo"].is_sensitive());
        assert!(r.attributes["tags"]
            .get_path("Token")
            .is_some_and(Value::is_sensitive));
        assert_eq!(
            r.attributes["master_password"],
            Value::Unknown("random_password.p.result".into())
        );
        assert_eq!(r.attributes["identifier"], Value::str("db"));
        let once = r.clone();
        seal(&mut r, &n);
        assert_eq!(r, once);
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
