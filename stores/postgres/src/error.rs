//! Driver errors, cleaned of anything that could quote a row.

use std::fmt;

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;
use workflow_secrets::store::StoreError;

/// A PostgreSQL failure as this crate reports it: the SQLSTATE and the server's
/// primary message, or the client's own description (connection refused or
/// closed, TLS, I/O, a timeout) with the driver's error as its `source()`.
///
/// Never the server's `DETAIL`, `HINT` or `WHERE` (a `DETAIL` can quote a whole row,
/// sealed bytes included) and never a parameter: a server's error is not kept as a
/// source, since its `Debug` prints every field. A client-side error holds no row
/// (it describes the connection, or a conversion by type names) and is kept, so a
/// host sees why a connection failed (`Connection refused`, a certificate
/// rejected) by walking `source()`.
#[derive(Debug)]
pub(crate) struct PgError {
    code: Option<String>,
    message: String,
    /// The driver's client-side error, never one the server sent.
    cause: Option<tokio_postgres::Error>,
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "postgres error {code}: {}", self.message),
            None => write!(f, "postgres: {}", self.message),
        }
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_ref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl PgError {
    /// The crate's own description of a failure, with no cause.
    pub(crate) fn new(message: String) -> PgError {
        PgError {
            code: None,
            message,
            cause: None,
        }
    }
}

/// Maps a driver error: serialization failures and deadlocks (nothing was written;
/// re-read and retry) to `Conflict`, everything else to `Backend`.
pub(crate) fn backend(err: tokio_postgres::Error) -> StoreError {
    if let Some(code) = err.code()
        && (*code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED)
    {
        return StoreError::Conflict;
    }
    let cleaned = match err.as_db_error() {
        Some(db) => PgError {
            code: Some(db.code().code().to_owned()),
            message: format!("{}: {}", db.severity(), db.message()),
            cause: None,
        },
        // Client-side errors (refused or closed connection, TLS, I/O, a timeout, a
        // type conversion) describe themselves without row data: kept as the
        // source, so the reason a connection failed is not lost.
        None => PgError {
            code: None,
            message: err.to_string(),
            cause: Some(err),
        },
    };
    StoreError::backend(cleaned)
}

/// Maps a pool error: a driver error as [`backend`], the pool's own (timeout,
/// closed pool) as their description.
pub(crate) fn pool_error(err: PoolError) -> StoreError {
    match err {
        PoolError::Backend(err) => backend(err),
        other => StoreError::backend(PgError::new(format!("connection pool: {other}"))),
    }
}

/// No connection came free within the store's wait bound.
pub(crate) fn pool_timeout(wait: std::time::Duration, max_size: usize) -> StoreError {
    StoreError::backend(PgError::new(format!(
        "connection pool: no connection free within {wait:?} (all {max_size} in use)"
    )))
}
