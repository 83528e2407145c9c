//! The Terraform code source: HCL discovery, variables, locals, modules,
//! count/for_each, functions, lock file.

pub mod functions;
pub mod types;
