//! Output files and the console table.
//!
//! Every file is written under a temporary name (`.shortfall-partial-NAME`) in the output folder
//! and renamed when the whole run has succeeded ([`OutDir::commit`]), so that a failed
//! or interrupted run never leaves a file that looks finished.

pub mod charts;
pub mod compare_charts;
pub mod files;
pub mod html;
pub mod png;

use crate::error::{Error, Result};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Which of a run's calendar years are partial, as a clause ("the first and last years
/// are partial"), or `None` when the run covers whole years.
pub fn partial_years(m: &crate::model::Model) -> Option<&'static str> {
    let first = m.start.month() != 1 || m.start.day() != 1;
    let last = m.horizon.month() != 12 || m.horizon.day() != 31;
    match (first, last) {
        _ if m.start.year() == m.horizon.year() && (first || last) => {
            Some("the one year is partial")
        }
        (true, true) => Some("the first and last years are partial"),
        (true, false) => Some("the first year is partial"),
        (false, true) => Some("the last year is partial"),
        (false, false) => None,
    }
}

/// The date of day `day` counted from `start` (rounded up to a whole day), or `None`
/// past what a calendar date can hold (9999-12-31), as a drawn duration of millions of
/// days can reach.
pub fn date_after(start: jiff::civil::Date, day: f64) -> Option<jiff::civil::Date> {
    let days = day.ceil();
    // (Beyond any date's reach, and within what a span of days may hold.)
    if days.is_nan() || days.abs() > 4e6 {
        return None;
    }
    start
        .checked_add(jiff::Span::new().try_days(days as i64).ok()?)
        .ok()
}

/// For each calendar year of the run, the factor that turns a count over the days it
/// covers into a count a year: the year's days over the days covered (1 for a whole
/// year).
pub fn annual_rate_factors(m: &crate::model::Model) -> Vec<f64> {
    let mut covered = vec![0u32; m.years.len()];
    for &y in &m.day_year {
        covered[y as usize] += 1;
    }
    (m.years.iter().zip(covered))
        .map(|(&year, days)| {
            f64::from(jiff::civil::date(year, 1, 1).days_in_year()) / f64::from(days.max(1))
        })
        .collect()
}

/// An error if one of the files `inputs` is in the folder `dir` under one of the names
/// `copies`, those of files the run writes (its copies of the scenarios, `calibrate`'s
/// outputs): called before the run's work, so that it stops at once rather than after
/// its trials.
pub fn refuse_replacing<P: AsRef<Path>>(
    dir: &Path,
    inputs: impl IntoIterator<Item = P>,
    copies: &[String],
) -> Result<()> {
    let Ok(folder) = std::fs::canonicalize(dir) else {
        // (A folder yet to be made holds nothing.)
        return Ok(());
    };
    for input in inputs {
        let Ok(input) = std::fs::canonicalize(input) else {
            continue;
        };
        let name = input.file_name().unwrap_or_default().to_string_lossy();
        if copies.iter().any(|c| *c == name) && input.parent() == Some(folder.as_path()) {
            return Err(replaces_input(&dir.join(&*name)));
        }
    }
    Ok(())
}

/// The error for an output file that would replace a file the run read.
fn replaces_input(path: &Path) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(
            "it is a file this run reads (one of its inputs); the results would replace it: give another --out, or move that file elsewhere (no file of this run was kept)",
        ),
    }
}

/// Holds `dir` against a second `shortfall` command writing into it at the same time
/// (two runs of a script into one default folder), whose files would mix with this
/// one's under the same temporary names: an advisory lock on the folder itself, which
/// the system releases when the run ends, however it ends (a crash or `kill -9`
/// included), so that no stale lock can stay. `None` where the folder cannot be locked
/// (a folder cannot be opened as a file on Windows; some network file systems have no
/// locks): such a folder is not guarded.
fn lock_folder(dir: &Path) -> Result<Option<File>> {
    let Ok(folder) = File::open(dir) else {
        return Ok(None);
    };
    match folder.try_lock() {
        Ok(()) => Ok(Some(folder)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Output {
            path: dir.to_path_buf(),
            source: std::io::Error::other(
                "another shortfall command is writing its results into this folder; give this one another --out, or run it once the other has finished (no file of this run was written)",
            ),
        }),
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

/// The prefix of a file a run writes, until it is renamed into place on commit.
const PARTIAL: &str = ".shortfall-partial-";
/// The prefix of an earlier run's file set aside while a commit moves this run's into
/// place.
const REPLACED: &str = ".shortfall-replaced-";
/// The name (after `PARTIAL`) of a commit's journal: the files it moves in under names
/// new to the folder, written before it sets any earlier file aside and removed once
/// all its files are in place. While it is there, the commit has not finished.
const JOURNAL: &str = "journal";

/// `n` and the noun, in the plural unless `n` is 1.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Clears what a run stopped at once (a second Ctrl-C, `kill -9`, a crash) left in
/// `dir`, which this run holds locked, so that no other command is writing them. Where
/// its commit had not finished (its journal, or other temporary files, `PARTIAL`, are
/// left), the earlier run's files that it had set aside (`REPLACED`) go back in place,
/// over any of its own already moved in, and those its journal lists as new to the
/// folder are removed, so that the folder holds the earlier run's files again; then
/// its temporary files are removed, the journal last. Where it had finished (only
/// set-aside files are left), they are removed. Each step can be done again, so that a
/// tidy that is itself stopped is finished by the next; where one fails, the journal
/// and temporary files stay for the next to retry, and this run is refused, since its
/// own commit would need the folder clear. Only files of those two prefixes, which
/// `shortfall` alone writes, and files that a journal of that prefix lists are touched.
/// Says what it did.
fn tidy(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let files: Vec<(String, PathBuf)> = (entries.flatten())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, path)| {
            // (A link to nothing set aside too, so not `is_file`, which follows links.)
            (name.starts_with(PARTIAL) || name.starts_with(REPLACED))
                && path.symlink_metadata().is_ok_and(|m| !m.is_dir())
        })
        .collect();
    // (The clock probe is written after every file is in place.)
    let clock = format!("{PARTIAL}clock");
    let journal = format!("{PARTIAL}{JOURNAL}");
    let unfinished = (files.iter()).any(|(name, _)| name.starts_with(PARTIAL) && *name != clock);
    let mut failed: Vec<String> = Vec::new();
    let fail = |failed: &mut Vec<String>, path: &Path, e: std::io::Error| {
        failed.push(format!("{}: {e}", path.display()))
    };
    let (mut removed, mut restored, mut dropped, mut new) = (0, 0, 0, 0);
    for (name, path) in &files {
        let Some(earlier) = name.strip_prefix(REPLACED) else {
            continue;
        };
        let done = if unfinished {
            std::fs::rename(path, dir.join(earlier)).map(|_| restored += 1)
        } else {
            std::fs::remove_file(path).map(|_| dropped += 1)
        };
        if let Err(e) = done {
            fail(&mut failed, path, e);
        }
    }
    if unfinished {
        let listed = dir.join(&journal);
        match std::fs::read_to_string(&listed) {
            Ok(text) => {
                for name in text.lines().filter(|name| is_plain(name)) {
                    let path = dir.join(name);
                    if path.symlink_metadata().is_ok() {
                        match std::fs::remove_file(&path) {
                            Ok(()) => new += 1,
                            Err(e) => fail(&mut failed, &path, e),
                        }
                    }
                }
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => fail(&mut failed, &listed, e),
            Err(_) => {}
        }
    }
    // Its temporary files once the rest is done, the journal last, so that a tidy
    // stopped or failed before then is done again by the next.
    if failed.is_empty() {
        let mut partial: Vec<&(String, PathBuf)> = (files.iter())
            .filter(|(name, _)| name.starts_with(PARTIAL))
            .collect();
        partial.sort_by_key(|(name, _)| *name == journal);
        for (name, path) in partial {
            match std::fs::remove_file(path) {
                Ok(()) => removed += usize::from(*name != clock && *name != journal),
                Err(e) => fail(&mut failed, path, e),
            }
        }
    }
    let mut done = Vec::new();
    if removed > 0 {
        done.push(format!(
            "removed {} of its own",
            count(removed, "temporary file", "temporary files")
        ));
    }
    if new > 0 {
        done.push(format!(
            "removed {} it had moved in",
            count(new, "file", "files")
        ));
    }
    if restored > 0 {
        done.push(format!(
            "put {} of the run before it, which it had set aside, back in place",
            count(restored, "file", "files")
        ));
    }
    if dropped > 0 {
        done.push(format!(
            "removed {} of the run before it, which it had set aside",
            count(dropped, "file", "files")
        ));
    }
    if !done.is_empty() {
        eprintln!(
            "note: {} had files of a run that was stopped before it finished: {}",
            dir.display(),
            done.join("; ")
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Output {
            path: dir.to_path_buf(),
            source: std::io::Error::other(format!(
                "holds what a run stopped before it finished left, and it could not all be cleared ({}); once that is fixed, the next shortfall command into this folder clears it (no file of this run was written)",
                failed.join("; ")
            )),
        })
    }
}

/// A plain file name of this folder that is not hidden: one that `shortfall` writes.
fn is_plain(name: &str) -> bool {
    Path::new(name).file_name() == Some(std::ffi::OsStr::new(name)) && !name.starts_with('.')
}

/// Removes the empty `folder` unless another command holds it (see [`lock_folder`]):
/// one that a run made for its output, and left, can since have become another's.
/// Whether it was removed.
fn remove_if_free(folder: &Path) -> bool {
    // (Held, where it can be, while it is removed, so that no command takes it then.)
    let handle = File::open(folder).ok();
    if let Some(h) = &handle
        && let Err(std::fs::TryLockError::WouldBlock) = h.try_lock()
    {
        return false;
    }
    std::fs::remove_dir(folder).is_ok()
}

/// An output folder whose files appear only on commit.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    pending: Vec<(PathBuf, PathBuf)>,
    /// Files this run read (its scenarios), never removed as an earlier run's.
    inputs: Vec<PathBuf>,
    /// The folders `create` made (the deepest first), removed again if they are still
    /// empty when the run ends without committing.
    created: Vec<PathBuf>,
    /// Whether `commit` renamed the files into place.
    committed: bool,
    /// The folder, held locked while this run writes into it (see [`lock_folder`]).
    _lock: Option<File>,
    /// For a test: the rename that fails (by its place in the list).
    #[cfg(test)]
    fail_rename: Option<usize>,
    /// For a test: the rename before which the run stops as if killed.
    #[cfg(test)]
    kill_at: Option<usize>,
}

impl OutDir {
    /// Creates the folder (and its parents) if needed.
    pub fn create(dir: &Path) -> Result<OutDir> {
        // The folder, or one it would be created in, that is a file.
        if let Some(file) = dir.ancestors().find(|a| a.exists() && !a.is_dir()) {
            let within = if file == dir {
                String::new()
            } else {
                format!(" (in the path `{}`)", dir.display())
            };
            return Err(Error::Usage {
                flag: "--out",
                message: format!(
                    "`{}` is a file, not a folder{within}; name a folder (it is created if missing)",
                    file.display()
                ),
            });
        }
        // A link to nothing, which `create_dir_all` would call "File exists".
        if let Some(link) = dir.ancestors().find(|a| !a.exists() && a.is_symlink()) {
            let target = std::fs::read_link(link).unwrap_or_default();
            return Err(Error::Usage {
                flag: "--out",
                message: format!(
                    "`{}` is a symbolic link (to `{}`) that leads to no folder: its target is missing, or the links make a loop; name another folder, or point the link at one",
                    link.display(),
                    target.display()
                ),
            });
        }
        // (Not through `.` or `..`, where the path as written is not the folder made:
        // nothing is then removed.)
        let plain = (dir.components()).all(|c| {
            !matches!(
                c,
                std::path::Component::CurDir | std::path::Component::ParentDir
            )
        });
        let created: Vec<PathBuf> = (dir.ancestors())
            .take_while(|a| plain && !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir).map_err(|source| Error::Output {
            path: dir.to_path_buf(),
            source,
        })?;
        let lock = lock_folder(dir)?;
        if lock.is_some() {
            tidy(dir)?;
        }
        Ok(OutDir {
            dir: dir.to_path_buf(),
            pending: Vec::new(),
            inputs: Vec::new(),
            created,
            committed: false,
            _lock: lock,
            #[cfg(test)]
            fail_rename: None,
            #[cfg(test)]
            kill_at: None,
        })
    }

    /// Marks the files this run read, so that commit never removes them, nor replaces
    /// one (see also [`refuse_replacing`], which stops a run at its start).
    pub fn read_from<P: AsRef<Path>>(&mut self, files: impl IntoIterator<Item = P>) {
        self.inputs.extend(
            files
                .into_iter()
                .filter_map(|f| std::fs::canonicalize(f).ok()),
        );
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Opens `name` for writing under its temporary name.
    pub fn open(&mut self, name: &str) -> Result<BufWriter<File>> {
        let tmp = self.dir.join(format!("{PARTIAL}{name}"));
        let file = File::create(&tmp).map_err(|source| Error::Output {
            path: tmp.clone(),
            source,
        })?;
        self.pending.push((tmp, self.dir.join(name)));
        Ok(BufWriter::new(file))
    }

    /// Writes a whole file (under its temporary name).
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let mut w = self.open(name)?;
        let path = self.dir.join(name);
        w.write_all(bytes)
            .and_then(|_| w.flush())
            .map_err(|source| Error::Output { path, source })
    }

    /// Renames every file to its final name; none when the run was interrupted (see
    /// [`crate::engine::interrupt`]) while they were written, so that it stops as it
    /// said it would. A run that writes `manifest.json` then removes the files that
    /// the folder's earlier `manifest.json` lists and this run did not write (a
    /// `compare` of two scenarios after one of four, a `run` after a `compare`), so that
    /// the folder holds one run's files; files no manifest lists are left alone, and so
    /// are listed ones changed since (edited by hand) or read by this run.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        crate::engine::stop_if_interrupted()?;
        // A folder in the way of one file is found before any is renamed (the
        // temporary files are then removed as `self` drops).
        if let Some((_, fin)) = self.pending.iter().find(|(_, fin)| fin.is_dir()) {
            return Err(Error::Output {
                path: fin.clone(),
                source: std::io::Error::other(
                    "a folder of that name is in the way; remove or rename it (no file of this run was kept)",
                ),
            });
        }
        // Nor is a file this run read replaced by one it wrote.
        if let Some((_, fin)) = (self.pending.iter())
            .find(|(_, fin)| std::fs::canonicalize(fin).is_ok_and(|c| self.inputs.contains(&c)))
        {
            return Err(replaces_input(fin));
        }
        let stale = self.stale();
        // First a journal lists the files this run moves in under names new to the
        // folder, so that if it is stopped at once from here on, the next run (see
        // [`tidy`]) removes them and puts back the earlier run's files, which are then
        // set aside: those this run replaces, and those it leaves behind. So a rename
        // that fails, too, leaves the folder as it was: none of this run's files under
        // its final name, and the earlier run's back in place.
        let journal = self.dir.join(format!("{PARTIAL}{JOURNAL}"));
        let new: Vec<&PathBuf> = (self.pending.iter())
            .map(|(_, fin)| fin)
            .filter(|fin| fin.symlink_metadata().is_err())
            .collect();
        let names: String = (new.iter())
            .filter_map(|fin| fin.file_name())
            .map(|name| format!("{}\n", name.to_string_lossy()))
            .collect();
        std::fs::write(&journal, names).map_err(|source| Error::Output {
            path: journal.clone(),
            source,
        })?;
        let mut aside: Vec<(PathBuf, PathBuf)> = Vec::new();
        // Where a step of the undo fails, the journal stays, and the next run finishes
        // it.
        let undo = |done: &[PathBuf], aside: &[(PathBuf, PathBuf)]| {
            let mut failed = Vec::new();
            for path in done.iter().filter(|path| new.contains(path)) {
                if let Err(e) = std::fs::remove_file(path) {
                    failed.push(format!("{}: {e}", path.display()));
                }
            }
            for (fin, kept) in aside {
                if let Err(e) = std::fs::rename(kept, fin) {
                    failed.push(format!("{}: {e}", fin.display()));
                }
            }
            if failed.is_empty() {
                let _ = std::fs::remove_file(&journal);
            } else {
                eprintln!(
                    "note: this run's changes to {} could not all be undone ({}): it holds files of both runs until the next shortfall command into it puts the earlier run's back",
                    self.dir.display(),
                    failed.join("; ")
                );
            }
        };
        // A Ctrl-C or SIGTERM while the files are moved stops the run all the same: the
        // moves so far are undone, as for a rename that fails.
        for fin in (self.pending.iter().map(|(_, fin)| fin)).chain(&stale) {
            if crate::engine::interrupted() {
                undo(&[], &aside);
                return Err(Error::Interrupted);
            }
            // (Any file, a link to nothing too, but not a folder: see above.)
            if fin.symlink_metadata().is_ok() {
                let name = fin.file_name().unwrap_or_default().to_string_lossy();
                let kept = self.dir.join(format!("{REPLACED}{name}"));
                if let Err(source) = std::fs::rename(fin, &kept) {
                    undo(&[], &aside);
                    return Err(Error::Output {
                        path: fin.clone(),
                        source,
                    });
                }
                aside.push((fin.clone(), kept));
            }
        }
        let mut done = Vec::new();
        #[cfg(test)]
        let mut killed = false;
        for (i, (tmp, fin)) in self.pending.iter().enumerate() {
            #[cfg(test)]
            if self.kill_at == Some(i) {
                killed = true;
                break;
            }
            let renamed = if crate::engine::interrupted() {
                Err(Error::Interrupted)
            } else {
                std::fs::rename(tmp, fin).map_err(|source| Error::Output {
                    path: fin.clone(),
                    source,
                })
            };
            #[cfg(test)]
            let renamed = match self.fail_rename {
                Some(k) if k == i => Err(Error::Output {
                    path: fin.clone(),
                    source: std::io::Error::other("a failure made by a test"),
                }),
                _ => renamed,
            };
            #[cfg(not(test))]
            let _ = i;
            if let Err(e) = renamed {
                undo(&done, &aside);
                return Err(e);
            }
            done.push(fin.clone());
        }
        #[cfg(test)]
        if killed {
            // As `kill -9` leaves the folder: nothing undone, nothing removed.
            self.pending.clear();
            self.committed = true;
            return Err(Error::Interrupted);
        }
        // (Kept, the journal would have the next run put the earlier files back.)
        if let Err(source) = std::fs::remove_file(&journal) {
            undo(&done, &aside);
            return Err(Error::Output {
                path: journal.clone(),
                source,
            });
        }
        self.pending.clear();
        for (_, kept) in &aside {
            let _ = std::fs::remove_file(kept);
        }
        // (An earlier command's files gone from a folder shared with it are named.)
        let gone: Vec<String> = (aside.iter())
            .filter(|(fin, _)| stale.contains(fin))
            .filter_map(|(fin, _)| fin.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        if !gone.is_empty() {
            let shown = match gone.len() {
                n if n > 6 => format!("{}, and {} more", gone[..5].join(", "), n - 5),
                _ => gone.join(", "),
            };
            eprintln!(
                "note: removed {} of the earlier results in {} that this command does not write (its manifest.json listed them): {shown}",
                count(gone.len(), "file", "files"),
                self.dir.display()
            );
        }
        let manifest = self.dir.join("manifest.json");
        if done.contains(&manifest) {
            self.outlast(&manifest);
        }
        self.committed = true;
        Ok(done)
    }

    /// Waits until the file system's clock, which ticks in steps of a few milliseconds,
    /// has moved past the time of `manifest`, so that a file edited after the run ends
    /// has a later time than it, and a later run keeps it as edited by hand (see
    /// `stale`). At most a few ticks; it gives up after half a second.
    fn outlast(&self, manifest: &Path) {
        let Some(written) = std::fs::metadata(manifest).and_then(|m| m.modified()).ok() else {
            return;
        };
        let probe = self.dir.join(format!("{PARTIAL}clock"));
        for _ in 0..500 {
            let now = std::fs::write(&probe, b"")
                .and_then(|_| std::fs::metadata(&probe))
                .and_then(|m| m.modified());
            match now {
                Ok(t) if t <= written => std::thread::sleep(std::time::Duration::from_millis(1)),
                _ => break,
            }
        }
        let _ = std::fs::remove_file(&probe);
    }

    /// The files of an earlier run that this one leaves behind: those its
    /// `manifest.json` lists (plain names in this folder) that this run does not write,
    /// when this run writes a manifest itself.
    fn stale(&self) -> Vec<PathBuf> {
        /// The fields of every manifest `shortfall` writes that say which files it did.
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Earlier {
            tool_version: String,
            arguments: Vec<String>,
            files: Vec<String>,
        }
        let manifest = self.dir.join("manifest.json");
        if !self.pending.iter().any(|(_, fin)| *fin == manifest) {
            return Vec::new();
        }
        let Some(earlier) = std::fs::read(&manifest)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Earlier>(&bytes).ok())
        else {
            return Vec::new();
        };
        let written = std::fs::metadata(&manifest).and_then(|m| m.modified()).ok();
        // As the earlier run left it: not modified after its manifest was written.
        let unchanged = |path: &Path| {
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            matches!((modified, written), (Some(t), Some(w)) if t <= w)
        };
        // Compared without case, as a case-insensitive file system would.
        let ours = |name: &str| {
            (self.pending.iter()).any(|(_, fin)| {
                fin.file_name()
                    .is_some_and(|f| f.to_string_lossy().eq_ignore_ascii_case(name))
            })
        };
        let read =
            |path: &Path| std::fs::canonicalize(path).is_ok_and(|p| self.inputs.contains(&p));
        earlier
            .files
            .iter()
            .filter(|name| {
                let plain = Path::new(name).file_name() == Some(std::ffi::OsStr::new(name));
                plain && !name.starts_with('.') && *name != "manifest.json" && !ours(name)
            })
            .map(|name| self.dir.join(name))
            .filter(|path| path.is_file() && unchanged(path) && !read(path))
            .collect()
    }
}

impl Drop for OutDir {
    /// Removes temporary files of a run that did not commit, and the folders it made
    /// for them; says so if the folder holds an earlier run's files, which a reader
    /// could take for this run's.
    fn drop(&mut self) {
        for (tmp, _) in &self.pending {
            let _ = std::fs::remove_file(tmp);
        }
        if self.committed {
            return;
        }
        // (This run's own lock first, so that it does not keep its folder.)
        self._lock = None;
        for folder in &self.created {
            // (Only an empty folder is removed; one that something else filled, or
            // another command holds, stays.)
            if !remove_if_free(folder) {
                break;
            }
        }
        // (Not where an undo that failed left the journal: see `commit`.)
        let mixed = self.dir.join(format!("{PARTIAL}{JOURNAL}")).exists();
        if self.created.is_empty() && self.dir.join("manifest.json").is_file() && !mixed {
            eprintln!(
                "note: no file of this run was written; {} still holds the files of an earlier run (see its manifest.json)",
                self.dir.display()
            );
        }
    }
}

/// Formats a number for CSV: shortest round-trip form, empty for NaN.
pub fn num(x: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, x);
    s
}

/// Appends `x` to `buf` as [`num`] formats it.
pub fn push_num(buf: &mut String, x: f64) {
    use std::fmt::Write;
    if !x.is_nan() {
        // (Writing to a String cannot fail.) Far from 1, in scientific notation, where
        // the plain form would run to hundreds of digits (1e-300, 1e300); both are the
        // shortest that reads back as the same number.
        let a = x.abs();
        let _ = if a != 0.0 && !(1e-9..1e16).contains(&a) {
            write!(buf, "{x:e}")
        } else {
            write!(buf, "{x}")
        };
    }
}

/// Maps an I/O or CSV error on `path` to an output error.
pub fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps a CSV error on `path` to an output error.
pub fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_run_that_does_not_commit_removes_only_the_folders_it_made() {
        let tmp = tempfile::tempdir().unwrap();
        // Made by the run, with its parent: both removed.
        drop(super::OutDir::create(&tmp.path().join("a").join("b")).unwrap());
        assert!(!tmp.path().join("a").exists());
        // There before, named through a folder the run makes and `..`: nothing removed.
        std::fs::create_dir(tmp.path().join("kept")).unwrap();
        let through = tmp.path().join("new").join("..").join("kept");
        let mut out = super::OutDir::create(&through).unwrap();
        out.write("x.csv", b"1").unwrap();
        drop(out);
        assert!(tmp.path().join("kept").is_dir());
        assert_eq!(
            std::fs::read_dir(tmp.path().join("kept")).unwrap().count(),
            0
        );
        // Committed: kept.
        let mut out = super::OutDir::create(&tmp.path().join("c")).unwrap();
        out.write("x.csv", b"1").unwrap();
        out.commit().unwrap();
        assert!(tmp.path().join("c").join("x.csv").is_file());
    }

    #[test]
    fn a_rename_that_fails_leaves_the_earlier_run_as_it_was() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let write_run = |content: &str, fail: Option<usize>| {
            let mut out = super::OutDir::create(dir).unwrap();
            out.fail_rename = fail;
            for name in ["a.csv", "b.csv", "c.csv"] {
                out.write(name, content.as_bytes()).unwrap();
            }
            out.commit()
        };
        write_run("old", None).unwrap();
        // The second file's rename fails: the first, already renamed, is removed, and
        // every earlier file is back.
        let err = write_run("new", Some(1)).unwrap_err().to_string();
        assert!(err.contains("b.csv: a failure made by a test"), "{err}");
        let mut left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["a.csv", "b.csv", "c.csv"]);
        for name in ["a.csv", "b.csv", "c.csv"] {
            assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), "old");
        }
        // And a run that succeeds replaces them all, leaving nothing aside.
        write_run("new", None).unwrap();
        assert_eq!(std::fs::read_dir(dir).unwrap().count(), 3);
        assert_eq!(std::fs::read_to_string(dir.join("b.csv")).unwrap(), "new");
    }

    /// The names of the files in `dir`, sorted.
    fn names_in(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn what_a_run_stopped_at_once_left_is_cleared_by_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let read =
            |dir: &std::path::Path, name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        // Killed while its commit moved its files in: a temporary file left, the
        // earlier run's files set aside, one of them already replaced. The earlier
        // run's files all go back; the user's files, whatever their names, stay.
        let dir = tmp.path().join("unfinished");
        std::fs::create_dir(&dir).unwrap();
        // Of the files its journal lists, the one it had moved in under a new name
        // goes; a file it does not list stays.
        for (name, content) in [
            (".shortfall-partial-trials.csv", "half"),
            (".shortfall-partial-journal", "new.csv\ntrials.csv\n"),
            (".shortfall-replaced-a.csv", "earlier a"),
            (".shortfall-replaced-b.csv", "earlier b"),
            ("b.csv", "new b"),
            ("new.csv", "new"),
            ("notes.txt", "the user's"),
            (".partial-thesis.tex", "the user's"),
            (".replaced-settings.json", "the user's"),
        ] {
            std::fs::write(dir.join(name), content).unwrap();
        }
        drop(super::OutDir::create(&dir).unwrap());
        assert_eq!(
            names_in(&dir),
            [
                ".partial-thesis.tex",
                ".replaced-settings.json",
                "a.csv",
                "b.csv",
                "notes.txt"
            ]
        );
        assert_eq!(read(&dir, "a.csv"), "earlier a");
        assert_eq!(read(&dir, "b.csv"), "earlier b");
        // Killed after its last move, before it removed its journal: not finished.
        let dir = tmp.path().join("journal");
        std::fs::create_dir(&dir).unwrap();
        for (name, content) in [
            (".shortfall-partial-journal", "c.csv\n"),
            (".shortfall-replaced-b.csv", "earlier b"),
            ("b.csv", "new b"),
            ("c.csv", "new c"),
        ] {
            std::fs::write(dir.join(name), content).unwrap();
        }
        drop(super::OutDir::create(&dir).unwrap());
        assert_eq!(names_in(&dir), ["b.csv"]);
        assert_eq!(read(&dir, "b.csv"), "earlier b");
        // Killed after its journal went: its files are all in place, and the set-aside
        // ones go, the earlier run's stale ones (without a file in their place) too.
        let dir = tmp.path().join("finished");
        std::fs::create_dir(&dir).unwrap();
        for (name, content) in [
            (".shortfall-replaced-b.csv", "earlier b"),
            ("b.csv", "new b"),
            (".shortfall-replaced-c.csv", "earlier c"),
            (".shortfall-partial-clock", ""),
        ] {
            std::fs::write(dir.join(name), content).unwrap();
        }
        drop(super::OutDir::create(&dir).unwrap());
        assert_eq!(names_in(&dir), ["b.csv"]);
        assert_eq!(read(&dir, "b.csv"), "new b");
    }

    #[test]
    fn a_clean_up_stopped_or_failed_half_way_is_finished_by_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        // A run killed while it moved c.csv (new) and a.csv, b.csv in; the clean-up
        // after it was killed in turn, once it had put b.csv back and removed a
        // temporary file: the journal and the rest stay, and the next finishes.
        for (name, content) in [
            (".shortfall-partial-journal", "c.csv\n"),
            (".shortfall-replaced-a.csv", "earlier a"),
            ("a.csv", "new a"),
            ("b.csv", "earlier b"),
            ("c.csv", "new c"),
        ] {
            std::fs::write(dir.join(name), content).unwrap();
        }
        drop(super::OutDir::create(dir).unwrap());
        assert_eq!(names_in(dir), ["a.csv", "b.csv"]);
        assert_eq!(
            (read("a.csv"), read("b.csv")),
            ("earlier a".into(), "earlier b".into())
        );
        // Once it is done, the journal alone left is a no-op.
        std::fs::write(dir.join(".shortfall-partial-journal"), "c.csv\n").unwrap();
        drop(super::OutDir::create(dir).unwrap());
        assert_eq!(names_in(dir), ["a.csv", "b.csv"]);
        // A file that cannot be put back (a folder in its place): the command is
        // refused, and the journal and the set-aside file stay for the next, which
        // puts it back once the folder is gone.
        std::fs::write(dir.join(".shortfall-partial-journal"), "").unwrap();
        std::fs::write(dir.join(".shortfall-replaced-d.csv"), "earlier d").unwrap();
        std::fs::create_dir(dir.join("d.csv")).unwrap();
        std::fs::write(dir.join("d.csv").join("x"), "").unwrap();
        let err = super::OutDir::create(dir).unwrap_err().to_string();
        assert!(err.contains("could not all be cleared"), "{err}");
        assert!(dir.join(".shortfall-partial-journal").is_file());
        assert!(dir.join(".shortfall-replaced-d.csv").is_file());
        std::fs::remove_dir_all(dir.join("d.csv")).unwrap();
        drop(super::OutDir::create(dir).unwrap());
        assert_eq!(names_in(dir), ["a.csv", "b.csv", "d.csv"]);
        assert_eq!(read("d.csv"), "earlier d");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_the_place_of_an_output_is_put_back_when_a_commit_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::os::unix::fs::symlink("/nonexistent/mydata.csv", dir.join("b.csv")).unwrap();
        let mut out = super::OutDir::create(dir).unwrap();
        out.fail_rename = Some(1);
        for name in ["a.csv", "b.csv"] {
            out.write(name, b"new").unwrap();
        }
        assert!(out.commit().is_err());
        assert_eq!(names_in(dir), ["b.csv"]);
        assert_eq!(
            std::fs::read_link(dir.join("b.csv")).unwrap(),
            std::path::Path::new("/nonexistent/mydata.csv")
        );
        // Killed once it had set the link aside and moved a.csv in: the next command
        // puts the link back.
        let mut out = super::OutDir::create(dir).unwrap();
        out.kill_at = Some(1);
        for name in ["a.csv", "b.csv"] {
            out.write(name, b"new").unwrap();
        }
        assert!(out.commit().is_err());
        assert!(
            dir.join(".shortfall-replaced-b.csv")
                .symlink_metadata()
                .is_ok()
        );
        drop(super::OutDir::create(dir).unwrap());
        assert_eq!(names_in(dir), ["b.csv"]);
        assert_eq!(
            std::fs::read_link(dir.join("b.csv")).unwrap(),
            std::path::Path::new("/nonexistent/mydata.csv")
        );
    }

    #[test]
    fn a_run_killed_while_it_moves_its_files_in_is_undone_by_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let manifest =
            |files: &[&str]| format!(r#"{{"tool_version":"0","arguments":[],"files":{files:?}}}"#);
        let mut out = super::OutDir::create(dir).unwrap();
        for name in ["a.csv", "old.csv"] {
            out.write(name, b"earlier").unwrap();
        }
        (out.write("manifest.json", manifest(&["a.csv", "old.csv"]).as_bytes())).unwrap();
        out.commit().unwrap();
        // The next run writes a.csv and new.csv, and leaves old.csv behind; it is
        // killed after it has moved in a.csv and new.csv.
        let mut out = super::OutDir::create(dir).unwrap();
        out.kill_at = Some(2);
        for name in ["a.csv", "new.csv"] {
            out.write(name, b"killed").unwrap();
        }
        (out.write("manifest.json", manifest(&["a.csv", "new.csv"]).as_bytes())).unwrap();
        assert!(out.commit().is_err());
        assert!(names_in(dir).contains(&"new.csv".to_string()));
        assert!(!names_in(dir).contains(&"old.csv".to_string()));
        drop(super::OutDir::create(dir).unwrap());
        assert_eq!(names_in(dir), ["a.csv", "manifest.json", "old.csv"]);
        for name in ["a.csv", "old.csv"] {
            assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), "earlier");
        }
        assert!(
            std::fs::read_to_string(dir.join("manifest.json"))
                .unwrap()
                .contains("old.csv")
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_output_folder_through_a_link_to_nothing_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("dang");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
        for dir in [link.clone(), link.join("sub")] {
            let err = super::OutDir::create(&dir).unwrap_err().to_string();
            assert!(
                err.contains("dang` is a symbolic link (to `")
                    && err.contains("nowhere`) that leads to no folder"),
                "{err}"
            );
        }
        // Links in a loop: named as such, not as a missing target.
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let err = super::OutDir::create(&a).unwrap_err().to_string();
        assert!(err.contains("or the links make a loop"), "{err}");
    }

    #[test]
    fn a_folder_made_for_a_run_that_another_command_has_since_taken_stays() {
        // A run into p/q made both; while it ran, another command took p as its output
        // folder. When the first stops, it removes q, but not p.
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("p");
        let out = super::OutDir::create(&p.join("q")).unwrap();
        let other = std::fs::File::open(&p).unwrap();
        other.try_lock().unwrap();
        drop(out);
        assert!(p.is_dir() && !p.join("q").exists());
        // Free, the folders a run made go with it.
        drop(other);
        std::fs::remove_dir(&p).unwrap();
        drop(super::OutDir::create(&p.join("q")).unwrap());
        assert!(!p.exists());
    }

    #[test]
    fn csv_numbers_read_back_and_stay_short() {
        for (x, text) in [
            (0.25, "0.25"),
            (1e-300, "1e-300"),
            (-3.5e300, "-3.5e300"),
            (123456789.5, "123456789.5"),
            (0.0000038, "0.0000038"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
        ] {
            let s = super::num(x);
            assert_eq!(s, text);
            assert_eq!(s.parse::<f64>().unwrap(), x);
        }
        assert_eq!(super::num(f64::NAN), "");
    }

    use super::partial_years;
    use jiff::civil::date;

    #[test]
    fn a_partial_year_is_scaled_to_a_whole_one() {
        // 2025-09-08 to 2032-12-31: 2025 has 115 days, 2028 is a leap year.
        let mut m = crate::scenario::baseline();
        let f = super::annual_rate_factors(&m);
        assert_eq!(f.len(), 8);
        assert_eq!(f[0], 365.0 / 115.0);
        assert!(f[1..].iter().all(|&x| x == 1.0), "{f:?}");
        // A horizon within its year: 2026-01-01 to 2026-03-01 is 60 days.
        m = crate::scenario::parse(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/valid_small.toml"
            ))
            .unwrap()
            .replace("horizon = \"2027-12-31\"", "horizon = \"2026-03-01\""),
            "small.toml",
        )
        .unwrap();
        assert_eq!(super::annual_rate_factors(&m), [365.0 / 60.0]);
    }

    #[test]
    fn partial_years_are_named_only_when_partial() {
        let mut m = crate::scenario::baseline();
        // 2025-09-08 to 2032-12-31.
        assert_eq!(partial_years(&m), Some("the first year is partial"));
        m.horizon = date(2032, 6, 30);
        assert_eq!(
            partial_years(&m),
            Some("the first and last years are partial")
        );
        m.start = date(2026, 1, 1);
        assert_eq!(partial_years(&m), Some("the last year is partial"));
        m.horizon = date(2032, 12, 31);
        assert_eq!(partial_years(&m), None);
        m.horizon = date(2026, 12, 30);
        assert_eq!(partial_years(&m), Some("the one year is partial"));
    }
}
