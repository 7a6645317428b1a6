//! Parses the `# runtime.MemStats` trailer of Go's /debug/pprof/heap?debug=1 text.

use std::collections::HashMap;

use crate::model::memory::MemStats;

/// None when the text has no MemStats trailer (not a Go heap profile in debug=1 form).
pub fn parse_memstats(text: &str) -> Option<MemStats> {
    let start = text.find("# runtime.MemStats")?;
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for line in text[start..].lines().skip(1) {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        if let Some((key, value)) = rest.split_once(" = ") {
            fields.insert(key.trim(), value.trim());
        }
    }
    let num = |key: &str| -> u64 {
        fields
            .get(key)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    // "# Stack = 1212416 / 1212416" is inuse / sys; likewise MSpan and MCache.
    let second = |key: &str| -> u64 {
        fields
            .get(key)
            .and_then(|v| v.split(" / ").nth(1))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    // "# PauseEnd = [a b c ...]": a ring of the last 256 cycles' end times; cycle k (1-based)
    // sits at (k - 1) % 256.
    let pause_end: Vec<u64> = fields
        .get("PauseEnd")
        .map(|v| {
            v.trim_matches(|c| c == '[' || c == ']')
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let num_gc = num("NumGC");
    let mut recent_gc_ends_unix_ns = [0u64; 4];
    for (back, end) in recent_gc_ends_unix_ns.iter_mut().enumerate() {
        if let (Some(k), false) = (num_gc.checked_sub(back as u64 + 1), pause_end.is_empty()) {
            *end = pause_end[(k % pause_end.len() as u64) as usize];
        }
    }
    if !fields.contains_key("HeapAlloc") {
        return None;
    }
    Some(MemStats {
        alloc: num("Alloc"),
        total_alloc: num("TotalAlloc"),
        sys: num("Sys"),
        heap_alloc: num("HeapAlloc"),
        heap_sys: num("HeapSys"),
        heap_idle: num("HeapIdle"),
        heap_inuse: num("HeapInuse"),
        heap_released: num("HeapReleased"),
        heap_objects: num("HeapObjects"),
        stack_inuse: num("Stack"),
        stack_sys: second("Stack"),
        mspan_sys: second("MSpan"),
        mcache_sys: second("MCache"),
        buck_hash_sys: num("BuckHashSys"),
        gc_sys: num("GCSys"),
        other_sys: num("OtherSys"),
        next_gc: num("NextGC"),
        num_gc,
        last_gc_unix_ns: num("LastGC"),
        recent_gc_ends_unix_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRAILER: &str = "heap profile: 26: 6291952 [26: 6291952] @ heap/1048576
1: 4194304 [1: 4194304] @ 0x4a1b2c 0x43b296
#\t0x4a1b2b\tmain.warm+0x2b\t/src/main.go:20

# runtime.MemStats
# Alloc = 7340032
# TotalAlloc = 9437184
# Sys = 20219912
# Lookups = 0
# Mallocs = 1200
# Frees = 300
# HeapAlloc = 7340032
# HeapSys = 11796480
# HeapIdle = 3457024
# HeapInuse = 8339456
# HeapReleased = 3112960
# HeapObjects = 900
# Stack = 524288 / 524288
# MSpan = 65280 / 81600
# MCache = 14400 / 15600
# BuckHashSys = 1445303
# GCSys = 4194304
# OtherSys = 1155105
# NextGC = 8388608
# LastGC = 1700000000000000000
# PauseNs = [12000 13000 0 0]
# PauseEnd = [1699999990000000000 1700000000000000000 0 0]
# NumGC = 2
# NumForcedGC = 0
# GCCPUFraction = 1.2e-05
# DebugGC = false
# MaxRSS = 12345678
";

    #[test]
    fn reads_the_trailer() {
        let m = parse_memstats(TRAILER).unwrap();
        assert_eq!(m.heap_alloc, 7_340_032);
        assert_eq!(m.heap_inuse, 8_339_456);
        assert_eq!(m.heap_idle, 3_457_024);
        assert_eq!(m.heap_released, 3_112_960);
        assert_eq!((m.stack_inuse, m.stack_sys), (524_288, 524_288));
        assert_eq!(m.mspan_sys, 81_600);
        assert_eq!(m.mcache_sys, 15_600);
        assert_eq!(m.other_sys, 1_155_105);
        assert_eq!(m.num_gc, 2);
        assert_eq!(m.last_gc_unix_ns, 1_700_000_000_000_000_000);
        assert_eq!(
            m.recent_gc_ends_unix_ns,
            [1_700_000_000_000_000_000, 1_699_999_990_000_000_000, 0, 0]
        );
    }

    #[test]
    fn the_last_cycles_ends_come_from_the_pause_end_ring() {
        // (NumGC, PauseEnd ring) -> the ends of cycles NumGC, NumGC - 1, ...
        // 4 slots here (Go has 256): cycle k sits at (k - 1) % 4, so cycles 5 and 6 overwrote
        // slots 0 and 1.
        let ring = "[50 60 30 40]";
        for (num_gc, ring, want) in [
            (0, "[0 0 0 0]", [0, 0, 0, 0]),
            (1, "[10 0 0 0]", [10, 0, 0, 0]),
            (2, "[10 20 0 0]", [20, 10, 0, 0]),
            (5, "[50 20 30 40]", [50, 40, 30, 20]),
            (6, ring, [60, 50, 40, 30]),
        ] {
            let text = format!(
                "# runtime.MemStats\n# HeapAlloc = 1\n# PauseEnd = {ring}\n# NumGC = {num_gc}\n"
            );
            let m = parse_memstats(&text).unwrap();
            assert_eq!(m.recent_gc_ends_unix_ns, want, "NumGC {num_gc} ring {ring}");
        }
    }

    #[test]
    fn no_trailer_is_none() {
        assert_eq!(
            parse_memstats("heap profile: 0: 0 [0: 0] @ heap/1048576\n"),
            None
        );
        assert_eq!(parse_memstats("<html>404</html>"), None);
    }
}
