//! No block that `workflow-secrets` frees holds a secret's plaintext.
//!
//! The scanning allocator (`workflow_secrets_alloc_scan::Scanner`) checks every freed
//! block, and the old block of every `realloc`, for any 6 consecutive bytes of a marker
//! value and for its base64 and hex forms. This test walks values holding the marker
//! through the whole life of a secret, phase by phase: create, rotate, list, `.env`
//! import (one that fails on a later line too), seal and unseal, resolution in each
//! scope and through a share link, `credential`, `render`, `all_available`, `redact`,
//! the writer with 1-byte and 64 KiB writes, `serialize`, errors, and drop. It fails on
//! any hit that is not a named dependency exception (see `EXCEPTIONS`).
//!
//! Single-threaded (`harness = false`): no other test's allocations interleave, and
//! the walk is the same on every run. The test's own copies of the marker live in
//! exact-size `Zeroizing` buffers, so every hit is the library's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is the failure report

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use base64::Engine as _;
use pollster::block_on;
use serde::Serialize;
use workflow_secrets::admin::ImportMode;
use workflow_secrets::testing::fixtures::{id, key};
use workflow_secrets::{
    Actor, LocalKeyring, MemoryStore, Redactor, Resolver, RunContext, Scope, SecretValue, Secrets,
    Template, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
};
use workflow_secrets_alloc_scan::{Hit, Needles, Scanner, arm, hits, set_needles, set_phase};
use zeroize::Zeroizing;

#[global_allocator]
static ALLOC: Scanner = Scanner;

/// Every byte distinct (the scanner finds a window of it in one pass); no token prefix.
const MARKER: &str = "Qz7WxL4pV2nR8tK5mJ3hY";
/// A secret of digits, every digit distinct, for the serializer's numbers.
const DIGITS: &str = "9876543210";

const PHASES: &[&str] = &[
    "setup",
    "create",
    "rotate",
    "list",
    "import .env",
    "import .env failing on a later line",
    "seal and unseal",
    "resolve in each scope",
    "credential",
    "render",
    "all_available",
    "redact: the run's set is built",
    "redact",
    "redact: a new redactor",
    "redact: add a value",
    "writer, 1-byte writes",
    "writer, 64 KiB writes",
    "writer, 4 KiB writes, then 64 KiB",
    "serialize",
    "errors",
    "drop",
];

/// The one copy the crate cannot wipe (SECURITY.md, "Redaction", says what a host can
/// do about it): `aho-corasick` keeps each pattern of a packed (Teddy) searcher, and
/// `memchr`'s `memmem` (a segment of one pattern, and the automaton's prefilter) its
/// needle, in a block of exactly the pattern's length (`packed::Patterns::add`,
/// `memmem::Finder::into_owned`), and frees it unwiped when the builder or the
/// searcher drops. A hit is excused only with that exact shape: the
/// needle at offset 0 of a block whose size is the length of a registered pattern.
/// Every buffer of the crate's own is wiped, so no hit of the crate has this shape
/// today; one that had would be a whole pattern copied by `to_vec`, which review
/// catches (the crate wraps every such copy in `Zeroizing`).
const EXCEPTION: &str =
    "a searcher's own copy of a pattern (aho-corasick's packed::Patterns, memchr's memmem)";

/// `parts` concatenated into a string of exactly its length, wiped on drop.
fn exact(parts: &[&str]) -> Zeroizing<String> {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    Zeroizing::new(s)
}

/// `text` with every third byte written as a `%XX` escape, in an exact-size buffer.
fn percent_every_third(text: &str) -> Zeroizing<String> {
    let escapes = text.len() / 3;
    let mut s = String::with_capacity(text.len() + 2 * escapes);
    for (i, b) in text.bytes().enumerate() {
        if i % 3 == 2 {
            s.push('%');
            s.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            s.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        } else {
            s.push(char::from(b));
        }
    }
    Zeroizing::new(s)
}

/// A value holding the marker; its `String` has no spare capacity, so `SecretValue`
/// keeps it without a copy.
fn value(suffix: &str) -> SecretValue {
    let mut s = String::with_capacity(MARKER.len() + suffix.len());
    s.push_str(MARKER);
    s.push_str(suffix);
    SecretValue::new(s).unwrap()
}

fn phase(name: &str) {
    set_phase(PHASES.iter().position(|p| *p == name).unwrap());
}

fn main() {
    // The needles are leaked 'static strings, made before scanning starts.
    let b64: &'static [u8] = base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(&MARKER.as_bytes()[..18])
        .leak()
        .as_bytes();
    let hex_lower: &'static [u8] = MARKER
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .leak()
        .as_bytes();
    let hex_upper: &'static [u8] = hex_lower.to_ascii_uppercase().leak();
    let encoded: &'static [(&'static str, &'static [u8])] = Vec::leak(vec![
        ("base64", b64),
        ("hex", hex_lower),
        ("HEX", hex_upper),
        ("digits", DIGITS.as_bytes()),
    ]);
    set_needles(Needles {
        marker: MARKER.as_bytes(),
        window: 6,
        encoded,
    });
    let names: Vec<&str> = std::iter::once("marker")
        .chain(encoded.iter().map(|(n, _)| *n))
        .collect();

    phase("setup");
    arm(true);
    let pattern_lens = walk();
    arm(false);

    let (found, total) = hits();
    let mut unexpected = Vec::new();
    let mut excused = Vec::new();
    if total > found.len() {
        // Hits past the table were counted but not recorded: none may pass unjudged.
        unexpected.push(format!("  {} hits past the table", total - found.len()));
    }
    for Hit {
        phase,
        size,
        needle,
        offset,
    } in found
    {
        let line = format!(
            "  phase {:?}: a freed block of {size} bytes held the {} at {offset}",
            PHASES[phase], names[needle]
        );
        if offset == 0 && pattern_lens.contains(&size) {
            excused.push(format!("{line} (exception: {EXCEPTION})"));
        } else {
            unexpected.push(line);
        }
    }
    println!(
        "freed_memory: {total} freed blocks held the marker; {} excused",
        excused.len()
    );
    for line in &excused {
        println!("{line}");
    }
    if !unexpected.is_empty() {
        eprintln!(
            "freed_memory: FAILED: {} freed blocks held plaintext:\n{}",
            unexpected.len(),
            unexpected.join("\n")
        );
        std::process::exit(1);
    }
    println!("freed_memory: ok");
}

#[derive(Serialize)]
struct Output<'a> {
    text: &'a str,
    list: Vec<&'a str>,
    map: BTreeMap<&'a str, u8>,
    number: u64,
    float: f64,
    nested: Option<(&'a str, char)>,
}

/// Walks the marker through a secret's life; returns the lengths of every pattern the
/// walk's redactors registered (for the one dependency exception).
fn walk() -> Vec<usize> {
    let ws = WorkspaceId::new("acme").unwrap();
    let wf = WorkflowId::new("wf").unwrap();
    let admin = Actor::new(id::<UserId>("admin"), ws.clone(), WorkspaceRole::Admin);
    let olive: UserId = id("olive");
    let runner = Actor::new(olive.clone(), ws.clone(), WorkspaceRole::Runner);
    let workspace = Scope::workspace(ws.clone());
    let workflow = Scope::workflow(ws.clone(), wf.clone());
    let personal = Scope::personal(ws.clone(), olive.clone());
    let keyring = LocalKeyring::generate();
    let vault = Vault::new(keyring);
    let store = Arc::new(MemoryStore::new());
    let secrets = Secrets::new(vault.clone(), store.clone());
    let resolver = Resolver::new(vault.clone(), store.clone());

    phase("create");
    block_on(secrets.create(&admin, &workspace, &key("WS_TOKEN"), value("-ws"))).unwrap();
    block_on(secrets.create(&admin, &workflow, &key("WF_TOKEN"), value("-wf"))).unwrap();
    block_on(secrets.create(&runner, &personal, &key("MY_TOKEN"), value("-me"))).unwrap();
    // A long value: buffers sized by the value grow past their first guess.
    block_on(secrets.create(
        &admin,
        &workspace,
        &key("LONG_TOKEN"),
        value(&"-long".repeat(400)),
    ))
    .unwrap();
    // A value whose JSON escaping is far longer than the value (each control character
    // becomes `\u00XX`): buffers sized by a guess at the escaped length grow.
    let controls: String = "\u{1}\u{2}\u{3}\u{7}".repeat(10);
    block_on(secrets.create(&admin, &workspace, &key("CTL_TOKEN"), value(&controls))).unwrap();

    phase("rotate");
    block_on(secrets.rotate(&admin, &workspace, &key("WS_TOKEN"), value("-ws2"))).unwrap();
    block_on(secrets.rotate(&runner, &personal, &key("MY_TOKEN"), value("-me2"))).unwrap();

    phase("list");
    for scope in [&workspace, &workflow] {
        let listed = block_on(secrets.list(&admin, scope)).unwrap();
        assert!(!listed.is_empty());
    }
    block_on(secrets.list(&runner, &personal)).unwrap();

    phase("import .env");
    let env = exact(&[
        "# pasted\nIMPORTED_A=",
        MARKER,
        "-a\nexport IMPORTED_B=\"",
        MARKER,
        "-b\\n\"\nIMPORTED_C='",
        MARKER,
        "-c'\n",
    ]);
    block_on(secrets.import_env(&admin, &workspace, &env, ImportMode::Upsert)).unwrap();
    block_on(secrets.preview_env(&admin, &workspace, &env, ImportMode::Upsert)).unwrap();

    phase("import .env failing on a later line");
    let bad = exact(&[
        "LATE_A=",
        MARKER,
        "-la\nLATE_B=\"",
        MARKER,
        "-lb\nLATE_C=",
        MARKER,
        "\n",
    ]);
    let err = block_on(secrets.import_env(&admin, &workspace, &bad, ImportMode::Upsert));
    let err = err.unwrap_err();
    let _ = (err.to_string(), format!("{err:?}"), err.code());

    phase("seal and unseal");
    let v = value("-sealed");
    let sealed = vault.seal(&workspace, &key("SEALED"), 3, &v).unwrap();
    let bytes = sealed.to_bytes();
    let opened = vault
        .unseal(&workspace, &key("SEALED"), 3, &sealed)
        .unwrap();
    assert!(opened.expose_secret() == v.expose_secret());
    drop((opened, bytes, sealed, v));

    phase("resolve in each scope");
    let ctx = RunContext::manual(ws.clone(), wf.clone(), olive.clone(), olive.clone());
    for name in [
        "WS_TOKEN",
        "WF_TOKEN",
        "MY_TOKEN",
        "LONG_TOKEN",
        "IMPORTED_B",
    ] {
        let resolved = block_on(resolver.resolve(&ctx, &key(name))).unwrap();
        drop(resolved);
    }
    let mut provided = BTreeMap::new();
    provided.insert(key("RUNNER_KEY"), value("-runner"));
    let shared = RunContext::manual(ws.clone(), wf.clone(), olive.clone(), id("stranger"))
        .shared_link(provided);
    let _ = block_on(resolver.resolve(&shared, &key("RUNNER_KEY")));

    phase("credential");
    let run = resolver.run(&ctx);
    let step = run.step();
    for name in [
        "WS_TOKEN",
        "WF_TOKEN",
        "MY_TOKEN",
        "LONG_TOKEN",
        "CTL_TOKEN",
    ] {
        drop(block_on(step.credential(name)).unwrap());
    }
    let shared_step = resolver.step(&shared);
    let _ = block_on(shared_step.credential("RUNNER_KEY"));

    phase("render");
    let template = Template::parse("Bearer {{WS_TOKEN}} and {{WF_TOKEN}}; {{LONG_TOKEN}}").unwrap();
    drop(block_on(step.render(&template)).unwrap());
    let host = |name: &str| (name == "host.var").then(|| "plain-host-value".to_owned());
    // Lenient: `{{host.var}}` is a host variable, not a key.
    let with_host = Template::parse_lenient("{{MY_TOKEN}} {{host.var}}");
    drop(block_on(step.render_with(&with_host, &host)).unwrap());

    phase("all_available");
    drop(block_on(step.all_available()).unwrap());
    let _ = block_on(shared_step.all_available());

    phase("redact: the run's set is built");
    let redactor = run.redactor();
    assert_eq!(redactor.redact("nothing secret"), "nothing secret");
    phase("redact");
    let text = exact(&["a ", MARKER, "-ws2 b ", MARKER, "-wf c ", MARKER, "-me2\n"]);
    let masked = redactor.redact(&text);
    assert!(!masked.contains(MARKER));
    drop(masked);
    let masked = redactor.redact_bytes(text.as_bytes());
    drop(masked);
    // Percent-escaped (every third byte): redaction decodes the text into a view
    // that holds the value whole, and must wipe it.
    let escaped = percent_every_third(&exact(&[MARKER, "-ws2"]));
    let masked = redactor.redact(&escaped);
    assert!(
        !masked.contains("%"),
        "the escaped value is masked: {masked}"
    );
    drop(masked);
    phase("redact: a new redactor");
    let standalone = Redactor::new([&value("-standalone")]);
    phase("redact: add a value");
    redactor.add(Some(&key("LATE")), &value("-late"));
    redactor.add(None, &SecretValue::new(DIGITS).unwrap());

    phase("writer, 1-byte writes");
    let line = exact(&[
        "step said ",
        MARKER,
        "-ws2 then ",
        MARKER,
        "-late and ",
        MARKER,
        "-wf\n",
    ]);
    let mut log = redactor.writer(Vec::new());
    for _ in 0..10 {
        for b in line.as_bytes() {
            log.write_all(std::slice::from_ref(b)).unwrap();
        }
    }
    log.flush().unwrap();
    for b in line.as_bytes() {
        log.write_all(std::slice::from_ref(b)).unwrap();
    }
    let out = log.finish().unwrap();
    assert!(!out.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
    drop(out);
    let mut cut = redactor.writer(Vec::new());
    for b in &line.as_bytes()[..30] {
        cut.write_all(std::slice::from_ref(b)).unwrap();
    }
    drop(cut); // dropped mid-secret, without finish

    phase("writer, 64 KiB writes");
    let mut big = Zeroizing::new(Vec::with_capacity(64 * 1024));
    while big.len() + line.len() <= 64 * 1024 {
        big.extend_from_slice(line.as_bytes());
    }
    let mut log = redactor.writer(Vec::new());
    for _ in 0..4 {
        log.write_all(&big).unwrap();
    }
    log.write_all(&big[..100]).unwrap();
    log.write_all(&big[100..5000]).unwrap();
    drop(log.finish().unwrap());
    // A writer whose hold-back is short, over text of its own value only.
    let own = exact(&["x ", MARKER, "-standalone y\n"]);
    let mut other = Zeroizing::new(Vec::with_capacity(64 * 1024));
    while other.len() + own.len() <= 64 * 1024 {
        other.extend_from_slice(own.as_bytes());
    }
    let mut log = standalone.writer(Vec::new());
    log.write_all(&other).unwrap();
    log.write_all(&other[..1000]).unwrap();
    drop(log.finish().unwrap());

    // Small writes grow the buffer past 4 KiB straight to the most it holds, and a
    // large write after them is decided in place, wiping what the buffer held.
    phase("writer, 4 KiB writes, then 64 KiB");
    let mut log = redactor.writer(Vec::new());
    for piece in big.chunks(4096).chain(big.chunks(4096)) {
        log.write_all(piece).unwrap();
    }
    log.write_all(&big).unwrap();
    log.write_all(&big[..3000]).unwrap();
    drop(log.finish().unwrap());

    phase("serialize");
    let s = exact(&["Bearer ", MARKER, "-ws2"]);
    let k = exact(&[MARKER, "-wf"]);
    let mut map = BTreeMap::new();
    map.insert(&k[..], 1u8);
    let output = Output {
        text: &s,
        list: vec![&s, &k, "clean"],
        map,
        number: DIGITS.parse().unwrap(),
        float: 9_876_543_210.0,
        nested: Some((&s, 'Q')),
    };
    let json = serde_json::to_string(&redactor.serialize(&output)).unwrap();
    assert!(!json.contains(MARKER) && !json.contains(DIGITS), "{json}");
    drop(json);
    drop(serde_json::to_value(redactor.serialize(&output)).unwrap());
    drop(serde_json::to_vec_pretty(&redactor.serialize(&output)).unwrap());
    drop(output);

    phase("errors");
    let dup = block_on(secrets.create(&admin, &workspace, &key("WS_TOKEN"), value("-dup")));
    let err = dup.unwrap_err();
    let _ = (err.to_string(), format!("{err:?}"));
    let mut huge = String::with_capacity(SecretValue::MAX_LEN + 1);
    while huge.len() + MARKER.len() <= SecretValue::MAX_LEN + 1 {
        huge.push_str(MARKER);
    }
    while huge.len() <= SecretValue::MAX_LEN {
        huge.push('-');
    }
    let err = SecretValue::new(huge).unwrap_err();
    let _ = (err.to_string(), format!("{err:?}"));
    let _ = block_on(step.credential("NOT_THERE")).map_err(|e| e.to_string());
    let wrong = vault.unseal(&workflow, &key("WS_TOKEN"), 1, &{
        vault
            .seal(&workspace, &key("WS_TOKEN"), 1, &value("-x"))
            .unwrap()
    });
    let _ = wrong.map_err(|e| e.to_string());

    // The registered patterns' lengths, read while the scanner is off: the testing
    // hook hands out plaintext copies, which the test then frees.
    arm(false);
    let mut pattern_lens: Vec<usize> = [&redactor, &standalone]
        .iter()
        .flat_map(|r| r.__registered_patterns().into_iter().map(|p| p.len()))
        .collect();
    pattern_lens.sort_unstable();
    pattern_lens.dedup();
    arm(true);

    phase("drop");
    drop((step, shared_step, run, redactor, standalone));
    drop((secrets, resolver, store, vault));
    drop((text, line, big, own, other, s, k, env, bad));
    pattern_lens
}
