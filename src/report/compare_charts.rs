//! Charts that compare runs: scenarios on the same axes, a one-parameter sweep, a
//! tornado of the uncertain inputs and the shortfall each hazard causes.
//!
//! Every run behind one of these charts uses the same trials and seed (common random
//! numbers), so the differences between curves come from the scenarios or inputs, not
//! from sampling alone. Drawn with the helpers of [`super::charts`], as PNG and SVG from
//! the same code; values given as fractions are shown in % (or percentage points).

use super::OutDir;
use super::charts::{
    BLUE, COMMISSIONING_EDGE, Chart, DrawResult, FONT, GREY, ORANGE, PALETTE, RED, SIZE,
    category_label, centred_note, date_ticks, day_year, densified, exceedance_curve, frame, legend,
    legend_corner, overrides_label, planned_day, register_font, render, short_tick, sorted_values,
    tick, trials_label, year_fraction, year_of,
};
use crate::engine::outcome::SHORTFALL_FRACTION;
use crate::engine::{Aggregate, Compiled};
use crate::error::{Error, Result};
use crate::stats::{Z_975, quantile};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Most bars drawn in the tornado chart (the inputs with the largest swings).
pub const TORNADO_MAX_BARS: usize = 15;

/// One scenario of a comparison: every scenario is run with the same trials and seed.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// Scenario name, as shown in the legends.
    pub name: &'a str,
    /// The scenario's model and layout.
    pub c: &'a Compiled,
    /// Aggregates of its run.
    pub agg: &'a Aggregate,
}

/// The comparison charts, in report order.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Exceedance,
    Hist,
    Fan,
    Milestones,
}

/// Draws the comparison charts of `series` as PNG and SVG into `out`, in this order:
/// `compare_exceedance`, `compare_hist`, `compare_fan` and `compare_milestones`. Each
/// has every scenario on the same axes, one colour per scenario. `compare_milestones`
/// is left out when no scenario has a plant; nothing is drawn for an empty `series`.
pub fn render_compare(
    series: &[Series],
    (trials, seed): (u64, u64),
    overrides: &[String],
    out: &mut OutDir,
) -> Result<Vec<Chart>> {
    register_font();
    let mut charts = Vec::new();
    if series.is_empty() {
        return Ok(charts);
    }
    let names: Vec<&str> = series.iter().map(|s| s.name).collect();
    // (Names that would not fit on the line are left to the legends.)
    let listed = names.join(" vs ");
    let listed = if listed.chars().count() <= 70 {
        format!("scenarios {listed}")
    } else {
        format!("{} scenarios", names.len())
    };
    // (A chart shared on its own keeps the caveat the console and report give.)
    let period = |s: &Series| (s.c.model.start, s.c.model.horizon);
    let caveat = if series.iter().any(|s| period(s) != period(&series[0])) {
        " · different periods: shortfalls are shares of different totals"
    } else {
        ""
    };
    let sub = format!(
        "{listed}{} · {} each on common random numbers · seed {seed}{caveat}",
        overrides_label(overrides),
        trials_label(trials)
    );
    let any_plant = series
        .iter()
        .any(|s| s.c.model.commissioned().next().is_some() || !s.c.model.prospects.is_empty());
    let list: [(&'static str, &str, Kind); 4] = [
        (
            "compare_exceedance",
            "Probability that the shortfall exceeds x, by scenario",
            Kind::Exceedance,
        ),
        (
            "compare_hist",
            "Shortfall against the disruption-free flow, by scenario",
            Kind::Hist,
        ),
        (
            "compare_fan",
            "Cumulative value shipped from Pakistan's ports to the US, by scenario",
            Kind::Fan,
        ),
        (
            "compare_milestones",
            "Commissioning and first phase-3 mines, by scenario",
            Kind::Milestones,
        ),
    ];
    for (name, title, kind) in list {
        if matches!(kind, Kind::Milestones) && !any_plant {
            continue;
        }
        let svg = render!(out, name, |root| frame(&root, title, &sub)
            .and_then(|area| paint(kind, &area, series)));
        charts.push(Chart {
            name,
            title: title.to_string(),
            svg,
        });
    }
    Ok(charts)
}

fn paint<DB: DrawingBackend>(k: Kind, area: &DrawingArea<DB, Shift>, s: &[Series]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    match k {
        Kind::Exceedance => exceedance(area, s),
        Kind::Hist => hist(area, s),
        Kind::Fan => fan(area, s),
        Kind::Milestones => milestones(area, s),
    }
}

/// The colour of the `j`-th scenario: the palette, then its colours darker, then
/// lighter, so that up to three times its length are told apart.
fn color(j: usize) -> RGBColor {
    let RGBColor(r, g, b) = PALETTE[j % PALETTE.len()];
    let shade = |c: u8, f: f64, towards: f64| (c as f64 + (towards - c as f64) * f).round() as u8;
    match (j / PALETTE.len()) % 3 {
        0 => RGBColor(r, g, b),
        1 => RGBColor(
            shade(r, 0.45, 0.0),
            shade(g, 0.45, 0.0),
            shade(b, 0.45, 0.0),
        ),
        _ => RGBColor(
            shade(r, 0.5, 255.0),
            shade(g, 0.5, 255.0),
            shade(b, 0.5, 255.0),
        ),
    }
}

/// A run's shortfall fractions in %, finite ones only, in increasing order.
fn shortfall_pct(agg: &Aggregate) -> Vec<f64> {
    sorted_values(agg, SHORTFALL_FRACTION)
        .into_iter()
        .filter(|x| x.is_finite())
        .map(|x| x as f64 * 100.0)
        .collect()
}

/// A legend sample for a dashed line.
fn dashed_sample(
    (x, y): (i32, i32),
    style: ShapeStyle,
) -> DashedPathElement<std::vec::IntoIter<(i32, i32)>, i32> {
    DashedPathElement::new(vec![(x, y), (x + 20, y)], 5, 3, style)
}

fn exceedance<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, series: &[Series]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let vals: Vec<Vec<f64>> = series.iter().map(|s| shortfall_pct(s.agg)).collect();
    let lo = vals
        .iter()
        .filter_map(|v| v.first())
        .fold(0.0, |a, &b| b.min(a));
    let hi = vals
        .iter()
        .filter_map(|v| v.last())
        .fold(lo + 1e-3, |a, &b| b.max(a));
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0.0..100.0)?;
    chart
        .configure_mesh()
        .x_desc("Shortfall x: value not delivered, % of the disruption-free deliveries")
        .y_desc("P(shortfall > x), %")
        .y_label_formatter(&tick)
        .x_label_formatter(&tick)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 15))
        .draw()?;
    let grid: Vec<f64> = (0..=300)
        .map(|k| lo + (hi - lo) * k as f64 / 300.0)
        .collect();
    // Per scenario and grid point: x, P(> x), and the 95% band, all in %.
    let curves: Vec<Vec<(f64, f64, f64, f64)>> =
        vals.iter().map(|v| exceedance_curve(v, &grid)).collect();
    for (j, pts) in curves.iter().enumerate() {
        let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
        band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            color(j).mix(0.18).filled(),
        )))?;
    }
    for (j, (s, pts)) in series.iter().zip(&curves).enumerate() {
        let c = color(j);
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                c.stroke_width(2),
            ))?
            .label(s.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
        .label("light bands: 95% Monte Carlo intervals")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], GREY.mix(0.3).filled()));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn hist<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, series: &[Series]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let vals: Vec<Vec<f64>> = series.iter().map(|s| shortfall_pct(s.agg)).collect();
    let mut lo = vals
        .iter()
        .filter_map(|v| v.first())
        .fold(f64::INFINITY, |a, &b| b.min(a));
    let mut hi = vals
        .iter()
        .filter_map(|v| v.last())
        .fold(f64::NEG_INFINITY, |a, &b| b.max(a));
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    let bins = 40;
    let width = ((hi - lo) / bins as f64).max(1e-6);
    let end = lo + width * bins as f64;
    // Share of each scenario's trials per bin, %.
    let shares: Vec<Vec<f64>> = vals
        .iter()
        .map(|v| {
            let mut counts = vec![0u64; bins];
            for &x in v {
                counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
            }
            let n = v.len().max(1) as f64;
            counts.iter().map(|&c| c as f64 / n * 100.0).collect()
        })
        .collect();
    let peak = shares.iter().flatten().fold(1e-3, |a, &b| b.max(a));
    // Head room for the legend, one line per scenario.
    let top = peak * (1.15 + 0.08 * series.len() as f64);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..end, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("Shortfall: value not delivered, % of the disruption-free deliveries")
        .y_desc("Share of the scenario's trials, %")
        .y_label_formatter(&tick)
        .x_label_formatter(&tick)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 15))
        .disable_x_mesh()
        .draw()?;
    let steps: Vec<Vec<(f64, f64)>> = shares
        .iter()
        .map(|s| {
            let mut pts = vec![(lo, 0.0)];
            for (b, &y) in s.iter().enumerate() {
                let x0 = lo + b as f64 * width;
                pts.push((x0, y));
                pts.push((x0 + width, y));
            }
            pts.push((end, 0.0));
            pts
        })
        .collect();
    for (j, pts) in steps.iter().enumerate() {
        chart.draw_series(std::iter::once(Polygon::new(
            pts.clone(),
            color(j).mix(0.12).filled(),
        )))?;
    }
    for (j, ((s, pts), v)) in series.iter().zip(&steps).zip(&vals).enumerate() {
        let c = color(j);
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        chart.draw_series(DashedLineSeries::new(
            vec![(mean, 0.0), (mean, peak * 1.05)],
            8,
            5,
            c.stroke_width(2),
        ))?;
        chart
            .draw_series(LineSeries::new(pts.iter().cloned(), c.stroke_width(2)))?
            .label(format!("{}: mean {mean:.1}% (dashed line)", s.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// One scenario's cumulative deliveries by value, USD million, at each month's end.
struct Fan {
    x: Vec<f64>,
    p10: Vec<f64>,
    p50: Vec<f64>,
    p90: Vec<f64>,
    free: Vec<f64>,
}

fn fan<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, series: &[Series]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let fans: Vec<Fan> = series
        .iter()
        .map(|s| {
            let m = &s.c.model;
            let n = (m.months.len())
                .min(s.agg.cum_delivered.len())
                .min(s.agg.cum_counterfactual.len());
            // Each month period at its end, after nothing delivered at the start.
            let q = |sketches: &[crate::stats::sketch::Sketch], p: f64| -> Vec<f64> {
                std::iter::once(0.0)
                    .chain(sketches[..n].iter().map(|k| k.quantile(p) / 1e6))
                    .collect()
            };
            Fan {
                x: std::iter::once(year_of(m.start))
                    .chain((0..n).map(|k| year_fraction(m, k)))
                    .collect(),
                p10: q(&s.agg.cum_delivered, 0.1),
                p50: q(&s.agg.cum_delivered, 0.5),
                p90: q(&s.agg.cum_delivered, 0.9),
                free: q(&s.agg.cum_counterfactual, 0.5),
            }
        })
        .collect();
    let x0 = series
        .iter()
        .filter_map(|s| s.c.model.months.first())
        .map(|&d| year_of(d))
        .fold(f64::INFINITY, f64::min);
    let x1 = fans
        .iter()
        .filter_map(|f| f.x.last())
        .fold(f64::NEG_INFINITY, |a, &b| b.max(a));
    let (x0, x1) = if x0.is_finite() && x1 > x0 {
        (x0, x1)
    } else {
        (0.0, 1.0)
    };
    let top = fans
        .iter()
        .flat_map(|f| f.p90.iter().chain(&f.free))
        .fold(1.0, |a, &b| b.max(a))
        * 1.08;
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("Date")
        .y_desc("Cumulative value delivered, USD million")
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 15))
        .x_labels(12)
        .x_label_formatter(&date_ticks(x1 - x0))
        .draw()?;
    for (j, f) in fans.iter().enumerate() {
        let mut band: Vec<(f64, f64)> = f.x.iter().cloned().zip(f.p90.iter().cloned()).collect();
        band.extend(f.x.iter().cloned().zip(f.p10.iter().cloned()).rev());
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            color(j).mix(0.15).filled(),
        )))?;
    }
    // Scenarios drawn first are drawn wider, so that a line another scenario repeats
    // (the same disruption-free run, a median a hair apart) still shows beneath it.
    let n = fans.len();
    for (j, f) in fans.iter().enumerate() {
        chart.draw_series(DashedLineSeries::new(
            f.x.iter().cloned().zip(f.free.iter().cloned()),
            8,
            5,
            color(j).mix(0.8).stroke_width((n - j).min(4) as u32),
        ))?;
    }
    for (j, (s, f)) in series.iter().zip(&fans).enumerate() {
        let c = color(j);
        // 3 px for the last, 2 more for each before it, to at most 11.
        let st = c.stroke_width((1 + 2 * (n - j)).min(11) as u32);
        chart
            .draw_series(LineSeries::new(
                f.x.iter().cloned().zip(f.p50.iter().cloned()),
                st,
            ))?
            .label(format!("{}: median, band P10-P90", s.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], st));
    }
    chart
        .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
        .label("dashed lines, in each scenario's colour: disruption-free median")
        .legend(|p| dashed_sample(p, GREY.stroke_width(1)));
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// One commissioning S-curve: points (date, % of trials online), its scenario and the
/// plant's line style.
struct Curve {
    scenario: usize,
    style: usize,
    label: String,
    pts: Vec<(f64, f64)>,
    planned: Option<f64>,
}

fn milestones<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, series: &[Series]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    // Line style by milestone, so a site (or a phase-3 group's first mine) has the same
    // style in every scenario.
    let mut plants: Vec<String> = Vec::new();
    let mut curves = Vec::new();
    for (j, s) in series.iter().enumerate() {
        let m = &s.c.model;
        let l = &s.c.layout;
        // (Milestone, column, planned day.) A group's first mine is undefined in the
        // trials where no prospect proves viable: its curve tops out at the share of
        // trials with one.
        let sites = m.commissioned().enumerate().map(|(p, (site, plant))| {
            (
                plant.name.clone(),
                l.commissioning + p,
                planned_day(s.c, site),
            )
        });
        let groups = (m.prospects.iter().enumerate())
            .map(|(g, pg)| (format!("first mine of {}", pg.name), l.first_mine + g, None));
        for (name, col, planned) in sites.chain(groups).collect::<Vec<_>>() {
            let style = match plants.iter().position(|n| *n == name) {
                Some(k) => k,
                None => {
                    plants.push(name.clone());
                    plants.len() - 1
                }
            };
            let all = s.agg.trials.max(1) as f64;
            let v: Vec<f32> = sorted_values(s.agg, col)
                .into_iter()
                .filter(|x| x.is_finite())
                .collect();
            let share = v.len() as f64 / all * 100.0;
            // At most 1,001 points (every 0.1% of trials), whatever the number of trials.
            let pts = if v.is_empty() {
                Vec::new()
            } else {
                (0..=1000)
                    .map(|k| {
                        let q = k as f64 / 1000.0;
                        (day_year(s.c, quantile(&v, q)), q * share)
                    })
                    .collect()
            };
            curves.push(Curve {
                scenario: j,
                style,
                label: format!("{}: {name}", s.name),
                pts,
                planned: planned.map(|d| day_year(s.c, d)),
            });
        }
    }
    let horizons: Vec<f64> = series
        .iter()
        .map(|s| day_year(s.c, s.c.model.n_days as f64))
        .collect();
    // From the earliest start, or from the earliest date before it that a site was
    // online or planned (a project begun before the start), at most one run's length
    // before it.
    let first = series
        .iter()
        .map(|s| year_of(s.c.model.start))
        .fold(f64::INFINITY, f64::min);
    let floor = series
        .iter()
        .map(|s| day_year(s.c, -(s.c.model.n_days as f64)))
        .fold(f64::INFINITY, f64::min);
    for c in &mut curves {
        for p in &mut c.pts {
            p.0 = p.0.max(floor);
        }
        c.planned = c.planned.filter(|&x| x >= floor);
    }
    let x0 = (curves.iter())
        .flat_map(|c| c.pts.iter().map(|p| p.0).chain(c.planned))
        .fold(first, f64::min);
    // (With a margin before a curve or planned date earlier than the first start.)
    let early = x0 < first;
    // Dates beyond twice the longest run are drawn at that edge.
    let edge = series
        .iter()
        .map(|s| day_year(s.c, COMMISSIONING_EDGE * s.c.model.n_days as f64))
        .fold(f64::NEG_INFINITY, f64::max);
    for c in &mut curves {
        for p in &mut c.pts {
            p.0 = p.0.min(edge);
        }
        c.planned = c.planned.filter(|&x| x <= edge);
    }
    let x1 = curves
        .iter()
        .flat_map(|c| c.pts.iter().map(|p| p.0).chain(c.planned))
        .chain(horizons.iter().cloned())
        .fold(x0 + 1.0 / 12.0, f64::max);
    let x1 = x1 + (x1 - x0) * 0.02;
    let x0 = if early { x0 - (x1 - x0) * 0.02 } else { x0 };
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .margin_right(20)
        .build_cartesian_2d(x0..x1, 0.0..100.0)?;
    chart
        .configure_mesh()
        .x_desc("Date online (past the dashed horizon: delayed only by events before it; at the right edge: later)")
        .y_desc("Share of trials online by then, %")
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 15))
        .x_labels(12)
        .x_label_formatter(&date_ticks(x1 - x0))
        .draw()?;
    let same_horizon = horizons.iter().all(|&h| (h - horizons[0]).abs() < 1e-9);
    for (j, &h) in horizons.iter().enumerate() {
        let c = if same_horizon { GREY } else { color(j) };
        chart.draw_series(DashedLineSeries::new(
            vec![(h, 0.0), (h, 100.0)],
            6,
            4,
            c.stroke_width(1),
        ))?;
        if same_horizon {
            break;
        }
    }
    // A planned date shared by several scenarios is drawn once, in grey.
    for cv in &curves {
        if let Some(x) = cv.planned {
            let sharing = curves
                .iter()
                .filter(|o| o.planned.is_some_and(|y| (y - x).abs() < 1e-9))
                .count();
            let c = if sharing > 1 {
                GREY
            } else {
                color(cv.scenario)
            };
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, 100.0)],
                c.mix(0.6).stroke_width(1),
            )))?;
        }
    }
    // Scenarios drawn first are drawn wider, so that a curve another scenario repeats
    // still shows around it.
    let n = series.len();
    for cv in &curves {
        let c = color(cv.scenario);
        let st = c.stroke_width((2 * (n - cv.scenario) as u32).saturating_sub(1).clamp(2, 7));
        let pts = cv.pts.iter().cloned();
        match cv.style % 3 {
            0 => chart
                .draw_series(LineSeries::new(pts, st))?
                .label(cv.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], st)),
            1 => chart
                .draw_series(DashedLineSeries::new(pts, 10, 6, st))?
                .label(cv.label.clone())
                .legend(move |p| dashed_sample(p, st)),
            _ => chart
                .draw_series(DashedLineSeries::new(pts, 3, 4, st))?
                .label(cv.label.clone())
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 20, y)], 3, 3, st)),
        };
    }
    chart
        .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
        .label("thin line: planned date (median duration)")
        .legend(|(x, y)| {
            PathElement::new(vec![(x + 9, y - 7), (x + 9, y + 7)], GREY.stroke_width(1))
        });
    chart
        .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
        .label(if same_horizon {
            "dashed line: end of the horizon"
        } else {
            "dashed lines: end of each scenario's horizon"
        })
        .legend(|(x, y)| {
            DashedPathElement::new(
                vec![(x + 9, y - 7), (x + 9, y + 7)],
                4,
                3,
                GREY.stroke_width(1),
            )
        });
    // The corner the curves and the planned dates leave most free (as fractions of the
    // plot).
    let frac = |(x, y): (f64, f64)| ((x - x0) / (x1 - x0), y / 100.0);
    let mut drawn: Vec<(f64, f64)> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for cv in &curves {
        let plot: Vec<(f64, f64)> = cv.pts.iter().map(|&p| frac(p)).collect();
        drawn.extend(densified(&plot, 0.005));
        if let Some(x) = cv.planned {
            drawn.extend((0..=50).map(|k| frac((x, 2.0 * k as f64))));
        }
        labels.push(cv.label.clone());
    }
    labels.push("thin line: planned date (median duration)".into());
    labels.push("dashed lines: end of each scenario's horizon".into());
    let corner = legend_corner(chart.plotting_area().dim_in_pixel(), &labels, &drawn);
    legend(&mut chart, corner)
}

/// A key path made readable: `hazards[bla_attacks].rate_per_year` reads
/// `bla_attacks rate_per_year`.
fn readable(path: &str) -> String {
    if let Some(open) = path.find('[')
        && let Some(len) = path[open..].find(']')
    {
        let name = &path[open + 1..open + len];
        let rest = path[open + len + 1..].trim_start_matches('.');
        if rest.is_empty() {
            name.to_string()
        } else {
            format!("{name} {rest}")
        }
    } else {
        path.to_string()
    }
}

/// A number with about three significant digits (k and M for large ones).
fn num(x: f64) -> String {
    let a = x.abs();
    if a >= 1e3 {
        return short_tick(x);
    }
    if a > 0.0 && a < 1e-4 {
        // (Six decimals would show 2.5e-7 as 0.)
        return super::charts::sci(x);
    }
    let decimals = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        (2.0 - a.log10().floor()).min(6.0) as usize
    };
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Width of the label area that fits every label at `size`, at most 45% of the area;
/// labels too long for that lose characters in their middle, replaced by "…".
fn label_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &mut [String],
    size: u32,
) -> std::result::Result<u32, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let style = TextStyle::from((FONT, size).into_font());
    let max = area.dim_in_pixel().0 * 45 / 100 - 22;
    let mut w = 40;
    for l in labels.iter_mut() {
        let mut chars: Vec<char> = l.chars().collect();
        let mut width = area.estimate_text_size(l, &style)?.0;
        while width > max && chars.len() > 12 {
            chars.remove(chars.len() / 2);
            let (head, tail) = chars.split_at(chars.len() / 2);
            *l = format!(
                "{}…{}",
                head.iter().collect::<String>(),
                tail.iter().collect::<String>()
            );
            width = area.estimate_text_size(l, &style)?.0;
        }
        w = w.max(width + 22);
    }
    Ok(w)
}

/// The frame of a chart of one horizontal bar per name (row `k` at `y = k`) over `x`,
/// with room below for a legend of `entries` lines; names too long are shortened.
fn bar_frame<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    names: &mut [String],
    entries: usize,
    x: std::ops::Range<f64>,
    x_desc: &str,
    x_fmt: &dyn Fn(&f64) -> String,
) -> std::result::Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    Box<dyn std::error::Error>,
>
where
    DB::ErrorType: 'static,
{
    let n = names.len();
    let label_w = label_width(area, names, 14)?;
    let extra = legend_rows(area, n, entries);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(label_w)
        .margin_right(20)
        .build_cartesian_2d(x, -0.6 - extra..n.max(1) as f64 - 0.4)?;
    // A gap between each name and the axis (the names are drawn flush against it).
    let padded: Vec<String> = names.iter().map(|n| format!("{n}  ")).collect();
    let name_of = category_label(&padded);
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .y_label_formatter(&name_of)
        .y_labels(n + 2 + extra.ceil() as usize)
        .set_tick_mark_size(LabelAreaPosition::Left, 0)
        .x_label_formatter(x_fmt)
        .disable_y_mesh()
        .draw()?;
    Ok(chart)
}

/// Empty rows to add below `n` bars to make room for a legend of `entries` lines.
fn legend_rows<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, n: usize, entries: usize) -> f64 {
    let h = area.dim_in_pixel().1 as f64 - 65.0;
    let px = entries as f64 * 22.0 + 24.0;
    px * (n.max(1) as f64 + 0.2) / (h - px).max(1.0)
}

/// Style and offset in pixels of a small text beside a point, vertically centred: to
/// its right (`right`) or to its left.
fn note(right: bool) -> (TextStyle<'static>, (i32, i32)) {
    let (h, dx) = if right {
        (HPos::Left, 6)
    } else {
        (HPos::Right, -6)
    };
    let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(h, VPos::Center));
    (style, (dx, 0))
}

/// One point of a sweep of an input: the metric over the trials run at that value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPoint {
    /// The input's value.
    pub value: f64,
    /// Mean of the metric over the trials, as a fraction (0.12 for 12%).
    pub mean: f64,
    /// Standard error of the mean, as a fraction.
    pub se: f64,
    /// 10th percentile of the metric, as a fraction.
    pub p10: f64,
    /// Median of the metric, as a fraction.
    pub p50: f64,
    /// 90th percentile of the metric, as a fraction.
    pub p90: f64,
    /// Paired difference of the mean from that at the first value given (the
    /// reference; 0 there), as a fraction.
    pub diff: f64,
    /// Standard error of `diff` (0 at the reference).
    pub diff_se: f64,
}

/// Draws the chart `sweep` into `out`: the metric against the value of the input `param`
/// (its key path, e.g. `hazards[bla_attacks].rate_per_year`), one run of `trials` trials
/// from `seed` per point. The mean is drawn with 95% error bars (±1.96 standard errors),
/// beside the median and a P10-P90 band. The metric's values are fractions and are drawn
/// in %: `metric_label` is the y axis title and should say so, e.g.
/// "Shortfall, % of the disruption-free deliveries". `scenario` names the scenario in
/// the subtitle (as [`super::charts::scenario_label`] writes it).
pub fn render_sweep(
    scenario: &str,
    param: &str,
    metric_label: &str,
    points: &[SweepPoint],
    trials: u64,
    seed: u64,
    out: &mut OutDir,
) -> Result<Chart> {
    register_font();
    let title = format!("Sweep of {}", readable(param));
    let sub = format!(
        "{scenario} · {} per point on common random numbers · seed {seed}",
        trials_label(trials)
    );
    let svg = render!(out, "sweep", |root| frame(&root, &title, &sub)
        .and_then(|area| sweep(&area, param, metric_label, points)));
    Ok(Chart {
        name: "sweep",
        title,
        svg,
    })
}

fn sweep<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    param: &str,
    metric_label: &str,
    points: &[SweepPoint],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mut pts: Vec<SweepPoint> = points
        .iter()
        .filter(|p| p.value.is_finite())
        .copied()
        .map(|p| SweepPoint {
            value: p.value,
            mean: p.mean * 100.0,
            se: p.se * 100.0,
            p10: p.p10 * 100.0,
            p50: p.p50 * 100.0,
            p90: p.p90 * 100.0,
            diff: p.diff * 100.0,
            diff_se: p.diff_se * 100.0,
        })
        .collect();
    // The reference: the first value given.
    let reference = pts.first().map(|p| p.value);
    pts.sort_by(|a, b| a.value.total_cmp(&b.value));
    let (mut x0, mut x1) = match (pts.first(), pts.last()) {
        (Some(a), Some(b)) => (a.value, b.value),
        _ => (0.0, 1.0),
    };
    let pad = if x1 > x0 {
        (x1 - x0) * 0.05
    } else {
        x0.abs() * 0.1 + 0.5
    };
    (x0, x1) = (x0 - pad, x1 + pad);
    // Below, the paired differences from the reference, which common random numbers
    // measure far more closely than the means' own intervals suggest.
    let (area, lower) = if pts.len() > 1 {
        let (a, b) = area.split_vertically((area.dim_in_pixel().1 as f64 * 0.64) as u32);
        (a, Some(b))
    } else {
        (area.clone(), None)
    };
    let ys = pts
        .iter()
        .flat_map(|p| [p.p10, p.p90, p.mean - Z_975 * p.se, p.mean + Z_975 * p.se])
        .filter(|y| y.is_finite());
    let (lo, hi) = ys.fold((0.0, 1e-3), |(a, b): (f64, f64), y| (a.min(y), b.max(y)));
    // Head room for the legend.
    let top = hi + (hi - lo) * 0.35;
    let bottom = if lo < 0.0 { lo - (hi - lo) * 0.03 } else { 0.0 };
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(if lower.is_some() { 30 } else { 55 })
        .y_label_area_size(80)
        .margin_right(20)
        .build_cartesian_2d(x0..x1, bottom..top)?;
    chart
        .configure_mesh()
        .x_desc(if lower.is_some() { "" } else { param })
        .y_desc(metric_label)
        .y_label_formatter(&tick)
        .x_label_formatter(&|v| num(*v))
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 15))
        .draw()?;
    // One value: the band as a bar, the median as a point (a band and a line of no
    // width would not show).
    let band = if let [p] = &pts[..] {
        let w = (x1 - x0) * 0.02;
        vec![
            (p.value - w, p.p90),
            (p.value + w, p.p90),
            (p.value + w, p.p10),
            (p.value - w, p.p10),
        ]
    } else {
        let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.value, p.p90)).collect();
        band.extend(pts.iter().rev().map(|p| (p.value, p.p10)));
        band
    };
    chart
        .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.15).filled())))?
        .label("P10-P90 of the trials")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.15).filled()));
    let medians = chart.draw_series(
        pts.iter()
            .map(|p| Circle::new((p.value, p.p50), 3, BLUE.filled())),
    )?;
    if pts.len() == 1 {
        medians
            .label("median (P50) of the trials")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
    } else {
        chart
            .draw_series(DashedLineSeries::new(
                pts.iter().map(|p| (p.value, p.p50)),
                8,
                5,
                BLUE.stroke_width(2),
            ))?
            .label("median (P50) of the trials")
            .legend(|p| dashed_sample(p, BLUE.stroke_width(2)));
    }
    chart.draw_series(LineSeries::new(
        pts.iter().map(|p| (p.value, p.mean)),
        RED.stroke_width(2),
    ))?;
    let st = RED.stroke_width(2);
    // No error bar where the standard error is unknown (fewer than two trials).
    let with_se: Vec<&SweepPoint> = pts.iter().filter(|p| p.se.is_finite()).collect();
    chart.draw_series(with_se.iter().map(|p| {
        PathElement::new(
            vec![
                (p.value, p.mean - Z_975 * p.se),
                (p.value, p.mean + Z_975 * p.se),
            ],
            st,
        )
    }))?;
    chart.draw_series(
        with_se
            .iter()
            .flat_map(|p| [-Z_975, Z_975].map(|z| (p.value, p.mean + z * p.se)))
            .map(|at| EmptyElement::at(at) + PathElement::new(vec![(-6, 0), (6, 0)], st)),
    )?;
    chart
        .draw_series(
            pts.iter()
                .map(|p| Circle::new((p.value, p.mean), 5, RED.filled())),
        )?
        .label("mean, with its 95% interval (±1.96 standard errors)")
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (20, 0)], RED.stroke_width(2))
                + Circle::new((10, 0), 4, RED.filled())
        });
    // The legend goes above the lower end of the curves.
    let rising = match (pts.first(), pts.last()) {
        (Some(a), Some(b)) => b.p90 >= a.p90,
        _ => true,
    };
    let pos = if rising {
        SeriesLabelPosition::UpperLeft
    } else {
        SeriesLabelPosition::UpperRight
    };
    legend(&mut chart, pos)?;
    match (lower, reference) {
        (Some(lower), Some(reference)) => {
            sweep_differences(&lower, param, (x0, x1), &pts, reference)
        }
        _ => Ok(()),
    }
}

/// The lower panel of `sweep`: each value's paired difference of the mean from the
/// reference's (in percentage points), with its 95% interval.
fn sweep_differences<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    param: &str,
    (x0, x1): (f64, f64),
    pts: &[SweepPoint],
    reference: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let half = |p: &SweepPoint| {
        if p.diff_se.is_finite() {
            Z_975 * p.diff_se
        } else {
            0.0
        }
    };
    let (lo, hi) = (pts.iter())
        .filter(|p| p.diff.is_finite())
        .fold((0.0, 0.0), |(a, b): (f64, f64), p| {
            (a.min(p.diff - half(p)), b.max(p.diff + half(p)))
        });
    let span = if hi > lo { hi - lo } else { 1e-3 };
    // The legend goes on the side of 0 that the differences leave free.
    let up = hi >= -lo;
    let (below, above) = if up { (0.8, 0.1) } else { (0.1, 0.8) };
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .margin_right(20)
        .margin_top(6)
        .build_cartesian_2d(x0..x1, (lo - span * below)..(hi + span * above))?;
    chart
        .configure_mesh()
        .x_desc(param)
        .y_desc("Change from reference, pp")
        .y_labels(5)
        .y_label_formatter(&tick)
        .x_label_formatter(&|v| num(*v))
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 15))
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(x0, 0.0), (x1, 0.0)],
        BLACK.mix(0.5).stroke_width(1),
    ))?;
    let st = RED.stroke_width(2);
    let others: Vec<&SweepPoint> = (pts.iter())
        .filter(|p| p.value != reference && p.diff.is_finite())
        .collect();
    chart.draw_series(others.iter().map(|p| {
        PathElement::new(
            vec![(p.value, p.diff - half(p)), (p.value, p.diff + half(p))],
            st,
        )
    }))?;
    chart
        .draw_series(
            others
                .iter()
                .map(|p| Circle::new((p.value, p.diff), 4, RED.filled())),
        )?
        .label("paired difference of the mean from the reference, with its 95% interval")
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(10, -6), (10, 6)], RED.stroke_width(2))
                + Circle::new((10, 0), 4, RED.filled())
        });
    chart
        .draw_series(std::iter::once(Circle::new(
            (reference, 0.0),
            5,
            RED.stroke_width(2),
        )))?
        .label(format!(
            "reference: the first value given ({})",
            num(reference)
        ))
        .legend(|(x, y)| Circle::new((x + 10, y), 5, RED.stroke_width(2)));
    let pos = if up {
        SeriesLabelPosition::LowerLeft
    } else {
        SeriesLabelPosition::UpperLeft
    };
    legend(&mut chart, pos)
}

/// One input of a tornado chart: the mean metric with the input at its 10th and at its
/// 90th percentile, every other input at its median.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoBar {
    /// The input's key path, e.g. `hazards[bla_attacks].rate_per_year`.
    pub label: String,
    /// The input's 10th percentile.
    pub low_input: f64,
    /// The input's 90th percentile.
    pub high_input: f64,
    /// Mean shortfall fraction with the input at its 10th percentile (0.12 for 12%).
    pub at_low: f64,
    /// Mean shortfall fraction with the input at its 90th percentile.
    pub at_high: f64,
}

/// Draws the chart `tornado` into `out`: one bar per input (at most
/// [`TORNADO_MAX_BARS`], the largest swing |`at_high` - `at_low`| on top), from `base`,
/// the mean shortfall fraction with every input at its median, to the mean with the
/// input at its 10th and at its 90th percentile. Fractions are drawn in %. `scenario`
/// names the scenario in the subtitle, as for [`render_sweep`].
pub fn render_tornado(
    scenario: &str,
    base: f64,
    bars: &[TornadoBar],
    trials: u64,
    seed: u64,
    out: &mut OutDir,
) -> Result<Chart> {
    register_font();
    let title = "Which uncertain inputs move the shortfall most".to_string();
    let mut sub = format!(
        "{scenario} · {} per run on common random numbers · seed {seed}",
        trials_label(trials)
    );
    if bars.len() > TORNADO_MAX_BARS {
        sub.push_str(&format!(
            " · the {TORNADO_MAX_BARS} largest of {} inputs",
            bars.len()
        ));
    }
    let svg = render!(out, "tornado", |root| frame(&root, &title, &sub)
        .and_then(|area| tornado(&area, base, bars)));
    Ok(Chart {
        name: "tornado",
        title,
        svg,
    })
}

fn tornado<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    base: f64,
    bars: &[TornadoBar],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if bars.is_empty() {
        return centred_note(
            area,
            "No uncertain inputs: every number of this scenario is fixed.",
            "Give numbers as distributions, or vary one with `shortfall sweep`.",
        );
    }
    // (Rounding aside: an input that moves the mean by a billionth is not drawn as one.)
    if (bars.iter()).all(|b| (b.at_low - base).abs() <= 1e-9 && (b.at_high - base).abs() <= 1e-9) {
        return centred_note(
            area,
            &format!(
                "No uncertain input moves the mean shortfall: it is {} at both ends of every one.",
                num(base * 100.0) + "%"
            ),
            "The shortfall does not depend on them here (with no hazards, for one, there is none).",
        );
    }
    let swing = |b: &TornadoBar| (b.at_high - b.at_low).abs();
    let mut rows: Vec<&TornadoBar> = bars.iter().collect();
    rows.sort_by(|a, b| swing(b).total_cmp(&swing(a)));
    rows.truncate(TORNADO_MAX_BARS);
    // The largest at the top: row k sits at y = n - 1 - k.
    rows.reverse();
    let n = rows.len();
    let base = base * 100.0;
    let mut names: Vec<String> = rows
        .iter()
        .map(|b| {
            format!(
                "{}  {} → {}",
                readable(&b.label),
                num(b.low_input),
                num(b.high_input)
            )
        })
        .collect();
    let values = rows
        .iter()
        .flat_map(|b| [b.at_low * 100.0, b.at_high * 100.0]);
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((base, base), |(a, b), v| (a.min(v), b.max(v)));
    let span = (hi - lo).max(1e-3);
    // Room for the value notes at the ends of the bars.
    let (x0, x1) = (lo - span * 0.14, hi + span * 0.14);
    let x_desc = "Mean shortfall, % of the disruption-free deliveries";
    let mut chart = bar_frame(area, &mut names, 3, x0..x1, x_desc, &tick)?;
    // Each bar's extent: both bars on the whole row when they lie on either side of the
    // base; the P10 bar in the upper and the P90 bar in the lower half otherwise.
    let extent = |k: usize, b: &TornadoBar, high: bool| {
        let y = k as f64;
        let same_side = (b.at_low * 100.0 - base) * (b.at_high * 100.0 - base) > 0.0;
        let (y0, y1) = match (same_side, high) {
            (false, _) => (y - 0.36, y + 0.36),
            (true, false) => (y, y + 0.36),
            (true, true) => (y - 0.36, y),
        };
        let v = if high { b.at_high } else { b.at_low } * 100.0;
        (v, (y0 + y1) / 2.0, [(base, y0), (v, y1)])
    };
    let (low_c, high_c) = (BLUE.mix(0.8), ORANGE.mix(0.85));
    chart
        .draw_series(
            rows.iter()
                .enumerate()
                .map(|(k, b)| Rectangle::new(extent(k, b, false).2, low_c.filled())),
        )?
        .label("input at its 10th percentile (first value)")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], low_c.filled()));
    chart
        .draw_series(
            rows.iter()
                .enumerate()
                .map(|(k, b)| Rectangle::new(extent(k, b, true).2, high_c.filled())),
        )?
        .label("input at its 90th percentile (second value)")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], high_c.filled()));
    chart.draw_series(rows.iter().enumerate().flat_map(|(k, b)| {
        [false, true].map(|high| {
            let (v, y, _) = extent(k, b, high);
            let (style, dx) = note(v >= base);
            EmptyElement::at((v, y)) + Text::new(format!("{v:.1}%"), dx, style)
        })
    }))?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(base, -0.6), (base, n.max(1) as f64 - 0.4)],
            BLACK.stroke_width(2),
        )))?
        .label(format!("every input at its median: {base:.1}%"))
        .legend(|(x, y)| {
            PathElement::new(vec![(x + 9, y - 7), (x + 9, y + 7)], BLACK.stroke_width(2))
        });
    // The legend goes in a lower corner, on the side of the base with more room.
    let pos = if base - x0 < x1 - base {
        SeriesLabelPosition::LowerRight
    } else {
        SeriesLabelPosition::LowerLeft
    };
    legend(&mut chart, pos)
}

/// The effect of switching one hazard off: the reduction in the mean shortfall fraction.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardBar {
    /// Hazard name.
    pub hazard: String,
    /// Mean shortfall fraction with every hazard, minus the same with this one off
    /// (0.031 for 3.1 percentage points).
    pub reduction: f64,
    /// Lower end of the reduction's 95% interval, as a fraction.
    pub lo: f64,
    /// Upper end of the reduction's 95% interval, as a fraction.
    pub hi: f64,
}

/// Draws the chart `hazards_off` into `out`: one horizontal bar per hazard, the largest
/// at the top, of the reduction in the mean shortfall when that hazard is switched off,
/// with its 95% interval; fractions are drawn in percentage points. `scenario` names the
/// scenario in the subtitle, as for [`render_sweep`].
pub fn render_hazards_off(
    scenario: &str,
    bars: &[HazardBar],
    trials: u64,
    seed: u64,
    out: &mut OutDir,
) -> Result<Chart> {
    register_font();
    let title = "Shortfall avoided by switching off each hazard".to_string();
    let sub = format!(
        "{scenario} · {} per run on common random numbers · seed {seed}",
        trials_label(trials)
    );
    let svg = render!(out, "hazards_off", |root| frame(&root, &title, &sub)
        .and_then(|area| hazards_off(&area, bars)));
    Ok(Chart {
        name: "hazards_off",
        title,
        svg,
    })
}

fn hazards_off<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, bars: &[HazardBar]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if bars.is_empty() {
        return centred_note(
            area,
            "No hazards: this scenario has no disruptions to switch off.",
            "Add [[hazards]] to see what each costs.",
        );
    }
    let mut rows: Vec<(String, f64, f64, f64)> = bars
        .iter()
        .map(|b| {
            (
                b.hazard.clone(),
                b.reduction * 100.0,
                b.lo * 100.0,
                b.hi * 100.0,
            )
        })
        .collect();
    // The largest at the top: row k sits at y = k, in increasing order.
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = rows.len();
    let (lo, hi) = rows
        .iter()
        .flat_map(|r| [r.1, r.2, r.3])
        .filter(|v| v.is_finite())
        .fold((0.0, 1e-3), |(a, b): (f64, f64), v| (a.min(v), b.max(v)));
    let span = hi - lo;
    // Room for the value notes right of the whiskers.
    let (x0, x1) = (
        if lo < 0.0 { lo - span * 0.04 } else { 0.0 },
        hi + span * 0.16,
    );
    let mut names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let x_desc = "Reduction in the mean shortfall with the hazard off, percentage points";
    let mut chart = bar_frame(area, &mut names, 2, x0..x1, x_desc, &|v| num(*v))?;
    chart
        .draw_series(rows.iter().enumerate().map(|(k, r)| {
            let y = k as f64;
            Rectangle::new([(0.0, y - 0.36), (r.1, y + 0.36)], RED.mix(0.75).filled())
        }))?
        .label("mean reduction")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], RED.mix(0.75).filled()));
    let st = BLACK.stroke_width(2);
    // No whisker where the interval is unknown (fewer than two trials).
    let known = |r: &&(String, f64, f64, f64)| r.2.is_finite() && r.3.is_finite();
    chart.draw_series(
        rows.iter()
            .enumerate()
            .filter(|(_, r)| known(r))
            .flat_map(|(k, r)| {
                [r.2, r.3].map(|x| {
                    EmptyElement::at((x, k as f64)) + PathElement::new(vec![(0, -6), (0, 6)], st)
                })
            }),
    )?;
    chart
        .draw_series(
            rows.iter()
                .enumerate()
                .filter(|(_, r)| known(r))
                .map(|(k, r)| PathElement::new(vec![(r.2, k as f64), (r.3, k as f64)], st)),
        )?
        .label("95% interval")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    if x0 < 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.6), (0.0, n.max(1) as f64 - 0.4)],
            GREY.stroke_width(1),
        )))?;
    }
    chart.draw_series(rows.iter().enumerate().map(|(k, r)| {
        let (style, dx) = note(true);
        let at = (r.3.max(r.1).max(0.0), k as f64);
        // Enough decimals that a small reduction does not read as none.
        let a = r.1.abs();
        let decimals = if a >= 10.0 {
            1
        } else if a >= 0.1 {
            2
        } else {
            3
        };
        EmptyElement::at(at) + Text::new(format!("{:.decimals$} pp", r.1), dx, style)
    }))?;
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;
    use std::path::Path;

    #[test]
    fn sweep_values_are_labelled_distinctly_however_small_or_large() {
        let labels: Vec<String> = [0.0, 2.5e-7, 5e-7, 1e-6].map(num).to_vec();
        assert_eq!(labels, ["0", "2.5e-7", "5e-7", "1e-6"]);
        assert_eq!(num(1e15), "1e15");
        assert_eq!(num(0.25), "0.25");
    }

    fn run(model: crate::model::Model) -> (Compiled, Aggregate) {
        let c = Compiled::new(model);
        let agg = engine::run(&c, 11, 200, |_, _| Ok(()), |_| {}).unwrap();
        (c, agg)
    }

    fn small() -> crate::model::Model {
        crate::scenario::parse(include_str!("../../tests/valid_small.toml"), "t").unwrap()
    }

    /// The texts of `name.svg` in `dir`, after checking that it and `name.png` exist.
    /// With `SHORTFALL_KEEP_CHARTS` set, copies both files there to look at them.
    fn texts(dir: &Path, name: &str) -> String {
        let png = dir.join(format!("{name}.png"));
        assert!(std::fs::metadata(&png).unwrap().len() > 1000, "{name}.png");
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        if let Some(keep) = std::env::var_os("SHORTFALL_KEEP_CHARTS") {
            let keep = Path::new(&keep);
            std::fs::create_dir_all(keep).unwrap();
            std::fs::copy(&png, keep.join(format!("{name}.png"))).unwrap();
            std::fs::write(keep.join(format!("{name}.svg")), &svg).unwrap();
        }
        let doc = roxmltree::Document::parse(&svg).unwrap();
        doc.descendants().filter_map(|n| n.text()).collect()
    }

    #[test]
    fn compare_draws_four_overlays() {
        let (b, b_agg) = run(crate::scenario::baseline());
        // mitigated.toml extends the baseline: resolved from its file.
        let mitigated =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mitigated.toml");
        let (model, _) = crate::scenario::load_with(Some(&mitigated), &[]).unwrap();
        let (m, m_agg) = run(model);
        let (s, s_agg) = run(small());
        let series = [
            Series {
                name: "baseline",
                c: &b,
                agg: &b_agg,
            },
            Series {
                name: "mitigated",
                c: &m,
                agg: &m_agg,
            },
            Series {
                name: "small",
                c: &s,
                agg: &s_agg,
            },
        ];
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutDir::create(tmp.path()).unwrap();
        let charts = render_compare(&series, (200, 11), &[], &mut out).unwrap();
        out.commit().unwrap();
        let names: Vec<&str> = charts.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "compare_exceedance",
                "compare_hist",
                "compare_fan",
                "compare_milestones"
            ]
        );
        for name in &names[..3] {
            let t = texts(tmp.path(), name);
            assert!(
                t.contains("scenarios baseline vs mitigated vs small")
                    && t.contains("200 trials each")
                    && t.contains("seed 11"),
                "{name} subtitle"
            );
            for s in ["baseline", "mitigated", "small"] {
                assert!(t.contains(s), "{name}: {s}");
            }
        }
        let t = texts(tmp.path(), "compare_exceedance");
        assert!(t.contains("light bands: 95% Monte Carlo intervals"));
        let t = texts(tmp.path(), "compare_hist");
        assert!(t.contains("baseline: mean") && t.contains("small: mean"));
        let t = texts(tmp.path(), "compare_fan");
        assert!(t.contains("mitigated: median, band P10-P90"));
        let t = texts(tmp.path(), "compare_milestones");
        assert!(t.contains("baseline: ree_refinery") && t.contains("mitigated: ree_refinery"));
        assert!(t.contains("baseline: first mine of phase3_ree"));
        assert!(!t.contains("small:"), "the small scenario has no plant");
        assert!(t.contains("dashed lines: end of each scenario's horizon"));
    }

    #[test]
    fn compare_without_plants_leaves_out_the_milestones() {
        let (s, agg) = run(small());
        let series = [
            Series {
                name: "a",
                c: &s,
                agg: &agg,
            },
            Series {
                name: "b",
                c: &s,
                agg: &agg,
            },
        ];
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutDir::create(tmp.path()).unwrap();
        let charts = render_compare(&series, (200, 11), &[], &mut out).unwrap();
        out.commit().unwrap();
        assert_eq!(charts.len(), 3);
        assert!(!tmp.path().join("compare_milestones.svg").exists());
        assert!(texts(tmp.path(), "compare_fan").contains("b: median"));
        assert!(
            render_compare(
                &[],
                (200, 11),
                &[],
                &mut OutDir::create(tmp.path()).unwrap()
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn sweep_tornado_and_hazards_off_draw() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutDir::create(tmp.path()).unwrap();
        let points: Vec<SweepPoint> = (0..6)
            .map(|k| {
                let v = 2.0 + 2.5 * k as f64;
                let mean = 0.04 + 0.012 * v;
                SweepPoint {
                    value: v,
                    mean,
                    se: 0.004 + 0.0005 * v,
                    p10: mean * 0.4,
                    p50: mean * 0.85,
                    p90: mean * 1.9,
                    // Paired differences from the first value, 2.
                    diff: 0.012 * (v - 2.0),
                    diff_se: if k == 0 { 0.0 } else { 0.001 },
                }
            })
            .collect();
        let param = "hazards[bla_attacks].rate_per_year";
        let chart = render_sweep(
            "scenario baseline",
            param,
            "Mean shortfall, % of the disruption-free deliveries",
            &points,
            500,
            3,
            &mut out,
        )
        .unwrap();
        assert_eq!(chart.name, "sweep");
        let bars: Vec<TornadoBar> = (0..17)
            .map(|k| {
                let swing = 0.002 * (17 - k) as f64;
                // Some inputs lower the shortfall as they grow, one moves it one way only.
                let sign = if k % 3 == 1 { -1.0 } else { 1.0 };
                let (at_low, at_high) = if k == 4 {
                    (0.12 + 0.4 * swing, 0.12 + swing)
                } else {
                    (0.12 - sign * 0.4 * swing, 0.12 + sign * 0.6 * swing)
                };
                TornadoBar {
                    label: if k == 0 {
                        "hazards[bla_attacks].rate_per_year".into()
                    } else if k == 1 {
                        format!("mitigations[{}].effect", "very_long_name_".repeat(8))
                    } else {
                        format!("hazards[hazard_{k}].impact.duration_days")
                    },
                    low_input: 1.5 * (k + 1) as f64,
                    high_input: 1234.0 * (k + 1) as f64,
                    at_low,
                    at_high,
                }
            })
            .rev()
            .collect();
        let chart = render_tornado("scenario baseline", 0.12, &bars, 500, 3, &mut out).unwrap();
        assert_eq!(chart.name, "tornado");
        let hz = [
            ("bla_attacks", 0.061, 0.05, 0.072),
            ("floods", 0.02, 0.012, 0.028),
            ("cyber", -0.001, -0.004, 0.002),
            ("strikes", 0.008, 0.003, 0.013),
            ("sabotage", 0.0005, 0.0002, 0.0008),
        ]
        .map(|(h, reduction, lo, hi)| HazardBar {
            hazard: h.to_string(),
            reduction,
            lo,
            hi,
        });
        let chart = render_hazards_off("scenario baseline", &hz, 500, 3, &mut out).unwrap();
        assert_eq!(chart.name, "hazards_off");
        out.commit().unwrap();
        let t = texts(tmp.path(), "sweep");
        assert!(t.contains("Sweep of bla_attacks rate_per_year"));
        assert!(t.contains(param) && t.contains("500 trials per point"));
        assert!(t.contains("P10-P90 of the trials") && t.contains("median (P50)"));
        // The paired differences below the means, from the first value.
        assert!(t.contains("Change from reference, pp"), "{t}");
        assert!(t.contains("reference: the first value given (2)"), "{t}");
        let t = texts(tmp.path(), "tornado");
        assert!(t.contains("bla_attacks rate_per_year  1.5 → 1.2k"), "{t}");
        assert!(t.contains("hazard_14 impact.duration_days"));
        assert!(
            t.contains("…") && t.contains("effect  3 → 2.5k"),
            "long labels shortened"
        );
        assert!(!t.contains("hazard_15 "), "at most 15 bars");
        assert!(t.contains("the 15 largest of 17 inputs"));
        assert!(t.contains("input at its 10th percentile") && t.contains("at its median: 12.0%"));
        let t = texts(tmp.path(), "hazards_off");
        for h in ["bla_attacks", "floods", "cyber", "strikes", "95% interval"] {
            assert!(t.contains(h), "hazards_off: {h}");
        }
        assert!(t.contains("6.10 pp") && t.contains("-0.10 pp"));
        // A reduction under 0.1 pp keeps a digit that shows it.
        assert!(t.contains("0.050 pp"), "{t}");
    }

    #[test]
    fn empty_and_flat_charts_say_why_and_one_sweep_value_draws_its_band() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutDir::create(tmp.path()).unwrap();
        render_hazards_off("scenario none", &[], 50, 3, &mut out).unwrap();
        // Inputs that move nothing (no hazards: no shortfall at any value).
        let flat = [0.0, 1.0].map(|x| TornadoBar {
            label: format!("sites[s{x}].capacity_per_day"),
            low_input: 1.0,
            high_input: 2.0,
            at_low: 0.0,
            at_high: 0.0,
        });
        render_tornado("scenario none", 0.0, &flat, 50, 3, &mut out).unwrap();
        let one = SweepPoint {
            value: 5.0,
            mean: 0.1,
            se: 0.004,
            p10: 0.06,
            p50: 0.09,
            p90: 0.14,
            diff: 0.0,
            diff_se: 0.0,
        };
        render_sweep("scenario b", "k", "Shortfall", &[one], 50, 3, &mut out).unwrap();
        out.commit().unwrap();
        let t = texts(tmp.path(), "hazards_off");
        assert!(
            t.contains("No hazards: this scenario has no disruptions to switch off."),
            "{t}"
        );
        let t = texts(tmp.path(), "tornado");
        assert!(
            t.contains(
                "No uncertain input moves the mean shortfall: it is 0% at both ends of every one."
            ),
            "{t}"
        );
        // One value: the band as a bar, the median as a point, both in the legend.
        let svg = std::fs::read_to_string(tmp.path().join("sweep.svg")).unwrap();
        let t = texts(tmp.path(), "sweep");
        assert!(t.contains("P10-P90 of the trials") && t.contains("median (P50)"));
        // No panel of differences for a single value.
        assert!(!t.contains("Change from reference"));
        // The band's polygon has a width (a band of one point had none).
        let band = svg
            .split("<polygon")
            .nth(1)
            .and_then(|p| p.split("points=\"").nth(1))
            .and_then(|p| p.split('"').next())
            .unwrap();
        let xs: Vec<i64> = band
            .split_whitespace()
            .map(|xy| xy.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert!(
            xs.iter().max().unwrap() - xs.iter().min().unwrap() >= 10,
            "{band}"
        );
    }

    #[test]
    fn scenarios_beyond_the_palette_get_colours_of_their_own() {
        let colours: Vec<RGBColor> = (0..3 * PALETTE.len()).map(color).collect();
        for (a, x) in colours.iter().enumerate() {
            for y in &colours[a + 1..] {
                assert_ne!(x, y, "scenario {a}");
            }
        }
    }

    #[test]
    fn key_paths_and_numbers_read_well() {
        assert_eq!(
            readable("hazards[bla_attacks].rate_per_year"),
            "bla_attacks rate_per_year"
        );
        assert_eq!(readable("seed"), "seed");
        assert_eq!(num(6.2), "6.2");
        assert_eq!(num(14.8), "14.8");
        assert_eq!(num(0.35), "0.35");
        assert_eq!(num(150.0), "150");
        assert_eq!(num(1234.0), "1.2k");
        assert_eq!(num(0.0), "0");
    }
}
