//! Storage: the `SecretStore` trait, its records and batches, and `MemoryStore`.

mod batch;
mod dyn_store;
mod error;
mod memory;
mod record;
mod traits;

pub use batch::{Expect, WriteBatch, WriteOp};
pub use dyn_store::DynStore;
pub use error::StoreError;
pub use memory::MemoryStore;
pub use record::{SecretMeta, StoredSecret};
pub use traits::SecretStore;
