//! `Template`: text with `{{KEY}}` references, parsed once, rendered in one pass.

use std::collections::HashSet;

use crate::vocab::Error;
use crate::vocab::SecretKey;
use crate::vocab::SecretValue;

/// One piece of a parsed template.
// Ordered so a policy can hold a set of templates (the ones marked to combine lent
// values with run data), compared by what they say, piece by piece.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Segment {
    /// Text copied as is (escapes already undone).
    Literal(String),
    /// `{{KEY}}`: a secret reference.
    Key(SecretKey),
    /// `{{anything else}}` in a lenient template: a host variable. `raw` is the text
    /// as written, kept when the host does not know the name.
    Host { name: String, raw: String },
}

/// Text with `{{KEY}}` references, such as `Bearer {{API_KEY}}`.
///
/// Spaces inside the braces are allowed (`{{ API_KEY }}`). To write a literal `{{`,
/// escape it as `\{{`. Templates are not secret: they hold names, never values.
///
/// Rendering ([`Step::render`](crate::Step::render)) substitutes every reference in
/// one pass: text that came from a value is never scanned again, so a value cannot
/// smuggle in a reference to another secret.
///
/// # Costs
///
/// Parsing is one pass: time and memory grow linearly with the text's length,
/// however many references it holds and however many of them are distinct (each
/// reference costs one hash lookup to list it once). A parsed template holds its
/// literal text and each reference, so its size is proportional to the text's (in
/// a lenient template a host variable keeps both its name and its text as written).
/// Rendering's output is a [`SecretValue`](crate::SecretValue), at most
/// [`SecretValue::MAX_LEN`](crate::SecretValue::MAX_LEN) bytes: a template whose
/// references would render to more (one 64 KiB value referenced many times) is
/// refused with `value_too_large` before the output is built, so rendering's memory
/// is bounded by that limit plus one copy of each distinct value referenced.
///
/// Two templates are equal (and ordered) by their pieces: the same text parses to the
/// same template, which is how [`WorkflowPolicy::run_data_templates`](crate::WorkflowPolicy::run_data_templates)
/// recognises a template the owner marked.
///
/// # Example
///
/// ```
/// use workflow_secrets::Template;
///
/// let t = Template::parse(r"Bearer {{ API_KEY }} and a literal \{{x}}")?;
/// let keys: Vec<&str> = t.references().map(|k| k.as_str()).collect();
/// assert_eq!(keys, ["API_KEY"]);
/// assert_eq!(Template::parse("{{ unclosed").unwrap_err().code(), "template_syntax");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Template {
    segments: Vec<Segment>,
    references: Vec<SecretKey>,
}

impl Template {
    /// Parses strictly: every `{{...}}` must name a valid key.
    ///
    /// # Errors
    ///
    /// `template_syntax` with the byte offset of the `{{` of an unclosed reference,
    /// an empty one, or one whose name is not a valid key.
    pub fn parse(text: &str) -> Result<Template, Error> {
        parse(text, false)
    }

    /// Parses leniently, for hosts with variables of their own: a `{{...}}` that is not
    /// a key name becomes a host variable (see [`Step::render_with`](crate::Step::render_with)),
    /// and an unclosed `{{` stays literal text. The infallible twin of [`parse`](Self::parse).
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::Template;
    ///
    /// let t = Template::parse_lenient("{{steps.fetch.output}} with {{TOKEN}}");
    /// assert_eq!(t.references().count(), 1);
    /// ```
    pub fn parse_lenient(text: &str) -> Template {
        // Lenient parsing has no error path: every malformed reference stays text.
        parse(text, true).unwrap_or_else(|_| Template {
            segments: vec![Segment::Literal(text.to_owned())],
            references: Vec::new(),
        })
    }

    /// The keys referenced, in order of first appearance, each once.
    pub fn references(&self) -> impl Iterator<Item = &SecretKey> {
        self.references.iter()
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The names of its host variables (a lenient template's `{{anything else}}`), in
    /// order, repeats included.
    pub(crate) fn host_variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Host { name, .. } => Some(name.as_str()),
            Segment::Literal(_) | Segment::Key(_) => None,
        })
    }
}

fn parse(text: &str, lenient: bool) -> Result<Template, Error> {
    let mut segments = Vec::new();
    let mut references: Vec<SecretKey> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut literal = String::new();
    let mut rest = 0;
    while let Some(found) = text[rest..].find("{{") {
        let open = rest + found;
        if open > 0 && text.as_bytes()[open - 1] == b'\\' {
            literal.push_str(&text[rest..open - 1]);
            literal.push_str("{{");
            rest = open + 2;
            continue;
        }
        let Some(len) = text[open + 2..].find("}}") else {
            if lenient {
                break;
            }
            return Err(syntax(open, "unclosed reference: `{{` without `}}`"));
        };
        literal.push_str(&text[rest..open]);
        let close = open + 2 + len;
        let name = text[open + 2..close].trim_matches([' ', '\t']);
        let segment = if SecretKey::is_valid(name) {
            let key = SecretKey::new(name)?;
            // A set beside the ordered list: one hash lookup per reference, where a
            // scan of the list would make N distinct references cost N^2/2 compares.
            #[cfg(test)]
            probes::add(1);
            if seen.insert(name) {
                references.push(key.clone());
            }
            Segment::Key(key)
        } else if lenient {
            Segment::Host {
                name: name.to_owned(),
                raw: text[open..close + 2].to_owned(),
            }
        } else if name.is_empty() {
            return Err(syntax(open, "empty reference `{{}}`"));
        } else {
            return Err(syntax(
                open,
                "a reference must name a key: ASCII letters, digits, `_`",
            ));
        };
        if !literal.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut literal)));
        }
        segments.push(segment);
        rest = close + 2;
    }
    literal.push_str(&text[rest..]);
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal));
    }
    Ok(Template {
        segments,
        references,
    })
}

/// Joins the pieces of a rendered template into one value. References multiply
/// a value's size (one 64 KiB value named 200,000 times in a 1 MB template is
/// 13 GB), so the total is summed first and a result over
/// [`SecretValue::MAX_LEN`] is refused before any buffer is allocated; a result
/// within it is built in one buffer of its exact size, never regrown.
///
/// # Errors
///
/// `value_too_large` with the length the result would have had.
pub(crate) fn join(pieces: &[&str]) -> Result<SecretValue, Error> {
    let len = pieces
        .iter()
        .try_fold(0usize, |sum, piece| sum.checked_add(piece.len()))
        .unwrap_or(usize::MAX);
    if len > SecretValue::MAX_LEN {
        return Err(Error::ValueTooLarge {
            len,
            max: SecretValue::MAX_LEN,
        });
    }
    let mut out = String::with_capacity(len);
    for piece in pieces {
        out.push_str(piece);
    }
    SecretValue::new(out)
}

fn syntax(offset: usize, reason: &'static str) -> Error {
    Error::TemplateSyntax { offset, reason }
}

/// Test-only instrumentation: how many stored keys the parse compared a
/// reference against while de-duplicating, so a test can assert the work is
/// proportional to the number of references (a count, not a timing).
#[cfg(test)]
mod probes {
    use std::cell::Cell;

    thread_local! {
        static PROBES: Cell<usize> = const { Cell::new(0) };
    }

    pub(super) fn add(n: usize) {
        PROBES.with(|p| p.set(p.get() + n));
    }

    /// Resets the count and returns what it was.
    pub(super) fn take() -> usize {
        PROBES.with(|p| p.replace(0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    /// Distinct references cost a bounded number of probes each: the parse does
    /// work proportional to the number of references, however many are distinct.
    #[test]
    fn distinct_references_cost_linear_work() {
        for n in [1usize, 10, 1_000, 12_000] {
            let text: String = (0..n).map(|i| format!("{{{{K{i}}}}} ")).collect();
            probes::take();
            let t = Template::parse(&text).unwrap();
            let probes = probes::take();
            assert_eq!(t.references().count(), n);
            assert!(probes <= 2 * n, "{n} distinct references: {probes} probes");
            // The same with one key repeated: no more work than distinct ones.
            let same = "{{K}} ".repeat(n);
            Template::parse_lenient(&same);
            assert!(probes::take() <= 2 * n);
        }
    }

    fn key(s: &str) -> Segment {
        Segment::Key(SecretKey::new(s).unwrap())
    }
    fn lit(s: &str) -> Segment {
        Segment::Literal(s.to_owned())
    }

    #[test]
    fn strict_table() {
        let cases: &[(&str, &str, Vec<Segment>)] = &[
            ("plain text", "no refs", vec![lit("no refs")]),
            ("empty", "", vec![]),
            ("one ref", "{{A}}", vec![key("A")]),
            (
                "spaces",
                "x {{  A  }} y",
                vec![lit("x "), key("A"), lit(" y")],
            ),
            ("tabs", "{{\tA\t}}", vec![key("A")]),
            ("adjacent", "{{A}}{{B}}", vec![key("A"), key("B")]),
            ("escaped", r"\{{A}}", vec![lit("{{A}}")]),
            ("escaped then ref", r"\{{{{A}}", vec![lit("{{"), key("A")]),
            ("lone closer", "a }} b", vec![lit("a }} b")]),
            ("single braces", "{A}", vec![lit("{A}")]),
            (
                "json body",
                r#"{"k": "{{A}}"}"#,
                vec![lit(r#"{"k": ""#), key("A"), lit(r#""}"#)],
            ),
        ];
        for (name, text, want) in cases {
            let t = Template::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&t.segments, want, "case {name}");
        }
    }

    #[test]
    fn strict_errors_with_offsets() {
        let cases: &[(&str, &str, usize)] = &[
            ("unclosed", "ab {{A", 3),
            ("empty", "{{}}", 0),
            ("blank", "x{{  }}", 1),
            ("invalid name", "Bearer {{api-key}}", 7),
            ("dotted name", "{{a.b}}", 0),
            ("second one bad", "{{A}} {{", 6),
        ];
        for (name, text, offset) in cases {
            match Template::parse(text) {
                Err(Error::TemplateSyntax { offset: got, .. }) => {
                    assert_eq!(got, *offset, "{name}")
                }
                other => panic!("case {name}: {other:?}"),
            }
        }
    }

    #[test]
    fn references_in_order_of_first_appearance() {
        let t = Template::parse("{{B}} {{A}} {{B}} {{C}}").unwrap();
        let keys: Vec<&str> = t.references().map(SecretKey::as_str).collect();
        assert_eq!(keys, ["B", "A", "C"]);
    }

    #[test]
    fn lenient_keeps_host_variables_and_unclosed_text() {
        let t = Template::parse_lenient("{{ steps.x }} {{K}} {{}} {{ open");
        assert_eq!(
            t.segments,
            vec![
                Segment::Host {
                    name: "steps.x".into(),
                    raw: "{{ steps.x }}".into()
                },
                lit(" "),
                key("K"),
                lit(" "),
                Segment::Host {
                    name: String::new(),
                    raw: "{{}}".into()
                },
                lit(" {{ open"),
            ]
        );
        assert_eq!(t.references().count(), 1);
    }
}
