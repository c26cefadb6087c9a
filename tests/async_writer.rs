//! `AsyncRedactingWriter` over real loopback sockets: its output is the sync writer's
//! byte for byte, a live flush delivers finished lines while the stream stays open,
//! and a slow reader holds the writer back instead of letting output pile up.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use workflow_secrets::{Redactor, SecretValue};

const SECRET: &str = "sk-live-Zm9vYmFyYmF6cXV4LXNlY3JldA";

fn redactor() -> Redactor {
    Redactor::new([&SecretValue::new(SECRET).unwrap()])
}

/// A connected pair over a real loopback listener.
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// Log text with the secret whole, split and in its encodings, in many lines.
fn log_text() -> String {
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&format!("{i:05} step=fetch status=200 rows={} ", i * 7));
        if i % 97 == 0 {
            text.push_str(&format!("auth={SECRET} "));
        }
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn output_over_a_socket_equals_the_sync_writer() {
    let r = redactor();
    let text = log_text();
    let want = r.redact(&text).into_owned();
    assert_ne!(want, text);
    for chunk in [1usize, 7, 64, 4096, 70_000] {
        let (client, mut server) = pair().await;
        let reader = tokio::spawn(async move {
            let mut got = String::new();
            server.read_to_string(&mut got).await.unwrap();
            got
        });
        let mut w = r.async_writer(client);
        for piece in text.as_bytes().chunks(chunk) {
            w.write_all(piece).await.unwrap();
        }
        w.shutdown().await.unwrap();
        assert_eq!(reader.await.unwrap(), want, "chunk {chunk}");
    }
}

#[tokio::test]
async fn a_live_flush_delivers_finished_lines_while_the_stream_is_open() {
    let r = redactor();
    let (client, mut server) = pair().await;
    let mut w = r.async_writer(client);
    let (head, tail) = SECRET.split_at(10);
    w.write_all(format!("connecting with {head}").as_bytes())
        .await
        .unwrap();
    w.write_all(format!("{tail} ok\nstep 2 is thinking").as_bytes())
        .await
        .unwrap();
    w.flush().await.unwrap();
    let want = "connecting with *** ok\n";
    let mut line = vec![0; want.len()];
    tokio::time::timeout(Duration::from_secs(10), server.read_exact(&mut line))
        .await
        .expect("the finished line arrives without shutdown")
        .unwrap();
    assert_eq!(String::from_utf8(line).unwrap(), want);
    // The unfinished line is shorter than the hold-back: nothing of it has come.
    let mut more = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(200), server.read(&mut more))
            .await
            .is_err()
    );
    w.shutdown().await.unwrap();
    let mut rest = String::new();
    server.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "step 2 is thinking");
}

#[tokio::test]
async fn a_slow_reader_holds_the_writer_back() {
    let r = redactor();
    // A 64-byte pipe: the writer can only go as fast as the reader takes.
    let (client, mut server) = tokio::io::duplex(64);
    let text = log_text();
    let want = r.redact(&text).into_owned();
    let writer = tokio::spawn(async move {
        let mut w = r.async_writer(client);
        for piece in text.as_bytes().chunks(1000) {
            w.write_all(piece).await.unwrap();
            w.flush().await.unwrap();
        }
        w.shutdown().await.unwrap();
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 100];
    loop {
        tokio::time::sleep(Duration::from_micros(50)).await;
        let n = server.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    writer.await.unwrap();
    // Live flushes change nothing here: the value spans no line.
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

#[tokio::test]
async fn writing_after_shutdown_is_an_error() {
    let (client, _server) = tokio::io::duplex(64);
    let mut w = redactor().async_writer(client);
    w.shutdown().await.unwrap();
    assert!(w.write_all(b"late").await.is_err());
}

#[test]
fn debug_shows_no_held_text() {
    let (client, _server) = tokio::io::duplex(64);
    let mut w = redactor().async_writer(client);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(w.write_all(&SECRET.as_bytes()[..20])).unwrap();
    let debug = format!("{w:?}");
    assert!(!debug.contains(&SECRET[..8]), "{debug}");
    assert!(debug.contains("AsyncRedactingWriter"), "{debug}");
}
