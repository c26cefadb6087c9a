//! The envelope-unseal floor of a resolution, shared by `benches/resolve.rs` and the
//! store crates' benches: the raw `aes-gcm` steps of one envelope unseal (unwrap the data
//! key under a ready KEK cipher, set up its cipher, decrypt 64 B). Included by path
//! into each bench, so all of them measure the same floor.
#![allow(unreachable_pub, clippy::new_without_default)] // a module included by path into benches

use std::hint::black_box;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};

/// One envelope made by hand, and the raw steps that open it.
pub struct Floor {
    kek: Aes256Gcm,
    wrap_aad: Vec<u8>,
    value_aad: Vec<u8>,
    wrapped: [u8; 32],
    wrap_tag: aes_gcm::Tag,
    ciphertext: Vec<u8>,
}

impl Floor {
    pub fn new() -> Floor {
        let kek = Aes256Gcm::new((&[0x42u8; 32]).into());
        let value_aad = vec![0x5a; 80];
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
        let ciphertext = Aes256Gcm::new((&data_key).into())
            .encrypt(
                (&[2u8; 12]).into(),
                Payload {
                    msg: &[b'v'; 64],
                    aad: &value_aad,
                },
            )
            .unwrap();
        Floor {
            kek,
            wrap_aad,
            value_aad,
            wrapped,
            wrap_tag,
            ciphertext,
        }
    }

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
        Aes256Gcm::new((&data_key).into())
            .decrypt(
                (&[2u8; 12]).into(),
                Payload {
                    msg: black_box(&self.ciphertext),
                    aad: &self.value_aad,
                },
            )
            .unwrap()
    }
}
