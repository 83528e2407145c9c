//! `parity`: where does staging stop looking like production?
//!
//! Data flow: [`config`] → one source per environment ([`sources`]) →
//! [`model::Snapshot`] → [`normalize`] → [`matching`] → [`rules`] engine →
//! [`findings`] (+ `waivers`) → [`report`] → exit code. [`run`] wires the
//! stages together; `main.rs` only parses arguments and prints.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod error;
pub mod findings;
pub mod init;
pub mod input;
pub mod logging;
pub mod matching;
pub mod model;
pub mod normalize;
pub mod report;
pub mod rules;
pub mod run;
pub mod sources;
pub(crate) mod waivers;

pub use error::{EnvError, Error};
