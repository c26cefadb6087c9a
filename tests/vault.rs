#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The vault's promises: binding, tamper detection, rotation, and the frozen format.

use proptest::prelude::*;
use workflow_secrets::testing::fixtures::key;
use workflow_secrets::{
    LocalKeyring, Scope, SecretKey, SecretValue, UserId, Vault, WorkflowId, WorkspaceId,
    crypto::{KeyId, KeyWrapper, SealedSecret, Zeroizing},
};

fn ws(id: &str) -> WorkspaceId {
    WorkspaceId::new(id).unwrap()
}

fn value(text: &str) -> SecretValue {
    SecretValue::new(text).unwrap()
}

fn kek(id: u32, byte: u8) -> LocalKeyring {
    LocalKeyring::from_key(KeyId::from(id), Zeroizing::new([byte; 32]))
}

fn scopes() -> Vec<Scope> {
    vec![
        Scope::workflow(ws("acme"), WorkflowId::new("wf-1").unwrap()),
        Scope::workspace(ws("acme")),
        Scope::personal(ws("acme"), UserId::new("ada").unwrap()),
    ]
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Vault>();
    check::<LocalKeyring>();
    check::<SealedSecret>();
    check::<KeyId>();
    check::<Box<dyn KeyWrapper>>();
}

#[test]
fn round_trip_in_every_scope() {
    let vault = Vault::new(LocalKeyring::generate());
    for scope in scopes() {
        for text in [
            "",
            "x",
            "sk-live-1234",
            "héllo wörld 東京 🔑",
            &"z".repeat(65_536),
        ] {
            let sealed = vault
                .seal(&scope, &key("API_KEY"), 1, &value(text))
                .unwrap();
            let bytes = sealed.to_bytes();
            let read = SealedSecret::from_bytes(&bytes).unwrap();
            let opened = vault.unseal(&scope, &key("API_KEY"), 1, &read).unwrap();
            assert_eq!(opened.expose_secret(), text);
        }
    }
}

#[test]
fn record_size_is_as_documented() {
    let vault = Vault::new(LocalKeyring::generate());
    let sealed = vault
        .seal(&scopes()[1], &key("K"), 1, &value(&"a".repeat(64)))
        .unwrap();
    assert_eq!(sealed.to_bytes().len(), 163);
}

#[test]
fn opening_anywhere_else_is_tampered() {
    let vault = Vault::new(kek(1, 1));
    let ada = Scope::personal(ws("acme"), UserId::new("ada").unwrap());
    let sealed = vault
        .seal(&ada, &key("API_KEY"), 3, &value("secret"))
        .unwrap();

    let elsewhere: Vec<(&str, Scope, SecretKey, u64)> = vec![
        (
            "another user",
            Scope::personal(ws("acme"), UserId::new("bob").unwrap()),
            key("API_KEY"),
            3,
        ),
        (
            "another workspace",
            Scope::personal(ws("acme2"), UserId::new("ada").unwrap()),
            key("API_KEY"),
            3,
        ),
        (
            "workspace case",
            Scope::personal(ws("Acme"), UserId::new("ada").unwrap()),
            key("API_KEY"),
            3,
        ),
        (
            "workspace scope",
            Scope::workspace(ws("acme")),
            key("API_KEY"),
            3,
        ),
        (
            "workflow with the user's id",
            Scope::workflow(ws("acme"), WorkflowId::new("ada").unwrap()),
            key("API_KEY"),
            3,
        ),
        ("another key", ada.clone(), key("API_KEY2"), 3),
        ("key case", ada.clone(), key("api_key"), 3),
        ("older version", ada.clone(), key("API_KEY"), 2),
        ("newer version", ada.clone(), key("API_KEY"), 4),
    ];
    for (name, scope, k, version) in elsewhere {
        let err = vault.unseal(&scope, &k, version, &sealed).unwrap_err();
        assert_eq!(err.code(), "tampered", "case {name}");
        let err = vault.rewrap(&scope, &k, version, &sealed).unwrap_err();
        assert_eq!(err.code(), "tampered", "rewrap, case {name}");
    }

    let wf = Scope::workflow(ws("acme"), WorkflowId::new("wf-1").unwrap());
    let sealed = vault.seal(&wf, &key("K"), 1, &value("v")).unwrap();
    let other_wf = Scope::workflow(ws("acme"), WorkflowId::new("wf-2").unwrap());
    assert_eq!(
        vault
            .unseal(&other_wf, &key("K"), 1, &sealed)
            .unwrap_err()
            .code(),
        "tampered"
    );
    let other_ws = Scope::workflow(ws("other"), WorkflowId::new("wf-1").unwrap());
    assert_eq!(
        vault
            .unseal(&other_ws, &key("K"), 1, &sealed)
            .unwrap_err()
            .code(),
        "tampered"
    );

    // Another keyring holding a different key under the same id.
    let impostor = Vault::new(kek(1, 2));
    assert_eq!(
        impostor
            .unseal(&wf, &key("K"), 1, &sealed)
            .unwrap_err()
            .code(),
        "tampered"
    );
}

#[test]
fn id_boundaries_are_length_prefixed() {
    // ("ab", "c") and ("a", "bc") must not collide.
    let vault = Vault::new(kek(1, 1));
    let one = Scope::workflow(ws("ab"), WorkflowId::new("c").unwrap());
    let two = Scope::workflow(ws("a"), WorkflowId::new("bc").unwrap());
    let sealed = vault.seal(&one, &key("K"), 1, &value("v")).unwrap();
    assert_eq!(
        vault
            .unseal(&two, &key("K"), 1, &sealed)
            .unwrap_err()
            .code(),
        "tampered"
    );
}

#[test]
fn same_value_twice_gives_different_bytes() {
    let vault = Vault::new(LocalKeyring::generate());
    let scope = Scope::workspace(ws("acme"));
    let a = vault.seal(&scope, &key("K"), 1, &value("same")).unwrap();
    let b = vault.seal(&scope, &key("K"), 1, &value("same")).unwrap();
    assert_ne!(a.to_bytes(), b.to_bytes());
    // Data key, wrap nonce and value nonce all differ: no shared 12-byte window past the header.
    let (a, b) = (a.to_bytes(), b.to_bytes());
    assert_ne!(a[11..71], b[11..71]);
    assert_ne!(a[71..], b[71..]);
}

/// The fields of a `LocalKeyring` record: where the KEK id lies.
const KEK_ID: std::ops::Range<usize> = 5..9;

fn expect_flip_fails(vault: &Vault, scope: &Scope, k: &SecretKey, bytes: &[u8], bit: usize) {
    let mut flipped = bytes.to_vec();
    flipped[bit / 8] ^= 1 << (bit % 8);
    let code = match SealedSecret::from_bytes(&flipped) {
        Err(err) => err.code(),
        Ok(sealed) => match vault.unseal(scope, k, 1, &sealed) {
            Ok(_) => panic!("bit {bit} flipped and the record still opened"),
            Err(err) => err.code(),
        },
    };
    if KEK_ID.contains(&(bit / 8)) {
        assert!(
            code == "unknown_key_id" || code == "tampered",
            "bit {bit}: {code}"
        );
    } else {
        assert_eq!(code, "tampered", "bit {bit}");
    }
}

#[test]
fn every_flipped_bit_fails_to_open() {
    let vault = Vault::new(kek(1, 1));
    for scope in scopes() {
        let k = key("API_KEY");
        let bytes = vault
            .seal(&scope, &k, 1, &value("sk-12345"))
            .unwrap()
            .to_bytes();
        for bit in 0..bytes.len() * 8 {
            expect_flip_fails(&vault, &scope, &k, &bytes, bit);
        }
    }
    // A flip in the KEK id to an id the vault lacks says so.
    let scope = Scope::workspace(ws("acme"));
    let mut bytes = vault
        .seal(&scope, &key("K"), 1, &value("v"))
        .unwrap()
        .to_bytes();
    bytes[8] ^= 0x02; // id 1 -> 3
    let sealed = SealedSecret::from_bytes(&bytes).unwrap();
    assert_eq!(sealed.key_id(), KeyId::from(3));
    let err = vault.unseal(&scope, &key("K"), 1, &sealed).unwrap_err();
    assert_eq!(err.code(), "unknown_key_id");
    // ... and to an id the vault holds, the wrap's associated data catches it.
    let both = kek(1, 1);
    both.add_key(KeyId::from(3), Zeroizing::new([3; 32]))
        .unwrap();
    let err = Vault::new(both)
        .unseal(&scope, &key("K"), 1, &sealed)
        .unwrap_err();
    assert_eq!(err.code(), "tampered");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_flipped_bit_fails_to_open(text in "\\PC{0,80}", bit_seed in any::<usize>(), scope_ix in 0usize..3) {
        let vault = Vault::new(kek(1, 1));
        let scope = scopes()[scope_ix].clone();
        let k = key("TOKEN");
        let bytes = vault.seal(&scope, &k, 1, &value(&text)).unwrap().to_bytes();
        expect_flip_fails(&vault, &scope, &k, &bytes, bit_seed % (bytes.len() * 8));
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let vault = Vault::new(kek(1, 1));
        let scope = Scope::workspace(ws("acme"));
        match SealedSecret::from_bytes(&bytes) {
            Err(err) => prop_assert_eq!(err.code(), "tampered"),
            Ok(sealed) => prop_assert!(vault.unseal(&scope, &key("K"), 1, &sealed).is_err()),
        }
    }

    #[test]
    fn garbage_behind_a_valid_header_never_opens(
        id in 0u32..4,
        wrapped_len in 0u16..200,
        tail in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let vault = Vault::new(kek(1, 1));
        let scope = Scope::workspace(ws("acme"));
        let mut bytes = b"WSEC\x01".to_vec();
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(&wrapped_len.to_be_bytes());
        bytes.extend_from_slice(&tail);
        match SealedSecret::from_bytes(&bytes) {
            Err(err) => prop_assert_eq!(err.code(), "tampered"),
            Ok(sealed) => {
                let code = vault.unseal(&scope, &key("K"), 1, &sealed).unwrap_err().code();
                prop_assert!(code == "tampered" || (id != 1 && code == "unknown_key_id"), "{}", code);
                let code = vault.rewrap(&scope, &key("K"), 1, &sealed).unwrap_err().code();
                prop_assert!(code == "tampered" || (id != 1 && code == "unknown_key_id"), "{}", code);
            }
        }
    }
}

#[test]
fn truncation_at_every_length_is_tampered() {
    let vault = Vault::new(kek(1, 1));
    let scope = Scope::workspace(ws("acme"));
    for text in ["", "sk-1234567890"] {
        let bytes = vault
            .seal(&scope, &key("K"), 1, &value(text))
            .unwrap()
            .to_bytes();
        for len in 0..bytes.len() {
            let code = match SealedSecret::from_bytes(&bytes[..len]) {
                Err(err) => err.code(),
                Ok(sealed) => vault
                    .unseal(&scope, &key("K"), 1, &sealed)
                    .unwrap_err()
                    .code(),
            };
            assert_eq!(code, "tampered", "truncated to {len}");
        }
        // Bytes appended to a record are an altered record, too.
        let mut longer = bytes.clone();
        longer.push(0);
        let sealed = SealedSecret::from_bytes(&longer).unwrap();
        assert_eq!(
            vault
                .unseal(&scope, &key("K"), 1, &sealed)
                .unwrap_err()
                .code(),
            "tampered"
        );
    }
    for garbage in [
        &b""[..],
        b"WSEC",
        b"WSEC\x02",
        b"WSEC\x01",
        b"\x00\x01\x02",
        &[0xff; 200],
    ] {
        assert_eq!(
            SealedSecret::from_bytes(garbage).unwrap_err().code(),
            "tampered"
        );
    }
}

#[test]
fn unknown_format_version_is_tampered() {
    let vault = Vault::new(kek(1, 1));
    let mut bytes = vault
        .seal(&Scope::workspace(ws("acme")), &key("K"), 1, &value("v"))
        .unwrap()
        .to_bytes();
    for version in [0x00, 0x03, 0xff] {
        bytes[4] = version;
        assert_eq!(
            SealedSecret::from_bytes(&bytes).unwrap_err().code(),
            "tampered"
        );
    }
}

#[test]
fn kek_rotation() {
    let keyring = kek(1, 1);
    let vault = Vault::new(keyring.clone());
    let scope = Scope::workspace(ws("acme"));
    let k = key("API_KEY");
    let sealed = vault.seal(&scope, &k, 1, &value("rotate me")).unwrap();
    assert_eq!(sealed.key_id(), KeyId::from(1));

    // Phase one: every instance learns KEK 2; phase two: it becomes active.
    keyring
        .add_key(KeyId::from(2), Zeroizing::new([2; 32]))
        .unwrap();
    keyring.set_active(KeyId::from(2)).unwrap();
    assert_eq!(
        vault.active_key(),
        KeyId::from(2),
        "the vault sees the shared keyring"
    );
    assert_eq!(
        vault
            .unseal(&scope, &k, 1, &sealed)
            .unwrap()
            .expose_secret(),
        "rotate me"
    );
    assert_eq!(
        vault.seal(&scope, &k, 1, &value("new")).unwrap().key_id(),
        KeyId::from(2)
    );

    let moved = vault.rewrap(&scope, &k, 1, &sealed).unwrap();
    assert_eq!(moved.key_id(), KeyId::from(2));
    assert_eq!(
        vault.unseal(&scope, &k, 1, &moved).unwrap().expose_secret(),
        "rotate me"
    );
    // The value's nonce, ciphertext and tag are untouched: only the wrap changed.
    let (old, new) = (sealed.to_bytes(), moved.to_bytes());
    assert_eq!(old.len(), new.len());
    assert_eq!(old[71..], new[71..], "value nonce and ciphertext");
    assert_ne!(old[5..71], new[5..71], "KEK id and wrapped key");
    // Rewrapping a current record changes nothing.
    assert_eq!(vault.rewrap(&scope, &k, 1, &moved).unwrap().to_bytes(), new);

    // Retire KEK 1: moved records still open, unmoved ones name the missing key.
    keyring.remove_key(KeyId::from(1)).unwrap();
    assert_eq!(
        vault.unseal(&scope, &k, 1, &moved).unwrap().expose_secret(),
        "rotate me"
    );
    let err = vault.unseal(&scope, &k, 1, &sealed).unwrap_err();
    assert_eq!(err.code(), "unknown_key_id");
    assert!(matches!(err, workflow_secrets::Error::UnknownKeyId { id } if id == KeyId::from(1)));
    assert_eq!(
        vault.rewrap(&scope, &k, 1, &sealed).unwrap_err().code(),
        "unknown_key_id"
    );

    // A vault that never had KEK 1.
    let fresh = Vault::new(kek(2, 2));
    assert_eq!(
        fresh.unseal(&scope, &k, 1, &sealed).unwrap_err().code(),
        "unknown_key_id"
    );
}

#[test]
fn keyring_error_codes() {
    let keyring = kek(1, 1);
    let code = |r: Result<(), workflow_secrets::Error>| r.unwrap_err().code();
    assert_eq!(
        code(keyring.add_key(KeyId::from(1), Zeroizing::new([9; 32]))),
        "already_exists"
    );
    assert_eq!(code(keyring.set_active(KeyId::from(2))), "unknown_key_id");
    assert_eq!(code(keyring.remove_key(KeyId::from(1))), "key_in_use");
    assert_eq!(code(keyring.remove_key(KeyId::from(2))), "unknown_key_id");
    keyring
        .add_key(KeyId::from(2), Zeroizing::new([2; 32]))
        .unwrap();
    assert_eq!(code(keyring.remove_key(KeyId::from(1))), "key_in_use");
    keyring.set_active(KeyId::from(2)).unwrap();
    keyring.remove_key(KeyId::from(1)).unwrap();
    assert_eq!(code(keyring.remove_key(KeyId::from(1))), "unknown_key_id");
    assert_eq!(keyring.ids(), vec![KeyId::from(2)]);
    // The refused add_key did not replace key 1's bytes: a record sealed before opens.
    let ring = kek(5, 5);
    let vault = Vault::new(ring.clone());
    let scope = Scope::workspace(ws("acme"));
    let sealed = vault.seal(&scope, &key("K"), 1, &value("v")).unwrap();
    assert!(
        ring.add_key(KeyId::from(5), Zeroizing::new([6; 32]))
            .is_err()
    );
    assert_eq!(
        vault
            .unseal(&scope, &key("K"), 1, &sealed)
            .unwrap()
            .expose_secret(),
        "v"
    );
}

#[test]
fn export_import_round_trip() {
    let keyring = kek(1, 1);
    keyring
        .add_key(KeyId::from(2), Zeroizing::new([2; 32]))
        .unwrap();
    keyring
        .add_key(KeyId::from(70_000), Zeroizing::new([7; 32]))
        .unwrap();
    keyring.set_active(KeyId::from(2)).unwrap();
    let scope = Scope::workspace(ws("acme"));
    let vault = Vault::new(keyring.clone());
    let sealed = vault
        .seal(&scope, &key("K"), 1, &value("exported"))
        .unwrap();

    let export = keyring.export();
    assert_eq!(&export[..5], b"WSKR\x01");
    assert_eq!(export.len(), 13 + 3 * 36);
    let restored = LocalKeyring::import(&export).unwrap();
    assert_eq!(restored.active(), KeyId::from(2));
    assert_eq!(restored.ids(), keyring.ids());
    assert_eq!(restored.export()[..], export[..]);
    let vault2 = Vault::new(restored.clone());
    assert_eq!(
        vault2
            .unseal(&scope, &key("K"), 1, &sealed)
            .unwrap()
            .expose_secret(),
        "exported"
    );
    // The import is a new keyring, not a handle on the old one.
    restored.set_active(KeyId::from(1)).unwrap();
    assert_eq!(keyring.active(), KeyId::from(2));

    for bad in [
        &b""[..],
        b"WSKR",
        b"WSKR\x02\x00\x00\x00\x01\x00\x00\x00\x00",
    ] {
        assert_eq!(LocalKeyring::import(bad).unwrap_err().code(), "tampered");
    }
}

#[test]
fn debug_shows_no_key_or_value_bytes() {
    const MARKER: &str = "MARKER-7f3a9c-VALUE";
    let key_bytes = [0xab_u8; 32];
    let keyring = LocalKeyring::from_key(KeyId::from(4), Zeroizing::new(key_bytes));
    keyring
        .add_key(KeyId::from(5), Zeroizing::new([0xcd; 32]))
        .unwrap();
    let vault = Vault::new(keyring.clone());
    let scope = Scope::workspace(ws("acme"));
    let sealed = vault.seal(&scope, &key("K"), 1, &value(MARKER)).unwrap();
    let bytes = sealed.to_bytes();

    let outputs = [
        format!("{keyring:?}"),
        format!("{keyring:#?}"),
        format!("{vault:?}"),
        format!("{vault:#?}"),
        format!("{sealed:?}"),
        format!("{sealed:#?}"),
    ];
    let forbidden = [
        MARKER.to_string(),
        "abab".into(),
        "ABAB".into(),
        "cdcd".into(),
        "171, 171".into(), // 0xab as a decimal array
        "205, 205".into(),
        format!("{:?}", &bytes[11..20]), // any run of the sealed bytes as a decimal array
        bytes[20..24]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    ];
    for out in &outputs {
        for bad in &forbidden {
            assert!(!out.contains(bad.as_str()), "{out:?} contains {bad:?}");
        }
    }
    assert_eq!(outputs[0], "LocalKeyring { active: 4, ids: [4, 5] }");
    assert_eq!(outputs[2], "Vault { active_key: 4, .. }");
    assert_eq!(
        outputs[4],
        format!("SealedSecret {{ key_id: 4, len: {} }}", bytes.len())
    );
}

#[test]
fn serde_round_trip() {
    let vault = Vault::new(kek(1, 1));
    let scope = Scope::workspace(ws("acme"));
    let sealed = vault
        .seal(&scope, &key("K"), 1, &value("over the wire"))
        .unwrap();
    let json = serde_json::to_vec(&sealed).unwrap();
    let back: SealedSecret = serde_json::from_slice(&json).unwrap();
    assert_eq!(back.to_bytes(), sealed.to_bytes());
    assert_eq!(
        vault
            .unseal(&scope, &key("K"), 1, &back)
            .unwrap()
            .expose_secret(),
        "over the wire"
    );
    assert!(serde_json::from_str::<SealedSecret>("[87, 83, 69, 67]").is_err());
}

/// A wrapper that breaks its contract: the vault must refuse, never panic.
struct BadWrapper {
    wrapped_len: usize,
}

impl KeyWrapper for BadWrapper {
    fn active_key(&self) -> KeyId {
        KeyId::from(9)
    }

    fn wrap(
        &self,
        _id: KeyId,
        _data_key: &[u8; 32],
        _aad: &[u8],
    ) -> Result<Vec<u8>, workflow_secrets::Error> {
        Ok(vec![0; self.wrapped_len])
    }

    fn unwrap(
        &self,
        _id: KeyId,
        _wrapped: &[u8],
        _aad: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, workflow_secrets::Error> {
        Ok(Zeroizing::new([0; 32])) // the wrong key: the value's tag catches it
    }
}

#[test]
fn a_contract_breaking_wrapper_is_refused_without_panic() {
    let scope = Scope::workspace(ws("acme"));
    for wrapped_len in [0, 1_025, 100_000] {
        let vault = Vault::new(BadWrapper { wrapped_len });
        let err = vault.seal(&scope, &key("K"), 1, &value("v")).unwrap_err();
        assert_eq!(err.code(), "tampered", "wrapped_len {wrapped_len}");
    }
    // A wrapper that "unwraps" a wrong data key: the value does not open.
    let honest = Vault::new(kek(9, 9));
    let sealed = honest.seal(&scope, &key("K"), 1, &value("v")).unwrap();
    let liar = Vault::new(BadWrapper { wrapped_len: 60 });
    assert_eq!(
        liar.unseal(&scope, &key("K"), 1, &sealed)
            .unwrap_err()
            .code(),
        "tampered"
    );
}

#[test]
fn rotation_while_other_threads_seal_and_open() {
    let keyring = kek(1, 1);
    let vault = Vault::new(keyring.clone());
    let scope = Scope::workspace(ws("acme"));
    std::thread::scope(|s| {
        for t in 0..3 {
            let (vault, scope) = (vault.clone(), scope.clone());
            s.spawn(move || {
                for i in 0..300 {
                    let text = format!("value-{t}-{i}");
                    let sealed = vault.seal(&scope, &key("K"), i, &value(&text)).unwrap();
                    let opened = vault.unseal(&scope, &key("K"), i, &sealed).unwrap();
                    assert_eq!(opened.expose_secret(), text);
                }
            });
        }
        for id in 2..50 {
            keyring
                .add_key(KeyId::from(id), Zeroizing::new([id as u8; 32]))
                .unwrap();
            keyring.set_active(KeyId::from(id)).unwrap();
        }
    });
    assert_eq!(vault.active_key(), KeyId::from(49));
}

#[test]
fn sealed_secrets_compare_by_bytes() {
    let vault = Vault::new(kek(1, 1));
    let scope = Scope::workspace(ws("acme"));
    let a = vault.seal(&scope, &key("K"), 1, &value("v")).unwrap();
    let b = vault.seal(&scope, &key("K"), 1, &value("v")).unwrap();
    assert_eq!(a, SealedSecret::from_bytes(&a.to_bytes()).unwrap());
    assert_ne!(a, b);
}
