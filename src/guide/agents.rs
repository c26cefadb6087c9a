//! What an agent step receives: [`Step::all_available`](crate::Step::all_available).
//!
//! An agent step is handed every credential it may use at once, and its behaviour can
//! be steered by text from outside the workspace (a webhook's payload, a runner's
//! prompt). So it receives less than a code step could ask for by name.
//!
//! # Member runs
//!
//! [`all_available`](crate::Step::all_available) returns, sorted by key:
//!
//! - every key of the workflow and workspace scopes, merged by precedence (the
//!   workflow's value wins), within the allowlist;
//! - a personal value (of the run's fallback user, see
//!   [`precedence`](super::precedence)) **only for a key the allowlist names**. A
//!   workflow without an allowlist gives its agents no personal value at all. A key
//!   whose only value is a personal one that the agent may not take is left out.
//!
//! The lookup is one [`list_many`](crate::store::SecretStore::list_many) and one
//! [`get_many`](crate::store::SecretStore::get_many). A key the step already holds
//! (from an earlier [`credential`](crate::Step::credential), say) is returned as held
//! (the [rotation rule](super::runs)), except a held personal value the agent may not
//! take, which is left out. Keys that turn out missing are left out; a store failure or
//! a record that does not open fails the call.
//!
//! # Shared runs
//!
//! An agent in a shared run is steered by the runner's prompt, so whatever it holds
//! the runner can have it send anywhere. It therefore gets **one side only**:
//!
//! - by default, the runner's own provided values, within the allowlist, and nothing
//!   of the owner's;
//! - when the owner turns on
//!   [`ShareConfig::owner_credentials_for_agents`](crate::ShareConfig::owner_credentials_for_agents)
//!   (off by default; it needs `owner_credentials`, and
//!   [`ShareConfig::check`](crate::ShareConfig::check) refuses it alone), the keys the
//!   owner lends (see [`sharing`](super::sharing)) that hold a value, within the
//!   allowlist, and none of the runner's values. The owner's personal values follow
//!   the member-run rule: only for a key the allowlist names; a lent key whose only
//!   value is a personal one the agent may not take is left out (the runner's value
//!   never takes its place).
//!
//! Turn the consent on only for agents whose tools cannot reach a destination the
//! runner chooses: the crate cannot keep a steered agent from repeating a lent value.
//! A key the step already holds from the other side (a code step's
//! [`credential`](crate::Step::credential) took the lent value, say, while the agent
//! gets runner values) is left out, so the agent never sees a value from the side it
//! may not have.
//!
//! # Masking
//!
//! Every value returned is held by the step and registered with the step's and the
//! run's redactors before the call returns, as [`credential`](crate::Step::credential)
//! does (in a shared run, lent values only).
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeSet;
//! use std::sync::Arc;
//! use workflow_secrets::{
//!     Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey,
//!     SecretValue, Secrets, Trigger, UserId, Vault, WorkflowId, WorkflowPolicy, WorkspaceId,
//!     WorkspaceRole,
//! };
//!
//! # fn main() -> Result<(), Error> { pollster::block_on(async {
//! let vault = Vault::new(LocalKeyring::generate());
//! let store = Arc::new(MemoryStore::new());
//! let secrets = Secrets::new(vault.clone(), store.clone());
//! let acme = WorkspaceId::new("acme")?;
//! let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
//! let mine = Scope::personal(acme.clone(), ada.user.clone());
//! secrets.create(&ada, &Scope::workspace(acme.clone()), &SecretKey::new("SLACK_TOKEN")?,
//!     SecretValue::new("xoxb-team-0001")?).await?;
//! secrets.create(&ada, &mine, &SecretKey::new("GITHUB_TOKEN")?, SecretValue::new("ghp_ada_0002")?).await?;
//! let resolver = Resolver::new(vault, store);
//! let ctx = RunContext::automated(acme, WorkflowId::new("triage")?, ada.user.clone(), Trigger::Webhook);
//!
//! // Without an allowlist, an agent gets no personal value.
//! let step = resolver.step(&ctx);
//! let keys: Vec<String> = step.all_available().await?.into_iter().map(|(k, _)| k.to_string()).collect();
//! assert_eq!(keys, ["SLACK_TOKEN"]);
//! // A code step may still ask for it by name.
//! assert_eq!(step.credential("GITHUB_TOKEN").await?.expose_secret(), "ghp_ada_0002");
//!
//! // An allowlist that names the personal key lets the agent have it.
//! let mut policy = WorkflowPolicy::default();
//! policy.allowlist = Some(BTreeSet::from([SecretKey::new("SLACK_TOKEN")?, SecretKey::new("GITHUB_TOKEN")?]));
//! let step = resolver.step(&ctx.with_policy(policy));
//! assert_eq!(step.all_available().await?.len(), 2);
//! # Ok(()) }) }
//! ```
