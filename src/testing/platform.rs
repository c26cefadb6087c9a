//! A seam in `PlatformRedactor`'s rebuild, for the crate's own tests of what
//! happens while one runs (not a stable API).

/// Runs `f` on this thread during the next rebuild this thread makes, after the
/// table's lock is released and before the new redactor is compiled: `f` may note
/// values, which then arrive while the rebuild is under way.
pub fn on_next_rebuild(f: impl FnOnce() + 'static) {
    crate::redact::on_next_rebuild(Box::new(f));
}
