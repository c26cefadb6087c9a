//! Envelope encryption: the `Vault`, key-encryption keys and the sealed format.

mod key_id;
mod stub;

pub use key_id::KeyId;
pub use stub::{LocalKeyring, SealedSecret, Vault};
