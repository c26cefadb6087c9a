//! `Run` and `Step`: first-use resolution, held until the step ends, with live redactors.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use subtle::ConstantTimeEq;

use super::context::RunContext;
use super::outcome::{Resolved, Source};
use super::pipeline::{self, Core, Mix, Purpose, Settled};
use super::template::{Segment, Template};
use crate::redact::Redactor;
use crate::store::SecretStore;
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;
use crate::vocab::{Error, Missing};

/// One workflow run: it hands out [`Step`]s and keeps the run's redactor.
///
/// Steps may run concurrently; each resolves on its own, so a rotation during the
/// run shows in the next step that starts.
///
/// A run owns what it needs (a handle to its resolver's core and its context), so it
/// is `'static + Send + Sync` when the store is: keep it in a registry, share it
/// between tasks behind an `Arc`, and hand each step to a task of its own.
pub struct Run<S> {
    core: Arc<Core<S>>,
    ctx: Arc<RunContext>,
    masking: Arc<RunMasking>,
}

/// The run's redactor, and which values its steps have registered with it.
struct RunMasking {
    redactor: Redactor,
    /// Each key's values registered so far (a rotation mid-run brings a second).
    /// Every step resolves its keys afresh and registers them: without this a run
    /// of thousands of steps queued the same values thousands of times, and the
    /// first read after compiled them all under the set's lock (1.8 s after 51,000
    /// steps of 3 keys).
    added: Mutex<HashMap<SecretKey, Vec<SecretValue>>>,
}

impl RunMasking {
    /// Registers `value` under `key` with the run's redactor, unless a step already did.
    fn register(&self, key: &SecretKey, value: &SecretValue) {
        let mut added = self.added.lock().unwrap_or_else(PoisonError::into_inner);
        let values = added.entry(key.clone()).or_default();
        let same = |v: &SecretValue| {
            bool::from(
                v.expose_secret()
                    .as_bytes()
                    .ct_eq(value.expose_secret().as_bytes()),
            )
        };
        if !values.iter().any(same) {
            values.push(value.clone());
            self.redactor.add(Some(key), value);
        }
    }
}

impl<S> fmt::Debug for Run<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl<S: SecretStore> Run<S> {
    pub(super) fn new(core: Arc<Core<S>>, ctx: RunContext) -> Self {
        let masking = Arc::new(RunMasking {
            redactor: core.redaction.fork(),
            added: Mutex::new(HashMap::new()),
        });
        Run {
            core,
            ctx: Arc::new(ctx),
            masking,
        }
    }

    /// Starts a step of this run. The step owns its handles: it may outlive this
    /// `Run` value and move to another task; its values still join the run's redactor.
    pub fn step(&self) -> Step<S> {
        Step {
            core: self.core.clone(),
            ctx: self.ctx.clone(),
            run: Some(self.masking.clone()),
            redactor: self.core.redaction.fork(),
            held: Mutex::new(HashMap::new()),
        }
    }

    /// The run's context.
    pub fn context(&self) -> &RunContext {
        &self.ctx
    }

    /// The run's redactor: live, it masks every value any step of this run resolved,
    /// now or later. A shared run's masks the owner's lent values only.
    pub fn redactor(&self) -> Redactor {
        self.masking.redactor.clone()
    }
}

/// One step of a run: resolves each credential at its first use and holds it until
/// the step is dropped, so a rotation mid-step is invisible to it.
///
/// Methods take `&self` (an internal mutex, never held across an await), so a step
/// can hold several credentials at once and its futures are `Send`.
///
/// # Example
///
/// ```
/// use workflow_secrets::{
///     Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey,
///     SecretValue, Secrets, Template, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
/// };
///
/// # fn main() -> Result<(), Error> { pollster::block_on(async {
/// # let vault = Vault::new(LocalKeyring::generate());
/// # let store = std::sync::Arc::new(MemoryStore::new());
/// # let acme = WorkspaceId::new("acme")?;
/// # let admin = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
/// # Secrets::new(vault.clone(), store.clone()).create(&admin, &Scope::workspace(acme.clone()),
/// #     &SecretKey::new("API_KEY")?, SecretValue::new("sk-live-123456")?).await?;
/// let resolver = Resolver::new(vault, store);
/// let ctx = RunContext::manual(acme, WorkflowId::new("wf")?, admin.user.clone(), admin.user);
/// let run = resolver.run(&ctx);
/// let step = run.step();
/// let header = step.render(&Template::parse("Bearer {{API_KEY}}")?).await?;
/// assert_eq!(header.expose_secret(), "Bearer sk-live-123456");
/// // Log through the step's redactor: the plaintext goes to the masking writer
/// // as bytes, never through a formatter or into a log buffer of its own.
/// use std::io::Write;
/// let mut log = step.redactor().writer(Vec::new());
/// log.write_all(b"sent ").unwrap();
/// log.write_all(header.expose_secret().as_bytes()).unwrap();
/// let log = log.finish().unwrap();
/// assert_eq!(String::from_utf8_lossy(&log), "sent Bearer [REDACTED:API_KEY]");
/// # Ok(()) }) }
/// ```
pub struct Step<S> {
    core: Arc<Core<S>>,
    ctx: Arc<RunContext>,
    run: Option<Arc<RunMasking>>,
    redactor: Redactor,
    held: Mutex<HashMap<SecretKey, Resolved>>,
}

impl<S> fmt::Debug for Step<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Step")
            .field("ctx", &self.ctx)
            .field("held", &held)
            .finish_non_exhaustive()
    }
}

impl<S: SecretStore> Step<S> {
    pub(super) fn alone(core: Arc<Core<S>>, ctx: RunContext) -> Self {
        let redactor = core.redaction.fork();
        Step {
            core,
            ctx: Arc::new(ctx),
            run: None,
            redactor,
            held: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key`, for a code step's `credential("KEY")`: resolved at first
    /// use, then the same value for the rest of the step. Registered with the step's
    /// and the run's redactors before it is returned.
    ///
    /// # Errors
    ///
    /// `invalid_key` for a bad name; otherwise as [`Resolver::resolve`](crate::Resolver::resolve).
    pub async fn credential(&self, key: &str) -> Result<SecretValue, Error> {
        let key = SecretKey::new(key)?;
        Ok(self.resolved(&key).await?.0)
    }

    /// The value and source of `key`, held for the step.
    async fn resolved(&self, key: &SecretKey) -> Result<(SecretValue, Source), Error> {
        if let Some(held) = self.lock().get(key) {
            return Ok((held.value.clone(), held.source.clone()));
        }
        let resolved = self.core.resolve(&self.ctx, key).await?;
        Ok(self.hold(key, resolved))
    }

    /// Keeps a resolution for the step (a concurrent first use that won keeps its own)
    /// and registers its value for masking.
    fn hold(&self, key: &SecretKey, resolved: Resolved) -> (SecretValue, Source) {
        let mut held = self.lock();
        let kept = held.entry(key.clone()).or_insert(resolved);
        // A shared run masks the owner's lent values only: the runner's own values are
        // theirs to see, and runner-chosen masks could spell out a lent secret.
        if !(self.ctx.is_shared() && kept.source == Source::Provided) {
            self.redactor.add(Some(key), &kept.value);
            if let Some(run) = &self.run {
                run.register(key, &kept.value);
            }
        }
        (kept.value.clone(), kept.source.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SecretKey, Resolved>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves several keys from one snapshot of the store (`get_many`), so a pair
    /// such as a client id and its secret never straddles a rotation. Keys the step
    /// already holds are kept as they are.
    ///
    /// # Errors
    ///
    /// When any key is missing, nothing is held: `missing_credential`
    /// (`MissingCredentials` listing each when several are); `store`; `tampered`.
    pub async fn prefetch(&self, keys: &[SecretKey]) -> Result<(), Error> {
        let wanted: Vec<SecretKey> = {
            let held = self.lock();
            let mut wanted: Vec<SecretKey> = keys
                .iter()
                .filter(|k| !held.contains_key(*k))
                .cloned()
                .collect();
            wanted.sort();
            wanted.dedup();
            wanted
        };
        let resolved = self
            .core
            .resolve_many(&self.ctx, &wanted, Purpose::Named)
            .await?;
        let mut missing = Vec::new();
        let mut opened = Vec::with_capacity(resolved.len());
        for (key, outcome) in wanted.into_iter().zip(resolved) {
            match outcome {
                Ok(r) => opened.push((key, r)),
                Err(Error::MissingCredential { key, reason }) => {
                    missing.push(Missing { key, reason })
                }
                Err(other) => return Err(other),
            }
        }
        match missing.len() {
            0 => {}
            1 => {
                let Missing { key, reason } = missing.remove(0);
                return Err(Error::MissingCredential { key, reason });
            }
            _ => return Err(Error::MissingCredentials { missing }),
        }
        for (key, resolved) in opened {
            self.hold(&key, resolved);
        }
        Ok(())
    }

    /// Renders `{{KEY}}` references in one pass, into a buffer sized once and
    /// zeroized on drop (the result is a [`SecretValue`]).
    ///
    /// # Errors
    ///
    /// As [`credential`](Self::credential) for each reference (the first missing one
    /// in the template's order); `permission_denied` when a shared run's template
    /// would combine a lent value with a provided one (a runner must not point
    /// `{{API_BASE_URL}}?key={{API_KEY}}` at a host of their own) or, in
    /// [`render_with`](Self::render_with), with run data; `value_too_large` when the
    /// result exceeds 64 KiB. A refusal and a missing reference are decided before
    /// any value is opened: nothing is unsealed, held or audited as resolved.
    ///
    /// The references the step does not hold yet are read in one `get_many`, so they
    /// come from one snapshot of the store, as with [`prefetch`](Self::prefetch).
    pub async fn render(&self, template: &Template) -> Result<SecretValue, Error> {
        self.render_with(template, &|_| None).await
    }

    /// Renders a lenient template in one pass: `{{KEY}}` from secrets, a `{{name}}` the
    /// policy's [`constants`](crate::WorkflowPolicy::constants) hold from there (the
    /// workflow definition's fixed values; `host` is not asked), and every other
    /// `{{name}}` from `host` (left as written when `host` returns `None`). Substituted
    /// text is never scanned again, so a value from a runner, a webhook or a model
    /// cannot name a secret.
    ///
    /// What `host` supplies is **run data** (step outputs, trigger payloads, a
    /// runner's input). In a shared run a template that combines a lent value with run
    /// data is refused unless the owner marked it in
    /// [`WorkflowPolicy::run_data_templates`](crate::WorkflowPolicy::run_data_templates);
    /// a constant never counts. A marked template sends the lent values wherever its
    /// run data points: see the risk there. [`Resolver::preflight_templates`](crate::Resolver::preflight_templates)
    /// lists the templates a shared run will refuse before it starts.
    ///
    /// # Errors
    ///
    /// As [`render`](Self::render).
    pub async fn render_with(
        &self,
        template: &Template,
        host: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<SecretValue, Error> {
        let ctx = &*self.ctx;
        // Where each reference's value comes from, before any is opened: the values
        // the step holds, then one `get_many` (one snapshot) for the rest.
        let (held, fresh): (Vec<&SecretKey>, Vec<&SecretKey>) = {
            let held = self.lock();
            template.references().partition(|k| held.contains_key(*k))
        };
        let fresh: Vec<SecretKey> = fresh.into_iter().cloned().collect();
        let settled = self.core.settle_many(ctx, &fresh, Purpose::Named).await?;
        let mut mix = Mix::default();
        {
            let held_values = self.lock();
            for key in &held {
                match held_values.get(*key).map(|r| &r.source) {
                    Some(Source::Provided) => mix.provided = true,
                    Some(_) => mix.lent = true,
                    None => {}
                }
            }
        }
        for s in &settled {
            match s {
                Settled::Stored(_) => mix.lent = true,
                Settled::Provided(_) => mix.provided = true,
                Settled::Missing(_) => {}
            }
        }
        // The workflow's constants are rendered from the policy, never asked of the
        // host, so run data cannot pose as one; every value the host supplies is run
        // data.
        let mut host_values: Vec<Option<zeroize::Zeroizing<String>>> = Vec::new();
        for name in template.host_variables() {
            let value = match ctx.policy.constants.get(name) {
                Some(constant) => Some(constant.clone()),
                None => {
                    let value = host(name);
                    mix.run_data |= value.is_some();
                    value
                }
            };
            host_values.push(value.map(zeroize::Zeroizing::new));
        }
        // Every refusal comes before anything is unsealed or audited as resolved: the
        // share-link rule (a runner must not point `{{API_BASE_URL}}?key={{API_KEY}}`
        // at a host of their own), then the first missing reference.
        if let Some(reason) = pipeline::template_refusal(ctx, template, mix) {
            return Err(Error::permission_denied(reason.to_string()));
        }
        let missing = fresh.iter().zip(&settled).find_map(|(key, s)| match s {
            Settled::Missing(reason) => Some((key, *reason)),
            Settled::Stored(_) | Settled::Provided(_) => None,
        });
        if let Some((key, reason)) = missing {
            return Err(self.core.missing(ctx, key, reason));
        }
        let mut values: HashMap<&SecretKey, SecretValue> = HashMap::new();
        for (key, settled) in fresh.iter().zip(settled) {
            let resolved = self.core.open(ctx, key, settled)?;
            let (value, _) = self.hold(key, resolved);
            values.insert(key, value);
        }
        for key in held {
            let (value, _) = self.resolved(key).await?;
            values.insert(key, value);
        }
        let mut host_iter = host_values.iter();
        let pieces: Vec<&str> = template
            .segments()
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.as_str(),
                Segment::Key(key) => values.get(key).map_or("", |v| v.expose_secret()),
                Segment::Host { raw, .. } => match host_iter.next() {
                    Some(Some(value)) => value.as_str(),
                    _ => raw.as_str(),
                },
            })
            .collect();
        super::template::join(&pieces)
    }

    /// Every credential an agent step may use: the workflow and workspace values
    /// merged by precedence within the allowlist, and personal values only for keys
    /// the allowlist names (a webhook's payload can steer an agent). A shared run's
    /// agent is steered by the runner's prompt: it gets the runner's own values only,
    /// or, when the owner turns on
    /// [`ShareConfig::owner_credentials_for_agents`](crate::ShareConfig::owner_credentials_for_agents),
    /// the lent values only, never the two together. Sorted by key; each value is held
    /// and masked as [`credential`](Self::credential) would.
    ///
    /// # Errors
    ///
    /// `store`; `tampered` or `unknown_key_id` when a record does not open.
    pub async fn all_available(&self) -> Result<Vec<(SecretKey, SecretValue)>, Error> {
        let ctx = &*self.ctx;
        let keys = self.core.agent_keys(ctx).await?;
        let mut out: Vec<(SecretKey, SecretValue)> = Vec::with_capacity(keys.len());
        let mut fresh: Vec<SecretKey> = Vec::new();
        {
            let held = self.lock();
            for key in keys {
                match held.get(&key) {
                    // A personal value a code step took stays out of the agent's hands
                    // unless allowlisted: the rule the pipeline applies to what it reads.
                    Some(r) => {
                        if pipeline::agent_may_take(ctx, &key, &r.source) {
                            out.push((key, r.value.clone()));
                        }
                    }
                    None => fresh.push(key),
                }
            }
        }
        let resolved = self.core.resolve_many(ctx, &fresh, Purpose::Agent).await?;
        for (key, outcome) in fresh.into_iter().zip(resolved) {
            match outcome {
                Ok(resolved) => {
                    let (value, _) = self.hold(&key, resolved);
                    out.push((key, value));
                }
                Err(Error::MissingCredential { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The step's redactor: live, it masks every value this step resolves, now or
    /// later. A shared run's masks the owner's lent values only.
    pub fn redactor(&self) -> Redactor {
        self.redactor.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use crate::{
        Actor, LocalKeyring, MemoryStore, Resolver, Scope, Secrets, UserId, Vault, WorkflowId,
        WorkspaceId, WorkspaceRole,
    };

    /// However many steps resolve a key, the run's redactor is given each of its
    /// values once (a rotation mid-run brings the second value, once), and masks
    /// both; each step's own redactor is given what that step resolved.
    #[test]
    fn a_run_registers_each_value_once_however_many_steps_resolve_it() {
        pollster::block_on(async {
            let vault = Vault::new(LocalKeyring::generate());
            let store = Arc::new(MemoryStore::new());
            let acme = WorkspaceId::new("acme").unwrap();
            let ada = UserId::new("ada").unwrap();
            let admin = Actor::new(ada.clone(), acme.clone(), WorkspaceRole::Admin);
            let secrets = Secrets::new(vault.clone(), store.clone());
            let scope = Scope::workspace(acme.clone());
            let key = SecretKey::new("API_KEY").unwrap();
            let value = |v: &str| SecretValue::new(v).unwrap();
            secrets
                .create(&admin, &scope, &key, value("first-value-1234"))
                .await
                .unwrap();
            let resolver = Resolver::new(vault, store);
            let ctx = RunContext::manual(acme, WorkflowId::new("wf").unwrap(), ada.clone(), ada);
            let run = resolver.run(&ctx);
            let generation = || run.masking.redactor.live.generation();
            for _ in 0..50 {
                let step = run.step();
                step.credential("API_KEY").await.unwrap();
                step.credential("API_KEY").await.unwrap();
                assert_eq!(step.redactor.live.generation(), 1);
            }
            assert_eq!(generation(), 1);
            secrets
                .rotate(&admin, &scope, &key, value("second-value-5678"))
                .await
                .unwrap();
            for _ in 0..50 {
                run.step().credential("API_KEY").await.unwrap();
            }
            assert_eq!(generation(), 2);
            assert_eq!(
                run.redactor().redact("first-value-1234 second-value-5678"),
                "[REDACTED:API_KEY] [REDACTED:API_KEY]"
            );
        });
    }
}
