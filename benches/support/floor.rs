//! The envelope-unseal floor of a resolution, shared by `benches/resolve.rs` and the
//! store crates' benches: the raw `aes-gcm` steps of one envelope unseal, with the
//! crate's own `aes-gcm`. Unwrap the 32-byte data key under a KEK cipher built once,
//! `Aes256Gcm::new` for the data key, decrypt the 64-byte value. Included by path into
//! each bench, so all of them measure the same floor.
#![allow(unreachable_pub)] // a module included by path into benches

use std::hint::black_box;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};

/// The length of a personal-scope record's value associated data (the crate's
/// `crypto::aad` layout, format 2: version, record role and scope tag, two
/// u32-length-prefixed ids, the length-prefixed key name, a u64 version). The
/// wrap's adds the 4-byte KEK id. GHASH runs over it, so the floor binds
/// associated data of the same length.
pub fn personal_aad_len(workspace: &str, user: &str, key: &str) -> usize {
    3 + 4 + workspace.len() + 4 + user.len() + 4 + key.len() + 8
}

/// One envelope made by hand, and the raw steps that open it.
pub struct Floor {
    kek: Aes256Gcm,
    wrap_aad: Vec<u8>,
    value_aad: Vec<u8>,
    wrapped: [u8; 32],
    wrap_tag: aes_gcm::Tag,
    ciphertext: [u8; 64],
    value_tag: aes_gcm::Tag,
}

impl Floor {
    /// An envelope whose value associated data is `value_aad_len` bytes long (see
    /// [`personal_aad_len`]).
    pub fn new(value_aad_len: usize) -> Floor {
        let kek = Aes256Gcm::new((&[0x42u8; 32]).into());
        let value_aad = vec![0x5a; value_aad_len];
        let mut wrap_aad = value_aad.clone();
        wrap_aad.extend_from_slice(&1u32.to_be_bytes());
        let data_key = [0x17u8; 32];
        let mut wrapped = [0u8; 32];
        let wrap_tag = kek
            .encrypt_inout_detached(
                (&[1u8; 12]).into(),
                &wrap_aad,
                InOutBuf::new(&data_key, &mut wrapped).unwrap(),
            )
            .unwrap();
        let mut ciphertext = [0u8; 64];
        let value_tag = Aes256Gcm::new((&data_key).into())
            .encrypt_inout_detached(
                (&[2u8; 12]).into(),
                &value_aad,
                InOutBuf::new(&[b'v'; 64], &mut ciphertext).unwrap(),
            )
            .unwrap();
        Floor {
            kek,
            wrap_aad,
            value_aad,
            wrapped,
            wrap_tag,
            ciphertext,
            value_tag,
        }
    }

    /// Opens the envelope: two out-of-place decrypts, as the crate's `Vault::unseal`
    /// and `LocalKeyring::unwrap` do them. The data key goes to a stack array; the
    /// value to an exact-size `Vec`, the one allocation, because a resolved value is
    /// owned (the crate's `Vault::unseal` allocates the same `Vec`, which becomes the
    /// `SecretValue`).
    pub fn unseal(&self) -> Vec<u8> {
        let mut data_key = [0u8; 32];
        self.kek
            .decrypt_inout_detached(
                (&[1u8; 12]).into(),
                &self.wrap_aad,
                InOutBuf::new(black_box(&self.wrapped), &mut data_key).unwrap(),
                &self.wrap_tag,
            )
            .unwrap();
        let cipher = Aes256Gcm::new((&data_key).into());
        let mut plaintext = vec![0u8; self.ciphertext.len()];
        cipher
            .decrypt_inout_detached(
                (&[2u8; 12]).into(),
                &self.value_aad,
                InOutBuf::new(black_box(&self.ciphertext), &mut plaintext).unwrap(),
                &self.value_tag,
            )
            .unwrap();
        plaintext
    }
}
