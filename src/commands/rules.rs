//! `parity rules [list | show ID | docs]`: the rules in force.

use anyhow::anyhow;

use parity::cli::RulesAction;
use parity::report::ExitStatus;
use parity::run::Session;

use super::{emit, Globals};

pub fn run(g: &Globals, action: Option<RulesAction>) -> anyhow::Result<ExitStatus> {
    let session = Session::open(g.config, g.cwd)?;
    let text = match action.unwrap_or(RulesAction::List) {
        RulesAction::List => parity::rules::describe::list(&session.rules),
        RulesAction::Show { id } => match session.rules.iter().find(|r| r.id == id) {
            Some(rule) => parity::rules::describe::show(rule),
            None => {
                return Err(anyhow!(
                    "unknown rule `{id}`: `parity rules list` shows every rule id"
                ))
            }
        },
        RulesAction::Docs => parity::rules::packs::render_markdown(&session.rules),
    };
    emit(&text, None)?;
    Ok(ExitStatus::Success)
}
