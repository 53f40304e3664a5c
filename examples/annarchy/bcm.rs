//! ANNarchy's BCM notebook: two rate inputs (r = 1.0 and 0.1) drive one
//! neuron `r = sum(exc)` through IBCM synapses (Intrator & Cooper 1992):
//! a sliding threshold `theta` follows the mean of `post.r^2` (the
//! exponential method), and `w` grows where `post.r > theta`, shrinks
//! below it, never under 0. The neuron becomes selective: the weight of
//! the strong input settles, the weak one's decays. dt = 1 ms, 1000 ms.
//!
//! Deterministic, so the output's trace, the final weights and threshold
//! are printed beside ANNarchy 5.0.4.1's
//! (`tests/data/annarchy/notebooks/bcm`).
//!
//! `cargo run --release --example nb_bcm [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use common::exact;

// ANNarchy 5.0.4.1 (tests/data/annarchy/notebooks/bcm/bcm.json).
const R_PEAK: f64 = 2.464662670169309;
const R_PEAK_SAMPLE: f64 = 96.0;
const R_FINAL: f64 = 0.1431929116944083;
const W_FINAL: [f64; 2] = [0.052846167525923776, 0.9052846167525944];
const THETA_FINAL: f64 = 0.01754540483771758;
const R_EVERY_100: [f64; 10] = [
    1.1,
    2.4579534180595757,
    0.571060444904836,
    0.17085401081658375,
    0.10941632608165097,
    0.09721916342426969,
    0.09827050153893281,
    0.10473947459670165,
    0.11450249738713866,
    0.1272190250387089,
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let input_neuron = Neuron::rate().parameters("r = 0.0");
    let neuron = Neuron::rate().equations("r = sum(exc)");
    let ibcm = Synapse::new()
        .parameters(
            "eta = 0.01 : projection
             tau = 100.0 : projection",
        )
        .equations(
            "tau * dtheta/dt + theta = (post.r)^2 : postsynaptic, exponential

             dw/dt = eta * post.r * (post.r - theta) * pre.r : min=0.0, explicit",
        )
        .psp("w * pre.r");
    let mut net = Network::new().dt(1.0);
    let pre = net.population("pre", 2, &input_neuron)?;
    let post = net.population("post", 1, &neuron)?;
    let proj = net
        .projection(pre, post, "exc")
        .synapse(&ibcm)
        .connect_all_to_all(1.0)?;
    let m = net.monitor(post, &["r"])?;
    let mut sim = net.compile(backend)?;
    println!("engine: {:?}", sim.backend());
    sim.set(pre, "r", vec![1.0f32, 0.1])?;
    sim.simulate(1000.0)?;
    common::timings(&sim);

    let r = sim.recorded(m, "r")?.column(0).to_vec();
    let k = (0..r.len()).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap();
    let (_, _, w) = sim.synapses(proj, "w")?;
    let (_, _, theta) = sim.synapses(proj, "theta")?;
    println!("{:<40} {:>12}   ANNarchy 5.0.4.1", "quantity", "cajal");
    exact("r peak", f64::from(r[k]), R_PEAK);
    exact("r peak sample", k as f64, R_PEAK_SAMPLE);
    for (i, want) in R_EVERY_100.iter().enumerate() {
        exact(
            &format!("r at sample {}", 100 * i),
            f64::from(r[100 * i]),
            *want,
        );
    }
    exact("r at 1000 ms", f64::from(r[r.len() - 1]), R_FINAL);
    exact("w of input 0 (r = 1.0)", f64::from(w[0]), W_FINAL[0]);
    exact("w of input 1 (r = 0.1)", f64::from(w[1]), W_FINAL[1]);
    exact("theta", f64::from(theta[0]), THETA_FINAL);
    Ok(())
}
