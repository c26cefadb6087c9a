//! The resolution pipeline: every path from a run to a value, and every rule on it.
//!
//! One key goes through four stages, each written once here:
//!
//! 1. **route** (no I/O): the allowlist, then where the value may come from: the
//!    run's scopes (a member run, or a shared run for a key the owner lends) or only
//!    the runner (a shared run, a key not lent);
//! 2. **lookup**: one store round trip for the whole stage: `find_sealed` for one
//!    key, `get_many` for several (one snapshot), `list_many` to enumerate an agent's
//!    keys; a record comes back located at a scope it was asked for, by position;
//! 3. **settle** (no I/O): the record, the runner's value, or why there is none; the
//!    agent rule (personal values only for allowlisted keys) applies here;
//! 4. **open**: unseal with the scope and key that were asked for, and audit.
//!
//! `Resolver::{resolve, explain, preflight, required_inputs, available}` and
//! `Step::{credential, prefetch, render, render_with, all_available}` are adapters
//! over these stages; `explain` is a trace of stages 1 to 3, so it cannot disagree with
//! what a run does. The rules are those of [`guide`](crate::guide).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use super::context::{Access, RunContext, WorkflowPolicy};
use super::explain::{Consulted, Explanation, Outcome, SkipReason, Verdict};
use super::outcome::{Resolved, Source};
use super::refusal::{TemplateRefusal, TemplateRefusalReason};
use super::template::Template;
use super::usage::Recorder;
use crate::access::{self, Operation};
use crate::audit::{AuditEvent, AuditKind, AuditRun, AuditSink};
use crate::crypto::Vault;
use crate::redact::{PlatformRedactor, Redactor};
use crate::store::{FoundSealed, SecretMeta, SecretStore, StoreError};
use crate::vocab::{
    Actor, Clock, Error, MissingReason, Scope, SecretKey, SecretValue, SystemClock, Trigger, UserId,
};

/// What resolution shares between a [`Resolver`](crate::Resolver), its clones, and
/// every run and step they start.
pub(crate) struct Core<S> {
    pub(crate) vault: Vault,
    pub(crate) store: Arc<S>,
    pub(crate) audit: Option<Arc<dyn AuditSink>>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The settings of every run's and step's redactor, with the host's own values
    /// compiled once: each run and step forks it (see `Redactor::fork`).
    pub(crate) redaction: Redactor,
    /// The host's process-wide redactor, fed every value opened from the store.
    pub(crate) platform: Option<PlatformRedactor>,
    /// Usage recording, when on: shared by every clone.
    pub(crate) usage: Option<Arc<Recorder>>,
}

// By hand: every field is a cheap handle, whatever `S` is (a derive would ask `S: Clone`).
impl<S> Clone for Core<S> {
    fn clone(&self) -> Self {
        Core {
            vault: self.vault.clone(),
            store: self.store.clone(),
            audit: self.audit.clone(),
            clock: self.clock.clone(),
            redaction: self.redaction.clone(),
            platform: self.platform.clone(),
            usage: self.usage.clone(),
        }
    }
}

/// Stage 1: where one key's value may come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// Refused before anything is read.
    Refused(MissingReason),
    /// Read the run's scopes in order; on a miss, [`Miss`] says what happens.
    Store(Miss),
    /// A shared run, a key the owner does not lend: only the runner's value fills it.
    Runner,
}

/// What a [`Route::Store`] does when no scope holds the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Miss {
    /// A member run: `not_found`.
    NotFound,
    /// A shared run, a lent key the owner holds none of: the runner's value, if any.
    Runner,
}

/// Who a value is for: a code step names its key; an agent takes what it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `credential`, `prefetch`, `render`, `resolve`: the key was named by the workflow.
    Named,
    /// `all_available`: an agent step, which a webhook's payload or a prompt can steer.
    Agent,
}

/// Stage 2's answer for one key: the sealed value and the index of the run scope that
/// held it.
pub(crate) type Located = Option<FoundSealed>;

/// Stage 3: one key's outcome before its value is opened.
// Short-lived, one per key, moved once into `open`: boxing the record would cost an
// allocation per resolution for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Settled<'c> {
    /// The sealed value at the run's scope `found.at`.
    Stored(FoundSealed),
    /// The runner's own value.
    Provided(&'c SecretValue),
    /// No value, and why.
    Missing(MissingReason),
}

/// The scopes a run reads, in precedence order: the workflow's, the workspace's, then
/// the fallback user's personal scope, if the run has one.
pub(crate) fn scopes(ctx: &RunContext) -> Arc<[Scope]> {
    let mut scopes = vec![
        Scope::workflow(ctx.workspace.clone(), ctx.workflow.clone()),
        Scope::workspace(ctx.workspace.clone()),
    ];
    if let Some(user) = fallback_user(ctx) {
        scopes.push(Scope::personal(ctx.workspace.clone(), user.clone()));
    }
    scopes.into()
}

/// The user whose personal scope is the fallback: who clicked Run for a manual run,
/// the owner for an API, webhook or schedule run and for a share link that lends the
/// owner's credentials; `None` for a share link that lends nothing, and for a member
/// run that names the share-link trigger.
fn fallback_user(ctx: &RunContext) -> Option<&UserId> {
    match (&ctx.access, &ctx.trigger) {
        (Access::SharedLink { .. }, _) if !ctx.policy.sharing.owner_credentials => None,
        (Access::SharedLink { .. }, _) => Some(&ctx.owner),
        (Access::Member, Trigger::Manual { user }) => Some(user),
        // A share-link trigger on a run not marked shared is a host's slip: fail
        // closed, no personal fallback.
        (Access::Member, Trigger::ShareLink) => None,
        (Access::Member, _) => Some(&ctx.owner),
    }
}

/// Stage 1. The allowlist first, on every path; then lending, which differs for an
/// agent: a shared run's agent is steered by the runner's prompt, so it receives the
/// runner's own values only, or, when the owner lends credentials to agents, the
/// lent values only, never the two together.
pub(crate) fn route(ctx: &RunContext, key: &SecretKey, purpose: Purpose) -> Route {
    if !allows(ctx, key) {
        return Route::Refused(MissingReason::NotAllowed);
    }
    match (&ctx.access, purpose) {
        (Access::Member, _) => Route::Store(Miss::NotFound),
        (Access::SharedLink { .. }, Purpose::Agent) if lends_to_agents(ctx) => {
            if lends(ctx, key) {
                Route::Store(Miss::NotFound)
            } else {
                Route::Refused(MissingReason::MustBeProvided)
            }
        }
        (Access::SharedLink { .. }, Purpose::Agent) => Route::Runner,
        (Access::SharedLink { .. }, Purpose::Named) if lends(ctx, key) => {
            Route::Store(Miss::Runner)
        }
        (Access::SharedLink { .. }, Purpose::Named) => Route::Runner,
    }
}

/// The allowlist of `ctx`'s workflow admits `key`.
pub(crate) fn allows(ctx: &RunContext, key: &SecretKey) -> bool {
    admits(&ctx.policy, key)
}

/// The allowlist rule: `None` admits every key, `Some(keys)` only those.
pub(crate) fn admits(policy: &WorkflowPolicy, key: &SecretKey) -> bool {
    policy
        .allowlist
        .as_ref()
        .is_none_or(|keys| keys.contains(key))
}

/// Whether a shared run may lend the owner's value of `key`: owner credentials on and
/// the key declared by the workflow. (Lending also needs a stored value.)
fn lends(ctx: &RunContext, key: &SecretKey) -> bool {
    ctx.policy.sharing.owner_credentials && ctx.policy.references.contains(key)
}

/// Whether a shared run's agents receive the owner's lent values (instead of the
/// runner's own): owner credentials on, and the owner's separate consent for agents.
fn lends_to_agents(ctx: &RunContext) -> bool {
    ctx.policy.sharing.owner_credentials && ctx.policy.sharing.owner_credentials_for_agents
}

/// The agent rule, for a value from `source`: an agent step (steered by a webhook's
/// payload or a runner's prompt) receives a personal value only for a key the
/// allowlist names; in a shared run, the runner's values only, or with the owner's
/// consent the lent values only, never the two together.
pub(crate) fn agent_may_take(ctx: &RunContext, key: &SecretKey, source: &Source) -> bool {
    let listed = || {
        ctx.policy
            .allowlist
            .as_ref()
            .is_some_and(|keys| keys.contains(key))
    };
    let lent_side = match (&ctx.access, source) {
        (Access::Member, _) => true,
        (Access::SharedLink { .. }, Source::Provided) => return !lends_to_agents(ctx),
        (Access::SharedLink { .. }, _) => lends_to_agents(ctx),
    };
    lent_side && (!matches!(source, Source::Personal { .. }) || listed())
}

/// What one template of a run combines, by where its values come from: decided from
/// stages 1 to 3 (and the host's answers), before any value is opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Mix {
    /// A value the owner lends (stored, opened for the run).
    pub(crate) lent: bool,
    /// A key's value the runner provides (or must provide).
    pub(crate) provided: bool,
    /// Run data: a host variable that is not a constant of the workflow.
    pub(crate) run_data: bool,
}

/// The share-link template rule. In a shared run, a template that combines a lent value
/// with a value the runner chose would let the runner decide where the lent value
/// goes, so it is refused: always with a provided key (the runner picks it outright,
/// and a lent key the owner holds none of falls to the runner), and with run data
/// unless the owner marked this template. A member run has no lent values.
pub(crate) fn template_refusal(
    ctx: &RunContext,
    template: &Template,
    mix: Mix,
) -> Option<TemplateRefusalReason> {
    if !ctx.is_shared() || !mix.lent {
        return None;
    }
    if mix.provided {
        return Some(TemplateRefusalReason::LentWithProvided);
    }
    if mix.run_data && !ctx.policy.run_data_templates.contains(template) {
        return Some(TemplateRefusalReason::LentWithRunData);
    }
    None
}

/// Stage 3. What the route and the store's answer give, for `purpose`.
pub(crate) fn settle<'c>(
    ctx: &'c RunContext,
    key: &SecretKey,
    route: Route,
    found: Located,
    purpose: Purpose,
) -> Settled<'c> {
    let runner = || match &ctx.access {
        Access::SharedLink { provided } => match provided.get(key) {
            Some(value) => Settled::Provided(value),
            None => Settled::Missing(MissingReason::MustBeProvided),
        },
        Access::Member => Settled::Missing(MissingReason::NotFound),
    };
    match route {
        Route::Refused(reason) => Settled::Missing(reason),
        Route::Runner => runner(),
        Route::Store(miss) => {
            let found = found.filter(|f| {
                purpose == Purpose::Named
                    || agent_may_take(ctx, key, &Source::of(&ctx.scopes[f.at], f.version))
            });
            match (found, miss) {
                (Some(found), _) => Settled::Stored(found),
                (None, Miss::NotFound) => Settled::Missing(MissingReason::NotFound),
                (None, Miss::Runner) => runner(),
            }
        }
    }
}

/// A store's lean answer, checked: its position names one of the run's scopes.
///
/// A record is opened with the scope and key that were *asked for*, never with the
/// ones it declares: a whole record (from `get_many`) that declares a scope or key
/// outside the request is refused by [`FoundSealed::of`] before any unseal, and a
/// lean answer names its scope by position, so a moved record fails to open.
fn in_range(scopes: &[Scope], found: FoundSealed) -> Result<FoundSealed, Error> {
    match found.at < scopes.len() {
        true => Ok(found),
        false => {
            Err(StoreError::corrupt("the store named a scope position outside the request").into())
        }
    }
}

/// The keys of each listing, checked against the scope it was asked for: a listing
/// that names another scope is a store fault (a moved row), refused.
pub(crate) fn listed_keys(
    scopes: &[Scope],
    lists: Vec<Vec<SecretMeta>>,
) -> Result<Vec<Vec<SecretKey>>, Error> {
    if lists.len() != scopes.len() {
        return Err(StoreError::corrupt(
            "the store answered list_many with a different number of listings",
        )
        .into());
    }
    scopes
        .iter()
        .zip(lists)
        .map(|(scope, metas)| {
            metas
                .into_iter()
                .map(|meta| match meta.scope == *scope {
                    true => Ok(meta.key),
                    false => Err(StoreError::corrupt(
                        "the store listed a record of a scope it was not asked for",
                    )
                    .into()),
                })
                .collect()
        })
        .collect()
}

impl<S: SecretStore> Core<S> {
    pub(crate) fn new(vault: Vault, store: S) -> Self {
        Core {
            vault,
            store: Arc::new(store),
            audit: None,
            clock: Arc::new(SystemClock),
            redaction: Redactor::builder().labelled(true).build(),
            platform: None,
            usage: None,
        }
    }

    /// One key, named: route, one `find_sealed`, settle, open.
    pub(crate) async fn resolve(
        &self,
        ctx: &RunContext,
        key: &SecretKey,
    ) -> Result<Resolved, Error> {
        let route = route(ctx, key, Purpose::Named);
        let found = match route {
            Route::Store(_) => match self.lookup(ctx, key).await {
                Ok(found) => found,
                Err(err) => return Err(self.failed(ctx, std::slice::from_ref(key), err)),
            },
            Route::Refused(_) | Route::Runner => None,
        };
        let settled = settle(ctx, key, route, found, Purpose::Named);
        self.open(ctx, key, settled)
    }

    /// Stage 2 for one key.
    async fn lookup(&self, ctx: &RunContext, key: &SecretKey) -> Result<Located, Error> {
        match self.store.find_sealed(&ctx.scopes, key).await? {
            Some(found) => Ok(Some(in_range(&ctx.scopes, found)?)),
            None => Ok(None),
        }
    }

    /// Stages 1 to 3 for several keys, with one `get_many` (one snapshot) for every
    /// key routed to the store. Nothing is opened.
    pub(crate) async fn settle_many<'c>(
        &self,
        ctx: &'c RunContext,
        keys: &[SecretKey],
        purpose: Purpose,
    ) -> Result<Vec<Settled<'c>>, Error> {
        let routes: Vec<Route> = keys.iter().map(|k| route(ctx, k, purpose)).collect();
        let lookups: Vec<SecretKey> = keys
            .iter()
            .zip(&routes)
            .filter(|(_, r)| matches!(r, Route::Store(_)))
            .map(|(k, _)| k.clone())
            .collect();
        let mut found = if lookups.is_empty() {
            Vec::new()
        } else {
            match self.store.get_many(&ctx.scopes, &lookups).await {
                Ok(found) => found,
                Err(err) => return Err(self.failed(ctx, &lookups, err.into())),
            }
        };
        if found.len() != lookups.len() {
            let err = StoreError::corrupt(
                "the store answered get_many with a different number of records",
            );
            return Err(self.failed(ctx, &lookups, err.into()));
        }
        let mut located = Vec::with_capacity(lookups.len());
        for (key, record) in lookups.iter().zip(found.drain(..)) {
            let checked = record.map(|r| FoundSealed::of(&ctx.scopes, key, r));
            match checked.transpose() {
                Ok(l) => located.push(l),
                Err(err) => return Err(self.failed(ctx, std::slice::from_ref(key), err.into())),
            }
        }
        let mut located = located.into_iter();
        Ok(keys
            .iter()
            .zip(routes)
            .map(|(key, route)| {
                let found = match route {
                    Route::Store(_) => located.next().flatten(),
                    Route::Refused(_) | Route::Runner => None,
                };
                settle(ctx, key, route, found, purpose)
            })
            .collect())
    }

    /// Stages 1 to 4 for several keys from one snapshot; each key opened and audited
    /// on its own.
    pub(crate) async fn resolve_many(
        &self,
        ctx: &RunContext,
        keys: &[SecretKey],
        purpose: Purpose,
    ) -> Result<Vec<Result<Resolved, Error>>, Error> {
        let settled = self.settle_many(ctx, keys, purpose).await?;
        Ok(keys
            .iter()
            .zip(settled)
            .map(|(key, settled)| self.open(ctx, key, settled))
            .collect())
    }

    /// The keys an agent step may be offered, sorted, before stage 1: a member run's
    /// every stored name in its scopes (one `list_many`); a shared run's runner's own
    /// keys, or, when the owner lends credentials to agents, the lent keys.
    pub(crate) async fn agent_keys(&self, ctx: &RunContext) -> Result<Vec<SecretKey>, Error> {
        let mut keys: Vec<SecretKey> = match &ctx.access {
            Access::Member => {
                let lists = self.store.list_many(&ctx.scopes).await?;
                listed_keys(&ctx.scopes, lists)?
                    .into_iter()
                    .flatten()
                    .collect()
            }
            // A shared run's agent is offered one side only (see `route`).
            Access::SharedLink { .. } if lends_to_agents(ctx) => {
                let lent = ctx.policy.references.iter().filter(|k| lends(ctx, k));
                lent.cloned().collect()
            }
            Access::SharedLink { provided } => provided.keys().cloned().collect(),
        };
        keys.sort();
        keys.dedup();
        keys.retain(|k| allows(ctx, k));
        Ok(keys)
    }

    /// Stage 4: opens a settled key with the scope and key that were asked for, and
    /// audits the outcome.
    pub(crate) fn open(
        &self,
        ctx: &RunContext,
        key: &SecretKey,
        settled: Settled<'_>,
    ) -> Result<Resolved, Error> {
        // The scope is the run's own (`at` indexes `ctx.scopes`): borrowed, and cloned
        // only into an audit event, so a resolution without a sink touches no
        // reference count for it.
        let (resolved, scope) = match settled {
            Settled::Missing(reason) => return Err(self.missing(ctx, key, reason)),
            Settled::Provided(value) => (Resolved::new(value.clone(), Source::Provided, ctx), None),
            Settled::Stored(found) => {
                let scope = &ctx.scopes[found.at];
                let version = found.version;
                match self.vault.unseal(scope, key, version, &found.sealed) {
                    Ok(value) => {
                        // Masked process-wide before any caller holds it. (A runner's
                        // provided value is not: see `PlatformRedactor`.)
                        if let Some(platform) = &self.platform {
                            platform.note(&value);
                        }
                        // In memory, no I/O: the host's flush writes it.
                        if let Some(usage) = &self.usage {
                            let seed = ctx.usage_seeds.at(&ctx.scopes, &ctx.workflow, found.at);
                            usage.note(seed, scope, key, &ctx.workflow, self.clock.now());
                        }
                        (
                            Resolved::new(value, Source::of(scope, version), ctx),
                            Some(scope),
                        )
                    }
                    Err(err) => return Err(self.failed(ctx, std::slice::from_ref(key), err)),
                }
            }
        };
        if let Some(sink) = &self.audit {
            let mut event = self.run_event(ctx, std::slice::from_ref(key));
            event.scope = scope.cloned();
            event.version = resolved.source.version();
            sink.record(event);
        }
        Ok(resolved)
    }

    /// Audits that `key` has no value for the run, and says why.
    pub(crate) fn missing(
        &self,
        ctx: &RunContext,
        key: &SecretKey,
        reason: MissingReason,
    ) -> Error {
        let err = Error::MissingCredential {
            key: key.clone(),
            reason,
        };
        self.failed(ctx, std::slice::from_ref(key), err)
    }

    /// Every template of `templates` a shared run will refuse, and why: stages 1 to 3
    /// for every key they reference (one `get_many`), nothing opened. A key the runner
    /// must still bring counts as provided (the template cannot render either way),
    /// and every host variable that is not a constant counts as run data (the host's
    /// answers are not known yet). A member run refuses none and reads nothing.
    pub(crate) async fn template_refusals(
        &self,
        ctx: &RunContext,
        templates: &[Template],
    ) -> Result<Vec<TemplateRefusal>, Error> {
        if !ctx.is_shared() {
            return Ok(Vec::new());
        }
        let keys: BTreeSet<&SecretKey> = templates.iter().flat_map(Template::references).collect();
        let keys: Vec<SecretKey> = keys.into_iter().cloned().collect();
        let settled = self.settle_many(ctx, &keys, Purpose::Named).await?;
        // `Some(true)`: lent; `Some(false)`: the runner's; `None`: neither.
        let lent: BTreeMap<&SecretKey, Option<bool>> = keys
            .iter()
            .zip(&settled)
            .map(|(key, s)| {
                let side = match s {
                    Settled::Stored(_) => Some(true),
                    Settled::Provided(_) | Settled::Missing(MissingReason::MustBeProvided) => {
                        Some(false)
                    }
                    Settled::Missing(_) => None,
                };
                (key, side)
            })
            .collect();
        let mut refusals = Vec::new();
        for (i, template) in templates.iter().enumerate() {
            let side = |want: bool| {
                template
                    .references()
                    .filter(|k| lent.get(k).copied().flatten() == Some(want))
                    .cloned()
                    .collect::<Vec<SecretKey>>()
            };
            let (lent_keys, provided) = (side(true), side(false));
            let mut seen = HashSet::new();
            let run_data: Vec<String> = template
                .host_variables()
                .filter(|name| !ctx.policy.constants.contains_key(*name) && seen.insert(*name))
                .map(str::to_owned)
                .collect();
            let mix = Mix {
                lent: !lent_keys.is_empty(),
                provided: !provided.is_empty(),
                run_data: !run_data.is_empty(),
            };
            if let Some(reason) = template_refusal(ctx, template, mix) {
                refusals.push(TemplateRefusal {
                    template: i,
                    reason,
                    lent: lent_keys,
                    provided,
                    run_data,
                });
            }
        }
        Ok(refusals)
    }

    fn run_event(&self, ctx: &RunContext, keys: &[SecretKey]) -> AuditEvent {
        let mut event =
            AuditEvent::new(self.clock.now(), AuditKind::Resolved, ctx.workspace.clone());
        event.actor = ctx.trigger.clicking_user().cloned();
        event.run = Some(AuditRun::new(
            ctx.workflow.clone(),
            ctx.trigger.clone(),
            ctx.is_shared(),
        ));
        event.keys = keys.to_vec();
        event
    }

    /// Audits a failed resolution of `keys` and hands the error back.
    fn failed(&self, ctx: &RunContext, keys: &[SecretKey], err: Error) -> Error {
        if let Some(sink) = &self.audit {
            let mut event = self.run_event(ctx, keys);
            event.outcome = Err(err.kind());
            sink.record(event);
        }
        err
    }

    /// Audits a refused diagnostic call and hands the error back.
    pub(crate) fn denied(&self, actor: &Actor, err: Error) -> Error {
        if let Some(sink) = &self.audit {
            let mut event =
                AuditEvent::new(self.clock.now(), AuditKind::Denied, actor.workspace.clone());
            event.actor = Some(actor.user.clone());
            event.outcome = Err(err.kind());
            sink.record(event);
        }
        err
    }

    /// A trace of stages 1 to 3 for `key`, as `viewer` may see it.
    ///
    /// The scopes are the run's, plus, for a run that reads no personal scope, the
    /// owner's (to say why it is not read). A scope the viewer may not list shows as
    /// withheld whether or not it holds the key, and when such a scope decides the
    /// outcome (it holds the value, or it is the last one read and nothing was found),
    /// the outcome is withheld too.
    pub(crate) async fn explain(
        &self,
        ctx: &RunContext,
        key: &SecretKey,
        viewer: &Actor,
    ) -> Result<Explanation, Error> {
        access::check_tenancy(viewer, &ctx.workspace).map_err(|e| self.denied(viewer, e))?;
        let route = route(ctx, key, Purpose::Named);
        let found = match route {
            Route::Store(_) => self.lookup(ctx, key).await?,
            Route::Refused(_) | Route::Runner => None,
        };
        let listable = |scope: &Scope| access::allows(viewer, Operation::List, scope, None);
        let found_at = found.as_ref().map(|f| (f.at, f.version));
        let mut consulted: Vec<Consulted> = ctx
            .scopes
            .iter()
            .enumerate()
            .map(|(i, scope)| {
                let verdict = match (route, found_at) {
                    (Route::Refused(MissingReason::NotAllowed), _) => {
                        Verdict::Skipped(SkipReason::NotAllowed)
                    }
                    (Route::Refused(_) | Route::Runner, _) => Verdict::Skipped(SkipReason::NotLent),
                    (Route::Store(_), Some((at, _))) if i > at => {
                        Verdict::Skipped(SkipReason::Shadowed)
                    }
                    (Route::Store(_), _) if !listable(scope) => Verdict::Withheld,
                    (Route::Store(_), Some((at, version))) if i == at => {
                        Verdict::Supplied { version }
                    }
                    (Route::Store(_), _) => Verdict::Empty,
                };
                Consulted::new(scope.clone(), verdict)
            })
            .collect();
        if fallback_user(ctx).is_none() {
            let verdict = match route {
                Route::Refused(MissingReason::NotAllowed) => {
                    Verdict::Skipped(SkipReason::NotAllowed)
                }
                _ => Verdict::Skipped(SkipReason::NoPersonalFallback),
            };
            let owners = Scope::personal(ctx.workspace.clone(), ctx.owner.clone());
            consulted.push(Consulted::new(owners, verdict));
        }
        // The scope that decides: the one that held the value, else the last one read.
        let deciding = match (route, found_at) {
            (Route::Store(_), Some((at, _))) => ctx.scopes.get(at),
            (Route::Store(_), None) => ctx.scopes.last(),
            (Route::Refused(_) | Route::Runner, _) => None,
        };
        let outcome = if deciding.is_some_and(|scope| !listable(scope)) {
            Outcome::Withheld
        } else {
            match settle(ctx, key, route, found, Purpose::Named) {
                Settled::Stored(found) => {
                    Outcome::Supplied(Source::of(&ctx.scopes[found.at], found.version))
                }
                Settled::Provided(_) => Outcome::Supplied(Source::Provided),
                Settled::Missing(reason) => Outcome::Missing(reason),
            }
        };
        Ok(Explanation::new(key.clone(), consulted, outcome))
    }
}
