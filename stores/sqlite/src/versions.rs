//! Kept versions: one row per (record, version) in `workflow_secrets_versions`.

use rusqlite::{Connection, Transaction, params};
use workflow_secrets::store::codec::{
    key_from_column, reason_from_column, sealed_from_column, u64_from_column, u64_to_column,
    user_from_column,
};
use workflow_secrets::store::{KeptVersion, StoreError, VersionMeta};
use workflow_secrets::{Scope, SecretKey};

use crate::store::{backend, scope_columns};

const INSERT: &str = "INSERT OR REPLACE INTO workflow_secrets_versions (workspace, kind, owner,
        key, version, written_at, written_by, reason, restored_from, sealed)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
/// Drops all but the `?5` highest versions: the kept rows of one record are few
/// (at most `MAX_VERSIONS_KEPT` + 1 here), and all sit in one range of the primary key.
const PRUNE: &str = "DELETE FROM workflow_secrets_versions
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4
      AND version NOT IN (SELECT version FROM workflow_secrets_versions
          WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4
          ORDER BY version DESC LIMIT ?5)";
const DELETE_ALL: &str = "DELETE FROM workflow_secrets_versions
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";
const SELECT: &str = "SELECT key, version, written_at, written_by, reason, restored_from, sealed
    FROM workflow_secrets_versions
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4 ORDER BY version DESC";

/// Stores `kept`, then keeps only the `keep` highest versions of its record.
pub(crate) fn keep(
    tx: &Transaction<'_>,
    kept: &KeptVersion,
    keep: usize,
) -> Result<(), StoreError> {
    let meta = &kept.meta;
    let (kind, workspace, owner) = scope_columns(&meta.scope);
    let key = meta.key.as_str();
    tx.prepare_cached(INSERT)
        .and_then(|mut s| {
            s.execute(params![
                workspace,
                kind,
                owner,
                key,
                u64_to_column(meta.version),
                u64_to_column(meta.written_at),
                meta.written_by.as_str(),
                i64::from(meta.reason.code()),
                meta.restored_from.map(u64_to_column),
                kept.sealed.to_bytes(),
            ])
        })
        .map_err(backend)?;
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    tx.prepare_cached(PRUNE)
        .and_then(|mut s| s.execute(params![workspace, kind, owner, key, keep]))
        .map_err(backend)?;
    Ok(())
}

/// Drops every kept version of `key` in `scope` (its record is being deleted).
pub(crate) fn drop_all(
    tx: &Transaction<'_>,
    scope: &Scope,
    key: &SecretKey,
) -> Result<(), StoreError> {
    let (kind, workspace, owner) = scope_columns(scope);
    tx.prepare_cached(DELETE_ALL)
        .and_then(|mut s| s.execute(params![workspace, kind, owner, key.as_str()]))
        .map_err(backend)?;
    Ok(())
}

/// The kept versions of `key` in `scope`, highest first, as one statement (one
/// snapshot). Scope and key come from the request; the row's key column is
/// checked against it.
pub(crate) fn versions_in(
    conn: &Connection,
    scope: &Scope,
    key: &SecretKey,
) -> Result<Vec<KeptVersion>, StoreError> {
    let (kind, workspace, owner) = scope_columns(scope);
    let mut stmt = conn.prepare_cached(SELECT).map_err(backend)?;
    let rows = stmt
        .query_map(params![workspace, kind, owner, key.as_str()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, Option<i64>>(5)?,
                row.get::<_, Vec<u8>>(6)?,
            ))
        })
        .map_err(backend)?;
    let mut kept = Vec::new();
    for row in rows {
        let (name, version, at, by, reason, restored_from, sealed) = row.map_err(backend)?;
        let mut meta = VersionMeta::new(
            scope.clone(),
            key_from_column(name)?,
            u64_from_column(version),
            user_from_column(by)?,
            u64_from_column(at),
            reason_from_column(reason)?,
        );
        meta.restored_from = restored_from.map(u64_from_column);
        kept.push(KeptVersion {
            meta,
            sealed: sealed_from_column(&sealed)?,
        });
    }
    Ok(kept)
}
