//! `parity man [-o DIR]`: the man pages, from the same clap definitions as
//! `--help`.

use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory;

use parity::cli::{Cli, ManArgs};
use parity::report::ExitStatus;

use super::{emit, note, Globals};

pub fn run(g: &Globals, args: ManArgs) -> anyhow::Result<ExitStatus> {
    let cmd = Cli::command();
    match args.output {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .context("cannot render the man page")?;
            emit(&String::from_utf8_lossy(&out), None)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let written = write_man_pages(cmd, &dir)?;
            if !g.quiet {
                note(&format!("wrote {} man pages to {}", written, dir.display()));
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// `parity.1` and `parity-<sub>.1` for every subcommand (nested ones too);
/// returns how many pages were written.
fn write_man_pages(cmd: clap::Command, dir: &Path) -> anyhow::Result<usize> {
    fn pages(cmd: &clap::Command) -> usize {
        1 + cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
            .map(pages)
            .sum::<usize>()
    }
    let n = pages(&cmd);
    clap_mangen::generate_to(cmd, dir)
        .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
    Ok(n)
}
