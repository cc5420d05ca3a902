//! Statistical tests against closed forms. Every tolerance is four standard errors
//! derived from the sample size (a false alarm about once in 16,000 runs), with fixed
//! seeds so that a run is reproducible.

use rand::RngExt;
use shortfall::engine::Compiled;
use shortfall::engine::rng::{purpose, stream};
use shortfall::hazards::draw_events;
use shortfall::model::Num;
use shortfall::scenario::parse;

/// A one-site network with a port, and one hazard block supplied by the test.
fn scenario(hazard: &str, horizon: &str) -> String {
    format!(
        r#"
name = "stat"
start = "2026-01-01"
horizon = "{horizon}"
[[commodities]]
name = "ore"
[[sites]]
name = "pile"
kind = "stockpile"
region = "A"
commodity = "ore"
initial_inventory = 1e12
capacity_per_day = 1000
inventory_max = 1e13
[[sites]]
name = "port"
kind = "port"
region = "A"
initial_inventory = 1e12
capacity_per_day = 100
inventory_max = 1e13
[[routes]]
name = "road"
from = "pile"
to = "port"
regions = ["A"]
capacity_per_day = 1000
transit_days = 1
{hazard}
"#
    )
}

fn counts(c: &Compiled, n: u64, seed: u64) -> Vec<f64> {
    let mut events = Vec::new();
    (0..n)
        .map(|t| {
            let values: Vec<f64> = c.model.params.iter().map(|_| 0.0).collect();
            draw_events(
                &c.model,
                &c.hazards,
                seed,
                t,
                &values,
                &c.hazard_off,
                &mut events,
            )
            .unwrap();
            events.len() as f64
        })
        .collect()
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

#[test]
fn poisson_event_counts_have_the_right_mean_and_variance() {
    let hazard = r#"
[[hazards]]
name = "h"
kind = "protest"
regions = ["A"]
rate_per_year = 12
targets = { route = 1 }
[hazards.impact]
duration_days = 1
"#;
    let c = Compiled::new(parse(&scenario(hazard, "2029-12-31"), "t").unwrap());
    let n = 20_000;
    let xs = counts(&c, n, 11);
    let mu = 12.0 * c.model.n_days as f64 / 365.25;
    let (m, v) = mean_var(&xs);
    let se_mean = (mu / n as f64).sqrt();
    assert!(
        (m - mu).abs() < 4.0 * se_mean,
        "mean {m} vs {mu} (se {se_mean})"
    );
    // Var of the sample variance of a Poisson(mu): mu/n + 2 mu^2/(n-1).
    let se_var = (mu / n as f64 + 2.0 * mu * mu / (n as f64 - 1.0)).sqrt();
    assert!(
        (v - mu).abs() < 4.0 * se_var,
        "variance {v} vs {mu} (se {se_var})"
    );
}

#[test]
fn self_exciting_mean_count_matches_the_exponential_kernel_formula() {
    let hazard = r#"
[[hazards]]
name = "h"
kind = "attack"
regions = ["A"]
rate_per_year = 20
self_excitation = { jump = 0.5, decay_days = 30 }
targets = { route = 1 }
[hazards.impact]
duration_days = 1
"#;
    let c = Compiled::new(parse(&scenario(hazard, "2027-12-31"), "t").unwrap());
    let n = 20_000;
    let xs = counts(&c, n, 12);
    let (mu, br, tau): (f64, f64, f64) = (20.0 / 365.25, 0.5, 30.0);
    let t = c.model.n_days as f64;
    // E N(T) = mu T/(1-n) - mu n tau (1 - exp(-(1-n) T / tau)) / (1-n)^2.
    let expected = mu * t / (1.0 - br)
        - mu * br * tau * (1.0 - (-(1.0 - br) * t / tau).exp()) / (1.0 - br).powi(2);
    let (m, v) = mean_var(&xs);
    let se = (v / n as f64).sqrt();
    assert!(
        (m - expected).abs() < 4.0 * se,
        "mean {m} vs {expected} (se {se})"
    );
    // A Poisson process with that mean would have variance = mean; clustering raises it
    // (to about mean / (1 - n)^2). Reject "variance = mean" at four standard errors of
    // the sample variance of a Poisson count: sqrt(m/n + 2 m^2/(n-1)).
    let se_var = (m / n as f64 + 2.0 * m * m / (n as f64 - 1.0)).sqrt();
    assert!(
        v - m > 4.0 * se_var,
        "variance {v} should exceed the mean {m} (se {se_var})"
    );
}

#[test]
fn availability_under_poisson_outages_of_fixed_duration() {
    let hazard = r#"
[[hazards]]
name = "outage"
kind = "cyber"
national = true
rate_per_year = 18.2625
targets = { port = 1 }
[hazards.impact]
duration_days = 4
"#;
    let c = Compiled::new(parse(&scenario(hazard, "2027-12-31"), "t").unwrap());
    let (lambda, d, t): (f64, f64, f64) = (18.2625 / 365.25, 4.0, c.model.n_days as f64);
    // P(down at time s) = 1 - exp(-lambda min(s, D)); averaged over [0, T].
    let expected = ((1.0 - (-lambda * d).exp()) / lambda + (t - d) * (-lambda * d).exp()) / t;
    let n = 4_000;
    let xs: Vec<f64> = (0..n)
        .map(|i| {
            let o = c.trial(5, i);
            o.delivered_yearly.iter().sum::<f64>() / (100.0 * t)
        })
        .collect();
    let (m, v) = mean_var(&xs);
    let se = (v / n as f64).sqrt();
    assert!(
        (m - expected).abs() < 4.0 * se,
        "availability {m} vs {expected} (se {se})"
    );
}

fn ecdf(xs: &[f64], x: f64) -> f64 {
    xs.iter().filter(|&&v| v <= x).count() as f64 / xs.len() as f64
}

fn draws(dist_toml: &str, n: usize) -> Vec<f64> {
    let hazard = format!(
        "[[hazards]]\nname = \"h\"\nkind = \"protest\"\nregions = [\"A\"]\nrate_per_year = {dist_toml}\ntargets = {{ route = 1 }}\n[hazards.impact]\nduration_days = 1\n"
    );
    let c = Compiled::new(parse(&scenario(&hazard, "2026-12-31"), "t").unwrap());
    let Num::Param(i) = c.model.hazards[0].rate_per_year else {
        panic!("not uncertain")
    };
    // As a trial draws it: the inverse distribution function (tables for PERT and the
    // lognormal) at a uniform level.
    let inverse = &c.param_inverses[i];
    let mut rng = stream(3, 0, purpose("quantile-test"));
    (0..n).map(|_| inverse.at(rng.random::<f64>())).collect()
}

#[test]
fn lognormal_by_median_and_p90_has_those_quantiles() {
    let n = 40_000;
    let xs = draws("{ lognormal = { median = 5, p90 = 20 } }", n);
    let sigma = (20.0f64 / 5.0).ln() / 1.281_551_565_544_600_4;
    for (p, z) in [
        (0.1, -1.281_551_565_544_600_4),
        (0.5, 0.0),
        (0.9, 1.281_551_565_544_600_4),
        (0.99, 2.326_347_874_040_840_8),
    ] {
        let q = 5.0 * (sigma * z).exp();
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let got = ecdf(&xs, q);
        assert!(
            (got - p).abs() < 4.0 * se,
            "P(X <= {q}) = {got}, expected {p}"
        );
    }
}

/// CDF of PERT(a, b, c) with shape 4, by Simpson integration of its beta density.
fn pert_cdf(a: f64, b: f64, c: f64, x: f64) -> f64 {
    let (al, be) = (1.0 + 4.0 * (b - a) / (c - a), 1.0 + 4.0 * (c - b) / (c - a));
    let f = |u: f64| u.powf(al - 1.0) * (1.0 - u).powf(be - 1.0);
    let simpson = |lo: f64, hi: f64| {
        let m = 2000;
        let h = (hi - lo) / m as f64;
        (0..=m)
            .map(|i| {
                let w = if i == 0 || i == m {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                w * f(lo + i as f64 * h)
            })
            .sum::<f64>()
            * h
            / 3.0
    };
    simpson(0.0, (x - a) / (c - a)) / simpson(0.0, 1.0)
}

#[test]
fn pert_draws_follow_the_pert_distribution() {
    let n = 40_000;
    let (a, b, c) = (2.0, 4.0, 10.0);
    let xs = draws("{ pert = [2, 4, 10] }", n);
    for x in [3.0, 4.0, 5.0, 6.5, 8.0] {
        let p = pert_cdf(a, b, c, x);
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let got = ecdf(&xs, x);
        assert!(
            (got - p).abs() < 4.0 * se,
            "P(X <= {x}) = {got}, expected {p}"
        );
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let expected = (a + 4.0 * b + c) / 6.0;
    let sd = ((mean - a) * (c - mean) / 7.0).sqrt();
    assert!((mean - expected).abs() < 4.0 * sd / (n as f64).sqrt());
}

/// The expected event count of a Poisson hazard whose rate per year is `rate` times
/// `(1 + trend)^(t / 365.25)` times `factor(day)` (constant within each day), over the
/// days `days`: each day's factor times the trend's integral over that day.
fn expected_count(
    rate: f64,
    trend: f64,
    days: impl Iterator<Item = usize>,
    factor: impl Fn(usize) -> f64,
) -> f64 {
    let g = (1.0f64 + trend).ln();
    let grown = |d: usize| (g * d as f64 / 365.25).exp();
    let per_day = |d: usize| {
        if trend == 0.0 {
            rate / 365.25
        } else {
            rate / g * (grown(d + 1) - grown(d))
        }
    };
    days.map(|d| factor(d) * per_day(d)).sum()
}

#[test]
fn trend_phases_seasons_and_mitigations_multiply_the_background_rate() {
    // From 2026-01-01 over three years: a trend of 20% a year; phase "b" (from 2026-07-01)
    // multiplies the rate by 2.5; January counts double the other months before the
    // factors are scaled to a mean of 1 over the 365.25 days of a year (to 2 x 365.25 /
    // 396.25, the others 365.25 / 396.25: January's 31 days count 62); a mitigation from
    // 2027-03-01 halves the rate.
    let hazard = r#"
[[phases]]
name = "a"
start = "2026-01-01"
end = "2026-06-30"
[[phases]]
name = "b"
start = "2026-07-01"
end = "2028-12-31"
[[hazards]]
name = "h"
kind = "protest"
regions = ["A"]
rate_per_year = 10
trend_per_year = 0.2
phase_multipliers = { b = 2.5 }
seasonal = [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
targets = { route = 1 }
[hazards.impact]
duration_days = 1
[[mitigations]]
name = "m"
hazards = ["h"]
from = "2027-03-01"
rate_factor = 0.5
"#;
    let c = Compiled::new(parse(&scenario(hazard, "2028-12-31"), "t").unwrap());
    let start = jiff::civil::date(2026, 1, 1);
    let date = |d: usize| start.checked_add(jiff::Span::new().days(d as i64)).unwrap();
    let (phase_b, mitigated) = (jiff::civil::date(2026, 7, 1), jiff::civil::date(2027, 3, 1));
    let n_days = c.model.n_days as usize;
    assert_eq!(n_days, 1096);
    // Counted apart: January's events, and the others before and after the mitigation
    // (each factor moves one of these counts by many standard errors).
    let class = |d: usize| match date(d) {
        day if day.month() == 1 => 0,
        day if day < mitigated => 1,
        _ => 2,
    };
    let model = |d: usize, phase: f64, season: bool, mitigation: f64| {
        let day = date(d);
        let p = if day >= phase_b { phase } else { 1.0 };
        let s = match (season, day.month()) {
            (false, _) => 1.0,
            (true, 1) => 2.0 * 365.25 / 396.25,
            (true, _) => 365.25 / 396.25,
        };
        let m = if day >= mitigated { mitigation } else { 1.0 };
        p * s * m
    };
    let expected = |trend: f64, phase: f64, season: bool, mitigation: f64| -> [f64; 3] {
        [0, 1, 2].map(|k| {
            let days = (0..n_days).filter(move |&d| class(d) == k);
            expected_count(10.0, trend, days, |d| model(d, phase, season, mitigation))
        })
    };
    let mu = expected(0.2, 2.5, true, 0.5);
    let n = 20_000u64;
    let mut sums = [0.0; 3];
    let mut events = Vec::new();
    for t in 0..n {
        draw_events(&c.model, &c.hazards, 13, t, &[], &c.hazard_off, &mut events).unwrap();
        for e in &events {
            sums[class(e.t as usize)] += 1.0;
        }
    }
    for k in 0..3 {
        // Poisson counts: the mean's standard error is sqrt(mu / n).
        let (m, se) = (sums[k] / n as f64, (mu[k] / n as f64).sqrt());
        assert!(
            (m - mu[k]).abs() < 4.0 * se,
            "class {k}: mean {m} vs {}",
            mu[k]
        );
    }
    // The test's power: leaving out any one factor would move some count by more than
    // twelve standard errors.
    for without in [
        expected(0.0, 2.5, true, 0.5),
        expected(0.2, 1.0, true, 0.5),
        expected(0.2, 2.5, false, 0.5),
        expected(0.2, 2.5, true, 1.0),
    ] {
        let moved = (0..3).map(|j| (without[j] - mu[j]).abs() / (mu[j] / n as f64).sqrt());
        assert!(moved.fold(0.0, f64::max) > 12.0, "{without:?} vs {mu:?}");
    }
}
