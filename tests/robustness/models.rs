//! Generated models against an f64 evaluation of the same expressions.
//!
//! A seeded generator writes random neuron models (tests/robustness/
//! expr.rs): parameters per neuron, `: population`, `: int` and `: bool`;
//! model functions; network constants; chains of assignments (`=`, `+=`,
//! `-=`, `*=`, `/=`, with `min`/`max` flags) and ODEs in the three forms
//! linear in the derivative (`dx/dt = f`, `tau * dx/dt = f`, `dx/dt + g =
//! f`) integrated with explicit Euler, in any order; and, for spiking
//! models, a spike condition, reset statements and a refractory period.
//! Each runs a few steps on an engine, every neuron from its own values,
//! and every value the engine stores at every step is checked against the
//! f64 evaluation of its statement from the f32 values the statement read
//! (so the check is per statement, resynchronised on the engine's state at
//! each step, and no error accumulates), within the bound that evaluation
//! gives (expr.rs). Parameters and initial values are checked exactly
//! after compilation (`: int` truncates toward zero, `: bool` is 0 or
//! 1). A mismatch beyond the bound, a panic or an error is a failure; the
//! statements whose value f32 cannot decide are skipped and counted.
//!
//! Semantics relied on beyond expr.rs's (DECISIONS.md, "From text to IR"
//! and "A population's update"): an equation sees the values stored by the
//! statements before it in this step and the previous step's values of
//! the others (its own included); consecutive ODEs form a block whose
//! derivatives all read the values from before the block; explicit Euler
//! is `x + dt * f`, with `f` the derivative solved symbolically: `f`,
//! `f / tau`, `f - g` for the three forms; `min`/`max` flags clamp the new
//! value (`max` first, then `min`). A spiking neuron computes `nr =
//! counter <= 0`, its statements (ODE stores only where `nr`), `counter =
//! max(counter - 1, 0)`, `spiked = condition and counter <= 0`, then where
//! it spiked the resets in order and `counter = round(refractory / dt)`.
//!
//! Not generated: `: int` and `: bool` on an equation's variable (each
//! store truncated toward zero, or 0 or 1, as ANNarchy's C++ `int` and
//! `bool`: checked against ANNarchy's own output in
//! tests/annarchy/int_bool.rs).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;

use cajal::prelude::*;

use crate::common::tests;
use crate::expr::{
    binary, call, eval, exact_text, short_decimal, truth, Env, Ex, Fun, Gen, Iv, Leaf, Names, Op,
    Printer, Profile, Rng, Scope, Skip,
};

tests! {
    cpu: [rate_models_agree_with_f64, spiking_models_agree_with_f64],
    gpu: [gpu_models_agree_with_f64],
}

/// How many models the suite generates (the README's reliability section
/// quotes these numbers).
pub const RATE_MODELS: usize = 4000;
pub const SPIKING_MODELS: usize = 2000;
/// On the GPU engine (lavapipe in CI): models per network, networks.
pub const GPU_MODELS_PER_NET: usize = 10;
pub const GPU_NETS: usize = 20;
/// Neurons per model, steps per run.
const NEURONS: usize = 24;
const STEPS: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Float,
    Population,
    Int,
    Bool,
}

struct Param {
    kind: Kind,
    /// The declared value, as written.
    decl: String,
    /// Values set before compiling: one per neuron, or one for a
    /// population-wide parameter.
    set: Option<Vec<f32>>,
}

#[derive(Clone, Debug)]
enum Form {
    Set,
    Add,
    Sub,
    Mul,
    Div,
    /// `dx/dt = f`
    Ode,
    /// `tau * dx/dt = f`
    OdeTau(Ex),
    /// `dx/dt + g = f`
    OdePlus(Ex),
}

impl Form {
    fn is_ode(&self) -> bool {
        matches!(self, Form::Ode | Form::OdeTau(_) | Form::OdePlus(_))
    }
}

struct Equation {
    form: Form,
    rhs: Ex,
    init: Option<String>,
    min: Option<Ex>,
    max: Option<Ex>,
    /// Initial values set before compiling, one per neuron.
    set: Option<Vec<f32>>,
}

struct Spiking {
    cond: Ex,
    /// (variable, `=` or `+=`, expression), in order.
    resets: Vec<(usize, Form, Ex)>,
    /// The refractory period in steps.
    refractory: u32,
}

struct Model {
    params: Vec<Param>,
    /// Variable i is defined by equation i.
    eqs: Vec<Equation>,
    /// Arity and body of each function.
    functions: Vec<(usize, Ex)>,
    spiking: Option<Spiking>,
    /// The ODE block of each equation (None for assignments).
    blocks: Vec<Option<usize>>,
}

/// What the networks' models share: dt and the network constants.
struct Setup {
    dt: f64,
    constants: Vec<(String, f32)>,
}

struct ModelNames<'a> {
    model: &'a Model,
    setup: &'a Setup,
}

impl Names for ModelNames<'_> {
    fn leaf(&self, l: Leaf) -> String {
        match l {
            Leaf::Param(i) => param_name(i),
            Leaf::Var(i) => var_name(self.model, i),
            Leaf::Dt => "dt".into(),
            Leaf::T => "t".into(),
            Leaf::Const(k) => self.setup.constants[k].0.clone(),
            Leaf::Arg(i) => ["a", "b", "c"][i].into(),
        }
    }
    fn function(&self, k: usize) -> String {
        format!("f{}", ["a", "b", "c"][k])
    }
}

/// `p0`, `p1`, `d2`, `p3`...: every third parameter's name starts with a
/// `d`, so that `d2 / dt` is written now and then (a division, not the
/// derivative of `2`).
fn param_name(i: usize) -> String {
    if i % 3 == 2 {
        format!("d{i}")
    } else {
        format!("p{i}")
    }
}

/// `x` for an ODE's variable, `y` for an assignment's; a rate-coded
/// model's last variable (an assignment) is its output `r`.
fn var_name(m: &Model, i: usize) -> String {
    if m.spiking.is_none() && i + 1 == m.eqs.len() {
        "r".into()
    } else if m.eqs[i].form.is_ode() {
        format!("x{i}")
    } else {
        format!("y{i}")
    }
}

/// A value for a parameter or a variable: mostly moderate, sometimes the
/// values that decide rounding and comparisons (halves, integers, 0).
fn value(rng: &mut Rng) -> f32 {
    match rng.below(10) {
        0 => rng.pick(&[0.0, 0.5, -0.5, 1.5, -2.5, 2.5, 1.0, -1.0, 3.0]),
        1 => rng.below(7) as f32 - 3.0,
        _ => rng.range(-3.0, 3.0) as f32,
    }
}

fn gen_setup(rng: &mut Rng, spiking: bool) -> Setup {
    let dt = if spiking {
        rng.pick(&[0.25, 0.5, 1.0, 0.125])
    } else {
        rng.pick(&[0.1, 0.25, 0.5, 1.0, 0.05])
    };
    let constants = (0..rng.below(3))
        .map(|k| (format!("k{k}"), value(rng)))
        .collect();
    Setup { dt, constants }
}

fn gen_model(rng: &mut Rng, setup: &Setup, spiking: bool, gpu: bool) -> Model {
    let n_params = 2 + rng.below(4) + usize::from(spiking) * 2;
    let mut params = Vec::new();
    for i in 0..n_params {
        let kind = match rng.below(8) {
            0 | 1 => Kind::Population,
            2 => Kind::Int,
            3 => Kind::Bool,
            _ => Kind::Float,
        };
        // Spiking models: p0 the threshold, p1 the reset value.
        let kind = match (spiking, i) {
            (true, 0 | 1) if matches!(kind, Kind::Int | Kind::Bool) => Kind::Float,
            _ => kind,
        };
        let decl = match kind {
            Kind::Int => rng.pick(&["2.5", "-1.5", "3", "0.5", "2"]).to_string(),
            Kind::Bool => rng.pick(&["1", "0", "2.5", "true", "false"]).to_string(),
            _ => {
                let s = short_decimal(rng, 0.0, 3.0);
                if rng.chance(0.3) && s != "0" {
                    format!("-{s}")
                } else {
                    s
                }
            }
        };
        let set = match kind {
            Kind::Population => rng.chance(0.3).then(|| vec![value(rng)]),
            _ => rng
                .chance(0.7)
                .then(|| (0..NEURONS).map(|_| value(rng)).collect()),
        };
        params.push(Param { kind, decl, set });
    }
    if spiking {
        // A threshold around the values, a reset below it.
        params[0].set = Some((0..NEURONS).map(|_| rng.range(0.0, 2.0) as f32).collect());
        params[0].kind = Kind::Float;
        params[1].set = None;
        params[1].decl = rng.pick(&["-1", "0", "-0.5"]).to_string();
        params[1].kind = Kind::Population;
    }
    let n_eqs = 2 + rng.below(5);
    let mut forms = Vec::new();
    for _ in 0..n_eqs {
        forms.push(rng.below(10) < 3);
    }
    let membrane = if spiking {
        let m = rng.below(n_eqs);
        forms[m] = true;
        Some(m)
    } else {
        forms[n_eqs - 1] = false;
        None
    };
    let functions_arity: Vec<usize> = (0..rng.below(3)).map(|_| 1 + rng.below(2)).collect();
    let mut scope = Scope {
        leaves: Vec::new(),
        functions: Vec::new(),
        bools: Vec::new(),
        gpu,
    };
    let mut functions = Vec::new();
    for &arity in &functions_arity {
        scope.leaves = (0..arity).map(Leaf::Arg).collect();
        let body = Gen {
            rng: &mut *rng,
            scope: &scope,
        }
        .expr(2);
        functions.push((arity, body));
    }
    scope.functions = functions_arity;
    scope.leaves = (0..n_params).map(Leaf::Param).collect();
    scope.leaves.extend((0..n_eqs).map(Leaf::Var));
    scope.leaves.extend((0..n_eqs).map(Leaf::Var));
    scope.leaves.push(Leaf::Dt);
    if rng.chance(0.3) {
        scope.leaves.push(Leaf::T);
    }
    scope
        .leaves
        .extend((0..setup.constants.len()).map(Leaf::Const));
    scope.bools = (0..n_params)
        .filter(|&i| params[i].kind == Kind::Bool)
        .map(Leaf::Param)
        .collect();
    let mut eqs = Vec::new();
    for &is_ode in &forms {
        let mut g = Gen {
            rng: &mut *rng,
            scope: &scope,
        };
        let depth = 1 + g.rng.below(4) as u32;
        let rhs = g.expr(depth);
        let form = if is_ode {
            match g.rng.below(4) {
                0 => {
                    let tau = if g.rng.chance(0.5) {
                        g.lit(0.5, 5.0)
                    } else {
                        // A parameter as a time constant: any sign will do.
                        Ex::Leaf(Leaf::Param(g.rng.below(n_params)))
                    };
                    Form::OdeTau(tau)
                }
                1 => Form::OdePlus(g.expr(1)),
                _ => Form::Ode,
            }
        } else {
            match g.rng.below(10) {
                0 => Form::Add,
                1 => Form::Sub,
                2 => Form::Mul,
                3 => Form::Div,
                _ => Form::Set,
            }
        };
        let init = g
            .rng
            .chance(0.3)
            .then(|| short_decimal(g.rng, 0.0, 2.0).to_string());
        let min = g.rng.chance(0.15).then(|| {
            if g.rng.chance(0.5) {
                Ex::Neg(Box::new(g.lit(0.0, 3.0)))
            } else {
                Ex::Leaf(Leaf::Param(g.rng.below(n_params)))
            }
        });
        let max = g.rng.chance(0.15).then(|| g.lit(0.0, 4.0));
        let set = g
            .rng
            .chance(0.7)
            .then(|| (0..NEURONS).map(|_| value(g.rng)).collect());
        eqs.push(Equation {
            form,
            rhs,
            init,
            min,
            max,
            set,
        });
    }
    let spiking = membrane.map(|m| {
        // The membrane starts around the threshold.
        eqs[m].set = Some((0..NEURONS).map(|_| rng.range(-1.0, 2.5) as f32).collect());
        let mut g = Gen {
            rng: &mut *rng,
            scope: &scope,
        };
        let op = g.rng.pick(&[Op::Gt, Op::Gt, Op::Ge]);
        let mut cond = Ex::bin(op, Ex::Leaf(Leaf::Var(m)), Ex::Leaf(Leaf::Param(0)));
        if g.rng.chance(0.3) {
            let other = g.cond(1);
            cond = Ex::bin(g.rng.pick(&[Op::And, Op::Or]), cond, other);
        }
        let reset_value = if g.rng.chance(0.6) {
            Ex::Leaf(Leaf::Param(1))
        } else {
            g.expr(2)
        };
        let mut resets = vec![(m, Form::Set, reset_value)];
        if n_eqs > 1 && g.rng.chance(0.4) {
            let other = (m + 1 + g.rng.below(n_eqs - 1)) % n_eqs;
            let form = g.rng.pick(&[0, 1]);
            let e = g.expr(1);
            resets.push((other, if form == 0 { Form::Set } else { Form::Add }, e));
        }
        Spiking {
            cond,
            resets,
            refractory: g.rng.pick(&[0, 0, 1, 2, 3]),
        }
    });
    let mut blocks = Vec::new();
    let mut block = 0;
    for (i, e) in eqs.iter().enumerate() {
        if e.form.is_ode() {
            if i > 0 && !eqs[i - 1].form.is_ode() {
                block += 1;
            }
            blocks.push(Some(block));
        } else {
            blocks.push(None);
        }
    }
    Model {
        params,
        eqs,
        functions,
        spiking,
        blocks,
    }
}

/// The model's text, section by section.
struct Text {
    parameters: String,
    equations: String,
    functions: String,
    spike: String,
    reset: String,
}

fn text(m: &Model, setup: &Setup) -> Text {
    let names = ModelNames { model: m, setup };
    let pr = Printer { names: &names };
    let mut parameters = String::new();
    for (i, p) in m.params.iter().enumerate() {
        let flag = match p.kind {
            Kind::Float => "",
            Kind::Population => " : population",
            Kind::Int => " : int",
            Kind::Bool => " : bool",
        };
        writeln!(parameters, "{} = {}{flag}", param_name(i), p.decl).unwrap();
    }
    let mut equations = String::new();
    for (i, e) in m.eqs.iter().enumerate() {
        let v = var_name(m, i);
        let rhs = pr.print(&e.rhs);
        let line = match &e.form {
            Form::Set => format!("{v} = {rhs}"),
            Form::Add => format!("{v} += {rhs}"),
            Form::Sub => format!("{v} -= {rhs}"),
            Form::Mul => format!("{v} *= {rhs}"),
            Form::Div => format!("{v} /= {rhs}"),
            Form::Ode => format!("d{v}/dt = {rhs}"),
            Form::OdeTau(tau) => format!("{} * d{v}/dt = {rhs}", pr.print(tau)),
            Form::OdePlus(g) => {
                // The term is the right operand of a sum: printed as one,
                // with "0 + " cut off.
                let sum = pr.print(&Ex::bin(Op::Add, Ex::lit("0"), g.clone()));
                format!("d{v}/dt + {} = {rhs}", &sum[4..])
            }
        };
        let mut flags = Vec::new();
        if let Some(x) = &e.init {
            flags.push(format!("init = {x}"));
        }
        if let Some(x) = &e.min {
            flags.push(format!("min = {}", pr.print(x)));
        }
        if let Some(x) = &e.max {
            flags.push(format!("max = {}", pr.print(x)));
        }
        if flags.is_empty() {
            writeln!(equations, "{line}").unwrap();
        } else {
            writeln!(equations, "{line} : {}", flags.join(", ")).unwrap();
        }
    }
    let mut functions = String::new();
    for (k, (arity, body)) in m.functions.iter().enumerate() {
        let args: Vec<&str> = ["a", "b", "c"][..*arity].to_vec();
        writeln!(
            functions,
            "{}({}) = {}",
            names.function(k),
            args.join(", "),
            pr.print(body)
        )
        .unwrap();
    }
    let (mut spike, mut reset) = (String::new(), String::new());
    if let Some(s) = &m.spiking {
        spike = pr.print(&s.cond);
        for (v, form, e) in &s.resets {
            let op = if matches!(form, Form::Add) { "+=" } else { "=" };
            writeln!(reset, "{} {op} {}", var_name(m, *v), pr.print(e)).unwrap();
        }
    }
    Text {
        parameters,
        equations,
        functions,
        spike,
        reset,
    }
}

fn describe(m: &Model, setup: &Setup) -> String {
    let t = text(m, setup);
    let mut s = format!(
        "dt = {}, constants {:?}\nparameters:\n{}equations:\n{}",
        setup.dt, setup.constants, t.parameters, t.equations
    );
    if !t.functions.is_empty() {
        write!(s, "functions:\n{}", t.functions).unwrap();
    }
    if let Some(sp) = &m.spiking {
        write!(
            s,
            "spike: {}\nreset:\n{}refractory: {} steps\n",
            t.spike, t.reset, sp.refractory
        )
        .unwrap();
    }
    s
}

fn neuron(m: &Model, setup: &Setup, name: &str) -> Neuron {
    let t = text(m, setup);
    let n = match &m.spiking {
        Some(s) => {
            let n = Neuron::spiking().spike(&t.spike).reset(&t.reset);
            if s.refractory > 0 {
                n.refractory(f64::from(s.refractory) * setup.dt)
            } else {
                n
            }
        }
        None => Neuron::rate(),
    };
    let n = n
        .name(name)
        .parameters(&t.parameters)
        .equations(&t.equations);
    if t.functions.is_empty() {
        n
    } else {
        n.functions(&t.functions)
    }
}

/// What a run found.
#[derive(Default)]
pub struct Stats {
    pub models: usize,
    pub checked: u64,
    /// Checked values whose bound is wider than 2^-10 of the value.
    pub ill_conditioned: u64,
    pub skipped: BTreeMap<Skip, u64>,
    /// Spike decisions checked (spiked or not), and resets.
    pub spikes: u64,
    pub resets: u64,
    /// The largest |engine - f64| / bound seen (bound > 0).
    pub worst: f64,
    pub failures: Vec<String>,
    /// All failures (only the first few are kept in `failures`).
    pub failed: u64,
}

impl Stats {
    fn skip(&mut self, s: Skip) {
        *self.skipped.entry(s).or_default() += 1;
    }
    fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
    fn fail(&mut self, what: String) {
        self.failed += 1;
        if self.failures.len() < 5 {
            self.failures.push(what);
        } else if self.failures.len() == 5 {
            self.failures.push("(more failures not shown)".into());
        }
    }

    /// Checks an engine value against the evaluation.
    fn check(&mut self, got: f32, want: Result<Iv, Skip>, what: &dyn Fn() -> String) {
        let w = match want {
            Err(s) => return self.skip(s),
            // A value held from an earlier overflow.
            Ok(w) if !w.v.is_finite() => return self.skip(Skip::NonFinite),
            Ok(w) => w,
        };
        self.checked += 1;
        let diff = (f64::from(got) - w.v).abs();
        // NaN (an engine value where the evaluation has a number) fails.
        if diff.is_nan() || diff > w.e {
            self.fail(format!(
                "{}: the engine has {got:e}, the f64 evaluation {:e} +- {:e} (off by {:.3} bounds)",
                what(),
                w.v,
                w.e,
                diff / w.e
            ));
            return;
        }
        if w.e > 0.0 {
            self.worst = self.worst.max(diff / w.e);
        }
        if w.e > w.v.abs() / 1024.0 {
            self.ill_conditioned += 1;
        }
    }

    pub fn summary(&self, what: &str) -> String {
        let skips: Vec<String> = self
            .skipped
            .iter()
            .map(|(k, v)| format!("{k:?} {v}"))
            .collect();
        let spikes = if self.spikes > 0 {
            format!(
                ", {} spike decisions and {} resets",
                self.spikes, self.resets
            )
        } else {
            String::new()
        };
        format!(
            "{what}: {} models, {} values checked ({} ill-conditioned, worst error {:.2} of its bound){spikes}, \
             {} skipped ({}), {} failures",
            self.models,
            self.checked,
            self.ill_conditioned,
            self.worst,
            self.skipped_total(),
            skips.join(", "),
            self.failed
        )
    }
}

/// The expected values of one neuron's parameters.
fn param_values(m: &Model, neuron: usize) -> Vec<f32> {
    m.params
        .iter()
        .map(|p| {
            let raw = match &p.set {
                Some(v) if v.len() == 1 => v[0],
                Some(v) => v[neuron],
                None => {
                    // The declared text: a literal, `true`/`false`, or a
                    // negated literal.
                    match p.decl.as_str() {
                        "true" => 1.0,
                        "false" => 0.0,
                        d => crate::expr::literal(d),
                    }
                }
            };
            match p.kind {
                // ANNarchy's C++ int: truncated toward zero.
                Kind::Int => raw.trunc(),
                Kind::Bool => f32::from(u8::from(raw != 0.0)),
                _ => raw,
            }
        })
        .collect()
}

/// What an equation reads, for one neuron.
struct NeuronEnv<'a> {
    m: &'a Model,
    params: &'a [f32],
    constants: &'a [f32],
    dt: f32,
    t: f32,
    old: &'a [f32],
    /// This step's values so far (None: unknown).
    new: &'a [Option<Iv>],
    /// The equation being evaluated (`eqs.len()` for the spike condition
    /// and resets, which read this step's values).
    current: usize,
}

impl Env for NeuronEnv<'_> {
    fn leaf(&self, l: Leaf) -> Result<Iv, Skip> {
        let x = self.value(l)?;
        // A state that overflowed earlier: nothing to check from it.
        if x.v.is_finite() {
            Ok(x)
        } else {
            Err(Skip::NonFinite)
        }
    }
    fn function(&self, k: usize) -> &Ex {
        &self.m.functions[k].1
    }
}

impl NeuronEnv<'_> {
    fn value(&self, l: Leaf) -> Result<Iv, Skip> {
        Ok(match l {
            Leaf::Param(i) => Iv::exact(self.params[i]),
            Leaf::Var(j) => {
                let i = self.current;
                let same_block = i < self.m.eqs.len()
                    && self.m.blocks[i].is_some()
                    && self.m.blocks[i] == self.m.blocks[j];
                if j < i && !same_block {
                    return self.new[j].ok_or(Skip::Ambiguous);
                }
                Iv::exact(self.old[j])
            }
            Leaf::Dt => Iv::exact(self.dt),
            Leaf::T => Iv::exact(self.t),
            Leaf::Const(k) => Iv::exact(self.constants[k]),
            Leaf::Arg(_) => unreachable!("arguments are the evaluator's"),
        })
    }
}

/// The new value of equation `i` (before refractoriness).
fn evaluate(env: &NeuronEnv, i: usize, p: &Profile) -> Result<Iv, Skip> {
    let e = &env.m.eqs[i];
    let x = env.leaf(Leaf::Var(i)).map_err(|_| Skip::NonFinite);
    let x = || x;
    let rhs = || eval(&e.rhs, env, &[], p);
    let new = match &e.form {
        Form::Set => rhs()?,
        Form::Add => binary(Op::Add, x()?, rhs()?, p)?,
        Form::Sub => binary(Op::Sub, x()?, rhs()?, p)?,
        Form::Mul => binary(Op::Mul, x()?, rhs()?, p)?,
        Form::Div => binary(Op::Div, x()?, rhs()?, p)?,
        ode => {
            let f = rhs()?;
            let f = match ode {
                Form::OdeTau(tau) => binary(Op::Div, f, eval(tau, env, &[], p)?, p)?,
                Form::OdePlus(g) => binary(Op::Sub, f, eval(g, env, &[], p)?, p)?,
                _ => f,
            };
            let step = binary(Op::Mul, Iv::exact(env.dt), f, p)?;
            binary(Op::Add, x()?, step, p)?
        }
    };
    let mut new = new;
    if let Some(lo) = &e.min {
        new = call(Fun::Max, &[new, eval(lo, env, &[], p)?], p)?;
    }
    if let Some(hi) = &e.max {
        new = call(Fun::Min, &[new, eval(hi, env, &[], p)?], p)?;
    }
    Ok(new)
}

/// One model as a population of a network.
struct Case {
    model: Model,
    pop: PopId,
    monitor: Option<MonitorId>,
}

fn add_case(net: &mut Network, m: Model, setup: &Setup, k: usize) -> cajal::Result<Case> {
    let name = format!("m{k}");
    let pop = net.population(&name, NEURONS, &neuron(&m, setup, &name))?;
    for (i, p) in m.params.iter().enumerate() {
        if let Some(v) = &p.set {
            if v.len() == 1 {
                net.set(pop, &param_name(i), v[0])?;
            } else {
                net.set(pop, &param_name(i), v.clone())?;
            }
        }
    }
    for (i, e) in m.eqs.iter().enumerate() {
        if let Some(v) = &e.set {
            net.set(pop, &var_name(&m, i), v.clone())?;
        }
    }
    let monitor = match m.spiking {
        Some(_) => Some(net.monitor(pop, &["spike"])?),
        None => None,
    };
    Ok(Case {
        model: m,
        pop,
        monitor,
    })
}

fn read(sim: &Simulation, pop: PopId, name: &str) -> cajal::Result<Vec<f32>> {
    Ok(sim.get(pop, name)?.iter().copied().collect())
}

/// Runs the cases of one network on `backend` and checks them.
fn run_network(
    net: &Network,
    setup: &Setup,
    cases: &[Case],
    backend: Backend,
    p: &Profile,
    stats: &mut Stats,
) -> cajal::Result<()> {
    let mut sim = net.compile(backend)?;
    let constants: Vec<f32> = setup.constants.iter().map(|c| c.1).collect();
    let dt = setup.dt as f32;
    let mut states = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        let m = &c.model;
        let describe = || format!("model m{k}:\n{}", describe(m, setup));
        // Parameters and initial values, exactly.
        for (i, _) in m.params.iter().enumerate() {
            let name = param_name(i);
            let got = read(&sim, c.pop, &name)?;
            for (n, g) in got.iter().enumerate() {
                let want = param_values(m, n)[i];
                stats.check(*g, Ok(Iv::exact(want)), &|| {
                    format!("{}parameter {name} of neuron {n}", describe())
                });
            }
        }
        let mut state = Vec::new();
        for (i, e) in m.eqs.iter().enumerate() {
            let got = read(&sim, c.pop, &var_name(m, i))?;
            for (n, g) in got.iter().enumerate() {
                let want = match (&e.set, &e.init) {
                    (Some(v), _) => v[n],
                    (None, Some(t)) => crate::expr::literal(t),
                    (None, None) => 0.0,
                };
                stats.check(*g, Ok(Iv::exact(want)), &|| {
                    format!(
                        "{}initial value of {} of neuron {n}",
                        describe(),
                        var_name(m, i)
                    )
                });
            }
            state.push(got);
        }
        states.push(state);
    }
    let mut counters = vec![vec![0u32; NEURONS]; cases.len()];
    for step in 0..STEPS {
        sim.step()?;
        let t = (step as f64 * setup.dt) as f32;
        for (k, c) in cases.iter().enumerate() {
            let m = &c.model;
            let params: Vec<Vec<f32>> = (0..NEURONS).map(|n| param_values(m, n)).collect();
            let new_state: Vec<Vec<f32>> = (0..m.eqs.len())
                .map(|i| read(&sim, c.pop, &var_name(m, i)))
                .collect::<cajal::Result<_>>()?;
            let spiked: Vec<bool> = match c.monitor {
                Some(mon) => {
                    let r = sim.take_recording(mon)?;
                    let mut s = vec![false; NEURONS];
                    for (st, n) in r.spikes {
                        assert_eq!(st, step as u64, "a spike recorded at another step");
                        s[n as usize] = true;
                    }
                    s
                }
                None => vec![false; NEURONS],
            };
            for n in 0..NEURONS {
                let old: Vec<f32> = states[k].iter().map(|v| v[n]).collect();
                let obs: Vec<f32> = new_state.iter().map(|v| v[n]).collect();
                let where_ = |what: &str| {
                    let inputs: Vec<String> = m
                        .eqs
                        .iter()
                        .enumerate()
                        .map(|(i, _)| format!("{} {}", var_name(m, i), exact_text(old[i])))
                        .collect();
                    format!(
                        "model m{k}:\n{}{what}, neuron {n}, step {step}: parameters {:?}, \
                         previous values [{}], this step's [{}]",
                        describe(m, setup),
                        params[n],
                        inputs.join(", "),
                        obs.iter()
                            .map(|x| exact_text(*x))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                check_neuron(
                    m,
                    &params[n],
                    &constants,
                    dt,
                    t,
                    &old,
                    &obs,
                    spiked[n],
                    &mut counters[k][n],
                    p,
                    stats,
                    &where_,
                );
            }
            states[k] = new_state;
        }
    }
    Ok(())
}

/// One neuron's step: every equation, the spike decision, the resets.
#[allow(clippy::too_many_arguments)]
fn check_neuron(
    m: &Model,
    params: &[f32],
    constants: &[f32],
    dt: f32,
    t: f32,
    old: &[f32],
    obs: &[f32],
    spiked: bool,
    counter: &mut u32,
    p: &Profile,
    stats: &mut Stats,
    where_: &dyn Fn(&str) -> String,
) {
    let n_eqs = m.eqs.len();
    let nr = *counter == 0;
    let resets: Vec<usize> = m
        .spiking
        .as_ref()
        .map_or(Vec::new(), |s| s.resets.iter().map(|r| r.0).collect());
    let mut new: Vec<Option<Iv>> = vec![None; n_eqs];
    for i in 0..n_eqs {
        let env = NeuronEnv {
            m,
            params,
            constants,
            dt,
            t,
            old,
            new: &new,
            current: i,
        };
        let want = if m.eqs[i].form.is_ode() && !nr {
            // Held during the refractory period.
            Ok(Iv::exact(old[i]))
        } else {
            evaluate(&env, i, p)
        };
        if spiked && resets.contains(&i) {
            // Overwritten by the reset: what it held before is ours.
            new[i] = want.ok();
        } else {
            let v = var_name(m, i);
            stats.check(obs[i], want, &|| where_(&format!("equation of {v}")));
            new[i] = Some(Iv::exact(obs[i]));
        }
    }
    let Some(sp) = &m.spiking else {
        return;
    };
    *counter = counter.saturating_sub(1);
    let env = NeuronEnv {
        m,
        params,
        constants,
        dt,
        t,
        old,
        new: &new,
        current: n_eqs,
    };
    match eval(&sp.cond, &env, &[], p).and_then(truth) {
        Ok(cond) => {
            stats.spikes += 1;
            let want = cond && *counter == 0;
            if want != spiked {
                stats.fail(where_(&format!(
                    "spike condition: the engine {} spike, the f64 evaluation says it {}",
                    if spiked { "did" } else { "did not" },
                    if want { "should" } else { "should not" }
                )));
            }
        }
        Err(s) => stats.skip(s),
    }
    if !spiked {
        return;
    }
    for (v, form, e) in &sp.resets {
        let env = NeuronEnv {
            m,
            params,
            constants,
            dt,
            t,
            old,
            new: &new,
            current: n_eqs,
        };
        let value = eval(e, &env, &[], p).and_then(|x| match form {
            Form::Add => binary(Op::Add, new[*v].ok_or(Skip::Ambiguous)?, x, p),
            _ => Ok(x),
        });
        // Unknown (None) when it was skipped: what reads it is skipped too.
        new[*v] = value.ok();
    }
    for &v in &resets {
        stats.resets += 1;
        let want = new[v].ok_or(Skip::Ambiguous);
        let name = var_name(m, v);
        stats.check(obs[v], want, &|| where_(&format!("reset of {name}")));
    }
    *counter = sp.refractory;
}

/// Runs `f`, a panic being a failure that names `what`.
fn guarded(
    stats: &mut Stats,
    what: &dyn Fn() -> String,
    f: impl FnOnce(&mut Stats) -> cajal::Result<()>,
) {
    match std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut *stats))) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => stats.fail(format!("{}: unexpected error: {e}", what())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            stats.fail(format!("{}: panicked: {msg}", what()))
        }
    }
}

/// One model a network, on the CPU engine.
fn cpu_run(seed: u64, models: usize, spiking: bool) -> Stats {
    let mut stats = Stats::default();
    let mut rng = Rng::new(seed);
    for k in 0..models {
        let setup = gen_setup(&mut rng, spiking);
        let model = gen_model(&mut rng, &setup, spiking, false);
        let text = describe(&model, &setup);
        stats.models += 1;
        guarded(&mut stats, &|| format!("model {k}:\n{text}"), |stats| {
            let mut net = Network::new().dt(setup.dt).seed(k as u64);
            for (name, v) in &setup.constants {
                net.constant(name, *v)?;
            }
            let case = add_case(&mut net, model, &setup, 0)?;
            run_network(&net, &setup, &[case], Backend::Cpu, &Profile::CPU, stats)
        });
    }
    stats
}

fn report(stats: &Stats, what: &str) {
    eprintln!("robustness: {}", stats.summary(what));
    assert!(
        stats.failures.is_empty(),
        "{}\n\n{}",
        stats.summary(what),
        stats.failures.join("\n\n")
    );
    // Most values must be checked for the suite to mean anything.
    let total = stats.checked + stats.skipped_total();
    assert!(
        stats.skipped_total() * 10 < total,
        "{}: more than a tenth skipped",
        stats.summary(what)
    );
}

fn rate_models_agree_with_f64() {
    let stats = cpu_run(0xC0FFEE, RATE_MODELS * crate::scale(), false);
    report(&stats, "rate models, CPU engine");
}

fn spiking_models_agree_with_f64() {
    let stats = cpu_run(0x5EED, SPIKING_MODELS * crate::scale(), true);
    assert!(stats.spikes > 0);
    report(&stats, "spiking models, CPU engine");
}

/// Networks of several generated models each (rate-coded and spiking
/// populations side by side, merged into few dispatches), on the GPU
/// engine, against the f64 evaluation with the GPU's accuracy.
fn gpu_models_agree_with_f64() {
    let mut stats = Stats::default();
    let mut rng = Rng::new(0x6B0);
    for net_k in 0..GPU_NETS * crate::scale() {
        let setup = gen_setup(&mut rng, true);
        let mut net = Network::new().dt(setup.dt).seed(net_k as u64);
        let mut cases = Vec::new();
        let mut texts = Vec::new();
        let mut failed = false;
        for k in 0..GPU_MODELS_PER_NET {
            let spiking = k % 3 == 2;
            let model = gen_model(&mut rng, &setup, spiking, true);
            texts.push(describe(&model, &setup));
            stats.models += 1;
            let text = texts[k].clone();
            guarded(
                &mut stats,
                &|| format!("GPU network {net_k}, model m{k}:\n{text}"),
                |_| {
                    if k == 0 {
                        for (name, v) in &setup.constants {
                            net.constant(name, *v)?;
                        }
                    }
                    cases.push(add_case(&mut net, model, &setup, k)?);
                    Ok(())
                },
            );
            failed |= cases.len() != k + 1;
        }
        if failed {
            continue;
        }
        guarded(&mut stats, &|| format!("GPU network {net_k}"), |stats| {
            run_network(&net, &setup, &cases, Backend::Gpu, &Profile::GPU, stats)
        });
    }
    report(&stats, "generated models, GPU engine");
}
