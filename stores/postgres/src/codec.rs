//! How a record maps to columns, and back.
//!
//! A scope is three columns, never one concatenated string that two scopes could
//! share: `kind` (1 workflow, 2 workspace, 3 personal: the tags of the sealed
//! format's associated data), `workspace`, and `owner` (the workflow id, the user id,
//! or `''` for the workspace scope; ids are never empty, so `''` names no id).

use std::collections::BTreeMap;
use std::fmt;

use workflow_secrets::{Scope, SecretKey, SecretRole, UserId, WorkspaceId, store::StoreError};

/// A scope as its three columns: kind ([`Scope::tag`]), workspace, owner (`''` for none).
pub(crate) fn scope_columns(scope: &Scope) -> (i16, &str, &str) {
    let owner = scope.owner_id().unwrap_or("");
    (i16::from(scope.tag()), scope.workspace_id().as_str(), owner)
}

/// The scope of `workspace` named by a row's kind and owner columns.
pub(crate) fn scope_from(
    workspace: &WorkspaceId,
    kind: i16,
    owner: String,
) -> Result<Scope, StoreError> {
    let tag = u8::try_from(kind).map_err(|_| corrupt("a row names an unknown scope"))?;
    let owner = (!owner.is_empty()).then_some(owner.as_str());
    Scope::from_tag(tag, workspace.clone(), owner)
        .map_err(|_| corrupt("a row names an unknown scope"))
}

/// An id read from a column, validated as every id is.
pub(crate) fn id<T: TryFrom<String, Error = workflow_secrets::Error>>(
    text: String,
) -> Result<T, StoreError> {
    T::try_from(text).map_err(|_| corrupt("a row holds an invalid id"))
}

/// A key read from a column.
pub(crate) fn key(text: String) -> Result<SecretKey, StoreError> {
    SecretKey::new(text).map_err(|_| corrupt("a row holds an invalid key"))
}

/// A user id read from a column.
pub(crate) fn user(text: String) -> Result<UserId, StoreError> {
    id(text)
}

/// Per-secret members as JSON text (`{"user": "Admin"}`): readable with `psql`, and ids keep every byte.
pub(crate) fn members_to_text(members: &BTreeMap<UserId, SecretRole>) -> String {
    if members.is_empty() {
        return String::from("{}");
    }
    // A map of strings to unit variants always serializes; the fallback is unreachable.
    serde_json::to_string(members).unwrap_or_else(|_| String::from("{}"))
}

/// Per-secret members from their JSON text.
pub(crate) fn members_from_text(text: &str) -> Result<BTreeMap<UserId, SecretRole>, StoreError> {
    if text == "{}" {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(text).map_err(|_| corrupt("a row holds unreadable members"))
}

/// A u64 (versions, revisions, timestamps) as PostgreSQL's `bigint`:
/// the same bits, so every value round-trips.
pub(crate) fn to_i64(n: u64) -> i64 {
    n.cast_signed()
}

/// The u64 stored by [`to_i64`].
pub(crate) fn to_u64(n: i64) -> u64 {
    n.cast_unsigned()
}

/// A fault found in the database itself (a row this crate did not write).
#[derive(Debug)]
pub(crate) struct Corrupt(&'static str);

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corrupt store: {}", self.0)
    }
}

impl std::error::Error for Corrupt {}

/// A backend error for a corrupt row or file.
pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::backend(Corrupt(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use workflow_secrets::WorkflowId;

    #[test]
    fn u64_round_trips_through_i64() {
        for n in [0, 1, u64::MAX, u64::MAX / 2 + 1, 1_700_000_000_000] {
            assert_eq!(to_u64(to_i64(n)), n);
        }
    }

    #[test]
    fn scopes_round_trip_through_columns() -> Result<(), Box<dyn std::error::Error>> {
        let ws = WorkspaceId::new("acme")?;
        for scope in [
            Scope::workspace(ws.clone()),
            Scope::workflow(ws.clone(), WorkflowId::new("wf")?),
            Scope::personal(ws.clone(), UserId::new("ada")?),
        ] {
            let (kind, _, owner) = scope_columns(&scope);
            assert_eq!(scope_from(&ws, kind, owner.to_owned())?, scope);
        }
        assert!(scope_from(&ws, 2, "x".into()).is_err());
        assert!(scope_from(&ws, 9, String::new()).is_err());
        Ok(())
    }
}
