//! Tuning and comparing: common random numbers between scenarios, sweeps, the
//! tornado, Latin hypercube sampling, induced rank correlations, `extends` and `--set`,
//! and runs to a precision.

mod common;
use common::{csv_rows, outcomes, small_text};

use assert_cmd::Command;
use shortfall::engine::outcome::{DELIVERED_VALUE, SHORTFALL_FRACTION};
use shortfall::engine::{self, Compiled, Sampling};
use shortfall::scenario::parse;
use shortfall::stats::Moments;
use shortfall::stats::design::{ks_critical, ks_statistic_uniform, spearman};
use std::path::{Path, PathBuf};

fn shortfall() -> Command {
    Command::cargo_bin("shortfall").unwrap()
}

fn compile(text: &str) -> Compiled {
    Compiled::new(parse(text, "test").unwrap())
}

/// A second hazard `g` on the road, so that one hazard can change while the other
/// stays the same.
const SECOND_HAZARD: &str = "\n[[hazards]]\nname = \"g\"\nkind = \"protest\"\nregions = [\"A\"]\nrate_per_year = 6\ntargets = { route = 1 }\n[hazards.impact]\nduration_days = 2\nseverity = { uniform = [0.2, 0.9] }\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A report page is self-contained: no scripts, no external resources, every chart
/// inline, and the named tables present.
fn self_contained(page: &Path, charts: usize, tables: &[&str]) {
    let html = std::fs::read_to_string(page).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http")
    );
    assert!(html.matches("<svg").count() >= charts, "{}", page.display());
    for t in tables {
        assert!(
            html.contains(&format!("id=\"{t}\"")),
            "{t} missing in {}",
            page.display()
        );
    }
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn a_run_into_a_used_folder_leaves_only_its_own_files_and_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.toml", &small_text(&[]));
    let out = tmp.path().join("o");
    let listed = |out: &Path| -> Vec<String> {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        let mut files: Vec<String> = m["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        files.push("manifest.json".into());
        files.sort();
        files
    };
    let present = |out: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let go = |args: &[&str]| {
        let o = shortfall()
            .args(args)
            .args(["--trials", "20", "--quiet", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let a = a.to_str().unwrap();
    go(&["compare", a, a, a]);
    let third = |out: &Path| {
        present(out)
            .into_iter()
            .find(|n| n.starts_with("scenario-3-"))
    };
    assert!(third(&out).is_some(), "{:?}", present(&out));
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    // The files removed are named.
    let said = go(&["compare", a, a]);
    assert!(
        said.contains("note: removed 1 file of the earlier results in")
            && said.contains(
                "that this command does not write (its manifest.json listed them): scenario-3-"
            ),
        "{said}"
    );
    let mut expected = listed(&out);
    expected.push("notes.txt".into());
    expected.sort();
    assert_eq!(present(&out), expected);
    assert_eq!(third(&out), None);
    go(&["run", a]);
    let mut expected = listed(&out);
    expected.push("notes.txt".into());
    expected.sort();
    assert_eq!(present(&out), expected);
    assert!(!out.join("compare.csv").exists());
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
    // A listed file this run reads, or one edited since, stays.
    let input = out.join("scenario.toml");
    std::fs::write(out.join("yearly.csv"), "edited by hand").unwrap();
    go(&["compare", input.to_str().unwrap(), a]);
    assert!(input.is_file());
    assert_eq!(
        std::fs::read(out.join("yearly.csv")).unwrap(),
        b"edited by hand"
    );
    assert!(!out.join("summary.csv").exists());
}

/// `shortfall` with `args` and `trials` trials, quietly into `out`; it must succeed.
fn shortfall_into<S: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = S>,
    out: &Path,
    trials: u64,
) -> std::process::Output {
    let output = shortfall()
        .args(args)
        .args(["--trials", &trials.to_string(), "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `shortfall compare` of `scenarios` with `trials` trials into `out`, which must succeed.
fn compare_into(out: &Path, scenarios: &[&Path], trials: u64) -> std::process::Output {
    let args = std::iter::once(Path::new("compare")).chain(scenarios.iter().copied());
    shortfall_into(args, out, trials)
}

#[test]
fn overrides_are_named_in_the_subtitles_of_compare_and_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.toml", &small_text(&[]));
    let a = a.to_str().unwrap();
    let set = "hazards[h].impact.duration_days=5";
    for (args, chart) in [
        (vec!["compare", a, a], "compare_hist.svg"),
        (
            vec![
                "sweep",
                a,
                "--param",
                "hazards[h].rate_per_year",
                "--values",
                "1,2",
            ],
            "sweep.svg",
        ),
    ] {
        let out = tmp.path().join(args[0]);
        let run = shortfall()
            .args(&args)
            .args(["--set", set, "--trials", "20", "--quiet", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let svg = std::fs::read_to_string(out.join(chart)).unwrap();
        assert!(svg.contains(&format!("with --set {set}")), "{chart}");
    }
}

#[test]
fn compared_threshold_probabilities_differ_trial_by_trial() {
    // A rate three times higher: more trials above each threshold, and the paired
    // difference is the difference of the two probabilities, within its interval.
    let tmp = tempfile::tempdir().unwrap();
    // (The small network loses little: a few ten-thousandths of its flow.)
    let thresholds = "\n[thresholds]\nshortfall_fraction = [0.0001, 0.0005]\n";
    let a = write(tmp.path(), "a.toml", &(small_text(&[]) + thresholds));
    let b = write(
        tmp.path(),
        "b.toml",
        &(small_text(&[("rate_per_year = 4", "rate_per_year = 12")]) + thresholds),
    );
    let out = compare_into(&tmp.path().join("o"), &[&a, &b], 400);
    let (h, rows) = csv_rows(&tmp.path().join("o/thresholds.csv"));
    assert_eq!(rows.len(), 4);
    let f = |r: &Vec<String>, c: &str| r[col(&h, c)].parse::<f64>().unwrap();
    for pair in rows.chunks(2) {
        let d = f(&pair[1], "difference");
        let expected = f(&pair[1], "probability_above") - f(&pair[0], "probability_above");
        assert!((d - expected).abs() < 1e-12, "{d} vs {expected}");
        assert!(d > 0.0);
        assert!(f(&pair[1], "difference_ci95_low") < d && d < f(&pair[1], "difference_ci95_high"));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("P(shortfall_fraction > 0.0005):\n  broken: "),
        "{stdout}"
    );
}

#[test]
fn a_scenario_compared_with_itself_differs_in_no_trial() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(
        tmp.path(),
        "a.toml",
        &small_text(&[("rate_per_year = 4", "rate_per_year = 30")]),
    );
    compare_into(&tmp.path().join("o"), &[&a, &a], 500);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("o/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["arguments"][0], "compare");
    assert_eq!(manifest["arguments"][3], "--trials");
    let (h, rows) = csv_rows(&tmp.path().join("o/differences.csv"));
    assert!(rows.len() > 10);
    for r in &rows {
        for c in [
            "mean_difference",
            "ci95_low",
            "ci95_high",
            "share_worse",
            "share_better",
        ] {
            assert_eq!(r[col(&h, c)].parse::<f64>().unwrap(), 0.0, "{c} in {r:?}");
        }
        assert_eq!(r[col(&h, "trials")], "500");
    }
    for f in [
        "compare.csv",
        "report.html",
        "compare_exceedance.png",
        "compare_fan.svg",
        "manifest.json",
    ] {
        assert!(tmp.path().join("o").join(f).exists(), "{f}");
    }
    // The small network has no plant: no milestones chart.
    self_contained(
        &tmp.path().join("o/report.html"),
        3,
        &["headline", "differences", "thresholds", "provenance"],
    );
    assert!(tmp.path().join("o/scenario-1-broken.toml").exists());
    assert!(tmp.path().join("o/scenario-2-broken_2.toml").exists());
    // The default thresholds, the same probability in both, and no trial differs.
    let (th, trows) = csv_rows(&tmp.path().join("o/thresholds.csv"));
    assert_eq!(trows.len(), 6);
    for pair in trows.chunks(2) {
        let p = |r: &Vec<String>| r[col(&th, "probability_above")].clone();
        assert_eq!(p(&pair[0]), p(&pair[1]));
        assert_eq!(pair[0][col(&th, "difference")], "");
        let f = |c: &str| pair[1][col(&th, c)].parse::<f64>().unwrap();
        assert_eq!(f("difference"), 0.0);
        // Newcombe's interval keeps a width when no trial differs: symmetric about 0,
        // and no wider than one Wilson interval's distance from the probability.
        let (lo, hi) = (f("difference_ci95_low"), f("difference_ci95_high"));
        assert!(lo < 0.0 && (lo + hi).abs() < 1e-12, "{lo} {hi}");
        let reach = |c: &str| (f(c) - f("probability_above")).abs();
        assert!(
            hi <= reach("ci95_low").max(reach("ci95_high")) + 1e-12,
            "{hi}"
        );
    }
    let (ch, crow) = csv_rows(&tmp.path().join("o/compare.csv"));
    assert!(ch.contains(&"broken.mean".to_string()) && ch.contains(&"broken#2.mean".to_string()));
    assert_eq!(
        crow[0][col(&ch, "broken.mean")],
        crow[0][col(&ch, "broken#2.mean")]
    );
}

#[test]
fn scenarios_share_every_draw_of_what_they_both_define() {
    // B raises g's rate and changes its severity; h is untouched. Trial by trial, h has
    // the same events in both, and g has at least A's events (more risk adds events and
    // keeps the others).
    let a = compile(&small_text(&[]).replace(
        "[[hazards]]",
        &format!("{}\n[[hazards]]", SECOND_HAZARD.trim_start()),
    ));
    let b_text = small_text(&[]).replace(
        "[[hazards]]",
        &format!(
            "{}\n[[hazards]]",
            SECOND_HAZARD
                .trim_start()
                .replace("rate_per_year = 6", "rate_per_year = 15")
                .replace("uniform = [0.2, 0.9]", "uniform = [0.5, 1.0]")
        ),
    );
    let b = compile(&b_text);
    let col = |c: &Compiled, name: &str| {
        let columns = &c.layout.columns;
        columns.iter().position(|x| x.name == name).unwrap()
    };
    let (h_a, g_a) = (col(&a, "events.h"), col(&a, "events.g"));
    let (h_b, g_b) = (col(&b, "events.h"), col(&b, "events.g"));
    let (oa, ob) = (outcomes(&a, 3, 400, 2), outcomes(&b, 3, 400, 2));
    let mut more = 0;
    for (x, y) in oa.iter().zip(&ob) {
        assert_eq!(x.metrics[h_a], y.metrics[h_b]);
        assert!(y.metrics[g_b] >= x.metrics[g_a]);
        more += (y.metrics[g_b] > x.metrics[g_a]) as u32;
    }
    // Over the two years, the higher rate adds Poisson(2 x 9 = 18) events to a trial:
    // none with probability e^-18, so that any of 400 trials adds none by chance once in
    // about 160,000 runs.
    assert_eq!(
        more, 400,
        "raising the rate added events in only {more} of 400 trials"
    );
}

#[test]
fn a_sweep_takes_negative_values() {
    // A trend may be negative: `--values -0.5,...` and `--range -0.5:...` are values,
    // not flags.
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.toml", &small_text(&[]));
    for (i, how) in [["--values", "-0.5,0,0.5"], ["--range", "-0.5:0.5:3"]]
        .iter()
        .enumerate()
    {
        let dir = tmp.path().join(format!("o{i}"));
        let a = a.to_str().unwrap();
        let param = "hazards[h].trend_per_year";
        shortfall_into(["sweep", a, "--param", param, how[0], how[1]], &dir, 50);
        let (h, rows) = csv_rows(&dir.join("sweep.csv"));
        let values: Vec<&str> = rows.iter().map(|r| r[col(&h, "value")].as_str()).collect();
        assert_eq!(values, ["-0.5", "0", "0.5"], "{how:?}");
    }
}

#[test]
fn a_sweep_gives_the_probabilities_of_thresholds_on_a_metric_it_does_not_report() {
    // `sweep.csv` has no column of the longest stretch without shipments, but the
    // scenario's threshold on it is kept and estimated at every value.
    let tmp = tempfile::tempdir().unwrap();
    let text = small_text(&[]) + "\n[thresholds]\nlongest_no_shipment_days = [0.5]\n";
    let a = write(tmp.path(), "a.toml", &text);
    let a = a.to_str().unwrap();
    let param = "hazards[h].rate_per_year";
    let args = ["sweep", a, "--param", param, "--values", "0,30"];
    shortfall_into(args, &tmp.path().join("o"), 100);
    let (th, trows) = csv_rows(&tmp.path().join("o/thresholds.csv"));
    let p = |r: &Vec<String>| r[col(&th, "probability_above")].parse::<f64>().unwrap();
    assert_eq!(trows.len(), 2);
    for r in &trows {
        assert_eq!(r[col(&th, "metric")], "longest_no_shipment_days");
        assert_eq!(r[col(&th, "trials")], "100");
    }
    assert_eq!(p(&trows[0]), 0.0, "no events, no day without shipments");
    assert!(p(&trows[1]) > 0.0, "{trows:?}");
}

#[test]
fn raising_a_rate_never_lowers_the_mean_shortfall_in_a_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    // (The small network loses little: at most a few thousandths of its flow.)
    let thresholds = "\n[thresholds]\nshortfall_fraction = [0.0005, 0.002]\n";
    let a = write(tmp.path(), "a.toml", &(small_text(&[]) + thresholds));
    let a = a.to_str().unwrap();
    let param = "hazards[h].rate_per_year";
    let args = ["sweep", a, "--param", param, "--range", "0:40:6"];
    let out = shortfall_into(args, &tmp.path().join("o"), 400);
    let (h, rows) = csv_rows(&tmp.path().join("o/sweep.csv"));
    assert_eq!(rows.len(), 6);
    let means: Vec<f64> = rows
        .iter()
        .map(|r| r[col(&h, "shortfall_fraction.mean")].parse().unwrap())
        .collect();
    assert_eq!(means[0], 0.0, "no events, no shortfall");
    for w in means.windows(2) {
        assert!(w[1] >= w[0], "{means:?}");
    }
    assert!(means[5] > means[1]);
    // The first value is the reference, without a difference from itself, as in
    // thresholds.csv; every row says how many trials its statistics cover.
    let diff = col(&h, "shortfall_fraction.difference_vs_first");
    assert_eq!(rows[0][diff], "");
    assert_eq!(rows[0][col(&h, "shortfall_fraction.difference_se")], "");
    for r in &rows {
        assert_eq!(r[col(&h, "trials")], "400");
        assert!(
            r[col(&h, "shortfall_fraction.p90_se")]
                .parse::<f64>()
                .is_ok()
        );
    }
    for (r, m) in rows[1..].iter().zip(&means[1..]) {
        let d: f64 = r[diff].parse().unwrap();
        assert!((d - (m - means[0])).abs() < 1e-12, "{d} against {m}");
    }
    assert!(tmp.path().join("o/sweep.png").exists());
    self_contained(
        &tmp.path().join("o/report.html"),
        1,
        &["sweep", "thresholds", "provenance"],
    );
    // The thresholds at every value: none exceeded without events, some at the highest
    // rate, and each paired difference from the first value is the difference of the
    // probabilities.
    let (th, trows) = csv_rows(&tmp.path().join("o/thresholds.csv"));
    assert_eq!(trows.len(), 2 * 6);
    let f = |r: &Vec<String>, c: &str| r[col(&th, c)].parse::<f64>().unwrap();
    for per_threshold in trows.chunks(6) {
        let first = &per_threshold[0];
        assert_eq!(first[col(&th, "value")], "0");
        assert_eq!(f(first, "probability_above"), 0.0);
        assert_eq!(first[col(&th, "difference")], "");
        assert!(
            f(&per_threshold[5], "probability_above") > 0.0,
            "{per_threshold:?}"
        );
        for r in &per_threshold[1..] {
            assert_eq!(r[col(&th, "threshold")], first[col(&th, "threshold")]);
            // (A mean of 400 differences of indicators against a count over 400.)
            assert!((f(r, "difference") - f(r, "probability_above")).abs() < 1e-12);
            assert_eq!(r[col(&th, "trials")], "400");
        }
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("P(shortfall_fraction > 0.0005):\n  value 0: 0.0000\n  value 8: "),
        "{stdout}"
    );
    // The first value is the reference of the paired column.
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("0 ") && l.ends_with(" reference")),
        "{stdout}"
    );
}

#[test]
fn the_tornado_ranks_a_dominant_input_first() {
    // The rate ranges over 0..40 a year; the other inputs barely move.
    let text = small_text(&[
        ("rate_per_year = 4", "rate_per_year = { uniform = [0, 40] }"),
        (
            "capacity_per_day = 20",
            "capacity_per_day = { uniform = [19, 21] }",
        ),
        (
            "duration_days = 3",
            "duration_days = { uniform = [2.8, 3.2] }",
        ),
        ("transit_days = 2", "transit_days = { choice = [2, 2] }"),
    ]) + "\n[[plan]]\nyear = 2026\ncommodity = \"ore\"\nquantity = { uniform = [100, 200] }\n"
        // (The small network loses at most a few thousandths of its flow.)
        + "\n[thresholds]\nshortfall_fraction = [0.0005, 0.002]\n"
        // A hazard that never strikes: switching it off changes nothing.
        + "\n[[hazards]]\nname = \"h0\"\nkind = \"protest\"\nregions = [\"A\"]\nrate_per_year = 0\ntargets = { route = 1 }\n[hazards.impact]\nduration_days = 3\n";
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.toml", &text);
    let args = ["sensitivity", a.to_str().unwrap(), "--swing-trials", "300"];
    shortfall_into(args, &tmp.path().join("o"), 600);
    let (h, rows) = csv_rows(&tmp.path().join("o/sensitivity.csv"));
    assert_eq!(rows[0][col(&h, "input")], "hazards[h].rate_per_year");
    // The uncertain plan target is not an input of the flow: not ranked (the rate, the
    // road's capacity and its transit are).
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| !r[col(&h, "input")].starts_with("plan["))
    );
    let rho: f64 = rows[0][col(&h, "spearman")].parse().unwrap();
    let lo: f64 = rows[0][col(&h, "spearman_ci95_low")].parse().unwrap();
    assert!(rho > 0.5 && lo > 0.0, "{rho} {lo}");
    // The tornado's centre, the same on every row: the mean shortfall with every input
    // at its median, between the shortfalls at the top input's P10 and P90.
    let centre = &rows[0][col(&h, "shortfall_at_medians")];
    assert!(
        rows.iter()
            .all(|r| &r[col(&h, "shortfall_at_medians")] == centre)
    );
    let at = |c: &str| rows[0][col(&h, c)].parse::<f64>().unwrap();
    let centre: f64 = centre.parse().unwrap();
    assert!(at("shortfall_at_p10") < centre && centre < at("shortfall_at_p90"));
    let swing = |r: &Vec<String>| r[col(&h, "swing")].parse::<f64>().unwrap().abs();
    assert!(rows[1..].iter().all(|r| swing(r) < swing(&rows[0]) / 3.0));
    let (hh, hrows) = csv_rows(&tmp.path().join("o/hazards_off.csv"));
    assert_eq!(hrows.len(), 2);
    assert_eq!(hrows[0][col(&hh, "hazard")], "h");
    let without = |r: &Vec<String>| r[col(&hh, "shortfall_without")].parse::<f64>().unwrap();
    assert_eq!(
        without(&hrows[0]),
        0.0,
        "with its one striking hazard off nothing is lost"
    );
    assert_eq!(hrows[1][col(&hh, "reduction")], "0");
    // Nor is either threshold exceeded without `h`: its reduction is the whole chance
    // with every hazard on, more than nothing for the lower threshold; without `h0`
    // every trial is as with it.
    let (th, trows) = csv_rows(&tmp.path().join("o/hazards_off_thresholds.csv"));
    assert_eq!(trows.len(), 4);
    let f = |r: &Vec<String>, c: &str| r[col(&th, c)].parse::<f64>().unwrap();
    for r in &trows {
        let (rank, hazard) = (&r[col(&th, "rank")], &r[col(&th, "hazard")]);
        let all_on = f(r, "probability_all_on");
        if hazard == "h" {
            assert_eq!(rank, "1");
            assert_eq!(f(r, "probability_without"), 0.0);
            assert!((f(r, "reduction") - all_on).abs() < 1e-12);
        } else {
            assert_eq!((rank.as_str(), hazard.as_str()), ("2", "h0"));
            assert_eq!(f(r, "probability_without"), all_on);
            assert_eq!(f(r, "reduction"), 0.0);
        }
        assert!(f(r, "ci95_low") <= f(r, "reduction") && f(r, "reduction") <= f(r, "ci95_high"));
        assert_eq!(r[col(&th, "unit")], "fraction");
        assert_eq!(r[col(&th, "trials")], "300");
    }
    assert!(f(&trows[0], "probability_all_on") > 0.0, "{trows:?}");
    assert!(f(&trows[0], "probability_all_on") >= f(&trows[1], "probability_all_on"));
    // In the report, a reduction whose interval holds 0 is marked (h0's are 0), and one
    // whose interval does not is not; a note says what the mark means.
    let page = std::fs::read_to_string(tmp.path().join("o/report.html")).unwrap();
    for r in &trows {
        let cell = format!(
            "{} ({:+.4})",
            shortfall::report::files::short(f(r, "probability_without")),
            f(r, "reduction")
        );
        let holds_zero = f(r, "ci95_low") <= 0.0 && f(r, "ci95_high") >= 0.0;
        assert!(
            page.contains(&format!(
                "<td>{cell}{}</td>",
                if holds_zero { "*" } else { "" }
            )),
            "{cell} {holds_zero}"
        );
    }
    assert!(page.contains("* Its 95% interval holds 0"));
    // What the notes say of plan targets and correlations, only where there are any:
    // this scenario has an uncertain plan target and no correlations.
    assert!(page.contains("Uncertain plan targets are not ranked"));
    assert!(!page.contains("declared rank correlations"));
    for f in [
        "hazards_off_thresholds.csv",
        "tornado.png",
        "tornado.svg",
        "hazards_off.png",
        "report.html",
    ] {
        assert!(tmp.path().join("o").join(f).exists(), "{f}");
    }
}

/// The small network with an uncertain mine capacity and no hazard events: deliveries
/// are a smooth function of the capacity.
fn capacity_only() -> Compiled {
    compile(&small_text(&[
        (
            "capacity_per_day = 10",
            "capacity_per_day = { uniform = [5, 15] }",
        ),
        ("rate_per_year = 4", "rate_per_year = 0"),
    ]))
}

#[test]
fn latin_hypercube_keeps_the_marginals_and_lowers_the_standard_error() {
    let mut c = capacity_only();
    let dist = c.model.params[0].dist.clone();
    // Marginals: the drawn capacities follow their distribution (Kolmogorov-Smirnov at
    // the 1% level), for both samplings.
    for sampling in [Sampling::Random, Sampling::Lhs] {
        c.sampling = sampling;
        let n = 3000;
        let u: Vec<f64> = outcomes(&c, 8, n, 2)
            .iter()
            .map(|o| dist.cdf(o.params[0]))
            .collect();
        let d = ks_statistic_uniform(&u);
        assert!(d < ks_critical(n as usize, 0.01), "{sampling:?}: D = {d}");
    }
    // Standard error: the spread of the mean delivered value over 30 independent runs
    // of 64 trials. An F test at the 1% level on the ratio of variances.
    let reps = 30;
    let spread = |sampling: Sampling| {
        let mut c = capacity_only();
        c.sampling = sampling;
        let mut m = Moments::default();
        for r in 0..reps {
            let o = outcomes(&c, 1000 + r, 64, 1);
            m.push(o.iter().map(|x| x.metrics[DELIVERED_VALUE]).sum::<f64>() / 64.0);
        }
        m.variance()
    };
    let (plain, lhs) = (spread(Sampling::Random), spread(Sampling::Lhs));
    let f =
        statrs::distribution::FisherSnedecor::new((reps - 1) as f64, (reps - 1) as f64).unwrap();
    let critical = statrs::distribution::ContinuousCDF::inverse_cdf(&f, 0.01);
    assert!(
        lhs / plain < critical,
        "variance ratio {} (critical {critical})",
        lhs / plain
    );
}

#[test]
fn induced_rank_correlation_matches_its_target() {
    let text = small_text(&[
        (
            "capacity_per_day = 10",
            "capacity_per_day = { uniform = [5, 15] }",
        ),
        (
            "rate_per_year = 4",
            "rate_per_year = { lognormal = { median = 4, p90 = 9 } }",
        ),
    ]) + "\n[[correlations]]\nbetween = [\"sites[mine].capacity_per_day\", \"hazards[h].rate_per_year\"]\nrank = -0.6\n";
    let mut c = compile(&text);
    assert!(c.model.correlation.is_some());
    let n = engine::CHUNK;
    for sampling in [Sampling::Random, Sampling::Lhs] {
        c.sampling = sampling;
        // Iman-Conover varies far less than independent sampling would, so the
        // tolerance comes from the spread of the induced correlation over independent
        // blocks (seeds): the mean of 12 within Student's t (11 degrees of freedom, as
        // the standard error is estimated from them) at the level of three normal
        // standard errors.
        let t11 = statrs::distribution::ContinuousCDF::inverse_cdf(
            &statrs::distribution::StudentsT::new(0.0, 1.0, 11.0).unwrap(),
            0.998_65,
        );
        let mut m = Moments::default();
        for seed in 0..12 {
            let o = outcomes(&c, 100 + seed, n, 2);
            let x: Vec<f64> = o.iter().map(|t| t.params[0]).collect();
            let y: Vec<f64> = o.iter().map(|t| t.params[1]).collect();
            m.push(spearman(&x, &y));
        }
        assert!(
            (m.mean + 0.6).abs() < t11 * m.se(),
            "{sampling:?}: mean rho {} ± {}",
            m.mean,
            m.se()
        );
        // The spread is small: independent sampling's would be sqrt(1.06 / (n - 3)).
        assert!(m.variance().sqrt() < (1.06 / (n as f64 - 3.0)).sqrt());
        // Same results for any number of threads, and in any run that covers the block.
        let (two, one) = (
            outcomes(&c, 4, 2 * n + 10, 2),
            outcomes(&c, 4, 2 * n + 10, 1),
        );
        // (Bit for bit: -0 and 0 are written differently.)
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(one.len(), two.len());
        assert!(two.iter().zip(&one).all(
            |(a, b)| bits(&a.metrics) == bits(&b.metrics) && bits(&a.params) == bits(&b.params)
        ));
        let short = outcomes(&c, 4, n + 5, 2);
        assert!(
            short[..n as usize]
                .iter()
                .zip(&two)
                .all(|(a, b)| bits(&a.params) == bits(&b.params))
        );
        let t = c.trial(4, 100);
        assert_eq!(bits(&t.params), bits(&two[100].params));
    }
}

#[test]
fn an_invalid_correlation_matrix_is_refused() {
    let text = small_text(&[
        (
            "capacity_per_day = 10",
            "capacity_per_day = { uniform = [5, 15] }",
        ),
        (
            "capacity_per_day = 20",
            "capacity_per_day = { uniform = [15, 25] }",
        ),
        ("rate_per_year = 4", "rate_per_year = { uniform = [1, 5] }"),
    ]) + "\n[[correlations]]\nbetween = [\"sites[mine].capacity_per_day\", \"hazards[h].rate_per_year\"]\nrank = 0.9\n\
          [[correlations]]\nbetween = [\"hazards[h].rate_per_year\", \"routes[road].capacity_per_day\"]\nrank = 0.9\n\
          [[correlations]]\nbetween = [\"sites[mine].capacity_per_day\", \"routes[road].capacity_per_day\"]\nrank = -0.9\n\
          [[correlations]]\nbetween = [\"sites[mine].capacity\", \"hazards[h].rate_per_year\"]\nrank = 0.2\n";
    let e = parse(&text, "t.toml").unwrap_err().to_string();
    assert!(
        e.contains("correlations: together are not a valid correlation matrix"),
        "{e}"
    );
    assert!(e.contains("not positive definite: the correlations between `sites[mine].capacity_per_day`, `routes[road].capacity_per_day` and `hazards[h].rate_per_year` contradict each other"), "{e}");
    assert!(
        e.contains("`sites[mine].capacity` is not an uncertain parameter of the scenario; did you mean `sites[mine].capacity_per_day`?"),
        "{e}"
    );
}

#[test]
fn extends_and_set_resolve_into_one_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "parent.toml", &small_text(&[]));
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    let child = write(
        &tmp.path().join("sub"),
        "child.toml",
        &format!(
            "extends = \"../parent.toml\"\nname = \"child\"\n[[hazards]]\nname = \"h\"\nrate_per_year = 9\n{SECOND_HAZARD}"
        ),
    );
    let out = shortfall()
        .arg("check")
        .arg(&child)
        .args([
            "--resolved",
            "--set",
            "hazards[g].impact.duration_days={ uniform = [1, 4] }",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resolved = String::from_utf8_lossy(&out.stdout).to_string();
    let m = parse(&resolved, "resolved").unwrap();
    assert_eq!(m.name, "child");
    assert_eq!(m.hazards.len(), 2);
    assert_eq!(m.hazards[0].rate_per_year.get(&[]), 9.0);
    // Impacts are drawn per event, not per trial: the override reaches the hazard.
    assert_eq!(
        m.hazards[1].impact.duration_days.describe(),
        "uniform(1, 4)"
    );
    assert_eq!(m.hazards[1].impact.severity.describe(), "uniform(0.2, 0.9)");
    // run records the resolved scenario and hashes it.
    let dir = tmp.path().join("o");
    let out = shortfall()
        .arg("run")
        .arg(&child)
        .args(["--trials", "50", "--set", "seed=4", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = std::fs::read(dir.join("scenario.toml")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["scenario_sha256"],
        shortfall::report::files::sha256_hex(&saved)
    );
    assert_eq!(manifest["seed"], 4);
    assert_eq!(manifest["overrides"][0], "seed=4");
    assert!(
        manifest["scenario_files"][1]
            .as_str()
            .unwrap()
            .ends_with("parent.toml")
    );
}

fn fails_with(args: &[&str], message: &str) {
    let out = shortfall().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr.contains(message),
        "{args:?}: expected `{message}` in {stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn bad_overrides_and_parents_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let small = write(tmp.path(), "small.toml", &small_text(&[]));
    let s = small.to_str().unwrap();
    fails_with(
        &["check", s, "--set", "hazards[h].rate_per_yer=3"],
        "small.toml: `hazards[h].rate_per_yer` is not a key of the scenario format; did you mean `hazards[h].rate_per_year`?",
    );
    fails_with(&["check", s, "--set", "seed"], "is not KEY=VALUE");
    // A table or list with a typo is not taken for a string.
    fails_with(
        &[
            "check",
            s,
            "--set",
            "hazards[h].rate_per_year={ pert = [1, 2 }",
        ],
        "the value of `hazards[h].rate_per_year`, `{ pert = [1, 2 }`, is not valid TOML: missing comma",
    );
    fails_with(
        &[
            "check",
            s,
            "--set",
            "thresholds.shortfall_fraction=[0.1, 0.2",
        ],
        "is not valid TOML: unclosed array",
    );
    fails_with(
        &["check", s, "--set", "hazards[h].rate_per_year=-2"],
        "hazards[h].rate_per_year: must be a number >= 0",
    );
    fails_with(
        &[
            "sweep",
            s,
            "--param",
            "hazards[x].rate_per_year",
            "--values",
            "1,2",
        ],
        "small.toml: `hazards[x].rate_per_year` names an item the scenario does not have",
    );
    fails_with(
        &[
            "sweep",
            s,
            "--param",
            "hazards[h].rate_per_year",
            "--range",
            "5:1:3",
        ],
        "invalid value for --range",
    );
    fails_with(
        &[
            "sweep",
            s,
            "--param",
            "routes[road].standby",
            "--values",
            "1,2",
        ],
        "invalid value for --param: `routes[road].standby` does not hold a number (expected a boolean)",
    );
    // A date is refused as a key, before any trial, not as a broken variant.
    for (values, got) in [("1,2", "an integer"), ("0.5,1", "a number")] {
        fails_with(
            &[
                "sweep",
                s,
                "--param",
                "sites[mine].online",
                "--values",
                values,
            ],
            &format!(
                "invalid value for --param: `sites[mine].online` does not hold a number (expected an ISO date such as 2026-12-31; got {got})"
            ),
        );
    }
    // An override of the swept key, or of a key inside it, would be dropped by every
    // value: refused.
    let uncertain = write(
        tmp.path(),
        "uncertain.toml",
        &small_text(&[("rate_per_year = 4", "rate_per_year = { pert = [2, 4, 6] }")]),
    );
    for (set, message) in [
        (
            "hazards[h].rate_per_year=3",
            "invalid value for --set: `hazards[h].rate_per_year=3` sets `hazards[h].rate_per_year`, the key --param sweeps, so",
        ),
        (
            "hazards[h].rate_per_year.pert=[1,2,3]",
            "sets `hazards[h].rate_per_year.pert`, inside `hazards[h].rate_per_year`, the key --param sweeps, so",
        ),
    ] {
        fails_with(
            &[
                "sweep",
                uncertain.to_str().unwrap(),
                "--set",
                set,
                "--param",
                "hazards[h].rate_per_year",
                "--values",
                "1,2",
            ],
            message,
        );
    }
    let h = "hazards[h].rate_per_year";
    let refused: [(&[&str], &str); 7] = [
        (
            &["sweep", s, "--param", h, "--values", "4"],
            "invalid value for --values: needs 2 to 200 values, the first the reference of the others; got 1 (for one value, use `run --set`)",
        ),
        (
            &["sensitivity", s, "--swing-trials", "18446744073709551615"],
            "invalid value for --swing-trials: must be from 1 to 100000000",
        ),
        // A value that runs on into another key on a new line is not cut short silently.
        (
            &["check", s, "--set", "hazards[h].rate_per_year=3\nseed=5"],
            "the value of `hazards[h].rate_per_year` runs on into a second key, `seed`, on a new line; give each override its own --set",
        ),
        // A refused rate is not reported again through an estimate of events made of it.
        (
            &["check", s, "--set", "hazards[h].rate_per_year=1e308"],
            "is invalid (1 problem):",
        ),
        // A seed past TOML's integers says where they end.
        (
            &["check", s, "--set", "seed=18446744073709551615"],
            "seed: must be a whole number >= 0 and at most 9223372036854775807, without a decimal point; got 1.8446744073709552e19",
        ),
        // The seed (or trials) from a flag and from --set at once.
        (
            &["run", s, "--seed", "8", "--set", "seed=7"],
            "invalid value for --seed: cannot be combined with --set seed=... (both give the seed; keep one)",
        ),
        (
            &[
                "sweep",
                s,
                "--param",
                h,
                "--values",
                "1,2",
                "--trials",
                "9",
                "--set",
                "trials = 7",
            ],
            "invalid value for --trials: cannot be combined with --set trials=...",
        ),
    ];
    for (args, message) in refused {
        fails_with(args, message);
    }
    fails_with(
        &[
            "sweep",
            s,
            "--param",
            "hazards[h].rate_per_year",
            "--values",
            "1,2.5,3,2.5",
        ],
        "invalid value for --values: 2.5 is given twice (the values in places 2 and 4); each value runs once",
    );
    // Keys that are no number of the model are refused with their own reason.
    for (param, why) in [
        ("seed", "every variant runs with the same trials and seed"),
        ("start", "it is a date"),
        ("sites[mine].name", "it is a name"),
    ] {
        fails_with(
            &["sweep", s, "--param", param, "--values", "1,2"],
            &format!("invalid value for --param: `{param}` cannot be swept: {why}"),
        );
    }
    // A swept value the key cannot take is the flag's fault, named as such (exit 2),
    // not an override the user never gave.
    for how in [["--values", "1,-2"], ["--range", "-2:1:2"]] {
        let out = shortfall()
            .args(["sweep", s, "--param", h])
            .args(how)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "invalid value for {}: `hazards[h].rate_per_year` cannot be -2: must be a number >= 0",
                how[0]
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("--set"), "{stderr}");
    }
    // `--values` and `--range` take values that begin with a hyphen (negative numbers),
    // so a flag where the value belongs is named as one.
    for (flag, message) in [
        (
            "--values",
            "expected a number (values are comma-separated, e.g. 4,8,12), got `--quiet`; it looks like a flag",
        ),
        (
            "--range",
            "`--quiet` is not LO:HI:STEPS, e.g. 4:20:5; it looks like a flag",
        ),
    ] {
        fails_with(
            &[
                "sweep",
                s,
                "--param",
                "hazards[h].rate_per_year",
                flag,
                "--quiet",
            ],
            message,
        );
    }
    fails_with(
        &[
            "sweep",
            s,
            "--param",
            "hazards[h].rate_per_year",
            "--values",
            "1,x",
        ],
        "got `x`",
    );
    let orphan = write(
        tmp.path(),
        "orphan.toml",
        "extends = \"nowhere.toml\"\nname = \"x\"\n",
    );
    fails_with(
        &["check", orphan.to_str().unwrap()],
        "extends: cannot read the parent scenario",
    );
    let a = write(tmp.path(), "loop_a.toml", "extends = \"loop_b.toml\"\n");
    write(tmp.path(), "loop_b.toml", "extends = \"loop_a.toml\"\n");
    fails_with(&["check", a.to_str().unwrap()], "makes a cycle");
    // The loop closes in the parent; the scenario asked for is named with the chain.
    let (la, lb) = (a.display(), tmp.path().join("loop_b.toml"));
    fails_with(
        &["check", a.to_str().unwrap()],
        &format!(
            "note: {} is among the parents of {la}: {la} -> {}",
            lb.display(),
            lb.display()
        ),
    );
    // A long chain without a cycle is refused for its length, not called a cycle;
    // 32 files are accepted.
    write(tmp.path(), "c0.toml", &small_text(&[]));
    for k in 1..=32 {
        let text = format!("extends = \"c{}.toml\"\nname = \"c{k}\"\n", k - 1);
        write(tmp.path(), &format!("c{k}.toml"), &text);
    }
    let c31 = tmp.path().join("c31.toml");
    let ok = shortfall()
        .args(["check", c31.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let c32 = tmp.path().join("c32.toml");
    fails_with(
        &["check", c32.to_str().unwrap()],
        "extends: a chain of `extends` may be at most 32 files long; this one goes on past 32:",
    );
    fails_with(&["compare", s], "required");
    // A name too long for a folder's name is refused before any file is written.
    let long = format!("name={}", "n".repeat(65));
    fails_with(
        &["check", s, "--set", &long],
        "name: is 65 bytes long; use a short name",
    );
    // An impact is drawn per event: it cannot be correlated, and the message says why.
    let per_event = write(
        tmp.path(),
        "per_event.toml",
        &(small_text(&[("rate_per_year = 4", "rate_per_year = { uniform = [1, 5] }")])
            + "\n[[correlations]]\nbetween = [\"hazards[h].impact.duration_days\", \"hazards[h].rate_per_year\"]\nrank = 0.5\n"),
    );
    fails_with(
        &["check", per_event.to_str().unwrap()],
        "`hazards[h].impact.duration_days` is not an uncertain parameter of the scenario; an impact is drawn anew for each event, not once per trial, so it cannot be correlated",
    );
    // A child's item whose name misses the parent's by a letter is a new item, which
    // lacks the required keys: the message says which name was probably meant.
    write(
        tmp.path(),
        "blockaded.toml",
        &small_text(&[("name = \"h\"", "name = \"blockades\"")]),
    );
    let typo = write(
        tmp.path(),
        "typo.toml",
        "extends = \"blockaded.toml\"\n[[hazards]]\nname = \"blockade\"\nrate_per_year = 9\n",
    );
    fails_with(
        &["check", typo.to_str().unwrap()],
        "  note: `hazards[blockade]` is a new item: the scenario it extends has none of that name (did you mean `blockades`?)",
    );
    // Problems in a merged scenario point to the file and line that wrote the value:
    // the parent's bad impact, in a [hazards.impact] table, and the child's unknown key.
    let parent = small_text(&[("duration_days = 3", "duration_days = { pert = [5, 1, 2] }")]);
    let parent_line = parent
        .lines()
        .position(|l| l.contains("pert = [5"))
        .unwrap()
        + 1;
    let parent = write(tmp.path(), "bad_parent.toml", &parent);
    let child = write(
        tmp.path(),
        "bad_child.toml",
        "extends = \"bad_parent.toml\"\nname = \"child\"\n\n[[routes]]\nname = \"road\"\ncapacity_per_dy = 5\n",
    );
    let (c, p) = (child.to_str().unwrap(), parent.display());
    fails_with(
        &["check", c],
        &format!("  {c}:6: routes[road].capacity_per_dy: unknown key `capacity_per_dy`"),
    );
    fails_with(
        &["check", c],
        &format!(
            "  {p}:{parent_line}: hazards[h].impact.duration_days.pert: needs [min, mode, max]"
        ),
    );
    // A value given by --set is the override's, not a file's.
    fails_with(
        &[
            "check",
            c,
            "--set",
            "hazards[h].impact.duration_days={ pert = [4, 1, 2] }",
        ],
        &format!(
            "  {c} (extends {p}) --set hazards[h].impact.duration_days={{ pert = [4, 1, 2] }}: hazards[h].impact.duration_days.pert: needs"
        ),
    );
}

#[test]
fn a_precision_run_stops_when_both_standard_errors_are_small_enough() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "s.toml",
        &small_text(&[("rate_per_year = 4", "rate_per_year = 20")]),
    );
    let run = |extra: &[&str], dir: &str| {
        let out = shortfall()
            .arg("run")
            .arg(&s)
            .args(extra)
            .args(["--quiet", "--out"])
            .arg(tmp.path().join(dir))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(tmp.path().join(dir).join("manifest.json")).unwrap(),
        )
        .unwrap();
        (String::from_utf8_lossy(&out.stdout).to_string(), m)
    };
    let (text, m) = run(&["--precision", "0.05"], "loose");
    assert!(text.contains("converged: after 4096 trials"), "{text}");
    assert_eq!(m["convergence"]["converged"], true);
    assert_eq!(m["trials"], 4096);
    let (text, m) = run(&["--precision", "0.00001", "--max-trials", "6000"], "tight");
    assert!(text.contains("NOT converged: 6000 trials"), "{text}");
    // The margin the rule applies (1 + 2 / sqrt(38)) and the target as given.
    assert!(
        text.contains("times 1.32 for its own uncertainty"),
        "{text}"
    );
    assert!(text.contains("target 0.00001"), "{text}");
    assert_eq!(m["convergence"]["converged"], false);
    let se: f64 = m["convergence"]["mean_se"].as_f64().unwrap();
    assert!(se > 0.00001);
    // A run of fixed trials is judged against the default target of 0.001: too few
    // trials for it (the P90's standard error needs 400), and a network no hazard
    // touches, whose shortfall is always 0.
    let (text, m) = run(&["--trials", "300"], "few");
    assert!(
        text.contains("NOT converged to 0.001 (the default target): the standard error of the P90 needs at least 400 trials"),
        "{text}"
    );
    assert_eq!(m["convergence"]["precision_given"], false);
    assert_eq!(m["convergence"]["converged"], false);
    // One trial has no standard error of its mean either.
    let (text, _) = run(&["--trials", "1"], "one");
    assert!(
        text.contains("that of the mean shortfall fraction at least 2; run more trials"),
        "{text}"
    );
    let (text, m) = run(
        &["--trials", "1000", "--set", "hazards[h].rate_per_year=0"],
        "calm",
    );
    assert!(
        text.contains("converged to 0.001 (the default target;"),
        "{text}"
    );
    assert_eq!(m["convergence"]["converged"], true);
    assert_eq!(m["convergence"]["mean_se"], 0.0);
    fails_with(
        &[
            "run",
            s.to_str().unwrap(),
            "--precision",
            "0.01",
            "--trials",
            "100",
        ],
        "cannot be combined with --precision",
    );
    fails_with(
        &["run", s.to_str().unwrap(), "--precision", "-1"],
        "must be a positive fraction below 0.5",
    );
    // A percentage meant as a fraction.
    fails_with(
        &["run", s.to_str().unwrap(), "--precision", "2"],
        "for 2 percentage points write 0.02); got 2",
    );
}

#[test]
fn pinned_levels_put_every_trial_at_the_same_parameter_values() {
    let mut c = capacity_only();
    c.pinned = Some(vec![0.9]);
    let o = outcomes(&c, 2, 50, 2);
    let want = c.model.params[0].dist.quantile(0.9);
    assert!(o.iter().all(|t| t.params[0] == want));
    assert!(o.iter().all(|t| t.metrics[SHORTFALL_FRACTION] == 0.0));
}

fn events_of(c: &Compiled, seed: u64, trial: u64) -> Vec<shortfall::hazards::Event> {
    let mut rng_values = Vec::new();
    // Hazards here have fixed rates: no uncertain parameters.
    assert!(c.model.params.is_empty());
    rng_values.clear();
    let mut ev = Vec::new();
    shortfall::hazards::draw_events(
        &c.model,
        &c.hazards,
        seed,
        trial,
        &rng_values,
        &c.hazard_off,
        &mut ev,
    )
    .unwrap();
    ev
}

#[test]
fn each_impact_field_keeps_its_draw_when_another_changes() {
    // B has a higher severity distribution and a different duration; every event keeps
    // its time, target, lost cargo, stand-down and delay, and its severity does not fall.
    let impact = "[hazards.impact]\nduration_days = 3\n";
    let a = compile(&small_text(&[(
        impact,
        "[hazards.impact]\nduration_days = { lognormal = { median = 2, p95 = 14 } }\nseverity = { pert = [0.2, 0.5, 1.0] }\nlost_cargo = { uniform = [0, 0.3] }\nstand_down_probability = 0.3\nstand_down_days = { pert = [5, 10, 40] }\nconstruction_delay_days = { gamma = [2, 3] }\n",
    )]));
    let b = compile(&small_text(&[(
        impact,
        "[hazards.impact]\nduration_days = { pert = [1, 4, 30] }\nseverity = { pert = [0.4, 0.7, 1.0] }\nlost_cargo = { uniform = [0, 0.3] }\nstand_down_probability = 0.3\nstand_down_days = { pert = [5, 10, 40] }\nconstruction_delay_days = { gamma = [2, 3] }\n",
    )]));
    let mut n = 0;
    for trial in 0..50 {
        let (ea, eb) = (events_of(&a, 5, trial), events_of(&b, 5, trial));
        assert_eq!(ea.len(), eb.len());
        for (x, y) in ea.iter().zip(&eb) {
            assert_eq!((x.id, x.t, x.target), (y.id, y.t, y.target));
            assert_eq!(x.lost_cargo, y.lost_cargo);
            assert_eq!(x.stand_down, y.stand_down);
            assert_eq!(x.construction_delay, y.construction_delay);
            assert!(y.severity >= x.severity, "{} < {}", y.severity, x.severity);
            n += 1;
        }
    }
    assert!(n > 200, "only {n} events compared");
}

#[test]
fn two_excitations_of_one_hazard_by_the_same_source_are_independent() {
    // g excites h twice with the same kernel: the two entries must not copy each other.
    let text = small_text(&[]).replace(
        "[[hazards]]",
        &format!(
            "{}\n[[hazards]]",
            SECOND_HAZARD.trim_start().replace(
                "rate_per_year = 6",
                "rate_per_year = 30\nexcited_by = [{ hazard = \"h\", jump = 0.4, decay_days = 5 }, { hazard = \"h\", jump = 0.4, decay_days = 5 }]"
            )
        ),
    );
    let c = compile(&text);
    // The same without the excitations: the same background events of g (same streams).
    let plain = compile(&text.replace(
        "\nexcited_by = [{ hazard = \"h\", jump = 0.4, decay_days = 5 }, { hazard = \"h\", jump = 0.4, decay_days = 5 }]",
        "",
    ));
    assert!(plain.model.hazards.iter().all(|h| h.excited_by.is_empty()));
    let g = c.model.hazards.iter().position(|h| h.name == "g").unwrap() as u16;
    let horizon = c.model.n_days as f64;
    let (mut offspring, mut expected) = (0, 0.0);
    for trial in 0..40 {
        let ev = events_of(&c, 9, trial);
        let of_g = |ev: &[shortfall::hazards::Event]| -> Vec<u64> {
            ev.iter().filter(|e| e.hazard == g).map(|e| e.id).collect()
        };
        let (all, background) = (of_g(&ev), of_g(&events_of(&plain, 9, trial)));
        assert!(background.iter().all(|id| all.contains(id)));
        offspring += all.len() - background.len();
        // Each event of h brings Poisson(0.4) events of g through each entry, after an
        // exponential delay of mean 5 days; those past the horizon are not drawn.
        expected += (ev.iter().filter(|e| e.hazard != g))
            .map(|e| 2.0 * 0.4 * (1.0 - (-(horizon - e.t) / 5.0).exp()))
            .sum::<f64>();
        let mut times: Vec<f64> = ev.iter().filter(|e| e.hazard == g).map(|e| e.t).collect();
        times.sort_by(f64::total_cmp);
        assert!(
            times.windows(2).all(|w| w[0] != w[1]),
            "duplicate events in trial {trial}"
        );
    }
    // The offspring count is Poisson given the events of h: four standard errors.
    assert!(
        (offspring as f64 - expected).abs() <= 4.0 * expected.sqrt(),
        "{offspring} offspring, expected {expected}"
    );
}

#[test]
fn compare_reports_the_problems_of_every_scenario_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(tmp.path(), "good.toml", &small_text(&[]));
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let out = shortfall()
        .arg("compare")
        .arg(&good)
        .arg(broken.join("negative_rate.toml"))
        .arg(broken.join("dots_name.toml"))
        .arg(tmp.path().join("missing.toml"))
        .args(["--trials", "10", "--out"])
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for expected in [
        "negative_rate.toml:30: hazards[h].rate_per_year: must be a number >= 0",
        "dots_name.toml:1: name: `..` is not a valid name",
        "error: cannot read scenario file",
    ] {
        assert!(
            stderr.contains(expected),
            "expected `{expected}` in {stderr}"
        );
    }
    assert_eq!(stderr.matches("error: ").count(), 3, "{stderr}");
    assert!(!tmp.path().join("o").exists());
    // `compare` of two files with one --set: its exit code and standard error.
    let compare_set = |a: &Path, b: &Path, set: &str| {
        let out = shortfall()
            .arg("compare")
            .arg(a)
            .arg(b)
            .args(["--set", set, "--trials", "10", "--out"])
            .arg(tmp.path().join("o"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A bad --set fails every scenario alike: it is reported once.
    let (code, stderr) = compare_set(&good, &good, "hazards[h].rate_per_year=-1");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("must be a number >= 0").count(),
        1,
        "{stderr}"
    );
    // A --set of a key that neither of two files has: a bad flag value for each, named
    // with its file, and the exit code of a bad flag value.
    let other = write(tmp.path(), "other.toml", &small_text(&[]));
    let (code, stderr) = compare_set(&good, &other, "hazards[nope].rate_per_year=1");
    assert_eq!(code, Some(2), "{stderr}");
    for file in ["good.toml", "other.toml"] {
        assert!(
            stderr.contains(&format!(
                "invalid value for --set: {}",
                tmp.path().join(file).display()
            )),
            "{stderr}"
        );
    }
}

#[test]
fn compare_notes_scenarios_that_cover_different_periods() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.toml", &small_text(&[]));
    let b = write(
        tmp.path(),
        "b.toml",
        &small_text(&[("horizon = \"2027-12-31\"", "horizon = \"2026-12-31\"")]),
    );
    let run = |second: &Path| {
        let out = shortfall()
            .arg("compare")
            .arg(&a)
            .arg(second)
            .args(["--trials", "20", "--quiet", "--out"])
            .arg(tmp.path().join("o"))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let note = "note: the scenarios cover different periods (broken 2026-01-01 to 2027-12-31, broken#2 2026-01-01 to 2026-12-31)";
    assert!(run(&b).contains(note));
    let same = run(&a);
    assert!(
        !same.contains("different periods") && !same.contains("note:"),
        "{same}"
    );
    // A scenario with a second mine: its fraction is of another total.
    let c = write(
        tmp.path(),
        "c.toml",
        &small_text(&[(
            "[[routes]]",
            "[[sites]]\nname = \"north\"\nkind = \"mine\"\nregion = \"A\"\ncommodity = \"ore\"\ncapacity_per_day = 4\ninventory_max = 40\n[[routes]]\nname = \"north_road\"\nfrom = \"north\"\nto = \"port\"\nregions = [\"A\"]\ncapacity_per_day = 5\ntransit_days = 1\n[[routes]]",
        )]),
    );
    let note = "note: the scenarios differ in their mines, plants or commodities (broken#2 adds north): their shortfall fractions are shares of different disruption-free totals";
    assert!(run(&c).contains(note));
    let page = std::fs::read_to_string(tmp.path().join("o/report.html")).unwrap();
    assert!(page.contains("Note: the scenarios differ in their mines, plants or commodities"));
}

#[test]
fn check_says_a_correlation_with_a_choice_comes_out_weaker() {
    let tmp = tempfile::tempdir().unwrap();
    let text = small_text(&[
        (
            "capacity_per_day = 10",
            "capacity_per_day = { choice = [5, 15] }",
        ),
        ("rate_per_year = 4", "rate_per_year = { uniform = [1, 5] }"),
    ]) + "\n[[correlations]]\nbetween = [\"sites[mine].capacity_per_day\", \"hazards[h].rate_per_year\"]\nrank = 0.8\n";
    let s = write(tmp.path(), "s.toml", &text);
    let out = shortfall().arg("check").arg(&s).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("sites[mine].capacity_per_day ~ hazards[h].rate_per_year: 0.8 (a choice has ties: the induced correlation comes out weaker)"),
        "{stdout}"
    );
}

#[test]
fn a_threshold_s_metric_is_one_key_through_extends_set_and_quotes() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "parent.toml",
        &(small_text(&[]) + "\n[thresholds]\nshortfall_fraction.ore = [0.25]\n"),
    );
    let child = write(
        tmp.path(),
        "child.toml",
        "extends = \"parent.toml\"\n[thresholds]\nshortfall_fraction = [0.3]\n",
    );
    // The parent's metric and the child's, and one more from --set, all kept.
    let out = shortfall()
        .arg("check")
        .arg(&child)
        .args(["--set", "thresholds.shortfall_value=[5]"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(
            "  shortfall_fraction > 0.3\n  shortfall_value > 5\n  shortfall_fraction.ore > 0.25\n"
        ),
        "{text}"
    );
    // A metric given both quoted and as nested keys is refused, with its line; a misspelt
    // one is reported on its own line, not on another of the same first name.
    let n = small_text(&[]).lines().count();
    let both = write(
        tmp.path(),
        "both.toml",
        &(small_text(&[])
            + "\n[thresholds]\nshortfall_fraction.ore = [0.25]\n\"shortfall_fraction.ore\" = [0.3]\n"),
    );
    fails_with(
        &["check", both.to_str().unwrap()],
        &format!(
            "both.toml:{}: thresholds.shortfall_fraction.ore: is given twice",
            n + 4
        ),
    );
    let misspelt = write(
        tmp.path(),
        "misspelt.toml",
        &(small_text(&[])
            + "\n[thresholds]\nshortfall_fraction.ore = [0.25]\nshortfall_fraction.oer = [0.1]\n"),
    );
    fails_with(
        &["check", misspelt.to_str().unwrap()],
        &format!(
            "misspelt.toml:{}: thresholds.shortfall_fraction.oer: is not a metric",
            n + 4
        ),
    );
}

#[test]
fn a_sweep_says_which_values_gave_the_same_outcome_in_every_trial() {
    // Transit days are rounded to whole days: 1.2 and 1.4 both run 1 day, 2 another.
    let tmp = tempfile::tempdir().unwrap();
    let small = write(tmp.path(), "small.toml", &small_text(&[]));
    // The console of a sweep of the road's transit days over `values`, into `folder`.
    let sweep = |values: &str, folder: &str| {
        let out = shortfall()
            .args(["sweep", small.to_str().unwrap()])
            .args(["--param", "routes[road].transit_days", "--values", values])
            .args(["--trials", "50", "-q", "--out"])
            .arg(tmp.path().join(folder))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stdout = sweep("1.2,1.4,2", "o");
    let note = "Values 1.2 and 1.4 gave the very same outcome in every trial";
    assert!(stdout.contains(note), "{stdout}");
    assert!(!stdout.contains("1.4 and 2"), "{stdout}");
    // A run of equal values is named once.
    let stdout = sweep("1.1,1.2,1.3,2,2.1", "o2");
    assert!(
        stdout.contains("Values 1.1, 1.2 and 1.3; 2 and 2.1 gave the very same outcome"),
        "{stdout}"
    );
    let report = std::fs::read_to_string(tmp.path().join("o/report.html")).unwrap();
    assert!(report.contains(note));
}

#[test]
fn comparisons_whose_folder_names_are_cut_alike_keep_apart() {
    // Names joined past 200 bytes are cut, and end with a digest of the whole name.
    let tmp = tempfile::tempdir().unwrap();
    let long = "x".repeat(59);
    let named = |file: &str, name: &str| {
        write(
            tmp.path(),
            file,
            &small_text(&[("name = \"broken\"", &format!("name = \"{name}\""))]),
        )
    };
    let (a, b, c) = (
        named("a.toml", &long),
        named("b.toml", &format!("{long}b")),
        named("c.toml", &format!("{long}c")),
    );
    for other in [&b, &c] {
        let out = shortfall()
            .current_dir(tmp.path())
            .arg("compare")
            .args([&a, &a, &a, other])
            .args(["--trials", "20", "--quiet"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let folders: Vec<String> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    for f in &folders {
        assert!(f.len() <= 200 && f.starts_with("compare-x"), "{f}");
    }
}

#[test]
fn compare_explains_a_negative_commodity_shortfall_where_there_is_one() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let out = compare_into(
        &tmp.path().join("o"),
        &[&root.join("baseline.toml"), &root.join("mitigated.toml")],
        200,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each scenario's P5s, from a run of its own on the same trials.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("o/manifest.json")).unwrap())
            .unwrap();
    let seed = manifest["seed"].to_string();
    let mut negative = Vec::new();
    for name in ["baseline", "mitigated"] {
        let dir = tmp.path().join(name);
        let file = root.join(format!("{name}.toml"));
        let args = ["run", file.to_str().unwrap(), "--seed", &seed];
        shortfall_into(args, &dir, 200);
        let (header, rows) = common::csv_rows(&dir.join("summary.csv"));
        let p5 = header.iter().position(|h| h == "p5").unwrap();
        negative.extend(
            (rows.iter())
                .filter(|r| {
                    r[0].starts_with("shortfall_fraction.") && r[p5].parse::<f64>().unwrap() < 0.0
                })
                .map(|r| format!("{} in {name}", r[0])),
        );
    }
    assert!(
        !negative.is_empty(),
        "the test needs a negative commodity shortfall"
    );
    let page = std::fs::read_to_string(tmp.path().join("o/report.html")).unwrap();
    assert!(
        page.contains(&format!(
            "A commodity's shortfall can be negative ({}, in at least 5% of the trials)",
            negative.join(", ")
        )),
        "{negative:?}"
    );
    // Where none is, nothing is said.
    let a = write(tmp.path(), "a.toml", &small_text(&[]));
    let out = compare_into(&tmp.path().join("p"), &[&a, &a], 20);
    assert!(out.status.success());
    let page = std::fs::read_to_string(tmp.path().join("p/report.html")).unwrap();
    assert!(!page.contains("shortfall can be negative"));
}
