//! What a resolution hands out: the value, where it came from, and who pays.

use super::context::RunContext;
use crate::vocab::SecretValue;
use crate::vocab::{Scope, UserId, WorkspaceId};

/// Where a resolved value came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Source {
    /// The workflow's own scope, at this value version.
    Workflow {
        /// The value's version.
        version: u64,
    },
    /// The workspace scope, at this value version.
    Workspace {
        /// The value's version.
        version: u64,
    },
    /// A user's personal scope, at this value version.
    Personal {
        /// Whose.
        user: UserId,
        /// The value's version.
        version: u64,
    },
    /// The runner of a shared workflow provided it.
    Provided,
}

impl Source {
    /// The source of a value stored in `scope` at `version`.
    pub(crate) fn of(scope: &Scope, version: u64) -> Source {
        match scope {
            Scope::Workflow { .. } => Source::Workflow { version },
            Scope::Workspace { .. } => Source::Workspace { version },
            Scope::Personal { user, .. } => Source::Personal {
                user: user.clone(),
                version,
            },
        }
    }

    /// Whose credential this is, and so whose quota it uses.
    pub(crate) fn holder(&self, workspace: &WorkspaceId) -> Principal {
        match self {
            Source::Workflow { .. } | Source::Workspace { .. } => {
                Principal::Workspace(workspace.clone())
            }
            Source::Personal { user, .. } => Principal::User(user.clone()),
            Source::Provided => Principal::Runner,
        }
    }

    /// The stored value version, `None` for a provided value.
    pub fn version(&self) -> Option<u64> {
        match self {
            Source::Workflow { version }
            | Source::Workspace { version }
            | Source::Personal { version, .. } => Some(*version),
            Source::Provided => None,
        }
    }
}

/// Whose credential a value is, so whose usage and quota it is charged to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Principal {
    /// The workspace (workflow and workspace scopes).
    Workspace(WorkspaceId),
    /// A user (a personal scope).
    User(UserId),
    /// The person running a shared workflow (a provided value).
    Runner,
}

/// One resolved credential. **Holds secret material** (the value, zeroized on drop).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Resolved {
    /// The value.
    pub value: SecretValue,
    /// Where it came from.
    pub source: Source,
    /// Who pays for its use.
    pub charged_to: Principal,
}

impl Resolved {
    /// A value from `source`, charged to its holder in `ctx`'s workspace.
    pub(crate) fn new(value: SecretValue, source: Source, ctx: &RunContext) -> Resolved {
        let charged_to = source.holder(&ctx.workspace);
        Resolved {
            value,
            source,
            charged_to,
        }
    }
}
