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
//! # Well-known token formats (opt-in)
//!
//! A code step can print a credential the host never registered: another service's
//! key read from its own configuration, or a token an API returned.
//! [`mask_token_formats`](crate::redact::RedactorBuilder::mask_token_formats) (off by
//! default; also on [`PlatformRedactorBuilder`](crate::redact::PlatformRedactorBuilder))
//! masks tokens of distinctive formats, registered or not, each as
//! `[REDACTED:format=<name>]` (a key cannot hold `=`, so no key's mask reads the
//! same), whatever the mask settings:
//!
//! | format ([`TokenFormat`](crate::redact::TokenFormat)) | name | rule | longest |
//! |---|---|---|---|
//! | `GitHubToken` | `github_token` | `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 to 251 letters and digits | 255 |
//! | `GitHubPat` | `github_pat` | `github_pat_` + 82 to 244 letters, digits and `_` | 255 |
//! | `OpenAiKey` | `openai_key` | `sk-proj-`, `sk-svcacct-`, `sk-admin-`, `sk-None-` + 40 to 250 base64url; or `sk-` + exactly 48 letters and digits; mixing upper case, lower case and digits | 261 |
//! | `AnthropicKey` | `anthropic_key` | `sk-ant-` + 32 to 250 base64url, mixed likewise | 257 |
//! | `SlackToken` | `slack_token` | `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`, `xoxe.xoxp-`, `xapp-` + 20 to 250 letters, digits and `-`, one a digit | 260 |
//! | `StripeSecretKey` | `stripe_secret_key` | `sk_live_`, `sk_test_`, `rk_live_`, `rk_test_` + 24 to 247 letters and digits | 255 |
//! | `AwsAccessKeyId` | `aws_access_key_id` | `AKIA`, `ASIA` + exactly 16 upper-case letters and digits | 20 |
//! | `GoogleApiKey` | `google_api_key` | `AIza` + exactly 35 base64url | 39 |
//! | `SendGridKey` | `sendgrid_key` | `SG.` + 22 base64url + `.` + 43 base64url | 69 |
//! | `Jwt` | `jwt` | 3 to 5 base64url segments joined by `.`, the first starting `eyJ` and decoding to a JSON object naming `"alg"`, the second not empty | 8,192 |
//! | `PemPrivateKey` | `pem_private_key` | `-----BEGIN <label>-----` with `PRIVATE KEY` in the label, through `-----END …-----`; line breaks real or JSON-escaped (`\n`) | 8,192 |
//!
//! **Word boundaries.** A token must not start right after a letter, a digit or a
//! byte of its own body's charset (`xghp_…`, `task-…` and `AKIA` inside a longer
//! word are left alone; this also keeps the scan linear: two body scans of one
//! charset never overlap), and must end before a byte that is neither (`ghp_` and
//! 300 letters is no GitHub token). PEM blocks have no boundary rule.
//!
//! **Look-alikes stay**: `ghp_` and too few characters, `sk-learn`, a lower-case
//! slug after `sk-proj-`, `AKIA` in prose, a Stripe publishable key (`pk_live_`),
//! base64 JSON that is no JWT (one segment, or a header without `"alg"`), three
//! base64url segments not starting `eyJ`, and PEM public keys and certificates
//! (`tests/redact_formats.rs::format_cases` holds both kinds, named).
//!
//! **Bounds, failing closed.** A PEM block without its END line (a truncated print)
//! is masked from its BEGIN line through its last base64 or header byte. A JWT or
//! PEM block longer than 8 KiB is masked for its first 8 KiB (a JWT only when its
//! header checked out) and the rest shows: no private key or token in use is that
//! long (an 8,192-bit RSA key in PKCS #8 is about 6.4 KiB).
//!
//! **Registered values first.** The formats are searched after the registered
//! values, and each registered run is read as an opaque span: no prefix is looked
//! for inside one, a token's body runs through one (its length counts, its bytes are
//! not read), a JWT whose header would meet one is no JWT (its header is decoded to
//! check it, and a registered value's bytes are never decoded), and the byte before
//! a token counts as a boundary when it lies in one.
//! So a format mask never takes away a registered value's mask (every byte a
//! registered run covers stays covered: `formats_never_unmask`, a property over the
//! runs), and where it lands depends on where registered values are, never on their
//! bytes (`format_masks_do_not_read_registered_bytes`): the output still depends on
//! the values only through the spans they cover (below). Runs that overlap or
//! touch still become one mask, labelled by the leftmost occurrence, a registered
//! value's (`[REDACTED:KEY]`) or a format's.
//!
//! **Share links: the runner's own values are masked too.** The format masks apply
//! to all output of a redactor that has them, a shared run's included, so a
//! runner's own provided key of a known format comes out masked. The crate never
//! registers provided values (see [`sharing`](super::sharing)), so it cannot tell
//! the runner's token from anyone else's, and exempting runner-chosen text would
//! bring back the very oracle that rule removes (a runner learning, from where masks
//! land, about a lent secret). The runner loses the sight of their own key in a
//! log, which they hold anyway; nothing is shown that should not be.
//!
//! **What formats do not cover**: secrets of no distinctive shape (an AWS secret
//! access key, passwords, hex keys; register them), Slack webhook URLs, a token
//! percent-encoded or JSON-escaped beyond the PEM line breaks, and a token split or
//! rewritten by the code that prints it.
//!
//! **The writer.** A writer holds back more with formats on: the longest format
//! token of the set (8 KiB with JWTs or PEM blocks) plus the longest registered
//! occurrence (a token decided before the cut reads the byte after it, and the
//! registered runs it steps over must be whole), still fixed by the settings and
//! the values, never by the text, so a live flush still cuts where the text alone
//! says. A PEM block that a live flush cuts between its lines stays masked: the
//! writer carries where the block stands into its next step
//! (`a_pem_block_streamed_line_by_line_never_shows_its_body`). The writer's output
//! equals one-shot redaction for every chunking, formats on
//! (`writer_equals_redact_with_formats`).
//!
//! **Cost** (`benches/redact.rs`, group `formats/`): one extra SIMD search for 17
//! anchor literals per text, then a bounded scan at each anchor found; see the
//! CHANGELOG for the measured ratio on clean log text.
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
//!   escape in the text); with token formats on, the longest format token plus the
//!   longest occurrence (above). (A hold-back that depended on whether the text looks like
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
