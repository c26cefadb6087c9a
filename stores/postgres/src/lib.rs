//! A PostgreSQL store for [`workflow-secrets`](workflow_secrets): one database
//! shared by many service instances.
//!
//! [`PostgresStore`] implements [`SecretStore`](workflow_secrets::store::SecretStore) over
//! `tokio-postgres` with the host's `deadpool-postgres` pool. It passes the same
//! conformance suite as `MemoryStore` (`workflow_secrets::testing`), including the
//! snapshot check of `get_many`, against a real server.
//!
//! | | |
//! |---|---|
//! | batches | one transaction each (a one-operation batch: one statement), recording its change number and names |
//! | compare-and-swap | revision-checked `UPDATE`/`DELETE`, `INSERT ... ON CONFLICT DO NOTHING`, row counts |
//! | concurrent batches | an advisory lock per record of a batch: batches sharing a record serialize, so every expectation holds against the state before the batch |
//! | round trips | one per call: `get_first` over three scopes is one statement |
//! | resolution | `find_sealed`: one descent of a key-first index, four columns |
//! | snapshots | `get_many` is one statement, so one snapshot |
//! | ids and keys | `COLLATE "C"`: compared and sorted byte for byte |
//! | SQL | parameters only; the schema name is checked and quoted |
//! | migrations | [`PostgresStore::migrate`]: idempotent, advisory-locked; on a current schema one `SELECT`, no lock, no DDL; refuses a database not in `UTF8` |
//! | privileges | the service's role needs `CONNECT`, `USAGE` on the schema and `SELECT, INSERT, UPDATE, DELETE` on its record tables (fewer on `changes`, `change_log` and `schema_version`): see [`PostgresStore`]'s "Privileges" |
//! | errors | the SQLSTATE and the server's message, never a row; a client-side failure (refused connection, TLS, timeout) keeps the driver's error as its `source()` |
//! | pool | a call waits for a connection at most 30 s ([`PostgresStore::with_wait_timeout`]), then fails with a store error |
//! | cache | opt-in ([`PostgresStore::with_cache`]): sealed records per process, kept fresh by `LISTEN`/`NOTIFY`, the rotation rule exact on every instance: see "Cache" |
//! | capacity | ~42,000 resolutions per server core-second uncached, ~66,000 cached; writes serialize at one per commit flush: see "Capacity" |
//!
//! For one node with nothing to run, use `workflow-secrets-sqlite`.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use deadpool_postgres::{Manager, Pool, Runtime};
//! use tokio_postgres::NoTls;
//! use workflow_secrets::{store::SecretStore, Scope, SecretKey, WorkspaceId};
//! use workflow_secrets_postgres::PostgresStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // The host's pool: its URL, TLS and limits.
//! let config: tokio_postgres::Config = "host=/run/postgresql dbname=app user=app".parse()?;
//! // A bounded wait for a free connection: without one, a call waits forever once
//! // every connection is taken (the store bounds it too, at 30 s by default).
//! let pool = Pool::builder(Manager::new(config, NoTls))
//!     .max_size(16)
//!     .runtime(Runtime::Tokio1)
//!     .wait_timeout(Some(Duration::from_secs(5)))
//!     .build()?;
//! let store = PostgresStore::new(pool);
//! store.migrate().await?;
//!
//! let scope = Scope::workspace(WorkspaceId::new("acme")?);
//! let found = store.get(&scope, &SecretKey::new("API_KEY")?).await?;
//! assert!(found.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! # Cache
//!
//! [`PostgresStore::with_cache`] keeps sealed records (what the store holds,
//! never plaintext) in the process, bounded by [`CacheConfig`], for
//! `get_first`, `find_sealed`, `get_many` and `list_many`. The guarantee: **a
//! lookup that starts after a write has committed, on any instance, never
//! answers what that write replaced**, so a step started after a rotation
//! committed sees the new value, and a `get_many` from the cache is one snapshot.
//!
//! - **What a write records.** Every write batch, on every instance (cached or
//!   not), bumps the one-row counter `changes.seq` as its last statement before
//!   `COMMIT` (the row stays locked until the commit, so numbers follow commit
//!   order), appends the names it touched, (workspace, kind, owner, key), never a
//!   value, to `change_log` under that number (deleting the change that
//!   leaves its 10,000-change window: one index descent), and sends `NOTIFY`
//!   on the schema's channel with the number. PostgreSQL delivers it only if and after
//!   the batch commits.
//! - **What the listener does.** [`CacheListener`] (run by the host) holds one
//!   connection outside the pool, `LISTEN`s, and on each notification reads
//!   `change_log` past the last number it applied, drops the entries of every
//!   name logged, and raises `applied` to the number. The notification's
//!   payload is only a wake-up: any role that can connect may `NOTIFY`, so what
//!   is applied comes from the table, which only the service's role writes; a
//!   forged notification costs one read of the log.
//! - **How a lookup is served.** The cache must hold every entry the lookup
//!   needs (else it reads the database: one round trip, as without a cache). It
//!   then reads the current `changes.seq` (one small round trip, on a pooled
//!   connection, after the lookup started, so it counts every write committed
//!   before) and serves only if `applied` is at least that number; otherwise it
//!   reads the database. Entries are filled by reads that return the change
//!   number of their own snapshot (one statement), and a fill is refused if the
//!   listener has already applied a later change (the fill could predate it).
//!   So every entry served reflects the database at `applied`, not older than
//!   the lookup's start.
//! - **Between a commit and its delivery** the counter is ahead of `applied`:
//!   every lookup that starts in that window reads the database (counted as
//!   [`CacheStats::behind`]), and sees the commit.
//! - **A lost listener.** When its connection fails, the cache serves nothing
//!   (every lookup reads the database) until the listener has subscribed again
//!   and applied the log up to the current number; a listener further behind
//!   than the log keeps (10,000 changes) clears the cache instead. It retries
//!   after 100 ms, doubling to 5 s. A listener that is dropped turns the cache
//!   off for good.
//! - **Cost.** A hit is the counter's round trip plus a lock and a clone of the
//!   sealed record (an `Arc`); a miss is one statement, the uncached read joined
//!   to the one-row counter. Writes pay the counter, the log row and the
//!   notification in their transaction, and serialize on the counter's row from
//!   their last statement to their commit.
//!
//! # Capacity
//!
//! Measured by `benches/postgres.rs` (its `capacity` lines) on a shared 2-core
//! machine, client and server on it, over a unix socket: `Resolver::resolve`
//! of a worst-case key (only in the third, personal scope) among 10,000
//! records, 16 callers over 8 connections, 32,000 resolutions per sample.
//! **Per server core** is not throughput divided by cores (the client shared
//! them, as did other work): it is the resolutions divided by the CPU time,
//! user plus system, that `/proc/<pid>/stat` reports for the server processes
//! serving the pool (and the cache's listener), found by `application_name`,
//! read before and after. The host's side is the bench process's own CPU
//! time. Eight samples, five with everything pinned to one core:
//!
//! | per core-second | uncached | cached (every lookup a hit) |
//! |---|---|---|
//! | server, median (range) | ~42,000 resolutions (30,000-55,000) | ~66,000 (38,000-78,000) |
//! | host (resolve, unseal), median | ~80,000 | ~86,000 |
//! | wall throughput, this whole box | 20,000-33,000/s | 25,000-39,000/s |
//!
//! - **Why the cache saves only about a third of the server's CPU.** A hit
//!   still makes one round trip, the change-number read (the rotation rule
//!   needs it: see "Cache"); most of a resolution's server cost is the round
//!   trip (a backend woken, a message parsed and answered), not the index
//!   descent it replaces. The cache's gain is the database's work per
//!   resolution and the bytes moved, not the round trip.
//! - **Optimistic in four ways:** one hot row (production reads 10^6 rows,
//!   whose pages must stay in `shared_buffers` to match), no TLS, no network
//!   (add the round trip's latency to every resolution, hit or miss), and no
//!   other traffic on the server.
//! - **Writes serialize** on the counter's row from their last statement to
//!   their commit, so a commit's WAL flush is inside the hold: the platform's
//!   writes (every instance's, cached or not) run one after another at about
//!   one per flush. Measured with `pgbench`, `fsync` and `synchronous_commit`
//!   on, this machine's disk (~1 ms flush), 8 writers on 8 records: 660 logged
//!   writes/s against 4,300/s for the same updates unlogged (which share
//!   flushes). `record_usage` is not a logged write.
//!
//! **For a platform** of 10^4 workspaces × 10^2 secrets (10^6 records) and
//! 10^3 runs/s × 10 steps × 3 credentials = 3 × 10^4 resolutions/s:
//!
//! - **Primary.** Uncached, 3 × 10^4 / 42,000 ≈ 0.7 server cores at 100%;
//!   with the optimism above taken as a factor of 2 and the server kept at 50%,
//!   about 3 cores for resolutions; cached, about 2. One primary with 4 to 8
//!   cores carries the resolutions with room for the rest; no replica is needed
//!   for them, and none may serve them (below).
//! - **Hosts.** About 0.4 of a core for resolving and unsealing, spread over
//!   the instances, before their own work.
//! - **Pools.** A connection is busy for a round trip per resolution: at
//!   3 × 10^4/s and 0.3 ms per round trip across a network, about 9
//!   connections are busy on average; 8 connections kept this machine's two
//!   cores busy. Size the pools so the whole fleet's sum is a few times the
//!   primary's cores (e.g. 10 instances × 4 to 8), more only queues at the
//!   server; `max_connections` must cover every pool plus one listener per
//!   cached instance.
//! - **Writes.** Rotations of 10^6 secrets every 90 days are 0.13/s; edits from
//!   settings pages, tens per second: far below one write per flush. An import
//!   of many secrets should be one batch (one change), not one write each.
//!
//! **Read replicas.** A replica replays the primary's WAL some time after the
//! commit, so a read there, cached or not, may return a value older than a
//! rotation that has committed (and acknowledged) on the primary.
//!
//! - **May go to a replica:** what a person reads and no step uses: listings
//!   for a settings page (`list`, `list_many`, `scopes`), a record's details
//!   and kept versions for display (`get`, `versions`), usage and
//!   rotation-age reports. An edit form's revision read there and written back
//!   with `Expect::Revision` at worst fails with a conflict (the check runs on
//!   the primary), never loses an update.
//! - **May not:** a step's resolution (`find_sealed`, `get_first`, `get_many`
//!   for a run, anything behind `Resolver::resolve`), a check that a secret was
//!   deleted or revoked, and every write (`write`, `record_usage`, `migrate`:
//!   a replica refuses them). Nor a cache: `LISTEN` is refused during recovery,
//!   so a cached store on a replica never serves.
//! - **Unless the host waits:** a resolution may use a replica only after
//!   reading the primary's `changes.seq` (or `pg_current_wal_lsn()`) when the
//!   step starts, and reading the replica only once its own `changes.seq` (or
//!   `pg_last_wal_replay_lsn()`) has reached it. That is the round trip a
//!   cache hit already pays on the primary, so it saves little; this crate
//!   does not route reads to replicas.
//!
//! # Schema
//!
//! In the store's schema (`workflow_secrets` unless [`PostgresStore::with_schema`]
//! names another): `secrets`, keyed by (workspace, kind, owner, key), where a scope is
//! three columns (kind 1 workflow, 2 workspace, 3 personal; owner the workflow or user
//! id, empty for the workspace scope), never one concatenated string, with a second
//! unique index `secrets_by_key` on (workspace, key, kind, owner) for resolutions;
//! `secret_usage`, usage rows (which workflows resolved a secret, and when last)
//! keyed by (workspace, kind, owner, key, workflow), apart from `secrets`: deleting
//! a record leaves its rows, and `record_usage` (one statement, an upsert keeping
//! the latest time) never locks a record;
//! `changes` and `change_log` (see "Cache"); and `schema_version` (6), which [`PostgresStore::migrate`] creates, checks,
//! upgrades in place from an older version, one version at a time in the
//! migration's transaction, and refuses when a newer release wrote it:
//!
//! - 1 to 2 builds the index (writes to `secrets` wait for it, reads do not).
//! - 2 to 3 adds `value_changed_at`, when the value last changed, filled from each
//!   row: a record still at version 1 gets its `created_at` (its value never
//!   changed: exact); a rotated one its `updated_at`, an upper bound (later than
//!   the last rotation when its details were edited or it was re-wrapped since), so
//!   a rotation-age report may show such a record due later than it should, never
//!   earlier. Adding a column locks the table exclusively until the migration
//!   commits: reads and writes wait for its one pass over the table.
//! - 3 to 4 adds `versions` (kept versions), empty.
//! - 4 to 5 creates `secret_usage` (empty: nothing to fill, no lock on `secrets`).
//! - 5 to 6 adds `changes` (one row, 0) and `change_log`, empty.

mod cache;
mod error;
mod sql;
mod store;

pub use cache::{CacheConfig, CacheListener, CacheStats};
pub use store::PostgresStore;

/// The driver and pool this crate builds on, re-exported so a host uses the same
/// versions.
pub use deadpool_postgres;
/// The PostgreSQL driver.
pub use tokio_postgres;
