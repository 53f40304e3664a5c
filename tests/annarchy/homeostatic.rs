//! Spiking synapses whose equations run every step, against ANNarchy
//! 5.0.4.1 (tests/data/annarchy/homeostatic): the Ramp notebook's
//! homeostatic nearest-neighbour STDP (continuous traces, `t_post >=
//! t_pre`, `post.r` of a neuron computing its firing rate over 500 ms, a
//! weight updated every step within bounds), its RS Izhikevich neuron
//! (midpoint, AMPA and NMDA conductances, a user function), driven by 20
//! regular inputs (a SpikeSourceArray) for 3 s, onto `ampa` alone and onto
//! `['ampa', 'nmda']` as the notebook (each spike adds w to both). The
//! model strings are the notebook's. Compared: the post spike steps exactly, r exactly, v for
//! the first 200 steps, the traces and the STDP term every 100 ms to f32
//! rounding, and the weights every 100 ms and at the end to the rounding
//! of f32 increments of about 1e-8 (ANNarchy's f64: see `ulp_bound`).

use crate::common::{backends, floats, tests};
use cajal::prelude::*;
use cajal::real::Dtype;

tests! {
    both: [
        homeostatic_stdp_as_annarchy,
        homeostatic_stdp_in_f64_as_annarchy_to_its_digits,
    ],
}

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/annarchy/homeostatic/homeostatic.json"
);

fn rs_neuron() -> Neuron {
    Neuron::spiking()
        .parameters(
            "a = 0.02 : population
             b = 0.2 : population
             c = -65. : population
             d = 8. : population
             tau_ampa = 5. : population
             tau_nmda = 150. : population
             vrev = 0.0 : population",
        )
        .equations(
            "# Inputs
             I = g_ampa * (vrev - v) + g_nmda * nmda(v, -80.0, 60.0) * (vrev -v)
             # Membrane potential and recovery variable are solved using the midpoint method for stability
             dv/dt = (0.04 * v + 5.0) * v + 140.0 - u + I : init=-65., midpoint
             du/dt = a * (b*v - u) : init=-13., midpoint
             # AMPA and NMDA conductances
             tau_ampa * dg_ampa/dt = -g_ampa : exponential
             tau_nmda * dg_nmda/dt = -g_nmda : exponential",
        )
        .spike("v >= 30.")
        .reset("v = c\nu += d")
        .functions("nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)")
}

fn homeo_stdp() -> Synapse {
    Synapse::new()
        .parameters(
            "# STDP
             tau_plus = 20. : projection
             tau_minus = 60. : projection
             A_plus = 0.0002 : projection
             A_minus = 0.000066 : projection
             w_min = 0.0 : projection
             w_max = 0.03 : projection

             # Homeostatic regulation
             alpha = 0.1 : projection
             beta = 1.0 : projection
             gamma = 50. : projection
             Rtarget = 35. : projection
             T = 5000. : projection",
        )
        .equations(
            "# Traces
             tau_plus  * dltp/dt = -ltp : exponential
             tau_minus * dltd/dt = -ltd : exponential
             # Homeostatic values
             R = post.r : postsynaptic
             K = R/(T*(1.+fabs(1. - R/Rtarget) * gamma)) : postsynaptic
             # Nearest-neighbour
             stdp = if t_post >= t_pre: ltp else: - ltd
             w += (alpha * w * (1- R/Rtarget) + beta * stdp ) * K : min=w_min, max=w_max",
        )
        .pre_spike("g_target += w\nltp = A_plus")
        .post_spike("ltd = A_minus")
}

fn homeostatic_stdp_as_annarchy() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    homeostatic_case(&doc["ampa"], Targets::from("ampa"), None);
    homeostatic_case(&doc["ampa_nmda"], Targets::from(["ampa", "nmda"]), None);
}

/// In double precision, as ANNarchy computes: the weights agree to the 8
/// or 9 digits the reference keeps (1e-8), where f32's rounding of
/// increments of 1e-8 allows `steps * ulp / 2` (3.6e-6 at the end).
fn homeostatic_stdp_in_f64_as_annarchy_to_its_digits() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    homeostatic_case(&doc["ampa"], Targets::from("ampa"), Some(Dtype::F64));
    homeostatic_case(
        &doc["ampa_nmda"],
        Targets::from(["ampa", "nmda"]),
        Some(Dtype::F64),
    );
}

/// The notebook's network on each backend, in f32 or in `f64`.
fn homeostatic_case(want: &serde_json::Value, targets: Targets, f64: Option<Dtype>) {
    let n = 20;
    let times: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let (start, period) = (3.0 + i as f64, 20.0 + 7.0 * i as f64);
            (0..)
                .map(|k| start + period * k as f64)
                .take_while(|&t| t < 3000.0)
                .collect()
        })
        .collect();
    let dtype = f64.unwrap_or(Dtype::F32);
    let runs: Vec<(Backend, Dtype)> = backends().into_iter().map(|b| (b, dtype)).collect();
    let wide = f64.is_some();
    for (b, dtype) in runs {
        let mut net = Network::new().dt(1.0).dtype(dtype);
        let inp = net.spike_source_array("inp", times.clone()).unwrap();
        let pop = net.population("pop", 1, &rs_neuron()).unwrap();
        net.compute_firing_rate(pop, 500.0).unwrap();
        let proj = net
            .projection(inp, pop, targets.clone())
            .synapse(&homeo_stdp())
            .connect_all_to_all(0.02)
            .unwrap();
        let m = net.monitor(pop, &["spike", "r", "v", "g_nmda"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        let w0: Vec<f64> = (0..n)
            .map(|i| 0.01 + 0.02 * i as f64 / (n - 1) as f64)
            .map(|w| if wide { w } else { f64::from(w as f32) })
            .collect();
        sim.set_synapses(proj, "w", &w0).unwrap();
        // The dendrite's values after steps 0, 100, 200, ... (ANNarchy's
        // monitor with a period of 100 ms).
        let vars = ["w", "ltp", "stdp"];
        let mut samples = vec![Vec::new(); vars.len()];
        for k in 0..30 {
            sim.simulate(if k == 0 { 1.0 } else { 100.0 }).unwrap();
            for (v, rows) in vars.iter().zip(&mut samples) {
                rows.push(sim.synapses_f64(proj, v).unwrap().2);
            }
        }
        sim.simulate(99.0).unwrap();
        let spikes: Vec<u64> = sim.spikes(m).unwrap().iter().map(|s| s.0).collect();
        let want_spikes: Vec<u64> = floats(&want["post_spikes"])
            .iter()
            .map(|&s| s as u64)
            .collect();
        assert_eq!(spikes, want_spikes, "{b:?} {targets:?}: post spike steps");
        let r = sim.recorded_f64(m, "r").unwrap();
        for (s, want) in floats(&want["r"]).iter().enumerate() {
            assert_eq!(r[[s, 0]], *want, "{b:?} {targets:?}: r at step {s}");
        }
        let v = sim.recorded_f64(m, "v").unwrap();
        // f32 rounding grows where v moves fast (the spike's upstroke):
        // the tolerance follows the step's change. In f64, the reference's
        // 8 digits.
        let vs = floats(&want["v_first_200"]);
        for (s, want) in vs.iter().enumerate() {
            let got = v[[s, 0]];
            let slope = if s > 0 { (want - vs[s - 1]).abs() } else { 0.0 };
            let bound = if wide {
                1e-7 * want.abs()
            } else {
                1e-3 * (1.0 + slope)
            };
            assert!(
                (got - want).abs() <= bound,
                "{b:?} {targets:?}: v at step {s}: {got} vs {want}"
            );
        }
        // The traces and the STDP term to f32 rounding (ANNarchy's are
        // rounded to 1e-9).
        for (v, got_rows) in vars.iter().zip(&samples).skip(1) {
            let rows = want[format!("{v}_every_100ms")].as_array().unwrap();
            assert_eq!(rows.len(), got_rows.len());
            for (k, (row, got)) in rows.iter().zip(got_rows).enumerate() {
                for (i, (want, got)) in floats(row).iter().zip(got).enumerate() {
                    let got = *got;
                    let rel = if wide { 1e-7 } else { 1e-5 };
                    assert!(
                        (got - want).abs() <= rel * want.abs() + 1e-9,
                        "{b:?} {targets:?}: {v} of synapse {i} at {} ms: {got} vs ANNarchy {want}",
                        100 * k
                    );
                }
            }
        }
        // A step changes w by about 1e-8, a few ulps of an f32 w of 0.01 to
        // 0.03: each step's rounding (at most half an ulp) adds up, so w
        // agrees to `steps * ulp / 2` (ANNarchy computes in f64).
        let ulp_bound = |want: f64, steps: u64| {
            if wide {
                return 1e-8;
            }
            let ulp = f64::from(f32::EPSILON) * want.abs().max(f64::MIN_POSITIVE);
            steps as f64 * ulp / 2.0 + 1e-9
        };
        // With two targets each spike adds w to g_nmda too (sampled
        // before the update, as ANNarchy records conductances).
        let g = sim.recorded_f64(m, "g_nmda").unwrap();
        for (s, want) in floats(&want["g_nmda_first_200"]).iter().enumerate() {
            let got = g[[s, 0]];
            assert!(
                (got - want).abs() <= 1e-5 * want.abs() + 1e-8,
                "{b:?} {targets:?}: g_nmda at step {s}: {got} vs {want}"
            );
        }
        let rows = want["w_every_100ms"].as_array().unwrap();
        assert_eq!(rows.len(), samples[0].len());
        for (k, (row, got)) in rows.iter().zip(&samples[0]).enumerate() {
            for (i, (want, got)) in floats(row).iter().zip(got).enumerate() {
                let got = *got;
                assert!(
                    (got - want).abs() <= ulp_bound(*want, 100 * k as u64 + 1),
                    "{b:?} {targets:?}: w of synapse {i} at {} ms: {got} vs ANNarchy {want}",
                    100 * k
                );
            }
        }
        let w_end = sim.synapses_f64(proj, "w").unwrap().2;
        for (i, (want, got)) in floats(&want["w_final"]).iter().zip(&w_end).enumerate() {
            let got = *got;
            assert!(
                (got - want).abs() <= ulp_bound(*want, 3000),
                "{b:?} {targets:?}: final w of synapse {i}: {got} vs ANNarchy {want}"
            );
        }
    }
}
