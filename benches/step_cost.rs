//! The fixed cost of a step on the CPU engine: networks so small that a
//! step is mostly the executor's own work around the kernels (bindings,
//! native runs' set-up, lists, events): one Izhikevich RS neuron, two,
//! 100 Poisson inputs, both, the two neurons fed by the inputs through
//! static synapses, then through the Ramp notebook's plastic ones (STDP
//! equations at every step, one rule homeostatic). Microseconds per step
//! (dt = 1 ms), the minimum over rounds of 50 000 steps each.
//!
//! `cargo bench --bench step_cost [-- ROUNDS] [-- FILTER]` (only the
//! networks whose label contains FILTER); results are recorded in
//! BENCHMARKS.md. Under `valgrind --tool=callgrind`, `-- 1` gives the
//! instructions of a step (total / 51 000, building included).
use cajal::models::inputs::Rates;
use cajal::prelude::*;
use std::time::Instant;

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
            "I = g_ampa * (vrev - v) + g_nmda * nmda(v, -80.0, 60.0) * (vrev -v)
             dv/dt = (0.04 * v + 5.0) * v + 140.0 - u + I : init=-65., midpoint
             du/dt = a * (b*v - u) : init=-13., midpoint
             tau_ampa * dg_ampa/dt = -g_ampa : exponential
             tau_nmda * dg_nmda/dt = -g_nmda : exponential",
        )
        .spike("v >= 30.")
        .reset("v = c\nu += d")
        .functions("nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)")
}

/// The Ramp notebook's rule; `homeostatic` adds its regulation by the
/// neuron's firing rate.
fn stdp(homeostatic: bool) -> Synapse {
    let (params, update) = if homeostatic {
        (
            "alpha = 0.1 : projection\nbeta = 1.0 : projection\ngamma = 50. : projection
             Rtarget = 35. : projection\nT = 5000. : projection",
            "R = post.r : postsynaptic
             K = R/(T*(1.+fabs(1. - R/Rtarget) * gamma)) : postsynaptic
             stdp = if t_post >= t_pre: ltp else: - ltd
             w += (alpha * w * (1- R/Rtarget) + beta * stdp ) * K : min=0.0, max=0.03",
        )
    } else {
        (
            "",
            "w += if t_post >= t_pre: ltp else: - ltd : min=0.0, max=0.03",
        )
    };
    Synapse::new()
        .parameters(&format!(
            "tau_plus = 20. : projection\ntau_minus = 60. : projection
             A_plus = 0.0002 : projection\nA_minus = 0.000066 : projection\n{params}"
        ))
        .equations(&format!(
            "tau_plus  * dltp/dt = -ltp : exponential
             tau_minus * dltd/dt = -ltd : exponential\n{update}"
        ))
        .pre_spike("g_target += w\nltp = A_plus")
        .post_spike("ltd = A_minus")
}

/// `inputs` Poisson neurons (0.2 to 20 Hz), `neurons` one-neuron RS
/// populations with their firing rate (5 s) recorded every step, fed by
/// the inputs with no synapses (`synapses` 0), static ones (1) or the
/// Ramp notebook's plastic ones (2).
fn network(inputs: usize, neurons: usize, synapses: u8) -> Network {
    let mut net = Network::new().dt(1.0).seed(1);
    let rates = (0..inputs).map(|i| 0.2 + 19.8 * i as f32 / 99.0).collect();
    let inp = (inputs > 0).then(|| {
        net.poisson_population("inp", inputs, Rates::PerNeuron(rates), None)
            .unwrap()
    });
    for i in 0..neurons {
        let p = net.population(&format!("pop{i}"), 1, &rs_neuron()).unwrap();
        net.compute_firing_rate(p, 5000.0).unwrap();
        net.monitor(p, &["r"]).unwrap();
        let Some(inp) = inp else { continue };
        let b = net.projection(inp, p, ["ampa", "nmda"]);
        let b = match synapses {
            2 => b.synapse(&stdp(i > 0)),
            1 => b,
            _ => continue,
        };
        b.connect_all_to_all(Dist::uniform(0.01, 0.03)).unwrap();
    }
    net
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-') && a.parse::<usize>().is_err());
    let cases = [
        ("one RS neuron", network(0, 1, 0)),
        ("two RS neurons", network(0, 2, 0)),
        ("100 Poisson inputs", network(100, 0, 0)),
        ("100 Poisson, two RS neurons", network(100, 2, 0)),
        ("... through 200 static synapses", network(100, 2, 1)),
        (
            "... through 200 plastic synapses (Ramp)",
            network(100, 2, 2),
        ),
    ];
    println!("| network | us per step |\n|---|---:|");
    for (label, net) in &cases {
        if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
            continue;
        }
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(1000.0).unwrap();
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let t = Instant::now();
            sim.simulate(50_000.0).unwrap();
            best = best.min(t.elapsed().as_secs_f64() / 50_000.0 * 1e6);
        }
        println!("| {label} | {best:.3} |");
    }
}
