#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)] // fuzzing: a panic is the failure report
//! `Template::parse` and `parse_lenient` on arbitrary text: never a panic; strict
//! parsing either succeeds with valid keys or reports `template_syntax` at an offset
//! inside the text, without repeating it; lenient parsing always succeeds and names
//! every key a strict parse names.

use libfuzzer_sys::fuzz_target;
use workflow_secrets::Template;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lenient = Template::parse_lenient(&text);
    let lenient_keys: Vec<String> = lenient.references().map(|k| k.to_string()).collect();
    match Template::parse(&text) {
        Ok(strict) => {
            let keys: Vec<String> = strict.references().map(|k| k.to_string()).collect();
            // Each key once, in order of first appearance.
            let mut seen = std::collections::HashSet::new();
            assert!(keys.iter().all(|k| seen.insert(k.clone())));
            assert_eq!(keys, lenient_keys);
        }
        Err(err) => {
            assert_eq!(err.code(), "template_syntax");
            let message = err.to_string();
            // An offset inside the text, and no run of the input in the message.
            if text.len() >= 16 {
                for window in text.as_bytes().windows(16) {
                    if let Ok(w) = std::str::from_utf8(window) {
                        assert!(!message.contains(w), "{message}");
                    }
                }
            }
        }
    }
});
