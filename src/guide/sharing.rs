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
//! In a shared run, a template that would send a lent value where the runner chose is
//! refused by [`render`](crate::Step::render) and
//! [`render_with`](crate::Step::render_with) with `permission_denied`. A template's
//! values are of four kinds: **lent** (the owner's stored values), **provided** (the
//! runner's own values of keys the owner does not lend, including a lent key the
//! owner holds none of), **run data** (what `render_with`'s callback supplies: step
//! outputs, trigger payloads, the runner's input, all of which the runner can shape),
//! and **constants** (literal text, and the values the owner fixed in the workflow
//! definition, [`WorkflowPolicy::constants`](crate::WorkflowPolicy::constants), which
//! `render_with` renders itself without asking the callback). In a shared run:
//!
//! 1. a template that combines a lent value with a provided one is refused
//!    ([`LentWithProvided`](crate::resolve::TemplateRefusalReason::LentWithProvided)),
//!    always: this stops `{{API_BASE_URL}}?key={{API_KEY}}` from sending the owner's
//!    key to a runner's host, and no mark lifts it;
//! 2. a template that combines a lent value with run data is refused
//!    ([`LentWithRunData`](crate::resolve::TemplateRefusalReason::LentWithRunData)),
//!    unless the **owner** marked it in
//!    [`WorkflowPolicy::run_data_templates`](crate::WorkflowPolicy::run_data_templates)
//!    (off by default; the host passes it from the workflow's settings, like
//!    [`references`](crate::WorkflowPolicy::references)). The owner decides, not the
//!    host: it is the owner's secret that a marked template sends;
//! 3. constants never count: `POST {{SLACK_WEBHOOK}} channel={{vars.channel}}`, with
//!    `vars.channel` a constant, renders unmarked.
//!
//! **The risk of a mark.** A marked template sends the lent values wherever its run
//! data points. Mark only a template whose destination is lent or constant, as in
//! `POST {{SLACK_WEBHOOK}} text={{steps.fetch}}` (the runner shapes the message, not
//! where it goes); never one whose run data can name the destination or be read back
//! by the runner, as in `{{steps.fetch.url}}?key={{API_KEY}}`. A template is marked by
//! its text: the same text anywhere in the workflow is marked, and any other text is
//! not. A mark lifts rule 2 for that template and nothing else: rule 1 holds (so if
//! the owner deletes the lent `SLACK_WEBHOOK`, the runner's value of it does not
//! turn the mark into a way out), undeclared keys are still not lent, run data is still
//! never scanned for references ([`templates`](super::templates)), lent values are
//! still masked, and an agent still never holds both kinds of value
//! ([`agents`](super::agents)).
//!
//! **Before anything is decrypted.** A refusal comes before any value is opened or
//! held: the references the step does not hold yet are settled from one
//! [`get_many`](crate::store::SecretStore::get_many), the rule is decided on where
//! each value would come from, and a refused render (or one with a missing
//! reference) unseals nothing and audits nothing as resolved.
//! [`Resolver::preflight_templates`](crate::Resolver::preflight_templates) says the
//! same ahead of time: every template a shared run will refuse, with its
//! [`TemplateRefusal`](crate::resolve::TemplateRefusal) (the reason and the lent keys,
//! provided keys and run-data variables, names only, serializable), from one
//! `get_many` and no unseal. It cannot know the host's answers, so it counts every
//! host variable that is not a constant as run data (a render whose callback leaves
//! it unsupplied is not refused), and a key the runner must still bring as provided.
//! Call it when the owner saves share settings, to show which templates need a mark
//! or a change.
//!
//! A code step that asks for both kinds by name can still combine them in its own code
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
//! With token formats on ([`mask_token_formats`](crate::redact::RedactorBuilder::mask_token_formats)
//! on [`Resolver::with_redaction`](crate::Resolver::with_redaction)'s settings), a
//! shared run's output is masked by format too, **the runner's own provided values
//! included**: a format mask depends on the text's shape alone, never on a
//! registered pattern, so it gives the runner no oracle, and the crate, which never
//! registers provided values, cannot exempt the runner's tokens without one
//! ([`masking`](super::masking)).
//!
//! # Example
//!
//! ```
//! use std::collections::{BTreeMap, BTreeSet};
//! use std::sync::Arc;
//! use workflow_secrets::resolve::{Principal, TemplateRefusalReason};
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
//! // A search whose destination is fixed in its text: the owner marks it, so the
//! // runner's query (run data) may go with the lent key.
//! let search = Template::parse_lenient("https://api.example/v1?key={{API_KEY}}&q={{input.query}}");
//! policy.run_data_templates.insert(search.clone());
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
//! // Before the run, nothing decrypted: the call template will be refused, and why.
//! let refused = resolver.preflight_templates(&ctx, &[call.clone(), search.clone()]).await?;
//! assert_eq!(refused.len(), 1);
//! assert_eq!((refused[0].template, refused[0].reason), (0, TemplateRefusalReason::LentWithProvided));
//!
//! let run = resolver.run(&ctx);
//! let step = run.step();
//! // The lent value wins over the provided one, and the workspace pays for it.
//! let lent = resolver.resolve(&ctx, &api_key).await?;
//! assert_eq!(lent.value.expose_secret(), "sk-owner-0001");
//! assert_eq!(lent.charged_to, Principal::Workspace(acme));
//! // One template may not mix a lent value with a provided one.
//! assert_eq!(step.render(&call).await.unwrap_err().code(), "permission_denied");
//! // The marked template combines the lent key with run data.
//! let url = step.render_with(&search, &|_| Some("cats".to_owned())).await?;
//! assert_eq!(url.expose_secret(), "https://api.example/v1?key=sk-owner-0001&q=cats");
//! // The run's redactor masks the lent value, not the runner's own.
//! step.credential("API_KEY").await?;
//! step.credential("API_BASE_URL").await?;
//! let log = run.redactor().redact("GET https://runner.example?key=sk-owner-0001").into_owned();
//! assert_eq!(log, "GET https://runner.example?key=[REDACTED:API_KEY]");
//! # Ok(()) }) }
//! ```
