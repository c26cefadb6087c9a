//! `Trigger`: what started a run.

use super::scope::UserId;

/// What started a run; it decides whose personal secrets are the fallback.
///
/// A manual run falls back to the personal scope of the user who clicked Run; an
/// automated one (API, webhook, schedule) to the workflow owner's.
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
}

impl Trigger {
    /// The user who clicked Run, for a manual run.
    pub fn clicking_user(&self) -> Option<&UserId> {
        match self {
            Trigger::Manual { user } => Some(user),
            Trigger::Api | Trigger::Webhook | Trigger::Schedule => None,
        }
    }
}
