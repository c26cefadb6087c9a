//! Share links: what the owner lends, what the runner brings, and their limits.
//!
//! A workflow shared by link is run by someone the owner chose not to vet: the
//! **runner**, who may steer an agent step with a prompt. A shared run is a
//! [`RunContext`](crate::RunContext) made with
//! [`shared_link`](crate::RunContext::shared_link), which takes the runner's own
//! values by key (the **provided** values; never stored). The owner's choices are the
//! workflow's [`WorkflowPolicy`](crate::WorkflowPolicy): its
//! [`sharing`](crate::WorkflowPolicy::sharing) ([`ShareConfig`](crate::ShareConfig))
//! and its [`references`](crate::WorkflowPolicy::references).
//!
//! # What the workflow declares
//!
//! A workflow references its templates' keys plus the keys its code steps declare
//! ([`WorkflowRequirements::from_templates`](crate::WorkflowRequirements::from_templates),
//! [`with_code_keys`](crate::WorkflowRequirements::with_code_keys)): the crate cannot
//! read code. The host copies
//! [`WorkflowRequirements::references`](crate::WorkflowRequirements::references)
//! into [`WorkflowPolicy::references`](crate::WorkflowPolicy::references); only those
//! keys can be lent. A key a code step uses but does not declare is never lent.
//!
//! # The options
//!
//! Both are off by default ([`ShareConfig::default`](crate::ShareConfig)):
//!
//! - [`owner_credentials`](crate::ShareConfig::owner_credentials): the run may
//!   resolve the owner's stored values of the declared keys (it is "lent" them), with
//!   the owner as the personal fallback;
//! - [`owner_api_key`](crate::ShareConfig::owner_api_key): steps that use the
//!   owner's private model run under the owner's platform key
//!   ([`RunContext::api_key_holder`](crate::RunContext::api_key_holder) is then the
//!   owner; otherwise it is the runner).
//!
//! [`ShareConfig::check`](crate::ShareConfig::check) refuses an option the workflow
//! does not qualify for (`option_unavailable`): owner credentials when no step
//! references a credential, the owner's API key when no step uses a private model.
//! The crate does not call it for you: call it when the owner saves the settings.
//!
//! # The rules
//!
//! For each key, on every path ([`resolve`](crate::Resolver::resolve),
//! [`credential`](crate::Step::credential), [`prefetch`](crate::Step::prefetch),
//! [`render`](crate::Step::render), [`render_with`](crate::Step::render_with),
//! [`all_available`](crate::Step::all_available),
//! [`preflight`](crate::Resolver::preflight)), the first rule that applies decides:
//!
//! 1. A key off the allowlist is refused (`NotAllowed`), provided or not.
//! 2. A key is **lendable** when owner credentials are on and the workflow declares
//!    it. A lendable key is looked up as in a member run: the workflow scope, the
//!    workspace scope, then the owner's personal scope. If one holds a value, that
//!    value is used: the key is **lent**.
//! 3. Otherwise (the key is not lendable, or the owner holds no value of it), the
//!    runner's provided value is used;
//! 4. else `missing_credential` with
//!    [`MissingReason::MustBeProvided`](crate::MissingReason::MustBeProvided).
//!
//! So **a provided value never replaces a lent one**: when the owner lends
//! `API_BASE_URL`, a runner cannot swap in a host of their own by providing it. Without owner
//! credentials no key is lendable and the run settles every key from the provided
//! values alone, without reading the store.
//!
//! # Required inputs
//!
//! [`Resolver::required_inputs`](crate::Resolver::required_inputs) lists, sorted,
//! what the runner must bring: every referenced key the allowlist admits that is not
//! lent (not lendable, or lendable with no stored value; one
//! [`get_many`](crate::store::SecretStore::get_many)). A member run needs none.
//!
//! # No mixing in one template
//!
//! In a shared run, [`render`](crate::Step::render) and
//! [`render_with`](crate::Step::render_with) refuse a template that combines a lent
//! value with a provided one, with `permission_denied`. In
//! [`render_with`](crate::Step::render_with) every host value the callback supplies
//! counts as provided. The refusal comes before any value is opened or held: the
//! references the step does not hold yet are settled from one
//! [`get_many`](crate::store::SecretStore::get_many), and nothing is unsealed or
//! audited as resolved when the template would mix. This stops
//! `{{API_BASE_URL}}?key={{API_KEY}}` from sending the owner's key to a runner's host.
//! An agent never holds both kinds of value ([`agents`](super::agents)); a code step
//! that asks for both by name can still combine them in its own code
//! ([`threats`](super::threats)).
//!
//! # Charging
//!
//! Every resolution says who pays, in
//! [`Resolved::charged_to`](crate::resolve::Resolved::charged_to): a value from the
//! workflow or workspace scope is charged to the workspace
//! ([`Principal::Workspace`](crate::resolve::Principal::Workspace)), a personal value
//! to its user ([`Principal::User`](crate::resolve::Principal::User), the owner in a
//! shared run), a provided value to the runner
//! ([`Principal::Runner`](crate::resolve::Principal::Runner)). A lent value is never
//! charged to the runner.
//!
//! # What is masked in a shared run
//!
//! The redactors of a shared run and its steps ([`Run::redactor`](crate::Run::redactor),
//! [`Step::redactor`](crate::Step::redactor)) mask the lent values, and any value
//! registered on the resolver's own settings
//! ([`Resolver::with_redaction`](crate::Resolver::with_redaction)); they never
//! register a provided value. The runner's values are theirs to see, and registering
//! runner-chosen patterns would let a runner read, from where masks land, a lent
//! secret one guess at a time. The host must route every client-facing output of a
//! shared run through these redactors.
//!
//! # Example
//!
//! ```
//! use std::collections::{BTreeMap, BTreeSet};
//! use std::sync::Arc;
//! use workflow_secrets::resolve::Principal;
//! use workflow_secrets::{
//!     Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey,
//!     SecretValue, Secrets, ShareConfig, Template, Trigger, UserId, Vault, WorkflowId,
//!     WorkflowPolicy, WorkflowRequirements, WorkspaceId, WorkspaceRole,
//! };
//!
//! # fn main() -> Result<(), Error> { pollster::block_on(async {
//! let vault = Vault::new(LocalKeyring::generate());
//! let store = Arc::new(MemoryStore::new());
//! let acme = WorkspaceId::new("acme")?;
//! let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
//! let api_key = SecretKey::new("API_KEY")?;
//! Secrets::new(vault.clone(), store.clone())
//!     .create(&ada, &Scope::workspace(acme.clone()), &api_key, SecretValue::new("sk-owner-0001")?)
//!     .await?;
//! let resolver = Resolver::new(vault, store);
//!
//! // The workflow calls {{API_BASE_URL}} with {{API_KEY}}; the owner lends credentials.
//! let call = Template::parse("{{API_BASE_URL}}?key={{API_KEY}}")?;
//! let needs = WorkflowRequirements::from_templates(&[call.clone()], false);
//! let mut sharing = ShareConfig::default();
//! sharing.owner_credentials = true;
//! sharing.check(&needs)?;
//! let mut policy = WorkflowPolicy::default();
//! policy.sharing = sharing;
//! policy.references = needs.references.clone();
//!
//! // A runner brings a base URL, and tries to bring an API key of their own too.
//! let provided = BTreeMap::from([
//!     (SecretKey::new("API_BASE_URL")?, SecretValue::new("https://runner.example")?),
//!     (api_key.clone(), SecretValue::new("sk-runner-9999")?),
//! ]);
//! let ctx = RunContext::automated(acme.clone(), WorkflowId::new("wf")?, ada.user.clone(), Trigger::Api)
//!     .with_policy(policy)
//!     .shared_link(provided);
//!
//! let inputs = resolver.required_inputs(&ctx, &needs).await?;
//! assert_eq!(inputs, BTreeSet::from([SecretKey::new("API_BASE_URL")?]));
//!
//! let run = resolver.run(&ctx);
//! let step = run.step();
//! // The lent value wins over the provided one, and the workspace pays for it.
//! let lent = resolver.resolve(&ctx, &api_key).await?;
//! assert_eq!(lent.value.expose_secret(), "sk-owner-0001");
//! assert_eq!(lent.charged_to, Principal::Workspace(acme));
//! // One template may not mix a lent value with a provided one.
//! assert_eq!(step.render(&call).await.unwrap_err().code(), "permission_denied");
//! // The run's redactor masks the lent value, not the runner's own.
//! step.credential("API_KEY").await?;
//! step.credential("API_BASE_URL").await?;
//! let log = run.redactor().redact("GET https://runner.example?key=sk-owner-0001").into_owned();
//! assert_eq!(log, "GET https://runner.example?key=[REDACTED:API_KEY]");
//! # Ok(()) }) }
//! ```
