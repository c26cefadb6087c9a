#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report
//! Seal and unseal against their raw `aes-gcm` floor, in the same group.
//!
//! Each group holds the vault's operation and one `floor` function doing the raw
//! steps that operation is made of, in sequence, so the report reads as a ratio:
//!
//! - unseal floor: unwrap the 32-byte data key under a ready KEK cipher, set up
//!   the data key's cipher (`Aes256Gcm::new`), decrypt the value;
//! - seal floor: the same random draws (data key, value nonce, wrap nonce), set up
//!   the data key's cipher, encrypt the value, wrap the data key under a ready KEK.
//!
//! Goal: the vault within 1.3x of the floor. Run with
//! `cargo bench --bench vault -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;
use workflow_secrets::{
    LocalKeyring, Scope, SecretKey, SecretValue, Vault, WorkflowId, WorkspaceId,
    crypto::{KeyId, Zeroizing},
};

const KEK: [u8; 32] = [0x42; 32];
const KEK_ID: u32 = 1;

/// The scope, key and version every bench uses: UUID-sized ids, as hosts have.
fn target() -> (Scope, SecretKey, u64) {
    let scope = Scope::workflow(
        WorkspaceId::new("9b2f4c1e-5d7a-4e8b-a3f6-0c1d2e3f4a5b").unwrap(),
        WorkflowId::new("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d").unwrap(),
    );
    (scope, SecretKey::new("OPENAI_API_KEY").unwrap(), 1)
}

/// The value's associated data for `target()`, as the guide's table gives it
/// (`workflow_secrets::guide::sealing`).
fn value_aad(scope: &Scope, key: &SecretKey, version: u64) -> Vec<u8> {
    let Scope::Workflow {
        workspace,
        workflow,
    } = scope
    else {
        unreachable!("target() is a workflow scope")
    };
    // Format 2, a current value, workflow scope.
    let mut aad = vec![0x02, 0x01, 0x01];
    for part in [workspace.as_str(), workflow.as_str(), key.as_str()] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

fn bench_seal(c: &mut Criterion, label: &str, len: usize) {
    let vault = Vault::new(LocalKeyring::from_key(
        KeyId::from(KEK_ID),
        Zeroizing::new(KEK),
    ));
    let (scope, key, version) = target();
    let value = SecretValue::new("v".repeat(len)).unwrap();
    let value_aad = value_aad(&scope, &key, version);
    let mut wrap_aad = value_aad.clone();
    wrap_aad.extend_from_slice(&KEK_ID.to_be_bytes());
    let kek = Aes256Gcm::new((&KEK).into());
    let plaintext = value.expose_secret().as_bytes();

    let mut group = c.benchmark_group(format!("seal {label}"));
    group.throughput(Throughput::Bytes(len as u64));
    group.bench_function("vault", |b| {
        b.iter(|| {
            black_box(
                vault
                    .seal(&scope, &key, version, black_box(&value))
                    .unwrap(),
            )
        })
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let mut rng = rand::rng();
            let mut data_key = [0u8; 32];
            rng.fill_bytes(&mut data_key);
            let mut value_nonce = [0u8; 12];
            rng.fill_bytes(&mut value_nonce);
            let mut wrap_nonce = [0u8; 12];
            rng.fill_bytes(&mut wrap_nonce);

            let cipher = Aes256Gcm::new((&data_key).into());
            let ciphertext = cipher
                .encrypt(
                    (&value_nonce).into(),
                    Payload {
                        msg: black_box(plaintext),
                        aad: &value_aad,
                    },
                )
                .unwrap();
            let mut wrapped = [0u8; 32];
            let tag = kek
                .encrypt_inout_detached(
                    (&wrap_nonce).into(),
                    &wrap_aad,
                    InOutBuf::new(&data_key, &mut wrapped).unwrap(),
                )
                .unwrap();
            black_box((ciphertext, wrapped, tag, value_nonce, wrap_nonce))
        })
    });
    group.finish();
}

fn bench_unseal(c: &mut Criterion, label: &str, len: usize) {
    let vault = Vault::new(LocalKeyring::from_key(
        KeyId::from(KEK_ID),
        Zeroizing::new(KEK),
    ));
    let (scope, key, version) = target();
    let value = SecretValue::new("v".repeat(len)).unwrap();
    let sealed = vault.seal(&scope, &key, version, &value).unwrap();

    // The same kind of record, made by hand for the floor.
    let value_aad = value_aad(&scope, &key, version);
    let mut wrap_aad = value_aad.clone();
    wrap_aad.extend_from_slice(&KEK_ID.to_be_bytes());
    let kek = Aes256Gcm::new((&KEK).into());
    let data_key = [0x17u8; 32];
    let (wrap_nonce, value_nonce) = ([1u8; 12], [2u8; 12]);
    let mut wrapped = [0u8; 32];
    let wrap_tag = kek
        .encrypt_inout_detached(
            (&wrap_nonce).into(),
            &wrap_aad,
            InOutBuf::new(&data_key, &mut wrapped).unwrap(),
        )
        .unwrap();
    let ciphertext = Aes256Gcm::new((&data_key).into())
        .encrypt(
            (&value_nonce).into(),
            Payload {
                msg: value.expose_secret().as_bytes(),
                aad: &value_aad,
            },
        )
        .unwrap();

    let mut group = c.benchmark_group(format!("unseal {label}"));
    group.throughput(Throughput::Bytes(len as u64));
    group.bench_function("vault", |b| {
        b.iter(|| {
            black_box(
                vault
                    .unseal(&scope, &key, version, black_box(&sealed))
                    .unwrap(),
            )
        })
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let mut data_key = [0u8; 32];
            kek.decrypt_inout_detached(
                (&wrap_nonce).into(),
                &wrap_aad,
                InOutBuf::new(black_box(&wrapped), &mut data_key).unwrap(),
                &wrap_tag,
            )
            .unwrap();
            let cipher = Aes256Gcm::new((&data_key).into());
            let plaintext = cipher
                .decrypt(
                    (&value_nonce).into(),
                    Payload {
                        msg: black_box(&ciphertext),
                        aad: &value_aad,
                    },
                )
                .unwrap();
            black_box(plaintext)
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_seal(c, "64B", 64);
    bench_seal(c, "4KiB", 4096);
    bench_unseal(c, "64B", 64);
    bench_unseal(c, "4KiB", 4096);
}

criterion_group!(vault, benches);
criterion_main!(vault);
