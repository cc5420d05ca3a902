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
use crate::model::dist::Inverse;
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
    /// Inverse distribution function of each parameter.
    pub param_inverses: Vec<Inverse>,
    /// Stream purpose of each prospect group.
    pub prospect_purposes: Vec<u64>,
    /// Inverses of each prospect group's exploration and development durations.
    pub prospect_inverses: Vec<(Inverse, Inverse)>,
    /// Plan targets in the first phase's years.
    pub phase1_plan: Vec<usize>,
    /// Step the flow every day instead of fast-forwarding steady days (tests only:
    /// the results are the same up to floating-point rounding of the sums).
    pub step_every_day: bool,
    /// Step the flow's network as a whole instead of in parts cut at its ports and
    /// stockpiles (tests only: the results are the same up to floating-point rounding
    /// of the sums).
    pub whole_flow: bool,
    /// How the uncertain parameters are sampled.
    pub sampling: Sampling,
    /// Every trial takes each uncertain parameter at this quantile level (one per
    /// parameter) instead of drawing it: one-at-a-time sensitivity runs.
    pub pinned: Option<Vec<f64>>,
    /// Hazards switched off (no events, no offspring), by index.
    pub hazard_off: Vec<bool>,
}

/// How the uncertain parameters of a run are sampled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    /// Independent draws in every trial.
    #[default]
    Random,
    /// Latin hypercube: within each block of 2,048 trials, every parameter takes
    /// exactly one value in each of the block's equal-probability strata.
    Lhs,
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
            whole_flow: false,
            sampling: Sampling::Random,
            pinned: None,
            hazard_off: vec![false; model.hazards.len()],
            param_purposes: model.params.iter().map(|p| purpose(&p.path)).collect(),
            param_inverses: model.params.iter().map(|p| Inverse::new(&p.dist)).collect(),
            prospect_inverses: model
                .prospects
                .iter()
                .map(|p| {
                    (
                        Inverse::new(&p.exploration_days),
                        Inverse::new(&p.development_days),
                    )
                })
                .collect(),
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

    /// Runs one trial (for tests and benchmarks), with its parameters drawn as in a run.
    pub fn trial(&self, seed: u64, trial: u64) -> TrialOutcome {
        // As in a run that covers the trial's whole block.
        let design = design(self, seed, trial / CHUNK, CHUNK);
        let row = design.as_ref().map(|d| d.row(trial % CHUNK));
        run_trial(self, seed, trial, row, &mut Scratch::default())
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
    /// Only the columns are kept (see [`Aggregate::lean`]).
    lean: bool,
}

impl Aggregate {
    /// Empty aggregates for the columns of `c`.
    pub fn new(c: &Compiled) -> Aggregate {
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
            lean: false,
        }
    }

    /// Aggregates that keep only the moments of every column and the values (for
    /// percentiles) of the columns `keep`: no yearly, monthly or quarterly figures.
    /// For runs of many variants whose summaries need a few metrics.
    pub fn lean(c: &Compiled, keep: &[usize]) -> Aggregate {
        Aggregate {
            columns: c
                .layout
                .columns
                .iter()
                .enumerate()
                .map(|(i, col)| ColumnStats::new(col.quantiles && keep.contains(&i)))
                .collect(),
            delivered: Vec::new(),
            shortfall: Vec::new(),
            cum_delivered: Vec::new(),
            cum_counterfactual: Vec::new(),
            cum_commodity: Vec::new(),
            events_yearly: Vec::new(),
            trials: 0,
            quarter_ends: Vec::new(),
            lean: true,
        }
    }

    /// Folds in a chunk of outcomes, in trial order (chunks must come in order too).
    ///
    /// The cells are split between the cores in three groups (the columns with the
    /// yearly figures, the cumulative deliveries, the cumulative counterfactual); each
    /// cell still takes the trials in order, so the result is that of folding the
    /// trials one by one on one core.
    pub fn push_chunk(&mut self, c: &Compiled, outcomes: &[TrialOutcome]) {
        let Aggregate {
            columns,
            delivered,
            shortfall,
            cum_delivered,
            cum_counterfactual,
            cum_commodity,
            events_yearly,
            trials,
            quarter_ends,
            lean,
        } = self;
        *trials += outcomes.len() as u64;
        let mut cells = || {
            for o in outcomes {
                for (col, &x) in columns.iter_mut().zip(&o.metrics) {
                    col.push(x);
                }
                if *lean {
                    continue;
                }
                for (i, (&d, &cf)) in o
                    .delivered_yearly
                    .iter()
                    .zip(&o.counterfactual_yearly)
                    .enumerate()
                {
                    delivered[i].0.push(d);
                    delivered[i].1.push(d);
                    shortfall[i].0.push(cf - d);
                    shortfall[i].1.push(cf - d);
                }
                for (cell, &x) in events_yearly.iter_mut().zip(&o.events_yearly) {
                    cell.0.push(x);
                    cell.1.push(x);
                }
            }
        };
        if *lean {
            cells();
            return;
        }
        let (mut by_quarter_del, mut by_quarter_cf): (Vec<&mut Sketch>, Vec<&mut Sketch>) =
            cum_commodity.iter_mut().map(|(d, f)| (d, f)).unzip();
        let ends = &quarter_ends[..];
        rayon::join(cells, || {
            rayon::join(
                || {
                    for o in outcomes {
                        cumulate(
                            c,
                            ends,
                            o,
                            &o.delivered_monthly,
                            cum_delivered,
                            &mut by_quarter_del,
                        );
                    }
                },
                || {
                    for o in outcomes {
                        let monthly = &o.counterfactual_monthly;
                        cumulate(c, ends, o, monthly, cum_counterfactual, &mut by_quarter_cf);
                    }
                },
            )
        });
    }
}

/// Folds one trial's `monthly` quantities (delivered or counterfactual, per month
/// period and commodity) into the percentiles of their value since the start, month by
/// month (`months`), and of each commodity's quantity since the start at the quarter
/// ends `ends` (`quarters`, per quarter end and commodity).
fn cumulate(
    c: &Compiled,
    ends: &[usize],
    o: &TrialOutcome,
    monthly: &[f64],
    months: &mut [Sketch],
    quarters: &mut [&mut Sketch],
) {
    let nc = c.model.commodities.len();
    let mut total = 0.0;
    let mut by_commodity = vec![0.0; nc];
    let values: Vec<f64> = (0..nc).map(|k| c.value_of(k, &o.params)).collect();
    let mut q = 0;
    for (p, month) in months.iter_mut().enumerate() {
        for (k, acc) in by_commodity.iter_mut().enumerate() {
            let x = monthly[p * nc + k];
            total += x * values[k];
            *acc += x;
        }
        month.push(total);
        if ends.get(q) == Some(&p) {
            for (k, &acc) in by_commodity.iter().enumerate() {
                quarters[q * nc + k].push(acc);
            }
            q += 1;
        }
    }
}

/// Month periods that end a calendar quarter (March, June, September, December), and
/// the last month of the horizon.
pub fn quarter_ends(m: &Model) -> Vec<usize> {
    let n = m.months.len();
    (0..n)
        .filter(|&p| {
            // (The last period of its month: a phase may cut a month in two.)
            let last_of_month = m
                .months
                .get(p + 1)
                .is_none_or(|next| next.month() != m.months[p].month());
            p + 1 == n || m.months[p].month() % 3 == 0 && last_of_month
        })
        .collect()
}

/// The most trials a run may have: its percentiles keep about 4 bytes per trial and
/// metric (some 200 bytes a trial for the baseline, 20 GB at this count).
pub const MAX_TRIALS: u64 = 100_000_000;

/// Trials per chunk: outcomes of one chunk are held in memory at once.
pub const CHUNK: u64 = 2048;

/// Quantile levels of every uncertain parameter for the trials of one block, row by
/// row; `None` when each trial draws its own (plain sampling, no correlations).
pub struct Design {
    per_row: usize,
    levels: Vec<f64>,
}

impl Design {
    /// The levels of the `i`-th trial of the block.
    pub fn row(&self, i: u64) -> &[f64] {
        let i = i as usize;
        &self.levels[i * self.per_row..(i + 1) * self.per_row]
    }
}

/// The design of block `block`, whose first `rows` trials (all [`CHUNK`] of them, or
/// fewer in the last block of a run) the run contains: pinned levels, Latin hypercube
/// strata, and the Iman-Conover reordering that induces the scenario's rank
/// correlations. It depends on the seed, the block and its rows, never on threads; a
/// Latin hypercube of a shorter last block is laid over that block's own trials.
pub fn design(c: &Compiled, seed: u64, block: u64, rows: u64) -> Option<Design> {
    use crate::stats::design::{iman_conover, lhs_column};
    use rand::RngExt;
    let np = c.model.params.len();
    let rows = rows.clamp(1, CHUNK);
    let n = rows as usize;
    let (first, end) = (block * CHUNK, block * CHUNK + rows);
    if let Some(pin) = &c.pinned {
        return Some(Design {
            per_row: np,
            levels: pin.repeat(n),
        });
    }
    let corr = c.model.correlation.as_ref();
    if np == 0 || (c.sampling == Sampling::Random && corr.is_none()) {
        return None;
    }
    let mut cols: Vec<Vec<f64>> = c
        .param_purposes
        .iter()
        .map(|&p| match c.sampling {
            Sampling::Lhs => lhs_column(n, &mut rng::stream(seed, block, rng::mix(p ^ LHS))),
            Sampling::Random => (first..end)
                .map(|t| rng::stream(seed, t, p).random::<f64>())
                .collect(),
        })
        .collect();
    if let Some(cr) = corr {
        let mut sub: Vec<Vec<f64>> = cr
            .params
            .iter()
            .map(|&k| std::mem::take(&mut cols[k]))
            .collect();
        let mut rng = rng::stream(seed, block, purpose("iman-conover"));
        iman_conover(&mut sub, &cr.matrix, &mut rng);
        for (&k, col) in cr.params.iter().zip(sub) {
            cols[k] = col;
        }
    }
    let mut levels = Vec::with_capacity(n * np);
    for i in 0..n {
        levels.extend(cols.iter().map(|col| col[i]));
    }
    Some(Design {
        per_row: np,
        levels,
    })
}

/// Purpose salt of the Latin hypercube permutations.
const LHS: u64 = 0x4c48_535f_7065_726d;

/// Runs the trials `first..end` (within one block of [`CHUNK`]) of a run of `trials`
/// trials in parallel, in trial order. An error if one of them drew more events than a
/// trial may (the first such trial, whatever the number of threads).
pub fn run_block(
    c: &Compiled,
    seed: u64,
    first: u64,
    end: u64,
    trials: u64,
) -> crate::Result<Vec<TrialOutcome>> {
    debug_assert!(first < end && end <= trials && (end - 1) / CHUNK == first / CHUNK);
    let block = first / CHUNK;
    let design = design(c, seed, block, trials - block * CHUNK);
    let outcomes: Vec<TrialOutcome> = (first..end)
        .into_par_iter()
        .map_init(Scratch::default, |s, t| {
            let row = design.as_ref().map(|d| d.row(t % CHUNK));
            run_trial(c, seed, t, row, s)
        })
        .collect();
    let stopped = (outcomes.iter().enumerate()).find_map(|(i, o)| {
        (o.too_many_events.map(|h| (i, h as usize, true)))
            .or_else(|| o.too_many_disruptions.map(|h| (i, h as usize, false)))
    });
    if let Some((i, h, events)) = stopped {
        let name = &c.model.hazards[h].name;
        let prefix = format!("hazards[{name}].");
        let drawn: Vec<String> = (c.model.params.iter().zip(&outcomes[i].params))
            .filter(|(p, _)| p.path.starts_with(&prefix))
            .map(|(p, v)| format!("{} = {}", p.path, drawn_value(*v)))
            .collect();
        let (scenario, trial, hazard) = (c.model.name.clone(), first + i as u64, name.clone());
        let drawn = if drawn.is_empty() {
            "none of its numbers is uncertain".into()
        } else {
            format!("this trial drew {}", drawn.join(", "))
        };
        return Err(if events {
            crate::Error::TooManyEvents {
                scenario,
                trial,
                hazard,
                drawn,
            }
        } else {
            crate::Error::TooManyDisruptions {
                scenario,
                trial,
                hazard,
                drawn,
            }
        });
    }
    Ok(outcomes)
}

/// A drawn value for a message: whole, with four decimals, or with four significant
/// figures in scientific notation when far from 1.
fn drawn_value(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if (0.01..1e6).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

/// Set when the user interrupts a run (see [`interrupt`]).
static INTERRUPTED: std::sync::LazyLock<std::sync::Arc<std::sync::atomic::AtomicBool>> =
    std::sync::LazyLock::new(Default::default);

/// Asks every run in progress to stop at the end of its current chunk of trials, with
/// [`crate::Error::Interrupted`] (the command line calls it on Ctrl-C), so that the
/// output folder's temporary files are removed as the error unwinds.
pub fn interrupt() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// The flag [`interrupt`] sets, for a signal handler to set it directly.
pub fn interrupt_flag() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    std::sync::Arc::clone(&INTERRUPTED)
}

/// Whether [`interrupt`] was called.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// [`crate::Error::Interrupted`] once [`interrupt`] was called.
pub fn stop_if_interrupted() -> crate::Result<()> {
    if interrupted() {
        return Err(crate::Error::Interrupted);
    }
    Ok(())
}

/// Runs `trials` trials from `seed`, calling `sink` with each chunk's outcomes in order
/// (first trial index, outcomes) and `progress` with the number of trials done.
pub fn run(
    c: &Compiled,
    seed: u64,
    trials: u64,
    sink: impl FnMut(u64, &[TrialOutcome]) -> crate::Result<()> + Send,
    progress: impl FnMut(u64) + Send,
) -> crate::Result<Aggregate> {
    run_until(c, seed, trials, |_| false, sink, progress)
}

/// Like [`run`], but stops after the first chunk at which `enough` says so, or at
/// `max_trials`.
///
/// While one chunk's outcomes are folded into the aggregates and handed to `sink` (in
/// trial order; the fold split in a few tasks, see [`Aggregate::push_chunk`], and the
/// sink beside them), the next chunk already runs on the other workers; when
/// `enough` stops the run, that chunk is dropped, so the result is as if chunks ran one
/// after the other.
pub fn run_until(
    c: &Compiled,
    seed: u64,
    max_trials: u64,
    mut enough: impl FnMut(&Aggregate) -> bool + Send,
    mut sink: impl FnMut(u64, &[TrialOutcome]) -> crate::Result<()> + Send,
    mut progress: impl FnMut(u64) + Send,
) -> crate::Result<Aggregate> {
    let mut agg = Aggregate::new(c);
    let chunk = |first: u64| {
        (first < max_trials)
            .then(|| {
                let end = (first + CHUNK).min(max_trials);
                run_block(c, seed, first, end, max_trials)
            })
            .transpose()
    };
    let mut first = 0;
    let mut ready = chunk(first)?;
    while let Some(outcomes) = ready {
        stop_if_interrupted()?;
        let end = first + outcomes.len() as u64;
        let (stop, next) = rayon::join(
            || -> crate::Result<bool> {
                // Folded and handed to the sink side by side.
                let ((), sunk) =
                    rayon::join(|| agg.push_chunk(c, &outcomes), || sink(first, &outcomes));
                sunk?;
                progress(end);
                Ok(enough(&agg))
            },
            || chunk(end),
        );
        stop_if_interrupted()?;
        if stop? {
            break;
        }
        first = end;
        ready = next?;
    }
    Ok(agg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fold of one trial as it was written before `push_chunk` split it in tasks,
    /// kept as the reference the split must reproduce bit for bit.
    fn push_reference(agg: &mut Aggregate, c: &Compiled, o: &TrialOutcome) {
        agg.trials += 1;
        for (col, &x) in agg.columns.iter_mut().zip(&o.metrics) {
            col.push(x);
        }
        if agg.lean {
            return;
        }
        for (i, (&d, &cf)) in o
            .delivered_yearly
            .iter()
            .zip(&o.counterfactual_yearly)
            .enumerate()
        {
            agg.delivered[i].0.push(d);
            agg.delivered[i].1.push(d);
            agg.shortfall[i].0.push(cf - d);
            agg.shortfall[i].1.push(cf - d);
        }
        let nc = c.model.commodities.len();
        let (mut del, mut cf) = (0.0, 0.0);
        let mut by_commodity = vec![(0.0, 0.0); nc];
        let values: Vec<f64> = (0..nc).map(|k| c.value_of(k, &o.params)).collect();
        let mut q = 0;
        for p in 0..c.model.months.len() {
            for (k, acc) in by_commodity.iter_mut().enumerate() {
                let (d, f) = (
                    o.delivered_monthly[p * nc + k],
                    o.counterfactual_monthly[p * nc + k],
                );
                del += d * values[k];
                cf += f * values[k];
                acc.0 += d;
                acc.1 += f;
            }
            agg.cum_delivered[p].push(del);
            agg.cum_counterfactual[p].push(cf);
            if agg.quarter_ends.get(q) == Some(&p) {
                for (k, acc) in by_commodity.iter().enumerate() {
                    let cell = &mut agg.cum_commodity[q * nc + k];
                    cell.0.push(acc.0);
                    cell.1.push(acc.1);
                }
                q += 1;
            }
        }
        for (cell, &x) in agg.events_yearly.iter_mut().zip(&o.events_yearly) {
            cell.0.push(x);
            cell.1.push(x);
        }
    }

    #[test]
    fn a_chunk_folds_as_its_trials_one_by_one() {
        let c = Compiled::new(crate::scenario::baseline());
        let n = 40;
        let outcomes = run_block(&c, 7, 0, n, n).unwrap();
        let keep = [outcome::SHORTFALL_FRACTION, c.layout.len() - 1];
        let fresh = |lean: bool| {
            if lean {
                Aggregate::lean(&c, &keep)
            } else {
                Aggregate::new(&c)
            }
        };
        for lean in [false, true] {
            let mut reference = fresh(lean);
            for o in &outcomes {
                push_reference(&mut reference, &c, o);
            }
            let mut chunked = fresh(lean);
            chunked.push_chunk(&c, &outcomes[..25]);
            chunked.push_chunk(&c, &outcomes[25..]);
            // (Debug prints every number in full, so equal texts are equal bits.)
            assert_eq!(format!("{chunked:?}"), format!("{reference:?}"));
            assert_eq!(chunked.trials, n);
        }
        // The comparison has something to compare: the two sides differ (disruptions
        // cost something), and events were counted.
        let mut full = Aggregate::new(&c);
        full.push_chunk(&c, &outcomes);
        let last = c.model.months.len() - 1;
        let (del, cf) = (&full.cum_delivered[last], &full.cum_counterfactual[last]);
        assert!(del.quantile(0.5) < cf.quantile(0.5));
        assert!(full.events_yearly.iter().any(|e| e.0.mean > 0.0));
    }
}
