//! Secrets in a state or plan: every value the file marks sensitive and
//! every attribute named like a secret become salted hashes (shown as
//! `(sensitive)`) before the snapshot leaves the source, hashed as the
//! environment normalizes them so that redaction never changes a
//! comparison. A substring guard also redacts strings that contain a
//! marked value that looks like a secret (a password copied into a
//! connection string arrives without a mark). Done in place, in the same
//! walk as turning ids into references ([`super::ids`]): a large snapshot
//! is neither copied nor walked twice.

use std::collections::HashSet;

use super::ids;
use crate::model::{Snapshot, Value};
use crate::normalize::{self, Normalizer};

/// Ids to references ([`ids`]) and the redaction, in one walk and in
/// place: marked values ([`super::redacted`]) and attributes named like
/// secrets (`password`, `private_key`, …) become salted hashes, and so does
/// every string that contains one of `secrets` that looks like a secret
/// ([`normalize::guard_patterns`]: never an environment's name, a word of
/// its own identifiers, or anything short), found with one automaton for
/// all of them rather than one scan per secret.
pub(crate) fn finish(snap: &mut Snapshot, mut secrets: Vec<String>, n: &Normalizer) {
    // The cheap tests first; the dictionary only when a candidate is left.
    let empty = HashSet::new();
    secrets.retain(|s| normalize::looks_secret(s, n, &empty));
    let secrets = if secrets.is_empty() {
        secrets
    } else {
        normalize::guard_patterns(secrets, n, &normalize::identifier_dictionary(snap))
    };
    let pattern = secrets
        .iter()
        .map(|s| regex::escape(s))
        .collect::<Vec<_>>()
        .join("|");
    let matcher = if secrets.is_empty() {
        Matcher::None
    } else {
        match regex::RegexBuilder::new(&pattern)
            .size_limit(1 << 28)
            .build()
        {
            Ok(re) => Matcher::Regex(re),
            Err(_) => Matcher::Scan(&secrets),
        }
    };
    ids::symbolize(&mut snap.resources, &|k, v| redact_node(k, v, &matcher, n));
    for r in snap.dependencies.iter_mut() {
        for (k, v) in r.attributes.iter_mut() {
            redact_value(k, v, &matcher, n);
        }
    }
}

/// Redact one value if it is a secret; true when it was replaced.
fn redact_node(key: &str, v: &mut Value, m: &Matcher, n: &Normalizer) -> bool {
    match v {
        Value::Marked(_) => {
            *v = normalize::sensitive_value(v, n);
            return true;
        }
        Value::Null | Value::Unknown(_) => return false,
        _ if v.is_sensitive() => return true,
        _ => {}
    }
    if normalize::is_secret_attribute(key) {
        *v = normalize::sensitive_value(v, n);
        return true;
    }
    match v {
        Value::String(s) if m.hit(s) => {
            *v = normalize::sensitive_value(v, n);
            true
        }
        _ => false,
    }
}

enum Matcher<'a> {
    None,
    Regex(regex::Regex),
    /// Too many secrets for one automaton: the slow, sure way.
    Scan(&'a [String]),
}

impl Matcher<'_> {
    fn hit(&self, s: &str) -> bool {
        match self {
            Matcher::None => false,
            Matcher::Regex(re) => re.is_match(s),
            Matcher::Scan(list) => list.iter().any(|x| s.contains(x.as_str())),
        }
    }
}

fn redact_value(key: &str, v: &mut Value, m: &Matcher, n: &Normalizer) {
    if redact_node(key, v, m, n) {
        return;
    }
    match v {
        Value::List(items) => items.iter_mut().for_each(|i| redact_value("", i, m, n)),
        Value::Map(map) => map.iter_mut().for_each(|(k, i)| redact_value(k, i, m, n)),
        _ => {}
    }
}
