#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The envelope is AES-256-GCM with the associated data `guide::sealing` gives, shown
//! without the crate's own code: each record is opened here with the `aes-gcm` crate
//! directly, its associated data built by hand from the guide's table, and its bytes
//! cut by the guide's offsets. A vault that used another cipher, another key size,
//! another nonce layout or other associated data would pass its own round trips and
//! fail here (SECURITY.md, "Encryption at rest").

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use serde::Deserialize;
use workflow_secrets::crypto::{KeyId, RecordRole, Zeroizing};
use workflow_secrets::{
    LocalKeyring, Scope, SecretKey, SecretValue, UserId, Vault, WorkflowId, WorkspaceId,
};

const PATH_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sealed_v1.json");
const PATH_V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sealed_v2.json");

#[derive(Deserialize)]
struct Golden {
    kek_id: u32,
    kek_hex: String,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    scope_kind: String,
    workspace: String,
    #[serde(default)]
    second_id: Option<String>,
    key: String,
    version: u64,
    #[serde(default)]
    role: Option<String>,
    value: String,
    sealed_hex: String,
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A u32 big-endian length, then the bytes.
fn length_prefixed(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&u32::try_from(text.len()).unwrap().to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// The value's associated data, from the guide's table: format version, the
/// record's role (format 2 only: 0x01 current, 0x02 a kept version), scope tag,
/// workspace id, the second id (workflow or user; none for the workspace scope),
/// key name, value version. `role` is `None` for format 1.
fn value_aad(
    role: Option<&str>,
    kind: &str,
    workspace: &str,
    second: Option<&str>,
    key: &str,
    version: u64,
) -> Vec<u8> {
    let tag = match kind {
        "workflow" => 0x01,
        "workspace" => 0x02,
        "personal" => 0x03,
        other => panic!("unknown scope kind {other}"),
    };
    let mut aad = match role {
        None => vec![0x01],
        Some("current") => vec![0x02, 0x01],
        Some("history") => vec![0x02, 0x02],
        Some(other) => panic!("unknown role {other}"),
    };
    aad.push(tag);
    length_prefixed(&mut aad, workspace);
    if let Some(second) = second {
        length_prefixed(&mut aad, second);
    }
    length_prefixed(&mut aad, key);
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// Opens `record` with `aes-gcm` alone: the header, the 60-byte wrapped data key
/// (nonce, encrypted key, tag) opened under the KEK with the value's associated data
/// followed by the KEK id, then the value (nonce, ciphertext, tag) under that data key.
/// Returns the plaintext and the data key it was sealed under.
fn open_independently(
    kek: &[u8; 32],
    kek_id: u32,
    record: &[u8],
    aad: &[u8],
) -> (Vec<u8>, [u8; 32]) {
    assert_eq!(&record[..4], b"WSEC", "magic");
    assert_eq!(
        record[4], aad[0],
        "the format version opens the associated data"
    );
    assert_eq!(record[5..9], kek_id.to_be_bytes(), "KEK id");
    assert_eq!(record[9..11], [0x00, 60], "wrapped data key length");
    let (wrapped, value) = record[11..].split_at(60);

    let mut wrap_aad = aad.to_vec();
    wrap_aad.extend_from_slice(&kek_id.to_be_bytes());
    let wrap_nonce: [u8; 12] = wrapped[..12].try_into().unwrap();
    let data_key = Zeroizing::new(
        Aes256Gcm::new(kek.into())
            .decrypt(
                (&wrap_nonce).into(),
                Payload {
                    msg: &wrapped[12..],
                    aad: &wrap_aad,
                },
            )
            .expect("the data key opens under the KEK with the wrap's associated data"),
    );
    let data_key: [u8; 32] = data_key[..].try_into().expect("a 256-bit data key");

    let value_nonce: [u8; 12] = value[..12].try_into().unwrap();
    let plaintext = Aes256Gcm::new((&data_key).into())
        .decrypt(
            (&value_nonce).into(),
            Payload {
                msg: &value[12..],
                aad,
            },
        )
        .expect("the value opens under the data key with the value's associated data");
    (plaintext, data_key)
}

#[test]
fn golden_records_open_with_aes_256_gcm_alone() {
    for path in [PATH_V1, PATH_V2] {
        golden_file_opens(path);
    }
}

fn golden_file_opens(path: &str) {
    let golden: Golden = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let kek: [u8; 32] = unhex(&golden.kek_hex).try_into().unwrap();
    assert!(!golden.vectors.is_empty());
    for v in &golden.vectors {
        let aad = value_aad(
            v.role.as_deref(),
            &v.scope_kind,
            &v.workspace,
            v.second_id.as_deref(),
            &v.key,
            v.version,
        );
        let (plaintext, _) = open_independently(&kek, golden.kek_id, &unhex(&v.sealed_hex), &aad);
        assert_eq!(plaintext, v.value.as_bytes(), "{}", v.name);
    }
}

#[test]
fn a_record_sealed_today_opens_with_aes_256_gcm_alone() {
    let kek: [u8; 32] = std::array::from_fn(|i| 0xa0 ^ i as u8);
    let vault = Vault::new(LocalKeyring::from_key(KeyId::from(9), Zeroizing::new(kek)));
    let ws = WorkspaceId::new("acme").unwrap();
    let cases = [
        (
            Scope::workflow(ws.clone(), WorkflowId::new("wf-1").unwrap()),
            ("workflow", Some("wf-1")),
        ),
        (Scope::workspace(ws.clone()), ("workspace", None)),
        (
            Scope::personal(ws, UserId::new("ada").unwrap()),
            ("personal", Some("ada")),
        ),
    ];
    // The same value sealed twice in each scope: every seal has its own data key and
    // its own value nonce.
    let mut data_keys = Vec::new();
    let mut value_nonces = Vec::new();
    let roles = [
        (RecordRole::Current, "current"),
        (RecordRole::History, "history"),
    ];
    for ((scope, (kind, second)), (role, role_name)) in
        cases.iter().flat_map(|case| roles.map(|role| (case, role)))
    {
        for _ in 0..2 {
            let value = SecretValue::new("sk-live-sealed-today-0042").unwrap();
            let sealed = vault
                .seal_for(role, scope, &SecretKey::new("API_KEY").unwrap(), 5, &value)
                .unwrap();
            let bytes = sealed.to_bytes();
            assert_eq!(bytes[4], 0x02, "today's format");
            let aad = value_aad(Some(role_name), kind, "acme", *second, "API_KEY", 5);
            let (plaintext, data_key) = open_independently(&kek, 9, &bytes, &aad);
            assert_eq!(plaintext, value.expose_secret().as_bytes(), "{kind}");
            data_keys.push(data_key);
            value_nonces.push(bytes[71..83].to_vec());
        }
    }
    for (i, key) in data_keys.iter().enumerate() {
        assert!(!data_keys[..i].contains(key), "seal {i} reused a data key");
        let nonce = &value_nonces[i];
        assert!(
            !value_nonces[..i].contains(nonce),
            "seal {i} reused a value nonce"
        );
    }
}
