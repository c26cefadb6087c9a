//! `StoreError`: what a storage backend can answer.

use crate::vocab::Error;

/// A store's failure.
///
/// Converts into [`Error`]: `Conflict` → `conflict`, `InvalidBatch` →
/// `invalid_batch`, `Backend` → `store`. A backend error must never carry a value or
/// sealed bytes (drivers' errors name columns and constraints, not parameters).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An [`Expect`](crate::store::Expect) of the batch did not hold; nothing was written.
    #[error("conflict: the record changed since it was read")]
    Conflict,
    /// The batch was malformed (two operations on one record, or over the store's
    /// documented size limit); nothing was written.
    #[error("invalid batch: {0}")]
    InvalidBatch(String),
    /// The backend failed (connection, disk, corruption).
    #[error("storage backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps a backend's error.
    pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Backend(Box::new(err))
    }

    /// A `Backend` error for a capability the store does not have (`what` is
    /// compiled-in text).
    pub fn unsupported(what: &'static str) -> StoreError {
        StoreError::Backend(Box::new(Unsupported(what)))
    }

    /// A [`Corrupt`](crate::store::Corrupt) backend error: the store's own data did
    /// not decode. `reason` is compiled-in text, never content read from the store.
    pub fn corrupt(reason: &'static str) -> StoreError {
        StoreError::from(super::Corrupt::new(reason))
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Error {
        match err {
            StoreError::Conflict => Error::Conflict,
            StoreError::InvalidBatch(reason) => Error::InvalidBatch { reason },
            StoreError::Backend(source) => Error::Store { source },
        }
    }
}

/// A capability a store lacks, named by compiled-in text.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unsupported(&'static str);
