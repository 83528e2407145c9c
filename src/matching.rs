//! Matching: pair the resources of two snapshots.
//!
//! By normalized address first; then by `[[match]]` prefixes from
//! parity.toml; then, for resources that still have no partner, by type and
//! normalized `Name` tag. What stays unpaired is returned as one-sided, never
//! dropped.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Resource, Snapshot, Value};

/// Two resources judged to be "the same thing" in two environments.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    pub left: Option<&'a Resource>,
    pub right: Option<&'a Resource>,
}

impl<'a> Pair<'a> {
    /// The key findings are reported under: the left side's when present.
    pub fn key(&self) -> &'a str {
        self.left
            .or(self.right)
            .map(|r| r.key.as_str())
            .unwrap_or_default()
    }

    pub fn rtype(&self) -> &'a str {
        self.left
            .or(self.right)
            .map(|r| r.rtype.as_str())
            .unwrap_or_default()
    }
}

/// An address prefix in the left environment that corresponds to another
/// prefix in the right one (`module.staging_router` ~ `module.production_router`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixMatch {
    pub left: String,
    pub right: String,
}

/// Replace `prefix` at the start of `address` when it ends at a segment
/// boundary (`.` or `[`).
fn with_prefix(address: &str, prefix: &str, replacement: &str) -> Option<String> {
    let rest = address.strip_prefix(prefix)?;
    if rest.is_empty() || rest.starts_with('.') || rest.starts_with('[') {
        Some(format!("{replacement}{rest}"))
    } else {
        None
    }
}

fn name_tag(r: &Resource) -> Option<String> {
    match r.attributes.get("tags").and_then(|t| t.get_path("Name")) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Pair every resource and dependency record of `a` with one of `b`.
pub fn pair<'a>(a: &'a Snapshot, b: &'a Snapshot, prefixes: &[PrefixMatch]) -> Vec<Pair<'a>> {
    let left: Vec<&Resource> = a.all().collect();
    let right: Vec<&Resource> = b.all().collect();
    let mut right_by_key: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, r) in right.iter().enumerate() {
        right_by_key
            .entry((r.key.as_str(), r.rtype.as_str()))
            .or_insert(i);
    }
    let mut right_by_address: HashMap<&str, usize> = HashMap::new();
    for (i, r) in right.iter().enumerate() {
        right_by_address.entry(r.address.as_str()).or_insert(i);
    }
    let mut right_used = vec![false; right.len()];
    let mut partner: Vec<Option<usize>> = vec![None; left.len()];

    for (i, l) in left.iter().enumerate() {
        if let Some(&j) = right_by_key.get(&(l.key.as_str(), l.rtype.as_str())) {
            if !right_used[j] {
                right_used[j] = true;
                partner[i] = Some(j);
            }
        }
    }
    for (i, l) in left.iter().enumerate() {
        if partner[i].is_some() {
            continue;
        }
        for m in prefixes {
            let Some(candidate) = with_prefix(&l.address, &m.left, &m.right) else {
                continue;
            };
            if let Some(&j) = right_by_address.get(candidate.as_str()) {
                if !right_used[j] && right[j].rtype == l.rtype {
                    right_used[j] = true;
                    partner[i] = Some(j);
                    break;
                }
            }
        }
    }
    // Name tags: only between resources that have no partner yet, and only
    // when the tag identifies one resource on each side.
    let mut right_by_name: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (j, r) in right.iter().enumerate() {
        if !right_used[j] {
            if let Some(n) = name_tag(r) {
                right_by_name
                    .entry((r.rtype.clone(), n))
                    .or_default()
                    .push(j);
            }
        }
    }
    for (i, l) in left.iter().enumerate() {
        if partner[i].is_some() {
            continue;
        }
        if let Some(n) = name_tag(l) {
            if let Some(js) = right_by_name.get(&(l.rtype.clone(), n)) {
                if let [j] = js.as_slice() {
                    if !right_used[*j] {
                        right_used[*j] = true;
                        partner[i] = Some(*j);
                    }
                }
            }
        }
    }

    let mut pairs: Vec<Pair<'a>> = left
        .iter()
        .zip(&partner)
        .map(|(l, p)| Pair {
            left: Some(*l),
            right: p.map(|j| right[j]),
        })
        .collect();
    pairs.extend(
        right
            .iter()
            .zip(&right_used)
            .filter(|(_, used)| !**used)
            .map(|(r, _)| Pair {
                left: None,
                right: Some(*r),
            }),
    );
    pairs.sort_by(|x, y| x.key().cmp(y.key()).then(x.rtype().cmp(y.rtype())));
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, SourceKind};

    fn snap(env: &str, addrs: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::new(env, SourceKind::Code);
        for (a, k) in addrs {
            let mut r = Resource::new(*a, "aws_vpc", Location::default());
            r.key = k.to_string();
            s.resources.push(r);
        }
        s
    }

    #[test]
    fn pairs_by_key_then_prefix_and_keeps_the_rest() {
        let a = snap(
            "staging",
            &[
                ("aws_vpc.main", "aws_vpc.main"),
                ("module.stg_router.aws_vpc.x", "module.stg_router.aws_vpc.x"),
                ("aws_vpc.extra", "aws_vpc.extra"),
            ],
        );
        let b = snap(
            "prod",
            &[
                ("aws_vpc.main", "aws_vpc.main"),
                ("module.edge.aws_vpc.x", "module.edge.aws_vpc.x"),
                ("aws_vpc.other", "aws_vpc.other"),
            ],
        );
        let pairs = pair(
            &a,
            &b,
            &[PrefixMatch {
                left: "module.stg_router".into(),
                right: "module.edge".into(),
            }],
        );
        assert_eq!(pairs.len(), 4);
        let both = pairs
            .iter()
            .filter(|p| p.left.is_some() && p.right.is_some())
            .count();
        assert_eq!(both, 2);
        assert!(pairs
            .iter()
            .any(|p| p.left.is_none() && p.key() == "aws_vpc.other"));
        assert!(pairs
            .iter()
            .any(|p| p.right.is_none() && p.key() == "aws_vpc.extra"));
    }

    #[test]
    fn prefix_must_end_at_a_segment() {
        assert_eq!(with_prefix("module.ab.x", "module.a", "module.z"), None);
        assert_eq!(
            with_prefix("module.a[0].x", "module.a", "module.z").as_deref(),
            Some("module.z[0].x")
        );
    }
}
