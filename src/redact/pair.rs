//! `PairPrefilter`: `memchr`'s packed-pair candidate search for one pattern, without
//! its confirmation.
//!
//! `memchr::memmem` searches a needle of more than 32 bytes with Two-Way behind this
//! prefilter, and a shorter one with the prefilter plus a `memcmp` of each
//! candidate. Two-Way keeps the search linear for any needle, at a cost per hit: a
//! 205-byte JWT in a 4 MiB log that carries it every 4 KiB, 167 µs (Hyperscan: 119
//! µs). Keying `memmem` on the last 32 bytes instead loses the whole needle's pair
//! (the two rarest bytes, often far apart, which is what makes the pair selective):
//! 98 µs with hits, but 76 µs against 66 µs on a log full of unregistered tokens of
//! the same shape. Here the segment takes the prefilter alone, on the whole
//! pattern's pair, and confirms each candidate itself by comparing bytes, charged to
//! its linear budget (a late-failing candidate at every position is then a budget
//! overrun, not a quadratic search): 78 µs and 66 µs on those two texts.
//!
//! The prefilter is the SIMD one for this machine (AVX2 or SSE2 on x86-64, NEON on
//! aarch64); where none is available the segment searches with `memmem`.
//!
//! **Holds material derived from a secret**: the pair's two bytes, splatted across
//! vector registers' worth of memory, and their offsets. `memchr`'s type cannot be
//! wiped; SECURITY.md lists it.

use memchr::arch::all::packedpair::Pair;

/// The packed-pair prefilter for one pattern.
pub(crate) enum PairPrefilter {
    #[cfg(target_arch = "x86_64")]
    Avx2(memchr::arch::x86_64::avx2::packedpair::Finder),
    #[cfg(target_arch = "x86_64")]
    Sse2(memchr::arch::x86_64::sse2::packedpair::Finder),
    #[cfg(target_arch = "aarch64")]
    Neon(memchr::arch::aarch64::neon::packedpair::Finder),
    /// Elsewhere there is none ([`PairPrefilter::new`] returns `None`).
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    Unavailable(std::convert::Infallible),
}

impl PairPrefilter {
    /// The prefilter for `needle` (at least 2 bytes), on the pair `memchr` would
    /// choose for it, or `None` where this machine has no SIMD prefilter.
    pub(crate) fn new(needle: &[u8]) -> Option<PairPrefilter> {
        let pair = Pair::new(needle)?;
        #[cfg(target_arch = "x86_64")]
        {
            use memchr::arch::x86_64::{avx2, sse2};
            if let Some(f) = avx2::packedpair::Finder::with_pair(needle, pair) {
                return Some(PairPrefilter::Avx2(f));
            }
            if let Some(f) = sse2::packedpair::Finder::with_pair(needle, pair) {
                return Some(PairPrefilter::Sse2(f));
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            use memchr::arch::aarch64::neon;
            if let Some(f) = neon::packedpair::Finder::with_pair(needle, pair) {
                return Some(PairPrefilter::Neon(f));
            }
        }
        let _ = pair;
        None
    }

    /// The shortest haystack [`find`](PairPrefilter::find) takes.
    pub(crate) fn min_haystack_len(&self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            PairPrefilter::Avx2(f) => f.min_haystack_len(),
            #[cfg(target_arch = "x86_64")]
            PairPrefilter::Sse2(f) => f.min_haystack_len(),
            #[cfg(target_arch = "aarch64")]
            PairPrefilter::Neon(f) => f.min_haystack_len(),
            #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
            PairPrefilter::Unavailable(never) => match *never {},
        }
    }

    /// The first offset of `hay` where the needle could begin (its pair's two bytes
    /// are there), or `None` when it begins nowhere. `hay` is at least
    /// [`min_haystack_len`](PairPrefilter::min_haystack_len) long.
    pub(crate) fn find(&self, hay: &[u8]) -> Option<usize> {
        debug_assert!(hay.len() >= self.min_haystack_len());
        match self {
            #[cfg(target_arch = "x86_64")]
            PairPrefilter::Avx2(f) => f.find_prefilter(hay),
            #[cfg(target_arch = "x86_64")]
            PairPrefilter::Sse2(f) => f.find_prefilter(hay),
            #[cfg(target_arch = "aarch64")]
            PairPrefilter::Neon(f) => f.find_prefilter(hay),
            #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
            PairPrefilter::Unavailable(never) => match *never {},
        }
    }
}
