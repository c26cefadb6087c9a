//! Encrypted, scoped, write-only secrets for workflow-automation services.
//!
//! `workflow-secrets` is the part of a workflow product that keeps its users' API
//! keys and tokens: it stores them sealed with envelope encryption, hands them to a
//! running workflow through scope and policy rules, and masks them out of everything
//! a client can see. It does no I/O of its own: the host brings the storage (the
//! async [`SecretStore`] trait), the actor's identity and role, and the output sinks.
//! It depends on no async runtime; everything CPU-only (sealing, parsing, templates,
//! redaction) is sync.
//!
//! # Which type for which job
//!
//! | job | type |
//! |---|---|
//! | create, rotate, edit, delete, list, import, re-wrap, purge (checked and audited) | [`Secrets`] |
//! | hand credentials to runs: precedence, allowlists, share links, `explain` | [`Resolver`] |
//! | one run and its steps: `credential`, `prefetch`, `render`, `all_available` | [`Run`], [`Step`], [`Template`] |
//! | mask values out of logs, streams and JSON output | [`Redactor`] ([`RedactorBuilder`], [`RedactingWriter`], [`Redacted`]) |
//! | seal and open values (AES-256-GCM envelope, AAD-bound to scope, key and version) | [`Vault`] over a [`KeyWrapper`] such as [`LocalKeyring`] |
//! | keep sealed records | a [`SecretStore`]: [`MemoryStore`] built in, [`DynStore`] for one chosen at run time, durable stores in their own crates |
//! | read pasted `.env` text for a bulk import, strictly and without echoing values | [`parse_env`] |
//!
//! # The happy path
//!
//! ```
//! use workflow_secrets::*;
//!
//! # fn main() -> Result<(), Error> { pollster::block_on(async {
//! let vault = Vault::new(LocalKeyring::generate());
//! let store = std::sync::Arc::new(MemoryStore::new());
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
//! a [`RedactingWriter`]'s hold-back buffer; and the caller's hands after
//! [`SecretValue::expose_secret`]. `Debug`, `Display`, errors, audit events, metadata
//! listings and serde output never carry a value. What the crate trusts the host for
//! (identity, the database against whole-row rollback, what a step's own code prints)
//! is in SECURITY.md.
//!
//! # Feature flags
//!
//! - `testing`: the [`testing`] module, a conformance suite any [`SecretStore`]
//!   implementation can run against itself.

mod access;
mod admin;
mod audit;
mod clock;
mod crypto;
mod error;
mod import;
mod key;
mod redact;
mod resolve;
mod scope;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod value;

// ---- key, value, scope -------------------------------------------------------------
pub use key::SecretKey;
pub use scope::{Scope, UserId, WorkflowId, WorkspaceId};
pub use value::SecretValue;

// ---- crypto ------------------------------------------------------------------------
pub use crypto::{KeyId, KeyWrapper, LocalKeyring, SealedSecret, Vault};
pub use zeroize::Zeroizing;

// ---- store -------------------------------------------------------------------------
pub use store::{
    DynStore, Expect, MemoryStore, SecretMeta, SecretStore, StoreError, StoredSecret, WriteBatch,
    WriteOp,
};

// ---- access and administration -----------------------------------------------------------
pub use access::{Actor, SecretRole, WorkspaceRole};
pub use admin::{ImportMode, ImportReport, RewrapReport, SecretDetails, Secrets};

// ---- import ----------------------------------------------------------------------
pub use import::{EnvEntry, ImportWarning, ParsedEnv, parse_env};

// ---- resolution ----------------------------------------------------------------------
pub use resolve::{
    Access, ApiKeyHolder, Consulted, Explanation, Principal, Resolved, Resolver, Run, RunContext,
    ShareConfig, SkipReason, Source, Step, Template, Trigger, Verdict, WorkflowPolicy,
    WorkflowRequirements,
};

// ---- redaction ---------------------------------------------------------------------
pub use redact::{Encodings, Redacted, RedactingWriter, Redactor, RedactorBuilder};

// ---- audit, clock and errors -----------------------------------------------------------
pub use audit::{AuditEvent, AuditKind, AuditSink, MemoryAuditSink, NoopAuditSink};
pub use clock::{Clock, SystemClock, Timestamp};
pub use error::{Error, LineProblem, Missing, MissingReason};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
