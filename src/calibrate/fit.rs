//! Fits of event times: a homogeneous Poisson rate with its exact (Garwood) interval,
//! the dispersion of monthly counts, and a self-exciting (Hawkes) process with an
//! exponential kernel by maximum likelihood.
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

/// Index of dispersion (variance / mean) of counts; 1 for a Poisson process.
pub fn dispersion(counts: &[f64]) -> f64 {
    let n = counts.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mean = counts.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return f64::NAN;
    }
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
    var / mean
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
    fn hawkes_with_zero_branching_is_poisson() {
        let times: Vec<f64> = (0..50).map(|i| i as f64 * 2.0 + 0.5).collect();
        let ll = hawkes_loglik(&times, 100.0, 0.5, 0.0, 5.0);
        assert!((ll - poisson_loglik(50, 100.0)).abs() < 1e-9);
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
