//! Probability distributions for uncertain scenario numbers and per-event impacts.
//!
//! A [`Dist`] is an immutable, checked set of parameters built once from the scenario
//! (see [`crate::scenario`]); the generator is passed in at sampling time, as in `rand`.
//! Sampling delegates to `rand_distr`. PERT follows the modified-beta form with shape
//! 4 by default (Vose, *Risk Analysis*, 2008); the lognormal is given by its median and
//! one upper percentile, so that `sigma = ln(p / median) / z_p`.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal, Pert, Triangular};

/// Standard normal quantiles for the upper percentiles a lognormal may be given by.
pub const Z_P90: f64 = 1.281_551_565_544_600_4;
/// Standard normal 0.95 quantile.
pub const Z_P95: f64 = 1.644_853_626_951_472_2;
/// Standard normal 0.99 quantile.
pub const Z_P99: f64 = 2.326_347_874_040_840_8;

/// One distribution with checked parameters.
#[derive(Debug, Clone)]
#[allow(missing_docs)] // variant fields are named by the family's usual parameters
pub enum Dist {
    /// Always the same value.
    Fixed(f64),
    /// Uniform on `[lo, hi)`.
    Uniform { lo: f64, hi: f64 },
    /// Triangular on `[min, max]` with the given mode.
    Triangular(Triangular<f64>, [f64; 3]),
    /// PERT (modified beta) on `[min, max]` with a mode and shape.
    Pert(Pert<f64>, [f64; 3]),
    /// Normal, truncated to `[lo, hi]` by rejection (validation keeps acceptance high).
    Normal { dist: Normal<f64>, lo: f64, hi: f64 },
    /// Lognormal from its median and the sigma implied by an upper percentile.
    LogNormal {
        dist: LogNormal<f64>,
        median: f64,
        sigma: f64,
    },
    /// Beta(a, b) scaled to `[lo, hi]`.
    Beta { dist: Beta<f64>, lo: f64, hi: f64 },
    /// Gamma with shape and scale.
    Gamma(Gamma<f64>),
    /// Discrete choice among values with cumulative weights (normalised to 1).
    Choice {
        values: Vec<f64>,
        cumulative: Vec<f64>,
    },
}

impl Dist {
    /// Draws one value.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
            Dist::Triangular(d, _) => d.sample(rng),
            Dist::Pert(d, _) => d.sample(rng),
            Dist::Normal { dist, lo, hi } => loop {
                let x = dist.sample(rng);
                if x >= *lo && x <= *hi {
                    break x;
                }
            },
            Dist::LogNormal { dist, .. } => dist.sample(rng),
            Dist::Beta { dist, lo, hi } => lo + (hi - lo) * dist.sample(rng),
            Dist::Gamma(d) => d.sample(rng),
            Dist::Choice { values, cumulative } => {
                let u: f64 = rng.random();
                let i = cumulative.partition_point(|&c| c <= u);
                values[i.min(values.len() - 1)]
            }
        }
    }

    /// Smallest and largest value the distribution can produce.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(v) => (*v, *v),
            Dist::Uniform { lo, hi } => (*lo, *hi),
            Dist::Triangular(_, p) | Dist::Pert(_, p) => (p[0], p[2]),
            Dist::Normal { lo, hi, .. } | Dist::Beta { lo, hi, .. } => (*lo, *hi),
            Dist::LogNormal { .. } | Dist::Gamma(_) => (0.0, f64::INFINITY),
            Dist::Choice { values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                }),
        }
    }

    /// True when each single value has probability zero (a continuous family), so that
    /// an open domain bound may coincide with an end of the support.
    pub fn is_continuous(&self) -> bool {
        !matches!(self, Dist::Fixed(_) | Dist::Choice { .. })
    }

    /// A short human description, as `check` prints it.
    pub fn describe(&self) -> String {
        match self {
            Dist::Fixed(v) => fmt_num(*v),
            Dist::Uniform { lo, hi } => format!("uniform({}, {})", fmt_num(*lo), fmt_num(*hi)),
            Dist::Triangular(_, p) => format!(
                "triangular({}, {}, {})",
                fmt_num(p[0]),
                fmt_num(p[1]),
                fmt_num(p[2])
            ),
            Dist::Pert(_, p) => format!(
                "pert({}, {}, {})",
                fmt_num(p[0]),
                fmt_num(p[1]),
                fmt_num(p[2])
            ),
            Dist::Normal { dist, lo, hi } => format!(
                "normal({}, {}) in [{}, {}]",
                fmt_num(dist.mean()),
                fmt_num(dist.std_dev()),
                fmt_num(*lo),
                fmt_num(*hi)
            ),
            Dist::LogNormal { median, sigma, .. } => {
                format!("lognormal(median {}, sigma {:.3})", fmt_num(*median), sigma)
            }
            Dist::Beta { lo, hi, .. } => format!("beta on [{}, {}]", fmt_num(*lo), fmt_num(*hi)),
            Dist::Gamma(_) => "gamma".to_string(),
            Dist::Choice { values, .. } => format!(
                "choice of {}",
                values
                    .iter()
                    .map(|v| fmt_num(*v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Formats a number compactly: integers without a decimal point.
pub fn fmt_num(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn choice_respects_weights_and_support() {
        let d = Dist::Choice {
            values: vec![5.0, 10.0],
            cumulative: vec![0.25, 1.0],
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let n = 40_000;
        let tens = (0..n).filter(|_| d.sample(&mut rng) == 10.0).count() as f64;
        // Binomial(n, 0.75): four standard errors.
        let se = (0.75 * 0.25 / n as f64).sqrt();
        assert!((tens / n as f64 - 0.75).abs() < 4.0 * se);
        assert_eq!(d.support(), (5.0, 10.0));
    }

    #[test]
    fn truncated_normal_stays_in_bounds() {
        let d = Dist::Normal {
            dist: Normal::new(0.5, 1.0).unwrap(),
            lo: 0.0,
            hi: 2.0,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..10_000 {
            let x = d.sample(&mut rng);
            assert!((0.0..=2.0).contains(&x));
        }
    }
}
