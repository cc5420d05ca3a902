//! `summary.csv`, `trials.csv`, `yearly.csv`, `manifest.json` and the console table.

use super::{OutDir, csv_err, num, push_num};
use crate::engine::outcome::TrialOutcome;
use crate::engine::{Aggregate, Compiled};
use crate::error::Result;
use crate::stats::Summary;
use serde::Serialize;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Streams `trials.csv`: one row per trial, in trial order.
pub struct TrialsWriter {
    w: csv::Writer<BufWriter<File>>,
    path: std::path::PathBuf,
}

impl TrialsWriter {
    /// Opens `trials.csv` in `out` and writes its header.
    pub fn new(out: &mut OutDir, c: &Compiled) -> Result<TrialsWriter> {
        let path = out.path().join("trials.csv");
        let mut w = csv::Writer::from_writer(out.open("trials.csv")?);
        let mut header = vec!["trial".to_string()];
        header.extend(c.layout.columns.iter().map(|col| col.name.clone()));
        // Each calendar year's deliveries, year by year, commodity by commodity (the
        // order of `TrialOutcome::delivered_yearly`).
        let m = &c.model;
        for y in &m.years {
            header.extend((m.commodities.iter()).map(|k| format!("delivered.{}.{y}", k.name)));
        }
        header.extend(c.model.params.iter().map(|p| p.path.clone()));
        w.write_record(&header).map_err(csv_err(&path))?;
        Ok(TrialsWriter { w, path })
    }

    /// Writes one chunk of outcomes starting at trial `first`.
    pub fn write(&mut self, first: u64, outcomes: &[TrialOutcome]) -> Result<()> {
        // Field by field through one buffer, without a string per cell.
        let mut buf = String::new();
        let err = csv_err(&self.path);
        for (i, o) in outcomes.iter().enumerate() {
            self.w
                .write_field((first + i as u64).to_string())
                .map_err(&err)?;
            for &x in (o.metrics.iter())
                .chain(&o.delivered_yearly)
                .chain(&o.params)
            {
                buf.clear();
                push_num(&mut buf, x);
                self.w.write_field(&buf).map_err(&err)?;
            }
            self.w.write_record(None::<&[u8]>).map_err(&err)?;
        }
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(super::io_err(&self.path))
    }
}

/// The summary of every metric, in layout order.
pub fn summaries(c: &Compiled, agg: &Aggregate) -> Vec<Summary> {
    c.layout
        .columns
        .iter()
        .zip(&agg.columns)
        .map(|(col, st)| st.summary(col.higher_is_worse, col.whole))
        .collect()
}

/// A note on the metrics left out of the statistics in some trials because they were
/// undefined there (a commodity's shortfall fraction where nothing of it would have
/// flowed without disruptions, the time to survive at a port that would have shipped
/// nothing), or `None` if every trial defines every metric.
pub fn undefined_note(c: &Compiled, agg: &Aggregate) -> Option<String> {
    let items: Vec<String> = (c.layout.columns.iter().zip(&agg.columns))
        .filter(|(_, st)| st.moments.n < agg.trials)
        .map(|(col, st)| {
            let name = &col.name;
            let why = if name.starts_with("shortfall_fraction") {
                ", where nothing would have flowed without disruptions"
            } else if name.starts_with("survive_days.") {
                ", where the port would have shipped nothing (or next to nothing)"
            } else if name.starts_with("first_mine_day.") {
                ", where no prospect of the group proved viable"
            } else {
                ""
            };
            match st.moments.n {
                0 => format!("{name} in all {} trials{why}", agg.trials),
                n => format!(
                    "{name} in {} of the {} trials (its statistics cover the other {n}){why}",
                    agg.trials - n,
                    agg.trials
                ),
            }
        })
        .collect();
    (!items.is_empty()).then(|| {
        format!(
            "Undefined, and left out of the statistics there: {}.",
            items.join("; ")
        )
    })
}

/// What a day past `horizon` ("the horizon (2032-12-31, day 2671)") is worth.
fn late_days(horizon: &str) -> String {
    format!(
        "No events are drawn after {horizon}: a day past it counts only the delays of events before it, so where later events would delay the work it is early (a lower bound)."
    )
}

/// Notes on the metrics counted in days from the start (a plant's commissioning day, a
/// phase-3 group's first mine day): day 0's date, the median's date, and what a day past
/// the horizon means. One per such metric with a median (for the console and the
/// report).
pub fn day_notes(c: &Compiled, sums: &[Summary]) -> Vec<String> {
    let m = &c.model;
    let last = m.n_days as f64 - 1.0;
    // A site produces from the first whole day after its online time.
    let by_date = |day: f64| match super::date_after(m.start, day) {
        Some(d) => format!("by {d}"),
        None => format!("only after 9999-12-31, the last date a calendar holds (day {day:.0})"),
    };
    let horizon = format!("the horizon ({}, day {last})", m.horizon);
    let mut notes = Vec::new();
    for (col, x) in c.layout.columns.iter().zip(sums) {
        if !x.p50.is_finite() {
            continue;
        }
        if let Some(plant) = col.name.strip_prefix("commissioning_day.") {
            let median = if x.p50.ceil() <= last {
                format!("it comes online {} in half of the trials", by_date(x.p50))
            } else if x.p5.ceil() > last {
                "in at least 95% of the trials it is not online by the horizon".to_string()
            } else {
                "in at least half of the trials it is not online by the horizon".to_string()
            };
            // (Where at least 5% of the days lie past the horizon, they weigh on the
            // mean, the upper percentiles and the CVaR.)
            // (A plant online on a fixed date has no work for events to delay.)
            let built = (m.sites.iter())
                .any(|s| s.name == plant && !matches!(s.online, crate::model::Online::Day(_)));
            let late = if built && x.p95.ceil() > last {
                format!(" {}", late_days(&horizon))
            } else {
                String::new()
            };
            notes.push(format!(
                "commissioning_day.{plant} counts days from the start ({}, day 0): {median}; a day beyond {horizon} means not online by the horizon.{late}",
                m.start
            ));
        } else if let Some(group) = col.name.strip_prefix("first_mine_day.") {
            let past = if x.p50.ceil() > last {
                ", past the horizon"
            } else {
                ""
            };
            notes.push(format!(
                "first_mine_day.{group} counts days from the start ({}, day 0), in the trials where a prospect proves viable: in half of them its first mine produces {}{past}. {}{}",
                m.start,
                by_date(x.p50),
                late_days(&horizon),
                if x.p5 > last {
                    " Here at least 95% of these days lie past the horizon."
                } else {
                    ""
                }
            ));
        }
    }
    notes
}

/// A note for a run in which nothing would be delivered even without disruptions (every
/// commodity's disruption-free quantity 0 in every trial), or `None`.
pub fn nothing_flows_note(c: &Compiled, agg: &Aggregate) -> Option<String> {
    let flows = (c.layout.columns.iter().zip(&agg.columns))
        .filter(|(col, _)| {
            (c.model.commodities.iter()).any(|k| col.name == format!("counterfactual.{}", k.name))
        })
        .any(|(_, st)| st.moments.n > 0 && (st.moments.mean != 0.0 || st.moments.variance() > 0.0));
    (!flows && agg.trials > 0).then(|| {
        "Nothing would be delivered even without disruptions: every commodity's disruption-free quantity is 0 in every trial, so there is no shortfall to measure (shortfall_fraction reads 0 for that reason, not because nothing was lost). Check that the ports can ship (capacity_per_day above 0), that the mines and plants come online before the horizon, and that the horizon leaves time for the routes' transit.".to_string()
    })
}

/// `summary.csv`: one row per metric.
pub fn summary_csv(c: &Compiled, sums: &[Summary]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let p = Path::new("summary.csv");
    w.write_record([
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
        "cvar95_se",
    ])
    .map_err(csv_err(p))?;
    for (col, s) in c.layout.columns.iter().zip(sums) {
        let mut row = vec![col.name.clone(), col.unit.clone()];
        row.extend(
            [
                s.mean, s.se, s.p5, s.p10, s.p50, s.p90, s.p95, s.cvar95, s.p90_se,
            ]
            .map(num),
        );
        row.push(s.trials.to_string());
        row.extend([s.p5_se, s.p10_se, s.p50_se, s.p95_se, s.cvar95_se].map(num));
        w.write_record(&row).map_err(csv_err(p))?;
    }
    w.into_inner().map_err(|e| crate::Error::Output {
        path: p.into(),
        source: e.into_error(),
    })
}

/// The probability that each metric named in the scenario's thresholds exceeds each of
/// its values: (column, threshold, estimate), metrics in the order of the layout and
/// each metric's values in the order given.
pub fn exceedances(c: &Compiled, agg: &Aggregate) -> Vec<(usize, f64, crate::stats::Exceedance)> {
    let mut out = Vec::new();
    for t in &c.model.thresholds {
        // (Validated: a metric of the layout that keeps its values.)
        let Some(i) = c.layout.columns.iter().position(|col| col.name == t.metric) else {
            continue;
        };
        for &v in &t.values {
            out.push((i, v, crate::stats::exceedance(&agg.columns[i].values, v)));
        }
    }
    out
}

/// The columns of an exceedance estimate, in `exceedance.csv` and `compare`'s
/// `thresholds.csv`, in the order of [`exceedance_cells`].
pub const EXCEEDANCE_COLUMNS: [&str; 4] = ["probability_above", "se", "ci95_low", "ci95_high"];

/// The cells of an exceedance estimate, under [`EXCEEDANCE_COLUMNS`].
pub fn exceedance_cells(e: &crate::stats::Exceedance) -> [String; 4] {
    [e.probability, e.se, e.lo, e.hi].map(num)
}

/// `exceedance.csv`: one row per threshold.
pub fn exceedance_csv(
    c: &Compiled,
    rows: &[(usize, f64, crate::stats::Exceedance)],
) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let p = Path::new("exceedance.csv");
    let header = ["metric", "unit", "threshold"]
        .into_iter()
        .chain(EXCEEDANCE_COLUMNS)
        .chain(["trials"]);
    w.write_record(header).map_err(csv_err(p))?;
    for (i, v, e) in rows {
        let col = &c.layout.columns[*i];
        let mut row = vec![col.name.clone(), col.unit.clone(), num(*v)];
        row.extend(exceedance_cells(e));
        row.push(e.trials.to_string());
        w.write_record(&row).map_err(csv_err(p))?;
    }
    w.into_inner().map_err(|e| crate::Error::Output {
        path: p.into(),
        source: e.into_error(),
    })
}

/// The console's lines on the thresholds: `P(shortfall_fraction > 0.2) = ...`, of
/// `trials` in all.
pub fn exceedance_lines(
    c: &Compiled,
    rows: &[(usize, f64, crate::stats::Exceedance)],
    trials: u64,
) -> String {
    let mut s = String::new();
    for (i, v, e) in rows {
        s += &format!(
            "P({} > {}) = {} ± {} (95% interval {} to {}){}\n",
            c.layout.columns[*i].name,
            crate::model::dist::fmt_num(*v),
            prob(e.probability),
            prob(e.se),
            prob(e.lo),
            prob(e.hi),
            exceedance_base(e.trials, trials).map_or(String::new(), |b| format!(", {b}"))
        );
    }
    s
}

/// Where a metric is undefined in some trials (a first mine's day where no prospect
/// proved viable), the trials its probability is a share of: "over the 1,823 of 2,000
/// trials that define it".
pub fn exceedance_base(defined: u64, trials: u64) -> Option<String> {
    match defined {
        0 => Some("no trial defines it".to_string()),
        n if n < trials => Some(format!(
            "over the {} of {} trials that define it",
            super::charts::thousands(n),
            super::charts::thousands(trials)
        )),
        _ => None,
    }
}

/// `yearly.csv`: per calendar year and commodity, delivered and shortfall.
pub fn yearly_csv(c: &Compiled, agg: &Aggregate) -> Result<Vec<u8>> {
    let m = &c.model;
    let mut w = csv::Writer::from_writer(Vec::new());
    let p = Path::new("yearly.csv");
    w.write_record([
        "year",
        "commodity",
        "unit",
        "delivered_mean",
        "delivered_se",
        "delivered_p10",
        "delivered_p50",
        "delivered_p90",
        "shortfall_mean",
        "shortfall_se",
        "shortfall_p10",
        "shortfall_p50",
        "shortfall_p90",
        "counterfactual_mean",
        "shortfall_share",
        "delivered_p5",
        "delivered_p95",
        "delivered_cvar95",
        "shortfall_p5",
        "shortfall_p95",
        "shortfall_cvar95",
    ])
    .map_err(csv_err(p))?;
    let nc = m.commodities.len();
    for (y, year) in m.years.iter().enumerate() {
        for (k, com) in m.commodities.iter().enumerate() {
            let (dm, ds) = &agg.delivered[y * nc + k];
            let (sm, ss) = &agg.shortfall[y * nc + k];
            let mut row = vec![year.to_string(), com.name.clone(), com.unit.clone()];
            row.extend(
                [
                    dm.mean,
                    dm.se(),
                    ds.quantile(0.1),
                    ds.quantile(0.5),
                    ds.quantile(0.9),
                ]
                .map(num),
            );
            row.extend(
                [
                    sm.mean,
                    sm.se(),
                    ss.quantile(0.1),
                    ss.quantile(0.5),
                    ss.quantile(0.9),
                ]
                .map(num),
            );
            // Each trial's shortfall is its counterfactual less its deliveries, so the
            // means add up the same way.
            let cf = dm.mean + sm.mean;
            let share = if cf > 0.0 { sm.mean / cf } else { f64::NAN };
            row.extend([cf, share].map(num));
            // The tails (after the columns above, which keep their places): the worst
            // deliveries are the lowest, the worst shortfalls the highest.
            row.extend(
                [
                    ds.quantile(0.05),
                    ds.quantile(0.95),
                    ds.cvar95(false),
                    ss.quantile(0.05),
                    ss.quantile(0.95),
                    ss.cvar95(true),
                ]
                .map(num),
            );
            w.write_record(&row).map_err(csv_err(p))?;
        }
    }
    w.into_inner().map_err(|e| crate::Error::Output {
        path: p.into(),
        source: e.into_error(),
    })
}

/// Provenance of a run, written as `manifest.json`.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// `shortfall` version.
    pub tool_version: String,
    /// The command line as given, after the program's name.
    pub arguments: Vec<String>,
    /// Scenario name.
    pub scenario_name: String,
    /// Scenario file, or `<built-in baseline>`.
    pub scenario_path: String,
    /// Files read: the scenario, then the ones it extends.
    pub scenario_files: Vec<String>,
    /// `--set` overrides applied.
    pub overrides: Vec<String>,
    /// SHA-256 of the resolved scenario (`scenario.toml`; the file's own bytes when it
    /// neither extends another nor is overridden).
    pub scenario_sha256: String,
    /// Sampling of the uncertain parameters.
    pub sampling: crate::engine::Sampling,
    /// The outcome of a `--precision` run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convergence: Option<Convergence>,
    /// Seed.
    pub seed: u64,
    /// Trials run.
    pub trials: u64,
    /// Worker threads.
    pub threads: usize,
    /// When the run started (UTC).
    pub started: String,
    /// Wall-clock seconds.
    pub elapsed_seconds: f64,
    /// Files written, besides this one.
    pub files: Vec<String>,
}

/// The target for the standard errors of the mean shortfall fraction and of its P90
/// against which a run of a fixed number of trials is judged converged or not (a
/// tenth of a percentage point; `--precision` sets another).
pub const DEFAULT_PRECISION: f64 = 0.001;

/// Whether a run's estimates converged: a `--precision` run reached its target, or a
/// run of a fixed number of trials is within [`DEFAULT_PRECISION`].
#[derive(Debug, Clone, Serialize)]
pub struct Convergence {
    /// The target standard error (fraction).
    pub precision: f64,
    /// Whether `--precision` set the target (the run went on until it was met, or
    /// until `--max-trials`); if not, the run's fixed trials are judged against
    /// [`DEFAULT_PRECISION`].
    pub precision_given: bool,
    /// Both standard errors fell below the target.
    pub converged: bool,
    /// Trials used.
    pub trials: u64,
    /// The cap.
    pub max_trials: u64,
    /// Standard error of the mean shortfall fraction at the end.
    pub mean_se: f64,
    /// Standard error of its P90 (batch means) at the end.
    pub p90_se: f64,
    /// The run sampled by Latin hypercube, for which these independent-sampling errors
    /// are an upper bound, often well above the true error (`manifest.json` says the
    /// sampling beside).
    #[serde(skip)]
    pub latin_hypercube: bool,
}

impl Convergence {
    /// One sentence for the console and the report.
    pub fn describe(&self) -> String {
        let mut s = self.judged();
        if self.latin_hypercube {
            s.push_str(
                "; with Latin hypercube sampling these are the errors of independent sampling, an upper bound that can be several times the true error (see the README, \"Sampling and correlated inputs\")",
            );
        }
        s
    }

    fn judged(&self) -> String {
        let margin = crate::stats::p90_se_margin();
        // Three significant figures, so that an error just above the target does not
        // print as the target itself.
        let (mean, p90, target) = (figures(self.mean_se), figures(self.p90_se), self.precision);
        match (self.precision_given, self.converged) {
            (false, false) if self.p90_se.is_nan() => format!(
                "NOT converged to {target} (the default target): the standard error of the P90 needs at least 400 trials (20 batches of 20), that of the mean shortfall fraction {}; run more trials, or --precision {target} to run until both are below it",
                if self.mean_se.is_nan() {
                    "at least 2".to_string()
                } else {
                    format!("is {mean}")
                }
            ),
            (true, true) => format!(
                "converged: after {} trials the standard errors of the mean shortfall fraction ({mean}) and of its P90 ({p90}, times {margin:.2} for its own uncertainty) are below {target}",
                self.trials,
            ),
            (true, false) => format!(
                "NOT converged: {} trials (--max-trials) leave standard errors of {mean} (mean shortfall fraction) and {p90} (P90; times {margin:.2} for its own uncertainty, it must be below the target), target {target}",
                self.trials,
            ),
            (false, true) => format!(
                "converged to {target} (the default target; --precision sets another): the standard errors of the mean shortfall fraction ({mean}) and of its P90 ({p90}, times {margin:.2} for its own uncertainty) are below it",
            ),
            (false, false) => format!(
                "NOT converged to {target} (the default target): the standard errors of the mean shortfall fraction ({mean}) and of its P90 ({p90}; times {margin:.2} for its own uncertainty, it must be below the target) are not both below it; run more trials, or --precision {target} to run until they are",
            ),
        }
    }
}

/// SHA-256 of bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The console table of the main results.
pub fn console_table(c: &Compiled, sums: &[Summary]) -> String {
    let mut rows: Vec<usize> = vec![0, 1, 2, 3];
    let l = &c.layout;
    rows.extend((0..c.model.commodities.len()).map(|k| l.commodity + 4 * k + 3));
    rows.extend(l.lost_kind..l.lost_kind + 3);
    rows.extend(l.commissioning..l.mines + 2);
    let name_w = rows
        .iter()
        .map(|&i| l.columns[i].name.len())
        .max()
        .unwrap_or(10)
        .max(6);
    let mut s = format!(
        "{:<name_w$}  {:>24}  {:>12}  {:>12}  {:>24}  unit\n",
        "metric", "mean ± se", "P10", "P50", "P90 ± se"
    );
    for &i in &rows {
        let (col, x) = (&l.columns[i], &sums[i]);
        let mean = format!("{} ± {}", short(x.mean), short_se(x.se));
        let p90 = format!("{} ± {}", short(x.p90), short_se(x.p90_se));
        s += &format!(
            "{:<name_w$}  {:>24}  {:>12}  {:>12}  {:>24}  {}\n",
            col.name,
            mean,
            short(x.p10),
            short(x.p50),
            p90,
            col.unit
        );
    }
    s
}

/// Four significant figures, with thousands kept readable.
pub fn short(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    let a = x.abs();
    let s = if a == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        format!("{x}")
    } else if a >= 1e12 {
        format!("{x:.3e}")
    } else if a >= 1e9 {
        format!("{:.3}e9", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.3}e6", x / 1e6)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    };
    // Rounding noise below the digits shown (a shortfall of -6e-18) is not negative.
    match s.strip_prefix('-') {
        Some(digits) if digits.chars().all(|c| c == '0' || c == '.') => digits.to_string(),
        _ => s,
    }
}

/// A probability (or its standard error) to four decimals, as `0.0000` to `1.0000`, so
/// that the lines of a list align and 0 and 1 read as the estimates they are; one above
/// 0 but below 0.00005 in two significant figures.
pub fn prob(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    // (One too small for four decimals is not written as 0.)
    if x > 0.0 && x < 0.000_05 {
        return format!("{x:.1e}");
    }
    format!("{x:.4}")
}

/// Three significant figures (`-` for NaN).
fn figures(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

/// A standard error as [`short`] gives it, but one too small for its four decimals
/// (a fraction's, after many trials) in two significant figures rather than as 0.0000.
pub fn short_se(x: f64) -> String {
    if x > 0.0 && x < 0.000_05 {
        format!("{x:.1e}")
    } else {
        short(x)
    }
}

#[cfg(test)]
mod tests {
    use super::{short, short_se};

    #[test]
    fn convergence_under_latin_hypercube_says_its_errors_are_an_upper_bound() {
        let mut c = super::Convergence {
            precision: 0.001,
            precision_given: false,
            converged: true,
            trials: 10_000,
            max_trials: 10_000,
            mean_se: 0.0005,
            p90_se: 0.0006,
            latin_hypercube: false,
        };
        let plain = c.describe();
        assert!(plain.starts_with("converged to 0.001"), "{plain}");
        assert!(!plain.contains("upper bound"), "{plain}");
        c.latin_hypercube = true;
        let lhs = c.describe();
        assert!(lhs.starts_with(&plain), "{lhs}");
        assert!(lhs.contains("an upper bound"), "{lhs}");
    }

    #[test]
    fn convergence_errors_keep_three_figures() {
        assert_eq!(super::figures(0.001_02), "0.00102");
        assert_eq!(super::figures(0.000_469_97), "0.000470");
        assert_eq!(super::figures(0.0), "0");
        assert_eq!(super::figures(1234.5), "1234");
        assert_eq!(super::figures(f64::NAN), "-");
    }

    #[test]
    fn small_standard_errors_keep_two_figures() {
        assert_eq!(short_se(0.000_046_99), "4.7e-5");
        assert_eq!(short_se(0.000_52), "0.0005");
        assert_eq!(short_se(0.0), "0");
        assert_eq!(short_se(625_780.3), "625780");
        assert_eq!(short_se(f64::NAN), "-");
    }

    #[test]
    fn short_numbers_stay_short_however_large() {
        assert_eq!(short(3.7e300), "3.700e300");
        assert_eq!(short(-2.5e15), "-2.500e15");
        assert_eq!(short(9.99e14), "9.990e14");
        assert_eq!(short(999.5e9), "999.500e9");
        assert_eq!(short(f64::INFINITY), "inf");
        assert_eq!(short(1.5e9), "1.500e9");
    }

    #[test]
    fn short_numbers_keep_their_sign_only_when_it_shows() {
        assert_eq!(short(-6e-18), "0.0000");
        assert_eq!(short(-0.5), "-0.5000");
        assert_eq!(short(-0.00004), "0.0000");
        assert_eq!(short(-0.00006), "-0.0001");
        assert_eq!(short(1234.4), "1234");
        assert_eq!(short(-2.5e6), "-2.500e6");
        assert_eq!(short(f64::NAN), "-");
    }
}
