//! `Encodings`: which encoded forms of a value a redactor also masks.

/// The encoded forms of each value that a [`Redactor`](crate::Redactor) masks besides
/// the value itself.
///
/// Every encoding is on by default ([`Encodings::all`] equals `Default`). An encoded
/// form shorter than 8 characters is never registered, so a short secret does not
/// shred unrelated base64 or hex text. Holds no secret material.
///
/// | field | forms registered |
/// |---|---|
/// | `base64` | standard and URL-safe alphabets, padded and unpadded, and the stable middle of the value's encoding at each of the three byte alignments inside a larger blob (`Basic base64(user:secret)`) |
/// | `percent` | any mix, byte by byte, of the literal byte, `%XX`, `%xx` and `+` for a space, matched by searching the text's decoded view as well (see [the guide](crate::guide::masking)) |
/// | `json` | JSON string escaping: `\"`, `\\`, control characters as short escapes or `\u00XX`, `/` as `\/`, and non-ASCII as `\uXXXX` |
/// | `hex` | the value's bytes in lower- and upper-case hex |
///
/// # Example
///
/// ```
/// use workflow_secrets::{redact::Encodings, Redactor, SecretValue};
///
/// let value = SecretValue::new("hunter2-hunter2")?;
/// let plain = Encodings { hex: false, ..Encodings::all() };
/// let redactor = Redactor::builder().encodings(plain).secret(&value).build();
/// // "hunter2-hunter2" in hex is not masked: hex is off.
/// assert_eq!(redactor.redact("68756e746572322d68756e74657232"), "68756e746572322d68756e74657232");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Encodings {
    /// Base64, standard and URL-safe, padded and not, at every alignment.
    pub base64: bool,
    /// Percent-encoding in any mix (URL query strings and form bodies).
    pub percent: bool,
    /// JSON string escaping.
    pub json: bool,
    /// Hexadecimal, lower and upper case.
    pub hex: bool,
}

impl Encodings {
    /// Every encoding on: the default.
    pub const fn all() -> Encodings {
        Encodings {
            base64: true,
            percent: true,
            json: true,
            hex: true,
        }
    }

    /// Every encoding off: only the values themselves (and their lines) are masked.
    pub const fn none() -> Encodings {
        Encodings {
            base64: false,
            percent: false,
            json: false,
            hex: false,
        }
    }
}

impl Default for Encodings {
    fn default() -> Encodings {
        Encodings::all()
    }
}
