//! Precedence, allowlists and share links, on every path, against an oracle written here.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use common::*;
use proptest::prelude::*;

const CLICKER: &str = "carol";
const OWNER: &str = "olive";
const KEY: &str = "API_KEY";

#[derive(Clone, Copy, Debug)]
struct Present {
    workflow: bool,
    workspace: bool,
    clicker: bool,
    owner: bool,
}

#[derive(Clone, Copy, Debug)]
enum Allow {
    None,
    Listed,
    NotListed,
}

#[derive(Clone, Copy, Debug)]
enum Via {
    Member,
    Shared {
        owner_credentials: bool,
        declared: bool,
        provided: bool,
    },
}

#[derive(Clone, Copy, Debug)]
struct Case {
    present: Present,
    trigger: usize, // 0 manual, 1 api, 2 webhook, 3 schedule, 4 share link
    allow: Allow,
    via: Via,
}

/// What the case should give: the value's marker and who pays, or why it is missing.
fn oracle(case: &Case) -> Result<(&'static str, &'static str), MissingReason> {
    if matches!(case.allow, Allow::NotListed) {
        return Err(MissingReason::NotAllowed);
    }
    let p = case.present;
    let stored = |personal_user: &str| -> Option<(&'static str, &'static str)> {
        if p.workflow {
            Some(("workflow-value", "workspace"))
        } else if p.workspace {
            Some(("workspace-value", "workspace"))
        } else if personal_user == CLICKER && p.clicker {
            Some(("clicker-value", CLICKER))
        } else if personal_user == OWNER && p.owner {
            Some(("owner-value", OWNER))
        } else {
            None
        }
    };
    match case.via {
        Via::Member => {
            // A member run naming the share-link trigger has no personal fallback.
            let fallback = match case.trigger {
                0 => CLICKER,
                4 => "nobody",
                _ => OWNER,
            };
            stored(fallback).ok_or(MissingReason::NotFound)
        }
        Via::Shared {
            owner_credentials,
            declared,
            provided,
        } => {
            let lent = if owner_credentials && declared {
                stored(OWNER)
            } else {
                None
            };
            match (lent, provided) {
                (Some(found), _) => Ok(found),
                (None, true) => Ok(("runner-value", "runner")),
                (None, false) => Err(MissingReason::MustBeProvided),
            }
        }
    }
}

fn context(case: &Case) -> RunContext {
    let trigger = match case.trigger {
        0 => Trigger::Manual {
            user: user(CLICKER),
        },
        1 => Trigger::Api,
        2 => Trigger::Webhook,
        3 => Trigger::Schedule,
        _ => Trigger::ShareLink,
    };
    let allowlist: Option<&[&str]> = match case.allow {
        Allow::None => None,
        Allow::Listed => Some(&[KEY, "OTHER"]),
        Allow::NotListed => Some(&["OTHER"]),
    };
    let (owner_credentials, declared) = match case.via {
        Via::Member => (false, true),
        Via::Shared {
            owner_credentials,
            declared,
            ..
        } => (owner_credentials, declared),
    };
    let references: &[&str] = if declared { &[KEY] } else { &["OTHER"] };
    let ctx = RunContext::automated(ws(), wf(), user(OWNER), trigger).with_policy(policy(
        allowlist,
        owner_credentials,
        references,
    ));
    match case.via {
        Via::Member => ctx,
        Via::Shared { provided: true, .. } => ctx.shared_link(provided(&[(KEY, "runner-value")])),
        Via::Shared {
            provided: false, ..
        } => ctx.shared_link(provided(&[])),
    }
}

fn world_for(p: Present) -> World {
    let world = World::new();
    if p.workflow {
        world.put(&workflow_scope(), KEY, "workflow-value");
    }
    if p.workspace {
        world.put(&workspace_scope(), KEY, "workspace-value");
    }
    if p.clicker {
        world.put(&personal(CLICKER), KEY, "clicker-value");
    }
    if p.owner {
        world.put(&personal(OWNER), KEY, "owner-value");
    }
    world
}

fn payer(principal: &Principal) -> String {
    match principal {
        Principal::Workspace(_) => "workspace".into(),
        Principal::User(u) => u.to_string(),
        Principal::Runner => "runner".into(),
        other => panic!("a principal this table does not know: {other:?}"),
    }
}

/// Checks one case on `resolve`, `credential`, `prefetch`, `render` and `preflight`.
fn check(case: &Case) {
    let world = world_for(case.present);
    let ctx = context(case);
    let want = oracle(case);
    let k = key(KEY);
    // The policy's own answer, for a host that asks before it resolves, is the
    // rule every path applies.
    assert_eq!(
        ctx.policy().allows(&k),
        !matches!(case.allow, Allow::NotListed),
        "allows {case:?}"
    );
    assert!(
        !ctx.policy().allows(&key("UNLISTED")) || matches!(case.allow, Allow::None),
        "allows an unlisted key {case:?}"
    );
    match (&want, block_on(world.resolver.resolve(&ctx, &k))) {
        (Ok((marker, pays)), Ok(resolved)) => {
            assert_eq!(resolved.value.expose_secret(), *marker, "{case:?}");
            assert_eq!(payer(&resolved.charged_to), *pays, "{case:?}");
        }
        (Err(reason), Err(Error::MissingCredential { reason: got, .. })) => {
            assert_eq!(got, *reason, "{case:?}")
        }
        (want, got) => panic!("{case:?}: want {want:?}, got {got:?}"),
    }
    let step = world.resolver.step(&ctx);
    let by_credential = block_on(step.credential(KEY));
    let rendered = block_on(step.render(&Template::parse("{{API_KEY}}").unwrap()));
    let prefetched = block_on(world.resolver.step(&ctx).prefetch(std::slice::from_ref(&k)));
    let needs = WorkflowRequirements::default().with_code_keys([k.clone()]);
    let preflight = block_on(world.resolver.preflight(&ctx, &needs));
    match &want {
        Ok((marker, _)) => {
            assert_eq!(
                by_credential.unwrap().expose_secret(),
                *marker,
                "credential {case:?}"
            );
            assert_eq!(
                rendered.unwrap().expose_secret(),
                *marker,
                "render {case:?}"
            );
            prefetched.unwrap();
            preflight.unwrap();
        }
        Err(reason) => {
            for got in [by_credential.map(|_| ()), rendered.map(|_| ()), prefetched] {
                match got {
                    Err(Error::MissingCredential { reason: r, .. }) => {
                        assert_eq!(r, *reason, "{case:?}")
                    }
                    other => panic!("{case:?}: {other:?}"),
                }
            }
            match preflight {
                Err(Error::MissingCredentials { missing }) => {
                    assert_eq!(
                        missing,
                        vec![Missing {
                            key: k.clone(),
                            reason: *reason
                        }],
                        "{case:?}"
                    )
                }
                other => panic!("preflight {case:?}: {other:?}"),
            }
        }
    }
}

fn all_cases() -> Vec<Case> {
    let mut vias = vec![
        Via::Member,
        Via::Shared {
            owner_credentials: false,
            declared: true,
            provided: false,
        },
        Via::Shared {
            owner_credentials: false,
            declared: true,
            provided: true,
        },
    ];
    for declared in [false, true] {
        for provided in [false, true] {
            vias.push(Via::Shared {
                owner_credentials: true,
                declared,
                provided,
            });
        }
    }
    let mut cases = Vec::new();
    for bits in 0..16u8 {
        let present = Present {
            workflow: bits & 1 != 0,
            workspace: bits & 2 != 0,
            clicker: bits & 4 != 0,
            owner: bits & 8 != 0,
        };
        for trigger in 0..5 {
            for allow in [Allow::None, Allow::Listed, Allow::NotListed] {
                for via in &vias {
                    cases.push(Case {
                        present,
                        trigger,
                        allow,
                        via: *via,
                    });
                }
            }
        }
    }
    cases
}

#[test]
fn every_combination_matches_the_oracle() {
    let cases = all_cases();
    assert_eq!(cases.len(), 16 * 5 * 3 * 7);
    for case in &cases {
        check(case);
    }
}

/// The personal scope a case's run reads last, if it reads the store for the key:
/// worked out from the case, not from the code.
fn last_scope_read(case: &Case) -> Option<&'static str> {
    if matches!(case.allow, Allow::NotListed) {
        return None;
    }
    match case.via {
        Via::Member if case.trigger == 0 => Some(CLICKER),
        Via::Member if case.trigger == 4 => None,
        Via::Member => Some(OWNER),
        Via::Shared {
            owner_credentials: true,
            declared: true,
            ..
        } => Some(OWNER),
        Via::Shared { .. } => None,
    }
}

/// `explain` is a trace of what `resolve` does: for every viewer, its outcome is the
/// resolution's, except that when the deciding scope is a personal scope the viewer may
/// not list, the outcome is withheld, and then the explanation is the same whether or
/// not that scope holds a value.
fn check_explain(case: &Case) {
    let world = world_for(case.present);
    let ctx = context(case);
    let k = key(KEY);
    let resolved = match block_on(world.resolver.resolve(&ctx, &k)) {
        Ok(r) => Outcome::Supplied(r.source),
        Err(Error::MissingCredential { reason, .. }) => Outcome::Missing(reason),
        Err(other) => panic!("{case:?}: {other:?}"),
    };
    let p = case.present;
    for viewer in [CLICKER, OWNER, "vera"] {
        let who = member(viewer, WorkspaceRole::Admin);
        let explained = block_on(world.resolver.explain(&ctx, &k, &who)).unwrap();
        let decided_by_personal = !p.workflow && !p.workspace;
        let withheld =
            decided_by_personal && last_scope_read(case).is_some_and(|user| user != viewer);
        if !withheld {
            assert_eq!(explained.outcome, resolved, "{case:?} viewer {viewer}");
            continue;
        }
        assert_eq!(
            explained.outcome,
            Outcome::Withheld,
            "{case:?} viewer {viewer}"
        );
        // Nothing tells a withheld value from a withheld absence.
        let user = last_scope_read(case).unwrap();
        let mut flipped = p;
        if user == CLICKER {
            flipped.clicker = !flipped.clicker;
        } else {
            flipped.owner = !flipped.owner;
        }
        let other_world = world_for(flipped);
        let other = block_on(other_world.resolver.explain(&ctx, &k, &who)).unwrap();
        assert_eq!(other, explained, "{case:?} viewer {viewer}");
        assert_eq!(other.to_string(), explained.to_string());
        assert_eq!(format!("{other:?}"), format!("{explained:?}"));
    }
}

#[test]
fn explain_agrees_with_resolve_in_every_combination() {
    let cases = all_cases();
    let mut withheld = 0;
    for case in &cases {
        check_explain(case);
        let p = case.present;
        if !p.workflow && !p.workspace && last_scope_read(case).is_some() {
            withheld += 1;
        }
    }
    // The withheld branch ran (a table that never reaches it proves nothing): 4 ways
    // to hold the key in personal scopes only, 2 allowlists that admit it, and the
    // runs that read a personal scope: a member run under 4 triggers (a member run
    // naming the share-link trigger reads none), and a lending share, with and
    // without the runner's own value, under all 5.
    assert_eq!(withheld, 4 * 2 * (4 + 5 * 2));
}

#[test]
fn the_oracle_is_not_the_code_under_test() {
    // Spot checks written by hand, so a wrong oracle cannot pass the table silently.
    let c = |bits: [bool; 4], trigger, allow, via| Case {
        present: Present {
            workflow: bits[0],
            workspace: bits[1],
            clicker: bits[2],
            owner: bits[3],
        },
        trigger,
        allow,
        via,
    };
    let member = Via::Member;
    assert_eq!(
        oracle(&c([true, true, true, true], 0, Allow::None, member)),
        Ok(("workflow-value", "workspace"))
    );
    assert_eq!(
        oracle(&c([false, false, true, true], 0, Allow::None, member)),
        Ok(("clicker-value", CLICKER))
    );
    assert_eq!(
        oracle(&c([false, false, true, true], 3, Allow::None, member)),
        Ok(("owner-value", OWNER))
    );
    assert_eq!(
        oracle(&c([true, true, true, true], 0, Allow::NotListed, member)),
        Err(MissingReason::NotAllowed)
    );
    let lend = Via::Shared {
        owner_credentials: true,
        declared: true,
        provided: true,
    };
    assert_eq!(
        oracle(&c([false, false, true, true], 0, Allow::None, lend)),
        Ok(("owner-value", OWNER))
    );
    let own = Via::Shared {
        owner_credentials: false,
        declared: true,
        provided: false,
    };
    assert_eq!(
        oracle(&c([true, true, true, true], 0, Allow::None, own)),
        Err(MissingReason::MustBeProvided)
    );
}

fn arb_case() -> impl Strategy<Value = Case> {
    let present = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(workflow, workspace, clicker, owner)| Present {
            workflow,
            workspace,
            clicker,
            owner,
        },
    );
    let allow = prop_oneof![
        Just(Allow::None),
        Just(Allow::Listed),
        Just(Allow::NotListed)
    ];
    let via = prop_oneof![
        Just(Via::Member),
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(owner_credentials, declared, provided)| {
                Via::Shared {
                    owner_credentials,
                    declared,
                    provided,
                }
            }
        ),
    ];
    (present, 0..5usize, allow, via).prop_map(|(present, trigger, allow, via)| Case {
        present,
        trigger,
        allow,
        via,
    })
}

/// Keys spread over the four scopes at random; the agent rule applied key by key.
fn agent_oracle(
    stored: &[(usize, usize)],
    allowlisted: &[bool],
    trigger: usize,
) -> Vec<(String, String)> {
    let fallback = if trigger == 0 { 2 } else { 3 };
    let mut out = Vec::new();
    for (i, listed) in allowlisted.iter().enumerate() {
        let name = format!("K{i}");
        let holds = |scope: usize| stored.contains(&(i, scope));
        let found = [0, 1, fallback].into_iter().find(|s| holds(*s));
        match found {
            Some(s) if s < 2 || *listed => out.push((name.clone(), format!("{name}-in-{s}"))),
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_cases_match_the_oracle(case in arb_case()) {
        check(&case);
    }

    #[test]
    fn all_available_is_resolution_key_by_key_under_the_agent_rule(
        stored in proptest::collection::btree_set((0..5usize, 0..4usize), 0..12),
        allowlisted in proptest::collection::vec(any::<bool>(), 5),
        trigger in 0..4usize,
    ) {
        let world = World::new();
        let scopes = [workflow_scope(), workspace_scope(), personal(CLICKER), personal(OWNER)];
        for (i, s) in &stored {
            world.put(&scopes[*s], &format!("K{i}"), &format!("K{i}-in-{s}"));
        }
        let listed: Vec<String> = (0..5).filter(|i| allowlisted[*i]).map(|i| format!("K{i}")).collect();
        let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
        let trig = if trigger == 0 { Trigger::Manual { user: user(CLICKER) } } else { Trigger::Schedule };
        let with_list = RunContext::automated(ws(), wf(), user(OWNER), trig.clone())
            .with_policy(policy(Some(&listed), false, &[]));
        let got: Vec<(String, String)> = block_on(world.resolver.step(&with_list).all_available())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.expose_secret().to_owned()))
            .collect();
        let want: Vec<(String, String)> = agent_oracle(&stored.iter().copied().collect::<Vec<_>>(), &allowlisted, trigger)
            .into_iter()
            .filter(|(k, _)| listed.contains(&k.as_str()))
            .collect();
        prop_assert_eq!(got, want);
        // No allowlist: workflow and workspace values only.
        let open = RunContext::automated(ws(), wf(), user(OWNER), trig).with_policy(WorkflowPolicy::default());
        let got: Vec<String> = block_on(world.resolver.step(&open).all_available())
            .unwrap().into_iter().map(|(_, v)| v.expose_secret().to_owned()).collect();
        let want: Vec<String> = agent_oracle(&stored.iter().copied().collect::<Vec<_>>(), &[false; 5], trigger)
            .into_iter().map(|(_, v)| v).collect();
        prop_assert_eq!(got, want);
    }
}

/// What a shared run's agent gets, worked out from the rule: by default the runner's
/// own values only; with the owner's consent the lent values only (personal ones only
/// for allowlisted keys); never the two together. A key the step already holds from
/// the other side is left out.
#[allow(clippy::too_many_arguments)]
fn shared_agent_oracle(
    stored: &[(usize, usize)],
    declared: &[bool],
    runner: &[bool],
    allow: &Option<Vec<bool>>,
    consent: bool,
    taken: &[bool],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..5 {
        let name = format!("K{i}");
        let allowed = allow.as_ref().is_none_or(|a| a[i]);
        let listed = allow.as_ref().is_some_and(|a| a[i]);
        if !allowed {
            continue;
        }
        let holds = |scope: usize| stored.contains(&(i, scope));
        // The owner's value a named use would get: workflow, workspace, owner's personal.
        let lent = if declared[i] {
            [0, 1, 2].into_iter().find(|s| holds(*s))
        } else {
            None
        };
        // What a code step that took the key first holds: lent, else the runner's.
        let held_lent = taken[i] && lent.is_some();
        let held_runner = taken[i] && lent.is_none() && runner[i];
        if consent {
            if held_runner {
                continue;
            }
            if let Some(s) = lent
                && (s < 2 || listed)
            {
                out.push((name, format!("K{i}-in-{s}")));
            }
        } else if !held_lent && runner[i] {
            out.push((name.clone(), format!("runner-{name}")));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_shared_runs_agent_gets_one_side_only(
        stored in proptest::collection::btree_set((0..5usize, 0..3usize), 0..10),
        declared in proptest::collection::vec(any::<bool>(), 5),
        runner in proptest::collection::vec(any::<bool>(), 5),
        allow in proptest::option::of(proptest::collection::vec(any::<bool>(), 5)),
        consent in any::<bool>(),
        taken in proptest::collection::vec(any::<bool>(), 5),
    ) {
        let world = World::new();
        let scopes = [workflow_scope(), workspace_scope(), personal(OWNER)];
        for (i, s) in &stored {
            world.put(&scopes[*s], &format!("K{i}"), &format!("K{i}-in-{s}"));
        }
        let names: Vec<String> = (0..5).map(|i| format!("K{i}")).collect();
        let pick = |flags: &[bool]| -> Vec<&str> {
            names.iter().zip(flags).filter(|(_, f)| **f).map(|(n, _)| n.as_str()).collect()
        };
        let declared_keys = pick(&declared);
        let listed = allow.as_ref().map(|a| pick(a));
        let runner_values: Vec<(String, String)> = pick(&runner)
            .into_iter()
            .map(|n| (n.to_owned(), format!("runner-{n}")))
            .collect();
        let runner_pairs: Vec<(&str, &str)> =
            runner_values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut policy = policy(listed.as_deref(), true, &declared_keys);
        policy.sharing = policy.sharing.with_owner_credentials_for_agents(consent);
        let ctx = RunContext::manual(ws(), wf(), user(OWNER), user("stranger"))
            .with_policy(policy)
            .shared_link(provided(&runner_pairs));
        let step = world.resolver.step(&ctx);
        for name in pick(&taken) {
            let _ = block_on(step.credential(name));
        }
        let got: Vec<(String, String)> = block_on(step.all_available())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.expose_secret().to_owned()))
            .collect();
        let want = shared_agent_oracle(
            &stored.iter().copied().collect::<Vec<_>>(),
            &declared,
            &runner,
            &allow,
            consent,
            &taken,
        );
        prop_assert_eq!(&got, &want);
        // Never both sides at once.
        let lent = got.iter().any(|(_, v)| v.contains("-in-"));
        let own = got.iter().any(|(_, v)| v.starts_with("runner-"));
        prop_assert!(!(lent && own), "{:?}", got);
    }
}
