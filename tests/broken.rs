//! The catalogue of broken scenarios in `tests/broken/`: each must be refused by
//! `shortfall check` with a non-zero exit and the message listed here (file, line, key
//! path and what would be valid).

use assert_cmd::Command;

/// (file, substrings the error output must contain).
const CATALOGUE: &[(&str, &[&str])] = &[
    (
        "malformed_toml.toml",
        &["malformed_toml.toml:3:", "not valid TOML"],
    ),
    (
        // A date the TOML parser refuses (unquoted) is named by its key and table.
        "bare_invalid_date.toml",
        &[
            "bare_invalid_date.toml:7: not valid TOML for a scenario: invalid date, expected day between 01 and 28 (in the value of `end`, in `[[phases]]`)",
        ],
    ),
    (
        // The mistake is on the line of `[sites]`, not on the later `[[sites]]`.
        "list_as_table.toml",
        &[
            "list_as_table.toml:14: not valid TOML for a scenario: `[[sites]]` starts an item of the list `sites`, but line 7 has `[sites]`, a single table; write `[[sites]]` there too",
        ],
    ),
    (
        "list_given_a_value.toml",
        &[
            "list_given_a_value.toml:20: not valid TOML for a scenario: `[[routes]]` starts an item of the list `routes`, but line 2 already gives `routes` a value; remove that line",
        ],
    ),
    (
        "duplicate_key.toml",
        &[
            "duplicate_key.toml:13: not valid TOML for a scenario: the key `inventory_max` is given twice in the same table (first at line 12); keep one",
        ],
    ),
    (
        "misspelt_list_header.toml",
        &[
            "misspelt_list_header.toml:40: not valid TOML for a scenario: the table `[hazards.impact]` is given twice for the same item (first at line 32)",
            "check the spelling of the header above it",
        ],
    ),
    (
        // On the line of `to`, and a hazard that names the refused route is not a
        // second problem.
        "route_ends_at_mine.toml",
        &[
            "is invalid (1 problem):",
            "route_ends_at_mine.toml:44: routes[link].to: `mine2` is a mine; a route must end at a stockpile, plant or port",
        ],
    ),
    (
        "threshold_unknown_metric.toml",
        &[
            "is invalid (4 problems):",
            "threshold_unknown_metric.toml:36: thresholds.shortfall_fracton: is not a metric of this scenario; did you mean `shortfall_fraction`?",
            "threshold_unknown_metric.toml:37: thresholds.lost_at.road: keeps no percentiles (only its mean)",
            "threshold_unknown_metric.toml:38: thresholds.events.h: must be a list of finite numbers, e.g. [0.1, 0.2]; got []",
            "threshold_unknown_metric.toml:39: thresholds.delivered_value: gives 5 twice; each value once",
        ],
    ),
    (
        "unknown_key.toml",
        &["unknown_key.toml:26: routes[road].speed: unknown key `speed`; see"],
    ),
    (
        "mitigation_ends_before_it_starts.toml",
        &[
            "mitigation_ends_before_it_starts.toml:38: mitigations[escorts].until: 2026-06-01 must come after the first day it acts (2027-01-01, its `from` or the scenario's start): it would never act",
        ],
    ),
    (
        // A near miss gets the key the table takes.
        "misspelt_key.toml",
        &[
            "misspelt_key.toml:33: hazards[h].impact.duraton_days: unknown key `duraton_days` (did you mean `duration_days`?); see docs/scenario-format.md",
        ],
    ),
    (
        "negative_rate.toml",
        &["negative_rate.toml:30: hazards[h].rate_per_year: must be a number >= 0; got -4"],
    ),
    (
        "nan_capacity.toml",
        &["nan_capacity.toml:11: sites[mine].capacity_per_day: must be a number >= 0; got NaN"],
    ),
    (
        "probability_out_of_range.toml",
        &[
            "probability_out_of_range.toml:34: hazards[h].impact.stand_down_probability: must be a probability between 0 and 1; got 1.5",
        ],
    ),
    (
        "missing_site.toml",
        &["missing_site.toml:22: routes[road].to: no site named `harbour`; known: mine, port"],
    ),
    (
        "no_path_to_port.toml",
        &["no_path_to_port.toml:6: sites[mine]: has no path of routes to a port"],
    ),
    (
        "routes_in_a_loop.toml",
        &[
            "routes_in_a_loop.toml:37: routes[from_port].from: `port` is a port",
            "routes_in_a_loop.toml:56: routes[yard1_yard2]: is on a loop of primary routes (yard1 -> yard2 -> yard1): goods would go round it for ever, and never reach a port",
        ],
    ),
    (
        "dates_out_of_order.toml",
        &["dates_out_of_order.toml:3: horizon: 2025-12-31 must come after start (2026-01-01)"],
    ),
    (
        "pert_mode_outside.toml",
        &[
            "pert_mode_outside.toml:30: hazards[h].rate_per_year.pert: needs [min, mode, max] with min <= mode <= max",
            "got [2, 9, 6]",
        ],
    ),
    (
        "uniform_min_above_max.toml",
        &[
            "uniform_min_above_max.toml:11: sites[mine].capacity_per_day.uniform: needs lo < hi; got [12, 8]",
        ],
    ),
    (
        "explosive_hawkes.toml",
        &[
            "explosive_hawkes.toml:31: hazards[h].self_excitation.jump: must be a branching ratio >= 0 and below 1",
            "got 1.2",
        ],
    ),
    (
        "cross_excitation_explodes.toml",
        &[
            "cross_excitation_explodes.toml:26: hazards: self- and cross-excitation together have a branching ratio (spectral radius) of 1.400",
        ],
    ),
    (
        "unknown_region.toml",
        &[
            "unknown_region.toml:29: hazards[h].regions: no site or route is in region `Baluchistan`; regions in this scenario: A",
        ],
    ),
    (
        "bad_date.toml",
        &["bad_date.toml:2: start: expected an ISO date such as 2026-12-31; got \"2026-13-01\""],
    ),
    (
        "unknown_distribution.toml",
        &[
            "unknown_distribution.toml:11: sites[mine].capacity_per_day: names no distribution; expected a number, or a table with one of",
        ],
    ),
    (
        "standby_only.toml",
        &["standby_only.toml:6: sites[mine]: has only standby routes out, so it would never load"],
    ),
    (
        "bad_site_kind.toml",
        &[
            "bad_site_kind.toml:8: sites[mine].kind: must be mine, stockpile, plant or port; got `quarry`",
            "(1 problem)",
        ],
    ),
    (
        // On the line of `yield`, not of the item's `[[sites]]`.
        "key_not_for_kind.toml",
        &[
            "key_not_for_kind.toml:11: sites[mine].yield: does not apply to a mine",
            "(1 problem)",
        ],
    ),
    (
        // On the line of `kind`, not of the item's `[[hazards]]`.
        "bad_hazard_kind.toml",
        &[
            "bad_hazard_kind.toml:28: hazards[h].kind: must be attack, protest or cyber; got `atack`",
            "(1 problem)",
        ],
    ),
    (
        "remove_without_extends.toml",
        &[
            "remove_without_extends.toml:28: hazards[h].remove: unknown key `remove` (`remove = true` drops an item of the scenario this one extends, so it needs `extends`)",
            "(1 problem)",
        ],
    ),
    (
        // A sign in a name would break `--set sites[mine=a].capacity_per_day=5`.
        "sign_in_name.toml",
        &[
            "sign_in_name.toml:6: sites[0].name: `mine=a` is not a valid name: use letters, digits, '-' or '_' only (not `=`)",
            "(1 problem)",
        ],
    ),
    (
        "dots_name.toml",
        &[
            "dots_name.toml:1: name: `..` is not a valid name: use a short name of letters, digits, '-', '_' or '.', not only dots",
        ],
    ),
    (
        // Only the phase is refused: the hazard's multiplier for it is not reported again.
        "phase_before_start.toml",
        &[
            "phase_before_start.toml:4: phases[early]: 2025-01-01 to 2025-12-31 ends before the scenario's start (2026-01-01); a phase must end on or after it (remove the phase, or move `start` back)",
            "(1 problem)",
        ],
    ),
    (
        // No phase is refused over a stand-in horizon.
        "horizon_before_start.toml",
        &[
            "horizon_before_start.toml:3: horizon: 2025-12-31 must come after start (2026-01-01)",
            "(1 problem)",
        ],
    ),
    (
        // A value of the wrong type, found while reading the file, still has its key path.
        "wrong_type.toml",
        &[
            "wrong_type.toml:29: hazards[h].regions: not valid TOML for a scenario: invalid type: string \"A\", expected a list [...]",
        ],
    ),
    (
        "float_trials.toml",
        &[
            "float_trials.toml:3: trials: must be a whole number >= 1, without a decimal point; got 500.0",
        ],
    ),
    (
        "date_time_horizon.toml",
        &[
            "date_time_horizon.toml:3: horizon: expected an ISO date such as 2026-12-31; got a date with a time",
        ],
    ),
    (
        "quoted_date_time.toml",
        &[
            "quoted_date_time.toml:2: start: expected an ISO date such as 2026-12-31; got \"2026-01-01T08:00:00\"",
        ],
    ),
    (
        "zero_room_yard.toml",
        &[
            "zero_room_yard.toml:19: sites[yard].inventory_max: must be above 0 for a stockpile: routes load it only up to the room in its store, so with none nothing would pass through it",
            "zero_room_yard.toml:28: sites[plant].inventory_max: must be above 0 for a plant: routes load it only up to the room in its stores (input and output)",
        ],
    ),
    (
        // Numbers a trial could not compute with: each named, none a panic later.
        "huge_numbers.toml",
        &[
            "huge_numbers.toml:6: commodities[ore].value_per_unit: must be at most 1e15 in size (larger numbers would overflow the statistics); got 1e35",
            "huge_numbers.toml:12: sites[mine].capacity_per_day.shape: must be a finite number; got NaN",
            "huge_numbers.toml:14: sites[mine].initial_inventory.gamma: needs a shape from 0.01 to 1e6 and a scale > 0; got [1e-80, 1]",
            "huge_numbers.toml:27: routes[road].transit_days.lognormal: expected { median = M, p90 = X } (or p95 or p99 instead of p90) with 0 < M < X, both finite",
            "huge_numbers.toml:35: hazards[h].impact.duration_days: can draw 6.109e300; a number's size must stay at most 1e15",
            "(5 problems)",
        ],
    ),
    (
        // Names where a date belongs: what they could have meant.
        "online_by_name.toml",
        &[
            "online_by_name.toml:14: projects[build].start: `Later` is neither an ISO date (YYYY-MM-DD) nor a phase name; did you mean `later`?",
            "online_by_name.toml:25: sites[mine].online: expected an ISO date (YYYY-MM-DD), { project = \"NAME\" } or, for a mine, { prospects = \"NAME\" }; got `build`; for the completion of project `build`, write { project = \"build\" }",
        ],
    ),
    (
        "target_outside_regions.toml",
        &[
            "target_outside_regions.toml:46: hazards[h].targets.north_mine: site `north_mine` lies in B, outside the hazard's regions (A), so its events could never hit it; add its region to `regions`, or drop the name (or set its weight to 0)",
            "(1 problem)",
        ],
    ),
    (
        "too_many_disruptions.toml",
        &[
            "too_many_disruptions.toml:32: hazards[h].impact.stand_down_probability: with it the hazards could bring about 639,562 disruptions a trial (about 159,890 events, a stand-down disrupting every target of its region: this hazard's 159,890 events a trial could stand down up to 3 targets each); a trial is built for at most 400,000",
        ],
    ),
    (
        "stand_downs_named.toml",
        &[
            "stand_downs_named.toml:41: hazards[h1].impact.stand_down_probability: with it the hazards could bring about 483,669 disruptions a trial (about 195,866 events, a stand-down disrupting every target of its region: this hazard's 23,984 events",
        ],
    ),
    (
        "too_many_events.toml",
        &[
            "too_many_events.toml:30: hazards[h].rate_per_year: with it the hazards could bring about 1,998,631 events a trial",
            "this one 1,998,631); a trial is built for at most 200,000: lower the rates, trends, phase multipliers or mitigations' rate factors above 1, or shorten the horizon",
        ],
    ),
    (
        // A rate that is small in 99.91% of trials and huge in the rest: nearly every run
        // of 10,000 trials would draw it, so the estimate is made at the 99.9999th
        // percentile, not the 99.9th.
        "rare_huge_rate.toml",
        &[
            "rare_huge_rate.toml:31: hazards[h].rate_per_year: with it the hazards could bring about 1,199,179 events a trial",
        ],
    ),
    (
        // The second and third targets for one commodity and year (each naming the
        // first), and a year with a decimal point, refused for what is wrong with each.
        "plan_twice.toml",
        &[
            "plan_twice.toml:39: plan[1].year: plan[0] already gives the target for `ore` in 2026; give one target per commodity and year",
            "plan_twice.toml:43: plan[2].year: must be a calendar year from 2026 to 2027, written as a whole number without quotes or a decimal point (got `2027.0`)",
            "plan_twice.toml:47: plan[3].year: plan[0] already gives the target for `ore` in 2026",
            "(3 problems)",
        ],
    ),
    (
        // The name keeps meaning the first site: the route that names it is not
        // reported as if it ended at a port or led nowhere.
        "duplicate_site_name.toml",
        &[
            "duplicate_site_name.toml:20: sites[mine].name: `mine` is used twice in sites (items 0 and 2, counting from 0); names must be unique",
            "duplicate_site_name.toml:20: sites[mine].kind: must be mine, stockpile, plant or port; got nothing",
            "(2 problems)",
        ],
    ),
    (
        // Empty lists name nothing to mitigate, as absent ones do.
        "mitigation_of_nothing.toml",
        &["mitigation_of_nothing.toml:34: mitigations[escorts].hazards: say what it mitigates"],
    ),
    (
        // Nothing worth anything: every value, and the headline fraction, would be 0.
        "worthless_commodities.toml",
        &[
            "worthless_commodities.toml:6: commodities[ore].value_per_unit: every commodity is worth 0 a unit",
        ],
    ),
    (
        // A mitigation's rate factor counts in the estimate.
        "mitigation_raises_events.toml",
        &[
            "mitigation_raises_events.toml:30: hazards[h].rate_per_year: with it the hazards could bring about 799,452 events a trial",
        ],
    ),
    (
        // A phase refused for its date is not reported again where it is named.
        "phase_bad_date.toml",
        &[
            "phase_bad_date.toml:10: phases[later].start: expected an ISO date such as 2026-12-31; got \"2027-13-01\"",
            "(1 problem)",
        ],
    ),
    (
        "several_problems.toml",
        &[
            "(3 problems)",
            "several_problems.toml:30: hazards[h].rate_per_year: must be a number >= 0; got -1",
            "several_problems.toml:31: hazards[h].trend_per_year: must be a growth rate per year above -1",
            "several_problems.toml:32: hazards[h].colour: unknown key `colour`",
        ],
    ),
];

#[test]
fn every_broken_scenario_is_refused_with_its_message() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut listed: Vec<&str> = CATALOGUE.iter().map(|(f, _)| *f).collect();
    listed.sort_unstable();
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort_unstable();
    assert_eq!(
        listed, on_disk,
        "every file in tests/broken/ is in the catalogue"
    );
    for (file, expected) in CATALOGUE {
        let out = Command::cargo_bin("shortfall")
            .unwrap()
            .current_dir(&dir)
            .args(["check", file])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{file}: exit code; stderr: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{file} panicked: {stderr}");
        for e in *expected {
            assert!(stderr.contains(e), "{file}: expected `{e}` in:\n{stderr}");
        }
    }
}

#[test]
fn the_catalogue_base_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valid_small.toml");
    Command::cargo_bin("shortfall")
        .unwrap()
        .arg("check")
        .arg(path)
        .assert()
        .success();
}

#[test]
fn a_prospect_count_is_limited_once_rounded() {
    let count = |c: &str| {
        let text = shortfall::scenario::BASELINE_TOML.replace(
            "count = { choice = [5, 6, 7, 8, 9, 10] }",
            &format!("count = {c}"),
        );
        assert_ne!(text, shortfall::scenario::BASELINE_TOML);
        shortfall::scenario::parse(&text, "t.toml").map(|m| m.prospects.len())
    };
    // 64.4 prospects are 64 (drawn counts are rounded), 64.5 are 65.
    assert!(count("64.4").is_ok());
    assert!(count("{ uniform = [10, 64.4] }").is_ok());
    let e = count("64.5").unwrap_err().to_string();
    assert!(
        e.contains("prospects[phase3_ree].count: can reach 64.5 (rounded: 65); at most 64 prospects per group"),
        "{e}"
    );
}
