//! The CPU engine's threads as ranks of one process (`engine::threads`):
//! a network compiled in a pool of two threads runs as two ranks and reads
//! what one engine on one thread reads, bit for bit, through every part of
//! the simulation's interface: runs in pieces, monitors (added after
//! compiling too), `get`/`set`, synapses, learning, saved states in both
//! directions, a stage run alone, monitors streamed to files. Small
//! networks stay on one engine.

use crate::common::tests;
use cajal::models::synapses::{oja, stdp};
use cajal::prelude::*;
use cajal::real::Dtype;

tests! {
    cpu: [
        coba_on_two_threads_is_one_engine_bit_for_bit,
        plastic_delayed_synapses_on_two_threads,
        rate_coded_values_on_two_threads,
        values_set_and_monitors_added_after_compiling,
        states_saved_on_threads_load_into_one_engine_and_back,
        a_one_neuron_population_on_the_second_rank_is_saved_from_it,
        a_stage_alone_and_streamed_monitors_on_threads,
        small_networks_and_parallel_runs_stay_on_one_engine,
    ],
}

/// Runs `f` with the CPU engine's thread pool at `threads` threads.
fn on<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// Whether this machine has the two cores threads as ranks need (the
/// number of ranks is at most the cores).
fn two_cores() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

fn bits(a: &[f32]) -> Vec<u32> {
    a.iter().map(|x| x.to_bits()).collect()
}

/// COBA with 4400 neurons (the least two ranks take is 4096): 3520
/// excitatory (14 chunks of 256, the last partial) and 880 inhibitory,
/// delays of one step (an exchange a step).
fn coba() -> (Network, PopId, PopId, MonitorId, MonitorId) {
    let (mut net, exc, inh) = cajal::networks::coba(4400, 4).unwrap();
    let view = net.view(exc, &[0, 5, 700, 1800, 3519]).unwrap();
    let m = net.monitor(exc, &["spike", "g_exc"]).unwrap();
    let mv = net.monitor(&view, &["v", "spike"]).unwrap();
    net.monitor(inh, &["spike"]).unwrap();
    (net, exc, inh, m, mv)
}

fn coba_on_two_threads_is_one_engine_bit_for_bit() {
    let (net, exc, inh, m, mv) = coba();
    let run = |threads: usize| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            // In pieces: what a rank keeps between runs carries over.
            for ms in [7.0, 0.5, 22.5] {
                sim.simulate(ms).unwrap();
            }
            (
                sim.spikes(m).unwrap(),
                bits(sim.recorded(m, "g_exc").unwrap().as_slice().unwrap()),
                sim.spikes(mv).unwrap(),
                bits(sim.recorded(mv, "v").unwrap().as_slice().unwrap()),
                bits(sim.get(exc, "v").unwrap().as_slice().unwrap()),
                bits(sim.get(inh, "g_inh").unwrap().as_slice().unwrap()),
                sim.exchanges().1,
            )
        })
    };
    let one = run(1);
    let two = run(2);
    assert!(
        one.0.len() > 500,
        "COBA should fire: {} spikes",
        one.0.len()
    );
    assert_eq!(one.6, 0, "one thread: one engine, no exchange");
    if two_cores() {
        assert_eq!(two.6, 300, "two threads: two ranks, an exchange a step");
    }
    assert_eq!(one.0, two.0, "spikes");
    assert_eq!(one.1, two.1, "g_exc recorded");
    assert_eq!(one.2, two.2, "spikes of the view");
    assert_eq!(one.3, two.3, "v of the view");
    assert_eq!(one.4, two.4, "v");
    assert_eq!(one.5, two.5, "g_inh");
}

fn plastic_delayed_synapses_on_two_threads() {
    let build = || {
        let mut net = Network::new().dt(0.5).seed(9);
        let inp = net.poisson_population("in", 2000, 20.0, None).unwrap();
        let pop = net
            .population("pop", 2200, &cajal::networks::coba_neuron())
            .unwrap();
        net.set(pop, "v", Dist::uniform(-60.0, -50.0)).unwrap();
        let q = net
            .projection(inp, pop, "exc")
            .synapse(&stdp(20.0, 20.0, 0.01, 0.012, 0.0, 1.0))
            .delays(Delays::random(Dist::uniform(1.0, 3.0)))
            .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.2, 0.6)))
            .unwrap();
        net.projection(pop, pop, "inh")
            .connect_fixed_probability(0.02, 1.0)
            .unwrap();
        let m = net.monitor(pop, &["spike"]).unwrap();
        let mw = net.monitor_projection(q, None, &["w"], 5.0).unwrap();
        (net, q, m, mw)
    };
    let (net, q, m, mw) = build();
    let run = |threads: usize| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.simulate(30.0).unwrap();
            sim.simulate(20.0).unwrap();
            let (post, pre, w) = sim.synapses(q, "w").unwrap();
            (
                sim.spikes(m).unwrap(),
                bits(sim.recorded(mw, "w").unwrap().as_slice().unwrap()),
                (post, pre, bits(&w)),
                sim.exchanges().1,
            )
        })
    };
    let (one, two) = (run(1), run(2));
    assert!(one.0.len() > 100, "{} spikes", one.0.len());
    if two_cores() {
        // The recurrent inhibition's delay of one step: one a step.
        assert_eq!(two.3, 100, "exchanges");
    }
    assert_eq!(one.0, two.0, "spikes");
    assert_eq!(one.1, two.1, "w recorded");
    assert_eq!(one.2, two.2, "synapses and learnt weights");
}

/// Two rate-coded populations of 2100 (ranks read each other's `r`
/// every step), one projection learning by Oja's rule and one delayed by
/// three steps, computing in `dtype`: the population `a`, the learning
/// projection and a monitor of `b`'s `r`.
pub(crate) fn rate_network(dtype: Dtype) -> (Network, PopId, ProjId, MonitorId) {
    let mut net = Network::new().dt(1.0).seed(2).dtype(dtype);
    let neuron = Neuron::rate()
        .parameters("tau = 10.0\nb = 0.0")
        .equations("tau * dr/dt + r = sum(exc) + b + Uniform(-0.1, 0.1) : min = 0.0");
    let a = net.population("a", 2100, &neuron).unwrap();
    let b = net.population("b", 2100, &neuron).unwrap();
    net.set(a, "b", Dist::uniform(0.0, 1.0)).unwrap();
    let q = net
        .projection(a, b, "exc")
        .synapse(&oja(0.01, 0.5))
        .connect_fixed_probability(0.05, Weights::random(Dist::uniform(0.0, 0.2)))
        .unwrap();
    net.projection(b, a, "exc")
        .delays(Delays::constant(3.0))
        .connect_fixed_probability(0.02, 0.01)
        .unwrap();
    let m = net.monitor(b, &["r"]).unwrap();
    (net, a, q, m)
}

fn rate_coded_values_on_two_threads() {
    let (net, a, q, m) = rate_network(Dtype::F32);
    let run = |threads: usize| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.simulate(25.0).unwrap();
            (
                bits(sim.recorded(m, "r").unwrap().as_slice().unwrap()),
                bits(sim.get(a, "r").unwrap().as_slice().unwrap()),
                bits(&sim.synapses(q, "w").unwrap().2),
                sim.exchanges().1,
            )
        })
    };
    let (one, two) = (run(1), run(2));
    if two_cores() {
        assert_eq!(two.3, 25, "values read across ranks: an exchange a step");
    }
    assert!(one.1.iter().any(|&r| f32::from_bits(r) > 0.0));
    let differ = |a: &[u32], b: &[u32]| a.iter().zip(b).position(|(x, y)| x != y);
    assert_eq!(
        differ(&one.0, &two.0),
        None,
        "r recorded ({} values)",
        one.0.len()
    );
    assert_eq!(differ(&one.1, &two.1), None, "r of a");
    assert_eq!(differ(&one.2, &two.2), None, "w");
    assert_eq!(
        (one.0.len(), one.1.len(), one.2.len()),
        (two.0.len(), two.1.len(), two.2.len())
    );
}

fn values_set_and_monitors_added_after_compiling() {
    let (mut net, exc, inh, m, _) = coba();
    let q = net
        .projection(inh, exc, "inh")
        .connect_fixed_probability(0.02, 1.0)
        .unwrap();
    let run = |threads: usize| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.simulate(5.0).unwrap();
            sim.set(exc, "v", Dist::uniform(-55.0, -50.0)).unwrap();
            sim.set_neuron(inh, 879, "v", -49.0).unwrap();
            sim.set_projection(q, "w", Dist::uniform(0.2, 0.4)).unwrap();
            // A monitor added now rebuilds the engine, state carried over.
            let late = sim.monitor(inh, &["v"]).unwrap();
            sim.simulate(10.0).unwrap();
            (
                sim.spikes(m).unwrap(),
                bits(sim.recorded(late, "v").unwrap().as_slice().unwrap()),
                bits(&sim.synapses(q, "w").unwrap().2),
                sim.exchanges().1,
            )
        })
    };
    let (one, two) = (run(1), run(2));
    if two_cores() {
        assert!(two.3 > 0, "still ranks after the rebuild");
    }
    assert_eq!(one.0, two.0, "spikes");
    assert_eq!(one.1, two.1, "the late monitor");
    assert_eq!(one.2, two.2, "weights set");
}

fn states_saved_on_threads_load_into_one_engine_and_back() {
    let (mut net, exc, inh, m, _) = coba();
    // Weights of their own, set again before saving: a state cut at the
    // wrong synapses shows.
    let q = net
        .projection(inh, exc, "inh")
        .connect_fixed_probability(0.02, Weights::random(Dist::uniform(0.5, 1.5)))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("cajal-thread-ranks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (on_two, on_one) = (dir.join("two.cajal"), dir.join("one.cajal"));
    let save = |threads: usize, file: &std::path::Path| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.simulate(12.0).unwrap();
            sim.set_projection(q, "w", Dist::uniform(0.2, 2.0)).unwrap();
            sim.save(file).unwrap();
            sim
        })
    };
    // What a run reads 8 ms after loading `file` on `threads` threads.
    let after = |threads: usize, file: &std::path::Path| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.load(file).unwrap();
            sim.simulate(8.0).unwrap();
            (
                sim.spikes(m).unwrap(),
                bits(sim.get(exc, "v").unwrap().as_slice().unwrap()),
                bits(&sim.synapses(q, "w").unwrap().2),
            )
        })
    };
    // The reference: one engine throughout.
    let mut sim = save(1, &on_one);
    on(1, || sim.simulate(8.0)).unwrap();
    let later: Vec<_> = sim
        .spikes(m)
        .unwrap()
        .into_iter()
        .filter(|s| s.0 >= 120)
        .collect();
    let reference = (
        later,
        bits(sim.get(exc, "v").unwrap().as_slice().unwrap()),
        bits(&sim.synapses(q, "w").unwrap().2),
    );
    drop(save(2, &on_two));
    assert_eq!(
        std::fs::read(&on_one).unwrap(),
        std::fs::read(&on_two).unwrap(),
        "the same file saved on one engine and on threads"
    );
    // Monitors are not part of a state: the run after loading records.
    assert_eq!(
        after(1, &on_two),
        reference,
        "saved on threads, loaded by one engine"
    );
    assert_eq!(
        after(2, &on_one),
        reference,
        "saved by one engine, loaded on threads"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn a_one_neuron_population_on_the_second_rank_is_saved_from_it() {
    // 4200 Poisson inputs onto one neuron (STDP II's shape): the inputs'
    // larger half goes to rank 0, the neuron to rank 1, whose value of it
    // a state must take (rank 0's copy of it is never updated).
    let mut net = Network::new().dt(0.5).seed(3);
    let inp = net.poisson_population("in", 4200, 15.0, None).unwrap();
    let one = net
        .population("one", 1, &cajal::networks::coba_neuron())
        .unwrap();
    net.projection(inp, one, "exc")
        .connect_all_to_all(0.05)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("cajal-thread-one-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let saved = |threads: usize| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.simulate(20.0).unwrap();
            let file = dir.join(format!("{threads}.cajal"));
            sim.save(&file).unwrap();
            let v = bits(sim.get(one, "g_exc").unwrap().as_slice().unwrap());
            (std::fs::read(&file).unwrap(), v, sim.exchanges().1)
        })
    };
    let (one_engine, two) = (saved(1), saved(2));
    if two_cores() {
        assert!(two.2 > 0, "two ranks");
    }
    assert_ne!(
        one_engine.1,
        bits(&[0.0]),
        "the neuron should receive input"
    );
    assert_eq!(one_engine.1, two.1, "g_exc read on threads");
    assert!(
        one_engine.0 == two.0,
        "the same state saved on one engine and on threads"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn a_stage_alone_and_streamed_monitors_on_threads() {
    use cajal::engine::schedule::Stage;
    let (net, exc, _, m, _) = coba();
    let dir = std::env::temp_dir().join(format!("cajal-thread-streams-{}", std::process::id()));
    let run = |threads: usize, sub: &str| {
        on(threads, || {
            let mut sim = net.compile(Backend::Cpu).unwrap();
            sim.stream_to(m, dir.join(sub)).unwrap();
            sim.simulate(6.0).unwrap();
            // One stage alone: the simulation makes the ranks one engine.
            sim.run_stage(Stage::SpikeDelivery).unwrap();
            let g = bits(sim.get(exc, "g_exc").unwrap().as_slice().unwrap());
            sim.simulate(4.0).unwrap();
            (g, bits(sim.get(exc, "v").unwrap().as_slice().unwrap()))
        })
    };
    let (one, two) = (run(1, "one"), run(2, "two"));
    assert_eq!(one, two);
    let mut files: Vec<_> = std::fs::read_dir(dir.join("one"))
        .unwrap()
        .map(|f| f.unwrap().file_name())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    for f in files {
        let a = std::fs::read(dir.join("one").join(&f)).unwrap();
        let b = std::fs::read(dir.join("two").join(&f));
        assert_eq!(Some(a), b.ok(), "{f:?} streamed alike");
    }
    let rec = cajal::io::read_recording(dir.join("two")).unwrap();
    assert_eq!(rec.sample_steps.len(), 100, "every step of 10 ms recorded");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn small_networks_and_parallel_runs_stay_on_one_engine() {
    // 2000 neurons: fewer than 1024 a rank on two.
    let (net, _, _) = cajal::networks::coba(2000, 1).unwrap();
    on(2, || {
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(2.0).unwrap();
        assert_eq!(sim.exchanges(), (0.0, 0));
    });
    let (net, _, _, _, _) = coba();
    let exchanges = on(2, || {
        net.parallel_run(Backend::Cpu, 2, |_, sim| {
            sim.simulate(1.0)?;
            Ok(sim.exchanges().1)
        })
        .unwrap()
    });
    assert_eq!(exchanges, vec![0, 0], "parallel runs share the cores");
}
