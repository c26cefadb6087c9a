//! `Redacted`: serialization of any `T: Serialize` with its strings redacted.
//!
//! [`Redacted`] wraps the caller's value; its `Serialize` impl hands the value a
//! [`RedactingSerializer`] that forwards every call to the real serializer, passing
//! each string, character, byte string and map key through the redactor first, and
//! wrapping every nested value (sequence elements, map keys and values, struct
//! fields, variant payloads) the same way. Struct and variant *names* are `'static`
//! identifiers from code, not data, and pass through unchanged.
//!
//! Numbers are checked too: a secret of digits (a card number, a PIN) is as secret
//! written as a JSON number as in a string. Each integer and float is formatted on the
//! stack (no heap copy of its digits to free unwiped) and its text redacted; a number
//! whose text holds a secret is emitted as that text masked, a string, since a number
//! cannot hold a mask. Booleans pass through: `true` and `false` hide nothing.

use std::fmt::{self, Write as _};

use serde::ser::{
    Error as _, Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant,
    SerializeTuple, SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

use super::redactor::Redactor;
use super::set::Snapshot;
use zeroize::{Zeroize, Zeroizing};

/// A value that serializes with every string, character, byte string and map key
/// redacted; made by [`Redactor::serialize`].
///
/// A step's JSON output that contains a secret is redacted, not dropped. Each string
/// is redacted on its own, as a whole text (so a partial secret at either end of a
/// string is masked). A character that needs masking becomes a string.
///
/// Numbers too: every integer (of any width) and float, as a value or as a map key,
/// is redacted as its decimal text (for a float, both its positional text, `0.0001`,
/// and its shortest text, `1e-4`). A number whose text holds a secret is emitted as
/// that text masked, **a string** (`-***` for `-4111111111111111`): a number cannot
/// hold a mask, and a consumer that wanted a number gets a type error rather than the
/// secret. A number that holds none stays a number. Booleans pass through.
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
/// use workflow_secrets::{Redactor, SecretValue};
///
/// let redactor = Redactor::new([&SecretValue::new("tok_5f3e2a1b9c")?]);
/// let mut output = BTreeMap::new();
/// output.insert("header", "Bearer tok_5f3e2a1b9c");
/// output.insert("tok_5f3e2a1b9c", "a key can leak too");
/// let json = serde_json::to_string(&redactor.serialize(&output))?;
/// assert_eq!(json, r#"{"header":"Bearer ***","***":"a key can leak too"}"#);
///
/// // A secret of digits, written as a number: masked, as a string.
/// let pin = Redactor::new([&SecretValue::new("4111111111111111")?]);
/// let card = serde_json::json!({ "card": 4111111111111111u64, "amount": 12 });
/// let json = serde_json::to_string(&pin.serialize(&card))?;
/// assert_eq!(json, r#"{"amount":12,"card":"***"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Redacted<'a, T: ?Sized> {
    redactor: &'a Redactor,
    value: &'a T,
}

impl<'a, T: ?Sized> Redacted<'a, T> {
    pub(crate) fn new(redactor: &'a Redactor, value: &'a T) -> Redacted<'a, T> {
        Redacted { redactor, value }
    }
}

impl<T: ?Sized> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redacted").finish_non_exhaustive()
    }
}

impl<T: Serialize + ?Sized> Serialize for Redacted<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // One snapshot for the whole value: one set, and one load. Held for the
        // whole value, which may be long: an `Arc`, not a guard.
        let snapshot = self.redactor.live.snapshot_arc();
        self.value.serialize(RedactingSerializer {
            inner: serializer,
            redactor: &snapshot,
        })
    }
}

/// A nested value, serialized through a [`RedactingSerializer`].
struct Wrap<'a, T: ?Sized> {
    redactor: &'a Snapshot,
    value: &'a T,
}

impl<T: Serialize + ?Sized> Serialize for Wrap<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(RedactingSerializer {
            inner: serializer,
            redactor: self.redactor,
        })
    }
}

/// The serializer adapter: forwards to `inner`, redacting text on the way.
struct RedactingSerializer<'a, S> {
    inner: S,
    redactor: &'a Snapshot,
}

/// A compound serializer (sequence, map, struct...) that wraps each element.
struct Compound<'a, C> {
    inner: C,
    redactor: &'a Snapshot,
}

impl<'a, C> Compound<'a, C> {
    fn wrap<'v, T: ?Sized>(&self, value: &'v T) -> Wrap<'v, T>
    where
        'a: 'v,
    {
        Wrap {
            redactor: self.redactor,
            value,
        }
    }
}

/// Integers: redacted as their decimal text; see [`RedactingSerializer::masked_number`].
macro_rules! integers {
    ($($method:ident: $ty:ty,)*) => {
        $(
            fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
                match self.masked_number(format_args!("{v}"))? {
                    Some(masked) => self.inner.serialize_str(&masked),
                    None => self.inner.$method(v),
                }
            }
        )*
    };
}

/// Room for any number's text: the longest, a subnormal `f64` written positionally,
/// is 327 bytes (`-0.` and 324 digits).
const NUMBER_MAX: usize = 400;

/// A number's text, formatted on the stack and wiped on drop: the digits may be a
/// secret, and a heap `String` would be freed holding them.
struct NumberText {
    buf: [u8; NUMBER_MAX],
    len: usize,
}

impl fmt::Write for NumberText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            return Err(fmt::Error);
        };
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Drop for NumberText {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

/// Counts the bytes a `Display` writes.
struct Count(usize);

impl fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

impl<S: Serializer> RedactingSerializer<'_, S> {
    /// The number's text masked, or `None` when it holds no secret. A text that does
    /// not fit (no number's does) is an error, not a pass: masking fails closed.
    fn masked_number(&self, number: fmt::Arguments<'_>) -> Result<Option<String>, S::Error> {
        let mut text = NumberText {
            buf: [0; NUMBER_MAX],
            len: 0,
        };
        if text.write_fmt(number).is_err() {
            return Err(S::Error::custom("a number too long to check for secrets"));
        }
        // Only ASCII was written (a number's text), so this never fails; were it to,
        // the number is refused rather than passed unchecked.
        let Ok(text_str) = std::str::from_utf8(&text.buf[..text.len]) else {
            return Err(S::Error::custom("a number with non-ASCII text"));
        };
        Ok(self.redactor.redact_str(text_str))
    }
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
                self.inner.$method($($arg),*)
            }
        )*
    };
}

impl<'a, S: Serializer> Serializer for RedactingSerializer<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'a, S::SerializeSeq>;
    type SerializeTuple = Compound<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'a, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'a, S::SerializeMap>;
    type SerializeStruct = Compound<'a, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'a, S::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    integers! {
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
    }

    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        // `{}` is positional (`0.0001`), `{:?}` the shortest form (`1e-4`), as most
        // serializers write it: a secret in either is masked.
        match self.masked_number(format_args!("{v}"))? {
            Some(masked) => self.inner.serialize_str(&masked),
            None => match self.masked_number(format_args!("{v:?}"))? {
                Some(masked) => self.inner.serialize_str(&masked),
                None => self.inner.serialize_f32(v),
            },
        }
    }

    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        match self.masked_number(format_args!("{v}"))? {
            Some(masked) => self.inner.serialize_str(&masked),
            None => match self.masked_number(format_args!("{v:?}"))? {
                Some(masked) => self.inner.serialize_str(&masked),
                None => self.inner.serialize_f64(v),
            },
        }
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        // serde's default formats into a growing `String`, whose outgrown blocks would
        // be freed holding the start of the text: measure first, then format once
        // into a buffer of the exact size, wiped on drop.
        let mut len = Count(0);
        if write!(len, "{value}").is_err() {
            return Err(S::Error::custom("a Display implementation failed"));
        }
        let mut text = Zeroizing::new(String::with_capacity(len.0));
        if write!(text, "{value}").is_err() {
            return Err(S::Error::custom("a Display implementation failed"));
        }
        self.serialize_str(&text)
    }

    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 4];
        let text: &str = v.encode_utf8(&mut buf);
        match self.redactor.redact_str(text) {
            None => self.inner.serialize_char(v),
            Some(masked) => self.inner.serialize_str(&masked),
        }
    }

    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        match self.redactor.redact_str(v) {
            None => self.inner.serialize_str(v),
            Some(masked) => self.inner.serialize_str(&masked),
        }
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        match self.redactor.redact(v) {
            None => self.inner.serialize_bytes(v),
            Some(masked) => self.inner.serialize_bytes(&masked),
        }
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let redactor = self.redactor;
        self.inner.serialize_some(&Wrap { redactor, value })
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let redactor = self.redactor;
        self.inner
            .serialize_newtype_struct(name, &Wrap { redactor, value })
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let redactor = self.redactor;
        self.inner
            .serialize_newtype_variant(name, index, variant, &Wrap { redactor, value })
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_seq(len)?,
            redactor: self.redactor,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple(len)?,
            redactor: self.redactor,
        })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple_struct(name, len)?,
            redactor: self.redactor,
        })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?,
            redactor: self.redactor,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_map(len)?,
            redactor: self.redactor,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_struct(name, len)?,
            redactor: self.redactor,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_struct_variant(name, index, variant, len)?,
            redactor: self.redactor,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! compound {
    ($trait:ident, $method:ident $(, $key:ident: $kty:ty)?) => {
        impl<C: $trait> $trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($key: $kty,)?
                value: &T,
            ) -> Result<(), C::Error> {
                let wrapped = self.wrap(value);
                self.inner.$method($($key,)? &wrapped)
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    };
}

compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);
compound!(SerializeStruct, serialize_field, key: &'static str);
compound!(SerializeStructVariant, serialize_field, key: &'static str);

impl<C: SerializeMap> SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        let wrapped = self.wrap(key);
        self.inner.serialize_key(&wrapped)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let wrapped = self.wrap(value);
        self.inner.serialize_value(&wrapped)
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), C::Error> {
        let (k, v) = (self.wrap(key), self.wrap(value));
        self.inner.serialize_entry(&k, &v)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}
