//! Errors a user can cause, with messages that say what is wrong and how to fix it.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Key path, e.g. `hazards[bla_attacks].rate_per_year` (empty for the whole file).
    pub path: String,
    /// 1-based line where the parser knows it.
    pub line: Option<usize>,
    /// What is wrong and what would be valid.
    pub message: String,
    /// Where the value was written, as `file:line` or `file`, when the scenario was
    /// merged from several files (`extends`) and `line` cannot point into the merge.
    pub source: Option<String>,
}

/// Every problem found in one scenario file.
#[derive(Debug, Clone)]
pub struct ScenarioProblems {
    /// The file (or `<built-in baseline>`).
    pub file: String,
    /// All problems, in file order.
    pub problems: Vec<Problem>,
    /// Notes on how `extends` merged the files, which may explain a problem (a new
    /// item whose name is a near miss of the parent's).
    pub notes: Vec<String>,
}

impl fmt::Display for ScenarioProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "scenario {} is invalid ({} problem{}):",
            self.file,
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            let at = match (&p.source, p.line) {
                (Some(source), _) => source.clone(),
                (None, Some(l)) => format!("{}:{}", self.file, l),
                (None, None) => self.file.clone(),
            };
            if p.path.is_empty() {
                writeln!(f, "  {at}: {}", p.message)?;
            } else {
                writeln!(f, "  {at}: {}: {}", p.path, p.message)?;
            }
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}

/// Errors of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user interrupted the run (Ctrl-C or SIGTERM).
    #[error(
        "interrupted: the run stopped before it finished; no output file was written, and the partial ones were removed"
    )]
    Interrupted,
    /// A trial drew more events than a trial may
    /// ([`crate::hazards::TRIAL_EVENT_LIMIT`]).
    #[error(
        "scenario {scenario}: trial {trial} drew more than {limit} events, most of them of hazard `{hazard}` ({drawn}), and the run stopped: a trial is built for far fewer. `check` refuses hazards expected to bring more than 200,000 at the 99.9999th percentiles of their rates, but the far tail of a rate's distribution, or a burst of a self-exciting hazard close to a branching ratio of 1, can go far beyond; narrow the distribution of hazards[{hazard}].rate_per_year or lower its self_excitation.jump (or the jumps of the hazards that excite it)",
        limit = crate::report::charts::thousands(crate::hazards::TRIAL_EVENT_LIMIT as u64)
    )]
    TooManyEvents {
        /// The scenario's name (one of several in `compare`).
        scenario: String,
        /// The first trial that did.
        trial: u64,
        /// The hazard with the most events in it.
        hazard: String,
        /// Its drawn uncertain values.
        drawn: String,
    },
    /// A trial's events brought more disruptions than a trial may
    /// ([`crate::engine::trial::TRIAL_DISRUPTION_LIMIT`]).
    #[error(
        "scenario {scenario}: the events of trial {trial} brought more than {limit} disruptions (a stand-down disrupts every site and route of its region), most of them from hazard `{hazard}` ({drawn}), and the run stopped: a trial is built for far fewer. `check` refuses hazards expected to bring more than 400,000 at the 99.9999th percentiles of their rates and stand-down probabilities, but the far tail of a distribution, or a burst of a self-exciting hazard close to a branching ratio of 1, can go far beyond; lower hazards[{hazard}].impact.stand_down_probability, narrow the distribution of its rate_per_year or lower its self_excitation.jump",
        limit = crate::report::charts::thousands(crate::engine::trial::TRIAL_DISRUPTION_LIMIT as u64)
    )]
    TooManyDisruptions {
        /// The scenario's name (one of several in `compare`).
        scenario: String,
        /// The first trial that did.
        trial: u64,
        /// The hazard whose events brought the most disruptions.
        hazard: String,
        /// Its drawn uncertain values.
        drawn: String,
    },
    /// The scenario file could not be read.
    #[error("cannot read scenario file {path}: {source}")]
    ReadScenario {
        /// File named by the user.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The scenario has problems.
    #[error("{0}")]
    Scenario(ScenarioProblems),
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Output {
        /// File or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An input data file (events, mapping) that cannot be used.
    #[error("{}", input_message(path, *row, column.as_deref(), message))]
    Input {
        /// The file.
        path: PathBuf,
        /// 1-based line of the file, when known.
        row: Option<usize>,
        /// Column, when known.
        column: Option<String>,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// A command-line value that makes no sense.
    #[error("invalid value for {flag}: {message}")]
    Usage {
        /// The flag, e.g. `--trials`.
        flag: &'static str,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// Several inputs failed, each reported (every scenario of a comparison is read).
    #[error("{}", several(.0))]
    Several(Vec<Error>),
}

fn several(errors: &[Error]) -> String {
    (errors.iter())
        .map(|e| e.to_string().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\nerror: ")
}

fn input_message(
    path: &std::path::Path,
    row: Option<usize>,
    column: Option<&str>,
    message: &str,
) -> String {
    let mut at = path.display().to_string();
    if let Some(r) = row {
        at += &format!(", line {r}");
    }
    if let Some(c) = column {
        at += &format!(", column {c}");
    }
    format!("{at}: {message}")
}

/// Result with the library's error.
pub type Result<T> = std::result::Result<T, Error>;
