//! `Vault`: seals and opens values, AAD-bound to scope, key and version.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use rand::Rng;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::aad::{Aad, FORMAT_VERSION, Layout};
use crate::crypto::sealed::{NONCE_LEN, SealedSecret, TAG_LEN, split_value_part};
use crate::crypto::{KeyId, KeyWrapper, RecordRole};
use crate::vocab::Error;
use crate::vocab::Scope;
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;

/// Seals secret values for storage and opens them again: AES-256-GCM envelope
/// encryption over a [`KeyWrapper`].
///
/// Each [`seal`](Self::seal) draws a fresh random 256-bit data key and a random
/// 96-bit nonce, encrypts the value under the data key, and has the wrapper's
/// active key-encryption key (KEK) wrap the data key. Both encryptions bind
/// associated data naming the scope (its kind and ids), the secret's key name and
/// the value's version; the wrap binds the KEK id too. So a record copied to
/// another scope, workspace, user, workflow, key or version fails to open
/// (`tampered`), and a KEK rotation re-wraps the 60-byte data key without touching
/// the value ([`rewrap`](Self::rewrap)).
///
/// Holds no key material of its own (the wrapper does) and no plaintext. Cheap to
/// clone: clones share one `Arc<dyn KeyWrapper>`. Keys come from the operating
/// system's CSPRNG through `rand`'s thread-local generator.
///
/// # Nonce budget
///
/// Value nonces are used once per data key, which is never reused, so they set no
/// limit. Wrap nonces are random 96-bit nonces under the KEK: at most 2^32 wraps
/// per KEK. Every seal and every rewrap that moves a record is one wrap; rotate
/// the KEK well before that, as
/// [`LocalKeyring`](crate::LocalKeyring#key-rotation-and-the-nonce-budget) shows.
///
/// # What it does not detect
///
/// A record put back whole by someone who can write the database (an older
/// version's record together with its older metadata) still opens: the associated
/// data cannot know which version is current. See SECURITY.md.
///
/// # Example
///
/// ```
/// use workflow_secrets::{LocalKeyring, Scope, SecretKey, SecretValue, Vault, WorkspaceId};
///
/// let vault = Vault::new(LocalKeyring::generate());
/// let scope = Scope::workspace(WorkspaceId::new("acme")?);
/// let key = SecretKey::new("OPENAI_API_KEY")?;
///
/// let sealed = vault.seal(&scope, &key, 1, &SecretValue::new("sk-live-1234")?)?;
/// let opened = vault.unseal(&scope, &key, 1, &sealed)?;
/// assert_eq!(opened.expose_secret(), "sk-live-1234");
///
/// // Bound to its scope, key and version.
/// let other = SecretKey::new("OTHER_KEY")?;
/// assert_eq!(vault.unseal(&scope, &other, 1, &sealed).unwrap_err().code(), "tampered");
/// assert_eq!(vault.unseal(&scope, &key, 2, &sealed).unwrap_err().code(), "tampered");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone)]
pub struct Vault {
    wrapper: Arc<dyn KeyWrapper>,
}

impl Vault {
    /// A vault over `wrapper`'s key-encryption keys.
    ///
    /// A [`LocalKeyring`](crate::LocalKeyring) is a shared handle: keep a clone to
    /// rotate keys while the vault is in use.
    pub fn new(wrapper: impl KeyWrapper + 'static) -> Vault {
        Vault {
            wrapper: Arc::new(wrapper),
        }
    }

    /// Seals `value` as version `version` of `key` in `scope`, under the active KEK,
    /// as the key's current value: [`seal_for`](Self::seal_for) with
    /// [`RecordRole::Current`].
    ///
    /// # Errors
    ///
    /// Whatever the wrapper's [`wrap`](KeyWrapper::wrap) returns (for a
    /// [`LocalKeyring`](crate::LocalKeyring), none in practice); `tampered` if the
    /// wrapper returns a wrapped key longer than 1,024 bytes or empty.
    pub fn seal(
        &self,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
        value: &SecretValue,
    ) -> Result<SealedSecret, Error> {
        self.seal_for(RecordRole::Current, scope, key, version, value)
    }

    /// Seals `value` as version `version` of `key` in `scope` for the slot `role`
    /// (format 2): a record sealed for one role does not open in the other.
    ///
    /// # Errors
    ///
    /// As [`seal`](Self::seal).
    pub fn seal_for(
        &self,
        role: RecordRole,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
        value: &SecretValue,
    ) -> Result<SealedSecret, Error> {
        let mut aad = Aad::new(Layout::V2(role), scope, key, version);
        let mut rng = rand::rng();
        let mut data_key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut *data_key);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);

        let id = self.wrapper.active_key();
        let wrapped = self.wrapper.wrap(id, &data_key, aad.wrap(id))?;
        let cipher = Aes256Gcm::new((&*data_key).into());
        let plaintext = value.expose_secret().as_bytes();
        // Encrypts straight from the value into the record: no plaintext copy.
        SealedSecret::build(
            FORMAT_VERSION,
            id,
            &wrapped,
            &nonce,
            plaintext.len(),
            |out| {
                let (ciphertext, tag_out) = out
                    .split_at_mut_checked(plaintext.len())
                    .ok_or(Error::Tampered)?;
                let buf = InOutBuf::new(plaintext, ciphertext).map_err(|_| Error::Tampered)?;
                let tag = cipher
                    .encrypt_inout_detached((&nonce).into(), aad.value(), buf)
                    .map_err(|_| Error::Tampered)?;
                tag_out.copy_from_slice(&tag);
                Ok(())
            },
        )
    }

    /// Opens a record sealed as version `version` of `key` in `scope`, as the
    /// key's current value: [`unseal_for`](Self::unseal_for) with
    /// [`RecordRole::Current`]. Records of format 1 (written before versions were
    /// kept) open here too.
    ///
    /// # Errors
    ///
    /// `tampered` when the record was sealed for another scope, key, version or
    /// role, or any byte of it changed; `unknown_key_id` when the wrapper does not
    /// hold the KEK the record names ([`SealedSecret::key_id`]).
    pub fn unseal(
        &self,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
        sealed: &SealedSecret,
    ) -> Result<SecretValue, Error> {
        self.unseal_for(RecordRole::Current, scope, key, version, sealed)
    }

    /// Opens a record sealed as version `version` of `key` in `scope` for the slot
    /// `role`. A kept version opens only as [`RecordRole::History`], and only if it
    /// is of format 2.
    ///
    /// # Errors
    ///
    /// As [`unseal`](Self::unseal).
    pub fn unseal_for(
        &self,
        role: RecordRole,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
        sealed: &SealedSecret,
    ) -> Result<SecretValue, Error> {
        let layout = Layout::to_open(sealed.format(), role).ok_or(Error::Tampered)?;
        let mut aad = Aad::new(layout, scope, key, version);
        let id = sealed.key_id();
        let data_key = self.wrapper.unwrap(id, sealed.wrapped(), aad.wrap(id))?;
        let cipher = Aes256Gcm::new((&*data_key).into());

        let (nonce, sealed_value) = split_value_part(sealed.value_part())?;
        let value_len = sealed_value
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::Tampered)?;
        let (ciphertext, tag) = sealed_value.split_at(value_len);
        let tag = tag.try_into().map_err(|_| Error::Tampered)?;
        // Decrypts into an exact-size buffer that becomes the value's own, unmoved.
        let mut plaintext = vec![0u8; value_len];
        let buf = InOutBuf::new(ciphertext, &mut plaintext).map_err(|_| Error::Tampered)?;
        match cipher.decrypt_inout_detached(nonce.into(), aad.value(), buf, tag) {
            Ok(()) => SecretValue::from_utf8(plaintext),
            Err(_) => {
                plaintext.zeroize();
                Err(Error::Tampered)
            }
        }
    }

    /// Re-wraps a record's data key under the active KEK; the value's nonce and
    /// ciphertext are copied unchanged.
    ///
    /// This is the step after a KEK rotation (see
    /// [`LocalKeyring`](crate::LocalKeyring#key-rotation-and-the-nonce-budget)).
    /// The data key is unwrapped first, so a record bound to another scope, key or
    /// version is refused just as [`unseal`](Self::unseal) refuses it; the value's
    /// own tag is checked when it is next unsealed. A record already under the
    /// active KEK comes back as it is, costing no wrap.
    ///
    /// # Errors
    ///
    /// As [`unseal`](Self::unseal): `tampered`, or `unknown_key_id` when the
    /// wrapper no longer holds the record's KEK.
    pub fn rewrap(
        &self,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
        sealed: &SealedSecret,
    ) -> Result<SealedSecret, Error> {
        self.rewrap_for(RecordRole::Current, scope, key, version, sealed)
    }

    /// Re-wraps a record of the slot `role`, as [`rewrap`](Self::rewrap) does a
    /// current one. The record keeps its format (a format-1 record stays one: its
    /// value's associated data is fixed), and its role.
    ///
    /// # Errors
    ///
    /// As [`rewrap`](Self::rewrap).
    pub fn rewrap_for(
        &self,
        role: RecordRole,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
        sealed: &SealedSecret,
    ) -> Result<SealedSecret, Error> {
        let layout = Layout::to_open(sealed.format(), role).ok_or(Error::Tampered)?;
        let mut aad = Aad::new(layout, scope, key, version);
        let old = sealed.key_id();
        let data_key = self.wrapper.unwrap(old, sealed.wrapped(), aad.wrap(old))?;
        let new = self.wrapper.active_key();
        if new == old {
            return Ok(sealed.clone());
        }
        let wrapped = self.wrapper.wrap(new, &data_key, aad.wrap(new))?;
        let (nonce, sealed_value) = split_value_part(sealed.value_part())?;
        let value_len = sealed_value
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::Tampered)?;
        SealedSecret::build(layout.format(), new, &wrapped, nonce, value_len, |out| {
            if out.len() != sealed_value.len() {
                return Err(Error::Tampered);
            }
            out.copy_from_slice(sealed_value);
            Ok(())
        })
    }

    /// The id of the KEK new seals use.
    pub fn active_key(&self) -> KeyId {
        self.wrapper.active_key()
    }
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("active_key", &self.wrapper.active_key().get())
            .finish_non_exhaustive()
    }
}
