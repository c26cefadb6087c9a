//! Masking: what a [`Redactor`](crate::Redactor) masks, and exactly what that
//! guarantees.
//!
//! Masking is a safety net for output the host routes through a redactor
//! ([`redact`](crate::Redactor::redact),
//! [`redact_bytes`](crate::Redactor::redact_bytes),
//! [`writer`](crate::Redactor::writer), [`serialize`](crate::Redactor::serialize)).
//! Output that bypasses it is not masked, and code that holds a value can always
//! print it in a form no rule below covers (reversed, split, encrypted).
//!
//! # Which redactor
//!
//! | redactor | masks | masks look like |
//! |---|---|---|
//! | [`Run::redactor`](crate::Run::redactor) | every value any step of the run resolved (in a shared run, lent values only), now or later | labelled, `[REDACTED:API_KEY]`, unless [`Resolver::with_redaction`](crate::Resolver::with_redaction) says otherwise |
//! | [`Step::redactor`](crate::Step::redactor) | every value the step resolved, now or later | as above |
//! | [`Secrets::workspace_redactor`](crate::Secrets::workspace_redactor) | every value of every scope of the workspace, personal ones included, at the time of the call | unlabelled, `***` (labels would name other users' keys) |
//! | [`Redactor::new`](crate::Redactor::new), [`Redactor::builder`](crate::Redactor::builder) | the values given, and any [`add`](crate::Redactor::add)ed | `***`, or as the [`RedactorBuilder`](crate::redact::RedactorBuilder) sets |
//!
//! # What one value registers
//!
//! A value shorter than the minimum length
//! ([`min_len`](crate::redact::RedactorBuilder::min_len), default 4 bytes) registers
//! nothing and is counted by [`Redactor::skipped`](crate::Redactor::skipped); an empty
//! value is ignored. Otherwise the value registers these **patterns**:
//!
//! - the value itself;
//! - for a value that spans lines: its LF form, its CRLF form, and each of its lines,
//!   trimmed of ASCII whitespace, that is at least 8 bytes long (shorter lines are not
//!   masked on their own);
//! - for each of those forms, its encoded forms, as [`Encodings`](crate::redact::Encodings)
//!   selects (all on by default):
//!
//! | encoding | forms |
//! |---|---|
//! | `base64` | standard and URL-safe alphabets, padded and unpadded; and, for each of the three byte alignments inside a larger blob (`Basic base64(user:secret)`), the characters that depend on the value's bytes alone |
//! | `percent` | no pattern of its own (but the form with each space as `+`, for a value holding a space): the text is searched decoded too, see below |
//! | `json` | the JSON string escapings common encoders produce: `\"`, `\\`, control characters short (`\n`) or as `\u00XX` in either case, `/` as `/` or `\/`, non-ASCII as is or as `\uXXXX` |
//! | `hex` | the value's bytes in lower-case hex, and in upper-case hex |
//!
//! An encoded form shorter than 8 bytes, or equal to the form it encodes, is not
//! registered. Other encodings are not masked: base32, for example, or an encoding
//! applied twice (numbers written by a serializer are masked: see below).
//!
//! # Percent-encodings: any mix
//!
//! With `percent` on, a value is masked under **any mix, byte by byte, of the
//! literal byte, `%XX`, `%xx`, and `+` for a space**: what Python's `quote` (keeps
//! `/`), JavaScript's `encodeURIComponent` (keeps `!*'()`) and form encoding (`+`
//! for a space, `%7E` for `~`) write, and every other mix. No pattern is registered
//! per escaping. Instead, a text that holds an escape (`%` and two hex digits), or a
//! `+` while some value holds a space, is also searched in its **decoded view**: each
//! escape decoded to its byte and each space read as `+`. A match there masks the
//! text bytes it decodes from, as one run with any overlapping match in the text
//! itself. Partial occurrences at a text's ends follow the same plaintext bound in
//! the view (an escape counts as one byte). An escape is context-free (a `%` is not a
//! hex digit, so no escape lies inside another), which keeps the writer's output
//! identical to one-shot redaction: it never cuts a stream inside an escape. The
//! one limit: a value's own `%`, left unescaped before two hex digits, reads as an
//! escape, so a mix that leaves it literal while escaping another byte is not
//! recognised (every encoder escapes `%` as `%25`; the value written wholly
//! literally is masked by its own pattern). The
//! view costs one linear pass and, when built, a second search; a text without an
//! escape or a relevant `+` costs nothing more (`tests/redact_percent.rs`).
//!
//! # Occurrences and overlaps
//!
//! Every byte of every occurrence of every pattern is masked. Occurrences that
//! overlap or touch form one **run**, and each maximal run becomes **one** mask, so
//! the number and place of masks do not depend on how the occurrences interleave.
//! With labelled masks, a run is labelled by the key of its leftmost occurrence; a
//! value registered without a key is labelled `[REDACTED]`. A labelled mask's width
//! depends on its key only, never on the value.
//!
//! # Partial occurrences at the ends
//!
//! A text (or stream) that begins with a proper suffix of a pattern, or ends with a
//! proper prefix of one, has that part masked when it wholly encodes at least 8
//! **plaintext** bytes **and** at least half of the value (the plaintext form the
//! pattern encodes: the value, or one of its lines), for every encoding: 16 hex
//! digits count as 8 bytes, `%21` as one, an escape `\u00e9` as one, base64 as 6
//! bits a character less one byte for a fragment. A process killed mid-print is the
//! case this covers; the bound keeps the mask from confirming guesses (counted on the
//! encoded pattern, the hex form of 4 bytes of an 8-byte value was masked, and each
//! further digit became a 16-guess test). Nothing shorter is masked, and partial
//! occurrences in the middle of a text are never masked
//! (`tests/redact_partial_bound.rs`).
//!
//! # What the output is made of
//!
//! **The mask comes from the configuration alone**: the configured mask (`***` by
//! default, possibly empty) or, labelled, `[REDACTED:KEY]`, whatever the values
//! hold, applied in one pass. The output therefore depends on the values only
//! through *which bytes* their occurrences cover: **every output byte is either an
//! input byte outside every masked run, or a byte of a mask; no secret byte is ever
//! taken from the input.** A value may still appear in the output where the mask
//! text and the caller's own bytes happen to spell it (a value `**x` beside a run
//! masked `***` and a caller's `x`): that reveals nothing the caller did not write.
//! (Before, a value holding the mask's characters switched the mask to a fallback
//! such as `<REDACTED:KEY>` or `###`: a bit per guessed character for anyone who
//! reads output.) Tested by `tests/redact_mask_shape.rs`, under every searcher.
//!
//! # Streams: the writer
//!
//! A [`RedactingWriter`](crate::redact::RedactingWriter) masks a stream written in
//! pieces, including a secret split across any number of writes:
//!
//! - It holds back a **fixed** amount: the longest occurrence less one byte, whatever
//!   the text. That is the longest registered pattern, or three times it with
//!   `percent` on (each byte of an occurrence in the decoded view may be a 3-byte
//!   escape in the text). (A hold-back that depended on whether the text looks like
//!   a secret's prefix would let anyone who writes into the stream and watches it
//!   flush learn a secret byte by byte.)
//! - [`flush`](std::io::Write::flush) is **live**: it emits everything through the
//!   last line break, and of the unfinished last line all but the hold-back, so a
//!   paused step's finished lines reach the client. Where it cuts depends on the
//!   written text alone. A pattern without a line break is masked as one-shot
//!   redaction masks it; a multi-line value that a flush cuts is masked line by
//!   line (each of its lines of at least 8 bytes is a pattern of its own; a shorter
//!   line of it may show). Tested by `tests/redact_live_flush.rs`.
//! - [`finish`](crate::redact::RedactingWriter::finish) emits the rest, with a
//!   partial occurrence at the end masked; dropping the writer does the same, best
//!   effort.
//! - While the redactor's set does not change, the writer's total output is
//!   **byte-identical** to [`redact_bytes`](crate::Redactor::redact_bytes) of
//!   everything written, however it was chunked, unless a flush cut a multi-line
//!   value (then masked line by line, above).
//!
//! # Live redactors
//!
//! A [`Redactor`](crate::Redactor) is **live**: its clones, and the writers made from
//! them, share one set, and [`add`](crate::Redactor::add) registers a value with all of
//! them at once. A step registers a value before handing it out, so a writer made at
//! the start of a step masks what the step resolves later, from the writer's next
//! `write` or `flush` on. Bytes a writer emitted before the value was added are not
//! recalled. `workspace_redactor` is a snapshot of the store: values created later
//! are not in it.
//!
//!
//! # The platform redactor: the service's own output
//!
//! A run's redactor masks that run's output with labelled masks. The service's own
//! logs and responses need one table of every value the process has handed out or
//! taken in: a [`PlatformRedactor`](crate::redact::PlatformRedactor), fed by the
//! hooks `Resolver::with_platform_redactor` and `Secrets::with_platform_redactor`,
//! with **unlabelled** masks (a label would name another tenant's key). It keeps each
//! value for a retention after it was last seen, within caps it reports when reached.
//! Put it behind `tracing` (feature `tracing`: `redact::MaskingMakeWriter`) and
//! behind the response bodies (feature `tower`: `RedactLayer::platform`); its
//! [`writer`](crate::redact::PlatformRedactor::writer) follows the table as it grows
//! and is rebuilt. Never show its output to a tenant as "masked with another
//! tenant's values": whether a mask appears tells whether a guess equals a value
//! the process holds.
//! # Serialized data
//!
//! [`Redactor::serialize`](crate::Redactor::serialize) wraps any
//! `serde::Serialize` value: every string, character, byte string and map key is
//! redacted, each as a whole text (so partial occurrences at its ends count). Struct
//! and variant names pass through. **Numbers are redacted as their text**: every
//! integer (any width) and float, as a value or a map key, is checked as its decimal
//! text (a float as both `0.0001` and `1e-4`); one whose text holds a secret (a PIN,
//! a card number) is emitted as that text masked, **a string** (`"***"`, `"-***"`),
//! since a number cannot hold a mask. A number holding no secret stays a number.
//! Booleans pass through unchecked: `true` and `false` hide nothing.
//!
//! # What holds the patterns
//!
//! A redactor keeps every pattern (plaintext and encodings) in memory for as long as
//! it, a clone or a writer lives; SECURITY.md says which copies are zeroized and which
//! (the search automata's) are not. A writer's held-back text is wiped before its
//! buffer grows, so no freed block keeps it (SECURITY.md, "Freed memory"). `Debug` of every redaction type shows counts,
//! never patterns.
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! use workflow_secrets::redact::Encodings;
//! use workflow_secrets::{Redactor, SecretKey, SecretValue};
//!
//! let a = SecretValue::new("abcdefgh1234")?;
//! let b = SecretValue::new("1234wxyz5678")?;
//! let redactor = Redactor::builder()
//!     .labelled(true)
//!     .encodings(Encodings::none())
//!     .secret_named(&SecretKey::new("A")?, &a)
//!     .secret_named(&SecretKey::new("B")?, &b)
//!     .build();
//!
//! // Overlapping occurrences: one mask, labelled by the leftmost.
//! assert_eq!(redactor.redact("x abcdefgh1234wxyz5678 y"), "x [REDACTED:A] y");
//! // A prefix at the very end: masked from max(8, half the value) plaintext bytes on.
//! assert_eq!(redactor.redact("killed at abcdefgh"), "killed at [REDACTED:A]");
//! assert_eq!(redactor.redact("killed at abcdefg"), "killed at abcdefg");
//!
//! // A flush emits every finished line; of the unfinished last line it holds back the
//! // longest pattern less one byte (here 11), whatever the text.
//! let mut log = redactor.writer(Vec::new());
//! log.write_all(b"plain text, nothing secret: 0123456789")?;
//! log.flush()?;
//! assert_eq!(log.get_ref().map(Vec::len), Some(38 - 11));
//! log.write_all(b" then 1234wx")?;
//! log.write_all(b"yz5678.")?;
//! assert_eq!(log.finish()?, b"plain text, nothing secret: 0123456789 then [REDACTED:B].");
//!
//! // Live: a value added later is masked by every clone.
//! let clone = redactor.clone();
//! redactor.add(Some(&SecretKey::new("C")?), &SecretValue::new("late-value-99")?);
//! assert_eq!(clone.redact("got late-value-99"), "got [REDACTED:C]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
