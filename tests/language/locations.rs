//! Where an analysis error points (issue 22): every error names the
//! section the fault is in, and the line and column of the faulty token.
//!
//! Generated models (rate and spiking neurons with spike, reset and
//! refractory sections, rate and spiking synapses with psp, pre_spike and
//! post_spike, functions), written with the freedoms the language allows
//! (indentation, blank and comment lines, `;`, statements continued over
//! lines, ANNarchy's multi-line `if c:` ... `else:`), each with one fault
//! injected at a known place: the generator writes `@` before the faulty
//! token, and the place of that `@` in the finished text (removed before
//! the analysis) is what the error must name. Seeded; `LOCATION_CASES=n`
//! changes the number of models.

use crate::common::tests;
use cajal::lang::analysis::Globals;
use cajal::lang::{analyse_neuron, analyse_synapse};
use cajal::prelude::*;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

tests! {
    cpu: [
        every_fault_is_located_in_its_section_at_its_token,
        the_readme_example_names_the_equations,
        function_faults_name_the_function_and_its_caller,
    ],
}

// ------------------------------------------------------------ statements

/// The right-hand side of a statement: terms added up, or ANNarchy's
/// conditional (its condition a sum compared with 0).
#[derive(Debug, Clone)]
enum Rhs {
    Terms(Vec<String>),
    If {
        cond: Vec<String>,
        then: Vec<String>,
        other: Vec<String>,
    },
}

/// One statement as generated: `lhs op rhs tail : flags`; a section of
/// one expression (spike, psp, refractory) has no lhs.
#[derive(Debug, Clone)]
struct St {
    lhs: String,
    op: &'static str,
    rhs: Rhs,
    /// Written after the rhs (a spike condition's `> thr`).
    tail: String,
    flags: Vec<String>,
}

fn st(lhs: &str, op: &'static str, terms: &[&str], flags: &[&str]) -> St {
    St {
        lhs: lhs.into(),
        op,
        rhs: Rhs::Terms(terms.iter().map(|s| s.to_string()).collect()),
        tail: String::new(),
        flags: flags.iter().map(|s| s.to_string()).collect(),
    }
}

fn cond(lhs: &str, c: &[&str], then: &[&str], other: &[&str], flags: &[&str]) -> St {
    let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
    St {
        lhs: lhs.into(),
        op: "=",
        rhs: Rhs::If {
            cond: v(c),
            then: v(then),
            other: v(other),
        },
        tail: String::new(),
        flags: flags.iter().map(|s| s.to_string()).collect(),
    }
}

fn expr(terms: &[&str], tail: &str) -> St {
    St {
        tail: tail.into(),
        ..st("", "=", terms, &[])
    }
}

impl St {
    /// The term lists of the statement (where a faulty term may go).
    fn term_lists(&mut self) -> Vec<&mut Vec<String>> {
        match &mut self.rhs {
            Rhs::Terms(t) => vec![t],
            Rhs::If { cond, then, other } => vec![cond, then, other],
        }
    }

    fn is_ode(&self) -> bool {
        self.lhs.contains("/dt")
    }

    /// Whether it may be written over several lines.
    fn can_break(&self) -> bool {
        match &self.rhs {
            Rhs::Terms(t) => t.len() > 1,
            Rhs::If { .. } => true,
        }
    }

    /// The text, over several lines when `multi` (continuation lines
    /// indented under `indent`).
    fn render(&self, multi: bool, indent: &str) -> String {
        let brk = if multi {
            format!("\n{indent}    ")
        } else {
            " ".to_string()
        };
        let sum = |t: &[String]| t.join(&format!(" +{brk}"));
        let mut s = String::new();
        if !self.lhs.is_empty() {
            s.push_str(&format!("{} {} ", self.lhs, self.op));
        }
        match &self.rhs {
            Rhs::Terms(t) => s.push_str(&sum(t)),
            Rhs::If { cond, then, other } if multi => s.push_str(&format!(
                "if {} > 0:\n{indent}    {}\n{indent}  else:\n{indent}    {}",
                sum(cond),
                sum(then),
                sum(other)
            )),
            Rhs::If { cond, then, other } => s.push_str(&format!(
                "if {} > 0: {} else: {}",
                sum(cond),
                sum(then),
                sum(other)
            )),
        }
        s.push_str(&self.tail);
        if !self.flags.is_empty() {
            s.push_str(&format!(" : {}", self.flags.join(", ")));
        }
        s
    }
}

/// A section's statements laid out as text: indentation, blank and
/// comment lines, trailing comments, `;` between statements, statements
/// continued over lines.
fn layout(rng: &mut StdRng, stmts: &[St]) -> String {
    let mut lines: Vec<String> = Vec::new();
    if rng.random_bool(0.2) {
        lines.push(String::new());
    }
    let mut joinable = false;
    for s in stmts {
        let indent = *["", " ", "    ", "\t", "        "].choose(rng).unwrap();
        let multi = s.can_break() && rng.random_bool(0.3);
        let text = s.render(multi, indent);
        match lines.last_mut() {
            Some(last) if joinable && !multi && rng.random_bool(0.25) => {
                last.push_str(if rng.random_bool(0.5) { "; " } else { ";" });
                last.push_str(&text);
            }
            _ => lines.push(format!("{indent}{text}")),
        }
        joinable = !multi;
        if rng.random_bool(0.15) {
            lines
                .last_mut()
                .unwrap()
                .push_str("  # a comment; (with signs +");
            joinable = false;
        }
        if rng.random_bool(0.15) {
            lines.push(if rng.random_bool(0.5) {
                String::new()
            } else {
                "  # a comment line".to_string()
            });
            joinable = false;
        }
    }
    lines.join("\n")
}

/// The line and column (1-based, in characters) of the `@` in `text`,
/// and the text without it.
fn find_marker(text: &str) -> Option<(usize, usize, String)> {
    for (i, line) in text.lines().enumerate() {
        if let Some(b) = line.find('@') {
            return Some((
                i + 1,
                line[..b].chars().count() + 1,
                text.replacen('@', "", 1),
            ));
        }
    }
    None
}

// ---------------------------------------------------------------- models

/// A model as sections of statements, in the order the builders take them.
#[derive(Debug, Clone)]
struct Model {
    synapse: bool,
    spiking: bool,
    /// (section name, statements); a section absent here is left empty.
    sections: Vec<(&'static str, Vec<St>)>,
    /// A constant refractory period (given with `refractory(ms)`).
    refractory_ms: Option<f64>,
}

impl Model {
    fn section(&mut self, name: &str) -> Option<&mut Vec<St>> {
        self.sections
            .iter_mut()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s)
    }

    fn has(&self, name: &str) -> bool {
        self.sections.iter().any(|(n, _)| *n == name)
    }

    /// The parameter names.
    fn parameters(&self) -> Vec<String> {
        self.sections
            .iter()
            .filter(|(n, _)| *n == "parameters")
            .flat_map(|(_, s)| s.iter().map(|p| p.lhs.clone()))
            .collect()
    }
}

/// Some of `all`, each once, its first `at_least` always among them.
fn some<'a>(rng: &mut StdRng, all: &[&'a str], at_least: usize) -> Vec<&'a str> {
    all.iter()
        .copied()
        .filter(|_| rng.random_bool(0.5))
        .chain(all.iter().copied().take(at_least))
        .fold(Vec::new(), |mut v, x| {
            if !v.contains(&x) {
                v.push(x);
            }
            v
        })
}

/// A parameter's value.
fn number(rng: &mut StdRng) -> String {
    format!("{:.2}", rng.random_range(0.1..5.0))
}

/// A parameter, with a neuron's or a synapse's sharing flag now and then.
fn param(rng: &mut StdRng, name: &str, synapse: bool) -> St {
    let value = number(rng);
    let flags: &[&str] = match rng.random_range(0..6) {
        0 if synapse => &["projection"],
        0 => &["population"],
        1 => &["float"],
        _ => &[],
    };
    let terms: Vec<&str> = if rng.random_bool(0.2) {
        vec![&value, "0.5"]
    } else {
        vec![&value]
    };
    st(name, "=", &terms, flags)
}

/// The functions section: `f`, and `g` calling it.
fn functions(rng: &mut StdRng) -> Option<Vec<St>> {
    rng.random_bool(0.4).then(|| {
        vec![
            st("f(x)", "=", &["x * 2.0", "1.0"], &[]),
            st("g(x, y)", "=", &["f(x)", "-y"], &[]),
        ]
    })
}

fn neuron(rng: &mut StdRng) -> Model {
    let spiking = rng.random_bool(0.6);
    let mut sections = Vec::new();
    let funs = functions(rng);
    let call = if funs.is_some() {
        "g(v, 1.0)"
    } else {
        "v * 2.0"
    };
    let mut params: Vec<St> = ["tau", "b", "c", "d", "thr", "t_ref"]
        .iter()
        .map(|n| param(rng, n, false))
        .collect();
    params.retain(|p| spiking || !matches!(p.lhs.as_str(), "thr" | "t_ref"));
    sections.push(("parameters", params));
    if let Some(f) = funs {
        sections.push(("functions", f));
    }
    let ode_flags = *[
        &[][..],
        &["init = 0.1"],
        &["exponential"],
        &["init = 0.0", "midpoint"],
    ]
    .choose(rng)
    .unwrap();
    let mut eqs = if spiking {
        vec![
            st(
                "tau * dv/dt",
                "=",
                &some(rng, &["c", "-v", "g_exc", "b * 0.5"], 2),
                ode_flags,
            ),
            st("du/dt", "=", &["d * v", "-u"], &[]),
            cond("z", &["v", "-c"], &["u"], &["0.0"], &[]),
        ]
    } else {
        vec![
            st(
                "tau * dv/dt",
                "=",
                &some(rng, &["b", "-v", "sum(exc)", "c * 0.5"], 2),
                ode_flags,
            ),
            st("x", "=", &[call, "c"], &[]),
            cond("y", &["v", "-b"], &["v"], &["0.0"], &[]),
            st("r", "=", &["pos(x)", "y"], &["min = 0.0"]),
        ]
    };
    if spiking {
        eqs.insert(2, st("x", "=", &[call, "u"], &[]));
    }
    sections.push(("equations", eqs));
    let mut refractory_ms = None;
    if spiking {
        sections.push((
            "spike",
            vec![expr(&some(rng, &["v", "u * 0.0"], 1), " > thr")],
        ));
        sections.push((
            "reset",
            vec![st("v", "=", &["c"], &[]), st("u", "+=", &["d"], &[])],
        ));
        match rng.random_range(0..3) {
            0 => sections.push((
                "refractory",
                vec![expr(&some(rng, &["t_ref", "1.0"], 1), "")],
            )),
            1 => refractory_ms = Some(2.0),
            _ => {}
        }
    }
    Model {
        synapse: false,
        spiking,
        sections,
        refractory_ms,
    }
}

fn synapse(rng: &mut StdRng) -> Model {
    let spiking = rng.random_bool(0.6);
    let mut sections = Vec::new();
    let funs = functions(rng);
    let call = if funs.is_some() { "g(a, 1.0)" } else { "a" };
    let mut params: Vec<St> = ["tau", "a", "eta", "wmax"]
        .iter()
        .map(|n| param(rng, n, true))
        .collect();
    if rng.random_bool(0.3) {
        params.push(st("w", "=", &["0.5"], &[]));
    }
    sections.push(("parameters", params));
    if let Some(f) = funs {
        sections.push(("functions", f));
    }
    if spiking {
        sections.push((
            "equations",
            vec![
                st("tau * dx/dt", "=", &["-x"], &["event-driven"]),
                st("tau * dy/dt", "=", &["-y"], &["event-driven"]),
            ],
        ));
        let gap = rng.random_bool(0.25);
        if gap {
            sections.push(("psp", vec![expr(&["w * (pre.v - post.v)", "0.0"], "")]));
        }
        let mut pre = vec![
            st("x", "+=", &[call], &[]),
            st("w", "=", &["clip(w - y, 0.0, wmax)"], &[]),
        ];
        if !gap {
            pre.insert(0, st("g_target", "+=", &some(rng, &["w", "0.0"], 1), &[]));
        }
        sections.push(("pre_spike", pre));
        sections.push((
            "post_spike",
            vec![
                st("y", "+=", &["a"], &[]),
                st("w", "=", &["clip(w + x, 0.0, wmax)"], &[]),
            ],
        ));
    } else {
        sections.push((
            "equations",
            vec![
                st(
                    "dw/dt",
                    "=",
                    &["eta * pre.r * post.r", call, "-a * w"],
                    &["min = 0.0"],
                ),
                cond("e", &["pre.r", "-a"], &["w"], &["0.0"], &[]),
            ],
        ));
        sections.push((
            "psp",
            vec![expr(&some(rng, &["w * pre.r", "e * 0.0"], 1), "")],
        ));
    }
    Model {
        synapse: true,
        spiking,
        sections,
        refractory_ms: None,
    }
}

/// The model's sections as text, each laid out.
fn texts(rng: &mut StdRng, m: &Model) -> Vec<(&'static str, String)> {
    m.sections
        .iter()
        .map(|(n, s)| (*n, layout(rng, s)))
        .collect()
}

fn analyse(m: &Model, texts: &[(&str, String)]) -> cajal::Result<()> {
    let get = |name: &str| {
        texts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or("")
    };
    let g = Globals::default();
    if m.synapse {
        let s = Synapse::new()
            .name("S")
            .parameters(get("parameters"))
            .functions(get("functions"))
            .equations(get("equations"))
            .psp(get("psp"))
            .pre_spike(get("pre_spike"))
            .post_spike(get("post_spike"));
        analyse_synapse(&s, &g).map(|_| ())
    } else {
        let n = if m.spiking {
            Neuron::spiking()
        } else {
            Neuron::rate()
        };
        let mut n = n
            .name("N")
            .parameters(get("parameters"))
            .functions(get("functions"))
            .equations(get("equations"));
        if m.spiking {
            n = n.spike(get("spike")).reset(get("reset"));
        }
        if let Some(ms) = m.refractory_ms {
            n = n.refractory(ms);
        } else if m.has("refractory") {
            n = n.refractory_expr(get("refractory"));
        }
        analyse_neuron(&n, &g).map(|_| ())
    }
}

// ---------------------------------------------------------------- faults

/// A fault to inject: where, and a part of the message it must give.
struct Fault {
    section: &'static str,
    what: &'static str,
    message: Option<String>,
}

/// Faulty terms for an expression: (term, message), the `@` on the token
/// the error must point at.
fn bad_terms(section: &str, synapse: bool) -> Vec<(&'static str, Option<&'static str>)> {
    let mut v = vec![
        ("@zq", Some("unknown name 'zq'")),
        ("2.0 * @zqf(1.0)", Some("unknown function 'zqf'")),
        ("@exp(1.0, 2.0)", Some("exp() takes 1 argument(s), got 2")),
        ("@clip(1.0)", Some("clip() takes 3 argument(s), got 1")),
        ("1.0 @$ 2.0", Some("unexpected character '$'")),
        ("@* 2.0", None),
        ("1.0 @)", Some("')'")),
        ("@1.2.3", Some("malformed number '1.2.3'")),
        ("@dzq/dt", Some("dzq/dt")),
        ("(1.0 @, 2.0)", None),
    ];
    if section == "parameters" {
        v.push(("@t", Some("a constant value is expected")));
        v.push((
            "2.0 * @Uniform(0.0, 1.0)",
            Some("a constant value is expected"),
        ));
    }
    if synapse && section != "parameters" && section != "functions" {
        v.push((
            "@sum(exc)",
            Some("sum(target) is only available in neuron models"),
        ));
    }
    v
}

/// Injects a fault into `m` (chosen by `rng`); `None` when the chosen
/// kind does not apply to the chosen section.
fn inject(rng: &mut StdRng, m: &mut Model) -> Option<Fault> {
    let names: Vec<&'static str> = m.sections.iter().map(|(n, _)| *n).collect();
    let section = *names.choose(rng).unwrap();
    let params = m.parameters();
    let synapse = m.synapse;
    let stmts = m.section(section)?;
    let i = rng.random_range(0..stmts.len());
    let s = &mut stmts[i];
    let msg = |x: &str| Some(x.to_string());
    let fault = |what, message| {
        Some(Fault {
            section,
            what,
            message,
        })
    };
    match rng.random_range(0..10) {
        // A faulty term in one of the statement's sums.
        0..=5 => {
            let (term, message) = *bad_terms(section, synapse).choose(rng).unwrap();
            let mut lists = s.term_lists();
            let k = rng.random_range(0..lists.len());
            let list = &mut lists[k];
            let at = rng.random_range(0..=list.len());
            list.insert(at, term.to_string());
            fault("term", message.map(String::from))
        }
        // A flag that the statement does not take.
        6 | 7 => {
            let (flag, message) = match section {
                "parameters" => *[
                    ("@zqflag", "unknown flag 'zqflag' for a parameter"),
                    ("@init = 1.0", "unknown flag 'init' for a parameter"),
                    (
                        if synapse {
                            "@population"
                        } else {
                            "@projection"
                        },
                        "unknown flag",
                    ),
                ]
                .choose(rng)
                .unwrap(),
                "equations" if s.is_ode() && s.flags.iter().any(|f| f == "event-driven") => {
                    ("@zqflag", "unknown flag 'zqflag'")
                }
                "equations" if s.is_ode() => *[
                    ("@zqflag", "unknown flag 'zqflag'"),
                    ("init = @zq", "unknown name 'zq'"),
                    ("max = 2.0 * @zq", "unknown name 'zq'"),
                    (
                        if synapse {
                            "@population"
                        } else {
                            "@projection"
                        },
                        "is a flag of",
                    ),
                ]
                .choose(rng)
                .unwrap(),
                "equations" => *[
                    ("@zqflag", "unknown flag 'zqflag'"),
                    ("@exponential", "an integration method only applies to ODEs"),
                    ("min = @zq", "unknown name 'zq'"),
                    (
                        if synapse {
                            "@event-driven"
                        } else {
                            "@projection"
                        },
                        if synapse {
                            "only an ODE can be event-driven"
                        } else {
                            "is a flag of synapse models"
                        },
                    ),
                ]
                .choose(rng)
                .unwrap(),
                "reset" => ("@zqflag", "a reset statement takes no flags"),
                "pre_spike" => (
                    "@init = 0.0",
                    "a pre_spike statement takes no flags but min and max",
                ),
                "post_spike" => (
                    "@zqflag",
                    "a post_spike statement takes no flags but min and max",
                ),
                _ => return None,
            };
            s.flags.push(flag.to_string());
            fault("flag", msg(message))
        }
        // A statement that assigns what it may not.
        8 => {
            let p = params.iter().find(|p| *p != "w")?.clone();
            let (lhs, message) = match section {
                "parameters" if i > 0 => (
                    format!("@{}", params[0]),
                    format!("'{}' is declared twice", params[0]),
                ),
                "parameters" => ("@dt".into(), "'dt' is a reserved name".into()),
                "equations" if !s.is_ode() => (format!("@{p}"), format!("'{p}' is a parameter")),
                "reset" => (
                    format!("@{p}"),
                    format!("'{p}' is a parameter; a reset cannot change it"),
                ),
                "pre_spike" | "post_spike" if s.lhs != "g_target" => (
                    format!("@{p}"),
                    format!("'{p}' is a parameter; {section} cannot change it"),
                ),
                "functions" => ("@exp(x)".to_string(), "'exp' is a built-in function".into()),
                _ => return None,
            };
            if section == "functions" && i == 0 {
                // Keep `f` defined: `g` calls it.
                return None;
            }
            s.lhs = lhs;
            fault("lhs", Some(message))
        }
        // Section-specific faults.
        _ => match section {
            "reset" | "pre_spike" | "post_spike" => {
                s.lhs = "@zq".into();
                fault("lhs", msg("unknown variable 'zq' in "))
            }
            "equations" if !synapse && !s.is_ode() => {
                s.lhs = "@pre.zq".into();
                fault("lhs", msg("a neuron cannot assign pre./post. variables"))
            }
            "functions" => {
                s.lhs = if i == 0 { "f(x, @x)" } else { "g(x, @x)" }.into();
                fault("lhs", msg("names its argument 'x' twice"))
            }
            "refractory" => {
                s.term_lists()[0].push("@Uniform(1.0, 2.0)".into());
                fault("term", msg("the refractory period cannot be random"))
            }
            "spike" | "psp" => {
                stmts.push(expr(&["@v"], " < 2.0"));
                fault("second", msg("this section holds a single expression"))
            }
            _ => None,
        },
    }
}

fn every_fault_is_located_in_its_section_at_its_token() {
    let cases: usize = std::env::var("LOCATION_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    let mut rng = StdRng::seed_from_u64(22);
    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeMap::new();
    let mut failed = std::collections::BTreeMap::new();
    let mut done = 0;
    while done < cases {
        let mut m = if rng.random_bool(0.5) {
            neuron(&mut rng)
        } else {
            synapse(&mut rng)
        };
        // The model as generated is valid.
        let seed: u64 = rng.random();
        let valid = texts(&mut StdRng::seed_from_u64(seed), &m);
        if let Err(e) = analyse(&m, &valid) {
            panic!("a generated model is invalid: {e}\n{valid:#?}");
        }
        let Some(fault) = inject(&mut rng, &mut m) else {
            continue;
        };
        done += 1;
        let mut texts = texts(&mut StdRng::seed_from_u64(seed), &m);
        let (line, column) = {
            let (_, text) = texts.iter_mut().find(|(n, _)| *n == fault.section).unwrap();
            let (line, column, clean) = find_marker(text).expect("a marker");
            *text = clean;
            (line, column)
        };
        *kinds.entry((fault.section, fault.what)).or_insert(0) += 1;
        let shown = |texts: &[(&str, String)]| {
            texts
                .iter()
                .map(|(n, t)| format!("--- {n}\n{t}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let wrong = match analyse(&m, &texts) {
            Ok(()) => Some("no error".to_string()),
            Err(e) => match &e {
                Error::Equation {
                    section,
                    line: l,
                    column: c,
                    message,
                    ..
                } => {
                    let place_ok = section == fault.section && *l == line && *c == column;
                    let message_ok = fault
                        .message
                        .as_ref()
                        .is_none_or(|m| message.contains(m.as_str()));
                    let shown_ok = e
                        .to_string()
                        .contains(&format!("{section} line {l}, column {c}: "));
                    (!(place_ok && message_ok && shown_ok)).then(|| {
                        format!(
                            "{e}\n  expected {} line {line}, column {column}{}",
                            fault.section,
                            fault
                                .message
                                .as_ref()
                                .map(|m| format!(" saying '{m}'"))
                                .unwrap_or_default()
                        )
                    })
                }
                e => Some(format!("{e} (not located)")),
            },
        };
        if let Some(w) = wrong {
            *failed.entry((fault.section, fault.what)).or_insert(0) += 1;
            failures.push(format!("{w}\n{}", shown(&texts)));
        }
    }
    // Every section and kind of fault was tried.
    for section in [
        "parameters",
        "functions",
        "equations",
        "spike",
        "reset",
        "refractory",
        "psp",
        "pre_spike",
        "post_spike",
    ] {
        assert!(
            kinds.keys().any(|(s, _)| *s == section),
            "no fault in {section}: {kinds:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} faults mislocated (by section and kind: {failed:?} of {kinds:?}); the first:\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

// ------------------------------------------------------- fixed examples

/// The section, line, column and message of an equation error.
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

fn the_readme_example_names_the_equations() {
    // README's first network with `v_rest` misspelt in its equations: a
    // spiking neuron with a refractory period, whose equations were once
    // reported in the refractory section. The message is README's, up to
    // its "...".
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let shown = readme
        .lines()
        .find(|l| l.starts_with("model 'LIF', "))
        .expect("README shows an equation error");
    let shown = &shown[..shown.find("...").expect("README's message ends with ...")];
    let lif = Neuron::spiking()
        .name("LIF")
        .parameters("tau = 20.0 : population\n v_rest = -65.0\n v_thresh = -50.0\n I = 20.0")
        .equations("tau * dv/dt = v_rst - v + I + g_exc : init = -65.0")
        .spike("v > v_thresh")
        .reset("v = v_rest")
        .refractory(5.0);
    let e = Network::new().population("exc", 100, &lif).unwrap_err();
    assert!(
        shown.starts_with("model 'LIF', equations line 1, column 15: unknown name 'v_rst'"),
        "{shown}"
    );
    assert!(e.to_string().starts_with(shown), "{e}\nREADME: {shown}");
}

fn function_faults_name_the_function_and_its_caller() {
    let g = Globals::default();
    // A fault in the body of `f`, called through `g` from the equations.
    let n = Neuron::rate()
        .name("F")
        .functions("f(x) = x + 1\ng(x) = f(x) +\n   nope")
        .equations("y = 1\nr = 2 * g(y)");
    let (section, line, column, message) = place(&analyse_neuron(&n, &g).unwrap_err());
    assert_eq!((section.as_str(), line, column), ("functions", 3, 4));
    assert_eq!(
        message,
        "unknown name 'nope' (the model has: y, r) (in function 'g', called from equations line 2, column 9)"
    );
    // A recursion is where the function calls back.
    let n = Neuron::rate()
        .functions("f(x) = g(x) + 1\ng(x) = 2 * f(x)")
        .equations("r = f(1)");
    let (section, line, column, message) = place(&analyse_neuron(&n, &g).unwrap_err());
    assert_eq!((section.as_str(), line, column), ("functions", 2, 12));
    assert!(message.contains("f -> g -> f"), "{message}");
    // The arguments of a call are the caller's.
    let n = Neuron::rate()
        .functions("f(x) = x + 1")
        .equations("r = f(nope)");
    let (section, line, column, _) = place(&analyse_neuron(&n, &g).unwrap_err());
    assert_eq!((section.as_str(), line, column), ("equations", 1, 7));
    // A network function's body is not the model's text: the error is at
    // the call.
    let mut globals = Globals::default();
    globals.add_functions("h(x) = x * 2").unwrap();
    let n = Neuron::rate().equations("r = h(1, 2)");
    let (section, line, column, _) = place(&analyse_neuron(&n, &globals).unwrap_err());
    assert_eq!((section.as_str(), line, column), ("equations", 1, 5));
}
