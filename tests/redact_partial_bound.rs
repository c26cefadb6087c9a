#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The partial-occurrence bound is in plaintext bytes for every encoding (issue 16,
//! item 11): a prefix of a value's encoded form ending a text, or a suffix starting
//! one, is masked only when the plaintext bytes it wholly encodes are at least
//! max(8, half the value). Measured on the encoded pattern, the hex form of 4 bytes
//! of an 8-byte value was masked, and each further hex digit became a 16-guess test.

use workflow_secrets::{Redactor, SecretValue, redact::Encodings};

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn percent(b: &[u8]) -> String {
    b.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn base64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)
}

fn json(b: &[u8]) -> String {
    let s = serde_json::to_string(std::str::from_utf8(b).unwrap()).unwrap();
    s[1..s.len() - 1].to_owned()
}

#[test]
fn partial_bound_counts_plaintext_bytes_for_every_encoding() {
    // (case, value, encoding, encoded form, encoded bytes kept, masked)
    type Encode = fn(&[u8]) -> String;
    let cases: &[(&str, &str, Encodings, Encode, usize, bool)] = &[
        // 8-byte value: a partial must cover all 8 bytes, so no proper prefix does.
        ("hex, 4 of 8 bytes", "k3y-v4lu", hex_only(), hex, 8, false),
        ("hex, 7 of 8 bytes", "k3y-v4lu", hex_only(), hex, 15, false),
        // 16-byte value: 8 bytes (16 hex digits) suffice, 15 digits do not.
        (
            "hex, 8 of 16 bytes",
            "k3y-v4lu-0123456",
            hex_only(),
            hex,
            16,
            true,
        ),
        (
            "hex, 7.5 of 16 bytes",
            "k3y-v4lu-0123456",
            hex_only(),
            hex,
            15,
            false,
        ),
        (
            "percent, 4 of 8 bytes",
            "!!!!!!!!",
            percent_only(),
            percent,
            12,
            false,
        ),
        (
            "percent, 8 of 16 bytes",
            "!!!!!!!!!!!!!!!!",
            percent_only(),
            percent,
            24,
            true,
        ),
        (
            "percent, 7 of 16 bytes, a cut escape",
            "!!!!!!!!!!!!!!!!",
            percent_only(),
            percent,
            23,
            false,
        ),
        (
            "base64, 6 of 8 bytes",
            "k3y-v4lu",
            base64_only(),
            base64,
            8,
            false,
        ),
        (
            "base64, 9 of 16 bytes",
            "k3y-v4lu-0123456",
            base64_only(),
            base64,
            12,
            true,
        ),
        (
            "json, 4 of 8 bytes",
            "\"\"\"\"\"\"\"\"",
            json_only(),
            json,
            8,
            false,
        ),
        (
            "json, 8 of 16 bytes",
            "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
            json_only(),
            json,
            16,
            true,
        ),
        (
            "plain, 8 of 16 bytes",
            "k3y-v4lu-0123456",
            Encodings::none(),
            plain,
            8,
            true,
        ),
        (
            "plain, 7 of 16 bytes",
            "k3y-v4lu-0123456",
            Encodings::none(),
            plain,
            7,
            false,
        ),
    ];
    for (name, value, encodings, encode, kept, masked) in cases {
        let r = Redactor::builder()
            .encodings(*encodings)
            .secret(&SecretValue::new(*value).unwrap())
            .build();
        let form = encode(value.as_bytes());
        // A prefix ending the text, and a suffix starting it.
        let head = &form[..*kept];
        let tail = &form[form.len() - kept..];
        let ends = format!("log: {head}");
        let starts = format!("{tail} :log");
        let (want_end, want_start) = if *masked {
            ("log: ***".to_owned(), "*** :log".to_owned())
        } else {
            (ends.clone(), starts.clone())
        };
        assert_eq!(
            r.redact(&ends),
            want_end,
            "{name}: prefix {head:?} of {form:?}"
        );
        if !name.starts_with("base64") {
            assert_eq!(
                r.redact(&starts),
                want_start,
                "{name}: suffix {tail:?} of {form:?}"
            );
        }
    }
}

fn plain(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn hex_only() -> Encodings {
    Encodings {
        hex: true,
        ..Encodings::none()
    }
}
fn percent_only() -> Encodings {
    Encodings {
        percent: true,
        ..Encodings::none()
    }
}
fn base64_only() -> Encodings {
    Encodings {
        base64: true,
        ..Encodings::none()
    }
}
fn json_only() -> Encodings {
    Encodings {
        json: true,
        ..Encodings::none()
    }
}
