//! Which `get_env` names pick the environment, for `parity init`.
//!
//! The rule (docs/terragrunt.md, "`get_env` values"): a name read with
//! `get_env("NAME")` in the repository's `.hcl` files *selects the
//! environment* when the files say so:
//!
//! - it is compared (`==`, `!=`) with a string that is one of the
//!   environments' directory names (`get_env("ENVIRONMENT") == "production"`),
//!   or
//! - it is interpolated into a path whose component, with an
//!   environment's directory name in its place, names a file or directory
//!   of the repository (`"../${get_env("ENVIRONMENT")}_config.tfvars"` and
//!   `production_config.tfvars` exists).
//!
//! Without such uses, a name that *looks* like one (`ENVIRONMENT`, `ENV`,
//! `STAGE`, `TF_ENV`, `TG_ENV`, or ending in `_ENV` / `_ENVIRONMENT`) is one
//! too, unless the files use it otherwise (compared with or interpolated
//! into something no environment name fits): evidence wins over the name.
//!
//! In a single tree (no environment directories), a name's candidate values
//! are the environment-like strings it is compared with and the values that
//! make its interpolated paths name existing files (`staging` and
//! `production` from `staging_config.tfvars` and `production_config.tfvars`;
//! when the rest of the path component is only an extension, as in
//! `${get_env("ENV")}.tfvars`, only a bare environment word counts, so a
//! `terraform.tfvars` is not taken for an environment). A name with two or
//! more candidates splits the tree into one environment per value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::init::prod_rank;
use crate::sources::terraform::files;

/// A path component around an interpolated `get_env`: `prefix${...}suffix`.
#[derive(Debug, Clone)]
struct Template {
    at: String,
    /// The whole string, for the notes.
    text: String,
    prefix: String,
    suffix: String,
}

/// How the repository's `.hcl` files use `get_env`.
#[derive(Debug, Default)]
pub struct Uses {
    /// Every name read.
    pub names: BTreeSet<String>,
    /// Name -> (string compared with, where).
    compared: BTreeMap<String, Vec<(String, String)>>,
    /// Name -> path templates it is interpolated into.
    templates: BTreeMap<String, Vec<Template>>,
    /// Names of every file and directory of the repository (not hidden).
    basenames: BTreeSet<String>,
    /// Names read at least once without a default (`get_env("N")`).
    undefaulted: BTreeSet<String>,
}

/// A name that selects the environment, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: String,
    pub why: String,
}

/// Whether the name looks like an environment selector by itself.
pub fn env_like_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    matches!(
        n.as_str(),
        "ENVIRONMENT" | "ENV" | "STAGE" | "TF_ENV" | "TG_ENV"
    ) || n.ends_with("_ENV")
        || n.ends_with("_ENVIRONMENT")
}

/// The end (exclusive) of the call whose `(` is at `open`, skipping strings.
fn call_end(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                b'\n' => return None,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                b'\n' => return None,
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// A string literal (without interpolation) starting at `i` (its `"`).
fn literal_at(text: &str, i: usize) -> Option<String> {
    let rest = text.get(i..)?.strip_prefix('"')?;
    let end = rest.find('"')?;
    let s = &rest[..end];
    (!s.contains("${") && !s.contains('\\') && !s.contains('\n')).then(|| s.to_string())
}

/// A string literal ending at `end` (exclusive, just after its `"`).
fn literal_before(text: &str, end: usize) -> Option<String> {
    let head = text.get(..end)?.strip_suffix('"')?;
    let start = head.rfind('"')?;
    let s = &head[start + 1..];
    (!s.contains("${") && !s.contains('\n') && !s.contains('}')).then(|| s.to_string())
}

impl Uses {
    /// Read the `.hcl` files below `dir` (hidden directories skipped).
    pub fn scan(dir: &Path) -> Self {
        let mut out = Uses::default();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            // Sorted, so that the first use quoted in a note is stable.
            let mut entries: Vec<_> = rd.flatten().collect();
            entries.sort_by_key(std::fs::DirEntry::file_name);
            // Depth first, in name order.
            entries.reverse();
            for e in entries {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let path = e.path();
                out.basenames.insert(name.clone());
                if path.is_dir() {
                    todo.push(path);
                } else if name.ends_with(".hcl") {
                    let Ok(text) =
                        crate::input::read_text(&path, crate::input::limits().tfvars_file)
                    else {
                        continue;
                    };
                    out.read(&files::relative(dir, &path), &text);
                }
            }
        }
        out
    }

    /// Record the uses in one file's text.
    fn read(&mut self, rel: &str, text: &str) {
        let b = text.as_bytes();
        for (i, _) in text.match_indices("get_env(\"") {
            let rest = &text[i + 9..];
            let n: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if n.is_empty() {
                continue;
            }
            self.names.insert(n.clone());
            let line = text[..i].matches('\n').count() + 1;
            let at = format!("{rel}:{line}");
            let Some(end) = call_end(b, i + 7) else {
                self.undefaulted.insert(n.clone());
                continue;
            };
            // `get_env("N")` or `get_env("N", default)`: the name's string
            // holds no comma, so one after it is the default's.
            let name_end = i + 9 + n.len() + 1;
            if !text
                .get(name_end..end)
                .is_some_and(|a| a.trim_start().starts_with(','))
            {
                self.undefaulted.insert(n.clone());
            }
            // Compared after: get_env("N") == "x".
            let after = text[end..].trim_start();
            let after_at = text.len() - after.len();
            if after.starts_with("==") || after.starts_with("!=") {
                let lit_start = after_at + 2 + (after[2..].len() - after[2..].trim_start().len());
                if let Some(l) = literal_at(text, lit_start) {
                    self.compared
                        .entry(n.clone())
                        .or_default()
                        .push((l, at.clone()));
                }
            }
            // Compared before: "x" == get_env("N").
            let before = text[..i].trim_end();
            if before.ends_with("==") || before.ends_with("!=") {
                let b2 = before[..before.len() - 2].trim_end();
                if let Some(l) = literal_before(text, b2.len()) {
                    self.compared
                        .entry(n.clone())
                        .or_default()
                        .push((l, at.clone()));
                }
            }
            // Interpolated: "prefix${get_env("N")}suffix".
            if before.ends_with("${") && after.starts_with('}') {
                let open = before.len() - 2;
                let line_start = text[..open].rfind('\n').map_or(0, |p| p + 1);
                let head = &text[line_start..open];
                let Some(q) = head.rfind(['"', '}']) else {
                    continue;
                };
                let prefix = &head[q + 1..];
                let tail = &after[1..];
                let stop = tail.find(['"', '$', '\n']).unwrap_or(tail.len());
                let suffix = &tail[..stop];
                let whole_end = after_at + 1 + stop;
                let comp_prefix = prefix.rsplit('/').next().unwrap_or_default();
                let comp_suffix = suffix.split('/').next().unwrap_or_default();
                self.templates.entry(n).or_default().push(Template {
                    at,
                    text: text[line_start + q + 1..whole_end].to_string(),
                    prefix: comp_prefix.to_string(),
                    suffix: comp_suffix.to_string(),
                });
            }
        }
    }

    /// Whether any use of `name` fits one of `values`; `None` when it is
    /// used in no comparison or path at all.
    fn fits(&self, name: &str, values: &[String]) -> Option<(bool, String)> {
        let compared = self.compared.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let templates = self.templates.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if compared.is_empty() && templates.is_empty() {
            return None;
        }
        let mut why = Vec::new();
        if let Some(t) = templates.iter().find_map(|t| {
            values.iter().find_map(|v| {
                let f = format!("{}{v}{}", t.prefix, t.suffix);
                self.basenames.contains(&f).then(|| {
                    format!(
                        "{} reads \"{}\", which with \"{v}\" names the existing {f}",
                        t.at, t.text
                    )
                })
            })
        }) {
            why.push(t);
        }
        if let Some((l, at)) = compared.iter().find(|(l, _)| values.contains(l)) {
            why.push(format!(
                "{at} compares it with \"{l}\", an environment's directory name"
            ));
        }
        if !why.is_empty() {
            return Some((true, why.join("; ")));
        }
        let first = compared
            .first()
            .map(|(l, at)| format!("{at} compares it with \"{l}\""))
            .or_else(|| {
                templates
                    .first()
                    .map(|t| format!("{} reads \"{}\"", t.at, t.text))
            })
            .unwrap_or_default();
        Some((false, first))
    }

    /// The names that select among the environments named `values`, each
    /// with why; and the names left to the user, each with why not.
    pub fn selectors(&self, values: &[String]) -> (Vec<Selector>, Vec<(String, String)>) {
        let mut chosen = Vec::new();
        let mut left = Vec::new();
        for n in &self.names {
            match self.fits(n, values) {
                Some((true, why)) => chosen.push(Selector {
                    name: n.clone(),
                    why,
                }),
                Some((false, why)) => {
                    let default = if self.undefaulted.contains(n) {
                        ""
                    } else {
                        "; every read gives a default, used until `env` sets it"
                    };
                    left.push((
                        n.clone(),
                        format!("its uses fit no environment name ({why}){default}"),
                    ));
                }
                None if env_like_name(n) => chosen.push(Selector {
                    name: n.clone(),
                    why: "its name says it is the environment (it is never compared with or put in a path)"
                        .into(),
                }),
                None => left.push((n.clone(), self.unknown_why(n))),
            }
        }
        (chosen, left)
    }

    /// Why a name's value is not known, for the notes.
    pub fn unknown_why(&self, name: &str) -> String {
        if self.undefaulted.contains(name) {
            "nothing in the files says its value".into()
        } else {
            "nothing in the files says its value; every read gives a default, used until `env` sets it".into()
        }
    }

    /// In a single tree: the name that picks the environment and its
    /// candidate values (two or more), with why.
    pub fn split(&self) -> Option<(Selector, Vec<String>)> {
        let mut best: Option<(Selector, Vec<String>)> = None;
        for n in &self.names {
            let mut values: BTreeSet<String> = BTreeSet::new();
            let mut why = Vec::new();
            for (l, at) in self.compared.get(n).map(Vec::as_slice).unwrap_or(&[]) {
                if prod_rank(l).is_some() && values.insert(l.clone()) {
                    why.push(format!("{at} compares it with \"{l}\""));
                }
            }
            for t in self.templates.get(n).map(Vec::as_slice).unwrap_or(&[]) {
                let only_ext =
                    t.prefix.is_empty() && (t.suffix.is_empty() || t.suffix.starts_with('.'));
                let mut found = Vec::new();
                for b in &self.basenames {
                    let Some(v) = b
                        .strip_prefix(t.prefix.as_str())
                        .and_then(|r| r.strip_suffix(t.suffix.as_str()))
                    else {
                        continue;
                    };
                    let plain = !v.is_empty()
                        && v.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
                    // Beside a bare extension only a bare environment
                    // word counts (`prod.tfvars`, not `terraform.tfvars`
                    // nor `staging_config.tfvars`).
                    let word =
                        prod_rank(v).is_some() && v.bytes().all(|c| c.is_ascii_alphanumeric());
                    if plain && (!only_ext || word) {
                        values.insert(v.into());
                        found.push(b.clone());
                    }
                }
                if !found.is_empty() {
                    why.push(format!(
                        "{} reads \"{}\" and {} exist",
                        t.at,
                        t.text,
                        found.join(", ")
                    ));
                }
            }
            if values.len() < 2 {
                continue;
            }
            let better = match &best {
                None => true,
                Some((s, v)) => {
                    values.len() > v.len()
                        || (values.len() == v.len() && env_like_name(n) && !env_like_name(&s.name))
                }
            };
            if better {
                best = Some((
                    Selector {
                        name: n.clone(),
                        why: why.join("; "),
                    },
                    values.into_iter().collect(),
                ));
            }
        }
        best
    }
}
