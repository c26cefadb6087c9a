//! `RunContext` and the policy a workflow brings to a run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::template::Template;
use crate::vocab::Error;
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;
use crate::vocab::Trigger;
use crate::vocab::{Scope, UserId, WorkflowId, WorkspaceId};

/// What the owner of a workflow shared by link lends to the people who run it.
///
/// Both off by default: a shared run brings its own credentials and its own API key.
///
/// `#[non_exhaustive]`: start from [`ShareConfig::default`] and turn options on with
/// the `with_` methods (or set the public fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ShareConfig {
    /// The run resolves the owner's stored credentials for the keys the workflow
    /// declares, charged to their holder and masked from the runner.
    pub owner_credentials: bool,
    /// Steps that use the owner's private model run under the owner's platform key.
    pub owner_api_key: bool,
    /// An agent step of a shared run receives the owner's lent values (and then none of
    /// the runner's own). Off by default, and only with `owner_credentials`: the agent
    /// is steered by the runner's prompt, so the runner can have it send a lent value
    /// wherever the prompt says. Turn it on only for agents whose tools cannot reach a
    /// destination the runner chooses.
    pub owner_credentials_for_agents: bool,
}

impl ShareConfig {
    /// Lends (or not) the owner's stored credentials to shared runs.
    pub fn with_owner_credentials(mut self, on: bool) -> ShareConfig {
        self.owner_credentials = on;
        self
    }

    /// Lends (or not) the owner's stored credentials to a shared run's agent steps
    /// too (see [`owner_credentials_for_agents`](Self::owner_credentials_for_agents)
    /// for the risk).
    pub fn with_owner_credentials_for_agents(mut self, on: bool) -> ShareConfig {
        self.owner_credentials_for_agents = on;
        self
    }

    /// Lends (or not) the owner's platform API key to shared runs' private-model steps.
    pub fn with_owner_api_key(mut self, on: bool) -> ShareConfig {
        self.owner_api_key = on;
        self
    }

    /// Refuses an option the workflow does not qualify for: owner credentials need
    /// a referenced credential (template or code step), the owner's API key a private
    /// model. It does not look at templates: to show the owner which templates a
    /// shared run will refuse (and which need a mark in
    /// [`WorkflowPolicy::run_data_templates`]), call
    /// [`Resolver::preflight_templates`](crate::Resolver::preflight_templates) too.
    ///
    /// # Errors
    ///
    /// `option_unavailable`, naming the option.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{ShareConfig, WorkflowRequirements};
    ///
    /// let plain = WorkflowRequirements::default();
    /// let lend = ShareConfig::default().with_owner_credentials(true);
    /// assert_eq!(lend.check(&plain).unwrap_err().code(), "option_unavailable");
    /// ```
    pub fn check(&self, requirements: &WorkflowRequirements) -> Result<(), Error> {
        if self.owner_credentials && !requirements.references_credentials() {
            return Err(Error::OptionUnavailable {
                option: "owner_credentials",
                reason: "no step of the workflow references a credential",
            });
        }
        if self.owner_credentials_for_agents && !self.owner_credentials {
            return Err(Error::OptionUnavailable {
                option: "owner_credentials_for_agents",
                reason: "it lends the owner's credentials, which are not lent",
            });
        }
        if self.owner_api_key && !requirements.uses_private_model {
            return Err(Error::OptionUnavailable {
                option: "owner_api_key",
                reason: "the workflow uses no private model",
            });
        }
        Ok(())
    }
}

/// What a workflow references: its templates' keys plus the keys its code steps
/// declare (the engine cannot read code), and whether it uses a private model.
///
/// # Example
///
/// ```
/// use workflow_secrets::{SecretKey, Template, WorkflowRequirements};
///
/// let header = Template::parse("Bearer {{API_KEY}}")?;
/// let needs = WorkflowRequirements::from_templates(&[header], false)
///     .with_code_keys([SecretKey::new("DB_PASSWORD")?]);
/// assert_eq!(needs.references.len(), 2);
/// assert!(needs.references_credentials());
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkflowRequirements {
    /// Every key the workflow references.
    pub references: BTreeSet<SecretKey>,
    /// Whether a step uses the owner's private model.
    pub uses_private_model: bool,
}

impl WorkflowRequirements {
    /// The keys the templates reference.
    pub fn from_templates(templates: &[Template], uses_private_model: bool) -> Self {
        let references = templates
            .iter()
            .flat_map(|t| t.references().cloned())
            .collect();
        WorkflowRequirements {
            references,
            uses_private_model,
        }
    }

    /// Adds the keys code steps declare.
    pub fn with_code_keys(mut self, keys: impl IntoIterator<Item = SecretKey>) -> Self {
        self.references.extend(keys);
        self
    }

    /// Whether any step references a credential.
    pub fn references_credentials(&self) -> bool {
        !self.references.is_empty()
    }
}

/// How the run reaches the workflow.
#[derive(Clone, Debug)]
pub enum Access {
    /// A member of the workspace runs it (or a trigger does).
    Member,
    /// Someone runs it through a share link, bringing these values of their own.
    SharedLink {
        /// The runner's own values, by key. Never stored; masked from nobody (they
        /// are the runner's to see).
        provided: BTreeMap<SecretKey, SecretValue>,
    },
}

/// A workflow's settings that shape resolution.
///
/// `#[non_exhaustive]`: start from [`WorkflowPolicy::default`] (no allowlist, nothing
/// shared, nothing declared) and use the `with_` methods (or set the public fields).
///
/// # Example
///
/// ```
/// use workflow_secrets::{SecretKey, ShareConfig, WorkflowPolicy};
///
/// let key = SecretKey::new("API_KEY")?;
/// let policy = WorkflowPolicy::default()
///     .with_allowlist([key.clone()])
///     .with_references([key.clone()])
///     .with_sharing(ShareConfig::default().with_owner_credentials(true));
/// assert!(policy.allows(&key));
/// assert!(!policy.allows(&SecretKey::new("OTHER")?));
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkflowPolicy {
    /// `None`: no allowlist. `Some(keys)`: only these keys resolve, on every path;
    /// an empty set allows nothing.
    pub allowlist: Option<BTreeSet<SecretKey>>,
    /// What a share link lends.
    pub sharing: ShareConfig,
    /// What the workflow declares ([`WorkflowRequirements::references`]): a shared
    /// run lends the owner's values of these keys only.
    pub references: BTreeSet<SecretKey>,
    /// The values the owner fixed in the workflow definition, by host-variable name
    /// (`{{vars.channel}}`): [`Step::render_with`](crate::Step::render_with) renders
    /// them itself, never asking the host, and they never count as provided in a
    /// shared run. Only the definition's fixed values belong here, never a step's
    /// output, a trigger's payload or a runner's input: those are run data, which a
    /// shared run's runner can shape. A name that is a valid key (`{{CHANNEL}}`) is a
    /// secret reference, never a constant: give constants dotted names. Constants are
    /// not secrets (they are masked nowhere and show in this policy's `Debug`): a
    /// secret belongs in the store.
    pub constants: BTreeMap<String, String>,
    /// The templates the owner allows, in a shared run, to combine lent values with
    /// run data (host variables that are not [`constants`](Self::constants)), as in
    /// `POST {{SLACK_WEBHOOK}} text={{steps.fetch}}`. Empty by default: a shared run
    /// refuses every such template. A template is recognised by its text.
    ///
    /// **The risk:** run data is shaped by the runner's input, so a marked template
    /// sends the lent values wherever its run data points. Mark only a template whose
    /// destination is lent or fixed in its text or a constant (the webhook above), never
    /// one whose run data can name where a lent value goes (`{{steps.fetch.url}}?key={{API_KEY}}`).
    /// A mark lifts nothing else: a template that combines a lent value with a key the
    /// runner provides is still refused, the agent rule holds, and lent values are
    /// still masked ([the guide](crate::guide::sharing#no-mixing-in-one-template)).
    pub run_data_templates: BTreeSet<Template>,
}

impl WorkflowPolicy {
    /// Only `keys` resolve, on every path (an empty list allows nothing).
    pub fn with_allowlist(mut self, keys: impl IntoIterator<Item = SecretKey>) -> WorkflowPolicy {
        self.allowlist = Some(keys.into_iter().collect());
        self
    }

    /// What a share link lends.
    pub fn with_sharing(mut self, sharing: ShareConfig) -> WorkflowPolicy {
        self.sharing = sharing;
        self
    }

    /// The keys the workflow declares ([`WorkflowRequirements::references`]).
    pub fn with_references(mut self, keys: impl IntoIterator<Item = SecretKey>) -> WorkflowPolicy {
        self.references = keys.into_iter().collect();
        self
    }

    /// The workflow definition's fixed values, by host-variable name (see
    /// [`constants`](Self::constants)).
    pub fn with_constants(
        mut self,
        constants: impl IntoIterator<Item = (String, String)>,
    ) -> WorkflowPolicy {
        self.constants = constants.into_iter().collect();
        self
    }

    /// The templates the owner allows, in a shared run, to combine lent values with
    /// run data; read [`run_data_templates`](Self::run_data_templates) for the risk.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{SecretKey, ShareConfig, Template, WorkflowPolicy};
    ///
    /// // The destination is lent, the text is run data: safe to mark.
    /// let post = Template::parse_lenient("POST {{SLACK_WEBHOOK}} text={{steps.fetch}}");
    /// let policy = WorkflowPolicy::default()
    ///     .with_sharing(ShareConfig::default().with_owner_credentials(true))
    ///     .with_references(post.references().cloned())
    ///     .with_run_data_templates([post.clone()]);
    /// assert!(policy.run_data_templates.contains(&post));
    /// ```
    pub fn with_run_data_templates(
        mut self,
        templates: impl IntoIterator<Item = Template>,
    ) -> WorkflowPolicy {
        self.run_data_templates = templates.into_iter().collect();
        self
    }

    /// Whether the allowlist admits `key` (the rule every resolution path applies).
    pub fn allows(&self, key: &SecretKey) -> bool {
        super::pipeline::admits(self, key)
    }
}

/// Whose platform API key (and so whose usage) a run's private-model steps use.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ApiKeyHolder {
    /// The workflow owner's.
    Owner(UserId),
    /// The person running the workflow.
    Runner,
}

/// One run of one workflow, built from ids the host vouches for.
///
/// Fields are private: a context is made only through [`manual`](Self::manual) and
/// [`automated`](Self::automated), then [`with_policy`](Self::with_policy) and
/// [`shared_link`](Self::shared_link), so the fallback rules cannot be bypassed.
///
/// # Example
///
/// ```
/// use workflow_secrets::{RunContext, Trigger, UserId, WorkflowId, WorkspaceId};
///
/// let ctx = RunContext::automated(
///     WorkspaceId::new("acme")?, WorkflowId::new("nightly")?, UserId::new("ada")?,
///     Trigger::Schedule,
/// );
/// assert_eq!(ctx.owner().as_str(), "ada");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RunContext {
    // Read directly by the resolution pipeline; set only through the constructors.
    pub(crate) workspace: WorkspaceId,
    pub(crate) workflow: WorkflowId,
    pub(crate) owner: UserId,
    pub(crate) trigger: Trigger,
    pub(crate) access: Access,
    pub(crate) policy: WorkflowPolicy,
    /// The scopes the run reads, in precedence order: derived from the fields above
    /// whenever one changes, so each resolution reads them without allocating.
    pub(crate) scopes: Arc<[Scope]>,
    /// Per scope of `scopes`, the usage recorder's hash of (scope, workflow),
    /// computed at the first mark and shared by clones: a mark then hashes only
    /// this and the key.
    pub(crate) usage_seeds: super::usage::Seeds,
}

impl RunContext {
    /// A run that `user` started by clicking Run: personal fallback is `user`.
    pub fn manual(
        workspace: WorkspaceId,
        workflow: WorkflowId,
        owner: UserId,
        user: UserId,
    ) -> Self {
        Self::automated(workspace, workflow, owner, Trigger::Manual { user })
    }

    /// A run started by `trigger`. For `Api`, `Webhook` and `Schedule` the personal
    /// fallback is the owner; `Trigger::Manual` behaves as [`manual`](Self::manual).
    pub fn automated(
        workspace: WorkspaceId,
        workflow: WorkflowId,
        owner: UserId,
        trigger: Trigger,
    ) -> Self {
        RunContext {
            workspace,
            workflow,
            owner,
            trigger,
            access: Access::Member,
            policy: WorkflowPolicy::default(),
            scopes: Arc::from([]),
            usage_seeds: super::usage::Seeds::default(),
        }
        .with_scopes()
    }

    /// Sets the workflow's policy.
    pub fn with_policy(mut self, policy: WorkflowPolicy) -> Self {
        self.policy = policy;
        self.with_scopes()
    }

    /// Makes this a run through a share link, with the runner's own values.
    pub fn shared_link(mut self, provided: BTreeMap<SecretKey, SecretValue>) -> Self {
        self.access = Access::SharedLink { provided };
        self.with_scopes()
    }

    /// A run through the workflow's share link: [`Trigger::ShareLink`], marked shared,
    /// with the runner's own `provided` values. What the owner lends comes from the
    /// policy's [`ShareConfig`] (set it with [`with_policy`](Self::with_policy)); see
    /// [the guide](crate::guide::sharing).
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use workflow_secrets::{RunContext, Trigger, UserId, WorkflowId, WorkspaceId};
    ///
    /// let ctx = RunContext::share_link(
    ///     WorkspaceId::new("acme")?,
    ///     WorkflowId::new("public-form")?,
    ///     UserId::new("ada")?,
    ///     BTreeMap::new(),
    /// );
    /// assert!(ctx.is_shared());
    /// assert_eq!(ctx.trigger(), &Trigger::ShareLink);
    /// # Ok::<(), workflow_secrets::Error>(())
    /// ```
    pub fn share_link(
        workspace: WorkspaceId,
        workflow: WorkflowId,
        owner: UserId,
        provided: BTreeMap<SecretKey, SecretValue>,
    ) -> Self {
        Self::automated(workspace, workflow, owner, Trigger::ShareLink).shared_link(provided)
    }

    /// The workspace.
    pub fn workspace(&self) -> &WorkspaceId {
        &self.workspace
    }

    /// The workflow.
    pub fn workflow(&self) -> &WorkflowId {
        &self.workflow
    }

    /// The workflow's owner.
    pub fn owner(&self) -> &UserId {
        &self.owner
    }

    /// What started the run.
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    /// How the run reaches the workflow.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The workflow's policy.
    pub fn policy(&self) -> &WorkflowPolicy {
        &self.policy
    }

    /// Whether the run came through a share link.
    pub fn is_shared(&self) -> bool {
        matches!(self.access, Access::SharedLink { .. })
    }

    /// Whose platform API key the run's private-model steps use: a shared run's is
    /// the runner's unless the owner lends theirs.
    pub fn api_key_holder(&self) -> ApiKeyHolder {
        match self.access {
            Access::SharedLink { .. } if !self.policy.sharing.owner_api_key => ApiKeyHolder::Runner,
            _ => ApiKeyHolder::Owner(self.owner.clone()),
        }
    }

    /// Derives the scopes the run reads (the pipeline's precedence rule) whenever a
    /// field they depend on changes, so a resolution reads them without allocating.
    fn with_scopes(mut self) -> Self {
        self.scopes = super::pipeline::scopes(&self);
        self.usage_seeds = super::usage::Seeds::default();
        self
    }
}
