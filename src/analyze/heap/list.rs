//! `heap list`: per-line figures of the functions a pattern matches, as go tool pprof -list.

use super::*;

/// One source line of a listed function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLine {
    pub line: i64,
    pub flat: i64,
    pub cum: i64,
}

/// A function `heap list` shows: its figures per line, as go tool pprof -list (line
/// granularity: flat is the leaf line's, cum counts a line once per sample), and their sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFunction {
    pub name: String,
    pub file: String,
    pub flat: i64,
    pub cum: i64,
    /// Ascending by line; lines with no value left out.
    pub lines: Vec<ListedLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListReport {
    pub sample_type: SampleType,
    pub total: i64,
    pub kept_total: i64,
    /// By name, then file.
    pub functions: Vec<ListedFunction>,
}

/// Per-line figures of every function whose name matches `pattern`, from the profile's line
/// table (no source files needed).
pub fn list(profile: &Profile, index: usize, pattern: &Regex, filter: &SampleFilter) -> ListReport {
    let listed: Vec<bool> = profile
        .frames
        .iter()
        .map(|f| pattern.is_match(&f.function))
        .collect();
    // Frames are interned by (function, file, line): a frame index is a line of a function.
    let key_of_frame: Vec<Option<u32>> = (0..profile.frames.len())
        .map(|f| listed[f].then_some(f as u32))
        .collect();
    let mut summer = KeySummer::new(profile, key_of_frame, profile.frames.len(), filter);
    for s in &profile.samples {
        summer.add(&s.frames, &s.values);
    }
    let (per_frame, total, kept_total) = summer.column(index);
    let mut functions: BTreeMap<(&str, &str), ListedFunction> = BTreeMap::new();
    for (frame, &FlatCum { flat, cum }) in profile.frames.iter().zip(&per_frame) {
        if flat == 0 && cum == 0 {
            continue;
        }
        let entry = functions
            .entry((frame.function.as_str(), frame.file.as_str()))
            .or_insert_with(|| ListedFunction {
                name: frame.function.clone(),
                file: frame.file.clone(),
                flat: 0,
                cum: 0,
                lines: Vec::new(),
            });
        entry.flat += flat;
        entry.cum += cum;
        entry.lines.push(ListedLine {
            line: frame.line,
            flat,
            cum,
        });
    }
    let mut functions: Vec<ListedFunction> = functions.into_values().collect();
    for f in &mut functions {
        f.lines.sort_by_key(|l| l.line);
    }
    ListReport {
        sample_type: profile.sample_types[index].clone(),
        total,
        kept_total,
        functions,
    }
}
