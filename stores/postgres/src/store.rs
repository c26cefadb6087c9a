//! `PostgresStore`: the `SecretStore` over a PostgreSQL schema.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Object, Pool};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use workflow_secrets::store::codec::{
    ScopeColumns, key_from_column, members_from_text, members_to_text, reason_from_column,
    scope_from_columns, sealed_from_column, u64_from_column, u64_to_column, user_from_column,
};
use workflow_secrets::{
    Scope, SecretKey, WorkflowId, WorkspaceId,
    store::{
        Expect, FoundSealed, KeptVersion, SecretMeta, SecretStore, StoreError, StoredSecret, Usage,
        UsageMark, VersionMeta, WriteBatch, WriteOp,
    },
};

use crate::cache::{self, Cache, CacheConfig, CacheListener, CacheStats, State};
use crate::error::{PgError, backend, pool_error, pool_timeout};
use crate::sql::{DEFAULT_SCHEMA, META_COLUMNS, SCHEMA_VERSION, Sql, check_schema};

/// A [`SecretStore`] in a PostgreSQL database: for many service instances sharing
/// one database.
///
/// Holds sealed records only; never plaintext. It borrows the host's
/// [`deadpool_postgres::Pool`], so connection limits, TLS and credentials stay the
/// host's, and keeps its tables in one schema (`workflow_secrets` by default).
/// Run [`migrate`](PostgresStore::migrate) at start-up: it is idempotent, and
/// instances starting at once serialize on an advisory lock.
///
/// - **Batches.** Each [`WriteBatch`] is one transaction; a batch of one operation is
///   one statement (its own transaction, one round trip).
/// - **Compare-and-swap.** Every operation checks its record's `revision` in the
///   statement that writes it: `INSERT ... ON CONFLICT DO NOTHING` for
///   `Expect::Absent`, `UPDATE`/`DELETE ... WHERE revision = $n` for
///   `Expect::Revision(n)`, and a row count of zero means [`StoreError::Conflict`]
///   and a rollback. Two instances racing on one revision: exactly one wins, with no
///   lock held between a read and a write. A `Delete` expecting `Absent` checks with
///   a `SELECT`, which cannot lock a row that does not exist, so a batch of several
///   operations first takes a transaction-scoped advisory lock per record it
///   touches (one statement, in one order for every batch): two batches sharing a
///   record run one after the other, and every expectation holds against the state
///   before the batch even under concurrency (no write skew: of two batches that
///   each expect absent what the other creates, exactly one commits). A batch of
///   one operation needs no lock: its one statement checks and writes one record.
///   Operations run in primary-key order, so two batches never deadlock on each
///   other.
/// - **One round trip per read.** `get_first`, `get_many` and `list_many` are one
///   statement each, and one statement reads one snapshot: a `get_many` never mixes
///   records from before and after a batch. `get_first` is a primary-key lookup per
///   scope joined by `UNION ALL` (a plan the server caches); `get_many` and
///   `list_many` pass scopes and keys as arrays (`unnest ... WITH ORDINALITY` keeps
///   their order), so their statement text never depends on how many there are.
/// - **One index descent per resolution.** `find_sealed` (what the resolver calls per
///   credential) reads the run's scopes of one key with one `Index Scan` of the
///   key-first index `secrets_by_key` (workspace, key, kind, owner), over the range
///   from the lowest to the highest requested (kind, owner), and reads four columns
///   (kind, owner, version, sealed bytes) of the row it answers with. Each other
///   holder of the key that sorts in that range before the answer (another workflow
///   overriding the key after the run's own, another user's personal copy before the
///   run's user) costs one more index entry and heap visit; bounded by the key's
///   holders in the workspace.
/// - **Errors.** Driver errors become [`StoreError::Backend`] carrying the SQLSTATE
///   and the server's message only: never the `DETAIL` (which can quote a row, sealed
///   bytes included) or a parameter. A client-side failure (a refused or closed
///   connection, TLS, I/O, a timeout) keeps the driver's error as its `source()`,
///   so the chain says why. Serialization failures and deadlocks become
///   `Conflict`: nothing was written, re-read and retry.
/// - **Bounded waits for a connection.** A call waits for a connection from the
///   pool at most [`DEFAULT_WAIT_TIMEOUT`](Self::DEFAULT_WAIT_TIMEOUT) (see
///   [`with_wait_timeout`](Self::with_wait_timeout)), or the pool's own
///   `wait_timeout` if shorter, then fails with [`StoreError::Backend`]: an
///   exhausted pool is an error, never a hang. The bound is a tokio timer, so the
///   host's runtime must have its timers on (`enable_time` or `enable_all`, as
///   deadpool's own timeouts need).
/// - **Debug** shows the schema, the pool's size and the wait bound, never the
///   connection settings.
///
/// # Privileges
///
/// Two roles, so the service's own cannot change the schema:
///
/// - **The owner** runs [`migrate`](Self::migrate) once per release (a deploy
///   step, or the first instance): it creates the schema and its tables, which it
///   then owns, and upgrades them. It needs `CREATE` on the database (or an
///   existing schema it owns) and ownership of the tables to upgrade.
/// - **The service's role** needs exactly these, and nothing from `PUBLIC`
///   (tested with a role holding only them, in a database whose `PUBLIC` grants
///   were revoked, by `the_documented_grants_suffice`):
///
/// ```sql
/// GRANT CONNECT ON DATABASE app TO app_service;
/// GRANT USAGE ON SCHEMA workflow_secrets TO app_service;
/// GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_secrets.secrets TO app_service;
/// GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_secrets.versions TO app_service;
/// GRANT SELECT, INSERT, UPDATE ON workflow_secrets.secret_usage TO app_service;
/// GRANT SELECT, UPDATE ON workflow_secrets.changes TO app_service;
/// GRANT SELECT, INSERT, DELETE ON workflow_secrets.change_log TO app_service;
/// GRANT SELECT ON workflow_secrets.schema_version TO app_service;
/// ```
///
/// (`changes` and `change_log`, schema version 6, record every write for the
/// caches of [`with_cache`](Self::with_cache): every instance writes them, cached
/// or not. `LISTEN` and `NOTIFY` need no grant.)
///
/// With them it may call `migrate` at every start: on a current schema that is one
/// `SELECT` of the version, no lock and no DDL. On a missing or older schema it
/// fails (`42501`, permission denied) until the owner migrates. Batches take
/// advisory locks, which need no grant. The database's encoding must be `UTF8`
/// (`migrate` refuses another).
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
///
/// use deadpool_postgres::{Manager, Pool, Runtime};
/// use tokio_postgres::NoTls;
/// use workflow_secrets_postgres::PostgresStore;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config: tokio_postgres::Config = std::env::var("DATABASE_URL")?.parse()?;
/// // A bounded wait for a free connection: without one, a call waits forever once
/// // every connection is taken (the store bounds it too, at 30 s by default).
/// let pool = Pool::builder(Manager::new(config, NoTls))
///     .max_size(16)
///     .runtime(Runtime::Tokio1)
///     .wait_timeout(Some(Duration::from_secs(5)))
///     .build()?;
/// let store = PostgresStore::new(pool);
/// store.migrate().await?; // creates schema `workflow_secrets` once
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    schema: Arc<str>,
    sql: Arc<Sql>,
    /// How long a call waits for a connection from the pool.
    wait: Duration,
    /// The cache of sealed records, when [`with_cache`](Self::with_cache) made one.
    cache: Option<Arc<Cache>>,
}

impl PostgresStore {
    /// A store in the schema `workflow_secrets` of the pool's database.
    pub fn new(pool: Pool) -> PostgresStore {
        PostgresStore {
            pool,
            schema: Arc::from(DEFAULT_SCHEMA),
            sql: Arc::new(Sql::new(DEFAULT_SCHEMA)),
            wait: PostgresStore::DEFAULT_WAIT_TIMEOUT,
            cache: None,
        }
    }

    /// A store in the schema `name`: one database can hold several stores (a test
    /// case each, say).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] unless `name` is 1 to 63 of `a-z`, `0-9` and `_`, not
    /// starting with a digit or `pg_`: the one name spliced into SQL is checked first.
    pub fn with_schema(pool: Pool, name: &str) -> Result<PostgresStore, StoreError> {
        check_schema(name)?;
        Ok(PostgresStore {
            pool,
            schema: Arc::from(name),
            sql: Arc::new(Sql::new(name)),
            wait: PostgresStore::DEFAULT_WAIT_TIMEOUT,
            cache: None,
        })
    }

    /// This store with another bound on how long a call waits for a connection
    /// from the pool ([`DEFAULT_WAIT_TIMEOUT`](Self::DEFAULT_WAIT_TIMEOUT) unless
    /// set): past it the call fails with [`StoreError::Backend`] instead of
    /// waiting for a connection that may never come back.
    ///
    /// The wait covers taking a connection from the pool, opening a new one
    /// included, not the statements run on it. A pool built with its own
    /// `wait_timeout` (and a runtime) also keeps its bound: the shorter one ends
    /// the wait.
    pub fn with_wait_timeout(mut self, wait: Duration) -> PostgresStore {
        self.wait = wait;
        self
    }

    /// This store with a cache of sealed records (opt-in, per process, bounded by
    /// `config`), and the listener that keeps it fresh: run it for as long as the
    /// store is used (`tokio::spawn(listener.run())`). Until it has subscribed,
    /// and whenever its connection is lost, the cache serves nothing.
    ///
    /// `get_first`, `find_sealed`, `get_many` and `list_many` read through it;
    /// `get`, `list`, `scopes` and `versions` always read the database. See the
    /// crate docs' "Cache" for the guarantee (the rotation rule holds on every
    /// instance) and what a lookup costs.
    ///
    /// The listener holds one connection of its own, outside the pool (a
    /// subscription is a session's state): `listen` and `tls` make it, as the
    /// pool's manager makes its own (same database, same role). Clones of the
    /// returned store share the cache. Needs schema version 6
    /// ([`migrate`](Self::migrate)), which every instance's writes then keep
    /// current, cached or not.
    pub fn with_cache<T>(
        mut self,
        config: CacheConfig,
        listen: tokio_postgres::Config,
        tls: T,
    ) -> (PostgresStore, CacheListener)
    where
        T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>
            + Clone
            + Send
            + Sync
            + 'static,
        T::Stream: Send + Sync + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
    {
        let cache = Arc::new(Cache::new(config));
        let listener = CacheListener::new(
            cache.clone(),
            self.sql.clone(),
            self.schema.clone(),
            listen,
            tls,
        );
        self.cache = Some(cache);
        (self, listener)
    }

    /// The cache's counters and state; `None` without a cache.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(|cache| cache.stats())
    }

    /// Drops a committed batch's names from this process's cache at once (the
    /// listener applies the change by number as well).
    fn forget(&self, ops: &[WriteOp]) {
        if let Some(cache) = &self.cache {
            cache.forget(ops.iter().map(WriteOp::target));
        }
    }

    /// How long a call waits for a connection unless
    /// [`with_wait_timeout`](Self::with_wait_timeout) says otherwise.
    pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30);

    /// The schema this store keeps its tables in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The pool this store draws connections from.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Creates the schema and its tables, or checks the version they hold.
    ///
    /// Idempotent, and safe when several instances start at once. It first reads
    /// the version with one `SELECT`: a current schema needs nothing more, so a
    /// role holding only the run-time grants (see "Privileges" on
    /// [`PostgresStore`]) can run it at every start. A missing or older schema is
    /// created or upgraded in one transaction under a transaction-scoped advisory
    /// lock on the schema's name, which needs the owner's rights.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the database fails or refuses (a role without
    /// `USAGE` on the schema, or one that may not create or alter it when it is
    /// missing or older), when the database's encoding is not `UTF8`, or when the
    /// schema holds a version written by a newer release of this crate.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        // Ids, keys and details are UTF-8 text: a database of another encoding
        // would convert or (`SQL_ASCII`) not check them. Refused before anything
        // is created in it.
        let encoding: String = client
            .query_one("SELECT current_setting('server_encoding')", &[])
            .await
            .and_then(|row| row.try_get(0))
            .map_err(backend)?;
        if encoding != "UTF8" {
            return Err(StoreError::backend(PgError::new(format!(
                "the database's encoding is {encoding}; this store needs UTF8 \
                 (CREATE DATABASE ... ENCODING 'UTF8')"
            ))));
        }
        // Read first: no lock and no DDL (no `CREATE` on the database) when the
        // schema is current.
        match self.installed_version(&client).await? {
            Some(SCHEMA_VERSION) => return Ok(()),
            Some(version) if version > SCHEMA_VERSION => return Err(newer_schema()),
            _ => {}
        }
        let tx = client.transaction().await.map_err(backend)?;
        let lock_name = format!("workflow-secrets-postgres:{}", self.schema);
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&lock_name])
            .await
            .map_err(backend)?;
        tx.batch_execute(&self.sql.migrate).await.map_err(backend)?;
        let found = tx
            .query_opt(&self.sql.schema_version, &[])
            .await
            .map_err(backend)?;
        let from = match found.map(|row| row.try_get::<_, i32>(0)).transpose() {
            Ok(None) => {
                tx.batch_execute(&Sql::v1(&self.schema))
                    .await
                    .map_err(backend)?;
                tx.execute(&self.sql.set_schema_version, &[&1i32])
                    .await
                    .map_err(backend)?;
                1
            }
            Ok(Some(version @ 1..=SCHEMA_VERSION)) => version,
            Ok(Some(_)) => return Err(newer_schema()),
            Err(err) => return Err(backend(err)),
        };
        // An older schema is upgraded in place, one version at a time, in this
        // transaction: a failure leaves it at the version it had.
        if from < 2 {
            tx.batch_execute(&Sql::v2(&self.schema))
                .await
                .map_err(backend)?;
        }
        if from < 3 {
            tx.batch_execute(&Sql::v3(&self.schema))
                .await
                .map_err(backend)?;
        }
        if from < 4 {
            tx.batch_execute(&Sql::v4(&self.schema))
                .await
                .map_err(backend)?;
        }
        if from < 5 {
            tx.batch_execute(&Sql::v5(&self.schema))
                .await
                .map_err(backend)?;
        }
        if from < 6 {
            tx.batch_execute(&Sql::v6(&self.schema))
                .await
                .map_err(backend)?;
        }
        if from < SCHEMA_VERSION {
            tx.execute(&self.sql.update_schema_version, &[&SCHEMA_VERSION])
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    /// The version the schema records, `None` when it has no version table (the
    /// schema or the table does not exist yet).
    async fn installed_version(&self, client: &Object) -> Result<Option<i32>, StoreError> {
        match client.query_opt(&self.sql.schema_version, &[]).await {
            Ok(Some(row)) => row.try_get(0).map(Some).map_err(backend),
            Ok(None) => Ok(None),
            Err(err)
                if err.code() == Some(&SqlState::UNDEFINED_TABLE)
                    || err.code() == Some(&SqlState::INVALID_SCHEMA_NAME) =>
            {
                Ok(None)
            }
            Err(err) => Err(backend(err)),
        }
    }

    /// A connection from the pool, waiting at most `self.wait` for one: a pool
    /// without a wait timeout of its own (deadpool's default) would otherwise wait
    /// forever once every connection is taken and none comes back.
    async fn client(&self) -> Result<Object, StoreError> {
        match tokio::time::timeout(self.wait, self.pool.get()).await {
            Ok(got) => got.map_err(pool_error),
            Err(_) => Err(pool_timeout(self.wait, self.pool.status().max_size)),
        }
    }
}

/// The schema records a version this crate does not know.
fn newer_schema() -> StoreError {
    StoreError::corrupt(
        "the schema holds a version this crate does not know (written by a newer release?)",
    )
}

/// A usage time as a column: times past `i64::MAX` ms (never a real clock's) are
/// kept as `i64::MAX`, so the column's signed order is the times' order.
fn time_to_column(at: u64) -> i64 {
    i64::try_from(at).unwrap_or(i64::MAX)
}

/// A scope's columns as this store binds them: the kind as PostgreSQL's `int2`.
pub(crate) fn scope_columns(scope: &Scope) -> (i16, &str, &str) {
    let columns = ScopeColumns::of(scope);
    (i16::from(columns.kind), columns.workspace, columns.owner)
}

/// Scopes as the three arrays `unnest` takes.
fn scope_arrays(scopes: &[Scope]) -> (Vec<&str>, Vec<i16>, Vec<&str>) {
    let mut workspaces = Vec::with_capacity(scopes.len());
    let mut kinds = Vec::with_capacity(scopes.len());
    let mut owners = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let (kind, workspace, owner) = scope_columns(scope);
        workspaces.push(workspace);
        kinds.push(kind);
        owners.push(owner);
    }
    (workspaces, kinds, owners)
}

/// A record's metadata from the first [`META_COLUMNS`] columns of a `SELECT`.
fn meta_from(row: &Row, scope: Scope, key: SecretKey) -> Result<SecretMeta, StoreError> {
    let text = |i: usize| row.try_get::<_, String>(i).map_err(backend);
    let int = |i: usize| {
        row.try_get::<_, i64>(i)
            .map(u64_from_column)
            .map_err(backend)
    };
    let members: &str = row.try_get(4).map_err(backend)?;
    let mut meta = SecretMeta::new(scope, key, user_from_column(text(5)?)?, int(7)?);
    meta.version = int(0)?;
    meta.revision = int(1)?;
    meta.display_name = row.try_get(2).map_err(backend)?;
    meta.description = row.try_get(3).map_err(backend)?;
    meta.members = members_from_text(members)?;
    meta.updated_by = user_from_column(text(6)?)?;
    meta.updated_at = int(8)?;
    meta.value_changed_at = int(9)?;
    Ok(meta)
}

/// A whole record: metadata, then `sealed` in column [`META_COLUMNS`].
fn record_from(row: &Row, scope: Scope, key: SecretKey) -> Result<StoredSecret, StoreError> {
    let sealed: &[u8] = row.try_get(META_COLUMNS).map_err(backend)?;
    let sealed = sealed_from_column(sealed)?;
    Ok(StoredSecret {
        meta: meta_from(row, scope, key)?,
        sealed,
    })
}

/// The element of `items` a 1-based `WITH ORDINALITY` column names.
fn nth<'a, T>(items: &'a [T], row: &Row, column: usize) -> Result<&'a T, StoreError> {
    Ok(&items[nth_at(items.len(), row, column)?])
}

/// The 0-based index a 1-based `WITH ORDINALITY` column names among `len` items.
fn nth_at(len: usize, row: &Row, column: usize) -> Result<usize, StoreError> {
    let ord: i64 = row.try_get(column).map_err(backend)?;
    usize::try_from(ord)
        .ok()
        .and_then(|ord| ord.checked_sub(1))
        .filter(|i| *i < len)
        .ok_or_else(|| StoreError::corrupt("the database answered an ordinal out of range"))
}

/// The transaction-scoped advisory lock a batch takes on one record: FNV-1a (64
/// bits) over the schema, the scope's columns and the key, each length-prefixed so
/// no two different records give the same input. A fixed function, so every
/// instance and release of this crate computes the same claim for a record. Two
/// records sharing a claim by chance only wait for each other.
fn claim_key(schema: &str, scope: &Scope, key: &SecretKey) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let (kind, workspace, owner) = scope_columns(scope);
    let kind = kind.to_be_bytes();
    let mut hash = OFFSET;
    for field in [
        schema.as_bytes(),
        &kind,
        workspace.as_bytes(),
        owner.as_bytes(),
        key.as_str().as_bytes(),
    ] {
        let len = u64::try_from(field.len()).unwrap_or(u64::MAX).to_be_bytes();
        for byte in len.iter().chain(field) {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(PRIME);
        }
    }
    i64::from_be_bytes(hash.to_be_bytes())
}

/// Applies one operation, checking its expectation in the same statement. `Ok(false)`:
/// the expectation did not hold.
///
/// `logged`: the operation is a batch of its own, so its statement also records
/// the change (schema version 6); otherwise the batch records it last.
async fn apply(
    sql: &Sql,
    client: &impl GenericClient,
    op: &WriteOp,
    logged: bool,
) -> Result<bool, StoreError> {
    let (scope, key) = op.target();
    let (kind, workspace, owner) = scope_columns(scope);
    let key = key.as_str();
    match op {
        WriteOp::Put { record, expect } => {
            let meta = &record.meta;
            let members = members_to_text(&meta.members);
            let sealed = record.sealed.to_bytes();
            let (created_by, updated_by) = (meta.created_by.as_str(), meta.updated_by.as_str());
            let (version, created_at, updated_at, value_changed_at) = (
                u64_to_column(meta.version),
                u64_to_column(meta.created_at),
                u64_to_column(meta.updated_at),
                u64_to_column(meta.value_changed_at),
            );
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![
                &workspace,
                &kind,
                &owner,
                &key,
                &version,
                &meta.display_name,
                &meta.description,
                &members,
                &created_by,
                &updated_by,
                &created_at,
                &updated_at,
                &sealed,
                &value_changed_at,
            ];
            let (statement, revision) = match (expect, logged) {
                (Expect::Absent, false) => (&sql.insert_absent, None),
                (Expect::Absent, true) => (&sql.insert_absent_logged, None),
                (Expect::Any, false) => (&sql.upsert_any, None),
                (Expect::Any, true) => (&sql.upsert_any_logged, None),
                (Expect::Revision(n), false) => (&sql.update_at, Some(u64_to_column(*n))),
                (Expect::Revision(n), true) => (&sql.update_at_logged, Some(u64_to_column(*n))),
                (other, _) => return Err(unsupported(other)),
            };
            if let Some(revision) = &revision {
                params.push(revision);
            }
            let statement = client.prepare_cached(statement).await.map_err(backend)?;
            if logged {
                return written(client.query_one(&statement, &params).await);
            }
            let rows = client.execute(&statement, &params).await.map_err(backend)?;
            Ok(rows == 1)
        }
        WriteOp::Delete { expect, .. } => {
            let pk: [&(dyn ToSql + Sync); 4] = [&workspace, &kind, &owner, &key];
            match expect {
                Expect::Any if logged => {
                    let statement = client
                        .prepare_cached(&sql.delete_any_logged)
                        .await
                        .map_err(backend)?;
                    written(client.query_one(&statement, &pk).await)?;
                    Ok(true)
                }
                Expect::Any => {
                    let statement = client
                        .prepare_cached(&sql.delete_any)
                        .await
                        .map_err(backend)?;
                    client.execute(&statement, &pk).await.map_err(backend)?;
                    Ok(true)
                }
                Expect::Revision(n) => {
                    let n = u64_to_column(*n);
                    let statement = if logged {
                        &sql.delete_at_logged
                    } else {
                        &sql.delete_at
                    };
                    let statement = client.prepare_cached(statement).await.map_err(backend)?;
                    written(
                        client
                            .query_one(&statement, &[&workspace, &kind, &owner, &key, &n])
                            .await,
                    )
                }
                // Deleting a record expected absent deletes nothing: check only.
                Expect::Absent => {
                    let statement = client.prepare_cached(&sql.exists).await.map_err(backend)?;
                    let found = client.query_opt(&statement, &pk).await.map_err(backend)?;
                    Ok(found.is_none())
                }
                other => Err(unsupported(other)),
            }
        }
        WriteOp::Keep {
            version: kept,
            keep,
            expect,
        } => {
            let meta = &kept.meta;
            let sealed = kept.sealed.to_bytes();
            let (version, written_at) =
                (u64_to_column(meta.version), u64_to_column(meta.written_at));
            let (by, reason) = (meta.written_by.as_str(), i16::from(meta.reason.code()));
            let restored_from = meta.restored_from.map(u64_to_column);
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![
                &workspace,
                &kind,
                &owner,
                &key,
                &version,
                &written_at,
                &by,
                &reason,
                &restored_from,
                &sealed,
            ];
            let (statement, revision) = match expect {
                Expect::Absent => (&sql.keep_absent, None),
                Expect::Any => (&sql.keep_any, None),
                Expect::Revision(n) => (&sql.keep_at, Some(u64_to_column(*n))),
                other => return Err(unsupported(other)),
            };
            if let Some(revision) = &revision {
                params.push(revision);
            }
            let statement = client.prepare_cached(statement).await.map_err(backend)?;
            if client.execute(&statement, &params).await.map_err(backend)? != 1 {
                return Ok(false);
            }
            let keep = i64::try_from(*keep).unwrap_or(i64::MAX);
            let prune = client
                .prepare_cached(&sql.prune_versions)
                .await
                .map_err(backend)?;
            client
                .execute(&prune, &[&workspace, &kind, &owner, &key, &keep])
                .await
                .map_err(backend)?;
            Ok(true)
        }
        other => Err(unsupported(other)),
    }
}

/// Whether a statement answering its operation's row count first wrote one row.
fn written(row: Result<Row, tokio_postgres::Error>) -> Result<bool, StoreError> {
    let count: i64 = row.map_err(backend)?.try_get(0).map_err(backend)?;
    Ok(count == 1)
}

/// The names (never values) a batch touches, as the four arrays `change_log`
/// keeps.
struct ChangedNames<'a> {
    workspaces: Vec<&'a str>,
    kinds: Vec<i16>,
    owners: Vec<&'a str>,
    keys: Vec<&'a str>,
}

impl<'a> ChangedNames<'a> {
    fn of(ops: &'a [WriteOp]) -> ChangedNames<'a> {
        let mut names = ChangedNames {
            workspaces: Vec::with_capacity(ops.len()),
            kinds: Vec::with_capacity(ops.len()),
            owners: Vec::with_capacity(ops.len()),
            keys: Vec::with_capacity(ops.len()),
        };
        for op in ops {
            let (scope, key) = op.target();
            let (kind, workspace, owner) = scope_columns(scope);
            names.workspaces.push(workspace);
            names.kinds.push(kind);
            names.owners.push(owner);
            names.keys.push(key.as_str());
        }
        names
    }
}

/// An operation or expectation added to the core after this store was written
/// (`WriteOp` and `Expect` are `#[non_exhaustive]`): refused, never guessed at.
fn unsupported(what: &impl fmt::Debug) -> StoreError {
    StoreError::InvalidBatch(format!("this store does not support {what:?}"))
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the pool itself: its manager holds the connection settings.
        let status = self.pool.status();
        f.debug_struct("PostgresStore")
            .field("schema", &&*self.schema)
            .field("pool_size", &status.size)
            .field("pool_max_size", &status.max_size)
            .field("wait_timeout", &self.wait)
            .finish_non_exhaustive()
    }
}

impl SecretStore for PostgresStore {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.get)
            .await
            .map_err(backend)?;
        let (kind, workspace, owner) = scope_columns(scope);
        let row = client
            .query_opt(&statement, &[&workspace, &kind, &owner, &key.as_str()])
            .await
            .map_err(backend)?;
        row.map(|row| record_from(&row, scope.clone(), key.clone()))
            .transpose()
    }

    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.list)
            .await
            .map_err(backend)?;
        let (kind, workspace, owner) = scope_columns(scope);
        let rows = client
            .query(&statement, &[&workspace, &kind, &owner])
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let name = row.try_get::<_, String>(META_COLUMNS).map_err(backend)?;
                meta_from(row, scope.clone(), key_from_column(name)?)
            })
            .collect()
    }

    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        batch.validate()?;
        let mut ops = batch.ops;
        // One lock order for every writer: no two batches deadlock on each other.
        // A record's `Keep`s run before its `Put` or `Delete`, so they check their
        // expectation against the record as it was before the batch.
        let rank = |op: &WriteOp| u8::from(!matches!(op, WriteOp::Keep { .. }));
        ops.sort_by(|a, b| {
            let (sa, ka) = a.target();
            let (sb, kb) = b.target();
            scope_columns(sa)
                .cmp(&scope_columns(sb))
                .then_with(|| ka.as_str().cmp(kb.as_str()))
                .then_with(|| rank(a).cmp(&rank(b)))
        });
        let mut client = self.client().await?;
        // A `Keep` is two statements (store, then drop the oldest): never alone.
        if let [op @ (WriteOp::Put { .. } | WriteOp::Delete { .. })] = ops.as_slice() {
            // One statement is its own transaction: one round trip. It records
            // the change (`changes`, `change_log`, `NOTIFY`) when it wrote.
            return match apply(&self.sql, &client, op, true).await? {
                true => {
                    self.forget(&ops);
                    Ok(())
                }
                false => Err(StoreError::Conflict),
            };
        }
        let tx = client.transaction().await.map_err(backend)?;
        // Every record of the batch is claimed first, in one order, so two batches
        // sharing a record run one after the other: a `Delete` expecting `Absent`
        // reads with a plain `SELECT`, which locks nothing (a missing row cannot be
        // locked), so without the claim two batches could each pass the other's
        // absence check and both commit (write skew).
        let mut claims: Vec<i64> = ops
            .iter()
            .map(|op| {
                let (scope, key) = op.target();
                claim_key(&self.schema, scope, key)
            })
            .collect();
        claims.sort_unstable();
        claims.dedup();
        let statement = tx.prepare_cached(&self.sql.claim).await.map_err(backend)?;
        tx.execute(&statement, &[&claims]).await.map_err(backend)?;
        for op in &ops {
            if !apply(&self.sql, &tx, op, false).await? {
                tx.rollback().await.map_err(backend)?;
                return Err(StoreError::Conflict);
            }
        }
        // The change, last: the one row of `changes` is locked from here to the
        // commit, so change numbers follow commit order, and a batch holds it for
        // one statement and its commit only (never while its records wait).
        let names = ChangedNames::of(&ops);
        let statement = tx
            .prepare_cached(&self.sql.log_change)
            .await
            .map_err(backend)?;
        tx.execute(
            &statement,
            &[&names.workspaces, &names.kinds, &names.owners, &names.keys],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.forget(&ops);
        Ok(())
    }

    async fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<KeptVersion>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.versions)
            .await
            .map_err(backend)?;
        let (kind, workspace, owner) = scope_columns(scope);
        let rows = client
            .query(&statement, &[&workspace, &kind, &owner, &key.as_str()])
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let int = |i: usize| row.try_get::<_, i64>(i).map_err(backend);
                let name = row.try_get::<_, String>(0).map_err(backend)?;
                let by = row.try_get::<_, String>(3).map_err(backend)?;
                let reason = row.try_get::<_, i16>(4).map_err(backend)?;
                let restored_from: Option<i64> = row.try_get(5).map_err(backend)?;
                let sealed: &[u8] = row.try_get(6).map_err(backend)?;
                let mut meta = VersionMeta::new(
                    scope.clone(),
                    key_from_column(name)?,
                    u64_from_column(int(1)?),
                    user_from_column(by)?,
                    u64_from_column(int(2)?),
                    reason_from_column(i64::from(reason))?,
                );
                meta.restored_from = restored_from.map(u64_from_column);
                Ok(KeptVersion {
                    meta,
                    sealed: sealed_from_column(sealed)?,
                })
            })
            .collect()
    }

    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.scopes)
            .await
            .map_err(backend)?;
        let rows = client
            .query(&statement, &[&workspace.as_str()])
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let kind: i16 = row.try_get(0).map_err(backend)?;
                let owner: String = row.try_get(1).map_err(backend)?;
                scope_from_columns(workspace, i64::from(kind), &owner)
            })
            .collect()
    }

    async fn get_first(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        if scopes.is_empty() {
            return Ok(None);
        }
        let look = |state: &mut State| cache::look_first(state, scopes, key);
        if let Some(found) = self.cached(look).await? {
            return Ok(found);
        }
        let (holders, seq) = self.get_first_rows(scopes, key).await?;
        if let (Some(cache), Some(seq)) = (&self.cache, seq) {
            cache.keep(seq, cache::first_cells(scopes, key, &holders));
        }
        Ok(holders
            .into_iter()
            .min_by_key(|(at, _)| *at)
            .map(|(_, r)| r))
    }

    async fn find_sealed(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<FoundSealed>, StoreError> {
        let Some(first) = scopes.first() else {
            return Ok(None);
        };
        let workspace = first.workspace_id();
        if scopes.iter().any(|s| s.workspace_id() != workspace) {
            // Not a run's request (a run reads one workspace): no one range holds
            // these scopes, so read them as `get_first` does and check the binding.
            return self
                .get_first(scopes, key)
                .await?
                .map(|record| FoundSealed::of(scopes, key, record))
                .transpose();
        }
        let look = |state: &mut State| cache::look_sealed(state, scopes, key);
        if let Some(found) = self.cached(look).await? {
            return Ok(found);
        }
        let (holders, seq) = self.find_sealed_rows(scopes, key).await?;
        if let (Some(cache), Some(seq)) = (&self.cache, seq) {
            cache.keep(seq, cache::sealed_cells(scopes, key, &holders));
        }
        Ok(holders.found)
    }

    async fn get_many(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> Result<Vec<Option<StoredSecret>>, StoreError> {
        if scopes.is_empty() || keys.is_empty() {
            return Ok(keys.iter().map(|_| None).collect());
        }
        // From the cache only when every key is there (one snapshot: the state at
        // the listener's `applied`); otherwise one statement for all of them.
        let look = |state: &mut State| cache::look_many(state, scopes, keys);
        if let Some(found) = self.cached(look).await? {
            return Ok(found);
        }
        let (firsts, seq) = self.get_many_rows(scopes, keys).await?;
        if let (Some(cache), Some(seq)) = (&self.cache, seq) {
            cache.keep(seq, cache::many_cells(scopes, keys, &firsts));
        }
        Ok(firsts.into_iter().map(|f| f.map(|(_, r)| r)).collect())
    }

    async fn list_many(&self, scopes: &[Scope]) -> Result<Vec<Vec<SecretMeta>>, StoreError> {
        if scopes.is_empty() {
            return Ok(Vec::new());
        }
        let look = |state: &mut State| cache::look_lists(state, scopes);
        if let Some(found) = self.cached(look).await? {
            return Ok(found);
        }
        let (lists, seq) = self.list_many_rows(scopes).await?;
        if let (Some(cache), Some(seq)) = (&self.cache, seq) {
            cache.keep(seq, cache::list_cells(scopes, &lists));
        }
        Ok(lists)
    }

    async fn record_usage(&self, marks: &[UsageMark]) -> Result<(), StoreError> {
        if marks.is_empty() {
            return Ok(());
        }
        let n = marks.len();
        let (mut workspaces, mut kinds, mut owners) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut keys, mut workflows, mut times) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for mark in marks {
            let (kind, workspace, owner) = scope_columns(&mark.scope);
            workspaces.push(workspace);
            kinds.push(kind);
            owners.push(owner);
            keys.push(mark.key.as_str());
            workflows.push(mark.workflow.as_str());
            times.push(time_to_column(mark.used_at));
        }
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.record_usage)
            .await
            .map_err(backend)?;
        // One statement: every mark or none.
        client
            .execute(
                &statement,
                &[&workspaces, &kinds, &owners, &keys, &workflows, &times],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn usage(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<Usage>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.usage)
            .await
            .map_err(backend)?;
        let (kind, workspace, owner) = scope_columns(scope);
        let rows = client
            .query(&statement, &[&workspace, &kind, &owner, &key.as_str()])
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let workflow: String = row.try_get(0).map_err(backend)?;
                let at: i64 = row.try_get(1).map_err(backend)?;
                let workflow = WorkflowId::new(workflow)
                    .map_err(|_| StoreError::corrupt("a usage row holds an invalid workflow id"))?;
                Ok(Usage::new(workflow, u64_from_column(at)))
            })
            .collect()
    }
}

/// `find_sealed`'s answer and what it learned of each requested scope.
pub(crate) struct SealedHolders {
    /// The answer.
    pub(crate) found: Option<FoundSealed>,
    /// Every holder the statement returned: (position, version, sealed).
    pub(crate) holders: Vec<(usize, u64, workflow_secrets::crypto::SealedSecret)>,
    /// Every holder in the request was returned (the request is not ascending in
    /// index order); otherwise only the first, and positions after it are unknown.
    pub(crate) complete: bool,
}

/// The change number in the last column of a cached read's first row (every
/// such read answers at least one row, `NULL`s when nothing matched).
fn seq_of(rows: &[Row]) -> Result<u64, StoreError> {
    let row = rows
        .first()
        .ok_or_else(|| StoreError::corrupt("the schema has no change counter (run migrate)"))?;
    let seq: i64 = row.try_get(row.len() - 1).map_err(backend)?;
    Ok(u64_from_column(seq))
}

/// Whether a cached read's row is the `NULL`s of "nothing matched" (`column`
/// is never `NULL` in a real row).
fn is_empty_row(row: &Row, column: usize) -> Result<bool, StoreError> {
    Ok(row
        .try_get::<_, Option<i64>>(column)
        .map_err(backend)?
        .is_none())
}

impl PostgresStore {
    /// A lookup from the cache, or `None` to read the database: the cache must
    /// hold every entry `look` needs, then the change number is read (one small
    /// round trip, after the lookup started) and the entries are served only if
    /// every change up to it has been applied.
    async fn cached<T>(
        &self,
        look: impl Fn(&mut State) -> Option<T>,
    ) -> Result<Option<T>, StoreError> {
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        if !cache.could_serve(&look) {
            return Ok(None);
        }
        let current = self.current_seq().await?;
        Ok(cache.serve(current, &look))
    }

    /// The change number now (schema version 6).
    async fn current_seq(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.sql.current_seq)
            .await
            .map_err(backend)?;
        let row = client.query_one(&statement, &[]).await.map_err(backend)?;
        Ok(u64_from_column(row.try_get(0).map_err(backend)?))
    }

    /// `get_first`'s holders (position, record), and the change number of the
    /// snapshot when cached.
    async fn get_first_rows(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<(Vec<(usize, StoredSecret)>, Option<u64>), StoreError> {
        let cached = self.cache.is_some();
        let client = self.client().await?;
        let sql = if cached {
            self.sql.get_first_seq(scopes.len())
        } else {
            self.sql.get_first(scopes.len())
        };
        let statement = client.prepare_cached(&sql).await.map_err(backend)?;
        let key_str = key.as_str();
        let columns: Vec<(i16, &str, &str)> = scopes.iter().map(scope_columns).collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(1 + 3 * scopes.len());
        params.push(&key_str);
        for (kind, workspace, owner) in &columns {
            params.push(workspace);
            params.push(kind);
            params.push(owner);
        }
        let rows = client.query(&statement, &params).await.map_err(backend)?;
        let seq = if cached { Some(seq_of(&rows)?) } else { None };
        // At most one row per scope; `ord` is its 0-based place in `scopes`.
        let mut holders = Vec::with_capacity(rows.len());
        for row in &rows {
            if cached && is_empty_row(row, META_COLUMNS + 1)? {
                continue;
            }
            let ord: i64 = row.try_get(META_COLUMNS + 1).map_err(backend)?;
            let ord = usize::try_from(ord)
                .ok()
                .filter(|i| *i < scopes.len())
                .ok_or_else(|| {
                    StoreError::corrupt("the database answered an ordinal out of range")
                })?;
            if holders.iter().any(|(at, _)| *at == ord) {
                continue;
            }
            holders.push((ord, record_from(row, scopes[ord].clone(), key.clone())?));
        }
        Ok((holders, seq))
    }

    /// `find_sealed` over scopes of one workspace.
    async fn find_sealed_rows(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<(SealedHolders, Option<u64>), StoreError> {
        let cached = self.cache.is_some();
        // (kind, owner) of each scope in the request's order, compared as the index
        // orders them (number, then bytes: `COLLATE "C"`), so `lo..=hi` spans them.
        let places: Vec<(i16, &str)> = scopes
            .iter()
            .map(|s| {
                let (kind, _, owner) = scope_columns(s);
                (kind, owner)
            })
            .collect();
        let (Some(lo), Some(hi)) = (places.iter().min(), places.iter().max()) else {
            let none = SealedHolders {
                found: None,
                holders: Vec::new(),
                complete: true,
            };
            return Ok((none, None));
        };
        let workspace = scopes[0].workspace_id();
        // Ascending: the index's first holder is the request's first. Otherwise every
        // holder (at most one per scope) comes back and the lowest position wins.
        let ascending = places.windows(2).all(|w| w[0] < w[1]);
        let limit = if ascending { 1 } else { places.len() };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let tags: Vec<String> = places
            .iter()
            .map(|(kind, owner)| format!("{kind}:{owner}"))
            .collect();
        let client = self.client().await?;
        let sql = if cached {
            &self.sql.find_sealed_seq
        } else {
            &self.sql.find_sealed
        };
        let statement = client.prepare_cached(sql).await.map_err(backend)?;
        let (workspace, key_str) = (workspace.as_str(), key.as_str());
        let rows = client
            .query(
                &statement,
                &[
                    &workspace, &key_str, &lo.0, &lo.1, &hi.0, &hi.1, &tags, &limit,
                ],
            )
            .await
            .map_err(backend)?;
        let seq = if cached { Some(seq_of(&rows)?) } else { None };
        let mut found: Option<FoundSealed> = None;
        let mut holders = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(kind) = row.try_get::<_, Option<i16>>(0).map_err(backend)? else {
                // The `NULL`s of a cached read that matched nothing.
                continue;
            };
            let owner: &str = row.try_get(1).map_err(backend)?;
            // The binding check: the row's own scope, by position in the request.
            // The filter makes this always succeed; a row it let through is refused.
            let at = places
                .iter()
                .position(|p| *p == (kind, owner))
                .ok_or_else(|| {
                    StoreError::corrupt("the database answered a scope it was not asked for")
                })?;
            let version: i64 = row.try_get(2).map_err(backend)?;
            let sealed: &[u8] = row.try_get(3).map_err(backend)?;
            let sealed = sealed_from_column(sealed)?;
            let version = u64_from_column(version);
            if found.as_ref().is_none_or(|best| at < best.at) {
                found = Some(FoundSealed::new(at, version, sealed.clone()));
            }
            if cached {
                holders.push((at, version, sealed));
            }
        }
        let holders = SealedHolders {
            found,
            holders,
            complete: !ascending,
        };
        Ok((holders, seq))
    }

    /// `get_many`: for each key, its first holder (position, record).
    #[allow(clippy::type_complexity)] // a private pair, named by its use
    async fn get_many_rows(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> Result<(Vec<Option<(usize, StoredSecret)>>, Option<u64>), StoreError> {
        let cached = self.cache.is_some();
        let mut found: Vec<Option<(usize, StoredSecret)>> = keys.iter().map(|_| None).collect();
        let client = self.client().await?;
        let sql = if cached {
            &self.sql.get_many_seq
        } else {
            &self.sql.get_many
        };
        let statement = client.prepare_cached(sql).await.map_err(backend)?;
        let (workspaces, kinds, owners) = scope_arrays(scopes);
        let names: Vec<&str> = keys.iter().map(SecretKey::as_str).collect();
        // One statement: one snapshot, so a pair written by one batch comes back whole.
        let rows = client
            .query(&statement, &[&workspaces, &kinds, &owners, &names])
            .await
            .map_err(backend)?;
        let seq = if cached { Some(seq_of(&rows)?) } else { None };
        for row in &rows {
            if cached && is_empty_row(row, META_COLUMNS + 2)? {
                continue;
            }
            let at = nth_at(scopes.len(), row, META_COLUMNS + 1)?;
            let scope = &scopes[at];
            let key = nth(keys, row, META_COLUMNS + 2)?;
            let ord: i64 = row.try_get(META_COLUMNS + 2).map_err(backend)?;
            let slot = usize::try_from(ord - 1)
                .ok()
                .and_then(|i| found.get_mut(i))
                .ok_or_else(|| {
                    StoreError::corrupt("the database answered an ordinal out of range")
                })?;
            *slot = Some((at, record_from(row, scope.clone(), key.clone())?));
        }
        Ok((found, seq))
    }

    /// `list_many`: each scope's listing.
    async fn list_many_rows(
        &self,
        scopes: &[Scope],
    ) -> Result<(Vec<Vec<SecretMeta>>, Option<u64>), StoreError> {
        let cached = self.cache.is_some();
        let mut lists: Vec<Vec<SecretMeta>> = scopes.iter().map(|_| Vec::new()).collect();
        let client = self.client().await?;
        let sql = if cached {
            &self.sql.list_many_seq
        } else {
            &self.sql.list_many
        };
        let statement = client.prepare_cached(sql).await.map_err(backend)?;
        let (workspaces, kinds, owners) = scope_arrays(scopes);
        let rows = client
            .query(&statement, &[&workspaces, &kinds, &owners])
            .await
            .map_err(backend)?;
        let seq = if cached { Some(seq_of(&rows)?) } else { None };
        for row in &rows {
            if cached && is_empty_row(row, META_COLUMNS + 1)? {
                continue;
            }
            let scope = nth(scopes, row, META_COLUMNS + 1)?;
            let ord: i64 = row.try_get(META_COLUMNS + 1).map_err(backend)?;
            let name = row.try_get::<_, String>(META_COLUMNS).map_err(backend)?;
            let meta = meta_from(row, scope.clone(), key_from_column(name)?)?;
            if let Some(list) = usize::try_from(ord - 1).ok().and_then(|i| lists.get_mut(i)) {
                list.push(meta);
            }
        }
        Ok((lists, seq))
    }
}
