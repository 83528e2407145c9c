//! Module discovery: which files make up a module directory, parsed in
//! parallel, split by block kind.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use super::parse::{self, Attribute, Block, File};
use super::TfError;
use crate::model::CoverageGap;

/// A block together with the file it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub item: T,
    /// Shared with every location built from it.
    pub file: std::sync::Arc<str>,
}

/// One module directory, parsed.
#[derive(Debug, Default)]
pub struct ModuleDef {
    pub dir: PathBuf,
    pub variables: Vec<Located<Block>>,
    pub locals: BTreeMap<String, Located<Attribute>>,
    pub outputs: Vec<Located<Block>>,
    pub resources: Vec<Located<Block>>,
    pub data: Vec<Located<Block>>,
    pub modules: Vec<Located<Block>>,
    pub terraform: Vec<Located<Block>>,
    /// Files that could not be read as Terraform, and why.
    pub gaps: Vec<CoverageGap>,
    /// Bytes of HCL parsed, for throughput figures.
    pub bytes: usize,
}

/// Remove `.` and `..` components without touching the file system, so
/// `envs/staging/../../modules/db` displays as `modules/db`.
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path as shown to users: relative to `base` when under it.
pub fn display(base: &Path, path: &Path) -> String {
    let p = lexical(path);
    let b = lexical(base);
    let shown = match p.strip_prefix(&b) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        Ok(_) => PathBuf::from("."),
        Err(_) => p,
    };
    shown.to_string_lossy().replace('\\', "/")
}

/// `to` relative to `from`, with `..` where `to` is outside `from`, as
/// Terraform shows `path.module` (`../modules/db` for a module beside the
/// root). Falls back to [`display`] when no relative path can be built.
pub fn relative(from: &Path, to: &Path) -> String {
    let f = lexical(from);
    let t = lexical(to);
    let fc: Vec<Component> = f.components().collect();
    let tc: Vec<Component> = t.components().collect();
    let common = fc.iter().zip(&tc).take_while(|(a, b)| a == b).count();
    let ups = &fc[common..];
    if f.is_absolute() != t.is_absolute() || ups.iter().any(|c| !matches!(c, Component::Normal(_)))
    {
        return display(from, to);
    }
    let mut out = PathBuf::new();
    for _ in ups {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        ".".to_string()
    } else {
        out.to_string_lossy().replace('\\', "/")
    }
}

/// Drop every labelled block whose kind and labels an earlier one has.
/// Terraform rejects such a configuration ("Duplicate resource ..."); two
/// resources with one address would also confuse pairing, so the second is
/// recorded as a coverage gap and skipped. Found by sorting (no key is
/// copied or hashed for the blocks that are unique, which is all of them
/// in code Terraform accepts).
fn drop_duplicates(list: &mut Vec<Located<Block>>, gaps: &mut Vec<CoverageGap>) {
    let mut order: Vec<usize> = (0..list.len()).collect();
    let key = |i: usize| (&list[i].item.kind, &list[i].item.labels);
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    let mut dropped = vec![false; list.len()];
    let mut first = 0;
    for w in 1..order.len() {
        let (f, i) = (order[first], order[w]);
        if key(f) != key(i) {
            first = w;
            continue;
        }
        let (kept, dup) = (&list[f], &list[i]);
        gaps.push(CoverageGap {
            what: format!("{}:{}", dup.file, dup.item.line),
            reason: format!(
                "duplicate {} `{}` (first declared at {}:{}): Terraform rejects this; the first is used",
                dup.item.kind,
                dup.item.labels.join("."),
                kept.file,
                kept.item.line,
            ),
        });
        dropped[i] = true;
    }
    if dropped.contains(&true) {
        let mut i = 0;
        list.retain(|_| {
            i += 1;
            !dropped[i - 1]
        });
    }
}

/// A file another tool writes into a module before Terraform runs
/// (Terragrunt's `generate` blocks): read as if it were in the directory,
/// in place of a file of the same name.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// Its name in the module directory (`provider.tf`).
    pub name: String,
    pub text: String,
    /// How its locations are shown (`live/root.hcl#generate.provider`).
    pub display: String,
}

/// List and parse the Terraform files (`*.tf`, `*.tf.json`) of one
/// directory, the files in parallel on the current rayon pool.
pub fn load_module(dir: &Path, base: &Path) -> Result<ModuleDef, TfError> {
    load_module_with(dir, base, &[])
}

/// [`load_module`], with `generated` files read as if they were in `dir`.
pub fn load_module_with(
    dir: &Path,
    base: &Path,
    generated: &[Generated],
) -> Result<ModuleDef, TfError> {
    load_files(dir, base, generated, true)
}

/// [`load_module`], the files one after the other on this thread: no
/// rayon call, so the thread never waits in a join, where it could pick up
/// (steal) another job. The loader parses a module that other threads may
/// be waiting for this way (`Loader::module_def`): a parse that cannot
/// block always finishes, so every wait for it ends.
pub fn load_module_here(dir: &Path, base: &Path) -> Result<ModuleDef, TfError> {
    load_files(dir, base, &[], false)
}

fn load_files(
    dir: &Path,
    base: &Path,
    generated: &[Generated],
    parallel: bool,
) -> Result<ModuleDef, TfError> {
    let entries = std::fs::read_dir(dir).map_err(|source| TfError::Io {
        path: display(base, dir),
        cause: source,
    })?;
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();

    let mut def = ModuleDef {
        dir: dir.to_path_buf(),
        ..ModuleDef::default()
    };
    let mut tf_files = Vec::new();
    for path in names {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') || generated.iter().any(|g| g.name == name) {
            continue;
        }
        if name == "override.tf"
            || name.ends_with("_override.tf")
            || name == "override.tf.json"
            || name.ends_with("_override.tf.json")
        {
            // Terraform merges these into the blocks they name, attribute
            // by attribute. Read as ordinary files they declared every
            // block twice; until merging is implemented, say so.
            def.gaps.push(CoverageGap {
                what: display(base, &path),
                reason: "override file not merged yet: values it overrides are read from the original blocks".into(),
            });
        } else if name.ends_with(".tf") || name.ends_with(".tf.json") {
            // Only these two: `*.pkr.hcl`, `*.tfvars`, Terragrunt's
            // `terragrunt.hcl` and other `.hcl` beside them are not
            // Terraform configuration.
            tf_files.push(path);
        }
    }

    let parse_file = |path: &PathBuf| -> Result<Option<(File, usize)>, TfError> {
        let shown = display(base, path);
        let text = match crate::input::read(path, crate::input::limits().tf_file) {
            Ok(bytes) => bytes,
            Err(e) if !path.exists() => {
                // A dangling symlink: Terraform would fail; we say so and go on.
                let _ = e;
                return Ok(None);
            }
            Err(source) => {
                return Err(TfError::Io {
                    path: shown,
                    cause: source,
                })
            }
        };
        let text = parse::decode(&text, &shown)?;
        let file = if path.to_string_lossy().ends_with(".tf.json") {
            super::json::parse_tf_json(&text, path, &shown)?
        } else {
            parse::parse_hcl(&text, path, &shown)?
        };
        Ok(Some((file, text.len())))
    };
    let parsed: Vec<Result<Option<(File, usize)>, TfError>> = if parallel {
        tf_files.par_iter().map(parse_file).collect()
    } else {
        tf_files.iter().map(parse_file).collect()
    };

    let mut files = Vec::new();
    for g in generated {
        let path = dir.join(&g.name);
        let file = if g.name.ends_with(".tf.json") {
            super::json::parse_tf_json(&g.text, &path, &g.display)?
        } else {
            parse::parse_hcl(&g.text, &path, &g.display)?
        };
        files.push((file, g.text.len()));
    }
    for (path, result) in tf_files.iter().zip(parsed) {
        match result? {
            Some(f) => files.push(f),
            None => def.gaps.push(CoverageGap {
                what: display(base, path),
                reason: "dangling symbolic link, skipped".into(),
            }),
        }
    }
    for (file, bytes) in files {
        def.bytes += bytes;
        let shown: std::sync::Arc<str> = file.display.as_str().into();
        for attr in file.body.attributes {
            def.gaps.push(CoverageGap {
                what: format!("{}:{}", shown, attr.line),
                reason: format!("top-level attribute `{}` is not valid Terraform", attr.name),
            });
        }
        for block in file.body.blocks {
            let located = |item| Located {
                item,
                file: shown.clone(),
            };
            match block.kind.as_str() {
                "variable" => def.variables.push(located(block)),
                "output" => def.outputs.push(located(block)),
                "resource" => def.resources.push(located(block)),
                "data" => def.data.push(located(block)),
                "module" => def.modules.push(located(block)),
                "terraform" => def.terraform.push(located(block)),
                "locals" => {
                    for attr in block.body.attributes {
                        if let Some(first) = def.locals.get(&attr.name) {
                            def.gaps.push(CoverageGap {
                                what: format!("{}:{}", shown, attr.line),
                                reason: format!(
                                    "duplicate local value `{}` (first defined at {}:{}): Terraform rejects this; the first is used",
                                    attr.name, first.file, first.item.line
                                ),
                            });
                            continue;
                        }
                        def.locals.insert(
                            attr.name.clone(),
                            Located {
                                item: attr,
                                file: shown.clone(),
                            },
                        );
                    }
                }
                // Blocks that describe no infrastructure to compare:
                // ephemeral resources (Terraform 1.10) exist only during a
                // run and are never stored; actions (1.14) are operations a
                // run invokes. References to them stay symbolic values.
                "provider" | "moved" | "import" | "removed" | "check" | "ephemeral" | "action" => {}
                other => def.gaps.push(CoverageGap {
                    what: format!("{}:{}", shown, block.line),
                    reason: format!("unknown top-level block `{other}` ignored"),
                }),
            }
        }
    }
    for list in [
        &mut def.variables,
        &mut def.outputs,
        &mut def.resources,
        &mut def.data,
        &mut def.modules,
    ] {
        drop_duplicates(list, &mut def.gaps);
    }
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths() {
        assert_eq!(
            lexical(Path::new("envs/staging/../../modules/db")),
            PathBuf::from("modules/db")
        );
        assert_eq!(
            display(Path::new("/a/b"), Path::new("/a/b/envs/x/main.tf")),
            "envs/x/main.tf"
        );
        assert_eq!(
            relative(Path::new("/p/envs/s"), Path::new("/p/envs/s")),
            "."
        );
        assert_eq!(
            relative(Path::new("/p/envs/s"), Path::new("/p/envs/s/modules/a")),
            "modules/a"
        );
        assert_eq!(
            relative(Path::new("/p/envs/s"), Path::new("/p/modules/a")),
            "../../modules/a"
        );
    }
}
