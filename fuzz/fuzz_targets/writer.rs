#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)] // fuzzing: a panic is the failure report
//! Differential: `RedactingWriter` over arbitrary chunkings and live flushes equals
//! one-shot `redact`, for arbitrary secret sets, unless a value spans lines (a flush
//! that cuts one masks it line by line); neither output holds a registered value of
//! at least 8 bytes, or a line of at least 8 bytes of a multi-line one, that does not
//! contain the mask.
//!
//! The input's first byte picks the configuration: bit 0 masks every token format
//! too (`mask_token_formats`); bits 1-2 the encodings: every one, percent only (the
//! smallest hold-back with percent-decoding, where a cut backs off over escapes),
//! none, or every one. Bit 3 inserts 17,000 filler bytes in the middle of the text,
//! and a chunk size with bit 6 set then writes that many more bytes at once: a write
//! long enough to be decided in place, with the input's own bytes at its edges.

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use workflow_secrets::redact::{Encodings, TokenFormat, TokenFormats};
use workflow_secrets::{Redactor, SecretValue};

/// `out` with every format mask replaced by a 0x00 byte (which no value holds: values
/// are split on it). A value could be spelled by a mask's letters and the caller's
/// own bytes around it, which reveals nothing; only the rest of the output is checked.
fn without_format_masks(out: &[u8]) -> Vec<u8> {
    let masks: Vec<&[u8]> = TokenFormat::ALL
        .iter()
        .map(|f| f.mask().as_bytes())
        .collect();
    let mut kept = Vec::with_capacity(out.len());
    let mut at = 0;
    while at < out.len() {
        match masks.iter().find(|m| out[at..].starts_with(m)) {
            Some(m) => {
                kept.push(0);
                at += m.len();
            }
            None => {
                kept.push(out[at]);
                at += 1;
            }
        }
    }
    kept
}

fuzz_target!(|data: &[u8]| {
    let Some((&config, data)) = data.split_first() else {
        return;
    };
    let formats = match config & 1 {
        0 => TokenFormats::none(),
        _ => TokenFormats::all(),
    };
    let encodings = match (config >> 1) & 3 {
        1 => Encodings {
            percent: true,
            ..Encodings::none()
        },
        2 => Encodings::none(),
        _ => Encodings::all(),
    };
    // Layout: secrets separated by 0x00, then 0x01, then chunk sizes up to 0x02, then text.
    let mut parts = data.splitn(3, |b| *b == 1 || *b == 2);
    let (Some(secrets), Some(chunks), Some(text)) = (parts.next(), parts.next(), parts.next())
    else {
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
    let multi_line = values.iter().any(|v| v.expose_secret().contains('\n'));
    let lines: Vec<&str> = values
        .iter()
        .filter(|v| v.expose_secret().contains('\n'))
        .flat_map(|v| v.expose_secret().split('\n'))
        .map(|line| line.trim_ascii())
        .filter(|line| line.len() >= 8 && !line.contains('*'))
        .collect();
    let redactor = Redactor::builder()
        .secrets(&values)
        .encodings(encodings)
        .mask_token_formats(formats)
        .build();
    // A write of at least the hold-back plus 16 KiB is decided in place.
    const LONG: usize = 17_000;
    let long = config & 8 != 0;
    let text = match long {
        true => {
            let mid = text.len() / 2;
            let mut stretched = text[..mid].to_vec();
            stretched.resize(mid + LONG, b'.');
            stretched.extend_from_slice(&text[mid..]);
            stretched
        }
        false => text.to_vec(),
    };
    let text = &text[..];
    let want = redactor.redact_bytes(text).into_owned();
    let mut writer = redactor.writer(Vec::new());
    let mut at = 0;
    for (i, size) in chunks.iter().cycle().take(text.len() + 1).enumerate() {
        if at >= text.len() {
            break;
        }
        let n = usize::from(*size) % 64 + 1;
        let n = match long && size & 0x40 != 0 {
            true => n + LONG,
            false => n,
        };
        let n = n.min(text.len() - at);
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
    if !multi_line {
        assert_eq!(got, want);
    }
    let (got, want) = (without_format_masks(&got), without_format_masks(&want));
    for value in checked {
        let needle = value.expose_secret().as_bytes();
        assert!(!want.windows(needle.len()).any(|w| w == needle));
        if !needle.contains(&b'\n') {
            assert!(!got.windows(needle.len()).any(|w| w == needle));
        }
    }
    for line in lines {
        let needle = line.as_bytes();
        assert!(!got.windows(needle.len()).any(|w| w == needle));
    }
});
