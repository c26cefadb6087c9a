//! `KeyWrapper`: what a [`Vault`](crate::Vault) needs from key-encryption keys.

use zeroize::Zeroizing;

use crate::vocab::Error;
use crate::vocab::KeyId;

/// Key-encryption keys (KEKs): wraps and unwraps the 256-bit data key of each
/// sealed record.
///
/// [`LocalKeyring`](crate::LocalKeyring) is the built-in implementation. A
/// [`Vault`](crate::Vault) holds one as `Arc<dyn KeyWrapper>`, so the trait is
/// object-safe.
///
/// # Implementation notes
///
/// - **Local key material, sync on purpose.** Every seal and unseal calls the
///   wrapper once, on the hot path of a workflow run. A host that keeps its root
///   key in a KMS does not call the KMS from here: it unwraps the keyring (for
///   example a [`LocalKeyring::export`](crate::LocalKeyring::export)) once at
///   start-up, as HashiCorp Vault's auto-unseal does, so no resolution waits on a
///   network round trip.
/// - **`active_key`** names the KEK new wraps use. The vault calls it, then
///   [`wrap`](Self::wrap) with that id; if the active key changed in between, the
///   wrap under the id passed must still succeed while that key is held.
/// - **`wrap`** must be an authenticated encryption of `data_key` under KEK `id`
///   that binds `aad`: [`unwrap`](Self::unwrap) with the same `id` and `aad`
///   returns the data key, and any other `aad`, any altered byte of the output, or
///   any other KEK must fail. It must draw fresh randomness (a nonce) per call and
///   may return any length up to 1,024 bytes (the sealed format stores the length);
///   the output is stored in clear beside the ciphertext. The vault passes an
///   `aad` that already ends with `id` as a u32 big-endian, so the wrapper need not
///   bind the id itself.
/// - **`unwrap`** must fail with [`Error::UnknownKeyId`] when it does not hold
///   `id`; with [`Error::KeyBackend`] when the key backend could not answer (an HSM or
///   key service that is down, throttled, timed out or refused the call: the record
///   was not judged, and the call may succeed later); and with [`Error::Tampered`]
///   for every failure of the record itself (wrong `aad`, altered bytes, wrong
///   length). The vault reports these codes as they come. Never report a backend
///   failure as `tampered` (it reads as an attack) nor a failed authentication as
///   `key_backend` (a more specific error would be an oracle, and retrying it would
///   hide one). It must not panic on any input.
/// - **Zeroize.** Return the data key in [`Zeroizing`]; wipe every copy of key
///   material the implementation makes (key schedules included) when it drops.
/// - **Nonce budget.** With random 96-bit nonces (AES-GCM), one KEK may wrap at
///   most 2^32 data keys; each [`Vault::seal`](crate::Vault::seal) and each
///   [`Vault::rewrap`](crate::Vault::rewrap) that moves a record is one wrap under
///   the active KEK. Rotate well before that (see
///   [`LocalKeyring`](crate::LocalKeyring#key-rotation-and-the-nonce-budget)).
///
/// The engine never asks a wrapper for key bytes, never calls it for anything but
/// these three methods, and never retries a failed unwrap with another id.
pub trait KeyWrapper: Send + Sync {
    /// The id of the KEK that new wraps use.
    fn active_key(&self) -> KeyId;

    /// Wraps (encrypts and authenticates) `data_key` under KEK `id`, binding `aad`.
    ///
    /// # Errors
    ///
    /// `unknown_key_id` when the wrapper does not hold `id`; `key_backend` when its
    /// backend could not answer.
    fn wrap(&self, id: KeyId, data_key: &[u8; 32], aad: &[u8]) -> Result<Vec<u8>, Error>;

    /// Unwraps a data key that [`wrap`](Self::wrap) made under KEK `id` with the
    /// same `aad`.
    ///
    /// # Errors
    ///
    /// `unknown_key_id` when the wrapper does not hold `id`; `key_backend` when its
    /// backend could not answer (retryable); `tampered` when the bytes or `aad` are
    /// not what `wrap` authenticated.
    fn unwrap(&self, id: KeyId, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<[u8; 32]>, Error>;
}
