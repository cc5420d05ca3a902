//! Validation of a raw scenario into the typed [`Model`].

use super::Builder;
use super::raw::*;
use super::values::Domain;
use crate::model::*;
use jiff::civil::Date;
use std::collections::HashMap;
use toml::Spanned;

/// The default `start`: the FWO-USSM memorandum was signed in September 2025 and
/// reported on 8-9 September; the first reported day (FACTS; `seeds/programme.toml`).
pub const MOU_SIGNED: Date = Date::constant(2025, 9, 8);

const SITE_KINDS: &str = "mine, stockpile, plant or port";
const HAZARD_KINDS: &str = "attack, protest or cyber";

/// Name lookups built while validating.
#[derive(Default)]
struct Names {
    phases: HashMap<String, usize>,
    /// Each phase's first day, before the start if negative (for a project or prospect
    /// group that starts with a phase already under way).
    phase_starts: Vec<i32>,
    /// Phases refused (reported once): references to them are not errors again.
    refused_phases: std::collections::HashSet<String>,
    commodities: HashMap<String, usize>,
    sites: HashMap<String, usize>,
    routes: HashMap<String, usize>,
    projects: HashMap<String, usize>,
    prospects: HashMap<String, usize>,
    hazards: HashMap<String, usize>,
}

fn list<T>(v: &Option<Vec<Spanned<T>>>) -> &[Spanned<T>] {
    v.as_deref().unwrap_or(&[])
}

fn s(v: &Option<S>) -> Option<&str> {
    v.as_ref().map(|x| x.get_ref().as_str())
}

impl Builder<'_> {
    /// Builds the model, recording every problem found.
    pub(crate) fn scenario(&mut self, raw: &RawScenario) -> Model {
        let mut names = Names::default();
        let name = s(&raw.name).unwrap_or_default().to_string();
        let span = raw.name.as_ref().map(|n| n.span());
        const NAME: &str = "a short name of letters, digits, '-', '_' or '.', not only dots (it names the output folder)";
        if name.is_empty() {
            self.err("name", span, format!("is required: {NAME}"));
        } else if name.len() > 64 {
            self.err(
                "name",
                span,
                format!(
                    "is {} bytes long; use {NAME}, of at most 64 bytes",
                    name.len()
                ),
            );
        } else if !name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.".contains(c))
            || name.chars().all(|c| c == '.')
        {
            self.err(
                "name",
                span,
                format!("`{name}` is not a valid name: use {NAME}"),
            );
        }
        // Without one, the programme starts when the memorandum was signed.
        let start = match raw.start.as_ref() {
            Some(v) => self.date(v, "start"),
            None => Some(MOU_SIGNED),
        };
        let horizon = self.req_date(raw.horizon.as_ref(), "horizon");
        // Without a valid horizon, the other checks go on over the longest one, and
        // no message quotes it.
        let longest = |a: Date| a.saturating_add(jiff::Span::new().days(MAX_DAYS as i64 - 1));
        let start_known = start.is_some();
        let (start, horizon, horizon_known) = match (start, horizon) {
            (Some(a), Some(b)) if a < b => (a, b, true),
            (Some(a), Some(b)) => {
                let span = raw.horizon.as_ref().map(|h| h.span());
                let which = if raw.start.is_none() {
                    "the default start, the memorandum's signing; give `start` for another"
                } else {
                    "start"
                };
                self.err(
                    "horizon",
                    span,
                    format!("{b} must come after {which} ({a})"),
                );
                (a, longest(a), false)
            }
            (Some(a), None) => (a, longest(a), false),
            _ => (MOU_SIGNED, Date::constant(2032, 12, 31), false),
        };
        let n_days = days_between(start, horizon) + 1;
        if n_days > MAX_DAYS {
            let span = raw.horizon.as_ref().map(|h| h.span());
            self.err(
                "horizon",
                span,
                format!(
                    "{horizon} is more than 100 years after the start {start}; shorten the horizon"
                ),
            );
        }
        let n_days = n_days.min(MAX_DAYS);
        let trials = self.count(raw.trials.as_ref(), "trials", 10_000, 1);
        let seed = self.count(raw.seed.as_ref(), "seed", 20_250_908, 0);
        if trials == 0 || trials > crate::engine::MAX_TRIALS {
            self.err(
                "trials",
                raw.trials.as_ref().map(|t| t.span()),
                format!(
                    "must be from 1 to {} (its percentiles keep about 200 bytes a trial); got {trials}",
                    crate::engine::MAX_TRIALS
                ),
            );
        }
        let ctx = Ctx {
            start,
            horizon,
            start_known,
            n_days,
        };
        let phases = self.phases(raw, &ctx, &mut names);
        let commodities = self.commodities(raw, &mut names);
        let projects = self.projects(raw, &ctx, &mut names);
        let prospects = self.prospects(raw, &ctx, &mut names);
        let mut regions: Vec<String> = Vec::new();
        let mut sites = self.sites(raw, &ctx, &mut names, &mut regions);
        let mut projects = projects;
        let mut prospects = prospects;
        for (i, site) in sites.iter().enumerate() {
            match site.online {
                Online::Project(p) => projects[p].sites.push(i),
                Online::Prospects(p) => prospects[p].sites.push(i),
                Online::Day(_) => {}
            }
        }
        for (i, p) in projects.iter().enumerate() {
            if p.sites.is_empty() {
                let span = list(&raw.projects)[i].span();
                self.err(
                    &format!("projects[{}]", p.name),
                    Some(span),
                    format!(
                        "brings no site online; give a site online = {{ project = \"{}\" }}",
                        p.name
                    ),
                );
            }
        }
        for (i, p) in prospects.iter().enumerate() {
            if p.sites.is_empty() {
                let span = list(&raw.prospects)[i].span();
                self.err(
                    &format!("prospects[{}]", p.name),
                    Some(span),
                    format!(
                        "feeds no mine; give a mine online = {{ prospects = \"{}\" }}",
                        p.name
                    ),
                );
            }
        }
        let (routes, stocks) = self.routes(raw, &mut names, &mut sites, &mut regions, &commodities);
        self.check_network(raw, &sites, &routes);
        let region_targets = region_targets(&sites, &routes, regions.len());
        let mut hazards = self.hazards(raw, &mut names, &phases, &sites, &routes, &regions);
        let mitigations = self.mitigations(raw, &ctx, &names, &mut hazards);
        let plan = self.plan(raw, &names, start, horizon, horizon_known);
        let Calendar {
            years,
            day_year,
            day_month,
            months,
            day_period,
            period_year,
        } = calendar(
            start,
            n_days,
            &(phases.iter())
                .flat_map(|p| [p.start_day, p.end_day.saturating_add(1)])
                .collect::<Vec<u32>>(),
        );
        let day_phase: Vec<u8> = (0..n_days)
            .map(|d| {
                phases
                    .iter()
                    .position(|p| d >= p.start_day && d <= p.end_day)
                    .map_or(u8::MAX, |i| i as u8)
            })
            .collect();
        // (Each period lies in one phase or none: take its first day's.)
        let mut period_phase = vec![u8::MAX; months.len()];
        for (d, &p) in day_period.iter().enumerate().rev() {
            period_phase[p as usize] = day_phase[d];
        }
        let mut model = Model {
            name,
            description: s(&raw.description).unwrap_or_default().trim().to_string(),
            start,
            horizon,
            n_days,
            trials,
            seed,
            years,
            day_year,
            day_month,
            months,
            day_period,
            period_year,
            day_phase,
            period_phase,
            phases,
            commodities,
            regions,
            sites,
            stocks,
            routes,
            projects,
            prospects,
            hazards,
            mitigations,
            plan,
            params: std::mem::take(&mut self.params),
            region_targets,
            correlation: None,
            thresholds: Vec::new(),
        };
        // (Over a stand-in window, after a bad start or horizon, the load means nothing;
        // nor are hazards past their limit, already refused, solved for.)
        if model.hazards.len() <= MAX_HAZARDS && self.check_branching(raw, &model) && horizon_known
        {
            self.check_event_load(raw, &model);
        }
        model.correlation = self.correlations(raw, &model.params);
        model.params.shrink_to_fit();
        model.thresholds = self.thresholds(raw, &model);
        model
    }

    /// Where `key` (a dotted metric name, quoted or not) is given in the table at
    /// `span` (a `[table]`, up to the next header, or an inline one): the first line
    /// there whose key, quotes and spaces aside, is `key`; else the table's own span.
    fn key_in(&self, span: std::ops::Range<usize>, key: &str) -> std::ops::Range<usize> {
        let Some(body) = self.text.get(span.start..) else {
            return span;
        };
        let mut at = span.start;
        for (i, line) in body.split_inclusive('\n').enumerate() {
            let trimmed = line.trim_start();
            if i > 0 && at >= span.end && trimmed.starts_with('[') {
                break;
            }
            if super::assigned_key(trimmed).is_some_and(|k| k == key) {
                let lead = line.len() - trimmed.len();
                return at + lead..at + line.len();
            }
            at += line.len();
        }
        span
    }

    /// `thresholds`: per metric that keeps percentiles, a list of finite values
    /// ([`crate::model::default_thresholds`] when the scenario gives none).
    fn thresholds(&mut self, raw: &RawScenario, model: &Model) -> Vec<crate::model::Threshold> {
        let Some(table) = &raw.thresholds else {
            return crate::model::default_thresholds();
        };
        let layout = crate::engine::outcome::Layout::new(model);
        let metrics: Vec<String> = (layout.columns.iter())
            .filter(|c| c.quantiles)
            .map(|c| c.name.clone())
            .collect();
        let entries = super::dotted_entries(table.get_ref());
        let mut out = Vec::new();
        for (n, (key, value)) in entries.iter().enumerate() {
            let kp = format!("thresholds.{key}");
            let span = Some(self.key_in(table.span(), key));
            if entries[..n].iter().any(|(k, _)| k == key) {
                self.err(
                    &kp,
                    span,
                    "is given twice (once quoted, once as nested keys); keep one",
                );
                continue;
            }
            if !metrics.contains(key) {
                let why = if layout.columns.iter().any(|c| &c.name == key) {
                    "keeps no percentiles (only its mean), so no probability of exceeding a value"
                        .to_string()
                } else {
                    let hint = crate::scenario::resolve::closest(key, &metrics)
                        .map(|c| format!("did you mean `{c}`? "))
                        .unwrap_or_default();
                    format!(
                        "is not a metric of this scenario; {hint}thresholds apply to the metrics of summary.csv that have percentiles, such as shortfall_fraction, shortfall_value, delivered_value or shortfall_fraction.COMMODITY"
                    )
                };
                self.err(&kp, span, why);
                continue;
            }
            let numbers: Option<Vec<f64>> = value.as_array().and_then(|items| {
                items
                    .iter()
                    .map(|x| x.as_float().or_else(|| x.as_integer().map(|i| i as f64)))
                    .collect()
            });
            let repeated = numbers.as_ref().and_then(|values| {
                (values.iter().enumerate()).find_map(|(i, x)| values[..i].contains(x).then_some(*x))
            });
            if let Some(x) = repeated {
                self.err(
                    &kp,
                    span,
                    format!(
                        "gives {x} twice; each value once (a value gives one row of thresholds.csv)"
                    ),
                );
                continue;
            }
            match numbers {
                Some(values) if !values.is_empty() && values.iter().all(|x| x.is_finite()) => out
                    .push(crate::model::Threshold {
                        metric: key.to_string(),
                        values,
                    }),
                _ => self.err(
                    &kp,
                    span,
                    format!("must be a list of finite numbers, e.g. [0.1, 0.2]; got {value}"),
                ),
            }
        }
        // In the order of summary.csv's rows, whatever the order of the keys (which
        // `extends` and `--set` can change).
        out.sort_by_key(|t| metrics.iter().position(|m| *m == t.metric));
        out
    }

    fn req_date(&mut self, v: Option<&V>, path: &str) -> Option<Date> {
        match v {
            Some(v) => self.date(v, path),
            None => {
                self.missing(path);
                None
            }
        }
    }

    /// A whole number of at least `min` (a smaller one is reported by the caller).
    fn count(&mut self, v: Option<&V>, path: &str, default: u64, min: u64) -> u64 {
        match v.map(|v| (v.get_ref(), v.span())) {
            None => default,
            Some((toml::Value::Integer(i), _)) if *i >= 0 => *i as u64,
            Some((other, span)) => {
                let got = match other {
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(x) => format!("{x:?}"),
                    other => super::values::kind_of(other).to_string(),
                };
                // (TOML's integers stop at 9223372036854775807: a larger one reads as a
                // float.)
                let most = match other {
                    toml::Value::Float(x) if *x > i64::MAX as f64 => {
                        format!(" and at most {}", i64::MAX)
                    }
                    _ => String::new(),
                };
                self.err(
                    path,
                    Some(span),
                    format!(
                        "must be a whole number >= {min}{most}, without a decimal point; got {got}"
                    ),
                );
                default
            }
        }
    }

    /// A name for item `i` of `list`, checked unique; returns (name, path).
    fn item_name(
        &mut self,
        list: &str,
        i: usize,
        name: &Option<S>,
        span: std::ops::Range<usize>,
        seen: &mut HashMap<String, usize>,
    ) -> (String, String) {
        match s(name) {
            // (Names go into key paths of `--set`, column names and shell commands.)
            Some(n) if !n.is_empty() && n.chars().all(name_char) => {
                let path = format!("{list}[{n}]");
                // The name keeps meaning its first item, so that references to it are
                // not reported again as if they were wrong.
                if let Some(&first) = seen.get(n) {
                    self.err(
                        &format!("{path}.name"),
                        Some(span),
                        format!("`{n}` is used twice in {list} (items {first} and {i}, counting from 0); names must be unique"),
                    );
                } else {
                    seen.insert(n.to_string(), i);
                }
                (n.to_string(), path)
            }
            Some(n) => {
                let path = format!("{list}[{i}]");
                // Known by it all the same, so that its uses raise no second problem.
                seen.entry(n.to_string()).or_insert(i);
                self.err(
                    &format!("{path}.name"),
                    Some(span),
                    format!(
                        "`{n}` is not a valid name: use letters, digits, '-' or '_' only{}",
                        match n.chars().find(|&c| !name_char(c)) {
                            Some(c) if c.is_whitespace() => " (no spaces)".to_string(),
                            Some(c) => format!(" (not `{c}`)"),
                            None => String::new(),
                        }
                    ),
                );
                (n.to_string(), path)
            }
            None => {
                let path = format!("{list}[{i}]");
                self.err(&format!("{path}.name"), Some(span), "is required");
                (format!("#{i}"), path)
            }
        }
    }

    fn lookup(
        &mut self,
        map: &HashMap<String, usize>,
        what: &str,
        name: Option<&S>,
        path: &str,
        parent: std::ops::Range<usize>,
    ) -> Option<usize> {
        let Some(n) = name else {
            self.err(path, Some(parent), "is required");
            return None;
        };
        let found = map.get(n.get_ref().as_str()).copied();
        if found.is_none() {
            let mut known: Vec<&String> = map.keys().collect();
            known.sort();
            let known = if known.is_empty() {
                "none are defined".to_string()
            } else {
                known
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            self.err(
                path,
                Some(n.span()),
                format!("no {what} named `{}`; known: {known}", n.get_ref()),
            );
        }
        found
    }

    /// A start given as a date or as a phase name.
    fn start_day(&mut self, v: Option<&V>, path: &str, ctx: &Ctx, names: &Names) -> i32 {
        let Some(v) = v else {
            self.missing(path);
            return 0;
        };
        if let toml::Value::String(text) = v.get_ref() {
            if let Some(&p) = names.phases.get(text) {
                return names.phase_starts[p];
            }
            if names.refused_phases.contains(text) {
                // Its phase was refused above.
                return 0;
            }
            if super::values::iso_date(text).is_none() {
                let mut phases: Vec<(&String, &usize)> = names.phases.iter().collect();
                phases.sort_by_key(|&(_, &k)| k);
                let phases: Vec<String> = phases.into_iter().map(|(n, _)| n.clone()).collect();
                let hint = match super::resolve::closest(text, &phases) {
                    Some(c) => format!("; did you mean `{c}`?"),
                    None if phases.is_empty() => "; the scenario has no phases".to_string(),
                    None => format!("; phases: {}", phases.join(", ")),
                };
                self.err(
                    path,
                    Some(v.span()),
                    format!("`{text}` is neither an ISO date (YYYY-MM-DD) nor a phase name{hint}"),
                );
                return 0;
            }
        }
        self.date(v, path).map_or(0, |d| ctx.day_signed(d))
    }

    /// A problem at the first item of a list past `max`. (The items are built all the
    /// same, so that nothing that refers to them is refused as well.)
    fn at_most<T>(&mut self, items: &[Spanned<T>], key: &str, max: usize, why: &str) {
        if let Some(item) = items.get(max) {
            self.err(
                &format!("{key}[{max}]"),
                Some(item.span()),
                format!(
                    "a scenario may have at most {max} {key}, and this one has {}; {why}",
                    items.len()
                ),
            );
        }
    }

    fn phases(&mut self, raw: &RawScenario, ctx: &Ctx, names: &mut Names) -> Vec<Phase> {
        let mut out: Vec<Phase> = Vec::new();
        let mut seen = HashMap::new();
        self.at_most(
            list(&raw.phases),
            "phases",
            MAX_PHASES,
            "a phase is a stage of the programme (export, processing, mining), and what varies by month belongs in a hazard's `seasonal` profile",
        );
        for (i, item) in list(&raw.phases).iter().enumerate() {
            let (r, span) = (item.get_ref(), item.span());
            let (name, path) = self.item_name("phases", i, &r.name, span.clone(), &mut seen);
            let start = self.req_date(r.start.as_ref(), &format!("{path}.start"));
            let end = self.req_date(r.end.as_ref(), &format!("{path}.end"));
            let (Some(a), Some(b)) = (start, end) else {
                names.refused_phases.insert(name);
                continue;
            };
            if b < a {
                self.err(
                    &format!("{path}.end"),
                    r.end.as_ref().map(|e| e.span()),
                    format!("{b} comes before the phase's start {a}"),
                );
                names.refused_phases.insert(name);
                continue;
            }
            // A phase wholly after the horizon is kept and never in force, so that a
            // scenario can be shortened by moving its horizon alone.
            if ctx.start_known && b < ctx.start {
                self.err(
                    &path,
                    Some(item.span()),
                    format!(
                        "{a} to {b} ends before the scenario's start ({}); a phase must end on or after it (remove the phase, or move `start` back)",
                        ctx.start
                    ),
                );
                names.refused_phases.insert(name);
                continue;
            }
            if let Some(prev) = out.last() {
                let prev_end = prev.dates.1;
                if a <= prev_end {
                    self.err(&format!("{path}.start"), r.start.as_ref().map(|e| e.span()), format!("{a} overlaps phase `{}`, which ends {prev_end}; phases must follow one another in order", prev.name));
                }
            }
            names.phases.insert(name.clone(), out.len());
            out.push(Phase {
                name,
                start_day: ctx.day(a),
                end_day: ctx.day(b),
                dates: (a, b),
            });
        }
        names.phase_starts = out.iter().map(|p| ctx.day_signed(p.dates.0)).collect();
        out
    }

    fn commodities(&mut self, raw: &RawScenario, names: &mut Names) -> Vec<Commodity> {
        let mut out = Vec::new();
        if list(&raw.commodities).is_empty() {
            self.err(
                "commodities",
                None,
                "at least one [[commodities]] table is required",
            );
        }
        for (i, item) in list(&raw.commodities).iter().enumerate() {
            let r = item.get_ref();
            let (name, path) = self.item_name(
                "commodities",
                i,
                &r.name,
                item.span(),
                &mut names.commodities,
            );
            let value = self.num(
                r.value_per_unit.as_ref(),
                &format!("{path}.value_per_unit"),
                Domain::NON_NEG,
                Some(1.0),
            );
            let unit = s(&r.unit).unwrap_or("t").to_string();
            out.push(Commodity { name, unit, value });
        }
        // Shortfalls are added up by value: with every commodity worth nothing, the
        // headline fraction would read 0 whatever is lost.
        if !out.is_empty()
            && out
                .iter()
                .all(|c| matches!(c.value, Num::Fixed(v) if v == 0.0))
        {
            let first = list(&raw.commodities).first();
            self.err(
                &format!("commodities[{}].value_per_unit", out[0].name),
                first.map(|x| (x.get_ref().value_per_unit.as_ref()).map_or(x.span(), |v| v.span())),
                "every commodity is worth 0 a unit, so shortfall_fraction (weighted by value) and every value in USD would be 0 whatever is lost; give at least one commodity a value_per_unit above 0 (the default is 1)",
            );
        }
        out
    }

    fn projects(&mut self, raw: &RawScenario, ctx: &Ctx, names: &mut Names) -> Vec<Project> {
        let mut out = Vec::new();
        for (i, item) in list(&raw.projects).iter().enumerate() {
            let r = item.get_ref();
            let (name, path) =
                self.item_name("projects", i, &r.name, item.span(), &mut names.projects);
            let start_day = self.start_day(r.start.as_ref(), &format!("{path}.start"), ctx, names);
            let duration = self.num(
                r.duration_days.as_ref(),
                &format!("{path}.duration_days"),
                Domain::POSITIVE,
                None,
            );
            let delay = self.num(
                r.delay_per_disrupted_day.as_ref(),
                &format!("{path}.delay_per_disrupted_day"),
                Domain::NON_NEG,
                Some(1.0),
            );
            out.push(Project {
                name,
                start_day,
                duration,
                delay_per_disrupted_day: delay,
                sites: Vec::new(),
            });
        }
        out
    }

    fn prospects(&mut self, raw: &RawScenario, ctx: &Ctx, names: &mut Names) -> Vec<Prospects> {
        let mut out = Vec::new();
        for (i, item) in list(&raw.prospects).iter().enumerate() {
            let r = item.get_ref();
            let (name, path) =
                self.item_name("prospects", i, &r.name, item.span(), &mut names.prospects);
            let start_day = self.start_day(r.start.as_ref(), &format!("{path}.start"), ctx, names);
            let count = self.num_with(
                r.count.as_ref(),
                &format!("{path}.count"),
                Domain::NON_NEG,
                None,
                true,
            );
            // Counts are rounded to whole prospects (64.4 is 64).
            let count_max = self.upper(count);
            if count_max.round() > MAX_PROSPECTS as f64 {
                self.err(
                    &format!("{path}.count"),
                    r.count.as_ref().map(|c| c.span()),
                    format!(
                        "can reach {count_max}{}; at most {MAX_PROSPECTS} prospects per group",
                        if count_max.fract() == 0.0 {
                            String::new()
                        } else {
                            format!(" (rounded: {})", count_max.round())
                        }
                    ),
                );
            }
            let p_viable = self.num(
                r.viability_probability.as_ref(),
                &format!("{path}.viability_probability"),
                Domain::PROB,
                None,
            );
            let exploration_days = self.event_dist(
                r.exploration_days.as_ref(),
                &format!("{path}.exploration_days"),
                Domain::NON_NEG,
                None,
            );
            let development_days = self.event_dist(
                r.development_days.as_ref(),
                &format!("{path}.development_days"),
                Domain::NON_NEG,
                None,
            );
            let delay = self.num(
                r.delay_per_disrupted_day.as_ref(),
                &format!("{path}.delay_per_disrupted_day"),
                Domain::NON_NEG,
                Some(1.0),
            );
            out.push(Prospects {
                name,
                start_day,
                count,
                p_viable,
                exploration_days,
                development_days,
                delay_per_disrupted_day: delay,
                sites: Vec::new(),
            });
        }
        out
    }

    /// Whether a number can be exactly 0: fixed at 0, or a discrete choice that
    /// includes 0 (a continuous draw is 0 with probability 0).
    fn can_be_zero(&self, n: Num) -> bool {
        match n {
            Num::Fixed(v) => v == 0.0,
            Num::Param(i) => match &self.params[i].dist {
                crate::model::dist::Dist::Choice { values, .. } => values.contains(&0.0),
                _ => false,
            },
        }
    }

    fn upper(&self, n: Num) -> f64 {
        match n {
            Num::Fixed(v) => v,
            Num::Param(i) => self.params[i].dist.support().1,
        }
    }

    fn sites(
        &mut self,
        raw: &RawScenario,
        ctx: &Ctx,
        names: &mut Names,
        regions: &mut Vec<String>,
    ) -> Vec<Site> {
        let mut out = Vec::new();
        if list(&raw.sites).is_empty() {
            self.err(
                "sites",
                None,
                "at least one [[sites]] table is required (and a port among them)",
            );
        }
        for (i, item) in list(&raw.sites).iter().enumerate() {
            let (r, span) = (item.get_ref(), item.span());
            let (name, path) = self.item_name("sites", i, &r.name, span.clone(), &mut names.sites);
            let kind = match s(&r.kind) {
                Some("mine") => SiteKind::Mine,
                Some("stockpile") => SiteKind::Stockpile,
                Some("plant") => SiteKind::Plant,
                Some("port") => SiteKind::Port,
                other => {
                    let got = other.map_or("nothing".to_string(), |k| format!("`{k}`"));
                    self.err(
                        &format!("{path}.kind"),
                        r.kind.as_ref().map(|k| k.span()).or(Some(span.clone())),
                        format!("must be {SITE_KINDS}; got {got}"),
                    );
                    // Guess from the other keys, to avoid a cascade of follow-up errors.
                    match (&r.commodity, &r.input) {
                        (Some(_), _) => SiteKind::Mine,
                        (None, Some(_)) => SiteKind::Plant,
                        _ => SiteKind::Port,
                    }
                }
            };
            let region = match s(&r.region) {
                Some(reg) if !reg.trim().is_empty() => intern(regions, reg),
                _ => {
                    self.err(
                        &format!("{path}.region"),
                        r.region.as_ref().map(|g| g.span()).or(Some(span.clone())),
                        "is required (e.g. \"Balochistan\")",
                    );
                    0
                }
            };
            let commodity_of = |b: &mut Self, key: &str, v: &Option<S>| {
                let p = format!("{path}.{key}");
                b.lookup(
                    &names.commodities,
                    "commodity",
                    v.as_ref(),
                    &p,
                    span.clone(),
                )
            };
            let (mut out_c, mut in_c) = (None, None);
            let mut yield_ = Num::Fixed(1.0);
            match kind {
                SiteKind::Mine | SiteKind::Stockpile => {
                    out_c = commodity_of(self, "commodity", &r.commodity);
                }
                SiteKind::Plant => {
                    in_c = commodity_of(self, "input", &r.input);
                    out_c = commodity_of(self, "output", &r.output);
                    yield_ = self.num(
                        r.yield_.as_ref(),
                        &format!("{path}.yield"),
                        Domain::FRACTION,
                        None,
                    );
                }
                SiteKind::Port => {}
            }
            // (Each on the line of its key.)
            let at_s = |x: &Option<S>| x.as_ref().map(|x| x.span());
            let at_v = |x: &Option<V>| x.as_ref().map(|x| x.span());
            for (key, given, allowed) in [
                (
                    "commodity",
                    at_s(&r.commodity),
                    matches!(kind, SiteKind::Mine | SiteKind::Stockpile),
                ),
                ("input", at_s(&r.input), kind == SiteKind::Plant),
                ("output", at_s(&r.output), kind == SiteKind::Plant),
                ("yield", at_v(&r.yield_), kind == SiteKind::Plant),
                (
                    "initial_inventory",
                    at_v(&r.initial_inventory),
                    kind != SiteKind::Plant,
                ),
            ] {
                if given.is_some() && !allowed {
                    self.err(
                        &format!("{path}.{key}"),
                        given,
                        format!("does not apply to a {}", kind.as_str()),
                    );
                }
            }
            let capacity = self.num(
                r.capacity_per_day.as_ref(),
                &format!("{path}.capacity_per_day"),
                Domain::NON_NEG,
                None,
            );
            let ramp_days = self.num(
                r.ramp_up_days.as_ref(),
                &format!("{path}.ramp_up_days"),
                Domain::NON_NEG,
                Some(0.0),
            );
            let inventory_max = self.num(
                r.inventory_max.as_ref(),
                &format!("{path}.inventory_max"),
                Domain::NON_NEG,
                None,
            );
            // Routes load a stockpile or plant only up to the room in its store: no room
            // would stop everything that passes through it, even without disruptions.
            if matches!(kind, SiteKind::Stockpile | SiteKind::Plant)
                && self.can_be_zero(inventory_max)
            {
                self.err(
                    &format!("{path}.inventory_max"),
                    r.inventory_max.as_ref().map(|v| v.span()),
                    format!(
                        "must be above 0 for a {}: routes load it only up to the room in its store{}, so with none nothing would pass through it",
                        kind.as_str(),
                        if kind == SiteKind::Plant { "s (input and output)" } else { "" }
                    ),
                );
            }
            let initial_inventory = self.num(
                r.initial_inventory.as_ref(),
                &format!("{path}.initial_inventory"),
                Domain::NON_NEG,
                Some(0.0),
            );
            let online = self.online(
                r.online.as_ref(),
                &format!("{path}.online"),
                ctx,
                names,
                kind,
            );
            out.push(Site {
                name,
                kind,
                region,
                capacity,
                online,
                ramp_days,
                inventory_max,
                initial_inventory,
                yield_,
                out_stock: out_c,
                in_stock: in_c,
                out_routes: Vec::new(),
                port_stocks: Vec::new(),
            });
        }
        out
    }

    fn online(
        &mut self,
        v: Option<&V>,
        path: &str,
        ctx: &Ctx,
        names: &Names,
        kind: SiteKind,
    ) -> Online {
        let Some(v) = v else { return Online::Day(0) };
        if let toml::Value::Table(t) = v.get_ref() {
            let (key, target) = match t.iter().next() {
                Some((k, toml::Value::String(x))) if t.len() == 1 => (k.as_str(), x.as_str()),
                _ => ("", ""),
            };
            let found = match key {
                "project" => names.projects.get(target).map(|&p| Online::Project(p)),
                "prospects" if kind == SiteKind::Mine => {
                    names.prospects.get(target).map(|&p| Online::Prospects(p))
                }
                _ => None,
            };
            return found.unwrap_or_else(|| {
                let msg = match key {
                    "project" | "prospects" if kind == SiteKind::Mine || key == "project" => format!("no {key} named `{target}`"),
                    "prospects" => "only a mine can come online with prospects".to_string(),
                    _ => "expected an ISO date, { project = \"NAME\" } or, for a mine, { prospects = \"NAME\" }".to_string(),
                };
                self.err(path, Some(v.span()), msg);
                Online::Day(0)
            });
        }
        if let toml::Value::String(text) = v.get_ref()
            && super::values::iso_date(text).is_none()
        {
            // A name where a date belongs: say what it could have meant.
            let hint = if names.projects.contains_key(text) {
                format!(
                    "; for the completion of project `{text}`, write {{ project = \"{text}\" }}"
                )
            } else if names.prospects.contains_key(text) && kind == SiteKind::Mine {
                format!("; for the prospects of `{text}`, write {{ prospects = \"{text}\" }}")
            } else if names.phases.contains_key(text) {
                "; a site cannot come online at a phase: give the phase's start date, or the project that builds it ({ project = \"NAME\" })".to_string()
            } else {
                String::new()
            };
            self.err(
                path,
                Some(v.span()),
                format!("expected an ISO date (YYYY-MM-DD), {{ project = \"NAME\" }} or, for a mine, {{ prospects = \"NAME\" }}; got `{text}`{hint}"),
            );
            return Online::Day(0);
        }
        match self.date(v, path) {
            Some(d) => Online::Day(ctx.day_signed(d)),
            None => Online::Day(0),
        }
    }

    /// Routes, and the stocks they connect (site commodities become stock indices).
    fn routes(
        &mut self,
        raw: &RawScenario,
        names: &mut Names,
        sites: &mut [Site],
        regions: &mut Vec<String>,
        commodities: &[Commodity],
    ) -> (Vec<Route>, Vec<Stock>) {
        let mut stocks: Vec<Stock> = Vec::new();
        for (i, site) in sites.iter_mut().enumerate() {
            if let Some(c) = site.in_stock {
                stocks.push(Stock {
                    site: i,
                    commodity: c,
                });
                site.in_stock = Some(stocks.len() - 1);
            }
            if let Some(c) = site.out_stock {
                stocks.push(Stock {
                    site: i,
                    commodity: c,
                });
                site.out_stock = Some(stocks.len() - 1);
            }
        }
        let mut out = Vec::new();
        for (i, item) in list(&raw.routes).iter().enumerate() {
            let (r, span) = (item.get_ref(), item.span());
            let (name, path) =
                self.item_name("routes", i, &r.name, span.clone(), &mut names.routes);
            if names.sites.contains_key(&name) {
                self.err(&format!("{path}.name"), Some(span.clone()), format!("`{name}` is also a site's name; sites and routes share one name space (targets)"));
            }
            let from = self.lookup(
                &names.sites,
                "site",
                r.from.as_ref(),
                &format!("{path}.from"),
                span.clone(),
            );
            let to = self.lookup(
                &names.sites,
                "site",
                r.to.as_ref(),
                &format!("{path}.to"),
                span.clone(),
            );
            let regs: Vec<usize> = match &r.regions {
                Some(list) if !list.get_ref().is_empty() => list
                    .get_ref()
                    .iter()
                    .map(|x| intern(regions, x.get_ref()))
                    .collect(),
                _ => {
                    self.err(&format!("{path}.regions"), Some(span.clone()), "is required: the regions the route crosses, e.g. [\"Balochistan\", \"Sindh\"]");
                    Vec::new()
                }
            };
            let capacity = self.num(
                r.capacity_per_day.as_ref(),
                &format!("{path}.capacity_per_day"),
                Domain::NON_NEG,
                None,
            );
            let transit_days = self.num(
                r.transit_days.as_ref(),
                &format!("{path}.transit_days"),
                Domain::NON_NEG,
                None,
            );
            let standby = r.standby.as_ref().is_some_and(|b| *b.get_ref());
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            // Problems with where the route starts or ends are reported on the line of
            // its `from` or `to`.
            let from_span = r.from.as_ref().map_or(span.clone(), |t| t.span());
            let to_span = r.to.as_ref().map_or(span.clone(), |t| t.span());
            if from == to {
                self.err(
                    &format!("{path}.to"),
                    Some(to_span.clone()),
                    "a route cannot end where it starts",
                );
                continue;
            }
            let Some((commodity, from_stock)) =
                self.route_source(&sites[from], &path, from_span, &stocks)
            else {
                continue;
            };
            let to_stock = match sites[to].kind {
                SiteKind::Mine => {
                    self.err(
                        &format!("{path}.to"),
                        Some(to_span.clone()),
                        format!(
                            "`{}` is a mine; a route must end at a stockpile, plant or port",
                            sites[to].name
                        ),
                    );
                    continue;
                }
                SiteKind::Port => {
                    let existing = sites[to]
                        .port_stocks
                        .iter()
                        .copied()
                        .find(|&k| stocks[k].commodity == commodity);
                    existing.unwrap_or_else(|| {
                        stocks.push(Stock {
                            site: to,
                            commodity,
                        });
                        sites[to].port_stocks.push(stocks.len() - 1);
                        stocks.len() - 1
                    })
                }
                SiteKind::Plant | SiteKind::Stockpile => {
                    let k = if sites[to].kind == SiteKind::Plant {
                        sites[to].in_stock
                    } else {
                        sites[to].out_stock
                    };
                    match k {
                        Some(k) if stocks[k].commodity == commodity => k,
                        Some(k) => {
                            self.err(
                                &format!("{path}.to"),
                                Some(to_span.clone()),
                                format!(
                                    "carries {} but `{}` takes {}",
                                    commodities[commodity].name,
                                    sites[to].name,
                                    commodities[stocks[k].commodity].name
                                ),
                            );
                            continue;
                        }
                        None => continue,
                    }
                }
            };
            sites[from].out_routes.push(out.len());
            out.push(Route {
                name,
                from,
                to,
                regions: regs,
                capacity,
                transit_days,
                standby,
                commodity,
                from_stock,
                to_stock,
            });
        }
        (out, stocks)
    }

    fn route_source(
        &mut self,
        from: &Site,
        path: &str,
        span: std::ops::Range<usize>,
        stocks: &[Stock],
    ) -> Option<(usize, usize)> {
        if from.kind == SiteKind::Port {
            self.err(
                &format!("{path}.from"),
                Some(span),
                format!(
                    "`{}` is a port; ports ship to the US and have no outbound routes",
                    from.name
                ),
            );
            return None;
        }
        from.out_stock.map(|k| (stocks[k].commodity, k))
    }

    /// Every producing site must reach a port; every plant must be fed.
    fn check_network(&mut self, raw: &RawScenario, sites: &[Site], routes: &[Route]) {
        if !sites.iter().any(|s| s.kind == SiteKind::Port) {
            self.err(
                "sites",
                None,
                "no site has kind = \"port\": nothing could ever be delivered",
            );
            return;
        }
        let mut reaches = vec![false; sites.len()];
        for (i, s) in sites.iter().enumerate() {
            reaches[i] = s.kind == SiteKind::Port;
        }
        for _ in 0..sites.len() {
            for r in routes {
                if reaches[r.to] {
                    reaches[r.from] = true;
                }
            }
        }
        for (i, site) in sites.iter().enumerate() {
            let span = list(&raw.sites).get(i).map(|x| x.span());
            if !reaches[i] {
                self.err(
                    &format!("sites[{}]", site.name),
                    span.clone(),
                    "has no path of routes to a port: its output could never be delivered",
                );
            }
            if !site.out_routes.is_empty() && site.out_routes.iter().all(|&r| routes[r].standby) {
                self.err(
                    &format!("sites[{}]", site.name),
                    span.clone(),
                    "has only standby routes out, so it would never load; make one of them a primary route (standby = false)",
                );
            }
            if site.kind == SiteKind::Plant && !routes.iter().any(|r| r.to == i) {
                self.err(
                    &format!("sites[{}]", site.name),
                    span,
                    "is a plant that no route feeds with its input",
                );
            }
        }
        if let Some(cycle) = route_cycle(sites.len(), routes) {
            let r = cycle[0];
            let names: Vec<&str> = (cycle.iter())
                .map(|&r| sites[routes[r].from].name.as_str())
                .chain([sites[routes[r].from].name.as_str()])
                .collect();
            // (By name: a route refused earlier is not in `routes`.)
            let span = (list(&raw.routes).iter())
                .find(|x| s(&x.get_ref().name) == Some(routes[r].name.as_str()))
                .map(|x| x.span());
            self.err(
                &format!("routes[{}]", routes[r].name),
                span,
                format!(
                    "is on a loop of primary routes ({}): goods would go round it for ever, and never reach a port; routes must lead from the mines towards the ports without coming back, except by a standby route (standby = true), which carries only what a primary route lost",
                    names.join(" -> ")
                ),
            );
        }
    }

    fn hazards(
        &mut self,
        raw: &RawScenario,
        names: &mut Names,
        phases: &[Phase],
        sites: &[Site],
        routes: &[Route],
        regions: &[String],
    ) -> Vec<Hazard> {
        self.at_most(
            list(&raw.hazards),
            "hazards",
            MAX_HAZARDS,
            "hazards that act alike in several places are one hazard with several regions or targets",
        );
        for (i, item) in list(&raw.hazards).iter().enumerate() {
            if let Some(n) = s(&item.get_ref().name) {
                names.hazards.entry(n.to_string()).or_insert(i);
            }
        }
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for (i, item) in list(&raw.hazards).iter().enumerate() {
            let (r, span) = (item.get_ref(), item.span());
            let (name, path) = self.item_name("hazards", i, &r.name, span.clone(), &mut seen);
            let p = |k: &str| format!("{path}.{k}");
            let kind = match s(&r.kind) {
                Some("attack") => HazardKind::Attack,
                Some("protest") => HazardKind::Protest,
                Some("cyber") => HazardKind::Cyber,
                other => {
                    let got = other.map_or("nothing".to_string(), |k| format!("`{k}`"));
                    self.err(
                        &p("kind"),
                        r.kind.as_ref().map(|k| k.span()).or(Some(span.clone())),
                        format!("must be {HAZARD_KINDS}; got {got}"),
                    );
                    HazardKind::Attack
                }
            };
            let hregions = self.hazard_regions(r, &path, span.clone(), regions);
            let rate_per_year = self.num(
                r.rate_per_year.as_ref(),
                &p("rate_per_year"),
                Domain::NON_NEG,
                None,
            );
            let trend_per_year = self.num(
                r.trend_per_year.as_ref(),
                &p("trend_per_year"),
                Domain::TREND,
                Some(0.0),
            );
            let phase_multipliers = self.phase_multipliers(r, &path, phases, names);
            let seasonal = self.seasonal(r, &path);
            let (self_jump, self_decay_days) = match &r.self_excitation {
                Some(x) => {
                    let x = x.get_ref();
                    (
                        self.num(
                            x.jump.as_ref(),
                            &p("self_excitation.jump"),
                            Domain::BRANCHING,
                            None,
                        ),
                        self.num(
                            x.decay_days.as_ref(),
                            &p("self_excitation.decay_days"),
                            Domain::POSITIVE,
                            None,
                        ),
                    )
                }
                None => (Num::Fixed(0.0), Num::Fixed(1.0)),
            };
            let mut excited_by = Vec::new();
            for (j, x) in list(&r.excited_by).iter().enumerate() {
                let xp = format!("{path}.excited_by[{j}]");
                let xr = x.get_ref();
                let source = self.lookup(
                    &names.hazards,
                    "hazard",
                    xr.hazard.as_ref(),
                    &format!("{xp}.hazard"),
                    x.span(),
                );
                let jump = self.num(
                    xr.jump.as_ref(),
                    &format!("{xp}.jump"),
                    Domain::BRANCHING,
                    None,
                );
                let decay_days = self.num(
                    xr.decay_days.as_ref(),
                    &format!("{xp}.decay_days"),
                    Domain::POSITIVE,
                    None,
                );
                match source {
                    Some(s) if s == i => self.err(
                        &format!("{xp}.hazard"),
                        Some(x.span()),
                        "a hazard cannot cross-excite itself; use self_excitation",
                    ),
                    Some(source) => excited_by.push(Excitation {
                        source,
                        jump,
                        decay_days,
                    }),
                    None => {}
                }
            }
            let targets = self.targets(
                r,
                &path,
                span.clone(),
                (&hregions, regions),
                (sites, routes, names),
            );
            let impact = self.impact(r, &path, span.clone());
            out.push(Hazard {
                name,
                kind,
                regions: hregions,
                rate_per_year,
                trend_per_year,
                phase_multipliers,
                seasonal,
                self_jump,
                self_decay_days,
                excited_by,
                targets,
                impact,
                mitigations: Vec::new(),
            });
        }
        out
    }

    fn hazard_regions(
        &mut self,
        r: &RawHazard,
        path: &str,
        span: std::ops::Range<usize>,
        regions: &[String],
    ) -> Vec<usize> {
        let national = r.national.as_ref().is_some_and(|b| *b.get_ref());
        match (&r.regions, national) {
            (Some(_), true) => {
                self.err(
                    &format!("{path}.regions"),
                    Some(span),
                    "give either regions or national = true, not both",
                );
                Vec::new()
            }
            (None, true) => Vec::new(),
            (None, false) => {
                self.err(
                    &format!("{path}.regions"),
                    Some(span),
                    "is required (or national = true for a hazard that acts everywhere)",
                );
                Vec::new()
            }
            (Some(list), false) => {
                let mut out = Vec::new();
                for x in list.get_ref() {
                    match regions.iter().position(|r| r == x.get_ref()) {
                        Some(k) => out.push(k),
                        None => self.err(
                            &format!("{path}.regions"),
                            Some(x.span()),
                            format!(
                                "no site or route is in region `{}`; regions in this scenario: {}",
                                x.get_ref(),
                                regions.join(", ")
                            ),
                        ),
                    }
                }
                if list.get_ref().is_empty() {
                    self.err(
                        &format!("{path}.regions"),
                        Some(list.span()),
                        "is empty; name at least one region or set national = true",
                    );
                }
                out
            }
        }
    }

    fn phase_multipliers(
        &mut self,
        r: &RawHazard,
        path: &str,
        phases: &[Phase],
        names: &Names,
    ) -> Vec<Num> {
        let mut out = vec![Num::Fixed(1.0); phases.len()];
        let Some(t) = &r.phase_multipliers else {
            return out;
        };
        for (key, value) in t.get_ref() {
            let kp = format!("{path}.phase_multipliers.{key}");
            let v = Spanned::new(t.span(), value.clone());
            match phases.iter().position(|p| &p.name == key) {
                Some(k) => out[k] = self.num(Some(&v), &kp, Domain::NON_NEG, None),
                // Its phase was refused above.
                None if names.refused_phases.contains(key) => {}
                None => {
                    let known: Vec<&str> = phases.iter().map(|p| p.name.as_str()).collect();
                    self.err(
                        &kp,
                        Some(t.span()),
                        if known.is_empty() {
                            format!("no phase named `{key}`; the scenario has no phases")
                        } else {
                            format!("no phase named `{key}`; phases: {}", known.join(", "))
                        },
                    );
                }
            }
        }
        out
    }

    fn seasonal(&mut self, r: &RawHazard, path: &str) -> [f64; 12] {
        let mut out = [1.0; 12];
        let Some(list) = &r.seasonal else { return out };
        let kp = format!("{path}.seasonal");
        if list.get_ref().len() != 12 {
            self.err(
                &kp,
                Some(list.span()),
                format!(
                    "needs 12 factors, January to December; got {}",
                    list.get_ref().len()
                ),
            );
            return out;
        }
        for (m, v) in list.get_ref().iter().enumerate() {
            out[m] = self
                .fixed(v, &format!("{kp}[{m}]"), Domain::NON_NEG)
                .unwrap_or(1.0);
        }
        // The mean over the days of a year (February 28.25 days), so that a year of
        // 365.25 days keeps the annual rate exactly, however uneven the factors.
        const DAYS: [f64; 12] = [
            31.0, 28.25, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
        ];
        let mean = out.iter().zip(DAYS).map(|(f, d)| f * d).sum::<f64>() / 365.25;
        if mean <= 0.0 {
            self.err(
                &kp,
                Some(list.span()),
                "factors are all zero; at least one month must have a positive factor",
            );
            return [1.0; 12];
        }
        out.map(|x| x / mean)
    }

    fn targets(
        &mut self,
        r: &RawHazard,
        path: &str,
        span: std::ops::Range<usize>,
        (hregions, regions): (&[usize], &[String]),
        // The sites and routes built, and the names declared (some maybe refused).
        (sites, routes, names): (&[Site], &[Route], &Names),
    ) -> Vec<(usize, f64)> {
        let kp = format!("{path}.targets");
        let Some(t) = &r.targets else {
            self.err(&kp, Some(span), "is required: weights by kind (mine, stockpile, plant, port, route) or by site or route name, e.g. { route = 3, mine = 1 }");
            return Vec::new();
        };
        let mut by_name = HashMap::new();
        let mut by_kind = HashMap::new();
        for (key, value) in t.get_ref() {
            let v = Spanned::new(t.span(), value.clone());
            let Some(w) = self.fixed(&v, &format!("{kp}.{key}"), Domain::NON_NEG) else {
                continue;
            };
            if ["mine", "stockpile", "plant", "port", "route"].contains(&key.as_str()) {
                by_kind.insert(key.clone(), w);
            } else if sites.iter().any(|s| &s.name == key) || routes.iter().any(|r| &r.name == key)
            {
                by_name.insert(key.clone(), w);
            } else if names.sites.contains_key(key) || names.routes.contains_key(key) {
                // A site or route refused where it is declared (reported there).
            } else {
                self.err(&format!("{kp}.{key}"), Some(t.span()), "is neither a target kind (mine, stockpile, plant, port, route) nor a site or route name");
            }
        }
        let in_scope =
            |regs: &[usize]| hregions.is_empty() || regs.iter().any(|r| hregions.contains(r));
        // A site or route named with a weight must be one the hazard can hit.
        let names = |regs: &[usize]| {
            (regs.iter().map(|&k| regions[k].as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for key in t.get_ref().keys() {
            let Some(&w) = by_name.get(key) else {
                continue;
            };
            let (what, regs) = match sites.iter().find(|s| &s.name == key) {
                Some(s) => ("site", vec![s.region]),
                None => match routes.iter().find(|r| &r.name == key) {
                    Some(r) => ("route", r.regions.clone()),
                    None => continue,
                },
            };
            if w > 0.0 && !in_scope(&regs) {
                let lies = if what == "site" {
                    "lies in"
                } else {
                    "runs across"
                };
                self.err(
                    &format!("{kp}.{key}"),
                    Some(t.span()),
                    format!(
                        "{what} `{key}` {lies} {}, outside the hazard's regions ({}), so its events could never hit it; add its region to `regions`, or drop the name (or set its weight to 0)",
                        names(&regs),
                        names(hregions),
                    ),
                );
            }
        }
        let mut out = Vec::new();
        for (i, s) in sites.iter().enumerate() {
            let w = by_name
                .get(&s.name)
                .or(by_kind.get(s.kind.as_str()))
                .copied()
                .unwrap_or(0.0);
            if w > 0.0 && in_scope(&[s.region]) {
                out.push((i, w));
            }
        }
        for (i, r) in routes.iter().enumerate() {
            let w = by_name
                .get(&r.name)
                .or(by_kind.get("route"))
                .copied()
                .unwrap_or(0.0);
            if w > 0.0 && in_scope(&r.regions) {
                out.push((sites.len() + i, w));
            }
        }
        if out.is_empty() {
            self.err(
                &kp,
                Some(t.span()),
                "selects no site or route in the hazard's regions; its events would hit nothing",
            );
        }
        out
    }

    fn impact(&mut self, r: &RawHazard, path: &str, span: std::ops::Range<usize>) -> Impact {
        let default = RawImpact::default();
        let i = match &r.impact {
            Some(i) => i.get_ref(),
            None => {
                self.err(
                    &format!("{path}.impact"),
                    Some(span),
                    "is required: at least duration_days",
                );
                &default
            }
        };
        let p = |k: &str| format!("{path}.impact.{k}");
        let stand_down_probability = self.num(
            i.stand_down_probability.as_ref(),
            &p("stand_down_probability"),
            Domain::PROB,
            Some(0.0),
        );
        let sd_default = if stand_down_probability == Num::Fixed(0.0) {
            Some(0.0)
        } else {
            None
        };
        Impact {
            severity: self.event_dist(
                i.severity.as_ref(),
                &p("severity"),
                Domain::FRACTION,
                Some(1.0),
            ),
            duration_days: self.event_dist(
                i.duration_days.as_ref(),
                &p("duration_days"),
                Domain::NON_NEG,
                if r.impact.is_none() { Some(0.0) } else { None },
            ),
            lost_cargo: self.event_dist(
                i.lost_cargo.as_ref(),
                &p("lost_cargo"),
                Domain::PROB,
                Some(0.0),
            ),
            stand_down_probability,
            stand_down_days: self.event_dist(
                i.stand_down_days.as_ref(),
                &p("stand_down_days"),
                Domain::NON_NEG,
                sd_default,
            ),
            construction_delay_days: self.event_dist(
                i.construction_delay_days.as_ref(),
                &p("construction_delay_days"),
                Domain::NON_NEG,
                Some(0.0),
            ),
            severity_scale: self.num(
                i.severity_scale.as_ref(),
                &p("severity_scale"),
                Domain::NON_NEG,
                Some(1.0),
            ),
            duration_scale: self.num(
                i.duration_scale.as_ref(),
                &p("duration_scale"),
                Domain::NON_NEG,
                Some(1.0),
            ),
        }
    }

    fn mitigations(
        &mut self,
        raw: &RawScenario,
        ctx: &Ctx,
        names: &Names,
        hazards: &mut [Hazard],
    ) -> Vec<Mitigation> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for (i, item) in list(&raw.mitigations).iter().enumerate() {
            let (r, span) = (item.get_ref(), item.span());
            let (name, path) = self.item_name("mitigations", i, &r.name, span.clone(), &mut seen);
            let mut applies: Vec<usize> = Vec::new();
            for h in r
                .hazards
                .as_ref()
                .map(|l| l.get_ref().as_slice())
                .unwrap_or(&[])
            {
                if let Some(k) = self.lookup(
                    &names.hazards,
                    "hazard",
                    Some(h),
                    &format!("{path}.hazards"),
                    span.clone(),
                ) {
                    applies.push(k);
                }
            }
            for k in r
                .kinds
                .as_ref()
                .map(|l| l.get_ref().as_slice())
                .unwrap_or(&[])
            {
                match HazardKind::ALL.iter().find(|x| x.as_str() == k.get_ref()) {
                    Some(kind) => applies.extend(
                        hazards
                            .iter()
                            .enumerate()
                            .filter(|(_, h)| h.kind == *kind)
                            .map(|(j, _)| j),
                    ),
                    None => self.err(
                        &format!("{path}.kinds"),
                        Some(k.span()),
                        format!("`{}` is not a hazard kind; use {HAZARD_KINDS}", k.get_ref()),
                    ),
                }
            }
            // (Absent or empty lists alike: a mitigation of nothing is a mistake.)
            if r.hazards.as_ref().is_none_or(|l| l.get_ref().is_empty())
                && r.kinds.as_ref().is_none_or(|l| l.get_ref().is_empty())
            {
                self.err(&format!("{path}.hazards"), Some(span.clone()), "say what it mitigates: hazards = [names] and/or kinds = [attack, protest, cyber], at least one of them not empty");
            }
            // The first day it acts: its `from`, or the start.
            let first = (r.from.as_ref())
                .and_then(|v| self.date(v, &format!("{path}.from")))
                .map_or(ctx.start, |d| d.max(ctx.start));
            let from_day = ctx.day(first);
            let until_day = match &r.until {
                Some(v) => match self.date(v, &format!("{path}.until")) {
                    Some(d) if d <= first => {
                        self.err(
                            &format!("{path}.until"),
                            Some(v.span()),
                            format!(
                                "{d} must come after the first day it acts ({first}, its `from` or the scenario's start): it would never act"
                            ),
                        );
                        u32::MAX
                    }
                    Some(d) => ctx.day(d),
                    None => u32::MAX,
                },
                None => u32::MAX,
            };
            let p = |k: &str| format!("{path}.{k}");
            let m = Mitigation {
                name,
                from_day,
                until_day,
                rate_factor: self.num(
                    r.rate_factor.as_ref(),
                    &p("rate_factor"),
                    Domain::NON_NEG,
                    Some(1.0),
                ),
                severity_factor: self.num(
                    r.severity_factor.as_ref(),
                    &p("severity_factor"),
                    Domain::NON_NEG,
                    Some(1.0),
                ),
                duration_factor: self.num(
                    r.duration_factor.as_ref(),
                    &p("duration_factor"),
                    Domain::NON_NEG,
                    Some(1.0),
                ),
                stand_down_factor: self.num(
                    r.stand_down_factor.as_ref(),
                    &p("stand_down_factor"),
                    Domain::NON_NEG,
                    Some(1.0),
                ),
            };
            applies.sort_unstable();
            applies.dedup();
            for h in applies {
                if let Some(h) = hazards.get_mut(h) {
                    h.mitigations.push(out.len());
                }
            }
            out.push(m);
        }
        out
    }

    fn plan(
        &mut self,
        raw: &RawScenario,
        names: &Names,
        start: Date,
        horizon: Date,
        window_known: bool,
    ) -> Vec<PlanTarget> {
        let mut out = Vec::new();
        // (Year, commodity) of each target given so far, with its index.
        let mut given: HashMap<(i16, usize), usize> = HashMap::new();
        for (i, item) in list(&raw.plan).iter().enumerate() {
            let (r, span) = (item.get_ref(), item.span());
            let path = format!("plan[{i}]");
            let year = match r.year.as_ref().map(|y| y.get_ref()) {
                Some(toml::Value::Integer(y))
                    if (start.year() as i64..=horizon.year() as i64).contains(y)
                        // (Without the scenario's dates, the year is not checked.)
                        || !window_known && (0..=9999).contains(y) =>
                {
                    *y as i16
                }
                other => {
                    // A year written as text or with a decimal point is refused for its
                    // form, not for a range it may well lie in.
                    let form = match other {
                        Some(v @ (toml::Value::Float(_) | toml::Value::String(_))) => {
                            format!(
                                ", written as a whole number without quotes or a decimal point (got `{v}`)"
                            )
                        }
                        _ => String::new(),
                    };
                    self.err(
                        &format!("{path}.year"),
                        r.year.as_ref().map(|y| y.span()).or(Some(span.clone())),
                        format!(
                            "must be a calendar year from {} to {}{form}",
                            start.year(),
                            horizon.year()
                        ),
                    );
                    continue;
                }
            };
            let commodity = self.lookup(
                &names.commodities,
                "commodity",
                r.commodity.as_ref(),
                &format!("{path}.commodity"),
                span.clone(),
            );
            let quantity = self.num(
                r.quantity.as_ref(),
                &format!("{path}.quantity"),
                Domain::NON_NEG,
                None,
            );
            if let Some(commodity) = commodity {
                if let Some(&first) = given.get(&(year, commodity)) {
                    self.err(
                        &format!("{path}.year"),
                        r.year.as_ref().map(|y| y.span()).or(Some(span.clone())),
                        format!(
                            "plan[{first}] already gives the target for `{}` in {year}; give one target per commodity and year",
                            s(&r.commodity).unwrap_or_default()
                        ),
                    );
                    continue;
                }
                given.insert((year, commodity), i);
                out.push(PlanTarget {
                    year,
                    commodity,
                    quantity,
                });
            }
        }
        out
    }

    /// Whether the hazards' branching ratio stays below 1 (reported if not).
    fn check_branching(&mut self, raw: &RawScenario, model: &Model) -> bool {
        let m = model.branching_matrix_max();
        let rho = spectral_radius(&m);
        if rho >= 1.0 {
            let span = list(&raw.hazards).first().map(|h| h.span());
            self.err("hazards", span, format!("self- and cross-excitation together have a branching ratio (spectral radius) of {rho:.3} at the top of their jump ranges; it must stay below 1, or events would multiply without end"));
        }
        rho < 1.0
    }

    /// Refuses hazards whose events, `n` of each hazard as `check_event_load` estimates
    /// them, would bring more than `MAX_DISRUPTIONS` disruptions a trial: an event
    /// disrupts its target and, with a stand-down (at the `EVENT_LOAD_QUANTILE` of its
    /// probability, raised by mitigations' stand-down factors above 1), every target of
    /// its region (the largest of the hazard's regions).
    fn check_disruption_load(
        &mut self,
        raw: &RawScenario,
        model: &Model,
        n: &[f64],
        high: &impl Fn(Num) -> f64,
    ) {
        // The most targets a stand-down of the hazard can reach: those of the largest of
        // its regions (of any region for a national hazard).
        let spread = |h: &crate::model::Hazard| {
            let all: Vec<usize> = (0..model.region_targets.len()).collect();
            let regions = if h.regions.is_empty() {
                &all
            } else {
                &h.regions
            };
            (regions.iter())
                .map(|&r| model.region_targets[r].len())
                .max()
                .unwrap_or(0)
        };
        let per_hazard: Vec<f64> = (model.hazards.iter().zip(n))
            .map(|(h, &events)| {
                let raised: f64 = (h.mitigations.iter())
                    .map(|&m| high(model.mitigations[m].stand_down_factor).max(1.0))
                    .product();
                let p = (high(h.impact.stand_down_probability) * raised).min(1.0);
                events * (1.0 + p * spread(h) as f64)
            })
            .collect();
        let total: f64 = per_hazard.iter().sum();
        if total.is_nan() || total <= MAX_DISRUPTIONS {
            return;
        }
        // The hazard whose stand-downs bring the most disruptions.
        let (worst, _) = (per_hazard.iter().zip(n).enumerate())
            .map(|(i, (&all, &events))| (i, all - events))
            .fold(
                (0, 0.0),
                |(k, x), (i, y)| if y > x { (i, y) } else { (k, x) },
            );
        let h = &model.hazards[worst];
        let span = list(&raw.hazards)
            .get(worst)
            .map(|x| (x.get_ref().impact.as_ref()).map_or(x.span(), |r| r.span()));
        let count = |x: f64| crate::report::charts::thousands(x.round() as u64);
        self.err(
            &format!("hazards[{}].impact.stand_down_probability", h.name),
            span,
            format!(
                "with it the hazards could bring about {} disruptions a trial (about {} events, a stand-down disrupting every target of its region: this hazard's {} events a trial could stand down up to {} targets each); a trial is built for at most {}: lower the stand-down probabilities or the rates, or put fewer sites and routes in a region",
                count(total),
                count(n.iter().sum()),
                count(n[worst]),
                spread(h),
                count(MAX_DISRUPTIONS),
            ),
        );
    }

    /// Refuses hazards that would bring more than `MAX_EVENTS` events a trial, estimated
    /// high: each background rate at the `EVENT_LOAD_QUANTILE` of its rate, phase
    /// multipliers and mitigations' rate factors (those above 1), grown over the horizon by
    /// its trend at that percentile, and with the offspring that the branching matrix at its
    /// highest adds (`n = bg + B n`).
    fn check_event_load(&mut self, raw: &RawScenario, model: &Model) {
        let high = |num: Num| match num {
            Num::Fixed(v) => v,
            Num::Param(i) => model.params[i].dist.quantile(EVENT_LOAD_QUANTILE),
        };
        let years = model.n_days as f64 / 365.25;
        // Years of the base rate that each hazard's trend amounts to.
        let grown: Vec<f64> = (model.hazards.iter())
            .map(|h| {
                let g = high(h.trend_per_year);
                if g.abs() < 1e-9 {
                    years
                } else {
                    ((1.0 + g).powf(years) - 1.0) / (1.0 + g).ln()
                }
            })
            .collect();
        let per_hazard: Vec<f64> = (model.hazards.iter().zip(&grown))
            .map(|(h, &grown)| {
                let rate = high(h.rate_per_year);
                if rate == 0.0 {
                    // No events, however fast a rate of 0 grows.
                    return 0.0;
                }
                let phase = (h.phase_multipliers.iter().zip(&model.phases))
                    .filter(|(_, p)| p.in_force(model.n_days))
                    .map(|(&m, _)| high(m))
                    .fold(1.0, f64::max);
                let mitigated: f64 = (h.mitigations.iter())
                    .map(|&m| high(model.mitigations[m].rate_factor).max(1.0))
                    .product();
                rate * grown * phase * mitigated
            })
            .collect();
        // With their offspring: n = bg + B n, with B the branching matrix at its highest,
        // solved directly, since iterating converges slowly near a branching ratio of 1.
        let b = model.branching_matrix_max();
        let n = solve_offspring(&b, &per_hazard);
        let total: f64 = n.iter().sum();
        // (An estimate that overflows, or is not a number, is refused too; but not one
        // made of values already refused, such as a rate above 1e15, whose message says
        // what to fix.)
        if !total.is_finite() && !self.problems.is_empty() {
            return;
        }
        if !(total.is_nan() || total > MAX_EVENTS) {
            self.check_disruption_load(raw, model, &n, &high);
        } else {
            // The hazard with the most events, offspring included.
            let (worst, _) = (n.iter().enumerate()).fold((0, 0.0), |(k, x), (i, &y)| {
                if y.is_nan() || y > x { (i, y) } else { (k, x) }
            });
            let h = &model.hazards[worst];
            let item = list(&raw.hazards).get(worst);
            let count = |x: f64| {
                if x.is_finite() && x < 1e15 {
                    crate::report::charts::thousands(x.round() as u64)
                } else {
                    format!("{x:.1e}")
                }
            };
            // Mostly offspring (or without end): the jumps are the cause, not the rate;
            // a growth beyond any number: the trend.
            let offspring = per_hazard[worst].is_finite()
                && (n[worst].is_nan() || n[worst] >= 2.0 * per_hazard[worst]);
            let (key, span, advice) = if !grown[worst].is_finite() {
                let span = item
                    .map(|x| (x.get_ref().trend_per_year.as_ref()).map_or(x.span(), |r| r.span()));
                (
                    format!("hazards[{}].trend_per_year", h.name),
                    span,
                    "lower the trend, or shorten the horizon",
                )
            } else if offspring {
                let span = item
                    .map(|x| (x.get_ref().self_excitation.as_ref()).map_or(x.span(), |r| r.span()));
                (
                    format!("hazards[{}].self_excitation", h.name),
                    span,
                    "lower the jumps of its self-excitation or of the hazards that excite it",
                )
            } else {
                let span = item
                    .map(|x| (x.get_ref().rate_per_year.as_ref()).map_or(x.span(), |r| r.span()));
                (
                    format!("hazards[{}].rate_per_year", h.name),
                    span,
                    "lower the rates, trends, phase multipliers or mitigations' rate factors above 1, or shorten the horizon",
                )
            };
            self.err(
                &key,
                span,
                format!(
                    "with it the hazards could bring about {} events a trial (at the 99.9999th percentiles of rates, trends, phase multipliers and mitigations' rate factors, over the whole horizon, offspring included; this one {}); a trial is built for at most {}: {advice}",
                    count(total),
                    if n[worst] == per_hazard[worst] {
                        count(n[worst])
                    } else {
                        format!(
                            "{} before its offspring, {} with them",
                            count(per_hazard[worst]),
                            count(n[worst])
                        )
                    },
                    count(MAX_EVENTS),
                ),
            );
        }
    }
}

/// The routes of one loop of primary routes in the network (each route's `to` the next
/// one's `from`), if it has one: a depth-first search for a route back to a site on the
/// current path. (A loop through a standby route, a backup between two sites that each
/// ship on their own, moves goods only while a primary route is cut.)
fn route_cycle(n_sites: usize, routes: &[Route]) -> Option<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n_sites];
    for (i, r) in routes.iter().enumerate().filter(|(_, r)| !r.standby) {
        out[r.from].push(i);
    }
    // 0: not visited, 1: on the current path, 2: done.
    let mut state = vec![0u8; n_sites];
    for root in 0..n_sites {
        if state[root] != 0 {
            continue;
        }
        // The path's routes, and for each site on it the next of its routes to try.
        let mut path: Vec<usize> = Vec::new();
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some((site, next)) = stack.last_mut() {
            let site = *site;
            let Some(&r) = out[site].get(*next) else {
                state[site] = 2;
                stack.pop();
                path.pop();
                continue;
            };
            *next += 1;
            let to = routes[r].to;
            match state[to] {
                1 => {
                    // Back to a site on the path: the loop starts at its route out.
                    let start = path.iter().position(|&p| routes[p].from == to);
                    let mut cycle = start.map_or(Vec::new(), |k| path[k..].to_vec());
                    cycle.push(r);
                    return Some(cycle);
                }
                0 => {
                    state[to] = 1;
                    path.push(r);
                    stack.push((to, 0));
                }
                _ => {}
            }
        }
    }
    None
}

/// The most events a trial is built for (about 20 MB of events and disruptions per
/// worker thread); hazards that could bring more are refused.
const MAX_EVENTS: f64 = 200_000.0;

/// The most disruptions a trial is built for, counting a stand-down once for every
/// target of its region (about 60 MB per worker thread); hazards that could bring more
/// are refused.
const MAX_DISRUPTIONS: f64 = 400_000.0;

/// The percentile of an uncertain rate, trend, phase multiplier or rate factor at which
/// the event load is estimated: the 99.9999th, which a run of a million trials draws
/// above about once, so that a rate with a rare, huge value (a discrete choice with a
/// small weight on it, a far tail) is refused rather than stopping most runs.
const EVENT_LOAD_QUANTILE: f64 = 1.0 - 1e-6;

/// The longest horizon, in days (100 years).
const MAX_DAYS: u32 = 36_525;

/// The most prospects one group may have.
pub const MAX_PROSPECTS: usize = 64;

/// The most phases a scenario may have (a day's phase is kept in a byte, 255 meaning
/// none).
pub const MAX_PHASES: usize = 255;

/// The most hazards a scenario may have (checking the branching of their excitation
/// solves a system of one equation per hazard).
pub const MAX_HAZARDS: usize = 1000;

struct Ctx {
    start: Date,
    horizon: Date,
    /// Whether `start` is the scenario's.
    start_known: bool,
    n_days: u32,
}

impl Ctx {
    fn day(&self, d: Date) -> u32 {
        if d <= self.start {
            0
        } else {
            days_between(
                self.start,
                d.min(self.horizon.saturating_add(jiff::Span::new().days(1))),
            )
            .min(self.n_days)
        }
    }

    /// Like [`Ctx::day`], but a date before the start counts back from it (negative):
    /// for when a site came online or work began, so that a ramp-up or construction
    /// under way at the start is part done; and a date after the horizon counts on
    /// past it (not held at the day after the horizon), so that work that starts
    /// with a phase after the horizon ends when it would have.
    fn day_signed(&self, d: Date) -> i32 {
        if d < self.start {
            -(days_between(d, self.start).min(i32::MAX as u32) as i32)
        } else {
            days_between(self.start, d).min(i32::MAX as u32) as i32
        }
    }
}

/// Whole days from `a` to `b` (b >= a).
pub fn days_between(a: Date, b: Date) -> u32 {
    a.until(b).map(|s| s.get_days().max(0) as u32).unwrap_or(0)
}

fn intern(regions: &mut Vec<String>, name: &str) -> usize {
    match regions.iter().position(|r| r == name) {
        Some(k) => k,
        None => {
            regions.push(name.to_string());
            regions.len() - 1
        }
    }
}

fn region_targets(sites: &[Site], routes: &[Route], n_regions: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); n_regions];
    for (i, s) in sites.iter().enumerate() {
        out[s.region].push(i);
    }
    for (i, r) in routes.iter().enumerate() {
        for &reg in &r.regions {
            out[reg].push(sites.len() + i);
        }
    }
    out
}

/// The calendar of a horizon: years, months, and where each day falls.
struct Calendar {
    years: Vec<i16>,
    day_year: Vec<u8>,
    day_month: Vec<u8>,
    months: Vec<Date>,
    day_period: Vec<u16>,
    period_year: Vec<u8>,
}

/// Years and months covered, and the year, calendar month and month period of each day.
/// A period begins on the first of each month, and also on each day of `cuts` (phases'
/// first days and the days after their last).
fn calendar(start: Date, n_days: u32, cuts: &[u32]) -> Calendar {
    let n = n_days as usize;
    let mut c = Calendar {
        years: Vec::new(),
        day_year: Vec::with_capacity(n),
        day_month: Vec::with_capacity(n),
        months: Vec::new(),
        day_period: Vec::with_capacity(n),
        period_year: Vec::new(),
    };
    let mut d = start;
    for day in 0..n_days {
        if c.years.last() != Some(&d.year()) {
            c.years.push(d.year());
        }
        if c.months
            .last()
            .is_none_or(|m| m.month() != d.month() || m.year() != d.year())
            || cuts.contains(&day)
        {
            c.months.push(d);
            c.period_year.push((c.years.len() - 1) as u8);
        }
        c.day_year.push((c.years.len() - 1) as u8);
        c.day_month.push((d.month() - 1) as u8);
        c.day_period.push((c.months.len() - 1) as u16);
        d = d.tomorrow().unwrap_or(d);
    }
    c
}

impl Builder<'_> {
    /// `[[correlations]]`: pairs of uncertain parameters and their target rank
    /// correlation, gathered into one matrix that must be a valid correlation matrix.
    fn correlations(
        &mut self,
        raw: &RawScenario,
        params: &[crate::model::Param],
    ) -> Option<crate::model::Correlation> {
        let items = list(&raw.correlations);
        if items.is_empty() {
            return None;
        }
        let paths: Vec<String> = params.iter().map(|p| p.path.clone()).collect();
        let mut involved: Vec<usize> = Vec::new();
        let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("correlations[{i}]");
            let span = Some(item.span());
            let c = item.get_ref();
            let mut ends = Vec::new();
            match c.between.as_ref().map(|b| b.get_ref()) {
                Some(b) if b.len() == 2 => {
                    for name in b {
                        let n = name.get_ref();
                        match paths.iter().position(|p| p == n) {
                            Some(k) => ends.push(k),
                            None => {
                                // An event's impact is drawn anew for each event (all
                                // of it but the stand-down probability).
                                let per_event = n.starts_with("hazards[")
                                    && n.contains("].impact.")
                                    && !n.ends_with(".stand_down_probability")
                                    && !n.ends_with("_scale");
                                let hint = if per_event {
                                    "; an impact is drawn anew for each event, not once per trial, so it cannot be correlated".to_string()
                                } else {
                                    crate::scenario::resolve::closest(n, &paths)
                                        .map(|c| format!("; did you mean `{c}`?"))
                                        .unwrap_or_else(|| {
                                            "; only numbers given as distributions can be correlated"
                                                .into()
                                        })
                                };
                                self.err(
                                    &format!("{path}.between"),
                                    Some(name.span()),
                                    format!("`{n}` is not an uncertain parameter of the scenario{hint}"),
                                );
                            }
                        }
                    }
                    if ends.len() == 2 && ends[0] == ends[1] {
                        self.err(&format!("{path}.between"), span.clone(), "names the same parameter twice");
                        ends.clear();
                    }
                }
                Some(_) => self.err(
                    &format!("{path}.between"),
                    span.clone(),
                    "must list exactly two parameter key paths, e.g. [\"hazards[a].rate_per_year\", \"hazards[b].rate_per_year\"]",
                ),
                None => self.missing(&format!("{path}.between")),
            }
            let rank = match c.rank.as_ref() {
                Some(v) => match v
                    .get_ref()
                    .as_float()
                    .or(v.get_ref().as_integer().map(|i| i as f64))
                {
                    Some(r) if r > -1.0 && r < 1.0 => Some(r),
                    _ => {
                        self.err(
                            &format!("{path}.rank"),
                            Some(v.span()),
                            "must be a number above -1 and below 1 (at exactly -1 or 1 the pair would be one parameter)",
                        );
                        None
                    }
                },
                None => {
                    self.missing(&format!("{path}.rank"));
                    None
                }
            };
            // Problems are reported above; the matrix is still checked with the other pairs.
            if let (&[a, b], Some(r)) = (ends.as_slice(), rank) {
                for k in [a, b] {
                    if !involved.contains(&k) {
                        involved.push(k);
                    }
                }
                if pairs
                    .iter()
                    .any(|&(x, y, _)| (x, y) == (a, b) || (x, y) == (b, a))
                {
                    self.err(
                        &format!("{path}.between"),
                        span,
                        "repeats a pair given earlier",
                    );
                } else {
                    pairs.push((a, b, r));
                }
            }
        }
        if involved.is_empty() {
            return None;
        }
        // Model order, so that listing the same pairs in another order changes nothing.
        involved.sort_unstable();
        let n = involved.len();
        let mut matrix = vec![vec![0.0; n]; n];
        for (i, row) in matrix.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let at = |k: usize| involved.iter().position(|&x| x == k).unwrap_or(0);
        let named = |ix: &[usize]| {
            let names: Vec<String> = ix
                .iter()
                .map(|&i| format!("`{}`", paths[involved[i]]))
                .collect();
            match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => names.join(""),
            }
        };
        for &(a, b, r) in &pairs {
            let (i, j) = (at(a), at(b));
            matrix[i][j] = r;
            matrix[j][i] = r;
        }
        if crate::stats::design::cholesky(&matrix).is_none() {
            let span = items.first().map(|i| i.span());
            let names = named(&crate::stats::design::contradiction(&matrix));
            self.err(
                "correlations",
                span,
                format!("together are not a valid correlation matrix: the matrix is not positive definite: the correlations between {names} contradict each other (for example a~b 0.9, b~c 0.9 and a~c -0.9 cannot all hold at once), or two of them are perfectly correlated; weaken or remove some of them"),
            );
            return None;
        }
        // Iman-Conover reaches rank correlation rho through normal scores of Pearson
        // correlation 2 sin(pi rho / 6); those must form a valid matrix too.
        let pearson: Vec<Vec<f64>> = matrix
            .iter()
            .enumerate()
            .map(|(i, row)| {
                row.iter()
                    .enumerate()
                    .map(|(j, &r)| {
                        if i == j {
                            1.0
                        } else {
                            2.0 * (std::f64::consts::PI * r / 6.0).sin()
                        }
                    })
                    .collect()
            })
            .collect();
        if crate::stats::design::cholesky(&pearson).is_none() {
            let span = items.first().map(|i| i.span());
            let names = named(&crate::stats::design::contradiction(&pearson));
            self.err(
                "correlations",
                span,
                format!("between {names} are too close to contradicting each other to be induced: the normal scores that carry them (Pearson correlations 2 sin(pi rank / 6)) are not positive definite; weaken the strongest of them slightly"),
            );
            return None;
        }
        Some(crate::model::Correlation {
            params: involved,
            matrix,
        })
    }
}

/// Whether `c` may stand in an item's name: a letter, a digit, `-` or `_`.
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

#[cfg(test)]
mod tests {
    use crate::model::solve_offspring;

    #[test]
    fn seasonal_factors_keep_the_annual_rate_over_the_days_of_a_year() {
        let text = |seasonal: &str| {
            format!(
                "name = \"n\"\nstart = 2026-01-01\nhorizon = 2026-12-31\n\
                 [[commodities]]\nname = \"ore\"\n\
                 [[sites]]\nname = \"mine\"\nkind = \"mine\"\nregion = \"A\"\ncommodity = \"ore\"\ncapacity_per_day = 10\ninventory_max = 100\n\
                 [[sites]]\nname = \"port\"\nkind = \"port\"\nregion = \"A\"\ncapacity_per_day = 100\ninventory_max = 1000\n\
                 [[routes]]\nname = \"road\"\nfrom = \"mine\"\nto = \"port\"\nregions = [\"A\"]\ncapacity_per_day = 20\ntransit_days = 1\n\
                 [[hazards]]\nname = \"h\"\nkind = \"attack\"\nregions = [\"A\"]\nrate_per_year = 4\n\
                 seasonal = {seasonal}\ntargets = {{ route = 1 }}\n[hazards.impact]\nduration_days = 1\n"
            )
        };
        let days = [
            31.0, 28.25, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
        ];
        for seasonal in [
            "[12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
            "[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
            "[2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
        ] {
            let model = crate::scenario::parse(&text(seasonal), "t").unwrap();
            let f = model.hazards[0].seasonal;
            // The factors times the days of their months add up to a year's days.
            let year: f64 = f.iter().zip(days).map(|(f, d)| f * d).sum();
            assert!((year - 365.25).abs() < 1e-9, "{seasonal}: {year}");
        }
        // All in January: the rate there is 365.25 / 31 times the annual mean.
        let f = crate::scenario::parse(&text("[12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"), "t")
            .unwrap()
            .hazards[0]
            .seasonal;
        assert!((f[0] - 365.25 / 31.0).abs() < 1e-12, "{f:?}");
    }

    #[test]
    fn offspring_solve_the_branching_equation() {
        // One hazard near criticality: each background event brings 1 / (1 - 0.9999).
        let n = solve_offspring(&[vec![0.9999]], &[2.0]);
        assert!((n[0] / 20_000.0 - 1.0).abs() < 1e-9, "{n:?}");
        // n0 = 1 + 0.5 n1 and n1 = 2 + 0.25 n0.
        let n = solve_offspring(&[vec![0.0, 0.5], vec![0.25, 0.0]], &[1.0, 2.0]);
        assert!((n[0] - 2.0 / 0.875).abs() < 1e-12 && (n[1] - (2.0 + 0.5 / 0.875)).abs() < 1e-12);
        assert_eq!(solve_offspring(&[vec![1.0]], &[1.0]), [f64::INFINITY]);
    }

    #[test]
    fn phases_and_hazards_past_their_limits_are_refused() {
        let base = "name = \"n\"\nstart = 2026-01-01\nhorizon = 2027-12-31\n\
                    [[commodities]]\nname = \"ore\"\n\
                    [[sites]]\nname = \"port\"\nkind = \"port\"\nregion = \"A\"\ncapacity_per_day = 100\ninventory_max = 1000\n";
        // One-day phases: the 256th would be read as no phase at all (and the 257th as
        // the first) if it ran. The first hazard refers to the last phase and the last
        // hazard, which are refused for their number alone.
        let phases = |n: usize| {
            (0..n)
                .map(|i| {
                    let day = jiff::civil::date(2026, 1, 1) + jiff::Span::new().days(i as i64);
                    format!("[[phases]]\nname = \"p{i}\"\nstart = {day}\nend = {day}\n")
                })
                .collect::<String>()
        };
        let hazards = |n: usize, phases: usize| {
            (0..n)
                .map(|i| {
                    let refers = if i == 0 {
                        format!(
                            "phase_multipliers = {{ p{} = 2 }}\nexcited_by = [{{ hazard = \"h{}\", jump = 0.1, decay_days = 5 }}]\n",
                            phases - 1,
                            n - 1
                        )
                    } else {
                        String::new()
                    };
                    format!("[[hazards]]\nname = \"h{i}\"\nkind = \"cyber\"\nnational = true\ntargets = {{ port = 1 }}\nrate_per_year = 0.001\n{refers}[hazards.impact]\nduration_days = 1\n")
                })
                .collect::<String>()
        };
        let within = format!("{base}{}{}", phases(255), hazards(1000, 255));
        let within = crate::scenario::parse(&within, "t");
        assert!(within.is_ok(), "{:.2000}", within.unwrap_err().to_string());
        let text = format!("{base}{}{}", phases(256), hazards(1001, 256));
        let refused = crate::scenario::parse(&text, "t").unwrap_err().to_string();
        let line = |key: &str| {
            text.match_indices(key)
                .next()
                .map(|(at, _)| text[..at].lines().count() + 1)
        };
        for want in [
            "t is invalid (2 problems)".to_string(),
            format!(
                "t:{}: phases[255]: a scenario may have at most 255 phases, and this one has 256;",
                line("name = \"p255\"").unwrap() - 1
            ),
            format!(
                "t:{}: hazards[1000]: a scenario may have at most 1000 hazards, and this one has 1001;",
                line("name = \"h1000\"").unwrap() - 1
            ),
        ] {
            assert!(refused.contains(&want), "{want} in {refused:.3000}");
        }
    }

    #[test]
    fn standby_routes_may_close_a_loop_and_primary_ones_may_not() {
        // Two yards, each shipping to the port, backing each other up by standby routes.
        let mut text = String::from(
            "name = \"n\"\nstart = 2026-01-01\nhorizon = 2026-12-31\n\
             [[commodities]]\nname = \"ore\"\n\
             [[sites]]\nname = \"mine\"\nkind = \"mine\"\nregion = \"A\"\ncommodity = \"ore\"\ncapacity_per_day = 10\ninventory_max = 100\n\
             [[sites]]\nname = \"port\"\nkind = \"port\"\nregion = \"A\"\ncapacity_per_day = 100\ninventory_max = 1000\n",
        );
        for y in ["y1", "y2"] {
            text += &format!(
                "[[sites]]\nname = \"{y}\"\nkind = \"stockpile\"\nregion = \"A\"\ncommodity = \"ore\"\ncapacity_per_day = 50\ninventory_max = 500\n"
            );
        }
        let route = |name: &str, from: &str, to: &str, standby: bool| {
            format!(
                "[[routes]]\nname = \"{name}\"\nfrom = \"{from}\"\nto = \"{to}\"\nregions = [\"A\"]\ncapacity_per_day = 20\ntransit_days = 1\nstandby = {standby}\n"
            )
        };
        for (name, from, to) in [
            ("m_y1", "mine", "y1"),
            ("y1_p", "y1", "port"),
            ("y2_p", "y2", "port"),
        ] {
            text += &route(name, from, to, false);
        }
        let backed_up =
            text.clone() + &route("y1_y2", "y1", "y2", true) + &route("y2_y1", "y2", "y1", true);
        crate::scenario::parse(&backed_up, "backed_up").unwrap();
        let looped = text + &route("y1_y2", "y1", "y2", false) + &route("y2_y1", "y2", "y1", true);
        crate::scenario::parse(&looped, "looped").unwrap();
        // Both ways primary: a loop.
        let both = backed_up.replace("standby = true", "standby = false");
        let refused = crate::scenario::parse(&both, "both")
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("is on a loop of primary routes (y1 -> y2 -> y1)"),
            "{refused}"
        );
    }
}
