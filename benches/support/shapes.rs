//! Credentials shaped like real ones (issue 17), seeded and deterministic, shared by
//! `benches/redact.rs` and `bench-hyperscan` (both include this file by path, beside
//! `corpus.rs`, whose `Rng` it uses).
//!
//! Random base64url tokens (`corpus::secrets`) are the easy case for a prefix-built
//! filter: every pattern starts differently. Real workspaces hold vendor keys whose
//! first 4–13 bytes are the same for every key of a vendor, JWTs whose first 37 bytes
//! (and often the next 37) are the same for every token of an issuer, hex keys and
//! short passwords; and their logs are full of tokens of the same shapes that are
//! *not* registered. This module makes both.
//!
//! Proportions, per 100 secrets (exact for every run of 100 consecutive secrets: the
//! i-th secret takes slot `i * 37 % 100` of the table below, so N = 100 already holds
//! every shape in proportion):
//!
//! | shape | share | format |
//! |---|---|---|
//! | JWT | 20 | header `.` payload `.` signature, base64url: 85% the HS256 header `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9` (36 bytes, 43-char signature), 15% the RS256 one (342-char signature); payloads are real JSON, half of them starting `{"sub":"1234567890","name":"` (the first 37 payload characters shared), a fifth starting `{"iss":"https://accounts.example.com","sub":"` (the first 60 shared), the rest `{"sub":"user_` (17 shared) |
//! | hex key | 15 | 32–64 lowercase hex digits; three in four of length 32, 40 or 64 |
//! | password | 15 | 12–24 printable ASCII characters (`!`..=`~`) |
//! | OpenAI | 8 | `sk-proj-` + 48–156 base64url |
//! | GitHub classic | 6 | `ghp_` + 36 alphanumerics |
//! | Anthropic | 5 | `sk-ant-api03-` + 93 base64url + `AA` |
//! | Stripe | 5 | `sk_live_` + 24–99 alphanumerics |
//! | AWS access key id | 5 | `AKIA` + 16 upper-case letters and digits |
//! | AWS secret key | 5 | 40 characters of `A-Za-z0-9+/` |
//! | GitHub fine-grained | 4 | `github_pat_` + 22 alphanumerics + `_` + 59 alphanumerics (82) |
//! | Slack bot | 4 | `xoxb-` + 10–13 digits + `-` + 10–13 digits + `-` + 24 alphanumerics |
//! | Google API | 4 | `AIza` + 35 base64url |
//! | SendGrid | 4 | `SG.` + 22 base64url + `.` + 43 base64url |
//!
//! [`real_secrets`] and [`unregistered`] draw from different seeds, so the noise a log
//! carries shares the shapes (and the prefixes) of the registered set without holding
//! any of its values. Both are prefix-stable: `real_secrets(100)` is the first hundred
//! of `real_secrets(1000)`.
#![allow(dead_code)] // each includer uses part of it
#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report

use std::collections::HashSet;

use super::corpus::Rng;

/// The seed of the registered secrets.
const REAL_SEED: u64 = 0x5EA1_5EC2_E7A5_0001;
/// The seed of the unregistered tokens the noise texts carry.
const NOISE_SEED: u64 = 0x0015_E0F7_0CE2_5002;

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE64STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGIT: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &[u8] = b"0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// `{"alg":"HS256","typ":"JWT"}`, base64url: the header most JWTs share.
pub(crate) const JWT_HS256: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
/// `{"alg":"RS256","typ":"JWT"}`, base64url.
pub(crate) const JWT_RS256: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";

/// The shapes, in the order of the proportions table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    Jwt,
    Hex,
    Password,
    OpenAi,
    GitHubClassic,
    Anthropic,
    Stripe,
    AwsKeyId,
    AwsSecret,
    GitHubFineGrained,
    Slack,
    Google,
    SendGrid,
}

/// Each shape and its share of 100 (the module doc's table).
pub(crate) const PROPORTIONS: [(Shape, usize); 13] = [
    (Shape::Jwt, 20),
    (Shape::Hex, 15),
    (Shape::Password, 15),
    (Shape::OpenAi, 8),
    (Shape::GitHubClassic, 6),
    (Shape::Anthropic, 5),
    (Shape::Stripe, 5),
    (Shape::AwsKeyId, 5),
    (Shape::AwsSecret, 5),
    (Shape::GitHubFineGrained, 4),
    (Shape::Slack, 4),
    (Shape::Google, 4),
    (Shape::SendGrid, 4),
];

/// The shape of the `i`-th secret: slot `i * 37 % 100` of the table (37 is prime to
/// 100, so each 100 consecutive secrets visit every slot once, interleaved).
fn shape_at(i: usize) -> Shape {
    let mut slot = i * 37 % 100;
    for (shape, share) in PROPORTIONS {
        if slot < share {
            return shape;
        }
        slot -= share;
    }
    unreachable!("the shares sum to 100")
}

fn push_random(out: &mut String, rng: &mut Rng, alphabet: &[u8], len: usize) {
    out.extend((0..len).map(|_| char::from(alphabet[rng.below(alphabet.len())])));
}

fn random(rng: &mut Rng, alphabet: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    push_random(&mut out, rng, alphabet, len);
    out
}

/// Unpadded base64url, as JWTs encode their header and payload.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..=chunk.len() {
            out.push(char::from(BASE64URL[(n >> (18 - 6 * k) & 63) as usize]));
        }
    }
    out
}

fn jwt(rng: &mut Rng) -> String {
    const NAMES: [&str; 8] = [
        "John Doe",
        "Jane Roe",
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Linus Torvalds",
        "Margaret Hamilton",
        "Ken Thompson",
    ];
    let iat = 1_700_000_000 + rng.below(100_000_000);
    let payload = match rng.below(10) {
        // The shape of jwt.io's example: the first 28 JSON bytes (37 characters) shared.
        0..=4 => format!(
            r#"{{"sub":"1234567890","name":"{}","iat":{iat}}}"#,
            NAMES[rng.below(NAMES.len())]
        ),
        // One issuer's tokens: the first 45 JSON bytes (60 characters) shared.
        5 | 6 => format!(
            r#"{{"iss":"https://accounts.example.com","sub":"{}","aud":"workflow","exp":{}}}"#,
            random(rng, DIGITS, 12),
            iat + 3600
        ),
        _ => format!(
            r#"{{"sub":"user_{}","scope":"runs:read runs:write","iat":{iat},"exp":{}}}"#,
            random(rng, ALNUM, 16),
            iat + 900
        ),
    };
    let (header, signature_len) = if rng.below(100) < 85 {
        (JWT_HS256, 43)
    } else {
        (JWT_RS256, 342)
    };
    let mut out = format!("{header}.{}.", base64url(payload.as_bytes()));
    push_random(&mut out, rng, BASE64URL, signature_len);
    out
}

fn make(shape: Shape, rng: &mut Rng) -> String {
    let prefixed = |rng: &mut Rng, prefix: &str, alphabet: &[u8], len: usize| {
        let mut out = String::with_capacity(prefix.len() + len);
        out.push_str(prefix);
        push_random(&mut out, rng, alphabet, len);
        out
    };
    match shape {
        Shape::Jwt => jwt(rng),
        Shape::Hex => {
            let len = if rng.below(4) < 3 {
                [32, 40, 64][rng.below(3)]
            } else {
                32 + rng.below(33)
            };
            random(rng, HEX, len)
        }
        Shape::Password => {
            let len = 12 + rng.below(13);
            (0..len)
                .map(|_| char::from(b'!' + rng.below(94) as u8))
                .collect()
        }
        Shape::OpenAi => {
            let len = 48 + rng.below(109);
            prefixed(rng, "sk-proj-", BASE64URL, len)
        }
        Shape::GitHubClassic => prefixed(rng, "ghp_", ALNUM, 36),
        Shape::Anthropic => {
            let mut out = prefixed(rng, "sk-ant-api03-", BASE64URL, 93);
            out.push_str("AA");
            out
        }
        Shape::Stripe => {
            let len = 24 + rng.below(76);
            prefixed(rng, "sk_live_", ALNUM, len)
        }
        Shape::AwsKeyId => prefixed(rng, "AKIA", UPPER_DIGIT, 16),
        Shape::AwsSecret => random(rng, BASE64STD, 40),
        Shape::GitHubFineGrained => {
            let mut out = prefixed(rng, "github_pat_", ALNUM, 22);
            out.push('_');
            push_random(&mut out, rng, ALNUM, 59);
            out
        }
        Shape::Slack => {
            let (a, b) = (10 + rng.below(4), 10 + rng.below(4));
            let mut out = prefixed(rng, "xoxb-", DIGITS, a);
            out.push('-');
            push_random(&mut out, rng, DIGITS, b);
            out.push('-');
            push_random(&mut out, rng, ALNUM, 24);
            out
        }
        Shape::Google => prefixed(rng, "AIza", BASE64URL, 35),
        Shape::SendGrid => {
            let mut out = prefixed(rng, "SG.", BASE64URL, 22);
            out.push('.');
            push_random(&mut out, rng, BASE64URL, 43);
            out
        }
    }
}

/// `n` distinct tokens from `seed`, with their shapes.
fn generate(seed: u64, n: usize) -> Vec<(Shape, String)> {
    let mut rng = Rng(seed);
    let mut seen = HashSet::with_capacity(n);
    (0..n)
        .map(|i| {
            let shape = shape_at(i);
            loop {
                let token = make(shape, &mut rng);
                if seen.insert(token.clone()) {
                    return (shape, token);
                }
            }
        })
        .collect()
}

/// `n` distinct secrets of real shapes, in the proportions of the module doc.
pub(crate) fn real_secrets(n: usize) -> Vec<String> {
    generate(REAL_SEED, n).into_iter().map(|(_, s)| s).collect()
}

/// `n` distinct tokens of the same shapes and proportions from another seed: what a
/// log carries that is not registered (users' session JWTs, other services' keys).
pub(crate) fn unregistered(n: usize) -> Vec<String> {
    generate(NOISE_SEED, n)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

fn all_in(s: &str, alphabet: &[u8]) -> bool {
    s.bytes().all(|b| alphabet.contains(&b))
}

fn is(s: &str, alphabet: &[u8], len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && all_in(s, alphabet)
}

impl Shape {
    /// Whether `token` has this shape's format (prefix, lengths, alphabets).
    pub(crate) fn matches(self, token: &str) -> bool {
        let after = |prefix: &str| token.strip_prefix(prefix).unwrap_or("\0");
        match self {
            Shape::Jwt => {
                let parts: Vec<&str> = token.split('.').collect();
                parts.len() == 3
                    && (parts[0] == JWT_HS256 && parts[2].len() == 43
                        || parts[0] == JWT_RS256 && parts[2].len() == 342)
                    && is(parts[1], BASE64URL, 1..=usize::MAX)
                    && all_in(parts[2], BASE64URL)
            }
            Shape::Hex => is(token, HEX, 32..=64),
            Shape::Password => {
                token.len() >= 12
                    && token.len() <= 24
                    && token.bytes().all(|b| (b'!'..=b'~').contains(&b))
            }
            Shape::OpenAi => is(after("sk-proj-"), BASE64URL, 48..=156),
            Shape::GitHubClassic => is(after("ghp_"), ALNUM, 36..=36),
            Shape::Anthropic => {
                let rest = after("sk-ant-api03-");
                rest.len() == 95 && rest.ends_with("AA") && all_in(rest, BASE64URL)
            }
            Shape::Stripe => is(after("sk_live_"), ALNUM, 24..=99),
            Shape::AwsKeyId => is(after("AKIA"), UPPER_DIGIT, 16..=16),
            Shape::AwsSecret => is(token, BASE64STD, 40..=40),
            Shape::GitHubFineGrained => {
                let rest = after("github_pat_");
                rest.len() == 82
                    && rest.as_bytes()[22] == b'_'
                    && all_in(&rest[..22], ALNUM)
                    && all_in(&rest[23..], ALNUM)
            }
            Shape::Slack => {
                let parts: Vec<&str> = after("xoxb-").split('-').collect();
                parts.len() == 3
                    && is(parts[0], DIGITS, 10..=13)
                    && is(parts[1], DIGITS, 10..=13)
                    && is(parts[2], ALNUM, 24..=24)
            }
            Shape::Google => is(after("AIza"), BASE64URL, 35..=35),
            Shape::SendGrid => {
                let parts: Vec<&str> = after("SG.").split('.').collect();
                parts.len() == 2
                    && is(parts[0], BASE64URL, 22..=22)
                    && is(parts[1], BASE64URL, 43..=43)
            }
        }
    }
}

/// The generator's promises, checked where a bench sets up (benches run no `#[test]`):
/// the same seed gives the same tokens, prefix-stably; every token has its shape's
/// format; each 100 hold the table's proportions; tokens are distinct, and the noise
/// holds none of the registered values; JWT payloads share their documented starts.
pub(crate) fn assert_sane() {
    assert_eq!(
        base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        JWT_HS256,
        "base64url encoder"
    );
    assert_eq!(base64url(b"ab"), "YWI");
    let n = 2_000;
    let real = generate(REAL_SEED, n);
    assert_eq!(real, generate(REAL_SEED, n), "deterministic");
    assert_eq!(real[..100], generate(REAL_SEED, 100)[..], "prefix-stable");
    for (shape, token) in &real {
        assert!(shape.matches(token), "a {shape:?} token has its format");
    }
    for hundred in real.chunks(100) {
        for (shape, share) in PROPORTIONS {
            let count = hundred.iter().filter(|(s, _)| *s == shape).count();
            assert_eq!(count, share, "{shape:?} per 100");
        }
    }
    let distinct: HashSet<&str> = real.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(distinct.len(), n, "distinct");
    let noise = generate(NOISE_SEED, n);
    for (shape, token) in &noise {
        assert!(
            shape.matches(token),
            "a {shape:?} noise token has its format"
        );
        assert!(!distinct.contains(token.as_str()), "noise is unregistered");
    }
    let shared_37 = real
        .iter()
        .filter(|(_, t)| {
            t.starts_with(&format!("{JWT_HS256}.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"))
        })
        .count();
    assert!(
        shared_37 > n / 20,
        "JWTs share the header and the first payload bytes: {shared_37}"
    );
}
