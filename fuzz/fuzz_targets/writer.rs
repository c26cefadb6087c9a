#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)] // fuzzing: a panic is the failure report
//! Differential: `RedactingWriter` over arbitrary chunkings and flushes equals one-shot
//! `redact`, for arbitrary secret sets, and neither output holds a registered value
//! of at least 8 bytes that does not contain the mask.

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use workflow_secrets::{Redactor, SecretValue};

fuzz_target!(|data: &[u8]| {
    // Layout: secrets separated by 0x00, then 0x01, then chunk sizes up to 0x02, then text.
    let mut parts = data.splitn(3, |b| *b == 1 || *b == 2);
    let (Some(secrets), Some(chunks), Some(text)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let values: Vec<SecretValue> = secrets
        .split(|b| *b == 0)
        .filter_map(|s| std::str::from_utf8(s).ok())
        .filter(|s| !s.is_empty())
        .filter_map(|s| SecretValue::new(s).ok())
        .collect();
    // A value that contains the mask could be spelled by the mask and the caller's own
    // bytes around it (which reveals nothing): check absence only for the others.
    let checked: Vec<&SecretValue> = values
        .iter()
        .filter(|v| v.len() >= 8 && !v.expose_secret().contains('*'))
        .collect();
    let redactor = Redactor::new(&values);
    let want = redactor.redact_bytes(text).into_owned();
    let mut writer = redactor.writer(Vec::new());
    let mut at = 0;
    for (i, size) in chunks.iter().cycle().take(text.len() + 1).enumerate() {
        if at >= text.len() {
            break;
        }
        let n = (usize::from(*size) % 64 + 1).min(text.len() - at);
        writer.write_all(&text[at..at + n]).unwrap();
        if size & 0x80 != 0 || i % 7 == 3 {
            writer.flush().unwrap();
        }
        at += n;
    }
    if at < text.len() {
        writer.write_all(&text[at..]).unwrap();
    }
    let got = writer.finish().unwrap();
    assert_eq!(got, want);
    for value in checked {
        let needle = value.expose_secret().as_bytes();
        assert!(!want.windows(needle.len()).any(|w| w == needle));
    }
});
