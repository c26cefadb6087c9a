//! A store's answer is checked against the request before it is used.
//!
//! A store that keeps `SecretMeta` in the row lets a database writer copy one
//! tenant's record into another's namespace (or a personal record into the workspace
//! scope, or one key's record under another key). Management calls therefore use the
//! scope and key they asked for, never the ones a record declares, and refuse a
//! record or listing whose metadata disagrees, before any unseal or write: a write
//! built from a moved record's metadata would land in the place it came from.

use crate::store::{KeptVersion, MAX_VERSIONS_KEPT, SecretMeta, StoreError, StoredSecret};
use crate::vocab::{Error, Scope, SecretKey};

/// The store's answer to a read of `key` in `scope`, refused (`store`) when its
/// metadata names another scope or key.
pub(super) fn bound(
    scope: &Scope,
    key: &SecretKey,
    record: Option<StoredSecret>,
) -> Result<Option<StoredSecret>, Error> {
    match record {
        Some(record) if record.meta.scope != *scope || record.meta.key != *key => {
            Err(StoreError::corrupt(
                "the store returned a record for a scope or key it was not asked for",
            )
            .into())
        }
        other => Ok(other),
    }
}

/// The store's listing of `scope`, refused (`store`) when an entry names another scope
/// or a key twice (a record moved under another key shows as a repeat, or out of the
/// bytewise order the trait requires).
pub(super) fn listed(scope: &Scope, metas: Vec<SecretMeta>) -> Result<Vec<SecretMeta>, Error> {
    let ascending = metas.windows(2).all(|w| w[0].key < w[1].key);
    if ascending && metas.iter().all(|m| m.scope == *scope) {
        Ok(metas)
    } else {
        Err(StoreError::corrupt("the store listed a record of a scope it was not asked for").into())
    }
}

/// The store's kept versions of `key` in `scope`, refused (`store`) when one names
/// another scope or key, when they are not in strictly descending version order
/// (a repeat is a copied row), or when there are more than any write keeps.
pub(super) fn kept(
    scope: &Scope,
    key: &SecretKey,
    kept: Vec<KeptVersion>,
) -> Result<Vec<KeptVersion>, Error> {
    let descending = kept
        .windows(2)
        .all(|w| w[0].meta.version > w[1].meta.version);
    let bound = kept
        .iter()
        .all(|k| k.meta.scope == *scope && k.meta.key == *key);
    if descending && bound && kept.len() <= MAX_VERSIONS_KEPT {
        Ok(kept)
    } else {
        Err(StoreError::corrupt(
            "the store answered versions of a scope or key it was not asked for",
        )
        .into())
    }
}
