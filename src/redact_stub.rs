//! TEMPORARY stand-in until the redaction branch lands (deleted at merge).
#![allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    dead_code
)]

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use crate::{SecretKey, SecretValue};

#[derive(Clone, Debug, Default)]
pub struct RedactorBuilder {
    values: Vec<(Option<SecretKey>, SecretValue)>,
    labelled: bool,
}

impl RedactorBuilder {
    pub fn labelled(mut self, on: bool) -> Self {
        self.labelled = on;
        self
    }
    pub fn secret(mut self, v: &SecretValue) -> Self {
        self.values.push((None, v.clone()));
        self
    }
    pub fn build(self) -> Redactor {
        Redactor {
            set: Arc::new(Mutex::new(self.values)),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    set: Arc<Mutex<Vec<(Option<SecretKey>, SecretValue)>>>,
}

impl Redactor {
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }
    pub fn add(&self, key: Option<&SecretKey>, value: &SecretValue) {
        if let Ok(mut set) = self.set.lock() {
            set.push((key.cloned(), value.clone()));
        }
    }
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = text.to_owned();
        if let Ok(set) = self.set.lock() {
            for (_, v) in set.iter() {
                if !v.is_empty() {
                    out = out.replace(v.expose_secret(), "***");
                }
            }
        }
        Cow::Owned(out)
    }
}
