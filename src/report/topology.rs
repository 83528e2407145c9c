//! The network topology of two environments, side by side, for the
//! pictures (`--format svg`, the HTML report's figure, the markdown report's
//! Mermaid flowchart).
//!
//! Built from the two normalized snapshots and the judged findings: VPCs,
//! subnets by zone and tier, internet and NAT gateways, load balancers,
//! compute (ECS services, EKS clusters and node groups, auto scaling
//! groups), data stores with their engine versions, and the
//! security-group paths between them (who may open a connection to whom,
//! on which ports). Each element carries the worst severity of the
//! findings on it, and whether it exists in one environment only, so the
//! renderers highlight every difference.
//!
//! Only names, zones, CIDRs, ports, engines, versions and classes are
//! shown, never another attribute's value; a redacted secret shows as
//! `(sensitive)`. Everything is sorted by key: the same input gives the
//! same picture.

use std::collections::{BTreeMap, BTreeSet};

use crate::findings::{Finding, Severity};
use crate::model::{Resource, Snapshot, Value};

/// Where a subnet sits: which way its traffic goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Tier {
    Public,
    #[default]
    Private,
    Data,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Data => "data",
        }
    }
}

/// The column of the services area an element is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The internet, or an address range a security group admits.
    Source,
    LoadBalancer,
    Compute,
    Data,
}

/// What one environment says about an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// One short line (`postgres 15.7`, `10.10.0.0/24`).
    pub detail: String,
}

/// One element of the picture, in either environment or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The normalized address (or `internet`, `range:<cidr>`).
    pub key: String,
    /// A short name (`database.main`, `ALB app`).
    pub title: String,
    /// Per environment (left, right); `None` where it does not exist.
    pub sides: [Option<Facts>; 2],
    /// The worst severity of the findings on it (not expected, not waived).
    pub severity: Option<Severity>,
    /// The findings' messages, for a tooltip.
    pub notes: Vec<String>,
}

impl Item {
    /// In one environment only.
    pub fn one_sided(&self) -> bool {
        self.sides[0].is_some() != self.sides[1].is_some()
    }

    /// Whether the picture highlights it.
    pub fn differs(&self) -> bool {
        self.severity.is_some() || self.one_sided()
    }
}

/// A subnet, with the NAT gateways in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub item: Item,
    pub zone: String,
    pub tier: Tier,
    /// NAT gateways placed in this subnet.
    pub nats: Vec<Item>,
}

/// A security-group path: `from` may connect to `to` on `ports`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub ports: String,
    /// Per environment (left, right).
    pub sides: [bool; 2],
    /// The worst severity of the findings on the security group that
    /// admits it, when the path exists on one side only.
    pub severity: Option<Severity>,
}

impl Edge {
    pub fn differs(&self) -> bool {
        self.sides[0] != self.sides[1]
    }
}

/// Both environments' topology.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    pub environments: [String; 2],
    pub vpcs: Vec<Item>,
    pub gateways: Vec<Item>,
    pub subnets: Vec<Subnet>,
    /// Every zone of either environment, sorted.
    pub zones: Vec<String>,
    /// Every tier of either environment, sorted.
    pub tiers: Vec<Tier>,
    /// Services by role, each sorted by key.
    pub services: BTreeMap<Role, Vec<Item>>,
    pub edges: Vec<Edge>,
}

const LOAD_BALANCERS: [&str; 3] = ["aws_lb", "aws_alb", "aws_elb"];
const COMPUTE: [&str; 5] = [
    "aws_ecs_service",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_autoscaling_group",
    "aws_instance",
];
const DATA: [&str; 9] = [
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_cluster",
    "aws_docdb_cluster",
    "aws_opensearch_domain",
    "aws_msk_cluster",
    "aws_mq_broker",
    "aws_neptune_cluster",
];

/// How one environment's facts about a resource read (`postgres 15.7`).
type Detail = fn(&Resource) -> String;

/// The source key of the internet.
pub const INTERNET: &str = "internet";
/// The source key of the environment's own VPC range.
pub const VPC_RANGE: &str = "range:vpc";

impl Topology {
    /// The topology of two normalized snapshots, marked with `findings`.
    pub fn build(left: &Snapshot, right: &Snapshot, findings: &[Finding]) -> Topology {
        let sides = [Side::new(left), Side::new(right)];
        let marks = Marks::new(findings);
        let mut t = Topology {
            environments: [left.environment.clone(), right.environment.clone()],
            ..Topology::default()
        };
        t.vpcs = merge(&sides, &marks, |s| s.items(&["aws_vpc"], vpc_detail));
        t.gateways = merge(&sides, &marks, |s| {
            s.items(
                &["aws_internet_gateway", "aws_egress_only_internet_gateway"],
                |_| String::new(),
            )
        });
        // Subnets, with their zone and tier from whichever side has them.
        let subnet_items = merge(&sides, &marks, |s| s.items(&["aws_subnet"], cidr_detail));
        let nats = merge(&sides, &marks, |s| {
            s.items(&["aws_nat_gateway"], |_| String::new())
        });
        for item in subnet_items {
            let r = sides
                .iter()
                .find_map(|s| s.by_key.get(item.key.as_str()).copied());
            let (zone, tier) = r.map(|r| (zone_of(r), tier_of(r))).unwrap_or_default();
            t.subnets.push(Subnet {
                item,
                zone,
                tier,
                nats: Vec::new(),
            });
        }
        for nat in nats {
            let subnet = sides.iter().find_map(|s| {
                let r = s.by_key.get(nat.key.as_str())?;
                s.resolve(r, r.attributes.get("subnet_id")?)
            });
            match subnet.and_then(|k| t.subnets.iter_mut().find(|s| s.item.key == k)) {
                Some(s) => s.nats.push(nat),
                None => t.gateways.push(nat),
            }
        }
        t.zones = t
            .subnets
            .iter()
            .map(|s| s.zone.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        t.tiers = t
            .subnets
            .iter()
            .map(|s| s.tier)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        t.subnets
            .sort_by(|a, b| (a.tier, &a.zone, &a.item.key).cmp(&(b.tier, &b.zone, &b.item.key)));

        let roles: [(Role, &[&str], Detail); 3] = [
            (Role::LoadBalancer, &LOAD_BALANCERS, lb_detail),
            (Role::Compute, &COMPUTE, compute_detail),
            (Role::Data, &DATA, data_detail),
        ];
        for (role, types, detail) in roles {
            let mut items = merge(&sides, &marks, |s| s.items(types, detail));
            // Name the kind: a load balancer and the service behind it are
            // often both called `app`.
            for item in &mut items {
                if let Some(r) = sides.iter().find_map(|s| s.by_key.get(item.key.as_str())) {
                    item.title = format!("{} {}", kind_of(&r.rtype), item.title);
                }
            }
            if !items.is_empty() {
                t.services.insert(role, items);
            }
        }

        // Security-group paths, per side, then merged.
        let mut edges: BTreeMap<(String, String, String), [bool; 2]> = BTreeMap::new();
        let mut admitting: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
        for (i, side) in sides.iter().enumerate() {
            for (edge, sg) in side.paths() {
                edges.entry(edge.clone()).or_default()[i] = true;
                admitting.entry(edge).or_default().insert(sg);
            }
        }
        let mut sources: BTreeSet<String> = BTreeSet::new();
        for ((from, to, ports), present) in edges {
            let severity = if present[0] != present[1] {
                admitting
                    .get(&(from.clone(), to.clone(), ports.clone()))
                    .into_iter()
                    .flatten()
                    .filter_map(|sg| marks.worst(sg))
                    .max()
                    .or(Some(Severity::Warning))
            } else {
                None
            };
            if from == INTERNET || from.starts_with("range:") {
                sources.insert(from.clone());
            }
            t.edges.push(Edge {
                from,
                to,
                ports,
                sides: present,
                severity,
            });
        }
        let source_items: Vec<Item> = sources
            .into_iter()
            .map(|key| {
                let severity = t
                    .edges
                    .iter()
                    .filter(|e| e.from == key && e.differs())
                    .filter_map(|e| e.severity)
                    .max();
                let used = |i: usize| t.edges.iter().any(|e| e.from == key && e.sides[i]);
                let facts = |i: usize| {
                    used(i).then(|| Facts {
                        detail: String::new(),
                    })
                };
                Item {
                    title: source_title(&key),
                    sides: [facts(0), facts(1)],
                    severity,
                    notes: Vec::new(),
                    key,
                }
            })
            .collect();
        if !source_items.is_empty() {
            t.services.insert(Role::Source, source_items);
        }
        t
    }

    /// How many elements and paths the picture highlights.
    pub fn differences(&self) -> usize {
        let items = self
            .vpcs
            .iter()
            .chain(&self.gateways)
            .chain(self.subnets.iter().map(|s| &s.item))
            .chain(self.subnets.iter().flat_map(|s| &s.nats))
            .chain(self.services.values().flatten())
            .filter(|i| i.differs())
            .count();
        items + self.edges.iter().filter(|e| e.differs()).count()
    }

    /// Nothing to draw: neither environment has a network element.
    pub fn is_empty(&self) -> bool {
        self.vpcs.is_empty() && self.subnets.is_empty() && self.services.is_empty()
    }

    /// The title of a service or source by key (for edges).
    pub fn title_of(&self, key: &str) -> Option<&str> {
        self.services
            .values()
            .flatten()
            .find(|i| i.key == key)
            .map(|i| i.title.as_str())
    }
}

fn source_title(key: &str) -> String {
    match key {
        INTERNET => "internet".into(),
        VPC_RANGE => "VPC range".into(),
        other => other.trim_start_matches("range:").to_string(),
    }
}

/// The worst severity of the findings per resource key.
struct Marks<'f> {
    by_key: BTreeMap<&'f str, Vec<&'f Finding>>,
}

impl<'f> Marks<'f> {
    fn new(findings: &'f [Finding]) -> Self {
        let mut by_key: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in findings {
            if f.is_violation() {
                by_key.entry(f.resource.as_str()).or_default().push(f);
            }
        }
        Marks { by_key }
    }

    fn worst(&self, key: &str) -> Option<Severity> {
        self.by_key.get(key)?.iter().map(|f| f.severity).max()
    }

    /// The findings on `key`, and, for an instance in one environment only,
    /// the `@count` finding on its address.
    fn on(&self, key: &str, one_sided: bool) -> (Option<Severity>, Vec<String>) {
        let mut found: Vec<&Finding> = self.by_key.get(key).cloned().unwrap_or_default();
        let base = crate::rules::engine::base_of(key);
        if one_sided && base != key {
            found.extend(
                self.by_key
                    .get(base)
                    .into_iter()
                    .flatten()
                    .filter(|f| f.attribute.as_deref() == Some("@count")),
            );
        }
        let severity = found.iter().map(|f| f.severity).max();
        let notes = found
            .iter()
            .map(|f| {
                let what = f.attribute.as_deref().unwrap_or("");
                super::masked(&format!("{}: {what} {}", f.severity, f.message))
                    .trim()
                    .to_string()
            })
            .collect();
        (severity, notes)
    }
}

/// One environment's resources, by key.
struct Side<'s> {
    by_key: BTreeMap<&'s str, &'s Resource>,
}

impl<'s> Side<'s> {
    fn new(s: &'s Snapshot) -> Self {
        Side {
            by_key: s
                .resources
                .iter()
                .filter(|r| !r.data)
                .map(|r| (r.key.as_str(), r))
                .collect(),
        }
    }

    fn items(&self, types: &[&str], detail: fn(&Resource) -> String) -> BTreeMap<String, Facts> {
        self.by_key
            .values()
            .filter(|r| types.contains(&r.rtype.as_str()))
            .map(|r| (r.key.clone(), Facts { detail: detail(r) }))
            .collect()
    }

    /// The key of the resource a reference (`aws_subnet.public["a"].id`,
    /// relative to `from`'s module or absolute) names.
    fn resolve(&self, from: &Resource, v: &Value) -> Option<String> {
        let text = match v {
            Value::Unknown(e) => e.clone(),
            Value::String(s) => s.strip_prefix("${")?.strip_suffix('}')?.to_string(),
            _ => return None,
        };
        let target = text.rsplit_once('.').map(|(head, _)| head).unwrap_or(&text);
        if self.by_key.contains_key(target) {
            return Some(target.to_string());
        }
        let prefix = module_prefix(&from.key);
        let full = format!("{prefix}{target}");
        self.by_key.contains_key(full.as_str()).then_some(full)
    }

    /// The security groups a resource is placed in.
    fn groups_of(&self, r: &Resource) -> Vec<String> {
        let mut refs: Vec<&Value> = Vec::new();
        for path in [
            "security_groups",
            "vpc_security_group_ids",
            "security_group_ids",
            "network_configuration.0.security_groups",
            "vpc_config.0.security_group_ids",
            "vpc_options.0.security_group_ids",
            "broker_node_group_info.0.security_groups",
        ] {
            let mut cur = r.attributes.get(path.split('.').next().unwrap_or(path));
            for seg in path.split('.').skip(1) {
                cur = match (cur, seg.parse::<usize>()) {
                    (Some(Value::List(l)), Ok(i)) => l.get(i),
                    (Some(Value::Map(m)), _) => m.get(seg),
                    _ => None,
                };
            }
            if let Some(Value::List(items)) = cur {
                refs.extend(items);
            }
        }
        let mut out: Vec<String> = refs.iter().filter_map(|v| self.resolve(r, v)).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every path: ((from, to, ports), admitting security group).
    fn paths(&self) -> Vec<((String, String, String), String)> {
        // Who sits in each security group.
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in self.by_key.values() {
            let t = r.rtype.as_str();
            if LOAD_BALANCERS.contains(&t) || COMPUTE.contains(&t) || DATA.contains(&t) {
                for sg in self.groups_of(r) {
                    members.entry(sg).or_default().push(r.key.clone());
                }
            }
        }
        let vpc_cidrs: BTreeSet<String> = self
            .by_key
            .values()
            .filter(|r| r.rtype == "aws_vpc")
            .filter_map(|r| r.attributes.get("cidr_block").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        let source_of_cidr = |c: &str| -> String {
            if c == "0.0.0.0/0" || c == "::/0" {
                INTERNET.to_string()
            } else if vpc_cidrs.contains(c) {
                VPC_RANGE.to_string()
            } else {
                format!("range:{}", shown(c))
            }
        };
        let mut out = Vec::new();
        let mut add = |sg: &str, sources: Vec<String>, ports: String| {
            for to in members.get(sg).into_iter().flatten() {
                for from in &sources {
                    if from != to {
                        out.push(((from.clone(), to.clone(), ports.clone()), sg.to_string()));
                    }
                }
            }
        };
        for r in self.by_key.values() {
            match r.rtype.as_str() {
                "aws_security_group" => {
                    let Some(Value::List(rules)) = r.attributes.get("ingress") else {
                        continue;
                    };
                    for rule in rules {
                        let Value::Map(m) = rule else { continue };
                        let mut sources: Vec<String> = Vec::new();
                        for c in
                            strings(m.get("cidr_blocks")).chain(strings(m.get("ipv6_cidr_blocks")))
                        {
                            sources.push(source_of_cidr(&c));
                        }
                        if let Some(Value::List(groups)) = m.get("security_groups") {
                            for g in groups.iter().filter_map(|g| self.resolve(r, g)) {
                                sources.extend(members.get(&g).cloned().unwrap_or_default());
                            }
                        }
                        add(&r.key, sources, ports(m));
                    }
                }
                "aws_security_group_rule" | "aws_vpc_security_group_ingress_rule" => {
                    let a = &r.attributes;
                    if r.rtype == "aws_security_group_rule"
                        && a.get("type").and_then(Value::as_str) != Some("ingress")
                    {
                        continue;
                    }
                    let Some(sg) = a.get("security_group_id").and_then(|v| self.resolve(r, v))
                    else {
                        continue;
                    };
                    let mut sources: Vec<String> = strings(a.get("cidr_blocks"))
                        .chain(strings(a.get("cidr_ipv4")))
                        .chain(strings(a.get("cidr_ipv6")))
                        .map(|c| source_of_cidr(&c))
                        .collect();
                    for key in ["source_security_group_id", "referenced_security_group_id"] {
                        if let Some(g) = a.get(key).and_then(|v| self.resolve(r, v)) {
                            sources.extend(members.get(&g).cloned().unwrap_or_default());
                        }
                    }
                    add(&sg, sources, ports(a));
                }
                _ => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Strings of a string or a list of strings.
fn strings(v: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    let items: Vec<String> = match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::List(l)) => l
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    items.into_iter()
}

/// `tcp 5432`, `tcp 8000-8100`, `all`.
fn ports(m: &crate::model::Map) -> String {
    let proto = m
        .get("protocol")
        .or_else(|| m.get("ip_protocol"))
        .map(Value::display)
        .unwrap_or_default();
    let num = |k: &str| m.get(k).and_then(Value::as_f64).map(|n| n as i64);
    if proto == "-1" || proto == "all" {
        return "all traffic".into();
    }
    match (num("from_port"), num("to_port")) {
        (Some(a), Some(b)) if a == b => format!("{} {a}", shown(&proto)),
        (Some(a), Some(b)) => format!("{} {a}-{b}", shown(&proto)),
        _ => shown(&proto),
    }
}

fn module_prefix(key: &str) -> String {
    // `module.a.module.b.aws_x.y` → `module.a.module.b.`
    let mut prefix = String::new();
    let mut rest = key;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = module_name_end(after);
        prefix.push_str("module.");
        prefix.push_str(&after[..end]);
        prefix.push('.');
        rest = after[end..].trim_start_matches('.');
    }
    prefix
}

/// The length of a module name and its instance key (`db["a.b"]`).
fn module_name_end(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => return i,
            _ => {}
        }
    }
    s.len()
}

/// Every side's items merged by key, each marked with its findings.
fn merge(
    sides: &[Side; 2],
    marks: &Marks,
    items: impl Fn(&Side) -> BTreeMap<String, Facts>,
) -> Vec<Item> {
    let (mut l, mut r) = (items(&sides[0]), items(&sides[1]));
    let keys: BTreeSet<String> = l.keys().chain(r.keys()).cloned().collect();
    keys.into_iter()
        .map(|key| {
            let sides = [l.remove(&key), r.remove(&key)];
            let one_sided = sides[0].is_some() != sides[1].is_some();
            let (severity, notes) = marks.on(&key, one_sided);
            Item {
                title: short_name(&key),
                sides,
                severity,
                notes,
                key,
            }
        })
        .collect()
}

/// `module.database.aws_db_instance.main` → `database.main`;
/// `module.network.aws_subnet.public["${region}a"]` → `network.public[a]`.
pub fn short_name(key: &str) -> String {
    let prefix = module_prefix(key);
    let module = prefix
        .trim_end_matches('.')
        .rsplit("module.")
        .next()
        .unwrap_or("")
        .trim_end_matches('.');
    let rest = &key[prefix.len()..];
    let name = rest.split_once('.').map(|(_, n)| n).unwrap_or(rest);
    let name = name.replace("\"${region}", "\"").replace('"', "");
    let text = if module.is_empty() {
        name
    } else {
        format!("{module}.{name}")
    };
    shown(&text)
}

/// A value as the picture shows it: never a secret's redaction.
fn shown(s: &str) -> String {
    if s.contains(crate::model::value::SENSITIVE_PREFIX) {
        "(sensitive)".into()
    } else {
        s.replace("${region}", "").replace("${env}", "{env}")
    }
}

fn attr(r: &Resource, name: &str) -> Option<String> {
    match r.attributes.get(name)? {
        Value::Null | Value::Unknown(_) | Value::List(_) | Value::Map(_) => None,
        v => Some(shown(&v.display())),
    }
}

fn zone_of(r: &Resource) -> String {
    attr(r, "availability_zone")
        .or_else(|| attr(r, "availability_zone_id"))
        .map(|z| if z.is_empty() { "?".into() } else { z })
        .unwrap_or_else(|| "?".into())
}

fn tier_of(r: &Resource) -> Tier {
    let name = r.key.to_ascii_lowercase();
    let tag = |k: &str| {
        r.attributes
            .get("tags")
            .and_then(|t| t.get_path(k))
            .map(|v| v.display().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let words = format!("{name} {} {}", tag("Name"), tag("Tier"));
    if r.attributes
        .get("map_public_ip_on_launch")
        .and_then(Value::as_bool)
        == Some(true)
        || words.contains("public")
    {
        Tier::Public
    } else if ["database", "db", "data", "isolated", "intra"]
        .iter()
        .any(|w| {
            words.contains(&format!("{w}["))
                || words.contains(&format!(".{w}"))
                || words.contains(&format!("-{w}"))
        })
    {
        Tier::Data
    } else {
        Tier::Private
    }
}

/// `aws_db_instance` → `db`, `aws_ecs_service` → `ecs`.
fn kind_of(rtype: &str) -> &'static str {
    match rtype {
        "aws_lb" | "aws_alb" | "aws_elb" => "lb",
        "aws_ecs_service" => "ecs",
        "aws_eks_cluster" => "eks",
        "aws_eks_node_group" => "nodes",
        "aws_autoscaling_group" => "asg",
        "aws_instance" => "ec2",
        "aws_db_instance" => "rds",
        "aws_rds_cluster" | "aws_docdb_cluster" | "aws_neptune_cluster" => "cluster",
        "aws_elasticache_replication_group" | "aws_elasticache_cluster" => "cache",
        "aws_opensearch_domain" => "search",
        "aws_msk_cluster" => "kafka",
        "aws_mq_broker" => "mq",
        _ => "",
    }
}

fn vpc_detail(r: &Resource) -> String {
    attr(r, "cidr_block").unwrap_or_default()
}

fn cidr_detail(r: &Resource) -> String {
    attr(r, "cidr_block").unwrap_or_default()
}

fn lb_detail(r: &Resource) -> String {
    let kind = match attr(r, "load_balancer_type").as_deref() {
        Some("network") => "NLB",
        Some("gateway") => "GWLB",
        _ if r.rtype == "aws_elb" => "CLB",
        _ => "ALB",
    };
    let scheme = match r.attributes.get("internal").and_then(Value::as_bool) {
        Some(true) => "internal",
        _ => "internet-facing",
    };
    format!("{kind}, {scheme}")
}

fn compute_detail(r: &Resource) -> String {
    match r.rtype.as_str() {
        "aws_ecs_service" => {
            let launch = attr(r, "launch_type").unwrap_or_else(|| "ECS".into());
            format!("ECS {}", launch.to_ascii_lowercase())
        }
        "aws_eks_cluster" => format!("EKS {}", attr(r, "version").unwrap_or_default()),
        "aws_eks_node_group" => format!(
            "node group {}",
            attr(r, "release_version")
                .or_else(|| attr(r, "version"))
                .unwrap_or_default()
        ),
        "aws_autoscaling_group" => "auto scaling group".into(),
        _ => attr(r, "instance_type").unwrap_or_else(|| "instance".into()),
    }
    .trim()
    .to_string()
}

fn data_detail(r: &Resource) -> String {
    let engine = attr(r, "engine").unwrap_or_else(|| match r.rtype.as_str() {
        "aws_msk_cluster" => "kafka".into(),
        "aws_opensearch_domain" => "opensearch".into(),
        "aws_docdb_cluster" => "docdb".into(),
        "aws_neptune_cluster" => "neptune".into(),
        _ => "engine".into(),
    });
    let version = attr(r, "engine_version")
        .or_else(|| attr(r, "kafka_version"))
        .unwrap_or_default();
    let mut text = format!("{engine} {version}").trim().to_string();
    let multi = r.attributes.get("multi_az").and_then(Value::as_bool) == Some(true)
        || r.attributes
            .get("multi_az_enabled")
            .and_then(Value::as_bool)
            == Some(true);
    if multi {
        text.push_str("\nmulti-AZ");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(address: &str, rtype: &str, attrs: &[(&str, Value)]) -> Resource {
        let mut r = Resource::new(
            address,
            rtype,
            crate::model::Location::new("main.tf", Some(1)),
        );
        for (k, v) in attrs {
            r.attributes.insert(k.to_string(), v.clone());
        }
        r
    }

    #[test]
    fn tiers_come_from_public_ips_names_and_tags() {
        let public = resource(
            "aws_subnet.a",
            "aws_subnet",
            &[("map_public_ip_on_launch", Value::Bool(true))],
        );
        assert_eq!(tier_of(&public), Tier::Public);
        assert_eq!(
            tier_of(&resource("aws_subnet.database[0]", "aws_subnet", &[])),
            Tier::Data
        );
        assert_eq!(
            tier_of(&resource(
                "module.vpc.aws_subnet.intra[0]",
                "aws_subnet",
                &[]
            )),
            Tier::Data
        );
        assert_eq!(
            tier_of(&resource("aws_subnet.app[0]", "aws_subnet", &[])),
            Tier::Private
        );
        // `dashboard` holds `db` but is no database tier.
        assert_eq!(
            tier_of(&resource("aws_subnet.dashboard", "aws_subnet", &[])),
            Tier::Private
        );
    }

    #[test]
    fn ports_read_like_security_group_rules() {
        let rule = |proto: &str, from: f64, to: f64| {
            let mut m = crate::model::Map::new();
            m.insert("protocol".into(), Value::str(proto));
            m.insert("from_port".into(), Value::Number(from));
            m.insert("to_port".into(), Value::Number(to));
            m
        };
        assert_eq!(ports(&rule("tcp", 5432.0, 5432.0)), "tcp 5432");
        assert_eq!(ports(&rule("tcp", 8000.0, 8100.0)), "tcp 8000-8100");
        assert_eq!(ports(&rule("-1", 0.0, 0.0)), "all traffic");
    }

    #[test]
    fn short_names_drop_types_and_regions() {
        assert_eq!(
            short_name("module.database.aws_db_instance.main"),
            "database.main"
        );
        assert_eq!(
            short_name("module.network.aws_subnet.public[\"${region}a\"]"),
            "network.public[a]"
        );
        assert_eq!(short_name("aws_vpc.main"), "main");
        assert_eq!(
            module_prefix("module.a[\"x.y\"].module.b.aws_s3_bucket.c"),
            "module.a[\"x.y\"].module.b."
        );
    }
}
