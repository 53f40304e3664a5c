//! Large generated models (issue 22): tens of thousands of parameters,
//! chained equations, a block of ODEs, a synapse reading as many
//! pre-synaptic values. The analysis is linear in a model's size; these
//! check that what it builds at that size is right: the IR's slots and
//! statements against the text they come from, and one step of the CPU
//! engine against sums and a midpoint step computed here in f64. Speed is
//! measured in benches/analysis.rs, never here.

use crate::common::tests;
use cajal::lang::analysis::Globals;
use cajal::lang::ast::BinOp;
use cajal::lang::ir::{EventStmt, Expr, Guard, Stmt, VarKind};
use cajal::lang::{analyse_neuron, analyse_synapse};
use cajal::prelude::*;

tests! {
    cpu: [
        fifty_thousand_parameters_and_twenty_thousand_chained_equations,
        a_midpoint_block_of_ten_thousand_coupled_odes,
        a_synapse_with_ten_thousand_traces_and_pre_synaptic_reads,
        errors_deep_in_large_models_keep_their_place,
    ],
}

const NP: usize = 50_000;
const NE: usize = 20_000;

/// The value of parameter `p{i}`: a multiple of 1/4, so that every partial
/// sum of the chain below is exact in f32 (they stay under 2^22).
fn p_value(i: usize) -> f64 {
    (i % 97) as f64 * 0.25 + 0.5
}

fn parameters(n: usize) -> String {
    (0..n).map(|i| format!("p{i} = {}\n", p_value(i))).collect()
}

/// `x0 = p0`, `x{i} = x{i-1} + p{i}`, then `r = x{NE-1}`.
fn chain() -> String {
    let mut s = String::from("x0 = p0\n");
    for i in 1..NE {
        s.push_str(&format!("x{i} = x{} + p{i}\n", i - 1));
    }
    s.push_str(&format!("r = x{}", NE - 1));
    s
}

fn var(slot: usize) -> Expr {
    Expr::Var(slot as u32)
}

fn fifty_thousand_parameters_and_twenty_thousand_chained_equations() {
    let neuron = Neuron::rate()
        .name("chain")
        .parameters(&parameters(NP))
        .equations(&chain());
    let ir = analyse_neuron(&neuron, &Globals::default()).unwrap();
    // Slots: the parameters in order, then each assigned name in order of
    // its first equation.
    assert_eq!(ir.vars.len(), NP + NE + 1);
    for (i, v) in ir.vars[..NP].iter().enumerate() {
        assert_eq!(v.name, format!("p{i}"));
        assert_eq!(v.kind, VarKind::Parameter);
        assert_eq!(v.init, p_value(i), "{}", v.name);
    }
    for (i, v) in ir.vars[NP..NP + NE].iter().enumerate() {
        assert_eq!(
            (v.name.as_str(), v.kind),
            (format!("x{i}").as_str(), VarKind::Variable)
        );
    }
    assert_eq!(ir.vars[NP + NE].name, "r");
    // One store an equation, in the order written, each reading the x
    // before it and its own parameter.
    assert_eq!(ir.update.len(), NE + 1);
    let store = |v: usize, expr: Expr| Stmt::Store {
        var: v as u32,
        expr,
        guard: Guard::Always,
    };
    assert_eq!(ir.update[0], store(NP, var(0)));
    for i in 1..NE {
        let want = store(NP + i, Expr::bin(BinOp::Add, var(NP + i - 1), var(i)));
        assert_eq!(ir.update[i], want, "equation {i}");
    }
    assert_eq!(ir.update[NE], store(NP + NE, var(NP + NE - 1)));

    // The statements run in order from the initial values (evaluated here,
    // in f64): every x is the sum of the parameters up to it. 70 001
    // per-neuron slots are more than the CPU engine's 16-bit indices bind:
    // refused with the reason (they used to wrap, reading other slots).
    let mut net = Network::new();
    net.population("big", 1, &neuron).unwrap();
    let e = net
        .compile(Backend::Cpu)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("population 'big' (model 'chain')") && e.contains("70001 per-neuron values"),
        "{e}"
    );
    let mut vals: Vec<f64> = ir.vars.iter().map(|v| v.init).collect();
    for s in &ir.update {
        match s {
            Stmt::Store { var, expr, .. } => vals[*var as usize] = eval(expr, &vals),
            s => panic!("unexpected {s:?}"),
        }
    }
    let mut sum = 0.0;
    for i in 0..NE {
        sum += p_value(i);
        assert_eq!(vals[NP + i], sum, "x{i}");
    }
    assert_eq!(vals[NP + NE], sum, "r");

    // Just under the limit, the CPU engine runs the chain exactly.
    let np = 65_536 - NE - 1;
    let neuron = Neuron::rate()
        .name("chain")
        .parameters(&parameters(np))
        .equations(&chain());
    let mut net = Network::new();
    let pop = net.population("big", 1, &neuron).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.step().unwrap();
    let mut sum = 0.0;
    for i in 0..NE {
        sum += p_value(i);
        if i % 997 == 0 || i == NE - 1 {
            let x = sim.get_neuron(pop, 0, &format!("x{i}")).unwrap();
            assert_eq!(f64::from(x), sum, "x{i}");
        }
    }
    assert_eq!(f64::from(sim.get_neuron(pop, 0, "r").unwrap()), sum);
}

/// The value of a sum of slots and numbers.
fn eval(e: &Expr, vals: &[f64]) -> f64 {
    match e {
        Expr::Const(c) => *c,
        Expr::Var(v) => vals[*v as usize],
        Expr::Binary(BinOp::Add, a, b) => eval(a, vals) + eval(b, vals),
        e => panic!("unexpected {e:?}"),
    }
}

fn a_midpoint_block_of_ten_thousand_coupled_odes() {
    // dv0/dt = -v0, dv{i}/dt = v{i-1} - v{i}: one block of consecutive
    // midpoint ODEs, each stage taken from the values at its start.
    const N: usize = 10_000;
    let init = |i: usize| 1.0 - (i % 7) as f64 * 0.125;
    let mut text = format!("dv0/dt = -v0 : midpoint, init = {}\n", init(0));
    for i in 1..N {
        text.push_str(&format!(
            "dv{i}/dt = v{} - v{i} : midpoint, init = {}\n",
            i - 1,
            init(i)
        ));
    }
    text.push_str(&format!("r = v{}", N - 1));
    let neuron = Neuron::rate().name("block").equations(&text);
    let ir = analyse_neuron(&neuron, &Globals::default()).unwrap();
    // The stores come last, one a variable in order, then r's.
    let stores: Vec<u32> = ir
        .update
        .iter()
        .filter_map(|s| match s {
            Stmt::Store { var, .. } => Some(*var),
            Stmt::Let { .. } => None,
        })
        .collect();
    let want: Vec<u32> = (0..=N as u32).collect();
    assert_eq!(stores, want);

    let dt = 0.1;
    let mut net = Network::new().dt(dt);
    let pop = net.population("p", 1, &neuron).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.step().unwrap();
    // The midpoint step in f64, from the f32 initial values.
    let v0: Vec<f64> = (0..N).map(|i| f64::from(init(i) as f32)).collect();
    let f = |v: &[f64], i: usize| if i == 0 { -v[0] } else { v[i - 1] - v[i] };
    let half: Vec<f64> = (0..N).map(|i| v0[i] + 0.5 * dt * f(&v0, i)).collect();
    for i in (0..N).step_by(613).chain([N - 1]) {
        let want = v0[i] + dt * f(&half, i);
        let got = f64::from(
            sim.get(pop, &format!("v{i}"))
                .unwrap()
                .iter()
                .copied()
                .next()
                .unwrap(),
        );
        assert!((got - want).abs() < 1e-6, "v{i}: {got} against {want}");
    }
}

fn a_synapse_with_ten_thousand_traces_and_pre_synaptic_reads() {
    const N: usize = 10_000;
    let params = format!("tau = 10.0 : projection\n{}", parameters(N));
    let traces: String = (0..N)
        .map(|i| format!("tau * dx{i}/dt = -x{i} : event-driven\n"))
        .collect();
    let reads: String = (0..N)
        .map(|i| format!("x{i} += pre.u{i} * p{i}\n"))
        .collect();
    let synapse = Synapse::new()
        .name("many")
        .parameters(&params)
        .equations(&traces)
        .pre_spike(&format!("g_target += w\n{reads}"));
    let ir = analyse_synapse(&synapse, &Globals::default()).unwrap();
    // w first, then tau, the parameters, the traces, the time of the last event.
    let names: Vec<&str> = ir.vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names.len(), 2 * N + 3);
    assert_eq!(&names[..2], &["w", "tau"]);
    assert!((0..N).all(|i| names[2 + i] == format!("p{i}") && names[2 + N + i] == format!("x{i}")));
    assert_eq!(names[2 * N + 2], "_t_last");
    // The pre-synaptic values in the order first read: r by the default
    // psp (w * pre.r), then the u of pre_spike.
    assert_eq!(ir.pre_refs.len(), N + 1);
    assert_eq!(ir.pre_refs[0], "r");
    for (i, u) in ir.pre_refs[1..].iter().enumerate() {
        assert_eq!(*u, format!("u{i}"));
    }
    assert!(ir.event_driven && ir.update.is_empty());
    // pre_spike: each trace decayed to the step before, g_target += w, the
    // reads in order, the time stamp.
    assert_eq!(ir.pre_spike.len(), 2 * N + 2);
    for i in 0..N {
        let x = 2 + N + i;
        assert!(matches!(&ir.pre_spike[i], EventStmt::Store { var, .. } if *var as usize == x));
        let read = Expr::bin(
            BinOp::Add,
            var(x),
            Expr::bin(BinOp::Mul, Expr::Pre(i as u32 + 1), var(2 + i)),
        );
        assert_eq!(
            ir.pre_spike[N + 1 + i],
            EventStmt::Store {
                var: x as u32,
                expr: read
            },
            "read {i}"
        );
    }
    assert_eq!(ir.pre_spike[N], EventStmt::AddConductance(var(0)));
}

/// The section, line and column of an analysis error.
fn place(e: &Error) -> (String, usize, usize, String) {
    match e {
        Error::Equation {
            section,
            line,
            column,
            message,
            ..
        } => (section.clone(), *line, *column, message.clone()),
        e => panic!("expected an equation error, got {e}"),
    }
}

fn errors_deep_in_large_models_keep_their_place() {
    let g = Globals::default();
    let chain = chain();
    // An unknown name in parameter 30 000 (line 30 001).
    let mut params = parameters(NP);
    params = params.replacen("p30000 = ", "p30000 = 1.0 + nope + ", 1);
    let e = analyse_neuron(
        &Neuron::rate()
            .name("M")
            .parameters(&params)
            .equations(&chain),
        &g,
    )
    .unwrap_err();
    let (section, line, column, message) = place(&e);
    assert_eq!((section.as_str(), line, column), ("parameters", 30_001, 16));
    assert!(message.contains("unknown name 'nope'"), "{message}");
    // A name declared twice, at the end.
    let params = format!("{}p5 = 1.0", parameters(NP));
    let e = analyse_neuron(
        &Neuron::rate()
            .name("M")
            .parameters(&params)
            .equations(&chain),
        &g,
    )
    .unwrap_err();
    let (section, line, column, message) = place(&e);
    assert_eq!((section.as_str(), line, column), ("parameters", NP + 1, 1));
    assert_eq!(message, "'p5' is declared twice");
    // A parameter assigned by equation 15 000 (line 15 001).
    let eqs = chain.replacen("x15000 = ", "p7 = ", 1);
    let e = analyse_neuron(
        &Neuron::rate()
            .name("M")
            .parameters(&parameters(NP))
            .equations(&eqs),
        &g,
    )
    .unwrap_err();
    let (section, line, column, message) = place(&e);
    assert_eq!((section.as_str(), line, column), ("equations", 15_001, 1));
    assert!(message.contains("'p7' is a parameter"), "{message}");
    // An unknown name in the last equation of a spiking neuron with a
    // refractory period: the equations are named, not the refractory section.
    let eqs = format!("{chain}\nv = r + nope2");
    let e = analyse_neuron(
        &Neuron::spiking()
            .name("M")
            .parameters(&parameters(NP))
            .equations(&eqs)
            .spike("v > 1")
            .reset("v = 0")
            .refractory(2.0),
        &g,
    )
    .unwrap_err();
    let (section, line, column, _) = place(&e);
    assert_eq!((section.as_str(), line, column), ("equations", NE + 2, 9));
}
