//! `RedactLayer` in a real axum router served on a loopback port, read by a plain
//! HTTP/1.1 client over a socket: bodies are masked with a secret split across
//! frames, `Content-Length` goes, a server-sent event arrives while its stream is
//! still open, and a compressed body is refused rather than passed through.
#![cfg(feature = "tower")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use axum::response::Response;
use axum::routing::get;
use futures_util::StreamExt;
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use workflow_secrets::redact::tower::RedactLayer;
use workflow_secrets::{Redactor, SecretValue};

const SECRET: &str = "xoxb-2041-5096-QmFzZTY0IGlzIG5vdCBlbmNyeXB0aW9u";
const LATE: &str = "ghp_late0added0while0serving0000000000";

fn chunks(pieces: Vec<&'static str>) -> Body {
    Body::from_stream(stream::iter(
        pieces
            .into_iter()
            .map(|p| Ok::<_, Infallible>(bytes::Bytes::from_static(p.as_bytes()))),
    ))
}

/// The router under test, served on a loopback port: its address.
async fn serve(redactor: Redactor) -> std::net::SocketAddr {
    let (head, tail) = SECRET.split_at(17);
    let split: &'static str = Box::leak(format!("token={head}").into_boxed_str());
    let rest: &'static str = Box::leak(format!("{tail} ok\n").into_boxed_str());
    let app = Router::new()
        .route(
            "/split",
            get(move || async move {
                // The secret split across three frames, one of them a single byte.
                let (a, b) = rest.split_at(1);
                chunks(vec![split, a, b, "done\n"])
            }),
        )
        .route(
            "/fixed",
            get(|| async { format!("whole body with {SECRET} and a declared length") }),
        )
        .route(
            "/events",
            get(|| async {
                // One event, then a stream that stays open until the client leaves.
                let event = format!("data: token={SECRET}\n\n");
                let open = stream::iter([Ok::<_, Infallible>(bytes::Bytes::from(event))])
                    .chain(stream::pending());
                Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(open))
                    .unwrap()
            }),
        )
        .route(
            "/gzip",
            get(|| async {
                Response::builder()
                    .header(CONTENT_ENCODING, "gzip")
                    .header(CONTENT_LENGTH, "12")
                    .body(Body::from(&b"\x1f\x8b compressed"[..]))
                    .unwrap()
            }),
        )
        .route(
            "/late",
            get(|| async { format!("a value added after the layer: {LATE}\n") }),
        )
        .layer(RedactLayer::new(redactor));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Status line and headers (lower-cased names), and the de-chunked body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

async fn request(addr: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    stream
}

fn parse(raw: &[u8]) -> Reply {
    let raw = String::from_utf8(raw.to_vec()).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        loop {
            let (size, after) = rest.split_once("\r\n").unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        out
    } else {
        body.to_string()
    };
    Reply {
        status,
        headers,
        body,
    }
}

async fn get_reply(addr: std::net::SocketAddr, path: &str) -> Reply {
    let mut stream = request(addr, path).await;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    parse(&raw)
}

fn redactor() -> Redactor {
    Redactor::new([&SecretValue::new(SECRET).unwrap()])
}

#[tokio::test]
async fn a_secret_split_across_frames_is_masked() {
    let addr = serve(redactor()).await;
    let reply = get_reply(addr, "/split").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "token=*** ok\ndone\n");
    assert!(!reply.body.contains(&SECRET[..12]));
}

#[tokio::test]
async fn content_length_is_removed_and_the_body_masked() {
    let addr = serve(redactor()).await;
    let reply = get_reply(addr, "/fixed").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "whole body with *** and a declared length");
    assert_eq!(reply.header("content-length"), None);
}

#[tokio::test]
async fn a_server_sent_event_arrives_while_the_stream_is_open() {
    let addr = serve(redactor()).await;
    let mut stream = request(addr, "/events").await;
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    let read = async {
        while !String::from_utf8_lossy(&seen).contains("data: token=***\n\n") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the stream ended");
            seen.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the event arrives before the stream ends");
    assert!(!String::from_utf8_lossy(&seen).contains(&SECRET[..12]));
}

#[tokio::test]
async fn a_compressed_body_is_refused_not_passed_through() {
    let addr = serve(redactor()).await;
    let reply = get_reply(addr, "/gzip").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, "");
    assert!(!reply.body.contains("compressed"));
    assert_eq!(reply.header("content-encoding"), None);
}

#[tokio::test]
async fn a_value_added_after_the_layer_was_built_is_masked() {
    let r = redactor();
    let addr = serve(r.clone()).await;
    r.add(None, &SecretValue::new(LATE).unwrap());
    let reply = get_reply(addr, "/late").await;
    assert_eq!(reply.body, "a value added after the layer: ***\n");
}

#[test]
fn debug_shows_no_value() {
    let layer = RedactLayer::new(redactor());
    let debug = format!("{layer:?}");
    assert!(!debug.contains(&SECRET[..8]), "{debug}");
}

#[tokio::test]
async fn the_platform_layer_masks_what_the_table_holds_unlabelled() {
    use workflow_secrets::redact::PlatformRedactor;
    let platform = PlatformRedactor::builder().build();
    let app = Router::new()
        .route("/late", get(|| async { format!("host log says {LATE}\n") }))
        .layer(RedactLayer::platform(&platform));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // Noted after the layer was built, as a value resolved later would be.
    platform.note(&SecretValue::new(LATE).unwrap());
    let reply = get_reply(addr, "/late").await;
    assert_eq!(reply.body, "host log says [REDACTED]\n");
}
