//! The threat boundary: what the crate protects, and what the host must provide.
//!
//! The crate protects values at rest (see [`sealing`](super::sealing)), hands them
//! only to runs that the [precedence](super::precedence), [sharing](super::sharing)
//! and [agent](super::agents) rules admit, never returns them from a management call,
//! and masks them from output routed through a redactor (see
//! [`masking`](super::masking)). `Debug`, `Display`, errors, audit events, metadata
//! listings and serde output of the crate's own types never carry a value. Everything
//! below is outside that boundary.
//!
//! # What the host must provide
//!
//! - **Identity.** The crate trusts the host's word for who an
//!   [`Actor`](crate::Actor) is and their [`WorkspaceRole`](crate::WorkspaceRole),
//!   and for the ids a [`RunContext`](crate::RunContext) is built from (owner,
//!   clicking user, trigger). It checks tenancy (an actor acts only in its own
//!   workspace) and the permission rules; it cannot check that the host authenticated
//!   anyone. Build actors and contexts from authenticated sessions only, never from
//!   request fields a client controls.
//! - **Edit rights on workflows.** An automated run falls back to the owner's
//!   personal secrets ([`precedence`](super::precedence)), so whoever may edit a
//!   workflow can make its webhook or schedule runs use them. Give edit rights only to
//!   people the owner trusts, or set an allowlist.
//! - **Declared references and share settings.** The host fills
//!   [`WorkflowPolicy::references`](crate::WorkflowPolicy::references) faithfully
//!   (templates and code steps' declared keys) and calls
//!   [`ShareConfig::check`](crate::ShareConfig::check) when the owner saves share
//!   settings; the crate lends exactly what the policy says.
//! - **Routing output through a redactor.** Logs, step outputs, errors shown to
//!   clients, and every client-facing output of a shared run go through the run's
//!   redactor. A step's own code can print a value in a form no encoding covers;
//!   masking is a safety net, not a sandbox.
//! - **The key-encryption keys.** [`LocalKeyring::export`](crate::LocalKeyring::export)
//!   is raw key material: protect it with a KMS, unwrap it once at start-up, and
//!   rotate as [`sealing`](super::sealing) says.
//! - **The database.** Its access control, backups and audit logs are the host's.
//!   Anyone who can write it can delete records, and can put back an older record
//!   whole (metadata and sealed bytes together): the associated data binds scope, key
//!   and version but cannot know which version is current, so the old record opens.
//!   Lasting rollback protection needs an anchor outside the database (a per-record
//!   version counter or a hash of the current records, kept in an append-only system
//!   the host trusts and checked on read).
//! - **A store that returns what was asked for.** The crate does not depend on it for
//!   its own promises: the resolver and every management call of
//!   [`Secrets`](crate::Secrets) (`rotate`, `set_details`, `delete`, the imports,
//!   `list`, `purge`, `rewrap_all`, `workspace_redactor`) open and write a record with
//!   the scope and key they asked for, never the ones the record declares, and refuse
//!   (`store`, before any unseal or write) a record or listing whose metadata names
//!   another scope or key; a copy whose metadata was rewritten to the request does not
//!   open (`tampered`). The
//!   [`SecretStore`](crate::store::SecretStore) implementation notes require a store
//!   to answer with exactly what was asked for, and the conformance suite
//!   (`testing::records_stay_where_written`, feature `testing`) fails one that does
//!   not. The SQLite and PostgreSQL stores rebuild scope and key from the query. What
//!   no check can see is a row whose *metadata* a database writer rewrote (its
//!   members, say): metadata is not sealed, so the database's access control is the
//!   defence.
//! - **Keeping the audit log.** Every call of [`Secrets`](crate::Secrets) records
//!   exactly one [`AuditEvent`](crate::audit::AuditEvent), whatever its end (see below);
//!   the sink is the host's, called synchronously on the call's path. A call whose
//!   future is dropped before it finishes (a cancelled request) records nothing.
//!
//! # What is audited
//!
//! Every management call of [`Secrets`](crate::Secrets), and every resolution of a
//! [`Resolver`](crate::Resolver), records one event: on success its kind (`Created`,
//! `Rotated`, `DetailsChanged`, `Deleted`, `Listed`, `Imported`, `ImportPreviewed`,
//! `Rewrapped`, `Purged`, `WorkspaceRedactor`, `Resolved`) with `Ok`; on a permission
//! refusal `Denied` with `permission_denied`; on any other failure (a store failure
//! after the permission check included) its kind with the error's
//! [`ErrorCode`](crate::error::ErrorCode). An event names the actor, whether they are
//! an external member ([`Actor::external`](crate::Actor::external)), the scope, the
//! keys and the version; never a value. Per-secret roles: only
//! [`SecretRole::Admin`](crate::SecretRole::Admin) grants anything;
//! [`SecretRole::Member`](crate::SecretRole::Member) names a member and grants nothing
//! beyond the workspace role.
//!
//! # Known limits today
//!
//! These are limits of the current release, stated so that no host relies on more:
//!
//! - A code step of a shared run can ask for a lent value and a provided one by name
//!   and combine them in its own code; the template and agent rules cannot see code.
//!
//! # What the crate cannot wipe
//!
//! No heap block the crate frees on the paths its test walks holds a secret: every
//! buffer of its own that holds a value or an encoded form is sized once or wiped
//! before it is freed (SECURITY.md, "Freed memory", names the test that scans every
//! freed block and lists the paths it walks). The exceptions are
//! copies a dependency keeps: the search automata of a redactor (`aho-corasick`) keep
//! their own copy of the patterns, freed but not zeroized when a searcher is rebuilt or
//! the last clone drops; `rand`'s thread-local generator keeps its state for the life of
//! the thread. SECURITY.md lists every such copy and what a host can do about it.
