//! Invariants of the engine: the fast-forward, on the network cut at its ports and
//! stockpiles, equals stepping every day on the whole network, attribution adds up to
//! the shortfall, results do not depend on the number of threads even with zero-length
//! events, standby routes never beat the disruption-free run, and stores limit what is
//! kept, not what flows through.

mod common;
use common::{outcomes, small_text};

use shortfall::engine::Compiled;
use shortfall::engine::outcome::{COUNTERFACTUAL_VALUE, DELIVERED_VALUE, SHORTFALL_VALUE};
use shortfall::scenario::{baseline, parse};

fn small(replace: &[(&str, &str)]) -> Compiled {
    Compiled::new(parse(&small_text(replace), "test").unwrap())
}

/// The shipped scenarios.
fn shipped() -> Vec<Compiled> {
    let others = ["escalation", "mitigated", "cyber_heavy", "slow_mines"].map(|name| {
        let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        shortfall::scenario::load(std::path::Path::new(&path)).unwrap()
    });
    std::iter::once(baseline())
        .chain(others)
        .map(Compiled::new)
        .collect()
}

#[test]
fn fast_forward_equals_stepping_every_day() {
    for c in shipped() {
        fast_forward_matches(c, 20);
    }
}

#[test]
fn runs_redone_on_the_whole_network_equal_stepping_every_day() {
    // With a small store at the port, a long enough port closure leaves too little
    // room for the roads: the flow is then redone on the whole network, after a run in
    // parts that stopped part of the way.
    let text = shortfall::scenario::BASELINE_TOML.replacen(
        "inventory_max = 20000",
        "inventory_max = 300",
        1,
    );
    let redone = fast_forward_matches(Compiled::new(parse(&text, "small port").unwrap()), 30);
    assert!(redone > 0, "no run was redone on the whole network");
}

#[test]
fn a_trial_does_not_depend_on_the_trials_run_before_it_by_the_same_worker() {
    // A run's workers reuse their buffers from trial to trial, in an order that depends
    // on the threads; each trial must come out as from fresh buffers.
    for c in shipped() {
        for (t, o) in outcomes(&c, 5, 48, 1).iter().enumerate() {
            let fresh = c.trial(5, t as u64);
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&o.metrics),
                bits(&fresh.metrics),
                "{} trial {t}",
                c.model.name
            );
            assert_eq!(bits(&o.delivered_monthly), bits(&fresh.delivered_monthly));
        }
    }
}

/// Compares `trials` trials of `fast` with stepping every day on the whole network;
/// returns how many runs of the flow `fast` redid on the whole network.
fn fast_forward_matches(fast: Compiled, trials: u64) -> u32 {
    let mut redone = 0;
    let mut slow = fast.clone();
    slow.step_every_day = true;
    slow.whole_flow = true;
    for t in 0..trials {
        let (a, b) = (fast.trial(3, t), slow.trial(3, t));
        redone += a.redone_whole as u32;
        assert_eq!(b.redone_whole, 0);
        // Repeated days are accounted as k * x instead of k additions, and straight
        // stretches move the stores by k * delta instead of k additions: each differs
        // by at most about k ulps (k <= 2,672 days).
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
        for (i, (x, y)) in a.metrics.iter().zip(&b.metrics).enumerate() {
            assert!(
                close(*x, *y) || (x.is_nan() && y.is_nan()),
                "{} trial {t}: {} {x} vs {y}",
                fast.model.name,
                fast.layout.columns[i].name
            );
        }
        for (x, y) in a.delivered_monthly.iter().zip(&b.delivered_monthly) {
            assert!(close(*x, *y), "trial {t}: monthly {x} vs {y}");
        }
    }
    redone
}

#[test]
fn attribution_adds_up_to_the_shortfall() {
    let c = Compiled::new(baseline());
    let l = &c.layout;
    let all = outcomes(&c, 8, 300, 2);
    // Not a vacuous sum of zeros.
    let short = all
        .iter()
        .filter(|o| o.metrics[SHORTFALL_VALUE] > 0.0)
        .count();
    assert!(short > all.len() / 2, "{short} of {} trials", all.len());
    for o in all {
        let short = o.metrics[SHORTFALL_VALUE];
        let by_kind: f64 = o.metrics[l.lost_kind..l.lost_kind + 3].iter().sum();
        let by_target: f64 = o.metrics[l.lost_at..].iter().sum();
        let tol = 1e-9 * o.metrics[COUNTERFACTUAL_VALUE];
        assert!((by_kind - short).abs() <= tol, "{by_kind} vs {short}");
        assert!((by_target - short).abs() <= tol, "{by_target} vs {short}");
    }
}

/// The shortfall of each trial and what each hazard kind and each target are charged.
fn charged(text: &str, trials: u64) -> Vec<(f64, [f64; 3], Vec<f64>)> {
    let c = Compiled::new(parse(text, "test").unwrap());
    let l = &c.layout;
    outcomes(&c, 5, trials, 2)
        .iter()
        .map(|o| {
            let kinds = [0, 1, 2].map(|k| o.metrics[l.lost_kind + k]);
            let at = o.metrics[l.lost_at..l.lost_at + c.model.n_targets()].to_vec();
            (o.metrics[SHORTFALL_VALUE], kinds, at)
        })
        .collect()
}

/// A mill, a plant that ramps up over 180 days, built by a project by day 100, fed by a
/// pit that opens only in July; sit-ins at the mill in the first two months delay its
/// construction.
const DELAYED_MILL: &str = r#"
name = "delayed_mill"
start = "2026-01-01"
horizon = "2026-12-31"
[[phases]]
name = "early"
start = 2026-01-01
end = 2026-02-28
[[phases]]
name = "rest"
start = 2026-03-01
end = 2026-12-31
[[commodities]]
name = "ore"
[[commodities]]
name = "metal"
value_per_unit = 10
[[sites]]
name = "pit"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 50
inventory_max = 100
online = 2026-07-01
[[sites]]
name = "mill"
kind = "plant"
region = "B"
input = "ore"
output = "metal"
yield = 0.5
capacity_per_day = 40
ramp_up_days = 180
inventory_max = 100
online = { project = "build" }
[[sites]]
name = "port"
kind = "port"
region = "C"
capacity_per_day = 1000
inventory_max = 1000
[[routes]]
name = "haul"
from = "pit"
to = "mill"
regions = ["A"]
capacity_per_day = 50
transit_days = 1
[[routes]]
name = "out"
from = "mill"
to = "port"
regions = ["C"]
capacity_per_day = 100
transit_days = 1
[[projects]]
name = "build"
start = 2026-01-01
duration_days = 100
[[hazards]]
name = "sitin"
kind = "protest"
regions = ["B"]
rate_per_year = 6
phase_multipliers = { rest = 0 }
targets = { mill = 1 }
[hazards.impact]
duration_days = 0
construction_delay_days = 40
"#;

#[test]
fn a_delay_is_charged_what_it_pushes_past_the_horizon() {
    // The mill has no input until July, so over the days of a delay it would have
    // carried nothing; but the delay shifts its ramp-up, which costs metal to the end
    // of the year. Once that shortfall went unattributed.
    let mill = 1;
    let mut short = 0;
    for (s, kinds, at) in charged(DELAYED_MILL, 200) {
        let tol = 1e-9 * s.abs();
        assert!((kinds[1] - s).abs() <= tol, "protest {} vs {s}", kinds[1]);
        assert!((at[mill] - s).abs() <= tol, "mill {} vs {s}", at[mill]);
        short += (s > 0.0) as u32;
    }
    assert!(short > 50, "{short} trials with a shortfall");
}

#[test]
fn a_delay_and_an_outage_are_charged_in_proportion_to_what_each_removes() {
    // Raids close the mill for 2 days at a time between 1 November and 20 December,
    // when it would have run at its full 20 t of metal (200 USD) a day, and sit-ins in
    // January and February delay its construction by 40 days each. A delay of D days
    // pushes D days of full-rate metal past the horizon (its ramp-up over by October),
    // so with one raid the two kinds are charged in the ratio D to 2; the flow of the
    // delay's own days (the ramp-up's start, without input until July) would have
    // charged it nothing.
    let text = DELAYED_MILL
        .replace(
            "name = \"rest\"\nstart = 2026-03-01\nend = 2026-12-31",
            "name = \"mid\"\nstart = 2026-03-01\nend = 2026-10-31\n[[phases]]\nname = \"late\"\nstart = 2026-11-01\nend = 2026-12-20\n[[phases]]\nname = \"tail\"\nstart = 2026-12-21\nend = 2026-12-31",
        )
        .replace("phase_multipliers = { rest = 0 }", "phase_multipliers = { mid = 0, late = 0, tail = 0 }")
        + r#"
[[hazards]]
name = "raid"
kind = "attack"
regions = ["B"]
rate_per_year = 6
phase_multipliers = { early = 0, mid = 0, tail = 0 }
targets = { mill = 1 }
[hazards.impact]
severity = 1
duration_days = 2
"#;
    let c = Compiled::new(parse(&text, "test").unwrap());
    let l = &c.layout;
    let col = |name: &str| {
        (l.columns.iter())
            .position(|x| x.name == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (online, raids) = (col("commissioning_day.mill"), col("events.raid"));
    let mut seen = [0; 2];
    for o in outcomes(&c, 5, 400, 2) {
        let delay = o.metrics[online] - 100.0;
        if o.metrics[raids] != 1.0 || !(delay == 40.0 || delay == 80.0) {
            continue;
        }
        let (attack, protest) = (o.metrics[l.lost_kind], o.metrics[l.lost_kind + 1]);
        let ratio = protest / attack;
        assert!(
            (ratio - delay / 2.0).abs() <= 1e-9 * ratio,
            "a delay of {delay} days: charged {protest} against {attack} for the raid"
        );
        seen[(delay == 80.0) as usize] += 1;
    }
    assert!(seen[0] > 10 && seen[1] > 10, "{seen:?} trials");
}

#[test]
fn a_loss_of_cargo_worth_nothing_is_charged_the_shortfall_it_causes_downstream() {
    // Ore worth nothing is hijacked on its road to the mill; the metal it would have
    // made is worth 10 a tonne. Once every charge was 0 and the shortfall unattributed.
    let text = r#"
name = "zeroval"
start = "2026-01-01"
horizon = "2026-03-31"
[[commodities]]
name = "ore"
value_per_unit = 0
[[commodities]]
name = "metal"
value_per_unit = 10
[[sites]]
name = "pit"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 50
inventory_max = 100
[[sites]]
name = "mill"
kind = "plant"
region = "B"
input = "ore"
output = "metal"
yield = 0.5
capacity_per_day = 40
inventory_max = 100
[[sites]]
name = "port"
kind = "port"
region = "C"
capacity_per_day = 1000
inventory_max = 1000
[[routes]]
name = "haul"
from = "pit"
to = "mill"
regions = ["A"]
capacity_per_day = 50
transit_days = 5
[[routes]]
name = "out"
from = "mill"
to = "port"
regions = ["C"]
capacity_per_day = 100
transit_days = 1
[[hazards]]
name = "hijack"
kind = "attack"
regions = ["A"]
rate_per_year = 20
targets = { haul = 1 }
[hazards.impact]
duration_days = 0
lost_cargo = 1
"#;
    let haul = 3;
    let mut short = 0;
    for (s, kinds, at) in charged(text, 50) {
        let tol = 1e-9 * s.abs();
        assert!((kinds[0] - s).abs() <= tol, "attack {} vs {s}", kinds[0]);
        assert!((at[haul] - s).abs() <= tol, "haul {} vs {s}", at[haul]);
        short += (s > 0.0) as u32;
    }
    assert!(short > 20, "{short} trials with a shortfall");
}

#[test]
fn a_shortfall_where_nothing_would_have_flowed_is_charged_by_disrupted_days() {
    // A yard ships its 1,000 t by day 10; protests close its road from day 10 on, with
    // 400 t on board for the rest of the month. Without them the road would have carried
    // nothing after day 10: the 400 t are charged by the disrupted days instead.
    let text = r#"
name = "stranded"
start = "2026-01-01"
horizon = "2026-01-31"
[[phases]]
name = "calm"
start = 2026-01-01
end = 2026-01-10
[[phases]]
name = "hot"
start = 2026-01-11
end = 2026-01-31
[[commodities]]
name = "ore"
[[sites]]
name = "yard"
kind = "stockpile"
region = "A"
commodity = "ore"
capacity_per_day = 100
inventory_max = 5000
initial_inventory = 1000
[[sites]]
name = "port"
kind = "port"
region = "B"
capacity_per_day = 1000
inventory_max = 1000
[[routes]]
name = "road"
from = "yard"
to = "port"
regions = ["A"]
capacity_per_day = 100
transit_days = 5
[[hazards]]
name = "h"
kind = "protest"
regions = ["A"]
rate_per_year = 3650
phase_multipliers = { calm = 0 }
targets = { road = 1 }
[hazards.impact]
duration_days = 100
"#;
    let road = 2;
    for (s, kinds, at) in charged(text, 20) {
        assert_eq!(s, 400.0);
        assert!(
            (kinds[1] - s).abs() <= 1e-9 * s,
            "protest {} vs {s}",
            kinds[1]
        );
        assert!((at[road] - s).abs() <= 1e-9 * s, "road {} vs {s}", at[road]);
    }
}

#[test]
fn a_port_that_ships_next_to_nothing_has_no_time_to_survive() {
    // A congested port (5 a day of the mine's 10) holds a stock that covers some days;
    // one that ships 1e-300 a day would cover some 1e303 days, a figure the statistics
    // cannot hold: undefined, like a port that ships nothing.
    let days = |capacity: &str| {
        let c = small(&[(
            "capacity_per_day = 100",
            &format!("capacity_per_day = {capacity}"),
        )]);
        let survive = c.layout.survive;
        let out = outcomes(&c, 5, 20, 1);
        out.iter().map(|o| o.metrics[survive]).collect::<Vec<f64>>()
    };
    assert!(
        days("5").iter().all(|&d| d > 1.0 && d < 1000.0 / 5.0),
        "{:?}",
        days("5")
    );
    assert!(days("1e-300").iter().all(|d| d.is_nan()));
}

#[test]
fn zero_length_events_change_nothing_and_threads_do_not_matter() {
    let c = small(&[(
        "duration_days = 3",
        "duration_days = 0\nconstruction_delay_days = 5",
    )]);
    let one = outcomes(&c, 4, 3000, 1);
    let two = outcomes(&c, 4, 3000, 2);
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(
            a.metrics.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.metrics.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(a.metrics[SHORTFALL_VALUE], 0.0);
    }
}

#[test]
fn a_mine_a_project_builds_has_its_commissioning_day() {
    let c = small(&[
        (
            "capacity_per_day = 10\ninventory_max = 100",
            "capacity_per_day = 10\ninventory_max = 100\nonline = { project = \"build\" }",
        ),
        (
            "[[hazards]]",
            "[[projects]]\nname = \"build\"\nstart = \"2026-03-01\"\nduration_days = 100.5\n[[hazards]]",
        ),
    ]);
    let col = (c.layout.columns.iter())
        .position(|x| x.name == "commissioning_day.mine")
        .expect("a commissioning column for the mine");
    // The road's disruptions do not delay the mine's construction: day 59 (1 March)
    // plus 100.5 days.
    for o in outcomes(&c, 3, 50, 1) {
        assert_eq!(o.metrics[col], 159.5);
    }
}

#[test]
fn a_project_that_builds_two_sites_completes_once() {
    // The mine and the port come online when one project completes; attacks hit only
    // the mine's building site, and delay both. The delay is the mine's to answer for.
    let c = small(&[
        (
            "capacity_per_day = 10\ninventory_max = 100",
            "capacity_per_day = 10\ninventory_max = 100\nonline = { project = \"build\" }",
        ),
        (
            "capacity_per_day = 100\ninventory_max = 1000",
            "capacity_per_day = 100\ninventory_max = 1000\nonline = { project = \"build\" }",
        ),
        (
            "[[hazards]]",
            "[[projects]]\nname = \"build\"\nstart = \"2026-01-01\"\nduration_days = 200\n[[hazards]]",
        ),
        ("targets = { route = 1 }", "targets = { mine = 1 }"),
        (
            "duration_days = 3",
            "duration_days = 3\nconstruction_delay_days = 10",
        ),
    ]);
    let col = |name: &str| {
        (c.layout.columns.iter())
            .position(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (mine, port) = (col("commissioning_day.mine"), col("commissioning_day.port"));
    let (at_mine, at_port) = (col("lost_at.mine"), col("lost_at.port"));
    let mut delayed = 0;
    for o in outcomes(&c, 3, 50, 1) {
        assert_eq!(o.metrics[mine], o.metrics[port]);
        assert_eq!(o.metrics[at_port], 0.0);
        let short = o.metrics[SHORTFALL_VALUE];
        assert!((o.metrics[at_mine] - short).abs() <= 1e-9 * short.max(1.0));
        delayed += usize::from(o.metrics[port] > 200.0);
    }
    // A trial is delayed if an attack falls in the 200 days of work: 4 a year, so with
    // probability 1 - exp(-4 x 200 / 365.25); 4 standard errors below that over 50.
    let p = 1.0 - (-4.0 * 200.0 / 365.25f64).exp();
    let low = 50.0 * p - 4.0 * (50.0 * p * (1.0 - p)).sqrt();
    assert!(
        delayed as f64 > low,
        "{delayed} of 50 trials delayed, expected about {:.0}",
        50.0 * p
    );
}

/// The small network's mine brought online by a project of 100.5 days begun on `start`
/// (a date, or a phase of `phase`, added to the scenario): its commissioning day in
/// each of 20 trials.
fn commissioning_days(phase: &str, start: &str) -> Vec<f64> {
    let c = small(&[
        ("[[commodities]]", &format!("{phase}[[commodities]]")),
        (
            "capacity_per_day = 10\ninventory_max = 100",
            "capacity_per_day = 10\ninventory_max = 100\nonline = { project = \"build\" }",
        ),
        (
            "[[hazards]]",
            &format!(
                "[[projects]]\nname = \"build\"\nstart = \"{start}\"\nduration_days = 100.5\n[[hazards]]"
            ),
        ),
    ]);
    let col = (c.layout.columns.iter())
        .position(|x| x.name == "commissioning_day.mine")
        .expect("a commissioning column for the mine");
    (outcomes(&c, 3, 20, 1).iter())
        .map(|o| o.metrics[col])
        .collect()
}

#[test]
fn work_begun_before_the_start_is_not_begun_again() {
    // A project begun on 1 October 2025, 92 days before the 2026 start, with 100.5 days
    // of work: 8.5 days left. One begun 200 days before the start was done 99.5 days
    // before it.
    // A phase already under way at the start counts from its own first day.
    let early = "[[phases]]\nname = \"early\"\nstart = \"2025-10-01\"\nend = \"2026-06-30\"\n";
    for (start, day) in [("2025-10-01", 8.5), ("2025-06-15", -99.5), ("early", 8.5)] {
        for got in commissioning_days(early, start) {
            assert_eq!(got, day, "project begun {start}");
        }
    }
    // A mine online for two years before the start has its year-long ramp-up behind
    // it: it delivers what the same mine without a ramp-up does, trial by trial. One
    // online half a year before the start delivers less, one online at the start less
    // again.
    let mine = "capacity_per_day = 10\ninventory_max = 100";
    let delivered = |extra: &str| {
        let c = small(&[(mine, &format!("{mine}{extra}"))]);
        (outcomes(&c, 3, 20, 1).iter())
            .map(|o| o.metrics[COUNTERFACTUAL_VALUE])
            .collect::<Vec<f64>>()
    };
    let none = delivered("");
    let ramped = |online: &str| delivered(&format!("\nramp_up_days = 365\nonline = \"{online}\""));
    assert_eq!(ramped("2024-01-01"), none);
    let (half, fresh) = (ramped("2025-07-01"), ramped("2026-01-01"));
    for t in 0..none.len() {
        assert!(
            half[t] < none[t] && fresh[t] < half[t],
            "trial {t}: {} {} {}",
            none[t],
            half[t],
            fresh[t]
        );
    }
}

#[test]
fn work_that_starts_after_the_horizon_ends_when_it_would_have() {
    // The horizon is 2027-12-31 (day 729 from 2026-01-01). A project begun with a
    // phase of 2028-06-01 (day 882), or on that date, with 100.5 days of work, is done
    // on day 982.5: past the horizon, but not moved to begin the day after it.
    let later = "[[phases]]\nname = \"later\"\nstart = \"2028-06-01\"\nend = \"2030-12-31\"\n";
    for start in ["later", "2028-06-01"] {
        for got in commissioning_days(later, start) {
            assert_eq!(got, 982.5, "project begun {start}");
        }
    }
}

#[test]
fn a_phase_after_the_horizon_is_never_in_force() {
    let phases = "horizon = \"2027-12-31\"\n[[phases]]\nname = \"early\"\nstart = \"2026-01-01\"\nend = \"2027-12-31\"\n";
    let later = "[[phases]]\nname = \"later\"\nstart = \"2028-01-01\"\nend = \"2030-12-31\"\n";
    let with = parse(
        &small_text(&[
            ("horizon = \"2027-12-31\"\n", &format!("{phases}{later}")),
            (
                "rate_per_year = 4",
                // (Enough events to be refused, were the phase in force.)
                "rate_per_year = 4\nphase_multipliers = { early = 2, later = 40000 }",
            ),
        ]),
        "test",
    )
    .unwrap();
    let without = small(&[
        ("horizon = \"2027-12-31\"\n", phases),
        (
            "rate_per_year = 4",
            "rate_per_year = 4\nphase_multipliers = { early = 2 }",
        ),
    ]);
    let shown = shortfall::cli::check::describe(&with);
    assert!(
        shown
            .contains("later        2028-01-01 to 2030-12-31  (after the horizon: never in force)"),
        "{shown}"
    );
    let (a, b) = (
        outcomes(&Compiled::new(with), 8, 500, 1),
        outcomes(&without, 8, 500, 1),
    );
    for (a, b) in a.iter().zip(&b) {
        assert_eq!(
            a.metrics.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.metrics.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn standby_routes_never_beat_the_disruption_free_run() {
    // Mild, frequent protests on the primary route; the standby may only replace what
    // the primary loses.
    let edits = [
        // The mine out-produces the primary road: the disruption-free run is road-bound.
        (
            "capacity_per_day = 10\ninventory_max = 100",
            "capacity_per_day = 30\ninventory_max = 100",
        ),
        ("rate_per_year = 4", "rate_per_year = 40"),
        // Only the primary road is hit, with or without the detour: the same events.
        ("targets = { route = 1 }", "targets = { road = 1 }"),
        ("duration_days = 3", "duration_days = 3\nseverity = 0.1"),
        (
            "transit_days = 2\n",
            "transit_days = 2\n[[routes]]\nname = \"detour\"\nfrom = \"mine\"\nto = \"port\"\nregions = [\"A\"]\ncapacity_per_day = 20\ntransit_days = 4\nstandby = true\n",
        ),
    ];
    let with = outcomes(&small(&edits), 2, 500, 2);
    let without = outcomes(&small(&edits[..4]), 2, 500, 2);
    let mut helped = 0;
    for (o, w) in with.iter().zip(&without) {
        let tol = 1e-9 * o.metrics[COUNTERFACTUAL_VALUE];
        assert!(
            o.metrics[SHORTFALL_VALUE] >= -tol,
            "{}",
            o.metrics[SHORTFALL_VALUE]
        );
        // The detour carries something when the road is down, and never costs anything.
        let gain = o.metrics[DELIVERED_VALUE] - w.metrics[DELIVERED_VALUE];
        assert!(gain >= -tol, "{gain}");
        helped += (gain > tol) as usize;
    }
    assert!(helped > 0, "the standby route never carried anything");
}

#[test]
fn a_small_store_does_not_throttle_throughput() {
    // A mine of 100 t/day with a store of 10 t, a 1,000 t/day road, a port with no store:
    // everything produced flows through.
    let c = small(&[
        (
            "capacity_per_day = 10\ninventory_max = 100",
            "capacity_per_day = 100\ninventory_max = 10",
        ),
        (
            "capacity_per_day = 100\ninventory_max = 1000",
            "capacity_per_day = 1000\ninventory_max = 0",
        ),
        ("capacity_per_day = 20", "capacity_per_day = 1000"),
        ("rate_per_year = 4", "rate_per_year = 0"),
    ]);
    let o = c.trial(1, 0);
    // 365 days of 2026, less the two days in transit at the start.
    assert_eq!(o.counterfactual_yearly[0], 100.0 * 363.0);
    assert_eq!(o.delivered_yearly, o.counterfactual_yearly);
}

/// A mine feeding a plant feeding a port; attacks hit only the mine.
fn plant_chain(with_standby: bool) -> Compiled {
    let standby = if with_standby {
        "[[routes]]\nname = \"detour\"\nfrom = \"mill\"\nto = \"harbour\"\nregions = [\"A\"]\ncapacity_per_day = 50\ntransit_days = 3\nstandby = true\n"
    } else {
        ""
    };
    let text = format!(
        r#"
name = "chain"
start = "2026-01-01"
horizon = "2027-12-31"
[[commodities]]
name = "ore"
[[commodities]]
name = "metal"
[[sites]]
name = "pit"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 20
inventory_max = 200
[[sites]]
name = "mill"
kind = "plant"
region = "A"
input = "ore"
output = "metal"
yield = 0.5
capacity_per_day = 30
inventory_max = 20
[[sites]]
name = "harbour"
kind = "port"
region = "A"
capacity_per_day = 100
inventory_max = 100
[[routes]]
name = "haul"
from = "pit"
to = "mill"
regions = ["A"]
capacity_per_day = 40
transit_days = 1
[[routes]]
name = "road"
from = "mill"
to = "harbour"
regions = ["A"]
capacity_per_day = 10
transit_days = 2
{standby}
[[hazards]]
name = "raids"
kind = "attack"
regions = ["A"]
rate_per_year = 12
targets = {{ pit = 1 }}
[hazards.impact]
duration_days = 5
"#
    );
    Compiled::new(parse(&text, "chain").unwrap())
}

#[test]
fn an_unused_standby_route_changes_nothing() {
    // The plant's road never loses capacity, so its standby never carries: the plant
    // must not process (and throw away) output for it.
    let (a, b) = (plant_chain(false), plant_chain(true));
    for t in 0..200 {
        let (x, y) = (a.trial(6, t), b.trial(6, t));
        assert_eq!(x.delivered_yearly, y.delivered_yearly, "trial {t}");
        assert_eq!(
            x.counterfactual_yearly, y.counterfactual_yearly,
            "trial {t}"
        );
    }
}

#[test]
fn days_before_the_first_disruption_free_shipment_are_not_days_without_shipments() {
    let at = |c: &Compiled| {
        (c.layout.columns.iter())
            .position(|col| col.name == "longest_no_shipment_days")
            .unwrap()
    };
    // No hazard: nothing ever stops the flow, however late the mine opens and however
    // long the road (the network fills for 2 days, or 150 + 2).
    for online in ["", "online = \"2026-06-01\"\n"] {
        let quiet = small(&[
            ("rate_per_year = 4", "rate_per_year = 0"),
            (
                "inventory_max = 100\n",
                &format!("inventory_max = 100\n{online}"),
            ),
        ]);
        for o in outcomes(&quiet, 1, 50, 1) {
            assert_eq!(o.metrics[at(&quiet)], 0.0, "mine {online:?}");
        }
    }
}

/// Three mines, two in region A and one in C, each with its road to a port in B; a
/// hazard in A hits only `mine1`, with a stand-down of 10 days after each event with
/// probability `p`.
fn stand_down_network(p: f64) -> Compiled {
    let mine = |name: &str, region: &str| {
        format!(
            "[[sites]]\nname = \"{name}\"\nkind = \"mine\"\nregion = \"{region}\"\ncommodity = \"ore\"\ncapacity_per_day = 10\ninventory_max = 5\n"
        )
    };
    let road = |name: &str, from: &str, region: &str| {
        format!(
            "[[routes]]\nname = \"{name}\"\nfrom = \"{from}\"\nto = \"port\"\nregions = [\"{region}\", \"B\"]\ncapacity_per_day = 20\ntransit_days = 1\n"
        )
    };
    let text = format!(
        "name = \"sd\"\nstart = \"2026-01-01\"\nhorizon = \"2027-12-31\"\n[[commodities]]\nname = \"ore\"\nvalue_per_unit = 1\n{}{}{}[[sites]]\nname = \"port\"\nkind = \"port\"\nregion = \"B\"\ncapacity_per_day = 100\ninventory_max = 1000\n{}{}{}[[hazards]]\nname = \"h\"\nkind = \"attack\"\nregions = [\"A\"]\nrate_per_year = 6\ntargets = {{ mine1 = 1 }}\n[hazards.impact]\nduration_days = 1\nstand_down_probability = {p}\nstand_down_days = 10\n",
        mine("mine1", "A"),
        mine("mine2", "A"),
        mine("mine3", "C"),
        road("road1", "mine1", "A"),
        road("road2", "mine2", "A"),
        road("road3", "mine3", "C"),
    );
    Compiled::new(parse(&text, "stand-down").unwrap())
}

#[test]
fn a_stand_down_closes_every_site_and_route_of_the_event_s_region_and_nothing_else() {
    for p in [0.0, 1.0] {
        let c = stand_down_network(p);
        let col = |name: &str| {
            (c.layout.columns.iter())
                .position(|x| x.name == name)
                .unwrap()
        };
        let lost = |o: &shortfall::engine::outcome::TrialOutcome, t: &str| {
            o.metrics[col(&format!("lost_at.{t}"))]
        };
        let mut with_events = 0;
        for o in outcomes(&c, 3, 200, 1) {
            let events = o.metrics[col("events.h")];
            // Region C's mine and road are never closed, nor is anything but mine1
            // without stand-downs.
            assert_eq!((lost(&o, "mine3"), lost(&o, "road3")), (0.0, 0.0));
            if p == 0.0 {
                for t in ["road1", "mine2", "road2"] {
                    assert_eq!(lost(&o, t), 0.0, "{t} lost without a stand-down");
                }
            } else if events > 0.0 {
                with_events += 1;
                // Ten days of mine2's output (10 t a day, 5 t of store) are lost to
                // each stand-down, charged to mine2 or its road, both in A.
                assert!(
                    lost(&o, "mine2") + lost(&o, "road2") > 0.0,
                    "{events} events"
                );
                assert!(lost(&o, "road1") > 0.0);
            }
            if events == 0.0 {
                assert_eq!(o.metrics[col("shortfall_value")], 0.0);
            }
        }
        // Twelve events a trial on average: a trial has none with probability e^-12,
        // so with the seed fixed every one of the 200 has some, and the checks above ran.
        assert!(p == 0.0 || with_events == 200, "{with_events}");
    }
}

#[test]
fn plan_shortfalls_and_the_phase_1_target_follow_the_yearly_deliveries() {
    // The baseline plans 2026 (in phase 1) for three commodities.
    let c = Compiled::new(baseline());
    let m = &c.model;
    let nc = m.commodities.len();
    let met = c.layout.phase1_met.expect("phase-1 targets");
    let mut seen = [0; 2];
    for o in outcomes(&c, 21, 200, 1) {
        let mut all_met = true;
        for (j, p) in m.plan.iter().enumerate() {
            let y = m.years.iter().position(|&y| y == p.year).unwrap();
            let delivered = o.delivered_yearly[y * nc + p.commodity];
            let quantity = p.quantity.get(&o.params);
            let short = o.metrics[c.layout.plan + j];
            assert!(
                (short - (quantity - delivered).max(0.0)).abs() <= 1e-9 * quantity,
                "{}: {short} vs {quantity} - {delivered}",
                c.layout.columns[c.layout.plan + j].name
            );
            all_met &= short == 0.0;
        }
        assert_eq!(o.metrics[met], if all_met { 1.0 } else { 0.0 });
        seen[all_met as usize] += 1;
    }
    // Both outcomes occur, so both branches were checked.
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
}

#[test]
fn mitigations_scale_the_severity_and_duration_of_events_from_their_date() {
    let text = small_text(&[(
        "[hazards.impact]\nduration_days = 3",
        "[hazards.impact]\nduration_days = 4\nseverity = 0.8\n[[mitigations]]\nname = \"m\"\nhazards = [\"h\"]\nfrom = \"2027-01-01\"\nseverity_factor = 0.5\nduration_factor = 0.25",
    )]);
    let c = Compiled::new(parse(&text, "mitigated").unwrap());
    let from = 365.0; // 2027-01-01, day 365 from 2026-01-01
    let mut n = [0; 2];
    let mut events = Vec::new();
    for t in 0..50 {
        shortfall::hazards::draw_events(
            &c.model,
            &c.hazards,
            4,
            t,
            &[],
            &c.hazard_off,
            &mut events,
        )
        .unwrap();
        for e in &events {
            let after = e.t >= from;
            let (severity, duration) = if after { (0.4, 1.0) } else { (0.8, 4.0) };
            assert_eq!((e.severity, e.duration), (severity, duration), "at {}", e.t);
            n[after as usize] += 1;
        }
    }
    assert!(n[0] > 0 && n[1] > 0, "{n:?}");
}

#[test]
fn results_by_phase_split_months_at_phase_bounds() {
    // A stockpile ships 10 t a day from day 1 (loaded on day 0, a day in transit); phase
    // b starts on 2026-03-15, day 73: phase a ships on days 1 to 72, b on days 73 to 364.
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/phase_split.toml"
    ))
    .unwrap();
    let c = Compiled::new(parse(&text, "phase split").unwrap());
    let col = |name: &str| {
        c.layout
            .columns
            .iter()
            .position(|x| x.name == name)
            .unwrap()
    };
    let o = c.trial(1, 0);
    assert_eq!(o.metrics[col("delivered_value.phase.a")], 720.0);
    assert_eq!(o.metrics[col("delivered_value.phase.b")], 2920.0);
    assert_eq!(o.metrics[col("shortfall_fraction.phase.b")], 0.0);
    // March is cut in two periods; only its second ends the quarter.
    assert_eq!(c.model.months.len(), 13);
    assert_eq!(shortfall::engine::quarter_ends(&c.model), [3, 6, 9, 12]);
    // Without the phases, the same deliveries in twelve periods, and no by-phase columns.
    let start = text.find("[[phases]]").unwrap();
    let end = text.find("[[commodities]]").unwrap();
    text.replace_range(start..end, "");
    let plain = Compiled::new(parse(&text, "no phases").unwrap());
    assert_eq!(plain.model.months.len(), 12);
    assert!(plain.layout.phases.is_empty());
    let p = plain.trial(1, 0);
    assert_eq!(p.metrics[DELIVERED_VALUE], o.metrics[DELIVERED_VALUE]);
    // The baseline's phases cover its horizon: their values add up to the totals.
    let b = Compiled::new(baseline());
    for o in outcomes(&b, 2, 20, 1) {
        for (whole, first) in [(DELIVERED_VALUE, 0), (SHORTFALL_VALUE, 1)] {
            let parts: f64 = (0..b.layout.phases.len())
                .map(|j| o.metrics[b.layout.phase + 3 * j + first])
                .sum();
            let total = o.metrics[whole];
            assert!(
                (parts - total).abs() <= 1e-9 * total.abs(),
                "{parts} vs {total}"
            );
        }
    }
}

#[test]
fn prospects_sharing_a_site_share_the_blame_for_their_delays() {
    // Five equal prospects of one mine, or one five times as large: the same flows and
    // the same delays, so the same attribution. (Each delayed prospect once took the
    // whole site's flow over its delay, five times over.)
    let text = |count: &str, capacity: &str| {
        PROSPECTS
            .replace("count = 5", count)
            .replace("capacity_per_day = 10\n", capacity)
    };
    let five = Compiled::new(parse(&text("count = 5", "capacity_per_day = 10\n"), "five").unwrap());
    let one = Compiled::new(parse(&text("count = 1", "capacity_per_day = 50\n"), "one").unwrap());
    let l = &five.layout;
    let (mut attacks, mut protests) = (0, 0);
    for (a, b) in outcomes(&five, 3, 300, 2)
        .iter()
        .zip(outcomes(&one, 3, 300, 2))
    {
        assert_eq!(a.metrics[SHORTFALL_VALUE], b.metrics[SHORTFALL_VALUE]);
        for k in [0, 1] {
            let (x, y) = (a.metrics[l.lost_kind + k], b.metrics[l.lost_kind + k]);
            // (Five parts of a fifth each against one whole: rounding only.)
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
                "kind {k}: {x} vs {y}"
            );
        }
        attacks += (a.metrics[l.lost_kind] > 0.0) as u32;
        protests += (a.metrics[l.lost_kind + 1] > 0.0) as u32;
    }
    // Both kinds took a share in many trials.
    assert!(attacks > 50 && protests > 50, "{attacks} and {protests}");
}

/// A mine whose prospects attacks delay, on a road that protests block.
const PROSPECTS: &str = r#"
name = "prospects"
start = "2026-01-01"
horizon = "2029-12-31"

[[commodities]]
name = "ore"
value_per_unit = 1

[[sites]]
name = "mines"
kind = "mine"
region = "R"
commodity = "ore"
capacity_per_day = 10
inventory_max = 0
online = { prospects = "p" }

[[sites]]
name = "port"
kind = "port"
region = "S"
capacity_per_day = 1000
inventory_max = 1000

[[routes]]
name = "road"
from = "mines"
to = "port"
regions = ["R"]
capacity_per_day = 1000
transit_days = 2

[[prospects]]
name = "p"
start = "2026-01-01"
count = 5
viability_probability = 1
exploration_days = 0
development_days = 365

[[hazards]]
name = "attacks"
kind = "attack"
regions = ["R"]
rate_per_year = 2
targets = { mines = 1 }
[hazards.impact]
duration_days = 0
construction_delay_days = 30

[[hazards]]
name = "blockades"
kind = "protest"
regions = ["R"]
rate_per_year = 5
targets = { road = 1 }
[hazards.impact]
duration_days = 5
"#;

#[test]
fn totals_by_mass_add_the_commodities_when_they_share_a_unit() {
    let c = Compiled::new(baseline());
    let (l, nc) = (&c.layout, c.model.commodities.len());
    let mass = l
        .mass
        .expect("the baseline's commodities are all in tonnes");
    assert_eq!(l.columns[mass + 2].name, "shortfall_mass");
    assert_eq!(l.columns[mass + 2].unit, "t");
    for o in outcomes(&c, 8, 50, 2) {
        let sum = |j: usize| {
            (0..nc)
                .map(|k| o.metrics[l.commodity + 4 * k + j])
                .sum::<f64>()
        };
        let (del, cf) = (sum(0), sum(1));
        assert_eq!(o.metrics[mass], del);
        assert_eq!(o.metrics[mass + 1], cf);
        assert_eq!(o.metrics[mass + 2], cf - del);
        assert_eq!(o.metrics[mass + 3], (cf - del) / cf);
    }
    // Not where the units differ, nor for one commodity (its own rows say it all).
    let kg = shortfall::scenario::BASELINE_TOML.replacen("unit = \"t\"", "unit = \"kg\"", 1);
    assert!(
        Compiled::new(parse(&kg, "kg").unwrap())
            .layout
            .mass
            .is_none()
    );
    assert!(small(&[]).layout.mass.is_none());
}

#[test]
fn phase_3_mines_at_the_horizon_are_counted_apart_with_the_first_ones_day() {
    // The four mines online from the start, and phase 3's developed prospects.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/slow_mines.toml");
    let c = Compiled::new(shortfall::scenario::load(std::path::Path::new(path)).unwrap());
    let l = &c.layout;
    assert_eq!(
        l.columns[l.prospects].name,
        "prospects_producing_at_horizon.phase3_ree"
    );
    let (mut developed, mut none_viable) = (0.0, 0);
    let last_day = (c.model.n_days - 1) as f64;
    for o in outcomes(&c, 4, 200, 2) {
        assert_eq!(o.metrics[l.mines] - o.metrics[l.prospects], 4.0);
        developed += o.metrics[l.prospects];
        // The first developed mine: online by the horizon where one produces there,
        // undefined only where none proved viable (and so none produces).
        let first = o.metrics[l.first_mine];
        if o.metrics[l.prospects] > 0.0 {
            assert!(first.ceil() <= last_day, "{first}");
        }
        if first.is_nan() {
            none_viable += 1;
            assert_eq!(o.metrics[l.prospects], 0.0);
        }
    }
    assert!(developed > 20.0, "{developed}");
    assert!(none_viable > 0, "every trial had a viable prospect");
}

#[test]
fn a_group_that_feeds_two_mines_counts_its_first_mine_at_either() {
    // A second mine of the same group that no hazard touches: its units come online as
    // planned, a year in, whatever attacks delay at the first.
    let second = "[[sites]]\nname = \"mines2\"\nkind = \"mine\"\nregion = \"R2\"\n\
        commodity = \"ore\"\ncapacity_per_day = 10\ninventory_max = 0\n\
        online = { prospects = \"p\" }\n\n[[routes]]\nname = \"road2\"\nfrom = \"mines2\"\n\
        to = \"port\"\nregions = [\"R2\"]\ncapacity_per_day = 1000\ntransit_days = 2\n\n";
    let text = PROSPECTS.replacen("[[prospects]]", &format!("{second}[[prospects]]"), 1);
    let c = Compiled::new(parse(&text, "two mines").unwrap());
    let l = &c.layout;
    let mut delayed = 0;
    for o in outcomes(&c, 3, 100, 2) {
        assert_eq!(o.metrics[l.first_mine], 365.0);
        assert_eq!(o.metrics[l.prospects], 5.0);
        // Both mines' units count among the mines producing.
        assert_eq!(o.metrics[l.mines], 10.0);
        delayed += (o.metrics[l.lost_kind] > 0.0) as u32;
    }
    // The attacks did delay the first mine's units.
    assert!(delayed > 20, "{delayed}");
}
