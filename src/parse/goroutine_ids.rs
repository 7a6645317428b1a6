//! Reads a `?debug=2` goroutine dump as one record per goroutine — its ID, wait reason and
//! stack — so two dumps taken apart in time can be compared goroutine by goroutine. The
//! grouping parser (parse::goroutines) keeps only a few IDs per group; proving that the same
//! goroutines waited a whole window needs all of them.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

pub use crate::model::sample::GoroutineRecord;

/// Frames kept per goroutine: Go prints at most 100 before `...additional frames elided...`.
const MAX_FRAMES: usize = 1024;

/// Goroutines of one dump, in dump order. Lines that are not part of a goroutine block are
/// skipped: the dump may come with log prefixes or be cut short.
pub fn read_goroutine_records(text: &str) -> Vec<GoroutineRecord> {
    let mut records: Vec<GoroutineRecord> = Vec::new();
    let mut hasher: Option<DefaultHasher> = None;
    let mut function: Option<String> = None;
    let close = |records: &mut Vec<GoroutineRecord>, hasher: &mut Option<DefaultHasher>| {
        if let (Some(h), Some(last)) = (hasher.take(), records.last_mut()) {
            last.stack_key = h.finish();
        }
    };
    for line in text.lines() {
        if let Some((id, state)) = header(line) {
            close(&mut records, &mut hasher);
            records.push(GoroutineRecord {
                id,
                state,
                stack_key: 0,
                frames: Vec::new(),
            });
            hasher = Some(DefaultHasher::new());
            function = None;
            continue;
        }
        let Some(h) = hasher.as_mut() else {
            continue;
        };
        if line.is_empty() {
            close(&mut records, &mut hasher);
            continue;
        }
        if let Some(location) = line.strip_prefix('\t') {
            let location = location.split(" +0x").next().unwrap_or(location).trim();
            if let (Some(f), Some(last)) = (function.take(), records.last_mut()) {
                (f.as_str(), location).hash(h);
                // The key still covers every frame; only the kept copies are capped.
                if last.frames.len() < MAX_FRAMES {
                    last.frames.push((f, location.to_string()));
                }
            }
        } else if !line.starts_with("created by ") {
            function = Some(function_name(line).to_string());
        }
    }
    close(&mut records, &mut hasher);
    records
}

/// `goroutine 42 [sync.Mutex.Lock, 3 minutes]:` → (42, "sync.Mutex.Lock"). Newer runtimes
/// may add markers and labels after the reason; only the reason is kept.
fn header(line: &str) -> Option<(u64, String)> {
    let rest = line.strip_prefix("goroutine ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = rest[..digits].parse().ok()?;
    let open = rest.find('[')?;
    let close = rest.rfind("]:")?;
    let body = rest.get(open + 1..close)?;
    let state = body.split(", ").next().unwrap_or("").trim().to_string();
    Some((id, state))
}

/// `main.(*T).m(0xc000010000, {0x1, 0x2})` → `main.(*T).m`.
fn function_name(line: &str) -> &str {
    match line.strip_suffix(')').and_then(|l| l.rfind('(')) {
        Some(open) if open > 0 => &line[..open],
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "goroutine 1 [select, 2 minutes]:
main.main()
\t/app/main.go:9 +0x1d

goroutine 7 [chan send]:
main.(*store).flush(0xc000010000)
\t/app/store.go:44 +0x5b
main.handle(...)
\t/app/server.go:30
created by main.serve in goroutine 1
\t/app/server.go:17 +0x4f

goroutine 8 [sync.Mutex.Lock, 1 minutes]:
sync.runtime_SemacquireMutex(0xc000012345?, 0x0?, 0x1?)
\t/usr/local/go/src/runtime/sema.go:95 +0x25
sync.(*Mutex).lockSlow(0xc000010000)
\t/usr/local/go/src/sync/mutex.go:173 +0x15d
main.handle(...)
\t/app/server.go:28

goroutine 9 [sync.Mutex.Lock]:
sync.runtime_SemacquireMutex(0xc000099999?, 0x0?, 0x1?)
\t/usr/local/go/src/runtime/sema.go:95 +0x25
sync.(*Mutex).lockSlow(0xc000010000)
\t/usr/local/go/src/sync/mutex.go:173 +0x15d
main.handle(...)
\t/app/server.go:28
";

    #[test]
    fn one_record_per_goroutine_with_reason_and_stack() {
        let r = read_goroutine_records(DUMP);
        let ids: Vec<(u64, &str)> = r.iter().map(|g| (g.id, g.state.as_str())).collect();
        assert_eq!(
            ids,
            [
                (1, "select"),
                (7, "chan send"),
                (8, "sync.Mutex.Lock"),
                (9, "sync.Mutex.Lock")
            ]
        );
        // Arguments differ, frames do not: the same stack.
        assert_eq!(r[2].stack_key, r[3].stack_key);
        assert_ne!(r[1].stack_key, r[2].stack_key);
        assert_eq!(
            r[1].frames[1],
            ("main.handle".to_string(), "/app/server.go:30".to_string())
        );
        assert_eq!(r[1].frames.len(), 2, "created by is not a frame");
    }

    #[test]
    fn frames_kept_are_capped_but_the_key_sees_them_all() {
        let deep = |leaf: &str| {
            let mut text = String::from("goroutine 1 [select]:\n");
            for i in 0..3000 {
                text.push_str(&format!("main.f{i}()\n\t/m.go:{i} +0x1\n"));
            }
            text.push_str(&format!("{leaf}()\n\t/m.go:1\n"));
            read_goroutine_records(&text)
        };
        let (a, b) = (deep("main.a"), deep("main.b"));
        assert_eq!(a[0].frames.len(), MAX_FRAMES);
        assert_ne!(a[0].stack_key, b[0].stack_key);
    }

    #[test]
    fn garbage_gives_nothing() {
        assert!(read_goroutine_records("hello\n\tworld\n").is_empty());
        assert!(read_goroutine_records("goroutine x [y]:\n").is_empty());
    }
}
