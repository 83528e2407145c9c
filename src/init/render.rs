//! The proposal written as parity.toml, with a comment on every key.

use std::fmt::Write as _;

#[allow(unused_imports)]
use super::*;

/// A TOML basic string.
pub(crate) fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be.
pub(crate) fn key(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        s.to_string()
    } else {
        q(s)
    }
}

pub(super) fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

/// The head of a parity.toml written for a source with its own page in
/// docs/ (`docs`: `terragrunt.md`, `pulumi.md`): what was found, the notes,
/// and `fail-on`.
pub(crate) fn header(p: &Proposal, docs: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# parity.toml, written by `parity init` from the layout of this directory:"
    );
    let _ = writeln!(o, "# {}.", p.layout.describe());
    let _ = writeln!(
        o,
        "# Every key is explained in docs/configuration.md and docs/{docs} of parity."
    );
    let _ = writeln!(
        o,
        "# Paths are relative to this file's directory. Review it, then run `parity check`."
    );
    let _ = writeln!(o, "#\n# Found:");
    for e in &p.environments {
        let _ = writeln!(o, "#   {}  {}", e.name, e.evidence);
    }
    if !p.notes.is_empty() {
        let _ = writeln!(o, "#\n# Notes:");
        for n in &p.notes {
            let _ = writeln!(o, "# - {n}");
        }
    }
    o.push_str(
        "\n# The lowest severity that fails `parity diff` and `parity check` (exit 2):\n\
         # error, warning, info or never. --fail-on on the command line wins.\n\
         fail-on = \"error\"\n\n",
    );
    o
}

/// The commented `aws` table of one environment.
fn aws_line(o: &mut String, e: &DetectedEnv) {
    let _ = writeln!(
        o,
        "# aws = {{ profile = \"{}\", region = \"{}\" }}",
        e.name,
        e.region
            .as_ref()
            .map(|f| f.value.as_str())
            .unwrap_or("eu-west-1")
    );
}

/// The proposal as a commented parity.toml.
pub fn render(p: &Proposal) -> String {
    if p.layout == Layout::PulumiStacks {
        return crate::sources::pulumi::init::render(p);
    }
    if p.layout == Layout::Terragrunt {
        return crate::sources::terragrunt::init::render(p);
    }
    let mut o = String::new();
    let names: Vec<&str> = p.environments.iter().map(|e| e.name.as_str()).collect();
    let _ = writeln!(
        o,
        "# parity.toml, written by `parity init` from the layout of this directory:"
    );
    let _ = writeln!(o, "# {}.", p.layout.describe());
    let _ = writeln!(
        o,
        "# Every key is explained in docs/configuration.md of parity. Paths are relative"
    );
    let _ = writeln!(
        o,
        "# to this file's directory. Review it, then run `parity check`."
    );
    let _ = writeln!(o, "#");
    let _ = writeln!(o, "# Found:");
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for e in &p.environments {
        let _ = writeln!(o, "#   {:width$}  {}", e.name, e.evidence);
    }
    if !p.notes.is_empty() {
        let _ = writeln!(o, "#");
        let _ = writeln!(o, "# Notes:");
        for n in &p.notes {
            let _ = writeln!(o, "# - {n}");
        }
    }
    o.push('\n');

    o.push_str(
        "# The lowest severity that fails `parity diff` and `parity check` (exit 2):\n\
         # error, warning, info or never. --fail-on on the command line wins.\n\
         fail-on = \"error\"\n\n",
    );
    o.push_str(
        "# Extra rule files or folders, added to the built-in rule packs:\n\
         # rules = [\"rules/local.toml\"]\n\n",
    );

    o.push_str(
        "# One table per environment; its name is used on the command line\n\
         # (`parity diff A B`) and in reports. Keys of an environment:\n\
         #   aliases     other names of it in names and values (shop-stg-db): they are\n\
         #               normalized to ${env} like the name, so names compare equal\n\
         #   account-id  its AWS account id (12 digits), normalized to ${account} (ARNs)\n\
         #   region      its AWS region, normalized to ${region}\n\
         #   terraform   the code: root (the root module directory), var-files (applied\n\
         #               in order, as -var-file), vars (as -var), workspace (the value\n\
         #               of terraform.workspace), module (read one module call only)\n\
         #   state       what Terraform applied: path or paths (state files, local),\n\
         #               plan (`terraform show -json` of a plan): --source state|plan,\n\
         #               `parity drift`. A missing file makes a run incomplete (exit 3)\n\
         #   aws         the live account, read-only: profile, region, role-arn, tags\n\
         #               (--source live)\n",
    );
    if p.environments.iter().any(|e| e.code != Code::Terraform) {
        o.push_str(
            "#   cloudformation  the code as a CloudFormation template: template, parameters\n\
             #               (its parameter file), stack-name, region, account\n\
             #   cdk         the code as a stage of a synthesized CDK app: out (cdk.out),\n\
             #               stage (docs/cloudformation.md)\n",
        );
    }
    for e in &p.environments {
        o.push('\n');
        let _ = writeln!(o, "[environments.{}]", key(&e.name));
        let others: Vec<String> = synonyms(&e.name)
            .into_iter()
            .filter(|s| !names.contains(s))
            .map(str::to_string)
            .collect();
        let _ = writeln!(o, "# aliases = {}", list(&others));
        match &e.account_id {
            Some(f) => {
                let _ = writeln!(o, "account-id = {}  # from {}", q(&f.value), f.from);
            }
            None => {
                let _ = writeln!(o, "# account-id = \"123456789012\"");
            }
        }
        match &e.region {
            Some(f) => {
                let _ = writeln!(o, "region = {}  # from {}", q(&f.value), f.from);
            }
            None => {
                let _ = writeln!(o, "# region = \"eu-west-1\"");
            }
        }
        match &e.code {
            Code::Terraform => {}
            Code::CloudFormation {
                template,
                parameters,
            } => {
                let _ = writeln!(
                    o,
                    "cloudformation = {{ template = {}, parameters = {} }}",
                    q(template),
                    q(parameters)
                );
                let _ = writeln!(
                    o,
                    "# stack-name = {}  # the deployed stack, for --source live and `parity drift`",
                    q(&e.name)
                );
                aws_line(&mut o, e);
                continue;
            }
            Code::Cdk { out, stage } => {
                let _ = writeln!(o, "cdk = {{ out = {}, stage = {} }}", q(out), q(stage));
                continue;
            }
            Code::CdkStacks { out, stacks } => {
                let _ = writeln!(o, "cdk = {{ out = {}, stacks = {} }}", q(out), list(stacks));
                continue;
            }
        }
        let mut tf = vec![format!("root = {}", q(&e.root))];
        if !e.var_files.is_empty() {
            tf.push(format!("var-files = {}", list(&e.var_files)));
        }
        if let Some(ws) = &e.workspace {
            tf.push(format!("workspace = {}", q(ws)));
        }
        let _ = writeln!(o, "terraform = {{ {} }}", tf.join(", "));
        let mut st = Vec::new();
        match e.state.as_slice() {
            [] => {}
            [one] => st.push(format!("path = {}", q(one))),
            many => st.push(format!("paths = {}", list(many))),
        }
        if let Some(plan) = &e.plan {
            st.push(format!("plan = {}", q(plan)));
        }
        if st.is_empty() {
            let _ = writeln!(
                o,
                "# state = {{ path = \"{0}.tfstate\", plan = \"{0}.plan.json\" }}  # none found here",
                e.name
            );
        } else {
            let _ = writeln!(o, "state = {{ {} }}", st.join(", "));
        }
        aws_line(&mut o, e);
    }

    o.push('\n');
    match &p.reference {
        Some(reference) => {
            let compared: Vec<String> = p.compared().iter().map(|s| s.to_string()).collect();
            o.push_str(
                "# What `parity check` runs: each environment of `compare` held to\n\
                 # `reference` (the most production-like name found), read from `source`:\n\
                 # code, state, plan or live. Add a [[check]] per pair you want held.\n",
            );
            let _ = writeln!(o, "[[check]]");
            let _ = writeln!(o, "reference = {}", q(reference));
            let _ = writeln!(o, "compare = {}", list(&compared));
            let _ = writeln!(o, "source = \"code\"");
        }
        None => {
            o.push_str(
                "# What `parity check` runs, once there are two environments:\n\
                 # [[check]]\n\
                 # reference = \"prod\"\n\
                 # compare = [\"staging\"]\n\
                 # source = \"code\"\n",
            );
        }
    }
    o.push_str(
        "\n# Resources whose addresses differ between environments, paired by hand:\n\
         # [[match]]\n\
         # staging = \"module.staging_router\"\n\
         # prod = \"module.production_router\"\n\
         \n\
         # Accepted differences, each with a reason (and an owner and end date):\n\
         # [[waiver]]\n\
         # rule = \"engine-version\"\n\
         # resource = \"module.db.aws_db_instance.*\"\n\
         # environments = [\"staging\"]\n\
         # reason = \"staging tries the next minor version first\"\n\
         # owner = \"data-platform\"\n\
         # expires = \"2026-12-31\"\n",
    );
    o
}
