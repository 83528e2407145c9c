//! Sources: each reads one environment into a [`crate::model::Snapshot`].

pub mod snapshot;
pub mod terraform;
