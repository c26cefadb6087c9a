//! Every statement the store sends, built once per store from its schema name.
//!
//! The schema name is the only text spliced into SQL: it is checked to be a plain
//! lower-case identifier ([`check_schema`]) and then quoted. Everything else is a
//! parameter.

use std::fmt;

use workflow_secrets::store::StoreError;

/// The schema [`PostgresStore::new`](crate::PostgresStore::new) uses.
pub(crate) const DEFAULT_SCHEMA: &str = "workflow_secrets";

/// The schema version this crate writes.
pub(crate) const SCHEMA_VERSION: i32 = 6;

/// How many changes `change_log` keeps: a cache listener further behind than this
/// (a long disconnection) clears its cache instead of catching up.
pub(crate) const CHANGE_LOG_KEEP: i64 = 10_000;

/// Every this many changes, a write also sweeps every log row older than the
/// last [`CHANGE_LOG_KEEP`] (see `log_tail` in [`Sql::new`]).
pub(crate) const CHANGE_LOG_SWEEP: i64 = 1_024;

/// How many log rows a cache listener reads per statement while catching up.
pub(crate) const CHANGE_LOG_PAGE: i64 = 1_000;

/// The columns of a record after its scope and key, in the order every `SELECT`
/// returns them (`sealed` last, where it is read at all).
const META: &str = "s.version, s.revision, s.display_name, s.description, s.members, \
                    s.created_by, s.updated_by, s.created_at, s.updated_at, \
                    s.value_changed_at";

/// How many columns [`META`] names: a `SELECT`'s next column is at this index.
pub(crate) const META_COLUMNS: usize = 10;

/// Matches a scope row of `q` (an `unnest` of the scopes asked for) to the records.
/// Joined `LATERAL`, so every scope is a primary-key lookup whatever plan the
/// server caches for the prepared statement (a plain join can turn into a scan).
const JOIN_SCOPES: &str = "unnest($1::text[], $2::int2[], $3::text[]) WITH ORDINALITY \
                           AS q(workspace, kind, owner, ord)";
const ON_SCOPE: &str = "s.workspace = q.workspace COLLATE \"C\" AND s.kind = q.kind \
                        AND s.owner = q.owner COLLATE \"C\"";
const PK: &str = "workspace = $1 AND kind = $2 AND owner = $3 AND key = $4";

/// The statements of one store.
pub(crate) struct Sql {
    table: String,
    changes: String,
    pub(crate) get: String,
    /// `get_first` over 1, 2, ... scopes (index n - 1).
    pub(crate) get_first: Vec<String>,
    /// The same with the change number (see `find_sealed_seq`).
    get_first_seq: Vec<String>,
    /// `find_sealed` over scopes of one workspace: `$1` workspace, `$2` key, `$3` to
    /// `$6` the lowest and highest requested (kind, owner), `$7` each requested
    /// scope as `kind:owner` text (the kind is one digit, so one text names one
    /// scope), `$8` the row limit.
    ///
    /// - One descent: the range condition is an index condition of `secrets_by_key`
    ///   (workspace and key equal, (kind, owner) between), which holds every
    ///   candidate. The `kind:owner` filter is no index condition (a `= ANY` on an
    ///   index column would be one descent per element before PostgreSQL 17): it
    ///   drops other holders of the key in range, each one heap visit.
    /// - Only what a resolution opens: kind and owner (to name the scope's
    ///   position), version and sealed bytes.
    /// - `ORDER BY kind, owner` is the index's order (no sort); `LIMIT 1` when the
    ///   request ascends in it (a run's scopes do) stops at the answer.
    pub(crate) find_sealed: String,
    pub(crate) get_many: String,
    pub(crate) list: String,
    pub(crate) list_many: String,
    pub(crate) scopes: String,
    pub(crate) insert_absent: String,
    pub(crate) upsert_any: String,
    pub(crate) update_at: String,
    pub(crate) delete_at: String,
    pub(crate) delete_any: String,
    pub(crate) exists: String,
    /// Kept versions (schema version 4): `$1`..`$4` the record, `$5` version, `$6`
    /// written_at, `$7` written_by, `$8` reason, `$9` restored_from, `$10` sealed;
    /// `keep_at` also `$11` the record's expected revision. Each stores the
    /// version only if its expectation of the current record holds (`keep_at`
    /// locks that record's row, as the `UPDATE` that follows it in the batch
    /// would), and answers one row when it did.
    pub(crate) keep_any: String,
    pub(crate) keep_absent: String,
    pub(crate) keep_at: String,
    /// Drops all but the `$5` highest versions of a record.
    pub(crate) prune_versions: String,
    pub(crate) versions: String,
    /// Takes the transaction-scoped advisory lock of each record a batch touches:
    /// `$1` their claims, sorted (a function scan yields an array's elements in
    /// order, so every batch takes its locks in one order and two batches never
    /// deadlock on them; a deadlock would still only be a `Conflict`).
    pub(crate) claim: String,
    /// `record_usage`: `$1` to `$6` the marks as arrays (workspace, kind, owner,
    /// key, workflow, time), one statement.
    pub(crate) record_usage: String,
    /// `usage`: `$1` to `$4` the scope and key.
    pub(crate) usage: String,
    /// Single-operation writes as one statement that also records the change when
    /// the operation wrote (schema version 6): each answers one row, the
    /// operation's row count then the count of notifications sent (0 or 1). `$1`
    /// to `$4` are the record, as in the plain statements.
    pub(crate) insert_absent_logged: String,
    pub(crate) upsert_any_logged: String,
    pub(crate) update_at_logged: String,
    pub(crate) delete_at_logged: String,
    pub(crate) delete_any_logged: String,
    /// A batch's change, its last statement before `COMMIT`: bumps `changes.seq`,
    /// logs the touched names (`$1` workspaces, `$2` kinds, `$3` owners, `$4`
    /// keys), prunes the log and notifies the schema's channel with the new seq.
    pub(crate) log_change: String,
    /// The current change number (one row).
    pub(crate) current_seq: String,
    /// The changes after `$1`, oldest first, at most [`CHANGE_LOG_PAGE`].
    pub(crate) changes_after: String,
    /// The reads of a cached store: the plain statement joined to `changes` in one
    /// statement (one snapshot), so each answer carries the change number it
    /// reflects, in its last column; a lookup that finds nothing answers one row
    /// of `NULL`s and the number.
    pub(crate) find_sealed_seq: String,
    pub(crate) get_many_seq: String,
    pub(crate) list_many_seq: String,
    pub(crate) migrate: String,
    pub(crate) schema_version: String,
    pub(crate) set_schema_version: String,
    pub(crate) update_schema_version: String,
}

impl Sql {
    pub(crate) fn new(schema: &str) -> Sql {
        let t = format!("\"{schema}\".secrets");
        let insert_cols = "workspace, kind, owner, key, version, display_name, description, \
                           members, created_by, updated_by, created_at, updated_at, sealed, \
                           value_changed_at, revision";
        let values = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1";
        let v = format!("\"{schema}\".versions");
        let version_cols = "workspace, kind, owner, key, version, written_at, written_by, \
                            reason, restored_from, sealed";
        let version_row = "$1::text, $2::int2, $3::text, $4::text, $5::int8, $6::int8, \
                           $7::text, $8::int2, $9::int8, $10::bytea";
        let replace_version = "ON CONFLICT (workspace, kind, owner, key, version) DO UPDATE SET \
                               written_at = EXCLUDED.written_at, written_by = EXCLUDED.written_by, \
                               reason = EXCLUDED.reason, restored_from = EXCLUDED.restored_from, \
                               sealed = EXCLUDED.sealed";
        let changes = format!("\"{schema}\".changes");
        let log = format!("\"{schema}\".change_log");
        // After `op` (a CTE answering one row per record written): bump, log and
        // notify only when it wrote. The schema name is a checked identifier, so
        // it is safe as the channel's literal too. Data-modifying CTEs run once,
        // whether read or not; `n` is read, so its `pg_notify` runs.
        //
        // The prune: every change logs one row under the next number, so the
        // change that leaves the window is exactly `seq - KEEP`: `p` deletes it
        // with one descent of the primary key. Not `seq <= new - KEEP` on every
        // write: that range scan starts at the index's low end and walks every
        // row deleted since the last vacuum (tens of thousands under steady
        // writes: most of a write's time, measured). `w` sweeps the whole range
        // once every `SWEEP` changes (its condition on the number alone is a
        // one-time filter: the scan does not run otherwise), for rows a point
        // delete can miss (a counter raised by hand skips numbers).
        let log_tail = |names: &str, when: &str| {
            format!(
                "b AS (UPDATE {changes} SET seq = seq + 1 WHERE id = 1 {when} RETURNING seq), \
                 l AS (INSERT INTO {log} (seq, workspaces, kinds, owners, keys) \
                     SELECT seq, {names} FROM b), \
                 p AS (DELETE FROM {log} WHERE seq = (SELECT seq FROM b) - {CHANGE_LOG_KEEP}), \
                 w AS (DELETE FROM {log} WHERE seq <= (SELECT seq FROM b) - {CHANGE_LOG_KEEP} \
                     AND (SELECT seq FROM b) % {CHANGE_LOG_SWEEP} = 0), \
                 n AS (SELECT pg_notify('{schema}', seq::text) FROM b)"
            )
        };
        let one_name = "ARRAY[$1::text], ARRAY[$2::int2], ARRAY[$3::text], ARRAY[$4::text]";
        let logged = |op: &str| {
            format!(
                "WITH {op}, {} SELECT (SELECT count(*) FROM op), (SELECT count(*) FROM n)",
                log_tail(one_name, "AND EXISTS (SELECT 1 FROM op)")
            )
        };
        let with_seq = |inner: &str, order: &str| {
            format!(
                "SELECT x.*, c.seq FROM {changes} c LEFT JOIN LATERAL ({inner}) x ON true \
                 WHERE c.id = 1{order}"
            )
        };
        let find_sealed = format!(
            "SELECT kind, owner, version, sealed FROM {t} \
             WHERE workspace = $1 AND key = $2 \
             AND (kind, owner) >= ($3, $4 COLLATE \"C\") \
             AND (kind, owner) <= ($5, $6 COLLATE \"C\") \
             AND (kind::text || ':' || owner) = ANY ($7::text[]) \
             ORDER BY kind, owner LIMIT $8"
        );
        let get_many = format!(
            "SELECT DISTINCT ON (k.ord) {META}, s.sealed, q.ord AS scope_ord, k.ord \
             FROM unnest($4::text[]) WITH ORDINALITY AS k(key, ord) \
             CROSS JOIN {JOIN_SCOPES} \
             CROSS JOIN LATERAL (SELECT * FROM {t} s \
                 WHERE {ON_SCOPE} AND s.key = k.key COLLATE \"C\") s \
             ORDER BY k.ord, q.ord"
        );
        let list_many = format!(
            "SELECT {META}, s.key, q.ord FROM {JOIN_SCOPES} \
             CROSS JOIN LATERAL (SELECT * FROM {t} s WHERE {ON_SCOPE}) s \
             ORDER BY q.ord, s.key"
        );
        Sql {
            table: t.clone(),
            changes: changes.clone(),
            get: format!("SELECT {META}, s.sealed FROM {t} s WHERE {PK}"),
            get_first: (1..=GET_FIRST_PREPARED)
                .map(|n| get_first_sql(&t, n))
                .collect(),
            get_first_seq: (1..=GET_FIRST_PREPARED)
                .map(|n| with_seq(&get_first_sql(&t, n), ""))
                .collect(),
            find_sealed_seq: with_seq(&find_sealed, ""),
            find_sealed,
            get_many_seq: with_seq(&get_many, ""),
            get_many,
            list: format!(
                "SELECT {META}, s.key FROM {t} s \
                 WHERE workspace = $1 AND kind = $2 AND owner = $3 ORDER BY s.key"
            ),
            list_many_seq: with_seq(&list_many, " ORDER BY x.ord, x.key"),
            list_many,
            scopes: format!("SELECT DISTINCT kind, owner FROM {t} WHERE workspace = $1"),
            insert_absent: format!(
                "INSERT INTO {t} ({insert_cols}) VALUES ({values}) ON CONFLICT DO NOTHING"
            ),
            upsert_any: format!(
                "INSERT INTO {t} AS s ({insert_cols}) VALUES ({values}) \
                 ON CONFLICT (workspace, kind, owner, key) DO UPDATE SET \
                 version = EXCLUDED.version, display_name = EXCLUDED.display_name, \
                 description = EXCLUDED.description, members = EXCLUDED.members, \
                 created_by = EXCLUDED.created_by, updated_by = EXCLUDED.updated_by, \
                 created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, \
                 sealed = EXCLUDED.sealed, value_changed_at = EXCLUDED.value_changed_at, \
                 revision = s.revision + 1"
            ),
            update_at: format!(
                "UPDATE {t} SET version = $5, display_name = $6, description = $7, \
                 members = $8, created_by = $9, updated_by = $10, created_at = $11, \
                 updated_at = $12, sealed = $13, value_changed_at = $14, \
                 revision = revision + 1 WHERE {PK} AND revision = $15"
            ),
            // A record's delete drops its kept versions in the same statement. Every
            // data-modifying `WITH` runs once, read or not.
            delete_at: format!(
                "WITH d AS (DELETE FROM {t} WHERE {PK} AND revision = $5 RETURNING 1), \
                 v AS (DELETE FROM {v} WHERE {PK} AND EXISTS (SELECT 1 FROM d)) \
                 SELECT count(*) FROM d"
            ),
            delete_any: format!(
                "WITH v AS (DELETE FROM {v} WHERE {PK}) DELETE FROM {t} WHERE {PK}"
            ),
            exists: format!("SELECT 1 FROM {t} WHERE {PK}"),
            keep_any: format!(
                "INSERT INTO {v} ({version_cols}) SELECT {version_row} {replace_version}"
            ),
            keep_absent: format!(
                "INSERT INTO {v} ({version_cols}) SELECT {version_row} \
                 WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE {PK}) {replace_version}"
            ),
            keep_at: format!(
                "WITH cur AS (SELECT 1 FROM {t} WHERE {PK} AND revision = $11 FOR UPDATE) \
                 INSERT INTO {v} ({version_cols}) SELECT {version_row} \
                 WHERE EXISTS (SELECT 1 FROM cur) {replace_version}"
            ),
            prune_versions: format!(
                "DELETE FROM {v} WHERE {PK} AND version NOT IN \
                 (SELECT version FROM {v} WHERE {PK} ORDER BY version DESC LIMIT $5)"
            ),
            versions: format!(
                "SELECT key, version, written_at, written_by, reason, restored_from, sealed \
                 FROM {v} WHERE {PK} ORDER BY version DESC"
            ),
            insert_absent_logged: logged(&format!(
                "op AS (INSERT INTO {t} ({insert_cols}) VALUES ({values}) \
                 ON CONFLICT DO NOTHING RETURNING 1)"
            )),
            upsert_any_logged: logged(&format!(
                "op AS (INSERT INTO {t} AS s ({insert_cols}) VALUES ({values}) \
                 ON CONFLICT (workspace, kind, owner, key) DO UPDATE SET \
                 version = EXCLUDED.version, display_name = EXCLUDED.display_name, \
                 description = EXCLUDED.description, members = EXCLUDED.members, \
                 created_by = EXCLUDED.created_by, updated_by = EXCLUDED.updated_by, \
                 created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, \
                 sealed = EXCLUDED.sealed, value_changed_at = EXCLUDED.value_changed_at, \
                 revision = s.revision + 1 RETURNING 1)"
            )),
            update_at_logged: logged(&format!(
                "op AS (UPDATE {t} SET version = $5, display_name = $6, description = $7, \
                 members = $8, created_by = $9, updated_by = $10, created_at = $11, \
                 updated_at = $12, sealed = $13, value_changed_at = $14, \
                 revision = revision + 1 WHERE {PK} AND revision = $15 RETURNING 1)"
            )),
            delete_at_logged: logged(&format!(
                "op AS (DELETE FROM {t} WHERE {PK} AND revision = $5 RETURNING 1), \
                 v AS (DELETE FROM {v} WHERE {PK} AND EXISTS (SELECT 1 FROM op))"
            )),
            delete_any_logged: logged(&format!(
                "v AS (DELETE FROM {v} WHERE {PK}), \
                 op AS (DELETE FROM {t} WHERE {PK} RETURNING 1)"
            )),
            log_change: format!(
                "WITH {} SELECT (SELECT seq FROM b), (SELECT count(*) FROM n)",
                log_tail("$1::text[], $2::int2[], $3::text[], $4::text[]", "")
            ),
            current_seq: format!("SELECT seq FROM {changes} WHERE id = 1"),
            changes_after: format!(
                "SELECT seq, workspaces, kinds, owners, keys FROM {log} \
                 WHERE seq > $1 ORDER BY seq LIMIT {CHANGE_LOG_PAGE}"
            ),
            claim: "SELECT pg_advisory_xact_lock(c) FROM unnest($1::int8[]) AS c".to_owned(),
            // The marks are grouped first: one statement may not update a row twice,
            // and a caller may pass two marks of one (scope, key, workflow). The
            // database's collations are deterministic, so grouping text is bytewise.
            // Sorted, so concurrent flushes lock rows in one order.
            record_usage: format!(
                "INSERT INTO \"{schema}\".secret_usage AS u \
                     (workspace, kind, owner, key, workflow, last_used_at) \
                 SELECT workspace, kind, owner, key, workflow, max(at) \
                 FROM unnest($1::text[], $2::int2[], $3::text[], $4::text[], $5::text[], \
                     $6::int8[]) AS m(workspace, kind, owner, key, workflow, at) \
                 GROUP BY workspace, kind, owner, key, workflow \
                 ORDER BY workspace, kind, owner, key, workflow \
                 ON CONFLICT (workspace, kind, owner, key, workflow) DO UPDATE \
                 SET last_used_at = GREATEST(u.last_used_at, EXCLUDED.last_used_at)"
            ),
            usage: format!(
                "SELECT workflow, last_used_at FROM \"{schema}\".secret_usage \
                 WHERE {PK} ORDER BY workflow"
            ),
            migrate: format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
                 CREATE TABLE IF NOT EXISTS \"{schema}\".schema_version (
                     id      int  PRIMARY KEY CHECK (id = 1),
                     version int  NOT NULL
                 );"
            ),
            schema_version: format!("SELECT version FROM \"{schema}\".schema_version WHERE id = 1"),
            set_schema_version: format!(
                "INSERT INTO \"{schema}\".schema_version (id, version) VALUES (1, $1)"
            ),
            update_schema_version: format!(
                "UPDATE \"{schema}\".schema_version SET version = $1 WHERE id = 1"
            ),
        }
    }

    /// `get_first` over `scopes` scopes: `$1` the key, then workspace, kind and
    /// owner of each scope in order.
    pub(crate) fn get_first(&self, scopes: usize) -> std::borrow::Cow<'_, str> {
        match self.get_first.get(scopes.wrapping_sub(1)) {
            Some(sql) => std::borrow::Cow::Borrowed(sql),
            None => std::borrow::Cow::Owned(get_first_sql(&self.table, scopes)),
        }
    }

    /// `get_first` with the change number in its last column.
    pub(crate) fn get_first_seq(&self, scopes: usize) -> std::borrow::Cow<'_, str> {
        match self.get_first_seq.get(scopes.wrapping_sub(1)) {
            Some(sql) => std::borrow::Cow::Borrowed(sql),
            None => std::borrow::Cow::Owned(format!(
                "SELECT x.*, c.seq FROM {} c LEFT JOIN LATERAL ({}) x ON true WHERE c.id = 1",
                self.changes,
                get_first_sql(&self.table, scopes)
            )),
        }
    }

    /// Version 2: a second unique index, key first within the workspace, so the
    /// rows of one key in one workspace are contiguous, ordered by (kind, owner):
    /// `find_sealed` finds every scope of a run that may hold the key with one
    /// descent of it. Built in the migration's transaction, which blocks writes to
    /// the table (not reads) while it runs: one pass over the table.
    pub(crate) fn v2(schema: &str) -> String {
        format!(
            "CREATE UNIQUE INDEX secrets_by_key \
             ON \"{schema}\".secrets (workspace, key, kind, owner);"
        )
    }

    /// Version 3: `value_changed_at`, when the record's value last changed (not its
    /// details, not its wrapping), for the rotation-age report.
    ///
    /// Existing rows are filled from what they hold: a record still at version 1
    /// was never rotated, so its value is its creation's (`created_at`, exact); a
    /// rotated one gets `updated_at`, the last write, which is the last rotation
    /// unless its details were edited or it was re-wrapped since: an upper bound,
    /// so an old record may be reported due later than it should, never earlier.
    /// Added without a default and set `NOT NULL` once filled: no row can lack it.
    pub(crate) fn v3(schema: &str) -> String {
        format!(
            "ALTER TABLE \"{schema}\".secrets ADD COLUMN value_changed_at bigint;
             UPDATE \"{schema}\".secrets SET value_changed_at =
                 CASE WHEN version = 1 THEN created_at ELSE updated_at END;
             ALTER TABLE \"{schema}\".secrets ALTER COLUMN value_changed_at SET NOT NULL;"
        )
    }

    /// Version 4: kept versions, one row per (record, version), for a restore. The
    /// primary key puts one record's versions in one range; a record's delete
    /// drops them in its statement (`delete_any`, `delete_at`). A new, empty
    /// table: instant, whatever the size of `secrets`.
    pub(crate) fn v4(schema: &str) -> String {
        format!(
            "CREATE TABLE \"{schema}\".versions (
                 workspace     text     COLLATE \"C\" NOT NULL,
                 kind          smallint NOT NULL CHECK (kind IN (1, 2, 3)),
                 owner         text     COLLATE \"C\" NOT NULL,
                 key           text     COLLATE \"C\" NOT NULL,
                 version       bigint   NOT NULL,
                 written_at    bigint   NOT NULL,
                 written_by    text     COLLATE \"C\" NOT NULL,
                 reason        smallint NOT NULL,
                 restored_from bigint,
                 sealed        bytea    NOT NULL,
                 PRIMARY KEY (workspace, kind, owner, key, version)
             );"
        )
    }

    /// Version 5: usage rows, which workflows resolved a secret and when last, one
    /// per (scope, key, workflow), apart from the records: a delete of a record
    /// leaves its rows (they describe the name workflows reference), and recording
    /// usage never locks a record. Ids, keys and workflow ids are `COLLATE "C"`;
    /// the primary key serves the upsert and `usage` (a prefix, in workflow
    /// order). A new table: nothing to fill, no lock on `secrets`.
    pub(crate) fn v5(schema: &str) -> String {
        format!(
            "CREATE TABLE \"{schema}\".secret_usage (
                 workspace    text     COLLATE \"C\" NOT NULL,
                 kind         smallint NOT NULL CHECK (kind IN (1, 2, 3)),
                 owner        text     COLLATE \"C\" NOT NULL,
                 key          text     COLLATE \"C\" NOT NULL,
                 workflow     text     COLLATE \"C\" NOT NULL,
                 last_used_at bigint   NOT NULL,
                 PRIMARY KEY (workspace, kind, owner, key, workflow)
             );"
        )
    }

    /// Version 6: the change counter and log a cache of sealed records keeps
    /// fresh by (see the crate's "Cache" section). `changes` is one row, bumped by
    /// every write in its own transaction, so the numbers follow commit order;
    /// `change_log` keeps, per change, the names it touched (never a value), the
    /// last [`CHANGE_LOG_KEEP`] of them. Two new, small tables: instant.
    pub(crate) fn v6(schema: &str) -> String {
        format!(
            "CREATE TABLE \"{schema}\".changes (
                 id  int    PRIMARY KEY CHECK (id = 1),
                 seq bigint NOT NULL
             );
             INSERT INTO \"{schema}\".changes (id, seq) VALUES (1, 0);
             CREATE TABLE \"{schema}\".change_log (
                 seq        bigint   PRIMARY KEY,
                 workspaces text[]   NOT NULL,
                 kinds      int2[]   NOT NULL,
                 owners     text[]   NOT NULL,
                 keys       text[]   NOT NULL
             );"
        )
    }

    /// Version 1: one row per record. Ids and keys are `COLLATE "C"`: compared and
    /// sorted byte for byte, whatever the database's locale, so `acme`/`Acme`, a
    /// trailing space or another Unicode normalization stay different tenants. The
    /// primary key serves `get`, `list` (a prefix) and `scopes` (a shorter prefix).
    pub(crate) fn v1(schema: &str) -> String {
        format!(
            "CREATE TABLE \"{schema}\".secrets (
                 workspace    text     COLLATE \"C\" NOT NULL,
                 kind         smallint NOT NULL CHECK (kind IN (1, 2, 3)),
                 owner        text     COLLATE \"C\" NOT NULL,
                 key          text     COLLATE \"C\" NOT NULL,
                 version      bigint   NOT NULL,
                 revision     bigint   NOT NULL,
                 display_name text,
                 description  text,
                 members      text     NOT NULL,
                 created_by   text     COLLATE \"C\" NOT NULL,
                 updated_by   text     COLLATE \"C\" NOT NULL,
                 created_at   bigint   NOT NULL,
                 updated_at   bigint   NOT NULL,
                 sealed       bytea    NOT NULL,
                 PRIMARY KEY (workspace, kind, owner, key)
             );"
        )
    }
}

/// How many scopes `get_first` has a statement ready for; more are built per call.
const GET_FIRST_PREPARED: usize = 4;

/// `get_first` as one statement: a primary-key lookup per scope, `UNION ALL`,
/// tagged with the scope's place; the caller keeps the row with the lowest tag (at
/// most one row per scope comes back, so no server-side sort is needed). Not an `unnest` join: the
/// server would plan that anew on every call (its generic plan guesses ten array
/// elements, so it keeps choosing custom plans), which costs more than the lookups.
/// These branches have one plan whatever the parameters, so the server caches it.
fn get_first_sql(table: &str, scopes: usize) -> String {
    let mut sql = String::new();
    for i in 0..scopes {
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        let p = 2 + 3 * i;
        sql.push_str(&format!(
            "SELECT {META}, s.sealed, {i}::int8 AS ord FROM {table} s \
             WHERE s.workspace = ${p} AND s.kind = ${} AND s.owner = ${} AND s.key = $1",
            p + 1,
            p + 2
        ));
    }
    sql
}

/// Checks that `name` is a plain identifier: 1..=63 bytes of `[a-z0-9_]`, not
/// starting with a digit, and not a `pg_` system name.
pub(crate) fn check_schema(name: &str) -> Result<(), StoreError> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if first_ok && rest_ok && name.len() <= 63 && !name.starts_with("pg_") {
        Ok(())
    } else {
        Err(StoreError::backend(BadSchemaName))
    }
}

/// A schema name that is not a plain identifier.
#[derive(Debug)]
struct BadSchemaName;

impl fmt::Display for BadSchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "invalid schema name: use 1 to 63 of a-z, 0-9 and _, not starting with a digit or pg_",
        )
    }
}

impl std::error::Error for BadSchemaName {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["workflow_secrets", "t_1", "_x", "a"] {
            assert!(check_schema(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "1abc",
            "Upper",
            "a-b",
            "a\"b",
            "a; DROP",
            "pg_catalog",
            "ü",
            long.as_str(),
        ] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }
}
