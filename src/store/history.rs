//! Kept versions: the last few sealed values of each key, for a restore.

use crate::crypto::SealedSecret;
use crate::vocab::{Scope, SecretKey, Timestamp, UserId};

/// The most versions of one key a store is asked to keep, whatever a host
/// configures: a bound on the rows one key may hold and on what a restore reads.
pub const MAX_VERSIONS_KEPT: usize = 100;

/// How many versions of each key a [`Secrets`](crate::Secrets) keeps unless told
/// otherwise ([`Secrets::with_versions_kept`](crate::Secrets::with_versions_kept)),
/// as Vault's KV engine does.
pub const DEFAULT_VERSIONS_KEPT: usize = 10;

/// Why a version was written.
///
/// `#[non_exhaustive]`: later releases may name more reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VersionReason {
    /// The key's first value ([`Secrets::create`](crate::Secrets::create), or a
    /// `put` or import that created it).
    Create,
    /// A new value ([`Secrets::rotate`](crate::Secrets::rotate) or a `put` that
    /// rotated).
    Rotate,
    /// A new value from a `.env` import.
    Import,
    /// An older version made current again
    /// ([`Secrets::restore`](crate::Secrets::restore)); its
    /// [`restored_from`](VersionMeta::restored_from) names which.
    Restore,
    /// A value written before this release kept versions, kept when it was first
    /// replaced: its time is the value's last change as the record knew it, and its
    /// author the record's last writer (the best the old record can tell).
    Earlier,
}

impl VersionReason {
    /// The reason's stable number in a database column: 1 create, 2 rotate,
    /// 3 import, 4 restore, 5 earlier. Frozen, as the store codec's encodings are.
    pub fn code(self) -> u8 {
        match self {
            VersionReason::Create => 1,
            VersionReason::Rotate => 2,
            VersionReason::Import => 3,
            VersionReason::Restore => 4,
            VersionReason::Earlier => 5,
        }
    }

    /// The reason [`code`](Self::code) names, or `None`.
    pub fn from_code(code: u8) -> Option<VersionReason> {
        Some(match code {
            1 => VersionReason::Create,
            2 => VersionReason::Rotate,
            3 => VersionReason::Import,
            4 => VersionReason::Restore,
            5 => VersionReason::Earlier,
            _ => return None,
        })
    }
}

/// What is known about one kept version: never its value.
///
/// `#[non_exhaustive]`: a store builds one with [`VersionMeta::new`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct VersionMeta {
    /// The scope of the key.
    pub scope: Scope,
    /// The key.
    pub key: SecretKey,
    /// The value's version, as [`SecretMeta::version`](crate::store::SecretMeta::version)
    /// numbered it when it was current.
    pub version: u64,
    /// When the value was written.
    pub written_at: Timestamp,
    /// Who wrote it.
    pub written_by: UserId,
    /// Why.
    pub reason: VersionReason,
    /// For a [`VersionReason::Restore`], the version it copied; `None` otherwise.
    pub restored_from: Option<u64>,
}

impl VersionMeta {
    /// The metadata of version `version` of `key` in `scope`, written by `by` at
    /// `at` for `reason`, restored from no version.
    pub fn new(
        scope: Scope,
        key: SecretKey,
        version: u64,
        by: UserId,
        at: Timestamp,
        reason: VersionReason,
    ) -> VersionMeta {
        VersionMeta {
            scope,
            key,
            version,
            written_at: at,
            written_by: by,
            reason,
            restored_from: None,
        }
    }
}

/// One kept version: its metadata and its value, sealed for the history slot
/// ([`RecordRole::History`](crate::crypto::RecordRole::History)), so it never
/// opens as a current value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptVersion {
    /// What is known about it.
    pub meta: VersionMeta,
    /// The value, sealed to its scope, key, version and the history slot.
    pub sealed: SealedSecret,
}
