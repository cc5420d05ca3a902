//! `shortfall calibrate`: hazard rates from incident data (ACLED, GTD, or the project's
//! `seeds/incidents.csv`), with their uncertainty, ready to paste into a scenario.
//!
//! For each region and hazard kind it reports the event count over the observation
//! window, the Poisson rate per year with its exact 95% interval, the dispersion of
//! monthly counts, with at least [`fit::MIN_TREND_EVENTS`] a rate with a compound trend,
//! and with at least [`MIN_HAWKES_EVENTS`] a self-exciting fit (background rate,
//! branching ratio, decay in days, with standard errors), and the AIC of each model.

pub mod fit;
pub mod mapping;
pub mod read;

use crate::error::{Error, Result};
use crate::model::HazardKind;
use crate::scenario::resolve::counted;
use fit::{HawkesFit, TrendFit};
use jiff::civil::Date;
use read::{Events, Record};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Fewest events for a self-exciting fit.
pub const MIN_HAWKES_EVENTS: usize = 50;

/// One (region, kind) series and its fits.
#[derive(Debug, Clone)]
pub struct Series {
    /// Model region.
    pub region: String,
    /// Hazard kind.
    pub kind: HazardKind,
    /// Event times in days from the window's start (same-day events spread evenly
    /// within their day).
    pub times: Vec<f64>,
    /// Events per calendar month of the window.
    pub monthly: Vec<f64>,
    /// Events counted in the Poisson rate: all of the window's, but an event that set an
    /// end of a default window (see [`calibrate`]).
    pub counted: usize,
    /// Poisson rate per year and its exact 95% interval.
    pub rate: (f64, f64, f64),
    /// Index of dispersion of monthly counts.
    pub dispersion: f64,
    /// Overdispersion of the whole months' counts against the trend model (the Poisson
    /// one where no trend is fitted), where a chi-square test finds it, else 1: the
    /// factor by which clustering widens the Poisson and trend models' variances (see
    /// [`fit::overdispersion`]).
    pub overdispersion: f64,
    /// Self-exciting fit, when there are enough events and its decay is identified
    /// (shorter than the window).
    pub hawkes: Option<HawkesFit>,
    /// Fit of a rate with a compound trend, with enough events.
    pub trend: Option<TrendFit>,
    /// AIC of the Poisson model.
    pub aic_poisson: f64,
    /// AIC of the trend model.
    pub aic_trend: f64,
    /// AIC of the Hawkes model.
    pub aic_hawkes: f64,
}

/// The model of a series that AIC prefers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Preferred {
    /// A constant rate.
    Poisson,
    /// A rate with a compound trend.
    Trend(TrendFit),
    /// A self-exciting process.
    Hawkes(HawkesFit),
}

/// A whole calibration.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// First day of the window.
    pub from: Date,
    /// Last day of the window (inclusive).
    pub to: Date,
    /// Window length in days.
    pub days: f64,
    /// First day of each month of the window.
    pub months: Vec<Date>,
    /// Every series, by region then kind.
    pub series: Vec<Series>,
    /// The events read, with what was left out.
    pub events: Events,
    /// Events outside the window.
    pub outside_window: usize,
    /// Events in the window known only to their month (GTD `iday = 0`, ACLED
    /// `time_precision` 3): spread evenly over it.
    pub approximate: usize,
    /// Events in the window known only to their week (ACLED `time_precision` 2).
    pub week: usize,
    /// Events in the window whose row repeats an earlier row field for field (kept).
    pub repeated: usize,
}

/// A window's length in words: in days when shorter than a year, else in years.
fn span_words(days: f64) -> String {
    if days < 365.0 {
        counted(days as usize, "day", "days")
    } else {
        format!("{:.2} years", days / 365.25)
    }
}

fn days_from(a: Date, b: Date) -> f64 {
    a.until(b).map_or(0.0, |s| s.get_days() as f64)
}

/// Fits every (region, kind) series of `events` over `[from, to]` (defaults: the
/// first and last event dates).
pub fn calibrate(events: Events, from: Option<Date>, to: Option<Date>) -> Result<Calibration> {
    let (from_given, to_given) = (from.is_some(), to.is_some());
    let first = events.records.iter().map(|r| r.date).min();
    // (An event known only to its month may fall on its last day.)
    let latest = |r: &Record| {
        if r.approximate {
            r.date.last_of_month()
        } else {
            r.date
        }
    };
    let last = events.records.iter().map(latest).max();
    // (With no row mapped, a window given by the flags has nothing to hold either.)
    let window = match first {
        Some(_) => (from.or(first), to.or(last)),
        None => (None, None),
    };
    let (Some(from), Some(to)) = window else {
        let reasons: Vec<String> = events
            .left_out
            .iter()
            .map(|(reason, lines)| format!("{} x {reason}", lines.len()))
            .collect();
        return Err(Error::Input {
            path: events.path.clone(),
            row: None,
            column: None,
            message: format!(
                "no row could be mapped to a region and hazard kind ({}): {}",
                counted(events.rows, "row read", "rows read"),
                reasons.join("; ")
            ),
        });
    };
    if to < from {
        let (flag, message) = match (first, last) {
            (_, Some(last)) if from > last => (
                "--from",
                format!("the window starts {from}, after the last event ({last})"),
            ),
            _ => (
                "--to",
                format!("{to} comes before the window's start {from}"),
            ),
        };
        return Err(Error::Usage { flag, message });
    }
    let days = days_from(from, to) + 1.0;
    let mut months = Vec::new();
    let mut m = from.first_of_month();
    while m <= to {
        months.push(m);
        // (The last month of the calendar, December 9999, has no next.)
        match m.checked_add(jiff::Span::new().months(1)) {
            Ok(next) => m = next,
            Err(_) => break,
        }
    }
    let mut groups: BTreeMap<(String, usize), Vec<&Record>> = BTreeMap::new();
    let (mut outside, mut approximate, mut week, mut repeated) = (0, 0, 0, 0);
    for r in &events.records {
        if !r.in_window(from, to) {
            // A region and kind with no event in the window still has its series: a
            // rate of 0, with its interval.
            groups
                .entry((r.region.clone(), r.kind.index()))
                .or_default();
            outside += 1;
            continue;
        }
        approximate += r.approximate as usize;
        week += r.week as usize;
        repeated += r.repeated as usize;
        groups
            .entry((r.region.clone(), r.kind.index()))
            .or_default()
            .push(r);
    }
    if groups.values().all(Vec::is_empty) {
        let (first, last) = (first.unwrap_or(from), last.unwrap_or(to));
        return Err(Error::Usage {
            flag: "--from/--to",
            message: format!(
                "the window {from} to {to} holds none of the {} mapped events (dated {first} to {last}); widen it",
                events.records.len()
            ),
        });
    }
    // A window whose ends the events set needs events between them to measure a rate
    // over: with fewer than three dates, a single event gives a one-day window and a
    // rate of hundreds a year.
    let mut dates: Vec<Date> = (groups.values().flatten()).map(|r| r.date).collect();
    dates.sort_unstable();
    dates.dedup();
    if !(from_given && to_given) && dates.len() < 3 {
        return Err(Error::Usage {
            flag: "--from/--to",
            message: format!(
                "the window's {} would be set by the events themselves, and they fall on {} ({from} to {to}): too few to measure a rate between them; give --from and --to, the period the file covers",
                match (from_given, to_given) {
                    (true, _) => "end",
                    (_, true) => "start",
                    _ => "start and end",
                },
                counted(dates.len(), "date", "dates"),
            ),
        });
    }
    // An end of the window left to its default is set by an event, which would count
    // in its own series over a window it chose: the rate would be biased up (by about
    // 2 / k for a series of k events that sets both ends). It is left out of the
    // Poisson rate of its series: the first kept event on the first day, the last on
    // the last.
    let ends = |given: bool, pick: Option<&Record>| {
        pick.filter(|_| !given)
            .map(|r| (r.region.clone(), r.kind.index()))
    };
    let in_window = || events.records.iter().filter(|r| r.in_window(from, to));
    let setters = [
        ends(from_given, in_window().min_by_key(|r| r.date)),
        ends(to_given, in_window().max_by_key(|r| latest(r))),
    ];
    let series = groups
        .into_iter()
        .map(|((region, k), recs)| {
            let setting = (setters.iter().flatten())
                .filter(|(r, kind)| *r == region && *kind == k)
                .count();
            fit_series(
                region,
                HazardKind::ALL[k],
                &recs,
                setting,
                (from, to),
                &months,
            )
        })
        .collect();
    Ok(Calibration {
        from,
        to,
        days,
        months,
        series,
        events,
        outside_window: outside,
        approximate,
        week,
        repeated,
    })
}

/// Fits one series; `setting` of its events set an end of the window (left out of its
/// Poisson rate).
fn fit_series(
    region: String,
    kind: HazardKind,
    recs: &[&Record],
    setting: usize,
    (from, to): (Date, Date),
    months: &[Date],
) -> Series {
    let days = days_from(from, to) + 1.0;
    // Events on one day are spread evenly within it; events known only to the month are
    // spread evenly over the month (within the window), so neither shows as a cluster.
    let mut by_day: BTreeMap<i64, usize> = BTreeMap::new();
    let mut by_month: BTreeMap<Date, usize> = BTreeMap::new();
    for r in recs {
        if r.approximate {
            *by_month.entry(r.date).or_insert(0) += 1;
        } else {
            *by_day.entry(days_from(from, r.date) as i64).or_insert(0) += 1;
        }
    }
    let mut times = Vec::with_capacity(recs.len());
    for (&d, &m) in &by_day {
        times.extend((0..m).map(|k| d as f64 + (k as f64 + 0.5) / m as f64));
    }
    for (&month, &m) in &by_month {
        let a = days_from(from, month).max(0.0);
        let b = (days_from(from, month.last_of_month()) + 1.0).min(days);
        times.extend((0..m).map(|k| a + (b - a) * (k as f64 + 0.5) / m as f64));
    }
    times.sort_by(f64::total_cmp);
    let mut monthly = vec![0.0; months.len()];
    for r in recs {
        let i = months.partition_point(|m| *m <= r.date).saturating_sub(1);
        monthly[i] += 1.0;
    }
    let years = days / 365.25;
    let counted = recs.len() - setting.min(recs.len());
    // Whether the window holds month `i` whole.
    let is_whole = |i: usize| {
        (i > 0 || from == from.first_of_month())
            && (i + 1 < months.len() || to == to.last_of_month())
    };
    // Dispersion over whole months only, when the window holds at least three.
    let bounds = month_bounds(from, months, days);
    let lengths: Vec<f64> = bounds.windows(2).map(|w| w[1] - w[0]).collect();
    let whole: Vec<usize> = (0..months.len()).filter(|&i| is_whole(i)).collect();
    let dispersion = if whole.len() >= 3 {
        let pick = |v: &[f64]| whole.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        fit::dispersion(&pick(&monthly), &pick(&lengths))
    } else {
        fit::dispersion(&monthly, &lengths)
    };
    // A fit whose offspring would come on average later than the window is long is not
    // identified: within the window it is a Poisson process, its branching ratio and
    // decay anything (0.999999 and 950,000 days, with tiny standard errors, on Poisson
    // data). It is left out, as where events are too few.
    // A fit near a branching ratio of 1, or whose information is singular, is not
    // identified either: a rate that rises over the window looks like one (0.9999999
    // and a decay of years, with no standard error), which the trend model is for.
    let hawkes = (recs.len() >= MIN_HAWKES_EVENTS)
        .then(|| fit::fit_hawkes(&times, days))
        .flatten()
        .filter(|h| h.decay_days().is_nan() || h.tau <= days)
        .filter(|h| {
            h.n < MAX_BRANCHING
                && h.se[..2].iter().all(|x| x.is_finite())
                && (h.decay_days().is_nan() || h.se[2].is_finite())
        });
    let mut trend = fit::fit_trend(&times, days);
    // Clustered events (more variance than a Poisson count's) carry less information
    // than their number: measured against the larger of the Poisson-family models, the
    // overdispersion widens the rate's interval and the trend's errors, and the trend is
    // judged by QAIC (see `Series::preferred`). The Hawkes model accounts for clusters
    // itself.
    // Over whole months: a month the window cuts to a few days expects a sliver, and the
    // event that set a default window's end would sit in it alone.
    let (observed, expected): (Vec<f64>, Vec<f64>) = (bounds.windows(2).enumerate())
        .filter(|&(i, _)| is_whole(i))
        .map(|(i, w)| {
            let e = match &trend {
                Some(f) => fit::trend_expected(f, w[0], w[1], days),
                None => recs.len() as f64 / days * (w[1] - w[0]),
            };
            (monthly[i], e)
        })
        .unzip();
    let overdispersion =
        fit::overdispersion(&observed, &expected, if trend.is_some() { 2 } else { 1 });
    if let Some(f) = trend.as_mut() {
        f.ln_rate_end_se *= overdispersion.sqrt();
        f.growth_se *= overdispersion.sqrt();
    }
    let rate = fit::quasi_poisson_rate(counted, years, overdispersion);
    let aic_poisson = 2.0 - 2.0 * fit::poisson_loglik(recs.len(), days);
    let aic_trend = trend.map_or(f64::NAN, |f| 4.0 - 2.0 * f.loglik);
    let aic_hawkes = hawkes.map_or(f64::NAN, |h| 6.0 - 2.0 * h.loglik);
    Series {
        region,
        kind,
        times,
        monthly,
        counted,
        rate,
        dispersion,
        overdispersion,
        hawkes,
        trend,
        aic_poisson,
        aic_trend,
        aic_hawkes,
    }
}

/// The highest branching ratio a fit may have to be kept.
pub const MAX_BRANCHING: f64 = 0.99;

impl Series {
    /// The model with the lowest AIC (on a tie, the simpler); between the Poisson and
    /// the trend models, the lower QAIC (their AIC with the log-likelihood divided by
    /// the overdispersion; the same as AIC without any), so that clusters are not read as
    /// a trend.
    pub fn preferred(&self) -> Preferred {
        let mut best = (Preferred::Poisson, self.aic_poisson);
        if let Some(t) = self
            .trend
            .filter(|_| self.qaic_trend() < self.qaic_poisson())
        {
            best = (Preferred::Trend(t), self.aic_trend);
        }
        if let Some(h) = self.hawkes.filter(|_| self.aic_hawkes < best.1) {
            best = (Preferred::Hawkes(h), self.aic_hawkes);
        }
        best.0
    }

    /// QAIC of the Poisson model: `2 p - 2 loglik / overdispersion`, `p` = 1.
    pub fn qaic_poisson(&self) -> f64 {
        2.0 + (self.aic_poisson - 2.0) / self.overdispersion
    }

    /// QAIC of the trend model (`p` = 2).
    pub fn qaic_trend(&self) -> f64 {
        4.0 + (self.aic_trend - 4.0) / self.overdispersion
    }

    /// The self-exciting fit when AIC prefers it.
    pub fn preferred_hawkes(&self) -> Option<HawkesFit> {
        match self.preferred() {
            Preferred::Hawkes(h) => Some(h),
            _ => None,
        }
    }
}

/// `rates.csv`.
pub fn rates_csv(cal: &Calibration) -> Result<Vec<u8>> {
    let p = std::path::Path::new("rates.csv");
    let err = crate::report::csv_err(p);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "region",
        "kind",
        "events",
        "years",
        "rate_per_year",
        "rate_ci_low",
        "rate_ci_high",
        "dispersion",
        "hawkes_mu",
        "hawkes_branching",
        "hawkes_decay_days",
        "aic_poisson",
        "aic_hawkes",
        "hawkes_mu_se",
        "hawkes_branching_se",
        "hawkes_decay_days_se",
        "trend_rate_end_per_year",
        "trend_per_year",
        "trend_per_year_se",
        "aic_trend",
        "preferred",
        "events_in_rate",
        "overdispersion",
        "qaic_poisson",
        "qaic_trend",
    ])
    .map_err(&err)?;
    let num = crate::report::num;
    for s in &cal.series {
        let h = s.hawkes;
        let hv = |f: fn(&HawkesFit) -> f64| h.as_ref().map_or(f64::NAN, f);
        w.write_record([
            s.region.clone(),
            s.kind.as_str().to_string(),
            s.times.len().to_string(),
            num(cal.days / 365.25),
            num(s.rate.0),
            num(s.rate.1),
            num(s.rate.2),
            num(s.dispersion),
            num(hv(|h| h.mu * 365.25)),
            num(hv(|h| h.n)),
            num(hv(HawkesFit::decay_days)),
            num(s.aic_poisson),
            num(s.aic_hawkes),
            num(hv(|h| h.se[0] * 365.25)),
            num(hv(|h| h.se[1])),
            num(hv(|h| {
                if h.decay_days().is_nan() {
                    f64::NAN
                } else {
                    h.se[2]
                }
            })),
            num(s.trend.map_or(f64::NAN, |f| f.rate_end * 365.25)),
            num(s.trend.map_or(f64::NAN, |f| f.growth)),
            num(s.trend.map_or(f64::NAN, |f| f.growth_se)),
            num(s.aic_trend),
            match s.preferred() {
                Preferred::Poisson => "poisson",
                Preferred::Trend(_) => "trend",
                Preferred::Hawkes(_) => "hawkes",
            }
            .to_string(),
            s.counted.to_string(),
            num(s.overdispersion),
            num(s.qaic_poisson()),
            num(s.qaic_trend()),
        ])
        .map_err(&err)?;
    }
    w.into_inner().map_err(|e| Error::Output {
        path: p.into(),
        source: e.into_error(),
    })
}

/// `x` to `digits` significant digits, as TOML reads it (in exponent form when very
/// small or large): a rate scaled by a small share keeps its precision.
fn significant(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i64;
    let decimals = digits as i64 - 1 - magnitude;
    if (0..=9).contains(&decimals) {
        format!("{x:.*}", decimals as usize)
    } else if decimals < 0 && magnitude < 15 {
        format!("{x:.0}")
    } else {
        format!("{x:.*e}", digits - 1)
    }
}

fn hazard_name(region: &str, kind: HazardKind) -> String {
    let r: String = region
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{r}_{}", kind.as_str())
}

/// The hazards fragment in the scenario format. Rates are of all events in the data,
/// scaled by `share`, the fraction the analyst expects to hit programme assets.
pub fn hazards_fragment(cal: &Calibration, source: &str, share: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Hazards calibrated by `shortfall calibrate` from {source},\n# window {} to {} ({}), in the preferred model (by AIC; QAIC between\n# a constant rate and a trend). Rates are the data's events per year times share\n# = {share} (the fraction expected to hit programme sites, routes and convoys;\n# a self-exciting process is thinned to it as a whole, see the README).\n# Targets and impacts are placeholders: set them (ASSUMPTION) before use. Region names\n# must match the regions of your scenario's sites and routes.\n",
        cal.from,
        cal.to,
        span_words(cal.days)
    );
    // Names made from regions that differ only in their punctuation ("Port-Zone", "Port
    // Zone") are told apart by a number.
    let mut used = std::collections::HashSet::new();
    for x in &cal.series {
        let years = cal.days / 365.25;
        let base = hazard_name(&x.region, x.kind);
        let name = (1..)
            .map(|k| {
                if k == 1 {
                    base.clone()
                } else {
                    format!("{base}_{k}")
                }
            })
            .find(|n| used.insert(n.clone()))
            .unwrap_or(base);
        let _ = writeln!(s, "[[hazards]]");
        let _ = writeln!(s, "name = {}", toml::Value::String(name));
        let _ = writeln!(s, "kind = \"{}\"", x.kind.as_str());
        if x.region == "national" {
            let _ = writeln!(s, "national = true");
        } else {
            // (Quoted as TOML, whatever the region's name holds.)
            let _ = writeln!(s, "regions = [{}]", toml::Value::String(x.region.clone()));
        }
        match x.preferred() {
            Preferred::Hawkes(h) => {
                // Thinned to the share: the same mean rate and covariance decay, a
                // smaller branching ratio (see `fit::thinned`).
                let (mu, n, tau) = fit::thinned(&h, share);
                let se = h.se[0] * mu / h.mu;
                let (mu, se) = (mu * 365.25, se * 365.25);
                let (mu_s, se_s) = (significant(mu, 4), significant(se, 4));
                if se.is_finite() && se > 0.0 && mu >= se {
                    let _ = writeln!(
                        s,
                        "rate_per_year = {{ normal = [{mu_s}, {se_s}] }}  # background rate (Hawkes MLE ± se), {} events",
                        x.times.len()
                    );
                } else {
                    let _ = writeln!(
                        s,
                        "rate_per_year = {mu_s}  # background rate (Hawkes MLE), {} events",
                        x.times.len()
                    );
                }
                let thinned = if share < 1.0 {
                    format!(
                        "; the data's fit, jump {:.4} and decay {:.3} days, thinned to the share",
                        h.n, h.tau
                    )
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "self_excitation = {{ jump = {n:.4}, decay_days = {tau:.3} }}  # AIC {:.1} vs Poisson {:.1}{thinned}",
                    x.aic_hawkes, x.aic_poisson
                );
            }
            Preferred::Trend(f) => {
                let rate = f.rate_end * 365.25 * share;
                let p90 = rate * (crate::model::dist::Z_P90 * f.ln_rate_end_se).exp();
                let _ = writeln!(
                    s,
                    "rate_per_year = {{ lognormal = {{ median = {}, p90 = {} }} }}  # rate at the window's end (trend MLE, lognormal from its se), {} events",
                    significant(rate, 4),
                    significant(p90, 4),
                    x.times.len()
                );
                let _ = writeln!(
                    s,
                    "trend_per_year = {{ normal = [{}, {}], min = -0.99 }}  # growth a year (MLE ± se); AIC {:.1} vs Poisson {:.1}; ASSUMPTION: it goes on, from the scenario's start",
                    significant(f.growth, 4),
                    significant(f.growth_se, 4),
                    x.aic_trend,
                    x.aic_poisson
                );
            }
            Preferred::Poisson => {
                // With overdispersion c, as though the events came in clusters of c: the
                // same mean, c times the variance.
                let c = x.overdispersion;
                let shape = (x.counted as f64 + 0.5) / c;
                let clusters = if c > 1.0 {
                    format!(", widened for overdispersion {c:.2}")
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "rate_per_year = {{ gamma = [{}, {}] }}  # Poisson rate {}/yr, 95% CI {} to {}, scaled by share (Jeffreys posterior{clusters})",
                    significant(shape, 4),
                    significant(share * c / years, 4),
                    significant(x.rate.0 * share, 4),
                    significant(x.rate.1 * share, 4),
                    significant(x.rate.2 * share, 4)
                );
            }
        }
        let _ = writeln!(
            s,
            "targets = {{ route = 1, mine = 1, stockpile = 1, plant = 1, port = 1 }}  # ASSUMPTION: set"
        );
        let _ = writeln!(
            s,
            "\n[hazards.impact]\nduration_days = {{ lognormal = {{ median = 3, p90 = 14 }} }}  # ASSUMPTION: set\n"
        );
    }
    s
}

/// A fit's decay in days for the console, `-` where it is not identified.
fn decay(h: &HawkesFit) -> String {
    match h.decay_days() {
        d if d.is_nan() => "-".to_string(),
        d => format!("{d:.1}"),
    }
}

/// The console summary.
pub fn console(cal: &Calibration) -> String {
    let mut s = format!(
        "window {} to {} ({}); {}, {} mapped, {} outside the window\n\n",
        cal.from,
        cal.to,
        span_words(cal.days),
        counted(cal.events.rows, "row read", "rows read"),
        cal.events.records.len(),
        cal.outside_window
    );
    if cal.events.latin1 {
        let _ = writeln!(
            s,
            "note: {} is not UTF-8 text; it was read as Latin-1 (ISO-8859-1), as GTD's CSV is saved. If it is in another encoding, save it as UTF-8 first\n",
            cal.events.path.display()
        );
    }
    if cal.days < 365.0 {
        let _ = writeln!(
            s,
            "note: the window covers {}, less than a year: its rates extrapolate it to a year, so their intervals are wide; widen it with --from and --to for rates to rely on\n",
            counted(cal.days as usize, "day", "days")
        );
    }
    let _ = writeln!(
        s,
        "{:<20} {:<8} {:>7} {:>24} {:>10} {:>20} {:>22}",
        "region",
        "kind",
        "events",
        "rate/yr [95% CI]",
        "dispersion",
        "trend/yr ± se",
        "Hawkes n, decay (days)"
    );
    let preferred = " (preferred)";
    for x in &cal.series {
        let best = x.preferred();
        let hk = match x.hawkes {
            Some(h) => format!(
                "{:.2}, {}{}",
                h.n,
                decay(&h),
                if matches!(best, Preferred::Hawkes(_)) {
                    preferred
                } else {
                    ""
                }
            ),
            None => "-".into(),
        };
        let tr = match x.trend {
            Some(f) => format!(
                "{:+.0}% ± {:.0}{}",
                100.0 * f.growth,
                100.0 * f.growth_se,
                if matches!(best, Preferred::Trend(_)) {
                    preferred
                } else {
                    ""
                }
            ),
            None => "-".into(),
        };
        let _ = writeln!(
            s,
            "{:<20} {:<8} {:>7} {:>24} {:>10} {:>20} {:>22}",
            x.region,
            x.kind.as_str(),
            x.times.len(),
            format!("{:.2} [{:.2}, {:.2}]", x.rate.0, x.rate.1, x.rate.2),
            // Undefined with fewer than two whole months.
            if x.dispersion.is_nan() {
                "-".to_string()
            } else {
                format!("{:.2}", x.dispersion)
            },
            tr,
            hk
        );
    }
    let setters: Vec<String> = (cal.series.iter())
        .filter(|x| x.counted < x.times.len())
        .map(|x| format!("{} {}", x.region, x.kind.as_str()))
        .collect();
    if !setters.is_empty() {
        let _ = writeln!(
            s,
            "\nnote: without --from or --to, the window starts or ends with an event; each such event is left out of its own series' rate (events_in_rate in rates.csv), which would otherwise be biased up by the window it chose: {}. Give --from and --to, the period the export covers, to count every event over its true exposure.",
            setters.join(", ")
        );
    }
    if cal.approximate > 0 {
        let _ = writeln!(
            s,
            "\n{} only {} month (GTD iday = 0, or ACLED time_precision 3) and {} spread evenly over it.",
            counted(cal.approximate, "event had", "events had"),
            if cal.approximate == 1 { "its" } else { "their" },
            if cal.approximate == 1 { "was" } else { "were" },
        );
    }
    if cal.week > 0 {
        let _ = writeln!(
            s,
            "\n{} only {} week (ACLED time_precision 2) and {} taken at the date given: days apart within a week may be an artefact, which the self-exciting fit's decay can read as clustering.",
            counted(cal.week, "event had", "events had"),
            if cal.week == 1 { "its" } else { "their" },
            if cal.week == 1 { "was" } else { "were" },
        );
    }
    if cal.repeated > 0 {
        let _ = writeln!(
            s,
            "\nnote: {} an earlier row field for field; {} (listed in unmapped.csv). If the file joins overlapping exports, remove the repeats; an export with event ids (ACLED event_id_cnty, GTD eventid) has them left out by id.",
            counted(
                cal.repeated,
                "row in the window repeats",
                "rows in the window repeat"
            ),
            if cal.repeated == 1 {
                "it is counted as a separate event"
            } else {
                "they are counted as separate events"
            },
        );
    }
    let clustered: Vec<String> = (cal.series.iter())
        .filter(|x| x.overdispersion > 1.0 && x.preferred_hawkes().is_none())
        .map(|x| format!("{} {} {:.2}", x.region, x.kind.as_str(), x.overdispersion))
        .collect();
    if !clustered.is_empty() {
        let _ = writeln!(
            s,
            "\nnote: whole months' counts vary more than a Poisson process's would (chi-square test against the trend or constant-rate model, p < 0.05; overdispersion: {}). Such events come in clusters and tell less than their number: the rate's interval and the trend's ± are widened by the square root of it, and trend and constant rate are compared by QAIC (overdispersion in rates.csv). A self-exciting fit, from {MIN_HAWKES_EVENTS} events, models the clusters instead.",
            clustered.join(", ")
        );
    }
    for x in &cal.series {
        if let Some(h) = x.preferred_hawkes().filter(|h| h.tau < 3.0) {
            let _ = writeln!(
                s,
                "\nnote: {} {}: the fitted decay of {:.2} days is close to the data's resolution of one day, where fits run long and their standard errors short; treat it as \"within a few days\".",
                x.region,
                x.kind.as_str(),
                h.tau
            );
        }
    }
    if !cal.events.left_out.is_empty() {
        let total: usize = cal.events.left_out.values().map(Vec::len).sum();
        let rows = if total == 1 { "row" } else { "rows" };
        let _ = writeln!(s, "\n{total} {rows} left out (also in unmapped.csv):");
        for (reason, lines) in &cal.events.left_out {
            let _ = writeln!(s, "  {:>6}  {reason}", lines.len());
        }
    }
    s
}

/// `unmapped.csv`: rows left out, by reason.
pub fn unmapped_csv(cal: &Calibration) -> Result<Vec<u8>> {
    let p = std::path::Path::new("unmapped.csv");
    let err = crate::report::csv_err(p);
    let mut w = csv::Writer::from_writer(Vec::new());
    let joined = |lines: &[usize]| {
        lines
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    w.write_record(["reason", "rows", "lines"]).map_err(&err)?;
    for (reason, lines) in &cal.events.left_out {
        w.write_record([reason.clone(), lines.len().to_string(), joined(lines)])
            .map_err(&err)?;
    }
    // Rows kept in the window that are worth a look, by what marks them.
    let lines_of = |marked: fn(&Record) -> bool| -> Vec<usize> {
        (cal.events.records.iter())
            .filter(|r| marked(r) && r.in_window(cal.from, cal.to))
            .map(|r| r.line)
            .collect()
    };
    let kept = [
        (
            "approximate date (only the month known, spread over it; kept)",
            lines_of(|r| r.approximate),
        ),
        (
            "dated to its week (ACLED time_precision 2; kept at the date given)",
            lines_of(|r| r.week),
        ),
        (
            "repeats an earlier row field for field (kept as another event)",
            lines_of(|r| r.repeated),
        ),
    ];
    for (reason, lines) in kept {
        if !lines.is_empty() {
            w.write_record([reason.to_string(), lines.len().to_string(), joined(&lines)])
                .map_err(&err)?;
        }
    }
    w.into_inner().map_err(|e| Error::Output {
        path: p.into(),
        source: e.into_error(),
    })
}

/// The months' bounds in days from the window's start `from`: the first day of each
/// (the window's first day for the first), then the window's end.
fn month_bounds(from: Date, months: &[Date], days: f64) -> Vec<f64> {
    (months.iter())
        .map(|m| days_from(from, *m).max(0.0))
        .chain(std::iter::once(days))
        .collect()
}

/// Expected events in each month under the preferred model: the compensator over
/// the month.
pub fn expected_monthly(cal: &Calibration, x: &Series) -> Vec<f64> {
    month_bounds(cal.from, &cal.months, cal.days)
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            match x.preferred() {
                Preferred::Hawkes(h) => {
                    let excited: f64 = x
                        .times
                        .iter()
                        .take_while(|&&t| t < b)
                        .map(|&t| {
                            let start = a.max(t);
                            (-(start - t) / h.tau).exp() - (-(b - t) / h.tau).exp()
                        })
                        .sum();
                    h.mu * (b - a) + h.n * excited
                }
                Preferred::Trend(f) => fit::trend_expected(&f, a, b, cal.days),
                Preferred::Poisson => x.rate.0 / 365.25 * (b - a),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::significant;

    #[test]
    fn rates_keep_four_significant_digits_at_any_size() {
        assert_eq!(significant(7.2e-11, 4), "7.200e-11");
        assert_eq!(significant(0.000072346, 4), "0.00007235");
        assert_eq!(significant(1.91666, 4), "1.917");
        assert_eq!(significant(12.3456, 4), "12.35");
        assert_eq!(significant(73050.4, 4), "73050");
        assert_eq!(significant(0.0, 4), "0");
        // Each reads back as a TOML number.
        for x in [7.2e-11, 0.000072346, 1.91666, 73050.4] {
            let v: toml::Value =
                toml::from_str::<toml::Table>(&format!("x = {}", significant(x, 4))).unwrap()["x"]
                    .clone();
            let y = v.as_float().or(v.as_integer().map(|i| i as f64)).unwrap();
            assert!((y / x - 1.0).abs() < 1e-3, "{x} {y}");
        }
    }
}
