//! `.env` text: a strict, literal parser for pasted secrets.
//!
//! Users paste `.env` files to create many secrets at once. The popular `.env`
//! parsers are unsafe for secrets: they drop bad lines silently, keep an unclosed
//! quote inside the value, cut `pass#word` to `pass`, expand `$VAR`, or quote the
//! secret back in their error messages. [`parse_env`] is strict (every problem is an
//! error, all of them reported at once), literal (a value is stored as written) and
//! quiet (no message ever contains a value).
//!
//! The dialect below is the user-facing specification; the same text is
//! included in [`parse_env`]'s documentation.
//!
#![doc = include_str!("dialect.md")]

mod parser;

use std::fmt;

use crate::vocab::Error;
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;

/// Parses `.env` text into keys and values, strictly and literally.
///
/// In short: `[export ]KEY=VALUE` statements, `#` comments, unquoted values
/// trimmed and kept literally, `"double"` quotes with a few escapes, `'single'`
/// quotes fully literal, quoted values spanning lines, no variable expansion ever.
/// The full dialect follows.
///
/// A duplicate key is not an error: the last value wins, the key keeps its first
/// position, and a warning names both lines.
///
#[doc = include_str!("dialect.md")]
///
/// # Secret handling
///
/// Each value is copied once, into a buffer of its exact size that becomes its
/// [`SecretValue`]; no other copy is made, and values read before a problem was
/// found are zeroized. The text passed in is the caller's: wipe it when done, for
/// example by holding it in a [`Zeroizing<String>`](crate::crypto::Zeroizing).
///
/// # Costs
///
/// One pass over the text: time grows linearly with its length. Each value is
/// read twice (measured, then copied once into its own buffer); each key is
/// looked up once in a hash map; a problem's column is counted only when it is
/// reported, over its own line. What the result holds is bounded: the entries
/// hold at most the text's own keys and values (a value is at most
/// [`SecretValue::MAX_LEN`] bytes), [`ParsedEnv::warnings`] at most 1,001 entries
/// (1,000 listed and one counting the rest) and an error at most 1,001 problems,
/// each a line, a column and a fixed reason. The text's own length is the
/// caller's to bound (a request-body limit, say): what the parse builds is linear
/// in it, a few dozen bytes per statement beyond the keys and values themselves.
///
/// # Errors
///
/// `import_syntax` ([`Error::ImportSyntax`]) listing **every** problem of the text
/// at once, each with its line and, where one can be named, its column: a
/// statement without `=`, an invalid key (one that looks like a token included),
/// a value of only `=` signs, a value starting with a backtick, text
/// after a closing quote, an unterminated quote, a value over 65,536 bytes. No
/// message contains a value or the text of a line. On error no value is kept: the
/// ones already read are zeroized.
///
/// # Example
///
/// ```
/// use workflow_secrets::import::parse_env;
///
/// let text = "\u{feff}# production keys\r\n\
///             export OPENAI_API_KEY = sk-live-123   # trimmed, comment dropped\r\n\
///             DB_PASSWORD=pa$$#word\r\n\
///             GREETING=\"line one\\nline two\"\r\n\
///             WINDOWS_PATH=\"C:\\Users\\me\"\r\n\
///             RAW='no \\n escapes, ${NOT_EXPANDED}'\r\n\
///             DB_PASSWORD=rotated\r\n";
/// let parsed = parse_env(text)?;
///
/// let pairs: Vec<(&str, &str)> = parsed
///     .entries
///     .iter()
///     .map(|e| (e.key.as_str(), e.value.expose_secret()))
///     .collect();
/// assert_eq!(
///     pairs,
///     [
///         ("OPENAI_API_KEY", "sk-live-123"),
///         ("DB_PASSWORD", "rotated"), // the last value wins, the first position stays
///         ("GREETING", "line one\nline two"),
///         ("WINDOWS_PATH", "C:\\Users\\me"),
///         ("RAW", "no \\n escapes, ${NOT_EXPANDED}"),
///     ]
/// );
/// assert_eq!(parsed.warnings.len(), 1);
/// assert_eq!(parsed.warnings[0].line, 7);
///
/// // Every problem at once, and never the secret that was pasted.
/// let err = parse_env("A=ok\nsk-live-9f8e7d6c\nB=\"unclosed sk-live-1a2b\n").unwrap_err();
/// assert_eq!(err.code(), "import_syntax");
/// let message = err.to_string();
/// assert!(message.starts_with("line 2: "));
/// assert!(message.contains("; line 3: unterminated quote"));
/// assert!(!message.contains("sk-live"));
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
pub fn parse_env(text: &str) -> Result<ParsedEnv, Error> {
    parser::parse(text)
}

/// One `KEY=VALUE` statement of a parsed `.env` text.
///
/// **Holds secret material**: the value is a [`SecretValue`], zeroized on drop.
/// `Debug` shows the line and key and masks the value.
#[derive(Debug)]
pub struct EnvEntry {
    /// The 1-based line where the statement starts. For a duplicate key, the line
    /// of the statement whose value was kept (the last one).
    pub line: usize,
    /// The key.
    pub key: SecretKey,
    /// The value, unescaped, with line breaks as LF.
    pub value: SecretValue,
}

/// The result of [`parse_env`]: the entries in order, and warnings.
///
/// **Holds secret material** (in its entries; zeroized on drop). Keys are unique:
/// a duplicate key keeps its first position with the last value. Iterating a
/// `ParsedEnv` (or a `&ParsedEnv`) yields its entries.
///
/// # Example
///
/// ```
/// use workflow_secrets::import::parse_env;
///
/// let parsed = parse_env("A=1\nB=2\n")?;
/// let keys: Vec<String> = parsed.into_iter().map(|e| e.key.to_string()).collect();
/// assert_eq!(keys, ["A", "B"]);
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ParsedEnv {
    /// The entries, one per distinct key, in the order each key first appears.
    pub entries: Vec<EnvEntry>,
    /// Things the user should know that did not stop the parse, such as a
    /// duplicate key. Never a value. At most 1,000 are listed; a 1,001st, if
    /// present, counts the ones left out (`too many warnings: N more not listed`).
    pub warnings: Vec<ImportWarning>,
}

impl ParsedEnv {
    /// The entries, by reference, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, EnvEntry> {
        self.entries.iter()
    }
}

impl IntoIterator for ParsedEnv {
    type Item = EnvEntry;
    type IntoIter = std::vec::IntoIter<EnvEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'p> IntoIterator for &'p ParsedEnv {
    type Item = &'p EnvEntry;
    type IntoIter = std::slice::Iter<'p, EnvEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// Something a parse noticed that did not stop it, such as a duplicate key.
///
/// Public: the message names at most a key and line numbers, never a value.
/// `Display` is `line N: message`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ImportWarning {
    /// The 1-based line the warning is about.
    pub line: usize,
    /// What happened, lowercase; names a key that parsed as one and line numbers,
    /// never a value or the text of a line.
    pub message: String,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}
