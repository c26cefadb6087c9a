//! What a store keeps: metadata and the sealed value.

use std::collections::BTreeMap;

use crate::crypto::SealedSecret;
use crate::vocab::SecretKey;
use crate::vocab::SecretRole;
use crate::vocab::Timestamp;
use crate::vocab::{Scope, UserId};

/// A secret's metadata: everything about it except its value.
///
/// Never holds a value or a sealed blob, so it is safe to list, log and serialize.
///
/// `#[non_exhaustive]`: a store builds one with [`SecretMeta::new`] and sets the
/// public fields it reads back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct SecretMeta {
    /// The scope the secret lives in.
    pub scope: Scope,
    /// Its key.
    pub key: SecretKey,
    /// The value's version: 1 at create, +1 per rotation. Bound into the sealed record.
    pub version: u64,
    /// The record's revision: +1 on every write (rotate, details, rewrap). The store
    /// sets it; it is the compare-and-swap token of [`Expect::Revision`](crate::store::Expect::Revision).
    pub revision: u64,
    /// A name for people, such as "OpenAI (production)".
    pub display_name: Option<String>,
    /// A free-text description.
    pub description: Option<String>,
    /// Per-secret roles.
    pub members: BTreeMap<UserId, SecretRole>,
    /// Who created it.
    pub created_by: UserId,
    /// Who wrote it last.
    pub updated_by: UserId,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was written last: moves on every write, a details edit and a
    /// re-wrap included, so it says nothing about the value's age. See
    /// [`value_changed_at`](Self::value_changed_at).
    pub updated_at: Timestamp,
    /// When its value last changed: `created_at` at create, then the time of each
    /// write of a new value (a rotation, a `put` that rotates, an import that
    /// rotates). A details edit or a re-wrap under another key-encryption key keeps
    /// it, so it is the value's age, what a "rotate periodically" policy reads
    /// ([`Secrets::rotation_due`](crate::Secrets::rotation_due)).
    ///
    /// For a record written before stores kept it (SQLite and PostgreSQL schema
    /// version 2 or older), the stores' migration fills it in: `created_at` for a
    /// record still at version 1 (its value never changed), otherwise `updated_at`,
    /// which is an upper bound: later than the real change when the details were
    /// edited or the record re-wrapped after its last rotation, so such a record
    /// may be reported due later than it should, never earlier.
    pub value_changed_at: Timestamp,
}

impl SecretMeta {
    /// Metadata for a new secret at version 1, created by `by` at `at` (its
    /// `created_at`, `updated_at` and `value_changed_at`), with no details. The
    /// store sets the revision when the record is written.
    pub fn new(scope: Scope, key: SecretKey, by: UserId, at: Timestamp) -> SecretMeta {
        SecretMeta {
            scope,
            key,
            version: 1,
            revision: 0,
            display_name: None,
            description: None,
            members: BTreeMap::new(),
            created_by: by.clone(),
            updated_by: by,
            created_at: at,
            updated_at: at,
            value_changed_at: at,
        }
    }
}

/// One stored record: metadata plus the sealed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSecret {
    /// The metadata.
    pub meta: SecretMeta,
    /// The value, sealed by a [`Vault`](crate::Vault) to this scope, key and version.
    pub sealed: SealedSecret,
}
