//! Terraform type constraints (stub, being written).
