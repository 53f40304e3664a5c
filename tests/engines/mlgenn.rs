//! ml_genn's neuron models on both engines, against hand-computed and
//! analytic expectations: LIF threshold crossings under a constant current
//! (relative and absolute reset, scaled input, refractoriness with and
//! without integration), ALIF's adaptive threshold, IntegrateFire counts,
//! LeakyIntegrate's decay and bias, few-spike coding (unsigned and signed,
//! ReLU, a second layer), the input models' counts and signed spikes, and
//! identical spikes and traces on the CPU and GPU engines.
//!
//! One network holds every case (dt = 1 ms, ml_genn's default) and is
//! simulated once per engine; each test checks its populations.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::common::{backends, tests};
use cajal::models::mlgenn::{
    self, AdaptiveLeakyIntegrateFire, BinarySpikeInput, FewSpikeRelu, FewSpikeReluInput,
    IntegrateFire, IntegrateFireInput, LeakyIntegrate, LeakyIntegrateFire, LeakyIntegrateFireInput,
    PoissonInput,
};
use cajal::prelude::*;

tests! {
    cpu: [
        every_model_compiles_with_its_defaults,
    ],
    gpu: [
        both_engines_give_the_same_spikes_and_traces,
    ],
    both: [
        lif_reaches_threshold_at_the_analytic_step,
        lif_scaled_input_and_refractoriness,
        alif_threshold_adapts_after_each_spike,
        integrate_fire_counts,
        leaky_integrate_decays_and_integrates,
        few_spike_relu_encodes_and_decodes,
        few_spike_signed_input_and_relu,
        input_models,
    ],
}

const STEPS: usize = 200;
const K: usize = 10;
const FS_ALPHA: f32 = 4.0;
/// Values sent by the unsigned few-spike input (the last two saturate or
/// are cut by the ReLU).
const FS_X: [f32; 9] = [0.0, 0.3, 1.0, 2.0, 2.7, 3.99, 3.999, 5.0, -1.0];
/// Values sent by the signed few-spike input (no multiples of the step).
const FS_XS: [f32; 7] = [0.0, 1.3, -1.3, 3.1, -3.1, 0.4, -0.07];

/// Per population: spikes and recorded variables ([steps, neurons]).
struct Run {
    spikes: HashMap<String, Vec<(u64, u32)>>,
    traces: HashMap<String, HashMap<String, Vec<Vec<f32>>>>,
    last_v: HashMap<String, Vec<f32>>,
}

impl Run {
    fn spikes(&self, pop: &str) -> &[(u64, u32)] {
        &self.spikes[pop]
    }

    /// Spike steps of one neuron.
    fn steps(&self, pop: &str, rank: u32) -> Vec<u64> {
        self.spikes[pop]
            .iter()
            .filter(|s| s.1 == rank)
            .map(|s| s.0)
            .collect()
    }

    /// Recorded `var` of neuron `rank`, one value a step.
    fn trace(&self, pop: &str, var: &str, rank: usize) -> Vec<f32> {
        self.traces[pop][var].iter().map(|row| row[rank]).collect()
    }
}

/// A population driven by constant currents into `g_exc` (one per neuron).
fn driven(net: &mut Network, name: &str, neuron: &Neuron, currents: &[f32]) -> PopId {
    let n = currents.len();
    let drive = net.input_array(&format!("{name}_drive"), n).unwrap();
    net.set(drive, "r", currents.to_vec()).unwrap();
    let pop = net.population(name, n, neuron).unwrap();
    net.current_injection(drive, pop, "exc").unwrap();
    pop
}

/// A population whose `input` parameter is set.
fn input(net: &mut Network, name: &str, neuron: &Neuron, values: &[f32]) -> PopId {
    let pop = net.population(name, values.len(), neuron).unwrap();
    net.set(pop, "input", values.to_vec()).unwrap();
    pop
}

fn one_to_one(net: &mut Network, pre: PopId, post: PopId, w: f32, syn: Option<&Synapse>) {
    let mut b = net.projection(pre, post, "exc");
    if let Some(s) = syn {
        b = b.synapse(s);
    }
    b.delays(1.0)
        .connect_one_to_one(Weights::constant(w))
        .unwrap();
}

const LIF_I: [f32; 4] = [0.06, 0.08, 0.12, 0.3];
const REFRAC_I: [f32; 2] = [1.5, 0.3];
const ALIF_I: [f32; 2] = [0.2, 0.4];
const IF_I: [f32; 3] = [0.25, 0.1, 0.5];

fn simulate(b: Backend) -> Run {
    let mut net = Network::new().dt(1.0).seed(7);
    let mut pops: Vec<(String, PopId, Vec<&'static str>)> = Vec::new();
    let mut add = |name: &str, p: PopId, vars: &[&'static str]| {
        pops.push((name.to_string(), p, vars.to_vec()));
    };
    // LeakyIntegrateFire.
    let p = driven(&mut net, "lif_rel", &mlgenn::leaky_integrate_fire(), &LIF_I);
    add("lif_rel", p, &["v"]);
    let abs = LeakyIntegrateFire {
        relative_reset: false,
        ..Default::default()
    };
    let p = driven(&mut net, "lif_abs", &abs.neuron(), &LIF_I);
    add("lif_abs", p, &[]);
    let scaled = LeakyIntegrateFire {
        scale_i: true,
        ..Default::default()
    };
    let p = driven(&mut net, "lif_scale", &scaled.neuron(), &[1.5, 2.0, 3.0]);
    add("lif_scale", p, &[]);
    let refrac = LeakyIntegrateFire {
        tau_refrac: Some(5.0),
        ..Default::default()
    };
    let p = driven(&mut net, "lif_refrac", &refrac.neuron(), &REFRAC_I);
    add("lif_refrac", p, &[]);
    let hold = LeakyIntegrateFire {
        tau_refrac: Some(5.0),
        integrate_during_refrac: false,
        ..Default::default()
    };
    let p = driven(&mut net, "lif_hold", &hold.neuron(), &REFRAC_I);
    add("lif_hold", p, &["v"]);
    // AdaptiveLeakyIntegrateFire.
    let alif = AdaptiveLeakyIntegrateFire {
        beta: 0.5,
        tau_adapt: 50.0,
        ..Default::default()
    };
    let p = driven(&mut net, "alif", &alif.neuron(), &ALIF_I);
    add("alif", p, &["a"]);
    let alif2 = AdaptiveLeakyIntegrateFire {
        beta: 0.3,
        tau_adapt: 30.0,
        tau_refrac: Some(3.0),
        relative_reset: false,
        integrate_during_refrac: false,
        ..Default::default()
    };
    let p = driven(&mut net, "alif2", &alif2.neuron(), &ALIF_I);
    add("alif2", p, &[]);
    // IntegrateFire.
    let p = driven(&mut net, "if", &mlgenn::integrate_fire(), &IF_I);
    add("if", p, &["v"]);
    // LeakyIntegrate: decay from v = 1, a bias, a scaled input.
    let li = LeakyIntegrate {
        v: 1.0,
        ..Default::default()
    };
    let p = driven(&mut net, "li", &li.neuron(), &[0.0]);
    add("li", p, &["v"]);
    let li_bias = LeakyIntegrate {
        bias: 0.1,
        tau_mem: 10.0,
        ..Default::default()
    };
    let p = driven(&mut net, "li_bias", &li_bias.neuron(), &[0.0, 0.2]);
    add("li_bias", p, &["v"]);
    let li_scale = LeakyIntegrate {
        scale_i: true,
        ..Default::default()
    };
    let p = driven(&mut net, "li_scale", &li_scale.neuron(), &[2.0]);
    add("li_scale", p, &["v"]);
    // Few-spike coding: input -> FS ReLU (w = 1) -> FS ReLU (w = 0.5), and
    // an inverted copy (w = -1) that the ReLU silences.
    let fs_in = FewSpikeReluInput {
        k: K as u32,
        alpha: FS_ALPHA,
        signed_input: false,
    };
    let relu = FewSpikeRelu {
        k: K as u32,
        alpha: FS_ALPHA,
        ..Default::default()
    };
    let pin = input(&mut net, "fs_in", &fs_in.neuron(), &FS_X);
    add("fs_in", pin, &["v"]);
    let p1 = net.population("fs", FS_X.len(), &relu.neuron()).unwrap();
    one_to_one(&mut net, pin, p1, 1.0, None);
    add("fs", p1, &["v", "fx"]);
    let p2 = net.population("fs2", FS_X.len(), &relu.neuron()).unwrap();
    one_to_one(&mut net, p1, p2, 0.5, None);
    add("fs2", p2, &[]);
    let pn = net
        .population("fs_neg", FS_X.len(), &relu.neuron())
        .unwrap();
    one_to_one(&mut net, pin, pn, -1.0, None);
    add("fs_neg", pn, &[]);
    let fs_in_s = FewSpikeReluInput {
        signed_input: true,
        ..fs_in
    };
    let relu_s = FewSpikeRelu {
        source_signed: true,
        ..relu
    };
    let pin = input(&mut net, "fs_in_s", &fs_in_s.neuron(), &FS_XS);
    add("fs_in_s", pin, &[]);
    let p = net
        .population("fs_s", FS_XS.len(), &relu_s.neuron())
        .unwrap();
    one_to_one(&mut net, pin, p, 1.0, None);
    add("fs_s", p, &[]);
    // Inputs.
    let p = input(
        &mut net,
        "if_in",
        &IntegrateFireInput::default().neuron(),
        &IF_I,
    );
    add("if_in", p, &[]);
    let p = input(
        &mut net,
        "lif_in",
        &LeakyIntegrateFireInput::default().neuron(),
        &LIF_I,
    );
    add("lif_in", p, &[]);
    let p = input(&mut net, "poisson", &mlgenn::poisson_input(), &[0.02; 1000]);
    add("poisson", p, &[]);
    let p = input(
        &mut net,
        "poisson_neg",
        &mlgenn::poisson_input(),
        &[-0.5; 10],
    );
    add("poisson_neg", p, &[]);
    let signed_poisson = PoissonInput {
        signed_spikes: true,
    };
    let ps = input(
        &mut net,
        "poisson_s",
        &signed_poisson.neuron(),
        &[-0.05; 200],
    );
    add("poisson_s", ps, &[]);
    let counter = IntegrateFire {
        v_thresh: 1e9,
        ..Default::default()
    };
    let acc = net.population("acc_p", 200, &counter.neuron()).unwrap();
    one_to_one(
        &mut net,
        ps,
        acc,
        1.0,
        Some(&mlgenn::signed_spike_synapse()),
    );
    add("acc_p", acc, &[]);
    let p = input(
        &mut net,
        "binary",
        &mlgenn::binary_spike_input(),
        &[1.0, 0.0, -1.0, 0.5],
    );
    add("binary", p, &[]);
    let signed_binary = BinarySpikeInput {
        signed_spikes: true,
    };
    let pb = input(
        &mut net,
        "binary_s",
        &signed_binary.neuron(),
        &[1.0, 0.0, -1.0],
    );
    add("binary_s", pb, &[]);
    let acc = net.population("acc_b", 3, &counter.neuron()).unwrap();
    one_to_one(
        &mut net,
        pb,
        acc,
        2.0,
        Some(&mlgenn::signed_spike_synapse()),
    );
    add("acc_b", acc, &[]);

    let mons: Vec<_> = pops
        .iter()
        .map(|(name, p, vars)| {
            let mut what = vec!["spike"];
            what.extend(vars.iter().copied());
            (
                name.clone(),
                *p,
                net.monitor(*p, &what).unwrap(),
                vars.clone(),
            )
        })
        .collect();
    let mut sim = net.compile(b).unwrap();
    sim.simulate(STEPS as f64).unwrap();
    let mut run = Run {
        spikes: HashMap::new(),
        traces: HashMap::new(),
        last_v: HashMap::new(),
    };
    for (name, p, m, vars) in mons {
        run.spikes.insert(name.clone(), sim.spikes(m).unwrap());
        let mut t = HashMap::new();
        for v in vars {
            let a = sim.recorded(m, v).unwrap();
            assert_eq!(a.shape()[0], STEPS);
            t.insert(
                v.to_string(),
                a.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            );
        }
        run.traces.insert(name.clone(), t);
        if sim.get(p, "v").is_ok() {
            run.last_v
                .insert(name, sim.get(p, "v").unwrap().iter().copied().collect());
        }
    }
    run
}

/// The runs on the engines of the trial (CPU first), each simulated once
/// per process.
fn runs() -> Vec<(Backend, &'static Run)> {
    static CPU: OnceLock<Run> = OnceLock::new();
    static GPU: OnceLock<Run> = OnceLock::new();
    backends()
        .into_iter()
        .map(|b| {
            let run = if b == Backend::Cpu { &CPU } else { &GPU };
            (b, run.get_or_init(|| simulate(b)))
        })
        .collect()
}

/// ml_genn's (A)LIF in f64: spike steps under a constant current.
#[derive(Clone, Copy)]
struct Ref {
    tau_mem: f64,
    relative: bool,
    scale_i: bool,
    tau_refrac: Option<f64>,
    integrate_during_refrac: bool,
    beta: f64,
    tau_adapt: f64,
}

const LIF: Ref = Ref {
    tau_mem: 20.0,
    relative: true,
    scale_i: false,
    tau_refrac: None,
    integrate_during_refrac: true,
    beta: 0.0,
    tau_adapt: 1.0,
};

fn reference(r: Ref, i: f64) -> Vec<u64> {
    let dt = 1.0;
    let alpha = (-dt / r.tau_mem).exp();
    let rho = (-dt / r.tau_adapt).exp();
    let (v_thresh, v_reset) = (1.0, 0.0);
    let (mut v, mut a, mut refrac) = (0.0f64, 0.0f64, 0.0f64);
    let mut out = Vec::new();
    for s in 0..STEPS as u64 {
        let input = if r.scale_i { (1.0 - alpha) * i } else { i };
        if r.integrate_during_refrac || refrac <= 0.0 {
            v = alpha * v + input;
        }
        a *= rho;
        if r.tau_refrac.is_some() && refrac > 0.0 {
            refrac -= dt;
        }
        if v >= v_thresh + r.beta * a && refrac <= 0.0 {
            out.push(s);
            if r.relative {
                v -= v_thresh - v_reset;
            } else {
                v = v_reset;
            }
            a += 1.0;
            if let Some(t) = r.tau_refrac {
                refrac = t;
            }
        }
    }
    out
}

fn check_reference(pop: &str, r: Ref, currents: &[f32]) {
    for (b, run) in runs() {
        for (n, &i) in currents.iter().enumerate() {
            let want = reference(r, i as f64);
            assert!(!want.is_empty(), "{pop} {i}: no spike in the reference");
            assert_eq!(run.steps(pop, n as u32), want, "{b:?} {pop}, current {i}");
        }
    }
}

fn lif_reaches_threshold_at_the_analytic_step() {
    for (b, run) in runs() {
        for (n, &i) in LIF_I.iter().enumerate() {
            // v after s + 1 steps: I (1 - alpha^(s+1)) / (1 - alpha) >= 1.
            let alpha = (-1.0f64 / 20.0).exp();
            let steps = ((1.0 - (1.0 - alpha) / i as f64).ln() / alpha.ln()).ceil() as u64;
            let first = run.steps("lif_rel", n as u32)[0];
            assert_eq!(first, steps - 1, "{b:?}: current {i}");
            // Absolute reset: v restarts from 0, so the spikes are periodic.
            let abs = run.steps("lif_abs", n as u32);
            let want: Vec<u64> = (1..)
                .map(|j| j * steps - 1)
                .take_while(|&s| s < STEPS as u64)
                .collect();
            assert_eq!(abs, want, "{b:?}: absolute reset, current {i}");
        }
        // The trace: v_s = I (1 - alpha^(s+1)) / (1 - alpha) before the first spike.
        let v = run.trace("lif_rel", "v", 0);
        let alpha = (-1.0f64 / 20.0).exp();
        for (s, &x) in v.iter().enumerate().take(30) {
            let want = 0.06 * (1.0 - alpha.powi(s as i32 + 1)) / (1.0 - alpha);
            assert!(
                (x as f64 - want).abs() < 1e-5,
                "{b:?}: v[{s}] = {x}, want {want}"
            );
        }
    }
    // Relative reset keeps the excess: more spikes than the absolute reset.
    check_reference("lif_rel", LIF, &LIF_I);
    check_reference(
        "lif_abs",
        Ref {
            relative: false,
            ..LIF
        },
        &LIF_I,
    );
    for (_, run) in runs() {
        assert!(run.steps("lif_rel", 3).len() > run.steps("lif_abs", 3).len());
    }
}

fn lif_scaled_input_and_refractoriness() {
    // scale_i: v -> I; the first spike when 1 - alpha^(s+1) >= 1 / I.
    check_reference(
        "lif_scale",
        Ref {
            scale_i: true,
            ..LIF
        },
        &[1.5, 2.0, 3.0],
    );
    for (b, run) in runs() {
        // I = 2: 1 - alpha^n >= 0.5, n = ceil(ln 0.5 / ln alpha) = 14.
        assert_eq!(run.steps("lif_scale", 1)[0], 13, "{b:?}");
        // I = 1.5 crosses at every step without refractoriness; with 5 ms
        // (5 steps) the count-down allows a spike every 5 steps when v keeps
        // integrating. Held, v stays at the 0.5 the relative reset left for
        // steps 1 to 5 (step 5 counts down to 0 and may spike, but with the
        // held v): the next spike is at step 6.
        let r = run.steps("lif_refrac", 0);
        assert_eq!(r[0], 0, "{b:?}");
        assert!(r.windows(2).all(|w| w[1] - w[0] == 5), "{b:?}: {r:?}");
        let h = run.steps("lif_hold", 0);
        assert_eq!(&h[..2], &[0, 6], "{b:?}");
        assert!(h.windows(2).all(|w| w[1] - w[0] >= 5), "{b:?}: {h:?}");
        // v is held at 0.5 for the 5 refractory steps after each spike.
        let v = run.trace("lif_hold", "v", 0);
        assert!(v[1..=5].iter().all(|&x| x == 0.5), "{b:?}: {:?}", &v[..8]);
    }
    let refrac = Ref {
        tau_refrac: Some(5.0),
        ..LIF
    };
    check_reference("lif_refrac", refrac, &REFRAC_I);
    check_reference(
        "lif_hold",
        Ref {
            integrate_during_refrac: false,
            ..refrac
        },
        &REFRAC_I,
    );
}

fn alif_threshold_adapts_after_each_spike() {
    let alif = Ref {
        beta: 0.5,
        tau_adapt: 50.0,
        ..LIF
    };
    check_reference("alif", alif, &ALIF_I);
    check_reference(
        "alif2",
        Ref {
            beta: 0.3,
            tau_adapt: 30.0,
            tau_refrac: Some(3.0),
            relative: false,
            integrate_during_refrac: false,
            ..LIF
        },
        &ALIF_I,
    );
    let rho = (-1.0f64 / 50.0).exp();
    for (b, run) in runs() {
        // a jumps by 1 at each spike and decays by rho each step.
        let spikes = run.steps("alif", 1);
        let a = run.trace("alif", "a", 1);
        let mut want = 0.0f64;
        for (s, &x) in a.iter().enumerate() {
            want *= rho;
            if spikes.contains(&(s as u64)) {
                want += 1.0;
            }
            assert!(
                (x as f64 - want).abs() < 1e-5,
                "{b:?}: a[{s}] = {x}, want {want}"
            );
        }
        // The adaptation lengthens the inter-spike intervals (the threshold
        // is v_thresh + beta * a): more spikes without it.
        let lif = reference(LIF, 0.4).len();
        assert!(spikes.len() < lif, "{b:?}: {} vs {lif}", spikes.len());
        let isi: Vec<u64> = spikes.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(isi.last() > isi.first(), "{b:?}: {isi:?}");
    }
}

fn integrate_fire_counts() {
    for (b, run) in runs() {
        // I = 0.25: v = 1 exactly at the 4th step; 0.1: the 10th (f32 sums
        // 0.1 ten times to 1.0000001); 0.5: the 2nd.
        for (n, period) in [(0u32, 4u64), (1, 10), (2, 2)] {
            let want: Vec<u64> = (1..)
                .map(|j| j * period - 1)
                .take_while(|&s| s < STEPS as u64)
                .collect();
            assert_eq!(run.steps("if", n), want, "{b:?}: neuron {n}");
            // The input version, driven by `input`, is the same neuron.
            assert_eq!(run.steps("if_in", n), want, "{b:?}: input neuron {n}");
        }
        let v = run.trace("if", "v", 0);
        assert_eq!(&v[..5], &[0.25, 0.5, 0.75, 0.0, 0.25], "{b:?}");
    }
}

fn leaky_integrate_decays_and_integrates() {
    for (b, run) in runs() {
        assert!(run.spikes("li").is_empty() && run.spikes("li_bias").is_empty());
        let alpha = (-1.0f64 / 20.0).exp();
        for (s, &x) in run.trace("li", "v", 0).iter().enumerate() {
            let want = alpha.powi(s as i32 + 1);
            assert!(
                (x as f64 - want).abs() < 1e-5,
                "{b:?}: v[{s}] = {x}, want {want}"
            );
        }
        // v_s = (I + bias) (1 - alpha^(s+1)) / (1 - alpha), tau 10 ms.
        let alpha10 = (-1.0f64 / 10.0).exp();
        for (n, i) in [(0, 0.0), (1, 0.2)] {
            for (s, &x) in run.trace("li_bias", "v", n).iter().enumerate() {
                let want = (i + 0.1) * (1.0 - alpha10.powi(s as i32 + 1)) / (1.0 - alpha10);
                assert!(
                    (x as f64 - want).abs() < 1e-4,
                    "{b:?}: neuron {n}, v[{s}] = {x}, want {want}"
                );
            }
        }
        // scale_i: v_s = I (1 - alpha^(s+1)) -> I.
        for (s, &x) in run.trace("li_scale", "v", 0).iter().enumerate() {
            let want = 2.0 * (1.0 - alpha.powi(s as i32 + 1));
            assert!(
                (x as f64 - want).abs() < 1e-5,
                "{b:?}: v[{s}] = {x}, want {want}"
            );
        }
    }
}

/// The value a few-spike population sends in window `w`: the sum of
/// `alpha * 2^-(j+1)` over its spikes at step `j` of the window
/// (signed: `alpha * 2^-(j/2+1)`, negative at odd steps).
fn decode(spikes: &[(u64, u32)], n: usize, w: u64, signed: bool) -> Vec<f64> {
    let mut x = vec![0.0; n];
    let alpha = FS_ALPHA as f64;
    for &(s, i) in spikes {
        if s / K as u64 != w {
            continue;
        }
        let j = (s % K as u64) as i32;
        x[i as usize] += if signed {
            let m = alpha * 2f64.powi(-(j / 2 + 1));
            if j % 2 == 0 {
                m
            } else {
                -m
            }
        } else {
            alpha * 2f64.powi(-(j + 1))
        };
    }
    x
}

fn few_spike_relu_encodes_and_decodes() {
    let alpha = FS_ALPHA as f64;
    let step = alpha * 2f64.powi(-(K as i32));
    let top = alpha - step;
    for (b, run) in runs() {
        let n = FS_X.len();
        // The input sends the binary digits of x / alpha: floor to the step,
        // within alpha 2^-K; above alpha (1 - 2^-K) it saturates, below 0
        // it sends nothing. It sends the same again in every window.
        let sent = decode(run.spikes("fs_in"), n, 0, false);
        for (i, &x) in FS_X.iter().enumerate() {
            let x = x as f64;
            let want = if x < 0.0 {
                0.0
            } else {
                ((x / step).floor() * step).min(top)
            };
            assert_eq!(sent[i], want, "{b:?}: x = {x}");
            if (0.0..=top).contains(&x) {
                assert!(x - sent[i] < step, "{b:?}: x = {x}, sent {}", sent[i]);
            }
        }
        for w in 1..STEPS as u64 / K as u64 {
            assert_eq!(
                decode(run.spikes("fs_in"), n, w, false),
                sent,
                "{b:?}: window {w}"
            );
        }
        // The FS ReLU decodes it (v = the weighted sum at the next window's
        // first step) and sends it on, one window later; its second layer
        // (w = 0.5) one more window later, to within a step.
        assert!(decode(run.spikes("fs"), n, 0, false)
            .iter()
            .all(|&x| x == 0.0));
        for w in 1..STEPS as u64 / K as u64 {
            assert_eq!(
                decode(run.spikes("fs"), n, w, false),
                sent,
                "{b:?}: window {w}"
            );
        }
        let half = decode(run.spikes("fs2"), n, 2, false);
        for i in 0..n {
            let d = 0.5 * sent[i] - half[i];
            assert!(
                (0.0..step).contains(&d),
                "{b:?}: {} -> {}",
                sent[i],
                half[i]
            );
        }
        // The decoded value is v at the first step of a window, before the
        // reset: v + (h if it spiked), h = alpha / 2.
        let spiked: Vec<u32> = run
            .spikes("fs")
            .iter()
            .filter(|s| s.0 == K as u64)
            .map(|s| s.1)
            .collect();
        for (i, &want) in sent.iter().enumerate() {
            let mut got = run.trace("fs", "v", i)[K] as f64;
            if spiked.contains(&(i as u32)) {
                got += alpha / 2.0;
            }
            assert_eq!(got, want, "{b:?}: decoded v of neuron {i}");
        }
        // The ReLU: negative weights give negative values, which send nothing.
        assert!(run.spikes("fs_neg").is_empty(), "{b:?}");
    }
}

fn few_spike_signed_input_and_relu() {
    let alpha = FS_ALPHA as f64;
    let step = alpha * 2f64.powi(-(K as i32 / 2));
    for (b, run) in runs() {
        let n = FS_XS.len();
        let sent = decode(run.spikes("fs_in_s"), n, 0, true);
        for (i, &x) in FS_XS.iter().enumerate() {
            let x = x as f64;
            // Truncated towards 0 to the step alpha 2^-(K/2).
            let want = x.signum() * (x.abs() / step).floor() * step;
            assert_eq!(sent[i], want, "{b:?}: x = {x}");
            assert!((x - sent[i]).abs() < step);
        }
        // The FS ReLU reads the signs from the step parity and sends the
        // positive part (exactly: a multiple of a coarser step).
        for w in 1..STEPS as u64 / K as u64 {
            let out = decode(run.spikes("fs_s"), n, w, false);
            let relu: Vec<f64> = sent.iter().map(|&x| x.max(0.0)).collect();
            assert_eq!(out, relu, "{b:?}: window {w}");
        }
    }
}

fn input_models() {
    for (b, run) in runs() {
        // LeakyIntegrateFireInput is LeakyIntegrateFire with `input` for Isyn.
        for n in 0..LIF_I.len() as u32 {
            assert_eq!(
                run.steps("lif_in", n),
                run.steps("lif_rel", n),
                "{b:?}: {n}"
            );
        }
        // PoissonInput: probability 1 - exp(-input dt) a step.
        let p = 1.0 - (-0.02f64).exp();
        let trials = 1000.0 * STEPS as f64;
        let (mean, sd) = (trials * p, (trials * p * (1.0 - p)).sqrt());
        let count = run.spikes("poisson").len() as f64;
        assert!(
            (count - mean).abs() < 4.0 * sd,
            "{b:?}: {count} vs {mean} +- {sd}"
        );
        assert!(
            run.spikes("poisson_neg").is_empty(),
            "{b:?}: unsigned, negative input"
        );
        // Signed: negative input spikes at the rate of |input|, and the
        // signed synapse delivers -w: the counters hold minus the spikes
        // delivered (all but those of the last step).
        let p = 1.0 - (-0.05f64).exp();
        let trials = 200.0 * STEPS as f64;
        let (mean, sd) = (trials * p, (trials * p * (1.0 - p)).sqrt());
        let spikes = run.spikes("poisson_s");
        assert!(
            (spikes.len() as f64 - mean).abs() < 4.0 * sd,
            "{b:?}: {} vs {mean}",
            spikes.len()
        );
        let acc = &run.last_v["acc_p"];
        for (i, &v) in acc.iter().enumerate() {
            let delivered = spikes
                .iter()
                .filter(|s| s.1 == i as u32 && s.0 < STEPS as u64 - 1)
                .count();
            assert_eq!(v, -(delivered as f32), "{b:?}: counter {i}");
        }
        // BinarySpikeInput: a spike every step while input > 0.
        for n in [0u32, 3] {
            assert_eq!(run.steps("binary", n).len(), STEPS, "{b:?}");
        }
        assert_eq!(run.spikes("binary").len(), 2 * STEPS, "{b:?}");
        // Signed: input -1 spikes too, and adds -w through the signed synapse.
        assert_eq!(run.spikes("binary_s").len(), 2 * STEPS, "{b:?}");
        let d = 2.0 * (STEPS - 1) as f32;
        assert_eq!(run.last_v["acc_b"], vec![d, 0.0, -d], "{b:?}");
    }
}

fn both_engines_give_the_same_spikes_and_traces() {
    let all = runs();
    if all.len() < 2 {
        return;
    }
    let (cpu, gpu) = (&all[0].1, &all[1].1);
    let mut names: Vec<&String> = cpu.spikes.keys().collect();
    names.sort();
    for name in names {
        assert!(!name.ends_with("_drive"));
        assert_eq!(cpu.spikes[name], gpu.spikes[name], "{name}: spikes");
        for (var, t) in &cpu.traces[name] {
            let g = &gpu.traces[name][var];
            for (s, (a, b)) in t.iter().zip(g).enumerate() {
                let (a, b): (Vec<u32>, Vec<u32>) = (
                    a.iter().map(|x| x.to_bits()).collect(),
                    b.iter().map(|x| x.to_bits()).collect(),
                );
                assert_eq!(a, b, "{name}.{var} at step {s}");
            }
        }
    }
    // Every model took part and spiked (but LeakyIntegrate).
    for (pop, model) in [
        ("lif_rel", "LeakyIntegrateFire"),
        ("alif", "AdaptiveLeakyIntegrateFire"),
        ("if", "IntegrateFire"),
        ("fs", "FewSpikeRelu"),
        ("if_in", "IntegrateFireInput"),
        ("lif_in", "LeakyIntegrateFireInput"),
        ("fs_in", "FewSpikeReluInput"),
        ("poisson", "PoissonInput"),
        ("binary", "BinarySpikeInput"),
    ] {
        assert!(!cpu.spikes[pop].is_empty(), "{model} ({pop}) did not spike");
    }
}

fn every_model_compiles_with_its_defaults() {
    let mut net = Network::new().dt(1.0);
    for name in mlgenn::model_names() {
        let n = mlgenn::model(name).unwrap();
        assert_eq!(n.model_name(), *name);
        net.population(name, 2, &n).unwrap();
    }
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(5.0).unwrap();
}
