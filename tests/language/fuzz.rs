//! Bad model text must give an error, never a panic: random token strings and
//! mutations of valid models go through the parser, the analysis and, when
//! the analysis accepts them, compilation and a few steps of simulation.
//!
//! Reproducible (seeded). A stack overflow aborts the process instead of
//! panicking, so it cannot be caught: rerun with `FUZZ_TRACE=1` to print
//! every case before it runs (the last one printed is the culprit).
//! `FUZZ_CASES=n` changes the number of cases.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::common::tests;
use cajal::lang::parser::{parse_expression, parse_statement, split_statements, Source};
use cajal::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

tests! {
    cpu: [
        bad_model_text_never_panics,
    ],
}

/// A model's sections as text.
#[derive(Debug, Clone, Default)]
struct Text {
    spiking: bool,
    parameters: String,
    equations: String,
    functions: String,
    spike: String,
    reset: String,
    refractory: Option<String>,
}

impl Text {
    fn neuron(&self) -> Neuron {
        let n = if self.spiking {
            Neuron::spiking()
        } else {
            Neuron::rate()
        };
        let n = n
            .name("fuzz")
            .parameters(&self.parameters)
            .equations(&self.equations)
            .functions(&self.functions);
        let n = if self.spiking || !self.spike.is_empty() {
            n.spike(&self.spike).reset(&self.reset)
        } else {
            n
        };
        match &self.refractory {
            Some(r) => n.refractory_expr(r),
            None => n,
        }
    }
}

fn model(spiking: bool, p: &str, e: &str, f: &str, s: &str, r: &str, refr: Option<&str>) -> Text {
    Text {
        spiking,
        parameters: p.into(),
        equations: e.into(),
        functions: f.into(),
        spike: s.into(),
        reset: r.into(),
        refractory: refr.map(String::from),
    }
}

/// Valid models in the style of ANNarchy's built-ins, mutated below.
fn corpus() -> Vec<Text> {
    vec![
        model(false, "tau = 10.0 : population  # ms\nB = 0.0\nT = 0.0 : population", "tau * dv/dt + v = sum(exc) - sum(inh) + B : exponential\nr = pos(v - T)", "", "", "", None),
        model(false, "tau = 10.0\nbaseline = 0.1\nnoise = 0.05", "tau * dmp/dt + mp = sum(exc) + baseline + noise * Uniform(-1.0, 1.0)\nr = sigmoid(mp) : min = 0.0, max = 1.0", "sigmoid(x) = 1.0 / (1.0 + exp(-x))", "", "", None),
        model(false, "r = 0.0", "", "", "", "", None),
        model(false, "a = 2 : int\nflag = 1 : bool\nk = 0.5", "x += a * dt\ny = if flag then x else -x\ndz/dt = -z + y : rk4\nr = clip(z, -1, 1) + ite(t > 5, 1, 0)", "", "", "", None),
        model(false, "tau = 5.0", "dx/dt = y : midpoint, init = 1.0\ndy/dt = -x/tau : midpoint\nr = x^2 + y**2 + modulo(t, 2.0)", "", "", "", None),
        model(true, "noise = 0.0\na = 0.02\nb = 0.2\nc = -65.0  # mV\nd = 8.0\nv_thresh = 30.0  # mV\ni_offset = 0.0\ntau_refrac = 0.0  # ms", "I = g_exc - g_inh + noise * Normal(0.0, 1.0) + i_offset\ndv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init = -65.0\ndu/dt = a * (b*v - u) : init = -13.0", "", "v > v_thresh", "v = c\nu += d", Some("tau_refrac")),
        model(true, "v_rest = -65.0  # mV\ncm = 1.0  # nF\ntau_m = 20.0  # ms\ntau_refrac = 0.0  # ms\ntau_syn_E = 5.0  # ms\ntau_syn_I = 5.0  # ms\nv_thresh = -50.0  # mV\nv_reset = -65.0  # mV\ni_offset = 0.0  # nA", "cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc - g_inh + i_offset : exponential, init = -65.0\ntau_syn_E * dg_exc/dt = - g_exc : exponential\ntau_syn_I * dg_inh/dt = - g_inh : exponential", "", "v > v_thresh", "v = v_reset", Some("tau_refrac")),
        model(true, "v_rest = -65.0\ncm = 1.0\ntau_m = 20.0\ntau_refrac = 2.0\ntau_syn_E = 5.0\ntau_syn_I = 5.0\nv_thresh = -50.0\nv_reset = -65.0\ni_offset = 0.0\ne_rev_E = 0.0\ne_rev_I = -70.0", "gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)\ncm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset : exponential, init = -65.0\ntau_syn_E * dg_exc/dt = - g_exc : exponential\ntau_syn_I * dg_inh/dt = - g_inh : exponential\ntau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc : exponential", "", "v > v_thresh", "v = v_reset", Some("tau_refrac")),
        model(true, "gbar_Na = 20.0\ngbar_K = 6.0\ngleak = 0.01\ncm = 0.2\nv_offset = -63.0\ne_rev_Na = 50.0\ne_rev_K = -90.0\ne_rev_leak = -65.0\ne_rev_E = 0.0\ne_rev_I = -80.0\ntau_syn_E = 0.2\ntau_syn_I = 2.0\ni_offset = 0.0\nv_thresh = 0.0", "prev_v = v\nan = 0.032 * (15.0 - v + v_offset) / (exp((15.0 - v + v_offset)/5.0) - 1.0)\nam = 0.32 * (13.0 - v + v_offset) / (exp((13.0 - v + v_offset)/4.0) - 1.0)\nah = 0.128 * exp((17.0 - v + v_offset)/18.0)\nbn = 0.5 * exp((10.0 - v + v_offset)/40.0)\nbm = 0.28 * (v - v_offset - 40.0) / (exp((v - v_offset - 40.0)/5.0) - 1.0)\nbh = 4.0/(1.0 + exp(10.0 - v + v_offset))\ndn/dt = an * (1.0 - n) - bn * n : init = 0.0, exponential\ndm/dt = am * (1.0 - m) - bm * m : init = 0.0, exponential\ndh/dt = ah * (1.0 - h) - bh * h : init = 1.0, exponential\ncm * dv/dt = gleak*(e_rev_leak - v) + gbar_K * n**4 * (e_rev_K - v) + gbar_Na * m**3 * h * (e_rev_Na - v) + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset : exponential, init = -65.0\ntau_syn_E * dg_exc/dt = - g_exc : exponential\ntau_syn_I * dg_inh/dt = - g_inh : exponential", "", "(v > v_thresh) and (prev_v <= v_thresh)", "", None),
        model(true, "v_rest = -70.6\ncm = 0.281\ntau_m = 9.3667\ntau_refrac = 0.1\ntau_syn_E = 5.0\ne_rev_E = 0.0\ntau_w = 144.0\na = 4.0\nb = 0.0805\ni_offset = 0.0\ndelta_T = 2.0\nv_thresh = -50.4\nv_reset = -70.6\nv_spike = -40.0", "I = g_exc * (e_rev_E - v) + i_offset\ntau_m * dv/dt = (v_rest - v + delta_T * exp((v-v_thresh)/delta_T)) + tau_m/cm*(I - w) : init = -70.6\ntau_w * dw/dt = a * (v - v_rest) / 1000.0 - w\ntau_syn_E * dg_exc/dt = - g_exc : exponential", "", "v > v_spike", "v = v_reset\nw += b", Some("tau_refrac")),
        model(true, "tau = 10.0; E = 1.0 : population; thr = 0.5", "tau * dv/dt = E - v + g_exc - g_inh : implicit\nn = n + 1", "", "v > thr", "v = 0; n = 0", Some("2.0")),
        model(true, "rate = 20.0", "p = Uniform(0.0, 1.0) * 1000.0", "", "p < rate * dt", "", None),
    ]
}

/// Valid synapses (psp, pre_spike, parameters).
fn synapses() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("", "", ""),
        ("w * pre.r", "g_target += w", ""),
        (
            "gain * w * pre.r + post.r * 0",
            "g_target += gain * w",
            "gain = 2.0 : projection",
        ),
        (
            "w * (pre.r - theta)",
            "g_target -= w; count = count + 1",
            "theta = 0.1\ncount = 0 : int",
        ),
        (
            "if pre.r > 0.5 then w else 0",
            "g_target += w * Uniform(0.5, 1.5)",
            "",
        ),
        (
            "w * pre.r * k",
            "g_target += w * k",
            "w = 1.0\nk = 2.0 : projection",
        ),
        ("2 * w * pre.r", "g_target += w", "w = 1.0 : projection"),
    ]
}

const NAMES: &[&str] = &[
    "v",
    "r",
    "u",
    "x",
    "tau",
    "E",
    "I",
    "a",
    "b",
    "w",
    "g_exc",
    "g_inh",
    "g_",
    "pre.r",
    "post.v",
    "pre.",
    "t",
    "dt",
    "pi",
    "sum",
    "exc",
    "sum(exc)",
    "exp",
    "log",
    "sqrt",
    "abs",
    "min",
    "max",
    "clip",
    "pow",
    "pos",
    "modulo",
    "round",
    "sigmoid",
    "Uniform",
    "Normal",
    "LogNormal",
    "Exponential",
    "ite",
    "True",
    "g_target",
    "_refractory_remaining",
    "f",
];
const NUMBERS: &[&str] = &[
    "0", "1", "1.5", "-2", "1e3", ".5", "5.", "1e-40", "1e40", "1e400", "1.2.3", "0.0", "3e",
    "NaN", "inf",
];
const OPS: &[&str] = &[
    "+", "-", "*", "/", "^", "**", "%", "<", ">", "<=", ">=", "==", "!=", "=", "+=", "-=", "*=",
    "/=", "(", ")", "(", ")", ",", ":", ";", "#", ".", "?", "!", "&", "|", "[", "]", "{", "}", "@",
    "$", "'", "\"", "\\",
];
const FLAGS: &[&str] = &[
    "init",
    "min",
    "max",
    "population",
    "projection",
    "postsynaptic",
    "exponential",
    "explicit",
    "euler",
    "midpoint",
    "rk4",
    "implicit",
    "int",
    "bool",
    "float",
    "event-driven",
    "event",
    "-driven",
];
const KEYWORDS: &[&str] = &[
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "dv/dt",
    "dr/dt",
    "dg_exc/dt",
    "dx/dt",
    "d/dt",
    "dv / dt",
    "dv/dtau",
    "d_v/dt",
    "dpre.r/dt",
];
const ODD: &[&str] = &[
    "\n", "\n", " ", "  ", "\t", "\r", "\r\n", "é", "π", "中", "🙂", "\u{0}", "\u{200b}", "ÿ", "ǅ",
    "٣", "Ⅻ", "",
];

fn token(rng: &mut StdRng) -> &'static str {
    let set = match rng.random_range(0..10) {
        0..=2 => NAMES,
        3 => NUMBERS,
        4..=6 => OPS,
        7 => FLAGS,
        8 => KEYWORDS,
        _ => ODD,
    };
    set[rng.random_range(0..set.len())]
}

/// Deeply nested or very long expressions (stack depth of the recursive passes).
fn deep_text(rng: &mut StdRng) -> String {
    let n = rng.random_range(1..400);
    let m = rng.random_range(1..3000);
    match rng.random_range(0..8) {
        0 => format!(
            "r = {}v{}",
            "(".repeat(n),
            ")".repeat(rng.random_range(0..=n))
        ),
        1 => format!("r = {}v", "-".repeat(n)),
        2 => format!("r = {}v", "not ".repeat(n)),
        3 => format!("r = {}v{}", "exp(".repeat(n), ")".repeat(n)),
        4 => format!("dv/dt = {}v : rk4", "v + ".repeat(m)),
        5 => format!("r = v{}", "^2".repeat(n)),
        6 => format!("r = {}1 else 0", "if v > 0 then ".repeat(n)),
        _ => format!("r = {}", vec!["v"; m].join(" * ")),
    }
}

/// A string of random tokens, sometimes separated by spaces.
fn random_text(rng: &mut StdRng) -> String {
    if rng.random_bool(0.01) {
        return deep_text(rng);
    }
    let n = match rng.random_range(0..10) {
        0 => 0,
        1..=6 => rng.random_range(1..12),
        7..=8 => rng.random_range(12..60),
        _ => rng.random_range(60..400),
    };
    let spaced = rng.random_bool(0.5);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(token(rng));
        if spaced || rng.random_bool(0.2) {
            s.push(' ');
        }
    }
    s
}

/// Splits into tokens roughly as the lexer would (names, numbers, single symbols, spaces).
fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            cur.push(c);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(c.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Applies 1..4 random edits to a text, on characters or tokens.
fn mutate(rng: &mut StdRng, s: &str) -> String {
    let mut s = s.to_string();
    for _ in 0..rng.random_range(1..5) {
        if rng.random_bool(0.5) {
            let mut c: Vec<char> = s.chars().collect();
            let n = c.len();
            let i = rng.random_range(0..=n);
            match rng.random_range(0..5) {
                0 if i < n => {
                    c.remove(i);
                }
                1 => {
                    let t: Vec<char> = token(rng).chars().collect();
                    let ch = t.first().copied().unwrap_or('(');
                    c.insert(i, ch);
                }
                2 if i + 1 < n => c.swap(i, i + 1),
                3 if i < n => {
                    let j = rng.random_range(i..=n.min(i + 30));
                    let dup: Vec<char> = c[i..j].to_vec();
                    for (k, ch) in dup.into_iter().enumerate() {
                        c.insert(j + k, ch);
                    }
                }
                _ if n > 0 => {
                    let j = rng.random_range(0..n);
                    c[j] = [
                        '(', ')', ':', '=', '/', '*', '-', '\n', ';', '#', 'd', 't', ',', '^',
                    ][rng.random_range(0..14)];
                }
                _ => {}
            }
            s = c.into_iter().collect();
        } else {
            let mut t = tokens(&s);
            let n = t.len();
            let i = rng.random_range(0..=n);
            match rng.random_range(0..5) {
                0 if i < n => {
                    t.remove(i);
                }
                1 => t.insert(i, token(rng).to_string()),
                2 if n >= 2 => {
                    let j = rng.random_range(0..n);
                    t.swap(i.min(n - 1), j);
                }
                3 if i < n => {
                    let x = t[i].clone();
                    t.insert(i, x);
                }
                _ if i < n => t[i] = token(rng).to_string(),
                _ => {}
            }
            s = t.concat();
        }
    }
    s
}

/// One section: kept, mutated, replaced by random tokens or emptied.
fn section(rng: &mut StdRng, valid: &str) -> String {
    match rng.random_range(0..10) {
        0..=2 => valid.to_string(),
        3..=7 => mutate(rng, valid),
        8 => random_text(rng),
        _ => String::new(),
    }
}

fn random_model(rng: &mut StdRng, corpus: &[Text]) -> Text {
    let base = &corpus[rng.random_range(0..corpus.len())];
    let mut m = Text {
        spiking: if rng.random_bool(0.9) {
            base.spiking
        } else {
            !base.spiking
        },
        parameters: section(rng, &base.parameters),
        equations: section(rng, &base.equations),
        functions: section(rng, &base.functions),
        spike: section(rng, &base.spike),
        reset: section(rng, &base.reset),
        refractory: base.refractory.as_ref().map(|r| section(rng, r)),
    };
    if rng.random_bool(0.05) {
        m.refractory = Some(random_text(rng));
    }
    // Now and then only one mutation in the whole model, so that most of it
    // stays valid and analysis goes deep.
    if rng.random_bool(0.3) {
        m = base.clone();
        let pick = rng.random_range(0..5);
        let s = match pick {
            0 => &mut m.parameters,
            1 => &mut m.equations,
            2 => &mut m.functions,
            3 => &mut m.spike,
            _ => &mut m.reset,
        };
        *s = mutate(rng, s);
    }
    m
}

/// Builds, compiles and runs a small network around a fuzzed neuron and synapse.
fn exercise(m: &Text, syn: &Synapse, seed: u64, delayed: bool, conn: u32) -> cajal::Result<usize> {
    let mut net = Network::new().dt(0.1).seed(seed);
    let pop = net.population("fuzz", 5, &m.neuron())?;
    let partner = if m.spiking {
        Neuron::spiking()
            .equations("dv/dt = 1.0 + g_exc - v\nr = v")
            .spike("v > 0.5")
            .reset("v = 0")
    } else {
        Neuron::rate().equations("r = 0.5 + sum(exc)")
    };
    let other = net.population("other", 4, &partner)?;
    let mon = net.monitor(pop, &["spike"]).or_else(|_| {
        let name = net
            .pop(pop)?
            .ir
            .public_names()
            .first()
            .map(|s| s.to_string());
        match name {
            Some(n) => net.monitor(pop, &[n.as_str()]),
            None => Err(Error::Invalid {
                owner: "fuzz".into(),
                message: "nothing to record".into(),
            }),
        }
    });
    let delays = if delayed {
        Delays::constant(0.3)
    } else {
        Delays::none()
    };
    // Projections in both directions with the fuzzed synapse; most fail on
    // a missing target, which is an error like any other.
    let mut connect = |pre: PopId, post: PopId, target: &str, w: f32| {
        let b = net.projection(pre, post, target).synapse(syn);
        match conn {
            // No synapse at all.
            0 => b
                .delays(delays.clone())
                .connect_fixed_probability(0.0, Weights::constant(w)),
            1 => b
                .delays(delays.clone())
                .connect_fixed_probability(0.5, Weights::constant(w)),
            2 => b
                .delays(delays.clone())
                .connect_one_to_one(Weights::constant(w)),
            _ => b
                .delays(delays.clone())
                .connect_all_to_all(Weights::constant(w)),
        }
    };
    let projections = [
        connect(other, pop, "exc", 0.5),
        connect(pop, other, "exc", 0.25),
        connect(pop, pop, "inh", 0.1),
    ];
    let mut sim = net.compile(Backend::Cpu)?;
    for _ in 0..4 {
        sim.step()?;
    }
    if let Ok(m) = mon {
        let _ = sim.spikes(m);
    }
    for name in net.pop(pop)?.ir.public_names() {
        sim.get(pop, name)?;
    }
    sim.reset()?;
    sim.step()?;
    Ok(projections.iter().filter(|p| p.is_ok()).count())
}

fn bad_model_text_never_panics() {
    let cases: usize = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40_000);
    let trace = std::env::var("FUZZ_TRACE").is_ok();
    let corpus = corpus();
    let syns = synapses();
    let mut rng = StdRng::seed_from_u64(0x0C0F_FEE5);
    // Panics are caught and reported below; keep the default hook quiet.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures: Vec<String> = Vec::new();
    let (mut analysed, mut ran, mut projected) = (0usize, 0usize, 0usize);
    for case in 0..cases {
        // 1. The parser alone, on random or mutated single statements.
        let line = if rng.random_bool(0.5) {
            random_text(&mut rng)
        } else {
            let m = &corpus[rng.random_range(0..corpus.len())];
            let src = [&m.equations, &m.parameters, &m.spike, &m.reset][rng.random_range(0..4)];
            mutate(&mut rng, src)
        };
        let bare = rng.random_bool(0.5);
        if trace {
            eprintln!("case {case} parser: {line:?}");
        }
        let r = catch_unwind(|| {
            for src in split_statements(&line) {
                let _ = parse_statement(&src, bare);
                let _ = parse_expression(&src);
            }
            let _ = parse_statement(&Source::one(1, 1, &line), bare);
        });
        if r.is_err() {
            failures.push(format!("parser panicked on {line:?}"));
        }

        // 2. A whole model, and a synapse, through analysis, compilation and steps.
        // Either the neuron or the synapse is fuzzed, now and then both.
        let fuzz_neuron = rng.random_bool(0.8);
        let fuzz_synapse = !fuzz_neuron || rng.random_bool(0.3);
        let m = if fuzz_neuron {
            random_model(&mut rng, &corpus)
        } else {
            corpus[rng.random_range(0..corpus.len())].clone()
        };
        let (psp, pre, params) = syns[rng.random_range(0..syns.len())];
        let mut syn_text = (
            psp.to_string(),
            pre.to_string(),
            params.to_string(),
            String::new(),
        );
        if fuzz_synapse {
            match rng.random_range(0..5) {
                0 => syn_text.0 = section(&mut rng, psp),
                1 => syn_text.1 = section(&mut rng, pre),
                2 => syn_text.2 = section(&mut rng, params),
                3 => syn_text.3 = random_text(&mut rng),
                _ => {
                    syn_text = (
                        section(&mut rng, psp),
                        section(&mut rng, pre),
                        section(&mut rng, params),
                        String::new(),
                    )
                }
            }
        }
        let syn = Synapse::new()
            .name("fuzz syn")
            .psp(&syn_text.0)
            .pre_spike(&syn_text.1)
            .parameters(&syn_text.2)
            .functions(&syn_text.3);
        let delayed = rng.random_bool(0.2);
        let conn = rng.random_range(0..8);
        if trace {
            eprintln!("case {case} model: {m:#?}\nsynapse: {syn_text:#?}");
        }
        let r = catch_unwind(AssertUnwindSafe(|| {
            let ok = Network::new().population("p", 1, &m.neuron()).is_ok();
            (ok, exercise(&m, &syn, case as u64, delayed, conn))
        }));
        match r {
            Ok((a, b)) => {
                analysed += a as usize;
                ran += b.is_ok() as usize;
                projected += b.unwrap_or(0).min(1);
            }
            Err(e) => {
                let what = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("case {case} panicked ({what}) on model {m:#?}\nsynapse (psp, pre_spike, parameters, functions): {syn_text:#?}"));
            }
        }
        if failures.len() >= 5 {
            break;
        }
    }
    std::panic::set_hook(hook);
    eprintln!("fuzz: {cases} cases, {analysed} models accepted, {ran} networks ran, {projected} with a projection of the fuzzed synapse");
    assert!(
        failures.is_empty(),
        "{} panics; first ones:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // The fuzzer must reach analysis and simulation often enough to test them.
    assert!(
        analysed > cases / 10,
        "only {analysed} of {cases} models were accepted"
    );
    assert!(ran > cases / 20, "only {ran} of {cases} networks ran");
    assert!(
        projected > cases / 40,
        "only {projected} of {cases} networks had a fuzzed projection"
    );
}
