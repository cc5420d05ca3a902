//! Mapping of event records to the model's regions and hazard kinds.
//!
//! The defaults cover the spellings found in ACLED and GTD exports for Pakistan
//! (Balochistan / Baluchistan; Khyber Pakhtunkhwa / KPK / NWFP / the former FATA, merged
//! into Khyber Pakhtunkhwa in 2018; Gilgit-Baltistan / Northern Areas; Sindh; Punjab;
//! Islamabad; Azad Kashmir) and the event types of both data sets. A user file
//! (`--mapping FILE`, CSV with columns `field,value,maps_to`) adds to or overrides them;
//! `field` is `region`, `event_type`, `sub_event_type` or `attack_type`, and `maps_to`
//! is a region name, a hazard kind (`attack`, `protest`, `cyber`) or `ignore`.

use crate::error::{Error, Result};
use crate::model::HazardKind;
use std::collections::HashMap;
use std::path::Path;

/// What a value maps to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A hazard kind.
    Kind(HazardKind),
    /// Deliberately not counted (e.g. strategic developments).
    Ignore,
}

/// The mapping tables.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Region spellings: a model region, or `None` to leave such rows out.
    regions: HashMap<String, Option<String>>,
    event_types: HashMap<String, Target>,
    sub_event_types: HashMap<String, Target>,
    attack_types: HashMap<String, Target>,
    /// The user's event and sub-event rows, which take priority over every default.
    user_event_types: HashMap<String, Target>,
    user_sub_event_types: HashMap<String, Target>,
}

/// Where a raw region name goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Region<'a> {
    /// A model region.
    Model(&'a str),
    /// Deliberately left out (mapped to `ignore`).
    Ignore,
    /// Not in the table.
    Unknown,
}

fn key(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const REGIONS: &[(&str, &str)] = &[
    ("Balochistan", "Balochistan"),
    ("Baluchistan", "Balochistan"),
    ("Baloch", "Balochistan"),
    ("Khyber Pakhtunkhwa", "Khyber Pakhtunkhwa"),
    ("Khyber Pakhtoonkhwa", "Khyber Pakhtunkhwa"),
    ("Khyber-Pakhtunkhwa", "Khyber Pakhtunkhwa"),
    ("KPK", "Khyber Pakhtunkhwa"),
    ("KP", "Khyber Pakhtunkhwa"),
    ("NWFP", "Khyber Pakhtunkhwa"),
    ("North-West Frontier Province", "Khyber Pakhtunkhwa"),
    ("North West Frontier Province", "Khyber Pakhtunkhwa"),
    ("FATA", "Khyber Pakhtunkhwa"),
    ("Federally Administered Tribal Areas", "Khyber Pakhtunkhwa"),
    ("Gilgit-Baltistan", "Gilgit-Baltistan"),
    ("Gilgit Baltistan", "Gilgit-Baltistan"),
    ("Northern Areas", "Gilgit-Baltistan"),
    ("Sindh", "Sindh"),
    ("Sind", "Sindh"),
    ("Punjab", "Punjab"),
    ("Islamabad", "Islamabad"),
    ("Islamabad Capital Territory", "Islamabad"),
    ("Federal Capital Area", "Islamabad"),
    ("Azad Kashmir", "Azad Kashmir"),
    ("Azad Jammu and Kashmir", "Azad Kashmir"),
    ("national", "national"),
];

const EVENT_TYPES: &[(&str, Option<HazardKind>)] = &[
    ("Battles", Some(HazardKind::Attack)),
    ("Explosions/Remote violence", Some(HazardKind::Attack)),
    ("Violence against civilians", Some(HazardKind::Attack)),
    ("Protests", Some(HazardKind::Protest)),
    ("Riots", Some(HazardKind::Protest)),
    ("Strategic developments", None),
];

const SUB_EVENT_TYPES: &[(&str, Option<HazardKind>)] = &[
    ("Peaceful protest", Some(HazardKind::Protest)),
    ("Protest with intervention", Some(HazardKind::Protest)),
    (
        "Excessive force against protesters",
        Some(HazardKind::Protest),
    ),
    ("Violent demonstration", Some(HazardKind::Protest)),
    ("Mob violence", Some(HazardKind::Protest)),
    ("Road blockade", Some(HazardKind::Protest)),
    ("Blockade", Some(HazardKind::Protest)),
];

const ATTACK_TYPES: &[(&str, Option<HazardKind>)] = &[
    ("Bombing/Explosion", Some(HazardKind::Attack)),
    ("Armed Assault", Some(HazardKind::Attack)),
    ("Assassination", Some(HazardKind::Attack)),
    ("Hostage Taking (Kidnapping)", Some(HazardKind::Attack)),
    (
        "Hostage Taking (Barricade Incident)",
        Some(HazardKind::Attack),
    ),
    ("Facility/Infrastructure Attack", Some(HazardKind::Attack)),
    ("Hijacking", Some(HazardKind::Attack)),
    ("Unarmed Assault", Some(HazardKind::Attack)),
    ("Unknown", Some(HazardKind::Attack)),
];

fn table(rows: &[(&str, Option<HazardKind>)]) -> HashMap<String, Target> {
    rows.iter()
        .map(|(k, v)| (key(k), v.map_or(Target::Ignore, Target::Kind)))
        .collect()
}

impl Default for Mapping {
    fn default() -> Mapping {
        Mapping {
            regions: REGIONS
                .iter()
                .map(|(k, v)| (key(k), Some(v.to_string())))
                .collect(),
            event_types: table(EVENT_TYPES),
            sub_event_types: table(SUB_EVENT_TYPES),
            attack_types: table(ATTACK_TYPES),
            user_event_types: HashMap::new(),
            user_sub_event_types: HashMap::new(),
        }
    }
}

fn parse_target(s: &str) -> Option<Target> {
    match key(s).as_str() {
        "attack" => Some(Target::Kind(HazardKind::Attack)),
        "protest" => Some(Target::Kind(HazardKind::Protest)),
        "cyber" => Some(Target::Kind(HazardKind::Cyber)),
        "ignore" => Some(Target::Ignore),
        _ => None,
    }
}

impl Mapping {
    /// The defaults, overridden by the rows of a user file.
    pub fn with_file(path: &Path) -> Result<Mapping> {
        let mut m = Mapping::default();
        let bad = |row: Option<usize>, column: &str, message: String| Error::Input {
            path: path.to_path_buf(),
            row,
            column: Some(column.to_string()),
            message,
        };
        if !path.is_file() {
            return Err(Error::Usage {
                flag: "--mapping",
                message: format!(
                    "`{}` is not a file{}; give a CSV with the columns field,value,maps_to",
                    path.display(),
                    if path.exists() { "" } else { " (no such file)" }
                ),
            });
        }
        let mut rdr = csv::Reader::from_path(path).map_err(|e| super::read::csv_error(path, e))?;
        let headers = rdr
            .headers()
            .map_err(|e| super::read::csv_error(path, e))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(f), Some(v), Some(t)) = (col("field"), col("value"), col("maps_to")) else {
            return Err(bad(
                Some(1),
                "header",
                "a mapping file needs the columns field,value,maps_to".into(),
            ));
        };
        for (i, rec) in rdr.records().enumerate() {
            let row = i + 2;
            let rec = rec.map_err(|e| super::read::csv_error(path, e))?;
            let (field, value, to) = (&rec[f], &rec[v], &rec[t]);
            match key(field).as_str() {
                "region" => {
                    // `ignore`, a known region in any spelling (canonical name), or a new
                    // region name as written.
                    let target = if key(to) == "ignore" {
                        None
                    } else if to.trim().is_empty() {
                        return Err(bad(
                            Some(row),
                            "maps_to",
                            "is empty: give the region to count these rows in (a known one or a new name), or ignore".into(),
                        ));
                    } else {
                        Some(m.region_name(to).unwrap_or_else(|| to.trim().to_string()))
                    };
                    m.regions.insert(key(value), target);
                }
                "event type" | "sub event type" | "attack type" => {
                    let target = parse_target(to).ok_or_else(|| {
                        bad(
                            Some(row),
                            "maps_to",
                            format!("`{to}` is not attack, protest, cyber or ignore"),
                        )
                    })?;
                    let table = match key(field).as_str() {
                        "event type" => &mut m.user_event_types,
                        "sub event type" => &mut m.user_sub_event_types,
                        _ => &mut m.attack_types,
                    };
                    table.insert(key(value), target);
                }
                _ => {
                    return Err(bad(
                        Some(row),
                        "field",
                        format!(
                            "`{field}` is not region, event_type, sub_event_type or attack_type"
                        ),
                    ));
                }
            }
        }
        Ok(m)
    }

    /// The canonical name of a known region spelling.
    fn region_name(&self, raw: &str) -> Option<String> {
        self.regions.get(&key(raw)).cloned().flatten()
    }

    /// Where a raw region name goes.
    pub fn region(&self, raw: &str) -> Region<'_> {
        match self.regions.get(&key(raw)) {
            Some(Some(r)) => Region::Model(r),
            Some(None) => Region::Ignore,
            None => Region::Unknown,
        }
    }

    /// The kind of an ACLED event: the user's sub-event then event rows, then the default
    /// sub-event then event rows.
    pub fn acled_kind(&self, event_type: &str, sub_event_type: &str) -> Option<&Target> {
        let (e, s) = (key(event_type), key(sub_event_type));
        self.user_sub_event_types
            .get(&s)
            .or_else(|| self.user_event_types.get(&e))
            .or_else(|| self.sub_event_types.get(&s))
            .or_else(|| self.event_types.get(&e))
    }

    /// The kind of a GTD attack type (GTD records terrorism: attacks by default).
    pub fn gtd_kind(&self, attack_type: &str) -> Option<&Target> {
        if attack_type.trim().is_empty() {
            return Some(&Target::Kind(HazardKind::Attack));
        }
        self.attack_types.get(&key(attack_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_rows_override_defaults_and_regions_can_be_ignored() {
        let dir = std::env::temp_dir().join(format!("shortfall-mapping-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.csv");
        std::fs::write(
            &file,
            "field,value,maps_to\nevent_type,Protests,ignore\nregion,Azad Kashmir,ignore\nregion,Quetta,balochistan\nregion,Gwadar Port,Port Zone\n",
        )
        .unwrap();
        let m = Mapping::with_file(&file).unwrap();
        // The user's event row beats the default sub-event row.
        assert_eq!(
            m.acled_kind("Protests", "Peaceful protest"),
            Some(&Target::Ignore)
        );
        assert_eq!(
            m.acled_kind("Riots", "Mob violence"),
            Some(&Target::Kind(HazardKind::Protest))
        );
        assert_eq!(m.region("Azad Kashmir"), Region::Ignore);
        assert_eq!(
            m.region("Quetta"),
            Region::Model("Balochistan"),
            "canonical spelling"
        );
        assert_eq!(m.region("gwadar port"), Region::Model("Port Zone"));
        std::fs::write(&file, "field,value,maps_to\nevent_type,Protests,flood\n").unwrap();
        let e = Mapping::with_file(&file).unwrap_err().to_string();
        assert!(
            e.contains("line 2, column maps_to: `flood` is not attack, protest, cyber or ignore"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn region_spellings_map_to_the_model_regions() {
        let m = Mapping::default();
        for (raw, want) in [
            ("Balochistan", "Balochistan"),
            ("Baluchistan", "Balochistan"),
            ("Khyber Pakhtunkhwa", "Khyber Pakhtunkhwa"),
            ("KPK", "Khyber Pakhtunkhwa"),
            ("NWFP", "Khyber Pakhtunkhwa"),
            ("North-West Frontier Province", "Khyber Pakhtunkhwa"),
            ("Federally Administered Tribal Areas", "Khyber Pakhtunkhwa"),
            ("FATA", "Khyber Pakhtunkhwa"),
            ("Gilgit-Baltistan", "Gilgit-Baltistan"),
            ("gilgit baltistan", "Gilgit-Baltistan"),
            ("Sindh", "Sindh"),
            ("Punjab", "Punjab"),
        ] {
            assert_eq!(m.region(raw), Region::Model(want), "{raw}");
        }
        assert_eq!(m.region("Tamil Nadu"), Region::Unknown);
    }

    #[test]
    fn event_types_map_to_kinds() {
        let m = Mapping::default();
        let attack = Some(&Target::Kind(HazardKind::Attack));
        let protest = Some(&Target::Kind(HazardKind::Protest));
        assert_eq!(
            m.acled_kind(
                "Explosions/Remote violence",
                "Remote explosive/landmine/IED"
            ),
            attack
        );
        assert_eq!(m.acled_kind("Battles", "Armed clash"), attack);
        assert_eq!(m.acled_kind("Protests", "Peaceful protest"), protest);
        assert_eq!(m.acled_kind("Riots", "Mob violence"), protest);
        assert_eq!(
            m.acled_kind("Strategic developments", "Agreement"),
            Some(&Target::Ignore)
        );
        assert_eq!(m.acled_kind("Something new", "Else"), None);
        assert_eq!(m.gtd_kind("Bombing/Explosion"), attack);
        assert_eq!(m.gtd_kind("Hijacking"), attack);
    }
}
