//! The built-in neuron models (ANNarchy's standard types) against
//! independent expectations computed here in f64: hand-written
//! integrations that mirror ANNarchy's numerical scheme, and convergence
//! under a smaller time step.

use crate::common::tests;
use cajal::models;
use cajal::prelude::*;

tests! {
    cpu: [
        izhikevich_spike_count_matches_a_hand_written_euler_integration,
        hh_cond_exp_spike_times_converge_when_dt_shrinks,
        every_builtin_compiles_and_simulates_without_nan,
        if_curr_exp_spike_steps_match_a_hand_written_exponential_euler,
    ],
}

/// Spike steps of neuron 0 of a monitor.
fn spike_steps(spikes: &[(u64, u32)]) -> Vec<u64> {
    spikes
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(s, _)| *s)
        .collect()
}

/// Izhikevich regular spiking (a=0.02, b=0.2, c=-65, d=8) driven by a
/// constant current, integrated as ANNarchy does: explicit Euler with both
/// increments computed from the values at the start of the step, then the
/// threshold `v > 30` and the reset `v = c; u += d`.
fn izhikevich_reference(i_offset: f64, dt: f64, steps: usize) -> usize {
    let (a, b, c, d, v_thresh) = (0.02, 0.2, -65.0, 8.0, 30.0);
    let (mut v, mut u) = (c, b * c);
    let mut count = 0;
    for _ in 0..steps {
        let dv = 0.04 * v * v + 5.0 * v + 140.0 - u + i_offset;
        let du = a * (b * v - u);
        v += dt * dv;
        u += dt * du;
        if v > v_thresh {
            v = c;
            u += d;
            count += 1;
        }
    }
    count
}

fn izhikevich_spike_count_matches_a_hand_written_euler_integration() -> cajal::Result<()> {
    let (dt, i_offset, duration) = (0.1, 10.0, 1000.0);
    let mut net = Network::new().dt(dt).seed(1);
    let pop = net.population("p", 1, &models::izhikevich())?;
    net.set(pop, "i_offset", Value::from(i_offset as f32))?;
    let m = net.monitor(pop, &["spike", "v"])?;
    let mut sim = net.compile(Backend::Cpu)?;
    sim.simulate(duration)?;
    let got = spike_steps(&sim.spikes(m)?).len();
    let expected = izhikevich_reference(i_offset, dt, (duration / dt).round() as usize);
    assert!(
        expected > 5,
        "the reference should fire regularly, fired {expected}"
    );
    assert!(
        got.abs_diff(expected) <= 1,
        "Izhikevich (i_offset = {i_offset}, dt = {dt}, {duration} ms): {got} spikes, reference {expected}"
    );
    let v = sim.recorded(m, "v")?;
    assert_eq!(v.nrows(), (duration / dt).round() as usize);
    assert!(v.iter().all(|x| x.is_finite()));
    Ok(())
}

/// Times (ms) of the spikes of one HH_cond_exp neuron driven by current
/// pulses of `amp` nA, `on` ms long, every `period` ms, `pulses` times.
fn hh_pulse_train(
    dt: f64,
    amp: f32,
    on: f64,
    period: f64,
    pulses: usize,
) -> cajal::Result<Vec<f64>> {
    let mut net = Network::new().dt(dt).seed(1);
    let pop = net.population("hh", 1, &models::hh_cond_exp())?;
    let m = net.monitor(pop, &["spike"])?;
    let mut sim = net.compile(Backend::Cpu)?;
    for _ in 0..pulses {
        sim.set(pop, "i_offset", Value::from(amp))?;
        sim.simulate(on)?;
        sim.set(pop, "i_offset", Value::Scalar(0.0))?;
        sim.simulate(period - on)?;
    }
    Ok(spike_steps(&sim.spikes(m)?)
        .iter()
        .map(|&s| s as f64 * dt)
        .collect())
}

// ANNarchy's HH_cond_exp writes bh = 4/(1 + exp(10 - v + v_offset)) (Traub's
// model has exp((40 - v + v_offset)/5)): with it, a constant current gives a
// single spike and then a depolarised steady state. So the neuron is made to
// fire repeatedly with a train of current pulses, one spike per pulse.
fn hh_cond_exp_spike_times_converge_when_dt_shrinks() -> cajal::Result<()> {
    let (amp, on, period, pulses) = (4.0, 5.0, 25.0, 10);
    let coarse = hh_pulse_train(0.01, amp, on, period, pulses)?;
    let fine = hh_pulse_train(0.001, amp, on, period, pulses)?;
    assert!(
        fine.len() >= 5,
        "HH_cond_exp should fire repeatedly at dt = 0.001, spikes at {fine:?}"
    );
    // Rate: the same number of spikes (within 5%, at least one spike of slack).
    let slack = ((fine.len() as f64 * 0.05).ceil() as usize).max(1);
    assert!(
        coarse.len().abs_diff(fine.len()) <= slack,
        "HH_cond_exp spike counts: {} at dt = 0.01, {} at dt = 0.001\n{coarse:?}\n{fine:?}",
        coarse.len(),
        fine.len()
    );
    // And the same spike times, to a fraction of the pulse length.
    if coarse.len() == fine.len() {
        for (a, b) in coarse.iter().zip(&fine) {
            assert!(
                (a - b).abs() < 0.25,
                "HH_cond_exp spike at {a} ms (dt = 0.01) vs {b} ms (dt = 0.001)"
            );
        }
    }
    Ok(())
}

/// The variables each built-in model defines in its equations.
fn model_variables(name: &str) -> &'static [&'static str] {
    match name {
        "LeakyIntegrator" => &["v", "r"],
        "Izhikevich" => &["I", "v", "u"],
        "IF_curr_exp" | "IF_cond_exp" => &["v", "g_exc", "g_inh"],
        "IF_curr_alpha" | "IF_cond_alpha" => &[
            "gmax_exc",
            "gmax_inh",
            "v",
            "g_exc",
            "g_inh",
            "alpha_exc",
            "alpha_inh",
        ],
        "HH_cond_exp" => &[
            "prev_v", "an", "am", "ah", "bn", "bm", "bh", "n", "m", "h", "v", "g_exc", "g_inh",
        ],
        "EIF_cond_exp_isfa_ista" => &["I", "v", "w", "g_exc", "g_inh"],
        "EIF_cond_alpha_isfa_ista" => &[
            "gmax_exc",
            "gmax_inh",
            "I",
            "v",
            "w",
            "g_exc",
            "g_inh",
            "alpha_exc",
            "alpha_inh",
        ],
        "GIF_curr" | "GIF_curr_exp" => &["u", "v", "Lambda", "p", "g_exc", "g_inh"],
        other => panic!("no variable list for the built-in model {other}"),
    }
}

/// A drive that makes each built-in model active: (parameter, value).
fn drive(name: &str) -> (&'static str, f32) {
    match name {
        "LeakyIntegrator" => ("B", 1.0),
        "Izhikevich" => ("i_offset", 10.0),
        "HH_cond_exp" => ("i_offset", 4.0),
        "GIF_curr" | "GIF_curr_exp" => ("I_ext", 400.0),
        _ => ("i_offset", 1.0),
    }
}

fn every_builtin_compiles_and_simulates_without_nan() -> cajal::Result<()> {
    for name in models::builtin_names() {
        let neuron = models::builtin(name).expect("a listed name is found");
        let vars = model_variables(name);
        let spiking = neuron.kind() == NeuronKind::Spiking;
        let mut net = Network::new().dt(0.1).seed(1);
        let pop = net.population("p", 10, &neuron)?;
        let (param, value) = drive(name);
        net.set(pop, param, Value::from(value))?;
        let mut recorded: Vec<&str> = vars.to_vec();
        if spiking {
            recorded.push("spike");
        }
        let m = net.monitor(pop, &recorded)?;
        let mut sim = net.compile(Backend::Cpu)?;
        sim.simulate(100.0)?;
        for var in vars {
            let r = sim.recorded(m, var)?;
            assert_eq!(r.dim(), (1000, 10), "{name}.{var}: recorded shape");
            if let Some((i, x)) = r.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                panic!(
                    "{name}.{var}: {x} at sample {} of neuron {}",
                    i / 10,
                    i % 10
                );
            }
            let now = sim.get(pop, var)?;
            assert!(
                now.iter().all(|x| x.is_finite()),
                "{name}.{var}: not finite at the end: {now:?}"
            );
        }
        if spiking {
            let n = sim.spikes(m)?.len();
            assert!(
                n >= 10,
                "{name}: driven by {param} = {value}, only {n} spikes in 100 ms from 10 neurons"
            );
        } else {
            let r = sim.get(pop, "r")?;
            assert!(
                r.iter().all(|x| *x > 0.5),
                "{name}: r should approach B = {value}, got {r:?}"
            );
        }
    }
    Ok(())
}

/// IF_curr_exp without input but `i_offset`, integrated as ANNarchy does:
/// exponential Euler towards v_inf = v_rest + i_offset * tau_m / cm while
/// not refractory; the refractory counter counts down each step; a spike
/// needs v > v_thresh and a counter at zero, and resets v and the counter.
fn if_curr_exp_reference(i_offset: f64, tau_refrac: f64, dt: f64, steps: u64) -> Vec<u64> {
    let (v_rest, cm, tau_m, v_thresh, v_reset) = (-65.0, 1.0, 20.0, -50.0, -65.0);
    let v_inf = v_rest + i_offset * tau_m / cm;
    let refrac_steps = (tau_refrac / dt).round() as u32;
    let mut v: f64 = v_reset;
    let mut counter = 0u32;
    let mut spikes = Vec::new();
    for step in 0..steps {
        if counter == 0 {
            v = v_inf + (v - v_inf) * (-dt / tau_m).exp();
        }
        counter = counter.saturating_sub(1);
        if v > v_thresh && counter == 0 {
            spikes.push(step);
            v = v_reset;
            counter = refrac_steps;
        }
    }
    spikes
}

fn if_curr_exp_spike_steps_match_a_hand_written_exponential_euler() -> cajal::Result<()> {
    let (dt, i_offset, tau_refrac, duration) = (0.1, 1.0, 2.0, 500.0);
    let mut net = Network::new().dt(dt).seed(1);
    let pop = net.population("lif", 1, &models::if_curr_exp())?;
    net.set(pop, "i_offset", Value::from(i_offset as f32))?;
    net.set(pop, "tau_refrac", Value::from(tau_refrac as f32))?;
    let m = net.monitor(pop, &["spike", "v"])?;
    let mut sim = net.compile(Backend::Cpu)?;
    sim.simulate(duration)?;
    let got = spike_steps(&sim.spikes(m)?);
    let expected = if_curr_exp_reference(i_offset, tau_refrac, dt, (duration / dt).round() as u64);
    assert!(
        expected.len() > 5,
        "the reference should fire regularly: {expected:?}"
    );
    assert_eq!(
        got, expected,
        "IF_curr_exp spike steps (i_offset = {i_offset}, tau_refrac = {tau_refrac})"
    );
    // During the refractory period v is held at v_reset.
    let v = sim.recorded(m, "v")?;
    let steps = sim.sample_steps(m)?;
    let refrac = (tau_refrac / dt).round() as u64;
    for &s in &expected {
        for k in s..=s + refrac {
            if let Some(i) = steps.iter().position(|&x| x == k) {
                assert_eq!(
                    v[[i, 0]],
                    -65.0,
                    "v at step {k}, {} steps after the spike at {s}",
                    k - s
                );
            }
        }
        if let Some(i) = steps.iter().position(|&x| x == s + refrac + 1) {
            assert!(
                v[[i, 0]] > -65.0,
                "v should integrate again at step {}",
                s + refrac + 1
            );
        }
    }
    Ok(())
}
