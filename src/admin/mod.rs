//! Administration: the management calls around stored secrets.

mod audited;
mod binding;
mod import;
mod rename;
mod save;
mod secrets;
mod versions;

pub use import::{ImportMode, ImportReport};
pub use save::{Edit, SaveReport};
pub use secrets::{DeleteCheck, RewrapReport, SecretDetails, Secrets};
