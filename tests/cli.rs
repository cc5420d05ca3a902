//! End-to-end tests of the `shortfall` binary.

mod common;
use assert_cmd::Command;
use common::csv_rows;
use std::path::{Path, PathBuf};

fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn run_into(dir: &Path, args: &[&str]) -> std::process::Output {
    shortfall()
        .arg("run")
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn a_run_with_overrides_says_so_on_the_console_and_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let set = "hazards[bla_attacks].rate_per_year=12";
    let out = run_into(tmp.path(), &["--trials", "20", "--set", set]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("baseline --set {set}: 20 trials")),
        "{stdout}"
    );
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(html.contains(&format!(
        "<b>Not the scenario file as written:</b> run with <code>--set {set}</code>."
    )));
    // Without one, nothing of the kind.
    let plain = tmp.path().join("plain");
    let out = run_into(&plain, &["--trials", "20"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("baseline: 20 trials"));
    let html = std::fs::read_to_string(plain.join("report.html")).unwrap();
    assert!(!html.contains("Not the scenario file as written"));
}

#[test]
fn a_first_mine_past_the_last_calendar_date_is_said_so() {
    // Drawn durations of ten million days put the median first mine past 9999-12-31,
    // which no date can name: the notes, the charts and the report still come out.
    let tmp = tempfile::tempdir().unwrap();
    let out = run_into(
        tmp.path(),
        &[
            "--trials",
            "40",
            "--set",
            "prospects[phase3_ree].development_days=1e7",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "its first mine produces only after 9999-12-31, the last date a calendar holds (day 100"
        ),
        "{stdout}"
    );
    assert!(tmp.path().join("report.html").exists());
    assert!(tmp.path().join("milestones.png").exists());
}

#[test]
fn run_writes_every_file_well_formed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_into(tmp.path(), &["--trials", "300", "--seed", "5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("shortfall_fraction") && stdout.contains("Files written to"));
    assert!(stdout.contains("P90 ± se  unit\n"), "{stdout}");
    // Probabilities to four decimals, 0 and 1 included.
    let probabilities: Vec<&str> = (stdout.lines())
        .filter_map(|l| l.strip_prefix("P(shortfall_fraction > "))
        .collect();
    assert_eq!(probabilities.len(), 3, "{stdout}");
    for p in probabilities {
        let value = p.split(" = ").nth(1).unwrap().split(' ').next().unwrap();
        assert!(value.len() == 6 && value.parse::<f64>().is_ok(), "{p}");
    }
    // Days counted from the start are explained, the first phase-3 mine's as a bound.
    assert!(
        stdout.contains("first_mine_day.phase3_ree counts days from the start (2025-09-08, day 0)")
            && stdout.contains("a lower bound"),
        "{stdout}"
    );

    let mut summary = csv::Reader::from_path(tmp.path().join("summary.csv")).unwrap();
    let header: Vec<String> = summary
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(
        header,
        [
            "metric",
            "unit",
            "mean",
            "se",
            "p5",
            "p10",
            "p50",
            "p90",
            "p95",
            "cvar95",
            "p90_se",
            "trials",
            "p5_se",
            "p10_se",
            "p50_se",
            "p95_se",
            "cvar95_se"
        ]
    );
    let rows: Vec<csv::StringRecord> = summary.records().map(Result::unwrap).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.get(0).unwrap()).collect();
    for expected in [
        "shortfall_fraction",
        "delivered.antimony",
        "counterfactual.copper_concentrate",
        "shortfall.ree_oxide",
        "shortfall_fraction.ree_concentrate",
        "lost.attack",
        "lost.protest",
        "lost.cyber",
        "events.bla_attacks",
        "commissioning_day.ree_refinery",
        "mines_producing_at_horizon",
    ] {
        assert!(names.contains(&expected), "summary.csv lacks {expected}");
    }
    // Percentiles are ordered, and the mean of the worst 5% lies beyond P95.
    let frac = &rows[0];
    let q: Vec<f64> = (4..10).map(|i| frac[i].parse().unwrap()).collect();
    assert!(
        q.windows(2).all(|w| w[0] <= w[1]),
        "p5..p95, cvar95 out of order: {frac:?}"
    );

    let trials = std::fs::read_to_string(tmp.path().join("trials.csv")).unwrap();
    let mut lines = trials.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("trial,shortfall_fraction,"));
    assert!(head.contains("hazards[bla_attacks].rate_per_year"));
    assert_eq!(lines.count(), 300);

    // Events by kind are the sums of their hazards' events, trial by trial.
    let head_cols: Vec<&str> = head.split(',').collect();
    let at = |name: &str| head_cols.iter().position(|c| *c == name).unwrap();
    for line in trials.lines().skip(1) {
        let f: Vec<f64> = line
            .split(',')
            .map(|x| x.parse().unwrap_or(f64::NAN))
            .collect();
        let attacks = ["bla_attacks", "karachi_attacks", "ttp_attacks"]
            .map(|h| f[at(&format!("events.{h}"))])
            .iter()
            .sum::<f64>();
        assert_eq!(f[at("events_by_kind.attack")], attacks);
        assert_eq!(f[at("events_by_kind.cyber")], f[at("events.cyber")]);
        // The years' deliveries add up to the horizon's (to rounding of their sum).
        for k in [
            "antimony",
            "copper_concentrate",
            "ree_concentrate",
            "ree_oxide",
        ] {
            let years: f64 = (2025..=2032)
                .map(|y| f[at(&format!("delivered.{k}.{y}"))])
                .sum();
            let total = f[at(&format!("delivered.{k}"))];
            assert!(
                (years - total).abs() <= 1e-9 * total.abs().max(1.0),
                "{k}: {years} {total}"
            );
        }
    }
    // The default thresholds, each probability the share of trials.csv's rows above it.
    let fractions: Vec<f64> = trials
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let mut exceed = csv::Reader::from_path(tmp.path().join("exceedance.csv")).unwrap();
    assert_eq!(
        exceed.headers().unwrap(),
        vec![
            "metric",
            "unit",
            "threshold",
            "probability_above",
            "se",
            "ci95_low",
            "ci95_high",
            "trials"
        ]
    );
    let rows: Vec<csv::StringRecord> = exceed.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for (row, t) in rows.iter().zip([0.1, 0.2, 0.3]) {
        assert_eq!(
            (&row[0], &row[2]),
            ("shortfall_fraction", t.to_string().as_str())
        );
        let above = fractions.iter().filter(|&&x| x as f32 > t as f32).count();
        let p: f64 = row[3].parse().unwrap();
        assert_eq!(p, above as f64 / 300.0, "{row:?}");
        let (lo, hi): (f64, f64) = (row[5].parse().unwrap(), row[6].parse().unwrap());
        assert!(lo <= p && p <= hi, "{row:?}");
        assert_eq!(&row[7], "300");
    }
    assert!(stdout.contains("P(shortfall_fraction > 0.2) = "));

    let yearly = std::fs::read_to_string(tmp.path().join("yearly.csv")).unwrap();
    assert!(yearly.starts_with("year,commodity,unit,delivered_mean,"));
    // The years' disruption-free means add up to the horizon's in summary.csv (a
    // different path: per-trial totals there, per-year means here).
    let summary_mean = |metric: &str| -> f64 {
        let text = std::fs::read_to_string(tmp.path().join("summary.csv")).unwrap();
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{metric},")))
            .unwrap();
        row.split(',').nth(2).unwrap().parse().unwrap()
    };
    for k in [
        "antimony",
        "copper_concentrate",
        "ree_concentrate",
        "ree_oxide",
    ] {
        let (mut cf, mut short) = (0.0, 0.0);
        for line in yearly
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some(k))
        {
            let f: Vec<f64> = (line.split(',').skip(3))
                .map(|x| x.parse().unwrap_or(f64::NAN))
                .collect();
            cf += f[10];
            short += f[5];
            let share = f[11];
            assert!(f[10] == 0.0 && share.is_nan() || (share - f[5] / f[10]).abs() < 1e-12);
        }
        let want = summary_mean(&format!("counterfactual.{k}"));
        assert!((cf - want).abs() <= 1e-9 * want, "{k}: {cf} vs {want}");
        let want = summary_mean(&format!("shortfall.{k}"));
        assert!(
            (short - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{k}: {short} vs {want}"
        );
    }
    assert_eq!(yearly.lines().count(), 1 + 8 * 4, "8 years x 4 commodities");
    // The tails, after the columns above: percentiles in order, and the mean of the
    // worst 5% beyond the percentile at its edge (the lowest deliveries, the highest
    // shortfalls; both read off the same buckets, so but for the rounding of a mean).
    // Against each trial's deliveries in trials.csv, the percentiles lie within the
    // sketch's relative accuracy (0.5%) of the order statistic, and the tail mean within
    // it of the mean of the lowest 5%.
    let trials_csv = std::fs::read_to_string(tmp.path().join("trials.csv")).unwrap();
    let mut trial_lines = trials_csv.lines();
    let trial_header: Vec<&str> = trial_lines.next().unwrap().split(',').collect();
    let trial_rows: Vec<Vec<&str>> = trial_lines.map(|l| l.split(',').collect()).collect();
    let header: Vec<&str> = yearly.lines().next().unwrap().split(',').collect();
    assert!(header.ends_with(&[
        "delivered_p5",
        "delivered_p95",
        "delivered_cvar95",
        "shortfall_p5",
        "shortfall_p95",
        "shortfall_cvar95",
    ]));
    for line in yearly.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let at = |name: &str| -> f64 {
            let i = header.iter().position(|h| *h == name).unwrap();
            cells[i].parse().unwrap()
        };
        for what in ["delivered", "shortfall"] {
            let p = |q: &str| at(&format!("{what}_p{q}"));
            assert!(
                p("5") <= p("10") && p("10") <= p("50") && p("50") <= p("90") && p("90") <= p("95"),
                "{line}"
            );
        }
        let slack = |x: f64| 1e-12 * x.abs();
        assert!(
            at("delivered_cvar95") <= at("delivered_p5") + slack(at("delivered_p5")),
            "{line}"
        );
        assert!(
            at("shortfall_cvar95") >= at("shortfall_p95") - slack(at("shortfall_p95")),
            "{line}"
        );
        let name = format!("delivered.{}.{}", cells[1], cells[0]);
        let i = trial_header.iter().position(|h| *h == name).unwrap();
        let mut xs: Vec<f64> = trial_rows.iter().map(|r| r[i].parse().unwrap()).collect();
        xs.sort_by(f64::total_cmp);
        let n = xs.len();
        let within = |got: f64, exact: f64| (got - exact).abs() <= 0.005 * exact.abs() + 1e-9;
        for (q, p) in [("p5", 0.05), ("p95", 0.95)] {
            let exact = xs[(p * (n - 1) as f64).round() as usize];
            let got = at(&format!("delivered_{q}"));
            assert!(within(got, exact), "{name} {q}: {got} vs {exact}");
        }
        let k = (n as f64 * 0.05).ceil() as usize;
        let exact = xs[..k].iter().sum::<f64>() / k as f64;
        let got = at("delivered_cvar95");
        assert!(within(got, exact), "{name} cvar95: {got} vs {exact}");
    }

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["trials"], 300);
    assert_eq!(manifest["seed"], 5);
    // The command line as given, so that the run can be repeated.
    let arguments: Vec<&str> = manifest["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(arguments[..5], ["run", "--trials", "300", "--seed", "5"]);
    // The copy as written: the scenario's bytes, then the seed and trials of the flags.
    let bytes = std::fs::read(scenario("baseline.toml")).unwrap();
    let copy = std::fs::read(tmp.path().join("scenario.toml")).unwrap();
    assert!(copy.starts_with(&bytes) && copy.len() > bytes.len());
    assert_eq!(
        manifest["scenario_sha256"],
        shortfall::report::files::sha256_hex(&copy)
    );
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".partial")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_folder_in_the_way_of_one_output_leaves_no_file_of_the_run() {
    // A folder named as the first file renamed, and as the last: either way, nothing
    // of the run is left, under its final name or a temporary one.
    for blocked in ["trials.csv", "manifest.json"] {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join(blocked)).unwrap();
        let out = run_into(tmp.path(), &["--trials", "20"]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{blocked}: a folder of that name is in the way")),
            "{stderr}"
        );
        let left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, [blocked], "{blocked}");
    }
}

#[test]
fn a_trial_with_millions_of_events_stops_the_run_with_a_message_naming_the_hazard() {
    // A self-exciting hazard whose mean count passes `check` (about 100,000 events a
    // trial at most), but so close to a branching ratio of 1 that one of its bursts
    // brings millions of events in trial 252 of seed 54: the same trial on 1 thread or 2.
    // On 1 thread into folders the run makes: none is left behind. On 2 into a folder
    // with an earlier run's files: they stay, and the run says they are not its own.
    for threads in ["1", "2"] {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a").join("b");
        let into = if threads == "1" {
            fresh.as_path()
        } else {
            std::fs::write(tmp.path().join("manifest.json"), "{}").unwrap();
            tmp.path()
        };
        let out = run_into(
            into,
            &[
                "--trials",
                "300",
                "--seed",
                "54",
                "--threads",
                threads,
                "--set",
                "hazards[kkh_protests].self_excitation={ jump = 0.9998, decay_days = 0.1 }",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error: scenario baseline: trial 252 drew more than 1,000,000 events, most of them of hazard `kkh_protests` (this trial drew hazards[kkh_protests].rate_per_year = 2.4626)"),
            "{stderr}"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let earlier = "still holds the files of an earlier run (see its manifest.json)";
        if threads == "1" {
            assert!(left.is_empty(), "{left:?}");
            assert!(!stderr.contains(earlier), "{stderr}");
        } else {
            assert_eq!(left, ["manifest.json"]);
            assert!(stderr.contains(earlier), "{stderr}");
        }
    }
}

#[test]
fn without_hazards_every_shortfall_is_exactly_zero() {
    // The two runs of the flow sum the same deliveries in another order; their rounding
    // (1e-16) is not a shortfall.
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec!["--trials".to_string(), "300".into()];
    for h in [
        "bla_attacks",
        "karachi_attacks",
        "ttp_attacks",
        "balochistan_blockades",
        "kkh_protests",
        "cyber",
    ] {
        args.extend(["--set".into(), format!("hazards[{h}].rate_per_year=0")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_into(tmp.path(), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = csv::Reader::from_path(tmp.path().join("trials.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    let cols: Vec<usize> = (0..headers.len())
        .filter(|&i| headers[i].starts_with("shortfall") || headers[i].starts_with("lost"))
        .collect();
    assert!(cols.len() > 10);
    // A fraction is empty where nothing of it would have flowed: the column of its
    // base (with no shortfall, a phase's delivered value is its counterfactual).
    let base = |name: &str| -> Option<usize> {
        let base = match name {
            "shortfall_fraction" => "counterfactual_value".to_string(),
            "shortfall_fraction_mass" => "counterfactual_mass".to_string(),
            _ => match name.strip_prefix("shortfall_fraction.") {
                Some(p) if p.starts_with("phase.") => format!("delivered_value.{p}"),
                Some(c) => format!("counterfactual.{c}"),
                None => return None,
            },
        };
        Some(headers.iter().position(|h| h == base).expect(&base))
    };
    for rec in r.records() {
        let rec = rec.unwrap();
        for &i in &cols {
            let undefined = rec[i].is_empty() && base(&headers[i]).is_some_and(|b| &rec[b] == "0");
            assert!(
                undefined || rec[i] == *"0",
                "trial {}: {} = {}",
                &rec[0],
                &headers[i],
                &rec[i]
            );
        }
    }
}

#[test]
fn check_and_run_note_parts_of_the_network_that_nothing_reaches() {
    let small = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valid_small.toml"),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // The standard error of `args` (with the scenario `text` as `orphan.toml`), which
    // must succeed.
    let stderr_of = |text: &str, args: &[&str]| {
        std::fs::write(tmp.path().join("orphan.toml"), text).unwrap();
        let out = shortfall()
            .current_dir(tmp.path())
            .args(args)
            .arg("orphan.toml")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let check = ["check"];
    // A stockpile of gold that no mine supplies, feeding a plant that makes bars.
    let orphan = small.replace("[[hazards]]", ORPHAN_CHAIN);
    let notes = [
        "note: orphan.toml: stockpile `yard` holds `gold`, which no mine upstream of it produces and no initial inventory supplies: it will stay empty",
        "note: orphan.toml: plant `plant` takes `gold`, which no mine upstream of it produces: it will make nothing",
        "note: orphan.toml: nothing supplies commodity `gold`",
        "note: orphan.toml: nothing supplies commodity `bar`",
    ];
    for args in [&check[..], &["run", "--trials", "20", "--out", "o"]] {
        let stderr = stderr_of(&orphan, args);
        for n in notes {
            assert!(stderr.contains(n), "{n}\n{stderr}");
        }
    }
    // With an initial inventory at the yard, the gold and the bars are supplied (the
    // note that no commodity has a value stays).
    let stocked = orphan.replace(
        "commodity = \"gold\"",
        "commodity = \"gold\"\ninitial_inventory = 500",
    );
    let stderr = stderr_of(&stocked, &check);
    assert!(
        !stderr.contains("supplies") && !stderr.contains("upstream"),
        "{stderr}"
    );
    // A port's initial inventory supplies its stocks (of ore and of bars, which arrive
    // there): bars are then supplied, gold still not.
    let stocked_port = orphan.replacen(
        "capacity_per_day = 100\ninventory_max = 1000",
        "capacity_per_day = 100\ninventory_max = 1000\ninitial_inventory = 500",
        1,
    );
    assert!(stocked_port.contains("initial_inventory = 500"));
    let stderr = stderr_of(&stocked_port, &check);
    assert!(
        stderr.contains("nothing supplies commodity `gold`"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("nothing supplies commodity `bar`"),
        "{stderr}"
    );
    // A road or port that can carry nothing, and a road longer than the horizon.
    for (from, to, note) in [
        (
            "capacity_per_day = 20",
            "capacity_per_day = 0",
            "route `road` has capacity_per_day 0: nothing passes along it",
        ),
        (
            "capacity_per_day = 100",
            "capacity_per_day = 0",
            "port `port` has capacity_per_day 0: it ships nothing",
        ),
        (
            "transit_days = 2",
            "transit_days = 900",
            "route `road` takes longer than the horizon: nothing it carries arrives",
        ),
    ] {
        let stderr = stderr_of(&small.replace(from, to), &check);
        assert!(
            stderr.contains(&format!("note: orphan.toml: {note}")),
            "{stderr}"
        );
    }
}

/// A stockpile, plant and their routes that no mine feeds (put before `[[hazards]]`).
const ORPHAN_CHAIN: &str = r#"[[commodities]]
name = "gold"
[[commodities]]
name = "bar"
[[sites]]
name = "yard"
kind = "stockpile"
region = "A"
commodity = "gold"
capacity_per_day = 10
inventory_max = 100
[[sites]]
name = "plant"
kind = "plant"
region = "A"
input = "gold"
output = "bar"
yield = 0.5
capacity_per_day = 10
inventory_max = 100
[[routes]]
name = "yard_plant"
from = "yard"
to = "plant"
regions = ["A"]
capacity_per_day = 10
transit_days = 1
[[routes]]
name = "plant_port"
from = "plant"
to = "port"
regions = ["A"]
capacity_per_day = 10
transit_days = 1
[[hazards]]"#;

#[test]
fn a_run_in_which_nothing_could_be_delivered_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let note = "Nothing would be delivered even without disruptions";
    let out = run_into(
        tmp.path(),
        &[
            "--trials",
            "20",
            "--set",
            "sites[karachi_port].capacity_per_day=0",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(note));
    let report = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(report.contains(note));
    // Not where something flows.
    let out = run_into(tmp.path(), &["--trials", "20"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("shortfall_fraction"), "{stdout}");
    assert!(!stdout.contains(note), "{stdout}");
}

#[test]
fn thresholds_set_on_the_command_line_replace_the_default_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_into(
        tmp.path(),
        &[
            "--trials",
            "60",
            "--set",
            "thresholds.shortfall_fraction.antimony=[0.2, 0.5]",
            "--set",
            "thresholds.mines_producing_at_horizon=[3]",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(tmp.path().join("exceedance.csv")).unwrap();
    let firsts: Vec<(&str, &str)> = (text.lines().skip(1))
        .map(|l| {
            let mut f = l.split(',');
            (f.next().unwrap(), f.nth(1).unwrap())
        })
        .collect();
    assert_eq!(
        firsts,
        [
            ("shortfall_fraction.antimony", "0.2"),
            ("shortfall_fraction.antimony", "0.5"),
            ("mines_producing_at_horizon", "3")
        ],
        "in the order of summary.csv's rows"
    );
    // Four mines produce from the start, in every trial.
    assert!(text.lines().last().unwrap().contains(",3,1,0,"), "{text}");
}

#[test]
fn files_are_identical_for_one_two_and_three_threads() {
    let dirs = [1, 2, 3].map(|_| tempfile::tempdir().unwrap());
    // More trials than one chunk, so that chunk boundaries are crossed.
    let n = (shortfall::engine::CHUNK + 300).to_string();
    for (dir, threads) in dirs.iter().zip(["1", "2", "3"]) {
        let out = run_into(
            dir.path(),
            &["--trials", &n, "--seed", "9", "--threads", threads],
        );
        assert!(out.status.success());
    }
    same_files(dirs[0].path(), dirs[1].path());
    same_files(dirs[0].path(), dirs[2].path());
}

/// Every file of two output folders is the same, byte for byte, but for what says how
/// the run was made: the manifest's arguments, thread count, start and elapsed time,
/// and the report's table of provenance (which also gives them). The rest of those two
/// files is compared too.
fn same_files(a: &Path, b: &Path) {
    let names = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let files = names(a);
    assert_eq!(files, names(b));
    assert!(files.iter().any(|f| f.ends_with(".png")), "{files:?}");
    assert!(files.iter().any(|f| f == "manifest.json"), "{files:?}");
    for f in files {
        let (x, y) = (
            without_provenance(&a.join(&f)),
            without_provenance(&b.join(&f)),
        );
        assert!(x == y, "{f} differs between thread counts");
    }
}

/// A file's bytes, less what says how the run was made (see `same_files`).
fn without_provenance(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    match path.file_name().unwrap().to_str().unwrap() {
        "manifest.json" => {
            let mut m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let m = m.as_object_mut().unwrap();
            for key in ["arguments", "threads", "started", "elapsed_seconds"] {
                assert!(m.remove(key).is_some(), "manifest.json has no `{key}`");
            }
            serde_json::to_vec(m).unwrap()
        }
        "report.html" => {
            let text = String::from_utf8(bytes).unwrap();
            let start = text.find("<table id=\"provenance\">").expect("provenance");
            let end = start + text[start..].find("</table>").unwrap();
            format!("{}{}", &text[..start], &text[end..]).into_bytes()
        }
        _ => bytes,
    }
}

#[test]
fn a_run_never_replaces_its_own_scenario_and_its_copy_says_how_it_ran() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("baseline.toml")).unwrap();
    // The scenario as `scenario.toml` (or as `compare`'s copy) in the output folder:
    // refused before any trial, so at once even for a hundred million trials (the run
    // would not end within the timeout).
    let own = tmp.path().join("own");
    std::fs::create_dir(&own).unwrap();
    std::fs::write(own.join("scenario.toml"), &text).unwrap();
    std::fs::write(own.join("scenario-1-baseline.toml"), &text).unwrap();
    let param = "hazards[cyber].rate_per_year";
    for args in [
        vec!["run", "scenario.toml"],
        vec!["sensitivity", "scenario.toml", "--swing-trials", "5"],
        vec![
            "sweep",
            "scenario.toml",
            "--param",
            param,
            "--values",
            "1,2",
        ],
        vec!["compare", "scenario-1-baseline.toml", "scenario.toml"],
    ] {
        let out = shortfall()
            .current_dir(&own)
            .args(&args)
            .args(["--trials", "100000000", "--out", "."])
            .timeout(std::time::Duration::from_secs(300))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let copy = if args[0] == "compare" {
            "scenario-1-baseline.toml"
        } else {
            "scenario.toml"
        };
        assert!(
            stderr.contains(&format!("cannot write ./{copy}: it is a file this run reads (one of its inputs); the results would replace it")),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(own.join(copy)).unwrap(), text);
        assert_eq!(std::fs::read_dir(&own).unwrap().count(), 2);
    }
    // A seed and trials from the flags are given at the end of the copy, which repeats
    // the run; without them, the copy is the scenario byte for byte.
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    assert!(
        run_into(&a, &["--trials", "30", "--seed", "8"])
            .status
            .success()
    );
    let copy = std::fs::read_to_string(a.join("scenario.toml")).unwrap();
    assert_eq!(
        copy,
        format!(
            "{text}\n# Run with seed 8 and 30 trials (the scenario's own: seed 20250908, 10000 trials); to repeat it:\n# shortfall run scenario.toml --seed 8 --trials 30\n"
        )
    );
    // The manifest's SHA-256 is that of the copy as written.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["scenario_sha256"],
        shortfall::report::files::sha256_hex(copy.as_bytes())
    );
    let again = shortfall()
        .arg("run")
        .arg(a.join("scenario.toml"))
        .args(["--seed", "8", "--trials", "30", "--out"])
        .arg(&b)
        .output()
        .unwrap();
    assert!(again.status.success());
    for f in ["summary.csv", "trials.csv", "yearly.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap()
        );
    }
    let small = format!(
        "trials = 20\nseed = 4\n{}",
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valid_small.toml")
        )
        .unwrap()
    );
    let own = tmp.path().join("small.toml");
    std::fs::write(&own, &small).unwrap();
    let out = shortfall()
        .arg("run")
        .arg(&own)
        .arg("--out")
        .arg(&c)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(c.join("scenario.toml")).unwrap(),
        small
    );
    // `compare` runs every scenario with the first's seed and trials, and says so.
    let other = tmp.path().join("other.toml");
    std::fs::write(&other, small.replace("seed = 4", "seed = 99")).unwrap();
    let out = shortfall()
        .arg("compare")
        .arg(&own)
        .arg(&other)
        .arg("--out")
        .arg(tmp.path().join("d"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("note: every scenario runs with the first's seed (4) and 20 trials, on common random numbers: broken#2 sets seed 99 (ignored)"),
        "{stderr}"
    );
    let copy = std::fs::read_to_string(tmp.path().join("d/scenario-2-broken_2.toml")).unwrap();
    assert!(copy.ends_with("# Run with seed 4 and 20 trials (the scenario's own: seed 99, 20 trials); to repeat it:\n# shortfall compare scenario-1-broken.toml scenario-2-broken_2.toml --seed 4 --trials 20\n"), "{copy}");
}

/// Runs the command on the last line of `copy` in the folder that holds it (as a user
/// would paste it, its quotes taken off) into `out`.
fn repeat_from(copy: &Path, out: &Path) -> std::process::Output {
    let text = std::fs::read_to_string(copy).unwrap();
    let line = text.lines().last().unwrap();
    let command = line
        .strip_prefix("# shortfall ")
        .unwrap_or_else(|| panic!("{line}"));
    shortfall()
        .current_dir(copy.parent().unwrap())
        .args(command.split(' ').map(|a| a.trim_matches('\'')))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn the_command_at_the_end_of_a_copy_repeats_the_run_with_its_sampling_and_swing_trials() {
    let tmp = tempfile::tempdir().unwrap();
    // An uncertain capacity, so that Latin hypercube and independent draws differ.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valid_small.toml"),
    )
    .unwrap()
    .replace(
        "capacity_per_day = 10\n",
        "capacity_per_day = { pert = [5, 10, 20] }\n",
    );
    let own = tmp.path().join("small.toml");
    std::fs::write(&own, format!("trials = 40\nseed = 3\n{text}")).unwrap();
    let own = own.to_str().unwrap();
    let cases: [(&str, &[&str], &str, &str); 4] = [
        (
            "run",
            &[own, "--sampling", "lhs"],
            "scenario.toml",
            "trials.csv",
        ),
        (
            "sweep",
            &[
                own,
                "--param",
                "hazards[h].rate_per_year",
                "--values",
                "2,6",
                "--sampling",
                "lhs",
            ],
            "scenario.toml",
            "sweep.csv",
        ),
        (
            "compare",
            &[own, own, "--sampling", "lhs", "--trials", "30"],
            "scenario-2-broken_2.toml",
            "differences.csv",
        ),
        (
            "sensitivity",
            &[own, "--swing-trials", "20"],
            "scenario.toml",
            "hazards_off.csv",
        ),
    ];
    for (i, (command, args, copy, file)) in cases.into_iter().enumerate() {
        let (first, again) = (
            tmp.path().join(format!("{i}a")),
            tmp.path().join(format!("{i}b")),
        );
        let out = shortfall()
            .arg(command)
            .args(args)
            .arg("--out")
            .arg(&first)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = repeat_from(&first.join(copy), &again);
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (a, b) = (
            std::fs::read(first.join(file)).unwrap(),
            std::fs::read(again.join(file)).unwrap(),
        );
        assert!(a == b, "{command}: {file} differs when repeated");
    }
    // Not vacuous: without `--sampling lhs` the run differs.
    let plain = tmp.path().join("plain");
    assert!(run_into(&plain, &[own]).status.success());
    assert_ne!(
        std::fs::read(plain.join("trials.csv")).unwrap(),
        std::fs::read(tmp.path().join("0a/trials.csv")).unwrap()
    );
}

#[test]
fn compare_sweep_and_sensitivity_files_are_identical_for_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let small = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/valid_small.toml");
    let commands: [&[&str]; 3] = [
        &["compare", small, small],
        &[
            "sweep",
            small,
            "--param",
            "hazards[h].rate_per_year",
            "--values",
            "1,8",
        ],
        &["sensitivity", small, "--swing-trials", "40"],
    ];
    for (i, command) in commands.iter().enumerate() {
        let dirs = ["1", "2"].map(|threads| {
            let dir = tmp.path().join(format!("{i}-{threads}"));
            let out = shortfall()
                .args(*command)
                .args([
                    "--trials",
                    "300",
                    "--seed",
                    "5",
                    "--quiet",
                    "--threads",
                    threads,
                ])
                .arg("--out")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            dir
        });
        same_files(&dirs[0], &dirs[1]);
    }
}

#[test]
fn every_shipped_scenario_checks_and_runs() {
    for entry in std::fs::read_dir(scenario("")).unwrap() {
        let path = entry.unwrap().path();
        let check = shortfall().arg("check").arg(&path).output().unwrap();
        assert!(check.status.success(), "{}", path.display());
        // Every part of a shipped network can be reached.
        let stderr = String::from_utf8_lossy(&check.stderr);
        assert!(!stderr.contains("note:"), "{}: {stderr}", path.display());
        let tmp = tempfile::tempdir().unwrap();
        let out = shortfall()
            .arg("run")
            .arg(&path)
            .args(["--trials", "50", "--out"])
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_prints_the_resolved_model() {
    let out = shortfall()
        .arg("check")
        .arg(scenario("baseline.toml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "phases:",
        "sites:",
        "routes:",
        "hazards",
        "branching ratio",
        "effective rate",
        "uncertain parameters",
        // Each event of the cyber hazard hits the refinery (weight 3) or the port (2).
        "      hits: ree_refinery 60%, karachi_port 40%\n",
        "      hits: kkh_gilgit_karachi 100%\n",
        // The default thresholds.
        "thresholds (exceedance.csv gives the probability of each):\n  shortfall_fraction > 0.1, 0.2, 0.3\n",
    ] {
        assert!(
            text.contains(expected),
            "check output lacks {expected}:\n{text}"
        );
    }
}

#[test]
fn check_accepts_and_solves_hazards_just_below_a_branching_ratio_of_one() {
    // Both hazards excite themselves at 0.9997 and h excites g at 0.9: the branching
    // matrix has the eigenvalue 0.9997 twice, with one eigenvector, where power iteration
    // once overshot 1 and refused the scenario, and iterating for the long-run rates
    // stopped far short of them.
    let text = r#"
name = "near_critical"
start = "2026-01-01"
horizon = "2027-12-31"
[[commodities]]
name = "ore"
[[sites]]
name = "mine"
kind = "mine"
region = "A"
commodity = "ore"
capacity_per_day = 10
inventory_max = 100
[[sites]]
name = "port"
kind = "port"
region = "B"
capacity_per_day = 100
inventory_max = 1000
[[routes]]
name = "road"
from = "mine"
to = "port"
regions = ["A", "B"]
capacity_per_day = 20
transit_days = 2
[[hazards]]
name = "h"
kind = "attack"
regions = ["A"]
rate_per_year = 0.001
self_excitation = { jump = 0.9997, decay_days = 5 }
targets = { route = 1 }
[hazards.impact]
duration_days = 1
[[hazards]]
name = "g"
kind = "protest"
regions = ["B"]
rate_per_year = 0.001
self_excitation = { jump = 0.9997, decay_days = 20 }
excited_by = [{ hazard = "h", jump = 0.9, decay_days = 10 }]
targets = { route = 1 }
[hazards.impact]
duration_days = 1
"#;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("near_critical.toml");
    std::fs::write(&path, text).unwrap();
    let out = shortfall().arg("check").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Long-run rates (I - B)^-1 mu: h 0.001 / 0.0003, g (0.001 + 0.9 h) / 0.0003.
    let h = 0.001 / 0.0003;
    let g = (0.001 + 0.9 * h) / 0.0003;
    for expected in [
        format!("effective rate {h:.2}/yr"),
        format!("effective rate {g:.2}/yr"),
        "(spectral radius, at the jumps' upper bounds): 0.999700\n".to_string(),
    ] {
        assert!(stdout.contains(&expected), "no `{expected}` in:\n{stdout}");
    }
}

#[test]
fn check_shows_mitigations_rounded_numbers_and_every_distribution_parameter() {
    let out = shortfall()
        .arg("check")
        .arg(scenario("mitigated.toml"))
        .args([
            "--set",
            "routes[yard_port].transit_days=0.4",
            "--set",
            "prospects[phase3_ree].count=5.7",
            "--set",
            "hazards[cyber].rate_per_year={ gamma = [2, 0.5] }",
            "--set",
            "prospects[phase3_ree].viability_probability={ beta = [3, 7] }",
            "--set",
            "sites[chitral_antimony].online=2040-01-01",
            "--set",
            "sites[qilla_antimony].capacity_per_day={ pert = [1, 4, 10], shape = 6 }",
            "--set",
            "mitigations[cyber_hardening].until=2030-07-01",
            "--set",
            "hazards[cyber].impact.severity_scale=0.5",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "mitigations (factors on the hazards they cover, while in force):",
        "cyber_hardening      from 2026-01-01 until 2030-07-01: rate x pert(0.3, 0.5, 0.8), severity x 1, duration x pert(0.3, 0.5, 0.8), stand-down chance x 1; covers cyber",
        "      impacts scaled in each trial: severity x 0.5, durations x 1\n",
        "transit 0.4 (used as 1) days",
        "5.7 (used as 6) prospects",
        "gamma(shape 2, scale 0.5)",
        "beta(3, 7) on [0, 1]",
        "online only after the horizon (not in the run)",
        "pert(1, 4, 10; shape 6)",
    ] {
        assert!(
            text.contains(expected),
            "check output lacks `{expected}`:\n{text}"
        );
    }
}

#[test]
fn check_says_a_mitigation_from_after_the_horizon_is_never_in_force() {
    let out = shortfall()
        .arg("check")
        .arg(scenario("mitigated.toml"))
        .args(["--set", "mitigations[cyber_hardening].from=2040-01-01"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("cyber_hardening      from after the horizon (never in force): rate x"),
        "{text}"
    );
}

fn fails_with(args: &[&str], message: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = shortfall()
        .args(args)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr.contains(message),
        "{args:?}: expected `{message}` in {stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(!tmp.path().join("o").join("summary.csv").exists());
}

#[test]
fn bad_input_gives_a_clear_message_and_no_output() {
    fails_with(
        &["run", "--trials", "0"],
        "invalid value '0' for '--trials <TRIALS>': expected a whole number >= 1",
    );
    // A list where a table belongs, and a key of another parameterisation, in the
    // format's words.
    fails_with(
        &["run", "--set", "hazards[cyber]=[]"],
        "hazards[5]: got a list, where a table of keys belongs ([name] or { ... })",
    );
    // (A list as long as the table has keys was once read by their order, silently.)
    fails_with(
        &[
            "run",
            "--set",
            "hazards[cyber].impact=[1, 3, 0, 0, 0, 0, 1, 1, 5]",
        ],
        "hazards[cyber].impact: got a list, where a table of keys belongs ([name] or { ... })",
    );
    fails_with(
        &[
            "run",
            "--set",
            "hazards[cyber].rate_per_year={ lognormal = { median = 4, p90 = 8, mean = 3 } }",
        ],
        "with 0 < M < X, both finite; `mean` is not one of its keys",
    );
    // A key set twice, or with a key inside it, is refused, not settled silently by
    // the last.
    fails_with(
        &["run", "--set", "trials=5", "--set", "trials = 6"],
        "invalid value for --set: `trials` is set twice (`trials=5` and `trials = 6`); give each key once",
    );
    fails_with(
        &[
            "run",
            "--set",
            "hazards[cyber].impact.duration_days=5",
            "--set",
            "hazards[cyber].impact={ duration_days = 2 }",
        ],
        "invalid value for --set: `hazards[cyber].impact.duration_days=5` and `hazards[cyber].impact={ duration_days = 2 }` both set `hazards[cyber].impact.duration_days`: the one given last would replace the other; set each value once",
    );
    fails_with(
        &["run", "--trials", "99999999999999999999"],
        "expected a whole number >= 1, got `99999999999999999999`, which is far too large",
    );
    // A self-excitation so close to a branching ratio of 1 that its offspring, not its
    // rate, would flood a trial: the message names the jump.
    fails_with(
        &[
            "run",
            "--set",
            "hazards[kkh_protests].self_excitation={ jump = 0.99999, decay_days = 1 }",
        ],
        "hazards[kkh_protests].self_excitation: with it the hazards could bring about 2,178,561 events a trial (at the 99.9999th percentiles of rates, trends, phase multipliers and mitigations' rate factors, over the whole horizon, offspring included; this one 22 before its offspring, 2,177,721 with them); a trial is built for at most 200,000: lower the jumps of its self-excitation or of the hazards that excite it",
    );
    // A device or huge file named by mistake is refused, not read until memory runs out.
    fails_with(
        &["run", "/dev/zero"],
        "cannot read scenario file /dev/zero: larger than 16 MB, so not a scenario file",
    );
    // A scenario saved in Latin-1 names the line of its first byte that is not UTF-8.
    let tmp = tempfile::tempdir().unwrap();
    let latin = tmp.path().join("latin.toml");
    std::fs::write(
        &latin,
        b"name = \"x\"\n# Caf\xe9 sur la route\nstart = 2025-01-01\n",
    )
    .unwrap();
    fails_with(
        &["run", latin.to_str().unwrap()],
        "latin.toml: line 2 is not UTF-8 text (byte 0xE9, the file's byte 17); a scenario file is TOML in UTF-8",
    );
    // As a parent, it gets no hint of another path (it was found).
    let child = tmp.path().join("child.toml");
    std::fs::write(&child, "extends = \"latin.toml\"\nname = \"y\"\n").unwrap();
    let out = shortfall().arg("check").arg(&child).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2 is not UTF-8 text"), "{err}");
    assert!(!err.contains("give a path relative to this file"), "{err}");
    // Nor does a folder named as a parent; a file not found does.
    for (parent, hinted) in [("sub", false), ("missing.toml", true)] {
        std::fs::create_dir_all(tmp.path().join("sub")).unwrap();
        std::fs::write(&child, format!("extends = \"{parent}\"\nname = \"y\"\n")).unwrap();
        let out = shortfall().arg("check").arg(&child).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot read the parent scenario"), "{err}");
        assert_eq!(
            err.contains("give a path relative to this file"),
            hinted,
            "{err}"
        );
    }
    // A file in UTF-16 is named as such.
    let wide = tmp.path().join("wide.toml");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("name = \"x\"\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(&wide, utf16).unwrap();
    fails_with(
        &["run", wide.to_str().unwrap()],
        "wide.toml: it is UTF-16 text (it starts with a UTF-16 byte-order mark",
    );
    // Weights whose sum would overflow (every draw would take the last value).
    fails_with(
        &[
            "run",
            "--set",
            "sites[chagai_copper].capacity_per_day={ choice = [60, 70], weights = [1e308, 1e308] }",
        ],
        "sites[chagai_copper].capacity_per_day.weights: needs 2 weights from 0 to 1e15, not all zero, one per value",
    );
    for command in ["run", "sensitivity"] {
        fails_with(
            &[command, "--trials", "100000001"],
            "invalid value for --trials: must be from 1 to 100000000",
        );
        // A flag's value refused after parsing exits as one the parser refuses.
        let out = shortfall()
            .args([command, "--trials", "100000001"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }
    fails_with(
        &["run", "--threads", "0"],
        "invalid value '0' for '--threads <THREADS>': expected a whole number >= 1",
    );
    fails_with(
        &["run", "--threads", "100000"],
        "invalid value for --threads: must be from 1 to 1024; got 100000",
    );
    // A negative number is a bad value, not an unexpected argument.
    fails_with(
        &["run", "--seed", "-1"],
        "invalid value '-1' for '--seed <SEED>': expected a whole number from 0 to 18446744073709551615, got `-1`",
    );
    fails_with(
        &["run", "--trials", "-5"],
        "invalid value '-5' for '--trials <TRIALS>': expected a whole number >= 1",
    );
    fails_with(
        &["run", "--trials", "many"],
        "invalid value 'many' for '--trials <TRIALS>'",
    );
    fails_with(
        &["run", "no/such/file.toml"],
        "cannot read scenario file no/such/file.toml: no such file; name a scenario file, or none (or \"builtin:baseline\") for the built-in baseline",
    );
    // `builtin:baseline`, as in `extends`, names the built-in baseline.
    let plain = shortfall().arg("check").output().unwrap();
    let named = shortfall()
        .args(["check", "builtin:baseline"])
        .output()
        .unwrap();
    assert!(named.status.success());
    assert_eq!(plain.stdout, named.stdout);
    // A name close to a scenario file of its folder is taken for a slip.
    let slip = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baselin.toml");
    fails_with(
        &["run", slip.to_str().unwrap()],
        &format!(
            "no such file; did you mean {}?",
            slip.with_file_name("baseline.toml").display()
        ),
    );
    // A folder: the scenario files in it are named.
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    fails_with(
        &["run", scenarios.to_str().unwrap()],
        "scenarios: it is a folder; name a scenario file in it, such as ",
    );
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken/negative_rate.toml");
    fails_with(
        &["run", broken.to_str().unwrap()],
        "hazards[h].rate_per_year: must be a number >= 0",
    );
}

#[test]
fn an_output_folder_that_cannot_be_made_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let out = shortfall()
        .args(["run", "--trials", "10", "--out"])
        .arg(file.join("sub"))
        .output()
        .unwrap();
    // A file on the way to the folder is named.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plain-file` is a file, not a folder (in the path `"),
        "{stderr}"
    );
    // A file where the folder should be is a bad value of --out, left as it was.
    let out = shortfall()
        .args(["run", "--trials", "10", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid value for --out: `")
            && stderr.contains("plain-file` is a file, not a folder"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn a_reader_that_goes_away_ends_the_program_quietly() {
    // `shortfall check ... | head -1`: the reader closes the pipe before the program
    // writes; printing must not panic.
    let exe = assert_cmd::cargo::cargo_bin("shortfall");
    let mut child = std::process::Command::new(exe)
        .args(["check", "--resolved"])
        .arg(scenario("baseline.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}

#[test]
fn a_commodity_that_would_not_flow_has_no_shortfall_fraction_in_that_trial() {
    // A refinery that is often not online by the horizon: in those trials no oxide would
    // flow without disruptions, so its shortfall fraction is undefined (an empty cell),
    // left out of the summary and counted on the console.
    let tmp = tempfile::tempdir().unwrap();
    let out = run_into(
        tmp.path(),
        &[
            "--trials",
            "200",
            "--seed",
            "3",
            "--set",
            "projects[ree_refinery_build].duration_days={ pert = [1500, 2500, 4000] }",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut trials = csv::Reader::from_path(tmp.path().join("trials.csv")).unwrap();
    let h = trials.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (cf, frac) = (
        at("counterfactual.ree_oxide"),
        at("shortfall_fraction.ree_oxide"),
    );
    let mut defined = Vec::new();
    let mut undefined = 0;
    for row in trials.records().map(Result::unwrap) {
        let cf: f64 = row[cf].parse().unwrap();
        if cf == 0.0 {
            assert_eq!(&row[frac], "", "trial {}", &row[0]);
            undefined += 1;
        } else {
            defined.push(row[frac].parse::<f64>().unwrap());
        }
    }
    assert!(
        undefined > 0 && !defined.is_empty(),
        "both cases occur: {undefined} undefined"
    );
    let mut summary = csv::Reader::from_path(tmp.path().join("summary.csv")).unwrap();
    let row = summary
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "shortfall_fraction.ree_oxide")
        .unwrap();
    let mean: f64 = row[2].parse().unwrap();
    assert_eq!(row[11].parse::<usize>().unwrap(), defined.len(), "{row:?}");
    let want = defined.iter().sum::<f64>() / defined.len() as f64;
    // Only the order of summation differs (a running mean against a plain sum).
    assert!(
        (mean - want).abs() <= 1e-12 * want.abs(),
        "{mean} vs {want}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let note = format!(
        "Undefined, and left out of the statistics there: shortfall_fraction.ree_oxide in {undefined} of the 200 trials (its statistics cover the other {}), where nothing would have flowed without disruptions",
        defined.len()
    );
    assert!(stdout.contains(&note), "{stdout}");
    let report = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(report.contains(&note), "the report says it too");
}

/// Starts `shortfall run` of the baseline into `dir` with SIGINT and SIGTERM at their
/// defaults but `ignored` ignored (as a shell ignores SIGINT for a background job of a
/// script), waits until it has written trials, and sends it `signal` (`INT`, `TERM`).
#[cfg(unix)]
fn interrupt_run(
    dir: &Path,
    trials: &str,
    ignored: Option<libc::c_int>,
    signal: &str,
) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_shortfall"));
    cmd.args(["run", "--trials", trials, "--quiet", "--out"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    // SAFETY: between fork and exec, only sets a signal's disposition, which is
    // async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            if let Some(s) = ignored {
                libc::signal(s, libc::SIG_IGN);
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let partial = dir.join(".shortfall-partial-trials.csv");
    let began = std::time::Instant::now();
    while !std::fs::metadata(&partial).is_ok_and(|m| m.len() > 0) {
        if child.try_wait().unwrap().is_some() || began.elapsed().as_secs() > 120 {
            let _ = child.kill();
            panic!("the run ended, or wrote no trials in 120 s, before it could be signalled");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // A run that does not stop is killed, so that the test fails instead of hanging.
    while child.try_wait().unwrap().is_none() {
        if began.elapsed().as_secs() > 300 {
            let _ = child.kill();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_stops_and_removes_its_partial_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("o");
    // Far more trials than the test waits for: the run is always under way when it is
    // interrupted.
    // SIGTERM (job schedulers, `docker stop`) as Ctrl-C, with its own exit status.
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        let dir = dir.join(signal);
        let out = interrupt_run(&dir, "100000000", None, signal);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{signal}: {stderr}");
        assert!(
            stderr.contains("error: interrupted: the run stopped before it finished; no output file was written, and the partial ones were removed"),
            "{stderr}"
        );
        // The folders the run made for its files are gone with them.
        assert!(!dir.exists(), "{signal}: {} is left", dir.display());
    }
    assert!(!tmp.path().join("o").exists());
}

#[cfg(unix)]
#[test]
fn a_run_started_with_ctrl_c_ignored_keeps_ignoring_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("o");
    // Enough trials (about 2 s) that the run is under way when the signal comes.
    let out = interrupt_run(&dir, "20000", Some(libc::SIGINT), "INT");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(dir.join("trials.csv").exists() && dir.join("report.html").exists());
}

#[test]
fn a_folder_another_command_writes_into_is_refused_at_once() {
    // A command writing into a folder holds it locked until it ends; here the test
    // holds the lock, as a run under way would.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("o");
    std::fs::create_dir(&dir).unwrap();
    let held = std::fs::File::open(&dir).unwrap();
    held.try_lock().unwrap();
    let base = scenario("baseline.toml");
    let commands: [&[&str]; 4] = [
        &["run", "--trials", "20"],
        &[
            "compare",
            "builtin:baseline",
            "builtin:baseline",
            "--trials",
            "20",
        ],
        &["sensitivity", "--trials", "20", "--swing-trials", "20"],
        &[
            "sweep",
            "builtin:baseline",
            "--param",
            "hazards[cyber].rate_per_year",
            "--values",
            "1,2",
            "--trials",
            "20",
        ],
    ];
    for args in commands {
        let out = shortfall()
            .args(args)
            .arg("--out")
            .arg(&dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("another shortfall command is writing its results into this folder; give this one another --out"),
            "{args:?}: {err}"
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "{args:?}");
    }
    // Once the lock is released (the other command has ended, however), the folder is
    // free.
    drop(held);
    let out = shortfall()
        .args(["run", "--trials", "20", "--out"])
        .arg(&dir)
        .arg(&base)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("summary.csv").is_file());
}

#[test]
fn a_threshold_on_a_metric_some_trials_lack_says_what_its_probability_is_a_share_of() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_into(
        tmp.path(),
        &[
            "--trials",
            "300",
            "--set",
            "thresholds.first_mine_day.phase3_ree=[3652]",
            "--set",
            "thresholds.shortfall_fraction=[0.2]",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (_, rows) = csv_rows(&tmp.path().join("exceedance.csv"));
    let defined: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0] == "first_mine_day.phase3_ree")
        .collect();
    assert_eq!(defined.len(), 1);
    let n: u64 = defined[0][7].parse().unwrap();
    assert!(
        n < 300,
        "every trial had a viable prospect: the test needs one without"
    );
    let line = (stdout.lines())
        .find(|l| l.starts_with("P(first_mine_day.phase3_ree > 3652)"))
        .unwrap();
    assert!(
        line.ends_with(&format!(", over the {n} of 300 trials that define it")),
        "{line}"
    );
    // A metric every trial defines says nothing of the kind.
    let whole = (stdout.lines())
        .find(|l| l.starts_with("P(shortfall_fraction > "))
        .unwrap();
    assert!(!whole.contains("define it"), "{whole}");
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(
        html.contains(&format!(
            "first_mine_day.phase3_ree &gt; 3652 (over the {n} of 300 trials that define it)"
        )),
        "the report's row"
    );
    // So does compare, where it has no paired difference either.
    let out = shortfall()
        .args(["compare", "builtin:baseline"])
        .arg(scenario("mitigated.toml"))
        .args(["--trials", "300", "--quiet", "--out"])
        .arg(tmp.path().join("c"))
        .args(["--set", "thresholds.first_mine_day.phase3_ree=[3652]"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (header, rows) = csv_rows(&tmp.path().join("c/thresholds.csv"));
    let trials = header.iter().position(|h| h == "trials").unwrap();
    for (k, r) in rows.iter().enumerate() {
        let n: u64 = r[trials].parse().unwrap();
        assert!(n < 300);
        let mut expected = format!(" (over the {n} of 300 trials that define it)");
        if k > 0 {
            expected += " (no paired difference: not every trial defines it)";
        }
        assert!(stdout.contains(&expected), "{expected} in {stdout}");
    }
}
