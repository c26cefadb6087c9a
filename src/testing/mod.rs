//! The conformance suite for [`SecretStore`](crate::store::SecretStore) implementations (feature `testing`).
//!
//! One `pub async fn` per behaviour, each taking a fresh, empty store, plus
//! [`store_conformance`], which runs them all, each on a store from your factory.
//! A failed check panics with a message naming the behaviour, as a test should.
//!
//! The suite drives concurrency as concurrent futures on one task (no threads, no
//! runtime of its own), so it runs under whatever executor your store needs.
//!
//! # Example
//!
//! ```
//! use workflow_secrets::{MemoryStore, testing::store_conformance};
//!
//! pollster::block_on(store_conformance(|| async { MemoryStore::new() }));
//! ```
//!
//! A PostgreSQL store would make a fresh schema per case in its async factory.
//!
//! [`fixtures`] builds the ids, scopes and sealed records the suite writes, for a
//! store's own tests (durability, crashes, races) to write the same way.
//!
//! # Stability
//!
//! This module follows the crate's semver like any public module: a behaviour's
//! function and a fixture's signature change only in a breaking release. Within a
//! release line the suite may check more (a store that passed may then fail, where
//! it breaks the [`SecretStore`](crate::store::SecretStore) contract) and
//! [`fixtures`] may gain functions. The exception is [`searchers`], the crate's own
//! hook for forcing the redactor's internal searchers in its tests, and [`platform`],
//! a seam in the platform redactor's rebuild: they change with the engine and are
//! not a stable API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test suite: a panic is the failure report

mod conformance;
pub mod fixtures;
mod lifecycle;
pub mod platform;
pub mod searchers;
mod versions;

pub use conformance::{
    batch_atomicity, cas_create, cas_delete, cas_update, concurrent_increments,
    details_text_is_checked_before_any_write, find_sealed_in_every_order, get_many_is_a_snapshot,
    invalid_batch, list_contents_and_order, provided_methods, records_stay_where_written,
    round_trip, scope_isolation, scopes_of_a_workspace, store_conformance, tenant_isolation,
    usage_keeps_the_latest, usage_outlives_the_record, usage_round_trip,
    usage_stays_where_recorded, value_changed_at_round_trips,
};
pub use lifecycle::a_credential_lives_through_secrets;
pub use versions::{
    keep_checks_the_record_before_the_batch, keep_invalid_batches, versions_go_with_delete,
    versions_keep_only_the_newest, versions_round_trip, versions_stay_where_written,
};
