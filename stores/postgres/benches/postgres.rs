//! PostgreSQL store benchmarks.
fn main() {}
