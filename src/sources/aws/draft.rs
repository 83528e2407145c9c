//! From what the collectors read to resources: keys and references.
//!
//! A collector emits [`Draft`]s: a Terraform type, a name (the `Name` tag or
//! the identifier), the raw ids other resources use to point at it, and its
//! attributes, where an attribute that holds another resource's id is a
//! [`reference`] placeholder. [`finish`] gives every draft its key
//! (`aws_subnet.shop-staging-private["eu-west-1a"]`), then rewrites each
//! placeholder into the symbolic reference the code source writes
//! (`Value::Unknown("aws_vpc.shop-staging.id")`), so two environments whose
//! database sits in "the same kind of subnet" compare equal although every
//! id differs. A placeholder whose target was not collected (out of scope,
//! AWS-managed, or its API was denied) keeps the raw id.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Location, Resource, Snapshot, Value};

/// Marks a reference placeholder inside `Value::Unknown`; never survives
/// [`finish`].
const REF_MARK: &str = "\u{0}ref\u{1f}";
const SEP: char = '\u{1f}';

/// One resource as read, before it has its key.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub rtype: &'static str,
    /// The `Name` tag or identifier the key is built from.
    pub name: String,
    /// An instance key (`eu-west-1a`) when the name carried one.
    pub instance: Option<String>,
    /// Take name and instance key from another resource (type, raw id): a
    /// route table association is known by its subnet.
    pub name_from: Option<(&'static str, String)>,
    /// Raw ids other resources point at this one with (id, ARN, name).
    pub ids: Vec<String>,
    /// ARN, or `region/id`.
    pub location: String,
    pub attributes: crate::model::Map,
}

impl Draft {
    pub fn new(rtype: &'static str, name: &str, location: String) -> Draft {
        Draft {
            rtype,
            name: name.to_string(),
            instance: None,
            name_from: None,
            ids: Vec::new(),
            location,
            attributes: crate::model::Map::new(),
        }
    }

    pub fn id(mut self, id: &str) -> Draft {
        if !id.is_empty() {
            self.ids.push(id.to_string());
        }
        self
    }

    pub fn set(&mut self, name: &str, value: Value) {
        if !value.is_null() {
            self.attributes.insert(name.to_string(), value);
        }
    }

    /// Split a zone of `region` (`eu-west-1a`) off the end of the name, when
    /// the name ends with one.
    pub fn region_zone_instance(&mut self, region: &str) {
        let Some(pos) = self.name.rfind(region) else {
            return;
        };
        let zone = self.name[pos..].to_string();
        let letter = &zone[region.len()..];
        if letter.len() == 1 && letter.bytes().all(|c| c.is_ascii_lowercase()) {
            self.zone_instance(&zone);
        }
    }

    /// Split an availability zone off the end of the name
    /// (`shop-staging-private-eu-west-1a` → `shop-staging-private` with
    /// instance `eu-west-1a`), the way code writes one subnet per zone
    /// (`aws_subnet.private["eu-west-1a"]`), so counts per zone compare.
    pub fn zone_instance(&mut self, zone: &str) {
        if zone.is_empty() || self.name.len() <= zone.len() + 1 {
            return;
        }
        if let Some(base) = self.name.strip_suffix(zone) {
            if let Some(base) = base.strip_suffix(['-', '_', ' ', '.']) {
                self.name = base.to_string();
                self.instance = Some(zone.to_string());
            }
        }
    }
}

/// A placeholder for "the `attr` of the `rtype` whose id is `id`".
pub(crate) fn reference(rtype: &str, id: &str, attr: &str) -> Value {
    if id.is_empty() {
        return Value::Null;
    }
    Value::Unknown(format!("{REF_MARK}{rtype}{SEP}{id}{SEP}{attr}"))
}

/// The placeholders of a list of ids.
pub(crate) fn references<'a>(
    rtype: &str,
    ids: impl IntoIterator<Item = &'a str>,
    attr: &str,
) -> Value {
    let mut items: Vec<Value> = ids
        .into_iter()
        .filter(|id| !id.is_empty())
        .map(|id| reference(rtype, id, attr))
        .collect();
    items.sort_by_key(Value::display);
    Value::List(items)
}

/// An optional string as a value (absent: null, which [`Draft::set`] skips).
pub(crate) fn s(v: Option<&str>) -> Value {
    v.map(Value::from).unwrap_or(Value::Null)
}

/// An optional integer as a value.
pub(crate) fn n<T: Into<i64>>(v: Option<T>) -> Value {
    v.map(|x| Value::Number(x.into() as f64))
        .unwrap_or(Value::Null)
}

/// An optional bool as a value.
pub(crate) fn b(v: Option<bool>) -> Value {
    v.map(Value::Bool).unwrap_or(Value::Null)
}

/// A list of strings, sorted (sets in Terraform's model).
pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    let mut v: Vec<&str> = items.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    Value::List(v.into_iter().map(Value::from).collect())
}

/// Tags as a map; null when there are none (Terraform's `tags` default).
pub(crate) fn tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    let map: crate::model::Map = pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::from(v)))
        .collect();
    if map.is_empty() {
        Value::Null
    } else {
        Value::Map(map)
    }
}

/// A name usable as one address segment: letters, digits, `-`, `_`, `:`.
fn segment(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unnamed".into()
    } else {
        s
    }
}

fn quote(instance: &str) -> String {
    format!(
        "[\"{}\"]",
        instance.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// Give every draft its key, resolve references, sort.
pub(crate) fn finish(mut drafts: Vec<Draft>) -> Vec<Resource> {
    let mut by_id: HashMap<(&str, String), usize> = HashMap::new();
    for (i, d) in drafts.iter().enumerate() {
        for id in &d.ids {
            by_id.entry((d.rtype, id.clone())).or_insert(i);
        }
    }
    let borrowed: Vec<(usize, String, Option<String>)> = drafts
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let (rtype, id) = d.name_from.as_ref()?;
            let j = by_id.get(&(*rtype, id.clone()))?;
            Some((i, drafts[*j].name.clone(), drafts[*j].instance.clone()))
        })
        .collect();
    for (i, name, instance) in borrowed {
        drafts[i].name = name;
        drafts[i].instance = instance;
    }

    // Keys: `type.name`, `type.name["zone"]`; names shared by several
    // resources get positional instance keys in a stable order.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, d) in drafts.iter().enumerate() {
        let mut key = format!("{}.{}", d.rtype, segment(&d.name));
        if let Some(inst) = &d.instance {
            key.push_str(&quote(inst));
        }
        groups.entry(key).or_default().push(i);
    }
    let mut keys = vec![String::new(); drafts.len()];
    for (key, mut members) in groups {
        if let [only] = members.as_slice() {
            keys[*only] = key;
            continue;
        }
        members.sort_by(|a, b| order_of(&drafts[*a]).cmp(&order_of(&drafts[*b])));
        for (n, i) in members.into_iter().enumerate() {
            keys[i] = match key.strip_suffix(']') {
                // `name["zone"]` → `name["zone#2"]`
                Some(open) => match open.strip_suffix('"') {
                    Some(head) => format!("{head}#{n}\"]"),
                    None => format!("{open}#{n}]"),
                },
                None => format!("{key}[{n}]"),
            };
        }
    }

    let resolve = |v: &Value| {
        resolve_refs(v, &|rtype, id| {
            by_id
                .get(&(rtype, id.to_string()))
                .map(|i| keys[*i].as_str())
        })
    };

    let mut out: Vec<Resource> = drafts
        .iter()
        .zip(&keys)
        .map(|(d, key)| {
            let mut r = Resource::new(
                key.clone(),
                d.rtype,
                Location::new(d.location.clone(), None),
            );
            r.attributes = d
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), resolve(v)))
                .collect();
            r
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// What decides the order of resources that share a name: placement first
/// (zone, address range), then the location, so index 0 is the same kind of
/// resource in both environments as often as names allow.
fn order_of(d: &Draft) -> (String, String, String) {
    let attr = |n: &str| d.attributes.get(n).map(Value::display).unwrap_or_default();
    (
        attr("availability_zone"),
        attr("cidr_block"),
        d.location.clone(),
    )
}

fn resolve_refs<'k>(v: &Value, lookup: &dyn Fn(&str, &str) -> Option<&'k str>) -> Value {
    match v {
        Value::Unknown(text) => match text.strip_prefix(REF_MARK) {
            Some(rest) => {
                let mut parts = rest.splitn(3, SEP);
                let (rtype, id, attr) = (
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                );
                match lookup(rtype, id) {
                    Some(key) => Value::Unknown(format!("{key}.{attr}")),
                    None => Value::String(id.to_string()),
                }
            }
            None => v.clone(),
        },
        Value::List(items) => {
            let mut items: Vec<Value> = items.iter().map(|i| resolve_refs(i, lookup)).collect();
            if items.iter().all(Value::is_unknown) {
                items.sort_by_key(Value::display);
            }
            Value::List(items)
        }
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_refs(v, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What [`readdress`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readdressed {
    /// Live resources that took a state address.
    pub matched: usize,
    /// Keys of live resources no state address was given for (`unmanaged`).
    pub unmanaged: Vec<String>,
}

/// Give live resources the addresses state records for their ids: `by_id`
/// maps (Terraform type, an id) to a state address (see
/// [`super::state_index`] for the ids a state resource is known by; a live
/// resource is looked up by its `id`, its `identifier` for databases, and
/// `role/policy-arn` for a policy attachment, whose Terraform id is random).
/// References to a readdressed resource follow it, written as the state
/// source writes them: the address inside the module when both resources
/// are in the same module instance (`aws_vpc.main.id`), else the full
/// address. Call before normalization.
pub fn readdress(
    snapshot: &mut Snapshot,
    by_id: &HashMap<(String, String), String>,
) -> Readdressed {
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut report = Readdressed::default();
    for r in &mut snapshot.resources {
        let found = live_ids(r)
            .into_iter()
            .find_map(|id| by_id.get(&(r.rtype.clone(), id)));
        match found {
            Some(address) => {
                renamed.insert(r.address.clone(), address.clone());
                r.address = address.clone();
                r.key = address.clone();
                report.matched += 1;
            }
            None => report.unmanaged.push(r.key.clone()),
        }
    }
    if renamed.is_empty() {
        return report;
    }
    for r in &mut snapshot.resources {
        let here = module_prefix(&r.address).to_string();
        let rewrite = |text: &str| -> Option<String> {
            let (key, attr) = text.rsplit_once('.')?;
            let target = renamed.get(key)?;
            let shown = if module_prefix(target) == here {
                local_address(target)
            } else {
                target.as_str()
            };
            Some(format!("{shown}.{attr}"))
        };
        for v in r.attributes.values_mut() {
            *v = rewrite_unknowns(v, &rewrite);
        }
    }
    snapshot.resources.sort_by(|a, b| a.key.cmp(&b.key));
    report
}

/// The ids a live resource may be known by in state.
fn live_ids(r: &Resource) -> Vec<String> {
    let attr = |k: &str| match r.attributes.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let mut ids: Vec<String> = attr("id").into_iter().collect();
    // Terraform before AWS provider 5 used the identifier as a database's id.
    ids.extend(attr("identifier"));
    if r.rtype == "aws_iam_role_policy_attachment" {
        // Located at `iam/<role>/<policy arn>`.
        if let Some(rest) = r.location.file.strip_prefix("iam/") {
            ids.push(rest.to_string());
        }
    }
    ids
}

/// `module.a.aws_vpc.x` → `module.a.`; empty at the root.
fn module_prefix(address: &str) -> &str {
    &address[..address.len() - local_address(address).len()]
}

fn rewrite_unknowns(v: &Value, f: &dyn Fn(&str) -> Option<String>) -> Value {
    match v {
        Value::Unknown(text) => Value::Unknown(f(text).unwrap_or_else(|| text.clone())),
        Value::List(items) => Value::List(items.iter().map(|i| rewrite_unknowns(i, f)).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), rewrite_unknowns(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `module.a.module.b.aws_vpc.x` → `aws_vpc.x`: references are written
/// relative to the module that holds the resource.
fn local_address(address: &str) -> &str {
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        // Skip the module name and its instance key, up to the next segment.
        let mut depth = 0usize;
        let mut cut = None;
        for (i, c) in after.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                '.' if depth == 0 => {
                    cut = Some(i + 1);
                    break;
                }
                _ => {}
            }
        }
        match cut {
            Some(i) => rest = &after[i..],
            None => break,
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(rtype: &'static str, name: &str, id: &str) -> Draft {
        Draft::new(rtype, name, format!("eu-west-1/{id}")).id(id)
    }

    #[test]
    fn references_become_keys_or_stay_ids() {
        let vpc = draft("aws_vpc", "shop-staging", "vpc-1");
        let mut subnet = draft("aws_subnet", "shop-staging-private-eu-west-1a", "subnet-1");
        subnet.set("availability_zone", Value::from("eu-west-1a"));
        subnet.zone_instance("eu-west-1a");
        subnet.set("vpc_id", reference("aws_vpc", "vpc-1", "id"));
        subnet.set("route", reference("aws_vpc", "vpc-9", "id"));
        let out = finish(vec![subnet, vpc]);
        let s = &out[0];
        assert_eq!(s.key, "aws_subnet.shop-staging-private[\"eu-west-1a\"]");
        assert_eq!(
            s.attributes["vpc_id"],
            Value::Unknown("aws_vpc.shop-staging.id".into())
        );
        assert_eq!(s.attributes["route"], Value::from("vpc-9"));
    }

    #[test]
    fn shared_names_get_positions() {
        let mut a = draft("aws_subnet", "app", "subnet-b");
        a.set("availability_zone", Value::from("eu-west-1b"));
        let mut b = draft("aws_subnet", "app", "subnet-a");
        b.set("availability_zone", Value::from("eu-west-1a"));
        let out = finish(vec![a, b]);
        assert_eq!(out[0].key, "aws_subnet.app[0]");
        assert_eq!(&*out[0].location.file, "eu-west-1/subnet-a");
        assert_eq!(out[1].key, "aws_subnet.app[1]");
        assert_eq!(segment("a b/c"), "a_b_c");
    }

    #[test]
    fn readdress_follows_state_and_rewrites_references() {
        let mut vpc = draft("aws_vpc", "shop-staging", "vpc-1");
        vpc.set("id", Value::from("vpc-1"));
        let mut subnet = draft("aws_subnet", "extra", "subnet-1");
        subnet.set("id", Value::from("subnet-1"));
        subnet.set("vpc_id", reference("aws_vpc", "vpc-1", "id"));
        let mut snap = Snapshot::new("staging", crate::model::SourceKind::Live);
        snap.resources = finish(vec![vpc, subnet]);
        let by_id = HashMap::from([(
            ("aws_vpc".to_string(), "vpc-1".to_string()),
            "module.network.aws_vpc.main".to_string(),
        )]);
        let report = readdress(&mut snap, &by_id);
        assert_eq!(report.matched, 1);
        assert_eq!(report.unmanaged, vec!["aws_subnet.extra".to_string()]);
        let subnet = snap
            .resources
            .iter()
            .find(|r| r.rtype == "aws_subnet")
            .expect("subnet");
        // The subnet is not in the VPC's module: the full address; inside
        // one module, the address inside it (as the state source writes).
        assert_eq!(
            subnet.attributes["vpc_id"],
            Value::Unknown("module.network.aws_vpc.main.id".into())
        );
        assert_eq!(
            local_address("module.a[\"x.y\"].module.b.aws_vpc.m"),
            "aws_vpc.m"
        );
        assert_eq!(
            module_prefix("module.a[\"x.y\"].aws_vpc.m"),
            "module.a[\"x.y\"]."
        );
    }

    #[test]
    fn readdress_knows_databases_by_identifier_and_attachments_by_role_and_policy() {
        let mut db = draft("aws_db_instance", "shop-db", "db-ABC");
        db.set("id", Value::from("db-ABC"));
        db.set("identifier", Value::from("shop-db"));
        let mut att = Draft::new(
            "aws_iam_role_policy_attachment",
            "api:logs",
            "iam/api/arn:aws:iam::1:policy/logs".into(),
        );
        att.set("role", reference("aws_iam_role", "api", "name"));
        let mut vpc = draft("aws_vpc", "v", "vpc-1");
        vpc.set("id", Value::from("vpc-1"));
        let mut sg = draft("aws_security_group", "db", "sg-1");
        sg.set("id", Value::from("sg-1"));
        sg.set("vpc_id", reference("aws_vpc", "vpc-1", "id"));
        let mut snap = Snapshot::new("staging", crate::model::SourceKind::Live);
        snap.resources = finish(vec![db, att, vpc, sg]);
        let by_id: HashMap<(String, String), String> = [
            (
                "aws_db_instance",
                "shop-db",
                "module.db.aws_db_instance.main",
            ),
            (
                "aws_iam_role_policy_attachment",
                "api/arn:aws:iam::1:policy/logs",
                "aws_iam_role_policy_attachment.logs",
            ),
            ("aws_vpc", "vpc-1", "module.net.aws_vpc.main"),
            (
                "aws_security_group",
                "sg-1",
                "module.net.aws_security_group.db",
            ),
        ]
        .into_iter()
        .map(|(t, id, a)| ((t.to_string(), id.to_string()), a.to_string()))
        .collect();
        let report = readdress(&mut snap, &by_id);
        assert_eq!((report.matched, report.unmanaged.len()), (4, 0));
        let sg = snap
            .resources
            .iter()
            .find(|r| r.rtype == "aws_security_group")
            .expect("sg");
        assert_eq!(
            sg.attributes["vpc_id"],
            Value::Unknown("aws_vpc.main.id".into())
        );
    }
}
