//! Which inputs an ENV argument names: an environment of parity.toml (or
//! one of its aliases), a snapshot file, or, without parity.toml, a
//! directory or tfvars file found by convention (docs/layouts.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Session;
use crate::error::{EnvError, Error};
use crate::sources::snapshot::Identity;
use crate::sources::terraform::TerraformTable;
use crate::sources::{EnvSpec, Tables};

impl Session {
    /// Resolve an ENV argument: a name in parity.toml (or an alias), a
    /// snapshot file, or a name found by convention.
    pub fn env(&self, name: &str) -> Result<EnvSpec, Error> {
        let as_path = self.cwd.join(name);
        // Whatever is there but a directory is a snapshot file: a FIFO or a
        // device is refused by the reader, with its name.
        if name.ends_with(".json") && as_path.symlink_metadata().is_ok() && !as_path.is_dir() {
            return Ok(EnvSpec {
                name: name.to_string(),
                identity: Identity::default(),
                tables: Tables::default(),
                file: Some(as_path),
                config: None,
            });
        }
        let Some(config) = &self.config else {
            return self.env_by_convention(name);
        };
        let Some(env) = config.environment(name) else {
            return Err(EnvError::Unknown {
                name: name.to_string(),
                config: config.path.clone(),
                known: config.environments.keys().cloned().collect(),
            }
            .into());
        };
        if env.sources.is_empty() {
            return Err(EnvError::NoSource {
                env: env.name.clone(),
                config: config.path.clone(),
                tables: crate::sources::keys().collect(),
            }
            .into());
        }
        Ok(EnvSpec {
            name: env.name.clone(),
            identity: Identity {
                aliases: env.aliases.clone(),
                account_id: env.account_id.clone(),
                region: env
                    .region
                    .clone()
                    .or_else(|| env.sources.region().map(str::to_string)),
            },
            tables: env.sources.clone(),
            file: None,
            config: Some(config.path.clone()),
        })
    }

    fn env_by_convention(&self, name: &str) -> Result<EnvSpec, Error> {
        let spec = |env: &str, root: PathBuf, var_files: Vec<PathBuf>| {
            let mut tables = Tables::default();
            tables.insert(
                "terraform",
                Arc::new(TerraformTable {
                    root,
                    var_files,
                    vars: crate::model::Map::new(),
                    workspace: "default".into(),
                    module: None,
                    data_from_state: true,
                    data_live: false,
                }),
            );
            EnvSpec {
                name: env.to_string(),
                identity: Identity::default(),
                tables,
                file: None,
                config: None,
            }
        };
        let direct = self.cwd.join(name);
        if direct.is_dir() {
            let env = direct
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.to_string());
            return Ok(spec(&env, direct, Vec::new()));
        }
        for dir in ["envs", "environments", "env"] {
            let root = self.cwd.join(dir).join(name);
            if root.is_dir() {
                return Ok(spec(name, root, Vec::new()));
            }
        }
        for file in [format!("{name}.tfvars"), format!("env/{name}.tfvars")] {
            let p = self.cwd.join(&file);
            if p.is_file() {
                return Ok(spec(name, self.cwd.clone(), vec![p]));
            }
        }
        let vdir = self.cwd.join("variables").join(name);
        if vdir.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&vdir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|e| e == "tfvars"))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            if !files.is_empty() {
                return Ok(spec(name, self.cwd.clone(), files));
            }
        }
        Err(EnvError::NotFound {
            name: name.to_string(),
            cwd: self.cwd.clone(),
        }
        .into())
    }
}

/// `dir` relative to the root of the git work tree that holds it (the
/// nearest ancestor with a `.git` directory or file), `/`-separated; empty
/// when `dir` is that root or in no work tree.
pub fn repo_prefix(dir: &Path) -> String {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return String::new();
    };
    for root in dir.ancestors() {
        if root.join(".git").exists() {
            return dir
                .strip_prefix(root)
                .map(|rel| {
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .unwrap_or_default();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_prefix_is_the_path_from_the_nearest_work_tree_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        std::fs::create_dir_all(root.join("repo/infra/aws")).unwrap();
        // A submodule or linked worktree has a `.git` file, and is a root.
        std::fs::create_dir_all(root.join("repo/vendor/sub/stacks")).unwrap();
        std::fs::write(
            root.join("repo/vendor/sub/.git"),
            "gitdir: ../../.git/modules/sub\n",
        )
        .unwrap();
        assert_eq!(repo_prefix(&root.join("repo")), "");
        assert_eq!(repo_prefix(&root.join("repo/infra")), "infra");
        assert_eq!(
            repo_prefix(&root.join("repo/infra/aws/../aws")),
            "infra/aws"
        );
        assert_eq!(repo_prefix(&root.join("repo/vendor/sub/stacks")), "stacks");
        // No such directory: nothing to prefix.
        assert_eq!(repo_prefix(&root.join("repo/missing")), "");
    }
}
