//! `parity init`: write a parity.toml from the layout found here.

use std::path::Path;

use parity::cli::InitArgs;
use parity::report::ExitStatus;

use super::{emit, note, Globals};

pub fn run(g: &Globals, args: InitArgs) -> anyhow::Result<ExitStatus> {
    // Relative to the working directory, so messages show it as given.
    let path = parity::init::target(g.config, Path::new(""));
    let outcome = parity::init::run(&path, args.force, args.stdout)?;
    if args.stdout {
        emit(&outcome.text, None)?;
    }
    if !g.quiet {
        note(&summary(&outcome, g.cwd));
    }
    Ok(ExitStatus::Success)
}

/// What `parity init` found and wrote, for the user.
fn summary(outcome: &parity::init::Outcome, cwd: &Path) -> String {
    let p = &outcome.proposal;
    let shown = outcome
        .path
        .strip_prefix(cwd)
        .unwrap_or(&outcome.path)
        .display()
        .to_string();
    let mut out = format!(
        "{} {shown}: {} environment{} ({}), {}",
        if outcome.written {
            "wrote"
        } else {
            "would write"
        },
        p.environments.len(),
        if p.environments.len() == 1 { "" } else { "s" },
        p.environments
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        p.layout.describe()
    );
    if let Some(reference) = &p.reference {
        out.push_str(&format!(
            "; [[check]] holds {} to {reference}",
            p.compared().join(", ")
        ));
    }
    for n in &p.notes {
        out.push_str("\nnote: ");
        out.push_str(n);
    }
    if outcome.written && p.reference.is_some() {
        out.push_str("\nnext: review it, then `parity check`");
    }
    out
}
