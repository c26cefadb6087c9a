//! Storage: the `SecretStore` trait, its records, batches and usage rows, and `MemoryStore`;
//! for SQL stores, the shared row [`codec`] and the [`Corrupt`] error.

mod batch;
pub mod codec;
mod corrupt;
mod dyn_store;
mod error;
mod found;
mod history;
mod memory;
mod record;
mod traits;
mod usage;

pub use batch::{Expect, WriteBatch, WriteOp};
pub use corrupt::Corrupt;
pub use dyn_store::DynStore;
pub use error::StoreError;
pub use found::FoundSealed;
pub use history::{
    DEFAULT_VERSIONS_KEPT, KeptVersion, MAX_VERSIONS_KEPT, VersionMeta, VersionReason,
};
pub use memory::MemoryStore;
pub use record::{SecretMeta, StoredSecret};
pub use traits::SecretStore;
pub use usage::{Usage, UsageMark};
