//! `Gate`: where in a text an occurrence can end, found by the patterns' last bytes.
//!
//! Every occurrence ends with one of the patterns' last bytes. Where a set has at
//! most [`GATE_MAX`] of them, a SIMD search for those bytes (`memchr` for up to
//! three, `aho-corasick`'s packed Teddy over one-byte patterns for more) finds every
//! place an occurrence can end, and only the `longest` bytes before each can hold
//! it. [`Gate::stretches`] merges those into disjoint stretches; text holding none of
//! the bytes costs the SIMD search alone (1 MiB of `a` for a set ending in digits:
//! about 54 GiB/s, as fast as Hyperscan, which skips such text the same way).
//!
//! Why a segment needs it: thousands of secrets sharing a long prefix and differing
//! only in their last bytes (2,000 secrets of 1 KiB of `a` and 8 digits) share the
//! fingerprint's windows, so a text repeating the prefix makes every probe a
//! candidate for each of them, and the searchers of last resort read every byte
//! (about 300 MiB/s). Their ends are what sets them apart.
//!
//! **Holds material derived from secrets**: the set of the patterns' last bytes. The
//! `memchr` form keeps them in a wiped buffer; the packed searcher keeps its own
//! copy, which cannot be wiped (SECURITY.md).

use aho_corasick::{Span, packed};
use zeroize::Zeroizing;

/// The most distinct last bytes a gate searches for: the packed searcher declines
/// one-byte patterns among more than 16 (they would swamp its verification).
const GATE_MAX: usize = 16;

/// A gate gives up once it has found more than one end byte per this many text bytes
/// (plus [`SLACK`]): each costs a call into the search, and where they are that
/// dense their stretches cover the text anyway.
const DENSITY: usize = 32;
const SLACK: usize = 64;

/// The search for the bytes a set's patterns hold `back` bytes before their last
/// (0: their last bytes), and its longest pattern.
pub(crate) struct Gate {
    finder: Finder,
    back: usize,
    longest: usize,
    /// How many distinct bytes it searches for (the packed searcher does not say).
    #[cfg(test)]
    count: usize,
}

enum Finder {
    /// One to three bytes: `memchr`.
    Bytes(Zeroizing<Vec<u8>>),
    /// Four to [`GATE_MAX`]: Teddy over one-byte patterns.
    Packed(packed::Searcher),
}

impl Gate {
    /// The gate for patterns holding one of `last` (sorted, distinct) `back` bytes
    /// before their end, and at most `longest` bytes long; `None` where there are
    /// more than [`GATE_MAX`] such bytes, or the packed searcher is not available on
    /// this machine.
    pub(crate) fn build(last: &[u8], back: usize, longest: usize) -> Option<Gate> {
        let finder = match last.len() {
            1..=3 => Finder::Bytes(Zeroizing::new(last.to_vec())),
            4..=GATE_MAX => Finder::Packed(
                packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(last.iter().map(std::slice::from_ref))
                    .build()?,
            ),
            _ => return None,
        };
        Some(Gate {
            finder,
            back,
            longest,
            #[cfg(test)]
            count: last.len(),
        })
    }

    /// The first position at or after `at` holding one of the gate's bytes.
    fn find(&self, hay: &[u8], at: usize) -> Option<usize> {
        let rest = &hay[at..];
        let found = match &self.finder {
            Finder::Bytes(bytes) => match bytes.as_slice() {
                [x] => memchr::memchr(*x, rest),
                [x, y] => memchr::memchr2(*x, *y, rest),
                [x, y, z] => memchr::memchr3(*x, *y, *z, rest),
                _ => unreachable!("built for one to three bytes"),
            },
            Finder::Packed(packed) => {
                return packed
                    .find_in(hay, Span::from(at..hay.len()))
                    .map(|m| m.start());
            }
        };
        found.map(|i| at + i)
    }

    /// Writes to `out` (cleared first) the stretches `lo..hi` of `hay`, left to
    /// right, disjoint and not touching, that hold every occurrence of the set: each
    /// `hi` an end byte, each `lo` the longest pattern before the stretch's first
    /// one. Where end bytes are dense the last stretch runs to the text's end
    /// (an occurrence ending later starts after the last end found, less `longest`).
    pub(crate) fn stretches(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        out.clear();
        // A gate byte in the text's last `back` bytes ends no occurrence.
        let Some(searched) = hay.len().checked_sub(self.back) else {
            return;
        };
        let mut found = 0;
        let mut at = 0;
        while let Some(i) = self.find(&hay[..searched], at) {
            let end = i + 1 + self.back;
            let lo = end.saturating_sub(self.longest);
            match out.last_mut() {
                Some(last) if lo <= last.1 => last.1 = end,
                _ => out.push((lo, end)),
            }
            found += 1;
            if found > end / DENSITY + SLACK {
                if let Some(last) = out.last_mut() {
                    last.1 = hay.len();
                }
                return;
            }
            at = i + 1;
        }
    }

    /// (bytes back from the ends, distinct bytes searched for).
    #[cfg(test)]
    pub(crate) fn shape(&self) -> (usize, usize) {
        (self.back, self.count)
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        match &self.finder {
            Finder::Bytes(bytes) => bytes.capacity(),
            Finder::Packed(packed) => packed.memory_usage(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn stretches(last: &[u8], back: usize, longest: usize, hay: &[u8]) -> Vec<(usize, usize)> {
        let gate = Gate::build(last, back, longest).expect("a gate for these bytes");
        let mut out = vec![(7, 7)];
        gate.stretches(hay, &mut out);
        out
    }

    /// A named case: end bytes at, text length, longest pattern, the stretches.
    type Case = (
        &'static str,
        &'static [usize],
        usize,
        usize,
        &'static [(usize, usize)],
    );

    #[test]
    fn stretches_cover_the_longest_pattern_before_each_end_byte() {
        let far = |at: &[usize], len: usize| {
            let mut hay = vec![b'a'; len];
            for &i in at {
                hay[i] = b'7';
            }
            hay
        };
        // (name, end bytes at, text length, longest, stretches)
        let cases: &[Case] = &[
            ("none: nothing to search", &[], 1000, 10, &[]),
            ("one", &[500], 1000, 10, &[(491, 501)]),
            ("near the start: clipped", &[3], 1000, 10, &[(0, 4)]),
            ("at the last byte", &[999], 1000, 10, &[(990, 1000)]),
            (
                "two far apart",
                &[100, 500],
                1000,
                10,
                &[(91, 101), (491, 501)],
            ),
            (
                "two overlapping: merged",
                &[100, 105],
                1000,
                10,
                &[(91, 106)],
            ),
            // The second's stretch starts where the first ends: runs in them
            // could touch, so they are one.
            ("two touching: merged", &[100, 110], 1000, 10, &[(91, 111)]),
            (
                "one byte short of touching",
                &[100, 111],
                1000,
                10,
                &[(91, 101), (102, 112)],
            ),
        ];
        for &(name, at, len, longest, want) in cases {
            let hay = far(at, len);
            // Every form of gate: memchr for one to three bytes, Teddy past that.
            for last in [&b"7"[..], b"07", b"079", b"0123456789"] {
                assert_eq!(
                    stretches(last, 0, longest, &hay),
                    want,
                    "{name}, ends {last:?}"
                );
            }
        }
    }

    #[test]
    fn dense_end_bytes_give_up_and_cover_the_rest() {
        // An end byte every other byte: past 64 + 1/32 per byte the last stretch
        // runs to the text's end.
        let hay: Vec<u8> = b"a7".repeat(10_000);
        let got = stretches(b"7", 0, 40, &hay);
        assert_eq!(got, [(0, hay.len())]);
        // Sparse enough: every stretch its own.
        let mut sparse = vec![b'a'; 100_000];
        for i in (0..100_000).step_by(1000) {
            sparse[i] = b'7';
        }
        assert_eq!(stretches(b"7", 0, 40, &sparse).len(), 100);
    }

    #[test]
    fn a_gate_is_built_for_at_most_sixteen_bytes() {
        let bytes: Vec<u8> = (b'a'..=b'z').collect();
        for n in 1..=16 {
            assert!(
                Gate::build(&bytes[..n], 0, 8).is_some() || n > 3,
                "{n} bytes"
            );
        }
        assert!(Gate::build(&bytes[..17], 0, 8).is_none());
        assert!(Gate::build(&[], 0, 8).is_none());
    }

    /// A gate on the bytes `back` before the patterns' ends: an occurrence holding
    /// one at `i` ends at `i + 1 + back`, and one in the text's last `back` bytes
    /// ends none.
    #[test]
    fn a_gate_back_from_the_ends_stretches_to_where_occurrences_end() {
        let far = |at: &[usize], len: usize| {
            let mut hay = vec![b'a'; len];
            for &i in at {
                hay[i] = b'7';
            }
            hay
        };
        // (name, gate bytes at, text length, back, longest, stretches)
        type BackCase = (
            &'static str,
            &'static [usize],
            usize,
            usize,
            usize,
            &'static [(usize, usize)],
        );
        let cases: &[BackCase] = &[
            ("one, three back", &[500], 1000, 3, 10, &[(494, 504)]),
            ("near the start", &[1], 1000, 3, 10, &[(0, 5)]),
            (
                "ending the text exactly",
                &[996],
                1000,
                3,
                10,
                &[(990, 1000)],
            ),
            ("too near the end to end one", &[997, 999], 1000, 3, 10, &[]),
            (
                "one kept, one too near the end",
                &[500, 998],
                1000,
                3,
                10,
                &[(494, 504)],
            ),
            ("text shorter than back", &[1], 2, 3, 10, &[]),
            ("touching: merged", &[100, 110], 1000, 3, 10, &[(94, 114)]),
            (
                "one byte short of touching",
                &[100, 111],
                1000,
                3,
                10,
                &[(94, 104), (105, 115)],
            ),
        ];
        for &(name, at, len, back, longest, want) in cases {
            let hay = far(at, len);
            for last in [&b"7"[..], b"079", b"0123456789"] {
                assert_eq!(
                    stretches(last, back, longest, &hay),
                    want,
                    "{name}, gate bytes {last:?}"
                );
            }
        }
    }
}
