//! A reference host on workflow-secrets: axum + tokio + the SQLite store.
//!
//! What it shows, end to end:
//! - a secrets settings API: put (create or rotate), delete, list metadata, `.env`
//!   import with a preview, and the `{{` dropdown grouped by scope;
//! - runs whose steps call `credential` and render templates, their logs streamed
//!   live to the client through the run's redactor;
//! - a share-link run that brings its own credentials and borrows the owner's
//!   hidden ones;
//! - an audit endpoint;
//! - every response body masked by the crate's tower layer, fed with every value the
//!   host stores or resolves.
//!
//! Run it with `cargo run -p reference-host` (it serves on 127.0.0.1:3000 with a
//! SQLite file in a temporary directory); its tests drive it over a real loopback
//! listener: `cargo test -p reference-host`.
//!
//! The glue to the crate is all in `src/glue.rs`, counted by the command at its top;
//! `src/product.rs` is product logic (users, workflows, steps), and the handlers
//! below are the product's HTTP API.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use workflow_secrets::admin::ImportMode;
use workflow_secrets::audit::MemoryAuditSink;
use workflow_secrets::redact::PlatformRedactor;
use workflow_secrets::redact::tower::RedactLayer;
use workflow_secrets::{
    Actor, Error, Resolver, RunContext, SecretKey, SecretValue, Secrets, Vault, WorkflowId,
    WorkspaceId,
};
use workflow_secrets_sqlite::SqliteStore;

pub mod glue;
pub mod product;

use glue::{ApiError, Signed};

type Store = Arc<SqliteStore>;

/// The host's shared state.
#[derive(Debug)]
pub struct Host {
    secrets: Secrets<Store>,
    resolver: Resolver<Store>,
    audit: MemoryAuditSink,
    /// Every value stored or resolved (the hooks feed it): masks the host's logs and
    /// every response body.
    platform: PlatformRedactor,
    workspace: WorkspaceId,
    gates: Mutex<HashMap<u64, Arc<Notify>>>,
    next_run: AtomicU64,
}

impl Host {
    /// A host over the SQLite file at `file`, sealing with `vault`, feeding
    /// `platform` (which masks the host's logs: see `main.rs`).
    pub fn open(
        vault: Vault,
        file: &Path,
        platform: &PlatformRedactor,
    ) -> Result<Arc<Host>, Error> {
        let store = Arc::new(SqliteStore::open(file)?);
        let audit = MemoryAuditSink::new();
        Ok(Arc::new(Host {
            secrets: Secrets::new(vault.clone(), store.clone())
                .with_audit(audit.clone())
                .with_platform_redactor(platform),
            resolver: Resolver::new(vault, store)
                .with_audit(audit.clone())
                .with_platform_redactor(platform),
            audit,
            platform: platform.clone(),
            workspace: WorkspaceId::new(product::WORKSPACE)?,
            gates: Mutex::new(HashMap::new()),
            next_run: AtomicU64::new(1),
        }))
    }

    /// The product's user of that name, as an actor of the workspace.
    pub fn actor(&self, name: &str) -> Option<Actor> {
        product::actor(&self.workspace, name)
    }
}

/// The routes, with every response body masked.
pub fn router(host: Arc<Host>) -> Router {
    Router::new()
        .route("/secrets/{scope}", get(list))
        .route("/secrets/{scope}/{key}", put(put_secret).delete(delete))
        .route("/secrets/{scope}/import", post(import))
        .route("/workflows/{workflow}/dropdown", get(dropdown))
        .route("/workflows/{workflow}/runs", post(run))
        .route("/share/{workflow}/runs", post(shared_run))
        .route("/runs/{id}/resume", post(resume))
        .route("/audit", get(audit))
        .layer(RedactLayer::platform(&host.platform))
        .with_state(host)
}

async fn put_secret(
    State(host): State<Arc<Host>>,
    Signed(actor): Signed,
    UrlPath((scope, key)): UrlPath<(String, String)>,
    body: String,
) -> Result<Response, ApiError> {
    let scope = glue::scope(&actor, &scope)?;
    let (key, value) = glue::key_value(&key, body)?;
    let meta = host.secrets.put(&actor, &scope, &key, value).await?;
    Ok(Json(meta).into_response())
}

async fn delete(
    State(host): State<Arc<Host>>,
    Signed(actor): Signed,
    UrlPath((scope, key)): UrlPath<(String, String)>,
) -> Result<Response, ApiError> {
    let scope = glue::scope(&actor, &scope)?;
    host.secrets
        .delete(&actor, &scope, &SecretKey::new(key)?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list(
    State(host): State<Arc<Host>>,
    Signed(actor): Signed,
    UrlPath(scope): UrlPath<String>,
) -> Result<Response, ApiError> {
    let scope = glue::scope(&actor, &scope)?;
    Ok(Json(host.secrets.list(&actor, &scope).await?).into_response())
}

#[derive(serde::Deserialize)]
struct ImportQuery {
    #[serde(default)]
    preview: bool,
}

async fn import(
    State(host): State<Arc<Host>>,
    Signed(actor): Signed,
    UrlPath(scope): UrlPath<String>,
    Query(q): Query<ImportQuery>,
    text: String,
) -> Result<Response, ApiError> {
    let scope = glue::scope(&actor, &scope)?;
    let text = SecretValue::new(text)?;
    let report = if q.preview {
        host.secrets
            .preview_env(&actor, &scope, text.expose_secret(), ImportMode::Upsert)
            .await?
    } else {
        host.secrets
            .import_env(&actor, &scope, text.expose_secret(), ImportMode::Upsert)
            .await?
    };
    Ok(Json(report).into_response())
}

async fn dropdown(
    State(host): State<Arc<Host>>,
    Signed(actor): Signed,
    UrlPath(workflow): UrlPath<String>,
) -> Result<Response, ApiError> {
    let Some(ctx) = manual(&host, &workflow, &actor)? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    Ok(glue::dropdown(host.resolver.available(&ctx, &actor).await?).into_response())
}

async fn run(
    State(host): State<Arc<Host>>,
    Signed(actor): Signed,
    UrlPath(workflow): UrlPath<String>,
) -> Result<Response, ApiError> {
    let Some(ctx) = manual(&host, &workflow, &actor)? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    Ok(start(&host, ctx))
}

/// A run of the product's workflow `id` that `actor` starts by clicking Run, if the
/// product has that workflow.
fn manual(host: &Host, id: &str, actor: &Actor) -> Result<Option<RunContext>, ApiError> {
    match known(id)? {
        Some(workflow) => Ok(Some(product::manual_run(
            &host.workspace,
            &workflow,
            actor,
        )?)),
        None => Ok(None),
    }
}

async fn shared_run(
    State(host): State<Arc<Host>>,
    UrlPath(workflow): UrlPath<String>,
    Json(provided): Json<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let Some(workflow) = known(&workflow)? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let mut values = BTreeMap::new();
    for (key, value) in provided {
        let (key, value) = glue::key_value(&key, value)?;
        values.insert(key, value);
    }
    let ctx = product::shared_run(&host.workspace, &workflow, values)?;
    // Before anything is decrypted: would a step's template be refused in this run?
    let refusals = host
        .resolver
        .preflight_templates(&ctx, &[product::notify_template()])
        .await?;
    if !refusals.is_empty() {
        return Ok((StatusCode::CONFLICT, Json(refusals)).into_response());
    }
    Ok(start(&host, ctx))
}

/// The product's workflow of that id, if it has one.
fn known(id: &str) -> Result<Option<WorkflowId>, ApiError> {
    let id = WorkflowId::new(id)?;
    Ok(product::known(&id).then_some(id))
}

/// Starts a run on its own task; the response streams its masked log live.
fn start(host: &Arc<Host>, ctx: RunContext) -> Response {
    let id = host.next_run.fetch_add(1, Ordering::Relaxed);
    let gate = Arc::new(Notify::new());
    lock(&host.gates).insert(id, gate.clone());
    let run = host.resolver.run(&ctx);
    let (mut log, body) = glue::log_stream(&run.redactor());
    let host = host.clone();
    tokio::spawn(async move {
        if let Err(product::Failure::Step(e)) = product::execute(id, &run, &mut log, &gate).await {
            let line = format!("run {id} failed: {}: {}\n", e.code(), e.client_message());
            let _ = log.write_all(line.as_bytes()).await;
        }
        let _ = log.shutdown().await;
        lock(&host.gates).remove(&id);
    });
    body.into_response()
}

async fn resume(State(host): State<Arc<Host>>, UrlPath(id): UrlPath<u64>) -> Response {
    match lock(&host.gates).get(&id) {
        Some(gate) => {
            gate.notify_one();
            StatusCode::NO_CONTENT.into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn audit(State(host): State<Arc<Host>>, Signed(actor): Signed) -> Response {
    if actor.role != workflow_secrets::WorkspaceRole::Admin {
        return StatusCode::FORBIDDEN.into_response();
    }
    Json(host.audit.events()).into_response()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
