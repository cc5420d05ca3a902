//! The checked, typed model that the engine runs.
//!
//! A [`Model`] is built once from a scenario file by [`crate::scenario`]; everything in
//! it has been validated, every name resolved to an index. Numbers that the scenario
//! gives as distributions are [`Num::Param`] entries pointing into [`Model::params`],
//! drawn once per trial; the trial loop never re-checks anything.

pub mod dist;

pub use dist::Dist;
use jiff::civil::Date;

/// A number of the model: fixed, or an uncertain parameter drawn once per trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// A known value.
    Fixed(f64),
    /// Index into [`Model::params`] and into a trial's drawn values.
    Param(usize),
}

impl Num {
    /// The value of this number in a trial whose drawn parameters are `values`.
    #[inline]
    pub fn get(self, values: &[f64]) -> f64 {
        match self {
            Num::Fixed(v) => v,
            Num::Param(i) => values[i],
        }
    }
}

/// An uncertain parameter: a key path (also its column name in `trials.csv`) and its
/// distribution.
#[derive(Debug, Clone)]
pub struct Param {
    /// Key path, e.g. `hazards[bla_attacks].rate_per_year`.
    pub path: String,
    /// What it is drawn from.
    pub dist: Dist,
    /// Round draws to whole numbers (counts).
    pub integer: bool,
}

/// One of the MoU's phases.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Name, used by hazards' phase multipliers and as a start for projects.
    pub name: String,
    /// First day (from the scenario start) of the phase.
    pub start_day: u32,
    /// Last day of the phase (inclusive).
    pub end_day: u32,
    /// The dates as written (the days above are clamped to the simulated days).
    pub dates: (Date, Date),
}

impl Phase {
    /// Whether the phase is in force on some simulated day: one wholly after the
    /// horizon is not (its days are clamped to `n_days`).
    pub fn in_force(&self, n_days: u32) -> bool {
        self.start_day < n_days
    }
}

/// A traded commodity.
#[derive(Debug, Clone)]
pub struct Commodity {
    /// Name, used in column names.
    pub name: String,
    /// Unit of quantities (tonnes unless the scenario says otherwise).
    pub unit: String,
    /// Value per unit (USD), to sum shortfalls across commodities.
    pub value: Num,
}

/// What a site does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// Produces its commodity at its capacity once online.
    Mine,
    /// Holds a stock of its commodity (initial inventory plus inflows) and loads it out.
    Stockpile,
    /// Turns an input commodity into an output commodity with a yield.
    Plant,
    /// Ships whatever arrives to the US: delivery.
    Port,
}

impl SiteKind {
    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Mine => "mine",
            SiteKind::Stockpile => "stockpile",
            SiteKind::Plant => "plant",
            SiteKind::Port => "port",
        }
    }
}

/// When a site comes online.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Online {
    /// On a fixed day from the start (before the start if negative: a site that has
    /// been producing for a while, part or all of its ramp-up behind it).
    Day(i32),
    /// When the construction project (index) completes.
    Project(usize),
    /// As each prospect of the group (index) completes development: capacity per prospect.
    Prospects(usize),
}

/// A mine, stockpile, plant or port.
#[derive(Debug, Clone)]
pub struct Site {
    /// Unique name.
    pub name: String,
    /// Its role.
    pub kind: SiteKind,
    /// Index into [`Model::regions`].
    pub region: usize,
    /// Capacity per day: production (mine), loading (stockpile), input processed (plant),
    /// shipping (port). For a prospects-fed mine, per producing prospect.
    pub capacity: Num,
    /// When it comes online.
    pub online: Online,
    /// Days of ramp-up from zero to full capacity after coming online (linear, in
    /// weekly steps).
    pub ramp_days: Num,
    /// Largest inventory per stock held at the site.
    pub inventory_max: Num,
    /// Inventory on the start day (stockpiles and ports).
    pub initial_inventory: Num,
    /// Plant yield (output per unit of input).
    pub yield_: Num,
    /// Stock the site loads out of (not for ports).
    pub out_stock: Option<usize>,
    /// Plant input stock.
    pub in_stock: Option<usize>,
    /// Outbound routes in priority order.
    pub out_routes: Vec<usize>,
    /// Stocks of a port (one per commodity arriving), or empty.
    pub port_stocks: Vec<usize>,
}

/// A store of one commodity at one site.
#[derive(Debug, Clone)]
pub struct Stock {
    /// Site holding it.
    pub site: usize,
    /// Commodity held.
    pub commodity: usize,
}

/// A road or rail corridor.
#[derive(Debug, Clone)]
pub struct Route {
    /// Unique name.
    pub name: String,
    /// Origin site.
    pub from: usize,
    /// Destination site.
    pub to: usize,
    /// Regions crossed (indices into [`Model::regions`]).
    pub regions: Vec<usize>,
    /// Tonnes per day it can carry.
    pub capacity: Num,
    /// Transit time in days (rounded to whole days, at least 1).
    pub transit_days: Num,
    /// Used only on days when a non-standby route from the same site is disrupted.
    pub standby: bool,
    /// Commodity carried.
    pub commodity: usize,
    /// Stock loaded from.
    pub from_stock: usize,
    /// Stock delivered into.
    pub to_stock: usize,
}

/// A construction project (a plant or refinery) that brings sites online.
#[derive(Debug, Clone)]
pub struct Project {
    /// Unique name.
    pub name: String,
    /// Day construction starts (before the start if negative: work already under way
    /// counts).
    pub start_day: i32,
    /// Undisrupted duration in days.
    pub duration: Num,
    /// Days of delay per day the building site is disrupted.
    pub delay_per_disrupted_day: Num,
    /// Sites that come online at completion (also the building sites).
    pub sites: Vec<usize>,
}

/// A group of phase-3 prospects, each explored, possibly viable, then developed.
#[derive(Debug, Clone)]
pub struct Prospects {
    /// Unique name.
    pub name: String,
    /// Day exploration starts (before the start if negative).
    pub start_day: i32,
    /// How many prospects (rounded).
    pub count: Num,
    /// Probability that one prospect proves commercially viable.
    pub p_viable: Num,
    /// Exploration duration of one prospect, drawn per prospect.
    pub exploration_days: Dist,
    /// Development duration of one viable prospect, drawn per prospect.
    pub development_days: Dist,
    /// Days of delay per day the development site is disrupted.
    pub delay_per_disrupted_day: Num,
    /// Sites whose capacity comes from this group.
    pub sites: Vec<usize>,
}

/// Hazard kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HazardKind {
    /// Militant attacks.
    Attack,
    /// Protests, sit-ins and road blockades.
    Protest,
    /// Cyber incidents.
    Cyber,
}

impl HazardKind {
    /// All kinds, in output order.
    pub const ALL: [HazardKind; 3] = [HazardKind::Attack, HazardKind::Protest, HazardKind::Cyber];

    /// Name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            HazardKind::Attack => "attack",
            HazardKind::Protest => "protest",
            HazardKind::Cyber => "cyber",
        }
    }

    /// Index in [`HazardKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Excitation of a hazard by another's events (exponential kernel).
#[derive(Debug, Clone)]
pub struct Excitation {
    /// Exciting hazard.
    pub source: usize,
    /// Expected number of events of this hazard that one source event triggers.
    pub jump: Num,
    /// Mean delay (days) of a triggered event after its parent.
    pub decay_days: Num,
}

/// The effect of one event; every field is drawn anew for each event.
#[derive(Debug, Clone)]
pub struct Impact {
    /// Fraction of the target's capacity lost while disrupted.
    pub severity: Dist,
    /// Days the target is disrupted.
    pub duration_days: Dist,
    /// Fraction of cargo in transit (route) or of inventory (site) destroyed.
    pub lost_cargo: Dist,
    /// Probability (per trial parameter) that an event forces a regional stand-down.
    pub stand_down_probability: Num,
    /// Days a stand-down lasts.
    pub stand_down_days: Dist,
    /// Days added to a construction project or prospect development at the target.
    pub construction_delay_days: Dist,
    /// Multiplies every event's severity and lost cargo (a trial parameter: how severe
    /// this hazard's events are is itself uncertain).
    pub severity_scale: Num,
    /// Multiplies every event's duration, stand-down days and construction delay (a
    /// trial parameter).
    pub duration_scale: Num,
}

/// One hazard process.
#[derive(Debug, Clone)]
pub struct Hazard {
    /// Unique name.
    pub name: String,
    /// Kind.
    pub kind: HazardKind,
    /// Regions it acts in (indices); empty when national.
    pub regions: Vec<usize>,
    /// Background events per year hitting programme assets.
    pub rate_per_year: Num,
    /// Compound growth of the rate per year.
    pub trend_per_year: Num,
    /// Multiplier per phase (same order as [`Model::phases`]).
    pub phase_multipliers: Vec<Num>,
    /// Factor per calendar month, normalised to mean 1.
    pub seasonal: [f64; 12],
    /// Self-excitation branching ratio (expected direct offspring per event).
    pub self_jump: Num,
    /// Mean offspring delay in days.
    pub self_decay_days: Num,
    /// Excitation by other hazards.
    pub excited_by: Vec<Excitation>,
    /// Eligible targets (ids: sites first, then routes) with their weights.
    pub targets: Vec<(usize, f64)>,
    /// What an event does.
    pub impact: Impact,
    /// Mitigations that apply (indices).
    pub mitigations: Vec<usize>,
}

/// A mitigation scaling rates and impacts of some hazards from a day on, and up to a
/// day if it ends.
#[derive(Debug, Clone)]
pub struct Mitigation {
    /// Unique name.
    pub name: String,
    /// First day it acts.
    pub from_day: u32,
    /// The day from which it no longer acts (`u32::MAX` when it does not end).
    pub until_day: u32,
    /// Factor on the background rate.
    pub rate_factor: Num,
    /// Factor on event severity.
    pub severity_factor: Num,
    /// Factor on disruption durations.
    pub duration_factor: Num,
    /// Factor on the probability that an event forces a stand-down.
    pub stand_down_factor: Num,
}

/// A plan target: quantity of a commodity the programme means to ship in a year.
#[derive(Debug, Clone)]
pub struct PlanTarget {
    /// Calendar year.
    pub year: i16,
    /// Commodity index.
    pub commodity: usize,
    /// Planned quantity.
    pub quantity: Num,
}

/// The whole checked model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Scenario name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Day 0.
    pub start: Date,
    /// Last simulated day.
    pub horizon: Date,
    /// Number of simulated days.
    pub n_days: u32,
    /// Default trial count.
    pub trials: u64,
    /// Default seed.
    pub seed: u64,
    /// Calendar years covered, in order.
    pub years: Vec<i16>,
    /// Year index of each day.
    pub day_year: Vec<u8>,
    /// Month (0-11) of each day.
    pub day_month: Vec<u8>,
    /// First day of each month period covered: the first of each calendar month, the
    /// start date, and a phase's first day or the day after its last when it falls
    /// within a month (so that each period lies in one phase, or in none).
    pub months: Vec<Date>,
    /// Month period of each day (index into `months`).
    pub day_period: Vec<u16>,
    /// Year index of each month period.
    pub period_year: Vec<u8>,
    /// Phase index of each day, or `u8::MAX` outside every phase.
    pub day_phase: Vec<u8>,
    /// Phase index of each month period, or `u8::MAX` outside every phase.
    pub period_phase: Vec<u8>,
    /// Phases.
    pub phases: Vec<Phase>,
    /// Commodities.
    pub commodities: Vec<Commodity>,
    /// Region names.
    pub regions: Vec<String>,
    /// Sites.
    pub sites: Vec<Site>,
    /// Stocks (derived from sites and routes).
    pub stocks: Vec<Stock>,
    /// Routes.
    pub routes: Vec<Route>,
    /// Construction projects.
    pub projects: Vec<Project>,
    /// Prospect groups.
    pub prospects: Vec<Prospects>,
    /// Hazards.
    pub hazards: Vec<Hazard>,
    /// Mitigations.
    pub mitigations: Vec<Mitigation>,
    /// Plan targets.
    pub plan: Vec<PlanTarget>,
    /// Uncertain parameters.
    pub params: Vec<Param>,
    /// Targets (sites then routes) in each region, for stand-downs.
    pub region_targets: Vec<Vec<usize>>,
    /// Rank correlations between uncertain parameters, induced by Iman-Conover.
    pub correlation: Option<Correlation>,
    /// Thresholds whose probability of being exceeded a run reports, per metric.
    pub thresholds: Vec<Threshold>,
}

/// Values of one output metric whose probability of being exceeded a run reports
/// (`exceedance.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The metric, a column of `summary.csv` that keeps percentiles.
    pub metric: String,
    /// The values, in the order given (the metrics are in the order of the layout).
    pub values: Vec<f64>,
}

/// The thresholds of a scenario that gives none: a shortfall of a tenth, a fifth and
/// three tenths of the disruption-free value.
pub fn default_thresholds() -> Vec<Threshold> {
    vec![Threshold {
        metric: "shortfall_fraction".into(),
        values: vec![0.1, 0.2, 0.3],
    }]
}

/// Target rank correlations among some uncertain parameters.
#[derive(Debug, Clone)]
pub struct Correlation {
    /// Indices into [`Model::params`], in the order of the matrix.
    pub params: Vec<usize>,
    /// Target rank correlation matrix (a valid correlation matrix, checked).
    pub matrix: Vec<Vec<f64>>,
}

impl Model {
    /// Notes on parts of the network that nothing can ever reach: a route of capacity 0
    /// or longer than the horizon, a port of capacity 0, a plant whose input or a
    /// stockpile whose commodity no mine upstream produces (and no initial inventory
    /// supplies), and a commodity that nothing supplies. Such a scenario
    /// is valid, but its results for those parts are 0 or undefined by construction.
    pub fn supply_notes(&self) -> Vec<String> {
        let mut supplied: Vec<bool> = vec![false; self.stocks.len()];
        for site in self.sites.iter().filter(|s| s.kind == SiteKind::Mine) {
            site.out_stock.iter().for_each(|&k| supplied[k] = true);
        }
        // Stores that start with something (as the trial's network fills them: not a
        // plant's that turns one commodity into another).
        for (k, st) in self.stocks.iter().enumerate() {
            let site = &self.sites[st.site];
            let stocked = !matches!(site.initial_inventory, Num::Fixed(v) if v <= 0.0);
            if stocked && !(site.kind == SiteKind::Plant && site.in_stock != site.out_stock) {
                supplied[k] = true;
            }
        }
        let mut notes = Vec::new();
        // Routes that can never carry anything within the horizon.
        let closed: Vec<bool> = (self.routes.iter())
            .map(|r| {
                let shut = matches!(r.capacity, Num::Fixed(c) if c <= 0.0);
                let long = matches!(r.transit_days, Num::Fixed(t) if t.round().max(1.0) >= self.n_days as f64);
                if shut {
                    notes.push(format!("route `{}` has capacity_per_day 0: nothing passes along it", r.name));
                } else if long {
                    notes.push(format!("route `{}` takes longer than the horizon: nothing it carries arrives", r.name));
                }
                shut || long
            })
            .collect();
        for site in self.sites.iter().filter(|s| s.kind == SiteKind::Port) {
            if matches!(site.capacity, Num::Fixed(c) if c <= 0.0) {
                notes.push(format!(
                    "port `{}` has capacity_per_day 0: it ships nothing",
                    site.name
                ));
            }
        }
        // Along routes and through plants, until nothing changes.
        loop {
            let mut changed = false;
            let mut mark = |k: usize, supplied: &mut Vec<bool>| {
                if !supplied[k] {
                    supplied[k] = true;
                    changed = true;
                }
            };
            for (r, _) in self.routes.iter().zip(&closed).filter(|(_, c)| !**c) {
                if supplied[r.from_stock] {
                    mark(r.to_stock, &mut supplied);
                }
            }
            for site in self.sites.iter().filter(|s| s.kind == SiteKind::Plant) {
                if let (Some(i), Some(o)) = (site.in_stock, site.out_stock)
                    && supplied[i]
                {
                    mark(o, &mut supplied);
                }
            }
            if !changed {
                break;
            }
        }
        let commodity = |k: usize| &self.commodities[self.stocks[k].commodity].name;
        for site in &self.sites {
            match (site.kind, site.in_stock, site.out_stock) {
                (SiteKind::Plant, Some(i), _) if !supplied[i] => notes.push(format!(
                    "plant `{}` takes `{}`, which no mine upstream of it produces: it will make nothing",
                    site.name,
                    commodity(i)
                )),
                (SiteKind::Stockpile, _, Some(o)) if !supplied[o] => notes.push(format!(
                    "stockpile `{}` holds `{}`, which no mine upstream of it produces and no initial inventory supplies: it will stay empty",
                    site.name,
                    commodity(o)
                )),
                _ => {}
            }
        }
        for (c, k) in self.commodities.iter().enumerate() {
            let any =
                (supplied.iter().enumerate()).any(|(j, &s)| s && self.stocks[j].commodity == c);
            if !any {
                notes.push(format!(
                    "nothing supplies commodity `{}` (no mine or plant that anything reaches makes it, no initial inventory holds it): its quantities will be 0, and its shortfall fraction undefined",
                    k.name
                ));
            }
        }
        notes
    }

    /// Number of possible targets (sites and routes).
    pub fn n_targets(&self) -> usize {
        self.sites.len() + self.routes.len()
    }

    /// Name of a target id.
    pub fn target_name(&self, id: usize) -> &str {
        if id < self.sites.len() {
            &self.sites[id].name
        } else {
            &self.routes[id - self.sites.len()].name
        }
    }

    /// Sites that are plants.
    pub fn plants(&self) -> impl Iterator<Item = (usize, &Site)> {
        self.sites
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SiteKind::Plant)
    }

    /// Sites with a commissioning date (`commissioning_day.NAME`): plants, and sites
    /// that a construction project brings online (a mine or a port built by one).
    pub fn commissioned(&self) -> impl Iterator<Item = (usize, &Site)> {
        self.sites
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SiteKind::Plant || matches!(s.online, Online::Project(_)))
    }

    /// The date of a day index (negative: before the start).
    pub fn date_of(&self, day: impl Into<i64>) -> Date {
        (jiff::Span::new().try_days(day.into()).ok())
            .and_then(|span| self.start.checked_add(span).ok())
            .unwrap_or(self.horizon)
    }

    /// The branching matrix at the parameters' upper support: entry `[i][j]` is the
    /// largest expected number of hazard-`i` events one hazard-`j` event triggers.
    pub fn branching_matrix_max(&self) -> Vec<Vec<f64>> {
        let n = self.hazards.len();
        let upper = |num: Num| match num {
            Num::Fixed(v) => v,
            Num::Param(i) => self.params[i].dist.support().1,
        };
        let mut m = vec![vec![0.0; n]; n];
        for (i, h) in self.hazards.iter().enumerate() {
            m[i][i] += upper(h.self_jump);
            for x in &h.excited_by {
                m[i][x.source] += upper(x.jump);
            }
        }
        m
    }
}

/// Spectral radius of a non-negative matrix (the branching ratio of a multivariate
/// Hawkes process; below 1 means the process is stable), by bisection on `r` of the
/// test `rho < r` (see [`radius_below`]), between 0 and the largest row sum, which bounds
/// it, to a relative 1e-15, with no iteration that a repeated or a periodic eigenvalue
/// could slow down. 0 where no hazard excites itself, directly or through others (the
/// matrix is then nilpotent), without a bisection that would halve its way down to the
/// smallest number.
pub fn spectral_radius(m: &[Vec<f64>]) -> f64 {
    if !has_cycle(m) {
        return 0.0;
    }
    // The hazards in order of how many others they touch, the most last: the same
    // radius (a permutation is a similarity), and an elimination that fills in little
    // (a hazard that excites and is excited by every other, eliminated first, would
    // fill the whole matrix at each step of the bisection).
    let n = m.len();
    let touches = |i: usize| (0..n).filter(|&j| m[i][j] != 0.0 || m[j][i] != 0.0).count();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| touches(i));
    let m: Vec<Vec<f64>> = (order.iter())
        .map(|&i| order.iter().map(|&j| m[i][j]).collect())
        .collect();
    let m = m.as_slice();
    let mut hi = m
        .iter()
        .map(|row| row.iter().sum::<f64>())
        .fold(0.0, f64::max);
    let mut lo = 0.0;
    while lo < hi {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi || hi - lo <= 1e-15 * hi {
            break;
        }
        if radius_below(m, mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Whether the graph of the entries of `m` other than 0 (a NaN counting as one) has a
/// cycle, a loop included: Kahn's algorithm, removing nodes without incoming entries.
fn has_cycle(m: &[Vec<f64>]) -> bool {
    let n = m.len();
    let edge = |i: usize, j: usize| m[i][j] != 0.0;
    let mut incoming: Vec<usize> = (0..n)
        .map(|j| (0..n).filter(|&i| edge(i, j)).count())
        .collect();
    let mut free: Vec<usize> = (0..n).filter(|&j| incoming[j] == 0).collect();
    let mut removed = 0;
    while let Some(i) = free.pop() {
        removed += 1;
        for j in (0..n).filter(|&j| edge(i, j)) {
            incoming[j] -= 1;
            if incoming[j] == 0 {
                free.push(j);
            }
        }
    }
    removed < n
}

/// Whether the spectral radius of the non-negative matrix `m` is below `r > 0`: whether
/// `r I - m`, whose off-diagonal entries are not positive, is a nonsingular M-matrix,
/// which it is exactly when all its leading principal minors are positive (Fiedler and
/// Pták 1962), that is, when Gaussian elimination without pivoting meets only positive
/// pivots.
fn radius_below(m: &[Vec<f64>], r: f64) -> bool {
    let n = m.len();
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| if i == j { r - m[i][j] } else { -m[i][j] })
                .collect()
        })
        .collect();
    for c in 0..n {
        let pivot = a[c][c];
        if pivot.is_nan() || pivot <= 0.0 {
            return false;
        }
        let (done, rest) = a.split_at_mut(c + 1);
        let top = &done[c];
        // (Rows with nothing to eliminate are passed over: hazards that excite none
        // leave the matrix mostly zeros.)
        for row in rest.iter_mut().filter(|row| row[c] != 0.0) {
            let f = row[c] / pivot;
            for (x, t) in row[c..].iter_mut().zip(&top[c..]) {
                *x -= f * t;
            }
        }
    }
    true
}

/// The solution `n` of `n = bg + B n` (Gaussian elimination with partial pivoting on
/// `I - B`); infinite where `I - B` is singular.
pub fn solve_offspring(b: &[Vec<f64>], bg: &[f64]) -> Vec<f64> {
    let k = bg.len();
    let mut a: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            let mut row: Vec<f64> = (0..k)
                .map(|j| f64::from(u8::from(i == j)) - b[i][j])
                .collect();
            row.push(bg[i]);
            row
        })
        .collect();
    for c in 0..k {
        let Some(p) = (c..k).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs())) else {
            break;
        };
        a.swap(c, p);
        if a[c][c].abs() < 1e-12 {
            return vec![f64::INFINITY; k];
        }
        let pivot = a[c].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != c && row[c] != 0.0 {
                let f = row[c] / pivot[c];
                for (x, p) in row[c..].iter_mut().zip(&pivot[c..]) {
                    *x -= f * p;
                }
            }
        }
    }
    (0..k).map(|i| a[i][k] / a[i][i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_without_cycles_has_a_radius_of_0() {
        // A hub exciting every other hazard, and a chain: nilpotent.
        let n = 50;
        let mut hub = vec![vec![0.0; n]; n];
        (1..n).for_each(|j| hub[j][0] = 0.5);
        assert_eq!(spectral_radius(&hub), 0.0);
        let mut chain = vec![vec![0.0; n]; n];
        (1..n).for_each(|j| chain[j][j - 1] = 0.9);
        assert_eq!(spectral_radius(&chain), 0.0);
        // Closing the chain into a cycle: the geometric mean of its entries, 0.9.
        chain[0][n - 1] = 0.9;
        assert!((spectral_radius(&chain) - 0.9).abs() < 1e-12);
        // The hub excited back by every other: an arrow matrix of radius
        // sqrt(sum of the products of each pair), here sqrt(49 x 0.5 x 0.01).
        (1..n).for_each(|j| hub[0][j] = 0.01);
        assert!((spectral_radius(&hub) - (49.0f64 * 0.005).sqrt()).abs() < 1e-12);
        // A loop is a cycle too.
        assert!((spectral_radius(&[vec![0.3]]) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn spectral_radius_of_known_matrices() {
        assert!((spectral_radius(&[vec![0.5]]) - 0.5).abs() < 1e-9);
        // [[0.2, 0.3], [0.3, 0.2]] has eigenvalues 0.5 and -0.1.
        let m = vec![vec![0.2, 0.3], vec![0.3, 0.2]];
        assert!((spectral_radius(&m) - 0.5).abs() < 1e-9);
        assert_eq!(spectral_radius(&[vec![0.0, 0.0], vec![0.0, 0.0]]), 0.0);
        // A periodic matrix: h0 excited by h1 and h2, each excited by h0, all at 0.9.
        // Its eigenvalues are 0 and +-sqrt(1.62), so the process explodes.
        let p = vec![
            vec![0.0, 0.9, 0.9],
            vec![0.9, 0.0, 0.0],
            vec![0.9, 0.0, 0.0],
        ];
        assert!(
            (spectral_radius(&p) - 1.62f64.sqrt()).abs() < 1e-9,
            "{}",
            spectral_radius(&p)
        );
        // A repeated eigenvalue with one eigenvector (h1 excites h0, both excite
        // themselves at 0.9997), where power iteration stalls above it: a stable process.
        let j = vec![vec![0.9997, 0.9], vec![0.0, 0.9997]];
        assert!(
            (spectral_radius(&j) - 0.9997).abs() < 1e-12,
            "{}",
            spectral_radius(&j)
        );
        // At and above 1: a critical and a periodic matrix.
        assert!((spectral_radius(&[vec![1.0]]) - 1.0).abs() < 1e-15);
        assert!(spectral_radius(&[vec![1.0]]) >= 1.0);
        let swap = vec![vec![0.0, 0.5], vec![2.0, 0.0]];
        assert!(
            (spectral_radius(&swap) - 1.0).abs() < 1e-12,
            "{}",
            spectral_radius(&swap)
        );
        assert_eq!(spectral_radius(&[]), 0.0);
    }
}
