//! Tuning and comparing: `compare`, `sweep` and `sensitivity`.
//!
//! All three run several variants of a scenario on common random numbers: trial `i` of
//! every variant uses the same draws for every hazard, event, project and parameter the
//! variants share (see [`crate::engine::rng`] and [`crate::hazards`]), so that the
//! differences between them are the assumptions' doing, not noise. Differences are
//! therefore computed trial by trial (paired), and their standard errors are those of
//! the paired differences.

use super::{Common, print_notes, progress_bar};
use crate::engine::outcome::{SHORTFALL_FRACTION, TrialOutcome};
use crate::engine::{self, Aggregate, CHUNK, Compiled};
use crate::error::{Error, Result};
use crate::model::SiteKind;
use crate::report::charts::{scenario_label, trials_label};
use crate::report::compare_charts::{
    HazardBar, Series, SweepPoint, TornadoBar, render_compare, render_hazards_off, render_sweep,
    render_tornado,
};
use crate::report::files::{prob, sha256_hex, short};
use crate::report::{OutDir, csv_err, html, num};
use crate::scenario;
use crate::scenario::resolve::{Resolved, counted};
use crate::stats::design::{spearman, spearman_ci};
use crate::stats::{Moments, Summary};
use serde::Serialize;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Two or more scenario files; the first is the reference for the differences.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Options shared with the other commands (output folder default:
    /// out/compare-<names>/; trials and seed default from the first scenario).
    #[command(flatten)]
    pub common: Common,
}

/// Options of `sweep`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("values_to_run").required(true).args(["values", "range"])))]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Key path of the value to vary, e.g. `hazards[bla_attacks].rate_per_year`.
    #[arg(long)]
    pub param: String,
    /// Values to run, comma-separated, e.g. `--values 4,8,12,16` (or `-0.1,0,0.1`).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, value_parser = sweep_number)]
    pub values: Vec<f64>,
    /// Evenly spaced values LO:HI:STEPS, both ends included, e.g. `--range 4:20:5`.
    #[arg(long, allow_hyphen_values = true)]
    pub range: Option<String>,
    /// Options shared with the other commands (output folder default:
    /// out/sweep-<scenario>-<key>/).
    #[command(flatten)]
    pub common: Common,
}

/// Trials of each one-at-a-time and hazard-off run of `sensitivity` by default.
const DEFAULT_SWING_TRIALS: u64 = 2000;

/// Options of `sensitivity`.
#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    pub scenario: Option<PathBuf>,
    /// Trials of each one-at-a-time and hazard-off run (the rank correlations use
    /// --trials).
    #[arg(long, default_value_t = DEFAULT_SWING_TRIALS, allow_negative_numbers = true, value_parser = super::at_least_one)]
    pub swing_trials: u64,
    /// Options shared with the other commands (output folder default:
    /// out/sensitivity-<scenario>/).
    #[command(flatten)]
    pub common: Common,
}

/// Runs `variants` on common random numbers, `trials` each; `each` sees the outcomes of
/// all variants for successive ranges of trials (index: variant, then trial), with
/// only `metrics` and `params` kept. The ranges are short when there are many
/// variants, so that memory stays near that of one block of one run.
/// With `lean`, the aggregates keep percentiles of those columns only (see
/// [`Aggregate::lean`]).
fn run_paired(
    variants: &[Compiled],
    seed: u64,
    trials: u64,
    bar: &indicatif::ProgressBar,
    lean: Option<&[usize]>,
    mut each: impl FnMut(&[Vec<TrialOutcome>]),
) -> Result<Vec<Aggregate>> {
    let mut aggs: Vec<Aggregate> = variants
        .iter()
        .map(|c| match lean {
            Some(keep) => Aggregate::lean(c, keep),
            None => Aggregate::new(c),
        })
        .collect();
    let step = (CHUNK * 4 / variants.len().max(1) as u64).clamp(64, CHUNK);
    let mut first = 0;
    while first < trials {
        engine::stop_if_interrupted()?;
        let block_end = (first / CHUNK + 1) * CHUNK;
        let end = (first + step).min(trials).min(block_end);
        let outs: Vec<Vec<TrialOutcome>> = variants
            .iter()
            .zip(aggs.iter_mut())
            .map(|(c, agg)| {
                let mut o = engine::run_block(c, seed, first, end, trials)?;
                agg.push_chunk(c, &o);
                for x in &mut o {
                    x.delivered_monthly = Vec::new();
                    x.counterfactual_monthly = Vec::new();
                    x.delivered_yearly = Vec::new();
                    x.counterfactual_yearly = Vec::new();
                    x.events_yearly = Vec::new();
                }
                Ok(o)
            })
            .collect::<crate::Result<_>>()?;
        each(&outs);
        bar.inc((end - first) * variants.len() as u64);
        first = end;
    }
    Ok(aggs)
}

/// Paired differences of one metric, variant minus reference.
#[derive(Debug, Default, Clone)]
struct Paired {
    diff: Moments,
    worse: u64,
    better: u64,
}

impl Paired {
    fn push(&mut self, reference: f64, other: f64, higher_is_worse: bool) {
        if reference.is_nan() || other.is_nan() {
            return;
        }
        let d = other - reference;
        self.diff.push(d);
        // A difference within the rounding of sums (a billionth of the values) is none.
        let tie = d.abs() <= 1e-9 * reference.abs().max(other.abs()) + 1e-12;
        let worse = !tie && if higher_is_worse { d > 0.0 } else { d < 0.0 };
        let better = !tie && if higher_is_worse { d < 0.0 } else { d > 0.0 };
        self.worse += worse as u64;
        self.better += better as u64;
    }

    /// The 95% interval of the mean difference (Student's t, which matters only for a
    /// few trials).
    fn ci(&self) -> (f64, f64) {
        let half = crate::stats::t_975(self.diff.n) * self.diff.se();
        (self.diff.mean - half, self.diff.mean + half)
    }

    fn share(&self, k: u64) -> f64 {
        k as f64 / self.diff.n as f64
    }
}

/// What makes the scenarios' shortfall fractions shares of different totals: other
/// periods, or other mines, plants or commodities than the first scenario's (a port or
/// a stockpile more changes the routes, not what is produced).
fn comparability_notes(models: &[&crate::model::Model], names: &[String]) -> Vec<String> {
    let mut notes = Vec::new();
    let period = |m: &crate::model::Model| (m.start, m.horizon);
    if models.iter().any(|m| period(m) != period(models[0])) {
        let periods: Vec<String> = (models.iter().zip(names))
            .map(|(m, name)| format!("{name} {} to {}", m.start, m.horizon))
            .collect();
        notes.push(format!(
            "the scenarios cover different periods ({}): trial by trial they share draws, but their shortfalls are fractions of different totals",
            periods.join(", ")
        ));
    }
    let things = |m: &crate::model::Model| -> Vec<String> {
        (m.sites.iter())
            .filter(|s| matches!(s.kind, SiteKind::Mine | SiteKind::Plant))
            .map(|s| s.name.clone())
            .chain(m.commodities.iter().map(|c| c.name.clone()))
            .collect()
    };
    let first = things(models[0]);
    let changes: Vec<String> = (models.iter().zip(names).skip(1))
        .filter_map(|(m, name)| {
            let these = things(m);
            let added: Vec<&str> = (these.iter())
                .filter(|x| !first.contains(x))
                .map(String::as_str)
                .collect();
            let dropped: Vec<&str> = (first.iter())
                .filter(|x| !these.contains(x))
                .map(String::as_str)
                .collect();
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("adds {}", added.join(", ")));
            }
            if !dropped.is_empty() {
                parts.push(format!("drops {}", dropped.join(", ")));
            }
            (!parts.is_empty()).then(|| format!("{name} {}", parts.join(" and ")))
        })
        .collect();
    if !changes.is_empty() {
        notes.push(format!(
            "the scenarios differ in their mines, plants or commodities ({}): their shortfall fractions are shares of different disruption-free totals, so read shortfall_value (USD) beside them",
            changes.join("; ")
        ));
    }
    notes
}

/// A name for a scenario unique within a command (the model's name, `#2` when repeated).
fn unique_names(models: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in models {
        let mut name = m.to_string();
        let mut k = 2;
        while out.contains(&name) {
            name = format!("{m}#{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

/// What a comparison's manifest records about each scenario.
#[derive(Debug, Serialize)]
struct ScenarioEntry {
    name: String,
    path: String,
    files: Vec<String>,
    overrides: Vec<String>,
    sha256: String,
}

impl ScenarioEntry {
    /// The entry of scenario `r`, with the SHA-256 of `text`: its copy as written (see
    /// [`super::as_run`]), or for a sweep's variant, which has none, its resolved text.
    fn new(name: &str, r: &Resolved, text: &str) -> ScenarioEntry {
        ScenarioEntry {
            name: name.to_string(),
            path: r.label.clone(),
            files: r.files.clone(),
            overrides: r.sets.clone(),
            sha256: sha256_hex(text.as_bytes()),
        }
    }
}

/// Provenance of a comparison, sweep or sensitivity run.
#[derive(Debug, Serialize)]
struct TuneManifest {
    tool_version: String,
    /// The command line as given, after the program's name.
    arguments: Vec<String>,
    command: String,
    scenarios: Vec<ScenarioEntry>,
    seed: u64,
    trials: u64,
    /// `sensitivity`: trials of each one-at-a-time and hazard-off run.
    #[serde(skip_serializing_if = "Option::is_none")]
    swing_trials: Option<u64>,
    sampling: engine::Sampling,
    threads: usize,
    started: String,
    elapsed_seconds: f64,
    files: Vec<String>,
}

fn manifest_json(m: &TuneManifest, out: &OutDir) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(m).map_err(|e| Error::Output {
        path: out.path().join("manifest.json"),
        source: e.into(),
    })
}

/// Writes a CSV file from a header and rows into the output folder.
fn write_csv(out: &mut OutDir, name: &str, header: &[String], rows: &[Vec<String>]) -> Result<()> {
    let bytes = csv_bytes(&out.path().join(name), header, rows)?;
    out.write(name, &bytes)
}

fn csv_bytes(path: &Path, header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(csv_err(path))?;
    for r in rows {
        w.write_record(r).map_err(csv_err(path))?;
    }
    w.into_inner().map_err(|e| Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

fn summaries(c: &Compiled, agg: &Aggregate) -> Vec<Summary> {
    crate::report::files::summaries(c, agg)
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{:.2}%", x * 100.0)
    }
}

/// A standard error in percentage points.
fn pp_se(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{:.*} pp", pp_decimals(x), x * 100.0)
    }
}

fn pp(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{:+.*} pp", pp_decimals(x), x * 100.0)
    }
}

/// Decimals for a fraction in percentage points: two, or two significant digits below
/// 0.1 pp (so that a small standard error does not read as 0.00).
fn pp_decimals(x: f64) -> usize {
    let a = (x * 100.0).abs();
    if a == 0.0 || a >= 0.1 {
        2
    } else {
        ((-a.log10()).floor() as usize + 2).min(6)
    }
}

/// `shortfall compare`.
pub fn compare(args: &CompareArgs) -> Result<()> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    let common = &args.common;
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for path in &args.scenarios {
        // Every scenario is read, so that all their problems are reported at once.
        match scenario::load_with(Some(path), &common.set) {
            Ok(one) => {
                print_notes(&one.1);
                loaded.push(one);
            }
            // (A bad --set that fails every scenario alike is reported once; one
            // that names a key some lack is reported for each, with its file.)
            Err(e)
                if errors
                    .iter()
                    .any(|x: &Error| x.to_string() == e.to_string()) => {}
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => {}
        1 => return Err(errors.remove(0)),
        _ => return Err(Error::Several(errors)),
    }
    let (trials, seed) = common.trials_seed(&loaded[0].0)?;
    let (pool, threads) = common.pool()?;
    let names = unique_names(
        &loaded
            .iter()
            .map(|(m, _)| m.name.as_str())
            .collect::<Vec<_>>(),
    );
    let models: Vec<&crate::model::Model> = loaded.iter().map(|(m, _)| m).collect();
    let mut notes = comparability_notes(&models, &names);
    // Every scenario runs with one seed and count, for common random numbers.
    let others: Vec<String> = (models.iter().zip(&names).skip(1))
        .filter_map(|(m, name)| {
            let seed =
                (common.seed.is_none() && m.seed != seed).then(|| format!("seed {}", m.seed));
            let trials = (common.trials.is_none() && m.trials != trials)
                .then(|| format!("trials {}", m.trials));
            let set: Vec<String> = seed.into_iter().chain(trials).collect();
            (!set.is_empty()).then(|| format!("{name} sets {}", set.join(" and ")))
        })
        .collect();
    if !others.is_empty() {
        notes.push(format!(
            "every scenario runs with the first's seed ({seed}) and {trials} trials, on common random numbers: {} (ignored)",
            others.join("; ")
        ));
    }
    for n in &notes {
        eprintln!("note: {n}");
    }
    let out_path = common.out.clone().unwrap_or_else(|| {
        let full = format!("compare-{}", names.join("-").replace('#', "_"));
        // Within a file name's 255 bytes, however many long names are joined; a name cut
        // short ends with a digest of the whole, so that two comparisons cut alike do
        // not share a folder.
        let mut folder = full.clone();
        if folder.len() > 200 {
            while folder.len() > 190 {
                folder.pop();
            }
            folder = format!("{folder}-{}", &sha256_hex(full.as_bytes())[..8]);
        }
        PathBuf::from("out").join(folder)
    });
    let resolved: Vec<Resolved> = loaded.iter().map(|(_, r)| r.clone()).collect();
    // Each scenario's copy, numbered so that no two scenarios can write the same file.
    let copies: Vec<String> = (names.iter().enumerate())
        .map(|(i, n)| format!("scenario-{}-{}.toml", i + 1, n.replace('#', "_")))
        .collect();
    crate::report::refuse_replacing(&out_path, resolved.iter().flat_map(|r| &r.files), &copies)?;
    // (Made, and held, before the trials: a folder that cannot be made is reported at
    // once.)
    let mut out = OutDir::create(&out_path)?;
    out.read_from(resolved.iter().flat_map(|r| &r.files));
    let variants: Vec<Compiled> = loaded
        .into_iter()
        .map(|(m, _)| {
            let mut c = Compiled::new(m);
            c.sampling = common.sampling;
            c
        })
        .collect();
    // For each other scenario, each of its metrics' index in the reference (when shared).
    let matches: Vec<Vec<Option<usize>>> = variants
        .iter()
        .map(|v| {
            v.layout
                .columns
                .iter()
                .map(|col| {
                    variants[0]
                        .layout
                        .columns
                        .iter()
                        .position(|r| r.name == col.name)
                })
                .collect()
        })
        .collect();
    let mut paired: Vec<Vec<Paired>> = variants
        .iter()
        .map(|v| vec![Paired::default(); v.layout.len()])
        .collect();
    let bar = progress_bar(trials * variants.len() as u64, common.quiet);
    let aggs = pool.install(|| {
        run_paired(&variants, seed, trials, &bar, None, |outs| {
            for s in 1..variants.len() {
                for (t, o) in outs[s].iter().enumerate() {
                    let r = &outs[0][t];
                    for (j, m) in matches[s].iter().enumerate() {
                        if let Some(j0) = *m {
                            let hw = variants[s].layout.columns[j].higher_is_worse;
                            paired[s][j].push(r.metrics[j0], o.metrics[j], hw);
                        }
                    }
                }
            }
        })
    })?;
    bar.finish_and_clear();
    let sums: Vec<Vec<Summary>> = variants
        .iter()
        .zip(&aggs)
        .map(|(c, a)| summaries(c, a))
        .collect();
    // compare.csv: metrics side by side (the union of the scenarios' metrics).
    let mut metrics: Vec<(String, String)> = Vec::new();
    for v in &variants {
        for col in &v.layout.columns {
            if !metrics.iter().any(|(n, _)| *n == col.name) {
                metrics.push((col.name.clone(), col.unit.clone()));
            }
        }
    }
    let stats = [
        "mean", "se", "p10", "p50", "p90", "p90_se", "cvar95", "trials",
    ];
    let mut header = vec!["metric".to_string(), "unit".to_string()];
    for n in &names {
        header.extend(stats.iter().map(|s| format!("{n}.{s}")));
    }
    let rows: Vec<Vec<String>> = metrics
        .iter()
        .map(|(name, unit)| {
            let mut row = vec![name.clone(), unit.clone()];
            for (v, su) in variants.iter().zip(&sums) {
                match v.layout.columns.iter().position(|c| c.name == *name) {
                    Some(j) => {
                        let x = &su[j];
                        row.extend(
                            [x.mean, x.se, x.p10, x.p50, x.p90, x.p90_se, x.cvar95].map(num),
                        );
                        row.push(x.trials.to_string());
                    }
                    None => row.extend(stats.iter().map(|_| String::new())),
                }
            }
            row
        })
        .collect();
    write_csv(&mut out, "compare.csv", &header, &rows)?;
    // differences.csv: each scenario against the first, trial by trial.
    let dheader: Vec<String> = [
        "scenario",
        "reference",
        "metric",
        "unit",
        "mean_difference",
        "ci95_low",
        "ci95_high",
        "p50_difference",
        "p90_difference",
        "share_worse",
        "share_better",
        "trials",
    ]
    .map(String::from)
    .to_vec();
    let mut drows = Vec::new();
    for s in 1..variants.len() {
        for (j, m) in matches[s].iter().enumerate() {
            let Some(j0) = *m else { continue };
            let p = &paired[s][j];
            if p.diff.n == 0 {
                continue;
            }
            let col = &variants[s].layout.columns[j];
            let (lo, hi) = p.ci();
            drows.push(vec![
                names[s].clone(),
                names[0].clone(),
                col.name.clone(),
                col.unit.clone(),
                num(p.diff.mean),
                num(lo),
                num(hi),
                num(sums[s][j].p50 - sums[0][j0].p50),
                num(sums[s][j].p90 - sums[0][j0].p90),
                num(p.share(p.worse)),
                num(p.share(p.better)),
                p.diff.n.to_string(),
            ]);
        }
    }
    write_csv(&mut out, "differences.csv", &dheader, &drows)?;
    let labels: Vec<String> = names.iter().map(|n| format!("{n}:")).collect();
    let (theader, trows, tlines) =
        compare_thresholds(&variants, &aggs, (&names, &labels), "scenario", trials);
    write_csv(&mut out, "thresholds.csv", &theader, &trows)?;
    let series: Vec<Series> = names
        .iter()
        .zip(&variants)
        .zip(&aggs)
        .map(|((n, c), a)| Series { name: n, c, agg: a })
        .collect();
    let charts = render_compare(&series, (trials, seed), &common.set, &mut out)?;
    // The console and the report share the headline table.
    let key = key_rows(&variants, &sums, &paired, &names);
    let key_header = [
        "scenario",
        "mean shortfall ± se",
        "P90 ± se",
        "difference vs first (95% CI)",
        "trials worse",
    ];
    let mut body = format!(
        "<h1>Comparison: {}</h1>\n<p class=\"note\">{} per scenario on common random numbers (seed {}): trial i of every scenario draws the same events, targets, impacts and parameter levels wherever the scenarios define the same things, so differences are paired trial by trial. Shortfall is the share of the disruption-free deliveries (by value) that does not leave Pakistan's ports for the US.</p>\n",
        html::escape(&names.join(" vs ")),
        counted(trials as usize, "trial", "trials"),
        seed
    );
    body += "<h2>Headline</h2>\n";
    body += &html::table("headline", &key_header, &key);
    for n in &notes {
        let _ = writeln!(body, "<p class=\"note\">Note: {}.</p>", html::escape(n));
    }
    body += "<h2>Scenarios</h2>\n<ul>\n";
    for ((n, c), r) in names.iter().zip(&variants).zip(&resolved) {
        let _ = writeln!(
            body,
            "<li><b>{}</b> ({}): {}</li>",
            html::escape(n),
            html::escape(&r.describe()),
            html::escape(&c.model.description)
        );
    }
    body += "</ul>\n";
    for ch in &charts {
        body += &html::figure(ch);
    }
    body += "<h2>Paired differences against the first scenario</h2>\n<p class=\"note\">Mean of the trial-by-trial difference with its 95% confidence interval; P50 and P90 differences are differences of the percentiles; 'worse' counts the trials in which the scenario did worse on that metric.</p>\n";
    let dtable: Vec<Vec<String>> = drows
        .iter()
        .map(|r| {
            vec![
                r[0].clone(),
                r[2].clone(),
                r[3].clone(),
                short(r[4].parse().unwrap_or(f64::NAN)),
                format!(
                    "{} .. {}",
                    short(r[5].parse().unwrap_or(f64::NAN)),
                    short(r[6].parse().unwrap_or(f64::NAN))
                ),
                short(r[7].parse().unwrap_or(f64::NAN)),
                short(r[8].parse().unwrap_or(f64::NAN)),
                pct(r[9].parse().unwrap_or(f64::NAN)),
            ]
        })
        .collect();
    body += &html::table(
        "differences",
        &[
            "scenario",
            "metric",
            "unit",
            "mean difference",
            "95% CI",
            "P50 difference",
            "P90 difference",
            "trials worse",
        ],
        &dtable,
    );
    // (As in a run's report: where some scenario's commodity shortfall is negative in
    // at least 5% of its trials, a difference on it reads the other way round.)
    let names_ref = &names;
    let below_zero: Vec<String> = (0..variants.len())
        .flat_map(|s| {
            let v = &variants[s];
            (v.layout.columns.iter().zip(&sums[s]))
                .filter(|(col, x)| col.name.starts_with("shortfall_fraction.") && x.p5 < 0.0)
                .map(move |(col, _)| format!("{} in {}", col.name, names_ref[s]))
        })
        .collect();
    if !below_zero.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"note\">A commodity's shortfall can be negative ({}, in at least 5% of the trials): while disruptions hold a plant back, the input it would have processed is exported as it is, so more of the input and less of the output leaves the port. A scenario that keeps its plant running then reads as 'worse' on the input, because less of it leaves unprocessed: read those rows beside the output's and the total by value.</p>",
            html::escape(&below_zero.join(", "))
        );
    }
    if !trows.is_empty() {
        body += &thresholds_table("scenario", "scenario", (&theader, &trows), trials);
    }
    let mut files: Vec<String> = vec![
        "compare.csv".into(),
        "differences.csv".into(),
        "thresholds.csv".into(),
    ];
    let mut scenario_files = Vec::new();
    let mut entries = Vec::new();
    let repeat = format!("compare {}", copies.join(" "));
    for (i, ((f, r), n)) in copies.into_iter().zip(&resolved).zip(&names).enumerate() {
        let text = super::as_run(
            &r.text,
            &variants[i].model,
            (trials, seed),
            &repeat,
            &super::result_flags(common.sampling),
        );
        out.write(&f, text.as_bytes())?;
        entries.push(ScenarioEntry::new(n, r, &text));
        scenario_files.push(f.clone());
        files.push(f);
    }
    for ch in &charts {
        files.push(format!("{}.png", ch.name));
        files.push(format!("{}.svg", ch.name));
    }
    files.push("report.html".into());
    let manifest = TuneManifest {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments: super::arguments(),
        command: "compare".into(),
        swing_trials: None,
        scenarios: entries,
        seed,
        trials,
        sampling: common.sampling,
        threads,
        started: started_at,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        files,
    };
    body += &provenance(&manifest);
    out.write(
        "report.html",
        html::page(&format!("shortfall: compare {}", names.join(" vs ")), &body).as_bytes(),
    )?;
    out.write("manifest.json", &manifest_json(&manifest, &out)?)?;
    out.commit()?;
    sayln!(
        "compare {}: {} each on common random numbers, seed {}, {:.1} s\n",
        names.join(" vs "),
        counted(trials as usize, "trial", "trials"),
        seed,
        started.elapsed().as_secs_f64()
    );
    say!("{}", console(&key_header, &key, 1));
    if !tlines.is_empty() {
        say!("\n{tlines}");
    }
    sayln!(
        "\nFiles written to {}/: report.html, compare.csv, differences.csv, thresholds.csv, manifest.json, {} (each scenario as run), and charts {}",
        out_path.display(),
        scenario_files.join(", "),
        charts
            .iter()
            .map(|c| format!("{}.png/.svg", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// `thresholds.csv` (header and rows) and its console lines: for every threshold any
/// variant sets, each variant's probability of exceeding it, and, trial by trial on
/// common random numbers, its difference from the first variant's (where both define
/// the metric in every trial). Variants are named `names.0` in the rows, under the
/// heading `first` (the scenarios of `compare`, the values of `sweep`), and `names.1`
/// on the console.
fn compare_thresholds(
    variants: &[Compiled],
    aggs: &[Aggregate],
    (names, labels): (&[String], &[String]),
    first: &str,
    trials: u64,
) -> (Vec<String>, Vec<Vec<String>>, String) {
    use crate::report::files::{EXCEEDANCE_COLUMNS, exceedance_cells};
    use crate::stats::exceedance;
    let header: Vec<String> = ([first, "metric", "unit", "threshold"].into_iter())
        .chain(EXCEEDANCE_COLUMNS)
        .chain([
            "difference",
            "difference_ci95_low",
            "difference_ci95_high",
            "trials",
        ])
        .map(String::from)
        .collect();
    let mut wanted: Vec<(String, f64)> = Vec::new();
    for v in variants {
        for t in &v.model.thresholds {
            for &x in &t.values {
                if !wanted.contains(&(t.metric.clone(), x)) {
                    wanted.push((t.metric.clone(), x));
                }
            }
        }
    }
    let column = |v: &Compiled, metric: &str| {
        (v.layout.columns.iter()).position(|c| c.name == metric && c.quantiles)
    };
    let (mut rows, mut lines) = (Vec::new(), String::new());
    for (metric, x) in &wanted {
        let reference = column(&variants[0], metric).map(|j| &aggs[0].columns[j].values);
        let mut line = format!("P({metric} > {}):\n", crate::model::dist::fmt_num(*x));
        for (s, v) in variants.iter().enumerate() {
            let Some(j) = column(v, metric) else { continue };
            let values = &aggs[s].columns[j].values;
            let e = exceedance(values, *x);
            let col = &v.layout.columns[j];
            let mut row = vec![names[s].clone(), metric.clone(), col.unit.clone(), num(*x)];
            row.extend(exceedance_cells(&e));
            let _ = write!(line, "  {} {}", labels[s], prob(e.probability));
            if let Some(base) = crate::report::files::exceedance_base(e.trials, trials) {
                let _ = write!(line, " ({base})");
            }
            // The paired difference: the mean of each trial's indicator difference.
            let paired = reference
                .filter(|r| s > 0 && r.len() as u64 == trials && values.len() as u64 == trials);
            match paired {
                Some(r) => {
                    let t = *x as f32;
                    let mut c = crate::stats::PairedCounts::default();
                    for (a, b) in r.iter().zip(values) {
                        c.push(*b > t, *a > t);
                    }
                    let (d, (lo, hi)) = (c.difference(), c.interval());
                    row.extend([d, lo, hi].map(num));
                    let same = c.first_only + c.second_only == 0;
                    let differ = if same { "no trial differs; " } else { "" };
                    let _ = write!(line, " ({differ}{d:+.4}, 95% CI {lo:+.4} to {hi:+.4})");
                }
                None => {
                    if s > 0 && reference.is_some() {
                        line += " (no paired difference: not every trial defines it)";
                    }
                    row.extend([String::new(), String::new(), String::new()])
                }
            }
            row.push(e.trials.to_string());
            rows.push(row);
            line.push('\n');
        }
        lines += &line;
    }
    (header, rows, lines)
}

/// The report's table of [`compare_thresholds`]'s `header` and `rows`, the variants
/// under the heading `first` and called `what` (the first of them is the reference).
fn thresholds_table(
    first: &str,
    what: &str,
    (header, rows): (&[String], &[Vec<String>]),
    trials: u64,
) -> String {
    let text = |r: &'_ [String], name: &str| -> String {
        let i = header.iter().position(|h| h == name);
        i.and_then(|i| r.get(i)).cloned().unwrap_or_default()
    };
    let cell = |r: &[String], name: &str| short(text(r, name).parse().unwrap_or(f64::NAN));
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let difference = if text(r, "difference").is_empty() {
                "-".to_string()
            } else {
                format!(
                    "{} ({} .. {})",
                    cell(r, "difference"),
                    cell(r, "difference_ci95_low"),
                    cell(r, "difference_ci95_high")
                )
            };
            let defined: u64 = text(r, "trials").parse().unwrap_or(trials);
            let base = crate::report::files::exceedance_base(defined, trials)
                .map_or(String::new(), |b| format!(" ({b})"));
            vec![
                r[0].clone(),
                format!("{} > {}{base}", text(r, "metric"), text(r, "threshold")),
                format!("{} ± {}", cell(r, "probability_above"), cell(r, "se")),
                format!("{} .. {}", cell(r, "ci95_low"), cell(r, "ci95_high")),
                difference,
            ]
        })
        .collect();
    let mut body = format!(
        "<h2>Probabilities of exceeding thresholds</h2>\n<p class=\"note\">The share of trials above each threshold of the scenario's <code>[thresholds]</code>, with its standard error and 95% Wilson interval, and its difference from the first {what}'s, trial by trial on common random numbers, with a 95% confidence interval. A metric that some trials do not define (a first mine's day where no prospect proves viable) is a share of the trials that do, as its row says, and has no paired difference (-).</p>\n"
    );
    let vs = format!("difference vs first {what} (95% CI)");
    body += &html::table(
        "thresholds",
        &[first, "event", "probability ± se", "95% interval", &vs],
        &table,
    );
    body
}

/// The headline rows of a comparison: shortfall fraction of each scenario and its
/// paired difference from the first.
fn key_rows(
    variants: &[Compiled],
    sums: &[Vec<Summary>],
    paired: &[Vec<Paired>],
    names: &[String],
) -> Vec<Vec<String>> {
    (0..variants.len())
        .map(|s| {
            let x = &sums[s][SHORTFALL_FRACTION];
            let p = &paired[s][SHORTFALL_FRACTION];
            let (diff, worse) = if s == 0 {
                ("reference".to_string(), "-".to_string())
            } else {
                let (lo, hi) = p.ci();
                (
                    format!("{} ({} .. {})", pp(p.diff.mean), pp(lo), pp(hi)),
                    pct(p.share(p.worse)),
                )
            };
            vec![
                names[s].clone(),
                format!("{} ± {}", pct(x.mean), pct(x.se)),
                format!("{} ± {}", pct(x.p90), pct(x.p90_se)),
                diff,
                worse,
            ]
        })
        .collect()
}

/// A plain-text table with columns padded to their widest cell.
/// The first `left` columns are aligned left, the others right.
fn console(header: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let n = header.len();
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(header[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i > 0 {
                s += "  ";
            }
            if i < left {
                s += c;
                s += &" ".repeat(pad);
            } else {
                s += &" ".repeat(pad);
                s += c;
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut s = line(header.to_vec());
    for r in rows {
        s += &line(r.iter().map(String::as_str).collect());
    }
    s
}

fn provenance(m: &TuneManifest) -> String {
    let mut rows: Vec<Vec<String>> = vec![
        vec!["tool version".into(), m.tool_version.clone()],
        vec!["seed".into(), m.seed.to_string()],
        match m.swing_trials {
            None => vec!["trials per run".into(), m.trials.to_string()],
            Some(_) => vec!["trials (rank correlations)".into(), m.trials.to_string()],
        },
        vec![
            "sampling".into(),
            format!("{:?}", m.sampling).to_lowercase(),
        ],
        vec!["threads".into(), m.threads.to_string()],
        vec!["started (UTC)".into(), m.started.clone()],
    ];
    if let Some(n) = m.swing_trials {
        rows.insert(
            3,
            vec![
                "trials per one-at-a-time and hazard-off run".into(),
                n.to_string(),
            ],
        );
    }
    for s in &m.scenarios {
        let mut what = s.path.clone();
        if s.files.len() > 1 {
            what += &format!(" (extends {})", s.files[1..].join(" -> "));
        }
        for o in &s.overrides {
            what += &format!(" --set {o}");
        }
        rows.push(vec![format!("scenario {}", s.name), what]);
        rows.push(vec![format!("SHA-256 of {}", s.name), s.sha256.clone()]);
    }
    format!(
        "<h2>Provenance</h2>\n{}",
        html::table("provenance", &["item", "value"], &rows)
    )
}

/// One value of `--values`. The flag takes values that begin with a hyphen (negative
/// numbers), so a flag given where its value belongs is named as such.
fn sweep_number(text: &str) -> std::result::Result<f64, String> {
    text.trim().parse::<f64>().map_err(|_| {
        let hint = if text.starts_with("--") {
            "; it looks like a flag: give --values its numbers first"
        } else {
            ""
        };
        format!("expected a number (values are comma-separated, e.g. 4,8,12), got `{text}`{hint}")
    })
}

/// `steps` evenly spaced values from `lo` to `hi`, both ends exactly as given, the
/// values between rounded to the decimal places that resolve the step to 7 significant
/// digits, so that `0:0.3:7` runs 0.05 and not 0.049999999999999996 (the value is run,
/// and named in the files, as computed here). A value that rounding would move by more
/// than a millionth of the step (beyond the decimals a number can be written with) is
/// kept as computed.
fn range_values(lo: f64, hi: f64, steps: usize) -> Vec<f64> {
    let step = (hi - lo) / (steps - 1) as f64;
    let places = (6.0 - step.log10().floor()).clamp(0.0, 300.0) as usize;
    (0..steps)
        .map(|k| {
            if k == 0 {
                return lo;
            }
            if k == steps - 1 {
                return hi;
            }
            let v = lo + (hi - lo) * k as f64 / (steps - 1) as f64;
            match format!("{v:.places$}").parse::<f64>() {
                Ok(r) if (r - v).abs() <= step * 1e-6 => r,
                _ => v,
            }
        })
        .collect()
}

/// The values of a sweep from `--values` or `--range LO:HI:STEPS`.
fn sweep_values(args: &SweepArgs) -> Result<Vec<f64>> {
    let bad = |message: String| Error::Usage {
        flag: "--range",
        message,
    };
    let values = match &args.range {
        Some(r) => {
            let parts: Vec<&str> = r.split(':').collect();
            let [lo, hi, steps] = parts.as_slice() else {
                let hint = if r.starts_with("--") {
                    "; it looks like a flag: give --range its value first"
                } else {
                    ""
                };
                return Err(bad(format!("`{r}` is not LO:HI:STEPS, e.g. 4:20:5{hint}")));
            };
            let lo: f64 = lo
                .trim()
                .parse()
                .map_err(|_| bad(format!("LO `{lo}` is not a number")))?;
            let hi: f64 = hi
                .trim()
                .parse()
                .map_err(|_| bad(format!("HI `{hi}` is not a number")))?;
            let steps: usize = steps
                .trim()
                .parse()
                .map_err(|_| {
                    bad(format!(
                        "STEPS `{steps}` is not a whole number from 2 to 200 (the number of values, both ends included)"
                    ))
                })?;
            if !(lo.is_finite() && hi.is_finite()) || hi <= lo || !(2..=200).contains(&steps) {
                return Err(bad(format!(
                    "`{r}`: needs LO < HI and 2 to 200 STEPS (values, both ends included)"
                )));
            }
            range_values(lo, hi, steps)
        }
        None => args.values.clone(),
    };
    if values.iter().any(|v| !v.is_finite()) {
        return Err(Error::Usage {
            flag: "--values",
            message: "every value must be a finite number".into(),
        });
    }
    if !(2..=200).contains(&values.len()) {
        return Err(Error::Usage {
            flag: "--values",
            message: format!(
                "needs 2 to 200 values, the first the reference of the others; got {} (for one value, use `run --set`)",
                values.len()
            ),
        });
    }
    if let Some((i, v)) = (values.iter().enumerate()).find(|(i, v)| values[..*i].contains(v)) {
        return Err(Error::Usage {
            flag: "--values",
            message: format!(
                "{} is given twice (the values in places {} and {}); each value runs once",
                toml_number(*v),
                values.iter().position(|x| x == v).map_or(0, |j| j + 1),
                i + 1
            ),
        });
    }
    Ok(values)
}

/// Metrics a sweep tabulates (those present in the scenario).
const SWEEP_METRICS: [&str; 6] = [
    "shortfall_fraction",
    "shortfall_value",
    "delivered_value",
    "lost.attack",
    "lost.protest",
    "lost.cyber",
];

/// Formats a sweep value as TOML (whole numbers without a decimal point).
fn toml_number(v: f64) -> String {
    crate::model::dist::fmt_num(v)
}

/// `shortfall sweep`.
pub fn sweep(args: &SweepArgs) -> Result<()> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    let common = &args.common;
    let values = sweep_values(args)?;
    let key = args.param.trim();
    let why = match key {
        "seed" | "trials" => {
            Some("every variant runs with the same trials and seed, on common random numbers")
        }
        "start" | "horizon" => {
            Some("it is a date, and the days of every other date count from the start")
        }
        "name" | "description" => Some("it is text"),
        _ if key.ends_with(".name") => Some("it is a name, which other keys refer to"),
        _ => None,
    };
    if let Some(why) = why {
        return Err(Error::Usage {
            flag: "--param",
            message: format!(
                "`{key}` cannot be swept: {why}; sweep a number of the model, e.g. hazards[NAME].rate_per_year"
            ),
        });
    }
    let (_, base) = scenario::load_with(Some(&args.scenario), &common.set)?;
    // An override of the swept key (or of a key within it) would be replaced by every
    // swept value: refuse it rather than drop it silently.
    let doc: Option<toml::Table> = base.text.parse().ok();
    let canonical = |spec: &str| {
        let mut d = doc.clone()?;
        scenario::resolve::apply_set(&mut d, spec).ok()
    };
    if let Some(swept) = canonical(&format!("{key}=0")) {
        for set in &common.set {
            let Some(k) = canonical(set) else { continue };
            let what = if k == swept {
                "the key --param sweeps,".to_string()
            } else if k.starts_with(&format!("{swept}.")) {
                format!("inside `{swept}`, the key --param sweeps,")
            } else {
                continue;
            };
            return Err(Error::Usage {
                flag: "--set",
                message: format!(
                    "`{set}` sets `{k}`, {what} so every swept value would replace it; drop the --set, or sweep another key"
                ),
            });
        }
    }
    let mut loaded = Vec::new();
    for v in &values {
        let mut sets = common.set.clone();
        sets.push(format!("{}={}", args.param, toml_number(*v)));
        let one = scenario::load_with(Some(&args.scenario), &sets).map_err(|e| match e {
            Error::Usage { message, .. } => Error::Usage {
                flag: "--param",
                message,
            },
            // The scenario loaded without the swept key: a value of the wrong type
            // there means the key does not hold a number.
            Error::Scenario(p)
                if p.problems.iter().all(|p| {
                    let m = &p.message;
                    m.contains("invalid type:")
                        || m.contains("; got an integer")
                        || m.contains("; got a number")
                }) =>
            {
                let why = p.problems.iter().map(|p| p.message.rsplit(", ").next().unwrap_or("")).next().unwrap_or("");
                Error::Usage {
                    flag: "--param",
                    message: format!(
                        "`{key}` does not hold a number ({why}); sweep a number of the model, e.g. hazards[NAME].rate_per_year"
                    ),
                }
            }
            // The scenario loaded without the swept value: what is wrong now is that
            // value's doing.
            Error::Scenario(p) => Error::Usage {
                flag: if args.range.is_some() { "--range" } else { "--values" },
                message: format!(
                    "`{key}` cannot be {}: {}",
                    toml_number(*v),
                    (p.problems.iter())
                        .map(|p| match p.path.as_str() {
                            path if path == key => p.message.clone(),
                            "" => p.message.clone(),
                            path => format!("{path}: {}", p.message),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
            e => e,
        })?;
        loaded.push(one);
    }
    print_notes(&loaded[0].1);
    let (trials, seed) = common.trials_seed(&loaded[0].0)?;
    let (pool, threads) = common.pool()?;
    let name = loaded[0].0.name.clone();
    let key: String = args
        .param
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let out_path = common
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("sweep-{name}-{key}")));
    let resolved: Vec<Resolved> = loaded.iter().map(|(_, r)| r.clone()).collect();
    let copy = ["scenario.toml".to_string()];
    crate::report::refuse_replacing(&out_path, resolved.iter().flat_map(|r| &r.files), &copy)?;
    let mut out = OutDir::create(&out_path)?;
    out.read_from(resolved.iter().flat_map(|r| &r.files));
    let variants: Vec<Compiled> = loaded
        .into_iter()
        .map(|(m, _)| {
            let mut c = Compiled::new(m);
            c.sampling = common.sampling;
            c
        })
        .collect();
    let mut paired = vec![Paired::default(); variants.len()];
    // Whether each value gave the very same metrics as the value before it in every
    // trial (a key the model rounds, such as a prospect count, or one that does not
    // matter in this scenario).
    let mut same_as_before = vec![true; variants.len()];
    same_as_before[0] = false;
    let bar = progress_bar(trials * variants.len() as u64, common.quiet);
    // The percentiles of the reported metrics, and of those the thresholds name.
    let thresholds = variants.iter().flat_map(|v| &v.model.thresholds);
    let mut keep: Vec<usize> = (SWEEP_METRICS.iter().copied())
        .chain(thresholds.map(|t| t.metric.as_str()))
        .filter_map(|m| variants[0].layout.columns.iter().position(|c| c.name == m))
        .collect();
    keep.sort_unstable();
    keep.dedup();
    let aggs = pool.install(|| {
        run_paired(&variants, seed, trials, &bar, Some(&keep), |outs| {
            for s in 1..outs.len() {
                let bits = |x: &f64| x.to_bits();
                same_as_before[s] &= (outs[s].iter().zip(&outs[s - 1]))
                    .all(|(a, b)| a.metrics.iter().map(bits).eq(b.metrics.iter().map(bits)));
            }
            for (s, o) in outs.iter().enumerate() {
                for (t, x) in o.iter().enumerate() {
                    paired[s].push(
                        outs[0][t].metrics[SHORTFALL_FRACTION],
                        x.metrics[SHORTFALL_FRACTION],
                        true,
                    );
                }
            }
        })
    })?;
    bar.finish_and_clear();
    let sums: Vec<Vec<Summary>> = variants
        .iter()
        .zip(&aggs)
        .map(|(c, a)| summaries(c, a))
        .collect();
    let present: Vec<(&str, usize)> = SWEEP_METRICS
        .iter()
        .filter_map(|m| {
            variants[0]
                .layout
                .columns
                .iter()
                .position(|c| c.name == *m)
                .map(|j| (*m, j))
        })
        .collect();
    let mut header = vec!["value".to_string()];
    for (m, _) in &present {
        header.extend(["mean", "se", "p10", "p50", "p90", "p90_se"].map(|s| format!("{m}.{s}")));
    }
    header.push("shortfall_fraction.difference_vs_first".into());
    header.push("shortfall_fraction.difference_se".into());
    header.push("trials".into());
    let mut rows = Vec::new();
    let mut points = Vec::new();
    for (s, v) in values.iter().enumerate() {
        let mut row = vec![num(*v)];
        for (_, j) in &present {
            let x = &sums[s][*j];
            row.extend([x.mean, x.se, x.p10, x.p50, x.p90, x.p90_se].map(num));
        }
        // The first value is the reference: its difference from itself is left empty,
        // as in thresholds.csv and compare's files, not a measured 0 ± 0.
        if s == 0 {
            row.extend([String::new(), String::new()]);
        } else {
            row.push(num(paired[s].diff.mean));
            row.push(num(paired[s].diff.se()));
        }
        row.push(trials.to_string());
        rows.push(row);
        let x = &sums[s][SHORTFALL_FRACTION];
        points.push(SweepPoint {
            value: *v,
            mean: x.mean,
            se: x.se,
            diff: paired[s].diff.mean,
            diff_se: paired[s].diff.se(),
            p10: x.p10,
            p50: x.p50,
            p90: x.p90,
        });
    }
    let names: Vec<String> = values.iter().map(|v| toml_number(*v)).collect();
    let labels: Vec<String> = names.iter().map(|v| format!("value {v}:")).collect();
    let (theader, trows, tlines) =
        compare_thresholds(&variants, &aggs, (&names, &labels), "value", trials);
    let text = super::as_run(
        &base.text,
        &variants[0].model,
        (trials, seed),
        &format!(
            "sweep scenario.toml --param '{}' --values {}",
            args.param.trim(),
            names.join(",")
        ),
        &super::result_flags(common.sampling),
    );
    out.write("scenario.toml", text.as_bytes())?;
    write_csv(&mut out, "sweep.csv", &header, &rows)?;
    write_csv(&mut out, "thresholds.csv", &theader, &trows)?;
    let chart = render_sweep(
        &scenario_label(&name, &common.set),
        &args.param,
        "Shortfall, % of the disruption-free value",
        &points,
        trials,
        seed,
        &mut out,
    )?;
    let table_rows: Vec<Vec<String>> = values
        .iter()
        .enumerate()
        .map(|(s, v)| {
            let x = &sums[s][SHORTFALL_FRACTION];
            vec![
                toml_number(*v),
                format!("{} ± {}", pct(x.mean), pct(x.se)),
                pct(x.p10),
                pct(x.p50),
                format!("{} ± {}", pct(x.p90), pct(x.p90_se)),
                if s == 0 {
                    "reference".to_string()
                } else {
                    format!(
                        "{} ± {}",
                        pp(paired[s].diff.mean),
                        pp_se(paired[s].diff.se())
                    )
                },
            ]
        })
        .collect();
    let th = [
        args.param.as_str(),
        "mean shortfall ± se",
        "P10",
        "P50",
        "P90 ± se",
        "vs first value (paired, ± se)",
    ];
    let mut body = format!(
        "<h1>Sweep of {} in scenario {}</h1>\n<p class=\"note\">{} at each value on common random numbers (seed {}); the last column is the trial-by-trial difference from the first value with its standard error.</p>\n",
        html::escape(&args.param),
        html::escape(&name),
        counted(trials as usize, "trial", "trials"),
        seed
    );
    // Runs of neighbouring values with the same outcome ("1, 1.2 and 1.4").
    let mut same: Vec<String> = Vec::new();
    let mut k = 1;
    while k < values.len() {
        if !same_as_before[k] {
            k += 1;
            continue;
        }
        let first = k - 1;
        while k < values.len() && same_as_before[k] {
            k += 1;
        }
        let run = &names[first..k];
        let (last, rest) = run.split_last().expect("a run has two values");
        same.push(format!("{} and {last}", rest.join(", ")));
    }
    let same_note = (!same.is_empty()).then(|| {
        format!(
            "Values {} gave the very same outcome in every trial: the model rounds `{}` (counts to whole numbers, days to whole days), or it does not matter in this scenario.",
            same.join("; "),
            args.param
        )
    });
    body += &html::table("sweep", &th, &table_rows);
    if let Some(note) = &same_note {
        let _ = writeln!(body, "<p class=\"note\">{}</p>", html::escape(note));
    }
    body += &html::figure(&chart);
    if !trows.is_empty() {
        body += &thresholds_table(&args.param, "value", (&theader, &trows), trials);
    }
    let manifest = TuneManifest {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments: super::arguments(),
        command: format!("sweep --param {}", args.param),
        swing_trials: None,
        scenarios: values
            .iter()
            .zip(&resolved)
            .map(|(v, r)| {
                ScenarioEntry::new(&format!("{}={}", args.param, toml_number(*v)), r, &r.text)
            })
            .collect(),
        seed,
        trials,
        sampling: common.sampling,
        threads,
        started: started_at,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        files: vec![
            "sweep.csv".into(),
            "thresholds.csv".into(),
            "scenario.toml".into(),
            "sweep.png".into(),
            "sweep.svg".into(),
            "report.html".into(),
        ],
    };
    body += &provenance(&manifest);
    out.write(
        "report.html",
        html::page(&format!("shortfall: sweep {}", args.param), &body).as_bytes(),
    )?;
    out.write("manifest.json", &manifest_json(&manifest, &out)?)?;
    out.commit()?;
    sayln!(
        "sweep of {} in {}: {} values, {} each on common random numbers, seed {}, {:.1} s\n",
        args.param,
        name,
        values.len(),
        counted(trials as usize, "trial", "trials"),
        seed,
        started.elapsed().as_secs_f64()
    );
    say!("{}", console(&th, &table_rows, 0));
    if let Some(note) = &same_note {
        sayln!("\n{note}");
    }
    if !tlines.is_empty() {
        say!("\n{tlines}");
    }
    sayln!(
        "\nFiles written to {}/: report.html, sweep.csv, thresholds.csv, sweep.png/.svg, scenario.toml, manifest.json",
        out_path.display()
    );
    Ok(())
}

/// One uncertain input's influence.
#[derive(Debug, Clone)]
struct Influence {
    path: String,
    low: f64,
    high: f64,
    at_low: f64,
    at_high: f64,
    swing: Paired,
    rho: f64,
    rho_ci: (f64, f64),
}

/// One hazard switched off, against all on, on the same trials.
#[derive(Debug, Clone)]
struct HazardOff {
    hazard: usize,
    all_on: f64,
    without: f64,
    /// All on minus off, trial by trial.
    reduction: Paired,
    /// The chance of exceeding each of the scenario's thresholds, in their order.
    tails: Vec<TailOff>,
}

/// The chance of exceeding one threshold with every hazard on and with one off, on the
/// same trials, and its reduction (on minus off, trial by trial).
#[derive(Debug, Default, Clone)]
struct TailOff {
    /// Trials above the threshold with every hazard on (first) and with the hazard off
    /// (second).
    pairs: crate::stats::PairedCounts,
}

impl TailOff {
    /// One trial's metric with every hazard on and with one off. Compared in `f32`, as
    /// the run's `exceedance.csv` compares the values it keeps; a trial that leaves the
    /// metric undefined in either is left out.
    fn push(&mut self, on: f64, off: f64, threshold: f64) {
        if on.is_nan() || off.is_nan() {
            return;
        }
        let t = threshold as f32;
        self.pairs.push((on as f32) > t, (off as f32) > t);
    }

    /// The trials counted: those that define the metric with the hazard on and off.
    fn trials(&self) -> u64 {
        self.pairs.n()
    }

    /// The share of the trials counted above the threshold with every hazard on, or
    /// with the hazard off (undefined without any trial).
    fn share(&self, on: bool) -> f64 {
        let c = &self.pairs;
        let above = c.both + if on { c.first_only } else { c.second_only };
        match self.trials() {
            0 => f64::NAN,
            n => above as f64 / n as f64,
        }
    }

    /// The reduction (on minus off: the mean of each trial's difference of indicators)
    /// and its 95% interval, undefined without any trial.
    fn reduction(&self) -> (f64, (f64, f64)) {
        (self.pairs.difference(), self.pairs.interval())
    }
}

/// `shortfall sensitivity`.
pub fn sensitivity(args: &SensitivityArgs) -> Result<()> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    let common = &args.common;
    let (model, resolved) = scenario::load_with(args.scenario.as_deref(), &common.set)?;
    print_notes(&resolved);
    let (trials, seed) = common.trials_seed(&model)?;
    if args.swing_trials == 0 || args.swing_trials > engine::MAX_TRIALS {
        return Err(Error::Usage {
            flag: "--swing-trials",
            message: format!(
                "must be from 1 to {} (each one-at-a-time run takes that many); got {}",
                engine::MAX_TRIALS,
                args.swing_trials
            ),
        });
    }
    let swing_trials = args.swing_trials;
    let (pool, threads) = common.pool()?;
    let name = model.name.clone();
    let out_path = common
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("sensitivity-{name}")));
    let copy = ["scenario.toml".to_string()];
    crate::report::refuse_replacing(&out_path, &resolved.files, &copy)?;
    let mut out = OutDir::create(&out_path)?;
    out.read_from(&resolved.files);
    let mut base = Compiled::new(model);
    base.sampling = common.sampling;
    let np = base.model.params.len();
    let nh = base.model.hazards.len();
    // Plan targets are measured against, not drawn into, the flow: they cannot move the
    // shortfall, so they are not swung.
    let ranked: Vec<usize> = (0..np)
        .filter(|&k| !base.model.params[k].path.starts_with("plan["))
        .collect();
    let hazard_runs = if nh > 0 { 1 + nh as u64 } else { 0 };
    let total = trials + swing_trials * (1 + 2 * ranked.len() as u64 + hazard_runs);
    let inputs = match np - ranked.len() {
        0 => format!("{} uncertain inputs", ranked.len()),
        plans => format!(
            "{} uncertain inputs (not counting {plans} drawn plan target{}, which cannot move the shortfall)",
            ranked.len(),
            if plans == 1 { "" } else { "s" }
        ),
    };
    let bar = progress_bar(total, common.quiet);
    // The scenario's thresholds: (metric, its column, value).
    let thresholds: Vec<(String, usize, f64)> = (base.model.thresholds.iter())
        .filter_map(|t| {
            let j = base
                .layout
                .columns
                .iter()
                .position(|c| c.name == t.metric)?;
            Some(t.values.iter().map(move |&x| (t.metric.clone(), j, x)))
        })
        .flatten()
        .collect();
    let (influences, base_mean, hazards) = pool.install(|| -> Result<_> {
        // 1. Rank correlation of each drawn input with the shortfall, from one run.
        // Every trial's inputs and shortfall, 8 bytes each.
        let mut xs: Vec<Vec<f64>> = vec![Vec::new(); np + 1];
        for x in &mut xs {
            x.try_reserve_exact(trials as usize)
                .map_err(|_| Error::Usage {
                    flag: "--trials",
                    message: format!(
                        "{trials} trials need {:.1} GB for the rank correlations of {np} inputs, more than this machine can give; lower --trials",
                        (np + 1) as f64 * trials as f64 * 8.0 / 1e9
                    ),
                })?;
        }
        let mut ys = xs.pop().unwrap_or_default();
        run_paired(
            std::slice::from_ref(&base),
            seed,
            trials,
            &bar,
            Some(&[]),
            |outs| {
                for o in &outs[0] {
                    ys.push(o.metrics[SHORTFALL_FRACTION]);
                    for (k, x) in xs.iter_mut().enumerate() {
                        x.push(o.params[k]);
                    }
                }
            },
        )?;
        // 2. One at a time: each input at its P10 and P90, the others at their medians.
        let mut pinned = base.clone();
        pinned.pinned = Some(vec![0.5; np]);
        let median_run = run_paired(
            std::slice::from_ref(&pinned),
            seed,
            swing_trials,
            &bar,
            Some(&[]),
            |_| {},
        )?
        .remove(0);
        let base_mean = median_run.columns[SHORTFALL_FRACTION].moments.mean;
        let mut influences = Vec::new();
        for &k in &ranked {
            let p = &base.model.params[k];
            let mut lo = pinned.clone();
            let mut hi = pinned.clone();
            let mut levels = vec![0.5; np];
            levels[k] = 0.1;
            lo.pinned = Some(levels.clone());
            levels[k] = 0.9;
            hi.pinned = Some(levels);
            let mut swing = Paired::default();
            let aggs = run_paired(&[lo, hi], seed, swing_trials, &bar, Some(&[]), |outs| {
                for (a, b) in outs[0].iter().zip(&outs[1]) {
                    swing.push(
                        a.metrics[SHORTFALL_FRACTION],
                        b.metrics[SHORTFALL_FRACTION],
                        true,
                    );
                }
            })?;
            let rho = spearman(&xs[k], &ys);
            // As the pinned trials drew it.
            let value = |u: f64| {
                let v = base.param_inverses[k].at(u);
                if p.integer { v.round() } else { v }
            };
            influences.push(Influence {
                path: p.path.clone(),
                low: value(0.1),
                high: value(0.9),
                at_low: aggs[0].columns[SHORTFALL_FRACTION].moments.mean,
                at_high: aggs[1].columns[SHORTFALL_FRACTION].moments.mean,
                swing,
                rho,
                rho_ci: spearman_ci(rho, ys.len()),
            });
        }
        // 3. Each hazard switched off, against all on, on the same trials: the run with
        // every hazard on once, beside one run with each hazard off.
        let mut hazards = Vec::new();
        if nh > 0 {
            let mut variants = vec![base.clone()];
            for h in 0..nh {
                let mut off = base.clone();
                off.hazard_off[h] = true;
                variants.push(off);
            }
            let mut diffs = vec![Paired::default(); nh];
            let mut tails = vec![vec![TailOff::default(); thresholds.len()]; nh];
            let aggs = run_paired(&variants, seed, swing_trials, &bar, Some(&[]), |outs| {
                for ((off, diff), tails) in outs[1..].iter().zip(&mut diffs).zip(&mut tails) {
                    for (a, b) in outs[0].iter().zip(off) {
                        diff.push(
                            b.metrics[SHORTFALL_FRACTION],
                            a.metrics[SHORTFALL_FRACTION],
                            true,
                        );
                        for (tail, &(_, j, x)) in tails.iter_mut().zip(&thresholds) {
                            tail.push(a.metrics[j], b.metrics[j], x);
                        }
                    }
                }
            })?;
            let mean = |k: usize| aggs[k].columns[SHORTFALL_FRACTION].moments.mean;
            for (h, (diff, tails)) in diffs.into_iter().zip(tails).enumerate() {
                hazards.push(HazardOff {
                    hazard: h,
                    all_on: mean(0),
                    without: mean(h + 1),
                    reduction: diff,
                    tails,
                });
            }
        }
        Ok((influences, base_mean, hazards))
    })?;
    bar.finish_and_clear();
    let mut influences = influences;
    influences.sort_by(|a, b| {
        b.swing
            .diff
            .mean
            .abs()
            .total_cmp(&a.swing.diff.mean.abs())
            .then(b.rho.abs().total_cmp(&a.rho.abs()))
    });
    let mut hazards = hazards;
    // Reduction when switched off = (all on) - (off): `diff` holds on - off.
    hazards.sort_by(|a, b| b.reduction.diff.mean.total_cmp(&a.reduction.diff.mean));
    let copy = super::as_run(
        &resolved.text,
        &base.model,
        (trials, seed),
        "sensitivity scenario.toml",
        &[
            super::result_flags(common.sampling),
            if args.swing_trials == DEFAULT_SWING_TRIALS {
                vec![]
            } else {
                vec![format!("--swing-trials {}", args.swing_trials)]
            },
        ]
        .concat(),
    );
    out.write("scenario.toml", copy.as_bytes())?;
    let header: Vec<String> = [
        "rank",
        "input",
        "p10_value",
        "p90_value",
        "shortfall_at_p10",
        "shortfall_at_p90",
        "shortfall_at_medians",
        "swing",
        "swing_se",
        "spearman",
        "spearman_ci95_low",
        "spearman_ci95_high",
    ]
    .map(String::from)
    .to_vec();
    let rows: Vec<Vec<String>> = influences
        .iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                (i + 1).to_string(),
                f.path.clone(),
                num(f.low),
                num(f.high),
                num(f.at_low),
                num(f.at_high),
                num(base_mean),
                num(f.swing.diff.mean),
                num(f.swing.diff.se()),
                num(f.rho),
                num(f.rho_ci.0),
                num(f.rho_ci.1),
            ]
        })
        .collect();
    write_csv(&mut out, "sensitivity.csv", &header, &rows)?;
    let hheader: Vec<String> = [
        "rank",
        "hazard",
        "kind",
        "shortfall_all_on",
        "shortfall_without",
        "reduction",
        "ci95_low",
        "ci95_high",
    ]
    .map(String::from)
    .to_vec();
    let hrows: Vec<Vec<String>> = hazards
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let (lo, hi) = x.reduction.ci();
            let hz = &base.model.hazards[x.hazard];
            vec![
                (i + 1).to_string(),
                hz.name.clone(),
                format!("{:?}", hz.kind).to_lowercase(),
                num(x.all_on),
                num(x.without),
                num(x.reduction.diff.mean),
                num(lo),
                num(hi),
            ]
        })
        .collect();
    write_csv(&mut out, "hazards_off.csv", &hheader, &hrows)?;
    let tail_header: Vec<String> = [
        "rank",
        "hazard",
        "kind",
        "metric",
        "unit",
        "threshold",
        "probability_all_on",
        "probability_without",
        "reduction",
        "ci95_low",
        "ci95_high",
        "trials",
    ]
    .map(String::from)
    .to_vec();
    let mut tail_rows = Vec::new();
    for (i, x) in hazards.iter().enumerate() {
        let hz = &base.model.hazards[x.hazard];
        for (t, (metric, j, v)) in x.tails.iter().zip(&thresholds) {
            let (reduction, (lo, hi)) = t.reduction();
            tail_rows.push(vec![
                (i + 1).to_string(),
                hz.name.clone(),
                format!("{:?}", hz.kind).to_lowercase(),
                metric.clone(),
                base.layout.columns[*j].unit.clone(),
                num(*v),
                num(t.share(true)),
                num(t.share(false)),
                num(reduction),
                num(lo),
                num(hi),
                t.trials().to_string(),
            ]);
        }
    }
    write_csv(
        &mut out,
        "hazards_off_thresholds.csv",
        &tail_header,
        &tail_rows,
    )?;
    let bars: Vec<TornadoBar> = influences
        .iter()
        .filter(|f| f.low != f.high)
        .map(|f| TornadoBar {
            label: f.path.clone(),
            low_input: f.low,
            high_input: f.high,
            at_low: f.at_low,
            at_high: f.at_high,
        })
        .collect();
    let label = scenario_label(&name, &common.set);
    let tornado = render_tornado(&label, base_mean, &bars, swing_trials, seed, &mut out)?;
    let hbars: Vec<HazardBar> = hazards
        .iter()
        .map(|x| {
            let (lo, hi) = x.reduction.ci();
            HazardBar {
                hazard: base.model.hazards[x.hazard].name.clone(),
                reduction: x.reduction.diff.mean,
                lo,
                hi,
            }
        })
        .collect();
    let hchart = render_hazards_off(&label, &hbars, swing_trials, seed, &mut out)?;
    // Report and console.
    let th = [
        "rank",
        "input",
        "P10 → P90",
        "shortfall at P10 → P90",
        "swing ± se",
        "Spearman (95% CI)",
    ];
    let trows: Vec<Vec<String>> = influences
        .iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                (i + 1).to_string(),
                f.path.clone(),
                format!("{} → {}", short(f.low), short(f.high)),
                format!("{} → {}", pct(f.at_low), pct(f.at_high)),
                format!("{} ± {}", pp(f.swing.diff.mean), pp_se(f.swing.diff.se())),
                if f.rho.is_finite() && f.rho_ci.0.is_nan() {
                    format!("{:+.3} (no interval below 4 trials)", f.rho)
                } else if f.rho.is_finite() {
                    format!("{:+.3} ({:+.3} .. {:+.3})", f.rho, f.rho_ci.0, f.rho_ci.1)
                } else {
                    "- (input or outcome constant)".to_string()
                },
            ]
        })
        .collect();
    // A column for the chance of exceeding each threshold without the hazard (the
    // shortfall fraction's named only in the line above the table).
    let fmt_num = crate::model::dist::fmt_num;
    let above = |metric: &str, x: f64| format!("P({metric} > {})", fmt_num(x));
    let hh: Vec<String> = [
        "rank",
        "hazard",
        "shortfall without it",
        "reduction (95% CI)",
    ]
    .map(String::from)
    .into_iter()
    .chain((thresholds.iter()).map(|(m, _, x)| match m.as_str() {
        "shortfall_fraction" => format!("P(> {}) without (reduction)", fmt_num(*x)),
        _ => format!("{} without (reduction)", above(m, *x)),
    }))
    .collect();
    let hh: Vec<&str> = hh.iter().map(String::as_str).collect();
    let htrows: Vec<Vec<String>> = hazards
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let (lo, hi) = x.reduction.ci();
            let mut row = vec![
                (i + 1).to_string(),
                base.model.hazards[x.hazard].name.clone(),
                pct(x.without),
                format!("{} ({} .. {})", pp(x.reduction.diff.mean), pp(lo), pp(hi)),
            ];
            row.extend((x.tails.iter()).map(|t| match t.trials() {
                0 => "-".to_string(),
                _ => {
                    // (Marked where its interval holds 0: see `unsure` below.)
                    let (r, (lo, hi)) = t.reduction();
                    let mark = if lo <= 0.0 && hi >= 0.0 { "*" } else { "" };
                    format!("{} ({r:+.4}){mark}", short(t.share(false)))
                }
            }));
            row
        })
        .collect();
    // (What is said of correlations and plan targets only where the scenario has them.)
    let correlated = if base.model.correlation.is_some() {
        "The one-at-a-time runs leave out the scenario's declared rank correlations, so an input's swing is its own effect; its Spearman rank correlation with the shortfall comes from one run"
    } else {
        "An input's Spearman rank correlation with the shortfall comes from one run"
    };
    let with_them = if base.model.correlation.is_some() {
        ", correlations included, so that an input correlated with an influential one shares some of its correlation"
    } else {
        ""
    };
    let plan =
        if (base.model.plan.iter()).any(|t| matches!(t.quantity, crate::model::Num::Param(_))) {
            " Uncertain plan targets are not ranked: they do not change the shortfall."
        } else {
            ""
        };
    let mut body = format!(
        "<h1>What drives the shortfall: scenario {}</h1>\n<p class=\"note\">Inputs are ranked by their one-at-a-time swing: the mean shortfall with the input at its P10 and at its P90 and every other uncertain input at its median, {} each on common random numbers (seed {}); the swing's standard error is that of the paired difference. {correlated} of {} in which every input varies as declared{with_them}. Each has its 95% interval (Fisher z).{plan} With every input at its median the mean shortfall is {}.</p>\n",
        html::escape(&name),
        trials_label(swing_trials),
        seed,
        trials_label(trials),
        pct(base_mean)
    );
    body += "<h2>Drivers, in order</h2>\n";
    body += &html::table("drivers", &th, &trows);
    body += &html::figure(&tornado);
    let all_on_line = match hazards.first() {
        Some(x) => {
            let tails: Vec<String> = (x.tails.iter().zip(&thresholds))
                .map(|(t, (m, _, v))| match t.trials() {
                    0 => format!(
                        "; {} is undefined (its metric is, in every trial)",
                        above(m, *v)
                    ),
                    _ => format!("; {} is {}", above(m, *v), short(t.share(true))),
                })
                .collect();
            format!(
                "With every hazard on, the mean shortfall over these {} is {}{}.",
                trials_label(swing_trials),
                pct(x.all_on),
                tails.concat()
            )
        }
        None => "The scenario has no hazards.".to_string(),
    };
    let _ = writeln!(
        body,
        "<h2>Hazards, in order</h2>\n<p class=\"note\">The mean shortfall with each hazard switched off (no events of its own, no offspring in others), against all hazards on, on the same {} (seed {seed}), and the chance of exceeding each of the scenario's thresholds without it, with its reduction trial by trial (in <code>hazards_off_thresholds.csv</code> with 95% intervals). {all_on_line} Reductions do not add up to the total: hazards overlap in time and excite each other.</p>",
        trials_label(swing_trials)
    );
    body += &html::table("hazards", &hh, &htrows);
    // A reduction of a threshold's probability that could be none, at these trials.
    let unsure = (hazards.iter().flat_map(|x| &x.tails)).any(|t| {
        let (_, (lo, hi)) = t.reduction();
        t.trials() > 0 && lo <= 0.0 && hi >= 0.0
    });
    let unsure_note = "* Its 95% interval holds 0: at these trials the reduction cannot be told from none (the intervals are in hazards_off_thresholds.csv).";
    if unsure {
        let _ = writeln!(body, "<p class=\"note\">{unsure_note}</p>");
    }
    body += &html::figure(&hchart);
    let manifest = TuneManifest {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments: super::arguments(),
        command: format!("sensitivity --swing-trials {swing_trials}"),
        swing_trials: Some(swing_trials),
        scenarios: vec![ScenarioEntry::new(&name, &resolved, &copy)],
        seed,
        trials,
        sampling: common.sampling,
        threads,
        started: started_at,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        files: [
            "sensitivity.csv",
            "scenario.toml",
            "hazards_off.csv",
            "hazards_off_thresholds.csv",
            "tornado.png",
            "tornado.svg",
            "hazards_off.png",
            "hazards_off.svg",
            "report.html",
        ]
        .map(String::from)
        .to_vec(),
    };
    body += &provenance(&manifest);
    out.write(
        "report.html",
        html::page(&format!("shortfall: sensitivity of {name}"), &body).as_bytes(),
    )?;
    out.write("manifest.json", &manifest_json(&manifest, &out)?)?;
    out.commit()?;
    sayln!(
        "sensitivity of {}: {}, {} hazards; {} for correlations, {} per one-at-a-time run, seed {}, {:.1} s\n",
        name,
        inputs,
        nh,
        trials_label(trials),
        trials_label(swing_trials),
        seed,
        started.elapsed().as_secs_f64()
    );
    let top: Vec<Vec<String>> = trows.iter().take(15).cloned().collect();
    say!("{}", console(&th, &top, 2));
    if trows.len() > 15 {
        sayln!("({} more in sensitivity.csv)", trows.len() - 15);
    }
    sayln!("\n{all_on_line}");
    say!("{}", console(&hh, &htrows, 2));
    if unsure {
        sayln!("{unsure_note}");
    }
    sayln!(
        "\nFiles written to {}/: report.html, sensitivity.csv, hazards_off.csv, hazards_off_thresholds.csv, tornado.png/.svg, hazards_off.png/.svg, scenario.toml, manifest.json",
        out_path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Paired, pp, pp_se, range_values};

    #[test]
    fn small_differences_keep_two_significant_digits() {
        assert_eq!(pp_se(0.000018), "0.0018 pp");
        assert_eq!(pp(0.0011), "+0.11 pp");
        assert_eq!(pp(-0.0000046), "-0.00046 pp");
        assert_eq!(pp(0.0), "+0.00 pp");
        assert_eq!(pp_se(0.0123), "1.23 pp");
    }

    #[test]
    fn rounding_in_sums_is_neither_worse_nor_better() {
        let mut p = Paired::default();
        // The same tonnes summed in another order, then a real difference each way.
        p.push(1234.5, 1234.5 - 2e-13, true);
        p.push(0.0, 1e-16, true);
        p.push(100.0, 100.001, true);
        p.push(100.0, 99.0, true);
        assert_eq!((p.worse, p.better), (1, 1));
    }

    #[test]
    fn a_range_gives_its_values_as_written() {
        assert_eq!(
            range_values(0.0, 0.3, 7),
            [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
        );
        assert_eq!(range_values(-0.5, 0.5, 3), [-0.5, 0.0, 0.5]);
        assert_eq!(range_values(4.0, 20.0, 5), [4.0, 8.0, 12.0, 16.0, 20.0]);
        // Steps far from round numbers are resolved to 7 significant digits.
        assert_eq!(range_values(0.0, 1.0, 4)[1], 0.3333333);
        assert_eq!(range_values(1e6, 2e6, 3), [1e6, 1.5e6, 2e6]);
        let fine = range_values(1.0, 1.0 + 2e-12, 3);
        assert!(fine[0] < fine[1] && fine[1] < fine[2], "{fine:?}");
        // The ends stay as given, however fine or coarse the step.
        let wide = range_values(0.0001, 10000.0, 3);
        assert_eq!((wide[0], wide[2]), (0.0001, 10000.0));
        let odd = range_values(0.0123456789, 0.5123456789, 2);
        assert_eq!(odd, [0.0123456789, 0.5123456789]);
        // Steps below the decimals a number can be written with are not rounded away.
        let tiny = range_values(1e-310, 2e-310, 3);
        assert!(tiny[0] < tiny[1] && tiny[1] < tiny[2], "{tiny:?}");
    }
}
