//! Probability distributions for uncertain scenario numbers and per-event impacts.
//!
//! A [`Dist`] is an immutable, checked set of parameters built once from the scenario
//! (see [`crate::scenario`]); the generator is passed in at sampling time, as in `rand`.
//! Sampling delegates to `rand_distr`. PERT follows the modified-beta form with shape
//! 4 by default (Vose, *Risk Analysis*, 2008); the lognormal is given by its median and
//! one upper percentile, so that `sigma = ln(p / median) / z_p`.
//!
//! [`Dist::quantile`] is the inverse distribution function, for drawing by inversion
//! of given uniforms (Latin hypercube sampling, induced rank correlation; see
//! [`crate::stats::design`]); [`Dist::cdf`] is the distribution function. Both use
//! `statrs` for the special functions: the regularized incomplete beta and gamma
//! functions and the complementary error function. The beta, PERT and gamma
//! quantiles solve `cdf(x) = u` by Newton's method on the logarithm of the
//! distribution function (of the survival function above the median), in log or
//! logit scale, safeguarded by bisection: accurate to near double precision in both
//! tails, also for shapes well below 1, in about a microsecond. (`statrs`'s own
//! inverses lose whole orders of magnitude in the lower tail of small shapes.)

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal, Pert, Triangular};
use statrs::function::beta::{beta_reg, ln_beta};
use statrs::function::erf::{erfc, erfc_inv};
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

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
    /// PERT (modified beta) on `[min, max]` with a mode, and its shape (4 is the
    /// classic PERT): the `rand_distr` sampler, `[min, mode, max]`, and the shape.
    Pert(Pert<f64>, [f64; 3], f64),
    /// Normal, truncated to `[lo, hi]` by rejection (validation keeps acceptance high).
    Normal { dist: Normal<f64>, lo: f64, hi: f64 },
    /// Lognormal from its median and the sigma implied by an upper percentile.
    LogNormal {
        dist: LogNormal<f64>,
        median: f64,
        sigma: f64,
    },
    /// Beta(a, b) scaled to `[lo, hi]`.
    Beta {
        dist: Beta<f64>,
        a: f64,
        b: f64,
        lo: f64,
        hi: f64,
    },
    /// Gamma with shape and scale (mean `shape * scale`).
    Gamma {
        dist: Gamma<f64>,
        shape: f64,
        scale: f64,
    },
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
            Dist::Pert(d, _, _) => d.sample(rng),
            Dist::Normal { dist, lo, hi } => loop {
                let x = dist.sample(rng);
                if x >= *lo && x <= *hi {
                    break x;
                }
            },
            Dist::LogNormal { dist, .. } => dist.sample(rng),
            Dist::Beta { dist, lo, hi, .. } => lo + (hi - lo) * dist.sample(rng),
            Dist::Gamma { dist, .. } => dist.sample(rng),
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
            Dist::Triangular(_, p) | Dist::Pert(_, p, _) => (p[0], p[2]),
            Dist::Normal { lo, hi, .. } | Dist::Beta { lo, hi, .. } => (*lo, *hi),
            Dist::LogNormal { .. } | Dist::Gamma { .. } => (0.0, f64::INFINITY),
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

    /// The inverse distribution function: the value below which a draw falls with
    /// probability `u`, for `u` in (0, 1); a uniform `u` gives a draw of this
    /// distribution. `u <= 0` and `u >= 1` give the ends of the support (which may
    /// be infinite), NaN gives NaN.
    ///
    /// For [`Dist::Choice`] it is the first value, in increasing order of value, whose
    /// cumulative weight exceeds `u` (with the values listed in increasing order, the
    /// first one whose `cumulative` exceeds `u`, the rule [`Dist::sample`] uses), so
    /// that the function is non-decreasing in `u` whatever the order of the values.
    /// The truncated normal works in whichever tail keeps its precision, so that a
    /// truncation range far from the mean still gives values inside it.
    pub fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        if let Dist::Fixed(v) = self {
            return *v;
        }
        if u <= 0.0 || u >= 1.0 {
            let (lo, hi) = self.support();
            return if u <= 0.0 { lo } else { hi };
        }
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { lo, hi } => (lo + (hi - lo) * u).min(*hi),
            Dist::Triangular(_, [a, c, b]) => {
                let x = if u * (b - a) < c - a {
                    a + (u * (b - a) * (c - a)).sqrt()
                } else {
                    b - ((1.0 - u) * (b - a) * (b - c)).sqrt()
                };
                x.clamp(*a, *b)
            }
            Dist::Pert(_, p, shape) => {
                let (alpha, beta) = pert_shapes(p, *shape);
                (p[0] + (p[2] - p[0]) * beta_quantile(alpha, beta, u)).clamp(p[0], p[2])
            }
            Dist::Normal { dist, lo, hi } => {
                truncated_normal_quantile(dist.mean(), dist.std_dev(), *lo, *hi, u)
            }
            Dist::LogNormal { median, sigma, .. } => {
                median * (sigma * std_normal_quantile(u)).exp()
            }
            Dist::Beta { a, b, lo, hi, .. } => {
                (lo + (hi - lo) * beta_quantile(*a, *b, u)).clamp(*lo, *hi)
            }
            Dist::Gamma { shape, scale, .. } => scale * gamma_quantile(*shape, u),
            Dist::Choice { values, cumulative } => {
                if values.is_sorted() {
                    let i = cumulative.partition_point(|&c| c <= u);
                    return values[i.min(values.len() - 1)];
                }
                let mut order: Vec<usize> = (0..values.len()).collect();
                order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
                let mut acc = 0.0;
                for &i in &order {
                    acc += choice_weight(cumulative, i);
                    if acc > u {
                        return values[i];
                    }
                }
                values[order[order.len() - 1]]
            }
        }
    }

    /// The distribution function: the probability that a draw is at most `x`.
    ///
    /// Exact (up to the special functions) for the continuous families; for
    /// [`Dist::Fixed`] and [`Dist::Choice`] it is the step function of their values.
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let (lo, hi) = self.support();
        if self.is_continuous() {
            if x <= lo {
                return 0.0;
            }
            if x >= hi {
                return 1.0;
            }
        }
        let p = match self {
            Dist::Fixed(v) => {
                if x >= *v {
                    1.0
                } else {
                    0.0
                }
            }
            Dist::Uniform { lo, hi } => (x - lo) / (hi - lo),
            Dist::Triangular(_, [a, c, b]) => {
                if x <= *c {
                    (x - a) * (x - a) / ((b - a) * (c - a))
                } else {
                    1.0 - (b - x) * (b - x) / ((b - a) * (b - c))
                }
            }
            Dist::Pert(_, p, shape) => {
                let (alpha, beta) = pert_shapes(p, *shape);
                let range = p[2] - p[0];
                beta_tails(alpha, beta, (x - p[0]) / range, (p[2] - x) / range).0
            }
            Dist::Normal { dist, .. } => {
                let (mu, sd) = (dist.mean(), dist.std_dev());
                let (a, z) = ((lo - mu) / sd, (x - mu) / sd);
                let mass = truncated_normal_mass(mu, sd, lo, hi);
                if a >= 0.0 {
                    (std_normal_sf(a) - std_normal_sf(z)) / mass
                } else {
                    (std_normal_cdf(z) - std_normal_cdf(a)) / mass
                }
            }
            Dist::LogNormal { median, sigma, .. } => std_normal_cdf((x / median).ln() / sigma),
            Dist::Beta { a, b, lo, hi, .. } => {
                beta_tails(*a, *b, (x - lo) / (hi - lo), (hi - x) / (hi - lo)).0
            }
            Dist::Gamma { shape, scale, .. } => {
                let y = x / scale;
                if y <= 0.0 {
                    0.0
                } else if y.is_infinite() {
                    1.0
                } else if y.ln() < LN_TINY {
                    // The leading term; `gamma_lr` gives 0 near the smallest doubles.
                    (shape * y.ln() - ln_gamma(shape + 1.0)).exp()
                } else {
                    gamma_lr(*shape, y)
                }
            }
            Dist::Choice { values, cumulative } => values
                .iter()
                .enumerate()
                .filter(|&(_, v)| *v <= x)
                .map(|(i, _)| choice_weight(cumulative, i))
                .sum(),
        };
        p.clamp(0.0, 1.0)
    }

    /// The logarithm of the density at `x`, for the families whose quantiles
    /// [`Inverse`] tables (PERT, beta, gamma, lognormal); NaN for the others.
    fn ln_density(&self, x: f64) -> f64 {
        // Beta(a, b) on [lo, hi], from both ends so that each keeps its precision.
        let beta = |a: f64, b: f64, lo: f64, hi: f64| {
            let r = hi - lo;
            let (y, z) = ((x - lo) / r, (hi - x) / r);
            (a - 1.0) * y.ln() + (b - 1.0) * z.ln() - ln_beta(a, b) - r.ln()
        };
        match self {
            Dist::Pert(_, p, shape) => {
                let (a, b) = pert_shapes(p, *shape);
                beta(a, b, p[0], p[2])
            }
            Dist::Beta { a, b, lo, hi, .. } => beta(*a, *b, *lo, *hi),
            Dist::Gamma { shape, scale, .. } => {
                let y = x / scale;
                (shape - 1.0) * y.ln() - y - ln_gamma(*shape) - scale.ln()
            }
            Dist::LogNormal { median, sigma, .. } => {
                let z = (x / median).ln() / sigma;
                -0.5 * z * z - (x * sigma * (2.0 * std::f64::consts::PI).sqrt()).ln()
            }
            _ => f64::NAN,
        }
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
            Dist::Pert(_, p, shape) => format!(
                "pert({}, {}, {}{})",
                fmt_num(p[0]),
                fmt_num(p[1]),
                fmt_num(p[2]),
                if *shape == 4.0 {
                    String::new()
                } else {
                    format!("; shape {}", fmt_num(*shape))
                }
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
            Dist::Beta { a, b, lo, hi, .. } => format!(
                "beta({}, {}) on [{}, {}]",
                fmt_num(*a),
                fmt_num(*b),
                fmt_num(*lo),
                fmt_num(*hi)
            ),
            Dist::Gamma { shape, scale, .. } => {
                format!(
                    "gamma(shape {}, scale {})",
                    fmt_num(*shape),
                    fmt_num(*scale)
                )
            }
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

/// The beta shapes of a PERT on `[min, mode, max]`, as `rand_distr` computes them:
/// `1 + shape * (mode - min) / (max - min)` and `1 + shape * (max - mode) / (max - min)`.
fn pert_shapes(p: &[f64; 3], shape: f64) -> (f64, f64) {
    let range = p[2] - p[0];
    (
        1.0 + shape * (p[1] - p[0]) / range,
        1.0 + shape * (p[2] - p[1]) / range,
    )
}

/// The weight of the `i`th value of a choice, from the cumulative weights.
fn choice_weight(cumulative: &[f64], i: usize) -> f64 {
    cumulative[i] - if i == 0 { 0.0 } else { cumulative[i - 1] }
}

/// The standard normal distribution function, accurate in the lower tail.
fn std_normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The standard normal survival function `1 - Phi(z)`, accurate in the upper tail.
fn std_normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The standard normal quantile, accurate for small `p`.
fn std_normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

/// The standard normal upper quantile: the `z` with `1 - Phi(z) = q`, accurate for
/// small `q`.
fn std_normal_upper_quantile(q: f64) -> f64 {
    std::f64::consts::SQRT_2 * erfc_inv(2.0 * q)
}

/// The probability of `[lo, hi]` under Normal(mu, sd), computed in the tail where the
/// range lies so that a range far from the mean keeps its precision.
fn truncated_normal_mass(mu: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    let (a, b) = ((lo - mu) / sd, (hi - mu) / sd);
    if a >= 0.0 {
        std_normal_sf(a) - std_normal_sf(b)
    } else if b <= 0.0 {
        std_normal_cdf(b) - std_normal_cdf(a)
    } else {
        1.0 - std_normal_cdf(a) - std_normal_sf(b)
    }
}

/// The quantile of Normal(mu, sd) truncated to `[lo, hi]`:
/// `Phi^-1(Phi(a) + u (Phi(b) - Phi(a)))` on the standardized bounds `a` and `b`,
/// evaluated from the upper tail (with the survival function) when the point lies
/// above the median, so that neither tail loses its precision.
fn truncated_normal_quantile(mu: f64, sd: f64, lo: f64, hi: f64, u: f64) -> f64 {
    let (a, b) = ((lo - mu) / sd, (hi - mu) / sd);
    let mass = truncated_normal_mass(mu, sd, lo, hi);
    if mass.is_nan() || mass <= 0.0 {
        // The range lies beyond the reach of double precision: all the mass is at
        // the end nearer the mean.
        return if a >= 0.0 {
            lo
        } else if b <= 0.0 {
            hi
        } else {
            mu
        };
    }
    let below = std_normal_cdf(a) + u * mass;
    let z = if below <= 0.5 {
        std_normal_quantile(below)
    } else {
        std_normal_upper_quantile(std_normal_sf(b) + (1.0 - u) * mass)
    };
    (mu + sd * z).clamp(lo, hi)
}

/// Both tails of Beta(`a`, `b`) at `x`, given with `y = 1 - x`: `(I_x(a, b),
/// I_y(b, a))`. The one on the side of `x` where `beta_reg`'s continued fraction
/// converges directly is computed, the other as its complement, so that a small
/// tail keeps its relative precision; and `y` is used as given, where `beta_reg(a,
/// b, x)` would take `1 - x` (and treats an `x` within 1e-15 of 1 as 1).
fn beta_tails(a: f64, b: f64, x: f64, y: f64) -> (f64, f64) {
    if x < (a + 1.0) / (a + b + 2.0) {
        let p = beta_reg(a, b, x.clamp(0.0, 1.0));
        (p, 1.0 - p)
    } else {
        let q = beta_reg(b, a, y.clamp(0.0, 1.0));
        (1.0 - q, q)
    }
}

/// `ln(1 + e^s)` without overflow.
fn softplus(s: f64) -> f64 {
    if s > 0.0 {
        s + (-s).exp().ln_1p()
    } else {
        s.exp().ln_1p()
    }
}

/// Below this logarithm of `x` the incomplete beta and gamma functions are replaced
/// by their leading term (`x^a / (a B(a, b))`, `x^a / Gamma(a + 1)`), exact to within
/// a relative `x`, so that quantiles below the smallest double keep a slope to follow.
const LN_TINY: f64 = -700.0;

/// Solves `g(t) = 0` for an increasing `g` given with its derivative (`g(t)` returns
/// both) by Newton's method, safeguarded by a bracket that starts as the whole real
/// line: a step that would leave the bracket (or is not a number) is replaced by
/// bisection, or by a growing step while one side of the bracket is still unbounded.
fn solve_increasing(mut t: f64, g: impl Fn(f64) -> (f64, f64)) -> f64 {
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for _ in 0..200 {
        let (v, slope) = g(t);
        if v < 0.0 {
            lo = t;
        } else if v > 0.0 {
            hi = t;
        } else {
            // An exact root, or a value that cannot be evaluated.
            return t;
        }
        // Newton converges quadratically: once a step is this small, the next one
        // would be below the rounding of the special functions.
        let tol = 1e-12 * t.abs().max(1.0);
        let step = v / slope;
        if step.abs() <= tol {
            return t - step;
        }
        let newton = t - step;
        let next = if newton > lo && newton < hi {
            newton
        } else if lo.is_finite() && hi.is_finite() {
            lo + 0.5 * (hi - lo)
        } else if lo.is_finite() {
            lo + 1.0 + lo.abs()
        } else {
            hi - 1.0 - hi.abs()
        };
        if (next - t).abs() <= tol || hi - lo <= tol {
            return next;
        }
        t = next;
    }
    t
}

/// The quantile of Gamma(`a`, 1) at `u` in (0, 1): Newton on `ln P(a, x) = ln u`
/// (below the median; `ln Q(a, x) = ln(1 - u)` above it, where `1 - u` is exact) in
/// `t = ln x`, started from the Wilson-Hilferty approximation or, when larger, from
/// the lower bound `ln x >= (ln u + ln Gamma(a + 1)) / a` that `P(a, x) <= x^a /
/// Gamma(a + 1)` gives.
fn gamma_quantile(a: f64, u: f64) -> f64 {
    let lg = ln_gamma(a);
    let lower = u <= 0.5;
    let target = if lower { u.ln() } else { (1.0 - u).ln() };
    let g = |t: f64| {
        let x = t.exp();
        let ln_p = if lower {
            if t < LN_TINY {
                a * t - lg - a.ln()
            } else if x.is_infinite() {
                0.0
            } else {
                gamma_lr(a, x).ln()
            }
        } else if t < LN_TINY {
            0.0
        } else if x.is_infinite() {
            f64::NEG_INFINITY
        } else {
            gamma_ur(a, x).ln()
        };
        // d ln P / dt = x f(x) / P, with ln(x f(x)) = a t - x - ln Gamma(a).
        let slope = (a * t - x - lg - ln_p).exp();
        if lower {
            (ln_p - target, slope)
        } else {
            (target - ln_p, slope)
        }
    };
    let c = 1.0 / (9.0 * a);
    let w = 1.0 - c + std_normal_quantile(u) * c.sqrt();
    let t_low = (u.ln() + lg + a.ln()) / a;
    let t0 = if w > 0.0 {
        (a.ln() + 3.0 * w.ln()).max(t_low)
    } else {
        t_low
    };
    solve_increasing(t0, g).exp()
}

/// The quantile of Beta(`a`, `b`) at `u` in (0, 1): Newton on `ln I_x(a, b) = ln u`
/// (below the median; `ln I_{1-x}(b, a) = ln(1 - u)` above it) in `t = logit x`,
/// where both `x` and `1 - x` keep their relative precision. Started from the
/// leading term of the tail, `x^a / (a B(a, b)) = u` (or its mirror image), when
/// that lies on the tail's side of the mean, else from the mean.
fn beta_quantile(a: f64, b: f64, u: f64) -> f64 {
    let lb = ln_beta(a, b);
    let lower = u <= 0.5;
    let target = if lower { u.ln() } else { (1.0 - u).ln() };
    let g = |t: f64| {
        // ln x and ln(1 - x).
        let (lx, ly) = (-softplus(-t), -softplus(t));
        let ln_p = if lower {
            if lx < LN_TINY {
                a * lx - a.ln() - lb
            } else {
                beta_tails(a, b, lx.exp(), ly.exp()).0.ln()
            }
        } else if ly < LN_TINY {
            b * ly - b.ln() - lb
        } else {
            beta_tails(a, b, lx.exp(), ly.exp()).1.ln()
        };
        // d ln I / dt = x (1 - x) f(x) / I, with ln(x (1 - x) f(x)) = a ln x +
        // b ln(1 - x) - ln B(a, b).
        let slope = (a * lx + b * ly - lb - ln_p).exp();
        if lower {
            (ln_p - target, slope)
        } else {
            (target - ln_p, slope)
        }
    };
    let mean = a / (a + b);
    let logit_of_ln = |l: f64| l - (-l.exp()).ln_1p();
    let t0 = if lower {
        let l = (u.ln() + a.ln() + lb) / a;
        if l < mean.ln() {
            logit_of_ln(l)
        } else {
            logit_of_ln(mean.ln())
        }
    } else {
        let l = ((1.0 - u).ln() + b.ln() + lb) / b;
        if l < (1.0 - mean).ln() {
            -logit_of_ln(l)
        } else {
            logit_of_ln(mean.ln())
        }
    };
    // x = 1 / (1 + e^-t), without overflow for large negative t.
    (-softplus(-solve_increasing(t0, g))).exp()
}

/// Share of the probability below [`Inverse`]'s central table and above it.
const TABLE_TAIL: f64 = 0.01;
/// Intervals of [`Inverse`]'s central table.
const TABLE_N: usize = 512;
/// Levels (and one minus levels) below this are computed exactly.
const TAIL_END: f64 = 1e-6;
/// Intervals of each of [`Inverse`]'s tail tables.
const TAIL_N: usize = 128;

/// The inverse distribution function of a distribution drawn many times (an event's
/// impact, a prospect's durations, a trial's parameters): exact for the families whose
/// quantile is cheap. For PERT, beta and gamma, whose quantiles are iterative, and the
/// lognormal, it interpolates in tables of exact quantiles: 513 levels evenly spread
/// between 0.01 and 0.99, and 129 in each tail, evenly spread in the logarithm of the
/// level (of one minus the level in the upper tail) between 1e-6 and 0.01. Levels
/// beyond 1e-6 of either end (two draws in a million) are computed exactly.
///
/// Between two levels it follows the cubic that matches the quantiles and the slopes
/// of the quantile function at both (cubic Hermite interpolation; the slope at a level
/// is one over the density at its quantile), with the slopes lowered where needed so
/// that the cubic cannot turn back (Fritsch and Carlson, 1980). The function thus stays
/// monotone, so common random numbers stay monotone. A table needs few levels (about
/// 25 kB a distribution), so building it (one iterative quantile per level) takes a
/// small part of a run's start-up; linear interpolation needs more than eight times as
/// many levels for less accuracy (see the end of this comment).
///
/// Where the slopes are the exact ones, the error of such a cubic is at most h^4/384
/// times the fourth derivative in the interpolated variable; where the limiter lowers a
/// slope, or a slope that is not a number is replaced by secants, it is of lower order
/// (a test checks that neither happens for the smooth distributions below). Measured
/// (and tested against the bounds in brackets):
/// - in the centre (h = 0.98 / 512): at most 8e-7 of the distribution's range for the
///   steepest PERT of the shipped scenarios, PERT [0.5, 1, 1], near the level 0.01
///   [2e-6], and 3e-5 of the value for a lognormal with `sigma` 2 [6e-5];
/// - in the tails, where a quantile behaves like the level to a power `1 / a` (`a` the
///   shape at that end), i.e. like an exponential of its logarithm: of the order of
///   `(h / a)^4 / 384` times its distance to the end of the range (h = ln(1e4) / 128),
///   at most 1.1e-6 of that distance for shapes down to `a` = 0.5 [3e-6], except where
///   the distance itself nears the precision of a double (4.5e-5 for beta(0.5, 0.5) at
///   the level 1 - 1e-6, a quantile 2.5e-12 from the end of [0, 1]) [3e-6 plus four
///   units in the last place of the end, over the distance].
///
/// (The linear interpolation these tables replaced, between 4,097 and 2 x 1,025 levels,
/// erred by up to 3e-6 of the range in the centre and 8.7e-5 in the tails.)
///
/// Both are far below Monte Carlo noise. Tables are built once per distribution and
/// process, and shared: a sweep or a comparison that compiles the same distribution
/// again reuses its tables.
#[derive(Debug, Clone)]
pub struct Inverse {
    dist: Dist,
    tables: Option<std::sync::Arc<Tables>>,
}

/// The cubics between the central levels, between the lower tail's levels (from 1e-6
/// up to 0.01) and between the upper tail's (from 0.99 up to 1 - 1e-6), each table in
/// increasing order of level and so of quantile, as `hermite` needs: for each interval
/// `[q0, m0, c2, c3]`, the cubic `q0 + f (m0 + f (c2 + f c3))` at the fraction `f` of
/// the interval (`q0` the quantile at its start, `m0` the slope there per interval),
/// and last the quantile at the end of the last interval.
#[derive(Debug)]
struct Tables {
    centre: Box<[f64]>,
    lower: Box<[f64]>,
    upper: Box<[f64]>,
    /// Slopes lowered by the limiter or replaced by secants, in all three tables (read
    /// by the tests, which check it is zero for smooth distributions).
    #[cfg_attr(not(test), allow(dead_code))]
    adjusted: usize,
}

/// The `i`-th of `TAIL_N + 1` levels from `TAIL_END` to `TABLE_TAIL`, even in logarithm.
fn tail_level(i: usize) -> f64 {
    let (a, b) = (TAIL_END.ln(), TABLE_TAIL.ln());
    if i == TAIL_N {
        TABLE_TAIL
    } else {
        (a + (b - a) * i as f64 / TAIL_N as f64).exp()
    }
}

/// The monotone cubic of table `t` (see [`Tables`]) at the fractional index `x`.
#[inline(always)]
fn hermite(t: &[f64], x: f64) -> f64 {
    let n = t.len() / 4;
    let i = (x.max(0.0) as usize).min(n - 1);
    let f = x - i as f64;
    let k = &t[4 * i..4 * i + 5];
    let (q0, m0, c2, c3, q1) = (k[0], k[1], k[2], k[3], k[4]);
    // (Kept between the two quantiles against rounding, and `x` a hair past an end.)
    (q0 + f * (m0 + f * (c2 + f * c3))).max(q0).min(q1)
}

/// The table of cubics (see [`Tables`]) through quantiles `q` with slopes `m` (per
/// interval of the table), lowering the slopes where the cubic between two quantiles
/// could turn back (Fritsch and Carlson's condition: `alpha^2 + beta^2 <= 9` for the
/// slopes over the secant).
/// A slope that is not a non-negative number (a density of zero or infinity at the
/// quantile) is replaced by the mean of the secants on either side. Also returns how
/// many slopes were lowered or replaced.
fn monotone_table(q: &[f64], mut m: Vec<f64>) -> (Box<[f64]>, usize) {
    debug_assert!(q.len() >= 2 && q.len() == m.len());
    let n = q.len() - 1;
    let secant = |i: usize| q[i + 1] - q[i];
    let mut adjusted = 0;
    for (i, mi) in m.iter_mut().enumerate() {
        if !(*mi >= 0.0 && mi.is_finite()) {
            adjusted += 1;
            let (a, b) = (secant(i.saturating_sub(1)), secant(i.min(n - 1)));
            *mi = if a >= 0.0 && b >= 0.0 {
                0.5 * (a + b)
            } else {
                0.0
            };
        }
    }
    for i in 0..n {
        let d = secant(i);
        if d.is_nan() || d <= 0.0 {
            adjusted += (m[i] != 0.0) as usize + (m[i + 1] != 0.0) as usize;
            (m[i], m[i + 1]) = (0.0, 0.0);
            continue;
        }
        let (a, b) = (m[i] / d, m[i + 1] / d);
        let r = a * a + b * b;
        if r > 9.0 {
            adjusted += 1;
            let tau = 3.0 / r.sqrt();
            (m[i], m[i + 1]) = (tau * a * d, tau * b * d);
        }
    }
    let mut t: Vec<f64> = (0..n)
        .flat_map(|i| {
            let d = q[i + 1] - q[i];
            let c2 = 3.0 * d - 2.0 * m[i] - m[i + 1];
            let c3 = m[i] + m[i + 1] - 2.0 * d;
            [q[i], m[i], c2, c3]
        })
        .collect();
    t.push(q[n]);
    (t.into(), adjusted)
}

impl Tables {
    fn new(dist: &Dist) -> Tables {
        use rayon::prelude::*;
        // Spread over the cores; the order of the results is fixed, so the tables do
        // not depend on threads. `level(i)` gives the level of knot `i` and the
        // derivative of the level in the table's own variable (the index).
        let build = |n: usize, level: &(dyn Fn(usize) -> (f64, f64) + Sync)| {
            let (q, m): (Vec<f64>, Vec<f64>) = (0..=n)
                .into_par_iter()
                .map(|i| {
                    let (u, du) = level(i);
                    let x = dist.quantile(u);
                    // dQ/di = du/di / density(Q).
                    (x, du * (-dist.ln_density(x)).exp())
                })
                .unzip();
            monotone_table(&q, m)
        };
        let centre_step = (1.0 - 2.0 * TABLE_TAIL) / TABLE_N as f64;
        let tail_step = (TABLE_TAIL.ln() - TAIL_END.ln()) / TAIL_N as f64;
        let (centre, a) = build(TABLE_N, &|i| {
            (TABLE_TAIL + centre_step * i as f64, centre_step)
        });
        // The lower tail in `s = ln u`: du/ds = u.
        let (lower, b) = build(TAIL_N, &|i| {
            let u = tail_level(i);
            (u, u * tail_step)
        });
        // The upper tail from 0.99 outwards, knot `j` at `s = ln(1 - u)` of
        // `tail_level(TAIL_N - j)`: du/dj = (1 - u) times the step in `s`.
        let (upper, c) = build(TAIL_N, &|j| {
            let v = tail_level(TAIL_N - j);
            (1.0 - v, v * tail_step)
        });
        Tables {
            centre,
            lower,
            upper,
            adjusted: a + b + c,
        }
    }

    /// The shared tables of `dist`.
    fn of(dist: &Dist) -> std::sync::Arc<Tables> {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex, OnceLock};
        static CACHE: OnceLock<Mutex<HashMap<String, Arc<Tables>>>> = OnceLock::new();
        let key = format!("{dist:?}");
        let cache = CACHE.get_or_init(Default::default);
        if let Some(t) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return t.clone();
        }
        // Built outside the lock; two threads may build the same tables, identically.
        let t = Arc::new(Tables::new(dist));
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key).or_insert(t).clone()
    }
}

impl Inverse {
    /// Prepares the inverse of `dist`.
    pub fn new(dist: &Dist) -> Inverse {
        // Iterative quantiles, and the lognormal's (an inverse error function and an
        // exponential, the costliest of the rest: most event durations are lognormal).
        let tabled = matches!(
            dist,
            Dist::Pert(..) | Dist::Beta { .. } | Dist::Gamma { .. } | Dist::LogNormal { .. }
        );
        Inverse {
            dist: dist.clone(),
            tables: tabled.then(|| Tables::of(dist)),
        }
    }

    /// The value at level `u` in (0, 1).
    #[inline]
    pub fn at(&self, u: f64) -> f64 {
        let Some(t) = &self.tables else {
            return self.exact(u);
        };
        let step = (TABLE_TAIL.ln() - TAIL_END.ln()) / TAIL_N as f64;
        if (TABLE_TAIL..=1.0 - TABLE_TAIL).contains(&u) {
            let x = (u - TABLE_TAIL) / (1.0 - 2.0 * TABLE_TAIL) * TABLE_N as f64;
            hermite(&t.centre, x)
        } else if (TAIL_END..TABLE_TAIL).contains(&u) {
            hermite(&t.lower, (u.ln() - TAIL_END.ln()) / step)
        } else if u > 1.0 - TABLE_TAIL && 1.0 - u >= TAIL_END {
            let x = TAIL_N as f64 - ((1.0 - u).ln() - TAIL_END.ln()) / step;
            hermite(&t.upper, x)
        } else {
            self.exact(u)
        }
    }

    /// The exact quantile, out of the way of the tables' path.
    #[inline(never)]
    fn exact(&self, u: f64) -> f64 {
        self.dist.quantile(u)
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
    fn the_tabled_inverse_is_close_to_the_exact_one_and_monotone() {
        let dists = [
            Dist::Pert(
                Pert::new(0.5, 1.0).with_mode(1.0).unwrap(),
                [0.5, 1.0, 1.0],
                4.0,
            ),
            Dist::Pert(
                Pert::new(14.0, 103.0).with_mode(45.0).unwrap(),
                [14.0, 45.0, 103.0],
                4.0,
            ),
            Dist::Pert(
                Pert::new(0.0, 30.0).with_mode(7.0).unwrap(),
                [0.0, 7.0, 30.0],
                4.0,
            ),
        ];
        let lognormals = [
            lognormal(3.0, 1.35),
            lognormal(2.0, 2.0),
            lognormal(50.0, 0.3),
        ];
        for d in dists.iter().chain(&lognormals) {
            let inv = Inverse::new(d);
            // Every slope is the exact one: neither lowered nor replaced.
            assert_eq!(inv.tables.as_ref().unwrap().adjusted, 0, "{d:?}");
            let mut last = f64::NEG_INFINITY;
            for k in 1..20_000 {
                let u = k as f64 / 20_000.0;
                let (fast, exact) = (inv.at(u), d.quantile(u));
                let (lo, hi) = d.support();
                // The accuracy the documentation states, about twice the worst
                // measured: of the range, or for the lognormal (whose range is
                // unbounded) of the value.
                let tol = if hi.is_finite() {
                    2e-6 * (hi - lo)
                } else {
                    6e-5 * exact
                };
                assert!(
                    (fast - exact).abs() <= tol,
                    "{d:?} at {u}: {fast} vs {exact}"
                );
                assert!(fast >= last, "not monotone at {u}");
                last = fast;
            }
        }
    }

    #[test]
    fn the_density_is_the_slope_of_the_distribution_function() {
        let dists = [
            pert(0.5, 1.0, 1.0, 4.0),
            pert(14.0, 45.0, 103.0, 4.0),
            beta(0.5, 0.5, 0.0, 1.0),
            beta(2.0, 8.0, 0.0, 10.0),
            gamma(0.5, 10.0),
            gamma(3.0, 2.0),
            lognormal(3.0, 1.35),
        ];
        for d in &dists {
            for u in [0.001, 0.05, 0.3, 0.5, 0.8, 0.99] {
                let x = d.quantile(u);
                // A step small beside the distance to the nearer end of the support,
                // where the density bends most: a central difference then errs by
                // about (h / distance)^2, far below the tolerance.
                let (lo, hi) = d.support();
                let h = 1e-4 * (x - lo).min(hi - x);
                let slope = (d.cdf(x + h) - d.cdf(x - h)) / (2.0 * h);
                let density = d.ln_density(x).exp();
                assert!(
                    (density - slope).abs() <= 1e-5 * slope,
                    "{d:?} at {x}: {density} vs {slope}"
                );
            }
        }
    }

    #[test]
    fn the_table_cubics_never_turn_back() {
        // Slopes five times the secants (a cubic through them would dip back inside
        // each interval), a flat stretch, and slopes that are not numbers (a density
        // of zero or infinity at the quantile).
        let q = [0.0, 1.0, 2.0, 2.0, 3.0];
        let m = vec![5.0, 5.0, 5.0, f64::INFINITY, f64::NAN];
        let (t, adjusted) = monotone_table(&q, m);
        // The infinite and NaN slopes are replaced, the first two intervals are
        // limited, and the flat one zeroes the two slopes at its ends.
        assert_eq!(adjusted, 6);
        let mut last = f64::NEG_INFINITY;
        for k in 0..=4000 {
            let x = k as f64 / 1000.0;
            let v = hermite(&t, x);
            assert!(v >= last, "turns back at {x}: {v} after {last}");
            let i = (x as usize).min(3);
            assert!(v >= q[i] && v <= q[i + 1], "{v} outside the knots at {x}");
            last = v;
        }
        // At the knots, the quantiles themselves.
        for (i, &qi) in q.iter().enumerate() {
            assert_eq!(hermite(&t, i as f64), qi);
        }
    }

    #[test]
    fn the_tail_tables_are_close_to_the_exact_quantiles() {
        // Shapes from steep (mode at an end) to gentle, and beta and gamma shapes below
        // and above 1, at levels spread evenly in logarithm over each tail table.
        let dists = [
            pert(0.5, 1.0, 1.0, 4.0),
            pert(14.0, 45.0, 103.0, 4.0),
            pert(0.0, 7.0, 30.0, 4.0),
            pert(0.0, 0.0, 1.0, 4.0),
            beta(0.5, 0.5, 0.0, 1.0),
            beta(2.0, 8.0, 0.0, 10.0),
            gamma(0.5, 10.0),
            gamma(3.0, 2.0),
            lognormal(3.0, 1.35),
            lognormal(2.0, 2.0),
        ];
        let mut worst = 0.0f64;
        for d in &dists {
            let inv = Inverse::new(d);
            let (lo, hi) = d.support();
            for j in 0..=4000 {
                let v = 10f64.powf(-6.0 + 4.0 * j as f64 / 4000.0);
                for (u, end) in [(v, lo), (1.0 - v, hi)] {
                    let (fast, exact) = (inv.at(u), d.quantile(u));
                    // Relative to the distance from the end the tail runs to (for an
                    // unbounded upper tail, to the quantile itself).
                    let scale = if end.is_finite() {
                        (exact - end).abs()
                    } else {
                        exact.abs()
                    };
                    let err = (fast - exact).abs() / scale.max(1e-300);
                    worst = worst.max(err);
                    // The documented bound, for shapes down to 0.5 (about three times the
                    // worst measured), plus what a double can resolve so near the end:
                    // a few units in the last place of the end, over the distance.
                    let floor = if end.is_finite() {
                        4.0 * f64::EPSILON * end.abs() / scale
                    } else {
                        0.0
                    };
                    assert!(err <= 3e-6 + floor, "{d:?} at {u}: {fast} vs {exact}");
                }
            }
        }
        eprintln!("worst relative error in the tails: {worst:e}");
    }

    #[test]
    fn choice_respects_weights_and_support() {
        let d = Dist::Choice {
            values: vec![5.0, 10.0],
            cumulative: vec![0.25, 1.0],
        };
        let n = 40_000;
        // Binomial(n, 0.75): four standard errors; as `check` draws (`sample`) and as a
        // trial does (the inverse at a uniform level).
        let se = (0.75 * 0.25 / n as f64).sqrt();
        let inverse = Inverse::new(&d);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let sampled = (0..n).filter(|_| d.sample(&mut rng) == 10.0).count() as f64;
        let inverted = (0..n).filter(|_| inverse.at(rng.random()) == 10.0).count() as f64;
        for tens in [sampled, inverted] {
            assert!((tens / n as f64 - 0.75).abs() < 4.0 * se, "{tens}");
        }
        assert_eq!(d.support(), (5.0, 10.0));
    }

    #[test]
    fn truncated_normal_stays_in_bounds() {
        let d = Dist::Normal {
            dist: Normal::new(0.5, 1.0).unwrap(),
            lo: 0.0,
            hi: 2.0,
        };
        let inverse = Inverse::new(&d);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..10_000 {
            let x = d.sample(&mut rng);
            let y = inverse.at(rng.random());
            assert!(
                (0.0..=2.0).contains(&x) && (0.0..=2.0).contains(&y),
                "{x} {y}"
            );
        }
    }

    fn pert(min: f64, mode: f64, max: f64, shape: f64) -> Dist {
        let d = Pert::new(min, max)
            .with_shape(shape)
            .with_mode(mode)
            .unwrap();
        Dist::Pert(d, [min, mode, max], shape)
    }

    fn beta(a: f64, b: f64, lo: f64, hi: f64) -> Dist {
        Dist::Beta {
            dist: Beta::new(a, b).unwrap(),
            a,
            b,
            lo,
            hi,
        }
    }

    fn gamma(shape: f64, scale: f64) -> Dist {
        Dist::Gamma {
            dist: Gamma::new(shape, scale).unwrap(),
            shape,
            scale,
        }
    }

    fn normal(mean: f64, sd: f64, lo: f64, hi: f64) -> Dist {
        Dist::Normal {
            dist: Normal::new(mean, sd).unwrap(),
            lo,
            hi,
        }
    }

    fn lognormal(median: f64, sigma: f64) -> Dist {
        Dist::LogNormal {
            dist: LogNormal::new(median.ln(), sigma).unwrap(),
            median,
            sigma,
        }
    }

    /// The continuous families, each with interior points to invert at and the scale
    /// of its values.
    fn continuous_cases() -> Vec<(Dist, Vec<f64>, f64)> {
        vec![
            (
                Dist::Uniform { lo: -2.0, hi: 3.0 },
                vec![-1.9, -0.5, 0.0, 2.99],
                5.0,
            ),
            (
                Dist::Triangular(Triangular::new(1.0, 10.0, 3.0).unwrap(), [1.0, 3.0, 10.0]),
                vec![1.01, 2.0, 3.0, 5.0, 9.9],
                9.0,
            ),
            (
                Dist::Triangular(Triangular::new(0.0, 1.0, 0.0).unwrap(), [0.0, 0.0, 1.0]),
                vec![0.001, 0.3, 0.9],
                1.0,
            ),
            (
                Dist::Triangular(Triangular::new(0.0, 1.0, 1.0).unwrap(), [0.0, 1.0, 1.0]),
                vec![0.1, 0.7, 0.999],
                1.0,
            ),
            (
                pert(10.0, 20.0, 60.0, 4.0),
                vec![11.0, 15.0, 20.0, 35.0, 55.0],
                50.0,
            ),
            (pert(0.0, 0.9, 1.0, 2.5), vec![0.2, 0.6, 0.9, 0.99], 1.0),
            (pert(0.0, 0.0, 5.0, 8.0), vec![0.01, 0.5, 2.0, 4.0], 5.0),
            (normal(0.5, 1.0, 0.0, 2.0), vec![0.01, 0.5, 1.0, 1.99], 1.0),
            (
                normal(100.0, 15.0, f64::NEG_INFINITY, f64::INFINITY),
                vec![40.0, 80.0, 100.0, 130.0, 170.0],
                15.0,
            ),
            // Truncation ranges far out in either tail, where Phi(a) rounds to 1 or
            // to a number of no relative precision.
            (
                normal(0.0, 1.0, 8.0, f64::INFINITY),
                vec![8.001, 8.1, 8.5, 9.0],
                1.0,
            ),
            (
                normal(0.0, 1.0, f64::NEG_INFINITY, -8.0),
                vec![-9.0, -8.5, -8.1, -8.001],
                1.0,
            ),
            (normal(0.0, 1.0, 6.0, 7.0), vec![6.01, 6.3, 6.9], 1.0),
            (
                lognormal(10.0, 0.8),
                vec![0.5, 3.0, 10.0, 40.0, 150.0],
                10.0,
            ),
            (
                beta(2.0, 5.0, 0.0, 1.0),
                vec![0.01, 0.1, 0.3, 0.7, 0.95],
                1.0,
            ),
            (
                beta(0.5, 0.5, -1.0, 1.0),
                vec![-0.999, -0.5, 0.0, 0.8, 0.999],
                2.0,
            ),
            (
                beta(30.0, 3.0, 0.0, 100.0),
                vec![60.0, 80.0, 90.0, 99.0],
                100.0,
            ),
            (gamma(2.0, 3.0), vec![0.1, 1.0, 6.0, 20.0, 40.0], 3.0),
            (gamma(0.3, 1.0), vec![1e-6, 0.01, 0.3, 2.0, 6.0], 1.0),
            (gamma(50.0, 0.1), vec![3.0, 4.5, 5.0, 6.0, 7.5], 0.1),
        ]
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        // quantile(cdf(x)) recovers x up to the precision of the special functions
        // (about 1e-15 in probability) divided by the density, which is not small at
        // these points: 1e-9 of the distribution's scale leaves a wide margin.
        for (d, xs, scale) in continuous_cases() {
            for x in xs {
                let u = d.cdf(x);
                assert!(u > 0.0 && u < 1.0, "{}: cdf({x}) = {u}", d.describe());
                let back = d.quantile(u);
                assert!(
                    (back - x).abs() <= 1e-9 * scale,
                    "{}: x = {x}, cdf = {u}, quantile = {back}",
                    d.describe()
                );
            }
        }
    }

    #[test]
    fn quantile_is_accurate_in_both_tails_also_for_small_shapes() {
        // cdf(quantile(u)) = u to within a relative 1e-8 of the smaller tail, u or
        // 1 - u: the special functions carry about 1e-15 relative, and a shape of
        // 0.01 magnifies an error in x only a hundredfold in u.
        let cases = [
            gamma(0.01, 2.0),
            gamma(0.1, 1.0),
            gamma(0.5, 1.0),
            gamma(3.0, 1.0),
            gamma(200.0, 1.0),
            beta(0.05, 0.05, 0.0, 1.0),
            beta(0.5, 0.5, 0.0, 1.0),
            beta(0.5, 1000.0, 0.0, 1.0),
            beta(1000.0, 0.5, 0.0, 1.0),
            beta(2.0, 5.0, -3.0, 7.0),
            pert(0.0, 1.0, 10.0, 4.0),
            pert(0.0, 10.0, 10.0, 4.0),
        ];
        let us = [1e-12, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1.0 - 1e-6];
        for d in &cases {
            for u in us {
                let x = d.quantile(u);
                let slack = 1e-8 * u.min(1.0 - u);
                let p = d.cdf(x);
                // Where doubles are too coarse for that (next to 1 in a beta with a
                // shape below 1, or below the smallest double), x is within two
                // doubles of the exact quantile.
                let below = d.cdf(x.next_down().next_down());
                let above = d.cdf(x.next_up().next_up());
                assert!(
                    (p - u).abs() <= slack || (below <= u + slack && u - slack <= above),
                    "{}: quantile({u}) = {x:e}, cdf = {p:e}",
                    d.describe()
                );
            }
        }
    }

    #[test]
    fn quantile_is_monotone_and_inside_the_support() {
        let mut us: Vec<f64> = (1..1000).map(|i| i as f64 / 1000.0).collect();
        us.insert(0, 1e-12);
        us.push(1.0 - 1e-12);
        let mut cases: Vec<Dist> = continuous_cases().into_iter().map(|c| c.0).collect();
        cases.push(Dist::Fixed(3.0));
        cases.push(Dist::Choice {
            values: vec![5.0, 1.0, 10.0],
            cumulative: vec![0.5, 0.75, 1.0],
        });
        for d in &cases {
            let (lo, hi) = d.support();
            let mut prev = f64::NEG_INFINITY;
            for &u in &us {
                let x = d.quantile(u);
                assert!(x >= prev, "{}: quantile({u}) = {x} < {prev}", d.describe());
                assert!(x >= lo && x <= hi, "{}: quantile({u}) = {x}", d.describe());
                if d.is_continuous() {
                    assert!(x > prev, "{}: flat at u = {u}", d.describe());
                }
                prev = x;
            }
            assert_eq!(d.quantile(0.0), lo);
            assert_eq!(d.quantile(1.0), hi);
            assert!(d.quantile(f64::NAN).is_nan());
        }
    }

    #[test]
    fn quantile_matches_known_values() {
        let ln = lognormal(10.0, (30.0f64 / 10.0).ln() / Z_P90);
        assert!((ln.quantile(0.5) - 10.0).abs() < 1e-12);
        assert!((ln.quantile(0.9) - 30.0).abs() < 1e-9);
        let n = normal(100.0, 15.0, f64::NEG_INFINITY, f64::INFINITY);
        assert!((n.quantile(0.95) - (100.0 + 15.0 * Z_P95)).abs() < 1e-9);
        assert!((n.quantile(0.01) - (100.0 - 15.0 * Z_P99)).abs() < 1e-9);
        // Truncated to its upper half, the median of a normal is its 75th percentile.
        let half = normal(0.0, 1.0, 0.0, f64::INFINITY);
        assert!((half.quantile(0.5) - 0.674_489_750_196_081_7).abs() < 1e-12);
        // Beyond 8 standard deviations the quantile still lies just above the bound.
        let far = normal(0.0, 1.0, 8.0, f64::INFINITY);
        let m = far.quantile(0.5);
        assert!(m > 8.0 && m < 8.1, "{m}");
        let u = Dist::Uniform { lo: 2.0, hi: 4.0 };
        assert_eq!(u.quantile(0.25), 2.5);
        let t = Dist::Triangular(Triangular::new(0.0, 2.0, 1.0).unwrap(), [0.0, 1.0, 2.0]);
        assert!((t.quantile(0.5) - 1.0).abs() < 1e-15);
        assert!((t.quantile(0.125) - 0.5).abs() < 1e-15);
        // PERT(0, 0.5, 1) with shape 4 is Beta(3, 3), symmetric about 0.5.
        let p = pert(0.0, 0.5, 1.0, 4.0);
        assert!((p.quantile(0.5) - 0.5).abs() < 1e-12);
        assert!((p.quantile(0.2) + p.quantile(0.8) - 1.0).abs() < 1e-12);
        // Gamma(1, scale) is exponential with mean scale.
        let e = gamma(1.0, 2.0);
        assert!((e.quantile(0.5) - 2.0 * std::f64::consts::LN_2).abs() < 1e-12);
    }

    #[test]
    fn choice_quantile_and_cdf() {
        let sorted = Dist::Choice {
            values: vec![1.0, 5.0, 10.0],
            cumulative: vec![0.25, 0.5, 1.0],
        };
        assert_eq!(sorted.quantile(0.1), 1.0);
        assert_eq!(sorted.quantile(0.25), 5.0);
        assert_eq!(sorted.quantile(0.49), 5.0);
        assert_eq!(sorted.quantile(0.5), 10.0);
        assert_eq!(sorted.quantile(0.99), 10.0);
        // Listed out of order, the same distribution has the same quantiles.
        let shuffled = Dist::Choice {
            values: vec![10.0, 1.0, 5.0],
            cumulative: vec![0.5, 0.75, 1.0],
        };
        for u in [0.1, 0.25, 0.3, 0.49, 0.5, 0.7, 0.99] {
            assert_eq!(shuffled.quantile(u), sorted.quantile(u), "u = {u}");
        }
        for (x, p) in [(0.0, 0.0), (1.0, 0.25), (7.0, 0.5), (10.0, 1.0)] {
            assert!((sorted.cdf(x) - p).abs() < 1e-15);
            assert!((shuffled.cdf(x) - p).abs() < 1e-15);
        }
        let f = Dist::Fixed(2.0);
        assert_eq!((f.cdf(1.9), f.cdf(2.0), f.quantile(0.3)), (0.0, 1.0, 2.0));
    }

    #[test]
    fn a_pert_shows_its_shape_when_not_the_classic_4() {
        assert_eq!(pert(0.0, 1.0, 10.0, 4.0).describe(), "pert(0, 1, 10)");
        assert_eq!(
            pert(45.0, 60.0, 150.0, 6.0).describe(),
            "pert(45, 60, 150; shape 6)"
        );
    }

    #[test]
    #[ignore = "timing only: cargo test --release --lib quantile_speed -- --ignored --nocapture"]
    fn quantile_speed() {
        let cases = [
            ("beta(2, 5)", beta(2.0, 5.0, 0.0, 1.0)),
            ("beta(0.5, 0.5)", beta(0.5, 0.5, 0.0, 1.0)),
            ("beta(30, 3)", beta(30.0, 3.0, 0.0, 1.0)),
            ("pert(0, 1, 10)", pert(0.0, 1.0, 10.0, 4.0)),
            ("gamma(2, 3)", gamma(2.0, 3.0)),
            ("gamma(0.3, 1)", gamma(0.3, 1.0)),
            ("gamma(50, 0.1)", gamma(50.0, 0.1)),
            ("gamma(0.05, 1)", gamma(0.05, 1.0)),
            ("beta(0.1, 2)", beta(0.1, 2.0, 0.0, 1.0)),
            ("normal in [0, 2]", normal(0.5, 1.0, 0.0, 2.0)),
        ];
        let n = 20_000;
        for (name, d) in &cases {
            let start = std::time::Instant::now();
            let mut sum = 0.0;
            for i in 0..n {
                sum += d.quantile(std::hint::black_box((i as f64 + 0.5) / n as f64));
            }
            let ns = start.elapsed().as_nanos() as f64 / n as f64;
            println!(
                "{name}: {ns:.0} ns per quantile (mean {:.4})",
                sum / n as f64
            );
        }
    }
}
