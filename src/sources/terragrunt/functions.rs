//! Terragrunt's functions, beside Terraform's (which the evaluator calls
//! when a name is not one of these).
//!
//! Paths are evaluated as Terragrunt does, against the unit being read
//! (`get_terragrunt_dir()`), the file included (`get_parent_terragrunt_dir()`)
//! or the file `read_terragrunt_config` reads. `get_env` reads the
//! environment's `env` table of parity.toml, never the process's
//! environment. Functions that would run a command or call AWS are never
//! run: their value is unknown and coverage names them with file:line.

use std::path::{Path, PathBuf};

use hcl::Expression;

use super::config::{read_config, At};
use crate::model::Value;
use crate::sources::terraform::eval::{expr_text, EvalErr};
use crate::sources::terraform::{files, functions as tf, parse};

type R<T> = Result<T, EvalErr>;

/// Functions parity never runs: they run a command, decrypt a file, call
/// AWS, or depend on the command line Terragrunt runs.
pub(crate) const NEVER_RUN: &[&str] = &[
    "run_cmd",
    "sops_decrypt_file",
    "get_aws_account_id",
    "get_aws_account_alias",
    "get_aws_caller_identity_arn",
    "get_aws_caller_identity_user_id",
    "get_platform",
    "get_working_dir",
    "get_terraform_command",
    "get_terraform_cli_args",
    "get_default_retryable_errors",
];

/// `name(args)` if it is a Terragrunt function; `None` otherwise.
pub(crate) fn call(at: &At, name: &str, args: &[Value], whole: &Expression) -> Option<R<Value>> {
    let ev = at.ev;
    if NEVER_RUN.contains(&name) {
        ev.run.gap(
            ev.here(at.frame),
            format!("`{name}()` is not run by parity (it runs a command, calls AWS or reads Terragrunt's command line): compared as unknown"),
        );
        return Some(Ok(Value::Unknown(expr_text(whole))));
    }
    let known = matches!(
        name,
        "find_in_parent_folders"
            | "get_env"
            | "get_terragrunt_dir"
            | "get_original_terragrunt_dir"
            | "get_parent_terragrunt_dir"
            | "path_relative_to_include"
            | "path_relative_from_include"
            | "get_repo_root"
            | "get_path_from_repo_root"
            | "get_path_to_repo_root"
            | "read_terragrunt_config"
            | "read_tfvars_file"
            | "mark_as_read"
            | "get_terraform_commands_that_need_vars"
            | "get_terraform_commands_that_need_input"
            | "get_terraform_commands_that_need_locking"
            | "get_terraform_commands_that_need_parallelism"
    );
    if !known {
        return None;
    }
    if args.iter().any(Value::contains_unknown) {
        return Some(Ok(Value::Unknown(expr_text(whole))));
    }
    Some(known_call(at, name, args))
}

fn known_call(at: &At, name: &str, args: &[Value]) -> R<Value> {
    let ev = at.ev;
    let arg = |i: usize| -> R<Option<&str>> {
        match args.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(EvalErr::Soft(format!(
                "{name}: argument {} must be a string, found {}",
                i + 1,
                other.type_name()
            ))),
        }
    };
    let path = |p: &Path| Value::String(p.to_string_lossy().replace('\\', "/"));
    let list = |items: &[&str]| Value::List(items.iter().map(|s| Value::str(*s)).collect());
    match name {
        "find_in_parent_folders" => {
            let wanted = arg(0)?.unwrap_or(super::UNIT_FILE);
            match find_up(&ev.dir, wanted) {
                Some(found) => Ok(path(&found)),
                None => match args.get(1) {
                    Some(fallback) => Ok(fallback.clone()),
                    // An error where a value is required (an include's
                    // path); elsewhere unknown and listed (secrets files
                    // are often not in the repository).
                    None => Err(EvalErr::Soft(format!(
                        "find_in_parent_folders: no {wanted} in any folder above {}",
                        ev.run.show(&ev.dir)
                    ))),
                },
            }
        }
        "get_env" => {
            let Some(var) = arg(0)? else {
                return Err(EvalErr::Soft("get_env: expects a variable name".into()));
            };
            match ev.run.opts().env.get(var) {
                Some(v) => Ok(Value::str(v.clone())),
                None => match args.get(1) {
                    Some(default) => Ok(default.clone()),
                    None => {
                        ev.run.gap(
                            ev.here(at.frame),
                            format!("get_env(\"{var}\"): not set in the environment's `env` table in parity.toml (the process environment is never read): compared as unknown"),
                        );
                        Ok(Value::Unknown(format!("get_env(\"{var}\")")))
                    }
                },
            }
        }
        "get_terragrunt_dir" => Ok(path(&ev.dir)),
        "get_original_terragrunt_dir" => Ok(path(&ev.original)),
        "get_parent_terragrunt_dir" => Ok(path(
            &ev.include_dir(at.frame, arg(0)?)
                .unwrap_or_else(|| ev.dir.clone()),
        )),
        "path_relative_to_include" => Ok(Value::String(match ev.include_dir(at.frame, arg(0)?) {
            Some(parent) => files::relative(&parent, &ev.dir),
            None => ".".into(),
        })),
        "path_relative_from_include" => {
            Ok(Value::String(match ev.include_dir(at.frame, arg(0)?) {
                Some(parent) => files::relative(&ev.dir, &parent),
                None => ".".into(),
            }))
        }
        "get_repo_root" | "get_path_from_repo_root" | "get_path_to_repo_root" => {
            let Some(repo) = repo_root(&ev.dir) else {
                ev.run.gap(
                    ev.here(at.frame),
                    format!(
                        "{name}(): {} is in no git repository: compared as unknown",
                        ev.run.show(&ev.dir)
                    ),
                );
                return Ok(Value::Unknown(format!("{name}()")));
            };
            Ok(match name {
                "get_repo_root" => path(&repo),
                "get_path_from_repo_root" => Value::String(files::relative(&repo, &ev.dir)),
                _ => Value::String(files::relative(&ev.dir, &repo)),
            })
        }
        "read_terragrunt_config" => {
            let Some(p) = arg(0)? else {
                return Err(EvalErr::Soft(
                    "read_terragrunt_config: expects a path".into(),
                ));
            };
            let target = files::lexical(&ev.dir.join(p));
            if !target.is_file() {
                return match args.get(1) {
                    Some(default) => Ok(default.clone()),
                    None => Err(EvalErr::Soft(format!(
                        "read_terragrunt_config: {} does not exist",
                        ev.run.show(&target)
                    ))),
                };
            }
            if ev.run.reading.borrow().contains(&target) {
                return Err(EvalErr::Fatal(format!(
                    "{}: read_terragrunt_config: {} reads itself (a cycle)",
                    ev.here(at.frame),
                    ev.run.show(&target)
                )));
            }
            // Its value depends on the unit reading it only through
            // get_original_terragrunt_dir (its own directory is its
            // get_terragrunt_dir; get_env reads the run's table). A file
            // it includes could call it too: keyed by unit then as well.
            let parsed = ev
                .run
                .parse(&target)
                .map_err(|e| EvalErr::Fatal(e.to_string()))?;
            let per_unit = parsed.mentions("get_original_terragrunt_dir")
                || parsed.file.body.blocks("include").next().is_some();
            let key = (target.clone(), per_unit.then(|| ev.original.clone()));
            if let Some(v) = ev.run.read_cache.borrow().get(&key) {
                return Ok(v.clone());
            }
            ev.run.reading.borrow_mut().push(target.clone());
            let value = read_config(ev.run, &target, &ev.original);
            ev.run.reading.borrow_mut().pop();
            let value = value?;
            ev.run.read_cache.borrow_mut().insert(key, value.clone());
            Ok(value)
        }
        "read_tfvars_file" => {
            let Some(p) = arg(0)? else {
                return Err(EvalErr::Soft("read_tfvars_file: expects a path".into()));
            };
            read_tfvars(&ev.dir.join(p), &ev.run.show(&ev.dir.join(p)), at)
        }
        "mark_as_read" => Ok(args.first().cloned().unwrap_or(Value::Null)),
        "get_terraform_commands_that_need_vars" => Ok(list(&[
            "apply", "console", "destroy", "import", "plan", "push", "refresh",
        ])),
        "get_terraform_commands_that_need_input" => {
            Ok(list(&["apply", "import", "init", "plan", "refresh"]))
        }
        "get_terraform_commands_that_need_locking" => Ok(list(&[
            "apply", "destroy", "import", "init", "plan", "refresh", "taint", "untaint",
        ])),
        "get_terraform_commands_that_need_parallelism" => Ok(list(&["apply", "plan", "destroy"])),
        _ => Err(EvalErr::UnknownFunction(name.to_string())),
    }
}

/// The first `name` in a folder above `dir` (not `dir` itself).
fn find_up(dir: &Path, name: &str) -> Option<PathBuf> {
    let mut cur = dir.parent();
    while let Some(d) = cur {
        let candidate = d.join(name);
        if candidate.is_file() {
            return Some(files::lexical(&candidate));
        }
        cur = d.parent();
    }
    None
}

/// The nearest folder at or above `dir` holding `.git` (a directory, or a
/// file in a worktree).
fn repo_root(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

/// `read_tfvars_file`: the file's variables as a JSON string, as
/// Terragrunt returns them (a `.json` file as written).
fn read_tfvars(target: &Path, shown: &str, at: &At) -> R<Value> {
    let text = crate::input::read_text(target, crate::input::limits().tfvars_file)
        .map_err(|e| EvalErr::Soft(format!("read_tfvars_file: cannot read {shown}: {e}")))?;
    if shown.ends_with(".json") {
        return Ok(Value::String(text));
    }
    let file = parse::parse_hcl(&text, target, shown)
        .map_err(|e| EvalErr::Fatal(format!("read_tfvars_file: {e}")))?;
    let mut vars = crate::model::Map::new();
    for a in &file.body.attributes {
        let v = crate::sources::terraform::eval::Scope::new(at).eval(&a.expr)?;
        vars.insert(a.name.clone(), v);
    }
    tf::call("jsonencode", vec![Value::Map(vars)]).map_err(|e| EvalErr::Soft(e.to_string()))
}
