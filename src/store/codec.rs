//! How a record maps to database columns, and back: shared by every SQL store.
//!
//! A store that keeps records in rows (the SQLite and PostgreSQL crates do) needs the
//! same few conversions; they live here once, so two stores cannot drift apart and a
//! row means the same thing in either. The store keeps only what is specific to its
//! database: SQL, driver types, transactions.
//!
//! | field | columns | encoding |
//! |---|---|---|
//! | [`Scope`] | `kind`, `workspace`, `owner` | [`ScopeColumns`]: kind is [`Scope::tag`], owner `""` for the workspace scope |
//! | [`SecretKey`], [`UserId`] | text | as is; read back through [`key_from_column`], [`user_from_column`] |
//! | [`SecretMeta::members`](super::SecretMeta::members) | text | JSON, [`members_to_text`] |
//! | versions, revisions, timestamps (`u64`) | signed 64-bit integer | the same bits, [`u64_to_column`] |
//! | [`SealedSecret`] | bytes | [`SealedSecret::to_bytes`]; read back through [`sealed_from_column`] |
//! | [`VersionReason`] | integer | [`VersionReason::code`]; read back through [`reason_from_column`] |
//!
//! These encodings are frozen: databases written by earlier releases must read. A
//! change to any of them is a schema migration of every store, not an edit here.
//!
//! Every decoder validates what it reads as the constructors do, and fails with a
//! [`Corrupt`](super::Corrupt) error that names the column, never its content.

use std::collections::BTreeMap;

use super::{StoreError, VersionReason};
use crate::crypto::SealedSecret;
use crate::vocab::{Scope, SecretKey, SecretRole, UserId, WorkspaceId};

/// A scope as three columns, never one concatenated string that two scopes could
/// share.
///
/// `kind` is [`Scope::tag`] (1 workflow, 2 workspace, 3 personal: the tags the sealed
/// format binds); `owner` is the workflow id, the user id, or `""` for the workspace
/// scope (ids are never empty, so `""` names no id).
///
/// Ordered by (kind, workspace, owner) bytewise: a store that locks rows in a fixed
/// order, to keep two batches from deadlocking, can sort by it.
///
/// # Example
///
/// ```
/// use workflow_secrets::store::codec::{ScopeColumns, scope_from_columns};
/// use workflow_secrets::{Scope, UserId, WorkspaceId};
///
/// let acme = WorkspaceId::new("acme")?;
/// let scope = Scope::personal(acme.clone(), UserId::new("ada")?);
/// let columns = ScopeColumns::of(&scope);
/// assert_eq!((columns.kind, columns.workspace, columns.owner), (3, "acme", "ada"));
/// let back = scope_from_columns(&acme, i64::from(columns.kind), columns.owner)?;
/// assert_eq!(back, scope);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct ScopeColumns<'a> {
    /// The scope's kind, [`Scope::tag`].
    pub kind: u8,
    /// The workspace id.
    pub workspace: &'a str,
    /// The workflow or user id, `""` for the workspace scope.
    pub owner: &'a str,
}

impl<'a> ScopeColumns<'a> {
    /// The columns of `scope`, borrowed from it.
    pub fn of(scope: &'a Scope) -> ScopeColumns<'a> {
        ScopeColumns {
            kind: scope.tag(),
            workspace: scope.workspace_id().as_str(),
            owner: scope.owner_id().unwrap_or(""),
        }
    }
}

/// The scope of `workspace` named by a row's `kind` and `owner` columns.
///
/// Takes the kind as `i64`, which every integer column type widens into.
///
/// # Errors
///
/// [`Corrupt`](super::Corrupt) when the kind is not a [`Scope::tag`], the owner does
/// not fit the kind (one for the workspace scope, none for the others), or the
/// owner is not a valid id.
pub fn scope_from_columns(
    workspace: &WorkspaceId,
    kind: i64,
    owner: &str,
) -> Result<Scope, StoreError> {
    const UNKNOWN: &str = "a row names an unknown scope";
    let tag = u8::try_from(kind).map_err(|_| StoreError::corrupt(UNKNOWN))?;
    let owner = (!owner.is_empty()).then_some(owner);
    Scope::from_tag(tag, workspace.clone(), owner).map_err(|_| StoreError::corrupt(UNKNOWN))
}

/// A key read from a column, validated as [`SecretKey::new`] does.
///
/// # Errors
///
/// [`Corrupt`](super::Corrupt) when the text is not a valid key.
pub fn key_from_column(text: String) -> Result<SecretKey, StoreError> {
    SecretKey::new(text).map_err(|_| StoreError::corrupt("a row holds an invalid key"))
}

/// A user id read from a column (`created_by`, `updated_by`), validated as
/// [`UserId::new`] does.
///
/// # Errors
///
/// [`Corrupt`](super::Corrupt) when the text is not a valid id.
pub fn user_from_column(text: String) -> Result<UserId, StoreError> {
    UserId::new(text).map_err(|_| StoreError::corrupt("a row holds an invalid id"))
}

/// [`SecretMeta::members`](super::SecretMeta::members) as JSON text, `{"ada":"Admin","bob":"Member"}`: readable
/// with any database tool, and ids keep every byte (JSON escapes only `"` and `\`
/// of what an id may hold). No members is `{}`.
///
/// Infallible; [`members_from_text`] reads it back.
pub fn members_to_text(members: &BTreeMap<UserId, SecretRole>) -> String {
    if members.is_empty() {
        return String::from("{}");
    }
    // A map of strings to unit variants always serializes; the fallback is unreachable.
    serde_json::to_string(members).unwrap_or_else(|_| String::from("{}"))
}

/// [`SecretMeta::members`](super::SecretMeta::members) from the JSON text [`members_to_text`] wrote.
///
/// Accepts any JSON object of valid user ids to role names (whitespace, escapes),
/// so a row edited by hand with a database tool still reads.
///
/// # Errors
///
/// [`Corrupt`](super::Corrupt) when the text is not such an object.
pub fn members_from_text(text: &str) -> Result<BTreeMap<UserId, SecretRole>, StoreError> {
    if text == "{}" {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(text).map_err(|_| StoreError::corrupt("a row holds unreadable members"))
}

/// A sealed record read from a bytes column, as [`SealedSecret::from_bytes`] parses it.
///
/// # Errors
///
/// [`Corrupt`](super::Corrupt) when the bytes are not a sealed record. The error
/// never holds the bytes.
pub fn sealed_from_column(bytes: &[u8]) -> Result<SealedSecret, StoreError> {
    SealedSecret::from_bytes(bytes)
        .map_err(|_| StoreError::corrupt("a row holds unreadable sealed bytes"))
}

/// A kept version's reason read from the integer column [`VersionReason::code`]
/// wrote.
///
/// # Errors
///
/// [`Corrupt`](super::Corrupt) when the number names no reason.
pub fn reason_from_column(code: i64) -> Result<VersionReason, StoreError> {
    u8::try_from(code)
        .ok()
        .and_then(VersionReason::from_code)
        .ok_or_else(|| StoreError::corrupt("a row names an unknown reason for a version"))
}

/// A `u64` (version, revision, timestamp) as a signed 64-bit integer column
/// (SQLite's `INTEGER`, PostgreSQL's `bigint`): the same bits, so every value
/// round-trips, `u64::MAX` as `-1`.
///
/// Infallible; [`u64_from_column`] reads it back.
pub fn u64_to_column(n: u64) -> i64 {
    n.cast_signed()
}

/// The `u64` [`u64_to_column`] stored.
pub fn u64_from_column(n: i64) -> u64 {
    n.cast_unsigned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use crate::vocab::WorkflowId;

    #[test]
    fn reasons_round_trip_and_unknown_codes_are_corrupt() {
        for code in 1..=5u8 {
            let reason = VersionReason::from_code(code).unwrap();
            assert_eq!(reason.code(), code);
            assert_eq!(reason_from_column(i64::from(code)).unwrap(), reason);
        }
        for bad in [0, 6, 255, 256 + 1, -1] {
            assert!(reason_from_column(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn u64_round_trips_through_i64() {
        for n in [0, 1, u64::MAX, u64::MAX / 2 + 1, 1_700_000_000_000] {
            assert_eq!(u64_from_column(u64_to_column(n)), n);
        }
    }

    #[test]
    fn scopes_round_trip_through_columns() {
        let ws = WorkspaceId::new("acme").unwrap();
        for scope in [
            Scope::workspace(ws.clone()),
            Scope::workflow(ws.clone(), WorkflowId::new("wf").unwrap()),
            Scope::personal(ws.clone(), UserId::new("ada").unwrap()),
        ] {
            let c = ScopeColumns::of(&scope);
            assert_eq!(c.workspace, "acme");
            assert_eq!(
                scope_from_columns(&ws, i64::from(c.kind), c.owner).unwrap(),
                scope
            );
        }
        assert!(scope_from_columns(&ws, 2, "x").is_err());
        assert!(scope_from_columns(&ws, 9, "").is_err());
        assert!(scope_from_columns(&ws, 1, "").is_err());
        assert!(
            scope_from_columns(&ws, 256 + 1, "wf").is_err(),
            "no wrap to tag 1"
        );
        assert!(scope_from_columns(&ws, -255, "wf").is_err());
    }

    #[test]
    fn column_order_is_kind_then_workspace_then_owner() {
        let (a, b) = (
            WorkspaceId::new("a").unwrap(),
            WorkspaceId::new("b").unwrap(),
        );
        let wf = Scope::workflow(b.clone(), WorkflowId::new("z").unwrap());
        let ws = Scope::workspace(a.clone());
        // Kind first: a workflow scope (1) of workspace b sorts before workspace a's (2).
        assert!(ScopeColumns::of(&wf) < ScopeColumns::of(&ws));
    }
}
