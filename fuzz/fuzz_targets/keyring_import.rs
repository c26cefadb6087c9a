#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)] // fuzzing: a panic is the failure report
//! `LocalKeyring::import` on arbitrary bytes: never a panic; what it accepts exports
//! back to the same bytes and keeps an active key it holds; what it refuses says so
//! without repeating key material.

use libfuzzer_sys::fuzz_target;
use workflow_secrets::LocalKeyring;

fuzz_target!(|data: &[u8]| {
    match LocalKeyring::import(data) {
        Ok(keyring) => {
            assert!(keyring.ids().contains(&keyring.active()));
            let exported = keyring.export();
            let again = LocalKeyring::import(&exported).unwrap();
            assert_eq!(again.ids(), keyring.ids());
            assert_eq!(again.active(), keyring.active());
            assert_eq!(&*again.export(), &*exported);
        }
        Err(err) => {
            let message = format!("{err} {err:?}");
            if data.len() >= 8 {
                let hex: String = data[..8].iter().map(|b| format!("{b:02x}")).collect();
                assert!(!message.contains(&hex), "{message}");
            }
        }
    }
});
