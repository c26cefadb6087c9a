//! `RedactorBuilder`: the settings of a redactor and its first values.

use std::fmt;

use super::encodings::Encodings;
use super::formats::TokenFormats;
use super::matcher::Choice;
#[cfg(feature = "testing")]
use super::matcher::Kind;
use super::redactor::Redactor;
use super::set::{Config, Live};
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;

/// Settings and first values for a [`Redactor`].
///
/// Defaults: mask `***`, unlabelled, minimum length 4 bytes, every
/// [`Encodings`] on. **Holds secret material** (clones of the values, zeroized on
/// drop); `Debug` shows the settings and a count only.
///
/// # Example
///
/// ```
/// use workflow_secrets::{redact::Encodings, Redactor, SecretKey, SecretValue};
///
/// let key = SecretKey::new("OPENAI_API_KEY")?;
/// let value = SecretValue::new("sk-proj-abcdef0123456789")?;
/// let redactor = Redactor::builder()
///     .secret_named(&key, &value)
///     .labelled(true)
///     .min_len(8)
///     .encodings(Encodings::all())
///     .build();
/// assert_eq!(
///     redactor.redact("key=sk-proj-abcdef0123456789"),
///     "key=[REDACTED:OPENAI_API_KEY]",
/// );
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone)]
pub struct RedactorBuilder {
    config: Config,
    values: Vec<(Option<SecretKey>, SecretValue)>,
}

impl RedactorBuilder {
    pub(crate) fn new() -> RedactorBuilder {
        RedactorBuilder {
            config: Config {
                mask: "***".to_owned(),
                labelled: false,
                min_len: 4,
                encodings: Encodings::all(),
                matcher: Choice::Auto,
                formats: TokenFormats::none(),
            },
            values: Vec::new(),
        }
    }

    /// Adds a value without a key (its labelled mask is `[REDACTED]`).
    pub fn secret(mut self, value: &SecretValue) -> RedactorBuilder {
        self.values.push((None, value.clone()));
        self
    }

    /// Adds a value under its key, which labels its mask with [`labelled`](Self::labelled).
    pub fn secret_named(mut self, key: &SecretKey, value: &SecretValue) -> RedactorBuilder {
        self.values.push((Some(key.clone()), value.clone()));
        self
    }

    /// Adds values without keys.
    pub fn secrets<'a>(
        mut self,
        values: impl IntoIterator<Item = &'a SecretValue>,
    ) -> RedactorBuilder {
        self.values
            .extend(values.into_iter().map(|v| (None, v.clone())));
        self
    }

    /// The mask that replaces each run (default `***`; may be empty). Ignored with
    /// labelled masks.
    ///
    /// It is used as given, whatever the values hold: a mask that changed when a
    /// value held its characters would tell a log reader something about the value.
    /// So the mask and the caller's own bytes can happen to spell a value (a value
    /// of `*` characters next to a masked run); no byte of the output is ever taken
    /// from a masked span (see [`Redactor`]).
    pub fn mask(mut self, mask: impl Into<String>) -> RedactorBuilder {
        self.config.mask = mask.into();
        self
    }

    /// Whether masks name the key: `[REDACTED:OPENAI_API_KEY]`, `[REDACTED]` for a
    /// value without a key. A labelled mask's width depends on the key only, never
    /// on the value's length.
    pub fn labelled(mut self, labelled: bool) -> RedactorBuilder {
        self.config.labelled = labelled;
        self
    }

    /// The shortest value masked, in bytes (default 4). Shorter values are left
    /// alone and counted by [`Redactor::skipped`].
    pub fn min_len(mut self, min_len: usize) -> RedactorBuilder {
        self.config.min_len = min_len;
        self
    }

    /// Which encoded forms are masked too (default [`Encodings::all`]).
    pub fn encodings(mut self, encodings: Encodings) -> RedactorBuilder {
        self.config.encodings = encodings;
        self
    }

    /// Which well-known token formats are masked too, registered or not (default
    /// none): a code step that prints another service's key, or a token an API
    /// returned, has it masked as `[REDACTED:format=github_token]` (the format's
    /// [`name`](super::TokenFormat::name)), whatever the mask settings.
    ///
    /// Format masks never take a registered value's mask away: the formats are
    /// searched after the registered values, with each registered run read as an
    /// opaque span (no prefix is looked for inside one; a token's body runs through
    /// one without reading it), so where a format mask lands depends on the text
    /// outside the registered runs and on where they are, never on a value's bytes.
    /// Runs that overlap or touch still become one mask, labelled by the leftmost
    /// occurrence, a registered value's or a format's. A writer holds back more
    /// with formats on: the longest format token (8 KiB with JWTs or PEM blocks)
    /// plus the longest occurrence, still fixed by the settings and the values,
    /// never by the text. See [`guide::masking`](crate::guide::masking) for each
    /// format's rule and its limits.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::redact::{TokenFormat, TokenFormats};
    /// use workflow_secrets::Redactor;
    ///
    /// let redactor = Redactor::builder()
    ///     .mask_token_formats(TokenFormats::all())
    ///     .build();
    /// let token = format!("ghp_{}", "A1b2C3d4E5".repeat(4).get(..36).unwrap_or_default());
    /// assert_eq!(
    ///     redactor.redact(&format!("using {token} for the clone")),
    ///     "using [REDACTED:format=github_token] for the clone",
    /// );
    /// // Too short to be a GitHub token: left alone.
    /// assert_eq!(redactor.redact("ghp_abc"), "ghp_abc");
    /// # let _ = TokenFormat::GitHubToken;
    /// ```
    pub fn mask_token_formats(mut self, formats: TokenFormats) -> RedactorBuilder {
        self.config.formats = formats;
        self
    }

    /// Forces one searcher for every segment (`None`: the automatic choice), for the
    /// testing hook that runs the redaction tables under each searcher.
    #[cfg(feature = "testing")]
    pub(crate) fn force_searcher(mut self, kind: Option<Kind>) -> RedactorBuilder {
        self.config.matcher = kind.map_or(Choice::Auto, Choice::Forced);
        self
    }

    /// The automatic choice, with every `aho-corasick` automaton build refused (the
    /// testing hook's stand-in for a set too large for it).
    #[cfg(feature = "testing")]
    pub(crate) fn refuse_automaton(mut self) -> RedactorBuilder {
        self.config.matcher = Choice::RefusingAutomaton;
        self
    }

    /// Builds the redactor: every value's patterns in one searcher.
    pub fn build(&self) -> Redactor {
        let values = self
            .values
            .iter()
            .map(|(k, v)| (k.as_ref(), v.expose_secret().as_bytes()));
        Redactor {
            live: std::sync::Arc::new(Live::new(self.config.clone(), values)),
        }
    }
}

impl fmt::Debug for RedactorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactorBuilder")
            .field("mask", &self.config.mask)
            .field("labelled", &self.config.labelled)
            .field("min_len", &self.config.min_len)
            .field("encodings", &self.config.encodings)
            .field("token_formats", &self.config.formats)
            .field("values", &self.values.len())
            .finish()
    }
}
