//! Well-known credential formats: [`TokenFormat`], [`TokenFormats`], and the scan
//! that masks tokens of those formats that no one registered.
//!
//! Each format is a prefix literal (found for all formats at once by one
//! `aho-corasick` search) and a hand-written recognizer: a bounded scan of a charset
//! and a length, with a word boundary on each side. Every format has a maximum
//! length ([`TokenFormat::max_len`]), so a writer's hold-back stays bounded.
//!
//! The scan runs after the registered values are found, and reads the text with
//! every registered run as an opaque span: a prefix is never looked for inside one,
//! a token's body runs through one without reading its bytes (except a JWT's
//! header, which is decoded: one that meets a run makes no JWT), and the byte
//! before a token counts as a boundary when it lies in a run. So where format masks land
//! depends on the text outside the registered runs and on where those runs are,
//! never on a registered value's bytes: the output still depends on the values only
//! through the spans they cover (`guide::masking`).

use std::fmt;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use base64::Engine;

use super::matcher::{Run, charge};

/// A well-known credential format that a redactor can mask without the value being
/// registered ([`RedactorBuilder::mask_token_formats`](super::RedactorBuilder::mask_token_formats)).
///
/// Each has a stable [`name`](Self::name), which its mask carries
/// (`[REDACTED:format=github_token]`), and a [`max_len`](Self::max_len). New formats
/// may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TokenFormat {
    /// GitHub tokens `ghp_` (classic personal access), `gho_` (OAuth), `ghu_`
    /// (user-to-server), `ghs_` (server-to-server), `ghr_` (refresh): the prefix and
    /// 36 to 251 letters and digits.
    GitHubToken,
    /// GitHub fine-grained personal access tokens: `github_pat_` and 82 to 244
    /// letters, digits and `_`.
    GitHubPat,
    /// OpenAI keys: `sk-proj-`, `sk-svcacct-`, `sk-admin-` or `sk-None-` and 40 to
    /// 250 base64url characters mixing upper case, lower case and digits; or the
    /// legacy `sk-` and exactly 48 letters and digits, mixed likewise.
    OpenAiKey,
    /// Anthropic keys: `sk-ant-` and 32 to 250 base64url characters mixing upper
    /// case, lower case and digits (`sk-ant-api03-…AA`, `sk-ant-admin01-…`).
    AnthropicKey,
    /// Slack tokens: `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`,
    /// `xoxe.xoxp-` or `xapp-`, and 20 to 250 letters, digits and `-`, at least one a
    /// digit.
    SlackToken,
    /// Stripe secret and restricted keys: `sk_live_`, `sk_test_`, `rk_live_` or
    /// `rk_test_` and 24 to 247 letters and digits. (Publishable `pk_` keys are
    /// public and not masked.)
    StripeSecretKey,
    /// AWS access key ids: `AKIA` (long-term) or `ASIA` (temporary) and exactly 16
    /// upper-case letters and digits. (The secret access key, 40 base64 characters,
    /// has no distinctive shape: register it.)
    AwsAccessKeyId,
    /// Google API keys: `AIza` and exactly 35 base64url characters.
    GoogleApiKey,
    /// SendGrid keys: `SG.`, 22 base64url characters, `.`, 43 base64url characters.
    SendGridKey,
    /// JSON Web Tokens (and JWE): three to five base64url segments joined by `.`,
    /// the first starting `eyJ` and decoding to a JSON object that names `"alg"`,
    /// the second not empty. At most 8 KiB; a longer one whose header checks out is
    /// masked for its first 8 KiB (the rest shows). A first segment that holds a
    /// registered value is not decoded, and makes no JWT.
    Jwt,
    /// PEM private-key blocks: `-----BEGIN <label>-----` where the label holds
    /// `PRIVATE KEY` (`RSA PRIVATE KEY`, `EC PRIVATE KEY`, `OPENSSH PRIVATE KEY`,
    /// `ENCRYPTED PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`, …), through its
    /// `-----END …-----` line. Line breaks may be real or JSON-escaped (`\n`).
    /// Without an END line, the block is masked through its last base64 or header
    /// byte. At most 8 KiB: a longer block is masked for its first 8 KiB (the rest
    /// shows). Public keys and certificates are not masked.
    PemPrivateKey,
}

/// The most bytes a JWT or PEM block mask covers.
const LONG_MAX: usize = 8 * 1024;

impl TokenFormat {
    /// Every format, in declaration order.
    pub const ALL: [TokenFormat; 11] = [
        TokenFormat::GitHubToken,
        TokenFormat::GitHubPat,
        TokenFormat::OpenAiKey,
        TokenFormat::AnthropicKey,
        TokenFormat::SlackToken,
        TokenFormat::StripeSecretKey,
        TokenFormat::AwsAccessKeyId,
        TokenFormat::GoogleApiKey,
        TokenFormat::SendGridKey,
        TokenFormat::Jwt,
        TokenFormat::PemPrivateKey,
    ];

    /// The format's stable name, as its mask shows it: `github_token`, `github_pat`,
    /// `openai_key`, `anthropic_key`, `slack_token`, `stripe_secret_key`,
    /// `aws_access_key_id`, `google_api_key`, `sendgrid_key`, `jwt`,
    /// `pem_private_key`.
    pub const fn name(self) -> &'static str {
        match self {
            TokenFormat::GitHubToken => "github_token",
            TokenFormat::GitHubPat => "github_pat",
            TokenFormat::OpenAiKey => "openai_key",
            TokenFormat::AnthropicKey => "anthropic_key",
            TokenFormat::SlackToken => "slack_token",
            TokenFormat::StripeSecretKey => "stripe_secret_key",
            TokenFormat::AwsAccessKeyId => "aws_access_key_id",
            TokenFormat::GoogleApiKey => "google_api_key",
            TokenFormat::SendGridKey => "sendgrid_key",
            TokenFormat::Jwt => "jwt",
            TokenFormat::PemPrivateKey => "pem_private_key",
        }
    }

    /// The most bytes one masked token of this format covers, its prefix included:
    /// 255 for GitHub tokens and Stripe keys, 261 for OpenAI keys, 257 for Anthropic
    /// keys, 260 for Slack tokens, 20 for AWS key ids, 39 for Google keys, 69 for
    /// SendGrid keys, 8,192 for JWTs and PEM blocks.
    pub const fn max_len(self) -> usize {
        match self {
            TokenFormat::GitHubToken | TokenFormat::GitHubPat | TokenFormat::StripeSecretKey => 255,
            TokenFormat::OpenAiKey => 11 + 250,
            TokenFormat::AnthropicKey => 7 + 250,
            TokenFormat::SlackToken => 10 + 250,
            TokenFormat::AwsAccessKeyId => 20,
            TokenFormat::GoogleApiKey => 39,
            TokenFormat::SendGridKey => 69,
            TokenFormat::Jwt | TokenFormat::PemPrivateKey => LONG_MAX,
        }
    }

    /// The mask of this format: `[REDACTED:format=<name>]`. A key cannot hold `=`,
    /// so no key's labelled mask reads the same.
    pub const fn mask(self) -> &'static str {
        match self {
            TokenFormat::GitHubToken => "[REDACTED:format=github_token]",
            TokenFormat::GitHubPat => "[REDACTED:format=github_pat]",
            TokenFormat::OpenAiKey => "[REDACTED:format=openai_key]",
            TokenFormat::AnthropicKey => "[REDACTED:format=anthropic_key]",
            TokenFormat::SlackToken => "[REDACTED:format=slack_token]",
            TokenFormat::StripeSecretKey => "[REDACTED:format=stripe_secret_key]",
            TokenFormat::AwsAccessKeyId => "[REDACTED:format=aws_access_key_id]",
            TokenFormat::GoogleApiKey => "[REDACTED:format=google_api_key]",
            TokenFormat::SendGridKey => "[REDACTED:format=sendgrid_key]",
            TokenFormat::Jwt => "[REDACTED:format=jwt]",
            TokenFormat::PemPrivateKey => "[REDACTED:format=pem_private_key]",
        }
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }

    fn from_index(i: u32) -> Option<TokenFormat> {
        TokenFormat::ALL.get(i as usize).copied()
    }
}

impl fmt::Display for TokenFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`TokenFormat`]s. Default: none.
///
/// ```
/// use workflow_secrets::redact::{TokenFormat, TokenFormats};
///
/// let some = TokenFormats::none().with(TokenFormat::GitHubToken).with(TokenFormat::Jwt);
/// assert!(some.contains(TokenFormat::Jwt));
/// assert!(!some.contains(TokenFormat::AwsAccessKeyId));
/// assert_eq!(TokenFormats::all().iter().count(), TokenFormat::ALL.len());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TokenFormats(u32);

impl TokenFormats {
    /// No format: masking of registered values only (the default).
    pub const fn none() -> TokenFormats {
        TokenFormats(0)
    }

    /// Every format this version knows.
    pub fn all() -> TokenFormats {
        TokenFormat::ALL
            .iter()
            .fold(TokenFormats::none(), |s, &f| s.with(f))
    }

    /// This set and `format`.
    pub fn with(self, format: TokenFormat) -> TokenFormats {
        TokenFormats(self.0 | format.bit())
    }

    /// This set without `format`.
    pub fn without(self, format: TokenFormat) -> TokenFormats {
        TokenFormats(self.0 & !format.bit())
    }

    /// Whether `format` is in the set.
    pub fn contains(self, format: TokenFormat) -> bool {
        self.0 & format.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The formats in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = TokenFormat> {
        TokenFormat::ALL
            .into_iter()
            .filter(move |f| self.contains(*f))
    }

    /// The longest token of the set's formats (0 for none).
    pub(crate) fn max_len(self) -> usize {
        self.iter().map(TokenFormat::max_len).max().unwrap_or(0)
    }
}

impl FromIterator<TokenFormat> for TokenFormats {
    fn from_iter<I: IntoIterator<Item = TokenFormat>>(iter: I) -> TokenFormats {
        iter.into_iter()
            .fold(TokenFormats::none(), TokenFormats::with)
    }
}

impl fmt::Debug for TokenFormats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(TokenFormat::name))
            .finish()
    }
}

/// The mask id of a format's runs: this bit and the format's index. Registered
/// masks are label ids (far below it); [`super::matcher::CARRIED`] is `u32::MAX`.
pub(crate) const FORMAT_MASK: u32 = 0x4000_0000;

/// The format of mask id `id`, if it is a format's.
pub(crate) fn format_of(id: u32) -> Option<TokenFormat> {
    if id & !0xFF == FORMAT_MASK {
        TokenFormat::from_index(id & 0xFF)
    } else {
        None
    }
}

/// Which bytes a token body may hold.
#[derive(Clone, Copy, Debug)]
enum Charset {
    /// `A-Za-z0-9`
    Alnum,
    /// `A-Za-z0-9_`
    AlnumUnderscore,
    /// `A-Za-z0-9_-`
    Base64Url,
    /// `A-Za-z0-9-`
    AlnumDash,
    /// `A-Z0-9`
    UpperDigit,
}

impl Charset {
    fn has(self, b: u8) -> bool {
        match self {
            Charset::Alnum => b.is_ascii_alphanumeric(),
            Charset::AlnumUnderscore => b.is_ascii_alphanumeric() || b == b'_',
            Charset::Base64Url => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Charset::AlnumDash => b.is_ascii_alphanumeric() || b == b'-',
            Charset::UpperDigit => b.is_ascii_uppercase() || b.is_ascii_digit(),
        }
    }
}

/// Which character classes a body must hold (counted on the bytes read, not on
/// registered spans inside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Classes {
    Any,
    /// At least one digit.
    Digit,
    /// Upper case, lower case and a digit: random token text, not a slug.
    Mixed,
}

/// How a prefix's token continues.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// One body of `charset`, `min..=max` bytes long, then a byte outside the
    /// charset that is no letter or digit.
    Body {
        charset: Charset,
        min: usize,
        max: usize,
        classes: Classes,
    },
    /// `SG.` 22 `.` 43.
    SendGrid,
    Jwt,
    Pem,
}

/// One prefix literal and the token it starts.
#[derive(Clone, Copy, Debug)]
struct Prefix {
    literal: &'static str,
    format: TokenFormat,
    rule: Rule,
}

const fn body(
    literal: &'static str,
    format: TokenFormat,
    charset: Charset,
    min: usize,
    max: usize,
    classes: Classes,
) -> Prefix {
    Prefix {
        literal,
        format,
        rule: Rule::Body {
            charset,
            min,
            max,
            classes,
        },
    }
}

use Charset::{Alnum, AlnumDash, AlnumUnderscore, Base64Url, UpperDigit};
use TokenFormat as F;

/// Every prefix. `max_len` of each format bounds its prefixes' tokens (checked by a
/// unit test).
const PREFIXES: &[Prefix] = &[
    body("ghp_", F::GitHubToken, Alnum, 36, 251, Classes::Any),
    body("gho_", F::GitHubToken, Alnum, 36, 251, Classes::Any),
    body("ghu_", F::GitHubToken, Alnum, 36, 251, Classes::Any),
    body("ghs_", F::GitHubToken, Alnum, 36, 251, Classes::Any),
    body("ghr_", F::GitHubToken, Alnum, 36, 251, Classes::Any),
    body(
        "github_pat_",
        F::GitHubPat,
        AlnumUnderscore,
        82,
        244,
        Classes::Any,
    ),
    body("sk-proj-", F::OpenAiKey, Base64Url, 40, 250, Classes::Mixed),
    body(
        "sk-svcacct-",
        F::OpenAiKey,
        Base64Url,
        40,
        250,
        Classes::Mixed,
    ),
    body(
        "sk-admin-",
        F::OpenAiKey,
        Base64Url,
        40,
        250,
        Classes::Mixed,
    ),
    body("sk-None-", F::OpenAiKey, Base64Url, 40, 250, Classes::Mixed),
    body("sk-", F::OpenAiKey, Alnum, 48, 48, Classes::Mixed),
    body(
        "sk-ant-",
        F::AnthropicKey,
        Base64Url,
        32,
        250,
        Classes::Mixed,
    ),
    body("xoxb-", F::SlackToken, AlnumDash, 20, 250, Classes::Digit),
    body("xoxp-", F::SlackToken, AlnumDash, 20, 250, Classes::Digit),
    body("xoxa-", F::SlackToken, AlnumDash, 20, 250, Classes::Digit),
    body("xoxr-", F::SlackToken, AlnumDash, 20, 250, Classes::Digit),
    body("xoxs-", F::SlackToken, AlnumDash, 20, 250, Classes::Digit),
    body("xoxe-", F::SlackToken, AlnumDash, 20, 250, Classes::Digit),
    body(
        "xoxe.xoxp-",
        F::SlackToken,
        AlnumDash,
        20,
        250,
        Classes::Digit,
    ),
    body("xapp-", F::SlackToken, AlnumDash, 20, 250, Classes::Digit),
    body("sk_live_", F::StripeSecretKey, Alnum, 24, 247, Classes::Any),
    body("sk_test_", F::StripeSecretKey, Alnum, 24, 247, Classes::Any),
    body("rk_live_", F::StripeSecretKey, Alnum, 24, 247, Classes::Any),
    body("rk_test_", F::StripeSecretKey, Alnum, 24, 247, Classes::Any),
    body("AKIA", F::AwsAccessKeyId, UpperDigit, 16, 16, Classes::Any),
    body("ASIA", F::AwsAccessKeyId, UpperDigit, 16, 16, Classes::Any),
    body("AIza", F::GoogleApiKey, Base64Url, 35, 35, Classes::Any),
    Prefix {
        literal: "SG.",
        format: F::SendGridKey,
        rule: Rule::SendGrid,
    },
    Prefix {
        literal: "eyJ",
        format: F::Jwt,
        rule: Rule::Jwt,
    },
    Prefix {
        literal: "-----BEGIN ",
        format: F::PemPrivateKey,
        rule: Rule::Pem,
    },
];

/// A PEM block still open at the end of a writer step's text: where its scan
/// stands, so the next step goes on from there (a live flush may cut a block
/// between its lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PemOpen {
    /// Bytes of the block so far, from its `-----BEGIN`.
    len: usize,
    phase: Phase,
}

/// Where a PEM body scan stands: in the body, or part way through an END line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Body,
    /// `n` dashes read.
    Dashes(u8),
    /// `n` bytes of `END ` read after five dashes.
    End(u8),
    /// `n` label bytes read.
    Label(u8),
    /// `n` closing dashes read.
    Close(u8),
}

/// What the scan of a text carries from the text before it: the byte just before
/// it when that byte lies in no run (a token cannot start right after a letter,
/// a digit or a byte of its own body), and a PEM block still open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Context {
    pub(crate) prev: Option<u8>,
    pub(crate) pem: Option<PemOpen>,
}

/// The formats a redactor masks, with the search for their prefixes.
pub(crate) struct Scanner {
    formats: TokenFormats,
    /// Leftmost-longest over the anchors of the enabled formats' prefixes.
    ac: AhoCorasick,
    /// By the automaton's pattern id: how far before the anchor a prefix starts,
    /// and the enabled prefixes that hold it, longest first.
    anchors: Vec<(usize, Vec<Prefix>)>,
}

/// The literals the prefix search looks for, each with how far into its prefixes
/// it lies and the prefixes that hold it there. Fewer and shorter than the
/// prefixes themselves, on purpose: `aho-corasick`'s SIMD searcher (Teddy) slows
/// sharply with many patterns sharing their first bytes (the 30 prefixes: 1.7 ms
/// per 4 MiB of log text; these 17: 0.24 ms, measured), so families that share a
/// head (`sk-…`, `xox…`) are one anchor and the longest prefix is picked after.
/// Stripe's anchors skip the first byte (`sk_`/`rk_` alone are common in
/// `snake_case`).
const ANCHORS: &[(&str, usize, &[&str])] = &[
    ("ghp_", 0, &["ghp_"]),
    ("gho_", 0, &["gho_"]),
    ("ghu_", 0, &["ghu_"]),
    ("ghs_", 0, &["ghs_"]),
    ("ghr_", 0, &["ghr_"]),
    ("github_pat_", 0, &["github_pat_"]),
    (
        "sk-",
        0,
        &[
            "sk-proj-",
            "sk-svcacct-",
            "sk-admin-",
            "sk-None-",
            "sk-ant-",
            "sk-",
        ],
    ),
    (
        "xox",
        0,
        &[
            "xoxb-",
            "xoxp-",
            "xoxa-",
            "xoxr-",
            "xoxs-",
            "xoxe-",
            "xoxe.xoxp-",
        ],
    ),
    ("xapp-", 0, &["xapp-"]),
    ("k_live_", 1, &["sk_live_", "rk_live_"]),
    ("k_test_", 1, &["sk_test_", "rk_test_"]),
    ("AKIA", 0, &["AKIA"]),
    ("ASIA", 0, &["ASIA"]),
    ("AIza", 0, &["AIza"]),
    ("SG.", 0, &["SG."]),
    ("eyJ", 0, &["eyJ"]),
    ("-----BEGIN ", 0, &["-----BEGIN "]),
];

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("formats", &self.formats)
            .finish_non_exhaustive()
    }
}

/// Bytes of the text a body scan reads from, and the registered runs it steps over.
struct Text<'a> {
    hay: &'a [u8],
    /// Sorted, disjoint runs (registered, and the carried one).
    runs: &'a [Run],
}

impl Text<'_> {
    /// The index of the first run that ends after `at`: a cursor for `run_at`.
    fn cursor(&self, at: usize) -> usize {
        self.runs.partition_point(|r| r.end <= at)
    }

    /// The end of the run that covers `at`, if one does (`cursor` moves forward:
    /// calls must come with `at` not decreasing).
    fn run_at(&self, at: usize, cursor: &mut usize) -> Option<usize> {
        while *cursor < self.runs.len() && self.runs[*cursor].end <= at {
            *cursor += 1;
        }
        self.runs
            .get(*cursor)
            .filter(|r| r.start <= at && at < r.end)
            .map(|r| r.end)
    }

    /// Whether a run meets `start..end` (same cursor rule).
    fn meets(&self, start: usize, end: usize, cursor: &mut usize) -> bool {
        while *cursor < self.runs.len() && self.runs[*cursor].end <= start {
            *cursor += 1;
        }
        self.runs.get(*cursor).is_some_and(|r| r.start < end)
    }
}

/// How a token at a prefix turned out.
enum Outcome {
    /// A token `start..end`.
    Token(usize),
    /// No token here.
    No,
    /// The text ends before the token is decided (only when it is not the end of
    /// the stream).
    Undecided,
    /// A PEM block open at the end of the text.
    Open(PemOpen),
}

impl Scanner {
    /// The scanner for `formats`; `None` for no format.
    pub(crate) fn new(formats: TokenFormats) -> Option<Scanner> {
        if formats.is_empty() {
            return None;
        }
        let mut literals = Vec::new();
        let mut anchors = Vec::new();
        for &(literal, back, members) in ANCHORS {
            let mut family: Vec<Prefix> = PREFIXES
                .iter()
                .copied()
                .filter(|p| formats.contains(p.format) && members.contains(&p.literal))
                .collect();
            if family.is_empty() {
                continue;
            }
            family.sort_by_key(|p| std::cmp::Reverse(p.literal.len()));
            literals.push(literal);
            anchors.push((back, family));
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(literals)
            .ok()?;
        Some(Scanner {
            formats,
            ac,
            anchors,
        })
    }

    /// The formats scanned.
    pub(crate) fn formats(&self) -> TokenFormats {
        self.formats
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        self.ac.memory_usage()
            + self
                .anchors
                .iter()
                .map(|(_, family)| 32 + family.capacity() * std::mem::size_of::<Prefix>())
                .sum::<usize>()
    }

    /// Appends the format runs of `hay` that start before `limit` to `out`, reading
    /// `runs` (sorted, disjoint) as opaque spans. `at_end`: `hay` ends the stream,
    /// so a token running into its end is decided there. Returns a PEM block still
    /// open at the end of `hay` (only when not `at_end`).
    pub(crate) fn scan(
        &self,
        hay: &[u8],
        runs: &[Run],
        context: Context,
        limit: usize,
        at_end: bool,
        out: &mut Vec<Run>,
    ) -> Option<PemOpen> {
        let text = Text { hay, runs };
        let mut at = 0;
        // A block the text before left open goes on where the carried run ends.
        if let Some(open) = context.pem {
            let from = runs
                .first()
                .filter(|r| r.start == 0)
                .map_or(0, |r| r.end)
                .min(hay.len());
            match pem_body(&text, from, open, at_end) {
                Outcome::Token(end) => {
                    out.push(format_run(0, end, F::PemPrivateKey));
                    at = end;
                }
                Outcome::Open(open) => {
                    out.push(format_run(0, hay.len(), F::PemPrivateKey));
                    return Some(open);
                }
                Outcome::No | Outcome::Undecided => at = from,
            }
        }
        // The format runs found so far end at most here: the byte before a token
        // may lie in one.
        let mut last_format_end = at;
        let mut meets_cursor = 0;
        let mut before_cursor = 0;
        while at < limit.min(hay.len()) {
            let found = self.ac.find(Input::new(hay).span(at..hay.len()));
            // The prefix search reads through the match (or the text's end).
            charge(found.map_or(hay.len(), |m| m.end()).saturating_sub(at));
            let Some(m) = found else {
                break;
            };
            let (back, family) = &self.anchors[m.pattern().as_usize()];
            // A prefix that starts before where the scan stands overlaps the last
            // format run: none.
            let Some(start) = m.start().checked_sub(*back).filter(|&s| s >= at) else {
                at = m.start() + 1;
                continue;
            };
            if start >= limit {
                break;
            }
            let Some(&prefix) = family
                .iter()
                .find(|p| hay[start..].starts_with(p.literal.as_bytes()))
            else {
                at = m.start() + 1;
                continue;
            };
            let prefix_end = start + prefix.literal.len();
            // No prefix inside (or reaching into) a run: its bytes are not read.
            let inside = text.meets(start, prefix_end, &mut meets_cursor);
            // The byte before, when it lies in no run.
            let before = if start == 0 {
                context.prev
            } else if start - 1 < last_format_end
                || text.run_at(start - 1, &mut before_cursor).is_some()
            {
                None
            } else {
                Some(hay[start - 1])
            };
            // A token starts a word, and a run of its own body's bytes: so the body
            // scans of one charset never overlap, and the scan stays linear.
            let joined = match prefix.rule.charset() {
                Some(charset) => {
                    before.is_some_and(|b| b.is_ascii_alphanumeric() || charset.has(b))
                }
                None => false,
            };
            if inside || joined {
                at = m.start() + 1;
                continue;
            }
            match token(&text, start, prefix_end, prefix, at_end) {
                Outcome::Token(end) => {
                    out.push(format_run(start, end, prefix.format));
                    at = end;
                    last_format_end = end;
                }
                Outcome::Open(open) => {
                    out.push(format_run(start, hay.len(), prefix.format));
                    return Some(open);
                }
                Outcome::No | Outcome::Undecided => at = m.start() + 1,
            }
        }
        None
    }
}

impl Rule {
    /// The body charset a token of this rule starts a run of (`None`: the rule does
    /// not check the byte before).
    fn charset(self) -> Option<Charset> {
        match self {
            Rule::Body { charset, .. } => Some(charset),
            Rule::SendGrid | Rule::Jwt => Some(Base64Url),
            Rule::Pem => None,
        }
    }
}

/// The token a prefix at `start..prefix_end` starts, if any.
fn token(
    text: &Text<'_>,
    start: usize,
    prefix_end: usize,
    prefix: Prefix,
    at_end: bool,
) -> Outcome {
    match prefix.rule {
        Rule::Body {
            charset,
            min,
            max,
            classes,
        } => body_token(text, prefix_end, charset, min, max, classes, at_end),
        Rule::SendGrid => sendgrid(text, prefix_end, at_end),
        Rule::Jwt => jwt(text, start, at_end),
        Rule::Pem => pem(text, start, prefix_end, at_end),
    }
}

fn format_run(start: usize, end: usize, format: TokenFormat) -> Run {
    Run {
        start,
        end,
        first_len: end - start,
        mask: FORMAT_MASK | format as u32,
    }
}

/// Seen character classes of a body.
#[derive(Default)]
struct Seen {
    upper: bool,
    lower: bool,
    digit: bool,
}

impl Seen {
    fn add(&mut self, b: u8) {
        self.upper |= b.is_ascii_uppercase();
        self.lower |= b.is_ascii_lowercase();
        self.digit |= b.is_ascii_digit();
    }

    fn meets(&self, classes: Classes) -> bool {
        match classes {
            Classes::Any => true,
            Classes::Digit => self.digit,
            Classes::Mixed => self.upper && self.lower && self.digit,
        }
    }
}

/// Scans a body of `charset` from `from`, stepping over runs: `Ok(end)` at the first
/// byte outside the charset (or the text's end, with `at_end`); `Err(No)` once the
/// body passes `max` bytes, or at a run when `runs` is `Runs::End`; `Err(Undecided)`
/// at the text's end otherwise. Reads at most `max + 1` bytes.
fn scan_body(
    text: &Text<'_>,
    from: usize,
    (charset, runs): (Charset, Runs),
    max: usize,
    at_end: bool,
    seen: &mut Seen,
) -> Result<usize, Outcome> {
    let hay = text.hay;
    let mut cursor = text.cursor(from);
    let mut at = from;
    loop {
        // Each byte read, and each registered run stepped over, is a step.
        charge(1);
        if at - from > max {
            return Err(Outcome::No);
        }
        if at >= hay.len() {
            return if at_end {
                Ok(hay.len())
            } else {
                Err(Outcome::Undecided)
            };
        }
        if let Some(end) = text.run_at(at, &mut cursor) {
            if runs == Runs::End {
                return Err(Outcome::No);
            }
            at = end;
            continue;
        }
        let b = hay[at];
        if !charset.has(b) {
            return Ok(at);
        }
        seen.add(b);
        at += 1;
    }
}

/// What a body scan does at a registered run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runs {
    /// Steps over it, unread: part of the body.
    Step,
    /// Ends the scan with no token: a body whose bytes must be read (a JWT header).
    End,
}

/// The byte at `end` closes a token: no letter or digit (and, by the scan, not in
/// the body's charset).
fn closes(hay: &[u8], end: usize) -> bool {
    hay.get(end).is_none_or(|b| !b.is_ascii_alphanumeric())
}

fn body_token(
    text: &Text<'_>,
    from: usize,
    charset: Charset,
    min: usize,
    max: usize,
    classes: Classes,
    at_end: bool,
) -> Outcome {
    let mut seen = Seen::default();
    match scan_body(text, from, (charset, Runs::Step), max, at_end, &mut seen) {
        Ok(end) if end - from >= min && seen.meets(classes) && closes(text.hay, end) => {
            Outcome::Token(end)
        }
        Ok(_) => Outcome::No,
        Err(outcome) => outcome,
    }
}

/// `SG.` + 22 base64url + `.` + 43 base64url.
fn sendgrid(text: &Text<'_>, from: usize, at_end: bool) -> Outcome {
    let mut seen = Seen::default();
    let first = match scan_body(text, from, (Base64Url, Runs::Step), 22, at_end, &mut seen) {
        Ok(end) => end,
        Err(outcome) => return outcome,
    };
    if first - from != 22 {
        return Outcome::No;
    }
    if text.hay.get(first) != Some(&b'.') {
        return Outcome::No;
    }
    match scan_body(
        text,
        first + 1,
        (Base64Url, Runs::Step),
        43,
        at_end,
        &mut seen,
    ) {
        Ok(end) if end - (first + 1) == 43 && closes(text.hay, end) => Outcome::Token(end),
        Ok(_) => Outcome::No,
        Err(outcome) => outcome,
    }
}

/// Whether base64url `segment` (no padding) decodes to a JSON object naming
/// `"alg"`: a JWT's (or JWE's) header.
fn is_jwt_header(segment: &[u8]) -> bool {
    // A header is a few dozen bytes; a longer first segment is read no further than
    // its first KiB, which must hold the `{` and, in practice, the `"alg"`.
    let head = &segment[..segment.len().min(1024) / 4 * 4];
    charge(head.len());
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(head) else {
        return false;
    };
    let json = bytes.trim_ascii_start();
    json.first() == Some(&b'{') && json.windows(5).any(|w| w == b"\"alg\"")
}

/// `eyJ…` header `.` payload `.` signature (`.` up to two more segments), at most
/// [`LONG_MAX`] bytes; one whose header checks out and that runs past the bound is
/// masked up to it.
///
/// The header is decoded, so its bytes are read: a first segment that meets a
/// registered run is no header. (Read, a value inside it would decide whether the
/// token is masked and whether the value keeps its own label: a bit about its
/// bytes. And the read stops at the run: a body stepping over runs, read again
/// from each `eyJ` that follows a run, cost up to 8 KiB a candidate.) Later
/// segments step over runs, unread.
fn jwt(text: &Text<'_>, start: usize, at_end: bool) -> Outcome {
    let hay = text.hay;
    let bound = start + LONG_MAX;
    let mut seen = Seen::default();
    let mut segments = 0;
    let mut at = start;
    loop {
        let runs = if segments == 0 { Runs::End } else { Runs::Step };
        let end = match scan_body(text, at, (Base64Url, runs), bound - at, at_end, &mut seen) {
            Ok(end) => end,
            Err(Outcome::No) => {
                // The token runs past the bound: masked up to it once its header
                // checked out. (A first segment that stopped at a run is none.)
                let header = segments > 0
                    || (!text.meets(start, bound.min(hay.len()), &mut 0)
                        && is_jwt_header(&hay[start..bound.min(hay.len())]));
                return if header {
                    Outcome::Token(bound)
                } else {
                    Outcome::No
                };
            }
            Err(outcome) => return outcome,
        };
        segments += 1;
        if segments == 1 && !is_jwt_header(&hay[start..end]) {
            return Outcome::No;
        }
        if segments == 2 && end == at {
            return Outcome::No; // an empty payload
        }
        at = end;
        if segments < 5 && hay.get(at) == Some(&b'.') {
            if at == bound {
                return Outcome::Token(bound);
            }
            at += 1;
            continue;
        }
        if segments < 5 && at == hay.len() && !at_end {
            return Outcome::Undecided; // a `.` may follow
        }
        break;
    }
    if segments >= 3 {
        Outcome::Token(at)
    } else {
        Outcome::No
    }
}

/// A body byte of a PEM block: base64, white space, `\` (JSON-escaped line breaks)
/// and the bytes of encrypted-key headers (`Proc-Type: 4,ENCRYPTED`).
fn pem_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'+' | b'/' | b'=' | b' ' | b'\t' | b'\r' | b'\n' | b'\\' | b':' | b',' | b'-'
        )
}

/// The longest label read.
const LABEL_MAX: usize = 64;

/// `-----BEGIN <label>-----` with `PRIVATE KEY` in the label, then the body.
fn pem(text: &Text<'_>, start: usize, label_from: usize, at_end: bool) -> Outcome {
    let hay = text.hay;
    let mut at = label_from;
    while at < hay.len() && at - label_from <= LABEL_MAX {
        charge(1);
        let b = hay[at];
        if b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' {
            at += 1;
            continue;
        }
        break;
    }
    if at >= hay.len() && !at_end {
        return Outcome::Undecided;
    }
    let label = &hay[label_from..at];
    if at - label_from > LABEL_MAX || !label.windows(11).any(|w| w == b"PRIVATE KEY") {
        return Outcome::No;
    }
    let close = at + 5;
    if hay.len() < close {
        return if at_end {
            Outcome::No
        } else {
            Outcome::Undecided
        };
    }
    if &hay[at..close] != b"-----" {
        return Outcome::No;
    }
    pem_body(
        text,
        close,
        PemOpen {
            len: close - start,
            phase: Phase::Body,
        },
        at_end,
    )
}

/// Goes on with a PEM body from `from`, `open` being where it stands: the end of
/// the block (after its END line, before the first byte that is no body byte, or at
/// the bound), or the block still open at the text's end.
fn pem_body(text: &Text<'_>, from: usize, open: PemOpen, at_end: bool) -> Outcome {
    let hay = text.hay;
    let mut cursor = text.cursor(from);
    let PemOpen { mut len, mut phase } = open;
    let mut at = from;
    loop {
        charge(1);
        if len >= LONG_MAX {
            return Outcome::Token(at);
        }
        if at >= hay.len() {
            return if at_end {
                Outcome::Token(hay.len())
            } else {
                Outcome::Open(PemOpen { len, phase })
            };
        }
        if let Some(end) = text.run_at(at, &mut cursor) {
            // A registered run inside the block: part of it, unread.
            let step = (end - at).min(LONG_MAX - len);
            len += step;
            at += step;
            phase = Phase::Body;
            continue;
        }
        let b = hay[at];
        let next = match phase {
            Phase::Body | Phase::Dashes(_) if b == b'-' => match phase {
                Phase::Dashes(n) => Some(Phase::Dashes(n.saturating_add(1))),
                _ => Some(Phase::Dashes(1)),
            },
            Phase::Dashes(n) if n >= 5 && b == b'E' => Some(Phase::End(1)),
            Phase::End(n) if b"END "[n as usize] == b => Some(if n == 3 {
                Phase::Label(0)
            } else {
                Phase::End(n + 1)
            }),
            Phase::Label(n)
                if (n as usize) < LABEL_MAX
                    && (b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ') =>
            {
                Some(Phase::Label(n + 1))
            }
            Phase::Label(_) if b == b'-' => Some(Phase::Close(1)),
            Phase::Close(4) if b == b'-' => return Outcome::Token(at + 1),
            Phase::Close(n) if b == b'-' => Some(Phase::Close(n + 1)),
            _ => None,
        };
        phase = match next {
            Some(next) => next,
            None if pem_byte(b) => Phase::Body,
            None => return Outcome::Token(at),
        };
        len += 1;
        at += 1;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn every_prefix_fits_its_formats_max_len() {
        for p in PREFIXES {
            let longest = match p.rule {
                Rule::Body { max, .. } => p.literal.len() + max,
                Rule::SendGrid => 69,
                Rule::Jwt | Rule::Pem => LONG_MAX,
            };
            assert!(
                longest <= p.format.max_len(),
                "{}: {longest} > {}",
                p.literal,
                p.format.max_len()
            );
        }
    }

    #[test]
    fn every_prefix_has_one_anchor_inside_it() {
        for p in PREFIXES {
            let holders: Vec<_> = ANCHORS
                .iter()
                .filter(|(_, _, members)| members.contains(&p.literal))
                .collect();
            assert_eq!(holders.len(), 1, "{}", p.literal);
            let (anchor, back, _) = holders[0];
            assert_eq!(
                &p.literal[*back..*back + anchor.len()],
                *anchor,
                "{}",
                p.literal
            );
        }
        for (_, _, members) in ANCHORS {
            for m in *members {
                assert!(PREFIXES.iter().any(|p| p.literal == *m), "{m}");
            }
        }
    }

    #[test]
    fn names_and_masks_are_distinct_and_agree() {
        let mut names: Vec<&str> = TokenFormat::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TokenFormat::ALL.len());
        for f in TokenFormat::ALL {
            assert_eq!(f.mask(), format!("[REDACTED:format={}]", f.name()));
            assert_eq!(format_of(FORMAT_MASK | f as u32), Some(f));
            assert_eq!(TokenFormat::from_index(f as u32), Some(f));
        }
        assert_eq!(format_of(0), None);
        assert_eq!(format_of(u32::MAX), None);
    }

    mod never_unmask {
        use proptest::prelude::*;

        use super::super::super::encodings::Encodings;
        use super::super::super::matcher::{Choice, Run};
        use super::super::super::set::{Config, Live, Window};
        use super::super::TokenFormats;

        fn runs(
            formats: TokenFormats,
            encodings: Encodings,
            values: &[String],
            text: &[u8],
        ) -> Vec<Run> {
            let config = Config {
                mask: "***".into(),
                labelled: false,
                min_len: 4,
                encodings,
                matcher: Choice::Auto,
                formats,
            };
            let live = Live::new(config, values.iter().map(|v| (None, v.as_bytes())));
            let mut out = Vec::new();
            live.snapshot()
                .find_runs(text, Window::whole(text.len()), &mut out);
            out
        }

        fn covered(runs: &[Run], len: usize) -> Vec<bool> {
            let mut bytes = vec![false; len];
            for r in runs {
                bytes[r.start..r.end].iter_mut().for_each(|b| *b = true);
            }
            bytes
        }

        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8".to_string()),
                Just("AKIAABCDEFGHIJ234567".to_string()),
                Just("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl".to_string()),
                Just("-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBg\n".to_string()),
                Just("-----END PRIVATE KEY-----".to_string()),
                Just("sk-".to_string()),
                "[a-zA-Z0-9_.=: -]{0,10}",
                Just("\n".to_string()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// With formats on, every byte a registered value's run covers without
            /// them is still covered, and where no format matched the runs are
            /// exactly those without formats, masks included.
            #[test]
            fn formats_never_unmask(
                pieces in prop::collection::vec(piece(), 0..10),
                values in prop::collection::vec("[a-zA-Z0-9_ -]{4,12}", 1..4),
                percent in any::<bool>(),
            ) {
                let mut text = String::new();
                for (i, p) in pieces.iter().enumerate() {
                    text.push_str(p);
                    if i % 2 == 0 {
                        text.push_str(&values[i % values.len()]);
                    }
                }
                let encodings = if percent { Encodings::all() } else { Encodings::none() };
                let text = text.as_bytes();
                let without = runs(TokenFormats::none(), encodings, &values, text);
                let with = runs(TokenFormats::all(), encodings, &values, text);
                let (a, b) = (covered(&without, text.len()), covered(&with, text.len()));
                for i in 0..text.len() {
                    prop_assert!(!a[i] || b[i], "byte {} unmasked by formats", i);
                }
                let formats_found = with.iter().any(|r| super::super::format_of(r.mask).is_some())
                    || a != b;
                if !formats_found {
                    prop_assert_eq!(with, without);
                }
            }
        }
    }
}
