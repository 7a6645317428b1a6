//! Reads Go's `/debug/pprof/heap?debug=1` text a line at a time: the in-use totals of the
//! profile records, scaled the way `go tool pprof` scales them, and the `# runtime.MemStats`
//! trailer. The profile's in-use figures change only when a GC ends, so they measure the live
//! heap without the garbage that MemStats' HeapAlloc carries between cycles.

use crate::model::memory::MemStats;
use crate::parse::memstats::parse_memstats;

/// The trailer is a few KiB (PauseNs included); more than this is not a MemStats trailer.
const MAX_TRAILER: usize = 64 << 10;

#[derive(Debug, Default)]
pub struct HeapTextReader {
    /// MemProfileRate: the header prints twice it (`@ heap/1048576` for the default 512 KiB).
    rate: Option<f64>,
    inuse_bytes: f64,
    inuse_objects: f64,
    records: u64,
    trailer: Option<String>,
}

/// What one `heap?debug=1` answer said.
#[derive(Debug, Clone, PartialEq)]
pub struct HeapText {
    /// Bytes in use as of the last completed GC, scaled for sampling; None without a header.
    pub inuse_bytes: Option<u64>,
    pub inuse_objects: Option<u64>,
    pub memstats: Option<MemStats>,
}

impl HeapTextReader {
    pub fn new() -> HeapTextReader {
        HeapTextReader::default()
    }

    /// One line, without its newline.
    pub fn feed(&mut self, line: &str) {
        if let Some(trailer) = self.trailer.as_mut() {
            if trailer.len() + line.len() < MAX_TRAILER {
                trailer.push_str(line);
                trailer.push('\n');
            }
            return;
        }
        if line.starts_with("# runtime.MemStats") {
            self.trailer = Some(format!("{line}\n"));
            return;
        }
        if let Some(rest) = line.strip_prefix("heap profile: ") {
            self.rate = rest
                .rsplit_once("@ heap/")
                .and_then(|(_, r)| r.trim().parse::<f64>().ok())
                .map(|twice| twice / 2.0);
            return;
        }
        if let Some((objects, bytes)) = parse_record(line) {
            let (o, b) = scale(objects, bytes, self.rate.unwrap_or(0.0));
            self.inuse_objects += o;
            self.inuse_bytes += b;
            self.records += 1;
        }
    }

    pub fn finish(self) -> HeapText {
        let header = self.rate.is_some();
        HeapText {
            inuse_bytes: header.then_some(self.inuse_bytes as u64),
            inuse_objects: header.then_some(self.inuse_objects as u64),
            memstats: self.trailer.as_deref().and_then(parse_memstats),
        }
    }
}

/// `3: 3145728 [5: 5242880] @ 0x4a1b2c 0x43b296`: in-use objects and bytes first.
fn parse_record(line: &str) -> Option<(f64, f64)> {
    let (head, _) = line.split_once(" [")?;
    let (objects, bytes) = head.split_once(": ")?;
    Some((objects.trim().parse().ok()?, bytes.trim().parse().ok()?))
}

/// runtime/pprof's scaleHeapSample: a record stands for 1 / (1 - e^(-avg/rate)) as many.
fn scale(objects: f64, bytes: f64, rate: f64) -> (f64, f64) {
    if objects <= 0.0 || bytes <= 0.0 {
        return (0.0, 0.0);
    }
    if rate <= 1.0 {
        return (objects, bytes);
    }
    let avg = bytes / objects;
    let factor = 1.0 / (1.0 - (-avg / rate).exp());
    (objects * factor, bytes * factor)
}

pub fn read_heap_text(text: &str) -> HeapText {
    let mut reader = HeapTextReader::new();
    for line in text.lines() {
        reader.feed(line);
    }
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_records_like_pprof_and_reads_the_trailer() {
        let text = "heap profile: 3: 4259840 [9: 9437184] @ heap/1048576
1: 4194304 [1: 4194304] @ 0x4a1b2c 0x43b296
#\t0x4a1b2b\tmain.warm+0x2b\t/src/main.go:20

2: 65536 [8: 5242880] @ 0x4a1c00
0: 0 [4: 4096] @ 0x4a1d00

# runtime.MemStats
# Alloc = 7340032
# HeapAlloc = 7340032
# HeapInuse = 8339456
# NextGC = 9000000
# LastGC = 1700000000123456789
# NumGC = 12
";
        let h = read_heap_text(text);
        // 4 MiB objects are always sampled (factor ~1); 32 KiB ones stand for 1/(1-e^-1/16).
        let small = 65536.0 / (1.0 - (-32768.0f64 / 524288.0).exp());
        let want = 4194304.0 / (1.0 - (-4194304.0f64 / 524288.0).exp()) + small;
        assert_eq!(h.inuse_bytes, Some(want as u64));
        assert!(h.inuse_bytes.unwrap() > 4194304 + 65536 * 15);
        let m = h.memstats.unwrap();
        assert_eq!((m.num_gc, m.next_gc), (12, 9000000));
        assert_eq!(m.last_gc_unix_ns, 1700000000123456789);
    }

    #[test]
    fn not_a_heap_profile() {
        let h = read_heap_text("<html>hello</html>\n");
        assert_eq!((h.inuse_bytes, h.memstats), (None, None));
    }
}
