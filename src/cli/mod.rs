//! The command line: `shortfall run` and `shortfall check`.

mod check;

use crate::engine::{self, Compiled};
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
    Check {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Fit hazard rates from an ACLED or GTD export (or seeds/incidents.csv).
    Calibrate(CalibrateArgs),
}

/// Options of `calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Event file (CSV).
    pub events: PathBuf,
    /// Format of the file (default: detected from the header).
    #[arg(long, value_enum)]
    pub format: Option<crate::calibrate::read::Format>,
    /// First day of the observation window (default: the first event's date).
    #[arg(long)]
    pub from: Option<jiff::civil::Date>,
    /// Last day of the observation window (default: the last event's date).
    #[arg(long)]
    pub to: Option<jiff::civil::Date>,
    /// Output folder (default: out/calibrate-<file name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Mapping overrides: CSV with columns field,value,maps_to.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Fraction of the data's events expected to hit programme assets, applied to the
    /// rates in the hazards fragment.
    #[arg(long, default_value_t = 1.0)]
    pub share: f64,
}

/// Options of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    pub scenario: Option<PathBuf>,
    /// Number of trials (default: the scenario's `trials`, else 10000).
    #[arg(long)]
    pub trials: Option<u64>,
    /// Seed (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder (default: out/<scenario name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
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
    match cli.command {
        Command::Run(args) => run(&args)?,
        Command::Calibrate(args) => calibrate(&args)?,
        Command::Check { scenario } => {
            let model = scenario::load(&scenario)?;
            print!("{}", check::describe(&model));
        }
    }
    Ok(())
}

/// `shortfall run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now().to_string();
    let (model, path, bytes) = load_scenario(args.scenario.as_deref())?;
    let trials = args.trials.unwrap_or(model.trials);
    if trials == 0 {
        return Err(Error::Usage {
            flag: "--trials",
            message: "must be at least 1".into(),
        });
    }
    let seed = args.seed.unwrap_or(model.seed);
    let threads = match args.threads {
        Some(0) => {
            return Err(Error::Usage {
                flag: "--threads",
                message: "must be at least 1 (omit it to use all cores)".into(),
            });
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&model.name));
    let compiled = Compiled::new(model);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage {
            flag: "--threads",
            message: e.to_string(),
        })?;
    let mut out = OutDir::create(&out_path)?;
    let mut trials_w = TrialsWriter::new(&mut out, &compiled)?;
    let bar = progress_bar(trials, args.quiet);
    let agg = pool.install(|| {
        engine::run(
            &compiled,
            seed,
            trials,
            |first, chunk| trials_w.write(first, chunk),
            |done| bar.set_position(done),
        )
    })?;
    bar.finish_and_clear();
    trials_w.finish()?;
    let sums = files::summaries(&compiled, &agg);
    let run = RunInfo {
        path,
        bytes,
        seed,
        trials,
        threads,
        started,
        started_at,
    };
    let drawn = write_outputs(&compiled, &agg, &sums, run, &mut out)?;
    out.commit()?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {} trials, seed {}, {} threads, {:.1} s ({:.0} trials/s)\n",
        compiled.model.name,
        trials,
        seed,
        threads,
        secs,
        trials as f64 / secs
    );
    print!("{}", files::console_table(&compiled, &sums));
    println!(
        "\nFiles written to {}/: report.html (open it in a browser), summary.csv, trials.csv, yearly.csv, manifest.json, and charts {}",
        out_path.display(),
        drawn
            .iter()
            .map(|c| format!("{}.png/.svg", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The scenario to run (a file, or the built-in baseline), its label and its bytes.
fn load_scenario(file: Option<&std::path::Path>) -> Result<(crate::model::Model, String, Vec<u8>)> {
    let Some(p) = file else {
        return Ok((
            scenario::baseline(),
            scenario::BASELINE_LABEL.to_string(),
            scenario::BASELINE_TOML.as_bytes().to_vec(),
        ));
    };
    let read_err = |source| Error::ReadScenario {
        path: p.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(p).map_err(read_err)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| read_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    let label = p.display().to_string();
    Ok((scenario::parse(text, &label)?, label, bytes))
}

/// What the manifest records about a run.
struct RunInfo {
    path: String,
    bytes: Vec<u8>,
    seed: u64,
    trials: u64,
    threads: usize,
    started: Instant,
    started_at: String,
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
    let inputs = charts::Inputs {
        c: compiled,
        agg,
        sums,
        trials: run.trials,
        seed: run.seed,
    };
    let drawn = charts::render_all(&inputs, out)?;
    let mut written: Vec<String> = ["summary.csv", "trials.csv", "yearly.csv"]
        .map(String::from)
        .to_vec();
    for ch in &drawn {
        written.push(format!("{}.png", ch.name));
        written.push(format!("{}.svg", ch.name));
    }
    written.push("report.html".into());
    let manifest = Manifest {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_name: compiled.model.name.clone(),
        scenario_path: run.path,
        scenario_sha256: files::sha256_hex(&run.bytes),
        seed: run.seed,
        trials: run.trials,
        threads: run.threads,
        started: run.started_at,
        elapsed_seconds: run.started.elapsed().as_secs_f64(),
        files: written,
    };
    out.write(
        "report.html",
        html::report(compiled, agg, sums, &drawn, &manifest).as_bytes(),
    )?;
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Output {
        path: out.path().join("manifest.json"),
        source: e.into(),
    })?;
    out.write("manifest.json", &json)?;
    Ok(drawn)
}

/// `shortfall calibrate`.
pub fn calibrate(args: &CalibrateArgs) -> Result<()> {
    use crate::calibrate::{self, mapping::Mapping, read};
    if !(args.share > 0.0 && args.share <= 1.0) {
        return Err(Error::Usage {
            flag: "--share",
            message: format!("must be in (0, 1]; got {}", args.share),
        });
    }
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
    let mut out = OutDir::create(&out_path)?;
    out.write("rates.csv", &calibrate::rates_csv(&cal)?)?;
    out.write(
        "hazards.toml",
        calibrate::hazards_fragment(&cal, &source, args.share).as_bytes(),
    )?;
    out.write("unmapped.csv", &calibrate::unmapped_csv(&cal)?)?;
    charts::calibration_chart(&cal, &source, &mut out)?;
    out.commit()?;
    print!("{}", calibrate::console(&cal));
    println!(
        "\nFiles written to {}/: rates.csv, hazards.toml (paste into a scenario), unmapped.csv, monthly_counts.png/.svg",
        out_path.display()
    );
    Ok(())
}

fn progress_bar(trials: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(trials);
    let style = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} trials  {per_sec}  eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
