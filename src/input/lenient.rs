//! JSON values read as the readers of JSON formats take them, without a `serde_json::Value`
//! tree (about 20 times an object-heavy file's size): a field of the wrong type is absent, not
//! an error, as `value.get(…).and_then(Value::as_str)` had it, and what is not read is skipped
//! (still checked for syntax, so a broken file gives serde_json's message and position).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One JSON value, kept only when it is a string or a number.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Scalar {
    /// A string.
    Str(String),
    /// A non-negative integer (`Value::as_u64` holds).
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// A number with a fraction or an exponent.
    F64(f64),
    /// `null`.
    Null,
    /// Anything else: a boolean, an array, an object.
    #[default]
    Other,
}

impl Scalar {
    /// `Value::as_str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `Value::as_str`, taken.
    pub fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `Value::as_u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Scalar::U64(n) => Some(n),
            _ => None,
        }
    }

    /// `Value::as_i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Scalar::U64(n) => i64::try_from(n).ok(),
            Scalar::I64(n) => Some(n),
            _ => None,
        }
    }

    /// `Value::as_f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Scalar::U64(n) => Some(n as f64),
            Scalar::I64(n) => Some(n as f64),
            Scalar::F64(n) => Some(n),
            _ => None,
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(if v >= 0 {
            Scalar::U64(v as u64)
        } else {
            Scalar::I64(v)
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// The fields of a JSON object, read by [`ObjectVisitor`]: `field` reads the value of `key`
/// that it wants with `map.next_value…` and skips the others with [`skip`].
pub trait Fields<'de> {
    /// Reads (or skips) the value of `key`.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

/// Reads an object into its [`Fields`]; any other value is skipped and leaves them as they
/// were (as `Value::get` on it finds nothing).
pub struct ObjectVisitor<T>(pub T);

/// The elements of a JSON array, read by [`ArrayVisitor`]: `element` reads the next one (with
/// `seq.next_element…`) and says false at the end.
pub trait Elements<'de> {
    /// Reads the next element; false at the end.
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error>;
}

/// Reads an array into its [`Elements`], `Some`; any other value is skipped, `None`.
pub struct ArrayVisitor<T>(pub T);

/// The visits of values neither visitor reads: skipped, the start value kept.
macro_rules! skip_scalars {
    ($value:ty, $start:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<$value, E> {
            Ok($start(self))
        }
        fn visit_u64<E>(self, _: u64) -> Result<$value, E> {
            Ok($start(self))
        }
        fn visit_i64<E>(self, _: i64) -> Result<$value, E> {
            Ok($start(self))
        }
        fn visit_f64<E>(self, _: f64) -> Result<$value, E> {
            Ok($start(self))
        }
        fn visit_str<E>(self, _: &str) -> Result<$value, E> {
            Ok($start(self))
        }
        fn visit_unit<E>(self) -> Result<$value, E> {
            Ok($start(self))
        }
        fn visit_none<E>(self) -> Result<$value, E> {
            Ok($start(self))
        }
    };
}

impl<'de, T: Fields<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    skip_scalars!(T, |s: Self| s.0);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        drain_seq(&mut seq)?;
        Ok(self.0)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut fields = self.0;
        while let Some(key) = map.next_key::<String>()? {
            fields.field(&key, &mut map)?;
        }
        Ok(fields)
    }
}

impl<'de, T: Fields<'de>> DeserializeSeed<'de> for ObjectVisitor<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Elements<'de>> Visitor<'de> for ArrayVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    skip_scalars!(Option<T>, |_| None);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        let mut elements = self.0;
        while elements.element(&mut seq)? {}
        Ok(Some(elements))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de, T: Elements<'de>> DeserializeSeed<'de> for ArrayVisitor<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
}

/// Skips one value of `map`.
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// Skips the rest of an array.
pub fn drain_seq<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A reader that counts the bytes read through it: a streamed input's length, for the
/// budgets that the whole-buffer readers size from it.
pub struct Counted<R> {
    /// What is read.
    pub inner: R,
    /// How many bytes came through.
    pub count: u64,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Reads one JSON document from the whole text `data` with `read`: the in-memory twin of
/// [`read_streamed`], with the same check that nothing but whitespace follows the document.
pub fn read_whole<'a, T>(
    data: &'a [u8],
    read: impl FnOnce(&mut SliceJson<'a>) -> serde_json::Result<T>,
) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_slice(data);
    read(&mut de).and_then(|doc| de.end().map(|()| doc))
}

/// The deserializer [`read_whole`] hands its reader.
pub type SliceJson<'a> = serde_json::Deserializer<serde_json::de::SliceRead<'a>>;

/// Reads one JSON document from `reader` with `read`, as it comes (buffered, never the whole
/// text), and the number of bytes it took: the streamed readers' common start.
pub fn read_streamed<R: std::io::Read, T>(
    reader: R,
    read: impl FnOnce(&mut StreamedJson<'_, R>) -> serde_json::Result<T>,
) -> (serde_json::Result<T>, usize) {
    let mut counted = Counted {
        inner: std::io::BufReader::with_capacity(1 << 16, reader),
        count: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(&mut counted);
    let doc = read(&mut de).and_then(|doc| de.end().map(|()| doc));
    drop(de);
    (doc, usize::try_from(counted.count).unwrap_or(usize::MAX))
}

/// The deserializer [`read_streamed`] hands its reader.
pub type StreamedJson<'a, R> =
    serde_json::Deserializer<serde_json::de::IoRead<&'a mut Counted<std::io::BufReader<R>>>>;

/// The error of a JSON document that did not read: a read error of the input (its size limit,
/// a broken gzip stream) keeps its own message; anything else names the format (`what`).
pub fn json_error(what: &str, e: serde_json::Error) -> crate::error::Error {
    match e.io_error_kind() {
        Some(_) => super::decode::error(std::io::Error::from(e)),
        None => crate::error::Error::invalid(format!("{what} JSON: {e}")),
    }
}
