//! The Monte Carlo engine: trials in parallel, aggregates merged in trial order.
//!
//! Trials run in chunks; within a chunk rayon runs them on all workers, and the
//! outcomes are folded into the aggregates in trial order, so that every number is the
//! same for any number of threads. Memory per trial is a few `f32` values per metric
//! kept for percentiles; everything else is constant.

pub mod flow;
pub mod outcome;
pub mod rng;
pub mod trial;

use crate::hazards::HazardPlan;
use crate::model::Model;
use crate::stats::{ColumnStats, Moments, Sketch};
use outcome::{Layout, TrialOutcome};
use rayon::prelude::*;
use rng::purpose;
use trial::{Scratch, run_trial};

/// A model prepared for running: stream purposes, target pickers, output layout.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The model.
    pub model: Model,
    /// Output columns.
    pub layout: Layout,
    /// Event drawing data.
    pub hazards: HazardPlan,
    /// The network in compact form for the daily flow.
    pub topology: flow::Topology,
    /// Stream purpose of each parameter (from its key path).
    pub param_purposes: Vec<u64>,
    /// Stream purpose of each prospect group.
    pub prospect_purposes: Vec<u64>,
    /// Plan targets in the first phase's years.
    pub phase1_plan: Vec<usize>,
    /// Step the flow every day instead of fast-forwarding steady days (tests only:
    /// the results are the same up to floating-point rounding of the sums).
    pub step_every_day: bool,
}

impl Compiled {
    /// Prepares a checked model.
    pub fn new(model: Model) -> Compiled {
        Compiled {
            layout: Layout::new(&model),
            hazards: HazardPlan::new(&model),
            topology: flow::Topology::new(&model),
            phase1_plan: outcome::phase1_targets(&model),
            step_every_day: false,
            param_purposes: model.params.iter().map(|p| purpose(&p.path)).collect(),
            prospect_purposes: model
                .prospects
                .iter()
                .map(|p| purpose(&format!("prospects[{}]", p.name)))
                .collect(),
            model,
        }
    }

    /// Value per unit of commodity `k` in a trial whose drawn parameters are `params`.
    pub fn value_of(&self, k: usize, params: &[f64]) -> f64 {
        self.model.commodities[k].value.get(params)
    }

    /// Runs one trial (for tests and benchmarks).
    pub fn trial(&self, seed: u64, trial: u64) -> TrialOutcome {
        run_trial(self, seed, trial, &mut Scratch::default())
    }
}

/// Aggregates of a run.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// One per column of the layout.
    pub columns: Vec<ColumnStats>,
    /// Per (year, commodity): delivered.
    pub delivered: Vec<(Moments, Sketch)>,
    /// Per (year, commodity): shortfall.
    pub shortfall: Vec<(Moments, Sketch)>,
    /// Per month period: cumulative delivered value since the start.
    pub cum_delivered: Vec<Sketch>,
    /// Per month period: cumulative counterfactual value since the start.
    pub cum_counterfactual: Vec<Sketch>,
    /// Per (quarter-end month, commodity): cumulative delivered quantity, and the same
    /// for the counterfactual; see [`quarter_ends`].
    pub cum_commodity: Vec<(Sketch, Sketch)>,
    /// Per (hazard, year): events.
    pub events_yearly: Vec<(Moments, Sketch)>,
    /// Trials folded in.
    pub trials: u64,
    /// Month periods at which `cum_commodity` is kept (from [`quarter_ends`]).
    quarter_ends: Vec<usize>,
}

impl Aggregate {
    fn new(c: &Compiled) -> Aggregate {
        let ny = c.model.years.len() * c.model.commodities.len();
        Aggregate {
            columns: c
                .layout
                .columns
                .iter()
                .map(|col| ColumnStats::new(col.quantiles))
                .collect(),
            delivered: vec![Default::default(); ny],
            shortfall: vec![Default::default(); ny],
            cum_delivered: vec![Default::default(); c.model.months.len()],
            cum_counterfactual: vec![Default::default(); c.model.months.len()],
            cum_commodity: vec![
                Default::default();
                quarter_ends(&c.model).len() * c.model.commodities.len()
            ],
            events_yearly: vec![Default::default(); c.model.hazards.len() * c.model.years.len()],
            trials: 0,
            quarter_ends: quarter_ends(&c.model),
        }
    }

    fn push(&mut self, c: &Compiled, o: &TrialOutcome) {
        self.trials += 1;
        for (col, &x) in self.columns.iter_mut().zip(&o.metrics) {
            col.push(x);
        }
        for (i, (&d, &cf)) in o
            .delivered_yearly
            .iter()
            .zip(&o.counterfactual_yearly)
            .enumerate()
        {
            self.delivered[i].0.push(d);
            self.delivered[i].1.push(d);
            self.shortfall[i].0.push(cf - d);
            self.shortfall[i].1.push(cf - d);
        }
        let nc = c.model.commodities.len();
        let (mut del, mut cf) = (0.0, 0.0);
        let mut by_commodity = vec![(0.0, 0.0); nc];
        let values: Vec<f64> = (0..nc).map(|k| c.value_of(k, &o.params)).collect();
        let ends = &self.quarter_ends;
        let mut q = 0;
        for p in 0..c.model.months.len() {
            for (k, acc) in by_commodity.iter_mut().enumerate() {
                let (d, f) = (
                    o.delivered_monthly[p * nc + k],
                    o.counterfactual_monthly[p * nc + k],
                );
                let v = values[k];
                del += d * v;
                cf += f * v;
                acc.0 += d;
                acc.1 += f;
            }
            self.cum_delivered[p].push(del);
            self.cum_counterfactual[p].push(cf);
            if ends.get(q) == Some(&p) {
                for (k, acc) in by_commodity.iter().enumerate() {
                    let cell = &mut self.cum_commodity[q * nc + k];
                    cell.0.push(acc.0);
                    cell.1.push(acc.1);
                }
                q += 1;
            }
        }
        for (cell, &x) in self.events_yearly.iter_mut().zip(&o.events_yearly) {
            cell.0.push(x);
            cell.1.push(x);
        }
    }
}

/// Month periods that end a calendar quarter (March, June, September, December), and
/// the last month of the horizon.
pub fn quarter_ends(m: &Model) -> Vec<usize> {
    let n = m.months.len();
    (0..n)
        .filter(|&p| p + 1 == n || m.months[p].month() % 3 == 0)
        .collect()
}

/// Trials per chunk: outcomes of one chunk are held in memory at once.
pub const CHUNK: u64 = 2048;

/// Runs `trials` trials from `seed`, calling `sink` with each chunk's outcomes in order
/// (first trial index, outcomes) and `progress` with the number of trials done.
pub fn run(
    c: &Compiled,
    seed: u64,
    trials: u64,
    mut sink: impl FnMut(u64, &[TrialOutcome]) -> crate::Result<()>,
    mut progress: impl FnMut(u64),
) -> crate::Result<Aggregate> {
    let mut agg = Aggregate::new(c);
    let mut first = 0;
    while first < trials {
        let end = (first + CHUNK).min(trials);
        let outcomes: Vec<TrialOutcome> = (first..end)
            .into_par_iter()
            .map_init(Scratch::default, |s, t| run_trial(c, seed, t, s))
            .collect();
        for o in &outcomes {
            agg.push(c, o);
        }
        sink(first, &outcomes)?;
        first = end;
        progress(first);
    }
    Ok(agg)
}
