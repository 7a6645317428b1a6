//! Parses /proc/PID/cgroup and the cgroup controller files steady reads (cpu.max). Pure text;
//! the files are read in collect/.

/// One line of /proc/PID/cgroup: `hierarchy-ID:controller-list:cgroup-path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgroupEntry<'a> {
    pub hierarchy: &'a str,
    /// Comma-separated (`cpu,cpuacct`); empty for the v2 unified hierarchy.
    pub controllers: &'a str,
    /// As written, untrimmed: the path may itself hold `:`.
    pub path: &'a str,
}

impl CgroupEntry<'_> {
    /// The cgroup v2 (unified) line: `0::/system.slice/app.service`.
    pub fn is_unified(&self) -> bool {
        self.hierarchy == "0" && self.controllers.is_empty()
    }

    pub fn has_controller(&self, name: &str) -> bool {
        self.controllers.split(',').any(|c| c == name)
    }
}

/// The lines that have all three fields, in order; others are skipped.
pub fn parse_cgroup(text: &str) -> Vec<CgroupEntry<'_>> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            Some(CgroupEntry {
                hierarchy: parts.next()?,
                controllers: parts.next()?,
                path: parts.next()?,
            })
        })
        .collect()
}

/// cgroup v2 `cpu.max`: `QUOTA PERIOD` in microseconds ("200000 100000" = 2 CPUs). None when
/// unlimited (`max`) or unreadable.
pub fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut f = text.split_whitespace();
    let (quota, period) = (f.next()?, f.next()?);
    if quota == "max" {
        return None;
    }
    Some(quota.parse::<f64>().ok()? / period.parse::<f64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_v2_and_hybrid_lines() {
        let text = "12:cpu,cpuacct:/kubepods/pod1/abc\n4:memory:/kubepods/pod1/abc\n0::/system.slice/app.service\nbroken line\n1:name=systemd:/a:b\n";
        let got = parse_cgroup(text);
        assert_eq!(got.len(), 4);
        assert!(got[0].has_controller("cpu") && !got[0].has_controller("cpuset"));
        assert!(got[1].has_controller("memory"));
        assert!(got[2].is_unified());
        assert_eq!(got[2].path, "/system.slice/app.service");
        assert_eq!(got[3].path, "/a:b");
    }

    #[test]
    fn cpu_max() {
        assert_eq!(parse_cpu_max("200000 100000\n"), Some(2.0));
        assert_eq!(parse_cpu_max("max 100000\n"), None);
        assert_eq!(parse_cpu_max("50000"), None);
        assert_eq!(parse_cpu_max(""), None);
    }
}
