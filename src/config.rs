//! parity.toml (stub, being written).
