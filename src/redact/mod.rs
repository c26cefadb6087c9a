//! Redaction: masking registered secret values out of text, byte strings, streams
//! and serialized data.
//!
//! | file | concept |
//! |---|---|
//! | `encodings.rs` | [`Encodings`]: which encoded forms are masked |
//! | `formats.rs` | [`TokenFormat`], [`TokenFormats`]: well-known token formats masked without registration |
//! | `variants.rs` | the patterns one value registers (lines, encodings) |
//! | `matcher.rs` | a segment: one pattern set, its searcher, the span union, partials |
//! | `fingerprint.rs` | the sampling prefilter for many long patterns |
//! | `gate.rs` | where occurrences can end, by the patterns' last bytes |
//! | `pair.rs` | `memchr`'s packed-pair prefilter for one pattern, confirmed by the segment |
//! | `reverse.rs` | the linear-time searcher of last resort (reversed-pattern automaton) |
//! | `set.rs` | the live set: snapshots, geometric merging, masks |
//! | `redactor.rs` | [`Redactor`] |
//! | `builder.rs` | [`RedactorBuilder`] |
//! | `writer.rs` | [`RedactingWriter`] |
//! | `async_writer.rs` | `AsyncRedactingWriter` (feature `tokio`) |
//! | `tower.rs` | `tower::RedactLayer`, masking HTTP response bodies (feature `tower`) |
//! | `serde.rs` | [`Redacted`], the `Serialize` adapter |
//! | `platform.rs` | [`PlatformRedactor`]: one live, bounded, unlabelled redactor per process, with retention |
//! | `make_writer.rs` | (feature `tracing`) `MaskingMakeWriter`, a `tracing_subscriber::fmt` writer that masks each event |

#[cfg(feature = "tokio")]
mod async_writer;
mod builder;
mod decode;
mod encodings;
mod fingerprint;
mod formats;
mod gate;
#[cfg(feature = "tracing")]
mod make_writer;
mod masks;
mod matcher;
mod pair;
mod platform;
mod redactor;
mod reverse;
mod serde;
mod set;
#[cfg(feature = "tower")]
pub mod tower;
mod variants;
mod writer;

#[cfg(feature = "tokio")]
pub use async_writer::AsyncRedactingWriter;
pub use builder::RedactorBuilder;
pub use encodings::Encodings;
pub use formats::{TokenFormat, TokenFormats};
#[cfg(feature = "tracing")]
pub use make_writer::{MaskedEvent, MaskingMakeWriter};
pub use platform::{PlatformRedactor, PlatformRedactorBuilder, PlatformReport, PlatformStats};
pub use redactor::Redactor;
pub use serde::Redacted;
pub use writer::RedactingWriter;

// For `testing::searchers`, which forces each searcher and reports which one ran.
#[cfg(feature = "testing")]
pub(crate) use matcher::{Kind, Unbuilt, work};
#[cfg(feature = "testing")]
pub(crate) use platform::on_next_rebuild;
