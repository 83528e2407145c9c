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
                left: a.map(|i| shown(&i.value)),
                right: b.map(|i| shown(&i.value)),
                locations,
            });
        }
    }
}

/// The most of an input's value a cause shows (bytes of its text).
const SHOWN_MAX: usize = 1024;

/// An input's value as a cause shows it: whole up to [`SHOWN_MAX`] bytes,
/// else its start and its full size. A cause explains a finding; the
/// comparison itself is of the whole values, and a large input feeding
/// many findings would otherwise be copied into each of them.
fn shown(value: &crate::model::Value) -> String {
    let text = value.display();
    if text.len() <= SHOWN_MAX {
        return text;
    }
    let mut cut = SHOWN_MAX / 4;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..cut], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Map, Value};

    #[test]
    fn a_large_input_is_shown_by_its_start_and_size() {
        let small = Value::str("db.r6g.large");
        assert_eq!(shown(&small), small.display());
        let mut map = Map::new();
        for i in 0..200 {
            map.insert(format!("service{i:03}"), Value::str("é-ü"));
        }
        let big = Value::Map(map);
        let whole = big.display();
        assert!(whole.len() > SHOWN_MAX);
        let s = shown(&big);
        assert!(s.len() < SHOWN_MAX / 2, "{}", s.len());
        assert!(
            s.ends_with(&format!("… ({} bytes in all)", whole.len())),
            "{s}"
        );
        assert!(whole.starts_with(s.split('…').next().unwrap_or("")));
    }
}
