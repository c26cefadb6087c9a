//! Forcing the redactor's searcher, so that every redaction rule is checked under
//! every searcher it can choose (feature `testing`).
//!
//! A [`Redactor`] finds occurrences with one of several searchers, picked per
//! segment by the size and shape of its pattern set: `aho-corasick`'s automaton,
//! its packed SIMD searcher, `memchr`'s `memmem` for one pattern, or the fingerprint
//! prefilter. Random tests compare
//! them, but a named rule ("touching occurrences are one mask") is proved for a
//! searcher only when its table runs through that searcher. As `aho-corasick`'s own
//! tests run every table under every engine, the crate's redaction tables run under
//! each [`Searcher`] in [`Searcher::ALL`] through [`with_searcher`], and each case
//! asserts, with [`used`], which searcher actually ran.
//!
//! A searcher that cannot be built for a set of patterns (too many patterns for the
//! packed searcher, patterns too short for the fingerprint's window) is never
//! replaced silently: [`with_searcher`] returns [`Unbuildable`] with the reason, and
//! a table lists the cases it expects to skip so. (Inside the redactor such a
//! segment searches with the automaton, so a forced redactor still masks
//! everything; [`used`] reports the stand-in as an error.)
//!
//! Not a stable API: the searchers are the engine's internals, and this module
//! changes with them.
//!
//! # Example
//!
//! ```
//! use workflow_secrets::testing::searchers::{Reason, Searcher, used, with_searcher};
//! use workflow_secrets::{Redactor, SecretValue, redact::Encodings};
//!
//! let value = SecretValue::new("abcd")?;
//! let builder = Redactor::builder().secret(&value).encodings(Encodings::none());
//! for searcher in Searcher::ALL {
//!     match with_searcher(&builder, searcher) {
//!         Ok(redactor) => {
//!             assert_eq!(redactor.redact("pw=abcd"), "pw=***", "{searcher}");
//!             let want = match searcher {
//!                 // One pattern: the automatic choice searches with memmem.
//!                 Searcher::Auto => Searcher::Memmem,
//!                 forced => forced,
//!             };
//!             assert_eq!(used(&redactor)?, [want]);
//!         }
//!         // The one 4-byte pattern is shorter than the window this set size gets.
//!         Err(e) => assert_eq!(
//!             (e.searcher, e.reason),
//!             (Searcher::Fingerprint, Reason::ShorterThanWindow { window: 5 }),
//!         ),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::redact::{Kind, Redactor, RedactorBuilder, Unbuilt};

/// A searcher the redactor can use, or its automatic choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Searcher {
    /// What a production build does: chosen per segment by the pattern set's size.
    Auto,
    /// Plain leftmost-longest `aho-corasick` over every pattern: the oracle the other
    /// searchers are compared with.
    Automaton,
    /// `aho-corasick`'s packed SIMD searcher (Teddy) alone, at most 64 patterns.
    Packed,
    /// `memchr`'s `memmem`, for a set of exactly one pattern (what the automatic
    /// choice uses there). Forced on more patterns, it cannot be built
    /// ([`Reason::TooManyPatterns`] with `max: 1`).
    Memmem,
    /// The fingerprint prefilter for the longer patterns, with a small automaton for
    /// the few shortest. Forced, its window cycles through 4, 5 and 8 bytes with the
    /// set's size, so tables cover every width.
    Fingerprint,
    /// The reversed-pattern automaton: linear in the text for any patterns, and
    /// buildable for every set. What a segment searches with where `aho-corasick`
    /// cannot be built, and (per text) where the others would pass a linear budget.
    Linear,
}

impl Searcher {
    /// The automatic choice, then every searcher. A searcher added to the engine is
    /// added here, so every table that loops over this list covers it.
    pub const ALL: [Searcher; 6] = [
        Searcher::Auto,
        Searcher::Automaton,
        Searcher::Packed,
        Searcher::Memmem,
        Searcher::Fingerprint,
        Searcher::Linear,
    ];

    /// The searcher's name, for reports: `auto`, `automaton`, `packed`, `memmem`,
    /// `fingerprint`, `linear`.
    pub fn name(self) -> &'static str {
        match self {
            Searcher::Auto => "auto",
            Searcher::Automaton => "automaton",
            Searcher::Packed => "packed",
            Searcher::Memmem => "memmem",
            Searcher::Fingerprint => "fingerprint",
            Searcher::Linear => "linear",
        }
    }

    fn kind(self) -> Option<Kind> {
        match self {
            Searcher::Auto => None,
            Searcher::Automaton => Some(Kind::Automaton),
            Searcher::Packed => Some(Kind::Packed),
            Searcher::Memmem => Some(Kind::Memmem),
            Searcher::Fingerprint => Some(Kind::Fingerprint),
            Searcher::Linear => Some(Kind::Linear),
        }
    }

    fn of(kind: Kind) -> Searcher {
        match kind {
            Kind::Automaton => Searcher::Automaton,
            Kind::Packed => Searcher::Packed,
            Kind::Memmem => Searcher::Memmem,
            Kind::Fingerprint => Searcher::Fingerprint,
            Kind::Linear => Searcher::Linear,
        }
    }
}

impl fmt::Display for Searcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a searcher cannot be built for a redactor's patterns. Counts and widths
/// only: nothing here derives from a pattern's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// More patterns in one segment than the searcher covers (the packed searcher:
    /// 64).
    TooManyPatterns {
        /// The segment's patterns.
        patterns: usize,
        /// The most the searcher covers.
        max: usize,
    },
    /// The packed searcher declines 1-byte patterns among more than 16 of them.
    OneBytePatterns {
        /// The segment's patterns.
        patterns: usize,
    },
    /// The packed searcher needs SIMD this target lacks (SSSE3 or AVX2 on x86-64,
    /// NEON on aarch64, little-endian).
    Unsupported,
    /// No pattern is as long as the fingerprint's window.
    ShorterThanWindow {
        /// The window's width in bytes.
        window: usize,
    },
    /// `aho-corasick` refused to build an automaton (a set too large for it).
    Automaton,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::TooManyPatterns { patterns, max } => {
                write!(f, "{patterns} patterns in one segment, past its {max}")
            }
            Reason::OneBytePatterns { patterns } => {
                write!(f, "1-byte patterns among {patterns}, past 16")
            }
            Reason::Unsupported => f.write_str("no SIMD support on this target"),
            Reason::ShorterThanWindow { window } => {
                write!(f, "every pattern is shorter than its {window}-byte window")
            }
            Reason::Automaton => f.write_str("aho-corasick refused the automaton"),
        }
    }
}

impl From<Unbuilt> for Reason {
    fn from(why: Unbuilt) -> Reason {
        match why {
            Unbuilt::TooManyPatterns { patterns, max } => Reason::TooManyPatterns { patterns, max },
            Unbuilt::OneBytePatterns { patterns } => Reason::OneBytePatterns { patterns },
            Unbuilt::Unsupported => Reason::Unsupported,
            Unbuilt::ShorterThanWindow { window } => Reason::ShorterThanWindow { window },
            Unbuilt::Automaton => Reason::Automaton,
        }
    }
}

/// A forced searcher that cannot be built for a redactor's patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unbuildable {
    /// The searcher asked for.
    pub searcher: Searcher,
    /// Why it cannot be built.
    pub reason: Reason,
}

impl fmt::Display for Unbuildable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot build the {} searcher: {}",
            self.searcher, self.reason
        )
    }
}

impl std::error::Error for Unbuildable {}

/// `builder` with `searcher` forced for every segment its redactors build, now and
/// on later [`add`](Redactor::add)s (segments are rebuilt as they merge).
///
/// Where the searcher cannot be built, that segment searches with the automaton, so
/// the redactor still masks everything, and [`used`] reports it. The checked twin,
/// for a redactor built once, is [`with_searcher`].
pub fn forced(builder: RedactorBuilder, searcher: Searcher) -> RedactorBuilder {
    builder.force_searcher(searcher.kind())
}

/// `builder` with the automatic choice, except that every `aho-corasick` automaton
/// build is refused, as `aho-corasick` refuses a set too large for its state ids:
/// the way to prove that a redactor masks every value it accepted even then.
pub fn refusing_automaton(builder: RedactorBuilder) -> RedactorBuilder {
    builder.refuse_automaton()
}

/// Builds `builder`'s redactor with `searcher` forced (see [`forced`]).
///
/// # Errors
///
/// [`Unbuildable`] when the searcher cannot be built for the patterns, rather than
/// a redactor that quietly searches with another.
pub fn with_searcher(
    builder: &RedactorBuilder,
    searcher: Searcher,
) -> Result<Redactor, Unbuildable> {
    let redactor = forced(builder.clone(), searcher).build();
    used(&redactor)?;
    Ok(redactor)
}

/// The searcher of each segment of `redactor`'s current set, oldest segment first
/// (values added since the last read are compiled first). Empty when no value
/// registered a pattern; never [`Searcher::Auto`].
///
/// # Errors
///
/// [`Unbuildable`] for the first segment where a forced searcher could not be built
/// (the automaton stands in for it there).
pub fn used(redactor: &Redactor) -> Result<Vec<Searcher>, Unbuildable> {
    redactor
        .searchers()
        .into_iter()
        .map(|searcher| match searcher {
            Ok(kind) => Ok(Searcher::of(kind)),
            Err((kind, why)) => Err(Unbuildable {
                searcher: Searcher::of(kind),
                reason: why.into(),
            }),
        })
        .collect()
}

/// Runs `f` and returns its result with the search work it charged on this thread:
/// bytes a search may read, candidates verified, automaton steps (a redactor's
/// compile work is not counted). Redaction's work is linear in the text for any
/// secret set; this counter proves it in tests without timing anything.
pub fn work<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = crate::redact::work();
    let out = f();
    (out, crate::redact::work() - before)
}
