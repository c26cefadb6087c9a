//! SQLite store benchmarks (filled in below).
fn main() {}
