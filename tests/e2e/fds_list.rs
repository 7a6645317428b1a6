//! `steady fds PID --list` on a real process holding descriptors this test opened itself:
//! each row is checked against what the test knows, and against lsfd where it is installed.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;

use std::process::Command;

use serde::Deserialize;

use crate::holders::{spawn_holding, Holder};
use crate::support::{steady, steady_json};

#[derive(Debug, Deserialize)]
struct Row {
    pid: i32,
    fd: i32,
    kind: String,
    target: String,
    direction: Option<String>,
    inode: Option<u64>,
    flags: Option<Vec<String>>,
    flags_octal: Option<String>,
    mode: Option<String>,
    pos: Option<u64>,
    pinned_bytes: Option<u64>,
}

/// Where each descriptor lands in the helper.
const SEEKED: RawFd = 40;
const APPENDED: RawFd = 41;
const DELETED: RawFd = 42;
const PIPE_READ: RawFd = 43;
const PIPE_WRITE: RawFd = 44;
const LISTENER: RawFd = 45;

struct Known {
    _dir: tempfile::TempDir,
    seeked: File,
    appended: File,
    deleted: File,
    pipe: [OwnedFd; 2],
    listener: TcpListener,
    deleted_pinned: u64,
    seeked_path: String,
}

fn open_known() -> Known {
    let dir = tempfile::tempdir().expect("temp dir");
    let seeked_path = dir.path().join("seeked.dat");
    std::fs::write(&seeked_path, vec![7u8; 10_000]).unwrap();
    let mut seeked = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&seeked_path)
        .unwrap();
    // The position lives in the open file, shared with the helper's copy.
    seeked.seek(SeekFrom::Start(1234)).unwrap();
    let appended = OpenOptions::new()
        .append(true)
        .create(true)
        .truncate(false)
        .open(dir.path().join("appended.log"))
        .unwrap();
    let deleted_path = dir.path().join("deleted.log");
    let mut writer = File::create(&deleted_path).unwrap();
    writer.write_all(&vec![1u8; 256 * 1024]).unwrap();
    writer.sync_all().unwrap();
    drop(writer);
    let deleted = File::open(&deleted_path).unwrap();
    std::fs::remove_file(&deleted_path).unwrap();
    let deleted_pinned = deleted.metadata().unwrap().blocks() * 512;
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2");
    // SAFETY: the kernel just returned these and nothing else owns them.
    let pipe = unsafe { [OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])] };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    Known {
        _dir: dir,
        seeked,
        appended,
        deleted,
        pipe,
        listener,
        deleted_pinned,
        seeked_path: seeked_path.display().to_string(),
    }
}

fn spawn_holder(known: &Known) -> Holder {
    spawn_holding(vec![
        (known.seeked.as_raw_fd(), SEEKED),
        (known.appended.as_raw_fd(), APPENDED),
        (known.deleted.as_raw_fd(), DELETED),
        (known.pipe[0].as_raw_fd(), PIPE_READ),
        (known.pipe[1].as_raw_fd(), PIPE_WRITE),
        (known.listener.as_raw_fd(), LISTENER),
    ])
}

fn row(rows: &[Row], fd: RawFd) -> &Row {
    rows.iter()
        .find(|r| r.fd == fd)
        .unwrap_or_else(|| panic!("no fd {fd} in {rows:#?}"))
}

fn flags(row: &Row) -> Vec<&str> {
    row.flags
        .as_ref()
        .expect("flags read")
        .iter()
        .map(String::as_str)
        .collect()
}

#[test]
fn fds_list_rows_match_what_the_test_opened() {
    let known = open_known();
    let holder = spawn_holder(&known);
    let pid = holder.pid.to_string();
    let (rows, code): (Vec<Row>, i32) = steady_json(&["fds", &pid, "--list"]);
    assert_eq!(code, 0);
    let numbers: Vec<i32> = rows.iter().map(|r| r.fd).collect();
    assert_eq!(numbers, vec![0, 1, 2, 40, 41, 42, 43, 44, 45], "{rows:#?}");
    assert!(rows.iter().all(|r| r.pid == holder.pid));
    for fd in 0..3 {
        let r = row(&rows, fd);
        assert_eq!(
            (r.kind.as_str(), r.target.as_str()),
            ("device", "/dev/null")
        );
    }

    let seeked = row(&rows, SEEKED);
    assert_eq!(seeked.kind, "file");
    assert_eq!(seeked.target, known.seeked_path);
    assert_eq!(seeked.pos, Some(1234));
    assert_eq!(seeked.mode.as_deref(), Some("rw"));
    assert_eq!(flags(seeked), ["O_RDWR"], "dup2 dropped O_CLOEXEC");
    let meta = known.seeked.metadata().unwrap();
    assert_eq!(seeked.inode, Some(meta.ino()));

    let appended = row(&rows, APPENDED);
    assert_eq!(flags(appended), ["O_WRONLY", "O_APPEND"]);
    assert_eq!(appended.mode.as_deref(), Some("w"));
    let octal = u32::from_str_radix(appended.flags_octal.as_deref().unwrap(), 8).unwrap();
    assert_eq!(octal as i32 & libc::O_APPEND, libc::O_APPEND);

    let deleted = row(&rows, DELETED);
    assert_eq!(deleted.kind, "deleted_file");
    assert!(deleted.target.ends_with("deleted.log"), "{deleted:?}");
    assert_eq!(deleted.pinned_bytes, Some(known.deleted_pinned));
    assert!(known.deleted_pinned >= 256 * 1024);
    assert_eq!(deleted.mode.as_deref(), Some("r"));
    assert_eq!(deleted.pos, Some(0));

    let (read, write) = (row(&rows, PIPE_READ), row(&rows, PIPE_WRITE));
    assert_eq!((read.kind.as_str(), write.kind.as_str()), ("pipe", "pipe"));
    assert_eq!(flags(read), ["O_RDONLY", "O_NONBLOCK"]);
    assert_eq!(flags(write), ["O_WRONLY", "O_NONBLOCK"]);
    assert_eq!(read.inode, write.inode, "two ends of one pipe");
    assert!(read.inode.is_some());

    let port = known.listener.local_addr().unwrap().port();
    let listener = row(&rows, LISTENER);
    assert_eq!(listener.kind, "tcp");
    assert_eq!(listener.target, format!("127.0.0.1:{port}"));
    assert_eq!(listener.direction.as_deref(), Some("listen"));

    compare_with_lsfd(holder.pid, &rows);
}

#[test]
fn fds_list_filters_by_kind_and_target_and_prints_a_table() {
    let known = open_known();
    let holder = spawn_holder(&known);
    let pid = holder.pid.to_string();
    let (pipes, _): (Vec<Row>, i32) = steady_json(&["fds", &pid, "--list", "--kind", "pipe"]);
    let numbers: Vec<i32> = pipes.iter().map(|r| r.fd).collect();
    assert_eq!(numbers, [PIPE_READ, PIPE_WRITE]);
    let (some, _): (Vec<Row>, i32) = steady_json(&[
        "fds",
        &pid,
        "--list",
        "--kind",
        "file,tcp",
        "--match",
        r"seeked\.dat$|^127\.",
    ]);
    let numbers: Vec<i32> = some.iter().map(|r| r.fd).collect();
    assert_eq!(numbers, [SEEKED, LISTENER]);

    let out = steady(&["fds", &pid, "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{SEEKED} ")))
        .unwrap_or_else(|| panic!("no fd {SEEKED} line in\n{text}"));
    for part in ["file", "rw", "1234", "O_RDWR", "seeked.dat"] {
        assert!(line.contains(part), "{part} in {line:?}");
    }
    assert!(text.contains("pins 256"), "{text}");
    assert!(text.trim_end().ends_with("9 descriptors"), "{text}");
    let bad = steady(&["fds", &pid, "--list", "--kind", "sockets"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tcp, udp"));
}

/// lsfd (util-linux) on the same process: the same descriptor numbers, and kinds that agree
/// where the two name the same thing.
fn compare_with_lsfd(pid: i32, rows: &[Row]) {
    let Ok(out) = Command::new("lsfd")
        .args(["-p", &pid.to_string(), "-J"])
        .output()
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "lsfd is missing: .ci/run installs it (Debian: util-linux-extra); under CI=true this comparison may not be skipped"
        );
        eprintln!("lsfd is not installed (Debian: apt-get install util-linux-extra): not compared");
        return;
    };
    assert!(out.status.success(), "lsfd failed: {out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("lsfd -J");
    let mut theirs: Vec<(i32, String, String)> = doc["lsfd"]
        .as_array()
        .expect("lsfd array")
        .iter()
        .filter_map(|e| {
            let fd = e["assoc"].as_str()?.parse().ok()?;
            Some((
                fd,
                e["type"].as_str()?.to_string(),
                e["name"].as_str()?.to_string(),
            ))
        })
        .collect();
    theirs.sort();
    let fds: Vec<i32> = theirs.iter().map(|t| t.0).collect();
    let ours: Vec<i32> = rows.iter().map(|r| r.fd).collect();
    assert_eq!(fds, ours, "lsfd lists {theirs:?}");
    for (fd, ty, name) in &theirs {
        let kind = &row(rows, *fd).kind;
        let want = match (ty.as_str(), name.as_str()) {
            ("REG", n) if n.ends_with(" (deleted)") => "deleted_file",
            ("REG", _) => "file",
            ("CHR", _) => "device",
            ("FIFO", _) => "pipe",
            ("SOCK", n) if n.starts_with("TCP") => "tcp",
            other => panic!("fd {fd}: lsfd type {other:?} not expected here"),
        };
        assert_eq!(kind, want, "fd {fd}: lsfd says {ty} {name}");
    }
}

/// Past a thousand descriptors the rows are read on two threads: still every descriptor,
/// once, in order, each kind as many as the census counts.
#[test]
fn fds_list_of_a_large_table_is_complete_and_in_order() {
    let target = crate::support::Target::spawn(
        "fd_mix",
        &[
            "--tcp",
            "300",
            "--pipes",
            "400",
            "--unix-pairs",
            "300",
            "--files",
            "300",
            "--eventfds",
            "300",
            "--lifetime",
            "60",
        ],
    );
    let pid = target.pid_arg();
    let (census, _): (serde_json::Value, i32) = steady_json(&["fds", &pid]);
    let (rows, code): (Vec<Row>, i32) = steady_json(&["fds", &pid, "--list"]);
    assert_eq!(code, 0);
    assert_eq!(rows.len() as u64, census["total"].as_u64().unwrap());
    assert!(rows.len() > 2500, "{}", rows.len());
    assert!(
        rows.windows(2).all(|w| w[0].fd < w[1].fd),
        "ascending, no repeats"
    );
    let listed: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect::<std::collections::BTreeSet<i32>>()
        .into_iter()
        .collect();
    let ours: Vec<i32> = rows.iter().map(|r| r.fd).collect();
    assert_eq!(ours, listed);
    for (kind, n) in census["by_kind"].as_object().unwrap() {
        let got = rows.iter().filter(|r| &r.kind == kind).count() as u64;
        assert_eq!(got, n.as_u64().unwrap(), "{kind}");
    }
    assert!(rows.iter().all(|r| r.flags.is_some() && r.pos.is_some()));
}
