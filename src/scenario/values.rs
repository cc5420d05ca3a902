//! Parsing of scenario leaves: numbers, distributions and dates, each checked against
//! the domain of the quantity it gives (rates cannot be negative, probabilities lie in
//! 0..1, branching ratios stay below 1).

use super::Builder;
use super::raw::V;
use crate::model::dist::{Dist, Z_P90, Z_P95, Z_P99};
use crate::model::{Num, Param};
use jiff::civil::Date;
use rand_distr::{Beta, Gamma, LogNormal, Normal, Pert, Triangular};
use toml::Value;

/// Which values a quantity may take.
#[derive(Debug, Clone, Copy)]
pub struct Domain {
    lo: f64,
    hi: f64,
    lo_open: bool,
    hi_open: bool,
    what: &'static str,
}

impl Domain {
    /// Zero or more (rates, capacities, durations).
    pub const NON_NEG: Domain = Domain::new(0.0, f64::INFINITY, false, true, "a number >= 0");
    /// Strictly positive (decay times, durations that cannot be zero).
    pub const POSITIVE: Domain = Domain::new(0.0, f64::INFINITY, true, true, "a number > 0");
    /// A probability or fraction in 0..=1.
    pub const PROB: Domain = Domain::new(0.0, 1.0, false, false, "a probability between 0 and 1");
    /// A fraction in (0, 1] (severity, yield).
    pub const FRACTION: Domain = Domain::new(0.0, 1.0, true, false, "a fraction in (0, 1]");
    /// A branching ratio in 0..1 (expected events one event triggers).
    pub const BRANCHING: Domain = Domain::new(
        0.0,
        1.0,
        false,
        true,
        "a branching ratio >= 0 and below 1 (the expected number of events one event triggers; 1 or more makes the process explode)",
    );
    /// A growth rate per year above -1.
    pub const TREND: Domain = Domain::new(
        -1.0,
        f64::INFINITY,
        true,
        true,
        "a growth rate per year above -1 (0.1 = +10% a year)",
    );

    const fn new(lo: f64, hi: f64, lo_open: bool, hi_open: bool, what: &'static str) -> Domain {
        Domain {
            lo,
            hi,
            lo_open,
            hi_open,
            what,
        }
    }

    fn contains(&self, x: f64) -> bool {
        let above = if self.lo_open {
            x > self.lo
        } else {
            x >= self.lo
        };
        let below = if self.hi_open {
            x < self.hi
        } else {
            x <= self.hi
        };
        x.is_finite() && above && below
    }

    /// Whether every draw of a distribution with support `[lo, hi]` lies in the domain;
    /// for a continuous distribution the ends themselves have probability zero.
    fn contains_support(&self, lo: f64, hi: f64, continuous: bool) -> bool {
        let lo_ok = if self.lo_open && !continuous {
            lo > self.lo
        } else {
            lo >= self.lo
        };
        let hi_ok = if hi.is_infinite() {
            self.hi.is_infinite()
        } else if self.hi_open && !continuous {
            hi < self.hi
        } else {
            hi <= self.hi
        };
        lo_ok && hi_ok
    }
}

/// The largest size of a number a scenario may give or a distribution may draw (at its
/// level 1 - 1e-9): beyond it, values times quantities summed over the days would
/// overflow the statistics, which keep single precision (at most 3.4e38).
pub const MAX_MAGNITUDE: f64 = 1e15;

/// A number for a message: in scientific notation when very large or very small.
pub fn show_num(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The shape parameters of beta and gamma distributions whose quantiles are computed
/// reliably.
const SHAPES: std::ops::RangeInclusive<f64> = 0.01..=1e6;

/// The names of the distribution families, as keys of a table.
pub(crate) const FAMILY_NAMES: [&str; 9] = [
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "normal",
    "lognormal",
    "beta",
    "gamma",
    "choice",
];

const FAMILIES: &str = "a number, or a table with one of: fixed, uniform = [lo, hi], triangular = [min, mode, max], pert = [min, mode, max], normal = [mean, sd], lognormal = { median, p90 | p95 | p99 }, beta = [a, b], gamma = [shape, scale], choice = [values] (with weights = [...])";

impl Builder<'_> {
    /// An uncertain number: registered as a parameter when it is a distribution.
    pub fn num(&mut self, v: Option<&V>, path: &str, dom: Domain, default: Option<f64>) -> Num {
        self.num_with(v, path, dom, default, false)
    }

    /// Like [`Builder::num`], for counts (draws are rounded).
    pub fn num_with(
        &mut self,
        v: Option<&V>,
        path: &str,
        dom: Domain,
        default: Option<f64>,
        integer: bool,
    ) -> Num {
        let Some(v) = v else {
            match default {
                Some(d) => return Num::Fixed(d),
                None => {
                    self.missing(path);
                    return Num::Fixed(0.0);
                }
            }
        };
        match self.parse_dist(v, path, dom) {
            Some(Dist::Fixed(x)) => Num::Fixed(x),
            Some(dist) => {
                self.params.push(Param {
                    path: path.to_string(),
                    dist,
                    integer,
                });
                Num::Param(self.params.len() - 1)
            }
            None => Num::Fixed(default.unwrap_or(0.0)),
        }
    }

    /// A distribution drawn per event (not a trial parameter).
    pub fn event_dist(
        &mut self,
        v: Option<&V>,
        path: &str,
        dom: Domain,
        default: Option<f64>,
    ) -> Dist {
        match v {
            None => {
                if default.is_none() {
                    self.missing(path);
                }
                Dist::Fixed(default.unwrap_or(0.0))
            }
            Some(v) => self.parse_dist(v, path, dom).unwrap_or(Dist::Fixed(0.0)),
        }
    }

    /// A plain number (never a distribution).
    pub fn fixed(&mut self, v: &V, path: &str, dom: Domain) -> Option<f64> {
        match as_f64(v.get_ref()) {
            Some(x) if dom.contains(x) && x.abs() <= MAX_MAGNITUDE => Some(x),
            Some(x) if dom.contains(x) => {
                // (Kept, so that no other problem follows from a stand-in.)
                self.too_large(path, Some(v.span()), x);
                Some(x)
            }
            Some(x) => {
                self.err(
                    path,
                    Some(v.span()),
                    format!("must be {}; got {}", dom.what, show_num(x)),
                );
                None
            }
            None => {
                self.err(
                    path,
                    Some(v.span()),
                    format!(
                        "must be a plain number ({}); got {}",
                        dom.what,
                        kind_of(v.get_ref())
                    ),
                );
                None
            }
        }
    }

    fn parse_dist(&mut self, v: &V, path: &str, dom: Domain) -> Option<Dist> {
        let span = Some(v.span());
        let value = v.get_ref();
        if let Some(x) = as_f64(value) {
            if !dom.contains(x) {
                self.err(
                    path,
                    span,
                    format!("must be {}; got {}", dom.what, show_num(x)),
                );
                return None;
            }
            if x.abs() > MAX_MAGNITUDE {
                self.too_large(path, span, x);
            }
            return Some(Dist::Fixed(x));
        }
        let Value::Table(t) = value else {
            self.err(
                path,
                span,
                format!("expected {FAMILIES}; got {}", kind_of(value)),
            );
            return None;
        };
        let present: Vec<&str> = FAMILY_NAMES
            .iter()
            .copied()
            .filter(|f| t.contains_key(*f))
            .collect();
        if present.len() != 1 {
            let msg = if present.is_empty() {
                format!("names no distribution; expected {FAMILIES}")
            } else {
                format!(
                    "names {} distributions ({}); give exactly one",
                    present.len(),
                    present.join(", ")
                )
            };
            self.err(path, span, msg);
            return None;
        }
        let family = present[0];
        let extras: &[&str] = match family {
            "pert" => &["shape"],
            "normal" | "beta" => &["min", "max"],
            "choice" => &["weights"],
            _ => &[],
        };
        for key in t.keys() {
            if key != family && !extras.contains(&key.as_str()) {
                let valid = if extras.is_empty() {
                    String::from("none")
                } else {
                    extras.join(", ")
                };
                self.err(
                    &format!("{path}.{key}"),
                    span,
                    format!("unknown key for a {family} distribution; valid extra keys: {valid}"),
                );
                return None;
            }
        }
        let fpath = format!("{path}.{family}");
        // The extra keys are plain finite numbers.
        for &k in extras.iter().filter(|&&k| k != "weights") {
            if let Some(x) = t.get(k)
                && !as_f64(x).is_some_and(f64::is_finite)
            {
                let got = as_f64(x).map_or_else(|| kind_of(x).to_string(), show_num);
                self.err(
                    &format!("{path}.{k}"),
                    span,
                    format!("must be a finite number; got {got}"),
                );
                return None;
            }
        }
        let extra = |k: &str| t.get(k).and_then(as_f64);
        let dist = match family {
            "fixed" => self.numbers(&t[family], &fpath, span.clone(), 1).map(|p| Dist::Fixed(p[0])),
            "uniform" => self.numbers(&t[family], &fpath, span.clone(), 2).and_then(|p| {
                if p[0] < p[1] {
                    Some(Dist::Uniform { lo: p[0], hi: p[1] })
                } else {
                    self.err(&fpath, span.clone(), format!("needs lo < hi; got [{}, {}]", p[0], p[1]));
                    None
                }
            }),
            "triangular" | "pert" => self.numbers(&t[family], &fpath, span.clone(), 3).and_then(|p| {
                if !(p[0] < p[2] && p[0] <= p[1] && p[1] <= p[2]) {
                    self.err(&fpath, span.clone(), format!("needs [min, mode, max] with min <= mode <= max and min < max; got [{}, {}, {}]", p[0], p[1], p[2]));
                    return None;
                }
                if family == "triangular" {
                    Triangular::new(p[0], p[2], p[1]).ok().map(|d| Dist::Triangular(d, [p[0], p[1], p[2]]))
                } else {
                    let shape = extra("shape").unwrap_or(4.0);
                    if !(shape > 0.0 && shape <= 1000.0) {
                        self.err(&format!("{path}.shape"), span.clone(), format!("must be > 0 and at most 1000 (4 is the classic PERT; a large shape is nearly the mode alone); got {}", show_num(shape)));
                        return None;
                    }
                    Pert::new(p[0], p[2]).with_shape(shape).with_mode(p[1]).ok().map(|d| Dist::Pert(d, [p[0], p[1], p[2]], shape))
                }
            }),
            "normal" => self.numbers(&t[family], &fpath, span.clone(), 2).and_then(|p| {
                let lo = extra("min").unwrap_or(f64::NEG_INFINITY).max(dom.lo);
                let hi = extra("max").unwrap_or(f64::INFINITY).min(dom.hi);
                if p[1] <= 0.0 {
                    self.err(&fpath, span.clone(), format!("needs a standard deviation > 0; got {}", p[1]));
                    return None;
                }
                if !(p[0] >= lo && p[0] <= hi && hi - lo >= p[1]) {
                    self.err(&fpath, span.clone(), format!("the mean {} must lie in the truncation range [{lo}, {hi}], which must be at least one standard deviation wide", p[0]));
                    return None;
                }
                Normal::new(p[0], p[1]).ok().map(|dist| Dist::Normal { dist, lo, hi })
            }),
            "lognormal" => self.lognormal(&t[family], &fpath, span.clone()),
            "beta" => self.numbers(&t[family], &fpath, span.clone(), 2).and_then(|p| {
                let (lo, hi) = (extra("min").unwrap_or(0.0), extra("max").unwrap_or(1.0));
                if !(SHAPES.contains(&p[0]) && SHAPES.contains(&p[1])) || lo >= hi {
                    self.err(&fpath, span.clone(), format!("needs a and b from 0.01 to 1e6 and min < max; got a = {}, b = {}, range [{}, {}]", show_num(p[0]), show_num(p[1]), show_num(lo), show_num(hi)));
                    return None;
                }
                Beta::new(p[0], p[1]).ok().map(|dist| Dist::Beta { dist, a: p[0], b: p[1], lo, hi })
            }),
            "gamma" => self.numbers(&t[family], &fpath, span.clone(), 2).and_then(|p| {
                if !(SHAPES.contains(&p[0]) && p[1] > 0.0) {
                    self.err(&fpath, span.clone(), format!("needs a shape from 0.01 to 1e6 and a scale > 0; got [{}, {}]", show_num(p[0]), show_num(p[1])));
                    return None;
                }
                Gamma::new(p[0], p[1]).ok().map(|dist| Dist::Gamma { dist, shape: p[0], scale: p[1] })
            }),
            _ => self.choice(t, &fpath, span.clone()),
        }?;
        let (lo, hi) = dist.support();
        if !dom.contains_support(lo, hi, dist.is_continuous()) {
            self.err(
                path,
                span,
                format!(
                    "can take values in [{}, {}], but must be {}",
                    show_num(lo),
                    show_num(hi),
                    dom.what
                ),
            );
            return None;
        }
        // The extreme draws, where the support is unbounded.
        let (low, high) = (
            if lo.is_finite() {
                lo
            } else {
                dist.quantile(1e-9)
            },
            if hi.is_finite() {
                hi
            } else {
                dist.quantile(1.0 - 1e-9)
            },
        );
        if let Some(x) = [low, high]
            .into_iter()
            .find(|x| x.is_nan() || x.abs() > MAX_MAGNITUDE)
        {
            self.err(
                path,
                span,
                format!("can draw {}; a number's size must stay at most 1e15 (larger ones would overflow the statistics)", if x.is_finite() { format!("{x:.3e}") } else { show_num(x) }),
            );
        }
        Some(dist)
    }

    /// Reports a number beyond [`MAX_MAGNITUDE`].
    fn too_large(&mut self, path: &str, span: Option<std::ops::Range<usize>>, x: f64) {
        self.err(
            path,
            span,
            format!("must be at most 1e15 in size (larger numbers would overflow the statistics); got {}", show_num(x)),
        );
    }

    fn numbers(
        &mut self,
        v: &Value,
        path: &str,
        span: Option<std::ops::Range<usize>>,
        n: usize,
    ) -> Option<Vec<f64>> {
        let list: Vec<Option<f64>> = match v {
            Value::Array(a) => a.iter().map(as_f64).collect(),
            other if n == 1 => vec![as_f64(other)],
            _ => vec![],
        };
        if list.len() != n || list.iter().any(|x| x.is_none_or(|x| !x.is_finite())) {
            let shape = if n == 1 {
                "a finite number".to_string()
            } else {
                format!("a list of {n} finite numbers")
            };
            self.err(path, span, format!("expected {shape}"));
            return None;
        }
        Some(list.into_iter().flatten().collect())
    }

    fn lognormal(
        &mut self,
        v: &Value,
        path: &str,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<Dist> {
        let Value::Table(t) = v else {
            self.err(path, span, "expected { median = M, p90 = X } (or p95, p99)");
            return None;
        };
        let median = t.get("median").and_then(as_f64);
        let upper: Vec<(f64, f64)> = [("p90", Z_P90), ("p95", Z_P95), ("p99", Z_P99)]
            .iter()
            .filter_map(|(k, z)| t.get(*k).and_then(as_f64).map(|x| (x, *z)))
            .collect();
        let bad_key = t
            .keys()
            .find(|k| !["median", "p90", "p95", "p99"].contains(&k.as_str()));
        match (median, upper.as_slice(), bad_key) {
            (Some(m), [(x, z)], None) if m > 0.0 && *x > m && x.is_finite() => {
                let sigma = (x / m).ln() / z;
                LogNormal::new(m.ln(), sigma)
                    .ok()
                    .map(|dist| Dist::LogNormal {
                        dist,
                        median: m,
                        sigma,
                    })
            }
            _ => {
                // (A key it does not know is named: `mean` or `sd` from another
                // parameterisation.)
                let unknown =
                    bad_key.map_or(String::new(), |k| format!("; `{k}` is not one of its keys"));
                self.err(path, span, format!("expected {{ median = M, p90 = X }} (or p95 or p99 instead of p90) with 0 < M < X, both finite{unknown}"));
                None
            }
        }
    }

    fn choice(
        &mut self,
        t: &toml::Table,
        path: &str,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<Dist> {
        let values: Vec<Option<f64>> = match &t["choice"] {
            Value::Array(a) => a.iter().map(as_f64).collect(),
            _ => vec![],
        };
        if values.is_empty() || values.iter().any(|x| x.is_none_or(|x| !x.is_finite())) {
            self.err(path, span, "expected a non-empty list of finite numbers");
            return None;
        }
        let values: Vec<f64> = values.into_iter().flatten().collect();
        let weights: Vec<f64> = match t.get("weights") {
            None => vec![1.0; values.len()],
            Some(Value::Array(a)) => a.iter().map(|x| as_f64(x).unwrap_or(-1.0)).collect(),
            Some(_) => vec![],
        };
        if weights.len() != values.len()
            || weights.iter().any(|w| !(*w >= 0.0 && *w <= MAX_MAGNITUDE))
            || weights.iter().sum::<f64>() <= 0.0
        {
            self.err(
                &path.replace(".choice", ".weights"),
                span,
                format!(
                    "needs {} weights from 0 to 1e15, not all zero, one per value",
                    values.len()
                ),
            );
            return None;
        }
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        Some(Dist::Choice { values, cumulative })
    }

    /// An ISO date (a TOML date or a string `YYYY-MM-DD`).
    pub fn date(&mut self, v: &V, path: &str) -> Option<Date> {
        let span = Some(v.span());
        let parsed = match v.get_ref() {
            Value::String(s) => iso_date(s),
            Value::Datetime(dt) => match (dt.date, dt.time) {
                (Some(d), None) => Date::new(d.year as i16, d.month as i8, d.day as i8).ok(),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.err(
                path,
                span,
                format!(
                    "expected an ISO date such as 2026-12-31; got {}",
                    show(v.get_ref())
                ),
            );
        }
        parsed
    }
}

/// A date written `YYYY-MM-DD` and nothing else: a parser of dates would also take a
/// date with a time and drop the time, which a scenario must not do silently.
pub fn iso_date(text: &str) -> Option<Date> {
    text.parse::<Date>().ok().filter(|d| d.to_string() == text)
}

/// What kind of TOML value this is, for messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        // A date alone, or with a time (which a scenario's dates may not have), or a time.
        Value::Datetime(d) => match (d.date.is_some(), d.time.is_some()) {
            (true, true) => "a date with a time",
            (false, true) => "a time",
            _ => "a date",
        },
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => kind_of(other).to_string(),
    }
}
