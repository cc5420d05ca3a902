//! Charts and `report.html`: written by every run, well formed, self-contained, and
//! rendered by headless Chromium.

mod common;
use assert_cmd::Command;
use common::csv_rows;
use shortfall::engine::{self, Compiled};
use shortfall::report::{files, html};
use std::path::Path;

/// The baseline's hazards.
const HAZARDS: [&str; 6] = [
    "bla_attacks",
    "karachi_attacks",
    "ttp_attacks",
    "balochistan_blockades",
    "kkh_protests",
    "cyber",
];

const CHARTS: [&str; 7] = [
    "shortfall_hist",
    "exceedance",
    "deliveries_fan",
    "deliveries_by_commodity",
    "milestones",
    "attribution",
    "events",
];

fn run_baseline(dir: &Path, trials: &str) {
    let out = run_args(&["run", "--trials", trials, "--seed", "3"], dir);
    assert!(
        out.stderr.is_empty(),
        "no progress bar when stderr is not a terminal"
    );
}

/// `shortfall` with `args` and `--out dir`; it must succeed.
fn run_args<S: AsRef<std::ffi::OsStr>>(args: &[S], dir: &Path) -> std::process::Output {
    let out = Command::cargo_bin("shortfall")
        .unwrap()
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn every_chart_is_written_as_png_and_svg_and_parses() {
    let tmp = tempfile::tempdir().unwrap();
    run_baseline(tmp.path(), "400");
    for name in CHARTS {
        let png = image::open(tmp.path().join(format!("{name}.png"))).unwrap();
        assert_eq!(
            (png.width(), png.height()),
            shortfall::report::charts::SIZE,
            "{name}.png"
        );
        // Not a blank canvas: a chart has many distinct colours.
        let rgb = png.to_rgb8();
        let distinct: std::collections::HashSet<_> = rgb.pixels().map(|p| p.0).collect();
        assert!(distinct.len() > 20, "{name}.png looks empty");
        let svg = std::fs::read_to_string(tmp.path().join(format!("{name}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let texts: String = doc.descendants().filter_map(|n| n.text()).collect();
        assert!(
            texts.contains("scenario baseline")
                && texts.contains("400 trials")
                && texts.contains("seed 3"),
            "{name}.svg subtitle"
        );
    }
}

#[test]
fn report_is_self_contained_with_every_chart_and_table() {
    let tmp = tempfile::tempdir().unwrap();
    run_baseline(tmp.path(), "300");
    let page = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    for name in CHARTS {
        assert!(
            page.contains(&format!("<figure id=\"{name}\">\n<svg ")),
            "report lacks {name}"
        );
    }
    for table in ["summary", "yearly", "provenance"] {
        assert!(
            page.contains(&format!("<table id=\"{table}\">")),
            "report lacks the {table} table"
        );
    }
    assert!(page.contains("shortfall_fraction") && page.contains("FWO-USSM"));
    // The rows a reader could misread are explained, with the refinery's median date.
    assert!(page.contains("A commodity's shortfall fraction can be negative"));
    // p50 is column 6 of summary.csv; the plant produces from the next whole day.
    let summary = std::fs::read_to_string(tmp.path().join("summary.csv")).unwrap();
    // A metric's P50 and the date of the whole day it rounds up to.
    let median = |metric: &str| -> (f64, jiff::civil::Date) {
        let p50: f64 = summary
            .lines()
            .find(|l| l.starts_with(&format!("{metric},")))
            .and_then(|l| l.split(',').nth(6))
            .unwrap()
            .parse()
            .unwrap();
        let date = jiff::civil::date(2025, 9, 8)
            .checked_add(jiff::Span::new().days(p50.ceil() as i64))
            .unwrap();
        (p50, date)
    };
    let (_, online) = median("commissioning_day.ree_refinery");
    assert!(
        page.contains(&format!("commissioning_day.ree_refinery counts days from the start (2025-09-08, day 0): it comes online by {online} in half of the trials")),
        "{online}"
    );
    // The first phase-3 mine's day, past the horizon in most trials, is read as the
    // lower bound it is, with its median's date.
    let (p50, first) = median("first_mine_day.phase3_ree");
    assert!(p50 > 2671.0, "{p50}");
    assert!(
        page.contains(&format!("in half of them its first mine produces by {first}, past the horizon. No events are drawn after the horizon (2032-12-31, day 2671): a day past it counts only the delays of events before it, so where later events would delay the work it is early (a lower bound).")),
        "{first}"
    );
    assert!(page.contains("lost_at rows keep only a mean"));
    for external in ["src=", "href=", "<script", "<link", "url("] {
        assert!(
            !page.contains(external),
            "report refers to something outside it: {external}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in &files {
        assert!(
            tmp.path().join(f).exists(),
            "manifest lists {f}, which is missing"
        );
    }
    assert!(files.contains(&"report.html") && files.contains(&"events.svg"));
}

#[test]
fn a_negative_total_shortfall_is_explained_and_drawn_left_of_zero() {
    // Oxide worth less than the concentrate it is made from, and only cyber outages of
    // the refinery: each sends concentrate out unrefined, which raises the value.
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec![
        "run".to_string(),
        "--trials".into(),
        "100".into(),
        "--set".into(),
        "commodities[ree_oxide].value_per_unit=1000".into(),
        "--set".into(),
        "hazards[cyber].targets={ plant = 1 }".into(),
        "--set".into(),
        "hazards[cyber].rate_per_year=20".into(),
    ];
    for h in [
        "bla_attacks",
        "karachi_attacks",
        "ttp_attacks",
        "balochistan_blockades",
        "kkh_protests",
    ] {
        args.extend(["--set".into(), format!("hazards[{h}].rate_per_year=0")]);
    }
    run_args(&args, tmp.path());
    let report = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(
        report.contains("The total shortfall is negative in most of the trials"),
        "the note"
    );
    let svg = std::fs::read_to_string(tmp.path().join("attribution.svg")).unwrap();
    assert!(svg.contains("(below 0: a gain)"));
    // The refinery's bar is drawn, under a title that says what it shows.
    assert!(svg.contains("ree_refinery"));
    assert!(svg.contains("Sites and routes that gain the most (top 10)"));
    // And a baseline run, whose losses are all positive, has neither.
    let base = tempfile::tempdir().unwrap();
    run_baseline(base.path(), "100");
    let report = std::fs::read_to_string(base.path().join("report.html")).unwrap();
    assert!(!report.contains("The total shortfall is negative"));
    let svg = std::fs::read_to_string(base.path().join("attribution.svg")).unwrap();
    assert!(!svg.contains("a gain") && svg.contains("Sites and routes that lose the most"));
}

#[test]
fn a_run_without_losses_says_so_instead_of_drawing_empty_attribution_panels() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = ["run", "--trials", "50"].map(String::from).to_vec();
    for h in HAZARDS {
        args.extend(["--set".into(), format!("hazards[{h}].rate_per_year=0")]);
    }
    run_args(&args, tmp.path());
    let svg = std::fs::read_to_string(tmp.path().join("attribution.svg")).unwrap();
    assert!(svg.contains("No value was lost to disruptions in any trial"));
    assert!(!svg.contains("Lost value by hazard kind"));
    // Nor does the report explain negative shortfalls that no trial has.
    let report = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(!report.contains("shortfall fraction can be negative"));
    // With one hazard left, its losses are drawn.
    let args = &args[..args.len() - 2];
    run_args(args, tmp.path());
    let svg = std::fs::read_to_string(tmp.path().join("attribution.svg")).unwrap();
    assert!(!svg.contains("No value was lost") && svg.contains("Lost value by hazard kind"));
}

#[test]
fn a_long_horizon_labels_its_events_on_round_years() {
    // 76 calendar years: the labels fall on round years (every 20th in a panel a third
    // of the chart wide), not on every 13th counted back from the last.
    let tmp = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = ["run", "--trials", "10", "--set", "horizon=2100-12-31"]
        .map(String::from)
        .to_vec();
    for h in HAZARDS {
        args.extend(["--set".into(), format!("hazards[{h}].trend_per_year=0")]);
    }
    run_args(&args, tmp.path());
    let svg = std::fs::read_to_string(tmp.path().join("events.svg")).unwrap();
    let mut years: Vec<i64> = svg
        .split('>')
        .filter_map(|t| t.split('<').next())
        .filter_map(|t| t.trim().parse::<i64>().ok())
        .filter(|y| (2020..=2100).contains(y))
        .collect();
    years.sort_unstable();
    years.dedup();
    assert_eq!(years, [2040, 2060, 2080, 2100], "{years:?}");
}

#[test]
fn a_horizon_within_one_year_draws_its_events_across_the_year() {
    // One year: each hazard's mean is a line across it (a line through one point would
    // not show).
    let tmp = tempfile::tempdir().unwrap();
    run_args(
        &[
            "run",
            "--trials",
            "50",
            "--set",
            "horizon=2025-12-31",
            "--set",
            "plan=[]",
        ],
        tmp.path(),
    );
    let svg = std::fs::read_to_string(tmp.path().join("events.svg")).unwrap();
    let lines: Vec<&str> = svg
        .split("<polyline")
        .skip(1)
        .filter(|l| l.contains("stroke-width=\"3\""))
        .collect();
    // One line a hazard, each in its own panel, named by its caption.
    assert_eq!(lines.len(), 6, "{svg}");
    for name in [
        "bla_attacks (attack)",
        "kkh_protests (protest)",
        "cyber (cyber)",
    ] {
        assert!(svg.contains(name), "no panel for {name}");
    }
    for l in lines {
        let points = l
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split_whitespace().count(), 2, "{l}");
    }
}

#[test]
fn many_commodities_draw_the_six_of_highest_value() {
    // Eight commodities, each from its own mine at a different rate: the six largest
    // flows (c2 to c7) are drawn, and the subtitle says so.
    let mut text = String::from("name = \"eight\"\nhorizon = 2027-12-31\n");
    for k in 0..8 {
        text += &format!(
            "[[commodities]]\nname = \"c{k}\"\nvalue_per_unit = 1000\n\
             [[sites]]\nname = \"mine{k}\"\nkind = \"mine\"\nregion = \"A\"\ncommodity = \"c{k}\"\n\
             capacity_per_day = {}\ninventory_max = 100\n\
             [[routes]]\nname = \"road{k}\"\nfrom = \"mine{k}\"\nto = \"port\"\nregions = [\"A\"]\n\
             capacity_per_day = 50\ntransit_days = 2\n",
            k + 1
        );
    }
    text += "[[sites]]\nname = \"port\"\nkind = \"port\"\nregion = \"A\"\ncapacity_per_day = 500\ninventory_max = 1000\n";
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("eight.toml");
    std::fs::write(&file, text).unwrap();
    run_args(
        &["run", "--trials", "20", file.to_str().unwrap()],
        &tmp.path().join("o"),
    );
    let svg =
        std::fs::read_to_string(tmp.path().join("o").join("deliveries_by_commodity.svg")).unwrap();
    assert!(svg.contains("the 6 of 8 commodities of the highest disruption-free value"));
    for k in 0..8 {
        assert_eq!(svg.contains(&format!(">\nc{k} (t)\n<")), k >= 2, "c{k}");
    }
}

/// The report's tables for a fixed seed, compared with `tests/snapshots/report_tables.html`.
/// Set `UPDATE_SNAPSHOTS=1` to rewrite the snapshot after an intended change.
#[test]
fn report_tables_match_the_snapshot() {
    let c = Compiled::new(shortfall::scenario::baseline());
    let agg = engine::run(&c, 7, 300, |_, _| Ok(()), |_| {}).unwrap();
    let sums = files::summaries(&c, &agg);
    let got = html::summary_table(&c, &sums) + &html::yearly_table(&c, &agg);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/report_tables.html");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        // On CI the snapshot is checked, never rewritten (which would compare it with
        // itself).
        assert!(
            std::env::var_os("CI").is_none(),
            "UPDATE_SNAPSHOTS is set on CI: unset it, so that the snapshot is checked"
        );
        std::fs::write(&path, &got).unwrap();
    }
    let want =
        std::fs::read_to_string(&path).expect("snapshot missing: run with UPDATE_SNAPSHOTS=1");
    assert!(
        got == want,
        "report tables differ from {}; rerun with UPDATE_SNAPSHOTS=1 if intended",
        path.display()
    );
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Headless Chromium loads the page and shows the charts. CI (`CI` set) installs
/// Chromium and requires this test; elsewhere it is skipped with a note when Chromium
/// is missing.
#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (see .ci/run)"
        );
        eprintln!("chromium not installed: skipping the browser check");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    run_baseline(tmp.path(), "200");
    let page = tmp.path().join("report.html");
    let profile = tmp.path().join("profile");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.matches("<svg").count() >= CHARTS.len(),
        "rendered page shows fewer charts than written"
    );
    assert!(dom.contains("id=\"summary\"") && dom.contains("id=\"yearly\""));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(":CONSOLE("), "the page logged errors: {log}");
}

#[test]
fn progress_bar_shows_on_a_terminal_and_quiet_silences_it() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` (util-linux) not installed: skipping the terminal check");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("shortfall");
    let tmp = tempfile::tempdir().unwrap();
    let run = |extra: &str| {
        let cmd = format!(
            "{} run --trials 5000 --out {} {extra}",
            bin.display(),
            tmp.path().join("o").display()
        );
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        run("").contains("/5000 trials"),
        "a progress bar on a terminal"
    );
    assert!(
        !run("--quiet").contains("/5000 trials"),
        "--quiet hides the bar"
    );
}

#[test]
fn a_horizon_before_the_mining_phase_keeps_its_dates_and_says_how_late_days_read() {
    // The horizon ends 2027-06-30 (day 660), before the mining phase (2028-01-01, day
    // 845): prospects still begin on day 845, not on the day after the horizon, so
    // that no first mine can produce before day 845 + 365 + 730 (at least a year of
    // exploration and two of development); the refinery is not online by the horizon
    // in at least 95% of the trials, and the notes say so.
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("shortfall")
        .unwrap()
        .args([
            "run",
            "--trials",
            "200",
            "--set",
            "horizon=2027-06-30",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (header, rows) = csv_rows(&tmp.path().join("trials.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let first = col("first_mine_day.phase3_ree");
    let days: Vec<f64> = (rows.iter())
        .filter_map(|r| r[first].parse::<f64>().ok())
        .collect();
    assert!(!days.is_empty());
    let earliest = days.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(earliest >= 845.0 + 365.0 + 730.0, "{earliest}");
    // Without events (nothing to delay the work), each trial's first mine comes on the
    // same day whatever the horizon.
    let calm = |horizon: &str, dir: &str| {
        let mut args: Vec<String> = ["run", "--trials", "100", "--set", horizon]
            .map(String::from)
            .to_vec();
        for h in HAZARDS {
            args.extend(["--set".into(), format!("hazards[{h}].rate_per_year=0")]);
        }
        let out = Command::cargo_bin("shortfall")
            .unwrap()
            .args(&args)
            .arg("--out")
            .arg(tmp.path().join(dir))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (header, rows) = csv_rows(&tmp.path().join(dir).join("trials.csv"));
        let k = header
            .iter()
            .position(|h| h == "first_mine_day.phase3_ree")
            .unwrap();
        rows.iter().map(|r| r[k].clone()).collect::<Vec<String>>()
    };
    let (short, long) = (
        calm("horizon=2027-06-30", "short"),
        calm("horizon=2032-12-31", "long"),
    );
    assert!(short.iter().any(|d| !d.is_empty()));
    assert_eq!(short, long);
    let plant = col("commissioning_day.ree_refinery");
    let online = (rows.iter())
        .filter(|r| r[plant].parse::<f64>().unwrap() <= 660.0)
        .count();
    assert!(online * 20 <= rows.len(), "{online}");
    assert!(
        stdout.contains("commissioning_day.ree_refinery counts days from the start (2025-09-08, day 0): in at least 95% of the trials it is not online by the horizon; a day beyond the horizon (2027-06-30, day 660) means not online by the horizon. No events are drawn after the horizon (2027-06-30, day 660): a day past it counts only the delays of events before it, so where later events would delay the work it is early (a lower bound)."),
        "{stdout}"
    );
}
