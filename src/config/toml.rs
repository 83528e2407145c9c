//! The hand-walked TOML reader every table of parity.toml is read with:
//! problems collected with their line and column ([`Sink`]), values kept with
//! where they were written ([`Spanned`]), typed accessors that report a wrong
//! type instead of failing ([`string`], [`strings`], [`table`]), unknown keys
//! reported with the closest known one ([`fields`]).
//!
//! It lives apart from the top-level sections so that each source can read
//! its own table beside its code (`src/sources/<name>/cfg.rs`) with the same
//! tools and the same wording.

use std::path::{Path, PathBuf};

use toml_edit::{Item, TableLike};

use super::Problem;
use crate::model::Value;

pub(crate) struct Sink<'t> {
    pub(crate) text: &'t str,
    pub(crate) problems: Vec<Problem>,
}

impl Sink<'_> {
    pub(crate) fn report(&mut self, at: usize, key: &str, message: impl Into<String>) {
        let (line, column) = line_col(self.text, at);
        self.problems.push(Problem {
            line,
            column,
            key: key.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn line(&self, at: usize) -> usize {
        line_col(self.text, at).0
    }
}

/// 1-based line and column (in characters) of a byte offset, computed the way
/// `toml_edit` does for its own errors (an offset at the end of input points
/// just past the last character).
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return (1, offset + 1);
    }
    let safe = offset.min(bytes.len() - 1);
    let past_end = offset - safe;
    let line_start = bytes[..safe]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = bytes[..line_start].iter().filter(|b| **b == b'\n').count();
    let column = std::str::from_utf8(&bytes[line_start..=safe])
        .map(|s| s.chars().count() - 1)
        .unwrap_or(safe - line_start);
    (line + 1, column + past_end + 1)
}

/// A value with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    /// Byte offset of the value.
    pub(crate) at: usize,
    /// Dotted key of the value.
    pub(crate) key: String,
}

/// One key of a table, with its full dotted path and position.
pub(crate) struct Field<'d> {
    pub(crate) name: &'d str,
    pub(crate) key: String,
    /// Byte offset of the key.
    pub(crate) at: usize,
    pub(crate) item: &'d Item,
}

impl Field<'_> {
    /// Byte offset of the value (the key's when the value has no span).
    pub(crate) fn value_at(&self) -> usize {
        self.item.span().map_or(self.at, |r| r.start)
    }
}

/// The keys of `table`; with `known`, unknown keys are reported (with the
/// closest known key when it is within an edit distance of 2) and skipped.
pub(crate) fn fields<'d>(
    sink: &mut Sink,
    table: &'d dyn TableLike,
    path: &str,
    table_at: usize,
    known: Option<&[&str]>,
) -> Vec<Field<'d>> {
    let mut out = Vec::new();
    for (name, item) in table.iter() {
        let at = table
            .key(name)
            .and_then(|k| k.span())
            .map_or(table_at, |r| r.start);
        let key = join_key(path, name);
        if let Some(known) = known {
            if !known.contains(&name) {
                let message = match closest(name, known.iter().copied()) {
                    Some(s) => format!("unknown key `{name}`, did you mean `{s}`?"),
                    None => format!(
                        "unknown key `{name}` (expected one of: {})",
                        known.join(", ")
                    ),
                };
                sink.report(at, &key, message);
                continue;
            }
        }
        out.push(Field {
            name,
            key,
            at,
            item,
        });
    }
    out
}

pub(crate) fn string(sink: &mut Sink, f: &Field) -> Option<Spanned<String>> {
    match f.item.as_str() {
        Some(s) => Some(Spanned {
            value: s.to_string(),
            at: f.value_at(),
            key: f.key.clone(),
        }),
        None => {
            sink.report(
                f.value_at(),
                &f.key,
                format!("expected a string, found {}", item_type(f.item)),
            );
            None
        }
    }
}

pub(crate) fn boolean(sink: &mut Sink, f: &Field) -> Option<bool> {
    match f.item.as_bool() {
        Some(b) => Some(b),
        None => {
            sink.report(
                f.value_at(),
                &f.key,
                format!("expected true or false, found {}", item_type(f.item)),
            );
            None
        }
    }
}

pub(crate) fn strings(sink: &mut Sink, f: &Field) -> Option<Spanned<Vec<Spanned<String>>>> {
    let Some(array) = f.item.as_array() else {
        sink.report(
            f.value_at(),
            &f.key,
            format!("expected an array of strings, found {}", item_type(f.item)),
        );
        return None;
    };
    let array_at = f.value_at();
    let mut out = Vec::new();
    for (i, v) in array.iter().enumerate() {
        let key = format!("{}[{i}]", f.key);
        let at = v.span().map_or(array_at, |r| r.start);
        match v.as_str() {
            Some(s) => out.push(Spanned {
                value: s.to_string(),
                at,
                key,
            }),
            None => sink.report(
                at,
                &key,
                format!("expected a string, found {}", value_type(v)),
            ),
        }
    }
    Some(Spanned {
        value: out,
        at: array_at,
        key: f.key.clone(),
    })
}

/// A table (standard, inline or dotted) and its position.
pub(crate) fn table<'d>(sink: &mut Sink, f: &Field<'d>) -> Option<(&'d dyn TableLike, usize)> {
    match f.item.as_table_like() {
        Some(t) => Some((t, f.value_at())),
        None => {
            sink.report(
                f.value_at(),
                &f.key,
                format!("expected a table, found {}", item_type(f.item)),
            );
            None
        }
    }
}

/// `[[name]]` tables (or an array of inline tables): (key, position, table).
pub(crate) fn table_list<'d>(
    sink: &mut Sink,
    f: &Field<'d>,
) -> Vec<(String, usize, &'d dyn TableLike)> {
    let mut out: Vec<(String, usize, &'d dyn TableLike)> = Vec::new();
    match f.item {
        Item::ArrayOfTables(tables) => {
            for (i, t) in tables.iter().enumerate() {
                let at = t.span().map_or(f.at, |r| r.start);
                out.push((format!("{}[{i}]", f.key), at, t));
            }
        }
        Item::Value(toml_edit::Value::Array(array)) => {
            for (i, v) in array.iter().enumerate() {
                let key = format!("{}[{i}]", f.key);
                let at = v.span().map_or(f.at, |r| r.start);
                match v.as_inline_table() {
                    Some(t) => out.push((key, at, t)),
                    None => sink.report(
                        at,
                        &key,
                        format!("expected a table, found {}", value_type(v)),
                    ),
                }
            }
        }
        other => sink.report(
            f.value_at(),
            &f.key,
            format!(
                "expected an array of tables (`[[{}]]`), found {}",
                f.name,
                item_type(other)
            ),
        ),
    }
    out
}

pub(crate) fn item_type(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(v) => value_type(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

pub(crate) fn value_type(v: &toml_edit::Value) -> &'static str {
    match v {
        toml_edit::Value::String(_) => "a string",
        toml_edit::Value::Integer(_) => "an integer",
        toml_edit::Value::Float(_) => "a float",
        toml_edit::Value::Boolean(_) => "a boolean",
        toml_edit::Value::Datetime(_) => "a date-time",
        toml_edit::Value::Array(_) => "an array",
        toml_edit::Value::InlineTable(_) => "a table",
    }
}

pub(crate) fn item_to_value(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(v) => toml_to_value(v),
        Item::Table(t) => Value::Map(
            t.iter()
                .map(|(k, v)| (k.to_string(), item_to_value(v)))
                .collect(),
        ),
        Item::ArrayOfTables(a) => Value::List(
            a.iter()
                .map(|t| {
                    Value::Map(
                        t.iter()
                            .map(|(k, v)| (k.to_string(), item_to_value(v)))
                            .collect(),
                    )
                })
                .collect(),
        ),
    }
}

fn toml_to_value(v: &toml_edit::Value) -> Value {
    match v {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::Number(*i.value() as f64),
        toml_edit::Value::Float(f) => Value::Number(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(d) => Value::String(d.value().to_string()),
        toml_edit::Value::Array(a) => Value::List(a.iter().map(toml_to_value).collect()),
        toml_edit::Value::InlineTable(t) => Value::Map(
            t.iter()
                .map(|(k, v)| (k.to_string(), toml_to_value(v)))
                .collect(),
        ),
    }
}

/// `path.key`, quoting keys that are not bare TOML keys.
pub(crate) fn join_key(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// The candidate closest to `word` within an edit distance of 2.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur.push(substitution.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// AWS region names: `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`.
pub(crate) fn check_region(sink: &mut Sink, region: &Spanned<String>) {
    let parts: Vec<&str> = region.value.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if !ok {
        sink.report(
            region.at,
            &region.key,
            format!(
                "`{}` is not an AWS region name (like eu-west-1)",
                region.value
            ),
        );
    }
}

/// Join a relative path to the config's directory (`.` is left out so paths
/// stay as the user wrote them when the config is in the current directory).
/// A directory key (`root`): resolved against `dir`; reported when empty,
/// missing or not a directory.
pub(crate) fn directory(sink: &mut Sink, value: &Spanned<String>, dir: &Path) -> PathBuf {
    let resolved = resolve(dir, &value.value);
    if value.value.trim().is_empty() {
        sink.report(
            value.at,
            &value.key,
            "`root` cannot be empty (use \".\" for the config's directory)",
        );
    } else if !resolved.exists() {
        sink.report(
            value.at,
            &value.key,
            format!("directory `{}` does not exist", resolved.display()),
        );
    } else if !resolved.is_dir() {
        sink.report(
            value.at,
            &value.key,
            format!("`{}` is not a directory", resolved.display()),
        );
    }
    resolved
}

/// A file key of a source's table (`stack-export`, `template`): `p`
/// resolved against `dir` when it names an existing file; otherwise a
/// problem at `at` (empty, missing, or a directory) and `None`.
pub(crate) fn existing_file(
    sink: &mut Sink,
    dir: &Path,
    p: &str,
    at: usize,
    key: &str,
) -> Option<PathBuf> {
    let resolved = resolve(dir, p);
    if p.trim().is_empty() {
        sink.report(at, key, "a path cannot be empty");
    } else if !resolved.exists() {
        sink.report(
            at,
            key,
            format!("file `{}` does not exist", resolved.display()),
        );
    } else if resolved.is_dir() {
        sink.report(
            at,
            key,
            format!("`{}` is a directory, not a file", resolved.display()),
        );
    } else {
        return Some(resolved);
    }
    None
}

pub(crate) fn resolve(dir: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() || dir == Path::new(".") {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}
