//! The subset of Python's `marshal` format that pstats files use (FORMATS.md §2.4).
//!
//! A pstats file is one `marshal.dump(dict)`: versions 2 to 6 share one grammar, a type byte
//! (bit `0x80` = FLAG_REF: register the object for later `r` references) then a payload. This
//! reader knows nothing about pstats; it only turns bytes into [`Value`]s. Everything is
//! bounded: lengths are checked against the bytes left before anything is allocated, nesting is
//! capped at [`MAX_DEPTH`], and every error names the byte offset and what was expected, so a
//! truncated or hostile file gives an error, never a panic or a huge allocation.
//!
//! Code objects (only in files written by `python -m profile`) have a layout that depends on
//! the writing interpreter, which the file does not record; the caller picks a [`CodeLayout`]
//! and retries with the next one when reading fails ([`Reader::saw_code`] says whether
//! retrying can help).

use std::sync::Arc;

use crate::error::{Error, Position, Result};

/// Deepest nesting of containers accepted. Real pstats files nest 4 levels (dict, value tuple,
/// callers dict, caller tuple), code objects two more per nested function; CPython's own
/// limit is 2000, which this recursive reader cannot afford: a level costs a few KB of stack
/// in debug builds, and 100 levels fit well within a 2 MB thread stack.
pub const MAX_DEPTH: usize = 100;

/// A decoded marshal object. Containers share their contents through `Arc` so that an `r`
/// reference costs a pointer copy, not a deep clone.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `N`.
    None,
    /// `T` / `F`.
    Bool(bool),
    /// `.`.
    Ellipsis,
    /// `S`.
    StopIteration,
    /// `i`, `I`, or an `l` long that fits in 64 bits.
    Int(i64),
    /// An `l` long too large for 64 bits, kept approximately (only its magnitude matters here).
    BigInt(f64),
    /// `g` or `f`.
    Float(f64),
    /// `y` or `x`: real and imaginary parts.
    Complex(f64, f64),
    /// `s`.
    Bytes(Arc<[u8]>),
    /// Any string kind (`u t a A z Z`); invalid UTF-8 (lone surrogates) is replaced.
    Str(Arc<str>),
    /// `(` or `)`.
    Tuple(Arc<[Value]>),
    /// `[`.
    List(Arc<[Value]>),
    /// `<` or `>`.
    Set(Arc<[Value]>),
    /// `{`, or `}` (a version 6 frozendict), in file order.
    Dict(Arc<[DictEntry]>),
    /// `:` start, stop, step.
    Slice(Arc<[Value; 3]>),
    /// `c`.
    Code(Arc<Code>),
}

/// One key/value pair of a dict, with the byte offset of its key for messages.
#[derive(Clone, Debug, PartialEq)]
pub struct DictEntry {
    /// The key.
    pub key: Value,
    /// The value.
    pub value: Value,
    /// Offset of the key's type byte.
    pub at: u64,
}

/// The parts of a code object a profile needs to name it; the rest is read and dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Code {
    /// `co_filename`.
    pub filename: Arc<str>,
    /// `co_name`.
    pub name: Arc<str>,
    /// `co_firstlineno`.
    pub firstlineno: i64,
}

/// How a code object is laid out; it changed with the writer's Python version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeLayout {
    /// 3.11 to 3.14: 5 ints, then code, consts, names, localsplusnames, localspluskinds,
    /// filename, name, qualname, firstlineno, linetable, exceptiontable.
    Py311,
    /// 3.8 to 3.10: 6 ints, then code, consts, names, varnames, freevars, cellvars, filename,
    /// name, firstlineno, lnotab.
    Py38,
    /// 3.7 and older 3.x: as 3.8 without posonlyargcount.
    Py37,
}

impl CodeLayout {
    /// The order to try layouts in: newest first, since most files come from recent Pythons.
    pub const ALL: [CodeLayout; 3] = [CodeLayout::Py311, CodeLayout::Py38, CodeLayout::Py37];
}

/// A cursor over marshal bytes with its reference table.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    refs: Vec<Option<Value>>,
    depth: usize,
    layout: CodeLayout,
    saw_code: bool,
}

/// Reads exactly one object filling all of `data` (a pstats file holds nothing else).
pub fn read_all(data: &[u8], layout: CodeLayout) -> Result<Value> {
    Reader::new(data, layout).read_whole()
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8], layout: CodeLayout) -> Self {
        Reader {
            data,
            pos: 0,
            refs: Vec::new(),
            depth: 0,
            layout,
            saw_code: false,
        }
    }

    /// True once a code object was met: only then can another [`CodeLayout`] change the result.
    pub fn saw_code(&self) -> bool {
        self.saw_code
    }

    /// Reads one object and checks that no bytes follow it.
    pub fn read_whole(&mut self) -> Result<Value> {
        let value = self.read_object()?;
        if self.pos != self.data.len() {
            return Err(self.error_here(format!(
                "expected the end of the data after the top-level object, found {} more bytes",
                self.data.len() - self.pos
            )));
        }
        Ok(value)
    }

    fn error_at(&self, at: usize, what: impl Into<String>) -> Error {
        Error::invalid(what).at(Position::Byte(at as u64))
    }

    fn error_here(&self, what: impl Into<String>) -> Error {
        self.error_at(self.pos, what)
    }

    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.left() {
            return Err(self.error_here(format!(
                "expected {n} bytes of {what}, but the data ends after {}",
                self.left()
            )));
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn i32(&mut self, what: &str) -> Result<i32> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self, what: &str) -> Result<i64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }

    fn f64(&mut self, what: &str) -> Result<f64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    /// A non-negative i32 length that fits in the bytes left when each item takes at least
    /// `min_item` bytes: checked before anything is allocated.
    fn length(&mut self, what: &str, min_item: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.i32(what)?;
        let n = usize::try_from(n)
            .map_err(|_| self.error_at(at, format!("expected a {what}, found negative {n}")))?;
        if n.saturating_mul(min_item) > self.left() {
            return Err(self.error_at(
                at,
                format!("{what} {n} is larger than the {} bytes left", self.left()),
            ));
        }
        Ok(n)
    }

    /// Reads one object (the public entry for nested reads).
    pub fn read_object(&mut self) -> Result<Value> {
        let at = self.pos;
        let byte = self.u8("a type byte")?;
        if self.depth >= MAX_DEPTH {
            return Err(too_deep(at));
        }
        self.depth += 1;
        let result = self.read_payload(at, byte);
        self.depth -= 1;
        result
    }

    fn read_payload(&mut self, at: usize, byte: u8) -> Result<Value> {
        let flagged = byte & 0x80 != 0;
        let code = byte & 0x7F;
        if let Some(v) = singleton(code) {
            // CPython never registers singletons, even when the flag is set.
            return Ok(v);
        }
        if code == b'r' {
            return self.read_ref(at);
        }
        if code == b'0' {
            return Err(self.error_at(at, "unexpected NULL (0) outside a dict"));
        }
        // Pre-order: a container's slot comes before its children's (FORMATS.md §2.4).
        let slot = flagged.then(|| {
            self.refs.push(None);
            self.refs.len() - 1
        });
        let value = self.read_typed(at, code)?;
        if let Some(slot) = slot {
            self.refs[slot] = Some(value.clone());
        }
        Ok(value)
    }

    #[inline(never)]
    fn read_ref(&mut self, at: usize) -> Result<Value> {
        let index = self.i32("a reference index")? as u32 as usize;
        match self.refs.get(index) {
            Some(Some(v)) => Ok(v.clone()),
            Some(None) => Err(self.error_at(
                at,
                format!("reference to object #{index}, which is still being read"),
            )),
            None => Err(self.error_at(
                at,
                format!(
                    "reference to object #{index}, but only {} objects were registered",
                    self.refs.len()
                ),
            )),
        }
    }

    /// Containers recurse, so their frame must stay small (debug builds give every match arm
    /// its own stack slots): scalars and errors live in separate, non-inlined functions.
    fn read_typed(&mut self, at: usize, code: u8) -> Result<Value> {
        match code {
            b'(' | b')' | b'[' | b'<' | b'>' => self.sequence(code),
            b'{' | b'}' => Ok(Value::Dict(self.dict()?)),
            b':' => self.slice(),
            b'c' => Ok(Value::Code(Arc::new(self.code()?))),
            _ => self.read_scalar(at, code),
        }
    }

    #[inline(never)]
    fn sequence(&mut self, code: u8) -> Result<Value> {
        let n = if code == b')' {
            usize::from(self.u8("a small tuple length")?)
        } else {
            self.length("length", 1)?
        };
        let items = self.items(n)?;
        Ok(match code {
            b'(' | b')' => Value::Tuple(items),
            b'[' => Value::List(items),
            _ => Value::Set(items),
        })
    }

    #[inline(never)]
    fn slice(&mut self) -> Result<Value> {
        let a = self.read_object()?;
        let b = self.read_object()?;
        let c = self.read_object()?;
        Ok(Value::Slice(Arc::new([a, b, c])))
    }

    #[inline(never)]
    fn read_scalar(&mut self, at: usize, code: u8) -> Result<Value> {
        Ok(match code {
            b'i' => Value::Int(i64::from(self.i32("an int")?)),
            b'I' => Value::Int(self.i64("a 64-bit int")?),
            b'l' => self.read_long()?,
            b'g' => Value::Float(self.f64("a float")?),
            b'f' => Value::Float(self.text_float()?),
            b'y' => Value::Complex(self.f64("a complex")?, self.f64("a complex")?),
            b'x' => Value::Complex(self.text_float()?, self.text_float()?),
            b's' => {
                let n = self.length("bytes length", 1)?;
                Value::Bytes(Arc::from(self.take(n, "bytes")?))
            }
            b'u' | b't' | b'a' | b'A' => {
                let n = self.length("string length", 1)?;
                self.string(n)?
            }
            b'z' | b'Z' => {
                let n = usize::from(self.u8("a short string length")?);
                self.string(n)?
            }
            other => return Err(self.unknown_type(at, other)),
        })
    }

    #[cold]
    #[inline(never)]
    fn unknown_type(&self, at: usize, byte: u8) -> Error {
        if byte == b'R' {
            // Python 2's TYPE_STRINGREF (a back-reference to an interned string): Python 3's
            // marshal has no such code, so this data was written by Python 2.
            return self.error_at(
                at,
                "marshal type 'R' (0x52), Python 2's TYPE_STRINGREF: this was written by Python \
                 2, whose marshal format Python 3 cannot read either; read it with Python 2's \
                 pstats, or profile again under Python 3"
                    .to_string(),
            );
        }
        self.error_at(
            at,
            format!(
                "unknown marshal type byte 0x{:02x} ({:?}); expected a type code such as \
                 '{{' '(' ')' 'i' 'g' 'u' 'r' or 'c'",
                byte, byte as char
            ),
        )
    }

    fn string(&mut self, n: usize) -> Result<Value> {
        let bytes = self.take(n, "string")?;
        Ok(Value::Str(Arc::from(
            String::from_utf8_lossy(bytes).as_ref(),
        )))
    }

    fn text_float(&mut self) -> Result<f64> {
        let at = self.pos;
        let n = usize::from(self.u8("a text float length")?);
        let text = self.take(n, "text float")?;
        std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or_else(|| self.error_at(at, "expected a float written as text"))
    }

    /// `l`: i32 digit count (its sign is the number's), then 15-bit digits, least significant
    /// first.
    fn read_long(&mut self) -> Result<Value> {
        let at = self.pos;
        let n = self.i32("a long's digit count")?;
        let count = n.unsigned_abs() as usize;
        if count.saturating_mul(2) > self.left() {
            return Err(self.error_at(
                at,
                format!(
                    "long of {count} digits is larger than the {} bytes left",
                    self.left()
                ),
            ));
        }
        // Exact while it fits in 120 bits (8 digits), approximate beyond: pstats only needs
        // call counts and times, and a long that large is nonsense, to be reported, not a panic.
        let mut exact: i128 = 0;
        let mut approx = 0f64;
        let mut scale = 1f64;
        for i in 0..count {
            let dat = self.pos;
            let b = self.take(2, "a long digit")?;
            let digit = u16::from_le_bytes([b[0], b[1]]);
            if digit >= 1 << 15 {
                return Err(self.error_at(dat, "long digit out of range (expected < 32768)"));
            }
            if digit != 0 {
                approx += f64::from(digit) * scale;
            }
            scale *= 32768.0;
            if i < 8 {
                exact |= i128::from(digit) << (15 * i);
            }
        }
        let exact = (count <= 8).then_some(exact);
        let sign = if n < 0 { -1 } else { 1 };
        Ok(match exact.and_then(|e| i64::try_from(e * sign).ok()) {
            Some(v) => Value::Int(v),
            None => Value::BigInt(approx * sign as f64),
        })
    }

    fn items(&mut self, n: usize) -> Result<Arc<[Value]>> {
        let mut items = Vec::with_capacity(n.min(self.left()));
        for _ in 0..n {
            if self.peek_null() {
                return Err(self.error_here("unexpected NULL (0) inside a tuple, list or set"));
            }
            items.push(self.read_object()?);
        }
        Ok(Arc::from(items))
    }

    fn peek_null(&self) -> bool {
        self.data.get(self.pos).is_some_and(|b| b & 0x7F == b'0')
    }

    fn dict(&mut self) -> Result<Arc<[DictEntry]>> {
        let mut entries = Vec::new();
        loop {
            if self.left() == 0 {
                return Err(self.error_here(
                    "expected a dict key or the 0 that ends the dict, but the data ends",
                ));
            }
            if self.peek_null() {
                self.pos += 1;
                return Ok(Arc::from(entries));
            }
            let at = self.pos as u64;
            let key = self.read_object()?;
            if self.peek_null() {
                return Err(self.error_here("expected a dict value, found NULL (0)"));
            }
            let value = self.read_object()?;
            entries.push(DictEntry { key, value, at });
        }
    }

    fn code(&mut self) -> Result<Code> {
        self.saw_code = true;
        let ints = match self.layout {
            CodeLayout::Py311 | CodeLayout::Py37 => 5,
            CodeLayout::Py38 => 6,
        };
        for _ in 0..ints {
            self.i32("a code object's counts and flags")?;
        }
        self.read_object()?; // bytecode
        self.expect_tuple("co_consts")?;
        self.expect_tuple("co_names")?;
        let (filename, name) = match self.layout {
            CodeLayout::Py311 => {
                self.expect_tuple("co_localsplusnames")?;
                self.read_object()?; // localspluskinds (bytes)
                let filename = self.expect_str("co_filename")?;
                let name = self.expect_str("co_name")?;
                self.expect_str("co_qualname")?;
                (filename, name)
            }
            CodeLayout::Py38 | CodeLayout::Py37 => {
                self.expect_tuple("co_varnames")?;
                self.expect_tuple("co_freevars")?;
                self.expect_tuple("co_cellvars")?;
                (self.expect_str("co_filename")?, self.expect_str("co_name")?)
            }
        };
        let firstlineno = i64::from(self.i32("co_firstlineno")?);
        self.read_object()?; // linetable / lnotab
        if self.layout == CodeLayout::Py311 {
            self.read_object()?; // exceptiontable
        }
        Ok(Code {
            filename,
            name,
            firstlineno,
        })
    }

    fn expect_tuple(&mut self, what: &str) -> Result<()> {
        let at = self.pos;
        match self.read_object()? {
            Value::Tuple(_) => Ok(()),
            _ => Err(self.error_at(at, format!("expected a tuple for {what}"))),
        }
    }

    fn expect_str(&mut self, what: &str) -> Result<Arc<str>> {
        let at = self.pos;
        match self.read_object()? {
            Value::Str(s) => Ok(s),
            _ => Err(self.error_at(at, format!("expected a string for {what}"))),
        }
    }
}

#[cold]
#[inline(never)]
fn too_deep(at: usize) -> Error {
    Error::invalid(format!("objects nested deeper than {MAX_DEPTH} levels"))
        .at(Position::Byte(at as u64))
}

fn singleton(code: u8) -> Option<Value> {
    Some(match code {
        b'N' => Value::None,
        b'T' => Value::Bool(true),
        b'F' => Value::Bool(false),
        b'.' => Value::Ellipsis,
        b'S' => Value::StopIteration,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<Value> {
        read_all(bytes, CodeLayout::Py311)
    }

    fn s(text: &str) -> Value {
        Value::Str(Arc::from(text))
    }

    fn dict(pairs: Vec<(Value, Value)>) -> Value {
        let entries: Vec<DictEntry> = pairs
            .into_iter()
            .map(|(key, value)| DictEntry { key, value, at: 0 })
            .collect();
        Value::Dict(Arc::from(entries))
    }

    fn entries(v: &Value) -> Vec<(Value, Value)> {
        match v {
            Value::Dict(e) => e.iter().map(|e| (e.key.clone(), e.value.clone())).collect(),
            _ => panic!("not a dict: {v:?}"),
        }
    }

    #[test]
    fn version_6_frozendict_reads_like_a_dict() {
        // FORMATS.md §2.4: frozendict(a=1).
        let v = read(&[0x7D, 0xDA, 0x01, b'a', 0xE9, 1, 0, 0, 0, 0x30]).unwrap();
        assert_eq!(entries(&v), entries(&dict(vec![(s("a"), Value::Int(1))])));
    }

    #[test]
    fn scalars_decode() {
        let cases: Vec<(Vec<u8>, Value)> = vec![
            (vec![b'N'], Value::None),
            (vec![b'T'], Value::Bool(true)),
            (vec![b'F'], Value::Bool(false)),
            (vec![b'.'], Value::Ellipsis),
            (vec![b'S'], Value::StopIteration),
            (vec![b'i', 0xFF, 0xFF, 0xFF, 0xFF], Value::Int(-1)),
            (
                vec![b'I', 1, 0, 0, 0, 1, 0, 0, 0],
                Value::Int((1 << 32) + 1),
            ),
            // 2**15 + 3 = digits [3, 1]
            (vec![b'l', 2, 0, 0, 0, 3, 0, 1, 0], Value::Int(32771)),
            (
                vec![b'l', 0xFE, 0xFF, 0xFF, 0xFF, 3, 0, 1, 0],
                Value::Int(-32771),
            ),
            (
                [vec![b'g'], 1.5f64.to_le_bytes().to_vec()].concat(),
                Value::Float(1.5),
            ),
            (vec![b'f', 3, b'2', b'.', b'5'], Value::Float(2.5)),
            (
                [
                    vec![b'y'],
                    1.0f64.to_le_bytes().to_vec(),
                    2.0f64.to_le_bytes().to_vec(),
                ]
                .concat(),
                Value::Complex(1.0, 2.0),
            ),
            (vec![b'x', 1, b'1', 1, b'2'], Value::Complex(1.0, 2.0)),
            (
                vec![b's', 2, 0, 0, 0, 0, 1],
                Value::Bytes(Arc::from(&[0u8, 1][..])),
            ),
            (vec![b'u', 2, 0, 0, 0, 0xC3, 0xA9], s("é")),
            (vec![b't', 1, 0, 0, 0, b'x'], s("x")),
            (vec![b'a', 1, 0, 0, 0, b'x'], s("x")),
            (vec![b'A', 1, 0, 0, 0, b'x'], s("x")),
            (vec![b'z', 1, b'x'], s("x")),
            (vec![b'Z', 1, b'x'], s("x")),
            // A lone surrogate (allowed by marshal) becomes U+FFFD instead of failing.
            (
                vec![b'u', 3, 0, 0, 0, 0xED, 0xA0, 0x80],
                s("\u{FFFD}\u{FFFD}\u{FFFD}"),
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(read(&bytes).unwrap(), expected, "{bytes:02x?}");
        }
    }

    #[test]
    fn containers_and_refs_decode() {
        // A flagged string in slot 0, then a list, a set and a slice referring back to it.
        let bytes = [
            b'(', 4, 0, 0, 0, // tuple of 4
            0xDA, 1, b'k', // +#0 "k"
            b'[', 1, 0, 0, 0, b'r', 0, 0, 0, 0, // ["k"]
            b'<', 1, 0, 0, 0, b'N', // {None}
            b':', b'N', b'i', 1, 0, 0, 0, b'r', 0, 0, 0, 0, // slice(None, 1, "k")
        ];
        let v = read(&bytes).unwrap();
        let Value::Tuple(items) = v else { panic!() };
        assert_eq!(items[0], s("k"));
        assert_eq!(items[1], Value::List(Arc::from(vec![s("k")])));
        assert_eq!(items[2], Value::Set(Arc::from(vec![Value::None])));
        assert_eq!(
            items[3],
            Value::Slice(Arc::new([Value::None, Value::Int(1), s("k")]))
        );
    }

    #[test]
    fn a_flagged_container_takes_its_slot_before_its_children() {
        // FB dict +#0, key tuple +#1 ("a" +#2), value r#2: the value must be "a", not the tuple.
        let bytes = [0xFB, 0xA9, 1, 0xDA, 1, b'a', b'r', 2, 0, 0, 0, b'0'];
        let v = read(&bytes).unwrap();
        let pairs = entries(&v);
        assert_eq!(pairs[0].1, s("a"));
    }

    #[test]
    fn bad_input_gives_errors_with_offsets() {
        let cases: Vec<(Vec<u8>, u64, &str)> = vec![
            (vec![], 0, "type byte"),
            (vec![b'Q'], 0, "unknown marshal type byte 0x51"),
            (vec![b'r', 5, 0, 0, 0], 0, "only 0 objects"),
            (vec![b'(', 0, 0, 0, 0x7F], 1, "larger than"),
            (vec![b'u', 0xFF, 0xFF, 0xFF, 0x7F], 1, "larger than"),
            (vec![b'[', 0xFF, 0xFF, 0xFF, 0xFF], 1, "negative"),
            (vec![b'l', 0, 0, 0, 0x80], 1, "larger than"),
            (vec![b'l', 1, 0, 0, 0, 0xFF, 0xFF], 5, "out of range"),
            (vec![b'{', b'N'], 2, "data ends"),
            (vec![b'{', b'N', b'0'], 2, "NULL"),
            (vec![b')', 1, b'0'], 2, "NULL"),
            (vec![b'0'], 0, "NULL"),
            (vec![b'N', b'N'], 1, "end of the data"),
            (vec![b'f', 2, b'x', b'y'], 1, "float written as text"),
            (vec![0xA9, 1, b'r', 0, 0, 0, 0], 2, "still being read"),
        ];
        for (bytes, at, what) in cases {
            let err = read(&bytes).unwrap_err();
            assert_eq!(
                err.position(),
                Some(Position::Byte(at)),
                "{bytes:02x?}: {err}"
            );
            assert!(err.to_string().contains(what), "{bytes:02x?}: {err}");
        }
    }

    #[test]
    fn longs_beyond_64_bits_are_approximate_not_a_panic() {
        for digits in [4usize, 5, 9, 100, 5000] {
            let mut bytes = vec![b'l'];
            bytes.extend((digits as i32).to_le_bytes());
            bytes.extend([0xFF, 0x7F].repeat(digits));
            match read(&bytes).unwrap() {
                Value::Int(n) => assert_eq!((digits, n), (4, (1i64 << 60) - 1)),
                Value::BigInt(x) => assert!(digits > 4 && x >= 2f64.powi(74), "{digits}: {x}"),
                other => panic!("{digits}: {other:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut bytes = [b')', 1].repeat(100_000);
        bytes.push(b'N');
        let err = read(&bytes).unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }

    #[test]
    fn huge_lengths_fail_fast_without_allocating() {
        for code in [b's', b'u', b'a', b'(', b'[', b'<', b'>'] {
            let err = read(&[code, 0, 0, 0, 0x80]).unwrap_err();
            assert!(err.to_string().contains("byte 1"), "{err}");
            let err = read(&[code, 0xFF, 0xFF, 0xFF, 0x7F, 0]).unwrap_err();
            assert!(err.to_string().contains("larger than"), "{err}");
        }
        let err = read(&[b'r', 0xFF, 0xFF, 0xFF, 0xFF]).unwrap_err();
        assert!(err.to_string().contains("reference"), "{err}");
    }

    fn code_bytes(layout: CodeLayout) -> Vec<u8> {
        let ints = if layout == CodeLayout::Py38 { 6 } else { 5 };
        let mut b = vec![b'c'];
        b.extend(std::iter::repeat_n(0u8, 4 * ints));
        b.extend([b's', 0, 0, 0, 0]); // code
        b.extend([b')', 0, b')', 0]); // consts, names
        match layout {
            CodeLayout::Py311 => b.extend([b')', 0, b's', 0, 0, 0, 0]),
            _ => b.extend([b')', 0, b')', 0, b')', 0]),
        }
        b.extend([b'z', 4, b'm', b'.', b'p', b'y', b'z', 1, b'f']);
        if layout == CodeLayout::Py311 {
            b.extend([b'z', 1, b'f']);
        }
        b.extend([7, 0, 0, 0, b's', 0, 0, 0, 0]);
        if layout == CodeLayout::Py311 {
            b.extend([b's', 0, 0, 0, 0]);
        }
        b
    }

    #[test]
    fn code_objects_read_in_their_own_layout_and_fail_in_others() {
        for layout in CodeLayout::ALL {
            let bytes = code_bytes(layout);
            let v = read_all(&bytes, layout).unwrap();
            let Value::Code(code) = v else { panic!() };
            assert_eq!(
                (&*code.filename, &*code.name, code.firstlineno),
                ("m.py", "f", 7)
            );
            for other in CodeLayout::ALL.into_iter().filter(|&l| l != layout) {
                assert!(
                    read_all(&bytes, other).is_err(),
                    "{layout:?} read as {other:?}"
                );
            }
        }
    }
}
