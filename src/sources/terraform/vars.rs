//! Root module variable values, from every source Terraform reads, in
//! Terraform's order of precedence (later wins): `terraform.tfvars`,
//! `terraform.tfvars.json`, `*.auto.tfvars(.json)` in lexical order, each
//! `-var-file` in the order given, then `-var` values.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::eval::{EvalErr, Scope};
use super::files::display;
use super::module::ConstResolver;
use super::parse;
use super::{Loader, Options, TfError};
use crate::model::{CoverageGap, Location, Value};

/// Where each root variable was set: the tfvars line, the Terragrunt
/// input (`Options::var_origins`) or `-var`; and the text of each HCL
/// tfvars file, by its shown name, where a nested key's line is looked up
/// (`var.database.engine_version`).
#[derive(Debug, Clone, Default)]
pub struct Origins {
    pub at: BTreeMap<String, Location>,
    pub texts: BTreeMap<Arc<str>, Arc<str>>,
}

pub fn root_values(
    loader: &Loader,
    opts: &Options,
) -> Result<(crate::model::Map, Origins), TfError> {
    let mut files = Vec::new();
    for name in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = opts.root.join(name);
        // Whatever is there is read, so a FIFO or a device is refused with
        // its name rather than skipped.
        if p.exists() {
            files.push(p);
        }
    }
    let mut auto: Vec<_> = std::fs::read_dir(&opts.root)
        .map_err(|source| TfError::Io {
            path: display(&opts.base, &opts.root),
            cause: source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
        })
        .collect();
    auto.sort();
    files.extend(auto);
    files.extend(opts.var_files.iter().cloned());

    let mut values = crate::model::Map::new();
    let mut origins = Origins::default();
    for file in files {
        let shown: Arc<str> = display(&opts.base, &file).into();
        let (read, text) = read_tfvars_located(loader, &file, &opts.base)?;
        for (k, v, line) in read {
            origins
                .at
                .insert(k.clone(), Location::new(shown.clone(), line));
            values.insert(k, v);
        }
        if let Some(text) = text {
            origins.texts.insert(shown, text);
        }
    }
    for (k, v) in &opts.vars {
        let at = opts
            .var_origins
            .get(k)
            .cloned()
            .unwrap_or_else(|| Location::new("-var", None));
        origins.at.insert(k.clone(), at);
        values.insert(k.clone(), v.clone());
    }
    Ok((values, origins))
}

/// The line of `key = ...` inside the object a tfvars attribute at `line`
/// sets: the first line after it that starts with the key (quoted or not)
/// followed by `=` or `:`. A text scan, for provenance only: `None` sends
/// the reader to the attribute's own line.
///
/// Provenance looks up every key of an object (`var.services["m00"]`,
/// one per module call) in the same object: [`NestedLines`] gives the same
/// answers from one scan of it, where this scans the object once per key.
pub fn nested_line(text: &str, line: u32, key: &str) -> Option<u32> {
    for (i, l) in text.lines().enumerate().skip(line as usize) {
        let t = l.trim_start();
        let rest = t.strip_prefix(key).or_else(|| {
            t.strip_prefix('"')
                .and_then(|t| t.strip_prefix(key)?.strip_prefix('"'))
        });
        if let Some(rest) = rest {
            let rest = rest.trim_start();
            if rest.starts_with('=') || rest.starts_with(':') {
                return u32::try_from(i + 1).ok();
            }
        }
        // The object ends where a line starts at column 0 with a closing brace.
        if l.starts_with('}') {
            return None;
        }
    }
    None
}

/// [`nested_line`] for every key of one object, from one scan of it.
///
/// Each line of the object has at most two keys [`nested_line`] can match
/// at it without an `=` or `:` inside the key: the text before the line's
/// first `=` or `:` (trimmed), and the same without its quotes when it is
/// quoted. The first line of each such key is kept. A key this index
/// cannot answer for (empty, ending in whitespace, or holding `=` or `:`,
/// which would match at a later `=` or `:` of the line) is looked up by
/// [`nested_line`] itself, so the answers are always the same.
#[derive(Debug)]
pub struct NestedLines {
    text: Arc<str>,
    line: u32,
    first: std::collections::HashMap<String, u32>,
}

impl NestedLines {
    /// Scan the object the attribute at `line` of `text` sets.
    pub fn scan(text: Arc<str>, line: u32) -> Self {
        let mut first = std::collections::HashMap::new();
        for (i, l) in text.lines().enumerate().skip(line as usize) {
            let Ok(at) = u32::try_from(i + 1) else {
                break;
            };
            let t = l.trim_start();
            if let Some(q) = t.find(['=', ':']) {
                let key = t[..q].trim_end();
                if !key.is_empty() {
                    first.entry(key.to_string()).or_insert(at);
                    if let Some(inner) = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                        first.entry(inner.to_string()).or_insert(at);
                    }
                }
            }
            if l.starts_with('}') {
                break;
            }
        }
        NestedLines { text, line, first }
    }

    /// The line of `key` in the object, as [`nested_line`] finds it.
    pub fn get(&self, key: &str) -> Option<u32> {
        let indexed =
            !key.is_empty() && !key.ends_with(char::is_whitespace) && !key.contains(['=', ':']);
        if indexed {
            self.first.get(key).copied()
        } else {
            nested_line(&self.text, self.line, key)
        }
    }
}

type Located = (Vec<(String, Value, Option<u32>)>, Option<Arc<str>>);

/// Read one `.tfvars` or `.tfvars.json` file: each variable with its
/// line and, for an HCL file, the text.
fn read_tfvars_located(loader: &Loader, path: &Path, base: &Path) -> Result<Located, TfError> {
    let shown = display(base, path);
    let bytes = crate::input::read(path, crate::input::limits().tfvars_file).map_err(|source| {
        TfError::Io {
            path: shown.clone(),
            cause: source,
        }
    })?;
    let text = parse::decode(&bytes, &shown)?;
    let text = parse::strip_bom(&text);
    if shown.ends_with(".json") {
        let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            TfError::Fatal(format!(
                "{shown}:{}:{}: invalid JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let serde_json::Value::Object(map) = json else {
            return Err(TfError::Fatal(format!(
                "{shown}: a .tfvars.json file must hold an object"
            )));
        };
        // serde_json keeps no positions: the line of a top-level key is
        // the first that holds it quoted.
        let line_of = |k: &str| {
            let quoted = format!("\"{k}\"");
            text.lines()
                .position(|l| l.contains(&quoted))
                .and_then(|i| u32::try_from(i + 1).ok())
        };
        return Ok((
            map.iter()
                .map(|(k, v)| (k.clone(), Value::from_json(v), line_of(k)))
                .collect(),
            None,
        ));
    }
    let file = parse::parse_hcl(text, path, &shown)?;
    let resolver = ConstResolver { base: &loader.root };
    let mut out = Vec::new();
    for attr in file.body.attributes {
        let loc = format!("{shown}:{}", attr.line);
        let value = match Scope::new(&resolver).eval(&attr.expr) {
            Ok(v) => v,
            Err(EvalErr::UnknownFunction(name)) => {
                return Err(TfError::UnknownFunction {
                    name,
                    location: loc,
                })
            }
            Err(e) => {
                loader.gap(CoverageGap {
                    what: loc,
                    reason: format!("variable `{}`: {e}", attr.name),
                });
                Value::Unknown(format!("var.{}", attr.name))
            }
        };
        out.push((attr.name, value, Some(attr.line)));
    }
    for block in file.body.blocks {
        loader.gap(CoverageGap {
            what: format!("{shown}:{}", block.line),
            reason: format!("block `{}` is not valid in a variables file", block.kind),
        });
    }
    Ok((out, Some(Arc::from(text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TFVARS: &str = r#"region = "eu-west-1"
services = {
  m00 = {
    instance_type = "t3.small"
  }
  "m01" = { instance_type = "t3.large" }
  m0 = 1
  "a:b" = 2
  c=d = 3
  e  :  4
  m00 = "a later m00 is not the first"
  "q" : 5
}
after = {
  m02 = 6
}
"#;

    #[test]
    fn the_index_finds_the_lines_the_scan_finds() {
        let index = NestedLines::scan(Arc::from(TFVARS), 2);
        // Lines are 1-based; the object `services` starts at line 2.
        assert_eq!(index.get("m00"), Some(3));
        assert_eq!(index.get("instance_type"), Some(4));
        assert_eq!(index.get("m01"), Some(6));
        assert_eq!(index.get("m0"), Some(7));
        assert_eq!(index.get("e"), Some(10));
        assert_eq!(index.get("q"), Some(12));
        // Past the closing brace at column 0: another object's key.
        assert_eq!(index.get("m02"), None);
        assert_eq!(index.get("absent"), None);
        // Keys with `=` or `:` in them, or ending in whitespace: the scan's
        // own answer (`a:b` is quoted; `c=d` matches at its second `=`).
        assert_eq!(index.get("a:b"), Some(8));
        assert_eq!(index.get("c=d"), Some(9));
        assert_eq!(index.get("c"), Some(9));
        assert_eq!(index.get("e "), Some(10));
    }

    #[test]
    fn the_index_agrees_with_the_scan_on_every_key_and_start() {
        let mut keys: Vec<String> = ["", " ", "\"", "\"\"", "m", "{", "}", "a", "b", "m0 "]
            .iter()
            .map(|k| k.to_string())
            .collect();
        // Every prefix of every line, trimmed or not, with and without quotes.
        for l in TFVARS.lines() {
            let t = l.trim_start();
            for (i, _) in t.char_indices().chain([(t.len(), ' ')]) {
                keys.push(t[..i].to_string());
                keys.push(t[..i].trim_matches('"').to_string());
            }
        }
        let lines = u32::try_from(TFVARS.lines().count()).expect("a short text");
        for start in 0..=lines + 1 {
            let index = NestedLines::scan(Arc::from(TFVARS), start);
            for key in &keys {
                assert_eq!(
                    index.get(key),
                    nested_line(TFVARS, start, key),
                    "key {key:?} from line {start}"
                );
            }
        }
    }
}
