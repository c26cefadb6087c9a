//! The masks by id: an append-only table that every snapshot of a set shares.
//!
//! A labelled set has a mask per key (`[REDACTED:KEY]`), so the table grows with
//! the keys. Snapshots used to rebuild and copy every mask, and a redaction scanned
//! them all for the longest: with 100,000 keys a live `add` cost 7 ms and every
//! `redact_into` of a log line 16 µs, against 4 µs and 0.13 µs unlabelled. Here
//! an id's mask is written once and never changes, ids only grow, and a snapshot
//! keeps a view (the chunks shared, its own length), so an add appends one mask and
//! a snapshot copies a pointer per chunk: `O(log K)` for `K` keys.

use std::fmt;
use std::sync::{Arc, OnceLock};

use super::formats::FORMAT_MASK;

/// A chunk of masks: chunk `k` holds ids `2^k - 1` to `2^(k+1) - 2`, so the chunks
/// double and there are `O(log K)` of them. A slot is set once, under the set's
/// lock, before any snapshot that counts it is published.
type Chunk = Arc<[OnceLock<Box<str>>]>;

/// Which chunk, and which slot in it, holds mask `id`.
fn place(id: usize) -> (usize, usize) {
    let k = (id + 1).ilog2() as usize;
    (k, id + 1 - (1 << k))
}

/// The table a set appends to (held under its lock). Not `Clone`: one table writes
/// its slots, so no slot is ever set twice; snapshots read through [`MaskView`].
#[derive(Default)]
pub(crate) struct Masks {
    view: MaskView,
}

impl Masks {
    /// Appends `mask`; returns its id, or `None` once the ids would reach the
    /// token formats' (the caller falls back to mask 0).
    pub(crate) fn push(&mut self, mask: String) -> Option<u32> {
        let MaskView {
            chunks,
            len,
            longest,
            bytes,
        } = &mut self.view;
        // Ids from `FORMAT_MASK` on are the token formats' (and `u32::MAX` a carried
        // run's): a key's mask there would read as a format's.
        let id = u32::try_from(*len).ok().filter(|&id| id < FORMAT_MASK)?;
        let (k, slot) = place(*len);
        if k == chunks.len() {
            chunks.push((0..1usize << k).map(|_| OnceLock::new()).collect());
        }
        *longest = (*longest).max(mask.len());
        *bytes += mask.len();
        // Never set before: this table alone writes its slots, each id once.
        let _ = chunks[k][slot].set(mask.into_boxed_str());
        *len += 1;
        Some(id)
    }

    /// A table of its own with the same masks, for a set that goes on alone (a
    /// table shared by two writers would have each set the other's slots).
    pub(crate) fn duplicate(&self) -> Masks {
        let mut copy = Masks::default();
        for id in 0..self.view.len {
            let mask = u32::try_from(id).ok().and_then(|id| self.view.get(id));
            copy.push(mask.unwrap_or_default().to_owned());
        }
        copy
    }

    /// The table as it is now, for a snapshot: later pushes do not show in it.
    pub(crate) fn view(&self) -> MaskView {
        self.view.clone()
    }
}

impl fmt::Debug for Masks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view.fmt(f)
    }
}

/// The masks as a snapshot sees them: the first `len` ids of the table.
#[derive(Clone, Default)]
pub(crate) struct MaskView {
    chunks: Vec<Chunk>,
    len: usize,
    /// The longest mask's length in bytes.
    longest: usize,
    /// The masks' bytes, all told.
    bytes: usize,
}

impl MaskView {
    /// Mask `id`, or `None` past this view's ids.
    pub(crate) fn get(&self, id: u32) -> Option<&str> {
        let id = id as usize;
        if id >= self.len {
            return None;
        }
        let (k, slot) = place(id);
        self.chunks.get(k)?.get(slot)?.get().map(|mask| &**mask)
    }

    /// The longest mask's length in bytes (0 when there is none).
    pub(crate) fn longest(&self) -> usize {
        self.longest
    }

    /// Heap bytes the masks hold (shared with other views of the table).
    pub(crate) fn memory_usage(&self) -> usize {
        let slots: usize = self.chunks.iter().map(|c| c.len()).sum();
        self.bytes + slots * std::mem::size_of::<OnceLock<Box<str>>>()
    }
}

impl fmt::Debug for MaskView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Masks are public (key names), but a set's debug output stays short.
        f.debug_struct("Masks").field("len", &self.len).finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_doubling_chunks() {
        let cases = [
            (0, (0, 0)),
            (1, (1, 0)),
            (2, (1, 1)),
            (3, (2, 0)),
            (6, (2, 3)),
            (7, (3, 0)),
            (1022, (9, 511)),
            (1023, (10, 0)),
        ];
        for (id, expected) in cases {
            assert_eq!(place(id), expected, "id {id}");
        }
    }

    /// Every id reads back its own mask, across chunk edges; a view taken earlier
    /// sees only the ids it counted, and the longest mask as it was then.
    #[test]
    fn a_view_reads_its_own_ids_and_no_later_ones() {
        let mut masks = Masks::default();
        let mut views = Vec::new();
        for i in 0..300 {
            assert_eq!(masks.push(format!("[REDACTED:K{i}]")), Some(i));
            views.push(masks.view());
        }
        assert_eq!(masks.view.len, 300);
        // Debug shows the count only, the table's and a view's alike.
        assert_eq!(format!("{masks:?}"), "Masks { len: 300 }");
        for (n, view) in views.iter().enumerate() {
            let counted = n as u32 + 1;
            for id in [0, counted / 2, counted - 1] {
                assert_eq!(view.get(id), Some(format!("[REDACTED:K{id}]").as_str()));
            }
            assert_eq!(view.get(counted), None, "view {n}");
            assert_eq!(view.get(u32::MAX), None);
            assert_eq!(view.longest(), format!("[REDACTED:K{n}]").len());
        }
        assert_eq!(MaskView::default().get(0), None);
        assert_eq!(MaskView::default().longest(), 0);
    }

    /// A snapshot's view shares the table's chunks: taking one copies a pointer
    /// per chunk, not the masks.
    #[test]
    fn a_view_shares_the_chunks() {
        let mut masks = Masks::default();
        for i in 0..1000 {
            masks.push(format!("m{i}"));
        }
        let view = masks.view();
        assert_eq!(view.chunks.len(), 10);
        for (a, b) in view.chunks.iter().zip(&masks.view.chunks) {
            assert!(Arc::ptr_eq(a, b));
        }
        let bytes: usize = (0..1000).map(|i| format!("m{i}").len()).sum();
        assert_eq!(
            view.memory_usage(),
            bytes + 1023 * std::mem::size_of::<OnceLock<Box<str>>>()
        );
        assert_eq!(format!("{view:?}"), "Masks { len: 1000 }");
    }
}
