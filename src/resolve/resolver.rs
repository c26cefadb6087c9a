//! `Resolver`: the run-time side, as thin adapters over the resolution pipeline.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use super::WorkflowRequirements;
use super::context::RunContext;
use super::explain::Explanation;
use super::outcome::Resolved;
use super::pipeline::{self, Core, Purpose, Settled};
use super::refusal::TemplateRefusal;
use super::step::{Run, Step};
use super::template::Template;
use super::usage::{Recorder, UsageFlush, UsageRecording};
use crate::access;
use crate::audit::AuditSink;
use crate::crypto::Vault;
use crate::redact::{PlatformRedactor, RedactorBuilder};
use crate::store::SecretStore;
use crate::vocab::{Actor, Clock, Error, Missing, MissingReason, Scope, SecretKey};

/// Hands credentials to runs: precedence, allowlists, share links, audit.
///
/// The only place plaintext leaves the crate for a run. [`resolve`](Self::resolve)
/// answers one key; [`run`](Self::run) and [`step`](Self::step) give the handles a
/// workflow engine uses, with live redactors. The rules it applies are those of
/// [`guide`](crate::guide); every method is an adapter over one resolution pipeline,
/// so they agree with each other.
///
/// A cheap `Clone` handle over one shared core (vault, store, audit sink, clock and
/// redaction settings): clone it into each task or request handler. The runs and
/// steps it starts own what they need (`'static` when the store is), so an async
/// host can spawn them and keep them in a registry.
///
/// # Example
///
/// ```
/// use workflow_secrets::resolve::Source;
/// use workflow_secrets::{
///     Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey,
///     SecretValue, Secrets, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
/// };
///
/// # fn main() -> Result<(), Error> { pollster::block_on(async {
/// let vault = Vault::new(LocalKeyring::generate());
/// let store = std::sync::Arc::new(MemoryStore::new());
/// let acme = WorkspaceId::new("acme")?;
/// let admin = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
/// let key = SecretKey::new("API_KEY")?;
/// Secrets::new(vault.clone(), store.clone())
///     .create(&admin, &Scope::workspace(acme.clone()), &key, SecretValue::new("sk-1")?)
///     .await?;
///
/// let resolver = Resolver::new(vault, store);
/// let ctx = RunContext::manual(acme, WorkflowId::new("wf")?, admin.user.clone(), admin.user);
/// let resolved = resolver.resolve(&ctx, &key).await?;
/// assert_eq!(resolved.value.expose_secret(), "sk-1");
/// assert_eq!(resolved.source, Source::Workspace { version: 1 });
/// # Ok(()) }) }
/// ```
pub struct Resolver<S> {
    core: Arc<Core<S>>,
}

impl<S> Clone for Resolver<S> {
    fn clone(&self) -> Self {
        Resolver {
            core: self.core.clone(),
        }
    }
}

impl<S> fmt::Debug for Resolver<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("audit", &self.core.audit.is_some())
            .field("usage", &self.core.usage.is_some())
            .finish_non_exhaustive()
    }
}

impl<S: SecretStore> Resolver<S> {
    /// A resolver over `store`, opening records with `vault`.
    pub fn new(vault: Vault, store: S) -> Self {
        Resolver {
            core: Arc::new(Core::new(vault, store)),
        }
    }

    /// The core to configure: a resolver being set up is not shared yet, and one that
    /// is gets its own copy of the core's handles (clones made before keep theirs).
    fn configure(&mut self) -> &mut Core<S> {
        Arc::make_mut(&mut self.core)
    }

    /// Records every resolution (and every refusal) in `sink`.
    pub fn with_audit(mut self, sink: impl AuditSink + 'static) -> Self {
        self.configure().audit = Some(Arc::new(sink));
        self
    }

    /// Reads time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.configure().clock = Arc::new(clock);
        self
    }

    /// The settings (mask, labels, `min_len`, encodings) of the redactors of runs and
    /// steps. Default: labelled masks (`[REDACTED:KEY]`). Values registered on
    /// `settings` itself are masked by every run and every step too (a host's own
    /// platform secrets): compiled once, here, and shared by every run and step.
    pub fn with_redaction(mut self, settings: RedactorBuilder) -> Self {
        // Compiled here, once: every run and step starts from a fork of it (building
        // from the settings per run and per step recompiled the host's values each
        // time, 8 ms a step with 1,000 of them).
        self.configure().redaction = settings.build();
        self
    }

    /// Feeds `platform` every value a resolution opens from the store (`resolve`,
    /// `credential`, `prefetch`, `render`, `render_with`, `all_available`), before
    /// the value is returned, so a host that logs through
    /// `redact::MaskingMakeWriter` (feature `tracing`)
    /// cannot print it. A shared run's runner-provided values are not fed. See
    /// [`PlatformRedactor`] for retention and caps.
    pub fn with_platform_redactor(mut self, platform: &PlatformRedactor) -> Self {
        self.configure().platform = Some(platform.clone());
        self
    }

    /// Records which workflows resolve which secrets: each value a resolution opens
    /// from the store (`resolve`, `credential`, `prefetch`, `render`, `render_with`,
    /// `all_available`; not a runner's provided value) marks (the scope it came
    /// from, its key, the run's workflow) in memory, without I/O: at most one mark
    /// per (scope, key, workflow) waits at a time, and once flushed, the next opens
    /// only after `recording`'s interval. The host drains the marks to the store with
    /// [`flush_usage`](Self::flush_usage), from its own task or timer: the crate
    /// starts no thread or task.
    ///
    /// **Marks not flushed are lost** when the process stops or crashes: the store
    /// then knows an older time, or none, for those workflows. Flush on a timer
    /// shorter than the window of your checked deletes, and on shutdown.
    ///
    /// Clones made before or after share one recorder. Read it with
    /// [`Secrets::usage`](crate::Secrets::usage); it guards
    /// [`Secrets::delete_checked`](crate::Secrets::delete_checked).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_secrets::resolve::UsageRecording;
    /// use workflow_secrets::{
    ///     Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey,
    ///     SecretValue, Secrets, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// # fn main() -> Result<(), Error> { pollster::block_on(async {
    /// let vault = Vault::new(LocalKeyring::generate());
    /// let store = std::sync::Arc::new(MemoryStore::new());
    /// let acme = WorkspaceId::new("acme")?;
    /// let admin = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let (scope, key) = (Scope::workspace(acme.clone()), SecretKey::new("API_KEY")?);
    /// let secrets = Secrets::new(vault.clone(), store.clone());
    /// secrets.create(&admin, &scope, &key, SecretValue::new("sk-1")?).await?;
    ///
    /// let resolver = Resolver::new(vault, store)
    ///     .with_usage_recording(UsageRecording::every(Duration::from_secs(60)));
    /// let wf = WorkflowId::new("nightly-sync")?;
    /// let ctx = RunContext::manual(acme, wf.clone(), admin.user.clone(), admin.user.clone());
    /// resolver.resolve(&ctx, &key).await?;
    /// resolver.resolve(&ctx, &key).await?; // the same mark
    ///
    /// assert_eq!(resolver.flush_usage().await?.written, 1); // from the host's timer
    /// let users = secrets.usage(&admin, &scope, &key).await?;
    /// assert_eq!(users[0].workflow, wf);
    /// # Ok(()) }) }
    /// ```
    pub fn with_usage_recording(mut self, recording: UsageRecording) -> Self {
        self.configure().usage = Some(Arc::new(Recorder::new(recording)));
        self
    }

    /// Writes the pending usage marks to the store, in one
    /// [`record_usage`](crate::store::SecretStore::record_usage) call, and reports
    /// how many, and how many resolutions went unrecorded for lack of room since the
    /// last successful flush. Call it from the host's own task (a timer, and on
    /// shutdown); concurrent flushes are safe. Without
    /// [`with_usage_recording`](Self::with_usage_recording) it writes nothing.
    ///
    /// # Errors
    ///
    /// `store` when the store fails (or keeps no usage): the marks stay pending
    /// (within the recorder's capacity) for the next flush.
    pub async fn flush_usage(&self) -> Result<UsageFlush, Error> {
        match &self.core.usage {
            Some(usage) => usage.flush(&*self.core.store, self.core.clock.now()).await,
            None => Ok(UsageFlush::default()),
        }
    }

    /// How many usage marks wait for [`flush_usage`](Self::flush_usage) (0 without
    /// recording).
    pub fn usage_pending(&self) -> usize {
        self.core.usage.as_ref().map_or(0, |usage| usage.pending())
    }

    /// Resolves one key for `ctx`: allowlist, then workflow, workspace and personal
    /// scopes (or the share-link rules), as [`guide::precedence`](crate::guide::precedence) and [`guide::sharing`](crate::guide::sharing)
    /// states them. One store round trip (`get_first`). The value joins no run's redactor
    /// (use a [`Step`] for that), only the platform redactor when one is installed
    /// ([`with_platform_redactor`](Self::with_platform_redactor)).
    ///
    /// # Errors
    ///
    /// `missing_credential` with its reason; `store` when the store fails (never
    /// reported as not found); `tampered` or `unknown_key_id` when a record does not
    /// open; `key_backend` when the key backend could not answer (retryable).
    pub async fn resolve(&self, ctx: &RunContext, key: &SecretKey) -> Result<Resolved, Error> {
        self.core.resolve(ctx, key).await
    }

    /// Explains, scope by scope, why `ctx` gets (or misses) `key`, for `viewer`: what
    /// each scope said, without values. A trace of the pipeline [`resolve`](Self::resolve)
    /// runs, so its outcome is what a run gets; what `viewer` may not list (another
    /// user's personal scope) is withheld in the verdicts and, when it decides, in the
    /// outcome ([`Outcome::Withheld`](crate::resolve::Outcome::Withheld)). One store
    /// round trip; nothing is opened.
    ///
    /// # Errors
    ///
    /// `permission_denied` when the viewer is not in the run's workspace; `store` when
    /// the store fails (never reported as "not found").
    pub async fn explain(
        &self,
        ctx: &RunContext,
        key: &SecretKey,
        viewer: &Actor,
    ) -> Result<Explanation, Error> {
        self.core.explain(ctx, key, viewer).await
    }

    /// One workflow run: its steps and its redactor. The run owns a handle to this
    /// resolver and its own copy of `ctx`.
    pub fn run(&self, ctx: &RunContext) -> Run<S> {
        Run::new(self.core.clone(), ctx.clone())
    }

    /// A step outside a [`Run`]; it owns a handle to this resolver and its own copy
    /// of `ctx`.
    pub fn step(&self, ctx: &RunContext) -> Step<S> {
        Step::alone(self.core.clone(), ctx.clone())
    }

    /// What the runner of a shared workflow must bring: every key the workflow
    /// references that the allowlist admits and the owner does not lend (lending needs
    /// owner credentials, the key declared, and a stored value: one `get_many`). Sorted.
    /// A member run needs no inputs.
    ///
    /// # Errors
    ///
    /// `store` when the store fails.
    pub async fn required_inputs(
        &self,
        ctx: &RunContext,
        refs: &WorkflowRequirements,
    ) -> Result<BTreeSet<SecretKey>, Error> {
        if !ctx.is_shared() {
            return Ok(BTreeSet::new());
        }
        let keys: Vec<SecretKey> = refs.references.iter().cloned().collect();
        let settled = self.core.settle_many(ctx, &keys, Purpose::Named).await?;
        Ok(keys
            .into_iter()
            .zip(settled)
            .filter(|(_, s)| {
                matches!(
                    s,
                    Settled::Provided(_) | Settled::Missing(MissingReason::MustBeProvided)
                )
            })
            .map(|(k, _)| k)
            .collect())
    }

    /// The names (never values) a run may reference, by scope in precedence order,
    /// for an editor's `{{` dropdown: the workflow's, the workspace's, and the viewer's
    /// own personal names, within the allowlist.
    ///
    /// # Errors
    ///
    /// `permission_denied` when the viewer is not in the run's workspace; `store`.
    pub async fn available(
        &self,
        ctx: &RunContext,
        viewer: &Actor,
    ) -> Result<Vec<(Scope, Vec<SecretKey>)>, Error> {
        access::check_tenancy(viewer, ctx.workspace()).map_err(|e| self.core.denied(viewer, e))?;
        let workspace = ctx.workspace().clone();
        let scopes = [
            Scope::workflow(workspace.clone(), ctx.workflow().clone()),
            Scope::workspace(workspace.clone()),
            Scope::personal(workspace, viewer.user.clone()),
        ];
        let lists = self.core.store.list_many(&scopes).await?;
        let lists = pipeline::listed_keys(&scopes, lists)?;
        Ok(scopes
            .into_iter()
            .zip(lists)
            .map(|(scope, keys)| {
                let keys = keys.into_iter().filter(|k| pipeline::allows(ctx, k));
                (scope, keys.collect())
            })
            .collect())
    }

    /// Checks every credential a workflow references before any step runs: one
    /// `get_many`, no value opened. For a shared run, also call
    /// [`preflight_templates`](Self::preflight_templates): a key can be there and its
    /// template still be refused.
    ///
    /// # Errors
    ///
    /// One `Error::MissingCredentials` (code `missing_credential`) listing **every**
    /// missing key with its reason, in key order; `store`.
    pub async fn preflight(
        &self,
        ctx: &RunContext,
        refs: &WorkflowRequirements,
    ) -> Result<(), Error> {
        let keys: Vec<SecretKey> = refs.references.iter().cloned().collect();
        let settled = self.core.settle_many(ctx, &keys, Purpose::Named).await?;
        let mut missing: Vec<Missing> = keys
            .into_iter()
            .zip(settled)
            .filter_map(|(key, s)| match s {
                Settled::Missing(reason) => Some(Missing { key, reason }),
                Settled::Stored(_) | Settled::Provided(_) => None,
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_by(|a, b| a.key.cmp(&b.key));
        Err(Error::MissingCredentials { missing })
    }

    /// The share-link check of [`preflight`](Self::preflight): every template of
    /// `templates` that a shared run of `ctx` will refuse, with why and the names
    /// (never values) that make it so, in `templates`' order. Call it when the owner
    /// saves share settings and before a shared run starts: one `get_many`, nothing
    /// opened or audited as resolved.
    ///
    /// It cannot know the host's answers, so every host variable that is not one of
    /// the policy's [`constants`](crate::WorkflowPolicy::constants) counts as run data,
    /// and a key the runner must still bring counts as provided. A member run refuses
    /// none (empty, without reading the store). The rule is in
    /// [`guide::sharing`](crate::guide::sharing#no-mixing-in-one-template).
    ///
    /// # Errors
    ///
    /// `store` when the store fails.
    pub async fn preflight_templates(
        &self,
        ctx: &RunContext,
        templates: &[Template],
    ) -> Result<Vec<TemplateRefusal>, Error> {
        self.core.template_refusals(ctx, templates).await
    }
}
