//! Fits of event times: a homogeneous Poisson rate with its exact (Garwood) interval,
//! the dispersion of monthly counts, a rate with a compound trend, and a self-exciting
//! (Hawkes) process with an exponential kernel, both by maximum likelihood.
//!
//! The Hawkes intensity is `mu + sum_i (n / tau) exp(-(t - t_i) / tau)`, the same
//! parameterisation as a scenario's `self_excitation` (`n` = `jump`, the branching
//! ratio; `tau` = `decay_days`). Its log-likelihood over `[0, T]` (Ozaki, 1979) is
//! `sum_i ln(mu + (n / tau) A_i) - mu T - n sum_i (1 - exp(-(T - t_i) / tau))` with the
//! recursion `A_i = exp(-(t_i - t_{i-1}) / tau) (1 + A_{i-1})`. It is maximised with
//! Nelder-Mead (argmin) over `(ln mu, logit n, ln tau)`; standard errors come from the
//! inverse of the observed information (a finite-difference Hessian).

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// A Poisson rate and its exact 95% interval, per unit of `exposure`.
pub fn poisson_rate(events: usize, exposure: f64) -> (f64, f64, f64) {
    let k = events as f64;
    let lo = if events == 0 {
        0.0
    } else {
        ChiSquared::new(2.0 * k).map_or(f64::NAN, |d| d.inverse_cdf(0.025)) / 2.0
    };
    let hi = ChiSquared::new(2.0 * k + 2.0).map_or(f64::NAN, |d| d.inverse_cdf(0.975)) / 2.0;
    (k / exposure, lo / exposure, hi / exposure)
}

/// A rate and its 95% interval as [`poisson_rate`] gives them, for counts overdispersed
/// by the factor `c` (variance `c` times the mean, `c >= 1`; see [`overdispersion`]):
/// the exact interval of `events / c` events over `exposure / c` (a quasi-Poisson
/// interval: the same rate, a wider interval, as though the events came in clusters of
/// `c`).
pub fn quasi_poisson_rate(events: usize, exposure: f64, c: f64) -> (f64, f64, f64) {
    if c <= 1.0 || c.is_nan() {
        return poisson_rate(events, exposure);
    }
    let k = events as f64 / c;
    let lo = if events == 0 {
        0.0
    } else {
        ChiSquared::new(2.0 * k).map_or(f64::NAN, |d| d.inverse_cdf(0.025)) / 2.0
    };
    let hi = ChiSquared::new(2.0 * k + 2.0).map_or(f64::NAN, |d| d.inverse_cdf(0.975)) / 2.0;
    let t = exposure / c;
    (events as f64 / exposure, lo / t, hi / t)
}

/// Overdispersion of counts against a model's expected counts: Pearson's chi-square
/// over its degrees of freedom (the cells with an expectation less the model's
/// `params`; Wedderburn's quasi-likelihood, McCullagh and Nelder, 1989, section 4.5),
/// where the chi-square test rejects the model's Poisson variance at the 5% level, and
/// 1 otherwise: a Poisson process's counts give a ratio above 1 about half the time, by
/// chance, which is not taken for clusters. 1 where there are no degrees of freedom.
pub fn overdispersion(observed: &[f64], expected: &[f64], params: usize) -> f64 {
    let (mut chi2, mut cells) = (0.0, 0usize);
    for (o, e) in observed.iter().zip(expected) {
        if *e > 0.0 {
            chi2 += (o - e) * (o - e) / e;
            cells += 1;
        }
    }
    if cells <= params {
        return 1.0;
    }
    let df = (cells - params) as f64;
    let p = ChiSquared::new(df).map_or(1.0, |d| 1.0 - d.cdf(chi2));
    if p < 0.05 { (chi2 / df).max(1.0) } else { 1.0 }
}

/// Expected events of a trend fit over `[a, b]` (days) of a window of `t` days: the
/// integral of `rate_end exp(beta (s - t))`.
pub fn trend_expected(f: &TrendFit, a: f64, b: f64, t: f64) -> f64 {
    let beta = f.growth.ln_1p() / 365.25;
    if beta == 0.0 {
        return f.rate_end * (b - a);
    }
    let at = |s: f64| (beta * (s - t)).exp();
    f.rate_end * (at(b) - at(a)) / beta
}

/// Index of dispersion of counts over periods of `lengths` days: the variance of the
/// counts about their expectations at one constant rate (proportional to the periods'
/// lengths) over those expectations, so about 1 for a Poisson process whatever the
/// lengths of its months; for periods of equal length, the variance over the mean.
pub fn dispersion(counts: &[f64], lengths: &[f64]) -> f64 {
    let n = counts.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let per_day = counts.iter().sum::<f64>() / lengths.iter().sum::<f64>();
    if per_day.is_nan() || per_day <= 0.0 {
        return f64::NAN;
    }
    let chi2: f64 = (counts.iter().zip(lengths))
        .map(|(&c, &l)| (c - per_day * l).powi(2) / (per_day * l))
        .sum();
    chi2 / (n - 1.0)
}

/// Log-likelihood of a homogeneous Poisson process with `k` events over `t` at its MLE.
pub fn poisson_loglik(k: usize, t: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let k = k as f64;
    k * (k / t).ln() - k
}

/// Below this branching ratio the decay is not identified and is left empty.
pub const NO_EXCITATION: f64 = 0.01;

/// A fitted Hawkes process (times in days).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HawkesFit {
    /// Background rate per day.
    pub mu: f64,
    /// Branching ratio.
    pub n: f64,
    /// Mean offspring delay, days.
    pub tau: f64,
    /// Standard errors of `mu`, `n`, `tau` (NaN when the information is singular).
    pub se: [f64; 3],
    /// Maximised log-likelihood.
    pub loglik: f64,
}

impl HawkesFit {
    /// The decay to report: `tau`, or NaN where the branching ratio is below
    /// [`NO_EXCITATION`] and the data say nothing of it.
    pub fn decay_days(&self) -> f64 {
        if self.n < NO_EXCITATION {
            f64::NAN
        } else {
            self.tau
        }
    }
}

/// Log-likelihood of an exponential-kernel Hawkes process on sorted `times` in `[0, t]`.
pub fn hawkes_loglik(times: &[f64], t: f64, mu: f64, n: f64, tau: f64) -> f64 {
    if !(mu > 0.0 && (0.0..1.0).contains(&n) && tau > 0.0) {
        return f64::NEG_INFINITY;
    }
    let mut a = 0.0;
    let mut prev: Option<f64> = None;
    let mut ll = 0.0;
    for &ti in times {
        if let Some(p) = prev {
            a = (-(ti - p) / tau).exp() * (1.0 + a);
        }
        prev = Some(ti);
        ll += (mu + n / tau * a).ln();
    }
    let tail: f64 = times.iter().map(|&ti| 1.0 - (-(t - ti) / tau).exp()).sum();
    ll - mu * t - n * tail
}

struct Nll<'a> {
    times: &'a [f64],
    t: f64,
}

fn natural(p: &[f64]) -> (f64, f64, f64) {
    (p[0].exp(), 1.0 / (1.0 + (-p[1]).exp()), p[2].exp())
}

impl CostFunction for Nll<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Self::Param) -> Result<f64, argmin::core::Error> {
        let (mu, n, tau) = natural(p);
        let ll = hawkes_loglik(self.times, self.t, mu, n, tau);
        Ok(if ll.is_finite() { -ll } else { f64::MAX })
    }
}

/// Maximum-likelihood fit of a Hawkes process to sorted `times` (days) in `[0, t]`.
pub fn fit_hawkes(times: &[f64], t: f64) -> Option<HawkesFit> {
    let k = times.len() as f64;
    if k < 2.0 || t <= 0.0 {
        return None;
    }
    let mut best: Option<(Vec<f64>, f64)> = None;
    // Two starts (weak and strong clustering), each restarted once from its optimum.
    for (n0, tau0) in [(0.2f64, 3.0f64), (0.6, 20.0)] {
        let mut x = vec![(k * (1.0 - n0) / t).ln(), (n0 / (1.0 - n0)).ln(), tau0.ln()];
        for _ in 0..2 {
            let simplex = (0..4)
                .map(|i| {
                    let mut v = x.clone();
                    if i > 0 {
                        v[i - 1] += 0.7;
                    }
                    v
                })
                .collect();
            let solver = NelderMead::new(simplex).with_sd_tolerance(1e-10).ok()?;
            let res = Executor::new(Nll { times, t }, solver)
                .configure(|s| s.max_iters(3000))
                .run()
                .ok()?;
            let state = res.state();
            x = state.get_best_param()?.clone();
            let cost = state.get_best_cost();
            if best.as_ref().is_none_or(|b| cost < b.1) {
                best = Some((x.clone(), cost));
            }
        }
    }
    let (x, cost) = best?;
    let (mu, n, tau) = natural(&x);
    let se = standard_errors(times, t, [mu, n, tau]);
    Some(HawkesFit {
        mu,
        n,
        tau,
        se,
        loglik: -cost,
    })
}

/// Standard errors from the observed information: the finite-difference Hessian of the
/// negative log-likelihood in the unconstrained parameters `(ln mu, logit n, ln tau)`,
/// inverted, then carried to the natural parameters by the delta method
/// (`se(mu) = mu sd(ln mu)`, `se(n) = n (1 - n) sd(logit n)`, `se(tau) = tau sd(ln tau)`).
/// Steps in the unconstrained space never leave the parameter domain.
fn standard_errors(times: &[f64], t: f64, p: [f64; 3]) -> [f64; 3] {
    let theta = [p[0].ln(), (p[1] / (1.0 - p[1])).ln(), p[2].ln()];
    let f = |q: [f64; 3]| {
        let (mu, n, tau) = natural(&q);
        -hawkes_loglik(times, t, mu, n, tau)
    };
    let h = 1e-4;
    let mut hess = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let at = |di: f64, dj: f64| {
                let mut q = theta;
                q[i] += di * h;
                q[j] += dj * h;
                f(q)
            };
            hess[i][j] =
                (at(1.0, 1.0) - at(1.0, -1.0) - at(-1.0, 1.0) + at(-1.0, -1.0)) / (4.0 * h * h);
        }
    }
    let scale = [p[0], p[1] * (1.0 - p[1]), p[2]];
    match invert3(hess) {
        Some(inv) => [0, 1, 2].map(|i| {
            if inv[i][i] > 0.0 && inv[i][i].is_finite() {
                scale[i] * inv[i][i].sqrt()
            } else {
                f64::NAN
            }
        }),
        None => [f64::NAN; 3],
    }
}

fn invert3(m: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let c =
        |r0: usize, r1: usize, c0: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    let det = m[0][0] * c(1, 2, 1, 2) - m[0][1] * c(1, 2, 0, 2) + m[0][2] * c(1, 2, 0, 1);
    if !det.is_finite() || det.abs() < 1e-300 {
        return None;
    }
    let adj = [
        [c(1, 2, 1, 2), -c(0, 2, 1, 2), c(0, 1, 1, 2)],
        [-c(1, 2, 0, 2), c(0, 2, 0, 2), -c(0, 1, 0, 2)],
        [c(1, 2, 0, 1), -c(0, 2, 0, 1), c(0, 1, 0, 1)],
    ];
    Some(adj.map(|row| row.map(|x| x / det)))
}

/// The Hawkes process whose mean rate and covariance density are those of a fitted
/// one thinned independently to a `share` of its events (the events that hit the
/// programme): `(mu, n, tau)` per day. Thinning keeps the covariance density's decay,
/// `(1 - n) / tau`, and multiplies its amplitude, `mu n (2 - n) / (2 tau (1 - n)^2)` for
/// an exponential kernel (Hawkes 1971), by `share^2` and the mean rate by `share`; so
/// `1 / (1 - n')^2 - 1 = share (1 / (1 - n)^2 - 1)`. Keeping the branching ratio
/// instead would make each programme event trigger as many programme events as each
/// recorded event triggers recorded ones.
pub fn thinned(h: &HawkesFit, share: f64) -> (f64, f64, f64) {
    let n = (1.0 - 1.0 / (1.0 + share * ((1.0 - h.n).powi(-2) - 1.0)).sqrt()).max(0.0);
    let keep = (1.0 - n) / (1.0 - h.n);
    (h.mu * share * keep, n, h.tau * keep)
}

/// Fewest events for a trend fit.
pub const MIN_TREND_EVENTS: usize = 10;

/// A Poisson process whose rate changes at a constant compound rate, as a scenario's
/// `trend_per_year` makes it: `rate_end (1 + growth)^((t - T) / 365.25)` on `[0, T]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendFit {
    /// Rate per day at the window's end.
    pub rate_end: f64,
    /// Standard error of `ln rate_end`.
    pub ln_rate_end_se: f64,
    /// Growth per year (0.1: +10% a year).
    pub growth: f64,
    /// Its standard error.
    pub growth_se: f64,
    /// Maximised log-likelihood.
    pub loglik: f64,
}

/// Mean of the density proportional to `exp(x s)` on `[0, 1]`; rises from 0 to 1.
fn tilted_mean(x: f64) -> f64 {
    if x.abs() < 1e-4 {
        0.5 + x / 12.0
    } else {
        1.0 / -(-x).exp_m1() - 1.0 / x
    }
}

/// Variance of that density.
fn tilted_variance(x: f64) -> f64 {
    if x.abs() < 1e-2 {
        1.0 / 12.0 - x * x / 240.0
    } else {
        let s = (x / 2.0).sinh();
        1.0 / (x * x) - 1.0 / (4.0 * s * s)
    }
}

/// Maximum-likelihood fit of a trend to sorted `times` (days) in `[0, t]`.
///
/// With `beta = ln(1 + growth) / 365.25` and `x = beta t`: given their number `k`, the
/// times are independent draws from the density proportional to `exp(beta s)`, so the
/// MLE of `x` makes that density's mean the times' mean, and the information on `x` is
/// `k` times its variance. The rate at the end is then `(k / t) x / (1 - exp(-x))`,
/// whose logarithm has the variance `1 / k` (the count) plus that of `x` carried by the
/// delta method; the log-likelihood is `k ln(rate_end) - k x (1 - mean) - k`, which is
/// the Poisson one at `x = 0`. None with fewer than [`MIN_TREND_EVENTS`] events, or where
/// the events crowd one end: a growth above 900% or below -90% a year.
pub fn fit_trend(times: &[f64], t: f64) -> Option<TrendFit> {
    let k = times.len() as f64;
    if times.len() < MIN_TREND_EVENTS || t <= 0.0 {
        return None;
    }
    let u = times.iter().sum::<f64>() / k / t;
    let (mut lo, mut hi) = (-700.0f64, 700.0f64);
    if !(tilted_mean(lo) < u && u < tilted_mean(hi)) {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if tilted_mean(mid) < u {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = 0.5 * (lo + hi);
    let q = if x.abs() < 1e-12 {
        1.0 + x / 2.0
    } else {
        x / -(-x).exp_m1()
    };
    let rate_end = k / t * q;
    let per_year = 365.25 / t;
    let growth = (x * per_year).exp_m1();
    let x_var = 1.0 / (k * tilted_variance(x));
    // d ln(q) / dx.
    let dq = if x.abs() < 1e-4 {
        0.5 - x / 12.0
    } else {
        1.0 / x - 1.0 / x.exp_m1()
    };
    let fit = TrendFit {
        rate_end,
        ln_rate_end_se: (1.0 / k + dq * dq * x_var).sqrt(),
        growth,
        growth_se: (1.0 + growth) * per_year * x_var.sqrt(),
        loglik: k * rate_end.ln() - k * x * (1.0 - u) - k,
    };
    // A rate that would rise more than tenfold, or fall by more than 90%, in a year is
    // a burst of events at one end of the window, not a trend to carry on.
    ((-0.9..=9.0).contains(&fit.growth) && fit.growth_se.is_finite()).then_some(fit)
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_decay_is_reported_without_excitation() {
        let fit = |n| HawkesFit {
            mu: 0.1,
            n,
            tau: 4e8,
            se: [0.01, 0.01, 1e9],
            loglik: 0.0,
        };
        assert!(fit(4.5e-6).decay_days().is_nan());
        assert_eq!(fit(0.2).decay_days(), 4e8);
    }

    use super::*;

    #[test]
    fn garwood_interval_matches_tables() {
        // 10 events in one unit of time: 4.7954 to 18.3904 (standard tables).
        let (r, lo, hi) = poisson_rate(10, 1.0);
        assert_eq!(r, 10.0);
        assert!(
            (lo - 4.7954).abs() < 1e-3 && (hi - 18.3904).abs() < 1e-3,
            "{lo} {hi}"
        );
        let (_, lo0, hi0) = poisson_rate(0, 2.0);
        assert_eq!(lo0, 0.0);
        assert!((hi0 - 3.6889 / 2.0).abs() < 1e-3);
    }

    #[test]
    fn an_overdispersed_rate_keeps_its_value_and_widens_its_interval() {
        // Without overdispersion, the exact interval.
        assert_eq!(quasi_poisson_rate(10, 1.0, 1.0), poisson_rate(10, 1.0));
        // With 2: that of 5 events over half the time (1.6235 to 11.6683 for 5, tables).
        let (r, lo, hi) = quasi_poisson_rate(10, 1.0, 2.0);
        assert_eq!(r, 10.0);
        assert!(
            (lo - 2.0 * 1.6235).abs() < 2e-3 && (hi - 2.0 * 11.6683).abs() < 2e-3,
            "{lo} {hi}"
        );
    }

    #[test]
    fn dispersion_allows_for_the_lengths_of_months() {
        // Equal lengths: the variance over the mean.
        let d = dispersion(&[1.0, 3.0, 2.0, 6.0], &[30.0; 4]);
        assert!((d - (14.0 / 3.0) / 3.0).abs() < 1e-12, "{d}");
        // Counts in proportion to their months' lengths are no clustering at all.
        assert_eq!(
            dispersion(&[310.0, 282.5, 310.0, 300.0], &[31.0, 28.25, 31.0, 30.0]),
            0.0
        );
        // A Poisson series of 10 events a day over 20 years of calendar months: about 1
        // (its chi-square over 239 degrees of freedom has a standard deviation of
        // sqrt(2 / 239) = 0.09; a tolerance of 4 of them), where the variance over the
        // mean reads about 1.4, the spread of the months' lengths.
        use rand::SeedableRng;
        use rand_distr::{Distribution, Poisson};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(6);
        let lengths: Vec<f64> = (0..240)
            .map(|m| {
                [
                    31.0, 28.25, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
                ][m % 12]
            })
            .collect();
        let counts: Vec<f64> = (lengths.iter())
            .map(|&l| Poisson::new(10.0 * l).unwrap().sample(&mut rng))
            .collect();
        let d = dispersion(&counts, &lengths);
        assert!((d - 1.0).abs() < 4.0 * (2.0f64 / 239.0).sqrt(), "{d}");
        let naive = dispersion(&counts, &[30.0; 240]);
        assert!(naive > 1.2, "{naive}");
    }

    #[test]
    fn overdispersion_is_pearsons_chi_square_over_its_degrees_of_freedom() {
        // Counts 0, 4, 0, 4 against 2 each: chi-square 4 x 2 = 8 over 4 - 1 cells.
        let x = overdispersion(&[0.0, 4.0, 0.0, 4.0], &[2.0; 4], 1);
        assert!((x - 8.0 / 3.0).abs() < 1e-12, "{x}");
        // (Chi-square 8 on 3 degrees of freedom: p = 0.046, under 5%.) Spread that the
        // test does not reject (2 on 3: p = 0.57) counts as 1, as does less spread than a
        // Poisson count's, or no degrees of freedom; cells with nothing expected are
        // left out.
        assert_eq!(overdispersion(&[1.0, 3.0, 1.0, 3.0], &[2.0; 4], 1), 1.0);
        assert_eq!(overdispersion(&[2.0, 2.0, 2.0], &[2.0; 3], 1), 1.0);
        assert_eq!(overdispersion(&[0.0, 5.0], &[2.5; 2], 2), 1.0);
        let x = overdispersion(&[0.0, 4.0, 0.0, 4.0, 0.0], &[2.0, 2.0, 2.0, 2.0, 0.0], 1);
        assert!((x - 8.0 / 3.0).abs() < 1e-12, "{x}");
    }

    #[test]
    fn hawkes_with_zero_branching_is_poisson() {
        let times: Vec<f64> = (0..50).map(|i| i as f64 * 2.0 + 0.5).collect();
        let ll = hawkes_loglik(&times, 100.0, 0.5, 0.0, 5.0);
        assert!((ll - poisson_loglik(50, 100.0)).abs() < 1e-9);
    }

    #[test]
    fn a_trend_fit_matches_the_likelihood_it_maximises() {
        // Times at the quantiles of a rate growing 40% a year over four years.
        let (t, beta) = (4.0 * 365.25, 1.4f64.ln() / 365.25);
        let k = 400;
        let times: Vec<f64> = (0..k)
            .map(|i| {
                let p = (i as f64 + 0.5) / k as f64;
                (1.0 + p * (beta * t).exp_m1()).ln() / beta
            })
            .collect();
        let fit = fit_trend(&times, t).unwrap();
        assert!((fit.growth - 0.4).abs() < 0.01, "{fit:?}");
        // The log-likelihood of a rate rate_end exp(b (s - t)), directly.
        let ll = |rate_end: f64, b: f64| {
            let integral = rate_end * -(-b * t).exp_m1() / b;
            times
                .iter()
                .map(|&s| (rate_end * (b * (s - t)).exp()).ln())
                .sum::<f64>()
                - integral
        };
        let b = fit.growth.ln_1p() / 365.25;
        assert!((ll(fit.rate_end, b) - fit.loglik).abs() < 1e-6);
        // A maximum: any step away lowers it.
        for (dr, db) in [(1.01, 0.0), (0.99, 0.0), (1.0, 1e-5), (1.0, -1e-5)] {
            assert!(ll(fit.rate_end * dr, b + db) < fit.loglik);
        }
        // Evenly spread times: no growth, the Poisson rate and likelihood.
        let even: Vec<f64> = (0..100).map(|i| (i as f64 + 0.5) * 10.0).collect();
        let flat = fit_trend(&even, 1000.0).unwrap();
        assert!(flat.growth.abs() < 1e-9, "{flat:?}");
        assert!((flat.rate_end - 0.1).abs() < 1e-12);
        assert!((flat.loglik - poisson_loglik(100, 1000.0)).abs() < 1e-9);
        // Its rate at the end: sd 2 / sqrt(k) in logs (1 / k from the count, 3 / k from
        // extrapolating the trend to the end).
        assert!((flat.ln_rate_end_se - 0.2).abs() < 1e-6);
        assert!(fit_trend(&even[..9], 1000.0).is_none());
        // Twelve events in the last month of eight years: a burst, not a trend.
        let burst: Vec<f64> = (0..12).map(|i| 2892.0 + 2.5 * i as f64).collect();
        assert!(fit_trend(&burst, 2922.0).is_none());
        let early: Vec<f64> = burst.iter().map(|t| 2922.0 - t).collect();
        assert!(fit_trend(&early, 2922.0).is_none());
    }

    #[test]
    fn thinning_keeps_the_covariance_decay_and_scales_its_amplitude() {
        let h = HawkesFit {
            mu: 0.05,
            n: 0.65,
            tau: 10.0,
            se: [0.0; 3],
            loglik: 0.0,
        };
        // (mean rate, decay of the covariance density, its amplitude)
        let moments = |mu: f64, n: f64, tau: f64| {
            let rate = mu / (1.0 - n);
            (
                rate,
                (1.0 - n) / tau,
                rate * n * (2.0 - n) / (2.0 * tau * (1.0 - n)),
            )
        };
        let (r, d, a) = moments(h.mu, h.n, h.tau);
        for share in [1.0, 0.5, 0.01] {
            let (mu, n, tau) = thinned(&h, share);
            let (r2, d2, a2) = moments(mu, n, tau);
            assert!((r2 / (share * r) - 1.0).abs() < 1e-12);
            assert!((d2 / d - 1.0).abs() < 1e-12);
            assert!((a2 / (share * share * a) - 1.0).abs() < 1e-12);
        }
        assert!((thinned(&h, 1.0).1 - 0.65).abs() < 1e-12);
        assert!(thinned(&h, 0.01).1 < 0.04);
    }

    #[test]
    fn matrix_inverse() {
        let m = [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]];
        let inv = invert3(m).unwrap();
        let product = |i: usize, j: usize| (0..3).map(|k| m[i][k] * inv[k][j]).sum::<f64>();
        for (i, j) in (0..3).flat_map(|i| (0..3).map(move |j| (i, j))) {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((product(i, j) - want).abs() < 1e-12);
        }
    }
}
