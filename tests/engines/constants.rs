//! Network constants (ANNarchy's `Constant`) changed after compilation, and
//! network functions (`add_function`, `functions`), on both engines: a
//! constant set after compilation acts as one compiled with that value, bit
//! for bit, in every kind of kernel (neuron update with spike, reset and a
//! population variable, a general psp, a learning rule, event-driven
//! pre/post spikes, a convolution's psp); it acts from the next step; a
//! model's parameter hides it; save/load and reset carry its current
//! value (ANNarchy's reset leaves constants alone). A network function gives on the host what the
//! engines compute. The whole-network callback switches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use crate::common::{backends, compile_ordered, temp_path, tests, validate_all};
use cajal::prelude::*;

tests! {
    cpu: [
        kernels_reading_constants_validate,
        constants_and_functions_errors_name_the_cause,
        parameters_files_carry_the_constants,
    ],
    both: [
        a_constant_set_after_compile_acts_as_one_compiled_with_it,
        a_changed_constant_acts_from_the_next_step,
        a_state_changed_mid_run_continues_as_a_network_built_with_the_new_value,
        a_model_parameter_hides_a_constant,
        save_load_and_reset_carry_the_current_value,
        many_constants_are_all_read,
        network_functions_give_on_the_host_what_the_engines_compute,
        callbacks_switch_off_and_on_as_a_whole,
    ],
}

/// The constants of [`rich`]: (name, first value, second value).
const CONSTS: &[(&str, f32, f32)] = &[
    ("tau_m", 10.0, 6.0),
    ("v_th", 1.0, 0.8),
    ("v_reset", 0.0, 0.1),
    ("drive", 1.3, 1.6),
    ("k_syn", 0.5, 0.9),
    ("tau_plus", 20.0, 12.0),
    ("tau_minus", 25.0, 40.0),
    ("a_plus", 0.01, 0.03),
    ("a_minus", 0.012, 0.004),
    ("w_max", 1.0, 0.7),
    ("tau_r", 5.0, 3.0),
    ("psp_gain", 0.8, 1.7),
    ("eta", 0.001, 0.004),
    ("conv_gain", 2.0, 0.5),
];

/// A network in which every kind of kernel reads constants, each with its
/// first value (`second`: its second).
fn rich(second: bool) -> (Network, Vec<MonitorId>, Vec<ProjId>) {
    let mut net = Network::new().dt(0.5).seed(11);
    for (name, a, b) in CONSTS {
        net.constant(name, if second { *b } else { *a }).unwrap();
    }
    let lif = Neuron::spiking()
        .parameters("I = 0.0")
        .equations(
            "tau_m * dv/dt = -v + drive + I + g_exc : init = 0.0\nmean_g = k_syn * (1.0 + t * 0.001) : population",
        )
        .spike("v > v_th")
        .reset("v = v_reset");
    let a = net.population("a", 30, &lif).unwrap();
    let b = net.population("b", 20, &lif).unwrap();
    let i: Vec<f32> = (0..30).map(|k| 0.02 * k as f32).collect();
    net.set(a, "I", i).unwrap();
    // A general pre_spike and event-driven STDP traces.
    let stdp = Synapse::new()
        .equations("tau_plus * dx/dt = -x : event-driven\ntau_minus * dy/dt = -y : event-driven")
        .pre_spike("g_target += w * k_syn\nx += a_plus\nw = clip(w - y, 0.0, w_max)")
        .post_spike("y += a_minus\nw = clip(w + x, 0.0, w_max)");
    let ab = net
        .projection(a, b, "exc")
        .synapse(&stdp)
        .connect_all_to_all(Weights::constant(0.05))
        .unwrap();
    // Rate-coded: a general psp and a learning rule.
    let rate = Neuron::rate().equations("tau_r * dr/dt + r = sum(exc) + 0.1");
    let x = net.population("x", [4, 4], &rate).unwrap();
    let y = net.population("y", 6, &rate).unwrap();
    let hebb = Synapse::new()
        .psp("w * pre.r * psp_gain")
        .equations("dw/dt = eta * pre.r * post.r");
    let xy = net
        .projection(x, y, "exc")
        .synapse(&hebb)
        .connect_all_to_all(Weights::constant(0.2))
        .unwrap();
    net.projection(y, x, "exc")
        .connect_all_to_all(Weights::constant(0.05))
        .unwrap();
    // A convolution whose psp reads a constant.
    let z = net
        .population("z", [4, 4], &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let filter = ArrayD::from_shape_vec(
        IxDyn(&[3, 3]),
        vec![0.1, 0.2, 0.1, 0.0, 0.5, 0.0, -0.1, 0.2, 0.1],
    )
    .unwrap();
    net.convolution(x, z, "exc")
        .psp("w * pre.r * conv_gain")
        .connect_filter(&filter)
        .unwrap();
    let monitors = vec![
        net.monitor(a, &["spike", "v", "mean_g"]).unwrap(),
        net.monitor(b, &["spike", "v", "g_exc"]).unwrap(),
        net.monitor(x, &["r"]).unwrap(),
        net.monitor(y, &["r"]).unwrap(),
        net.monitor(z, &["r"]).unwrap(),
    ];
    (net, monitors, vec![ab, xy])
}

/// Everything [`rich`] records, and its plastic weights, as bits.
fn outcome(sim: &Simulation, monitors: &[MonitorId], projs: &[ProjId]) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    for &m in monitors {
        let spec = sim.network().monitor_spec(m).unwrap();
        for var in &spec.vars {
            let v = sim.recorded(m, var).unwrap();
            out.push(v.iter().map(|x| x.to_bits()).collect());
        }
        if spec.spikes {
            let s = sim.spikes(m).unwrap();
            out.push(s.iter().flat_map(|&(t, i)| [t as u32, i]).collect());
        }
    }
    for &p in projs {
        let (_, _, w) = sim.synapses(p, "w").unwrap();
        out.push(w.iter().map(|x| x.to_bits()).collect());
    }
    out
}

fn set_second(sim: &mut Simulation) {
    for (name, _, b) in CONSTS {
        sim.set_constant(name, *b).unwrap();
    }
}

fn a_constant_set_after_compile_acts_as_one_compiled_with_it() {
    let mut per_engine = Vec::new();
    for b in backends() {
        let (net, monitors, projs) = rich(false);
        let mut changed = compile_ordered(&net, b).unwrap();
        set_second(&mut changed);
        changed.simulate(200.0).unwrap();
        let (net, monitors2, projs2) = rich(true);
        let mut built = compile_ordered(&net, b).unwrap();
        built.simulate(200.0).unwrap();
        let got = outcome(&changed, &monitors, &projs);
        let want = outcome(&built, &monitors2, &projs2);
        assert_eq!(
            got, want,
            "{b:?}: set after compile differs from compiled with"
        );
        // The second values matter: the first give another run.
        let (net, monitors3, projs3) = rich(false);
        let mut first = compile_ordered(&net, b).unwrap();
        first.simulate(200.0).unwrap();
        assert_ne!(outcome(&first, &monitors3, &projs3), want, "{b:?}");
        // Something spiked and learned, so that every path ran.
        assert!(!changed.spikes(monitors[0]).unwrap().is_empty(), "{b:?}");
        assert!(!changed.spikes(monitors[1]).unwrap().is_empty(), "{b:?}");
        per_engine.push(got);
    }
    if per_engine.len() == 2 {
        assert_eq!(per_engine[0], per_engine[1], "the engines differ");
    }
}

fn a_changed_constant_acts_from_the_next_step() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        net.constant("c", 2.0).unwrap();
        let p = net
            .population("p", 3, &Neuron::rate().equations("r = c * (1.0 + t)"))
            .unwrap();
        let m = net.monitor(p, &["r"]).unwrap();
        let mut sim = net.compile(b).unwrap();
        assert_eq!(sim.get_constant("c").unwrap(), 2.0);
        sim.simulate(3.0).unwrap();
        sim.set_constant("c", -0.5).unwrap();
        assert_eq!(sim.get_constant("c").unwrap(), -0.5);
        assert_eq!(sim.constants(), vec![("c".to_string(), -0.5)]);
        sim.simulate(2.0).unwrap();
        let r = sim.recorded(m, "r").unwrap();
        let col: Vec<f32> = r.column(0).to_vec();
        // t = 0, 1, 2 with c = 2; t = 3, 4 with c = -0.5.
        assert_eq!(col, vec![2.0, 4.0, 6.0, -2.0, -2.5], "{b:?}");
        // The network keeps its compiled value.
        assert_eq!(sim.network().get_constant("c").unwrap(), 2.0);
    }
}

fn a_state_changed_mid_run_continues_as_a_network_built_with_the_new_value() {
    let path = temp_path("mid.state");
    for b in backends() {
        // First values for 60 ms, then the second ones.
        let (net, monitors, projs) = rich(false);
        let mut changed = compile_ordered(&net, b).unwrap();
        changed.simulate(60.0).unwrap();
        set_second(&mut changed);
        changed.save(&path).unwrap();
        // A network built with the second values, from the same state.
        let (net, monitors2, projs2) = rich(true);
        let mut built = compile_ordered(&net, b).unwrap();
        built.load(&path).unwrap();
        for (name, _, v) in CONSTS {
            assert_eq!(built.get_constant(name).unwrap(), f64::from(*v));
        }
        changed.simulate(100.0).unwrap();
        built.simulate(100.0).unwrap();
        // Recordings of the first 60 ms exist only in `changed`: compare
        // the last 100 ms of each, and the weights.
        let tail = |sim: &Simulation, ms: &[MonitorId], ps: &[ProjId]| {
            let mut out: Vec<Vec<u32>> = Vec::new();
            for &m in ms {
                let spec = sim.network().monitor_spec(m).unwrap();
                for var in &spec.vars {
                    let v = sim.recorded(m, var).unwrap();
                    let rows = v.nrows();
                    let last = v.slice(ndarray::s![rows - 200.., ..]);
                    out.push(last.iter().map(|x| x.to_bits()).collect());
                }
                if spec.spikes {
                    let s: Vec<u32> = sim
                        .spikes(m)
                        .unwrap()
                        .iter()
                        .filter(|&&(t, _)| t >= 120)
                        .flat_map(|&(t, i)| [t as u32, i])
                        .collect();
                    out.push(s);
                }
            }
            for &p in ps {
                let (_, _, w) = sim.synapses(p, "w").unwrap();
                out.push(w.iter().map(|x| x.to_bits()).collect());
            }
            out
        };
        assert_eq!(
            tail(&changed, &monitors, &projs),
            tail(&built, &monitors2, &projs2),
            "{b:?}"
        );
    }
    let _ = std::fs::remove_file(&path);
}

fn a_model_parameter_hides_a_constant() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        net.constant("tau", 4.0).unwrap();
        let own = net
            .population(
                "own",
                1,
                &Neuron::rate().parameters("tau = 2.0").equations("r = tau"),
            )
            .unwrap();
        let global = net
            .population("global", 1, &Neuron::rate().equations("r = tau"))
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set_constant("tau", 8.0).unwrap();
        sim.simulate(1.0).unwrap();
        assert_eq!(sim.get(own, "r").unwrap()[[0]], 2.0, "{b:?}");
        assert_eq!(sim.get(global, "r").unwrap()[[0]], 8.0, "{b:?}");
        // The parameter is the model's own: setting it leaves the constant.
        sim.set(own, "tau", 3.0).unwrap();
        sim.simulate(1.0).unwrap();
        assert_eq!(sim.get(own, "r").unwrap()[[0]], 3.0, "{b:?}");
        assert_eq!(sim.get_constant("tau").unwrap(), 8.0, "{b:?}");
    }
}

fn save_load_and_reset_carry_the_current_value() {
    let path = temp_path("carry.state");
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        net.constant("c", 1.0).unwrap();
        net.constant("d", 5.0).unwrap();
        let p = net
            .population("p", 2, &Neuron::rate().equations("dr/dt = c"))
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.simulate(2.0).unwrap();
        sim.set_constant("c", 3.0).unwrap();
        sim.save(&path).unwrap();
        sim.simulate(2.0).unwrap();
        assert_eq!(sim.get(p, "r").unwrap()[[1]], 8.0, "{b:?}");
        // A fresh network loads the changed value with the state.
        let mut other = net.compile(b).unwrap();
        assert_eq!(other.get_constant("c").unwrap(), 1.0);
        other.load(&path).unwrap();
        assert_eq!(other.get_constant("c").unwrap(), 3.0, "{b:?}");
        other.simulate(2.0).unwrap();
        assert_eq!(other.get(p, "r").unwrap()[[1]], 8.0, "{b:?}");
        // Reset keeps the current value, as ANNarchy's (its reset restores
        // parameters, not constants: tests/data/annarchy/constants).
        sim.reset().unwrap();
        assert_eq!(sim.get_constant("c").unwrap(), 3.0, "{b:?}");
        sim.simulate(2.0).unwrap();
        assert_eq!(sim.get(p, "r").unwrap()[[1]], 6.0, "{b:?}");
        // A state from a network with other constants is refused.
        let mut net2 = Network::new().dt(1.0);
        net2.constant("c", 1.0).unwrap();
        net2.constant("e", 5.0).unwrap();
        net2.population("p", 2, &Neuron::rate().equations("dr/dt = c"))
            .unwrap();
        let mut third = net2.compile(b).unwrap();
        let e = third.load(&path).unwrap_err().to_string();
        assert!(
            e.contains("constants [c, d]") && e.contains("[c, e]"),
            "{e}"
        );
        assert_eq!(third.get_constant("e").unwrap(), 5.0);
    }
    let _ = std::fs::remove_file(&path);
}

fn many_constants_are_all_read() {
    // More constants than one clock block's first 256 bytes hold: each
    // neuron sums its own constant plus the last one.
    let n = 70usize;
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        for k in 0..n {
            net.constant(&format!("c{k}"), k as f32 * 0.5).unwrap();
        }
        let terms: Vec<String> = (0..n).map(|k| format!("(i == {k}) * c{k}")).collect();
        let model = Neuron::rate().parameters("i = 0.0").equations(&format!(
            "r = {} + c{}",
            terms.join(" + "),
            n - 1
        ));
        let p = net.population("p", n, &model).unwrap();
        let ranks: Vec<f32> = (0..n).map(|k| k as f32).collect();
        net.set(p, "i", ranks).unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set_constant("c3", -1.0).unwrap();
        sim.set_constant(&format!("c{}", n - 1), 100.0).unwrap();
        sim.simulate(1.0).unwrap();
        let r = sim.get(p, "r").unwrap();
        for k in 0..n {
            let own = match k {
                3 => -1.0,
                k if k == n - 1 => 100.0,
                k => k as f32 * 0.5,
            };
            assert_eq!(r[[k]], own + 100.0, "{b:?} neuron {k}");
        }
    }
}

fn network_functions_give_on_the_host_what_the_engines_compute() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        net.add_function("sigmoid(x) = 1.0 / (1.0 + exp(-x))")
            .unwrap();
        // A division by a number and a call of an earlier network function.
        net.add_function("third(x) = x / 3.0\nsoft(x, k) = sigmoid(k * x) + third(x)")
            .unwrap();
        let inp = net
            .population("in", 9, &Neuron::rate().parameters("r = 0.0"))
            .unwrap();
        let xs: Vec<f32> = (0..9).map(|k| k as f32 * 0.77 - 3.1).collect();
        net.set(inp, "r", xs.clone()).unwrap();
        let out = net
            .population(
                "out",
                9,
                &Neuron::rate()
                    .parameters("k = 1.5")
                    .equations("r = soft(sum(exc), k)"),
            )
            .unwrap();
        net.projection(inp, out, "exc")
            .connect_one_to_one(Weights::constant(1.0))
            .unwrap();
        // In a synapse too, beside the neuron's.
        let via = net
            .population("via", 9, &Neuron::rate().equations("r = sum(exc)"))
            .unwrap();
        net.projection(inp, via, "exc")
            .synapse(&Synapse::new().psp("sigmoid(w * pre.r)"))
            .connect_one_to_one(Weights::constant(1.0))
            .unwrap();
        let soft = net.function("soft").unwrap();
        let sigmoid = net.function("sigmoid").unwrap();
        assert_eq!(soft.args(), ["x", "k"]);
        let mut sim = net.compile(b).unwrap();
        sim.simulate(2.0).unwrap();
        let got: Vec<f32> = sim.get(out, "r").unwrap().iter().copied().collect();
        let want = soft.call_arrays(&[&xs, &[1.5; 9]]).unwrap();
        assert_eq!(
            got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "{b:?}"
        );
        let got: Vec<f32> = sim.get(via, "r").unwrap().iter().copied().collect();
        assert_eq!(got, sigmoid.call_arrays(&[&xs]).unwrap(), "{b:?}");
        // One point, and what the function means (to f32 rounding).
        let y = soft.call(&[0.6, 2.0]).unwrap();
        let exact = 1.0 / (1.0 + (-1.2f64).exp()) + 0.2;
        assert!((y - exact).abs() < 1e-6, "{y}");
    }
}

fn callbacks_switch_off_and_on_as_a_whole() {
    for b in backends() {
        let mut net = Network::new().dt(1.0);
        let p = net
            .population("p", 1, &Neuron::rate().parameters("r = 0.0"))
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        let calls = Arc::new(AtomicU64::new(0));
        let (c1, c2) = (calls.clone(), calls.clone());
        let first = sim
            .every(10.0, 0.0, move |_, _| {
                c1.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
            .unwrap();
        sim.every(10.0, 5.0, move |sim, _| {
            c2.fetch_add(100, Ordering::Relaxed);
            sim.set(p, "r", 1.0)
        })
        .unwrap();
        assert!(sim.callbacks_enabled());
        sim.simulate(20.0).unwrap(); // 0, 10 and 5, 15
        assert_eq!(calls.load(Ordering::Relaxed), 202);
        sim.disable_callbacks();
        assert!(!sim.callbacks_enabled());
        sim.set(p, "r", 0.0).unwrap();
        sim.simulate(20.0).unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 202, "{b:?}");
        assert_eq!(sim.get(p, "r").unwrap()[[0]], 0.0);
        // Back on: each keeps its own switch and schedule.
        sim.disable_callback(first).unwrap();
        sim.enable_callbacks();
        sim.simulate(20.0).unwrap(); // 45, 55 only
        assert_eq!(calls.load(Ordering::Relaxed), 402, "{b:?}");
        sim.clear_all_callbacks();
        sim.simulate(20.0).unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 402, "{b:?}");
        assert!(sim.enable_callback(first).is_err());
    }
}

fn kernels_reading_constants_validate() {
    // Every kernel of the network, merged or not, with naga; each declares
    // the constants it reads, no more.
    let (net, ..) = rich(false);
    let names = validate_all(&net);
    assert!(names.len() >= 6, "{names:?}");
    let plan = cajal::engine::gpu::plan(&net, false).unwrap();
    let reading: Vec<&str> = plan
        .kernels()
        .into_iter()
        .filter(|k| k.source.contains("clk.consts["))
        .map(|k| k.name.as_str())
        .collect();
    assert!(reading.len() >= 4, "{reading:?}");
    for k in plan.kernels() {
        let vec4s = if k.body.contains("clk.consts[") {
            let max = k
                .body
                .match_indices("clk.consts[")
                .map(|(at, _)| {
                    let rest = &k.body[at + 11..];
                    rest[..rest.find('u').unwrap()].parse::<usize>().unwrap()
                })
                .max()
                .unwrap();
            max + 1
        } else {
            1
        };
        // In the network's precision (f64 under CAJAL_PRECISION=double).
        let real = if k.dtype == cajal::real::Dtype::F64 {
            "f64"
        } else {
            "f32"
        };
        assert!(
            k.source
                .contains(&format!("consts: array<vec4<{real}>, {vec4s}u>")),
            "{}",
            k.name
        );
    }
}

fn constants_and_functions_errors_name_the_cause() {
    let mut net = Network::new();
    net.constant("c", 1.0).unwrap();
    let e = net.get_constant("nope").unwrap_err().to_string();
    assert!(e.contains("nope") && e.contains("c"), "{e}");
    for bad in ["", "1x", "a-b", "t", "dt", "exp", "sum"] {
        let e = net.constant(bad, 1.0).unwrap_err().to_string();
        assert!(e.contains(&format!("'{bad}'")), "{bad}: {e}");
    }
    let mut full = Network::new();
    for k in 0..2048 {
        full.constant(&format!("k{k}"), 0.0).unwrap();
    }
    let e = full.constant("one_more", 1.0).unwrap_err().to_string();
    assert!(
        e.contains("'one_more'") && e.contains("at most 2048"),
        "{e}"
    );
    full.constant("k7", 2.0).unwrap(); // changing one is fine
    let p = net
        .population("p", 1, &Neuron::rate().equations("r = c"))
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = sim.set_constant("tau", 1.0).unwrap_err().to_string();
    assert!(e.contains("tau") && e.contains("known: c"), "{e}");
    assert!(sim.get_constant("tau").is_err());
    let _ = p;

    // Network functions: what is wrong, with line and column.
    let mut net = Network::new();
    let cases: &[(&str, &[&str])] = &[
        ("f(x) = x + y", &["'f' reads 'y'", "line 1", "column 12"]),
        ("f(x) = x\ng(x) = t * x", &["'g' reads 't'", "line 2"]),
        ("f(x) = Uniform(0.0, x)", &["draws random numbers"]),
        ("f(x) = g(x)", &["unknown function 'g'"]),
        ("f(x) = sum(exc)", &["sum()"]),
        ("f(2) = 1.0", &["plain names"]),
        ("f(x, x) = x", &["'x' twice"]),
        ("exp(x) = x", &["built-in"]),
        ("f(x) = (x", &["line 1"]),
    ];
    for (text, wants) in cases {
        let e = net.add_function(text).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, Error::Equation { ref model, ref section, .. } if model == "network" && section == "functions"),
            "{text}: {e:?}"
        );
        for w in *wants {
            assert!(msg.contains(w), "{text}: {msg} (wants {w})");
        }
    }
    // Nothing of a wrong text is declared; a name is declared once.
    assert!(net.add_function("h(x) = x\nk(x) = x + q").is_err());
    assert!(net.function("h").is_err());
    net.add_function("h(x) = 2.0 * x").unwrap();
    let e = net.add_function("h(x) = x").unwrap_err().to_string();
    assert!(e.contains("already declared"), "{e}");
    let e = net.function("nope").unwrap_err().to_string();
    assert!(e.contains("nope") && e.contains("h"), "{e}");
    // A model's own function of the same name hides the network's.
    let own = net
        .population(
            "own",
            1,
            &Neuron::rate()
                .functions("h(x) = 3.0 * x")
                .equations("r = h(1.0)"),
        )
        .unwrap();
    let global = net
        .population("global", 1, &Neuron::rate().equations("r = h(1.0)"))
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(1.0).unwrap();
    assert_eq!(sim.get(own, "r").unwrap()[[0]], 3.0);
    assert_eq!(sim.get(global, "r").unwrap()[[0]], 2.0);
    // Host calls with the wrong arity or lengths.
    let h = net.function("h").unwrap();
    assert!(h
        .call(&[1.0, 2.0])
        .unwrap_err()
        .to_string()
        .contains("takes 1"));
    let two = {
        let mut n = Network::new();
        n.add_function("f(a, b) = a * b").unwrap();
        n.function("f").unwrap()
    };
    let e = two
        .call_arrays(&[&[1.0, 2.0], &[1.0]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("same length"), "{e}");
    assert_eq!(two.call(&[3.0, 4.0]).unwrap(), 12.0);
}

fn parameters_files_carry_the_constants() {
    let path = temp_path("params.json");
    let mut net = Network::new();
    net.constant("tau", 20.0).unwrap();
    net.constant("gain", 2.0).unwrap();
    net.population(
        "p",
        1,
        &Neuron::rate()
            .parameters("k = 1.0 : population")
            .equations("tau * dr/dt + r = gain * k"),
    )
    .unwrap();
    net.save_parameters(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["constants"]["tau"], 20.0);
    assert_eq!(doc["constants"]["gain"], 2.0);
    std::fs::write(
        &path,
        r#"{"constants": {"tau": 5.0}, "populations": {"p": {"k": 3.0}}}"#,
    )
    .unwrap();
    net.load_parameters(&path).unwrap();
    assert_eq!(net.get_constant("tau").unwrap(), 5.0);
    assert_eq!(net.get_constant("gain").unwrap(), 2.0);
    // An unknown constant changes nothing.
    std::fs::write(&path, r#"{"constants": {"tau": 7.0, "nope": 1.0}}"#).unwrap();
    let e = net.load_parameters(&path).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
    assert_eq!(net.get_constant("tau").unwrap(), 5.0);
    let _ = std::fs::remove_file(&path);
}
