//! Terraform built-in functions (stub, being written).
