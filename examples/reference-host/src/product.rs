//! Product logic: the product's users, its one workflow and what its steps do. None
//! of it adapts the crate; it uses it.

use std::collections::BTreeMap;

use base64::Engine as _;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use workflow_secrets::{
    Actor, Error, Run, RunContext, SecretKey, SecretValue, ShareConfig, Template, UserId,
    WorkflowId, WorkflowPolicy, WorkspaceId, WorkspaceRole,
};

/// The one workspace of this demo.
pub const WORKSPACE: &str = "acme";
/// Its one workflow; its owner is `ada`.
pub const DIGEST: &str = "digest";
const OWNER: &str = "ada";

/// The product's users and their roles (a real host reads its user table).
pub fn actor(workspace: &WorkspaceId, name: &str) -> Option<Actor> {
    let role = match name {
        "ada" => WorkspaceRole::Admin,
        "bob" => WorkspaceRole::Editor,
        "cy" => WorkspaceRole::Runner,
        _ => return None,
    };
    Some(Actor::new(UserId::new(name).ok()?, workspace.clone(), role))
}

/// The notify step's template: the destination is the owner's lent webhook, the text
/// is run data.
pub fn notify_template() -> Template {
    Template::parse_lenient("POST {{SLACK_WEBHOOK}} text={{steps.fetch}}")
}

/// The digest workflow's policy: it references two credentials, its share link lends
/// the owner's (hidden: a shared run may use them, never see them), and the owner
/// marked the notify template as allowed to combine the lent webhook with run data
/// (safe: the destination is lent, only the text comes from the run).
fn policy() -> Result<WorkflowPolicy, Error> {
    Ok(WorkflowPolicy::default()
        .with_references([
            SecretKey::new("OPENAI_API_KEY")?,
            SecretKey::new("SLACK_WEBHOOK")?,
        ])
        .with_sharing(ShareConfig::default().with_owner_credentials(true))
        .with_run_data_templates([notify_template()]))
}

/// Whether the product has a workflow of that id.
pub fn known(workflow: &WorkflowId) -> bool {
    workflow.as_str() == DIGEST
}

/// A run `actor` starts by clicking Run.
pub fn manual_run(
    workspace: &WorkspaceId,
    id: &WorkflowId,
    actor: &Actor,
) -> Result<RunContext, Error> {
    Ok(RunContext::manual(
        workspace.clone(),
        id.clone(),
        UserId::new(OWNER)?,
        actor.user.clone(),
    )
    .with_policy(policy()?))
}

/// A run through the workflow's share link, with the runner's own values.
pub fn shared_run(
    workspace: &WorkspaceId,
    id: &WorkflowId,
    provided: BTreeMap<SecretKey, SecretValue>,
) -> Result<RunContext, Error> {
    Ok(
        RunContext::share_link(workspace.clone(), id.clone(), UserId::new(OWNER)?, provided)
            .with_policy(policy()?),
    )
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum Failure {
    /// A step's credential or template failed.
    Step(Error),
    /// The client went away: nobody reads the log.
    LogGone,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Step(e)
    }
}

async fn say(log: &mut (impl AsyncWrite + Unpin), line: String) -> Result<(), Failure> {
    // Careless, as hosts are: the raw line goes to the service's own log too. The
    // platform redactor behind its `tracing` writer masks it (see `main.rs`).
    tracing::info!("step output: {line}");
    let gone = |_| Failure::LogGone;
    log.write_all(line.as_bytes()).await.map_err(gone)?;
    log.write_all(b"\n").await.map_err(gone)?;
    log.flush().await.map_err(gone)
}

/// The digest workflow: fetch (a code step that prints its credential, as careless
/// code does, in three encodings), wait until resumed, notify (a template that sends
/// the fetched text to the Slack webhook, and the credential again).
pub async fn execute<S: workflow_secrets::store::SecretStore>(
    id: u64,
    run: &Run<S>,
    log: &mut (impl AsyncWrite + Unpin),
    gate: &Notify,
) -> Result<(), Failure> {
    say(log, format!("run {id} started")).await?;
    let step = run.step();
    let key = step.credential("OPENAI_API_KEY").await?;
    let raw = key.expose_secret();
    say(log, format!("fetch: calling the model with {raw}")).await?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    say(log, format!("fetch: key as base64 {b64}")).await?;
    let hex: String = raw.bytes().map(|b| format!("{b:02x}")).collect();
    say(log, format!("fetch: key as hex {hex}")).await?;
    let fetched = "3 new orders";
    say(log, format!("fetch: {fetched}; waiting for resume")).await?;
    gate.notified().await;
    let step = run.step();
    let notify = notify_template();
    let sent = step
        .render_with(&notify, &|name| {
            (name == "steps.fetch").then(|| fetched.to_string())
        })
        .await?;
    say(log, format!("notify: {}", sent.expose_secret())).await?;
    let key = step.credential("OPENAI_API_KEY").await?;
    say(
        log,
        format!("notify: summarised with {}", key.expose_secret()),
    )
    .await?;
    say(log, format!("run {id} finished")).await
}
