//! Reading event files: ACLED and GTD CSV exports and the project's own
//! `seeds/incidents.csv`, detected from the header unless `--format` says.
//!
//! - ACLED: `event_date` as `2025-05-16` (API) or `16 May 2025` (some exports); the kind
//!   from `sub_event_type` when mapped, else `event_type`; the region from `admin1`;
//!   rows whose `country` is not Pakistan are counted and left out. Where the file has
//!   `time_precision`, an event dated only to its month (3) is kept as approximate, as
//!   GTD's unknown days are, and one dated to its week (2) is counted as such and taken
//!   at the date given. Other columns (`inter1`/`inter2` as numbers or text, and any
//!   extra column) are ignored.
//! - GTD: the date from `iyear`, `imonth`, `iday`. GTD writes 0 for an unknown month or
//!   day: a row with an unknown day is kept as approximate (the fit spreads such events
//!   evenly over their month); a row with an unknown month cannot be placed in time and
//!   is counted and left out. The kind from `attacktype1_txt` (attack), the region from `provstate`.
//! - incidents: `date`, `region`, `kind` as in `seeds/incidents.csv`.

use super::mapping::{Mapping, Region, Target};
use crate::error::{Error, Result};
use crate::model::HazardKind;
use crate::scenario::resolve::counted;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::path::Path;

/// Event file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// ACLED CSV export.
    Acled,
    /// Global Terrorism Database CSV export.
    Gtd,
    /// The project's `seeds/incidents.csv` layout.
    Incidents,
}

impl Format {
    /// The format as `--format` names it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Acled => "acled",
            Format::Gtd => "gtd",
            Format::Incidents => "incidents",
        }
    }

    /// The format in a message: "an ACLED file".
    pub fn a_file(self) -> &'static str {
        match self {
            Format::Acled => "an ACLED file",
            Format::Gtd => "a GTD file",
            Format::Incidents => "an incidents file (the layout of seeds/incidents.csv)",
        }
    }
}

/// One mapped event.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Day of the event.
    pub date: Date,
    /// Model region.
    pub region: String,
    /// Hazard kind.
    pub kind: HazardKind,
    /// Only the month is known (GTD `iday = 0`, ACLED `time_precision` 3): `date` is
    /// the first of the month.
    pub approximate: bool,
    /// Only the week is known (ACLED `time_precision` 2): taken at the date given.
    pub week: bool,
    /// The file's line on which the row starts (the header is line 1).
    pub line: usize,
    /// The row repeats an earlier one field for field. Kept: in a file without event
    /// ids two such rows may be two events (two attacks in a region on one day).
    pub repeated: bool,
}

impl Record {
    /// Whether the event counts in the window `from..=to`: its day, or for an event
    /// known only to its month, the middle of the month (the 16th), so that a window
    /// that starts or ends within a month counts its undated events when it holds most
    /// of the month, the same at either end.
    pub fn in_window(&self, from: Date, to: Date) -> bool {
        let day = if self.approximate {
            self.date
                .first_of_month()
                .saturating_add(jiff::Span::new().days(15))
        } else {
            self.date
        };
        from <= day && day <= to
    }
}

/// Events read from a file, with what could not be used.
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// The file they were read from.
    pub path: std::path::PathBuf,
    /// Mapped events.
    pub records: Vec<Record>,
    /// Rows left out, by reason (e.g. `unknown region "Xyz"`), with the lines they
    /// start on.
    pub left_out: BTreeMap<String, Vec<usize>>,
    /// Data rows read.
    pub rows: usize,
    /// The file was not UTF-8 and was read as Latin-1 (ISO-8859-1), as GTD's CSV is.
    pub latin1: bool,
    /// The format it was read as (`None` for events not read from a file).
    pub format: Option<Format>,
    /// The SHA-256 of the file's bytes, in hex (empty for events not read from a file).
    pub sha256: String,
}

/// Lines of a file's records, counted as far as the last one asked for, so that a file
/// is counted once however many records it has.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Bytes counted, and the line on which the first of the rest is.
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            at: 0,
            line: 1,
        }
    }

    /// The line (from 1, the header's) on which the record that the CSV reader places
    /// at byte `offset` starts. The reader places a record at the line ends before it:
    /// at the `\n` of a `\r\n`, or at the first of the blank lines it skips; so they
    /// are passed over here. (Its own line count lags by one after a `\r\n`.)
    fn of(&mut self, offset: u64) -> usize {
        let mut start = (offset as usize).min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if start < self.at {
            (self.at, self.line) = (0, 1);
        }
        self.line += self.bytes[self.at..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.at = start;
        self.line
    }
}

/// The line of the record at byte `offset` of `bytes` (see [`Lines::of`]), counted
/// from the start: for a single error.
fn line_at(bytes: &[u8], offset: u64) -> usize {
    Lines::new(bytes).of(offset)
}

/// A CSV error on the file `path` whose bytes are `bytes`, with the line it is on.
fn csv_error_in(path: &Path, bytes: &[u8], e: csv::Error) -> Error {
    let line = e.position().map(|p| line_at(bytes, p.byte()));
    csv_error_on(path, line, e)
}

/// A CSV error on `path` as an input error with its row (the CSV reader's own count).
pub fn csv_error(path: &Path, e: csv::Error) -> Error {
    let row = e.position().map(|p| p.line() as usize);
    csv_error_on(path, row, e)
}

/// A CSV error on `path` at line `row`, said plainly.
fn csv_error_on(path: &Path, row: Option<usize>, e: csv::Error) -> Error {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields where the header has {expected_len}; is this a CSV file?")
        }
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text; is this a CSV file?".to_string(),
        csv::ErrorKind::Io(err) => err.to_string(),
        _ => e.to_string(),
    };
    Error::Input {
        path: path.to_path_buf(),
        row,
        column: None,
        message,
    }
}

/// Parses an ACLED date: `2025-05-16` or `16 May 2025` (also `16-May-2025`).
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let spaced = s.replace('-', " ");
    ["%d %B %Y", "%d %b %Y"]
        .iter()
        .find_map(|f| Date::strptime(f, &spaced).ok())
}

/// Which format a header is.
pub fn detect(headers: &[String]) -> Option<Format> {
    let has = |c: &str| headers.iter().any(|h| h == c);
    if has("event_date") && has("event_type") {
        Some(Format::Acled)
    } else if has("iyear") && has("imonth") && has("iday") {
        Some(Format::Gtd)
    } else if has("date") && has("kind") && has("region") {
        Some(Format::Incidents)
    } else {
        None
    }
}

/// The field separator of a file, from its header (its first line with anything on it):
/// a comma, or a semicolon or tab where the header has more of those outside quotes (as
/// spreadsheets save CSV in some locales).
fn delimiter(bytes: &[u8]) -> u8 {
    let header = bytes
        .split(|&b| b == b'\n')
        .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or_default();
    let mut quoted = false;
    let outside: Vec<u8> = header
        .iter()
        .filter(|&&b| {
            quoted ^= b == b'"';
            !quoted && b != b'"'
        })
        .copied()
        .collect();
    let count = |d: u8| outside.iter().filter(|&&b| b == d).count();
    // On a tie the comma, listed last, wins.
    [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|&d| count(d))
        .unwrap_or(b',')
}

/// Where the file ends inside a quoted field: the offset of the quote that opened it,
/// read as the CSV reader reads quotes (RFC 4180: a quote opens a field only at its
/// start, two quotes within one stand for one) from `from`, the start of a record.
fn open_quote(bytes: &[u8], from: usize, delim: u8) -> Option<usize> {
    let (mut opened, mut field_start) = (None, true);
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        if opened.is_some() {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    opened = None;
                }
            }
        } else if field_start && b == b'"' {
            opened = Some(i);
            field_start = false;
        } else {
            field_start = b == delim || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    opened
}

/// Reads and maps every row of an event file.
pub fn read(path: &Path, format: Option<Format>, mapping: &Mapping) -> Result<Events> {
    let bytes = std::fs::read(path).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        row: None,
        column: None,
        message: format!("cannot be read: {e}"),
    })?;
    let input_err = |row: Option<usize>, column: Option<&str>, message: String| Error::Input {
        path: path.to_path_buf(),
        row,
        column: column.map(String::from),
        message,
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(input_err(
            None,
            None,
            "is empty: expected a CSV file with a header row".into(),
        ));
    }
    // GTD's CSV comes in Latin-1: a file that is not UTF-8 is read as Latin-1, each byte
    // the character of that number (which any byte sequence is), and the console says so.
    let sha256 = crate::report::files::sha256_hex(&bytes);
    let latin1 = std::str::from_utf8(&bytes).is_err();
    let bytes = if latin1 {
        bytes
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .into_bytes()
    } else {
        bytes
    };
    let delim = delimiter(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(delim)
        .from_reader(bytes.as_slice());
    // Column names are matched whatever their case (`EVENT_DATE`, `iYear`).
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error_in(path, &bytes, e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let format = match format.or_else(|| detect(&headers)) {
        Some(f) => f,
        None => {
            return Err(input_err(
                Some(1),
                Some("header"),
                format!(
                    "cannot tell the format from the header ({}); expected ACLED (event_date, event_type, admin1), GTD (iyear, imonth, iday, provstate) or incidents (date, region, kind), or pass --format",
                    headers
                        .iter()
                        .take(8)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    let required: &[&str] = match format {
        Format::Acled => &["event_date", "event_type", "admin1"],
        Format::Gtd => &["iyear", "imonth", "iday", "provstate"],
        Format::Incidents => &["date", "region", "kind"],
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    for r in required {
        if col(r).is_none() {
            return Err(input_err(
                Some(1),
                Some(r),
                format!(
                    "lacks the column `{r}`, which {} needs (it has: {})",
                    format.a_file(),
                    headers.join(", ")
                ),
            ));
        }
    }
    let get = |rec: &csv::StringRecord, name: &str| {
        col(name)
            .and_then(|i| rec.get(i))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let mut ev = Events {
        path: path.to_path_buf(),
        latin1,
        format: Some(format),
        sha256,
        ..Events::default()
    };
    let mut lines = Lines::new(&bytes);
    // ACLED's and GTD's event ids, where the file has them: a row that repeats one is
    // the same event listed twice (overlapping exports put together).
    let id = match format {
        Format::Acled => Some("event_id_cnty"),
        Format::Gtd => Some("eventid"),
        Format::Incidents => None,
    }
    .filter(|c| col(c).is_some());
    let mut ids = std::collections::HashSet::new();
    let mut whole_rows = std::collections::HashSet::new();
    let mut last_start = 0;
    for rec in rdr.records() {
        // A record of the wrong length may be one whose quoted field, never closed, took
        // the rest of the file: said as such.
        let rec = rec.map_err(|e| {
            let start = e.position().map(|p| p.byte() as usize);
            match start.and_then(|from| open_quote(&bytes, from, delim)) {
                Some(at) if matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) => {
                    never_closed(path, &bytes, at)
                }
                _ => csv_error_in(path, &bytes, e),
            }
        })?;
        last_start = rec.position().map_or(0, |p| p.byte() as usize);
        let row = rec.position().map_or(0, |p| lines.of(p.byte()));
        ev.rows += 1;
        let mut leave = |reason: String| ev.left_out.entry(reason).or_default().push(row);
        if let Some(c) = id {
            let value = get(&rec, c);
            if !value.is_empty() && !ids.insert(value) {
                leave(format!(
                    "repeats the {c} of an earlier row (the same event twice)"
                ));
                continue;
            }
        }
        // Without ids, a row equal field for field to an earlier one, found by a 64-bit
        // hash of its fields (two of a million different rows share one by chance with
        // odds of about 3 in 100 million).
        let repeated = id.is_none() && {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            rec.iter().for_each(|f| f.trim().hash(&mut h));
            !whole_rows.insert(h.finish())
        };
        let country = get(
            &rec,
            if format == Format::Gtd {
                "country_txt"
            } else {
                "country"
            },
        );
        if !country.is_empty() && !country.eq_ignore_ascii_case("pakistan") {
            leave(format!("outside Pakistan ({country})"));
            continue;
        }
        let (mut approximate, mut week) = (false, false);
        let (date, region_raw, kind) = match format {
            Format::Acled => {
                let raw = get(&rec, "event_date");
                let date = parse_date(&raw).ok_or_else(|| {
                    input_err(
                        Some(row),
                        Some("event_date"),
                        format!("`{raw}` is not a date like 2025-05-16 or 16 May 2025"),
                    )
                })?;
                // ACLED's certainty of the date: 1 the day, 2 the week, 3 the month.
                let precision = get(&rec, "time_precision");
                let date = match precision.as_str() {
                    "" | "1" => date,
                    "2" => {
                        week = true;
                        date
                    }
                    "3" => {
                        approximate = true;
                        date.first_of_month()
                    }
                    _ => {
                        return Err(input_err(
                            Some(row),
                            Some("time_precision"),
                            format!(
                                "`{precision}` is not an ACLED time precision: 1 (the day), 2 (the week) or 3 (the month)"
                            ),
                        ));
                    }
                };
                let (et, st) = (get(&rec, "event_type"), get(&rec, "sub_event_type"));
                let kind = match mapping.acled_kind(&et, &st) {
                    Some(t) => t.clone(),
                    None => {
                        leave(format!("unmapped event type \"{et}\" / \"{st}\""));
                        continue;
                    }
                };
                (date, get(&rec, "admin1"), kind)
            }
            Format::Gtd => {
                let num = |name: &str| -> Result<i64> {
                    let raw = get(&rec, name);
                    raw.parse::<f64>()
                        .ok()
                        .filter(|x| x.fract() == 0.0)
                        .map(|x| x as i64)
                        .ok_or_else(|| {
                            input_err(
                                Some(row),
                                Some(name),
                                format!("`{raw}` is not a whole number"),
                            )
                        })
                };
                let (y, mo, d) = (num("iyear")?, num("imonth")?, num("iday")?);
                if mo == 0 {
                    leave("unknown month (GTD imonth = 0)".into());
                    continue;
                }
                if !(1..=12).contains(&mo) {
                    return Err(input_err(
                        Some(row),
                        Some("imonth"),
                        format!("{mo} is not a month (1-12, or 0 for unknown)"),
                    ));
                }
                // (GTD covers 1970 on; a year out of any plausible range would wrap.)
                if !(1900..=2200).contains(&y) {
                    return Err(input_err(
                        Some(row),
                        Some("iyear"),
                        format!("{y} is not a year GTD could hold (1900 to 2200)"),
                    ));
                }
                if !(0..=31).contains(&d) {
                    return Err(input_err(
                        Some(row),
                        Some("iday"),
                        format!("{d} is not a day of the month (1-31, or 0 for unknown)"),
                    ));
                }
                approximate = d == 0;
                let date = Date::new(y as i16, mo as i8, d.max(1) as i8).map_err(|_| {
                    input_err(
                        Some(row),
                        Some("iday"),
                        format!("{y}-{mo}-{d} is not a calendar date"),
                    )
                })?;
                let at = get(&rec, "attacktype1_txt");
                let kind = match mapping.gtd_kind(&at) {
                    Some(t) => t.clone(),
                    None => {
                        leave(format!("unmapped attack type \"{at}\""));
                        continue;
                    }
                };
                (date, get(&rec, "provstate"), kind)
            }
            Format::Incidents => {
                let raw = get(&rec, "date");
                let date = raw.parse::<Date>().map_err(|_| {
                    input_err(
                        Some(row),
                        Some("date"),
                        format!("`{raw}` is not an ISO date like 2025-05-16"),
                    )
                })?;
                let k = get(&rec, "kind");
                // Whatever its case (`Attack`, as a spreadsheet may have capitalised it).
                let kind = match (HazardKind::ALL.iter())
                    .find(|x| x.as_str().eq_ignore_ascii_case(k.trim()))
                {
                    Some(x) => Target::Kind(*x),
                    None => {
                        return Err(input_err(
                            Some(row),
                            Some("kind"),
                            format!("`{k}` is not attack, protest or cyber"),
                        ));
                    }
                };
                (date, get(&rec, "region"), kind)
            }
        };
        let Target::Kind(kind) = kind else {
            leave("ignored event type (mapped to ignore)".into());
            continue;
        };
        match mapping.region(&region_raw) {
            Region::Model(r) => ev.records.push(Record {
                date,
                region: r.to_string(),
                kind,
                approximate,
                week,
                line: row,
                repeated,
            }),
            Region::Ignore => leave(format!("region \"{region_raw}\" mapped to ignore")),
            Region::Unknown => leave(format!("unknown region \"{region_raw}\"")),
        }
    }
    if ev.rows == 0 {
        return Err(input_err(None, None, "has a header but no rows".into()));
    }
    // The CSV reader ends a quoted field that is never closed at the end of the file,
    // which would take every row after it into that field, silently.
    if let Some(at) = open_quote(&bytes, last_start, delim) {
        return Err(never_closed(path, &bytes, at));
    }
    Ok(ev)
}

/// The error for a quoted field that opens at byte `at` of `bytes` and is never closed.
fn never_closed(path: &Path, bytes: &[u8], at: usize) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        row: Some(1 + bytes[..at].iter().filter(|&&b| b == b'\n').count()),
        column: None,
        message: format!(
            "a quoted field opens here and is never closed, so the rest of the file ({}) would be read as one field; close the quote (a quote inside a quoted field is written twice: \"\")",
            counted(
                bytes[at..].iter().filter(|&&b| b == b'\n').count(),
                "line",
                "lines"
            )
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_the_header_whatever_the_line_ends() {
        let lf = b"a,b\n1,2\n\"x\ny\",3\n4,5\n";
        let crlf = b"a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\r\n";
        // Blank lines, which the reader skips, before the last record.
        let blank = b"a,b\n1,2\n\"x\ny\",3\n\n\n\n4,5\n";
        let blank_crlf = b"a,b\r\n1,2\r\n\"x\r\ny\",3\r\n\r\n\r\n4,5\r\n";
        for (bytes, last) in [
            (&lf[..], 5),
            (&crlf[..], 5),
            (&blank[..], 8),
            (&blank_crlf[..], 7),
        ] {
            let mut rdr = csv::Reader::from_reader(bytes);
            let positions: Vec<u64> = rdr
                .records()
                .map(|r| r.unwrap().position().unwrap().byte())
                .collect();
            // The third record starts after a field that spans two lines (line 5), and
            // after the blank lines where there are some.
            let mut counted = Lines::new(bytes);
            let lines: Vec<usize> = positions.iter().map(|&p| counted.of(p)).collect();
            assert_eq!(lines, [2, 3, last], "{:?}", String::from_utf8_lossy(bytes));
            // Counted once through, or each from the start: the same.
            let each: Vec<usize> = positions.iter().map(|&p| line_at(bytes, p)).collect();
            assert_eq!(each, lines);
        }
    }

    #[test]
    fn a_quote_left_open_is_found_where_it_opens() {
        assert_eq!(open_quote(b"a,b\n1,\"x\n2,3\n", 0, b','), Some(6));
        // Closed, doubled, or not at a field's start: nothing open.
        assert_eq!(open_quote(b"a,b\n1,\"x\ny\",2\n", 0, b','), None);
        assert_eq!(open_quote(b"a,b\n1,\"say \"\"hi\"\"\"\n", 0, b','), None);
        assert_eq!(open_quote(b"a,b\n1,5\" pipe\n", 0, b','), None);
        assert_eq!(open_quote(b"a;b\r\n1;\"x\"y\r\n", 0, b';'), None);
        // A quote opened after a closed one, in the last record.
        assert_eq!(open_quote(b"1,\"x\",\"y\n", 0, b','), Some(6));
    }

    #[test]
    fn the_separator_is_read_from_the_header() {
        assert_eq!(delimiter(b"a,b,c\n1;2,3\n"), b',');
        assert_eq!(delimiter(b"a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(delimiter(b"single\n"), b',');
        assert_eq!(delimiter(b""), b',');
        // Separators inside quoted names do not count; blank lines before the header
        // are passed over.
        assert_eq!(
            delimiter(b"date;kind;\"killed, injured, missing\"\r\n1;2;3\r\n"),
            b';'
        );
        assert_eq!(delimiter(b"date,kind,\"a; b; c; d\"\n"), b',');
        assert_eq!(delimiter(b"\r\n\na;b;c\n"), b';');
    }

    #[test]
    fn an_undated_event_counts_where_the_window_holds_the_middle_of_its_month() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let undated = Record {
            date: d("2020-03-01"),
            region: "Sindh".into(),
            kind: HazardKind::Attack,
            approximate: true,
            week: false,
            line: 2,
            repeated: false,
        };
        // Starting on or before the 16th counts it; after, not; the same at the end.
        assert!(undated.in_window(d("2020-03-16"), d("2020-12-31")));
        assert!(!undated.in_window(d("2020-03-17"), d("2020-12-31")));
        assert!(undated.in_window(d("2019-01-01"), d("2020-03-16")));
        assert!(!undated.in_window(d("2019-01-01"), d("2020-03-15")));
        // A dated event counts by its day.
        let dated = Record {
            approximate: false,
            week: false,
            ..undated
        };
        assert!(dated.in_window(d("2020-03-01"), d("2020-03-01")));
        assert!(!dated.in_window(d("2020-03-02"), d("2020-12-31")));
    }

    #[test]
    fn both_acled_date_forms_parse() {
        let want = Date::constant(2025, 5, 16);
        assert_eq!(parse_date("2025-05-16"), Some(want));
        assert_eq!(parse_date("16 May 2025"), Some(want));
        assert_eq!(parse_date("16-May-2025"), Some(want));
        assert_eq!(parse_date("16 Mai 2025"), None);
    }
}
