//! `Redacted`: serialization of any `T: Serialize` with its strings redacted.
//!
//! [`Redacted`] wraps the caller's value; its `Serialize` impl hands the value a
//! [`RedactingSerializer`] that forwards every call to the real serializer, passing
//! each string, character, byte string and map key through the redactor first, and
//! wrapping every nested value (sequence elements, map keys and values, struct
//! fields, variant payloads) the same way. Struct and variant *names* are `'static`
//! identifiers from code, not data, and pass through unchanged.

use std::fmt;

use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

use super::redactor::Redactor;
use super::set::Snapshot;

/// A value that serializes with every string, character, byte string and map key
/// redacted; made by [`Redactor::serialize`].
///
/// A step's JSON output that contains a secret is redacted, not dropped. Each string
/// is redacted on its own, as a whole text (so a partial secret at either end of a
/// string is masked). A character that needs masking becomes a string.
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
        // One snapshot for the whole value: one set, and no lock per string.
        let snapshot = self.redactor.live.snapshot();
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
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
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
