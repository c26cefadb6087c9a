#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The writer's live flush: `flush` emits everything through the last line break and,
//! of the unfinished last line, all but the hold-back (the longest pattern less one
//! byte; three times the longest pattern less one with percent-decoding on). Where it
//! cuts depends on the written text alone; every pattern without a line break comes
//! out as one-shot redaction has it; a multi-line value that a flush cuts is masked
//! line by line.

use std::io::Write;

use proptest::prelude::*;
use workflow_secrets::{Redactor, SecretValue, redact::Encodings};

fn redactor(secrets: &[&str], encodings: Encodings) -> Redactor {
    let values: Vec<SecretValue> = secrets
        .iter()
        .map(|s| SecretValue::new(*s).unwrap())
        .collect();
    Redactor::builder()
        .secrets(&values)
        .encodings(encodings)
        .mask("***")
        .build()
}

/// What `writes`, each followed by a flush, emitted after each flush (cumulative),
/// and the whole output after `finish`.
fn flushed(r: &Redactor, writes: &[&str]) -> (Vec<String>, String) {
    let mut w = r.writer(Vec::new());
    let mut after = Vec::new();
    for piece in writes {
        w.write_all(piece.as_bytes()).unwrap();
        w.flush().unwrap();
        after.push(String::from_utf8(w.get_ref().unwrap().clone()).unwrap());
    }
    (after, String::from_utf8(w.finish().unwrap()).unwrap())
}

const SECRET_63: &str = "sk-proj-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";

/// One named case: the writes (a flush after each), what must have come out after
/// each flush, and the whole output.
struct Case {
    name: &'static str,
    secrets: &'static [&'static str],
    encodings: fn() -> Encodings,
    writes: &'static [&'static str],
    after_each_flush: &'static [&'static str],
    total: &'static str,
}

const CASES: &[Case] = &[
    Case {
        // The report: one 63-byte secret held back a finished 59-byte line.
        name: "a finished line comes out whole",
        secrets: &[SECRET_63],
        encodings: Encodings::none,
        writes: &["step 3: fetched 20 rows from the orders table in 41 ms ok\n"],
        after_each_flush: &["step 3: fetched 20 rows from the orders table in 41 ms ok\n"],
        total: "step 3: fetched 20 rows from the orders table in 41 ms ok\n",
    },
    Case {
        name: "a secret in a finished line is masked on flush",
        secrets: &[SECRET_63],
        encodings: Encodings::none,
        writes: &["token sk-proj-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU ok\n"],
        after_each_flush: &["token *** ok\n"],
        total: "token *** ok\n",
    },
    Case {
        name: "the unfinished last line is held, the lines before it are not",
        secrets: &["0123456789"],
        encodings: Encodings::none,
        writes: &["one\ntwo\nthr"],
        after_each_flush: &["one\ntwo\n"],
        total: "one\ntwo\nthr",
    },
    Case {
        name: "of a long unfinished line all but the hold-back comes out",
        secrets: &["0123456789"],
        encodings: Encodings::none,
        writes: &["a\nabcdefghijklmnopqrstuvwxyz"],
        // Hold-back: 10 - 1 = 9 bytes.
        after_each_flush: &["a\nabcdefghijklmnopq"],
        total: "a\nabcdefghijklmnopqrstuvwxyz",
    },
    Case {
        name: "a secret split across flushed writes is masked",
        secrets: &[SECRET_63],
        encodings: Encodings::none,
        writes: &[
            "key=sk-proj-0123456789abcdefghijklmnop",
            "qrstuvwxyzABCDEFGHIJKLMNOPQRSTU done\n",
        ],
        after_each_flush: &["", "key=*** done\n"],
        total: "key=*** done\n",
    },
    Case {
        name: "a multi-line value cut by a flush is masked line by line",
        secrets: &["-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----"],
        encodings: Encodings::none,
        writes: &[
            "pem: -----BEGIN KEY-----\n",
            "MIIEvQIBADANBgkqhkiG9w0B\n",
            "-----END KEY----- end\n",
        ],
        after_each_flush: &["pem: ***\n", "pem: ***\n***\n", "pem: ***\n***\n*** end\n"],
        total: "pem: ***\n***\n*** end\n",
    },
    Case {
        name: "a multi-line value written whole before a flush gets one mask",
        secrets: &["-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----"],
        encodings: Encodings::none,
        writes: &["pem: -----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY----- end\n"],
        after_each_flush: &["pem: *** end\n"],
        total: "pem: *** end\n",
    },
    Case {
        name: "a percent-encoded secret in a finished line is masked on flush",
        secrets: &["pa55 word/123"],
        encodings: Encodings::all,
        writes: &["GET /login?p=pa55+word%2F123 200\n"],
        after_each_flush: &["GET /login?p=*** 200\n"],
        total: "GET /login?p=*** 200\n",
    },
    Case {
        name: "a line of only a line break",
        secrets: &["0123456789"],
        encodings: Encodings::none,
        writes: &["\n", "", "\n"],
        after_each_flush: &["\n", "\n", "\n\n"],
        total: "\n\n",
    },
];

#[test]
fn live_flush_cases() {
    let mut failures = Vec::new();
    for case in CASES {
        let r = redactor(case.secrets, (case.encodings)());
        let (after, total) = flushed(&r, case.writes);
        if after != case.after_each_flush || total != case.total {
            failures.push(format!(
                "{}: after each flush {after:?}, total {total:?}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The stall the issue reported, through the writer a step hands out: with every
/// encoding on (the default), a finished line is not held back either.
#[test]
fn a_step_log_line_is_not_held_back_with_default_encodings() {
    let r = Redactor::new([&SecretValue::new(SECRET_63).unwrap()]);
    let mut w = r.writer(Vec::new());
    w.write_all(b"step 3: fetched 20 rows from the orders table in 41 ms ok\n")
        .unwrap();
    w.flush().unwrap();
    assert_eq!(
        w.get_ref().unwrap().as_slice(),
        b"step 3: fetched 20 rows from the orders table in 41 ms ok\n"
    );
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof!["[ab]{4,12}", "[abc]{8,24}", "[a-c\n]{9,40}"]
}

/// Text from secrets' pieces, filler and line breaks.
fn text(secrets: &[String], pieces: &[(usize, u8, usize, String)]) -> String {
    let mut text = String::new();
    for (which, kind, len, filler) in pieces {
        let s = &secrets[which % secrets.len()];
        let cut = len % (s.len() + 1);
        match kind {
            0 => text.push_str(s),
            1 => text.push_str(&s[..cut]),
            2 => text.push_str(&s[cut..]),
            _ => {}
        }
        text.push_str(filler);
    }
    text
}

/// The ranges of `text` written one by one, in sizes taken from `sizes` in turn.
fn pieces_of<'a>(
    text: &'a str,
    sizes: &'a [usize],
) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    let mut at = 0;
    sizes.iter().cycle().map_while(move |size| {
        let start = at;
        at = (at + size).min(text.len());
        (start < text.len()).then_some(start..at)
    })
}

fn pieces() -> impl Strategy<Value = Vec<(usize, u8, usize, String)>> {
    prop::collection::vec((0usize..64, 0u8..4, 0usize..64, "[abc \n]{0,10}"), 0..16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128)
    ))]

    /// Where a flush cuts depends on the text alone: for text in which nothing is
    /// masked (secrets' prefixes and suffixes included, the text that "resembles" a
    /// secret), the output after writes and a flush is exactly the text through its
    /// last line break, or all but the hold-back if that is more.
    #[test]
    fn flush_cut_depends_on_the_text_alone(
        secrets in prop::collection::vec("[ab]{4,16}", 1..6),
        pieces in pieces(),
        sizes in prop::collection::vec(1usize..=20, 1..4),
    ) {
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let r = redactor(&refs, Encodings::none());
        let text = text(&secrets, &pieces);
        prop_assume!(r.redact(&text) == text);
        let hold = secrets.iter().map(String::len).max().unwrap() - 1;
        let mut w = r.writer(Vec::new());
        for at in pieces_of(&text, &sizes) {
            w.write_all(&text.as_bytes()[at.clone()]).unwrap();
            w.flush().unwrap();
            let lines = text[..at.end].rfind('\n').map_or(0, |i| i + 1);
            let want = lines.max(at.end.saturating_sub(hold));
            prop_assert_eq!(w.get_ref().unwrap().as_slice(), &text.as_bytes()[..want]);
        }
    }

    /// With flushes anywhere, every registered pattern without a line break is
    /// masked (no such pattern appears in the output; the mask `#` shares no byte
    /// with them), which takes in each line of at least 8 bytes of a multi-line
    /// value; where no pattern spans lines, the output is one-shot redaction's.
    #[test]
    fn flushes_keep_every_line_pattern_masked(
        secrets in prop::collection::vec(secret(), 1..8),
        pieces in pieces(),
        sizes in prop::collection::vec(1usize..=30, 1..4),
        flush_every in 1usize..=4,
        encodings in any::<bool>(),
    ) {
        let values: Vec<SecretValue> =
            secrets.iter().map(|s| SecretValue::new(s.clone()).unwrap()).collect();
        let encodings = if encodings { Encodings::all() } else { Encodings::none() };
        let r = Redactor::builder().secrets(&values).encodings(encodings).mask("#").build();
        let text = text(&secrets, &pieces);
        let mut w = r.writer(Vec::new());
        for (i, at) in pieces_of(&text, &sizes).enumerate() {
            w.write_all(&text.as_bytes()[at]).unwrap();
            if (i + 1) % flush_every == 0 {
                w.flush().unwrap();
            }
        }
        let out = w.finish().unwrap();
        let patterns = r.__registered_patterns();
        for p in patterns.iter().filter(|p| !p.contains(&b'\n')) {
            prop_assert!(
                !out.windows(p.len()).any(|w| w == p.as_slice()),
                "output {:?} holds {:?}", String::from_utf8_lossy(&out), String::from_utf8_lossy(p)
            );
        }
        if !patterns.iter().any(|p| p.contains(&b'\n')) {
            let want = r.redact(&text).into_owned();
            prop_assert_eq!(&out[..], want.as_bytes());
        }
    }
}

/// An inner writer that fails as told: `Interrupted` the first `interrupts` calls
/// (then it takes everything), or an error on every call.
struct Flaky {
    interrupts: usize,
    broken: bool,
    out: Vec<u8>,
}

impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.broken {
            return Err(std::io::Error::other("disk full"));
        }
        if self.interrupts > 0 {
            self.interrupts -= 1;
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the inner writer reports reaches the caller: an interrupted write is retried
/// (nothing lost or doubled), any other error is returned, not retried for ever.
#[test]
fn inner_writer_errors_reach_the_caller() {
    let r = redactor(&[SECRET_63], Encodings::none());
    let line = format!("token {SECRET_63} ok\n");
    let mut w = r.writer(Flaky {
        interrupts: 3,
        broken: false,
        out: Vec::new(),
    });
    w.write_all(line.as_bytes()).unwrap();
    w.flush().unwrap();
    assert_eq!(w.get_ref().unwrap().out, b"token *** ok\n");
    let mut w = r.writer(Flaky {
        interrupts: 0,
        broken: true,
        out: Vec::new(),
    });
    w.write_all(line.as_bytes()).unwrap(); // held: nothing decided yet
    let err = w.flush().unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert!(w.finish().is_err());
}
