//! `Explanation`: why a run gets the value it gets. Names and versions, never values.

use std::fmt;

use super::outcome::Source;
use crate::vocab::MissingReason;
use crate::vocab::Scope;
use crate::vocab::SecretKey;

/// Why a scope was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// The key is not on the workflow's allowlist.
    NotAllowed,
    /// A shared run: the owner does not lend this key (owner credentials off, or the
    /// workflow does not declare it).
    NotLent,
    /// A shared run without owner credentials reads no personal scope.
    NoPersonalFallback,
    /// A scope earlier in precedence order supplied the value.
    Shadowed,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::NotAllowed => "skipped: not on the workflow's allowlist",
            SkipReason::NotLent => "skipped: the owner does not lend this key to shared runs",
            SkipReason::NoPersonalFallback => "skipped: a shared run reads no personal scope",
            SkipReason::Shadowed => "skipped: a scope before it supplied the value",
        })
    }
}

/// What one scope said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Not read, and why.
    Skipped(SkipReason),
    /// Read; holds no value of the key.
    Empty,
    /// Read; supplied this value version.
    Supplied {
        /// The value's version.
        version: u64,
    },
    /// Another user's personal scope, which this viewer may not list.
    Withheld,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Skipped(why) => why.fmt(f),
            Verdict::Empty => f.write_str("no value"),
            Verdict::Supplied { version } => write!(f, "supplied version {version}"),
            Verdict::Withheld => f.write_str("withheld: you may not list this scope"),
        }
    }
}

/// One scope consulted by [`Resolver::explain`](crate::Resolver::explain).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Consulted {
    /// The scope, in precedence order.
    pub scope: Scope,
    /// What it said.
    pub verdict: Verdict,
}

/// Why a run gets (or misses) a credential: each scope consulted, in order, and the
/// outcome. Never a value.
///
/// The outcome says where the run's value comes from, as the run itself would; a
/// personal scope the viewer may not list shows as [`Verdict::Withheld`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Explanation {
    /// The key explained.
    pub key: SecretKey,
    /// The scopes, in precedence order.
    pub consulted: Vec<Consulted>,
    /// Where the value comes from, or why there is none.
    pub outcome: Result<Source, MissingReason>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(Source::Workflow { version }) => {
                write!(
                    f,
                    "{}: from the workflow's scope (version {version})",
                    self.key
                )?;
            }
            Ok(Source::Workspace { version }) => {
                write!(
                    f,
                    "{}: from the workspace scope (version {version})",
                    self.key
                )?;
            }
            Ok(Source::Personal { user, version }) => {
                write!(
                    f,
                    "{}: from the personal scope of {user} (version {version})",
                    self.key
                )?;
            }
            Ok(Source::Provided) => write!(f, "{}: provided by the runner", self.key)?,
            Err(reason) => write!(f, "{}: missing: {reason}", self.key)?,
        }
        for consulted in &self.consulted {
            write!(f, "\n  - {}: {}", consulted.scope, consulted.verdict)?;
        }
        Ok(())
    }
}
