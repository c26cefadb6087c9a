//! TEMPORARY stand-ins until the crypto branch lands (deleted at merge).
#![allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    dead_code
)]

use crate::{Error, KeyId, Scope, SecretKey, SecretValue};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedSecret {
    bytes: Vec<u8>,
}

impl SealedSecret {
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }
    pub fn from_bytes(bytes: &[u8]) -> Result<SealedSecret, Error> {
        Ok(SealedSecret {
            bytes: bytes.to_vec(),
        })
    }
    pub fn key_id(&self) -> KeyId {
        KeyId::from(1)
    }
}

#[derive(Clone, Debug)]
pub struct LocalKeyring;
impl LocalKeyring {
    pub fn generate() -> LocalKeyring {
        LocalKeyring
    }
}

#[derive(Clone, Debug)]
pub struct Vault;
impl Vault {
    pub fn new(_w: LocalKeyring) -> Vault {
        Vault
    }
    pub fn seal(
        &self,
        _s: &Scope,
        _k: &SecretKey,
        _v: u64,
        value: &SecretValue,
    ) -> Result<SealedSecret, Error> {
        Ok(SealedSecret {
            bytes: value.expose_secret().as_bytes().to_vec(),
        })
    }
    pub fn unseal(
        &self,
        _s: &Scope,
        _k: &SecretKey,
        _v: u64,
        sealed: &SealedSecret,
    ) -> Result<SecretValue, Error> {
        SecretValue::from_utf8(sealed.bytes.clone())
    }
    pub fn rewrap(
        &self,
        _s: &Scope,
        _k: &SecretKey,
        _v: u64,
        sealed: &SealedSecret,
    ) -> Result<SealedSecret, Error> {
        Ok(sealed.clone())
    }
}

impl Vault {
    pub fn active_key(&self) -> KeyId {
        KeyId::from(1)
    }
}
