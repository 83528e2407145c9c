//! Secrets in a state or plan: every value the file marks sensitive, every
//! attribute named like a secret, and every string that contains one of
//! them become salted hashes (shown as `(sensitive)`) before the snapshot
//! leaves the source. Done in place, in the same walk as turning ids into
//! references ([`super::ids`]): a large snapshot is neither copied nor walked
//! twice.

use super::ids;
use crate::model::{Snapshot, Value};

/// Ids to references ([`ids`]) and what `normalize::redact` does, in one
/// walk and in place (a large state is neither copied nor walked twice):
/// attributes named like secrets (`password`, `private_key`, …) become
/// salted hashes, and so does every string that contains a sensitive value
/// (a password copied into a connection string), found with one automaton
/// for all secrets rather than one scan per secret.
pub(crate) fn finish(snap: &mut Snapshot, mut secrets: Vec<String>) {
    // Short values ("1", "true") would redact half the snapshot and protect
    // nothing (the threshold of `normalize::redact`).
    secrets.retain(|s| s.len() >= 6);
    secrets.sort();
    secrets.dedup();
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
    ids::symbolize(&mut snap.resources, &|k, v| redact_node(k, v, &matcher));
    for r in snap.dependencies.iter_mut() {
        for (k, v) in r.attributes.iter_mut() {
            redact_value(k, v, &matcher);
        }
    }
}

/// Redact one value if it is a secret; true when it was replaced.
fn redact_node(key: &str, v: &mut Value, m: &Matcher) -> bool {
    if crate::normalize::is_secret_attribute(key) {
        *v = super::redacted(v);
        return true;
    }
    match v {
        Value::String(s) if !s.starts_with(crate::model::value::SENSITIVE_PREFIX) && m.hit(s) => {
            *v = crate::normalize::sensitive(s);
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

fn redact_value(key: &str, v: &mut Value, m: &Matcher) {
    if redact_node(key, v, m) {
        return;
    }
    match v {
        Value::List(items) => items.iter_mut().for_each(|i| redact_value("", i, m)),
        Value::Map(map) => map.iter_mut().for_each(|(k, i)| redact_value(k, i, m)),
        _ => {}
    }
}
