//! A speedscope file as [`super::parse`] reads it, deserialized straight from the text (a
//! slice or a stream) into what it uses: no `serde_json::Value` tree. Samples are interned as
//! they are read, so a profile's samples cost four bytes each plus one copy of each distinct
//! stack; runs of equal weights (py-spy's are all `1/rate`) cost one entry. A field of the
//! wrong type reads as absent, as the `Value` reader had it.

use ahash::HashMap;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess};

use crate::input::lenient::{ArrayVisitor, Elements, Fields, ObjectVisitor, Scalar, skip};

/// The file.
#[derive(Default)]
pub struct Doc {
    pub exporter: Scalar,
    /// `profiles`, when it is an array.
    pub profiles: Option<Vec<ProfileDoc>>,
    /// `shared.frames`, when it is an array.
    pub frames: Option<Vec<FrameDoc>>,
    /// The distinct sample stacks, of every profile.
    pub stacks: Stacks,
}

/// Each distinct stack of frame indexes once; a sample is its number here.
#[derive(Default)]
pub struct Stacks {
    pub list: Vec<Box<[u64]>>,
    index: HashMap<Box<[u64]>, u32>,
}

impl Stacks {
    fn intern<E: serde::de::Error>(&mut self, stack: &[u64]) -> Result<u32, E> {
        if let Some(&i) = self.index.get(stack) {
            return Ok(i);
        }
        let i = u32::try_from(self.list.len())
            .map_err(|_| E::custom("more than 2^32 distinct samples"))?;
        self.list.push(stack.into());
        self.index.insert(stack.into(), i);
        Ok(i)
    }
}

/// One `shared.frames` entry.
#[derive(Default)]
pub struct FrameDoc {
    pub name: Scalar,
    pub file: Scalar,
    pub line: Scalar,
}

/// One profile.
#[derive(Default)]
pub struct ProfileDoc {
    pub kind: Scalar,
    pub name: Scalar,
    pub unit: Scalar,
    pub end_value: Scalar,
    /// `samples`: numbers in [`Doc::stacks`] (an element that is no array is the empty stack).
    pub samples: Vec<u32>,
    /// `weights` as runs of equal values; an element that is no number weighs 1.
    pub weights: Vec<(f64, u64)>,
    pub events: Vec<EventDoc>,
}

impl ProfileDoc {
    /// The weight of each sample in order (1 past the end of `weights`, as a missing one).
    pub fn weights(&self) -> impl Iterator<Item = f64> + '_ {
        self.weights
            .iter()
            .flat_map(|&(w, n)| std::iter::repeat_n(w, n as usize))
            .chain(std::iter::repeat(1.0))
    }
}

/// One evented profile's event.
#[derive(Default)]
pub struct EventDoc {
    pub kind: Scalar,
    pub at: Scalar,
    pub frame: Scalar,
}

/// Reads a whole file with `d`.
pub fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
    ObjectVisitor(Doc::default()).deserialize(d)
}

impl<'de> Fields<'de> for Doc {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "exporter" => self.exporter = map.next_value()?,
            "profiles" => {
                let profiles = map.next_value_seed(ArrayVisitor(ProfileList {
                    stacks: &mut self.stacks,
                    list: Vec::new(),
                }))?;
                self.profiles = profiles.map(|p| p.list);
            }
            "shared" => {
                self.frames = map
                    .next_value_seed(ObjectVisitor(Shared::default()))?
                    .frames;
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Shared {
    frames: Option<Vec<FrameDoc>>,
}

impl<'de> Fields<'de> for Shared {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "frames" => {
                self.frames = map
                    .next_value_seed(ArrayVisitor(List::<FrameDoc>::default()))?
                    .map(|l| l.0);
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// An array of objects of one kind.
#[derive(Default)]
struct List<T>(Vec<T>);

impl<'de> Elements<'de> for List<FrameDoc> {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        let next = seq.next_element_seed(ObjectVisitor(FrameDoc::default()))?;
        Ok(next.map(|f| self.0.push(f)).is_some())
    }
}

impl<'de> Elements<'de> for List<EventDoc> {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        let next = seq.next_element_seed(ObjectVisitor(EventDoc::default()))?;
        Ok(next.map(|e| self.0.push(e)).is_some())
    }
}

impl<'de> Fields<'de> for FrameDoc {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "name" => self.name = map.next_value()?,
            "file" => self.file = map.next_value()?,
            "line" => self.line = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de> Fields<'de> for EventDoc {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "type" => self.kind = map.next_value()?,
            "at" => self.at = map.next_value()?,
            "frame" => self.frame = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

struct ProfileList<'s> {
    stacks: &'s mut Stacks,
    list: Vec<ProfileDoc>,
}

impl<'de> Elements<'de> for ProfileList<'_> {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        let next = seq.next_element_seed(ObjectVisitor(ProfileFields {
            stacks: self.stacks,
            doc: ProfileDoc::default(),
        }))?;
        Ok(next.map(|p| self.list.push(p.doc)).is_some())
    }
}

struct ProfileFields<'s> {
    stacks: &'s mut Stacks,
    doc: ProfileDoc,
}

impl<'de> Fields<'de> for ProfileFields<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        let doc = &mut self.doc;
        match key {
            "type" => doc.kind = map.next_value()?,
            "name" => doc.name = map.next_value()?,
            "unit" => doc.unit = map.next_value()?,
            "endValue" => doc.end_value = map.next_value()?,
            "samples" => {
                doc.samples = map
                    .next_value_seed(ArrayVisitor(SampleList {
                        stacks: self.stacks,
                        list: Vec::new(),
                        frames: Vec::new(),
                    }))?
                    .map_or_else(Vec::new, |s| s.list);
            }
            "weights" => {
                doc.weights = map
                    .next_value_seed(ArrayVisitor(Weights::default()))?
                    .map_or_else(Vec::new, |w| w.0);
            }
            "events" => {
                doc.events = map
                    .next_value_seed(ArrayVisitor(List::<EventDoc>::default()))?
                    .map_or_else(Vec::new, |l| l.0);
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

struct SampleList<'s> {
    stacks: &'s mut Stacks,
    list: Vec<u32>,
    frames: Vec<u64>,
}

impl<'de> Elements<'de> for SampleList<'_> {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        self.frames.clear();
        let frames = std::mem::take(&mut self.frames);
        let Some(read) = seq.next_element_seed(ArrayVisitor(Indexes(frames)))? else {
            return Ok(false);
        };
        // No array: no frames; `Value::as_array` gave the sample an empty list.
        let frames = read.map_or_else(Vec::new, |i| i.0);
        let id = self.stacks.intern(&frames)?;
        self.list.push(id);
        self.frames = frames;
        Ok(true)
    }
}

/// A sample's frame indexes; one that is no index is `u64::MAX`, which names no frame.
struct Indexes(Vec<u64>);

impl<'de> Elements<'de> for Indexes {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        let next: Option<Scalar> = seq.next_element()?;
        Ok(next
            .map(|v| self.0.push(v.as_u64().unwrap_or(u64::MAX)))
            .is_some())
    }
}

#[derive(Default)]
struct Weights(Vec<(f64, u64)>);

impl<'de> Elements<'de> for Weights {
    fn element<A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<bool, A::Error> {
        let Some(next) = seq.next_element::<Scalar>()? else {
            return Ok(false);
        };
        let w = next.as_f64().unwrap_or(1.0);
        match self.0.last_mut() {
            Some((last, n)) if last.to_bits() == w.to_bits() => *n += 1,
            _ => self.0.push((w, 1)),
        }
        Ok(true)
    }
}
