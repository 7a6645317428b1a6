//! Flat and cum per key, summed one sample at a time for every sample type at once: the one
//! walk behind top, list and diff. Because it needs no sample twice, a diff folds each
//! profile while it is decoded (`DiffFold`) and never holds its samples.

use super::*;
use crate::model::profile::SampleSink;

/// --focus / --ignore resolved to the frames of one profile.
pub(super) struct FrameFilter {
    /// Empty without the option.
    focus: Vec<bool>,
    ignore: Vec<bool>,
}

impl FrameFilter {
    pub(super) fn new(filter: &SampleFilter, profile: &Profile) -> FrameFilter {
        let matches = |re: &Option<Regex>| -> Vec<bool> {
            match re {
                None => Vec::new(),
                Some(re) => profile
                    .frames
                    .iter()
                    .map(|f| re.is_match(&f.function) || re.is_match(&f.file))
                    .collect(),
            }
        };
        FrameFilter {
            focus: matches(&filter.focus),
            ignore: matches(&filter.ignore),
        }
    }

    pub(super) fn keeps(&self, frames: &[u32]) -> bool {
        let any = |m: &[bool]| frames.iter().any(|&f| m[f as usize]);
        (self.ignore.is_empty() || !any(&self.ignore))
            && (self.focus.is_empty() || any(&self.focus))
    }
}

/// Sums flat and cum per key over the samples it is given.
pub(super) struct KeySummer {
    width: usize,
    /// Frame f's key; None for a frame not counted.
    key_of_frame: Vec<Option<u32>>,
    filter: FrameFilter,
    /// [key * width + sample type].
    values: Vec<FlatCum>,
    /// last_sample[key] = the sample (counted from 1) that last added to its cum.
    last_sample: Vec<usize>,
    samples: usize,
    totals: Vec<i64>,
    kept: Vec<i64>,
}

impl KeySummer {
    pub(super) fn new(
        profile: &Profile,
        key_of_frame: Vec<Option<u32>>,
        keys: usize,
        filter: &SampleFilter,
    ) -> KeySummer {
        let width = profile.sample_types.len();
        KeySummer {
            width,
            key_of_frame,
            filter: FrameFilter::new(filter, profile),
            values: vec![FlatCum::default(); keys * width],
            last_sample: vec![0; keys],
            samples: 0,
            totals: vec![0; width],
            kept: vec![0; width],
        }
    }

    /// A key adds a sample to its cum once, however many of its frames the stack holds
    /// (recursion). Sums wrap on overflow, as the release build always did.
    pub(super) fn add(&mut self, frames: &[u32], values: &[i64]) {
        self.samples += 1;
        let width = self.width;
        add_to(&mut self.totals, values);
        if !self.filter.keeps(frames) {
            return;
        }
        add_to(&mut self.kept, values);
        if let Some(Some(leaf)) = frames.first().map(|&f| self.key_of_frame[f as usize]) {
            let row = &mut self.values[leaf as usize * width..][..width];
            for (v, add) in row.iter_mut().zip(values) {
                v.flat = v.flat.wrapping_add(*add);
            }
        }
        for &frame in frames {
            let Some(key) = self.key_of_frame[frame as usize] else {
                continue;
            };
            let key = key as usize;
            if self.last_sample[key] != self.samples {
                self.last_sample[key] = self.samples;
                let row = &mut self.values[key * width..][..width];
                for (v, add) in row.iter_mut().zip(values) {
                    v.cum = v.cum.wrapping_add(*add);
                }
            }
        }
    }

    /// Flat and cum per key for one sample type, and its totals (all samples, kept ones).
    pub(super) fn column(&self, index: usize) -> (Vec<FlatCum>, i64, i64) {
        let values = self
            .values
            .iter()
            .skip(index)
            .step_by(self.width.max(1))
            .copied()
            .collect();
        (values, self.totals[index], self.kept[index])
    }
}

fn add_to(sums: &mut [i64], values: &[i64]) {
    for (s, v) in sums.iter_mut().zip(values) {
        *s = s.wrapping_add(*v);
    }
}

/// Flat and cum per function (or line) of one profile, every sample type.
pub struct KeySums {
    sample_types: Vec<SampleType>,
    keys: Vec<String>,
    summer: KeySummer,
}

impl KeySums {
    /// Keys from the frames of `profile`, interned once per frame so the per-sample walk does
    /// no string work.
    pub(super) fn new(
        profile: &Profile,
        granularity: Granularity,
        filter: &SampleFilter,
    ) -> KeySums {
        let mut key_ids: HashMap<String, u32> = HashMap::new();
        let mut keys: Vec<String> = Vec::new();
        let key_of_frame: Vec<Option<u32>> = (0..profile.frames.len())
            .map(|frame| {
                let key = frame_key(profile, frame, granularity);
                Some(*key_ids.entry(key.clone()).or_insert_with(|| {
                    keys.push(key);
                    (keys.len() - 1) as u32
                }))
            })
            .collect();
        let summer = KeySummer::new(profile, key_of_frame, keys.len(), filter);
        KeySums {
            sample_types: profile.sample_types.clone(),
            keys,
            summer,
        }
    }

    pub(super) fn add(&mut self, frames: &[u32], values: &[i64]) {
        self.summer.add(frames, values);
    }

    /// The sums of sample type `index`; keys with nothing are left out.
    pub fn aggregate(&self, index: usize) -> Aggregate {
        let (values, total, kept_total) = self.summer.column(index);
        let entries = self
            .keys
            .iter()
            .zip(values)
            .filter(|(_, v)| v.flat != 0 || v.cum != 0)
            .map(|(k, v)| (k.clone(), v))
            .collect();
        Aggregate {
            sample_type: self.sample_types[index].clone(),
            total,
            kept_total,
            entries,
        }
    }
}

/// What a diff needs of one profile: its tables (no samples), the view's sums, and the
/// unfiltered per-function sums that judge live-heap growth.
pub struct FoldedProfile {
    pub profile: Profile,
    view: KeySums,
    /// None when the view is that already (per function, unfiltered).
    functions: Option<KeySums>,
}

impl FoldedProfile {
    /// The view's sums (granularity and filter of the fold).
    pub fn view(&self) -> &KeySums {
        &self.view
    }

    /// Per function, over every sample.
    pub fn functions(&self) -> &KeySums {
        self.functions.as_ref().unwrap_or(&self.view)
    }
}

/// Folds a profile's samples, as they are decoded, into a `FoldedProfile`.
pub struct DiffFold<'f> {
    granularity: Granularity,
    filter: &'f SampleFilter,
    sums: Option<(KeySums, Option<KeySums>)>,
}

impl<'f> DiffFold<'f> {
    pub fn new(granularity: Granularity, filter: &'f SampleFilter) -> DiffFold<'f> {
        DiffFold {
            granularity,
            filter,
            sums: None,
        }
    }

    /// The fold of a profile already decoded whole.
    pub fn of(
        profile: Profile,
        granularity: Granularity,
        filter: &'f SampleFilter,
    ) -> FoldedProfile {
        let mut fold = DiffFold::new(granularity, filter);
        fold.tables(&profile);
        for s in &profile.samples {
            fold.sample(&s.frames, &s.values);
        }
        let tables = Profile {
            samples: Vec::new(),
            ..profile
        };
        fold.finish(tables)
    }

    /// `tables`: what `parse::pprof::fold_profile` returned after folding into this.
    pub fn finish(self, tables: Profile) -> FoldedProfile {
        let (view, functions) = self.sums.unwrap_or_else(|| {
            // No tables seen (cannot happen after a successful fold): sums of nothing.
            (KeySums::new(&tables, self.granularity, self.filter), None)
        });
        FoldedProfile {
            profile: tables,
            view,
            functions,
        }
    }
}

impl SampleSink for DiffFold<'_> {
    fn tables(&mut self, profile: &Profile) {
        let view = KeySums::new(profile, self.granularity, self.filter);
        let functions = (self.granularity != Granularity::Functions || !self.filter.is_empty())
            .then(|| KeySums::new(profile, Granularity::Functions, &SampleFilter::default()));
        self.sums = Some((view, functions));
    }

    fn sample(&mut self, frames: &[u32], values: &[i64]) {
        if let Some((view, functions)) = &mut self.sums {
            view.add(frames, values);
            if let Some(f) = functions {
                f.add(frames, values);
            }
        }
    }
}
