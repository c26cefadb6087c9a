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
//! That plain, obviously-correct search stays as the oracle. The searchers
//! `Choice::Auto` picks instead key on the patterns' distinct parts, because real
//! secrets share their beginnings: one pattern is found by its two rarest bytes
//! (`pair.rs`), 2 to 64 by Teddy over their last 16 ([`Ends`]), and more by the
//! fingerprint prefilter of `fingerprint.rs` (windows from where each parts from its
//! neighbours) plus a small automaton for at most 32 much shorter ones (where
//! thousands of patterns share the fingerprint's windows, only over the stretches
//! of text where one can end: `gate.rs`). Each
//! confirms its candidates by comparing bytes, charged to a linear budget, and folds every occurrence into
//! runs exactly as the oracle does (`tests/redact_oracle.rs` checks that they
//! agree). The partial occurrences at a text's ends have their own filters and
//! sorted tables, shared by every searcher.

use std::cmp::Ordering;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, Match, MatchKind, Span, packed};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::fingerprint::{self, Fingerprint};
use super::gate::Gate;
use super::pair::PairPrefilter;
use super::reverse::Reverse;
use super::variants::{MIN_FRAGMENT, Origin};

/// A searcher a segment can use.
#[cfg(feature = "testing")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain leftmost-longest `aho-corasick` over every pattern: the oracle.
    Automaton,
    /// `aho-corasick`'s packed SIMD searcher alone.
    Packed,
    /// `memchr`'s `memmem`, for a segment of one pattern.
    Memmem,
    /// The fingerprint prefilter, plus a small automaton for the shortest patterns.
    Fingerprint,
    /// The reversed-pattern automaton of `reverse.rs`: linear, always builds.
    Linear,
}

/// Which searcher segments use: picked by size, or (feature `testing`) forced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Choice {
    /// The fingerprint prefilter for sets past [`PACKED_MAX`] patterns where it is
    /// worth it, the packed searcher for [`PACKED_MIN`]`..=`[`PACKED_MAX`] (falling
    /// back to the automaton when it cannot be built), `memmem` for one pattern,
    /// else the automaton.
    #[default]
    Auto,
    /// One searcher for every segment, so the tests can run each rule under each.
    /// Where it cannot be built the segment searches with the automaton instead, so
    /// masking still holds, and records why: the testing hook reports that, so a
    /// forced searcher is never replaced silently.
    #[cfg(feature = "testing")]
    Forced(Kind),
    /// [`Choice::Auto`], but every `aho-corasick` automaton build is refused, as it
    /// is for a set too large for its state ids: the testing hook's way to prove
    /// that such a set is still masked.
    #[cfg(feature = "testing")]
    RefusingAutomaton,
}

/// Why a searcher cannot be built for a segment's patterns. Counts and widths only:
/// nothing here derives from a pattern's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Only the testing hook reads the reason; a production build discards it.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) enum Unbuilt {
    /// More patterns than the searcher covers.
    TooManyPatterns { patterns: usize, max: usize },
    /// The packed searcher declines 1-byte patterns among more than 16 (its own
    /// heuristic: they would swamp its verification step).
    OneBytePatterns { patterns: usize },
    /// The packed searcher needs SIMD this target lacks (SSSE3 or AVX2 on x86-64,
    /// NEON on aarch64, little-endian).
    Unsupported,
    /// No pattern is as long as the fingerprint's window.
    ShorterThanWindow { window: usize },
    /// `aho-corasick` refused the automaton (a set too large for its state ids).
    Automaton,
}

/// At most this many patterns shorter than the fingerprint's L go to the short
/// automaton (its packed SIMD searcher covers 64).
const SHORT_MAX: usize = 32;

/// The fingerprint's shortest worthwhile probe stride in [`Choice::Auto`]. 8, not 9:
/// past [`Q4_MAX_PATTERNS`] 12-byte passwords then keep 5-byte windows (stride 8), whose
/// table small-alphabet text (timestamps, hex ids) hits far less often than the
/// 4-byte one (100,000 real-shape secrets: about 1.7x faster on clean log text).
const MIN_STEP: usize = 8;

/// Past this many patterns the fingerprint uses 5-byte windows instead of 4 (where
/// its patterns are long enough). Measured on both corpora (random tokens, and the
/// real shapes of `benches/support/shapes.rs`): 4-byte windows win at 2,000
/// patterns, the two tie at 5,000, and by 10,000 real shapes' small-alphabet windows
/// (hex keys, digits) take every 4-gram of the digits and hex ids of log text, where
/// 5-byte windows run 1.5x faster.
const Q4_MAX_PATTERNS: usize = 4_000;

/// The fingerprint searcher: long patterns through the fingerprint, short ones
/// through a small automaton, and where the fingerprint's windows are crowded, only
/// over the stretches of text where an occurrence can end.
struct Fast {
    fingerprint: Fingerprint,
    short: Option<Short>,
    /// Built where one of the fingerprint's windows stands for more than
    /// [`CROWDED`] pattern offsets (thousands of secrets sharing the bytes before
    /// their last few) and the patterns end with few distinct bytes: text repeating
    /// the shared bytes would make every probe a candidate for each of them.
    gate: Option<Gate>,
}

/// A fingerprint bucket holding more items than this is crowded: one window shared
/// by that many pattern offsets (about four items per bucket otherwise).
const CROWDED: usize = 256;

/// The automaton of the short patterns, with each one's segment pattern id.
struct Short {
    ac: AhoCorasick,
    ids: Vec<u32>,
    /// The longest short pattern (shorter than the fingerprint's L).
    max_len: usize,
}

/// How a segment finds occurrences.
enum Searcher {
    /// Leftmost-longest `aho-corasick` over every pattern: the oracle.
    Ac(AhoCorasick),
    /// Sets of 2 to 64 patterns in `Choice::Auto`: `aho-corasick`'s packed searcher
    /// (Teddy, with Rabin-Karp for short texts) over each pattern's last bytes
    /// ([`Ends`]), without the automaton (5 secrets with encodings: about 100 µs to
    /// build as an automaton, a few µs packed).
    Packed(Ends),
    /// Long patterns through the fingerprint, short ones through a small automaton.
    Fast(Fast),
    /// The reversed-pattern automaton: where `aho-corasick` refuses to build (a set
    /// too large for its state ids), so that a segment always builds and every
    /// accepted value is masked.
    Linear(Reverse),
    /// One pattern: `memchr`'s packed-pair prefilter on the whole pattern, each
    /// candidate confirmed here ([`PairPrefilter`] says why), with `memmem` for
    /// the text's last bytes (shorter than the prefilter takes) and where the
    /// machine has no SIMD prefilter. Without the automaton, which re-reads each
    /// hit through its states (a secret every 4 KiB of a 4 MiB log: 5% to 17%
    /// faster).
    Memmem {
        finder: memchr::memmem::Finder<'static>,
        /// Boxed: vectors of the pair's bytes, far larger than the other variants.
        pair: Option<Box<PairPrefilter>>,
    },
}

/// The packed searcher keyed on the patterns' ends: Teddy over the distinct last `key`
/// bytes of every pattern (`key` the shortest pattern's length, at most
/// [`ENDS_KEY_MAX`]), each hit confirmed by comparing the bytes before it for each
/// pattern that ends so.
///
/// Why the ends: Teddy picks its candidates by a pattern's first three bytes, and
/// real secrets share their beginnings (`sk-proj-`, `ghp_`, a JWT's 36-byte header)
/// with each other and with the unregistered tokens of the same shape that logs are
/// full of; their random ends are what sets them apart (10 real-shape secrets over
/// 4 MiB of log text with such tokens every 512 B to 1 KiB: 306 µs keyed on their
/// starts, 242 µs on their ends; random tokens alike either way). And Teddy's own
/// confirmation compares at most `key` bytes per pattern, at most 64 x 16 at one
/// position whatever the secrets, while the rest, compared here, is charged to the
/// search's linear budget (patterns sharing a long prefix: `tests/redact_work.rs`).
struct Ends {
    keys: Keys,
    key: usize,
    /// Key `k`'s patterns (segment ids, those ending with it) are
    /// `ids[starts[k]..starts[k + 1]]`; keys in the packed searcher's pattern order.
    starts: Vec<u32>,
    ids: Vec<u32>,
}

/// How [`Ends`] finds its keys.
enum Keys {
    /// Teddy, over two or more distinct keys.
    Packed(packed::Searcher),
    /// `memmem`, where every pattern ends with the same key (64 secrets `a^32k b`):
    /// Teddy would pick its candidates by the key's first bytes, which such
    /// patterns share with text that repeats them (`aaa`), where `memmem`'s pair of
    /// rarest bytes holds the `b`. At most 16 bytes, so `memmem` confirms each of
    /// its candidates with one short comparison, linear in the text.
    One(memchr::memmem::Finder<'static>),
}

impl Keys {
    /// The first occurrence of a key that starts at `at` or later: `(start, key)`.
    fn find(&self, hay: &[u8], at: usize) -> Option<(usize, usize)> {
        match self {
            Keys::Packed(packed) => packed
                .find_in(hay, Span::from(at..hay.len()))
                .map(|m| (m.start(), m.pattern().as_usize())),
            Keys::One(finder) => finder.find(&hay[at..]).map(|i| (at + i, 0)),
        }
    }

    fn memory_usage(&self) -> usize {
        match self {
            Keys::Packed(packed) => packed.memory_usage(),
            Keys::One(finder) => finder.needle().len(),
        }
    }
}

/// The longest key of [`Ends`]: enough bytes that distinct secrets' keys differ, few
/// enough that Teddy's confirmation stays short (8 to 18 measured alike).
const ENDS_KEY_MAX: usize = 16;

/// The most pattern bytes the automaton's SIMD prefilter (Teddy over whole
/// patterns) may compare at one text position. Teddy confirms each candidate by
/// comparing the patterns of its bucket from that position, each until the first
/// byte that differs: for patterns that share a long prefix, over text that repeats
/// it without a hit, that is text x their total length (64 secrets `a^32k b` over
/// `a^n`), work the search's budget cannot see. Past this bound the automaton runs
/// without its prefilter (reading each byte once), so verification costs at most
/// this many byte comparisons per text byte, whatever the secrets. (The segment's
/// own packed searcher, [`Ends`], hands Teddy keys of at most 16 bytes, so it stays
/// under this bound for any 64 patterns, and compares the rest itself, charged.)
const VERIFY_MAX: usize = 2048;

/// The most bytes Teddy can compare at one text position for `ranges` (patterns
/// sorted by bytes): over every text, the sum over patterns of the bytes compared
/// before the first difference (the common prefix with the text, plus one, at most
/// the pattern's length). The worst text follows one pattern `q` (a text that leaves
/// every pattern's path costs less), and its common prefix with `p` is that of `q`
/// and `p`: the minimum of the adjacent common prefixes between them in sorted
/// order. O(n^2) in the patterns, for the at most 128 that Teddy takes.
fn verify_bound(arena: &[u8], ranges: &[(u32, u32)]) -> usize {
    let len = |i: usize| ranges[i].1 as usize;
    let adjacent: Vec<usize> = ranges
        .windows(2)
        .map(|w| {
            let (a, b) = (pattern(arena, w[0]), pattern(arena, w[1]));
            a.iter().zip(b).take_while(|(x, y)| x == y).count()
        })
        .collect();
    let mut worst = 0;
    for q in 0..ranges.len() {
        let mut sum = len(q);
        let mut common = usize::MAX;
        for p in q + 1..ranges.len() {
            common = common.min(adjacent[p - 1]);
            sum += (common + 1).min(len(p));
        }
        common = usize::MAX;
        for p in (0..q).rev() {
            common = common.min(adjacent[p]);
            sum += (common + 1).min(len(p));
        }
        worst = worst.max(sum);
    }
    worst
}

/// Past this many patterns `aho-corasick` never makes its packed searcher a
/// prefilter (its packed builder's own limit); its other prefilters (rare or
/// starting bytes) hand candidates to the automaton, which reads each byte once.
const AC_PACKED_PREFILTER_MAX: usize = 128;

/// Whether `aho-corasick` may use its prefilter for these patterns: not when its
/// packed searcher could be that prefilter and would verify more than
/// [`VERIFY_MAX`] bytes at a position. (One pattern gets `memmem`, which is linear
/// whatever its length.)
fn prefilter_allowed(arena: &[u8], ranges: &[(u32, u32)]) -> bool {
    let n = ranges.len();
    !(2..=AC_PACKED_PREFILTER_MAX).contains(&n) || verify_bound(arena, ranges) <= VERIFY_MAX
}

/// From here to [`PACKED_MAX`] patterns `Choice::Auto` searches with the packed
/// searcher alone (one pattern gets `memmem`). It builds several times faster than the
/// automaton, whose own prefilter is Teddy there anyway, and its hits need no walk
/// through the automaton's states. Below 16 patterns the automaton's prefilter is
/// its own choice of `memchr` on rare or starting bytes, which is much faster than
/// Teddy when it guesses well (two random tokens on log text: 4 MiB in 46 µs against
/// 260 µs) and much slower when it does not (three: 4.6 ms against 257 µs, every
/// `aho-corasick` match kind alike). Teddy's speed does not depend on the guess.
const PACKED_MIN: usize = 2;

/// Patterns totalling at most this many bytes get a DFA: the fastest kind, whose
/// memory grows with the pattern bytes times the alphabet.
const DFA_MAX_BYTES: usize = 64 * 1024;

/// A search may charge this much work per text byte, plus [`WORK_CONSTANT`], before
/// the segment abandons it for the linear automaton: resuming one byte after each
/// hit rescans overlapping hits, text x pattern length for periodic or nested
/// patterns. Ordinary text charges about one step per byte (plus the longest
/// pattern per hit), far under it.
const WORK_PER_BYTE: usize = 8;
const WORK_CONSTANT: usize = 64 * 1024;

/// The fingerprint's candidates per text: at most one per byte plus this.
const CANDIDATE_CONSTANT: usize = 4 * 1024;

/// The fingerprint probes a long text this many bytes at a time (rounded to its
/// stride), verifying each range's candidates before the next: about what a core's
/// second-level cache keeps.
const CHUNK: usize = 64 * 1024;

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
    /// Its encoding and plaintext length, for the partial-occurrence bound.
    pub(crate) origin: Origin,
}

/// An immutable set of patterns with its searcher and the tables for partial
/// occurrences.
///
/// **Holds secret material**: `arena` is every pattern's bytes, zeroized on drop. The
/// `aho-corasick` automaton keeps its own copy, which cannot be wiped (SECURITY.md).
pub(crate) struct Segment {
    searcher: Searcher,
    /// The forced searcher that could not be built, and why, when the automaton
    /// stands in for it.
    #[cfg(feature = "testing")]
    fallback: Option<(Kind, Unbuilt)>,
    /// Whether a search that passes its linear budget falls back to `linear`: all
    /// but the forced automaton, the plain oracle the tests compare with.
    budgeted: bool,
    /// The reversed-pattern automaton, built on the first text where this segment's
    /// searcher would pass its budget.
    linear: OnceLock<Reverse>,
    /// Every pattern's bytes, back to back, in byte order.
    arena: Zeroizing<Vec<u8>>,
    /// `(offset, len)` of pattern `i` in `arena`; patterns sorted by bytes.
    ranges: Vec<(u32, u32)>,
    /// The mask id of pattern `i`.
    masks: Vec<u32>,
    /// Where pattern `i` comes from (the partial-occurrence bound counts plaintext).
    origins: Vec<Origin>,
    /// Pattern ids sorted by their reversed bytes, for suffix look-ups.
    by_suffix: Vec<u32>,
    /// How many leading (trailing) bytes every pattern shares: what the first and
    /// the last of each order share.
    shared_prefix: usize,
    shared_suffix: usize,
    /// 8-byte-gram filters of pattern heads and tails (for partial occurrences), two
    /// bits per gram.
    heads: Box<[u64]>,
    tails: Box<[u64]>,
    /// Every 8-byte gram of every pattern longer than 8: a text whose last (first)
    /// 8 bytes are in no pattern has no partial occurrence at its end (start), which
    /// one probe tells, and none is longer than the text's stretch whose grams all
    /// pass ([`Segment::grams_back`]).
    grams: Box<[u64]>,
    /// The bytes of every pattern longer than 8 but its first and its last: a
    /// partial occurrence at a text's end (a proper prefix of 8 bytes or more) ends
    /// with one of them, and one at its start begins with one. Where the grams
    /// filter is crowded, a text that ends (begins) with another byte, such as the
    /// line break ending a log line, skips the partial check with one bit test
    /// before the filter's probe, whose false positives (one log line's end in five
    /// to ten at 1,000 and 10,000 secrets) each cost a walk. (The exact bytes, 7 to
    /// the last but one for an end and 1 to the eighth from the end for a start,
    /// took two sets built a bit at a time: 40% more build time at 1,000 secrets.)
    /// It tells which byte values the patterns hold, so it is wiped on drop.
    inner_bytes: ByteSet,
    /// Whether a fifth or more of the grams filter's bits are set (a probe of a gram
    /// in no pattern passes about one time in twenty or more: from about 30,000
    /// grams, where the filter stops growing at 8 bits a gram). A sparser filter
    /// leaves the bytes untested: with a pattern's bytes about half of a log's line
    /// endings, the bit test is a branch no predictor learns, which cost one-shot
    /// redaction of a log line 10% at one secret.
    grams_crowded: bool,
    min_len: usize,
    max_len: usize,
}

/// A set of byte values, wiped on drop (a segment's tells which bytes its secrets
/// hold).
#[derive(Default, Zeroize, ZeroizeOnDrop)]
struct ByteSet([u64; 4]);

impl ByteSet {
    /// The bytes `seen` marks (a table filled with plain stores, which a loop over
    /// every pattern byte makes far faster than setting bits); wipes `seen`.
    fn of(seen: &mut [u8; 256]) -> ByteSet {
        let mut set = ByteSet::default();
        for (b, _) in seen.iter().enumerate().filter(|(_, seen)| **seen != 0) {
            set.0[b >> 6] |= 1 << (b & 63);
        }
        seen.zeroize();
        set
    }

    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// log2 of the bits of a filter for `count` grams at about `bits` bits each,
/// between 4 Kib and `max` (log2).
fn filter_log2(count: usize, bits: usize, max: u32) -> u32 {
    (count * bits)
        .next_power_of_two()
        .trailing_zeros()
        .clamp(12, max)
}

/// log2 of the bits of the grams filter for `count` grams: see `Segment::build`.
fn grams_filter_log2(count: usize) -> u32 {
    match filter_log2(count, 2, 22) {
        22 => filter_log2(count, 1, 32).max(22),
        small => small.max(filter_log2(count, 8, 18)),
    }
}

/// The two bits of an 8-byte gram in a filter of `2^log2` bits (`12 <= log2 <=
/// 32`): a 512-bit block (one cache line) from the top bits of its hash, and two bits
/// of that block from the 18 below. One cache line per gram to set or test: a filter
/// of 16 MiB for 90 million grams (100,000 secrets with every encoding) with its
/// bits anywhere missed the cache twice a gram while it was built. (Both bits in one
/// 64-bit word instead passed half again as many grams of text with shared vendor
/// prefixes, at 100,000 secrets.)
fn gram_slots(gram: &[u8], log2: u32) -> [usize; 2] {
    let mut word = [0u8; 8];
    word.copy_from_slice(&gram[..8]);
    // The product's two halves folded: every bit of the hash depends on every
    // byte of the gram. (The low half alone leaves bit `i` blind to the bytes above
    // it, so grams that differ in their last byte, as tokens of one vendor's shape
    // do, shared both bits inside a block.)
    let product = u128::from(u64::from_le_bytes(word)) * 0x9E37_79B9_7F4A_7C15;
    let hash = (product >> 64) as u64 ^ product as u64;
    let blocks = log2 - 9;
    let block = ((hash >> (64 - blocks)) as usize) << 9;
    [
        block | ((hash >> (64 - blocks - 9)) & 511) as usize,
        block | ((hash >> (64 - blocks - 18)) & 511) as usize,
    ]
}

fn filter_set(filter: &mut [u64], gram: &[u8]) {
    let log2 = (filter.len() * 64).trailing_zeros();
    for slot in gram_slots(gram, log2) {
        filter[slot / 64] |= 1 << (slot % 64);
    }
}

fn filter_has(filter: &[u64], gram: &[u8]) -> bool {
    let log2 = (filter.len() * 64).trailing_zeros();
    gram_slots(gram, log2)
        .iter()
        .all(|&slot| filter[slot / 64] & (1 << (slot % 64)) != 0)
}

/// Whether 8 bytes pass a partial-check filter. Text that repeats its bytes
/// (`aaaa`, padding, rules) probes the same 8 bytes at every length: hashed once.
fn filter_has_again(filter: &[u64], bytes: &[u8], last: &mut Option<(u64, bool)>) -> bool {
    // As one word: a slice comparison of unknown length calls `memcmp`.
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    let word = u64::from_ne_bytes(word);
    let passes = match *last {
        Some((seen, passes)) if seen == word => passes,
        _ => filter_has(filter, bytes),
    };
    *last = Some((word, passes));
    passes
}

/// A segment's pattern bytes at most: offsets and state ids are `u32`, and the
/// reversed-pattern automaton has one state per byte.
const SEGMENT_MAX_BYTES: usize = (u32::MAX / 2) as usize;

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
        if entries.len() <= PACKED_MAX || entries.len() > SPLIT_MAX || !choice.splits() {
            return Segment::build_all(entries, choice);
        }
        let chunks = entries.len().div_ceil(SPLIT_CHUNK);
        let per = entries.len().div_ceil(chunks);
        let mut out = Vec::with_capacity(chunks);
        while !entries.is_empty() {
            let rest = entries.split_off(per.min(entries.len()));
            out.extend(Segment::build_all(
                std::mem::replace(&mut entries, rest),
                choice,
            ));
        }
        out
    }

    /// Builds the segments of `entries`: one, or several where their bytes pass
    /// [`SEGMENT_MAX_BYTES`] (offsets are `u32`). None only when there is no pattern:
    /// every accepted value is masked (masking fails closed).
    pub(crate) fn build_all(entries: Vec<Entry>, choice: Choice) -> Vec<Segment> {
        let total: usize = entries.iter().map(|e| e.bytes.len()).sum();
        if total <= SEGMENT_MAX_BYTES || entries.len() < 2 {
            return Segment::build(entries, choice).into_iter().collect();
        }
        let mut first = entries;
        let second = first.split_off(first.len() / 2);
        let mut out = Segment::build_all(first, choice);
        out.extend(Segment::build_all(second, choice));
        out
    }

    /// Builds a segment. Equal patterns are kept once, with the mask of the first
    /// entry that registered them (entries come oldest first).
    ///
    /// Returns `None` only when there is no pattern, or (never from
    /// [`Segment::build_all`], which splits first) more than [`SEGMENT_MAX_BYTES`].
    /// A searcher that cannot be built is replaced by the reversed-pattern
    /// automaton, which always builds: a segment never drops its patterns.
    pub(crate) fn build(mut entries: Vec<Entry>, choice: Choice) -> Option<Segment> {
        entries.retain(|e| !e.bytes.is_empty());
        // Stable: among equal patterns the oldest comes first and is kept.
        entries.sort_by(|a, b| a.bytes.cmp(&b.bytes));
        entries.dedup_by(|later, first| later.bytes == first.bytes);
        let total: usize = entries.iter().map(|e| e.bytes.len()).sum();
        if entries.is_empty() || total > SEGMENT_MAX_BYTES {
            return None;
        }
        let mut arena = Zeroizing::new(Vec::with_capacity(total));
        let mut ranges = Vec::with_capacity(entries.len());
        let mut masks = Vec::with_capacity(entries.len());
        let mut origins = Vec::with_capacity(entries.len());
        // About 8 bits per pattern (two set each), between 64 Kib (8 KiB) and 8 Mib
        // (1 MiB): a partial check probes `heads` or `tails` once for each length a
        // partial occurrence could have, and each false positive costs a binary
        // search of the patterns (at 73,000 patterns in 64 Kib, nearly every probe
        // passed: 18 µs to redact a 100-byte line).
        let long = entries
            .iter()
            .filter(|e| e.bytes.len() > MIN_FRAGMENT)
            .count();
        let mut heads =
            vec![0u64; (1usize << filter_log2(long, 8, 23).max(16)) / 64].into_boxed_slice();
        let mut tails = heads.clone();
        let mut max_len = 0;
        let min_len = entries.iter().map(|e| e.bytes.len()).min().unwrap_or(0);
        // 8 to 16 bits per gram up to 256 Kib (32 KiB, 32,768 grams), 4 to 8 bits
        // at that size up to 65,536 grams, then 2 to 4 bits up to 4 Mib (512 KiB):
        // one probe per text end, and a false positive (one in four at 2 to 4 bits)
        // costs a walk and probes of `heads`, 20 to 60 ns, a sixth of a log line's
        // redaction at 100 secrets; 32 KiB is nothing beside the tables of the sets
        // that reach it (8 bits a gram for a short line at 10 to 300 secrets: 4-15%
        // faster), while the table is held for the set's life. Past 4 Mib, 1 to 2
        // bits per gram
        // (at most a quarter of the pattern bytes): a filter that stopped there
        // let every gram pass from about 2 million grams on (30,000 secrets with
        // every encoding), and the walk at a text's end then went over the whole
        // line, probing `heads` at every length (100,000 secrets with every
        // encoding: 1.9 µs for a clean 120-byte line, 4.9 µs for one with a hit).
        let gram_count: usize = entries
            .iter()
            .map(|e| e.bytes.len().saturating_sub(7))
            .sum();
        let mut grams =
            vec![0u64; (1usize << grams_filter_log2(gram_count)) / 64].into_boxed_slice();
        let mut inner = [0u8; 256];
        for entry in &entries {
            let offset = u32::try_from(arena.len()).ok()?;
            let len = u32::try_from(entry.bytes.len()).ok()?;
            arena.extend_from_slice(&entry.bytes);
            ranges.push((offset, len));
            masks.push(entry.mask);
            origins.push(entry.origin);
            max_len = max_len.max(entry.bytes.len());
            if entry.bytes.len() > MIN_FRAGMENT {
                for &b in &entry.bytes[1..entry.bytes.len() - 1] {
                    inner[usize::from(b)] = 1;
                }
                filter_set(&mut heads, &entry.bytes[..8]);
                filter_set(&mut tails, &entry.bytes[entry.bytes.len() - 8..]);
                for gram in entry.bytes.windows(8) {
                    filter_set(&mut grams, gram);
                }
            }
        }
        drop(entries);
        let set_bits: usize = grams.iter().map(|w| w.count_ones() as usize).sum();
        let grams_crowded = 5 * set_bits >= 64 * grams.len();
        let built = Searcher::build(&arena, &ranges, total, choice);
        // A forced searcher that cannot be built: the automaton searches instead, so
        // the patterns are still masked, and the segment keeps the reason for the
        // testing hook to report.
        #[cfg(feature = "testing")]
        let (built, fallback) = match (built, choice) {
            (Err(why), Choice::Forced(kind)) => (
                Searcher::automaton(&arena, &ranges, total, choice),
                Some((kind, why)),
            ),
            (built, _) => (built, None),
        };
        // No searcher `aho-corasick` builds: the reversed-pattern automaton, which
        // always builds, so the patterns are masked all the same (fails closed).
        let searcher = built.unwrap_or_else(|_| Searcher::linear(&arena, &ranges));
        let mut segment = Segment {
            searcher,
            #[cfg(feature = "testing")]
            fallback,
            budgeted: choice.budgeted(),
            linear: OnceLock::new(),
            arena,
            ranges,
            masks,
            origins,
            by_suffix: Vec::new(),
            shared_prefix: 0,
            shared_suffix: 0,
            heads,
            tails,
            grams,
            inner_bytes: ByteSet::of(&mut inner),
            grams_crowded,
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
        let by_suffix: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
        // The keys are the patterns' last 8 bytes, plaintext: wiped, not just freed.
        keyed.zeroize();
        let n = segment.len();
        segment.shared_prefix = common_prefix(segment.pattern(0), segment.pattern(n - 1));
        segment.shared_suffix = common_suffix(
            segment.pattern(by_suffix[0] as usize),
            segment.pattern(by_suffix[n - 1] as usize),
        );
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

    /// Heap bytes held: the automaton plus the tables.
    pub(crate) fn memory_usage(&self) -> usize {
        self.searcher.memory_usage()
            + self.linear.get().map_or(0, Reverse::memory_usage)
            + self.arena.capacity()
            + self.ranges.capacity() * 8
            + self.masks.capacity() * 4
            + self.origins.capacity() * std::mem::size_of::<Origin>()
            + self.by_suffix.capacity() * 4
            + (self.heads.len() + self.tails.len() + self.grams.len()) * 8
    }

    /// Every pattern with its mask id, oldest registration first for equal bytes (a
    /// merge feeds these to [`Segment::build`]).
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.len()).map(|i| Entry {
            bytes: Zeroizing::new(self.pattern(i).to_vec()),
            mask: self.masks[i],
            origin: self.origins[i],
        })
    }

    /// Which searcher the segment uses; or, where the automaton stands in for a
    /// forced searcher that could not be built, that searcher and why.
    #[cfg(feature = "testing")]
    pub(crate) fn searcher(&self) -> Result<Kind, (Kind, Unbuilt)> {
        if let Some(fallback) = self.fallback {
            return Err(fallback);
        }
        Ok(match self.searcher {
            Searcher::Ac(_) => Kind::Automaton,
            Searcher::Packed(_) => Kind::Packed,
            Searcher::Fast { .. } => Kind::Fingerprint,
            Searcher::Linear(_) => Kind::Linear,
            Searcher::Memmem { .. } => Kind::Memmem,
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
        if let Searcher::Linear(reverse) = &self.searcher {
            return self.linear_runs(reverse, hay, out);
        }
        let before = out.len();
        let budget = self
            .budgeted
            .then(|| WORK_PER_BYTE.saturating_mul(hay.len()) + WORK_CONSTANT);
        let within = match &self.searcher {
            Searcher::Fast(fast) => self.fast_runs(fast, hay, budget, out),
            Searcher::Packed(ends) => self.ends_runs(ends, hay, budget, out),
            _ => self.ac_runs(hay, budget, out),
        };
        if !within {
            // Resuming after each hit would cost more than linear on this text (hits
            // that overlap: periodic or nested patterns): the one-pass automaton
            // finds the same runs, built once per segment on first need.
            out.truncate(before);
            let reverse =
                self.linear
                    .get_or_init(|| match Searcher::linear(&self.arena, &self.ranges) {
                        Searcher::Linear(reverse) => reverse,
                        _ => unreachable!("Searcher::linear builds the reversed automaton"),
                    });
            self.linear_runs(reverse, hay, out);
        }
    }

    /// [`Segment::runs`] through the automaton or `memmem`; `false`, with `out` partly written, as soon as the work charged
    /// passes `budget`.
    fn ac_runs(&self, hay: &[u8], budget: Option<usize>, out: &mut Vec<Run>) -> bool {
        let budget = budget.unwrap_or(usize::MAX);
        let mut spent = 0usize;
        let find = |at: usize, spent: &mut usize| match &self.searcher {
            Searcher::Ac(ac) => ac.find(Input::new(hay).span(at..hay.len())),
            Searcher::Memmem { finder, pair } => {
                self.one_find(finder, pair.as_deref(), hay, at, spent, budget)
            }
            Searcher::Packed(_) | Searcher::Fast(_) | Searcher::Linear(_) => None,
        };
        let mut at = 0;
        let mut current: Option<Run> = None;
        while at < hay.len() {
            let Some(m) = find(at, &mut spent) else {
                if spent > budget {
                    return false;
                }
                charge(hay.len() - at);
                break;
            };
            let cost = self.find_cost(hay, at, m.start());
            charge(cost);
            spent += cost;
            if spent > budget {
                return false;
            }
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
        true
    }

    /// [`Segment::runs`] through [`Ends`]: every occurrence of every pattern (each
    /// key hit, then each pattern ending with that key confirmed by the bytes before
    /// it), sorted and folded into runs as the fingerprint's are. `false`, with `out`
    /// untouched, as soon as the work charged passes `budget`.
    fn ends_runs(
        &self,
        ends: &Ends,
        hay: &[u8],
        budget: Option<usize>,
        out: &mut Vec<Run>,
    ) -> bool {
        let budget = budget.unwrap_or(usize::MAX);
        let mut spent = 0usize;
        let mut spans: Vec<(usize, usize, u32)> = Vec::new();
        let mut at = 0;
        while at < hay.len() {
            let Some((key_at, k)) = ends.keys.find(hay, at) else {
                charge(hay.len() - at);
                break;
            };
            let key_end = key_at + ends.key;
            charge(key_end - at);
            spent += key_end - at;
            for &id in &ends.ids[ends.starts[k] as usize..ends.starts[k + 1] as usize] {
                let pattern = self.pattern(id as usize);
                let head = pattern.len() - ends.key;
                let Some(start) = key_at.checked_sub(head) else {
                    continue;
                };
                let common = common_prefix(&hay[start..key_at], &pattern[..head]);
                charge(common + 1);
                spent += common + 1;
                if common == head {
                    spans.push((start, key_end, id));
                }
            }
            if spent > budget {
                return false;
            }
            at = key_at + 1;
        }
        fold_spans(spans, &self.masks, out);
        true
    }

    /// [`Segment::runs`] through the reversed-pattern automaton, in one pass: it
    /// reports the longest occurrence at every start, last start first, and each is
    /// folded into the runs found so far (a stack, leftmost on top: an occurrence
    /// swallows every run it reaches or touches). Each run is pushed and popped
    /// once, so the fold is linear too. The runs equal the oracle's: same union,
    /// and each run's first occurrence is the longest at its start.
    fn linear_runs(&self, reverse: &Reverse, hay: &[u8], out: &mut Vec<Run>) {
        let base = out.len();
        let steps = reverse.longest_starts(hay, |start, len, id| {
            let mut run = Run {
                start,
                end: start + len,
                first_len: len,
                mask: self.masks[id as usize],
            };
            while out.len() > base {
                let top = out[out.len() - 1];
                if top.start > run.end {
                    break;
                }
                run.end = run.end.max(top.end);
                out.pop();
            }
            out.push(run);
        });
        out[base..].reverse();
        charge(steps);
    }

    /// The first occurrence of the segment's one pattern that starts at `at` or
    /// later: each candidate of the pair prefilter confirmed by comparing the
    /// pattern's bytes, then `memmem` over the last bytes, too few for the
    /// prefilter. The bytes compared for candidates that fail are added to `spent`
    /// and charged: a pattern whose pair recurs where the rest differs late costs
    /// text x pattern length, so past `budget` this gives up (`None`, `spent` over
    /// the budget), and the caller searches with the linear automaton.
    fn one_find(
        &self,
        finder: &memchr::memmem::Finder<'_>,
        pair: Option<&PairPrefilter>,
        hay: &[u8],
        at: usize,
        spent: &mut usize,
        budget: usize,
    ) -> Option<Match> {
        let pattern = self.pattern(0);
        let found = |start: usize| Match::must(0, start..start + pattern.len());
        let mut from = at;
        if let Some(pair) = pair {
            while hay.len() - from >= pair.min_haystack_len() {
                let start = from + pair.find(&hay[from..])?;
                if hay.len() - start < pattern.len() {
                    // No later start fits either.
                    return None;
                }
                let common = common_prefix(&hay[start..], pattern);
                if common == pattern.len() {
                    return Some(found(start));
                }
                charge(common + 1);
                *spent += common + 1;
                if *spent > budget {
                    return None;
                }
                from = start + 1;
            }
        }
        finder.find(&hay[from..]).map(|i| found(from + i))
    }

    /// What one leftmost-longest search from `at` that finds an occurrence at
    /// `start` may read: up to the start, then as far as the longest pattern
    /// reaches (it looks for a longer occurrence at the same start).
    fn find_cost(&self, hay: &[u8], at: usize, start: usize) -> usize {
        (start + self.max_len).min(hay.len()) - at
    }

    /// [`Segment::runs`] through the fingerprint: every occurrence of a long pattern
    /// (each candidate verified) and, as in the oracle, the longest occurrence of a
    /// short pattern at every start, sorted by start and then length (longest
    /// first), folded into runs exactly as the oracle folds its hits.
    fn fast_runs(
        &self,
        fast: &Fast,
        hay: &[u8],
        budget: Option<usize>,
        out: &mut Vec<Run>,
    ) -> bool {
        let budget = budget.unwrap_or(usize::MAX);
        let mut spent = 0usize;
        // (start, end, pattern id)
        let mut spans: Vec<(usize, usize, u32)> = Vec::new();
        // Candidates are bounded too: thousands of patterns sharing their leading
        // windows make every probe a candidate for each of them. Ordinary text has
        // one in hundreds of bytes; past one per byte the linear pass is cheaper than
        // holding them (16 bytes each).
        let limit = budget.min(hay.len() + CANDIDATE_CONSTANT);
        let mut found = 0usize;
        let mut candidates = Vec::new();
        let whole = [(0, hay.len())];
        let mut gated = Vec::new();
        let stretches: &[(usize, usize)] = match &fast.gate {
            // Crowded windows: only where an occurrence can end (`gate.rs`).
            Some(gate) => {
                gate.stretches(hay, &mut gated);
                charge(hay.len());
                spent += hay.len();
                &gated
            }
            None => &whole,
        };
        for &(lo, hi) in stretches {
            // Every occurrence lies inside one stretch: each is searched alone.
            let hay = &hay[lo..hi];
            // A long text is searched a range at a time, both passes (the short
            // patterns' automaton, then the fingerprint's probes and their
            // verification) while the range's bytes are still in cache (4 MiB at
            // N = 10,000, one core: about 440 µs whole, pass after pass; 395 µs
            // range by range).
            let range = CHUNK.div_ceil(fast.fingerprint.step()) * fast.fingerprint.step();
            // Where the short patterns' search resumes, across ranges.
            let mut short_at = 0;
            let mut from = 0;
            while from < hay.len() {
                let to = (from + range).min(hay.len());
                if let Some(short) = &fast.short {
                    // The occurrences that start in this range: the longest at any
                    // start before `to` ends by `end`, so the search reads no further.
                    let end = (to + short.max_len).min(hay.len());
                    while short_at < to {
                        let Some(m) = short.ac.find(Input::new(hay).span(short_at..end)) else {
                            charge(end - short_at);
                            spent += end - short_at;
                            short_at = to;
                            break;
                        };
                        // Up to the start, then as far as a longer occurrence there
                        // could reach.
                        let cost = (m.start() + short.max_len).min(end) - short_at;
                        charge(cost);
                        spent += cost;
                        if m.start() >= to {
                            // The next range's, found again there.
                            short_at = m.start();
                            break;
                        }
                        spans.push((
                            lo + m.start(),
                            lo + m.end(),
                            short.ids[m.pattern().as_usize()],
                        ));
                        short_at = m.start() + 1;
                    }
                    if spent > budget {
                        return false;
                    }
                }
                candidates.clear();
                // A range with more than one candidate per byte gives up at once
                // rather than after the whole text's allowance (a text of `a` over
                // 128 patterns sharing their windows: 16 MiB of candidates for a
                // 1 MiB text before).
                let allowed = limit
                    .saturating_sub(found)
                    .min(to - from + CANDIDATE_CONSTANT);
                let mut skipped = 0;
                let scanned =
                    fast.fingerprint
                        .scan(hay, from, to, &mut candidates, &mut skipped, allowed);
                found += candidates.len() + skipped;
                charge(to - from + candidates.len() + skipped);
                spent += to - from + candidates.len() + skipped;
                if !scanned || spent > budget {
                    return false;
                }
                for &(start, id) in &candidates {
                    let pattern = self.pattern(id as usize);
                    // A candidate costs the bytes compared up to the first
                    // difference (one more than the common prefix), not the
                    // pattern's length: abbreviated tokens in a log (a key's first
                    // 24 characters) are candidates of long patterns that fail early.
                    let common = common_prefix(&hay[start..], pattern);
                    let cost = (common + 1).min(pattern.len());
                    charge(cost);
                    spent += cost;
                    if spent > budget {
                        return false;
                    }
                    if common == pattern.len() {
                        spans.push((lo + start, lo + start + pattern.len(), id));
                    }
                }
                from = to;
            }
        }
        fold_spans(spans, &self.masks, out);
        true
    }

    /// The longest proper prefix of a pattern that ends `hay` and wholly encodes at
    /// least max(8, half the form) plaintext bytes ([`Origin::partial_allowed`]):
    /// `(start, mask)`.
    pub(crate) fn end_partial(&self, hay: &[u8]) -> Option<(usize, u32)> {
        let n = hay.len();
        let longest = n.min(self.max_len.saturating_sub(1));
        if longest < MIN_FRAGMENT
            || (self.grams_crowded && !self.inner_bytes.contains(hay[n - 1]))
            || !filter_has(&self.grams, &hay[n - 8..])
        {
            return None;
        }
        let run = trailing_run(&hay[n - longest..]);
        // Every 8 bytes of a partial occurrence are a gram of its pattern, so it is
        // no longer than the text's last bytes whose grams all pass: a false
        // positive of the filter on the last 8 bytes (a line ending that log text
        // repeats) is then checked at a length or two, not at every length.
        let reach = self.grams_back(&hay[n - longest..], run);
        // One probe per length, and for each that passes the patterns that start
        // with the text's tail: a block of the sorted patterns, found by two
        // searches and checked one pattern at a time.
        let mut spent = run / 16;
        let mut last_probe = None;
        let mut start = n - reach;
        while start <= n - MIN_FRAGMENT {
            let tail = &hay[start..];
            let l = tail.len();
            // Within the text's last run of one byte, every shorter tail is that
            // byte repeated (`aaaa`, padding): see the jumps below.
            let in_run = l <= run;
            spent += 1;
            if !filter_has_again(&self.heads, &tail[..8], &mut last_probe) {
                if in_run {
                    // Every shorter tail probes the same 8 bytes.
                    break;
                }
                start += 1;
                continue;
            }
            // The patterns starting with `tail`, in byte order.
            let view = |i: usize| Bytes::Forward(self.pattern(i));
            let block = self.block_of(Bytes::Forward(tail), view, self.shared_prefix, &mut spent);
            for i in block.items {
                let p = self.pattern(i);
                spent += self.origins[i].check_cost(p.len(), l);
                if p.len() > l && self.origins[i].partial_allowed(p, l, true) {
                    charge(spent);
                    return Some((start, self.masks[i]));
                }
                // Inside the loop: thousands of patterns may start with `tail`.
                if spent > partial_budget(longest) {
                    break;
                }
            }
            if spent > partial_budget(longest) {
                // Fails closed: every byte a partial occurrence could cover.
                charge(spent);
                return Some((n - longest, 0));
            }
            // No pattern starts with more of a run than `reach` bytes of it: the
            // next tail that may begin one is `reach` long (2,000 patterns sharing
            // 1 KiB of `a`, a text ending in `a`s: one search, not one per length).
            start = match in_run {
                true => (start + 1).max(n - block.reach),
                false => start + 1,
            };
        }
        charge(spent);
        None
    }

    /// The longest proper suffix of a pattern that starts `hay` and wholly encodes
    /// at least max(8, half the form) plaintext bytes: `(end, mask)`.
    pub(crate) fn start_partial(&self, hay: &[u8]) -> Option<(usize, u32)> {
        let longest = hay.len().min(self.max_len.saturating_sub(1));
        if longest < MIN_FRAGMENT
            || (self.grams_crowded && !self.inner_bytes.contains(hay[0]))
            || !filter_has(&self.grams, &hay[..8])
        {
            return None;
        }
        // [`Segment::end_partial`] read from the other end.
        let run = leading_run(&hay[..longest]);
        let mut spent = run / 16;
        let mut last_probe = None;
        let mut l = self.grams_forward(&hay[..longest], run);
        while l >= MIN_FRAGMENT {
            let head = &hay[..l];
            let in_run = l <= run;
            spent += 1;
            if !filter_has_again(&self.tails, &head[l - 8..], &mut last_probe) {
                if in_run {
                    break;
                }
                l -= 1;
                continue;
            }
            // The patterns ending with `head`, in the order of their reversed bytes.
            let view = |k: usize| Bytes::Reversed(self.pattern(self.by_suffix[k] as usize));
            let block = self.block_of(Bytes::Reversed(head), view, self.shared_suffix, &mut spent);
            for &i in &self.by_suffix[block.items] {
                let p = self.pattern(i as usize);
                spent += self.origins[i as usize].check_cost(p.len(), l);
                if p.len() > l && self.origins[i as usize].partial_allowed(p, l, false) {
                    charge(spent);
                    return Some((l, self.masks[i as usize]));
                }
                // Inside the loop: thousands of patterns may end with `head`.
                if spent > partial_budget(longest) {
                    break;
                }
            }
            if spent > partial_budget(longest) {
                // Fails closed: every byte a partial occurrence could cover.
                charge(spent);
                return Some((longest, 0));
            }
            l = match in_run {
                true => (l - 1).min(block.reach),
                false => l - 1,
            };
        }
        charge(spent);
        None
    }

    /// How many of `tail`'s last bytes have each of their 8-byte grams in `grams`,
    /// given that its last 8 do (the caller's gate): at most `tail.len()`. `run` is
    /// its trailing run of one byte, whose grams are all that last one. One probe
    /// when the byte before the last 8 already fails.
    fn grams_back(&self, tail: &[u8], run: usize) -> usize {
        let m = tail.len();
        debug_assert!(m >= MIN_FRAGMENT && filter_has(&self.grams, &tail[m - 8..]));
        let mut last = None;
        // The end of the next gram to probe: every gram ending after it passed.
        // Past the run first (a gram ending at `m - run + 7` starts before it).
        let mut end = match run >= MIN_FRAGMENT {
            true => m - run + 7,
            false => m - 1,
        };
        while end >= MIN_FRAGMENT && filter_has_again(&self.grams, &tail[end - 8..end], &mut last) {
            charge(1);
            end -= 1;
        }
        m - end + 7
    }

    /// [`Segment::grams_back`] from the other end: how many of `head`'s first bytes
    /// have each of their grams in `grams`, given that its first 8 do (`run`: its
    /// leading run of one byte).
    fn grams_forward(&self, head: &[u8], run: usize) -> usize {
        let m = head.len();
        debug_assert!(m >= MIN_FRAGMENT && filter_has(&self.grams, &head[..8]));
        let mut last = None;
        // The start of the next gram to probe: every gram before it passed.
        let mut start = match run >= MIN_FRAGMENT {
            true => run - 7,
            false => 1,
        };
        while start + 8 <= m && filter_has_again(&self.grams, &head[start..start + 8], &mut last) {
            charge(1);
            start += 1;
        }
        start + 7
    }

    /// The items `0..self.len()`, sorted by `view` (forward or reversed bytes), that
    /// begin with `key` in that view: `first..end`, with the bytes compared added to
    /// `spent`. Two binary searches, each comparison starting past the bytes `key`
    /// shares with both bounds (every item between them shares those too): 2,000
    /// patterns sharing 1 KiB compared it again at every step, 11 KiB per search.
    fn block_of<'p>(
        &'p self,
        key: Bytes<'_>,
        view: impl Fn(usize) -> Bytes<'p>,
        shared: usize,
        spent: &mut usize,
    ) -> Block {
        let n = self.len();
        let l = key.len();
        // How many leading bytes item `i` shares with `key`, given `skip` of them.
        let common = |i: usize, skip: usize, spent: &mut usize| {
            let c = view(i).common(&key, skip);
            *spent += c - skip + 1;
            c
        };
        // Whether item `i` sorts before `key` (`within`: or begins with it).
        let before = |i: usize, c: usize, within: bool| {
            if within && c >= l {
                return true;
            }
            match (view(i).at(c), key.at(c)) {
                (Some(a), Some(b)) => a < b,
                (None, Some(_)) => true,
                _ => false,
            }
        };
        let first_common = common(0, 0, spent);
        // Items 0 and `n - 1` share `shared` bytes: the last shares with `key` what
        // the first does, up to them (2,000 patterns sharing 1 KiB: one compare of
        // it per search, not two).
        let last_common = common(n - 1, first_common.min(shared), spent);
        // The insertion point, and what its neighbours share with `key` (the item
        // before it and the one at it; item 0 or `n - 1` where there is none).
        let search = |mut lo: usize,
                      mut lo_common: usize,
                      within: bool,
                      spent: &mut usize|
         -> (usize, usize, usize) {
            let (mut hi, mut hi_common) = (n, last_common);
            while lo < hi {
                let mid = (lo + hi) / 2;
                let c = common(mid, lo_common.min(hi_common), spent);
                if before(mid, c, within) {
                    lo = mid + 1;
                    lo_common = c;
                } else {
                    hi = mid;
                    hi_common = c;
                }
            }
            (lo, lo_common, hi_common)
        };
        let (first, before_common, first_common) = search(0, first_common, false, spent);
        // In sorted order the longest common prefix is a neighbour's.
        let reach = before_common.max(first_common);
        // Most probes that pass a filter are false positives: no item begins with
        // `key`, and the first not before it shows that (`first < n`: the search
        // moved its upper bound there, so `first_common` is that item's).
        if first == n || first_common < l {
            return Block {
                items: first..first,
                reach,
            };
        }
        // The items from `first` on that begin with `key` come first.
        let (end, ..) = search(first + 1, l, true, spent);
        Block {
            items: first..end,
            reach,
        }
    }
}

/// The patterns that begin with a key (in one reading), and how many leading bytes
/// of the key the pattern sharing most of it shares (at least the key's length when
/// `items` is not empty).
struct Block {
    items: std::ops::Range<usize>,
    reach: usize,
}

/// How many of `hay`'s last bytes equal its last byte (0 for empty `hay`): 16 bytes
/// a step, each compared with the byte after it.
fn trailing_run(hay: &[u8]) -> usize {
    match hay.len() {
        0 => 0,
        n => 1 + common_suffix(&hay[..n - 1], &hay[1..]),
    }
}

/// How many of `hay`'s first bytes equal its first byte.
fn leading_run(hay: &[u8]) -> usize {
    match hay.len() {
        0 => 0,
        n => 1 + common_prefix(&hay[1..], &hay[..n - 1]),
    }
}

impl Choice {
    /// Whether searches fall back to the linear automaton past their budget: all but
    /// the forced oracle.
    fn budgeted(self) -> bool {
        #[cfg(feature = "testing")]
        if self == Choice::Forced(Kind::Automaton) {
            return false;
        }
        true
    }

    /// `Err` where the testing hook refuses every `aho-corasick` automaton.
    fn allows_automaton(self) -> Result<(), Unbuilt> {
        #[cfg(feature = "testing")]
        if self == Choice::RefusingAutomaton {
            return Err(Unbuilt::Automaton);
        }
        Ok(())
    }

    /// Whether a set of [`PACKED_MAX`]`..=`[`SPLIT_MAX`] patterns is split into
    /// several segments (only for the automaton, which then keeps its SIMD prefilter).
    fn splits(self) -> bool {
        match self {
            Choice::Auto => false,
            #[cfg(feature = "testing")]
            Choice::RefusingAutomaton => false,
            #[cfg(feature = "testing")]
            Choice::Forced(kind) => kind == Kind::Automaton,
        }
    }
}

impl Searcher {
    /// Picks and builds the searcher for the patterns `ranges` of `arena` (sorted by
    /// bytes, `total` bytes in all), or says why the one asked for cannot be built.
    fn build(
        arena: &[u8],
        ranges: &[(u32, u32)],
        total: usize,
        choice: Choice,
    ) -> Result<Searcher, Unbuilt> {
        let n = ranges.len();
        match choice {
            Choice::Auto => {}
            #[cfg(feature = "testing")]
            Choice::RefusingAutomaton => {}
            #[cfg(feature = "testing")]
            Choice::Forced(Kind::Automaton) => {
                return Searcher::automaton(arena, ranges, total, choice);
            }
            #[cfg(feature = "testing")]
            Choice::Forced(Kind::Packed) => return Searcher::packed(arena, ranges),
            #[cfg(feature = "testing")]
            Choice::Forced(Kind::Linear) => return Ok(Searcher::linear(arena, ranges)),
            #[cfg(feature = "testing")]
            Choice::Forced(Kind::Memmem) => return Searcher::memmem(arena, ranges),
            // A forced fingerprint cycles q with the set's size, so tests cover every
            // width.
            #[cfg(feature = "testing")]
            Choice::Forced(Kind::Fingerprint) => {
                return Searcher::fingerprint(arena, ranges, [4, 5, 8][n % 3], choice);
            }
        }
        if n > PACKED_MAX && n < fingerprint::MAX_PATTERNS {
            // q: 4-byte windows probe most sparsely; past a few thousand patterns
            // real collisions of log text's 4-grams with the table's grow, and 5
            // bytes win (measured) where the patterns are long enough for them.
            // Where they are not (hundreds of 12-byte passwords), 4-byte windows
            // still beat the plain automaton many times over.
            let lens = sorted_lens(ranges);
            let widths: &[usize] = if n <= Q4_MAX_PATTERNS { &[4] } else { &[5, 4] };
            for &q in widths {
                let (l, shorter) = fingerprint_shape(&lens, q);
                if shorter <= SHORT_MAX && l + 1 >= q + MIN_STEP {
                    return Searcher::fingerprint(arena, ranges, q, choice);
                }
            }
        }
        // One pattern: `memmem`, which is also what the automaton's prefilter would
        // run, without the automaton's confirmation of each hit.
        if n == 1 {
            return Searcher::memmem(arena, ranges);
        }
        if (PACKED_MIN..=PACKED_MAX).contains(&n)
            && let Ok(packed) = Searcher::packed(arena, ranges)
        {
            return Ok(packed);
        }
        Searcher::automaton(arena, ranges, total, choice)
    }

    /// Plain leftmost-longest `aho-corasick` over every pattern: the oracle.
    fn automaton(
        arena: &[u8],
        ranges: &[(u32, u32)],
        total: usize,
        choice: Choice,
    ) -> Result<Searcher, Unbuilt> {
        choice.allows_automaton()?;
        // Small sets are searched by the packed SIMD prefilter, which the kind does not
        // change, and an NFA builds in microseconds where a DFA takes a millisecond.
        let kind = if ranges.len() > PACKED_MAX && total <= DFA_MAX_BYTES {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(kind))
            .prefilter(prefilter_allowed(arena, ranges))
            .build(ranges.iter().map(|&r| pattern(arena, r)))
            .map(Searcher::Ac)
            .map_err(|_| Unbuilt::Automaton)
    }

    /// `memmem` over a segment's one pattern.
    fn memmem(arena: &[u8], ranges: &[(u32, u32)]) -> Result<Searcher, Unbuilt> {
        match ranges {
            &[range] => {
                let bytes = pattern(arena, range);
                Ok(Searcher::Memmem {
                    finder: memchr::memmem::Finder::new(bytes).into_owned(),
                    pair: PairPrefilter::new(bytes).map(Box::new),
                })
            }
            _ => Err(Unbuilt::TooManyPatterns {
                patterns: ranges.len(),
                max: 1,
            }),
        }
    }

    /// The reversed-pattern automaton: it always builds.
    fn linear(arena: &[u8], ranges: &[(u32, u32)]) -> Searcher {
        Searcher::Linear(Reverse::build(
            ranges
                .iter()
                .enumerate()
                .map(|(i, &r)| (i as u32, pattern(arena, r))),
        ))
    }

    /// `aho-corasick`'s packed searcher alone.
    fn packed(arena: &[u8], ranges: &[(u32, u32)]) -> Result<Searcher, Unbuilt> {
        let n = ranges.len();
        let key = ranges
            .iter()
            .map(|&(_, l)| l as usize)
            .min()
            .unwrap_or(0)
            .min(ENDS_KEY_MAX);
        let key_of = |i: u32| {
            let p = pattern(arena, ranges[i as usize]);
            &p[p.len() - key..]
        };
        // Patterns grouped by key, keys in byte order (the order they are handed
        // to the packed searcher, which numbers them so).
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by(|&a, &b| key_of(a).cmp(key_of(b)));
        let mut starts = Vec::new();
        for (at, &id) in order.iter().enumerate() {
            if at == 0 || key_of(order[at - 1]) != key_of(id) {
                starts.push(at as u32);
            }
        }
        let keys = starts.len();
        starts.push(n as u32);
        let found = if keys == 1 {
            Some(Keys::One(
                memchr::memmem::Finder::new(key_of(order[0])).into_owned(),
            ))
        } else {
            packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(starts[..keys].iter().map(|&at| key_of(order[at as usize])))
                .build()
                .map(Keys::Packed)
        };
        found
            .map(|keys| {
                Searcher::Packed(Ends {
                    keys,
                    key,
                    starts,
                    ids: order,
                })
            })
            // The builder says only "no"; these are its documented reasons, in the
            // order it checks them.
            .ok_or(if keys > PACKED_MAX {
                Unbuilt::TooManyPatterns {
                    patterns: n,
                    max: PACKED_MAX,
                }
            } else if keys > 16 && key == 1 {
                Unbuilt::OneBytePatterns { patterns: n }
            } else {
                Unbuilt::Unsupported
            })
    }

    /// The fingerprint with q-byte windows for the patterns of at least its L bytes,
    /// plus a small automaton for the (at most [`SHORT_MAX`]) shorter ones.
    fn fingerprint(
        arena: &[u8],
        ranges: &[(u32, u32)],
        q: usize,
        choice: Choice,
    ) -> Result<Searcher, Unbuilt> {
        let n = ranges.len();
        if n >= fingerprint::MAX_PATTERNS {
            return Err(Unbuilt::TooManyPatterns {
                patterns: n,
                max: fingerprint::MAX_PATTERNS - 1,
            });
        }
        let (l, shorter) = fingerprint_shape(&sorted_lens(ranges), q);
        if l < q {
            return Err(Unbuilt::ShorterThanWindow { window: q });
        }
        let long = ranges
            .iter()
            .enumerate()
            .filter(|(_, r)| r.1 as usize >= l)
            .map(|(i, &r)| (i as u32, pattern(arena, r)));
        let fingerprint = Fingerprint::build(l, q, n - shorter, long);
        let short_ranges: Vec<(u32, u32)> = ranges
            .iter()
            .copied()
            .filter(|r| (r.1 as usize) < l)
            .collect();
        let prefilter = prefilter_allowed(arena, &short_ranges);
        let (ids, short): (Vec<u32>, Vec<&[u8]>) = ranges
            .iter()
            .enumerate()
            .filter(|(_, r)| (r.1 as usize) < l)
            .map(|(i, &r)| (i as u32, pattern(arena, r)))
            .unzip();
        let short = if short.is_empty() {
            None
        } else {
            choice.allows_automaton()?;
            let max_len = short.iter().map(|p| p.len()).max().unwrap_or(0);
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .prefilter(prefilter)
                .build(short)
                .map_err(|_| Unbuilt::Automaton)?;
            Some(Short { ac, ids, max_len })
        };
        let gate = match fingerprint.largest_bucket() > CROWDED {
            true => gate(arena, ranges),
            false => None,
        };
        Ok(Searcher::Fast(Fast {
            fingerprint,
            short,
            gate,
        }))
    }

    fn memory_usage(&self) -> usize {
        match self {
            Searcher::Ac(ac) => ac.memory_usage(),
            Searcher::Packed(ends) => {
                ends.keys.memory_usage() + (ends.starts.capacity() + ends.ids.capacity()) * 4
            }
            Searcher::Fast(fast) => {
                fast.fingerprint.memory_usage()
                    + fast
                        .short
                        .as_ref()
                        .map_or(0, |s| s.ac.memory_usage() + s.ids.capacity() * 4)
                    + fast.gate.as_ref().map_or(0, Gate::memory_usage)
            }
            Searcher::Linear(reverse) => reverse.memory_usage(),
            Searcher::Memmem { finder, .. } => {
                finder.needle().len() + std::mem::size_of::<PairPrefilter>()
            }
        }
    }
}

#[cfg(feature = "testing")]
thread_local! {
    /// The search work charged on this thread (see [`work`]).
    static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Charges `n` steps of search work: bytes a search may read, candidates verified,
/// automaton steps (the token-format scan charges the bytes it reads too). Counted
/// only with the `testing` feature, for the test that proves redaction linear
/// without timing it.
#[inline(always)]
pub(crate) fn charge(n: usize) {
    #[cfg(feature = "testing")]
    WORK.with(|w| w.set(w.get() + n as u64));
    #[cfg(not(feature = "testing"))]
    let _ = n;
}

/// The search work charged on this thread so far.
#[cfg(feature = "testing")]
pub(crate) fn work() -> u64 {
    WORK.with(std::cell::Cell::get)
}

/// Appends to `out` the runs of the occurrences `spans` (`(start, end, pattern)`, in
/// any order, every occurrence or at least the longest at each start): sorted by
/// start, longest first, and folded as the oracle folds its hits, so each run's
/// first occurrence is the longest at its start.
fn fold_spans(mut spans: Vec<(usize, usize, u32)>, masks: &[u32], out: &mut Vec<Run>) {
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
                    mask: masks[id as usize],
                });
            }
        }
    }
    if let Some(run) = current {
        out.push(run);
    }
}

/// The byte comparisons a partial check at one end of a text may spend, for
/// partial occurrences of up to `longest` bytes. Ordinary text passes a few of the
/// filter probes and spends far less; a text that repeats a self-similar secret
/// (`(xy)^1000 z`, text of its copies) passes every probe, and each binary search
/// compares up to the length: `longest^2` in all. Past this the check stops and
/// masks the whole stretch a partial occurrence could cover, with the unnamed mask
/// (masking fails closed; the stretch depends only on the text's last bytes, so a
/// writer and one-shot redaction agree).
fn partial_budget(longest: usize) -> usize {
    16 * longest + 64 * 1024
}

/// Pattern `(offset, len)` of `arena`.
fn pattern(arena: &[u8], (o, l): (u32, u32)) -> &[u8] {
    &arena[o as usize..(o + l) as usize]
}

/// The gate for a set ([`Gate`]): on the bytes its patterns hold a fixed distance
/// before their ends, at the distance (under [`GATE_BACK`], and past the prefix all
/// of them share) with the fewest distinct bytes that `memchr` can find (one to
/// three), else the packed searcher (up to 16), the nearest the end first among
/// equals; `None` where no distance has 16 or fewer. Why not only the last bytes:
/// 2,000 secrets of 1 KiB of `a` and an 8-digit number end in ten digits (Teddy:
/// 64 KiB of `a` redacted in 2.6 µs) but hold only `0` or `1` four bytes before
/// (`memchr2`: 2.2 µs).
fn gate(arena: &[u8], ranges: &[(u32, u32)]) -> Option<Gate> {
    let shortest = ranges.iter().map(|r| r.1 as usize).min()?;
    let longest = ranges.iter().map(|r| r.1 as usize).max()?;
    // Which bytes occur `back` bytes before the patterns' ends (wiped: theirs).
    let bytes_at = |back: usize| {
        let mut seen = Zeroizing::new([false; 256]);
        for &r in ranges {
            seen[pattern(arena, r)[r.1 as usize - 1 - back] as usize] = true;
        }
        // Sized first: a growing vector would free unwiped copies.
        let mut bytes = Zeroizing::new(Vec::with_capacity(256));
        bytes.extend((0..=255u8).filter(|&b| seen[b as usize]));
        bytes
    };
    // 0 for `memchr`, 1 for the packed searcher, 2 for none.
    let class = |count: usize| match count {
        0..=3 => 0,
        4..=16 => 1,
        _ => 2,
    };
    // Not within the prefix every pattern shares: text repeating it (what makes
    // their windows crowded) would hold its bytes everywhere.
    let (first, last) = (ranges.first()?, ranges.last()?);
    let shared = common_prefix(pattern(arena, *first), pattern(arena, *last));
    let mut best: Option<(usize, Zeroizing<Vec<u8>>)> = None;
    for back in 0..(shortest - shared).clamp(1, GATE_BACK) {
        let bytes = bytes_at(back);
        if best
            .as_ref()
            .is_none_or(|(_, b)| (class(bytes.len()), bytes.len()) < (class(b.len()), b.len()))
        {
            let done = bytes.len() == 1;
            best = Some((back, bytes));
            if done {
                break;
            }
        }
    }
    let (back, bytes) = best?;
    Gate::build(&bytes, back, longest)
}

/// How far before the patterns' ends [`gate`] looks for few distinct bytes.
const GATE_BACK: usize = 32;

/// The patterns' lengths, shortest first.
fn sorted_lens(ranges: &[(u32, u32)]) -> Vec<usize> {
    let mut lens: Vec<usize> = ranges.iter().map(|&(_, l)| l as usize).collect();
    lens.sort_unstable();
    lens
}

/// The fingerprint's L for q-byte windows over patterns of lengths `lens` (sorted,
/// not empty), and how many patterns are shorter than L (they go to the short
/// automaton).
///
/// L is the shortest pattern, unless the few shortest (up to [`SHORT_MAX`] of them)
/// would force a stride under [`MIN_STEP`]; those go to the short automaton, a second
/// pass that costs about as much as a stride of 20. L < q means no pattern is long
/// enough for a window.
fn fingerprint_shape(lens: &[usize], q: usize) -> (usize, usize) {
    let n = lens.len();
    let k = lens
        .iter()
        .position(|&len| len + 1 >= q + MIN_STEP)
        .unwrap_or(n - 1)
        .min(SHORT_MAX)
        .min(n - 1);
    let l = lens[k].min(q + fingerprint::MAX_STEP - 1);
    (l, lens.partition_point(|&len| len < l))
}

/// The length of the common prefix of `a` and `b`: 16-byte blocks compared as
/// integers, the first differing byte found from their xor (about twice as fast
/// as comparing the blocks as slices), then bytes.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 16;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut at = 0;
    for (x, y) in a.chunks_exact(BLOCK).zip(b.chunks_exact(BLOCK)) {
        let diff = block_xor(x, y);
        if diff != 0 {
            return at + (diff.trailing_zeros() / 8) as usize;
        }
        at += BLOCK;
    }
    at + a[at..]
        .iter()
        .zip(&b[at..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Compares two byte strings read back to front.
fn rev_cmp(a: &[u8], b: &[u8]) -> Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// A pattern or key read forward, or from its last byte back (the order of
/// `by_suffix`).
#[derive(Clone, Copy)]
enum Bytes<'a> {
    Forward(&'a [u8]),
    Reversed(&'a [u8]),
}

impl Bytes<'_> {
    fn len(&self) -> usize {
        match self {
            Bytes::Forward(b) | Bytes::Reversed(b) => b.len(),
        }
    }

    /// Byte `i` in this reading.
    #[inline]
    fn at(&self, i: usize) -> Option<u8> {
        match self {
            Bytes::Forward(b) => b.get(i).copied(),
            Bytes::Reversed(b) => b.len().checked_sub(i + 1).map(|j| b[j]),
        }
    }

    /// How many leading bytes (in this reading) `self` and `other`, read the same
    /// way, share, given that they share `skip`.
    #[inline]
    fn common(&self, other: &Bytes<'_>, skip: usize) -> usize {
        // Most comparisons of a search end at their first byte.
        if self.at(skip) != other.at(skip) {
            return skip;
        }
        match (self, other) {
            (Bytes::Forward(a), Bytes::Forward(b)) => skip + common_prefix(&a[skip..], &b[skip..]),
            (Bytes::Reversed(a), Bytes::Reversed(b)) => {
                skip + common_suffix(&a[..a.len() - skip], &b[..b.len() - skip])
            }
            _ => unreachable!("a block is searched in one reading"),
        }
    }
}

/// Two 16-byte blocks xored as little-endian integers: zero where they are equal,
/// else the first differing byte at the lowest set bit, the last at the highest.
#[inline(always)]
fn block_xor(x: &[u8], y: &[u8]) -> u128 {
    let mut wx = [0u8; 16];
    let mut wy = [0u8; 16];
    wx.copy_from_slice(x);
    wy.copy_from_slice(y);
    u128::from_le_bytes(wx) ^ u128::from_le_bytes(wy)
}

/// The length of the common suffix of `a` and `b` ([`common_prefix`] from the end).
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 16;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut done = 0;
    for (x, y) in a.rchunks_exact(BLOCK).zip(b.rchunks_exact(BLOCK)) {
        let diff = block_xor(x, y);
        if diff != 0 {
            return done + (diff.leading_zeros() / 8) as usize;
        }
        done += BLOCK;
    }
    done + a[..n - done]
        .iter()
        .rev()
        .zip(b[..n - done].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn segment(patterns: &[String]) -> Segment {
        let entries = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| Entry {
                bytes: Zeroizing::new(p.as_bytes().to_vec()),
                mask: i as u32,
                origin: super::super::variants::Origin {
                    encoding: super::super::variants::Encoding::Plain,
                    plain_len: p.len() as u32,
                },
            })
            .collect();
        Segment::build(entries, Choice::Auto).unwrap()
    }

    /// The fingerprint's gate, as (bytes back from the ends, distinct bytes).
    fn gated(segment: &Segment) -> Option<(usize, usize)> {
        match &segment.searcher {
            Searcher::Fast(fast) => fast.gate.as_ref().map(Gate::shape),
            _ => None,
        }
    }

    /// A partial occurrence of every length at each end is found, where each of the
    /// pattern's bytes is its own (so the bytes that may end or begin one, which
    /// let a text skip the check, must all be kept: one byte too few at either edge
    /// of the range misses the longest partial at one end), and a text ending or
    /// beginning with a byte no partial occurrence has is skipped.
    #[test]
    fn partial_occurrences_of_every_length_end_and_begin_with_their_own_bytes() {
        // 16 bytes: every partial of 8 bytes or more covers half of it. Beside
        // 3,000 patterns of other bytes (69,000 grams, past the filter's 8 bits a
        // gram), which crowd the grams filter so that the bytes are tested.
        let pattern = "ABCDEFGHIJKLMNOP";
        let mut rng = 0x5eed_u64;
        let mut patterns: Vec<String> = (0..3000)
            .map(|_| {
                (0..30)
                    .map(|_| {
                        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
                        char::from(
                            b"abcdefghijklmnopqrstuvwxyz0123456789"[(rng >> 33) as usize % 36],
                        )
                    })
                    .collect()
            })
            .collect();
        patterns.push(pattern.to_owned());
        patterns.sort();
        let mask = patterns.iter().position(|p| p == pattern).unwrap() as u32;
        assert!(!segment(&[pattern.to_owned()]).grams_crowded, "one pattern");
        assert!(
            !segment(&patterns[..100]).grams_crowded,
            "100 patterns, at 8 to 16 bits a gram"
        );
        let segment = segment(&patterns);
        assert!(segment.grams_crowded, "3,001 patterns");
        let n = pattern.len();
        for l in MIN_FRAGMENT..n {
            let end = format!("log: {}", &pattern[..l]);
            assert_eq!(
                segment.end_partial(end.as_bytes()),
                Some((5, mask)),
                "the first {l} bytes at the end"
            );
            let start = format!("{} end", &pattern[n - l..]);
            assert_eq!(
                segment.start_partial(start.as_bytes()),
                Some((l, mask)),
                "the last {l} bytes at the start"
            );
        }
        // The pattern's last byte never ends a partial occurrence (that would be
        // the whole pattern), nor does its first begin one.
        assert!(!segment.inner_bytes.contains(b'P'));
        assert!(!segment.inner_bytes.contains(b'A'));
        assert_eq!(segment.end_partial(b"log: ABCDEFGHIJ\n"), None);
        assert_eq!(segment.start_partial(b"\nFGHIJKLMNOP end"), None);
        // The skip itself, seen in the work charged: a text ending with the
        // pattern's last 8 bytes passes the grams filter (they are a gram of it),
        // yet is no partial occurrence, and its last byte, `P`, is inside no
        // pattern, so the check stops at the byte test and charges nothing; ending
        // one byte earlier (`O`, inside the pattern) it walks and charges. The same
        // at the start with the first 8 bytes.
        #[cfg(feature = "testing")]
        {
            let charged = |f: &dyn Fn() -> Option<(usize, u32)>| {
                let before = work();
                assert_eq!(f(), None);
                work() - before
            };
            assert_eq!(charged(&|| segment.end_partial(b"log: IJKLMNOP")), 0);
            assert!(charged(&|| segment.end_partial(b"log: HIJKLMNO")) > 0);
            assert_eq!(charged(&|| segment.start_partial(b"ABCDEFGH end")), 0);
            assert!(charged(&|| segment.start_partial(b"BCDEFGHI end")) > 0);
        }
    }

    /// The grams filter: 8 to 16 bits a gram up to 256 Kib, 4 to 8 at that size up
    /// to 65,536 grams, 2 to 4 up to 4 Mib, then 1 to 2 (never fewer, or nearly
    /// every gram would pass), up to 2^32 bits.
    #[test]
    fn the_grams_filter_keeps_at_least_a_bit_a_gram() {
        let cases = [
            ("empty", 0, 12),
            ("a few", 100, 12),
            ("8 to 16 bits a gram", 3_300, 15),
            ("8 to 16 bits a gram, at 256 Kib", 32_768, 18),
            ("4 to 8 bits a gram, at 256 Kib", 65_536, 18),
            ("past 65,536 grams, 2 to 4 bits a gram", 65_537, 18),
            ("2 to 4 bits a gram, at 256 Kib", 100_000, 18),
            ("2 to 4 bits a gram", 200_000, 19),
            ("2 bits a gram, a million", 1 << 20, 21),
            ("just under a million", (1 << 20) - 1000, 21),
            ("2 bits a gram, at 4 Mib", 2 << 20, 22),
            ("past 4 Mib, not fewer than 1 bit", 3 << 20, 22),
            ("1 to 2 bits", (4 << 20) + 1, 23),
            ("100,000 secrets, every encoding", 90_000_000, 27),
            ("at the cap", usize::MAX >> 8, 32),
        ];
        for (name, count, log2) in cases {
            assert_eq!(grams_filter_log2(count), log2, "{name}");
            if count > 0 {
                assert!((1usize << log2) >= count.min(1 << 32), "{name}");
            }
        }
    }

    /// The fingerprint searches only where an occurrence can end when its windows
    /// are crowded and the patterns hold at most 16 distinct bytes at one distance
    /// (under 32) before their ends: the one with the fewest, for `memchr` where it
    /// can; otherwise (every set of distinct secrets seen in practice) it scans the
    /// whole text.
    #[test]
    fn the_fingerprint_is_gated_only_where_its_windows_are_crowded() {
        let shared = "a".repeat(1024);
        let b64 = |i: u64, len: usize| -> String {
            let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    char::from(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                            [(x % 64) as usize],
                    )
                })
                .collect()
        };
        // (name, patterns, gate: bytes back from the ends, distinct bytes there)
        type Case = (&'static str, Vec<String>, Option<(usize, usize)>);
        let cases: Vec<Case> = vec![
            (
                // `0000` and 0 to 1999: `0` or `1` 3 back (past the shared `0000`).
                "2,000 sharing 1 KiB, ending in 8-digit numbers",
                (0..2000).map(|i| format!("{shared}{i:08}")).collect(),
                Some((3, 2)),
            ),
            (
                "200 sharing 66 bytes, ending in x or y",
                (0..200)
                    .map(|i| {
                        format!("{}{:08b}", &shared[..66], i)
                            .replace('0', "x")
                            .replace('1', "y")
                    })
                    .collect(),
                Some((0, 2)),
            ),
            (
                // 26 last bytes, ten digits at 1 to 3 back, `0` or `1` at 4.
                "2,000 sharing 1 KiB, ending in a number and 26 letters",
                (0..2000)
                    .map(|i| format!("{shared}{i:06}{}", char::from(b'a' + (i % 26) as u8)))
                    .collect(),
                Some((4, 2)),
            ),
            (
                // Ten digits at every distance but the last: Teddy.
                "2,000 sharing 1 KiB, ending in numbers of 4 to 6 digits",
                (0..2000)
                    .map(|i| format!("{shared}{}", 1000 + i * 37))
                    .collect(),
                Some((0, 10)),
            ),
            (
                "2,000 sharing 1 KiB, ending in 40 random characters",
                (0..2000)
                    .map(|i| format!("{shared}{}", b64(i, 40)))
                    .collect(),
                None,
            ),
            (
                "2,000 distinct, ending in digits",
                (0..2000u64)
                    .map(|i| format!("{:016x}{i:04}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                    .collect(),
                None,
            ),
        ];
        for (name, patterns, want) in cases {
            let segment = segment(&patterns);
            assert!(
                matches!(segment.searcher, Searcher::Fast(_)),
                "{name}: fingerprint"
            );
            assert_eq!(gated(&segment), want, "{name}");
        }
    }

    /// `verify_bound` of `patterns`, laid out as a segment lays them: sorted, in one
    /// arena.
    fn bound(patterns: &[&str]) -> usize {
        let mut sorted = patterns.to_vec();
        sorted.sort();
        let mut arena = Vec::new();
        let mut ranges = Vec::new();
        for p in sorted {
            ranges.push((arena.len() as u32, p.len() as u32));
            arena.extend_from_slice(p.as_bytes());
        }
        verify_bound(&arena, &ranges)
    }

    /// Brute force: the worst over texts that follow each pattern.
    fn brute(patterns: &[&str]) -> usize {
        patterns
            .iter()
            .map(|q| {
                patterns
                    .iter()
                    .map(|p| {
                        let common = q.bytes().zip(p.bytes()).take_while(|(a, b)| a == b).count();
                        (common + 1).min(p.len())
                    })
                    .sum::<usize>()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn common_prefix_counts_equal_leading_bytes_across_blocks() {
        let long = "0123456789abcdefghijklmnopqrstuvwxyz";
        let cases: [(&str, &str, &str, usize); 7] = [
            ("empty", "", long, 0),
            ("differ at once", "x123", long, 0),
            ("a prefix of the other", &long[..20], long, 20),
            ("equal", long, long, long.len()),
            ("differ inside the first block", "0123456x", long, 7),
            ("differ on a block edge", "0123456789abcdefX", long, 16),
            (
                "differ in the second block",
                "0123456789abcdefghijkX",
                long,
                21,
            ),
        ];
        for (name, a, b, want) in cases {
            assert_eq!(common_prefix(a.as_bytes(), b.as_bytes()), want, "{name}");
            assert_eq!(
                common_prefix(b.as_bytes(), a.as_bytes()),
                want,
                "{name}, swapped"
            );
        }
    }

    /// `common_suffix` and `Bytes::common` in both readings, against a byte loop.
    #[test]
    fn common_suffix_counts_equal_trailing_bytes_across_blocks() {
        let long = "0123456789abcdefghijklmnopqrstuvwxyz";
        let cases: [(&str, &str, &str, usize); 7] = [
            ("empty", "", long, 0),
            ("differ at once", "wxyQ", long, 0),
            ("a suffix of the other", &long[16..], long, 20),
            ("equal", long, long, long.len()),
            ("differ inside the last block", "Xtuvwxyz", long, 7),
            ("differ on a block edge", "Xklmnopqrstuvwxyz", long, 16),
            (
                "differ in the block before",
                "Xfghijklmnopqrstuvwxyz",
                long,
                21,
            ),
        ];
        for (name, a, b, want) in cases {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            assert_eq!(common_suffix(a, b), want, "{name}");
            assert_eq!(common_suffix(b, a), want, "{name}, swapped");
            let naive = a
                .iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count();
            assert_eq!(naive, want, "{name}: the table");
            for skip in 0..=want {
                let common = Bytes::Reversed(a).common(&Bytes::Reversed(b), skip);
                assert_eq!(common, want, "{name}, reversed, skipping {skip}");
            }
            let (ra, rb): (Vec<u8>, Vec<u8>) = (
                a.iter().rev().copied().collect(),
                b.iter().rev().copied().collect(),
            );
            for skip in 0..=want {
                let common = Bytes::Forward(&ra).common(&Bytes::Forward(&rb), skip);
                assert_eq!(common, want, "{name}, forward, skipping {skip}");
            }
        }
    }

    #[test]
    fn verify_bound_is_the_worst_comparison_count_at_one_position() {
        let growing: Vec<String> = (1..=8).map(|k| format!("{}b", "a".repeat(4 * k))).collect();
        let growing: Vec<&str> = growing.iter().map(String::as_str).collect();
        let cases: [(&str, Vec<&str>, usize); 5] = [
            ("one pattern: its length", vec!["abcdef"], 6),
            (
                "distinct first bytes: one each for the others",
                vec!["abcd", "bcde", "cdef"],
                4 + 1 + 1,
            ),
            (
                "shared prefix `sk-`: 4 compared in each other",
                vec!["sk-aaaa", "sk-bbbb", "sk-cccc"],
                7 + 4 + 4,
            ),
            (
                "a prefix of another: at most its own length",
                vec!["abc", "abcdef"],
                6 + 3,
            ),
            (
                "a growing shared prefix: each compared whole",
                growing.clone(),
                growing.iter().map(|p| p.len()).sum::<usize>(),
            ),
        ];
        for (name, patterns, want) in cases {
            assert_eq!(bound(&patterns), want, "{name}");
            assert_eq!(bound(&patterns), brute(&patterns), "{name}: brute force");
        }
    }
}
