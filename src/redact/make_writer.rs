//! (feature `tracing`) `MaskingMakeWriter`: a `tracing_subscriber::fmt` writer that
//! masks each formatted event with a [`PlatformRedactor`] before it reaches its sink.

use std::fmt;
use std::io::{self, Write};

use tracing::Metadata;
use tracing_subscriber::fmt::MakeWriter;
use zeroize::Zeroizing;

use super::platform::PlatformRedactor;

/// Wraps a [`MakeWriter`] so that every event `tracing_subscriber::fmt` formats is
/// masked with a [`PlatformRedactor`] before the inner writer sees a byte of it.
///
/// **Per event, whole.** Each event gets a [`MaskedEvent`] writer that buffers what
/// the formatter writes; when the formatter drops it (at the end of the event), the
/// whole event is masked at once and written to the inner writer with one
/// `write_all`, then flushed. So a value split across the pieces the formatter writes
/// (fields, message, span context) is masked like one written whole, and a partial
/// value at an event's very start or end follows the [`Redactor`](crate::Redactor)'s
/// rule for a text's ends. `flush` on the event writer emits nothing: an event is
/// never written in parts.
///
/// **Live.** Masks are unlabelled (the same for every value, never a key name) and
/// come from the platform redactor as it is when the event ends: a value the resolver
/// handed out before the event was logged is masked in it.
///
/// What it does not cover (disclosure): output of a layer that does not write through
/// this `MakeWriter` (another subscriber, an OpenTelemetry exporter, `log` output
/// that bypasses `tracing`), and `tracing_subscriber::fmt`'s own per-thread buffer in
/// which it formats an event before writing it, which holds the unmasked text until
/// the next event overwrites it (not wiped; see SECURITY.md).
///
/// # Example
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use workflow_secrets::redact::{MaskingMakeWriter, PlatformRedactor};
/// use workflow_secrets::SecretValue;
///
/// // A sink the test can read; a service would pass `std::io::stderr`.
/// #[derive(Clone, Default)]
/// struct Sink(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Sink {
///     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().extend_from_slice(buf);
///         Ok(buf.len())
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let platform = PlatformRedactor::builder().build();
/// let sink = Sink::default();
/// let subscriber = tracing_subscriber::fmt()
///     .with_writer(MaskingMakeWriter::new(&platform, { let s = sink.clone(); move || s.clone() }))
///     .finish();
/// let token = SecretValue::new("sk-live-0123456789")?;
/// platform.note(&token); // what `Resolver::with_platform_redactor` does for each value
/// // What this writer exists to catch: text that carries a value without anyone
/// // meaning it to, such as an upstream's error echoing the key it refused. (The
/// // host's code never formats a value; here the upstream's reply is a literal.)
/// let upstream_error = "401: invalid key sk-live-0123456789";
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::warn!("the API refused the call: {upstream_error}");
/// });
/// let log = String::from_utf8(sink.0.lock().unwrap().clone())?;
/// assert!(log.contains("the API refused the call: 401: invalid key [REDACTED]"));
/// assert!(!log.contains("sk-live-0123456789"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MaskingMakeWriter<M> {
    platform: PlatformRedactor,
    inner: M,
}

impl<M> MaskingMakeWriter<M> {
    /// Masks every event written through `inner` with `platform` (a clone of the
    /// handle: it stays live).
    pub fn new(platform: &PlatformRedactor, inner: M) -> Self {
        MaskingMakeWriter {
            platform: platform.clone(),
            inner,
        }
    }
}

impl<M> fmt::Debug for MaskingMakeWriter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaskingMakeWriter")
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MaskingMakeWriter<M> {
    type Writer = MaskedEvent<'a, M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedEvent::new(&self.platform, self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        MaskedEvent::new(&self.platform, self.inner.make_writer_for(meta))
    }
}

/// The writer of one event: buffers it, and writes it masked to the inner writer
/// when dropped. See [`MaskingMakeWriter`].
///
/// **Holds secret material**: the event's unmasked text, in a buffer wiped when it
/// grows and when the writer drops. `Debug` shows its length only.
pub struct MaskedEvent<'a, W: Write> {
    /// Borrowed: a clone would add and drop a count on an `Arc` every thread
    /// shares, per event.
    platform: &'a PlatformRedactor,
    buf: Zeroizing<Vec<u8>>,
    inner: W,
}

impl<'a, W: Write> MaskedEvent<'a, W> {
    fn new(platform: &'a PlatformRedactor, inner: W) -> Self {
        MaskedEvent {
            platform,
            buf: Zeroizing::new(Vec::new()),
            inner,
        }
    }
}

impl<W: Write> Write for MaskedEvent<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let needed = self.buf.len().saturating_add(bytes.len());
        if needed > self.buf.capacity() {
            // Grown by hand into a new block: `Vec`'s own growth would free the old
            // one, holding the event so far, unwiped. The old block is wiped as it drops.
            let capacity = needed.max(self.buf.capacity().saturating_mul(2)).max(256);
            let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
            grown.extend_from_slice(&self.buf);
            self.buf = grown;
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    /// Emits nothing: the event is written whole, masked, when this writer drops.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for MaskedEvent<'_, W> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let masked = self.platform.redact_bytes(&self.buf);
        // A log sink that fails has nowhere to report to; `tracing_subscriber::fmt`
        // ignores its writers' errors the same way.
        let _ = self.inner.write_all(&masked);
        let _ = self.inner.flush();
    }
}

impl<W: Write> fmt::Debug for MaskedEvent<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaskedEvent")
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}
