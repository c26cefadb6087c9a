//! The one public error type, with a stable machine code per kind.

use std::fmt;

use super::key::SecretKey;
use super::key_id::KeyId;

/// Every failure of this crate.
///
/// Each variant has a stable machine-readable [`code()`](Error::code) that hosts
/// may match on and show to API clients; the `Display` text is lowercase English for
/// people and may improve between releases.
///
/// No variant ever carries a secret value, a sealed record or a line of imported
/// text: errors travel into logs, and logs are client-facing.
///
/// # Example
///
/// ```
/// use workflow_secrets::SecretKey;
///
/// let err = SecretKey::new("not a key!").unwrap_err();
/// assert_eq!(err.code(), "invalid_key");
/// // The message says what is wrong without repeating the input.
/// assert!(!err.to_string().contains("not a key!"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A secret key name broke the naming rule (`[A-Za-z0-9_]`, 1..=256 bytes).
    #[error("invalid key name: {reason}")]
    InvalidKey {
        /// What is wrong with the name; never the name itself.
        reason: &'static str,
    },
    /// A workspace, workflow or user id broke the id rule (1..=256 bytes, no
    /// NUL or other control character).
    #[error("invalid {kind} id: {reason}")]
    InvalidId {
        /// Which kind of id: `"workspace"`, `"workflow"` or `"user"`.
        kind: &'static str,
        /// What is wrong with it; never the id itself.
        reason: &'static str,
    },
    /// A secret's details broke the details rule
    /// ([`SecretDetails`](crate::SecretDetails)): no NUL character in the display
    /// name or description (PostgreSQL's `text` cannot hold one, so no store keeps
    /// it), and each part within its bound.
    #[error("invalid details: the {field} {reason}")]
    InvalidDetails {
        /// Which field: `"display_name"`, `"description"` or `"members"`.
        field: &'static str,
        /// What is wrong with it; never the text itself.
        reason: &'static str,
    },
    /// A secret value was longer than [`SecretValue::MAX_LEN`](crate::SecretValue::MAX_LEN).
    #[error("secret value too large: {len} bytes, the limit is {max}")]
    ValueTooLarge {
        /// The value's length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The secret named does not exist in that scope.
    #[error("secret {key} not found in {scope}")]
    NotFound {
        /// Where it was looked for.
        scope: super::scope::Scope,
        /// The key looked for.
        key: SecretKey,
    },
    /// The secret exists, but not the version asked for: never kept, or dropped as
    /// newer versions were written. Code `not_found`.
    #[error("version {version} of secret {key} is not kept in {scope}")]
    VersionNotFound {
        /// Where it was looked for.
        scope: super::scope::Scope,
        /// The key.
        key: SecretKey,
        /// The version asked for.
        version: u64,
    },
    /// The thing to create exists already (a secret key, a key-encryption key id).
    #[error("already exists: {what}")]
    AlreadyExists {
        /// What exists: key names or a key id, never a value.
        what: String,
    },
    /// A compare-and-swap expectation failed: someone else wrote first. Re-read and retry.
    #[error("conflict: the record changed since it was read")]
    Conflict,
    /// The actor may not do this.
    #[error("permission denied: {reason}")]
    PermissionDenied {
        /// Why, in words that name no value.
        reason: String,
    },
    /// A run needed a credential it could not have.
    #[error("missing credential {key}: {reason}")]
    MissingCredential {
        /// The key the run asked for.
        key: SecretKey,
        /// Why it could not have it.
        reason: MissingReason,
    },
    /// A preflight found several credentials missing; every one is listed.
    #[error("missing credentials: {}", DisplayList(missing))]
    MissingCredentials {
        /// Each missing key with its reason, in the order they were checked.
        missing: Vec<Missing>,
    },
    /// A sealed record failed to open: wrong scope, key, version or key-encryption
    /// key, or altered bytes. Deliberately opaque, as `aead::Error` is.
    #[error("sealed secret failed to open (tampered, or bound to another scope, key or version)")]
    Tampered,
    /// The key-encryption key a sealed record names is not in the keyring.
    #[error("unknown key-encryption key id {id}")]
    UnknownKeyId {
        /// The id asked for.
        id: KeyId,
    },
    /// The key backend behind a [`KeyWrapper`](crate::crypto::KeyWrapper) could not
    /// answer: an HSM or key service that is down, throttled, or refused the call.
    ///
    /// **Retryable**, and not evidence of an attack: unlike [`Error::Tampered`], it
    /// says nothing about the record. The source says how, from the backend; it never
    /// holds key material or a value.
    #[error("key backend unavailable: {source}")]
    KeyBackend {
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The key-encryption key is still in use (it is the active one).
    #[error("key-encryption key {id} is in use")]
    KeyInUse {
        /// The id that could not be removed.
        id: KeyId,
    },
    /// A checked delete ([`Secrets::delete_checked`](crate::Secrets::delete_checked))
    /// refused: workflows resolved the secret within the window asked for, or the
    /// host said they reference it. Nothing was deleted. (Not
    /// [`Error::KeyInUse`], which is about a key-encryption key.)
    #[error(
        "secret {key} in the {scope} is in use by workflows {}",
        DisplayList(workflows)
    )]
    SecretInUse {
        /// The scope of the secret.
        scope: super::scope::Scope,
        /// Its key.
        key: SecretKey,
        /// The workflows that use it, sorted by id, without repeats.
        workflows: Vec<super::scope::WorkflowId>,
    },
    /// A write batch was malformed (two operations on one record, or too large).
    #[error("invalid batch: {reason}")]
    InvalidBatch {
        /// What is wrong with it.
        reason: String,
    },
    /// The storage backend failed. The source says how; it never holds a value.
    #[error("store error: {source}")]
    Store {
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `.env` text did not parse; every problem of the input is listed at once.
    #[error("{}", DisplayList(problems))]
    ImportSyntax {
        /// Each problem with its line number.
        problems: Vec<LineProblem>,
    },
    /// A template did not parse.
    #[error("template syntax error at byte {offset}: {reason}")]
    TemplateSyntax {
        /// Byte offset in the template text where the problem starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A share option was turned on for a workflow that does not qualify for it.
    #[error("share option unavailable: {option}: {reason}")]
    OptionUnavailable {
        /// The option: `"owner_credentials"`, `"owner_credentials_for_agents"` or
        /// `"owner_api_key"`.
        option: &'static str,
        /// Why the workflow does not qualify.
        reason: &'static str,
    },
}

impl Error {
    /// The stable machine code of this error's kind, such as `"missing_credential"`.
    ///
    /// Codes never change once released; match on them rather than on `Display`.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::SecretValue;
    ///
    /// let huge = "x".repeat(SecretValue::MAX_LEN + 1);
    /// assert_eq!(SecretValue::new(huge).unwrap_err().code(), "value_too_large");
    /// ```
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The kind of this error, as a typed [`ErrorCode`]: what audit events record.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::SecretKey;
    /// use workflow_secrets::error::ErrorCode;
    ///
    /// let err = SecretKey::new("").unwrap_err();
    /// assert_eq!(err.kind(), ErrorCode::InvalidKey);
    /// assert_eq!(err.kind().as_str(), err.code());
    /// ```
    pub fn kind(&self) -> ErrorCode {
        match self {
            Error::InvalidKey { .. } => ErrorCode::InvalidKey,
            Error::InvalidId { .. } => ErrorCode::InvalidId,
            Error::InvalidDetails { .. } => ErrorCode::InvalidDetails,
            Error::ValueTooLarge { .. } => ErrorCode::ValueTooLarge,
            Error::NotFound { .. } | Error::VersionNotFound { .. } => ErrorCode::NotFound,
            Error::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Error::Conflict => ErrorCode::Conflict,
            Error::PermissionDenied { .. } => ErrorCode::PermissionDenied,
            Error::MissingCredential { .. } | Error::MissingCredentials { .. } => {
                ErrorCode::MissingCredential
            }
            Error::Tampered => ErrorCode::Tampered,
            Error::UnknownKeyId { .. } => ErrorCode::UnknownKeyId,
            Error::KeyBackend { .. } => ErrorCode::KeyBackend,
            Error::KeyInUse { .. } => ErrorCode::KeyInUse,
            Error::SecretInUse { .. } => ErrorCode::SecretInUse,
            Error::InvalidBatch { .. } => ErrorCode::InvalidBatch,
            Error::Store { .. } => ErrorCode::Store,
            Error::ImportSyntax { .. } => ErrorCode::ImportSyntax,
            Error::TemplateSyntax { .. } => ErrorCode::TemplateSyntax,
            Error::OptionUnavailable { .. } => ErrorCode::OptionUnavailable,
        }
    }

    /// Whether trying the same call again later may succeed: `store` and
    /// `key_backend` (a backend that was down or throttled) and `conflict` (someone
    /// wrote first). Every other kind fails the same way again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            ErrorCode::Store | ErrorCode::KeyBackend | ErrorCode::Conflict
        )
    }

    /// The HTTP status for this error: [`ErrorCode::http_status`] of its kind.
    pub fn http_status(&self) -> u16 {
        self.kind().http_status()
    }

    /// A message safe to show an API client: the error's own text where it holds
    /// only what the client sent or may see (key names, scopes, offsets, limits),
    /// else a fixed sentence per kind. A store's or key backend's own message (which
    /// may name tables, hosts or credentials of the database) and the details of a
    /// failed unseal never reach it; log [`Error`]'s `Display` server-side instead.
    /// No error of this crate carries a secret value, so neither text holds one.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{Error, SecretKey};
    ///
    /// let err = SecretKey::new("not a key!").unwrap_err();
    /// assert_eq!((err.http_status(), err.code()), (400, "invalid_key"));
    /// assert_eq!(err.client_message(), err.to_string());
    /// ```
    pub fn client_message(&self) -> String {
        let fixed = match self.kind() {
            ErrorCode::Tampered | ErrorCode::UnknownKeyId => {
                "a stored secret could not be opened; the service's operators have the details"
            }
            ErrorCode::KeyBackend => "the key service is unavailable; try again later",
            ErrorCode::Store => "the secret store is unavailable; try again later",
            ErrorCode::InvalidBatch | ErrorCode::KeyInUse => {
                "internal error; the service's operators have the details"
            }
            _ => return self.to_string(),
        };
        fixed.to_owned()
    }

    pub(crate) fn permission_denied(reason: impl Into<String>) -> Error {
        Error::PermissionDenied {
            reason: reason.into(),
        }
    }
}

/// The kind of an [`Error`], one per stable [`code()`](Error::code) string.
///
/// Audit events carry this (not the error, whose text may name keys and scopes), and
/// it serializes as its code string, so a stored audit log reads the same codes an
/// API client sees. New kinds may be added ( `#[non_exhaustive]`); a code string
/// never changes once released.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_key`
    InvalidKey,
    /// `invalid_id`
    InvalidId,
    /// `value_too_large`
    ValueTooLarge,
    /// `not_found`
    NotFound,
    /// `already_exists`
    AlreadyExists,
    /// `conflict`
    Conflict,
    /// `permission_denied`
    PermissionDenied,
    /// `missing_credential`
    MissingCredential,
    /// `tampered`
    Tampered,
    /// `unknown_key_id`
    UnknownKeyId,
    /// `key_backend`
    KeyBackend,
    /// `key_in_use`
    KeyInUse,
    /// `secret_in_use`
    SecretInUse,
    /// `invalid_batch`
    InvalidBatch,
    /// `store`
    Store,
    /// `import_syntax`
    ImportSyntax,
    /// `template_syntax`
    TemplateSyntax,
    /// `option_unavailable`
    OptionUnavailable,
    /// `invalid_details`
    InvalidDetails,
}

impl ErrorCode {
    /// Every kind, in declaration order (for tables and tests).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidKey,
        ErrorCode::InvalidId,
        ErrorCode::ValueTooLarge,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::Conflict,
        ErrorCode::PermissionDenied,
        ErrorCode::MissingCredential,
        ErrorCode::Tampered,
        ErrorCode::UnknownKeyId,
        ErrorCode::KeyBackend,
        ErrorCode::KeyInUse,
        ErrorCode::SecretInUse,
        ErrorCode::InvalidBatch,
        ErrorCode::Store,
        ErrorCode::ImportSyntax,
        ErrorCode::TemplateSyntax,
        ErrorCode::OptionUnavailable,
        ErrorCode::InvalidDetails,
    ];

    /// The stable code string, as [`Error::code`] returns it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::InvalidId => "invalid_id",
            ErrorCode::ValueTooLarge => "value_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::MissingCredential => "missing_credential",
            ErrorCode::Tampered => "tampered",
            ErrorCode::UnknownKeyId => "unknown_key_id",
            ErrorCode::KeyBackend => "key_backend",
            ErrorCode::KeyInUse => "key_in_use",
            ErrorCode::SecretInUse => "secret_in_use",
            ErrorCode::InvalidBatch => "invalid_batch",
            ErrorCode::Store => "store",
            ErrorCode::ImportSyntax => "import_syntax",
            ErrorCode::TemplateSyntax => "template_syntax",
            ErrorCode::OptionUnavailable => "option_unavailable",
            ErrorCode::InvalidDetails => "invalid_details",
        }
    }
}

impl ErrorCode {
    /// The HTTP status a service answers with for this kind, and whether the
    /// error's text is shown to the client ([`Error::client_message`]):
    ///
    /// | code | status | client sees |
    /// |---|---|---|
    /// | `invalid_key`, `invalid_id`, `invalid_details` | 400 Bad Request | the error's text |
    /// | `value_too_large` | 413 Content Too Large | the error's text |
    /// | `import_syntax`, `template_syntax`, `option_unavailable`, `missing_credential` | 422 Unprocessable Content | the error's text |
    /// | `permission_denied` | 403 Forbidden | the error's text |
    /// | `not_found` | 404 Not Found | the error's text |
    /// | `already_exists`, `conflict`, `secret_in_use` | 409 Conflict | the error's text (`conflict`: retry; `secret_in_use`: names the workflows) |
    /// | `store`, `key_backend` | 503 Service Unavailable | a fixed sentence (retry later) |
    /// | `tampered`, `unknown_key_id`, `invalid_batch`, `key_in_use` | 500 Internal Server Error | a fixed sentence |
    ///
    /// A 5xx is the service's fault, never the client's: `tampered` means a stored
    /// record failed to open (an alert for operators, not a message for a client),
    /// and `invalid_batch` and `key_in_use` come from the host's own calls. A kind
    /// added later gets its row here.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidKey | ErrorCode::InvalidId | ErrorCode::InvalidDetails => 400,
            ErrorCode::ValueTooLarge => 413,
            ErrorCode::ImportSyntax
            | ErrorCode::TemplateSyntax
            | ErrorCode::OptionUnavailable
            | ErrorCode::MissingCredential => 422,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyExists | ErrorCode::Conflict | ErrorCode::SecretInUse => 409,
            ErrorCode::Store | ErrorCode::KeyBackend => 503,
            ErrorCode::Tampered
            | ErrorCode::UnknownKeyId
            | ErrorCode::InvalidBatch
            | ErrorCode::KeyInUse => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Why a run could not have a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum MissingReason {
    /// The workflow has an allowlist and the key is not on it.
    NotAllowed,
    /// No scope the run may read holds the key.
    NotFound,
    /// A shared-link run: the runner must provide this key and did not.
    MustBeProvided,
}

impl fmt::Display for MissingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MissingReason::NotAllowed => "not on the workflow's allowlist",
            MissingReason::NotFound => "not found in any scope the run may read",
            MissingReason::MustBeProvided => {
                "the person running the shared workflow must provide it"
            }
        })
    }
}

/// One missing credential of a preflight check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Missing {
    /// The key the workflow references.
    pub key: SecretKey,
    /// Why the run could not have it.
    pub reason: MissingReason,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// One problem of a `.env` text, by line.
///
/// The reason names what is wrong (and at most a valid key name), never a value
/// or the text of the line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LineProblem {
    /// The 1-based line number where the problem starts.
    pub line: usize,
    /// The 1-based column (in characters) where it starts, when one can be named.
    pub column: Option<usize>,
    /// What is wrong, lowercase.
    pub reason: String,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}: {} (column {})", self.line, self.reason, column),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// Displays a list as `a; b; c`.
struct DisplayList<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for DisplayList<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            item.fmt(f)?;
        }
        Ok(())
    }
}
