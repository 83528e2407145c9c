//! Root module variable values, from every source Terraform reads, in
//! Terraform's order of precedence (later wins): `terraform.tfvars`,
//! `terraform.tfvars.json`, `*.auto.tfvars(.json)` in lexical order, each
//! `-var-file` in the order given, then `-var` values.

use std::path::Path;

use super::eval::{EvalErr, Scope};
use super::files::display;
use super::module::ConstResolver;
use super::parse;
use super::{Loader, Options, TfError};
use crate::model::{CoverageGap, Value};

pub fn root_values(loader: &Loader, opts: &Options) -> Result<crate::model::Map, TfError> {
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
    for file in files {
        for (k, v) in read_tfvars(loader, &file, &opts.base)? {
            values.insert(k, v);
        }
    }
    for (k, v) in &opts.vars {
        values.insert(k.clone(), v.clone());
    }
    Ok(values)
}

/// Read one `.tfvars` or `.tfvars.json` file.
pub fn read_tfvars(
    loader: &Loader,
    path: &Path,
    base: &Path,
) -> Result<Vec<(String, Value)>, TfError> {
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
        return Ok(map
            .iter()
            .map(|(k, v)| (k.clone(), Value::from_json(v)))
            .collect());
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
        out.push((attr.name, value));
    }
    for block in file.body.blocks {
        loader.gap(CoverageGap {
            what: format!("{shown}:{}", block.line),
            reason: format!("block `{}` is not valid in a variables file", block.kind),
        });
    }
    Ok(out)
}
