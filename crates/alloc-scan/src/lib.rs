//! A global allocator that scans every block it frees for a marker value.
//!
//! Dev-only (`publish = false`): `tests/freed_memory.rs` installs [`Scanner`] as the
//! global allocator, arms it with a secret's marker and its encodings, walks the
//! secret through `workflow-secrets` phase by phase, and fails on any freed block
//! that still holds the marker and is not a named dependency exception.
//!
//! Every free is scanned: `dealloc`, and the old block of every `realloc`, which the
//! scanner always moves (allocate, copy, scan and free the old block) so that a block
//! the system allocator would have grown in place is judged as if it had moved: whether
//! a grown buffer moves is the allocator's choice, not the crate's, and a secret left in
//! an outgrown block is a leak whichever way it went.
//!
//! Attribution without backtraces: each hit records the phase the test had set, the
//! block's size and which needle matched. Nothing here allocates: hits go to a fixed
//! table of atomics, the needles are set once before scanning starts.
//!
//! `unsafe` is why this crate exists outside the core's `forbid`: implementing
//! `GlobalAlloc` and reading a block before it is freed both need it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What the scanner looks for.
#[derive(Debug)]
pub struct Needles {
    /// The marker itself: every byte distinct, so a window of it is found in one pass.
    pub marker: &'static [u8],
    /// A freed block holding any `window` consecutive bytes of the marker is a hit.
    pub window: usize,
    /// Encoded forms (base64, hex...): a block holding any of these whole is a hit.
    pub encoded: &'static [(&'static str, &'static [u8])],
}

/// One freed block that held a needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The phase set by [`set_phase`] when the block was freed.
    pub phase: usize,
    /// The block's size in bytes.
    pub size: usize,
    /// Which needle: 0 the marker, `1 + i` the `i`-th encoded form.
    pub needle: usize,
    /// Where in the block the needle starts.
    pub offset: usize,
}

const MAX_HITS: usize = 4096;

static NEEDLES: OnceLock<Needles> = OnceLock::new();
/// Position + 1 of each byte in the marker; 0 for bytes not in it.
static POSITIONS: OnceLock<[u8; 256]> = OnceLock::new();
static ARMED: AtomicBool = AtomicBool::new(false);
static PHASE: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);
static HIT_PHASE: [AtomicUsize; MAX_HITS] = [const { AtomicUsize::new(0) }; MAX_HITS];
static HIT_SIZE: [AtomicUsize; MAX_HITS] = [const { AtomicUsize::new(0) }; MAX_HITS];
static HIT_NEEDLE: [AtomicUsize; MAX_HITS] = [const { AtomicUsize::new(0) }; MAX_HITS];
static HIT_OFFSET: [AtomicUsize; MAX_HITS] = [const { AtomicUsize::new(0) }; MAX_HITS];

/// Sets the needles, once, before [`arm`].
///
/// # Panics
///
/// When called twice, when the marker repeats a byte or is longer than 255 bytes, or
/// when `window` is 0 or longer than the marker.
pub fn set_needles(needles: Needles) {
    let marker = needles.marker;
    assert!(marker.len() < 256 && needles.window > 0 && needles.window <= marker.len());
    let mut positions = [0u8; 256];
    for (i, &b) in marker.iter().enumerate() {
        assert_eq!(positions[usize::from(b)], 0, "the marker repeats a byte");
        positions[usize::from(b)] = u8::try_from(i + 1).unwrap_or(u8::MAX);
    }
    assert!(POSITIONS.set(positions).is_ok(), "needles set twice");
    assert!(NEEDLES.set(needles).is_ok(), "needles set twice");
}

/// Starts (or stops) scanning freed blocks.
pub fn arm(on: bool) {
    ARMED.store(on, Ordering::SeqCst);
}

/// Names the phase that the next hits are attributed to.
pub fn set_phase(phase: usize) {
    PHASE.store(phase, Ordering::SeqCst);
}

/// Every hit so far, in order (the first 4096), and the total count.
pub fn hits() -> (Vec<Hit>, usize) {
    let total = COUNT.load(Ordering::SeqCst);
    let hits = (0..total.min(MAX_HITS))
        .map(|i| Hit {
            phase: HIT_PHASE[i].load(Ordering::SeqCst),
            size: HIT_SIZE[i].load(Ordering::SeqCst),
            needle: HIT_NEEDLE[i].load(Ordering::SeqCst),
            offset: HIT_OFFSET[i].load(Ordering::SeqCst),
        })
        .collect();
    (hits, total)
}

/// Which needle `block` holds, if any, and where.
pub fn scan(block: &[u8]) -> Option<(usize, usize)> {
    let (Some(needles), Some(positions)) = (NEEDLES.get(), POSITIONS.get()) else {
        return None;
    };
    let (marker, window) = (needles.marker, needles.window);
    if block.len() >= window {
        for i in 0..=block.len() - window {
            let at = usize::from(positions[usize::from(block[i])]);
            if at == 0 {
                continue;
            }
            let start = at - 1;
            if start + window <= marker.len()
                && block[i..i + window] == marker[start..start + window]
            {
                return Some((0, i));
            }
        }
    }
    for (n, (_, encoded)) in needles.encoded.iter().enumerate() {
        if !encoded.is_empty()
            && block.len() >= encoded.len()
            && let Some(at) = block.windows(encoded.len()).position(|w| w == *encoded)
        {
            return Some((n + 1, at));
        }
    }
    None
}

fn record(block: &[u8]) {
    if !ARMED.load(Ordering::Relaxed) {
        return;
    }
    if let Some((needle, offset)) = scan(block) {
        let i = COUNT.fetch_add(1, Ordering::SeqCst);
        if i < MAX_HITS {
            HIT_PHASE[i].store(PHASE.load(Ordering::SeqCst), Ordering::SeqCst);
            HIT_SIZE[i].store(block.len(), Ordering::SeqCst);
            HIT_NEEDLE[i].store(needle, Ordering::SeqCst);
            HIT_OFFSET[i].store(offset, Ordering::SeqCst);
        }
    }
}

/// The scanning allocator: the system allocator, plus a scan of every freed block.
#[derive(Debug)]
pub struct Scanner;

// SAFETY: every method forwards to `System` with the caller's layouts; the only extra
// work is reading a block the caller still owns, before it is freed.
unsafe impl GlobalAlloc for Scanner {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes until the call below;
        // allocator blocks hold initialized bytes or bytes never written, and reading
        // `u8`s from either is what every zeroizing wipe relies on too.
        record(unsafe { std::slice::from_raw_parts(ptr, layout.size()) });
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` is valid for `layout.align()`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a non-zero size (the caller's contract for `realloc`).
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and distinct, each at least this long.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: as in `dealloc`: the old block is scanned, then freed.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}
