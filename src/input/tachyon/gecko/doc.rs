//! A processed Gecko profile as [`super::parse`] reads it, deserialized straight from the
//! text (a slice or a stream) into the columns it uses: no `serde_json::Value` tree of the
//! whole file. A field of the wrong type reads as absent, as the `Value` reader had it; the
//! few small values that are printed as JSON (`meta.version`, `pid`, `tid`) stay `Value`s.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess};
use serde_json::Value;

use crate::input::lenient::{ArrayVisitor, Elements, Fields, ObjectVisitor, Scalar, skip};

/// A sample column entry that is `null`.
pub const NULL: u64 = u64::MAX;
/// A sample column entry that is no index (or one too large for any table).
pub const NOT_INDEX: u64 = u64::MAX - 1;

/// The file.
#[derive(Default)]
pub struct Doc {
    /// `meta.version`, when present.
    pub version: Option<Value>,
    /// Whether `meta` has a `preprocessedProfileVersion` key.
    pub preprocessed: bool,
    pub product: Scalar,
    pub imported_from: Scalar,
    /// `threads`, when it is an array.
    pub threads: Option<Vec<Thread>>,
    /// `shared.stringArray`, when it is an array.
    pub strings: Option<Vec<Option<String>>>,
}

/// One thread, with the columns the reader uses.
#[derive(Default)]
pub struct Thread {
    pub name: Scalar,
    pub tid: Option<Value>,
    pub pid: Option<Value>,
    pub process_name: Scalar,
    pub process_type: Scalar,
    /// `stringArray`, when it is an array.
    pub strings: Option<Vec<Option<String>>>,
    /// Whether `samples` is there, and whether it has a `schema` (a raw profile).
    pub has_samples: bool,
    pub samples_schema: bool,
    /// Whether `stackTable` is there, and whether it has a `schema`.
    pub has_stack_table: bool,
    pub stack_table_schema: bool,
    /// `samples.stack`.
    pub sample_stack: Vec<StackIndex>,
    /// `samples.weight`.
    pub sample_weight: Vec<Weight>,
    pub stack_frame: Vec<Option<u64>>,
    pub stack_prefix: Vec<Option<u64>>,
    pub frame_func: Vec<Option<u64>>,
    pub frame_line: Vec<Option<i64>>,
    pub func_name: Vec<Option<u64>>,
    pub func_file: Vec<Option<u64>>,
    pub func_line: Vec<Option<i64>>,
    pub func_resource: Vec<Option<u64>>,
    pub resource_name: Vec<Option<u64>>,
}

/// Reads a whole file with `d`.
pub fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
    ObjectVisitor(Doc::default()).deserialize(d)
}

impl<'de> Fields<'de> for Doc {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "meta" => {
                *self = map
                    .next_value_seed(ObjectVisitor(Meta(std::mem::take(self))))?
                    .0
            }
            "threads" => {
                self.threads = map
                    .next_value_seed(ArrayVisitor(Threads::default()))?
                    .map(|t| t.0);
            }
            "shared" => self.strings = map.next_value_seed(ObjectVisitor(Shared(None)))?.0,
            _ => skip(map)?,
        }
        Ok(())
    }
}

struct Meta(Doc);

impl<'de> Fields<'de> for Meta {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "version" => self.0.version = Some(map.next_value()?),
            "preprocessedProfileVersion" => {
                self.0.preprocessed = true;
                skip(map)?;
            }
            "product" => self.0.product = map.next_value()?,
            "importedFrom" => self.0.imported_from = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

struct Shared(Option<Vec<Option<String>>>);

impl<'de> Fields<'de> for Shared {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "stringArray" => self.0 = strings(map)?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

fn strings<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Vec<Option<String>>>, A::Error> {
    Ok(map
        .next_value_seed(ArrayVisitor(Column::<Option<String>>::default()))?
        .map(|c| c.0))
}

#[derive(Default)]
struct Threads(Vec<Thread>);

impl<'de> Elements<'de> for Threads {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        let next = seq.next_element_seed(ObjectVisitor(Thread::default()))?;
        Ok(next.map(|t| self.0.push(t)).is_some())
    }
}

impl<'de> Fields<'de> for Thread {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "name" => self.name = map.next_value()?,
            "tid" => self.tid = Some(map.next_value()?),
            "pid" => self.pid = Some(map.next_value()?),
            "processName" => self.process_name = map.next_value()?,
            "processType" => self.process_type = map.next_value()?,
            "stringArray" => self.strings = strings(map)?,
            "samples" => {
                self.has_samples = true;
                *self = map
                    .next_value_seed(ObjectVisitor(Table::Samples(std::mem::take(self))))?
                    .into();
            }
            "stackTable" => {
                self.has_stack_table = true;
                *self = map
                    .next_value_seed(ObjectVisitor(Table::Stacks(std::mem::take(self))))?
                    .into();
            }
            "frameTable" => {
                *self = map
                    .next_value_seed(ObjectVisitor(Table::Frames(std::mem::take(self))))?
                    .into();
            }
            "funcTable" => {
                *self = map
                    .next_value_seed(ObjectVisitor(Table::Funcs(std::mem::take(self))))?
                    .into();
            }
            "resourceTable" => {
                *self = map
                    .next_value_seed(ObjectVisitor(Table::Resources(std::mem::take(self))))?
                    .into();
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// One of a thread's tables, read into the thread's columns.
enum Table {
    Samples(Thread),
    Stacks(Thread),
    Frames(Thread),
    Funcs(Thread),
    Resources(Thread),
}

impl From<Table> for Thread {
    fn from(table: Table) -> Thread {
        match table {
            Table::Samples(t)
            | Table::Stacks(t)
            | Table::Frames(t)
            | Table::Funcs(t)
            | Table::Resources(t) => t,
        }
    }
}

impl<'de> Fields<'de> for Table {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match (self, key) {
            (Table::Samples(t), "schema") => {
                t.samples_schema = true;
                skip(map)?;
            }
            (Table::Samples(t), "stack") => t.sample_stack = column(map)?,
            (Table::Samples(t), "weight") => t.sample_weight = column(map)?,
            (Table::Stacks(t), "schema") => {
                t.stack_table_schema = true;
                skip(map)?;
            }
            (Table::Stacks(t), "frame") => t.stack_frame = column(map)?,
            (Table::Stacks(t), "prefix") => t.stack_prefix = column(map)?,
            (Table::Frames(t), "func") => t.frame_func = column(map)?,
            (Table::Frames(t), "line") => t.frame_line = column(map)?,
            (Table::Funcs(t), "name") => t.func_name = column(map)?,
            (Table::Funcs(t), "fileName") => t.func_file = column(map)?,
            (Table::Funcs(t), "lineNumber") => t.func_line = column(map)?,
            (Table::Funcs(t), "resource") => t.func_resource = column(map)?,
            (Table::Resources(t), "name") => t.resource_name = column(map)?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// A column's entries, each read from a JSON value as the reader takes it.
trait Entry: Sized {
    fn from_json(value: Scalar) -> Self;
}

impl Entry for Option<u64> {
    fn from_json(value: Scalar) -> Self {
        value.as_u64()
    }
}

impl Entry for Option<i64> {
    fn from_json(value: Scalar) -> Self {
        value.as_i64()
    }
}

impl Entry for Option<String> {
    fn from_json(value: Scalar) -> Self {
        value.into_string()
    }
}

/// A `samples.stack` entry: an index, [`NULL`] or [`NOT_INDEX`] (eight bytes a sample).
#[derive(Clone, Copy)]
pub struct StackIndex(pub u64);

impl Entry for StackIndex {
    fn from_json(value: Scalar) -> Self {
        StackIndex(match value {
            Scalar::U64(n) => n.min(NOT_INDEX),
            Scalar::Null => NULL,
            _ => NOT_INDEX,
        })
    }
}

/// A `samples.weight` entry, rounded; 1 for one that is no number.
#[derive(Clone, Copy)]
pub struct Weight(pub u64);

impl Entry for Weight {
    fn from_json(value: Scalar) -> Self {
        Weight(value.as_f64().map_or(1, |w| w.max(0.0).round() as u64))
    }
}

/// A column (missing, or no array: empty).
fn column<'de, A: MapAccess<'de>, T: Entry>(map: &mut A) -> Result<Vec<T>, A::Error> {
    Ok(map
        .next_value_seed(ArrayVisitor(Column::<T>::default()))?
        .map_or_else(Vec::new, |c| c.0))
}

struct Column<T>(Vec<T>);

impl<T> Default for Column<T> {
    fn default() -> Self {
        Column(Vec::new())
    }
}

impl<'de, T: Entry> Elements<'de> for Column<T> {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        let Some(value) = seq.next_element::<Scalar>()? else {
            return Ok(false);
        };
        self.0.push(T::from_json(value));
        Ok(true)
    }
}
