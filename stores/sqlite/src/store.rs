//! `SqliteStore`: the `SecretStore` over one SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior, params,
};
use workflow_secrets::{
    Scope, SecretKey, WorkflowId, WorkspaceId,
    store::{
        FoundSealed, KeptVersion, SecretMeta, SecretStore, StoreError, StoredSecret, Usage,
        UsageMark, WriteBatch, WriteOp,
    },
};

use crate::schema::{SCHEMA_VERSION, migrate, newer_file};
use crate::versions;
use workflow_secrets::store::codec::{
    ScopeColumns, key_from_column, members_from_text, members_to_text, scope_from_columns,
    sealed_from_column, u64_from_column, u64_to_column, user_from_column,
};

/// How a file is opened: read-write, created if missing, and never as a URI (no
/// `SQLITE_OPEN_URI`), so a path is always a file name.
const OPEN_FLAGS: OpenFlags = OpenFlags::SQLITE_OPEN_READ_WRITE
    .union(OpenFlags::SQLITE_OPEN_CREATE)
    .union(OpenFlags::SQLITE_OPEN_NO_MUTEX);

/// `path` as SQLite must be given it to read it as a file name: a relative path
/// starting with `file:` gets a leading `./`, so no build of SQLite that reads URIs
/// whatever the flags (`SQLITE_USE_URI`) takes `file:x.db?mode=memory` for an
/// in-memory database.
fn plain_path(path: &Path) -> PathBuf {
    if path.is_relative() && path.as_os_str().as_encoded_bytes().starts_with(b"file:") {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    }
}

/// Whether SQLite answered that another connection holds the lock.
fn is_busy(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

/// Refuses a file whose schema a newer release wrote, reading only: a new or
/// empty file, or one of this release or an older, passes (`migrate` checks again
/// under the write lock).
fn check_not_newer(conn: &Connection) -> Result<(), StoreError> {
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master \
             WHERE type = 'table' AND name = 'workflow_secrets_schema')",
            [],
            |row| row.get(0),
        )
        .map_err(backend)?;
    if !has_table {
        return Ok(());
    }
    let found: Option<i64> = conn
        .query_row(
            "SELECT version FROM workflow_secrets_schema WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend)?;
    match found {
        Some(version) if version > SCHEMA_VERSION => Err(newer_file()),
        _ => Ok(()),
    }
}

/// How long a write waits for another connection's write transaction to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const SELECT_RECORD: &str = "SELECT version, revision, display_name, description, members,
        created_by, updated_by, created_at, updated_at, value_changed_at, sealed
    FROM workflow_secrets WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";
const SELECT_META: &str = "SELECT version, revision, display_name, description, members,
        created_by, updated_by, created_at, updated_at, value_changed_at, key
    FROM workflow_secrets WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 ORDER BY key";
const SELECT_REVISION: &str = "SELECT revision FROM workflow_secrets
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";
const SELECT_SCOPES: &str =
    "SELECT DISTINCT kind, owner FROM workflow_secrets WHERE workspace = ?1 ORDER BY kind, owner";
const UPSERT: &str = "INSERT OR REPLACE INTO workflow_secrets (workspace, kind, owner, key,
        version, revision, display_name, description, members,
        created_by, updated_by, created_at, updated_at, value_changed_at, sealed)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
const DELETE: &str = "DELETE FROM workflow_secrets
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";
const RECORD_USAGE: &str = "INSERT INTO workflow_secrets_usage
        (workspace, kind, owner, key, workflow, last_used_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (workspace, kind, owner, key, workflow)
    DO UPDATE SET last_used_at = max(last_used_at, excluded.last_used_at)";
const SELECT_USAGE: &str = "SELECT workflow, last_used_at FROM workflow_secrets_usage
    WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4 ORDER BY workflow";

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
/// - **One search per resolution.** `find_sealed` (what the resolver calls per
///   credential) reads the run's scopes of one key with one search of the key-first
///   index `workflow_secrets_by_key`, over the range from the lowest to the highest
///   requested (kind, owner), and reads four columns (kind, owner, version, sealed
///   bytes) of the row it answers with. Each entry it passes in that range costs a
///   seek of the table (a `WITHOUT ROWID` table is found by its primary key): the
///   answer, and any other holder of the key sorting before it (another workflow
///   overriding the key after the run's own, another user's personal copy before
///   the run's user); bounded by the key's holders in the workspace.
/// - **Several stores on one file** (other processes, or other `SqliteStore`s in this
///   one) are safe: writes serialize on SQLite's write lock (waiting up to 30 s) and
///   compare-and-swap sees every committed write. Opening one new file from several
///   connections at once is safe too: the switch to WAL, which SQLite can refuse as
///   busy without waiting, is retried for up to 30 s.
/// - **When a read waits.** In WAL a read takes no write lock, so another store's
///   or process's write never blocks it. But this store has one connection: a read
///   waits for this store's own call in progress, and so, while a `write` of this
///   store waits (up to 30 s) for another process's write lock, every read of this
///   store waits behind it. Give readers that must not wait a `SqliteStore` of their
///   own on the same file.
/// - **Opening.** The path is always a file name, never a URI (`file:x.db` is a
///   file of that name). A file whose schema a newer release wrote is refused before
///   anything changes it (its journal mode included).
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
        let conn = Connection::open_with_flags(plain_path(path), OPEN_FLAGS).map_err(backend)?;
        // Before anything takes a lock: two processes opening one new file at once
        // wait for each other instead of failing with SQLITE_BUSY.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        // A file a newer release wrote is refused before anything changes it (the
        // switch to WAL below rewrites its header): read its version first.
        check_not_newer(&conn)?;
        // Switching the journal takes an exclusive lock, and SQLite answers
        // SQLITE_BUSY there without calling the busy handler when another
        // connection is opening the same file: retry until the busy timeout.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
                Err(err) if is_busy(&err) && Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                other => break other.map_err(backend)?,
            }
        };
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
        // Plans never depend on bound values (the query planner stability
        // guarantee). Without it, the bundled SQLite (built with STAT4) marks a
        // statement whose `ORDER BY` it could shorten with a bound value, and the
        // statement cache's clearing of bindings then makes every run compile the
        // statement again: `find_sealed` cost seven times a point read. Every
        // statement here has one right plan whatever the values.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(backend)?;
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
                    versions::drop_all(&tx, &scope, &key)?;
                }
                WriteOp::Keep { version, keep, .. } => versions::keep(&tx, &version, keep)?,
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
        u64_to_column(meta.value_changed_at),
        record.sealed.to_bytes(),
    ])
    .map_err(backend)?;
    Ok(())
}

/// How many columns of metadata open `SELECT_RECORD`, `SELECT_META` and
/// `get_first_sql` (read by [`MetaColumns::read`]); what follows is at this index.
const META_COLUMNS: usize = 10;

/// What a row holds besides its scope and key: the first [`META_COLUMNS`] columns
/// of `SELECT_RECORD`, `SELECT_META` and `get_first_sql`.
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
    value_changed_at: i64,
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
            value_changed_at: row.get(9)?,
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
        meta.value_changed_at = u64_from_column(self.value_changed_at);
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
            Ok((
                MetaColumns::read(row)?,
                row.get::<_, Vec<u8>>(META_COLUMNS)?,
            ))
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
             updated_by, created_at, updated_at, value_changed_at, sealed, {i} AS ord \
             FROM workflow_secrets \
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
        let ord: i64 = row.get(META_COLUMNS + 1).map_err(backend)?;
        if found.as_ref().is_none_or(|(_, _, best)| ord < *best) {
            let columns = MetaColumns::read(row).map_err(backend)?;
            found = Some((columns, row.get(META_COLUMNS).map_err(backend)?, ord));
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

/// `find_sealed` over `scopes` scopes of one workspace, as one range of the key-first
/// index (schema version 2): `?1` workspace, `?2` key, `?3`..`?6` the lowest and
/// highest requested (kind, owner), then kind and owner of each scope in order.
/// `first_only`: `LIMIT 1`, for a request that ascends in (kind, owner).
///
/// - One descent: the rows of one key in one workspace are contiguous in
///   `workflow_secrets_by_key`, ordered by (kind, owner), so the range between the
///   lowest and highest requested scope holds every candidate. `INDEXED BY`
///   pins the plan: without statistics the planner would take the primary key
///   for its (kind, owner) prefix and scan the workspace.
/// - Exact: other holders of the key that sort inside the range (another workflow,
///   another user) are index entries the filter drops. Its terms are written `+kind`
///   and `+owner` so the planner cannot turn the `OR` into one index lookup per
///   scope.
/// - Only what a resolution opens: kind and owner (to name the scope's position),
///   version and sealed bytes; never the metadata.
/// - `ORDER BY kind, owner` is the index's own order (no sort): when the request
///   ascends in that order (a run's scopes do: workflow, workspace, personal),
///   `LIMIT 1` stops at the first holder, the answer. (The connection's query
///   planner stability guarantee keeps the `ORDER BY` from costing a compile per
///   run: see `SqliteStore::setup`.)
fn find_sql(scopes: usize, first_only: bool) -> String {
    let mut sql = String::from(
        "SELECT kind, owner, version, sealed FROM workflow_secrets \
         INDEXED BY workflow_secrets_by_key \
         WHERE workspace = ?1 AND key = ?2 \
         AND (kind, owner) >= (?3, ?4) AND (kind, owner) <= (?5, ?6) AND (",
    );
    for i in 0..scopes {
        if i > 0 {
            sql.push_str(" OR ");
        }
        let p = 7 + 2 * i;
        sql.push_str(&format!("(+kind = ?{p} AND +owner = ?{})", p + 1));
    }
    sql.push_str(") ORDER BY kind, owner");
    if first_only {
        sql.push_str(" LIMIT 1");
    }
    sql
}

/// `find_sql(n, first_only)` for n = 0..=4, built on first use (n = 0 is never run).
static FIND_READY: std::sync::LazyLock<[[String; 5]; 2]> = std::sync::LazyLock::new(|| {
    [
        std::array::from_fn(|n| find_sql(n, false)),
        std::array::from_fn(|n| find_sql(n, true)),
    ]
});

fn find_sealed_in(
    conn: &Connection,
    scopes: &[Scope],
    key: &SecretKey,
) -> Result<Option<FoundSealed>, StoreError> {
    let Some(first) = scopes.first() else {
        return Ok(None);
    };
    let workspace = first.workspace_id();
    if scopes.iter().any(|s| s.workspace_id() != workspace) {
        // Not a run's request (a run reads one workspace): no one range holds these
        // scopes, so read them as `get_first` does and check the binding.
        return get_first_in(conn, scopes, key)?
            .map(|record| FoundSealed::of(scopes, key, record))
            .transpose();
    }
    // (kind, owner) of each scope, in the request's order; compared as the index
    // orders them (integer, then bytes), so `lo`..=`hi` spans every one of them.
    let places: Vec<(i64, &str)> = scopes
        .iter()
        .map(|s| {
            let (kind, _, owner) = scope_columns(s);
            (kind, owner)
        })
        .collect();
    let (Some(lo), Some(hi)) = (places.iter().min(), places.iter().max()) else {
        return Ok(None);
    };
    // Ascending: the index's first holder is the request's first. Otherwise every
    // holder (at most one per scope) comes back and the lowest position wins.
    let ascending = places.windows(2).all(|w| w[0] < w[1]);
    let (workspace, key_str) = (workspace.as_str(), key.as_str());
    let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(6 + 2 * places.len());
    params.extend([
        &workspace as &dyn rusqlite::ToSql,
        &key_str,
        &lo.0,
        &lo.1,
        &hi.0,
        &hi.1,
    ]);
    for (kind, owner) in &places {
        params.push(kind);
        params.push(owner);
    }
    let mut stmt = match FIND_READY[usize::from(ascending)].get(places.len()) {
        Some(sql) => conn.prepare_cached(sql),
        None => conn.prepare_cached(&find_sql(places.len(), ascending)),
    }
    .map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(backend)?;
    let mut found: Option<FoundSealed> = None;
    while let Some(row) = rows.next().map_err(backend)? {
        let kind: i64 = row.get(0).map_err(backend)?;
        let owner = row.get_ref(1).map_err(backend)?;
        let owner = owner
            .as_str()
            .map_err(|_| StoreError::corrupt("a row holds an unreadable owner"))?;
        // The binding check: the row's own scope, by position in the request. The
        // filter makes this always succeed; a row it let through is refused.
        let at = places
            .iter()
            .position(|p| *p == (kind, owner))
            .ok_or_else(|| StoreError::corrupt("a lookup answered a scope it was not asked for"))?;
        if found.as_ref().is_none_or(|best| at < best.at) {
            let version: i64 = row.get(2).map_err(backend)?;
            let sealed = row.get_ref(3).map_err(backend)?;
            let sealed = sealed
                .as_blob()
                .map_err(|_| StoreError::corrupt("a row holds unreadable sealed bytes"))?;
            found = Some(FoundSealed::new(
                at,
                u64_from_column(version),
                sealed_from_column(sealed)?,
            ));
        }
    }
    Ok(found)
}

fn list_in(tx: &Connection, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
    let (kind, workspace, owner) = scope_columns(scope);
    let mut stmt = tx.prepare_cached(SELECT_META).map_err(backend)?;
    let rows = stmt
        .query_map(params![workspace, kind, owner], |row| {
            Ok((MetaColumns::read(row)?, row.get::<_, String>(META_COLUMNS)?))
        })
        .map_err(backend)?;
    let mut listed = Vec::new();
    for row in rows {
        let (columns, name) = row.map_err(backend)?;
        listed.push(columns.into_meta(scope.clone(), key_from_column(name)?)?);
    }
    Ok(listed)
}

/// A usage time as a column: times past `i64::MAX` ms (never a real clock's) are
/// kept as `i64::MAX`, so the column's signed order is the times' order.
fn time_to_column(at: u64) -> i64 {
    i64::try_from(at).unwrap_or(i64::MAX)
}

/// A scope's columns as this store binds them: the kind as SQLite's `INTEGER`.
pub(crate) fn scope_columns(scope: &Scope) -> (i64, &str, &str) {
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

    async fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<KeptVersion>, StoreError> {
        versions::versions_in(&self.lock(), scope, key)
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

    async fn find_sealed(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<FoundSealed>, StoreError> {
        // One statement: one snapshot, no transaction needed.
        find_sealed_in(&self.lock(), scopes, key)
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
    async fn record_usage(&self, marks: &[UsageMark]) -> Result<(), StoreError> {
        if marks.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        // One transaction: every mark or none.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        {
            let mut stmt = tx.prepare_cached(RECORD_USAGE).map_err(backend)?;
            for mark in marks {
                let (kind, workspace, owner) = scope_columns(&mark.scope);
                stmt.execute(params![
                    workspace,
                    kind,
                    owner,
                    mark.key.as_str(),
                    mark.workflow.as_str(),
                    time_to_column(mark.used_at),
                ])
                .map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)
    }

    async fn usage(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<Usage>, StoreError> {
        let conn = self.lock();
        let (kind, workspace, owner) = scope_columns(scope);
        let mut stmt = conn.prepare_cached(SELECT_USAGE).map_err(backend)?;
        let rows = stmt
            .query_map(params![workspace, kind, owner, key.as_str()], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(backend)?;
        let mut found = Vec::new();
        for row in rows {
            let (workflow, at) = row.map_err(backend)?;
            let workflow = WorkflowId::new(workflow)
                .map_err(|_| StoreError::corrupt("a usage row holds an invalid workflow id"))?;
            found.push(Usage::new(workflow, u64_from_column(at)));
        }
        Ok(found)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    /// The query plan of `sql`, one line per step, and its bytecode's opcodes.
    fn plan(conn: &Connection, sql: &str) -> (Vec<String>, Vec<(String, i64)>) {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut steps = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            steps.push(row.get::<_, String>(3).unwrap());
        }
        let mut stmt = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut ops = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            ops.push((
                row.get::<_, String>(1).unwrap(),
                row.get::<_, i64>(2).unwrap(),
            ));
        }
        (steps, ops)
    }

    /// The evidence for "one descent": for every scope count, the plan is one
    /// search of the key-first index, bounded by workspace, key and the (kind,
    /// owner) range, with no sort and no temporary index; the bytecode seeks that
    /// index once (`SeekGE`), then steps along it (`Next`), and seeks the table
    /// (`NotFound`: a `WITHOUT ROWID` table is found by its primary key) for an
    /// entry in range, before the filter.
    #[test]
    fn find_sealed_is_one_search_of_the_key_first_index() {
        let store = SqliteStore::open_in_memory().unwrap();
        let conn = store.lock();
        for (n, first_only) in (1..=6).flat_map(|n| [(n, true), (n, false)]) {
            let (steps, ops) = plan(&conn, &find_sql(n, first_only));
            assert_eq!(
                steps,
                [
                    "SEARCH workflow_secrets USING INDEX workflow_secrets_by_key \
                  (workspace=? AND key=? AND (kind,owner)>(?,?) AND (kind,owner)<(?,?))"
                ],
                "{n} scopes"
            );
            let count = |name: &str| ops.iter().filter(|(op, _)| op.starts_with(name)).count();
            assert_eq!(count("Seek"), 1, "{n} scopes: {ops:?}");
            assert_eq!(count("NotFound"), 1, "{n} scopes: {ops:?}");
            assert_eq!(count("Next"), 1, "{n} scopes: {ops:?}");
            assert_eq!(count("OpenEphemeral") + count("Sorter"), 0, "{n} scopes");
        }
    }

    /// A statement the cache hands back is run as compiled: never compiled again
    /// because a bound value changed (the cache clears bindings between runs, so
    /// every value "changes"), which would cost more than the read itself.
    #[test]
    fn find_sealed_never_recompiles_its_statement() {
        let store = SqliteStore::open_in_memory().unwrap();
        let conn = store.lock();
        let acme = WorkspaceId::new("acme").unwrap();
        let scopes = [
            Scope::workflow(acme.clone(), "wf".to_owned().try_into().unwrap()),
            Scope::workspace(acme.clone()),
            Scope::personal(acme, "ada".to_owned().try_into().unwrap()),
        ];
        let reversed: Vec<Scope> = scopes.iter().rev().cloned().collect();
        for i in 0..100 {
            let key = SecretKey::new(format!("K{}", i % 7)).unwrap();
            find_sealed_in(&conn, &scopes, &key).unwrap();
            find_sealed_in(&conn, &reversed, &key).unwrap();
        }
        for first_only in [true, false] {
            let stmt = conn.prepare_cached(&find_sql(3, first_only)).unwrap();
            let runs = stmt.get_status(rusqlite::StatementStatus::Run);
            let compiled = stmt.get_status(rusqlite::StatementStatus::RePrepare);
            assert_eq!((runs, compiled), (100, 0), "first_only: {first_only}");
        }
    }
}
