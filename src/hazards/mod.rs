//! Hazard events: when they happen, what they hit, what they do.
//!
//! Occurrence is simulated exactly in continuous time (days from the start):
//! - background events of each hazard by Lewis-Shedler thinning of an inhomogeneous
//!   Poisson process whose rate is `base * (1 + trend)^years * phase multiplier *
//!   seasonal factor * mitigation factors`;
//! - self- and cross-excitation through the branching (cluster) representation of a
//!   Hawkes process with exponential kernels (Hawkes & Oakes, 1974): every event of
//!   hazard `j` triggers `Poisson(jump_ij)` events of hazard `i`, each after an
//!   exponential delay with mean `decay_ij` days. The intensity this produces is the
//!   background plus `jump / decay * exp(-(t - t_k) / decay)` for each past event `t_k`.
//!
//! Draws are arranged so that two scenarios share them wherever they define the same
//! thing (common random numbers), and so that more risk means more of the same events:
//! - background events are the points of a Poisson process on (time, height) below the
//!   rate curve. The height axis is cut into layers, `[0, 1)` events a year and then
//!   doubling (`[1, 2)`, `[2, 4)`, ...), and each layer has its own stream. A point is an
//!   event when its height lies under the rate at its time. Raising a rate keeps every
//!   event and adds some; lowering it removes some; the others do not move.
//! - every event has an identity (hazard, layer, index; offspring: parent, hazard,
//!   index), and its target, impact and offspring come from a stream of that identity,
//!   so the same event hits the same target with the same severity in both scenarios;
//! - an event's number of offspring is drawn by inversion from one uniform, so a larger
//!   jump gives at least as many offspring, the first ones at the same delays.

use crate::engine::rng::{Stream, mix, purpose, stream};
use crate::model::{Model, Num};
use rand::RngExt;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp1};

/// One event, with its drawn target and impact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Time in days from the start.
    pub t: f64,
    /// Hazard index.
    pub hazard: u16,
    /// Identity of the event, the same in every scenario that defines its hazard.
    pub id: u64,
    /// Target id (sites first, then routes).
    pub target: u32,
    /// Region of the event (the target's region within the hazard's scope).
    pub region: u32,
    /// Fraction of capacity lost while disrupted.
    pub severity: f64,
    /// Days disrupted.
    pub duration: f64,
    /// Fraction of cargo in transit or inventory destroyed.
    pub lost_cargo: f64,
    /// Days of regional stand-down (0 when none).
    pub stand_down: f64,
    /// Days added to construction or development at the target.
    pub construction_delay: f64,
}

/// Per-model data for drawing events, built once.
#[derive(Debug, Clone)]
pub struct HazardPlan {
    bg: Vec<u64>,
    /// Purpose of each hazard's name, mixed into offspring identities.
    child_key: Vec<u64>,
    pickers: Vec<Option<WeightedIndex<f64>>>,
    /// For each source hazard: (excited hazard, jump, decay).
    children: Vec<Vec<(usize, Num, Num)>>,
}

impl HazardPlan {
    /// Prepares target pickers and stream purposes.
    pub fn new(model: &Model) -> HazardPlan {
        let n = model.hazards.len();
        let mut children = vec![Vec::new(); n];
        for (i, h) in model.hazards.iter().enumerate() {
            children[i].push((i, h.self_jump, h.self_decay_days));
            for x in &h.excited_by {
                children[x.source].push((i, x.jump, x.decay_days));
            }
        }
        let p = |suffix: &str| -> Vec<u64> {
            model
                .hazards
                .iter()
                .map(|h| purpose(&format!("hazards[{}]:{suffix}", h.name)))
                .collect()
        };
        HazardPlan {
            bg: p("background"),
            child_key: p("offspring"),
            pickers: model
                .hazards
                .iter()
                .map(|h| WeightedIndex::new(h.targets.iter().map(|t| t.1)).ok())
                .collect(),
            children,
        }
    }
}

/// The background rate of hazard `h` per day at time `t`, given drawn values.
pub fn background_rate(model: &Model, h: usize, t: f64, values: &[f64]) -> f64 {
    let hz = &model.hazards[h];
    let day = (t as usize).min(model.n_days as usize - 1);
    let base = hz.rate_per_year.get(values) / 365.25;
    let growth = (1.0 + hz.trend_per_year.get(values)).powf(t / 365.25);
    let phase = match model.day_phase[day] {
        u8::MAX => 1.0,
        p => hz.phase_multipliers[p as usize].get(values),
    };
    let season = hz.seasonal[model.day_month[day] as usize];
    base * growth * phase * season * mitigation_factor(model, h, t, values, |m| m.rate_factor)
}

/// Product of one factor over the hazard's mitigations in force at time `t`.
pub fn mitigation_factor(
    model: &Model,
    h: usize,
    t: f64,
    values: &[f64],
    which: impl Fn(&crate::model::Mitigation) -> Num,
) -> f64 {
    model.hazards[h]
        .mitigations
        .iter()
        .map(|&m| &model.mitigations[m])
        .filter(|m| t >= m.from_day as f64)
        .map(|m| which(m).get(values))
        .product()
}

/// An upper bound of the background rate per day over the horizon.
fn rate_bound(model: &Model, h: usize, values: &[f64]) -> f64 {
    let hz = &model.hazards[h];
    let base = hz.rate_per_year.get(values) / 365.25;
    let years = model.n_days as f64 / 365.25;
    let growth = (1.0 + hz.trend_per_year.get(values)).powf(years).max(1.0);
    let phase = hz
        .phase_multipliers
        .iter()
        .map(|m| m.get(values))
        .fold(1.0, f64::max);
    let season = hz.seasonal.iter().cloned().fold(0.0, f64::max);
    let mut mitig: f64 = mitigation_factor(model, h, 0.0, values, |m| m.rate_factor);
    for &m in &hz.mitigations {
        let from = model.mitigations[m].from_day as f64;
        mitig = mitig.max(mitigation_factor(model, h, from, values, |m| m.rate_factor));
    }
    base * growth * phase * season * mitig
}

/// Height of the lowest layer of background points: one event a year, per day.
const LAYER0: f64 = 1.0 / 365.25;

/// Lower and upper height of layer `k` (events per day).
fn layer(k: u32) -> (f64, f64) {
    if k == 0 {
        (0.0, LAYER0)
    } else {
        let lo = LAYER0 * f64::powi(2.0, k as i32 - 1);
        (lo, 2.0 * lo)
    }
}

/// Identity of the `i`-th item under `parent` (a layer, an event, a child hazard).
#[inline]
fn child_id(parent: u64, i: u64) -> u64 {
    mix(parent ^ mix(i.wrapping_add(0x632b_e59b_d9b4_e019)))
}

/// Draws every event of one trial into `events`, sorted by time, with targets and impacts.
pub fn draw_events(
    model: &Model,
    plan: &HazardPlan,
    seed: u64,
    trial: u64,
    values: &[f64],
    off: &[bool],
    events: &mut Vec<Event>,
) {
    events.clear();
    let horizon = model.n_days as f64;
    for (h, &switched_off) in off.iter().enumerate().take(model.hazards.len()) {
        if switched_off {
            continue;
        }
        let bound = rate_bound(model, h, values);
        if bound.is_nan() || bound <= 0.0 {
            continue;
        }
        let mut k = 0;
        loop {
            let (lo, hi) = layer(k);
            if lo >= bound {
                break;
            }
            let key = child_id(plan.bg[h], k as u64);
            let mut rng = stream(seed, trial, key);
            let (mut t, mut i) = (0.0, 0u64);
            loop {
                let e: f64 = Exp1.sample(&mut rng);
                t += e / (hi - lo);
                if t >= horizon {
                    break;
                }
                let height = lo + (hi - lo) * rng.random::<f64>();
                if height < bound && height < background_rate(model, h, t, values) {
                    let mut ev = blank(t, h);
                    ev.id = child_id(key, i);
                    events.push(ev);
                }
                i += 1;
            }
            k += 1;
        }
    }
    add_offspring(model, plan, seed, trial, values, off, events);
    events.sort_by(|a, b| {
        a.t.total_cmp(&b.t)
            .then(a.hazard.cmp(&b.hazard))
            .then(a.id.cmp(&b.id))
    });
    for e in events.iter_mut() {
        let mut rng = stream(seed, trial, e.id);
        draw_impact(model, plan, e, &mut rng, values);
    }
}

fn blank(t: f64, h: usize) -> Event {
    Event {
        t,
        hazard: h as u16,
        id: 0,
        target: 0,
        region: 0,
        severity: 0.0,
        duration: 0.0,
        lost_cargo: 0.0,
        stand_down: 0.0,
        construction_delay: 0.0,
    }
}

/// Poisson(mean) by inversion of one uniform: monotone in the mean for a fixed `u`.
fn poisson_inverse(mean: f64, u: f64) -> u64 {
    let mut p = (-mean).exp();
    let mut cdf = p;
    let mut k = 0;
    while u > cdf && k < 10_000 && p > 0.0 {
        k += 1;
        p *= mean / k as f64;
        cdf += p;
    }
    k
}

/// Generation by generation: each event's direct offspring in each hazard it excites,
/// from a stream of (event, excited hazard).
fn add_offspring(
    model: &Model,
    plan: &HazardPlan,
    seed: u64,
    trial: u64,
    values: &[f64],
    off: &[bool],
    events: &mut Vec<Event>,
) {
    if plan
        .children
        .iter()
        .flatten()
        .all(|(_, jump, _)| jump.get(values) <= 0.0)
    {
        return;
    }
    let horizon = model.n_days as f64;
    let mut next = 0;
    while next < events.len() {
        let parent = events[next];
        next += 1;
        let src = parent.hazard as usize;
        for &(child, jump, decay) in &plan.children[src] {
            let jump = jump.get(values);
            if jump <= 0.0 || off[child] {
                continue;
            }
            let key = child_id(parent.id, plan.child_key[child]);
            let mut rng = stream(seed, trial, key);
            let n = poisson_inverse(jump, rng.random::<f64>());
            let decay = decay.get(values);
            for i in 0..n {
                let delay: f64 = Exp1.sample(&mut rng);
                let t = parent.t + delay * decay;
                if t < horizon {
                    let mut ev = blank(t, child);
                    ev.id = child_id(key, i);
                    events.push(ev);
                }
            }
        }
    }
}

fn draw_impact(model: &Model, plan: &HazardPlan, e: &mut Event, rng: &mut Stream, values: &[f64]) {
    let h = e.hazard as usize;
    let hz = &model.hazards[h];
    let pick = plan.pickers[h].as_ref().map_or(0, |w| w.sample(rng));
    let target = hz.targets.get(pick).map_or(0, |t| t.0);
    e.target = target as u32;
    e.region = event_region(model, h, target) as u32;
    let imp = &hz.impact;
    let sev_f = mitigation_factor(model, h, e.t, values, |m| m.severity_factor);
    let dur_f = mitigation_factor(model, h, e.t, values, |m| m.duration_factor);
    e.severity = (imp.severity.sample(rng) * sev_f).min(1.0);
    e.duration = imp.duration_days.sample(rng) * dur_f;
    e.lost_cargo = imp.lost_cargo.sample(rng) * sev_f.min(1.0);
    let p_sd = imp.stand_down_probability.get(values);
    let u: f64 = rng.random();
    let sd_days = imp.stand_down_days.sample(rng) * dur_f;
    e.stand_down = if u < p_sd { sd_days } else { 0.0 };
    e.construction_delay = imp.construction_delay_days.sample(rng) * dur_f;
}

/// The region of an event on `target`: the site's region, or for a route the first of
/// its regions inside the hazard's scope.
fn event_region(model: &Model, h: usize, target: usize) -> usize {
    let n_sites = model.sites.len();
    if target < n_sites {
        return model.sites[target].region;
    }
    let regions = &model.routes[target - n_sites].regions;
    let scope = &model.hazards[h].regions;
    regions
        .iter()
        .copied()
        .find(|r| scope.is_empty() || scope.contains(r))
        .unwrap_or(regions[0])
}
