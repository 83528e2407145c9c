//! `.terraform/modules/modules.json`: where `terraform init` installed the
//! registry and git modules a root module calls, so they are expanded like
//! local ones.
//!
//! Terraform writes one entry per module call, keyed by the path of call
//! names from the root (`waf`, `waf.rules`; instance keys of `count` and
//! `for_each` are not part of it), with the directory it installed the
//! module into, relative to the root module.
//!
//! A manifest that is not valid JSON fails the load with its file, line and
//! column, as Terraform itself refuses to plan with one: the fix is to run
//! `terraform init` again. A call the manifest does not cover, whose
//! directory is gone, or that the code has changed since (another source or
//! a version outside the constraint) is not expanded, and coverage says why.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::files::display;
use super::TfError;

/// Where the manifest lives, relative to the root module.
pub const MANIFEST: &str = ".terraform/modules/modules.json";

#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file, as shown to users.
    pub shown: String,
    entries: HashMap<String, Entry>,
    root: PathBuf,
    base: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
struct Entry {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Source", default)]
    source: String,
    #[serde(rename = "Version", default)]
    version: Option<String>,
    #[serde(rename = "Dir")]
    dir: String,
}

#[derive(Debug, Deserialize)]
struct File {
    #[serde(rename = "Modules")]
    modules: Vec<Entry>,
}

/// Read the manifest of the root module `root`, if `terraform init` wrote
/// one there.
pub fn read(root: &Path, base: &Path) -> Result<Option<Manifest>, TfError> {
    let path = root.join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let shown = display(base, &path);
    let text =
        crate::input::read_text(&path, crate::input::SMALL_FILE).map_err(|source| TfError::Io {
            path: shown.clone(),
            cause: source,
        })?;
    let file: File = serde_json::from_str(super::parse::strip_bom(&text)).map_err(|e| {
        // serde_json ends its message with " at line L column C": the
        // position is already in front, as for every syntax error.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_string();
        TfError::Fatal(format!(
            "{shown}:{}:{}: cannot read the module manifest written by `terraform init`: {message} \
             (run `terraform init` again, or delete .terraform/modules)",
            e.line(),
            e.column()
        ))
    })?;
    let entries = file
        .modules
        .into_iter()
        .map(|e| (e.key.clone(), e))
        .collect();
    Ok(Some(Manifest {
        shown,
        entries,
        root: root.to_path_buf(),
        base: base.to_path_buf(),
    }))
}

impl Manifest {
    /// The directory the module call `key` was installed into, or why it
    /// cannot be expanded (a coverage reason).
    pub fn installed(
        &self,
        key: &str,
        source: &str,
        version: Option<&str>,
    ) -> Result<PathBuf, NotInstalled> {
        let module_source = source.to_string();
        let manifest = self.shown.clone();
        let Some(entry) = self.entries.get(key) else {
            return Err(NotInstalled::NoEntry {
                module_source,
                manifest,
                key: key.to_string(),
            });
        };
        if !entry.source.is_empty() && same_source(&entry.source) != same_source(source) {
            return Err(NotInstalled::OtherSource {
                module_source,
                manifest,
                installed: entry.source.clone(),
            });
        }
        if let (Some(installed), Some(constraint)) = (entry.version.as_deref(), version) {
            if super::deps::satisfies(installed, constraint) == Some(false) {
                return Err(NotInstalled::OtherVersion {
                    manifest,
                    installed: installed.to_string(),
                    constraint: constraint.to_string(),
                });
            }
        }
        let dir = super::files::lexical(&self.root.join(&entry.dir));
        if !dir.is_dir() {
            return Err(NotInstalled::MissingDir {
                module_source,
                manifest,
                dir: display(&self.base, &dir),
            });
        }
        Ok(dir)
    }
}

/// Why a module call that is not local cannot be expanded: a coverage gap's
/// reason (the call itself is still compared).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotInstalled {
    #[error("module source `{module_source}` is not local and not installed here (no {MANIFEST}): its inside was not expanded (only the call is compared)")]
    NoManifest { module_source: String },
    #[error("module source `{module_source}` is not local and {manifest} has no entry `{key}` (added after the last `terraform init`?): its inside was not expanded (only the call is compared)")]
    NoEntry {
        module_source: String,
        manifest: String,
        key: String,
    },
    #[error("{manifest} installed `{installed}` but the code asks for `{module_source}` (run `terraform init`): its inside was not expanded (only the call is compared)")]
    OtherSource {
        module_source: String,
        manifest: String,
        installed: String,
    },
    #[error("{manifest} installed version {installed}, outside the code's constraint `{constraint}` (run `terraform init`): its inside was not expanded (only the call is compared)")]
    OtherVersion {
        manifest: String,
        installed: String,
        constraint: String,
    },
    #[error("{manifest} installs module source `{module_source}` in {dir}, which does not exist (run `terraform init`): its inside was not expanded (only the call is compared)")]
    MissingDir {
        module_source: String,
        manifest: String,
        dir: String,
    },
}

/// A module source address in one spelling, so the manifest's (Terraform
/// records `registry.terraform.io/...` and `git::https://...`) compares
/// equal to the code's shorthand (`org/name/aws`, `github.com/org/repo`).
fn same_source(source: &str) -> String {
    let mut s = source.trim().to_string();
    for prefix in ["registry.terraform.io/", "git::"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    if let Some(rest) = s.strip_prefix("git@") {
        // git@github.com:org/repo.git → ssh://git@github.com/org/repo.git
        s = format!("ssh://git@{}", rest.replacen(':', "/", 1));
    }
    for host in ["github.com/", "bitbucket.org/"] {
        if s.starts_with(host) {
            s = format!("https://{s}");
        }
    }
    // `.git` before the query, the subdirectory or the end.
    let cut = s.find(['?']).unwrap_or(s.len());
    let (addr, query) = s.split_at(cut);
    let addr = match addr.split_once("//") {
        Some((scheme, rest)) if scheme.ends_with(':') => match rest.split_once("//") {
            Some((repo, sub)) => format!(
                "{scheme}//{}//{sub}",
                repo.strip_suffix(".git").unwrap_or(repo)
            ),
            None => format!("{scheme}//{}", rest.strip_suffix(".git").unwrap_or(rest)),
        },
        Some((repo, sub)) => format!("{}//{sub}", repo.strip_suffix(".git").unwrap_or(repo)),
        None => addr.strip_suffix(".git").unwrap_or(addr).to_string(),
    };
    format!("{addr}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_in_manifest_and_code_spelling_compare_equal() {
        assert_eq!(
            same_source("registry.terraform.io/terraform-aws-modules/vpc/aws"),
            same_source("terraform-aws-modules/vpc/aws")
        );
        assert_eq!(
            same_source("git::https://github.com/org/waf.git?ref=v1.2"),
            same_source("github.com/org/waf?ref=v1.2")
        );
        assert_eq!(
            same_source("git::https://github.com/org/waf.git//modules/rules?ref=v1.2"),
            same_source("github.com/org/waf//modules/rules?ref=v1.2")
        );
        assert_eq!(
            same_source("git::ssh://git@github.com/org/waf.git?ref=v1"),
            same_source("git@github.com:org/waf.git?ref=v1")
        );
        assert_ne!(
            same_source("git::https://github.com/org/waf.git?ref=v1.2"),
            same_source("git::https://github.com/org/waf.git?ref=v1.3")
        );
    }
}
