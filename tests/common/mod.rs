//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses some of them

use shortfall::engine::outcome::TrialOutcome;
use shortfall::engine::{self, Compiled};

/// `tests/valid_small.toml` with each `(from, to)` replaced once (each must occur).
pub fn small_text(replace: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/valid_small.toml"
    ))
    .unwrap();
    for (a, b) in replace {
        assert!(text.contains(a), "{a}");
        text = text.replacen(a, b, 1);
    }
    text
}

/// Every trial's outcome of a run on `threads` threads, in trial order.
pub fn outcomes(c: &Compiled, seed: u64, n: u64, threads: usize) -> Vec<TrialOutcome> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut all = Vec::new();
    pool.install(|| {
        engine::run(
            c,
            seed,
            n,
            |_, chunk| {
                all.extend_from_slice(chunk);
                Ok(())
            },
            |_| {},
        )
    })
    .unwrap();
    all
}

/// A CSV file's header and rows, as text.
pub fn csv_rows(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}
