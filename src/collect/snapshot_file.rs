//! Snapshot files: the profile bytes exactly as served (FILE) and the facts beside them
//! (FILE.json); for processes without a profile, one JSON file with their smaps.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::model::snapshot::{Snapshot, SnapshotMeta};

#[derive(Debug, Error)]
pub enum SnapshotFileError {
    #[error("cannot read {path}: {source} — check the file name")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write {path}: {source} — choose another place with -o")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is larger than {limit} bytes — raise --max-bytes if it is really a profile that large")]
    TooLarge { path: String, limit: u64 },

    #[error("{path} is not a steady snapshot: {reason} — pass a file written by `steady heap snapshot`, or a pprof profile")]
    BadMeta { path: String, reason: String },
}

/// The default file name: `heap-PID-20261202T101500.pb.gz` (local time, ISO 8601 basic
/// format, so names sort by time and read at a glance), or `.smaps.json` without a profile.
pub fn default_path(snapshot: &Snapshot) -> PathBuf {
    let stamp = local_iso_stamp(snapshot.meta.taken_at as i64);
    let ext = if snapshot.profile.is_some() {
        "pb.gz"
    } else {
        "smaps.json"
    };
    PathBuf::from(format!("heap-{}-{stamp}.{ext}", snapshot.meta.pid))
}

/// `20261202T101500` in the local time zone (TZ, /etc/localtime), from seconds since the epoch.
fn local_iso_stamp(secs: i64) -> String {
    let t = secs as libc::time_t;
    // SAFETY: an all-zero tm is a valid value for localtime_r to overwrite.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live values for the whole call; localtime_r is the
    // re-entrant form and keeps no pointer to them.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return secs.to_string();
    }
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

fn meta_path(profile: &Path) -> PathBuf {
    let mut name = profile.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// Writes the snapshot; returns the files written (profile first).
pub fn save(snapshot: &Snapshot, path: &Path) -> Result<Vec<PathBuf>, SnapshotFileError> {
    let write = |p: &Path, bytes: &[u8]| {
        fs::write(p, bytes).map_err(|source| SnapshotFileError::Write {
            path: p.display().to_string(),
            source,
        })
    };
    let mut meta = snapshot.meta.clone();
    match &snapshot.profile {
        Some(bytes) => {
            write(path, bytes)?;
            meta.profile_file = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let json_path = meta_path(path);
            write(&json_path, &to_json(&meta))?;
            Ok(vec![path.to_path_buf(), json_path])
        }
        None => {
            let path = smaps_path(path);
            write(&path, &to_json(&meta))?;
            Ok(vec![path])
        }
    }
}

/// Where an smaps snapshot goes when asked for `path`: a name that says what it is, never a
/// `.pb.gz` that `go tool pprof` would then reject (`y.pb.gz` → `y.smaps.json`).
pub fn smaps_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    match name {
        Some(n) if n.ends_with(".json") => path.to_path_buf(),
        Some(n) => {
            let stem = [".pb.gz", ".gz", ".pb", ".pprof"]
                .iter()
                .find_map(|ext| n.strip_suffix(ext))
                .unwrap_or(&n);
            path.with_file_name(format!("{stem}.smaps.json"))
        }
        None => path.to_path_buf(),
    }
}

fn to_json(meta: &SnapshotMeta) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(meta).expect("snapshot facts serialize");
    bytes.push(b'\n');
    bytes
}

/// Reads a snapshot from its profile file, its JSON file, or a bare pprof profile.
pub fn load(path: &Path, max_bytes: u64) -> Result<Snapshot, SnapshotFileError> {
    let bytes = read_bounded(path, max_bytes)?;
    if bytes.first() == Some(&b'{') {
        let meta = parse_meta(path, &bytes)?;
        let profile = match &meta.profile_file {
            Some(name) => {
                let sibling = path.parent().unwrap_or(Path::new(".")).join(name);
                Some(read_bounded(&sibling, max_bytes)?)
            }
            None => None,
        };
        return Ok(Snapshot { meta, profile });
    }
    let json_path = meta_path(path);
    let meta = match fs::read(&json_path) {
        Ok(json) => parse_meta(&json_path, &json)?,
        Err(_) => SnapshotMeta::bare(),
    };
    Ok(Snapshot {
        meta,
        profile: Some(bytes),
    })
}

fn parse_meta(path: &Path, bytes: &[u8]) -> Result<SnapshotMeta, SnapshotFileError> {
    serde_json::from_slice(bytes).map_err(|err| SnapshotFileError::BadMeta {
        path: path.display().to_string(),
        reason: err.to_string(),
    })
}

fn read_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, SnapshotFileError> {
    let read_err = |source| SnapshotFileError::Read {
        path: path.display().to_string(),
        source,
    };
    let file = fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > max_bytes {
        return Err(SnapshotFileError::TooLarge {
            path: path.display().to_string(),
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smaps_snapshot_never_takes_a_profile_name() {
        for (asked, written) in [
            ("/tmp/y.pb.gz", "/tmp/y.smaps.json"),
            ("y.pprof", "y.smaps.json"),
            ("y", "y.smaps.json"),
            ("/tmp/y.smaps.json", "/tmp/y.smaps.json"),
            ("/tmp/y.json", "/tmp/y.json"),
        ] {
            assert_eq!(
                smaps_path(Path::new(asked)),
                PathBuf::from(written),
                "{asked}"
            );
        }
    }

    #[test]
    fn default_names_carry_a_local_iso_time() {
        let stamp = local_iso_stamp(1_796_292_900);
        assert_eq!(stamp.len(), 15, "{stamp}");
        assert_eq!(&stamp[8..9], "T", "{stamp}");
        assert!(stamp.starts_with("2026"), "{stamp}");
        assert!(stamp
            .chars()
            .filter(|c| *c != 'T')
            .all(|c| c.is_ascii_digit()));
    }
}
