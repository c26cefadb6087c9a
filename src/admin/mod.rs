//! Administration: the management calls around stored secrets.

mod secrets;

pub use secrets::{RewrapReport, SecretDetails, Secrets};
