//! `SecretValue`: plaintext that wipes itself.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use super::error::Error;

/// A secret's plaintext: UTF-8 text of 0..=65,536 bytes.
///
/// **Holds secret material; zeroized on drop** (its heap buffer is overwritten
/// before it is freed, clones included). It has no `Display`, no `Serialize` and no
/// `PartialEq` (a comparison is a timing oracle); `Debug` prints a fixed mask that
/// does not even reveal the length. The one way to read it is
/// [`expose_secret`](SecretValue::expose_secret), so every read is greppable.
///
/// # Example
///
/// ```
/// use workflow_secrets::SecretValue;
///
/// let value = SecretValue::new("sk-live-1234")?;
/// assert_eq!(value.expose_secret(), "sk-live-1234");
/// assert_eq!(format!("{value:?}"), "SecretValue(***)");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone)]
pub struct SecretValue(SecretString);

impl SecretValue {
    /// The largest value, in bytes (64 KiB).
    pub const MAX_LEN: usize = 65_536;

    /// Takes ownership of `text` as a secret.
    ///
    /// The text's buffer is moved, not copied, when it has no spare capacity; when
    /// it has, the text is copied into an exact-size buffer and the original is
    /// zeroized, so no stray plaintext is left behind by a reallocation.
    ///
    /// # Errors
    ///
    /// `value_too_large` when `text` is longer than [`MAX_LEN`](Self::MAX_LEN) bytes;
    /// the rejected text is zeroized too.
    pub fn new(text: impl Into<String>) -> Result<SecretValue, Error> {
        let mut text = text.into();
        if text.len() > Self::MAX_LEN {
            let len = text.len();
            text.zeroize();
            return Err(Error::ValueTooLarge {
                len,
                max: Self::MAX_LEN,
            });
        }
        let boxed: Box<str> = if text.capacity() == text.len() {
            text.into_boxed_str()
        } else {
            let exact = Box::from(text.as_str());
            text.zeroize();
            exact
        };
        Ok(SecretValue(SecretString::from(boxed)))
    }

    /// Makes a value from decrypted bytes, zeroizing them if they are not UTF-8.
    pub(crate) fn from_utf8(bytes: Vec<u8>) -> Result<SecretValue, Error> {
        match String::from_utf8(bytes) {
            Ok(text) => SecretValue::new(text),
            Err(err) => {
                err.into_bytes().zeroize();
                Err(Error::Tampered)
            }
        }
    }

    /// The plaintext. Every call is a place where a secret leaves the crate's care:
    /// do not log it, format it into an error, or keep it longer than needed.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.expose_secret().len()
    }

    /// Whether the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.expose_secret().is_empty()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(SecretValue::new("").unwrap().is_empty());
        assert_eq!(
            SecretValue::new("x".repeat(SecretValue::MAX_LEN))
                .unwrap()
                .len(),
            65_536
        );
        let err = SecretValue::new("x".repeat(SecretValue::MAX_LEN + 1)).unwrap_err();
        assert_eq!(err.code(), "value_too_large");
    }

    #[test]
    fn spare_capacity_is_copied_exactly() {
        let mut text = String::with_capacity(64);
        text.push_str("hunter2-hunter2");
        let value = SecretValue::new(text).unwrap();
        assert_eq!(value.expose_secret(), "hunter2-hunter2");
    }

    #[test]
    fn debug_is_a_fixed_mask() {
        let short = SecretValue::new("ab").unwrap();
        let long = SecretValue::new("a-much-longer-secret-value").unwrap();
        assert_eq!(format!("{short:?}"), format!("{long:?}"));
        assert!(!format!("{long:?}").contains("longer"));
        assert!(!format!("{long:#?}").contains("longer"));
    }

    #[test]
    fn invalid_utf8_is_tampered() {
        assert_eq!(
            SecretValue::from_utf8(vec![0xff, 0xfe]).unwrap_err().code(),
            "tampered"
        );
    }
}
