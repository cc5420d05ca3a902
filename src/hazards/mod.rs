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
//! Each hazard draws its background events, its offspring and its events' targets and
//! impacts from streams of its own (purposes `hazards[NAME]:...`).

use crate::engine::rng::{Stream, purpose, stream};
use crate::model::{Model, Num};
use rand::RngExt;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp1, Poisson};

/// One event, with its drawn target and impact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Time in days from the start.
    pub t: f64,
    /// Hazard index.
    pub hazard: u16,
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
    offspring: Vec<u64>,
    impact: Vec<u64>,
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
            offspring: p("offspring"),
            impact: p("impact"),
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

/// Draws every event of one trial into `events`, sorted by time, with targets and impacts.
pub fn draw_events(
    model: &Model,
    plan: &HazardPlan,
    seed: u64,
    trial: u64,
    values: &[f64],
    events: &mut Vec<Event>,
) {
    events.clear();
    let horizon = model.n_days as f64;
    for h in 0..model.hazards.len() {
        let mut rng = stream(seed, trial, plan.bg[h]);
        let bound = rate_bound(model, h, values);
        if bound <= 0.0 {
            continue;
        }
        let mut t = 0.0;
        loop {
            let e: f64 = Exp1.sample(&mut rng);
            t += e / bound;
            if t >= horizon {
                break;
            }
            let u: f64 = rng.random();
            if u * bound < background_rate(model, h, t, values) {
                events.push(blank(t, h));
            }
        }
    }
    add_offspring(model, plan, seed, trial, values, events);
    events.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.hazard.cmp(&b.hazard)));
    let mut impact_rngs: Vec<Stream> = plan
        .impact
        .iter()
        .map(|&p| stream(seed, trial, p))
        .collect();
    for e in events.iter_mut() {
        draw_impact(model, plan, e, &mut impact_rngs[e.hazard as usize], values);
    }
}

fn blank(t: f64, h: usize) -> Event {
    Event {
        t,
        hazard: h as u16,
        target: 0,
        region: 0,
        severity: 0.0,
        duration: 0.0,
        lost_cargo: 0.0,
        stand_down: 0.0,
        construction_delay: 0.0,
    }
}

/// Generation by generation: each event's direct offspring, drawn from its hazard's
/// offspring stream in the order events were created.
fn add_offspring(
    model: &Model,
    plan: &HazardPlan,
    seed: u64,
    trial: u64,
    values: &[f64],
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
    let mut rngs: Vec<Stream> = plan
        .offspring
        .iter()
        .map(|&p| stream(seed, trial, p))
        .collect();
    let mut next = 0;
    while next < events.len() {
        let parent = events[next];
        next += 1;
        let src = parent.hazard as usize;
        for &(child, jump, decay) in &plan.children[src] {
            let jump = jump.get(values);
            if jump <= 0.0 {
                continue;
            }
            let rng = &mut rngs[src];
            let n = Poisson::new(jump).map(|p| p.sample(rng)).unwrap_or(0.0) as u64;
            let decay = decay.get(values);
            for _ in 0..n {
                let delay: f64 = Exp1.sample(rng);
                let t = parent.t + delay * decay;
                if t < horizon {
                    events.push(blank(t, child));
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
