//! Synaptic variables and parameters set after connecting (ANNarchy's
//! `proj.U = Normal(...)`): before compiling on the network, after on the
//! simulation, from a distribution drawn on the host with the seed
//! (statistics and determinism), and what the engines then run with.

use crate::common::{backends, tests};
use cajal::models::synapses::stp;
use cajal::prelude::*;

tests! {
    both: [
        distributions_set_synapses_before_and_after_compile,
    ],
}

/// Two spiking populations of 100 connected all to all through ANNarchy's
/// STP synapse (U per synapse, tau_rec projection-wide), and a rate-coded
/// pair whose output is the sum of its weights.
fn net(seed: u64) -> (Network, ProjId, ProjId, PopId) {
    let mut net = Network::new().seed(seed);
    let lif = cajal::models::if_curr_exp();
    let a = net.population("a", 100, &lif).unwrap();
    let b = net.population("b", 100, &lif).unwrap();
    let p = net
        .projection(a, b, "exc")
        .synapse(&stp(100.0, 50.0, 0.5))
        .connect_all_to_all(0.1)
        .unwrap();
    let inp = net
        .population("in", 20, &Neuron::rate().parameters("r = 1.0"))
        .unwrap();
    let out = net
        .population("out", 5, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let q = net
        .projection(inp, out, "exc")
        .connect_all_to_all(0.0)
        .unwrap();
    (net, p, q, out)
}

fn mean_sd(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

fn distributions_set_synapses_before_and_after_compile() {
    let msg = |r: cajal::Result<()>| r.unwrap_err().to_string();
    let (mut n1, p, q, out) = net(5);
    n1.set_projection(p, "U", Dist::normal(0.3, 0.05)).unwrap();
    n1.set_projection(p, "tau_rec", 80.0).unwrap();
    // The same network and seed draw the same values; another seed others.
    let (mut n2, p2, ..) = net(5);
    n2.set_projection(p2, "U", Dist::normal(0.3, 0.05)).unwrap();
    let (mut n3, p3, ..) = net(6);
    n3.set_projection(p3, "U", Dist::normal(0.3, 0.05)).unwrap();
    // Each network's own handle (they are built alike).
    let u = |n: &Network| {
        let p = n.find_projection("a->b:exc").unwrap();
        n.compile(Backend::Cpu).unwrap().synapses(p, "U").unwrap().2
    };
    let u1 = u(&n1);
    assert_eq!(u1, u(&n2));
    assert_ne!(u1, u(&n3));
    // 10 000 draws: the mean within 5 standard errors, the sd within 3%.
    assert_eq!(u1.len(), 10_000);
    let (m, sd) = mean_sd(&u1);
    assert!((m - 0.3).abs() < 5.0 * 0.05 / 100.0, "mean {m}");
    assert!((sd - 0.05).abs() < 0.0015, "sd {sd}");
    // Not the same draw repeated, nor the other synapse variables moved.
    assert!(u1.windows(2).filter(|w| w[0] == w[1]).count() < 5);
    let sim = n1.compile(Backend::Cpu).unwrap();
    assert!(sim.synapses(p, "w").unwrap().2.iter().all(|&w| w == 0.1));
    assert_eq!(sim.synapses(p, "tau_rec").unwrap().2[0], 80.0);

    // The errors name the projection and the cause.
    let e = msg(n1.set_projection(p, "tau_rec", Dist::uniform(50.0, 100.0)));
    assert!(
        e.contains("a->b:exc") && e.contains("projection-wide"),
        "{e}"
    );
    let e = msg(n1.set_projection(p, "tau_rec", vec![1.0f32; 10_000]));
    assert!(e.contains("projection-wide"), "{e}");
    let e = msg(n1.set_projection(p, "nope", 1.0));
    assert!(e.contains("nope") && e.contains("tau_facil"), "{e}");
    let e = msg(n1.set_projection(p, "U", vec![0.5f32; 3]));
    assert!(e.contains("10000 values") && e.contains("[3]"), "{e}");
    let e = msg(n1.set_projection(p, "U", f32::NAN));
    assert!(e.contains("'U' cannot be NaN"), "{e}");
    // A `: postsynaptic` variable is one value per post-synaptic neuron.
    let mut n4 = Network::new();
    let rate = Neuron::rate().equations("r = sum(exc)");
    let (x, y) = (
        n4.population("x", 4, &rate).unwrap(),
        n4.population("y", 3, &rate).unwrap(),
    );
    let h = n4
        .projection(x, y, "exc")
        .synapse(&cajal::models::synapses::ibcm(0.01, 2000.0))
        .connect_all_to_all(0.5)
        .unwrap();
    let e = msg(n4.set_projection(h, "theta", Dist::uniform(0.0, 1.0)));
    assert!(e.contains("x->y:exc") && e.contains("postsynaptic"), "{e}");
    let per_post: Vec<f32> = (0..12).map(|k| (k / 4) as f32).collect();
    n4.set_projection(h, "theta", per_post.clone()).unwrap();
    n4.set_projection(h, "w", Dist::uniform(0.0, 1.0)).unwrap();
    let sim = n4.compile(Backend::Cpu).unwrap();
    assert_eq!(sim.synapses(h, "theta").unwrap().2, per_post);

    let mut ws = Vec::new();
    for b in backends() {
        let mut sim = n1.compile(b).unwrap();
        assert_eq!(
            sim.synapses(p, "U").unwrap().2,
            u1,
            "{b:?}: compiled as set"
        );
        // After compile: drawn from the simulation's seed, deterministic.
        sim.set_projection(q, "w", Dist::uniform(0.0, 1.0)).unwrap();
        let w = sim.synapses(q, "w").unwrap().2;
        let mut again = n1.compile(b).unwrap();
        again
            .set_projection(q, "w", Dist::uniform(0.0, 1.0))
            .unwrap();
        assert_eq!(again.synapses(q, "w").unwrap().2, w, "{b:?}");
        assert!(w.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert_ne!(w[0], w[1]);
        // The engine runs with them: out = the sum of each row of w.
        sim.simulate(2.0).unwrap();
        let r = sim.get(out, "r").unwrap();
        for (i, row) in w.chunks(20).enumerate() {
            let sum: f32 = row.iter().sum();
            assert!(
                (r[[i]] - sum).abs() < 1e-5,
                "{b:?}: out {i}: {} vs {sum}",
                r[[i]]
            );
        }
        sim.set_projection(p, "U", Dist::uniform(0.1, 0.2)).unwrap();
        let (m, _) = mean_sd(&sim.synapses(p, "U").unwrap().2);
        assert!((m - 0.15).abs() < 0.002, "{b:?}: mean {m}");
        let e = msg(sim.set_projection(p, "tau_rec", Dist::uniform(50.0, 100.0)));
        assert!(e.contains("projection-wide"), "{e}");
        ws.push(w);
    }
    // Host draws: both engines got the same values.
    if ws.len() == 2 {
        assert_eq!(ws[0], ws[1]);
    }
}
