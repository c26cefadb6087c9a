//! `SecretKey`: the validated name of a secret.

use std::fmt;
use std::str::FromStr;

use super::error::Error;

/// The name of a secret, such as `OPENAI_API_KEY`: what users write as `{{KEY}}`.
///
/// A key is 1..=256 bytes of ASCII letters, digits and underscores (digits allowed
/// anywhere, `2FA_SEED` included) and is case-sensitive: `Token` and `TOKEN` are two
/// secrets. A key is public: it appears in errors, audit events and listings.
///
/// Every way in validates: [`new`](SecretKey::new), [`FromStr`] and `Deserialize`.
///
/// # Example
///
/// ```
/// use workflow_secrets::SecretKey;
///
/// let key = SecretKey::new("OPENAI_API_KEY")?;
/// assert_eq!(key.as_str(), "OPENAI_API_KEY");
/// assert_eq!(SecretKey::new("has-dash").unwrap_err().code(), "invalid_key");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretKey(Box<str>);

impl SecretKey {
    /// The longest key, in bytes.
    pub const MAX_LEN: usize = 256;

    /// Validates and makes a key.
    ///
    /// # Errors
    ///
    /// `invalid_key` when the name is empty, longer than [`MAX_LEN`](Self::MAX_LEN)
    /// bytes, or holds anything but ASCII letters, digits and `_`. The error does not
    /// repeat the name: a user may have pasted a value into the name field.
    pub fn new(name: impl Into<String>) -> Result<SecretKey, Error> {
        let name = name.into();
        check(&name)?;
        Ok(SecretKey(name.into_boxed_str()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` would make a valid key; the infallible twin of [`new`](Self::new).
    pub fn is_valid(name: &str) -> bool {
        check(name).is_ok()
    }
}

fn check(name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "a key is 1 to 256 bytes; this one is empty"
    } else if name.len() > SecretKey::MAX_LEN {
        "a key is 1 to 256 bytes; this one is longer"
    } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        "a key may hold only ASCII letters, digits and underscores"
    } else {
        return Ok(());
    };
    Err(Error::InvalidKey { reason })
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecretKey").field(&self.as_str()).finish()
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SecretKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<SecretKey, Error> {
        SecretKey::new(s)
    }
}

impl TryFrom<String> for SecretKey {
    type Error = Error;

    fn try_from(s: String) -> Result<SecretKey, Error> {
        SecretKey::new(s)
    }
}

impl TryFrom<&str> for SecretKey {
    type Error = Error;

    fn try_from(s: &str) -> Result<SecretKey, Error> {
        SecretKey::new(s)
    }
}

impl From<SecretKey> for String {
    fn from(key: SecretKey) -> String {
        key.0.into_string()
    }
}

impl AsRef<str> for SecretKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SecretKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("simple", "OPENAI_API_KEY", true),
            ("lowercase", "token", true),
            ("leading digit", "2FA_SEED", true),
            ("all digits", "123", true),
            ("underscore only", "_", true),
            ("empty", "", false),
            ("dash", "A-B", false),
            ("space", "A B", false),
            ("dot", "a.b", false),
            ("non-ascii letter", "CLÉ", false),
            ("braces", "{{A}}", false),
            ("nul", "A\0", false),
        ];
        for (name, input, ok) in cases {
            assert_eq!(SecretKey::new(*input).is_ok(), *ok, "case {name}");
            assert_eq!(SecretKey::is_valid(input), *ok, "case {name}");
        }
        assert!(SecretKey::new("A".repeat(256)).is_ok());
        assert_eq!(
            SecretKey::new("A".repeat(257)).unwrap_err().code(),
            "invalid_key"
        );
    }

    #[test]
    fn case_sensitive() {
        assert_ne!(
            SecretKey::new("Token").unwrap(),
            SecretKey::new("TOKEN").unwrap()
        );
    }

    #[test]
    fn error_never_repeats_the_input() {
        let pasted = "sk-live-51HxYzQ";
        let err = SecretKey::new(pasted).unwrap_err();
        assert!(!err.to_string().contains(pasted));
        assert!(!format!("{err:?}").contains(pasted));
    }

    #[test]
    fn serde_validates() {
        let ok: SecretKey = serde_json::from_str("\"API_KEY\"").unwrap();
        assert_eq!(ok.as_str(), "API_KEY");
        assert!(serde_json::from_str::<SecretKey>("\"bad key\"").is_err());
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"API_KEY\"");
    }
}
