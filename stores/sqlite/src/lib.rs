//! An embedded SQLite store for [`workflow-secrets`](workflow_secrets): durable
//! sealed records for one node, with nothing to install or run.
//!
//! [`SqliteStore`] implements [`SecretStore`](workflow_secrets::store::SecretStore) over one
//! SQLite file (bundled SQLite, WAL journal). It passes the same conformance suite
//! as `MemoryStore` (`workflow_secrets::testing`), including the snapshot check of
//! `get_many`, and keeps every record across restarts and crashes.
//!
//! | | |
//! |---|---|
//! | durability | WAL, `synchronous = FULL`: an acknowledged write survives a crash |
//! | batches | one `BEGIN IMMEDIATE` transaction each, all-or-nothing |
//! | compare-and-swap | each record's `revision`, checked inside the write transaction |
//! | snapshots | `get_first`, `get_many`, `list_many`: one read transaction each |
//! | resolution | `find_sealed`: one search of a key-first index, four columns |
//! | several processes | safe on one file (SQLite's locks); writes serialize; opening one new file at once is retried, not refused |
//! | reads | never blocked by another store's write (WAL); a store's reads wait behind its own write in progress, including its wait (up to 30 s) for another process's lock |
//! | paths | always a file name, never a URI; a file from a newer release is refused unchanged |
//! | order | `list` sorts keys bytewise, ids and keys are compared byte for byte |
//! | usage | `record_usage`: one transaction, an upsert keeping the latest time per (scope, key, workflow); `usage`: one primary-key range |
//!
//! For many service instances sharing one database, use
//! `workflow-secrets-postgres`.
//!
//! # Example
//!
//! ```
//! use workflow_secrets::{store::SecretStore, Scope, SecretKey, WorkspaceId};
//! use workflow_secrets_sqlite::SqliteStore;
//!
//! let dir = std::env::temp_dir().join(format!("wfs-crate-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let store = SqliteStore::open(dir.join("secrets.db"))?; // creates the schema
//!
//! let scope = Scope::workspace(WorkspaceId::new("acme")?);
//! let found = pollster::block_on(store.get(&scope, &SecretKey::new("API_KEY")?))?;
//! assert!(found.is_none());
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The calls run synchronously inside the async methods; [`SqliteStore`] says when
//! to move the store onto a blocking thread instead.
//!
//! # Schema
//!
//! One table, `workflow_secrets`, keyed by (workspace, kind, owner, key): a scope is
//! three columns (kind 1 workflow, 2 workspace, 3 personal; owner the workflow or
//! user id, empty for the workspace scope), never one concatenated string, with a
//! second unique index `workflow_secrets_by_key` on (workspace, key, kind, owner)
//! for resolutions. `workflow_secrets_versions` keeps the last versions of each
//! record, one row per (workspace, kind, owner, key, version), sealed for the
//! history slot; a record's delete drops them in the same transaction.
//! `workflow_secrets_usage` keeps usage rows (which workflows resolved a secret,
//! and when last), one per (workspace, kind, owner, key, workflow), apart from the
//! records: deleting a record leaves its rows. A last table,
//! `workflow_secrets_schema`, records the schema
//! version (5); [`SqliteStore::open`] creates it, upgrades a file of an older version
//! in place, one version at a time in the open's write transaction, and refuses a
//! file written by a newer release:
//!
//! - 1 to 2 builds the index (one pass over the table).
//! - 2 to 3 adds `value_changed_at`, when the value last changed (one pass over
//!   the table), filled from each row: a record still at version 1 gets its
//!   `created_at` (its value never changed: exact); a rotated one its `updated_at`,
//!   an upper bound (later than the last rotation when its details were edited or
//!   it was re-wrapped since), so a rotation-age report may show such a record
//!   due later than it should, never earlier.
//! - 3 to 4 creates `workflow_secrets_versions`, empty: a record written before
//!   keeps its value as its only version until its first rotation, which keeps
//!   that value too (as an `Earlier` version).
//! - 4 to 5 creates the usage table (empty: nothing to fill).

mod schema;
mod store;
mod versions;

pub use store::SqliteStore;
