//! `shortfall calibrate`: recovery of known parameters from event logs drawn by the
//! project's own hazard processes, coverage of the intervals over many repetitions,
//! the ACLED and GTD layouts, and the messages for bad files.

mod common;

use assert_cmd::Command;
use shortfall::calibrate::fit::{fit_hawkes, fit_trend, poisson_rate, thinned};
use shortfall::engine::Compiled;
use shortfall::hazards::draw_events;
use shortfall::scenario::parse;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A scenario whose only hazard has the given rate and self-excitation.
fn process(rate: f64, jump: f64, decay: f64, horizon: &str) -> Compiled {
    Compiled::new(parse(&process_text(rate, jump, decay, horizon), "gen").unwrap())
}

/// A scenario whose only hazard has the given rate, growing by `trend` a year.
fn trending(rate: f64, trend: f64, horizon: &str) -> Compiled {
    let text = process_text(rate, 0.0, 1.0, horizon).replace(
        "self_excitation",
        &format!("trend_per_year = {trend}\nself_excitation"),
    );
    Compiled::new(parse(&text, "gen").unwrap())
}

fn process_text(rate: f64, jump: f64, decay: f64, horizon: &str) -> String {
    format!(
        r#"
name = "gen"
start = "2015-01-01"
horizon = "{horizon}"
[[commodities]]
name = "ore"
[[sites]]
name = "pile"
kind = "stockpile"
region = "Balochistan"
commodity = "ore"
capacity_per_day = 1
inventory_max = 1
[[sites]]
name = "port"
kind = "port"
region = "Sindh"
capacity_per_day = 1
inventory_max = 1
[[routes]]
name = "road"
from = "pile"
to = "port"
regions = ["Balochistan", "Sindh"]
capacity_per_day = 1
transit_days = 1
[[hazards]]
name = "h"
kind = "attack"
regions = ["Balochistan"]
rate_per_year = {rate}
self_excitation = {{ jump = {jump}, decay_days = {decay} }}
targets = {{ route = 1 }}
[hazards.impact]
duration_days = 1
"#
    )
}

fn event_times(c: &Compiled, seed: u64, rep: u64) -> Vec<f64> {
    let mut ev = Vec::new();
    draw_events(&c.model, &c.hazards, seed, rep, &[], &c.hazard_off, &mut ev).unwrap();
    ev.iter().map(|e| e.t).collect()
}

/// Share of repetitions whose interval covers the truth, and the binomial standard error
/// of a 95% coverage over that many repetitions (which, from 305 repetitions on, bounds
/// the coverage away from 1 at four standard errors).
fn coverage(hits: usize, reps: usize) -> (f64, f64) {
    (
        hits as f64 / reps as f64,
        (0.95 * 0.05 / reps as f64).sqrt(),
    )
}

#[test]
fn poisson_interval_covers_the_true_rate() {
    let c = process(6.0, 0.0, 1.0, "2019-12-31");
    let years = c.model.n_days as f64 / 365.25;
    let reps = 2000;
    let hits = (0..reps)
        .filter(|&r| {
            let (_, lo, hi) = poisson_rate(event_times(&c, 21, r).len(), years);
            lo <= 6.0 && 6.0 <= hi
        })
        .count();
    // Garwood's interval is exact and conservative: its true coverage at this mean is
    // the chance of a count whose interval holds the rate, summed over the Poisson
    // distribution of the count, and at least 95%.
    let mean = 6.0 * years;
    let (mut p, mut exact) = ((-mean).exp(), 0.0);
    for k in 0..(mean + 20.0 * mean.sqrt() + 50.0) as usize {
        if k > 0 {
            p *= mean / k as f64;
        }
        let (_, lo, hi) = poisson_rate(k, years);
        if lo <= 6.0 && 6.0 <= hi {
            exact += p;
        }
    }
    assert!(exact >= 0.95, "exact coverage {exact}");
    let cov = hits as f64 / reps as f64;
    let se = (exact * (1.0 - exact) / reps as f64).sqrt();
    assert!(
        (cov - exact).abs() <= 4.0 * se,
        "coverage {cov} against the exact {exact} (se {se})"
    );
}

#[test]
fn hawkes_fit_recovers_known_parameters_with_nominal_coverage() {
    let (rate, jump, decay) = (30.0, 0.5, 10.0);
    let c = process(rate, jump, decay, "2024-12-31");
    let t = c.model.n_days as f64;
    let reps = 1000;
    let mut hits = [0usize; 3];
    let (mut n_hat, mut n_se) = (Vec::new(), 0.0);
    for r in 0..reps {
        let times = event_times(&c, 33, r);
        let f = fit_hawkes(&times, t).expect("a fit");
        let truth = [rate / 365.25, jump, decay];
        let est = [f.mu, f.n, f.tau];
        for k in 0..3 {
            if (est[k] - truth[k]).abs() <= 1.96 * f.se[k] {
                hits[k] += 1;
            }
        }
        n_hat.push(f.n);
        n_se += f.se[1] / reps as f64;
    }
    for (k, name) in ["background rate", "branching ratio", "decay"]
        .iter()
        .enumerate()
    {
        let (cov, se) = coverage(hits[k], reps as usize);
        assert!(
            (cov - 0.95).abs() <= 4.0 * se,
            "{name}: coverage {cov} (se {se})"
        );
    }
    // The estimator's bias: at most a quarter of its own standard error (a bias that
    // small moves a 95% interval's coverage by under a point), beyond the Monte Carlo
    // error of the mean of `reps` estimates.
    let mean_n = n_hat.iter().sum::<f64>() / reps as f64;
    let sd = (n_hat.iter().map(|x| (x - mean_n).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
    let tol = 0.25 * n_se + 4.0 * sd / (reps as f64).sqrt();
    assert!(
        (mean_n - jump).abs() <= tol,
        "mean branching ratio {mean_n}, tolerance {tol}"
    );
    // The standard errors the fit reports match the spread of its estimates: the ratio of
    // the two is within four of its own relative standard errors, 1 / sqrt(2 (reps - 1)),
    // of 1 (an interval too wide would pass the coverage check above but not this one).
    let ratio = sd / n_se;
    let band = 4.0 / (2.0 * (reps - 1) as f64).sqrt();
    assert!(
        (ratio - 1.0).abs() <= band,
        "spread of the branching ratio over its standard error: {ratio} (band {band})"
    );
}

#[test]
fn trend_fit_recovers_a_known_growth_with_nominal_coverage() {
    let (rate, trend) = (10.0, 0.3);
    let c = trending(rate, trend, "2022-12-31");
    let t = c.model.n_days as f64;
    let reps = 1000;
    let (mut hits, mut growth, mut se, mut end_hits) = (0, Vec::new(), 0.0, 0);
    // The rate at the window's end (the scenario's rate is at its start).
    let end = (rate * (1.0f64 + trend).powf(t / 365.25)).ln();
    for r in 0..reps {
        let f = fit_trend(&event_times(&c, 41, r), t).expect("a fit");
        hits += ((f.growth - trend).abs() <= 1.96 * f.growth_se) as usize;
        end_hits += (((f.rate_end * 365.25).ln() - end).abs() <= 1.96 * f.ln_rate_end_se) as usize;
        growth.push(f.growth);
        se += f.growth_se / reps as f64;
    }
    for (what, hits) in [("growth", hits), ("rate at the end", end_hits)] {
        let (cov, cov_se) = coverage(hits, reps as usize);
        assert!(
            (cov - 0.95).abs() <= 4.0 * cov_se,
            "{what}: coverage {cov} (se {cov_se})"
        );
    }
    // The spread of the estimates matches the standard errors reported, within four of
    // the ratio's own relative standard errors.
    let mean = growth.iter().sum::<f64>() / reps as f64;
    let sd = (growth.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
    let band = 4.0 / (2.0 * (reps - 1) as f64).sqrt();
    assert!((sd / se - 1.0).abs() <= band, "spread {sd} against se {se}");
}

/// Writes events as an ACLED export, alternating both date forms and both forms of
/// `inter1`, with extra columns.
fn write_acled(path: &Path, dates: &[jiff::civil::Date], region: &str) {
    let mut s = String::from(
        "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,inter1,country,admin1,admin2,location,latitude,longitude,fatalities,notes\n",
    );
    for (i, d) in dates.iter().enumerate() {
        let date = if i % 2 == 0 {
            d.to_string()
        } else {
            d.strftime("%d %B %Y").to_string()
        };
        let inter = if i % 3 == 0 { "2" } else { "Rebel group" };
        let _ = writeln!(
            s,
            "PAK{i},{date},{},1,Political violence,Explosions/Remote violence,Remote explosive/landmine/IED,BLA,{inter},Pakistan,{region},Quetta,Quetta,30.18,66.99,1,\"note, with comma\"",
            d.year()
        );
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn acled_export_from_a_known_process_is_calibrated() {
    let c = process(40.0, 0.4, 15.0, "2022-12-31");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("acled.csv");
    let dates = export(&c, 5, &file, "Baluchistan");
    let out = Command::cargo_bin("shortfall")
        .unwrap()
        .args(["calibrate"])
        .arg(&file)
        .args(["--from", "2015-01-01", "--to", "2022-12-31", "--out"])
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rates = std::fs::read_to_string(tmp.path().join("o/rates.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(rates.as_bytes());
    let h: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        h[..13],
        [
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
            "aic_hawkes"
        ]
    );
    let row = rdr.records().next().unwrap().unwrap();
    assert_eq!((&row[0], &row[1]), ("Balochistan", "attack"));
    assert_eq!(row[2].parse::<usize>().unwrap(), dates.len());
    let n: f64 = row[9].parse().unwrap();
    let n_se: f64 = row[14].parse().unwrap();
    assert!((n - 0.4).abs() < 4.0 * n_se, "branching {n} ± {n_se}");
    let (aic_p, aic_h): (f64, f64) = (row[11].parse().unwrap(), row[12].parse().unwrap());
    assert!(aic_h < aic_p, "AIC should prefer the self-exciting model");
    // The fragment is valid scenario text once pasted into a scenario.
    let fragment = std::fs::read_to_string(tmp.path().join("o/hazards.toml")).unwrap();
    pastes(&fragment);
    assert!(
        tmp.path().join("o/monthly_counts.png").exists()
            && tmp.path().join("o/monthly_counts.svg").exists()
    );
    // With a share of the events hitting the programme, the fragment's process is the
    // fit thinned to it: a smaller jump, a longer decay.
    let out = calibrate_in(
        &file,
        &[
            "--from",
            "2015-01-01",
            "--to",
            "2022-12-31",
            "--share",
            "0.01",
        ],
        &tmp.path().join("s"),
    );
    assert!(out.status.success());
    let fragment = std::fs::read_to_string(tmp.path().join("s/hazards.toml")).unwrap();
    let table: toml::Table = toml::from_str(&fragment).unwrap();
    let excitation = &table["hazards"][0]["self_excitation"];
    let fit = shortfall::calibrate::fit::HawkesFit {
        mu: row[8].parse::<f64>().unwrap() / 365.25,
        n,
        tau: row[10].parse().unwrap(),
        se: [0.0; 3],
        loglik: 0.0,
    };
    let (_, jump, decay) = thinned(&fit, 0.01);
    assert!(jump < 0.05 && decay > fit.tau, "{jump} {decay}");
    // (Written to 4 and 3 decimals from full-precision fits; rates.csv keeps more.)
    let written = |k: &str| excitation[k].as_float().unwrap();
    assert!((written("jump") - jump).abs() < 2e-4, "{excitation}");
    assert!(
        (written("decay_days") / decay - 1.0).abs() < 1e-3,
        "{excitation}"
    );
}

#[test]
fn a_growing_rate_is_fitted_as_a_trend_not_as_self_excitation() {
    // Once, a rate growing 30% a year over eight years was fitted as a self-exciting
    // process with a branching ratio of 0.9999999 and a decay of years, whose fragment
    // had `jump = 1.0000`, which `check` refuses.
    let c = trending(20.0, 0.3, "2022-12-31");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("acled.csv");
    export(&c, 8, &file, "Balochistan");
    let out = calibrate_in(
        &file,
        &["--from", "2015-01-01", "--to", "2022-12-31"],
        &tmp.path().join("o"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rates = std::fs::read_to_string(tmp.path().join("o/rates.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(rates.as_bytes());
    let h: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let row = rdr.records().next().unwrap().unwrap();
    let get = |name: &str| &row[h.iter().position(|x| x == name).unwrap()];
    assert_eq!(get("preferred"), "trend", "{rates}");
    let (g, se): (f64, f64) = (
        get("trend_per_year").parse().unwrap(),
        get("trend_per_year_se").parse().unwrap(),
    );
    assert!((g - 0.3).abs() <= 4.0 * se, "growth {g} ± {se}");
    if let Ok(n) = get("hawkes_branching").parse::<f64>() {
        assert!(n < 0.99, "{rates}");
    }
    // The fragment holds the trend and pastes into a scenario.
    let fragment = std::fs::read_to_string(tmp.path().join("o/hazards.toml")).unwrap();
    assert!(
        fragment.contains("trend_per_year = { normal = ["),
        "{fragment}"
    );
    // The chart's expected counts are the trend's, and its panel says so.
    let svg = std::fs::read_to_string(tmp.path().join("o/monthly_counts.svg")).unwrap();
    assert!(svg.contains("events, fit with a trend"), "{svg}");
    pastes(&fragment);
}

/// Checks that a `hazards.toml` fragment of Balochistan hazards is valid scenario text
/// once pasted into a scenario (`tests/valid_small.toml` without its hazards).
fn pastes(fragment: &str) {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/valid_small.toml"
    ))
    .unwrap()
    .replace("\"A\"", "\"Balochistan\"");
    let head = base.split("[[hazards]]").next().unwrap();
    parse(&format!("{head}\n{fragment}"), "pasted").expect("the fragment pastes into a scenario");
}

/// The events of trial 0 of `c` drawn with `seed`, written to `file` as an ACLED
/// export in `region`; their dates.
fn export(c: &Compiled, seed: u64, file: &Path, region: &str) -> Vec<jiff::civil::Date> {
    let start = c.model.start;
    let dates: Vec<jiff::civil::Date> = event_times(c, seed, 0)
        .iter()
        .map(|t| start.saturating_add(jiff::Span::new().days(*t as i64)))
        .collect();
    write_acled(file, &dates, region);
    dates
}

#[test]
fn an_event_that_sets_a_default_window_end_is_not_counted_in_its_rate() {
    // Sindh's first and last events set the window (2020-01-01 to 2024-12-31); Punjab's
    // fall within it.
    let rows = [
        ("2020-01-01", "Sindh"),
        ("2021-06-01", "Sindh"),
        ("2022-06-01", "Sindh"),
        ("2023-06-01", "Sindh"),
        ("2024-12-31", "Sindh"),
        ("2021-01-01", "Punjab"),
        ("2023-01-01", "Punjab"),
    ];
    let mut text = String::from("date,region,kind\n");
    for (d, r) in rows {
        let _ = writeln!(text, "{d},{r},attack");
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("incidents.csv");
    std::fs::write(&file, text).unwrap();
    let rate_of = |args: &[&str], out: &str| {
        let o = calibrate_in(&file, args, &tmp.path().join(out));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rates = std::fs::read_to_string(tmp.path().join(out).join("rates.csv")).unwrap();
        let mut rdr = csv::Reader::from_reader(rates.as_bytes());
        let h: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let col = |name: &str| h.iter().position(|x| x == name).unwrap();
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        let (years, rate, counted) = (col("years"), col("rate_per_year"), col("events_in_rate"));
        (rows.iter())
            .map(|r| {
                let y: f64 = r[years].parse().unwrap();
                (
                    r[0].to_string(),
                    (r[rate].parse::<f64>().unwrap() * y * 1e9).round() / 1e9,
                    r[counted].to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let by_default = rate_of(&[], "d");
    assert_eq!(
        by_default,
        [
            ("Punjab".to_string(), 2.0, "2".to_string()),
            ("Sindh".to_string(), 3.0, "3".to_string())
        ]
    );
    // Given ends count every event.
    let given = rate_of(&["--from", "2020-01-01", "--to", "2024-12-31"], "g");
    assert_eq!(given[1], ("Sindh".to_string(), 5.0, "5".to_string()));
    // An event known only to its month (GTD iday = 0) ends the window on the month's
    // last day: it, not an event dated earlier in that month, set the end.
    let gtd = "eventid,iyear,imonth,iday,country_txt,provstate,attacktype1_txt\n\
        1,2020,1,5,Pakistan,Sindh,Bombing/Explosion\n\
        2,2021,1,5,Pakistan,Sindh,Bombing/Explosion\n\
        3,2022,1,5,Pakistan,Sindh,Bombing/Explosion\n\
        4,2021,5,5,Pakistan,Punjab,Bombing/Explosion\n\
        5,2023,10,20,Pakistan,Punjab,Bombing/Explosion\n\
        6,2023,10,0,Pakistan,Sindh,Bombing/Explosion\n";
    std::fs::write(&file, gtd).unwrap();
    let counted: Vec<(String, String)> = rate_of(&[], "gtd")
        .into_iter()
        .map(|(region, _, n)| (region, n))
        .collect();
    // Sindh: four events, less the first (2020-01-05) and the undated last; Punjab
    // keeps both of its own.
    assert_eq!(
        counted,
        [
            ("Punjab".to_string(), "2".to_string()),
            ("Sindh".to_string(), "2".to_string())
        ]
    );
}

#[test]
fn gtd_export_unknown_days_and_months_are_handled_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("gtd.csv");
    let mut s = String::from(
        "eventid,iyear,imonth,iday,extended,country_txt,provstate,city,latitude,longitude,attacktype1_txt,targtype1_txt,gname,nkill,nwound,ndays\n",
    );
    for i in 0..60 {
        let (m, d) = (1 + i % 12, if i % 10 == 0 { 0 } else { 1 + i % 28 });
        let prov = [
            "Balochistan",
            "Khyber Pakhtunkhwa",
            "North-West Frontier Province",
            "Federally Administered Tribal Areas",
        ][i % 4];
        let _ = writeln!(
            s,
            "{i},2014,{m},{d},0,Pakistan,{prov},X,0,0,Bombing/Explosion,Police,TTP,1,2,"
        );
    }
    s += "100,2014,0,0,0,Pakistan,Sindh,Karachi,0,0,Armed Assault,Police,Unknown,0,0,\n";
    s += "101,2014,5,5,0,India,Punjab,Amritsar,0,0,Armed Assault,Police,Unknown,0,0,\n";
    s += "102,2014,5,6,0,Pakistan,Atlantis,X,0,0,Armed Assault,Police,Unknown,0,0,\n";
    std::fs::write(&file, s).unwrap();
    let out = calibrate(&file, &tmp.path().join("o"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "6 events had only their month (GTD iday = 0, or ACLED time_precision 3) and were spread evenly over it"
        ),
        "{text}"
    );
    assert!(text.contains("unknown month (GTD imonth = 0)"), "{text}");
    assert!(text.contains("outside Pakistan (India)"), "{text}");
    assert!(text.contains("unknown region \"Atlantis\""), "{text}");
    // Each left-out and approximate row by the line it is on (the header is line 1).
    let unmapped = std::fs::read_to_string(tmp.path().join("o/unmapped.csv")).unwrap();
    assert_eq!(
        unmapped,
        "reason,rows,lines\n\
         outside Pakistan (India),1,63\n\
         unknown month (GTD imonth = 0),1,62\n\
         \"unknown region \"\"Atlantis\"\"\",1,64\n\
         \"approximate date (only the month known, spread over it; kept)\",6,2 12 22 32 42 52\n"
    );
    let rates = std::fs::read_to_string(tmp.path().join("o/rates.csv")).unwrap();
    assert!(rates.contains("Balochistan,attack,15,"), "{rates}");
    assert!(
        rates.contains("Khyber Pakhtunkhwa,attack,45,"),
        "NWFP and FATA merge into KP: {rates}"
    );
}

#[test]
fn acled_dates_known_to_the_month_are_spread_and_to_the_week_are_noted() {
    let tmp = tempfile::tempdir().unwrap();
    // The same export twice, but for the day given to the events known only to their
    // month (time_precision 3): only their month may count.
    let export = |month_day: u32| {
        let mut s = String::from("event_date,time_precision,event_type,sub_event_type,admin1\n");
        for m in 1..=12 {
            s += &format!("2023-{m:02}-10,1,Battles,Armed clash,Sindh\n");
            if m % 4 == 0 {
                s += &format!("2023-{m:02}-{month_day:02},3,Battles,Armed clash,Sindh\n");
            }
            if m % 6 == 0 {
                s += &format!("2023-{m:02}-20,2,Battles,Armed clash,Sindh\n");
            }
        }
        s
    };
    let mut rates = Vec::new();
    for day in [1, 28] {
        let file = tmp.path().join(format!("acled{day}.csv"));
        std::fs::write(&file, export(day)).unwrap();
        let dir = tmp.path().join(format!("o{day}"));
        let out = calibrate_in(&file, &["--from", "2023-01-01", "--to", "2023-12-31"], &dir);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("3 events had only their month (GTD iday = 0, or ACLED time_precision 3) and were spread evenly over it"),
            "{text}"
        );
        assert!(
            text.contains("2 events had only their week (ACLED time_precision 2) and were taken at the date given"),
            "{text}"
        );
        let unmapped = std::fs::read_to_string(dir.join("unmapped.csv")).unwrap();
        assert!(
            unmapped.contains(
                "\"approximate date (only the month known, spread over it; kept)\",3,6 12 17\n"
            ),
            "{unmapped}"
        );
        assert!(
            unmapped.contains(
                "dated to its week (ACLED time_precision 2; kept at the date given),2,9 18\n"
            ),
            "{unmapped}"
        );
        rates.push(std::fs::read_to_string(dir.join("rates.csv")).unwrap());
    }
    assert!(rates[0].contains("Sindh,attack,17,"), "{}", rates[0]);
    assert_eq!(rates[0], rates[1]);
    refused(
        b"event_date,time_precision,event_type,sub_event_type,admin1\n2023-01-05,4,Battles,Armed clash,Sindh\n",
        &["bad.csv, line 2, column time_precision: `4` is not an ACLED time precision: 1 (the day), 2 (the week) or 3 (the month)"],
    );
}

/// Runs `shortfall calibrate FILE --out OUT`.
fn calibrate(file: &Path, out: &Path) -> std::process::Output {
    calibrate_in(file, &[], out)
}

/// `shortfall calibrate FILE ARGS --out OUT`.
fn calibrate_in(file: &Path, args: &[&str], out: &Path) -> std::process::Output {
    Command::cargo_bin("shortfall")
        .unwrap()
        .arg("calibrate")
        .arg(file)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn refused(content: &[u8], expected: &[&str]) {
    refused_with(content, &[], expected);
}

/// `calibrate` of a file holding `content`, with `args`, fails with each of `expected`
/// and writes no rates.
fn refused_with(content: &[u8], args: &[&str], expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.csv");
    std::fs::write(&file, content).unwrap();
    let out = calibrate_in(&file, args, &tmp.path().join("o"));
    let err = String::from_utf8_lossy(&out.stderr);
    // A flag's value refused exits with 2, a bad file with 1.
    // (Ours say "invalid value for --flag", clap's "invalid value 'x' for '--flag'".)
    let usage = err.starts_with("error: invalid value");
    assert_eq!(out.status.code(), Some(if usage { 2 } else { 1 }), "{err}");
    for e in expected {
        assert!(err.contains(e), "expected `{e}` in {err}");
    }
    assert!(!tmp.path().join("o/rates.csv").exists());
}

#[test]
fn bad_event_files_are_refused_with_row_and_column() {
    refused(b"", &["bad.csv: is empty"]);
    refused(
        b"{\"not\": \"csv\"}\n",
        &["bad.csv, line 1, column header: cannot tell the format from the header"],
    );
    refused(
        b"event_date,event_type\n2025-01-01,Battles\n",
        &["line 1, column admin1: lacks the column `admin1`"],
    );
    refused(
        b"event_date,event_type,sub_event_type,admin1\n2025-01-01,Battles,Armed clash,Sindh\nyesterday,Battles,Armed clash,Sindh\n",
        &["bad.csv, line 3, column event_date: `yesterday` is not a date like 2025-05-16 or 16 May 2025"],
    );
    refused(
        b"event_date,event_type,sub_event_type,admin1\n2025-01-01,Battles,Armed clash,Sindh,extra\n",
        &["bad.csv, line 2: has 5 fields where the header has 4"],
    );
    refused(
        b"iyear,imonth,iday,provstate\n2014,x,1,Sindh\n",
        &["line 2, column imonth: `x` is not a whole number"],
    );
    // Years and days that would wrap round as small integers.
    refused(
        b"iyear,imonth,iday,provstate\n2014,1,1,Sindh\n67551,1,1,Sindh\n",
        &["line 3, column iyear: 67551 is not a year GTD could hold (1900 to 2200)"],
    );
    refused(
        b"iyear,imonth,iday,provstate\n2014,1,257,Sindh\n",
        &["line 2, column iday: 257 is not a day of the month (1-31, or 0 for unknown)"],
    );
    refused(
        b"iyear,imonth,iday,provstate\n2014,1,-1,Sindh\n",
        &["line 2, column iday: -1 is not a day of the month"],
    );
    refused(
        b"date,region,kind\n2025-01-01,Sindh,flood\n",
        &["line 2, column kind: `flood` is not attack, protest or cyber"],
    );
    // A quote left open in a note would take the rows after it into that note.
    refused(
        b"event_date,event_type,sub_event_type,admin1,notes\n2020-01-01,Battles,Armed clash,Sindh,\"oops\n2020-02-01,Battles,Armed clash,Sindh,x\n2020-03-01,Battles,Armed clash,Sindh,x\n",
        &["bad.csv, line 2: a quoted field opens here and is never closed, so the rest of the file (3 lines) would be read as one field"],
    );
    // So would one in a middle column, where the row comes out short of fields.
    refused(
        b"date,region,kind\n2024-01-01,\"Sindh,attack\n2024-02-01,Sindh,attack\n2024-03-01,Sindh,attack\n",
        &["bad.csv, line 2: a quoted field opens here and is never closed, so the rest of the file (3 lines) would be read as one field"],
    );
}

#[test]
fn incident_kinds_are_read_whatever_their_case() {
    // A spreadsheet may capitalise `attack` or pad it; the counts are those of the
    // lower-case file.
    let tmp = tempfile::tempdir().unwrap();
    let mut counts = Vec::new();
    for (name, attack, protest) in [
        ("plain", "attack", "protest"),
        ("cased", "Attack", " PROTEST "),
    ] {
        let events = tmp.path().join(format!("{name}.csv"));
        let mut text = String::from("date,region,kind\n");
        for m in 1..=9 {
            text += &format!("2024-{m:02}-05,Sindh,{attack}\n");
            if m % 3 == 0 {
                text += &format!("2024-{m:02}-11,Sindh,\"{protest}\"\n");
            }
        }
        std::fs::write(&events, text).unwrap();
        let dir = tmp.path().join(name);
        let out = calibrate(&events, &dir);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (header, rows) = common::csv_rows(&dir.join("rates.csv"));
        let col = |c: &str| header.iter().position(|h| h == c).unwrap();
        let mut got: Vec<(String, String)> = (rows.iter())
            .map(|r| (r[col("kind")].clone(), r[col("events")].clone()))
            .collect();
        got.sort();
        counts.push(got);
    }
    assert_eq!(
        counts[0],
        [
            ("attack".to_string(), "9".to_string()),
            ("protest".to_string(), "3".to_string())
        ]
    );
    assert_eq!(counts[1], counts[0]);
}

#[test]
fn mapped_region_names_give_a_fragment_that_reads_as_toml_with_distinct_names() {
    // Regions renamed to a name with quotes and a backslash, and to two names that
    // differ only in punctuation.
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.csv");
    let mut text = String::from("date,region,kind\n");
    for (k, region) in ["Sindh", "Punjab", "Gilgit-Baltistan"].iter().enumerate() {
        for m in 1..=6 {
            text += &format!("2024-{m:02}-{:02},{region},protest\n", 3 + k);
        }
    }
    std::fs::write(&events, text).unwrap();
    let mapping = tmp.path().join("map.csv");
    std::fs::write(
        &mapping,
        "field,value,maps_to\nregion,Sindh,\"Karachi \"\"Zone\"\" \\x\"\nregion,Punjab,Port-Zone\nregion,Gilgit-Baltistan,Port Zone\n",
    )
    .unwrap();
    let out = calibrate_in(
        &events,
        &["--mapping", mapping.to_str().unwrap()],
        &tmp.path().join("o"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fragment = std::fs::read_to_string(tmp.path().join("o").join("hazards.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&fragment).unwrap();
    let hazards = parsed["hazards"].as_array().unwrap();
    let names: std::collections::BTreeSet<&str> = hazards
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{fragment}");
    let regions: std::collections::BTreeSet<&str> = hazards
        .iter()
        .map(|h| h["regions"][0].as_str().unwrap())
        .collect();
    assert!(regions.contains("Karachi \"Zone\" \\x"), "{regions:?}");
    // The manifest records the mapping by its hash.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("o").join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["mapping_sha256"],
        shortfall::report::files::sha256_hex(&std::fs::read(&mapping).unwrap())
    );
    assert_eq!(manifest["mapping_file"], mapping.to_str().unwrap());
    // An empty target is refused.
    std::fs::write(&mapping, "field,value,maps_to\nregion,Sindh,\n").unwrap();
    let out = calibrate_in(
        &events,
        &["--mapping", mapping.to_str().unwrap()],
        &tmp.path().join("e"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2, column maps_to: is empty"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_self_exciting_fit_whose_decay_outlasts_the_window_is_left_out() {
    // Sixty events on one day: the fit ran off to a decay of 349 million days.
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("one_day.csv");
    std::fs::write(
        &events,
        format!(
            "date,region,kind\n{}",
            "2024-05-05,Sindh,attack\n".repeat(60)
        ),
    )
    .unwrap();
    // (The window given: left to the events, one date is refused.)
    let day = ["--from", "2024-05-05", "--to", "2024-05-05"];
    let out = calibrate_in(&events, &day, &tmp.path().join("o"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rates = std::fs::read_to_string(tmp.path().join("o").join("rates.csv")).unwrap();
    let row = rates
        .lines()
        .find(|l| l.starts_with("Sindh,attack,60,"))
        .unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    // hawkes_mu, hawkes_branching, hawkes_decay_days, then aic_poisson, aic_hawkes and
    // the three standard errors: all empty but the Poisson AIC.
    assert_eq!(cells[8..11], ["", "", ""], "{row}");
    assert!(!cells[11].is_empty());
    assert_eq!(cells[12..16], ["", "", "", ""], "{row}");
    // The events all on one day hold no trend either: the Poisson model is preferred.
    assert_eq!(cells[20], "poisson", "{row}");
}

#[test]
fn the_seed_incidents_calibrate() {
    let tmp = tempfile::tempdir().unwrap();
    Command::cargo_bin("shortfall")
        .unwrap()
        .arg("calibrate")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/incidents.csv"))
        .arg("--out")
        .arg(tmp.path())
        .assert()
        .success();
    let rates = std::fs::read_to_string(tmp.path().join("rates.csv")).unwrap();
    assert!(rates.contains("Balochistan,attack,"));
    // The chart has a panel for each of the four series with the most events, captioned
    // with its events (the seed incidents have seven series).
    let mut series: Vec<(String, usize)> = csv::Reader::from_reader(rates.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (format!("{} {}", &r[0], &r[1]), r[2].parse().unwrap())
        })
        .collect();
    assert_eq!(series.len(), 7);
    series.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let svg = std::fs::read_to_string(tmp.path().join("monthly_counts.svg")).unwrap();
    for (k, (name, n)) in series.iter().enumerate() {
        let caption = format!("{name}: {n} event");
        assert_eq!(svg.contains(&caption), k < 4, "{caption}");
    }
    // The manifest names the input by its hash, the format read and the window used,
    // and lists exactly the files written.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
    let incidents =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/incidents.csv")).unwrap();
    assert_eq!(
        manifest["events_sha256"],
        shortfall::report::files::sha256_hex(&incidents)
    );
    assert_eq!(manifest["command"], "calibrate");
    assert_eq!(manifest["format"], "incidents");
    assert_eq!(manifest["mapping_file"], serde_json::Value::Null);
    for end in ["from", "to"] {
        let date = manifest[end].as_str().unwrap();
        assert!(
            std::str::from_utf8(&incidents).unwrap().contains(date),
            "{end} = {date} is not an event's date"
        );
    }
    let mut listed: Vec<String> = (manifest["files"].as_array().unwrap().iter())
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut written: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(listed, written);
    // A window to the calendar's last day ends (its last month has no next).
    let far = calibrate_in(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/incidents.csv")),
        &["--to", "9999-12-31"],
        &tmp.path().join("far"),
    );
    assert!(
        far.status.success(),
        "{}",
        String::from_utf8_lossy(&far.stderr)
    );
    // An input kept in the output folder under the name of an output (the incident
    // file, or the mapping) is refused, left as it was, and nothing is written.
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/incidents.csv");
    let own = tmp.path().join("own");
    std::fs::create_dir(&own).unwrap();
    let incidents = std::fs::read(source).unwrap();
    std::fs::write(own.join("rates.csv"), &incidents).unwrap();
    let map = "field,value,maps_to\nregion,Sindh,Sindh\n";
    std::fs::write(own.join("hazards.toml"), map).unwrap();
    for (file, args) in [
        (own.join("rates.csv"), vec![]),
        (PathBuf::from(source), vec!["--mapping", "own/hazards.toml"]),
    ] {
        let out = Command::cargo_bin("shortfall")
            .unwrap()
            .current_dir(tmp.path())
            .arg("calibrate")
            .arg(&file)
            .args(&args)
            .args(["--out", "own"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let name = if args.is_empty() {
            "rates.csv"
        } else {
            "hazards.toml"
        };
        assert!(
            err.contains(&format!(
                "cannot write own/{name}: it is a file this run reads (one of its inputs)"
            )),
            "{err}"
        );
        assert_eq!(std::fs::read(own.join("rates.csv")).unwrap(), incidents);
        assert_eq!(
            std::fs::read_to_string(own.join("hazards.toml")).unwrap(),
            map
        );
        assert_eq!(std::fs::read_dir(&own).unwrap().count(), 2);
    }
    // The same file saved with semicolons, or tabs, as some spreadsheets do, gives the
    // same rates.
    for sep in [b';', b'\t'] {
        let mut r = csv::Reader::from_path(source).unwrap();
        let file = tmp.path().join(format!("sep{sep}.csv"));
        let mut w = csv::WriterBuilder::new()
            .delimiter(sep)
            .from_path(&file)
            .unwrap();
        w.write_record(r.headers().unwrap()).unwrap();
        for rec in r.records() {
            w.write_record(&rec.unwrap()).unwrap();
        }
        w.flush().unwrap();
        let out = tmp.path().join(format!("o{sep}"));
        calibrate(&file, &out);
        assert_eq!(
            std::fs::read_to_string(out.join("rates.csv")).unwrap(),
            rates
        );
    }
}

#[test]
fn bad_flag_values_name_what_is_valid() {
    let seeds = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/incidents.csv")).unwrap();
    refused_with(
        &seeds,
        &["--share", "abc"],
        &[
            "--share",
            "expected a fraction from 0.000001 to 1, such as 0.25, got `abc`",
        ],
    );
    for share in ["1.5", "0", "5e-324"] {
        refused_with(
            &seeds,
            &["--share", share],
            &[&format!(
                "expected a fraction from 0.000001 to 1, such as 0.25, got `{share}`"
            )],
        );
    }
    refused_with(
        &seeds,
        &["--from", "2025-13-01"],
        &[
            "--from",
            "expected an ISO date such as 2024-01-31, got `2025-13-01`",
        ],
    );
    refused_with(
        &seeds,
        &["--mapping", "no_such_mapping.csv"],
        &[
            "invalid value for --mapping: `no_such_mapping.csv` is not a file (no such file); give a CSV with the columns field,value,maps_to",
        ],
    );
}

#[test]
fn a_window_without_events_is_refused() {
    let seeds = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/incidents.csv")).unwrap();
    refused_with(
        &seeds,
        &["--from", "2024-06-01", "--to", "2024-06-01"],
        &["the window 2024-06-01 to 2024-06-01 holds none of the"],
    );
    // With no row mapped at all, the reasons are given rather than "widen it".
    refused_with(
        b"date,region,kind\n2025-01-01,Atlantis,attack\n",
        &["--from", "2024-01-01", "--to", "2024-12-31"],
        &[
            "bad.csv: no row could be mapped to a region and hazard kind (1 row read): 1 x unknown region \"Atlantis\"",
        ],
    );
    // A window left to the events needs three dates or more: one event alone made a
    // one-day window and a rate of 183 a year.
    refused(
        b"date,region,kind\n2024-01-01,Sindh,attack\n2024-01-01,Punjab,protest\n2024-03-01,Sindh,attack\n",
        &[
            "invalid value for --from/--to: the window's start and end would be set by the events themselves, and they fall on 2 dates (2024-01-01 to 2024-03-01): too few to measure a rate between them; give --from and --to",
        ],
    );
}

#[test]
fn a_region_and_kind_without_events_in_the_window_has_a_rate_of_zero() {
    // Balochistan's protests all fall before the window: their series stays, at 0 a
    // year, with the exact upper bound for no event in two years (3.6889 / 2 a year).
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("e.csv");
    let mut rows = String::from("date,region,kind\n2018-05-01,Balochistan,protest\n");
    for month in 1..=12 {
        rows += &format!("2021-{month:02}-15,Balochistan,attack\n");
    }
    std::fs::write(&file, rows).unwrap();
    let args = ["--from", "2021-01-01", "--to", "2022-12-31"];
    let out = calibrate_in(&file, &args, &tmp.path().join("o"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (h, rows) = common::csv_rows(&tmp.path().join("o/rates.csv"));
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let none = (rows.iter().find(|r| r[1] == "protest")).expect("a row of the protests");
    assert_eq!(
        (&*none[at("events")], &*none[at("rate_per_year")]),
        ("0", "0")
    );
    let years = 730.0 / 365.25;
    let hi: f64 = none[at("rate_ci_high")].parse().unwrap();
    assert!((hi - 3.6889 / years).abs() < 1e-3, "{hi}");
    let fragment = std::fs::read_to_string(tmp.path().join("o/hazards.toml")).unwrap();
    assert!(
        fragment.contains("name = \"balochistan_protest\""),
        "{fragment}"
    );
    pastes(&fragment);
}

#[test]
fn repeated_rows_are_dropped_by_event_id_or_noted_and_headers_match_in_any_case() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
    let dates: Vec<jiff::civil::Date> = (0..40)
        .map(|i| d("2023-01-05") + jiff::Span::new().days(17 * i))
        .collect();
    let file = tmp.path().join("acled.csv");
    write_acled(&file, &dates, "Balochistan");
    let text = std::fs::read_to_string(&file).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    // The header in capitals, and the first three rows again at the end (overlapping
    // exports joined).
    let mut joined = rows[0].to_uppercase() + "\n";
    for r in rows[1..].iter().chain(&rows[1..4]) {
        joined += r;
        joined += "\n";
    }
    std::fs::write(&file, joined).unwrap();
    let out = calibrate(&file, &tmp.path().join("o"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rates = std::fs::read_to_string(tmp.path().join("o/rates.csv")).unwrap();
    assert!(rates.contains("Balochistan,attack,40,"), "{rates}");
    let unmapped = std::fs::read_to_string(tmp.path().join("o/unmapped.csv")).unwrap();
    assert!(
        unmapped.contains(
            "repeats the event_id_cnty of an earlier row (the same event twice),3,42 43 44"
        ),
        "{unmapped}"
    );
    // Without ids (the incidents format), a repeated row is kept, and said to be.
    let seeds =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/incidents.csv"))
            .unwrap();
    let first = seeds.lines().nth(1).unwrap();
    let file = tmp.path().join("incidents.csv");
    std::fs::write(&file, format!("{seeds}{first}\n")).unwrap();
    let out = calibrate_in(&file, &["--from", "2015-01-01"], &tmp.path().join("i"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("note: 1 row in the window repeats an earlier row field for field; it is counted as a separate event"),
        "{stdout}"
    );
    let lines = seeds.lines().count() + 1;
    let unmapped = std::fs::read_to_string(tmp.path().join("i/unmapped.csv")).unwrap();
    assert!(
        unmapped.contains(&format!(
            "repeats an earlier row field for field (kept as another event),1,{lines}"
        )),
        "{unmapped}"
    );
}

/// The calibration of one series of events drawn from `c` (trial `rep`), over the
/// scenario's whole span, through the library.
fn calibrated(c: &Compiled, seed: u64, rep: u64) -> shortfall::calibrate::Series {
    use shortfall::calibrate::read::{Events, Record};
    let start = c.model.start;
    let records = event_times(c, seed, rep)
        .iter()
        .enumerate()
        .map(|(i, t)| Record {
            date: start.saturating_add(jiff::Span::new().days(*t as i64)),
            region: "Balochistan".into(),
            kind: shortfall::model::HazardKind::Attack,
            approximate: false,
            week: false,
            line: i + 2,
            repeated: false,
        })
        .collect();
    let events = Events {
        records,
        ..Events::default()
    };
    let cal = shortfall::calibrate::calibrate(events, Some(start), Some(c.model.horizon)).unwrap();
    cal.series.into_iter().next().unwrap()
}

#[test]
fn clustered_events_widen_the_rate_interval_and_are_not_read_as_a_trend() {
    // Fewer than 50 events in most repetitions (no self-exciting fit): a steady
    // self-exciting process of mean rate 4 / (1 - 0.6) = 10 a year, over four years.
    let c = process(4.0, 0.6, 10.0, "2018-12-31");
    let reps = 400;
    let (mut quasi, mut plain, mut trend, mut few) = (0, 0, 0, 0);
    for rep in 0..reps {
        let x = calibrated(&c, 33, rep);
        quasi += (x.rate.1 <= 10.0 && 10.0 <= x.rate.2) as usize;
        // (2015-01-01 to 2018-12-31: 1,461 days.)
        let (_, lo, hi) = poisson_rate(x.counted, 1461.0 / 365.25);
        plain += (lo <= 10.0 && 10.0 <= hi) as usize;
        if x.times.len() < shortfall::calibrate::MIN_HAWKES_EVENTS {
            few += 1;
            // Against plain AIC, which ignores the clusters.
            let aic_prefers_trend = x.trend.is_some() && x.aic_trend < x.aic_poisson;
            trend += aic_prefers_trend as i32
                - matches!(x.preferred(), shortfall::calibrate::Preferred::Trend(_)) as i32;
        }
        assert!(x.overdispersion >= 1.0);
    }
    // The widened interval covers the true rate significantly more often than the plain
    // one (by more than four standard errors of a difference of two such shares).
    let se = (2.0 * 0.25 / reps as f64).sqrt();
    let (q, p) = (quasi as f64 / reps as f64, plain as f64 / reps as f64);
    assert!(
        q - p > 4.0 * se,
        "coverage {q} widened, {p} plain (se {se})"
    );
    // And QAIC takes a trend for the clusters less often than AIC would (never more:
    // with an overdispersion of at least 1 it asks more of a trend).
    assert!(few > reps / 2, "{few}");
    assert!(trend > 0, "{trend} of {few}");
}

#[test]
fn a_latin1_file_is_read_as_latin1_and_said_so() {
    // GTD's CSV is saved in Latin-1: `é` is the one byte 0xE9, not UTF-8.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("latin1.csv");
    let mut content = b"date,region,kind,summary\n".to_vec();
    for month in 1..=12 {
        content.extend(format!("2024-{month:02}-10,Sindh,attack,caf").as_bytes());
        content.extend(b"\xe9 Karachi\n");
    }
    std::fs::write(&file, &content).unwrap();
    let args = ["--from", "2024-01-01", "--to", "2024-12-31"];
    let out = calibrate_in(&file, &args, &tmp.path().join("o"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("latin1.csv is not UTF-8 text; it was read as Latin-1 (ISO-8859-1)"),
        "{stdout}"
    );
    let rates = std::fs::read_to_string(tmp.path().join("o/rates.csv")).unwrap();
    assert!(rates.contains("\nSindh,attack,12,"), "{rates}");
}
