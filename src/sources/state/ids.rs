//! Identity noise: state holds the real ids AWS assigned (`vpc-0a1b…`,
//! `subnet-…`, ARNs with random suffixes), which always differ between
//! environments. Where one resource holds another's `id` or `arn`, the
//! value becomes the symbolic reference the code source writes for it
//! (`Value::Unknown("aws_subnet.private[\"eu-west-1a\"].id")`: the address
//! inside the module when both resources live in the same module instance,
//! the full address (`module.network.aws_vpc.main.id`) when the value came
//! from another module), so state compares like code: both environments
//! wiring the database to "the private subnets" is parity.
//!
//! A resource's own `id` and `arn` stay as they are; `rules/identity.toml`
//! marks them (and timestamps, generated names and the like) as expected
//! differences.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::{Resource, Value};

/// Byte offsets of the `.` that separate an address's segments (dots
/// inside `[...]` keys do not count).
fn segment_dots(address: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in address.char_indices() {
        if in_str {
            match (c, escaped) {
                (_, true) => escaped = false,
                ('\\', false) => escaped = true,
                ('"', false) => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => out.push(i),
            _ => {}
        }
    }
    out
}

/// The address inside its module: `module.network.aws_subnet.a["x"]` →
/// `aws_subnet.a["x"]`, as the code source writes references.
pub fn local_address(address: &str) -> &str {
    let dots = segment_dots(address);
    let mut start = 0;
    let mut k = 0;
    while address[start..].starts_with("module.") && k + 1 < dots.len() {
        start = dots[k + 1] + 1;
        k += 2;
    }
    &address[start..]
}

/// The configuration address, without instance keys:
/// `module.a["x"].aws_subnet.b[0]` → `module.a.aws_subnet.b`, the form of
/// a state's `dependencies`.
pub fn config_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for c in address.chars() {
        if in_str {
            match (c, escaped) {
                (_, true) => escaped = false,
                ('\\', false) => escaped = true,
                ('"', false) => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' if depth > 0 => in_str = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// FNV-1a of a string: the map below holds tens of thousands of ids and is
/// probed for every string of the snapshot; SipHash's DoS resistance buys
/// nothing on our own input.
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The keys are hashes already.
#[derive(Default)]
struct Pass(u64);

impl Hasher for Pass {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Hash of an id or ARN → (resource index, whether it is the ARN). Keyed by
/// hash, not by a copy of the string: a 50 MB state holds ~100 000 of them.
type Index = HashMap<u64, Vec<(u32, bool)>, BuildHasherDefault<Pass>>;

fn str_attr<'r>(r: &'r Resource, key: &str) -> Option<&'r str> {
    match r.attributes.get(key) {
        Some(Value::String(s)) if s.len() >= 6 => Some(s),
        _ => None,
    }
}

/// Whether an id is one AWS generated (`vpc-0a1b2c3d`, `db-XU4T…`, a
/// UUID, an ARN) rather than a name the code chose. Names are comparable
/// once normalized (`shop-${env}-db`); turning them into references would
/// also turn every other attribute that happens to hold the same name
/// (a security group named like the database) into a reference.
fn generated(r: &Resource, id: &str) -> bool {
    if id.starts_with("arn:") {
        return true;
    }
    let named = r.attributes.iter().any(|(k, v)| {
        v.as_str() == Some(id)
            && (k == "name"
                || k.ends_with("_name")
                || matches!(
                    k.as_str(),
                    "bucket" | "family" | "identifier" | "function_name"
                ))
    });
    !named && id.bytes().filter(u8::is_ascii_digit).count() >= 4
}

/// The id a resource can be referred to by, if it is a generated one.
fn mapped_id(r: &Resource) -> Option<&str> {
    str_attr(r, "id").filter(|id| generated(r, id))
}

/// Replace every attribute value that is another resource's `id` or `arn`
/// by a symbolic reference to it. Among several resources with the same
/// id (a data source reading a VPC that another stack manages), one of the
/// same state file wins, then one of the same module, then a managed one.
///
/// `hook(key, value)` runs on every value first (secret redaction) in the
/// same walk, so a 50 MB state's snapshot is traversed once. A hook that
/// returns true has replaced the value; it is not looked into.
pub fn symbolize(resources: &mut [Resource], hook: &dyn Fn(&str, &mut Value) -> bool) {
    let mut index: Index = Index::default();
    let mut facts: Vec<Facts> = Vec::with_capacity(resources.len());
    for (i, r) in resources.iter().enumerate() {
        let id = mapped_id(r);
        let arn = str_attr(r, "arn");
        facts.push(Facts {
            prefix: module_prefix(&r.address).len() as u32,
            id_mapped: id.is_some(),
            id: str_attr(r, "id").map(Box::from),
            arn: arn.map(Box::from),
        });
        if let Some(v) = id {
            index.entry(fnv(v)).or_default().push((i as u32, false));
        }
        if let Some(v) = arn {
            if id != Some(v) {
                index.entry(fnv(v)).or_default().push((i as u32, true));
            }
        }
    }
    for i in 0..resources.len() {
        // Taken out so the others can be read while this one changes; own
        // `id`/`arn` are never rewritten, so every lookup below sees them.
        let mut attrs = std::mem::take(&mut resources[i].attributes);
        let ctx = Ctx {
            me: i,
            all: resources,
            facts: &facts,
            index: &index,
            hook,
        };
        for (k, v) in attrs.iter_mut() {
            if hook(k, v) || k == "id" || k == "arn" {
                continue;
            }
            ctx.replace(v, k);
        }
        resources[i].attributes = attrs;
    }
}

struct Ctx<'a> {
    me: usize,
    all: &'a [Resource],
    facts: &'a [Facts],
    index: &'a Index,
    hook: &'a dyn Fn(&str, &mut Value) -> bool,
}

/// What the lookups need of each resource, computed once.
struct Facts {
    /// Length of the module prefix of its address.
    prefix: u32,
    /// Its `id` is a generated one, referable by value.
    id_mapped: bool,
    /// Its `id` and `arn` (as `str_attr` reads them), copied: the lookups
    /// compare them for every candidate of every value that may be an id,
    /// and finding them in another resource's attributes each time cost
    /// more than the copies.
    id: Option<Box<str>>,
    arn: Option<Box<str>>,
}

/// Cheap test before hashing: ids are ARNs or carry digits.
fn may_be_identity(s: &str) -> bool {
    s.len() >= 6 && (s.starts_with("arn:") || s.bytes().any(|b| b.is_ascii_digit()))
}

/// The module prefix of an address (`module.network.`), empty at the root.
fn module_prefix(address: &str) -> &str {
    &address[..address.len() - local_address(address).len()]
}

impl Ctx<'_> {
    fn replace(&self, v: &mut Value, attr: &str) {
        match v {
            Value::String(s) => {
                if let Some(expr) = self.reference(s, attr) {
                    *v = Value::Unknown(expr);
                }
            }
            Value::List(items) => {
                for i in items {
                    if !(self.hook)("", i) {
                        self.replace(i, attr);
                    }
                }
            }
            Value::Map(m) => {
                for (k, i) in m {
                    if !(self.hook)(k, i) {
                        self.replace(i, k);
                    }
                }
            }
            _ => {}
        }
    }

    fn prefix(&self, i: usize) -> &str {
        &self.all[i].address[..self.facts[i].prefix as usize]
    }

    fn reference(&self, s: &str, attr: &str) -> Option<String> {
        if self.index.is_empty() || !may_be_identity(s) {
            return None;
        }
        let me = &self.all[self.me];
        let candidates = self.index.get(&fnv(s))?;
        let best = candidates
            .iter()
            .map(|&(c, arn)| (c as usize, arn))
            .filter(|&(c, arn)| {
                let f = &self.facts[c];
                c != self.me && if arn { &f.arn } else { &f.id }.as_deref() == Some(s)
            })
            .min_by(|&(a, _), &(b, _)| {
                let rank = |c: usize| {
                    let r = &self.all[c];
                    (
                        r.location.file != me.location.file,
                        self.prefix(c) != self.prefix(self.me),
                        r.data,
                        r.address.as_str(),
                    )
                };
                rank(a).cmp(&rank(b))
            })?
            .0;
        let r = &self.all[best];
        let prefix = self.prefix(best);
        let name = if prefix == self.prefix(self.me) {
            &r.address[prefix.len()..]
        } else {
            r.address.as_str()
        };
        let wants_arn = attr.ends_with("arn") || attr.ends_with("arns");
        let f = &self.facts[best];
        let is_arn = f.arn.as_deref() == Some(s);
        let is_id = f.id_mapped && f.id.as_deref() == Some(s);
        let suffix = if is_arn && (wants_arn || !is_id) {
            "arn"
        } else {
            "id"
        };
        Some(format!("{name}.{suffix}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    #[test]
    fn addresses_lose_their_module_prefix_and_keys() {
        assert_eq!(
            local_address("module.network.aws_subnet.private[\"eu.1\"]"),
            "aws_subnet.private[\"eu.1\"]"
        );
        assert_eq!(local_address("module.a[0].module.b.aws_x.y"), "aws_x.y");
        assert_eq!(local_address("aws_x.y"), "aws_x.y");
        assert_eq!(
            config_address("module.a[\"k]\"].aws_subnet.b[0]"),
            "module.a.aws_subnet.b"
        );
    }

    fn res(address: &str, attrs: &[(&str, Value)]) -> Resource {
        let mut r = Resource::new(
            address,
            address.split('.').rev().nth(1).unwrap_or(""),
            Location::default(),
        );
        for (k, v) in attrs {
            r.attributes.insert(k.to_string(), v.clone());
        }
        r
    }

    #[test]
    fn ids_become_references_names_do_not() {
        let mut rs = vec![
            res(
                "module.n.aws_vpc.main",
                &[("id", Value::str("vpc-0abc123"))],
            ),
            res(
                "module.n.aws_subnet.a[\"x\"]",
                &[
                    ("id", Value::str("subnet-0def456")),
                    ("vpc_id", Value::str("vpc-0abc123")),
                ],
            ),
            res(
                "module.d.aws_db_subnet_group.main",
                &[
                    ("id", Value::str("shop-db-group")),
                    ("name", Value::str("shop-db-group")),
                ],
            ),
            res(
                "module.d.aws_db_instance.main",
                &[
                    ("db_subnet_group_name", Value::str("shop-db-group")),
                    (
                        "vpc_security_group_ids",
                        Value::List(vec![Value::str("subnet-0def456")]),
                    ),
                ],
            ),
        ];
        symbolize(&mut rs, &|_, _| false);
        assert_eq!(
            rs[1].attributes["vpc_id"],
            Value::Unknown("aws_vpc.main.id".into())
        );
        assert_eq!(rs[1].attributes["id"], Value::str("subnet-0def456"));
        assert_eq!(
            rs[3].attributes["db_subnet_group_name"],
            Value::str("shop-db-group")
        );
        // From another module: the full address, as the code source writes it.
        assert_eq!(
            rs[3].attributes["vpc_security_group_ids"],
            Value::List(vec![Value::Unknown(
                "module.n.aws_subnet.a[\"x\"].id".into()
            )])
        );
    }

    #[test]
    fn arn_attributes_name_the_arn() {
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/x/abc";
        let mut rs = vec![
            res(
                "aws_lb.app",
                &[("id", Value::str(arn)), ("arn", Value::str(arn))],
            ),
            res(
                "aws_lb_listener.http",
                &[("load_balancer_arn", Value::str(arn))],
            ),
            res("aws_x.y", &[("target", Value::str(arn))]),
        ];
        symbolize(&mut rs, &|_, _| false);
        assert_eq!(
            rs[1].attributes["load_balancer_arn"],
            Value::Unknown("aws_lb.app.arn".into())
        );
        assert_eq!(
            rs[2].attributes["target"],
            Value::Unknown("aws_lb.app.id".into())
        );
    }
}
