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
    pub file: String,
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

/// List and parse the Terraform files of one directory.
pub fn load_module(dir: &Path, base: &Path) -> Result<ModuleDef, TfError> {
    let entries = std::fs::read_dir(dir).map_err(|source| TfError::Io {
        path: display(base, dir),
        source,
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
        if name.starts_with('.') {
            continue;
        }
        if name.ends_with(".tf") {
            tf_files.push(path);
        } else if name.ends_with(".tf.json") {
            def.gaps.push(CoverageGap {
                what: display(base, &path),
                reason: "Terraform JSON syntax (*.tf.json) is not read yet".into(),
            });
        }
    }

    let parsed: Vec<Result<Option<(File, usize)>, TfError>> = tf_files
        .par_iter()
        .map(|path| {
            let shown = display(base, path);
            let text = match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) if !path.exists() => {
                    // A dangling symlink: Terraform would fail; we say so and go on.
                    let _ = e;
                    return Ok(None);
                }
                Err(source) => {
                    return Err(TfError::Io {
                        path: shown,
                        source,
                    })
                }
            };
            let text = String::from_utf8_lossy(&text);
            let file = parse::parse_hcl(&text, path, &shown)?;
            Ok(Some((file, text.len())))
        })
        .collect();

    let mut files = Vec::new();
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
        let shown = file.display.clone();
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
                        def.locals.insert(
                            attr.name.clone(),
                            Located {
                                item: attr,
                                file: shown.clone(),
                            },
                        );
                    }
                }
                // Blocks that describe no infrastructure to compare.
                "provider" | "moved" | "import" | "removed" | "check" => {}
                other => def.gaps.push(CoverageGap {
                    what: format!("{}:{}", shown, block.line),
                    reason: format!("unknown top-level block `{other}` ignored"),
                }),
            }
        }
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
    }
}
