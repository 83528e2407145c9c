//! Remote module sources from `.terragrunt-cache`: when `terragrunt init`
//! (or `plan`) has run in a unit, the unit directory holds the copy of its
//! remote `terraform { source }` it downloaded, and parity reads that copy
//! instead of leaving the unit uncompared.
//!
//! Terragrunt's layout (`terraform/source.go`, `NewSource`): a source
//! `S//P?Q` used by the unit in directory `w` is downloaded whole into
//! `w/.terragrunt-cache/W/H` and run in `w/.terragrunt-cache/W/H/P`, where
//! `W` is the base64 (URL alphabet, unpadded) SHA-1 of `w`'s absolute path,
//! `H` that of the canonical root URL `S` without its query string, and
//! `H/.terragrunt-source-version` holds that of the query string (`Q`,
//! `ref=v0.8.0`): the version. A copy is used only when its `H` is the
//! source's and its version file is the source's version; `W` is not
//! required to match (a repository checked out elsewhere keeps its cache),
//! the copy of the current `w` being preferred.

use std::path::{Path, PathBuf};

use base64::Engine;
use sha1::{Digest, Sha1};

/// The cache directory Terragrunt creates in each unit.
pub(crate) const CACHE_DIR: &str = ".terragrunt-cache";

/// Where a remote source was looked for in the unit's cache.
#[derive(Debug, PartialEq)]
pub(crate) enum Cached {
    /// The module's working directory in the cache.
    At(PathBuf),
    /// No cache, or nothing in it for this source.
    Absent,
    /// A copy of the source is there but not usable; why.
    Unusable(String),
}

/// Terragrunt's `EncodeBase64Sha1`.
pub(crate) fn encode(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha1::digest(s.as_bytes()))
}

/// A remote source split as Terragrunt splits it: the canonical root URL
/// (go-getter's forced getter kept, no query), the subdirectory after
/// `//`, and the query string as Go's `url.Values.Encode` writes it
/// (sorted by key).
#[derive(Debug, PartialEq)]
pub(crate) struct Split {
    pub(crate) root: String,
    pub(crate) subdir: String,
    pub(crate) query: String,
}

pub(crate) fn split(source: &str) -> Split {
    // Forced getters (`git::`, `s3::`), possibly stacked.
    let mut forced = Vec::new();
    let mut rest = source;
    while let Some((getter, tail)) = rest.split_once("::") {
        if getter.is_empty() || !getter.chars().all(|c| c.is_ascii_alphanumeric()) {
            break;
        }
        forced.push(getter);
        rest = tail;
    }
    let (url, query) = rest.split_once('?').unwrap_or((rest, ""));
    // The subdirectory: after the first `//` that is not the scheme's.
    let path_from = url.find("://").map_or(0, |i| i + 3);
    let (url, subdir) = match url[path_from..].find("//") {
        Some(i) => (&url[..path_from + i], &url[path_from + i + 2..]),
        None => (url, ""),
    };
    let mut url = url.to_string();
    // go-getter's detectors, for the forms live repositories use.
    if forced.is_empty() {
        let bare = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(&url);
        if let Some(repo) = bare.strip_prefix("github.com/") {
            let repo = repo.trim_end_matches('/');
            let suffix = if repo.ends_with(".git") { "" } else { ".git" };
            url = format!("https://github.com/{repo}{suffix}");
            forced.push("git");
        } else if bare.starts_with("git@") {
            forced.push("git");
        }
    }
    if let Some(ssh) = url.strip_prefix("git@") {
        // `git@github.com:acme/modules.git` → `ssh://git@github.com/acme/modules.git`
        if let Some((host, path)) = ssh.split_once(':') {
            url = format!("ssh://git@{host}/{path}");
        }
    }
    let scheme = forced.iter().rev().fold(String::new(), |acc, g| {
        if acc.is_empty() {
            (*g).to_string()
        } else {
            format!("{g}::{acc}")
        }
    });
    let root = if scheme.is_empty() {
        url
    } else {
        format!("{scheme}::{url}")
    };
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_by_key(|p| p.split('=').next().unwrap_or_default());
    Split {
        root,
        subdir: subdir.trim_matches('/').to_string(),
        query: pairs.join("&"),
    }
}

/// The working directory of `source` in the cache of the unit in `dir`
/// (absolute).
pub(crate) fn find(dir: &Path, source: &str) -> Cached {
    let cache = dir.join(CACHE_DIR);
    let Ok(entries) = std::fs::read_dir(&cache) else {
        return Cached::Absent;
    };
    let s = split(source);
    let name = encode(&s.root);
    let version = encode(&s.query);
    let own = encode(&dir.to_string_lossy());
    let mut candidates: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join(&name))
        .filter(|p| p.is_dir())
        .collect();
    if candidates.is_empty() {
        // Older Terragrunt releases padded the hashes (`=`).
        candidates = std::fs::read_dir(&cache)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join(format!("{name}=")))
            .filter(|p| p.is_dir())
            .collect();
    }
    if candidates.is_empty() {
        return Cached::Absent;
    }
    // The copy made for this directory first, then by name.
    candidates.sort_by_key(|p| {
        let w = p
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().trim_end_matches('=').to_string())
            .unwrap_or_default();
        (w != own, p.clone())
    });
    let mut why = String::new();
    for download in candidates {
        let found = std::fs::read_to_string(download.join(".terragrunt-source-version"))
            .map(|v| v.trim().trim_end_matches('=').to_string());
        match found {
            Ok(v) if v == version => {}
            Ok(_) => {
                why = format!(
                    "{CACHE_DIR} holds another version of the source (its .terragrunt-source-version is not that of `{}`)",
                    s.query
                );
                continue;
            }
            Err(_) => {
                why = format!("{CACHE_DIR} holds the source without a .terragrunt-source-version");
                continue;
            }
        }
        let working = if s.subdir.is_empty() {
            download.clone()
        } else {
            download.join(&s.subdir)
        };
        if working.is_dir() {
            return Cached::At(working);
        }
        why = format!(
            "{CACHE_DIR} holds the source without its subdirectory `{}`",
            s.subdir
        );
    }
    Cached::Unusable(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_split_as_terragrunt_and_go_getter_do() {
        let s = split("git::git@github.com:acme/modules.git//mysql?ref=v0.8.0");
        assert_eq!(s.root, "git::ssh://git@github.com/acme/modules.git");
        assert_eq!(s.subdir, "mysql");
        assert_eq!(s.query, "ref=v0.8.0");
        let s = split("git::https://example.com/modules.git//db/pg?ref=v1&depth=1");
        assert_eq!(s.root, "git::https://example.com/modules.git");
        assert_eq!(s.subdir, "db/pg");
        assert_eq!(s.query, "depth=1&ref=v1");
        let s = split("github.com/acme/modules//vpc?ref=v2");
        assert_eq!(s.root, "git::https://github.com/acme/modules.git");
        assert_eq!(s.subdir, "vpc");
        let s = split("tfr:///terraform-aws-modules/vpc/aws?version=5.1.0");
        assert_eq!(s.root, "tfr:///terraform-aws-modules/vpc/aws");
        assert_eq!(s.subdir, "");
        assert_eq!(s.query, "version=5.1.0");
    }

    #[test]
    fn hashes_are_terragrunts() {
        // base64url(sha1("")) without padding.
        assert_eq!(encode(""), "2jmj7l5rSw0yVb_vlWAYkK_YBwk");
        assert_eq!(encode("ref=v0.8.0").len(), 27);
    }
}
