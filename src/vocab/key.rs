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
/// A name given to a **new** secret must also pass
/// [`check_new_name`](SecretKey::check_new_name) (it may not look like a token),
/// which creating and importing apply; loading does not, so records made before
/// that rule keep working.
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
pub struct SecretKey(std::sync::Arc<str>);

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
        Ok(SecretKey(std::sync::Arc::from(name)))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` would make a valid key; the infallible twin of [`new`](Self::new).
    pub fn is_valid(name: &str) -> bool {
        check(name).is_ok()
    }

    /// Validates and makes a key for a **new** secret: [`new`](Self::new)'s rule,
    /// then [`check_new_name`](Self::check_new_name)'s.
    ///
    /// # Errors
    ///
    /// `invalid_key`, as [`new`](Self::new) or
    /// [`check_new_name`](Self::check_new_name). The error does not repeat the name.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::SecretKey;
    ///
    /// assert!(SecretKey::new_name("GITHUB_TOKEN").is_ok());
    /// let err = SecretKey::new_name("ghp_16C7e42F292c6912E7710c838347Ae178B4a").unwrap_err();
    /// assert_eq!(err.code(), "invalid_key");
    /// assert!(!err.to_string().contains("ghp_"));
    /// // An existing record under such a name still loads.
    /// assert!(SecretKey::new("ghp_16C7e42F292c6912E7710c838347Ae178B4a").is_ok());
    /// ```
    pub fn new_name(name: impl Into<String>) -> Result<SecretKey, Error> {
        let key = SecretKey::new(name)?;
        key.check_new_name()?;
        Ok(key)
    }

    /// Checks the rule for a name given to a **new** secret, on top of the rule
    /// every key keeps: the name may not look like a secret itself, because key
    /// names are public (listings, import reports, audit events, errors) and a
    /// value pasted into the name field, or the tail of a token wrapped onto a
    /// line of its own in a `.env` paste, would be shown to every member.
    ///
    /// A new name is refused when it
    ///
    /// - starts with an API-token prefix, case-sensitively: `ghp_`, `gho_`, `ghu_`,
    ///   `ghs_`, `ghr_`, `github_pat_`, `sk_live_`, `sk_test_`, `rk_live_`,
    ///   `pk_live_`, `AIza`, or `AKIA` followed by 16 upper-case letters or digits
    ///   (an AWS access key id); or
    /// - is 20 characters or longer, holds no underscore, and mixes upper case,
    ///   lower case and digits (the shape of random token text).
    ///
    /// `OPENAI_API_KEY`, `2FA_SEED` and `123` are fine. Creating a secret
    /// ([`Secrets::create`](crate::Secrets::create)) and importing `.env` text
    /// ([`parse_env`](crate::import::parse_env), and so `import_env`) apply this
    /// rule; loading does not ([`new`](Self::new), `FromStr`, `Deserialize`), so
    /// records and references made before the rule keep working.
    ///
    /// # Errors
    ///
    /// `invalid_key` with the reason and a hint; never the name, which may be a
    /// secret.
    pub fn check_new_name(&self) -> Result<(), Error> {
        match SecretKey::new_name_reason(self.as_str()) {
            None => Ok(()),
            Some(reason) => Err(Error::InvalidKey { reason }),
        }
    }
}

/// The token prefixes a new key may not start with (see
/// [`SecretKey::check_new_name`]); `AKIA` is checked apart, with its 16 characters.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "pk_live_",
    "AIza",
];

/// The reason a new key that starts like an API token is refused: fixed text
/// (never the name) with a hint. Also the reason `parse_env` gives.
pub(crate) const TOKEN_PREFIX_REASON: &str = "a new key may not start like an API token (see SecretKey::check_new_name): \
     key names are public, so a pasted value must not become one; \
     name the secret after what it is for, such as GITHUB_TOKEN";

/// The reason a new key shaped like random token text is refused.
pub(crate) const RANDOM_REASON: &str = "a new key of 20 or more characters may not mix upper case, lower case and \
     digits without an underscore: that is the shape of a token, and key names are public; \
     use words joined by `_`, such as OPENAI_API_KEY";

/// The shortest name the random-text rule applies to.
const RANDOM_MIN_LEN: usize = 20;

impl SecretKey {
    /// Why `name` (already a valid key) may not be given to a new secret, if it
    /// may not: for parsers that report problems of their own (`parse_env`).
    pub(crate) fn new_name_reason(name: &str) -> Option<&'static str> {
        let aws_key_id = name.strip_prefix("AKIA").is_some_and(|rest| {
            rest.len() >= 16
                && rest
                    .bytes()
                    .take(16)
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        });
        if aws_key_id || TOKEN_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Some(TOKEN_PREFIX_REASON);
        }
        let bytes = name.as_bytes();
        let random = bytes.len() >= RANDOM_MIN_LEN
            && !bytes.contains(&b'_')
            && bytes.iter().any(u8::is_ascii_uppercase)
            && bytes.iter().any(u8::is_ascii_lowercase)
            && bytes.iter().any(u8::is_ascii_digit);
        random.then_some(RANDOM_REASON)
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
        key.0.to_string()
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

    /// The rule for new names, case by case; every one of these loads with `new`.
    #[test]
    fn new_name_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("snake", "OPENAI_API_KEY", None),
            ("leading digit", "2FA_SEED", None),
            ("all digits", "123", None),
            ("GitHub", "ghp_x", Some(TOKEN_PREFIX_REASON)),
            (
                "GitHub fine-grained",
                "github_pat_x",
                Some(TOKEN_PREFIX_REASON),
            ),
            ("Stripe", "sk_live_x", Some(TOKEN_PREFIX_REASON)),
            ("Google", "AIzaX", Some(TOKEN_PREFIX_REASON)),
            ("AWS id", "AKIA0123456789ABCDEF", Some(TOKEN_PREFIX_REASON)),
            ("AKIA then 15", "AKIA0123456789ABCDE", None),
            ("AKIA then an underscore", "AKIA012345678_ABCDEF", None),
            ("upper-case prefix", "SK_LIVE_KEY", None),
            ("random, 20", "abcdefghijklmnopqR1z", Some(RANDOM_REASON)),
            ("random, 19", "abcdefghijklmnopR1z", None),
            ("20 with an underscore", "abcdefghijklmnopR1_z", None),
            ("20, no digit", "abcdefghijklmnopqRsz", None),
            ("20, no upper", "abcdefghijklmnopq1sz", None),
            ("20, no lower", "ABCDEFGHIJKLMNOPQ1SZ", None),
        ];
        for (name, input, want) in cases {
            let key = SecretKey::new(*input).unwrap_or_else(|e| panic!("{name}: {e}"));
            let got = key.check_new_name().err();
            match (got, want) {
                (None, None) => assert!(SecretKey::new_name(*input).is_ok(), "{name}"),
                (Some(Error::InvalidKey { reason }), Some(want)) => {
                    assert_eq!(reason, *want, "{name}");
                    assert!(!reason.contains(input), "{name}");
                    assert_eq!(
                        SecretKey::new_name(*input).unwrap_err().code(),
                        "invalid_key"
                    );
                }
                (got, _) => panic!("case {name}: {got:?}"),
            }
        }
        // The old rule still comes first.
        assert!(SecretKey::new_name("a-b").is_err());
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
