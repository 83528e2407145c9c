//! Findings: what the rule engine concludes about one difference.
//!
//! A check builds `Finding` values; rendering them is the report's job.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How much a finding matters. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning or info)"
            )),
        }
    }
}

/// The four categories of the mission, plus `config` for differences no
/// domain rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Engine,
    Iam,
    Topology,
    Dependency,
    Config,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Engine,
        Category::Iam,
        Category::Topology,
        Category::Dependency,
        Category::Config,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Engine => "engine",
            Category::Iam => "iam",
            Category::Topology => "topology",
            Category::Dependency => "dependency",
            Category::Config => "config",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown category `{s}` (expected engine, iam, topology, dependency or config)"
                )
            })
    }
}

/// Which two sources of one environment a drift finding is between
/// (`parity drift`): the left side first, as in `left` and `right`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Between {
    /// The code against its state: not applied, changed outside the code,
    /// removed from the code but not destroyed.
    #[serde(rename = "code/state")]
    CodeState,
    /// The state against the live account: changed or deleted outside
    /// Terraform, created by hand.
    #[serde(rename = "state/live")]
    StateLive,
    /// The code against a live resource the state does not know.
    #[serde(rename = "code/live")]
    CodeLive,
}

impl Between {
    pub const ALL: [Between; 3] = [Between::CodeState, Between::StateLive, Between::CodeLive];

    pub fn as_str(self) -> &'static str {
        match self {
            Between::CodeState => "code/state",
            Between::StateLive => "state/live",
            Between::CodeLive => "code/live",
        }
    }

    /// The two sources, left first: (`"state"`, `"live"`).
    pub fn sides(self) -> (&'static str, &'static str) {
        match self {
            Between::CodeState => ("code", "state"),
            Between::StateLive => ("state", "live"),
            Between::CodeLive => ("code", "live"),
        }
    }
}

impl fmt::Display for Between {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a live resource is with respect to the environment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Exists in the account, absent from the state: created outside
    /// Terraform (or its state entry was removed).
    Unmanaged,
    /// In the state, absent from the account: deleted outside Terraform.
    Missing,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Unmanaged => "unmanaged",
            Label::Missing => "missing",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A waiver that applied to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `parity.toml:42` or `envs/staging/main.tf:12` for inline ignores.
    pub location: String,
}

/// One judged difference between two environments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    /// Normalized resource address (the pairing key).
    pub resource: String,
    #[serde(rename = "type")]
    pub rtype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// Left environment's value, rendered; `None` when absent.
    pub left: Option<String>,
    pub right: Option<String>,
    /// `file:line` per environment name.
    pub locations: BTreeMap<String, String>,
    pub message: String,
    /// A unified diff (policies), when the values are documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// An expected difference (the `ignore` comparator): info, shown with --verbose.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expected: bool,
    /// Baseline status: new / existing / resolved. `None` without a baseline.
    pub status: Option<String>,
    pub waiver: Option<AppliedWaiver>,
    /// Drift only: the two sources the difference is between.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<Between>,
    /// A resource live but not in state (`unmanaged`), or in state but not
    /// live (`missing`): in `parity drift` and in `diff --source live` of an
    /// environment with state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// The inputs whose difference between the two environments makes
    /// this one (provenance): a variable and the tfvars line that set it
    /// on each side, a module argument, a local. Empty when the two values
    /// read the same inputs alike (or the source does not know its inputs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

/// An input that differs between the two environments and feeds a
/// finding's attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// `var.azs`, `var.database.engine_version`,
    /// `module.database.engine_version` (a module argument), `local.name`.
    pub input: String,
    pub kind: crate::model::InputKind,
    /// Its value on each side (the expression's text for an argument or a
    /// local); `None` where that environment does not have the input.
    pub left: Option<String>,
    pub right: Option<String>,
    /// Where each environment sets it: `file:line` per environment name.
    pub locations: BTreeMap<String, String>,
}

impl Cause {
    /// `var.azs: ["a","b"] at envs/staging/terraform.tfvars:20 vs ["a","b","c"] at envs/prod/terraform.tfvars:20`
    pub fn describe(&self, left_env: &str, right_env: &str) -> String {
        let at = |env: &str| self.locations.get(env).map(String::as_str).unwrap_or("-");
        format!(
            "{}: {} at {} vs {} at {}",
            self.input,
            crate::report::one_line(&crate::report::shown_value(self.left.as_deref()), 60),
            at(left_env),
            crate::report::one_line(&crate::report::shown_value(self.right.as_deref()), 60),
            at(right_env)
        )
    }
}

impl Finding {
    /// Whether this finding counts against `--fail-on`.
    pub fn is_violation(&self) -> bool {
        !self.expected && self.waiver.is_none() && self.status.as_deref() != Some("resolved")
    }

    /// Sort key: category, resource, attribute, rule, then the sources a
    /// drift finding is between. Output order never depends on hash order
    /// or file system order.
    pub fn sort_key(&self) -> (Category, &str, &str, &str, Option<Between>) {
        (
            self.category,
            &self.resource,
            self.attribute.as_deref().unwrap_or(""),
            &self.rule,
            self.between,
        )
    }

    /// The drift labels as renderers show them: `state/live, unmanaged`;
    /// `None` for an ordinary finding.
    pub fn labels(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .between
            .map(Between::as_str)
            .into_iter()
            .chain(self.label.map(Label::as_str))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}
