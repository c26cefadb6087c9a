//! Envelope encryption: the `Vault`, key-encryption keys and the sealed format.
//!
//! One concept per file:
//!
//! - `aad`: the two byte-exact associated data ([`guide::sealing`](crate::guide::sealing));
//! - `key_id`: [`KeyId`], the public name of a key-encryption key (KEK);
//! - `wrapper`: the [`KeyWrapper`] trait a vault wraps data keys through;
//! - `keyring`: [`LocalKeyring`], the built-in wrapper (AES-256-GCM KEKs in memory);
//! - `role`: [`RecordRole`], the slot (current or kept version) a record is bound to;
//! - `sealed`: [`SealedSecret`] and its versioned byte format;
//! - `vault`: [`Vault`], which seals, opens and rewraps.
//!
//! # The envelope
//!
//! A seal draws a fresh 256-bit data key and a 96-bit value nonce, encrypts the
//! value under the data key with AES-256-GCM and the value's associated data, and
//! has the active KEK wrap the data key, binding the value's associated data
//! followed by the KEK id (u32 big-endian). The record is laid out as
//!
//! ```text
//! "WSEC" | 0x02 | KEK id (u32 BE) | w (u16 BE) | wrapped data key (w bytes)
//!        | value nonce (12) | value ciphertext | value tag (16)
//! ```
//!
//! where a [`LocalKeyring`]'s wrapped key is its nonce (12), the encrypted data key
//! (32) and the tag (16), so w = 60. [`SealedSecret`] documents each field.

mod aad;
mod keyring;
mod role;
mod sealed;
mod vault;
mod wrapper;

pub use crate::vocab::KeyId;
// In the signatures of `KeyWrapper::unwrap` and `LocalKeyring`, so users need not
// depend on `zeroize` to name it.
pub use keyring::LocalKeyring;
pub use role::RecordRole;
pub use sealed::SealedSecret;
pub use vault::Vault;
pub use wrapper::KeyWrapper;
pub use zeroize::Zeroizing;
