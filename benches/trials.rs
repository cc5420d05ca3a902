//! Benchmarks: one baseline trial, and a 10,000-trial run on all cores.
//! `cargo bench --bench trials`; figures are in the README.

use criterion::{Criterion, criterion_group, criterion_main};
use shortfall::engine::trial::{Scratch, run_trial};
use shortfall::engine::{self, Compiled};
use std::hint::black_box;

fn one_trial(c: &mut Criterion) {
    let compiled = Compiled::new(shortfall::scenario::baseline());
    let mut scratch = Scratch::default();
    let mut t = 0;
    c.bench_function("baseline: one trial", |b| {
        b.iter(|| {
            t += 1;
            black_box(run_trial(&compiled, 20_250_908, t, None, &mut scratch))
        })
    });
}

fn ten_thousand(c: &mut Criterion) {
    let compiled = Compiled::new(shortfall::scenario::baseline());
    let mut g = c.benchmark_group("baseline: 10,000 trials, all cores");
    g.sample_size(10);
    g.bench_function("run", |b| {
        b.iter(|| {
            let agg = engine::run(&compiled, 1, 10_000, |_, _| Ok(()), |_| {}).unwrap();
            black_box(agg.trials)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotting would need system fonts.
    config = Criterion::default().without_plots();
    targets = one_trial, ten_thousand
}
criterion_main!(benches);
