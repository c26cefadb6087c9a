//! `FoundSealed`: what a resolution reads of a record.

use super::{StoreError, StoredSecret};
use crate::crypto::SealedSecret;
use crate::vocab::{Scope, SecretKey};

/// The answer of [`SecretStore::find_sealed`](super::SecretStore::find_sealed): which
/// of the requested scopes holds the key, the value's version, and the sealed value.
///
/// It names its scope by position in the request, not by value, so the crate opens
/// the record with a scope it asked for: a record a database writer moved in from
/// another scope or key fails to open (`tampered`), since the scope, key and version
/// are bound into the sealed bytes.
///
/// `#[non_exhaustive]`: a store builds one with [`FoundSealed::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FoundSealed {
    /// The position, in the `scopes` of the request, of the scope that holds the key.
    pub at: usize,
    /// The value's version, as in [`SecretMeta::version`](super::SecretMeta::version).
    pub version: u64,
    /// The sealed value.
    pub sealed: SealedSecret,
}

impl FoundSealed {
    /// The record of the request's `at`-th scope: `version` and `sealed`.
    pub fn new(at: usize, version: u64, sealed: SealedSecret) -> FoundSealed {
        FoundSealed {
            at,
            version,
            sealed,
        }
    }

    /// The lean answer for a whole `record` that a store returned for `key` in
    /// `scopes`: its scope's position in `scopes`.
    ///
    /// # Errors
    ///
    /// A corrupt-store error when the record declares a scope outside `scopes` or
    /// another key: a row moved between tenants, scopes or keys, refused before any
    /// unseal.
    pub fn of(
        scopes: &[Scope],
        key: &SecretKey,
        record: StoredSecret,
    ) -> Result<FoundSealed, StoreError> {
        match scopes.iter().position(|s| *s == record.meta.scope) {
            Some(at) if record.meta.key == *key => {
                Ok(FoundSealed::new(at, record.meta.version, record.sealed))
            }
            _ => Err(StoreError::corrupt(
                "the store returned a record for a scope or key it was not asked for",
            )),
        }
    }
}
