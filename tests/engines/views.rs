//! Population views on both engines: get/set, as the pre or post side of
//! projections, in monitors.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    cpu: [
        overlapping_views_of_one_population_skip_self_connections,
    ],
    both: [
        views_are_made_checked_and_set,
        projections_between_views_join_the_views_neurons,
        monitors_of_views_record_their_neurons,
    ],
}

fn input() -> Neuron {
    Neuron::rate().parameters("b = 0.0").equations("r = b")
}

fn summer() -> Neuron {
    Neuron::rate().equations("r = sum(exc)")
}

fn views_are_made_checked_and_set() {
    let mut net = Network::new();
    let p = net.population("p", &[4usize, 5][..], &input()).unwrap();
    assert_eq!(net.slice(p, 3..6).unwrap().ranks(), &[3, 4, 5]);
    assert_eq!(
        net.view_at(p, &[&[1, 2], &[0, 0]]).unwrap().ranks(),
        &[7, 0]
    );
    assert!(net
        .view(p, &[20])
        .unwrap_err()
        .to_string()
        .contains("out of range"));
    assert!(net
        .view(p, &[1, 1])
        .unwrap_err()
        .to_string()
        .contains("twice"));
    assert!(net.view(p, &[]).is_err());
    assert!(net.view_at(p, &[&[4, 0]]).is_err());
    let v = net.view(p, &[2, 9, 4]).unwrap();
    net.set_view(&v, "b", vec![1.0f32, 2.0, 3.0]).unwrap();
    assert!(net
        .set_view(&v, "b", vec![1.0f32, 2.0])
        .unwrap_err()
        .to_string()
        .contains("3 values"));
    for b in backends() {
        let mut sim = net.compile(b).unwrap();
        let all = sim.get(p, "b").unwrap();
        let flat: Vec<f32> = all.iter().copied().collect();
        for (i, x) in flat.iter().enumerate() {
            let want = match i {
                2 => 1.0,
                9 => 2.0,
                4 => 3.0,
                _ => 0.0,
            };
            assert_eq!(*x, want, "{b:?} rank {i}");
        }
        assert_eq!(sim.get_view(&v, "b").unwrap(), vec![1.0, 2.0, 3.0]);
        sim.set_view(&v, "b", 7.0).unwrap();
        sim.set_view(&net.slice(p, 0..2).unwrap(), "b", vec![-1.0f32, -2.0])
            .unwrap();
        assert_eq!(
            sim.get_view(&net.slice(p, 0..5).unwrap(), "b").unwrap(),
            vec![-1.0, -2.0, 7.0, 0.0, 7.0]
        );
    }
}

fn projections_between_views_join_the_views_neurons() {
    let mut net = Network::new();
    let a = net.population("a", 10, &input()).unwrap();
    let c = net.population("c", 6, &summer()).unwrap();
    net.set(a, "b", (0..10).map(|i| i as f32).collect::<Vec<f32>>())
        .unwrap();
    // a[5..8] one to one onto c's neurons 4, 0, 2 (in that order).
    let pre = net.slice(a, 5..8).unwrap();
    let post = net.view(c, &[4, 0, 2]).unwrap();
    let proj = net
        .projection(&pre, &post, "exc")
        .connect_one_to_one(Weights::constant(2.0))
        .unwrap();
    for b in backends() {
        let mut sim = net.compile(b).unwrap();
        let (posts, pres, _) = sim.synapses(proj, "w").unwrap();
        assert_eq!(posts, vec![0, 2, 4]);
        assert_eq!(pres, vec![6, 7, 5]);
        sim.simulate(3.0).unwrap();
        let r: Vec<f32> = sim.get(c, "r").unwrap().iter().copied().collect();
        assert_eq!(r, vec![12.0, 0.0, 14.0, 0.0, 10.0, 0.0], "{b:?}");
    }
}

fn overlapping_views_of_one_population_skip_self_connections() {
    let mut net = Network::new();
    let lif = Neuron::spiking()
        .equations("dv/dt = -v + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0");
    let p = net.population("p", 8, &lif).unwrap();
    let pre = net.slice(p, 0..5).unwrap();
    let post = net.slice(p, 3..8).unwrap();
    let proj = net
        .projection(&pre, &post, "exc")
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap();
    let s = &net.proj(proj).unwrap().synapses;
    // 5 x 5 pairs, minus 3->3 and 4->4.
    assert_eq!(s.post.len(), 23);
    assert!(s.post.iter().zip(&s.pre).all(|(a, b)| a != b));
    assert!(s.pre.iter().all(|&x| x < 5) && s.post.iter().all(|&x| x >= 3));
    assert!(s.post.windows(2).all(|w| w[0] <= w[1]), "sorted by post");
}

fn monitors_of_views_record_their_neurons() {
    let lif = Neuron::spiking()
        .parameters("I = 1.0")
        .equations("tau * dv/dt = -v + I : init = 0.0")
        .spike("v > 0.5")
        .reset("v = 0.0");
    let mut net = Network::new().dt(0.1);
    net.constant("tau", 5.0).unwrap();
    let p = net.population("p", 40, &lif).unwrap();
    net.set(
        p,
        "I",
        (0..40).map(|i| 0.6 + 0.02 * i as f32).collect::<Vec<f32>>(),
    )
    .unwrap();
    let view = net.view(p, &[39, 3, 20]).unwrap();
    let whole = net.monitor(p, &["spike", "v", "I"]).unwrap();
    let part = net
        .monitor_with(&view, &["spike", "v", "I"], 0.3, true)
        .unwrap();
    let mut runs = Vec::new();
    for b in backends() {
        let mut sim = net.compile(b).unwrap();
        sim.simulate(30.0).unwrap();
        let vw = sim.recorded(whole, "v").unwrap();
        let vp = sim.recorded(part, "v").unwrap();
        assert_eq!(vp.shape(), &[100, 3], "{b:?}");
        for (k, &step) in sim.sample_steps(part).unwrap().iter().enumerate() {
            for (j, &r) in [39usize, 3, 20].iter().enumerate() {
                assert_eq!(vp[[k, j]], vw[[step as usize, r]], "{b:?}");
            }
        }
        assert_eq!(
            sim.recorded(part, "I").unwrap().row(0).to_vec(),
            vec![1.38, 0.66, 1.0]
        );
        let sw = sim.spikes(whole).unwrap();
        let sp = sim.spikes(part).unwrap();
        let want: Vec<(u64, u32)> = sw
            .iter()
            .copied()
            .filter(|(_, i)| [39, 3, 20].contains(i))
            .collect();
        assert!(!want.is_empty());
        assert_eq!(sp, want, "{b:?}");
        runs.push((vp, sp));
    }
    if runs.len() == 2 {
        assert_eq!(runs[0], runs[1]);
    }
}
