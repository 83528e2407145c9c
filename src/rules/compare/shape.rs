//! The `shape` comparator: structures that must have the same form while
//! their free-text values may differ between environments (CIDRs by prefix
//! length only). See the module docs for why numbers and protocols must
//! still be equal.

use std::collections::BTreeSet;
use std::str::FromStr;

use ipnet::IpNet;

use crate::model::value::Value;

use super::equal::loose_eq;
use super::{join_index, join_key, show, Outcome};

pub(super) fn shape(left: &Value, right: &Value) -> Outcome {
    match shape_diff(left, right, "") {
        None => Outcome::Same,
        Some(detail) => Outcome::differ(detail),
    }
}

fn where_(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Unknown(_) => "a computed value",
        Value::String(_) => "a string",
        Value::Number(_) | Value::BigNumber(_) => "a number",
        Value::Bool(_) => "a bool",
        Value::List(_) => "a list",
        Value::Map(_) => "an object",
        Value::Null => "unset",
        Value::Marked(_) => "a sensitive value",
        // Never in a snapshot (sealed away by the source); as its value.
        Value::Typed(_, inner) => kind(inner),
    }
}

/// The first shape difference, or `None` when the shapes match.
fn shape_diff(l: &Value, r: &Value, path: &str) -> Option<String> {
    let at = where_(path);
    match (l, r) {
        (Value::Null, Value::Null) | (Value::Unknown(_), Value::Unknown(_)) => None,
        (Value::Null, v) => Some(format!("set only in right{at}: {}", show(v))),
        (v, Value::Null) => Some(format!("set only in left{at}: {}", show(v))),
        (Value::String(a), Value::String(b)) => cidr_shape(a, b, &at),
        (Value::List(a), Value::List(b)) => list_shape(a, b, path),
        (Value::Map(a), Value::Map(b)) => map_shape(a, b, path),
        (
            Value::Number(_) | Value::Bool(_) | Value::String(_),
            Value::Number(_) | Value::Bool(_),
        )
        | (Value::Number(_) | Value::Bool(_), Value::String(_)) => {
            (!loose_eq(l, r)).then(|| format!("differs{at}: {} vs {}", show(l), show(r)))
        }
        _ => Some(format!("left is {}, right is {}{at}", kind(l), kind(r))),
    }
}

fn parse_cidr(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        IpNet::from_str(s).ok()
    } else {
        None
    }
}

fn family_name(net: &IpNet) -> &'static str {
    match net {
        IpNet::V4(_) => "IPv4",
        IpNet::V6(_) => "IPv6",
    }
}

fn cidr_shape(a: &str, b: &str, at: &str) -> Option<String> {
    match (parse_cidr(a), parse_cidr(b)) {
        (None, None) => None,
        (Some(_), None) => Some(format!("left is a CIDR ({a}), right is not ({b}){at}")),
        (None, Some(_)) => Some(format!("right is a CIDR ({b}), left is not ({a}){at}")),
        (Some(x), Some(y)) if family_name(&x) != family_name(&y) => Some(format!(
            "address family differs{at}: {a} ({}) vs {b} ({})",
            family_name(&x),
            family_name(&y)
        )),
        (Some(x), Some(y)) if x.prefix_len() != y.prefix_len() => {
            let wider = if x.prefix_len() < y.prefix_len() {
                "left"
            } else {
                "right"
            };
            let internet = [&x, &y]
                .into_iter()
                .find(|n| n.prefix_len() == 0)
                .map(|n| format!("; {n} is the internet"))
                .unwrap_or_default();
            Some(format!(
                "CIDR prefix differs{at}: /{} vs /{} ({wider} is wider{internet})",
                x.prefix_len(),
                y.prefix_len()
            ))
        }
        _ => None,
    }
}

/// Keys whose string values carry meaning in any shape: a protocol of
/// `"-1"` (all traffic) is never an expected difference from `"tcp"`.
const SHAPE_EXACT_KEYS: &[&str] = &["protocol", "ip_protocol"];

/// Lists match when they have the same length and their elements can be
/// paired one to one by shape, in any order (a maximum bipartite matching).
fn list_shape(a: &[Value], b: &[Value], path: &str) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!(
            "list length differs{}: {} vs {}",
            where_(path),
            a.len(),
            b.len()
        ));
    }
    let fits: Vec<Vec<bool>> = a
        .iter()
        .map(|x| b.iter().map(|y| shape_diff(x, y, "").is_none()).collect())
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; b.len()];
    for i in 0..a.len() {
        let mut seen = vec![false; b.len()];
        augment(i, &fits, &mut owner, &mut seen);
    }
    let matched: BTreeSet<usize> = owner.iter().flatten().copied().collect();
    let left_over = (0..a.len()).find(|i| !matched.contains(i))?;
    let right_over = (0..b.len()).find(|&j| owner[j].is_none())?;
    shape_diff(&a[left_over], &b[right_over], &join_index(path, left_over))
        .or_else(|| Some(format!("items{} cannot be paired by shape", where_(path))))
}

/// Kuhn's augmenting path step for the bipartite matching in [`list_shape`].
fn augment(i: usize, fits: &[Vec<bool>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
    for j in 0..owner.len() {
        if fits[i][j] && !seen[j] {
            seen[j] = true;
            if owner[j].is_none_or(|k| augment(k, fits, owner, seen)) {
                owner[j] = Some(i);
                return true;
            }
        }
    }
    false
}

fn map_shape(a: &crate::model::Map, b: &crate::model::Map, path: &str) -> Option<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().find_map(|key| {
        let (l, r) = (
            a.get(key).unwrap_or(&Value::Null),
            b.get(key).unwrap_or(&Value::Null),
        );
        let sub = join_key(path, key);
        if SHAPE_EXACT_KEYS.contains(&key.as_str()) && !l.is_null() && !r.is_null() {
            return (!loose_eq(l, r))
                .then(|| format!("differs at {sub}: {} vs {}", show(l), show(r)));
        }
        shape_diff(l, r, &sub)
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{differ, list, map, run, s};
    use crate::model::value::Value;
    use crate::rules::Comparator;

    fn sg_rule(cidr: &str, port: f64) -> Value {
        map(&[
            ("cidr_blocks", list(&[cidr])),
            ("from_port", Value::Number(port)),
            ("description", s("https")),
        ])
    }

    #[test]
    fn shape_allows_same_prefix_cidrs() {
        assert!(run(Comparator::Shape, &s("10.1.0.0/16"), &s("10.2.0.0/16")).is_same());
        assert!(run(Comparator::Shape, &s("staging db"), &s("prod db")).is_same());
    }

    #[test]
    fn shape_flags_the_internet() {
        let l = Value::List(vec![sg_rule("10.0.0.0/16", 443.0)]);
        let r = Value::List(vec![sg_rule("0.0.0.0/0", 443.0)]);
        let d = differ(run(Comparator::Shape, &l, &r));
        assert_eq!(
            d.detail,
            "CIDR prefix differs at [0].cidr_blocks[0]: /16 vs /0 (right is wider; 0.0.0.0/0 is the internet)"
        );
    }

    #[test]
    fn shape_lists_are_order_free() {
        let l = Value::List(vec![
            sg_rule("10.0.0.0/16", 443.0),
            sg_rule("10.0.1.0/24", 5432.0),
        ]);
        let r = Value::List(vec![
            sg_rule("10.9.1.0/24", 5432.0),
            sg_rule("10.9.0.0/16", 443.0),
        ]);
        assert!(run(Comparator::Shape, &l, &r).is_same());
        let r = Value::List(vec![sg_rule("10.9.1.0/24", 5432.0)]);
        assert_eq!(
            differ(run(Comparator::Shape, &l, &r)).detail,
            "list length differs: 2 vs 1"
        );
    }

    #[test]
    fn shape_numbers_must_match() {
        let d = differ(run(
            Comparator::Shape,
            &sg_rule("10.0.0.0/16", 443.0),
            &sg_rule("10.1.0.0/16", 22.0),
        ));
        assert_eq!(d.detail, "differs at from_port: 443 vs 22");
    }

    #[test]
    fn shape_protocols_must_match() {
        let tcp = map(&[
            ("protocol", s("tcp")),
            ("cidr_blocks", list(&["10.0.0.0/16"])),
        ]);
        let all = map(&[
            ("protocol", s("-1")),
            ("cidr_blocks", list(&["10.1.0.0/16"])),
        ]);
        let d = differ(run(Comparator::Shape, &tcp, &all));
        assert_eq!(d.detail, "differs at protocol: tcp vs -1");
    }

    #[test]
    fn shape_keys_families_and_kinds() {
        let d = differ(run(
            Comparator::Shape,
            &map(&[("a", s("x"))]),
            &map(&[("b", s("x"))]),
        ));
        assert_eq!(d.detail, "set only in left at a: x");
        let d = differ(run(Comparator::Shape, &s("10.0.0.0/16"), &s("::/0")));
        assert_eq!(
            d.detail,
            "address family differs: 10.0.0.0/16 (IPv4) vs ::/0 (IPv6)"
        );
        let d = differ(run(
            Comparator::Shape,
            &s("10.0.0.0/16"),
            &Value::Unknown("var.cidr".into()),
        ));
        assert_eq!(d.detail, "left is a string, right is a computed value");
    }
}
