//! The outcome of one trial and the columns it fills in `trials.csv` and `summary.csv`.

use crate::model::{HazardKind, Model};

/// One output metric.
#[derive(Debug, Clone)]
pub struct Column {
    /// Column / row name, e.g. `shortfall_fraction` or `delivered.antimony`.
    pub name: String,
    /// Unit, e.g. `fraction`, `USD`, `t`, `events`, `days`.
    pub unit: String,
    /// Higher values are worse (shortfalls, losses, events, delays); decides which tail
    /// `cvar95` averages.
    pub higher_is_worse: bool,
    /// Whether percentiles are kept (costs 4 bytes per trial).
    pub quantiles: bool,
    /// Its values are whole numbers by nature (event counts, mines, days without
    /// shipments, 0 or 1), so that its percentiles' standard errors come from the
    /// bootstrap, not from batch means (see [`crate::stats::order_se`]).
    pub whole: bool,
}

/// Where each group of metrics sits in a trial's row.
#[derive(Debug, Clone)]
pub struct Layout {
    /// All columns in order.
    pub columns: Vec<Column>,
    /// First per-commodity column (4 per commodity).
    pub commodity: usize,
    /// First of the totals by mass (delivered, counterfactual, shortfall, shortfall
    /// fraction), when every commodity, two or more, has the same unit.
    pub mass: Option<usize>,
    /// First by-phase column (3 per phase in force within the horizon: delivered value,
    /// shortfall value, shortfall fraction).
    pub phase: usize,
    /// Phases with by-phase columns (indices into `Model::phases`).
    pub phases: Vec<usize>,
    /// For each phase of the model, its place among `phases`, if it has columns.
    pub phase_slot: Vec<Option<usize>>,
    /// First lost-by-kind column.
    pub lost_kind: usize,
    /// First event-count column (one per hazard).
    pub events: usize,
    /// First event-count column by hazard kind (one per kind, in [`HazardKind::ALL`]
    /// order).
    pub events_kind: usize,
    /// First commissioning-day column (one per site of [`Model::commissioned`]).
    pub commissioning: usize,
    /// First first-mine-day column (one per prospect group): the day its first
    /// developed prospect comes online, undefined when none proves viable.
    pub first_mine: usize,
    /// Producing mines at the horizon.
    pub mines: usize,
    /// Longest stretch without a shipment.
    pub idle: usize,
    /// First of the phase-3 mines producing at the horizon, one per prospect group.
    pub prospects: usize,
    /// First plan-shortfall column.
    pub plan: usize,
    /// First lost-at-target column.
    pub lost_at: usize,
    /// First time-to-survive column (one per port).
    pub survive: usize,
    /// Whether every phase-1 plan target was met (present when there are any).
    pub phase1_met: Option<usize>,
}

/// Index of `shortfall_fraction`.
pub const SHORTFALL_FRACTION: usize = 0;
/// Index of `shortfall_value`.
pub const SHORTFALL_VALUE: usize = 1;
/// Index of `delivered_value`.
pub const DELIVERED_VALUE: usize = 2;
/// Index of `counterfactual_value`.
pub const COUNTERFACTUAL_VALUE: usize = 3;

fn push(cols: &mut Vec<Column>, name: String, unit: &str, higher_is_worse: bool, quantiles: bool) {
    cols.push(Column {
        name,
        unit: unit.to_string(),
        higher_is_worse,
        quantiles,
        whole: false,
    });
}

impl Layout {
    /// The columns of a model.
    pub fn new(model: &Model) -> Layout {
        let mut cols = Vec::new();
        push(
            &mut cols,
            "shortfall_fraction".into(),
            "fraction",
            true,
            true,
        );
        push(&mut cols, "shortfall_value".into(), "USD", true, true);
        push(&mut cols, "delivered_value".into(), "USD", false, true);
        push(&mut cols, "counterfactual_value".into(), "USD", false, true);
        let commodity = cols.len();
        for c in &model.commodities {
            push(
                &mut cols,
                format!("delivered.{}", c.name),
                &c.unit,
                false,
                true,
            );
            push(
                &mut cols,
                format!("counterfactual.{}", c.name),
                &c.unit,
                false,
                true,
            );
            push(
                &mut cols,
                format!("shortfall.{}", c.name),
                &c.unit,
                true,
                true,
            );
            push(
                &mut cols,
                format!("shortfall_fraction.{}", c.name),
                "fraction",
                true,
                true,
            );
        }
        // Totals by mass, where the commodities share a unit that makes them add up.
        let unit = model.commodities.first().map_or("", |c| c.unit.as_str());
        let one_unit = model.commodities.iter().all(|c| c.unit == unit);
        let mass = (model.commodities.len() > 1 && one_unit).then(|| {
            let first = cols.len();
            push(&mut cols, "delivered_mass".into(), unit, false, true);
            push(&mut cols, "counterfactual_mass".into(), unit, false, true);
            push(&mut cols, "shortfall_mass".into(), unit, true, true);
            push(
                &mut cols,
                "shortfall_fraction_mass".into(),
                "fraction",
                true,
                true,
            );
            first
        });
        let phase = cols.len();
        let phases: Vec<usize> = (0..model.phases.len())
            .filter(|&p| model.phases[p].in_force(model.n_days))
            .collect();
        for &p in &phases {
            let name = &model.phases[p].name;
            push(
                &mut cols,
                format!("delivered_value.phase.{name}"),
                "USD",
                false,
                true,
            );
            push(
                &mut cols,
                format!("shortfall_value.phase.{name}"),
                "USD",
                true,
                true,
            );
            push(
                &mut cols,
                format!("shortfall_fraction.phase.{name}"),
                "fraction",
                true,
                true,
            );
        }
        let lost_kind = cols.len();
        for k in HazardKind::ALL {
            push(&mut cols, format!("lost.{}", k.as_str()), "USD", true, true);
        }
        let events = cols.len();
        for h in &model.hazards {
            push(
                &mut cols,
                format!("events.{}", h.name),
                "events",
                true,
                true,
            );
        }
        let events_kind = cols.len();
        for k in HazardKind::ALL {
            push(
                &mut cols,
                format!("events_by_kind.{}", k.as_str()),
                "events",
                true,
                true,
            );
        }
        let commissioning = cols.len();
        for (_, s) in model.commissioned() {
            push(
                &mut cols,
                format!("commissioning_day.{}", s.name),
                "days from start",
                true,
                true,
            );
        }
        let first_mine = cols.len();
        for g in &model.prospects {
            push(
                &mut cols,
                format!("first_mine_day.{}", g.name),
                "days from start",
                true,
                true,
            );
        }
        let mines = cols.len();
        push(
            &mut cols,
            "mines_producing_at_horizon".into(),
            "mines",
            false,
            true,
        );
        let idle = cols.len();
        push(
            &mut cols,
            "longest_no_shipment_days".into(),
            "days",
            true,
            true,
        );
        let prospects = cols.len();
        for g in &model.prospects {
            push(
                &mut cols,
                format!("prospects_producing_at_horizon.{}", g.name),
                "prospects",
                false,
                true,
            );
        }
        let plan = cols.len();
        for p in &model.plan {
            let c = &model.commodities[p.commodity];
            push(
                &mut cols,
                format!("plan_shortfall.{}.{}", c.name, p.year),
                &c.unit,
                true,
                true,
            );
        }
        let survive = cols.len();
        for s in model
            .sites
            .iter()
            .filter(|s| s.kind == crate::model::SiteKind::Port)
        {
            push(
                &mut cols,
                format!("survive_days.{}", s.name),
                "days",
                false,
                true,
            );
        }
        let phase1_met = (!phase1_targets(model).is_empty()).then(|| {
            push(
                &mut cols,
                "phase1_target_met".into(),
                "share of trials",
                false,
                true,
            );
            cols.len() - 1
        });
        let lost_at = cols.len();
        for t in 0..model.n_targets() {
            push(
                &mut cols,
                format!("lost_at.{}", model.target_name(t)),
                "USD",
                true,
                false,
            );
        }
        // (By name: a commodity's unit is the user's, and may be anything.)
        for col in &mut cols {
            col.whole = [
                "events.",
                "events_by_kind.",
                "prospects_producing_at_horizon.",
            ]
            .iter()
            .any(|p| col.name.starts_with(p))
                || [
                    "mines_producing_at_horizon",
                    "longest_no_shipment_days",
                    "phase1_target_met",
                ]
                .contains(&col.name.as_str());
        }
        Layout {
            columns: cols,
            commodity,
            mass,
            phase,
            phase_slot: (0..model.phases.len())
                .map(|p| phases.iter().position(|&x| x == p))
                .collect(),
            phases,
            lost_kind,
            events,
            events_kind,
            commissioning,
            first_mine,
            mines,
            idle,
            prospects,
            plan,
            lost_at,
            survive,
            phase1_met,
        }
    }

    /// Number of metrics per trial.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// True when there are no columns (never for a valid model).
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// Plan targets (indices into `model.plan`) whose year falls in the first phase.
pub fn phase1_targets(model: &Model) -> Vec<usize> {
    let Some(p) = model.phases.first().filter(|p| p.in_force(model.n_days)) else {
        return Vec::new();
    };
    let (a, b) = (
        model.date_of(p.start_day).year(),
        model.date_of(p.end_day).year(),
    );
    (0..model.plan.len())
        .filter(|&j| (a..=b).contains(&model.plan[j].year))
        .collect()
}

/// The outcome of one trial.
#[derive(Debug, Clone, Default)]
pub struct TrialOutcome {
    /// Metrics, in [`Layout`] order.
    pub metrics: Vec<f64>,
    /// Delivered quantity per (year, commodity).
    pub delivered_yearly: Vec<f64>,
    /// Counterfactual quantity per (year, commodity).
    pub counterfactual_yearly: Vec<f64>,
    /// Delivered quantity per (month period, commodity).
    pub delivered_monthly: Vec<f64>,
    /// Counterfactual quantity per (month period, commodity).
    pub counterfactual_monthly: Vec<f64>,
    /// Events per (hazard, year).
    pub events_yearly: Vec<f64>,
    /// Drawn value of every uncertain parameter.
    pub params: Vec<f64>,
    /// How many of the trial's two runs of the flow had to be redone on the whole
    /// network because a store fed by another part ran short of room (diagnostics; see
    /// `flow::Flow::run`).
    pub redone_whole: u8,
    /// The hazard that had drawn the most events, if the trial drew more than
    /// [`crate::hazards::TRIAL_EVENT_LIMIT`]: it stopped there, and its outcome is empty.
    pub too_many_events: Option<u32>,
    /// The hazard whose events had brought the most disruptions, if the trial's events
    /// brought more than [`crate::engine::trial::TRIAL_DISRUPTION_LIMIT`] (stand-downs
    /// counted once per target of their region): it stopped there, and its outcome is
    /// empty.
    pub too_many_disruptions: Option<u32>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_mines_and_days_without_shipments_are_whole_numbers() {
        let layout = super::Layout::new(&crate::scenario::baseline());
        let whole = |name: &str| {
            (layout.columns.iter())
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("{name}"))
                .whole
        };
        for name in [
            "events.bla_attacks",
            "events_by_kind.cyber",
            "mines_producing_at_horizon",
            "prospects_producing_at_horizon.phase3_ree",
            "longest_no_shipment_days",
            "phase1_target_met",
        ] {
            assert!(whole(name), "{name}");
        }
        for name in [
            "shortfall_value",
            "shortfall_fraction",
            "delivered.antimony",
            "commissioning_day.ree_refinery",
            "survive_days.karachi_port",
            "lost.attack",
        ] {
            assert!(!whole(name), "{name}");
        }
    }
}
