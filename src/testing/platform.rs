//! A seam in `PlatformRedactor`'s rebuild, for the crate's own tests of what
//! happens while one runs (not a stable API).

use std::cell::RefCell;

thread_local! {
    static DURING_REBUILD: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread during the next rebuild this thread makes, after the
/// table's lock is released and before the new redactor is compiled: `f` may note
/// values, which then arrive while the rebuild is under way.
pub fn on_next_rebuild(f: impl FnOnce() + 'static) {
    DURING_REBUILD.with(|hook| *hook.borrow_mut() = Some(Box::new(f)));
}

/// Called by the rebuild: runs and clears this thread's hook, if any.
pub(crate) fn during_rebuild() {
    if let Some(f) = DURING_REBUILD.with(|hook| hook.borrow_mut().take()) {
        f();
    }
}
