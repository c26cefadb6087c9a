//! The percent-decoded view of a text, in which a value escaped any way matches as
//! the value itself.
//!
//! Code steps escape values in many ways: Python's `quote` keeps `/`, JavaScript's
//! `encodeURIComponent` keeps `!*'()`, form encoding writes a space as `+` and may
//! escape `~`, and hex digits come in either case. Registering one pattern per
//! escaping would never cover every mix. Instead, when percent-encoding is on, the
//! redactor also searches this view of the text: every `%XX` or `%xx` escape decoded
//! to its byte, and every space written as `+`. The value's own patterns (with each
//! space as `+` too, see `variants.rs`) then match any mix, byte by byte, of the
//! literal byte, `%XX`, `%xx`, and `+` for a space; a match is masked over the text
//! bytes it decodes from.
//!
//! An escape is a `%` followed by two hex digits, wherever it stands: a `%` is never
//! itself a hex digit, so no escape lies inside another and the parse needs no
//! context. A text cut anywhere but inside an escape decodes, piece by piece, to the
//! same bytes as whole (the writer cuts accordingly).

use zeroize::Zeroizing;

use super::matcher::Run;

/// The decoded view of one text.
pub(crate) struct Decoded {
    /// The decoded bytes, spaces as `+`. It holds whatever secret the text held, so
    /// it is wiped when it drops.
    pub(crate) bytes: Zeroizing<Vec<u8>>,
    /// The decoded position of each escape, ascending: the map back to the text.
    escapes: Vec<usize>,
}

/// The byte the escape starting at `at` stands for, if one starts there.
pub(crate) fn escape_at(text: &[u8], at: usize) -> Option<u8> {
    match text.get(at..at.checked_add(3)?)? {
        [b'%', hi, lo] => Some((hex_value(*hi)? << 4) + hex_value(*lo)?),
        _ => None,
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl Decoded {
    /// The view of `text`, or `None` when it would match nothing that `text` itself
    /// does not: no escape, and no `+` or space that matters (`spaced`: some value
    /// holds a space). One pass; the view is as long as the text at most.
    pub(crate) fn of(text: &[u8], spaced: bool) -> Option<Decoded> {
        // Is there a byte that decodes differently? A SIMD search for `%` (and `+`),
        // so a text without one costs about a memory scan and builds nothing.
        let starts = |at: &usize| text[*at] == b'+' || escape_at(text, *at).is_some();
        match spaced {
            true => memchr::memchr2_iter(b'%', b'+', text).find(starts),
            false => memchr::memchr_iter(b'%', text).find(starts),
        }?;
        let mut bytes = Zeroizing::new(Vec::with_capacity(text.len()));
        let mut escapes = Vec::new();
        let mut at = 0;
        let put = |b: u8, bytes: &mut Zeroizing<Vec<u8>>| {
            bytes.push(if b == b' ' { b'+' } else { b });
        };
        while at < text.len() {
            match escape_at(text, at) {
                Some(b) => {
                    escapes.push(bytes.len());
                    put(b, &mut bytes);
                    at += 3;
                }
                None => {
                    put(text[at], &mut bytes);
                    at += 1;
                }
            }
        }
        Some(Decoded { bytes, escapes })
    }

    /// The text position of decoded position `at`: each escape before it is two
    /// bytes longer in the text.
    fn text_at(&self, at: usize) -> usize {
        at + 2 * self.escapes.partition_point(|&e| e < at)
    }

    /// A run of the view, as a run of the text: it covers every byte its decoded
    /// bytes came from.
    pub(crate) fn map(&self, run: Run) -> Run {
        let start = self.text_at(run.start);
        let first_end = self.text_at(
            run.start
                .saturating_add(run.first_len)
                .min(self.bytes.len()),
        );
        Run {
            start,
            end: self.text_at(run.end),
            first_len: first_end - start,
            mask: run.mask,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_in_either_case_and_spaces_read_as_plus() {
        let cases: [(&str, &[u8], &str); 7] = [
            ("upper-case hex", b"a%2Fb", "a/b"),
            ("lower-case hex", b"a%2fb", "a/b"),
            ("an escaped unreserved byte", b"%7E%41", "~A"),
            ("form space", b"a+b", "a+b"),
            ("escaped space", b"a%20b", "a+b"),
            ("literal space", b"a b%21", "a+b!"),
            ("not an escape", b"%%4g%4%41", "%%4g%4A"),
        ];
        for (name, text, want) in cases {
            let view = Decoded::of(text, true).expect(name);
            assert_eq!(&view.bytes[..], want.as_bytes(), "{name}");
        }
    }

    #[test]
    fn nothing_to_decode_is_no_view() {
        assert!(Decoded::of(b"plain text, 100% sure", true).is_none());
        assert!(
            Decoded::of(b"a+b", false).is_none(),
            "no value holds a space"
        );
        assert!(Decoded::of(b"a+b%41", false).is_some());
    }

    #[test]
    fn runs_map_back_over_the_bytes_they_decode_from() {
        // "x%41%42y": decoded "xABy"; "AB" is decoded 1..3, text 1..7.
        let view = Decoded::of(b"x%41%42y", false).unwrap();
        let run = Run {
            start: 1,
            end: 3,
            first_len: 2,
            mask: 0,
        };
        let mapped = view.map(run);
        assert_eq!((mapped.start, mapped.end, mapped.first_len), (1, 7, 6));
        let tail = view.map(Run {
            start: 3,
            end: 4,
            first_len: 1,
            mask: 0,
        });
        assert_eq!((tail.start, tail.end), (7, 8));
    }
}
