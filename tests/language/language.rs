//! The equation language against independent expectations: analytic
//! solutions, the exact discrete recurrence of each integration method and
//! hand computations, all done here in f64. Tolerances are stated where they
//! are used, from the f32 rounding of the engine and the error of the method.

use crate::common::tests;
use cajal::prelude::*;
use ndarray::Array2;

tests! {
    cpu: [
        exponential_decay_with_every_method,
        leaky_integrator_with_constant_input_matches_the_closed_form,
        spiking_lif_interspike_interval_is_analytic,
        exponential_method_with_a_vanishing_coefficient,
        odes_in_any_form_linear_in_the_derivative_agree,
        harmonic_oscillator_with_rk4_and_block_semantics,
        statements_run_in_order_and_see_the_new_values,
        operators_functions_and_keywords,
        time_flags_and_assignment_operators,
        parameter_flags_population_int_bool,
        random_variables_have_their_distribution,
        random_draws_depend_on_the_seed_only,
        a_random_variable_is_drawn_once_per_step_in_every_method,
        conductances_reset_each_step_unless_governed,
        refractory_period_given_by_a_parameter,
        unknown_names_and_functions,
        wrong_arity,
        syntax_errors,
        flag_errors,
        parameters_cannot_be_assigned_or_declared_twice,
        ode_errors,
        model_level_errors,
        user_function_errors,
        synapse_errors,
        deep_or_long_expressions_are_errors_not_crashes,
        random_spike_condition_and_reset,
        synapse_statements_read_pre_and_post_and_run_in_order,
    ],
}

// ---------------------------------------------------------------- helpers

/// Runs `steps` steps of a population of `n` neurons and returns the
/// recorded values of `vars` (`[samples, neurons]`, sample k = state after
/// k + 1 updates).
fn run(neuron: &Neuron, n: usize, dt: f64, steps: usize, vars: &[&str]) -> Vec<Array2<f32>> {
    let mut net = Network::new().dt(dt).seed(1);
    let pop = net.population("p", n, neuron).unwrap();
    let m = net.monitor(pop, vars).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    for _ in 0..steps {
        sim.step().unwrap();
    }
    vars.iter().map(|v| sim.recorded(m, v).unwrap()).collect()
}

/// The trajectory of one variable of a single neuron.
fn trace(neuron: &Neuron, dt: f64, steps: usize, var: &str) -> Vec<f64> {
    run(neuron, 1, dt, steps, &[var])[0]
        .column(0)
        .iter()
        .map(|&x| x as f64)
        .collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The model error of a rate-coded model that fails analysis.
fn rate_error(params: &str, eqs: &str) -> Error {
    let mut net = Network::new();
    net.population(
        "p",
        1,
        &Neuron::rate().name("M").parameters(params).equations(eqs),
    )
    .unwrap_err()
}

/// Unpacks an `Error::Equation`, checking that Display names model, line and column.
fn equation(e: &Error) -> (String, usize, usize, String) {
    let shown = e.to_string();
    match e {
        Error::Equation {
            model,
            section,
            line,
            column,
            message,
        } => {
            assert!(shown.contains(&format!("'{model}'")), "{shown}");
            assert!(shown.contains(&format!("line {line}")), "{shown}");
            assert!(shown.contains(&format!("column {column}")), "{shown}");
            assert!(shown.contains(message.as_str()), "{shown}");
            (section.clone(), *line, *column, message.clone())
        }
        e => panic!("expected Error::Equation, got {e:?}"),
    }
}

// ------------------------------------------------- integration methods

/// Growth factor of one step of `dr/dt = -r / tau` for each method, with x = dt / tau.
fn growth(method: &str, x: f64) -> f64 {
    match method {
        "explicit" => 1.0 - x,
        "exponential" => (-x).exp(),
        "midpoint" => 1.0 - x + x * x / 2.0,
        "rk4" => 1.0 - x + x * x / 2.0 - x.powi(3) / 6.0 + x.powi(4) / 24.0,
        "implicit" => 1.0 / (1.0 + x),
        _ => unreachable!(),
    }
}

fn exponential_decay_with_every_method() {
    let (tau, dt, steps) = (10.0, 1.0, 100);
    let x: f64 = dt / tau;
    // Leading local error of each method relative to e^{-x}: g = e^{-x}(1 + c x^{p+1} + ...).
    // Globally |g^n - e^{-nx}| ~ |c| x^p (nx) e^{-nx} <= |c| x^p / e.
    let methods = [
        ("explicit", 0.5, 1),
        ("exponential", 0.0, 1),
        ("midpoint", 1.0 / 6.0, 2),
        ("rk4", 1.0 / 120.0, 4),
        ("implicit", 0.5, 1),
    ];
    for (method, c, p) in methods {
        let neuron = Neuron::rate()
            .parameters("tau = 10.0")
            .equations(&format!("tau * dr/dt = -r : init = 1.0, {method}"));
        let r = trace(&neuron, dt, steps, "r");
        let g = growth(method, x);
        // The exact recurrence of the method: f32 adds a few ulps a step, so
        // the relative error stays below ~1e-7 per step.
        for (k, v) in r.iter().enumerate() {
            let expected = g.powi(k as i32 + 1);
            assert!(
                (v - expected).abs() <= 2e-7 * (k + 1) as f64 * expected + 1e-9,
                "{method}: step {k}: {v} vs recurrence {expected}"
            );
        }
        // Against the analytic solution, within the method's error.
        let exact: Vec<f64> = (1..=steps).map(|k| (-(k as f64) * x).exp()).collect();
        let err = max_abs_diff(&r, &exact);
        let bound = c * x.powi(p) / std::f64::consts::E;
        assert!(
            err <= 1.5 * bound + 2e-5,
            "{method}: error {err} above the method's bound {bound}"
        );
        if method == "explicit" || method == "implicit" || method == "midpoint" {
            // ... and the error really is of that order (the method is what it says).
            assert!(
                err >= 0.7 * bound,
                "{method}: error {err} too small for its order ({bound})"
            );
        }
        if method == "exponential" {
            // Exact for a linear ODE, up to f32 rounding.
            for (k, (v, e)) in r.iter().zip(&exact).enumerate() {
                assert!(
                    (v - e).abs() <= 1e-5 * e + 1e-9,
                    "exponential: step {k}: {v} vs {e}"
                );
            }
        }
    }
}

fn leaky_integrator_with_constant_input_matches_the_closed_form() {
    // tau dv/dt = E - v + I, v(0) = E: v(t) = E + I (1 - e^{-t/tau}).
    let (tau, e_l, i, dt, steps) = (20.0, -65.0, 10.0, 0.1, 1000);
    for (method, tol) in [
        // Exact but for f32: |v| ~ 65 with eps 6e-8 a step, 1000 steps.
        ("exponential", 1e-3),
        // First order: max error I * (dt/tau) / (2e) = 9.2e-3.
        ("explicit", 1.1e-2),
    ] {
        let neuron = Neuron::rate()
            .parameters("tau = 20.0\nE = -65.0\nI = 10.0\nr = 0.0")
            .equations(&format!("tau * dv/dt = E - v + I : init = -65.0, {method}"));
        let v = trace(&neuron, dt, steps, "v");
        let exact: Vec<f64> = (1..=steps)
            .map(|k| e_l + i * (1.0 - (-(k as f64) * dt / tau).exp()))
            .collect();
        let err = max_abs_diff(&v, &exact);
        assert!(err < tol, "{method}: max error {err}");
    }
}

fn spiking_lif_interspike_interval_is_analytic() {
    // tau dv/dt = E - v + I; threshold crossing from v_reset takes
    // T = tau ln((I_eff - v_reset)/(I_eff - v_thresh)) with I_eff = E + I.
    let (tau, e_l, i, v_thresh, v_reset, refr, dt): (f64, f64, f64, f64, f64, f64, f64) =
        (20.0, -65.0, 20.0, -50.0, -65.0, 2.0, 0.1);
    let i_eff = e_l + i;
    let t_cross = tau * ((i_eff - v_reset) / (i_eff - v_thresh)).ln();
    // The exponential method is exact, so v passes the threshold after
    // ceil(T/dt) integration steps (T/dt = 277.26, far from an integer).
    let cross_steps = (t_cross / dt).ceil() as u64;
    assert!((t_cross / dt).fract() > 0.05 && (t_cross / dt).fract() < 0.95);
    let refr_steps = (refr / dt).round() as u64;
    let neuron = Neuron::spiking()
        .parameters("tau = 20.0\nE = -65.0\nI = 20.0\nv_thresh = -50.0\nv_reset = -65.0")
        .equations("tau * dv/dt = E - v + I : init = -65.0, exponential")
        .spike("v > v_thresh")
        .reset("v = v_reset")
        .refractory(refr);
    let mut net = Network::new().dt(dt);
    let pop = net.population("p", 1, &neuron).unwrap();
    let m = net.monitor(pop, &["spike", "v"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(300.0).unwrap();
    let steps: Vec<u64> = sim.spikes(m).unwrap().iter().map(|s| s.0).collect();
    assert!(steps.len() >= 9, "{steps:?}");
    // First spike: the update of step k is the (k+1)-th integration step.
    assert_eq!(steps[0], cross_steps - 1);
    for w in steps.windows(2) {
        // After a spike v is held for the refractory steps, then integrates again.
        assert_eq!(w[1] - w[0], cross_steps + refr_steps, "spikes at {steps:?}");
    }
    // v just before the first spike is below threshold, and reset at the spike.
    let v = sim.recorded(m, "v").unwrap();
    assert!((v[[steps[0] as usize - 1, 0]] as f64) <= v_thresh);
    assert_eq!(v[[steps[0] as usize, 0]] as f64, v_reset);
    // During the refractory period v stays at the reset value.
    for k in steps[0] + 1..=steps[0] + refr_steps {
        assert_eq!(v[[k as usize, 0]] as f64, v_reset, "step {k}");
    }
    assert!(v[[(steps[0] + refr_steps + 1) as usize, 0]] as f64 > v_reset);
}

fn exponential_method_with_a_vanishing_coefficient() {
    // dv/dt = g (E - v) + I: with g = 0 the linear coefficient is 0 and the
    // relaxation target is 0/0 (or overflows for a denormal g); v must
    // follow the constant part I, not become NaN. With g > 0 it relaxes
    // exactly towards E.
    let neuron = Neuron::rate()
        .parameters("g = 0.0\nE = 1.0\nI = 0.0\nr = 0.0")
        .equations("dv/dt = g * (E - v) + I : exponential, init = -1.0");
    let mut net = Network::new().dt(0.5);
    let pop = net.population("p", 4, &neuron).unwrap();
    net.set(pop, "g", Value::from(vec![0.0f32, 0.0, 0.2, 1e-40]))
        .unwrap();
    net.set(pop, "I", Value::from(vec![0.0f32, 0.5, 0.0, 1.0]))
        .unwrap();
    let m = net.monitor(pop, &["v"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(5.0).unwrap();
    let v = sim.recorded(m, "v").unwrap();
    for k in 0..10 {
        let t = (k + 1) as f64 * 0.5;
        assert_eq!(v[[k, 0]], -1.0);
        assert!(
            (v[[k, 1]] as f64 - (-1.0 + 0.5 * t)).abs() < 1e-5,
            "{}",
            v[[k, 1]]
        );
        assert!((v[[k, 2]] as f64 - (1.0 - 2.0 * (-0.2 * t).exp())).abs() < 1e-5);
        assert!(
            (v[[k, 3]] as f64 - (-1.0 + t)).abs() < 1e-5,
            "{}",
            v[[k, 3]]
        );
    }
}

fn odes_in_any_form_linear_in_the_derivative_agree() {
    let forms = [
        "dv/dt = (E - v)/tau",
        "tau*dv/dt + v = E",
        "dv/dt*tau = E - v",
        "0 = tau*dv/dt - E + v",
        "tau*dv/dt - E = -v",
        "-dv/dt = (v - E)/tau",
    ];
    let (tau, e_l, dt, steps) = (5.0f64, 2.0f64, 0.1f64, 300);
    let exact: Vec<f64> = (1..=steps)
        .map(|k| e_l * (1.0 - (1.0 - dt / tau).powi(k as i32)))
        .collect();
    for method in ["explicit", "exponential"] {
        let mut first: Option<Vec<f64>> = None;
        for form in forms {
            let neuron = Neuron::rate()
                .parameters("tau = 5.0\nE = 2.0\nr = 0.0")
                .equations(&format!("{form} : {method}"));
            let v = trace(&neuron, dt, steps, "v");
            if method == "explicit" {
                // The exact Euler recurrence, within f32 rounding.
                assert!(max_abs_diff(&v, &exact) < 1e-5, "{form}");
            }
            match &first {
                None => first = Some(v),
                // Forms may differ by the rounding of the rearranged expression only.
                Some(f) => assert!(
                    max_abs_diff(f, &v) < 1e-5,
                    "{form} ({method}) differs from {}",
                    forms[0]
                ),
            }
        }
    }
}

fn harmonic_oscillator_with_rk4_and_block_semantics() {
    let (dt, steps) = (0.05, 400);
    let neuron = |m: &str| {
        Neuron::rate()
            .parameters("r = 0.0")
            .equations(&format!("dx/dt = y : init = 1.0, {m}\ndy/dt = -x : {m}"))
    };
    let out = run(&neuron("rk4"), 1, dt, steps, &["x", "y"]);
    for k in 0..steps {
        let t = (k + 1) as f64 * dt;
        // rk4 error ~ t h^4 / 120 ~ 1e-6 here; f32 rounding ~ 1e-7 a step.
        assert!((out[0][[k, 0]] as f64 - t.cos()).abs() < 1e-4, "x at {t}");
        assert!((out[1][[k, 0]] as f64 + t.sin()).abs() < 1e-4, "y at {t}");
    }
    // Explicit Euler of a block: both derivatives from the values at the start
    // of the step, so x^2 + y^2 grows by exactly (1 + h^2) a step (it would
    // stay bounded if y used the new x).
    let out = run(&neuron("explicit"), 1, dt, steps, &["x", "y"]);
    for k in [0, 99, 399] {
        let r2 = (out[0][[k, 0]] as f64).powi(2) + (out[1][[k, 0]] as f64).powi(2);
        let expected = (1.0 + dt * dt).powi(k as i32 + 1);
        assert!(
            (r2 - expected).abs() < 1e-4 * expected,
            "step {k}: {r2} vs {expected}"
        );
    }
    // Midpoint on the same system: x_{n+1} = x + h y - h^2/2 x, y_{n+1} = y - h x - h^2/2 y.
    let out = run(&neuron("midpoint"), 1, dt, 50, &["x", "y"]);
    let (mut x, mut y) = (1.0f64, 0.0f64);
    for k in 0..50 {
        (x, y) = (
            x + dt * y - dt * dt / 2.0 * x,
            y - dt * x - dt * dt / 2.0 * y,
        );
        assert!(
            (out[0][[k, 0]] as f64 - x).abs() < 1e-5 && (out[1][[k, 0]] as f64 - y).abs() < 1e-5,
            "midpoint step {k}"
        );
    }
}

fn statements_run_in_order_and_see_the_new_values() {
    // a is assigned before b reads it; c reads d, which is assigned later,
    // so it sees d's value of the previous step.
    let neuron = Neuron::rate()
        .parameters("r = 0.0")
        .equations("a = t\nb = a + 1\nc = d\nd = 2 * t");
    let dt = 0.5;
    let out = run(&neuron, 1, dt, 4, &["a", "b", "c", "d"]);
    for k in 0..4 {
        let t = k as f64 * dt;
        assert_eq!(out[0][[k, 0]] as f64, t);
        assert_eq!(out[1][[k, 0]] as f64, t + 1.0);
        assert_eq!(
            out[2][[k, 0]] as f64,
            if k == 0 { 0.0 } else { 2.0 * (t - dt) }
        );
        assert_eq!(out[3][[k, 0]] as f64, 2.0 * t);
    }
}

// --------------------------------------------------------- expressions

fn operators_functions_and_keywords() {
    let (a, b) = (0.7f64, 2.5f64);
    let cases: Vec<(&str, f64)> = vec![
        ("if a > b then 1.0 else 2.0", 2.0),
        ("if a < b then 1.0 else 2.0", 1.0),
        ("ite(a < b, 3.0, 4.0)", 3.0),
        ("ite(a > b, 3.0, 4.0)", 4.0),
        ("if a > 0 and b > 0 then 1 else 0", 1.0),
        ("if a > 1 and b > 0 then 1 else 0", 0.0),
        ("if a > 1 or b > 2 then 1 else 0", 1.0),
        ("if a > 1 or b > 3 then 1 else 0", 0.0),
        ("if not (a > 1) then 1 else 0", 1.0),
        ("not a == a", 0.0),
        (
            "(a < b) + 2*(a > b) + 4*(a <= a) + 8*(a >= b) + 16*(a == a) + 32*(a != b)",
            1.0 + 4.0 + 16.0 + 32.0,
        ),
        ("exp(a)", a.exp()),
        ("log(b)", b.ln()),
        ("sqrt(b)", b.sqrt()),
        ("abs(-b) + fabs(-a)", b + a),
        ("sin(a)", a.sin()),
        ("cos(a)", a.cos()),
        ("tan(a)", a.tan()),
        ("tanh(a)", a.tanh()),
        ("pow(b, 3)", b.powi(3)),
        ("pow(b, 0.5)", b.sqrt()),
        ("b^2", b * b),
        ("b**3", b.powi(3)),
        ("2^3^2", 512.0),
        ("-2^2", -4.0),
        ("2^-1", 0.5),
        ("(-2)^3", -8.0),
        ("1 + 2 * 3 ^ 2", 19.0),
        ("10 - 4 - 3", 3.0),
        ("12 / 3 / 2", 2.0),
        ("min(a, b)", a),
        ("max(a, b)", b),
        ("clip(b, 0.0, 1.0)", 1.0),
        ("clip(-b, 0.0, 1.0)", 0.0),
        ("clip(a, 0.0, 1.0)", a),
        ("pos(-a) + pos(b)", b),
        ("neg(-a) + neg(b)", -a),
        ("modulo(7, 3)", 1.0),
        ("modulo(-7, 3)", -1.0),
        ("7 % 3", 1.0),
        ("-7.5 % 2", -1.5),
        (
            "round(2.4) + 10*round(2.6) + 100*round(-2.6)",
            2.0 + 30.0 - 300.0,
        ),
        // Halves round away from zero, as C's round() in ANNarchy's code.
        (
            "round(2.5) + 10*round(-2.5) + 100*round(0.5)",
            3.0 - 30.0 + 100.0,
        ),
        ("floor(b) + 10*floor(-b)", 2.0 - 30.0),
        ("ceil(b) + 10*ceil(-b)", 3.0 - 20.0),
        ("pi", std::f64::consts::PI),
        ("dt", 0.25),
        ("sigmoid(a)", 1.0 / (1.0 + (-a).exp())),
        ("twice(sigmoid(b), a)", 2.0 / (1.0 + (-b).exp()) + a),
        ("k * a", 3.0 * a),
        ("true + 2*false + 4*True", 5.0),
        ("1.5e-3 + .5 + 2.", 0.0015 + 0.5 + 2.0),
        ("sign(-a) + 10*sign(b) + 100*sign(0)", 9.0),
    ];
    let eqs: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, (e, _))| format!("c{i} = {e}"))
        .collect();
    let neuron = Neuron::rate()
        .parameters("a = 0.7\nb = 2.5 : population\nr = 0.0")
        .functions("sigmoid(x) = 1/(1+exp(-x))\ntwice(x, y) = 2*x + y")
        .equations(&eqs.join("\n"));
    let mut net = Network::new().dt(0.25);
    net.constant("k", 3.0).unwrap();
    let pop = net.population("p", 2, &neuron).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.step().unwrap();
    for (i, (e, expected)) in cases.iter().enumerate() {
        let got = sim.get(pop, &format!("c{i}")).unwrap();
        for g in got.iter() {
            // f32 evaluation of values of order 1..500.
            assert!(
                (*g as f64 - expected).abs() <= 2e-6 * expected.abs().max(1.0),
                "{e}: got {g}, expected {expected}"
            );
        }
    }
}

fn time_flags_and_assignment_operators() {
    let dt = 0.1;
    let neuron = Neuron::rate().parameters("a = 0.5\nr = 0.0").equations(
        "now = t
acc += a
dec -= 2 * a : init = 10.0
mul *= 2 : init = 1.0
div /= 2 : init = 64.0
cnt = cnt + 1 : init = 5.0
capped = capped + 1 : max = 2.5
floored = floored - 1 : min = -1.5, init = 1.0
dz/dt = -1 : min = 0.0, init = 0.25
dw/dt = 1 : max = 0.35",
    );
    let vars = [
        "now", "acc", "dec", "mul", "div", "cnt", "capped", "floored", "z", "w",
    ];
    let out = run(&neuron, 1, dt, 8, &vars);
    for k in 0..8usize {
        let n = (k + 1) as f64; // updates done
        let expected = [
            k as f64 * dt, // t is the time at the start of the step
            0.5 * n,
            10.0 - n,
            2f64.powi(n as i32),
            64.0 / 2f64.powi(n as i32),
            5.0 + n,
            (n).min(2.5),
            (1.0 - n).max(-1.5),
            (0.25 - dt * n).max(0.0),
            (dt * n).min(0.35),
        ];
        for (i, v) in vars.iter().enumerate() {
            let got = out[i][[k, 0]] as f64;
            assert!(
                (got - expected[i]).abs() < 1e-5,
                "{v} after {n} steps: {got} vs {}",
                expected[i]
            );
        }
    }
}

fn parameter_flags_population_int_bool() {
    let neuron = Neuron::rate().parameters("g = 1.5 : population\nn = 2.7 : int\nflag = 5 : bool\nf = 0.25 : float\nh = 2 * g + n\nr = 0.0").equations("y = g + n + flag + f");
    let mut net = Network::new();
    let pop = net.population("p", 3, &neuron).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    // A population-wide parameter is a 0-dimensional array.
    let g = sim.get(pop, "g").unwrap();
    assert_eq!(g.shape(), &[] as &[usize]);
    assert_eq!(g.first().copied(), Some(1.5));
    assert_eq!(sim.get(pop, "n").unwrap().shape(), &[3]);
    // An int truncates toward zero, as ANNarchy's C++ int.
    assert!(sim.get(pop, "n").unwrap().iter().all(|&x| x == 2.0));
    assert!(sim.get(pop, "flag").unwrap().iter().all(|&x| x == 1.0));
    // A parameter's value may use the parameters above it.
    assert!(sim.get(pop, "h").unwrap().iter().all(|&x| x == 5.0));
    sim.step().unwrap();
    assert!(sim
        .get(pop, "y")
        .unwrap()
        .iter()
        .all(|&x| x == 1.5 + 2.0 + 1.0 + 0.25));
    // Setting an int truncates the value, a bool is 0 or 1.
    sim.set(pop, "n", Value::Scalar(1.4)).unwrap();
    sim.set(pop, "flag", Value::Scalar(0.0)).unwrap();
    sim.set(pop, "g", Value::Scalar(-1.0)).unwrap();
    sim.step().unwrap();
    assert!(sim
        .get(pop, "y")
        .unwrap()
        .iter()
        .all(|&x| x == -1.0 + 1.0 + 0.0 + 0.25));
    // Before compiling too, per neuron.
    let mut net = Network::new();
    let pop = net.population("p", 3, &neuron).unwrap();
    net.set(pop, "n", Value::from(vec![0.4f32, 1.6, -2.5]))
        .unwrap();
    let sim = net.compile(Backend::Cpu).unwrap();
    let n: Vec<f32> = sim.get(pop, "n").unwrap().iter().copied().collect();
    assert_eq!(n, vec![0.0, 1.0, -2.0]);
}

// --------------------------------------------------------- random variables

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (
        m,
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

fn random_variables_have_their_distribution() {
    let neuron = Neuron::rate().parameters("r = 0.0").equations("u = Uniform(2.0, 5.0)\nn = Normal(1.0, 2.0)\nn2 = Normal(1.0, 2.0)\ne = Exponential(0.5)\nl = LogNormal(0.0, 0.5)");
    let (neurons, steps) = (1000, 50);
    let out = run(&neuron, neurons, 0.1, steps, &["u", "n", "n2", "e", "l"]);
    let flat = |i: usize| -> Vec<f64> { out[i].iter().map(|&x| x as f64).collect() };
    let count = (neurons * steps) as f64;
    // (name, samples, mean, variance, fourth central moment)
    let ln_m = (0.125f64).exp();
    let ln_v = ((0.25f64).exp() - 1.0) * (0.25f64).exp();
    let checks = [
        ("Uniform", flat(0), 3.5, 0.75, 9.0f64.powi(2) / 80.0),
        ("Normal", flat(1), 1.0, 4.0, 3.0 * 16.0),
        ("Exponential", flat(3), 2.0, 4.0, 9.0 * 16.0),
        ("LogNormal", flat(4), ln_m, ln_v, 0.0),
    ];
    for (name, x, mean, var, mu4) in checks {
        let (m, v) = mean_var(&x);
        // 5 standard errors: of the mean sqrt(var/N), of the variance sqrt((mu4 - var^2)/N).
        let se_m = (var / count).sqrt();
        assert!((m - mean).abs() < 5.0 * se_m, "{name}: mean {m} vs {mean}");
        let se_v = if mu4 > 0.0 {
            ((mu4 - var * var) / count).sqrt()
        } else {
            0.05 * var
        };
        assert!(
            (v - var).abs() < 5.0 * se_v,
            "{name}: variance {v} vs {var}"
        );
    }
    let bad: Vec<f64> = flat(0)
        .into_iter()
        .filter(|u| !(2.0..5.0).contains(u))
        .collect();
    assert!(bad.is_empty(), "{:?}", &bad[..bad.len().min(10)]);
    assert!(flat(3).iter().all(|&e| e >= 0.0 && e.is_finite()));
    assert!(flat(4).iter().all(|&l| l > 0.0));
    // Drawn per neuron and per step: distinct across neurons, across steps,
    // and two occurrences of Normal are independent.
    let n = &out[1];
    assert_ne!(n[[0, 0]], n[[0, 1]]);
    assert_ne!(n[[0, 0]], n[[1, 0]]);
    let (a, b) = (flat(1), flat(2));
    let cov = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - 1.0) * (y - 1.0))
        .sum::<f64>()
        / count
        / 4.0;
    assert!(
        cov.abs() < 5.0 / count.sqrt(),
        "correlation between two Normal() {cov}"
    );
    let lag = (0..steps - 1)
        .flat_map(|k| (0..neurons).map(move |i| (k, i)))
        .map(|(k, i)| (n[[k, i]] as f64 - 1.0) * (n[[k + 1, i]] as f64 - 1.0))
        .sum::<f64>()
        / count
        / 4.0;
    assert!(
        lag.abs() < 5.0 / count.sqrt(),
        "correlation between steps {lag}"
    );
}

fn random_draws_depend_on_the_seed_only() {
    let neuron = Neuron::rate()
        .parameters("r = 0.0")
        .equations("x = Normal(0.0, 1.0)\ny = Uniform(0.0, 1.0)");
    let draw = |seed: u64| {
        let mut net = Network::new().dt(0.1).seed(seed);
        let pop = net.population("p", 50, &neuron).unwrap();
        let m = net.monitor(pop, &["x", "y"]).unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(1.0).unwrap();
        (sim.recorded(m, "x").unwrap(), sim.recorded(m, "y").unwrap())
    };
    assert_eq!(draw(7), draw(7));
    let (a, b) = (draw(7), draw(8));
    assert!(a.0.iter().zip(b.0.iter()).filter(|(x, y)| x == y).count() < 3);
    assert!(a.1.iter().zip(b.1.iter()).filter(|(x, y)| x == y).count() < 3);
}

fn a_random_variable_is_drawn_once_per_step_in_every_method() {
    // dx/dt = sigma * xi with x(0) = 0: one step gives x = dt * sigma * xi,
    // variance (dt sigma)^2, whatever the method, if every stage sees the
    // same draw (as ANNarchy draws random variables once per step).
    let (dt, n) = (0.5, 20_000);
    for method in ["explicit", "midpoint", "rk4", "exponential", "implicit"] {
        let neuron = Neuron::rate()
            .parameters("r = 0.0")
            .equations(&format!("dx/dt = 2.0 * Normal(0.0, 1.0) - x : {method}"));
        let x: Vec<f64> = run(&neuron, n, dt, 1, &["x"])[0]
            .iter()
            .map(|&v| v as f64)
            .collect();
        let (m, v) = mean_var(&x);
        // Each method maps one draw xi to x = c * 2 xi for its own c (the
        // `- x` term is 0 at the first step, but midpoint and rk4 see it in
        // later stages): c = dt (1 - dt/2) for midpoint, ...
        let c = match method {
            "explicit" => dt,
            "midpoint" => dt * (1.0 - dt / 2.0),
            "rk4" => dt * (1.0 - dt / 2.0 + dt * dt / 6.0 - dt.powi(3) / 24.0),
            "exponential" => 1.0 - (-dt).exp(),
            "implicit" => dt / (1.0 + dt),
            _ => unreachable!(),
        };
        let var = (2.0 * c) * (2.0 * c);
        let se_v = (2.0 * var * var / n as f64).sqrt();
        assert!(
            m.abs() < 5.0 * (var / n as f64).sqrt(),
            "{method}: mean {m}"
        );
        assert!(
            (v - var).abs() < 5.0 * se_v,
            "{method}: variance {v}, expected {var}"
        );
    }
}

// --------------------------------------------------------- spiking specifics

/// A population that spikes once, at step `at` (dt = 0.1).
fn one_spike(at: usize) -> Neuron {
    Neuron::spiking()
        .parameters(&format!("at = {at}"))
        .equations("v = if abs(t / dt - at) < 0.5 then 1 else 0")
        .spike("v > 0.5")
}

fn conductances_reset_each_step_unless_governed() {
    let dt = 0.1f64;
    let w = 0.75f32;
    for governed in [false, true] {
        let eq = if governed {
            "tau * dg_exc/dt = -g_exc\ndv/dt = -v"
        } else {
            "dv/dt = -v + 0 * g_exc"
        };
        let post_model = Neuron::spiking()
            .parameters("tau = 2.0")
            .equations(eq)
            .spike("v > 100");
        let mut net = Network::new().dt(dt);
        let pre = net.population("pre", 1, &one_spike(3)).unwrap();
        let post = net.population("post", 2, &post_model).unwrap();
        net.projection(pre, post, "exc")
            .connect_all_to_all(Weights::constant(w))
            .unwrap();
        let mp = net.monitor(pre, &["spike"]).unwrap();
        let m = net.monitor(post, &["g_exc"]).unwrap();
        let mut sim = net.compile(Backend::Cpu).unwrap();
        sim.simulate(2.0).unwrap();
        assert_eq!(sim.spikes(mp).unwrap(), vec![(3, 0)]);
        let g = sim.recorded(m, "g_exc").unwrap();
        for k in 0..20 {
            // A spike of step 3 arrives at step 4 (one-step delay).
            let expected = if governed {
                // Added before the update, then decays (explicit Euler);
                // monitors sample conductances before the update, as
                // ANNarchy (tests/annarchy/recording.rs).
                if k >= 4 {
                    w as f64 * (1.0 - dt / 2.0).powi(k as i32 - 4)
                } else {
                    0.0
                }
            } else if k == 4 {
                w as f64
            } else {
                0.0
            };
            assert!(
                (g[[k, 0]] as f64 - expected).abs() < 1e-6,
                "governed={governed}, step {k}: {} vs {expected}",
                g[[k, 0]]
            );
        }
    }
    // Setting an ungoverned conductance by hand lasts until the next step.
    let mut net = Network::new().dt(dt);
    let pop = net
        .population(
            "p",
            1,
            &Neuron::spiking().equations("v = g_exc").spike("v > 100"),
        )
        .unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.set(pop, "g_exc", Value::Scalar(3.0)).unwrap();
    sim.step().unwrap();
    assert_eq!(sim.get_neuron(pop, 0, "g_exc").unwrap(), 0.0);
    assert_eq!(sim.get_neuron(pop, 0, "v").unwrap(), 0.0);
}

fn refractory_period_given_by_a_parameter() {
    let dt = 0.1;
    let neuron = Neuron::spiking()
        .parameters("tau_ref = 1.0")
        .equations("dv/dt = 1.0")
        .spike("v > 0.55")
        .reset("v = 0.0")
        .refractory_expr("tau_ref");
    let mut net = Network::new().dt(dt);
    let pop = net.population("p", 3, &neuron).unwrap();
    net.set(pop, "tau_ref", Value::from(vec![0.5f32, 1.0, 2.0]))
        .unwrap();
    let m = net.monitor(pop, &["spike", "v"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(10.0).unwrap();
    let spikes = sim.spikes(m).unwrap();
    let v = sim.recorded(m, "v").unwrap();
    for (i, hold) in [5u64, 10, 20].into_iter().enumerate() {
        let steps: Vec<u64> = spikes
            .iter()
            .filter(|s| s.1 == i as u32)
            .map(|s| s.0)
            .collect();
        // v grows 0.1 a step: 6 integration steps to pass 0.55.
        assert_eq!(steps[0], 5, "neuron {i}");
        for w in steps.windows(2) {
            assert_eq!(w[1] - w[0], hold + 6, "neuron {i}: {steps:?}");
        }
        let s = steps[0] as usize;
        for k in s..=s + hold as usize {
            assert_eq!(
                v[[k, i]],
                0.0,
                "neuron {i} step {k}: held during the refractory period"
            );
        }
        assert!((v[[s + hold as usize + 1, i]] as f64 - dt).abs() < 1e-6);
    }
}

// --------------------------------------------------------------- errors

fn unknown_names_and_functions() {
    let (section, line, col, msg) = equation(&rate_error("a = 1.0", "r = a + foo"));
    assert_eq!((section.as_str(), line, col), ("equations", 1, 9));
    assert!(
        msg.contains("unknown name 'foo'") && msg.contains("a, r"),
        "{msg}"
    );
    let (_, line, col, msg) = equation(&rate_error("", "x = 1\n  r = bar(1) + x"));
    assert_eq!((line, col), (2, 7));
    assert!(msg.contains("unknown function 'bar'"), "{msg}");
    // The model name is in the message.
    assert!(rate_error("", "r = foo")
        .to_string()
        .starts_with("model 'M', equations line 1, column 5"));
}

fn wrong_arity() {
    for (eq, col, what) in [
        ("r = exp(1, 2)", 5, "exp() takes 1"),
        ("r = 1 + clip(1, 2)", 9, "clip() takes 3"),
        ("r = Normal(1)", 5, "Normal() takes 2"),
        ("r = ite(1, 2)", 5, "ite() takes 3"),
    ] {
        let (_, line, c, msg) = equation(&rate_error("", eq));
        assert_eq!((line, c), (1, col), "{eq}: {msg}");
        assert!(msg.contains(what), "{eq}: {msg}");
    }
    let mut net = Network::new();
    let e = net
        .population(
            "p",
            1,
            &Neuron::rate()
                .functions("f(x, y) = x + y")
                .equations("r = f(1)"),
        )
        .unwrap_err();
    assert!(equation(&e).3.contains("f() takes 2 argument(s), got 1"));
}

fn syntax_errors() {
    let (_, line, _, msg) = equation(&rate_error("", "x = 1\nr = (1 + 2"));
    assert_eq!(line, 2);
    assert!(msg.contains("')'"), "{msg}");
    let (_, _, col, msg) = equation(&rate_error("", "r = 1 + 2)"));
    assert_eq!(col, 10);
    assert!(msg.contains("')'"), "{msg}");
    let (_, _, col, msg) = equation(&rate_error("", "r = 3 + * 2"));
    assert_eq!(col, 9);
    assert!(msg.contains("'*'"), "{msg}");
    let (_, _, col, msg) = equation(&rate_error("", "r = 3 $ 2"));
    assert_eq!(col, 7);
    assert!(msg.contains("'$'"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("", "r = 1.2.3"));
    assert!(msg.contains("malformed number"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("", "r 1"));
    assert!(msg.contains("expected '='"), "{msg}");
    // Statements separated by ';' keep their columns.
    let (_, line, col, _) = equation(&rate_error("", "x = 1; r = 2 +"));
    assert_eq!((line, col), (1, 15));
}

fn flag_errors() {
    let (_, _, col, msg) = equation(&rate_error("", "r = 1 : foo"));
    assert_eq!(col, 9);
    assert!(msg.contains("unknown flag 'foo'"), "{msg}");
    let (section, _, col, msg) = equation(&rate_error("a = 1 : init = 2\nr = 0", ""));
    assert_eq!((section.as_str(), col), ("parameters", 9));
    assert!(msg.contains("unknown flag 'init'"), "{msg}");
    let (_, _, col, msg) = equation(&rate_error("", "r = 1 : bar = 2"));
    assert_eq!(col, 9);
    assert!(msg.contains("unknown flag 'bar"), "{msg}");
    // `population` on a variable is accepted (tests/engines/correlated.rs); the
    // synapse flags are not.
    let (_, _, _, msg) = equation(&rate_error("", "r = 1 : projection"));
    assert!(
        msg.contains("'projection'") && msg.contains("population"),
        "{msg}"
    );
    let (_, _, _, msg) = equation(&rate_error("", "r = 1 : exponential"));
    assert!(msg.contains("only applies to ODEs"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("", "r = 1 : init = t"));
    assert!(msg.contains("constant"), "{msg}");
    let (_, _, col, msg) = equation(&rate_error("", "r = 1 : min = nope"));
    assert_eq!(col, 15);
    assert!(msg.contains("unknown name 'nope'"), "{msg}");
}

fn parameters_cannot_be_assigned_or_declared_twice() {
    let (_, line, col, msg) = equation(&rate_error("a = 1.0\nr = 0", "b = 1\n a = 2"));
    assert_eq!((line, col), (2, 2));
    assert!(msg.contains("'a' is a parameter"), "{msg}");
    let (section, line, col, msg) = equation(&rate_error("a = 1.0\nr = 0\n  a = 2.0", ""));
    assert_eq!((section.as_str(), line, col), ("parameters", 3, 3));
    assert!(msg.contains("'a' is declared twice"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("dt = 1.0\nr = 0", ""));
    assert!(msg.contains("reserved"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("x = v\nr = 0", "v = 1"));
    assert!(msg.contains("unknown name 'v'"), "{msg}");
}

fn ode_errors() {
    let (_, line, col, msg) = equation(&rate_error("r = 0", "dv/dt^2 = 1 - v"));
    assert_eq!((line, col), (1, 1));
    assert!(msg.contains("not linear in dv/dt"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("r = 0", "dv/dt * dv/dt = 1"));
    assert!(msg.contains("not linear"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("r = 0", "exp(dv/dt) = 1"));
    assert!(msg.contains("not linear"), "{msg}");
    let (_, _, col, msg) = equation(&rate_error("r = 0", "dv/dt + dw/dt = 1"));
    assert_eq!(col, 9);
    assert!(msg.contains("dv/dt and dw/dt"), "{msg}");
    let (_, line, col, msg) = equation(&rate_error("r = 0", "x = 1\n  dv/dt = -v*v : exponential"));
    assert_eq!((line, col), (2, 3));
    assert!(
        msg.contains("exponential method needs an equation linear in 'v'"),
        "{msg}"
    );
    let (_, _, _, msg) = equation(&rate_error("r = 0", "dv/dt = exp(v) : implicit"));
    assert!(msg.contains("implicit method"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("r = 0", "dv/dt += 1"));
    assert!(msg.contains("'='"), "{msg}");
    let (_, _, _, msg) = equation(&rate_error("r = 0", "x = dv/dt"));
    assert!(msg.contains("dv/dt"), "{msg}");
}

fn model_level_errors() {
    let mut net = Network::new();
    let e = net
        .population("p", 1, &Neuron::spiking().name("S").equations("dv/dt = -v"))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Model { model, message } if model == "S" && message.contains("spike condition")),
        "{e}"
    );
    let e = rate_error("a = 1", "x = a");
    assert!(
        matches!(&e, Error::Model { model, message } if model == "M" && message.contains("'r'")),
        "{e}"
    );
    let e = net
        .population("p", 1, &Neuron::rate().parameters("r = 0").spike("r > 1"))
        .unwrap_err();
    assert!(matches!(&e, Error::Model { .. }), "{e}");
    // sum(target) in a spiking neuron reads rate-coded projections (hybrid
    // networks): accepted, and the target is known.
    let s = net
        .population(
            "s",
            1,
            &Neuron::spiking()
                .name("S")
                .equations("dv/dt = sum(exc) - v")
                .spike("v > 1"),
        )
        .unwrap();
    assert_eq!(net.pop(s).unwrap().ir.targets, vec!["exc".to_string()]);
    // A spike condition must be one expression.
    let e = net
        .population(
            "p",
            1,
            &Neuron::spiking().equations("v = 1").spike("v > 0; v < 2"),
        )
        .unwrap_err();
    // At the second expression's first token.
    let (section, _, col, _) = equation(&e);
    assert_eq!((section.as_str(), col), ("spike", 8));
    let e = net
        .population(
            "p",
            1,
            &Neuron::spiking().equations("v = 1").spike("\n  v > nope"),
        )
        .unwrap_err();
    let (section, line, col, _) = equation(&e);
    assert_eq!((section.as_str(), line, col), ("spike", 2, 7));
    // Unknown variables at run time are Error::Unknown.
    let pop = net
        .population("ok", 1, &Neuron::rate().parameters("r = 0"))
        .unwrap();
    assert!(matches!(
        net.monitor(pop, &["nope"]),
        Err(Error::Unknown { .. })
    ));
    let sim = net.compile(Backend::Cpu).unwrap();
    let e = sim.get(pop, "nope").unwrap_err();
    assert!(
        matches!(&e, Error::Unknown { name, .. } if name == "nope"),
        "{e}"
    );
}

fn user_function_errors() {
    let mut net = Network::new();
    let e = net
        .population(
            "p",
            1,
            &Neuron::rate()
                .name("F")
                .functions("f(x) = g(x) + 1\ng(x) = 2 * f(x)")
                .equations("r = 0\nr = f(1)"),
        )
        .unwrap_err();
    // Where g calls f back, in the functions, with the outermost call.
    let (section, line, col, msg) = equation(&e);
    assert_eq!((section.as_str(), line, col), ("functions", 2, 12));
    assert!(
        msg.contains("calls itself")
            && msg.contains("f -> g -> f")
            && msg.contains("called from equations line 2, column 5"),
        "{msg}"
    );
    let e = net
        .population(
            "p",
            1,
            &Neuron::rate()
                .functions("f(x) = f(x)")
                .equations("r = f(1)"),
        )
        .unwrap_err();
    assert!(equation(&e).3.contains("calls itself"));
    // An error inside a function body is where it is written, naming the
    // function and its call.
    let e = net
        .population(
            "p",
            1,
            &Neuron::rate()
                .functions("\nf(x) = x + nope")
                .equations("r = 2 * f(1)"),
        )
        .unwrap_err();
    let (section, line, col, msg) = equation(&e);
    assert_eq!((section.as_str(), line, col), ("functions", 2, 12));
    assert!(
        msg.starts_with("unknown name 'nope'")
            && msg.ends_with("(in function 'f', called from equations line 1, column 9)"),
        "{msg}"
    );
    let e = net
        .population(
            "p",
            1,
            &Neuron::rate().functions("exp(x) = x").equations("r = 1"),
        )
        .unwrap_err();
    assert!(equation(&e).3.contains("built-in"));
    let e = net
        .population(
            "p",
            1,
            &Neuron::rate().functions("f(1) = 2").equations("r = 1"),
        )
        .unwrap_err();
    assert!(equation(&e).3.contains("plain names"));
}

fn synapse_errors() {
    let mut net = Network::new();
    let a = net
        .population("a", 2, &Neuron::rate().parameters("r = 1.0"))
        .unwrap();
    let b = net
        .population("b", 2, &Neuron::rate().equations("r = sum(exc)"))
        .unwrap();
    let e = net
        .projection(a, b, "exc")
        .synapse(&Synapse::new().name("Y").psp("w * pre.r + nope"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err();
    let (section, _, col, msg) = equation(&e);
    assert_eq!((section.as_str(), col), ("psp", 13));
    assert!(msg.contains("unknown name 'nope'"), "{msg}");
    let e = net
        .projection(a, b, "exc")
        .synapse(&Synapse::new().psp("w * pre.r; 2"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err();
    assert!(equation(&e).3.contains("single expression"));
    let e = net
        .projection(a, b, "exc")
        .synapse(&Synapse::new().psp("sum(exc)"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err();
    assert!(equation(&e).3.contains("sum(target)"));
    let e = net
        .projection(a, b, "exc")
        .synapse(
            &Synapse::new()
                .parameters("w = 1.0 : projection")
                .psp("2 * w * pre.r"),
        )
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err();
    // At the flag that shares it.
    let (section, line, col, msg) = equation(&e);
    assert_eq!((section.as_str(), line, col), ("parameters", 1, 11));
    assert!(msg.contains("'w' is the weight of each synapse"), "{msg}");
    let e = net
        .projection(a, b, "exc")
        .synapse(&Synapse::new().pre_spike("g_target = w"))
        .connect_all_to_all(Weights::constant(1.0))
        .unwrap_err();
    assert!(equation(&e).3.contains("'+='"));
    // A working custom psp: gain * w * pre.r, with a projection-wide gain.
    let p = net
        .projection(a, b, "exc")
        .synapse(
            &Synapse::new()
                .parameters("gain = 3.0 : projection")
                .psp("gain * w * pre.r + 0.5"),
        )
        .connect_all_to_all(Weights::constant(0.25))
        .unwrap();
    let _ = p;
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.step().unwrap();
    // Two pre-synaptic neurons with r = 1: 2 * (3 * 0.25 * 1 + 0.5).
    assert!(sim
        .get(b, "r")
        .unwrap()
        .iter()
        .all(|&r| (r - 2.5).abs() < 1e-6));
}

fn deep_or_long_expressions_are_errors_not_crashes() {
    // Also in debug builds on 2 MiB threads: the recursive passes stay bounded.
    let go = |eq: String, f: String| {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let mut net = Network::new();
                let r = net.population("p", 1, &Neuron::rate().functions(&f).equations(&eq));
                if r.is_ok() {
                    net.compile(Backend::Cpu).unwrap().step().unwrap();
                }
                r.map(|_| ()).map_err(|e| e.to_string())
            })
            .unwrap()
            .join()
            .unwrap()
    };
    assert!(go(
        format!("dr/dt = {}1 : rk4", "r+".repeat(150)),
        String::new()
    )
    .is_ok());
    assert!(go(
        format!("dr/dt = {}r{}", "(r+".repeat(40), ")".repeat(40)),
        String::new()
    )
    .is_ok());
    for eq in [
        format!("r = {}1", "1+".repeat(5000)),
        format!("r = {}1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("r = {}1", "-".repeat(5000)),
        format!("r = 2{}", "^2".repeat(5000)),
        format!("r = {}1{}", "exp(".repeat(500), ")".repeat(500)),
    ] {
        let e = go(eq, String::new()).unwrap_err();
        assert!(e.contains("too"), "{e}");
    }
    // User functions expanding exponentially.
    let f = "g0(x) = x*x*x*x\ng1(x) = g0(g0(x))\ng2(x) = g1(g1(x))\ng3(x) = g2(g2(x))\ng4(x) = g3(g3(x))\ng5(x) = g4(g4(x))\ng6(x) = g5(g5(x))".to_string();
    let e = go("r = g6(1.0)".into(), f).unwrap_err();
    assert!(e.contains("too large"), "{e}");
}

fn random_spike_condition_and_reset() {
    // A Poisson neuron: spikes with probability rate * dt / 1000 each step;
    // the reset draws v from Uniform(-1, 0).
    let neuron = Neuron::spiking()
        .parameters("rate = 100.0")
        .equations("v = v")
        .spike("Uniform(0.0, 1.0) < rate * dt / 1000.0")
        .reset("v = Uniform(-1.0, 0.0)");
    let (n, steps) = (1000usize, 100usize);
    let mut net = Network::new().dt(1.0).seed(3);
    let pop = net.population("p", n, &neuron).unwrap();
    let m = net.monitor(pop, &["spike", "v"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(steps as f64).unwrap();
    let spikes = sim.spikes(m).unwrap();
    // Binomial(n * steps, 0.1): mean 10000, sd 95.
    let count = spikes.len() as f64;
    assert!((count - 10_000.0).abs() < 5.0 * 95.0, "{count} spikes");
    let v = sim.recorded(m, "v").unwrap();
    let mut reset_values = Vec::new();
    for &(step, i) in &spikes {
        let x = v[[step as usize, i as usize]] as f64;
        assert!((-1.0..0.0).contains(&x), "reset value {x}");
        reset_values.push(x);
    }
    let (mean, var) = mean_var(&reset_values);
    assert!(
        (mean + 0.5).abs() < 5.0 * (1.0 / 12.0 / count).sqrt(),
        "mean reset {mean}"
    );
    assert!(
        (var - 1.0 / 12.0).abs() < 0.01,
        "variance of the reset {var}"
    );
}

fn synapse_statements_read_pre_and_post_and_run_in_order() {
    let dt = 0.1;
    let pre_model = Neuron::spiking()
        .parameters("scale = 2.0\nat = 2")
        .equations("v = if abs(t / dt - at) < 0.5 then 1 else 0")
        .spike("v > 0.5");
    let post_model = Neuron::spiking()
        .parameters("bias = 0.5")
        .equations("v = g_exc")
        .spike("v > 100");
    let syn = Synapse::new()
        .parameters("inc = 0.1 : projection")
        .pre_spike("g_target += w * pre.scale + post.bias\nw += inc");
    let mut net = Network::new().dt(dt);
    let pre = net.population("pre", 1, &pre_model).unwrap();
    let post = net.population("post", 2, &post_model).unwrap();
    net.set(post, "bias", Value::from(vec![0.5f32, 1.5]))
        .unwrap();
    let proj = net
        .projection(pre, post, "exc")
        .synapse(&syn)
        .connect_all_to_all(Weights::constant(0.25))
        .unwrap();
    let m = net.monitor(post, &["v"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(0.6).unwrap();
    let v = sim.recorded(m, "v").unwrap();
    for k in 0..6 {
        // The spike of step 2 acts at step 3, with w before its increment.
        let expected = if k == 3 {
            [0.25 * 2.0 + 0.5, 0.25 * 2.0 + 1.5]
        } else {
            [0.0, 0.0]
        };
        assert_eq!([v[[k, 0]], v[[k, 1]]], expected, "step {k}");
    }
    let (_, _, w) = sim.synapses(proj, "w").unwrap();
    assert!(w.iter().all(|&w| (w - 0.35).abs() < 1e-6), "{w:?}");
}
