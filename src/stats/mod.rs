//! Aggregates across trials, merged in trial order so that results do not depend on
//! the number of threads.
//!
//! Means and standard errors use Welford's running moments. Percentiles of the summary
//! metrics are exact (R's type 7, linear interpolation between order statistics) over
//! values kept as `f32`, 4 bytes per trial and metric. The per-year percentiles use a
//! log-bucket sketch with 0.5% relative accuracy, so their memory does not grow with
//! the number of trials.

pub mod design;
pub mod sketch;

pub use sketch::Sketch;

/// The standard normal 0.975 quantile: the half-width of a 95% interval in standard
/// errors.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Running mean and variance (Welford).
#[derive(Debug, Clone, Default)]
pub struct Moments {
    /// Count.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    m2: f64,
}

impl Moments {
    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Sample variance; NaN with fewer than two values (nothing is known of the spread).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// Monte Carlo standard error of the mean.
    pub fn se(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            (self.variance() / self.n as f64).sqrt()
        }
    }
}

/// The percentile `p` (0..1) of sorted values, by linear interpolation (type 7).
pub fn quantile(sorted: &[f32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let (a, b) = (sorted[lo] as f64, sorted[hi] as f64);
    a + (h - lo as f64) * (b - a)
}

/// Mean of the worst 5% of sorted values (the highest when higher is worse).
pub fn cvar95(sorted: &[f32], higher_is_worse: bool) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = ((sorted.len() as f64 * 0.05).ceil() as usize).max(1);
    let tail = if higher_is_worse {
        &sorted[sorted.len() - k..]
    } else {
        &sorted[..k]
    };
    tail.iter().map(|&x| x as f64).sum::<f64>() / k as f64
}

/// The probability that a metric exceeds a threshold, estimated from its trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exceedance {
    /// Share of the trials whose value is above the threshold.
    pub probability: f64,
    /// Its binomial standard error, `sqrt(p (1 - p) / n)`.
    pub se: f64,
    /// The 95% Wilson score interval, which stays within 0..1 and is not empty when no
    /// trial, or every trial, exceeds.
    pub lo: f64,
    /// Its upper end.
    pub hi: f64,
    /// Trials that define the metric.
    pub trials: u64,
}

/// The share of `values` (one per trial, as kept in single precision) above `threshold`
/// (itself rounded to single precision, so that a value equal to it does not count),
/// with its standard error and 95% Wilson interval. NaN when there are no values.
pub fn exceedance(values: &[f32], threshold: f64) -> Exceedance {
    if values.is_empty() {
        return Exceedance {
            probability: f64::NAN,
            se: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            trials: 0,
        };
    }
    let n = values.len() as u64;
    let t = threshold as f32;
    let k = values.iter().filter(|&&v| v > t).count() as u64;
    let p = k as f64 / n as f64;
    let (lo, hi) = wilson(k, n);
    Exceedance {
        probability: p,
        se: (p * (1.0 - p) / n as f64).sqrt(),
        lo,
        hi,
        trials: n,
    }
}

/// The 0.975 quantile of Student's t with `n - 1` degrees of freedom: the multiple of
/// a standard error that makes a 95% interval of a mean of `n` values (1.96 for many,
/// 12.7 for two, where the normal's 1.96 would cover far less than 95%). NaN for fewer
/// than two.
pub fn t_975(n: u64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let df = n.saturating_sub(1) as f64;
    if df > 200.0 {
        // statrs' numerical inverse loses digits for many degrees of freedom (1e-6
        // would read 3e-5 below the normal's quantile); the Cornish-Fisher expansion
        // (Abramowitz and Stegun 26.7.5) is within about 1e-11 from 200 on.
        let z = Z_975;
        let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
        let g1 = (z3 + z) / 4.0;
        let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
        let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
        let g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / 92160.0;
        return z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3) + g4 / df.powi(4);
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) if n >= 2 => t.inverse_cdf(0.975),
        _ => f64::NAN,
    }
}

/// The 95% Wilson score interval of a probability seen `k` times in `n` (n > 0): within
/// 0..1, exactly 0 or 1 at the ends (which rounding would miss by a hair), and not empty
/// when `k` is 0 or `n`.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    let (p, n) = (k as f64 / n as f64, n as f64);
    let z2 = Z_975 * Z_975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_975 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    let lo = if p == 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if p == 1.0 {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// Paired binary outcomes, one pair per trial (a threshold exceeded in two scenarios
/// run on the same draws, say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairedCounts {
    /// Trials with both outcomes.
    pub both: u64,
    /// Trials with the first outcome only.
    pub first_only: u64,
    /// Trials with the second outcome only.
    pub second_only: u64,
    /// Trials with neither.
    pub neither: u64,
}

impl PairedCounts {
    /// Counts one trial's pair of outcomes.
    pub fn push(&mut self, first: bool, second: bool) {
        match (first, second) {
            (true, true) => self.both += 1,
            (true, false) => self.first_only += 1,
            (false, true) => self.second_only += 1,
            (false, false) => self.neither += 1,
        }
    }

    /// The trials counted.
    pub fn n(&self) -> u64 {
        self.both + self.first_only + self.second_only + self.neither
    }

    /// The difference of the two probabilities, first minus second (the mean of each
    /// trial's difference of indicators), NaN without trials.
    pub fn difference(&self) -> f64 {
        (self.first_only as f64 - self.second_only as f64) / self.n() as f64
    }

    /// The 95% interval of [`Self::difference`] by Newcombe's square-and-add of the two
    /// Wilson intervals, with the correlation of the pair corrected for continuity
    /// (Newcombe, 1998, "Improved confidence intervals for the difference between
    /// binomial proportions based on paired data", Statistics in Medicine 17, method
    /// 10). Unlike the mean's normal interval it stays within -1..1, has width when no
    /// trial differs or every trial does, and is defined for a single trial. NaN
    /// without trials.
    pub fn interval(&self) -> (f64, f64) {
        let n = self.n();
        if n == 0 {
            return (f64::NAN, f64::NAN);
        }
        let (k1, k2) = (self.both + self.first_only, self.both + self.second_only);
        let (p1, p2) = (k1 as f64 / n as f64, k2 as f64 / n as f64);
        let ((l1, u1), (l2, u2)) = (wilson(k1, n), wilson(k2, n));
        let margins = [k1, n - k1, k2, n - k2].map(|m| m as f64);
        let psi = if margins.contains(&0.0) {
            0.0
        } else {
            let a = self.both as f64 * self.neither as f64
                - self.first_only as f64 * self.second_only as f64;
            let half_n = n as f64 / 2.0;
            let corrected = if a > half_n {
                a - half_n
            } else if a >= 0.0 {
                0.0
            } else {
                a
            };
            corrected / margins.iter().product::<f64>().sqrt()
        };
        let spread = |x: f64, y: f64| (x * x + y * y - 2.0 * psi * x * y).max(0.0).sqrt();
        let d = p1 - p2;
        let lo = d - spread(p1 - l1, u2 - p2);
        let hi = d + spread(p2 - l2, u1 - p1);
        (lo.max(-1.0), hi.min(1.0))
    }
}

/// Statistics of one metric across trials.
#[derive(Debug, Clone, Default)]
pub struct ColumnStats {
    /// Mean and variance.
    pub moments: Moments,
    /// Values for percentiles (empty when the column keeps none).
    pub values: Vec<f32>,
    keep: bool,
}

impl ColumnStats {
    /// Statistics that keep values for percentiles when `keep`.
    pub fn new(keep: bool) -> ColumnStats {
        ColumnStats {
            keep,
            ..Default::default()
        }
    }

    /// Adds one trial's value; NaN (a metric undefined in that trial, such as the time
    /// to survive at a port that ships nothing) is left out.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.moments.push(x);
        if self.keep {
            self.values.push(x as f32);
        }
    }

    /// The summary of this metric; `whole` for a metric whose values are whole numbers
    /// by nature (counts, days), whose percentiles' standard errors then come from
    /// [`order_se`]. (Not told from the values: above 2^24 every single-precision value is
    /// a whole number.)
    pub fn summary(&self, higher_is_worse: bool, whole: bool) -> Summary {
        let mut sorted = self.values.clone();
        sorted.sort_by(f32::total_cmp);
        let q = |p| {
            if self.keep {
                quantile(&sorted, p)
            } else {
                f64::NAN
            }
        };
        let mut errors = batch_ses(&self.values, higher_is_worse);
        if self.keep && whole {
            // Whole numbers (counts, days, mines): batch means understate a percentile's
            // error there, as a batch's percentile moves between neighbouring values
            // far more often than the whole run's does.
            for (e, &p) in errors.iter_mut().zip(&LEVELS) {
                if !e.is_nan() {
                    *e = order_se(&sorted, p);
                }
            }
        }
        Summary {
            // (No trial defines the metric: nothing is known of it.)
            mean: if self.moments.n == 0 {
                f64::NAN
            } else {
                self.moments.mean
            },
            se: self.moments.se(),
            p5: q(0.05),
            p10: q(0.10),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            cvar95: if self.keep {
                cvar95(&sorted, higher_is_worse)
            } else {
                f64::NAN
            },
            p90_se: errors[3],
            p5_se: errors[0],
            p10_se: errors[1],
            p50_se: errors[2],
            p95_se: errors[4],
            cvar95_se: errors[5],
            trials: self.moments.n,
        }
    }
}

/// Summary numbers of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Mean over trials.
    pub mean: f64,
    /// Monte Carlo standard error of the mean.
    pub se: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Mean of the worst 5% of trials.
    pub cvar95: f64,
    /// Monte Carlo standard error of the P90, by batch means (see [`batch_ses`]), or for
    /// a metric of whole numbers by the bootstrap (see [`order_se`]).
    pub p90_se: f64,
    /// The same for the P5.
    pub p5_se: f64,
    /// The same for the P10.
    pub p10_se: f64,
    /// The same for the P50.
    pub p50_se: f64,
    /// The same for the P95.
    pub p95_se: f64,
    /// The same for the CVaR95.
    pub cvar95_se: f64,
    /// Trials that define the metric (all but those in which it is undefined).
    pub trials: u64,
}

/// Batches for the standard error of a percentile.
pub const BATCHES: usize = 20;

/// The factor by which `--precision` wants the P90's standard error below its target:
/// one plus two of the estimate's own relative errors. Estimated from [`BATCHES`]
/// batches, that standard error is itself uncertain by about 1 / sqrt(2 (BATCHES - 1)),
/// 16%, and it is checked again and again as a run grows, so that a low estimate gets
/// many chances; two of its errors make 1.32.
pub fn p90_se_margin() -> f64 {
    1.0 + 2.0 / (2.0 * (BATCHES as f64 - 1.0)).sqrt()
}

/// Standard error of the `p` percentile by batch means: the values (in trial order) are
/// cut into [`BATCHES`] consecutive batches, whose sizes differ by at most one so that
/// every value counts, the percentile is taken in each, and the
/// standard error is their standard deviation over the square root of the number of
/// batches. NaN with fewer than 20 trials per batch.
pub fn batch_se(values: &[f32], p: f64) -> f64 {
    batch_stats(values, |batch| [quantile(batch, p)], [20])[0]
}

/// The levels of the percentiles of a summary, in order: P5, P10, P50, P90, P95.
pub const LEVELS: [f64; 5] = [0.05, 0.10, 0.50, 0.90, 0.95];

/// Standard errors, by batch means (as [`batch_se`]), of the P5, P10, P50, P90, P95 and
/// CVaR95 of `values` (the worst tail the highest values when `higher_is_worse`), each
/// batch sorted once. Each is NaN while a batch is too small for it to mean much: two
/// values beyond a percentile in each batch (20 values a batch for the P10, P50 and P90,
/// 40 for the P5 and P95, so 400 and 800 trials), and five in the tail whose mean is the
/// CVaR95 (100 values a batch, 2,000 trials).
pub fn batch_ses(values: &[f32], higher_is_worse: bool) -> [f64; 6] {
    batch_stats(
        values,
        |batch| {
            let q = LEVELS.map(|p| quantile(batch, p));
            [q[0], q[1], q[2], q[3], q[4], cvar95(batch, higher_is_worse)]
        },
        [40, 20, 20, 20, 40, 100],
    )
}

/// Standard error of the `p` percentile (type 7) of `sorted`, by the exact bootstrap of
/// an order statistic (Maritz and Jarrett's estimator): the `k`-th smallest of `n` values
/// drawn again from `sorted` is its `j`-th value with probability `I(j/n) - I((j-1)/n)`,
/// `I` the Beta(k, n - k + 1) distribution function, and the standard error is the
/// standard deviation of that distribution. The percentile's rank `k = (n - 1) p + 1` is
/// exact where the percentile is one of the values and interpolated between its two
/// neighbours where it is not (an approximation). The Beta's probabilities over each
/// `1/n` are taken as its density at the middle, within 8 standard deviations of `k`
/// and above 1e-12 of the density's peak (the rest is negligible), and scaled to sum to
/// 1.
///
/// Used for whole-number metrics, whose percentiles batch means get wrong (see
/// `ColumnStats::summary`). NaN with fewer than two values.
pub fn order_se(sorted: &[f32], p: f64) -> f64 {
    let n = sorted.len();
    if n < 2 {
        return f64::NAN;
    }
    let nf = n as f64;
    let k = (nf - 1.0) * p + 1.0;
    let (a, b) = (k, nf - k + 1.0);
    // The Beta's standard deviation, in ranks.
    let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt() * nf;
    let lo = ((k - 8.0 * sd - 1.0).floor().max(1.0)) as usize;
    let hi = ((k + 8.0 * sd + 1.0).ceil().min(nf)) as usize;
    let log_density = |j: usize| {
        let x = (j as f64 - 0.5) / nf;
        (a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln()
    };
    let top = (lo..=hi).map(log_density).fold(f64::NEG_INFINITY, f64::max);
    // Moments about the value at rank `k`, against cancellation.
    let centre = sorted[(k.round() as usize).clamp(1, n) - 1] as f64;
    let (mut w, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for j in lo..=hi {
        let wj = (log_density(j) - top).exp();
        if wj < 1e-12 {
            // (Too rare to matter, and it would show as an error of 1e-13 where
            // nothing moves.)
            continue;
        }
        let x = sorted[j - 1] as f64 - centre;
        w += wj;
        m1 += wj * x;
        m2 += wj * x * x;
    }
    let mean = m1 / w;
    (m2 / w - mean * mean).max(0.0).sqrt()
}

/// Batch means of the statistics `stats` computes from a sorted batch: for each, the
/// standard deviation of its values over the batches over the square root of their
/// number, or NaN with fewer than `least` values a batch.
fn batch_stats<const K: usize>(
    values: &[f32],
    stats: impl Fn(&[f32]) -> [f64; K],
    least: [usize; K],
) -> [f64; K] {
    let per = values.len() / BATCHES;
    if least.iter().all(|&l| per < l) {
        return [f64::NAN; K];
    }
    let mut m: [Moments; K] = std::array::from_fn(|_| Moments::default());
    let n = values.len();
    let mut batch = Vec::with_capacity(per + 1);
    for b in 0..BATCHES {
        batch.clear();
        batch.extend_from_slice(&values[b * n / BATCHES..(b + 1) * n / BATCHES]);
        batch.sort_by(f32::total_cmp);
        for (m, x) in m.iter_mut().zip(stats(&batch)) {
            m.push(x);
        }
    }
    std::array::from_fn(|k| {
        if per < least[k] {
            f64::NAN
        } else {
            m[k].variance().sqrt() / (BATCHES as f64).sqrt()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_match_two_pass() {
        let xs = [1.0, 4.0, 9.0, 16.0, 25.0];
        let mut m = Moments::default();
        xs.iter().for_each(|&x| m.push(x));
        let mean = xs.iter().sum::<f64>() / 5.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0;
        assert!((m.mean - mean).abs() < 1e-12);
        assert!((m.variance() - var).abs() < 1e-9);
        assert!((m.se() - (var / 5.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn t_quantiles_match_the_tables_and_tend_to_the_normal() {
        // Student's t, two-sided 95%: 12.706 (1 df), 4.303 (2), 2.262 (9), 2.042 (30).
        for (n, t) in [(2, 12.706), (3, 4.303), (10, 2.262), (31, 2.042)] {
            assert!((t_975(n) - t).abs() < 5e-4, "{n}: {}", t_975(n));
        }
        // Where the expansion takes over it meets statrs' inverse, and both the t
        // quantiles by bisection of the t distribution function (1.9718962236 for 200
        // degrees of freedom, 1.9718365068 for 201, 1.9679030113 for 300); then it
        // falls towards the normal's quantile, above it by (z^3 + z) / (4 df) and more.
        assert!(
            (t_975(201) - 1.971_896_223_6).abs() < 1e-6,
            "{}",
            t_975(201)
        );
        for (n, t) in [(202, 1.971_836_506_8), (301, 1.967_903_011_3)] {
            assert!((t_975(n) - t).abs() < 1e-10, "{n}: {}", t_975(n));
        }
        let mut before = t_975(150);
        for n in (151..5000).step_by(7) {
            let t = t_975(n);
            assert!(t < before && t > Z_975, "{n}: {t} after {before}");
            before = t;
        }
        let far = t_975(1_000_001) - Z_975;
        assert!((far - (Z_975.powi(3) + Z_975) / 4e6).abs() < 1e-11, "{far}");
        assert!(t_975(1).is_nan() && t_975(0).is_nan());
    }

    #[test]
    fn paired_interval_matches_newcombe_square_and_add() {
        // Fagerland, Lydersen and Laake (2017), "Statistical analysis of contingency
        // tables", chapter 8: complete response before and after consolidation therapy
        // (Cavo et al., 2012), 59 both, 6 and 16 one only, 80 neither: -0.0621, 95% CI
        // -0.1186 to -0.0046.
        let c = PairedCounts {
            both: 59,
            first_only: 6,
            second_only: 16,
            neither: 80,
        };
        assert_eq!(c.n(), 161);
        assert!((c.difference() + 0.0621).abs() < 5e-5, "{}", c.difference());
        let (lo, hi) = c.interval();
        assert!(
            (lo + 0.1186).abs() < 5e-5 && (hi + 0.0046).abs() < 5e-5,
            "{lo} {hi}"
        );
        // Swapping the two outcomes mirrors the interval.
        let s = PairedCounts {
            first_only: 16,
            second_only: 6,
            ..c
        };
        let (slo, shi) = s.interval();
        assert!((slo + hi).abs() < 1e-12 && (shi + lo).abs() < 1e-12);
    }

    #[test]
    fn paired_interval_is_proper_for_every_small_table() {
        // Every table of up to 8 pairs: within -1..1, around the estimate, with width.
        for n in 1..=8u64 {
            for both in 0..=n {
                for first_only in 0..=n - both {
                    for second_only in 0..=n - both - first_only {
                        let c = PairedCounts {
                            both,
                            first_only,
                            second_only,
                            neither: n - both - first_only - second_only,
                        };
                        let (lo, hi) = c.interval();
                        let d = c.difference();
                        assert!(-1.0 <= lo && lo <= d && d <= hi && hi <= 1.0, "{c:?}");
                        assert!(hi - lo > 0.05, "{c:?}: {lo} {hi}");
                    }
                }
            }
        }
        // One trial, the same outcome in both: an interval symmetric about 0 whose ends
        // are Wilson's for 1 of 1.
        let one = PairedCounts {
            both: 1,
            ..Default::default()
        };
        let (lo, hi) = one.interval();
        assert!((lo + hi).abs() < 1e-15 && (hi - (1.0 - wilson(1, 1).0)).abs() < 1e-15);
        assert!(PairedCounts::default().interval().0.is_nan());
    }

    #[test]
    fn exceedance_counts_values_strictly_above_with_a_wilson_interval() {
        let v: Vec<f32> = (1..=10).map(|x| x as f32 / 10.0).collect();
        let e = exceedance(&v, 0.7);
        // 0.8, 0.9 and 1.0; 0.7 itself does not exceed.
        assert_eq!(e.probability, 0.3);
        assert_eq!(e.trials, 10);
        assert!((e.se - (0.3f64 * 0.7 / 10.0).sqrt()).abs() < 1e-15);
        // Wilson's interval for 3 of 10 (Newcombe, 1998, Table I: 0.1078 to 0.6032).
        assert!(
            (e.lo - 0.1078).abs() < 5e-5 && (e.hi - 0.6032).abs() < 5e-5,
            "{e:?}"
        );
        // None and all: the interval still has width, within 0..1.
        let none = exceedance(&v, 1.0);
        assert_eq!((none.probability, none.lo), (0.0, 0.0));
        assert!(none.hi > 0.2 && none.hi < 0.35, "{none:?}");
        let all = exceedance(&v, 0.0);
        assert_eq!((all.probability, all.hi), (1.0, 1.0));
        let empty = exceedance(&[], 0.5);
        assert!(
            [empty.probability, empty.se, empty.lo, empty.hi]
                .iter()
                .all(|x| x.is_nan())
        );
        assert_eq!(empty.trials, 0);
    }

    #[test]
    fn quantiles_interpolate_like_type_7() {
        let v: Vec<f32> = (1..=11).map(|x| x as f32).collect();
        assert_eq!(quantile(&v, 0.5), 6.0);
        assert_eq!(quantile(&v, 0.1), 2.0);
        assert!((quantile(&v, 0.05) - 1.5).abs() < 1e-12);
        assert_eq!(quantile(&v, 1.0), 11.0);
    }

    #[test]
    fn batch_means_standard_error_of_p90_matches_the_asymptotic_one() {
        // Standard normal draws: SE(P90) = sqrt(0.9 * 0.1 / n) / phi(z90).
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let n = 100_000;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
        let v: Vec<f32> = (0..n)
            .map(|_| {
                let x: f64 = StandardNormal.sample(&mut rng);
                x as f32
            })
            .collect();
        let z: f64 = 1.281_551_565_544_600_4;
        let phi = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let want = (0.09 / n as f64).sqrt() / phi;
        let got = batch_se(&v, 0.9);
        // A standard deviation from B batches has a relative standard error of about
        // 1 / sqrt(2 (B - 1)); four of those.
        let rel = 4.0 / (2.0 * (BATCHES as f64 - 1.0)).sqrt();
        assert!((got / want - 1.0).abs() < rel, "{got} vs {want}");
        assert!(batch_se(&v[..100], 0.9).is_nan());
    }

    #[test]
    fn batch_means_standard_errors_of_every_percentile_and_the_cvar_match_asymptotic_ones() {
        // Standard normal draws. A percentile's: sqrt(p (1 - p) / n) / phi(z_p). The mean
        // of the worst 5% (q) beyond z: sqrt((v + (1 - q) (c - z)^2) / (q n)), with c =
        // phi(z) / q the tail's mean and v = 1 + z c - c^2 its variance.
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let (n, runs) = (20_000, 40);
        let phi = |z: f64| (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let z = [-1.644_853_626_951_472_2, -1.281_551_565_544_600_4, 0.0];
        let z = [z[0], z[1], z[2], -z[1], -z[0]];
        let mut want: Vec<f64> = (LEVELS.iter().zip(z))
            .map(|(&p, z)| (p * (1.0 - p) / n as f64).sqrt() / phi(z))
            .collect();
        let (q, z95) = (0.05, z[4]);
        let c = phi(z95) / q;
        let v = 1.0 + z95 * c - c * c;
        want.push(((v + (1.0 - q) * (c - z95).powi(2)) / (q * n as f64)).sqrt());
        // The mean of `runs` estimates, each from 20 batches and so uncertain by about
        // 1 / sqrt(2 (B - 1)) of itself; four standard errors of that mean.
        let mut got = [0.0; 6];
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(23);
        for _ in 0..runs {
            let v: Vec<f32> = (0..n)
                .map(|_| StandardNormal.sample(&mut rng))
                .map(|x: f64| x as f32)
                .collect();
            for (g, x) in got.iter_mut().zip(batch_ses(&v, true)) {
                *g += x / runs as f64;
            }
        }
        let rel = 4.0 / (2.0 * (BATCHES as f64 - 1.0) * runs as f64).sqrt();
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g / w - 1.0).abs() < rel, "statistic {k}: {g} vs {w}");
        }
        // Too few values a batch: none for the CVaR below 2,000 trials, for the P5 and
        // P95 below 800, for the others below 400.
        let v: Vec<f32> = (0..1999).map(|i| (i * 7919 % 1999) as f32).collect();
        let nan = |n: usize| batch_ses(&v[..n], true).map(f64::is_nan);
        assert_eq!(nan(1999), [false, false, false, false, false, true]);
        assert_eq!(nan(799), [true, false, false, false, true, true]);
        assert_eq!(nan(399), [true; 6]);
        // The P90's is the one `batch_se` gives.
        assert_eq!(batch_ses(&v, false)[3], batch_se(&v, 0.9));
    }

    #[test]
    fn order_se_is_the_bootstrap_standard_error_of_a_percentile_of_whole_numbers() {
        // 2,001 Poisson counts: each percentile is one of the values (2,000 p is whole),
        // the case the estimator is exact for. Against `B` bootstrap resamples, whose
        // variance of the percentile is uncertain by sqrt((m4 - var^2) / B); four of
        // those, and a little more for moves too rare to be seen in `B` resamples.
        use rand::{RngExt, SeedableRng};
        use rand_distr::{Distribution, Poisson};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(41);
        let n = 2001;
        let mut v: Vec<f32> = (0..n)
            .map(|_| Poisson::new(2.0).unwrap().sample(&mut rng) as f32)
            .collect();
        v.sort_by(f32::total_cmp);
        let b = 4000;
        let mut spread = Vec::new();
        for &p in &LEVELS {
            let k = (2000.0 * p) as usize;
            let draws: Vec<f64> = (0..b)
                .map(|_| {
                    // The resample's k-th smallest (0-based), from its counts per value.
                    let mut counts = [0usize; 32];
                    for _ in 0..n {
                        counts[v[rng.random_range(0..n)] as usize] += 1;
                    }
                    let mut below = 0;
                    (0..32)
                        .find(|&x| {
                            below += counts[x];
                            below > k
                        })
                        .unwrap() as f64
                })
                .collect();
            let mean = draws.iter().sum::<f64>() / b as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / b as f64;
            let m4 = draws.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / b as f64;
            // (Where no resample moves the percentile, a move as rare as 10 / B, by one,
            // could have escaped them all: e^-10 of the time.)
            let tol = 4.0 * ((m4 - var * var) / b as f64).sqrt() + 10.0 / b as f64;
            let got = order_se(&v, p).powi(2);
            assert!(
                (got - var).abs() <= tol,
                "P{}: {got} vs {var} ± {tol}",
                p * 100.0
            );
            spread.push(var.sqrt());
        }
        // Not all trivial: some percentiles sit where the counts step from one value to
        // the next, and move between them from one resample to another.
        assert!(spread.iter().any(|&s| s > 0.2), "{spread:?}");
        assert!(order_se(&v[..1], 0.5).is_nan());
    }

    #[test]
    fn whole_number_metrics_take_the_bootstrap_standard_errors_of_their_percentiles() {
        let mut counts = ColumnStats::new(true);
        let mut shares = ColumnStats::new(true);
        for i in 0..1000u32 {
            let x = (i * 7919 % 1000) as f64;
            counts.push((x / 100.0).floor());
            shares.push(x / 1000.0);
        }
        let (c, s) = (counts.summary(true, true), shares.summary(true, false));
        let mut sorted = counts.values.clone();
        sorted.sort_by(f32::total_cmp);
        assert_eq!(c.p50_se, order_se(&sorted, 0.5));
        assert_eq!(c.p90_se, order_se(&sorted, 0.9));
        // The P5 and P95 still need 800 trials, the CVaR 2,000, as with batch means.
        assert_eq!(c.p95_se, order_se(&sorted, 0.95));
        assert!(c.cvar95_se.is_nan());
        let batch = batch_ses(&shares.values, true);
        assert_eq!(
            [s.p5_se, s.p50_se, s.p90_se],
            [batch[0], batch[2], batch[3]]
        );
        // A continuous metric of large values, every one a whole number in single
        // precision (above 2^24), still takes batch means.
        let mut usd = ColumnStats::new(true);
        (0..1000u32).for_each(|i| usd.push(1e8 + (i * 7919 % 1000) as f64 * 1e4));
        assert!(usd.values.iter().all(|x| x.fract() == 0.0));
        let batch = batch_ses(&usd.values, true);
        assert_eq!(usd.summary(true, false).p50_se, batch[2]);
        let short = |n: usize| {
            let mut c = ColumnStats::new(true);
            (0..n).for_each(|i| c.push((i % 7) as f64));
            c.summary(true, true)
        };
        assert!(short(799).p5_se.is_nan() && !short(799).p10_se.is_nan());
        assert!(short(399).p50_se.is_nan());
    }

    #[test]
    fn batches_cover_every_value() {
        // 419 values: batches of 20 or 21, none left out. Moving the last value far up
        // moves the P90 of its batch (all values differ), so the result changes if, and
        // only if, the last value is in a batch.
        let mut v: Vec<f32> = (0..419).map(|i| (i * 37 % 101) as f32).collect();
        let before = batch_se(&v, 0.9);
        *v.last_mut().unwrap() = 1e6;
        let after = batch_se(&v, 0.9);
        assert_ne!(before, after);
    }

    #[test]
    fn cvar_takes_the_worse_tail() {
        let v: Vec<f32> = (0..100).map(|x| x as f32).collect();
        assert_eq!(cvar95(&v, true), (95..100).sum::<i32>() as f64 / 5.0);
        assert_eq!(cvar95(&v, false), (0..5).sum::<i32>() as f64 / 5.0);
    }
}
