//! Scenario files (TOML): reading, validation, and the built-in baseline.
//!
//! Reading goes raw file -> [`raw::RawScenario`] (every field optional and spanned) ->
//! checked [`Model`]. Validation collects every problem it finds, each with the file,
//! the line where the parser knows it, the key path (`hazards[bla_attacks].rate_per_year`)
//! and what would be valid. The format is documented in `docs/scenario-format.md`.

mod build;
pub(crate) mod raw;
pub mod resolve;
mod values;

use crate::error::{Error, Problem, Result, ScenarioProblems};
use crate::model::{Model, Param};
use std::path::Path;
pub use values::{Domain, MAX_MAGNITUDE};

/// The built-in baseline scenario (the same text as `scenarios/baseline.toml`).
pub const BASELINE_TOML: &str = include_str!("../../scenarios/baseline.toml");

/// The name under which the built-in baseline is reported.
pub const BASELINE_LABEL: &str = "<built-in baseline>";

/// Reads and validates a scenario file, with its parents (`extends`).
pub fn load(path: &Path) -> Result<Model> {
    load_with(Some(path), &[]).map(|(model, _)| model)
}

/// Resolves a scenario (the built-in baseline when `file` is `None`) with its parents
/// (`extends`) and the overrides `sets` (`KEY=VALUE`), and validates the result.
pub fn load_with(file: Option<&Path>, sets: &[String]) -> Result<(Model, resolve::Resolved)> {
    let mut r = resolve::resolve(file, sets)?;
    match parse(&r.text, &r.label) {
        Ok(model) => {
            r.notes.extend(model.supply_notes());
            Ok((model, r))
        }
        Err(Error::Scenario(mut e)) if !r.verbatim => {
            // Lines would point into the merged text, which the user never saw: a
            // problem in a parent's value points into the parent instead.
            e.file = r.describe();
            for p in &mut e.problems {
                p.line = None;
                p.source = r.source_of(&p.path);
            }
            e.notes = r.notes.clone();
            Err(Error::Scenario(e))
        }
        Err(e) => Err(e),
    }
}

/// The built-in baseline, validated.
pub fn baseline() -> Model {
    parse(BASELINE_TOML, BASELINE_LABEL).expect("the built-in baseline is valid (tested)")
}

/// Validates scenario text; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<Model> {
    let fail = |problems: Vec<Problem>| {
        Error::Scenario(ScenarioProblems {
            file: file.to_string(),
            problems,
            notes: Vec::new(),
        })
    };
    let de = toml::de::Deserializer::parse(text).map_err(|e| fail(vec![toml_problem(text, &e)]))?;
    let listed = lists_for_tables(text);
    if !listed.is_empty() {
        return Err(fail(listed));
    }
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(de, &mut track);
    let raw: raw::RawScenario =
        serde_ignored::deserialize(tracked, |p| unknown.push(p.to_string())).map_err(|e| {
            let mut problem = toml_problem(text, &e);
            problem.path = key_path(text, &track.path());
            if !problem.path.is_empty() {
                // (The path says where: the key of the line would repeat it.)
                problem.message = toml_message_alone(text, &e);
            }
            fail(vec![problem])
        })?;
    let mut b = Builder {
        text,
        problems: Vec::new(),
        params: Vec::new(),
    };
    for path in &unknown {
        b.unknown_key(&raw, path);
    }
    let model = b.scenario(&raw);
    if b.problems.is_empty() {
        Ok(model)
    } else {
        b.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(fail(b.problems))
    }
}

/// Lists where a table of keys belongs (an item of `[[sites]]` and the other lists, a
/// hazard's `impact` or `self_excitation`, an item of its `excited_by`): the
/// deserialiser would read a list into such a table by the order of its fields, and
/// accept it silently or refuse it in its own words.
fn lists_for_tables(text: &str) -> Vec<Problem> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut refuse = |path: String| {
        out.push(Problem {
            path,
            line: None,
            message: "got a list, where a table of keys belongs ([name] or { ... })".into(),
            source: None,
        })
    };
    let label = |i: usize, v: &toml::Value| {
        (v.get("name").or_else(|| v.get("hazard")))
            .and_then(toml::Value::as_str)
            .map_or(i.to_string(), str::to_string)
    };
    // (The lists are the top-level keys whose items have keys of their own.)
    let lists =
        (resolve::schema("").unwrap_or_default().iter()).filter(|k| resolve::schema(k).is_some());
    for &list in lists {
        let Some(toml::Value::Array(items)) = doc.get(list) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("{list}[{}]", label(i, item));
            if item.is_array() {
                refuse(path);
                continue;
            }
            if list != "hazards" {
                continue;
            }
            for key in ["impact", "self_excitation"] {
                if item.get(key).is_some_and(toml::Value::is_array) {
                    refuse(format!("{path}.{key}"));
                }
            }
            if let Some(toml::Value::Array(cross)) = item.get("excited_by") {
                for (j, c) in cross.iter().enumerate() {
                    if c.is_array() {
                        refuse(format!("{path}.excited_by[{}]", label(j, c)));
                    }
                }
            }
        }
    }
    out
}

fn toml_problem(text: &str, e: &toml::de::Error) -> Problem {
    Problem {
        path: String::new(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: toml_message(text, e),
        source: None,
    }
}

/// [`toml_message_alone`], with the key of the error's line where the parser names only
/// what is wrong (an invalid date), not where.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let message = toml_message_alone(text, e);
    // (Only for a date or time, which the parser refuses at its value; other syntax
    // errors can show on a later line than the key they belong to.)
    if !message.contains("invalid date") && !message.contains("invalid time") {
        return message;
    }
    message + &e.span().map_or(String::new(), |s| key_at(text, s.start))
}

/// The message of a TOML error, in the format's words, naming the key it is about
/// where the parser gives only the kind of problem (a key given twice).
fn toml_message_alone(text: &str, e: &toml::de::Error) -> String {
    let message = plain(e.message().trim());
    let key = e.span().and_then(|s| Some((s.start, text.get(s)?)));
    match key {
        Some((at, key)) if message == "duplicate key" && !key.is_empty() => {
            format!(
                "not valid TOML for a scenario: {}",
                duplicate(text, at, key)
            )
        }
        _ => format!("not valid TOML for a scenario: {message}"),
    }
}

/// A line of TOML without its comment, trimmed.
fn code(line: &str) -> &str {
    line.split('#').next().unwrap_or("").trim()
}

/// ` (in the value of `key`, in `[header]`)` for the line of `text` holding byte `at`,
/// if that line sets a key: where the parser's message names only what is wrong (an
/// invalid date), the key says where.
fn key_at(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = code(text[start..].lines().next().unwrap_or(""));
    let Some((key, _)) = line.split_once('=') else {
        return String::new();
    };
    let key = key.trim();
    let bare = |k: &str| {
        !k.is_empty()
            && (k.chars()).all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if !bare(key) {
        return String::new();
    }
    // (A table header: brackets around a bare or dotted name, not a line of an array.)
    let header = (text[..start].lines().rev()).map(code).find(|l| {
        let name = l.trim_start_matches('[').trim_end_matches(']').trim();
        l.starts_with('[') && l.ends_with(']') && bare(name)
    });
    match header {
        Some(h) => format!(" (in the value of `{key}`, in `{h}`)"),
        None => format!(" (in the value of `{key}`)"),
    }
}

/// What is wrong where `key`, at byte `at` of `text`, is given a second time, with the
/// line of the first where it can be found: the same key earlier in the same table, or
/// the same table header earlier in the file.
fn duplicate(text: &str, at: usize, key: &str) -> String {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let header = code(line);
    let before: Vec<&str> = text[..start].lines().collect();
    // An item of a list whose name an earlier line gave a plain table (`[sites]` for
    // `[[sites]]`) or a value (`routes = []`): the mistake is on that line.
    if let Some(name) = header
        .strip_prefix("[[")
        .and_then(|h| h.strip_suffix("]]"))
        .map(str::trim)
    {
        let table = before.iter().position(|l| code(l) == format!("[{name}]"));
        if let Some(i) = table {
            return format!(
                "`[[{name}]]` starts an item of the list `{name}`, but line {} has `[{name}]`, a single table; write `[[{name}]]` there too (each item of a list has its own `[[{name}]]` header)",
                i + 1
            );
        }
        // (A top-level key: before the first table header.)
        let value = (before.iter())
            .take_while(|l| !code(l).starts_with('['))
            .position(|l| {
                code(l).split_once('=').is_some_and(|(k, _)| {
                    let k = k.trim();
                    k == name
                        || k.strip_prefix(name)
                            .is_some_and(|rest| rest.starts_with('.'))
                })
            });
        if let Some(i) = value {
            return format!(
                "`[[{name}]]` starts an item of the list `{name}`, but line {} already gives `{name}` a value; remove that line (the `[[{name}]]` tables are the list)",
                i + 1
            );
        }
    }
    if header.starts_with('[') {
        let first = before.iter().rposition(|l| code(l) == header);
        let first = first.map_or(String::new(), |i| format!(" (first at line {})", i + 1));
        // The advice on list items only where the header's first name is a list.
        let list = header
            .trim_start_matches('[')
            .split('.')
            .next()
            .map(|name| format!("[[{}]]", name.trim()))
            .filter(|list| {
                text.lines()
                    .any(|l| l.trim_start().starts_with(list.as_str()))
            });
        if list.is_none() {
            return format!("the table `{header}` is given twice{first}; keep one");
        }
        return format!(
            "the table `{header}` is given twice for the same item{first}; an item of a \
             list starts with its own `[[...]]` header: check the spelling of the header \
             above it"
        );
    }
    // The same key earlier in the same table: back to the table's header (not for a
    // key inside an inline table, whose first is on its own line).
    if line[..at - start].contains('{') {
        return format!("the key `{key}` is given twice in the same table; keep one");
    }
    let first = before
        .iter()
        .rev()
        .take_while(|l| !l.trim_start().starts_with('['))
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|back| before.len() - back);
    let first = first.map_or(String::new(), |n| format!(" (first at line {n})"));
    format!("the key `{key}` is given twice in the same table{first}; keep one")
}

/// A deserialiser's message in the format's words: "expected struct RawImpact" is
/// "expected a table of keys", "expected a sequence" is "expected a list".
fn plain(message: &str) -> String {
    let mut out = message.replace("expected a sequence", "expected a list [...]");
    if let Some(at) = out.find("expected struct Raw") {
        let end = out[at + "expected struct ".len()..]
            .find(|c: char| !c.is_alphanumeric())
            .map_or(out.len(), |k| at + "expected struct ".len() + k);
        out.replace_range(at..end, "expected a table of keys ([name] or { ... })");
    }
    out
}

/// The key path of a value that failed to deserialise, as in other messages: an item of
/// a list of named tables by its name (`hazards[bla_attacks].regions`), else by its index.
fn key_path(text: &str, path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let doc = text.parse::<toml::Table>().ok().map(toml::Value::Table);
    let mut at = doc.as_ref();
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            // (The fields by which a `Spanned` value carries its position.)
            Segment::Map { key } if key.starts_with("$__") => {}
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
                at = at.and_then(|v| v.get(key.as_str()));
            }
            Segment::Seq { index } => {
                at = at.and_then(|v| v.get(*index));
                match at.and_then(|v| v.get("name")).and_then(|n| n.as_str()) {
                    Some(name) => out.push_str(&format!("[{name}]")),
                    None => out.push_str(&format!("[{index}]")),
                }
            }
            Segment::Enum { variant } => {
                out.push('.');
                out.push_str(variant);
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// The entries of a table with nested tables joined into dotted keys: a metric's name
/// holds dots, which TOML reads as nested tables unless the key is quoted
/// (`shortfall_fraction.antimony = [0.2]` is that metric).
pub(crate) fn dotted_entries(t: &toml::Table) -> Vec<(String, toml::Value)> {
    fn walk(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(inner) => walk(&key, inner, out),
                _ => out.push((key, v.clone())),
            }
        }
    }
    let mut out = Vec::new();
    walk("", t, &mut out);
    out
}

/// The key a line of TOML assigns, dotted parts joined, quotes and spaces aside
/// (`"a.b" = 1` and `a . b = 1` both give `a.b`), if it assigns one.
pub(crate) fn assigned_key(line: &str) -> Option<String> {
    let (lhs, _) = line.split_once('=')?;
    Some(
        lhs.chars()
            .filter(|c| !c.is_whitespace() && *c != '"')
            .collect(),
    )
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Collects problems and uncertain parameters while building a [`Model`].
pub(crate) struct Builder<'a> {
    text: &'a str,
    problems: Vec<Problem>,
    params: Vec<Param>,
}

impl Builder<'_> {
    fn err(
        &mut self,
        path: &str,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) {
        let line = span.map(|s| line_of(self.text, s.start));
        self.problems.push(Problem {
            path: path.to_string(),
            line,
            message: message.into(),
            source: None,
        });
    }

    fn missing(&mut self, path: &str) {
        self.err(path, None, "is required but missing");
    }

    /// Reports a key the format does not know, with its line when it can be found.
    fn unknown_key(&mut self, raw: &raw::RawScenario, serde_path: &str) {
        let mut parts: Vec<String> = Vec::new();
        let segs: Vec<&str> = serde_path
            .split('.')
            .filter(|s| *s != "?" && !s.starts_with("$__serde_spanned"))
            .collect();
        let mut item_start = 0;
        for seg in segs {
            match (seg.parse::<usize>(), parts.last_mut()) {
                (Ok(i), Some(last)) => {
                    let (label, start) = item_label(raw, last, i);
                    item_start = start.unwrap_or(item_start);
                    *last = format!("{last}[{label}]");
                }
                _ => parts.push(seg.to_string()),
            }
        }
        let key = parts.last().cloned().unwrap_or_default();
        let key = key.split('[').next().unwrap_or_default().to_string();
        let line = self.text[item_start..]
            .find(&format!("\n{key}"))
            .or_else(|| self.text[item_start..].find(&key))
            .map(|off| line_of(self.text, item_start + off + 1));
        // The closest key the table takes, as `--set` suggests one.
        let table: Vec<&str> = (parts.iter().take(parts.len().saturating_sub(1)))
            .map(|p| p.split('[').next().unwrap_or_default())
            .collect();
        let hint = if key == "remove" && table.len() == 1 {
            " (`remove = true` drops an item of the scenario this one extends, so it needs `extends`)"
                .to_string()
        } else {
            resolve::schema(&table.join("."))
                .and_then(|keys| {
                    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                    resolve::closest(&key, &keys).map(|c| format!(" (did you mean `{c}`?)"))
                })
                .unwrap_or_default()
        };
        let path = parts.join(".");
        self.problems.push(Problem {
            path,
            line,
            message: format!(
                "unknown key `{key}`{hint}; see docs/scenario-format.md for the keys each table takes"
            ),
            source: None,
        });
    }
}

/// The label (`name` when given, else the index) and start of the `i`-th item of a list.
fn item_label(raw: &raw::RawScenario, list: &str, i: usize) -> (String, Option<usize>) {
    fn pick<T>(
        v: &Option<Vec<toml::Spanned<T>>>,
        i: usize,
        name: impl Fn(&T) -> Option<&raw::S>,
    ) -> Option<(String, usize)> {
        let item = v.as_ref()?.get(i)?;
        let label = name(item.get_ref()).map(|s| s.get_ref().clone());
        Some((label.unwrap_or_else(|| i.to_string()), item.span().start))
    }
    let found = match list {
        "phases" => pick(&raw.phases, i, |x| x.name.as_ref()),
        "commodities" => pick(&raw.commodities, i, |x| x.name.as_ref()),
        "sites" => pick(&raw.sites, i, |x| x.name.as_ref()),
        "routes" => pick(&raw.routes, i, |x| x.name.as_ref()),
        "projects" => pick(&raw.projects, i, |x| x.name.as_ref()),
        "prospects" => pick(&raw.prospects, i, |x| x.name.as_ref()),
        "hazards" => pick(&raw.hazards, i, |x| x.name.as_ref()),
        "mitigations" => pick(&raw.mitigations, i, |x| x.name.as_ref()),
        _ => None,
    };
    match found {
        Some((label, start)) => (label, Some(start)),
        None => (i.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_scenario_without_a_start_starts_when_the_memorandum_was_signed() {
        let text = crate::scenario::BASELINE_TOML.replacen("start = \"2025-09-08\"", "", 1);
        assert!(text.len() < crate::scenario::BASELINE_TOML.len());
        let m = super::parse(&text, "no start").unwrap();
        assert_eq!(m.start, super::build::MOU_SIGNED);
        assert_eq!(m.start.to_string(), "2025-09-08");
    }

    #[test]
    fn deserialiser_messages_use_the_format_s_words() {
        assert_eq!(
            super::plain("invalid type: integer `3`, expected struct RawImpact"),
            "invalid type: integer `3`, expected a table of keys ([name] or { ... })"
        );
        assert_eq!(
            super::plain("invalid type: string \"a\", expected a sequence"),
            "invalid type: string \"a\", expected a list [...]"
        );
    }

    fn toml_error(text: &str) -> String {
        let e = text.parse::<toml::Table>().unwrap_err();
        super::toml_message(text, &e)
    }

    #[test]
    fn a_key_given_twice_is_named_with_the_line_of_the_first() {
        let top = "[a]\nx = 1\n\n[b]\ny = 2\n[a] # again\nz = 3\n";
        assert_eq!(
            toml_error(top),
            "not valid TOML for a scenario: the table `[a]` is given twice (first at line 1); keep one"
        );
        // A key of the same name in another table is not the first.
        let key = "[a]\nx = 1\n[b]\nx = 1\n  x= 2\n";
        assert_eq!(
            toml_error(key),
            "not valid TOML for a scenario: the key `x` is given twice in the same table (first at line 4); keep one"
        );
        // Within an inline table the first is not looked for (a key of that name in the
        // enclosing table is another key).
        assert_eq!(
            toml_error("[t]\nx = 0\ny = { x = 1, x = 2 }\n"),
            "not valid TOML for a scenario: the key `x` is given twice in the same table; keep one"
        );
        // A dotted header that is not under a list gets no advice on list items.
        assert_eq!(
            toml_error("[thresholds.a]\nx = [1]\n[thresholds.a]\ny = [2]\n"),
            "not valid TOML for a scenario: the table `[thresholds.a]` is given twice (first at line 1); keep one"
        );
    }
}
