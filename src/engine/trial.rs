//! One trial, in the steps of the model: draw the uncertain parameters; draw
//! construction durations and prospect outcomes; draw the hazard events; turn them into
//! disruptions and delays; run the flow with and without disruptions; attribute the
//! shortfall; record the outcome.

use super::Compiled;
use super::flow::{
    CargoLoss, Factors, Flow, Net, Record, RunInput, RunOutput, ramp, ramp_steps, set_bit,
    unit_steps,
};
use super::outcome::*;
use super::rng::stream;
use crate::hazards::{Event, draw_events};
use crate::model::{Model, Online, SiteKind};
use crate::scenario::MAX_MAGNITUDE;
use rand::RngExt;

/// A disruption of one target over a time interval.
#[derive(Debug, Clone, Copy)]
struct Disruption {
    target: u32,
    start: f64,
    end: f64,
    severity: f64,
    kind: u8,
    /// Days of construction delay the event adds (primary disruption only).
    delay: f64,
}

/// Buffers reused from trial to trial (one per worker), so the hot loop does not
/// allocate per event.
#[derive(Debug, Default)]
pub struct Scratch {
    values: Vec<f64>,
    events: Vec<Event>,
    disruptions: Vec<Disruption>,
    grouped: Vec<Disruption>,
    group_starts: Vec<usize>,
    losses: Vec<CargoLoss>,
    destroyed: Vec<f64>,
    factors: Factors,
    dirty_cf: Vec<u64>,
    dirty: Vec<u64>,
    record: Record,
    net: Net,
    units_cf: Vec<Vec<f64>>,
    units: Vec<Vec<f64>>,
    flow: Flow,
    segments: Vec<Segment>,
    active: Vec<(f64, f64, u8)>,
}

/// The days by which one unit of a site came online later than without disruptions.
#[derive(Debug, Clone, Copy)]
struct DelayWindow {
    site: usize,
    /// The building site whose disruptions set the delay (the site itself, or for a
    /// project that builds several, the most delayed of them).
    blamed: usize,
    /// The unit (index into the site's units).
    unit: usize,
    /// Its disruption-free online day, and its online day with disruptions.
    from: f64,
    to: f64,
    /// The days of delay each hazard kind added.
    by_kind: [f64; 3],
}

/// A stretch of time over which a target's worst active disruption is constant.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    target: u32,
    start: f64,
    end: f64,
    /// Worst active severity.
    severity: f64,
    /// Hazard kind of the worst active disruption.
    kind: u8,
}

/// Runs trial `trial` of a run seeded with `seed`.
/// `levels` are the quantile levels of the uncertain parameters from the block's
/// design; without one, each parameter is drawn from its own stream.
pub fn run_trial(
    c: &Compiled,
    seed: u64,
    trial: u64,
    levels: Option<&[f64]>,
    s: &mut Scratch,
) -> TrialOutcome {
    let m = &c.model;
    draw_params(c, seed, trial, levels, &mut s.values);
    build_net(m, &s.values, &mut s.net);
    schedule_cf(c, seed, trial, s);
    if let Err(h) = draw_events(
        m,
        &c.hazards,
        seed,
        trial,
        &s.values,
        &c.hazard_off,
        &mut s.events,
    ) {
        // The run stops with an error that names the hazard (see `run_block`).
        return TrialOutcome {
            params: s.values.clone(),
            too_many_events: Some(h as u32),
            ..Default::default()
        };
    }
    if let Err(h) = disruptions(m, s) {
        return TrialOutcome {
            params: s.values.clone(),
            too_many_disruptions: Some(h as u32),
            ..Default::default()
        };
    }
    segments(m, s);
    let delay_windows = schedule_disrupted(m, s);
    mark_changes(m, s);
    apply_factors(m, s);
    let mut out = TrialOutcome {
        metrics: vec![0.0; c.layout.len()],
        params: s.values.clone(),
        ..Default::default()
    };
    let ports = run_flows(c, s, &mut out);
    record_outcome(c, s, &mut out, &ports, &delay_windows);
    out
}

/// Per-port sums of the two runs, for the time to survive.
struct PortSums {
    /// Disrupted run: inventory summed over days.
    stock_days: Vec<f64>,
    /// Counterfactual run: total shipped.
    cf_shipped: Vec<f64>,
    /// Disrupted run: longest stretch without shipments.
    idle: u32,
}

/// Marks the days on which the inputs of each run can change (sites coming online and
/// ramping up; disruptions and losses are marked by `apply_factors`).
fn mark_changes(m: &Model, s: &mut Scratch) {
    let words = (m.n_days as usize).div_ceil(64);
    s.dirty_cf.clear();
    s.dirty_cf.resize(words, 0);
    s.dirty.clear();
    s.dirty.resize(words, 0);
    mark_units(&s.units_cf, &s.net, m.n_days as usize, &mut s.dirty_cf);
    mark_units(&s.units, &s.net, m.n_days as usize, &mut s.dirty);
}

/// The flow without disruptions (recording what passes each target) and with them.
fn run_flows(c: &Compiled, s: &mut Scratch, out: &mut TrialOutcome) -> PortSums {
    let m = &c.model;
    let nm = m.months.len() * m.commodities.len();
    let np = c.topology.ports.len();
    out.delivered_monthly = vec![0.0; nm];
    out.counterfactual_monthly = vec![0.0; nm];
    let (mut cf_stock_days, mut cf_shipped) = (vec![0.0; np], vec![0.0; np]);
    let cf_in = RunInput {
        units: &s.units_cf,
        factors: None,
        dirty: &s.dirty_cf,
        losses: &[],
        every_day: c.step_every_day,
        split: !c.whole_flow,
        idle_from: 0,
    };
    let mut cf_out = RunOutput {
        delivered: &mut out.counterfactual_monthly,
        destroyed: &mut [],
        record: Some(&mut s.record),
        longest_idle: 0,
        first_shipment: u32::MAX,
        days_stepped: 0,
        port_days: 0,
        stretches: 0,
        split: false,
        port_stock_days: &mut cf_stock_days,
        port_shipped: &mut cf_shipped,
    };
    s.flow.run(m, &c.topology, &s.net, &cf_in, &mut cf_out);
    out.redone_whole += (cf_in.split && !cf_out.split) as u8;
    s.destroyed.clear();
    s.destroyed.resize(s.losses.len(), 0.0);
    let (mut stock_days, mut shipped) = (vec![0.0; np], vec![0.0; np]);
    let dis_in = RunInput {
        units: &s.units,
        factors: Some(&s.factors),
        dirty: &s.dirty,
        losses: &s.losses,
        every_day: c.step_every_day,
        split: !c.whole_flow,
        // Days without shipments before the disruption-free run's first are the
        // network filling, not a disruption (none when it ships nothing).
        idle_from: (cf_out.first_shipment as usize).min(m.n_days as usize),
    };
    let mut dis_out = RunOutput {
        delivered: &mut out.delivered_monthly,
        destroyed: &mut s.destroyed,
        record: None,
        longest_idle: 0,
        first_shipment: u32::MAX,
        days_stepped: 0,
        port_days: 0,
        stretches: 0,
        split: false,
        port_stock_days: &mut stock_days,
        port_shipped: &mut shipped,
    };
    s.flow.run(m, &c.topology, &s.net, &dis_in, &mut dis_out);
    out.redone_whole += (dis_in.split && !dis_out.split) as u8;
    let idle = dis_out.longest_idle;
    PortSums {
        stock_days,
        cf_shipped,
        idle,
    }
}

/// Yearly sums, events by year, time to survive, then every other metric.
fn record_outcome(
    c: &Compiled,
    s: &Scratch,
    out: &mut TrialOutcome,
    ports: &PortSums,
    delay_windows: &[DelayWindow],
) {
    let m = &c.model;
    out.delivered_yearly = by_year(m, &out.delivered_monthly);
    out.counterfactual_yearly = by_year(m, &out.counterfactual_monthly);
    out.events_yearly = vec![0.0; m.hazards.len() * m.years.len()];
    for e in &s.events {
        let y = m.day_year[(e.t as usize).min(m.n_days as usize - 1)] as usize;
        out.events_yearly[e.hazard as usize * m.years.len() + y] += 1.0;
    }
    for (j, (&days, &cf)) in ports.stock_days.iter().zip(&ports.cf_shipped).enumerate() {
        // (Undefined too where the port would have shipped so little that its stock
        // would last past any number a scenario may hold: the statistics would overflow.)
        let survive = days / cf;
        out.metrics[c.layout.survive + j] = if cf > 0.0 && survive <= MAX_MAGNITUDE {
            survive
        } else {
            f64::NAN
        };
    }
    fill_metrics(c, s, out, ports.idle, delay_windows);
}

/// Sums per-month quantities into calendar years.
fn by_year(m: &Model, monthly: &[f64]) -> Vec<f64> {
    let nc = m.commodities.len();
    let mut out = vec![0.0; m.years.len() * nc];
    for (p, &y) in m.period_year.iter().enumerate() {
        for k in 0..nc {
            out[y as usize * nc + k] += monthly[p * nc + k];
        }
    }
    out
}

/// Every parameter is the quantile of its distribution at a level: the trial's own
/// uniform draw from the parameter's stream, or the design's. Two scenarios that give
/// a parameter different distributions thus still move it together (same level).
/// PERT, beta, gamma and lognormal quantiles come from tables (see
/// [`crate::model::dist::Inverse`]).
fn draw_params(c: &Compiled, seed: u64, trial: u64, levels: Option<&[f64]>, values: &mut Vec<f64>) {
    values.clear();
    for (k, (p, &purpose)) in c.model.params.iter().zip(&c.param_purposes).enumerate() {
        let u = match levels {
            Some(l) => l[k],
            None => stream(seed, trial, purpose).random::<f64>(),
        };
        let v = c.param_inverses[k].at(u);
        values.push(if p.integer { v.round() } else { v });
    }
}

pub(crate) fn build_net(m: &Model, v: &[f64], net: &mut Net) {
    net.site_cap.clear();
    net.site_ramp.clear();
    net.plant_yield.clear();
    for s in &m.sites {
        net.site_cap.push(s.capacity.get(v));
        net.site_ramp.push(s.ramp_days.get(v));
        if s.kind == SiteKind::Plant {
            net.plant_yield.push(s.yield_.get(v));
        }
    }
    net.stock_max.clear();
    net.stock_init.clear();
    for st in &m.stocks {
        let site = &m.sites[st.site];
        net.stock_max.push(site.inventory_max.get(v));
        let init = if site.kind == SiteKind::Plant && site.in_stock != site.out_stock {
            0.0
        } else {
            site.initial_inventory.get(v)
        };
        net.stock_init.push(init);
    }
    net.route_cap.clear();
    net.route_transit.clear();
    for r in &m.routes {
        net.route_cap.push(r.capacity.get(v));
        // Cargo longer in transit than the horizon never arrives within it.
        let longest = m.n_days as usize + 1;
        net.route_transit
            .push((r.transit_days.get(v).round() as usize).clamp(1, longest));
    }
    net.value.clear();
    net.value
        .extend(m.commodities.iter().map(|c| c.value.get(v)));
}

/// Counterfactual online days: project durations and prospect outcomes, undisrupted.
fn schedule_cf(c: &Compiled, seed: u64, trial: u64, s: &mut Scratch) {
    let m = &c.model;
    let v = &s.values;
    s.units_cf.resize_with(m.sites.len(), Vec::new);
    s.units_cf.iter_mut().for_each(Vec::clear);
    for (i, site) in m.sites.iter().enumerate() {
        match site.online {
            Online::Day(d) => s.units_cf[i].push(d as f64),
            Online::Project(p) => {
                let pr = &m.projects[p];
                s.units_cf[i].push(pr.start_day as f64 + pr.duration.get(v));
            }
            Online::Prospects(_) => {}
        }
    }
    for (g, pg) in m.prospects.iter().enumerate() {
        let mut rng = stream(seed, trial, c.prospect_purposes[g]);
        let count = pg.count.get(v).max(0.0).round() as usize;
        let p = pg.p_viable.get(v);
        let (explore_inv, develop_inv) = &c.prospect_inverses[g];
        for _ in 0..count {
            // One uniform per draw, each through its inverse: common random numbers.
            let u: f64 = rng.random();
            let explore = explore_inv.at(rng.random());
            let develop = develop_inv.at(rng.random());
            if u < p {
                for &site in &pg.sites {
                    s.units_cf[site].push(pg.start_day as f64 + explore + develop);
                }
            }
        }
    }
}

/// The most disruptions one trial may have, a stand-down counted once for every target
/// of its region (each costs about 150 bytes until the trial ends, in its copies,
/// segments and change points): `check` refuses hazards expected to bring more than
/// 400,000, but a far tail or a burst of a self-exciting hazard can bring millions.
pub const TRIAL_DISRUPTION_LIMIT: usize = 2_000_000;

/// Turns the trial's events into disruptions of targets (and stand-downs of regions)
/// grouped by target, and cargo losses; or, if the disruptions would be more than
/// [`TRIAL_DISRUPTION_LIMIT`], stops and returns the hazard whose stand-downs brought
/// the most of them.
fn disruptions(m: &Model, s: &mut Scratch) -> Result<(), usize> {
    disruptions_up_to(m, s, TRIAL_DISRUPTION_LIMIT)
}

/// [`disruptions`], with at most `limit` of them.
fn disruptions_up_to(m: &Model, s: &mut Scratch, limit: usize) -> Result<(), usize> {
    s.disruptions.clear();
    s.losses.clear();
    let horizon = m.n_days as f64;
    for e in &s.events {
        let kind = m.hazards[e.hazard as usize].kind as u8;
        if e.duration > 0.0 && e.severity > 0.0 || e.construction_delay > 0.0 {
            s.disruptions.push(Disruption {
                target: e.target,
                start: e.t,
                end: (e.t + e.duration).min(horizon),
                severity: e.severity,
                kind,
                delay: e.construction_delay,
            });
        }
        if e.stand_down > 0.0 {
            for &t in &m.region_targets[e.region as usize] {
                s.disruptions.push(Disruption {
                    target: t as u32,
                    start: e.t,
                    end: (e.t + e.stand_down).min(horizon),
                    severity: 1.0,
                    kind,
                    delay: 0.0,
                });
            }
        }
        if e.lost_cargo > 0.0 {
            s.losses.push(CargoLoss {
                day: e.t as u32,
                target: e.target,
                fraction: e.lost_cargo,
                kind,
            });
        }
        if s.disruptions.len() > limit {
            // (Counted per hazard only when it stops: the stand-downs, which multiply.)
            let mut brought = vec![0usize; m.hazards.len()];
            for d in &s.events {
                if d.stand_down > 0.0 {
                    brought[d.hazard as usize] += m.region_targets[d.region as usize].len();
                }
            }
            s.disruptions.clear();
            s.losses.clear();
            let most =
                (brought.iter().enumerate()).max_by_key(|&(i, &b)| (b, std::cmp::Reverse(i)));
            return Err(most.map_or(0, |(i, _)| i));
        }
    }
    // Events come in time order, so each target's disruptions are already in order of
    // start: grouping them by target (a counting sort, which keeps that order) sorts
    // them by (target, start).
    let starts = &mut s.group_starts;
    starts.clear();
    starts.resize(m.n_targets() + 1, 0);
    for d in &s.disruptions {
        starts[d.target as usize + 1] += 1;
    }
    for t in 0..m.n_targets() {
        starts[t + 1] += starts[t];
    }
    s.grouped.clear();
    s.grouped.extend_from_slice(&s.disruptions);
    for d in &s.disruptions {
        let at = &mut starts[d.target as usize];
        s.grouped[*at] = *d;
        *at += 1;
    }
    std::mem::swap(&mut s.disruptions, &mut s.grouped);
    debug_assert!(
        s.disruptions
            .is_sorted_by(|a, b| { (a.target, a.start) <= (b.target, b.start) })
    );
    Ok(())
}

/// Completion of work from `begin` lasting `base` days at a building site.
///
/// While the site is disrupted at severity `s`, the work pauses for `per_day * s` of
/// each day (overlapping disruptions count once, at the worst severity), and each event
/// that hits the site during the work adds its construction delay. Returns the
/// completion and the delay added by each hazard kind.
fn delayed(
    begin: f64,
    base: f64,
    per_day: f64,
    segs: &[Segment],
    events: &[Disruption],
) -> (f64, [f64; 3]) {
    let mut end = begin + base;
    let mut by_kind = [0.0; 3];
    let mut ev = events
        .iter()
        .filter(|d| d.delay > 0.0 && d.start >= begin)
        .peekable();
    let mut take_events_before = |t: f64, end: &mut f64, by_kind: &mut [f64; 3]| {
        while let Some(d) = ev.next_if(|d| d.start <= t && d.start < *end) {
            *end += d.delay;
            by_kind[d.kind as usize] += d.delay;
        }
    };
    for seg in segs {
        take_events_before(seg.start, &mut end, &mut by_kind);
        let a = seg.start.max(begin);
        if a >= end {
            break;
        }
        if seg.end <= a {
            continue;
        }
        let k = per_day * seg.severity;
        let old = end;
        if seg.end <= end {
            end += k * (seg.end - a);
        } else if k < 1.0 && (end - k * a) / (1.0 - k) <= seg.end {
            // The work pauses part of each day until it completes inside the segment.
            end = (end - k * a) / (1.0 - k);
        } else {
            end += k * (seg.end - a);
        }
        by_kind[seg.kind as usize] += end - old;
    }
    take_events_before(f64::INFINITY, &mut end, &mut by_kind);
    (end, by_kind)
}

/// Online days with disruptions; returns the windows of delay.
fn schedule_disrupted(m: &Model, s: &mut Scratch) -> Vec<DelayWindow> {
    let v = &s.values;
    s.units.resize_with(m.sites.len(), Vec::new);
    let mut windows = Vec::new();
    for (i, site) in m.sites.iter().enumerate() {
        s.units[i].clear();
        let (begin, per_day) = match site.online {
            Online::Day(_) => {
                s.units[i].extend_from_slice(&s.units_cf[i]);
                continue;
            }
            Online::Project(p) => (
                m.projects[p].start_day as f64,
                m.projects[p].delay_per_disrupted_day.get(v),
            ),
            Online::Prospects(g) => (
                m.prospects[g].start_day as f64,
                m.prospects[g].delay_per_disrupted_day.get(v),
            ),
        };
        let segs = by_target(&s.segments, i as u32, |x| x.target);
        let events = by_target(&s.disruptions, i as u32, |x| x.target);
        for k in 0..s.units_cf[i].len() {
            let cf = s.units_cf[i][k];
            let (end, by_kind) = delayed(begin, cf - begin, per_day, segs, events);
            s.units[i].push(end);
            if end > cf {
                windows.push(DelayWindow {
                    site: i,
                    blamed: i,
                    unit: k,
                    from: cf,
                    to: end,
                    by_kind,
                });
            }
        }
    }
    // A project completes once: its sites come online together, when the most delayed
    // of them is done (each one's work is delayed by its own disruptions; without them
    // all would finish on the same day). The delay of the sites done earlier is that
    // site's; one delayed as long keeps its own.
    // (A project's sites are those that come online with it, one unit each.)
    for pr in m.projects.iter().filter(|pr| pr.sites.len() > 1) {
        // The most delayed; of equals, the first.
        let Some(last) = (pr.sites.iter().copied())
            .max_by(|&a, &b| s.units[a][0].total_cmp(&s.units[b][0]).then(b.cmp(&a)))
        else {
            continue;
        };
        let end = s.units[last][0];
        let window = windows
            .iter()
            .find(|w| w.site == last)
            .map(|w| (w.from, w.by_kind));
        for &i in pr.sites.iter().filter(|&&i| i != last) {
            if s.units[i][0] < end {
                s.units[i][0] = end;
                windows.retain(|w| w.site != i);
                if let Some((from, by_kind)) = window {
                    windows.push(DelayWindow {
                        site: i,
                        blamed: last,
                        unit: 0,
                        from,
                        to: end,
                        by_kind,
                    });
                }
            }
        }
    }
    windows
}

/// The items of one target in a slice sorted by target.
fn by_target<T>(xs: &[T], t: u32, target: impl Fn(&T) -> u32) -> &[T] {
    let a = xs.partition_point(|x| target(x) < t);
    let b = xs.partition_point(|x| target(x) <= t);
    &xs[a..b]
}

fn mark_units(units: &[Vec<f64>], net: &Net, n_days: usize, dirty: &mut [u64]) {
    set_bit(dirty, 0);
    unit_steps(units, net, n_days, |_, d| set_bit(dirty, d));
}

/// Cuts each target's disruptions into segments with the worst active severity (and
/// its kind), so that overlapping disruptions count once.
fn segments(m: &Model, s: &mut Scratch) {
    let horizon = m.n_days as f64;
    cut_segments(&s.disruptions, horizon, &mut s.active, &mut s.segments);
}

/// Segments of `disruptions` (sorted by target, then start) up to `horizon`, into `out`:
/// a new one wherever a disruption starts or ends. `active` is scratch.
///
/// A sweep over the starts, in order, with the few disruptions active at a time
/// (end, severity, kind), kept in order of start: at each time, those that end leave,
/// those that start join, and the worst one active lasts until the next start or end.
/// Among equally severe ones, the one in force first is the worst: a disruption that
/// joins at the same severity does not take over its kind.
///
/// A target on which more than [`ACTIVE_MOST`] disruptions are ever active at once is
/// cut with heaps instead, in O(n log n) however many overlap (a surge of thousands of
/// events on one target would make the scan quadratic), with the same segments.
fn cut_segments(
    disruptions: &[Disruption],
    horizon: f64,
    active: &mut Vec<(f64, f64, u8)>,
    out: &mut Vec<Segment>,
) {
    cut_segments_with(disruptions, horizon, active, out, ACTIVE_MOST)
}

/// The most disruptions active at once on one target that [`cut_segments`] scans.
/// Most targets have a few at a time, even where they have hundreds in a trial; the
/// scan is then several times cheaper than the heaps.
const ACTIVE_MOST: usize = 32;

/// [`cut_segments`], scanning the active disruptions of a target until more than
/// `active_most` are active at once, then starting the target afresh with heaps.
fn cut_segments_with(
    disruptions: &[Disruption],
    horizon: f64,
    active: &mut Vec<(f64, f64, u8)>,
    out: &mut Vec<Segment>,
    active_most: usize,
) {
    out.clear();
    let mut i = 0;
    while i < disruptions.len() {
        let t = disruptions[i].target;
        let j = i + disruptions[i..]
            .iter()
            .take_while(|d| d.target == t)
            .count();
        debug_assert!(disruptions[i..j].is_sorted_by(|a, b| a.start <= b.start));
        let mine = &disruptions[i..j];
        i = j;
        let mut starts = mine
            .iter()
            .filter(|d| d.end.min(horizon) > d.start && d.severity > 0.0)
            .peekable();
        active.clear();
        let Some(mut at) = starts.peek().map(|d| d.start) else {
            continue;
        };
        let first = out.len();
        loop {
            active.retain(|a| a.0 > at);
            while let Some(d) = starts.next_if(|d| d.start <= at) {
                active.push((d.end.min(horizon), d.severity, d.kind));
            }
            if active.len() > active_most {
                out.truncate(first);
                cut_with_heaps(mine, horizon, out);
                break;
            }
            // The next end, and the worst active (the first of equal severities).
            let (mut next_end, mut worst) = (f64::INFINITY, (0.0, 0u8));
            for a in active.iter() {
                next_end = next_end.min(a.0);
                if a.1 > worst.0 {
                    worst = (a.1, a.2);
                }
            }
            let next = starts.peek().map_or(next_end, |d| d.start.min(next_end));
            if next == f64::INFINITY {
                break;
            }
            if worst.0 > 0.0 {
                out.push(Segment {
                    target: t,
                    start: at,
                    end: next,
                    severity: worst.0,
                    kind: worst.1,
                });
            }
            at = next;
        }
    }
}

/// One active disruption in [`cut_with_heaps`]: ordered by severity, then earlier
/// start (its place among the starts) first.
#[derive(Debug, PartialEq)]
struct Worst {
    severity: f64,
    order: usize,
    end: f64,
    kind: u8,
}

impl Eq for Worst {}

impl Ord for Worst {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.severity.total_cmp(&other.severity)).then(other.order.cmp(&self.order))
    }
}

impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The segments of one target's disruptions (sorted by start), as the scan of
/// `cut_segments_with` cuts them: the worst active disruption is the top of a heap by
/// severity whose entries leave once they reach the top after their end, and the next
/// end is the top of a heap of the ends of the active ones.
fn cut_with_heaps(mine: &[Disruption], horizon: f64, out: &mut Vec<Segment>) {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    /// An end, ordered as a number.
    #[derive(PartialEq)]
    struct End(f64);
    impl Eq for End {}
    impl Ord for End {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&other.0)
        }
    }
    impl PartialOrd for End {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    let mut starts = mine
        .iter()
        .filter(|d| d.end.min(horizon) > d.start && d.severity > 0.0)
        .enumerate()
        .peekable();
    let Some(mut at) = starts.peek().map(|(_, d)| d.start) else {
        return;
    };
    let t = mine[0].target;
    let mut worst: BinaryHeap<Worst> = BinaryHeap::new();
    let mut ends: BinaryHeap<Reverse<End>> = BinaryHeap::new();
    loop {
        while ends.peek().is_some_and(|Reverse(e)| e.0 <= at) {
            ends.pop();
        }
        while let Some((order, d)) = starts.next_if(|(_, d)| d.start <= at) {
            let end = d.end.min(horizon);
            worst.push(Worst {
                severity: d.severity,
                order,
                end,
                kind: d.kind,
            });
            ends.push(Reverse(End(end)));
        }
        while worst.peek().is_some_and(|w| w.end <= at) {
            worst.pop();
        }
        let next_end = ends.peek().map_or(f64::INFINITY, |Reverse(e)| e.0);
        let next = starts
            .peek()
            .map_or(next_end, |(_, d)| d.start.min(next_end));
        if next == f64::INFINITY {
            break;
        }
        if let Some(w) = worst.peek() {
            out.push(Segment {
                target: t,
                start: at,
                end: next,
                severity: w.severity,
                kind: w.kind,
            });
        }
        at = next;
    }
}

/// Writes each disrupted target's daily capacity factor (1 minus the time-weighted
/// worst active severity) as change points, and marks the days on which factors change.
fn apply_factors(m: &Model, s: &mut Scratch) {
    let n_days = m.n_days as usize;
    for &l in &s.losses {
        set_bit(&mut s.dirty, l.day as usize);
    }
    factor_changes(
        &s.segments,
        m.n_targets(),
        n_days,
        &mut s.factors,
        &mut s.dirty,
    );
}

/// The change points of each target's daily factor, given its segments (sorted by
/// target, then time, not overlapping within a target); marks the days of change.
fn factor_changes(
    segments: &[Segment],
    n_targets: usize,
    n_days: usize,
    f: &mut Factors,
    dirty: &mut [u64],
) {
    f.off.clear();
    f.items.clear();
    let mut i = 0;
    for t in 0..n_targets as u32 {
        f.off.push(f.items.len());
        // The factor now in force; a change point that repeats it (overlapping
        // disruptions of equal severity leave some) is dropped, the others kept and
        // their days marked.
        let mut now = 1.0;
        let mut keep = |(day, x): (u32, f32), items: &mut Vec<(u32, f32)>| {
            if x != now {
                set_bit(dirty, day as usize);
                items.push((day, x));
                now = x;
            }
        };
        // The latest change point, still open to the next segment starting on its day
        // (segments of a target do not overlap, so only the day one ends in can be
        // shared).
        let mut open: Option<(u32, f32)> = None;
        // The day after the last one touched so far, when the factor returns to 1
        // unless a later segment touches it.
        let mut back_to_one = None;
        while let Some(seg) = segments.get(i).filter(|seg| seg.target == t) {
            i += 1;
            let (a, b) = (seg.start, seg.end);
            let (lo, hi) = days_of(a, b, n_days);
            if lo >= hi {
                continue;
            }
            let mut set = |day: usize, cover: f64, items: &mut Vec<(u32, f32)>| {
                let before = match open {
                    Some((d, x)) if d as usize == day => x,
                    _ => {
                        if let Some(point) = open {
                            keep(point, items);
                        }
                        1.0
                    }
                };
                if let Some(one) = back_to_one.take().filter(|&one| one < day) {
                    keep((one as u32, 1.0), items);
                }
                open = Some((day as u32, lowered(before, cover, seg.severity)));
            };
            let cover = |d: usize| (b.min(d as f64 + 1.0) - a.max(d as f64)).max(0.0);
            set(lo, cover(lo), &mut f.items);
            if hi - lo >= 3 {
                // Whole days inside the segment.
                set(lo + 1, 1.0, &mut f.items);
            }
            if hi - lo >= 2 {
                set(hi - 1, cover(hi - 1), &mut f.items);
            }
            back_to_one = Some(hi);
        }
        if let Some(point) = open {
            keep(point, &mut f.items);
        }
        if let Some(one) = back_to_one.filter(|&one| one < n_days) {
            keep((one as u32, 1.0), &mut f.items);
        }
    }
    f.off.push(f.items.len());
}

/// The days a stretch `[a, b)` touches: `first..last`.
fn days_of(a: f64, b: f64, n: usize) -> (usize, usize) {
    let first = (a as usize).min(n);
    let last = ((b.ceil() as usize).max(first + 1)).min(n);
    (first, last)
}

/// A day's factor `before`, lowered by `sev` for the fraction `cover` of the day.
fn lowered(before: f32, cover: f64, sev: f64) -> f32 {
    let x = before as f64 - cover * sev;
    // A day cut in several pieces must reach exactly zero when fully covered, so that
    // a closed port ships nothing and a cut route freezes.
    if x < 1e-6 { 0.0 } else { x as f32 }
}

/// Unit `unit`'s part of the disruption-free value through `site` over `[a, b)`: the
/// site's value of each day split between its units (coming online on days `units`) in
/// proportion to their ramp-up factors, as the flow's capacity of the site is. Several
/// prospects of one group share their site; a delay of one denied only its own part.
fn unit_value(
    record: &Record,
    site: usize,
    units: &[f64],
    unit: usize,
    ramp_days: f64,
    a: f64,
    b: f64,
) -> f64 {
    if units.len() <= 1 {
        return record.value(site, a, b);
    }
    // (As the flow has them: see `Flow::reset`.)
    let firsts: Vec<f64> = units.iter().map(|o| o.ceil()).collect();
    // The factors and the record are constant between these whole days.
    let mut cuts = vec![a, b];
    cuts.extend(record.starts(site));
    for &f in firsts.iter().filter(|f| f.is_finite()) {
        // (Only the steps inside the window: a ramp-up may be far longer.)
        let steps = ramp_steps(f, ramp_days, a).skip_while(|&d| d <= a);
        cuts.extend(steps.take_while(|&d| d < b));
    }
    cuts.retain(|&x| a <= x && x <= b);
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut sum = 0.0;
    for w in cuts.windows(2) {
        let day = w[0].floor() as usize;
        let total: f64 = firsts.iter().map(|&f| ramp(day, f, ramp_days)).sum();
        let mine = ramp(day, firsts[unit], ramp_days);
        if total > 0.0 && mine > 0.0 {
            sum += record.value(site, w[0], w[1]) * mine / total;
        }
    }
    sum
}

/// A shortfall: the disruption-free quantity less the delivered one, or 0 where they
/// differ by no more than a billionth, the rounding of sums that reach the same total in
/// another order (without it, a scenario with no hazard showed shortfalls of 1e-16, and
/// `sensitivity` ranked its inputs by them).
fn gap(cf: f64, del: f64) -> f64 {
    let d = cf - del;
    if d.abs() <= 1e-9 * cf.abs().max(del.abs()) {
        0.0
    } else {
        d
    }
}

/// A shortfall (see [`gap`]) and its fraction of the disruption-free quantity; the
/// fraction is undefined (NaN, left out of the statistics) where nothing would have
/// flowed without disruptions.
fn shortfall(cf: f64, del: f64) -> (f64, f64) {
    let d = gap(cf, del);
    (d, if cf > 0.0 { d / cf } else { f64::NAN })
}

/// What each hazard kind and each target denied: `segment` of each disruption's
/// segment, `delay` of each delay window (split between the kinds by the days each
/// added), and `loss` of each cargo loss, given the value it destroyed.
fn charges(
    s: &Scratch,
    windows: &[DelayWindow],
    n_targets: usize,
    segment: impl Fn(&Segment) -> f64,
    delay: impl Fn(&DelayWindow) -> f64,
    loss: impl Fn(f64) -> f64,
) -> ([f64; 3], Vec<f64>) {
    let mut by_kind = [0.0; 3];
    let mut by_target = vec![0.0; n_targets];
    for seg in &s.segments {
        let denied = segment(seg);
        by_kind[seg.kind as usize] += denied;
        by_target[seg.target as usize] += denied;
    }
    for w in windows {
        let total: f64 = w.by_kind.iter().sum();
        if total > 0.0 {
            let denied = delay(w);
            for (x, days) in by_kind.iter_mut().zip(w.by_kind) {
                *x += denied * days / total;
            }
            by_target[w.blamed] += denied;
        }
    }
    for (l, &v) in s.losses.iter().zip(&s.destroyed) {
        by_kind[l.kind as usize] += loss(v);
        by_target[l.target as usize] += loss(v);
    }
    (by_kind, by_target)
}

fn fill_metrics(
    c: &Compiled,
    s: &Scratch,
    out: &mut TrialOutcome,
    idle: u32,
    windows: &[DelayWindow],
) {
    let m = &c.model;
    let l = &c.layout;
    let nc = m.commodities.len();
    let value = &s.net.value;
    let (mut del_v, mut cf_v) = (0.0, 0.0);
    let (mut del_m, mut cf_m) = (0.0, 0.0);
    for (k, &value_k) in value.iter().enumerate() {
        let del: f64 = (0..m.years.len())
            .map(|y| out.delivered_yearly[y * nc + k])
            .sum();
        let cf: f64 = (0..m.years.len())
            .map(|y| out.counterfactual_yearly[y * nc + k])
            .sum();
        let base = l.commodity + 4 * k;
        out.metrics[base] = del;
        out.metrics[base + 1] = cf;
        (out.metrics[base + 2], out.metrics[base + 3]) = shortfall(cf, del);
        del_v += del * value_k;
        cf_v += cf * value_k;
        del_m += del;
        cf_m += cf;
    }
    if let Some(base) = l.mass {
        out.metrics[base] = del_m;
        out.metrics[base + 1] = cf_m;
        (out.metrics[base + 2], out.metrics[base + 3]) = shortfall(cf_m, del_m);
    }
    // By phase, in one pass over the month periods (a phase's bounds start periods, so
    // each lies in one phase or none): the delivered and counterfactual values.
    for (q, &p) in m.period_phase.iter().enumerate() {
        let Some(j) = l.phase_slot.get(p as usize).copied().flatten() else {
            continue;
        };
        let (mut del, mut cf) = (0.0, 0.0);
        for (k, &value_k) in value.iter().enumerate() {
            del += out.delivered_monthly[q * nc + k] * value_k;
            cf += out.counterfactual_monthly[q * nc + k] * value_k;
        }
        out.metrics[l.phase + 3 * j] += del;
        out.metrics[l.phase + 3 * j + 1] += cf;
    }
    for j in 0..l.phases.len() {
        let base = l.phase + 3 * j;
        let (del, cf) = (out.metrics[base], out.metrics[base + 1]);
        (out.metrics[base + 1], out.metrics[base + 2]) = shortfall(cf, del);
    }
    let short_v = gap(cf_v, del_v);
    out.metrics[SHORTFALL_FRACTION] = if cf_v > 0.0 { short_v / cf_v } else { 0.0 };
    out.metrics[SHORTFALL_VALUE] = short_v;
    out.metrics[DELIVERED_VALUE] = del_v;
    out.metrics[COUNTERFACTUAL_VALUE] = cf_v;
    // Attribution: each disruption denied the counterfactual flow through its target
    // while it lasted; a construction delay denied what it pushed past the horizon of
    // the delayed unit's share of its site's flow; cargo losses destroyed value. The
    // trial's shortfall is split in proportion. Where what was disrupted carried
    // nothing in the counterfactual, it is split by the disrupted days instead.
    let n_targets = m.n_targets();
    let horizon = m.n_days as f64;
    let (mut by_kind, mut by_target) = charges(
        s,
        windows,
        n_targets,
        |seg| seg.severity * s.record.value(seg.target as usize, seg.start, seg.end),
        |w| {
            let units = &s.units_cf[w.site];
            let ramp_days = s.net.site_ramp[w.site];
            let from = w.from.max(horizon - (w.to - w.from));
            unit_value(&s.record, w.site, units, w.unit, ramp_days, from, horizon)
        },
        |destroyed| destroyed,
    );
    if by_kind.iter().sum::<f64>() <= 0.0 {
        (by_kind, by_target) = charges(
            s,
            windows,
            n_targets,
            |seg| seg.severity * (seg.end.min(horizon) - seg.start).max(0.0),
            |w| (w.to.min(horizon) - w.from).max(0.0),
            // (A loss of cargo worth nothing, whose shortfall shows downstream, as a
            // day of its target's disruption.)
            |_| 1.0,
        );
    }
    let denied: f64 = by_kind.iter().sum();
    let scale = if denied > 0.0 { short_v / denied } else { 0.0 };
    for (k, x) in by_kind.iter().enumerate() {
        out.metrics[l.lost_kind + k] = x * scale;
    }
    let denied_t: f64 = by_target.iter().sum();
    let scale_t = if denied_t > 0.0 {
        short_v / denied_t
    } else {
        0.0
    };
    for (t, x) in by_target.iter().enumerate() {
        out.metrics[l.lost_at + t] = x * scale_t;
    }
    for e in &s.events {
        out.metrics[l.events + e.hazard as usize] += 1.0;
    }
    for (h, hz) in m.hazards.iter().enumerate() {
        out.metrics[l.events_kind + hz.kind.index()] += out.metrics[l.events + h];
    }
    for (j, (i, _)) in m.commissioned().enumerate() {
        out.metrics[l.commissioning + j] = s.units[i].first().copied().unwrap_or(f64::NAN);
    }
    let last_day = (m.n_days - 1) as f64;
    out.metrics[l.mines] = m
        .sites
        .iter()
        .enumerate()
        .filter(|(_, site)| site.kind == SiteKind::Mine)
        .map(|(i, _)| s.units[i].iter().filter(|&&o| o.ceil() <= last_day).count())
        .sum::<usize>() as f64;
    out.metrics[l.idle] = idle as f64;
    // Phase 3 apart: the day each group's first developed prospect comes online
    // (undefined when none proves viable), and those producing at the horizon.
    // A group that feeds several mines gives each a unit per viable prospect, in the
    // same order, each delayed by its own mine's disruptions: a prospect produces when
    // any of its units does.
    for (g, pg) in m.prospects.iter().enumerate() {
        let units = |site: &usize| s.units[*site].iter().copied();
        out.metrics[l.first_mine + g] = (pg.sites.iter().flat_map(units))
            .reduce(f64::min)
            .unwrap_or(f64::NAN);
        let viable = pg.sites.first().map_or(0, |&site| s.units[site].len());
        out.metrics[l.prospects + g] = (0..viable)
            .filter(|&k| {
                pg.sites
                    .iter()
                    .any(|&site| s.units[site][k].ceil() <= last_day)
            })
            .count() as f64;
    }
    for (j, p) in m.plan.iter().enumerate() {
        let y = m.years.iter().position(|&y| y == p.year).unwrap_or(0);
        let del = out.delivered_yearly[y * nc + p.commodity];
        out.metrics[l.plan + j] = (p.quantity.get(&s.values) - del).max(0.0);
    }
    if let Some(col) = l.phase1_met {
        let met = c
            .phase1_plan
            .iter()
            .all(|&j| out.metrics[l.plan + j] <= 0.0);
        out.metrics[col] = if met { 1.0 } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::flow::bit;

    /// The factors of every day of one target, from its change points.
    fn expand(f: &Factors, t: usize, n_days: usize) -> Vec<f32> {
        let mut row = vec![1.0; n_days];
        for &(day, x) in &f.items[f.off[t]..f.off[t + 1]] {
            row[day as usize..].fill(x);
        }
        row
    }

    #[test]
    fn factor_change_points_equal_lowering_every_day() {
        // Random non-overlapping segments, many sharing days, some whole-day aligned,
        // some back to back at the same severity, against the plain rule: each day
        // loses severity times the share covered.
        let n_days = 60;
        let mut rng = stream(7, 0, 0);
        for _ in 0..300 {
            let mut segs = Vec::new();
            let mut at = rng.random::<f64>() * 3.0;
            for t in 0..2u32 {
                while at < n_days as f64 + 2.0 {
                    let len = match rng.random_range(0..4) {
                        0 => rng.random::<f64>() * 0.4,
                        1 => rng.random_range(1..4) as f64,
                        _ => rng.random::<f64>() * 8.0,
                    };
                    let severity = [1.0, 0.5, rng.random::<f64>()][rng.random_range(0..3)];
                    segs.push(seg(at, at + len, severity, 0));
                    segs.last_mut().unwrap().target = t;
                    at += len + [0.0, rng.random::<f64>() * 2.0][rng.random_range(0..2)];
                    if rng.random::<f64>() < 0.3 {
                        at = at.ceil();
                    }
                }
                at = rng.random::<f64>() * 3.0;
            }
            let mut f = Factors::default();
            let mut dirty = vec![0u64; 1];
            factor_changes(&segs, 3, n_days, &mut f, &mut dirty);
            for t in 0..3 {
                let mut want = vec![1.0f32; n_days];
                for s in segs.iter().filter(|s| s.target == t as u32) {
                    let (lo, hi) = days_of(s.start, s.end, n_days);
                    for (d, x) in want.iter_mut().enumerate().take(hi).skip(lo) {
                        let cover = (s.end.min(d as f64 + 1.0) - s.start.max(d as f64)).max(0.0);
                        *x = lowered(*x, cover, s.severity);
                    }
                }
                let got = expand(&f, t, n_days);
                assert_eq!(got, want, "target {t} of {segs:?}");
                // Every change point changes the factor.
                let items = &f.items[f.off[t]..f.off[t + 1]];
                let before = std::iter::once(1.0).chain(items.iter().map(|x| x.1));
                for (&(day, x), was) in items.iter().zip(before) {
                    assert_ne!(x, was, "day {day} of target {t} repeats its factor");
                }
                for d in 1..n_days {
                    if want[d] != want[d - 1] {
                        assert!(bit(&dirty, d), "day {d} changes but is not marked");
                    }
                }
            }
        }
    }

    #[test]
    fn a_surge_of_overlapping_disruptions_is_cut_with_heaps_as_by_the_scan() {
        // 3,000 disruptions of one target within 30 days, most overlapping many others,
        // severities with ties, after 30 days of a few at a time: cut by heaps (over 32
        // active at once, from the target's first segment) and by the scan, alike.
        let mut rng = stream(12, 0, 0);
        let mut ds: Vec<Disruption> = (0..3040)
            .map(|i| {
                let start = rng.random::<f64>() * 30.0 + if i < 40 { 0.0 } else { 30.0 };
                Disruption {
                    target: 4,
                    start,
                    end: start + rng.random::<f64>() * 5.0,
                    severity: [0.3, 0.6, 1.0, rng.random::<f64>()][rng.random_range(0..4)],
                    kind: rng.random_range(0..3),
                    delay: 0.0,
                }
            })
            .collect();
        ds.sort_by(|a, b| a.start.total_cmp(&b.start));
        let (mut active, mut scan, mut heaps) = (Vec::new(), Vec::new(), Vec::new());
        cut_segments_with(&ds, 62.0, &mut active, &mut scan, usize::MAX);
        cut_segments(&ds, 62.0, &mut active, &mut heaps);
        assert!(scan.len() > 1000, "{}", scan.len());
        // The most disruptions active at once, over the days before `until`.
        let most_active = |until: f64| {
            (ds.iter().filter(|d| d.start < until))
                .map(|d| {
                    (ds.iter())
                        .filter(|e| e.start <= d.start && d.start < e.end)
                        .count()
                })
                .max()
                .unwrap_or(0)
        };
        // The scan turns to the heaps in the surge, after it has cut segments before it:
        // those are cut once.
        assert!(most_active(30.0) <= ACTIVE_MOST && most_active(62.0) > ACTIVE_MOST);
        assert!(scan.iter().filter(|s| s.end < 30.0).count() > 10);
        assert_eq!(heaps, scan);
    }

    #[test]
    fn a_trial_whose_stand_downs_would_bring_too_many_disruptions_stops() {
        let m = crate::scenario::baseline();
        let (region, spread) = (m.region_targets.iter().enumerate())
            .map(|(r, t)| (r, t.len()))
            .max_by_key(|&(_, n)| n)
            .unwrap();
        assert!(spread >= 3, "{spread}");
        let event = |hazard: u16, stand_down: f64| crate::hazards::Event {
            t: 1.0,
            hazard,
            id: 0,
            target: m.region_targets[region][0] as u32,
            region: region as u32,
            severity: 1.0,
            duration: 1.0,
            lost_cargo: 0.0,
            stand_down,
            construction_delay: 0.0,
        };
        // A limit of 100 disruptions. Hazard 1 has the most events (one disruption
        // each), hazard 2 stand-downs (1 + spread each): hazard 2 is named.
        let limit = 100;
        let downs = 60 / (1 + spread);
        let mut s = Scratch {
            events: (0..40 - downs)
                .map(|_| event(1, 0.0))
                .chain((0..downs).map(|_| event(2, 3.0)))
                .collect(),
            ..Default::default()
        };
        // Up to the limit exactly, every disruption is kept.
        let fill = limit - s.events.len() - downs * spread;
        s.events.extend((0..fill).map(|_| event(1, 0.0)));
        assert_eq!(disruptions_up_to(&m, &mut s, limit), Ok(()));
        assert_eq!(s.disruptions.len(), limit);
        // One more, by the last event: stopped, naming the hazard of the stand-downs.
        s.events.push(event(1, 0.0));
        assert_eq!(disruptions_up_to(&m, &mut s, limit), Err(2));
        assert!(s.disruptions.is_empty() && s.losses.is_empty());
        // The limit of a run is checked the same way.
        assert!(disruptions(&m, &mut s).is_ok());
    }

    #[test]
    fn segments_carry_the_worst_active_severity_once() {
        // Random disruptions of three targets, some apart and some overlapping, against
        // the rule read off at every point between two boundaries: the worst severity
        // of the disruptions active there, and among equal ones the kind of the first
        // to start; or no segment when none is active.
        let horizon = 50.0;
        let mut rng = stream(11, 0, 0);
        let (mut active, mut out) = (Vec::new(), Vec::new());
        let (mut overlapping, mut apart) = (0, 0);
        for _ in 0..500 {
            let mut ds = Vec::new();
            for target in 0..3u32 {
                let mut at = rng.random::<f64>() * 5.0;
                for _ in 0..rng.random_range(0..10) {
                    let len = [0.0, rng.random::<f64>() * 10.0][rng.random_range(0..2)];
                    ds.push(Disruption {
                        target,
                        start: at,
                        end: at + len,
                        severity: [0.0, rng.random::<f64>(), 0.5, 1.0][rng.random_range(0..4)],
                        kind: rng.random_range(0..3),
                        delay: 0.0,
                    });
                    // Apart, touching, or overlapping the one before.
                    at += [
                        len,
                        len + rng.random::<f64>() * 6.0,
                        len * rng.random::<f64>(),
                    ][rng.random_range(0..3)];
                }
            }
            cut_segments(&ds, horizon, &mut active, &mut out);
            // The heaps cut the same segments as the scan, from a target's first
            // disruption or from wherever more than a few are active at once.
            let mut heaps = Vec::new();
            for most in [0, rng.random_range(1..5)] {
                cut_segments_with(&ds, horizon, &mut active, &mut heaps, most);
                assert_eq!(heaps, out, "{most}");
            }
            for target in 0..3u32 {
                let mine: Vec<&Disruption> = ds.iter().filter(|d| d.target == target).collect();
                let segs: Vec<&Segment> = out.iter().filter(|s| s.target == target).collect();
                let overlaps = mine
                    .windows(2)
                    .any(|w| w[1].start < w[0].end && w[0].severity * w[1].severity > 0.0);
                overlapping += overlaps as usize;
                apart += (!overlaps && segs.len() > 1) as usize;
                for w in segs.windows(2) {
                    assert!(w[0].end <= w[1].start, "segments overlap: {segs:?}");
                }
                let mut cuts: Vec<f64> = mine.iter().flat_map(|d| [d.start, d.end]).collect();
                cuts.push(horizon);
                cuts.sort_by(f64::total_cmp);
                for x in cuts.windows(2).filter(|w| w[0] < w[1] && w[0] < horizon) {
                    let mid = (x[0] + x[1].min(horizon)) / 2.0;
                    let worst = mine
                        .iter()
                        .filter(|d| d.start <= mid && mid < d.end && d.severity > 0.0)
                        .map(|d| (d.severity, d.kind))
                        .fold((0.0, 0), |w, a| if a.0 > w.0 { a } else { w });
                    let at: Vec<_> = segs
                        .iter()
                        .filter(|s| s.start <= mid && mid < s.end)
                        .map(|s| (s.severity, s.kind))
                        .collect();
                    if worst.0 > 0.0 {
                        assert_eq!(at, [worst], "target {target} at {mid} of {mine:?}");
                    } else {
                        assert!(at.is_empty(), "target {target} at {mid} of {mine:?}");
                    }
                }
                // Segments start and end only where a disruption does (or at the horizon).
                assert!(
                    segs.iter()
                        .all(|s| cuts.contains(&s.start) && cuts.contains(&s.end))
                );
                assert!(segs.iter().all(|s| s.end <= horizon && s.severity > 0.0));
            }
        }
        // Both ways through `cut_segments` were taken, many times.
        assert!(overlapping > 50 && apart > 50, "{overlapping} {apart}");
    }

    fn seg(start: f64, end: f64, severity: f64, kind: u8) -> Segment {
        Segment {
            target: 0,
            start,
            end,
            severity,
            kind,
        }
    }

    #[test]
    fn a_delayed_unit_is_charged_its_own_part_of_its_sites_flow() {
        let mut record = Record::default();
        record.clear(1, 100);
        record.set(0, 0, 10.0);
        // Two units without ramp-up, the second online from day 50: over days 40 to 60
        // the first made 10 days alone and half of 10 days shared.
        let units = [0.0, 49.5];
        assert_eq!(unit_value(&record, 0, &units, 0, 0.0, 40.0, 60.0), 150.0);
        assert_eq!(unit_value(&record, 0, &units, 1, 0.0, 40.0, 60.0), 50.0);
        // A site's only unit is charged the whole flow.
        let whole = record.value(0, 12.3, 80.0);
        assert_eq!(unit_value(&record, 0, &[3.0], 0, 14.0, 12.3, 80.0), whole);
        assert_eq!(whole, 677.0);
        // With ramp-ups and a change of flow, the parts of units online throughout add
        // up to the site's flow; twin units get equal parts; a unit has none before
        // its first day.
        record.set(0, 40, 20.0);
        let whole = record.value(0, 12.3, 80.0);
        let units = [10.0, 10.0, 30.5];
        let part = |k: usize, a: f64, b: f64| unit_value(&record, 0, &units, k, 14.0, a, b);
        let sum: f64 = (0..3).map(|k| part(k, 12.3, 80.0)).sum();
        assert!((sum - whole).abs() <= 1e-12 * whole, "{sum} vs {whole}");
        assert!(whole > 0.0 && part(0, 12.3, 80.0) == part(1, 12.3, 80.0));
        assert_eq!(part(2, 12.3, 31.0), 0.0);
        assert!(part(2, 31.0, 45.0) > 0.0 && part(2, 31.0, 45.0) < part(2, 45.0, 59.0));
    }

    #[test]
    fn overlapping_disruptions_delay_construction_once() {
        // A 30-day outage and its 30-day stand-down over the same days: one pause.
        let segs = [seg(100.0, 130.0, 1.0, 0)];
        let (end, kinds) = delayed(0.0, 200.0, 1.0, &segs, &[]);
        assert_eq!(end, 230.0);
        assert_eq!(kinds, [30.0, 0.0, 0.0]);
    }

    #[test]
    fn a_disruption_running_past_completion_pauses_the_rest_of_the_work() {
        let (end, _) = delayed(0.0, 200.0, 1.0, &[seg(173.37, 203.37, 1.0, 1)], &[]);
        assert!((end - 230.0).abs() < 1e-9, "{end}");
        // At half severity 10 days of work left at day 190 take 20 days.
        let (end, kinds) = delayed(0.0, 200.0, 1.0, &[seg(190.0, 250.0, 0.5, 2)], &[]);
        assert!((end - 210.0).abs() < 1e-9, "{end}");
        assert!((kinds[2] - 10.0).abs() < 1e-9);
    }

    #[test]
    fn events_add_their_construction_delay_only_during_the_work() {
        let ev = |start: f64, delay: f64| Disruption {
            target: 0,
            start,
            end: start,
            severity: 0.0,
            kind: 0,
            delay,
        };
        let events = [
            ev(-5.0, 9.0),
            ev(50.0, 10.0),
            ev(205.0, 7.0),
            ev(260.0, 3.0),
        ];
        // 200 + 10 (day 50) = 210, then the event at 205 falls inside: 217; day 260 is after.
        let (end, kinds) = delayed(0.0, 200.0, 1.0, &[], &events);
        assert_eq!(end, 217.0);
        assert_eq!(kinds[0], 17.0);
    }
}
