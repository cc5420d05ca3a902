//! `report.html`: one self-contained page per run (charts inline as SVG, no scripts, no
//! external files), readable offline in any browser.

use super::charts::Chart;
use super::files::{Manifest, short, short_se};
use crate::engine::{Aggregate, Compiled};
use crate::stats::Summary;
use std::fmt::Write;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2em auto;max-width:1150px;color:#222;line-height:1.4}\
h1{font-size:1.7em;margin-bottom:0.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}\
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}\
figure svg{max-width:100%;height:auto;border:1px solid #eee}.note{color:#555;font-size:0.9em}.se{color:#777;display:block;font-size:0.85em}\
#drivers td:nth-child(2),#hazards td:nth-child(2),#differences td:nth-child(2){text-align:left}";

/// The summary table: every metric, each statistic with its standard error where it
/// has one.
pub fn summary_table(c: &Compiled, sums: &[Summary]) -> String {
    let mut s = String::from(
        "<table id=\"summary\">\n<tr><th>metric</th><th>unit</th><th>mean</th><th>P5</th><th>P10</th><th>P50</th><th>P90</th><th>P95</th><th>CVaR95</th></tr>\n",
    );
    // A value, and its standard error in grey where it is known.
    let cell = |x: f64, se: f64| {
        if x.is_nan() || se.is_nan() {
            format!("<td>{}</td>", short(x))
        } else {
            format!(
                "<td>{}<span class=\"se\"> ± {}</span></td>",
                short(x),
                short_se(se)
            )
        }
    };
    for (col, x) in c.layout.columns.iter().zip(sums) {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td>{}{}{}{}{}{}{}</tr>",
            escape(&col.name),
            escape(&col.unit),
            cell(x.mean, x.se),
            cell(x.p5, x.p5_se),
            cell(x.p10, x.p10_se),
            cell(x.p50, x.p50_se),
            cell(x.p90, x.p90_se),
            cell(x.p95, x.p95_se),
            cell(x.cvar95, x.cvar95_se),
        );
    }
    s + "</table>\n"
}

/// The per-year table of deliveries and shortfalls.
pub fn yearly_table(c: &Compiled, agg: &Aggregate) -> String {
    let m = &c.model;
    let nc = m.commodities.len();
    let mut s = String::from(
        "<table id=\"yearly\">\n<tr><th>year</th><th>commodity</th><th>unit</th><th>delivered mean</th><th>P10</th><th>P50</th><th>P90</th><th>shortfall mean</th><th>P10</th><th>P50</th><th>P90</th></tr>\n",
    );
    for (y, year) in m.years.iter().enumerate() {
        for (k, com) in m.commodities.iter().enumerate() {
            let (dm, ds) = &agg.delivered[y * nc + k];
            let (sm, ss) = &agg.shortfall[y * nc + k];
            let _ = writeln!(
                s,
                "<tr><td>{year}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&com.name),
                escape(&com.unit),
                short(dm.mean),
                short(ds.quantile(0.1)),
                short(ds.quantile(0.5)),
                short(ds.quantile(0.9)),
                short(sm.mean),
                short(ss.quantile(0.1)),
                short(ss.quantile(0.5)),
                short(ss.quantile(0.9))
            );
        }
    }
    s + "</table>\n"
}

/// A whole self-contained page around `body` (which starts after `<body>`).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// A chart as a titled figure.
pub fn figure(ch: &Chart) -> String {
    format!(
        "<h2>{}</h2>\n<figure id=\"{}\">\n{}\n</figure>\n",
        escape(&ch.title),
        ch.name,
        scalable(&ch.svg)
    )
}

/// A table from a header and rows of cells (escaped here).
pub fn table(id: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("<table id=\"{id}\">\n<tr>");
    for h in header {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s += "</tr>\n";
    for r in rows {
        s += "<tr>";
        for c in r {
            let _ = write!(s, "<td>{}</td>", escape(c));
        }
        s += "</tr>\n";
    }
    s + "</table>\n"
}

/// Makes a plotters SVG scale with the page.
fn scalable(svg: &str) -> String {
    let (w, h) = super::charts::SIZE;
    svg.replacen("<svg ", &format!("<svg viewBox=\"0 0 {w} {h}\" "), 1)
}

/// Notes on the rows of the summary table that a reader could misread, for those the
/// scenario has.
fn reading_notes(c: &Compiled, sums: &[Summary]) -> String {
    let m = &c.model;
    let has = |prefix: &str| {
        c.layout
            .columns
            .iter()
            .any(|col| col.name.starts_with(prefix))
    };
    let mut notes = Vec::new();
    // (Where some commodity's fraction is negative in at least 5% of the trials.)
    let below_zero = (c.layout.columns.iter().zip(sums))
        .any(|(col, x)| col.name.starts_with("shortfall_fraction.") && x.p5 < 0.0);
    if m.plants().next().is_some() && below_zero {
        notes.push(
            "A commodity's shortfall fraction can be negative: when disruptions delay a plant, the input it would have processed is exported as it is, so more of the input and less of the output leaves the port.".to_string(),
        );
    }
    let total = c.layout.columns.iter().zip(sums);
    if let Some((_, x)) = total
        .clone()
        .find(|(col, _)| col.name == "shortfall_value")
        .filter(|(_, x)| x.p5 < 0.0 || x.mean < 0.0)
    {
        notes.push(format!(
            "The total shortfall is negative in {} of the trials: there the disruptions raised the value delivered above the disruption-free run's, and the losses by hazard kind and by site or route that share it are negative too (a gain). It happens when an outage of a plant sends its input out unprocessed and the input is worth more than the output it would have made, or when flows held back reach a plant that would otherwise have exported them raw.",
            if x.p50 < 0.0 {
                "most"
            } else if x.p5 < 0.0 {
                "at least 5%"
            } else {
                "some (under 5%, but enough to make the mean negative)"
            }
        ));
    }
    notes.extend(super::files::day_notes(c, sums));
    if has("survive_days.") {
        notes.push("survive_days.P: the days of shipments port P's stock would cover were every road to it cut, averaged over the run; ports that ship what arrives each day hold almost nothing, so it is near 0.".to_string());
    }
    if has("lost_at.") {
        notes.push("lost_at rows keep only a mean and its standard error (their percentiles are not kept, to save memory).".to_string());
    }
    if !m.plan.is_empty() {
        notes.push("Plan targets are the scenario's own [[plan]] entries: the memorandum itself gives no tonnages.".to_string());
    }
    if notes.is_empty() {
        return String::new();
    }
    let items: String = notes
        .iter()
        .map(|n| format!("<li>{}</li>", escape(n)))
        .collect();
    format!("<ul class=\"note\">{items}</ul>\n")
}

/// The whole page.
pub fn report(
    c: &Compiled,
    agg: &Aggregate,
    sums: &[Summary],
    exceed: &[(usize, f64, crate::stats::Exceedance)],
    charts: &[Chart],
    manifest: &Manifest,
) -> String {
    let m = &c.model;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>shortfall: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>Disruption risk to the minerals programme: scenario {name}</h1>\n<p>{desc}</p>\n<p class=\"note\">{trials}, seed {seed}, from {start} to {horizon}. Shortfall is measured against the same trial with every hazard switched off. A quantity counts as delivered when it leaves a Pakistani port; values are in USD at the scenario's fixed prices, undiscounted. Every mean, percentile and CVaR95 carries its Monte Carlo standard error (in grey below it: ± one standard error; the percentiles' and the CVaR95's by batch means over 20 batches, once each batch is large enough, but for the percentiles of whole-number metrics such as event counts, by the bootstrap); CVaR95 is the mean of the worst 5% of trials. The losses by hazard kind (<code>lost.*</code>) and by site or route (<code>lost_at.*</code>) share each trial's shortfall in proportion to what each denied: an allocation that adds up, not what removing a hazard would save (<code>shortfall sensitivity</code> measures that).</p>\n",
        name = escape(&m.name),
        desc = escape(&m.description),
        trials = super::charts::trials_label(manifest.trials),
        seed = manifest.seed,
        start = m.start,
        horizon = m.horizon,
    );
    if !manifest.overrides.is_empty() {
        let sets: Vec<String> = (manifest.overrides.iter())
            .map(|o| format!("<code>--set {}</code>", escape(o)))
            .collect();
        let _ = writeln!(
            s,
            "<p class=\"note\"><b>Not the scenario file as written:</b> run with {}.</p>",
            sets.join(", ")
        );
    }
    if let Some(conv) = &manifest.convergence {
        let _ = writeln!(
            s,
            "<p class=\"note\"><b>{}</b></p>",
            escape(&conv.describe())
        );
    }
    s += "<h2>Summary</h2>\n";
    s += &summary_table(c, sums);
    if let Some(note) = super::files::undefined_note(c, agg) {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", escape(&note));
    }
    if let Some(note) = super::files::nothing_flows_note(c, agg) {
        let _ = writeln!(s, "<p class=\"note\"><b>{}</b></p>", escape(&note));
    }
    s += &reading_notes(c, sums);
    if !exceed.is_empty() {
        s += "<h2>Probability of exceeding thresholds</h2>\n<p class=\"note\">The share of trials whose value is above each threshold set in the scenario (<code>thresholds</code>), with its binomial standard error and 95% Wilson interval. A metric that some trials do not define (a first mine's day where no prospect proves viable) is a share of the trials that do, as its row says.</p>\n";
        let rows: Vec<Vec<String>> = (exceed.iter())
            .map(|(i, v, e)| {
                let col = &c.layout.columns[*i];
                let base = super::files::exceedance_base(e.trials, manifest.trials)
                    .map_or(String::new(), |b| format!(" ({b})"));
                vec![
                    format!("{} > {}{base}", col.name, crate::model::dist::fmt_num(*v)),
                    col.unit.clone(),
                    format!("{} ± {}", short(e.probability), short(e.se)),
                    format!("{} to {}", short(e.lo), short(e.hi)),
                ]
            })
            .collect();
        s += &table(
            "exceedance",
            &["event", "unit", "probability ± se", "95% interval"],
            &rows,
        );
    }
    for ch in charts {
        let _ = write!(
            s,
            "<h2>{}</h2>\n<figure id=\"{}\">\n{}\n</figure>\n",
            escape(&ch.title),
            ch.name,
            scalable(&ch.svg)
        );
    }
    let _ = writeln!(
        s,
        "<h2>By year</h2>\n<p class=\"note\">Per-year percentiles are within 0.5% of the value of the trial at their rank (they do not interpolate between two trials).{}</p>",
        super::partial_years(m).map_or(String::new(), |which| {
            let mut w = which.to_string();
            w[..1].make_ascii_uppercase();
            format!(" {w}.")
        })
    );
    s += &yearly_table(c, agg);
    s += "<h2>Provenance</h2>\n<table id=\"provenance\">\n";
    for (k, v) in [
        ("tool version", manifest.tool_version.clone()),
        ("scenario", manifest.scenario_name.clone()),
        ("scenario file", manifest.scenario_path.clone()),
        ("extends", manifest.scenario_files[1..].join(" -> ")),
        ("overrides (--set)", manifest.overrides.join("; ")),
        (
            "resolved scenario SHA-256",
            manifest.scenario_sha256.clone(),
        ),
        (
            "sampling",
            format!("{:?}", manifest.sampling).to_lowercase(),
        ),
        (
            "convergence",
            manifest
                .convergence
                .as_ref()
                .map_or(String::new(), |c| c.describe()),
        ),
        ("seed", manifest.seed.to_string()),
        ("trials", manifest.trials.to_string()),
        ("threads", manifest.threads.to_string()),
        ("started (UTC)", manifest.started.clone()),
        (
            "elapsed seconds",
            format!("{:.1}", manifest.elapsed_seconds),
        ),
    ] {
        if !v.is_empty() {
            let _ = writeln!(s, "<tr><td>{k}</td><td>{}</td></tr>", escape(&v));
        }
    }
    s += "</table>\n</body>\n</html>\n";
    s
}
