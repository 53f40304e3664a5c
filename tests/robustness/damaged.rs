//! Damaged files: saved states (`Simulation::save` / `load`), connectivity
//! files (`save_connectivity` / `connect_from_file`) and parameter files
//! (`save_parameters` / `load_parameters`), truncated at every k-th byte,
//! with bits flipped, regions overwritten and garbage appended. Every load
//! runs under `catch_unwind`: a panic is a failure. A load that fails must
//! change nothing (the simulation saves the same bytes as before, the
//! network has the same projections and parameters). A load that succeeds
//! must give what the format guarantees:
//!
//! - states and connectivity are framed (src/io/mod.rs): magic, version,
//!   payload length and an FNV-1a 64-bit checksum of the payload. So any
//!   damaged file accepted must load exactly the undamaged one (only bytes
//!   after the payload, which the frame ignores, may differ). The same
//!   damage with the checksum recomputed (a writer's bug, or a file edited
//!   on purpose) then exercises what is behind the checksum: the decoder's
//!   structure checks and the engines' restore. Such a file may load with
//!   other values, which no format without redundancy can detect; it must
//!   not panic, and the simulation must run on.
//! - parameter files are JSON with no checksum: damage that leaves valid
//!   JSON with known names and numbers is accepted and changes values.
//!   What is checked then is that the network holds exactly what the
//!   damaged file says (an independent serde_json reading, converted as
//!   `set` converts: `int` truncates toward zero, `bool` is 0 or 1), and that no value
//!   f32 cannot hold was accepted.

use std::panic::AssertUnwindSafe;
use std::path::Path;

use cajal::prelude::*;
use serde_json::Value as Json;

use crate::common::{test_name, tests};
use crate::expr::Rng;

tests! {
    cpu: [
        damaged_states_are_refused_or_harmless,
        damaged_connectivity_is_refused_or_harmless,
        damaged_parameters_are_refused_or_exact,
    ],
    gpu: [damaged_states_into_the_gpu_engine_are_refused_or_harmless],
}

/// The header's length: magic (8), version (4), length (8), checksum (8).
const HEADER: usize = 28;

/// FNV-1a 64, as the format defines it (written here from its definition).
fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `file` with its payload replaced by `payload`, length and checksum
/// made to match.
fn reframe(file: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = file[..12].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// A damaged copy of a file, and what was done to it.
struct Damage {
    what: String,
    bytes: Vec<u8>,
}

/// The damage a file gets: truncation at every `step`-th byte, `flips`
/// single bits at random places (and, for a framed file, every bit of the
/// header), `regions` overwritten regions, and appended garbage.
fn damage(file: &[u8], seed: u64, step: usize, flips: usize, regions: usize) -> Vec<Damage> {
    let mut all = damage_all(file, seed, step, flips, regions);
    // Overwriting zeros with zeros is no damage.
    all.retain(|d| d.bytes != file);
    all
}

fn damage_all(file: &[u8], seed: u64, step: usize, flips: usize, regions: usize) -> Vec<Damage> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let n = file.len();
    for len in (0..n).step_by(step.max(1)) {
        out.push(Damage {
            what: format!("truncated to {len} of {n} bytes"),
            bytes: file[..len].to_vec(),
        });
    }
    for _ in 0..flips {
        let (at, bit) = (rng.below(n), rng.below(8));
        let mut b = file.to_vec();
        b[at] ^= 1 << bit;
        out.push(Damage {
            what: format!("bit {bit} of byte {at} flipped"),
            bytes: b,
        });
    }
    for _ in 0..regions {
        let at = rng.below(n);
        let len = (1 + rng.below(64)).min(n - at);
        let fill = rng.below(3);
        let mut b = file.to_vec();
        for x in &mut b[at..at + len] {
            *x = match fill {
                0 => 0,
                1 => 0xFF,
                _ => rng.next_u64() as u8,
            };
        }
        out.push(Damage {
            what: format!(
                "bytes {at}..{} overwritten with {}",
                at + len,
                ["zeros", "0xFF", "random bytes"][fill]
            ),
            bytes: b,
        });
    }
    for len in [1, 3, 8, 100, 4096] {
        let mut b = file.to_vec();
        b.extend((0..len).map(|_| rng.next_u64() as u8));
        out.push(Damage {
            what: format!("{len} random bytes appended"),
            bytes: b,
        });
    }
    out
}

/// Every bit of a framed file's header flipped, one at a time.
fn header_flips(file: &[u8]) -> Vec<Damage> {
    (0..HEADER * 8)
        .map(|i| {
            let mut b = file.to_vec();
            b[i / 8] ^= 1 << (i % 8);
            Damage {
                what: format!("header bit {} of byte {} flipped", i % 8, i / 8),
                bytes: b,
            }
        })
        .collect()
}

/// Damage behind the checksum: the payload damaged (flips, regions,
/// truncations, a length field set to absurd values), then the file
/// framed again so that the checksum matches.
fn reframed(file: &[u8], seed: u64, count: usize) -> Vec<Damage> {
    let payload = &file[HEADER..];
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for k in 0..count {
        let mut p = payload.to_vec();
        let what = match k % 4 {
            0 => {
                let (at, bit) = (rng.below(p.len()), rng.below(8));
                p[at] ^= 1 << bit;
                format!("payload bit {bit} of byte {at} flipped")
            }
            1 => {
                let len = rng.below(p.len());
                p.truncate(len);
                format!("payload truncated to {len} bytes")
            }
            2 => {
                // A 32-bit word (lengths and ranks are u32) set to a
                // large, a small or a random value.
                let at = rng.below(p.len().saturating_sub(4).max(1));
                let v: u32 = match rng.below(4) {
                    0 => u32::MAX,
                    1 => 0,
                    2 => 0x7FFF_FFFF,
                    _ => rng.next_u64() as u32,
                };
                if at + 4 <= p.len() {
                    p[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
                format!("payload word at {at} set to {v:#x}")
            }
            _ => {
                let at = rng.below(p.len());
                let len = (1 + rng.below(32)).min(p.len() - at);
                for x in &mut p[at..at + len] {
                    *x = rng.next_u64() as u8;
                }
                format!("payload bytes {at}..{} randomised", at + len)
            }
        };
        out.push(Damage {
            what: format!("{what}, checksum recomputed"),
            bytes: reframe(file, &p),
        });
    }
    out
}

/// What a set of loads found.
#[derive(Default)]
pub struct Tally {
    pub files: usize,
    pub refused: usize,
    /// Accepted: damage the format ignores, and damage behind the checksum.
    pub accepted: usize,
    pub accepted_behind: usize,
    /// Whether the files have a checksum (states, connectivity).
    pub framed: bool,
    /// Accepted, but not run: more memory than a test should take.
    pub large: usize,
    pub failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, what: String) {
        if self.failures.len() < 8 {
            self.failures.push(what);
        }
    }
    fn report(&self, what: &str) {
        let large = if self.large > 0 {
            format!(" ({} not run: they ask for more than 64 MiB)", self.large)
        } else {
            String::new()
        };
        let behind = if self.framed {
            format!(" ({} with the checksum recomputed)", self.accepted_behind)
        } else {
            String::new()
        };
        eprintln!(
            "robustness: {what}: {} damaged files, {} refused, {} accepted{behind}{large}, {} failures",
            self.files,
            self.refused,
            self.accepted + self.accepted_behind,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{what}:\n{}",
            self.failures.join("\n")
        );
    }
}

/// Runs `f`; a panic is returned as its message.
fn no_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "(no message)".into())
    })
}

/// A scratch file of this trial's own. In memory where the system has a
/// tmpfs at /dev/shm: `save` flushes every file to the disk (it writes
/// atomically), which over thousands of loads would take a minute of a
/// CI runner's disk; the same files elsewhere otherwise.
fn temp_path(name: &str) -> std::path::PathBuf {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let trial = test_name().replace("::", ".");
    dir.join(format!("cajal-{}-{trial}-{name}", std::process::id()))
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

/// Noise, refractoriness, STDP with per-synapse delays, a second target
/// with one delay, a delayed rate projection, a procedural projection
/// with per-synapse delays (its ring of waiting inputs), a constant:
/// everything a state holds.
pub fn state_net() -> Network {
    let lif = Neuron::spiking()
        .parameters("tau = 5.0 : population\nthr = 0.6")
        .equations(
            "tau * dv/dt = drive - v + g_exc - g_inh + 0.3 * Normal(0.0, 1.0) : init = 0.0\n\
             dg_inh/dt = -g_inh / 4.0 : exponential",
        )
        .spike("v > thr")
        .reset("v = 0.0")
        .refractory(1.0);
    let rate = Neuron::rate().equations("r = tanh(sum(exc)) + 0.1");
    let mut net = Network::new().dt(0.5).seed(11);
    net.constant("drive", 0.8).unwrap();
    let a = net.population("a", 24, &lif).unwrap();
    let b = net.population("b", 12, &lif).unwrap();
    let r = net.population("r", 10, &rate).unwrap();
    net.set(a, "v", Dist::uniform(0.0, 0.6)).unwrap();
    net.projection(a, b, "exc")
        .synapse(&cajal::models::synapses::stdp(
            10.0, 10.0, 0.01, 0.012, 0.0, 1.0,
        ))
        .delays(Delays::random(Dist::uniform(0.5, 3.0)))
        .connect_fixed_probability(0.3, Weights::random(Dist::uniform(0.0, 0.4)))
        .unwrap();
    net.projection(b, a, "inh")
        .delays(1.5)
        .connect_fixed_number_pre(3, 0.2)
        .unwrap();
    net.projection(a, a, "exc")
        .delays(Delays::random(Dist::uniform(0.5, 2.5)))
        .connect_fixed_probability_procedural(0.2, 0.1)
        .unwrap();
    net.projection(r, r, "exc")
        .delays(2.0)
        .connect_all_to_all(Weights::random(Dist::uniform(-0.2, 0.2)))
        .unwrap();
    net
}

fn save_bytes(sim: &Simulation, path: &Path) -> Vec<u8> {
    sim.save(path).unwrap();
    std::fs::read(path).unwrap()
}

/// Loads every damaged state into `sim`, whose own state is `s1`; `s0`
/// is the undamaged file's content.
fn load_states(
    sim: &mut Simulation,
    s0: &[u8],
    s1: &[u8],
    plain: &[Damage],
    behind: &[Damage],
    tally: &mut Tally,
) {
    let (file, check, back) = (
        temp_path("damaged.state"),
        temp_path("check.state"),
        temp_path("back.state"),
    );
    write(&back, s1);
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    for (k, d) in plain.iter().chain(behind).enumerate() {
        let guarded = k >= plain.len();
        tally.files += 1;
        write(&file, &d.bytes);
        match no_panic(|| sim.load(&file)) {
            Err(p) => tally.fail(format!("state {}: load panicked: {p}", d.what)),
            Ok(Err(e)) => {
                tally.refused += 1;
                let msg = e.to_string();
                if !msg.contains(&name) {
                    tally.fail(format!(
                        "state {}: the error does not name the file: {msg}",
                        d.what
                    ));
                }
                if save_bytes(sim, &check) != s1 {
                    tally.fail(format!(
                        "state {}: refused ({msg}) but the simulation changed",
                        d.what
                    ));
                    sim.load(&back).unwrap();
                }
            }
            Ok(Ok(())) => {
                if guarded {
                    tally.accepted_behind += 1;
                } else {
                    tally.accepted += 1;
                }
                if !guarded {
                    if save_bytes(sim, &check) != s0 {
                        tally.fail(format!(
                            "state {}: accepted, and the loaded state is not the saved one",
                            d.what
                        ));
                    }
                } else if let Err(p) = no_panic(|| sim.simulate(1.0)) {
                    tally.fail(format!(
                        "state {}: accepted, then the simulation panicked: {p}",
                        d.what
                    ));
                }
                if let Err(e) = sim.load(&back) {
                    tally.fail(format!(
                        "state {}: the good state no longer loads: {e}",
                        d.what
                    ));
                }
            }
        }
    }
    for f in [&file, &check, &back] {
        std::fs::remove_file(f).ok();
    }
}

/// The two states: `s0` saved after 10 steps (the file damaged), `s1`
/// after 14 (the loading simulation's own).
fn states(backend: Backend) -> (Simulation, Vec<u8>, Vec<u8>) {
    let net = state_net();
    let path = temp_path("good.state");
    let mut sim = net.compile(backend).unwrap();
    // A constant changed after compiling: its value is part of the state.
    sim.set_constant("drive", 0.9).unwrap();
    sim.simulate(5.0).unwrap();
    let s0 = save_bytes(&sim, &path);
    sim.simulate(2.0).unwrap();
    let s1 = save_bytes(&sim, &path);
    std::fs::remove_file(&path).ok();
    assert_ne!(s0, s1);
    (sim, s0, s1)
}

/// How much damage each file kind gets (the README quotes the totals).
pub const STATE_PLAIN: (usize, usize, usize) = (80, 400, 150);
pub const STATE_REFRAMED: usize = 400;
pub const STATE_REFRAMED_GPU: usize = 120;

fn damaged_states_are_refused_or_harmless() {
    let (mut sim, s0, s1) = states(Backend::Cpu);
    let (pieces, flips, regions) = STATE_PLAIN;
    let k = crate::scale();
    let mut plain = damage(&s0, 1, s0.len() / pieces, flips * k, regions * k);
    plain.extend(header_flips(&s0));
    let behind = reframed(&s0, 2, STATE_REFRAMED * k);
    let mut tally = Tally {
        framed: true,
        ..Tally::default()
    };
    load_states(&mut sim, &s0, &s1, &plain, &behind, &mut tally);
    tally.report("saved states, CPU engine");
}

fn damaged_states_into_the_gpu_engine_are_refused_or_harmless() {
    let (mut sim, s0, s1) = states(Backend::Gpu);
    let behind = reframed(&s0, 3, STATE_REFRAMED_GPU * crate::scale());
    let plain = damage(&s0, 4, s0.len() / 10, 20, 10);
    let mut tally = Tally {
        framed: true,
        ..Tally::default()
    };
    load_states(&mut sim, &s0, &s1, &plain, &behind, &mut tally);
    tally.report("saved states, GPU engine");
}

pub const CONNECTIVITY_PLAIN: (usize, usize, usize) = (80, 300, 100);
pub const CONNECTIVITY_REFRAMED: usize = 400;

/// Two populations, a projection with drawn weights and delays saved to a
/// file; the network the file is loaded into has the populations only.
fn connectivity() -> (Network, PopId, PopId, Vec<u8>) {
    let n = Neuron::spiking()
        .equations("dv/dt = 0.1 + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0");
    let mut net = Network::new().dt(0.25).seed(3);
    let a = net.population("a", 30, &n).unwrap();
    let b = net.population("b", 20, &n).unwrap();
    let base = net.clone();
    let p = net
        .projection(a, b, "exc")
        .delays(Delays::random(Dist::uniform(0.25, 4.0)))
        .connect_fixed_probability(0.2, Weights::random(Dist::normal(0.5, 0.2)))
        .unwrap();
    let sim = net.compile(Backend::Cpu).unwrap();
    let path = temp_path("good.conn");
    sim.save_connectivity(p, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    (base, a, b, bytes)
}

fn damaged_connectivity_is_refused_or_harmless() {
    let (base, a, b, c0) = connectivity();
    let (pieces, flips, regions) = CONNECTIVITY_PLAIN;
    let k = crate::scale();
    let mut plain = damage(&c0, 5, c0.len() / pieces, flips * k, regions * k);
    plain.extend(header_flips(&c0));
    let behind = reframed(&c0, 6, CONNECTIVITY_REFRAMED * k);
    let (file, check) = (temp_path("damaged.conn"), temp_path("check.conn"));
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let mut tally = Tally {
        framed: true,
        ..Tally::default()
    };
    for (k, d) in plain.iter().chain(&behind).enumerate() {
        let guarded = k >= plain.len();
        tally.files += 1;
        write(&file, &d.bytes);
        let mut net = base.clone();
        match no_panic(|| net.projection(a, b, "exc").connect_from_file(&file)) {
            Err(p) => tally.fail(format!("connectivity {}: panicked: {p}", d.what)),
            Ok(Err(e)) => {
                tally.refused += 1;
                let msg = e.to_string();
                if !msg.contains(&name) && !msg.contains("projection 'a->b:exc'") {
                    tally.fail(format!(
                        "connectivity {}: the error names neither the file nor the projection: {msg}",
                        d.what
                    ));
                }
                if !net.projections().is_empty() {
                    tally.fail(format!(
                        "connectivity {}: refused ({msg}) but a projection was added",
                        d.what
                    ));
                }
            }
            Ok(Ok(p)) => {
                if guarded {
                    tally.accepted_behind += 1;
                } else {
                    tally.accepted += 1;
                }
                // What the engines would make of it: compiled and run when
                // it fits in a small share of memory (a damaged delay can
                // ask for rings of billions of steps, which the memory
                // checks of tests/robustness/absurd.rs refuse in a child).
                if net.memory_estimate() > 64 << 20 {
                    tally.large += 1;
                    continue;
                }
                let run = no_panic(|| -> cajal::Result<Vec<u8>> {
                    let mut sim = net.compile(Backend::Cpu)?;
                    sim.simulate(1.0)?;
                    sim.save_connectivity(p, &check)?;
                    Ok(std::fs::read(&check).unwrap())
                });
                match (guarded, run) {
                    (_, Err(panic)) => tally.fail(format!(
                        "connectivity {}: accepted, then compiling or running panicked: {panic}",
                        d.what
                    )),
                    (false, Ok(Ok(again))) if again != c0 => tally.fail(format!(
                        "connectivity {}: accepted, and the synapses are not the saved ones",
                        d.what
                    )),
                    (false, Ok(Err(e))) => tally.fail(format!(
                        "connectivity {}: accepted, then refused by the engine: {e}",
                        d.what
                    )),
                    _ => {}
                }
            }
        }
    }
    std::fs::remove_file(&file).ok();
    std::fs::remove_file(&check).ok();
    tally.report("connectivity files");
}

pub const PARAMETER_PLAIN: (usize, usize, usize) = (1, 300, 100);

/// A network with population-wide float, int and bool parameters, a
/// projection-wide parameter and constants.
fn parameter_net() -> Network {
    let n = Neuron::rate()
        .parameters(
            "tau = 10.0 : population\nn = 3 : population, int\non = true : population, bool\nb = 0.5",
        )
        .equations("r = on * n / tau + b + k + sum(exc)");
    let mut net = Network::new().dt(0.5);
    net.constant("k", 0.25).unwrap();
    net.constant("gain", 2.0).unwrap();
    let p = net.population("p", 5, &n).unwrap();
    let q = net.population("q", 3, &n).unwrap();
    net.projection(p, q, "exc")
        .synapse(
            &Synapse::new()
                .parameters("scale = 1.5 : projection")
                .psp("scale * w * pre.r"),
        )
        .connect_all_to_all(0.1)
        .unwrap();
    net
}

/// Edits a JSON text cannot survive unnoticed: each number replaced by
/// values f32 cannot hold, by non-numbers, keys renamed.
fn targeted(text: &str) -> Vec<Damage> {
    let mut out = Vec::new();
    let numbers: Vec<(usize, usize)> = {
        let b = text.as_bytes();
        let mut v = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if (b[i] == b'-' || b[i].is_ascii_digit()) && (i == 0 || b[i - 1] == b' ') {
                let j = (i + 1..b.len())
                    .find(|&j| !(b[j].is_ascii_digit() || b"+-.eE".contains(&b[j])))
                    .unwrap_or(b.len());
                v.push((i, j));
                i = j;
            } else {
                i += 1;
            }
        }
        v
    };
    for &(i, j) in &numbers {
        for new in [
            "1e39", "-1e39", "1e-50", "1e400", "NaN", "Infinity", "\"1.0\"", "null", "true", "[]",
            "{}", "2.5", "-0", "1e-40",
        ] {
            out.push(Damage {
                what: format!("'{}' replaced by '{new}'", &text[i..j]),
                bytes: format!("{}{new}{}", &text[..i], &text[j..]).into_bytes(),
            });
        }
    }
    for key in [
        "tau",
        "\"n\"",
        "on",
        "scale",
        "gain",
        "p",
        "populations",
        "constants",
    ] {
        if let Some(at) = text.find(key) {
            let mut t = text.to_string();
            t.replace_range(at..at + 1, "X");
            out.push(Damage {
                what: format!("key {key} renamed"),
                bytes: t.into_bytes(),
            });
        }
    }
    out
}

/// The shared values a parameters JSON holds, as (path, value) with path
/// `section/object/name`.
fn flatten(doc: &Json) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for section in ["populations", "projections"] {
        if let Some(objs) = doc.get(section).and_then(Json::as_object) {
            for (o, params) in objs {
                for (k, v) in params.as_object().into_iter().flatten() {
                    out.push((format!("{section}/{o}/{k}"), v.as_f64().unwrap_or(f64::NAN)));
                }
            }
        }
    }
    if let Some(c) = doc.get("constants").and_then(Json::as_object) {
        for (k, v) in c {
            out.push((format!("constants/{k}"), v.as_f64().unwrap_or(f64::NAN)));
        }
    }
    out
}

fn damaged_parameters_are_refused_or_exact() {
    let base = parameter_net();
    let p0 = base.parameters_json();
    let original: Json = serde_json::from_str(&p0).unwrap();
    let types = |path: &str| -> &'static str {
        if path.ends_with("/n") {
            "int"
        } else if path.ends_with("/on") {
            "bool"
        } else {
            "float"
        }
    };
    let bytes = p0.as_bytes();
    let (_, flips, regions) = PARAMETER_PLAIN;
    let k = crate::scale();
    let mut all = damage(bytes, 7, 1, flips * k, regions * k);
    all.extend(targeted(&p0));
    let file = temp_path("damaged.json");
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let mut tally = Tally::default();
    for d in &all {
        tally.files += 1;
        write(&file, &d.bytes);
        let mut net = base.clone();
        match no_panic(|| net.load_parameters(&file)) {
            Err(p) => tally.fail(format!("parameters {}: panicked: {p}", d.what)),
            Ok(Err(e)) => {
                tally.refused += 1;
                let msg = e.to_string();
                if !msg.contains(&name) && !msg.contains('\'') {
                    tally.fail(format!(
                        "parameters {}: the error names neither the file nor an object: {msg}",
                        d.what
                    ));
                }
                if net.parameters_json() != p0 {
                    tally.fail(format!(
                        "parameters {}: refused ({msg}) but the network changed",
                        d.what
                    ));
                }
            }
            Ok(Ok(())) => {
                tally.accepted += 1;
                // Valid JSON, then: what it says, converted as set() does,
                // over what the network had.
                let Ok(doc) = serde_json::from_slice::<Json>(&d.bytes) else {
                    tally.fail(format!("parameters {}: accepted, but not JSON", d.what));
                    continue;
                };
                let mut want: Vec<(String, f64)> = flatten(&original);
                for (path, v) in flatten(&doc) {
                    let raw = v as f32;
                    if !raw.is_finite() || (v != 0.0 && raw == 0.0) {
                        tally.fail(format!(
                            "parameters {}: accepted {path} = {v}, which f32 cannot hold",
                            d.what
                        ));
                    }
                    let x = match types(&path) {
                        "int" => raw.trunc(),
                        "bool" => f32::from(u8::from(v != 0.0)),
                        _ => raw,
                    };
                    if let Some(w) = want.iter_mut().find(|w| w.0 == path) {
                        w.1 = f64::from(x);
                    }
                }
                let got: Json = serde_json::from_str(&net.parameters_json()).unwrap();
                let got = flatten(&got);
                for (path, w) in &want {
                    let g = got.iter().find(|g| &g.0 == path).map(|g| g.1);
                    let same =
                        g.is_some_and(|g| g as f32 == *w as f32 || (g.is_nan() && w.is_nan()));
                    if !same {
                        tally.fail(format!(
                            "parameters {}: accepted; {path} is {g:?}, the file says {w}",
                            d.what
                        ));
                    }
                }
            }
        }
    }
    std::fs::remove_file(&file).ok();
    tally.report("parameter files");
}
