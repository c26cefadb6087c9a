//! `Explanation`: why a run gets the value it gets. Names and versions, never values.

use std::fmt;

use super::outcome::Source;
use crate::vocab::MissingReason;
use crate::vocab::Scope;
use crate::vocab::SecretKey;

/// Why a scope was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
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
    /// A scope this viewer may not list (another user's personal scope): whether it
    /// holds the key is not said.
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct Consulted {
    /// The scope, in precedence order.
    pub scope: Scope,
    /// What it said.
    pub verdict: Verdict,
}

impl Consulted {
    pub(crate) fn new(scope: Scope, verdict: Verdict) -> Consulted {
        Consulted { scope, verdict }
    }
}

/// Where a run's value comes from, as a viewer may know it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The run gets a value from this source.
    Supplied(Source),
    /// The run gets no value, and why.
    Missing(MissingReason),
    /// The scope that decides (the one holding the value, or the last one read when
    /// none does) is one this viewer may not list, so whether the run gets a value is
    /// not said: a withheld scope with a value and one without look the same.
    Withheld,
}

/// Why a run gets (or misses) a credential: each scope consulted, in order, and the
/// outcome. Never a value.
///
/// An explanation is a trace of the same pipeline a run resolves through, so its
/// outcome is what the run would get, except that what the viewer may not list is
/// withheld, in the verdicts and the outcome alike: a personal scope of another user
/// shows as [`Verdict::Withheld`], and when it decides the run's value the outcome is
/// [`Outcome::Withheld`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The key explained.
    pub key: SecretKey,
    /// The scopes, in precedence order.
    pub consulted: Vec<Consulted>,
    /// Where the value comes from, why there is none, or that this is withheld.
    pub outcome: Outcome,
}

impl Explanation {
    pub(crate) fn new(key: SecretKey, consulted: Vec<Consulted>, outcome: Outcome) -> Explanation {
        Explanation {
            key,
            consulted,
            outcome,
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Supplied(Source::Workflow { version }) => {
                write!(
                    f,
                    "{}: from the workflow's scope (version {version})",
                    self.key
                )?;
            }
            Outcome::Supplied(Source::Workspace { version }) => {
                write!(
                    f,
                    "{}: from the workspace scope (version {version})",
                    self.key
                )?;
            }
            Outcome::Supplied(Source::Personal { user, version }) => {
                write!(
                    f,
                    "{}: from the personal scope of {user} (version {version})",
                    self.key
                )?;
            }
            Outcome::Supplied(Source::Provided) => {
                write!(f, "{}: provided by the runner", self.key)?
            }
            Outcome::Missing(reason) => write!(f, "{}: missing: {reason}", self.key)?,
            Outcome::Withheld => write!(
                f,
                "{}: decided by a scope you may not list (withheld)",
                self.key
            )?,
        }
        for consulted in &self.consulted {
            write!(f, "\n  - {}: {}", consulted.scope, consulted.verdict)?;
        }
        Ok(())
    }
}
