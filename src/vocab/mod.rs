//! The vocabulary every layer speaks: names, values, ids, scopes, actors, triggers,
//! key ids, time and errors.
//!
//! This layer depends on nothing else in the crate (`tests/layers.rs` checks it), so
//! every engine (`crypto`, `store`, `redact`, `resolve`, `admin`) and the audit types
//! can use it without a cycle.

mod actor;
pub mod clock;
pub mod error;
mod key;
mod key_id;
mod scope;
mod trigger;
mod value;

pub use actor::{Actor, SecretRole, WorkspaceRole};
pub(crate) use clock::{Clock, SystemClock, Timestamp};
pub use error::{Error, MissingReason};
pub(crate) use error::{ErrorCode, LineProblem, Missing};
pub use key::SecretKey;
pub use key_id::KeyId;
pub use scope::{Scope, UserId, WorkflowId, WorkspaceId};
pub use trigger::Trigger;
pub use value::SecretValue;
