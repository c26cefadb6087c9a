//! The guide: the rules the crate keeps, stated normatively.
//!
//! This module holds no code. It is the crate's design, written as the contract the
//! code keeps today, in the manner of rustls's `manual` module. Each rule names the
//! items that implement it, and its examples run as doctests, so the rules and the
//! code cannot drift apart silently. Where a rule and an item's own rustdoc seem to
//! differ, report it: one of them is a bug.
//!
//! "Must", "never" and "only" are used in their normative sense: they state what the
//! crate enforces, not what it hopes for. Where the crate leaves something to the
//! host, the section says so and [`threats`] collects it.
//!
//! | section | what it fixes |
//! |---|---|
//! | [`precedence`] | scopes, precedence, the personal fallback (manual against API, webhook and schedule runs), allowlists, deletion, `explain` |
//! | [`sharing`] | share links: what is lent, required inputs, provided values never replace lent ones, no mixing in one template, charging, what is masked |
//! | [`agents`] | what an agent step receives ([`Step::all_available`](crate::Step::all_available)) |
//! | [`runs`] | the rotation rule (a step keeps its value; the next step sees the new one) and the prefetch snapshot |
//! | [`templates`] | `{{KEY}}` templates, rendered in one pass |
//! | [`sealing`] | the sealed format, both associated data byte for byte, and key-encryption-key rotation |
//! | [`masking`] | what a [`Redactor`](crate::Redactor) masks, and exactly what that guarantees |
//! | [`threats`] | the threat boundary: what the host must provide |
//!
//! The vocabulary used throughout: a **scope** ([`Scope`](crate::Scope)) is where a
//! secret lives (one workflow, a workspace, or one user inside a workspace); a
//! **run** ([`Run`](crate::Run)) is one execution of a workflow, described by a
//! [`RunContext`](crate::RunContext); a **step** ([`Step`](crate::Step)) is one
//! unit of work inside it; the **owner** is the workflow's owner; a **shared run**
//! is a run through a share link, driven by someone who may not be a member of the
//! workspace (the **runner**).

pub mod agents;
pub mod masking;
pub mod precedence;
pub mod runs;
pub mod sealing;
pub mod sharing;
pub mod templates;
pub mod threats;
