//! Reading one unit: its configuration evaluated (`config`), its module
//! found (a local `terraform { source }`, or its own directory) and loaded
//! by the Terraform source with its inputs as `TF_VAR_` values, its
//! `generate` files and `extra_arguments` var files, its resources
//! addressed under the unit's path and located at the inputs that set
//! them (`locate`), and its module source recorded as a dependency.

use std::collections::BTreeMap;
use std::path::Path;

use super::{cache, config, locate, Run, TgError, UnitOut, UNIT_FILE};
use crate::model::{Location, Resource, Value};
use crate::sources::terraform::{self, files, parse};

impl Run<'_> {
    pub(super) fn read_unit(&self, dir: &Path) -> Result<UnitOut, TgError> {
        let file = dir.join(UNIT_FILE);
        if !self.has_unit(dir) {
            return Err(TgError::Eval(format!(
                "{}: {UNIT_FILE} not found",
                self.show(dir)
            )));
        }
        if let Some((what, why)) = self.excluded(dir)? {
            self.gap(what, why);
            return Ok(UnitOut {
                no_outputs: Some("the unit is excluded (`exclude` block)".into()),
                ..UnitOut::default()
            });
        }
        let unit = config::evaluate_unit(self, &file)?;
        let shown_unit = self.show(&file);
        if let Some(line) = unit.skip {
            self.gap(
                format!("{shown_unit}:{line}"),
                "unit skipped (`skip = true`): not compared",
            );
            return Ok(UnitOut {
                no_outputs: Some("the unit is skipped (`skip = true`)".into()),
                ..UnitOut::default()
            });
        }
        let unit_path = self.unit_path(dir);
        // Its state, for dependency outputs, even when its module is not
        // read (a relative backend path needs the working directory).
        let here = matches!(unit.source, config::Source::Here).then_some(dir);
        let state = self.state_file(dir, &unit_path, unit.state.as_ref(), here);
        // The unit's module as a dependency record, whether it is loaded
        // or not: a ref or version that differs is a finding at its line.
        let record = match &unit.source {
            config::Source::At(source, at) => Some(self.source_record(&unit_path, dir, source, at)),
            _ => None,
        };
        // Whether the module is the copy Terragrunt downloaded into the
        // unit's .terragrunt-cache.
        let mut from_cache = false;
        let module_dir = match &unit.source {
            config::Source::Here => dir.to_path_buf(),
            config::Source::Unknown(at) => {
                return Ok(UnitOut {
                    no_outputs: Some(format!("its module source ({at}) is not known statically")),
                    state,
                    ..UnitOut::default()
                })
            }
            config::Source::At(source, at) => match local_source(source) {
                Some(path) => {
                    let resolved = files::lexical(&dir.join(path));
                    if !resolved.is_dir() {
                        return Err(TgError::Eval(format!(
                            "{at}: module source `{source}`: directory {} does not exist",
                            self.show(&resolved)
                        )));
                    }
                    resolved
                }
                None => match cache::find(dir, source) {
                    cache::Cached::At(working) => {
                        from_cache = true;
                        working
                    }
                    other => {
                        let why = match other {
                            cache::Cached::Unusable(why) => format!(" ({why})"),
                            _ => String::new(),
                        };
                        self.gap(
                            at.to_string(),
                            format!("module source `{source}` not installed (a remote source, not in the unit's {}{why}): its resources are not compared", cache::CACHE_DIR),
                        );
                        return Ok(UnitOut {
                            dependencies: record.into_iter().collect(),
                            unread: vec![unit_path.clone()],
                            no_outputs: Some(format!(
                                "its module source `{source}` is not installed"
                            )),
                            state,
                            ..UnitOut::default()
                        });
                    }
                },
            },
        };
        let mut generated = Vec::new();
        for g in &unit.generate {
            let exists = module_dir.join(&g.path).exists();
            match g.if_exists.as_str() {
                "skip" if exists => continue,
                // A copy in .terragrunt-cache holds the files Terragrunt
                // generated into it last time: not the module's own.
                "error" if exists && !from_cache => {
                    return Err(TgError::Eval(format!(
                    "{}: generate `{}`: {} already exists in the module (if_exists = \"error\")",
                    g.at, g.label, g.path
                )))
                }
                _ => {}
            }
            let display = format!("{}#generate.{}", g.at.file, g.label);
            // Contents built from values not known statically may not
            // parse (`[${local.account_id}]`): that file is not read, the
            // rest of the unit is.
            if !g.path.ends_with(".json") {
                if let Err(e) = parse::parse_hcl(&g.contents, &module_dir.join(&g.path), &display) {
                    self.gap(
                        g.at.to_string(),
                        format!("generate `{}`: the file it writes is not valid HCL as parity evaluates it ({e}): not read", g.label),
                    );
                    continue;
                }
            }
            generated.push(files::Generated {
                name: g.path.clone(),
                text: g.contents.clone(),
                display,
            });
        }
        // extra_arguments' var files, as `-var-file` for plan and apply.
        let mut var_files = Vec::new();
        for extra in &unit.extra_arguments {
            for (file, required) in extra
                .required_var_files
                .iter()
                .map(|f| (f, true))
                .chain(extra.optional_var_files.iter().map(|f| (f, false)))
            {
                let path = files::lexical(&dir.join(file));
                if path.is_file() {
                    var_files.push(path);
                } else if required {
                    return Err(TgError::Eval(format!(
                        "{}: extra_arguments `{}`: required var file {} does not exist",
                        extra.at,
                        extra.label,
                        self.show(&path)
                    )));
                }
            }
        }
        // Inputs reach Terraform as TF_VAR_ variables: a variable a
        // terraform.tfvars or *.auto.tfvars of the module, or a var file,
        // sets wins over them.
        let mut overridden = tfvars_names(&module_dir);
        for f in &var_files {
            overridden.extend(var_file_names(f));
        }
        let mut vars = crate::model::Map::new();
        let mut origin: BTreeMap<String, Location> = BTreeMap::new();
        for (name, (value, at)) in &unit.inputs {
            if !overridden.contains(name) {
                vars.insert(name.clone(), value.clone());
                origin.insert(name.clone(), at.clone());
            }
        }
        let topts = terraform::Options {
            environment: self.opts.environment.clone(),
            root: module_dir.clone(),
            base: self.opts.base.clone(),
            var_files,
            vars,
            var_origins: origin.clone(),
            workspace: "default".into(),
            data: None,
            identity: self.opts.identity.clone(),
            facts: None,
        };
        let (mut snap, outputs) =
            terraform::load_generated(&topts, &generated).map_err(|cause| TgError::Terraform {
                unit: shown_unit.clone(),
                cause,
            })?;
        if !origin.is_empty() {
            match files::load_module_with(&module_dir, &self.opts.base, &generated) {
                Ok(def) => locate::relocate(&mut snap.resources, &def, &origin, &shown_unit),
                Err(e) => tracing::debug!("{shown_unit}: module not re-read for locations: {e}"),
            }
        }
        for r in snap
            .resources
            .iter_mut()
            .chain(snap.dependencies.iter_mut())
        {
            r.address = under(&unit_path, &r.address);
            r.key = under(&unit_path, &r.key);
        }
        snap.dependencies.extend(record);
        // A module call not expanded inside the unit: its gap and its
        // prefix named under the unit, like its resources.
        for g in &mut snap.coverage {
            if snap.unread.contains(&g.what) {
                g.what = under(&unit_path, &g.what);
            }
        }
        let unread = snap.unread.iter().map(|u| under(&unit_path, u)).collect();
        Ok(UnitOut {
            resources: snap.resources,
            dependencies: snap.dependencies,
            coverage: snap.coverage,
            unread,
            outputs: Some(outputs),
            no_outputs: None,
            state: if from_cache {
                self.state_file(dir, &unit_path, unit.state.as_ref(), Some(&module_dir))
            } else {
                state
            },
        })
    }

    /// The `module_call` record of a unit's `terraform { source }`,
    /// addressed `<unit>/terraform.source`: a local source as its
    /// directory relative to parity.toml, a `tfr://` one as the registry
    /// module and its `version`, any other as written (with its `?ref=`).
    fn source_record(&self, unit_path: &str, dir: &Path, source: &str, at: &Location) -> Resource {
        let (shown, version) = match local_source(source) {
            Some(path) => (format!("./{}", self.show(&dir.join(path))), None),
            None => registry_module(source).unwrap_or_else(|| (source.to_string(), None)),
        };
        let mut record = terraform::module::module_call_record(
            under(unit_path, "terraform.source"),
            &shown,
            version.as_ref(),
            at.clone(),
        );
        for attr in [
            "source",
            "source_kind",
            "ref",
            "unpinned_ref",
            "version",
            "unpinned_version",
        ] {
            record.locate(attr, at.clone());
        }
        record
    }

    /// The unit's path relative to the environment's root (`""` for the
    /// root itself; `../vpc` for a dependency outside it).
    pub(super) fn unit_path(&self, dir: &Path) -> String {
        let rel = files::relative(&self.opts.root, dir);
        if rel == "." {
            String::new()
        } else {
            // A stack's generated units are addressed by their stack's
            // path and theirs: `app/.terragrunt-stack/vpc` is `app/vpc`.
            rel.split('/')
                .filter(|s| *s != config::STACK_DIR)
                .collect::<Vec<_>>()
                .join("/")
        }
    }
}

/// `mysql` + `aws_db_instance.this` → `mysql/aws_db_instance.this`.
pub(super) fn under(unit: &str, address: &str) -> String {
    if unit.is_empty() {
        address.to_string()
    } else {
        format!("{unit}/{address}")
    }
}

/// The directory of a local `terraform { source }` (`../../modules//mysql`
/// → `../../modules/mysql`, a `?ref=` dropped); `None` for a remote one.
pub(super) fn local_source(source: &str) -> Option<String> {
    let local = Path::new(source).is_absolute()
        || source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with('/')
        || source == "."
        || source == "..";
    if !local {
        return None;
    }
    let path = source.split('?').next().unwrap_or(source);
    Some(path.replace("//", "/"))
}

/// A `tfr://` source (Terragrunt's registry protocol:
/// `tfr:///terraform-aws-modules/vpc/aws?version=5.1.0`, or with a host) as
/// the registry module Terraform would call and its version.
fn registry_module(source: &str) -> Option<(String, Option<Value>)> {
    let rest = source.strip_prefix("tfr://")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.trim_start_matches('/');
    let version = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("version="))
        .map(|v| Value::str(v.to_string()));
    Some((path.replace("//", "/"), version))
}

/// The variables a module's `terraform.tfvars(.json)` and
/// `*.auto.tfvars(.json)` set: Terraform reads them over TF_VAR_ values.
fn tfvars_names(dir: &Path) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return names;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let auto = ["terraform.tfvars", "terraform.tfvars.json"].contains(&name.as_str())
            || name.ends_with(".auto.tfvars")
            || name.ends_with(".auto.tfvars.json");
        if auto {
            names.extend(var_file_names(&entry.path()));
        }
    }
    names
}

/// The variables a `.tfvars` or `.tfvars.json` file sets (none when it
/// cannot be read: the Terraform source says why when it reads it).
fn var_file_names(path: &Path) -> Vec<String> {
    let Ok(text) = crate::input::read_text(path, crate::input::limits().tfvars_file) else {
        return Vec::new();
    };
    if path.to_string_lossy().ends_with(".json") {
        match serde_json::from_str(&text) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    } else {
        match parse::parse_hcl(&text, path, &path.to_string_lossy()) {
            Ok(file) => file.body.attributes.into_iter().map(|a| a.name).collect(),
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sources_keep_their_subdirectory_and_drop_the_ref() {
        assert_eq!(
            local_source("../../modules//mysql").as_deref(),
            Some("../../modules/mysql")
        );
        assert_eq!(
            local_source("./modules//app?ref=v1").as_deref(),
            Some("./modules/app")
        );
        assert_eq!(local_source("git::https://x/y.git//db?ref=v1"), None);
        assert_eq!(local_source("tfr:///terraform-aws-modules/vpc/aws"), None);
        assert_eq!(
            registry_module("tfr:///terraform-aws-modules/vpc/aws?version=5.1.0"),
            Some((
                "terraform-aws-modules/vpc/aws".to_string(),
                Some(Value::str("5.1.0"))
            ))
        );
        assert_eq!(
            registry_module("tfr://registry.terraform.io/ns/name/aws"),
            Some(("registry.terraform.io/ns/name/aws".to_string(), None))
        );
        assert_eq!(registry_module("git::https://x/y.git"), None);
    }

    #[test]
    fn addresses_go_under_the_unit_path() {
        assert_eq!(
            under("mysql", "aws_db_instance.this"),
            "mysql/aws_db_instance.this"
        );
        assert_eq!(under("", "aws_vpc.main"), "aws_vpc.main");
    }
}
