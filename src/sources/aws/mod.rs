//! The live source: reads one environment's AWS account through the AWS SDK
//! for Rust into a `Snapshot` with Terraform type and attribute names, so
//! the rules that judge code and state judge live resources too.
//!
//! Layout: `client` builds the SDK clients (credentials, assume-role,
//! endpoint, adaptive retries) and the read-only guard every client carries;
//! `exec` runs calls and pages under one concurrency bound and turns failed
//! calls into coverage gaps; `ec2`, `rds` and `iam` map what they read
//! onto Terraform types; `draft` gives every resource its key and rewrites
//! ids that point at other collected resources into symbolic references.
//!
//! Only read APIs are called: `client::ALLOWED_OPERATIONS` lists them, and
//! the guard refuses any other operation before it is sent (see
//! docs/permissions.md for the matching IAM policy).

pub(crate) mod cfg;
mod source;

pub use cfg::AwsTable;
pub(crate) use source::Aws;
#[cfg(feature = "aws")]
pub(crate) use source::{add_usage, read_live, stack_state};

#[cfg(feature = "aws")]
pub mod client;
#[cfg(feature = "aws")]
mod collect;
#[cfg(feature = "aws")]
mod draft;
#[cfg(feature = "aws")]
mod ec2;
#[cfg(feature = "aws")]
mod exec;
#[cfg(feature = "aws")]
pub mod facts;
#[cfg(feature = "aws")]
mod iam;
#[cfg(feature = "aws")]
mod paged;
#[cfg(feature = "aws")]
mod rds;
#[cfg(feature = "aws")]
pub mod stack;
#[cfg(feature = "aws")]
pub mod whole;

#[cfg(feature = "aws")]
pub use collect::*;
