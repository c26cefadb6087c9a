//! `Resolver`: the run-time side. Every path applies the rules of `rules.rs`.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use super::WorkflowRequirements;
use super::context::RunContext;
use super::explain::{Consulted, Explanation, SkipReason, Verdict};
use super::outcome::{Resolved, Source};
use super::rules::{self, Plan};
use super::step::{Run, Step};
use crate::access;
use crate::audit::{AuditEvent, AuditKind, AuditSink};
use crate::crypto::Vault;
use crate::redact::{Redactor, RedactorBuilder};
use crate::store::{SecretStore, StoredSecret};
use crate::vocab::Actor;
use crate::vocab::Scope;
use crate::vocab::SecretKey;
use crate::vocab::{Clock, SystemClock};
use crate::vocab::{Error, Missing, MissingReason};

/// Hands credentials to runs: precedence, allowlists, share links, audit.
///
/// The only place plaintext leaves the crate for a run. [`resolve`](Self::resolve)
/// answers one key; [`run`](Self::run) and [`step`](Self::step) give the handles a
/// workflow engine uses, with live redactors.
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
pub struct Resolver<S: SecretStore> {
    pub(super) vault: Vault,
    pub(super) store: S,
    audit: Option<Arc<dyn AuditSink>>,
    clock: Arc<dyn Clock>,
    pub(super) redaction: RedactorBuilder,
}

impl<S: SecretStore> fmt::Debug for Resolver<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("audit", &self.audit.is_some())
            .finish_non_exhaustive()
    }
}

/// A key's outcome before its value is opened: the record that holds it, the
/// runner's value, or why there is none.
pub(super) enum Found<'c> {
    Stored(StoredSecret),
    Provided(&'c crate::vocab::SecretValue),
    Missing(MissingReason),
}

impl<S: SecretStore> Resolver<S> {
    /// A resolver over `store`, opening records with `vault`.
    pub fn new(vault: Vault, store: S) -> Self {
        Resolver {
            vault,
            store,
            audit: None,
            clock: Arc::new(SystemClock),
            redaction: Redactor::builder().labelled(true),
        }
    }

    /// Records every resolution (and every refusal) in `sink`.
    pub fn with_audit(mut self, sink: impl AuditSink + 'static) -> Self {
        self.audit = Some(Arc::new(sink));
        self
    }

    /// Reads time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The settings (mask, labels, `min_len`, encodings) of the redactors of runs and
    /// steps. Default: labelled masks (`[REDACTED:KEY]`). Values registered on
    /// `settings` itself are masked by every run too (a host's own platform secrets).
    pub fn with_redaction(mut self, settings: RedactorBuilder) -> Self {
        self.redaction = settings;
        self
    }

    /// Resolves one key for `ctx`: allowlist, then workflow, workspace and personal
    /// scopes (or the share-link rules), as DESIGN.md fixes them. One store round trip
    /// (`get_first`). The value joins no redactor: use a [`Step`] for that.
    ///
    /// # Errors
    ///
    /// `missing_credential` with its reason; `store` when the store fails (never
    /// reported as not found); `tampered` or `unknown_key_id` when a record does not open.
    pub async fn resolve(&self, ctx: &RunContext, key: &SecretKey) -> Result<Resolved, Error> {
        self.resolve_in(ctx, ctx.scopes(), key).await
    }

    pub(super) async fn resolve_in(
        &self,
        ctx: &RunContext,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Resolved, Error> {
        let found = match rules::plan(ctx, key) {
            Plan::Refuse(reason) => Found::Missing(reason),
            Plan::Provided(value) => Found::Provided(value),
            Plan::Lookup => match self.store.get_first(scopes, key).await {
                Ok(record) => Self::settle(ctx, key, record, false),
                Err(err) => return Err(self.failed(ctx, key, err.into())),
            },
        };
        self.open(ctx, key, found)
    }

    /// Turns what the store said into a [`Found`]. `agent`: a personal value counts
    /// only for an allowlisted key.
    pub(super) fn settle<'c>(
        ctx: &'c RunContext,
        key: &SecretKey,
        record: Option<StoredSecret>,
        agent: bool,
    ) -> Found<'c> {
        let record = record.filter(|r| {
            !agent
                || !matches!(r.meta.scope, Scope::Personal { .. })
                || ctx.policy().agent_may_take_personal(key)
        });
        match record {
            Some(record) => Found::Stored(record),
            None => match rules::on_miss(ctx, key) {
                Ok(value) => Found::Provided(value),
                Err(reason) => Found::Missing(reason),
            },
        }
    }

    /// Opens a found record (or takes the provided value), and audits the outcome.
    pub(super) fn open(
        &self,
        ctx: &RunContext,
        key: &SecretKey,
        found: Found<'_>,
    ) -> Result<Resolved, Error> {
        let (resolved, scope) = match found {
            Found::Missing(reason) => {
                let err = Error::MissingCredential {
                    key: key.clone(),
                    reason,
                };
                return Err(self.failed(ctx, key, err));
            }
            Found::Provided(value) => {
                let source = Source::Provided;
                let charged_to = source.holder(ctx.workspace());
                (
                    Resolved {
                        value: value.clone(),
                        source,
                        charged_to,
                    },
                    None,
                )
            }
            Found::Stored(record) => {
                let StoredSecret { meta, sealed } = record;
                let value = match self
                    .vault
                    .unseal(&meta.scope, &meta.key, meta.version, &sealed)
                {
                    Ok(value) => value,
                    Err(err) => return Err(self.failed(ctx, key, err)),
                };
                let source = Source::of(&meta.scope, meta.version);
                let charged_to = source.holder(ctx.workspace());
                (
                    Resolved {
                        value,
                        source,
                        charged_to,
                    },
                    Some(meta.scope),
                )
            }
        };
        if let Some(sink) = &self.audit {
            let mut event = self.run_event(ctx, key);
            event.scope = scope;
            event.version = resolved.source.version();
            sink.record(event);
        }
        Ok(resolved)
    }

    fn run_event(&self, ctx: &RunContext, key: &SecretKey) -> AuditEvent {
        let mut event = AuditEvent::new(
            self.clock.now(),
            AuditKind::Resolved,
            ctx.workspace().clone(),
        );
        event.actor = ctx.trigger().clicking_user().cloned();
        event.run = Some((
            ctx.workflow().clone(),
            ctx.trigger().clone(),
            ctx.is_shared(),
        ));
        event.keys = vec![key.clone()];
        event
    }

    /// Audits a failed resolution and hands the error back.
    pub(super) fn failed(&self, ctx: &RunContext, key: &SecretKey, err: Error) -> Error {
        if let Some(sink) = &self.audit {
            let mut event = self.run_event(ctx, key);
            event.outcome = Err(err.code());
            sink.record(event);
        }
        err
    }

    fn denied(&self, actor: &Actor, err: Error) -> Error {
        if let Some(sink) = &self.audit {
            let mut event =
                AuditEvent::new(self.clock.now(), AuditKind::Denied, actor.workspace.clone());
            event.actor = Some(actor.user.clone());
            event.outcome = Err(err.code());
            sink.record(event);
        }
        err
    }

    /// Explains, scope by scope, why `ctx` gets (or misses) `key`, for `viewer`: what
    /// each scope said, without values. Personal scopes of other users show as
    /// [`Verdict::Withheld`].
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
        access::check_tenancy(viewer, ctx.workspace()).map_err(|e| self.denied(viewer, e))?;
        let mut scopes = ctx.scopes().to_vec();
        let personal_fallback = scopes.len() == 3;
        if !personal_fallback {
            // Name the personal scope the run would read as a member run, to say why not.
            scopes.push(Scope::personal(
                ctx.workspace().clone(),
                ctx.owner().clone(),
            ));
        }
        let skip_all = match rules::plan(ctx, key) {
            Plan::Refuse(MissingReason::NotAllowed) => Some(SkipReason::NotAllowed),
            Plan::Lookup => None,
            Plan::Refuse(_) | Plan::Provided(_) => Some(SkipReason::NotLent),
        };
        let mut consulted = Vec::with_capacity(scopes.len());
        let mut outcome = None;
        for (i, scope) in scopes.iter().enumerate() {
            let verdict = if skip_all == Some(SkipReason::NotAllowed) {
                Verdict::Skipped(SkipReason::NotAllowed)
            } else if i == 2 && !personal_fallback {
                Verdict::Skipped(SkipReason::NoPersonalFallback)
            } else if let Some(why) = skip_all {
                Verdict::Skipped(why)
            } else if outcome.is_some() {
                Verdict::Skipped(SkipReason::Shadowed)
            } else {
                let record = self.store.get(scope, key).await?;
                let withheld =
                    matches!(scope, Scope::Personal { user, .. } if *user != viewer.user);
                match record {
                    Some(r) => {
                        outcome = Some(Source::of(scope, r.meta.version));
                        if withheld {
                            Verdict::Withheld
                        } else {
                            Verdict::Supplied {
                                version: r.meta.version,
                            }
                        }
                    }
                    None if withheld => Verdict::Withheld,
                    None => Verdict::Empty,
                }
            };
            consulted.push(Consulted {
                scope: scope.clone(),
                verdict,
            });
        }
        let outcome = match (outcome, rules::plan(ctx, key)) {
            (Some(source), _) => Ok(source),
            (None, Plan::Refuse(reason)) => Err(reason),
            (None, Plan::Provided(_)) => Ok(Source::Provided),
            (None, Plan::Lookup) => rules::on_miss(ctx, key).map(|_| Source::Provided),
        };
        Ok(Explanation {
            key: key.clone(),
            consulted,
            outcome,
        })
    }

    /// One workflow run: its steps and its redactor.
    pub fn run(&self, ctx: &RunContext) -> Run<'_, S> {
        Run::new(self, ctx.clone())
    }

    /// A step outside a [`Run`]; it keeps its own copy of `ctx`.
    pub fn step(&self, ctx: &RunContext) -> Step<'_, S> {
        Step::alone(self, ctx.clone())
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
        let allowed = refs.references.iter().filter(|k| ctx.policy().allows(k));
        let (lendable, required): (Vec<SecretKey>, Vec<SecretKey>) =
            allowed.cloned().partition(|k| rules::lends(ctx, k));
        let mut required: BTreeSet<SecretKey> = required.into_iter().collect();
        if !lendable.is_empty() {
            let found = self.store.get_many(ctx.scopes(), &lendable).await?;
            required.extend(
                lendable
                    .into_iter()
                    .zip(found)
                    .filter(|(_, r)| r.is_none())
                    .map(|(k, _)| k),
            );
        }
        Ok(required)
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
        access::check_tenancy(viewer, ctx.workspace()).map_err(|e| self.denied(viewer, e))?;
        let workspace = ctx.workspace().clone();
        let scopes = [
            Scope::workflow(workspace.clone(), ctx.workflow().clone()),
            Scope::workspace(workspace.clone()),
            Scope::personal(workspace, viewer.user.clone()),
        ];
        let lists = self.store.list_many(&scopes).await?;
        Ok(scopes
            .into_iter()
            .zip(lists)
            .map(|(scope, metas)| {
                let keys = metas
                    .into_iter()
                    .map(|m| m.key)
                    .filter(|k| ctx.policy().allows(k));
                (scope, keys.collect())
            })
            .collect())
    }

    /// Checks every credential a workflow references before any step runs: one
    /// `get_many`, no value opened.
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
        let mut missing = Vec::new();
        let mut lookups = Vec::new();
        for key in &refs.references {
            match rules::plan(ctx, key) {
                Plan::Refuse(reason) => missing.push(Missing {
                    key: key.clone(),
                    reason,
                }),
                Plan::Provided(_) => {}
                Plan::Lookup => lookups.push(key.clone()),
            }
        }
        if !lookups.is_empty() {
            let found = self.store.get_many(ctx.scopes(), &lookups).await?;
            for (key, record) in lookups.into_iter().zip(found) {
                if let (None, Err(reason)) = (record, rules::on_miss(ctx, &key)) {
                    missing.push(Missing { key, reason });
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_by(|a, b| a.key.cmp(&b.key));
        Err(Error::MissingCredentials { missing })
    }
}
