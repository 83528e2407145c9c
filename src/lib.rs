//! `parity`: where does staging stop looking like production?
//!
//! Data flow: [`config`] → one source per environment ([`sources`]) →
//! [`model::Snapshot`] → [`normalize`] → [`matching`] → [`rules`] engine →
//! [`findings`] → [`report`] → exit code.

pub mod config;
pub mod findings;
pub mod model;
pub mod rules;
pub mod sources;
