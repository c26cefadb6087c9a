//! `Fingerprint`: a sampling prefilter for many long patterns.
//!
//! Let L be the shortest *long* pattern and q the window width (4, 5 or 8 bytes).
//! Each long pattern gets an *anchor* a (below), and every q-byte window of its L
//! bytes from the anchor (offsets `a..=a + L - q`) goes into a table. An occurrence
//! of a long pattern at `p` covers the text's `p + a..p + a + L`, which holds the
//! windows at `p + a..=p + a + L - q`: S = L - q + 1 consecutive positions, so
//! exactly one of them is a multiple of S. Probing the text only at multiples of S
//! thus meets every occurrence once, through a window registered with offset
//! `x - p`. Each probe is one load, one multiply and a two-bit test in one word of a
//! blocked Bloom filter; only a probe that passes looks up its bucket of `(check,
//! pattern, offset)` items, and a candidate start is then verified byte for byte by
//! the caller.
//!
//! **Anchors.** Real secrets share long prefixes: every key of a vendor starts
//! `sk-proj-` or `ghp_`, every JWT of an issuer with the same 36-byte header and
//! often 30 more bytes of payload. Windows taken from the patterns' starts would put
//! thousands of patterns behind one window, and every probe landing on that prefix
//! (in logs, mostly on *unregistered* tokens of the same shape) would make each of
//! them a candidate. So a pattern's windows start where it parts from its nearest
//! patterns in byte order (their longest common prefix, which is the longest it
//! shares with any pattern), or as far toward that as its length allows: its windows
//! then hold bytes no other pattern has at that place, and a probe on a shared
//! prefix finds nothing to verify.
//!
//! The cost per text byte is 1/S probes plus the filter's false positives, which
//! per byte are about (patterns / filter bits) whatever S is: the table is sized at
//! 16 bits per window, so that rate stays near one in a few hundred bytes.
//!
//! **Holds material derived from secrets**: filter bits and 32-bit checks of windows
//! of each long pattern, and each one's anchor (how long a prefix it shares with
//! others). The multiply is invertible, so a check of a 4-byte window is close to
//! the window itself: every table, and the build's intermediate hashes, are zeroized
//! on drop (SECURITY.md).

use zeroize::Zeroize;

/// The widest window in bytes (one 64-bit load).
pub(crate) const MAX_Q: usize = 8;

/// The most probe strides (window offsets past the anchor) per pattern: one fits in
/// [`OFFSET_BITS`].
pub(crate) const MAX_STEP: usize = 1 << OFFSET_BITS;

const OFFSET_BITS: u32 = 5;
const PATTERN_BITS: u32 = 27;
/// The most patterns a segment may hold to use this filter.
pub(crate) const MAX_PATTERNS: usize = 1 << PATTERN_BITS;

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Probes passing the filter resolved together (see [`Fingerprint::scan`]): enough
/// that their cache misses overlap (a core keeps about a dozen in flight), few
/// enough that the two arrays each call zeroes stay small. 256 zeroed 12 KiB per
/// call, a quarter of a 119-byte line's redaction at N = 100 (154 ns a line, 110-118 ns
/// at 32; 4 MiB texts alike at N = 10,000 and 100,000).
const BATCH: usize = 32;

/// Filter bits per window, and the filter's bounds (512 bytes to 4 MiB).
const BITS_PER_WINDOW: usize = 16;
const MIN_FILTER_LOG2: u32 = 12;
const MAX_FILTER_LOG2: u32 = 25;

/// Reads the 8 bytes at `at` (the caller keeps `at + 8 <= bytes.len()`).
#[inline(always)]
fn load(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; MAX_Q];
    word.copy_from_slice(&bytes[at..at + MAX_Q]);
    u64::from_le_bytes(word)
}

/// Reads up to 8 bytes at `at`, zero-padded past the end.
fn load_padded(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; MAX_Q];
    let n = (bytes.len() - at).min(MAX_Q);
    word[..n].copy_from_slice(&bytes[at..at + n]);
    u64::from_le_bytes(word)
}

/// The prefilter: a blocked Bloom filter over window hashes and the exact buckets.
pub(crate) struct Fingerprint {
    /// Window width q.
    q: usize,
    /// The low q bytes of a 64-bit load.
    window: u64,
    /// Probe stride S = L - q + 1.
    step: usize,
    filter: Box<[u64]>,
    /// log2 of the bucket count.
    bucket_bits: u32,
    /// Bucket `b`'s items are `items[starts[b]..starts[b + 1]]`.
    starts: Box<[u32]>,
    /// `check << 32 | pattern << 5 | i`: the window at `anchors[pattern] + i`.
    items: Box<[u64]>,
    /// Each long pattern's anchor, by pattern id (0 for the others).
    anchors: Box<[u32]>,
}

impl Fingerprint {
    /// Builds the table for the `count` long patterns `(id, bytes)`, in byte order,
    /// each at least `l` bytes long, with q-byte windows: `1 <= q <= 8`, `q <= l`,
    /// `l - q < MAX_STEP`, and every id below [`MAX_PATTERNS`].
    pub(crate) fn build<'a>(
        l: usize,
        q: usize,
        count: usize,
        long: impl Iterator<Item = (u32, &'a [u8])>,
    ) -> Fingerprint {
        debug_assert!((1..=MAX_Q).contains(&q) && q <= l && l - q < MAX_STEP);
        let step = l - q + 1;
        let window = u64::MAX >> (64 - 8 * q);
        let long: Vec<(u32, &[u8])> = long.collect();
        debug_assert!(long.windows(2).all(|w| w[0].1 <= w[1].1), "byte order");
        let ids = long
            .iter()
            .map(|&(id, _)| id as usize + 1)
            .max()
            .unwrap_or(0);
        let mut anchors = vec![0u32; ids].into_boxed_slice();
        // In byte order the longest prefix a pattern shares with any other is the
        // one it shares with a neighbour.
        let common = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let mut before = 0;
        for k in 0..long.len() {
            let (id, bytes) = long[k];
            let after = long.get(k + 1).map_or(0, |&(_, next)| common(bytes, next));
            // `bytes.len() - l`: the last L bytes, where the anchor past the shared
            // prefix would leave fewer than L.
            anchors[id as usize] = before.max(after).min(bytes.len() - l) as u32;
            before = after;
        }
        let mut windows: Vec<(u64, u32, u32)> = Vec::with_capacity(count * step);
        for &(id, bytes) in &long {
            let anchor = anchors[id as usize] as usize;
            for i in 0..step {
                let at = anchor + i;
                let word = if at + MAX_Q <= bytes.len() {
                    load(bytes, at)
                } else {
                    load_padded(bytes, at)
                };
                let h = (word & window).wrapping_mul(K);
                windows.push((h, id, i as u32));
            }
        }
        drop(long);
        let filter_log2 = (windows.len() * BITS_PER_WINDOW)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(MIN_FILTER_LOG2, MAX_FILTER_LOG2);
        let word_bits = filter_log2 - 6;
        let mut filter = vec![0u64; 1 << word_bits].into_boxed_slice();
        // About four windows per bucket: 32 bytes of items, within one cache line
        // or two, and a quarter of the bucket bounds' memory per window (4 B), which
        // at two windows per bucket was the largest table after the items.
        let bucket_bits = (windows.len() / 4)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(1, 30);
        let mut counts = vec![0u32; (1 << bucket_bits) + 1];
        for &(h, _, _) in &windows {
            let (word, mask) = probe_bits(h, word_bits);
            filter[word] |= mask;
            counts[(h >> (64 - bucket_bits)) as usize + 1] += 1;
        }
        for b in 1..counts.len() {
            counts[b] += counts[b - 1];
        }
        let mut next = counts.clone();
        let mut items = vec![0u64; windows.len()].into_boxed_slice();
        for &(h, id, i) in &windows {
            let b = (h >> (64 - bucket_bits)) as usize;
            items[next[b] as usize] =
                check(h, bucket_bits) << 32 | u64::from(id) << OFFSET_BITS | u64::from(i);
            next[b] += 1;
        }
        windows.zeroize();
        Fingerprint {
            q,
            window,
            step,
            filter,
            bucket_bits,
            starts: counts.into_boxed_slice(),
            items,
            anchors,
        }
    }

    /// The most items in one bucket: one window shared by that many pattern offsets
    /// makes a probe landing on it a candidate for each.
    pub(crate) fn largest_bucket(&self) -> usize {
        self.starts
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0)
    }

    /// The probe stride S: [`scan`](Fingerprint::scan)'s ranges start at multiples of it.
    pub(crate) fn step(&self) -> usize {
        self.step
    }

    /// Appends to `out` every `(start, pattern)` where a long pattern may occur in
    /// `hay` and is met by a probe in `from..to` (`from` a multiple of the stride):
    /// over consecutive ranges that cover `hay`, a superset of the occurrences, each
    /// found exactly once, in no particular order. (A caller scans a long text range
    /// by range, verifying each range's candidates while its bytes are in cache.)
    ///
    /// Probes that pass the filter are resolved in batches, bucket bounds first and
    /// then items, so that the cache misses of a batch (the tables of a large set
    /// far exceed the caches) overlap instead of following one another.
    ///
    /// Items whose check matches but whose pattern would start before the text are
    /// counted in `skipped` (work all the same: a probe near the start over
    /// thousands of patterns sharing its window examines them all and keeps none).
    /// Returns `false`, `out` incomplete, once `out` and `skipped` hold more than
    /// `limit` between them: patterns sharing their leading windows (thousands with one
    /// prefix) make a probe a candidate for each, and the caller then searches
    /// another way rather than verify them all.
    pub(crate) fn scan(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        out: &mut Vec<(usize, u32)>,
        skipped: &mut usize,
        limit: usize,
    ) -> bool {
        debug_assert!(from.is_multiple_of(self.step) && from <= to && to <= hay.len());
        // The probe loop is the whole cost on clean text: the filter word and its
        // two bits come from fixed shifts of the hash (`probe_bits`), and the
        // fields are locals.
        let (window, step) = (self.window, self.step);
        let words = self.filter.len() - 1;
        let filter = &self.filter[..];
        let passes = |h: u64| {
            let mask = 1u64 << (h >> 58) | 1u64 << ((h >> 52) & 63);
            filter[(h >> 32) as usize & words] & mask == mask
        };
        let mut passed = [(0usize, 0u64); BATCH];
        let mut n = 0;

        let mut x = from;
        // Whole 8-byte loads, then the last probes zero-padded.
        // A stride of at least 8 (every automatic choice): each probe reads the
        // head of its own stride-long chunk, with no bounds check per probe.
        if step >= MAX_Q {
            for chunk in hay[from..to].chunks_exact(step) {
                let mut word = [0u8; MAX_Q];
                word.copy_from_slice(&chunk[..MAX_Q]);
                let h = (u64::from_le_bytes(word) & window).wrapping_mul(K);
                if passes(h) {
                    passed[n] = (x, h);
                    n += 1;
                    if n == BATCH {
                        if !self.resolve(&passed, out, skipped, limit) {
                            return false;
                        }
                        n = 0;
                    }
                }
                x += step;
            }
        }
        let whole = hay.len().checked_sub(MAX_Q);
        while x < to && whole.is_some_and(|last| x <= last) {
            let h = (load(hay, x) & window).wrapping_mul(K);
            if passes(h) {
                passed[n] = (x, h);
                n += 1;
                if n == BATCH {
                    if !self.resolve(&passed, out, skipped, limit) {
                        return false;
                    }
                    n = 0;
                }
            }
            x += step;
        }
        while x < to && x + self.q <= hay.len() {
            let h = (load_padded(hay, x) & self.window).wrapping_mul(K);
            if passes(h) {
                passed[n] = (x, h);
                n += 1;
                if n == BATCH {
                    if !self.resolve(&passed, out, skipped, limit) {
                        return false;
                    }
                    n = 0;
                }
            }
            x += self.step;
        }
        self.resolve(&passed[..n], out, skipped, limit)
    }

    /// Looks up the probes `passed`: each `(position, hash)` becomes its bucket's
    /// item range, then the items whose check matches become candidates (or, where
    /// the pattern would start before the text, are counted in `skipped`).
    /// `false` once `out` and `skipped` hold more than `limit` between them.
    #[inline(never)]
    fn resolve(
        &self,
        passed: &[(usize, u64)],
        out: &mut Vec<(usize, u32)>,
        skipped: &mut usize,
        limit: usize,
    ) -> bool {
        let mut ranges = [(0usize, 0u32, 0u32, 0u64); BATCH];
        for (range, &(x, h)) in ranges.iter_mut().zip(passed) {
            let b = (h >> (64 - self.bucket_bits)) as usize;
            *range = (
                x,
                self.starts[b],
                self.starts[b + 1],
                check(h, self.bucket_bits),
            );
        }
        for &(x, from, to, check) in &ranges[..passed.len()] {
            for &item in &self.items[from as usize..to as usize] {
                if item >> 32 != check {
                    continue;
                }
                let id = ((item >> OFFSET_BITS) & ((1 << PATTERN_BITS) - 1)) as u32;
                let offset =
                    self.anchors[id as usize] as usize + (item & ((1 << OFFSET_BITS) - 1)) as usize;
                if offset <= x {
                    out.push((x - offset, id));
                } else {
                    *skipped += 1;
                }
                if out.len() + *skipped > limit {
                    return false;
                }
            }
        }
        true
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        (self.filter.len() + self.items.len()) * 8 + (self.starts.len() + self.anchors.len()) * 4
    }
}

impl Drop for Fingerprint {
    fn drop(&mut self) {
        self.filter.zeroize();
        self.starts.zeroize();
        self.items.zeroize();
        self.anchors.zeroize();
    }
}

/// The filter word of hash `h` and the two bits set in it: the word from bits 32 and
/// up (at most 19 of them), the bits from the top 12, so every shift is a constant
/// ([`Fingerprint::scan`] inlines the same).
#[inline(always)]
fn probe_bits(h: u64, word_bits: u32) -> (usize, u64) {
    debug_assert!(word_bits <= 20);
    let word = (h >> 32) as usize & ((1 << word_bits) - 1);
    (word, 1 << (h >> 58) | 1 << ((h >> 52) & 63))
}

/// 32 bits of `h` below its bucket bits.
#[inline(always)]
fn check(h: u64, bucket_bits: u32) -> u64 {
    (h << bucket_bits) >> 32
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    const PATTERNS: [&[u8]; 3] = [
        b"AKIA7Q2WXLMNOPQRSTUV",
        b"ghp_9fKx2LmQ8rTzY4wB",
        b"sk_live_4eC39HqLyjWD",
    ];

    fn fingerprint() -> Fingerprint {
        let long = PATTERNS.iter().enumerate().map(|(i, p)| (i as u32, *p));
        Fingerprint::build(16, 8, PATTERNS.len(), long)
    }

    /// A text holding each pattern `times` times, and where each occurrence starts.
    fn text(times: usize) -> (Vec<u8>, Vec<(usize, u32)>) {
        let (mut hay, mut at) = (Vec::new(), Vec::new());
        for k in 0..times {
            let id = (k % PATTERNS.len()) as u32;
            hay.extend_from_slice(b"key=");
            at.push((hay.len(), id));
            hay.extend_from_slice(PATTERNS[id as usize]);
            hay.extend_from_slice(b" ok\n");
        }
        (hay, at)
    }

    /// Far more probes pass than one batch holds: each batch is resolved, the last
    /// partial one too, and every occurrence is a candidate exactly once.
    #[test]
    fn every_occurrence_is_a_candidate_once_across_batches() {
        let f = fingerprint();
        for times in [1, BATCH - 1, BATCH, BATCH + 1, 10 * BATCH + 3] {
            let (hay, mut expected) = text(times);
            let (mut out, mut skipped) = (Vec::new(), 0);
            assert!(f.scan(&hay, 0, hay.len(), &mut out, &mut skipped, usize::MAX));
            out.sort_unstable();
            expected.sort_unstable();
            let found: Vec<_> = out
                .iter()
                .filter(|c| expected.contains(c))
                .copied()
                .collect();
            assert_eq!(found, expected, "{times} occurrences");
        }
    }

    /// Past `limit` candidates the scan gives up and says so.
    #[test]
    fn a_scan_past_its_limit_gives_up() {
        let f = fingerprint();
        let (hay, expected) = text(4 * BATCH);
        let (mut out, mut skipped) = (Vec::new(), 0);
        assert!(!f.scan(
            &hay,
            0,
            hay.len(),
            &mut out,
            &mut skipped,
            expected.len() / 2
        ));
    }
}
