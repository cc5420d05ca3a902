// Descriptions and a route's mode are accepted so that scenario files can document
// themselves; the model does not use them.
#![allow(dead_code)]
//! The scenario file as written: every field optional and spanned, so that validation
//! can report every problem with its line instead of stopping at the first.

use serde::Deserialize;
use toml::Spanned;

/// A spanned TOML value: a number, a distribution table, a date or a string.
pub type V = Spanned<toml::Value>;
/// A spanned string.
pub type S = Spanned<String>;

/// Top level of a scenario file.
#[derive(Debug, Deserialize, Default)]
pub struct RawScenario {
    pub name: Option<S>,
    pub description: Option<S>,
    pub start: Option<V>,
    pub horizon: Option<V>,
    pub trials: Option<V>,
    pub seed: Option<V>,
    pub phases: Option<Vec<Spanned<RawPhase>>>,
    pub commodities: Option<Vec<Spanned<RawCommodity>>>,
    pub sites: Option<Vec<Spanned<RawSite>>>,
    pub routes: Option<Vec<Spanned<RawRoute>>>,
    pub projects: Option<Vec<Spanned<RawProject>>>,
    pub prospects: Option<Vec<Spanned<RawProspects>>>,
    pub hazards: Option<Vec<Spanned<RawHazard>>>,
    pub mitigations: Option<Vec<Spanned<RawMitigation>>>,
    pub plan: Option<Vec<Spanned<RawPlanTarget>>>,
    pub correlations: Option<Vec<Spanned<RawCorrelation>>>,
    pub thresholds: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Deserialize)]
pub struct RawCorrelation {
    pub between: Option<Spanned<Vec<S>>>,
    pub rank: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawPhase {
    pub name: Option<S>,
    pub start: Option<V>,
    pub end: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawCommodity {
    pub name: Option<S>,
    pub unit: Option<S>,
    pub value_per_unit: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawSite {
    pub name: Option<S>,
    pub kind: Option<S>,
    pub region: Option<S>,
    pub commodity: Option<S>,
    pub input: Option<S>,
    pub output: Option<S>,
    #[serde(rename = "yield")]
    pub yield_: Option<V>,
    pub capacity_per_day: Option<V>,
    pub online: Option<V>,
    pub ramp_up_days: Option<V>,
    pub inventory_max: Option<V>,
    pub initial_inventory: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawRoute {
    pub name: Option<S>,
    pub from: Option<S>,
    pub to: Option<S>,
    pub regions: Option<Spanned<Vec<S>>>,
    pub capacity_per_day: Option<V>,
    pub transit_days: Option<V>,
    pub standby: Option<Spanned<bool>>,
    pub mode: Option<S>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawProject {
    pub name: Option<S>,
    pub start: Option<V>,
    pub duration_days: Option<V>,
    pub delay_per_disrupted_day: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawProspects {
    pub name: Option<S>,
    pub start: Option<V>,
    pub count: Option<V>,
    pub viability_probability: Option<V>,
    pub exploration_days: Option<V>,
    pub development_days: Option<V>,
    pub delay_per_disrupted_day: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawExcitation {
    pub jump: Option<V>,
    pub decay_days: Option<V>,
}

#[derive(Debug, Deserialize)]
pub struct RawCross {
    pub hazard: Option<S>,
    pub jump: Option<V>,
    pub decay_days: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawImpact {
    pub severity: Option<V>,
    pub duration_days: Option<V>,
    pub lost_cargo: Option<V>,
    pub stand_down_probability: Option<V>,
    pub stand_down_days: Option<V>,
    pub construction_delay_days: Option<V>,
    pub severity_scale: Option<V>,
    pub duration_scale: Option<V>,
}

#[derive(Debug, Deserialize)]
pub struct RawHazard {
    pub name: Option<S>,
    pub kind: Option<S>,
    pub regions: Option<Spanned<Vec<S>>>,
    pub national: Option<Spanned<bool>>,
    pub rate_per_year: Option<V>,
    pub trend_per_year: Option<V>,
    pub phase_multipliers: Option<Spanned<toml::Table>>,
    pub seasonal: Option<Spanned<Vec<V>>>,
    pub self_excitation: Option<Spanned<RawExcitation>>,
    pub excited_by: Option<Vec<Spanned<RawCross>>>,
    pub targets: Option<Spanned<toml::Table>>,
    pub impact: Option<Spanned<RawImpact>>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawMitigation {
    pub name: Option<S>,
    pub hazards: Option<Spanned<Vec<S>>>,
    pub kinds: Option<Spanned<Vec<S>>>,
    pub from: Option<V>,
    pub until: Option<V>,
    pub rate_factor: Option<V>,
    pub severity_factor: Option<V>,
    pub duration_factor: Option<V>,
    pub stand_down_factor: Option<V>,
    pub description: Option<S>,
}

#[derive(Debug, Deserialize)]
pub struct RawPlanTarget {
    pub year: Option<V>,
    pub commodity: Option<S>,
    pub quantity: Option<V>,
}
