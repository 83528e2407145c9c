//! The normalized model of one environment: a [`Snapshot`] of [`Resource`]s.
//!
//! Every source (Terraform code, state, live AWS) produces this model, with
//! Terraform resource type and attribute names, so one rule judges them all.

pub mod bignum;
pub mod map;
pub mod value;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use map::Map;
pub use value::Value;

/// Where a value came from: `file:line` for code, the state file and address
/// for state, the ARN and region for live resources.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct Location {
    /// Shared: every attribute of a file points at the same name.
    pub file: std::sync::Arc<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl Location {
    pub fn new(file: impl Into<std::sync::Arc<str>>, line: Option<u32>) -> Self {
        Location {
            file: file.into(),
            line,
        }
    }

    pub fn with_line(&self, line: u32) -> Self {
        Location {
            file: self.file.clone(),
            line: Some(line),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file, line),
            None => f.write_str(&self.file),
        }
    }
}

/// Which kind of input a snapshot was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Code,
    State,
    Plan,
    Live,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Code => "code",
            SourceKind::State => "state",
            SourceKind::Plan => "plan",
            SourceKind::Live => "live",
        })
    }
}

/// One resource, data source or dependency record.
///
/// Dependencies (`required_version`, providers, module calls) are modelled as
/// resources of pseudo types (`terraform`, `terraform_provider`,
/// `module_call`) so the same matching and rules apply to them.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Address as written: `module.db.aws_db_instance.main[0]`.
    pub address: String,
    /// Address after normalization; what matching pairs on.
    pub key: String,
    /// Terraform type (`aws_db_instance`), `data.<type>` is not used: see `data`.
    pub rtype: String,
    /// True for data sources.
    pub data: bool,
    /// Attributes by Terraform name. Nested blocks are lists of maps, as in state.
    pub attributes: Map,
    /// Where the resource is declared.
    pub location: Location,
    /// Where each top-level attribute is declared, when known (a locked
    /// provider version lives in the lock file, not where the provider is
    /// required). Shared: every instance of a `count`/`for_each` block has
    /// the same locations, so they hold one map; [`Resource::locate`]
    /// changes one resource's copy only.
    pub attribute_locations: std::sync::Arc<BTreeMap<String, Location>>,
    /// `# parity:ignore <rule> <reason>` comments that apply to this resource:
    /// (rule id, attribute or "" for the whole resource, reason).
    pub ignores: Vec<InlineIgnore>,
    /// The inputs each top-level attribute (and `@count`, the block's
    /// `count`/`for_each`) is computed from, when the source knows them
    /// (Terraform code): the static references of its expression, through
    /// locals, module arguments and module outputs, down to the root
    /// variables and the lines that set them; CloudFormation: the template
    /// parameters a property reads; Pulumi: the stack config it reads. Shared by the instances of a
    /// block, as [`Resource::attribute_locations`] is.
    pub provenance: Provenance,
}

/// Per top-level attribute, its inputs, sorted by name.
pub type Provenance = std::sync::Arc<BTreeMap<String, Inputs>>;

/// Inputs, shared: the same input feeds many attributes.
pub type Inputs = std::sync::Arc<[std::sync::Arc<Input>]>;

/// One input a value was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// `var.azs`, `var.database.engine_version`, `module.database.engine_version`
    /// (an argument of a module call), `module.network.local.nat_azs`,
    /// `data.aws_ami.base`: the same in every environment.
    pub name: std::sync::Arc<str>,
    pub kind: InputKind,
    /// Where it is set: the tfvars line, the `-var`, the variable's
    /// default, the module argument's or local's line, a Terragrunt input.
    pub location: Location,
    /// What two environments compare, normalized and sealed (a sensitive
    /// value is its salted hash): a variable's value; for an argument, a
    /// local or a data source, the text of its expression (the code: its
    /// value follows from its own inputs, listed beside it).
    pub value: Value,
}

/// What kind of input an [`Input`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// A root module variable (tfvars, `-var`, default, Terragrunt input).
    Variable,
    /// An argument of a module call.
    Argument,
    /// A local value.
    Local,
    /// A data source's configuration.
    Data,
    /// A CloudFormation template parameter (the parameter file's line, or
    /// the template's `Default`).
    Parameter,
    /// A Pulumi stack config value (the `Pulumi.<stack>.yaml` line).
    Config,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Variable => "variable",
            InputKind::Argument => "argument",
            InputKind::Local => "local",
            InputKind::Data => "data",
            InputKind::Parameter => "parameter",
            InputKind::Config => "config",
        }
    }
}

/// An inline waiver written in the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineIgnore {
    pub rule: String,
    pub attribute: Option<String>,
    pub reason: String,
    pub location: Location,
}

impl Resource {
    pub fn new(address: impl Into<String>, rtype: impl Into<String>, location: Location) -> Self {
        let address = address.into();
        Resource {
            key: address.clone(),
            address,
            rtype: rtype.into(),
            data: false,
            attributes: Map::new(),
            location,
            attribute_locations: Default::default(),
            ignores: Vec::new(),
            provenance: Default::default(),
        }
    }

    /// Record where attribute `name` is declared.
    pub fn locate(&mut self, name: impl Into<String>, location: Location) {
        std::sync::Arc::make_mut(&mut self.attribute_locations).insert(name.into(), location);
    }

    /// The location of one attribute path (`ingress.1.from_port`): the
    /// longest prefix of it that has one (a source may locate list items
    /// and nested keys, most locate top-level attributes), falling back to
    /// the resource's own.
    pub fn attribute_location(&self, path: &str) -> Location {
        let mut p = path;
        loop {
            if let Some(l) = self.attribute_locations.get(p) {
                return l.clone();
            }
            match p.rsplit_once('.') {
                Some((head, _)) => p = head,
                None => return self.location.clone(),
            }
        }
    }
}

/// Something a source could not read. Missing data is never silence: a
/// snapshot with gaps makes the run "incomplete" (exit 3) unless violations
/// were found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CoverageGap {
    /// What was not read (a file, a module, an API call).
    pub what: String,
    /// Why.
    pub reason: String,
}

/// The normalized model of one environment read from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub environment: String,
    pub source: SourceKind,
    pub resources: Vec<Resource>,
    pub dependencies: Vec<Resource>,
    pub coverage: Vec<CoverageGap>,
    /// Address prefixes (`module.waf`, a Terragrunt unit `app/api`) whose
    /// inside was not read: a module call not expanded, a unit whose
    /// module was not found. Keys like [`Resource::key`] once normalized.
    /// The other environment's resources under one are not reported as
    /// only there: their absence here is unknown, not known (the matching
    /// coverage gap already marks the run incomplete).
    pub unread: Vec<String>,
}

/// Whether `key` is `prefix` or lies under it at a segment boundary
/// (`module.waf.aws_x.y` and `module.waf[0].aws_x.y` are under
/// `module.waf`; `module.waffle.aws_x.y` is not). Under a Terragrunt unit
/// (`app/aws_x.y` under `app`) or the empty prefix (everything of an
/// environment scoped to a module call that was not read), only the
/// unit's own addresses: a nested unit's (`app/api/aws_x.y`, a `/` before
/// any instance key) is not under it.
pub fn under(key: &str, prefix: &str) -> bool {
    let Some(rest) = key.strip_prefix(prefix) else {
        return false;
    };
    let address = match rest.strip_prefix('/') {
        Some(address) => address,
        None if prefix.is_empty() => rest,
        None => return rest.is_empty() || rest.starts_with(['.', '[']),
    };
    let name = address.split('[').next().unwrap_or_default();
    !name.contains('/')
}

impl Snapshot {
    pub fn new(environment: impl Into<String>, source: SourceKind) -> Self {
        Snapshot {
            environment: environment.into(),
            source,
            resources: Vec::new(),
            dependencies: Vec::new(),
            coverage: Vec::new(),
            unread: Vec::new(),
        }
    }

    /// Whether `key` lies under one of [`Snapshot::unread`] (the prefix
    /// itself, or past a `.`, `[` or `/` after it).
    pub fn unread_covers(&self, key: &str) -> bool {
        self.unread.iter().any(|p| under(key, p))
    }

    /// Resources and dependency records together, in a stable order.
    pub fn all(&self) -> impl Iterator<Item = &Resource> {
        self.dependencies.iter().chain(self.resources.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::under;

    #[test]
    fn under_stops_at_segment_boundaries() {
        assert!(under("module.waf", "module.waf"));
        assert!(under("module.waf.aws_x.y", "module.waf"));
        assert!(under("module.waf[0].aws_x.y", "module.waf"));
        assert!(under("module.waf[\"a/b\"].aws_x.y", "module.waf"));
        assert!(!under("module.waffle.aws_x.y", "module.waf"));
        assert!(!under("aws_x.y", "module.waf"));
        // A Terragrunt unit: its own addresses, not a nested unit's.
        assert!(under("app/aws_x.y", "app"));
        assert!(under("app/aws_x.y[\"a/b\"]", "app"));
        assert!(under("app/module.m.aws_x.y", "app"));
        assert!(!under("app/api/aws_x.y", "app"));
        assert!(!under("apple/aws_x.y", "app"));
        assert!(under("app/module.logs.aws_x.y", "app/module.logs"));
        // Everything of an environment (or a root unit's own addresses).
        assert!(under("aws_x.y", ""));
        assert!(under("module.m.aws_x.y[\"a/b\"]", ""));
        assert!(!under("app/aws_x.y", ""));
    }
}
