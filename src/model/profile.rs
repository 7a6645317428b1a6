//! A pprof profile, reduced to what steady analyses: sample types, stacks and their values.
//! Strings are resolved; frames are interned per profile.

/// One sample type, e.g. ("inuse_space", "bytes").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleType {
    pub name: String,
    pub unit: String,
}

/// A frame: function, file and line. Inlined calls are frames of their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    pub function: String,
    pub file: String,
    pub line: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSample {
    /// Indexes into `Profile::frames`, leaf first.
    pub frames: Vec<u32>,
    /// One value per sample type.
    pub values: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    pub sample_types: Vec<SampleType>,
    pub frames: Vec<Frame>,
    pub samples: Vec<StackSample>,
    /// When the profile was taken, in nanoseconds since the epoch (0 when unknown).
    pub time_nanos: i64,
    /// Index into `sample_types` of the profile's own default, if it names one.
    pub default_sample_type: Option<usize>,
}

/// Takes a profile's samples one at a time as they are decoded (`parse::pprof::fold_profile`),
/// so a report that only sums them never holds them.
pub trait SampleSink {
    /// Called once, before any sample, with the profile's sample types and frames (and no
    /// samples).
    fn tables(&mut self, profile: &Profile);
    /// One sample: indexes into the profile's frames, leaf first, and one value per sample type.
    fn sample(&mut self, frames: &[u32], values: &[i64]);
}

impl Profile {
    pub fn sample_index(&self, name: &str) -> Option<usize> {
        self.sample_types.iter().position(|t| t.name == name)
    }

    pub fn total(&self, index: usize) -> i64 {
        self.samples
            .iter()
            .map(|s| s.values.get(index).copied().unwrap_or(0))
            .sum()
    }
}
