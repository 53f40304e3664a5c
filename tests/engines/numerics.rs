//! Numerical edge cases of the engines' arithmetic: a division by a
//! uniform value (a `: population` parameter, a literal), which both
//! engines turn into a multiplication by a reciprocal computed once, stays
//! finite where the quotient is finite, even for a subnormal divisor
//! whose reciprocal alone overflows f32. What cannot be simulated, or
//! would silently simulate nothing, is an error.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    both: [division_by_a_tiny_uniform_divisor_is_finite],
    cpu: [
        what_cannot_be_simulated_is_refused,
        handles_of_another_network_are_refused,
        numbers_beyond_single_precision_are_refused,
        sizes_beyond_memory_are_refused,
        subnormals_are_kept_unless_flushed,
    ],
}

fn division_by_a_tiny_uniform_divisor_is_finite() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let n = Neuron::rate()
            .parameters("p = 1e-39 : population\nx = 6e-3")
            .equations("q = x / p\nl = x / 1e-39\nr = x / 4.0");
        let pop = net.population("pop", 3, &n).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set(pop, "x", vec![6e-3f32, -2.5e-3, 0.0]).unwrap();
        sim.simulate(1.0).unwrap();
        let get = |sim: &Simulation, v: &str| -> Vec<f32> {
            sim.get(pop, v).unwrap().iter().copied().collect()
        };
        let (q, l, r) = (get(&sim, "q"), get(&sim, "l"), get(&sim, "r"));
        for (i, &x) in [6e-3f32, -2.5e-3, 0.0].iter().enumerate() {
            let want = f64::from(x) / f64::from(1e-39f32);
            for (name, v) in [("q", q[i]), ("l", l[i])] {
                assert!(v.is_finite(), "{b:?} {name}[{i}] = {v}");
                let err = (f64::from(v) - want).abs() / want.abs().max(1e-30);
                assert!(
                    err < 1e-6 || want == 0.0 && v == 0.0,
                    "{b:?} {name}[{i}] = {v}, want {want}"
                );
            }
            // A normal divisor keeps the one multiplication by 1 / 4.
            assert_eq!(r[i], x * 0.25, "{b:?} r[{i}]");
        }
        // Set to 0 the parameter divides to infinity, as a division would.
        sim.set(pop, "p", 0.0).unwrap();
        sim.simulate(1.0).unwrap();
        let q = get(&sim, "q");
        assert!(
            q[0] == f32::INFINITY && q[1] == f32::NEG_INFINITY && q[2].is_nan(),
            "{b:?} {q:?}"
        );
    }
}

fn what_cannot_be_simulated_is_refused() {
    let msg = |e: Error| e.to_string();
    let lif = |refr: f64| {
        Neuron::spiking()
            .equations("dv/dt = 1.0")
            .spike("v > 1.0")
            .reset("v = 0.0")
            .refractory(refr)
    };
    for (refr, says) in [(f64::NAN, "NaN"), (-1.0, "-1"), (f64::INFINITY, "inf")] {
        let mut net = Network::new();
        let e = msg(net.population("p", 2, &lif(refr)).unwrap_err());
        assert!(
            e.contains("refractory period must be a non-negative number") && e.contains(says),
            "{e}"
        );
    }
    // A dt the kernels' f32 cannot hold.
    let mut net = Network::new().dt(1e-300);
    let e = msg(net.population("p", 2, &lif(1.0)).unwrap_err());
    assert!(
        e.contains("too small for the engines' single precision"),
        "{e}"
    );
    // A 100 KB unknown name is not echoed whole.
    let long = "q".repeat(100_000);
    let mut net = Network::new();
    let e = msg(net
        .population("p", 2, &Neuron::rate().equations(&format!("r = {long}")))
        .unwrap_err());
    assert!(
        e.len() < 1000 && e.contains("(100000 characters)"),
        "{} bytes",
        e.len()
    );
    // A duration under half a step runs nothing: an error, not Ok.
    let mut net = Network::new().dt(0.1);
    net.population("p", 2, &lif(1.0)).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = msg(sim.simulate(0.04).unwrap_err());
    assert!(e.contains("less than half a step"), "{e}");
    sim.simulate(0.0).unwrap();
    // The step counter never wraps.
    sim.set_current_step(u64::MAX - 2);
    let e = msg(sim.simulate(1.0).unwrap_err());
    assert!(e.contains("past the last step"), "{e}");
    sim.simulate(0.2).unwrap();
    assert_eq!(sim.current_step(), u64::MAX);
    assert!(sim.step().is_err());
}

/// Two networks of the same shape: each handle of the first, used on the
/// second (or on the first after `clear`), points at an object that exists
/// at the same index there, which used to be read silently.
fn handles_of_another_network_are_refused() {
    let build = || {
        let mut net = Network::new();
        let n = Neuron::spiking()
            .equations("dv/dt = 1.0 + g_exc")
            .spike("v > 1.0")
            .reset("v = 0.0");
        let a = net.population("a", 4, &n).unwrap();
        let b = net.population("b", 4, &n).unwrap();
        let p = net.projection(a, b, "exc").connect_all_to_all(0.5).unwrap();
        let m = net.monitor(a, &["v", "spike"]).unwrap();
        (net, a, p, m)
    };
    let (mut one, a1, p1, m1) = build();
    let (mut two, a2, p2, m2) = build();
    let foreign = |e: Error| {
        let s = e.to_string();
        assert!(s.contains("belongs to another network"), "{s}");
    };
    // Before compiling.
    foreign(two.set(a1, "v", 0.5).unwrap_err());
    foreign(two.pop(a1).map(|_| ()).unwrap_err());
    foreign(two.proj(p1).map(|_| ()).unwrap_err());
    foreign(two.monitor_spec(m1).map(|_| ()).unwrap_err());
    foreign(two.monitor(a1, &["v"]).map(|_| ()).unwrap_err());
    foreign(
        two.projection(a1, a2, "exc")
            .connect_one_to_one(1.0)
            .map(|_| ())
            .unwrap_err(),
    );
    foreign(two.view(a1, &[0, 1]).map(|_| ()).unwrap_err());
    two.set(a2, "v", 0.5).unwrap();
    one.set(a1, "v", 0.25).unwrap();
    // A compiled simulation is a copy of its network: its handles work.
    let mut s1 = one.compile(Backend::Cpu).unwrap();
    let mut s2 = two.compile(Backend::Cpu).unwrap();
    assert_eq!(s1.get_neuron(a1, 0, "v").unwrap(), 0.25);
    assert_eq!(s2.get_neuron(a2, 0, "v").unwrap(), 0.5);
    foreign(s2.get(a1, "v").map(|_| ()).unwrap_err());
    foreign(s2.set(a1, "v", 0.0).unwrap_err());
    foreign(s2.synapses(p1, "w").map(|_| ()).unwrap_err());
    foreign(s2.set_projection(p1, "w", 1.0).unwrap_err());
    s2.simulate(3.0).unwrap();
    foreign(s2.spikes(m1).map(|_| ()).unwrap_err());
    foreign(s2.recorded(m1, "v").map(|_| ()).unwrap_err());
    foreign(s2.take_recording(m1).map(|_| ()).unwrap_err());
    foreign(s2.pause(m1).unwrap_err());
    assert_eq!(s2.recorded(m2, "v").unwrap().nrows(), 3);
    assert!(s2.synapses(p2, "w").is_ok());
    // Callbacks: each simulation's own, even of one network.
    let c1 = s1.every(1.0, 0.0, |_, _| Ok(())).unwrap();
    let mut s1b = one.compile(Backend::Cpu).unwrap();
    s1b.every(1.0, 0.0, |_, _| Ok(())).unwrap();
    let e = s1b.disable_callback(c1).unwrap_err().to_string();
    assert!(e.contains("belongs to another simulation"), "{e}");
    s1.disable_callback(c1).unwrap();
    // After clear(), the old handles are refused, even once the network
    // holds objects at their indices again.
    let (mut net, a, _, _) = build();
    net.clear();
    let n = Neuron::rate().equations("r = 1.0");
    let fresh = net.population("a", 4, &n).unwrap();
    foreign(net.set(a, "r", 0.5).unwrap_err());
    net.set(fresh, "r", 0.5).unwrap();
}

/// A number the engines' f32 would turn into an infinity or a 0 is an
/// error naming where it was given; a subnormal, which keeps a value, is
/// not.
fn numbers_beyond_single_precision_are_refused() {
    let fits = |e: Error, names: &[&str]| {
        let s = e.to_string();
        assert!(s.contains("does not fit"), "{s}");
        for n in names {
            assert!(s.contains(n), "{s} should name {n}");
        }
    };
    let model = |params: &str, eqs: &str| Neuron::rate().parameters(params).equations(eqs);
    // Literals, with their section, line and column.
    let mut net = Network::new();
    let e = net
        .population("p", 2, &model("a = 1.0", "x = a\nr = 1e39 * x"))
        .unwrap_err();
    fits(e, &["equations line 2, column 5", "1e39", "infinite"]);
    let e = net
        .population("p", 2, &model("a = 1e-46", "r = a"))
        .unwrap_err();
    fits(e, &["parameters line 1", "1e-46", "become 0"]);
    let e = net
        .population("p", 2, &model("a = 1e400", "r = a"))
        .unwrap_err();
    fits(e, &["parameters line 1", "double precision"]);
    // A subnormal keeps a value.
    let p = net
        .population("p", 2, &model("a = 1e-39", "r = a"))
        .unwrap();
    assert!(net.pop(p).unwrap().init[0].get(0) > 0.0);
    // Values set before and after compiling.
    fits(
        net.set(p, "a", 1e39).unwrap_err(),
        &["population 'p'", "'a'"],
    );
    fits(
        net.set(p, "r", vec![1.0, 1e-50]).unwrap_err(),
        &["index 1", "1e-50"],
    );
    fits(
        net.set(p, "r", Dist::uniform(0.0, 1e39)).unwrap_err(),
        &["population 'p'", "'r'"],
    );
    let q = net.population("q", 2, &model("", "r = sum(exc)")).unwrap();
    // Weights: constant, drawn, procedural.
    fits(
        net.projection(p, q, "exc")
            .connect_all_to_all(1e39)
            .unwrap_err(),
        &["weight"],
    );
    fits(
        net.projection(p, q, "exc")
            .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1e39)))
            .unwrap_err(),
        &["weights"],
    );
    let s = Neuron::spiking()
        .equations("dv/dt = g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0");
    let a = net.population("a", 4, &s).unwrap();
    let b = net.population("b", 4, &s).unwrap();
    fits(
        net.projection(a, b, "exc")
            .connect_fixed_probability_procedural(0.5, 1e39)
            .unwrap_err(),
        &["weight"],
    );
    let proj = net.projection(p, q, "exc").connect_all_to_all(0.5).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    fits(sim.set(p, "r", -1e39).unwrap_err(), &["population 'p'"]);
    fits(
        sim.set_projection(proj, "w", 1e39).unwrap_err(),
        &["projection"],
    );
    // Nothing was changed by the refused calls.
    // (q reads the r that p had at the previous step.)
    sim.simulate(2.0).unwrap();
    let r: Vec<f32> = sim.get(q, "r").unwrap().iter().copied().collect();
    let want = 0.5 * 1e-39f32 + 0.5 * 1e-39f32;
    assert!(want > 0.0);
    assert_eq!(r, vec![want; 2]);
}

/// A population, a projection, a delay or a recording larger than the
/// memory the machine reports is refused before anything is allocated,
/// with the object, the size and what to do: the sizes are taken from
/// what this machine has, so that the test means the same everywhere.
fn sizes_beyond_memory_are_refused() {
    let Some(avail) = cajal::memory::available() else {
        eprintln!("sizes_beyond_memory_are_refused: SKIPPED, no memory figure on this system");
        return;
    };
    let avail = avail as f64;
    let memory = |e: Error, names: &[&str]| {
        let s = e.to_string();
        assert!(s.contains("of memory, more than the"), "{s}");
        for n in names {
            assert!(s.contains(n), "{s} should name {n}");
        }
    };
    // A projection too large for the memory may be over the synapse limit
    // of a stored projection first (a machine with over 32 GB): refused
    // too, naming it and the procedural way out.
    let too_large = |e: Error, names: &[&str]| {
        let s = e.to_string();
        if s.contains("more than the limit of") {
            for n in names.iter().chain(&["procedural"]) {
                assert!(s.contains(n), "{s} should name {n}");
            }
        } else {
            memory(e, names);
        }
    };
    let rate = Neuron::rate().equations("r = sum(exc)");
    // A population of 2^31 neurons (the issue's), with as many variables
    // as it takes for their 4 bytes each to be more than there is.
    let mut net = Network::new();
    let n = 1usize << 31;
    let k = (avail / (n as f64 * 4.0)).ceil() as usize + 1;
    let params: Vec<String> = (0..k).map(|i| format!("p{i} = 0.0")).collect();
    let wide = Neuron::rate()
        .parameters(&params.join("\n"))
        .equations("r = sum(exc)");
    memory(
        net.population("big", n, &wide).unwrap_err(),
        &["population 'big'", "use fewer neurons"],
    );
    // An all-to-all projection of about avail / 16 synapses.
    let side = (avail / 16.0).sqrt() as usize;
    let a = net.population("a", side, &rate).unwrap();
    let b = net.population("b", side, &rate).unwrap();
    too_large(
        net.projection(a, b, "exc")
            .connect_all_to_all(1.0)
            .unwrap_err(),
        &["projection 'a->b:exc'", "all_to_all", "procedural"],
    );
    too_large(
        net.projection(a, b, "exc")
            .connect_fixed_probability(0.9, 1.0)
            .unwrap_err(),
        &["projection 'a->b:exc'", "fixed_probability"],
    );
    // A delay whose ring of spikes is larger than the memory.
    let lif = Neuron::spiking()
        .equations("dv/dt = 1.0 + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0");
    let mut net = Network::new();
    let s = net.population("s", 1000, &lif).unwrap();
    let steps = (avail / 100.0).min(4e9);
    net.projection(s, s, "exc")
        .delays(steps)
        .connect_fixed_number_pre(1, 0.1)
        .unwrap();
    if steps * 149.0 > avail {
        memory(
            net.compile(Backend::Cpu).map(|_| ()).unwrap_err(),
            &["population 's'", "delay"],
        );
    }
    // A recording: 1000 neurons over more steps than there is room for.
    let mut net = Network::new();
    let p = net.population("p", 1000, &rate).unwrap();
    let m = net.monitor(p, &["r"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let steps = (2.0 * avail / 4000.0).ceil();
    memory(
        sim.simulate(steps).unwrap_err(),
        &["monitor of population 'p'", "period", "take_recording"],
    );
    // Nothing ran, and a run that fits records as before.
    assert_eq!(sim.current_step(), 0);
    sim.simulate(3.0).unwrap();
    assert_eq!(sim.recorded(m, "r").unwrap().dim(), (3, 1000));
}

/// A decaying value goes on into the subnormal range (IEEE arithmetic, as
/// ANNarchy's); where the network flushes subnormals to zero, it stops at
/// the first value whose decrement, `(1 - e^-1) * x`, would be subnormal
/// (flushed, so that x stays), above the smallest normal number. In
/// either precision.
fn subnormals_are_kept_unless_flushed() {
    for flush in [false, true] {
        let mut net = Network::new().dt(1.0).flush_subnormals(flush);
        // Start where ten steps of decay by e^-1 end below the smallest
        // normal number of the network's precision (2^-126, 2^-1022).
        let (x0, normal) = match net.precision() {
            cajal::real::Dtype::F32 => (1e-37, f64::from(f32::MIN_POSITIVE)),
            _ => (1e-305, f64::MIN_POSITIVE),
        };
        let n = Neuron::rate()
            .parameters("tau = 1.0")
            .equations("tau * dx/dt = -x : exponential\nr = x");
        let pop = net.population("pop", 5, &n).unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.set(pop, "x", vec![x0; 5]).unwrap();
        sim.simulate(10.0).unwrap();
        let x = sim.get_f64(pop, "x").unwrap();
        for &v in x.iter() {
            if flush {
                // x0 e^-k for the first k where e^-k x0 (1 - e^-1) is
                // below the smallest normal number.
                let k = (0..)
                    .find(|&k| x0 * (-f64::from(k)).exp() * (1.0 - (-1f64).exp()) < normal)
                    .unwrap();
                let want = x0 * (-f64::from(k)).exp();
                assert!(v >= normal, "flushed: {x:?}");
                assert!((v - want).abs() < 1e-5 * want, "{v} against {want}");
            } else {
                // x0 e^-10, give or take the subnormals' coarse steps.
                let want = x0 * (-10f64).exp();
                assert!(v > 0.0 && v < normal, "kept: {x:?}");
                assert!((v - want).abs() < 0.01 * want, "{v} against {want}");
            }
        }
    }
}
