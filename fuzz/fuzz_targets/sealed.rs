#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)] // fuzzing: a panic is the failure report
//! `SealedSecret::from_bytes` and `Vault::unseal` on arbitrary bytes: never a panic,
//! never a value from bytes the vault did not seal for this binding, and every
//! failure one of the two opaque codes (`tampered`, `unknown_key_id`).

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use workflow_secrets::crypto::{KeyId, SealedSecret, Zeroizing};
use workflow_secrets::{LocalKeyring, Scope, SecretKey, SecretValue, Vault, WorkspaceId};

struct Fixed {
    vault: Vault,
    scope: Scope,
    key: SecretKey,
    genuine: Vec<u8>,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let keyring = LocalKeyring::from_key(KeyId::from(7), Zeroizing::new([0x42; 32]));
        let vault = Vault::new(keyring);
        let scope = Scope::workspace(WorkspaceId::new("acme").unwrap());
        let key = SecretKey::new("API_KEY").unwrap();
        let value = SecretValue::new("fuzz-marker-value").unwrap();
        let genuine = vault.seal(&scope, &key, 1, &value).unwrap().to_bytes();
        Fixed {
            vault,
            scope,
            key,
            genuine,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixed();
    // Half the inputs mutate the genuine record in place (flips, truncations), so the
    // fuzzer reaches the decryption paths, not only the header checks.
    let bytes: Vec<u8> = match data.split_first() {
        Some((0, rest)) => {
            let mut b = f.genuine.clone();
            for (i, x) in rest.iter().enumerate() {
                let at = (usize::from(*x) * 31 + i) % b.len();
                b[at] ^= x | 1;
            }
            b
        }
        Some((1, rest)) => f.genuine[..rest.len().min(f.genuine.len())].to_vec(),
        _ => data.to_vec(),
    };
    let Ok(sealed) = SealedSecret::from_bytes(&bytes) else {
        return;
    };
    assert_eq!(
        SealedSecret::from_bytes(&sealed.to_bytes()).unwrap(),
        sealed
    );
    for version in [1, 2] {
        match f.vault.unseal(&f.scope, &f.key, version, &sealed) {
            Ok(value) => {
                // Only the genuine record, at its own version, opens.
                assert_eq!(bytes, f.genuine);
                assert_eq!(version, 1);
                assert_eq!(value.expose_secret(), "fuzz-marker-value");
            }
            Err(err) => {
                assert!(matches!(err.code(), "tampered" | "unknown_key_id"), "{err}");
                assert!(!err.to_string().contains("fuzz-marker"));
            }
        }
    }
});
