//! A spiking synapse with a psp and pre_spike statements, the PyNN/Brian
//! notebook's non-linear NMDA synapse (`x += w` at a spike, `psp = g`,
//! `x` and `g` integrated every step), against ANNarchy 5.0.4.1
//! (tests/data/annarchy/nmda): each synapse's x and g, the integrator's
//! g_exc and v at every step, on both engines.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [nmda_synapse_is_annarchys],
    cpu: [what_a_psp_cannot_have_beside_it_is_refused],
}

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/annarchy/nmda/nmda.json"
);

fn nmda_synapse_is_annarchys() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let series = |k: &str| -> Vec<Vec<f64>> {
        doc[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| match r.as_array() {
                Some(a) => a.iter().map(|x| x.as_f64().unwrap()).collect(),
                None => vec![r.as_f64().unwrap()],
            })
            .collect()
    };
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let linear = Neuron::spiking()
            .equations("dv/dt = 0.1")
            .spike("v>1.05")
            .reset("v=0.0");
        let integrator = Neuron::spiking()
            .equations("dv/dt = 0.1*(g_exc -v)")
            .spike("v>2.0")
            .reset("v=0.0");
        let nmda = Synapse::new()
            .parameters("tau = 10.0 : projection")
            .equations(
                "tau * dx/dt = -x
                 tau * dg/dt = -g +  x * (1 -g)",
            )
            .pre_spike("x += w")
            .psp("g");
        let inp = net.population("input", 2, &linear).unwrap();
        let pop = net.population("pop", 1, &integrator).unwrap();
        let proj = net
            .projection(inp, pop, "exc")
            .synapse(&nmda)
            .connect_from_matrix(ndarray::arr2(&[[1.0f32, 10.0]]))
            .unwrap();
        let m = net.monitor(pop, &["v", "g_exc"]).unwrap();
        let ms = net.monitor(inp, &["spike"]).unwrap();
        let w = net
            .monitor_projection(proj, Some(0), &["g", "x"], 1.0)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set(inp, "v", vec![0.0f32, 0.5]).unwrap();
        sim.simulate(100.0).unwrap();
        let spikes = sim.spikes(ms).unwrap();
        for (k, want) in doc["input_spikes"].as_object().unwrap() {
            let k: u32 = k.parse().unwrap();
            let got: Vec<u64> = spikes.iter().filter(|s| s.1 == k).map(|s| s.0).collect();
            let want: Vec<u64> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(got, want, "{b:?}: spikes of input {k}");
        }
        let check = |name: &str, got: &ndarray::Array2<f32>, want: &[Vec<f64>]| {
            assert_eq!(got.nrows(), want.len(), "{b:?} {name}: samples");
            for (s, row) in want.iter().enumerate() {
                for (i, e) in row.iter().enumerate() {
                    let a = f64::from(got[[s, i]]);
                    assert!(
                        (a - e).abs() <= 1e-5 * e.abs().max(1.0),
                        "{b:?} {name}[{i}] at step {s}: {a} against ANNarchy's {e}"
                    );
                }
            }
        };
        check("v", &sim.recorded(m, "v").unwrap(), &series("v"));
        check(
            "g_exc",
            &sim.recorded(m, "g_exc").unwrap(),
            &series("g_exc"),
        );
        check("g", &sim.recorded(w, "g").unwrap(), &series("g"));
        check("x", &sim.recorded(w, "x").unwrap(), &series("x"));
    }
}

/// Beside a psp, pre_spike may change the synapse's own variables and
/// nothing else; the rest is refused with the reason, at compile.
fn what_a_psp_cannot_have_beside_it_is_refused() {
    let linear = Neuron::spiking()
        .equations("dv/dt = 0.1")
        .spike("v>1.05")
        .reset("v=0.0");
    let integrator = Neuron::spiking()
        .equations("dv/dt = 0.1*(g_exc -v)")
        .spike("v>2.0")
        .reset("v=0.0");
    let base = || {
        Synapse::new()
            .parameters("tau = 10.0 : projection")
            .equations("tau * dx/dt = -x\ntau * dg/dt = -g + x * (1 - g)")
            .psp("g")
    };
    let cases = [
        (
            base().pre_spike("x += w\ng_target += w"),
            None,
            "changes g_target",
        ),
        (base().pre_spike("x += w\nw += 0.1"), None, "changes w"),
        (
            base().pre_spike("x += w").post_spike("x = 0.0"),
            None,
            "post_spike",
        ),
        (
            base().pre_spike("x += w"),
            Some(3.0),
            "delay longer than one step",
        ),
    ];
    for (syn, delay, why) in cases {
        let mut net = Network::new().dt(1.0);
        let inp = net.population("input", 2, &linear).unwrap();
        let pop = net.population("pop", 1, &integrator).unwrap();
        let mut p = net.projection(inp, pop, "exc").synapse(&syn);
        if let Some(d) = delay {
            p = p.delays(d);
        }
        p.connect_all_to_all(1.0).unwrap();
        let e = net
            .compile(Backend::Cpu)
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("has a psp") && e.contains(why), "{why}: {e}");
    }
}
