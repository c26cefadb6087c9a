#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! `Redactor::serialize` masks every scalar whose text form holds a secret: integers of
//! every width, floats, characters, strings and byte strings, as values and as map
//! keys, at every depth. A number that needs masking becomes the masked string (a
//! number cannot hold a mask); a clean number stays a number. Booleans pass through.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use workflow_secrets::{Redactor, SecretValue};

/// A map of one entry, whatever the key's type (serde_json refuses no scalar key, but
/// `BTreeMap` cannot hold a float).
struct Entry<K>(K);

impl<K: Serialize> Serialize for Entry<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(&self.0, &1u8)?;
        map.end()
    }
}

#[derive(Serialize)]
struct Fields<T> {
    field: T,
}

#[derive(Serialize)]
struct Newtype<T>(T);

#[derive(Serialize)]
enum Variant<T> {
    Newtype(T),
    Tuple(u8, T),
    Struct { field: T },
}

/// Serializes `value` in each position; returns (position, JSON) pairs.
fn positions<T: Serialize + Clone>(r: &Redactor, value: T) -> Vec<(&'static str, String)> {
    let json = |v: &dyn erased::Ser| v.json(r);
    vec![
        ("value", json(&value.clone())),
        ("map key", json(&Entry(value.clone()))),
        ("map value", {
            let mut m = BTreeMap::new();
            m.insert("k", value.clone());
            json(&m)
        }),
        ("seq element", json(&vec![value.clone(), value.clone()])),
        ("tuple", json(&(0u8, value.clone()))),
        ("option", json(&Some(value.clone()))),
        (
            "struct field",
            json(&Fields {
                field: value.clone(),
            }),
        ),
        ("newtype struct", json(&Newtype(value.clone()))),
        ("newtype variant", json(&Variant::Newtype(value.clone()))),
        ("tuple variant", json(&Variant::Tuple(0, value.clone()))),
        (
            "struct variant",
            json(&Variant::Struct {
                field: value.clone(),
            }),
        ),
        ("to_value", {
            let v = serde_json::to_value(r.serialize(&Entry(value.clone()))).unwrap();
            let w = serde_json::to_value(r.serialize(&vec![value])).unwrap();
            format!("{v} {w}")
        }),
    ]
}

/// Object-safe serialization through the redactor, so `positions` can hold a list.
mod erased {
    use super::*;
    pub(super) trait Ser {
        fn json(&self, r: &Redactor) -> String;
    }
    impl<T: Serialize> Ser for T {
        fn json(&self, r: &Redactor) -> String {
            serde_json::to_string(&r.serialize(self)).unwrap()
        }
    }
}

fn redactor(secret: &str) -> Redactor {
    Redactor::builder()
        .min_len(1)
        .secret(&SecretValue::new(secret).unwrap())
        .build()
}

/// One scalar type: a value whose text form holds `secret`, and the JSON wanted for it
/// at the top level.
struct Case {
    name: &'static str,
    secret: &'static str,
    check: fn(&Redactor) -> Vec<(&'static str, String)>,
    want_value: &'static str,
}

macro_rules! case {
    ($name:literal, $secret:literal, $value:expr, $want:literal) => {
        Case {
            name: $name,
            secret: $secret,
            check: |r| positions(r, $value),
            want_value: $want,
        }
    };
}

const CASES: &[Case] = &[
    case!("u8", "200", 200u8, r#""***""#),
    case!("i8", "123", -123i8, r#""-***""#),
    case!("u16", "4242", 4242u16, r#""***""#),
    case!("i16", "4242", -4242i16, r#""-***""#),
    case!("u32 pin inside", "0001", 4_000_000_123u32, r#""4000***23""#),
    case!("i32", "2000000123", -2_000_000_123i32, r#""-***""#),
    case!(
        "u64 card",
        "4111111111111111",
        4_111_111_111_111_111u64,
        r#""***""#
    ),
    case!(
        "i64 card",
        "4111111111111111",
        -4_111_111_111_111_111i64,
        r#""-***""#
    ),
    case!(
        "u128 inside",
        "4111111111111111",
        41_111_111_111_111_110_000_000_000u128,
        r#""***0000000000""#
    ),
    case!(
        "i128",
        "170141183460469231731687303715884105727",
        i128::MAX,
        r#""***""#
    ),
    case!("f32 whole", "4242", 4242.0f32, r#""***""#),
    case!("f32 fraction", "2718", 0.2718f32, r#""0.***""#),
    case!(
        "f64 card",
        "4111111111111111",
        4_111_111_111_111_111.0f64,
        r#""***""#
    ),
    case!("f64 pin in fraction", "1234", -98.1234f64, r#""-98.***""#),
    case!("f64 exponent form", "1e300", 1e300f64, r#""***""#),
    case!("char digit", "7", '7', r#""***""#),
    case!(
        "str of digits",
        "4111111111111111",
        "4111111111111111",
        r#""***""#
    ),
];

#[test]
fn every_scalar_holding_a_secret_is_masked_in_every_position() {
    let mut failures = Vec::new();
    for case in CASES {
        let r = redactor(case.secret);
        for (position, json) in (case.check)(&r) {
            if json.contains(case.secret) || !json.contains("***") {
                failures.push(format!("{} in {position}: {json}", case.name));
            }
            if position == "value" && json != case.want_value {
                failures.push(format!(
                    "{} as a value: {json}, want {}",
                    case.name, case.want_value
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn clean_scalars_keep_their_type() {
    let r = redactor("4111111111111111");
    let value =
        serde_json::json!({"n": 42, "neg": -7, "f": 1.5, "b": true, "big": 4111111111111110u64});
    assert_eq!(
        serde_json::to_string(&r.serialize(&value)).unwrap(),
        r#"{"b":true,"big":4111111111111110,"f":1.5,"n":42,"neg":-7}"#
    );
    assert_eq!(
        serde_json::to_string(&r.serialize(&Entry(42u64))).unwrap(),
        r#"{"42":1}"#
    );
}

#[test]
fn booleans_pass_through() {
    // A boolean's text is `true` or `false`: masking it would hide nothing and break
    // every boolean of the output, so booleans are left (documented in guide::masking).
    let r = redactor("true");
    assert_eq!(serde_json::to_string(&r.serialize(&true)).unwrap(), "true");
}

#[test]
fn the_issue_example() {
    let r = redactor("4111111111111111");
    let value = serde_json::json!({"card": 4111111111111111u64});
    assert_eq!(
        serde_json::to_string(&r.serialize(&value)).unwrap(),
        r#"{"card":"***"}"#
    );
}

fn digits_of(len: usize) -> impl Strategy<Value = (usize, usize)> {
    (0..len).prop_flat_map(move |start| (Just(start), (start + 1)..=len))
}

proptest! {
    #[test]
    fn a_number_never_shows_a_secret_of_its_digits(
        (text, (start, end)) in prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<i128>().prop_map(|n| n.to_string()),
        ].prop_flat_map(|t| { let d = digits_of(t.len()); (Just(t), d) }),
    ) {
        let secret = &text[start..end];
        prop_assume!(secret.len() >= 4);
        let r = redactor(secret);
        let n: i128 = text.parse().unwrap();
        for json in [
            serde_json::to_string(&r.serialize(&n)).unwrap(),
            serde_json::to_string(&r.serialize(&Entry(n))).unwrap(),
            serde_json::to_string(&r.serialize(&vec![n])).unwrap(),
            serde_json::to_string(&r.serialize(&(n as f64))).unwrap(),
        ] {
            prop_assert!(!json.contains(secret), "{} in {}", secret, json);
        }
    }

    #[test]
    fn a_float_never_shows_a_secret_of_its_text(x in any::<f64>(), pick in any::<prop::sample::Index>()) {
        prop_assume!(x.is_finite());
        let text = format!("{x}");
        let digits: Vec<usize> = (0..text.len()).collect();
        let start = *pick.get(&digits);
        let end = (start + 4).min(text.len());
        prop_assume!(end - start == 4);
        let secret = &text[start..end];
        let r = redactor(secret);
        for json in [
            serde_json::to_string(&r.serialize(&x)).unwrap(),
            serde_json::to_string(&r.serialize(&Entry(x))).unwrap(),
        ] {
            prop_assert!(!json.contains(secret), "{} in {}", secret, json);
        }
    }
}
