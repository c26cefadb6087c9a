#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Masking of well-known token formats nobody registered
//! (`RedactorBuilder::mask_token_formats`, issue 19 item 7).
//!
//! Every sample below is generated to the format's shape from a fixed seed: none is
//! a real credential. The table holds samples that must be masked (each mask naming
//! its format) and look-alikes that must not; every case is checked through
//! `redact`, the writer (a byte at a time, and in one write), and the writer split in
//! two at every offset for a few. Then: a PEM block streamed line by line with a
//! flush after each line never shows a line of its body; the flush cut does not
//! depend on what the text resembles; registered values keep their masks.

use std::io::Write;

use proptest::prelude::*;
use workflow_secrets::redact::{Encodings, TokenFormat, TokenFormats};
use workflow_secrets::{Redactor, SecretKey, SecretValue};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const UPPER_DIGIT: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGITS: &[u8] = b"0123456789";

/// `len` characters of `alphabet`, from `seed` (xorshift64*), beginning `aZ7` where
/// the alphabet has those (so a sample always mixes upper case, lower case and
/// digits, as random text of that length all but always does).
fn random(seed: u64, alphabet: &[u8], len: usize) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out: String = ["a", "Z", "7"]
        .iter()
        .filter(|c| alphabet.contains(&c.as_bytes()[0]))
        .copied()
        .collect::<String>();
    out.truncate(len);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        out.push(char::from(alphabet[(r >> 33) as usize % alphabet.len()]));
    }
    out
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwt(header: &str, payload: &str, sig_len: usize) -> String {
    format!(
        "{}.{}.{}",
        b64url(header.as_bytes()),
        b64url(payload.as_bytes()),
        random(9, BASE64URL, sig_len)
    )
}

/// A PEM block of `label` with `lines` body lines of 64 base64 characters (and a
/// shorter last one), joined by `nl`.
fn pem(label: &str, lines: usize, nl: &str) -> String {
    let mut out = format!("-----BEGIN {label}-----{nl}");
    for i in 0..lines {
        out.push_str(&random(100 + i as u64, BASE64, 64));
        out.push_str(nl);
    }
    out.push_str(&random(99, BASE64, 20));
    out.push_str("==");
    out.push_str(nl);
    out.push_str(&format!("-----END {label}-----"));
    out
}

fn github() -> String {
    format!("ghp_{}", random(1, ALNUM, 36))
}
fn fine_grained() -> String {
    format!(
        "github_pat_{}_{}",
        random(2, ALNUM, 22),
        random(3, ALNUM, 59)
    )
}
fn openai_project() -> String {
    format!("sk-proj-{}", random(4, BASE64URL, 156))
}
fn openai_legacy() -> String {
    format!(
        "sk-{}T3BlbkFJ{}",
        random(5, ALNUM, 20),
        random(6, ALNUM, 20)
    )
}
fn anthropic() -> String {
    format!("sk-ant-api03-{}AA", random(7, BASE64URL, 93))
}
fn slack() -> String {
    format!(
        "xoxb-{}-{}-{}",
        random(8, DIGITS, 12),
        random(10, DIGITS, 13),
        random(11, ALNUM, 24)
    )
}
fn stripe() -> String {
    format!("sk_live_{}", random(12, ALNUM, 99))
}
fn aws() -> String {
    format!("AKIA{}", random(13, UPPER_DIGIT, 16))
}
fn google() -> String {
    format!("AIza{}", random(14, BASE64URL, 35))
}
fn sendgrid() -> String {
    format!(
        "SG.{}.{}",
        random(15, BASE64URL, 22),
        random(16, BASE64URL, 43)
    )
}
fn jwt_hs256() -> String {
    jwt(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"sub":"1234567890","name":"Ada Lovelace","iat":1716239022}"#,
        43,
    )
}

/// One named case: a text, and the tokens in it that must be masked (each with its
/// format); everything else must come out as written.
struct Case {
    name: &'static str,
    text: String,
    masked: Vec<(String, TokenFormat)>,
}

fn case(name: &'static str, text: String, masked: &[(&str, TokenFormat)]) -> Case {
    Case {
        name,
        text,
        masked: masked.iter().map(|(t, f)| (t.to_string(), *f)).collect(),
    }
}

fn expected(case: &Case) -> String {
    let mut out = case.text.clone();
    for (token, format) in &case.masked {
        assert!(
            out.contains(token.as_str()),
            "{}: token not in text",
            case.name
        );
        out = out.replacen(token.as_str(), format.mask(), 1);
    }
    out
}

fn cases() -> Vec<Case> {
    use TokenFormat as F;
    let gh = github();
    let fg = fine_grained();
    let oa = openai_project();
    let ol = openai_legacy();
    let an = anthropic();
    let sl = slack();
    let st = stripe();
    let rk = format!("rk_test_{}", random(17, ALNUM, 24));
    let aw = aws();
    let asia = format!("ASIA{}", random(18, UPPER_DIGIT, 16));
    let go = google();
    let sg = sendgrid();
    let jw = jwt_hs256();
    let jwe_like = format!(
        "{}.{}.{}.{}.{}",
        b64url(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#),
        random(20, BASE64URL, 40),
        random(21, BASE64URL, 16),
        random(22, BASE64URL, 60),
        random(23, BASE64URL, 22)
    );
    let rsa = pem("RSA PRIVATE KEY", 6, "\n");
    let pkcs8_crlf = pem("PRIVATE KEY", 4, "\r\n");
    let openssh = pem("OPENSSH PRIVATE KEY", 3, "\n");
    let json_escaped = pem("PRIVATE KEY", 3, "\\n");
    let truncated = {
        let full = pem("EC PRIVATE KEY", 3, "\n");
        full[..full.find("-----END").unwrap()].to_string()
    };
    let public = pem("PUBLIC KEY", 3, "\n");
    let cert = pem("CERTIFICATE", 3, "\n");
    let no_alg = jwt(r#"{"typ":"JWT"}"#, r#"{"sub":"x"}"#, 43);
    vec![
        // Real-format samples: masked, each named.
        case(
            "github classic token in a sentence",
            format!("cloning with {gh} now"),
            &[(&gh, F::GitHubToken)],
        ),
        case(
            "github oauth and server tokens",
            format!(
                "a=gho_{} b=ghs_{}",
                random(30, ALNUM, 36),
                random(31, ALNUM, 40)
            ),
            &[
                (&format!("gho_{}", random(30, ALNUM, 36)), F::GitHubToken),
                (&format!("ghs_{}", random(31, ALNUM, 40)), F::GitHubToken),
            ],
        ),
        case(
            "github fine-grained pat",
            format!("GH_TOKEN={fg}\n"),
            &[(&fg, F::GitHubPat)],
        ),
        case(
            "openai project key in a header",
            format!("Authorization: Bearer {oa}"),
            &[(&oa, F::OpenAiKey)],
        ),
        case(
            "openai legacy key",
            format!("OPENAI_API_KEY=\"{ol}\""),
            &[(&ol, F::OpenAiKey)],
        ),
        case(
            "anthropic key, not taken for an openai one",
            format!("x-api-key: {an}"),
            &[(&an, F::AnthropicKey)],
        ),
        case(
            "slack bot token",
            format!("{{\"token\":\"{sl}\"}}"),
            &[(&sl, F::SlackToken)],
        ),
        case(
            "stripe secret and restricted keys",
            format!("{st},{rk}"),
            &[(&st, F::StripeSecretKey), (&rk, F::StripeSecretKey)],
        ),
        case(
            "aws access key ids, long-term and temporary",
            format!("aws_access_key_id = {aw}\nsession {asia}."),
            &[(&aw, F::AwsAccessKeyId), (&asia, F::AwsAccessKeyId)],
        ),
        case(
            "google api key in a url",
            format!("GET https://maps.example/api?key={go}&q=1"),
            &[(&go, F::GoogleApiKey)],
        ),
        case(
            "sendgrid key",
            format!("SENDGRID={sg}"),
            &[(&sg, F::SendGridKey)],
        ),
        case(
            "jwt bearer",
            format!("Authorization: Bearer {jw}\n"),
            &[(&jw, F::Jwt)],
        ),
        case(
            "jwe, five segments",
            format!("token={jwe_like};"),
            &[(&jwe_like, F::Jwt)],
        ),
        case(
            "tokens at the very start and end of the text",
            format!("{gh} and {aw}"),
            &[(&gh, F::GitHubToken), (&aw, F::AwsAccessKeyId)],
        ),
        case(
            "pem rsa private key",
            format!("key:\n{rsa}\ndone\n"),
            &[(&rsa, F::PemPrivateKey)],
        ),
        case(
            "pem pkcs8 with crlf",
            format!("{pkcs8_crlf}\r\n"),
            &[(&pkcs8_crlf, F::PemPrivateKey)],
        ),
        case(
            "openssh private key",
            format!("$ cat id_ed25519\n{openssh}\n$ "),
            &[(&openssh, F::PemPrivateKey)],
        ),
        case(
            "pem json-escaped in a service-account file",
            format!("{{\"private_key\": \"{json_escaped}\\n\", \"client_email\": \"x\"}}"),
            &[(&json_escaped, F::PemPrivateKey)],
        ),
        case(
            "pem without its END line: masked through its body",
            truncated.clone(),
            &[(&truncated, F::PemPrivateKey)],
        ),
        // Look-alikes: left as written.
        case(
            "ghp_ and too few characters",
            "see ghp_abc123 and ghp_".into(),
            &[],
        ),
        case(
            "ghp_ and 35 characters",
            format!("ghp_{}", random(40, ALNUM, 35)),
            &[],
        ),
        case(
            "ghp_ and more than any token holds",
            format!("ghp_{}", random(41, ALNUM, 300)),
            &[],
        ),
        case(
            "a prefix inside a word",
            format!("xghp_{} pre{aw}", random(42, ALNUM, 36)),
            &[],
        ),
        case(
            "sk-learn and kin",
            "pip install sk-learn; task-runner sk-proj-setup, sk-ant-notes".into(),
            &[],
        ),
        case(
            "a long lower-case slug after sk-proj-",
            "sk-proj-setup-guide-for-the-new-team-members-and-everyone-else".into(),
            &[],
        ),
        case(
            "AKIA in prose and short ids",
            "AKIA is the prefix; AKIAEXAMPLE is short; AKIA0123456789ABCDEFG is long".into(),
            &[],
        ),
        case(
            "a stripe publishable key",
            format!("pk_live_{}", random(43, ALNUM, 24)),
            &[],
        ),
        case(
            "slack-like words",
            "xoxb-token-goes-here and xoxb-abcdefghijklmnopqrstuvwxyz".into(),
            &[],
        ),
        case(
            "base64 json that is no jwt",
            format!(
                "{} and {}.{}",
                b64url(br#"{"not":"a jwt"}"#),
                b64url(br#"{"alg":"none"}"#),
                b64url(b"payload")
            ),
            &[],
        ),
        case("a jwt-shaped token whose header has no alg", no_alg, &[]),
        case(
            "three base64url segments not starting eyJ",
            "aGVsbG8.d29ybGQ.Zm9vYmFy".into(),
            &[],
        ),
        case("a pem public key", public, &[]),
        case("a pem certificate", cert, &[]),
        case(
            "a google-like key of the wrong length",
            format!("AIza{}", random(44, BASE64URL, 30)),
            &[],
        ),
        case(
            "plain log text",
            "2026-03-01T00:00:01Z INFO run=00c0ffee ok\n".into(),
            &[],
        ),
    ]
}

fn formats_redactor() -> Redactor {
    Redactor::builder()
        .mask_token_formats(TokenFormats::all())
        .build()
}

/// The writer's output for `pieces`, written in order.
fn written(r: &Redactor, pieces: &[&[u8]]) -> String {
    let mut w = r.writer(Vec::new());
    for piece in pieces {
        w.write_all(piece).unwrap();
    }
    String::from_utf8(w.finish().unwrap()).unwrap()
}

#[test]
fn format_cases() {
    let r = formats_redactor();
    for case in cases() {
        let want = expected(&case);
        assert_eq!(r.redact(&case.text), want, "{}: redact", case.name);
        let bytes = case.text.as_bytes();
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(written(&r, &singles), want, "{}: a byte a write", case.name);
        assert_eq!(written(&r, &[bytes]), want, "{}: one write", case.name);
    }
}

#[test]
fn without_the_option_no_format_is_masked() {
    let r = Redactor::new([]);
    for case in cases() {
        assert_eq!(r.redact(&case.text), case.text, "{}", case.name);
    }
}

#[test]
fn only_the_chosen_formats_are_masked() {
    let gh = github();
    let aw = aws();
    let text = format!("{gh} {aw}");
    let r = Redactor::builder()
        .mask_token_formats(TokenFormats::none().with(TokenFormat::AwsAccessKeyId))
        .build();
    assert_eq!(
        r.redact(&text),
        format!("{gh} [REDACTED:format=aws_access_key_id]")
    );
    let r = Redactor::builder()
        .mask_token_formats(TokenFormats::all().without(TokenFormat::AwsAccessKeyId))
        .build();
    assert_eq!(
        r.redact(&text),
        format!("[REDACTED:format=github_token] {aw}")
    );
}

#[test]
fn a_token_split_across_two_writes_at_every_offset_is_masked() {
    let r = formats_redactor();
    let samples = [
        format!("log {} end\n", github()),
        format!("Bearer {}\n", jwt_hs256()),
        format!("x\n{}\ny", pem("RSA PRIVATE KEY", 2, "\n")),
        aws(),
    ];
    for text in samples {
        let want = r.redact(&text).into_owned();
        assert_ne!(want, text, "the sample is masked");
        let bytes = text.as_bytes();
        for at in 0..=bytes.len() {
            let got = written(&r, &[&bytes[..at], &bytes[at..]]);
            assert_eq!(got, want, "split at {at}");
        }
    }
}

/// A PEM block printed a line at a time, with a flush after each line (a step
/// streaming its output live): no flush ever shows a line of the body, and the
/// whole output is one-shot redaction's.
#[test]
fn a_pem_block_streamed_line_by_line_never_shows_its_body() {
    let r = formats_redactor();
    let block = pem("RSA PRIVATE KEY", 8, "\n");
    let text = format!("step 2: writing key\n{block}\nstep 3: done\n");
    let body: Vec<&str> = block.lines().skip(1).collect();
    let mut w = r.writer(Vec::new());
    for line in text.split_inclusive('\n') {
        w.write_all(line.as_bytes()).unwrap();
        w.flush().unwrap();
        let so_far = String::from_utf8(w.get_ref().unwrap().clone()).unwrap();
        for b in &body {
            assert!(!so_far.contains(b), "a flush showed {b:?}: {so_far:?}");
        }
    }
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(out, r.redact(&text));
    assert_eq!(
        out,
        "step 2: writing key\n[REDACTED:format=pem_private_key]\nstep 3: done\n"
    );
}

/// The finished lines come out at a flush, whatever they hold; of the unfinished
/// last line, the same number of bytes for texts of the same length and line
/// breaks, whatever they resemble.
#[test]
fn the_flush_cut_does_not_depend_on_what_the_text_resembles() {
    let r = formats_redactor();
    let gh = github();
    let tail_len = 9000;
    let plain = format!("first line\n{}", "x".repeat(tail_len));
    let tokenish = format!(
        "first line\n{}{}",
        "y ".repeat((tail_len - gh.len()) / 2),
        gh
    );
    let tokenish = format!("{tokenish}{}", "z".repeat(plain.len() - tokenish.len()));
    assert_eq!(plain.len(), tokenish.len());
    let emitted = |text: &str| {
        let mut w = r.writer(Vec::new());
        w.write_all(text.as_bytes()).unwrap();
        w.flush().unwrap();
        let n = w.get_ref().unwrap().len();
        drop(w);
        n
    };
    let plain_out = emitted(&plain);
    // The hold-back with every format on and nothing registered: the longest
    // format token (8 KiB).
    assert_eq!(plain_out, plain.len() - 8192);
    let mut w = r.writer(Vec::new());
    w.write_all(tokenish.as_bytes()).unwrap();
    w.flush().unwrap();
    let out = w.get_ref().unwrap().clone();
    // The same cut: what came out is the text before it, masked (the token lies
    // wholly in the held-back tail, so nothing of it is out yet).
    assert_eq!(out.len(), plain_out);
    assert_eq!(out, tokenish.as_bytes()[..plain_out]);
}

#[test]
fn registered_values_keep_their_labels() {
    let gh = github();
    let key = SecretKey::new("GITHUB_TOKEN").unwrap();
    let r = Redactor::builder()
        .labelled(true)
        .encodings(Encodings::none())
        .mask_token_formats(TokenFormats::all())
        .secret_named(&key, &SecretValue::new(gh.clone()).unwrap())
        .build();
    // The registered token keeps its key's mask: the format scan does not look
    // inside a registered run.
    assert_eq!(r.redact(&format!("t={gh};")), "t=[REDACTED:GITHUB_TOKEN];");
    // Another token of the format beside it: its own mask.
    let other = format!("ghp_{}", random(50, ALNUM, 36));
    assert_eq!(
        r.redact(&format!("{gh} {other}")),
        "[REDACTED:GITHUB_TOKEN] [REDACTED:format=github_token]"
    );
    // A token right after the registered run touches it: one mask, labelled by the
    // leftmost occurrence (the registered value).
    let aw = aws();
    assert_eq!(r.redact(&format!("{gh}{aw}")), "[REDACTED:GITHUB_TOKEN]");
}

/// Where a format mask lands depends on where registered values are, never on their
/// bytes: two values of the same length inside a token's body give the same output.
#[test]
fn format_masks_do_not_read_registered_bytes() {
    let outputs: Vec<String> = ["Abc123xyz0", "!! -- ..@@"]
        .iter()
        .map(|value| {
            let r = Redactor::builder()
                .encodings(Encodings::none())
                .mask_token_formats(TokenFormats::all())
                .secret(&SecretValue::new(*value).unwrap())
                .build();
            // ghp_ + 20 + value (10) + 6: 36 body bytes when the value counts as
            // body, whatever its bytes.
            let text = format!(
                "see ghp_{}{value}{} ok",
                random(60, ALNUM, 20),
                random(61, ALNUM, 6)
            );
            r.redact(&text).into_owned()
        })
        .collect();
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], "see [REDACTED:format=github_token] ok");
}

/// The JWT header check decodes the first segment's bytes: a registered value
/// inside it must not be read, or whether the token around it is masked (and
/// whether the value keeps its own label) would tell a log reader something about
/// the value's bytes. Two registered values of one length, one that completes a
/// JWT header after `eyJ` (`{"alg":"x"}`) and one that does not, give the same
/// output: the value's own labelled mask, the rest as written (a first segment
/// that holds a registered value is no header).
#[test]
fn the_jwt_header_check_does_not_read_registered_bytes() {
    let key = SecretKey::new("API_KEY").unwrap();
    let outputs: Vec<String> = ["hbGciOiJ4In0", "AAAAAAAAAAAA"]
        .iter()
        .map(|value| {
            let r = Redactor::builder()
                .labelled(true)
                .encodings(Encodings::none())
                .mask_token_formats(TokenFormats::all())
                .secret_named(&key, &SecretValue::new(*value).unwrap())
                .build();
            r.redact(&format!("t=eyJ{value}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl ok"))
                .into_owned()
        })
        .collect();
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(
        outputs[0],
        "t=eyJ[REDACTED:API_KEY].eyJzdWIiOiIxIn0.c2lnbmF0dXJl ok"
    );
}

#[test]
fn debug_names_the_formats() {
    let b = Redactor::builder().mask_token_formats(TokenFormats::none().with(TokenFormat::Jwt));
    assert!(
        format!("{b:?}").contains("token_formats: {\"jwt\"}"),
        "{b:?}"
    );
}

/// Text pieces for the properties: tokens of every format, look-alikes, plain
/// words and line breaks.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(github()),
        Just(aws()),
        Just(jwt_hs256()),
        Just(openai_legacy()),
        Just(pem("PRIVATE KEY", 2, "\n")),
        Just("ghp_".to_string()),
        Just("-----BEGIN ".to_string()),
        Just("eyJ".to_string()),
        "[a-zA-Z0-9_=. -]{0,12}",
        Just("\n".to_string()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{4,16}",
        "[a-z .-]{4,10}",
        "ghp_[a-zA-Z0-9]{4,12}"
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With formats on, the writer's output equals `redact`'s for every chunking,
    /// registered values included.
    #[test]
    fn writer_equals_redact_with_formats(
        pieces in prop::collection::vec(piece(), 0..8),
        values in prop::collection::vec(value(), 0..3),
        cuts in prop::collection::vec(0usize..2000, 0..6),
    ) {
        let values: Vec<SecretValue> = values.iter().map(|v| SecretValue::new(v.clone()).unwrap()).collect();
        let r = Redactor::builder()
            .secrets(&values)
            .mask_token_formats(TokenFormats::all())
            .build();
        let text = pieces.concat();
        let want = r.redact(&text).into_owned();
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort_unstable();
        let mut parts = Vec::new();
        let mut at = 0;
        for c in cuts {
            parts.push(&bytes[at..c]);
            at = c;
        }
        parts.push(&bytes[at..]);
        prop_assert_eq!(written(&r, &parts), want);
    }

}

/// `value` percent-encoded byte by byte: 0 kept, 1 `%XX`, 2 `%xx`, by `choices`.
fn escaped(value: &str, choices: &[u8]) -> String {
    value
        .bytes()
        .zip(choices.iter().cycle())
        .map(|(b, c)| match c % 3 {
            1 => format!("%{b:02X}"),
            2 => format!("%{b:02x}"),
            _ => char::from(b).to_string(),
        })
        .collect()
}

/// `text` percent-decoded (either hex case), as the redactor's decoded view reads it.
fn percent_decoded(text: &[u8]) -> Vec<u8> {
    let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match (text[i], hex(text.get(i + 1)), hex(text.get(i + 2))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64)
    ))]

    /// Formats and percent-decoding together, through writes and live flushes (the
    /// property above writes texts shorter than the hold-back and never flushes, so
    /// its writer decides everything at `finish`): tokens, PEM blocks, look-alike
    /// prefixes and registered values raw and escaped (`%XX`, `%xx`, mixes), some
    /// right after a prefix, in writes cut anywhere with a flush after some, and now
    /// and then a write of over 24 KiB (decided in place). The output is one-shot
    /// redaction's and holds no value, raw or decoded.
    #[test]
    fn writer_with_flushes_equals_redact_with_formats_and_percent(
        pieces in prop::collection::vec(
            (piece(), 0usize..3, 0u8..4, prop::collection::vec(0u8..3, 1..5)),
            0..10,
        ),
        values in prop::collection::vec("[a-zA-Z0-9-]{8,14}", 1..3),
        cuts in prop::collection::vec((0usize..40_000, any::<bool>()), 0..10),
        big in 0u8..8,
        every_encoding in any::<bool>(),
    ) {
        let secrets: Vec<SecretValue> =
            values.iter().map(|v| SecretValue::new(v.clone()).unwrap()).collect();
        let encodings = if every_encoding {
            Encodings::all()
        } else {
            Encodings { percent: true, ..Encodings::none() }
        };
        let r = Redactor::builder()
            .secrets(&secrets)
            .encodings(encodings)
            .mask_token_formats(TokenFormats::all())
            .build();
        let mut text = String::new();
        for (i, (piece, which, how, choices)) in pieces.iter().enumerate() {
            text.push_str(piece);
            let value = &values[which % values.len()];
            match how {
                0 => {}
                1 => text.push_str(value),
                _ => text.push_str(&escaped(value, choices)),
            }
            if big == 0 && i == 0 {
                text.push_str(&"log line with nothing secret in it\n".repeat(800));
            }
        }
        let want = r.redact(&text).into_owned();
        let bytes = text.as_bytes();
        let mut w = r.writer(Vec::new());
        let mut cuts: Vec<(usize, bool)> =
            cuts.into_iter().map(|(c, f)| (c.min(bytes.len()), f)).collect();
        cuts.sort_unstable();
        let mut at = 0;
        for (c, flush) in cuts {
            w.write_all(&bytes[at..c]).unwrap();
            at = c;
            if flush {
                w.flush().unwrap();
            }
        }
        w.write_all(&bytes[at..]).unwrap();
        let out = w.finish().unwrap();
        let view = percent_decoded(&out);
        for v in &values {
            prop_assert!(
                !view.windows(v.len()).any(|w| w == v.as_bytes()),
                "{:?} in the output", v
            );
        }
        // The first difference and what follows it (the texts run to 28 KiB).
        let out = String::from_utf8(out).unwrap();
        let at = out.bytes().zip(want.bytes()).take_while(|(a, b)| a == b).count();
        prop_assert!(
            out == want,
            "writer and redact differ at byte {}: {:?} vs {:?}",
            at,
            String::from_utf8_lossy(&out.as_bytes()[at..(at + 120).min(out.len())]),
            String::from_utf8_lossy(&want.as_bytes()[at..(at + 120).min(want.len())])
        );
    }
}
