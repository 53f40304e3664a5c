//! Shared by the notebook examples: the engine argument and the lines that
//! print a quantity beside ANNarchy's.

use cajal::prelude::*;

/// The engine named by the first argument: `cpu` (default), `gpu` or `auto`.
#[allow(dead_code)]
pub fn backend() -> Backend {
    match std::env::args().nth(1).as_deref() {
        None | Some("cpu") => Backend::Cpu,
        Some("gpu") => Backend::Gpu,
        Some("auto") => Backend::Auto,
        Some(other) => {
            eprintln!("unknown engine '{other}': use cpu, gpu or auto");
            std::process::exit(2);
        }
    }
}

/// The number of seeds the second argument names (`default` without one).
#[allow(dead_code)]
pub fn seeds(default: u64) -> u64 {
    std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A deterministic quantity: ANNarchy's one value.
#[allow(dead_code)]
pub fn exact(what: &str, cajal: f64, annarchy: f64) {
    println!("{what:<40} {cajal:>12.4}   {annarchy:.4}");
}

/// A quantity that depends on random draws: the mean over seeds and the
/// range the seeds spanned, `(mean, min, max)`, for both simulators.
#[allow(dead_code)]
pub fn spread(what: &str, cajal: (f64, f64, f64), annarchy: (f64, f64, f64)) {
    let (mean, min, max) = annarchy;
    let flag = if cajal.0 < min || cajal.0 > max {
        "  (cajal's mean outside ANNarchy's seeds)"
    } else {
        ""
    };
    println!(
        "{what:<40} {:>10.4} [{:.4} .. {:.4}]   {mean:.4} [{min:.4} .. {max:.4}]{flag}",
        cajal.0, cajal.1, cajal.2
    );
}

/// The table of [`spread`] lines: for each quantity `k` of `rows` (its
/// name and ANNarchy's `(mean, min, max)`), the values `per_run[..][k]`
/// of cajal's runs (seeds, or whatever `over` names).
#[allow(dead_code)]
pub fn spread_table<R: AsRef<[f64]>>(over: &str, rows: &[(&str, (f64, f64, f64))], per_run: &[R]) {
    println!(
        "\n{:<40} {:>10} [range over {over}]   ANNarchy mean [range]",
        "quantity", "cajal mean"
    );
    for (k, (what, annarchy)) in rows.iter().enumerate() {
        let values: Vec<f64> = per_run.iter().map(|s| s.as_ref()[k]).collect();
        spread(what, mean_min_max(&values), *annarchy);
    }
}

/// Prints where `sim`'s wall-clock time went
/// ([`Simulation::timings`]): `benchmarks/notebooks/notebooks.py` sums
/// the simulate times of these lines, the measure of ANNarchy's
/// `simulate()` calls beside it.
#[allow(dead_code)]
pub fn timings(sim: &Simulation) {
    let t = sim.timings();
    println!(
        "cajal timings: engine built in {:.6} s, {} steps simulated in {:.6} s",
        t.build.as_secs_f64(),
        t.steps,
        t.simulate.as_secs_f64()
    );
}

/// The mean and the extremes of some values.
#[allow(dead_code)]
pub fn mean_min_max(values: &[f64]) -> (f64, f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, min, max)
}
