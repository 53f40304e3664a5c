//! ANNarchy 5.0.4.1 reference for an `init` that names a parameter
//! (tests/data/annarchy/init_param: script, output, manifest): ANNarchy
//! resolves `init = u_r` when the network is compiled, so the variable
//! starts at the parameter's values as set before compiling (per neuron
//! where the parameter is per neuron), unless the variable was set itself;
//! the same for a synapse variable and its projection's parameters. Exact
//! on both engines.

use crate::common::{annarchy_json, backends, floats, temp_path, tests};
use cajal::prelude::*;

tests! {
    both: [an_init_naming_a_parameter_follows_it_until_set],
    cpu: [a_parameter_file_is_followed_too],
}

fn an_init_naming_a_parameter_follows_it_until_set() {
    let doc = annarchy_json("init_param/init_param.json");
    let model = Neuron::rate()
        .parameters("u_r = -70.0\nu_th = -50.0 : population")
        .equations("du/dt = -u : init = u_r\ndv/dt = 0.0 : init = u_th\nr = u + 0.0 * sum(exc)");
    let syn = Synapse::new()
        .parameters("x0 = 0.5\ny0 = 0.2 : projection")
        .equations("dx/dt = 0.0 : init = x0\ndy/dt = 0.0 : init = y0\ndz/dt = 0.0 : init = x0");
    for b in backends() {
        let mut net = Network::new();
        let a = net.population("a", 3, &model).unwrap();
        net.set(a, "u_r", vec![-80.0f32, -81.0, -82.0]).unwrap();
        let bp = net.population("b", 3, &model).unwrap();
        net.set(bp, "u", 5.0).unwrap();
        net.set(bp, "u_r", -90.0).unwrap();
        net.set(bp, "u_th", -40.0).unwrap();
        let c = net.population("c", 2, &model).unwrap();
        let proj = net
            .projection(a, c, "exc")
            .synapse(&syn)
            .connect_all_to_all(0.1)
            .unwrap();
        net.set_projection(proj, "z", 0.3).unwrap();
        net.set_projection(proj, "x0", 0.8).unwrap();
        net.set_projection(proj, "y0", 0.6).unwrap();
        let sim = net.compile(b).unwrap();
        for v in ["x", "y", "z"] {
            let want: Vec<f32> = floats(&doc["proj"][v]).iter().map(|&x| x as f32).collect();
            assert_eq!(sim.synapses(proj, v).unwrap().2, want, "{b:?} synapse {v}");
        }
        for (pop, name) in [(a, "a"), (bp, "b"), (c, "c")] {
            for v in ["u", "v"] {
                let want: Vec<f32> = floats(&doc[name][v]).iter().map(|&x| x as f32).collect();
                let got: Vec<f32> = sim.get(pop, v).unwrap().iter().copied().collect();
                assert_eq!(got, want, "{b:?} population {name}, {v}");
            }
        }
    }
}

/// Parameters loaded from a file before compiling are set parameters like
/// any other: the variables naming them follow (as `set` and
/// `set_projection` above).
fn a_parameter_file_is_followed_too() {
    let model = Neuron::rate()
        .parameters("u_r = -70.0 : population")
        .equations("du/dt = 0.0 : init = u_r\nr = u + 0.0 * sum(exc)");
    let syn = Synapse::new()
        .parameters("y0 = 0.2 : projection")
        .equations("dy/dt = 0.0 : init = y0");
    let mut net = Network::new();
    let a = net.population("a", 2, &model).unwrap();
    let proj = net
        .projection(a, a, "exc")
        .synapse(&syn)
        .connect_all_to_all(0.1)
        .unwrap();
    let name = net.proj(proj).unwrap().name.clone();
    let file = temp_path("parameters.json");
    std::fs::write(
        &file,
        format!(r#"{{"populations": {{"a": {{"u_r": -80.0}}}}, "projections": {{"{name}": {{"y0": 0.9}}}}}}"#),
    )
    .unwrap();
    net.load_parameters(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    let sim = net.compile(Backend::Cpu).unwrap();
    assert_eq!(
        sim.get(a, "u")
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<f32>>(),
        vec![-80.0; 2]
    );
    assert_eq!(sim.synapses(proj, "y").unwrap().2, vec![0.9; 2]);
}
