//! Runs and steps: first-use resolution, rotation, redactors, templates, explain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;

fn member_ctx() -> RunContext {
    RunContext::manual(ws(), wf(), user("olive"), user("carol"))
}

#[test]
fn a_step_keeps_what_it_resolved_and_the_next_step_sees_a_rotation() {
    let w = World::new();
    w.put(&workspace_scope(), "TOKEN", "token-version-1");
    let ctx = member_ctx();
    let run = w.resolver.run(&ctx);
    let first = run.step();
    assert_eq!(
        block_on(first.credential("TOKEN")).unwrap().expose_secret(),
        "token-version-1"
    );
    w.rotate(&workspace_scope(), "TOKEN", "token-version-2");
    assert_eq!(
        block_on(first.credential("TOKEN")).unwrap().expose_secret(),
        "token-version-1"
    );
    let header = block_on(first.render(&Template::parse("Bearer {{TOKEN}}").unwrap())).unwrap();
    assert_eq!(header.expose_secret(), "Bearer token-version-1");
    let second = run.step();
    assert_eq!(
        block_on(second.credential("TOKEN"))
            .unwrap()
            .expose_secret(),
        "token-version-2"
    );
    // The run's redactor masks both versions, resolved by either step.
    let masked = run.redactor().redact("token-version-1 token-version-2");
    assert!(!masked.contains("token-version"), "{masked}");
}

#[test]
fn two_credentials_can_be_held_at_once() {
    let w = World::new();
    w.put(&workspace_scope(), "CLIENT_ID", "client-id-value");
    w.put(&workspace_scope(), "CLIENT_SECRET", "client-secret-value");
    let ctx = member_ctx();
    let step = w.resolver.step(&ctx);
    let id = block_on(step.credential("CLIENT_ID")).unwrap();
    let secret = block_on(step.credential("CLIENT_SECRET")).unwrap();
    assert_eq!(
        (id.expose_secret(), secret.expose_secret()),
        ("client-id-value", "client-secret-value")
    );
    assert_eq!(
        block_on(step.credential("bad-name")).unwrap_err().code(),
        "invalid_key"
    );
}

#[test]
fn prefetch_reads_one_snapshot_and_fails_whole() {
    let w = World::new();
    w.put(&workspace_scope(), "CLIENT_ID", "id-1");
    w.put(&workspace_scope(), "CLIENT_SECRET", "secret-1");
    let ctx = member_ctx();
    let step = w.resolver.step(&ctx);
    let err =
        block_on(step.prefetch(&[key("CLIENT_ID"), key("NOPE"), key("ALSO_NOPE")])).unwrap_err();
    match err {
        Error::MissingCredentials { missing } => {
            let keys: Vec<&str> = missing.iter().map(|m| m.key.as_str()).collect();
            assert_eq!(keys, ["ALSO_NOPE", "NOPE"]);
        }
        other => panic!("{other:?}"),
    }
    block_on(step.prefetch(&[key("CLIENT_ID"), key("CLIENT_SECRET")])).unwrap();
    w.rotate(&workspace_scope(), "CLIENT_ID", "id-2");
    w.rotate(&workspace_scope(), "CLIENT_SECRET", "secret-2");
    assert_eq!(
        block_on(step.credential("CLIENT_ID"))
            .unwrap()
            .expose_secret(),
        "id-1"
    );
    assert_eq!(
        block_on(step.credential("CLIENT_SECRET"))
            .unwrap()
            .expose_secret(),
        "secret-1"
    );
    assert!(!step.redactor().redact("id-1 secret-1").contains("secret-1"));
}

#[test]
fn render_with_substitutes_in_one_pass() {
    let w = World::new();
    // A value that looks like a reference must not be expanded again.
    w.put(&workspace_scope(), "API_KEY", "sk-{{ADMIN_KEY}}");
    w.put(&workspace_scope(), "ADMIN_KEY", "admin-secret-value");
    let ctx = member_ctx();
    let step = w.resolver.step(&ctx);
    let template = Template::parse_lenient("{{input.body}} / {{API_KEY}} / {{unknown.var}}");
    // The host's value names a secret too: it stays text.
    let host = |name: &str| (name == "input.body").then(|| "{{ADMIN_KEY}}".to_owned());
    let out = block_on(step.render_with(&template, &host)).unwrap();
    assert_eq!(
        out.expose_secret(),
        "{{ADMIN_KEY}} / sk-{{ADMIN_KEY}} / {{unknown.var}}"
    );
    assert!(!out.expose_secret().contains("admin-secret-value"));
}

#[test]
fn render_errors_name_keys_not_values() {
    let w = World::new();
    let ctx = member_ctx();
    let step = w.resolver.step(&ctx);
    let err = block_on(step.render(&Template::parse("{{MISSING}}").unwrap())).unwrap_err();
    assert_eq!(err.code(), "missing_credential");
    assert_eq!(
        err.to_string(),
        "missing credential MISSING: not found in any scope the run may read"
    );
}

#[test]
fn a_writer_made_before_resolution_masks_what_the_step_resolves_later() {
    let w = World::new();
    w.put(&workspace_scope(), "TOKEN", "late-resolved-token-value");
    let ctx = member_ctx();
    let run = w.resolver.run(&ctx);
    let step = run.step();
    let mut step_log = step.redactor().writer(Vec::new());
    let mut run_log = run.redactor().writer(Vec::new());
    let token = block_on(step.credential("TOKEN")).unwrap();
    let line = format!("token={}\n", token.expose_secret());
    for log in [&mut step_log, &mut run_log] {
        // Split across writes, as a process prints.
        std::io::Write::write_all(log, &line.as_bytes()[..12]).unwrap();
        std::io::Write::write_all(log, &line.as_bytes()[12..]).unwrap();
    }
    for log in [step_log, run_log] {
        let out = String::from_utf8(log.finish().unwrap()).unwrap();
        assert!(!out.contains("late-resolved"), "{out}");
        assert_eq!(out, "token=[REDACTED:TOKEN]\n");
    }
}

#[test]
fn readers_never_see_a_value_that_was_not_written_nor_go_backwards() {
    let w = World::new();
    w.put(&workspace_scope(), "ROTATING", "v-1");
    let resolver = Arc::new(Resolver::new(w.vault.clone(), w.store.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (resolver, stop) = (resolver.clone(), stop.clone());
            std::thread::spawn(move || {
                let ctx = member_ctx();
                let mut last = 0u64;
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) || reads == 0 {
                    let r = block_on(resolver.resolve(&ctx, &key("ROTATING"))).unwrap();
                    let Source::Workspace { version } = r.source else {
                        panic!("{:?}", r.source)
                    };
                    assert_eq!(
                        r.value.expose_secret(),
                        format!("v-{version}"),
                        "a value that was written"
                    );
                    assert!(version >= last, "versions never go backwards");
                    last = version;
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for version in 2..=200 {
        let meta = w.rotate(&workspace_scope(), "ROTATING", &format!("v-{version}"));
        assert_eq!(meta.version, version);
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
}

#[test]
fn explain_says_why_scope_by_scope() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", "ws-value");
    w.put(&personal("carol"), "API_KEY", "carol-value");
    w.put(&personal("carol"), "ONLY_MINE", "carol-only");
    let ctx = member_ctx();
    let carol = member("carol", WorkspaceRole::Editor);
    let e = block_on(w.resolver.explain(&ctx, &key("API_KEY"), &carol)).unwrap();
    assert_eq!(
        e.outcome,
        Outcome::Supplied(Source::Workspace { version: 1 })
    );
    let verdicts: Vec<Verdict> = e.consulted.iter().map(|c| c.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Empty,
            Verdict::Supplied { version: 1 },
            Verdict::Skipped(SkipReason::Shadowed)
        ]
    );
    let text = e.to_string();
    assert!(
        text.starts_with("API_KEY: from the workspace scope (version 1)"),
        "{text}"
    );
    assert!(!text.contains("ws-value"));
    // Another viewer does not see carol's personal scope.
    let bob = member("bob", WorkspaceRole::Admin);
    let e = block_on(w.resolver.explain(&ctx, &key("ONLY_MINE"), &bob)).unwrap();
    assert_eq!(e.consulted[2].verdict, Verdict::Withheld);
    let e = block_on(w.resolver.explain(&ctx, &key("ONLY_MINE"), &carol)).unwrap();
    assert_eq!(e.consulted[2].verdict, Verdict::Supplied { version: 1 });
    // Allowlist and share link.
    let listed = ctx
        .clone()
        .with_policy(policy(Some(&["OTHER"]), false, &[]));
    let e = block_on(w.resolver.explain(&listed, &key("API_KEY"), &carol)).unwrap();
    assert_eq!(e.outcome, Outcome::Missing(MissingReason::NotAllowed));
    assert!(
        e.consulted
            .iter()
            .all(|c| c.verdict == Verdict::Skipped(SkipReason::NotAllowed))
    );
    // A shared run that lends nothing, for a key off the allowlist: every scope,
    // the owner's personal one included, says "not allowed" first.
    let shared_listed = listed.shared_link(provided(&[]));
    let e = block_on(w.resolver.explain(&shared_listed, &key("API_KEY"), &carol)).unwrap();
    assert_eq!(e.outcome, Outcome::Missing(MissingReason::NotAllowed));
    assert_eq!(e.consulted.len(), 3);
    assert!(
        e.consulted
            .iter()
            .all(|c| c.verdict == Verdict::Skipped(SkipReason::NotAllowed)),
        "{e}"
    );
    let shared = ctx.shared_link(provided(&[]));
    let e = block_on(w.resolver.explain(&shared, &key("API_KEY"), &carol)).unwrap();
    assert_eq!(e.outcome, Outcome::Missing(MissingReason::MustBeProvided));
    assert_eq!(
        e.consulted[2].verdict,
        Verdict::Skipped(SkipReason::NoPersonalFallback)
    );
}

#[test]
fn available_lists_names_for_the_editor_dropdown() {
    let w = World::new();
    w.put(&workflow_scope(), "WF_KEY", "a");
    w.put(&workspace_scope(), "WS_KEY", "b");
    w.put(&workspace_scope(), "HIDDEN", "c");
    w.put(&personal("carol"), "MY_KEY", "d");
    w.put(&personal("bob"), "BOBS_KEY", "e");
    let ctx = member_ctx().with_policy(policy(
        Some(&["WF_KEY", "WS_KEY", "MY_KEY", "BOBS_KEY"]),
        false,
        &[],
    ));
    let carol = member("carol", WorkspaceRole::Editor);
    let got: Vec<(String, Vec<String>)> = block_on(w.resolver.available(&ctx, &carol))
        .unwrap()
        .into_iter()
        .map(|(scope, keys)| {
            (
                scope.kind().to_owned(),
                keys.into_iter().map(|k| k.to_string()).collect(),
            )
        })
        .collect();
    let want = [
        ("workflow".to_owned(), vec!["WF_KEY".to_owned()]),
        ("workspace".to_owned(), vec!["WS_KEY".to_owned()]),
        ("personal".to_owned(), vec!["MY_KEY".to_owned()]),
    ];
    assert_eq!(got, want);
}

#[test]
fn preflight_lists_every_missing_credential_at_once() {
    let w = World::new();
    w.put(&workspace_scope(), "PRESENT", "p");
    let ctx = member_ctx().with_policy(policy(Some(&["PRESENT", "ABSENT"]), false, &[]));
    let templates = [Template::parse("{{PRESENT}} {{ABSENT}}").unwrap()];
    let needs =
        WorkflowRequirements::from_templates(&templates, false).with_code_keys([key("OFF_LIST")]);
    match block_on(w.resolver.preflight(&ctx, &needs)).unwrap_err() {
        Error::MissingCredentials { missing } => assert_eq!(
            missing,
            vec![
                Missing {
                    key: key("ABSENT"),
                    reason: MissingReason::NotFound
                },
                Missing {
                    key: key("OFF_LIST"),
                    reason: MissingReason::NotAllowed
                },
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Resolver<Arc<MemoryStore>>>();
    check::<Secrets<MemoryStore>>();
    check::<Step<MemoryStore>>();
    check::<Run<MemoryStore>>();
    fn owned<T: Send + Sync + 'static>() {}
    owned::<Step<Arc<MemoryStore>>>();
    owned::<Run<Arc<MemoryStore>>>();
    owned::<Resolver<DynStore>>();
    check::<RunContext>();
    check::<Template>();
    fn send<T: Send>(_: &T) {}
    let w = World::new();
    let ctx = member_ctx();
    let step = w.resolver.step(&ctx);
    send(&step.credential("K"));
    send(&step.all_available());
    send(&step.render(&Template::parse("x").unwrap()));
    send(&w.resolver.resolve(&ctx, &key("K")));
    send(&w.secrets.list(&admin(), &workspace_scope()));
}

#[test]
fn run_and_step_debug_name_their_run_and_count_what_is_held_never_a_value() {
    let w = World::new();
    w.put(&workspace_scope(), "TOKEN", "token-value-in-debug");
    let ctx = member_ctx();
    let run = w.resolver.run(&ctx);
    let step = run.step();
    block_on(step.credential("TOKEN")).unwrap();
    let (run_debug, step_debug) = (format!("{run:?}"), format!("{step:?}"));
    for (name, text) in [("Run", &run_debug), ("Step", &step_debug)] {
        assert!(text.starts_with(name), "{name}: {text}");
        assert!(
            text.contains(ws().as_str()),
            "{name} names its workspace: {text}"
        );
        assert!(
            text.contains(wf().as_str()),
            "{name} names its workflow: {text}"
        );
        assert!(!text.contains("token-value"), "{name}: {text}");
    }
    assert!(
        step_debug.contains("held: 1"),
        "the step counts what it holds: {step_debug}"
    );
    // The resolver says what it reports to: an audit sink here, no usage recording.
    let resolver_debug = format!("{:?}", w.resolver);
    assert!(
        resolver_debug.starts_with("Resolver")
            && resolver_debug.contains("audit: true")
            && resolver_debug.contains("usage: false"),
        "{resolver_debug}"
    );
}

/// The host's own values (registered on `with_redaction`'s settings) are masked by
/// every run's and step's redactor, under their labels, and what one run or step
/// resolves stays its own: runs and steps start from one compiled set and share
/// nothing they add.
#[test]
fn the_hosts_values_mask_in_every_run_and_what_a_run_resolves_stays_its_own() {
    let w = World::new();
    w.put(&workspace_scope(), "TOKEN", "token-of-the-run");
    let settings = Redactor::builder()
        .labelled(true)
        .secret_named(&key("PLATFORM_KEY"), &value("platform-signing-key"))
        .secret(&value("unnamed-host-value"));
    let resolver = w.resolver.clone().with_redaction(settings);
    let ctx = member_ctx();
    let (a, b) = (resolver.run(&ctx), resolver.run(&ctx));
    let step = a.step();
    block_on(step.credential("TOKEN")).unwrap();
    let text = "platform-signing-key unnamed-host-value token-of-the-run";
    let all = "[REDACTED:PLATFORM_KEY] [REDACTED] [REDACTED:TOKEN]";
    assert_eq!(step.redactor().redact(text), all);
    assert_eq!(a.redactor().redact(text), all);
    let host_only = "[REDACTED:PLATFORM_KEY] [REDACTED] token-of-the-run";
    for (name, r) in [
        ("another run", b.redactor()),
        ("a step of another run", b.step().redactor()),
        ("a step alone", resolver.step(&ctx).redactor()),
        ("a later step of the same run", a.step().redactor()),
        ("a run started after", resolver.run(&ctx).redactor()),
    ] {
        assert_eq!(r.redact(text), host_only, "{name}");
    }
}
