//! The schema, created or migrated when a store opens.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use workflow_secrets::store::StoreError;

use crate::store::backend;

/// The schema this crate writes. A file that records a newer one is refused, so an
/// old binary never writes rows it does not understand.
pub(crate) const SCHEMA_VERSION: i64 = 5;

/// Version 1: one row per record. Text columns use SQLite's default `BINARY`
/// collation (memcmp), so ids and keys compare byte for byte and `ORDER BY key` is
/// the bytewise order of `MemoryStore`. The primary key (workspace, kind, owner, key)
/// serves `get`, `list` (a prefix) and `scopes` (a shorter prefix).
const V1: &str = "
CREATE TABLE workflow_secrets (
    workspace    TEXT    COLLATE BINARY NOT NULL,
    kind         INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
    owner        TEXT    COLLATE BINARY NOT NULL,
    key          TEXT    COLLATE BINARY NOT NULL,
    version      INTEGER NOT NULL,
    revision     INTEGER NOT NULL,
    display_name TEXT,
    description  TEXT,
    members      TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    sealed       BLOB    NOT NULL,
    PRIMARY KEY (workspace, kind, owner, key)
) WITHOUT ROWID;
";

/// Version 2: a second index, key first within the workspace, so every scope of a
/// run that may hold one key sits in one range of it: `find_sealed` finds them all
/// with one descent of this index instead of one descent of the primary key per
/// scope. Unique, as the primary key already makes (workspace, key, kind, owner).
const V2: &str = "
CREATE UNIQUE INDEX workflow_secrets_by_key
    ON workflow_secrets (workspace, key, kind, owner);
";

/// Version 3: `value_changed_at`, when the record's value last changed (not its
/// details, not its wrapping), for the rotation-age report.
///
/// Existing rows are filled from what they hold: a record still at version 1 was
/// never rotated, so its value is its creation's (`created_at`, exact); a rotated
/// one gets `updated_at`, the last write, which is the last rotation unless its
/// details were edited or it was re-wrapped since: an upper bound, so an old
/// record may be reported due later than it should, never earlier.
///
/// SQLite adds a `NOT NULL` column only with a default; the `0` is never read:
/// the `UPDATE` here fills every existing row, and every write supplies the column.
const V3: &str = "
ALTER TABLE workflow_secrets ADD COLUMN value_changed_at INTEGER NOT NULL DEFAULT 0;
UPDATE workflow_secrets
    SET value_changed_at = CASE WHEN version = 1 THEN created_at ELSE updated_at END;
";

/// Version 4: kept versions, one row per (record, version), for a restore. Its
/// primary key puts one record's versions in one range, highest last; a record's
/// delete drops them with it (in the same transaction, by the store).
const V4: &str = "
CREATE TABLE workflow_secrets_versions (
    workspace     TEXT    COLLATE BINARY NOT NULL,
    kind          INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
    owner         TEXT    COLLATE BINARY NOT NULL,
    key           TEXT    COLLATE BINARY NOT NULL,
    version       INTEGER NOT NULL,
    written_at    INTEGER NOT NULL,
    written_by    TEXT    NOT NULL,
    reason        INTEGER NOT NULL,
    restored_from INTEGER,
    sealed        BLOB    NOT NULL,
    PRIMARY KEY (workspace, kind, owner, key, version)
) WITHOUT ROWID;
";

/// Version 5: usage rows, which workflows resolved a secret and when last, one per
/// (scope, key, workflow), apart from the records: a delete of a record leaves its
/// rows (they describe the name workflows reference), and recording usage never
/// touches a record. The primary key serves the upsert and `usage` (a prefix, in
/// workflow order). A new table: nothing to fill.
const V5: &str = "
CREATE TABLE workflow_secrets_usage (
    workspace    TEXT    COLLATE BINARY NOT NULL,
    kind         INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
    owner        TEXT    COLLATE BINARY NOT NULL,
    key          TEXT    COLLATE BINARY NOT NULL,
    workflow     TEXT    COLLATE BINARY NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (workspace, kind, owner, key, workflow)
) WITHOUT ROWID;
";

/// The upgrade to each version after the first: `UPGRADES[i]` takes a file from
/// version `i + 1` to `i + 2`.
const UPGRADES: [&str; 4] = [V2, V3, V4, V5];
const _: () = assert!(UPGRADES.len() as i64 + 1 == SCHEMA_VERSION);

/// Creates the schema, or checks the one the file holds, in one write transaction,
/// so two processes opening a new file at once create it once. A file of an older
/// version is upgraded in place, one version at a time, in the same transaction:
/// a crash midway leaves it at the version it had.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS workflow_secrets_schema (
             id      INTEGER PRIMARY KEY CHECK (id = 1),
             version INTEGER NOT NULL
         );",
    )
    .map_err(backend)?;
    let found: Option<i64> = tx
        .query_row(
            "SELECT version FROM workflow_secrets_schema WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend)?;
    let from = match found {
        None => {
            tx.execute_batch(V1).map_err(backend)?;
            tx.execute(
                "INSERT INTO workflow_secrets_schema (id, version) VALUES (1, 1)",
                [],
            )
            .map_err(backend)?;
            1
        }
        Some(version @ 1..=SCHEMA_VERSION) => version,
        Some(_) => return Err(newer_file()),
    };
    if from == SCHEMA_VERSION {
        // Current: nothing to write, and the transaction commits nothing.
        return tx.commit().map_err(backend);
    }
    // `from` is 1..SCHEMA_VERSION here, so the slice is in range and not empty.
    let pending = usize::try_from(from - 1).unwrap_or(UPGRADES.len());
    for upgrade in UPGRADES.get(pending..).unwrap_or_default() {
        tx.execute_batch(upgrade).map_err(backend)?;
    }
    tx.execute(
        "UPDATE workflow_secrets_schema SET version = ?1 WHERE id = 1",
        [SCHEMA_VERSION],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)
}

/// The file records a schema version this crate does not know.
pub(crate) fn newer_file() -> StoreError {
    StoreError::corrupt(
        "the file holds a schema version this crate does not know (written by a newer release?)",
    )
}
