#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! A value is masked under any mix, byte by byte, of the literal byte, `%XX`, `%xx`
//! and `+` for a space (issue 16, item 3): the escapings that code steps really use
//! (Python's `quote`, JavaScript's `encodeURIComponent`, form encoding, lower-case
//! hex), and every other mix, by one-shot redaction and by the writer however the
//! text is chunked. Only one percent-encoding (upper-case, unreserved kept) used to
//! be masked.

use std::io::Write;

use proptest::prelude::*;
use workflow_secrets::{Redactor, SecretValue, redact::Encodings};

const MASK: &str = "***";

/// Python's `urllib.parse.quote`: unreserved and `/` kept, upper-case hex.
fn python_quote(v: &str) -> String {
    escape(
        v,
        |b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b),
        true,
    )
}

/// JavaScript's `encodeURIComponent`: unreserved and `!*'()` kept, upper-case hex.
fn encode_uri_component(v: &str) -> String {
    escape(
        v,
        |b| b.is_ascii_alphanumeric() || b"-._~!*'()".contains(&b),
        true,
    )
}

/// `application/x-www-form-urlencoded` as Python's `quote_plus` writes it (space as
/// `+`) with `~` escaped too, as older encoders do.
fn form(v: &str) -> String {
    let escaped = escape(
        v,
        |b| b.is_ascii_alphanumeric() || b"-._ ".contains(&b),
        true,
    );
    escaped.replace(' ', "+")
}

fn lower_hex(v: &str) -> String {
    escape(v, |b| b.is_ascii_alphanumeric(), false)
}

/// Every byte escaped, unreserved ones included.
fn all_escaped(v: &str) -> String {
    escape(v, |_| false, true)
}

fn escape(v: &str, keep: impl Fn(u8) -> bool, upper: bool) -> String {
    v.bytes()
        .map(|b| match (keep(b), upper) {
            (true, _) => char::from(b).to_string(),
            (false, true) => format!("%{b:02X}"),
            (false, false) => format!("%{b:02x}"),
        })
        .collect()
}

fn redactor(value: &str, encodings: Encodings) -> Redactor {
    Redactor::builder()
        .encodings(encodings)
        .secret(&SecretValue::new(value).unwrap())
        .build()
}

/// `text` through a writer in `chunk`-byte writes, with a flush after each.
fn through_writer(r: &Redactor, text: &str, chunk: usize) -> String {
    let mut w = r.writer(Vec::new());
    for piece in text.as_bytes().chunks(chunk.max(1)) {
        w.write_all(piece).unwrap();
        w.flush().unwrap();
    }
    String::from_utf8(w.finish().unwrap()).unwrap()
}

#[test]
fn every_escaping_code_steps_use_is_masked() {
    let value = "s3cr/t key!*'()~+val";
    type Encode = fn(&str) -> String;
    let cases: [(&str, Encode); 5] = [
        ("Python quote (keeps /)", python_quote),
        (
            "JavaScript encodeURIComponent (keeps !*'())",
            encode_uri_component,
        ),
        ("form encoding (+ for a space, %7E for ~)", form),
        ("lower-case hex digits", lower_hex),
        ("every byte escaped", all_escaped),
    ];
    let r = redactor(value, Encodings::all());
    for (name, encode) in cases {
        let encoded = encode(value);
        assert_ne!(encoded, value, "{name}: the case escapes something");
        let text = format!("GET /cb?token={encoded}&next=1 HTTP/1.1");
        let want = format!("GET /cb?token={MASK}&next=1 HTTP/1.1");
        assert_eq!(r.redact(&text), want, "{name}");
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(
                through_writer(&r, &text, chunk),
                want,
                "{name}: writer, {chunk}-byte writes"
            );
        }
    }
}

#[test]
fn mixes_within_one_value_are_masked() {
    let value = "pass word/with+plus";
    let r = redactor(value, Encodings::all());
    let cases = [
        ("half upper, half lower", "pass%20word%2fwith%2Bplus"),
        ("space as +, literal +", "pass+word/with+plus"),
        ("space escaped, + escaped lower", "pass%20word/with%2bplus"),
        ("letters escaped at random", "p%61ss+w%6Frd%2Fwith%2Bpl%75s"),
        ("literal space, escaped slash", "pass word%2Fwith+plus"),
    ];
    for (name, encoded) in cases {
        assert_eq!(
            r.redact(&format!("a={encoded};")),
            format!("a={MASK};"),
            "{name}"
        );
    }
}

#[test]
fn a_partial_escaped_value_at_a_texts_end_follows_the_plaintext_bound() {
    // 32-byte value: a partial occurrence at the end is masked from 16 plaintext
    // bytes on (max(8, half)), however those bytes are escaped.
    let value = "abcdefghijklmnopqrstuvwxyz012345";
    let r = redactor(value, Encodings::all());
    let escaped = |n: usize| all_escaped(&value[..n]);
    assert_eq!(
        r.redact(&format!("x {}", escaped(16))),
        format!("x {MASK}"),
        "16 bytes, each escaped"
    );
    let short = format!("x {}", escaped(15));
    assert_eq!(r.redact(&short), short, "15 bytes stay: below the bound");
}

/// A write long enough to be decided in place, after a short one that ends inside
/// an escape (`%` or `%4` held back): the writer's cut before the large write moves
/// back to the escape's start, and it goes on through its buffer rather than in
/// place. At every cut across escaped text and an all-escaped value, the output is
/// one-shot redaction's (a writer that went on in place dropped the held `%`).
#[test]
fn a_large_write_after_a_held_escape_agrees_with_redact() {
    let value = "in-place-s3cr3t-0001";
    let r = redactor(value, Encodings::all());
    let filler = "log line with nothing secret in it\n".repeat(1_000);
    let head = format!("path=%2Fa%2fb {} ok ", all_escaped(value));
    let text = format!("{head}{filler}");
    let want = r.redact(&text).into_owned();
    assert!(want.starts_with("path=%2Fa%2fb *** ok "), "{}", &want[..40]);
    for cut in 0..=head.len() {
        let mut w = r.writer(Vec::new());
        w.write_all(&text.as_bytes()[..cut]).unwrap();
        w.write_all(&text.as_bytes()[cut..]).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(out == want, "cut {cut}: {:?}", &out[..40]);
    }
}

#[test]
fn with_percent_off_escaped_forms_are_not_masked() {
    let value = "s3cr/t key!";
    let r = redactor(value, Encodings::none());
    let text = format!("t={}", python_quote(value));
    assert_eq!(r.redact(&text), text);
}

#[test]
fn decoding_registers_no_pattern_per_escaping() {
    // The escapings are matched by decoding the text, not by registering patterns:
    // percent on adds at most the value's `+`-for-space form.
    let count = |value: &str, percent: bool| {
        let encodings = Encodings {
            percent,
            ..Encodings::none()
        };
        redactor(value, encodings).__registered_patterns().len()
    };
    assert_eq!(count("no/space!here", true), count("no/space!here", false));
    assert_eq!(
        count("one space/here", true),
        count("one space/here", false) + 1
    );
}

#[test]
fn escapes_outside_a_secret_are_left_as_written() {
    let r = redactor("s3cr/t key!", Encodings::all());
    let text = "q=a%2Fb+c%7e&s3cr%2Ft=%41";
    assert_eq!(
        r.redact(text),
        text,
        "nothing decodes to the value: text unchanged"
    );
}

/// How one byte of the value is written: 0 literal, 1 `%XX`, 2 `%xx`, 3 `+` (a
/// space only; otherwise literal). A `%` is always escaped, as every encoder escapes
/// it: a literal `%` followed by two hex digits reads as an escape (see
/// `a_literal_percent_that_looks_like_an_escape_reads_as_one`).
fn write_mixed(value: &str, choices: &[u8]) -> String {
    value
        .bytes()
        .zip(choices.iter().cycle())
        .map(|(b, c)| match (c % 4, b) {
            (2, _) => format!("%{b:02x}"),
            (1, _) | (_, b'%') => format!("%{b:02X}"),
            (3, b' ') => "+".to_owned(),
            _ => char::from(b).to_string(),
        })
        .collect()
}

#[test]
fn a_literal_percent_that_looks_like_an_escape_reads_as_one() {
    // The one limit of "any mix": a value's own `%` left unescaped before two hex
    // digits is read as an escape, so a mix that also escapes another byte is not
    // recognised. Every encoder escapes `%` (`%25`); the value written wholly
    // literally, or with its `%` escaped, is masked.
    let value = "key%41-and-more";
    let r = redactor(value, Encodings::all());
    for (name, text, masked) in [
        ("wholly literal", "key%41-and-more", true),
        ("its % escaped, the rest mixed", "key%2541-and%2dmore", true),
        (
            "its % literal, another byte escaped",
            "key%41-and%2dmore",
            false,
        ),
    ] {
        let want = if masked {
            MASK.to_owned()
        } else {
            text.to_owned()
        };
        assert_eq!(r.redact(text), want, "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any value, any per-byte mix, any chunking: masked as a whole, the text around
    /// it kept, and the writer's output equal to one-shot redaction.
    #[test]
    fn any_mix_of_escapes_is_masked(
        value in "[a-zA-Z0-9 /+!*'()~%&=?.-]{8,40}",
        choices in prop::collection::vec(0u8..4, 1..40),
        chunk in 1usize..50,
    ) {
        let r = redactor(&value, Encodings::all());
        let encoded = write_mixed(&value, &choices);
        let text = format!("<<{encoded}>>");
        let once = r.redact(&text).into_owned();
        prop_assert_eq!(&once, &format!("<<{MASK}>>"), "encoded as {}", encoded);
        prop_assert_eq!(through_writer(&r, &text, chunk), once);
    }

    /// The decoding is byte-wise: a value outside ASCII is masked under any mix of
    /// its UTF-8 bytes written literally or escaped (a literal byte of a multi-byte
    /// character beside an escaped one included).
    #[test]
    fn any_mix_of_escapes_is_masked_for_values_outside_ascii(
        value in "[a-zé日ß €/+]{4,20}",
        choices in prop::collection::vec(0u8..4, 1..40),
    ) {
        prop_assume!(value.len() >= 8);
        let r = redactor(&value, Encodings::all());
        let mut text = b"<<".to_vec();
        for (b, c) in value.bytes().zip(choices.iter().cycle()) {
            match (c % 4, b) {
                (2, _) => text.extend_from_slice(format!("%{b:02x}").as_bytes()),
                (1, _) | (_, b'%') => text.extend_from_slice(format!("%{b:02X}").as_bytes()),
                (3, b' ') => text.push(b'+'),
                _ => text.push(b),
            }
        }
        text.extend_from_slice(b">>");
        let out = r.redact_bytes(&text).into_owned();
        prop_assert_eq!(out, format!("<<{MASK}>>").into_bytes(), "{:?}", String::from_utf8_lossy(&text));
    }

    /// Escapes around and inside arbitrary text never make the writer disagree with
    /// one-shot redaction, wherever its writes cut the text.
    #[test]
    fn the_writer_agrees_with_redact_on_escaped_text(
        value in "[a-z %]{8,16}",
        text in "([a-z %+]|%[0-9a-fA-F]{2}){0,80}",
        chunk in 1usize..30,
    ) {
        let r = redactor(&value, Encodings::all());
        prop_assert_eq!(through_writer(&r, &text, chunk), r.redact(&text).into_owned());
    }
}
