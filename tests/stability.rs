//! Value stability: a fixed scenario and seed give exactly these numbers. A change here
//! changes every published result; update the constants only on purpose, and say so.

use shortfall::engine::Compiled;
use shortfall::engine::outcome::SHORTFALL_VALUE;
use shortfall::scenario::{baseline, parse};

#[test]
fn baseline_trial_outcome_is_stable() {
    let c = Compiled::new(baseline());
    let o = c.trial(20_250_908, 3);
    let got: Vec<u64> = o.metrics[..4].iter().map(|x| x.to_bits()).collect();
    assert_eq!(got, STABLE_METRICS, "values {:?}", &o.metrics[..4]);
}

#[test]
fn small_scenario_outcome_is_stable() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/valid_small.toml"
    ))
    .unwrap();
    let c = Compiled::new(parse(&text, "valid_small.toml").unwrap());
    // A trial that loses something (its last outage is too late to catch up), so that
    // the numbers depend on the draws and not only on the network.
    let o = c.trial(1, 2);
    assert!(o.metrics[SHORTFALL_VALUE] > 0.0);
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&o.delivered_yearly),
        STABLE_SMALL,
        "{:?}",
        o.delivered_yearly
    );
    assert_eq!(bits(&o.metrics), STABLE_SMALL_METRICS, "{:?}", o.metrics);
}

// Updated on purpose (issue 4): events are drawn in layers with per-event streams,
// parameters and impacts by inversion, for common random numbers between scenarios.
// Updated on purpose (issue 2, speed): ramp-ups rise in weekly steps, each week at the
// mean of the linear ramp over it; parameters, tail impacts and lognormal impacts are
// drawn through quantile tables.
// Updated on purpose (issue 2, speed): the flow steps the network in parts cut at its
// ports and stockpiles; straight stretches and repeats fall on other days, which moves
// the sums by a few ulps (the values printed agree to 15 digits with the old ones).
// Updated on purpose (issue 2, speed): the quantile tables interpolate by monotone cubics
// between fewer levels; drawn values move by about 1e-7 of their range, and these values
// by 4e-8 to 2e-7 of themselves.
const STABLE_METRICS: [u64; 4] = [
    4592015126650832428,
    4725883574418893968,
    4740007638406583827,
    4740771534023410597,
];

#[test]
fn latin_hypercube_design_is_stable() {
    let mut c = Compiled::new(baseline());
    c.sampling = shortfall::engine::Sampling::Lhs;
    let o = c.trial(20_250_908, 3);
    let got: Vec<u64> = o.params[..3].iter().map(|x| x.to_bits()).collect();
    assert_eq!(got, STABLE_LHS, "values {:?}", &o.params[..3]);
}

// Updated on purpose (issue 2, speed): parameters through quantile tables.
// Updated on purpose (issue 2, speed): monotone cubics between fewer levels in the tables.
const STABLE_LHS: [u64; 3] = [
    4649748696763815596,
    4618441417868443648,
    4601311638493865640,
];
// Updated on purpose (tests): trial 2, which loses something, instead of trial 0, which
// lost nothing whatever the draws; every metric as well as the yearly deliveries.
const STABLE_SMALL: [u64; 2] = [4660200869491376128, 4660200869491376128];
const STABLE_SMALL_METRICS: [u64; 21] = [
    4568481156068108311,
    4626322717216342016,
    4664704469118746624,
    4664726459351302144,
    4664704469118746624,
    4664726459351302144,
    4626322717216342016,
    4568481156068108311,
    4626322717216342016,
    0,
    0,
    4619567317775286272,
    4619567317775286272,
    0,
    0,
    4607182418800017408,
    4611686018427387904,
    0,
    0,
    0,
    4626322717216342016,
];
