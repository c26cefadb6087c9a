#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)] // fuzzing: a panic is the failure report
//! The serde adapter on arbitrary JSON documents and secrets: never a panic, and the
//! serialized output never holds a registered value (at least 8 bytes, so a short
//! value cannot appear by chance in the mask or the JSON syntax).

use libfuzzer_sys::fuzz_target;
use workflow_secrets::{Redactor, SecretValue};

fuzz_target!(|data: &[u8]| {
    // Layout: secrets separated by 0x00, then 0x01, then a JSON document.
    let Some(split) = data.iter().position(|b| *b == 1) else {
        return;
    };
    let (secrets, json) = (&data[..split], &data[split + 1..]);
    let Ok(document) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let values: Vec<SecretValue> = secrets
        .split(|b| *b == 0)
        .filter_map(|s| std::str::from_utf8(s).ok())
        .filter(|s| s.len() >= 8 && !s.contains(['*', '"', '\\']))
        .filter_map(|s| SecretValue::new(s).ok())
        .collect();
    let redactor = Redactor::new(&values);
    let out = serde_json::to_string(&redactor.serialize(&document)).unwrap();
    for value in &values {
        assert!(!out.contains(value.expose_secret()), "{out}");
    }
});
