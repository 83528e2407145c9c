//! Comparators (stub, being written).
