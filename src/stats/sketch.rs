//! A mergeable log-bucket quantile sketch (in the manner of DDSketch, Masson et al.,
//! 2019): a value `x > 0` falls in bucket `ceil(ln x / ln gamma)`, so any percentile it
//! returns lies within `ALPHA` (relative) of a value of the true order statistic's
//! bucket. Negative values use mirrored buckets; values within `1e-9` of zero count as
//! zero.

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
}

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

impl Sketch {
    /// Adds a value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        if x.abs() <= 1e-9 || !x.is_finite() {
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
}
