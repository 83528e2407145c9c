//! State parsing benchmark (being written).
fn main() {}
