//! Causes: which inputs make a finding (provenance). A finding's attribute
//! carries, on each side, the inputs it is computed from
//! ([`crate::model::Resource::provenance`]); those whose values differ
//! between the two environments (or that one side lacks) are its causes.

use std::collections::{BTreeMap, HashMap};

use crate::findings::{Cause, Finding};
use crate::model::{Input, Resource, Snapshot};
use crate::rules::engine::base_of;

/// Resources by key, and by base address (a `@count` finding names the
/// block, not an instance): the first instance, whose provenance every
/// instance shares.
fn index(s: &Snapshot) -> HashMap<&str, &Resource> {
    let mut map = HashMap::new();
    for r in s.all() {
        if r.provenance.is_empty() {
            continue;
        }
        map.entry(r.key.as_str()).or_insert(r);
        map.entry(base_of(&r.key)).or_insert(r);
    }
    map
}

/// Fill `causes` of every finding whose attribute's inputs differ.
pub fn attach(findings: &mut [Finding], left: &Snapshot, right: &Snapshot) {
    let (li, ri) = (index(left), index(right));
    if li.is_empty() && ri.is_empty() {
        return;
    }
    let (ln, rn) = (left.environment.as_str(), right.environment.as_str());
    for f in findings.iter_mut() {
        let Some(attr) = f.attribute.as_deref() else {
            continue;
        };
        let top = attr.split(['.', '[']).next().unwrap_or(attr);
        // Both sides must know their inputs (a side read from state or a
        // snapshot file knows none: that is no difference of inputs).
        let (Some(lr), Some(rr)) = (li.get(f.resource.as_str()), ri.get(f.resource.as_str()))
        else {
            continue;
        };
        let (l, r) = (lr.provenance.get(top), rr.provenance.get(top));
        let mut by_name: BTreeMap<&str, (Option<&Input>, Option<&Input>)> = BTreeMap::new();
        for i in l.iter().flat_map(|l| l.iter()) {
            by_name.entry(&*i.name).or_default().0 = Some(i);
        }
        for i in r.iter().flat_map(|r| r.iter()) {
            by_name.entry(&*i.name).or_default().1 = Some(i);
        }
        for (name, (a, b)) in by_name {
            if a.map(|i| &i.value) == b.map(|i| &i.value) {
                continue;
            }
            let mut locations = BTreeMap::new();
            if let Some(a) = a {
                locations.insert(ln.to_string(), a.location.to_string());
            }
            if let Some(b) = b {
                locations.insert(rn.to_string(), b.location.to_string());
            }
            let kind = a
                .or(b)
                .map(|i| i.kind)
                .unwrap_or(crate::model::InputKind::Variable);
            f.causes.push(Cause {
                input: name.to_string(),
                kind,
                left: a.map(|i| i.value.display()),
                right: b.map(|i| i.value.display()),
                locations,
            });
        }
    }
}
