#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The reference host over a real loopback listener, as a client sees it: the
//! settings API, a run whose log streams live while a secret is rotated mid-run, a
//! share-link run, the audit endpoint, and at the end, that no response carried any
//! stored, rotated, imported or lent value in any encoding the crate masks.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use workflow_secrets::redact::{MaskingMakeWriter, PlatformRedactor};
use workflow_secrets::{LocalKeyring, Vault};

const OPENAI_V1: &str = "sk-proj-AAAAbbbbCCCCdddd0001";
const OPENAI_V2: &str = "sk-proj-EEEEffffGGGGhhhh0002";
const SLACK: &str = "https://hooks.slack.example/T0/B0/XXXXyyyyZZZZ";
const GITHUB: &str = "ghp_bobs0own0token0000000000000000";
const IMPORTED: &str = "postgres://app:hunter2-imported@db/app";
const RUNNER_OWN: &str = "sk-runner-0wn-key-1234567890";

/// Every value the host holds for its users: none may appear in any response.
const HELD: &[&str] = &[OPENAI_V1, OPENAI_V2, SLACK, GITHUB, IMPORTED];

/// The service's own log, as `main.rs` sets it up (through the platform redactor),
/// captured: one subscriber and one platform for the test binary.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logging() -> &'static (PlatformRedactor, Captured) {
    static LOGGING: OnceLock<(PlatformRedactor, Captured)> = OnceLock::new();
    LOGGING.get_or_init(|| {
        let platform = PlatformRedactor::builder().build();
        let captured = Captured::default();
        let sink = captured.clone();
        tracing_subscriber::fmt()
            .with_writer(MaskingMakeWriter::new(&platform, move || sink.clone()))
            .init();
        (platform, captured)
    })
}

fn host_log() -> String {
    String::from_utf8(logging().1.0.lock().unwrap().clone()).unwrap()
}

async fn start() -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let host = reference_host::Host::open(
        Vault::new(LocalKeyring::generate()),
        &dir.path().join("secrets.db"),
        &logging().0,
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, reference_host::router(host))
            .await
            .unwrap()
    });
    (addr, dir)
}

/// A plain HTTP/1.1 client over a socket.
struct Client {
    addr: SocketAddr,
    /// Every response body, for the final check.
    seen: Vec<String>,
}

struct Reply {
    status: u16,
    body: String,
}

impl Client {
    async fn send(&self, method: &str, path: &str, user: Option<&str>, body: &str) -> TcpStream {
        let mut s = TcpStream::connect(self.addr).await.unwrap();
        let user = user.map(|u| format!("x-user: {u}\r\n")).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{user}content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body.as_bytes()).await.unwrap();
        s
    }

    async fn call(&mut self, method: &str, path: &str, user: Option<&str>, body: &str) -> Reply {
        let mut s = self.send(method, path, user, body).await;
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
            .await
            .unwrap()
            .unwrap();
        let reply = parse(&raw);
        self.seen.push(reply.body.clone());
        reply
    }
}

fn parse(raw: &[u8]) -> Reply {
    let raw = String::from_utf8(raw.to_vec()).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply { status, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    out
}

/// Reads a streaming response until `marker` has arrived; returns what came so far.
async fn read_until(s: &mut TcpStream, seen: &mut Vec<u8>, marker: &str) {
    let mut buf = [0u8; 4096];
    let wait = async {
        while !String::from_utf8_lossy(seen).contains(marker) {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "the stream ended before {marker:?}");
            seen.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("{marker:?} did not arrive while the run was open"));
}

/// The run's id, from its log's first line ("run N started").
fn run_id(log: &[u8]) -> String {
    let text = String::from_utf8_lossy(log);
    let at = text.find("run ").unwrap() + 4;
    text[at..].split(' ').next().unwrap().to_string()
}

/// The forms of `value` the crate masks, as a client might find them.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        out.push(engine.encode(value));
    }
    let hex: String = value.bytes().map(|b| format!("{b:02x}")).collect();
    out.push(hex.to_ascii_uppercase());
    out.push(hex);
    let pct: String = value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    out.push(pct);
    out.push(
        serde_json::to_string(value)
            .unwrap()
            .trim_matches('"')
            .to_string(),
    );
    out
}

fn assert_no_value(text: &str, values: &[&str], what: &str) {
    for value in values {
        for form in forms(value) {
            assert!(
                !text.contains(&form),
                "{what} holds a form of a value: {text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sees_no_value_anywhere() {
    let (addr, _dir) = start().await;
    let mut c = Client {
        addr,
        seen: Vec::new(),
    };

    // The settings API: put (create, then rotate), list, import with a preview.
    for (scope, key, value, user) in [
        ("workspace", "OPENAI_API_KEY", OPENAI_V1, "ada"),
        ("workspace", "SLACK_WEBHOOK", SLACK, "ada"),
        ("personal", "GITHUB_TOKEN", GITHUB, "bob"),
    ] {
        let r = c
            .call("PUT", &format!("/secrets/{scope}/{key}"), Some(user), value)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains(&format!("\"key\":\"{key}\"")), "{}", r.body);
    }
    let env = format!("DATABASE_URL='{IMPORTED}'\nSENTRY_DSN=https://k@sentry.example/1\n");
    let preview = c
        .call(
            "POST",
            "/secrets/workspace/import?preview=true",
            Some("ada"),
            &env,
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("DATABASE_URL"), "{}", preview.body);
    let listed = c.call("GET", "/secrets/workspace", Some("ada"), "").await;
    assert!(
        !listed.body.contains("DATABASE_URL"),
        "a preview wrote: {}",
        listed.body
    );
    let imported = c
        .call("POST", "/secrets/workspace/import", Some("ada"), &env)
        .await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    let listed = c.call("GET", "/secrets/workspace", Some("ada"), "").await;
    assert!(listed.body.contains("DATABASE_URL"), "{}", listed.body);

    // The `{{` dropdown, grouped by scope: Bob sees his own personal names.
    let menu = c
        .call("GET", "/workflows/digest/dropdown", Some("bob"), "")
        .await;
    assert_eq!(menu.status, 200, "{}", menu.body);
    assert!(menu.body.contains("GITHUB_TOKEN") && menu.body.contains("SLACK_WEBHOOK"));

    // A run: its log streams live; the key is rotated while the run waits, and the
    // next step uses the new version.
    let mut stream = c
        .send("POST", "/workflows/digest/runs", Some("bob"), "")
        .await;
    let mut log = Vec::new();
    read_until(&mut stream, &mut log, "waiting for resume").await;
    let rotated = c
        .call(
            "PUT",
            "/secrets/workspace/OPENAI_API_KEY",
            Some("ada"),
            OPENAI_V2,
        )
        .await;
    assert!(rotated.body.contains("\"version\":2"), "{}", rotated.body);
    let id = run_id(&log);
    assert_eq!(
        c.call("POST", &format!("/runs/{id}/resume"), None, "")
            .await
            .status,
        204
    );
    read_until(&mut stream, &mut log, &format!("run {id} finished")).await;
    let run_log = dechunk(
        String::from_utf8_lossy(&log)
            .split_once("\r\n\r\n")
            .unwrap()
            .1,
    );
    assert!(
        run_log.contains("fetch: calling the model with [REDACTED:OPENAI_API_KEY]"),
        "{run_log}"
    );
    assert!(
        run_log.contains("notify: POST [REDACTED:SLACK_WEBHOOK] text=3 new orders"),
        "{run_log}"
    );
    c.seen.push(run_log);

    // The audit trail: the second step resolved version 2.
    let audit = c.call("GET", "/audit", Some("ada"), "").await;
    assert_eq!(audit.status, 200);
    let events: serde_json::Value = serde_json::from_str(&audit.body).unwrap();
    let versions: Vec<u64> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["keys"][0] == "OPENAI_API_KEY" && e["kind"] == "resolved")
        .filter_map(|e| e["version"].as_u64())
        .collect();
    assert_eq!(versions, [1, 2], "{}", audit.body);
    assert_eq!(c.call("GET", "/audit", Some("bob"), "").await.status, 403);

    // Errors: a stable code and a message safe to show.
    let bad = c
        .call("PUT", "/secrets/workspace/not%20a%20key", Some("ada"), "v")
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("\"code\":\"invalid_key\""),
        "{}",
        bad.body
    );
    assert_eq!(
        c.call("GET", "/secrets/workspace", None, "").await.status,
        401
    );
    let denied = c
        .call("PUT", "/secrets/workspace/X_KEY", Some("cy"), "value-1234")
        .await;
    assert_eq!(denied.status, 403, "{}", denied.body);

    for (i, body) in c.seen.iter().enumerate() {
        assert_no_value(body, HELD, &format!("response {i}"));
    }
    // The service's own log got every raw step line, masked by the platform redactor.
    let log = host_log();
    assert!(
        log.contains("step output: fetch: calling the model with [REDACTED]"),
        "{log}"
    );
    assert_no_value(&log, HELD, "the host's log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_run_uses_lent_credentials_without_seeing_them() {
    let (addr, _dir) = start().await;
    let mut c = Client {
        addr,
        seen: Vec::new(),
    };
    for (key, value) in [("OPENAI_API_KEY", OPENAI_V1), ("SLACK_WEBHOOK", SLACK)] {
        let r = c
            .call(
                "PUT",
                &format!("/secrets/workspace/{key}"),
                Some("ada"),
                value,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let body = format!("{{\"OPENAI_API_KEY\": \"{RUNNER_OWN}\"}}");
    let mut stream = c.send("POST", "/share/digest/runs", None, &body).await;
    let mut log = Vec::new();
    read_until(&mut stream, &mut log, "waiting for resume").await;
    let id = run_id(&log);
    assert_eq!(
        c.call("POST", &format!("/runs/{id}/resume"), None, "")
            .await
            .status,
        204
    );
    read_until(&mut stream, &mut log, &format!("run {id} ")).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut rest)).await;
    log.extend_from_slice(&rest);
    let run_log = dechunk(
        String::from_utf8_lossy(&log)
            .split_once("\r\n\r\n")
            .unwrap()
            .1,
    );
    // The runner's own key is theirs to see; the owner's lent values never are. The
    // owner marked the notify template, so it renders with the lent webhook.
    assert!(run_log.contains("notify: POST [REDACTED"), "{run_log}");
    assert!(run_log.contains("] text=3 new orders"), "{run_log}");
    assert!(run_log.contains(&format!("run {id} finished")), "{run_log}");
    assert!(
        run_log.contains("fetch: calling the model with"),
        "{run_log}"
    );
    assert_no_value(&run_log, &[OPENAI_V1, SLACK], "the shared run's log");
    c.seen.push(run_log);
    for body in &c.seen {
        assert_no_value(body, &[OPENAI_V1, SLACK], "a response");
    }
    assert_no_value(&host_log(), &[OPENAI_V1, SLACK], "the host's log");
}
