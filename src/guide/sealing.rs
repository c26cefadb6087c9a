//! Encryption at rest: the envelope, both associated data byte for byte, the sealed
//! format, and key-encryption-key rotation.
//!
//! # The envelope
//!
//! [`Vault::seal`](crate::Vault::seal) draws a fresh random 256-bit **data key** and a
//! random 96-bit value nonce, encrypts the value under the data key with AES-256-GCM
//! binding the **value's associated data**, and has the active **key-encryption key**
//! (KEK) of the vault's [`KeyWrapper`](crate::crypto::KeyWrapper) wrap the data key,
//! binding the **wrap's associated data**. Each data key encrypts exactly one value.
//!
//! # The value's associated data (format version 2)
//!
//! Frozen: changing any byte makes every stored record fail to open. Integers are
//! big-endian.
//!
//! | part | bytes |
//! |---|---|
//! | format version | 1 byte: `0x02` |
//! | record role | 1 byte: `0x01` the key's current value, `0x02` a kept version ([`RecordRole`](crate::crypto::RecordRole)) |
//! | scope tag | 1 byte: `0x01` workflow, `0x02` workspace, `0x03` personal ([`Scope::tag`](crate::Scope::tag)) |
//! | workspace id | u32 length, then its UTF-8 bytes |
//! | second id | workflow scope: the workflow id; personal scope: the user id; each a u32 length, then its UTF-8 bytes; workspace scope: nothing |
//! | key name | u32 length, then its bytes |
//! | value version | u64 (8 bytes, no length) |
//!
//! # The wrap's associated data
//!
//! The value's associated data followed by the KEK id as a u32 (4 bytes). The vault
//! passes these bytes to [`KeyWrapper::wrap`](crate::crypto::KeyWrapper::wrap) and
//! [`unwrap`](crate::crypto::KeyWrapper::unwrap), so a wrapper need not bind the id
//! itself.
//!
//! For version 3 of `API_KEY` in workflow `wf1` of workspace `acme`, as its current
//! value, under KEK `0x0102`:
//!
//! ```text
//! 02                         format version
//! 01                         record role: current
//! 01                         scope tag: workflow
//! 00 00 00 04 61 63 6d 65    workspace id "acme"
//! 00 00 00 03 77 66 31       workflow id "wf1"
//! 00 00 00 07 41 50 49 5f 4b 45 59
//!                            key name "API_KEY"
//! 00 00 00 00 00 00 00 03    value version 3
//! ---- the value's associated data ends here; the wrap's continues: ----
//! 00 00 01 02                KEK id 0x0102
//! ```
//!
//! Records written before versions were kept are of **format version 1**: the same
//! bytes without the role (format byte `0x01`, then the scope tag). They still open,
//! as current values only; no release writes them any more, and a re-wrap keeps a
//! record's format (its value's associated data cannot change without the value).
//!
//! Consequences: a sealed record copied to another workspace, workflow, user, scope
//! kind, key name, version or slot (a kept version into the current one, or back)
//! fails to open (`tampered`); so does a record with any
//! byte altered (`unknown_key_id` when the altered bytes are the KEK id and name a key
//! the vault lacks). Errors never say which check failed. Ids and key names differ by
//! their bytes alone: ids that differ only in case or Unicode normalization are
//! different ids.
//!
//! # The sealed format (versions 1 and 2)
//!
//! What a store keeps ([`SealedSecret::to_bytes`](crate::crypto::SealedSecret::to_bytes)):
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `WSEC` |
//! | 4 | 1 | format version, `0x02` (`0x01`: written before versions were kept) |
//! | 5 | 4 | KEK id, u32 |
//! | 9 | 2 | length `w` of the wrapped data key, u16, 1..=1024 |
//! | 11 | `w` | the wrapped data key, as the wrapper returned it; for a [`LocalKeyring`](crate::LocalKeyring), 60 bytes: nonce (12), encrypted data key (32), tag (16) |
//! | 11 + `w` | 12 | value nonce |
//! | 23 + `w` | `n` + 16 | the value's ciphertext (`n` bytes, 0..=65,536), then its tag |
//!
//! [`SealedSecret::from_bytes`](crate::crypto::SealedSecret::from_bytes) refuses
//! anything else (`tampered`) before any decryption. The golden vectors in
//! `tests/data/sealed_v1.json` and `sealed_v2.json` freeze both formats: every later
//! release opens records written today.
//!
//! # Key-encryption keys
//!
//! A KEK is local key material. A host that keeps its root key in a KMS unwraps the
//! keyring (for example a [`LocalKeyring::export`](crate::LocalKeyring::export)) once
//! at start-up; no resolution waits on a KMS. The export is the raw keys: protect it.
//!
//! **Rotation** has two phases, so that no instance meets a record it cannot open:
//!
//! 1. [`add_key`](crate::LocalKeyring::add_key) the new KEK on **every** instance,
//!    and persist the export. `add_key` refuses an id the keyring holds
//!    (`already_exists`): a key is never replaced.
//! 2. Then [`set_active`](crate::LocalKeyring::set_active) it: new seals use it; old
//!    records still open.
//! 3. [`Secrets::rewrap_all`](crate::Secrets::rewrap_all), scope by scope (or
//!    [`Vault::rewrap`](crate::Vault::rewrap) record by record), re-wraps each data
//!    key under the active KEK. The value's nonce, ciphertext and tag are copied
//!    unchanged; a record already under the active KEK is left as it is. The
//!    [`RewrapReport`](crate::admin::RewrapReport) lists what could not be moved.
//! 4. Only when no report lists records left behind,
//!    [`remove_key`](crate::LocalKeyring::remove_key) the old KEK (the active KEK
//!    cannot be removed: `key_in_use`). A record still under a removed KEK answers
//!    `unknown_key_id`.
//!
//! **Nonce budget.** Wrap nonces are random 96-bit nonces under the KEK, so one KEK
//! may make at most 2^32 wraps (each seal, and each rewrap that moves a record, is
//! one). Value nonces set no limit. Rotate the KEK well before the budget, and at once
//! when it may have leaked (then rotate the secrets too: whoever holds the old KEK and
//! old rows can still open them).
//!
//! # Example
//!
//! ```
//! use workflow_secrets::crypto::{KeyId, SealedSecret, Zeroizing};
//! use workflow_secrets::{LocalKeyring, Scope, SecretKey, SecretValue, Vault, WorkflowId, WorkspaceId};
//!
//! let keyring = LocalKeyring::from_key(KeyId::from(1), Zeroizing::new([7; 32]));
//! let vault = Vault::new(keyring.clone());
//! let acme = WorkspaceId::new("acme")?;
//! let scope = Scope::workflow(acme.clone(), WorkflowId::new("wf1")?);
//! let key = SecretKey::new("API_KEY")?;
//! let sealed = vault.seal(&scope, &key, 3, &SecretValue::new("sk-live-1")?)?;
//!
//! let bytes = sealed.to_bytes();
//! assert_eq!(&bytes[..11], b"WSEC\x02\x00\x00\x00\x01\x00\x3c"); // magic, version, KEK 1, w = 60
//! assert_eq!(bytes.len(), 11 + 60 + 12 + 9 + 16);
//!
//! // Bound to scope, key and version: a copy elsewhere does not open.
//! let elsewhere = Scope::workspace(acme);
//! assert_eq!(vault.unseal(&elsewhere, &key, 3, &sealed).unwrap_err().code(), "tampered");
//!
//! // KEK rotation: add, activate, rewrap. Only the wrapped data key changes.
//! keyring.add_key(KeyId::from(2), Zeroizing::new([9; 32]))?;
//! keyring.set_active(KeyId::from(2))?;
//! let moved = vault.rewrap(&scope, &key, 3, &sealed)?;
//! assert_eq!(moved.key_id(), KeyId::from(2));
//! assert_eq!(moved.to_bytes()[71..], bytes[71..]); // value nonce, ciphertext and tag
//! keyring.remove_key(KeyId::from(1))?;
//! assert_eq!(vault.unseal(&scope, &key, 3, &moved)?.expose_secret(), "sk-live-1");
//! assert_eq!(vault.unseal(&scope, &key, 3, &sealed).unwrap_err().code(), "unknown_key_id");
//! # let _ = SealedSecret::from_bytes(&bytes)?;
//! # Ok::<(), workflow_secrets::Error>(())
//! ```
