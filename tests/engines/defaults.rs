//! What a newcomer, or a port from ANNarchy, writes: the defaults and
//! conversions of the network API (delays on the projection builder,
//! numbers as weights, `set` from f64, integers, vectors and arrays,
//! geometries as tuples), a prelude that leaves `Result` to std, and
//! errors that print their message when `main` returns them.

use crate::common::tests;
use cajal::prelude::*;
use ndarray::{Array1, Array2};

tests! {
    cpu: [
        delays_are_one_step_unless_the_builder_sets_them,
        weights_and_delays_take_numbers_and_distributions,
        set_takes_f64_integers_vectors_and_arrays,
        a_geometry_can_be_a_tuple,
        the_prelude_leaves_result_to_std,
        an_error_debugs_as_its_message,
    ],
}

fn lif() -> Neuron {
    cajal::models::if_cond_exp()
}

/// The delays, in steps, of a stored projection.
fn delay_steps(net: &Network, p: ProjId) -> Vec<u32> {
    net.proj(p).unwrap().synapses.delay.clone()
}

fn delays_are_one_step_unless_the_builder_sets_them() {
    let mut net = Network::new().dt(0.1);
    let a = net.population("a", 10, &lif()).unwrap();
    let post = |net: &mut Network, name: &str| net.population(name, 10, &lif()).unwrap();
    let b = post(&mut net, "b");
    let none = net
        .projection(a, b, "exc")
        .connect_all_to_all(Weights::constant(0.1))
        .unwrap();
    assert!(delay_steps(&net, none).iter().all(|&d| d == 1));
    // All-to-all with delays is the same method as without.
    let two = net
        .projection(a, b, "inh")
        .delays(2.0)
        .connect_all_to_all(Weights::constant(0.1))
        .unwrap();
    assert_eq!(delay_steps(&net, two), vec![20; 100]);
    // Every connector takes the builder's delays.
    let c = post(&mut net, "c");
    let one = net
        .projection(a, c, "exc")
        .delays(Delays::constant(0.5))
        .connect_one_to_one(1.0)
        .unwrap();
    assert_eq!(delay_steps(&net, one), vec![5; 10]);
    let m = Array2::from_elem((10, 10), 0.5f32);
    let dense = net
        .projection(a, c, "inh")
        .delays(0.3)
        .connect_from_matrix(m)
        .unwrap();
    assert_eq!(delay_steps(&net, dense), vec![3; 100]);
    // Per-synapse delays given by the connector win over the builder's.
    let d = post(&mut net, "d");
    let sparse = net
        .projection(a, d, "exc")
        .delays(0.3)
        .connect_from_sparse(vec![0, 1], vec![0, 0], vec![1.0, 1.0], Some(vec![0.7, 0.2]))
        .unwrap();
    assert_eq!(delay_steps(&net, sparse), vec![7, 2]);
}

fn weights_and_delays_take_numbers_and_distributions() {
    let mut net = Network::new().dt(0.1).seed(7);
    let a = net.population("a", 50, &lif()).unwrap();
    let b = net.population("b", 50, &lif()).unwrap();
    // An f64 weight, as ANNarchy's `weights=0.6`.
    let w = 0.6;
    let p = net
        .projection(a, b, "exc")
        .connect_fixed_probability(0.2, w)
        .unwrap();
    let q = net
        .projection(a, b, "inh")
        .delays(Dist::uniform(1.0, 3.0))
        .connect_fixed_number_pre(5, Dist::uniform(0.1, 0.2))
        .unwrap();
    let syn = &net.proj(q).unwrap().synapses;
    assert_eq!(syn.len(), 250);
    assert!(syn.delay.iter().all(|&d| (10..=30).contains(&d)));
    assert!(
        syn.delay.iter().any(|&d| d != syn.delay[0]),
        "drawn per synapse"
    );
    let sim = net.compile(Backend::Cpu).unwrap();
    let (_, _, ws) = sim.synapses(p, "w").unwrap();
    assert!(!ws.is_empty() && ws.iter().all(|&x| x == 0.6f32));
    let (_, _, ws) = sim.synapses(q, "w").unwrap();
    assert!(ws.iter().all(|&x| (0.1..=0.2).contains(&x)));
}

fn set_takes_f64_integers_vectors_and_arrays() {
    let mut net = Network::new();
    let p = net
        .population(
            "p",
            (2, 3),
            &Neuron::rate()
                .parameters("a = 0.0\n n = 0 : int\n on = 0 : bool")
                .equations("r = a"),
        )
        .unwrap();
    let v_rest: f64 = -65.5;
    net.set(p, "a", v_rest).unwrap();
    net.set(p, "n", 3).unwrap();
    net.set(p, "on", true).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let flat = |sim: &Simulation, var: &str| -> Vec<f32> {
        sim.get(p, var).unwrap().iter().copied().collect()
    };
    assert_eq!(flat(&sim, "a"), vec![-65.5; 6]);
    assert_eq!(flat(&sim, "n"), vec![3.0; 6]);
    assert_eq!(flat(&sim, "on"), vec![1.0; 6]);
    let ramp: Vec<f64> = (0..6).map(f64::from).collect();
    sim.set(p, "a", ramp.clone()).unwrap();
    assert_eq!(flat(&sim, "a"), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    sim.set(p, "a", ramp.as_slice()).unwrap();
    assert_eq!(flat(&sim, "a"), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let grid = Array2::from_shape_fn((2, 3), |(i, j)| (10 * i + j) as f64);
    sim.set(p, "a", grid).unwrap();
    assert_eq!(flat(&sim, "a"), vec![0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    sim.set(p, "a", Array1::from_elem(6, 0.25f32)).unwrap();
    assert_eq!(flat(&sim, "a"), vec![0.25; 6]);
}

fn a_geometry_can_be_a_tuple() {
    let mut net = Network::new();
    let p = net.population("p", (4, 3), &lif()).unwrap();
    let q = net.population("q", [4, 3], &lif()).unwrap();
    let r = net.population("r", vec![4, 3], &lif()).unwrap();
    for id in [p, q, r] {
        assert_eq!(net.pop(id).unwrap().geometry.dims(), &[4, 3]);
    }
    let e = net.population("e", (4, 0), &lif()).unwrap_err();
    assert!(e.to_string().contains("at least 1"), "{e}");
}

/// With the prelude in scope, `Result` is std's two-parameter one; had the
/// prelude exported cajal's, this would not compile.
fn parse_rate(s: &str) -> Result<f64, String> {
    s.parse::<f64>().map_err(|e| format!("'{s}': {e}"))
}

fn the_prelude_leaves_result_to_std() {
    assert_eq!(parse_rate("20.5"), Ok(20.5));
    assert!(parse_rate("fast").is_err());
    let build = || -> cajal::Result<PopId> {
        let mut net = Network::new();
        net.population("p", 1, &lif())
    };
    assert!(build().is_ok());
}

fn an_error_debugs_as_its_message() {
    let mut net = Network::new();
    let e = net
        .population("p", 10, &Neuron::rate().equations("r = v_rst"))
        .unwrap_err();
    // `fn main() -> cajal::Result<()>` prints `Error: {e:?}`: the message.
    let debug = format!("{e:?}");
    assert_eq!(debug, e.to_string());
    assert!(debug.contains("v_rst"), "{debug}");
    assert!(!debug.contains("Equation {"), "{debug}");
}
