//! Tenancy ids and the three scopes a secret can live in.

use std::fmt;

use super::error::Error;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// Validated when made: 1..=256 bytes, no NUL or other control character, so
        /// every store holds every id the same way. Compared byte for byte: `acme`,
        /// `Acme` and `acme ` are three tenants. `Deserialize` goes through
        /// [`new`](Self::new), so no invalid id gets in by another door.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(std::sync::Arc<str>);

        impl $name {
            /// Validates and makes an id.
            ///
            /// # Errors
            ///
            /// `invalid_id` when the id is empty, longer than 256 bytes or holds a
            /// control character (NUL included).
            pub fn new(id: impl Into<String>) -> Result<Self, Error> {
                let id = id.into();
                check_id($kind, &id)?;
                Ok(Self(std::sync::Arc::from(id)))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_str()).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }
    };
}

id_type!(
    /// A workspace (tenant) id, as the host names it.
    WorkspaceId,
    "workspace"
);
id_type!(
    /// A workflow id, as the host names it.
    WorkflowId,
    "workflow"
);
id_type!(
    /// A user id, as the host's identity system names it.
    UserId,
    "user"
);

/// The longest id, in bytes.
const MAX_ID_LEN: usize = 256;

fn check_id(kind: &'static str, id: &str) -> Result<(), Error> {
    let reason = if id.is_empty() {
        "an id is 1 to 256 bytes; this one is empty"
    } else if id.len() > MAX_ID_LEN {
        "an id is 1 to 256 bytes; this one is longer"
    } else if id.chars().any(char::is_control) {
        "an id may not hold NUL or another control character"
    } else {
        return Ok(());
    };
    Err(Error::InvalidId { kind, reason })
}

/// Where a secret lives, and so who may use it.
///
/// At run time the scopes are consulted in precedence order: the workflow's own,
/// then the workspace's, then the personal scope of the fallback user.
///
/// # Example
///
/// ```
/// use workflow_secrets::{Scope, UserId, WorkspaceId};
///
/// let acme = WorkspaceId::new("acme")?;
/// let scope = Scope::personal(acme.clone(), UserId::new("ada")?);
/// assert_eq!(scope.workspace_id(), &acme);
/// assert_eq!(scope.to_string(), "personal scope of user ada in workspace acme");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(
    Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
pub enum Scope {
    /// Secrets of one workflow: they win over workspace and personal ones.
    Workflow {
        /// The workspace the workflow belongs to.
        workspace: WorkspaceId,
        /// The workflow.
        workflow: WorkflowId,
    },
    /// Secrets every member of the workspace can reference, by their role.
    Workspace {
        /// The workspace.
        workspace: WorkspaceId,
    },
    /// One user's own secrets inside one workspace.
    Personal {
        /// The workspace.
        workspace: WorkspaceId,
        /// The user who owns them.
        user: UserId,
    },
}

impl Scope {
    /// The scope of one workflow's secrets.
    pub fn workflow(workspace: WorkspaceId, workflow: WorkflowId) -> Scope {
        Scope::Workflow {
            workspace,
            workflow,
        }
    }

    /// The workspace-wide scope.
    pub fn workspace(workspace: WorkspaceId) -> Scope {
        Scope::Workspace { workspace }
    }

    /// One user's personal scope in a workspace.
    pub fn personal(workspace: WorkspaceId, user: UserId) -> Scope {
        Scope::Personal { workspace, user }
    }

    /// The workspace this scope belongs to (every scope belongs to one).
    pub fn workspace_id(&self) -> &WorkspaceId {
        match self {
            Scope::Workflow { workspace, .. }
            | Scope::Workspace { workspace }
            | Scope::Personal { workspace, .. } => workspace,
        }
    }

    /// The short name of the scope's kind: `"workflow"`, `"workspace"` or `"personal"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Workflow { .. } => "workflow",
            Scope::Workspace { .. } => "workspace",
            Scope::Personal { .. } => "personal",
        }
    }
}

impl Scope {
    /// The scope's kind as a stable one-byte tag: `1` workflow, `2` workspace, `3`
    /// personal, the tags the sealed format binds. For stores that keep a scope as
    /// columns (tag, workspace, owner) rather than as one string two scopes could share.
    pub fn tag(&self) -> u8 {
        match self {
            Scope::Workflow { .. } => 1,
            Scope::Workspace { .. } => 2,
            Scope::Personal { .. } => 3,
        }
    }

    /// The id that narrows the scope inside its workspace: the workflow id, the user
    /// id, or `None` for the workspace scope.
    pub fn owner_id(&self) -> Option<&str> {
        match self {
            Scope::Workflow { workflow, .. } => Some(workflow.as_str()),
            Scope::Workspace { .. } => None,
            Scope::Personal { user, .. } => Some(user.as_str()),
        }
    }

    /// Rebuilds a scope from its [`tag`](Self::tag), workspace and
    /// [`owner_id`](Self::owner_id), as a store reads them back.
    ///
    /// # Errors
    ///
    /// `invalid_id` for an unknown tag, an owner where the tag takes none (or none
    /// where it takes one), or an owner that is not a valid id.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{Scope, UserId, WorkspaceId};
    ///
    /// let scope = Scope::personal(WorkspaceId::new("acme")?, UserId::new("ada")?);
    /// let back = Scope::from_tag(scope.tag(), scope.workspace_id().clone(), scope.owner_id())?;
    /// assert_eq!(back, scope);
    /// # Ok::<(), workflow_secrets::Error>(())
    /// ```
    pub fn from_tag(tag: u8, workspace: WorkspaceId, owner: Option<&str>) -> Result<Scope, Error> {
        let mismatch = Error::InvalidId {
            kind: "scope",
            reason: "the tag and the owner do not name a scope",
        };
        match (tag, owner) {
            (1, Some(workflow)) => Ok(Scope::workflow(workspace, WorkflowId::new(workflow)?)),
            (2, None) => Ok(Scope::workspace(workspace)),
            (3, Some(user)) => Ok(Scope::personal(workspace, UserId::new(user)?)),
            _ => Err(mismatch),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Workflow {
                workspace,
                workflow,
            } => {
                write!(f, "scope of workflow {workflow} in workspace {workspace}")
            }
            Scope::Workspace { workspace } => write!(f, "workspace scope of {workspace}"),
            Scope::Personal { workspace, user } => {
                write!(f, "personal scope of user {user} in workspace {workspace}")
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn id_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("plain", "acme", true),
            ("quotes and sql", "a'b\";--%_\\", true),
            ("unicode", "café-東京", true),
            ("trailing space", "acme ", true),
            ("empty", "", false),
            ("nul", "a\0b", false),
            ("newline", "a\nb", false),
            ("delete char", "a\u{7f}", false),
            ("c1 control", "a\u{85}", false),
        ];
        for (name, input, ok) in cases {
            assert_eq!(WorkspaceId::new(*input).is_ok(), *ok, "case {name}");
        }
        assert!(UserId::new("u".repeat(256)).is_ok());
        let err = UserId::new("u".repeat(257)).unwrap_err();
        assert_eq!(err.code(), "invalid_id");
        assert!(err.to_string().contains("user"));
    }

    #[test]
    fn tags_round_trip_and_refuse_what_names_no_scope() {
        let ws = WorkspaceId::new("acme").unwrap();
        for scope in [
            Scope::workflow(ws.clone(), WorkflowId::new("wf").unwrap()),
            Scope::workspace(ws.clone()),
            Scope::personal(ws.clone(), UserId::new("ada").unwrap()),
        ] {
            let back = Scope::from_tag(scope.tag(), ws.clone(), scope.owner_id()).unwrap();
            assert_eq!(back, scope);
        }
        for (tag, owner) in [
            (0, None),
            (4, Some("x")),
            (1, None),
            (2, Some("x")),
            (3, None),
            (3, Some("a\0")),
        ] {
            assert_eq!(
                Scope::from_tag(tag, ws.clone(), owner).unwrap_err().code(),
                "invalid_id"
            );
        }
    }

    #[test]
    fn deserialize_validates() {
        assert!(serde_json::from_str::<WorkflowId>("\"wf\\u0000\"").is_err());
        let scope = Scope::workflow(
            WorkspaceId::new("w").unwrap(),
            WorkflowId::new("f").unwrap(),
        );
        let json = serde_json::to_string(&scope).unwrap();
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
    }
}
