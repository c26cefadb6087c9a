//! `Segment`: one immutable pattern set, its searcher, and the span union.
//!
//! A segment finds the *runs* of a haystack: the maximal groups of pattern
//! occurrences that overlap or touch. It does so with leftmost-longest
//! `aho-corasick` searches, which keep the SIMD prefilter on: after each hit the
//! search resumes one byte after the hit's *start*, so the next search is the local
//! re-check (does another pattern start inside the current run and extend it?) and,
//! when nothing does, already the search for the next hit. An overlapping search
//! would find the same union but switches the prefilter off.
//!
//! That plain, obviously-correct search stays as the oracle. A segment of more than
//! 64 patterns (past what the SIMD prefilter covers) searches instead with the
//! fingerprint prefilter of `fingerprint.rs` for its long patterns, plus a small
//! automaton for at most 32 much shorter ones, and folds every occurrence they find
//! into runs exactly as the oracle does (`tests/redact_oracle.rs` checks that the two
//! agree). The partial occurrences at a text's ends have their own filters and
//! sorted tables, shared by both searchers.

use std::cmp::Ordering;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind, Span, packed};
use zeroize::Zeroizing;

use super::fingerprint::{self, Fingerprint};
use super::variants::MIN_FRAGMENT;

/// Which searcher a segment uses: picked by size, or forced (tests compare the two).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Choice {
    /// The fingerprint prefilter for sets past [`PACKED_MAX`] patterns, else the packed
    /// searcher alone (falling back to the oracle's automaton when it cannot be built).
    #[default]
    Auto,
    /// Plain leftmost-longest `aho-corasick` over every pattern.
    Oracle,
    /// The fingerprint prefilter whenever the patterns allow it.
    Fast,
}

/// At most this many patterns shorter than the fingerprint's L go to the short
/// automaton in [`Choice::Auto`] (its packed SIMD searcher covers 64).
const SHORT_MAX: usize = 32;

/// The fingerprint's shortest worthwhile probe stride in [`Choice::Auto`].
const MIN_STEP: usize = 9;

/// Past this many patterns the fingerprint uses 5-byte windows instead of 4.
const Q4_MAX_PATTERNS: usize = 20_000;

/// The automaton of the short patterns, with each one's segment pattern id.
struct Short {
    ac: AhoCorasick,
    ids: Vec<u32>,
}

/// How a segment finds occurrences.
enum Searcher {
    /// Leftmost-longest `aho-corasick` over every pattern: the oracle.
    Ac(AhoCorasick),
    /// Small sets in `Choice::Auto`: `aho-corasick`'s packed searcher (Teddy, with
    /// Rabin-Karp for short texts) on its own. It searches exactly as the automaton's
    /// SIMD prefilter does, and builds without the automaton (5 secrets with encodings:
    /// about 100 µs as an automaton, a few µs packed).
    Packed(packed::Searcher),
    /// Long patterns through the fingerprint, short ones through a small automaton.
    Fast {
        fingerprint: Fingerprint,
        short: Option<Short>,
    },
}

/// Sets this small keep the automaton in `Choice::Auto`; from here to [`PACKED_MAX`]
/// the packed searcher alone is as fast and builds several times faster.
const PACKED_MIN: usize = 16;

/// Patterns totalling at most this many bytes get a DFA: the fastest kind, whose
/// memory grows with the pattern bytes times the alphabet.
const DFA_MAX_BYTES: usize = 64 * 1024;

/// A mask id marking a run whose mask the writer has already emitted.
pub(crate) const CARRIED: u32 = u32::MAX;

/// One masked run of a haystack: `start..end`, the length of the occurrence that
/// starts it (ties between runs that start together go to the longer one), and the
/// mask that replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) first_len: usize,
    pub(crate) mask: u32,
}

/// A pattern before it is placed in a segment: its bytes (plaintext or an encoding of
/// it, so zeroized) and its mask id.
pub(crate) struct Entry {
    pub(crate) bytes: Zeroizing<Vec<u8>>,
    pub(crate) mask: u32,
}

/// An immutable set of patterns with its searcher and the tables for partial
/// occurrences.
///
/// **Holds secret material**: `arena` is every pattern's bytes, zeroized on drop. The
/// `aho-corasick` automaton keeps its own copy, which cannot be wiped (SECURITY.md).
pub(crate) struct Segment {
    searcher: Searcher,
    /// Every pattern's bytes, back to back, in byte order.
    arena: Zeroizing<Vec<u8>>,
    /// `(offset, len)` of pattern `i` in `arena`; patterns sorted by bytes.
    ranges: Vec<(u32, u32)>,
    /// The mask id of pattern `i`.
    masks: Vec<u32>,
    /// Pattern ids sorted by their reversed bytes, for suffix look-ups.
    by_suffix: Vec<u32>,
    /// 8-byte-gram filters of pattern heads and tails (for partial occurrences).
    heads: Box<[u64]>,
    tails: Box<[u64]>,
    /// Every 8-byte gram of every pattern longer than 8: a text whose last (first)
    /// 8 bytes are in no pattern has no partial occurrence at its end (start), which
    /// one probe tells.
    grams: Box<[u64]>,
    /// Which bytes occur in some pattern.
    bytes_seen: [bool; 256],
    min_len: usize,
    max_len: usize,
}

const FILTER_BITS: u32 = 16;

fn gram_slot(gram: &[u8], log2: u32) -> usize {
    let mut word = [0u8; 8];
    word.copy_from_slice(&gram[..8]);
    let hash = u64::from_le_bytes(word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (hash >> (64 - log2)) as usize
}

fn filter_set(filter: &mut [u64], gram: &[u8]) {
    let log2 = (filter.len() * 64).trailing_zeros();
    let slot = gram_slot(gram, log2);
    filter[slot / 64] |= 1 << (slot % 64);
}

fn filter_has(filter: &[u64], gram: &[u8]) -> bool {
    let log2 = (filter.len() * 64).trailing_zeros();
    let slot = gram_slot(gram, log2);
    filter[slot / 64] & (1 << (slot % 64)) != 0
}

/// `aho-corasick`'s packed SIMD searcher (Teddy) covers at most this many patterns.
const PACKED_MAX: usize = 64;

/// Sets of up to this many patterns are split into segments of at most
/// [`SPLIT_CHUNK`] patterns: a few SIMD passes beat one automaton walk over every
/// byte. (Measured: the packed searcher slows sharply as it nears 64 patterns, so
/// chunks stay well under it; past 8 chunks a DFA wins.)
const SPLIT_MAX: usize = 8 * SPLIT_CHUNK;
const SPLIT_CHUNK: usize = 40;

impl Segment {
    /// Builds the segments for a set: one, or for a small set several of at most 64
    /// patterns each, so that each one is searched with the SIMD prefilter. The runs
    /// of the set are the union of the segments' runs either way.
    pub(crate) fn build_set(mut entries: Vec<Entry>, choice: Choice) -> Vec<Segment> {
        entries.retain(|e| !e.bytes.is_empty());
        entries.sort_by(|a, b| a.bytes.cmp(&b.bytes));
        entries.dedup_by(|later, first| later.bytes == first.bytes);
        if entries.len() <= PACKED_MAX || entries.len() > SPLIT_MAX || choice != Choice::Oracle {
            return Segment::build(entries, choice).into_iter().collect();
        }
        let chunks = entries.len().div_ceil(SPLIT_CHUNK);
        let per = entries.len().div_ceil(chunks);
        let mut out = Vec::with_capacity(chunks);
        while !entries.is_empty() {
            let rest = entries.split_off(per.min(entries.len()));
            out.extend(Segment::build(
                std::mem::replace(&mut entries, rest),
                choice,
            ));
        }
        out
    }

    /// Builds a segment. Equal patterns are kept once, with the mask of the first
    /// entry that registered them (entries come oldest first).
    ///
    /// Returns `None` when there is no pattern or the searcher cannot be built.
    pub(crate) fn build(mut entries: Vec<Entry>, choice: Choice) -> Option<Segment> {
        entries.retain(|e| !e.bytes.is_empty());
        // Stable: among equal patterns the oldest comes first and is kept.
        entries.sort_by(|a, b| a.bytes.cmp(&b.bytes));
        entries.dedup_by(|later, first| later.bytes == first.bytes);
        if entries.is_empty() {
            return None;
        }
        let total: usize = entries.iter().map(|e| e.bytes.len()).sum();
        let mut arena = Zeroizing::new(Vec::with_capacity(total));
        let mut ranges = Vec::with_capacity(entries.len());
        let mut masks = Vec::with_capacity(entries.len());
        let mut heads = vec![0u64; (1 << FILTER_BITS) / 64].into_boxed_slice();
        let mut tails = heads.clone();
        let mut bytes_seen = [false; 256];
        let mut max_len = 0;
        let min_len = entries.iter().map(|e| e.bytes.len()).min().unwrap_or(0);
        // About 8 bits per gram, between 4 Kib and 8 Mib (1 MiB).
        let gram_count: usize = entries
            .iter()
            .map(|e| e.bytes.len().saturating_sub(7))
            .sum();
        let grams_log2 = (gram_count * 8)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(12, 23);
        let mut grams = vec![0u64; (1usize << grams_log2) / 64].into_boxed_slice();
        for entry in &entries {
            let offset = u32::try_from(arena.len()).ok()?;
            let len = u32::try_from(entry.bytes.len()).ok()?;
            arena.extend_from_slice(&entry.bytes);
            ranges.push((offset, len));
            masks.push(entry.mask);
            max_len = max_len.max(entry.bytes.len());
            for &b in entry.bytes.iter() {
                bytes_seen[usize::from(b)] = true;
            }
            if entry.bytes.len() > MIN_FRAGMENT {
                filter_set(&mut heads, &entry.bytes[..8]);
                filter_set(&mut tails, &entry.bytes[entry.bytes.len() - 8..]);
                for gram in entry.bytes.windows(8) {
                    filter_set(&mut grams, gram);
                }
            }
        }
        drop(entries);
        let searcher = Searcher::build(&arena, &ranges, total, choice)?;
        let mut segment = Segment {
            searcher,
            arena,
            ranges,
            masks,
            by_suffix: Vec::new(),
            heads,
            tails,
            grams,
            bytes_seen,
            min_len,
            max_len,
        };
        // Keyed by the last 8 bytes reversed, which order the patterns as `rev_cmp`
        // does wherever they differ, so most comparisons touch no pattern bytes.
        let mut keyed: Vec<(u64, u32)> = (0..segment.ranges.len())
            .map(|i| {
                let p = segment.pattern(i);
                let mut key = [0u8; 8];
                for (k, &b) in key.iter_mut().zip(p.iter().rev()) {
                    *k = b;
                }
                (u64::from_be_bytes(key), i as u32)
            })
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| rev_cmp(segment.pattern(a.1 as usize), segment.pattern(b.1 as usize)))
        });
        let by_suffix: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
        segment.by_suffix = by_suffix;
        Some(segment)
    }

    /// Pattern `i`'s bytes.
    fn pattern(&self, i: usize) -> &[u8] {
        let (o, l) = self.ranges[i];
        &self.arena[o as usize..(o + l) as usize]
    }

    /// How many patterns the segment holds.
    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// The longest pattern's length.
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }

    /// The shortest pattern's length.
    pub(crate) fn min_len(&self) -> usize {
        self.min_len
    }

    /// Whether byte `b` occurs in some pattern.
    pub(crate) fn has_byte(&self, b: u8) -> bool {
        self.bytes_seen[usize::from(b)]
    }

    /// Whether some pattern occurs in `text`.
    pub(crate) fn occurs_in(&self, text: &[u8]) -> bool {
        match &self.searcher {
            Searcher::Ac(ac) => ac.is_match(text),
            Searcher::Packed(packed) => packed.find(text).is_some(),
            Searcher::Fast { .. } => {
                let mut runs = Vec::new();
                self.runs(text, &mut runs);
                !runs.is_empty()
            }
        }
    }

    /// Heap bytes held: the automaton plus the tables.
    pub(crate) fn memory_usage(&self) -> usize {
        self.searcher.memory_usage()
            + self.arena.capacity()
            + self.ranges.capacity() * 8
            + self.masks.capacity() * 4
            + self.by_suffix.capacity() * 4
            + (self.heads.len() + self.tails.len() + self.grams.len()) * 8
    }

    /// Every pattern with its mask id, oldest registration first for equal bytes (a
    /// merge feeds these to [`Segment::build`]).
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.len()).map(|i| Entry {
            bytes: Zeroizing::new(self.pattern(i).to_vec()),
            mask: self.masks[i],
        })
    }

    /// Copies of every pattern (the `#[doc(hidden)]` variant list).
    #[cfg(feature = "testing")]
    pub(crate) fn patterns(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.pattern(i))
    }

    /// Appends the runs of `hay` to `out`, in order, touching runs merged.
    ///
    /// Each leftmost-longest search from `at` returns the next start position that
    /// has an occurrence, with the longest occurrence there; resuming one byte after
    /// that start (not after its end) visits every such position, so the union of
    /// what it returns is the union of all occurrences. A start inside the current
    /// run extends it; the bytes re-scanned are the run's own, and the prefilter
    /// skips them.
    pub(crate) fn runs(&self, hay: &[u8], out: &mut Vec<Run>) {
        let find = |at: usize| match &self.searcher {
            Searcher::Ac(ac) => ac.find(Input::new(hay).span(at..hay.len())),
            Searcher::Packed(packed) => packed.find_in(hay, Span::from(at..hay.len())),
            Searcher::Fast { .. } => None,
        };
        if let Searcher::Fast { fingerprint, short } = &self.searcher {
            return self.fast_runs(fingerprint, short.as_ref(), hay, out);
        }
        let mut at = 0;
        let mut current: Option<Run> = None;
        while at < hay.len() {
            let Some(m) = find(at) else {
                break;
            };
            match current.as_mut() {
                Some(run) if m.start() <= run.end => run.end = run.end.max(m.end()),
                _ => {
                    if let Some(run) = current.take() {
                        out.push(run);
                    }
                    current = Some(Run {
                        start: m.start(),
                        end: m.end(),
                        first_len: m.end() - m.start(),
                        mask: self.masks[m.pattern().as_usize()],
                    });
                }
            }
            at = m.start() + 1;
        }
        if let Some(run) = current {
            out.push(run);
        }
    }

    /// [`Segment::runs`] through the fingerprint: every occurrence of a long pattern
    /// (each candidate verified) and, as in the oracle, the longest occurrence of a
    /// short pattern at every start, sorted by start and then length (longest
    /// first), folded into runs exactly as the oracle folds its hits.
    fn fast_runs(
        &self,
        fingerprint: &Fingerprint,
        short: Option<&Short>,
        hay: &[u8],
        out: &mut Vec<Run>,
    ) {
        // (start, end, pattern id)
        let mut spans: Vec<(usize, usize, u32)> = Vec::new();
        if let Some(short) = short {
            let mut at = 0;
            while at < hay.len() {
                let Some(m) = short.ac.find(Input::new(hay).span(at..hay.len())) else {
                    break;
                };
                spans.push((m.start(), m.end(), short.ids[m.pattern().as_usize()]));
                at = m.start() + 1;
            }
        }
        let mut candidates = Vec::new();
        fingerprint.scan(hay, &mut candidates);
        spans.extend(candidates.into_iter().filter_map(|(start, id)| {
            let pattern = self.pattern(id as usize);
            hay[start..]
                .starts_with(pattern)
                .then(|| (start, start + pattern.len(), id))
        }));
        if spans.is_empty() {
            return;
        }
        spans.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut current: Option<Run> = None;
        for (start, end, id) in spans {
            match current.as_mut() {
                Some(run) if start <= run.end => run.end = run.end.max(end),
                _ => {
                    if let Some(run) = current.take() {
                        out.push(run);
                    }
                    current = Some(Run {
                        start,
                        end,
                        first_len: end - start,
                        mask: self.masks[id as usize],
                    });
                }
            }
        }
        if let Some(run) = current {
            out.push(run);
        }
    }

    /// The longest proper prefix of a pattern that ends `hay`, at least
    /// max(8, half the pattern): `(start, mask)`.
    pub(crate) fn end_partial(&self, hay: &[u8]) -> Option<(usize, u32)> {
        let longest = hay.len().min(self.max_len.saturating_sub(1));
        if longest < MIN_FRAGMENT || !filter_has(&self.grams, &hay[hay.len() - 8..]) {
            return None;
        }
        for start in hay.len() - longest..=hay.len() - MIN_FRAGMENT {
            let tail = &hay[start..];
            if !filter_has(&self.heads, &tail[..8]) {
                continue;
            }
            let l = tail.len();
            let mut i = self.first_at_least(tail);
            while i < self.len() && self.pattern(i).starts_with(tail) {
                let n = self.pattern(i).len();
                if n > l && n <= 2 * l {
                    return Some((start, self.masks[i]));
                }
                i += 1;
            }
        }
        None
    }

    /// The longest proper suffix of a pattern that starts `hay`, at least
    /// max(8, half the pattern): `(end, mask)`.
    pub(crate) fn start_partial(&self, hay: &[u8]) -> Option<(usize, u32)> {
        let longest = hay.len().min(self.max_len.saturating_sub(1));
        if longest < MIN_FRAGMENT || !filter_has(&self.grams, &hay[..8]) {
            return None;
        }
        for l in (MIN_FRAGMENT..=longest).rev() {
            let head = &hay[..l];
            if !filter_has(&self.tails, &head[l - 8..]) {
                continue;
            }
            let mut k = self
                .by_suffix
                .partition_point(|&i| rev_cmp(self.pattern(i as usize), head) == Ordering::Less);
            while let Some(&i) = self.by_suffix.get(k) {
                let p = self.pattern(i as usize);
                if !p.ends_with(head) {
                    break;
                }
                if p.len() > l && p.len() <= 2 * l {
                    return Some((l, self.masks[i as usize]));
                }
                k += 1;
            }
        }
        None
    }

    /// The index of the first pattern not less than `key`.
    fn first_at_least(&self, key: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.pattern(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

impl Searcher {
    /// Picks and builds the searcher for the patterns `ranges` of `arena` (sorted by
    /// bytes, `total` bytes in all). `None` when an automaton cannot be built.
    fn build(
        arena: &[u8],
        ranges: &[(u32, u32)],
        total: usize,
        choice: Choice,
    ) -> Option<Searcher> {
        let pattern = |&(o, l): &(u32, u32)| &arena[o as usize..(o + l) as usize];
        if choice != Choice::Oracle && ranges.len() < fingerprint::MAX_PATTERNS {
            let mut lens: Vec<usize> = ranges.iter().map(|&(_, l)| l as usize).collect();
            lens.sort_unstable();
            let n = ranges.len();
            // q: 4-byte windows probe most sparsely; past about 20,000 patterns real
            // collisions of log text's 4-grams with the table's grow, and 5 bytes
            // win (measured). A forced fast matcher cycles q with the set's size, so
            // tests cover every width.
            let q = match choice {
                Choice::Fast => [4, 5, 8][n % 3],
                _ if n <= Q4_MAX_PATTERNS => 4,
                _ => 5,
            };
            // L: the shortest pattern, unless the few shortest (up to SHORT_MAX of
            // them) would force a stride under MIN_STEP; those go to the short
            // automaton, a second pass that costs about as much as a stride of 20.
            let k = lens
                .iter()
                .position(|&len| len + 1 >= q + MIN_STEP)
                .unwrap_or(n - 1)
                .min(SHORT_MAX)
                .min(n - 1);
            let l = lens[k].min(q + fingerprint::MAX_STEP - 1);
            let shorter = lens.partition_point(|&len| len < l);
            let worth_it = n > PACKED_MAX && shorter <= SHORT_MAX && l + 1 >= q + MIN_STEP;
            if l >= q && (choice == Choice::Fast || worth_it) {
                let long = ranges
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.1 as usize >= l)
                    .map(|(i, r)| (i as u32, pattern(r)));
                let fingerprint = Fingerprint::build(l, q, n - shorter, long);
                let (ids, short): (Vec<u32>, Vec<&[u8]>) = ranges
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| (r.1 as usize) < l)
                    .map(|(i, r)| (i as u32, pattern(r)))
                    .unzip();
                let short = if short.is_empty() {
                    None
                } else {
                    let ac = AhoCorasick::builder()
                        .match_kind(MatchKind::LeftmostLongest)
                        .build(short)
                        .ok()?;
                    Some(Short { ac, ids })
                };
                return Some(Searcher::Fast { fingerprint, short });
            }
        }
        // Below PACKED_MIN the automaton builds in microseconds anyway, and its own
        // prefilter picks memmem or a rare-byte search, which beat Teddy on one or two
        // patterns (one 16–64 byte secret: 4x, measured).
        if choice == Choice::Auto && (PACKED_MIN..=PACKED_MAX).contains(&ranges.len()) {
            let packed = packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostLongest)
                .builder()
                .extend(ranges.iter().map(pattern))
                .build();
            if let Some(packed) = packed {
                return Some(Searcher::Packed(packed));
            }
        }
        // Small sets are searched by the packed SIMD prefilter, which the kind does not
        // change, and an NFA builds in microseconds where a DFA takes a millisecond.
        let kind = if ranges.len() > PACKED_MAX && total <= DFA_MAX_BYTES {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(kind))
            .build(ranges.iter().map(pattern))
            .ok()?;
        Some(Searcher::Ac(ac))
    }

    fn memory_usage(&self) -> usize {
        match self {
            Searcher::Ac(ac) => ac.memory_usage(),
            Searcher::Packed(packed) => packed.memory_usage(),
            Searcher::Fast { fingerprint, short } => {
                fingerprint.memory_usage()
                    + short
                        .as_ref()
                        .map_or(0, |s| s.ac.memory_usage() + s.ids.capacity() * 4)
            }
        }
    }
}

/// Compares two byte strings read back to front.
fn rev_cmp(a: &[u8], b: &[u8]) -> Ordering {
    a.iter().rev().cmp(b.iter().rev())
}
