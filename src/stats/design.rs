//! Sampling designs and the statistics that check them: Latin hypercube columns,
//! rank correlation induced by the method of Iman and Conover, correlation matrices,
//! Spearman's rank correlation with its confidence interval, and the one-sample
//! Kolmogorov-Smirnov distance to the uniform distribution.
//!
//! The designs work on uniforms in (0, 1), which [`crate::model::Dist::quantile`]
//! turns into draws of any distribution; rearranging values within a column leaves
//! its marginal distribution untouched.
//!
//! References: M. D. McKay, R. J. Beckman and W. J. Conover (1979), *Technometrics*
//! 21(2), 239-245 (Latin hypercube sampling); R. L. Iman and W. J. Conover (1982),
//! *Communications in Statistics - Simulation and Computation* 11(3), 311-334 (rank
//! correlation); E. C. Fieller, H. O. Hartley and E. S. Pearson (1957), *Biometrika*
//! 44, 470-481 (the standard error of Spearman's rho in Fisher's z).

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use statrs::function::erf::erfc_inv;

/// The smallest pivot (the value under the square root) that [`cholesky`] accepts:
/// below it the matrix is treated as singular.
pub const MIN_PIVOT: f64 = 1e-10;

/// Largest difference between `m[i][j]` and `m[j][i]` that still counts as symmetric.
pub const SYMMETRY_TOLERANCE: f64 = 1e-12;

/// One column of a Latin hypercube of `n` points: the interval (0, 1) is cut into
/// `n` strata of width `1 / n`, each stratum holds exactly one value, and the strata
/// come in random order. Value `i` is `(perm[i] + v[i]) / n`, with `perm` a random
/// permutation of `0..n` and `v[i]` uniform in `[0, 1)`.
///
/// Every value lies strictly inside (0, 1), so that inverse distribution functions
/// stay finite; a value that rounding would put on 0 or 1 is moved in by at most
/// one unit in the last place.
pub fn lhs_column(n: usize, rng: &mut impl Rng) -> Vec<f64> {
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(rng);
    let lowest = f64::EPSILON / 2.0;
    let highest = 1.0 - f64::EPSILON / 2.0;
    perm.into_iter()
        .map(|k| {
            let v: f64 = rng.random();
            ((k as f64 + v) / n as f64).clamp(lowest, highest)
        })
        .collect()
}

/// Checks that `m` is a valid correlation matrix: square, every entry a number
/// between -1 and 1, ones on the diagonal, symmetric (to within
/// [`SYMMETRY_TOLERANCE`]), and positive definite (its Cholesky factorization
/// succeeds with pivots above [`MIN_PIVOT`]).
///
/// # Errors
///
/// A sentence saying what is wrong, naming rows and columns from 1, e.g. "the entry
/// in row 1, column 2 is 1.3, but a correlation lies between -1 and 1".
pub fn is_correlation_matrix(m: &[Vec<f64>]) -> Result<(), String> {
    let k = m.len();
    if k == 0 {
        return Err("the correlation matrix is empty".to_string());
    }
    if let Some((i, row)) = m.iter().enumerate().find(|(_, row)| row.len() != k) {
        return Err(format!(
            "row {} has {} entries, but there are {k} rows; a correlation matrix is \
             square, with one row and one column per variable",
            i + 1,
            row.len()
        ));
    }
    for (i, row) in m.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            if !x.is_finite() {
                return Err(format!(
                    "the entry in row {}, column {} is {x}, not a number",
                    i + 1,
                    j + 1
                ));
            }
        }
    }
    for (i, row) in m.iter().enumerate() {
        if row[i] != 1.0 {
            return Err(format!(
                "the diagonal entry in row {} is {}, but every variable has correlation \
                 1 with itself",
                i + 1,
                row[i]
            ));
        }
    }
    for (i, row) in m.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            if !(-1.0..=1.0).contains(&x) {
                return Err(format!(
                    "the entry in row {}, column {} is {x}, but a correlation lies \
                     between -1 and 1",
                    i + 1,
                    j + 1
                ));
            }
        }
    }
    for (i, row) in m.iter().enumerate() {
        for (j, other) in m.iter().enumerate().skip(i + 1) {
            if (row[j] - other[i]).abs() > SYMMETRY_TOLERANCE {
                return Err(format!(
                    "the matrix is not symmetric: row {i1}, column {j1} is {} but row \
                     {j1}, column {i1} is {}; the correlation of two variables is the \
                     same either way round",
                    row[j],
                    other[i],
                    i1 = i + 1,
                    j1 = j + 1
                ));
            }
        }
    }
    if cholesky(m).is_none() {
        let rows: Vec<String> = contradiction(m)
            .iter()
            .map(|i| (i + 1).to_string())
            .collect();
        return Err(format!(
            "the matrix is not positive definite: the correlations between rows {} \
             contradict each other (for example a~b 0.9, b~c 0.9 and a~c -0.9 cannot all \
             hold at once), or some variables are perfectly correlated; weaken the \
             strongest ones",
            rows.join(", ")
        ));
    }
    Ok(())
}

/// The variables (indices from 0) of a smallest set whose correlations contradict each
/// other, in a symmetric matrix with ones on its diagonal that is not positive
/// definite: a pair or a triple if one fails on its own (tried in order), otherwise the
/// variables up to the one at which the Cholesky factorization fails. Empty when the
/// matrix is positive definite.
pub fn contradiction(m: &[Vec<f64>]) -> Vec<usize> {
    let sub = |ix: &[usize]| -> Vec<Vec<f64>> {
        ix.iter()
            .map(|&i| ix.iter().map(|&j| m[i][j]).collect())
            .collect()
    };
    let k = m.len();
    if cholesky(m).is_some() {
        return Vec::new();
    }
    for i in 0..k {
        for j in i + 1..k {
            if cholesky(&sub(&[i, j])).is_none() {
                return vec![i, j];
            }
        }
    }
    for i in 0..k {
        for j in i + 1..k {
            for l in j + 1..k {
                if cholesky(&sub(&[i, j, l])).is_none() {
                    return vec![i, j, l];
                }
            }
        }
    }
    let first_failing = (1..=k)
        .find(|&n| cholesky(&sub(&(0..n).collect::<Vec<_>>())).is_none())
        .unwrap_or(k);
    (0..first_failing).collect()
}

/// The Cholesky factor of a symmetric positive definite matrix: the lower triangular
/// `L` with `L L^T = m`. Only the lower triangle of `m` is read.
///
/// `None` when `m` is not square or not positive definite, which here means that a
/// pivot (the value whose square root becomes a diagonal entry of `L`) is not above
/// [`MIN_PIVOT`], or is not a number.
pub fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = m.len();
    if m.iter().any(|row| row.len() != k) {
        return None;
    }
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let s = m[i][j] - (0..j).map(|p| l[i][p] * l[j][p]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= MIN_PIVOT {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// Rearranges the values within each column so that the rank correlations between
/// the columns approach `target`, by the method of Iman and Conover (1982).
///
/// Every column keeps exactly its own values, only their order changes, so each
/// marginal distribution is untouched; the values need not be uniforms. All columns
/// must have the same length `n`, and `target` must be a `k x k` correlation matrix
/// for `k` columns (see [`is_correlation_matrix`]).
///
/// The steps: a score matrix `S` of `n` rows whose columns are independent random
/// permutations of the van der Waerden scores `Phi^-1(i / (n + 1))`, `i = 1..n`; the
/// Cholesky factors `F` of the sample correlation of `S` and `C` of the target; the
/// matrix `T = S (C F^-1)^T`, whose columns have exactly the target's Pearson
/// correlation; finally each input column is reordered so that its ranks are those
/// of the corresponding column of `T`. Correcting by `F` (Iman and Conover's own
/// refinement) removes the chance correlation of the random scores.
///
/// One adjustment to the textbook method: the rank correlation of normal variables
/// with Pearson correlation `r` is `(6 / pi) asin(r / 2)` (Pearson, 1907), slightly
/// smaller in magnitude than `r` (0.683 for 0.7). So the target rank correlation
/// `rho` is first turned into the Pearson correlation `2 sin(pi rho / 6)` that
/// produces it, and the Spearman correlations of the result converge to `target`
/// itself. Should the converted matrix not be positive definite, `target` is used
/// unconverted.
///
/// Nothing happens with fewer than two columns or fewer than three rows. When the
/// scores' own correlation is singular (fewer rows than columns plus two, roughly),
/// the correction by `F` is left out.
///
/// # Panics
///
/// If the columns differ in length, if `target` is not `k x k`, or if it is not
/// positive definite.
pub fn iman_conover(columns: &mut [Vec<f64>], target: &[Vec<f64>], rng: &mut impl Rng) {
    let k = columns.len();
    assert!(
        target.len() == k && target.iter().all(|row| row.len() == k),
        "iman_conover: the target must be {k} x {k}, one row and column per column"
    );
    if k < 2 {
        return;
    }
    let n = columns[0].len();
    assert!(
        columns.iter().all(|c| c.len() == n),
        "iman_conover: the columns differ in length"
    );
    if n < 3 {
        return;
    }
    let pearson: Vec<Vec<f64>> = target
        .iter()
        .map(|row| {
            row.iter()
                .map(|&rho| 2.0 * (std::f64::consts::PI * rho / 6.0).sin())
                .collect()
        })
        .collect();
    let c = cholesky(&pearson)
        .or_else(|| cholesky(target))
        .expect("iman_conover: the target is not positive definite");

    // Scores, one independent random permutation per column; s[j] is column j.
    let scores: Vec<f64> = (1..=n)
        .map(|i| std_normal_quantile(i as f64 / (n + 1) as f64))
        .collect();
    let s: Vec<Vec<f64>> = (0..k)
        .map(|_| {
            let mut col = scores.clone();
            col.shuffle(rng);
            col
        })
        .collect();

    // The sample correlation of the scores and its Cholesky factor (the identity
    // when it is singular).
    let e = correlation(&s);
    let f = cholesky(&e).unwrap_or_else(|| {
        (0..k)
            .map(|i| (0..k).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect()
    });

    // Row by row, t = C F^-1 s: forward substitution, then the product with C.
    let mut t = vec![vec![0.0; n]; k];
    let mut y = vec![0.0; k];
    for r in 0..n {
        for i in 0..k {
            let acc = s[i][r] - (0..i).map(|p| f[i][p] * y[p]).sum::<f64>();
            y[i] = acc / f[i][i];
        }
        for i in 0..k {
            t[i][r] = (0..=i).map(|p| c[i][p] * y[p]).sum();
        }
    }

    // Give each column the ranks of its column of T: the row holding the r-th
    // smallest entry of T gets the r-th smallest value.
    let mut order: Vec<usize> = (0..n).collect();
    for (col, tcol) in columns.iter_mut().zip(&t) {
        let mut sorted = col.clone();
        sorted.sort_by(f64::total_cmp);
        for (r, i) in order.iter_mut().enumerate() {
            *i = r;
        }
        order.sort_by(|&a, &b| tcol[a].total_cmp(&tcol[b]));
        for (&row, &v) in order.iter().zip(&sorted) {
            col[row] = v;
        }
    }
}

/// The ranks of `x`, from 1 for the smallest value; tied values share the average
/// of the ranks they span (so `[10, 20, 20, 5]` has ranks `[2, 3.5, 3.5, 1]`).
/// Values are ordered by [`f64::total_cmp`]; each NaN counts as distinct.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) hold ranks start + 1..=end; their average:
        let avg = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            r[i] = avg;
        }
        start = end;
    }
    r
}

/// Spearman's rank correlation of `x` and `y`: the Pearson correlation of their
/// ranks (average ranks for ties). NaN when either is constant or there are fewer
/// than two pairs.
///
/// # Panics
///
/// If `x` and `y` differ in length.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "spearman: x and y differ in length");
    if x.len() < 2 {
        return f64::NAN;
    }
    pearson(&ranks(x), &ranks(y))
}

/// The 95% confidence interval of a Spearman correlation `rho` from `n` pairs, by
/// Fisher's z transform with the standard error `sqrt(1.06 / (n - 3))` of Fieller,
/// Hartley and Pearson (1957): `tanh(atanh(rho) -/+ 1.96 se)`. `(NaN, NaN)` when
/// `n < 4` or `rho` is NaN.
pub fn spearman_ci(rho: f64, n: usize) -> (f64, f64) {
    if n < 4 || rho.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    let z = rho.clamp(-1.0, 1.0).atanh();
    let half = super::Z_975 * spearman_se_z(n);
    ((z - half).tanh(), (z + half).tanh())
}

/// The standard error of Fisher's z of a Spearman correlation from `n` pairs,
/// `sqrt(1.06 / (n - 3))` (Fieller, Hartley and Pearson, 1957).
fn spearman_se_z(n: usize) -> f64 {
    (1.06 / (n as f64 - 3.0)).sqrt()
}

/// The one-sample Kolmogorov-Smirnov statistic of `u` against the uniform
/// distribution on (0, 1): the largest distance between the empirical distribution
/// function of `u` and the identity. NaN for an empty sample.
pub fn ks_statistic_uniform(u: &[f64]) -> f64 {
    if u.is_empty() {
        return f64::NAN;
    }
    let mut v = u.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    v.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = x.clamp(0.0, 1.0);
            ((i as f64 + 1.0) / n - f).max(f - i as f64 / n)
        })
        .fold(0.0, f64::max)
}

/// The asymptotic critical value of the one-sample Kolmogorov-Smirnov statistic at
/// level `alpha` for `n` values: `c(alpha) / sqrt(n)` with
/// `c(alpha) = sqrt(-ln(alpha / 2) / 2)` (1.358 for `alpha = 0.05`). Accurate for
/// `n` above about 35.
pub fn ks_critical(n: usize, alpha: f64) -> f64 {
    (-(alpha / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt()
}

/// The standard normal quantile.
fn std_normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

/// The Pearson correlation of two equally long samples; NaN when either is constant.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

/// The Pearson correlation matrix of the columns `s` (unit diagonal).
fn correlation(s: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = s.len();
    let mut e = vec![vec![1.0; k]; k];
    for i in 0..k {
        for j in 0..i {
            let r = pearson(&s[i], &s[j]);
            e[i][j] = r;
            e[j][i] = r;
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn lhs_column_has_one_value_per_stratum() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        for n in [1, 2, 7, 1000] {
            let u = lhs_column(n, &mut rng);
            assert_eq!(u.len(), n);
            let mut count = vec![0; n];
            for &x in &u {
                assert!(x > 0.0 && x < 1.0, "{x}");
                count[(x * n as f64) as usize] += 1;
            }
            assert!(count.iter().all(|&c| c == 1), "n = {n}: {count:?}");
        }
        assert!(lhs_column(0, &mut rng).is_empty());
    }

    #[test]
    fn lhs_column_is_uniform_by_kolmogorov_smirnov() {
        // A Latin hypercube column is within 1 / n of the uniform distribution
        // function everywhere, far inside the critical value.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let n = 500;
        let d = ks_statistic_uniform(&lhs_column(n, &mut rng));
        assert!(d <= 1.0 / n as f64 + 1e-12, "{d}");
    }

    fn target() -> Vec<Vec<f64>> {
        vec![
            vec![1.0, 0.7, -0.4],
            vec![0.7, 1.0, 0.2],
            vec![-0.4, 0.2, 1.0],
        ]
    }

    /// Seeds over which the tests of Iman-Conover measure its spread.
    const SEEDS: u64 = 12;

    /// The two-sided 99.73% critical value (three standard errors of a normal) of
    /// Student's t with `dof` degrees of freedom: for a mean whose standard error is
    /// estimated from its own sample.
    fn t_critical(dof: u64) -> f64 {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        StudentsT::new(0.0, 1.0, dof as f64)
            .unwrap()
            .inverse_cdf(0.998_65)
    }

    /// The largest variance, over the variance of independent sampling, that a sample
    /// variance from `SEEDS` runs of independent sampling falls below only 1% of the
    /// time: chi-squared's 1% quantile over its degrees of freedom.
    fn far_below_independent() -> f64 {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let dof = (SEEDS - 1) as f64;
        ChiSquared::new(dof).unwrap().inverse_cdf(0.01) / dof
    }

    /// Rank correlations after Iman-Conover towards `target`, one matrix per seed, of
    /// `n` rows of three columns: uniforms, exponentials and a lumpy mixture (the
    /// marginals do not matter), or two copies of one column when `target` is 2 x 2.
    fn induced(target: &[Vec<f64>], n: usize) -> Vec<Vec<Vec<f64>>> {
        (0..SEEDS)
            .map(|seed| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(42 + seed);
                let mut columns = if target.len() == 2 {
                    // Start perfectly correlated.
                    let x = lhs_column(n, &mut rng);
                    vec![x.clone(), x]
                } else {
                    vec![
                        lhs_column(n, &mut rng),
                        (0..n)
                            .map(|_| -(1.0 - rng.random::<f64>()).ln())
                            .collect::<Vec<f64>>(),
                        (0..n)
                            .map(|_| rng.random::<f64>() + f64::from(rng.random::<u8>() % 4))
                            .collect::<Vec<f64>>(),
                    ]
                };
                let mut before: Vec<Vec<f64>> = columns.clone();
                before.iter_mut().for_each(|c| c.sort_by(f64::total_cmp));
                iman_conover(&mut columns, target, &mut rng);
                for (c, b) in columns.iter().zip(&before) {
                    let mut sorted = c.clone();
                    sorted.sort_by(f64::total_cmp);
                    assert_eq!(&sorted, b, "a column's values changed");
                }
                (0..columns.len())
                    .map(|i| (0..i).map(|j| spearman(&columns[i], &columns[j])).collect())
                    .collect()
            })
            .collect()
    }

    /// Checks that the induced correlations of `runs` (from [`induced`]) average to
    /// `target` within the Monte Carlo error of their mean, and vary far less than
    /// independent sampling of `n` rows would (Iman-Conover's whole point: a test of
    /// them against independent sampling's spread would let a plain shuffle pass).
    fn centred_and_tight(runs: &[Vec<Vec<f64>>], target: &[Vec<f64>], n: usize) {
        let k = runs.len() as f64;
        for i in 0..target.len() {
            for j in 0..i {
                let z: Vec<f64> = runs.iter().map(|r| r[i][j].atanh()).collect();
                let mean = z.iter().sum::<f64>() / k;
                let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
                let tol = t_critical(SEEDS - 1) * (var / k).sqrt();
                let want = target[i][j].atanh();
                assert!(
                    (mean - want).abs() <= tol,
                    "({i}, {j}): mean z {mean} vs {want} (tolerance {tol})"
                );
                let independent = spearman_se_z(n).powi(2);
                assert!(
                    var < far_below_independent() * independent,
                    "({i}, {j}): variance {var} against independent sampling's {independent}"
                );
            }
        }
    }

    #[test]
    fn iman_conover_induces_the_target_rank_correlations() {
        // (Without the adjustment of each target to 2 sin(pi rho / 6), the 0.7 would
        // come out near 0.68, far outside the tolerance.)
        let n = 5000;
        centred_and_tight(&induced(&target(), n), &target(), n);
    }

    #[test]
    fn iman_conover_to_the_identity_removes_correlation() {
        let n = 2000;
        let identity = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        centred_and_tight(&induced(&identity, n), &identity, n);
    }

    #[test]
    fn iman_conover_is_deterministic_and_safe_on_small_inputs() {
        let run = |seed| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut cols: Vec<Vec<f64>> = (0..3).map(|_| lhs_column(50, &mut rng)).collect();
            iman_conover(&mut cols, &target(), &mut rng);
            cols
        };
        assert_eq!(run(9), run(9));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for n in 0..6 {
            let mut cols: Vec<Vec<f64>> = (0..3).map(|_| lhs_column(n, &mut rng)).collect();
            let orig = cols.clone();
            iman_conover(&mut cols, &target(), &mut rng);
            if n < 3 {
                assert_eq!(cols, orig);
            }
            for (c, o) in cols.iter().zip(&orig) {
                let (mut a, mut b) = (c.clone(), o.clone());
                a.sort_by(f64::total_cmp);
                b.sort_by(f64::total_cmp);
                assert_eq!(a, b);
            }
        }
        let mut one = vec![vec![0.3, 0.1, 0.2, 0.9]];
        iman_conover(&mut one, &[vec![1.0]], &mut rng);
        assert_eq!(one, vec![vec![0.3, 0.1, 0.2, 0.9]]);
    }

    #[test]
    fn correlation_matrices_are_checked() {
        assert!(is_correlation_matrix(&[vec![1.0, 0.0], vec![0.0, 1.0]]).is_ok());
        assert!(is_correlation_matrix(&target()).is_ok());
        let bad = |m: &[Vec<f64>], word: &str| {
            let e = is_correlation_matrix(m).unwrap_err();
            assert!(e.contains(word), "{e}");
        };
        bad(&[vec![1.0, 0.5], vec![0.4, 1.0]], "not symmetric");
        bad(&[vec![1.0, 0.5], vec![0.5, 0.9]], "diagonal");
        bad(&[vec![1.0, 1.5], vec![1.5, 1.0]], "between -1 and 1");
        bad(&[vec![1.0, 0.5], vec![0.5]], "square");
        bad(&[vec![1.0, f64::NAN], vec![f64::NAN, 1.0]], "not a number");
        bad(&[], "empty");
        let contradictory = [
            vec![1.0, 0.9, -0.9],
            vec![0.9, 1.0, 0.9],
            vec![-0.9, 0.9, 1.0],
        ];
        bad(&contradictory, "not positive definite");
        // Perfect correlation is singular.
        bad(&[vec![1.0, 1.0], vec![1.0, 1.0]], "not positive definite");
        bad(&contradictory, "between rows 1, 2, 3 contradict");
    }

    #[test]
    fn a_smallest_contradicting_set_is_named() {
        let with = |k: usize, entries: &[(usize, usize, f64)]| {
            let mut m = vec![vec![0.0; k]; k];
            for (i, row) in m.iter_mut().enumerate() {
                row[i] = 1.0;
            }
            for &(i, j, r) in entries {
                m[i][j] = r;
                m[j][i] = r;
            }
            m
        };
        assert!(contradiction(&target()).is_empty());
        // A contradicting triple among five variables, the others uncorrelated.
        let triple = with(5, &[(1, 3, 0.9), (3, 4, 0.9), (1, 4, -0.9), (0, 2, 0.5)]);
        assert_eq!(contradiction(&triple), vec![1, 3, 4]);
        // A perfectly correlated pair comes before any triple.
        let pair = with(4, &[(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9), (1, 3, 1.0)]);
        assert_eq!(contradiction(&pair), vec![1, 3]);
        // Four variables all at -0.4: every triple is valid (1 + 2r > 0), the four are
        // not (1 + 3r < 0).
        let all: Vec<(usize, usize, f64)> = (0..4)
            .flat_map(|i| (i + 1..4).map(move |j| (i, j, -0.4)))
            .collect();
        let four = with(4, &all);
        assert_eq!(contradiction(&four), vec![0, 1, 2, 3]);
    }

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let m = target();
        let l = cholesky(&m).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|p| l[i][p] * l[j][p]).sum();
                assert!((v - m[i][j]).abs() < 1e-14);
                if j > i {
                    assert_eq!(l[i][j], 0.0);
                }
            }
        }
        assert!(cholesky(&[vec![1.0, 0.0]]).is_none());
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
        assert_eq!(ranks(&[3.0, 3.0, 3.0]), vec![2.0, 2.0, 2.0]);
        assert_eq!(ranks(&[]), Vec::<f64>::new());
    }

    #[test]
    fn spearman_of_a_monotone_transform_is_one() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let x: Vec<f64> = (0..300).map(|_| rng.random::<f64>() * 4.0 - 2.0).collect();
        let y: Vec<f64> = x.iter().map(|v| v.powi(3).exp()).collect();
        let z: Vec<f64> = x.iter().map(|v| -v).collect();
        assert!((spearman(&x, &y) - 1.0).abs() < 1e-12);
        assert!((spearman(&x, &z) + 1.0).abs() < 1e-12);
        assert!(spearman(&x, &[2.0; 300]).is_nan());
        assert!(spearman(&[1.0], &[2.0]).is_nan());
    }

    #[test]
    fn spearman_ci_brackets_rho() {
        let (lo, hi) = spearman_ci(0.5, 100);
        assert!(lo < 0.5 && 0.5 < hi);
        // Fisher z: atanh(0.5) = 0.5493, half-width 1.96 * sqrt(1.06 / 97) = 0.2049.
        assert!((lo - 0.331417).abs() < 1e-6, "{lo}");
        assert!((hi - 0.637644).abs() < 1e-6, "{hi}");
        assert!(spearman_ci(0.5, 3).0.is_nan());
        assert!(spearman_ci(f64::NAN, 100).1.is_nan());
        assert_eq!(spearman_ci(1.0, 50), (1.0, 1.0));
    }

    #[test]
    fn kolmogorov_smirnov_statistic_and_critical_value() {
        assert!((ks_statistic_uniform(&[0.5]) - 0.5).abs() < 1e-15);
        assert!((ks_statistic_uniform(&[0.25, 0.75]) - 0.25).abs() < 1e-15);
        assert!((ks_statistic_uniform(&[0.9, 0.95]) - 0.9).abs() < 1e-15);
        assert!(ks_statistic_uniform(&[]).is_nan());
        assert!((ks_critical(100, 0.05) - 0.135_810).abs() < 1e-5);
        // Independent uniforms pass at the 1% level (fixed seed).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let u: Vec<f64> = (0..2000).map(|_| rng.random()).collect();
        assert!(ks_statistic_uniform(&u) < ks_critical(2000, 0.01));
        // A shifted sample does not.
        let w: Vec<f64> = u.iter().map(|x| x * 0.9).collect();
        assert!(ks_statistic_uniform(&w) > ks_critical(2000, 0.01));
    }
}
