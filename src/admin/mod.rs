//! Administration: the management calls around stored secrets.

mod audited;
mod binding;
mod import;
mod secrets;

pub use import::{ImportMode, ImportReport};
pub use secrets::{DeleteCheck, RewrapReport, SecretDetails, Secrets};
