//! BOLD monitors (`cajal::bold`) on both engines: each built-in model
//! against an f64 integration of its equations written out here (explicit
//! Euler in ANNarchy's order: a run of ODEs takes its increments from the
//! values before the run, then its bounds; an assignment takes the values
//! as they are), driven by populations whose rates the test sets between
//! runs; the baseline normalisation, start and stop (a stopped model keeps
//! its state; a second baseline is averaged with the first, as ANNarchy's);
//! a state saved in the middle of a baseline window and loaded into a
//! fresh simulation continues bit for bit;
//! spiking populations with a firing-rate window (the BOLD notebooks'
//! setting, GPU against CPU); the builder's errors.

use crate::common::{backends, gpu_trial, tests};
use cajal::bold::{self, BoldModel};
use cajal::prelude::*;

tests! {
    cpu: [bold_monitor_errors_name_the_cause],
    both: [
        balloon_models_follow_their_equations,
        baseline_start_and_stop,
        a_saved_state_carries_the_monitor,
        spiking_populations_through_their_firing_rate,
    ],
}

/// The parameters of a balloon model; `rl`: q and v integrated with `tau`
/// alone (ANNarchy's balloon_RL).
#[derive(Clone, Copy)]
struct Balloon {
    phi: f64,
    kappa: f64,
    gamma: f64,
    e0: f64,
    tau: f64,
    alpha: f64,
    big_v0: f64,
    k: [f64; 3],
    linear: bool,
    rl: bool,
}

fn balloon(revised: bool, linear: bool, rl: bool) -> Balloon {
    let (e0, v0, te, eps, r0) = (0.34, 40.3, 0.04, 1.43, 25.0);
    let k = if revised {
        [4.3 * v0 * e0 * te, eps * r0 * e0 * te, 1.0 - eps]
    } else {
        [(1.0 - 0.02) * 4.3 * v0 * e0 * te, 2.0 * e0, 1.0 - eps]
    };
    Balloon {
        phi: 1.0,
        kappa: 1.0 / 1.54,
        gamma: 1.0 / 2.46,
        e0,
        tau: 0.98,
        alpha: 0.33,
        big_v0: 0.02,
        k,
        linear,
        rl,
    }
}

fn maith2021() -> Balloon {
    let e0 = 0.3424;
    Balloon {
        phi: 1.0,
        kappa: 0.665,
        gamma: 0.412,
        e0,
        tau: 1.0368,
        alpha: 0.3215,
        big_v0: 0.02,
        k: [7.0 * e0, 2.0, 2.0 * e0 - 0.2],
        linear: false,
        rl: false,
    }
}

/// BOLD at every step of `input` (the model's I_CBF at each step).
fn integrate(m: Balloon, input: &[f64], dt: f64) -> Vec<f64> {
    let second = 1000.0;
    let (mut s, mut f_in, mut q, mut v, mut f_out) = (0.0f64, 1.0f64, 1.0f64, 1.0f64, 1.0f64);
    let mut out = Vec::new();
    for &i in input {
        let ds = (m.phi * i - m.kappa * s - m.gamma * (f_in - 1.0)) / second;
        let df = s / second;
        s += dt * ds;
        f_in = (f_in + dt * df).max(0.01);
        let e = 1.0 - (1.0 - m.e0).powf(1.0 / f_in);
        let tq = if m.rl { m.tau } else { m.tau * second };
        let dq = (f_in * e / m.e0 - (q / v) * f_out) / tq;
        let dv = (f_in - f_out) / tq;
        q = (q + dt * dq).max(0.01);
        v = (v + dt * dv).max(0.01);
        f_out = v.powf(1.0 / m.alpha).max(0.01);
        let [k1, k2, k3] = m.k;
        out.push(if m.linear {
            m.big_v0 * ((k1 + k2) * (1.0 - q) + (k3 - k2) * (1.0 - v))
        } else {
            m.big_v0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))
        });
    }
    out
}

/// balloon_two_inputs, both inputs the same series.
fn integrate_two_inputs(input: &[f64], dt: f64) -> Vec<f64> {
    let second = 1000.0;
    let (kc, gc, km, gm) = (
        0.7650920556760059,
        1.0 / 2.46,
        4.032389192727559,
        10.0 / 2.46,
    );
    let (e0, tau, alpha, big_v0, v0, te, eps, r0) = (0.34, 0.98, 0.33, 0.02, 40.3, 0.04, 1.0, 25.0);
    let (mut sc, mut f_in, mut sm, mut r, mut q, mut v, mut f_out) =
        (0.0f64, 1.0f64, 0.0f64, 1.0f64, 1.0f64, 1.0f64, 1.0f64);
    let _ = f_out;
    let mut out = Vec::new();
    for &i in input {
        // I_CBF; the run ds_CBF, df_in; I_CMRO2; the run ds_CMRO2, dr.
        let dsc = (i - kc * sc - gc * (f_in - 1.0)) / second;
        let df = sc / second;
        sc += dt * dsc;
        f_in = (f_in + dt * df).max(0.01);
        let dsm = (i * (gm / gc) - km * sm - gm * (r - 1.0)) / second;
        let dr = sm / second;
        sm += dt * dsm;
        r = (r + dt * dr).max(0.01);
        let dvv = f_in - v.powf(1.0 / alpha);
        let tau_out = if dvv > 0.0 { 0.0 } else { 20.0 };
        f_out = (v.powf(1.0 / alpha) + tau_out * dvv / (tau + tau_out)).max(0.01);
        let dq = (r - (q / v) * f_out) / (second * tau);
        let dv = dvv / (tau + tau_out) / second;
        q = (q + dt * dq).max(0.01);
        v = (v + dt * dv).max(0.01);
        let (k1, k2, k3) = (4.3 * v0 * e0 * te, eps * r0 * e0 * te, 1.0 - eps);
        out.push(big_v0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v)));
    }
    out
}

/// A population whose rates the test sets: ImagePopulation's model.
fn held(net: &mut Network, name: &str, n: usize) -> PopId {
    net.population(name, n, &Neuron::rate().parameters("r = 0.0"))
        .unwrap()
}

fn balloon_models_follow_their_equations() {
    let dt = 0.5;
    // Rates of the two populations in three phases of 1000 steps: inputs
    // of 0.25 to 0.58, as a normalised input moves (balloon_RL's q and v,
    // which follow with tau = 0.98 ms, leave explicit Euler's stable range
    // at dt = 0.5 ms for much larger ones).
    let phases: [(f64, f64); 3] = [(0.5, 0.2), (1.2, 0.4), (0.6, 0.1)];
    let (na, nb) = (30usize, 10usize);
    let (sa, sb) = (0.4, 0.25);
    // The input each step: scale * sum / size per population, summed; the
    // rates set before a phase are read from its first step on.
    let mut input = Vec::new();
    for &(ra, rb) in &phases {
        let i = sa * (ra * na as f64) / na as f64 + sb * (rb * nb as f64) / nb as f64;
        input.extend(std::iter::repeat_n(i, 1000));
    }
    let models: Vec<(&str, BoldModel, Vec<f64>, f64)> = vec![
        (
            "RN",
            bold::balloon_rn(),
            integrate(balloon(true, false, false), &input, dt),
            1e-3,
        ),
        (
            "RL",
            bold::balloon_rl(),
            integrate(balloon(true, true, true), &input, dt),
            1e-3,
        ),
        (
            "CN",
            bold::balloon_cn(),
            integrate(balloon(false, false, false), &input, dt),
            1e-3,
        ),
        (
            "CL",
            bold::balloon_cl(),
            integrate(balloon(false, true, false), &input, dt),
            1e-3,
        ),
        (
            "maith2021",
            bold::balloon_maith2021(),
            integrate(maith2021(), &input, dt),
            1e-3,
        ),
        (
            "two_inputs",
            bold::balloon_two_inputs(),
            integrate_two_inputs(&input, dt),
            1e-3,
        ),
    ];
    let mut runs = Vec::new();
    for b in backends() {
        let mut net = Network::new().dt(dt);
        let a = held(&mut net, "a", na);
        let bb = held(&mut net, "b", nb);
        let monitors: Vec<_> = models
            .iter()
            .map(|(name, model, _, _)| {
                let mapping: &[(&str, &str)] = if *name == "two_inputs" {
                    &[("I_CBF", "r"), ("I_CMRO2", "r")]
                } else {
                    &[("I_CBF", "r")]
                };
                net.bold_monitor(&[a, bb])
                    .model(model.clone())
                    .mapping(mapping)
                    .scale_factors(&[sa, sb])
                    .start(true)
                    .build()
                    .unwrap()
            })
            .collect();
        let mut sim = net.compile(b).unwrap();
        for &(ra, rb) in &phases {
            sim.set(a, "r", ra).unwrap();
            sim.set(bb, "r", rb).unwrap();
            sim.simulate(1000.0 * dt).unwrap();
        }
        let mut got = Vec::new();
        for ((name, _, want, rel), m) in models.iter().zip(&monitors) {
            let bold_series = m.get(&sim, "BOLD").unwrap();
            assert_eq!(bold_series.len(), want.len(), "{name}");
            let peak = want.iter().fold(0.0f64, |x, y| x.max(y.abs()));
            assert!(peak > 2e-3, "{name}: the drive moves BOLD ({peak})");
            for (k, (g, w)) in bold_series.iter().zip(want).enumerate() {
                assert!(
                    (f64::from(*g) - w).abs() <= rel * peak,
                    "{b:?} {name} step {k}: cajal {g}, f64 {w}"
                );
            }
            got.push(bold_series);
        }
        runs.push(got);
    }
    if let [cpu, gpu] = &runs[..] {
        for (c, g) in cpu.iter().zip(gpu) {
            for (x, y) in c.iter().zip(g) {
                assert!((x - y).abs() <= 1e-6 + 1e-4 * x.abs(), "CPU {x}, GPU {y}");
            }
        }
    }
}

fn baseline_start_and_stop() {
    // A model that only accumulates its input shows what reaches it.
    let acc = BoldModel::new(
        "",
        "I_CBF = sum(I_CBF)\ndx/dt = I_CBF : init = 0\nBOLD = x",
        &["I_CBF"],
    );
    for b in backends() {
        let mut net = Network::new(); // dt = 1 ms
        let p = held(&mut net, "p", 4);
        let m = net
            .bold_monitor(&[p])
            .model(acc.clone())
            .normalize_input(10.0)
            .recorded_variables(&["I_CBF"])
            .build()
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set(p, "r", vec![1.0f32, 2.0, 3.0, 6.0]).unwrap(); // mean 3
        sim.simulate(5.0).unwrap();
        // Not started: frozen, nothing recorded.
        assert_eq!(sim.get(m.population(), "BOLD").unwrap()[[0]], 0.0);
        assert_eq!(m.get(&sim, "I_CBF").unwrap().len(), 0);
        m.start(&mut sim).unwrap();
        sim.simulate(10.0).unwrap(); // the baseline: mean 3, input 0
        sim.set(p, "r", 4.5).unwrap(); // mean 4.5: (4.5 - 3) / 3 = 0.5
        sim.simulate(4.0).unwrap();
        let i = m.get(&sim, "I_CBF").unwrap();
        assert_eq!(i.dim(), (14, 1));
        assert!(i.iter().take(10).all(|&x| x == 0.0), "{i:?}");
        for &x in i.iter().skip(10) {
            assert!((x - 0.5).abs() < 1e-6, "{x}");
        }
        let x_stop = sim.get(m.population(), "x").unwrap()[[0]];
        assert!((x_stop - 2.0).abs() < 1e-5, "{x_stop}");
        // Stopped: the state stays, the recording too.
        m.stop(&mut sim).unwrap();
        sim.simulate(7.0).unwrap();
        assert_eq!(sim.get(m.population(), "x").unwrap()[[0]], x_stop);
        assert_eq!(m.get(&sim, "I_CBF").unwrap().len(), 14);
        // A second start: a new window of 10 steps at mean 4.5, averaged
        // with the first (ANNarchy keeps the first baseline's values): the
        // mean is 3.75, and 6 gives (6 - 3.75) / 3.75 = 0.6.
        m.start(&mut sim).unwrap();
        sim.simulate(10.0).unwrap();
        sim.set(p, "r", 6.0).unwrap();
        sim.simulate(3.0).unwrap();
        let i = m.get(&sim, "I_CBF").unwrap();
        assert_eq!(i.len(), 14 + 13);
        assert!(i.iter().skip(14).take(10).all(|&x| x == 0.0));
        for &x in i.iter().skip(24) {
            assert!((x - 0.6).abs() < 1e-6, "{x}");
        }
        let x_end = sim.get(m.population(), "x").unwrap()[[0]];
        assert!((x_end - (x_stop + 1.8)).abs() < 1e-5, "{x_end}");
    }
}

fn a_saved_state_carries_the_monitor() {
    // Saved in the middle of the baseline window, loaded into a fresh
    // simulation: the rest of the run is the uninterrupted run's, bit for
    // bit (the window's count and mean, the switch and the model's state
    // are the population's variables and parameters).
    let dir = crate::common::temp_path("bold-state");
    for b in backends() {
        let build = || {
            let mut net = Network::new();
            let p = held(&mut net, "p", 5);
            let m = net
                .bold_monitor(&[p])
                .normalize_input(40.0)
                .recorded_variables(&["I_CBF", "BOLD"])
                .build()
                .unwrap();
            (net, p, m)
        };
        let (net, p, m) = build();
        let mut whole = net.compile(b).unwrap();
        whole.set(p, "r", vec![1.0f32, 2.0, 3.0, 4.0, 5.0]).unwrap();
        m.start(&mut whole).unwrap();
        whole.simulate(25.0).unwrap();
        whole.save(&dir).unwrap();
        let (net2, p2, m2) = build();
        let mut resumed = net2.compile(b).unwrap();
        resumed.load(&dir).unwrap();
        for (sim, p) in [(&mut whole, p), (&mut resumed, p2)] {
            sim.simulate(15.0).unwrap();
            sim.set(p, "r", 6.0).unwrap();
            sim.simulate(30.0).unwrap();
        }
        for v in ["BOLD", "I_CBF", "bold__mean0", "s", "q"] {
            assert_eq!(
                whole.get(m.population(), v).unwrap(),
                resumed.get(m2.population(), v).unwrap(),
                "{b:?} {v}"
            );
        }
        // The baseline's mean is 3: 6 gives (6 - 3) / 3 = 1. (A state
        // holds no recording, nor whether a monitor records, as ANNarchy's.)
        let i = resumed.get(m2.population(), "I_CBF").unwrap()[[0]];
        assert!((i - 1.0).abs() < 1e-6, "{i}");
    }
    std::fs::remove_file(&dir).ok();
}

fn spiking_populations_through_their_firing_rate() {
    // The BOLD notebooks' setting, shortened: noisy Izhikevich neurons,
    // their firing rate over 100 ms, a baseline of 500 ms, more noise in
    // one population for a while.
    let mut runs = Vec::new();
    for b in backends() {
        let mut net = Network::new().seed(7);
        let izh = cajal::models::izhikevich();
        let p0 = net.population("pop0", 100, &izh).unwrap();
        let p1 = net.population("pop1", 100, &izh).unwrap();
        for p in [p0, p1] {
            net.set(p, "noise", 5.0).unwrap();
            net.compute_firing_rate(p, 100.0).unwrap();
        }
        let m = net
            .bold_monitor(&[p0, p1])
            .normalize_input(500.0)
            .recorded_variables(&["I_CBF", "BOLD"])
            .build()
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(200.0).unwrap();
        m.start(&mut sim).unwrap();
        sim.simulate(700.0).unwrap();
        sim.set(p0, "noise", 7.5).unwrap();
        sim.simulate(1000.0).unwrap();
        let i = m.get(&sim, "I_CBF").unwrap();
        let bold_series = m.get(&sim, "BOLD").unwrap();
        // More noise, more spikes: the input rises above its baseline, and
        // BOLD with it.
        let late: f32 = i.iter().skip(1400).sum::<f32>() / 300.0;
        assert!(late > 0.2, "{late}");
        assert!(*bold_series.iter().last().unwrap() > 1e-3);
        runs.push((i, bold_series));
    }
    if gpu_trial() {
        let (ci, cb) = &runs[0];
        let (gi, gb) = &runs[1];
        // The spikes are the same (same draws, same order); the sums of
        // rates may round differently.
        for (x, y) in ci.iter().zip(gi).chain(cb.iter().zip(gb)) {
            assert!(
                (x - y).abs() <= 1e-4 * x.abs().max(1e-2),
                "CPU {x}, GPU {y}"
            );
        }
    }
}

fn bold_monitor_errors_name_the_cause() {
    let mut net = Network::new();
    let p = held(&mut net, "p", 4);
    let err = |r: cajal::Result<bold::BoldMonitor>| r.unwrap_err().to_string();
    let e = err(net.bold_monitor(&[p]).mapping(&[("I_CMRO2", "r")]).build());
    assert!(
        e.contains("'I_CMRO2' is not an input") && e.contains("BOLD model RN"),
        "{e}"
    );
    let e = err(net.bold_monitor(&[p]).mapping(&[("I_CBF", "v")]).build());
    assert!(e.contains("'v'") && e.contains("population 'p'"), "{e}");
    let shared = net
        .population(
            "shared",
            2,
            &Neuron::rate().parameters("r = 0.0\nk = 1.0 : population"),
        )
        .unwrap();
    let e = err(net
        .bold_monitor(&[shared])
        .mapping(&[("I_CBF", "k")])
        .build());
    assert!(e.contains("'k' is shared by population 'shared'"), "{e}");
    let e = err(net.bold_monitor(&[p]).scale_factors(&[1.0, 2.0]).build());
    assert!(e.contains("2 scale factors for 1 populations"), "{e}");
    let e = err(net.bold_monitor(&[p]).normalize_input(-5.0).build());
    assert!(e.contains("baseline window") && e.contains("-5"), "{e}");
    let none: [PopId; 0] = [];
    let e = err(net.bold_monitor(&none).build());
    assert!(e.contains("at least one population"), "{e}");
    let deaf = BoldModel::new("", "BOLD = 1.0", &["I_CBF"]).name("deaf");
    let e = err(net.bold_monitor(&[p]).model(deaf).build());
    assert!(
        e.contains("model 'deaf'") && e.contains("no sum(I_CBF)"),
        "{e}"
    );
    let typo = BoldModel::new(
        "tau = 1.0",
        "I_CBF = sum(I_CBF)\nBOLD = tau * I_CFB",
        &["I_CBF"],
    )
    .name("typo");
    let e = err(net.bold_monitor(&[p]).model(typo).build());
    assert!(
        e.contains("typo") && e.contains("line 2") && e.contains("I_CFB"),
        "{e}"
    );
    let no_out = BoldModel::new("", "I_CBF = sum(I_CBF)", &["I_CBF"]).output(&["signal"]);
    let e = err(net.bold_monitor(&[p]).model(no_out).build());
    assert!(e.contains("no output variable 'signal'"), "{e}");
    let e = err(net.bold_monitor(&[p]).recorded_variables(&["nope"]).build());
    assert!(e.contains("nope"), "{e}");
    // Nothing half-built stayed behind: a good monitor still builds.
    let n_pops = net.populations().len();
    net.bold_monitor(&[p]).build().unwrap();
    assert_eq!(net.populations().len(), n_pops + 1);
}
