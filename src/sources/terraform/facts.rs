//! Read-only facts of an account for data sources (`data-live`).
//!
//! A data source is read by Terraform at plan time, from AWS. When the
//! environment's state does not hold one (no state, or a data block added
//! since the last apply), the code source may ask the account for the few
//! that are plain facts of it: the availability zones of the region, the
//! caller's identity, the region and partition, an AMI. The answer is what
//! Terraform would read, so a `count = length(data.aws_availability_zones.x.names)`
//! expands to the instances Terraform plans. Only with `data-live = true`
//! and an `aws` table: a code read otherwise never calls AWS.
//!
//! The live source implements [`Facts`] (`sources::aws::facts`, built with
//! the `aws` feature); the evaluator only knows this trait.

use crate::model::Map;

/// The data source types [`Facts`] may answer.
pub const LIVE_DATA_SOURCES: &[&str] = &[
    "aws_availability_zones",
    "aws_caller_identity",
    "aws_region",
    "aws_partition",
    "aws_ami",
];

/// Answers data sources from the account.
pub trait Facts: Send + Sync + std::fmt::Debug {
    /// The attributes Terraform would read for a data source of type
    /// `rtype` with these (known) arguments; `Ok(None)` for a type it does
    /// not answer; `Err` with a reason (the call failed, the query matched
    /// no AMI) for a coverage gap.
    fn read(&self, rtype: &str, args: &Map) -> Result<Option<Map>, String>;
}
