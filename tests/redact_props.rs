#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Property tests: the output never contains a registered pattern except where a
//! mask's bytes help spell it (the mask comes from configuration alone, so a value
//! made of mask characters can reappear beside a mask: `tests/redact_mask_shape.rs`
//! checks the exact output), and the writer's output is byte-identical to `redact`
//! for every chunking.

use std::io::Write;

use proptest::prelude::*;
use workflow_secrets::{Redactor, SecretKey, SecretValue, redact::Encodings};

/// Secrets from a tiny alphabet (with the mask's `*`) so they overlap and collide.
fn secret() -> impl Strategy<Value = String> {
    prop_oneof!["[ab*]{1,7}", "[aé*€]{1,4}"]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[ab*c]{0,60}", "[ab*]{0,3}[a*]{20,40}", "[aé€b*]{0,40}"]
}

fn settings() -> impl Strategy<Value = (usize, bool, &'static str)> {
    (
        1usize..=4,
        any::<bool>(),
        prop::sample::select(vec!["***", "*", "a*", "[x]", "b"]),
    )
}

fn build(
    secrets: &[String],
    (min_len, labelled, mask): (usize, bool, &str),
    encodings: Encodings,
) -> Redactor {
    let key = SecretKey::new("K").unwrap();
    let mut b = Redactor::builder()
        .min_len(min_len)
        .labelled(labelled)
        .mask(mask)
        .encodings(encodings);
    // A third of the values are added live, so several segments take part.
    let live = secrets.len() / 3;
    for (i, s) in secrets[live..].iter().enumerate() {
        let v = SecretValue::new(s.clone()).unwrap();
        b = if i % 2 == 0 {
            b.secret(&v)
        } else {
            b.secret_named(&key, &v)
        };
    }
    let r = b.build();
    for s in &secrets[..live] {
        r.add(Some(&key), &SecretValue::new(s.clone()).unwrap());
    }
    r
}

/// No pattern made only of bytes the masks lack occurs in `out`: such an occurrence
/// could only lie in the caller's own unmasked bytes, where it would have been
/// masked. (A pattern sharing a byte with a mask may be spelled across one.)
fn assert_clean(
    r: &Redactor,
    out: &[u8],
    (_, labelled, mask): (usize, bool, &str),
) -> Result<(), TestCaseError> {
    let mask_bytes: &[u8] = if labelled {
        b"[REDACTED:K]"
    } else {
        mask.as_bytes()
    };
    for p in r.__registered_patterns() {
        if p.iter().any(|b| mask_bytes.contains(b)) {
            continue;
        }
        prop_assert!(
            !out.windows(p.len()).any(|w| w == p.as_slice()),
            "output {:?} contains {:?}",
            String::from_utf8_lossy(out),
            String::from_utf8_lossy(&p)
        );
    }
    Ok(())
}

/// `text` through a writer in writes of `sizes`, with a live flush after every
/// fourth write unless a registered pattern spans lines (a flush that cuts a
/// multi-line value masks it line by line: `tests/redact_live_flush.rs`).
fn write_chunked(r: &Redactor, text: &[u8], sizes: &[usize]) -> Vec<u8> {
    let flushes = !r.__registered_patterns().iter().any(|p| p.contains(&b'\n'));
    let mut w = r.writer(Vec::new());
    let mut at = 0;
    let mut i = 0;
    while at < text.len() {
        let n = sizes[i % sizes.len()].min(text.len() - at);
        w.write_all(&text[at..at + n]).unwrap();
        if flushes && i % 4 == 3 {
            w.flush().unwrap();
        }
        at += n;
        i += 1;
    }
    w.finish().unwrap()
}

proptest! {

    #[test]
    fn redact_output_holds_no_pattern_outside_masks(
        secrets in prop::collection::vec(secret(), 1..7),
        text in text(),
        settings in settings(),
    ) {
        let r = build(&secrets, settings, Encodings::none());
        let out = r.redact(&text);
        assert_clean(&r, out.as_bytes(), settings)?;
    }

    #[test]
    fn writer_equals_redact_for_every_chunking(
        secrets in prop::collection::vec(secret(), 1..7),
        text in text(),
        settings in settings(),
        random in prop::collection::vec(1usize..=23, 1..8),
    ) {
        let r = build(&secrets, settings, Encodings::none());
        let want = r.redact_bytes(text.as_bytes()).into_owned();
        for size in 1..=17 {
            prop_assert_eq!(&write_chunked(&r, text.as_bytes(), &[size]), &want, "chunk size {}", size);
        }
        prop_assert_eq!(&write_chunked(&r, text.as_bytes(), &random), &want, "chunks {:?}", random);
    }

    #[test]
    fn long_secrets_with_encodings_partials_and_chunking(
        secrets in prop::collection::vec("[a-c/+=*\n]{8,24}", 1..7),
        pieces in prop::collection::vec((0usize..4, "[a-c ]{0,12}"), 0..8),
        random in prop::collection::vec(1usize..=64, 1..8),
    ) {
        let r = build(&secrets, (4, false, "***"), Encodings::all());
        let patterns = r.__registered_patterns();
        let mut text = String::new();
        for (i, filler) in &pieces {
            text.push_str(filler);
            if let Some(p) = patterns.get(i * 7 % patterns.len().max(1)) {
                text.push_str(&String::from_utf8_lossy(p));
            }
        }
        let want = r.redact_bytes(text.as_bytes()).into_owned();
        assert_clean(&r, &want, (4, false, "***"))?;
        prop_assert_eq!(&write_chunked(&r, text.as_bytes(), &random), &want);
        prop_assert_eq!(&write_chunked(&r, text.as_bytes(), &[1]), &want);
    }

    #[test]
    fn serialize_output_holds_no_pattern_outside_masks(
        secrets in prop::collection::vec(secret(), 1..4),
        strings in prop::collection::vec(text(), 0..5),
        settings in settings(),
    ) {
        let r = build(&secrets, settings, Encodings::none());
        let map: std::collections::BTreeMap<String, Vec<String>> =
            strings.iter().map(|s| (s.clone(), strings.clone())).collect();
        let redacted = serde_json::to_value(r.serialize(&map)).unwrap();
        let mut all = Vec::new();
        collect(&redacted, &mut all);
        for s in all {
            assert_clean(&r, s.as_bytes(), settings)?;
        }
    }
}

fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            collect(x, out)
        }),
        _ => {}
    }
}
