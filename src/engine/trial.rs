//! One trial, in the steps of the model: draw the uncertain parameters; draw
//! construction durations and prospect outcomes; draw the hazard events; turn them into
//! disruptions and delays; run the flow with and without disruptions; attribute the
//! shortfall; record the outcome.

use super::Compiled;
use super::flow::{CargoLoss, Flow, Net, RunInput, RunOutput, set_bit};
use super::outcome::*;
use super::rng::stream;
use crate::hazards::{Event, draw_events};
use crate::model::{Model, Online, SiteKind};
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
    losses: Vec<CargoLoss>,
    destroyed: Vec<f64>,
    factors: Vec<f32>,
    dirty_cf: Vec<u64>,
    dirty: Vec<u64>,
    record: Vec<f32>,
    net: Net,
    units_cf: Vec<Vec<f64>>,
    units: Vec<Vec<f64>>,
    flow: Flow,
    sweep: Vec<(f64, f64)>,
    bounds: Vec<(f64, f64)>,
    active: Vec<f64>,
}

/// Runs trial `trial` of a run seeded with `seed`.
pub fn run_trial(c: &Compiled, seed: u64, trial: u64, s: &mut Scratch) -> TrialOutcome {
    let m = &c.model;
    draw_params(c, seed, trial, &mut s.values);
    build_net(m, &s.values, &mut s.net);
    schedule_cf(c, seed, trial, s);
    draw_events(m, &c.hazards, seed, trial, &s.values, &mut s.events);
    disruptions(m, s);
    let delay_windows = schedule_disrupted(m, s);
    let n_days = m.n_days as usize;
    let words = n_days.div_ceil(64);
    s.dirty_cf.clear();
    s.dirty_cf.resize(words, 0);
    s.dirty.clear();
    s.dirty.resize(words, 0);
    mark_units(&s.units_cf, &s.net, &mut s.dirty_cf);
    mark_units(&s.units, &s.net, &mut s.dirty);
    apply_factors(m, s);
    let nc = m.commodities.len();
    let nm = m.months.len() * nc;
    let np = c.topology.ports.len();
    let mut out = TrialOutcome {
        metrics: vec![0.0; c.layout.len()],
        delivered_monthly: vec![0.0; nm],
        counterfactual_monthly: vec![0.0; nm],
        params: s.values.clone(),
        ..Default::default()
    };
    s.record.resize(m.n_targets() * n_days, 0.0);
    let (mut cf_stock_days, mut cf_shipped) = (vec![0.0; np], vec![0.0; np]);
    let mut cf_out = RunOutput {
        delivered: &mut out.counterfactual_monthly,
        destroyed: &mut [],
        record: Some(&mut s.record),
        longest_idle: 0,
        port_stock_days: &mut cf_stock_days,
        port_shipped: &mut cf_shipped,
    };
    let cf_in = RunInput {
        units: &s.units_cf,
        factors: None,
        dirty: &s.dirty_cf,
        losses: &[],
    };
    s.flow.run(m, &c.topology, &s.net, &cf_in, &mut cf_out);
    s.destroyed.clear();
    s.destroyed.resize(s.losses.len(), 0.0);
    let (mut stock_days, mut shipped) = (vec![0.0; np], vec![0.0; np]);
    let mut dis_out = RunOutput {
        delivered: &mut out.delivered_monthly,
        destroyed: &mut s.destroyed,
        record: None,
        longest_idle: 0,
        port_stock_days: &mut stock_days,
        port_shipped: &mut shipped,
    };
    let dis_in = RunInput {
        units: &s.units,
        factors: Some(&s.factors),
        dirty: &s.dirty,
        losses: &s.losses,
    };
    s.flow.run(m, &c.topology, &s.net, &dis_in, &mut dis_out);
    let idle = dis_out.longest_idle;
    out.delivered_yearly = by_year(m, &out.delivered_monthly);
    out.counterfactual_yearly = by_year(m, &out.counterfactual_monthly);
    out.events_yearly = vec![0.0; m.hazards.len() * m.years.len()];
    for e in &s.events {
        let y = m.day_year[(e.t as usize).min(n_days - 1)] as usize;
        out.events_yearly[e.hazard as usize * m.years.len() + y] += 1.0;
    }
    for (j, (&days, &cf)) in stock_days.iter().zip(&cf_shipped).enumerate() {
        out.metrics[c.layout.survive + j] = if cf > 0.0 { days / cf } else { f64::NAN };
    }
    fill_metrics(c, s, &mut out, idle, &delay_windows);
    reset_factors(m, s);
    out
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

fn draw_params(c: &Compiled, seed: u64, trial: u64, values: &mut Vec<f64>) {
    values.clear();
    for (p, &purpose) in c.model.params.iter().zip(&c.param_purposes) {
        let mut rng = stream(seed, trial, purpose);
        let v = p.dist.sample(&mut rng);
        values.push(if p.integer { v.round() } else { v });
    }
}

fn build_net(m: &Model, v: &[f64], net: &mut Net) {
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
        net.route_transit
            .push((r.transit_days.get(v).round() as usize).max(1));
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
        for _ in 0..count {
            let u: f64 = rng.random();
            let explore = pg.exploration_days.sample(&mut rng);
            let develop = pg.development_days.sample(&mut rng);
            if u < p {
                for &site in &pg.sites {
                    s.units_cf[site].push(pg.start_day as f64 + explore + develop);
                }
            }
        }
    }
}

/// Turns events into disruptions of targets (and stand-downs of regions) and losses.
fn disruptions(m: &Model, s: &mut Scratch) {
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
    }
    s.disruptions
        .sort_by(|a, b| a.target.cmp(&b.target).then(a.start.total_cmp(&b.start)));
}

/// Completion of work from `begin` lasting `base` days at a building site, delayed by
/// the site's disruptions while the work lasts; returns completion and delay by kind.
fn delayed(begin: f64, base: f64, per_day: f64, ds: &[Disruption]) -> (f64, [f64; 3]) {
    let mut end = begin + base;
    let mut by_kind = [0.0; 3];
    for d in ds {
        if d.start >= end {
            break;
        }
        let overlap = (d.end.min(end) - d.start.max(begin)).max(0.0);
        let add = overlap * per_day * d.severity + if d.start >= begin { d.delay } else { 0.0 };
        end += add;
        by_kind[d.kind as usize] += add;
    }
    (end, by_kind)
}

/// Online days with disruptions; returns (site, from, to, delay by kind) windows of delay.
fn schedule_disrupted(m: &Model, s: &mut Scratch) -> Vec<(usize, f64, f64, [f64; 3])> {
    let v = &s.values;
    s.units.resize_with(m.sites.len(), Vec::new);
    let mut windows = Vec::new();
    for (i, site) in m.sites.iter().enumerate() {
        s.units[i].clear();
        let ds = target_slice(&s.disruptions, i as u32);
        let (begin, per_day) = match site.online {
            Online::Day(_) => (0.0, 0.0),
            Online::Project(p) => (
                m.projects[p].start_day as f64,
                m.projects[p].delay_per_disrupted_day.get(v),
            ),
            Online::Prospects(g) => (
                m.prospects[g].start_day as f64,
                m.prospects[g].delay_per_disrupted_day.get(v),
            ),
        };
        for k in 0..s.units_cf[i].len() {
            let cf = s.units_cf[i][k];
            if matches!(site.online, Online::Day(_)) {
                s.units[i].push(cf);
                continue;
            }
            let (end, by_kind) = delayed(begin, cf - begin, per_day, ds);
            s.units[i].push(end);
            if end > cf {
                windows.push((i, cf, end, by_kind));
            }
        }
    }
    windows
}

fn target_slice(ds: &[Disruption], t: u32) -> &[Disruption] {
    let a = ds.partition_point(|d| d.target < t);
    let b = ds.partition_point(|d| d.target <= t);
    &ds[a..b]
}

fn mark_units(units: &[Vec<f64>], net: &Net, dirty: &mut [u64]) {
    set_bit(dirty, 0);
    for (s, us) in units.iter().enumerate() {
        for &o in us {
            if o.is_finite() && o >= 0.0 {
                let first = o.ceil() as usize;
                let r = net.site_ramp[s].ceil() as usize;
                for d in first..=first + r {
                    set_bit(dirty, d);
                }
            }
        }
    }
}

/// Writes each disrupted target's daily capacity factor (1 minus the time-weighted
/// worst active severity) and marks the days on which factors change.
fn apply_factors(m: &Model, s: &mut Scratch) {
    let n_days = m.n_days as usize;
    if s.factors.len() != m.n_targets() * n_days {
        s.factors = vec![1.0; m.n_targets() * n_days];
    }
    for &l in &s.losses {
        set_bit(&mut s.dirty, l.day as usize);
    }
    let mut i = 0;
    while i < s.disruptions.len() {
        let t = s.disruptions[i].target;
        let j = i + s.disruptions[i..]
            .iter()
            .take_while(|d| d.target == t)
            .count();
        let row = &mut s.factors[t as usize * n_days..(t as usize + 1) * n_days];
        elementary(
            &s.disruptions[i..j],
            &mut s.bounds,
            &mut s.active,
            &mut s.sweep,
        );
        for w in s.sweep.windows(2) {
            let (a, sev) = w[0];
            let (b, _) = w[1];
            add_loss(row, a, b, sev, &mut s.dirty);
        }
        i = j;
    }
}

/// Breakpoints of a target's disruptions with the worst severity active after each, by
/// a sweep over starts and ends (`bounds` and `active` are reused buffers).
fn elementary(
    ds: &[Disruption],
    bounds: &mut Vec<(f64, f64)>,
    active: &mut Vec<f64>,
    out: &mut Vec<(f64, f64)>,
) {
    out.clear();
    bounds.clear();
    active.clear();
    // (time, +severity at a start, -severity at an end); ends sort before starts at a tie.
    bounds.extend(
        ds.iter()
            .flat_map(|d| [(d.start, d.severity), (d.end, -d.severity)]),
    );
    bounds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut i = 0;
    while i < bounds.len() {
        let t = bounds[i].0;
        while i < bounds.len() && bounds[i].0 == t {
            let sev = bounds[i].1;
            if sev > 0.0 {
                active.push(sev);
            } else if let Some(k) = active.iter().position(|&a| a == -sev) {
                active.swap_remove(k);
            }
            i += 1;
        }
        out.push((t, active.iter().cloned().fold(0.0, f64::max)));
    }
}

/// Lowers the factors of days covered by `[a, b)` by `sev` times the covered fraction.
fn add_loss(row: &mut [f32], a: f64, b: f64, sev: f64, dirty: &mut [u64]) {
    if sev <= 0.0 || b <= a {
        return;
    }
    let n = row.len();
    let first = a as usize;
    let last = ((b.ceil() as usize).max(first + 1)).min(n);
    for (d, f) in row.iter_mut().enumerate().take(last).skip(first) {
        let cover = (b.min(d as f64 + 1.0) - a.max(d as f64)).max(0.0);
        let x = *f as f64 - cover * sev;
        // A day cut in several pieces must reach exactly zero when fully covered, so
        // that a closed port ships nothing and a cut route freezes.
        *f = if x < 1e-6 { 0.0 } else { x as f32 };
    }
    for d in [first, first + 1, last.saturating_sub(1), last] {
        set_bit(dirty, d);
    }
}

fn reset_factors(m: &Model, s: &mut Scratch) {
    let n_days = m.n_days as usize;
    for d in &s.disruptions {
        let t = d.target as usize;
        let a = d.start as usize;
        let b = (d.end.ceil() as usize).min(n_days);
        if a < b {
            s.factors[t * n_days + a..t * n_days + b].fill(1.0);
        }
    }
}

/// Value of cf flow through target `t` over `[a, b)` (days, fractional).
fn cf_value(rec: &[f32], n_days: usize, t: usize, a: f64, b: f64) -> f64 {
    let row = &rec[t * n_days..(t + 1) * n_days];
    let first = a.max(0.0) as usize;
    let last = (b.ceil() as usize).min(n_days);
    (first..last)
        .map(|d| {
            let cover = (b.min(d as f64 + 1.0) - a.max(d as f64)).max(0.0);
            cover * row[d] as f64
        })
        .sum()
}

fn fill_metrics(
    c: &Compiled,
    s: &Scratch,
    out: &mut TrialOutcome,
    idle: u32,
    windows: &[(usize, f64, f64, [f64; 3])],
) {
    let m = &c.model;
    let l = &c.layout;
    let nc = m.commodities.len();
    let n_days = m.n_days as usize;
    let value = &s.net.value;
    let (mut del_v, mut cf_v) = (0.0, 0.0);
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
        out.metrics[base + 2] = cf - del;
        out.metrics[base + 3] = if cf > 0.0 { (cf - del) / cf } else { 0.0 };
        del_v += del * value_k;
        cf_v += cf * value_k;
    }
    let short_v = cf_v - del_v;
    out.metrics[SHORTFALL_FRACTION] = if cf_v > 0.0 { short_v / cf_v } else { 0.0 };
    out.metrics[SHORTFALL_VALUE] = short_v;
    out.metrics[DELIVERED_VALUE] = del_v;
    out.metrics[COUNTERFACTUAL_VALUE] = cf_v;
    // Attribution: each disruption denied the counterfactual flow through its target
    // while it lasted; construction delays denied the flow of the delayed site; cargo
    // losses destroyed value. The trial's shortfall is split in proportion.
    let n_targets = m.n_targets();
    let mut by_kind = [0.0; 3];
    let mut by_target = vec![0.0; n_targets];
    for d in &s.disruptions {
        let denied = d.severity * cf_value(&s.record, n_days, d.target as usize, d.start, d.end);
        by_kind[d.kind as usize] += denied;
        by_target[d.target as usize] += denied;
    }
    for &(site, a, b, kinds) in windows {
        let denied = cf_value(&s.record, n_days, site, a, b);
        let total: f64 = kinds.iter().sum();
        if total > 0.0 {
            for k in 0..3 {
                by_kind[k] += denied * kinds[k] / total;
            }
            by_target[site] += denied;
        }
    }
    for (loss, &v) in s.losses.iter().zip(&s.destroyed) {
        by_kind[loss.kind as usize] += v;
        by_target[loss.target as usize] += v;
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
    for (j, (i, _)) in m.plants().enumerate() {
        out.metrics[l.commissioning + j] = s.units[i].first().copied().unwrap_or(f64::NAN);
    }
    let last_day = (m.n_days - 1) as f64;
    out.metrics[l.mines] = m
        .sites
        .iter()
        .enumerate()
        .filter(|(_, site)| site.kind == SiteKind::Mine)
        .map(|(i, _)| s.units[i].iter().filter(|&&o| o.ceil() <= last_day).count() as f64)
        .sum();
    out.metrics[l.idle] = idle as f64;
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
