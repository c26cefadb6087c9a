#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! A live flush whose cut falls back to 0 because of an escape (percent-decoding on,
//! the undecided text starting with `%XX`, a cut of 1 or 2 bytes) decides nothing:
//! the end of a run whose mask is already out stays carried, so the rest of that run
//! never comes out. Before the guard in `Stage::decide` (commit 9f63a9f) such a step
//! ran with a cut of 0 and dropped the carried run's end: the rest of a
//! percent-encoded secret (all of it but its first byte or so) came out as written.
//!
//! The regression is driven exactly (the first flush cuts inside the escaped value,
//! the second one lands on an escape at the buffer's start) at every offset of every
//! escaping, with formats and the other encodings on and off; a property then mixes
//! random writes and flushes over random texts holding values raw and escaped.

use std::io::Write;

use proptest::prelude::*;
use workflow_secrets::redact::{Encodings, TokenFormats};
use workflow_secrets::{Redactor, SecretValue};

const VALUE: &str = "pa55word-pa55word";
const PREFIX: &str = "GET /cb?token=";

/// Percent-only, every encoding, and each with every token format on: the hold-back
/// differs (50 bytes to over 8 KiB), the regression must not.
fn configs() -> Vec<(&'static str, Encodings, TokenFormats)> {
    let percent = Encodings {
        percent: true,
        ..Encodings::none()
    };
    vec![
        ("percent only", percent, TokenFormats::none()),
        ("every encoding", Encodings::all(), TokenFormats::none()),
        ("percent only, formats", percent, TokenFormats::all()),
        (
            "every encoding, formats",
            Encodings::all(),
            TokenFormats::all(),
        ),
    ]
}

fn redactor(values: &[&str], encodings: Encodings, formats: TokenFormats) -> Redactor {
    let values: Vec<SecretValue> = values
        .iter()
        .map(|v| SecretValue::new(*v).unwrap())
        .collect();
    Redactor::builder()
        .secrets(&values)
        .encodings(encodings)
        .mask_token_formats(formats)
        .mask("***")
        .build()
}

/// The writer's hold-back, observed: of an unfinished line, a flush emits all but
/// this many bytes.
fn hold_back(r: &Redactor) -> usize {
    let len = 20_000;
    let mut w = r.writer(Vec::new());
    w.write_all(".".repeat(len).as_bytes()).unwrap();
    w.flush().unwrap();
    let hold = len - w.get_ref().unwrap().len();
    drop(w);
    hold
}

/// Byte `i` of the value escaped as `%XX` (upper), `%xx` (lower) or kept, by `how`.
fn escape(value: &str, how: impl Fn(usize) -> u8) -> String {
    value
        .bytes()
        .enumerate()
        .map(|(i, b)| match how(i) {
            0 => format!("%{b:02X}"),
            1 => format!("%{b:02x}"),
            _ => char::from(b).to_string(),
        })
        .collect()
}

/// Every escaping the table drives: all upper, all lower, alternating, and the
/// first (or last) byte kept literal.
fn escapings(value: &str) -> Vec<(&'static str, String)> {
    let n = value.len();
    vec![
        ("every byte %XX", escape(value, |_| 0)),
        ("every byte %xx", escape(value, |_| 1)),
        (
            "upper and lower alternating",
            escape(value, |i| (i % 2) as u8),
        ),
        (
            "first byte literal",
            escape(value, |i| if i == 0 { 2 } else { 0 }),
        ),
        (
            "last byte literal",
            escape(value, |i| if i == n - 1 { 2 } else { 1 }),
        ),
        (
            "every other byte literal",
            escape(value, |i| (i % 2) as u8 * 2),
        ),
    ]
}

/// `text` percent-decoded (either hex case, `+` as a space), as the redactor's
/// decoded view reads it.
fn decoded(text: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%'
            && let (Some(h), Some(l)) = (
                text.get(i + 1).copied().and_then(hex),
                text.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(if text[i] == b'+' { b' ' } else { text[i] });
        i += 1;
    }
    out
}

/// A piece of `value` of `len` bytes (or the whole value, if shorter) that `out`
/// holds, raw or percent-encoded in any mix.
fn leaked(out: &[u8], value: &str, len: usize) -> Option<String> {
    let view = decoded(out);
    let len = len.min(value.len());
    value
        .as_bytes()
        .windows(len)
        .find(|piece| view.windows(len).any(|w| w == *piece))
        .map(|piece| String::from_utf8_lossy(piece).into_owned())
}

/// Writes `text[..first]`, flushes, writes `extra` more bytes, flushes again, then
/// writes the rest and finishes; returns what the first flush emitted and the
/// whole output.
fn flush_twice(r: &Redactor, text: &str, first: usize, extra: usize) -> (Vec<u8>, Vec<u8>) {
    let bytes = text.as_bytes();
    let second = (first + extra).min(bytes.len());
    let mut w = r.writer(Vec::new());
    w.write_all(&bytes[..first]).unwrap();
    w.flush().unwrap();
    let after_first = w.get_ref().unwrap().clone();
    w.write_all(&bytes[first..second]).unwrap();
    w.flush().unwrap();
    w.write_all(&bytes[second..]).unwrap();
    (after_first, w.finish().unwrap())
}

/// The case the guard was written for, exactly: a 17-byte value escaped byte by
/// byte (51 bytes) after a 14-byte prefix, percent-decoding on (hold-back 50).
/// The first flush cuts at 14 + 4, inside the value's second escape, and backs
/// off to 17: the mask is out, and the run's end (48 bytes on) is carried. The
/// buffer now starts with `%61`, the value's second escape, and holds 51 bytes: the
/// second flush's cut of 1 falls back to 0. Without the guard that step dropped
/// the carried end and the output read `GET /cb?token=***%61%35%35%77…%64 ok`:
/// `a55word-pa55word`, all of the value but its first byte, percent-encoded.
#[test]
fn a_flush_cut_falling_back_to_zero_keeps_the_carried_run() {
    let percent = Encodings {
        percent: true,
        ..Encodings::none()
    };
    let r = redactor(&[VALUE], percent, TokenFormats::none());
    assert_eq!(hold_back(&r), 50, "3 x 17 - 1");
    let escaped = escape(VALUE, |_| 0);
    let text = format!("{PREFIX}{escaped}.. ok\n");
    let first = PREFIX.len() + 4 + 50;
    // The first flush puts the mask out; the second has a cut of 1, then of 2.
    for extra in [0, 1] {
        let (after_first, out) = flush_twice(&r, &text, first, extra);
        assert_eq!(after_first, format!("{PREFIX}***").as_bytes());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{PREFIX}***.. ok\n"),
            "second flush after {extra} more bytes"
        );
    }
}

/// The same two flushes for every escaping of the value, the first cut at every
/// offset inside it (so the buffer starts at each escape in turn), the second
/// after 0, 1 or 2 more bytes, under each configuration: the output is one-shot
/// redaction's, and no 6-byte piece of the value comes out in any encoding.
#[test]
fn every_offset_and_escaping_keeps_the_carried_run() {
    let mut failures = Vec::new();
    for (config, encodings, formats) in configs() {
        let r = redactor(&[VALUE], encodings, formats);
        let hold = hold_back(&r);
        for (name, escaped) in escapings(VALUE) {
            let filler = ".".repeat(hold + 8);
            let text = format!("{PREFIX}{escaped}{filler} ok\n");
            let want = r.redact(&text).into_owned();
            assert_eq!(
                want,
                format!("{PREFIX}***{filler} ok\n"),
                "{config}, {name}"
            );
            for offset in 1..escaped.len() {
                for extra in 0..=2 {
                    let first = PREFIX.len() + offset + hold;
                    let (_, out) = flush_twice(&r, &text, first, extra);
                    let out = String::from_utf8(out).unwrap();
                    if out != want || leaked(out.as_bytes(), VALUE, 6).is_some() {
                        failures.push(format!(
                            "{config}, {name}, first cut at {offset} of the value, \
                             {extra} more bytes: {out:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(4)]
    );
}

/// How one occurrence of a value is written: 0 literal, 1 every byte `%XX`, 2
/// every byte `%xx`, 3 a mix chosen byte by byte by `choices`.
fn occurrence(value: &str, how: u8, choices: &[u8]) -> String {
    match how {
        0 => value.to_owned(),
        1 => escape(value, |_| 0),
        2 => escape(value, |_| 1),
        _ => escape(value, |i| choices[i % choices.len()] % 3),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48)
    ))]

    /// Random writes and live flushes, percent-decoding on, over text holding the
    /// values raw and escaped (either hex case, escapes anywhere), adjacent or
    /// apart: the output is one-shot redaction's (no value holds a line break), and
    /// no value appears in it, raw or decoded.
    #[test]
    fn writes_and_flushes_with_percent_never_unmask(
        values in prop::collection::vec("[a-z0-9-]{8,14}", 1..3),
        pieces in prop::collection::vec(
            (0usize..4, 0u8..4, prop::collection::vec(0u8..3, 1..6), "[a-z.% \n]{0,6}"),
            1..8,
        ),
        steps in prop::collection::vec((1usize..=6, any::<bool>()), 1..12),
        config in 0usize..4,
    ) {
        let (_, encodings, formats) = configs()[config];
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let r = redactor(&refs, encodings, formats);
        let mut text = String::new();
        for (which, how, choices, filler) in &pieces {
            text.push_str(&occurrence(&values[which % values.len()], *how, choices));
            text.push_str(filler);
        }
        let want = r.redact(&text).into_owned();
        let bytes = text.as_bytes();
        let mut w = r.writer(Vec::new());
        let mut at = 0;
        for (size, flush) in steps.iter().cycle() {
            if at == bytes.len() {
                break;
            }
            let end = (at + size).min(bytes.len());
            w.write_all(&bytes[at..end]).unwrap();
            at = end;
            if *flush {
                w.flush().unwrap();
            }
        }
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        for v in &values {
            prop_assert!(leaked(out.as_bytes(), v, v.len()).is_none(), "{:?} in {:?}", v, out);
        }
        prop_assert_eq!(out, want);
    }
}
