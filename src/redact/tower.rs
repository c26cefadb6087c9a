//! `RedactLayer`: masking HTTP response bodies as they stream (feature `tower`).
//!
//! Each response body goes through a [`RedactingWriter`] over a `Vec` (masking
//! without I/O), with a live flush after every frame, so the layer keeps the
//! writer's rules: a secret split across frames is masked, and a finished line (a
//! server-sent event) goes out with the frame that finished it.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::{Body, Frame};
use tower_layer::Layer;
use tower_service::Service;

use super::platform::PlatformRedactor;
use super::redactor::Redactor;
use super::writer::{RedactingWriter, Source};

/// A tower [`Layer`] that masks every registered secret in response bodies as they
/// stream, with the guarantee of [`RedactingWriter`]: boundary-safe across frames,
/// and live (after each frame, everything through its last line break goes out, so
/// server-sent events do not stall; of an unfinished last line, all but the
/// hold-back).
///
/// The redactor is live: a value [`add`](Redactor::add)ed after the layer was built
/// is masked from the next frame on, in responses already streaming too.
///
/// - **`Content-Length` is removed** from every response it masks: masks change the
///   length. The body streams without a declared length.
/// - **A body with a `Content-Encoding`** (other than `identity`) is **refused**: its
///   bytes are compressed, so a secret in them cannot be seen, let alone masked. The
///   response becomes `500 Internal Server Error` with an empty body, and none of the
///   compressed bytes leave. Put this layer *inside* any compression layer (closer
///   to the handler), never outside it.
///
/// # Example
///
/// ```
/// use axum::{Router, routing::get};
/// use workflow_secrets::{Redactor, SecretValue, redact::tower::RedactLayer};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let redactor = Redactor::new([&SecretValue::new("sk-live-0123456789")?]);
/// let app: Router = Router::new()
///     .route("/debug", get(|| async { "token: sk-live-0123456789\n" }))
///     .layer(RedactLayer::new(redactor));
/// # let _ = app;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedactLayer {
    source: Source,
}

impl RedactLayer {
    /// A layer masking with `redactor` (a live handle: its later adds count).
    pub fn new(redactor: Redactor) -> RedactLayer {
        RedactLayer {
            source: Source::Redactor(redactor),
        }
    }

    /// A layer masking with the platform redactor's table, as it grows (and is
    /// rebuilt): every value the hooks have seen, in unlabelled masks. The usual
    /// choice for a service's own responses.
    pub fn platform(platform: &PlatformRedactor) -> RedactLayer {
        RedactLayer {
            source: Source::Platform(platform.clone()),
        }
    }
}

impl<S> Layer<S> for RedactLayer {
    type Service = Redact<S>;

    fn layer(&self, inner: S) -> Redact<S> {
        Redact {
            inner,
            source: self.source.clone(),
        }
    }
}

/// The service [`RedactLayer`] wraps around an inner service.
#[derive(Clone)]
pub struct Redact<S> {
    inner: S,
    source: Source,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Redact<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<RedactBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        ResponseFuture {
            inner: self.inner.call(request),
            source: self.source.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Redact`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        source: Source,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<RedactBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let (mut parts, body) = response.into_parts();
        let encoded = parts
            .headers
            .get(CONTENT_ENCODING)
            .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        parts.headers.remove(CONTENT_LENGTH);
        let body = if encoded {
            parts.status = StatusCode::INTERNAL_SERVER_ERROR;
            parts.headers.remove(CONTENT_ENCODING);
            RedactBody::refused(body)
        } else {
            RedactBody::new(body, this.source)
        };
        Poll::Ready(Ok(Response::from_parts(parts, body)))
    }
}

pin_project_lite::pin_project! {
    /// A response body with every registered secret masked as it streams (see
    /// [`RedactLayer`]). Its frames are [`Bytes`]; its errors are the inner body's.
    pub struct RedactBody<B> {
        #[pin]
        inner: B,
        // `None` once the inner body ended (or the body was refused).
        masker: Option<RedactingWriter<Vec<u8>>>,
        // Trailers that wait until the rest of the masked text has gone out.
        trailers: Option<HeaderMap>,
        // Refused (`Content-Encoding`): the inner body is never read.
        refused: bool,
    }
}

impl<B> RedactBody<B> {
    fn new(inner: B, source: &Source) -> RedactBody<B> {
        RedactBody {
            inner,
            masker: Some(RedactingWriter::new(source.clone(), Vec::new())),
            trailers: None,
            refused: false,
        }
    }

    fn refused(inner: B) -> RedactBody<B> {
        RedactBody {
            inner,
            masker: None,
            trailers: None,
            refused: true,
        }
    }
}

/// What the masker has emitted so far, as one frame (none when it emitted nothing).
fn emitted(masker: &mut RedactingWriter<Vec<u8>>) -> Option<Frame<Bytes>> {
    let out = std::mem::take(masker.get_mut()?);
    (!out.is_empty()).then(|| Frame::data(Bytes::from(out)))
}

/// The masker's rest (the stream ended), as one frame.
fn rest(masker: RedactingWriter<Vec<u8>>) -> Option<Frame<Bytes>> {
    // Writing to a `Vec` cannot fail, nor can `finish` over one.
    let out = masker.finish().unwrap_or_default();
    (!out.is_empty()).then(|| Frame::data(Bytes::from(out)))
}

impl<B: Body> Body for RedactBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let mut this = self.project();
        if *this.refused {
            return Poll::Ready(None);
        }
        loop {
            let Some(masker) = this.masker.as_mut() else {
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            };
            match ready!(this.inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(mut data) => {
                        while data.has_remaining() {
                            let chunk = data.chunk();
                            let n = chunk.len();
                            // Writing to, and flushing into, a `Vec` cannot fail.
                            let _ = masker.write_all(chunk);
                            data.advance(n);
                        }
                        let _ = masker.flush();
                        if let Some(frame) = emitted(masker) {
                            return Poll::Ready(Some(Ok(frame)));
                        }
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            *this.trailers = Some(trailers);
                        }
                        if let Some(frame) = this.masker.take().and_then(rest) {
                            return Poll::Ready(Some(Ok(frame)));
                        }
                    }
                },
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => {
                    if let Some(frame) = this.masker.take().and_then(rest) {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.refused || (self.masker.is_none() && self.trailers.is_none())
    }
}

impl fmt::Debug for RedactLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactLayer")
            .field("source", &self.source)
            .finish()
    }
}

impl<S> fmt::Debug for Redact<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redact")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<B> fmt::Debug for RedactBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactBody")
            .field("masker", &self.masker)
            .field("refused", &self.refused)
            .finish_non_exhaustive()
    }
}
