//! `parity init` for a Pulumi project: `Pulumi.yaml` with one
//! `Pulumi.<stack>.yaml` per stack. Each stack is an environment whose
//! `pulumi` table names its configuration and, when one is found beside
//! the project, its stack export (`state/<stack>.json`, `exports/<stack>.json`
//! or `<stack>.stack.json`) and preview (`preview/<stack>.json`,
//! `previews/<stack>.json` or `<stack>.preview.json`). A stack without an
//! export gets its table as a comment with the command that writes one:
//! the table needs the file to exist.

use std::fmt::Write as _;
use std::path::Path;

use crate::init::{key, prod_rank, q, DetectedEnv, Layout, Proposal, PulumiFound};

const EXPORTS: &[&str] = &["state/{}.json", "exports/{}.json", "{}.stack.json"];
const PREVIEWS: &[&str] = &["preview/{}.json", "previews/{}.json", "{}.preview.json"];

/// The proposal for the Pulumi project in `dir`, if it is one with stacks.
pub fn propose(dir: &Path) -> Option<Proposal> {
    let project = ["Pulumi.yaml", "Pulumi.yml"]
        .iter()
        .find(|f| dir.join(f).is_file())?;
    let mut stacks: Vec<(String, String)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let file = e.file_name().to_str()?.to_string();
            let stem = file
                .strip_prefix("Pulumi.")?
                .strip_suffix(".yaml")
                .or_else(|| file.strip_prefix("Pulumi.")?.strip_suffix(".yml"))?;
            (!stem.is_empty() && e.path().is_file()).then(|| (stem.to_string(), file.clone()))
        })
        .collect();
    if stacks.is_empty() {
        return None;
    }
    // Promotion order: least production-like first, then by name.
    stacks.sort_by(|a, b| {
        prod_rank(&a.0)
            .cmp(&prod_rank(&b.0))
            .then_with(|| a.0.cmp(&b.0))
    });
    let first = |patterns: &[&str], stack: &str| {
        patterns
            .iter()
            .map(|p| p.replace("{}", stack))
            .find(|p| dir.join(p).is_file())
    };
    let yaml_program = std::fs::read_to_string(dir.join(project))
        .ok()
        .and_then(|t| crate::sources::cloudformation::template::parse(&t).ok())
        .is_some_and(|(tree, _)| {
            tree.get("runtime")
                .and_then(|r| r.as_str().or_else(|| r.get("name")?.as_str()))
                == Some("yaml")
        });
    let environments: Vec<DetectedEnv> = stacks
        .iter()
        .map(|(stack, file)| {
            let mut e =
                crate::init::env_named(stack, ".".into(), format!("{file} beside {project}"));
            e.pulumi = Some(PulumiFound {
                config: file.clone(),
                stack_export: first(EXPORTS, stack),
                preview: first(PREVIEWS, stack),
                yaml_program,
            });
            e
        })
        .collect();
    let mut notes = Vec::new();
    let reference = if environments.len() >= 2 {
        let best = environments.iter().filter_map(|e| prod_rank(&e.name)).max();
        let chosen = environments
            .iter()
            .rev()
            .find(|e| prod_rank(&e.name) == best)
            .map(|e| e.name.clone());
        if best.is_none() {
            notes.push(format!(
                "no stack is named like production: `{}` is the reference of the check; change it if another one is",
                chosen.as_deref().unwrap_or_default()
            ));
        }
        chosen
    } else {
        notes
            .push("only one stack was found: no [[check]] is written (parity compares two)".into());
        None
    };
    for e in &environments {
        if e.pulumi
            .as_ref()
            .is_some_and(|p| p.stack_export.is_none() && !p.yaml_program)
        {
            notes.push(format!(
                "no stack export of `{0}` was found: write one with `pulumi stack export --stack {0} --show-secrets > state/{0}.json`, then uncomment its table",
                e.name
            ));
        }
    }
    Some(Proposal {
        layout: Layout::PulumiStacks,
        environments,
        reference,
        notes,
    })
}

/// The proposal as a commented parity.toml.
pub fn render(p: &Proposal) -> String {
    let mut o = crate::init::header(p, "pulumi.md");
    o.push_str(
        "\
         # One table per stack. `pulumi` reads what the stack applied (stack-export,\n\
         # the JSON of `pulumi stack export --show-secrets`: --source state), what its\n\
         # next `pulumi up` would apply (preview, `pulumi preview --json`: --source\n\
         # plan), its configuration (config, Pulumi.<stack>.yaml) and, for a Pulumi\n\
         # YAML program, the program itself (program, stack: --source code).\n",
    );
    for e in &p.environments {
        let Some(found) = &e.pulumi else { continue };
        let _ = writeln!(o, "\n[environments.{}]", key(&e.name));
        let _ = writeln!(o, "# account-id = \"123456789012\"");
        let export = found
            .stack_export
            .clone()
            .unwrap_or_else(|| format!("state/{}.json", e.name));
        let mut keys = Vec::new();
        if found.yaml_program {
            keys.push(format!("program = \".\", stack = {}", q(&e.name)));
        }
        if found.stack_export.is_some() || !found.yaml_program {
            keys.push(format!("stack-export = {}", q(&export)));
        }
        if let Some(pv) = &found.preview {
            keys.push(format!("preview = {}", q(pv)));
        }
        keys.push(format!("config = {}", q(&found.config)));
        let line = format!("pulumi = {{ {} }}", keys.join(", "));
        if found.stack_export.is_some() || found.yaml_program {
            let _ = writeln!(o, "{line}");
        } else {
            let _ = writeln!(
                o,
                "# {line}  # none found: pulumi stack export --stack {} --show-secrets > {export}",
                e.name
            );
        }
    }
    o.push('\n');
    match &p.reference {
        Some(reference) => {
            let compared: Vec<String> = p.compared().iter().map(|s| q(s)).collect();
            o.push_str(
                "# What `parity check` runs: each stack of `compare` held to `reference`\n\
                 # (the most production-like name found), read from its stack export.\n",
            );
            let _ = writeln!(o, "[[check]]");
            let _ = writeln!(o, "reference = {}", q(reference));
            let _ = writeln!(o, "compare = [{}]", compared.join(", "));
            let source = if p
                .environments
                .iter()
                .all(|e| e.pulumi.as_ref().is_some_and(|f| f.stack_export.is_some()))
            {
                "state"
            } else {
                "code"
            };
            let _ = writeln!(o, "source = \"{source}\"");
        }
        None => o.push_str(
            "# What `parity check` runs, once there are two stacks:\n\
             # [[check]]\n# reference = \"prod\"\n# compare = [\"staging\"]\n# source = \"state\"\n",
        ),
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "config: {}\n").expect("write");
        }
        dir
    }

    #[test]
    fn stacks_beside_pulumi_yaml_are_environments_held_to_prod() {
        let dir = project(&[
            "Pulumi.yaml",
            "Pulumi.prod.yaml",
            "Pulumi.staging.yaml",
            "state/prod.json",
            "staging.stack.json",
            "preview/prod.json",
        ]);
        let p = propose(dir.path()).expect("a Pulumi project");
        let names: Vec<&str> = p.environments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["staging", "prod"]);
        assert_eq!(p.reference.as_deref(), Some("prod"));
        let text = render(&p);
        assert!(text.contains("pulumi = { stack-export = \"state/prod.json\", preview = \"preview/prod.json\", config = \"Pulumi.prod.yaml\" }"), "{text}");
        assert!(text.contains("pulumi = { stack-export = \"staging.stack.json\", config = \"Pulumi.staging.yaml\" }"), "{text}");
        assert!(text.contains("source = \"state\""), "{text}");
    }

    #[test]
    fn a_yaml_program_is_read_as_code() {
        let dir = project(&["Pulumi.staging.yaml", "Pulumi.prod.yaml"]);
        std::fs::write(
            dir.path().join("Pulumi.yaml"),
            "name: shop\nruntime: yaml\n",
        )
        .expect("write");
        let text = render(&propose(dir.path()).expect("a Pulumi project"));
        assert!(
            text.contains(
                "pulumi = { program = \".\", stack = \"prod\", config = \"Pulumi.prod.yaml\" }"
            ),
            "{text}"
        );
        assert!(text.contains("source = \"code\""), "{text}");
    }

    #[test]
    fn no_project_file_or_no_stack_is_no_pulumi_project() {
        assert!(propose(project(&["Pulumi.staging.yaml"]).path()).is_none());
        assert!(propose(project(&["Pulumi.yaml"]).path()).is_none());
        let p = propose(project(&["Pulumi.yaml", "Pulumi.dev.yaml"]).path()).expect("one stack");
        assert_eq!(p.reference, None);
        let text = render(&p);
        assert!(
            text.contains("# pulumi = { stack-export = \"state/dev.json\""),
            "{text}"
        );
    }
}
