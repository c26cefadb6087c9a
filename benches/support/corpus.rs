//! The deterministic corpus the redaction benchmarks share: secrets and 4 MiB of log
//! text, made the same way in `benches/redact.rs` and in `bench-hyperscan`, so their
//! figures describe the same input.
#![allow(dead_code)] // each includer uses part of it
#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report

use workflow_secrets::SecretValue;

/// The size of the log text.
pub(crate) const TEXT_LEN: usize = 4 << 20;

/// A tiny deterministic PRNG (xorshift64*), so runs compare.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub(crate) fn secrets(n: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = Rng(0x005E_C2E7 ^ n as u64);
    (0..n)
        .map(|_| {
            let len = 16 + rng.below(49);
            (0..len)
                .map(|_| char::from(ALPHABET[rng.below(ALPHABET.len())]))
                .collect()
        })
        .collect()
}

/// 4 MiB of log lines; with `secrets`, about one of them per 4 KiB.
pub(crate) fn log_text(secrets: Option<&[String]>) -> String {
    log_text_with(secrets, None)
}

/// Where a log line carries a token that is not registered: a user's session JWT in
/// a request header, or another service's key in a field. None of these contain
/// `" auth="`, the label registered secrets follow, so a text's hits are countable.
const NOISE_LABELS: [&str; 5] = [
    " Authorization: Bearer ",
    " api_key=",
    " x-api-key: ",
    " credential=",
    " password=",
];

/// 4 MiB of log lines; with `secrets`, about one of them per 4 KiB (each after
/// `" auth="`); with `noise`, one of those unregistered tokens every 512 bytes to 1
/// KiB (JWTs after `Authorization: Bearer `, others after a key-like field). Without
/// noise the text is `log_text`'s, byte for byte: noise draws from its own generator,
/// so the lines around it are the same.
pub(crate) fn log_text_with(secrets: Option<&[String]>, noise: Option<&[String]>) -> String {
    let mut rng = Rng(0x010C_7E47);
    let mut noise_rng = Rng(0x0015_E0F7);
    let mut next_noise = 512;
    let levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
    let modules = [
        "http::server",
        "worker::step",
        "db::pool",
        "auth",
        "scheduler",
        "webhook",
    ];
    let words = [
        "request",
        "completed",
        "user",
        "workflow",
        "started",
        "retrying",
        "connection",
        "timeout",
        "status=200",
        "status=404",
        "GET",
        "POST",
        "/api/v1/runs",
        "latency_ms=12",
        "queue",
        "ok",
        "payload",
        "bytes=5120",
        "cache",
        "miss",
        "hit",
        "token",
        "refresh",
        "node",
        "execution",
    ];
    let mut text = String::with_capacity(TEXT_LEN + 256);
    let mut next_secret = 4096;
    let mut second = 0u64;
    while text.len() < TEXT_LEN {
        second += 1 + rng.below(3) as u64;
        text.push_str(&format!(
            "2026-03-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {} run={:08x}",
            1 + second / 86_400 % 28,
            second / 3600 % 24,
            second / 60 % 60,
            second % 60,
            rng.below(1000),
            rng.pick(&levels),
            rng.pick(&modules),
            rng.next() as u32,
        ));
        for _ in 0..4 + rng.below(10) {
            text.push(' ');
            text.push_str(rng.pick(&words));
        }
        if let Some(secrets) = secrets.filter(|_| text.len() >= next_secret) {
            text.push_str(" auth=");
            text.push_str(&secrets[rng.below(secrets.len())]);
            next_secret += 4096;
        }
        if let Some(noise) = noise.filter(|_| text.len() >= next_noise) {
            let token = &noise[noise_rng.below(noise.len())];
            text.push_str(if token.starts_with("eyJ") {
                NOISE_LABELS[0]
            } else {
                NOISE_LABELS[1 + noise_rng.below(NOISE_LABELS.len() - 1)]
            });
            text.push_str(token);
            next_noise += 512 + noise_rng.below(513);
        }
        text.push('\n');
    }
    text
}

/// The secrets as values.
pub(crate) fn values(secrets: &[String]) -> Vec<SecretValue> {
    secrets
        .iter()
        .map(|s| SecretValue::new(s.clone()).unwrap())
        .collect()
}
