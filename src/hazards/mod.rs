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
//!   event when its height lies under the rate at its time. Raising a rate, trend or
//!   phase multiplier keeps every event and adds some; lowering one removes some; the
//!   others do not move. (Seasonal factors are normalised to average 1: raising one
//!   month moves rate from the others.)
//! - every event has an identity (hazard, layer, index; offspring: parent, hazard and
//!   `excited_by` entry, index), and its target, impact and offspring come from a stream
//!   of that identity, one uniform per field in a fixed order, each through the field's
//!   inverse distribution function: the same event hits the same target in both
//!   scenarios, and a higher severity distribution gives it a higher severity;
//! - an event's number of offspring is drawn by inversion from one uniform, so a larger
//!   jump gives at least as many offspring, the first ones at the same delays.

use crate::engine::rng::{Stream, first_uniform, mix, purpose, stream};
use crate::model::dist::Inverse;
use crate::model::{Model, Num};
use rand::RngExt;
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
    /// Cumulative target weights of each hazard, normalised to end at 1.
    pickers: Vec<Vec<f64>>,
    /// Each hazard's targets and their regions (see `event_region`), in picker order.
    targets: Vec<Vec<(u32, u32)>>,
    /// Inverses of each hazard's impact fields: severity, duration, lost cargo,
    /// stand-down days, construction delay.
    impacts: Vec<[Inverse; 5]>,
    /// For each source hazard: (excited hazard, jump, decay, stream key), the key
    /// telling apart two entries that excite the same hazard.
    children: Vec<Vec<(usize, Num, Num, u64)>>,
}

impl HazardPlan {
    /// Prepares target pickers and stream purposes.
    pub fn new(model: &Model) -> HazardPlan {
        let n = model.hazards.len();
        let mut children: Vec<Vec<(usize, Num, Num, u64)>> = vec![Vec::new(); n];
        let hazard_key: Vec<u64> = model
            .hazards
            .iter()
            .map(|h| purpose(&format!("hazards[{}]:offspring", h.name)))
            .collect();
        let mut add = |src: usize, child: usize, jump: Num, decay: Num| {
            // The first entry from a source keeps the plain key; repeats get their own.
            let repeat = children[src].iter().filter(|c| c.0 == child).count() as u64;
            let key = if repeat == 0 {
                hazard_key[child]
            } else {
                child_id(hazard_key[child], repeat)
            };
            children[src].push((child, jump, decay, key));
        };
        for (i, h) in model.hazards.iter().enumerate() {
            add(i, i, h.self_jump, h.self_decay_days);
            for x in &h.excited_by {
                add(x.source, i, x.jump, x.decay_days);
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
            targets: (0..n)
                .map(|h| {
                    (model.hazards[h].targets.iter())
                        .map(|t| (t.0 as u32, event_region(model, h, t.0) as u32))
                        .collect()
                })
                .collect(),
            bg: p("background"),
            pickers: model
                .hazards
                .iter()
                .map(|h| {
                    let total: f64 = h.targets.iter().map(|t| t.1).sum();
                    let mut acc = 0.0;
                    h.targets
                        .iter()
                        .map(|t| {
                            acc += t.1;
                            acc / total
                        })
                        .collect()
                })
                .collect(),
            impacts: model
                .hazards
                .iter()
                .map(|h| {
                    let i = &h.impact;
                    [
                        Inverse::new(&i.severity),
                        Inverse::new(&i.duration_days),
                        Inverse::new(&i.lost_cargo),
                        Inverse::new(&i.stand_down_days),
                        Inverse::new(&i.construction_delay_days),
                    ]
                })
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
        .filter(|m| t >= m.from_day as f64 && t < m.until_day as f64)
        .map(|m| which(m).get(values))
        .product()
}

/// Lower and upper bounds of the background rate per day over the horizon: the product
/// of each factor's least (greatest) value. Below the lower bound a point is an event
/// without computing the rate at its time.
fn rate_range(model: &Model, h: usize, values: &[f64]) -> (f64, f64) {
    let hz = &model.hazards[h];
    let range = |xs: &mut dyn Iterator<Item = f64>| {
        xs.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
    };
    let base = hz.rate_per_year.get(values) / 365.25;
    let years = model.n_days as f64 / 365.25;
    let growth = (1.0 + hz.trend_per_year.get(values)).powf(years);
    // Days outside every phase have multiplier 1; a phase after the horizon is never
    // in force.
    let phases = (hz.phase_multipliers.iter().zip(&model.phases))
        .filter(|(_, p)| p.in_force(model.n_days))
        .map(|(m, _)| m.get(values));
    let phase = range(&mut std::iter::once(1.0).chain(phases));
    let season = range(&mut hz.seasonal.iter().copied());
    // The mitigations in force change on the days they start and end.
    let starts = hz.mitigations.iter().flat_map(|&m| {
        let m = &model.mitigations[m];
        [m.from_day, m.until_day.min(model.n_days - 1)].map(f64::from)
    });
    let mitig = range(
        &mut std::iter::once(0.0)
            .chain(starts)
            .map(|t| mitigation_factor(model, h, t, values, |m| m.rate_factor)),
    );
    let lo = base * growth.min(1.0) * phase.0 * season.0 * mitig.0;
    let hi = base * growth.max(1.0) * phase.1 * season.1 * mitig.1;
    // The lower bound stays below the rounding of the product `background_rate` forms.
    (lo * (1.0 - 1e-9), hi)
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

/// The most events one trial may draw: `check` refuses hazards expected to bring more
/// than 200,000 (at the 99.9999th percentiles of their rates), but the far tail of a
/// rate's distribution, or a burst of a self-exciting hazard near a branching ratio of
/// 1, can bring millions, and each event costs memory until the trial ends.
pub const TRIAL_EVENT_LIMIT: usize = 1_000_000;

/// Draws every event of one trial into `events`, sorted by time, with targets and
/// impacts; or, if they would be more than [`TRIAL_EVENT_LIMIT`], stops and returns the
/// hazard that had drawn the most of them (leaving `events` empty).
pub fn draw_events(
    model: &Model,
    plan: &HazardPlan,
    seed: u64,
    trial: u64,
    values: &[f64],
    off: &[bool],
    events: &mut Vec<Event>,
) -> Result<(), usize> {
    events.clear();
    let too_many = |events: &mut Vec<Event>| {
        let mut counts = vec![0usize; model.hazards.len()];
        for e in events.iter() {
            counts[e.hazard as usize] += 1;
        }
        events.clear();
        (0..counts.len())
            .max_by_key(|&h| (counts[h], std::cmp::Reverse(h)))
            .unwrap_or(0)
    };
    let horizon = model.n_days as f64;
    for (h, &switched_off) in off.iter().enumerate().take(model.hazards.len()) {
        if switched_off {
            continue;
        }
        let (floor, bound) = rate_range(model, h, values);
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
                if height < floor || height < bound && height < background_rate(model, h, t, values)
                {
                    let mut ev = blank(t, h);
                    ev.id = child_id(key, i);
                    events.push(ev);
                    if events.len() > TRIAL_EVENT_LIMIT {
                        return Err(too_many(events));
                    }
                }
                i += 1;
            }
            k += 1;
        }
    }
    if !add_offspring(model, plan, seed, trial, values, off, events) {
        return Err(too_many(events));
    }
    sort_events(events, horizon);
    for e in events.iter_mut() {
        let mut rng = stream(seed, trial, e.id);
        draw_impact(model, plan, e, &mut rng, values);
    }
    Ok(())
}

/// Sorts events in `[0, horizon)` by time, then hazard, then identity (unique, so the
/// order is total): a counting sort into as many equal stretches of time as there are
/// events, then each stretch's few events by insertion (a sort where a burst of
/// self-excited events crowds one).
fn sort_events(events: &mut Vec<Event>, horizon: f64) {
    thread_local! {
        static SCRATCH: std::cell::RefCell<(Vec<u32>, Vec<Event>)> =
            const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    }
    let n = events.len().max(1);
    let per_day = n as f64 / horizon;
    let bucket = |e: &Event| ((e.t * per_day) as usize).min(n - 1);
    SCRATCH.with_borrow_mut(|(starts, sorted)| {
        starts.clear();
        starts.resize(n + 1, 0);
        for e in events.iter() {
            starts[bucket(e) + 1] += 1;
        }
        for b in 0..n {
            starts[b + 1] += starts[b];
        }
        sorted.clear();
        sorted.extend_from_slice(events);
        for e in events.iter() {
            let at = &mut starts[bucket(e)];
            sorted[*at as usize] = *e;
            *at += 1;
        }
        let order = |a: &Event, b: &Event| {
            a.t.total_cmp(&b.t)
                .then(a.hazard.cmp(&b.hazard))
                .then(a.id.cmp(&b.id))
        };
        // `starts[b]` is now where stretch `b` ends.
        let mut from = 0;
        for &end in &starts[..n] {
            let stretch = &mut sorted[from..end as usize];
            from = end as usize;
            if stretch.len() > 16 {
                // A burst of self-excited events.
                stretch.sort_unstable_by(order);
            } else {
                for i in 1..stretch.len() {
                    let mut j = i;
                    while j > 0 && order(&stretch[j], &stretch[j - 1]).is_lt() {
                        stretch.swap(j, j - 1);
                        j -= 1;
                    }
                }
            }
        }
        std::mem::swap(events, sorted);
    });
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
/// `p0` is `exp(-mean)`, the chance of none.
fn poisson_inverse(mean: f64, p0: f64, u: f64) -> u64 {
    let mut p = p0;
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
/// from a stream of (event, excited hazard). False, and stopped, once the events are
/// more than [`TRIAL_EVENT_LIMIT`].
fn add_offspring(
    model: &Model,
    plan: &HazardPlan,
    seed: u64,
    trial: u64,
    values: &[f64],
    off: &[bool],
    events: &mut Vec<Event>,
) -> bool {
    if plan
        .children
        .iter()
        .flatten()
        .all(|(_, jump, _, _)| jump.get(values) <= 0.0)
    {
        return true;
    }
    let horizon = model.n_days as f64;
    // Each link's mean number of offspring, its chance of none, and its decay.
    let links: Vec<Vec<(f64, f64, f64)>> = (plan.children.iter())
        .map(|links| {
            (links.iter())
                .map(|&(_, jump, decay, _)| {
                    let jump = jump.get(values);
                    (jump, (-jump).exp(), decay.get(values))
                })
                .collect()
        })
        .collect();
    let mut next = 0;
    while next < events.len() {
        let parent = events[next];
        next += 1;
        let src = parent.hazard as usize;
        for (&(child, _, _, child_key), &(jump, p0, decay)) in
            plan.children[src].iter().zip(&links[src])
        {
            if jump <= 0.0 || off[child] {
                continue;
            }
            let key = child_id(parent.id, child_key);
            // Most events have no offspring: their one uniform is read without
            // building the stream.
            let u = first_uniform(seed, trial, key);
            if u <= p0 {
                continue;
            }
            let mut rng = stream(seed, trial, key);
            let _first: f64 = rng.random();
            let n = poisson_inverse(jump, p0, u);
            for i in 0..n {
                let delay: f64 = Exp1.sample(&mut rng);
                let t = parent.t + delay * decay;
                if t < horizon {
                    let mut ev = blank(t, child);
                    ev.id = child_id(key, i);
                    events.push(ev);
                }
            }
            if events.len() > TRIAL_EVENT_LIMIT {
                return false;
            }
        }
    }
    true
}

/// Target and impact of one event, each field from its own uniform of the event's
/// stream (always in the same order) through the field's inverse distribution
/// function, so that changing one field's distribution moves no other field, and a
/// higher distribution gives a higher value for the same event.
fn draw_impact(model: &Model, plan: &HazardPlan, e: &mut Event, rng: &mut Stream, values: &[f64]) {
    let h = e.hazard as usize;
    let hz = &model.hazards[h];
    let mut u = [0.0f64; 7];
    for x in &mut u {
        *x = rng.random();
    }
    let cum = &plan.pickers[h];
    let pick = cum
        .partition_point(|&c| c <= u[0])
        .min(cum.len().saturating_sub(1));
    (e.target, e.region) = (plan.targets[h].get(pick).copied())
        .unwrap_or_else(|| (0, event_region(model, h, 0) as u32));
    let [severity, duration, lost_cargo, stand_down_days, delay] = &plan.impacts[h];
    let sev_f = mitigation_factor(model, h, e.t, values, |m| m.severity_factor)
        * hz.impact.severity_scale.get(values);
    let dur_f = mitigation_factor(model, h, e.t, values, |m| m.duration_factor)
        * hz.impact.duration_scale.get(values);
    e.severity = (severity.at(u[1]) * sev_f).min(1.0);
    e.duration = duration.at(u[2]) * dur_f;
    e.lost_cargo = lost_cargo.at(u[3]) * sev_f.min(1.0);
    let p_sd = hz.impact.stand_down_probability.get(values)
        * mitigation_factor(model, h, e.t, values, |m| m.stand_down_factor);
    e.stand_down = if u[4] < p_sd {
        stand_down_days.at(u[5]) * dur_f
    } else {
        0.0
    };
    e.construction_delay = delay.at(u[6]) * dur_f;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impact_scales_multiply_the_same_events_impacts() {
        // The baseline's first hazard with its impacts scaled: the same events, each
        // with twice the duration, stand-down and delay, and half the severity and lost
        // cargo.
        let scaled = crate::scenario::BASELINE_TOML.replacen(
            "[hazards.impact]\n",
            "[hazards.impact]\nduration_scale = 2\nseverity_scale = 0.5\n",
            1,
        );
        let events = |text: &str| {
            let c = crate::engine::Compiled::new(crate::scenario::parse(text, "t").unwrap());
            let mut values = Vec::new();
            let mut events = Vec::new();
            for p in &c.model.params {
                values.push(p.dist.quantile(0.5));
            }
            let off = vec![false; c.model.hazards.len()];
            draw_events(&c.model, &c.hazards, 3, 0, &values, &off, &mut events).unwrap();
            events
        };
        let (plain, twice) = (events(crate::scenario::BASELINE_TOML), events(&scaled));
        assert_eq!(plain.len(), twice.len());
        let mut scaled_events = 0;
        for (a, b) in plain.iter().zip(&twice) {
            assert_eq!((a.t, a.hazard, a.target), (b.t, b.hazard, b.target));
            let k = if a.hazard == 0 { 1.0 } else { 0.0 };
            scaled_events += k as u32;
            assert_eq!(b.duration, a.duration * (1.0 + k));
            assert_eq!(b.stand_down, a.stand_down * (1.0 + k));
            assert_eq!(b.construction_delay, a.construction_delay * (1.0 + k));
            assert_eq!(b.severity, a.severity * (1.0 - 0.5 * k));
            assert_eq!(b.lost_cargo, a.lost_cargo * (1.0 - 0.5 * k));
        }
        assert!(scaled_events > 20, "{scaled_events}");
    }

    #[test]
    fn a_mitigation_can_lower_the_chance_of_a_stand_down() {
        // Attacks whose stand-downs a mitigation rules out from 2028 on: the same events,
        // no stand-down after it begins, the same ones before.
        let text = format!(
            "{}\n[[mitigations]]\nname = \"no_halt\"\nkinds = [\"attack\"]\nfrom = 2028-01-01\nstand_down_factor = 0\n",
            crate::scenario::BASELINE_TOML
        );
        let events = |text: &str| {
            let c = crate::engine::Compiled::new(crate::scenario::parse(text, "t").unwrap());
            let values: Vec<f64> = c
                .model
                .params
                .iter()
                .map(|p| p.dist.quantile(0.5))
                .collect();
            let from = c.model.start.until(jiff::civil::date(2028, 1, 1)).unwrap();
            let kinds: Vec<_> = c.model.hazards.iter().map(|h| h.kind).collect();
            let mut all = Vec::new();
            for trial in 0..10 {
                let mut events = Vec::new();
                let off = vec![false; c.model.hazards.len()];
                draw_events(&c.model, &c.hazards, 9, trial, &values, &off, &mut events).unwrap();
                all.extend(events);
            }
            (all, from.get_days() as f64, kinds)
        };
        let ((plain, from, kinds), (mitigated, ..)) =
            (events(crate::scenario::BASELINE_TOML), events(&text));
        assert_eq!(plain.len(), mitigated.len());
        let (mut removed, mut kept) = (0, 0);
        for (a, b) in plain.iter().zip(&mitigated) {
            assert_eq!((a.t, a.target, a.duration), (b.t, b.target, b.duration));
            let covered =
                kinds[a.hazard as usize] == crate::model::HazardKind::Attack && a.t >= from;
            if covered {
                assert_eq!(b.stand_down, 0.0);
                removed += (a.stand_down > 0.0) as u32;
            } else {
                assert_eq!(b.stand_down, a.stand_down);
                kept += (a.stand_down > 0.0) as u32;
            }
        }
        assert!(removed > 5 && kept > 5, "{removed} removed, {kept} kept");
    }

    #[test]
    fn a_mitigation_acts_from_its_first_day_until_the_day_it_ends() {
        // A hazard halted (rate factor 0) from 2026-06-01 until 2027-01-01: no event in
        // between, the same events as without the mitigation elsewhere.
        let small = include_str!("../../tests/valid_small.toml").replacen(
            "rate_per_year = 4",
            "rate_per_year = 400",
            1,
        );
        let halted = format!(
            "{small}\n[[mitigations]]\nname = \"halt\"\nhazards = [\"h\"]\nfrom = 2026-06-01\nuntil = 2027-01-01\nrate_factor = 0\n"
        );
        let events = |text: &str, trial: u64| {
            let c = crate::engine::Compiled::new(crate::scenario::parse(text, "t").unwrap());
            let day = |d: &str| {
                let d: jiff::civil::Date = d.parse().unwrap();
                c.model.start.until(d).unwrap().get_days()
            };
            let (a, b) = (day("2026-06-01"), day("2027-01-01"));
            let mut events = Vec::new();
            let off = vec![false; c.model.hazards.len()];
            draw_events(&c.model, &c.hazards, 5, trial, &[], &off, &mut events).unwrap();
            (events, a as f64, b as f64)
        };
        for trial in 0..5 {
            let (all, a, b) = events(&small, trial);
            let (some, ..) = events(&halted, trial);
            let outside: Vec<f64> = all
                .iter()
                .map(|e| e.t)
                .filter(|&t| t < a || t >= b)
                .collect();
            assert_eq!(some.iter().map(|e| e.t).collect::<Vec<_>>(), outside);
            // The window held events to remove, and some remain on either side.
            assert!(outside.len() + 100 < all.len());
            assert!(outside.first() < Some(&a) && outside.last() >= Some(&b));
        }
    }

    #[test]
    fn events_are_sorted_as_by_a_comparison_sort() {
        // Scattered events, bursts that crowd one stretch of time, and equal times
        // told apart by hazard and identity.
        let mut rng = stream(5, 0, 0);
        let horizon = 1000.0;
        for round in 0..300 {
            let mut events = Vec::new();
            for _ in 0..rng.random_range(0..200) {
                let t = match rng.random_range(0..4) {
                    0 => 500.0 + rng.random::<f64>() * 0.01,
                    1 => [0.0, 250.0, 999.5][rng.random_range(0..3)],
                    _ => rng.random::<f64>() * horizon,
                };
                let mut e = blank(t, rng.random_range(0..3));
                e.id = rng.random_range(0..50);
                events.push(e);
            }
            let mut want = events.clone();
            want.sort_unstable_by(|a, b| {
                (a.t.total_cmp(&b.t).then(a.hazard.cmp(&b.hazard))).then(a.id.cmp(&b.id))
            });
            sort_events(&mut events, horizon);
            let key = |v: &[Event]| v.iter().map(|e| (e.t, e.hazard, e.id)).collect::<Vec<_>>();
            assert_eq!(key(&events), key(&want), "round {round}");
        }
    }
}
