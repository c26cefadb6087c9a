//! The `.env` grammar: one pass over the text, collecting entries and problems.
//!
//! Plaintext discipline: a value is measured before it is built, so its buffer is
//! allocated once at its exact size and never grows (no reallocation leaves a copy
//! behind), and it moves straight into a `SecretValue`. Once any problem is found
//! no further value is built; the ones built before are zeroized when the entries
//! are dropped. Problems carry fixed reasons only, so no input text reaches them.

use std::collections::HashMap;

use super::{EnvEntry, ImportWarning, ParsedEnv};
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;
use crate::vocab::{Error, LineProblem};

/// What can be wrong with a statement. Each reason is fixed text: a message is
/// built from a line, a column and one of these, never from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    MissingEquals,
    ExpectedEquals,
    EmptyKey,
    KeyTooLong,
    KeyChars,
    /// A valid key that may not name a new secret: it looks like one
    /// ([`SecretKey::check_new_name`]); the reason is the key rule's fixed text.
    KeyLooksSecret(&'static str),
    /// An unquoted value of only `=` signs: the padding of a wrapped token.
    OnlyEquals,
    Backtick,
    UnterminatedDouble,
    UnterminatedSingle,
    AfterQuote,
    ValueTooLarge,
    TooMany,
}

/// The most problems reported; at the next one the parse stops, and that one is
/// reported as "too many problems" on its line. Each problem costs a few dozen bytes for two bytes of input
/// (`"a\n"` repeated), so without a cap a large paste could claim memory many
/// times its own size; no one fixes more than a thousand problems from one list.
pub(super) const MAX_PROBLEMS: usize = 1_000;

/// The most warnings listed; the rest are counted in one last warning. A warning
/// (a duplicate key) is not a problem, so nothing else would stop them: a 1 MB
/// paste of `A=1` lines made 250,000 (33 MB). With the cap, warnings hold at most
/// about 1,001 × 310 bytes (a 256-byte key and two line numbers each).
pub(super) const MAX_WARNINGS: usize = 1_000;

impl Problem {
    fn reason(self) -> String {
        let text = match self {
            Problem::MissingEquals => {
                "missing `=`: a statement is KEY=VALUE, and a value that spans lines must be quoted"
            }
            Problem::ExpectedEquals => "expected `=` after the key",
            Problem::EmptyKey => "missing key before `=`",
            Problem::KeyTooLong => "invalid key: a key is 1 to 256 bytes; this one is longer",
            Problem::KeyChars => {
                "invalid key: a key may hold only ASCII letters, digits and underscores"
            }
            Problem::KeyLooksSecret(reason) => return format!("invalid key: {reason}"),
            Problem::OnlyEquals => {
                "a value of only `=` signs looks like the end of a token that wrapped onto its own line; \
                 join it to its line, or quote the value if it is meant"
            }
            Problem::Backtick => "a value may not start with a backtick; quote it with ' or \"",
            Problem::UnterminatedDouble => {
                "unterminated quote: the double-quoted value that starts here is never closed"
            }
            Problem::UnterminatedSingle => {
                "unterminated quote: the single-quoted value that starts here is never closed"
            }
            Problem::AfterQuote => {
                "unexpected text after the closing quote; only whitespace and a # comment may follow"
            }
            Problem::ValueTooLarge => "value too large: the limit is 65536 bytes",
            Problem::TooMany => {
                "too many problems: parsing stopped after the first 1000; fix them and try again"
            }
        };
        text.to_owned()
    }
}

/// Whitespace inside a line: Unicode whitespace except the two line-break characters.
fn is_blank(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(super) fn parse(text: &str) -> Result<ParsedEnv, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser {
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        problems: Vec::new(),
        entries: Vec::new(),
        warnings: Vec::new(),
        unlisted: None,
        seen: HashMap::new(),
    };
    parser.run();
    if parser.problems.is_empty() {
        if let Some((line, count)) = parser.unlisted {
            parser.warnings.push(ImportWarning {
                line,
                message: format!("too many warnings: {count} more not listed"),
            });
        }
        Ok(ParsedEnv {
            entries: parser.entries,
            warnings: parser.warnings,
        })
    } else {
        // `parser.entries` drops here: each SecretValue zeroizes itself.
        Err(Error::ImportSyntax {
            problems: parser.problems,
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
    /// 1-based number of the line `pos` is on.
    line: usize,
    /// Byte offset where that line starts, for columns.
    line_start: usize,
    problems: Vec<LineProblem>,
    entries: Vec<EnvEntry>,
    warnings: Vec<ImportWarning>,
    /// Past [`MAX_WARNINGS`]: the line of the first warning not listed, and how
    /// many were not.
    unlisted: Option<(usize, usize)>,
    /// Each key's index in `entries`.
    seen: HashMap<&'a str, usize>,
}

/// How a value is written, and where its text lies in the input.
enum Raw<'a> {
    /// Unquoted and already trimmed, or single-quoted: copied as is except that
    /// line breaks become LF.
    Literal(&'a str),
    /// The text between double quotes, escapes still in it.
    Double(&'a str),
}

impl<'a> Parser<'a> {
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn char(&self) -> Option<char> {
        self.text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
    }

    /// The 1-based column, in characters, of byte offset `at` on the current line.
    fn column(&self, at: usize) -> usize {
        self.column_on(self.line_start, at)
    }

    /// The 1-based column of byte offset `at` on the line starting at `line_start`.
    /// Computed only when a problem is reported: counting characters is not free.
    fn column_on(&self, line_start: usize, at: usize) -> usize {
        self.text
            .get(line_start..at)
            .map_or(0, |before| before.chars().count())
            + 1
    }

    fn problem(&mut self, line: usize, column: usize, problem: Problem) {
        if self.problems.len() > MAX_PROBLEMS {
            return;
        }
        self.problems.push(if self.problems.len() < MAX_PROBLEMS {
            LineProblem {
                line,
                column: Some(column),
                reason: problem.reason(),
            }
        } else {
            LineProblem {
                line,
                column: None,
                reason: Problem::TooMany.reason(),
            }
        });
    }

    /// Lists a warning, or past [`MAX_WARNINGS`] only counts it (its message is
    /// then never built).
    fn warn(&mut self, line: usize, message: impl FnOnce() -> String) {
        if self.warnings.len() < MAX_WARNINGS {
            let message = message();
            self.warnings.push(ImportWarning { line, message });
        } else {
            let (_, count) = self.unlisted.get_or_insert((line, 0));
            *count += 1;
        }
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.char() {
            if !is_blank(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Moves to the end of the line (before its line break).
    fn skip_to_line_end(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(b) = bytes.get(self.pos) {
            if *b == b'\n' || *b == b'\r' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Consumes one line break (LF, CRLF or CR) if there is one at `pos`.
    fn eat_line_break(&mut self) -> bool {
        match self.byte() {
            Some(b'\r') => {
                self.pos += 1;
                if self.byte() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            Some(b'\n') => self.pos += 1,
            _ => return false,
        }
        self.line += 1;
        self.line_start = self.pos;
        true
    }

    fn run(&mut self) {
        loop {
            self.skip_blanks();
            match self.byte() {
                None => return,
                Some(b'\n' | b'\r') => {}
                Some(b'#') => self.skip_to_line_end(),
                Some(_) => self.statement(),
            }
            if self.problems.len() > MAX_PROBLEMS {
                return;
            }
            // Every branch above stops at a line break or the end of the input.
            self.eat_line_break();
        }
    }

    /// `pos` is on the first character of a statement (not blank, not `#`).
    fn statement(&mut self) {
        let line = self.line;
        let line_start = self.line_start;
        self.skip_export();

        let key_start = self.pos;
        while let Some(c) = self.char() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
        let key = self.text.get(key_start..self.pos).unwrap_or_default();
        self.skip_blanks();
        match self.byte() {
            Some(b'=') => self.pos += 1,
            None | Some(b'\n' | b'\r') => {
                let column = self.column(self.pos);
                self.problem(line, column, Problem::MissingEquals);
                return;
            }
            Some(_) => {
                let column = self.column(self.pos);
                self.problem(line, column, Problem::ExpectedEquals);
                self.skip_to_line_end();
                return;
            }
        }
        let key_ok = self.check_key(key, key_start, line);

        self.skip_blanks();
        // Where the value starts, for a problem reported after a multi-line value.
        let value_at = (self.line_start, self.pos);
        let quoted = matches!(self.byte(), Some(b'"' | b'\''));
        let raw = match self.byte() {
            Some(b'"') => self.quoted(b'"', line, value_at),
            Some(b'\'') => self.quoted(b'\'', line, value_at),
            Some(b'`') => {
                let column = self.column(self.pos);
                self.problem(line, column, Problem::Backtick);
                self.skip_to_line_end();
                None
            }
            _ => Some(Raw::Literal(self.unquoted())),
        };
        let Some(raw) = raw else { return };
        // The tail of a base64 token wrapped onto its own line (`c2stbGl2==`) reads as
        // a key and a value of `=` signs: refuse it, or the fragment becomes a public
        // name. A value meant to be `=` signs can be quoted.
        if let Raw::Literal(value) = &raw
            && !quoted
            && !value.is_empty()
            && value.bytes().all(|b| b == b'=')
        {
            let column = self.column_on(value_at.0, value_at.1);
            self.problem(line, column, Problem::OnlyEquals);
            return;
        }
        // A name that looks like a secret may not name a new one (checked after the
        // `=` signs above, the more telling problem for a wrapped token).
        if key_ok && let Some(reason) = SecretKey::new_name_reason(key) {
            let column = self.column_on(line_start, key_start);
            self.problem(line, column, Problem::KeyLooksSecret(reason));
            return;
        }

        let len = raw.decoded_len();
        if len > SecretValue::MAX_LEN {
            let column = self.column_on(value_at.0, value_at.1);
            self.problem(line, column, Problem::ValueTooLarge);
            return;
        }
        if key_ok && self.problems.is_empty() {
            self.add_entry(line, key, &raw, len);
        }
    }

    /// Skips a lowercase `export` followed by whitespace and a key character.
    fn skip_export(&mut self) {
        let Some(after) = self
            .text
            .get(self.pos..)
            .and_then(|r| r.strip_prefix("export"))
        else {
            return;
        };
        let blanks: usize = after
            .chars()
            .take_while(|c| is_blank(*c))
            .map(char::len_utf8)
            .sum();
        if blanks > 0
            && after
                .as_bytes()
                .get(blanks)
                .copied()
                .is_some_and(is_key_byte)
        {
            self.pos += "export".len() + blanks;
        }
    }

    /// Reports what is wrong with `key`, if anything; true when it is a valid key.
    fn check_key(&mut self, key: &str, key_start: usize, line: usize) -> bool {
        let problem = if key.is_empty() {
            Problem::EmptyKey
        } else if key.len() > SecretKey::MAX_LEN {
            Problem::KeyTooLong
        } else if let Some(bad) = key.bytes().position(|b| !is_key_byte(b)) {
            let column = self.column(key_start + bad);
            self.problem(line, column, Problem::KeyChars);
            return false;
        } else {
            return true;
        };
        let column = self.column(key_start);
        self.problem(line, column, problem);
        false
    }

    /// Reads an unquoted value to its line's end or comment, trimmed.
    fn unquoted(&mut self) -> &'a str {
        let text = self.text;
        let bytes = text.as_bytes();
        let start = self.pos;
        let mut end = start;
        let mut comment = false;
        while let Some(&b) = bytes.get(end) {
            match b {
                b'\n' | b'\r' => break,
                b'#' if text
                    .get(..end)
                    .and_then(|before| before.chars().next_back())
                    .is_some_and(char::is_whitespace) =>
                {
                    comment = true;
                    break;
                }
                _ => end += 1,
            }
        }
        self.pos = end;
        if comment {
            self.skip_to_line_end();
        }
        text.get(start..end).unwrap_or_default().trim()
    }

    /// Reads a quoted value (`pos` on its opening quote) and what follows it on
    /// the closing line. `None` when it is unterminated or followed by stray text
    /// (both reported).
    fn quoted(&mut self, quote: u8, line: usize, at: (usize, usize)) -> Option<Raw<'a>> {
        let text = self.text;
        let bytes = text.as_bytes();
        self.pos += 1;
        let start = self.pos;
        loop {
            match bytes.get(self.pos) {
                None => {
                    let problem = if quote == b'"' {
                        Problem::UnterminatedDouble
                    } else {
                        Problem::UnterminatedSingle
                    };
                    let column = self.column_on(at.0, at.1);
                    self.problem(line, column, problem);
                    return None;
                }
                Some(&b) if b == quote => break,
                // Only `\"` and `\\` can hide a closing quote; any other pair is
                // read one byte at a time (a line break after `\` is still counted).
                Some(b'\\') if quote == b'"' => {
                    self.pos += match bytes.get(self.pos + 1) {
                        Some(b'"' | b'\\') => 2,
                        _ => 1,
                    };
                }
                Some(b'\n' | b'\r') => {
                    self.eat_line_break();
                }
                Some(_) => self.pos += 1,
            }
        }
        let content = text.get(start..self.pos).unwrap_or_default();
        self.pos += 1;

        self.skip_blanks();
        match self.byte() {
            None | Some(b'\n' | b'\r') => {}
            Some(b'#') => self.skip_to_line_end(),
            Some(_) => {
                let column = self.column(self.pos);
                let line = self.line;
                self.problem(line, column, Problem::AfterQuote);
                self.skip_to_line_end();
                return None;
            }
        }
        Some(if quote == b'"' {
            Raw::Double(content)
        } else {
            Raw::Literal(content)
        })
    }

    fn add_entry(&mut self, line: usize, key: &'a str, raw: &Raw<'a>, len: usize) {
        let mut buffer = String::with_capacity(len);
        raw.decode(&mut buffer);
        debug_assert_eq!(buffer.len(), len, "measured and decoded lengths differ");
        // Neither can fail: the key was checked and the length measured. Should
        // one ever fail, it is reported rather than unwrapped (no panics here);
        // `SecretValue::new` zeroizes a value it refuses.
        let (key_name, value) = match (SecretKey::new(key), SecretValue::new(buffer)) {
            (Ok(key_name), Ok(value)) => (key_name, value),
            (Err(_), _) => return self.problem(line, 1, Problem::KeyChars),
            (_, Err(_)) => return self.problem(line, 1, Problem::ValueTooLarge),
        };
        match self.seen.get(key) {
            Some(&index) => {
                if let Some(entry) = self.entries.get_mut(index) {
                    let previous = entry.line;
                    // The replaced value drops here and zeroizes itself.
                    entry.value = value;
                    entry.line = line;
                    self.warn(line, || {
                        format!(
                            "duplicate key {key_name}: line {line} replaces the value from line {previous}"
                        )
                    });
                }
            }
            None => {
                self.seen.insert(key, self.entries.len());
                self.entries.push(EnvEntry {
                    line,
                    key: key_name,
                    value,
                });
            }
        }
    }
}

/// Where decoded value text goes: a length counter first, then the value's buffer.
trait Sink {
    fn text(&mut self, text: &str);
    fn char(&mut self, c: char);
}

/// Counts bytes, so the value's buffer can be allocated once at its exact size.
struct Measure(usize);

impl Sink for Measure {
    fn text(&mut self, text: &str) {
        self.0 += text.len();
    }
    fn char(&mut self, c: char) {
        self.0 += c.len_utf8();
    }
}

impl Sink for String {
    fn text(&mut self, text: &str) {
        self.push_str(text);
    }
    fn char(&mut self, c: char) {
        self.push(c);
    }
}

impl Raw<'_> {
    fn decoded_len(&self) -> usize {
        let mut measure = Measure(0);
        self.decode(&mut measure);
        measure.0
    }

    fn decode(&self, out: &mut impl Sink) {
        match self {
            Raw::Literal(text) => decode_literal(text, out),
            Raw::Double(text) => decode_double(text, out),
        }
    }
}

/// Copies `text`, turning CRLF and lone CR into LF.
fn decode_literal(text: &str, out: &mut impl Sink) {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\r' {
            out.text(text.get(run..i).unwrap_or_default());
            out.char('\n');
            i += if bytes.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            run = i;
        } else {
            i += 1;
        }
    }
    out.text(text.get(run..).unwrap_or_default());
}

/// Unescapes the inside of a double-quoted value: `\n \r \t \" \' \\`; any other
/// backslash stays, and the character after it is read as usual. Line breaks
/// become LF. Every offset sliced at is an ASCII byte, so a character boundary.
fn decode_double(text: &str, out: &mut impl Sink) {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let (replacement, width) = match b {
            b'\\' => match bytes.get(i + 1) {
                Some(b'n') => ('\n', 2),
                Some(b'r') => ('\r', 2),
                Some(b't') => ('\t', 2),
                Some(b'"') => ('"', 2),
                Some(b'\'') => ('\'', 2),
                Some(b'\\') => ('\\', 2),
                _ => {
                    i += 1;
                    continue;
                }
            },
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => ('\n', 2),
            b'\r' => ('\n', 1),
            _ => {
                i += 1;
                continue;
            }
        };
        out.text(text.get(run..i).unwrap_or_default());
        out.char(replacement);
        i += width;
        run = i;
    }
    out.text(text.get(run..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_real_limits() {
        let named = |p: Problem, n: usize| p.reason().contains(&n.to_string());
        assert!(named(Problem::ValueTooLarge, SecretValue::MAX_LEN));
        assert!(named(Problem::KeyTooLong, SecretKey::MAX_LEN));
        assert!(named(Problem::TooMany, MAX_PROBLEMS));
    }

    #[test]
    fn measured_length_is_decoded_length() {
        for text in ["", "a\\nb", "\\x\\\\\\\"", "\r\n\r\\\r\n", "é\\té", "\\"] {
            for raw in [Raw::Literal(text), Raw::Double(text)] {
                let mut out = String::new();
                raw.decode(&mut out);
                assert_eq!(raw.decoded_len(), out.len(), "{text:?}");
            }
        }
    }
}
