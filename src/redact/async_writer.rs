//! `AsyncRedactingWriter`: the masking writer behind tokio's `AsyncWrite` (feature
//! `tokio`).
//!
//! It adds no masking of its own: a [`RedactingWriter`] over a `Vec` does the work
//! without I/O, and this type moves what it emits to the inner writer. So it keeps
//! every rule of the sync writer, the live flush included, and the output is the
//! same byte for byte.

use std::fmt;
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::AsyncWrite;

use super::redactor::Redactor;
use super::writer::RedactingWriter;

/// A [`tokio::io::AsyncWrite`] adapter that masks registered secrets in everything
/// written through it: a step's log sent to a socket, a channel or a response body.
///
/// It behaves as [`RedactingWriter`] does, byte for byte: a secret split across any
/// number of writes is masked, [`poll_flush`](AsyncWrite::poll_flush) is the live
/// flush (everything through the last line break reaches the inner writer; of the
/// unfinished last line, all but the hold-back), and
/// [`poll_shutdown`](AsyncWrite::poll_shutdown) emits the rest, a partial secret at
/// the end masked, then shuts the inner writer down. Drop it only after `shutdown`:
/// held text dropped earlier is wiped, not sent.
///
/// Backpressure: a write waits until the inner writer has taken the masked output
/// of the previous one, so the writer holds at most one write's output and its
/// hold-back.
///
/// # Example
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use workflow_secrets::{Redactor, SecretValue};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let redactor = Redactor::new([&SecretValue::new("sk-live-0123456789")?]);
/// let (client, mut server) = tokio::io::duplex(1024);
/// let mut log = redactor.async_writer(client);
/// log.write_all(b"calling with sk-live-01234").await?;
/// log.write_all(b"56789\nwaiting for the reply").await?;
/// log.flush().await?; // live: the finished line goes now
/// let mut line = vec![0; 17];
/// server.read_exact(&mut line).await?;
/// assert_eq!(line, b"calling with ***\n");
/// log.shutdown().await?;
/// let mut rest = String::new();
/// server.read_to_string(&mut rest).await?;
/// assert_eq!(rest, "waiting for the reply");
/// # Ok(()) }
/// ```
pub struct AsyncRedactingWriter<W> {
    /// The masking, without I/O: it emits into its `Vec`. `None` once shut down.
    masker: Option<RedactingWriter<Vec<u8>>>,
    /// Masked output the inner writer has not taken yet, from `sent` on.
    out: Vec<u8>,
    sent: usize,
    inner: W,
}

impl<W: AsyncWrite + Unpin> AsyncRedactingWriter<W> {
    pub(crate) fn new(redactor: &Redactor, inner: W) -> AsyncRedactingWriter<W> {
        AsyncRedactingWriter {
            masker: Some(redactor.writer(Vec::new())),
            out: Vec::new(),
            sent: 0,
            inner,
        }
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Moves what the masker emitted behind the output not yet sent. (Masked
    /// output only: the text held back stays in the masker, which wipes it.)
    fn collect(&mut self) {
        let Some(masker) = self.masker.as_mut() else {
            return;
        };
        let Some(emitted) = masker.get_mut() else {
            return;
        };
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
            std::mem::swap(&mut self.out, emitted);
        } else {
            self.out.append(emitted);
        }
    }

    /// Hands the inner writer the output not yet sent, until it has taken all of it.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.out.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

fn shut_down() -> io::Error {
    io::Error::other("writer already shut down")
}

impl<W: AsyncWrite + Unpin> AsyncWrite for AsyncRedactingWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        this.masker
            .as_mut()
            .ok_or_else(shut_down)?
            .write_all(data)?;
        this.collect();
        // Start sending now; what the inner writer does not take yet waits for the
        // next call (the bytes are accepted: ours to deliver).
        if let Poll::Ready(Err(e)) = this.poll_send(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(masker) = this.masker.as_mut() {
            masker.flush()?;
        }
        this.collect();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(masker) = this.masker.take() {
            let mut rest = masker.finish()?;
            this.out.append(&mut rest);
        }
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

impl<W> fmt::Debug for AsyncRedactingWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRedactingWriter")
            .field("masker", &self.masker)
            .field("unsent", &(self.out.len() - self.sent))
            .finish_non_exhaustive()
    }
}
