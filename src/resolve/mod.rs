//! Resolution: run contexts, precedence, share links, steps and templates.

mod trigger;

pub use trigger::Trigger;
