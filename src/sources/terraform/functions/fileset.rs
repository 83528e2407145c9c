//! `fileset(path, pattern)` as Terraform 1.11 computes it: the pattern is
//! joined to the path (`filepath.Join`, which cleans it), globbed with
//! github.com/bmatcuk/doublestar v1.1.5 (the version Terraform uses), the
//! matches that are regular files (symbolic links followed) kept, made
//! relative to the path and written with forward slashes: a sorted set.
//!
//! doublestar v1.1.5's semantics, ported here: `*` is any run of characters
//! within one path component, `?` one character, `[a-z]` and `[^a-z]` a
//! class, `{a,b}` alternatives, `\` escapes the next character, and a
//! component that is exactly `**` matches zero or more directories,
//! following symbolic links to directories. Dot files are not special.
//!
//! Bounded where Terraform is not: at most `budget` directory entries are
//! read (a `**` over a huge tree or through a symbolic link loop is an
//! error instead of a long walk). A malformed pattern is reported by
//! doublestar only when it is matched against a name, and whether the error
//! survives depends on the order the directory lists its entries, so such a
//! result is [`Glob::OrderDependent`] rather than a guess. File names that
//! are not UTF-8 are skipped (a Terraform string holds UTF-8).

use std::path::Path;

use super::filesystem::clean_path;

/// Why a fileset could not be computed.
#[derive(Debug, PartialEq)]
pub enum Glob {
    /// What Terraform reports as an error (a match it cannot stat).
    Error(String),
    /// More than the budget of directory entries.
    Limit(String),
    /// A malformed pattern: Terraform's answer depends on directory order.
    OrderDependent,
}

/// `filepath.Join(a, b)`: cleaned; an empty element is ignored.
fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean_path(b),
        (false, true) => clean_path(a),
        (false, false) => clean_path(&format!("{a}/{b}")),
    }
}

/// The relative paths of the regular files `pattern` matches under `path`,
/// sorted; `base` is the directory a relative `path` starts from.
pub fn fileset(base: &Path, path: &str, pattern: &str, budget: usize) -> Result<Vec<String>, Glob> {
    let base = base
        .to_str()
        .ok_or_else(|| Glob::Error("the module directory is not UTF-8".into()))?;
    let path = if path.starts_with('/') {
        clean_path(path)
    } else {
        join(base, path)
    };
    let full = join(&path, pattern);
    let components = split_escaped(&full, '/');
    let mut walk = Walk {
        matches: Vec::new(),
        budget,
    };
    match components.split_first() {
        Some((first, rest)) if first.is_empty() => walk.glob("/".into(), rest)?,
        _ => walk.glob(".".into(), &components)?,
    }
    let mut out = Vec::new();
    for m in walk.matches {
        let meta =
            std::fs::metadata(&m).map_err(|e| Glob::Error(format!("failed to stat {m}: {e}")))?;
        if !meta.is_file() {
            continue;
        }
        out.push(rel(&path, &m).ok_or_else(|| {
            Glob::Error(format!(
                "failed to trim path of match {m}: cannot make it relative to {path}"
            ))
        })?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `filepath.Rel` for two cleaned paths, both relative or both absolute.
fn rel(base: &str, target: &str) -> Option<String> {
    if base == target {
        return Some(".".into());
    }
    if base.starts_with('/') != target.starts_with('/') {
        return None;
    }
    let parts = |p: &'_ str| -> Vec<String> {
        if p == "." {
            Vec::new()
        } else {
            p.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        }
    };
    let (b, t) = (parts(base), parts(target));
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    if b.get(common).is_some_and(|x| x == "..") {
        return None;
    }
    let mut out: Vec<&str> = vec![".."; b.len() - common];
    out.extend(t[common..].iter().map(String::as_str));
    Some(out.join("/"))
}

/// doublestar's `indexRuneWithEscaping`: the first `r` not preceded by a
/// backslash.
fn index_escaped(s: &str, r: char) -> Option<usize> {
    let end = s.find(r)?;
    if end > 0 && s.as_bytes()[end - 1] == b'\\' {
        let start = end + r.len_utf8();
        index_escaped(&s[start..], r).map(|i| i + start)
    } else {
        Some(end)
    }
}

/// doublestar's `splitPathOnSeparator`: split at each `sep` not escaped; a
/// trailing separator leaves an empty last part.
fn split_escaped(path: &str, sep: char) -> Vec<String> {
    if !path.contains(sep) {
        return vec![path.to_string()];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut empty_end = false;
    while start < path.len() {
        let end = match index_escaped(&path[start..], sep) {
            Some(i) => {
                empty_end = true;
                start + i
            }
            None => {
                empty_end = false;
                path.len()
            }
        };
        out.push(path[start..end].to_string());
        start = end + sep.len_utf8();
    }
    if empty_end {
        out.push(String::new());
    }
    out
}

struct Walk {
    matches: Vec<String>,
    budget: usize,
}

impl Walk {
    /// Names in `dir` with their type (symbolic links not followed, as Go's
    /// `Readdir`); `None` when it cannot be read.
    fn read_dir(&mut self, dir: &str) -> Result<Option<Vec<(String, std::fs::FileType)>>, Glob> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            if self.budget == 0 {
                return Err(Glob::Limit(
                    "fileset reads more directory entries than the `values` limit (docs/limits.md)"
                        .into(),
                ));
            }
            self.budget -= 1;
            let (Ok(name), Ok(ft)) = (entry.file_name().into_string(), entry.file_type()) else {
                continue;
            };
            out.push((name, ft));
        }
        Ok(Some(out))
    }

    /// doublestar v1.1.5's `doGlob`.
    fn glob(&mut self, basedir: String, components: &[String]) -> Result<(), Glob> {
        let literal = components
            .iter()
            .position(|c| c.contains(['*', '?', '[', '{', '\\']))
            .unwrap_or(components.len());
        let basedir = if literal > 0 {
            join(&basedir, &components[..literal].join("/"))
        } else {
            basedir
        };
        let Ok(meta) = std::fs::symlink_metadata(&basedir) else {
            return Ok(());
        };
        if literal >= components.len() {
            self.matches.push(basedir);
            return Ok(());
        }
        let is_dir = if meta.file_type().is_symlink() {
            match std::fs::metadata(&basedir) {
                Ok(m) => m.is_dir(),
                Err(_) => return Ok(()),
            }
        } else {
            meta.is_dir()
        };
        if !is_dir {
            return Ok(());
        }
        let Some(files) = self.read_dir(&basedir)? else {
            return Ok(());
        };
        let mut idx = literal;
        let mut last = idx + 1 >= components.len();
        if components[idx] == "**" {
            for (name, ft) in &files {
                let child = join(&basedir, name);
                let is_dir = if ft.is_symlink() {
                    match std::fs::metadata(&child) {
                        Ok(m) => m.is_dir(),
                        Err(_) => continue,
                    }
                } else {
                    ft.is_dir()
                };
                if is_dir {
                    if last {
                        self.matches.push(child.clone());
                    }
                    self.glob(child, &components[idx..])?;
                } else if last {
                    self.matches.push(child);
                }
            }
            if last {
                return Ok(());
            }
            idx += 1;
            last = idx + 1 >= components.len();
        }
        for (name, _) in &files {
            if match_component(&components[idx], name.as_bytes())? {
                let child = join(&basedir, name);
                if last {
                    self.matches.push(child);
                } else {
                    self.glob(child, &components[idx + 1..])?;
                }
            }
        }
        Ok(())
    }
}

/// Go's `utf8.DecodeRune`: the character and its length; U+FFFD and 1 for
/// a byte that does not start a valid sequence, 0 at the end.
fn decode(b: &[u8]) -> (char, usize) {
    let Some(&first) = b.first() else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    let len = match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    match b.get(..len).map(std::str::from_utf8) {
        Some(Ok(s)) => s
            .chars()
            .next()
            .map_or((char::REPLACEMENT_CHARACTER, 1), |c| (c, len)),
        _ => (char::REPLACEMENT_CHARACTER, 1),
    }
}

/// doublestar v1.1.5's `matchComponent`: one path component. The name is
/// bytes because Go's `*` steps through it by the width of the character
/// it started on and may land inside a later one.
fn match_component(pattern: &str, name: &[u8]) -> Result<bool, Glob> {
    let (plen, nlen) = (pattern.len(), name.len());
    if plen == 0 && nlen == 0 {
        return Ok(true);
    }
    if plen == 0 {
        return Ok(false);
    }
    if nlen == 0 && pattern != "*" {
        return Ok(false);
    }
    // `pi` stays on a character boundary of the pattern: it advances by
    // whole characters or to just past an ASCII delimiter.
    let (mut pi, mut ni) = (0usize, 0usize);
    while pi < plen && ni < nlen {
        let (pr, padj) = decode(&pattern.as_bytes()[pi..]);
        let (nr, nadj) = decode(&name[ni..]);
        if pr == '\\' {
            pi += padj;
            let (c, cadj) = decode(&pattern.as_bytes()[pi..]);
            // Go compares with utf8.RuneError: the end, or a U+FFFD.
            if cadj == 0 || c == char::REPLACEMENT_CHARACTER {
                return Err(Glob::OrderDependent);
            } else if c == nr {
                pi += cadj;
                ni += nadj;
            } else {
                return Ok(false);
            }
        } else if pr == '*' {
            pi += padj;
            if pi >= plen {
                return Ok(true);
            }
            while ni < nlen {
                // doublestar ignores the error of these tries.
                if match_component(&pattern[pi..], &name[ni..]).unwrap_or(false) {
                    return Ok(true);
                }
                ni += nadj;
            }
            return Ok(false);
        } else if pr == '[' {
            pi += padj;
            let end = index_escaped(&pattern[pi..], ']').ok_or(Glob::OrderDependent)? + pi;
            let class: Vec<char> = pattern[pi..end].chars().collect();
            if class.is_empty() {
                return Err(Glob::OrderDependent);
            }
            let negated = class[0] == '^';
            let mut ci = usize::from(negated);
            let mut matched = false;
            while ci < class.len() {
                let mut low = class[ci];
                if low == '-' {
                    return Err(Glob::OrderDependent);
                }
                ci += 1;
                if low == '\\' {
                    low = *class.get(ci).ok_or(Glob::OrderDependent)?;
                    ci += 1;
                }
                let mut high = low;
                if class.get(ci) == Some(&'-') {
                    ci += 1;
                    high = *class.get(ci).ok_or(Glob::OrderDependent)?;
                    if high == '-' {
                        return Err(Glob::OrderDependent);
                    }
                    ci += 1;
                    if high == '\\' {
                        high = *class.get(ci).ok_or(Glob::OrderDependent)?;
                        ci += 1;
                    }
                }
                if low <= nr && nr <= high {
                    matched = true;
                }
            }
            if matched == negated {
                return Ok(false);
            }
            pi = end + 1;
            ni += nadj;
        } else if pr == '{' {
            pi += padj;
            let end = index_escaped(&pattern[pi..], '}').ok_or(Glob::OrderDependent)? + pi;
            let rest = &pattern[end + 1..];
            for o in split_escaped(&pattern[pi..end], ',') {
                if match_component(&format!("{o}{rest}"), &name[ni..])? {
                    return Ok(true);
                }
            }
            return Ok(false);
        } else if pr == '?' || pr == nr {
            pi += padj;
            ni += nadj;
        } else {
            return Ok(false);
        }
    }
    if pi >= plen && ni >= nlen {
        return Ok(true);
    }
    let rest = &pattern[pi..];
    Ok((ni >= nlen && rest == "*") || rest == "**")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> Result<bool, Glob> {
        match_component(p, n.as_bytes())
    }

    #[test]
    fn components() {
        assert_eq!(m("*.txt", "a.txt"), Ok(true));
        assert_eq!(m("*.txt", ".txt"), Ok(true));
        assert_eq!(m("*", ""), Ok(true));
        assert_eq!(m("a*", "a"), Ok(true));
        assert_eq!(m("?.txt", "ab.txt"), Ok(false));
        assert_eq!(m("[a-c].txt", "b.txt"), Ok(true));
        assert_eq!(m("[^a-c].txt", "b.txt"), Ok(false));
        assert_eq!(m("[^a-c].txt", "d.txt"), Ok(true));
        assert_eq!(m("{hello,data}.*", "data.json"), Ok(true));
        assert_eq!(m("{hello,data}.*", "list.tftpl"), Ok(false));
        assert_eq!(m("\\*", "*"), Ok(true));
        assert_eq!(m("\\*", "a"), Ok(false));
        assert_eq!(m("é?", "éü"), Ok(true));
        assert_eq!(m("*ü", "éü"), Ok(true));
        // Go's `*` steps by the width of "é" and never tries at "ü".
        assert_eq!(m("*ü", "éaü"), Ok(false));
        assert_eq!(m("a[", "ab"), Err(Glob::OrderDependent));
        assert_eq!(m("a[", "b"), Ok(false));
        assert_eq!(m("a\\", "ab"), Err(Glob::OrderDependent));
    }

    #[test]
    fn splits_and_relative_paths() {
        assert_eq!(split_escaped("a/b\\/c/d", '/'), ["a", "b\\/c", "d"]);
        assert_eq!(split_escaped("a,", ','), ["a", ""]);
        assert_eq!(split_escaped("/x", '/'), ["", "x"]);
        assert_eq!(
            rel("files", "files/sub/a.txt").as_deref(),
            Some("sub/a.txt")
        );
        assert_eq!(rel(".", "x.txt").as_deref(), Some("x.txt"));
        assert_eq!(rel("a/b", "a/c/d").as_deref(), Some("../c/d"));
        assert_eq!(rel("../a", "b"), None);
        assert_eq!(rel("/a", "b"), None);
    }

    #[test]
    fn globs_a_tree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in [
            "a.txt",
            "b.json",
            ".hidden.txt",
            "sub/c.txt",
            "sub/deep/d.txt",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "x").expect("write");
        }
        std::fs::create_dir_all(root.join("empty.txt")).expect("a directory named like a file");
        let set = |path: &str, pattern: &str| fileset(root, path, pattern, 1000);
        let strings = |xs: &[&str]| Ok(xs.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(set(".", "*.txt"), strings(&[".hidden.txt", "a.txt"]));
        assert_eq!(
            set(".", "**/*.txt"),
            strings(&[".hidden.txt", "a.txt", "sub/c.txt", "sub/deep/d.txt"])
        );
        assert_eq!(set("sub", "**"), strings(&["c.txt", "deep/d.txt"]));
        assert_eq!(set(".", "sub/../a.txt"), strings(&["a.txt"]));
        assert_eq!(set("sub", "../*.json"), strings(&["../b.json"]));
        assert_eq!(set(".", "nothing/*"), strings(&[]));
        assert_eq!(set(".", "a.txt"), strings(&["a.txt"]));
        // doublestar ignores the errors of what `*` tries.
        assert_eq!(set(".", "*["), strings(&[]));
        assert_eq!(set(".", "a["), Err(Glob::OrderDependent));
        assert!(matches!(fileset(root, ".", "**", 3), Err(Glob::Limit(_))));
    }
}
