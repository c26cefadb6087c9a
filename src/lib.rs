//! Encrypted, scoped, write-only secrets for workflow-automation services.
//!
//! `workflow-secrets` is the part of a workflow product that keeps its users' API
//! keys and tokens: it stores them sealed with envelope encryption, hands them to a
//! running workflow through scope and policy rules, and masks them out of everything
//! a client can see. It does no I/O of its own: the host brings the storage (the
//! async [`SecretStore`](store::SecretStore) trait), the actor's identity and role,
//! and the output sinks. It depends on no async runtime; everything CPU-only
//! (sealing, parsing, templates, redaction) is sync.
//!
//! # Which type for which job
//!
//! The crate root holds what an application calls. What only a store or key-backend
//! implementer needs, and the diagnostic types, live in public modules.
//!
//! | job | type |
//! |---|---|
//! | create, rotate, edit, delete (checked against usage, or not), list, import, re-wrap, purge, verify, the rotation report, which workflows use a secret (checked and audited) | [`Secrets`] |
//! | hand credentials to runs: precedence, allowlists, share links, `explain`; record which workflows use which secrets | [`Resolver`] |
//! | one run and its steps: `credential`, `prefetch`, `render`, `all_available` | [`Run`], [`Step`], [`Template`], [`RunContext`] |
//! | mask values out of logs, streams and JSON output | [`Redactor`] (and the [`redact`] module) |
//! | mask every value the process resolved or stored out of the host's own logs | [`redact::PlatformRedactor`], installed with `with_platform_redactor` on [`Resolver`] and [`Secrets`]; feature `tracing`: `redact::MaskingMakeWriter` |
//! | seal and open values (AES-256-GCM envelope, bound to scope, key and version) | [`Vault`] over [`LocalKeyring`] or your own [`crypto::KeyWrapper`] |
//! | keep sealed records | [`MemoryStore`], or a [`store::SecretStore`] of your own or from the store crates |
//!
//! | module | for |
//! |---|---|
//! | [`guide`] | the rules the crate keeps: precedence, share links, agents, rotation, the sealed bytes, masking, the threat boundary |
//! | [`store`] | store implementers: the `SecretStore` trait and its contract, records, write batches, `DynStore` |
//! | [`crypto`] | key-backend implementers: `KeyWrapper`, `KeyId`, the sealed format |
//! | [`resolve`] | results and diagnostics of resolution: `Resolved`, `Source`, `Explanation` |
//! | [`redact`] | the redactor's builder, encodings, streaming writer and serde adapter; the process-wide `PlatformRedactor` and (feature `tracing`) its `tracing` writer |
//! | [`audit`] | audit events and sinks |
//! | [`admin`] | reports of the management calls |
//! | [`import`] | the `.env` parser behind bulk import |
//! | [`clock`], [`error`] | time, and the one error type with its stable codes |
//! | `testing` | (feature `testing`) the store conformance suite and its fixtures; the redactor's searcher hook |
//!
//! # The happy path
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
//! let acme = WorkspaceId::new("acme")?;
//! let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
//! Secrets::new(vault.clone(), store.clone())
//!     .create(&ada, &Scope::workspace(acme.clone()), &SecretKey::new("API_KEY")?, SecretValue::new("sk-live-1")?)
//!     .await?;
//! let ctx = RunContext::manual(acme, WorkflowId::new("wf")?, ada.user.clone(), ada.user);
//! let resolver = Resolver::new(vault, store);
//! let step = resolver.step(&ctx);
//! let token = step.credential("API_KEY").await?;            // a code step's credential("API_KEY")
//! assert_eq!(step.redactor().redact(token.expose_secret()), "[REDACTED:API_KEY]");
//! # Ok(()) }) }
//! ```
//!
//! # Security notes
//!
//! Plaintext lives in few, named places: a [`SecretValue`] (zeroized on drop) between
//! [`Vault::unseal`] and the end of its [`Step`]; a [`Redactor`]'s pattern tables;
//! a [`RedactingWriter`](redact::RedactingWriter)'s hold-back buffer; and the caller's
//! hands after [`SecretValue::expose_secret`]. `Debug`, `Display`, errors, audit
//! events, metadata listings and serde output never carry a value. What the crate
//! trusts the host for (identity, the database against whole-row rollback, what a
//! step's own code prints) is in [`guide::threats`] and SECURITY.md.
//!
//! # Feature flags
//!
//! - `testing`: the `testing` module, a conformance suite any
//!   [`SecretStore`](store::SecretStore) implementation can run against itself, with
//!   record and id fixtures.
//!   It also forces each of the redactor's searchers for the redaction tests
//!   (`testing::searchers`; not a stable API).
//! - `tokio`: `redact::AsyncRedactingWriter` (from `Redactor::async_writer`), the
//!   masking writer over tokio's `AsyncWrite`, with the live flush, for a socket, a
//!   channel or a response body. It uses tokio's I/O traits only; the crate still
//!   starts no runtime.
//! - `tower`: `redact::tower::RedactLayer`, a tower layer that masks HTTP response
//!   bodies as they stream (live per frame, so server-sent events do not stall),
//!   drops `Content-Length`, and refuses a compressed body. Depends on `http`,
//!   `http-body`, `bytes`, `tower-layer` and `tower-service`, no runtime.
//! - `tracing`: `redact::MaskingMakeWriter`, a `tracing_subscriber::fmt` writer that
//!   masks every formatted event with a live
//!   [`PlatformRedactor`](redact::PlatformRedactor) (unlabelled masks), so a service
//!   that logs through `tracing` cannot print a value the resolver handed out or
//!   `Secrets` stored. Adds `tracing` and `tracing-subscriber` (feature `fmt` only);
//!   the default build has neither.

// ---- layers, bottom up: vocab <- crypto, store, redact, audit <- resolve, admin --------
mod access;
pub mod admin;
pub mod audit;
pub mod crypto;
pub mod guide;
pub mod import;
pub mod redact;
pub mod resolve;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod vocab;

pub use vocab::{clock, error};

// ---- the vocabulary: names, values, ids, scopes, actors ------------------------------
pub use vocab::{
    Actor, Error, MissingReason, Scope, SecretKey, SecretRole, SecretValue, Trigger, UserId,
    WorkflowId, WorkspaceId, WorkspaceRole,
};

// ---- sealing ---------------------------------------------------------------------------
pub use crypto::{LocalKeyring, Vault};

// ---- managing secrets --------------------------------------------------------------------
pub use admin::{SecretDetails, Secrets};
pub use store::MemoryStore;

// ---- running workflows -------------------------------------------------------------------
pub use resolve::{
    Resolver, Run, RunContext, ShareConfig, Step, Template, WorkflowPolicy, WorkflowRequirements,
};

// ---- masking -------------------------------------------------------------------------------
pub use redact::Redactor;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
