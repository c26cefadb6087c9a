//! Runs and steps: the rotation rule, the prefetch snapshot, and usage records.
//!
//! # The rotation rule
//!
//! - A [`Step`](crate::Step) resolves each key at its **first use**
//!   ([`credential`](crate::Step::credential), [`render`](crate::Step::render),
//!   [`render_with`](crate::Step::render_with), [`prefetch`](crate::Step::prefetch),
//!   [`all_available`](crate::Step::all_available)) and **keeps that value until the
//!   step is dropped**: a rotation, an edit or a delete during the step is invisible to
//!   it. Two first uses of one key racing inside a step settle on one value.
//! - A **new step** ([`Run::step`](crate::Run::step),
//!   [`Resolver::step`](crate::Resolver::step)) resolves afresh, so the step after a
//!   rotation ([`Secrets::rotate`](crate::Secrets::rotate)) sees the new value.
//!   A [`Run`](crate::Run) holds no values of its own: steps of one run that start at
//!   different times may see different versions.
//! - [`Resolver::resolve`](crate::Resolver::resolve) holds nothing: every call reads
//!   the store.
//!
//! A rotation raises the value's `version` by one; the version is bound into the
//! sealed record (see [`sealing`](super::sealing)), and
//! [`Source`](crate::resolve::Source) reports which version a step holds.
//!
//! # The prefetch snapshot
//!
//! Two keys used together (a client id and its secret) must not straddle a rotation
//! that writes both. [`Step::prefetch`](crate::Step::prefetch) resolves several keys
//! with one [`get_many`](crate::store::SecretStore::get_many). The built-in stores
//! ([`MemoryStore`](crate::MemoryStore), and the SQLite and PostgreSQL stores) read
//! it from one snapshot, so the keys of one write batch come back together or not at
//! all; the trait's default `get_many` is **not** a snapshot, and a store of your own
//! keeps this rule only if it overrides `get_many` (prove it with the `testing`
//! module's `get_many_is_a_snapshot`). Keys the step already holds are kept as held.
//! `prefetch` is all or nothing: when any key is missing nothing is held, and the
//! error lists every missing key.
//!
//! # Masking follows the step
//!
//! A value is registered with the step's redactor and the run's redactor **before**
//! the call that resolved it returns. Both redactors are live (see
//! [`masking`](super::masking)): a writer made at the start of the step masks what the
//! step resolves later, and the run's redactor masks every value any of its steps
//! resolved, old versions included.
//!
//! # Usage records
//!
//! A resolver built with
//! [`with_usage_recording`](crate::Resolver::with_usage_recording) remembers which
//! workflows resolve which secrets: each value a resolution opens from the store
//! marks (the scope it came from, its key, the run's workflow) in memory, without
//! I/O. At most one mark per (scope, key, workflow) waits at a time, and once it is
//! written, the next opens only after the recording's interval, so the store sees
//! at most one write per interval for each. A runner's provided value, a missing
//! key and a record that fails to open mark nothing.
//!
//! The crate starts no thread or task: the host writes the marks with
//! [`Resolver::flush_usage`](crate::Resolver::flush_usage) from its own timer and on
//! shutdown. **Marks not yet flushed are lost if the process stops or crashes**:
//! the store then keeps an older time, or none, for those workflows. A flush that
//! fails keeps its marks for the next; the recorder holds a bounded number of
//! entries and counts the resolutions it had no room for
//! ([`UsageFlush::dropped`](crate::resolve::UsageFlush::dropped)).
//!
//! [`Secrets::usage`](crate::Secrets::usage) lists a secret's workflows with the
//! latest time kept; [`Secrets::delete_checked`](crate::Secrets::delete_checked)
//! refuses (`secret_in_use`, naming them) to delete a secret used within a window
//! or declared by workflows the host names. Because a stored time may be up to one
//! interval older than the last resolution and unflushed marks are not seen, use a
//! window longer than the interval plus the flush period. Usage describes the name
//! workflows reference, so a delete leaves its rows.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use workflow_secrets::{
//!     Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey,
//!     SecretValue, Secrets, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
//! };
//!
//! # fn main() -> Result<(), Error> { pollster::block_on(async {
//! let vault = Vault::new(LocalKeyring::generate());
//! let store = Arc::new(MemoryStore::new());
//! let secrets = Secrets::new(vault.clone(), store.clone());
//! let acme = WorkspaceId::new("acme")?;
//! let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
//! let scope = Scope::workspace(acme.clone());
//! let key = SecretKey::new("API_KEY")?;
//! secrets.create(&ada, &scope, &key, SecretValue::new("sk-old-0001")?).await?;
//!
//! let resolver = Resolver::new(vault, store);
//! let ctx = RunContext::manual(acme, WorkflowId::new("wf")?, ada.user.clone(), ada.user.clone());
//! let run = resolver.run(&ctx);
//! let first = run.step();
//! assert_eq!(first.credential("API_KEY").await?.expose_secret(), "sk-old-0001");
//!
//! secrets.rotate(&ada, &scope, &key, SecretValue::new("sk-new-0002")?).await?;
//!
//! // The running step keeps its value; the next step sees the new one.
//! assert_eq!(first.credential("API_KEY").await?.expose_secret(), "sk-old-0001");
//! let second = run.step();
//! assert_eq!(second.credential("API_KEY").await?.expose_secret(), "sk-new-0002");
//! // The run's redactor masks both.
//! assert_eq!(run.redactor().redact("sk-old-0001 sk-new-0002"), "[REDACTED:API_KEY] [REDACTED:API_KEY]");
//! # Ok(()) }) }
//! ```
