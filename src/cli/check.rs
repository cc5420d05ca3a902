//! `shortfall check`: the resolved model, as a user reads it.

use crate::engine::rng::{purpose, stream};
use crate::model::{Dist, Model, Num, Online, solve_offspring, spectral_radius};
use std::fmt::Write;

fn num(m: &Model, n: Num) -> String {
    match n {
        Num::Fixed(v) => crate::model::dist::fmt_num(v),
        Num::Param(i) => m.params[i].dist.describe(),
    }
}

/// A number the model rounds to a whole one (`rounded` as it rounds it): a fixed value
/// is shown with what the model uses when that differs, as `0.4 (used as 1)`.
fn whole(m: &Model, n: Num, rounded: impl Fn(f64) -> f64) -> String {
    match n {
        Num::Fixed(v) if rounded(v) != v => {
            format!(
                "{} (used as {})",
                crate::model::dist::fmt_num(v),
                crate::model::dist::fmt_num(rounded(v))
            )
        }
        _ => num(m, n),
    }
}

/// `count word`, with the word in the plural unless the count is exactly 1.
fn counted(count: impl std::fmt::Display, word: &str) -> String {
    let count = count.to_string();
    if count == "1" {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// Mean of a number, estimated from 20,000 fixed-seed draws when uncertain.
fn mean(m: &Model, n: Num) -> f64 {
    match n {
        Num::Fixed(v) => v,
        Num::Param(i) => dist_mean(&m.params[i].dist),
    }
}

fn dist_mean(d: &Dist) -> f64 {
    let mut rng = stream(0, 0, purpose("check"));
    (0..20_000).map(|_| d.sample(&mut rng)).sum::<f64>() / 20_000.0
}

/// A human-readable description of the model.
pub fn describe(m: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "scenario {}: {} to {} ({} days)",
        m.name, m.start, m.horizon, m.n_days
    );
    if !m.description.is_empty() {
        let _ = writeln!(s, "  {}", m.description.replace('\n', "\n  "));
    }
    let _ = writeln!(s, "\nphases:");
    for p in &m.phases {
        let _ = write!(s, "  {:<12} {} to {}", p.name, p.dates.0, p.dates.1);
        let _ = writeln!(
            s,
            "{}",
            match (p.dates.0 < m.start, p.dates.1 > m.horizon) {
                _ if !p.in_force(m.n_days) => "  (after the horizon: never in force)",
                (true, true) => "  (in force from the start to the horizon)",
                (true, false) => "  (in force from the start)",
                (false, true) => "  (in force up to the horizon)",
                (false, false) => "",
            }
        );
    }
    let _ = writeln!(s, "\ncommodities:");
    for c in &m.commodities {
        let _ = writeln!(
            s,
            "  {:<24} value per {}: {}",
            c.name,
            c.unit,
            num(m, c.value)
        );
    }
    let _ = writeln!(s, "\nsites:");
    for site in &m.sites {
        let online = match site.online {
            Online::Day(d) if d >= m.n_days as i32 => {
                "online only after the horizon (not in the run)".into()
            }
            Online::Day(d) => format!("online {}", m.date_of(d)),
            Online::Project(p) => format!("online when project {} completes", m.projects[p].name),
            Online::Prospects(g) => format!("online as prospects {} develop", m.prospects[g].name),
        };
        let _ = writeln!(
            s,
            "  {:<20} {:<9} {:<20} capacity/day {}; inventory max {}; {}",
            site.name,
            site.kind.as_str(),
            m.regions[site.region],
            num(m, site.capacity),
            num(m, site.inventory_max),
            online
        );
    }
    let _ = writeln!(s, "\nroutes:");
    for r in &m.routes {
        let regions: Vec<&str> = r.regions.iter().map(|&i| m.regions[i].as_str()).collect();
        let _ = writeln!(
            s,
            "  {:<20} {} -> {} via {}; {} {}/day; transit {}{}",
            r.name,
            m.sites[r.from].name,
            m.sites[r.to].name,
            regions.join(", "),
            num(m, r.capacity),
            m.commodities[r.commodity].name,
            counted(whole(m, r.transit_days, |v| v.round().max(1.0)), "day"),
            if r.standby { "; standby" } else { "" }
        );
    }
    for p in &m.projects {
        let _ = writeln!(
            s,
            "\nproject {}: starts {}, {}, {} of delay per disrupted day",
            p.name,
            m.date_of(p.start_day),
            counted(num(m, p.duration), "day"),
            counted(num(m, p.delay_per_disrupted_day), "day")
        );
    }
    for p in &m.prospects {
        let _ = writeln!(
            s,
            "\nprospects {}: {} from {}, viable with probability {}, exploration {}, development {}",
            p.name,
            counted(whole(m, p.count, |v| v.max(0.0).round()), "prospect"),
            m.date_of(p.start_day),
            num(m, p.p_viable),
            counted(p.exploration_days.describe(), "day"),
            counted(p.development_days.describe(), "day")
        );
    }
    describe_hazards(m, &mut s);
    describe_mitigations(m, &mut s);
    let _ = writeln!(
        s,
        "\n{} uncertain parameters, drawn once per trial:",
        m.params.len()
    );
    for p in &m.params {
        let _ = writeln!(s, "  {:<56} {}", p.path, p.dist.describe());
    }
    if let Some(c) = &m.correlation {
        let _ = writeln!(
            s,
            "\nrank correlations (induced by Iman-Conover; pairs not listed are 0):"
        );
        for (i, &a) in c.params.iter().enumerate() {
            for (j, &b) in c.params.iter().enumerate().skip(i + 1) {
                if c.matrix[i][j] != 0.0 {
                    let discrete = [a, b]
                        .iter()
                        .any(|&k| matches!(m.params[k].dist, Dist::Choice { .. }));
                    let _ = writeln!(
                        s,
                        "  {} ~ {}: {}{}",
                        m.params[a].path,
                        m.params[b].path,
                        c.matrix[i][j],
                        if discrete {
                            " (a choice has ties: the induced correlation comes out weaker)"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
    }
    if !m.thresholds.is_empty() {
        let _ = writeln!(
            s,
            "\nthresholds (exceedance.csv gives the probability of each):"
        );
        for t in &m.thresholds {
            let values: Vec<String> = (t.values.iter())
                .map(|&v| crate::model::dist::fmt_num(v))
                .collect();
            let _ = writeln!(s, "  {} > {}", t.metric, values.join(", "));
        }
    }
    s
}

fn describe_mitigations(m: &Model, s: &mut String) {
    if m.mitigations.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nmitigations (factors on the hazards they cover, while in force):"
    );
    for (i, mt) in m.mitigations.iter().enumerate() {
        let covered: Vec<&str> = (m.hazards.iter())
            .filter(|h| h.mitigations.contains(&i))
            .map(|h| h.name.as_str())
            .collect();
        // (A `from` after the horizon is kept as the day after it.)
        let when = if mt.from_day >= m.n_days {
            "from after the horizon (never in force)".to_string()
        } else if mt.until_day < m.n_days {
            format!(
                "from {} until {}",
                m.date_of(mt.from_day),
                m.date_of(mt.until_day)
            )
        } else {
            format!("from {}", m.date_of(mt.from_day))
        };
        let _ = writeln!(
            s,
            "  {:<20} {when}: rate x {}, severity x {}, duration x {}, stand-down chance x {}; {}",
            mt.name,
            num(m, mt.rate_factor),
            num(m, mt.severity_factor),
            num(m, mt.duration_factor),
            num(m, mt.stand_down_factor),
            if covered.is_empty() {
                "covers no hazard".to_string()
            } else {
                format!("covers {}", covered.join(", "))
            }
        );
    }
}

fn describe_hazards(m: &Model, s: &mut String) {
    let n = m.hazards.len();
    let mut b = vec![vec![0.0; n]; n];
    let mut mu = vec![0.0; n];
    for (i, h) in m.hazards.iter().enumerate() {
        b[i][i] += mean(m, h.self_jump);
        for x in &h.excited_by {
            b[i][x.source] += mean(m, x.jump);
        }
        mu[i] = mean(m, h.rate_per_year);
    }
    // Long-run rates with excitation: (I - B)^-1 mu.
    let lam = solve_offspring(&b, &mu);
    let _ = writeln!(
        s,
        "\nhazards (rates per year at the parameters' means, before trend, phase and mitigation factors; under each, the share of its events that hit each target):"
    );
    for (i, h) in m.hazards.iter().enumerate() {
        let scope = if h.regions.is_empty() {
            "national".to_string()
        } else {
            h.regions
                .iter()
                .map(|&r| m.regions[r].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            s,
            "  {:<20} {:<8} {:<28} base rate {}; branching ratio {}; effective rate {:.2}/yr; {}",
            h.name,
            h.kind.as_str(),
            scope,
            num(m, h.rate_per_year),
            num(m, h.self_jump),
            lam[i],
            counted(h.targets.len(), "target")
        );
        // Each target's chance of being the one an event hits.
        let total: f64 = h.targets.iter().map(|&(_, w)| w).sum();
        let shares = h.targets.iter().map(|&(t, w)| {
            let share = 100.0 * w / total;
            let digits = if share < 1.0 { 1 } else { 0 };
            format!("{} {share:.digits$}%", m.target_name(t))
        });
        let mut line = String::from("      hits:");
        for (k, item) in shares.enumerate() {
            let item = if k + 1 < h.targets.len() {
                format!(" {item},")
            } else {
                format!(" {item}")
            };
            if line.len() + item.len() > 96 && line.len() > 12 {
                let _ = writeln!(s, "{line}");
                line = String::from("           ");
            }
            line.push_str(&item);
        }
        let _ = writeln!(s, "{line}");
        let (sev, dur) = (h.impact.severity_scale, h.impact.duration_scale);
        if sev != crate::model::Num::Fixed(1.0) || dur != crate::model::Num::Fixed(1.0) {
            let _ = writeln!(
                s,
                "      impacts scaled in each trial: severity x {}, durations x {}",
                num(m, sev),
                num(m, dur)
            );
        }
    }
    let _ = writeln!(
        s,
        "  branching ratio of all hazards together (spectral radius, at the jumps' upper bounds): {}",
        below_one(spectral_radius(&m.branching_matrix_max()))
    );
}

/// A branching ratio to three decimals, or to as many more as keep one below 1 from
/// reading as 1.
fn below_one(r: f64) -> String {
    let short = format!("{r:.3}");
    if r >= 1.0 || !short.starts_with('1') {
        return short;
    }
    (6..=15)
        .step_by(3)
        .map(|d| format!("{r:.d$}"))
        .find(|s| !s.starts_with('1'))
        .unwrap_or_else(|| format!("{r}"))
}

#[cfg(test)]
mod tests {
    use super::below_one;

    #[test]
    fn a_branching_ratio_below_one_never_reads_as_one() {
        assert_eq!(below_one(0.3), "0.300");
        assert_eq!(below_one(0.9997), "0.999700");
        assert_eq!(below_one(0.9999999), "0.999999900");
        assert_eq!(below_one(1.0), "1.000");
        assert_eq!(below_one(1.2), "1.200");
    }
}
