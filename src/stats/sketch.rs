//! A mergeable log-bucket quantile sketch (in the manner of DDSketch, Masson et al.,
//! 2019): a value `x > 0` falls in bucket `ceil(ln x / ln gamma)`, so any percentile it
//! returns lies within `ALPHA` (relative) of a value of the true order statistic's
//! bucket. Negative values use mirrored buckets; values within `1e-9` of zero count as
//! zero. The least and greatest values are kept exactly: they are the first and last
//! ranks, and every other figure is kept between them, a clamp that can only bring it
//! closer to the true one (and that makes the percentiles of equal values exact).

/// Relative accuracy of percentiles.
pub const ALPHA: f64 = 0.005;

/// Dense counts of consecutive buckets, starting at bucket `first`.
#[derive(Debug, Clone, Default)]
struct Dense {
    first: i32,
    counts: Vec<u64>,
}

impl Dense {
    fn add(&mut self, k: i32) {
        if self.counts.is_empty() {
            self.first = k;
        }
        if k < self.first {
            let grow = (self.first - k) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.first = k;
        }
        let i = (k - self.first) as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
    }

    /// (bucket, count) in increasing bucket order.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, &c)| (self.first + i as i32, c))
    }
}

/// The sketch.
#[derive(Debug, Clone, Default)]
pub struct Sketch {
    pos: Dense,
    neg: Dense,
    zero: u64,
    n: u64,
    /// The least and greatest values added (as counted: 0 for one within `1e-9` of it).
    min: f64,
    max: f64,
}

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

impl Sketch {
    /// Adds a value.
    pub fn push(&mut self, x: f64) {
        let counted = if x.abs() <= 1e-9 || !x.is_finite() {
            0.0
        } else {
            x
        };
        (self.min, self.max) = if self.n == 0 {
            (counted, counted)
        } else {
            (self.min.min(counted), self.max.max(counted))
        };
        self.n += 1;
        if counted == 0.0 {
            self.zero += 1;
            return;
        }
        let k = (x.abs().ln() / gamma().ln()).ceil() as i32;
        if x > 0.0 {
            self.pos.add(k)
        } else {
            self.neg.add(k)
        }
    }

    /// The `p` percentile (nearest rank), within `ALPHA` relative error.
    pub fn quantile(&self, p: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let rank = ((p * (self.n - 1) as f64).round() as u64).min(self.n - 1);
        match rank {
            0 => self.min,
            r if r == self.n - 1 => self.max,
            r => self.at_rank(r).clamp(self.min, self.max),
        }
    }

    /// The value of rank `rank` at the middle of its bucket.
    fn at_rank(&self, rank: u64) -> f64 {
        let g = gamma();
        let mid = |k: i32| 2.0 * g.powi(k) / (g + 1.0);
        let mut seen = 0;
        for (k, c) in self.neg.iter().rev() {
            seen += c;
            if seen > rank {
                return -mid(k);
            }
        }
        seen += self.zero;
        if seen > rank {
            return 0.0;
        }
        for (k, c) in self.pos.iter() {
            seen += c;
            if seen > rank {
                return mid(k);
            }
        }
        f64::NAN
    }

    /// The mean of the worst 5% of the values (the highest when `higher_is_worse`, else
    /// the lowest; as many as `stats::cvar95` takes), each counted at its bucket's
    /// value: within `ALPHA` of the mean of their magnitudes.
    pub fn cvar95(&self, higher_is_worse: bool) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let g = gamma();
        let mid = |k: i32| 2.0 * g.powi(k) / (g + 1.0);
        // (value, count) in increasing order of value.
        let ascending = (self.neg.iter().rev().map(|(k, c)| (-mid(k), c)))
            .chain(std::iter::once((0.0, self.zero)))
            .chain(self.pos.iter().map(|(k, c)| (mid(k), c)));
        let k = ((self.n as f64 * 0.05).ceil() as u64).max(1);
        let mut left = k;
        let mut sum = 0.0;
        let mut take = |(x, c): (f64, u64)| {
            let n = c.min(left);
            sum += x * n as f64;
            left -= n;
            left == 0
        };
        if higher_is_worse {
            ascending.rev().any(&mut take);
        } else {
            ascending.into_iter().any(&mut take);
        }
        (sum / k as f64).clamp(self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_within_relative_accuracy() {
        let mut s = Sketch::default();
        let xs: Vec<f64> = (1..=10_000).map(|i| i as f64 * 0.37 - 500.0).collect();
        xs.iter().for_each(|&x| s.push(x));
        for p in [0.1, 0.5, 0.9] {
            let exact = xs[(p * 9_999.0_f64).round() as usize];
            let got = s.quantile(p);
            assert!(
                (got - exact).abs() <= ALPHA * exact.abs() + 1e-9,
                "{p}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn figures_stay_between_the_least_and_greatest_values() {
        // 3630 is not the middle of its bucket: without the clamp every percentile of
        // these equal values read 3623.
        let mut same = Sketch::default();
        (0..20).for_each(|_| same.push(3630.0));
        for p in [0.0, 0.1, 0.5, 0.9, 1.0] {
            assert_eq!(same.quantile(p), 3630.0);
        }
        assert_eq!(same.cvar95(true), 3630.0);
        assert_eq!(same.cvar95(false), 3630.0);
        // The extremes are exact, whatever their buckets; zeros count as 0.
        let mut s = Sketch::default();
        [-2.5, 1e-12, 7.3, 101.7].iter().for_each(|&x| s.push(x));
        assert_eq!((s.quantile(0.0), s.quantile(1.0)), (-2.5, 101.7));
        assert_eq!(s.quantile(0.34), 0.0);
        let mut positive = Sketch::default();
        [3.0, 5.0].iter().for_each(|&x| positive.push(x));
        assert_eq!(positive.quantile(0.0), 3.0);
    }

    #[test]
    fn the_tail_mean_is_within_relative_accuracy_of_the_exact_one() {
        // Both signs and zeros, and a tail that ends inside a bucket: against
        // `stats::cvar95` of the sorted values.
        let xs: Vec<f64> = (0..10_001)
            .map(|i| match i % 7 {
                0 => 0.0,
                _ => (i as f64 * 0.37 - 600.0) * (1.0 + (i % 5) as f64),
            })
            .collect();
        let mut s = Sketch::default();
        xs.iter().for_each(|&x| s.push(x));
        let mut sorted: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
        sorted.sort_by(f32::total_cmp);
        let k = (xs.len() as f64 * 0.05).ceil() as usize;
        for higher in [true, false] {
            let exact = crate::stats::cvar95(&sorted, higher);
            let tail = if higher {
                &sorted[sorted.len() - k..]
            } else {
                &sorted[..k]
            };
            let magnitude = tail.iter().map(|x| x.abs() as f64).sum::<f64>() / k as f64;
            let got = s.cvar95(higher);
            // Each value of the tail is counted within ALPHA of itself; `exact` reads
            // them rounded to f32.
            assert!(
                (got - exact).abs() <= (ALPHA + f32::EPSILON as f64) * magnitude,
                "{higher}: {got} vs {exact}"
            );
        }
        // 21 values: the tail is 2 of them (5% rounded up), 20 and 21, or 1 and 2.
        let mut small = Sketch::default();
        (1..=21).for_each(|i| small.push(i as f64));
        assert!((small.cvar95(true) - 20.5).abs() <= ALPHA * 20.5);
        assert!((small.cvar95(false) - 1.5).abs() <= ALPHA * 1.5);
        // A tail that crosses zero: 40 values, the tail 2 of them.
        let mut across = Sketch::default();
        across.push(-3.0);
        across.push(5.0);
        (0..38).for_each(|_| across.push(0.0));
        assert!((across.cvar95(false) + 1.5).abs() <= ALPHA * 1.5);
        assert!((across.cvar95(true) - 2.5).abs() <= ALPHA * 2.5);
        assert!(Sketch::default().cvar95(true).is_nan());
        let mut one = Sketch::default();
        one.push(4.0);
        assert!((one.cvar95(false) - 4.0).abs() <= ALPHA * 4.0);
    }
}
