//! Resolution: run contexts, precedence, share links, steps and templates.

mod context;
mod explain;
mod outcome;
mod pipeline;
mod refusal;
mod resolver;
mod step;
mod template;
mod usage;

pub use context::{
    Access, ApiKeyHolder, RunContext, ShareConfig, WorkflowPolicy, WorkflowRequirements,
};
pub use explain::{Consulted, Explanation, Outcome, SkipReason, Verdict};
pub use outcome::{Principal, Resolved, Source};
pub use refusal::{TemplateRefusal, TemplateRefusalReason};
pub use resolver::Resolver;
pub use step::{Run, Step};
pub use template::Template;
pub use usage::{UsageFlush, UsageRecording};
