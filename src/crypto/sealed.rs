//! `SealedSecret`: one encrypted value and its versioned byte format.

use std::fmt;

use crate::crypto::aad::{FORMAT_V1, FORMAT_VERSION};
use crate::vocab::Error;
use crate::vocab::KeyId;
use crate::vocab::SecretValue;

/// First bytes of every sealed record.
pub(crate) const MAGIC: [u8; 4] = *b"WSEC";
/// Magic, format version, KEK id, wrapped-key length.
pub(crate) const HEADER_LEN: usize = 4 + 1 + 4 + 2;
/// Length of the value's nonce (AES-GCM, 96 bits).
pub(crate) const NONCE_LEN: usize = 12;
/// Length of an AES-GCM tag.
pub(crate) const TAG_LEN: usize = 16;
/// The longest wrapped data key a [`KeyWrapper`](crate::crypto::KeyWrapper) may return.
pub(crate) const MAX_WRAPPED_LEN: usize = 1024;

const KEK_ID_AT: usize = 5;
const WRAPPED_LEN_AT: usize = 9;

/// One secret value, sealed: AES-256-GCM under a fresh data key, the data key
/// wrapped by a key-encryption key (KEK).
///
/// Holds no secret material in clear (ciphertext, nonces and public ids only), so
/// it may be stored and copied freely; opening it takes the
/// [`Vault`](crate::Vault) and the exact scope, key and version it was sealed
/// for. `Debug` prints the KEK id and the length, never the bytes. `PartialEq`
/// compares the bytes (they are public; it is how a store test checks a round
/// trip).
///
/// Made by [`Vault::seal`](crate::Vault::seal) and
/// [`Vault::rewrap`](crate::Vault::rewrap), or read back with
/// [`from_bytes`](Self::from_bytes) (and `Deserialize`, which goes through it).
/// `Serialize` writes [`to_bytes`](Self::to_bytes) as a byte string.
///
/// # Byte format (versions 1 and 2)
///
/// Frozen: the golden vectors in `tests/data/` prove that every later release
/// opens records written today. Integers are big-endian. Both versions share one
/// layout; they differ in the associated data the format byte selects: version 2
/// (every record written since the history of versions was kept) binds the
/// record's [`RecordRole`](crate::crypto::RecordRole), version 1 does not and
/// opens only as a current value.
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 4 | magic `WSEC` |
/// | 4 | 1 | format version, `0x02` (`0x01`: written before versions were kept) |
/// | 5 | 4 | KEK id, u32 |
/// | 9 | 2 | length `w` of the wrapped data key, u16, 1..=1024 |
/// | 11 | `w` | wrapped data key, as the [`KeyWrapper`](crate::crypto::KeyWrapper) returned it; for a [`LocalKeyring`](crate::LocalKeyring), 60 bytes: nonce (12), encrypted key (32), tag (16) |
/// | 11 + `w` | 12 | value nonce |
/// | 23 + `w` | `n` + 16 | the value's ciphertext (`n` bytes, 0..=65,536) then its tag |
///
/// A 64-byte value under a `LocalKeyring` is 11 + 60 + 12 + 64 + 16 = 163 bytes.
///
/// Nothing in the record is trusted before it authenticates: the format version
/// opens both associated data, the KEK id ends the wrap's associated data, the
/// nonces feed AES-GCM, so a flipped bit anywhere fails to open: `tampered`, or
/// `unknown_key_id` when the flipped KEK id names a key the vault lacks.
///
/// # Example
///
/// ```
/// use workflow_secrets::crypto::{KeyId, SealedSecret, Zeroizing};
/// use workflow_secrets::{LocalKeyring, Scope, SecretKey, SecretValue, Vault, WorkspaceId};
///
/// let vault = Vault::new(LocalKeyring::from_key(KeyId::from(3), Zeroizing::new([1; 32])));
/// let scope = Scope::workspace(WorkspaceId::new("acme")?);
/// let key = SecretKey::new("API_KEY")?;
/// let sealed = vault.seal(&scope, &key, 1, &SecretValue::new("sk-live-1")?)?;
///
/// // What a store keeps: opaque, versioned bytes.
/// let bytes = sealed.to_bytes();
/// assert_eq!(&bytes[..5], b"WSEC\x02");
/// let read_back = SealedSecret::from_bytes(&bytes)?;
/// assert_eq!(read_back.key_id(), KeyId::from(3));
/// assert_eq!(format!("{read_back:?}"), format!("SealedSecret {{ key_id: 3, len: {} }}", bytes.len()));
///
/// // Garbage and truncated bytes are refused, opaquely.
/// assert_eq!(SealedSecret::from_bytes(&bytes[..20]).unwrap_err().code(), "tampered");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The record in its byte format, checked by `from_bytes` (or built by the
    /// vault): the header is well-formed and every field is in bounds.
    bytes: std::sync::Arc<[u8]>,
}

impl SealedSecret {
    /// The record's bytes in the versioned format above, for a store to keep.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// Reads a record that [`to_bytes`](Self::to_bytes) wrote.
    ///
    /// This checks the layout only; whether the record is authentic is known when
    /// [`Vault::unseal`](crate::Vault::unseal) opens it.
    ///
    /// # Errors
    ///
    /// `tampered` for anything that is not a version-1 or version-2 record: wrong magic, an
    /// unknown format version, a wrapped-key length out of bounds, too few or too
    /// many bytes. The error is as opaque as a failed decryption. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<SealedSecret, Error> {
        check_layout(bytes)?;
        Ok(SealedSecret {
            bytes: std::sync::Arc::from(bytes),
        })
    }

    /// The id of the KEK that wrapped this record's data key. After a rotation, a
    /// record whose `key_id()` is not the active KEK wants a
    /// [`Vault::rewrap`](crate::Vault::rewrap).
    pub fn key_id(&self) -> KeyId {
        let mut id = [0u8; 4];
        if let Some(field) = self.bytes.get(KEK_ID_AT..KEK_ID_AT + 4) {
            id.copy_from_slice(field);
        }
        KeyId::from(u32::from_be_bytes(id))
    }

    /// Assembles a record from its parts; the vault's only way to make one.
    ///
    /// `write_value` fills the value's ciphertext and tag (`value_len` + 16 bytes,
    /// handed over zeroed).
    pub(crate) fn build(
        format: u8,
        id: KeyId,
        wrapped: &[u8],
        value_nonce: &[u8; NONCE_LEN],
        value_len: usize,
        write_value: impl FnOnce(&mut [u8]) -> Result<(), Error>,
    ) -> Result<SealedSecret, Error> {
        let wrapped_len = u16::try_from(wrapped.len())
            .ok()
            .filter(|len| (1..=MAX_WRAPPED_LEN).contains(&usize::from(*len)))
            .ok_or(Error::Tampered)?;
        let ct_at = HEADER_LEN + wrapped.len() + NONCE_LEN;
        let total = ct_at + value_len + TAG_LEN;
        let mut bytes = Vec::with_capacity(total);
        bytes.extend_from_slice(&MAGIC);
        bytes.push(format);
        bytes.extend_from_slice(&id.get().to_be_bytes());
        bytes.extend_from_slice(&wrapped_len.to_be_bytes());
        bytes.extend_from_slice(wrapped);
        bytes.extend_from_slice(value_nonce);
        bytes.resize(total, 0);
        let ciphertext = bytes.get_mut(ct_at..).ok_or(Error::Tampered)?;
        write_value(ciphertext)?;
        Ok(SealedSecret {
            bytes: std::sync::Arc::from(bytes),
        })
    }

    /// The format byte: which layout of associated data opens the record.
    pub(crate) fn format(&self) -> u8 {
        self.bytes.get(4).copied().unwrap_or(0)
    }

    /// The wrapped data key.
    pub(crate) fn wrapped(&self) -> &[u8] {
        let end = HEADER_LEN + self.wrapped_len();
        self.bytes.get(HEADER_LEN..end).unwrap_or_default()
    }

    /// The value's nonce, then its ciphertext and tag: everything a rewrap copies
    /// unchanged.
    pub(crate) fn value_part(&self) -> &[u8] {
        let start = HEADER_LEN + self.wrapped_len();
        self.bytes.get(start..).unwrap_or_default()
    }

    fn wrapped_len(&self) -> usize {
        let mut len = [0u8; 2];
        if let Some(field) = self.bytes.get(WRAPPED_LEN_AT..WRAPPED_LEN_AT + 2) {
            len.copy_from_slice(field);
        }
        usize::from(u16::from_be_bytes(len))
    }
}

/// Splits the value part into its nonce and its ciphertext-with-tag.
pub(crate) fn split_value_part(value_part: &[u8]) -> Result<(&[u8; NONCE_LEN], &[u8]), Error> {
    let (nonce, ciphertext) = value_part
        .split_at_checked(NONCE_LEN)
        .ok_or(Error::Tampered)?;
    let nonce = nonce.try_into().map_err(|_| Error::Tampered)?;
    Ok((nonce, ciphertext))
}

/// The layout checks of `from_bytes`: everything that can be known without a key.
fn check_layout(bytes: &[u8]) -> Result<(), Error> {
    let header = bytes.get(..HEADER_LEN).ok_or(Error::Tampered)?;
    let known = matches!(header.get(4), Some(&(FORMAT_V1 | FORMAT_VERSION)));
    if header.get(..4) != Some(&MAGIC[..]) || !known {
        return Err(Error::Tampered);
    }
    let wrapped_len = match header.get(WRAPPED_LEN_AT..WRAPPED_LEN_AT + 2) {
        Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
        _ => return Err(Error::Tampered),
    };
    if !(1..=MAX_WRAPPED_LEN).contains(&wrapped_len) {
        return Err(Error::Tampered);
    }
    let ciphertext_len = bytes
        .len()
        .checked_sub(HEADER_LEN + wrapped_len + NONCE_LEN)
        .ok_or(Error::Tampered)?;
    if !(TAG_LEN..=SecretValue::MAX_LEN + TAG_LEN).contains(&ciphertext_len) {
        return Err(Error::Tampered);
    }
    Ok(())
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret")
            .field("key_id", &self.key_id().get())
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl serde::Serialize for SealedSecret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.bytes)
    }
}

impl<'de> serde::Deserialize<'de> for SealedSecret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(BytesVisitor)
    }
}

/// Accepts a byte string, or a sequence of bytes (how JSON and other formats
/// without a byte type write one).
struct BytesVisitor;

impl<'de> serde::de::Visitor<'de> for BytesVisitor {
    type Value = SealedSecret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bytes of a sealed secret")
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<SealedSecret, E> {
        SealedSecret::from_bytes(bytes).map_err(|_| E::custom("malformed sealed secret"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<SealedSecret, A::Error> {
        let max = HEADER_LEN + MAX_WRAPPED_LEN + NONCE_LEN + SecretValue::MAX_LEN + TAG_LEN;
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(max));
        while let Some(byte) = seq.next_element::<u8>()? {
            if bytes.len() == max {
                return Err(serde::de::Error::custom("malformed sealed secret"));
            }
            bytes.push(byte);
        }
        self.visit_bytes(&bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn record(wrapped_len: usize, value_len: usize) -> Vec<u8> {
        SealedSecret::build(
            FORMAT_VERSION,
            KeyId::from(0x0a0b_0c0d),
            &vec![0xaa; wrapped_len],
            &[0xbb; NONCE_LEN],
            value_len,
            |ct| {
                ct.fill(0xcc);
                Ok(())
            },
        )
        .unwrap()
        .to_bytes()
    }

    #[test]
    fn layout_is_as_documented() {
        let bytes = record(60, 3);
        let mut expected = b"WSEC\x02\x0a\x0b\x0c\x0d\x00\x3c".to_vec();
        expected.extend_from_slice(&[0xaa; 60]);
        expected.extend_from_slice(&[0xbb; 12]);
        expected.extend_from_slice(&[0xcc; 3 + 16]);
        assert_eq!(bytes, expected);
        let sealed = SealedSecret::from_bytes(&bytes).unwrap();
        assert_eq!(sealed.key_id(), KeyId::from(0x0a0b_0c0d));
        assert_eq!(sealed.wrapped(), &[0xaa; 60][..]);
        assert_eq!(sealed.value_part().len(), 12 + 3 + 16);
        let (nonce, ct) = split_value_part(sealed.value_part()).unwrap();
        assert_eq!(nonce, &[0xbb; 12]);
        assert_eq!(ct, &[0xcc; 19][..]);
    }

    #[test]
    fn bounds() {
        assert!(SealedSecret::from_bytes(&record(1, 0)).is_ok());
        assert!(SealedSecret::from_bytes(&record(MAX_WRAPPED_LEN, SecretValue::MAX_LEN)).is_ok());
        let mut too_long = record(60, SecretValue::MAX_LEN);
        too_long.push(0);
        assert!(SealedSecret::from_bytes(&too_long).is_err());
        let mut zero_wrapped = record(60, 0);
        zero_wrapped[9..11].copy_from_slice(&[0, 0]);
        assert!(SealedSecret::from_bytes(&zero_wrapped).is_err());
        let mut huge_wrapped = record(60, 0);
        huge_wrapped[9..11].copy_from_slice(&[0xff, 0xff]);
        assert!(SealedSecret::from_bytes(&huge_wrapped).is_err());
        let mut version_1 = record(60, 0);
        version_1[4] = 0x01;
        assert_eq!(SealedSecret::from_bytes(&version_1).unwrap().format(), 0x01);
        for unknown in [0x00, 0x03, 0xff] {
            let mut version = record(60, 0);
            version[4] = unknown;
            assert!(SealedSecret::from_bytes(&version).is_err(), "{unknown:#x}");
        }
        assert!(
            SealedSecret::build(FORMAT_VERSION, KeyId::from(1), &[], &[0; 12], 0, |_| Ok(()))
                .is_err(),
            "an empty wrapped key is refused"
        );
    }

    #[test]
    fn serde_round_trip_as_bytes() {
        let sealed = SealedSecret::from_bytes(&record(60, 5)).unwrap();
        let json = serde_json::to_string(&sealed).unwrap();
        let back: SealedSecret = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_bytes(), sealed.to_bytes());
        assert!(serde_json::from_str::<SealedSecret>("[1,2,3]").is_err());
        assert!(serde_json::from_str::<SealedSecret>("[1,2,300]").is_err());
    }

    #[test]
    fn a_sequence_is_read_up_to_the_largest_record_and_no_further() {
        use std::cell::Cell;

        use serde::Deserialize as _;
        use serde::de::value::{Error as ValueError, SeqDeserializer};

        // The largest record there is opens from a sequence (JSON's way of writing bytes).
        let largest = record(MAX_WRAPPED_LEN, SecretValue::MAX_LEN);
        let json = serde_json::to_string(&largest).unwrap();
        let back: SealedSecret = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_bytes(), largest);
        // A longer sequence is refused after one element past that size: the visitor
        // never buffers an attacker's whole array.
        let pulled = Cell::new(0usize);
        let endless = std::iter::repeat_with(|| {
            pulled.set(pulled.get() + 1);
            0u8
        })
        .take(10 * largest.len());
        let refused = SealedSecret::deserialize(SeqDeserializer::<_, ValueError>::new(endless));
        assert!(refused.is_err());
        assert_eq!(
            pulled.get(),
            largest.len() + 1,
            "elements read before the refusal"
        );
    }

    #[test]
    fn a_wrong_type_is_refused_saying_what_was_expected() {
        let err = serde_json::from_str::<SealedSecret>("42").unwrap_err();
        assert!(
            err.to_string().contains("the bytes of a sealed secret"),
            "{err}"
        );
    }
}
