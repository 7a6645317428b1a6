//! Robust trend of one series of (time, value) points: Theil–Sen slope, how sure it is, and
//! its shape (linear, step, sawtooth rising, levelling off).

/// Above this many points, every k-th is used for the O(n²) slope.
const MAX_POINTS: usize = 600;

use crate::analyze::policy::ShapePolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Rises (or falls) steadily.
    Linear,
    /// Nearly all the change happened at once: a step, not a drift.
    Step,
    /// Rises in waves (GC cycles, cache flushes) with rising troughs.
    SawtoothRising,
    /// Rose, then flattened out.
    LevellingOff,
    Flat,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::Step => "step",
            Shape::SawtoothRising => "sawtooth-rising",
            Shape::LevellingOff => "levelling-off",
            Shape::Flat => "flat",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Units per second.
    pub slope: f64,
    /// Share of point pairs that rise: 1.0 for a clean rise, about 0.5 for noise.
    pub rising_pairs: f64,
    pub first: f64,
    pub last: f64,
    /// The fitted change over the span: slope × (last time − first time).
    pub growth: f64,
    pub span_seconds: f64,
    pub shape: Shape,
}

impl Trend {
    pub fn per_minute(&self) -> f64 {
        self.slope * 60.0
    }
}

/// The median of pairwise slopes; None with fewer than three points or no time span.
pub fn trend(points: &[(f64, f64)], policy: &ShapePolicy) -> Option<Trend> {
    if points.len() < 3 {
        return None;
    }
    let span_seconds = points[points.len() - 1].0 - points[0].0;
    if span_seconds <= 0.0 {
        return None;
    }
    let stride = points.len().div_ceil(MAX_POINTS).max(1);
    let pts: Vec<(f64, f64)> = points.iter().step_by(stride).copied().collect();
    let mut slopes = Vec::with_capacity(pts.len() * (pts.len() - 1) / 2);
    let (mut up, mut down) = (0usize, 0usize);
    for i in 0..pts.len() {
        for j in i + 1..pts.len() {
            let dt = pts[j].0 - pts[i].0;
            if dt <= 0.0 {
                continue;
            }
            let dv = pts[j].1 - pts[i].1;
            slopes.push(dv / dt);
            if dv > 0.0 {
                up += 1;
            } else if dv < 0.0 {
                down += 1;
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    let slope = median(&mut slopes);
    let pairs = (up + down).max(1) as f64;
    let first = points[0].1;
    let last = points[points.len() - 1].1;
    let growth = slope * span_seconds;
    let trend = Trend {
        slope,
        rising_pairs: if up + down == 0 {
            0.5
        } else {
            up as f64 / pairs
        },
        first,
        last,
        growth,
        span_seconds,
        shape: Shape::Flat,
    };
    Some(Trend {
        shape: shape(points, &trend, policy),
        ..trend
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn shape(points: &[(f64, f64)], t: &Trend, policy: &ShapePolicy) -> Shape {
    let total = t.last - t.first;
    let range = points.iter().map(|p| p.1).fold(f64::MIN, f64::max)
        - points.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    if range <= 0.0 {
        return Shape::Flat;
    }
    let biggest_jump = points
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .fold(0.0, f64::max);
    // A sparse series (Go figures come every few samples) jumps between every pair of points.
    if points.len() >= policy.step_min_points
        && total > 0.0
        && biggest_jump >= policy.step_share * total
    {
        return Shape::Step;
    }
    let drops = points
        .windows(2)
        .filter(|w| w[0].1 - w[1].1 > policy.drop_share * range)
        .count();
    if t.slope > 0.0 && drops >= 2 {
        return Shape::SawtoothRising;
    }
    let cut = points.len() * 2 / 3;
    if cut >= 3 && points.len() - cut >= 3 {
        if let (Some(early), Some(late)) =
            (trend_slope(&points[..cut]), trend_slope(&points[cut..]))
        {
            if early > 0.0 && late < policy.levelling_ratio * early {
                return Shape::LevellingOff;
            }
        }
    }
    if t.slope == 0.0 {
        Shape::Flat
    } else {
        Shape::Linear
    }
}

/// The Theil–Sen slope alone, for the shape's sub-spans.
fn trend_slope(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes = Vec::new();
    for i in 0..points.len() {
        for j in i + 1..points.len() {
            let dt = points[j].0 - points[i].0;
            if dt > 0.0 {
                slopes.push((points[j].1 - points[i].1) / dt);
            }
        }
    }
    (!slopes.is_empty()).then(|| median(&mut slopes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(points: &[(f64, f64)]) -> Option<Trend> {
        trend(points, &ShapePolicy::default())
    }

    fn series(f: impl Fn(f64) -> f64, n: usize) -> Vec<(f64, f64)> {
        (0..n).map(|i| (i as f64, f(i as f64))).collect()
    }

    /// Deterministic noise in [-1, 1].
    fn noise(i: f64) -> f64 {
        ((i * 12.9898).sin() * 43758.5453).fract() * 2.0 - 1.0
    }

    #[test]
    fn linear_growth() {
        let t = fit(&series(|x| 100.0 + 2.0 * x + noise(x), 60)).unwrap();
        assert!((t.slope - 2.0).abs() < 0.1, "{t:?}");
        assert!(t.rising_pairs > 0.95);
        assert_eq!(t.shape, Shape::Linear);
        assert!((t.per_minute() - 120.0).abs() < 6.0);
    }

    #[test]
    fn step_is_not_a_drift() {
        let t = fit(&series(
            |x| {
                if x < 30.0 {
                    100.0 + noise(x)
                } else {
                    400.0 + noise(x)
                }
            },
            60,
        ))
        .unwrap();
        assert_eq!(t.shape, Shape::Step, "{t:?}");
    }

    #[test]
    fn sawtooth_rising() {
        // GC-like waves: climbs 10 per second, drops back by 60 every 10 s, base rises 20.
        let t = fit(&series(|x| 1000.0 + 2.0 * x + 10.0 * (x % 10.0), 60)).unwrap();
        assert_eq!(t.shape, Shape::SawtoothRising, "{t:?}");
        assert!(t.slope > 0.0);
    }

    #[test]
    fn warm_up_then_flat_levels_off() {
        let t = fit(&series(
            |x| {
                if x < 20.0 {
                    10.0 * x
                } else {
                    200.0 + noise(x) * 0.5
                }
            },
            60,
        ))
        .unwrap();
        assert_eq!(t.shape, Shape::LevellingOff, "{t:?}");
    }

    #[test]
    fn noisy_flat() {
        let t = fit(&series(|x| 500.0 + 5.0 * noise(x), 60)).unwrap();
        assert!(t.slope.abs() < 0.2, "{t:?}");
        assert!((0.3..0.7).contains(&t.rising_pairs), "{t:?}");
    }

    #[test]
    fn too_few_points() {
        assert!(fit(&[(0.0, 1.0), (1.0, 2.0)]).is_none());
        assert!(fit(&[(0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]).is_none());
    }
}
