//! The resolution rules of DESIGN.md, as pure functions: no store, no crypto.
//!
//! Every path (`resolve`, `credential`, `prefetch`, `render`, `all_available`,
//! `preflight`, `required_inputs`, `explain`) asks [`plan`] first and [`settle`]s
//! with what the store said, so the allowlist and share-link rules live here once.

use super::context::RunContext;
use crate::vocab::MissingReason;
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;

/// What a run must do to resolve one key.
#[derive(Debug)]
pub(crate) enum Plan<'c> {
    /// Refuse without reading anything.
    Refuse(MissingReason),
    /// Use the runner's provided value; the store is not read.
    Provided(&'c SecretValue),
    /// Read the run's scopes in order ([`RunContext::scopes`]); on a miss, fall
    /// back as [`settle`] says.
    Lookup,
}

/// The first step of every resolution of `key` in `ctx`.
pub(crate) fn plan<'c>(ctx: &'c RunContext, key: &SecretKey) -> Plan<'c> {
    let policy = ctx.policy();
    if !policy.allows(key) {
        return Plan::Refuse(MissingReason::NotAllowed);
    }
    let Some(provided) = ctx.provided() else {
        return Plan::Lookup;
    };
    if lends(ctx, key) {
        return Plan::Lookup;
    }
    match provided.get(key) {
        Some(value) => Plan::Provided(value),
        None => Plan::Refuse(MissingReason::MustBeProvided),
    }
}

/// Whether a shared run may lend the owner's value of `key`: owner credentials on
/// and the key declared by the workflow. (Lending also needs a stored value.)
pub(crate) fn lends(ctx: &RunContext, key: &SecretKey) -> bool {
    let policy = ctx.policy();
    ctx.is_shared() && policy.sharing.owner_credentials && policy.references.contains(key)
}

/// After a [`Plan::Lookup`] found nothing: a member run misses (`NotFound`); a shared
/// run takes the runner's value for a key the owner holds none of, else the runner
/// must provide it.
pub(crate) fn on_miss<'c>(
    ctx: &'c RunContext,
    key: &SecretKey,
) -> Result<&'c SecretValue, MissingReason> {
    match ctx.provided() {
        None => Err(MissingReason::NotFound),
        Some(provided) => provided.get(key).ok_or(MissingReason::MustBeProvided),
    }
}
