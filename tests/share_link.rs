//! A shared run is driven by a stranger: each attack below must fail, on every path.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const OWNER: &str = "olive";

fn shared(
    world: &World,
    declared: &[&str],
    runner: &[(&str, &str)],
    allowlist: Option<&[&str]>,
) -> RunContext {
    let _ = world;
    RunContext::manual(ws(), wf(), user(OWNER), user("stranger"))
        .with_policy(policy(allowlist, true, declared))
        .shared_link(provided(runner))
}

fn missing_reason<T: std::fmt::Debug>(result: Result<T, Error>) -> MissingReason {
    match result {
        Err(Error::MissingCredential { reason, .. }) => reason,
        other => panic!("expected missing_credential, got {other:?}"),
    }
}

#[test]
fn a_prompt_cannot_get_an_undeclared_key() {
    let world = World::new();
    world.put(&workspace_scope(), "DECLARED", "lent-value-1234");
    world.put(&workspace_scope(), "PAYROLL_DB", "payroll-secret-5678");
    world.put(&personal(OWNER), "OWNER_GITHUB", "owner-github-9012");
    let ctx = shared(&world, &["DECLARED"], &[], None);
    let step = world.resolver.step(&ctx);
    for undeclared in ["PAYROLL_DB", "OWNER_GITHUB"] {
        assert_eq!(
            missing_reason(block_on(step.credential(undeclared))),
            MissingReason::MustBeProvided
        );
        let template = Template::parse(&format!("{{{{{undeclared}}}}}")).unwrap();
        assert_eq!(
            missing_reason(block_on(step.render(&template))),
            MissingReason::MustBeProvided
        );
        assert_eq!(
            missing_reason(block_on(world.resolver.resolve(&ctx, &key(undeclared)))),
            MissingReason::MustBeProvided
        );
        let prefetch = block_on(step.prefetch(&[key(undeclared)]));
        assert_eq!(missing_reason(prefetch), MissingReason::MustBeProvided);
    }
    // An agent is steered by the runner's prompt: by default it gets the runner's
    // own values only (none here), never a lent one.
    assert!(block_on(step.all_available()).unwrap().is_empty());
    // With the owner's consent for agents, it sees the declared, lent key only.
    let consenting = with_agents(ctx);
    let agent: Vec<String> = block_on(world.resolver.step(&consenting).all_available())
        .unwrap()
        .into_iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(
        agent,
        ["DECLARED"],
        "an agent sees the declared, lent key only"
    );
}

#[test]
fn an_agent_gets_the_runners_value_a_code_step_holds_only_without_consent() {
    let world = World::new();
    world.put(&workspace_scope(), "API_KEY", "owner-api-key-1234");
    let ctx = shared(
        &world,
        &["API_KEY"],
        &[("MY_TOKEN", "runner-token-5678")],
        None,
    );
    // A code step took the runner's own token; the agent step after it gets it too.
    let step = world.resolver.step(&ctx);
    block_on(step.credential("MY_TOKEN")).unwrap();
    let agent = block_on(step.all_available()).unwrap();
    let keys: Vec<String> = agent.into_iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["MY_TOKEN"]);
    // With the owner's consent for agents, the lent value only, never the held token.
    let step = world.resolver.step(&with_agents(ctx));
    block_on(step.credential("MY_TOKEN")).unwrap();
    let agent = block_on(step.all_available()).unwrap();
    let keys: Vec<String> = agent.into_iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["API_KEY"]);
}

/// The same run, with the owner's consent to lend credentials to agents.
fn with_agents(ctx: RunContext) -> RunContext {
    let mut policy = ctx.policy().clone();
    policy.sharing = policy.sharing.with_owner_credentials_for_agents(true);
    ctx.with_policy(policy)
}

#[test]
fn without_owner_credentials_nothing_of_the_owner_is_read() {
    let world = World::new();
    world.put(&workspace_scope(), "API_KEY", "owner-api-key-1234");
    let ctx = RunContext::manual(ws(), wf(), user(OWNER), user("stranger"))
        .with_policy(policy(None, false, &["API_KEY"]))
        .shared_link(provided(&[]));
    let step = world.resolver.step(&ctx);
    assert_eq!(
        missing_reason(block_on(step.credential("API_KEY"))),
        MissingReason::MustBeProvided
    );
    assert!(block_on(step.all_available()).unwrap().is_empty());
    let needs = WorkflowRequirements::default().with_code_keys([key("API_KEY")]);
    let inputs = block_on(world.resolver.required_inputs(&ctx, &needs)).unwrap();
    assert_eq!(inputs.into_iter().collect::<Vec<_>>(), [key("API_KEY")]);
    // Not even the owner's personal scope is among the run's scopes: explain says so.
    let why = block_on(world.resolver.explain(&ctx, &key("API_KEY"), &admin())).unwrap();
    let owners: Vec<Verdict> = why
        .consulted
        .iter()
        .filter(|c| c.scope == personal(OWNER))
        .map(|c| c.verdict)
        .collect();
    assert_eq!(owners, [Verdict::Skipped(SkipReason::NoPersonalFallback)]);
}

#[test]
fn a_provided_value_never_replaces_a_lent_one() {
    let world = World::new();
    world.put(&workspace_scope(), "API_KEY", "owner-api-key-1234");
    let ctx = shared(
        &world,
        &["API_KEY"],
        &[("API_KEY", "runner-chosen-key")],
        None,
    );
    let resolved = block_on(world.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    assert_eq!(resolved.value.expose_secret(), "owner-api-key-1234");
    assert_eq!(resolved.charged_to, Principal::Workspace(ws()));
    let step = world.resolver.step(&ctx);
    assert_eq!(
        block_on(step.credential("API_KEY"))
            .unwrap()
            .expose_secret(),
        "owner-api-key-1234"
    );
    // The step holds the lent value; its agent gets neither it (no consent for
    // agents) nor the runner's value in its place.
    assert!(block_on(step.all_available()).unwrap().is_empty());
    // A fresh step's agent gets the runner's own value, which reveals nothing of the
    // owner's: the runner chose it.
    let agent = block_on(world.resolver.step(&ctx).all_available()).unwrap();
    assert_eq!(agent.len(), 1);
    assert_eq!(agent[0].1.expose_secret(), "runner-chosen-key");
    // With consent, the lent value, and never the runner's beside it.
    let consenting = with_agents(ctx);
    let agent = block_on(world.resolver.step(&consenting).all_available()).unwrap();
    assert_eq!(agent.len(), 1);
    assert_eq!(agent[0].1.expose_secret(), "owner-api-key-1234");
}

#[test]
fn a_template_never_mixes_a_lent_value_with_a_provided_one() {
    let world = World::new();
    world.put(&workspace_scope(), "API_KEY", "owner-api-key-1234");
    let ctx = shared(
        &world,
        &["API_KEY", "API_BASE_URL"],
        &[("API_BASE_URL", "https://attacker.example")],
        None,
    );
    let step = world.resolver.step(&ctx);
    let template = Template::parse("{{API_BASE_URL}}/v1?key={{API_KEY}}").unwrap();
    let err = block_on(step.render(&template)).unwrap_err();
    assert_eq!(err.code(), "permission_denied");
    assert!(!err.to_string().contains("owner-api-key-1234"));
    // The host's own variables are run data: refused beside a lent value unless the
    // owner marked the template.
    let lenient = Template::parse_lenient("{{ input.url }}?key={{API_KEY}}");
    let host = |name: &str| (name == "input.url").then(|| "https://attacker.example".to_owned());
    assert_eq!(
        block_on(step.render_with(&lenient, &host))
            .unwrap_err()
            .code(),
        "permission_denied"
    );
    // Each alone is fine.
    let lent_only = Template::parse("key={{API_KEY}}").unwrap();
    assert_eq!(
        block_on(step.render(&lent_only)).unwrap().expose_secret(),
        "key=owner-api-key-1234"
    );
    let provided_only = Template::parse("{{API_BASE_URL}}/v1").unwrap();
    assert_eq!(
        block_on(step.render(&provided_only))
            .unwrap()
            .expose_secret(),
        "https://attacker.example/v1"
    );
}

#[test]
fn a_key_off_the_allowlist_is_refused_even_when_provided() {
    let world = World::new();
    let ctx = shared(
        &world,
        &["A"],
        &[("NOT_LISTED", "runner-value")],
        Some(&["A"]),
    );
    let step = world.resolver.step(&ctx);
    assert_eq!(
        missing_reason(block_on(step.credential("NOT_LISTED"))),
        MissingReason::NotAllowed
    );
    assert!(block_on(step.all_available()).unwrap().is_empty());
}

#[test]
fn lent_values_are_charged_to_their_holder() {
    let world = World::new();
    world.put(&workflow_scope(), "WF", "workflow-scoped-1");
    world.put(&personal(OWNER), "MINE", "owner-personal-1");
    let ctx = shared(
        &world,
        &["WF", "MINE", "THEIRS"],
        &[("THEIRS", "runner-own-1")],
        None,
    );
    let charged = |k: &str| {
        block_on(world.resolver.resolve(&ctx, &key(k)))
            .unwrap()
            .charged_to
    };
    assert_eq!(charged("WF"), Principal::Workspace(ws()));
    assert_eq!(charged("MINE"), Principal::User(user(OWNER)));
    assert_eq!(charged("THEIRS"), Principal::Runner);
}

#[test]
fn redactors_of_a_shared_run_mask_lent_values_only() {
    let world = World::new();
    world.put(&workspace_scope(), "API_KEY", "owner-api-key-1234");
    let ctx = shared(
        &world,
        &["API_KEY"],
        &[("MY_TOKEN", "runner-token-5678")],
        None,
    );
    let run = world.resolver.run(&ctx);
    let step = run.step();
    block_on(step.credential("API_KEY")).unwrap();
    block_on(step.credential("MY_TOKEN")).unwrap();
    let log = "owner-api-key-1234 runner-token-5678";
    for redactor in [run.redactor(), step.redactor()] {
        let masked = redactor.redact(log);
        assert!(!masked.contains("owner-api-key-1234"), "{masked}");
        assert!(masked.contains("runner-token-5678"), "{masked}");
    }
}

#[test]
fn required_inputs_are_what_is_declared_allowed_and_not_lent() {
    let world = World::new();
    world.put(&workspace_scope(), "LENT", "lent-value-1");
    let ctx = shared(
        &world,
        &["LENT", "NOT_HELD"],
        &[],
        Some(&["LENT", "NOT_HELD", "UNDECLARED"]),
    );
    let needs = WorkflowRequirements::default()
        .with_code_keys(["LENT", "NOT_HELD", "UNDECLARED", "OFF_LIST"].map(key));
    let inputs = block_on(world.resolver.required_inputs(&ctx, &needs)).unwrap();
    assert_eq!(
        inputs.into_iter().collect::<Vec<_>>(),
        [key("NOT_HELD"), key("UNDECLARED")]
    );
    let member = RunContext::manual(ws(), wf(), user(OWNER), user(OWNER));
    assert!(
        block_on(world.resolver.required_inputs(&member, &needs))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn share_options_need_a_qualifying_workflow() {
    let none = WorkflowRequirements::default();
    let code_only = WorkflowRequirements::default().with_code_keys([key("K")]);
    let model = WorkflowRequirements {
        uses_private_model: true,
        ..Default::default()
    };
    let creds = ShareConfig::default().with_owner_credentials(true);
    let api = ShareConfig::default().with_owner_api_key(true);
    assert_eq!(creds.check(&none).unwrap_err().code(), "option_unavailable");
    creds.check(&code_only).unwrap();
    assert_eq!(
        api.check(&code_only).unwrap_err().code(),
        "option_unavailable"
    );
    api.check(&model).unwrap();
    ShareConfig::default().check(&none).unwrap();
}

#[test]
fn api_key_holder_is_the_runner_unless_lent() {
    let base = RunContext::manual(ws(), wf(), user(OWNER), user("stranger"));
    assert_eq!(base.api_key_holder(), ApiKeyHolder::Owner(user(OWNER)));
    assert_eq!(
        base.clone().shared_link(provided(&[])).api_key_holder(),
        ApiKeyHolder::Runner
    );
    let lend =
        WorkflowPolicy::default().with_sharing(ShareConfig::default().with_owner_api_key(true));
    assert_eq!(
        base.with_policy(lend)
            .shared_link(provided(&[]))
            .api_key_holder(),
        ApiKeyHolder::Owner(user(OWNER))
    );
}

#[test]
fn an_actor_of_another_workspace_is_refused_by_every_management_call() {
    let world = World::new();
    world.put(&workspace_scope(), "K", "value-in-acme-1234");
    world.put(&personal("ada"), "P", "personal-in-acme-1");
    let intruder = Actor::new(
        user("admin"),
        WorkspaceId::new("evil").unwrap(),
        WorkspaceRole::Admin,
    );
    let s = &world.secrets;
    for scope in [
        workspace_scope(),
        workflow_scope(),
        personal("ada"),
        personal("admin"),
    ] {
        let codes = [
            block_on(s.create(&intruder, &scope, &key("NEW"), value("x-1234"))).map(|_| ()),
            block_on(s.rotate(&intruder, &scope, &key("K"), value("x-1234"))).map(|_| ()),
            block_on(s.set_details(&intruder, &scope, &key("K"), SecretDetails::default()))
                .map(|_| ()),
            block_on(s.delete(&intruder, &scope, &key("K"))),
            block_on(s.list(&intruder, &scope)).map(|_| ()),
            block_on(s.rewrap_all(&intruder, &scope)).map(|_| ()),
            block_on(s.purge(&intruder, &scope)).map(|_| ()),
        ];
        for (i, result) in codes.into_iter().enumerate() {
            assert_eq!(
                result.unwrap_err().code(),
                "permission_denied",
                "call {i} on {scope}"
            );
        }
    }
    // The workspace redactor is the intruder's own workspace's: empty, not acme's.
    let redactor = block_on(s.workspace_redactor(&intruder)).unwrap();
    assert!(
        redactor
            .redact("value-in-acme-1234")
            .contains("value-in-acme-1234")
    );
    let ctx = RunContext::manual(ws(), wf(), user("ada"), user("ada"));
    assert_eq!(
        block_on(world.resolver.explain(&ctx, &key("K"), &intruder))
            .unwrap_err()
            .code(),
        "permission_denied"
    );
    assert_eq!(
        block_on(world.resolver.available(&ctx, &intruder))
            .unwrap_err()
            .code(),
        "permission_denied"
    );
    assert!(
        world
            .audit
            .events()
            .iter()
            .any(|e| e.kind == AuditKind::Denied && e.workspace.as_str() == "evil")
    );
    assert_eq!(
        block_on(world.store.list(&workspace_scope()))
            .unwrap()
            .len(),
        1,
        "nothing written"
    );
}

#[test]
fn consent_for_agents_needs_owner_credentials() {
    let agents_only = ShareConfig::default().with_owner_credentials_for_agents(true);
    let needs = WorkflowRequirements::default().with_code_keys([key("API_KEY")]);
    let err = agents_only.check(&needs).unwrap_err();
    assert_eq!(err.code(), "option_unavailable");
    assert!(
        err.to_string().contains("owner_credentials_for_agents"),
        "{err}"
    );
    let both = agents_only.with_owner_credentials(true);
    both.check(&needs).unwrap();
    // Without owner credentials the consent lends nothing, even if a host skips check.
    let world = World::new();
    world.put(&workspace_scope(), "API_KEY", "owner-api-key-1234");
    let mut policy = policy(None, false, &["API_KEY"]);
    policy.sharing = agents_only;
    let ctx = RunContext::manual(ws(), wf(), user(OWNER), user("stranger"))
        .with_policy(policy)
        .shared_link(provided(&[("OWN", "runner-own-value")]));
    let agent = block_on(world.resolver.step(&ctx).all_available()).unwrap();
    let keys: Vec<String> = agent.into_iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["OWN"]);
}

#[test]
fn a_template_that_would_mix_is_refused_before_any_value_is_opened() {
    let audit = MemoryAuditSink::new();
    let world = World::new();
    world.put(&workspace_scope(), "API_KEY", "owner-api-key-1234");
    let resolver = world.resolver.clone().with_audit(audit.clone());
    let ctx = shared(
        &world,
        &["API_KEY", "API_BASE_URL"],
        &[("API_BASE_URL", "https://runner.example")],
        None,
    );
    let step = resolver.step(&ctx);
    let mixed = Template::parse("{{API_BASE_URL}}?key={{API_KEY}}").unwrap();
    assert_eq!(
        block_on(step.render(&mixed)).unwrap_err().code(),
        "permission_denied"
    );
    let host_mixed = Template::parse_lenient("{{API_KEY}} to {{steps.fetch.url}}");
    let host = |_: &str| Some("https://runner.example/collect".to_owned());
    assert_eq!(
        block_on(step.render_with(&host_mixed, &host))
            .unwrap_err()
            .code(),
        "permission_denied"
    );
    // Nothing was opened: no resolution was audited, and the step holds nothing the
    // redactor would mask.
    assert!(
        audit.events().iter().all(|e| e.kind != AuditKind::Resolved),
        "{:?}",
        audit.events()
    );
    assert_eq!(
        step.redactor().redact("owner-api-key-1234"),
        "owner-api-key-1234"
    );
}

#[test]
fn a_share_link_run_is_named_as_one_and_a_member_run_naming_it_falls_back_to_nobody() {
    let w = World::new();
    w.put(&personal("olive"), "API_KEY", "olive-personal-value");
    // Built with its constructor: shared, its trigger named in the audit event.
    let ctx = RunContext::share_link(
        ws(),
        wf(),
        user("olive"),
        provided(&[("API_KEY", "runner-own")]),
    );
    assert!(ctx.is_shared());
    let resolved = block_on(w.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    assert_eq!(resolved.value.expose_secret(), "runner-own");
    let event = w
        .audit
        .events()
        .into_iter()
        .find(|e| e.kind == AuditKind::Resolved)
        .unwrap();
    assert_eq!(
        event.run,
        Some(AuditRun::new(wf(), Trigger::ShareLink, true))
    );
    // The trigger on a run the host forgot to mark shared: no personal fallback.
    let slip = RunContext::automated(ws(), wf(), user("olive"), Trigger::ShareLink);
    let err = block_on(w.resolver.resolve(&slip, &key("API_KEY"))).unwrap_err();
    assert_eq!(err.code(), "missing_credential");
}

// ---- templates that combine lent values with run data ------------------------------

/// A key wrapper that counts unwraps: every unseal of a record unwraps its data key,
/// so a count of zero proves nothing was decrypted.
#[derive(Clone)]
struct CountingKeyring {
    inner: LocalKeyring,
    unwraps: Arc<AtomicUsize>,
}

impl KeyWrapper for CountingKeyring {
    fn active_key(&self) -> KeyId {
        self.inner.active_key()
    }
    fn wrap(&self, id: KeyId, data_key: &[u8; 32], aad: &[u8]) -> Result<Vec<u8>, Error> {
        self.inner.wrap(id, data_key, aad)
    }
    fn unwrap(&self, id: KeyId, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<[u8; 32]>, Error> {
        self.unwraps.fetch_add(1, Ordering::SeqCst);
        self.inner.unwrap(id, wrapped, aad)
    }
}

/// A world whose vault counts unseals.
fn counting_world() -> (World, Arc<AtomicUsize>) {
    let keyring = LocalKeyring::generate();
    let unwraps = Arc::new(AtomicUsize::new(0));
    let vault = Vault::new(CountingKeyring {
        inner: keyring.clone(),
        unwraps: unwraps.clone(),
    });
    let store = Arc::new(MemoryStore::new());
    let audit = MemoryAuditSink::new();
    let world = World {
        secrets: Secrets::new(vault.clone(), store.clone()).with_audit(audit.clone()),
        resolver: Resolver::new(vault.clone(), store.clone()).with_audit(audit.clone()),
        keyring,
        vault,
        store,
        audit,
    };
    (world, unwraps)
}

const POST_RUN_DATA: &str = "POST {{SLACK_WEBHOOK}} text={{steps.fetch}}";
const OWNER_HOOK: &str = "https://hooks.example/owner-hook-1234";
const OWNER_TOKEN: &str = "owner-token-5678";

/// What one render of a shared run should give.
enum Want {
    /// The rendered text.
    Renders(&'static str),
    /// `permission_denied`, whose message names this reason.
    Refused(TemplateRefusalReason),
    /// `missing_credential` with this reason.
    Missing(MissingReason),
}

struct Case {
    name: &'static str,
    /// The owner's stored values (workspace scope).
    stored: &'static [(&'static str, &'static str)],
    /// The keys the workflow declares (all lendable: owner credentials are on).
    declared: &'static [&'static str],
    /// The runner's own values.
    runner: &'static [(&'static str, &'static str)],
    /// The workflow definition's constants.
    constants: &'static [(&'static str, &'static str)],
    /// The templates the owner marked as allowed to combine lent values with run data.
    marked: &'static [&'static str],
    /// The template rendered (leniently parsed).
    template: &'static str,
    /// The run data the host supplies, by variable name.
    run_data: &'static [(&'static str, &'static str)],
    want: Want,
    /// What the share-link preflight says of the template, before any run data exists.
    report: Option<TemplateRefusalReason>,
}

fn cases() -> Vec<Case> {
    let hook = &[("SLACK_WEBHOOK", OWNER_HOOK)];
    vec![
        Case {
            name: "unmarked: a lent value beside run data is refused",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[],
            marked: &[],
            template: POST_RUN_DATA,
            run_data: &[("steps.fetch", "hello")],
            want: Want::Refused(TemplateRefusalReason::LentWithRunData),
            report: Some(TemplateRefusalReason::LentWithRunData),
        },
        Case {
            name: "marked: a lent value beside run data renders",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[],
            marked: &[POST_RUN_DATA],
            template: POST_RUN_DATA,
            run_data: &[("steps.fetch", "hello")],
            want: Want::Renders("POST https://hooks.example/owner-hook-1234 text=hello"),
            report: None,
        },
        Case {
            name: "unmarked: run data the host does not supply stays text, nothing is mixed",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[],
            marked: &[],
            template: POST_RUN_DATA,
            run_data: &[],
            want: Want::Renders("POST https://hooks.example/owner-hook-1234 text={{steps.fetch}}"),
            report: Some(TemplateRefusalReason::LentWithRunData),
        },
        Case {
            name: "unmarked: a constant never counts as provided",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[("vars.channel", "#alerts")],
            marked: &[],
            template: "POST {{SLACK_WEBHOOK}} channel={{vars.channel}}",
            run_data: &[],
            want: Want::Renders("POST https://hooks.example/owner-hook-1234 channel=#alerts"),
            report: None,
        },
        Case {
            name: "a constant is the definition's, never the host's run data of that name",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[("vars.channel", "#alerts")],
            marked: &[],
            template: "POST {{SLACK_WEBHOOK}} channel={{vars.channel}}",
            run_data: &[("vars.channel", "https://runner.example/collect")],
            want: Want::Renders("POST https://hooks.example/owner-hook-1234 channel=#alerts"),
            report: None,
        },
        Case {
            name: "unmarked: a constant beside run data is still run data",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[("vars.channel", "#alerts")],
            marked: &[],
            template: "POST {{SLACK_WEBHOOK}} {{vars.channel}} {{steps.fetch}}",
            run_data: &[("steps.fetch", "hello")],
            want: Want::Refused(TemplateRefusalReason::LentWithRunData),
            report: Some(TemplateRefusalReason::LentWithRunData),
        },
        Case {
            name: "marked: a constant and run data beside a lent value render",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[("vars.channel", "#alerts")],
            marked: &["POST {{SLACK_WEBHOOK}} {{vars.channel}} {{steps.fetch}}"],
            template: "POST {{SLACK_WEBHOOK}} {{vars.channel}} {{steps.fetch}}",
            run_data: &[("steps.fetch", "hello")],
            want: Want::Renders("POST https://hooks.example/owner-hook-1234 #alerts hello"),
            report: None,
        },
        Case {
            name: "a mark covers its own text only",
            stored: hook,
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[],
            marked: &[POST_RUN_DATA],
            template: "POST {{steps.fetch}} text={{SLACK_WEBHOOK}}",
            run_data: &[("steps.fetch", "https://runner.example")],
            want: Want::Refused(TemplateRefusalReason::LentWithRunData),
            report: Some(TemplateRefusalReason::LentWithRunData),
        },
        Case {
            name: "marked: a runner's provided key beside a lent value is still refused",
            stored: &[("API_KEY", OWNER_TOKEN)],
            declared: &["API_KEY", "API_BASE_URL"],
            runner: &[("API_BASE_URL", "https://runner.example")],
            constants: &[],
            marked: &["{{API_BASE_URL}}?key={{API_KEY}}&q={{steps.fetch}}"],
            template: "{{API_BASE_URL}}?key={{API_KEY}}&q={{steps.fetch}}",
            run_data: &[("steps.fetch", "hello")],
            want: Want::Refused(TemplateRefusalReason::LentWithProvided),
            report: Some(TemplateRefusalReason::LentWithProvided),
        },
        Case {
            name: "marked: a lent key the owner holds none of falls to the runner, and is refused",
            stored: &[("TOKEN", OWNER_TOKEN)],
            declared: &["SLACK_WEBHOOK", "TOKEN"],
            runner: &[("SLACK_WEBHOOK", "https://runner.example/collect")],
            constants: &[],
            marked: &["POST {{SLACK_WEBHOOK}} auth={{TOKEN}} text={{steps.fetch}}"],
            template: "POST {{SLACK_WEBHOOK}} auth={{TOKEN}} text={{steps.fetch}}",
            run_data: &[("steps.fetch", "hello")],
            want: Want::Refused(TemplateRefusalReason::LentWithProvided),
            report: Some(TemplateRefusalReason::LentWithProvided),
        },
        Case {
            name: "marked: an undeclared key is not lent, and nothing is opened",
            stored: &[
                ("SLACK_WEBHOOK", OWNER_HOOK),
                ("PAYROLL_DB", "payroll-secret-1"),
            ],
            declared: &["SLACK_WEBHOOK"],
            runner: &[],
            constants: &[],
            marked: &["POST {{SLACK_WEBHOOK}} {{PAYROLL_DB}} {{steps.fetch}}"],
            template: "POST {{SLACK_WEBHOOK}} {{PAYROLL_DB}} {{steps.fetch}}",
            run_data: &[("steps.fetch", "hello")],
            want: Want::Missing(MissingReason::MustBeProvided),
            report: Some(TemplateRefusalReason::LentWithProvided),
        },
        Case {
            name: "marked: run data naming a hidden key is text, never a reference",
            stored: &[
                ("SLACK_WEBHOOK", OWNER_HOOK),
                ("PAYROLL_DB", "payroll-secret-1"),
            ],
            declared: &["SLACK_WEBHOOK", "PAYROLL_DB"],
            runner: &[],
            constants: &[],
            marked: &[POST_RUN_DATA],
            template: POST_RUN_DATA,
            run_data: &[("steps.fetch", "{{PAYROLL_DB}}")],
            want: Want::Renders("POST https://hooks.example/owner-hook-1234 text={{PAYROLL_DB}}"),
            report: None,
        },
        Case {
            name: "marked: the runner's own values with run data, nothing lent",
            stored: &[],
            declared: &["SLACK_WEBHOOK"],
            runner: &[("SLACK_WEBHOOK", "https://runner.example/hook")],
            constants: &[],
            marked: &[],
            template: POST_RUN_DATA,
            run_data: &[("steps.fetch", "hello")],
            want: Want::Renders("POST https://runner.example/hook text=hello"),
            report: None,
        },
    ]
}

fn case_context(case: &Case) -> RunContext {
    let policy = policy(None, true, case.declared)
        .with_constants(
            case.constants
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        )
        .with_run_data_templates(case.marked.iter().map(|t| Template::parse_lenient(t)));
    RunContext::manual(ws(), wf(), user(OWNER), user("stranger"))
        .with_policy(policy)
        .shared_link(provided(case.runner))
}

fn resolved_events(world: &World) -> usize {
    world
        .audit
        .events()
        .iter()
        .filter(|e| e.kind == AuditKind::Resolved && e.outcome.is_ok())
        .count()
}

#[test]
fn templates_combining_lent_values_with_run_data() {
    for case in cases() {
        let name = case.name;
        let (world, unwraps) = counting_world();
        for (k, v) in case.stored {
            world.put(&workspace_scope(), k, v);
        }
        let ctx = case_context(&case);
        let step = world.resolver.step(&ctx);
        let template = Template::parse_lenient(case.template);
        let run_data = case.run_data;
        let host = move |name: &str| {
            run_data
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let before = world.audit.events().len();
        let result = block_on(step.render_with(&template, &host));
        match case.want {
            Want::Renders(text) => {
                let out = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(out.expose_secret(), text, "{name}");
                // A lent value in the output is masked by the step's redactor.
                for (k, v) in case.stored {
                    if text.contains(v) {
                        assert!(
                            !step.redactor().redact(out.expose_secret()).contains(v),
                            "{name}: {k} not masked"
                        );
                    }
                }
            }
            Want::Refused(reason) => {
                let err = result.err().unwrap_or_else(|| panic!("{name}: rendered"));
                assert_eq!(err.code(), "permission_denied", "{name}: {err}");
                assert!(
                    err.to_string().contains(&reason.to_string()),
                    "{name}: {err} does not say {reason}"
                );
                for (_, v) in case.stored.iter().chain(case.runner) {
                    assert!(!err.to_string().contains(v), "{name}: {err}");
                }
            }
            Want::Missing(reason) => {
                assert_eq!(missing_reason(result), reason, "{name}");
            }
        }
        if !matches!(case.want, Want::Renders(_)) {
            // Refused before anything was unsealed or audited as resolved, and the
            // step holds nothing.
            assert_eq!(unwraps.load(Ordering::SeqCst), 0, "{name}: unsealed");
            let events = world.audit.events();
            assert!(
                events[before..]
                    .iter()
                    .all(|e| !(e.kind == AuditKind::Resolved && e.outcome.is_ok())),
                "{name}: {events:?}"
            );
            assert_eq!(resolved_events(&world), 0, "{name}");
            for (_, v) in case.stored {
                assert_eq!(step.redactor().redact(v), *v, "{name}: held");
            }
        }
    }
}

/// The report lists every template the case's render refuses, with its reason, before
/// anything is decrypted; a template it renders is not listed.
#[test]
fn preflight_lists_every_template_a_shared_run_refuses() {
    for case in cases() {
        let name = case.name;
        let (world, unwraps) = counting_world();
        for (k, v) in case.stored {
            world.put(&workspace_scope(), k, v);
        }
        let ctx = case_context(&case);
        let templates = [
            Template::parse_lenient("no references at all"),
            Template::parse_lenient(case.template),
        ];
        let report = block_on(world.resolver.preflight_templates(&ctx, &templates))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(unwraps.load(Ordering::SeqCst), 0, "{name}: unsealed");
        assert_eq!(resolved_events(&world), 0, "{name}: audited as resolved");
        let got: Vec<_> = report.iter().map(|r| (r.template, r.reason)).collect();
        let want: Vec<_> = case.report.map(|reason| (1, reason)).into_iter().collect();
        assert_eq!(got, want, "{name}");
        // What the report refuses, a run refuses (or cannot render at all).
        if let Want::Renders(_) = case.want {
            assert!(
                case.report.is_none() || case.run_data.is_empty(),
                "{name}: a render the report refuses"
            );
        }
    }
}

#[test]
fn a_refusal_report_names_keys_and_variables_never_values() {
    let (world, unwraps) = counting_world();
    world.put(&workspace_scope(), "API_KEY", OWNER_TOKEN);
    world.put(&workspace_scope(), "SLACK_WEBHOOK", OWNER_HOOK);
    let policy = policy(None, true, &["API_KEY", "API_BASE_URL", "SLACK_WEBHOOK"])
        .with_constants([("vars.channel".to_owned(), "#alerts".to_owned())]);
    let ctx = RunContext::manual(ws(), wf(), user(OWNER), user("stranger"))
        .with_policy(policy)
        .shared_link(provided(&[("API_BASE_URL", "https://runner.example")]));
    let templates = [
        Template::parse_lenient("{{API_BASE_URL}}?key={{API_KEY}}"),
        Template::parse_lenient("POST {{SLACK_WEBHOOK}} {{vars.channel}}"),
        Template::parse_lenient("POST {{SLACK_WEBHOOK}} {{vars.channel}} {{ steps.fetch }}"),
        // A key the runner must still bring counts as provided: the template cannot
        // render either way.
        Template::parse_lenient("{{SLACK_WEBHOOK}} {{NOT_BROUGHT}}"),
    ];
    let report = block_on(world.resolver.preflight_templates(&ctx, &templates)).unwrap();
    assert_eq!(unwraps.load(Ordering::SeqCst), 0);
    type Entry = (
        usize,
        TemplateRefusalReason,
        Vec<SecretKey>,
        Vec<SecretKey>,
        Vec<String>,
    );
    let got: Vec<Entry> = report
        .iter()
        .map(|r| {
            (
                r.template,
                r.reason,
                r.lent.clone(),
                r.provided.clone(),
                r.run_data.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                0,
                TemplateRefusalReason::LentWithProvided,
                vec![key("API_KEY")],
                vec![key("API_BASE_URL")],
                vec![],
            ),
            (
                2,
                TemplateRefusalReason::LentWithRunData,
                vec![key("SLACK_WEBHOOK")],
                vec![],
                vec!["steps.fetch".to_owned()],
            ),
            (
                3,
                TemplateRefusalReason::LentWithProvided,
                vec![key("SLACK_WEBHOOK")],
                vec![key("NOT_BROUGHT")],
                vec![],
            ),
        ]
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"lent_with_run_data\""), "{json}");
    for value in [OWNER_TOKEN, OWNER_HOOK, "https://runner.example", "#alerts"] {
        assert!(!json.contains(value), "{json}");
        assert!(!format!("{report:?}").contains(value));
    }
    // A member run refuses nothing, and reads nothing to say so.
    let member = RunContext::manual(ws(), wf(), user(OWNER), user(OWNER));
    assert!(
        block_on(world.resolver.preflight_templates(&member, &templates))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_marked_template_lends_nothing_more_to_an_agent_or_a_log() {
    let world = World::new();
    world.put(&workspace_scope(), "SLACK_WEBHOOK", OWNER_HOOK);
    let marked = Template::parse_lenient(POST_RUN_DATA);
    let policy = policy(None, true, &["SLACK_WEBHOOK"]).with_run_data_templates([marked.clone()]);
    let ctx = RunContext::manual(ws(), wf(), user(OWNER), user("stranger"))
        .with_policy(policy)
        .shared_link(provided(&[("MY_TOKEN", "runner-token-5678")]));
    let run = world.resolver.run(&ctx);
    let step = run.step();
    let host = |_: &str| Some("hello".to_owned());
    let out = block_on(step.render_with(&marked, &host)).unwrap();
    // The run's log masks the lent value the marked template rendered.
    let masked = run.redactor().redact(out.expose_secret()).into_owned();
    assert_eq!(masked, "POST [REDACTED:SLACK_WEBHOOK] text=hello");
    // The agent rule is unchanged: a step that rendered a marked template hands its
    // agent the runner's values only, never the lent one.
    let agent = block_on(step.all_available()).unwrap();
    let keys: Vec<String> = agent.into_iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["MY_TOKEN"]);
    // The mark is about run data: the runner's own key beside the lent value is refused.
    let with_own = Template::parse_lenient("POST {{SLACK_WEBHOOK}} {{MY_TOKEN}}");
    assert_eq!(
        block_on(step.render(&with_own)).unwrap_err().code(),
        "permission_denied"
    );
}
