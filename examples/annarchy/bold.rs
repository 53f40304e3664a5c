//! ANNarchy's BOLD monitoring notebooks. I: two populations of 100 noisy
//! Izhikevich neurons, their firing rates over 100 ms averaged into the
//! input of the balloon model (`balloon_rn`), normalised over a 2 s
//! baseline; after 1 s of warm-up the monitor starts, and 5 s later the
//! noise of one population goes from 5 to 7.5 for 5 s: BOLD rises by a
//! few per cent, then undershoots. II: the same protocol with a model of
//! the notebook's computing the Davis model beside the balloon model.
//!
//! The noise makes each run differ: both simulators run five seeds (five
//! copies of the protocol in one ANNarchy network), and each line gives
//! the mean and range of the peak of BOLD (in %, and its time in s after
//! the start of recording) and of the undershoot after it, beside ANNarchy
//! 5.0.4.1's (`tests/data/annarchy/notebooks/bold`). The notebook's figure
//! shows a peak of about 2.7 % at about 10.7 s and an undershoot of about
//! -0.7 % at about 17.5 s (one run, ANNarchy 4.8).
//!
//! `cargo run --release --example nb_bold [cpu|gpu|auto] [seeds]`

#[path = "common.rs"]
mod common;

use cajal::bold::{self, BoldModel};
use cajal::prelude::*;
use common::{mean_min_max, spread};

// ANNarchy 5.0.4.1, five copies (tests/data/annarchy/notebooks/bold/bold.json):
// (mean, min, max) of the peak (%), its time (s), the undershoot (%) and
// its time (s).
const ANN_I: [(f64, f64, f64); 4] = [
    (2.7982, 2.7307, 2.8437),
    (10.5828, 10.5520, 10.6150),
    (-0.6430, -0.9206, -0.4105),
    (17.3510, 17.1900, 17.4600),
];
const ANN_II: [(f64, f64, f64); 4] = [
    (2.7312, 2.6964, 2.7815),
    (10.6342, 10.6100, 10.6740),
    (-0.7775, -0.8194, -0.7450),
    (17.4258, 17.2900, 17.5350),
];
const ANN_II_DAVIS: [(f64, f64, f64); 4] = [
    (2.8857, 2.8506, 2.9317),
    (10.1526, 10.1290, 10.1860),
    (-1.2053, -1.2779, -1.1485),
    (15.8442, 15.7290, 15.9600),
];

/// The notebook II model: the balloon model (revised coefficients,
/// non-linear BOLD) and the Davis model, the notebook's text.
fn davis() -> BoldModel {
    BoldModel::new(
        "
        phi       = 1.0         ;   kappa     = 1/1.54
        gamma     = 1/2.46      ;   E_0       = 0.34
        tau       = 0.98        ;   alpha     = 0.33
        V_0       = 0.02        ;   v_0       = 40.3
        TE        = 40/1000.    ;   epsilon   = 1.43
        r_0       = 25.         ;   second    = 1000.0
        M         = 0.062       ;   alpha2    = 0.14
        beta      = 0.91
    ",
        "
        # CBF input
        I_CBF          = sum(I_CBF)
        ds/dt          = (phi * I_CBF - kappa * s - gamma * (f_in - 1))/second
        df_in/dt       = s / second                                                : init=1, min=0.01

        # Balloon model
        E              = 1 - (1 - E_0)**(1 / f_in)                                 : init=0.3424
        dq/dt          = (f_in * E / E_0 - (q / v) * f_out)/(tau*second)           : init=1, min=0.01
        dv/dt          = (f_in - f_out)/(tau*second)                               : init=1, min=0.01
        f_out          = v**(1 / alpha)                                            : init=1, min=0.01

        # Revised coefficients
        k_1            = 4.3 * v_0 * E_0 * TE
        k_2            = epsilon * r_0 * E_0 * TE
        k_3            = 1.0 - epsilon

        # Non-linear BOLD equation
        BOLD           = V_0 * (k_1 * (1 - q) + k_2 * (1 - (q / v)) + k_3 * (1 - v))

        # Davis model
        r = f_in * E / E_0                                                         : init=1, min=0.01
        BOLD_Davis =  M * (1 - f_in**alpha2 * (r / f_in)**beta)
    ",
        &["I_CBF"],
    )
}

/// Peak (%), its time (s), undershoot after it (%), its time (s).
fn extremes(x: &[f32]) -> [f64; 4] {
    let x: Vec<f64> = x.iter().map(|&v| 100.0 * f64::from(v)).collect();
    let peak = (0..x.len()).fold(0, |b, i| if x[i] > x[b] { i } else { b });
    let low = (peak..x.len()).fold(peak, |b, i| if x[i] < x[b] { i } else { b });
    [x[peak], peak as f64 / 1000.0, x[low], low as f64 / 1000.0]
}

/// One run of the protocol: BOLD (and BOLD_Davis with the notebook II model).
fn run(backend: Backend, seed: u64, model: BoldModel, davis: bool) -> cajal::Result<Vec<Vec<f32>>> {
    let mut net = Network::new().seed(seed);
    let izh = cajal::models::izhikevich();
    let pop0 = net.population("pop0", 100, &izh)?;
    let pop1 = net.population("pop1", 100, &izh)?;
    for p in [pop0, pop1] {
        net.set(p, "noise", 5.0)?;
        net.compute_firing_rate(p, 100.0)?;
    }
    let mut recorded = vec!["I_CBF", "BOLD"];
    if davis {
        recorded.push("BOLD_Davis");
    }
    let m = net
        .bold_monitor(&[pop0, pop1])
        .model(model)
        .mapping(&[("I_CBF", "r")])
        .normalize_input(2000.0)
        .recorded_variables(&recorded)
        .build()?;
    let mut sim = net.compile(backend)?;
    sim.simulate(1000.0)?;
    m.start(&mut sim)?;
    sim.simulate(5000.0)?;
    sim.set(pop0, "noise", 7.5)?;
    sim.simulate(5000.0)?;
    sim.set(pop0, "noise", 5.0)?;
    sim.simulate(10000.0)?;
    common::timings(&sim);
    let mut out = vec![m.get(&sim, "BOLD")?.iter().copied().collect()];
    if davis {
        out.push(m.get(&sim, "BOLD_Davis")?.iter().copied().collect());
    }
    Ok(out)
}

fn report(what: &str, runs: &[[f64; 4]], ann: &[(f64, f64, f64); 4]) {
    let names = [
        "peak (%)",
        "peak time (s)",
        "undershoot (%)",
        "undershoot time (s)",
    ];
    for (k, name) in names.iter().enumerate() {
        let values: Vec<f64> = runs.iter().map(|r| r[k]).collect();
        spread(&format!("{what} {name}"), mean_min_max(&values), ann[k]);
    }
}

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let seeds = common::seeds(5);
    let t0 = std::time::Instant::now();
    let (mut one, mut two, mut two_davis) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=seeds {
        let r = run(backend, seed, bold::balloon_rn(), false)?;
        one.push(extremes(&r[0]));
        let r = run(backend, seed, davis(), true)?;
        two.push(extremes(&r[0]));
        two_davis.push(extremes(&r[1]));
    }
    println!(
        "{:<40} {:>10} [range]   ANNarchy 5.0.4.1 [range]",
        "", "cajal"
    );
    report("I: BOLD", &one, &ANN_I);
    report("II: BOLD", &two, &ANN_II);
    report("II: BOLD_Davis", &two_davis, &ANN_II_DAVIS);
    println!(
        "({seeds} seeds, {:?}, {:.1} s)",
        backend,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
