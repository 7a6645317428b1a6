//! The decoder on built hostile profiles, and against prost on the recorded ones.

use super::*;
use pprof::protos::{
    Function, Line, Location, Message as _, Profile as ProtoProfile, Sample, ValueType,
};

use crate::model::profile::Frame;

/// A profile of one function on `lines` lines of one location, and `samples` samples that
/// each name that location `repeat` times: small on the wire, huge once expanded.
fn amplifying(name_len: usize, lines: i64, samples: usize, repeat: usize) -> Vec<u8> {
    let proto = ProtoProfile {
        string_table: vec![
            String::new(),
            "inuse_space".into(),
            "bytes".into(),
            "f".repeat(name_len),
        ],
        sample_type: vec![ValueType { ty: 1, unit: 2 }],
        function: vec![Function {
            id: 1,
            name: 3,
            filename: 3,
            ..Function::default()
        }],
        location: vec![Location {
            id: 1,
            line: (0..lines)
                .map(|line| Line {
                    function_id: 1,
                    line,
                })
                .collect(),
            ..Location::default()
        }],
        sample: (0..samples)
            .map(|_| Sample {
                location_id: vec![1; repeat],
                value: vec![1],
                ..Sample::default()
            })
            .collect(),
        ..ProtoProfile::default()
    };
    proto.encode_to_vec()
}

fn why(bytes: &[u8]) -> String {
    match decode_profile(bytes, "hostile", 256 << 20) {
        Err(ProfileError::Corrupt { why, .. }) => why,
        other => panic!("want Corrupt, got {other:?}"),
    }
}

#[test]
fn expanded_stacks_are_bounded_before_allocation() {
    // A small profile that expands fine.
    let ok = decode_profile(&amplifying(8, 10, 3, 5), "ok", 1 << 20).unwrap();
    assert_eq!(ok.frames.len(), 10);
    assert_eq!(ok.samples[0].frames.len(), 50);
    // One sample deeper than any Go runtime writes.
    assert!(why(&amplifying(1, 200, 1, 100)).contains("more than 16384 frames"));
    // 2000 samples of 10,000 frames: 80 MB of frame ids from a 20 KB profile.
    assert!(why(&amplifying(1, 1000, 2000, 10)).contains("add up to more than 16777216 frames"));
    // One 1 MiB name on 100 lines: 200 MB of copied names from a 1 MiB profile.
    assert!(why(&amplifying(1 << 20, 100, 1, 1)).contains("frame names add up"));
}

#[test]
fn a_name_repeated_on_one_line_is_one_frame() {
    let p = decode_profile(&amplifying(1 << 20, 1, 1000, 3), "repeat", 64 << 20).unwrap();
    assert_eq!(p.frames.len(), 1);
    assert_eq!(p.samples.len(), 1000);
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pprof");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".pb.gz"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{}", files.len());
    files
}

/// Each sample's frames as prost decodes them, resolved the way pprof does: a location's
/// lines innermost first, its address when it has none.
type Stacks = Vec<(Vec<Frame>, Vec<i64>)>;

fn prost_stacks(bytes: &[u8]) -> (ProtoProfile, Stacks) {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut raw)
        .unwrap();
    let p = ProtoProfile::decode(raw.as_slice()).unwrap();
    let s = |i: i64| p.string_table[i as usize].clone();
    let stacks = p
        .sample
        .iter()
        .map(|sample| {
            let frames = sample
                .location_id
                .iter()
                .flat_map(|id| {
                    let loc = p.location.iter().find(|l| l.id == *id).unwrap();
                    if loc.line.is_empty() {
                        return vec![Frame {
                            function: format!("0x{:x}", loc.address),
                            file: String::new(),
                            line: 0,
                        }];
                    }
                    loc.line
                        .iter()
                        .map(|line| {
                            let f = p
                                .function
                                .iter()
                                .find(|f| f.id == line.function_id)
                                .unwrap();
                            Frame {
                                function: s(f.name),
                                file: s(f.filename),
                                line: line.line,
                            }
                        })
                        .collect()
                })
                .collect();
            (frames, sample.value.clone())
        })
        .collect();
    (p, stacks)
}

#[test]
fn recorded_profiles_decode_as_prost_decodes_them() {
    for (name, bytes) in fixtures() {
        let ours = decode_profile(&bytes, &name, 64 << 20).unwrap();
        let (theirs, stacks) = prost_stacks(&bytes);
        assert!(!stacks.is_empty(), "{name}");
        let ours_stacks: Stacks = ours
            .samples
            .iter()
            .map(|s| {
                let frames = s.frames.iter().map(|&f| ours.frames[f as usize].clone());
                (frames.collect(), s.values.clone())
            })
            .collect();
        assert_eq!(ours_stacks, stacks, "{name}");
        let types: Vec<(String, String)> = ours
            .sample_types
            .iter()
            .map(|t| (t.name.clone(), t.unit.clone()))
            .collect();
        let s = |i: i64| theirs.string_table[i as usize].clone();
        let want: Vec<(String, String)> = theirs
            .sample_type
            .iter()
            .map(|t| (s(t.ty), s(t.unit)))
            .collect();
        assert_eq!(types, want, "{name}");
        assert_eq!(ours.time_nanos, theirs.time_nanos, "{name}");
        assert!(ours.time_nanos > 0, "{name}");
    }
}

/// Keeps what it is handed, to compare with what decode_profile keeps.
#[derive(Default)]
struct Kept {
    frames: usize,
    samples: Vec<StackSample>,
}

impl SampleSink for Kept {
    fn tables(&mut self, profile: &Profile) {
        assert!(self.samples.is_empty() && profile.samples.is_empty());
        self.frames = profile.frames.len();
    }

    fn sample(&mut self, frames: &[u32], values: &[i64]) {
        self.samples.push(StackSample {
            frames: frames.to_vec(),
            values: values.to_vec(),
        });
    }
}

#[test]
fn folding_hands_on_every_sample_decode_keeps() {
    for (name, bytes) in fixtures() {
        let whole = decode_profile(&bytes, &name, 64 << 20).unwrap();
        let mut kept = Kept::default();
        let tables = fold_profile(&bytes, &name, 64 << 20, &mut kept).unwrap();
        assert_eq!(kept.frames, whole.frames.len(), "{name}");
        assert_eq!(kept.samples, whole.samples, "{name}");
        assert!(tables.samples.is_empty());
        assert_eq!(tables.frames, whole.frames, "{name}");
    }
}

#[test]
fn unzipped_text_cut_and_capped_inputs_are_named() {
    let (name, bytes) = &fixtures()[0];
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut raw)
        .unwrap();
    // The same profile unzipped decodes the same.
    assert_eq!(
        decode_profile(&raw, name, 64 << 20).unwrap(),
        decode_profile(bytes, name, 64 << 20).unwrap()
    );
    let len = raw.len() as u64;
    assert!(
        decode_profile(bytes, name, len).is_ok(),
        "exactly at the cap"
    );
    for input in [bytes.as_slice(), raw.as_slice()] {
        assert!(matches!(
            decode_profile(input, name, len - 1),
            Err(ProfileError::TooLarge { limit, .. }) if limit == len - 1
        ));
    }
    assert!(matches!(
        decode_profile(
            b"heap profile: 26: 6291952 [26: 6291952] @ heap/1048576\n",
            "t",
            1 << 20
        ),
        Err(ProfileError::NotAProfile { .. })
    ));
    // Every cut of the unzipped bytes is an error, not a panic nor a smaller profile.
    for cut in (0..raw.len()).step_by(97).chain([raw.len() - 1]) {
        assert!(
            decode_profile(&raw[..cut], "cut", 64 << 20).is_err(),
            "cut at {cut}"
        );
    }
}
