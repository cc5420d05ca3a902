//! The command line: `shortfall run` and `shortfall check`.

/// Prints to standard output like `print!`. When the reader has gone (a closed pipe,
/// as in `shortfall run | head`) it stops the program quietly instead of panicking:
/// every command prints only after its files are complete.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// Like `println!`, with [`say!`]'s handling of a closed pipe.
macro_rules! sayln {
    () => { say!("\n") };
    ($($arg:tt)*) => {{
        say!($($arg)*);
        say!("\n");
    }};
}

pub mod check;
pub mod tune;

use crate::engine::{self, Compiled, Sampling};
use crate::error::{Error, Result};
use crate::report::files::{self, Manifest, TrialsWriter};
use crate::report::{OutDir, charts, html};
use crate::scenario;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

/// Monte Carlo simulator of disruption risk to the Pakistan-US critical-minerals
/// programme (FWO-USSM memorandum, September 2025).
#[derive(Debug, Parser)]
#[command(name = "shortfall", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (the built-in baseline when none is given) and write results.
    Run(RunArgs),
    /// Validate a scenario and print the resolved model.
    Check(CheckArgs),
    /// Run several scenarios on common random numbers and compare them trial by trial.
    Compare(tune::CompareArgs),
    /// Run a scenario at several values of one parameter on common random numbers.
    Sweep(tune::SweepArgs),
    /// Rank the uncertain inputs and the hazards by their influence on the shortfall.
    Sensitivity(tune::SensitivityArgs),
    /// Fit hazard rates from an ACLED or GTD export (or seeds/incidents.csv).
    Calibrate(CalibrateArgs),
}

/// Options of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    pub scenario: Option<PathBuf>,
    /// Override a value by key path, e.g. --set 'hazards[bla_attacks].rate_per_year=12'
    /// (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the resolved scenario (after `extends` and `--set`) as TOML instead of the
    /// model.
    #[arg(long)]
    pub resolved: bool,
}

/// Options of `calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Event file (CSV).
    pub events: PathBuf,
    /// Format of the file (default: detected from the header).
    #[arg(long, value_enum)]
    pub format: Option<crate::calibrate::read::Format>,
    /// First day of the observation window (default: the date of the first event kept,
    /// over all regions).
    #[arg(long, value_parser = iso_date)]
    pub from: Option<jiff::civil::Date>,
    /// Last day of the observation window (default: the date of the last event kept, over
    /// all regions; the end of its month if its day is not known).
    #[arg(long, value_parser = iso_date)]
    pub to: Option<jiff::civil::Date>,
    /// Output folder (default: out/calibrate-<file name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Mapping overrides: CSV with columns field,value,maps_to.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Fraction of the data's events expected to hit programme assets (0.000001 to 1),
    /// applied to the rates in the hazards fragment.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = share)]
    pub share: f64,
}

/// Options shared by `run`, `compare`, `sweep` and `sensitivity`.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Override a scenario value by key path, e.g.
    /// --set 'hazards[bla_attacks].rate_per_year=12' or
    /// --set 'hazards[bla_attacks].impact.severity={ pert = [0.3, 0.6, 1.0] }'
    /// (repeatable; applied to every scenario of the command).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Number of trials (default: the scenario's `trials`, else 10000).
    #[arg(long, allow_negative_numbers = true, value_parser = at_least_one)]
    pub trials: Option<u64>,
    /// Seed, a whole number >= 0 (default: the scenario's `seed`).
    #[arg(long, allow_negative_numbers = true, value_parser = whole)]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (default: all cores). Results do not depend on it.
    #[arg(long, allow_negative_numbers = true, value_parser = at_least_one)]
    pub threads: Option<u64>,
    /// Output folder (default: out/<scenario name>/ for run, out/compare-<names>/,
    /// out/sweep-<scenario>-<key>/, out/sensitivity-<scenario>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Sampling of the uncertain parameters: independent draws, or Latin hypercube
    /// (stratified within each block of 2,048 trials).
    #[arg(long, value_enum, default_value_t)]
    pub sampling: Sampling,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl Common {
    /// Trials and seed for a model, from the flags or the scenario.
    pub(crate) fn trials_seed(&self, model: &crate::model::Model) -> Result<(u64, u64)> {
        // One value from two places would leave the copy of the scenario saying another
        // than the run used.
        for (flag, given, key) in [
            ("--seed", self.seed.is_some(), "seed"),
            ("--trials", self.trials.is_some(), "trials"),
        ] {
            let set = |s: &&String| s.split('=').next().is_some_and(|k| k.trim() == key);
            if given && self.set.iter().any(|s| set(&s)) {
                return Err(Error::Usage {
                    flag,
                    message: format!(
                        "cannot be combined with --set {key}=... (both give the {key}; keep one)"
                    ),
                });
            }
        }
        let trials = self.trials.unwrap_or(model.trials);
        if trials == 0 || trials > engine::MAX_TRIALS {
            return Err(Error::Usage {
                flag: "--trials",
                message: format!(
                    "must be from 1 to {} (a run's percentiles keep about 200 bytes a trial); got {trials}",
                    engine::MAX_TRIALS
                ),
            });
        }
        Ok((trials, self.seed.unwrap_or(model.seed)))
    }

    /// The worker pool and its size.
    pub(crate) fn pool(&self) -> Result<(rayon::ThreadPool, usize)> {
        let threads = match self.threads {
            Some(n) if !(1..=MAX_THREADS as u64).contains(&n) => {
                return Err(Error::Usage {
                    flag: "--threads",
                    message: format!(
                        "must be from 1 to {MAX_THREADS}; got {n} (omit it to use all cores)"
                    ),
                });
            }
            Some(n) => n as usize,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::Usage {
                flag: "--threads",
                message: e.to_string(),
            })?;
        Ok((pool, threads))
    }
}

/// The most worker threads a run may ask for: far more threads than cores only cost
/// time (results never depend on the number).
const MAX_THREADS: usize = 1024;

/// A flag's value as a whole number >= 0, with a message that says so.
fn whole(text: &str) -> std::result::Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "expected a whole number from 0 to {}, got `{text}`",
            u64::MAX
        )
    })
}

/// A flag's value as an ISO date.
fn iso_date(text: &str) -> std::result::Result<jiff::civil::Date, String> {
    text.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| format!("expected an ISO date such as 2024-01-31, got `{text}`"))
}

/// `--share`: a fraction in [1e-6, 1]. (A millionth of a region's recorded events is
/// already a rate no run could tell from none; far smaller shares underflowed the
/// fragment's gamma scales to 0.)
fn share(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if (1e-6..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "expected a fraction from 0.000001 to 1, such as 0.25, got `{text}`"
        )),
    }
}

/// A flag's value as a whole number >= 1 (the flag may bound it further).
pub(crate) fn at_least_one(text: &str) -> std::result::Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(format!(
            "expected a whole number >= 1, got `{text}`, which is far too large"
        )),
        _ => Err(format!("expected a whole number >= 1, got `{text}`")),
    }
}

/// Options of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    pub scenario: Option<PathBuf>,
    /// Options shared with the other commands (output folder default:
    /// out/<scenario name>/).
    #[command(flatten)]
    pub common: Common,
    /// Keep running blocks of 2,048 trials until the standard errors of the mean
    /// shortfall fraction and of its P90 are both below this (a fraction: 0.001 is 0.1
    /// percentage point), or --max-trials is reached. Replaces --trials.
    #[arg(long, allow_negative_numbers = true)]
    pub precision: Option<f64>,
    /// Most trials a --precision run may use.
    #[arg(
        long,
        default_value_t = 1_000_000,
        requires = "precision",
        allow_negative_numbers = true,
        value_parser = at_least_one
    )]
    pub max_trials: u64,
}

/// Parses the command line and runs it.
pub fn main() -> anyhow::Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    if !matches!(cli.command, Command::Check(_) | Command::Calibrate(_)) {
        stop_on_interrupt();
    }
    match cli.command {
        Command::Run(args) => run(&args)?,
        Command::Compare(args) => tune::compare(&args)?,
        Command::Sweep(args) => tune::sweep(&args)?,
        Command::Sensitivity(args) => tune::sensitivity(&args)?,
        Command::Calibrate(args) => calibrate(&args)?,
        Command::Check(args) => {
            let (model, resolved) = scenario::load_with(args.scenario.as_deref(), &args.set)?;
            print_notes(&resolved);
            if args.resolved {
                say!("{}", resolved.text);
            } else {
                if resolved.files.len() > 1 || !resolved.sets.is_empty() {
                    sayln!("resolved from {}\n", resolved.describe());
                }
                say!("{}", check::describe(&model));
            }
        }
    }
    Ok(())
}

/// Prints what the overrides changed besides their own keys, on standard error.
pub(crate) fn print_notes(r: &scenario::resolve::Resolved) {
    for n in &r.notes {
        eprintln!("note: {}: {n}", r.label);
    }
}

/// A scenario's text as a run writes its copy (`scenario.toml`): the text itself, closed
/// by a comment giving the seed and the trials the run used where they are not the ones
/// it sets (`--seed`, `--trials`, `--precision`, or a `compare` that runs every scenario
/// with the first's), so that the copy says how to repeat the run.
pub(crate) fn as_run(
    text: &str,
    model: &crate::model::Model,
    (trials, seed): (u64, u64),
    command: &str,
    flags: &[String],
) -> String {
    let own = model.trials == trials && model.seed == seed;
    if own && flags.is_empty() {
        return text.to_string();
    }
    let mut s = text.to_string();
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    let mut with = Vec::new();
    let mut line = format!("shortfall {command}");
    if !own {
        with.push(format!(
            "seed {seed} and {trials} trial{} (the scenario's own: seed {}, {} trial{})",
            if trials == 1 { "" } else { "s" },
            model.seed,
            model.trials,
            if model.trials == 1 { "" } else { "s" },
        ));
        line += &format!(" --seed {seed} --trials {trials}");
    }
    for f in flags {
        with.push(f.clone());
        line += &format!(" {f}");
    }
    s += &format!(
        "\n# Run with {}; to repeat it:\n# {line}\n",
        with.join(" and ")
    );
    s
}

/// The options of a run, besides its seed and trials, that its results depend on and
/// that are not in its scenario: what a copy of the scenario needs to repeat it.
pub(crate) fn result_flags(sampling: engine::Sampling) -> Vec<String> {
    match sampling {
        engine::Sampling::Random => Vec::new(),
        engine::Sampling::Lhs => vec!["--sampling lhs".into()],
    }
}

/// Minimum trials before a --precision run may stop.
const MIN_PRECISION_TRIALS: u64 = 2 * engine::CHUNK;

/// `shortfall run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    let common = &args.common;
    let (model, resolved) = scenario::load_with(args.scenario.as_deref(), &common.set)?;
    print_notes(&resolved);
    let (mut trials, seed) = common.trials_seed(&model)?;
    if let Some(p) = args.precision {
        // (A standard error of a fraction is at most 0.5: a target of 0.5 or more is
        // met by any run, and is most likely a percentage meant as a fraction.)
        if !(p.is_finite() && p > 0.0 && p < 0.5) {
            return Err(Error::Usage {
                flag: "--precision",
                message: format!(
                    "must be a positive fraction below 0.5, such as 0.001 (0.1 percentage point{}); got {p}",
                    if p.is_finite() && p >= 0.5 {
                        format!("; for {p} percentage points write {}", p / 100.0)
                    } else {
                        String::new()
                    }
                ),
            });
        }
        if !(MIN_PRECISION_TRIALS..=engine::MAX_TRIALS).contains(&args.max_trials) {
            return Err(Error::Usage {
                flag: "--max-trials",
                message: format!(
                    "must be from {MIN_PRECISION_TRIALS} to {}; got {}",
                    engine::MAX_TRIALS,
                    args.max_trials
                ),
            });
        }
        if common.trials.is_some() {
            return Err(Error::Usage {
                flag: "--trials",
                message: "cannot be combined with --precision (use --max-trials)".into(),
            });
        }
        trials = args.max_trials;
    }
    let (pool, threads) = common.pool()?;
    let out_path = common
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&model.name));
    crate::report::refuse_replacing(&out_path, &resolved.files, &["scenario.toml".into()])?;
    let mut compiled = Compiled::new(model);
    compiled.sampling = common.sampling;
    let mut out = OutDir::create(&out_path)?;
    out.read_from(&resolved.files);
    let mut trials_w = TrialsWriter::new(&mut out, &compiled)?;
    let bar = progress_bar(trials, common.quiet);
    let mut errors = (f64::NAN, f64::NAN);
    let mut checked = 0;
    let agg = pool.install(|| {
        engine::run_until(
            &compiled,
            seed,
            trials,
            |agg| match args.precision {
                Some(p) => {
                    // Check after 10% more trials (sorting for the P90 costs), and last.
                    let n = agg.trials;
                    if n < MIN_PRECISION_TRIALS || (n < checked + checked / 10 && n < trials) {
                        return false;
                    }
                    checked = n;
                    errors = standard_errors(agg);
                    precise(errors, p)
                }
                None => false,
            },
            |first, chunk| trials_w.write(first, chunk),
            |done| bar.set_position(done),
        )
    })?;
    bar.finish_and_clear();
    trials_w.finish()?;
    let trials = agg.trials;
    let sums = files::summaries(&compiled, &agg);
    // A run of fixed trials is judged against the default target.
    if args.precision.is_none() {
        errors = standard_errors(&agg);
    }
    let precision = args.precision.unwrap_or(files::DEFAULT_PRECISION);
    let convergence = Some(files::Convergence {
        precision,
        precision_given: args.precision.is_some(),
        converged: precise(errors, precision),
        trials,
        max_trials: args.precision.map_or(trials, |_| args.max_trials),
        mean_se: errors.0,
        p90_se: errors.1,
        latin_hypercube: common.sampling == Sampling::Lhs,
    });
    let run = RunInfo {
        resolved,
        seed,
        trials,
        threads,
        sampling: common.sampling,
        started,
        started_at,
        convergence: convergence.clone(),
    };
    let run_sets = run.resolved.sets.clone();
    let drawn = write_outputs(&compiled, &agg, &sums, run, &mut out)?;
    out.commit()?;
    let secs = started.elapsed().as_secs_f64();
    sayln!(
        "{}: {} trial{}, seed {}, {} thread{}, {:.1} s ({:.0} trials/s)\n",
        (run_sets.iter()).fold(compiled.model.name.clone(), |s, o| s + " --set " + o),
        trials,
        if trials == 1 { "" } else { "s" },
        seed,
        threads,
        if threads == 1 { "" } else { "s" },
        secs,
        trials as f64 / secs
    );
    if let Some(c) = &convergence {
        sayln!("{}\n", c.describe());
    }
    say!("{}", files::console_table(&compiled, &sums));
    let exceed = files::exceedances(&compiled, &agg);
    if !exceed.is_empty() {
        say!("\n{}", files::exceedance_lines(&compiled, &exceed, trials));
    }
    if let Some(note) = files::undefined_note(&compiled, &agg) {
        sayln!("\n{note}");
    }
    if let Some(note) = files::nothing_flows_note(&compiled, &agg) {
        sayln!("\n{note}");
    }
    for note in files::day_notes(&compiled, &sums) {
        sayln!("\n{note}");
    }
    sayln!(
        "\nFiles written to {}/: report.html (open it in a browser), summary.csv, trials.csv, yearly.csv, exceedance.csv, scenario.toml, manifest.json, and charts {}",
        out_path.display(),
        drawn
            .iter()
            .map(|c| format!("{}.png/.svg", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Whether both standard errors are below `p`, the P90's by the margin of
/// [`crate::stats::p90_se_margin`].
fn precise(errors: (f64, f64), p: f64) -> bool {
    errors.0 < p && errors.1 * crate::stats::p90_se_margin() < p
}

/// Standard errors of the mean shortfall fraction and of its P90 (batch means).
fn standard_errors(agg: &engine::Aggregate) -> (f64, f64) {
    let col = &agg.columns[engine::outcome::SHORTFALL_FRACTION];
    (col.moments.se(), crate::stats::batch_se(&col.values, 0.9))
}

/// On Ctrl-C or SIGTERM, a run stops at the end of its current chunk of trials and
/// removes its temporary files as its error unwinds (see [`engine::interrupt`]); a
/// second signal stops it at once. A signal ignored when the process started (Ctrl-C
/// for a background job of a script) stays ignored; SIGHUP keeps its default.
fn stop_on_interrupt() {
    stop_on_terminate();
    if signal_ignored(SIGINT) {
        return;
    }
    // Without a handler (should one be set already), Ctrl-C stops the process at once,
    // as before.
    let _ = ctrlc::set_handler(|| {
        if engine::interrupted() {
            std::process::exit(INTERRUPTED_EXIT);
        }
        engine::interrupt();
        eprintln!(
            "\nstopping after the trials under way and removing the partial files (Ctrl-C again to stop at once, leaving them)"
        );
    });
}

#[cfg(unix)]
const SIGINT: i32 = libc::SIGINT;
#[cfg(not(unix))]
const SIGINT: i32 = 2;

/// Set when SIGTERM stopped the run (its exit status is then [`TERMINATED_EXIT`]).
static TERMINATED: std::sync::LazyLock<std::sync::Arc<std::sync::atomic::AtomicBool>> =
    std::sync::LazyLock::new(Default::default);

/// SIGTERM (sent by job schedulers, `kill`, `docker stop`) stops a run as Ctrl-C does,
/// without the message (a signal handler may not print); a second one exits at once.
#[cfg(unix)]
fn stop_on_terminate() {
    use signal_hook::{consts::SIGTERM, flag};
    if signal_ignored(SIGTERM) {
        return;
    }
    // The first SIGTERM sets the flags (which signal first, so that the run never stops
    // without knowing it); one that finds them set exits.
    let _ = flag::register_conditional_shutdown(SIGTERM, TERMINATED_EXIT, engine::interrupt_flag());
    let _ = flag::register(SIGTERM, std::sync::Arc::clone(&TERMINATED));
    let _ = flag::register(SIGTERM, engine::interrupt_flag());
}

#[cfg(not(unix))]
fn stop_on_terminate() {}

/// Whether `signal` was set to be ignored when the process started.
#[cfg(unix)]
fn signal_ignored(signal: i32) -> bool {
    // SAFETY: with a null new action, `sigaction` only reads the current one into
    // `old`, a plain C struct that all-zero bytes initialise validly.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

#[cfg(not(unix))]
fn signal_ignored(_: i32) -> bool {
    false
}

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT: i32 = 130;

/// The exit status of a run stopped by SIGTERM (128 + SIGTERM).
pub const TERMINATED_EXIT: i32 = 143;

/// The exit status of a run stopped by a signal.
pub fn interrupted_exit() -> i32 {
    if TERMINATED.load(std::sync::atomic::Ordering::SeqCst) {
        TERMINATED_EXIT
    } else {
        INTERRUPTED_EXIT
    }
}

/// The command line as given, after the program's name, for the manifests.
pub(crate) fn arguments() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// What the manifest records about a run.
struct RunInfo {
    resolved: scenario::resolve::Resolved,
    seed: u64,
    trials: u64,
    threads: usize,
    sampling: engine::Sampling,
    started: Instant,
    started_at: String,
    convergence: Option<files::Convergence>,
}

/// Summary, yearly table, charts, report and manifest (under temporary names).
fn write_outputs(
    compiled: &Compiled,
    agg: &engine::Aggregate,
    sums: &[crate::stats::Summary],
    run: RunInfo,
    out: &mut OutDir,
) -> Result<Vec<charts::Chart>> {
    out.write("summary.csv", &files::summary_csv(compiled, sums)?)?;
    out.write("yearly.csv", &files::yearly_csv(compiled, agg)?)?;
    let exceed = files::exceedances(compiled, agg);
    out.write("exceedance.csv", &files::exceedance_csv(compiled, &exceed)?)?;
    let inputs = charts::Inputs {
        c: compiled,
        agg,
        sums,
        trials: run.trials,
        seed: run.seed,
        overrides: &run.resolved.sets,
    };
    let drawn = charts::render_all(&inputs, out)?;
    let copy = as_run(
        &run.resolved.text,
        &compiled.model,
        (run.trials, run.seed),
        "run scenario.toml",
        &result_flags(run.sampling),
    );
    out.write("scenario.toml", copy.as_bytes())?;
    let mut written: Vec<String> = [
        "summary.csv",
        "trials.csv",
        "yearly.csv",
        "exceedance.csv",
        "scenario.toml",
    ]
    .map(String::from)
    .to_vec();
    for ch in &drawn {
        written.push(format!("{}.png", ch.name));
        written.push(format!("{}.svg", ch.name));
    }
    written.push("report.html".into());
    let manifest = Manifest {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments: arguments(),
        scenario_name: compiled.model.name.clone(),
        scenario_path: run.resolved.label.clone(),
        scenario_files: run.resolved.files.clone(),
        overrides: run.resolved.sets.clone(),
        scenario_sha256: files::sha256_hex(copy.as_bytes()),
        sampling: run.sampling,
        convergence: run.convergence,
        seed: run.seed,
        trials: run.trials,
        threads: run.threads,
        started: run.started_at,
        elapsed_seconds: run.started.elapsed().as_secs_f64(),
        files: written,
    };
    out.write(
        "report.html",
        html::report(compiled, agg, sums, &exceed, &drawn, &manifest).as_bytes(),
    )?;
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Output {
        path: out.path().join("manifest.json"),
        source: e.into(),
    })?;
    out.write("manifest.json", &json)?;
    Ok(drawn)
}

/// Provenance of a calibration, written as its `manifest.json`.
#[derive(Debug, serde::Serialize)]
struct CalibrateManifest {
    tool_version: String,
    /// The command line as given, after the program's name.
    arguments: Vec<String>,
    command: &'static str,
    events_file: String,
    events_sha256: String,
    /// As given by `--format` or detected from the header.
    format: &'static str,
    mapping_file: Option<String>,
    mapping_sha256: Option<String>,
    /// The observation window used, given or taken from the events.
    from: String,
    to: String,
    share: f64,
    started: String,
    elapsed_seconds: f64,
    files: Vec<String>,
}

/// `shortfall calibrate`.
pub fn calibrate(args: &CalibrateArgs) -> Result<()> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    use crate::calibrate::{self, mapping::Mapping, read};
    let mapping = match &args.mapping {
        Some(p) => Mapping::with_file(p)?,
        None => Mapping::default(),
    };
    let events = read::read(&args.events, args.format, &mapping)?;
    let cal = calibrate::calibrate(events, args.from, args.to)?;
    let stem = args
        .events
        .file_stem()
        .map_or("events".into(), |s| s.to_string_lossy().into_owned());
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("calibrate-{stem}")));
    let source = args
        .events
        .file_name()
        .map_or(stem.clone(), |s| s.to_string_lossy().into_owned());
    // The incident file or the mapping, kept in the output folder under the name of
    // an output, is never replaced by it.
    let inputs: Vec<&PathBuf> = std::iter::once(&args.events).chain(&args.mapping).collect();
    let names = [
        "rates.csv",
        "hazards.toml",
        "unmapped.csv",
        "monthly_counts.png",
        "monthly_counts.svg",
        "manifest.json",
    ]
    .map(String::from);
    crate::report::refuse_replacing(&out_path, &inputs, &names)?;
    // (Read again for its hash; the mapping was read whole above.)
    let mapping_sha256 = match &args.mapping {
        Some(p) => Some(files::sha256_hex(&std::fs::read(p).map_err(|e| {
            Error::Input {
                path: p.clone(),
                row: None,
                column: None,
                message: format!("cannot be read: {e}"),
            }
        })?)),
        None => None,
    };
    let mut out = OutDir::create(&out_path)?;
    out.read_from(&inputs);
    out.write("rates.csv", &calibrate::rates_csv(&cal)?)?;
    out.write(
        "hazards.toml",
        calibrate::hazards_fragment(&cal, &source, args.share).as_bytes(),
    )?;
    out.write("unmapped.csv", &calibrate::unmapped_csv(&cal)?)?;
    charts::calibration_chart(&cal, &source, &mut out)?;
    let manifest = CalibrateManifest {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments: arguments(),
        command: "calibrate",
        events_file: args.events.display().to_string(),
        events_sha256: cal.events.sha256.clone(),
        format: cal.events.format.map_or("", |f| f.name()),
        mapping_file: args.mapping.as_ref().map(|p| p.display().to_string()),
        mapping_sha256,
        from: cal.from.to_string(),
        to: cal.to.to_string(),
        share: args.share,
        started: started_at,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        files: names.to_vec(),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Output {
        path: out.path().join("manifest.json"),
        source: e.into(),
    })?;
    out.write("manifest.json", &json)?;
    out.commit()?;
    say!("{}", calibrate::console(&cal));
    sayln!(
        "\nFiles written to {}/: rates.csv, hazards.toml (paste into a scenario), unmapped.csv, monthly_counts.png/.svg, manifest.json",
        out_path.display()
    );
    Ok(())
}

fn progress_bar(trials: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(trials);
    let style =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} trials  {rate}  eta {eta}")
            .map(|s| {
                // Whole trials per second (indicatif's own `per_sec` shows four decimals).
                s.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} trials/s", state.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
