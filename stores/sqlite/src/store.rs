//! `SqliteStore`: the `SecretStore` over one SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use workflow_secrets::{
    Scope, SecretKey, WorkspaceId,
    store::{SecretMeta, SecretStore, StoreError, StoredSecret, WriteBatch, WriteOp},
};

use crate::schema::migrate;
use workflow_secrets::store::codec::{
    ScopeColumns, key_from_column, members_from_text, members_to_text, scope_from_columns,
    sealed_from_column, u64_from_column, u64_to_column, user_from_column,
};

/// How long a write waits for another connection's write transaction to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const SELECT_RECORD: &str = "SELECT version, revision, display_name, description, members,
        created_by, updated_by, created_at, updated_at, sealed
    FROM workflow_secrets WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";
const SELECT_META: &str = "SELECT version, revision, display_name, description, members,
        created_by, updated_by, created_at, updated_at, key
    FROM workflow_secrets WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 ORDER BY key";
const SELECT_REVISION: &str = "SELECT revision FROM workflow_secrets
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";
const SELECT_SCOPES: &str =
    "SELECT DISTINCT kind, owner FROM workflow_secrets WHERE workspace = ?1 ORDER BY kind, owner";
const UPSERT: &str = "INSERT OR REPLACE INTO workflow_secrets (workspace, kind, owner, key,
        version, revision, display_name, description, members,
        created_by, updated_by, created_at, updated_at, sealed)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
const DELETE: &str = "DELETE FROM workflow_secrets
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";

/// A durable [`SecretStore`] in one SQLite file: the embedded default for one node.
///
/// Holds sealed records only (never plaintext); nothing in it is secret from the
/// host's point of view beyond what the `Vault` sealed.
///
/// - **Durability.** WAL journal, `synchronous = FULL`: a `write` that returned `Ok`
///   survives a crash of the process or of the machine.
/// - **Batches.** Each [`WriteBatch`] runs in one `BEGIN IMMEDIATE` transaction:
///   validated, every expectation checked against the state before the batch, then
///   applied; any failure rolls the whole batch back.
/// - **Snapshots.** `get_first`, `get_many` and `list_many` each run in one read
///   transaction, so a `get_many` never mixes records from before and after a batch,
///   even one written by another process on the same file.
/// - **Several stores on one file** (other processes, or other `SqliteStore`s in this
///   one) are safe: writes serialize on SQLite's write lock (waiting up to 30 s) and
///   compare-and-swap sees every committed write.
///
/// # Calls run synchronously
///
/// The store holds one connection behind a mutex, and each async method does its
/// SQLite work synchronously before returning: its future is ready when first polled.
/// A point operation on local disk takes microseconds (a `get` about as long as a
/// prepared `SELECT`), less than handing it to another thread would cost, so this is
/// the right default. Calls from several tasks serialize on the mutex.
///
/// Move the store onto a blocking thread (`tokio::task::spawn_blocking` with an
/// `Arc<SqliteStore>`) when a call can take long: the file is on network storage, a
/// large batch or a `list` of thousands of records runs on a latency-sensitive
/// executor, or other processes hold the write lock for long (a write waits for it).
///
/// # Example
///
/// ```
/// use workflow_secrets::store::{Expect, SecretMeta, SecretStore, StoredSecret, WriteBatch, WriteOp};
/// use workflow_secrets::{LocalKeyring, Scope, SecretKey, SecretValue, UserId, Vault, WorkspaceId};
/// use workflow_secrets_sqlite::SqliteStore;
///
/// let dir = std::env::temp_dir().join(format!("wfs-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = SqliteStore::open(dir.join("secrets.db"))?;
///
/// let vault = Vault::new(LocalKeyring::generate());
/// let scope = Scope::workspace(WorkspaceId::new("acme")?);
/// let key = SecretKey::new("OPENAI_API_KEY")?;
/// let sealed = vault.seal(&scope, &key, 1, &SecretValue::new("sk-test")?)?;
/// let meta = SecretMeta::new(scope.clone(), key.clone(), UserId::new("ada")?, 0);
/// let op = WriteOp::Put { record: StoredSecret { meta, sealed }, expect: Expect::Absent };
/// pollster::block_on(store.write(WriteBatch::from(vec![op])))?;
///
/// let found = pollster::block_on(store.get(&scope, &key))?.expect("just written");
/// assert_eq!(found.meta.revision, 1);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, creating or checking its
    /// schema.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the file cannot be opened or created, is not a
    /// SQLite database, or holds a schema from a newer release of this crate.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(backend)?;
        // Before anything takes a lock: two processes opening one new file at once
        // wait for each other instead of failing with SQLITE_BUSY.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::corrupt("the file cannot use the WAL journal"));
        }
        SqliteStore::setup(conn, Some(path.to_path_buf()))
    }

    /// A store in memory, private to this value: for tests. Not durable.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if SQLite cannot allocate the database.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::setup(Connection::open_in_memory().map_err(backend)?, None)
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.set_prepared_statement_cache_capacity(32);
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The file this store keeps, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held cannot leave a half-written batch: the
        // transaction rolls back when it drops during the unwind.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(backend)?;
        let out = f(&tx)?;
        tx.commit().map_err(backend)?;
        Ok(out)
    }

    fn write_now(&self, batch: WriteBatch) -> Result<(), StoreError> {
        batch.validate()?;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        // Check every expectation against the state before the batch, then apply.
        // Dropping `tx` on an early return rolls back, so nothing is written.
        let mut previous = Vec::with_capacity(batch.ops.len());
        {
            let mut revision = tx.prepare_cached(SELECT_REVISION).map_err(backend)?;
            for op in &batch.ops {
                let (scope, key) = op.target();
                let (kind, workspace, owner) = scope_columns(scope);
                let current: Option<i64> = revision
                    .query_row(params![workspace, kind, owner, key.as_str()], |row| {
                        row.get(0)
                    })
                    .optional()
                    .map_err(backend)?;
                let current = current.map(u64_from_column);
                if !op.expect().holds(current) {
                    return Err(StoreError::Conflict);
                }
                previous.push(current);
            }
        }
        for (op, previous) in batch.ops.into_iter().zip(previous) {
            match op {
                WriteOp::Put { record, .. } => {
                    let revision = match previous {
                        None => 1,
                        Some(r) => r
                            .checked_add(1)
                            .ok_or_else(|| StoreError::corrupt("a record's revision overflowed"))?,
                    };
                    upsert(&tx, &record, revision)?;
                }
                WriteOp::Delete { scope, key, .. } => {
                    let (kind, workspace, owner) = scope_columns(&scope);
                    tx.prepare_cached(DELETE)
                        .and_then(|mut s| s.execute(params![workspace, kind, owner, key.as_str()]))
                        .map_err(backend)?;
                }
                // `WriteOp` is `#[non_exhaustive]`: an operation added to the core after
                // this store was written is refused (the transaction rolls back), never
                // guessed at.
                other => {
                    return Err(StoreError::InvalidBatch(format!(
                        "this store does not support {other:?}"
                    )));
                }
            }
        }
        tx.commit().map_err(backend)
    }
}

fn upsert(tx: &Transaction<'_>, record: &StoredSecret, revision: u64) -> Result<(), StoreError> {
    let meta = &record.meta;
    let (kind, workspace, owner) = scope_columns(&meta.scope);
    let mut stmt = tx.prepare_cached(UPSERT).map_err(backend)?;
    stmt.execute(params![
        workspace,
        kind,
        owner,
        meta.key.as_str(),
        u64_to_column(meta.version),
        u64_to_column(revision),
        meta.display_name,
        meta.description,
        members_to_text(&meta.members),
        meta.created_by.as_str(),
        meta.updated_by.as_str(),
        u64_to_column(meta.created_at),
        u64_to_column(meta.updated_at),
        record.sealed.to_bytes(),
    ])
    .map_err(backend)?;
    Ok(())
}

/// What a row holds besides its scope and key: columns 0..=8 of `SELECT_RECORD` and
/// `SELECT_META`.
struct MetaColumns {
    version: i64,
    revision: i64,
    display_name: Option<String>,
    description: Option<String>,
    members: String,
    created_by: String,
    updated_by: String,
    created_at: i64,
    updated_at: i64,
}

impl MetaColumns {
    fn read(row: &Row<'_>) -> rusqlite::Result<MetaColumns> {
        Ok(MetaColumns {
            version: row.get(0)?,
            revision: row.get(1)?,
            display_name: row.get(2)?,
            description: row.get(3)?,
            members: row.get(4)?,
            created_by: row.get(5)?,
            updated_by: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
        })
    }

    fn into_meta(self, scope: Scope, key: SecretKey) -> Result<SecretMeta, StoreError> {
        let created_by = user_from_column(self.created_by)?;
        let mut meta = SecretMeta::new(scope, key, created_by, u64_from_column(self.created_at));
        meta.version = u64_from_column(self.version);
        meta.revision = u64_from_column(self.revision);
        meta.display_name = self.display_name;
        meta.description = self.description;
        meta.members = members_from_text(&self.members)?;
        meta.updated_by = user_from_column(self.updated_by)?;
        meta.updated_at = u64_from_column(self.updated_at);
        Ok(meta)
    }
}

fn get_in(
    tx: &Connection,
    scope: &Scope,
    key: &SecretKey,
) -> Result<Option<StoredSecret>, StoreError> {
    let (kind, workspace, owner) = scope_columns(scope);
    let mut stmt = tx.prepare_cached(SELECT_RECORD).map_err(backend)?;
    let found = stmt
        .query_row(params![workspace, kind, owner, key.as_str()], |row| {
            Ok((MetaColumns::read(row)?, row.get::<_, Vec<u8>>(9)?))
        })
        .optional()
        .map_err(backend)?;
    let Some((columns, sealed)) = found else {
        return Ok(None);
    };
    let sealed = sealed_from_column(&sealed)?;
    Ok(Some(StoredSecret {
        meta: columns.into_meta(scope.clone(), key.clone())?,
        sealed,
    }))
}

/// `get_first` as one statement: a point lookup per scope joined by `UNION ALL`,
/// each row tagged with its scope's place in `scopes`; the lowest wins. One
/// statement is one snapshot, and costs one statement's overhead, not one per scope.
///
/// No `ORDER BY`: with it, the bundled SQLite (built with STAT4) re-plans the
/// statement on every new binding, which costs 20x the lookups. The caller picks
/// the lowest tag from the (at most one per scope) rows instead.
fn get_first_sql(scopes: usize) -> String {
    // Built once per count for the common counts (see `GET_FIRST_READY`): formatting
    // it per call would cost a fifth of the lookup.
    let mut sql = String::new();
    for i in 0..scopes {
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        let p = 2 + 3 * i;
        sql.push_str(&format!(
            "SELECT version, revision, display_name, description, members, created_by, \
             updated_by, created_at, updated_at, sealed, {i} AS ord FROM workflow_secrets \
             WHERE workspace = ?{} AND kind = ?{} AND owner = ?{} AND key = ?1",
            p,
            p + 1,
            p + 2
        ));
    }
    sql
}

/// `get_first_sql(n)` for n = 0..=4, built on first use.
static GET_FIRST_READY: std::sync::LazyLock<[String; 5]> =
    std::sync::LazyLock::new(|| std::array::from_fn(get_first_sql));

fn get_first_in(
    tx: &Connection,
    scopes: &[Scope],
    key: &SecretKey,
) -> Result<Option<StoredSecret>, StoreError> {
    match scopes {
        [] => return Ok(None),
        [one] => return get_in(tx, one, key),
        _ => {}
    }
    let key_str = key.as_str();
    let columns: Vec<(i64, &str, &str)> = scopes.iter().map(scope_columns).collect();
    let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(1 + 3 * scopes.len());
    params.push(&key_str);
    for (kind, workspace, owner) in &columns {
        params.push(workspace);
        params.push(kind);
        params.push(owner);
    }
    let mut stmt = match GET_FIRST_READY.get(scopes.len()) {
        Some(sql) => tx.prepare_cached(sql),
        None => tx.prepare_cached(&get_first_sql(scopes.len())),
    }
    .map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(backend)?;
    let mut found: Option<(MetaColumns, Vec<u8>, i64)> = None;
    while let Some(row) = rows.next().map_err(backend)? {
        let ord: i64 = row.get(10).map_err(backend)?;
        if found.as_ref().is_none_or(|(_, _, best)| ord < *best) {
            let columns = MetaColumns::read(row).map_err(backend)?;
            found = Some((columns, row.get(9).map_err(backend)?, ord));
        }
    }
    let Some((columns, sealed, ord)) = found else {
        return Ok(None);
    };
    let scope = usize::try_from(ord)
        .ok()
        .and_then(|i| scopes.get(i))
        .ok_or_else(|| StoreError::corrupt("a lookup answered an ordinal out of range"))?;
    let sealed = sealed_from_column(&sealed)?;
    Ok(Some(StoredSecret {
        meta: columns.into_meta(scope.clone(), key.clone())?,
        sealed,
    }))
}

fn list_in(tx: &Connection, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
    let (kind, workspace, owner) = scope_columns(scope);
    let mut stmt = tx.prepare_cached(SELECT_META).map_err(backend)?;
    let rows = stmt
        .query_map(params![workspace, kind, owner], |row| {
            Ok((MetaColumns::read(row)?, row.get::<_, String>(9)?))
        })
        .map_err(backend)?;
    let mut listed = Vec::new();
    for row in rows {
        let (columns, name) = row.map_err(backend)?;
        listed.push(columns.into_meta(scope.clone(), key_from_column(name)?)?);
    }
    Ok(listed)
}

/// A scope's columns as this store binds them: the kind as SQLite's `INTEGER`.
fn scope_columns(scope: &Scope) -> (i64, &str, &str) {
    let columns = ScopeColumns::of(scope);
    (i64::from(columns.kind), columns.workspace, columns.owner)
}

/// Wraps a SQLite error. rusqlite's messages name statements, columns and
/// constraints, never bound parameters, so no sealed bytes reach an error.
pub(crate) fn backend(err: rusqlite::Error) -> StoreError {
    StoreError::backend(err)
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SqliteStore");
        match &self.path {
            Some(path) => d.field("path", path),
            None => d.field("path", &":memory:"),
        };
        d.finish_non_exhaustive()
    }
}

impl SecretStore for SqliteStore {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        // One statement is one snapshot: no transaction needed.
        get_in(&self.lock(), scope, key)
    }

    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        list_in(&self.lock(), scope)
    }

    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.write_now(batch)
    }

    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(SELECT_SCOPES).map_err(backend)?;
        let rows = stmt
            .query_map([workspace.as_str()], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(backend)?;
        let mut scopes = Vec::new();
        for row in rows {
            let (kind, owner) = row.map_err(backend)?;
            scopes.push(scope_from_columns(workspace, kind, &owner)?);
        }
        Ok(scopes)
    }

    async fn get_first(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        // One statement: one snapshot, no transaction needed.
        get_first_in(&self.lock(), scopes, key)
    }

    async fn get_many(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> Result<Vec<Option<StoredSecret>>, StoreError> {
        self.read(|tx| {
            keys.iter()
                .map(|key| get_first_in(tx, scopes, key))
                .collect()
        })
    }

    async fn list_many(&self, scopes: &[Scope]) -> Result<Vec<Vec<SecretMeta>>, StoreError> {
        self.read(|tx| scopes.iter().map(|scope| list_in(tx, scope)).collect())
    }
}
