//! `Trigger`: what started a run.

use super::scope::UserId;

/// What started a run; it decides whose personal secrets are the fallback.
///
/// A manual run falls back to the personal scope of the user who clicked Run; an
/// automated one (API, webhook, schedule) to the workflow owner's. A share-link run
/// is decided by its share settings (see [`RunContext::share_link`](crate::RunContext::share_link)).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Trigger {
    /// A person clicked Run.
    Manual {
        /// Who clicked.
        user: UserId,
    },
    /// A call of the host's API.
    Api,
    /// An incoming webhook.
    Webhook,
    /// A schedule.
    Schedule,
    /// Someone ran the workflow through its share link. Build the run with
    /// [`RunContext::share_link`](crate::RunContext::share_link), which also marks it
    /// shared. A member run (not shared) that names this trigger has no personal
    /// fallback at all: a host that forgot to mark the run shared gets less, never
    /// the owner's personal secrets.
    ShareLink,
}

impl Trigger {
    /// The user who clicked Run, for a manual run.
    pub fn clicking_user(&self) -> Option<&UserId> {
        match self {
            Trigger::Manual { user } => Some(user),
            Trigger::Api | Trigger::Webhook | Trigger::Schedule | Trigger::ShareLink => None,
        }
    }
}
