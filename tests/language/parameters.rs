//! save_parameters / load_parameters: the shared parameters of populations
//! and projections round-trip through JSON; a bad file changes nothing.

use crate::common::{temp_path, tests};
use cajal::prelude::*;

tests! {
    cpu: [
        parameters_round_trip_and_change_the_dynamics,
        a_bad_parameter_file_is_an_error_and_changes_nothing,
    ],
}

fn net() -> (Network, PopId) {
    let model = Neuron::rate()
        .parameters("tau = 10.0 : population\nk = 3 : population, int\nb = 0.5")
        .equations("tau * dr/dt = -r + k * b + sum(exc)");
    let mut net = Network::new().dt(0.1);
    let a = net.population("a", 4, &model).unwrap();
    net.projection(a, a, "exc")
        .allow_self_connections(true)
        .synapse(
            &Synapse::new()
                .parameters("g = 2.0 : projection")
                .psp("g * w * pre.r"),
        )
        .connect_one_to_one(Weights::constant(0.1))
        .unwrap();
    (net, a)
}

fn tmp(name: &str) -> std::path::PathBuf {
    temp_path(name)
}

fn parameters_round_trip_and_change_the_dynamics() {
    let (mut net, a) = net();
    let path = tmp("params.json");
    net.save_parameters(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["populations"]["a"]["tau"], 10.0);
    assert_eq!(doc["populations"]["a"]["k"], 3.0);
    assert!(
        doc["populations"]["a"].get("b").is_none(),
        "per-neuron b is not shared"
    );
    assert_eq!(doc["projections"]["a->a:exc"]["g"], 2.0);
    // Edit and load: tau 20, k 2.6 -> 2 (an int truncates toward zero, as
    // ANNarchy's C++ int), g 0.
    let edited = text
        .replace("10.0", "20.0")
        .replace("\"k\": 3.0", "\"k\": 2.6")
        .replace("\"g\": 2.0", "\"g\": 0.0");
    std::fs::write(&path, edited).unwrap();
    net.load_parameters(&path).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    assert_eq!(sim.get_neuron(a, 0, "tau").unwrap(), 20.0);
    assert_eq!(sim.get_neuron(a, 0, "k").unwrap(), 2.0);
    sim.simulate(1.0).unwrap();
    // Explicit Euler, dt = 0.1, g = 0: dr = dt/tau * (k*b - r).
    let r = sim.get_neuron(a, 0, "r").unwrap();
    let mut want = 0.0f32;
    for _ in 0..10 {
        want += 0.1 / 20.0 * (2.0 * 0.5 - want);
    }
    assert!((r - want).abs() < 1e-5, "{r} vs {want}");
    let _ = std::fs::remove_file(&path);
}

fn a_bad_parameter_file_is_an_error_and_changes_nothing() {
    let (mut net, _) = net();
    let before = net.parameters_json();
    let path = tmp("bad.json");
    for (text, expect) in [
        ("{ not json", "not valid JSON"),
        (r#"{"populations": {"zz": {"tau": 1}}}"#, "zz"),
        (r#"{"populations": {"a": {"tau": 1, "nope": 2}}}"#, "nope"),
        (r#"{"populations": {"a": {"b": 1}}}"#, "not a shared"),
        (
            r#"{"populations": {"a": {"tau": "x"}}}"#,
            "must be a number",
        ),
        (
            r#"{"projections": {"a->a:exc": {"g": 1, "w": 2}}}"#,
            "not a shared",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let e = net.load_parameters(&path).unwrap_err().to_string();
        assert!(e.contains(expect), "{text}: {e}");
        assert_eq!(net.parameters_json(), before, "{text} changed something");
    }
    let e = net.load_parameters(tmp("missing.json")).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    let _ = std::fs::remove_file(&path);
}
