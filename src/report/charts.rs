//! Charts of a run, drawn with plotters into PNG and SVG from the same code.
//!
//! Text uses DejaVu Sans from the `dejavu` crate through plotters' `ab_glyph` backend
//! (and, in PNG files, through [`super::png::Png`], which places each glyph where the
//! font puts it), so nothing depends on system font libraries. Every chart carries a title, a subtitle
//! with the scenario's name, trials and seed, axis labels with units and a legend.

use super::OutDir;
use crate::engine::{Aggregate, Compiled};
use crate::error::{Error, Result};
use crate::model::Num;
use crate::stats::{Summary, Z_975, quantile};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

pub(super) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Chart size in pixels (PNG) and user units (SVG).
pub const SIZE: (u32, u32) = (1100, 650);
pub(super) const FONT: &str = "DejaVu Sans, sans-serif";
pub(super) const BLUE: RGBColor = RGBColor(31, 119, 180);
pub(super) const ORANGE: RGBColor = RGBColor(230, 120, 20);
pub(super) const RED: RGBColor = RGBColor(200, 40, 40);
pub(super) const GREEN: RGBColor = RGBColor(44, 150, 60);
pub(super) const GREY: RGBColor = RGBColor(110, 110, 110);
pub(super) const PALETTE: [RGBColor; 8] = [
    BLUE,
    ORANGE,
    GREEN,
    RED,
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// What the charts are drawn from.
pub struct Inputs<'a> {
    /// The model and layout.
    pub c: &'a Compiled,
    /// Aggregates of the run.
    pub agg: &'a Aggregate,
    /// Summary per metric.
    pub sums: &'a [Summary],
    /// Trials run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// The `--set` overrides the scenario was run with.
    pub overrides: &'a [String],
}

/// The scenario's name in a chart's subtitle, with [`overrides_label`].
pub fn scenario_label(name: &str, overrides: &[String]) -> String {
    format!("scenario {name}{}", overrides_label(overrides))
}

/// What follows a scenario's name in a chart's subtitle where it ran with overrides:
/// the one, if short, else how many (each is in the run's files).
pub fn overrides_label(overrides: &[String]) -> String {
    match overrides {
        [] => String::new(),
        [one] if one.chars().count() <= 60 => format!(" with --set {one}"),
        [_] => " with a --set override (in report.html)".to_string(),
        many => format!(" with {} --set overrides (in report.html)", many.len()),
    }
}

/// One chart as drawn: its file stem, title and SVG text.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem (`shortfall_hist`).
    pub name: &'static str,
    /// Title.
    pub title: String,
    /// SVG document.
    pub svg: String,
}

pub(super) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; registration can only fail on corrupt bytes.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The charts, in report order.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Hist,
    Exceedance,
    Fan,
    FanCommodities,
    Milestones,
    Attribution,
    Events,
}

fn paint<DB: DrawingBackend>(k: Kind, area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    match k {
        Kind::Hist => hist(area, i),
        Kind::Exceedance => exceedance(area, i),
        Kind::Fan => fan(area, i),
        Kind::FanCommodities => fan_commodities(area, i),
        Kind::Milestones => milestones(area, i),
        Kind::Attribution => attribution(area, i),
        Kind::Events => events(area, i),
    }
}

/// Draws a chart twice from the same code, `$draw` painting on the root area `$root`:
/// into `NAME.svg` and `NAME.png` in the output folder, each written as a whole file
/// (so that a full disk reads as one, as for the other files). Evaluates to the SVG
/// text.
macro_rules! render {
    ($out:expr, $name:expr, |$root:ident| $draw:expr) => {{
        let name: &str = $name;
        let dir = $out.path().to_path_buf();
        let fail = |file: String| {
            let path = dir.join(file);
            move |e: Box<dyn std::error::Error>| Error::Output {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            }
        };
        let mut svg = String::new();
        {
            let $root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            let drawn: DrawResult = $draw;
            drawn.map_err(fail(format!("{name}.svg")))?;
            $root
                .present()
                .map_err(|e| fail(format!("{name}.svg"))(e.into()))?;
        }
        $out.write(&format!("{name}.svg"), svg.as_bytes())?;
        let mut pixels = $crate::report::png::canvas(SIZE);
        {
            let $root = $crate::report::png::Png::new(&mut pixels, SIZE).into_drawing_area();
            let drawn: DrawResult = $draw;
            drawn.map_err(fail(format!("{name}.png")))?;
            $root
                .present()
                .map_err(|e| fail(format!("{name}.png"))(e.into()))?;
        }
        let png = $crate::report::png::encode(&pixels, SIZE)
            .map_err(|e| fail(format!("{name}.png"))(e.into()))?;
        $out.write(&format!("{name}.png"), &png)?;
        svg
    }};
}
pub(crate) use render;

/// Draws every chart as PNG and SVG into `out` and returns them for the report.
pub fn render_all(inputs: &Inputs, out: &mut OutDir) -> Result<Vec<Chart>> {
    register_font();
    let list: [(&'static str, &str, Kind); 7] = [
        (
            "shortfall_hist",
            "Shortfall against the disruption-free flow",
            Kind::Hist,
        ),
        (
            "exceedance",
            "Probability that the shortfall exceeds x",
            Kind::Exceedance,
        ),
        (
            "deliveries_fan",
            "Cumulative value shipped from Pakistan's ports to the US",
            Kind::Fan,
        ),
        (
            "deliveries_by_commodity",
            "Cumulative quantity shipped, by commodity",
            Kind::FanCommodities,
        ),
        (
            "milestones",
            "Commissioning and producing mines",
            Kind::Milestones,
        ),
        (
            "attribution",
            "Which risks cost the most",
            Kind::Attribution,
        ),
        (
            "events",
            "Disruption events by hazard and year",
            Kind::Events,
        ),
    ];
    let sub = format!(
        "{} · {} · seed {}",
        scenario_label(&inputs.c.model.name, inputs.overrides),
        trials_label(inputs.trials),
        inputs.seed
    );
    let mut charts = Vec::new();
    for (name, title, kind) in list {
        // (An allocation that adds up, not what removing a risk would save.)
        let nc = inputs.c.model.commodities.len();
        let sub = match kind {
            Kind::Attribution => {
                format!("{sub} · each trial's shortfall shared in proportion to what each denied")
            }
            Kind::FanCommodities if nc > MAX_COMMODITY_PANELS => format!(
                "{sub} · the {MAX_COMMODITY_PANELS} of {nc} commodities of the highest disruption-free value (trials.csv has them all)"
            ),
            _ => sub.clone(),
        };
        let svg = render!(out, name, |root| frame(&root, title, &sub)
            .and_then(|area| paint(kind, &area, inputs)));
        charts.push(Chart {
            name,
            title: title.to_string(),
            svg,
        });
    }
    Ok(charts)
}

/// White background, title and subtitle; returns the area below them.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    sub: &str,
) -> std::result::Result<DrawingArea<DB, Shift>, Box<dyn std::error::Error>> {
    let text = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let area = root
        .titled(title, (FONT, 28).into_font().style(FontStyle::Bold))
        .map_err(text)?;
    let mut area = area;
    for line in subtitle_lines(sub) {
        area = area
            .titled(line, (FONT, 17).into_font().color(&GREY))
            .map_err(text)?;
    }
    Ok(area.margin(5, 15, 10, 25))
}

/// A subtitle in one line, or, past 125 characters (a chart's width holds about 140 of
/// them, fewer where they are wide), in two, cut at the ` · ` nearest its middle.
fn subtitle_lines(sub: &str) -> Vec<&str> {
    let n = sub.chars().count();
    if n <= 125 {
        return vec![sub];
    }
    let middle = sub.len() / 2;
    match (sub.match_indices(" · ")).min_by_key(|(at, _)| at.abs_diff(middle)) {
        Some((at, sep)) => vec![&sub[..at], &sub[at + sep.len()..]],
        None => vec![sub],
    }
}

/// Labels of a categorical axis drawn on whole numbers: `names[k]` at `k`, nothing
/// between.
pub(super) fn category_label(names: &[String]) -> impl Fn(&f64) -> String + '_ {
    move |v: &f64| {
        let k = v.round();
        if (v - k).abs() < 0.01 && k >= 0.0 {
            names.get(k as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// An axis label: a whole number without decimals, else as few decimals as the value
/// needs (0.05, 2.5), up to six, so that fine steps of a small range stay distinct.
pub(super) fn tick(v: &f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    if r == 0.0 {
        // (Not "-0".)
        "0".to_string()
    } else {
        format!("{r}")
    }
}

/// "1 trial", "2,000 trials".
pub fn trials_label(n: u64) -> String {
    match n {
        1 => "1 trial".into(),
        _ => format!("{} trials", thousands(n)),
    }
}

/// A whole number with commas between its thousands (1,000,000).
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (k, ch) in s.chars().enumerate() {
        if k > 0 && (s.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The values of column `col`, one per trial, in increasing order.
pub(super) fn sorted_values(agg: &Aggregate, col: usize) -> Vec<f32> {
    let mut v = agg.columns[col].values.clone();
    v.sort_by(f32::total_cmp);
    v
}

/// The legend of a chart's series at `pos`.
pub(super) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .label_font((FONT, 16))
        .draw()?;
    Ok(())
}

fn hist<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let v = sorted_values(i.agg, crate::engine::outcome::SHORTFALL_FRACTION);
    let (mut lo, hi) = (v[0] as f64 * 100.0, v[v.len() - 1] as f64 * 100.0);
    // Values all equal (one trial, or no disruption in any) are drawn in a range of
    // one percentage point around them, whose ticks read as distinct numbers, their
    // bin centred on them (but the axis of shortfalls of 0 or more starts at 0).
    let bins = 40;
    let width = if hi - lo > 1e-9 {
        (hi - lo) / bins as f64
    } else {
        lo = if lo >= 0.0 {
            (lo - 0.5 - 0.5 / bins as f64).max(0.0)
        } else {
            lo - 0.5 - 0.5 / bins as f64
        };
        1.0 / bins as f64
    };
    let mut counts = vec![0u64; bins];
    for &x in &v {
        let b = (((x as f64 * 100.0) - lo) / width) as usize;
        counts[b.min(bins - 1)] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64 * 1.12;
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..lo + width * bins as f64, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("Shortfall: value not delivered, % of the disruption-free deliveries")
        .y_desc("Trials")
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 15))
        .disable_x_mesh()
        .draw()?;
    chart
        .draw_series(counts.iter().enumerate().map(|(b, &n)| {
            let x0 = lo + b as f64 * width;
            Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], BLUE.mix(0.7).filled())
        }))?
        .label("trials per bin")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.7).filled()));
    let s = &i.sums[crate::engine::outcome::SHORTFALL_FRACTION];
    for (name, x, color) in [
        ("mean", s.mean, GREEN),
        ("P50", s.p50, ORANGE),
        ("P90", s.p90, RED),
    ] {
        let x = x * 100.0;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, top)],
                color.stroke_width(3),
            )))?
            .label(format!("{name} {x:.1}%"))
            .legend(move |(a, b)| {
                PathElement::new(vec![(a, b), (a + 20, b)], color.stroke_width(3))
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// P(value > x) at each point x of `grid`, with its 95% Monte Carlo band (Wilson's
/// score interval, as in `exceedance.csv`, which keeps a width in the tail where no
/// trial or every trial exceeds): (x, P, low, high), the probabilities in %. `sorted`
/// holds the values in increasing order.
pub(super) fn exceedance_curve(sorted: &[f64], grid: &[f64]) -> Vec<(f64, f64, f64, f64)> {
    let n = sorted.len() as u64;
    if n == 0 {
        return Vec::new();
    }
    grid.iter()
        .map(|&x| {
            let k = (sorted.len() - sorted.partition_point(|&y| y <= x)) as u64;
            let (lo, hi) = crate::stats::wilson(k, n);
            (x, k as f64 / n as f64 * 100.0, lo * 100.0, hi * 100.0)
        })
        .collect()
}

fn exceedance<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let v = sorted_values(i.agg, crate::engine::outcome::SHORTFALL_FRACTION);
    let pct: Vec<f64> = v.iter().map(|&y| y as f64 * 100.0).collect();
    let hi = pct[pct.len() - 1].max(1e-3);
    let lo = pct[0].min(0.0);
    let grid: Vec<f64> = (0..=300)
        .map(|k| lo + (hi - lo) * k as f64 / 300.0)
        .collect();
    let pts = exceedance_curve(&pct, &grid);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0.0..100.0)?;
    chart
        .configure_mesh()
        .x_desc("Shortfall x: value not delivered, % of the disruption-free deliveries")
        .y_desc("P(shortfall > x), %")
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 15))
        .draw()?;
    let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
    band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            ORANGE.mix(0.45).filled(),
        )))?
        .label("95% Monte Carlo band")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], ORANGE.mix(0.45).filled()));
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            BLUE.stroke_width(2),
        ))?
        .label("exceedance probability")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn fan<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let m = &i.c.model;
    let months = m.months.len();
    let q = |p: f64| -> Vec<f64> {
        i.agg
            .cum_delivered
            .iter()
            .map(|s| s.quantile(p) / 1e6)
            .collect()
    };
    let (p5, p25, p50, p75, p95) = (q(0.05), q(0.25), q(0.5), q(0.75), q(0.95));
    let cf: Vec<f64> = i
        .agg
        .cum_counterfactual
        .iter()
        .map(|s| s.quantile(0.5) / 1e6)
        .collect();
    let top = cf.iter().chain(&p95).cloned().fold(1.0, f64::max) * 1.08;
    // x: calendar time in fractional years, each month period plotted at its end, the
    // last at the horizon's, after nothing delivered at the start.
    let x: Vec<f64> = std::iter::once(year_of(m.start))
        .chain((0..months).map(|k| year_fraction(m, k)))
        .collect();
    let (x0, x1) = (x[0], x[months]);
    let from_zero =
        |v: &[f64]| -> Vec<f64> { std::iter::once(0.0).chain(v.iter().copied()).collect() };
    let (p5, p25, p50, p75, p95, cf) = (
        from_zero(&p5),
        from_zero(&p25),
        from_zero(&p50),
        from_zero(&p75),
        from_zero(&p95),
        from_zero(&cf),
    );
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
    let band = |lo: &[f64], hi: &[f64]| {
        let mut pts: Vec<(f64, f64)> = x.iter().copied().zip(hi.iter().copied()).collect();
        pts.extend(x.iter().copied().zip(lo.iter().copied()).rev());
        pts
    };
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(&p5, &p95),
            BLUE.mix(0.18).filled(),
        )))?
        .label("P5-P95")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.18).filled()));
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(&p25, &p75),
            BLUE.mix(0.38).filled(),
        )))?
        .label("P25-P75")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.38).filled()));
    chart
        .draw_series(LineSeries::new(
            x.iter().copied().zip(p50),
            BLUE.stroke_width(3),
        ))?
        .label("median, with disruptions")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(3)));
    chart
        .draw_series(DashedLineSeries::new(
            x.iter().copied().zip(cf),
            8,
            5,
            GREY.stroke_width(2),
        ))?
        .label("median, disruption-free")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// A date as a fractional calendar year.
pub(super) fn year_of(d: jiff::civil::Date) -> f64 {
    d.year() as f64 + (d.month() as f64 - 1.0 + (d.day() as f64 - 1.0) / 31.0) / 12.0
}

/// A month period's end (the next period's first day, or the day after the horizon) as
/// a fractional calendar year.
pub(super) fn year_fraction(m: &crate::model::Model, k: usize) -> f64 {
    match m.months.get(k + 1) {
        Some(next) => year_of(*next),
        None => horizon_end(m),
    }
}

/// The end of the horizon's day, as a fractional calendar year.
pub(super) fn horizon_end(m: &crate::model::Model) -> f64 {
    match m.horizon.tomorrow() {
        Ok(d) => year_of(d),
        Err(_) => year_of(m.horizon) + 1.0 / 372.0,
    }
}

/// The most commodities `deliveries_by_commodity` draws: more panels would be too small
/// to read.
const MAX_COMMODITY_PANELS: usize = 6;

/// The commodities `deliveries_by_commodity` draws, in the scenario's order: all, or the
/// [`MAX_COMMODITY_PANELS`] of the highest disruption-free value at the horizon (the
/// median quantity times the median value per unit, or the quantity alone for a
/// commodity without a value).
fn shown_commodities(i: &Inputs) -> Vec<usize> {
    let m = &i.c.model;
    let nc = m.commodities.len();
    if nc <= MAX_COMMODITY_PANELS {
        return (0..nc).collect();
    }
    let last = crate::engine::quarter_ends(m).len().saturating_sub(1);
    let worth = |k: usize| {
        let quantity = i.agg.cum_commodity[last * nc + k].1.quantile(0.5);
        let value = match m.commodities[k].value {
            crate::model::Num::Fixed(v) => v,
            crate::model::Num::Param(p) => m.params[p].dist.quantile(0.5),
        };
        quantity * if value > 0.0 { value } else { 1.0 }
    };
    let mut order: Vec<usize> = (0..nc).collect();
    order.sort_by(|&a, &b| worth(b).total_cmp(&worth(a)).then(a.cmp(&b)));
    order.truncate(MAX_COMMODITY_PANELS);
    order.sort_unstable();
    order
}

/// One panel per commodity drawn (see [`shown_commodities`]): cumulative delivered
/// quantity at each quarter's end, median with a P10-P90 band, beside the
/// disruption-free median.
fn fan_commodities<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let m = &i.c.model;
    let nc = m.commodities.len();
    let ends = crate::engine::quarter_ends(m);
    let shown = shown_commodities(i);
    let cols = if shown.len() == 1 { 1 } else { 2 };
    let panels = area.split_evenly((shown.len().div_ceil(cols), cols));
    let mut plan_labelled = false;
    for (&k, panel) in shown.iter().zip(&panels) {
        let com = &m.commodities[k];
        let cell = |q: usize| &i.agg.cum_commodity[q * nc + k];
        let x: Vec<f64> = ends.iter().map(|&p| year_fraction(m, p)).collect();
        let q = |p: f64| -> Vec<f64> { (0..ends.len()).map(|j| cell(j).0.quantile(p)).collect() };
        let (p10, p50, p90) = (q(0.1), q(0.5), q(0.9));
        let cf: Vec<f64> = (0..ends.len()).map(|j| cell(j).1.quantile(0.5)).collect();
        let x0 = year_of(m.start);
        let plan = plan_path(i.c, k, &x, &p50, x0);
        let top = p90
            .iter()
            .chain(&cf)
            .chain(plan.iter().map(|p| &p.1))
            .cloned()
            .fold(1e-9, f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{} ({})", com.name, com.unit), (FONT, 17))
            .margin(6)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x.last().copied().unwrap_or(x0 + 1.0), 0.0..top)?;
        chart
            .configure_mesh()
            .y_desc(format!("cumulative, {}", com.unit))
            .axis_desc_style((FONT, 14))
            .label_style((FONT, 13))
            // At most one faint line between labels: more would shade a small panel.
            .max_light_lines(1)
            .x_labels(8)
            .x_label_formatter(&date_ticks(x.last().map_or(1.0, |l| l - x0)))
            .y_label_formatter(&|v| short_tick(*v))
            .draw()?;
        // From nothing delivered at the start.
        let origin = (x0, 0.0);
        let from_zero = |v: &[f64]| -> Vec<(f64, f64)> {
            std::iter::once(origin)
                .chain(x.iter().copied().zip(v.iter().copied()))
                .collect()
        };
        let (p10, p50, p90, cf) = (
            from_zero(&p10),
            from_zero(&p50),
            from_zero(&p90),
            from_zero(&cf),
        );
        let mut band = p90;
        band.extend(p10.into_iter().rev());
        chart
            .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.25).filled())))?
            .label("P10-P90")
            .legend(|(a, b)| {
                Rectangle::new([(a, b - 6), (a + 18, b + 6)], BLUE.mix(0.25).filled())
            });
        chart
            .draw_series(LineSeries::new(p50, BLUE.stroke_width(3)))?
            .label("median, with disruptions")
            .legend(|(a, b)| PathElement::new(vec![(a, b), (a + 20, b)], BLUE.stroke_width(3)));
        chart
            .draw_series(DashedLineSeries::new(cf, 8, 5, GREY.stroke_width(2)))?
            .label("median, disruption-free")
            .legend(|(a, b)| PathElement::new(vec![(a, b), (a + 20, b)], GREY.stroke_width(2)));
        // One legend, in the first panel, and in the first panel with a plan if that
        // is another one, for the plan's line.
        let label_plan = k == 0 || !plan_labelled;
        if let Some((&first, rest)) = plan.split_first() {
            let line =
                chart.draw_series(LineSeries::new(plan.iter().copied(), RED.stroke_width(2)))?;
            if label_plan {
                line.label(format!(
                    "plan: yearly targets from {}",
                    date_label_year(first.0)
                ))
                .legend(|(a, b)| PathElement::new(vec![(a, b), (a + 20, b)], RED.stroke_width(2)));
            }
            chart.draw_series(
                rest.iter()
                    .map(|&(x, y)| Cross::new((x, y), 6, RED.stroke_width(2))),
            )?;
        }
        if k == 0 || (!plan.is_empty() && !plan_labelled) {
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        }
        plan_labelled |= !plan.is_empty();
    }
    Ok(())
}

/// Scientific notation with up to three significant figures (2.5e-7, 1e15).
pub(super) fn sci(v: f64) -> String {
    let s = format!("{v:.2e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if mantissa.contains('.') => {
            let m = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{m}e{exp}")
        }
        _ => s,
    }
}

/// Compact axis labels for quantities (k for thousands, M for millions, G for
/// billions, scientific notation beyond).
pub(super) fn short_tick(v: f64) -> String {
    let a = v.abs();
    let unit = |x: f64, suffix: &str| {
        if (x - x.round()).abs() < 1e-9 {
            format!("{x:.0}{suffix}")
        } else {
            format!("{x:.1}{suffix}")
        }
    };
    if a >= 1e12 {
        // (1e15 as 1000000000M would crowd the axis.)
        sci(v)
    } else if a >= 1e9 {
        unit(v / 1e9, "G")
    } else if a >= 1e6 {
        unit(v / 1e6, "M")
    } else if a >= 1e3 {
        unit(v / 1e3, "k")
    } else {
        unit(v, "")
    }
}

/// The plan of commodity `k` as a path to compare with its cumulative deliveries: from
/// the median delivered by the start of its first planned year (0 when the run starts
/// within or after that start), up by each year's target (at its median) to the year's
/// end, so that the plan is read against what was delivered in the planned years only.
/// `x` are the panel's quarter ends as fractional years, `median` the median cumulative
/// delivery at each. Years that end after the run are left out; the path is empty
/// without targets for `k`, or without a planned year that ends within the run.
fn plan_path(c: &Compiled, k: usize, x: &[f64], median: &[f64], x0: f64) -> Vec<(f64, f64)> {
    let m = &c.model;
    let targets: Vec<(f64, f64)> = m
        .plan
        .iter()
        .filter(|p| p.commodity == k)
        .map(|p| (p.year as f64, median_of(c, p.quantity)))
        .collect();
    let (Some(first), Some(last)) = (
        targets.iter().map(|t| t.0).reduce(f64::min),
        targets.iter().map(|t| t.0).reduce(f64::max),
    ) else {
        return Vec::new();
    };
    let end = x.last().copied().unwrap_or(x0);
    if first + 1.0 <= x0 || first >= end {
        return Vec::new();
    }
    let anchor = if first <= x0 {
        (x0, 0.0)
    } else {
        // Quarter ends fall on the first of a month, so a year's start is one of them.
        match x.iter().position(|&q| (q - first).abs() < 1e-9) {
            Some(j) => (first, median[j]),
            None => return Vec::new(),
        }
    };
    let mut path = vec![anchor];
    let mut total = anchor.1;
    let mut year = first;
    while year <= last && year + 1.0 <= end + 1e-9 {
        total += targets
            .iter()
            .filter(|t| t.0 == year)
            .map(|t| t.1)
            .sum::<f64>();
        path.push((year + 1.0, total));
        year += 1.0;
    }
    // Without a planned year that ends within the run, there is nothing to draw.
    if path.len() < 2 {
        path.clear();
    }
    path
}

/// A fractional year that starts a year, as that year.
fn date_label_year(x: f64) -> String {
    format!("{:.0}", x.floor())
}

/// The median of a number: itself when fixed, its distribution's median when drawn.
fn median_of(c: &Compiled, n: Num) -> f64 {
    match n {
        Num::Fixed(v) => v,
        Num::Param(k) => {
            let v = c.param_inverses[k].at(0.5);
            if c.model.params[k].integer {
                v.round()
            } else {
                v
            }
        }
    }
}

fn milestones<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let m = &i.c.model;
    let l = &i.c.layout;
    let (left, right) = area.split_horizontally((area.dim_in_pixel().0 as f64 * 0.62) as u32);
    let horizon = m.n_days as f64;
    // Each milestone: its label, its days in the trials that define it, the share of
    // trials that do (a phase-3 group whose prospects all fail has no first mine), and
    // the planned day.
    struct Milestone {
        label: String,
        days: Vec<f32>,
        share: f64,
        planned: Option<f64>,
    }
    let trials = i.agg.trials.max(1) as f64;
    let plants = m
        .commissioned()
        .enumerate()
        .map(|(j, (site, plant))| Milestone {
            label: plant.name.clone(),
            days: sorted_values(i.agg, l.commissioning + j),
            share: 1.0,
            planned: planned_day(i.c, site),
        });
    let groups = m.prospects.iter().enumerate().map(|(g, pg)| {
        let days = sorted_values(i.agg, l.first_mine + g);
        Milestone {
            label: format!("first mine of {}", pg.name),
            share: days.len() as f64 / trials,
            days,
            planned: None,
        }
    });
    let curves: Vec<Milestone> = plants.chain(groups).collect();
    // Dates beyond twice the run's length are drawn at that edge.
    let x_max = curves
        .iter()
        .filter_map(|c| c.days.last().map(|&x| x as f64))
        .fold(horizon, f64::max)
        .min(COMMISSIONING_EDGE * horizon);
    // From the start, or from the earliest date before it that a site was online or
    // planned (a project begun before the start), at most one run's length before it.
    let x_min = (curves.iter())
        .flat_map(|c| {
            c.days
                .first()
                .map(|&x| x as f64)
                .into_iter()
                .chain(c.planned)
        })
        .fold(0.0, f64::min)
        .max(-horizon);
    // (With a margin, as on the right, for a curve at that date not to lie on the axis.)
    let x_min = if x_min < 0.0 {
        x_min - (x_max - x_min) * 0.02
    } else {
        0.0
    };
    // Calendar time in fractional years, so that ticks fall on years.
    let at = |day: f64| day_year(i.c, day);
    let caption = if m.prospects.is_empty() {
        "Commissioning date (S-curve)"
    } else {
        "Commissioning and first phase-3 mines (S-curves)"
    };
    let mut chart = ChartBuilder::on(&left)
        .caption(caption, (FONT, 19))
        .x_label_area_size(55)
        .y_label_area_size(80)
        .margin_right(20)
        .build_cartesian_2d(at(x_min)..at(x_max * 1.02), 0.0..100.0)?;
    let date_label = |x: &f64| match super::date_after(m.start, x.floor()) {
        Some(d) => format!("{}-{:02}", d.year(), d.month()),
        None => "after 9999".to_string(),
    };
    chart
        .configure_mesh()
        .x_desc("Date online (past the dashed horizon: delayed only by events before it; at the right edge: later)")
        .y_desc("Share of trials online by then, %")
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .x_labels(8)
        .x_label_formatter(&date_ticks(at(x_max * 1.02) - at(x_min)))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        vec![(at(horizon), 0.0), (at(horizon), 100.0)],
        6,
        4,
        GREY.stroke_width(1),
    ))?;
    // Where the curves and the planned days pass, for the legend to keep clear of (as
    // fractions of the plot).
    let (x0, x1) = (at(x_min), at(x_max * 1.02));
    let mut drawn: Vec<(f64, f64)> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for (j, c) in curves.iter().enumerate() {
        if c.days.is_empty() {
            continue;
        }
        let color = PALETTE[j % PALETTE.len()];
        // At most 1,001 points (every 0.1% of trials), whatever the number of trials; a
        // curve whose milestone some trials never reach tops out at the share that do.
        let pts: Vec<(f64, f64)> = (0..=1000)
            .map(|k| {
                let p = k as f64 / 1000.0;
                (
                    at(quantile(&c.days, p).clamp(x_min, x_max)),
                    p * c.share * 100.0,
                )
            })
            .collect();
        let plot: Vec<(f64, f64)> = (pts.iter())
            .map(|&(x, y)| ((x - x0) / (x1 - x0), y / 100.0))
            .collect();
        drawn.extend(densified(&plot, 0.005));
        labels.push(c.label.clone());
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(3)))?
            .label(c.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        if let Some(planned) = c.planned.filter(|&d| (x_min..=x_max).contains(&d)) {
            let x = (at(planned) - x0) / (x1 - x0);
            drawn.extend((0..=50).map(|k| (x, k as f64 / 50.0)));
            let label = format!("{} planned ({})", c.label, date_label(&planned));
            labels.push(label.clone());
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(at(planned), 0.0), (at(planned), 100.0)],
                    color.mix(0.8).stroke_width(2),
                )))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x + 9, y - 7), (x + 9, y + 7)], color.stroke_width(2))
                });
        }
    }
    let corner = legend_corner(chart.plotting_area().dim_in_pixel(), &labels, &drawn);
    legend(&mut chart, corner)?;
    // Producing mines at the horizon.
    let v = sorted_values(i.agg, l.mines);
    let max = v.last().copied().unwrap_or(0.0) as usize;
    let mut counts = vec![0u64; max + 1];
    for &x in &v {
        counts[(x as usize).min(max)] += 1;
    }
    let n = v.len() as f64;
    let top = counts
        .iter()
        .map(|&c| c as f64 / n * 100.0)
        .fold(1.0, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&right)
        .caption("Mines producing at the horizon", (FONT, 19))
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d((0..max as i32 + 1).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("Producing mines")
        .y_desc("Share of trials, %")
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .disable_x_mesh()
        .draw()?;
    chart
        .draw_series(counts.iter().enumerate().map(|(k, &c)| {
            let k = k as i32;
            Rectangle::new(
                [
                    (SegmentValue::Exact(k), 0.0),
                    (SegmentValue::Exact(k + 1), c as f64 / n * 100.0),
                ],
                GREEN.mix(0.7).filled(),
            )
        }))?
        .label("share of trials")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], GREEN.mix(0.7).filled()));
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// The corner where a legend of `labels` (drawn by [`legend`]) covers the fewest of the
/// points `drawn` (as fractions of a plot `w_px` by `h_px` pixels from its lower left).
/// Its size: a row of about 20 pixels per entry, and about 7.5 pixels per character of
/// the longest label beside its mark (as measured on the charts drawn).
pub(super) fn legend_corner(
    (w_px, h_px): (u32, u32),
    labels: &[String],
    drawn: &[(f64, f64)],
) -> SeriesLabelPosition {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let size = (
        (45.0 + 7.5 * longest as f64) / w_px.max(1) as f64,
        (12.0 + 20.0 * labels.len() as f64) / h_px.max(1) as f64,
    );
    free_corner(drawn, size)
}

/// The points of a path with more points put in along every segment longer than
/// `step`, so that counting points finds where the path passes.
pub(super) fn densified(path: &[(f64, f64)], step: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(path.len());
    for w in path.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let n = ((x1 - x0).hypot(y1 - y0) / step).ceil().max(1.0) as usize;
        out.extend((0..n).map(|k| {
            let f = k as f64 / n as f64;
            (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
        }));
    }
    out.extend(path.last());
    out
}

/// The corner for a legend `size` large (width and height, as fractions of the plot)
/// that covers the fewest of `points` (each as fractions of the plot from its lower
/// left): the first, in a fixed order of preference, of those that cover the fewest.
pub(super) fn free_corner(points: &[(f64, f64)], size: (f64, f64)) -> SeriesLabelPosition {
    use SeriesLabelPosition::*;
    let (w, h) = size;
    let spans = |at: u8, len: f64| match at {
        0 => (0.0, len),
        1 => (0.5 - len / 2.0, 0.5 + len / 2.0),
        _ => (1.0 - len, 1.0),
    };
    // (Position, column 0-2 from the left, row 0-2 from the bottom.)
    let corners = [
        (LowerRight, 2, 0),
        (UpperLeft, 0, 2),
        (UpperMiddle, 1, 2),
        (MiddleRight, 2, 1),
        (UpperRight, 2, 2),
        (LowerMiddle, 1, 0),
        (MiddleLeft, 0, 1),
        (LowerLeft, 0, 0),
    ];
    let covered = |col: u8, row: u8| {
        let ((x0, x1), (y0, y1)) = (spans(col, w), spans(row, h));
        (points.iter())
            .filter(|&&(x, y)| x0 <= x && x <= x1 && y0 <= y && y <= y1)
            .count()
    };
    let counts: Vec<usize> = corners.iter().map(|&(_, c, r)| covered(c, r)).collect();
    let least = counts.iter().copied().min().unwrap_or(0);
    let k = counts.iter().position(|&n| n == least).unwrap_or(0);
    corners.into_iter().nth(k).map_or(LowerRight, |c| c.0)
}

/// A day of the run (from its start) as a fractional calendar year.
pub(super) fn day_year(c: &Compiled, day: f64) -> f64 {
    year_of(c.model.start) + day / 365.2425
}

/// A tick on an axis of fractional years: the year on a year's start, else year-month.
fn year_tick(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        format!("{:.0}", x.round())
    } else {
        let y = x.floor();
        let m = (((x - y) * 12.0).floor() as i64 + 1).clamp(1, 12);
        format!("{y:.0}-{m:02}")
    }
}

/// The tick labels of a date axis `span` years wide: [`year_tick`]'s, or under two
/// months (a horizon of days, on an axis of one month), the day, so that the ticks
/// within one month do not all read the same.
pub(super) fn date_ticks(span: f64) -> impl Fn(&f64) -> String {
    move |x: &f64| {
        if span >= 2.0 / 12.0 {
            return year_tick(x);
        }
        // The inverse of `year_of`: months of 31 parts.
        let y = x.floor();
        let months = (x - y) * 12.0 + 1e-9;
        let m = (months.floor() as i64).clamp(0, 11);
        let d = (((months - m as f64) * 31.0).floor() as i64).clamp(0, 30);
        format!("{y:.0}-{:02}-{:02}", m + 1, d + 1)
    }
}

/// The latest commissioning day the milestones charts show, in run lengths from the start;
/// later ones (a project that takes centuries) are drawn at that edge.
pub(super) const COMMISSIONING_EDGE: f64 = 2.0;

/// The planned online day of a site: its project's start plus the median duration.
pub(super) fn planned_day(c: &Compiled, site: usize) -> Option<f64> {
    let m = &c.model;
    match m.sites[site].online {
        crate::model::Online::Project(p) => {
            let pr = &m.projects[p];
            let d = median_of(c, pr.duration);
            Some(pr.start_day as f64 + d)
        }
        crate::model::Online::Day(d) => Some(d as f64),
        crate::model::Online::Prospects(_) => None,
    }
}

fn attribution<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let l = &i.c.layout;
    // No trial lost anything (every rate 0, or no event that cut a flow): two empty
    // panels would look like a chart that failed.
    let lost = |j: usize| i.sums[j].mean != 0.0 || i.sums[j].se != 0.0;
    let n_t = i.c.model.n_targets();
    if !(0..3).any(|k| lost(l.lost_kind + k)) && !(0..n_t).any(|t| lost(l.lost_at + t)) {
        return centred_note(
            area,
            "No value was lost to disruptions in any trial",
            "every trial delivered what its disruption-free run did: nothing to attribute",
        );
    }
    let (left, right) = area.split_horizontally((area.dim_in_pixel().0 as f64 * 0.42) as u32);
    let kinds: Vec<(String, f64, f64)> = (0..3)
        .map(|k| {
            let s = &i.sums[l.lost_kind + k];
            (
                crate::model::HazardKind::ALL[k].as_str().to_string(),
                s.mean / 1e6,
                s.se / 1e6,
            )
        })
        .collect();
    bars(&left, "Lost value by hazard kind", &kinds, RED)?;
    let mut targets: Vec<(String, f64, f64)> = (0..n_t)
        .map(|t| {
            let s = &i.sums[l.lost_at + t];
            (
                i.c.model.target_name(t).to_string(),
                s.mean / 1e6,
                s.se / 1e6,
            )
        })
        .filter(|t| t.1 != 0.0)
        .collect();
    // The largest losses; or, where every site and route gains (a negative mean: the
    // disruptions raised the value delivered), the largest gains.
    let gains = targets.iter().all(|t| t.1 < 0.0);
    targets.retain(|t| gains || t.1 > 0.0);
    targets.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    targets.truncate(10);
    bars(
        &right,
        if gains && !targets.is_empty() {
            "Sites and routes that gain the most (top 10)"
        } else {
            "Sites and routes that lose the most (top 10)"
        },
        &targets,
        ORANGE,
    )
}

/// Two lines of text in the middle of an empty chart, saying why it is empty.
pub(super) fn centred_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    what: &str,
    hint: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let (w, h) = area.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Center);
    area.draw(&Text::new(
        what.to_string(),
        (w as i32 / 2, h as i32 / 2 - 18),
        (FONT, 20).into_font().color(&BLACK).pos(centre),
    ))?;
    area.draw(&Text::new(
        hint.to_string(),
        (w as i32 / 2, h as i32 / 2 + 14),
        (FONT, 18).into_font().color(&GREY).pos(centre),
    ))?;
    Ok(())
}

/// The axis range `(bottom, top)` of `bars`, widened where the bars under the legend
/// (about 260 by 60 pixels, in a plot of `plot` pixels) would reach into it: for losses
/// the legend sits at the bottom right, over the first bars (the smallest); for gains
/// at the top left, over the last (the smallest in size). `low` is a bar's lower end.
fn room_for_legend(
    items: &[(String, f64, f64)],
    plot: (f64, f64),
    gains: bool,
    (mut bottom, mut top): (f64, f64),
    low: impl Fn(&(String, f64, f64)) -> f64,
) -> (f64, f64) {
    let n = items.len().max(1) as f64;
    let free = (1.0 - 260.0 / plot.0).max(0.2);
    let covered = ((60.0 / (plot.1 / n)).ceil() as usize).min(items.len());
    if gains {
        let reach = items
            .iter()
            .rev()
            .take(covered)
            .map(low)
            .fold(0.0, f64::min);
        if reach < top - free * (top - bottom) {
            bottom = top - (top - reach) / free;
        }
    } else {
        let reach = (items.iter().take(covered))
            .map(|x| x.1 + Z_975 * x.2)
            .fold(0.0, f64::max);
        if reach > bottom + free * (top - bottom) {
            top = bottom + (reach - bottom) / free;
        }
    }
    (bottom, top)
}

/// Horizontal bars of means with 95% error bars (±1.96 standard errors, `Z_975`), the largest
/// at the top.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    items: &[(String, f64, f64)],
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mut items = items.to_vec();
    // A mean of one trial has no standard error: its bar has no interval (rather than
    // an axis that leaves it out).
    for x in &mut items {
        if !x.2.is_finite() {
            x.2 = 0.0;
        }
    }
    items.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = items.len().max(1);
    let top = items.iter().map(|x| x.1 + Z_975 * x.2).fold(1e-3, f64::max) * 1.1;
    // Negative means (gains) draw to the left of zero; the interval of a loss (a
    // positive mean) is drawn from zero at the least, where its axis starts.
    let low = |x: &(String, f64, f64)| {
        let lo = x.1 - Z_975 * x.2;
        if x.1 < 0.0 { lo } else { lo.max(0.0) }
    };
    let bottom = items.iter().map(low).fold(0.0, f64::min) * 1.1;
    let names: Vec<String> = items.iter().map(|x| x.0.clone()).collect();
    let label_w = names.iter().map(|s| s.len()).max().unwrap_or(6) as u32 * 9 + 20;
    // The legend goes where the bars are short: at the bottom right for losses (the
    // largest at the top), at the top left for gains (the largest, most negative, at the
    // bottom). Where the bars under it are long too, the axis is widened so that they
    // end before it (about 250 by 55 pixels).
    let gains = items.iter().any(|x| x.1 < 0.0) && items.iter().all(|x| x.1 <= 0.0);
    let (w, h) = area.dim_in_pixel();
    let plot = (
        (w as f64 - label_w.min(260) as f64 - 40.0).max(1.0),
        (h as f64 - 100.0).max(1.0),
    );
    let (bottom, top) = room_for_legend(&items, plot, gains, (bottom, top), low);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 19))
        .x_label_area_size(55)
        .y_label_area_size(label_w.min(260))
        .margin_right(25)
        .build_cartesian_2d(bottom..top, -0.6..n as f64 - 0.4)?;
    let name_of = category_label(&names);
    chart
        .configure_mesh()
        .x_desc(if bottom < 0.0 {
            "Mean lost value per trial, USD million (below 0: a gain)"
        } else {
            "Mean lost value per trial, USD million"
        })
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 14))
        .x_label_formatter(&tick)
        .y_label_formatter(&name_of)
        .y_labels(n + 1)
        .disable_y_mesh()
        .draw()?;
    chart
        .draw_series(items.iter().enumerate().map(|(k, x)| {
            let k = k as f64;
            Rectangle::new(
                [(x.1.min(0.0), k - 0.36), (x.1.max(0.0), k + 0.36)],
                color.mix(0.75).filled(),
            )
        }))?
        .label("mean")
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.mix(0.75).filled())
        });
    chart
        .draw_series(items.iter().enumerate().map(|(k, x)| {
            let k = k as f64;
            PathElement::new(
                vec![(low(x), k), (x.1 + Z_975 * x.2, k)],
                BLACK.stroke_width(2),
            )
        }))?
        .label("95% interval of the mean")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    legend(
        &mut chart,
        if gains {
            SeriesLabelPosition::UpperLeft
        } else {
            SeriesLabelPosition::LowerRight
        },
    )
}

/// One panel per hazard, each on its own scale (a hazard of one event a year beside one
/// of thirty would lie flat on a shared axis): the mean events per calendar year with
/// the P10-P90 band.
fn events<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, i: &Inputs) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let m = &i.c.model;
    let ny = m.years.len();
    let cell = |h: usize, y: usize| &i.agg.events_yearly[h * ny + y];
    let x0 = m.years[0] as f64 - 0.5;
    let x1 = m.years[ny - 1] as f64 + 0.5;
    // Each year's point; a horizon within one year is drawn across most of it, as a
    // line through one point would not show.
    let points: Vec<(f64, usize)> = if ny == 1 {
        let year = m.years[0] as f64;
        vec![(year - 0.3, 0), (year + 0.3, 0)]
    } else {
        (0..ny).map(|y| (m.years[y] as f64, y)).collect()
    };
    // A partial year at its annual rate, so that it reads beside the full years instead
    // of as a fall or a surge.
    let rate = super::annual_rate_factors(m);
    let n = m.hazards.len();
    let cols = match n {
        0..=3 => n.max(1),
        4 => 2,
        5..=9 => 3,
        _ => 4,
    };
    let (top_area, bottom) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(28));
    let panels = top_area.split_evenly((n.div_ceil(cols), cols));
    // Every n-th year labelled, so that labels do not crowd a narrow panel: counted
    // back from the last year over a short horizon, with a line each year; over a long
    // one (past 15 years), on years divisible by a round step, with a line on each,
    // so that a 75-year horizon reads 2030, 2040, ... instead of every 13th year under
    // 75 lines. (The steps are those plotters puts lines on, 1, 2 and 5 times a power of
    // ten, and it is asked for as many lines as there can be multiples of the step, so
    // that it takes that step and not a finer one.)
    let most = match cols {
        1 | 2 => 10,
        3 => 6,
        _ => 4,
    };
    let long = ny > 15;
    let every = if long {
        [2, 5, 10, 20, 50, 100, 200, 500, 1000]
            .into_iter()
            .find(|step| ny / step < most)
            .unwrap_or(1000)
    } else {
        ny.div_ceil(most)
    };
    for (h, panel) in panels.iter().enumerate().take(n) {
        let hz = &m.hazards[h];
        let color = PALETTE[h % PALETTE.len()];
        let p10: Vec<f64> = (0..ny)
            .map(|y| rate[y] * cell(h, y).1.quantile(0.1))
            .collect();
        let p90: Vec<f64> = (0..ny)
            .map(|y| rate[y] * cell(h, y).1.quantile(0.9))
            .collect();
        let mean: Vec<f64> = (0..ny).map(|y| rate[y] * cell(h, y).0.mean).collect();
        let top = (0..ny)
            .filter(|&y| rate[y] <= 4.0)
            .map(|y| p90[y])
            .chain(mean.iter().copied())
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.1;
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{} ({})", hz.name, hz.kind.as_str()), (FONT, 16))
            .margin(6)
            .x_label_area_size(24)
            .y_label_area_size(44)
            .build_cartesian_2d(x0..x1, 0.0..top)?;
        chart
            .configure_mesh()
            .y_label_formatter(&|v| short_tick(*v))
            .label_style((FONT, 12))
            .light_line_style(WHITE)
            .x_labels(if long { ny / every + 1 } else { ny })
            .y_labels(5)
            .x_label_formatter(&|x| {
                let year = x.round() as i64;
                // Counted back from the last year, which is always labelled; or on the
                // round years.
                let k = (m.years[ny - 1] as i64 - year).max(0) as usize;
                let labelled = if long {
                    (x - x.round()).abs() < 1e-9 && year.rem_euclid(every as i64) == 0
                } else {
                    k.is_multiple_of(every)
                };
                if labelled {
                    format!("{year}")
                } else {
                    String::new()
                }
            })
            .draw()?;
        // The band leaves out a year that covers under a quarter of itself: the spread
        // of a few weeks' count, scaled up to a year, would read as a surge.
        let banded: Vec<(f64, usize)> = (points.iter())
            .filter(|&&(_, y)| rate[y] <= 4.0)
            .copied()
            .collect();
        let mut band: Vec<(f64, f64)> = banded.iter().map(|&(x, y)| (x, p90[y])).collect();
        band.extend(banded.iter().rev().map(|&(x, y)| (x, p10[y])));
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.2).filled())))?;
        chart.draw_series(LineSeries::new(
            points.iter().map(|&(x, y)| (x, mean[y])),
            color.stroke_width(3),
        ))?;
        // A hollow point marks a partial year's rate.
        chart.draw_series(
            (points.iter())
                .filter(|&&(_, y)| rate[y] != 1.0 && ny > 1)
                .map(|&(x, y)| Circle::new((x, mean[y]), 5, WHITE.filled()))
                .chain(
                    (points.iter())
                        .filter(|&&(_, y)| rate[y] != 1.0 && ny > 1)
                        .map(|&(x, y)| Circle::new((x, mean[y]), 5, color.stroke_width(2))),
                ),
        )?;
    }
    let note = match super::partial_years(m) {
        Some(which) => format!(
            "Events per calendar year: mean and P10-P90 band, each hazard on its own scale; {which}: at an annual rate{}",
            match (ny > 1, rate.iter().any(|&r| r > 4.0)) {
                (true, true) => " (hollow point; no band under a quarter year)",
                (true, false) => " (hollow point)",
                (false, true) => " (no band under a quarter year)",
                (false, false) => "",
            }
        ),
        None => "Events per calendar year: mean and P10-P90 band, each hazard on its own scale"
            .to_string(),
    };
    footer(&bottom, note)
}

/// A grey line of explanation centred at the top of the strip `bottom` under a chart's
/// panels.
fn footer<DB: DrawingBackend>(bottom: &DrawingArea<DB, Shift>, text: String) -> DrawResult
where
    DB::ErrorType: 'static,
{
    bottom.draw(&Text::new(
        text,
        (bottom.dim_in_pixel().0 as i32 / 2, 6),
        (FONT, 15)
            .into_font()
            .color(&GREY)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Top,
            )),
    ))?;
    Ok(())
}

/// The calibration chart `monthly_counts`: observed events per month for the largest
/// series, each in its own panel beside the monthly count its fitted model expects.
pub fn calibration_chart(
    cal: &crate::calibrate::Calibration,
    source: &str,
    out: &mut OutDir,
) -> Result<()> {
    register_font();
    render!(out, "monthly_counts", |root| draw_calibration(
        &root, cal, source
    ));
    Ok(())
}

/// The series of a calibration that its chart shows: the four with the most events
/// (ties in the order of `rates.csv`), none without events in the window.
pub fn charted_series(cal: &crate::calibrate::Calibration) -> Vec<&crate::calibrate::Series> {
    let mut series: Vec<&crate::calibrate::Series> = (cal.series.iter())
        .filter(|x| !x.times.is_empty())
        .collect();
    series.sort_by_key(|x| std::cmp::Reverse(x.times.len()));
    series.truncate(4);
    series
}

/// A panel's caption: the series, its events and the model its line shows.
pub fn calibration_caption(x: &crate::calibrate::Series) -> String {
    let model = match x.preferred() {
        crate::calibrate::Preferred::Hawkes(_) => "self-exciting fit",
        crate::calibrate::Preferred::Trend(_) => "fit with a trend",
        crate::calibrate::Preferred::Poisson => "Poisson fit",
    };
    let n = x.times.len();
    let events = if n == 1 { "event" } else { "events" };
    format!(
        "{} {}: {} {events}, {model}",
        x.region,
        x.kind.as_str(),
        thousands(n as u64)
    )
}

fn draw_calibration<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cal: &crate::calibrate::Calibration,
    source: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let area = root.titled(
        "Events per month and the fitted models",
        (FONT, 28).into_font().style(FontStyle::Bold),
    )?;
    let series = charted_series(cal);
    // The series left out: those without events in the window, and past four, those
    // with the fewest.
    let with_events = (cal.series.iter()).filter(|x| !x.times.is_empty()).count();
    let total = cal.series.len();
    let shown = if with_events > series.len() {
        format!(
            " · {} of the {with_events} series that have events in the window, those with the most (all {total} in rates.csv)",
            series.len()
        )
    } else if total > series.len() {
        let which = match series.len() {
            1 => format!("the one series of the {total} that has"),
            n => format!("the {n} of the {total} series that have"),
        };
        format!(" · {which} events in the window (all in rates.csv)")
    } else {
        String::new()
    };
    let sub = format!("{source} · {} to {}{shown}", cal.from, cal.to);
    let area = area.titled(&sub, (FONT, 17).into_font().color(&GREY))?;
    let area = area.margin(0, 10, 10, 10);
    let (top_area, bottom) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(28));
    // One panel a series, each on its own scale: a series of a few events a year
    // would lie flat beside one of hundreds, and lines of counts drawn over each other
    // hide one another where series share a month.
    // Panels stacked, as wide as the chart, but four in two rows of two.
    let n = series.len().max(1);
    let cols = if n == 4 { 2 } else { 1 };
    let panels = top_area.split_evenly((n.div_ceil(cols), cols));
    let months = cal.months.len().max(1);
    // On an axis of years (the month `k` from `x0 + k / 12` to `x0 + (k + 1) / 12`),
    // whose ticks fall on whole years, or on months where the window is short.
    let first = cal.months[0];
    let x0 = f64::from(first.year()) + f64::from(first.month() - 1) / 12.0;
    let at = |k: usize| x0 + k as f64 / 12.0;
    for (j, (x, panel)) in series.iter().zip(panels.iter()).enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let expected = crate::calibrate::expected_monthly(cal, x);
        let top = (x.monthly.iter().chain(&expected))
            .copied()
            .fold(1.0, f64::max)
            * 1.12;
        let mut chart = ChartBuilder::on(panel)
            .caption(calibration_caption(x), (FONT, 16))
            .margin(6)
            .x_label_area_size(if n > 1 { 26 } else { 40 })
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x0 + months as f64 / 12.0, 0.0..top)?;
        chart
            .configure_mesh()
            .y_label_formatter(&tick)
            .label_style((FONT, 13))
            .light_line_style(WHITE)
            .x_label_formatter(&year_tick)
            .x_labels(if cols > 1 { 6 } else { 10 })
            // Whole numbers of events where the counts are few (one label a count).
            .y_labels((top as usize + 1).min(if n > 1 { 4 } else { 6 }))
            .draw()?;
        // A month's events as a bar across the month: counts are whole numbers, and a
        // line from one month's count to the next would draw events between months.
        chart.draw_series(
            (x.monthly.iter().enumerate())
                .filter(|&(_, &c)| c > 0.0)
                .map(|(k, &c)| {
                    Rectangle::new([(at(k), 0.0), (at(k + 1), c)], color.mix(0.55).filled())
                }),
        )?;
        // The model's expectation as a step a month, in black over the bars.
        let steps = expected
            .iter()
            .enumerate()
            .flat_map(|(k, &e)| [(at(k), e), (at(k + 1), e)]);
        chart.draw_series(LineSeries::new(steps, BLACK.stroke_width(2)))?;
    }
    footer(
        &bottom,
        "Bars: events in the month · black line: events the preferred model expects (a self-exciting fit's, given the events before each moment)".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_subtitle_is_cut_in_two_at_the_separator_nearest_its_middle() {
        let short = "scenario b · 10 trials · seed 1";
        assert_eq!(subtitle_lines(short), [short]);
        let long = format!(
            "{} · {} · {}",
            "a".repeat(60),
            "b".repeat(50),
            "c".repeat(40)
        );
        assert_eq!(
            subtitle_lines(&long),
            [
                "a".repeat(60),
                format!("{} · {}", "b".repeat(50), "c".repeat(40))
            ]
        );
        let unbroken = "x".repeat(150);
        let longest = format!("{} · {}", "a".repeat(61), "b".repeat(61));
        assert_eq!(subtitle_lines(&longest), [longest.as_str()]);
        assert_eq!(subtitle_lines(&unbroken), [unbroken.as_str()]);
    }

    #[test]
    fn a_subtitle_names_the_overrides_or_counts_them() {
        let one = ["seed=7".to_string()];
        assert_eq!(scenario_label("b", &[]), "scenario b");
        assert_eq!(scenario_label("b", &one), "scenario b with --set seed=7");
        let long = ["x".repeat(61)];
        assert_eq!(
            scenario_label("b", &long),
            "scenario b with a --set override (in report.html)"
        );
        assert_eq!(
            scenario_label("b", &[one[0].clone(), one[0].clone()]),
            "scenario b with 2 --set overrides (in report.html)"
        );
        assert_eq!(trials_label(1), "1 trial");
        assert_eq!(trials_label(2000), "2,000 trials");
    }

    #[test]
    fn long_bars_under_the_legend_widen_the_axis_and_short_ones_do_not() {
        let bar = |mean: f64| (String::new(), mean, 0.0);
        let low = |x: &(String, f64, f64)| x.1;
        // Ten equal losses (sorted, smallest first): the two under the legend would reach
        // its left edge at 1 - 260/500 of the axis, so the axis grows to put them there.
        let equal: Vec<_> = (0..10).map(|_| bar(1.0)).collect();
        let (b, t) = room_for_legend(&equal, (500.0, 480.0), false, (0.0, 1.1), low);
        assert_eq!(b, 0.0);
        assert!((t - 1.0 / 0.48).abs() < 1e-12, "{t}");
        // The baseline's shape: small bars at the bottom leave the axis alone.
        let mut rising: Vec<_> = (1..=10).map(|k| bar(k as f64)).collect();
        assert_eq!(
            room_for_legend(&rising, (500.0, 480.0), false, (0.0, 11.0), low),
            (0.0, 11.0)
        );
        // Gains: the legend at the top left, over the last bars (the smallest gains).
        rising.iter_mut().for_each(|x| x.1 = -x.1 / 10.0 - 1.0);
        rising.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (b, t) = room_for_legend(&rising, (500.0, 480.0), true, (-2.2, 0.0), low);
        assert_eq!(t, 0.0);
        assert!(b < -2.2, "{b}");
    }

    #[test]
    fn axis_labels_stay_short_at_any_size() {
        assert_eq!(short_tick(1e15), "1e15");
        assert_eq!(short_tick(2.5e14), "2.5e14");
        assert_eq!(short_tick(3e9), "3G");
        assert_eq!(short_tick(1.5e6), "1.5M");
        assert_eq!(short_tick(2000.0), "2k");
        assert_eq!(sci(1e-6 / 4.0), "2.5e-7");
        assert_eq!(sci(-1.234e-9), "-1.23e-9");
    }

    #[test]
    fn a_legend_goes_to_the_corner_its_curves_leave_free() {
        let size = (0.4, 0.2);
        // An S-curve done early leaves the lower right free; one that starts late, the
        // upper left.
        let early: Vec<(f64, f64)> = (0..=100)
            .map(|k| (0.3 * k as f64 / 100.0, k as f64 / 100.0))
            .collect();
        assert_eq!(format!("{:?}", free_corner(&early, size)), "LowerRight");
        let late: Vec<(f64, f64)> = early.iter().map(|&(x, y)| (x + 0.7, y)).collect();
        assert_eq!(format!("{:?}", free_corner(&late, size)), "UpperLeft");
        // Both: between them at the top (which only the early curve's last point
        // touches).
        let both: Vec<(f64, f64)> = early.iter().chain(&late).copied().collect();
        let spot = free_corner(&both, size);
        assert!(matches!(spot, SeriesLabelPosition::UpperMiddle), "{spot:?}");
        // Everywhere covered: the one that covers the fewest points.
        let grid: Vec<(f64, f64)> = (0..=20)
            .flat_map(|i| (0..=20).map(move |j| (i as f64 / 20.0, j as f64 / 20.0)))
            .chain([(0.9, 0.1)])
            .collect();
        assert_eq!(format!("{:?}", free_corner(&grid, size)), "UpperLeft");
        // A long flat stretch between two points still counts where it passes.
        let flat = densified(&[(0.0, 0.9), (1.0, 0.9)], 0.005);
        assert!(flat.len() > 200 && flat.iter().all(|p| p.1 == 0.9));
        assert_eq!(flat.last(), Some(&(1.0, 0.9)));
    }

    #[test]
    fn the_plan_path_starts_from_the_median_delivered_by_its_first_year() {
        let c = Compiled::new(crate::scenario::baseline());
        let m = &c.model;
        let copper = m
            .commodities
            .iter()
            .position(|x| x.name == "copper_concentrate");
        let oxide = m.commodities.iter().position(|x| x.name == "ree_oxide");
        let (copper, oxide) = (copper.unwrap(), oxide.unwrap());
        let x: Vec<f64> = crate::engine::quarter_ends(m)
            .iter()
            .map(|&p| year_fraction(m, p))
            .collect();
        // A made-up median: 100 a quarter.
        let median: Vec<f64> = (1..=x.len()).map(|q| q as f64 * 100.0).collect();
        let x0 = year_of(m.start);
        let start_2026 = x.iter().position(|&q| q == 2026.0).unwrap();
        // The baseline plans 20,000 t of copper concentrate in 2026.
        assert_eq!(
            plan_path(&c, copper, &x, &median, x0),
            [
                (2026.0, median[start_2026]),
                (2027.0, median[start_2026] + 20_000.0)
            ]
        );
        assert!(
            plan_path(&c, oxide, &x, &median, x0).is_empty(),
            "no target"
        );
        // A run that ends before 2026 does: the 2026 target is left out, no lone point.
        let short: Vec<f64> = x.iter().copied().filter(|&q| q <= 2026.5).collect();
        assert!(plan_path(&c, copper, &short, &median, x0).is_empty());
    }

    #[test]
    fn ticks_keep_the_decimals_a_step_needs() {
        let labels: Vec<String> = [0.0, 0.05, 0.1, 0.15000000000000002, 2.5, 20.0, -0.0, 1e-12]
            .iter()
            .map(tick)
            .collect();
        assert_eq!(labels, ["0", "0.05", "0.1", "0.15", "2.5", "20", "0", "0"]);
    }

    #[test]
    fn year_ticks_read_as_years_or_months() {
        assert_eq!(year_tick(&2028.0), "2028");
        assert_eq!(year_tick(&2028.5), "2028-07");
        // On an axis of under two months, the day: every day of a month reads as itself.
        let day = date_ticks(1.0 / 12.0);
        for d in 1..=31 {
            let x = year_of(jiff::civil::date(2026, 3, d));
            assert_eq!(day(&x), format!("2026-03-{d:02}"));
        }
        assert_eq!(date_ticks(0.5)(&2028.5), "2028-07");
    }

    #[test]
    fn the_last_month_period_ends_with_the_horizon() {
        // A horizon within a month: its last period is drawn to the horizon's end, not
        // to the end of the month.
        let text = crate::scenario::BASELINE_TOML
            .replace("horizon = \"2032-12-31\"", "horizon = \"2032-12-10\"");
        let m = crate::scenario::parse(&text, "test").unwrap();
        let last = m.months.len() - 1;
        assert_eq!(
            year_fraction(&m, last),
            year_of(jiff::civil::date(2032, 12, 11))
        );
        assert_eq!(
            year_fraction(&m, last - 1),
            year_of(jiff::civil::date(2032, 12, 1))
        );
        let base = crate::scenario::baseline();
        let end = year_fraction(&base, base.months.len() - 1);
        assert_eq!(end, 2033.0);
    }
}
