//! `LocalKeyring`: the built-in [`KeyWrapper`], several AES-256 KEKs by id.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use rand::Rng;
use zeroize::Zeroizing;

use crate::crypto::{KeyId, KeyWrapper};
use crate::vocab::Error;

/// Length of a wrap nonce (AES-GCM, 96 bits).
const NONCE_LEN: usize = 12;
/// Length of an AES-GCM tag.
const TAG_LEN: usize = 16;
/// Length of what [`LocalKeyring::wrap`] returns: nonce, encrypted data key, tag.
pub(crate) const WRAPPED_LEN: usize = NONCE_LEN + 32 + TAG_LEN;

/// First bytes of an export.
const EXPORT_MAGIC: [u8; 4] = *b"WSKR";
/// Version of the export format.
const EXPORT_VERSION: u8 = 0x01;
/// Magic, version, active id, count.
const EXPORT_HEADER_LEN: usize = 4 + 1 + 4 + 4;
/// One key: id, then the 32 key bytes.
const EXPORT_ENTRY_LEN: usize = 4 + 32;

/// The built-in [`KeyWrapper`]: 256-bit key-encryption keys (KEKs) held in memory,
/// by [`KeyId`], one of them active.
///
/// **Holds secret material; zeroized on drop**: each KEK's bytes and its AES key
/// schedule are wiped when the key is removed or the last handle drops. `Debug`
/// prints the ids and the active id, never a key byte.
///
/// A `LocalKeyring` is a **shared handle**: clones, and every
/// [`Vault`](crate::Vault) built on one, see [`add_key`](Self::add_key),
/// [`set_active`](Self::set_active) and [`remove_key`](Self::remove_key) at once.
/// Each KEK keeps a ready AES-256-GCM cipher, so a wrap or unwrap costs no key
/// set-up; methods take a read lock (wrap, unwrap) or a write lock (changes).
///
/// Data keys are wrapped with AES-256-GCM under a random 96-bit nonce; the wrapped
/// form is 60 bytes: nonce (12), encrypted data key (32), tag (16).
///
/// # Key rotation and the nonce budget
///
/// Random 96-bit nonces allow at most 2^32 wraps per KEK before the chance of a
/// repeated nonce (which breaks AES-GCM's guarantees for that key) passes 2^-32.
/// Each [`Vault::seal`](crate::Vault::seal) and each
/// [`Vault::rewrap`](crate::Vault::rewrap) that moves a record is one wrap under
/// the active KEK; unseals cost none. Rotate well before the budget, and whenever a
/// KEK may have leaked:
///
/// 1. [`add_key`](Self::add_key) the new KEK on every instance, and persist the
///    [`export`](Self::export) (protected by the host's KMS);
/// 2. [`set_active`](Self::set_active) it: new seals use it, old records still open;
/// 3. rewrap every record (`Secrets::rewrap_all`, or [`Vault::rewrap`](crate::Vault::rewrap)
///    one by one): only the 60-byte wrapped data key changes;
/// 4. [`remove_key`](Self::remove_key) the old KEK once nothing needs it.
///
/// # Example
///
/// ```
/// use workflow_secrets::{crypto::{KeyId, Zeroizing}, LocalKeyring};
///
/// let keyring = LocalKeyring::from_key(KeyId::from(1), Zeroizing::new([7; 32]));
/// let handle = keyring.clone(); // the same keyring, as a Vault would hold it
///
/// keyring.add_key(KeyId::from(2), Zeroizing::new([9; 32]))?;
/// keyring.set_active(KeyId::from(2))?;
/// keyring.remove_key(KeyId::from(1))?;
/// assert_eq!(handle.ids(), vec![KeyId::from(2)]);
///
/// // Versioned bytes for the host to protect with its KMS, and back.
/// let export = keyring.export();
/// let restored = LocalKeyring::import(&export)?;
/// assert_eq!(restored.active(), KeyId::from(2));
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone)]
pub struct LocalKeyring {
    state: Arc<RwLock<State>>,
}

/// The keys and which one is active. Invariant: `keys` holds `active`.
struct State {
    keys: BTreeMap<KeyId, Kek>,
    active: KeyId,
}

/// One KEK: its bytes (for `export`) and its ready cipher (for the hot path).
/// Both wipe themselves on drop (`Zeroizing`; aes-gcm's `zeroize` feature).
struct Kek {
    key: Zeroizing<[u8; 32]>,
    cipher: Aes256Gcm,
}

impl Kek {
    fn new(key: Zeroizing<[u8; 32]>) -> Kek {
        let cipher = Aes256Gcm::new((&*key).into());
        Kek { key, cipher }
    }
}

impl LocalKeyring {
    /// A keyring with one random 256-bit KEK, id 1, active.
    ///
    /// The key comes from the operating system's CSPRNG (through `rand`'s
    /// thread-local generator).
    pub fn generate() -> LocalKeyring {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(&mut *key);
        LocalKeyring::from_key(KeyId::from(1), key)
    }

    /// A keyring with one KEK, `key` under `id`, active.
    ///
    /// The key moves in as [`Zeroizing`], so the caller's copy is wiped when the
    /// keyring drops it.
    pub fn from_key(id: KeyId, key: Zeroizing<[u8; 32]>) -> LocalKeyring {
        let mut keys = BTreeMap::new();
        keys.insert(id, Kek::new(key));
        LocalKeyring {
            state: Arc::new(RwLock::new(State { keys, active: id })),
        }
    }

    /// Adds a KEK; it is not active until [`set_active`](Self::set_active).
    ///
    /// # Errors
    ///
    /// `already_exists` when the keyring holds `id` already (it never replaces a
    /// key: records wrapped under the old one would stop opening).
    pub fn add_key(&self, id: KeyId, key: Zeroizing<[u8; 32]>) -> Result<(), Error> {
        let mut state = self.write();
        if state.keys.contains_key(&id) {
            return Err(Error::AlreadyExists {
                what: format!("key-encryption key {id}"),
            });
        }
        state.keys.insert(id, Kek::new(key));
        Ok(())
    }

    /// Makes `id` the KEK that new seals and rewraps use.
    ///
    /// # Errors
    ///
    /// `unknown_key_id` when the keyring does not hold `id`.
    pub fn set_active(&self, id: KeyId) -> Result<(), Error> {
        let mut state = self.write();
        if !state.keys.contains_key(&id) {
            return Err(Error::UnknownKeyId { id });
        }
        state.active = id;
        Ok(())
    }

    /// Retires KEK `id`, wiping it. Records still wrapped under it stop opening
    /// (`unknown_key_id`): rewrap them first.
    ///
    /// # Errors
    ///
    /// `key_in_use` when `id` is the active KEK; `unknown_key_id` when the keyring
    /// does not hold `id`.
    pub fn remove_key(&self, id: KeyId) -> Result<(), Error> {
        let mut state = self.write();
        if state.active == id {
            return Err(Error::KeyInUse { id });
        }
        match state.keys.remove(&id) {
            Some(_kek) => Ok(()), // dropped here: zeroized
            None => Err(Error::UnknownKeyId { id }),
        }
    }

    /// The id of the active KEK.
    pub fn active(&self) -> KeyId {
        self.read().active
    }

    /// The ids of every KEK held, ascending.
    pub fn ids(&self) -> Vec<KeyId> {
        self.read().keys.keys().copied().collect()
    }

    /// Every KEK as versioned bytes, for the host to encrypt with its KMS and
    /// store; [`import`](Self::import) reads them back.
    ///
    /// **The bytes are the raw keys**: never store or log them unprotected. They
    /// come in one exact-size buffer, wiped on drop.
    ///
    /// Format (version 1), all integers big-endian:
    ///
    /// | bytes | field |
    /// |---|---|
    /// | 4 | magic `WSKR` |
    /// | 1 | export format version, `0x01` |
    /// | 4 | active KEK id, u32 |
    /// | 4 | number of keys `n`, u32 |
    /// | 36 × `n` | each key, ascending by id: id (u32), then its 32 bytes |
    pub fn export(&self) -> Zeroizing<Vec<u8>> {
        let state = self.read();
        let mut out = Zeroizing::new(Vec::with_capacity(
            EXPORT_HEADER_LEN + EXPORT_ENTRY_LEN * state.keys.len(),
        ));
        out.extend_from_slice(&EXPORT_MAGIC);
        out.push(EXPORT_VERSION);
        out.extend_from_slice(&state.active.get().to_be_bytes());
        let count = u32::try_from(state.keys.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for (id, kek) in &state.keys {
            out.extend_from_slice(&id.get().to_be_bytes());
            out.extend_from_slice(&*kek.key);
        }
        out
    }

    /// Reads bytes that [`export`](Self::export) made into a new keyring (not
    /// shared with the exporting one).
    ///
    /// # Errors
    ///
    /// `tampered` for anything that is not a well-formed export: wrong magic, an
    /// unknown format version, a length that does not match the key count, no
    /// keys, a repeated id, or an active id that is not among the keys. The error
    /// is deliberately as opaque as a failed decryption: the host usually gets
    /// these bytes from its KMS, and a malformed export means a wrong or altered
    /// blob.
    pub fn import(bytes: &[u8]) -> Result<LocalKeyring, Error> {
        let header = bytes.get(..EXPORT_HEADER_LEN).ok_or(Error::Tampered)?;
        if header.get(..4) != Some(&EXPORT_MAGIC[..]) || header.get(4) != Some(&EXPORT_VERSION) {
            return Err(Error::Tampered);
        }
        let active = KeyId::from(read_u32(header, 5)?);
        let count = usize::try_from(read_u32(header, 9)?).map_err(|_| Error::Tampered)?;
        let body = bytes.get(EXPORT_HEADER_LEN..).ok_or(Error::Tampered)?;
        if count == 0 || count.checked_mul(EXPORT_ENTRY_LEN) != Some(body.len()) {
            return Err(Error::Tampered);
        }
        let mut keys = BTreeMap::new();
        for entry in body.chunks_exact(EXPORT_ENTRY_LEN) {
            let id = KeyId::from(read_u32(entry, 0)?);
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(entry.get(4..).ok_or(Error::Tampered)?);
            if keys.insert(id, Kek::new(key)).is_some() {
                return Err(Error::Tampered);
            }
        }
        if !keys.contains_key(&active) {
            return Err(Error::Tampered);
        }
        Ok(LocalKeyring {
            state: Arc::new(RwLock::new(State { keys, active })),
        })
    }

    // A poisoned lock means a panic elsewhere while a writer held it; every write
    // here leaves the state consistent at each step, so the data is still sound.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, Error> {
    let field = bytes.get(at..at + 4).ok_or(Error::Tampered)?;
    let array: [u8; 4] = field.try_into().map_err(|_| Error::Tampered)?;
    Ok(u32::from_be_bytes(array))
}

impl KeyWrapper for LocalKeyring {
    fn active_key(&self) -> KeyId {
        self.active()
    }

    fn wrap(&self, id: KeyId, data_key: &[u8; 32], aad: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = vec![0u8; WRAPPED_LEN];
        let (nonce_out, rest) = out.split_at_mut(NONCE_LEN);
        let (sealed_key, tag_out) = rest.split_at_mut(32);
        nonce_out.copy_from_slice(&nonce);
        let state = self.read();
        let kek = state.keys.get(&id).ok_or(Error::UnknownKeyId { id })?;
        let buf = InOutBuf::new(data_key, sealed_key).map_err(|_| Error::Tampered)?;
        let tag = kek
            .cipher
            .encrypt_inout_detached((&nonce).into(), aad, buf)
            .map_err(|_| Error::Tampered)?;
        tag_out.copy_from_slice(&tag);
        Ok(out)
    }

    fn unwrap(&self, id: KeyId, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<[u8; 32]>, Error> {
        let state = self.read();
        let kek = state.keys.get(&id).ok_or(Error::UnknownKeyId { id })?;
        if wrapped.len() != WRAPPED_LEN {
            return Err(Error::Tampered);
        }
        let (nonce, rest) = wrapped.split_at(NONCE_LEN);
        let (sealed_key, tag) = rest.split_at(32);
        let mut data_key = Zeroizing::new([0u8; 32]);
        let buf = InOutBuf::new(sealed_key, &mut data_key[..]).map_err(|_| Error::Tampered)?;
        let nonce = nonce.try_into().map_err(|_| Error::Tampered)?;
        let tag = tag.try_into().map_err(|_| Error::Tampered)?;
        kek.cipher
            .decrypt_inout_detached(nonce, aad, buf, tag)
            .map_err(|_| Error::Tampered)?;
        Ok(data_key)
    }
}

impl fmt::Debug for LocalKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("LocalKeyring")
            .field("active", &state.active.get())
            .field(
                "ids",
                &state.keys.keys().map(|id| id.get()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn key(byte: u8) -> Zeroizing<[u8; 32]> {
        Zeroizing::new([byte; 32])
    }

    #[test]
    fn wrap_round_trip_binds_aad_and_id() {
        let ring = LocalKeyring::from_key(KeyId::from(1), key(1));
        ring.add_key(KeyId::from(2), key(2)).unwrap();
        let dk = [0x5a; 32];
        let wrapped = ring.wrap(KeyId::from(1), &dk, b"aad").unwrap();
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        assert_eq!(*ring.unwrap(KeyId::from(1), &wrapped, b"aad").unwrap(), dk);
        let code = |r: Result<Zeroizing<[u8; 32]>, Error>| r.unwrap_err().code();
        assert_eq!(
            code(ring.unwrap(KeyId::from(1), &wrapped, b"aae")),
            "tampered"
        );
        assert_eq!(
            code(ring.unwrap(KeyId::from(2), &wrapped, b"aad")),
            "tampered"
        );
        assert_eq!(
            code(ring.unwrap(KeyId::from(3), &wrapped, b"aad")),
            "unknown_key_id"
        );
        assert_eq!(
            code(ring.unwrap(KeyId::from(1), &wrapped[1..], b"aad")),
            "tampered"
        );
        assert_eq!(
            ring.wrap(KeyId::from(3), &dk, b"").unwrap_err().code(),
            "unknown_key_id"
        );
    }

    #[test]
    fn wraps_use_fresh_nonces() {
        let ring = LocalKeyring::generate();
        let a = ring.wrap(ring.active(), &[1; 32], b"").unwrap();
        let b = ring.wrap(ring.active(), &[1; 32], b"").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn import_rejects_malformed_exports() {
        let ring = LocalKeyring::from_key(KeyId::from(4), key(4));
        ring.add_key(KeyId::from(9), key(9)).unwrap();
        let good = ring.export();
        assert!(LocalKeyring::import(&good).is_ok());
        for len in 0..good.len() {
            assert_eq!(
                LocalKeyring::import(&good[..len]).unwrap_err().code(),
                "tampered"
            );
        }
        let mut longer = good.to_vec();
        longer.push(0);
        assert_eq!(
            LocalKeyring::import(&longer).unwrap_err().code(),
            "tampered"
        );

        let mutate = |at: usize, byte: u8| {
            let mut bytes = good.to_vec();
            bytes[at] = byte;
            LocalKeyring::import(&bytes).map(|_| ())
        };
        assert!(mutate(0, b'X').is_err(), "magic");
        assert!(mutate(4, 0x02).is_err(), "version");
        assert!(mutate(8, 5).is_err(), "active id not held");
        assert!(mutate(12, 3).is_err(), "count does not match");
        // Second entry's id made equal to the first's.
        let second_id_last_byte = EXPORT_HEADER_LEN + EXPORT_ENTRY_LEN + 3;
        assert!(mutate(second_id_last_byte, 4).is_err(), "repeated id");

        let mut empty = good[..EXPORT_HEADER_LEN].to_vec();
        empty[9..13].copy_from_slice(&0u32.to_be_bytes());
        assert!(LocalKeyring::import(&empty).is_err(), "no keys");
    }
}
