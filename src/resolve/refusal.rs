//! `TemplateRefusal`: a template a shared run will refuse, and why. Names, never values.

use std::fmt;

use crate::vocab::SecretKey;

/// Why a shared run refuses a template (the rule is in [`guide::sharing`](crate::guide::sharing#no-mixing-in-one-template)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TemplateRefusalReason {
    /// The template combines a lent value with a key the runner provides (or must
    /// provide): the runner would choose where the lent value goes, as in
    /// `{{API_BASE_URL}}?key={{API_KEY}}`. No mark lifts this.
    LentWithProvided,
    /// The template combines a lent value with run data (a host variable that is not
    /// one of the workflow's constants), and the owner has not marked it in
    /// [`WorkflowPolicy::run_data_templates`](crate::WorkflowPolicy::run_data_templates).
    LentWithRunData,
}

impl fmt::Display for TemplateRefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TemplateRefusalReason::LentWithProvided => {
                "a shared run's template may not combine the owner's credentials with values the runner provides"
            }
            TemplateRefusalReason::LentWithRunData => {
                "a shared run's template may not combine the owner's credentials with run data unless the owner marks the template"
            }
        })
    }
}

/// One template a shared run will refuse, from
/// [`Resolver::preflight_templates`](crate::Resolver::preflight_templates): which one,
/// why, and the names that make it so. Never a value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct TemplateRefusal {
    /// The template's position in the list checked.
    pub template: usize,
    /// Why it is refused.
    pub reason: TemplateRefusalReason,
    /// The keys it references that the owner lends (and holds a value of), in the
    /// template's order.
    pub lent: Vec<SecretKey>,
    /// The keys it references whose value the runner provides or must provide, in
    /// the template's order.
    pub provided: Vec<SecretKey>,
    /// Its host variables that are run data (not constants), in order, each once.
    pub run_data: Vec<String>,
}
