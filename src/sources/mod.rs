//! Sources: each reads one environment into a [`crate::model::Snapshot`].

#[cfg(feature = "aws")]
pub mod aws;
pub mod snapshot;
pub mod state;
pub mod terraform;
