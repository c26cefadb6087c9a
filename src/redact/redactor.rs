//! `Redactor`: the handle every caller masks text through.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::builder::RedactorBuilder;
#[cfg(feature = "testing")]
use super::matcher::{Kind, Unbuilt};
use super::serde::Redacted;
use super::set::Live;
use super::writer::{RedactingWriter, Source};
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;

/// Masks registered secret values, and their common encodings, out of text, byte
/// strings, streams and serialized data.
///
/// Every byte of every occurrence is masked: where registered patterns overlap or
/// touch, the whole run becomes **one** mask (labelled, with
/// [`labelled`](RedactorBuilder::labelled) masks, by the key of the run's leftmost
/// occurrence). A prefix of a value at the very end of a text, or a suffix at its
/// very start, is masked when it wholly encodes at least max(8, half the value)
/// **plaintext** bytes, whatever the encoding (the first 16 hex digits of a 16-byte
/// value count as 8 bytes). The
/// output never contains a registered pattern, even when a value contains the mask's
/// own characters. See [`Encodings`](crate::redact::Encodings) for the encoded forms, and
/// [`RedactorBuilder`] for the mask and the minimum length.
///
/// A `Redactor` is cheap to clone, and **live**: every clone shares one set of
/// values, and [`add`](Redactor::add) registers a value with all of them at once,
/// writers included. It is `Send + Sync`.
///
/// **Holds secret material**: the patterns (values and their encodings), in buffers
/// zeroized on drop, and the search automaton's own copy of them, which is not (see
/// SECURITY.md). `Debug` shows counts only.
///
/// # Example
///
/// ```
/// use workflow_secrets::{Redactor, SecretValue};
///
/// let key = SecretValue::new("sk-live-4242424242")?;
/// let redactor = Redactor::new([&key]);
/// assert_eq!(
///     redactor.redact("curl -H 'Authorization: Bearer sk-live-4242424242'"),
///     "curl -H 'Authorization: Bearer ***'",
/// );
/// // Clean text is borrowed, not copied.
/// assert!(matches!(redactor.redact("nothing here"), std::borrow::Cow::Borrowed(_)));
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone)]
pub struct Redactor {
    pub(crate) live: Arc<Live>,
}

impl Redactor {
    /// A redactor with the default settings (mask `***`, every encoding, values of at
    /// least 4 bytes) for `values`.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a SecretValue>) -> Redactor {
        Redactor::builder().secrets(values).build()
    }

    /// A builder, to choose the mask, labels, minimum length and encodings.
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::new()
    }

    /// Registers `value` (labelled with `key` when masks are labelled) with this
    /// redactor and every clone of it, writers included, from now on.
    ///
    /// Cost: the value's own patterns (a few dozen with every encoding on) are built
    /// into a small segment; segments are then merged geometrically, so over the
    /// life of a redactor each pattern is rebuilt O(log n) times and a text is
    /// searched once per segment, O(log n) segments. A writer picks up the new set
    /// (and the longer hold-back it may bring) at its next `write` or `flush`. With
    /// labelled masks, a new key's mask is checked against the set (its length).
    /// Empty values are ignored; values under the minimum length count in
    /// [`skipped`](Redactor::skipped).
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{Redactor, SecretKey, SecretValue};
    ///
    /// let redactor = Redactor::builder().labelled(true).build();
    /// let step = redactor.clone();
    /// let key = SecretKey::new("GITHUB_TOKEN")?;
    /// redactor.add(Some(&key), &SecretValue::new("ghp_0123456789abcdef")?);
    /// assert_eq!(step.redact("token=ghp_0123456789abcdef"), "token=[REDACTED:GITHUB_TOKEN]");
    /// # Ok::<(), workflow_secrets::Error>(())
    /// ```
    pub fn add(&self, key: Option<&SecretKey>, value: &SecretValue) {
        self.live.add(key, value.expose_secret().as_bytes());
    }

    /// How many non-empty values were shorter than the minimum length and are left
    /// unmasked: a host can warn the user about them.
    pub fn skipped(&self) -> usize {
        self.live.snapshot().skipped
    }

    /// `text` with every registered pattern masked; borrowed (no allocation) when
    /// nothing matched. The byte-string twin is [`redact_bytes`](Redactor::redact_bytes).
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.live.snapshot().redact_str(text) {
            None => Cow::Borrowed(text),
            Some(out) => Cow::Owned(out),
        }
    }

    /// `bytes` with every registered pattern masked; borrowed when nothing matched.
    pub fn redact_bytes<'t>(&self, bytes: &'t [u8]) -> Cow<'t, [u8]> {
        match self.live.snapshot().redact(bytes) {
            None => Cow::Borrowed(bytes),
            Some(out) => Cow::Owned(out),
        }
    }

    /// Appends `text`, every registered pattern masked, to `out`: the same output
    /// as [`redact`](Redactor::redact), into a buffer the caller keeps. A loop that
    /// redacts large texts one after another and clears `out` between them
    /// allocates once; `redact` allocates a text-sized output for each text with a
    /// match, and for texts of megabytes the allocator may return that memory to the
    /// system and fault it back in on every call (measured on 4 MiB texts with
    /// 10,000 secrets and every encoding: with glibc told to keep freed memory, a
    /// benchmark of `redact` went from 0.70x to 1.60x of Hyperscan's scan).
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{Redactor, SecretValue};
    ///
    /// let redactor = Redactor::new([&SecretValue::new("0123456789abcdef")?]);
    /// let mut out = String::new();
    /// for line in ["token=0123456789abcdef\n", "nothing here\n"] {
    ///     out.clear();
    ///     redactor.redact_into(line, &mut out);
    ///     print!("{out}");
    /// }
    /// assert_eq!(out, "nothing here\n");
    /// redactor.redact_into("again 0123456789abcdef", &mut out);
    /// assert_eq!(out, "nothing here\nagain ***");
    /// # Ok::<(), workflow_secrets::Error>(())
    /// ```
    pub fn redact_into(&self, text: &str, out: &mut String) {
        self.live.snapshot().redact_str_into(text, out);
    }

    /// A new live set that starts with everything this one holds and goes on alone:
    /// what either is given later, the other never masks. Cheap: the compiled
    /// patterns are shared (a pointer per segment), and only the masks and key ids
    /// are copied (one per key with labelled masks). The resolver forks its
    /// settings' redactor for every run and step.
    pub(crate) fn fork(&self) -> Redactor {
        Redactor {
            live: Arc::new(self.live.fork()),
        }
    }

    /// A writer that masks everything written through it into `inner`; see
    /// [`RedactingWriter`]. It owns a clone of this redactor, so it is live too.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    /// use workflow_secrets::{Redactor, SecretValue};
    ///
    /// let redactor = Redactor::new([&SecretValue::new("0123456789abcdef")?]);
    /// let mut log = redactor.writer(Vec::new());
    /// write!(log, "step printed 0123456789ab")?; // killed mid-print
    /// assert_eq!(log.finish()?, b"step printed ***");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn writer<W: std::io::Write>(&self, inner: W) -> RedactingWriter<W> {
        RedactingWriter::new(Source::Redactor(self.clone()), inner)
    }

    /// An [`AsyncRedactingWriter`](super::AsyncRedactingWriter) (feature `tokio`):
    /// the same masking over tokio's `AsyncWrite`, for a socket, a channel or a
    /// response body.
    #[cfg(feature = "tokio")]
    pub fn async_writer<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        inner: W,
    ) -> super::AsyncRedactingWriter<W> {
        super::AsyncRedactingWriter::new(self, inner)
    }

    /// A wrapper that serializes `value` with every string, character, byte string,
    /// number and map key redacted; see [`Redacted`].
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{Redactor, SecretValue};
    ///
    /// let redactor = Redactor::new([&SecretValue::new("tok_5f3e2a1b9c")?]);
    /// let output = serde_json::json!({ "echo": ["tok_5f3e2a1b9c", 7] });
    /// let json = serde_json::to_string(&redactor.serialize(&output))?;
    /// assert_eq!(json, r#"{"echo":["***",7]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serialize<'a, T: serde::Serialize + ?Sized>(&'a self, value: &'a T) -> Redacted<'a, T> {
        Redacted::new(self, value)
    }

    /// Heap bytes the set holds now: the automata (`aho-corasick`'s own estimate) and
    /// the pattern tables.
    pub fn memory_usage(&self) -> usize {
        self.live.snapshot().memory_usage()
    }

    /// Every registered pattern: values, lines and encoded forms. **Plaintext
    /// copies**, for benchmarks and tests that compare with a raw matcher; not part
    /// of the stable API, and compiled only with the `testing` feature so that no
    /// production build can hand a redactor's secrets back out.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn __registered_patterns(&self) -> Vec<Vec<u8>> {
        self.live.snapshot().patterns()
    }

    /// The searcher of each segment of the current set, oldest first; where the
    /// automaton stands in for a forced searcher that could not be built, that
    /// searcher and why (for the testing hook).
    #[cfg(feature = "testing")]
    pub(crate) fn searchers(&self) -> Vec<Result<Kind, (Kind, Unbuilt)>> {
        self.live
            .snapshot()
            .segments
            .iter()
            .map(|s| s.searcher())
            .collect()
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snapshot = self.live.snapshot();
        f.debug_struct("Redactor")
            .field("values", &snapshot.values)
            .field("patterns", &snapshot.patterns)
            .field("skipped", &snapshot.skipped)
            .field("segments", &snapshot.segments.len())
            .finish()
    }
}
