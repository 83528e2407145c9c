//! Diagnostics on stderr through `tracing`: the level from `-q`/`-v`/`-vv`
//! (or `RUST_LOG`), and [`Stage`], the timer behind the per-stage timings of
//! verbose mode. Reports never go through here: stdout holds only them.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use tracing_subscriber::EnvFilter;

/// How much to say on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// Warnings and errors (the default).
    Normal,
    /// `-v`: progress and timings per stage.
    Info,
    /// `-vv`: and what each stage read and decided.
    Debug,
    /// `-vvv`.
    Trace,
}

impl Verbosity {
    pub fn from_flags(quiet: bool, verbose: u8) -> Verbosity {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, 1) => Verbosity::Info,
            (false, 2) => Verbosity::Debug,
            (false, _) => Verbosity::Trace,
        }
    }

    /// The filter the flags alone give: parity's own events at the chosen
    /// level, other crates' (the AWS SDK's) at warnings.
    fn directives(self) -> &'static str {
        match self {
            Verbosity::Quiet => "error",
            // The AWS SDK warns at WARN about things parity reports itself
            // (a credential provider that found nothing, a retry): those
            // reach users as one clear error, not as SDK dumps.
            Verbosity::Normal => "warn,aws_config=error,aws_smithy_runtime=error",
            Verbosity::Info => "warn,aws_config=error,aws_smithy_runtime=error,parity=info",
            Verbosity::Debug => "warn,parity=debug",
            Verbosity::Trace => "warn,parity=trace",
        }
    }
}

/// The filter in force: `-q` always means errors only; otherwise a
/// non-empty `RUST_LOG` (tracing's `EnvFilter` syntax, invalid directives
/// ignored) replaces the level `-v` chose.
pub fn filter(verbosity: Verbosity, rust_log: Option<&str>) -> EnvFilter {
    let builder = EnvFilter::builder();
    match rust_log.map(str::trim) {
        Some(directives) if !directives.is_empty() && verbosity != Verbosity::Quiet => {
            builder.parse_lossy(directives)
        }
        _ => builder.parse_lossy(verbosity.directives()),
    }
}

/// Install the stderr subscriber. Colour only when stderr is a terminal and
/// `NO_COLOR` is unset or empty. Calling it twice keeps the first.
pub fn init(verbosity: Verbosity) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(verbosity, rust_log.as_deref()))
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time()
        .with_target(matches!(verbosity, Verbosity::Debug | Verbosity::Trace))
        .try_init();
}

/// A stage of a run, timed: when dropped (or [`Stage::done`]), one info
/// event `<stage>: <detail> in 1.2 ms`, target `parity::timing`.
#[must_use = "a stage is timed until it is dropped"]
pub struct Stage {
    what: String,
    started: Instant,
    logged: bool,
}

impl Stage {
    pub fn start(what: impl Into<String>) -> Stage {
        Stage {
            what: what.into(),
            started: Instant::now(),
            logged: false,
        }
    }

    /// End the stage now, saying what it produced.
    pub fn done(mut self, detail: std::fmt::Arguments<'_>) {
        self.logged = true;
        tracing::info!(
            target: "parity::timing",
            "{}: {} in {}",
            self.what,
            detail,
            human(self.started.elapsed())
        );
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if !self.logged {
            tracing::info!(
                target: "parity::timing",
                "{}: {}",
                self.what,
                human(self.started.elapsed())
            );
        }
    }
}

/// `0.4 ms`, `12.3 ms`, `1.52 s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_levels() {
        assert_eq!(Verbosity::from_flags(true, 0), Verbosity::Quiet);
        assert_eq!(Verbosity::from_flags(false, 0), Verbosity::Normal);
        assert_eq!(Verbosity::from_flags(false, 1), Verbosity::Info);
        assert_eq!(Verbosity::from_flags(false, 2), Verbosity::Debug);
        assert_eq!(Verbosity::from_flags(false, 7), Verbosity::Trace);
    }

    #[test]
    fn rust_log_replaces_the_flags_but_not_quiet() {
        assert_eq!(
            filter(Verbosity::Normal, Some("parity=debug")).to_string(),
            "parity=debug"
        );
        // A blank RUST_LOG: the flags decide (targets print first); the
        // AWS SDK's own warnings stay quiet.
        let flags = filter(Verbosity::Info, Some("  ")).to_string();
        assert!(flags.contains("parity=info"), "{flags}");
        assert!(flags.contains("aws_config=error"), "{flags}");
        assert!(flags.ends_with(",warn"), "{flags}");
        assert_eq!(filter(Verbosity::Quiet, Some("trace")).to_string(), "error");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_micros(1234)), "1.2 ms");
        assert_eq!(human(Duration::from_millis(1520)), "1.52 s");
    }
}
