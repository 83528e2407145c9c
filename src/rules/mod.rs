//! Rules: what to compare, how, and how much a difference matters.
//!
//! Rules are declared once, in TOML packs under `rules/` (embedded in the
//! binary) or in the user's own files; `parity rules show` and docs/rules.md
//! are generated from the same text.

pub mod compare;
pub mod describe;
pub mod engine;
pub mod packs;

use serde::{Deserialize, Serialize};

use crate::findings::{Category, Severity};

/// How two values are compared. Each variant is a small unit in
/// [`compare`], tested on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Comparator {
    /// Equal after normalization.
    Equal,
    /// Versions, compared up to `level`.
    Version,
    /// Order-free lists.
    Set,
    /// Canonical IAM policy documents.
    Policy,
    /// Same structure; values may differ (CIDR prefix lengths, list lengths).
    Shape,
    /// Instance classes: same family and processor architecture.
    Family,
    /// Present in both environments.
    Present,
    /// Unset in every environment: a value is a finding on its own, even
    /// when both environments hold the same one (an unpinned module).
    Absent,
    /// An expected difference: listed at `info` with `--verbose`.
    Ignore,
    /// Equal, except that values differing only in generated (hash-like)
    /// tokens are an expected difference at `info`.
    Tokens,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Equal => "equal",
            Comparator::Version => "version",
            Comparator::Set => "set",
            Comparator::Policy => "policy",
            Comparator::Shape => "shape",
            Comparator::Family => "family",
            Comparator::Present => "present",
            Comparator::Absent => "absent",
            Comparator::Ignore => "ignore",
            Comparator::Tokens => "tokens",
        }
    }
}

/// The `level` option of the `version` comparator: the most specific version
/// component that must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionLevel {
    Major,
    Minor,
    Patch,
}

/// One `[[rule]]` of a pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    /// Resource types; `"*"` for all.
    pub resources: Vec<String>,
    /// Attribute paths, dotted; `*` matches one segment.
    pub attributes: Vec<String>,
    pub compare: Comparator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<VersionLevel>,
    pub summary: String,
    pub why: String,
}
