//! Driver errors, cleaned of anything that could quote a row.

use std::fmt;

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;
use workflow_secrets::store::StoreError;

/// A PostgreSQL failure as this crate reports it: the SQLSTATE and the server's
/// primary message, or the client's own description (connection closed, I/O).
///
/// Never the server's `DETAIL`, `HINT` or `WHERE` (a `DETAIL` can quote a whole row,
/// sealed bytes included) and never a parameter. The driver's error is not kept as
/// a source for the same reason: its `Debug` prints every field.
#[derive(Debug)]
pub(crate) struct PgError {
    code: Option<String>,
    message: String,
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "postgres error {code}: {}", self.message),
            None => write!(f, "postgres: {}", self.message),
        }
    }
}

impl std::error::Error for PgError {}

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
        },
        // Client-side errors (closed connection, I/O, type conversion) describe
        // themselves without row data.
        None => PgError {
            code: None,
            message: err.to_string(),
        },
    };
    StoreError::backend(cleaned)
}

/// Maps a pool error: a driver error as [`backend`], the pool's own (timeout,
/// closed pool) as their description.
pub(crate) fn pool_error(err: PoolError) -> StoreError {
    match err {
        PoolError::Backend(err) => backend(err),
        other => StoreError::backend(PgError {
            code: None,
            message: format!("connection pool: {other}"),
        }),
    }
}

/// No connection came free within the store's wait bound.
pub(crate) fn pool_timeout(wait: std::time::Duration, max_size: usize) -> StoreError {
    StoreError::backend(PgError {
        code: None,
        message: format!(
            "connection pool: no connection free within {wait:?} (all {max_size} in use)"
        ),
    })
}
