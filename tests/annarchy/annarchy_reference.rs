//! ANNarchy 5.0.4.1 reference: an IF_curr_exp-type neuron driven by 11
//! constant currents for 500 ms (tests/data/annarchy/spiking/manifest.json).
//! cajal must reproduce the spike steps exactly and v to 1e-3 mV, on both
//! engines (the `[gpu]` tests are ignored without an adapter, failed under
//! `CAJAL_REQUIRE_GPU=1`); in double precision (ANNarchy's), on the CPU
//! engine, v to 1e-9 mV.

use crate::common::tests;
use cajal::prelude::*;
use cajal::real::Dtype;
use ndarray::Array2;
use ndarray_npy::read_npy;

tests! {
    cpu: [
        explicit_euler_matches_annarchy,
        exponential_euler_matches_annarchy,
        explicit_euler_in_f64_matches_annarchy_to_1e_9,
        exponential_euler_in_f64_matches_annarchy_to_1e_9,
    ],
    gpu: [
        explicit_euler_matches_annarchy_on_the_gpu,
        exponential_euler_matches_annarchy_on_the_gpu,
        explicit_euler_in_f64_matches_annarchy_to_1e_9_on_the_gpu,
        exponential_euler_in_f64_matches_annarchy_to_1e_9_on_the_gpu,
    ],
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/spiking");

fn run(method: &str, backend: Backend, dtype: Dtype) -> (Vec<Vec<u64>>, Array2<f64>) {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/manifest.json")).unwrap())
            .unwrap();
    let mut currents = vec![manifest["i_offset_nA"]["single"][0].as_f64().unwrap()];
    currents.extend(
        manifest["i_offset_nA"]["pop10"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap()),
    );
    let neuron = Neuron::spiking()
        .name("IF_curr_exp reference")
        .parameters("v_rest = -65.0\n cm = 1.0\n tau_m = 20.0\n v_thresh = -50.0\n v_reset = -65.0\n i_offset = 0.0")
        .equations(&format!("cm * dv/dt = cm/tau_m*(v_rest - v) + i_offset : init = -65.0, {method}"))
        .spike("v > v_thresh")
        .reset("v = v_reset")
        .refractory(2.0);
    let mut net = Network::new().dt(0.1).dtype(dtype);
    let pop = net.population("p", currents.len(), &neuron).unwrap();
    net.set(pop, "i_offset", currents).unwrap();
    let m = net.monitor(pop, &["spike", "v"]).unwrap();
    let mut sim = net.compile(backend).unwrap_or_else(|e| panic!("{e}"));
    sim.simulate(500.0).unwrap();
    let mut trains = vec![Vec::new(); 11];
    for (step, n) in sim.spikes(m).unwrap() {
        trains[n as usize].push(step);
    }
    (trains, sim.recorded_f64(m, "v").unwrap())
}

fn check(scheme: &str, method: &str, backend: Backend) {
    check_within(scheme, method, backend, Dtype::F32, 1e-3);
}

/// The spike steps exactly and v within `bound` mV.
fn check_within(scheme: &str, method: &str, backend: Backend, dtype: Dtype, bound: f64) {
    let (trains, v) = run(method, backend, dtype);
    let spikes: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DATA}/annarchy_{scheme}_spikes.json")).unwrap(),
    )
    .unwrap();
    for (i, expected) in spikes["spike_steps"].as_array().unwrap().iter().enumerate() {
        let expected: Vec<u64> = expected
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(
            trains[i], expected,
            "{backend:?}, {scheme}: spike steps of neuron {i}"
        );
    }
    let reference: Array2<f64> = read_npy(format!("{DATA}/annarchy_{scheme}_v.npy")).unwrap();
    assert_eq!(reference.shape(), v.shape());
    let worst = reference
        .iter()
        .zip(v.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < bound,
        "{backend:?}, {dtype}, {scheme}: v differs from ANNarchy by up to {worst} mV"
    );
}

fn explicit_euler_in_f64_matches_annarchy_to_1e_9() {
    check_within("euler", "explicit", Backend::Cpu, Dtype::F64, 1e-9);
}

fn exponential_euler_in_f64_matches_annarchy_to_1e_9() {
    check_within("exp", "exponential", Backend::Cpu, Dtype::F64, 1e-9);
}

fn explicit_euler_in_f64_matches_annarchy_to_1e_9_on_the_gpu() {
    check_within("euler", "explicit", Backend::Gpu, Dtype::F64, 1e-9);
}

fn exponential_euler_in_f64_matches_annarchy_to_1e_9_on_the_gpu() {
    check_within("exp", "exponential", Backend::Gpu, Dtype::F64, 1e-9);
}

fn explicit_euler_matches_annarchy() {
    check("euler", "explicit", Backend::Cpu);
}

fn exponential_euler_matches_annarchy() {
    check("exp", "exponential", Backend::Cpu);
}

fn explicit_euler_matches_annarchy_on_the_gpu() {
    check("euler", "explicit", Backend::Gpu);
}

fn exponential_euler_matches_annarchy_on_the_gpu() {
    check("exp", "exponential", Backend::Gpu);
}
