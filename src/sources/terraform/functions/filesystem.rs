//! The filesystem functions that need no file: `basename`, `dirname` and
//! `pathexpand`, following Go's path/filepath on Unix. Those that read files
//! live in the evaluator, which knows the module's directory.

use super::{one_arg, string, FnError};
use crate::model::Value;

pub(super) fn pathexpand(name: &str, a: &[Value]) -> Result<Value, FnError> {
    let s = string(name, one_arg(name, a)?)?;
    // The home directory differs between machines; a path under it is
    // not a property of the configuration.
    if s == "~" || s.starts_with("~/") {
        Err(FnError::Unknown)
    } else {
        Ok(Value::String(s))
    }
}

pub(super) fn basename(s: &str) -> String {
    if s.is_empty() {
        return ".".into();
    }
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

pub(super) fn dirname(s: &str) -> String {
    let dir = match s.rfind('/') {
        Some(i) => &s[..=i],
        None => "",
    };
    clean_path(dir)
}

/// Go's `filepath.Clean`.
pub(super) fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ok, s};
    use super::super::{call, FnError};

    #[test]
    fn paths() {
        assert_eq!(ok("basename", vec![s("foo/bar/baz.txt")]), s("baz.txt"));
        assert_eq!(ok("dirname", vec![s("foo/bar/baz.txt")]), s("foo/bar"));
        assert_eq!(ok("dirname", vec![s("baz.txt")]), s("."));
        assert_eq!(ok("dirname", vec![s("/x")]), s("/"));
        assert_eq!(ok("pathexpand", vec![s("/etc/x")]), s("/etc/x"));
        assert_eq!(call("pathexpand", vec![s("~/.ssh")]), Err(FnError::Unknown));
    }
}
