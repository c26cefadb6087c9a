//! The design, as the crate implements it: the normative rules.
//!
//! (Being written.)
