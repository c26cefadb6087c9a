//! Scopes, precedence and the personal fallback; allowlists; `explain`.
//!
//! # Scopes
//!
//! A secret lives in exactly one [`Scope`](crate::Scope):
//!
//! | scope | holds a value for | who may create and delete it | who may also rotate it and edit its details |
//! |---|---|---|---|
//! | [`Scope::workflow`](crate::Scope::workflow) | one workflow of a workspace | workspace admins | the secret's per-secret admins ([`SecretRole::Admin`](crate::SecretRole::Admin)) |
//! | [`Scope::workspace`](crate::Scope::workspace) | every run in the workspace | workspace admins | the secret's per-secret admins |
//! | [`Scope::personal`](crate::Scope::personal) | one user, inside one workspace | that user alone | nobody (workspace admins may purge, rewrap and mask personal secrets, never read them) |
//!
//! A per-secret [`SecretRole::Member`](crate::SecretRole::Member) grants nothing beyond
//! the workspace role; a personal secret's per-secret roles are ignored.
//!
//! Keys are case-sensitive names of `[A-Za-z0-9_]`, 1 to 256 bytes
//! ([`SecretKey`](crate::SecretKey)), and public: listings, import reports,
//! audit events and errors show them. So a **new** secret's key may not look like
//! a secret itself: no API-token prefix (`ghp_`, `sk_live_`, `AIza`, ...) and not
//! 20 or more characters mixing upper case, lower case and digits without an `_`
//! ([`SecretKey::check_new_name`](crate::SecretKey::check_new_name), applied by
//! `create` and `.env` import; keys stored before the rule keep loading). Values
//! are UTF-8 text of 0 to 65,536 bytes
//! ([`SecretValue`](crate::SecretValue)). Values are write-only: no management
//! call of [`Secrets`](crate::Secrets) returns one. Plaintext leaves the crate
//! only through resolution: [`Resolver::resolve`](crate::Resolver::resolve) (whose
//! value joins no redactor) and the methods of a [`Step`](crate::Step).
//!
//! # Precedence
//!
//! When a run resolves `KEY`, the first rule that applies decides:
//!
//! 1. If the workflow has an allowlist ([`WorkflowPolicy::allowlist`] is `Some`) and
//!    `KEY` is not on it: `missing_credential` with
//!    [`MissingReason::NotAllowed`](crate::MissingReason::NotAllowed), whether or not a
//!    value exists. The store is not read.
//! 2. A shared run follows [`sharing`](super::sharing) from here on.
//! 3. The workflow-scoped `KEY` of this workflow, else
//! 4. the workspace `KEY`, else
//! 5. the personal `KEY` of the **fallback user** (below), else
//! 6. `missing_credential` with [`MissingReason::NotFound`](crate::MissingReason::NotFound).
//!
//! Steps 3 to 5 are one store call
//! ([`SecretStore::get_first`](crate::store::SecretStore::get_first) over the
//! run's scopes in this order). A store failure is the error `store`, never "not
//! found"; a record that does not open is `tampered` or `unknown_key_id`, never a
//! fallback to the next scope.
//!
//! # The personal fallback
//!
//! | run | built with | fallback user |
//! |---|---|---|
//! | manual: someone clicked Run | [`RunContext::manual`](crate::RunContext::manual), or [`automated`](crate::RunContext::automated) with [`Trigger::Manual`](crate::Trigger::Manual) | the user who clicked Run |
//! | API, webhook, schedule | [`RunContext::automated`](crate::RunContext::automated) with [`Trigger::Api`](crate::Trigger::Api), [`Webhook`](crate::Trigger::Webhook), [`Schedule`](crate::Trigger::Schedule) | the workflow's owner |
//! | shared run, owner credentials on | [`RunContext::share_link`](crate::RunContext::share_link) (trigger [`ShareLink`](crate::Trigger::ShareLink)), or any context made [`shared_link`](crate::RunContext::shared_link) | the workflow's owner (see [`sharing`](super::sharing)) |
//! | shared run, owner credentials off | the same | none: no personal scope is read |
//! | a member run naming [`Trigger::ShareLink`](crate::Trigger::ShareLink) (the host forgot to mark it shared) | [`RunContext::automated`](crate::RunContext::automated) | none: fails closed |
//!
//! A consequence the host must own: whoever may edit a workflow can make its
//! automated runs use the owner's personal secrets (see [`threats`](super::threats)).
//! An allowlist bounds what such a run may reach.
//!
//! # Allowlists
//!
//! [`WorkflowPolicy::allowlist`]: `None` means no allowlist; `Some(keys)` admits
//! only `keys`; `Some` of an empty set admits nothing. The allowlist is checked first
//! on every path: [`resolve`](crate::Resolver::resolve),
//! [`credential`](crate::Step::credential), [`prefetch`](crate::Step::prefetch),
//! [`render`](crate::Step::render), [`render_with`](crate::Step::render_with),
//! [`all_available`](crate::Step::all_available),
//! [`preflight`](crate::Resolver::preflight),
//! [`required_inputs`](crate::Resolver::required_inputs),
//! [`available`](crate::Resolver::available) (which lists only allowed names) and
//! [`explain`](crate::Resolver::explain). In a shared run a key off the allowlist is
//! refused even when the runner provides a value.
//!
//! An allowlist also decides whether an agent step may receive personal values: see
//! [`agents`](super::agents).
//!
//! # Deletion
//!
//! A deleted secret is missing from every resolution that starts after the delete
//! (`missing_credential`, or the next scope in precedence order when one holds the
//! key). A step that already resolved it keeps its value until the step ends (see
//! [`runs`](super::runs)).
//!
//! # Checking before a run
//!
//! [`Resolver::preflight`](crate::Resolver::preflight) checks every key a workflow
//! references ([`WorkflowRequirements`](crate::WorkflowRequirements)) in one
//! [`get_many`](crate::store::SecretStore::get_many), opens no value, and reports
//! every missing key with its reason at once ([`Error::MissingCredentials`], code
//! `missing_credential`).
//!
//! # `explain`
//!
//! [`Resolver::explain`](crate::Resolver::explain) returns an
//! [`Explanation`](crate::resolve::Explanation): each scope of the run in
//! precedence order with its [`Verdict`](crate::resolve::Verdict) (skipped and why,
//! empty, supplied at a version), and the outcome. It never carries a value. A
//! personal scope of a user other than the viewer shows as
//! [`Verdict::Withheld`](crate::resolve::Verdict::Withheld) whether or not it holds
//! the key. `explain` is a trace of the same pipeline a resolution runs (one store
//! round trip, nothing opened), so its
//! [`outcome`](crate::resolve::Explanation::outcome) is what the run gets, with one
//! exception: when the scope that decides (the one holding the value, or the last
//! one read when none does) is one the viewer may not list, the outcome is
//! [`Outcome::Withheld`](crate::resolve::Outcome::Withheld), whether or not that scope
//! holds a value. A withheld value and a withheld absence give the same
//! `Explanation`, field for field and in its `Display`.
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeSet;
//! use std::sync::Arc;
//! use workflow_secrets::resolve::Source;
//! use workflow_secrets::{
//!     Actor, Error, LocalKeyring, MemoryStore, MissingReason, Resolver, RunContext, Scope,
//!     SecretKey, SecretValue, Secrets, Trigger, UserId, Vault, WorkflowId, WorkflowPolicy,
//!     WorkspaceId, WorkspaceRole,
//! };
//!
//! # fn main() -> Result<(), Error> { pollster::block_on(async {
//! let vault = Vault::new(LocalKeyring::generate());
//! let store = Arc::new(MemoryStore::new());
//! let secrets = Secrets::new(vault.clone(), store.clone());
//! let resolver = Resolver::new(vault, store);
//!
//! let acme = WorkspaceId::new("acme")?;
//! let wf = WorkflowId::new("nightly")?;
//! let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin); // the owner
//! let bob = Actor::new(UserId::new("bob")?, acme.clone(), WorkspaceRole::Editor);
//! let key = SecretKey::new("API_KEY")?;
//! for who in [&ada, &bob] {
//!     let scope = Scope::personal(acme.clone(), who.user.clone());
//!     let value = SecretValue::new(format!("sk-{}", who.user))?;
//!     secrets.create(who, &scope, &key, value).await?;
//! }
//!
//! // A manual run falls back to the user who clicked Run...
//! let manual = RunContext::manual(acme.clone(), wf.clone(), ada.user.clone(), bob.user.clone());
//! assert_eq!(resolver.resolve(&manual, &key).await?.value.expose_secret(), "sk-bob");
//! // ...an API, webhook or schedule run to the owner.
//! let nightly = RunContext::automated(acme.clone(), wf.clone(), ada.user.clone(), Trigger::Schedule);
//! assert_eq!(resolver.resolve(&nightly, &key).await?.value.expose_secret(), "sk-ada");
//!
//! // The workspace scope comes before any personal one.
//! let workspace = Scope::workspace(acme.clone());
//! secrets.create(&ada, &workspace, &key, SecretValue::new("sk-team")?).await?;
//! let resolved = resolver.resolve(&manual, &key).await?;
//! assert_eq!(resolved.source, Source::Workspace { version: 1 });
//!
//! // An allowlist that leaves the key out refuses it, though values exist.
//! let mut policy = WorkflowPolicy::default();
//! policy.allowlist = Some(BTreeSet::from([SecretKey::new("OTHER")?]));
//! let locked = nightly.with_policy(policy);
//! let err = resolver.resolve(&locked, &key).await.unwrap_err();
//! assert!(matches!(err, Error::MissingCredential { reason: MissingReason::NotAllowed, .. }));
//! # Ok(()) }) }
//! ```
//!
//! [`WorkflowPolicy::allowlist`]: crate::WorkflowPolicy::allowlist
//! [`Error::MissingCredentials`]: crate::Error::MissingCredentials
