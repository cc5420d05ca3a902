//! Inheritance (`extends`) and command-line overrides (`--set KEY=VALUE`).
//!
//! A scenario may start with `extends = "baseline.toml"` (a path relative to the file,
//! or `builtin:baseline` for the scenario compiled into the binary) and then override
//! any part of its parent:
//! - tables merge key by key, at any depth (`[hazards.impact]` keys, target weights,
//!   phase multipliers);
//! - lists of named items (`[[sites]]`, `[[hazards]]`, ...) merge by `name`: an item
//!   whose name the parent has overrides that item's keys, a new name is appended, and
//!   `remove = true` drops the parent's item;
//! - a distribution (a table naming a family, such as `{ pert = [1, 2, 3] }`), a plain
//!   value or a list without names replaces the parent's value as a whole.
//!
//! `--set` then overrides single values by key path, the same paths that error
//! messages and `trials.csv` use: `hazards[bla_attacks].rate_per_year=12`,
//! `hazards[bla_attacks].impact.severity={ pert = [0.3, 0.6, 1.0] }`, `plan[0].quantity=5`.
//! The value is read as TOML; a bare word is taken as a string. A path that does not
//! exist is refused with the closest valid one.
//!
//! The result is one TOML document: the resolved scenario that is validated, printed by
//! `check --resolved`, hashed into `manifest.json` and saved as `scenario.toml`.

use super::values::FAMILY_NAMES;
use super::{BASELINE_LABEL, BASELINE_TOML};
use crate::error::{Error, Problem, Result, ScenarioProblems};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The value of `extends` that names the built-in baseline.
pub const BUILTIN_BASELINE: &str = "builtin:baseline";

/// A scenario after inheritance and overrides.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// How messages and the manifest name it: the file, or `<built-in baseline>`.
    pub label: String,
    /// The TOML text that is validated. When the file neither extends another nor is
    /// overridden this is the file's text, byte for byte.
    pub text: String,
    /// True when `text` is a file's own text, so that line numbers point into it.
    pub verbatim: bool,
    /// The files read, the scenario first, then its parents.
    pub files: Vec<String>,
    /// Their texts, in the same order.
    pub texts: Vec<String>,
    /// The `--set` overrides applied, in order.
    pub sets: Vec<String>,
    /// What the overrides changed besides their own key (for the console).
    pub notes: Vec<String>,
}

impl Resolved {
    /// A one-line description: the file, what it extends, and the overrides.
    pub fn describe(&self) -> String {
        let mut s = self.label.clone();
        if self.files.len() > 1 {
            s += &format!(" (extends {})", self.files[1..].join(" -> "));
        }
        for set in &self.sets {
            s += &format!(" --set {set}");
        }
        s
    }
}

impl Resolved {
    /// Where the value at `path` (a problem's key path) was written in a scenario merged
    /// from several files: the first file of the chain (the scenario, then its parents)
    /// that gives the key, with the line of the key there where it can be found
    /// (`baseline.toml:263`); for a key that no file gives (one that is missing), the
    /// file and line of the item or table that lacks it. `None` when an override
    /// (`--set`) gives it, or when no file does (a problem of the merged whole).
    pub fn source_of(&self, path: &str) -> Option<String> {
        let mut steps = steps(path).ok()?;
        // An override of the key, of a key above it or of one within it replaces every
        // file's value there.
        let merged: Table = self.text.parse().ok()?;
        let overridden = self.sets.iter().any(|set| {
            let Ok(key) = apply_set(&mut merged.clone(), set) else {
                return false;
            };
            let within = |a: &str, b: &str| {
                a == b || a.starts_with(&format!("{b}.")) || a.starts_with(&format!("{b}["))
            };
            within(path, &key) || within(&key, path)
        });
        if overridden {
            return None;
        }
        // Items are selected by name in the files: a position in the merged list (of
        // an item without a valid name, or of `excited_by`) is not the one in a file.
        name_items(&merged, &mut steps)?;
        let docs: Vec<Option<Table>> = self.texts.iter().map(|t| t.parse().ok()).collect();
        // A list without names (`plan`, `correlations`) is given whole by the first file
        // that has it: a parent's item at the same position is not this one.
        let unnamed = |v: &Value| matches!(v, Value::Array(items) if !items.iter().any(|v| item_label(v).is_some()));
        let owner = (steps.first())
            .filter(|s| s.item.is_some() && merged.get(&s.key).is_some_and(unnamed))
            .and_then(|s| {
                (docs.iter()).position(|d| d.as_ref().is_some_and(|d| d.contains_key(&s.key)))
            });
        let (i, len) = (1..=steps.len()).rev().find_map(|len| {
            let mut giving = (docs.iter().enumerate())
                .filter(|&(i, _)| owner.is_none_or(|o| o == i))
                .filter_map(|(i, d)| Some((i, gives(d.as_ref()?, &steps[..len])?)));
            match (giving.next()?, giving.next()) {
                // A whole list of items (`sites`) that several files give is none's.
                ((_, true), Some(_)) => None,
                ((i, _), _) => Some((i, len)),
            }
        })?;
        let (text, steps) = (&self.texts[i], &steps[..len]);
        Some(match step_line(text, steps) {
            Some(line) => format!("{}:{line}", self.files[i]),
            None => self.files[i].clone(),
        })
    }
}

/// Replaces each item selector of `steps` given as a position in the merged document
/// by the item's name (its `name`, or `hazard` in `excited_by`). `None` when an item so
/// selected has no name: its position in a file cannot be known (lists without names,
/// such as `plan`, are each given whole by one file, and keep their positions).
fn name_items(merged: &Table, steps: &mut [Step]) -> Option<()> {
    let mut table = merged;
    for step in steps.iter_mut() {
        // (A key missing from the merged scenario has nothing more to name.)
        let Some(mut value) = table.get(&step.key) else {
            return Some(());
        };
        if let Some(item) = &mut step.item {
            let Value::Array(items) = value else {
                return None;
            };
            let by_name = items.iter().find(|v| item_label(v) == Some(item.as_str()));
            value = match by_name {
                Some(v) => v,
                None => {
                    let v = items.get(item.parse::<usize>().ok()?)?;
                    if items.iter().any(|v| item_label(v).is_some()) {
                        // (A label given twice, as a hazard exciting another twice,
                        // does not say which of its items this is.)
                        let label = item_label(v)?;
                        let same = items.iter().filter(|w| item_label(w) == Some(label));
                        if same.count() > 1 {
                            return None;
                        }
                        *item = label.to_string();
                    }
                    v
                }
            };
        }
        match value {
            Value::Table(t) => table = t,
            _ => return Some(()),
        }
    }
    Some(())
}

/// Whether a file's own table gives the key path `steps` (items by name, or by
/// position in a list without names): `None` if not, else whether the value is a
/// whole list of items (which several files may each give part of).
fn gives(doc: &Table, steps: &[Step]) -> Option<bool> {
    let mut table = doc;
    for (n, step) in steps.iter().enumerate() {
        let mut value = table.get(&step.key)?;
        if let Some(item) = &step.item {
            let Value::Array(items) = value else {
                return None;
            };
            let named = items.iter().any(|v| item_label(v).is_some());
            let found = if named {
                items.iter().find(|v| item_label(v) == Some(item.as_str()))
            } else {
                item.parse::<usize>().ok().and_then(|i| items.get(i))
            };
            value = found?;
        }
        if n + 1 == steps.len() {
            return Some(matches!(value, Value::Array(a) if a.iter().any(Value::is_table)));
        }
        match value {
            Value::Table(t) => table = t,
            _ => return None,
        }
    }
    None
}

/// The line of a key path in a file's text, found as text (tables keep no positions).
/// Within the block of the path's first item (from its `[[list]]` header to the next
/// table that is not inside it), the first line that assigns the path's last key, or
/// else the key before it, and so on back (`duration_days` of
/// `impact.duration_days.lognormal`, written `duration_days = { lognormal = ... }` in a
/// `[hazards.impact]` table; `impact` of an inline `impact = { ... }`), or else the
/// item's `name` line (in a list without names, `plan` or `correlations`, the item
/// found by its position, and its `[[list]]` header). For a path without items, the
/// line that assigns its first key.
fn step_line(text: &str, steps: &[Step]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let assigns = |l: &str, key: &str| {
        (l.trim_start().strip_prefix(key)).is_some_and(|r| r.trim_start().starts_with(['=', '.']))
    };
    let Some(first) = steps.iter().position(|s| s.item.is_some()) else {
        let key = &steps.first()?.key;
        // `key = ...`, `key.x = ...`, or a header `[key]`, `[[key]]`, `[key.x]`.
        let opens = |l: &str| {
            let inner = l.trim_start().strip_prefix('[')?.trim_start_matches('[');
            let name = inner.split(']').next()?.trim();
            Some(name == key || name.starts_with(&format!("{key}.")))
        };
        return (lines.iter())
            .position(|l| assigns(l, key) || opens(l) == Some(true))
            .map(|i| i + 1);
    };
    let list = &steps[first].key;
    let label = steps[first].item.as_deref()?;
    // Each `[[list]]` block, up to the next header outside the list's item.
    let header = |l: &str| l.trim_start().starts_with('[');
    let inside = |l: &str| {
        let h = l.trim_start().trim_start_matches('[');
        h.starts_with(&format!("{list}.")) && !l.trim_start().starts_with(&format!("[[{list}]]"))
    };
    let wanted = [format!("name=\"{label}\""), format!("name='{label}'")];
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != format!("[[{list}]]") {
            i += 1;
            continue;
        }
        let end = (i + 1..lines.len())
            .find(|&j| header(lines[j]) && !inside(lines[j]))
            .unwrap_or(lines.len());
        blocks.push(i..end);
        i = end;
    }
    let named = |block: &std::ops::Range<usize>| {
        block.clone().find(|&j| {
            let compact: String = lines[j].chars().filter(|c| !c.is_whitespace()).collect();
            wanted.iter().any(|w| compact.starts_with(w.as_str()))
        })
    };
    // The item by its name, or in a list without names (`plan`, `correlations`) by its
    // position: the item's own line then is its `[[list]]` header.
    let (block, item_line) = (blocks.iter())
        .find_map(|b| named(b).map(|line| (b, line)))
        .or_else(|| {
            let b = blocks.get(label.parse::<usize>().ok()?)?;
            Some((b, b.start))
        })?;
    let found = (steps[first + 1..].iter().rev())
        .find_map(|s| block.clone().find(|&j| assigns(lines[j], &s.key)));
    Some(found.unwrap_or(item_line) + 1)
}

/// Resolves a scenario file (or the built-in baseline when `file` is `None`) with its
/// parents and the overrides `sets` (`KEY=VALUE`).
pub fn resolve(file: Option<&Path>, sets: &[String]) -> Result<Resolved> {
    // `builtin:baseline` names the built-in baseline here too, as in `extends`.
    let file = file.filter(|p| p.as_os_str() != BUILTIN_BASELINE);
    let (label, text) = match file {
        Some(p) => (p.display().to_string(), read(p)?),
        None => (BASELINE_LABEL.to_string(), BASELINE_TOML.to_string()),
    };
    let mut files = vec![label.clone()];
    let mut texts = vec![text.clone()];
    let mut doc = document(&text, &label)?;
    let dir = file.and_then(Path::parent).map(Path::to_path_buf);
    let extended = doc.contains_key("extends");
    let mut notes = Vec::new();
    if extended {
        let chain = (&mut files, &mut texts);
        doc = inherit(doc, &label, &text, dir, chain, &mut notes).map_err(|e| match e {
            // A problem in a parent: say which scenario was asked for, and the chain.
            Error::Scenario(mut p) if p.file != label => {
                let chain = files.join(" -> ");
                p.notes.push(format!(
                    "{} is among the parents of {label}: {chain}",
                    p.file
                ));
                Error::Scenario(p)
            }
            e => e,
        })?;
    }
    let mut given: std::collections::HashMap<String, &String> = std::collections::HashMap::new();
    for set in sets {
        let defaults = !doc.contains_key("thresholds");
        // (Named with its scenario, for `compare`, which applies it to several.)
        let key = apply_set(&mut doc, set).map_err(|message| Error::Usage {
            flag: "--set",
            message: format!("{label}: {message}"),
        })?;
        // A key set twice, or set with a key inside it, is most likely a slip: the
        // last would silently win.
        let within = |inner: &str, outer: &str| {
            inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
        };
        let clash = (given.iter()).find(|(k, _)| **k == key || within(k, &key) || within(&key, k));
        if let Some((k, first)) = clash {
            let message = if *k == key {
                format!("`{key}` is set twice (`{first}` and `{set}`); give each key once")
            } else {
                format!(
                    "`{first}` and `{set}` both set `{}`: the one given last would replace the other; set each value once",
                    if within(k, &key) { k } else { &key }
                )
            };
            return Err(Error::Usage {
                flag: "--set",
                message,
            });
        }
        given.insert(key.clone(), set);
        let value = set.split_once('=').map_or("", |(_, v)| v.trim());
        notes.extend(uncorrelate(&mut doc, &key, value));
        if defaults && doc.contains_key("thresholds") && key != "thresholds.shortfall_fraction" {
            notes.push(format!(
                "`--set {key}`: the scenario gave no [thresholds], so it had the default ones, shortfall_fraction > 0.1, 0.2 and 0.3; it now has only those it is given (add --set 'thresholds.shortfall_fraction=[0.1, 0.2, 0.3]' to keep them)"
            ));
        }
    }
    notes.extend(value_notes(&doc));
    if !extended && sets.is_empty() {
        return Ok(Resolved {
            label,
            text,
            verbatim: true,
            files,
            texts,
            sets: Vec::new(),
            notes,
        });
    }
    let text = toml::to_string(&doc).map_err(|e| {
        scenario_error(
            &label,
            "",
            None,
            format!("cannot be written back as TOML: {e}"),
        )
    })?;
    Ok(Resolved {
        label,
        text,
        verbatim: false,
        files,
        texts,
        sets: sets.to_vec(),
        notes,
    })
}

/// Notes on commodities without `value_per_unit` among several: each unit of such a
/// commodity counts 1 USD in the value totals, which then add up tonnes of one
/// commodity with dollars of another (or, when none has a value, tonnes of all).
fn value_notes(doc: &Table) -> Vec<String> {
    let Some(Value::Array(items)) = doc.get("commodities") else {
        return Vec::new();
    };
    let without: Vec<String> = (items.iter().enumerate())
        .filter(|(_, c)| c.get("value_per_unit").is_none())
        .map(|(i, c)| item_label(c).map_or(i.to_string(), str::to_string))
        .collect();
    if items.len() < 2 || without.is_empty() {
        return Vec::new();
    }
    let totals = "the value totals (shortfall_value, shortfall_fraction, lost.*)";
    if without.len() == items.len() {
        vec![format!(
            "no commodity has a value_per_unit, so each unit of any of them counts 1 USD in {totals}: they add up quantities"
        )]
    } else {
        let names = without.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>();
        let (which, its) = match without.len() {
            1 => ("commodity", "has no value_per_unit, so each of its"),
            _ => ("commodities", "have no value_per_unit, so each of their"),
        };
        vec![format!(
            "{which} {} {its} units counts 1 USD in {totals} beside the others' prices; give each a value",
            names.join(", ")
        )]
    }
}

/// After `--set KEY=VALUE` has made KEY a fixed number, drops the `[[correlations]]`
/// that name it (a fixed number cannot be correlated); says so in a note.
fn uncorrelate(doc: &mut Table, key: &str, value: &str) -> Option<String> {
    // A plain number, or a `fixed` distribution, is not uncertain.
    let fixed = match parse_value(value) {
        Value::Table(t) => t.len() == 1 && t.contains_key("fixed"),
        _ => true,
    };
    if !fixed {
        return None;
    }
    let Some(Value::Array(items)) = doc.get_mut("correlations") else {
        return None;
    };
    let before = items.len();
    items.retain(|item| {
        !item
            .get("between")
            .and_then(Value::as_array)
            .is_some_and(|b| b.iter().any(|p| p.as_str() == Some(key)))
    });
    let dropped = before - items.len();
    if items.is_empty() {
        doc.remove("correlations");
    }
    (dropped > 0).then(|| {
        format!(
            "--set {key}: a fixed number is not correlated; {dropped} [[correlations]] entr{} naming it dropped",
            if dropped == 1 { "y" } else { "ies" }
        )
    })
}

fn read(p: &Path) -> Result<String> {
    read_limited(p).map_err(|source| Error::ReadScenario {
        path: p.to_path_buf(),
        source: if p.is_dir() {
            std::io::Error::other(folder_hint(p))
        } else if source.kind() == std::io::ErrorKind::NotFound {
            std::io::Error::new(source.kind(), missing_hint(p))
        } else {
            source
        },
    })
}

/// What to say of a scenario file that does not exist: the scenario file of its folder
/// with the closest name, if one is close.
fn missing_hint(p: &Path) -> String {
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
    let names: Vec<String> = std::fs::read_dir(dir.unwrap_or(Path::new(".")))
        .map(|entries| {
            (entries.filter_map(|e| e.ok().map(|e| e.path())))
                .filter(|f| f.extension().is_some_and(|x| x == "toml") && f.is_file())
                .filter_map(|f| Some(f.file_stem()?.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    // (Compared without `.toml`, which every name would share.)
    let name = p.file_stem().unwrap_or_default().to_string_lossy();
    match closest(&name, &names) {
        Some(c) => {
            let file = format!("{c}.toml");
            format!(
                "no such file; did you mean {}?",
                dir.map_or(PathBuf::from(&file), |d| d.join(&file))
                    .display()
            )
        }
        None => format!(
            "no such file; name a scenario file, or none (or \"{BUILTIN_BASELINE}\") for the built-in baseline"
        ),
    }
}

/// What to say of a folder named as a scenario: the scenario files in it, if any.
fn folder_hint(dir: &Path) -> String {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml") && f.is_file())
                .map(|f| f.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    match files.len() {
        0 => "it is a folder, with no .toml file in it; name a scenario file".to_string(),
        n => format!(
            "it is a folder; name a scenario file in it, such as {}{}",
            files[..n.min(4)].join(", "),
            if n > 4 { ", ..." } else { "" }
        ),
    }
}

/// The largest scenario file read: far above any real scenario (the baseline is some
/// 20 kB), and low enough that a path to a device or a huge file by mistake (`/dev/zero`)
/// is refused instead of read until memory runs out.
const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// A text file of at most [`MAX_SCENARIO_BYTES`], in UTF-8.
fn read_limited(p: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(p)?
        .take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(std::io::Error::other(
            "larger than 16 MB, so not a scenario file (scenarios are a few kB of TOML)",
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it is UTF-16 text (it starts with a UTF-16 byte-order mark, as Windows PowerShell 5 writes with `>`); a scenario file is TOML in UTF-8: save it as UTF-8 (`iconv -f UTF-16 -t UTF-8`, or `Out-File -Encoding utf8`)",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "line {line} is not UTF-8 text (byte 0x{:02X}, the file's byte {}); a scenario file is TOML in UTF-8: save it as UTF-8 (a file in Latin-1 or Windows-1252, as some editors save it, converts with `iconv -f WINDOWS-1252 -t UTF-8`)",
                bytes[at],
                at + 1
            ),
        )
    })
}

fn scenario_error(file: &str, path: &str, line: Option<usize>, message: String) -> Error {
    Error::Scenario(ScenarioProblems {
        file: file.to_string(),
        problems: vec![Problem {
            path: path.to_string(),
            line,
            message,
            source: None,
        }],
        notes: Vec::new(),
    })
}

/// Parses TOML text into a table, reporting syntax errors with their line.
fn document(text: &str, label: &str) -> Result<Table> {
    let mut doc = text.parse::<Table>().map_err(|e| {
        let line = e.span().map(|s| super::line_of(text, s.start));
        scenario_error(label, "", line, super::toml_message(text, &e))
    })?;
    flat_thresholds(&mut doc).map_err(|key| {
        // The line of its second giving: whose key, quotes and spaces aside, is it.
        let line = (text.lines().enumerate())
            .filter(|(_, l)| {
                let lhs = l.split('=').next().unwrap_or("");
                l.contains('=')
                    && lhs
                        .chars()
                        .filter(|c| !c.is_whitespace() && *c != '"')
                        .collect::<String>()
                        == key
            })
            .nth(1)
            .map(|(i, _)| i + 1);
        scenario_error(
            label,
            &format!("thresholds.{key}"),
            line,
            "is given twice (once quoted, once as nested keys); keep one".into(),
        )
    })?;
    Ok(doc)
}

/// A metric's name holds dots, which TOML reads as nested tables unless quoted: the
/// `thresholds` table's keys are made whole names (`shortfall_fraction.antimony`), so
/// that `extends` and `--set` treat each metric as one key. Fails with a metric given
/// both ways.
fn flat_thresholds(doc: &mut Table) -> std::result::Result<(), String> {
    fn flatten(prefix: &str, t: Table, out: &mut Vec<(String, Value)>) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Table(inner) => flatten(&key, inner, out),
                v => out.push((key, v)),
            }
        }
    }
    let Some(Value::Table(t)) = doc.get_mut("thresholds") else {
        return Ok(());
    };
    let mut entries = Vec::new();
    flatten("", std::mem::take(t), &mut entries);
    for (k, v) in entries {
        if t.insert(k.clone(), v).is_some() {
            return Err(k);
        }
    }
    Ok(())
}

/// Line of a top-level key in a file's text (for messages about `extends`).
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map(|i| i + 1)
}

/// Replaces `doc` by its parent chain merged with it.
fn inherit(
    mut doc: Table,
    label: &str,
    text: &str,
    dir: Option<PathBuf>,
    (files, texts): (&mut Vec<String>, &mut Vec<String>),
    notes: &mut Vec<String>,
) -> Result<Table> {
    let Some(ext) = doc.remove("extends") else {
        return Ok(doc);
    };
    let line = key_line(text, "extends");
    let Value::String(target) = ext else {
        return Err(scenario_error(
            label,
            "extends",
            line,
            format!(
                "must be a file name in quotes (relative to this file) or \"{BUILTIN_BASELINE}\""
            ),
        ));
    };
    let (parent_label, parent_text, parent_dir) = if target == BUILTIN_BASELINE {
        (BASELINE_LABEL.to_string(), BASELINE_TOML.to_string(), None)
    } else {
        let p = dir.unwrap_or_default().join(&target);
        let text = read_limited(&p).map_err(|e| {
            scenario_error(
                label,
                "extends",
                line,
                match e.kind() {
                    // (Only a file not found needs another path; one found but not
                    // readable as a scenario, too large or a folder, does not.)
                    std::io::ErrorKind::NotFound => format!(
                        "cannot read the parent scenario {}: {e}; give a path relative to this file, or \"{BUILTIN_BASELINE}\"",
                        p.display()
                    ),
                    _ => format!("cannot read the parent scenario {}: {e}", p.display()),
                },
            )
        })?;
        let parent_dir = p.parent().map(Path::to_path_buf);
        (p.display().to_string(), text, parent_dir)
    };
    if files.contains(&parent_label) {
        return Err(scenario_error(
            label,
            "extends",
            line,
            format!("makes a cycle: {} -> {parent_label}", files.join(" -> ")),
        ));
    }
    if files.len() >= MAX_EXTENDS {
        return Err(scenario_error(
            label,
            "extends",
            line,
            format!(
                "a chain of `extends` may be at most {MAX_EXTENDS} files long; this one goes on past {}: {} -> {parent_label}",
                files.len(),
                files.join(" -> ")
            ),
        ));
    }
    files.push(parent_label.clone());
    texts.push(parent_text.clone());
    let parent = document(&parent_text, &parent_label)?;
    let mut base = inherit(
        parent,
        &parent_label,
        &parent_text,
        parent_dir,
        (&mut *files, &mut *texts),
        notes,
    )?;
    let mut m = Merge::default();
    merge(&mut base, doc, "", &mut m);
    // A parent's notes say which file they are about.
    let top = files.first().is_some_and(|f| f == label);
    notes.extend(
        m.notes
            .into_iter()
            .map(|n| if top { n } else { format!("in {label}, {n}") }),
    );
    let mut problems = m.problems;
    for p in problems.iter_mut().filter(|p| p.line.is_none()) {
        p.line = steps(&p.path).ok().and_then(|s| step_line(text, &s));
    }
    if problems.is_empty() {
        Ok(base)
    } else {
        Err(Error::Scenario(ScenarioProblems {
            file: label.to_string(),
            problems,
            notes: notes.clone(),
        }))
    }
}

/// Whether a table names a distribution: such a table replaces rather than merges.
fn is_distribution(t: &Table) -> bool {
    FAMILY_NAMES.iter().any(|f| t.contains_key(*f))
}

/// The label of a list item: its `name`, else the hazard it refers to (`excited_by`).
fn item_label(v: &Value) -> Option<&str> {
    let t = v.as_table()?;
    t.get("name")
        .or_else(|| t.get("hazard"))
        .and_then(Value::as_str)
}

fn is_named_list(a: &[Value]) -> bool {
    !a.is_empty() && a.iter().all(|v| item_label(v).is_some())
}

/// What merging found: problems, and notes for the console.
#[derive(Debug, Default)]
struct Merge {
    problems: Vec<Problem>,
    notes: Vec<String>,
}

/// Merges `over` into `base` (see the module documentation).
fn merge(base: &mut Table, over: Table, path: &str, m: &mut Merge) {
    for (key, value) in over {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o))
                if !is_distribution(&o) && !is_distribution(b) =>
            {
                merge(b, o, &here, m)
            }
            (Some(Value::Array(b)), Value::Array(o)) if is_named_list(b) && is_named_list(&o) => {
                merge_items(b, o, &here, m)
            }
            (Some(Value::Array(b)), Value::Array(o))
                if !b.is_empty()
                    && !o.is_empty()
                    && *b != o
                    && b.iter().chain(&o).all(Value::is_table) =>
            {
                // A list of tables without names ([[plan]], [[correlations]]).
                m.notes.push(format!(
                    "`{here}`: the {} of the scenario it extends {} replaced by this file's {} (a list whose items have no names is replaced as a whole, not merged)",
                    counted(b.len(), "entry", "entries"),
                    if b.len() == 1 { "is" } else { "are" },
                    o.len(),
                ));
                base.insert(key, Value::Array(o));
            }
            (_, Value::Array(mut o)) if is_named_list(&o) => {
                // Without a parent list, `remove` has nothing to remove.
                for item in &mut o {
                    if let Some(t) = item.as_table_mut()
                        && t.remove("remove").is_some()
                    {
                        m.problems.push(Problem {
                            path: format!("{here}[{}]", item_label_owned(t)),
                            line: None,
                            message: "has `remove = true` but the parent scenario has no such item"
                                .into(),
                            source: None,
                        });
                    }
                }
                base.insert(key, Value::Array(o));
            }
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn item_label_owned(t: &Table) -> String {
    item_label(&Value::Table(t.clone()))
        .unwrap_or_default()
        .to_string()
}

/// Merges a child's list of named items into the parent's. The k-th child item with a
/// label meets the k-th parent item with that label (a hazard may be excited twice by
/// the same hazard: two `excited_by` entries).
fn merge_items(base: &mut Vec<Value>, over: Vec<Value>, path: &str, m: &mut Merge) {
    let labels: Vec<Option<String>> = base
        .iter()
        .map(|v| item_label(v).map(str::to_string))
        .collect();
    // The parent's names, for hints.
    let names: Vec<String> = labels.iter().flatten().cloned().collect();
    let mut slots: Vec<Option<Value>> = std::mem::take(base).into_iter().map(Some).collect();
    let mut appended = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for item in over {
        let label = item_label(&item).unwrap_or_default().to_string();
        let k = seen.iter().filter(|l| **l == label).count();
        seen.push(label.clone());
        let here = format!("{path}[{label}]");
        let Value::Table(mut t) = item else { continue };
        let remove = match t.remove("remove") {
            None => false,
            Some(Value::Boolean(b)) => b,
            Some(_) => {
                m.problems.push(Problem {
                    path: format!("{here}.remove"),
                    line: None,
                    message: "must be true or false".into(),
                    source: None,
                });
                false
            }
        };
        let at = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| l.as_deref() == Some(label.as_str()))
            .nth(k)
            .map(|(i, _)| i);
        if remove {
            let others: Vec<&str> = (t.keys())
                .map(String::as_str)
                // (The key that names it: `name`, or `hazard` in `excited_by`.)
                .filter(|k| !matches!(*k, "name" | "hazard"))
                .collect();
            if !others.is_empty() {
                m.problems.push(Problem {
                    path: format!("{here}.remove"),
                    line: None,
                    message: format!(
                        "removes the item, so its other keys ({}) would be ignored: remove them, or drop `remove = true` to change the item",
                        others.join(", ")
                    ),
                    source: None,
                });
            }
        }
        match (at, remove) {
            (Some(i), true) => slots[i] = None,
            (None, true) => {
                let hint = if names.contains(&label) {
                    "; an earlier entry of this file with that name already took the parent's"
                        .to_string()
                } else {
                    match closest(&label, &names) {
                        Some(c) => format!("; did you mean `{c}`?"),
                        None => format!("; it has {}", names.join(", ")),
                    }
                };
                m.problems.push(Problem {
                    path: here,
                    line: None,
                    message: format!(
                        "has `remove = true` but the parent scenario has no such item{hint}"
                    ),
                    source: None,
                })
            }
            (Some(i), false) => {
                if let Some(Value::Table(b)) = &mut slots[i] {
                    // Keys that exclude each other: the child's choice replaces the
                    // parent's (a regional hazard made national, or the reverse).
                    if t.get("national") == Some(&Value::Boolean(true)) {
                        b.remove("regions");
                    }
                    if t.contains_key("regions") {
                        b.remove("national");
                    }
                    if path == "sites"
                        && let Some(kind) = t.get("kind").and_then(Value::as_str)
                    {
                        keep_keys_of_kind(b, kind);
                    }
                    merge(b, t, &here, m);
                }
            }
            (None, false) => {
                // A new item whose name is a near miss of the parent's may be a typo.
                if let Some(c) = near_miss(&label, &names) {
                    m.notes.push(format!(
                        "`{here}` is a new item: the scenario it extends has none of that name (did you mean `{c}`?)"
                    ));
                }
                appended.push(Value::Table(t))
            }
        }
    }
    *base = slots.into_iter().flatten().chain(appended).collect();
}

/// Drops from a parent's `site` the keys that only other kinds of site take (see the
/// checks in `build`), where a child or a `--set` makes it a `kind` of site it was not:
/// a plant made a stockpile loses its `input`, `output` and `yield`, which would
/// otherwise be refused as keys that do not apply, on lines of the parent's file that
/// the child cannot change. (An unknown kind drops nothing: it is refused as such.)
fn keep_keys_of_kind(site: &mut Table, kind: &str) {
    if site.get("kind").and_then(Value::as_str) == Some(kind)
        || !["mine", "stockpile", "plant", "port"].contains(&kind)
    {
        return;
    }
    let takes = |key: &str| match key {
        "commodity" => matches!(kind, "mine" | "stockpile"),
        "input" | "output" | "yield" => kind == "plant",
        "initial_inventory" => kind != "plant",
        _ => true,
    };
    let other: Vec<String> = site.keys().filter(|k| !takes(k)).cloned().collect();
    for key in other {
        site.remove(&key);
    }
}

/// One step of a key path: a key, optionally followed by an item selector.
#[derive(Debug, PartialEq)]
struct Step {
    key: String,
    item: Option<String>,
}

/// Splits `hazards[bla].impact.severity` into steps; names may contain dots inside
/// brackets.
fn steps(path: &str) -> std::result::Result<Vec<Step>, String> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let key = rest[..end].to_string();
        rest = &rest[end..];
        let mut item = None;
        if let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| format!("`{path}`: `[` without a closing `]`"))?;
            item = Some(r[..close].to_string());
            rest = &r[close + 1..];
        }
        if key.is_empty() {
            return Err(format!(
                "`{path}`: empty key; write keys like hazards[NAME].rate_per_year"
            ));
        }
        out.push(Step { key, item });
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
            if rest.is_empty() {
                return Err(format!("`{path}` ends with a dot"));
            }
        } else if !rest.is_empty() {
            return Err(format!("`{path}`: expected `.` after `]`"));
        }
    }
    if out.is_empty() {
        return Err("an empty key; give a key path such as hazards[NAME].rate_per_year".into());
    }
    Ok(out)
}

/// The most files a chain of `extends` may hold (the scenario and its parents).
const MAX_EXTENDS: usize = 32;

/// Keys each kind of table takes (the scenario format; see docs/scenario-format.md).
/// Tables whose keys are names of other things (`targets`, `phase_multipliers`) and
/// distributions are handled separately.
pub(crate) fn schema(context: &str) -> Option<&'static [&'static str]> {
    Some(match context {
        "" => &[
            "name",
            "description",
            "start",
            "horizon",
            "trials",
            "seed",
            "phases",
            "commodities",
            "sites",
            "routes",
            "projects",
            "prospects",
            "hazards",
            "mitigations",
            "plan",
            "correlations",
            "thresholds",
        ],
        "phases" => &["name", "start", "end", "description"],
        "commodities" => &["name", "unit", "value_per_unit", "description"],
        "sites" => &[
            "name",
            "kind",
            "region",
            "commodity",
            "input",
            "output",
            "yield",
            "capacity_per_day",
            "online",
            "ramp_up_days",
            "inventory_max",
            "initial_inventory",
            "description",
        ],
        "routes" => &[
            "name",
            "from",
            "to",
            "regions",
            "capacity_per_day",
            "transit_days",
            "standby",
            "mode",
            "description",
        ],
        "projects" => &[
            "name",
            "start",
            "duration_days",
            "delay_per_disrupted_day",
            "description",
        ],
        "prospects" => &[
            "name",
            "start",
            "count",
            "viability_probability",
            "exploration_days",
            "development_days",
            "delay_per_disrupted_day",
            "description",
        ],
        "hazards" => &[
            "name",
            "kind",
            "regions",
            "national",
            "rate_per_year",
            "trend_per_year",
            "phase_multipliers",
            "seasonal",
            "self_excitation",
            "excited_by",
            "targets",
            "impact",
            "description",
        ],
        "hazards.self_excitation" => &["jump", "decay_days"],
        "hazards.excited_by" => &["hazard", "jump", "decay_days", "description"],
        "hazards.impact" => &[
            "severity",
            "duration_days",
            "lost_cargo",
            "stand_down_probability",
            "stand_down_days",
            "construction_delay_days",
            "severity_scale",
            "duration_scale",
        ],
        "mitigations" => &[
            "name",
            "hazards",
            "kinds",
            "from",
            "until",
            "rate_factor",
            "severity_factor",
            "duration_factor",
            "stand_down_factor",
            "description",
        ],
        "plan" => &["year", "commodity", "quantity"],
        "correlations" => &["between", "rank", "description"],
        _ => return None,
    })
}

/// Tables whose keys are names (of sites and routes, of phases).
fn free_keys(context: &str) -> bool {
    matches!(
        context,
        "hazards.targets" | "hazards.phase_multipliers" | "thresholds"
    )
}

/// Reads a `--set` value as TOML, or as a string when it is a bare word.
fn parse_value(text: &str) -> Value {
    format!("v = {text}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        // A whole number too large for TOML's integers is still a number.
        .or_else(|| {
            let digits = text.trim().trim_start_matches(['-', '+']);
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.trim().parse::<f64>().ok().map(Value::Float))
                .flatten()
        })
        .unwrap_or_else(|| Value::String(text.to_string()))
}

/// Applies one `KEY=VALUE` override.
/// Returns the key path as parameters are named (`hazards[bla_attacks].rate_per_year`
/// for `hazards[0].rate_per_year`; `excited_by` entries and unnamed items by index).
pub fn apply_set(doc: &mut Table, spec: &str) -> std::result::Result<String, String> {
    let Some((key, value)) = spec.split_once('=') else {
        return Err(format!(
            "`{spec}` is not KEY=VALUE; for example --set 'hazards[bla_attacks].rate_per_year=12'"
        ));
    };
    let (key, value) = (key.trim(), value.trim());
    // A bare word is a string; what opens a table, a list or a quoted string must be
    // TOML, or its typo would become a string.
    if value.starts_with(['{', '[', '"', '\''])
        && let Err(e) = format!("v = {value}").parse::<Table>()
    {
        let why = e.message().trim_end_matches('\n');
        let example = match value.chars().next() {
            Some('{') => "{ pert = [1, 2, 4] }",
            Some('[') => "[0.1, 0.2]",
            _ => "\"some text\"",
        };
        return Err(format!(
            "the value of `{key}`, `{value}`, is not valid TOML: {why}; for example {example}"
        ));
    }
    // A value that reads as several keys (`3` and a new line `seed=5`) would keep the
    // first and drop the rest silently.
    if let Ok(t) = format!("v = {value}").parse::<Table>()
        && let Some(extra) = t.keys().find(|k| *k != "v")
    {
        return Err(format!(
            "the value of `{key}` runs on into a second key, `{extra}`, on a new line; give each override its own --set"
        ));
    }
    // A threshold's metric is one key, dots and all (see `flat_thresholds`).
    if let Some(metric) = key.strip_prefix("thresholds.").filter(|m| !m.is_empty()) {
        let metric = metric.trim_matches('"');
        let table = doc
            .entry("thresholds")
            .or_insert_with(|| Value::Table(Table::new()));
        let Value::Table(t) = table else {
            return Err("`thresholds` is not a table of metrics".into());
        };
        t.insert(metric.to_string(), parse_value(value));
        return Ok(format!("thresholds.{metric}"));
    }
    let path = steps(key)?;
    let valid = valid_paths(doc);
    let fail = |why: &str| -> String {
        let hint = closest(key, &valid)
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        format!("`{key}` {why}{hint} (`shortfall check --resolved` lists the scenario's keys)")
    };
    let mut table = doc;
    let mut context = String::new();
    let mut canonical = String::new();
    for (n, step) in path.iter().enumerate() {
        let last = n + 1 == path.len();
        if !canonical.is_empty() {
            canonical.push('.');
        }
        canonical += &step.key;
        let known = match schema(&context) {
            Some(keys) => keys.contains(&step.key.as_str()),
            None => free_keys(&context) || table.contains_key(&step.key),
        };
        let in_dist = is_distribution(table);
        if !(known || in_dist && table.contains_key(&step.key)) {
            return Err(fail("is not a key of the scenario format"));
        }
        context = if context.is_empty() {
            step.key.clone()
        } else {
            format!("{context}.{}", step.key)
        };
        let slot = match &step.item {
            None => {
                if last {
                    // As in a child scenario: a hazard made national drops its
                    // regions, and one given regions is no longer national.
                    match (context.as_str(), value) {
                        ("hazards.national", "true") => table.remove("regions"),
                        ("hazards.regions", _) => table.remove("national"),
                        ("sites.kind", _) => {
                            if let Value::String(kind) = parse_value(value) {
                                keep_keys_of_kind(table, &kind);
                            }
                            None
                        }
                        _ => None,
                    };
                    table.insert(step.key.clone(), parse_value(value));
                    return Ok(canonical);
                }
                table
                    .entry(step.key.clone())
                    .or_insert_with(|| Value::Table(Table::new()))
            }
            Some(item) => {
                let Some(entry) = table.get_mut(&step.key) else {
                    return Err(fail("names a list the scenario does not have"));
                };
                let Value::Array(items) = entry else {
                    return Err(fail("selects an item of something that is not a list"));
                };
                // A name first (names may be digits), then an index.
                let by_name = items
                    .iter()
                    .position(|v| item_label(v) == Some(item.as_str()));
                let i = match (by_name, item.parse::<usize>()) {
                    (Some(i), _) => i,
                    (None, Ok(i)) if i < items.len() => i,
                    (None, Ok(_)) => return Err(fail("selects an item past the end of the list")),
                    (None, Err(_)) => return Err(fail("names an item the scenario does not have")),
                };
                let named = items[i].get("name").and_then(Value::as_str);
                match named {
                    Some(name) if step.key != "excited_by" => canonical += &format!("[{name}]"),
                    _ => canonical += &format!("[{i}]"),
                }
                if last {
                    items[i] = parse_value(value);
                    return Ok(canonical);
                }
                &mut items[i]
            }
        };
        match slot {
            Value::Table(t) => table = t,
            _ => {
                return Err(fail(
                    "goes inside a value that is a number, string or list; set the value itself",
                ));
            }
        }
    }
    Ok(canonical)
}

/// Every key path that `--set` can address in `doc`: the keys present, and the keys the
/// format allows in each table present.
pub fn valid_paths(doc: &Table) -> Vec<String> {
    let mut out = Vec::new();
    collect(doc, "", "", &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect(t: &Table, prefix: &str, context: &str, out: &mut Vec<String>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    let ctx = |k: &str| {
        if context.is_empty() {
            k.to_string()
        } else {
            format!("{context}.{k}")
        }
    };
    if let Some(keys) = schema(context) {
        for k in keys {
            if !t.contains_key(*k) {
                out.push(join(k));
            }
        }
    }
    for (k, v) in t {
        let here = join(k);
        match v {
            Value::Table(sub) if !is_distribution(sub) => collect(sub, &here, &ctx(k), out),
            Value::Array(items) if items.iter().all(Value::is_table) && !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    let label = item_label(item)
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string());
                    if let Some(sub) = item.as_table() {
                        collect(sub, &format!("{here}[{label}]"), &ctx(k), out);
                    }
                }
            }
            _ => out.push(here),
        }
    }
}

/// A candidate one or two edits from `key` (a typo rather than another name); names
/// that differ only in digits (`mine1`, `mine2`, `road2`) are numbered, not mistyped.
fn near_miss<'a>(key: &str, candidates: &'a [String]) -> Option<&'a str> {
    let letters = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "");
    candidates
        .iter()
        .filter(|c| letters(c) != letters(key))
        .map(|c| (strsim::damerau_levenshtein(key, c), c))
        .filter(|&(d, c)| d > 0 && d <= 2 && 3 * d < key.len().min(c.len()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c.as_str())
}

/// `n` with the singular or plural word.
pub(crate) fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The candidate closest to `key`: the shortest that `key` begins (`capacity` for
/// `capacity_per_day`), else the closest by edit distance, when it is reasonably close.
pub fn closest<'a>(key: &str, candidates: &'a [String]) -> Option<&'a str> {
    let begun = (candidates.iter())
        .filter(|c| c.len() > key.len() && c.starts_with(key) && !key.is_empty())
        .min_by_key(|c| c.len());
    if let Some(c) = begun {
        return Some(c.as_str());
    }
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(key, c), c))
        .filter(|(d, c)| *d <= key.len().max(c.len()) / 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_s_source_is_the_file_that_wrote_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let parent = "name = \"p\"\n\n[[hazards]]\nname = \"h\"\nrate_per_year = 1\n[[hazards.excited_by]]\nhazard = \"g\"\njump = -1\n[[plan]]\nyear = 2026\nquantity = 5\n[[plan]]\nyear = 2027\nquantity = 6\n";
        std::fs::write(dir.path().join("parent.toml"), parent).unwrap();
        let child = "extends = \"parent.toml\"\n\n[[hazards]]\nname = \"h\"\nrate_per_year = 2\n[[hazards.excited_by]]\nhazard = \"k\"\njump = 0.2\n";
        let child_path = dir.path().join("child.toml");
        std::fs::write(&child_path, child).unwrap();
        let r = resolve(Some(&child_path), &[]).unwrap();
        let (c, p) = (&r.files[0], &r.files[1]);
        // The child's value; the parent's excited_by entry, first in the merged list
        // (the child's new one comes after it), by its position there.
        assert_eq!(
            r.source_of("hazards[h].rate_per_year"),
            Some(format!("{c}:5"))
        );
        assert_eq!(
            r.source_of("hazards[h].excited_by[0].jump"),
            Some(format!("{p}:8"))
        );
        assert_eq!(
            r.source_of("hazards[h].excited_by[1].jump"),
            Some(format!("{c}:8"))
        );
        // The parent's name; a whole list is no one file's; an override is its own.
        assert_eq!(r.source_of("name"), Some(format!("{p}:1")));
        assert_eq!(r.source_of("hazards"), None);
        // A list that one file alone gives (a misspelt one, say) is that file's.
        let typo = "extends = \"parent.toml\"\n\n[[hazard]]  # a typo\nname = \"x\"\n";
        std::fs::write(&child_path, typo).unwrap();
        let r = resolve(Some(&child_path), &[]).unwrap();
        assert_eq!(r.source_of("hazard"), Some(format!("{c}:3")));
        assert_eq!(r.source_of("plan"), Some(format!("{p}:9")));
        std::fs::write(&child_path, child).unwrap();
        let r = resolve(Some(&child_path), &[]).unwrap();
        // A key no file gives: the item that lacks it, in the first file that has it.
        assert_eq!(r.source_of("hazards[h].impact"), Some(format!("{c}:4")));
        // An item of a list without names, by its position, in the file that gives the
        // list (the parent's items at the same positions have a quantity).
        let plan = "extends = \"parent.toml\"\n[[plan]]\nyear = 2026\nquantity = 1\n\n[[plan]]\ncommodity = \"x\"\nyear = 2040\n";
        std::fs::write(&child_path, plan).unwrap();
        let r = resolve(Some(&child_path), &[]).unwrap();
        assert_eq!(r.source_of("plan[1].year"), Some(format!("{c}:8")));
        assert_eq!(r.source_of("plan[1].quantity"), Some(format!("{c}:6")));
        assert_eq!(r.source_of("plan[0].quantity"), Some(format!("{c}:4")));
        std::fs::write(&child_path, child).unwrap();
        let set = ["hazards[h].excited_by[0].jump=0.5".to_string()];
        let r = resolve(Some(&child_path), &set).unwrap();
        assert_eq!(r.source_of("hazards[h].excited_by[0].jump"), None);
        assert_eq!(r.source_of("hazards[h].excited_by[0]"), None);
        assert_eq!(
            r.source_of("hazards[h].excited_by[1].jump"),
            Some(format!("{c}:8"))
        );
    }

    fn merged(base: &mut Table, over: Table) -> Merge {
        let mut m = Merge::default();
        merge(base, over, "", &mut m);
        m
    }

    fn doc(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn key_paths_split_into_steps() {
        let s = steps("hazards[bla.x].impact.severity").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].item.as_deref(), Some("bla.x"));
        assert_eq!(s[2].key, "severity");
        assert!(steps("hazards[bla").is_err());
        assert!(steps("a.").is_err());
        assert!(steps("").is_err());
    }

    #[test]
    fn named_lists_merge_by_name_and_distributions_replace() {
        let mut base = doc(
            "[[hazards]]\nname = \"a\"\nrate_per_year = { pert = [1, 2, 3] }\nimpact = { severity = 0.5, duration_days = 3 }\n\
             [[hazards]]\nname = \"b\"\nrate_per_year = 4\n",
        );
        let over = doc(
            "[[hazards]]\nname = \"a\"\nrate_per_year = { uniform = [1, 5] }\nimpact = { severity = 0.9 }\n\
             [[hazards]]\nname = \"b\"\nremove = true\n[[hazards]]\nname = \"c\"\nrate_per_year = 1\n",
        );
        let problems = merged(&mut base, over).problems;
        assert!(problems.is_empty(), "{problems:?}");
        let hz = base["hazards"].as_array().unwrap();
        let names: Vec<&str> = hz.iter().filter_map(item_label).collect();
        assert_eq!(names, ["a", "c"]);
        let a = hz[0].as_table().unwrap();
        let rate = a["rate_per_year"].as_table().unwrap();
        assert!(rate.contains_key("uniform") && !rate.contains_key("pert"));
        let imp = a["impact"].as_table().unwrap();
        assert_eq!(imp["severity"].as_float(), Some(0.9));
        assert_eq!(imp["duration_days"].as_integer(), Some(3));
    }

    #[test]
    fn replaced_lists_and_near_miss_names_are_noted() {
        let parent = "[[plan]]\nyear = 2026\nquantity = 1\n[[plan]]\nyear = 2027\nquantity = 2\n\
                      [[hazards]]\nname = \"ttp_attacks\"\nrate_per_year = 3\n";
        let m = merged(
            &mut doc(parent),
            doc(
                "[[plan]]\nyear = 2028\nquantity = 5\n[[hazards]]\nname = \"ttp_attack\"\n\
                 [[hazards]]\nname = \"kp_blockades\"\n",
            ),
        );
        assert!(m.problems.is_empty());
        assert_eq!(
            m.notes,
            [
                "`plan`: the 2 entries of the scenario it extends are replaced by this file's 1 (a list whose items have no names is replaced as a whole, not merged)",
                "`hazards[ttp_attack]` is a new item: the scenario it extends has none of that name (did you mean `ttp_attacks`?)",
            ]
        );
        // Numbered names are new items, not typos.
        let m = merged(
            &mut doc("[[sites]]\nname = \"mine1\"\n[[routes]]\nname = \"road\"\n"),
            doc("[[sites]]\nname = \"mine2\"\n[[routes]]\nname = \"road2\"\n"),
        );
        assert!(m.notes.is_empty(), "{:?}", m.notes);
        // The same list again, or the parent's names, note nothing.
        let m = merged(
            &mut doc(parent),
            doc(
                "[[plan]]\nyear = 2026\nquantity = 1\n[[plan]]\nyear = 2027\nquantity = 2\n\
                 [[hazards]]\nname = \"ttp_attacks\"\nrate_per_year = 4\n",
            ),
        );
        assert!(m.notes.is_empty(), "{:?}", m.notes);
    }

    #[test]
    fn commodities_without_a_value_among_several_are_noted() {
        let notes = |text: &str| value_notes(&doc(text));
        let with = "[[commodities]]\nname = \"a\"\nvalue_per_unit = 5\n";
        let without = |name: &str| format!("[[commodities]]\nname = \"{name}\"\n");
        assert!(notes(with).is_empty());
        assert!(
            notes(&without("a")).is_empty(),
            "one commodity: its own totals"
        );
        assert_eq!(
            notes(&format!("{with}{}", without("b"))),
            [
                "commodity `b` has no value_per_unit, so each of its units counts 1 USD in the value totals (shortfall_value, shortfall_fraction, lost.*) beside the others' prices; give each a value"
            ]
        );
        let two = notes(&format!("{with}{}{}", without("b"), without("c")));
        assert!(two[0].starts_with("commodities `b`, `c` have"), "{two:?}");
        let none = notes(&format!("{}{}", without("b"), without("c")));
        assert!(
            none[0].starts_with("no commodity has a value_per_unit"),
            "{none:?}"
        );
    }

    #[test]
    fn a_first_threshold_set_on_the_command_line_says_the_defaults_are_gone() {
        let set = |sets: &[&str]| {
            let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
            resolve(None, &sets).unwrap().notes
        };
        let notes = set(&["thresholds.shortfall_fraction.antimony=[0.2]"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("it had the default ones"), "{notes:?}");
        // Not when the defaults' own metric is set (its values replace them), nor after
        // the first that makes the table, nor for other keys.
        assert!(set(&["thresholds.shortfall_fraction=[0.1, 0.2]"]).is_empty());
        let notes = set(&[
            "thresholds.shortfall_fraction.antimony=[0.2]",
            "thresholds.shortfall_fraction.copper_concentrate=[0.2]",
        ]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(set(&["horizon=2030-12-31"]).is_empty());
    }

    #[test]
    fn repeated_labels_meet_their_counterparts_in_order() {
        let mut base =
            doc("excited_by = [{ hazard = \"a\", jump = 0.1 }, { hazard = \"a\", jump = 0.2 }]\n");
        let over = doc(
            "excited_by = [{ hazard = \"a\", jump = 0.5 }, { hazard = \"a\", jump = 0.6 }, { hazard = \"a\", jump = 0.7 }]\n",
        );
        assert!(merged(&mut base, over).problems.is_empty());
        let jumps: Vec<f64> = base["excited_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["jump"].as_float().unwrap())
            .collect();
        assert_eq!(jumps, [0.5, 0.6, 0.7]);
    }

    #[test]
    fn a_site_made_another_kind_drops_the_keys_only_the_old_kind_takes() {
        let parent = "[[sites]]\nname = \"p\"\nkind = \"plant\"\ninput = \"a\"\noutput = \"b\"\nyield = 0.5\ncapacity_per_day = 3\n[[sites]]\nname = \"m\"\nkind = \"mine\"\ncommodity = \"a\"\ninitial_inventory = 9\n";
        let keys = |base: &Table, i: usize| -> Vec<String> {
            let mut k: Vec<String> = (base["sites"].as_array().unwrap()[i].as_table())
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        };
        let mut base = doc(parent);
        let over = doc(
            "[[sites]]\nname = \"p\"\nkind = \"stockpile\"\ncommodity = \"b\"\n[[sites]]\nname = \"m\"\nkind = \"plant\"\n",
        );
        assert!(merged(&mut base, over).problems.is_empty());
        assert_eq!(
            keys(&base, 0),
            ["capacity_per_day", "commodity", "kind", "name"]
        );
        assert_eq!(keys(&base, 1), ["kind", "name"]);
        // The same kind, or one that does not exist, drops nothing.
        let mut base = doc(parent);
        let over = doc(
            "[[sites]]\nname = \"p\"\nkind = \"plant\"\n[[sites]]\nname = \"m\"\nkind = \"quarry\"\n",
        );
        assert!(merged(&mut base, over).problems.is_empty());
        assert_eq!(keys(&base, 0).len(), 6);
        assert_eq!(keys(&base, 1).len(), 4);
        // And so does `--set`.
        let mut base = doc(parent);
        apply_set(&mut base, "sites[p].kind=port").unwrap();
        assert_eq!(keys(&base, 0), ["capacity_per_day", "kind", "name"]);
    }

    #[test]
    fn a_child_makes_a_regional_hazard_national_and_back() {
        let parent = "[[hazards]]\nname = \"h\"\nregions = [\"A\"]\n[[hazards]]\nname = \"n\"\nnational = true\n";
        let mut base = doc(parent);
        let over = doc(
            "[[hazards]]\nname = \"h\"\nnational = true\n[[hazards]]\nname = \"n\"\nregions = [\"B\"]\n",
        );
        assert!(merged(&mut base, over).problems.is_empty());
        let hazards = base["hazards"].as_array().unwrap();
        let (h, n) = (
            hazards[0].as_table().unwrap(),
            hazards[1].as_table().unwrap(),
        );
        assert_eq!(h.get("national"), Some(&Value::Boolean(true)));
        assert!(!h.contains_key("regions"), "{h:?}");
        assert!(!n.contains_key("national"), "{n:?}");
        assert_eq!(n["regions"].as_array().unwrap().len(), 1);
        // And so does `--set`.
        let mut base = doc(parent);
        apply_set(&mut base, "hazards[h].national=true").unwrap();
        apply_set(&mut base, "hazards[n].regions=[\"B\"]").unwrap();
        let hazards = base["hazards"].as_array().unwrap();
        assert!(!hazards[0].as_table().unwrap().contains_key("regions"));
        assert!(!hazards[1].as_table().unwrap().contains_key("national"));
    }

    #[test]
    fn removing_an_item_with_other_keys_is_a_problem() {
        let mut base = doc("[[hazards]]\nname = \"c\"\nrate_per_year = 1\n");
        let over = doc("[[hazards]]\nname = \"c\"\nremove = true\nrate_per_year = 5\n");
        let problems = merged(&mut base, over).problems;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "hazards[c].remove");
        assert!(
            problems[0]
                .message
                .contains("its other keys (rate_per_year) would be ignored"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn removing_an_item_the_parent_lacks_is_a_problem() {
        let mut base = doc("[[sites]]\nname = \"a\"\n");
        let over = doc("[[sites]]\nname = \"zz\"\nremove = true\n");
        let problems = merged(&mut base, over).problems;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "sites[zz]");
        assert!(
            problems[0].message.ends_with("no such item; it has a"),
            "{}",
            problems[0].message
        );
        let over = doc("[[sites]]\nname = \"aa\"\nremove = true\n");
        let problems = merged(&mut base, over).problems;
        assert!(problems[0].message.ends_with("did you mean `a`?"));
        // Removed twice: the second has nothing left to remove.
        let over =
            doc("[[sites]]\nname = \"a\"\nremove = true\n[[sites]]\nname = \"a\"\nremove = true\n");
        let problems = merged(&mut doc("[[sites]]\nname = \"a\"\n"), over).problems;
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.ends_with("already took the parent's"),
            "{}",
            problems[0].message
        );
        let text = "name = \"child\"\n\n[[sites]]\n  name   = \"zz\"\nremove = true\n";
        let line = |path: &str| step_line(text, &steps(path).unwrap());
        assert_eq!(line("sites[zz]"), Some(4));
        assert_eq!(line("sites[zz].remove"), Some(5));
        assert_eq!(line("sites[yy]"), None);
        // Within the item's own block: an inline table is found by its key, not by
        // the next item's line; a name in another list or in an `excited_by` entry is
        // not the item's.
        let text = "[[sites]]\nname = \"b\"\n\n[[hazards]]\nname = \"a\"\n[[hazards.excited_by]]\nhazard = \"b\"\njump = 0.1\n\n[[hazards]]\nrate_per_year = 2\nname = \"b\"\nimpact = { severity = 2 }\n\n[[hazards]]\nname = \"c\"\n[hazards.impact]\nseverity = 0.5\n";
        let line = |path: &str| step_line(text, &steps(path).unwrap());
        assert_eq!(line("hazards[b].impact.severity"), Some(13));
        assert_eq!(line("hazards[b].rate_per_year"), Some(11));
        assert_eq!(line("hazards[b]"), Some(12));
        assert_eq!(line("hazards[c].impact.severity"), Some(18));
        assert_eq!(line("hazards[a].excited_by[b].jump"), Some(8));
        assert_eq!(line("sites[b]"), Some(2));
    }

    #[test]
    fn set_overrides_values_items_and_distributions() {
        let mut d = doc(
            "seed = 1\n[[hazards]]\nname = \"a\"\nrate_per_year = 3\nseasonal = [1, 1]\n[[plan]]\nyear = 2026\nquantity = 5\n",
        );
        apply_set(&mut d, "seed=7").unwrap();
        apply_set(&mut d, "hazards[a].rate_per_year={ pert = [1, 2, 3] }").unwrap();
        apply_set(&mut d, "hazards[a].impact.severity=0.5").unwrap();
        apply_set(&mut d, "plan[0].quantity=9").unwrap();
        apply_set(&mut d, "hazards[a].kind=attack").unwrap();
        assert_eq!(d["seed"].as_integer(), Some(7));
        let a = d["hazards"].as_array().unwrap()[0].as_table().unwrap();
        assert!(a["rate_per_year"].as_table().unwrap().contains_key("pert"));
        assert_eq!(a["impact"]["severity"].as_float(), Some(0.5));
        assert_eq!(a["kind"].as_str(), Some("attack"));
        assert_eq!(d["plan"][0]["quantity"].as_integer(), Some(9));
        // Beyond TOML's integers, a whole number is still a number (for validation to
        // judge), not a word.
        apply_set(&mut d, "plan[0].quantity=10000000000000000000").unwrap();
        assert_eq!(d["plan"][0]["quantity"].as_float(), Some(1e19));
    }

    #[test]
    fn fixing_a_correlated_number_drops_its_correlations() {
        let mut d = doc(
            "[[correlations]]\nbetween = [\"a\", \"b\"]\nrank = 0.5\n[[correlations]]\nbetween = [\"b\", \"c\"]\nrank = 0.2\n",
        );
        assert_eq!(uncorrelate(&mut d, "c", "{ uniform = [1, 2] }"), None);
        let note = uncorrelate(&mut d, "a", "3").unwrap();
        assert!(
            note.contains("1 [[correlations]] entry naming it dropped"),
            "{note}"
        );
        assert_eq!(d["correlations"].as_array().unwrap().len(), 1);
        uncorrelate(&mut d, "b", "{ fixed = 3 }").unwrap();
        assert!(!d.contains_key("correlations"));
    }

    #[test]
    fn items_are_found_by_name_before_index() {
        let mut d = doc("[[sites]]\nname = \"1\"\nx = 1\n[[sites]]\nname = \"0\"\n");
        assert_eq!(
            apply_set(&mut d, "sites[0].kind=mine").unwrap(),
            "sites[0].kind"
        );
        assert_eq!(d["sites"][1]["kind"].as_str(), Some("mine"));
        // Paths come back as parameters are named: items by name.
        let mut d = doc("[[hazards]]\nname = \"bla\"\nexcited_by = [{ hazard = \"x\" }]\n");
        assert_eq!(
            apply_set(&mut d, "hazards[0].rate_per_year=3").unwrap(),
            "hazards[bla].rate_per_year"
        );
        assert_eq!(
            apply_set(&mut d, "hazards[bla].excited_by[x].jump=0.1").unwrap(),
            "hazards[bla].excited_by[0].jump"
        );
    }

    #[test]
    fn unknown_paths_are_refused_with_the_closest_valid_one() {
        let mut d = doc("[[hazards]]\nname = \"bla_attacks\"\nrate_per_year = 3\n");
        let e = apply_set(&mut d, "hazards[bla_attacks].rate_per_yer=4").unwrap_err();
        assert!(
            e.contains("did you mean `hazards[bla_attacks].rate_per_year`"),
            "{e}"
        );
        let e = apply_set(&mut d, "hazards[bla_atacks].rate_per_year=4").unwrap_err();
        assert!(
            e.contains("names an item the scenario does not have"),
            "{e}"
        );
        assert!(
            e.contains("did you mean `hazards[bla_attacks].rate_per_year`"),
            "{e}"
        );
        assert!(apply_set(&mut d, "no_equals_sign").is_err());
        assert!(apply_set(&mut d, "hazards[bla_attacks].rate_per_year.x=1").is_err());
        // A key cut short finds the key it begins, not a nearer word.
        let mut d = doc("[[sites]]\nname = \"m\"\ncommodity = \"ore\"\ncapacity_per_day = 5\n");
        let e = apply_set(&mut d, "sites[m].capacity=5").unwrap_err();
        assert!(
            e.contains("did you mean `sites[m].capacity_per_day`"),
            "{e}"
        );
    }
}
