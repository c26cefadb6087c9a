//! Templates: `{{KEY}}` references, rendered in one pass.
//!
//! # Syntax
//!
//! A [`Template`](crate::Template) is text with references such as
//! `Bearer {{API_KEY}}`. Spaces and tabs inside the braces are ignored
//! (`{{ API_KEY }}`); `\{{` writes a literal `{{`. A template holds names, never
//! values, and is not secret.
//!
//! - [`Template::parse`](crate::Template::parse) is strict: every `{{...}}` must name
//!   a valid key, else `template_syntax` with the byte offset of its `{{` (unclosed,
//!   empty, or not a key name).
//! - [`Template::parse_lenient`](crate::Template::parse_lenient) is for hosts with
//!   variables of their own: a `{{...}}` whose content is a valid key name is
//!   **always** a secret reference; anything else is a host variable; an unclosed
//!   `{{` stays text. A host variable can therefore never shadow or name a secret.
//!
//! [`Template::references`](crate::Template::references) lists the keys in order of
//! first appearance, each once: what
//! [`WorkflowRequirements::from_templates`](crate::WorkflowRequirements::from_templates)
//! collects.
//!
//! # Costs
//!
//! Parsing a template is one pass over its text: time and memory grow linearly
//! with its length, however many distinct references it holds. Rendering resolves
//! each distinct reference once and builds an output of at most 64 KiB.
//!
//! # One pass
//!
//! [`Step::render`](crate::Step::render) and
//! [`Step::render_with`](crate::Step::render_with) substitute every reference in one
//! pass over the parsed template. **Substituted text is never scanned again**: a
//! value, or a host value from a runner, a webhook or a model, that contains
//! `{{OTHER_KEY}}` is copied as written and names nothing. Rendering the output of one
//! render again would let injected text name any secret the run may read; a host with
//! variables of its own renders both kinds together with `render_with` instead of
//! chaining two renderers.
//!
//! In `render_with`, a host variable the policy's
//! [`constants`](crate::WorkflowPolicy::constants) name renders the workflow
//! definition's value, and the callback is never asked for it; the callback is asked
//! for every other host variable by name, and `None` leaves the variable as written.
//! What the callback supplies is run data, which a shared run treats under the
//! [no-mixing rule](super::sharing#no-mixing-in-one-template); a constant never counts.
//!
//! # The result
//!
//! The output is a [`SecretValue`](crate::SecretValue), built in one buffer sized
//! once and zeroized on drop; a result over 64 KiB is `value_too_large`, refused
//! from the pieces' lengths before any output is built (a reference repeated
//! many times multiplies its value, so the output is never allocated first). Each secret
//! reference is resolved, held and registered for masking as
//! [`credential`](crate::Step::credential) would; host values are not registered with
//! any redactor.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use workflow_secrets::{
//!     Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey,
//!     SecretValue, Secrets, Template, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
//! };
//!
//! # fn main() -> Result<(), Error> { pollster::block_on(async {
//! # let vault = Vault::new(LocalKeyring::generate());
//! # let store = Arc::new(MemoryStore::new());
//! # let acme = WorkspaceId::new("acme")?;
//! # let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
//! # let secrets = Secrets::new(vault.clone(), store.clone());
//! # for (k, v) in [("TOKEN", "tok-1234"), ("ADMIN_TOKEN", "root-5678")] {
//! #     secrets.create(&ada, &Scope::workspace(acme.clone()), &SecretKey::new(k)?, SecretValue::new(v)?).await?;
//! # }
//! let resolver = Resolver::new(vault, store);
//! let ctx = RunContext::manual(acme, WorkflowId::new("wf")?, ada.user.clone(), ada.user.clone());
//! let step = resolver.step(&ctx);
//!
//! // A webhook payload tries to name another secret; it is copied, not rendered.
//! let payload = "{{ADMIN_TOKEN}}".to_owned();
//! let template = Template::parse_lenient("msg={{webhook.body}} auth={{TOKEN}}");
//! let out = step
//!     .render_with(&template, &|name| (name == "webhook.body").then(|| payload.clone()))
//!     .await?;
//! assert_eq!(out.expose_secret(), "msg={{ADMIN_TOKEN}} auth=tok-1234");
//! # Ok(()) }) }
//! ```
