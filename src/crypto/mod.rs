//! Envelope encryption: the `Vault`, key-encryption keys and the sealed format.

mod key_id;

pub use key_id::KeyId;
