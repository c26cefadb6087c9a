//! The patterns one value registers: its multi-line forms and their encodings.
//!
//! Every buffer here holds plaintext or a reversible encoding of it, so each one is a
//! [`Zeroizing`] buffer, wiped when it drops.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

use super::encodings::Encodings;

/// The shortest encoded fragment, multi-line line or partial occurrence registered.
pub(crate) const MIN_FRAGMENT: usize = 8;

/// How a pattern encodes its plaintext form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// The form itself (the value, one of its lines, its LF or CRLF form).
    Plain,
    Hex,
    /// `whole`: a whole encoding; else the stable middle of one at an alignment.
    Base64 {
        whole: bool,
    },
    Json,
}

/// Where a pattern comes from: its encoding and its plaintext form's length. Counts
/// and kinds only, no secret bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) encoding: Encoding,
    /// `u32` (saturating): one is kept per pattern, and a form longer than 4 GiB is
    /// not a secret a partial occurrence of which needs this bound.
    pub(crate) plain_len: u32,
}

impl Origin {
    /// Whether a partial occurrence at a text's end or start, `len` bytes of
    /// `pattern` (a prefix when `prefix`, else a suffix), may be masked: it must wholly
    /// encode at least max(8, half the form) **plaintext** bytes, whatever the
    /// encoding. (Counted on the encoded pattern, the hex form of 4 bytes of an 8-byte
    /// value passed, and each further digit was a 16-guess test.) Escapes count one
    /// byte each, and a base64 fragment one byte less: the count never overstates.
    pub(crate) fn partial_allowed(&self, pattern: &[u8], len: usize, prefix: bool) -> bool {
        let covered = self.covered(pattern, len, prefix);
        covered >= MIN_FRAGMENT && 2 * covered >= self.plain_len as usize
    }

    /// The bytes [`Origin::partial_allowed`] reads for `len` bytes of a pattern of
    /// `pattern_len`: a count for plain and hex forms, the part for base64 (its
    /// padding counted), the whole pattern for JSON (its escapes walked from the
    /// start).
    pub(crate) fn check_cost(&self, pattern_len: usize, len: usize) -> usize {
        match self.encoding {
            Encoding::Plain | Encoding::Hex => 1,
            Encoding::Base64 { .. } => len,
            Encoding::Json => pattern_len,
        }
    }

    /// The plaintext bytes that `len` bytes of `pattern` (prefix or suffix) wholly encode.
    fn covered(&self, pattern: &[u8], len: usize, prefix: bool) -> usize {
        let part = if prefix {
            &pattern[..len]
        } else {
            &pattern[pattern.len() - len..]
        };
        match self.encoding {
            Encoding::Plain => len,
            Encoding::Hex => len / 2,
            Encoding::Base64 { whole } => {
                let chars = part.iter().filter(|&&b| b != b'=').count();
                let bytes = chars * 6 / 8;
                if whole && prefix {
                    bytes
                } else {
                    bytes.saturating_sub(1)
                }
            }
            Encoding::Json => {
                // Units (an escape, or one literal byte) wholly inside the part.
                let from = pattern.len() - len;
                let mut count = 0;
                let mut at = 0;
                while at < pattern.len() {
                    let unit = self.unit_len(&pattern[at..]);
                    let inside = if prefix { at + unit <= len } else { at >= from };
                    if inside {
                        count += 1;
                    }
                    at += unit;
                }
                count
            }
        }
    }

    /// The length of the escape or literal byte that starts `rest`.
    fn unit_len(&self, rest: &[u8]) -> usize {
        let unit = match (self.encoding, rest) {
            (Encoding::Json, [b'\\', b'u', ..]) => 6,
            (Encoding::Json, [b'\\', ..]) => 2,
            _ => 1,
        };
        unit.min(rest.len())
    }
}

/// Calls `emit` with every pattern `value` registers: the value itself (when it is
/// at least `min_len` bytes), its LF and CRLF forms and long lines when it spans
/// lines, and the encodings of each of those forms. Patterns may repeat; the caller
/// deduplicates. Nothing is emitted for a value shorter than `min_len` or empty.
pub(crate) fn for_each_pattern(
    value: &[u8],
    min_len: usize,
    encodings: Encodings,
    emit: &mut dyn FnMut(&[u8], Origin),
) {
    if value.is_empty() || value.len() < min_len.max(1) {
        return;
    }
    let mut forms: Vec<Zeroizing<Vec<u8>>> = vec![Zeroizing::new(value.to_vec())];
    if value.contains(&b'\n') {
        let lf = Zeroizing::new(crlf_to_lf(value));
        let crlf = Zeroizing::new(lf_to_crlf(&lf));
        for line in lf.split(|&b| b == b'\n') {
            let line = line.trim_ascii();
            if line.len() >= MIN_FRAGMENT {
                forms.push(Zeroizing::new(line.to_vec()));
            }
        }
        forms.push(lf);
        forms.push(crlf);
    }
    for form in &forms {
        let origin = |encoding| Origin {
            encoding,
            plain_len: u32::try_from(form.len()).unwrap_or(u32::MAX),
        };
        emit(form, origin(Encoding::Plain));
        if encodings.base64 {
            base64_forms(form, &mut |p, whole| {
                emit(p, origin(Encoding::Base64 { whole }));
            });
        }
        // Percent-encodings are matched by decoding the text (`decode.rs`), where
        // a space reads as `+`: the form registers once more with its spaces as `+`.
        if encodings.percent && form.contains(&b' ') {
            let plus: Zeroizing<Vec<u8>> = Zeroizing::new(
                form.iter()
                    .map(|&b| if b == b' ' { b'+' } else { b })
                    .collect(),
            );
            emit(&plus, origin(Encoding::Plain));
        }
        if encodings.json {
            json_forms(form, &mut |p| emit(p, origin(Encoding::Json)));
        }
        if encodings.hex {
            for upper in [false, true] {
                emit_encoded(&hex(form, upper), form, &mut |p| {
                    emit(p, origin(Encoding::Hex));
                });
            }
        }
    }
}

/// Registers an encoded form when it is long enough and differs from the form.
fn emit_encoded(encoded: &[u8], form: &[u8], emit: &mut dyn FnMut(&[u8])) {
    if encoded.len() >= MIN_FRAGMENT && encoded != form {
        emit(encoded);
    }
}

fn crlf_to_lf(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'\r' && value.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(value[i]);
        i += 1;
    }
    out
}

fn lf_to_crlf(value: &[u8]) -> Vec<u8> {
    let lines = value.iter().filter(|&&b| b == b'\n').count();
    let mut out = Vec::with_capacity(value.len() + lines);
    for &b in value {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Base64 in both alphabets: padded and unpadded whole encodings, plus for each
/// alignment `k` of the value inside a larger blob the characters that depend on the
/// value's bytes alone.
/// `emit` gets each with whether it is a whole encoding.
fn base64_forms(form: &[u8], emit: &mut dyn FnMut(&[u8], bool)) {
    let n = form.len();
    for (padded, unpadded) in [(&STANDARD, &STANDARD_NO_PAD), (&URL_SAFE, &URL_SAFE_NO_PAD)] {
        emit_encoded(
            &Zeroizing::new(padded.encode(form).into_bytes()),
            form,
            &mut |p| emit(p, true),
        );
        emit_encoded(
            &Zeroizing::new(unpadded.encode(form).into_bytes()),
            form,
            &mut |p| emit(p, true),
        );
        for k in 0..3usize {
            let mut shifted = Zeroizing::new(vec![0u8; k + n]);
            shifted[k..].copy_from_slice(form);
            let encoded = Zeroizing::new(unpadded.encode(&shifted[..]).into_bytes());
            // Character c covers bits [6c, 6c + 6): it depends on the value alone when
            // those bits lie inside [8k, 8(k + n)).
            let first = (8 * k).div_ceil(6);
            let last = (8 * (k + n)) / 6;
            if last > first {
                emit_encoded(&encoded[first..last], form, &mut |p| emit(p, k == 0));
            }
        }
    }
}

fn hex(form: &[u8], upper: bool) -> Zeroizing<Vec<u8>> {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = Zeroizing::new(Vec::with_capacity(2 * form.len()));
    for &b in form {
        out.extend_from_slice(&[digits[usize::from(b >> 4)], digits[usize::from(b & 15)]]);
    }
    out
}

/// How one JSON encoder escapes a string.
#[derive(Clone, Copy)]
struct JsonStyle {
    /// `\n`, `\r`, `\t`, `\b`, `\f` rather than `\u000a`...
    short: bool,
    /// `\/` rather than `/`.
    slash: bool,
    /// `\u00AB` rather than `\u00ab`.
    upper: bool,
    /// Non-ASCII as `\uXXXX` (UTF-16, surrogate pairs), as Python's `json.dumps` does.
    ascii: bool,
}

/// The JSON escapings of `form` that the common encoders produce; only the styles
/// that make a difference for this form are generated.
fn json_forms(form: &[u8], emit: &mut dyn FnMut(&[u8])) {
    let has_control = form.iter().any(|&b| b < 0x20);
    let has_slash = form.contains(&b'/');
    let has_non_ascii = !form.is_ascii();
    let Ok(text) = std::str::from_utf8(form) else {
        return;
    };
    for short in [true, false] {
        for slash in [false, true] {
            for upper in [false, true] {
                for ascii in [false, true] {
                    let redundant = (!short && !has_control)
                        || (slash && !has_slash)
                        || (upper && !has_control && !has_non_ascii)
                        || (ascii && !has_non_ascii);
                    if redundant {
                        continue;
                    }
                    let style = JsonStyle {
                        short,
                        slash,
                        upper,
                        ascii,
                    };
                    emit_encoded(&json_escape(text, style), form, emit);
                }
            }
        }
    }
}

fn json_escape(text: &str, style: JsonStyle) -> Zeroizing<Vec<u8>> {
    // The escaped form's bound (a byte becomes at most 6: `\u00XX`), so the buffer
    // never grows: a grown Vec frees its old block, escaped value and all, unwiped.
    let mut out = Zeroizing::new(Vec::with_capacity(6 * text.len()));
    let unit = |out: &mut Vec<u8>, u: u16| {
        let digits: &[u8; 16] = if style.upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        out.extend_from_slice(b"\\u");
        for shift in [12, 8, 4, 0] {
            out.push(digits[usize::from((u >> shift) & 15)]);
        }
    };
    let mut units = [0u16; 2];
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' if style.slash => out.extend_from_slice(b"\\/"),
            '\n' if style.short => out.extend_from_slice(b"\\n"),
            '\r' if style.short => out.extend_from_slice(b"\\r"),
            '\t' if style.short => out.extend_from_slice(b"\\t"),
            '\u{8}' if style.short => out.extend_from_slice(b"\\b"),
            '\u{c}' if style.short => out.extend_from_slice(b"\\f"),
            c if (c as u32) < 0x20 || (style.ascii && !c.is_ascii()) => {
                for &u in c.encode_utf16(&mut units).iter() {
                    unit(&mut out, u);
                }
            }
            c => {
                let mut bytes = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut bytes).as_bytes());
            }
        }
    }
    units.fill(0);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
    use super::*;

    fn patterns(value: &str, encodings: Encodings) -> Vec<String> {
        let mut out = Vec::new();
        for_each_pattern(value.as_bytes(), 4, encodings, &mut |p, _| {
            out.push(String::from_utf8(p.to_vec()).unwrap());
        });
        out
    }

    #[test]
    fn base64_alignments_are_substrings_of_real_blobs() {
        let secret = "s3cr3t-value!";
        let pats = patterns(secret, Encodings::none().with_base64());
        for prefix in ["", "a", "ab", "abc", "user:"] {
            for suffix in ["", "x", "xy", "xyz"] {
                let blob = STANDARD.encode(format!("{prefix}{secret}{suffix}"));
                assert!(
                    pats.iter().any(|p| blob.contains(p.as_str())),
                    "{prefix:?} {suffix:?} {blob}"
                );
            }
        }
    }

    #[test]
    fn json_matches_serde_json() {
        let secret = "line1\n\"quoted\"\\/\u{1}é";
        let pats = patterns(secret, Encodings::none().with_json());
        let encoded = serde_json::to_string(secret).unwrap();
        let inner = &encoded[1..encoded.len() - 1];
        assert!(pats.iter().any(|p| p == inner), "{inner}");
    }

    #[test]
    fn short_lines_alone_are_not_registered() {
        let pats = patterns("{\n  \"key\": \"abcdefgh12\"\n}", Encodings::none());
        assert!(pats.iter().all(|p| p != "{" && p != "}"));
        assert!(pats.iter().any(|p| p == "\"key\": \"abcdefgh12\""));
    }

    impl Encodings {
        fn with_base64(self) -> Encodings {
            Encodings {
                base64: true,
                ..self
            }
        }
        fn with_json(self) -> Encodings {
            Encodings { json: true, ..self }
        }
    }
}
