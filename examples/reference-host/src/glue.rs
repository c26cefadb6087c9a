//! The glue: every line that adapts workflow-secrets to axum, and nothing else. The
//! rest of the host is product logic (its users, workflows, steps and routes).
//!
//! Counted (non-blank lines that are not comments) by:
//!
//! ```sh
//! grep -cvE '^\s*(//.*)?$' examples/reference-host/src/glue.rs
//! ```

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tokio::io::DuplexStream;
use tokio_util::io::ReaderStream;
use workflow_secrets::redact::AsyncRedactingWriter;
use workflow_secrets::{Actor, Error, Redactor, Scope, SecretKey, SecretValue, WorkflowId};

use crate::Host;

/// The crate's error as a response: its status, its stable code, and a message safe
/// to show a client (never a value, never a database message).
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({ "code": self.0.code(), "message": self.0.client_message() });
        (status, Json(body)).into_response()
    }
}

/// The signed-in actor. (Here the `x-user` header names a user of the product's
/// table: a stand-in for the host's real session authentication.)
#[derive(Debug)]
pub struct Signed(pub Actor);

impl FromRequestParts<Arc<Host>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, host: &Arc<Host>) -> Result<Signed, Response> {
        let name = parts.headers.get("x-user").and_then(|v| v.to_str().ok());
        match name.and_then(|n| host.actor(n)) {
            Some(actor) => Ok(Signed(actor)),
            None => Err(StatusCode::UNAUTHORIZED.into_response()),
        }
    }
}

/// A scope from a path segment: `workspace`, `personal` (the actor's own) or
/// `workflow:ID`.
pub fn scope(actor: &Actor, segment: &str) -> Result<Scope, ApiError> {
    let ws = actor.workspace.clone();
    Ok(match segment.split_once(':') {
        Some(("workflow", id)) => Scope::workflow(ws, WorkflowId::new(id)?),
        _ if segment == "personal" => Scope::personal(ws, actor.user.clone()),
        _ => Scope::workspace(ws),
    })
}

/// A key and a value from a request (the value straight into its zeroizing type).
pub fn key_value(key: &str, body: String) -> Result<(SecretKey, SecretValue), ApiError> {
    Ok((SecretKey::new(key)?, SecretValue::new(body)?))
}

/// A run's live log: the masking writer the run's steps write to, and the response
/// body that streams what it emits (each flushed line as soon as it is finished).
pub fn log_stream(redactor: &Redactor) -> (AsyncRedactingWriter<DuplexStream>, Body) {
    let (tx, rx) = tokio::io::duplex(64 * 1024);
    (
        redactor.async_writer(tx),
        Body::from_stream(ReaderStream::new(rx)),
    )
}

/// The `{{` dropdown: names by scope, in precedence order.
pub fn dropdown(groups: Vec<(Scope, Vec<SecretKey>)>) -> Json<serde_json::Value> {
    let groups: Vec<_> = groups
        .into_iter()
        .map(|(scope, keys)| serde_json::json!({ "scope": scope.to_string(), "keys": keys }))
        .collect();
    Json(serde_json::Value::Array(groups))
}
